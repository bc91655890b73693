//! The YAML printer of this crate: Kubernetes objects (built as `serde_json::Value`)
//! become YAML text with a fixed key order.
//!
//! Key order is decided here, never by the map type: `apiVersion`, `kind`, `metadata`,
//! `name`, `namespace` first (the order people read manifests in), then the rest
//! alphabetically. So the output stays byte-identical whether or not some other crate
//! in the build switches on serde_json's `preserve_order` feature. Quoting and block
//! scalars are serde_yaml's (it quotes anything a YAML 1.1 or 1.2 reader would take
//! for a number, boolean or null).

use serde_json::Value;
use serde_yaml::{Mapping, Value as Yaml};

/// Keys printed first, in this order, wherever they appear.
const FIRST: &[&str] = &["apiVersion", "kind", "metadata", "name", "namespace"];

fn rank(key: &str) -> usize {
    FIRST.iter().position(|k| *k == key).unwrap_or(FIRST.len())
}

/// Converts a JSON value to a YAML value with the fixed key order.
pub fn to_yaml_value(v: &Value) -> Yaml {
    match v {
        Value::Null => Yaml::Null,
        Value::Bool(b) => Yaml::Bool(*b),
        Value::Number(n) => {
            if let Some(i) = n.as_i64() {
                Yaml::Number(i.into())
            } else if let Some(u) = n.as_u64() {
                Yaml::Number(u.into())
            } else {
                Yaml::Number(n.as_f64().unwrap_or(0.0).into())
            }
        }
        Value::String(s) => Yaml::String(s.clone()),
        Value::Array(items) => Yaml::Sequence(items.iter().map(to_yaml_value).collect()),
        Value::Object(map) => {
            let mut keys: Vec<&String> = map.keys().collect();
            keys.sort_by(|a, b| rank(a).cmp(&rank(b)).then_with(|| a.cmp(b)));
            let mut out = Mapping::new();
            for k in keys {
                if let Some(val) = map.get(k) {
                    out.insert(Yaml::String(k.clone()), to_yaml_value(val));
                }
            }
            Yaml::Mapping(out)
        }
    }
}

/// One YAML document (no `---`), ending in a newline.
pub fn document(v: &Value) -> Result<String, String> {
    serde_yaml::to_string(&to_yaml_value(v)).map_err(|e| format!("cannot encode YAML: {e}"))
}

/// Several documents separated by `---` lines.
pub fn documents(docs: &[Value]) -> Result<String, String> {
    let mut out = String::new();
    for (i, d) in docs.iter().enumerate() {
        if i > 0 {
            out.push_str("---\n");
        }
        out.push_str(&document(d)?);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn kubernetes_keys_come_first_then_alphabetical() {
        let v = json!({"spec": {"b": 1, "a": 2}, "metadata": {"name": "x"}, "kind": "K", "apiVersion": "v1"});
        assert_eq!(document(&v).unwrap(), "apiVersion: v1\nkind: K\nmetadata:\n  name: x\nspec:\n  a: 2\n  b: 1\n");
    }

    #[test]
    fn ambiguous_strings_are_quoted() {
        // A chart version that looks like a number must stay a string (HelmChart.spec.version is a string).
        let text = document(&json!({"version": "3.9", "on": "yes", "v": "1.12.1"})).unwrap();
        let back: serde_json::Value = serde_yaml::from_str(&text).unwrap();
        assert_eq!(back, json!({"version": "3.9", "on": "yes", "v": "1.12.1"}));
        assert!(text.contains("'3.9'") || text.contains("\"3.9\""), "{text}");
    }

    #[test]
    fn multiline_strings_are_block_scalars() {
        let text = document(&json!({"valuesContent": "a: 1\nb: 2\n"})).unwrap();
        assert!(text.starts_with("valuesContent: |"), "{text}");
    }
}
