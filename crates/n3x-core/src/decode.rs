//! From a parsed [`Document`] to typed values, with errors that name the field path,
//! the file position and, for near-miss names, a suggestion.
//!
//! serde reports unknown fields and variants as "unknown field `x`, expected one of
//! `a`, `b`"; this module reads the expected names back out of that message, so the
//! suggestion list can never drift from the types.

use serde::de::DeserializeOwned;
use serde_json::Value;

use crate::diag::{did_you_mean, Diagnostic, Diagnostics};
use crate::inventory::API_VERSION;
use crate::source::{join_key, Document};

/// Decodes `value` (found at `path` inside `doc`) into `T`, or explains why not.
pub fn decode_at<T: DeserializeOwned>(doc: &Document, path: &str, value: &Value) -> Result<T, Diagnostic> {
    serde_path_to_error::deserialize::<_, T>(value).map_err(|e| {
        let inner = e.path().to_string();
        let mut full = if inner == "." { path.to_string() } else { join_path(path, &inner) };
        let raw = e.inner().to_string();
        let (mut message, help, field) = explain(&raw);
        if message == "invalid IP address syntax" {
            if let Some(Value::String(got)) = value_at(doc.value(), &full) {
                message = format!("invalid IP address \"{got}\": expected an address such as 192.168.10.11");
            }
        }
        if let Some(field) = field {
            if !full.ends_with(&field) {
                full = join_key(&full, &field);
            }
        }
        let mut d = Diagnostic::error(full.clone(), message).at(doc.locate(&full));
        if let Some(h) = help {
            d = d.with_help(h);
        }
        d
    })
}

/// Decodes a whole document into `T`, or explains why not (as [`decode_at`] at the
/// root). A fast-path document is read from its text straight into `T`, without the
/// JSON value in between; when that fails, the value path runs and explains the error
/// with its field path and position. Both read the same: the fast path took only text
/// that reads as the same value either way (no duplicate keys, floats or NULs).
pub fn decode_document<T: DeserializeOwned>(doc: &Document) -> Result<T, Diagnostic> {
    if let Some(text) = doc.unread_json() {
        if let Ok(v) = serde_json::from_str::<T>(text) {
            return Ok(v);
        }
    }
    decode_at(doc, "", doc.value())
}

/// How many problems one part of a document may report before decoding gives up on it.
const REPAIR_BUDGET: usize = 64;

/// What [`decode_repairing`] found: the value (when it could be decoded, possibly
/// without the fields that were wrong), every problem, and the paths it removed.
#[derive(Debug)]
pub struct Repaired<T> {
    /// The decoded value; `None` when a required part was wrong or missing.
    pub value: Option<T>,
    /// Every problem found, in order.
    pub problems: Vec<Diagnostic>,
    /// Field paths (full, as in the problems) that were removed to go on decoding.
    /// Findings about these paths later on are consequences, not new problems.
    pub removed: Vec<String>,
}

/// Decodes like [`decode_at`], but reports every problem of the part instead of the
/// first: after each failure the offending field is removed and decoding starts again
/// (two unknown fields in one section are two errors). A bad list element removes the
/// whole list, so later indexes never shift. A problem that cannot be removed (a
/// required field) ends the part with `value: None`.
pub fn decode_repairing<T: DeserializeOwned>(doc: &Document, path: &str, value: &Value) -> Repaired<T> {
    let mut current = value.clone();
    let mut problems: Vec<Diagnostic> = Vec::new();
    let mut removed = Vec::new();
    for _ in 0..REPAIR_BUDGET {
        match decode_at::<T>(doc, path, &current) {
            Ok(v) => return Repaired { value: Some(v), problems, removed },
            Err(d) => {
                let full = d.path.clone();
                let is_missing = d.message.starts_with("missing required field");
                // A field we removed ourselves is now "missing": not a new problem.
                let consequence = is_missing && removed.iter().any(|r: &String| r.starts_with(&full));
                if !consequence && !problems.contains(&d) {
                    problems.push(d);
                }
                let target = removable(&full);
                let rel = relative(path, &target);
                if is_missing || rel.is_empty() || !remove_at(&mut current, rel) {
                    return Repaired { value: None, problems, removed };
                }
                removed.push(target);
            }
        }
    }
    Repaired { value: None, problems, removed }
}

