//! The JSON Schema of everything certcheck writes as JSON (`--json`, each `--jsonl` line and
//! `stores --json`), generated from the report types with schemars. The committed copy is
//! `schema/certcheck.schema.json`; a test regenerates it and fails on any difference, and every
//! JSON document the integration tests produce is validated against the committed copy.

use schemars::JsonSchema;
use schemars::generate::SchemaSettings;
use schemars::transform::RecursiveTransform;

use super::{Report, ResultLine, StoresReport};

/// Every JSON document certcheck writes; the schema's root is one of them.
#[derive(JsonSchema)]
#[serde(untagged)]
#[allow(dead_code, reason = "only its schema is used")]
enum Document<'a> {
    /// `--json`: the whole run.
    Report(Report),
    /// One `--jsonl` line.
    Line(ResultLine<'a>),
    /// `certcheck stores --json`.
    Stores(StoresReport),
}

/// The schema, as the committed `schema/certcheck.schema.json` holds it (pretty-printed, with a
/// final newline). Objects allow no property they do not declare, so a field added to the report
/// without regenerating the schema is caught.
pub fn json_schema() -> String {
    let generator = SchemaSettings::draft2020_12()
        .with_transform(RecursiveTransform(|schema: &mut schemars::Schema| {
            if schema.get("properties").is_some() && schema.get("additionalProperties").is_none() {
                schema.insert("additionalProperties".into(), false.into());
            }
        }))
        .into_generator();
    let mut schema = generator.into_root_schema_for::<Document<'static>>();
    schema.insert(
        "title".into(),
        "certcheck JSON output (--json, --jsonl lines, stores --json)".into(),
    );
    let mut text = serde_json::to_string_pretty(&schema).unwrap_or_default();
    text.push('\n');
    text
}
