//! The bad-input corpus: every file in `tests/bad/` is a broken inventory whose
//! header says what `check` must report (`# expect:`), where (`# at: LINE:COL`) and
//! with which extra arguments (`# args:`). Each must exit 1 with that message at that
//! location, print nothing on stdout, and never panic. Bad CSV rows are in `csv.rs`.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::Path;

use assert_cmd::Command;

struct Case {
    file: String,
    expect: String,
    at: String,
    args: Vec<String>,
}

fn cases() -> Vec<Case> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/bad");
    let mut out = Vec::new();
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        let text = std::fs::read_to_string(&path).unwrap();
        let header = |key: &str| {
            text.lines()
                .find_map(|l| l.strip_prefix(&format!("# {key}:")))
                .map(|v| v.trim().to_string())
                .unwrap_or_else(|| panic!("{} has no '# {key}:' line", path.display()))
        };
        out.push(Case {
            file: path.file_name().unwrap().to_string_lossy().into_owned(),
            expect: header("expect"),
            at: header("at"),
            args: header("args").split_whitespace().map(str::to_string).collect(),
        });
    }
    out.sort_by(|a, b| a.file.cmp(&b.file));
    out
}

#[test]
fn corpus_is_large_enough() {
    // 64 from the first corpus plus at least 30 for the cross-node rules of issue 10.
    assert!(cases().len() >= 94, "at least 94 broken inventories, found {}", cases().len());
}

#[test]
fn every_broken_inventory_is_rejected_precisely() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/bad");
    let mut failures = Vec::new();
    for case in cases() {
        let out = Command::cargo_bin("n3x-inventory")
            .unwrap()
            .current_dir(&dir)
            .arg("check")
            .args(&case.args)
            .arg(&case.file)
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        let location = format!("{}:{}: ", case.file, case.at);
        let mut problems = Vec::new();
        if out.status.code() != Some(1) {
            problems.push(format!("exit code {:?}, expected 1", out.status.code()));
        }
        if !stderr.contains(&case.expect) {
            problems.push(format!("message {:?} missing", case.expect));
        }
        if !stderr.contains(&location) {
            problems.push(format!("location {location:?} missing"));
        }
        if stderr.contains("panicked") || stderr.contains("RUST_BACKTRACE") {
            problems.push("panicked".into());
        }
        if !out.stdout.is_empty() {
            problems.push("wrote to stdout".into());
        }
        if !problems.is_empty() {
            failures.push(format!("{}: {}\n{stderr}", case.file, problems.join("; ")));
        }
    }
    assert!(failures.is_empty(), "{} case(s) failed:\n{}", failures.len(), failures.join("\n"));
}

#[test]
fn all_problems_are_reported_in_one_run() {
    let text = "apiVersion: n3x.dev/v1alpha1\nkind: Inventory\ncluster: {name: lab}\nnetworks:\n  cluster: {cidr: 192.168.10.0/24}\nnodes:\n  - {name: a, role: worker, addresses: {cluster: 192.168.10.5}}\n  - {name: b, role: server, addresses: {cluster: 192.168.10.6}, disk: {size: 1XB}}\n  - {name: c, role: server, addresses: {cluster: 192.168.10.7}, hostname: c}\n";
    let out = Command::cargo_bin("n3x-inventory").unwrap().arg("check").write_stdin(text).output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("<stdin>:7:"), "{stderr}");
    assert!(stderr.contains("nodes[0].role: unknown value \"worker\""), "{stderr}");
    assert!(stderr.contains("nodes[1].disk.size"), "{stderr}");
    assert!(stderr.contains("nodes[2].hostname: unknown field \"hostname\""), "{stderr}");
    assert!(stderr.contains("rejected: 3 errors"), "{stderr}");
}

#[test]
fn semantic_problems_are_all_reported_together() {
    let text = "apiVersion: n3x.dev/v1alpha1\nkind: Inventory\ncluster: {name: lab}\nnetworks:\n  cluster: {cidr: 192.168.10.0/24}\nnodes:\n  - {name: a, role: agent, addresses: {cluster: 192.168.11.5}}\n  - {name: a, role: agent, addresses: {cluster: 192.168.10.6}}\n";
    let out = Command::cargo_bin("n3x-inventory").unwrap().arg("check").write_stdin(text).output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1));
    for want in ["is outside network \"cluster\"", "duplicate node name \"a\"", "the cluster has no server"] {
        assert!(stderr.contains(want), "missing {want:?} in:\n{stderr}");
    }
}

#[test]
fn two_unknown_fields_in_one_section_are_both_reported() {
    let text = "apiVersion: n3x.dev/v1alpha1\nkind: Inventory\ncluster: {name: lab}\nnetworks:\n  cluster: {cidr: 192.168.10.0/24}\nnodes:\n  - name: a\n    role: server\n    addresses: {cluster: 192.168.10.5}\n    disk: {size: 512GB, mountpoints: /, fstype: ext4}\n";
    let out = Command::cargo_bin("n3x-inventory").unwrap().arg("check").write_stdin(text).output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("<stdin>:10:25: nodes[0].disk.mountpoints: unknown field \"mountpoints\""), "{stderr}");
    assert!(stderr.contains("<stdin>:10:41: nodes[0].disk.fstype: unknown field \"fstype\""), "{stderr}");
    assert!(out.stdout.is_empty());
}

#[test]
fn a_structural_error_does_not_hide_semantic_or_tool_errors() {
    // A typo in node a's disk, a duplicate address on node b, and a disk too small for
    // its layout on node c (only n3x-disko's planner knows that): all three in one run.
    let text = "apiVersion: n3x.dev/v1alpha1\nkind: Inventory\ncluster: {name: lab}\nnetworks:\n  cluster: {cidr: 192.168.10.0/24}\nnodes:\n  - {name: a, role: server, addresses: {cluster: 192.168.10.5}, disk: {size: 512GB, sise: 1G}}\n  - {name: b, role: agent, addresses: {cluster: 192.168.10.5}, disk: {size: 512GB}}\n  - {name: c, role: agent, addresses: {cluster: 192.168.10.7}, disk: {size: 4GB}}\n";
    let out = Command::cargo_bin("n3x-inventory").unwrap().arg("check").write_stdin(text).output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    for want in [
        "<stdin>:7:", // the typo, located
        "nodes[0].disk.sise: unknown field \"sise\"",
        "nodes[1].addresses.cluster: address 192.168.10.5 is already used by node \"a\"",
        "nodes[2].disk",
    ] {
        assert!(stderr.contains(want), "missing {want:?} in:\n{stderr}");
    }
    assert!(stderr.lines().filter(|l| l.contains("nodes[2].disk")).count() >= 1, "{stderr}");
    // Each finding once.
    let mut lines: Vec<&str> = stderr.lines().filter(|l| l.contains(": error: ")).collect();
    let n = lines.len();
    lines.sort_unstable();
    lines.dedup();
    assert_eq!(lines.len(), n, "a finding was printed twice:\n{stderr}");
}
