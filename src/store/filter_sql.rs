//! The domain filter algebra compiled to SQL text with bound parameters, per dialect.
//!
//! Typed columns are compared directly; other attributes live in the JSON document `doc`
//! (a TEXT column on both backends: read through `jsonb` functions on PostgreSQL and JSON1
//! on SQLite). Every value and every JSON key travels as a bound parameter, never as SQL text.

use diesel::sql_types::Text;

use crate::domain::account::fold;
use crate::domain::query::{Column, CompareOp, Literal, Query, Target};
use crate::store::Dialect;
pub use crate::store::raw_query::{Bind, Sql};

diesel::define_sql_function! {
    /// `domain::account::fold` in SQL on SQLite, whose own `lower` folds ASCII only.
    fn scim_fold(x: diesel::sql_types::Nullable<Text>) -> diesel::sql_types::Nullable<Text>;
}

/// Register the SQL functions compiled filters use on a SQLite connection (at connect).
pub fn register_sqlite_functions(conn: &mut diesel::SqliteConnection) -> diesel::QueryResult<()> {
    scim_fold_utils::register_impl(conn, |x: Option<String>| x.map(|s| fold(&s)))
}

/// The opening of a case-folding call: the literal it is compared with was folded by
/// `domain::account::fold`, so the column must fold Unicode the same way (RFC 7643 2.3.1
/// caseExact=false). PostgreSQL's `lower` folds Unicode under a UTF-8 ctype.
pub(super) fn fold_open(dialect: Dialect) -> &'static str {
    match dialect {
        Dialect::Postgres => "lower(",
        Dialect::Sqlite => "scim_fold(",
    }
}

/// Which table a query reads (aliased `t`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Table {
    /// `users`.
    Users,
    /// `groups`.
    Groups,
}

/// Column name, and the folded key column that backs case-insensitive comparison, if any.
pub(super) fn column_sql(table: Table, c: Column) -> (&'static str, Option<&'static str>) {
    match (table, c) {
        (_, Column::Id) => ("t.id", None),
        (_, Column::ExternalId) => ("t.external_id", None),
        (_, Column::Created) => ("t.created_at", None),
        (_, Column::Modified) => ("t.updated_at", None),
        (Table::Users, Column::UserName) => ("t.user_name", Some("t.user_name_key")),
        (Table::Users, Column::DisplayName) => ("t.display_name", None),
        (Table::Users, Column::GivenName) => ("t.given_name", None),
        (Table::Users, Column::FamilyName) => ("t.family_name", None),
        (Table::Users, Column::Active) => ("t.active", None),
        (Table::Users, Column::CsrUser) => ("t.csr_user", None),
        (Table::Users, Column::VoiceCalls) => ("t.voice_calls", None),
        (Table::Users, Column::MaxChats) => ("t.max_chats", None),
        (Table::Users, Column::MaxEmails) => ("t.max_emails", None),
        (Table::Users, Column::Status) => ("t.status", None),
        (_, Column::GroupDisplayName) => ("t.display_name", Some("t.display_name_key")),
        // A column the table does not have never matches; the mapping never produces it.
        (Table::Groups, _) => ("NULL", None),
    }
}

/// The membership rows of the row `t` with a live other end, as an unclosed
/// `EXISTS (SELECT … WHERE …` and the column holding the other end's id: a group's members
/// (`MemberId`) or a user's groups (`GroupId`).
fn membership(target: &Target) -> (&'static str, &'static str) {
    match target {
        Target::GroupId => (
            "EXISTS (SELECT 1 FROM memberships m JOIN groups mg ON mg.id = m.group_id \
             WHERE m.user_id = t.id AND mg.deleted_at IS NULL",
            "m.group_id",
        ),
        _ => (
            "EXISTS (SELECT 1 FROM memberships m JOIN users mu ON mu.id = m.user_id \
             WHERE m.group_id = t.id AND mu.deleted_at IS NULL",
            "m.user_id",
        ),
    }
}

/// Where JSON values are read from: the row's document, or one element inside `Any`.
#[derive(Clone, Copy)]
pub(super) enum Scope {
    Row,
    Element,
}

/// SQLite JSON path for keys: `$."a"."b"`.
fn sqlite_path(keys: &[String]) -> String {
    let mut p = String::from("$");
    for k in keys {
        p.push_str(".\"");
        p.push_str(&k.replace('"', "\\\""));
        p.push('"');
    }
    p
}

