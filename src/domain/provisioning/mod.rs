//! Provisioning rules: SCIM requests applied to operator accounts and role groups, each
//! leaving a sync event (in the write's transaction, or on its own for reads and refusals).

mod bulk;
mod groups;
mod users;

use std::sync::Arc;

use serde_json::{Map, Value};

use crate::domain::clock::SharedClock;
use crate::domain::directory::{Directory, Listing};
use crate::domain::error::DomainError;
use crate::domain::listing::{ListPlan, next_cursor};
use crate::domain::sync::{Action, Outcome, RequestCtx, SyncEvent};
use crate::scim::registry::{Registry, ResourceKind};
use crate::scim::resource::write_list_head;

/// The provisioning service over a storage port.
pub struct Provisioning<D> {
    /// Storage.
    pub dir: D,
    /// Schemas.
    pub registry: Arc<Registry>,
    /// Time source.
    pub clock: SharedClock,
    /// Public base URL of the SCIM API (`https://host/scim/v2`), for `meta.location`.
    pub base_url: String,
}

/// A rendered resource: its JSON as answered, and what the HTTP answer (ETag, Location) and
/// a bulk result take from it.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Rendered {
    /// The resource's JSON.
    pub json: Vec<u8>,
    /// Its `id`, when shown.
    pub id: Option<String>,
    /// Its `meta.location`, when shown.
    pub location: Option<String>,
    /// Its `meta.version`, when shown.
    pub version: Option<String>,
}

impl Rendered {
    /// A resource written as JSON (`mapping::user::write`): its `id` and `meta` are read
    /// back from the text (a scan that allocates nothing for the attributes it skips).
    pub fn from_json(json: Vec<u8>) -> Self {
        #[derive(serde::Deserialize, Default)]
        struct Head {
            id: Option<String>,
            meta: Option<MetaHead>,
        }
        #[derive(serde::Deserialize, Default)]
        struct MetaHead {
            location: Option<String>,
            version: Option<String>,
        }
        let head: Head = serde_json::from_slice(&json).unwrap_or_default();
        let meta = head.meta.unwrap_or_default();
        Rendered {
            json,
            id: head.id,
            location: meta.location,
            version: meta.version,
        }
    }

    /// A resource's attributes in output order and, for a group whose members are returned,
    /// `members` as JSON array text written straight from the membership rows
    /// (`mapping::group::members_json`), spliced in before `meta`.
    pub fn from_parts(attrs: &Map<String, Value>, members: Option<&str>) -> Self {
        let text = |v: Option<&Value>| v.and_then(Value::as_str).map(str::to_string);
        let meta = attrs.get("meta");
        Rendered {
            json: parts_json(attrs, members),
            id: text(attrs.get("id")),
            location: text(meta.and_then(|m| m.get("location"))),
            version: text(meta.and_then(|m| m.get("version"))),
        }
    }
}

/// The JSON of [`Rendered::from_parts`].
fn parts_json(attrs: &Map<String, Value>, members: Option<&str>) -> Vec<u8> {
    let Some(members) = members else {
        return serde_json::to_vec(attrs).unwrap_or_default();
    };
    let mut out = Vec::with_capacity(members.len() + 1024);
    out.push(b'{');
    let mut first = true;
    let mut put = |out: &mut Vec<u8>, key: &str, value: &[u8]| {
        if !std::mem::take(&mut first) {
            out.push(b',');
        }
        // A key is plain text; serde_json escapes it.
        out.extend_from_slice(&serde_json::to_vec(key).unwrap_or_default());
        out.push(b':');
        out.extend_from_slice(value);
    };
    let mut spliced = false;
    for (k, v) in attrs {
        if k == "meta" && !spliced {
            put(&mut out, "members", members.as_bytes());
            spliced = true;
        }
        put(&mut out, k, &serde_json::to_vec(v).unwrap_or_default());
    }
    if !spliced {
        put(&mut out, "members", members.as_bytes());
    }
    out.push(b'}');
    out
}

/// Parse an id from a URL; a malformed id is simply not found.
fn parse_id<T>(
    kind: ResourceKind,
    raw: &str,
    parse: impl Fn(&str) -> Option<T>,
) -> Result<T, DomainError> {
    parse(raw).ok_or_else(|| DomainError::NotFound(format!("{} {raw}", kind.name())))
}

impl<D: Directory> Provisioning<D> {
    /// Build a sync event for a successful operation.
    fn event(
        &self,
        ctx: &RequestCtx,
        kind: ResourceKind,
        id: Option<String>,
        action: Action,
        status: u16,
        coercions: Vec<String>,
    ) -> SyncEvent {
        SyncEvent::ok(
            ctx,
            self.clock.now(),
            kind.name(),
            id,
            action,
            status,
            coercions,
        )
    }

