//! The NixOS option checker's release and type rules: which options exist in the
//! release a flake pins (the manifest's `addedIn`/`removedIn`), and whether a value has
//! the shape its declared type allows.
//!
//! Adds to [`crate::check_option_paths`] without changing it: the walk is the same, the
//! release filter runs over the entries it reports, and the type check walks the
//! evaluated config again with the same path matching. Never used by shipped code.

use crate::{matches, nixos_options, split_option_path, OptionCheck};
use serde_json::Value;

/// A release as the manifest spells it (`26.05`) as a sortable key; `unstable` sorts
/// after every release.
pub fn release_key(r: &str) -> (u32, u32) {
    if r == "unstable" {
        return (u32::MAX, u32::MAX);
    }
    let (y, m) = r.split_once('.').unwrap_or((r, "0"));
    (y.parse().unwrap_or(u32::MAX), m.parse().unwrap_or(u32::MAX))
}

/// The releases the manifest says n3x supports (`releases.supported`).
pub fn supported_releases() -> Vec<String> {
    let path = crate::reference_dir().join("nixos-options.json");
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("read {}: {e}", path.display()));
    let v: Value = serde_json::from_str(&text).expect("nixos-options.json is JSON");
    v["releases"]["supported"]
        .as_array()
        .expect("nixos-options.json has releases.supported")
        .iter()
        .map(|r| r.as_str().expect("a release is a string").to_string())
        .collect()
}

/// Why an option entry is not in `release`, or `None` when it is.
pub fn not_in_release(entry: &Value, release: &str) -> Option<String> {
    let want = release_key(release);
    if let Some(added) = entry.get("addedIn").and_then(Value::as_str) {
        if release_key(added) > want {
            return Some(format!("added in {added}, the flake pins {release}"));
        }
    }
    if let Some(removed) = entry.get("removedIn").and_then(Value::as_str) {
        if release_key(removed) <= want {
            return Some(format!("renamed or removed in {removed}, the flake pins {release}"));
        }
    }
    None
}

/// [`crate::check_option_paths`] for a pinned release (`26.05`): also reports, in
/// `unknown`, every option the module sets that the release does not have yet or no
/// longer has.
pub fn check_option_paths_for_release(module: &Value, skip: &[&str], release: &str) -> OptionCheck {
    let options = nixos_options();
    let mut report = crate::check_option_paths(module, skip);
    let mut seen = std::collections::BTreeSet::new();
    for used in &report.used {
        if !seen.insert(used.clone()) {
            continue;
        }
        if let Some(why) = options.get(used).and_then(|e| not_in_release(e, release)) {
            report.unknown.push(format!("{used} ({why})"));
        }
    }
    report
}

/// What [`type_errors`] found.
#[derive(Debug, Default)]
pub struct TypeCheck {
    /// Option values whose type the checker understood and checked.
    pub checked: usize,
    /// Option values whose declared type it does not model (counted, not checked).
    pub unchecked: Vec<String>,
    /// `path: expected TYPE, got VALUE` for each value that does not fit.
    pub errors: Vec<String>,
}

/// Checks the value of every option a module sets against the type in the manifest.
/// Understood: bool, int (and `ints.*`, `port`), the string types (`str`, `lines`,
/// `path`, `package` as its store path, `singleLineStr`, `strMatching`, …), `enum`,
/// `nullOr`, `listOf`, `attrsOf`, `either`, `oneOf`, `coercedTo A f B` (A or B),
/// `attrs`/`anything`/submodules as attribute sets. Anything else is counted as
/// unchecked.
pub fn type_errors(module: &Value, skip: &[&str]) -> TypeCheck {
    let options = nixos_options();
    let mut report = TypeCheck::default();
    walk_types(&options, module, &mut Vec::new(), skip, &mut report);
    report
}

fn walk_types(
    options: &serde_json::Map<String, Value>,
    v: &Value,
    path: &mut Vec<String>,
    skip: &[&str],
    report: &mut TypeCheck,
) {
    let Some(obj) = v.as_object() else { return };
    for (k, child) in obj {
        path.push(k.clone());
        let joined = path.join(".");
        if !skip.contains(&joined.as_str()) {
            match options.iter().find(|(p, _)| matches(p, path)) {
                Some((_, entry)) => {
                    let ty = entry.get("type").and_then(Value::as_str).unwrap_or("");
                    let container = (ty.starts_with("attrsOf (submodule") || ty.starts_with("submodule"))
                        && !ty.contains("freeformType");
                    if container || ty.starts_with("listOf (submodule") {
                        if container {
                            walk_types(options, child, path, skip, report);
                        } else {
                            check_value(ty, child, &joined, report);
                        }
                    } else {
                        check_value(ty, child, &joined, report);
                    }
                }
                None => {
                    let prefix = options.keys().any(|p| {
                        let parts = split_option_path(p);
                        parts.len() > path.len() && matches(&parts[..path.len()].join("."), path)
                    });
                    if prefix {
                        walk_types(options, child, path, skip, report);
                    }
                }
            }
        }
        path.pop();
    }
}

