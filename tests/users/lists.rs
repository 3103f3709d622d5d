//! Lists: filters compiled to SQL, sorting, index and cursor paging (RFC 7644 3.4.2, RFC
//! 9865), projection, `POST /Users/.search` and the root `POST /.search`.

use std::collections::HashSet;

use serde_json::{Value, json};

use crate::common::{TestApp, user};
use crate::on_both;
use crate::support::*;

/// Four users with distinct attributes; returns the time between the 2nd and 3rd creation.
async fn seed(app: &TestApp) -> String {
    let mut alice = user("Alice");
    alice["externalId"] = json!("ext-a");
    alice["name"] = json!({"givenName": "Alice", "familyName": "Anderson"});
    alice["emails"] = json!([{"value": "alice@x.com", "type": "work", "primary": true}]);
    alice[OPERATOR] = json!({"maxChats": 5, "csrUser": true});
    app.create_user(alice).await;

    let mut bob = user("bob");
    bob["externalId"] = json!("ext-b");
    bob["name"] = json!({"givenName": "Bob", "familyName": "Baker"});
    bob["emails"] =
        json!([{"value": "bob@y.com", "type": "work"}, {"value": "bob@x.com", "type": "home"}]);
    bob["title"] = json!("Boss");
    bob[OPERATOR] = json!({"maxChats": 2});
    app.create_user(bob).await;

    tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    let between = chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true);
    tokio::time::sleep(std::time::Duration::from_millis(20)).await;

    let mut carol = user("Carol");
    carol["schemas"] = json!([USER_URN, ENTERPRISE]);
    carol["name"] = json!({"givenName": "Carol", "familyName": "andrews"});
    carol["emails"] = json!([{"value": "carol@x.com", "type": "home"}]);
    carol["active"] = json!(false);
    carol[ENTERPRISE] = json!({"department": "Sales"});
    carol[OPERATOR] = json!({"maxChats": 8});
    app.create_user(carol).await;

    app.create_user(json!({"schemas": [USER_URN], "userName": "dave"}))
        .await;
    between
}

fn sorted(mut v: Vec<String>) -> Vec<String> {
    v.sort_by_key(|s| s.to_lowercase());
    v
}

