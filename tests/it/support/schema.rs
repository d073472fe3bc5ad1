//! Validation of JSON output against the committed `schema/certcheck.schema.json` with the
//! jsonschema crate: each kind of document against its own definition.

use std::sync::OnceLock;

use serde_json::{Value, json};

/// What a JSON document is.
#[derive(Clone, Copy, Debug)]
pub enum Kind {
    /// `--json`.
    Report,
    /// One `--jsonl` line.
    Line,
    /// `stores --json`.
    Stores,
}

/// The committed schema's path.
pub fn path() -> std::path::PathBuf {
    std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("schema/certcheck.schema.json")
}

fn validators() -> &'static [jsonschema::Validator; 3] {
    static VALIDATORS: OnceLock<[jsonschema::Validator; 3]> = OnceLock::new();
    VALIDATORS.get_or_init(|| {
        let text = std::fs::read_to_string(path()).expect("schema/certcheck.schema.json exists");
        let schema: Value = serde_json::from_str(&text).expect("the schema is JSON");
        let root = schema
            .get("anyOf")
            .expect("the root is anyOf the documents");
        let one = |index: usize| {
            let reference = root[index]["$ref"].clone();
            let wrapped = json!({
                "$schema": schema["$schema"],
                "$ref": reference,
                "$defs": schema["$defs"],
            });
            jsonschema::validator_for(&wrapped).expect("the schema compiles")
        };
        // The root's order is the `Document` enum's: Report, Line, Stores.
        [one(0), one(1), one(2)]
    })
}

/// Fails the test with every violation when `value` is not a valid document of `kind`.
pub fn check(kind: Kind, value: &Value) {
    let validator = &validators()[kind as usize];
    let errors: Vec<String> = validator
        .iter_errors(value)
        .map(|e| format!("{} at {}", e, e.instance_path()))
        .collect();
    assert!(
        errors.is_empty(),
        "{kind:?} does not match schema/certcheck.schema.json:\n{}\n{}",
        errors.join("\n"),
        serde_json::to_string_pretty(value).unwrap_or_default()
    );
}

/// As [`check`], for the text of a document.
pub fn check_text(kind: Kind, text: &str) {
    let value: Value = serde_json::from_str(text).unwrap_or_else(|e| panic!("JSON ({e}):\n{text}"));
    check(kind, &value);
}
