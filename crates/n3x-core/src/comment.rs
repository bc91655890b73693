//! Comment lines for every line-oriented format n3x writes (Nix, YAML, networkd units).
//!
//! Text that reaches a comment often comes from an input: a file name, a node name, a
//! description. This module is the one place that turns such text into comment lines,
//! and it guarantees that nothing in the text can end the line it is on: every
//! character some format treats as a line break (LF, CR, VT, FF, NEL, U+2028, U+2029)
//! and every other control character is written as a visible escape instead. Renderers
//! never write `# …` lines themselves.

use std::borrow::Cow;

/// Whether `c` must not appear raw inside a comment line. A tab is harmless in every
/// format n3x writes (and sops keeps tabs in comments, which must round-trip).
fn unsafe_in_line(c: char) -> bool {
    (c.is_control() && c != '\t') || c == '\u{2028}' || c == '\u{2029}'
}

/// `text` as it may appear on one line: control characters other than tab become `\n`,
/// `\r` or `\u{…}` escapes. Text without them is returned as it is.
pub fn one_line(text: &str) -> Cow<'_, str> {
    if !text.chars().any(unsafe_in_line) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        match c {
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            c if unsafe_in_line(c) => out.push_str(&format!("\\u{{{:x}}}", c as u32)),
            c => out.push(c),
        }
    }
    Cow::Owned(out)
}

/// Appends one comment line: `{indent}# {text}\n`, or `{indent}#\n` for empty text.
/// `text` is made safe with [`one_line`].
pub fn push_line(out: &mut String, indent: &str, text: &str) {
    out.push_str(indent);
    if text.is_empty() {
        out.push_str("#\n");
    } else {
        out.push_str("# ");
        out.push_str(&one_line(text));
        out.push('\n');
    }
}

/// Appends a comment of several lines: each element of `lines` is one line (made safe
/// with [`one_line`], so an element can never become two lines).
pub fn push_lines<S: AsRef<str>>(out: &mut String, indent: &str, lines: &[S]) {
    for l in lines {
        push_line(out, indent, l.as_ref());
    }
}

/// The comment lines of `lines`, as one string (see [`push_lines`]).
pub fn lines<S: AsRef<str>>(lines: &[S]) -> String {
    let mut out = String::new();
    push_lines(&mut out, "", lines);
    out
}

/// Appends a free-text comment written by n3x itself that may span several lines:
/// it is split at `\n` (its intended line structure) and each part goes through
/// [`push_line`], so a stray `\r` or other control character is still escaped.
pub fn push_paragraph(out: &mut String, indent: &str, text: &str) {
    for l in text.split('\n') {
        push_line(out, indent, l);
    }
}

/// The field paths of every string in `value` that holds a character [`one_line`]
/// would escape: text that would break a line-oriented format (a networkd unit, an INI
/// file) if a renderer wrote it into a line. Renderers of such formats refuse a
/// document with any.
pub fn strings_with_line_breaks(value: &serde_json::Value) -> Vec<String> {
    /// One step of the path to a value; the path is spelled out only for a finding, so
    /// a clean document (the usual case, a whole fleet's plan) costs no allocation.
    enum Step<'a> {
        Key(&'a str),
        Index(usize),
    }
    fn spell(steps: &[Step], last_key: Option<&str>) -> String {
        let mut path = String::new();
        for step in steps {
            path = match step {
                Step::Key(k) => crate::source::join_key(&path, k),
                Step::Index(i) => crate::source::join_index(&path, *i),
            };
        }
        match last_key {
            Some(k) => crate::source::join_key(&path, &one_line(k)),
            None => path,
        }
    }
    fn walk<'a>(v: &'a serde_json::Value, steps: &mut Vec<Step<'a>>, out: &mut Vec<String>) {
        match v {
            serde_json::Value::String(s) if s.chars().any(unsafe_in_line) => out.push(spell(steps, None)),
            serde_json::Value::Array(items) => {
                for (i, item) in items.iter().enumerate() {
                    steps.push(Step::Index(i));
                    walk(item, steps, out);
                    steps.pop();
                }
            }
            serde_json::Value::Object(map) => {
                for (k, item) in map {
                    if k.chars().any(unsafe_in_line) {
                        out.push(spell(steps, Some(k)));
                    }
                    steps.push(Step::Key(k));
                    walk(item, steps, out);
                    steps.pop();
                }
            }
            _ => {}
        }
    }
    let mut out = Vec::new();
    walk(value, &mut Vec::new(), &mut out);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_breaks_in_any_format_are_escaped() {
        let mut out = String::new();
        push_line(&mut out, "  ", "x\n[Network]\rDNS=1\t\u{b}\u{c}\u{85}\u{2028}\u{2029}\u{0}y");
        assert_eq!(out, "  # x\\n[Network]\\rDNS=1\t\\u{b}\\u{c}\\u{85}\\u{2028}\\u{2029}\\u{0}y\n");
        assert_eq!(out.lines().count(), 1);
    }

    #[test]
    fn finds_every_string_that_would_break_a_line() {
        let v = serde_json::json!({"a": ["ok", "x\ny"], "b": {"c\rd": 1, "e": "tab\tok"}});
        assert_eq!(strings_with_line_breaks(&v), vec!["a[1]".to_string(), "b.c\\rd".to_string()]);
    }

    #[test]
    fn plain_text_is_untouched_and_empty_lines_are_bare() {
        assert!(matches!(one_line("node-1 (n100)"), Cow::Borrowed(_)));
        assert_eq!(lines(&["a", "", "b"]), "# a\n#\n# b\n");
        let mut p = String::new();
        push_paragraph(&mut p, "", "one\ntwo\r");
        assert_eq!(p, "# one\n# two\\r\n");
    }
}
