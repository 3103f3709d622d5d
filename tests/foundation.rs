//! Foundation: authentication, tenancy, error bodies, discovery.

mod common;

use serde_json::json;

use common::{TestApp, TestDb, user};

on_both!(
    service_provider_config_answers_with_token,
    async |app: TestApp| {
        let r = app.req("GET", "ServiceProviderConfig", None).await;
        assert_eq!(r.status, 200);
        assert_eq!(
            r.header("content-type").as_deref(),
            Some("application/scim+json")
        );
        assert_eq!(r.body["patch"]["supported"], true);
        assert_eq!(r.body["filter"]["maxResults"], 1000);
    }
);

on_both!(
    missing_malformed_and_foreign_tokens_get_401,
    async |app: TestApp| {
        for token in ["", "garbage", "a.b.c"] {
            let r = app.req_with("GET", "Users", None, token, &[]).await;
            assert_eq!(r.status, 401, "token {token:?}");
            assert_eq!(r.body["status"], "401");
            assert!(
                r.header("www-authenticate")
                    .unwrap_or_default()
                    .starts_with("Bearer")
            );
        }
        // A token with valid claims signed by another key.
        let other = scim_connector::domain::tenant::TokenSigner::new(
            b"another-key-another-key-another-key!",
        );
        let forged = other
            .issue(
                app.tenant,
                scim_connector::domain::ids::ClientId::random(),
                chrono::Utc::now(),
            )
            .unwrap();
        assert_eq!(
            app.req_with("GET", "Users", None, &forged, &[])
                .await
                .status,
            401
        );
    }
);

on_both!(
    revoked_token_is_refused_on_the_next_request,
    async |app: TestApp| {
        let now = chrono::Utc::now();
        let (client, token) =
            scim_connector::app::issue_token(&app.store, &app.signer, app.tenant, "entra", now)
                .await
                .unwrap();
        assert_eq!(
            app.req_with("GET", "Users", None, &token, &[]).await.status,
            200
        );
        let n = app
            .store
            .revoke_client(app.tenant, "entra", now.timestamp_micros())
            .await
            .unwrap();
        assert_eq!(n, 1);
        let r = app.req_with("GET", "Users", None, &token, &[]).await;
        assert_eq!(r.status, 401, "{}", r.body);
        // Revoking by id works as well; the original token is untouched.
        assert_eq!(
            app.store
                .revoke_client(app.tenant, &client.id.to_string(), now.timestamp_micros())
                .await
                .unwrap(),
            0
        );
        assert_eq!(app.req("GET", "Users", None).await.status, 200);
    }
);

/// Events recorded for a client, by outcome.
async fn events_of_client(app: &TestApp, client: &str) -> Vec<(String, i32)> {
    use diesel::prelude::*;
    use diesel_async::RunQueryDsl;
    use scim_connector::store::schema::sync_events;
    app.store.flush_events().await;
    let client = client.to_string();
    let rows: Result<Vec<(String, i32)>, scim_connector::store::error::StoreError> = async {
        Ok(scim_connector::with_conn!(app.store, |c, _d| {
            sync_events::table
                .filter(sync_events::client_id.eq(&client))
                .select((sync_events::action, sync_events::status))
                .order(sync_events::id)
                .load(c)
                .await?
        }))
    }
    .await;
    rows.expect("events")
}

