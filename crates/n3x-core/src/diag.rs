//! Diagnostics: what went wrong, where (file, line, column, field path) and what to do.
//!
//! Every rejected input is reported as a list of [`Diagnostic`]s, never as the first
//! error alone and never as a serde dump. This module only formats; deciding exit codes
//! is the job of [`crate::cli`].

use std::fmt;

use crate::comment::one_line;

/// How bad a finding is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// The input is usable, but probably not what was meant.
    Warning,
    /// The input is rejected.
    Error,
}

/// A place in an input file. Lines and columns count from 1.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Location {
    /// The file name as the user gave it (`-` or `<stdin>` for standard input).
    pub file: String,
    /// 1-based line.
    pub line: usize,
    /// 1-based column.
    pub column: usize,
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}:{}", self.file, self.line, self.column)
    }
}

/// One finding about an input.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Diagnostic {
    /// Error or warning.
    pub severity: Severity,
    /// Where in the file, when the input has positions.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub location: Option<Location>,
    /// The field path, such as `nodes[2].disk.size`; empty for the whole document.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub path: String,
    /// What is wrong.
    pub message: String,
    /// What to do about it (a fix, or a "did you mean").
    #[serde(skip_serializing_if = "Option::is_none")]
    pub help: Option<String>,
}

impl Diagnostic {
    /// An error at a field path.
    pub fn error(path: impl Into<String>, message: impl Into<String>) -> Self {
        Self { severity: Severity::Error, location: None, path: path.into(), message: message.into(), help: None }
    }

    /// A warning at a field path.
    pub fn warning(path: impl Into<String>, message: impl Into<String>) -> Self {
        Self { severity: Severity::Warning, ..Self::error(path, message) }
    }

    /// Adds a hint telling the user what to do.
    #[must_use]
    pub fn with_help(mut self, help: impl Into<String>) -> Self {
        self.help = Some(help.into());
        self
    }

    /// Sets the location (keeps an existing one).
    #[must_use]
    pub fn at(mut self, location: Option<Location>) -> Self {
        if self.location.is_none() {
            self.location = location;
        }
        self
    }

    /// True for errors.
    pub fn is_error(&self) -> bool {
        self.severity == Severity::Error
    }
}

impl fmt::Display for Diagnostic {
    /// One line per finding (plus a help line): paths, file names and messages can
    /// quote input text, so each goes through [`one_line`] and a crafted key or file
    /// name cannot forge further lines of the report.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let label = match self.severity {
            Severity::Error => "error",
            Severity::Warning => "warning",
        };
        write!(f, "{label}: ")?;
        if let Some(loc) = &self.location {
            write!(f, "{}: ", one_line(&loc.to_string()))?;
        }
        if !self.path.is_empty() {
            write!(f, "{}: ", one_line(&self.path))?;
        }
        write!(f, "{}", one_line(&self.message))?;
        if let Some(help) = &self.help {
            write!(f, "\n  help: {}", one_line(help))?;
        }
        Ok(())
    }
}

/// A list of findings about one input, in the order they were found.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Diagnostics(pub Vec<Diagnostic>);

impl Diagnostics {
    /// An empty list.
    pub fn new() -> Self {
        Self(Vec::new())
    }
    /// Adds one finding.
    pub fn push(&mut self, d: Diagnostic) {
        self.0.push(d);
    }
    /// Adds all findings of another list.
    pub fn extend(&mut self, other: Diagnostics) {
        self.0.extend(other.0);
    }
    /// True when at least one finding is an error.
    pub fn has_errors(&self) -> bool {
        self.0.iter().any(Diagnostic::is_error)
    }
    /// Findings that are errors.
    pub fn errors(&self) -> impl Iterator<Item = &Diagnostic> {
        self.0.iter().filter(|d| d.is_error())
    }
    /// Findings that are warnings.
    pub fn warnings(&self) -> impl Iterator<Item = &Diagnostic> {
        self.0.iter().filter(|d| !d.is_error())
    }
    /// True when there are no findings at all.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
    /// Fills in locations from a source map for every finding that has a path.
    pub fn locate(&mut self, source: &crate::source::Document) {
        for d in &mut self.0 {
            if d.location.is_none() {
                d.location = source.locate(&d.path);
            }
        }
    }
    /// `Ok(warnings)` when there is no error, else `Err(self)`.
    pub fn into_result(self) -> Result<Diagnostics, Diagnostics> {
        if self.has_errors() {
            Err(self)
        } else {
            Ok(self)
        }
    }
}

impl fmt::Display for Diagnostics {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for d in &self.0 {
            writeln!(f, "{d}")?;
        }
        Ok(())
    }
}

/// Suggests the candidate closest to `got`, if one is close enough to be a typo.
pub fn did_you_mean<'a>(got: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<String> {
    let got_l = got.to_ascii_lowercase();
    candidates
        .into_iter()
        .map(|c| (strsim::jaro_winkler(&got_l, &c.to_ascii_lowercase()), c))
        .filter(|(score, _)| *score > 0.8)
        .max_by(|a, b| a.0.total_cmp(&b.0))
        .map(|(_, c)| c.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn suggests_near_miss() {
        assert_eq!(did_you_mean("mountpoints", ["mountpoint", "device"]).as_deref(), Some("mountpoint"));
        assert_eq!(did_you_mean("zzz", ["mountpoint", "device"]), None);
    }

    #[test]
    fn display_has_all_parts() {
        let d = Diagnostic::error("nodes[2].disk.size", "bad size").with_help("write 512GB").at(Some(Location {
            file: "inv.yaml".into(),
            line: 3,
            column: 7,
        }));
        assert_eq!(d.to_string(), "error: inv.yaml:3:7: nodes[2].disk.size: bad size\n  help: write 512GB");
    }
}
