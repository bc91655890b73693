//! Regression (issue 11): a tool run directly with an absolute input path wrote that path
//! into the header of every file it generated, so two people rendering the same cluster
//! from different checkouts got different bytes. Every tool that writes headers is run
//! here the way a person would, with absolute paths for input and output, and no
//! generated file may contain the absolute folder (`n3x_core::io::header_input_name`).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::Path;
use std::process::Command;

fn run(bin: &Path, args: &[&str]) {
    let out = Command::new(bin).args(args).output().unwrap();
    assert!(out.status.success(), "{} {args:?}: {}", bin.display(), String::from_utf8_lossy(&out.stderr));
}

fn files(dir: &Path, out: &mut Vec<std::path::PathBuf>) {
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            files(&p, out);
        } else {
            out.push(p);
        }
    }
}

#[test]
fn tools_run_with_absolute_paths_write_no_absolute_path_into_headers() {
    let bin = n3x_testkit::workspace_binaries();
    let root = n3x_testkit::repo_root();
    let tmp = tempfile::tempdir().unwrap();
    let abs = tmp.path().canonicalize().unwrap();
    let s = |p: &str| abs.join(p).to_str().unwrap().to_string();
    let inventory = root.join("examples/edge-lab/inventory.yaml");
    run(&bin.join("n3x-inventory"), &["normalize", inventory.to_str().unwrap(), "-o", &s("cluster.json")]);
    let cluster = s("cluster.json");
    run(&bin.join("n3x-disko"), &["render", &cluster, "--out", &s("out/hosts")]);
    run(&bin.join("n3x-netplan"), &["render", &cluster, "--format", "nix", "--out", &s("out/hosts")]);
    run(&bin.join("n3x-kube-bootstrap"), &["render", &cluster, "--format", "dir", "--out", &s("out/manifests")]);
    run(&bin.join("n3x-kube-bootstrap"), &["render", &cluster, "--format", "nix", "--out", &s("out/hosts")]);
    run(&bin.join("n3x-secrets"), &["sops-config", &cluster, "-o", &s("out/.sops.yaml")]);
    run(&bin.join("n3x-secrets"), &["render-nix", &cluster, "--out", &s("out/hosts")]);
    run(&bin.join("n3x-inventory"), &["render-flake", &cluster, "--out", &s("out")]);

    let mut all = Vec::new();
    files(&abs.join("out"), &mut all);
    let needle = abs.to_str().unwrap();
    let mut checked = 0;
    for f in &all {
        let text = std::fs::read_to_string(f).unwrap();
        assert!(!text.contains(needle), "{} names the absolute folder {needle}:\n{text}", f.display());
        checked += 1;
    }
    // edge-lab: 3 nodes with disko, disk-extra, network, secrets, default.nix each; the
    // manifests; flake.nix and .sops.yaml.
    assert!(checked >= 20, "only {checked} files written");
    // The input one level above the output folder is named relative to it; deeper
    // output folders (out/hosts/…) get the file name.
    let flake = std::fs::read_to_string(abs.join("out/flake.nix")).unwrap();
    assert!(flake.contains("../cluster.json"), "{}", flake.lines().next().unwrap_or_default());
    let sops = std::fs::read_to_string(abs.join("out/.sops.yaml")).unwrap();
    assert!(sops.contains("../cluster.json"), "{}", sops.lines().next().unwrap_or_default());
}