on_both!(filters_on_every_kind_of_attribute, async |app: TestApp| {
    let between = seed(&app).await;
    let mc = format!("{OPERATOR}:maxChats");
    let cases: Vec<(String, Vec<&str>)> = vec![
        ("userName eq \"alice\"".into(), vec!["Alice"]),
        ("USERNAME Eq \"ALICE\"".into(), vec!["Alice"]),
        (format!("{USER_URN}:userName eq \"bob\""), vec!["bob"]),
        ("userName ne \"alice\"".into(), vec!["bob", "Carol", "dave"]),
        ("userName co \"o\"".into(), vec!["bob", "Carol"]),
        ("userName ew \"E\"".into(), vec!["Alice", "dave"]),
        ("externalId eq \"ext-b\"".into(), vec!["bob"]),
        ("externalId pr".into(), vec!["Alice", "bob"]),
        ("emails.value eq \"bob@x.com\"".into(), vec!["bob"]),
        ("emails eq \"CAROL@X.COM\"".into(), vec!["Carol"]),
        (
            "emails[type eq \"work\" and value co \"@x\"]".into(),
            vec!["Alice"],
        ),
        ("emails[type eq \"home\"]".into(), vec!["bob", "Carol"]),
        ("emails pr".into(), vec!["Alice", "bob", "Carol"]),
        ("not (emails pr)".into(), vec!["dave"]),
        ("name.familyName sw \"And\"".into(), vec!["Alice", "Carol"]),
        ("name.givenName eq \"bob\"".into(), vec!["bob"]),
        ("title eq \"boss\"".into(), vec!["bob"]),
        (
            format!("{ENTERPRISE}:department eq \"Sales\""),
            vec!["Carol"],
        ),
        (
            format!("meta.lastModified gt \"{between}\""),
            vec!["Carol", "dave"],
        ),
        (
            format!("meta.created lt \"{between}\""),
            vec!["Alice", "bob"],
        ),
        ("active eq false".into(), vec!["Carol"]),
        ("active eq true".into(), vec!["Alice", "bob", "dave"]),
        (format!("{mc} ge 5"), vec!["Alice", "Carol"]),
        (format!("{mc} lt 5"), vec!["bob"]),
        (format!("{OPERATOR}:csrUser eq true"), vec!["Alice"]),
        (
            "userName eq \"alice\" or userName eq \"dave\"".into(),
            vec!["Alice", "dave"],
        ),
        (
            "name.familyName sw \"a\" and active eq true".into(),
            vec!["Alice"],
        ),
        (
            "not (active eq false) and (emails pr or userName eq \"dave\")".into(),
            vec!["Alice", "bob", "dave"],
        ),
        (format!("not ({mc} ge 5)"), vec!["bob", "dave"]),
        ("userName eq \"nobody\"".into(), vec![]),
        (
            "emails[type eq \"work\" and value eq \"carol@x.com\"]".into(),
            vec![],
        ),
    ];
    for (filter, want) in cases {
        let got = filtered(&app, &filter).await;
        assert_eq!(
            sorted(got),
            sorted(want.iter().map(|s| s.to_string()).collect()),
            "{filter}"
        );
    }
    // A filter that matches nothing is 200 with an empty list (Okta's existence check).
    let r = list(
        &app,
        &format!(
            "filter={}&startIndex=1&count=100",
            enc("userName eq \"nobody@x.com\"")
        ),
    )
    .await;
    assert_eq!(r["totalResults"], 0);
    assert_eq!(r["Resources"], json!([]));
    // Bad filters are 400 invalidFilter, not 500.
    for bad in [
        "userName eq",
        "nosuch eq \"x\"",
        "userName gt true and",
        "((userName eq \"a\")",
    ] {
        let r = app
            .req("GET", &format!("Users?filter={}", enc(bad)), None)
            .await;
        assert_error(&r, 400, Some("invalidFilter"));
    }
});

on_both!(
    sort_by_user_name_ascending_and_descending,
    async |app: TestApp| {
        seed(&app).await;
        let asc = names(&list(&app, "sortBy=userName").await);
        assert_eq!(asc, ["Alice", "bob", "Carol", "dave"]);
        let asc = names(&list(&app, "sortBy=userName&sortOrder=ascending").await);
        assert_eq!(asc, ["Alice", "bob", "Carol", "dave"]);
        let desc = names(&list(&app, "sortBy=userName&sortOrder=descending").await);
        assert_eq!(desc, ["dave", "Carol", "bob", "Alice"]);
        let by_family = names(&list(&app, "sortBy=name.familyName").await);
        assert_eq!(
            by_family,
            ["Alice", "Carol", "bob", "dave"],
            "unassigned sorts last"
        );
        let r = app.req("GET", "Users?sortBy=nosuch", None).await;
        assert_eq!(r.status, 400, "{}", r.body);
    }
);

on_both!(index_paging_with_total_results, async |app: TestApp| {
    seed(&app).await;
    let r = list(&app, "sortBy=userName&startIndex=2&count=2").await;
    assert_eq!(
        (
            r["totalResults"].as_i64(),
            r["startIndex"].as_i64(),
            r["itemsPerPage"].as_i64()
        ),
        (Some(4), Some(2), Some(2))
    );
    assert_eq!(names(&r), ["bob", "Carol"]);
    // RFC 7644 3.4.2.4: startIndex < 1 is 1.
    for start in ["0", "-5"] {
        let r = list(&app, &format!("sortBy=userName&startIndex={start}&count=1")).await;
        assert_eq!(r["startIndex"], 1);
        assert_eq!(names(&r), ["Alice"]);
    }
    let r = list(&app, "startIndex=10").await;
    assert_eq!(
        (r["totalResults"].as_i64(), r["itemsPerPage"].as_i64()),
        (Some(4), Some(0))
    );
    assert_eq!(r["Resources"], json!([]));
    let r = list(&app, "count=0").await;
    assert_eq!(
        (r["totalResults"].as_i64(), r["itemsPerPage"].as_i64()),
        (Some(4), Some(0))
    );
    let r = list(&app, "filter=active%20eq%20true&count=2").await;
    assert_eq!(
        (r["totalResults"].as_i64(), r["itemsPerPage"].as_i64()),
        (Some(3), Some(2))
    );
    let r = list(&app, "").await;
    assert_eq!(
        r["schemas"],
        json!(["urn:ietf:params:scim:api:messages:2.0:ListResponse"])
    );
    assert_eq!(
        (r["totalResults"].as_i64(), r["startIndex"].as_i64()),
        (Some(4), Some(1))
    );
});

