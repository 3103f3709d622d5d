//! PATCH of groups (RFC 7644 3.5.2): membership deltas, IdP forms, atomic refusals, races.

use futures_util::future::join_all;

use super::*;

on_both!(
    patch_add_answers_204_unless_attributes_are_requested,
    async |app: TestApp| {
        let ids = users(&app, "ed", 2).await;
        let gid = create_group(&app, group("Read-Only", &[])).await;
        let add =
            |id: &str| patch(json!([{"op": "add", "path": "members", "value": [{"value": id}]}]));
        let r = app
            .req("PATCH", &format!("Groups/{gid}"), Some(add(&ids[0])))
            .await;
        // RFC 7644 3.5.2: the server may answer 204 with no body.
        assert_eq!(r.status, 204, "{}", r.body);
        assert_eq!(r.body, Value::Null);
        assert_eq!(member_ids(&app, &gid).await, [ids[0].as_str()]);
        // With `attributes` the client asks for the resource: 200 and the projection.
        let r = app
            .req(
                "PATCH",
                &format!("Groups/{gid}?attributes=members"),
                Some(add(&ids[1])),
            )
            .await;
        assert_eq!(r.status, 200, "{}", r.body);
        assert_eq!(r.body["id"], gid.as_str());
        assert_eq!(sorted_ids(&r.body["members"]), sorted(&[&ids[0], &ids[1]]));
        assert!(r.body.get("displayName").is_none(), "{}", r.body);
        assert_eq!(
            r.header("etag"),
            r.body["meta"]["version"].as_str().map(str::to_string)
        );
        // Entra's op spelling and a path-less add of members.
        let r = app
            .req(
                "PATCH",
                &format!("Groups/{gid}?excludedAttributes=members"),
                Some(patch(json!([
                    {"op": "Remove", "path": "members", "value": [{"value": ids[0]}]},
                    {"op": "Add", "value": {"members": [{"value": ids[0], "display": "ignored"}]}}
                ]))),
            )
            .await;
        assert_eq!(r.status, 200, "{}", r.body);
        assert!(r.body.get("members").is_none(), "{}", r.body);
        assert_eq!(r.body["displayName"], "Read-Only");
        assert_eq!(member_ids(&app, &gid).await, sorted(&[&ids[0], &ids[1]]));
    }
);

on_both!(
    patch_replace_of_members_sets_exactly_the_new_list,
    async |app: TestApp| {
        let ids = users(&app, "eli", 4).await;
        let gid = create_group(&app, group("Maintainer", &[&ids[0], &ids[1], &ids[2]])).await;
        // RFC 7644 3.5.2.3: replace of a multi-valued attribute replaces all of its values.
        let body = patch(
            json!([{"op": "replace", "path": "members", "value": [{"value": ids[2]}, {"value": ids[3]}]}]),
        );
        let r = app.req("PATCH", &format!("Groups/{gid}"), Some(body)).await;
        assert_eq!(r.status, 204, "{}", r.body);
        assert_eq!(member_ids(&app, &gid).await, sorted(&[&ids[2], &ids[3]]));
        // Several operations apply in order within one request (RFC 7644 3.5.2).
        let body = patch(json!([
            {"op": "remove", "path": "members"},
            {"op": "add", "path": "members", "value": [{"value": ids[0]}]},
            {"op": "replace", "path": "displayName", "value": "Read-Only"}
        ]));
        let r = app
            .req(
                "PATCH",
                &format!("Groups/{gid}?attributes=displayName,members"),
                Some(body),
            )
            .await;
        assert_eq!(r.status, 200, "{}", r.body);
        assert_eq!(r.body["displayName"], "Read-Only");
        assert_eq!(sorted_ids(&r.body["members"]), [ids[0].as_str()]);
    }
);

