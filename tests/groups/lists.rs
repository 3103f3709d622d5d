//! Listing groups: filters on displayName and members, sorting, index and cursor paging.

use super::*;

on_both!(
    list_filters_by_display_name_and_member,
    async |app: TestApp| {
        let ids = users(&app, "cy", 3).await;
        let admins = create_group(&app, group("DialAiAdmin", &[&ids[0]])).await;
        let maint = create_group(&app, group("Maintainer", &[&ids[0], &ids[1]])).await;
        let _ro = create_group(&app, group("Read-Only", &[])).await;
        // displayName is caseExact false (schemas/group.json): eq ignores case.
        let r = app
            .req(
                "GET",
                &format!("Groups?filter={}", q("displayName eq \"maintainer\"")),
                None,
            )
            .await;
        assert_eq!(r.status, 200, "{}", r.body);
        assert_eq!(r.body["totalResults"], 1);
        assert_eq!(list_ids(&r.body), [maint.as_str()]);
        assert_eq!(r.body["Resources"][0]["displayName"], "Maintainer");
        // Okta's lookup with startIndex/count.
        let r = app
            .req(
                "GET",
                &format!(
                    "Groups?filter={}&startIndex=1&count=100",
                    q("displayName eq \"DIALAIADMIN\"")
                ),
                None,
            )
            .await;
        assert_eq!(list_ids(&r.body), [admins.as_str()]);
        // Member filters, both spellings; the member id is caseExact.
        for f in [
            format!("members[value eq \"{}\"]", ids[0]),
            format!("members.value eq \"{}\"", ids[0]),
        ] {
            let r = app
                .req(
                    "GET",
                    &format!("Groups?filter={}&sortBy=displayName", q(&f)),
                    None,
                )
                .await;
            assert_eq!(r.status, 200, "{f}: {}", r.body);
            assert_eq!(list_ids(&r.body), [admins.as_str(), maint.as_str()], "{f}");
        }
        let f = format!("members[value eq \"{}\"]", ids[1]);
        let r = app
            .req("GET", &format!("Groups?filter={}", q(&f)), None)
            .await;
        assert_eq!(list_ids(&r.body), [maint.as_str()]);
        let f = format!(
            "displayName eq \"dialaiadmin\" and members.value eq \"{}\"",
            ids[1]
        );
        let r = app
            .req("GET", &format!("Groups?filter={}", q(&f)), None)
            .await;
        assert_eq!(r.body["totalResults"], 0);
        // A filter matching nothing is 200 with an empty list (design section 2).
        let f = format!("members.value eq \"{}\"", ids[2]);
        let r = app
            .req("GET", &format!("Groups?filter={}", q(&f)), None)
            .await;
        assert_eq!(r.status, 200);
        assert_eq!(r.body["totalResults"], 0);
        assert_eq!(r.body["Resources"], json!([]));
        // Lists render members unless excluded.
        let f = "displayName eq \"Maintainer\"";
        let r = app
            .req("GET", &format!("Groups?filter={}", q(f)), None)
            .await;
        assert_eq!(
            sorted_ids(&r.body["Resources"][0]["members"]),
            sorted(&[&ids[0], &ids[1]])
        );
        let r = app
            .req(
                "GET",
                &format!("Groups?filter={}&excludedAttributes=members", q(f)),
                None,
            )
            .await;
        assert!(
            r.body["Resources"][0].get("members").is_none(),
            "{}",
            r.body
        );
        assert_eq!(r.body["Resources"][0]["displayName"], "Maintainer");
        // POST /Groups/.search takes the same filter.
        let search = json!({
            "schemas": ["urn:ietf:params:scim:api:messages:2.0:SearchRequest"],
            "filter": format!("members[value eq \"{}\"]", ids[1]),
            "excludedAttributes": ["members"]
        });
        let r = app.req("POST", "Groups/.search", Some(search)).await;
        assert_eq!(r.status, 200, "{}", r.body);
        assert_eq!(list_ids(&r.body), [maint]);
        assert!(r.body["Resources"][0].get("members").is_none());
    }
);

on_both!(
    list_sorts_and_pages_by_index_and_cursor,
    async |app: TestApp| {
        for name in ["G-c", "g-a", "G-e", "g-b", "G-d"] {
            create_group(&app, group(name, &[])).await;
        }
        // caseExact false: sorting ignores case (RFC 7644 3.4.2.3).
        let r = app.req("GET", "Groups?sortBy=displayName", None).await;
        assert_eq!(list_names(&r.body), ["g-a", "g-b", "G-c", "G-d", "G-e"]);
        let r = app
            .req(
                "GET",
                "Groups?sortBy=displayName&sortOrder=descending",
                None,
            )
            .await;
        assert_eq!(list_names(&r.body), ["G-e", "G-d", "G-c", "g-b", "g-a"]);
        // Index paging (RFC 7644 3.4.2.4): 1-based startIndex, totalResults over all pages.
        let r = app
            .req(
                "GET",
                "Groups?sortBy=displayName&startIndex=2&count=2",
                None,
            )
            .await;
        assert_eq!(r.body["totalResults"], 5);
        assert_eq!(r.body["itemsPerPage"], 2);
        assert_eq!(r.body["startIndex"], 2);
        assert_eq!(list_names(&r.body), ["g-b", "G-c"]);
        let r = app
            .req(
                "GET",
                "Groups?sortBy=displayName&startIndex=5&count=2",
                None,
            )
            .await;
        assert_eq!(list_names(&r.body), ["G-e"]);
        let r = app.req("GET", "Groups?count=0", None).await;
        assert_eq!(r.body["totalResults"], 5);
        assert_eq!(r.body["Resources"], json!([]));
        // Cursor paging (RFC 9865): every group exactly once, no nextCursor on the last page.
        let mut seen = Vec::new();
        let mut cursor = String::new();
        for page in 0.. {
            assert!(page < 5, "cursor paging does not end");
            let r = app
                .req(
                    "GET",
                    &format!("Groups?count=2&cursor={}", q(&cursor)),
                    None,
                )
                .await;
            assert_eq!(r.status, 200, "{}", r.body);
            assert!(r.body.get("startIndex").is_none(), "{}", r.body);
            seen.extend(list_names(&r.body));
            match r.body["nextCursor"].as_str() {
                Some(next) => {
                    assert_eq!(r.body["itemsPerPage"], 2);
                    cursor = next.to_string();
                }
                None => break,
            }
        }
        seen.sort_by_key(|s| s.to_lowercase());
        assert_eq!(seen, ["g-a", "g-b", "G-c", "G-d", "G-e"]);
        // A cursor this service did not issue is 400 invalidCursor (RFC 9865 2.1).
        let r = app.req("GET", "Groups?count=2&cursor=bogus", None).await;
        assert_error(&r, 400, "invalidCursor");
    }
);
