//! The record of a run: JSON-lines events while it runs (`--events FILE`, or stderr with
//! `--format json`), per-node log files (`--log-dir`), human lines on stderr otherwise,
//! and the final `DeployReport`. The outcome decides the exit code.

use std::io::Write;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use n3x_core::rollout::{CheckResult, CheckStatus, DeployReport, NodeReport, NodeStatus, Outcome};
use n3x_core::API_VERSION;
use serde_json::{json, Value};

/// Exit code of an outcome: 0 succeeded, 1 failed, 3 partial, 4 rolled back, 5 refused
/// (2 is the usage error of every n3x tool).
pub fn exit_code(o: Outcome) -> u8 {
    match o {
        Outcome::Succeeded => 0,
        Outcome::Failed => 1,
        Outcome::Partial => 3,
        Outcome::RolledBack => 4,
        Outcome::Refused => 5,
    }
}

/// The outcome of a run from its node results: rolled back wins, then refused, then
/// partial (something done, something failed), then failed.
pub fn outcome(nodes: &[NodeReport], checks: &[CheckResult]) -> Outcome {
    let has = |s: NodeStatus| nodes.iter().any(|n| n.status == s);
    if has(NodeStatus::RolledBack) {
        Outcome::RolledBack
    } else if has(NodeStatus::Refused) {
        Outcome::Refused
    } else if has(NodeStatus::Failed) || checks.iter().any(|c| c.status == CheckStatus::Fail) {
        if has(NodeStatus::Done) {
            Outcome::Partial
        } else {
            Outcome::Failed
        }
    } else {
        Outcome::Succeeded
    }
}

/// Where the events, human lines and per-node logs of a run go: one sink per run,
/// shared by every [`Recorder::fork`] and locked for each whole line, so nodes handled in
/// parallel never interleave inside a line of the event stream, the terminal or a log.
struct Sink {
    events: Option<Box<dyn Write + Send>>,
    human: bool,
    log_dir: Option<PathBuf>,
    errors: Vec<String>,
    /// The terminal display; with it, human lines are printed above it and `step`
    /// events only move a node's line (they would scroll the screen otherwise).
    progress: Option<crate::progress::Progress>,
}

impl Sink {
    fn write_event(&mut self, v: &Value, node: Option<&str>) {
        if let Some(w) = &mut self.events {
            // An event sink that fails must not stop a rollout half-way; it is reported at the end.
            if writeln!(w, "{v}").and_then(|_| w.flush()).is_err() {
                self.errors.push("cannot write the event stream".into());
                self.events = None;
            }
        }
        let kind = v.get("event").and_then(Value::as_str).unwrap_or("");
        if self.human && !(kind == "step" && self.progress.is_some()) {
            let text = |k: &str| v.get(k).and_then(Value::as_str).unwrap_or("");
            // A check says what it checked and what it found; other events carry a message.
            let msg = if kind == "check" {
                format!("{} {}: {}", text("name"), text("status"), text("evidence"))
            } else {
                text("message").to_string()
            };
            let step = v.get("step").and_then(Value::as_str).map(|s| format!(" {s}")).unwrap_or_default();
            let line = format!(
                "n3x-deploy: {}{step}: {kind}{}",
                node.unwrap_or("cluster"),
                if msg.is_empty() { String::new() } else { format!(": {msg}") }
            );
            match &self.progress {
                Some(p) => p.println(&line),
                None => eprintln!("{line}"),
            }
        }
        if let Some(p) = &mut self.progress {
            p.event(v);
        }
        if let Some(n) = node {
            self.write_log(n, &v.to_string());
        }
    }

    fn write_log(&mut self, node: &str, line: &str) {
        let Some(dir) = &self.log_dir else { return };
        let path = dir.join(format!("{node}.log"));
        let res = std::fs::create_dir_all(dir).and_then(|_| {
            let mut f = std::fs::OpenOptions::new().create(true).append(true).open(&path)?;
            writeln!(f, "{line}")
        });
        if let Err(e) = res {
            self.errors.push(format!("cannot write {}: {}", path.display(), n3x_core::io::describe_io(&e)));
            self.log_dir = None;
        }
    }
}

/// Collects events, checks and node results of one run.
///
/// The events, human lines and logs go straight to the run's shared sink as they happen;
/// checks and node results stay in this recorder until [`Recorder::absorb`] takes them,
/// so a wave handled in parallel still reports its nodes in plan order.
pub struct Recorder {
    command: String,
    sink: Arc<Mutex<Sink>>,
    nodes: Vec<NodeReport>,
    checks: Vec<CheckResult>,
}

impl std::fmt::Debug for Recorder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Recorder").field("command", &self.command).finish()
    }
}