on_both!(
    adding_an_existing_member_is_a_no_op,
    async |app: TestApp| {
        let ids = users(&app, "fay", 2).await;
        let gid = create_group(&app, group("Maintainer", &[&ids[0]])).await;
        let before = app.req("GET", &format!("Groups/{gid}"), None).await.body;
        let r = app
            .req(
                "PATCH",
                &format!("Groups/{gid}"),
                Some(patch(
                    json!([{"op": "add", "path": "members", "value": [{"value": ids[0]}]}]),
                )),
            )
            .await;
        assert_eq!(r.status, 204, "{}", r.body);
        let after = app.req("GET", &format!("Groups/{gid}"), None).await.body;
        assert_eq!(sorted_ids(&after["members"]), [ids[0].as_str()]);
        // RFC 7644 3.5.2.1: "Unless other operations change the resource, this operation SHALL
        // NOT change the modify timestamp of the resource." Nor its version (no ETag churn).
        assert_eq!(
            after["meta"]["lastModified"],
            before["meta"]["lastModified"]
        );
        assert_eq!(after["meta"]["version"], before["meta"]["version"]);
        // Removing an absent member is a no-op as well (Entra's value-list remove).
        let r = app
            .req(
                "PATCH",
                &format!("Groups/{gid}"),
                Some(patch(
                    json!([{"op": "remove", "path": "members", "value": [{"value": ids[1]}]}]),
                )),
            )
            .await;
        assert_eq!(r.status, 204, "{}", r.body);
        let again = app.req("GET", &format!("Groups/{gid}"), None).await.body;
        assert_eq!(again["meta"]["version"], before["meta"]["version"]);
        assert_eq!(sorted_ids(&again["members"]), [ids[0].as_str()]);
        // A real change does move the version.
        let r = app
            .req(
                "PATCH",
                &format!("Groups/{gid}"),
                Some(patch(
                    json!([{"op": "add", "path": "members", "value": [{"value": ids[1]}]}]),
                )),
            )
            .await;
        assert_eq!(r.status, 204, "{}", r.body);
        let changed = app.req("GET", &format!("Groups/{gid}"), None).await.body;
        assert_ne!(changed["meta"]["version"], before["meta"]["version"]);
    }
);

on_both!(
    entra_remove_with_a_value_list_removes_exactly_those,
    async |app: TestApp| {
        let ids = users(&app, "gus", 4).await;
        let all: Vec<&str> = ids.iter().map(String::as_str).collect();
        let gid = create_group(&app, group("Maintainer", &all)).await;
        let body = patch(
            json!([{"op": "Remove", "path": "members", "value": [{"value": ids[0]}, {"value": ids[1]}]}]),
        );
        let r = app.req("PATCH", &format!("Groups/{gid}"), Some(body)).await;
        assert_eq!(r.status, 204, "{}", r.body);
        assert_eq!(member_ids(&app, &gid).await, sorted(&[&ids[2], &ids[3]]));
    }
);

