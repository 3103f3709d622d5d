//! SCIM Groups as role groups; membership travels as set deltas (design.md section 3).

use serde_json::{Map, Value, json};

use crate::domain::account::{GroupRecord, MemberChange, MemberLoad};
use crate::domain::directory::{Directory, GroupDecision};
use crate::domain::error::DomainError;
use crate::domain::ids::{AccountId, GroupId};
use crate::domain::listing::plan;
use crate::domain::mapping::group::{
    MemberFields, group_write, members_json, render, render_without_members,
};
use crate::domain::provisioning::users::refuse;
use crate::domain::provisioning::{Provisioning, Rendered, parse_id};
use crate::domain::sync::{Action, RequestCtx};
use crate::scim::error::ScimError;
use crate::scim::mutability;
use crate::scim::patch::{self, DeltaOp};
use crate::scim::projection::Projection;
use crate::scim::registry::ResourceKind;
use crate::scim::resource::ListParams;

const KIND: ResourceKind = ResourceKind::Group;

/// Member ids of a list of member objects (`{"value": id, ...}`).
fn member_ids(values: &[Value]) -> Result<Vec<AccountId>, ScimError> {
    values
        .iter()
        .map(|v| {
            let raw = v
                .get("value")
                .and_then(Value::as_str)
                .or_else(|| v.as_str())
                .ok_or_else(|| {
                    ScimError::invalid_value("a member needs a 'value' (the user id)")
                })?;
            AccountId::parse(raw).ok_or_else(|| {
                ScimError::invalid_value(format!("member '{raw}' is not a user of this tenant"))
            })
        })
        .collect()
}

/// Take `members` out of a normalised group document.
fn split_members(doc: &mut Map<String, Value>) -> Result<Option<Vec<AccountId>>, ScimError> {
    match doc.remove("members") {
        Some(Value::Array(list)) => Ok(Some(member_ids(&list)?)),
        _ => Ok(None),
    }
}

/// The action a set of membership changes amounts to.
fn membership_action(changes: &[MemberChange]) -> Action {
    let adds = changes.iter().all(|c| matches!(c, MemberChange::Add(_)));
    let removes = changes
        .iter()
        .all(|c| matches!(c, MemberChange::Remove(_) | MemberChange::RemoveAll));
    match (adds, removes) {
        (true, _) => Action::MembershipAdd,
        (_, true) => Action::MembershipRemove,
        _ => Action::MembershipChange,
    }
}

/// The member changes of a PATCH's deltas.
fn member_changes(deltas: &[patch::Delta]) -> Result<Vec<MemberChange>, DomainError> {
    let mut changes = Vec::with_capacity(deltas.len());
    for delta in deltas {
        changes.push(match &delta.op {
            DeltaOp::Add(values) => MemberChange::Add(member_ids(values)?),
            DeltaOp::Replace(values) => MemberChange::Replace(member_ids(values)?),
            DeltaOp::RemoveAll => MemberChange::RemoveAll,
            DeltaOp::Remove(ids) => MemberChange::Remove(
                // An id that is not a UUID cannot be a member: nothing to remove.
                ids.iter().filter_map(|s| AccountId::parse(s)).collect(),
            ),
        });
    }
    Ok(changes)
}

impl<D: Directory> Provisioning<D> {
    fn render_group(&self, rec: &GroupRecord, projection: &Projection) -> Rendered {
        let mut attrs = render_without_members(rec, &self.base_url);
        projection.apply(&self.registry, KIND, &mut attrs);
        let members = rec.members.as_deref().and_then(|m| {
            let fields = self.member_fields(projection)?;
            Some(members_json(m, &self.base_url, fields))
        });
        Rendered::from_parts(&attrs, members.as_deref())
    }

    /// What a read answered with `projection` loads of the members.
    fn member_load(&self, projection: &Projection) -> MemberLoad {
        match self.member_fields(projection) {
            None => MemberLoad::None,
            Some(f) if f.display => MemberLoad::WithDisplay,
            Some(_) => MemberLoad::Ids,
        }
    }

