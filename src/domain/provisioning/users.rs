//! SCIM Users as operator accounts (design.md section 3).

use serde_json::{Map, Value};

use crate::domain::account::{AccountRecord, AccountWrite, UserResource};
use crate::domain::directory::{Decision, Directory};
use crate::domain::error::DomainError;
use crate::domain::ids::AccountId;
use crate::domain::listing::plan;
use crate::domain::mapping::user::{account_fields, has_skills, same_skills, write};
use crate::domain::provisioning::{Provisioning, Rendered, parse_id};
use crate::domain::sync::{Action, RequestCtx};
use crate::scim::error::ScimError;
use crate::scim::mutability::{self, Violation};
use crate::scim::patch;
use crate::scim::projection::Projection;
use crate::scim::registry::ResourceKind;
use crate::scim::resource::ListParams;

const KIND: ResourceKind = ResourceKind::User;

/// One refusal for every immutable attribute a request tried to change.
pub(super) fn refuse(violations: &[Violation]) -> DomainError {
    let detail = violations
        .iter()
        .map(Violation::detail)
        .collect::<Vec<_>>()
        .join("; ");
    ScimError::mutability(detail).into()
}

/// Whether two User documents hold the same attributes. `schemas` is left out: RFC 7643 3
/// makes it the list of schemas of the attributes present, which `render` derives, so a
/// request differing only there (a GET body resent with the extension URNs) changes nothing.
fn same_attributes(a: &Map<String, Value>, b: &Map<String, Value>) -> bool {
    let attrs = |m: &Map<String, Value>| m.iter().filter(|(k, _)| k.as_str() != "schemas").count();
    attrs(a) == attrs(b)
        && a.iter()
            .filter(|(k, _)| k.as_str() != "schemas")
            .all(|(k, v)| b.get(k) == Some(v))
}

/// The action a change of `active` amounts to.
fn action_for(before: &AccountRecord, after: &AccountWrite) -> Action {
    match (before.fields.active, after.fields.active) {
        (true, false) => Action::Deactivate,
        (false, true) => Action::Reactivate,
        _ => Action::Update,
    }
}

impl<D: Directory> Provisioning<D> {
    async fn catalog_if_needed(
        &self,
        ctx: &RequestCtx,
        needed: bool,
    ) -> Result<Option<Vec<String>>, DomainError> {
        Ok(if needed {
            Some(self.dir.skill_catalog(ctx.tenant).await?)
        } else {
            None
        })
    }

    fn render_user(
        &self,
        rec: impl Into<UserResource>,
        projection: &Projection,
        groups_loaded: bool,
    ) -> Rendered {
        let mut out = Vec::with_capacity(2048);
        write(
            &rec.into(),
            &self.base_url,
            groups_loaded,
            projection,
            &self.registry,
            &mut out,
        );
        Rendered::from_json(out)
    }

    /// POST /Users.
    pub async fn create_user(
        &self,
        ctx: &RequestCtx,
        body: &Value,
    ) -> Result<Rendered, DomainError> {
        self.recorded(ctx, KIND, None, async {
            let mut notes = Vec::new();
            let incoming = self.registry.normalize(KIND, body, &mut notes)?;
            let doc = mutability::prepare_create(&self.registry, KIND, incoming, &mut notes)?;
            let catalog = self.catalog_if_needed(ctx, has_skills(&doc)).await?;
            let fields = account_fields(&doc, catalog.as_deref())?;
            let id = AccountId::random();
            let event = self.event(ctx, KIND, Some(id.to_string()), Action::Create, 201, notes);
            let rec = self
                .dir
                .insert_account(
                    ctx.read_scope(),
                    id,
                    AccountWrite { fields, doc },
                    self.clock.now(),
                    event,
                )
                .await?;
            Ok(self.render_user(rec, &Projection::all(), false))
        })
        .await
    }

    /// GET /Users/{id}: the resource and its version.
    pub async fn get_user(
        &self,
        ctx: &RequestCtx,
        raw_id: &str,
        projection: &Projection,
    ) -> Result<(Rendered, i64), DomainError> {
        let rec = self
            .recorded(ctx, KIND, Some(raw_id), async {
                let id = parse_id(KIND, raw_id, AccountId::parse)?;
                let with_groups = projection.wants(None, "groups");
                let rec = self
                    .dir
                    .get_user_resource(ctx.read_scope(), id, with_groups)
                    .await?
                    .ok_or_else(|| DomainError::NotFound(format!("User {raw_id}")))?;
                let version = rec.version;
                Ok((self.render_user(rec, projection, with_groups), version))
            })
            .await?;
        self.record_read(ctx, KIND, Some(raw_id.to_string()), 200);
        Ok(rec)
    }

    /// GET /Users and POST /Users/.search.
    pub async fn list_users(
        &self,
        ctx: &RequestCtx,
        params: &ListParams,
    ) -> Result<Vec<u8>, DomainError> {
        let answer = self
            .recorded(ctx, KIND, None, async {
                let plan = plan(&self.registry, KIND, params)?;
                let with_groups = plan.projection.wants(None, "groups");
                let listing = self
                    .dir
                    .list_user_resources(ctx.read_scope(), &plan.query, with_groups)
                    .await?;
                Ok(self.list_answer(
                    &plan,
                    listing,
                    |r: &UserResource| (r.created_at.timestamp_micros(), r.id.to_string()),
                    |r, out| {
                        write(
                            &r,
                            &self.base_url,
                            with_groups,
                            &plan.projection,
                            &self.registry,
                            out,
                        )
                    },
                ))
            })
            .await?;
        self.record_read(ctx, KIND, None, 200);
        Ok(answer)
    }

