//! Replaying one scenario against the app: requests with `${var}` substitution, checks of the
//! answer (status, headers, JSON pointers and matchers, absent pointers), captures, and the
//! checks of the request's sync events (expected events, recorded coercions).

use std::collections::BTreeMap;

use serde_json::Value;

use crate::common::{Resp, TestApp};
use crate::scenario::{EventExpect, Scenario, Step};
use crate::tolerance;
use scim_connector::store::sync_read::StoredEvent;

/// The state of one scenario's replay.
pub struct Replay<'a> {
    app: &'a TestApp,
    vars: BTreeMap<String, Value>,
}

impl<'a> Replay<'a> {
    /// A replay on `app`, with no variables yet.
    pub fn new(app: &'a TestApp) -> Self {
        Replay {
            app,
            vars: BTreeMap::new(),
        }
    }

    /// Run the steps in order. A wrong answer stops the scenario (later steps depend on it); a
    /// sync-event check that fails is reported but the sequence goes on, as the IdP's would.
    pub async fn run(mut self, sc: &Scenario) -> Result<(), String> {
        for (name, v) in &sc.vars {
            let v = subst_value(v, &self.vars).map_err(|e| format!("vars.{name}: {e}"))?;
            self.vars.insert(name.clone(), v);
        }
        let mut problems = Vec::new();
        for (i, step) in sc.steps.iter().enumerate() {
            let at = format!(
                "step {} of {} '{}' ({} {})",
                i + 1,
                sc.steps.len(),
                step.name,
                step.method,
                step.path
            );
            match self.step(step).await {
                Ok(None) => {}
                Ok(Some(event_problem)) => problems.push(format!("{at}: {event_problem}")),
                Err(e) => {
                    problems.push(format!("{at}: {e}"));
                    break;
                }
            }
        }
        if problems.is_empty() {
            Ok(())
        } else {
            Err(problems.join("\n"))
        }
    }

    /// Send one step and check the answer (`Err`), then its sync events (`Ok(Some(problem))`).
    async fn step(&mut self, step: &Step) -> Result<Option<String>, String> {
        let path = subst_str(&step.path, &self.vars)?;
        let uri = format!("/scim/v2{}", encode_uri(&path));
        let headers: Vec<(String, String)> = step
            .headers
            .iter()
            .map(|(k, v)| Ok((k.clone(), subst_str(v, &self.vars)?)))
            .collect::<Result<_, String>>()?;
        let header_refs: Vec<(&str, &str)> = headers
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect();
        let body = match &step.body {
            Some(b) => Some(subst_value(b, &self.vars)?.to_string().into_bytes()),
            None => None,
        };
        let token = self.app.token.clone();
        let since = chrono::Utc::now().timestamp_micros();
        let resp = self
            .app
            .raw(&step.method, &uri, body, &token, &header_refs)
            .await;
        self.check_response(step, &resp)
            .map_err(|e| with_body(&e, &resp))?;
        for (var, pointer) in &step.expect.capture {
            let v =
                resp.body.pointer(pointer).cloned().ok_or_else(|| {
                    with_body(&format!("capture {var}: nothing at {pointer}"), &resp)
                })?;
            self.vars.insert(var.clone(), v);
        }
        let wanted = step
            .expect
            .events
            .len()
            .max(usize::from(!step.tolerances.is_empty()));
        if wanted == 0 {
            return Ok(None);
        }
        let events = self.events_of(&step.method, &uri, since, wanted).await?;
        Ok(self
            .check_events(step, &events)
            .err()
            .map(|e| with_body(&e, &resp)))
    }

    fn check_response(&self, step: &Step, resp: &Resp) -> Result<(), String> {
        let ex = &step.expect;
        if resp.status.as_u16() != ex.status {
            return Err(format!(
                "status {} (expected {})",
                resp.status.as_u16(),
                ex.status
            ));
        }
        for (name, want) in &ex.headers {
            let want = subst_str(want, &self.vars)?;
            match resp.header(name) {
                Some(v) if v.contains(&want) => {}
                other => {
                    return Err(format!(
                        "header {name}: {other:?} does not contain {want:?}"
                    ));
                }
            }
        }
        for (pointer, want) in &ex.json {
            let pointer = subst_str(pointer, &self.vars)?;
            let want = subst_value(want, &self.vars)?;
            check_value(&pointer, resp.body.pointer(&pointer), &want)?;
        }
        for pointer in &ex.absent {
            let pointer = subst_str(pointer, &self.vars)?;
            if let Some(v) = resp.body.pointer(&pointer) {
                return Err(format!("{pointer} should be absent, found {v}"));
            }
        }
        Ok(())
    }

