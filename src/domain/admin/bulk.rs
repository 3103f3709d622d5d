//! Bulk onboarding from CSV (the seed's "Bulk Add Users"): columns `name`, `email`,
//! `username` and `roles...`, in any order, header required (issue 8: "name, email,
//! username, roles..."). Roles may be several in the `roles` cell (separated by `;` or `|`)
//! and, when `roles` is the last column, in any further cells of the row: under the header
//! `name,email,username,roles` the row `Ann,ann@x.com,ann,Maintainer,Read-Only` has two
//! roles. Header cells after `roles` that are empty or `roles` again are role columns too.
//! Nothing is dropped silently: an unknown header column refuses the file, and a row with
//! more cells than the header, when `roles` is not the last column, is refused with a
//! per-row error. Each row is validated and created on its own: a bad row applies nothing
//! and does not stop the others; the answer has one result per row.

use serde_json::{Value, json};

use crate::domain::admin::port::AdminDirectory;
use crate::domain::error::DomainError;
use crate::domain::provisioning::Provisioning;
use crate::domain::sync::RequestCtx;
use crate::scim::error::ScimError;

/// Most rows one upload may hold.
pub const MAX_ROWS: usize = 1000;

/// One data row of the file.
#[derive(Debug, Clone, PartialEq)]
pub struct CsvRow {
    /// 1-based line number in the file (the header is line 1).
    pub line: u64,
    /// The create body built from the row, or why the row cannot be read.
    pub body: Result<Value, String>,
}

/// Parse the file into create bodies.
pub fn parse_csv(text: &str) -> Result<Vec<CsvRow>, ScimError> {
    let mut reader = csv::ReaderBuilder::new()
        .trim(csv::Trim::All)
        .flexible(true)
        .from_reader(text.as_bytes());
    let headers = reader
        .headers()
        .map_err(|e| ScimError::invalid_syntax(format!("the CSV header cannot be read: {e}")))?
        .clone();
    let col = |name: &str| headers.iter().position(|h| h.eq_ignore_ascii_case(name));
    let (name, email, username) = (col("name"), col("email"), col("username"));
    let Some(email) = email else {
        return Err(ScimError::invalid_value(
            "the CSV needs a header row with at least an 'email' column (name, email, username, roles...)",
        ));
    };
    // Role columns: `roles`, and the empty or `roles` header cells right after it.
    let mut role_cols = Vec::new();
    for (i, h) in headers.iter().enumerate() {
        let is_roles = h.eq_ignore_ascii_case("roles");
        let continues = !role_cols.is_empty() && role_cols.last() == Some(&(i - 1));
        if is_roles || (h.is_empty() && continues) {
            role_cols.push(i);
        } else if !["name", "email", "username"]
            .iter()
            .any(|k| h.eq_ignore_ascii_case(k))
        {
            return Err(ScimError::invalid_value(format!(
                "unknown CSV column {h:?} (column {}): the columns are name, email, username, roles...",
                i + 1
            )));
        }
    }
    // Cells past the header are more roles when the role columns close the header.
    let trailing_roles = role_cols.last() == Some(&(headers.len() - 1));
    let mut rows = Vec::new();
    for (i, record) in reader.records().enumerate() {
        if rows.len() >= MAX_ROWS {
            return Err(ScimError::too_many(format!(
                "at most {MAX_ROWS} rows per upload"
            )));
        }
        let line = record
            .as_ref()
            .ok()
            .and_then(|r| r.position())
            .map_or(i as u64 + 2, |p| p.line());
        let body = match record {
            Err(e) => Err(format!("unreadable row: {e}")),
            Ok(r) if r.iter().all(str::is_empty) => continue,
            Ok(r) if r.len() > headers.len() && !trailing_roles => Err(format!(
                "the row has {} cells but the header names {} columns; only roles may follow the \
                 named columns, and only when 'roles' is the last column of the header",
                r.len(),
                headers.len()
            )),
            Ok(r) => {
                let get = |c: Option<usize>| c.and_then(|c| r.get(c)).filter(|s| !s.is_empty());
                let extra = if trailing_roles {
                    headers.len()..r.len()
                } else {
                    0..0
                };
                let mut role_list: Vec<&str> = Vec::new();
                for cell in role_cols
                    .iter()
                    .copied()
                    .chain(extra)
                    .filter_map(|c| r.get(c))
                {
                    for role in cell.split([';', '|']).map(str::trim) {
                        if !role.is_empty() && !role_list.contains(&role) {
                            role_list.push(role);
                        }
                    }
                }
                let mut body = json!({"email": get(Some(email)), "roles": role_list});
                if let Some(n) = get(name) {
                    body["name"] = json!(n);
                }
                if let Some(u) = get(username) {
                    body["userName"] = json!(u);
                }
                Ok(body)
            }
        };
        rows.push(CsvRow { line, body });
    }
    Ok(rows)
}

