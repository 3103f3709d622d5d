//! `/Bulk` (RFC 7644 3.7): operations run in order, each its own transaction and sync event;
//! `bulkId` references resolve to the ids created earlier in the same request.

use std::collections::HashMap;

use serde_json::{Value, json};

use crate::domain::directory::Directory;
use crate::domain::error::DomainError;
use crate::domain::provisioning::{Provisioning, Rendered};
use crate::domain::sync::RequestCtx;
use crate::scim::bulk::{
    self, BULK_ID_PREFIX, BULK_RESPONSE_SCHEMA, BulkMethod, BulkOperation, BulkTarget,
    response_entry,
};
use crate::scim::error::ScimError;
use crate::scim::projection::Projection;
use crate::scim::registry::ResourceKind;
use crate::scim::resource::{EtagMatch, parse_etags};

/// What one operation produced.
struct Done {
    status: u16,
    id: Option<String>,
    location: Option<String>,
    version: Option<String>,
}

fn from_resource(status: u16, r: &Rendered) -> Done {
    Done {
        status,
        id: r.id.clone(),
        location: r.location.clone(),
        version: r.version.clone(),
    }
}

impl<D: Directory> Provisioning<D> {
    /// POST /Bulk: answers a BulkResponse (200) unless the request itself is malformed.
    pub async fn bulk(&self, ctx: &RequestCtx, body: &Value) -> Result<Value, DomainError> {
        let request = bulk::parse(body)?;
        let n = request.operations.len();
        let mut created: HashMap<String, String> = HashMap::new();
        let mut results: Vec<Option<Value>> = vec![None; n];
        let mut errors = 0usize;
        let mut pending: Vec<usize> = (0..n).collect();
        // RFC 7644 3.7.1: an operation may reference a bulkId created by a later one, so
        // operations whose references are not yet resolvable wait for the next pass.
        'passes: while !pending.is_empty() {
            let mut waiting = Vec::new();
            let mut progressed = false;
            for i in pending {
                if request.fail_on_errors.is_some_and(|limit| errors >= limit) {
                    break 'passes;
                }
                let op = &request.operations[i];
                let mut data = op.data.clone();
                let mut path = op.path.clone();
                let mut missing: Vec<String> = bulk::substitute_path(&mut path, &created)
                    .into_iter()
                    .collect();
                if let Some(d) = data.as_mut() {
                    missing.extend(bulk::substitute(d, &created));
                }
                if !missing.is_empty() {
                    waiting.push(i);
                    continue;
                }
                progressed = true;
                let entry = match self.bulk_op(ctx, op, &path, data.as_ref()).await {
                    Ok(done) => {
                        if let (Some(b), Some(id)) = (&op.bulk_id, &done.id) {
                            created.insert(b.clone(), id.clone());
                        }
                        response_entry(
                            op,
                            done.status,
                            done.location.as_deref(),
                            done.version.as_deref(),
                            None,
                        )
                    }
                    Err(e) => {
                        errors += 1;
                        let scim = e.to_scim();
                        response_entry(op, scim.status, None, None, Some(&scim))
                    }
                };
                results[i] = Some(entry);
            }
            if !progressed {
                // RFC 7644 3.7.1: circular or unknown references cannot be resolved → 409.
                for i in waiting {
                    let op = &request.operations[i];
                    let err = ScimError::new(
                        409,
                        Some(crate::scim::error::ScimType::InvalidValue),
                        format!(
                            "operation references a {BULK_ID_PREFIX} that no successful operation created"
                        ),
                    );
                    results[i] = Some(response_entry(op, 409, None, None, Some(&err)));
                }
                break;
            }
            pending = waiting;
        }
        let operations: Vec<Value> = results.into_iter().flatten().collect();
        Ok(json!({"schemas": [BULK_RESPONSE_SCHEMA], "Operations": operations}))
    }

    async fn bulk_op(
        &self,
        parent: &RequestCtx,
        op: &BulkOperation,
        path: &str,
        data: Option<&Value>,
    ) -> Result<Done, DomainError> {
        let ctx = RequestCtx {
            method: op.method.as_str().to_string(),
            path: format!("{} {path}", parent.path),
            started: std::time::Instant::now(),
            ..parent.clone()
        };
        let expected = op.version.as_deref().and_then(|v| match parse_etags(v) {
            EtagMatch::Any => None,
            EtagMatch::Versions(v) => Some(v),
        });
        let null = Value::Null;
        let body = data.unwrap_or(&null);
        let all = Projection::all();
        match (op.method, bulk::parse_target(path)?) {
            (BulkMethod::Post, BulkTarget::Collection(ResourceKind::User)) => {
                Ok(from_resource(201, &self.create_user(&ctx, body).await?))
            }
            (BulkMethod::Post, BulkTarget::Collection(ResourceKind::Group)) => {
                Ok(from_resource(201, &self.create_group(&ctx, body).await?))
            }
            (BulkMethod::Put, BulkTarget::Resource(ResourceKind::User, id)) => Ok(from_resource(
                200,
                &self.replace_user(&ctx, &id, body, expected).await?,
            )),
            (BulkMethod::Put, BulkTarget::Resource(ResourceKind::Group, id)) => Ok(from_resource(
                200,
                &self.replace_group(&ctx, &id, body, expected).await?,
            )),
            (BulkMethod::Patch, BulkTarget::Resource(ResourceKind::User, id)) => Ok(from_resource(
                200,
                &self.patch_user(&ctx, &id, body, expected, &all).await?,
            )),
            (BulkMethod::Patch, BulkTarget::Resource(ResourceKind::Group, id)) => {
                self.patch_group(&ctx, &id, body, expected, None).await?;
                Ok(Done {
                    status: 204,
                    location: Some(crate::domain::mapping::location(
                        &self.base_url,
                        "Groups",
                        &id,
                    )),
                    id: Some(id),
                    version: None,
                })
            }
            (BulkMethod::Delete, BulkTarget::Resource(kind, id)) => {
                match kind {
                    ResourceKind::User => self.delete_user(&ctx, &id, expected).await?,
                    ResourceKind::Group => self.delete_group(&ctx, &id, expected).await?,
                }
                Ok(Done {
                    status: 204,
                    location: Some(crate::domain::mapping::location(
                        &self.base_url,
                        kind.endpoint(),
                        &id,
                    )),
                    id: Some(id),
                    version: None,
                })
            }
            (m, _) => Err(ScimError::invalid_path(format!(
                "{} is not allowed on '{path}'",
                m.as_str()
            ))
            .into()),
        }
    }
}
