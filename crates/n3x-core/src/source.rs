//! Input documents with positions: YAML or JSON text → a JSON value plus a map from
//! field paths (`nodes[2].disk.size`) to file, line and column.
//!
//! JSON is read with the same YAML 1.2 parser (JSON is a subset of YAML 1.2), so both
//! formats get the same positions and the same error messages. This module does not
//! know any n3x document type; [`crate::decode`] turns values into types.
//!
//! Speed: the tools of a fleet render each read `cluster.json` (1.6 MB at 1,000 nodes),
//! and the positioned YAML reader took ~0.1 s per MB of it. JSON text that a strict JSON
//! reader accepts, with nothing the YAML reader would read differently (see
//! [`strict_json`]), takes the fast path: it is only checked when parsed, and its JSON
//! value ([`Document::value`]) and positions ([`Document::locate`]) are built when
//! something asks for them. A tool that decodes the whole document into its type
//! ([`crate::decode::decode_document`]) reads the text straight into that type and never
//! builds the value tree, which took most of a small tool's run at fleet scale. Anything
//! else takes the YAML path, which also gives every error its position.

use std::borrow::Cow;
use std::collections::HashMap;
use std::sync::OnceLock;

use serde_json::{Map, Number, Value};

use crate::diag::{Diagnostic, Diagnostics, Location};
use crate::yaml::{Event, Limits, TScalarStyle, Tag};

/// Field path → (line, column), 1-based.
type Positions = HashMap<String, (usize, usize)>;

/// A parsed input: its JSON value and where each field came from.
#[derive(Debug, Clone)]
pub struct Document {
    /// The name shown in messages (a path, or `<stdin>`).
    pub file: String,
    /// The document as a JSON value (YAML scalars resolved by the YAML 1.2 core schema);
    /// built from `text` on first use when the document took the fast JSON path.
    value: OnceLock<Value>,
    /// Field path → (line, column); computed from `text` on first use when the
    /// document took the fast JSON path.
    positions: OnceLock<Positions>,
    /// The text of a fast-path document, kept for its value and positions.
    text: Option<Box<str>>,
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
        if strict_json(text, limits) {
            return Ok(Document {
                file: file.to_string(),
                value: OnceLock::new(),
                positions: OnceLock::new(),
                text: Some(text.into()),
            });
        }
        let (value, positions) = parse_yaml(file, text, limits)?;
        Ok(Document {
            file: file.to_string(),
            value: OnceLock::from(value),
            positions: OnceLock::from(positions),
            text: None,
        })
    }

    /// Wraps a value that has no positions (built in code, or read from CSV).
    pub fn from_value(file: &str, value: Value) -> Document {
        Document {
            file: file.to_string(),
            value: OnceLock::from(value),
            positions: OnceLock::from(HashMap::new()),
            text: None,
        }
    }

    /// The document as a JSON value, built on first use for a fast-path document.
    pub fn value(&self) -> &Value {
        self.value.get_or_init(|| match &self.text {
            // `strict_json` accepted the text, so serde_json reads it, and the YAML reader
            // would read the same value; the YAML reader is the fallback all the same.
            Some(text) => serde_json::from_str(text)
                .ok()
                .or_else(|| parse_yaml(&self.file, text, Limits::DEFAULT).ok().map(|(v, _)| v))
                .unwrap_or(Value::Null),
            None => Value::Null,
        })
    }

    /// The text of a fast-path document whose value has not been built: the whole
    /// document is strict JSON that reads the same as YAML (see [`strict_json`]), so a
    /// typed reader may read it directly.
    pub fn unread_json(&self) -> Option<&str> {
        match self.value.get() {
            None => self.text.as_deref(),
            Some(_) => None,
        }
    }

    /// The top level's `apiVersion` and `kind` (and nothing else) as a mapping, or the
    /// whole value when the top level is not a mapping. Reading the kind of a fast-path
    /// document skips over the rest of its text instead of building its value.
    pub fn head(&self) -> Cow<'_, Value> {
        if let Some(text) = self.unread_json() {
            let mut top = Map::new();
            let read = serde::de::DeserializeSeed::deserialize(
                Head { top: &mut top },
                &mut serde_json::Deserializer::from_str(text),
            );
            match read {
                Ok(()) => return Cow::Owned(Value::Object(top)),
                Err(e) if e.to_string().starts_with(HEAD_COMPLETE) => return Cow::Owned(Value::Object(top)),
                // Not a mapping: the whole value, as for any other document.
                Err(_) => {}
            }
        }
        Cow::Borrowed(self.value())
    }

    /// Records a position for a path (used by readers of non-YAML formats, e.g. CSV).
    pub fn set_position(&mut self, path: &str, line: usize, column: usize) {
        self.positions();
        if let Some(p) = self.positions.get_mut() {
            p.insert(path.to_string(), (line, column));
        }
    }

    /// The position map, computed on first use for a fast-path document.
    fn positions(&self) -> &Positions {
        self.positions.get_or_init(|| match &self.text {
            // The text was accepted by the fast path, so the YAML reader accepts it too
            // (`fast_json`); should it not, messages carry no position rather than fail.
            Some(text) => parse_yaml(&self.file, text, Limits::DEFAULT).map(|(_, p)| p).unwrap_or_default(),
            None => HashMap::new(),
        })
    }

    /// The position of a field path, or of its nearest ancestor that has one.
    pub fn locate(&self, path: &str) -> Option<Location> {
        let positions = self.positions();
        let mut p = path;
        loop {
            if let Some(&(line, column)) = positions.get(p) {
                return Some(Location { file: self.file.clone(), line, column });
            }
            if p.is_empty() {
                return None;
            }
            p = parent_path(p);
        }
    }
}

