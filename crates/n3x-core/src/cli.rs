//! The exit-code policy and the one place errors become text: 0 success, 1 rejected
//! input or failed operation, 2 usage error. A closed output pipe is success.

use std::process::ExitCode;

use crate::diag::Diagnostics;
use crate::io::describe_io;

/// Why a command did not succeed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The input was rejected; every finding is listed.
    #[error("{0}")]
    Rejected(Diagnostics),
    /// An input could not be read.
    #[error("cannot read {path}: {}", describe_io(.source))]
    Read {
        /// The input name.
        path: String,
        /// The cause.
        source: std::io::Error,
    },
    /// An output could not be written.
    #[error("cannot write {path}: {}", describe_io(.source))]
    Write {
        /// The output name.
        path: String,
        /// The cause.
        source: std::io::Error,
    },
    /// An operation failed; the text says what and what to do.
    #[error("{0}")]
    Failed(String),
    /// The command line was wrong (exit 2).
    #[error("{0}")]
    Usage(String),
    /// Standard output was closed early; not an error for the user.
    #[error("broken pipe")]
    BrokenPipe,
}

impl From<Diagnostics> for Error {
    fn from(d: Diagnostics) -> Self {
        Error::Rejected(d)
    }
}

/// Prints warnings to stderr. With `deny`, warnings reject the input.
pub fn report_warnings(tool: &str, warnings: &Diagnostics, deny: bool) -> Result<(), Error> {
    if warnings.is_empty() {
        return Ok(());
    }
    if deny {
        let mut as_errors = warnings.clone();
        for d in &mut as_errors.0 {
            d.severity = crate::diag::Severity::Error;
        }
        return Err(Error::Rejected(as_errors));
    }
    // One write for all of them: stderr is unbuffered, and a message written piece by
    // piece costs a system call per piece and can interleave with another process's.
    let text: String = warnings.warnings().map(|w| format!("{tool}: {w}\n")).collect();
    eprint!("{text}");
    Ok(())
}

/// Writes the shell completion script of a command line to standard output
/// (every tool's `completions SHELL`).
pub fn write_completions(mut cmd: clap::Command, shell: clap_complete::Shell) -> Result<(), Error> {
    let name = cmd.get_name().to_string();
    let mut buf = Vec::new();
    clap_complete::generate(shell, &mut cmd, name, &mut buf);
    crate::io::write_stdout(&buf)
}

/// Writes the roff man page of a command line to standard output (every tool's `man`).
pub fn write_man(cmd: clap::Command) -> Result<(), Error> {
    let mut buf = Vec::new();
    clap_mangen::Man::new(cmd)
        .render(&mut buf)
        .map_err(|e| Error::Failed(format!("cannot render the man page: {}", describe_io(&e))))?;
    crate::io::write_stdout(&buf)
}

/// Runs a command body and maps its result to an exit code, printing errors to stderr.
pub fn run(tool: &str, body: impl FnOnce() -> Result<(), Error>) -> ExitCode {
    match body() {
        Ok(()) | Err(Error::BrokenPipe) => ExitCode::SUCCESS,
        Err(Error::Rejected(diags)) => {
            let mut text: String = diags.0.iter().map(|d| format!("{tool}: {d}\n")).collect();
            let errors = diags.errors().count();
            let warnings = diags.warnings().count();
            text.push_str(&format!(
                "{tool}: rejected: {errors} error{}{}\n",
                if errors == 1 { "" } else { "s" },
                if warnings > 0 {
                    format!(", {warnings} warning{}", if warnings == 1 { "" } else { "s" })
                } else {
                    String::new()
                }
            ));
            // One write (see report_warnings).
            eprint!("{text}");
            ExitCode::from(1)
        }
        Err(Error::Usage(m)) => {
            eprintln!("{tool}: {m}");
            ExitCode::from(2)
        }
        Err(e) => {
            eprintln!("{tool}: {e}");
            ExitCode::from(1)
        }
    }
}
