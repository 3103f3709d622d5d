//! List requests (RFC 7644 3.4.2, RFC 9865) in domain terms.

use crate::domain::error::DomainError;
use crate::domain::mapping::filter::{sort_target, to_query};
use crate::domain::query::{ListQuery, Page, Query};
use crate::scim::error::ScimError;
use crate::scim::filter::{self, CompValue, CompareOp, Filter};
use crate::scim::projection::Projection;
use crate::scim::registry::{Registry, ResourceKind};
use crate::scim::resource::{Cursor, ListParams, SortOrder};

/// Default page size when the client names no `count`.
pub const DEFAULT_PAGE_SIZE: i64 = 100;
/// `filter.maxResults` of the ServiceProviderConfig: the largest page.
pub const MAX_RESULTS: i64 = 1000;

/// A list request ready for the store, and how to render its answer.
#[derive(Debug)]
pub struct ListPlan {
    /// What the store runs.
    pub query: ListQuery,
    /// What the answer shows.
    pub projection: Projection,
    /// Cursor mode (RFC 9865) rather than index mode.
    pub cursor_mode: bool,
    /// The index mode start.
    pub start_index: i64,
    /// Page size.
    pub count: i64,
}

/// Turn list parameters into a plan: parse and check the filter, resolve sortBy, pick paging.
pub fn plan(
    registry: &Registry,
    kind: ResourceKind,
    params: &ListParams,
) -> Result<ListPlan, DomainError> {
    let query = match params.filter.as_deref().map(str::trim) {
        None | Some("") => Query::Const(true),
        Some(text) => {
            let parsed = filter::parse(text)?;
            let checked = filter::check(registry, kind, &parsed)?;
            to_query(kind, &checked)?
        }
    };
    let descending = params.sort_order == SortOrder::Descending;
    let sort = match params.sort_by.as_deref() {
        None | Some("") => None,
        Some(s) => {
            let path = registry
                .parse_path(kind, s)
                .map_err(|e| ScimError::invalid_value(e.detail))?;
            let r = registry
                .resolve(kind, &path)
                .map_err(|e| ScimError::invalid_value(e.detail))?;
            let target = r.target();
            let mut canon = r.path();
            if r.sub.is_none() && r.attr.is_complex() && r.attr.sub("value").is_some() {
                canon.sub_attr = Some("value".into());
            }
            Some(sort_target(
                kind,
                &canon,
                target.attr_type,
                target.case_exact,
                r.attr.multi_valued,
                descending,
            ))
        }
    };
    let count = params.page_size(DEFAULT_PAGE_SIZE, MAX_RESULTS);
    let projection = Projection::parse(
        registry,
        kind,
        params.attributes.as_deref(),
        params.excluded_attributes.as_deref(),
    )?;
    let (page, cursor_mode) = match &params.cursor {
        Some(c) => {
            if sort.is_some() {
                return Err(ScimError::invalid_value(
                    "cursor paging returns resources in creation order; sortBy cannot be combined with cursor",
                )
                .into());
            }
            let after = if c.is_empty() {
                None
            } else {
                let cur = Cursor::decode(c)?;
                let created: i64 = cur
                    .after_key
                    .as_deref()
                    .and_then(|k| k.parse().ok())
                    .ok_or_else(|| ScimError::invalid_cursor("the cursor is not valid"))?;
                Some((created, cur.after_id))
            };
            (Page::Cursor { after, count }, true)
        }
        None => (
            Page::Index {
                start: params.start_index.unwrap_or(1).max(1),
                count,
            },
            false,
        ),
    };
    Ok(ListPlan {
        query: ListQuery {
            filter: query,
            sort,
            page,
        },
        projection,
        cursor_mode,
        start_index: params.start_index.unwrap_or(1).max(1),
        count,
    })
}

/// What a filter of a query across resource types (the root `/.search`) asks of one type.
#[derive(Debug, Clone, PartialEq)]
pub enum AcrossTypes {
    /// No resource of the type can match: skip it.
    Nothing,
    /// List the type with this filter (None: every resource).
    Filter(Option<String>),
}

/// RFC 7644 3.4.2.1: "For filtered attributes that are not part of a particular resource type,
/// the service provider SHALL treat the attribute as if there is no attribute value." The
/// filter `text` as `kind` sees it: comparisons on attributes only other resource types have
/// are decided as on an unassigned attribute; attributes no resource type has stay errors.
pub fn filter_across_types(
    registry: &Registry,
    kind: ResourceKind,
    text: Option<&str>,
) -> Result<AcrossTypes, ScimError> {
    let Some(text) = text.map(str::trim).filter(|t| !t.is_empty()) else {
        return Ok(AcrossTypes::Filter(None));
    };
    Ok(match restrict(registry, kind, &filter::parse(text)?)? {
        Restricted::Const(false) => AcrossTypes::Nothing,
        Restricted::Const(true) => AcrossTypes::Filter(None),
        Restricted::Filter(f) => AcrossTypes::Filter(Some(f.to_string())),
    })
}

/// A filter with the leaves `kind` does not have decided.
enum Restricted {
    Const(bool),
    Filter(Filter),
}

fn restrict(registry: &Registry, kind: ResourceKind, f: &Filter) -> Result<Restricted, ScimError> {
    use Restricted::{Const, Filter as Keep};
    Ok(match f {
        Filter::And(a, b) => match (restrict(registry, kind, a)?, restrict(registry, kind, b)?) {
            (Const(false), _) | (_, Const(false)) => Const(false),
            (Const(true), x) | (x, Const(true)) => x,
            (Keep(a), Keep(b)) => Keep(Filter::And(Box::new(a), Box::new(b))),
        },
        Filter::Or(a, b) => match (restrict(registry, kind, a)?, restrict(registry, kind, b)?) {
            (Const(true), _) | (_, Const(true)) => Const(true),
            (Const(false), x) | (x, Const(false)) => x,
            (Keep(a), Keep(b)) => Keep(Filter::Or(Box::new(a), Box::new(b))),
        },
        Filter::Not(a) => match restrict(registry, kind, a)? {
            Const(b) => Const(!b),
            Keep(x) => Keep(Filter::Not(Box::new(x))),
        },
        leaf => match filter::check(registry, kind, leaf) {
            Ok(_) => Keep(leaf.clone()),
            Err(e) => {
                let elsewhere = [ResourceKind::User, ResourceKind::Group]
                    .into_iter()
                    .any(|k| k != kind && filter::check(registry, k, leaf).is_ok());
                if !elsewhere {
                    return Err(e);
                }
                // As on an unassigned attribute: `ne v` (not eq) and `eq null` hold, the rest not.
                Const(match leaf {
                    Filter::Compare(_, CompareOp::Ne, v) => *v != CompValue::Null,
                    Filter::Compare(_, CompareOp::Eq, CompValue::Null) => true,
                    _ => false,
                })
            }
        },
    })
}

/// The cursor pointing after a row (creation time in microseconds, id).
pub fn next_cursor(created_us: i64, id: &str) -> String {
    Cursor {
        after_key: Some(created_us.to_string()),
        after_id: id.to_string(),
    }
    .encode()
}
