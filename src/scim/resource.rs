//! Resource envelope pieces: `meta` (RFC 7643 3.1), ETags (RFC 7644 3.14), list query
//! parameters (RFC 7644 3.4.2, 3.4.3; RFC 9865) and the ListResponse with opaque cursors.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{DateTime, SecondsFormat, Utc};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::scim::error::ScimError;

/// The ListResponse message schema URN (RFC 7644 3.4.2).
pub const LIST_RESPONSE_SCHEMA: &str = "urn:ietf:params:scim:api:messages:2.0:ListResponse";
/// The SearchRequest message schema URN (RFC 7644 3.4.3).
pub const SEARCH_REQUEST_SCHEMA: &str = "urn:ietf:params:scim:api:messages:2.0:SearchRequest";

/// The `meta` block of a resource (RFC 7643 3.1).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Meta {
    /// `User` or `Group`.
    pub resource_type: &'static str,
    /// When the resource was created.
    pub created: DateTime<Utc>,
    /// When the resource was last modified.
    pub last_modified: DateTime<Utc>,
    /// Absolute URI of the resource.
    pub location: String,
    /// Row version, rendered as a weak ETag.
    pub version: i64,
}

impl Meta {
    /// The JSON `meta` object: times in RFC 3339 with milliseconds and `Z`, version as `W/"n"`.
    pub fn to_json(&self) -> Value {
        serde_json::to_value(self.shape()).unwrap_or(Value::Null)
    }

    /// The same object as JSON text, written without building a map (every resource
    /// answered carries one).
    pub fn to_raw(&self) -> Box<serde_json::value::RawValue> {
        serde_json::value::to_raw_value(&self.shape())
            .unwrap_or_else(|_| serde_json::value::RawValue::NULL.to_owned())
    }

    fn shape(&self) -> MetaJson<'_> {
        MetaJson {
            resource_type: self.resource_type,
            created: timestamp(&self.created),
            last_modified: timestamp(&self.last_modified),
            location: &self.location,
            version: etag(self.version),
        }
    }
}

/// `meta` as it is written, its members in this order.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct MetaJson<'a> {
    resource_type: &'a str,
    created: String,
    last_modified: String,
    location: &'a str,
    version: String,
}

/// An RFC 3339 timestamp with millisecond precision and `Z` (RFC 7643 2.3.5).
fn timestamp(t: &DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Millis, true)
}

/// The weak entity tag of a row version: `W/"n"` (RFC 7644 3.14).
pub fn etag(version: i64) -> String {
    format!("W/\"{version}\"")
}

/// What an `If-Match` / `If-None-Match` header asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EtagMatch {
    /// `*`: any current representation.
    Any,
    /// These versions; empty when the header held nothing we issued (never matches).
    Versions(Vec<i64>),
}

impl EtagMatch {
    /// Whether the current version satisfies the header.
    pub fn matches(&self, version: i64) -> bool {
        match self {
            EtagMatch::Any => true,
            EtagMatch::Versions(v) => v.contains(&version),
        }
    }
}

/// Parse an `If-Match` / `If-None-Match` value: `*` or a list of entity tags (RFC 9110 13.1).
///
/// Weak and strong tags compare alike (weak comparison): we only issue weak tags and clients
/// echo them in `If-Match`. A tag that is not one of ours (not a number) is skipped, so a
/// header of garbage gives an empty list that never matches. A bare number is accepted too.
pub fn parse_etags(header: &str) -> EtagMatch {
    let header = header.trim();
    if header == "*" {
        return EtagMatch::Any;
    }
    let mut versions = Vec::new();
    let mut rest = header;
    loop {
        rest = rest.trim_start_matches(|c: char| c == ',' || c.is_ascii_whitespace());
        if rest.is_empty() {
            break;
        }
        let untagged = rest
            .strip_prefix("W/")
            .or_else(|| rest.strip_prefix("w/"))
            .unwrap_or(rest);
        let (tag, after) = match untagged.strip_prefix('"') {
            Some(quoted) => match quoted.find('"') {
                Some(end) => (&quoted[..end], &quoted[end + 1..]),
                // Unterminated quote: nothing more can be read.
                None => break,
            },
            None => {
                let end = untagged.find(',').unwrap_or(untagged.len());
                (untagged[..end].trim(), &untagged[end..])
            }
        };
        if let Ok(v) = tag.parse::<i64>() {
            versions.push(v);
        }
        rest = after;
    }
    EtagMatch::Versions(versions)
}