fn check_value(ty: &str, v: &Value, path: &str, report: &mut TypeCheck) {
    let tokens = tokenize(ty);
    let mut pos = 0;
    let Some(t) = parse(&tokens, &mut pos) else {
        report.unchecked.push(format!("{path}: {ty}"));
        return;
    };
    match fits(&t, v) {
        Some(true) => report.checked += 1,
        Some(false) => {
            let shown: String = v.to_string().chars().take(120).collect();
            report.errors.push(format!("{path}: expected {ty}, got {shown}"));
        }
        None => report.unchecked.push(format!("{path}: {ty}")),
    }
}

/// A parsed type expression.
#[derive(Debug, Clone, PartialEq)]
enum Ty {
    Bool,
    Int,
    Str,
    Attrs,
    Any,
    Enum(Vec<String>),
    NullOr(Box<Ty>),
    ListOf(Box<Ty>),
    AttrsOf(Box<Ty>),
    Either(Vec<Ty>),
    Unknown,
}

#[derive(Debug, Clone, PartialEq)]
enum Tok {
    Word(String),
    Str(String),
    Open(char),
    Close(char),
}

fn tokenize(s: &str) -> Vec<Tok> {
    let mut out = Vec::new();
    let mut it = s.chars().peekable();
    while let Some(c) = it.next() {
        match c {
            ' ' | '\t' => {}
            '(' | '[' | '{' => out.push(Tok::Open(c)),
            ')' | ']' | '}' => out.push(Tok::Close(c)),
            '"' => {
                let mut w = String::new();
                for d in it.by_ref() {
                    if d == '"' {
                        break;
                    }
                    w.push(d);
                }
                out.push(Tok::Str(w));
            }
            '\'' if it.peek() == Some(&'\'') => {
                it.next();
                let mut w = String::new();
                while let Some(d) = it.next() {
                    if d == '\'' && it.peek() == Some(&'\'') {
                        it.next();
                        break;
                    }
                    w.push(d);
                }
                out.push(Tok::Str(w));
            }
            _ => {
                let mut w = String::from(c);
                while let Some(&d) = it.peek() {
                    if " \t()[]{}\"".contains(d) {
                        break;
                    }
                    w.push(d);
                    it.next();
                }
                out.push(Tok::Word(w));
            }
        }
    }
    out
}

/// Skips one balanced group or single token.
fn skip_arg(t: &[Tok], pos: &mut usize) {
    let mut depth = 0usize;
    while *pos < t.len() {
        match &t[*pos] {
            Tok::Open(_) => depth += 1,
            Tok::Close(_) => depth = depth.saturating_sub(1),
            _ => {}
        }
        *pos += 1;
        if depth == 0 {
            return;
        }
    }
}

fn parse(t: &[Tok], pos: &mut usize) -> Option<Ty> {
    let tok = t.get(*pos)?.clone();
    *pos += 1;
    Some(match tok {
        Tok::Open('(') => {
            let inner = parse(t, pos)?;
            // Arguments the checker ignores (e.g. `submodule { … }` bodies) up to `)`.
            while *pos < t.len() && t[*pos] != Tok::Close(')') {
                skip_arg(t, pos);
            }
            *pos += 1;
            inner
        }
        Tok::Word(w) => match w.as_str() {
            "bool" => Ty::Bool,
            "int" | "port" | "number" => Ty::Int,
            w if w.starts_with("ints.") => Ty::Int,
            "str" | "lines" | "singleLineStr" | "nonEmptyStr" | "path" | "package" | "safeStr" | "unitNameType"
            | "commas" | "envVar" => Ty::Str,
            "strMatching" | "passwdEntry" | "nonEmptyWithoutTrailingSlash" => {
                skip_arg(t, pos);
                Ty::Str
            }
            "attrs" | "submodule" => {
                if matches!(t.get(*pos), Some(Tok::Open('{'))) {
                    skip_arg(t, pos);
                }
                Ty::Attrs
            }
            "anything" | "raw" | "unitOption" => Ty::Any,
            "enum" => {
                let mut vals = Vec::new();
                if t.get(*pos) != Some(&Tok::Open('[')) {
                    return None;
                }
                *pos += 1;
                while let Some(tok) = t.get(*pos) {
                    *pos += 1;
                    match tok {
                        Tok::Str(s) => vals.push(s.clone()),
                        Tok::Close(']') => break,
                        _ => return None,
                    }
                }
                Ty::Enum(vals)
            }
            "nullOr" => Ty::NullOr(Box::new(parse(t, pos)?)),
            "listOf" | "nonEmptyListOf" => Ty::ListOf(Box::new(parse(t, pos)?)),
            "attrsOf" => Ty::AttrsOf(Box::new(parse(t, pos)?)),
            "either" => Ty::Either(vec![parse(t, pos)?, parse(t, pos)?]),
            "coercedTo" => {
                let from = parse(t, pos)?;
                skip_arg(t, pos);
                let to = parse(t, pos)?;
                Ty::Either(vec![from, to])
            }
            "oneOf" => {
                if t.get(*pos) != Some(&Tok::Open('[')) {
                    return None;
                }
                *pos += 1;
                let mut alts = Vec::new();
                while t.get(*pos).is_some_and(|x| *x != Tok::Close(']')) {
                    alts.push(parse(t, pos)?);
                }
                *pos += 1;
                Ty::Either(alts)
            }
            _ => Ty::Unknown,
        },
        _ => Ty::Unknown,
    })
}