on_both!(
    total_results_follow_creates_deletes_and_tenants,
    async |app: TestApp| {
        // The unfiltered `totalResults` is the count the `live_counts` triggers keep: it
        // must follow creates (concurrent ones included), soft deletes and tenancy.
        let other = app.other_tenant_token("t2").await;
        let total = |token: String, what: &'static str| {
            let app = &app;
            async move {
                // A full first page of one: the total comes from the count, not the page.
                let r = app
                    .req_with("GET", &format!("{what}?count=1"), None, &token, &[])
                    .await;
                assert_eq!(r.status, 200, "{}", r.body);
                r.body["totalResults"].as_i64().unwrap()
            }
        };
        let creates: Vec<_> = (0..12)
            .map(|i| app.req("POST", "Users", Some(user(&format!("count{i}")))))
            .collect();
        let mut ids = Vec::new();
        for r in futures_util::future::join_all(creates).await {
            assert_eq!(r.status, 201, "{}", r.body);
            ids.push(r.body["id"].as_str().unwrap().to_string());
        }
        for name in ["elsewhere1", "elsewhere2"] {
            let r = app
                .req_with("POST", "Users", Some(user(name)), &other, &[])
                .await;
            assert_eq!(r.status, 201, "{}", r.body);
        }
        assert_eq!(total(app.token.clone(), "Users").await, 12);
        assert_eq!(total(other.clone(), "Users").await, 2);
        for id in &ids[..3] {
            let r = app.req("DELETE", &format!("Users/{id}"), None).await;
            assert_eq!(r.status, 204, "{}", r.body);
        }
        // A second delete of a deleted user changes nothing (404), nor does a PATCH.
        let r = app.req("DELETE", &format!("Users/{}", ids[0]), None).await;
        assert_eq!(r.status, 404, "{}", r.body);
        let body = json!({"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
            "Operations": [{"op": "replace", "path": "active", "value": false}]});
        let r = app
            .req("PATCH", &format!("Users/{}", ids[4]), Some(body))
            .await;
        assert_eq!(r.status, 200, "{}", r.body);
        assert_eq!(total(app.token.clone(), "Users").await, 9);
        assert_eq!(total(other.clone(), "Users").await, 2);
        // The same for groups.
        let mut groups = Vec::new();
        for name in ["G1", "G2", "G3"] {
            let r = app
                .req(
                    "POST",
                    "Groups",
                    Some(
                        json!({"schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"],
                        "displayName": name}),
                    ),
                )
                .await;
            assert_eq!(r.status, 201, "{}", r.body);
            groups.push(r.body["id"].as_str().unwrap().to_string());
        }
        let r = app
            .req("DELETE", &format!("Groups/{}", groups[1]), None)
            .await;
        assert_eq!(r.status, 204, "{}", r.body);
        assert_eq!(total(app.token.clone(), "Groups").await, 2);
        assert_eq!(total(other, "Groups").await, 0);
        // Pages of two from every start see the 9 live users once each, none deleted: the
        // keys a page skips through (`live_order` on PostgreSQL) lost the deleted ones.
        let mut seen = Vec::new();
        for start in [1, 3, 5, 7, 9] {
            let r = list(
                &app,
                &format!("startIndex={start}&count=2&attributes=userName"),
            )
            .await;
            assert_eq!(r["totalResults"], 9, "{r}");
            for u in r["Resources"].as_array().unwrap() {
                seen.push(u["id"].as_str().unwrap().to_string());
            }
        }
        assert_eq!(seen.len(), 9, "{seen:?}");
        let distinct: HashSet<&String> = seen.iter().collect();
        assert_eq!(distinct.len(), 9);
        assert!(ids[..3].iter().all(|id| !distinct.contains(id)));
    }
);

