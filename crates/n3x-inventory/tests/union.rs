//! `check` is the gate: for every example and every broken inventory of the corpus,
//! what `n3x-inventory check` reports must include everything the tools report when
//! run on the same file — `n3x-disko plan`, `n3x-netplan plan`,
//! `n3x-kube-bootstrap render` and `n3x-secrets sops-config` (the real binaries) —
//! and every error a tool reports must make `check` fail too. Each finding is compared
//! as printed (`error: FILE:LINE:COL: PATH: MESSAGE`), without the tool's name.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::{Path, PathBuf};
use std::process::Command;

/// Builds the tools' binaries (a no-op when they are fresh) and returns their folder.
fn bin_dir() -> PathBuf {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let st = Command::new(cargo)
        .current_dir(&root)
        .args([
            "build",
            "-p",
            "n3x-inventory",
            "-p",
            "n3x-disko",
            "-p",
            "n3x-netplan",
            "-p",
            "n3x-kube-bootstrap",
            "-p",
            "n3x-secrets",
            "--bins",
        ])
        .status()
        .unwrap();
    assert!(st.success(), "building the tools failed");
    let target = std::env::var_os("CARGO_TARGET_DIR").map(PathBuf::from).unwrap_or_else(|| root.join("target"));
    let target = if target.is_absolute() { target } else { root.join(target) };
    target.join("debug")
}

/// The findings a tool printed: `error: …` and `warning: …` lines without the tool name.
fn findings(tool: &str, stderr: &str) -> Vec<String> {
    let prefix = format!("{tool}: ");
    stderr
        .lines()
        .filter_map(|l| l.strip_prefix(&prefix))
        .filter(|l| l.starts_with("error: ") || l.starts_with("warning: "))
        .map(str::to_string)
        .collect()
}

/// A finding about the document's kind names the kinds each tool reads, so the same
/// problem is worded per tool: compare those by place only.
fn is_kind_finding(f: &str) -> bool {
    f.contains(": kind: ") || f.contains("expected a mapping (a ")
}

fn place(f: &str) -> &str {
    // `error: FILE:LINE:COL: …` → `error: FILE:LINE:COL`
    let mut parts = f.splitn(3, ": ");
    let (a, b) = (parts.next().unwrap_or(""), parts.next().unwrap_or(""));
    &f[..(a.len() + 2 + b.len()).min(f.len())]
}

fn inputs() -> Vec<(PathBuf, String)> {
    let crate_dir = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut out = Vec::new();
    for ex in ["edge-lab", "single-node"] {
        out.push((crate_dir.join("../../examples").join(ex), "inventory.yaml".to_string()));
    }
    let bad = crate_dir.join("tests/bad");
    let mut names: Vec<String> = std::fs::read_dir(&bad)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".yaml"))
        .collect();
    names.sort();
    for n in names {
        out.push((bad.clone(), n));
    }
    out
}

#[test]
fn check_reports_at_least_the_union_of_what_the_tools_report() {
    let bin = bin_dir();
    let tools: [(&str, &[&str]); 4] = [
        ("n3x-disko", &["plan"]),
        ("n3x-netplan", &["plan"]),
        ("n3x-kube-bootstrap", &["render"]),
        ("n3x-secrets", &["sops-config"]),
    ];
    let mut failures = Vec::new();
    let mut compared = 0;
    let mut tool_findings = 0;
    let cases = inputs();
    for (dir, file) in &cases {
        let run = |tool: &str, args: &[&str]| {
            Command::new(bin.join(tool)).current_dir(dir).args(args).arg(file).output().unwrap()
        };
        let check = run("n3x-inventory", &["check"]);
        let check_stderr = String::from_utf8_lossy(&check.stderr).into_owned();
        let have = findings("n3x-inventory", &check_stderr);
        // Not an Inventory at all: a tool that reads the other kind (a NetworkPlan)
        // reports on that document instead; check must only reject it.
        let not_an_inventory = have.iter().any(|f| is_kind_finding(f) && f.contains(": kind: "));
        for (tool, args) in tools {
            let out = run(tool, args);
            let stderr = String::from_utf8_lossy(&out.stderr);
            let theirs = findings(tool, &stderr);
            tool_findings += theirs.len();
            for f in &theirs {
                let covered = have.contains(f)
                    || (is_kind_finding(f) && have.iter().any(|h| is_kind_finding(h) && place(h) == place(f)))
                    || not_an_inventory;
                if !covered {
                    failures.push(format!("{file}: {tool} reports\n    {f}\n  but check does not:\n{check_stderr}"));
                }
            }
            if out.status.code() == Some(1)
                && theirs.iter().any(|f| f.starts_with("error: "))
                && check.status.code() != Some(1)
            {
                failures.push(format!("{file}: {tool} rejects it but check exits {:?}", check.status.code()));
            }
            compared += 1;
        }
    }
    assert_eq!(compared, cases.len() * 4, "every input against every tool");
    assert!(cases.len() >= 100, "the examples and the whole corpus, found {}", cases.len());
    assert!(tool_findings > cases.len(), "the tools reported findings to compare ({tool_findings})");
    assert!(failures.is_empty(), "{} difference(s):\n{}", failures.len(), failures.join("\n"));
}
