//! The whole pipeline, as a user runs it: `scripts/demo` (a thin wrapper over
//! `scripts/render`) on examples/edge-lab with the
//! workspace's own binaries, then every output checked with the real tools and against
//! the other tools' outputs:
//! - every `.nix` file parses, and every option path each host file sets exists in the
//!   NixOS option reference;
//! - the pieces agree: the host module, network.nix (`--node-ip`), secrets.nix
//!   (`tokenFile`) and k3s-manifests.nix (servers only) describe the same node;
//! - the manifests pass validate-manifests;
//! - the encrypted secrets open with the real sops and the demo key, and no secret
//!   value appears in any other file.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::{Path, PathBuf};
use std::process::Command;

fn files_under(dir: &Path, ext: &str) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let Ok(entries) = std::fs::read_dir(dir) else { return out };
    for e in entries {
        let p = e.unwrap().path();
        if p.file_name().is_some_and(|n| n == ".git") {
            continue;
        }
        if p.is_dir() {
            out.extend(files_under(&p, ext));
        } else if ext.is_empty() || p.extension().is_some_and(|x| x == ext) {
            out.push(p);
        }
    }
    out.sort();
    out
}

/// The workspace's binaries (built once; see `n3x_testkit::workspace_binaries`).
fn binaries() -> PathBuf {
    n3x_testkit::workspace_binaries()
}

#[test]
fn demo_pipeline_output_is_consistent_and_valid() {
    let (Some(nix), Some(validate), Some(sops)) =
        (n3x_testkit::require(n3x_testkit::NIX_INSTANTIATE), n3x_testkit::validate_manifests(), n3x_testkit::sops())
    else {
        return;
    };
    let bin = binaries();
    let out = tempfile::tempdir().unwrap();
    // The throwaway admin identity lives outside the output folder.
    let keys = tempfile::tempdir().unwrap();
    let key = keys.path().join("admin-key.txt");
    let root = n3x_testkit::repo_root();
    let demo = Command::new("bash")
        .arg(root.join("scripts/demo"))
        .env("BIN", &bin)
        .env("OUT", out.path())
        .env("REPO", &root)
        .env("N3X_ADMIN_IDENTITY", &key)
        .output()
        .unwrap();
    assert!(
        demo.status.success(),
        "demo failed:\n{}\n{}",
        String::from_utf8_lossy(&demo.stdout),
        String::from_utf8_lossy(&demo.stderr)
    );
    let out = out.path();
    let cluster: n3x_core::Cluster =
        serde_json::from_str(&std::fs::read_to_string(out.join("cluster.json")).unwrap()).unwrap();

    // Every Nix file parses.
    let nix_files = files_under(out, "nix");
    assert!(nix_files.len() > 20, "the demo wrote only {} .nix files", nix_files.len());
    for f in &nix_files {
        n3x_testkit::nix_parse(&nix, f);
    }

    // Per host: the files evaluate, set only known options, and agree with each other.
    for n in &cluster.nodes {
        let host = out.join("hosts").join(n.name.as_str());
        let eval = |file: &str| {
            let p = host.join(file);
            assert!(p.is_file(), "{} is missing", p.display());
            n3x_testkit::nix_eval_json(&nix, &p)
        };
        let mut expected = vec!["default.nix", "disko.nix", "disk-extra.nix", "network.nix", "secrets.nix"];
        if n.role == n3x_core::model::Role::Server {
            expected.push("k3s-manifests.nix");
        } else {
            assert!(!host.join("k3s-manifests.nix").exists(), "{}: agents get no manifests", n.name);
        }
        for file in expected {
            let v = eval(file);
            // n3x.* options are declared by n3x's own modules (checked by tests/hosts.rs).
            let unknown = n3x_testkit::unknown_option_paths(&v, &["imports", "n3x"]);
            assert!(unknown.is_empty(), "{}/{file}: unknown option paths {unknown:?}", n.name);
        }
        let network = eval("network.nix");
        let flags: Vec<String> = network["services"]["k3s"]["extraFlags"]
            .as_array()
            .map(|a| a.iter().map(|f| f.as_str().unwrap().to_string()).collect())
            .unwrap_or_default();
        assert!(flags.contains(&format!("--node-ip={}", n.node_ip.unwrap())), "{}: {flags:?}", n.name);
        assert!(flags.iter().any(|f| f == &format!("--flannel-iface={}", n.network.primary)), "{}: {flags:?}", n.name);
        let secrets_nix = std::fs::read_to_string(host.join("secrets.nix")).unwrap();
        assert!(secrets_nix.contains("tokenFile"), "{}: secrets.nix sets no k3s tokenFile", n.name);
        let default = eval("default.nix");
        assert_eq!(default["n3x"]["role"], serde_json::json!(n.role.as_str()));
        let disko = eval("disko.nix");
        assert!(disko["disko"]["devices"]["disk"].as_object().is_some_and(|d| !d.is_empty()), "{}: no disks", n.name);
    }

    // The manifests pass the validator; only this cluster's manifests are in the output.
    let dir = out.join("manifests");
    assert!(dir.is_dir(), "{} is missing", dir.display());
    assert!(!dir.join("edge-lab").exists() && !dir.join("single-node").exists(), "other examples' manifests leaked in");
    let v = Command::new("python3").arg(&validate).arg(&dir).output().unwrap();
    assert!(
        v.status.success(),
        "validate-manifests:\n{}{}",
        String::from_utf8_lossy(&v.stdout),
        String::from_utf8_lossy(&v.stderr)
    );

    // The secrets open with the real sops and the throwaway demo key ...
    let encrypted = files_under(&out.join("secrets"), "yaml");
    assert!(!encrypted.is_empty());
    let mut plaintexts = Vec::new();
    for f in &encrypted {
        let d = Command::new(&sops).arg("-d").arg(f).env("SOPS_AGE_KEY_FILE", &key).output().unwrap();
        assert!(d.status.success(), "sops -d {}: {}", f.display(), String::from_utf8_lossy(&d.stderr));
        let text = String::from_utf8(d.stdout).unwrap();
        for line in text.lines() {
            if let Some((_, value)) = line.split_once(": ") {
                let value = value.trim().trim_matches('"');
                if value.len() >= 16 {
                    plaintexts.push(value.to_string());
                }
            }
        }
    }
    assert!(!plaintexts.is_empty(), "no secret values found to scan for");
    // ... and no secret value (nor the demo identity) appears in any other output file.
    let identity = std::fs::read_to_string(&key).unwrap();
    let identity = identity.lines().find(|l| l.starts_with("AGE-SECRET-KEY-")).unwrap().to_string();
    for f in files_under(out, "") {
        if f == key {
            continue;
        }
        let Ok(text) = std::fs::read_to_string(&f) else { continue };
        assert!(!text.contains(&identity), "{} contains the demo identity", f.display());
        for p in &plaintexts {
            assert!(!text.contains(p.as_str()), "{} contains a secret value", f.display());
        }
    }
}