/// `sortOrder` (RFC 7644 3.4.2.3).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SortOrder {
    /// Ascending; the default when `sortOrder` is absent.
    #[default]
    Ascending,
    /// Descending.
    Descending,
}

/// List query parameters (RFC 7644 3.4.2.4 and 3.4.3, RFC 9865), from the query string or a
/// SearchRequest body.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ListParams {
    /// `filter`, unparsed.
    pub filter: Option<String>,
    /// `sortBy`, unparsed.
    pub sort_by: Option<String>,
    /// `sortOrder`.
    pub sort_order: SortOrder,
    /// `startIndex`, at least 1 when present.
    pub start_index: Option<i64>,
    /// `count`, at least 0 when present.
    pub count: Option<i64>,
    /// `cursor` (RFC 9865): `Some("")` asks for the first page in cursor mode.
    pub cursor: Option<String>,
    /// `attributes`, comma-separated.
    pub attributes: Option<String>,
    /// `excludedAttributes`, comma-separated.
    pub excluded_attributes: Option<String>,
}

impl ListParams {
    /// From URL query pairs; names are case-insensitive (`startIndex`, `startindex`).
    ///
    /// Unknown names are ignored; a repeated name keeps its last value. Empty `filter`,
    /// `sortBy`, `sortOrder`, `attributes` and `excludedAttributes` count as absent; an empty
    /// `cursor` asks for the first cursor page (RFC 9865 2).
    pub fn from_query(pairs: &[(String, String)]) -> Result<Self, ScimError> {
        let mut p = ListParams::default();
        for (name, value) in pairs {
            match name.to_ascii_lowercase().as_str() {
                "filter" => p.filter = non_empty(value),
                "sortby" => p.sort_by = non_empty(value),
                "sortorder" => p.sort_order = parse_sort_order(value)?,
                "startindex" => p.start_index = parse_int("startIndex", value)?,
                "count" => p.count = parse_int("count", value)?,
                "cursor" => p.cursor = Some(value.clone()),
                "attributes" => p.attributes = non_empty(value),
                "excludedattributes" => p.excluded_attributes = non_empty(value),
                _ => {}
            }
        }
        p.normalized()
    }

    /// From a `POST /.search` body (RFC 7644 3.4.3; `cursor` per RFC 9865 3).
    ///
    /// A body without `schemas` is accepted (clients omit it and nothing else can be meant at
    /// `/.search`); a `schemas` that does not list the SearchRequest URN is 400 invalidSyntax,
    /// as it is some other message. Member names are case-insensitive; `attributes` and
    /// `excludedAttributes` may be arrays of strings or comma-separated strings; numbers may
    /// be JSON numbers or numeric strings; `null` means absent.
    pub fn from_search_body(body: &Value) -> Result<Self, ScimError> {
        let obj = body
            .as_object()
            .ok_or_else(|| ScimError::invalid_syntax("a SearchRequest must be a JSON object"))?;
        let mut p = ListParams::default();
        for (name, value) in obj {
            if value.is_null() {
                continue;
            }
            match name.to_ascii_lowercase().as_str() {
                "schemas" => check_search_schemas(value)?,
                "filter" => p.filter = body_string("filter", value)?.and_then(|s| non_empty(&s)),
                "sortby" => p.sort_by = body_string("sortBy", value)?.and_then(|s| non_empty(&s)),
                "sortorder" => {
                    if let Some(s) = body_string("sortOrder", value)? {
                        p.sort_order = parse_sort_order(&s)?;
                    }
                }
                "startindex" => p.start_index = body_int("startIndex", value)?,
                "count" => p.count = body_int("count", value)?,
                "cursor" => p.cursor = body_string("cursor", value)?,
                "attributes" => p.attributes = body_list("attributes", value)?,
                "excludedattributes" => {
                    p.excluded_attributes = body_list("excludedAttributes", value)?;
                }
                _ => {}
            }
        }
        p.normalized()
    }

