//! The one YAML (and JSON) tokenizer of the workspace, with the budgets that keep a
//! hostile input bounded in time and memory.
//!
//! Every reader of YAML in n3x (the positioned [`crate::source::Document`] reader and
//! n3x-secrets' comment-preserving sops reader) takes its events from [`events`], so
//! the limits hold everywhere:
//!
//! - **depth**: nesting deeper than [`Limits::max_depth`] is refused (deeply nested
//!   values would otherwise exhaust the stack of any recursive consumer);
//! - **values**: the number of values the document stands for, aliases expanded, may
//!   not exceed [`Limits::max_values`]. A "billion laughs" document (a few hundred
//!   bytes of nested anchors standing for billions of values) is refused while it is
//!   read, before anything is expanded.
//!
//! The text itself is bounded before it gets here (see [`crate::io::read_bounded`]).

use std::collections::HashMap;

use yaml_rust2::parser::Parser;
pub use yaml_rust2::parser::{Event, Tag};
pub use yaml_rust2::scanner::TScalarStyle;

/// The budgets of one read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// The deepest nesting of sequences and mappings accepted.
    pub max_depth: usize,
    /// The most values (scalars, sequences, mappings; aliases counted as what they
    /// expand to) one stream may stand for.
    pub max_values: u64,
}

impl Limits {
    /// Generous for real inventories (a 10,000-node inventory is about 400,000 values
    /// and 8 levels deep) and far below what would exhaust memory or the stack.
    pub const DEFAULT: Limits = Limits { max_depth: 64, max_values: 10_000_000 };
}

impl Default for Limits {
    fn default() -> Self {
        Limits::DEFAULT
    }
}

/// One event with its 1-based line and column.
pub type Marked = (Event, usize, usize);

/// Why a stream was refused: where, what, and what to do.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct YamlError {
    /// 1-based line.
    pub line: usize,
    /// 1-based column.
    pub column: usize,
    /// What is wrong.
    pub message: String,
    /// What to do about it.
    pub help: String,
}

/// Tokenizes a whole YAML stream into events, enforcing `limits`. A NUL byte is
/// refused: yaml-rust2's scanner takes it for the end of the stream, so whatever
/// followed it would be dropped without a word.
pub fn events(text: &str, limits: Limits) -> Result<Vec<Marked>, YamlError> {
    if let Some(at) = text.find('\0') {
        let before = &text[..at];
        return Err(YamlError {
            line: before.matches('\n').count() + 1,
            column: before.rsplit('\n').next().unwrap_or("").chars().count() + 1,
            message: "a NUL byte: YAML and JSON text cannot contain one".into(),
            help: "remove it (is this a binary file?)".into(),
        });
    }
    let mut parser = Parser::new_from_str(text);
    let mut out = Vec::new();
    // Open collections: (anchor id, value count when it opened).
    let mut open: Vec<(usize, u64)> = Vec::new();
    // Anchor id → how many values the anchored node stands for.
    let mut sizes: HashMap<usize, u64> = HashMap::new();
    let mut values: u64 = 0;
    loop {
        let (ev, mark) = parser.next_token().map_err(|e| {
            let m = e.marker();
            // yaml-rust2's scanner has its own, higher nesting guard for flow collections,
            // which it may reach first because it scans ahead of the parser.
            if e.info().contains("recursion limit") {
                return too_deep(m.line(), m.col() + 1, limits);
            }
            YamlError {
                line: m.line(),
                column: m.col() + 1,
                message: format!("syntax error: {}", e.info()),
                help: "check the indentation and quoting near this position".into(),
            }
        })?;
        let (line, column) = (mark.line(), mark.col() + 1);
        let added = match &ev {
            Event::Scalar(_, _, anchor, _) => {
                if *anchor > 0 {
                    sizes.insert(*anchor, 1);
                }
                1
            }
            Event::SequenceStart(anchor, _) | Event::MappingStart(anchor, _) => {
                if open.len() >= limits.max_depth {
                    return Err(too_deep(line, column, limits));
                }
                open.push((*anchor, values));
                1
            }
            Event::SequenceEnd | Event::MappingEnd => {
                if let Some((anchor, start)) = open.pop() {
                    if anchor > 0 {
                        sizes.insert(anchor, values.saturating_sub(start));
                    }
                }
                0
            }
            // An unknown anchor is the consumer's error to report; count it as one value.
            Event::Alias(id) => sizes.get(id).copied().unwrap_or(1),
            _ => 0,
        };
        values = values.saturating_add(added);
        if values > limits.max_values {
            return Err(YamlError {
                line,
                column,
                message: format!(
                    "the document stands for more than {} values once its aliases are expanded",
                    limits.max_values
                ),
                help: "this is the limit that stops alias bombs (\"billion laughs\"); write the repeated parts out, or split the input".into(),
            });
        }
        let end = matches!(ev, Event::StreamEnd);
        out.push((ev, line, column));
        if end {
            return Ok(out);
        }
    }
}

fn too_deep(line: usize, column: usize, limits: Limits) -> YamlError {
    YamlError {
        line,
        column,
        message: format!("nesting deeper than {} levels", limits.max_depth),
        help: "n3x documents are a few levels deep; this input is malformed or hostile".into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bomb(levels: usize) -> String {
        let mut s = String::from("a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n");
        for i in 1..levels {
            let p = i - 1;
            s.push_str(&format!(
                "a{i}: &a{i} [*a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}]\n"
            ));
        }
        s
    }

    #[test]
    fn alias_bomb_is_refused_before_expansion() {
        let e = events(&bomb(9), Limits::DEFAULT).unwrap_err();
        assert!(e.message.contains("more than 10000000 values"), "{e:?}");
        // Small, honest reuse of anchors stays fine.
        assert!(events(&bomb(3), Limits::DEFAULT).is_ok());
    }

    #[test]
    fn deep_nesting_is_refused_at_the_limit() {
        let deep = "[".repeat(100_000);
        let e = events(&deep, Limits::DEFAULT).unwrap_err();
        assert!(e.message.contains("deeper than 64"), "{e:?}");
        let block: String = (0..100).map(|i| format!("{}k:\n", " ".repeat(i))).collect();
        let e = events(&block, Limits::DEFAULT).unwrap_err();
        assert!(e.message.contains("deeper than 64"), "{e:?}");
        assert_eq!(e.line, 65);
        let ok = format!("{}{}", "[".repeat(64), "]".repeat(64));
        assert!(events(&ok, Limits::DEFAULT).is_ok());
    }

    #[test]
    fn aliases_count_what_they_stand_for() {
        let lim = Limits { max_depth: 8, max_values: 7 };
        // map(1) + a(1) + seq(1) + 3 scalars = 6 values; *x adds the 4 of the anchored list.
        assert!(events("a: &x [1, 2, 3]\n", lim).is_ok());
        assert!(events("a: &x [1, 2, 3]\nb: *x\n", lim).is_err());
    }
}