impl Recorder {
    /// A recorder for `command`. `events`: where JSON lines go; `human`: also print a line
    /// per event on stderr; `log_dir`: per-node logs.
    pub fn new(
        command: &str,
        events: Option<Box<dyn Write + Send>>,
        human: bool,
        log_dir: Option<PathBuf>,
    ) -> Recorder {
        Recorder {
            command: command.into(),
            sink: Arc::new(Mutex::new(Sink { events, human, log_dir, errors: Vec::new(), progress: None })),
            nodes: Vec::new(),
            checks: Vec::new(),
        }
    }

    /// Shows a line per node in flight on the terminal (`main` asks for it only when
    /// stderr is a terminal and the output is the table).
    pub fn with_progress(self, progress: crate::progress::Progress) -> Recorder {
        self.sink().progress = Some(progress);
        self
    }

    /// Runs `f` with the progress display (if any) off the terminal: for a question or a
    /// table written straight to stderr. `f` must not record anything.
    pub fn suspend<R>(&self, f: impl FnOnce() -> R) -> R {
        let sink = self.sink();
        match &sink.progress {
            Some(p) => p.suspend(f),
            None => f(),
        }
    }

    /// A recorder for one node handled on another thread: same sink, its own results.
    pub fn fork(&self) -> Recorder {
        Recorder { command: self.command.clone(), sink: Arc::clone(&self.sink), nodes: Vec::new(), checks: Vec::new() }
    }

    /// Takes over the checks and node results of a fork, after those already here.
    pub fn absorb(&mut self, fork: Recorder) {
        self.nodes.extend(fork.nodes);
        self.checks.extend(fork.checks);
    }

    fn sink(&self) -> std::sync::MutexGuard<'_, Sink> {
        // A thread that panicked while holding the lock left whole lines behind (every
        // write is one line under the lock), so the sink is still usable.
        self.sink.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Emits one event: `{"event": kind, …fields}`.
    pub fn event(&mut self, kind: &str, node: Option<&str>, fields: Value) {
        let mut v = json!({"event": kind});
        if let Some(n) = node {
            v["node"] = json!(n);
        }
        if let (Some(obj), Value::Object(extra)) = (v.as_object_mut(), fields) {
            obj.extend(extra);
        }
        self.sink().write_event(&v, node);
    }

    /// Appends a line to the node's log file under `--log-dir`.
    pub fn log(&mut self, node: &str, line: &str) {
        self.sink().write_log(node, line);
    }

    /// Records a check.
    pub fn check(&mut self, c: CheckResult) {
        let fields = json!({"name": c.name, "status": c.status, "evidence": c.evidence});
        self.event("check", c.node.clone().as_deref(), fields);
        self.checks.push(c);
    }

    /// Records a node's result.
    pub fn node(&mut self, r: NodeReport) {
        self.event(
            "node",
            Some(r.node.as_str()),
            json!({"status": r.status, "message": r.message, "millis": r.millis}),
        );
        self.nodes.push(r);
    }

    /// The checks so far.
    pub fn checks(&self) -> &[CheckResult] {
        &self.checks
    }

    /// Problems with the event stream or the logs.
    pub fn errors(&self) -> Vec<String> {
        self.sink().errors.clone()
    }

    /// The final report.
    pub fn finish(&mut self) -> DeployReport {
        let outcome = outcome(&self.nodes, &self.checks);
        // The display goes before the last line, the report and the table are printed.
        if let Some(mut p) = self.sink().progress.take() {
            p.clear();
        }
        self.event("finished", None, json!({"outcome": outcome, "exitCode": exit_code(outcome)}));
        DeployReport {
            api_version: API_VERSION.into(),
            kind: "DeployReport".into(),
            command: self.command.clone(),
            outcome,
            nodes: self.nodes.clone(),
            checks: self.checks.clone(),
        }
    }
}

/// Checks as a table: status, node, name, evidence.
pub fn table(checks: &[CheckResult]) -> String {
    let w_node = checks.iter().map(|c| c.node.as_deref().unwrap_or("-").len()).max().unwrap_or(1).max(4);
    let w_name = checks.iter().map(|c| c.name.len()).max().unwrap_or(1).max(5);
    let mut s = format!("{:<6} {:<w_node$} {:<w_name$} {}\n", "STATUS", "NODE", "CHECK", "EVIDENCE");
    for c in checks {
        let status = match c.status {
            CheckStatus::Pass => "ok",
            CheckStatus::Fail => "FAIL",
            CheckStatus::Skip => "skip",
        };
        // Evidence comes from machines: one line, whatever it contains.
        let evidence = c.evidence.replace(['\n', '\r'], " ");
        s.push_str(&format!(
            "{status:<6} {:<w_node$} {:<w_name$} {evidence}\n",
            c.node.as_deref().unwrap_or("-"),
            c.name
        ));
    }
    s
}