/// Append the JSON value at `keys` as SQL text (PostgreSQL: text; SQLite: native type).
pub(super) fn json_text(sql: &mut Sql, scope: Scope, keys: &[String]) {
    match (sql.dialect, scope) {
        (Dialect::Postgres, _) if keys.is_empty() => {
            sql.push("(e.v #>> '{}')");
        }
        (Dialect::Postgres, s) => {
            sql.push(match s {
                Scope::Row => "jsonb_extract_path_text(t.doc::jsonb",
                Scope::Element => "jsonb_extract_path_text(e.v",
            });
            for k in keys {
                sql.push(", ").bind(Bind::Text(k.clone()));
            }
            sql.push(")");
        }
        (Dialect::Sqlite, Scope::Element) if keys.is_empty() => {
            sql.push("e.value");
        }
        (Dialect::Sqlite, s) => {
            sql.push(match s {
                Scope::Row => "json_extract(t.doc, ",
                Scope::Element => "json_extract(e.value, ",
            });
            sql.bind(Bind::Text(sqlite_path(keys))).push(")");
        }
    }
}

/// Append the JSON value at `keys` as a JSON value (PostgreSQL jsonb) for typed tests.
fn json_value_pg(sql: &mut Sql, scope: Scope, keys: &[String]) {
    if keys.is_empty() {
        sql.push("e.v");
        return;
    }
    sql.push(match scope {
        Scope::Row => "jsonb_extract_path(t.doc::jsonb",
        Scope::Element => "jsonb_extract_path(e.v",
    });
    for k in keys {
        sql.push(", ").bind(Bind::Text(k.clone()));
    }
    sql.push(")");
}

/// Append the value of the primary element of the document array at `array`, else of its
/// first element (`sub` of it, or the element itself), as SQL text: a correlated subquery.
pub(super) fn primary_or_first(sql: &mut Sql, array: &[String], sub: Option<&String>) {
    let keys: Vec<String> = sub.into_iter().cloned().collect();
    sql.push("(SELECT ");
    json_text(sql, Scope::Element, &keys);
    match sql.dialect {
        Dialect::Postgres => {
            sql.push(" FROM jsonb_array_elements(CASE WHEN jsonb_typeof(");
            json_value_pg(sql, Scope::Row, array);
            sql.push(") = 'array' THEN ");
            json_value_pg(sql, Scope::Row, array);
            sql.push(
                " ELSE '[]'::jsonb END) WITH ORDINALITY AS e(v, n) \
                 ORDER BY coalesce(jsonb_extract_path(e.v, 'primary') = 'true'::jsonb, false) DESC, e.n",
            );
        }
        Dialect::Sqlite => {
            sql.push(" FROM json_each(t.doc, ")
                .bind(Bind::Text(sqlite_path(array)))
                .push(
                    ") AS e ORDER BY coalesce(CASE WHEN e.type = 'object' \
                     THEN json_extract(e.value, '$.primary') END = 1, 0) DESC, e.key",
                );
        }
    }
    sql.push(" LIMIT 1)");
}

fn text_op(sql: &mut Sql, lhs: &dyn Fn(&mut Sql), op: CompareOp, s: &str) {
    let pg = sql.dialect == Dialect::Postgres;
    match op {
        CompareOp::Eq
        | CompareOp::Ne
        | CompareOp::Gt
        | CompareOp::Ge
        | CompareOp::Lt
        | CompareOp::Le => {
            if op == CompareOp::Ne {
                sql.push("(");
                lhs(sql);
                sql.push(" IS NULL OR ");
            }
            lhs(sql);
            sql.push(match op {
                CompareOp::Eq => " = ",
                CompareOp::Ne => " <> ",
                CompareOp::Gt => " > ",
                CompareOp::Ge => " >= ",
                CompareOp::Lt => " < ",
                _ => " <= ",
            });
            sql.bind(Bind::Text(s.to_string()));
            if op == CompareOp::Ne {
                sql.push(")");
            }
        }
        // Substring tests by position, not LIKE: no escaping, and caseExact holds on SQLite
        // (whose LIKE ignores ASCII case).
        CompareOp::Co => {
            sql.push(if pg { "strpos(" } else { "instr(" });
            lhs(sql);
            sql.push(", ").bind(Bind::Text(s.to_string())).push(") > 0");
        }
        CompareOp::Sw => {
            sql.push("substr(");
            lhs(sql);
            sql.push(", 1, CAST(")
                .bind(Bind::Int(s.chars().count() as i64))
                .push(" AS INTEGER)) = ")
                .bind(Bind::Text(s.to_string()));
        }
        CompareOp::Ew => {
            if s.is_empty() {
                lhs(sql);
                sql.push(" IS NOT NULL");
                return;
            }
            if pg {
                sql.push("right(");
                lhs(sql);
                sql.push(", CAST(")
                    .bind(Bind::Int(s.chars().count() as i64))
                    .push(" AS INTEGER)");
            } else {
                sql.push("substr(");
                lhs(sql);
                sql.push(", -").bind(Bind::Int(s.chars().count() as i64));
            }
            sql.push(") = ").bind(Bind::Text(s.to_string()));
        }
    }
}

