//! The one Nix printer: a small value type and a writer that lays it out the way
//! nixfmt does (two-space indent, one attribute per line, short lists on one line).
//!
//! Renderers build [`Nix`] values and never format Nix text themselves, so quoting is
//! correct everywhere: strings escape `"`, `\` and `${`; attribute names are quoted
//! only when they are not plain identifiers. Comments ride along on attributes and
//! list items, so a rendered file can say why a setting is there.

use std::fmt::Write as _;

/// Maximum line width before a list is broken over several lines (nixfmt's default).
const WIDTH: usize = 100;

/// A Nix value.
#[derive(Debug, Clone, PartialEq)]
pub enum Nix {
    /// `null`
    Null,
    /// `true` / `false`
    Bool(bool),
    /// An integer.
    Int(i64),
    /// A string (escaped on output).
    Str(String),
    /// A path literal such as `./hardware.nix`; must be a valid path (checked by [`Nix::path`]).
    Path(String),
    /// A list.
    List(Vec<Nix>),
    /// An attribute set.
    Attrs(Attrs),
    /// A Nix expression written by n3x itself (never from user input), such as
    /// `config.sops.secrets.k3s-token.path`.
    Expr(String),
    /// A list item with a comment line above it.
    Commented(String, Box<Nix>),
    /// A function written by n3x itself applied to a value: `f arg`, such as
    /// `inputs.nixpkgs.lib.nixosSystem { … }` (the argument is laid out like any value).
    Call(String, Box<Nix>),
    /// A function: `pattern: body`, such as `inputs: { … }` (`pattern` written by n3x).
    Lambda(String, Box<Nix>),
}

impl Nix {
    /// A string value.
    pub fn str(s: impl Into<String>) -> Nix {
        Nix::Str(s.into())
    }
    /// A path literal; `None` when `p` is not a relative (`./x`) or absolute path
    /// made of safe characters.
    pub fn path(p: &str) -> Option<Nix> {
        let ok_start = p.starts_with("./") || p.starts_with("../") || p.starts_with('/');
        let ok_chars = p.chars().all(|c| c.is_ascii_alphanumeric() || "._-+/".contains(c));
        (ok_start && ok_chars && !p.ends_with('/') && !p.contains("//")).then(|| Nix::Path(p.to_string()))
    }
    /// A list of strings.
    pub fn str_list<I, S>(items: I) -> Nix
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        Nix::List(items.into_iter().map(|s| Nix::Str(s.into())).collect())
    }
    fn is_scalar(&self) -> bool {
        match self {
            Nix::Null | Nix::Bool(_) | Nix::Int(_) | Nix::Path(_) | Nix::Expr(_) => true,
            Nix::Str(s) => !s.contains('\n'),
            Nix::Attrs(a) => a.is_empty(),
            Nix::List(l) => l.is_empty(),
            Nix::Commented(..) | Nix::Call(..) | Nix::Lambda(..) => false,
        }
    }
}

impl From<bool> for Nix {
    fn from(b: bool) -> Nix {
        Nix::Bool(b)
    }
}
impl From<&str> for Nix {
    fn from(s: &str) -> Nix {
        Nix::Str(s.to_string())
    }
}
impl From<String> for Nix {
    fn from(s: String) -> Nix {
        Nix::Str(s)
    }
}
impl From<i64> for Nix {
    fn from(i: i64) -> Nix {
        Nix::Int(i)
    }
}
impl From<Attrs> for Nix {
    fn from(a: Attrs) -> Nix {
        Nix::Attrs(a)
    }
}

/// An attribute set: entries print in insertion order, which the caller chooses
/// (so output order is explicit, never a hash order).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Attrs(Vec<Entry>);

#[derive(Debug, Clone, PartialEq)]
struct Entry {
    path: Vec<String>,
    value: Nix,
    comment: Option<String>,
}