on_both!(count_is_capped_at_max_results, async |app: TestApp| {
    // 1005 users, created 15 at a time.
    for chunk in 0..67 {
        let reqs: Vec<_> = (0..15)
            .map(|i| {
                let n = chunk * 15 + i;
                app.req(
                    "POST",
                    "Users",
                    Some(json!({"schemas": [USER_URN], "userName": format!("bulk{n:04}")})),
                )
            })
            .collect();
        for r in futures_util::future::join_all(reqs).await {
            assert_eq!(r.status, 201, "{}", r.body);
        }
    }
    // pagination.defaultPageSize of the ServiceProviderConfig.
    let r = list(&app, "attributes=userName").await;
    assert_eq!(r["itemsPerPage"], 100);
    let r = list(&app, "count=5000&attributes=userName").await;
    assert_eq!(r["totalResults"], 1005);
    assert_eq!(r["itemsPerPage"], 1000);
    assert_eq!(r["Resources"].as_array().unwrap().len(), 1000);
    let r = list(&app, "startIndex=1001&count=1000&attributes=userName").await;
    assert_eq!(r["itemsPerPage"], 5);
    // Cursor pages are capped the same way.
    let r = list(&app, "cursor=&count=5000&attributes=userName").await;
    assert_eq!(r["Resources"].as_array().unwrap().len(), 1000);
    assert!(r["nextCursor"].is_string());
});

on_both!(
    cursor_paging_sees_every_user_once_despite_concurrent_inserts,
    async |app: TestApp| {
        let mut all = HashSet::new();
        for i in 0..23 {
            all.insert(
                app.create_user(json!({"schemas": [USER_URN], "userName": format!("c{i:02}")}))
                    .await,
            );
        }
        let mut seen = Vec::new();
        let mut cursor = String::new();
        let mut pages = 0;
        loop {
            let r = list(&app, &format!("cursor={}&count=10", enc(&cursor))).await;
            pages += 1;
            assert!(
                r.get("startIndex").is_none(),
                "cursor pages have no startIndex: {r}"
            );
            let items = r["Resources"].as_array().unwrap();
            assert_eq!(r["itemsPerPage"], items.len());
            seen.extend(items.iter().map(|u| u["id"].as_str().unwrap().to_string()));
            if pages == 1 {
                // A user created mid-iteration.
                all.insert(
                    app.create_user(json!({"schemas": [USER_URN], "userName": "late"}))
                        .await,
                );
            }
            match r.get("nextCursor").and_then(Value::as_str) {
                Some(next) => cursor = next.to_string(),
                None => break,
            }
            assert!(pages < 10, "cursor iteration does not end");
        }
        assert_eq!(pages, 3);
        let unique: HashSet<String> = seen.iter().cloned().collect();
        assert_eq!(unique.len(), seen.len(), "no user is seen twice: {seen:?}");
        assert_eq!(unique, all, "every user is seen");

        // The same through .search, and bad cursors are 400 invalidCursor.
        let r = app
            .req(
                "POST",
                "Users/.search",
                Some(json!({"schemas": [SEARCH], "cursor": "", "count": 30})),
            )
            .await;
        assert_eq!(r.status, 200, "{}", r.body);
        assert_eq!(r.body["Resources"].as_array().unwrap().len(), 24);
        assert!(r.body.get("nextCursor").is_none());
        let r = app.req("GET", "Users?cursor=garbage", None).await;
        assert_error(&r, 400, Some("invalidCursor"));
        let r = app.req("GET", "Users?cursor=&startIndex=1", None).await;
        assert_eq!(r.status, 400, "{}", r.body);
    }
);

