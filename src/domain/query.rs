//! The domain's filter algebra: SCIM filters become this (in `mapping`), the store turns it
//! into SQL. It names account fields and document paths, never SCIM syntax or SQL.

pub use crate::scim::filter::CompareOp;

/// A typed column of the accounts or groups table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Column {
    /// Resource id.
    Id,
    /// externalId.
    ExternalId,
    /// Username (compared through its folded key when case-insensitive).
    UserName,
    /// Display name.
    DisplayName,
    /// First name.
    GivenName,
    /// Last name.
    FamilyName,
    /// Can sign in.
    Active,
    /// CSR user flag.
    CsrUser,
    /// Voice calls toggle.
    VoiceCalls,
    /// Max chats.
    MaxChats,
    /// Max emails.
    MaxEmails,
    /// Availability.
    Status,
    /// meta.created.
    Created,
    /// meta.lastModified.
    Modified,
    /// Group displayName.
    GroupDisplayName,
}

/// Where a compared value lives.
#[derive(Debug, Clone, PartialEq)]
pub enum Target {
    /// A typed column.
    Column(Column),
    /// A path of keys into the JSON document (relative to an element inside `Any`).
    Doc(Vec<String>),
    /// A group's member ids (membership rows).
    MemberId,
    /// A user's group ids (membership rows of live groups): the derived `groups` attribute.
    GroupId,
    /// The element of the document array at `array` marked primary, else its first element
    /// (RFC 7644 3.4.2.3: how a multi-valued attribute sorts); `sub` is read from it, or the
    /// element itself when None.
    PrimaryOrFirst {
        /// Path to the array in the document.
        array: Vec<String>,
        /// Sub-attribute read from the element.
        sub: Option<String>,
    },
}

/// A literal to compare with.
#[derive(Debug, Clone, PartialEq)]
pub enum Literal {
    /// null.
    Null,
    /// Boolean.
    Bool(bool),
    /// Whole number.
    Int(i64),
    /// Decimal.
    Num(f64),
    /// String (already folded when the comparison is case-insensitive).
    Str(String),
    /// Instant in microseconds since the epoch.
    Time(i64),
}

/// A condition over accounts or groups.
#[derive(Debug, Clone, PartialEq)]
pub enum Query {
    /// Matches everything (true) or nothing (false).
    Const(bool),
    /// The target has a value.
    Present(Target),
    /// Compare the target with a literal; `fold` = compare case-insensitively.
    Compare {
        /// What is compared.
        target: Target,
        /// Operator.
        op: CompareOp,
        /// Literal.
        value: Literal,
        /// Case-insensitive string comparison.
        fold: bool,
    },
    /// Some element of the document array at `array` satisfies `each` (whose targets are
    /// paths relative to the element; a path `[]` means the element itself).
    Any {
        /// Path to the array in the document.
        array: Vec<String>,
        /// Condition on one element.
        each: Box<Query>,
    },
    /// Both.
    And(Box<Query>, Box<Query>),
    /// Either.
    Or(Box<Query>, Box<Query>),
    /// Negation.
    Not(Box<Query>),
}

/// Sort key of a list.
#[derive(Debug, Clone, PartialEq)]
pub struct Sort {
    /// What to sort by.
    pub target: Target,
    /// Case-insensitive ordering.
    pub fold: bool,
    /// Descending order.
    pub descending: bool,
}

/// Which page to return.
#[derive(Debug, Clone, PartialEq)]
pub enum Page {
    /// RFC 7644 3.4.2.4 index paging: 1-based start, page size.
    Index {
        /// 1-based index of the first result.
        start: i64,
        /// Page size.
        count: i64,
    },
    /// RFC 9865 cursor paging: keyset after (created_at, id), page size.
    Cursor {
        /// Last row of the previous page.
        after: Option<(i64, String)>,
        /// Page size.
        count: i64,
    },
}

/// A list request in domain terms.
#[derive(Debug, Clone, PartialEq)]
pub struct ListQuery {
    /// Condition.
    pub filter: Query,
    /// Ordering (default: creation order).
    pub sort: Option<Sort>,
    /// Page.
    pub page: Page,
}