/// Issue 10: a warning is printed once per demo run, not once per tool the demo calls.
/// The inventory is one of the bad-inventory corpus whose problem is only a warning (a
/// jumbo VLAN raising the link of the cluster network).
#[test]
fn demo_prints_each_warning_once() {
    let bin = binaries();
    let out = tempfile::tempdir().unwrap();
    let keys = tempfile::tempdir().unwrap();
    let root = n3x_testkit::repo_root();
    let demo = Command::new("bash")
        .arg(root.join("scripts/demo"))
        .env("BIN", &bin)
        .env("OUT", out.path().join("repo"))
        .env("REPO", &root)
        .env("EXAMPLE", root.join("crates/n3x-inventory/tests/bad/mtu-jumbo-vlan-raises-cluster.yaml"))
        .env("N3X_ADMIN_IDENTITY", keys.path().join("admin-key.txt"))
        .output()
        .unwrap();
    let all = format!("{}{}", String::from_utf8_lossy(&demo.stdout), String::from_utf8_lossy(&demo.stderr));
    assert!(demo.status.success(), "demo failed:\n{all}");
    let mtu = all.lines().filter(|l| l.contains("warning") && l.contains("runs at MTU 9000")).count();
    assert_eq!(mtu, 1, "the MTU warning was printed {mtu} times:\n{all}");
    let mut warnings: Vec<&str> = all.lines().filter(|l| l.contains("warning")).collect();
    let n = warnings.len();
    warnings.sort();
    warnings.dedup();
    assert_eq!(warnings.len(), n, "a warning was printed twice:\n{all}");
}
