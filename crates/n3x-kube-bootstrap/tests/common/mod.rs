//! Shared helpers of the integration tests: example inventories as JSON values that a
//! test can change, and running the real binary from the repository root.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::{Path, PathBuf};
use std::process::Output;

use assert_cmd::Command;
use serde_json::Value;

/// The examples with goldens.
pub const EXAMPLES: &[&str] = &["edge-lab", "single-node"];

pub fn root() -> PathBuf {
    n3x_testkit::repo_root()
}

/// `examples/<name>/inventory.yaml` relative to the repository root.
pub fn example_path(name: &str) -> String {
    format!("examples/{name}/inventory.yaml")
}

/// An example inventory as a JSON value.
pub fn example(name: &str) -> Value {
    let text = std::fs::read_to_string(root().join(example_path(name))).unwrap();
    serde_yaml::from_str(&text).unwrap()
}

/// The binary, run from the repository root.
pub fn bin() -> Command {
    let mut c = Command::cargo_bin("n3x-kube-bootstrap").unwrap();
    c.current_dir(root());
    c
}

/// Writes a JSON inventory into `dir` and returns its path.
pub fn write_inventory(dir: &Path, name: &str, inv: &Value) -> PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, serde_json::to_string_pretty(inv).unwrap()).unwrap();
    p
}

/// Runs validate-manifests on paths; returns None when the tool is missing (skip).
pub fn validate(paths: &[&Path]) -> Option<Output> {
    let tool = n3x_testkit::validate_manifests()?;
    Some(std::process::Command::new(tool).args(paths).output().unwrap())
}

/// Asserts validate-manifests accepts every document under the paths.
pub fn assert_valid(paths: &[&Path], what: &str) {
    if let Some(out) = validate(paths) {
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert!(
            out.status.success(),
            "validate-manifests rejected {what}:\n{stdout}\n{}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(stdout.contains(" 0 failed"), "{stdout}");
    }
}

/// Every file under `dir`, relative, sorted.
pub fn tree(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    fn walk(base: &Path, d: &Path, out: &mut Vec<PathBuf>) {
        for e in std::fs::read_dir(d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                walk(base, &p, out);
            } else {
                out.push(p.strip_prefix(base).unwrap().to_path_buf());
            }
        }
    }
    if dir.exists() {
        walk(dir, dir, &mut out);
    }
    out.sort();
    out
}

/// The YAML documents of a file, as JSON values.
pub fn yaml_docs(text: &str) -> Vec<Value> {
    serde_yaml::Deserializer::from_str(text)
        .map(|d| <Value as serde::Deserialize>::deserialize(d).unwrap())
        .filter(|v| !v.is_null())
        .collect()
}
