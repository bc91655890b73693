//! `render-flake` on its own: every file parses with the real nix-instantiate, the flake
//! pins the chosen nixpkgs release and wires n3x's and the third-party modules per node,
//! user-owned files survive re-rendering, and a host whose rendered files are missing
//! fails evaluation naming the command that renders them. (Whole trees, with every tool's
//! files, are evaluated in crates/n3x-e2e/tests/hosts.rs.)

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::Path;

use serde_json::json;

fn render_args(example: &str, out: &Path, extra: &[&str]) -> std::process::Output {
    let inv = n3x_testkit::repo_root().join("examples").join(example).join("inventory.yaml");
    assert_cmd::Command::cargo_bin("n3x-inventory")
        .unwrap()
        .arg("render-flake")
        .arg(&inv)
        .arg("--out")
        .arg(out)
        .args(extra)
        .output()
        .unwrap()
}

fn render(example: &str, out: &Path) -> n3x_core::Cluster {
    let st = render_args(example, out, &[]);
    assert!(st.status.success(), "{}", String::from_utf8_lossy(&st.stderr));
    let inv = n3x_testkit::repo_root().join("examples").join(example).join("inventory.yaml");
    let json =
        assert_cmd::Command::cargo_bin("n3x-inventory").unwrap().arg("normalize").arg(&inv).output().unwrap().stdout;
    serde_json::from_slice(&json).unwrap()
}

fn nix_files(dir: &Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            out.extend(nix_files(&p));
        } else if p.extension().is_some_and(|x| x == "nix") {
            out.push(p);
        }
    }
    out.sort();
    out
}

#[test]
fn every_file_parses_and_the_flake_pins_the_chosen_release() {
    let Some(nix) = n3x_testkit::require(n3x_testkit::NIX_INSTANTIATE) else { return };
    let mut checked = 0;
    for example in ["edge-lab", "single-node"] {
        let dir = tempfile::tempdir().unwrap();
        let c = render(example, dir.path());
        let files = nix_files(dir.path());
        // flake.nix, modules/local.nix, and default.nix + local.nix per node; no copy of nix/.
        assert_eq!(files.len(), 2 + 2 * c.nodes.len(), "{files:?}");
        assert!(!dir.path().join("nix").exists(), "the n3x modules come from the n3x input, not a copy");
        for f in &files {
            n3x_testkit::nix_parse(&nix, f);
            checked += 1;
        }
        // The flake as data: its inputs, evaluated by the real nix-instantiate.
        let flake = dir.path().join("flake.nix");
        let expr = format!("(import {}).inputs", flake.display());
        let out = std::process::Command::new(&nix).args(["--eval", "--strict", "--json", "--expr", &expr]).output();
        let out = out.unwrap();
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        let inputs: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        assert_eq!(inputs["nixpkgs"]["url"], json!("github:NixOS/nixpkgs/nixos-26.05"));
        assert_eq!(inputs["n3x"]["url"], json!(n3x_inventory::flake::DEFAULT_N3X_FLAKE));
        assert_eq!(inputs["n3x"]["inputs"]["nixpkgs"]["follows"], json!("nixpkgs"));
        let jetson = c.nodes.iter().any(|n| n.hardware == n3x_core::model::Hardware::JetsonOrinNano);
        assert_eq!(inputs.get("jetpack-nixos").is_some(), jetson, "{example}");
        let pi = c.nodes.iter().any(|n| n.hardware.boot() == n3x_core::model::Boot::RpiFirmware);
        assert_eq!(
            inputs.get("nixos-hardware").map(|h| h["url"].clone()),
            pi.then(|| json!(format!("github:NixOS/nixos-hardware/{}", n3x_inventory::flake::NIXOS_HARDWARE_REV)))
        );
        // stateVersion stays the inventory's, whatever release the flake pins.
        let host = std::fs::read_to_string(dir.path().join("hosts").join(c.nodes[0].name.as_str()).join("default.nix"));
        assert!(host.unwrap().contains(&format!("system.stateVersion = \"{}\";", c.state_version)));
    }
    assert!(checked >= 12, "{checked}");
}

#[test]
fn the_n3x_flake_url_is_a_flag() {
    let dir = tempfile::tempdir().unwrap();
    let st = render_args("single-node", dir.path(), &["--n3x-flake", "path:/src/n3x"]);
    assert!(st.status.success());
    let flake = std::fs::read_to_string(dir.path().join("flake.nix")).unwrap();
    assert!(flake.contains("n3x.url = \"path:/src/n3x\";"), "{flake}");
}

