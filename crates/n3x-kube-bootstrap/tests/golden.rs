//! Golden outputs per example, in all three forms, checked byte for byte and by the
//! real tools: validate-manifests on the manifests, nix-instantiate (--parse and
//! --eval --strict --json) on the modules, whose evaluated `content` must equal the
//! YAML documents of the same file. Regenerate with N3X_UPDATE_GOLDEN=1.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::path::{Path, PathBuf};

use common::*;
use serde_json::Value;

fn golden_dir(example: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/golden").join(example)
}

/// Renders an example in every form into `out` (bootstrap.yaml, manifests/, nix/).
fn render_all(example: &str, out: &Path) {
    let input = example_path(example);
    bin().args(["render", &input, "-o"]).arg(out.join("bootstrap.yaml")).assert().success();
    bin().args(["render", &input, "--format", "dir", "--out"]).arg(out.join("manifests")).assert().success();
    bin().args(["render", &input, "--format", "nix", "--out"]).arg(out.join("nix")).assert().success();
}

#[test]
fn goldens_match_and_pass_the_real_tools() {
    let update = std::env::var_os("N3X_UPDATE_GOLDEN").is_some_and(|v| v == "1");
    for example in EXAMPLES {
        let tmp = tempfile::tempdir().unwrap();
        render_all(example, tmp.path());
        let golden = golden_dir(example);
        if update {
            let _ = std::fs::remove_dir_all(&golden);
            for rel in tree(tmp.path()) {
                let dst = golden.join(&rel);
                std::fs::create_dir_all(dst.parent().unwrap()).unwrap();
                std::fs::copy(tmp.path().join(&rel), dst).unwrap();
            }
        }
        let got = tree(tmp.path());
        let want = tree(&golden);
        assert_eq!(
            got, want,
            "{example}: the set of files differs from tests/golden (N3X_UPDATE_GOLDEN=1 regenerates)"
        );
        for rel in &got {
            let a = std::fs::read_to_string(tmp.path().join(rel)).unwrap();
            let b = std::fs::read_to_string(golden.join(rel)).unwrap();
            assert!(a == b, "{example}/{}: differs from the golden (N3X_UPDATE_GOLDEN=1 regenerates)", rel.display());
        }
        check_golden(example, &golden);
    }
}

/// The real-tool checks of one example's goldens.
fn check_golden(example: &str, golden: &Path) {
    // The stream and the folder hold the same objects in the same order.
    let stream = yaml_docs(&std::fs::read_to_string(golden.join("bootstrap.yaml")).unwrap());
    let mut files: Vec<PathBuf> = tree(&golden.join("manifests"));
    files.sort();
    let mut from_dir = Vec::new();
    for f in &files {
        from_dir.extend(yaml_docs(&std::fs::read_to_string(golden.join("manifests").join(f)).unwrap()));
    }
    assert_eq!(stream, from_dir, "{example}: bootstrap.yaml and manifests/ disagree");

    assert_valid(&[&golden.join("manifests")], &format!("{example} manifests"));
    assert_valid(&[&golden.join("bootstrap.yaml")], &format!("{example} stream"));

    let Some(nix) = n3x_testkit::require(n3x_testkit::NIX_INSTANTIATE) else { return };
    let modules = tree(&golden.join("nix"));
    assert!(!modules.is_empty(), "{example}: no Nix module");
    for m in modules {
        let path = golden.join("nix").join(&m);
        n3x_testkit::nix_parse(&nix, &path);
        let json = n3x_testkit::nix_eval_json(&nix, &path);
        let manifests = &json["services"]["k3s"]["manifests"];
        let Value::Object(entries) = manifests else { panic!("{}: services.k3s.manifests is not a set", m.display()) };
        assert_eq!(entries.len(), files.len(), "{}: one manifest entry per file", m.display());
        for f in &files {
            let stem = f.to_string_lossy().trim_end_matches(".yaml").to_string();
            let entry = &entries[&stem];
            assert_eq!(entry["target"], Value::String(f.to_string_lossy().into_owned()), "{stem}");
            let docs = yaml_docs(&std::fs::read_to_string(golden.join("manifests").join(f)).unwrap());
            let content = match &entry["content"] {
                Value::Array(items) => items.clone(),
                one => vec![one.clone()],
            };
            assert_eq!(content, docs, "{}: content of {stem} differs from manifests/{}", m.display(), f.display());
        }
    }
}

#[test]
fn output_is_deterministic() {
    for example in EXAMPLES {
        let a = bin().args(["render", &example_path(example)]).output().unwrap();
        let b = bin().args(["render", &example_path(example)]).output().unwrap();
        assert!(a.status.success());
        assert_eq!(a.stdout, b.stdout, "{example}");
    }
}

/// Every option path the modules set exists in the NixOS/sops-nix option manifest
/// (`reference/nixos-options.json`), with `<name>` for attribute-set members.
#[test]
fn module_option_paths_exist() {
    let known = n3x_testkit::nixos_options();
    for path in [
        "services.k3s.manifests",
        "services.k3s.manifests.<name>.target",
        "services.k3s.manifests.<name>.content",
        "sops.secrets",
        "sops.templates",
        "sops.templates.<name>.path",
        "sops.templates.<name>.content",
    ] {
        assert!(known.contains_key(path), "{path} is not in nixos-options.json");
    }
    // And those are all the module sets: the evaluated golden has no other top-level path.
    let Some(nix) = n3x_testkit::require(n3x_testkit::NIX_INSTANTIATE) else { return };
    for example in EXAMPLES {
        for m in tree(&golden_dir(example).join("nix")) {
            let json = n3x_testkit::nix_eval_json(&nix, &golden_dir(example).join("nix").join(&m));
            let unknown = n3x_testkit::unknown_option_paths(&json, &[]);
            assert!(unknown.is_empty(), "{}: options not in nixos-options.json: {unknown:?}", m.display());
            let top: Vec<&String> = json.as_object().unwrap().keys().collect();
            assert_eq!(top, ["services"], "{}", m.display());
            let services: Vec<&String> = json["services"].as_object().unwrap().keys().collect();
            assert_eq!(services, ["k3s"]);
            let k3s: Vec<&String> = json["services"]["k3s"].as_object().unwrap().keys().collect();
            assert_eq!(k3s, ["manifests"]);
            for (name, entry) in json["services"]["k3s"]["manifests"].as_object().unwrap() {
                let mut keys: Vec<&String> = entry.as_object().unwrap().keys().collect();
                keys.sort();
                assert_eq!(keys, ["content", "target"], "{name}");
            }
        }
    }
}