/// `Some(fits)` when the type is understood, `None` when it is not.
fn fits(t: &Ty, v: &Value) -> Option<bool> {
    Some(match t {
        Ty::Bool => v.is_boolean(),
        Ty::Int => v.is_i64() || v.is_u64(),
        Ty::Str => v.is_string(),
        Ty::Attrs => v.is_object(),
        Ty::Any => true,
        Ty::Enum(vals) => v.as_str().is_some_and(|s| vals.iter().any(|x| x == s)),
        Ty::NullOr(inner) => v.is_null() || fits(inner, v)?,
        Ty::ListOf(inner) => match v.as_array() {
            Some(items) => {
                let mut ok = true;
                for i in items {
                    ok &= fits(inner, i)?;
                }
                ok
            }
            None => false,
        },
        Ty::AttrsOf(inner) => match v.as_object() {
            Some(items) => {
                let mut ok = true;
                for i in items.values() {
                    ok &= fits(inner, i)?;
                }
                ok
            }
            None => false,
        },
        Ty::Either(alts) => {
            let mut any_known = false;
            for a in alts {
                match fits(a, v) {
                    Some(true) => return Some(true),
                    Some(false) => any_known = true,
                    None => {}
                }
            }
            if any_known {
                false
            } else {
                return None;
            }
        }
        Ty::Unknown => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn check(ty: &str, v: Value) -> Option<bool> {
        let toks = tokenize(ty);
        let mut pos = 0;
        fits(&parse(&toks, &mut pos)?, &v)
    }

    #[test]
    fn type_expressions_of_the_manifest() {
        assert_eq!(check("bool", json!(true)), Some(true));
        assert_eq!(check("bool", json!("yes")), Some(false));
        assert_eq!(check("listOf str", json!(["a"])), Some(true));
        assert_eq!(check("listOf str", json!("a")), Some(false));
        assert_eq!(check("nullOr int", json!(null)), Some(true));
        assert_eq!(check(r#"enum ["server" "agent"]"#, json!("agent")), Some(true));
        assert_eq!(check(r#"enum ["server" "agent"]"#, json!("master")), Some(false));
        assert_eq!(check("either str (listOf str)", json!(["x"])), Some(true));
        assert_eq!(check("coercedTo (listOf str) (list -> attrs of true) (attrsOf bool)", json!(["a"])), Some(true));
        assert_eq!(
            check("coercedTo (listOf str) (list -> attrs of true) (attrsOf bool)", json!({"a": true})),
            Some(true)
        );
        assert_eq!(check("coercedTo (listOf str) (list -> attrs of true) (attrsOf bool)", json!(3)), Some(false));
        assert_eq!(check(r#"listOf (strMatching ''([^"[:space:]]|"[^"]*")+'')"#, json!(["a=b"])), Some(true));
        assert_eq!(check("oneOf [ str ints.positive ]", json!(3)), Some(true));
        assert_eq!(check("nullOr (passwdEntry str)", json!("x")), Some(true));
        assert_eq!(check("intOrNumberOrRange", json!(3)), None);
    }

    #[test]
    fn releases_sort_and_filter() {
        assert!(release_key("25.11") < release_key("26.05"));
        assert!(release_key("26.05") < release_key("unstable"));
        let e = json!({"addedIn": "25.11"});
        assert!(not_in_release(&e, "25.05").is_some());
        assert!(not_in_release(&e, "26.05").is_none());
        let r = json!({"removedIn": "26.05"});
        assert!(not_in_release(&r, "25.11").is_none());
        assert!(not_in_release(&r, "26.05").is_some());
    }
}