/// The positioned YAML reader: the value and the position of every field path.
fn parse_yaml(file: &str, text: &str, limits: Limits) -> Result<(Value, Positions), Diagnostics> {
    {
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
        Ok((value, positions))
    }
}

/// Whether `serde_json` reads `text` as exactly the value the YAML reader would give,
/// and the YAML reader would accept it; `false` sends the text down the YAML path (which
/// then also reports any error with its position). Refused here: anything that is not one
/// strict JSON document; duplicate keys and NUL characters (errors on the YAML path);
/// floats, `i64::MIN` and `\uD800`-style surrogate escapes (the YAML reader's core schema
/// or escapes may read them differently); nesting deeper or more values than `limits`
/// allow. The check builds nothing: keys are compared within their mapping only.
fn strict_json(text: &str, limits: Limits) -> bool {
    let start = text.trim_start_matches([' ', '\t', '\n', '\r']);
    if !start.starts_with(['{', '[']) || text.contains("\\ud") || text.contains("\\uD") {
        return false;
    }
    let mut de = serde_json::Deserializer::from_str(text);
    let mut count = 0u64;
    serde::de::DeserializeSeed::deserialize(Strict { depth: 0, count: &mut count, limits }, &mut de).is_ok()
        && de.end().is_ok()
}

/// The fast path's value of `text`, or `None` when [`strict_json`] refuses it.
#[cfg(test)]
fn fast_json(text: &str, limits: Limits) -> Option<Value> {
    if strict_json(text, limits) {
        serde_json::from_str(text).ok()
    } else {
        None
    }
}

/// A check of one JSON value under the rules of [`strict_json`].
struct Strict<'a> {
    depth: usize,
    count: &'a mut u64,
    limits: Limits,
}

impl Strict<'_> {
    fn counted<E: serde::de::Error>(&mut self) -> Result<(), E> {
        *self.count += 1;
        if *self.count > self.limits.max_values {
            return Err(E::custom("over the value budget"));
        }
        Ok(())
    }
    /// Counts a collection and returns the depth of its items, within the depth limit.
    fn enter<E: serde::de::Error>(&mut self) -> Result<usize, E> {
        self.counted()?;
        let depth = self.depth + 1;
        if depth > self.limits.max_depth {
            return Err(E::custom("too deep"));
        }
        Ok(depth)
    }
    fn string<E: serde::de::Error>(mut self, v: &str) -> Result<(), E> {
        self.counted()?;
        if v.contains('\0') {
            return Err(E::custom("NUL"));
        }
        Ok(())
    }
}

impl<'de> serde::de::DeserializeSeed<'de> for Strict<'_> {
    type Value = ();
    fn deserialize<D: serde::Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> serde::de::Visitor<'de> for Strict<'_> {
    type Value = ();

    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("a JSON value")
    }
    fn visit_unit<E: serde::de::Error>(mut self) -> Result<(), E> {
        self.counted()
    }
    fn visit_bool<E: serde::de::Error>(mut self, _: bool) -> Result<(), E> {
        self.counted()
    }
    fn visit_u64<E: serde::de::Error>(mut self, _: u64) -> Result<(), E> {
        self.counted()
    }
    fn visit_i64<E: serde::de::Error>(mut self, v: i64) -> Result<(), E> {
        self.counted()?;
        // The YAML reader reads the magnitude as u64 and negates within i64, which
        // leaves i64::MIN a string.
        if v == i64::MIN {
            return Err(E::custom("i64::MIN"));
        }
        Ok(())
    }
    fn visit_f64<E: serde::de::Error>(self, _: f64) -> Result<(), E> {
        // Float spellings (`1E5`, `-0`, integers beyond u64) are the YAML path's to read.
        Err(E::custom("float"))
    }
    fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<(), E> {
        self.string(v)
    }
    fn visit_seq<A: serde::de::SeqAccess<'de>>(mut self, mut seq: A) -> Result<(), A::Error> {
        let depth = self.enter()?;
        while seq.next_element_seed(Strict { depth, count: &mut *self.count, limits: self.limits })?.is_some() {}
        Ok(())
    }
    fn visit_map<A: serde::de::MapAccess<'de>>(mut self, mut map: A) -> Result<(), A::Error> {
        let depth = self.enter()?;
        let mut keys = SeenKeys::default();
        while let Some(Key(k)) = map.next_key::<Key<'de>>()? {
            if k.contains('\0') || !keys.insert(k) {
                return Err(serde::de::Error::custom("NUL or duplicate key"));
            }
            // The YAML reader counts a key as a value too.
            *self.count += 1;
            map.next_value_seed(Strict { depth, count: &mut *self.count, limits: self.limits })?;
        }
        Ok(())
    }
}

