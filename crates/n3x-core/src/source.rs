//! Input documents with positions: YAML or JSON text → a JSON value plus a map from
//! field paths (`nodes[2].disk.size`) to file, line and column.
//!
//! JSON is read with the same YAML 1.2 parser (JSON is a subset of YAML 1.2), so both
//! formats get the same positions and the same error messages. This module does not
//! know any n3x document type; [`crate::decode`] turns values into types.

use std::collections::HashMap;

use serde_json::{Map, Number, Value};

use crate::diag::{Diagnostic, Diagnostics, Location};
use crate::yaml::{Event, Limits, TScalarStyle, Tag};

/// A parsed input: its JSON value and where each field came from.
#[derive(Debug, Clone)]
pub struct Document {
    /// The name shown in messages (a path, or `<stdin>`).
    pub file: String,
    /// The document as a JSON value (YAML scalars resolved by the YAML 1.2 core schema).
    pub value: Value,
    positions: HashMap<String, (usize, usize)>,
}

impl Document {
    /// Parses YAML or JSON text within the default [`Limits`]. Syntax errors, budget
    /// refusals, duplicate keys and multi-document streams are reported with their
    /// position.
    pub fn parse(file: &str, text: &str) -> Result<Document, Diagnostics> {
        Document::parse_with(file, text, Limits::DEFAULT)
    }

    /// [`Document::parse`] with explicit limits.
    pub fn parse_with(file: &str, text: &str, limits: Limits) -> Result<Document, Diagnostics> {
        // YAML allows a byte-order mark at the start; it is not part of the first key.
        let text = text.strip_prefix('\u{feff}').unwrap_or(text);
        let events = crate::yaml::events(text, limits).map_err(|e| {
            Diagnostics(vec![Diagnostic::error("", e.message)
                .at(Some(Location { file: file.to_string(), line: e.line, column: e.column }))
                .with_help(e.help)])
        })?;
        let mut builder = Builder::default();
        for (ev, line, column) in events {
            builder.on_event(ev, (line, column));
        }
        let mut diags = Diagnostics::new();
        for (path, (line, col), msg) in builder.problems {
            diags.push(Diagnostic::error(path, msg).at(Some(Location { file: file.to_string(), line, column: col })));
        }
        if builder.documents.len() > 1 {
            diags.push(
                Diagnostic::error("", format!("expected one document, found {}", builder.documents.len()))
                    .at(Some(Location { file: file.to_string(), line: 1, column: 1 }))
                    .with_help("split the stream into separate files"),
            );
        }
        if diags.has_errors() {
            return Err(diags);
        }
        let value = builder.documents.into_iter().next().unwrap_or(Value::Null);
        // An empty document (only comments, say) still has a place for file-level errors.
        let mut positions = builder.positions;
        positions.entry(String::new()).or_insert((1, 1));
        Ok(Document { file: file.to_string(), value, positions })
    }

    /// Wraps a value that has no positions (built in code, or read from CSV).
    pub fn from_value(file: &str, value: Value) -> Document {
        Document { file: file.to_string(), value, positions: HashMap::new() }
    }

    /// Records a position for a path (used by readers of non-YAML formats, e.g. CSV).
    pub fn set_position(&mut self, path: &str, line: usize, column: usize) {
        self.positions.insert(path.to_string(), (line, column));
    }

    /// The position of a field path, or of its nearest ancestor that has one.
    pub fn locate(&self, path: &str) -> Option<Location> {
        let mut p = path;
        loop {
            if let Some(&(line, column)) = self.positions.get(p) {
                return Some(Location { file: self.file.clone(), line, column });
            }
            if p.is_empty() {
                return None;
            }
            p = parent_path(p);
        }
    }
}

/// The path one level up: `a.b[2]` → `a.b`, `a.b` → `a`, `a` → ``.
pub fn parent_path(p: &str) -> &str {
    match p.rfind(['.', '[']) {
        Some(i) => &p[..i],
        None => "",
    }
}

/// Appends a map key to a path.
pub fn join_key(path: &str, key: &str) -> String {
    if path.is_empty() {
        key.to_string()
    } else {
        format!("{path}.{key}")
    }
}

/// Appends a list index to a path.
pub fn join_index(path: &str, i: usize) -> String {
    format!("{path}[{i}]")
}

enum Frame {
    Seq { path: String, items: Vec<Value>, anchor: usize },
    Map { path: String, map: Map<String, Value>, pending_key: Option<String>, anchor: usize },
}