on_both!(
    reads_carry_the_token_check_and_a_revoked_token_reads_nothing,
    async |app: TestApp| {
        // Reads make the token's database check in the read's own round trip; whatever the
        // read would have answered (200, 304, 400, 404), a revoked token gets 401 and leaves
        // no sync event.
        let now = chrono::Utc::now();
        let (client, token) =
            scim_connector::app::issue_token(&app.store, &app.signer, app.tenant, "entra", now)
                .await
                .unwrap();
        let id = app.create_user(user("gate-user")).await;
        let group = app
            .req(
                "POST",
                "Groups",
                Some(
                    json!({"schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"],
                            "displayName": "Gate"}),
                ),
            )
            .await;
        assert_eq!(group.status, 201, "{}", group.body);
        let gid = group.body["id"].as_str().unwrap().to_string();
        let reads = [
            format!("Users/{id}"),
            // Without groups: the row alone, the check still a column of its statement.
            format!("Users/{id}?attributes=userName"),
            "Users?filter=userName%20eq%20%22gate-user%22".to_string(),
            "Users?startIndex=1&count=10".to_string(),
            format!("Groups/{gid}"),
            "Groups?filter=displayName%20eq%20%22Gate%22".to_string(),
            // Lookups that find nothing (an IdP's check before a create): the check rides
            // on the statement's one row all the same.
            "Users?filter=userName%20eq%20%22nobody%22".to_string(),
            "Groups?filter=displayName%20eq%20%22Nobody%22".to_string(),
            "Users?filter=externalId%20eq%20%22none%22&attributes=userName".to_string(),
        ];
        for path in &reads {
            let r = app.req_with("GET", path, None, &token, &[]).await;
            assert_eq!(r.status, 200, "{path}: {}", r.body);
            if path.contains("nobody") || path.contains("Nobody") || path.contains("none") {
                assert_eq!(r.body["totalResults"], 0, "{path}: {}", r.body);
                assert_eq!(r.body["Resources"], json!([]), "{path}: {}", r.body);
            } else if path.contains("filter=") {
                assert_eq!(r.body["totalResults"], 1, "{path}: {}", r.body);
            }
        }
        let refused = [
            ("Users?filter=userName%20eq", 400),
            ("Users/00000000-0000-0000-0000-000000000000", 404),
            ("Users/not-an-id", 404),
            ("Groups?attributes=members.nope.deeper", 400),
        ];
        for (path, status) in refused {
            let r = app.req_with("GET", path, None, &token, &[]).await;
            assert_eq!(r.status, status, "{path}: {}", r.body);
        }
        let before = events_of_client(&app, &client.id.to_string()).await;
        assert_eq!(
            before.iter().filter(|(a, _)| a == "read").count(),
            reads.len(),
            "one read event per read: {before:?}"
        );
        assert!(
            before.iter().any(|(a, s)| a == "rejected" && *s == 400),
            "{before:?}"
        );

        app.store
            .revoke_client(app.tenant, "entra", now.timestamp_micros())
            .await
            .unwrap();
        for path in reads.iter().map(String::as_str).chain(refused.map(|r| r.0)) {
            let r = app.req_with("GET", path, None, &token, &[]).await;
            assert_eq!(r.status, 401, "{path}: {}", r.body);
            assert_eq!(r.body["status"], "401");
            assert!(
                r.body.get("Resources").is_none() && r.body.get("userName").is_none(),
                "{path}: nothing read may leave: {}",
                r.body
            );
        }
        // The If-None-Match short cut (304) is refused as well.
        let etag = app.req("GET", &format!("Users/{id}"), None).await;
        let etag = etag.header("etag").unwrap();
        let r = app
            .req_with(
                "GET",
                &format!("Users/{id}"),
                None,
                &token,
                &[("If-None-Match", etag.as_str())],
            )
            .await;
        assert_eq!(r.status, 401);
        // User PATCH and PUT carry the check with the read of the row before their write, a
        // user create as the condition of its insert: a revoked token writes nothing, whether
        // the write would have succeeded or not.
        let patch = json!({"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
                           "Operations": [{"op": "replace", "path": "displayName",
                                           "value": "Revoked Writer"}]});
        let mut put = user("gate-user");
        put["displayName"] = json!("Revoked Writer");
        // A create with skills takes the transaction path (the check is made before it).
        let now = chrono::Utc::now().timestamp_micros();
        app.store
            .add_skills(app.tenant, &["Sales".into()], now)
            .await
            .unwrap();
        let mut skilled = user("revoked-create");
        skilled["urn:dialai:params:scim:schemas:extension:operator:2.0:User"] =
            json!({"skills": ["Sales"]});
        let writes = [
            ("PATCH", format!("Users/{id}"), patch.clone()),
            ("PUT", format!("Users/{id}"), put.clone()),
            (
                "PATCH",
                "Users/00000000-0000-0000-0000-000000000000".into(),
                patch.clone(),
            ),
            (
                "PATCH",
                format!("Users/{id}"),
                json!({"Operations": "not a list"}),
            ),
            ("POST", "Users".into(), user("revoked-create")),
            ("POST", "Users".into(), user("gate-user")),
            ("POST", "Users".into(), json!({"userName": 7})),
            ("POST", "Users".into(), skilled),
        ];
        for (method, path, body) in &writes {
            let r = app
                .req_with(method, path, Some(body.clone()), &token, &[])
                .await;
            assert_eq!(r.status, 401, "{method} {path}: {}", r.body);
            assert!(r.body.get("userName").is_none(), "{}", r.body);
        }
        let created = app
            .req(
                "GET",
                "Users?filter=userName%20eq%20%22revoked-create%22",
                None,
            )
            .await;
        assert_eq!(created.body["totalResults"], 0, "{}", created.body);
        let after = app.req("GET", &format!("Users/{id}"), None).await;
        assert_ne!(
            after.body["displayName"], "Revoked Writer",
            "{}",
            after.body
        );
        assert_eq!(
            after.header("etag"),
            Some(etag.clone()),
            "unchanged: {}",
            after.body
        );
        assert_eq!(
            events_of_client(&app, &client.id.to_string()).await,
            before,
            "a revoked token leaves no event"
        );
        // The live token still reads.
        assert_eq!(
            app.req("GET", &format!("Users/{id}"), None).await.status,
            200
        );
    }
);