    /// The sync events of this request (same method and path, recorded since it was sent),
    /// oldest first. Writes record theirs in the request's transaction; a read's event may be
    /// written shortly after the answer, so wait a little for `wanted` of them.
    async fn events_of(
        &self,
        method: &str,
        uri: &str,
        since: i64,
        wanted: usize,
    ) -> Result<Vec<StoredEvent>, String> {
        let mut attempt = 0;
        loop {
            let recent = self
                .app
                .store
                .recent_events(self.app.tenant, 100)
                .await
                .map_err(|e| format!("reading sync events: {e}"))?;
            let mut mine: Vec<StoredEvent> = recent
                .into_iter()
                .filter(|e| e.at >= since && e.method == method && e.path == uri)
                .collect();
            mine.reverse();
            attempt += 1;
            if mine.len() >= wanted || attempt >= 100 {
                return Ok(mine);
            }
            tokio::time::sleep(std::time::Duration::from_millis(30)).await;
        }
    }

    fn check_events(&self, step: &Step, events: &[StoredEvent]) -> Result<(), String> {
        let show = || {
            events
                .iter()
                .map(|e| {
                    format!(
                        "  {} {} -> {} {} {} scimType={:?} detail={:?} coercions={}",
                        e.method,
                        e.path,
                        e.status,
                        e.action,
                        e.outcome,
                        e.scim_type,
                        e.detail,
                        e.coercions.as_deref().unwrap_or("[]")
                    )
                })
                .collect::<Vec<_>>()
                .join("\n")
        };
        if !step.expect.events.is_empty() {
            if events.len() != step.expect.events.len() {
                return Err(format!(
                    "{} sync event(s) recorded, {} expected:\n{}",
                    events.len(),
                    step.expect.events.len(),
                    show()
                ));
            }
            for (i, (e, want)) in events.iter().zip(&step.expect.events).enumerate() {
                check_event(e, want, &self.vars)
                    .map_err(|m| format!("sync event {}: {m}\n{}", i + 1, show()))?;
            }
        }
        if step.tolerances.is_empty() {
            return Ok(());
        }
        let Some(ev) = events.last() else {
            return Err(format!(
                "tolerances {:?}: the request left no sync event",
                step.tolerances
            ));
        };
        let coercions = ev.coercion_list();
        for tag in &step.tolerances {
            let Some(t) = tolerance(tag) else {
                return Err(format!("unknown tolerance tag '{tag}'"));
            };
            match t.recorded {
                Some(text) => {
                    if !coercions.iter().any(|c| c.contains(text)) {
                        return Err(format!(
                            "tolerance '{tag}' ({}) is not recorded in the sync event: no coercion contains {text:?}\n{}",
                            t.what,
                            show()
                        ));
                    }
                }
                None => {
                    if ev.outcome != "ok" || ev.action != "read" {
                        return Err(format!(
                            "tolerance '{tag}': expected a successful read event\n{}",
                            show()
                        ));
                    }
                }
            }
        }
        Ok(())
    }
}