#[derive(Default)]
struct Builder {
    stack: Vec<Frame>,
    documents: Vec<Value>,
    anchors: HashMap<usize, Value>,
    positions: HashMap<String, (usize, usize)>,
    problems: Vec<(String, (usize, usize), String)>,
}

impl Builder {
    /// The path of the next value and whether the next scalar is a mapping key.
    fn next_slot(&self) -> (String, bool) {
        match self.stack.last() {
            None => (String::new(), false),
            Some(Frame::Seq { path, items, .. }) => (join_index(path, items.len()), false),
            Some(Frame::Map { path, pending_key: None, .. }) => (path.clone(), true),
            Some(Frame::Map { path, pending_key: Some(k), .. }) => (join_key(path, k), false),
        }
    }

    fn push_value(&mut self, v: Value, anchor: usize) {
        if anchor > 0 {
            self.anchors.insert(anchor, v.clone());
        }
        match self.stack.last_mut() {
            None => self.documents.push(v),
            Some(Frame::Seq { items, .. }) => items.push(v),
            Some(Frame::Map { map, pending_key, .. }) => {
                if let Some(k) = pending_key.take() {
                    map.insert(k, v);
                }
            }
        }
    }
}

impl Builder {
    fn on_event(&mut self, ev: Event, pos: (usize, usize)) {
        match ev {
            Event::Scalar(text, style, anchor, tag) => {
                let (path, is_key) = self.next_slot();
                if text.contains('\0') {
                    // A `\0` or `\u0000` escape: no file n3x writes (a Nix string, a
                    // networkd unit) can hold the character, so it is refused here.
                    self.problems.push((
                        path.clone(),
                        pos,
                        "a NUL character (\\0) in a value: no output format can hold it".into(),
                    ));
                }
                if is_key {
                    let key_path = join_key(&path, &text);
                    if let Some(Frame::Map { map, pending_key, .. }) = self.stack.last_mut() {
                        if map.contains_key(&text) {
                            self.problems.push((key_path.clone(), pos, format!("duplicate key \"{text}\"")));
                        }
                        *pending_key = Some(text);
                    }
                    self.positions.entry(key_path).or_insert(pos);
                } else {
                    self.positions.entry(path).or_insert(pos);
                    let v = resolve_scalar(&text, style, tag.as_ref());
                    self.push_value(v, anchor);
                }
            }
            Event::SequenceStart(anchor, _) => {
                let (path, is_key) = self.next_slot();
                if is_key {
                    self.problems.push((path.clone(), pos, "a mapping key must be a plain value".into()));
                }
                self.positions.entry(path.clone()).or_insert(pos);
                self.stack.push(Frame::Seq { path, items: Vec::new(), anchor });
            }
            Event::MappingStart(anchor, _) => {
                let (path, is_key) = self.next_slot();
                if is_key {
                    self.problems.push((path.clone(), pos, "a mapping key must be a plain value".into()));
                }
                self.positions.entry(path.clone()).or_insert(pos);
                self.stack.push(Frame::Map { path, map: Map::new(), pending_key: None, anchor });
            }
            Event::SequenceEnd | Event::MappingEnd => {
                if let Some(frame) = self.stack.pop() {
                    let (v, anchor) = match frame {
                        Frame::Seq { items, anchor, .. } => (Value::Array(items), anchor),
                        Frame::Map { map, anchor, .. } => (Value::Object(map), anchor),
                    };
                    self.push_value(v, anchor);
                }
            }
            Event::Alias(id) => {
                let (path, is_key) = self.next_slot();
                let v = self.anchors.get(&id).cloned().unwrap_or(Value::Null);
                if is_key {
                    self.problems.push((path, pos, "an alias cannot be a mapping key".into()));
                    return;
                }
                self.positions.entry(path).or_insert(pos);
                self.push_value(v, 0);
            }
            Event::Nothing | Event::StreamStart | Event::StreamEnd | Event::DocumentStart | Event::DocumentEnd => {}
        }
    }
}

