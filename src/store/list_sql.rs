//! List queries: the page (ordered, index or keyset paged) and the count, around a filter
//! compiled by `filter_sql`.

use crate::domain::query::{Page, Query, Sort, Target};
use crate::domain::tenant::AuthGate;
use crate::store::Dialect;
use crate::store::admin::push_gate_column;
use crate::store::filter_sql::{
    Bind, Scope, Sql, Table, column_sql, compile, fold_open, json_text, primary_or_first,
};

/// Append `ORDER BY` for a sort (ties broken by creation order, then id).
pub fn order_by(sql: &mut Sql, table: Table, sort: Option<&Sort>) {
    sql.push(" ORDER BY ");
    if let Some(s) = sort {
        match &s.target {
            Target::Column(c) => {
                let (col, key) = column_sql(table, *c);
                match (s.fold, key) {
                    (true, Some(k)) => sql.push(k),
                    (true, None) => sql.push(fold_open(sql.dialect)).push(col).push(")"),
                    (false, _) => sql.push(col),
                };
            }
            Target::Doc(keys) => {
                if s.fold {
                    sql.push(fold_open(sql.dialect));
                    json_text(sql, Scope::Row, keys);
                    sql.push(")");
                } else {
                    json_text(sql, Scope::Row, keys);
                }
            }
            Target::MemberId | Target::GroupId => {
                sql.push("t.id");
            }
            Target::PrimaryOrFirst { array, sub } => {
                if s.fold {
                    sql.push(fold_open(sql.dialect));
                }
                primary_or_first(sql, array, sub.as_ref());
                if s.fold {
                    sql.push(")");
                }
            }
        }
        sql.push(if s.descending {
            " DESC NULLS LAST, "
        } else {
            " ASC NULLS LAST, "
        });
    }
    sql.push("t.created_at, t.id");
}

/// The total of an index-paged list when its page alone shows it: a page shorter than asked
/// for is the last one (an empty page says nothing unless it starts at 1).
pub fn total_from_page(page: &Page, rows: usize) -> Option<i64> {
    let Page::Index { start, count } = page else {
        return None;
    };
    let n = rows as i64;
    ((n > 0 || *start == 1) && n < *count).then_some(start - 1 + n)
}

/// Whether a list's SQL may be kept as a prepared statement: only shapes drawn from a small
/// fixed set (diesel's statement cache has no bound), which are the ones IdPs repeat on
/// every sync: no filter, or one equality (`userName eq "…"`, `externalId eq "…"`,
/// `displayName eq "…"`), in the default order.
pub fn prepared_shape(query: &crate::domain::query::ListQuery) -> bool {
    use crate::domain::query::CompareOp;
    query.sort.is_none()
        && match &query.filter {
            Query::Const(_) => true,
            Query::Compare { op, .. } => *op == CompareOp::Eq,
            _ => false,
        }
}

/// Whether a list is a point lookup: one equality on an indexed key (`id`, `externalId`,
/// `userName`, a group's `displayName`) in the default order, a few index probes. Such reads
/// may share the thread's pipelined read connection; other lists (pages that count a whole
/// tenant, scans of documents) take a connection of their own, so that they never hold up
/// the point reads queued behind them on the shared one.
pub fn is_point_lookup(query: &crate::domain::query::ListQuery) -> bool {
    key_equality(query).is_some()
}

/// Whether a list is an equality on a key unique among a tenant's live rows (`id`,
/// `userName`, a group's `displayName`): at most one row.
pub fn is_unique_lookup(query: &crate::domain::query::ListQuery) -> bool {
    key_equality(query).is_some_and(|c| c != crate::domain::query::Column::ExternalId)
}

/// The indexed key a list is one equality on, in the default order.
fn key_equality(query: &crate::domain::query::ListQuery) -> Option<crate::domain::query::Column> {
    use crate::domain::query::{Column, CompareOp, Target};
    match (&query.sort, &query.filter) {
        (
            None,
            Query::Compare {
                target:
                    Target::Column(
                        c @ (Column::Id
                        | Column::ExternalId
                        | Column::UserName
                        | Column::GroupDisplayName),
                    ),
                op: CompareOp::Eq,
                ..
            },
        ) => Some(*c),
        _ => None,
    }
}

/// The column of a user row `t` that holds the user's live groups as JSON text
/// `[[id, displayName], ...]` (NULL or `[]` when none), kept by triggers on `memberships` and
/// `groups` (migration 000014): a user and its groups come back in one statement, read from
/// the row. (Computed per read, as a subquery per user, they were two thirds of a page's
/// work in PostgreSQL.) Unordered: the rows are put in order (display name, then id) as
/// they are read (`models::parse_group_refs`).
pub const GROUPS_COLUMN: &str = "t.groups_json";