/// The path to remove for a problem at `full`: the field itself, or for a list
/// element the list (so later indexes keep their meaning).
fn removable(full: &str) -> String {
    let mut p = full.to_string();
    while p.ends_with(']') {
        match p.rfind('[') {
            Some(i) => p.truncate(i),
            None => break,
        }
    }
    p
}

/// `full` relative to `base` (`nodes[1].disk.size` under `nodes[1]` is `disk.size`).
fn relative<'a>(base: &str, full: &'a str) -> &'a str {
    if base.is_empty() {
        return full;
    }
    match full.strip_prefix(base) {
        Some(rest) => rest.strip_prefix('.').unwrap_or(rest),
        None => "",
    }
}

/// Removes the field at a relative path (`disk.size`, `pools[0].addresses`).
fn remove_at(root: &mut Value, rel: &str) -> bool {
    let parent = crate::source::parent_path(rel);
    let key = rel[parent.len()..].trim_start_matches('.');
    if key.is_empty() || key.starts_with('[') {
        return false;
    }
    let mut cur = root;
    for part in parent.split('.').filter(|p| !p.is_empty()) {
        let (name, indexes) = match part.find('[') {
            Some(i) => (&part[..i], &part[i..]),
            None => (part, ""),
        };
        if !name.is_empty() {
            match cur.get_mut(name) {
                Some(next) => cur = next,
                None => return false,
            }
        }
        for idx in indexes.split('[').filter(|x| !x.is_empty()) {
            let Ok(i) = idx.trim_end_matches(']').parse::<usize>() else { return false };
            match cur.get_mut(i) {
                Some(next) => cur = next,
                None => return false,
            }
        }
    }
    cur.as_object_mut().is_some_and(|o| o.remove(key).is_some())
}

fn join_path(base: &str, inner: &str) -> String {
    if base.is_empty() {
        inner.to_string()
    } else if inner.starts_with('[') {
        format!("{base}{inner}")
    } else {
        format!("{base}.{inner}")
    }
}

/// Turns a serde message into (message, help, unknown field name).
fn explain(raw: &str) -> (String, Option<String>, Option<String>) {
    for (prefix, what) in [("unknown field `", "field"), ("unknown variant `", "value")] {
        if let Some(rest) = raw.strip_prefix(prefix) {
            let name = rest.split('`').next().unwrap_or_default().to_string();
            let expected = expected_names(rest);
            let mut help =
                did_you_mean(&name, expected.iter().map(String::as_str)).map(|s| format!("did you mean \"{s}\"?"));
            if help.is_none() && !expected.is_empty() {
                help = Some(format!("expected one of: {}", expected.join(", ")));
            }
            let field = (what == "field").then(|| name.clone());
            return (format!("unknown {what} \"{name}\""), help, field);
        }
    }
    if let Some(rest) = raw.strip_prefix("missing field `") {
        let name = rest.split('`').next().unwrap_or_default();
        return (format!("missing required field \"{name}\""), Some(format!("add \"{name}:\" here")), None);
    }
    if raw.starts_with("invalid type:") || raw.starts_with("invalid value:") {
        return (humanize_types(&raw.replace('`', "\"")), None, None);
    }
    (raw.to_string(), None, None)
}

/// Replaces serde's Rust-flavoured type names with words a YAML author uses.
fn humanize_types(msg: &str) -> String {
    let mut m = msg.to_string();
    for (from, to) in [
        ("expected u8", "expected a whole number 0-255"),
        ("expected u16", "expected a whole number 0-65535"),
        ("expected u32", "expected a whole number 0-4294967295"),
        ("expected u64", "expected a whole number"),
        ("expected i64", "expected a whole number"),
        ("expected a boolean", "expected true or false"),
        ("expected a map", "expected a mapping"),
        ("expected a sequence", "expected a list"),
        ("invalid type: sequence", "invalid type: a list"),
        ("invalid type: map", "invalid type: a mapping"),
    ] {
        m = m.replace(from, to);
    }
    m
}

