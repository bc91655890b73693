//! The progress display on a terminal: one line per node in flight, with the step it is
//! in and how long it has been at it, drawn on stderr by indicatif above nothing else
//! (the human event lines are printed above it, the report goes to stdout afterwards).
//!
//! Only `main` decides whether there is one: never when stderr is not a terminal or the
//! output is `--format json`, so the event stream and the report stay byte-clean. What a
//! line says is a pure function of the events ([`status_of`]); this module draws it.

use std::collections::BTreeMap;
use std::time::Duration;

use indicatif::{MultiProgress, ProgressBar, ProgressDrawTarget, ProgressStyle};
use serde_json::Value;

/// What an event does to the display.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Change {
    /// The node is in flight; its line now says this.
    Show {
        /// Node name.
        node: String,
        /// The line's text (one line, no control characters).
        text: String,
    },
    /// The node is finished: its line goes away (its result is a human line above).
    Done {
        /// Node name.
        node: String,
    },
    /// Nothing to show.
    None,
}

/// One line of text from machine-supplied strings: control characters become spaces.
fn one_line(s: &str) -> String {
    s.chars().map(|c| if c.is_control() { ' ' } else { c }).collect()
}

/// What an event of the stream (as the recorder writes it) does to the display.
pub fn status_of(event: &Value) -> Change {
    let Some(node) = event.get("node").and_then(Value::as_str) else { return Change::None };
    let kind = event.get("event").and_then(Value::as_str).unwrap_or_default();
    let msg = event.get("message").and_then(Value::as_str).map(one_line).unwrap_or_default();
    let text = match kind {
        "node" => return Change::Done { node: node.into() },
        "step" => {
            let step = event.get("step").and_then(Value::as_str).unwrap_or_default();
            format!("{}: {msg}", one_line(step))
        }
        "check" => {
            let name = event.get("name").and_then(Value::as_str).unwrap_or_default();
            let status = event.get("status").and_then(Value::as_str).unwrap_or_default();
            format!("check {}: {status}", one_line(name))
        }
        _ if msg.is_empty() => one_line(kind),
        _ => format!("{}: {msg}", one_line(kind)),
    };
    Change::Show { node: node.into(), text }
}

/// The lines on the terminal, one per node in flight.
pub struct Progress {
    multi: MultiProgress,
    bars: BTreeMap<String, ProgressBar>,
    style: ProgressStyle,
}

impl std::fmt::Debug for Progress {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Progress").field("nodes", &self.bars.keys().collect::<Vec<_>>()).finish()
    }
}

impl Progress {
    /// A display on stderr (indicatif draws nothing when stderr is not a terminal).
    pub fn stderr() -> Progress {
        Progress::with_target(ProgressDrawTarget::stderr())
    }

    /// A display on any target (tests draw into a buffer).
    pub fn with_target(target: ProgressDrawTarget) -> Progress {
        // The template is a constant that parses; the fallback only keeps this panic-free.
        let style = ProgressStyle::with_template("{spinner} {prefix} {elapsed:>4} {wide_msg}")
            .unwrap_or_else(|_| ProgressStyle::default_spinner());
        Progress { multi: MultiProgress::with_draw_target(target), bars: BTreeMap::new(), style }
    }

    /// Follows one event.
    pub fn event(&mut self, event: &Value) {
        match status_of(event) {
            Change::Show { node, text } => {
                let bar = self.bars.entry(node.clone()).or_insert_with(|| {
                    let b = self.multi.add(ProgressBar::new_spinner().with_style(self.style.clone()));
                    b.set_prefix(node);
                    b.enable_steady_tick(Duration::from_millis(200));
                    b
                });
                bar.set_message(text);
            }
            Change::Done { node } => {
                if let Some(b) = self.bars.remove(&node) {
                    b.finish_and_clear();
                    self.multi.remove(&b);
                }
            }
            Change::None => {}
        }
    }

    /// Prints a whole line above the display.
    pub fn println(&self, line: &str) {
        // The terminal went away: the event stream and the report still carry everything.
        let _ = self.multi.println(line);
    }

    /// Runs `f` with the display taken off the terminal (a question, a table).
    pub fn suspend<R>(&self, f: impl FnOnce() -> R) -> R {
        self.multi.suspend(f)
    }

    /// Removes every line.
    pub fn clear(&mut self) {
        for (_, b) in std::mem::take(&mut self.bars) {
            b.finish_and_clear();
            self.multi.remove(&b);
        }
        let _ = self.multi.clear();
    }
}

impl Drop for Progress {
    fn drop(&mut self) {
        self.clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_node_in_flight_shows_its_step_and_goes_away_when_done() {
        let cases = [
            (
                json!({"event": "step", "node": "n100-2", "step": "build", "message": "nix build .#x"}),
                Change::Show { node: "n100-2".into(), text: "build: nix build .#x".into() },
            ),
            (
                json!({"event": "check", "node": "n100-2", "name": "node-ready", "status": "pass", "evidence": "Ready=True"}),
                Change::Show { node: "n100-2".into(), text: "check node-ready: pass".into() },
            ),
            (
                json!({"event": "lost", "node": "n100-2", "message": "no confirmation\nwithin 3 s"}),
                Change::Show { node: "n100-2".into(), text: "lost: no confirmation within 3 s".into() },
            ),
            (json!({"event": "node", "node": "n100-2", "status": "done"}), Change::Done { node: "n100-2".into() }),
            (json!({"event": "wave", "wave": "agents-1", "message": "wave agents-1"}), Change::None),
            (json!({"event": "finished", "outcome": "succeeded"}), Change::None),
        ];
        let mut checked = 0;
        for (event, want) in &cases {
            assert_eq!(&status_of(event), want, "{event}");
            checked += 1;
        }
        assert_eq!(checked, 6);
    }

    #[test]
    fn hidden_target_draws_nothing_and_tracks_nodes() {
        let mut p = Progress::with_target(ProgressDrawTarget::hidden());
        p.event(&json!({"event": "step", "node": "a", "step": "build", "message": ""}));
        p.event(&json!({"event": "step", "node": "b", "step": "copy", "message": ""}));
        assert_eq!(p.bars.keys().collect::<Vec<_>>(), ["a", "b"]);
        p.event(&json!({"event": "node", "node": "a"}));
        assert_eq!(p.bars.keys().collect::<Vec<_>>(), ["b"]);
        p.clear();
        assert!(p.bars.is_empty());
    }
}
