//! Effective operator roles (issue 5 "Roles"): the union over an account's groups of each
//! group's role, read from the `operator_roles` view through `Store::roles_of`.

use super::*;
use scim_connector::domain::ids::AccountId;

/// The effective roles of an account.
async fn roles(app: &TestApp, uid: &str) -> Vec<String> {
    app.store
        .roles_of(app.tenant, AccountId::parse(uid).unwrap())
        .await
        .expect("roles")
}

/// Rows of the `operator_roles` view for a user, as the platform reads them.
async fn view_rows(store: &Store, uid: &str) -> Vec<(String, String, String)> {
    use scim_connector::store::roles::operator_roles;
    let rows: Result<Vec<(String, String, String)>, StoreError> = async {
        Ok(scim_connector::with_conn!(store, |c, _d| {
            operator_roles::table
                .filter(operator_roles::user_id.eq(uid))
                .select((
                    operator_roles::tenant_id,
                    operator_roles::user_id,
                    operator_roles::role,
                ))
                .order(operator_roles::role)
                .load(c)
                .await?
        }))
    }
    .await;
    rows.expect("operator_roles")
}

on_both!(
    roles_default_to_the_builtin_role_of_the_same_name,
    async |app: TestApp| {
        let ids = users(&app, "rae", 4).await;
        create_group(&app, group("maintainer", &[&ids[0]])).await;
        create_group(&app, group("READ-ONLY", &[&ids[1]])).await;
        create_group(&app, group("DialAiAdmin", &[&ids[2]])).await;
        create_group(&app, group("Support", &[&ids[3]])).await;
        assert_eq!(roles(&app, &ids[0]).await, ["Maintainer"]);
        assert_eq!(roles(&app, &ids[1]).await, ["Read-Only"]);
        assert_eq!(roles(&app, &ids[2]).await, ["DialAiAdmin"]);
        // A group with no built-in name and no mapping grants nothing.
        assert_eq!(roles(&app, &ids[3]).await, Vec::<String>::new());
        let tenant = app.tenant.to_string();
        assert_eq!(
            view_rows(&app.store, &ids[0]).await,
            [(tenant, ids[0].clone(), "Maintainer".to_string())]
        );
        assert!(view_rows(&app.store, &ids[3]).await.is_empty());
        // An unknown account has no roles.
        assert!(
            roles(&app, &uuid::Uuid::new_v4().to_string())
                .await
                .is_empty()
        );
    }
);

on_both!(
    an_admin_mapping_overrides_the_default,
    async |app: TestApp| {
        let ids = users(&app, "sam", 2).await;
        create_group(&app, group("Support", &[&ids[0]])).await;
        let maint = create_group(&app, group("Maintainer", &[&ids[1]])).await;
        // `scim-connector role map`, matched by displayName case-insensitively.
        app.store
            .map_role(app.tenant, "SUPPORT", "Maintainer")
            .await
            .unwrap();
        app.store
            .map_role(app.tenant, "maintainer", "Read-Only")
            .await
            .unwrap();
        assert_eq!(roles(&app, &ids[0]).await, ["Maintainer"]);
        assert_eq!(roles(&app, &ids[1]).await, ["Read-Only"]);
        // Mapping again replaces the earlier mapping.
        app.store
            .map_role(app.tenant, "Support", "DialAiAdmin")
            .await
            .unwrap();
        assert_eq!(roles(&app, &ids[0]).await, ["DialAiAdmin"]);
        // A rename moves the group onto the mapping of its new name.
        let body = patch(json!([{"op": "replace", "path": "displayName", "value": "Escalations"}]));
        assert_eq!(
            app.req("PATCH", &format!("Groups/{maint}"), Some(body))
                .await
                .status,
            204
        );
        assert!(roles(&app, &ids[1]).await.is_empty());
        // A mapping made before the group exists applies once it is pushed.
        app.store
            .map_role(app.tenant, "Night Shift", "Maintainer")
            .await
            .unwrap();
        let night = create_group(&app, group("night shift", &[&ids[1]])).await;
        assert_eq!(roles(&app, &ids[1]).await, ["Maintainer"]);
        assert_eq!(
            app.req("DELETE", &format!("Groups/{night}"), None)
                .await
                .status,
            204
        );
        // Mappings are per tenant: another tenant's mapping of the same name changes nothing here.
        let _t2 = app.other_tenant_token("t2").await;
        let t2 = app.store.tenant_by_slug("t2").await.unwrap().unwrap();
        app.store
            .map_role(t2.id, "Support", "Read-Only")
            .await
            .unwrap();
        assert_eq!(roles(&app, &ids[0]).await, ["DialAiAdmin"]);
    }
);

on_both!(roles_are_the_union_over_groups, async |app: TestApp| {
    let ids = users(&app, "tia", 2).await;
    create_group(&app, group("Maintainer", &[&ids[0], &ids[1]])).await;
    create_group(&app, group("Read-Only", &[&ids[0]])).await;
    create_group(&app, group("Admins", &[&ids[0]])).await;
    create_group(&app, group("Ops", &[&ids[0]])).await;
    app.store
        .map_role(app.tenant, "Admins", "DialAiAdmin")
        .await
        .unwrap();
    // Two groups granting one role give it once.
    app.store
        .map_role(app.tenant, "Ops", "Maintainer")
        .await
        .unwrap();
    assert_eq!(
        roles(&app, &ids[0]).await,
        ["DialAiAdmin", "Maintainer", "Read-Only"]
    );
    assert_eq!(roles(&app, &ids[1]).await, ["Maintainer"]);
    assert_eq!(view_rows(&app.store, &ids[0]).await.len(), 3);
});

on_both!(
    deleted_groups_and_users_grant_no_roles,
    async |app: TestApp| {
        let ids = users(&app, "uma", 2).await;
        let admins = create_group(&app, group("DialAiAdmin", &[&ids[0], &ids[1]])).await;
        let maint = create_group(&app, group("Maintainer", &[&ids[0]])).await;
        assert_eq!(roles(&app, &ids[0]).await, ["DialAiAdmin", "Maintainer"]);
        assert_eq!(
            app.req("DELETE", &format!("Groups/{admins}"), None)
                .await
                .status,
            204
        );
        assert_eq!(roles(&app, &ids[0]).await, ["Maintainer"]);
        assert!(roles(&app, &ids[1]).await.is_empty());
        assert_eq!(
            app.req("DELETE", &format!("Users/{}", ids[0]), None)
                .await
                .status,
            204
        );
        assert!(roles(&app, &ids[0]).await.is_empty());
        assert!(view_rows(&app.store, &ids[0]).await.is_empty());
        // A removed member loses the role at once.
        let body = patch(json!([{"op": "add", "path": "members", "value": [{"value": ids[1]}]}]));
        assert_eq!(
            app.req("PATCH", &format!("Groups/{maint}"), Some(body))
                .await
                .status,
            204
        );
        assert_eq!(roles(&app, &ids[1]).await, ["Maintainer"]);
        let body = patch(json!([{"op": "remove", "path": "members"}]));
        assert_eq!(
            app.req("PATCH", &format!("Groups/{maint}"), Some(body))
                .await
                .status,
            204
        );
        assert!(roles(&app, &ids[1]).await.is_empty());
    }
);