/// The value at a field path such as `nodes[1].addresses.cluster`.
fn value_at<'a>(root: &'a Value, path: &str) -> Option<&'a Value> {
    let mut cur = root;
    for part in path.split('.').filter(|p| !p.is_empty()) {
        let (key, indexes) = match part.find('[') {
            Some(i) => (&part[..i], &part[i..]),
            None => (part, ""),
        };
        if !key.is_empty() {
            cur = cur.get(key)?;
        }
        for idx in indexes.split('[').filter(|x| !x.is_empty()) {
            cur = cur.get(idx.trim_end_matches(']').parse::<usize>().ok()?)?;
        }
    }
    Some(cur)
}

fn expected_names(rest: &str) -> Vec<String> {
    let Some(idx) = rest.find("expected") else { return Vec::new() };
    rest[idx..].split('`').skip(1).step_by(2).map(str::to_string).collect()
}

/// Checks `apiVersion` and `kind`; returns the kind if it is one of `allowed`.
/// `tool` names the reader in the message (`n3x-disko: expected kind …`).
pub fn expect_kind(doc: &Document, allowed: &[&str]) -> Result<String, Diagnostics> {
    let mut diags = Diagnostics::new();
    let want = allowed.join(" or ");
    let head = doc.head();
    let obj = match &*head {
        Value::Object(o) => o,
        other => {
            diags.push(
                Diagnostic::error("", format!("expected a mapping (a {want} document), got {}", type_name(other)))
                    .at(doc.locate("")),
            );
            return Err(diags);
        }
    };
    match obj.get("apiVersion") {
        Some(Value::String(v)) if v == API_VERSION => {}
        Some(v) => diags.push(
            Diagnostic::error("apiVersion", format!("unsupported apiVersion {v}"))
                .at(doc.locate("apiVersion"))
                .with_help(format!("this n3x reads apiVersion: {API_VERSION}")),
        ),
        None => diags.push(
            Diagnostic::error("apiVersion", "missing apiVersion")
                .at(doc.locate(""))
                .with_help(format!("add \"apiVersion: {API_VERSION}\" at the top")),
        ),
    }
    let kind = match obj.get("kind") {
        Some(Value::String(k)) if allowed.contains(&k.as_str()) => Some(k.clone()),
        Some(Value::String(k)) => {
            diags.push(
                Diagnostic::error("kind", format!("expected kind {want}, got {k}")).at(doc.locate("kind")).with_help(
                    match did_you_mean(k, allowed.iter().copied()) {
                        Some(s) if s != *k => format!("did you mean \"{s}\"?"),
                        _ => format!("this command reads {want} documents"),
                    },
                ),
            );
            None
        }
        Some(v) => {
            diags.push(Diagnostic::error("kind", format!("kind must be a string, got {v}")).at(doc.locate("kind")));
            None
        }
        None => {
            diags.push(
                Diagnostic::error("kind", format!("missing kind; expected kind {want}"))
                    .at(doc.locate(""))
                    .with_help(format!("add \"kind: {}\" at the top", allowed[0])),
            );
            None
        }
    };
    match kind {
        Some(k) if !diags.has_errors() => Ok(k),
        _ => Err(diags),
    }
}