/// The keys of one mapping seen so far. Most mappings have a handful of keys, and a
/// linear search over them beats hashing each; a long mapping switches to a set, so a
/// hostile one with 100,000 keys stays linear in time.
#[derive(Default)]
struct SeenKeys<'de> {
    few: Vec<Cow<'de, str>>,
    many: Option<std::collections::HashSet<Cow<'de, str>>>,
}

impl<'de> SeenKeys<'de> {
    /// How many keys the linear search holds before the set takes over.
    const FEW: usize = 16;

    /// Records `k`; `false` when it was seen before.
    fn insert(&mut self, k: Cow<'de, str>) -> bool {
        if let Some(set) = &mut self.many {
            return set.insert(k);
        }
        if self.few.contains(&k) {
            return false;
        }
        self.few.push(k);
        if self.few.len() > Self::FEW {
            self.many = Some(self.few.drain(..).collect());
        }
        true
    }
}

/// Reads the `apiVersion` and `kind` of a top-level mapping into `top` and stops as soon
/// as it has both (they usually open the document): the text was checked whole when it
/// was parsed, so the rest need not be read again.
struct Head<'m> {
    top: &'m mut Map<String, Value>,
}

/// The error [`Head`] stops with once it has both keys.
const HEAD_COMPLETE: &str = "n3x: head complete";

impl<'de> serde::de::DeserializeSeed<'de> for Head<'_> {
    type Value = ();
    fn deserialize<D: serde::Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_map(self)
    }
}

impl<'de> serde::de::Visitor<'de> for Head<'_> {
    type Value = ();
    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("a mapping")
    }
    fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        while let Some(Key(k)) = map.next_key::<Key<'de>>()? {
            if k == "apiVersion" || k == "kind" {
                self.top.insert(k.into_owned(), map.next_value()?);
                if self.top.len() == 2 {
                    return Err(serde::de::Error::custom(HEAD_COMPLETE));
                }
            } else {
                map.next_value::<serde::de::IgnoredAny>()?;
            }
        }
        Ok(())
    }
}

/// A mapping key, borrowed from the text when it has no escapes (serde's `Cow<str>`
/// always copies).
struct Key<'de>(Cow<'de, str>);