on_both!(
    remove_by_filter_removes_one_and_remove_without_value_removes_all,
    async |app: TestApp| {
        let ids = users(&app, "hal", 3).await;
        let all: Vec<&str> = ids.iter().map(String::as_str).collect();
        let gid = create_group(&app, group("Maintainer", &all)).await;
        // Okta's form: a value filter on members (RFC 7644 3.5.2.2).
        let one =
            patch(json!([{"op": "remove", "path": format!("members[value eq \"{}\"]", ids[1])}]));
        let r = app
            .req("PATCH", &format!("Groups/{gid}"), Some(one.clone()))
            .await;
        assert_eq!(r.status, 204, "{}", r.body);
        assert_eq!(member_ids(&app, &gid).await, sorted(&[&ids[0], &ids[2]]));
        // Removing an absent member is a no-op, not noTarget: RFC 7644 3.5.2.2 asks for noTarget
        // only when "path" is unspecified, and an IdP retrying a removal must not fail (issue 5).
        let r = app.req("PATCH", &format!("Groups/{gid}"), Some(one)).await;
        assert_eq!(r.status, 204, "{}", r.body);
        assert_eq!(member_ids(&app, &gid).await, sorted(&[&ids[0], &ids[2]]));
        // Filters other than `value eq` joined by `or` are refused, nothing removed.
        let r = app
            .req(
                "PATCH",
                &format!("Groups/{gid}"),
                Some(patch(
                    json!([{"op": "remove", "path": "members[display eq \"hal 0\"]"}]),
                )),
            )
            .await;
        assert_error(&r, 400, "invalidFilter");
        assert_eq!(member_ids(&app, &gid).await, sorted(&[&ids[0], &ids[2]]));
        // `or` of ids removes each; put one back first.
        let add = patch(json!([{"op": "add", "path": "members", "value": [{"value": ids[1]}]}]));
        assert_eq!(
            app.req("PATCH", &format!("Groups/{gid}"), Some(add))
                .await
                .status,
            204
        );
        let two = patch(
            json!([{"op": "remove", "path": format!("members[value eq \"{}\" or value eq \"{}\"]", ids[0], ids[1])}]),
        );
        assert_eq!(
            app.req("PATCH", &format!("Groups/{gid}"), Some(two))
                .await
                .status,
            204
        );
        assert_eq!(member_ids(&app, &gid).await, [ids[2].as_str()]);
        // `remove` of the attribute with no value: all values go (RFC 7644 3.5.2.2).
        let r = app
            .req(
                "PATCH",
                &format!("Groups/{gid}"),
                Some(patch(json!([{"op": "remove", "path": "members"}]))),
            )
            .await;
        assert_eq!(r.status, 204, "{}", r.body);
        let got = app.req("GET", &format!("Groups/{gid}"), None).await;
        assert_eq!(sorted_ids(&got.body["members"]), Vec::<String>::new());
        assert_eq!(got.body["displayName"], "Maintainer");
        // The users themselves are untouched.
        for id in &ids {
            assert_eq!(
                app.req("GET", &format!("Users/{id}"), None).await.status,
                200
            );
        }
        // A remove with no path at all is 400 noTarget (RFC 7644 3.5.2.2).
        let r = app
            .req(
                "PATCH",
                &format!("Groups/{gid}"),
                Some(patch(json!([{"op": "remove"}]))),
            )
            .await;
        assert_error(&r, 400, "noTarget");
    }
);

on_both!(okta_rename_with_a_pathless_replace, async |app: TestApp| {
    let ids = users(&app, "ida", 1).await;
    let gid = create_group(&app, group("Support", &[&ids[0]])).await;
    // Okta sends the readOnly `id` along with the new name: ignored, not refused.
    let body = patch(json!([{"op": "replace", "value": {"id": gid, "displayName": "Maintainer"}}]));
    let r = app.req("PATCH", &format!("Groups/{gid}"), Some(body)).await;
    assert_eq!(r.status, 204, "{}", r.body);
    let got = app.req("GET", &format!("Groups/{gid}"), None).await;
    assert_eq!(got.body["displayName"], "Maintainer");
    assert_eq!(got.body["id"], gid.as_str());
    assert_eq!(sorted_ids(&got.body["members"]), [ids[0].as_str()]);
    // The old name is free again; the new one is found by filter.
    create_group(&app, group("support", &[])).await;
    let r = app
        .req(
            "GET",
            &format!("Groups?filter={}", q("displayName eq \"maintainer\"")),
            None,
        )
        .await;
    assert_eq!(list_ids(&r.body), [gid.as_str()]);
    // A replace with a path works too; the user's `groups` shows the new name.
    let body = patch(json!([{"op": "replace", "path": "displayName", "value": "Read-Only"}]));
    assert_eq!(
        app.req("PATCH", &format!("Groups/{gid}"), Some(body))
            .await
            .status,
        204
    );
    let u = app.req("GET", &format!("Users/{}", ids[0]), None).await;
    assert_eq!(u.body["groups"][0]["display"], "Read-Only");
    // displayName is required: it cannot be removed (RFC 7644 3.5.2.2).
    let body = patch(json!([{"op": "remove", "path": "displayName"}]));
    let r = app.req("PATCH", &format!("Groups/{gid}"), Some(body)).await;
    assert_eq!(r.status, 400, "{}", r.body);
    assert_eq!(
        app.req("GET", &format!("Groups/{gid}"), None).await.body["displayName"],
        "Read-Only"
    );
});

