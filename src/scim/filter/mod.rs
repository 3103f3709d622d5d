//! SCIM filters (RFC 7644 3.4.2.2): parse, check against the schema registry, evaluate.
//!
//! Filters travel in two stages. [`parse`] turns text into a [`Filter`] (syntax only, paths as
//! the client wrote them). [`check`] (or [`check_within`] for the inside of a PATCH value
//! filter) resolves every path against the [`Registry`](crate::scim::registry::Registry) and
//! type-checks every literal, giving a [`Checked`] filter with canonical names that the store
//! compiles to SQL and that [`Checked::matches`] evaluates in memory.
//!
//! Every failure is a [`ScimError`](crate::scim::error::ScimError) 400 `invalidFilter`.
//!
//! Semantics that SQL compilation must mirror:
//! - a string comparison with `caseExact: false` compares lowercased strings;
//! - `ne` is the negation of `eq`: it matches when no value equals the literal, including when
//!   the attribute is absent;
//! - `eq null` matches when the attribute is not present (see `pr`), `ne null` when it is;
//! - `pr` matches a value that is not null, `""`, `[]` or `{}`;
//! - every other operator on a multi-valued attribute matches when any value matches, and never
//!   matches an absent attribute;
//! - dateTime values compare as instants, numbers numerically, strings lexicographically.
//!
//! Long `and`/`or` chains parse into balanced trees (see `parser`), so recursion over a
//! filter tree stays shallow: at most [`MAX_FILTER_DEPTH`] nestings plus a logarithm.

use std::fmt;

use crate::scim::attr::AttrPath;
use crate::scim::schema::AttrType;

mod check;
mod eval;
mod lexer;
mod parser;
#[cfg(test)]
mod proptests;

pub use check::{check, check_within};
pub use parser::parse;

/// Longest filter accepted, in bytes.
pub const MAX_FILTER_LEN: usize = 4096;
/// Deepest nesting accepted; each `(`, `not (` and `[` opens one level.
pub const MAX_FILTER_DEPTH: usize = 32;

/// Attribute operators of RFC 7644 3.4.2.2 Table 3 (`pr` is [`Filter::Present`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CompareOp {
    /// `eq`: equal.
    Eq,
    /// `ne`: not equal.
    Ne,
    /// `co`: contains.
    Co,
    /// `sw`: starts with.
    Sw,
    /// `ew`: ends with.
    Ew,
    /// `gt`: greater than.
    Gt,
    /// `ge`: greater than or equal.
    Ge,
    /// `lt`: less than.
    Lt,
    /// `le`: less than or equal.
    Le,
}

impl CompareOp {
    /// The operator for a keyword, compared case-insensitively (`"EQ"`, `"Eq"`, `"eq"`).
    pub fn from_keyword(word: &str) -> Option<Self> {
        const OPS: [(&str, CompareOp); 9] = [
            ("eq", CompareOp::Eq),
            ("ne", CompareOp::Ne),
            ("co", CompareOp::Co),
            ("sw", CompareOp::Sw),
            ("ew", CompareOp::Ew),
            ("gt", CompareOp::Gt),
            ("ge", CompareOp::Ge),
            ("lt", CompareOp::Lt),
            ("le", CompareOp::Le),
        ];
        OPS.iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(word))
            .map(|(_, op)| *op)
    }

    /// The lowercase wire spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            CompareOp::Eq => "eq",
            CompareOp::Ne => "ne",
            CompareOp::Co => "co",
            CompareOp::Sw => "sw",
            CompareOp::Ew => "ew",
            CompareOp::Gt => "gt",
            CompareOp::Ge => "ge",
            CompareOp::Lt => "lt",
            CompareOp::Le => "le",
        }
    }

    /// Whether this is an ordering operator (`gt`, `ge`, `lt`, `le`).
    pub fn is_ordering(self) -> bool {
        matches!(
            self,
            CompareOp::Gt | CompareOp::Ge | CompareOp::Lt | CompareOp::Le
        )
    }

    /// Whether this is a substring operator (`co`, `sw`, `ew`).
    pub fn is_substring(self) -> bool {
        matches!(self, CompareOp::Co | CompareOp::Sw | CompareOp::Ew)
    }
}

impl fmt::Display for CompareOp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Literal of RFC 7644 3.4.2.2 compValue.
#[derive(Debug, Clone, PartialEq)]
pub enum CompValue {
    /// `null`.
    Null,
    /// `true` / `false`.
    Bool(bool),
    /// A JSON number.
    Number(serde_json::Number),
    /// A JSON string, escapes resolved.
    String(String),
}

impl fmt::Display for CompValue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CompValue::Null => f.write_str("null"),
            CompValue::Bool(b) => write!(f, "{b}"),
            CompValue::Number(n) => write!(f, "{n}"),
            // A JSON string literal is exactly the filter's string syntax.
            CompValue::String(s) => write!(f, "{}", serde_json::Value::String(s.clone())),
        }
    }
}

