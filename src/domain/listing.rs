//! List requests (RFC 7644 3.4.2, RFC 9865) in domain terms.

use crate::domain::error::DomainError;
use crate::domain::mapping::filter::{sort_target, to_query};
use crate::domain::query::{ListQuery, Page, Query};
use crate::scim::error::ScimError;
use crate::scim::filter;
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
pub fn plan(registry: &Registry, kind: ResourceKind, params: &ListParams) -> Result<ListPlan, DomainError> {
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

/// The cursor pointing after a row (creation time in microseconds, id).
pub fn next_cursor(created_us: i64, id: &str) -> String {
    Cursor {
        after_key: Some(created_us.to_string()),
        after_id: id.to_string(),
    }
    .encode()
}