    /// Which member sub-attributes `projection` returns (None: not `members` at all), found
    /// by projecting one member with every sub-attribute, so the returned/request rules stay
    /// those of `Projection`.
    fn member_fields(&self, projection: &Projection) -> Option<MemberFields> {
        let mut sample = Map::new();
        sample.insert(
            "members".into(),
            json!([{"value": "v", "$ref": "r", "type": "User", "display": "d"}]),
        );
        projection.apply(&self.registry, KIND, &mut sample);
        let member = sample.get("members")?.as_array()?.first()?.as_object()?;
        Some(MemberFields {
            value: member.contains_key("value"),
            reference: member.contains_key("$ref"),
            kind: member.contains_key("type"),
            display: member.contains_key("display"),
        })
    }

    /// POST /Groups.
    pub async fn create_group(
        &self,
        ctx: &RequestCtx,
        body: &Value,
    ) -> Result<Rendered, DomainError> {
        self.recorded(ctx, KIND, None, async {
            let mut notes = Vec::new();
            let incoming = self.registry.normalize(KIND, body, &mut notes)?;
            let mut doc = mutability::prepare_create(&self.registry, KIND, incoming, &mut notes)?;
            let members = split_members(&mut doc)?.unwrap_or_default();
            let write = group_write(doc)?;
            let id = GroupId::random();
            let event = self.event(ctx, KIND, Some(id.to_string()), Action::Create, 201, notes);
            let rec = self
                .dir
                .insert_group(ctx.tenant, id, write, members, self.clock.now(), event)
                .await?;
            Ok(self.render_group(&rec, &Projection::all()))
        })
        .await
    }

    /// GET /Groups/{id}; members are loaded only when the projection shows them.
    pub async fn get_group(
        &self,
        ctx: &RequestCtx,
        raw_id: &str,
        projection: &Projection,
    ) -> Result<(Rendered, i64), DomainError> {
        let out = self
            .recorded(ctx, KIND, Some(raw_id), async {
                let id = parse_id(KIND, raw_id, GroupId::parse)?;
                let rec = self
                    .dir
                    .get_group(ctx.read_scope(), id, self.member_load(projection))
                    .await?
                    .ok_or_else(|| DomainError::NotFound(format!("Group {raw_id}")))?;
                Ok((self.render_group(&rec, projection), rec.version))
            })
            .await?;
        self.record_read(ctx, KIND, Some(raw_id.to_string()), 200);
        Ok(out)
    }

    /// GET /Groups and POST /Groups/.search.
    pub async fn list_groups(
        &self,
        ctx: &RequestCtx,
        params: &ListParams,
    ) -> Result<Vec<u8>, DomainError> {
        let answer = self
            .recorded(ctx, KIND, None, async {
                let plan = plan(&self.registry, KIND, params)?;
                let members = self.member_load(&plan.projection);
                let listing = self
                    .dir
                    .list_groups(ctx.read_scope(), &plan.query, members)
                    .await?;
                Ok(self.list_answer(
                    &plan,
                    listing,
                    |r: &GroupRecord| (r.created_at.timestamp_micros(), r.id.to_string()),
                    |r, out| {
                        let mut g = render(&r, &self.base_url);
                        plan.projection.apply(&self.registry, KIND, &mut g);
                        let _ = serde_json::to_writer(out, &g);
                    },
                ))
            })
            .await?;
        self.record_read(ctx, KIND, None, 200);
        Ok(answer)
    }

    /// PUT /Groups/{id}: a members list replaces membership (delta computed in SQL).
    pub async fn replace_group(
        &self,
        ctx: &RequestCtx,
        raw_id: &str,
        body: &Value,
        expected: Option<Vec<i64>>,
    ) -> Result<Rendered, DomainError> {
        self.recorded(ctx, KIND, Some(raw_id), async {
            let id = parse_id(KIND, raw_id, GroupId::parse)?;
            let mut notes = Vec::new();
            let mut incoming = self.registry.normalize(KIND, body, &mut notes)?;
            let members = split_members(&mut incoming)?;
            self.dir
                .update_group(ctx.tenant, id, expected, self.clock.now(), |current| {
                    let mut notes = notes.clone();
                    let doc = mutability::prepare_replace(
                        &self.registry,
                        KIND,
                        &current.doc,
                        incoming.clone(),
                        &mut notes,
                    );
                    let changes = members
                        .iter()
                        .map(|m| MemberChange::Replace(m.clone()))
                        .collect();
                    self.decide_group(ctx, current, doc, changes, notes, 200)
                })
                .await?;
            let rec = self
                .dir
                .get_group(ctx.read_scope(), id, MemberLoad::Ids)
                .await?
                .ok_or_else(|| DomainError::NotFound(format!("Group {raw_id}")))?;
            Ok(self.render_group(&rec, &Projection::all()))
        })
        .await
    }