on_both!(attributes_and_excluded_attributes, async |app: TestApp| {
    seed(&app).await;
    let alice = filtered(&app, "userName eq \"alice\"").await;
    assert_eq!(alice, ["Alice"]);
    let r = list(
        &app,
        &format!(
            "filter={}&attributes=userName",
            enc("userName eq \"alice\"")
        ),
    )
    .await;
    let u = &r["Resources"][0];
    assert_eq!(u["userName"], "Alice");
    assert!(u["id"].is_string(), "id is always returned");
    for gone in ["emails", "name", "externalId", OPERATOR] {
        assert!(u.get(gone).is_none(), "{gone}: {u}");
    }
    let id = u["id"].as_str().unwrap().to_string();
    let r = app
        .req(
            "GET",
            &format!("Users/{id}?attributes=emails.value,name.familyName"),
            None,
        )
        .await;
    assert_eq!(r.status, 200);
    assert_eq!(r.body["emails"], json!([{"value": "alice@x.com"}]));
    assert_eq!(r.body["name"], json!({"familyName": "Anderson"}));
    assert!(r.body.get("userName").is_none() || r.body["userName"] == "Alice");
    let r = app
        .req(
            "GET",
            &format!("Users/{id}?excludedAttributes=emails,name"),
            None,
        )
        .await;
    assert_eq!(r.status, 200);
    assert!(
        r.body.get("emails").is_none() && r.body.get("name").is_none(),
        "{}",
        r.body
    );
    assert_eq!(r.body["userName"], "Alice");
    assert_eq!(r.body["id"], id.as_str());
    assert_eq!(r.body[OPERATOR]["maxChats"], 5);
    let r = list(&app, "excludedAttributes=emails").await;
    assert!(
        r["Resources"]
            .as_array()
            .unwrap()
            .iter()
            .all(|u| u.get("emails").is_none() && u["userName"].is_string())
    );
});

on_both!(
    search_per_resource_type_and_at_the_root,
    async |app: TestApp| {
        seed(&app).await;
        let r = app
            .req(
                "POST",
                "Users/.search",
                Some(json!({
                    "schemas": [SEARCH],
                    "filter": "name.familyName sw \"a\"",
                    "sortBy": "userName",
                    "sortOrder": "descending",
                    "attributes": ["userName"],
                    "startIndex": 1,
                    "count": 1
                })),
            )
            .await;
        assert_eq!(r.status, 200, "{}", r.body);
        assert_eq!(r.body["totalResults"], 2);
        assert_eq!(names(&r.body), ["Carol"]);
        assert!(r.body["Resources"][0].get("emails").is_none());

        let g = app.req("POST", "Groups", Some(json!({"schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"], "displayName": "Maintainer"}))).await;
        assert_eq!(g.status, 201, "{}", g.body);
        let r = app
            .req("POST", ".search", Some(json!({"schemas": [SEARCH]})))
            .await;
        assert_eq!(r.status, 200, "{}", r.body);
        assert_eq!(r.body["totalResults"], 5);
        let types: Vec<&str> = r.body["Resources"]
            .as_array()
            .unwrap()
            .iter()
            .map(|x| x["meta"]["resourceType"].as_str().unwrap())
            .collect();
        assert_eq!(types, ["User", "User", "User", "User", "Group"]);
        let r = app
            .req(
                "POST",
                ".search",
                Some(json!({"schemas": [SEARCH], "filter": "externalId eq \"ext-a\""})),
            )
            .await;
        assert_eq!(r.status, 200, "{}", r.body);
        assert_eq!(r.body["totalResults"], 1);
        assert_eq!(names(&r.body), ["Alice"]);
        let r = app
            .req(
                "POST",
                ".search",
                Some(json!({"schemas": [SEARCH], "startIndex": 4, "count": 2})),
            )
            .await;
        assert_eq!(r.body["totalResults"], 5);
        assert_eq!(r.body["Resources"].as_array().unwrap().len(), 2);
        assert_eq!(r.body["Resources"][1]["displayName"], "Maintainer");
    }
);