fn ordering(op: CompareOp) -> &'static str {
    match op {
        CompareOp::Eq => " = ",
        CompareOp::Ne => " <> ",
        CompareOp::Gt => " > ",
        CompareOp::Ge => " >= ",
        CompareOp::Lt => " < ",
        CompareOp::Le => " <= ",
        // co/sw/ew on non-strings are refused by the filter checker.
        CompareOp::Co | CompareOp::Sw | CompareOp::Ew => " = ",
    }
}

/// Compile `q` for `table` into `sql`.
pub fn compile(sql: &mut Sql, table: Table, q: &Query) {
    compile_in(sql, table, q, Scope::Row);
}

fn compile_in(sql: &mut Sql, table: Table, q: &Query, scope: Scope) {
    match q {
        Query::Const(true) => {
            sql.push("1 = 1");
        }
        Query::Const(false) => {
            sql.push("1 = 0");
        }
        Query::And(a, b) | Query::Or(a, b) => {
            sql.push("(");
            compile_in(sql, table, a, scope);
            sql.push(if matches!(q, Query::And(..)) {
                " AND "
            } else {
                " OR "
            });
            compile_in(sql, table, b, scope);
            sql.push(")");
        }
        Query::Not(a) => {
            // A missing value makes a comparison NULL (unknown); `not` of it must be true,
            // as in the in-memory evaluator.
            sql.push("NOT coalesce((");
            compile_in(sql, table, a, scope);
            sql.push("), false)");
        }
        Query::Any { array, each } => match sql.dialect {
            Dialect::Postgres => {
                sql.push("EXISTS (SELECT 1 FROM jsonb_array_elements(CASE WHEN jsonb_typeof(");
                json_value_pg(sql, scope, array);
                sql.push(") = 'array' THEN ");
                json_value_pg(sql, scope, array);
                sql.push(" ELSE '[]'::jsonb END) AS e(v) WHERE ");
                compile_in(sql, table, each, Scope::Element);
                sql.push(")");
            }
            Dialect::Sqlite => {
                sql.push("EXISTS (SELECT 1 FROM json_each(t.doc, ")
                    .bind(Bind::Text(sqlite_path(array)))
                    .push(") AS e WHERE ");
                compile_in(sql, table, each, Scope::Element);
                sql.push(")");
            }
        },
        Query::Present(target) => present(sql, table, target, scope),
        Query::Compare {
            target,
            op,
            value,
            fold,
        } => compare(sql, table, target, *op, value, *fold, scope),
    }
}

fn present(sql: &mut Sql, table: Table, target: &Target, scope: Scope) {
    match target {
        Target::Column(c) => {
            let (col, _) = column_sql(table, *c);
            sql.push("(").push(col).push(" IS NOT NULL)");
        }
        Target::MemberId | Target::GroupId => {
            let (exists, _) = membership(target);
            sql.push(exists).push(")");
        }
        Target::PrimaryOrFirst { array, sub } => {
            sql.push("(");
            primary_or_first(sql, array, sub.as_ref());
            sql.push(" IS NOT NULL)");
        }
        Target::Doc(keys) => match sql.dialect {
            Dialect::Postgres => {
                sql.push("coalesce(");
                json_value_pg(sql, scope, keys);
                sql.push(
                    " NOT IN ('null'::jsonb, '\"\"'::jsonb, '[]'::jsonb, '{}'::jsonb), false)",
                );
            }
            Dialect::Sqlite => {
                sql.push("coalesce(");
                json_text(sql, scope, keys);
                sql.push(" NOT IN ('', '[]', '{}'), 0)");
            }
        },
    }
}