    /// PUT /Users/{id} (RFC 7644 3.5.1).
    pub async fn replace_user(
        &self,
        ctx: &RequestCtx,
        raw_id: &str,
        body: &Value,
        expected: Option<Vec<i64>>,
    ) -> Result<Rendered, DomainError> {
        self.recorded(ctx, KIND, Some(raw_id), async {
            let id = parse_id(KIND, raw_id, AccountId::parse)?;
            let mut notes = Vec::new();
            let incoming = self.registry.normalize(KIND, body, &mut notes)?;
            let catalog = self.catalog_if_needed(ctx, has_skills(&incoming)).await?;
            let rec = self
                .dir
                .update_account(
                    ctx.read_scope(),
                    id,
                    expected,
                    self.clock.now(),
                    |current| {
                        let mut notes = notes.clone();
                        let doc = mutability::prepare_replace(
                            &self.registry,
                            KIND,
                            &current.doc,
                            incoming.clone(),
                            &mut notes,
                        );
                        self.decide_user(ctx, current, doc, catalog.as_deref(), notes, 200)
                    },
                )
                .await?;
            // RFC 7644 3.5.1: the answer is the full resource, groups included (read with
            // the row by `update_account`).
            Ok(self.render_user(rec, &Projection::all(), true))
        })
        .await
    }

    /// PATCH /Users/{id} (RFC 7644 3.5.2): answers the resource (200).
    pub async fn patch_user(
        &self,
        ctx: &RequestCtx,
        raw_id: &str,
        body: &Value,
        expected: Option<Vec<i64>>,
        projection: &Projection,
    ) -> Result<Rendered, DomainError> {
        let (rendered, _) = self
            .patch_user_versioned(ctx, raw_id, body, expected, projection)
            .await?;
        Ok(rendered)
    }

    /// PATCH /Users/{id} with the new version, for the ETag: a projected answer may leave
    /// `meta` out (RFC 7644 3.5.2 returns the resource "subject to the attributes parameter").
    pub async fn patch_user_versioned(
        &self,
        ctx: &RequestCtx,
        raw_id: &str,
        body: &Value,
        expected: Option<Vec<i64>>,
        projection: &Projection,
    ) -> Result<(Rendered, i64), DomainError> {
        self.recorded(ctx, KIND, Some(raw_id), async {
            let id = parse_id(KIND, raw_id, AccountId::parse)?;
            let mut notes = Vec::new();
            let request = patch::parse_request(&self.registry, KIND, body, &mut notes)?;
            let mentions_skills = body.to_string().to_ascii_lowercase().contains("skills");
            let catalog = self.catalog_if_needed(ctx, mentions_skills).await?;
            let rec = self
                .dir
                .update_account(
                    ctx.read_scope(),
                    id,
                    expected,
                    self.clock.now(),
                    |current| {
                        let mut notes = notes.clone();
                        let mut doc = current.doc.map().clone();
                        patch::apply(&self.registry, KIND, &mut doc, &request, &[], &mut notes)?;
                        self.decide_user(ctx, current, doc, catalog.as_deref(), notes, 200)
                    },
                )
                .await?;
            // The groups came with the row read by `update_account`.
            let with_groups = projection.wants(None, "groups");
            let version = rec.version;
            Ok((self.render_user(rec, projection, with_groups), version))
        })
        .await
    }

    /// The shared tail of PUT and PATCH: immutability, mapping, event.
    fn decide_user(
        &self,
        ctx: &RequestCtx,
        current: &AccountRecord,
        mut doc: Map<String, Value>,
        catalog: Option<&[String]>,
        mut notes: Vec<String>,
        status: u16,
    ) -> Result<Decision<AccountWrite>, DomainError> {
        let violations = mutability::check_immutable(&self.registry, KIND, &current.doc, &doc);
        if !violations.is_empty() {
            return Err(refuse(&violations));
        }
        // A resent immutable value that differs only in case keeps its stored spelling.
        mutability::keep_stored_spelling(&self.registry, KIND, &current.doc, &mut doc, &mut notes);
        let id = Some(current.id.to_string());
        if same_attributes(&doc, &current.doc) {
            return Ok(Decision {
                write: None,
                event: self.event(ctx, KIND, id, Action::Update, status, notes),
            });
        }
        // Skills are checked against the catalog when they change; unchanged ones were checked
        // when set (a PATCH that does not mention skills has not even loaded the catalog, and
        // a skill since dropped from the catalog must not block unrelated changes).
        let catalog = if same_skills(&doc, &current.doc) {
            None
        } else {
            Some(catalog.unwrap_or(&[]))
        };
        let fields = account_fields(&doc, catalog)?;
        let write = AccountWrite { fields, doc };
        let action = action_for(current, &write);
        Ok(Decision {
            write: Some(write),
            event: self.event(ctx, KIND, id, action, status, notes),
        })
    }

    /// DELETE /Users/{id}: soft delete.
    pub async fn delete_user(
        &self,
        ctx: &RequestCtx,
        raw_id: &str,
        expected: Option<Vec<i64>>,
    ) -> Result<(), DomainError> {
        self.recorded(ctx, KIND, Some(raw_id), async {
            let id = parse_id(KIND, raw_id, AccountId::parse)?;
            let event = self.event(
                ctx,
                KIND,
                Some(id.to_string()),
                Action::Delete,
                204,
                Vec::new(),
            );
            self.dir
                .delete_account(ctx.tenant, id, expected, self.clock.now(), event)
                .await
        })
        .await
    }
}
