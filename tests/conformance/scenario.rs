//! Scenario files: the format of `conformance/<idp>/*.json` and how they are found.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::Deserialize;
use serde_json::Value;

/// A scenario file.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Scenario {
    /// What the scenario shows.
    pub name: String,
    /// The public document it was written from.
    pub source: Source,
    /// The flow, in a few sentences.
    pub description: String,
    /// Variables set at the start (values may use `${uuid}`).
    #[serde(default)]
    pub vars: BTreeMap<String, Value>,
    /// The requests, in order.
    pub steps: Vec<Step>,
}

/// The public document a scenario was written from.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Source {
    /// The document's title.
    pub title: String,
    /// Its address.
    pub url: String,
    /// The part of it the scenario follows.
    #[serde(default)]
    pub section: Option<String>,
}

/// One request and what its answer must be.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Step {
    /// What the step does.
    pub name: String,
    /// HTTP method.
    pub method: String,
    /// Path and query, relative to the SCIM base URL (starts with `/`).
    pub path: String,
    /// Request headers (they replace the harness's defaults).
    #[serde(default)]
    pub headers: BTreeMap<String, String>,
    /// Request body.
    #[serde(default)]
    pub body: Option<Value>,
    /// Why the step expects what it does (required for refused immutable changes).
    #[serde(default)]
    pub note: Option<String>,
    /// Tolerance tags (see `TOLERANCES`) the request exercises.
    #[serde(default)]
    pub tolerances: Vec<String>,
    /// What the answer must be.
    pub expect: Expect,
}

/// What the answer to a step must be.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Expect {
    /// HTTP status.
    pub status: u16,
    /// JSON pointer -> expected value (or a `{"$matcher": ...}` object, see `check_value`).
    #[serde(default)]
    pub json: BTreeMap<String, Value>,
    /// JSON pointers that must not resolve.
    #[serde(default)]
    pub absent: Vec<String>,
    /// Response header -> text it must contain.
    #[serde(default)]
    pub headers: BTreeMap<String, String>,
    /// Variable -> JSON pointer whose value is kept for later steps.
    #[serde(default)]
    pub capture: BTreeMap<String, String>,
    /// The sync events the request left, oldest first.
    #[serde(default)]
    pub events: Vec<EventExpect>,
}

/// Assertions on one recorded sync event.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EventExpect {
    /// `create`, `update`, `deactivate`, `rejected`...
    #[serde(default)]
    pub action: Option<String>,
    /// `ok`, `rejected` or `error`.
    #[serde(default)]
    pub outcome: Option<String>,
    /// HTTP status recorded.
    #[serde(default)]
    pub status: Option<i32>,
    /// scimType recorded.
    #[serde(default)]
    pub scim_type: Option<String>,
    /// Texts the detail must contain.
    #[serde(default)]
    pub detail_contains: Vec<String>,
    /// Texts that some recorded coercion must contain.
    #[serde(default)]
    pub coercions_contain: Vec<String>,
}

/// The IdPs with a folder of scenarios.
pub const IDPS: [&str; 2] = ["okta", "entra"];

/// Every scenario file under `conformance/<idp>/`, sorted by path.
pub fn scenario_files() -> Vec<PathBuf> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("conformance");
    let mut files = Vec::new();
    for idp in IDPS {
        let dir = root.join(idp);
        let before = files.len();
        walk(&dir, &mut files);
        assert!(
            files.len() > before,
            "no scenario files (*.json) under {}",
            dir.display()
        );
    }
    files.sort();
    files
}

fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
    let entries =
        std::fs::read_dir(dir).unwrap_or_else(|e| panic!("cannot read {}: {e}", dir.display()));
    for entry in entries {
        let path = entry.expect("directory entry").path();
        if path.is_dir() {
            walk(&path, out);
        } else if path.extension().is_some_and(|e| e == "json") {
            out.push(path);
        }
    }
}

/// Parse one scenario file (panics with the file name on error).
pub fn load(path: &Path) -> Scenario {
    let text = std::fs::read_to_string(path)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
    serde_json::from_str(&text)
        .unwrap_or_else(|e| panic!("{}: not a valid scenario: {e}", path.display()))
}

/// A path relative to the repository root, for messages.
pub fn short(path: &Path) -> String {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    path.strip_prefix(root)
        .unwrap_or(path)
        .display()
        .to_string()
}