on_both!(
    case_insensitive_filters_and_sorting_fold_unicode_on_both_backends,
    async |app: TestApp| {
        let mut a = user("Ärger");
        a["name"] = json!({"givenName": "Åsa", "familyName": "Ångström"});
        a["title"] = json!("Überchef");
        a["emails"] = json!([{"value": "ÄRGER@example.com", "type": "work"}]);
        app.create_user(a).await;
        let mut b = user("zed");
        b["name"] = json!({"givenName": "Zed", "familyName": "Zorn"});
        b["title"] = json!("Agent");
        app.create_user(b).await;
        for (filter, want) in [
            ("userName eq \"ärger\"", vec!["Ärger"]),
            ("name.familyName eq \"ÅNGSTRÖM\"", vec!["Ärger"]),
            ("name.givenName sw \"å\"", vec!["Ärger"]),
            ("title co \"ÜBER\"", vec!["Ärger"]),
            ("emails.value eq \"ärger@example.com\"", vec!["Ärger"]),
            ("emails[value ew \"R@EXAMPLE.COM\"]", vec!["Ärger"]),
        ] {
            assert_eq!(filtered(&app, filter).await, want, "{filter}");
        }
        // caseExact attributes compare exactly.
        let mut c = user("exact");
        c["externalId"] = json!("Ext-Ü");
        app.create_user(c).await;
        assert_eq!(filtered(&app, "externalId eq \"Ext-Ü\"").await, ["exact"]);
        assert!(filtered(&app, "externalId eq \"ext-ü\"").await.is_empty());
        // Sorting folds the same way: "Überchef" sorts with the Us, after "Agent".
        let by_title = names(&list(&app, "sortBy=title&filter=title%20pr").await);
        assert_eq!(by_title, ["zed", "Ärger"]);
        // The uniqueness key folds Unicode too.
        let r = app
            .req(
                "POST",
                "Users",
                Some(json!({"schemas": [USER_URN], "userName": "ÄRGER"})),
            )
            .await;
        assert_error(&r, 409, Some("uniqueness"));
    }
);

on_both!(more_filter_forms, async |app: TestApp| {
    seed(&app).await;
    let alice_id =
        list(&app, &format!("filter={}", enc("userName eq \"alice\""))).await["Resources"][0]["id"]
            .as_str()
            .unwrap()
            .to_string();
    for (filter, want) in [
        (format!("id eq \"{alice_id}\""), vec!["Alice"]),
        (
            "userName gt \"b\"".to_string(),
            vec!["bob", "Carol", "dave"],
        ),
        ("userName le \"bob\"".to_string(), vec!["Alice", "bob"]),
        ("emails.primary eq true".to_string(), vec!["Alice"]),
        (
            "emails[not (type eq \"work\")]".to_string(),
            vec!["bob", "Carol"],
        ),
        (
            "emails.type eq \"work\" and emails.value co \"@x\"".to_string(),
            vec!["Alice", "bob"],
        ),
        ("title pr".to_string(), vec!["bob"]),
        ("not (title pr)".to_string(), vec!["Alice", "Carol", "dave"]),
        (
            "title ne \"Boss\"".to_string(),
            vec!["Alice", "Carol", "dave"],
        ),
        ("name.familyName eq null".to_string(), vec!["dave"]),
        (
            "meta.resourceType eq \"User\"".to_string(),
            vec!["Alice", "bob", "Carol", "dave"],
        ),
    ] {
        let got = filtered(&app, &filter).await;
        assert_eq!(
            sorted(got),
            sorted(want.iter().map(|s| s.to_string()).collect()),
            "{filter}"
        );
    }
    // Cursor paging honours the filter.
    let r = list(
        &app,
        &format!("cursor=&count=1&filter={}", enc("active eq true")),
    )
    .await;
    assert_eq!(names(&r), ["Alice"]);
    let next = r["nextCursor"].as_str().unwrap();
    let r = list(
        &app,
        &format!("cursor={next}&count=5&filter={}", enc("active eq true")),
    )
    .await;
    assert_eq!(names(&r), ["bob", "dave"]);
    assert!(r.get("nextCursor").is_none());
});