/// One live user by id, with its groups (`UserWithGroups`). The caller compares the row's
/// tenant ([`of_tenant`]).
///
/// Point lookups by id name only the primary key (and `deleted_at`, which no index leads
/// with): with `tenant_id = ?` beside it, PostgreSQL sometimes planned the lookup on the
/// tenant's creation-order index (`tenant_id` then `id` both index conditions, the partial
/// index's predicate matching `deleted_at IS NULL`), which walks every entry of the tenant
/// comparing ids: most of PostgreSQL's time under `GET /Users/{id}` in a profile.
///
/// `columns` is the select list of the row type read (`UserRead::COLUMNS`).
pub fn user_with_groups_sql(
    dialect: Dialect,
    columns: &str,
    id: &str,
    gate: Option<&AuthGate>,
) -> Sql {
    let mut sql = Sql::new(dialect);
    select(&mut sql, &mut Some(Outer { gate, total: None }))
        .push(columns)
        .push(", ")
        .push(GROUPS_COLUMN)
        .push(" FROM users t WHERE t.id = ")
        .bind(Bind::Text(id.to_string()))
        .push(" AND t.deleted_at IS NULL");
    sql
}

/// One live row of `table` by id (a `users` row without its groups, a `groups` row without
/// its members), its tenant compared by the caller ([`of_tenant`]), as for
/// [`user_with_groups_sql`].
/// `columns` as for [`user_with_groups_sql`] (`t.*` for a whole row).
pub fn row_by_id_sql(
    dialect: Dialect,
    table: Table,
    columns: &str,
    id: &str,
    gate: Option<&AuthGate>,
) -> Sql {
    let name = table_name(table);
    let mut sql = Sql::new(dialect);
    select(&mut sql, &mut Some(Outer { gate, total: None }))
        .push(columns)
        .push(" FROM ")
        .push(name)
        .push(" t WHERE t.id = ")
        .bind(Bind::Text(id.to_string()))
        .push(" AND t.deleted_at IS NULL");
    sql
}

/// A row read by primary key alone (see [`user_with_groups_sql`]), kept only if it is the
/// tenant's.
pub fn of_tenant<R>(row: Option<R>, tenant: &str, tenant_of: impl Fn(&R) -> &str) -> Option<R> {
    row.filter(|r| tenant_of(r) == tenant)
}

/// What the outermost select of a list statement carries besides its rows.
struct Outer<'g> {
    /// The token check's column ([`push_gate_column`]).
    gate: Option<&'g AuthGate>,
    /// The list's total, as a column `page_total` (an unfiltered page: the `live_counts`
    /// sum rides in the page's statement instead of a second round trip).
    total: Option<Sql>,
}

/// `SELECT `, and for the statement's outermost select (the first call) the columns it
/// carries ([`Outer`]) first in its list.
fn select<'s>(sql: &'s mut Sql, outermost: &mut Option<Outer<'_>>) -> &'s mut Sql {
    sql.push("SELECT ");
    if let Some(outer) = outermost.take() {
        push_gate_column(sql, outer.gate);
        sql.push(", ");
        if let Some(total) = outer.total {
            sql.push("(").push_sql(total).push(") AS page_total, ");
        }
    }
    sql
}

/// The number of live rows of a tenant's `table`: the count the `live_counts` triggers keep
/// (its slots summed), where counting the rows read the tenant's whole index on every page.
fn live_count_sql(dialect: Dialect, table: Table, tenant: &str) -> Sql {
    let mut sql = Sql::new(dialect);
    sql.push(
        "SELECT CAST(COALESCE(SUM(c.n), 0) AS BIGINT) AS n FROM live_counts c WHERE c.tenant_id = ",
    )
    .bind(Bind::Text(tenant.to_string()))
    .push(" AND c.kind = '")
    .push(table_name(table))
    .push("'");
    sql
}

fn table_name(table: Table) -> &'static str {
    match table {
        Table::Users => "users",
        Table::Groups => "groups",
    }
}