fn check_event(
    e: &StoredEvent,
    want: &EventExpect,
    vars: &BTreeMap<String, Value>,
) -> Result<(), String> {
    let eq = |what: &str, got: Option<&str>, want: &Option<String>| match want {
        Some(w) if got != Some(w.as_str()) => Err(format!("{what} is {got:?}, expected {w:?}")),
        _ => Ok(()),
    };
    eq("action", Some(&e.action), &want.action)?;
    eq("outcome", Some(&e.outcome), &want.outcome)?;
    eq("scimType", e.scim_type.as_deref(), &want.scim_type)?;
    if let Some(s) = want.status
        && s != e.status
    {
        return Err(format!("status is {}, expected {s}", e.status));
    }
    let detail = e.detail.clone().unwrap_or_default();
    for text in &want.detail_contains {
        let text = subst_str(text, vars)?;
        if !detail.contains(&text) {
            return Err(format!("detail {detail:?} does not mention {text:?}"));
        }
    }
    let coercions = e.coercion_list();
    for text in &want.coercions_contain {
        let text = subst_str(text, vars)?;
        if !coercions.iter().any(|c| c.contains(&text)) {
            return Err(format!("no coercion contains {text:?}: {coercions:?}"));
        }
    }
    Ok(())
}

/// Compare the value at a pointer with an expectation. An expectation object with one
/// `$`-key is a matcher: `{"$len": n}` (array or object size), `{"$contains": v}` (an array
/// element matching `v`, objects by subset), `{"$lacks": v}` (no such element),
/// `{"$type": "string"}`, `{"$icase": "text"}` (case-insensitive string equality),
/// `{"$has": "text"}` (substring), `{"$all": [expectation, ...]}`. Anything else must be equal.
fn check_value(pointer: &str, got: Option<&Value>, want: &Value) -> Result<(), String> {
    let matcher = want
        .as_object()
        .filter(|o| o.len() == 1)
        .and_then(|o| o.iter().next())
        .filter(|(k, _)| k.starts_with('$'));
    let Some(got) = got else {
        return Err(format!("{pointer}: nothing there, expected {want}"));
    };
    let fail = || Err(format!("{pointer}: found {got}, expected {want}"));
    let Some((op, arg)) = matcher else {
        return if got == want { Ok(()) } else { fail() };
    };
    let ok = match op.as_str() {
        "$all" => {
            let parts = arg
                .as_array()
                .ok_or_else(|| format!("{pointer}: $all takes a list of expectations"))?;
            return parts
                .iter()
                .try_for_each(|p| check_value(pointer, Some(got), p));
        }
        "$len" => {
            let n = match got {
                Value::Array(a) => Some(a.len()),
                Value::Object(o) => Some(o.len()),
                _ => None,
            };
            n.is_some_and(|n| Some(n as u64) == arg.as_u64())
        }
        "$contains" => got
            .as_array()
            .is_some_and(|a| a.iter().any(|x| subset(x, arg))),
        "$lacks" => got
            .as_array()
            .is_some_and(|a| !a.iter().any(|x| subset(x, arg))),
        "$type" => {
            let t = match got {
                Value::Null => "null",
                Value::Bool(_) => "boolean",
                Value::Number(_) => "number",
                Value::String(_) => "string",
                Value::Array(_) => "array",
                Value::Object(_) => "object",
            };
            arg.as_str() == Some(t)
        }
        "$icase" => {
            matches!((got, arg), (Value::String(g), Value::String(w)) if g.to_lowercase() == w.to_lowercase())
        }
        "$has" => {
            matches!((got, arg), (Value::String(g), Value::String(w)) if g.contains(w.as_str()))
        }
        other => return Err(format!("{pointer}: unknown matcher {other}")),
    };
    if ok { Ok(()) } else { fail() }
}

/// Whether `have` matches `want`: objects by subset of members, anything else by equality.
fn subset(have: &Value, want: &Value) -> bool {
    match (have, want) {
        (Value::Object(h), Value::Object(w)) => w
            .iter()
            .all(|(k, wv)| h.get(k).is_some_and(|hv| subset(hv, wv))),
        _ => have == want,
    }
}

/// Replace `${name}` in a string: captured or scenario variables, or `${uuid}` (fresh).
fn subst_str(s: &str, vars: &BTreeMap<String, Value>) -> Result<String, String> {
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(start) = rest.find("${") {
        out.push_str(&rest[..start]);
        let after = &rest[start + 2..];
        let end = after
            .find('}')
            .ok_or_else(|| format!("unclosed ${{ in {s:?}"))?;
        let name = &after[..end];
        match (name, vars.get(name)) {
            (_, Some(Value::String(v))) => out.push_str(v),
            (_, Some(v)) => out.push_str(&v.to_string()),
            ("uuid", None) => out.push_str(&uuid::Uuid::new_v4().to_string()),
            (_, None) => return Err(format!("unknown variable ${{{name}}} in {s:?}")),
        }
        rest = &after[end + 1..];
    }
    out.push_str(rest);
    Ok(out)
}