fn compare(
    sql: &mut Sql,
    table: Table,
    target: &Target,
    op: CompareOp,
    value: &Literal,
    fold: bool,
    scope: Scope,
) {
    // RFC 7644 3.4.2.2: `eq null` / `ne null` behave as absence / presence tests.
    if *value == Literal::Null {
        if op == CompareOp::Ne {
            present(sql, table, target, scope);
        } else {
            sql.push("NOT (");
            present(sql, table, target, scope);
            sql.push(")");
        }
        return;
    }
    match target {
        Target::MemberId | Target::GroupId => {
            let Literal::Str(s) = value else {
                sql.push("1 = 0");
                return;
            };
            let (exists, other_end) = membership(target);
            sql.push(exists).push(" AND ");
            text_op(
                sql,
                &|s: &mut Sql| {
                    s.push(other_end);
                },
                op,
                s,
            );
            sql.push(")");
        }
        Target::Column(c) => {
            let (col, key) = column_sql(table, *c);
            match value {
                Literal::Str(s) => {
                    let lhs = |q: &mut Sql| {
                        match (fold, key) {
                            (true, Some(k)) => q.push(k),
                            (true, None) => q.push(fold_open(q.dialect)).push(col).push(")"),
                            (false, _) => q.push(col),
                        };
                    };
                    text_op(sql, &lhs, op, s);
                }
                other => {
                    sql.push(col).push(ordering(op));
                    push_literal(sql, other);
                }
            }
        }
        Target::PrimaryOrFirst { array, sub } => match value {
            Literal::Str(s) => {
                let lhs = |q: &mut Sql| {
                    if fold {
                        q.push(fold_open(q.dialect));
                    }
                    primary_or_first(q, array, sub.as_ref());
                    if fold {
                        q.push(")");
                    }
                };
                text_op(sql, &lhs, op, s);
            }
            // Only sorting produces this target, and sorting compares nothing.
            _ => {
                sql.push("1 = 0");
            }
        },
        Target::Doc(keys) => match value {
            Literal::Str(s) => {
                let lhs = |q: &mut Sql| {
                    if fold {
                        q.push(fold_open(q.dialect));
                        json_text(q, scope, keys);
                        q.push(")");
                    } else {
                        json_text(q, scope, keys);
                    }
                };
                text_op(sql, &lhs, op, s);
            }
            Literal::Time(us) => {
                // dateTime strings in the document compare as RFC 3339 text in UTC.
                let t = crate::domain::clock::from_micros(*us)
                    .to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true);
                text_op(sql, &|q: &mut Sql| json_text(q, scope, keys), op, &t);
            }
            Literal::Bool(b) => match sql.dialect {
                Dialect::Postgres => {
                    json_text(sql, scope, keys);
                    sql.push(ordering(op)).bind(Bind::Text(b.to_string()));
                }
                Dialect::Sqlite => {
                    json_text(sql, scope, keys);
                    sql.push(ordering(op)).bind(Bind::Int(i64::from(*b)));
                }
            },
            Literal::Int(_) | Literal::Num(_) => match sql.dialect {
                Dialect::Postgres => {
                    sql.push("(CASE WHEN jsonb_typeof(");
                    json_value_pg(sql, scope, keys);
                    sql.push(") = 'number' THEN (");
                    json_value_pg(sql, scope, keys);
                    sql.push(" #>> '{}')::double precision END)")
                        .push(ordering(op));
                    push_literal(sql, value);
                }
                Dialect::Sqlite => {
                    json_text(sql, scope, keys);
                    sql.push(ordering(op));
                    push_literal(sql, value);
                }
            },
            Literal::Null => {}
        },
    }
}

fn push_literal(sql: &mut Sql, value: &Literal) {
    match value {
        Literal::Bool(b) => sql.bind(Bind::Bool(*b)),
        Literal::Int(i) | Literal::Time(i) => sql.bind(Bind::Int(*i)),
        Literal::Num(f) => sql.bind(Bind::Float(*f)),
        Literal::Str(s) => sql.bind(Bind::Text(s.clone())),
        Literal::Null => sql.push("NULL"),
    };
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placeholders_follow_dialect() {
        let q = Query::Compare {
            target: Target::Column(Column::UserName),
            op: CompareOp::Eq,
            value: Literal::Str("ann".into()),
            fold: true,
        };
        let mut pg = Sql::new(Dialect::Postgres);
        compile(&mut pg, Table::Users, &q);
        assert_eq!(pg.text, "t.user_name_key = $1");
        let mut lite = Sql::new(Dialect::Sqlite);
        compile(&mut lite, Table::Users, &q);
        assert_eq!(lite.text, "t.user_name_key = ?");
        assert_eq!(lite.binds, vec![Bind::Text("ann".into())]);
    }

    #[test]
    fn json_keys_are_bound_not_inlined() {
        let q = Query::Any {
            array: vec!["emails".into()],
            each: Box::new(Query::Compare {
                target: Target::Doc(vec!["type".into()]),
                op: CompareOp::Eq,
                value: Literal::Str("work'; DROP TABLE users; --".into()),
                fold: true,
            }),
        };
        for d in [Dialect::Postgres, Dialect::Sqlite] {
            let mut s = Sql::new(d);
            compile(&mut s, Table::Users, &q);
            assert!(!s.text.contains("DROP"), "{}", s.text);
            assert!(!s.text.contains("emails"), "{}", s.text);
        }
    }
}
