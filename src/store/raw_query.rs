//! SQL text built at run time (compiled filters, list pages), run through diesel with its
//! parameters bound, and, for a bounded set of shapes, kept as a prepared statement.
//!
//! diesel's own `sql_query` is never cached as a prepared statement, so PostgreSQL parses and
//! plans it on every request (about 0.3 ms of server CPU for a `userName eq` lookup, more than
//! running it). [`RawQuery`] keys diesel's per-connection statement cache on the SQL text when
//! the caller says the shape is one of a bounded few (the text never holds a value: every
//! value is a parameter), so repeated lookups skip parse and plan.

use diesel::QueryResult;
use diesel::backend::Backend;
use diesel::query_builder::{AstPass, Query, QueryFragment, QueryId};
use diesel::serialize::ToSql;
use diesel::sql_types::{BigInt, Bool, Double, HasSqlType, Nullable, Text, Untyped};

use crate::store::Dialect;

/// A bound parameter.
#[derive(Debug, Clone, PartialEq)]
pub enum Bind {
    /// Text.
    Text(String),
    /// 64-bit integer.
    Int(i64),
    /// Boolean.
    Bool(bool),
    /// Double.
    Float(f64),
    /// Text or NULL (bound as a parameter either way, so the text stays one shape).
    OptText(Option<String>),
    /// 64-bit integer or NULL.
    OptInt(Option<i64>),
}

/// SQL text under construction with its parameters in order.
#[derive(Debug)]
pub struct Sql {
    /// Dialect.
    pub dialect: Dialect,
    /// Text, with a placeholder (`$n` / `?`) where each parameter goes.
    pub text: String,
    /// Parameters, in placeholder order.
    pub binds: Vec<Bind>,
    /// Byte range of each placeholder in `text`.
    marks: Vec<(usize, usize)>,
}

impl Sql {
    /// Empty SQL for a dialect.
    pub fn new(dialect: Dialect) -> Self {
        Sql {
            dialect,
            text: String::with_capacity(256),
            binds: Vec::new(),
            marks: Vec::new(),
        }
    }

    /// Append text.
    pub fn push(&mut self, s: &str) -> &mut Self {
        self.text.push_str(s);
        self
    }

    /// Append a placeholder for a parameter.
    pub fn bind(&mut self, b: Bind) -> &mut Self {
        self.binds.push(b);
        let at = self.text.len();
        match self.dialect {
            Dialect::Postgres => {
                let n = self.binds.len();
                self.text.push('$');
                self.text.push_str(&n.to_string());
            }
            Dialect::Sqlite => self.text.push('?'),
        }
        self.marks.push((at, self.text.len()));
        self
    }

    /// Append another SQL text with its parameters, numbered on after this one's.
    pub fn push_sql(&mut self, other: Sql) -> &mut Self {
        let mut from = 0;
        for ((start, end), b) in other.marks.iter().zip(other.binds) {
            self.push(&other.text[from..*start]);
            self.bind(b);
            from = *end;
        }
        self.push(&other.text[from..])
    }

    /// Append placeholders for parameters, separated by commas.
    pub fn bind_list(&mut self, binds: impl IntoIterator<Item = Bind>) -> &mut Self {
        for (i, b) in binds.into_iter().enumerate() {
            if i > 0 {
                self.push(", ");
            }
            self.bind(b);
        }
        self
    }

    /// The query, to run with diesel; `prepared`: keep it as a prepared statement on the
    /// connection (only for shapes drawn from a small fixed set: the cache is unbounded).
    pub fn query(self, prepared: bool) -> RawQuery {
        RawQuery {
            sql: self,
            prepared,
        }
    }
}

/// A [`Sql`] ready to run (loads rows by name, like `sql_query`).
#[derive(Debug)]
pub struct RawQuery {
    sql: Sql,
    prepared: bool,
}

impl QueryId for RawQuery {
    type QueryId = ();
    // Not a static type id: diesel then keys its statement cache on the SQL text.
    const HAS_STATIC_QUERY_ID: bool = false;
}

impl Query for RawQuery {
    type SqlType = Untyped;
}

impl<DB> QueryFragment<DB> for RawQuery
where
    DB: Backend + HasSqlType<Text> + HasSqlType<BigInt> + HasSqlType<Bool> + HasSqlType<Double>,
    String: ToSql<Text, DB>,
    i64: ToSql<BigInt, DB>,
    bool: ToSql<Bool, DB>,
    f64: ToSql<Double, DB>,
    Option<String>: ToSql<Nullable<Text>, DB>,
    Option<i64>: ToSql<Nullable<BigInt>, DB>,
{
    fn walk_ast<'b>(&'b self, mut out: AstPass<'_, 'b, DB>) -> QueryResult<()> {
        if !self.prepared {
            out.unsafe_to_cache_prepared();
        }
        // diesel writes each parameter's placeholder itself: push the text between them.
        let text = &self.sql.text;
        let mut from = 0;
        for ((start, end), b) in self.sql.marks.iter().zip(&self.sql.binds) {
            out.push_sql(&text[from..*start]);
            match b {
                Bind::Text(s) => out.push_bind_param::<Text, _>(s)?,
                Bind::Int(i) => out.push_bind_param::<BigInt, _>(i)?,
                Bind::Bool(v) => out.push_bind_param::<Bool, _>(v)?,
                Bind::Float(f) => out.push_bind_param::<Double, _>(f)?,
                Bind::OptText(s) => out.push_bind_param::<Nullable<Text>, _>(s)?,
                Bind::OptInt(i) => out.push_bind_param::<Nullable<BigInt>, _>(i)?,
            }
            from = *end;
        }
        out.push_sql(&text[from..]);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn appended_sql_numbers_its_parameters_on() {
        for (dialect, want) in [
            (Dialect::Postgres, "SELECT $1, (SELECT $2 + $3) x"),
            (Dialect::Sqlite, "SELECT ?, (SELECT ? + ?) x"),
        ] {
            let mut inner = Sql::new(dialect);
            inner
                .push("SELECT ")
                .bind(Bind::Int(2))
                .push(" + ")
                .bind(Bind::Int(3));
            let mut outer = Sql::new(dialect);
            outer
                .push("SELECT ")
                .bind(Bind::Int(1))
                .push(", (")
                .push_sql(inner)
                .push(") x");
            assert_eq!(outer.text, want);
            assert_eq!(outer.binds, [Bind::Int(1), Bind::Int(2), Bind::Int(3)]);
            assert_eq!(outer.marks.len(), 3);
        }
    }

    #[test]
    fn diesel_writes_the_same_text_back() {
        for dialect in [Dialect::Postgres, Dialect::Sqlite] {
            let mut sql = Sql::new(dialect);
            sql.push("SELECT t.* FROM users t WHERE t.tenant_id = ")
                .bind(Bind::Text("x".into()))
                .push(" AND t.max_chats > ")
                .bind(Bind::Int(3))
                .push(" LIMIT ")
                .bind(Bind::Int(10));
            let expected = sql.text.clone();
            let q = sql.query(true);
            let got = match dialect {
                Dialect::Postgres => diesel::debug_query::<diesel::pg::Pg, _>(&q).to_string(),
                Dialect::Sqlite => diesel::debug_query::<diesel::sqlite::Sqlite, _>(&q).to_string(),
            };
            assert!(
                got.starts_with(&expected),
                "{dialect:?}: {got} does not start with {expected}"
            );
            assert!(got.contains("3"), "{got}");
        }
    }
}