on_both!(
    invalid_member_ids_are_refused_and_nothing_applies,
    async |app: TestApp| {
        let ids = users(&app, "jo", 3).await;
        let gone = ids[2].clone();
        assert_eq!(
            app.req("DELETE", &format!("Users/{gone}"), None)
                .await
                .status,
            204
        );
        let t2 = app.other_tenant_token("t2").await;
        let r = app
            .req_with("POST", "Users", Some(user("foreigner")), &t2, &[])
            .await;
        assert_eq!(r.status, 201, "{}", r.body);
        let foreign = r.body["id"].as_str().unwrap().to_string();
        let unknown = uuid::Uuid::new_v4().to_string();
        let gid = create_group(&app, group("Maintainer", &[&ids[0]])).await;
        let version =
            app.req("GET", &format!("Groups/{gid}"), None).await.body["meta"]["version"].clone();
        // A group is not a member either: members are users (schemas/group.json).
        let other_group = create_group(&app, group("Support", &[])).await;
        for bad in [
            unknown.as_str(),
            "not-a-uuid",
            gone.as_str(),
            foreign.as_str(),
            other_group.as_str(),
        ] {
            // POST: no group is created.
            let r = app
                .req("POST", "Groups", Some(group("Read-Only", &[&ids[1], bad])))
                .await;
            assert_error(&r, 400, "invalidValue");
            let f = q("displayName eq \"Read-Only\"");
            assert_eq!(
                app.req("GET", &format!("Groups?filter={f}"), None)
                    .await
                    .body["totalResults"],
                0,
                "{bad}"
            );
            // PATCH: one valid and one invalid member: neither is added, and the rename in the
            // same request does not apply (RFC 7644 3.5.2: a PATCH is atomic).
            let body = patch(json!([
                {"op": "replace", "path": "displayName", "value": "Renamed"},
                {"op": "add", "path": "members", "value": [{"value": ids[1]}, {"value": bad}]}
            ]));
            let r = app.req("PATCH", &format!("Groups/{gid}"), Some(body)).await;
            assert_error(&r, 400, "invalidValue");
            // PATCH replace of the member list, and PUT: membership is unchanged.
            let body = patch(
                json!([{"op": "replace", "path": "members", "value": [{"value": ids[1]}, {"value": bad}]}]),
            );
            assert_error(
                &app.req("PATCH", &format!("Groups/{gid}"), Some(body)).await,
                400,
                "invalidValue",
            );
            let r = app
                .req(
                    "PUT",
                    &format!("Groups/{gid}"),
                    Some(group("Renamed", &[&ids[1], bad])),
                )
                .await;
            assert_error(&r, 400, "invalidValue");
            let got = app.req("GET", &format!("Groups/{gid}"), None).await.body;
            assert_eq!(got["displayName"], "Maintainer", "{bad}");
            assert_eq!(sorted_ids(&got["members"]), [ids[0].as_str()], "{bad}");
            assert_eq!(got["meta"]["version"], version, "{bad}");
        }
        // The other tenant's user is not in any of this tenant's groups.
        let u = app
            .req_with("GET", &format!("Users/{foreign}"), None, &t2, &[])
            .await;
        assert!(u.body.get("groups").is_none(), "{}", u.body);
    }
);

on_both!(concurrent_member_adds_all_land, async |app: TestApp| {
    let ids = users(&app, "kit", 16).await;
    let gid = create_group(&app, group("Maintainer", &[])).await;
    let path = format!("Groups/{gid}");
    let answers = join_all(ids.iter().map(|id| {
        let body = patch(json!([{"op": "add", "path": "members", "value": [{"value": id}]}]));
        app.req("PATCH", &path, Some(body))
    }))
    .await;
    for r in &answers {
        assert_eq!(r.status, 204, "{}", r.body);
    }
    let all: Vec<&String> = ids.iter().collect();
    assert_eq!(member_ids(&app, &gid).await, sorted(&all));
    // One membership_add event per request.
    let adds = events_of(&app.store, &gid)
        .await
        .iter()
        .filter(|e| e.0 == "membership_add")
        .count();
    assert_eq!(adds, 16);
});