on_both!(
    a_users_groups_come_in_display_name_order,
    async |app: TestApp| {
        let ann = app.create_user(user("ann")).await;
        // Created out of order; a deleted group drops out.
        for name in ["Tier 2", "DialAiAdmin", "Gone", "Maintainer"] {
            let g = app
                .req(
                    "POST",
                    "Groups",
                    Some(json!({
                        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"],
                        "displayName": name,
                        "members": [{"value": ann}]
                    })),
                )
                .await;
            assert_eq!(g.status, 201, "{}", g.body);
            if name == "Gone" {
                let id = g.body["id"].as_str().unwrap();
                let r = app.req("DELETE", &format!("Groups/{id}"), None).await;
                assert_eq!(r.status, 204);
            }
        }
        let displays = |u: &Value| -> Vec<String> {
            u["groups"]
                .as_array()
                .unwrap_or(&Vec::new())
                .iter()
                .map(|g| g["display"].as_str().unwrap_or_default().to_string())
                .collect()
        };
        let want = ["DialAiAdmin", "Maintainer", "Tier 2"];
        assert_eq!(displays(&get(&app, &ann).await), want);
        let page = list(&app, "startIndex=1&count=10").await;
        assert_eq!(displays(&page["Resources"][0]), want, "{page}");
        let found = list(&app, &format!("filter={}", enc("userName eq \"ann\""))).await;
        assert_eq!(displays(&found["Resources"][0]), want, "{found}");
    }
);

on_both!(
    groups_attribute_lists_role_memberships_and_filters,
    async |app: TestApp| {
        let ann = app.create_user(user("ann")).await;
        let bob = app.create_user(user("bob")).await;
        let g = app
            .req(
                "POST",
                "Groups",
                Some(json!({
                    "schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"],
                    "displayName": "Maintainer",
                    "members": [{"value": ann}]
                })),
            )
            .await;
        assert_eq!(g.status, 201, "{}", g.body);
        let gid = g.body["id"].as_str().unwrap().to_string();
        let u = get(&app, &ann).await;
        assert_eq!(u["groups"].as_array().map(Vec::len), Some(1), "{u}");
        assert_eq!(u["groups"][0]["value"], gid.as_str());
        assert_eq!(u["groups"][0]["display"], "Maintainer");
        assert!(get(&app, &bob).await.get("groups").is_none());
        // readOnly: a PUT carrying groups changes nothing about them.
        let mut put = user("bob");
        put["groups"] = json!([{"value": gid}]);
        let r = app.req("PUT", &format!("Users/{bob}"), Some(put)).await;
        assert_eq!(r.status, 200, "{}", r.body);
        assert!(get(&app, &bob).await.get("groups").is_none());
        // Filtering on the derived attribute reads the memberships.
        assert_eq!(
            filtered(&app, &format!("groups.value eq \"{gid}\"")).await,
            ["ann"]
        );
        assert_eq!(
            filtered(&app, &format!("groups eq \"{gid}\"")).await,
            ["ann"]
        );
        assert_eq!(filtered(&app, "groups pr").await, ["ann"]);
        assert_eq!(filtered(&app, "not (groups pr)").await, ["bob"]);
        let r = list(
            &app,
            &format!("filter={}&attributes=groups", enc("userName eq \"ann\"")),
        )
        .await;
        assert_eq!(r["Resources"][0]["groups"][0]["value"], gid.as_str());
    }
);

