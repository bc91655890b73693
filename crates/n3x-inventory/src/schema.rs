//! The JSON Schema of `Inventory`, generated from the types so it cannot drift.
//! Committed as `schemas/inventory.schema.json` for editors (yaml-language-server).

/// The schema as pretty JSON with a final newline.
pub fn inventory_schema() -> String {
    let mut schema = schemars::schema_for!(n3x_core::Inventory);
    schema.insert("$id".into(), "https://n3x.dev/schemas/v1alpha1/inventory.schema.json".into());
    let mut s = serde_json::to_string_pretty(&schema).unwrap_or_default();
    s.push('\n');
    s
}