impl Attrs {
    /// An empty set.
    pub fn new() -> Self {
        Attrs(Vec::new())
    }
    /// True when empty.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
    /// Adds `name = value;`.
    pub fn set(&mut self, name: impl Into<String>, value: impl Into<Nix>) -> &mut Self {
        self.0.push(Entry { path: vec![name.into()], value: value.into(), comment: None });
        self
    }
    /// Adds `a.b.c = value;` (one line for a nested path, as nixfmt keeps it).
    pub fn set_path(&mut self, path: &[&str], value: impl Into<Nix>) -> &mut Self {
        self.0.push(Entry { path: path.iter().map(|s| s.to_string()).collect(), value: value.into(), comment: None });
        self
    }
    /// Adds `name = value;` with a `# comment` line above it.
    pub fn set_commented(
        &mut self,
        name: impl Into<String>,
        value: impl Into<Nix>,
        comment: impl Into<String>,
    ) -> &mut Self {
        self.0.push(Entry { path: vec![name.into()], value: value.into(), comment: Some(comment.into()) });
        self
    }
    /// Adds `a.b.c = value;` with a `# comment` line above it.
    pub fn set_path_commented(
        &mut self,
        path: &[&str],
        value: impl Into<Nix>,
        comment: impl Into<String>,
    ) -> &mut Self {
        let path = path.iter().map(|s| s.to_string()).collect();
        self.0.push(Entry { path, value: value.into(), comment: Some(comment.into()) });
        self
    }
    /// Builder form of [`Attrs::set`].
    #[must_use]
    pub fn with(mut self, name: impl Into<String>, value: impl Into<Nix>) -> Self {
        self.set(name, value);
        self
    }
    /// The value of a single-segment attribute, if set.
    pub fn get(&self, name: &str) -> Option<&Nix> {
        self.0.iter().find(|e| e.path.len() == 1 && e.path[0] == name).map(|e| &e.value)
    }
}

impl Attrs {
    /// Attribute paths that are defined twice: the same value path set twice, or a value
    /// set at a path and again below it (`a = 1; a.b = 2;`). Nix refuses such a set ("attribute
    /// already defined"), so the printer refuses to print it ([`NixFile::try_render`]).
    /// Nested sets and sets inside lists are searched too. Empty when the set is sound.
    pub fn duplicate_paths(&self) -> Vec<String> {
        let mut found = Vec::new();
        duplicates_in(self, &mut found);
        found
    }
}

fn duplicates_in(attrs: &Attrs, found: &mut Vec<String>) {
    // Every leaf path of this set (nested attribute sets merged, as Nix merges them),
    // borrowed from the set: the printer checks every file it writes.
    let mut leaves: Vec<Vec<&str>> = Vec::new();
    fn collect<'a>(prefix: &[&'a str], v: &'a Nix, leaves: &mut Vec<Vec<&'a str>>, found: &mut Vec<String>) {
        match v {
            Nix::Attrs(a) => {
                for e in &a.0 {
                    let mut p = prefix.to_vec();
                    p.extend(e.path.iter().map(String::as_str));
                    collect(&p, &e.value, leaves, found);
                }
            }
            other => {
                leaves.push(prefix.to_vec());
                duplicates_below(other, found);
            }
        }
    }
    // Nix merges attribute-set literals written at one path (`a = { c = 1; }; a.b = 2;`),
    // so only leaves count: a leaf set twice, or a leaf with something set below it.
    for e in &attrs.0 {
        let path: Vec<&str> = e.path.iter().map(String::as_str).collect();
        collect(&path, &e.value, &mut leaves, found);
    }
    leaves.sort();
    for w in leaves.windows(2) {
        // Sorted, so a path and its extensions are neighbours.
        if w[1].starts_with(&w[0]) {
            let name = w[0].iter().map(|s| attr_name(s)).collect::<Vec<_>>().join(".");
            // One report per conflict: not again below a path already reported.
            if !found.iter().any(|f| name == *f || name.starts_with(&format!("{f}."))) {
                found.push(name);
            }
        }
    }
}

/// A whole `.nix` file: a header comment, optional module arguments, and a body.
#[derive(Debug, Clone, PartialEq)]
pub struct NixFile {
    /// Header lines (each becomes `# line`), e.g. which command and input produced it.
    pub header: Vec<String>,
    /// Module function arguments such as `["config", "lib"]`; `...` is added. `None`
    /// for a plain value file.
    pub args: Option<Vec<String>>,
    /// The body.
    pub body: Nix,
}

