//! The protocol core stays framework-free: nothing in `src/scim` may use actix, diesel or tokio.

use std::path::Path;

fn rust_files(dir: &Path, out: &mut Vec<std::path::PathBuf>) {
    for entry in std::fs::read_dir(dir).expect("read src/scim") {
        let path = entry.expect("entry").path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

#[test]
fn scim_core_imports_no_framework() {
    let mut files = Vec::new();
    rust_files(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("src/scim"),
        &mut files,
    );
    assert!(files.len() > 5, "src/scim has the protocol core");
    let forbidden = [
        "actix",
        "diesel",
        "tokio",
        "crate::store",
        "crate::http",
        "crate::domain",
    ];
    let mut offenders = Vec::new();
    for file in files {
        let text = std::fs::read_to_string(&file).expect("read");
        for (n, line) in text.lines().enumerate() {
            let code = line.split("//").next().unwrap_or_default();
            if forbidden.iter().any(|f| code.contains(f)) {
                offenders.push(format!("{}:{}: {}", file.display(), n + 1, line.trim()));
            }
        }
    }
    assert!(
        offenders.is_empty(),
        "framework use in the protocol core:\n{}",
        offenders.join("\n")
    );
}
