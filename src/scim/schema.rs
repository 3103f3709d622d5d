//! Schema metadata (RFC 7643 section 7): attribute definitions loaded from `schemas/*.json`.
//!
//! The JSON documents under `schemas/` are embedded at compile time; they are what `/Schemas`
//! serves and what every other part of the protocol core consults, so they cannot disagree.

use serde::Deserialize;

/// Attribute data types (RFC 7643 2.3).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum AttrType {
    /// A Unicode string.
    String,
    /// `true` or `false`.
    Boolean,
    /// A real number.
    Decimal,
    /// A whole number.
    Integer,
    /// An RFC 3339 timestamp.
    DateTime,
    /// Base64 data.
    Binary,
    /// A URI.
    Reference,
    /// A set of sub-attributes.
    Complex,
}

/// Attribute mutability (RFC 7643 7).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum Mutability {
    /// Set by the service provider only.
    ReadOnly,
    /// Freely updated by clients.
    ReadWrite,
    /// Set once while unassigned, never changed afterwards.
    Immutable,
    /// Settable, never returned.
    WriteOnly,
}

/// When an attribute is returned (RFC 7643 7).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum Returned {
    /// Always returned, whatever `attributes`/`excludedAttributes` say.
    Always,
    /// Never returned.
    Never,
    /// Returned unless excluded.
    Default,
    /// Returned only when named in `attributes`.
    Request,
}

/// Uniqueness scope (RFC 7643 7).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum Uniqueness {
    /// No uniqueness.
    None,
    /// Unique within the service provider (here: the tenant).
    Server,
    /// Globally unique.
    Global,
}

/// One attribute definition (RFC 7643 7 "attributes").
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AttributeDef {
    /// Attribute name, in its canonical case.
    pub name: String,
    /// Data type.
    #[serde(rename = "type")]
    pub attr_type: AttrType,
    /// Whether the attribute holds a list.
    #[serde(default)]
    pub multi_valued: bool,
    /// Whether the attribute is required.
    #[serde(default)]
    pub required: bool,
    /// Whether string comparison is case-sensitive.
    #[serde(default)]
    pub case_exact: bool,
    /// Mutability.
    pub mutability: Mutability,
    /// When it is returned.
    pub returned: Returned,
    /// Uniqueness.
    #[serde(default = "default_uniqueness")]
    pub uniqueness: Uniqueness,
    /// Suggested values.
    #[serde(default)]
    pub canonical_values: Vec<String>,
    /// Sub-attributes of a complex attribute.
    #[serde(default)]
    pub sub_attributes: Vec<AttributeDef>,
}

fn default_uniqueness() -> Uniqueness {
    Uniqueness::None
}

impl AttributeDef {
    /// The sub-attribute called `name`, compared case-insensitively.
    pub fn sub(&self, name: &str) -> Option<&AttributeDef> {
        find(&self.sub_attributes, name)
    }

    /// Whether this is a complex attribute.
    pub fn is_complex(&self) -> bool {
        self.attr_type == AttrType::Complex
    }

    fn simple(name: &str, attr_type: AttrType, mutability: Mutability, returned: Returned) -> Self {
        AttributeDef {
            name: name.to_string(),
            attr_type,
            multi_valued: false,
            required: false,
            case_exact: matches!(attr_type, AttrType::Reference),
            mutability,
            returned,
            uniqueness: Uniqueness::None,
            canonical_values: Vec::new(),
            sub_attributes: Vec::new(),
        }
    }
}

/// Find an attribute by name, case-insensitively (RFC 7643 2.1: names are case insensitive).
pub fn find<'a>(attrs: &'a [AttributeDef], name: &str) -> Option<&'a AttributeDef> {
    // Names are case-insensitive (RFC 7643 2.1), but stored documents and most requests
    // spell them as the schema does: an exact match first is a byte comparison, where the
    // case-insensitive one compared every name of the schema (a fifth of writing a page).
    attrs
        .iter()
        .find(|a| a.name == name)
        .or_else(|| attrs.iter().find(|a| a.name.eq_ignore_ascii_case(name)))
}

/// A schema document (RFC 7643 7).
#[derive(Debug, Clone, Deserialize)]
pub struct Schema {
    /// The schema URN.
    pub id: String,
    /// Human name.
    #[serde(default)]
    pub name: String,
    /// Attribute definitions.
    pub attributes: Vec<AttributeDef>,
}

impl Schema {
    /// The attribute called `name`, compared case-insensitively.
    pub fn attr(&self, name: &str) -> Option<&AttributeDef> {
        find(&self.attributes, name)
    }
}

/// A schema extension reference of a resource type (RFC 7643 6).
#[derive(Debug, Clone, Deserialize)]
pub struct SchemaExtension {
    /// The extension schema URN.
    pub schema: String,
    /// Whether resources must carry it.
    #[serde(default)]
    pub required: bool,
}

/// A resource type (RFC 7643 6).
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ResourceType {
    /// `User` or `Group`.
    pub id: String,
    /// Name, equal to the id here.
    pub name: String,
    /// Endpoint, e.g. `/Users`.
    pub endpoint: String,
    /// Core schema URN.
    pub schema: String,
    /// Extension schemas.
    #[serde(default)]
    pub schema_extensions: Vec<SchemaExtension>,
}

/// The common attributes of every resource (RFC 7643 3.1), which no schema document lists.
pub fn common_attributes() -> Vec<AttributeDef> {
    use AttrType::*;
    use Mutability::*;
    let mut id = AttributeDef::simple("id", String, ReadOnly, Returned::Always);
    id.case_exact = true;
    id.uniqueness = Uniqueness::Server;
    let mut external_id = AttributeDef::simple("externalId", String, ReadWrite, Returned::Default);
    external_id.case_exact = true;
    let mut meta = AttributeDef::simple("meta", Complex, ReadOnly, Returned::Default);
    meta.sub_attributes = vec![
        {
            let mut a = AttributeDef::simple("resourceType", String, ReadOnly, Returned::Default);
            a.case_exact = true;
            a
        },
        AttributeDef::simple("created", DateTime, ReadOnly, Returned::Default),
        AttributeDef::simple("lastModified", DateTime, ReadOnly, Returned::Default),
        AttributeDef::simple("location", Reference, ReadOnly, Returned::Default),
        {
            let mut a = AttributeDef::simple("version", String, ReadOnly, Returned::Default);
            a.case_exact = true;
            a
        },
    ];
    vec![id, external_id, meta]
}