/// Parsed, unchecked filter (syntax only). Paths as the client wrote them.
#[derive(Debug, Clone, PartialEq)]
pub enum Filter {
    /// `attrPath pr`.
    Present(AttrPath),
    /// `attrPath compareOp compValue`.
    Compare(AttrPath, CompareOp, CompValue),
    /// `emails[type eq "work" and value co "@x"]`: the inner filter's paths are relative
    /// (sub-attribute names of the outer attribute).
    ValuePath(AttrPath, Box<Filter>),
    /// `a and b`.
    And(Box<Filter>, Box<Filter>),
    /// `a or b`.
    Or(Box<Filter>, Box<Filter>),
    /// `not (a)`.
    Not(Box<Filter>),
}

impl fmt::Display for Filter {
    /// Renders filter syntax that [`parse`] reads back to an equal filter; `and`/`or` operands
    /// are parenthesised whenever they are themselves `and`/`or`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Filter::Present(p) => write!(f, "{p} pr"),
            Filter::Compare(p, op, v) => write!(f, "{p} {op} {v}"),
            Filter::ValuePath(p, inner) => write!(f, "{p}[{inner}]"),
            Filter::And(a, b) => write!(f, "{} and {}", Operand(a), Operand(b)),
            Filter::Or(a, b) => write!(f, "{} or {}", Operand(a), Operand(b)),
            Filter::Not(inner) => write!(f, "not ({inner})"),
        }
    }
}

/// An `and`/`or` operand, parenthesised when it is itself a logical expression.
struct Operand<'a>(&'a Filter);

impl fmt::Display for Operand<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 {
            Filter::And(..) | Filter::Or(..) => write!(f, "({})", self.0),
            other => write!(f, "{other}"),
        }
    }
}

/// A leaf after checking: canonical path (schema Some(urn) only for extension attributes),
/// plus what evaluation and SQL compilation need.
#[derive(Debug, Clone, PartialEq)]
pub struct Leaf {
    /// Canonical names; `sub_attr` set when comparing a sub-attribute.
    pub path: AttrPath,
    /// Type of the compared (sub-)attribute.
    pub attr_type: AttrType,
    /// Whether string comparison is case-sensitive.
    pub case_exact: bool,
    /// Whether the top-level attribute is multi-valued.
    pub multi_valued: bool,
}

/// Checked filter: every path resolved against the registry with canonical names.
#[derive(Debug, Clone, PartialEq)]
pub enum Checked {
    /// `pr` on a resolved attribute.
    Present(Leaf),
    /// A comparison; the `CompValue` is already type-checked against `attr_type`.
    Compare(Leaf, CompareOp, CompValue),
    /// Value filter on a multi-valued complex attribute: `attr` is the canonical top-level
    /// path; the inner filter's leaves have paths RELATIVE to one element (attr = sub-attribute
    /// name, schema None, sub_attr None).
    ValuePath {
        /// Canonical path of the multi-valued complex attribute.
        attr: AttrPath,
        /// Filter applied to each element.
        filter: Box<Checked>,
    },
    /// Both hold.
    And(Box<Checked>, Box<Checked>),
    /// Either holds.
    Or(Box<Checked>, Box<Checked>),
    /// The inner filter does not hold.
    Not(Box<Checked>),
}

/// Every filter example of RFC 7644 3.4.2.2 (the `filter=` prefix and line wrapping removed),
/// and whether it checks against the User resource type of this service.
#[cfg(test)]
const RFC_EXAMPLES: &[(&str, bool)] = &[
    (r#"userName Eq "john""#, true),
    (r#"Username eq "john""#, true),
    (r#"userName eq "bjensen""#, true),
    (r#"name.familyName co "O'Malley""#, true),
    (r#"userName sw "J""#, true),
    (
        r#"urn:ietf:params:scim:schemas:core:2.0:User:userName sw "J""#,
        true,
    ),
    ("title pr", true),
    (r#"meta.lastModified gt "2011-05-13T04:42:34Z""#, true),
    (r#"meta.lastModified ge "2011-05-13T04:42:34Z""#, true),
    (r#"meta.lastModified lt "2011-05-13T04:42:34Z""#, true),
    (r#"meta.lastModified le "2011-05-13T04:42:34Z""#, true),
    (r#"title pr and userType eq "Employee""#, true),
    (r#"title pr or userType eq "Intern""#, true),
    // `schemas` is not an attribute of any schema document, so it is not filterable here.
    (
        r#"schemas eq "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User""#,
        false,
    ),
    (
        r#"userType eq "Employee" and (emails co "example.com" or emails.value co "example.org")"#,
        true,
    ),
    (
        r#"userType ne "Employee" and not (emails co "example.com" or emails.value co "example.org")"#,
        true,
    ),
    (
        r#"userType eq "Employee" and (emails.type eq "work")"#,
        true,
    ),
    (
        r#"userType eq "Employee" and emails[type eq "work" and value co "@example.com"]"#,
        true,
    ),
    (
        r#"emails[type eq "work" and value co "@example.com"] or ims[type eq "xmpp" and value co "@foo.com"]"#,
        true,
    ),
];
