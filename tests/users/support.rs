//! Helpers shared by the /Users tests: request bodies, list queries, and direct reads of the
//! database (rows, skills, sync events) through the store's own diesel schema.

use diesel::prelude::*;
use diesel_async::RunQueryDsl;
use serde_json::{Value, json};

use scim_connector::store::Store;
use scim_connector::store::error::StoreError;
use scim_connector::store::models::UserRow;
use scim_connector::store::schema::{sync_events, user_skills, users};

use crate::common::{Resp, TestApp};

/// The operator extension URN.
pub const OPERATOR: &str = "urn:dialai:params:scim:schemas:extension:operator:2.0:User";
/// The enterprise extension URN.
pub const ENTERPRISE: &str = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User";
/// The core User URN.
pub const USER_URN: &str = "urn:ietf:params:scim:schemas:core:2.0:User";
/// The SearchRequest URN.
pub const SEARCH: &str = "urn:ietf:params:scim:api:messages:2.0:SearchRequest";

/// A PatchOp body with these operations.
pub fn patch(ops: Value) -> Value {
    json!({"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"], "Operations": ops})
}

/// A URL query value, percent-encoded.
pub fn enc(s: &str) -> String {
    url::form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

/// Assert a SCIM error body (RFC 7644 3.12): status code, `status` as a string, scimType.
#[track_caller]
pub fn assert_error(r: &Resp, status: u16, scim_type: Option<&str>) {
    assert_eq!(r.status.as_u16(), status, "{}", r.body);
    assert_eq!(
        r.body["schemas"][0], "urn:ietf:params:scim:api:messages:2.0:Error",
        "{}",
        r.body
    );
    assert_eq!(r.body["status"], status.to_string(), "{}", r.body);
    assert_eq!(r.body["scimType"].as_str(), scim_type, "{}", r.body);
}

/// GET a user (asserts 200).
pub async fn get(app: &TestApp, id: &str) -> Value {
    let r = app.req("GET", &format!("Users/{id}"), None).await;
    assert_eq!(r.status, 200, "GET {id}: {}", r.body);
    r.body
}

/// The operator `status` (returned only on request).
pub async fn status_of(app: &TestApp, id: &str) -> Value {
    let path = format!(
        "Users/{id}?attributes=urn:dialai:params:scim:schemas:extension:operator:2.0:User:status"
    );
    let r = app.req("GET", &path, None).await;
    assert_eq!(r.status, 200, "GET {path}: {}", r.body);
    r.body["urn:dialai:params:scim:schemas:extension:operator:2.0:User"]["status"].clone()
}

/// GET /Users with a query string (asserts 200).
pub async fn list(app: &TestApp, query: &str) -> Value {
    let r = app.req("GET", &format!("Users?{query}"), None).await;
    assert_eq!(r.status, 200, "GET /Users?{query}: {}", r.body);
    r.body
}

/// The userNames of a ListResponse's resources, in order.
pub fn names(list: &Value) -> Vec<String> {
    list["Resources"]
        .as_array()
        .unwrap_or_else(|| panic!("no Resources in {list}"))
        .iter()
        .map(|r| r["userName"].as_str().unwrap_or_default().to_string())
        .collect()
}

/// GET /Users?filter=… and the matching userNames (asserts 200 and totalResults).
pub async fn filtered(app: &TestApp, filter: &str) -> Vec<String> {
    let body = list(app, &format!("filter={}", enc(filter))).await;
    let found = names(&body);
    assert_eq!(body["totalResults"], found.len(), "{filter}: {body}");
    found
}

/// A recorded sync event, as stored.
#[derive(Debug, Queryable)]
pub struct Event {
    /// HTTP method.
    pub method: String,
    /// Action.
    pub action: String,
    /// ok / rejected / error.
    pub outcome: String,
    /// HTTP status.
    pub status: i32,
    /// scimType of a refusal.
    pub scim_type: Option<String>,
    /// Human detail.
    pub detail: Option<String>,
    /// JSON list of coercions.
    pub coercions: Option<String>,
}

async fn load_events(store: &Store, resource: Option<String>) -> Result<Vec<Event>, StoreError> {
    Ok(scim_connector::with_conn!(store, |c, _d| {
        let mut q = sync_events::table
            .select((
                sync_events::method,
                sync_events::action,
                sync_events::outcome,
                sync_events::status,
                sync_events::scim_type,
                sync_events::detail,
                sync_events::coercions,
            ))
            .order((sync_events::at, sync_events::id))
            .into_boxed();
        if let Some(id) = resource.clone() {
            q = q.filter(sync_events::resource_id.eq(id));
        }
        q.load::<Event>(c).await?
    }))
}

/// The sync events recorded for one resource id, oldest first.
pub async fn events(app: &TestApp, id: &str) -> Vec<Event> {
    load_events(&app.store, Some(id.to_string()))
        .await
        .expect("events")
}

/// Every sync event, oldest first.
pub async fn all_events(app: &TestApp) -> Vec<Event> {
    load_events(&app.store, None).await.expect("events")
}

/// The last sync event of a resource that is not a read.
pub async fn last_write(app: &TestApp, id: &str) -> Event {
    let mut evs = events(app, id).await;
    evs.retain(|e| e.action != "read");
    evs.pop()
        .unwrap_or_else(|| panic!("no write event for {id}"))
}

async fn load_row(store: &Store, id: String) -> Result<UserRow, StoreError> {
    Ok(scim_connector::with_conn!(store, |c, _d| {
        users::table
            .filter(users::id.eq(&id))
            .select(UserRow::as_select())
            .first(c)
            .await?
    }))
}

/// The `users` row of an id, soft-deleted or not.
pub async fn row(app: &TestApp, id: &str) -> UserRow {
    load_row(&app.store, id.to_string())
        .await
        .expect("user row")
}

async fn load_rows(store: &Store) -> Result<Vec<UserRow>, StoreError> {
    Ok(scim_connector::with_conn!(store, |c, _d| {
        users::table.select(UserRow::as_select()).load(c).await?
    }))
}

/// Every `users` row (soft-deleted ones included).
pub async fn rows(app: &TestApp) -> Vec<UserRow> {
    load_rows(&app.store).await.expect("user rows")
}

async fn load_skills(store: &Store, id: String) -> Result<Vec<String>, StoreError> {
    Ok(scim_connector::with_conn!(store, |c, _d| {
        user_skills::table
            .filter(user_skills::user_id.eq(&id))
            .select(user_skills::skill_key)
            .order(user_skills::skill_key)
            .load(c)
            .await?
    }))
}

/// The skill keys stored for an account.
pub async fn skills(app: &TestApp, id: &str) -> Vec<String> {
    load_skills(&app.store, id.to_string())
        .await
        .expect("skills")
}

async fn write_status(store: &Store, id: String, status: &str) -> Result<(), StoreError> {
    scim_connector::with_write!(store, |c, _d| {
        diesel::update(users::table.filter(users::id.eq(&id)))
            .set(users::status.eq(status))
            .execute(c)
            .await?;
    });
    Ok(())
}

/// Set an operator's availability as the platform does (status is readOnly through SCIM).
pub async fn set_status(app: &TestApp, id: &str, status: &str) {
    write_status(&app.store, id.to_string(), status)
        .await
        .expect("set status");
}
