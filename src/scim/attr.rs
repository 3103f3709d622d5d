//! Attribute paths (RFC 7644 3.10): `[schema-urn ":"] attrName ["." subAttr]`.
//!
//! Names are case-insensitive (RFC 7643 2.1); after resolution against the registry a path
//! carries the canonical spelling of every part, so later code may compare with `==`.

use std::fmt;

use crate::scim::error::ScimError;

/// A parsed attribute path. `schema` is the URN prefix when one was given (or, after
/// resolution, the URN of the schema that defines the attribute).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct AttrPath {
    /// Schema URN qualifying the attribute, if any.
    pub schema: Option<String>,
    /// Top-level attribute name.
    pub attr: String,
    /// Sub-attribute name, for `name.givenName`.
    pub sub_attr: Option<String>,
}

impl AttrPath {
    /// A path to a top-level attribute of the core schema.
    pub fn new(attr: impl Into<String>) -> Self {
        AttrPath {
            schema: None,
            attr: attr.into(),
            sub_attr: None,
        }
    }

    /// A path to a sub-attribute of the core schema.
    pub fn with_sub(attr: impl Into<String>, sub: impl Into<String>) -> Self {
        AttrPath {
            schema: None,
            attr: attr.into(),
            sub_attr: Some(sub.into()),
        }
    }

    /// Parse the part after an optional URN prefix: `attr` or `attr.sub`.
    /// `schema` is the URN that was split off by the caller (see `Registry::split_urn`).
    pub fn parse_local(schema: Option<String>, rest: &str) -> Result<Self, ScimError> {
        let mut parts = rest.split('.');
        let attr = parts.next().unwrap_or_default();
        let sub = parts.next();
        if parts.next().is_some() {
            return Err(ScimError::invalid_path(format!(
                "'{rest}' has more than one sub-attribute level"
            )));
        }
        check_name(attr)?;
        if let Some(s) = sub {
            check_name(s)?;
        }
        Ok(AttrPath {
            schema,
            attr: attr.to_string(),
            sub_attr: sub.map(str::to_string),
        })
    }

    /// The dotted name without URN, e.g. `name.givenName`.
    pub fn dotted(&self) -> String {
        match &self.sub_attr {
            Some(s) => format!("{}.{}", self.attr, s),
            None => self.attr.clone(),
        }
    }
}

impl fmt::Display for AttrPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(s) = &self.schema {
            write!(f, "{s}:")?;
        }
        f.write_str(&self.dotted())
    }
}

/// RFC 7643 2.1: `ATTRNAME = ALPHA *(nameChar)`, `nameChar = "-" / "_" / DIGIT / ALPHA`;
/// `$ref` is the one reserved exception.
pub fn check_name(name: &str) -> Result<(), ScimError> {
    let ok = name == "$ref"
        || (name.starts_with(|c: char| c.is_ascii_alphabetic())
            && name
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_'));
    if ok {
        Ok(())
    } else {
        Err(ScimError::invalid_path(format!(
            "'{name}' is not a valid attribute name"
        )))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_simple_and_sub_paths() {
        assert_eq!(
            AttrPath::parse_local(None, "name.givenName").unwrap(),
            AttrPath::with_sub("name", "givenName")
        );
        assert_eq!(
            AttrPath::parse_local(None, "members.$ref")
                .unwrap()
                .sub_attr
                .as_deref(),
            Some("$ref")
        );
    }

    #[test]
    fn rejects_bad_names() {
        for bad in ["", "1abc", "a.b.c", "na me", "a."] {
            assert!(AttrPath::parse_local(None, bad).is_err(), "{bad}");
        }
    }
}