    /// Run an operation; a failure is recorded as a rejected (or failed) sync event.
    async fn recorded<T>(
        &self,
        ctx: &RequestCtx,
        kind: ResourceKind,
        id: Option<&str>,
        op: impl Future<Output = Result<T, DomainError>>,
    ) -> Result<T, DomainError> {
        let result = op.await;
        // A token check the work did not carry is made now, before any answer or event: a
        // refused token gets 401 and leaves no trace (as when the check comes first).
        if let Some(gate) = &ctx.gate {
            self.dir.settle_gate(gate).await?;
        }
        if let Err(err) = &result {
            let scim = err.to_scim();
            let mut ev = self.event(
                ctx,
                kind,
                id.map(str::to_string),
                Action::Rejected,
                scim.status,
                Vec::new(),
            );
            ev.outcome = Outcome::of_status(scim.status);
            ev.scim_type = scim.scim_type.map(|t| t.as_str().to_string());
            ev.detail = Some(match err {
                DomainError::Storage(d) => format!("storage failure: {d}"),
                _ => scim.detail,
            });
            if let Err(e) = self.dir.record_events(vec![ev]).await {
                tracing::warn!(error = %e, "could not record the sync event of a refused request");
            }
        }
        result
    }

    /// Record a read (queued: reads are recorded off the request path).
    fn record_read(&self, ctx: &RequestCtx, kind: ResourceKind, id: Option<String>, status: u16) {
        let ev = self.event(ctx, kind, id, Action::Read, status, Vec::new());
        self.dir.record_read(ev);
    }

    /// Write a listing page as a ListResponse: `write` writes one resource's JSON.
    fn list_answer<T>(
        &self,
        plan: &ListPlan,
        listing: Listing<T>,
        key: impl Fn(&T) -> (i64, String),
        write: impl Fn(T, &mut Vec<u8>),
    ) -> Vec<u8> {
        let Listing { mut items, total } = listing;
        let mut next = None;
        if plan.cursor_mode {
            // The store fetched one row more than the page to tell whether another page exists.
            if items.len() as i64 > plan.count {
                items.truncate(plan.count as usize);
                if let Some(last) = items.last() {
                    let (created, id) = key(last);
                    next = Some(next_cursor(created, &id));
                }
            }
        }
        let n = items.len();
        let mut out = Vec::with_capacity(256 + n * 1536);
        write_list_head(
            &mut out,
            if plan.cursor_mode { None } else { total },
            (!plan.cursor_mode).then_some(plan.start_index),
            n,
            next.as_deref(),
        );
        for (i, item) in items.into_iter().enumerate() {
            if i > 0 {
                out.push(b',');
            }
            write(item, &mut out);
        }
        out.extend_from_slice(b"]}");
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn attrs(v: Value) -> Map<String, Value> {
        v.as_object().cloned().unwrap_or_default()
    }

    #[test]
    fn members_are_written_before_meta() {
        let attrs = attrs(json!({"id": "g", "displayName": "A", "meta": {"version": "W/\"1\""}}));
        let r = Rendered::from_parts(&attrs, Some(r#"[{"value":"u"}]"#));
        let text = String::from_utf8(r.json.clone()).unwrap();
        assert_eq!(
            text,
            r#"{"id":"g","displayName":"A","members":[{"value":"u"}],"meta":{"version":"W/\"1\""}}"#
        );
        assert_eq!(
            (r.id.as_deref(), r.version.as_deref()),
            (Some("g"), Some("W/\"1\""))
        );
        assert_eq!(r.location, None);
        // Read back from the text, the same.
        assert_eq!(Rendered::from_json(r.json.clone()), r);
    }

    #[test]
    fn members_go_last_without_meta_and_nothing_changes_without_members() {
        let r = Rendered::from_parts(&attrs(json!({"id": "g"})), Some("[]"));
        assert_eq!(r.json, br#"{"id":"g","members":[]}"#.to_vec());
        let plain = Rendered::from_parts(&attrs(json!({"id": "u", "userName": "x"})), None);
        assert_eq!(plain.json, br#"{"id":"u","userName":"x"}"#.to_vec());
        let located = Rendered::from_json(
            br#"{"id":"u","meta":{"location":"https://h/Users/u","version":"W/\"2\""}}"#.to_vec(),
        );
        assert_eq!(located.location.as_deref(), Some("https://h/Users/u"));
        assert_eq!(located.version.as_deref(), Some("W/\"2\""));
    }
}