on_both!(
    concurrent_member_changes_keep_their_own_results,
    async |app: TestApp| {
        // Changes to one group arriving together may share a transaction: each still gets
        // its own answer and event, an unknown member refuses only its own request, and
        // the version counts the requests that changed something.
        let ids = users(&app, "pat", 12).await;
        let gid = create_group(&app, group("Agents", &[&ids[0]])).await;
        let path = format!("Groups/{gid}");
        let version = |r: &common::Resp| {
            r.body["meta"]["version"]
                .as_str()
                .and_then(|v| {
                    v.trim_start_matches("W/")
                        .trim_matches('"')
                        .parse::<i64>()
                        .ok()
                })
                .expect("numeric version")
        };
        let before = version(&app.req("GET", &path, None).await);
        let unknown = "00000000-0000-4000-8000-000000000000";
        let mut bodies: Vec<Value> = ids[1..]
            .iter()
            .map(|id| patch(json!([{"op": "add", "path": "members", "value": [{"value": id}]}])))
            .collect();
        // Re-adding a member is a no-op; adding an unknown id with a good one is refused whole.
        bodies.push(patch(
            json!([{"op": "add", "path": "members", "value": [{"value": ids[0]}]}]),
        ));
        bodies.push(patch(json!([{"op": "add", "path": "members",
            "value": [{"value": ids[5]}, {"value": unknown}]}])));
        let answers = join_all(bodies.into_iter().map(|b| app.req("PATCH", &path, Some(b)))).await;
        let (last, rest) = answers.split_last().expect("answers");
        for r in rest {
            assert_eq!(r.status, 204, "{}", r.body);
        }
        assert_eq!(last.status, 400, "{}", last.body);
        assert_eq!(last.body["scimType"], "invalidValue");
        assert!(
            last.body["detail"].as_str().unwrap_or("").contains(unknown),
            "{}",
            last.body
        );
        let all: Vec<&String> = ids.iter().collect();
        assert_eq!(member_ids(&app, &gid).await, sorted(&all));
        let after = version(&app.req("GET", &path, None).await);
        assert_eq!(
            after - before,
            11,
            "one bump per request that changed the group"
        );
        let events = events_of(&app.store, &gid).await;
        let adds = events
            .iter()
            .filter(|e| e.0 == "membership_add" && e.1 == 204)
            .count();
        assert_eq!(
            adds, 12,
            "11 adds and the no-op re-add each have their event"
        );
        assert!(
            events
                .iter()
                .any(|e| e.1 == 400 && e.2.as_deref() == Some("invalidValue")),
            "the refusal is recorded: {events:?}"
        );
    }
);

on_both!(
    membership_changes_of_one_group_apply_in_arrival_order,
    async |app: TestApp| {
        // Changes queued together for one group share a batch (on PostgreSQL its statements
        // go out together): they still apply in the order they arrived. A removal then an
        // add of one user leaves the user in; an add then a removal leaves the other out.
        use scim_connector::domain::account::MemberChange;
        use scim_connector::domain::directory::Directory;
        use scim_connector::domain::ids::{AccountId, GroupId};
        use scim_connector::domain::sync::{Action, RequestCtx, SyncEvent};
        let ids = users(&app, "ord", 2).await;
        let gid = create_group(&app, group("Ordered", &[&ids[0]])).await;
        let group_id = GroupId::parse(&gid).expect("group id");
        let (x, y) = (
            AccountId::parse(&ids[0]).expect("id"),
            AccountId::parse(&ids[1]).expect("id"),
        );
        let ctx = RequestCtx {
            tenant: app.tenant,
            client: None,
            method: "PATCH".into(),
            path: format!("/scim/v2/Groups/{gid}"),
            started: std::time::Instant::now(),
            gate: None,
        };
        let changes = [
            MemberChange::Remove(vec![x]),
            MemberChange::Add(vec![x]),
            MemberChange::Add(vec![y]),
            MemberChange::Remove(vec![y]),
        ];
        let results = join_all(changes.into_iter().map(|change| {
            let event = SyncEvent::ok(
                &ctx,
                chrono::Utc::now(),
                "Group",
                Some(gid.clone()),
                Action::MembershipChange,
                204,
                Vec::new(),
            );
            app.store.change_members(
                app.tenant,
                group_id,
                vec![change],
                event,
                chrono::Utc::now(),
            )
        }))
        .await;
        for r in results {
            r.expect("each change applies");
        }
        assert_eq!(member_ids(&app, &gid).await, [ids[0].as_str()]);
    }
);