impl<D: AdminDirectory> Provisioning<D> {
    /// Create one account per row; every row gets a result.
    pub async fn admin_bulk_add(&self, ctx: &RequestCtx, text: &str) -> Result<Value, DomainError> {
        let rows = parse_csv(text)?;
        let mut results = Vec::with_capacity(rows.len());
        let (mut created, mut failed) = (0, 0);
        for row in rows {
            let email = row
                .body
                .as_ref()
                .ok()
                .and_then(|b| b["email"].as_str())
                .map(str::to_string);
            let outcome = match row.body {
                Err(reason) => Err(ScimError::invalid_syntax(reason).into()),
                Ok(body) => self.admin_create_user(ctx, &body).await,
            };
            results.push(match outcome {
                Ok(user) => {
                    created += 1;
                    json!({"line": row.line, "email": email, "status": "created", "id": user["id"], "user": user})
                }
                Err(e) => {
                    failed += 1;
                    let scim = e.to_scim();
                    json!({"line": row.line, "email": email, "status": "failed",
                        "error": {"status": scim.status, "scimType": scim.scim_type.map(|t| t.as_str()), "detail": scim.detail}})
                }
            });
        }
        Ok(json!({"created": created, "failed": failed, "results": results}))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn columns_in_any_order_roles_split_blank_lines_skipped() {
        let rows = parse_csv(
            "Email,Name,roles\nann@x.com,Ann Lee,Maintainer;Read-Only\n\n bob@x.com , Bob ,\n",
        )
        .unwrap();
        assert_eq!(rows.len(), 2);
        let a = rows[0].body.as_ref().unwrap();
        assert_eq!(a["email"], "ann@x.com");
        assert_eq!(a["name"], "Ann Lee");
        assert_eq!(a["roles"], json!(["Maintainer", "Read-Only"]));
        assert_eq!(rows[0].line, 2);
        let b = rows[1].body.as_ref().unwrap();
        assert_eq!(b["email"], "bob@x.com");
        assert_eq!(b["roles"], json!([]));
    }

    #[test]
    fn every_cell_after_a_last_roles_column_is_a_role() {
        let rows = parse_csv(
            "name,email,username,roles\n\
             Ann,ann@x.com,ann,Maintainer,Read-Only\n\
             Bob,bob@x.com,bob,DialAiAdmin;Maintainer,,Read-Only,Maintainer\n\
             Cy,cy@x.com\n",
        )
        .unwrap();
        let roles: Vec<&Value> = rows
            .iter()
            .map(|r| &r.body.as_ref().unwrap()["roles"])
            .collect();
        assert_eq!(roles[0], &json!(["Maintainer", "Read-Only"]));
        assert_eq!(roles[1], &json!(["DialAiAdmin", "Maintainer", "Read-Only"]));
        assert_eq!(roles[2], &json!([]));
        // Empty or repeated `roles` header cells after `roles` are role columns too.
        let rows = parse_csv("email,roles,,Roles\nann@x.com,Maintainer,Read-Only,DialAiAdmin,X\n")
            .unwrap();
        assert_eq!(
            rows[0].body.as_ref().unwrap()["roles"],
            json!(["Maintainer", "Read-Only", "DialAiAdmin", "X"])
        );
    }

    #[test]
    fn extra_cells_are_refused_per_row_when_roles_is_not_last() {
        let rows = parse_csv(
            "roles,email,name\nMaintainer,ann@x.com,Ann,Read-Only\nMaintainer,bob@x.com,Bob\n",
        )
        .unwrap();
        let err = rows[0].body.as_ref().unwrap_err();
        assert!(
            err.contains("4 cells") && err.contains("3 columns"),
            "{err}"
        );
        assert_eq!(rows[0].line, 2);
        assert!(rows[1].body.is_ok());
        let rows = parse_csv("name,email\nAnn,ann@x.com,Maintainer\n").unwrap();
        assert!(rows[0].body.is_err());
    }

    #[test]
    fn unknown_columns_refuse_the_file() {
        let e = parse_csv("name,email,phone\nAnn,ann@x.com,555\n").unwrap_err();
        assert!(e.detail.contains("\"phone\""), "{}", e.detail);
        assert!(parse_csv("name,,email\nAnn,,ann@x.com\n").is_err());
    }

    #[test]
    fn a_file_without_an_email_column_is_refused() {
        assert!(parse_csv("name,username\nAnn,ann\n").is_err());
    }

    #[test]
    fn a_row_without_email_keeps_a_null_email_for_the_create_rules() {
        let rows = parse_csv("name,email\nAnn,\n").unwrap();
        assert_eq!(rows[0].body.as_ref().unwrap()["email"], Value::Null);
    }
}
