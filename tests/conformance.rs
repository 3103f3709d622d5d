//! Replays of real IdP provisioning traffic (`conformance/okta/*.json`, `conformance/entra/*.json`)
//! against the real app, on SQLite and on PostgreSQL, one fresh app per scenario.
//!
//! A scenario file is the request sequence one IdP sends over a provisioning lifecycle, written
//! from that IdP's public documentation (its `source`). Each step is a request (method, path
//! relative to the SCIM base URL, optional headers and body) and what the answer must be:
//! status, values at JSON pointers, pointers that must be absent, values captured for later
//! steps (`${name}`), and the sync events the request must have left. Steps tagged with
//! `tolerances` name the IdP quirks of design.md section 2 they exercise; the replay checks
//! that each tolerated coercion was recorded in the request's sync event.
//!
//! Built-in variables: `${uuid}` (a fresh random UUID at each use). A scenario's `vars` are
//! evaluated once, at its start, and may use `${uuid}` themselves.
//!
//! - `scenario`: the file format and loading.
//! - `replay`: sending the steps and checking answers and sync events.

mod common;

#[path = "conformance/scenario.rs"]
mod scenario;

#[path = "conformance/replay.rs"]
mod replay;

use std::collections::{BTreeMap, BTreeSet};

use serde_json::Value;

use common::{TestApp, TestDb};
use replay::Replay;
use scenario::{IDPS, Scenario, Step, load, scenario_files, short};

/// One tolerance of real IdP traffic (design.md section 2, "IdP tolerance").
pub(crate) struct Tolerance {
    /// The tag scenario steps carry.
    pub(crate) tag: &'static str,
    /// What the IdP sends.
    pub(crate) what: &'static str,
    /// Text the request's sync event must list among its coercions; `None` for behaviours of
    /// reads, which coerce nothing (their event is checked to be a successful read).
    pub(crate) recorded: Option<&'static str>,
    /// Listed in design.md section 2 (every such tag must appear in some scenario).
    pub(crate) required: bool,
}

/// Every tag a step may carry. The `required` ones are the list of design.md section 2.
const TOLERANCES: &[Tolerance] = &[
    Tolerance {
        tag: "op-case",
        what: "PATCH op names in any case (\"Replace\", \"Add\", \"Remove\")",
        recorded: Some("normalised to"),
        required: true,
    },
    Tolerance {
        tag: "bool-string",
        what: "booleans sent as strings (\"False\") for boolean attributes",
        recorded: Some("coerced to boolean"),
        required: true,
    },
    Tolerance {
        tag: "pathless-dotted-key",
        what: "path-less PATCH value with dotted keys (\"name.givenName\")",
        recorded: Some("path-less key \"name."),
        required: true,
    },
    Tolerance {
        tag: "pathless-urn-key",
        what: "path-less PATCH value with extension-URN keys",
        recorded: Some("path-less key \"urn:"),
        required: true,
    },
    Tolerance {
        tag: "members-remove-value-array",
        what: "remove of members with a value array (exactly those members)",
        recorded: Some("remove of 'members' with a value list"),
        required: true,
    },
    Tolerance {
        tag: "filter-path-creates",
        what: "add/replace on emails[type eq \"work\"].value when no such entry exists",
        recorded: Some("no value matched the filter, created"),
        required: true,
    },
    Tolerance {
        tag: "manager-bare-string",
        what: "enterprise manager sent as a bare id string",
        recorded: Some("bare string coerced"),
        required: true,
    },
    Tolerance {
        tag: "null-on-create",
        what: "null attribute values on create (unassigned)",
        recorded: Some("null treated as unassigned"),
        required: true,
    },
    Tolerance {
        tag: "ms-group-schema",
        what: "Microsoft's extra group schema URN",
        recorded: Some("http://schemas.microsoft.com/2006/11/ResourceManagement/ADSCIM/Group"),
        required: true,
    },
    Tolerance {
        tag: "member-display-ref",
        what: "member objects carrying display/$ref",
        recorded: Some("members.display"),
        required: true,
    },
    Tolerance {
        tag: "okta-password",
        what: "Okta's password on create (accepted, never stored or returned)",
        recorded: Some("password accepted and discarded"),
        required: true,
    },
    Tolerance {
        tag: "start-index-count",
        what: "startIndex=1&count=100 lookups",
        recorded: None,
        required: true,
    },
    Tolerance {
        tag: "empty-filter-200",
        what: "a filter matching nothing answers 200 with an empty list",
        recorded: None,
        required: true,
    },
    Tolerance {
        tag: "pathless-readonly-id",
        what: "Okta's group rename carries the group's own id in a path-less value",
        recorded: Some("id is readOnly"),
        required: false,
    },
];

/// The catalogue entry of a tag.
pub(crate) fn tolerance(tag: &str) -> Option<&'static Tolerance> {
    TOLERANCES.iter().find(|t| t.tag == tag)
}

fn is_mutability_refusal(step: &Step) -> bool {
    step.expect.status == 400
        && step.expect.json.get("/scimType").and_then(Value::as_str) == Some("mutability")
}

/// The path of a request without its query string.
fn resource_path(path: &str) -> &str {
    path.split('?').next().unwrap_or(path)
}