impl NixFile {
    /// Renders the file, ending in a newline. Refuses a body that defines an attribute
    /// twice anywhere (Nix that does not evaluate) and names the attribute: the printer
    /// never emits such a file, whichever renderer built the value.
    pub fn render(&self) -> Result<String, crate::Error> {
        let mut found = Vec::new();
        duplicates_below(&self.body, &mut found);
        if !found.is_empty() {
            return Err(crate::Error::Failed(format!(
                "refusing to print Nix that defines an attribute twice: {} (two inventory entries \
                 render to the same setting; `n3x-inventory check` names them)",
                found.join(", ")
            )));
        }
        let mut out = String::new();
        crate::comment::push_lines(&mut out, "", &self.header);
        if let Some(args) = &self.args {
            let mut all: Vec<&str> = args.iter().map(String::as_str).collect();
            all.push("...");
            let _ = writeln!(out, "{{ {} }}:", all.join(", "));
        }
        write_value(&mut out, &self.body, 0);
        out.push('\n');
        Ok(out)
    }
}

/// Every attribute set in `v`, however deep (inside lists, comments, calls, functions).
fn duplicates_below(v: &Nix, found: &mut Vec<String>) {
    match v {
        Nix::Attrs(a) => duplicates_in(a, found),
        Nix::List(items) => items.iter().for_each(|x| duplicates_below(x, found)),
        Nix::Commented(_, x) | Nix::Call(_, x) | Nix::Lambda(_, x) => duplicates_below(x, found),
        Nix::Null | Nix::Bool(_) | Nix::Int(_) | Nix::Str(_) | Nix::Path(_) | Nix::Expr(_) => {}
    }
}

/// Renders one value as Nix text (no trailing newline).
pub fn render(value: &Nix) -> String {
    let mut out = String::new();
    write_value(&mut out, value, 0);
    out
}

const KEYWORDS: &[&str] = &["if", "then", "else", "assert", "with", "let", "in", "rec", "inherit", "or"];

/// An attribute name as Nix source: bare when it is an identifier, else quoted.
pub fn attr_name(name: &str) -> String {
    let mut chars = name.chars();
    let is_ident = chars.next().is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || "_'-".contains(c))
        && !KEYWORDS.contains(&name);
    if is_ident {
        name.to_string()
    } else {
        quote(name)
    }
}

