//! The one table between SCIM attributes and account/group fields (design.md section 3).

pub mod filter;
pub mod group;
pub mod user;

use serde_json::{Map, Value};

/// A string attribute of a JSON object.
pub(crate) fn str_of<'a>(obj: &'a Map<String, Value>, key: &str) -> Option<&'a str> {
    obj.get(key).and_then(Value::as_str)
}

/// An `<base>/<Endpoint>/<id>` location.
pub fn location(base_url: &str, endpoint: &str, id: &str) -> String {
    format!("{}/{endpoint}/{id}", base_url.trim_end_matches('/'))
}
