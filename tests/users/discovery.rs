//! Discovery is truthful about what the other /Users tests show the service doing.

use serde_json::{Value, json};

use crate::common::TestApp;
use crate::on_both;
use crate::support::*;

fn attr<'a>(schema: &'a Value, name: &str) -> &'a Value {
    schema["attributes"]
        .as_array()
        .and_then(|a| a.iter().find(|x| x["name"] == name))
        .unwrap_or_else(|| panic!("no attribute {name}"))
}

fn sub<'a>(a: &'a Value, name: &str) -> &'a Value {
    a["subAttributes"]
        .as_array()
        .and_then(|s| s.iter().find(|x| x["name"] == name))
        .unwrap_or_else(|| panic!("no sub-attribute {name} in {}", a["name"]))
}

on_both!(
    user_schema_declares_the_rules_the_service_enforces,
    async |app: TestApp| {
        let r = app.req("GET", &format!("Schemas/{USER_URN}"), None).await;
        assert_eq!(r.status, 200, "{}", r.body);
        let user = &r.body;
        let user_name = attr(user, "userName");
        assert_eq!(
            (
                &user_name["mutability"],
                &user_name["uniqueness"],
                &user_name["required"],
                &user_name["caseExact"]
            ),
            (
                &json!("immutable"),
                &json!("server"),
                &json!(true),
                &json!(false)
            )
        );
        let name = attr(user, "name");
        assert_eq!(name["mutability"], "immutable");
        assert_eq!(sub(name, "formatted")["mutability"], "readWrite");
        for s in ["familyName", "givenName", "middleName"] {
            assert_eq!(sub(name, s)["mutability"], "immutable", "{s}");
        }
        let emails = attr(user, "emails");
        assert_eq!(
            (&emails["mutability"], &emails["multiValued"]),
            (&json!("immutable"), &json!(true))
        );
        assert_eq!(sub(emails, "display")["mutability"], "readWrite");
        assert_eq!(sub(emails, "value")["mutability"], "immutable");
        let password = attr(user, "password");
        assert_eq!(
            (&password["mutability"], &password["returned"]),
            (&json!("writeOnly"), &json!("never"))
        );
        assert_eq!(attr(user, "groups")["mutability"], "readOnly");
        assert_eq!(attr(user, "displayName")["mutability"], "readWrite");
        assert_eq!(attr(user, "active")["type"], "boolean");

        let r = app.req("GET", &format!("Schemas/{OPERATOR}"), None).await;
        let op = &r.body;
        for cap in ["maxChats", "maxEmails"] {
            assert_eq!(
                (&attr(op, cap)["type"], &attr(op, cap)["mutability"]),
                (&json!("integer"), &json!("readWrite"))
            );
        }
        assert_eq!(attr(op, "status")["mutability"], "readOnly");
        assert_eq!(
            attr(op, "status")["canonicalValues"],
            json!(["Available", "Busy", "Offline", "Disconnected"])
        );
        assert_eq!(
            (
                &attr(op, "skills")["type"],
                &attr(op, "skills")["multiValued"]
            ),
            (&json!("string"), &json!(true))
        );
    }
);

on_both!(
    resource_type_and_service_provider_config_match_the_behaviour,
    async |app: TestApp| {
        let r = app.req("GET", "ResourceTypes/User", None).await;
        assert_eq!(r.status, 200, "{}", r.body);
        assert_eq!(
            (&r.body["endpoint"], &r.body["schema"]),
            (&json!("/Users"), &json!(USER_URN))
        );
        let exts = r.body["schemaExtensions"].as_array().unwrap();
        for urn in [ENTERPRISE, OPERATOR] {
            let e = exts
                .iter()
                .find(|e| e["schema"] == urn)
                .unwrap_or_else(|| panic!("{urn} missing"));
            assert_eq!(e["required"], false, "{urn}: users are created without it");
        }
        let spc = app.req("GET", "ServiceProviderConfig", None).await.body;
        for feature in ["patch", "filter", "sort", "etag"] {
            assert_eq!(spc[feature]["supported"], true, "{feature}");
        }
        assert_eq!(spc["filter"]["maxResults"], 1000, "the count cap of lists");
        assert_eq!(
            spc["changePassword"]["supported"], false,
            "passwords are accepted and discarded"
        );
        assert_eq!(
            (&spc["pagination"]["cursor"], &spc["pagination"]["index"]),
            (&json!(true), &json!(true))
        );
        assert_eq!(spc["pagination"]["defaultPageSize"], 100);
        assert_eq!(spc["pagination"]["maxPageSize"], 1000);
    }
);