#[test]
fn re_rendering_keeps_the_users_local_nix_and_force_replaces_it() {
    let dir = tempfile::tempdir().unwrap();
    render("single-node", dir.path());
    let local = dir.path().join("hosts/nuc-1/local.nix");
    let cluster_local = dir.path().join("modules/local.nix");
    let stub = std::fs::read_to_string(&local).unwrap();
    assert!(stub.contains("never overwrites it"), "{stub}");
    let edit = "{ ... }:\n{\n  documentation.enable = true;\n}\n";
    std::fs::write(&local, edit).unwrap();
    std::fs::write(&cluster_local, edit).unwrap();
    // A generated file is rewritten; the user's files are not.
    let host = dir.path().join("hosts/nuc-1/default.nix");
    std::fs::write(&host, "stale").unwrap();
    let st = render_args("single-node", dir.path(), &[]);
    assert!(st.status.success());
    assert!(
        String::from_utf8_lossy(&st.stderr).contains("kept 2 user-owned"),
        "{}",
        String::from_utf8_lossy(&st.stderr)
    );
    assert_eq!(std::fs::read_to_string(&local).unwrap(), edit);
    assert_eq!(std::fs::read_to_string(&cluster_local).unwrap(), edit);
    assert_ne!(std::fs::read_to_string(&host).unwrap(), "stale");
    // --force is the only way to replace them.
    let st = render_args("single-node", dir.path(), &["--force"]);
    assert!(st.status.success());
    assert_eq!(std::fs::read_to_string(&local).unwrap(), stub);
}

#[test]
fn a_missing_rendered_file_fails_evaluation_naming_its_command() {
    let Some(nix) = n3x_testkit::require(n3x_testkit::NIX_INSTANTIATE) else { return };
    let dir = tempfile::tempdir().unwrap();
    render("single-node", dir.path());
    // Only render-flake ran: disko.nix is the first file the host imports.
    let err = n3x_testkit::nixos_eval::eval_cluster(&nix, dir.path()).unwrap_err();
    assert!(err.contains("hosts/nuc-1/disko.nix is missing"), "{err}");
    assert!(err.contains("n3x-disko render"), "{err}");
    assert!(err.contains("--out hosts"), "{err}");
}

#[test]
fn render_flake_is_deterministic_and_writes_nothing_on_bad_input() {
    let (a, b) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    render("edge-lab", a.path());
    render("edge-lab", b.path());
    let files = nix_files(a.path());
    assert_eq!(files.len(), 12);
    for f in files {
        let rel = f.strip_prefix(a.path()).unwrap();
        assert_eq!(std::fs::read(&f).unwrap(), std::fs::read(b.path().join(rel)).unwrap(), "{}", rel.display());
    }
    let out = tempfile::tempdir().unwrap();
    assert_cmd::Command::cargo_bin("n3x-inventory")
        .unwrap()
        .arg("render-flake")
        .arg("--out")
        .arg(out.path())
        .write_stdin("apiVersion: n3x.dev/v1alpha1\nkind: Inventory\ncluster: {name: x}\nnodes: []\n")
        .assert()
        .code(1);
    assert_eq!(std::fs::read_dir(out.path()).unwrap().count(), 0);
}

#[test]
fn an_end_of_life_release_is_refused_with_the_supported_ones() {
    let inv = std::fs::read_to_string(n3x_testkit::repo_root().join("examples/single-node/inventory.yaml")).unwrap();
    let inv = inv.replace("  timeZone: UTC\n", "  timeZone: UTC\n  nixpkgs: nixos-25.05\n");
    assert!(inv.contains("nixos-25.05"));
    let out = tempfile::tempdir().unwrap();
    let st = assert_cmd::Command::cargo_bin("n3x-inventory")
        .unwrap()
        .arg("render-flake")
        .arg("--out")
        .arg(out.path())
        .write_stdin(inv)
        .output()
        .unwrap();
    assert_eq!(st.status.code(), Some(1));
    assert!(st.stdout.is_empty());
    let err = String::from_utf8_lossy(&st.stderr);
    assert!(err.contains("cluster.nixpkgs") && err.contains("nixos-26.05"), "{err}");
    assert_eq!(std::fs::read_dir(out.path()).unwrap().count(), 0);
}