    /// The page size: `count` (or `default` when absent), capped at `max` and at least 0.
    pub fn page_size(&self, default: i64, max: i64) -> i64 {
        self.count.unwrap_or(default).min(max).max(0)
    }

    /// Clamp the numbers (RFC 7644 3.4.2.4) and refuse mixed pagination methods.
    fn normalized(mut self) -> Result<Self, ScimError> {
        // RFC 7644 3.4.2.4: "A value less than 1 SHALL be interpreted as 1."
        self.start_index = self.start_index.map(|i| i.max(1));
        // RFC 9865 2: "A negative value SHALL be interpreted as 0" (so does RFC 7644 3.4.2.4).
        self.count = self.count.map(|c| c.max(0));
        // RFC 9865 2.4: a client picks a method with `startIndex` *or* `cursor`; 2.1: invalid
        // pagination parameters are a 400. Both at once cannot be honoured, so refuse it.
        if self.start_index.is_some() && self.cursor.is_some() {
            return Err(ScimError::invalid_value(
                "startIndex and cursor select different pagination methods (RFC 9865); send one",
            ));
        }
        Ok(self)
    }
}

/// `Some(value)` unless it is empty or blank.
fn non_empty(s: &str) -> Option<String> {
    (!s.trim().is_empty()).then(|| s.to_string())
}

/// `ascending` / `descending`, case-insensitive; empty means the default.
fn parse_sort_order(s: &str) -> Result<SortOrder, ScimError> {
    let s = s.trim();
    if s.is_empty() || s.eq_ignore_ascii_case("ascending") {
        Ok(SortOrder::Ascending)
    } else if s.eq_ignore_ascii_case("descending") {
        Ok(SortOrder::Descending)
    } else {
        Err(ScimError::invalid_value(format!(
            "sortOrder must be 'ascending' or 'descending', got '{s}'"
        )))
    }
}

/// An integer query parameter; empty means absent, anything else unparsable is invalidValue.
fn parse_int(name: &str, s: &str) -> Result<Option<i64>, ScimError> {
    let s = s.trim();
    if s.is_empty() {
        return Ok(None);
    }
    s.parse::<i64>()
        .map(Some)
        .map_err(|_| ScimError::invalid_value(format!("{name} must be an integer, got '{s}'")))
}

/// A string member of a SearchRequest.
fn body_string(name: &str, v: &Value) -> Result<Option<String>, ScimError> {
    match v {
        Value::String(s) => Ok(Some(s.clone())),
        _ => Err(ScimError::invalid_value(format!("{name} must be a string"))),
    }
}

/// An integer member of a SearchRequest: a JSON integer or a numeric string.
fn body_int(name: &str, v: &Value) -> Result<Option<i64>, ScimError> {
    match v {
        Value::Number(n) => n
            .as_i64()
            .map(Some)
            .ok_or_else(|| ScimError::invalid_value(format!("{name} must be an integer"))),
        Value::String(s) => parse_int(name, s),
        _ => Err(ScimError::invalid_value(format!(
            "{name} must be an integer"
        ))),
    }
}