/// Substitute variables in every string of a JSON value (keys included). A string that is
/// exactly `${name}` takes the variable's JSON value, whatever its type.
fn subst_value(v: &Value, vars: &BTreeMap<String, Value>) -> Result<Value, String> {
    Ok(match v {
        Value::String(s) => {
            let whole = s
                .strip_prefix("${")
                .and_then(|r| r.strip_suffix('}'))
                .filter(|n| !n.contains(['$', '{', '}']));
            match whole.and_then(|n| vars.get(n)) {
                Some(value) => value.clone(),
                None => Value::String(subst_str(s, vars)?),
            }
        }
        Value::Array(items) => Value::Array(
            items
                .iter()
                .map(|i| subst_value(i, vars))
                .collect::<Result<_, _>>()?,
        ),
        Value::Object(m) => {
            let mut out = serde_json::Map::new();
            for (k, v) in m {
                out.insert(subst_str(k, vars)?, subst_value(v, vars)?);
            }
            Value::Object(out)
        }
        other => other.clone(),
    })
}

/// Percent-encode what may not appear in a request target (spaces, quotes, brackets...), so
/// fixtures can be written as the IdP documentation shows them; `%` escapes already present
/// are kept.
fn encode_uri(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            'A'..='Z' | 'a'..='z' | '0'..='9' => out.push(c),
            '-' | '.' | '_' | '~' | '!' | '$' | '&' | '\'' | '(' | ')' | '*' | '+' | ',' | ';'
            | '=' | ':' | '@' | '/' | '?' | '%' => out.push(c),
            _ => {
                let mut buf = [0u8; 4];
                for b in c.encode_utf8(&mut buf).bytes() {
                    out.push_str(&format!("%{b:02X}"));
                }
            }
        }
    }
    out
}

/// An error message followed by the response that caused it.
fn with_body(msg: &str, resp: &Resp) -> String {
    let mut body = serde_json::to_string_pretty(&resp.body).unwrap_or_default();
    if body.len() > 4000 {
        let mut cut = 4000;
        while !body.is_char_boundary(cut) {
            cut -= 1;
        }
        body.truncate(cut);
        body.push_str("\n…");
    }
    format!("{msg}\n  response {}: {body}", resp.status.as_u16())
}

#[test]
fn substitution_and_matchers() {
    let mut vars = BTreeMap::new();
    vars.insert("id".to_string(), Value::String("abc".into()));
    vars.insert("n".to_string(), serde_json::json!(3));
    assert_eq!(
        subst_str("/Users/${id}?x=${n}", &vars).unwrap(),
        "/Users/abc?x=3"
    );
    assert!(subst_str("${nope}", &vars).is_err());
    assert_eq!(subst_str("${uuid}", &vars).unwrap().len(), 36);
    assert_eq!(
        subst_value(&serde_json::json!({"a": "${n}", "b": ["x-${id}"]}), &vars).unwrap(),
        serde_json::json!({"a": 3, "b": ["x-abc"]})
    );
    assert_eq!(
        encode_uri("/Users?filter=userName eq \"a b\"&count=1"),
        "/Users?filter=userName%20eq%20%22a%20b%22&count=1"
    );
    let members = serde_json::json!([{"value": "1", "display": "x"}, {"value": "2"}]);
    assert!(
        check_value(
            "/m",
            Some(&members),
            &serde_json::json!({"$contains": {"value": "1"}})
        )
        .is_ok()
    );
    assert!(
        check_value(
            "/m",
            Some(&members),
            &serde_json::json!({"$lacks": {"value": "3"}})
        )
        .is_ok()
    );
    assert!(check_value("/m", Some(&members), &serde_json::json!({"$len": 2})).is_ok());
    assert!(check_value("/m", Some(&members), &serde_json::json!({"$len": 3})).is_err());
    assert!(check_value("/m", None, &serde_json::json!(1)).is_err());
}