on_both!(
    root_search_treats_attributes_of_other_resource_types_as_unassigned,
    async |app: TestApp| {
        seed(&app).await;
        let g = app
        .req("POST", "Groups", Some(json!({"schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"], "displayName": "Maintainer"})))
        .await;
        assert_eq!(g.status, 201, "{}", g.body);
        // RFC 7644 3.4.2.1: "For filtered attributes that are not part of a particular resource
        // type, the service provider SHALL treat the attribute as if there is no attribute value."
        for (filter, want) in [
            ("userName eq \"alice\"", vec!["User"]),
            ("displayName eq \"Maintainer\"", vec!["Group"]),
            (
                "userName eq \"alice\" or displayName eq \"Maintainer\"",
                vec!["User", "Group"],
            ),
            ("not (userName pr)", vec!["Group"]),
            ("members pr", vec![]),
        ] {
            let r = app
                .req(
                    "POST",
                    ".search",
                    Some(json!({"schemas": [SEARCH], "filter": filter})),
                )
                .await;
            assert_eq!(r.status, 200, "{filter}: {}", r.body);
            let types: Vec<&str> = r.body["Resources"]
                .as_array()
                .unwrap()
                .iter()
                .map(|x| x["meta"]["resourceType"].as_str().unwrap())
                .collect();
            assert_eq!(types, want, "{filter}");
            assert_eq!(r.body["totalResults"], want.len(), "{filter}");
        }
        // A filter naming an attribute no resource type has is still an error.
        let r = app
            .req(
                "POST",
                ".search",
                Some(json!({"schemas": [SEARCH], "filter": "nosuch eq \"x\""})),
            )
            .await;
        assert_error(&r, 400, Some("invalidFilter"));
    }
);

on_both!(
    patch_answers_the_projected_resource,
    async |app: TestApp| {
        let id = app.create_user(user("projected")).await;
        let r = app
            .req(
                "PATCH",
                &format!("Users/{id}?attributes=title"),
                Some(patch(
                    json!([{"op": "add", "path": "title", "value": "Lead"}]),
                )),
            )
            .await;
        assert_eq!(r.status, 200, "{}", r.body);
        assert_eq!(r.body["title"], "Lead");
        assert_eq!(r.body["id"], id.as_str());
        assert!(
            r.body.get("emails").is_none() && r.body.get("name").is_none(),
            "{}",
            r.body
        );
        assert_eq!(r.header("etag").as_deref(), Some("W/\"2\""));
    }
);

on_both!(
    sort_by_a_multi_valued_attribute_uses_the_primary_else_the_first_value,
    async |app: TestApp| {
        // RFC 7644 3.4.2.3: sorted "by the value of the primary attribute, if any, or else the
        // first value in the list, if any".
        for (name, emails) in [
            ("u-c", json!([{"value": "c@x.com", "type": "work"}])),
            (
                "u-a",
                json!([{"value": "z@x.com", "type": "home"}, {"value": "a@x.com", "type": "work", "primary": true}]),
            ),
            ("u-none", json!(null)),
            (
                "u-b",
                json!([{"value": "b@x.com", "type": "work"}, {"value": "0@x.com", "type": "home"}]),
            ),
        ] {
            app.create_user(json!({"schemas": [USER_URN], "userName": name, "emails": emails}))
                .await;
        }
        for sort in ["emails", "emails.value"] {
            let asc = names(&list(&app, &format!("sortBy={sort}")).await);
            assert_eq!(asc, ["u-a", "u-b", "u-c", "u-none"], "{sort}");
            let desc = names(&list(&app, &format!("sortBy={sort}&sortOrder=descending")).await);
            assert_eq!(
                desc,
                ["u-c", "u-b", "u-a", "u-none"],
                "{sort}: unassigned last"
            );
        }
        let r = list(&app, "count=-5").await;
        assert_eq!(
            (r["totalResults"].as_i64(), r["itemsPerPage"].as_i64()),
            (Some(4), Some(0))
        );
    }
);