/// `attributes` / `excludedAttributes` of a SearchRequest, joined with commas.
fn body_list(name: &str, v: &Value) -> Result<Option<String>, ScimError> {
    let joined = match v {
        Value::String(s) => s.clone(),
        Value::Array(items) => {
            let mut names = Vec::with_capacity(items.len());
            for item in items {
                let s = item.as_str().ok_or_else(|| {
                    ScimError::invalid_value(format!("{name} must be an array of strings"))
                })?;
                names.push(s);
            }
            names.join(",")
        }
        _ => {
            return Err(ScimError::invalid_value(format!(
                "{name} must be an array of strings"
            )));
        }
    };
    Ok(non_empty(&joined))
}

/// `schemas` of a SearchRequest must list the SearchRequest URN.
fn check_search_schemas(v: &Value) -> Result<(), ScimError> {
    let listed = match v {
        Value::Array(items) => items.iter().any(|i| {
            i.as_str()
                .is_some_and(|s| s.eq_ignore_ascii_case(SEARCH_REQUEST_SCHEMA))
        }),
        Value::String(s) => s.eq_ignore_ascii_case(SEARCH_REQUEST_SCHEMA),
        _ => false,
    };
    if listed {
        Ok(())
    } else {
        Err(ScimError::invalid_syntax(format!(
            "schemas must contain {SEARCH_REQUEST_SCHEMA}"
        )))
    }
}

/// Render a ListResponse (RFC 7644 3.4.2; RFC 9865 2).
///
/// `startIndex` is given in index mode only, `next_cursor` in cursor mode only (absent on the
/// last page); `total_results` may be omitted in cursor mode (RFC 9865 2). `Resources` is
/// always present, empty when nothing matched.
pub fn list_response(
    resources: Vec<Value>,
    total_results: Option<i64>,
    start_index: Option<i64>,
    items_per_page: usize,
    next_cursor: Option<String>,
) -> Value {
    let mut m = Map::new();
    m.insert(
        "schemas".into(),
        Value::Array(vec![Value::String(LIST_RESPONSE_SCHEMA.to_string())]),
    );
    if let Some(t) = total_results {
        m.insert("totalResults".into(), Value::from(t));
    }
    m.insert("itemsPerPage".into(), Value::from(items_per_page));
    if let Some(s) = start_index {
        m.insert("startIndex".into(), Value::from(s));
    }
    if let Some(c) = next_cursor {
        m.insert("nextCursor".into(), Value::String(c));
    }
    m.insert("Resources".into(), Value::Array(resources));
    Value::Object(m)
}

/// Write a ListResponse around resources written by the caller: this writes up to
/// `"Resources":[`, the caller each resource's JSON (comma-separated), then `]}` closes it.
/// The same bytes as [`list_response`] serialized, without a tree of the page.
pub fn write_list_head(
    out: &mut Vec<u8>,
    total_results: Option<i64>,
    start_index: Option<i64>,
    items_per_page: usize,
    next_cursor: Option<&str>,
) {
    use std::io::Write;
    let _ = write!(out, "{{\"schemas\":[\"{LIST_RESPONSE_SCHEMA}\"]");
    if let Some(t) = total_results {
        let _ = write!(out, ",\"totalResults\":{t}");
    }
    let _ = write!(out, ",\"itemsPerPage\":{items_per_page}");
    if let Some(s) = start_index {
        let _ = write!(out, ",\"startIndex\":{s}");
    }
    if let Some(c) = next_cursor {
        out.extend_from_slice(b",\"nextCursor\":");
        let _ = serde_json::to_writer(&mut *out, c);
    }
    out.extend_from_slice(b",\"Resources\":[");
}

/// A keyset position: the sort value and id of the last row of a page (RFC 9865 cursor).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cursor {
    /// Sort value of the last row, as text; `None` when it was unassigned.
    pub after_key: Option<String>,
    /// Id of the last row, the tie-breaker.
    pub after_id: String,
}

/// The wire form inside a cursor; short names keep cursors short.
#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct CursorWire {
    k: Option<String>,
    i: String,
}