impl<'de> serde::Deserialize<'de> for Key<'de> {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct KeyVisitor;
        impl<'de> serde::de::Visitor<'de> for KeyVisitor {
            type Value = Key<'de>;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a string key")
            }
            fn visit_borrowed_str<E: serde::de::Error>(self, v: &'de str) -> Result<Key<'de>, E> {
                Ok(Key(Cow::Borrowed(v)))
            }
            fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<Key<'de>, E> {
                Ok(Key(Cow::Owned(v.to_string())))
            }
        }
        d.deserialize_str(KeyVisitor)
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
    use std::path::Path;

    #[test]
    fn positions_and_types() {
        let doc = Document::parse("x.yaml", "a:\n  b: [1, \"2\", x]\n  c: 512GB\n  d: 1.5\n  e: ~\n").unwrap();
        assert_eq!(doc.value()["a"]["b"], serde_json::json!([1, "2", "x"]));
        assert_eq!(doc.value()["a"]["c"], "512GB");
        assert_eq!(doc.value()["a"]["d"], 1.5);
        assert!(doc.value()["a"]["e"].is_null());
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
        assert_eq!(doc.value(), &serde_json::json!({"apiVersion": 1}));
        assert_eq!(doc.locate("apiVersion").unwrap().column, 1);
    }

    /// Both readers of one text: the fast path's value (if it takes the text) and the
    /// YAML path's result.
    fn both(text: &str) -> (Option<Value>, Result<(Value, Positions), Diagnostics>) {
        (fast_json(text, Limits::DEFAULT), parse_yaml("x.json", text, Limits::DEFAULT))
    }

    #[test]
    fn the_fast_json_path_reads_what_the_yaml_path_reads() {
        let taken = [
            r#"{"a": 1, "b": [true, null, -3, "x\ty", "\"q\"\\/"], "c": {"d": "é\u00e9", "e": {}}, "f": []}"#,
            "[1, 18446744073709551615, -9223372036854775807, \"0x10\", \"1.5\", \"~\"]",
            "\n  {\"apiVersion\": \"n3x.dev/v1alpha1\",\n   \"nodes\": [{\"name\": \"a\", \"size\": 512000000000}]}\n",
        ];
        for text in taken {
            let (fast, slow) = both(text);
            let fast = fast.unwrap_or_else(|| panic!("fast path refused {text}"));
            let (value, positions) = slow.unwrap();
            assert_eq!(fast, value, "{text}");
            // Positions computed on demand equal the YAML reader's.
            let doc = Document::parse("x.json", text).unwrap();
            assert!(doc.text.is_some());
            assert_eq!(doc.positions(), &positions, "{text}");
        }
        // Texts the YAML path must read (it reads them differently, or refuses them).
        let refused = [
            "{\"a\": 1, \"a\": 2}",
            "{\"a\": \"x\\u0000y\"}",
            "{\"a\\u0000\": 1}",
            "[1.5]",
            "[-0]",
            "[1e3]",
            "[18446744073709551616]",
            "[-9223372036854775808]",
            "[\"\\ud83d\\ude00\"]",
            "{a: 1}",
            "{\"a\": 1}\n---\n{\"b\": 2}\n",
            "{\"a\": [1, 2}",
            "a: 1\n",
            "\"just a string\"",
        ];
        for text in refused {
            assert_eq!(fast_json(text, Limits::DEFAULT), None, "fast path took {text}");
        }
        // A duplicate key past the linear search's length, and one within it.
        let many: Vec<String> = (0..40).map(|i| format!("\"k{i}\": {i}")).collect();
        assert!(fast_json(&format!("{{{}}}", many.join(", ")), Limits::DEFAULT).is_some());
        for dup in [3, 30] {
            let text = format!("{{{}, \"k{dup}\": 0}}", many.join(", "));
            assert_eq!(fast_json(&text, Limits::DEFAULT), None, "duplicate k{dup} taken");
            assert!(Document::parse("x.json", &text).is_err(), "duplicate k{dup} accepted");
        }
        let deep = format!("{}{}", "[".repeat(65), "]".repeat(65));
        assert_eq!(fast_json(&deep, Limits::DEFAULT), None);
        assert!(Document::parse("x.json", &deep).is_err(), "too deep for the YAML path");
        let ok_deep = format!("{}{}", "[".repeat(64), "]".repeat(64));
        assert!(fast_json(&ok_deep, Limits::DEFAULT).is_some());
        let budget = Limits { max_depth: 64, max_values: 4 };
        assert_eq!(fast_json("{\"a\": 1, \"b\": 2}", budget), None, "keys count as values");
        assert!(parse_yaml("x", "{\"a\": 1, \"b\": 2}", budget).is_err());
        // A refused text is still read (or rejected) exactly as before.
        let err = Document::parse("x.json", "{\"a\": 1, \"a\": 2}").unwrap_err();
        assert!(err.0[0].message.contains("duplicate key"));
        assert_eq!(Document::parse("x.json", "[1.5]").unwrap().value(), &serde_json::json!([1.5]));
    }

    /// Every JSON file the repository holds (schemas, CRD schemas, recorded outputs): the
    /// fast path, where it takes a file, gives the YAML path's value.
    #[test]
    fn the_fast_json_path_agrees_on_every_json_file_of_the_repository() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
        let mut stack = vec![root.clone()];
        let (mut checked, mut fast_taken) = (0, 0);
        while let Some(dir) = stack.pop() {
            for entry in std::fs::read_dir(&dir).unwrap() {
                let path = entry.unwrap().path();
                let name = path.file_name().unwrap().to_string_lossy().into_owned();
                if path.is_dir() {
                    if !name.starts_with('.') && name != "target" {
                        stack.push(path);
                    }
                } else if name.ends_with(".json") {
                    let text = std::fs::read_to_string(&path).unwrap();
                    let (fast, slow) = both(&text);
                    if let Some(fast) = fast {
                        assert_eq!(fast, slow.unwrap().0, "{}", path.display());
                        fast_taken += 1;
                    }
                    checked += 1;
                }
            }
        }
        assert!(checked >= 40, "only {checked} JSON files found under {}", root.display());
        assert!(fast_taken >= checked / 2, "the fast path took only {fast_taken} of {checked}");
    }

    #[test]
    fn json_is_yaml() {
        let doc = Document::parse("x.json", "{\"a\": {\"b\": [true, null, -3]}}").unwrap();
        assert_eq!(doc.value(), &serde_json::json!({"a": {"b": [true, null, -3]}}));
    }
}