/// A double-quoted Nix string literal.
pub fn quote(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    let mut chars = s.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '$' if chars.peek() == Some(&'{') => out.push_str("\\$"),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

fn pad(out: &mut String, level: usize) {
    for _ in 0..level {
        out.push_str("  ");
    }
}

/// Whether a multi-line string survives an indented string (`''…''`) unchanged:
/// Nix strips the smallest indentation, so at least one line must start with a
/// non-blank character, and carriage returns are kept out. A `'` just before the
/// escape of `''` or `${` would merge with it (`'''${` reads as `''` then a live
/// `${`), and a final `'` would merge with the closing `''`; such strings are quoted.
fn fits_indented_string(s: &str) -> bool {
    s.contains('\n')
        && !s.contains('\r')
        && !s.ends_with('\'')
        && !s.contains("'${")
        && s.lines().any(|l| l.starts_with(|c: char| !c.is_whitespace()))
        && !s.lines().any(|l| !l.is_empty() && l.trim().is_empty())
}

fn write_indented_string(out: &mut String, s: &str, level: usize) {
    out.push_str("''\n");
    let body = s.strip_suffix('\n');
    let text = body.unwrap_or(s);
    for (i, line) in text.split('\n').enumerate() {
        if i > 0 {
            out.push('\n');
        }
        if !line.is_empty() {
            pad(out, level + 1);
            out.push_str(&line.replace("''", "'''").replace("${", "''${"));
        }
    }
    if body.is_some() {
        out.push('\n');
        pad(out, level);
    }
    out.push_str("''");
}

fn write_value(out: &mut String, v: &Nix, level: usize) {
    match v {
        Nix::Null => out.push_str("null"),
        Nix::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        // Nix reads `-9223372036854775808` as minus a literal that does not fit in an
        // int ("invalid integer"), so the smallest int is written as a subtraction.
        Nix::Int(i64::MIN) => out.push_str("(-9223372036854775807 - 1)"),
        // `[ 1 -7 ]` is a subtraction in Nix; a parenthesized negative is valid everywhere.
        Nix::Int(i) if *i < 0 => {
            let _ = write!(out, "({i})");
        }
        Nix::Int(i) => {
            let _ = write!(out, "{i}");
        }
        Nix::Str(s) if fits_indented_string(s) => write_indented_string(out, s, level),
        Nix::Str(s) => out.push_str(&quote(s)),
        Nix::Path(p) | Nix::Expr(p) => out.push_str(p),
        Nix::Commented(_, inner) => write_value(out, inner, level),
        Nix::Call(func, arg) => {
            out.push_str(func);
            out.push(' ');
            write_value(out, arg, level);
        }
        Nix::Lambda(pattern, body) => {
            out.push_str(pattern);
            out.push_str(": ");
            write_value(out, body, level);
        }
        Nix::List(items) if items.is_empty() => out.push_str("[ ]"),
        Nix::List(items) => {
            if items.iter().all(Nix::is_scalar) {
                let one: Vec<String> = items.iter().map(render).collect();
                let line = format!("[ {} ]", one.join(" "));
                if level * 2 + line.len() <= WIDTH {
                    out.push_str(&line);
                    return;
                }
            }
            out.push_str("[\n");
            for item in items {
                if let Nix::Commented(c, _) = item {
                    write_comment(out, c, level + 1);
                }
                pad(out, level + 1);
                write_value(out, item, level + 1);
                out.push('\n');
            }
            pad(out, level);
            out.push(']');
        }
        Nix::Attrs(a) if a.is_empty() => out.push_str("{ }"),
        Nix::Attrs(a) => {
            out.push_str("{\n");
            for e in &a.0 {
                if let Some(c) = &e.comment {
                    write_comment(out, c, level + 1);
                }
                pad(out, level + 1);
                let names: Vec<String> = e.path.iter().map(|p| attr_name(p)).collect();
                out.push_str(&names.join("."));
                out.push_str(" = ");
                write_value(out, &e.value, level + 1);
                out.push_str(";\n");
            }
            pad(out, level);
            out.push('}');
        }
    }
}

fn write_comment(out: &mut String, comment: &str, level: usize) {
    crate::comment::push_paragraph(out, &"  ".repeat(level), comment.strip_suffix('\n').unwrap_or(comment));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quoting() {
        assert_eq!(quote("a\"b\\c${d}$e"), r#""a\"b\\c\${d}$e""#);
        assert_eq!(attr_name("enable"), "enable");
        assert_eq!(attr_name("10-lan"), "\"10-lan\"");
        assert_eq!(attr_name("bond0.20"), "\"bond0.20\"");
        assert_eq!(attr_name("in"), "\"in\"");
    }

    #[test]
    fn layout() {
        let mut inner = Attrs::new();
        inner.set("type", "gpt").set("list", Nix::str_list(["a", "b"]));
        let mut top = Attrs::new();
        top.set_path(&["disko", "devices"], inner).set_commented("x", 1i64, "why x");
        let f = NixFile { header: vec!["hdr".into()], args: Some(vec!["config".into()]), body: top.into() };
        assert_eq!(
            f.render().unwrap(),
            "# hdr\n{ config, ... }:\n{\n  disko.devices = {\n    type = \"gpt\";\n    list = [ \"a\" \"b\" ];\n  };\n  # why x\n  x = 1;\n}\n"
        );
    }

    #[test]
    fn indented_strings_only_when_safe() {
        assert!(fits_indented_string("a\n  b\n"));
        assert!(!fits_indented_string("  a\n  b\n"));
        assert!(!fits_indented_string("one line"));
        // Printed as ''…'' this would end in the escape ''' and never close.
        assert!(!fits_indented_string("a\nends in a quote'"));
        assert!(!fits_indented_string("a\nquote before '${x}"));
        let mut s = String::new();
        write_indented_string(&mut s, "a: 1\nb: ''${x}\n", 0);
        assert_eq!(s, "''\n  a: 1\n  b: '''''${x}\n''");
    }

    #[test]
    fn paths_are_checked() {
        assert!(Nix::path("./hosts/n1/default.nix").is_some());
        assert!(Nix::path("hosts/x").is_none());
        assert!(Nix::path("./a b").is_none());
    }
}