/// Resolves a scalar by the YAML 1.2 core schema: quoted scalars are strings; plain
/// ones may be null, booleans, integers or floats.
fn resolve_scalar(text: &str, style: TScalarStyle, tag: Option<&Tag>) -> Value {
    if let Some(tag) = tag {
        if tag.suffix == "str" || tag.suffix == "tag:yaml.org,2002:str" {
            return Value::String(text.to_string());
        }
    }
    if style != TScalarStyle::Plain {
        return Value::String(text.to_string());
    }
    match text {
        "" | "~" | "null" | "Null" | "NULL" => return Value::Null,
        "true" | "True" | "TRUE" => return Value::Bool(true),
        "false" | "False" | "FALSE" => return Value::Bool(false),
        _ => {}
    }
    if let Some(n) = parse_int(text) {
        return Value::Number(n);
    }
    if looks_like_float(text) {
        if let Ok(f) = text.parse::<f64>() {
            if let Some(n) = Number::from_f64(f) {
                return Value::Number(n);
            }
        }
    }
    Value::String(text.to_string())
}

fn parse_int(text: &str) -> Option<Number> {
    let (neg, digits) = match text.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, text.strip_prefix('+').unwrap_or(text)),
    };
    let parsed = if let Some(hex) = digits.strip_prefix("0x") {
        u64::from_str_radix(hex, 16).ok()
    } else if let Some(oct) = digits.strip_prefix("0o") {
        u64::from_str_radix(oct, 8).ok()
    } else if !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit()) {
        digits.parse::<u64>().ok()
    } else {
        None
    }?;
    if neg {
        i64::try_from(parsed).ok().map(|v| Number::from(-v))
    } else {
        Some(Number::from(parsed))
    }
}

fn looks_like_float(text: &str) -> bool {
    let t = text.trim_start_matches(['-', '+']);
    !t.is_empty()
        && t.bytes().all(|b| b.is_ascii_digit() || matches!(b, b'.' | b'e' | b'E' | b'-' | b'+'))
        && t.bytes().any(|b| b.is_ascii_digit())
        && (t.contains('.') || t.contains(['e', 'E']))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn positions_and_types() {
        let doc = Document::parse("x.yaml", "a:\n  b: [1, \"2\", x]\n  c: 512GB\n  d: 1.5\n  e: ~\n").unwrap();
        assert_eq!(doc.value["a"]["b"], serde_json::json!([1, "2", "x"]));
        assert_eq!(doc.value["a"]["c"], "512GB");
        assert_eq!(doc.value["a"]["d"], 1.5);
        assert!(doc.value["a"]["e"].is_null());
        let loc = doc.locate("a.c").unwrap();
        assert_eq!((loc.line, loc.column), (3, 3));
        let loc = doc.locate("a.b[2]").unwrap();
        assert_eq!((loc.line, loc.column), (2, 15));
        // Unknown paths fall back to the nearest ancestor.
        assert_eq!(doc.locate("a.c.zzz").unwrap().line, 3);
    }

    #[test]
    fn duplicate_keys_and_syntax_errors_are_located() {
        let err = Document::parse("x.yaml", "a: 1\nb: 2\na: 3\n").unwrap_err();
        assert!(err.0[0].message.contains("duplicate key \"a\""));
        assert_eq!(err.0[0].location.as_ref().unwrap().line, 3);
        let err = Document::parse("x.yaml", "a: [1, 2\n").unwrap_err();
        assert!(err.0[0].message.starts_with("syntax error"));
    }

    #[test]
    fn nul_bytes_are_refused_and_a_bom_is_skipped() {
        // The YAML reader stops at a NUL: the duplicate key after it went unseen.
        let err = Document::parse("x.yaml", "a: 1\nb: 2\0\na: 3\n").unwrap_err();
        assert!(err.0[0].message.contains("NUL byte"), "{err:?}");
        let loc = err.0[0].location.as_ref().unwrap();
        assert_eq!((loc.line, loc.column), (2, 5));
        let err = Document::parse("x.json", "{\"a\": \"x\\u0000y\"}").unwrap_err();
        assert!(err.0[0].message.contains("NUL character"), "{err:?}");
        assert_eq!(err.0[0].path, "a");
        let err = Document::parse("x.yaml", "a: \"x\\0\"\n").unwrap_err();
        assert!(err.0[0].message.contains("NUL character"), "{err:?}");
        let doc = Document::parse("x.yaml", "\u{feff}apiVersion: 1\n").unwrap();
        assert_eq!(doc.value, serde_json::json!({"apiVersion": 1}));
        assert_eq!(doc.locate("apiVersion").unwrap().column, 1);
    }

    #[test]
    fn json_is_yaml() {
        let doc = Document::parse("x.json", "{\"a\": {\"b\": [true, null, -3]}}").unwrap();
        assert_eq!(doc.value, serde_json::json!({"a": {"b": [true, null, -3]}}));
    }
}
