//! The dotenv form of sops files (`.env`): `KEY=value` lines and `#` comments, every
//! value a string, `\n` in a value standing for a line break, and the metadata
//! flattened into sorted `sops_…` keys (`sops_age__list_0__map_enc=…`), as sops 3.11's
//! dotenv store reads and writes them. Pure text in, text out.

use crate::tree::{MapItem, Node, ParseError, Scalar};

/// Parses dotenv text: one map; empty lines skipped.
pub fn parse(text: &str) -> Result<Node, ParseError> {
    let mut items = Vec::new();
    for (i, line) in text.split('\n').enumerate() {
        if line.is_empty() {
            continue;
        }
        if let Some(c) = line.strip_prefix('#') {
            items.push(MapItem::Comment(c.to_string()));
            continue;
        }
        let Some((k, v)) = line.split_once('=') else {
            return Err(ParseError {
                line: i + 1,
                col: 1,
                msg: "invalid dotenv line: expected KEY=value or a # comment".into(),
            });
        };
        items.push(MapItem::Pair(k.to_string(), Node::str(v.replace("\\n", "\n"))));
    }
    if items.is_empty() {
        return Err(ParseError {
            line: 0,
            col: 0,
            msg: "the file is empty (sops: \"File cannot be completely empty\")".into(),
        });
    }
    Ok(Node::Map(items))
}

fn scalar_text(s: &Scalar) -> String {
    match s {
        Scalar::Null => String::new(),
        Scalar::Bool(b) => b.to_string(),
        Scalar::Int(i) => i.to_string(),
        Scalar::Float(f) => crate::gofmt::format_g(*f),
        Scalar::Str(s) => s.clone(),
        Scalar::Time(t) => t.rfc3339_nano(),
    }
}

/// Writes a map as dotenv text. Lists and nested maps cannot be written (as in sops).
pub fn emit(doc: &Node) -> Result<String, String> {
    let Node::Map(items) = doc else { return Err("a dotenv file holds a flat map".into()) };
    let mut out = String::new();
    for item in items {
        match item {
            MapItem::Comment(c) => {
                out.push('#');
                out.push_str(c);
                out.push('\n');
            }
            MapItem::Pair(k, Node::Scalar(s)) => {
                out.push_str(k);
                out.push('=');
                out.push_str(&scalar_text(s).replace('\n', "\\n"));
                out.push('\n');
            }
            MapItem::Pair(k, _) => return Err(format!("{k}: cannot use a list or map value in a dotenv file")),
        }
    }
    Ok(out)
}

fn flatten(prefix: &str, n: &Node, out: &mut Vec<(String, String)>) {
    match n {
        Node::Map(items) => {
            for i in items {
                if let MapItem::Pair(k, v) = i {
                    let key = if prefix.is_empty() { k.clone() } else { format!("{prefix}__map_{k}") };
                    flatten(&key, v, out);
                }
            }
        }
        Node::Seq(items) => {
            for (i, v) in items.iter().enumerate() {
                flatten(&format!("{prefix}__list_{i}"), v, out);
            }
        }
        Node::Scalar(s) => out.push((prefix.to_string(), scalar_text(s))),
        Node::Comment(_) => {}
    }
}

/// The metadata map flattened into sorted `sops_…` pairs.
pub fn flatten_meta(meta: &Node) -> Vec<(String, String)> {
    let mut out = Vec::new();
    flatten("", meta, &mut out);
    let mut out: Vec<(String, String)> = out.into_iter().map(|(k, v)| (format!("sops_{k}"), v)).collect();
    out.sort();
    out
}

fn insert(node: &mut Node, segments: &[&str], value: Node) -> Result<(), String> {
    let Some((first, rest)) = segments.split_first() else { return Ok(()) };
    let (is_list, name) = if let Some(i) = first.strip_prefix("list_") {
        (true, i)
    } else if let Some(k) = first.strip_prefix("map_") {
        (false, k)
    } else {
        (false, *first)
    };
    if is_list {
        let idx: usize = name.parse().map_err(|_| format!("bad list index {name:?}"))?;
        if !matches!(node, Node::Seq(_)) {
            *node = Node::Seq(Vec::new());
        }
        let Node::Seq(items) = node else { return Err("not a list".into()) };
        while items.len() <= idx {
            items.push(Node::Map(Vec::new()));
        }
        let slot = items.get_mut(idx).ok_or("bad index")?;
        if rest.is_empty() {
            *slot = value;
            return Ok(());
        }
        return insert(slot, rest, value);
    }
    if !matches!(node, Node::Map(_)) {
        *node = Node::Map(Vec::new());
    }
    let Node::Map(items) = node else { return Err("not a map".into()) };
    let pos = items.iter().position(|i| matches!(i, MapItem::Pair(k, _) if k == name));
    let pos = match pos {
        Some(p) => p,
        None => {
            let init = if rest.first().is_some_and(|s| s.starts_with("list_")) {
                Node::Seq(Vec::new())
            } else {
                Node::Map(Vec::new())
            };
            items.push(MapItem::Pair(name.to_string(), init));
            items.len() - 1
        }
    };
    let Some(MapItem::Pair(_, slot)) = items.get_mut(pos) else { return Err("bad key".into()) };
    if rest.is_empty() {
        *slot = value;
        return Ok(());
    }
    insert(slot, rest, value)
}

/// Splits a parsed dotenv map into data and the metadata node rebuilt from `sops_…`
/// keys (`None` when there are none).
pub fn split_meta(doc: Node) -> Result<(Node, Option<Node>), String> {
    let Node::Map(items) = doc else { return Ok((doc, None)) };
    let mut data = Vec::new();
    let mut meta = Node::Map(Vec::new());
    let mut found = false;
    for item in items {
        match item {
            MapItem::Pair(k, v) if k.starts_with("sops_") => {
                found = true;
                let key = k.trim_start_matches("sops_");
                let text = v.as_str().unwrap_or_default().to_string();
                let value = match key {
                    "mac_only_encrypted" => Node::Scalar(Scalar::Bool(text == "true")),
                    "shamir_threshold" => Node::Scalar(Scalar::Int(
                        text.parse().map_err(|_| format!("sops_shamir_threshold {text:?} is not a number"))?,
                    )),
                    _ => Node::str(text),
                };
                let segments: Vec<&str> = key.split("__").collect();
                insert(&mut meta, &segments, value)?;
            }
            other => data.push(other),
        }
    }
    Ok((Node::Map(data), found.then_some(meta)))
}
