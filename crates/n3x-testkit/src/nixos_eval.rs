//! Evaluating rendered NixOS hosts without nixpkgs: the stand-in module evaluator in
//! `crates/n3x-testkit/nix/` (eval.nix: imports, mkIf/mkDefault/mkForce/mkMerge,
//! merging, n3x option types and defaults), fed with the option manifest as a trie.
//! What it does not cover compared with NixOS is written at the top of eval.nix and in
//! docs/nixos-modules.md. Never used by shipped code.

use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::{json, Map, Value};

use crate::{nixos_options, split_option_path};

/// The folder with the evaluator's Nix files.
pub fn nix_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("nix")
}

/// How definitions of an option with this manifest type merge in the evaluator.
pub fn merge_kind(ty: &str) -> &'static str {
    if ty.starts_with("coercedTo (listOf") {
        "coercedList"
    } else if ty.starts_with("listOf") || ty.starts_with("nonEmptyListOf") {
        "list"
    } else if ty == "lines" || ty == "nullOr lines" {
        "lines"
    } else if ty.starts_with("attrsOf") || ty == "attrs" || ty.starts_with("submodule") || ty.contains("formats.") {
        "attrs"
    } else if ty.starts_with("either") || ty == "anything" {
        "anything"
    } else {
        "unique"
    }
}

/// The project a manifest entry's `from` names (`nixpkgs`, `disko`, `sops-nix`,
/// `jetpack-nixos`, `nixos-hardware`, `comin`).
fn project(from: &str) -> String {
    let repo = from.split(':').next().unwrap_or(from);
    repo.rsplit('/').next().unwrap_or(repo).to_string()
}

fn is_container(ty: &str) -> bool {
    (ty.starts_with("attrsOf (submodule") || ty.starts_with("submodule")) && !ty.contains("freeformType")
}

/// The option manifest as the evaluator's trie: `{ c = { name = node; … }; leaf = null
/// | { merge; from; pattern; hasDefault; default; }; }`, with `<name>` for wildcard
/// segments. An entry is a leaf unless its type is a submodule container (then its
/// children are the entries below it), as in [`crate::check_option_paths`].
pub fn option_trie() -> Value {
    let options = nixos_options();
    let mut root = json!({"c": {}, "leaf": null});
    for (pattern, entry) in &options {
        let segs = split_option_path(pattern);
        if segs.iter().any(|s| s == "*") {
            continue; // inside a list of submodules, which is a leaf
        }
        let mut node = &mut root;
        for s in &segs {
            let key = if s.starts_with('<') && s.ends_with('>') { "<name>".to_string() } else { s.clone() };
            node = node["c"]
                .as_object_mut()
                .expect("trie node has children")
                .entry(key)
                .or_insert_with(|| json!({"c": {}, "leaf": null}));
        }
        let ty = entry.get("type").and_then(Value::as_str).unwrap_or("");
        if is_container(ty) {
            continue;
        }
        let mut leaf = Map::new();
        leaf.insert("merge".into(), json!(merge_kind(ty)));
        let from = entry.get("from").and_then(Value::as_str).unwrap_or("nixpkgs:");
        leaf.insert("from".into(), json!(project(from)));
        leaf.insert("pattern".into(), json!(segs.join(".")));
        if let Some(d) = entry.get("default") {
            leaf.insert("hasDefault".into(), json!(true));
            leaf.insert("default".into(), d.clone());
        }
        node["leaf"] = Value::Object(leaf);
    }
    // Entries under a leaf are not reachable as options; drop their nodes so a
    // definition below a leaf is merged as the leaf's value.
    fn prune(node: &mut Value) {
        if node["leaf"].is_object() {
            node["c"] = json!({});
        }
        if let Some(c) = node["c"].as_object_mut() {
            c.values_mut().for_each(prune);
        }
    }
    prune(&mut root);
    root
}

fn run(nix: &Path, expr: &str) -> Result<Value, String> {
    let out = Command::new(nix)
        .args(["--eval", "--strict", "--json", "--expr", expr])
        .env("NIX_STATE_DIR", std::env::temp_dir().join("n3x-nix-state"))
        .output()
        .map_err(|e| format!("run nix-instantiate: {e}"))?;
    if !out.status.success() {
        return Err(String::from_utf8_lossy(&out.stderr).into_owned());
    }
    serde_json::from_slice(&out.stdout).map_err(|e| format!("nix-instantiate printed no JSON: {e}"))
}

fn nix_path(p: &Path) -> String {
    // Paths in the expression are absolute and canonical (a Nix path literal).
    p.canonicalize().unwrap_or_else(|e| panic!("{}: {e}", p.display())).display().to_string()
}

/// Evaluates every host of the cluster flake in `cluster_dir` (rendered by
/// `render-flake` with the n3x flake as input) through the stand-in evaluator, with the
/// repository's own flake.nix as the `n3x` input. Returns `{ inputs, hosts: { <node>: {
/// defined, unknown } } }`, or nix-instantiate's error text.
pub fn eval_cluster(nix: &Path, cluster_dir: &Path) -> Result<Value, String> {
    let trie = tempfile::NamedTempFile::new().expect("temporary file");
    std::fs::write(trie.path(), option_trie().to_string()).expect("write the option trie");
    let expr = format!(
        "import {}/cluster.nix {{ clusterDir = {}; n3xDir = {}; trieFile = {}; }}",
        nix_path(&nix_dir()),
        nix_path(cluster_dir),
        nix_path(&crate::repo_root()),
        nix_path(trie.path()),
    );
    run(nix, &expr)
}

/// The n3x modules' option declarations (`n3x.*`), for the generated docs page.
pub fn n3x_option_declarations(nix: &Path) -> Value {
    let expr =
        format!("import {}/options-doc.nix {{ n3xDir = {}; }}", nix_path(&nix_dir()), nix_path(&crate::repo_root()));
    run(nix, &expr).unwrap_or_else(|e| panic!("evaluating the n3x option declarations failed:\n{e}"))
}