/// A short name of a JSON value's type, for messages.
pub fn type_name(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "a list",
        Value::Object(_) => "a mapping",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, serde::Deserialize)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Disk {
        mountpoint: String,
        size: crate::units::ByteSize,
    }

    #[test]
    fn unknown_field_gets_suggestion_and_location() {
        let doc = Document::parse("f.yaml", "disk:\n  mountpoints: /\n  size: 1G\n").unwrap();
        let err = decode_at::<Disk>(&doc, "disk", &doc.value()["disk"]).unwrap_err();
        assert_eq!(err.path, "disk.mountpoints");
        assert_eq!(err.message, "unknown field \"mountpoints\"");
        assert_eq!(err.help.as_deref(), Some("did you mean \"mountpoint\"?"));
        assert_eq!(err.location.unwrap().line, 2);
    }

    #[test]
    fn bad_value_is_located() {
        let doc = Document::parse("f.yaml", "disk:\n  mountpoint: /\n  size: 12XB\n").unwrap();
        let err = decode_at::<Disk>(&doc, "disk", &doc.value()["disk"]).unwrap_err();
        assert_eq!(err.path, "disk.size");
        assert!(err.message.contains("unknown unit \"XB\""), "{}", err.message);
        assert_eq!(err.location.unwrap().line, 3);
    }

    /// Both readers of a whole document: from the text (the fast path) and from the value.
    fn both_readers<T: DeserializeOwned + PartialEq + std::fmt::Debug>(doc: &Document) -> bool {
        let fast_taken = doc.unread_json().is_some();
        let fast = decode_document::<T>(doc);
        assert_eq!(fast, decode_at::<T>(doc, "", doc.value()), "{}", doc.file);
        assert!(fast.is_ok(), "{}: {fast:?}", doc.file);
        fast_taken
    }

    /// Every Cluster, NetworkPlan, DiskPlan and Facts document the repository holds
    /// (goldens, recorded outputs) reads the same from its text as from its value.
    #[test]
    fn a_document_reads_the_same_from_its_text_as_from_its_value() {
        use std::path::Path;
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
        let mut stack = vec![root];
        let mut fast_taken = 0;
        while let Some(dir) = stack.pop() {
            for entry in std::fs::read_dir(&dir).unwrap() {
                let path = entry.unwrap().path();
                let name = path.file_name().unwrap().to_string_lossy().into_owned();
                if path.is_dir() {
                    if !name.starts_with('.') && name != "target" {
                        stack.push(path);
                    }
                    continue;
                }
                if !name.ends_with(".json") {
                    continue;
                }
                let text = std::fs::read_to_string(&path).unwrap();
                let Ok(doc) = Document::parse(&path.display().to_string(), &text) else { continue };
                let taken = match doc.head().get("kind").and_then(Value::as_str) {
                    Some("Cluster") => both_readers::<crate::Cluster>(&doc),
                    Some("NetworkPlan") => both_readers::<crate::networkplan::NetworkPlan>(&doc),
                    Some("DiskPlan") => both_readers::<crate::diskplan::DiskPlan>(&doc),
                    Some("Facts") => both_readers::<crate::Facts>(&doc),
                    _ => false,
                };
                fast_taken += usize::from(taken);
            }
        }
        assert!(fast_taken >= 10, "only {fast_taken} documents read from their text");
    }

    #[test]
    fn a_wrong_document_read_from_its_text_gets_the_located_error() {
        let doc = Document::parse("f.json", "{\n  \"mountpoint\": \"/\",\n  \"size\": \"12XB\"\n}\n").unwrap();
        assert!(doc.unread_json().is_some(), "the fast path took it");
        let err = decode_document::<Disk>(&doc).unwrap_err();
        assert_eq!(err.path, "size");
        assert!(err.message.contains("unknown unit \"XB\""), "{}", err.message);
        assert_eq!(err.location.unwrap().line, 3);
        // The kind is read without building the value; a top level that is no mapping
        // is the value itself.
        let doc = Document::parse("f.json", "{\"kind\": \"Cluster\", \"nodes\": [1, 2]}").unwrap();
        assert_eq!(*doc.head(), serde_json::json!({"kind": "Cluster"}));
        assert!(doc.unread_json().is_some());
        // The head stops reading once it has both keys, in either order.
        let doc =
            Document::parse("f.json", "{\"kind\": \"Cluster\", \"x\": {}, \"apiVersion\": \"v\", \"y\": [1]}").unwrap();
        assert_eq!(*doc.head(), serde_json::json!({"apiVersion": "v", "kind": "Cluster"}));
        let doc = Document::parse("f.json", "[1, 2]").unwrap();
        assert_eq!(*doc.head(), serde_json::json!([1, 2]));
    }

    #[test]
    fn wrong_kind_names_both() {
        let doc = Document::parse("f.yaml", "apiVersion: n3x.dev/v1alpha1\nkind: NetworkPlan\n").unwrap();
        let err = expect_kind(&doc, &["Cluster", "DiskPlan"]).unwrap_err();
        assert_eq!(err.0[0].message, "expected kind Cluster or DiskPlan, got NetworkPlan");
    }
}