impl Cursor {
    /// Opaque URL-safe text (RFC 9865 2: only unreserved characters of RFC 3986 2.3).
    pub fn encode(&self) -> String {
        let wire = CursorWire {
            k: self.after_key.clone(),
            i: self.after_id.clone(),
        };
        // Serialising two strings cannot fail; an empty cursor would only mean "first page".
        let json = serde_json::to_vec(&wire).unwrap_or_default();
        URL_SAFE_NO_PAD.encode(json)
    }

    /// Decode a cursor from [`Cursor::encode`]; anything else is 400 invalidCursor (RFC 9865 2.1).
    pub fn decode(s: &str) -> Result<Self, ScimError> {
        let bad = || ScimError::invalid_cursor("the cursor is not one this service issued");
        let bytes = URL_SAFE_NO_PAD.decode(s.trim()).map_err(|_| bad())?;
        let wire: CursorWire = serde_json::from_slice(&bytes).map_err(|_| bad())?;
        if wire.i.is_empty() {
            return Err(bad());
        }
        Ok(Cursor {
            after_key: wire.k,
            after_id: wire.i,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scim::error::ScimType;
    use chrono::TimeZone;
    use serde_json::json;

    fn assert_400(e: ScimError, want: ScimType, ctx: &str) {
        assert_eq!((e.status, e.scim_type), (400, Some(want)), "{ctx}");
    }

    fn q(pairs: &[(&str, &str)]) -> Result<ListParams, ScimError> {
        let owned: Vec<(String, String)> = pairs
            .iter()
            .map(|(a, b)| (a.to_string(), b.to_string()))
            .collect();
        ListParams::from_query(&owned)
    }

    #[test]
    fn meta_renders_etag_and_millis() {
        let t = Utc.with_ymd_and_hms(2024, 5, 1, 12, 30, 0).unwrap();
        let m = Meta {
            resource_type: "User",
            created: t,
            last_modified: t + chrono::Duration::milliseconds(1234),
            location: "https://h/scim/v2/Users/1".into(),
            version: 7,
        };
        assert_eq!(
            m.to_json(),
            json!({
                "resourceType": "User",
                "created": "2024-05-01T12:30:00.000Z",
                "lastModified": "2024-05-01T12:30:01.234Z",
                "location": "https://h/scim/v2/Users/1",
                "version": "W/\"7\""
            })
        );
        assert_eq!(etag(3), "W/\"3\"");
        assert_eq!(
            m.to_raw().get(),
            serde_json::to_string(&m.to_json()).unwrap(),
            "the text is the object's"
        );
    }

    #[test]
    fn etag_parsing() {
        let cases: &[(&str, EtagMatch)] = &[
            ("W/\"3\"", EtagMatch::Versions(vec![3])),
            ("\"3\"", EtagMatch::Versions(vec![3])),
            ("*", EtagMatch::Any),
            (" * ", EtagMatch::Any),
            ("W/\"1\", \"2\",W/\"3\"", EtagMatch::Versions(vec![1, 2, 3])),
            ("3", EtagMatch::Versions(vec![3])),
            ("W/\"abc\", W/\"4\"", EtagMatch::Versions(vec![4])),
            ("garbage", EtagMatch::Versions(vec![])),
            ("W/\"5", EtagMatch::Versions(vec![])),
            ("", EtagMatch::Versions(vec![])),
            ("*, W/\"1\"", EtagMatch::Versions(vec![1])),
        ];
        for (header, want) in cases {
            assert_eq!(&parse_etags(header), want, "{header:?}");
        }
        assert!(parse_etags("*").matches(9));
        assert!(parse_etags("W/\"9\"").matches(9));
        assert!(!parse_etags("garbage").matches(9));
    }

    #[test]
    fn query_params_mixed_case() {
        let p = q(&[
            ("FILTER", "userName eq \"a\""),
            ("sortby", "userName"),
            ("SortOrder", "Descending"),
            ("startindex", "0"),
            ("Count", "-5"),
            ("ATTRIBUTES", "userName"),
            ("excludedattributes", ""),
            ("unknown", "x"),
        ])
        .unwrap();
        assert_eq!(p.filter.as_deref(), Some("userName eq \"a\""));
        assert_eq!(p.sort_by.as_deref(), Some("userName"));
        assert_eq!(p.sort_order, SortOrder::Descending);
        assert_eq!(p.start_index, Some(1));
        assert_eq!(p.count, Some(0));
        assert_eq!(p.attributes.as_deref(), Some("userName"));
        assert_eq!(p.excluded_attributes, None);
        assert_eq!(p.cursor, None);
        assert_eq!(q(&[]).unwrap(), ListParams::default());
        let okta = q(&[("startIndex", "1"), ("count", "100")]).unwrap();
        assert_eq!((okta.start_index, okta.count), (Some(1), Some(100)));
    }

    #[test]
    fn query_params_errors() {
        let cases: &[&[(&str, &str)]] = &[
            &[("startIndex", "one")],
            &[("count", "1.5")],
            &[("count", "99999999999999999999")],
            &[("sortOrder", "up")],
            &[("startIndex", "1"), ("cursor", "")],
        ];
        for pairs in cases {
            assert_400(
                q(pairs).unwrap_err(),
                ScimType::InvalidValue,
                &format!("{pairs:?}"),
            );
        }
    }

    #[test]
    fn query_cursor_modes() {
        assert_eq!(q(&[("cursor", "")]).unwrap().cursor.as_deref(), Some(""));
        assert_eq!(
            q(&[("Cursor", "abc")]).unwrap().cursor.as_deref(),
            Some("abc")
        );
        assert_eq!(q(&[("count", "")]).unwrap().count, None);
    }

    #[test]
    fn search_body() {
        let p = ListParams::from_search_body(&json!({
            "schemas": [SEARCH_REQUEST_SCHEMA],
            "attributes": ["displayName", "userName"],
            "excludedAttributes": "emails, meta",
            "filter": "displayName sw \"smith\"",
            "sortBy": "userName",
            "sortOrder": "descending",
            "startIndex": 0,
            "count": 10
        }))
        .unwrap();
        assert_eq!(p.attributes.as_deref(), Some("displayName,userName"));
        assert_eq!(p.excluded_attributes.as_deref(), Some("emails, meta"));
        assert_eq!(p.filter.as_deref(), Some("displayName sw \"smith\""));
        assert_eq!(p.sort_order, SortOrder::Descending);
        assert_eq!((p.start_index, p.count), (Some(1), Some(10)));

        // RFC 9865 3 example; schemas omitted and numbers as strings are tolerated.
        let p = ListParams::from_search_body(&json!({"cursor": "", "COUNT": "10", "filter": null}))
            .unwrap();
        assert_eq!(
            (p.cursor.as_deref(), p.count, p.filter),
            (Some(""), Some(10), None)
        );

        use ScimType::{InvalidSyntax, InvalidValue};
        #[rustfmt::skip]
        let cases = [
            (json!([]), InvalidSyntax),
            (json!({"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"]}), InvalidSyntax),
            (json!({"count": "ten"}), InvalidValue),
            (json!({"count": 1.5}), InvalidValue),
            (json!({"attributes": [1]}), InvalidValue),
            (json!({"filter": 3}), InvalidValue),
            (json!({"startIndex": 2, "cursor": "x"}), InvalidValue),
        ];
        for (body, want) in cases {
            let e = ListParams::from_search_body(&body).unwrap_err();
            assert_400(e, want, &body.to_string());
        }
    }

    #[test]
    fn page_size_caps() {
        let with = |count| ListParams {
            count,
            ..ListParams::default()
        };
        assert_eq!(with(None).page_size(100, 1000), 100);
        assert_eq!(with(Some(5000)).page_size(100, 1000), 1000);
        assert_eq!(with(Some(0)).page_size(100, 1000), 0);
        assert_eq!(with(None).page_size(2000, 1000), 1000);
    }

    #[test]
    fn cursor_roundtrip_and_garbage() {
        let cur = |k: Option<&str>, i: &str| Cursor {
            after_key: k.map(str::to_string),
            after_id: i.to_string(),
        };
        for c in [
            cur(Some("alice@example.com"), "0190-abc"),
            cur(None, "x"),
            cur(Some("ünïcode / + = ?"), "y"),
        ] {
            let s = c.encode();
            // RFC 9865 2: unreserved characters only (base64url uses A-Z a-z 0-9 - _).
            let unreserved = |b: u8| b.is_ascii_alphanumeric() || b == b'-' || b == b'_';
            assert!(s.bytes().all(unreserved), "{s}");
            assert_eq!(Cursor::decode(&s).unwrap(), c);
        }
        let not_json = URL_SAFE_NO_PAD.encode("hello");
        let wrong_shape = URL_SAFE_NO_PAD.encode(r#"{"k":null,"i":"a","x":1}"#);
        let empty_id = URL_SAFE_NO_PAD.encode(r#"{"k":null,"i":""}"#);
        let bad = ["", "!!!", "abc=", &not_json, &wrong_shape, &empty_id];
        for b in bad {
            assert_400(Cursor::decode(b).unwrap_err(), ScimType::InvalidCursor, b);
        }
    }

    #[test]
    fn written_list_is_list_response() {
        let r = vec![json!({"id": "a", "x": "\"q\""}), json!({"id": "b"})];
        for (total, start, next) in [
            (Some(3), Some(2), None),
            (None, None, Some("c\"ur")),
            (Some(0), Some(1), None),
        ] {
            let mut out = Vec::new();
            write_list_head(&mut out, total, start, r.len(), next);
            for (i, v) in r.iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                serde_json::to_writer(&mut out, v).unwrap();
            }
            out.extend_from_slice(b"]}");
            let expected = list_response(r.clone(), total, start, r.len(), next.map(String::from));
            assert_eq!(String::from_utf8(out).unwrap(), expected.to_string());
        }
    }

    #[test]
    fn list_response_shapes() {
        let r = vec![json!({"id": "1"})];
        // (response, expected)
        let cases = [
            (
                list_response(r.clone(), Some(3), Some(1), 1, None),
                json!({"schemas": [LIST_RESPONSE_SCHEMA], "totalResults": 3, "itemsPerPage": 1,
                       "startIndex": 1, "Resources": [{"id": "1"}]}),
            ),
            (
                list_response(r.clone(), Some(3), None, 1, Some("abc".into())),
                json!({"schemas": [LIST_RESPONSE_SCHEMA], "totalResults": 3, "itemsPerPage": 1,
                       "nextCursor": "abc", "Resources": [{"id": "1"}]}),
            ),
            (
                list_response(vec![], Some(0), Some(1), 0, None),
                json!({"schemas": [LIST_RESPONSE_SCHEMA], "totalResults": 0, "itemsPerPage": 0,
                       "startIndex": 1, "Resources": []}),
            ),
            (
                list_response(r, None, None, 1, None),
                json!({"schemas": [LIST_RESPONSE_SCHEMA], "itemsPerPage": 1, "Resources": [{"id": "1"}]}),
            ),
        ];
        for (got, want) in cases {
            assert_eq!(got, want);
        }
        // Key order as written (preserve_order): schemas first, Resources last.
        let v = list_response(vec![], Some(0), Some(1), 0, None);
        let keys: Vec<&String> = v.as_object().unwrap().keys().collect();
        let order = "schemas totalResults itemsPerPage startIndex Resources";
        assert_eq!(keys, order.split(' ').collect::<Vec<_>>());
    }
}