on_both!(
    member_changes_to_a_deleted_group_leave_no_transaction_open,
    async |app: TestApp| {
        // A batch for a group that is gone ends its transaction before its connection goes
        // back to the pool: what the next requests write on that connection is committed,
        // and seen from the others.
        let ids = users(&app, "gone", 1).await;
        let gid = create_group(&app, group("Gone", &[])).await;
        let r = app.req("DELETE", &format!("Groups/{gid}"), None).await;
        assert_eq!(r.status, 204, "{}", r.body);
        for round in 0..3 {
            let r = app
                .req(
                    "PATCH",
                    &format!("Groups/{gid}"),
                    Some(patch(
                        json!([{"op": "add", "path": "members", "value": [{"value": ids[0]}]}]),
                    )),
                )
                .await;
            assert_eq!(r.status, 404, "{}", r.body);
            let id = app
                .create_user(common::user(&format!("after-gone-{round}")))
                .await;
            let r = app.req("GET", &format!("Users/{id}"), None).await;
            assert_eq!(r.status, 200, "{}", r.body);
            let other = create_group(&app, group(&format!("Kept {id}"), &[&ids[0]])).await;
            assert_eq!(member_ids(&app, &other).await, [ids[0].as_str()]);
        }
        if app.backend == "postgres" {
            // The batch ended its transaction before answering: no connection of this
            // database sits idle inside one.
            let open = app
                .sql_n(
                    "SELECT COUNT(*) AS n FROM pg_stat_activity \
                     WHERE datname = current_database() AND state = 'idle in transaction'",
                )
                .await;
            assert_eq!(open, 0, "no transaction left open");
        }
    }
);

on_both!(
    a_replace_racing_member_adds_of_one_group_all_succeed,
    async |app: TestApp| {
        // A PUT that replaces the members and PATCHes that add the same users, all at once
        // on one group: every write takes the group's row before its memberships, so none
        // waits on another in a cycle (a deadlock PostgreSQL would break by failing one).
        let ids = users(&app, "race", 6).await;
        let gid = create_group(&app, group("Race", &[])).await;
        let path = format!("Groups/{gid}");
        for round in 0..15 {
            let mut reqs = Vec::new();
            let keep: Vec<&str> = ids.iter().map(String::as_str).collect();
            reqs.push(app.req("PUT", &path, Some(group(&format!("Race {round}"), &keep))));
            for id in ids.iter().rev() {
                let body =
                    patch(json!([{"op": "add", "path": "members", "value": [{"value": id}]}]));
                reqs.push(app.req("PATCH", &path, Some(body)));
            }
            for r in join_all(reqs).await {
                assert!(
                    r.status == 200 || r.status == 204,
                    "round {round}: {} {}",
                    r.status,
                    r.body
                );
            }
            let r = app
                .req(
                    "PATCH",
                    &path,
                    Some(patch(json!([{"op": "remove", "path": "members"}]))),
                )
                .await;
            assert_eq!(r.status, 204, "{}", r.body);
        }
        let all: Vec<&String> = ids.iter().collect();
        let r = app
            .req(
                "PUT",
                &path,
                Some(group(
                    "Race",
                    &all.iter().map(|s| s.as_str()).collect::<Vec<_>>(),
                )),
            )
            .await;
        assert_eq!(r.status, 200, "{}", r.body);
        assert_eq!(member_ids(&app, &gid).await, sorted(&all));
    }
);