    /// PATCH /Groups/{id}: answers None (204) unless `projection` was requested explicitly.
    pub async fn patch_group(
        &self,
        ctx: &RequestCtx,
        raw_id: &str,
        body: &Value,
        expected: Option<Vec<i64>>,
        answer_with: Option<&Projection>,
    ) -> Result<Option<Rendered>, DomainError> {
        self.recorded(ctx, KIND, Some(raw_id), async {
            let id = parse_id(KIND, raw_id, GroupId::parse)?;
            let mut notes = Vec::new();
            let request = patch::parse_request(&self.registry, KIND, body, &mut notes)?;
            let status = if answer_with.is_some() { 200 } else { 204 };
            if expected.is_none() && answer_with.is_none() && request.touches_only("members") {
                // Membership deltas alone commute and need nothing of the stored group: they
                // go to `change_members`, which lets concurrent changes of one group share
                // a commit (a hot group's adds would otherwise serialise one per commit).
                let mut doc = Map::new();
                let outcome = patch::apply(
                    &self.registry,
                    KIND,
                    &mut doc,
                    &request,
                    &["members"],
                    &mut notes,
                )?;
                let changes = member_changes(&outcome.deltas)?;
                let action = membership_action(&changes);
                let event = self.event(ctx, KIND, Some(id.to_string()), action, status, notes);
                self.dir
                    .change_members(ctx.tenant, id, changes, event, self.clock.now())
                    .await?;
                return Ok(None);
            }
            self.dir
                .update_group(ctx.tenant, id, expected, self.clock.now(), |current| {
                    let mut notes = notes.clone();
                    let mut doc = current.doc.clone();
                    let outcome = patch::apply(
                        &self.registry,
                        KIND,
                        &mut doc,
                        &request,
                        &["members"],
                        &mut notes,
                    )?;
                    let changes = member_changes(&outcome.deltas)?;
                    self.decide_group(ctx, current, doc, changes, notes, status)
                })
                .await?;
            match answer_with {
                None => Ok(None),
                Some(projection) => {
                    let rec = self
                        .dir
                        .get_group(ctx.read_scope(), id, self.member_load(projection))
                        .await?
                        .ok_or_else(|| DomainError::NotFound(format!("Group {raw_id}")))?;
                    Ok(Some(self.render_group(&rec, projection)))
                }
            }
        })
        .await
    }

    fn decide_group(
        &self,
        ctx: &RequestCtx,
        current: &GroupRecord,
        mut doc: Map<String, Value>,
        members: Vec<MemberChange>,
        mut notes: Vec<String>,
        status: u16,
    ) -> Result<GroupDecision, DomainError> {
        let violations = mutability::check_immutable(&self.registry, KIND, &current.doc, &doc);
        if !violations.is_empty() {
            return Err(refuse(&violations));
        }
        mutability::keep_stored_spelling(&self.registry, KIND, &current.doc, &mut doc, &mut notes);
        let id = Some(current.id.to_string());
        let doc_changed = doc != current.doc;
        let action = if doc_changed || members.is_empty() {
            Action::Update
        } else {
            membership_action(&members)
        };
        let write = if doc_changed {
            Some(group_write(doc)?)
        } else {
            None
        };
        Ok(GroupDecision {
            write,
            members,
            event: self.event(ctx, KIND, id, action, status, notes),
        })
    }

    /// DELETE /Groups/{id}: soft delete.
    pub async fn delete_group(
        &self,
        ctx: &RequestCtx,
        raw_id: &str,
        expected: Option<Vec<i64>>,
    ) -> Result<(), DomainError> {
        self.recorded(ctx, KIND, Some(raw_id), async {
            let id = parse_id(KIND, raw_id, GroupId::parse)?;
            let event = self.event(
                ctx,
                KIND,
                Some(id.to_string()),
                Action::Delete,
                204,
                Vec::new(),
            );
            self.dir
                .delete_group(ctx.tenant, id, expected, self.clock.now(), event)
                .await
        })
        .await
    }
}