on_both!(errors_are_scim_bodies, async |app: TestApp| {
    let r = app.req("GET", "NoSuchThing", None).await;
    assert_eq!(r.status, 404);
    assert_eq!(
        r.body["schemas"][0],
        "urn:ietf:params:scim:api:messages:2.0:Error"
    );
    let r = app.req("DELETE", "ServiceProviderConfig", None).await;
    assert_eq!(r.status, 405);
    assert_eq!(r.body["status"], "405");
    let r = app
        .raw(
            "POST",
            "Users",
            Some(b"{not json".to_vec()),
            &app.token.clone(),
            &[],
        )
        .await;
    assert_eq!(r.status, 400);
    assert_eq!(r.body["scimType"], "invalidSyntax");
    let big = vec![b' '; 2 * 1024 * 1024];
    let r = app
        .raw("POST", "Users", Some(big), &app.token.clone(), &[])
        .await;
    assert_eq!(r.status, 413);
    assert_eq!(r.body["status"], "413");
    let r = app.req("GET", "Me", None).await;
    assert_eq!(r.status, 501);
});

on_both!(tenants_are_isolated, async |app: TestApp| {
    let id = app.create_user(user("isolated")).await;
    let other = app.other_tenant_token("t2").await;
    for (method, body) in [
        ("GET", None),
        ("PUT", Some(user("isolated"))),
        (
            "PATCH",
            Some(
                json!({"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"replace","path":"active","value":false}]}),
            ),
        ),
        ("DELETE", None),
    ] {
        let r = app
            .req_with(method, &format!("Users/{id}"), body, &other, &[])
            .await;
        assert_eq!(r.status, 404, "{method}: {}", r.body);
    }
    let r = app.req_with("GET", "Users", None, &other, &[]).await;
    assert_eq!(r.body["totalResults"], 0);
    let r = app.req("GET", &format!("Users/{id}"), None).await;
    assert_eq!(r.status, 200);
    assert_eq!(r.body["active"], true);
});

on_both!(discovery_is_complete, async |app: TestApp| {
    let r = app.req("GET", "ResourceTypes", None).await;
    let names: Vec<&str> = r.body["Resources"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["User", "Group"]);
    let r = app.req("GET", "Schemas", None).await;
    assert_eq!(r.body["totalResults"], 4);
    let r = app
        .req(
            "GET",
            "Schemas/urn:ietf:params:scim:schemas:core:2.0:User",
            None,
        )
        .await;
    assert_eq!(r.status, 200);
    let user_name = r.body["attributes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["name"] == "userName")
        .unwrap();
    assert_eq!(user_name["mutability"], "immutable");
    assert_eq!(
        app.req("GET", "ResourceTypes/Group", None).await.body["endpoint"],
        "/Groups"
    );
});

on_both!(
    planner_statistics_follow_a_bulk_load,
    async |app: TestApp| {
        for i in 0..80 {
            app.create_user(user(&format!("stats-{i}"))).await;
        }
        let analysed = app.store.refresh_statistics().await.unwrap();
        if app.backend == "postgres" {
            // At once: the rows this process inserted count before PostgreSQL publishes its
            // counters (up to ten seconds later).
            assert!(
                analysed.iter().any(|t| t == "users"),
                "80 new users must trigger ANALYZE users, got {analysed:?}"
            );
            let again = app.store.refresh_statistics().await.unwrap();
            assert!(
                !again.iter().any(|t| t == "users"),
                "nothing changed since: {again:?}"
            );
            // Paced: 80 more users make the table stale again, but it was just analysed and
            // its size is near what the planner knows, so it waits its minute (an ANALYZE
            // invalidates every cached plan on the table).
            for i in 80..160 {
                app.create_user(user(&format!("stats-{i}"))).await;
            }
            for _ in 0..15 {
                tokio::time::sleep(std::time::Duration::from_millis(100)).await;
                let paced = app.store.refresh_statistics().await.unwrap();
                assert!(
                    !paced.iter().any(|t| t == "users"),
                    "analysed again within its minute: {paced:?}"
                );
            }
            // Far from what the planner knows (thousands of rows more): seen to at once.
            let tenant = app.tenant.to_string();
            let inserted: Result<usize, scim_connector::store::error::StoreError> = async {
                use diesel_async::RunQueryDsl;
                Ok(scim_connector::with_write!(app.store, |c, _d| {
                    diesel::sql_query(
                        "INSERT INTO users (id, tenant_id, user_name, user_name_key, active, \
                         csr_user, voice_calls, status, doc, version, created_at, updated_at) \
                         SELECT 'bulk-' || n, $1, 'bulk-' || n, 'bulk-' || n, true, false, \
                         false, 'Offline', '{}', 1, n, n FROM generate_series(1, 2500) n",
                    )
                    .bind::<diesel::sql_types::Text, _>(&tenant)
                    .execute(c)
                    .await?
                }))
            }
            .await;
            assert_eq!(inserted.unwrap(), 2500);
            let mut seen = false;
            for _ in 0..50 {
                tokio::time::sleep(std::time::Duration::from_millis(100)).await;
                if app
                    .store
                    .refresh_statistics()
                    .await
                    .unwrap()
                    .iter()
                    .any(|t| t == "users")
                {
                    seen = true;
                    break;
                }
            }
            assert!(
                seen,
                "a table grown far past its statistics is analysed at once"
            );
            // The lookup of one user by userName now uses its unique index.
            let r = app
                .req("GET", "Users?filter=userName%20eq%20%22stats-7%22", None)
                .await;
            assert_eq!(r.body["totalResults"], 1);
            // The event log is another matter: its growth does not cut its ten minutes
            // between two ANALYZEs short (only the admin pages read it).
            let run = |sql: &'static str| {
                let store = app.store.clone();
                async move {
                    let r: Result<usize, scim_connector::store::error::StoreError> = async {
                        use diesel_async::RunQueryDsl;
                        Ok(scim_connector::with_write!(store, |c, _d| {
                            diesel::sql_query(sql).execute(c).await?
                        }))
                    }
                    .await;
                    r.unwrap()
                }
            };
            run("ANALYZE sync_events").await;
            let before: i64 = sync_events_rows(&app).await;
            let grown = run(
                "INSERT INTO sync_events (id, tenant_id, at, method, path, action, outcome, \
                 status, duration_us) SELECT 'log-' || n, tenants.id, n, 'GET', '/', 'read', \
                 'ok', 200, 1 FROM tenants CROSS JOIN generate_series(1, 3000) n",
            )
            .await;
            assert!(grown >= 3000);
            // Once PostgreSQL has published the log's new size (an eager table that grown
            // would be analysed at once, as `users` was above)...
            let mut published = false;
            for _ in 0..150 {
                if sync_events_rows(&app).await >= before + 3000 {
                    published = true;
                    break;
                }
                tokio::time::sleep(std::time::Duration::from_millis(100)).await;
            }
            assert!(
                published,
                "the statistics counters never showed the new events"
            );
            let paced = app.store.refresh_statistics().await.unwrap();
            assert!(
                !paced.iter().any(|t| t == "sync_events"),
                "the event log is analysed on its own pace: {paced:?}"
            );
        } else {
            assert!(
                analysed.is_empty(),
                "SQLite has nothing to analyse: {analysed:?}"
            );
        }
    }
);

/// Live rows of `sync_events` as PostgreSQL's statistics counters show them.
async fn sync_events_rows(app: &TestApp) -> i64 {
    #[derive(diesel::QueryableByName)]
    struct Rows {
        #[diesel(sql_type = diesel::sql_types::BigInt)]
        n: i64,
    }
    let r: Result<Rows, scim_connector::store::error::StoreError> = async {
        use diesel_async::RunQueryDsl;
        Ok(scim_connector::with_conn!(app.store, |c, _d| {
            diesel::sql_query(
                "SELECT n_live_tup AS n FROM pg_stat_user_tables WHERE relname = 'sync_events'",
            )
            .get_result(c)
            .await?
        }))
    }
    .await;
    r.unwrap().n
}

on_both!(every_read_is_recorded_in_batches, async |app: TestApp| {
    let id = app.create_user(user("reader")).await;
    // More reads than one multi-row INSERT holds (256), concurrently.
    let path = format!("Users/{id}");
    let reads: Vec<_> = (0..300).map(|_| app.req("GET", &path, None)).collect();
    for r in futures_util::future::join_all(reads).await {
        assert_eq!(r.status, 200, "{}", r.body);
    }
    app.store.flush_events().await;
    let q = scim_connector::domain::admin::sync::EventQuery {
        resource_id: Some(id.clone()),
        action: Some("read".into()),
        limit: 1000,
        ..Default::default()
    };
    let events = app.store.query_events(app.tenant, &q).await.unwrap();
    assert_eq!(events.len(), 300, "one read event per GET");
    assert!(events.iter().all(|e| e.status == 200 && e.outcome == "ok"));
});

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn migrations_run_up_down_up_on_both_backends() {
    let mut dbs = vec![TestDb::sqlite()];
    dbs.extend(TestDb::postgres().await);
    for db in dbs {
        let store = db.store().await;
        assert!(store.revert_all().await.unwrap() >= 1, "{}", db.backend);
        assert!(store.migrate().await.unwrap() >= 1, "{}", db.backend);
        assert_eq!(store.migrate().await.unwrap(), 0, "{}", db.backend);
    }
}

/// An unfiltered page on PostgreSQL keeps one plan: its `LIMIT` and `OFFSET` are planned
/// inside `live_page`, so the statement that reads the page's rows has no parameter
/// whose value would make PostgreSQL plan it again on every page (it did, 899 times in 942).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_pages_keep_one_plan() {
    let Some(db) = TestDb::postgres().await else {
        return;
    };
    // The test's own thread makes every request in turn, so its pages and the check below
    // share its pool's one connection (prepared statements live in a session).
    let app = TestApp::new(&db).await;
    for i in 0..3 {
        app.create_user(user(&format!("plan-{i}"))).await;
    }
    for start in [1, 2, 3, 1, 2, 3, 1, 2, 3, 1] {
        let r = app
            .req("GET", &format!("Users?startIndex={start}&count=1"), None)
            .await;
        assert_eq!(r.status, 200, "{}", r.body);
        assert_eq!(r.body["totalResults"], 3);
        assert_eq!(
            r.body["Resources"][0]["userName"],
            format!("plan-{}", start - 1)
        );
    }
    #[derive(diesel::QueryableByName, Debug)]
    struct Plans {
        #[diesel(sql_type = diesel::sql_types::BigInt)]
        generic_plans: i64,
        #[diesel(sql_type = diesel::sql_types::BigInt)]
        custom_plans: i64,
    }
    let plans: Result<Vec<Plans>, scim_connector::store::error::StoreError> = async {
        use diesel_async::RunQueryDsl;
        Ok(scim_connector::with_conn!(app.store, |c, _d| {
            diesel::sql_query(
                "SELECT generic_plans, custom_plans FROM pg_prepared_statements \
                 WHERE statement LIKE '%FROM live_page(%' \
                 AND statement NOT LIKE '%pg_prepared_statements%'",
            )
            .load(c)
            .await?
        }))
    }
    .await;
    let plans = plans.unwrap();
    assert_eq!(plans.len(), 1, "one prepared page statement: {plans:?}");
    // PostgreSQL makes five custom plans before it weighs the generic one.
    assert!(
        plans[0].generic_plans >= 5 && plans[0].custom_plans <= 5,
        "the page's plan is reused: {plans:?}"
    );
}

/// A page at any `startIndex` on PostgreSQL starts at the right row when the skip crosses
/// `live_order`'s chunks: `live_page` finds the start's chunk from the per-chunk
/// counts and skips inside it. The test's sequence steps by 300, so a chunk of 1,024
/// numbers holds three or four entries and twenty users span several; deletions leave
/// chunks short, and users created after them land in later chunks. Then each chunk's count
/// is spread over more slots (the sum kept), as concurrent creates from many connections
/// spread it, and the upkeep folds the slots of every chunk before the newest into one row
/// (`Store::fold_live_chunks`): the pages stay the same through both.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_pages_skip_through_chunks() {
    let Some(db) = TestDb::postgres().await else {
        return;
    };
    let app = TestApp::new(&db).await;
    app.sql("ALTER SEQUENCE live_order_seq INCREMENT BY 300")
        .await;
    let mut live = Vec::new();
    for i in 0..20 {
        live.push((
            format!("chunk-{i:02}"),
            app.create_user(user(&format!("chunk-{i:02}"))).await,
        ));
    }
    for gone in [15, 9, 2] {
        let (_, id) = live.remove(gone);
        let r = app.req("DELETE", &format!("Users/{id}"), None).await;
        assert_eq!(r.status, 204, "{}", r.body);
    }
    for i in 20..23 {
        live.push((
            format!("chunk-{i:02}"),
            app.create_user(user(&format!("chunk-{i:02}"))).await,
        ));
    }
    let chunks = app
        .sql_n("SELECT COUNT(DISTINCT chunk) AS n FROM live_chunks WHERE kind = 'users'")
        .await;
    assert!(chunks >= 5, "the users span several chunks: {chunks}");
    let names: Vec<&str> = live.iter().map(|(n, _)| n.as_str()).collect();
    let pages_are_right = async |when: &str| {
        for start in 1..=names.len() + 1 {
            let r = app
                .req(
                    "GET",
                    &format!("Users?startIndex={start}&count=3&attributes=userName"),
                    None,
                )
                .await;
            assert_eq!(r.status, 200, "{}", r.body);
            assert_eq!(r.body["totalResults"], names.len(), "{}", r.body);
            let got: Vec<&str> = r.body["Resources"]
                .as_array()
                .map(|a| a.iter().filter_map(|u| u["userName"].as_str()).collect())
                .unwrap_or_default();
            let want = &names[(start - 1).min(names.len())..(start + 2).min(names.len())];
            assert_eq!(got, want, "startIndex {start}, {when}");
        }
    };
    pages_are_right("as created").await;

    // Two more slots a chunk, +2 and -2 (slots the trigger never writes), and rows that
    // count nothing for another tenant.
    app.sql(
        "WITH spread AS ( \
           INSERT INTO live_chunks (tenant_id, kind, chunk, slot, n) \
           SELECT tenant_id, kind, chunk, 1000 + slot, -2 FROM live_chunks \
           UNION ALL SELECT tenant_id, kind, chunk, 2000 + slot, 2 FROM live_chunks) \
         INSERT INTO live_chunks (tenant_id, kind, chunk, slot, n) \
         SELECT 'fold-test', 'users', g % 5, g, 0 FROM generate_series(1, 80) g",
    )
    .await;
    pages_are_right("spread over more slots").await;
    let newest = "(SELECT last_value >> 10 FROM live_order_seq)";
    let unfolded = format!(
        "SELECT COUNT(*) AS n FROM (SELECT 1 FROM live_chunks WHERE chunk < {newest} \
         GROUP BY tenant_id, kind, chunk HAVING COUNT(*) > 1 OR MIN(n) = 0) k"
    );
    assert!(app.sql_n(&unfolded).await >= 5);
    app.store.fold_live_chunks().await.unwrap();
    assert_eq!(
        app.sql_n(&unfolded).await,
        0,
        "old chunks hold one row each"
    );
    assert_eq!(
        app.sql_n("SELECT COUNT(*) AS n FROM live_chunks WHERE tenant_id = 'fold-test'")
            .await,
        0
    );
    // Its own row and the two spread ones: the newest chunk is left as it is.
    assert!(
        app.sql_n(&format!(
            "SELECT COUNT(*) AS n FROM live_chunks WHERE chunk >= {newest}"
        ))
        .await
            >= 3,
        "the newest chunk keeps its slots"
    );
    pages_are_right("folded").await;
}
