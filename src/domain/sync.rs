//! Sync events: what every authenticated SCIM request amounted to (design.md section 4).

use chrono::{DateTime, Utc};
use uuid::Uuid;

use crate::domain::ids::{ClientId, TenantId};

/// What a request amounted to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    /// A resource was created.
    Create,
    /// A resource was changed (other than the cases below).
    Update,
    /// `active` went from true to false.
    Deactivate,
    /// `active` went from false to true.
    Reactivate,
    /// Soft delete.
    Delete,
    /// Members added to a group.
    MembershipAdd,
    /// Members removed from a group.
    MembershipRemove,
    /// Members added and removed, or the member list replaced.
    MembershipChange,
    /// A read (GET, list, search).
    Read,
    /// A bulk request envelope.
    Bulk,
    /// The request was refused (any 4xx).
    Rejected,
}

impl Action {
    /// Stored spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            Action::Create => "create",
            Action::Update => "update",
            Action::Deactivate => "deactivate",
            Action::Reactivate => "reactivate",
            Action::Delete => "delete",
            Action::MembershipAdd => "membership_add",
            Action::MembershipRemove => "membership_remove",
            Action::MembershipChange => "membership_change",
            Action::Read => "read",
            Action::Bulk => "bulk",
            Action::Rejected => "rejected",
        }
    }
}

/// Whether the request succeeded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// 2xx/304.
    Ok,
    /// 4xx: the client's request was refused.
    Rejected,
    /// 5xx: the service failed.
    Error,
}

impl Outcome {
    /// Stored spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Ok => "ok",
            Outcome::Rejected => "rejected",
            Outcome::Error => "error",
        }
    }

    /// The outcome of an HTTP status.
    pub fn of_status(status: u16) -> Self {
        match status {
            500.. => Outcome::Error,
            400.. => Outcome::Rejected,
            _ => Outcome::Ok,
        }
    }
}

/// Who sent a request and what it was, known before the domain runs.
#[derive(Debug, Clone)]
pub struct RequestCtx {
    /// Tenant resolved from the token.
    pub tenant: TenantId,
    /// Client (token) that sent it.
    pub client: Option<ClientId>,
    /// HTTP method.
    pub method: String,
    /// Request path with query.
    pub path: String,
    /// When the request arrived.
    pub started: std::time::Instant,
    /// The token check still to be made (reads make it in their own round trip); None when
    /// the request was checked before it reached the domain, or is not a SCIM client's.
    pub gate: Option<std::sync::Arc<crate::domain::tenant::AuthGate>>,
}

impl RequestCtx {
    /// The scope of this request's reads: its tenant and its open token check.
    pub fn read_scope(&self) -> crate::domain::directory::ReadScope<'_> {
        crate::domain::directory::ReadScope {
            tenant: self.tenant,
            gate: self.gate.as_deref(),
        }
    }
}

/// One recorded request.
#[derive(Debug, Clone)]
pub struct SyncEvent {
    /// Event id (UUID v7: time-ordered).
    pub id: Uuid,
    /// Tenant.
    pub tenant: TenantId,
    /// Client.
    pub client: Option<ClientId>,
    /// When.
    pub at: DateTime<Utc>,
    /// HTTP method.
    pub method: String,
    /// Path and query.
    pub path: String,
    /// `User` or `Group`.
    pub resource_type: Option<&'static str>,
    /// The resource's id.
    pub resource_id: Option<String>,
    /// What it amounted to.
    pub action: Action,
    /// Success or refusal.
    pub outcome: Outcome,
    /// HTTP status answered.
    pub status: u16,
    /// scimType of a refusal.
    pub scim_type: Option<String>,
    /// Human detail, e.g. `name.familyName is immutable: "Lee" -> "Park" refused`.
    pub detail: Option<String>,
    /// Tolerances/coercions applied to the request.
    pub coercions: Vec<String>,
    /// Time spent, in microseconds.
    pub duration_us: i64,
    /// The admin who made the change (session subject or admin token name); `None` for a
    /// SCIM client's request.
    pub actor: Option<String>,
}

tokio::task_local! {
    /// The admin behind the request being served, set by the admin API's authentication
    /// (see [`with_admin_actor`]).
    static ADMIN_ACTOR: std::cell::RefCell<Option<String>>;
}

/// Run an admin request: events built while it runs ([`SyncEvent::ok`]) carry the actor
/// [`set_admin_actor`] names. (A task-local rather than a field of [`RequestCtx`], which the
/// SCIM authentication builds too; `None` outside admin requests.)
pub async fn with_admin_actor<F: Future>(fut: F) -> F::Output {
    ADMIN_ACTOR.scope(std::cell::RefCell::new(None), fut).await
}

/// Name the admin of the request being served (no effect outside [`with_admin_actor`]).
pub fn set_admin_actor(actor: &str) {
    let _ = ADMIN_ACTOR.try_with(|a| *a.borrow_mut() = Some(actor.to_string()));
}

/// The admin of the request being served, if any.
pub fn admin_actor() -> Option<String> {
    ADMIN_ACTOR.try_with(|a| a.borrow().clone()).ok().flatten()
}

impl SyncEvent {
    /// A successful event for `ctx`.
    pub fn ok(
        ctx: &RequestCtx,
        at: DateTime<Utc>,
        resource_type: &'static str,
        resource_id: Option<String>,
        action: Action,
        status: u16,
        coercions: Vec<String>,
    ) -> Self {
        SyncEvent {
            id: Uuid::now_v7(),
            tenant: ctx.tenant,
            client: ctx.client,
            at,
            method: ctx.method.clone(),
            path: ctx.path.clone(),
            resource_type: Some(resource_type),
            resource_id,
            action,
            outcome: Outcome::of_status(status),
            status,
            scim_type: None,
            detail: None,
            coercions,
            duration_us: i64::try_from(ctx.started.elapsed().as_micros()).unwrap_or(i64::MAX),
            actor: if ctx.client.is_none() {
                admin_actor()
            } else {
                None
            },
        }
    }
}