/// Build the page query and (for index paging) the count query for a list (an unfiltered
/// page's rows carry the total as `page_total`, read by `Gated`: the count query is then run
/// only for a page that came back empty); `with_groups`
/// (users only) adds each row's groups ([`GROUPS_COLUMN`]).
/// Page rows are [`Gated`](crate::store::models::Gated): they carry `gate`'s token check.
/// `columns` is the outermost select list of the row (`t.*`, or the columns a row type
/// reads, `UserRead::COLUMNS`); inner subqueries keep `t.*`, whose unused columns the
/// planners drop.
pub fn list_sql(
    dialect: Dialect,
    table: Table,
    columns: &str,
    tenant: &str,
    query: &crate::domain::query::ListQuery,
    with_groups: bool,
    gate: Option<&AuthGate>,
) -> (Sql, Option<Sql>) {
    let with_groups = with_groups && table == Table::Users;
    let with_columns;
    let columns = if with_groups {
        with_columns = format!("{columns}, {GROUPS_COLUMN}");
        with_columns.as_str()
    } else {
        columns
    };
    let name = table_name(table);
    let where_sql = |sql: &mut Sql| {
        sql.push(" FROM ")
            .push(name)
            .push(" t WHERE t.tenant_id = ");
        sql.bind(Bind::Text(tenant.to_string()));
        sql.push(" AND t.deleted_at IS NULL AND ");
        compile(sql, table, &query.filter);
    };
    // On PostgreSQL a filtered list is filtered first (the `OFFSET 0` subquery is an
    // optimisation fence), so the planner uses the index that serves the filter instead of
    // walking the creation-order index under ORDER BY ... LIMIT when statistics are stale.
    let fenced = dialect == Dialect::Postgres && query.filter != Query::Const(true);
    // An unfiltered page in creation order is a deferred join: on PostgreSQL the page's ids
    // come from `live_order` alone, the live rows' keys in the order they became live (their
    // creation order, a restored row last) kept by triggers (an
    // index-only scan that skips `startIndex - 1` entries without reading any row: the
    // creation-order index of `users` would visit the heap page of every entry a PATCH
    // touched since the last VACUUM to check its visibility), then only the page's rows are
    // read. On PostgreSQL they are read one primary-key probe each (a `LATERAL` subquery
    // fenced by `OFFSET 0`): as a plain join the planner's cost model, which assumes rows on
    // disk, prefers hashing a scan of the whole table to a hundred probes of cached pages.
    let deferred = query.filter == Query::Const(true) && query.sort.is_none();
    let mut page = Sql::new(dialect);
    // The outermost select carries the token check's column (`Gated` rows). A point lookup
    // (`userName eq "…"`, which Okta and Entra send before every create) that finds nothing
    // would leave the check to a statement of its own: its page is instead the right side of
    // a LEFT JOIN with one row, which carries the column whether or not the page has rows
    // (`models::Maybe` reads that row as no row).
    let miss_carries =
        gate.is_some() && is_unique_lookup(query) && matches!(query.page, Page::Index { .. });
    let carries_total = deferred && matches!(query.page, Page::Index { .. });
    let mut outermost = (!miss_carries).then(|| Outer {
        gate,
        total: carries_total.then(|| live_count_sql(dialect, table, tenant)),
    });
    if let (true, Page::Index { start, count }) = (deferred, &query.page) {
        match dialect {
            Dialect::Postgres => {
                // The page's keys come from `live_page` (migrations 000011 and 000013, after
                // 000010's `live_order_page`): it finds the start's chunk of `live_order` from
                // per-chunk counts and skips inside it (`LIMIT` and `OFFSET` are the
                // function's, its one-table skip bounded below by the chunk's first number),
                // while this statement, which has none, keeps one generic plan. As its own
                // parameters they had PostgreSQL plan the whole page again on every run (the
                // generic plan, assuming a tenth of the rows fetched, was dearer; forced, it
                // sorted a sequential scan of `live_order` at 100,000 users). The
                // keys, in the order rows became live (`seq`), are sorted (100 narrow rows)
                // before the probes, whose nested loop keeps that order, so ordering by them
                // sorts no wide row.
                select(&mut page, &mut outermost)
                    .push(columns)
                    .push(" FROM (SELECT f.seq, f.id FROM live_page(")
                    .bind(Bind::Text(tenant.to_string()))
                    .push(", '")
                    .push(name)
                    .push("', ")
                    .bind(Bind::Int(*count))
                    .push(", ")
                    .bind(Bind::Int(start - 1))
                    .push(") f ORDER BY f.seq) p CROSS JOIN LATERAL (SELECT t.* FROM ")
                    .push(name)
                    .push(
                        " t WHERE t.id = p.id AND t.deleted_at IS NULL OFFSET 0) t \
                           ORDER BY p.seq",
                    );
                return (page, Some(live_count_sql(dialect, table, tenant)));
            }
            // SQLite skips through the table's creation-order index (no visibility map
            // there, and no `live_order`).
            Dialect::Sqlite => {
                select(&mut page, &mut outermost)
                    .push(columns)
                    .push(" FROM ")
                    .push(name)
                    .push(" t JOIN (SELECT t.id");
                where_sql(&mut page);
                order_by(&mut page, table, None);
                page.push(" LIMIT ")
                    .bind(Bind::Int(*count))
                    .push(" OFFSET ")
                    .bind(Bind::Int(start - 1))
                    .push(") p ON p.id = t.id");
            }
        }
        order_by(&mut page, table, None);
        return (page, Some(live_count_sql(dialect, table, tenant)));
    }
    if fenced {
        select(&mut page, &mut outermost)
            .push(columns)
            .push(" FROM (SELECT t.*");
    } else {
        select(&mut page, &mut outermost).push(columns);
    }
    where_sql(&mut page);
    match &query.page {
        Page::Index { start, count } => {
            let count_sql = if query.filter == Query::Const(true) {
                live_count_sql(dialect, table, tenant)
            } else {
                let mut sql = Sql::new(dialect);
                sql.push("SELECT COUNT(*) AS n");
                where_sql(&mut sql);
                sql
            };
            if fenced {
                page.push(" OFFSET 0) t");
            }
            order_by(&mut page, table, query.sort.as_ref());
            page.push(" LIMIT ")
                .bind(Bind::Int(*count))
                .push(" OFFSET ")
                .bind(Bind::Int(start - 1));
            if miss_carries {
                // At most one row (a unique key), so no order to keep: an `ORDER BY` here
                // set up a sort on every lookup.
                let mut outer = Sql::new(dialect);
                outer.push("SELECT ");
                push_gate_column(&mut outer, gate);
                outer
                    .push(", t.* FROM (SELECT 1 AS one) one LEFT JOIN (")
                    .push_sql(page)
                    .push(") t ON 1 = 1");
                page = outer;
            }
            (page, Some(count_sql))
        }
        Page::Cursor { after, count } => {
            if let Some((created, id)) = after {
                page.push(" AND (t.created_at > ")
                    .bind(Bind::Int(*created))
                    .push(" OR (t.created_at = ")
                    .bind(Bind::Int(*created))
                    .push(" AND t.id > ")
                    .bind(Bind::Text(id.clone()))
                    .push("))");
            }
            if fenced {
                page.push(" OFFSET 0) t");
            }
            order_by(&mut page, table, None);
            // One row more than the page tells whether a next page exists.
            page.push(" LIMIT ").bind(Bind::Int(count + 1));
            (page, None)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_equalities_on_indexed_keys_are_point_lookups() {
        use crate::domain::query::{Column, CompareOp, ListQuery, Literal, Target};
        let list = |filter| ListQuery {
            filter,
            sort: None,
            page: Page::Index {
                start: 1,
                count: 100,
            },
        };
        let cmp = |target, op| Query::Compare {
            target,
            op,
            value: Literal::Str("x".into()),
            fold: true,
        };
        for col in [
            Column::Id,
            Column::ExternalId,
            Column::UserName,
            Column::GroupDisplayName,
        ] {
            assert!(is_point_lookup(&list(cmp(
                Target::Column(col),
                CompareOp::Eq
            ))));
        }
        // Of those, externalId is not unique.
        for (col, unique) in [
            (Column::Id, true),
            (Column::ExternalId, false),
            (Column::UserName, true),
            (Column::GroupDisplayName, true),
        ] {
            let q = list(cmp(Target::Column(col), CompareOp::Eq));
            assert_eq!(is_unique_lookup(&q), unique, "{col:?}");
        }
        assert!(!is_unique_lookup(&list(cmp(
            Target::Column(Column::UserName),
            CompareOp::Co
        ))));
        // A whole-tenant page (it counts every row), a scan, a document attribute.
        assert!(!is_point_lookup(&list(Query::Const(true))));
        assert!(!is_point_lookup(&list(cmp(
            Target::Column(Column::UserName),
            CompareOp::Co
        ))));
        assert!(!is_point_lookup(&list(cmp(
            Target::Column(Column::FamilyName),
            CompareOp::Eq
        ))));
        assert!(!is_point_lookup(&list(cmp(
            Target::Doc(vec!["title".into()]),
            CompareOp::Eq
        ))));
    }

    #[test]
    fn short_pages_give_the_total() {
        let page = |start, count| Page::Index { start, count };
        assert_eq!(total_from_page(&page(1, 100), 1), Some(1));
        assert_eq!(total_from_page(&page(1, 100), 0), Some(0));
        assert_eq!(total_from_page(&page(201, 100), 7), Some(207));
        assert_eq!(total_from_page(&page(201, 100), 0), None);
        assert_eq!(total_from_page(&page(1, 100), 100), None);
        assert_eq!(
            total_from_page(
                &Page::Cursor {
                    after: None,
                    count: 10
                },
                3
            ),
            None
        );
    }
}