/// Structural rules every scenario obeys; returns the problems found.
fn lint(file: &str, sc: &Scenario) -> Vec<String> {
    let mut problems = Vec::new();
    let mut bad = |m: String| problems.push(format!("{file}: {m}"));
    if sc.name.trim().is_empty() || sc.description.trim().is_empty() {
        bad("a scenario needs a name and a description".into());
    }
    if sc.source.title.trim().is_empty() || !sc.source.url.starts_with("https://") {
        bad("the source needs the document's title and its https:// URL".into());
    }
    if sc.steps.is_empty() {
        bad("no steps".into());
    }
    for (i, step) in sc.steps.iter().enumerate() {
        let at = format!("step {} '{}'", i + 1, step.name);
        if !["GET", "POST", "PUT", "PATCH", "DELETE"].contains(&step.method.as_str()) {
            bad(format!("{at}: unknown method {}", step.method));
        }
        if !step.path.starts_with('/') {
            bad(format!(
                "{at}: the path is relative to the base URL and starts with '/'"
            ));
        }
        for tag in &step.tolerances {
            if tolerance(tag).is_none() {
                bad(format!("{at}: unknown tolerance tag '{tag}'"));
            }
        }
        if !step.tolerances.is_empty() && !(200..300).contains(&step.expect.status) {
            bad(format!(
                "{at}: a step tagged with tolerances expects a 2xx answer (a refusal records no coercion)"
            ));
        }
        if is_mutability_refusal(step) {
            // Refusals of immutable changes are written on purpose: say so, check the event,
            // and check with a GET that nothing was applied.
            if step.note.as_deref().is_none_or(|n| n.trim().is_empty()) {
                bad(format!(
                    "{at}: a refused immutable change needs a note saying why"
                ));
            }
            let names_attr = step.expect.events.iter().any(|e| {
                e.scim_type.as_deref() == Some("mutability") && !e.detail_contains.is_empty()
            });
            if !names_attr {
                bad(format!(
                    "{at}: expect an event with scim_type mutability and the attribute in detail_contains"
                ));
            }
            let next = sc.steps.get(i + 1);
            let verified = next.is_some_and(|n| {
                n.method == "GET" && resource_path(&n.path) == resource_path(&step.path)
            });
            if !verified {
                bad(format!(
                    "{at}: follow a refused change with a GET of the same resource"
                ));
            }
        }
    }
    problems
}

#[test]
fn scenarios_are_well_formed_and_cover_every_tolerance() {
    let mut problems = Vec::new();
    let mut used: BTreeSet<&str> = BTreeSet::new();
    let mut per_idp: BTreeMap<&str, usize> = BTreeMap::new();
    for path in scenario_files() {
        let file = short(&path);
        let sc = load(&path);
        problems.extend(lint(&file, &sc));
        for idp in IDPS {
            if file.starts_with(&format!("conformance/{idp}/")) {
                *per_idp.entry(idp).or_default() += 1;
            }
        }
        for step in &sc.steps {
            for tag in &step.tolerances {
                if let Some(t) = tolerance(tag) {
                    used.insert(t.tag);
                }
            }
        }
    }
    let missing: Vec<String> = TOLERANCES
        .iter()
        .filter(|t| t.required && !used.contains(t.tag))
        .map(|t| format!("{} ({})", t.tag, t.what))
        .collect();
    if !missing.is_empty() {
        problems.push(format!(
            "tolerances of design.md section 2 that no scenario exercises: {}",
            missing.join("; ")
        ));
    }
    eprintln!("scenarios per IdP: {per_idp:?}; tolerance tags used: {used:?}");
    assert!(problems.is_empty(), "\n{}", problems.join("\n"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn replay_on_sqlite() {
    replay_all(|| async { Some(TestDb::sqlite()) }).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn replay_on_postgres() {
    replay_all(TestDb::postgres).await;
}

/// Replay every scenario, each on a fresh database; fail listing every failed scenario.
async fn replay_all<F, Fut>(fresh_db: F)
where
    F: Fn() -> Fut,
    Fut: Future<Output = Option<TestDb>>,
{
    let files = scenario_files();
    let mut failures = Vec::new();
    for path in &files {
        let file = short(path);
        let sc = load(path);
        let Some(db) = fresh_db().await else {
            return;
        };
        let app = TestApp::new(&db).await;
        match Replay::new(&app).run(&sc).await {
            Ok(()) => eprintln!(
                "PASS [{}] {file}: {} ({} steps)",
                db.backend,
                sc.name,
                sc.steps.len()
            ),
            Err(e) => {
                eprintln!("FAIL [{}] {file}: {}", db.backend, sc.name);
                let section = sc
                    .source
                    .section
                    .as_deref()
                    .map(|s| format!(", {s}"))
                    .unwrap_or_default();
                failures.push(format!(
                    "[{}] {file} — {} (from \"{}\"{section}, {})\n{e}",
                    db.backend, sc.name, sc.source.title, sc.source.url
                ));
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} scenarios failed:\n\n{}",
        failures.len(),
        files.len(),
        failures.join("\n\n")
    );
}
