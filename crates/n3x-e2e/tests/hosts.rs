//! Every host of every inventory in the corpus (examples/*, the flake template's) evaluates
//! as the cluster flake builds it: the workspace's binaries render the whole tree, then
//! n3x-testkit's stand-in module evaluator (crates/n3x-testkit/nix/eval.nix) calls the
//! rendered flake's `outputs` with the n3x repository's own flake.nix as its `n3x` input.
//! Imports are followed (a missing file fails), the n3x modules are evaluated with their
//! option types, and every option path set is checked against the option reference for
//! the release the flake pins, with value types. The seed baseline is asserted on the
//! evaluated values.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::{json, Value};

/// The workspace's binaries (built once; see `n3x_testkit::workspace_binaries`).
fn binaries() -> PathBuf {
    n3x_testkit::workspace_binaries()
}

fn run(bin: &Path, tool: &str, args: &[&str], cwd: &Path) {
    let out = Command::new(bin.join(tool)).args(args).current_dir(cwd).output().unwrap();
    assert!(
        out.status.success(),
        "{tool} {}: {}{}",
        args.join(" "),
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Renders a whole cluster repository for `inventory` into `out`, with each tool, as
/// scripts/demo does. `extra` goes to render-flake.
fn render_tree(bin: &Path, inventory: &Path, out: &Path, extra: &[&str]) -> n3x_core::Cluster {
    let inv = inventory.to_str().unwrap();
    let mut args = vec!["render-flake", inv, "--out", "."];
    args.extend_from_slice(extra);
    run(bin, "n3x-inventory", &args, out);
    run(bin, "n3x-inventory", &["normalize", inv, "-o", "cluster.json"], out);
    run(bin, "n3x-disko", &["render", inv, "--out", "hosts"], out);
    run(bin, "n3x-netplan", &["render", inv, "--format", "nix", "--out", "hosts"], out);
    run(bin, "n3x-secrets", &["sops-config", inv, "-o", ".sops.yaml"], out);
    run(bin, "n3x-secrets", &["init", inv, "--dir", "secrets"], out);
    run(bin, "n3x-secrets", &["render-nix", inv, "--out", "hosts"], out);
    run(bin, "n3x-kube-bootstrap", &["render", inv, "--format", "nix", "--out", "hosts"], out);
    serde_json::from_str(&std::fs::read_to_string(out.join("cluster.json")).unwrap()).unwrap()
}

fn corpus() -> Vec<PathBuf> {
    let root = n3x_testkit::repo_root();
    let mut v: Vec<PathBuf> = std::fs::read_dir(root.join("examples"))
        .unwrap()
        .map(|e| e.unwrap().path().join("inventory.yaml"))
        .filter(|p| p.is_file())
        .collect();
    v.sort();
    v.push(root.join("templates/default/inventory.yaml"));
    // The hardware profiles no example uses (rpi5, generic-aarch64).
    v.push(root.join("crates/n3x-e2e/tests/inventories/arm-fleet.yaml"));
    v
}

fn strs(v: &Value) -> Vec<&str> {
    v.as_array().map(|a| a.iter().filter_map(Value::as_str).collect()).unwrap_or_default()
}

/// The seeds' baseline, on evaluated values.
fn assert_baseline(name: &str, h: &Value, c: &n3x_core::Cluster, n: &n3x_core::cluster::Node) {
    let at = |path: &str| {
        let mut v = h;
        for s in path.split('.') {
            v = v.get(s).unwrap_or_else(|| panic!("{name}: {path} is not set"));
        }
        v.clone()
    };
    assert_eq!(at("documentation.enable"), json!(false), "{name}");
    assert_eq!(at("environment.defaultPackages"), json!([]), "{name}");
    assert_eq!(at("programs.command-not-found.enable"), json!(false), "{name}");
    assert_eq!(at("nix.settings.auto-optimise-store"), json!(true), "{name}");
    assert_eq!(at("nix.gc.automatic"), json!(true), "{name}");
    assert_eq!(at("nix.gc.dates"), json!("weekly"), "{name}");
    assert_eq!(at("nix.gc.options"), json!("--delete-older-than 30d"), "{name}");
    assert_eq!(at("boot.loader.systemd-boot.configurationLimit"), json!(10), "{name}");
    let modules = at("boot.kernelModules");
    for m in ["iscsi_tcp", "dm_crypt", "overlay"] {
        assert!(strs(&modules).contains(&m), "{name}: kernel module {m} missing: {modules}");
    }
    // Admin user in wheel with the inventory's keys, sudo, key-only SSH.
    let keys: Vec<&str> = c.admins.iter().flat_map(|a| a.ssh_keys.iter().map(String::as_str)).collect();
    assert!(!keys.is_empty());
    let admin = at("users.users.admin");
    assert_eq!(admin["isNormalUser"], json!(true), "{name}");
    assert_eq!(strs(&admin["extraGroups"]), vec!["wheel"], "{name}");
    assert_eq!(strs(&admin["openssh"]["authorizedKeys"]["keys"]), keys, "{name}");
    assert_eq!(at("security.sudo.enable"), json!(true), "{name}");
    assert_eq!(at("services.openssh.settings.PasswordAuthentication"), json!(false), "{name}");
    assert_eq!(at("services.openssh.settings.KbdInteractiveAuthentication"), json!(false), "{name}");
    let journald = at("services.journald.extraConfig");
    assert!(journald.as_str().unwrap().contains("SystemMaxUse=1G"), "{name}: {journald}");
    assert!(journald.as_str().unwrap().contains("MaxRetentionSec=1month"), "{name}: {journald}");
    assert_eq!(at("networking.firewall.enable"), json!(true), "{name}");
    // k3s: role from n3x.role, image GC, kubeconfig readable by wheel on servers.
    assert_eq!(at("services.k3s.enable"), json!(true), "{name}");
    assert_eq!(at("services.k3s.role"), json!(n.role.as_str()), "{name}");
    assert_eq!(at("services.k3s.extraKubeletConfig.imageGCHighThresholdPercent"), json!(85), "{name}");
    assert_eq!(at("services.k3s.extraKubeletConfig.imageGCLowThresholdPercent"), json!(70), "{name}");
    let flags = at("services.k3s.extraFlags");
    let server = n.role == n3x_core::model::Role::Server;
    assert_eq!(strs(&flags).contains(&"--write-kubeconfig-group=wheel"), server, "{name}: {flags}");
    assert_eq!(strs(&flags).contains(&"--write-kubeconfig-mode=0640"), server, "{name}: {flags}");
    // Longhorn's host side on every node when the add-on is on (a node's longhorn: false
    // only means no disk for Longhorn).
    if c.addons.longhorn.enabled {
        assert_eq!(at("services.openiscsi.enable"), json!(true), "{name}");
        assert_eq!(at("services.openiscsi.name"), json!(format!("iqn.2016-04.com.open-iscsi:{name}")), "{name}");
        let pkgs = at("environment.systemPackages");
        for p in ["openiscsi", "nfs-utils", "cryptsetup"] {
            assert!(strs(&pkgs).iter().any(|s| s.ends_with(&format!("-stand-in-{p}"))), "{name}: {p} missing");
        }
    } else {
        assert!(h["services"].get("openiscsi").is_none(), "{name}: open-iscsi without Longhorn");
    }
    // Hardware-specific parts.
    match n.hardware {
        n3x_core::model::Hardware::N100 => {
            assert_eq!(at("boot.kernel.sysctl").get("vm.swappiness"), Some(&json!(10)), "{name}");
            assert_eq!(at("boot.kernel.sysctl").get("vm.vfs_cache_pressure"), Some(&json!(50)), "{name}");
            assert!(strs(&at("boot.kernelParams")).contains(&"intel_idle.max_cstate=1"), "{name}");
            assert!(at("services.udev.extraRules").as_str().unwrap().contains("queue/scheduler}=\"none\""));
        }
        n3x_core::model::Hardware::JetsonOrinNano => {
            assert_eq!(at("hardware.graphics.enable"), json!(true), "{name}");
            assert_eq!(at("hardware.nvidia-container-toolkit.enable"), json!(true), "{name}");
            let tmpl = at("services.k3s.containerdConfigTemplate");
            assert!(tmpl.as_str().unwrap().contains("containerd.runtimes.nvidia]"), "{name}: {tmpl}");
        }
        n3x_core::model::Hardware::Rpi4 | n3x_core::model::Hardware::Rpi5 => {
            assert_eq!(at("hardware.raspberry-pi.firmware.enable"), json!(true), "{name}");
            assert_eq!(at("hardware.raspberry-pi.firmware.uboot.enable"), json!(true), "{name}");
            assert_eq!(at("hardware.raspberry-pi.firmware.path"), json!("/boot/firmware"), "{name}");
        }
        _ => {}
    }
    if n.hardware != n3x_core::model::Hardware::N100 {
        assert!(h["boot"]["kernel"].get("sysctl").is_none(), "{name}: N100 tuning on other hardware");
    }
    let btrfs = n.disk.layout == n3x_core::model::DiskLayout::Btrfs;
    assert_eq!(h["services"].get("snapper").is_some(), btrfs, "{name}: snapper iff btrfs");
}

#[test]
fn every_host_of_every_inventory_evaluates_with_the_n3x_modules() {
    let Some(nix) = n3x_testkit::require(n3x_testkit::NIX_INSTANTIATE) else { return };
    let bin = binaries();
    let release = n3x_testkit::release::supported_releases();
    let mut hosts_checked = 0;
    let mut options_checked = 0;
    let corpus = corpus();
    let mut profiles = std::collections::BTreeSet::new();
    for inventory in &corpus {
        let out = tempfile::tempdir().unwrap();
        let c = render_tree(&bin, inventory, out.path(), &[]);
        profiles.extend(c.nodes.iter().map(|n| n.hardware));
        assert!(release.contains(&c.nixpkgs.version().to_string()), "{}: unsupported release", inventory.display());
        let v = n3x_testkit::nixos_eval::eval_cluster(&nix, out.path())
            .unwrap_or_else(|e| panic!("{}: evaluation failed:\n{e}", inventory.display()));
        assert_eq!(v["inputs"]["nixpkgs"]["url"], json!(format!("github:NixOS/nixpkgs/{}", c.nixpkgs.branch())));
        let hosts = v["hosts"].as_object().unwrap();
        assert_eq!(hosts.len(), c.nodes.len(), "{}", inventory.display());
        for n in &c.nodes {
            let name = n.name.as_str();
            let h = &hosts[name];
            assert_eq!(h["unknown"], json!([]), "{name}: not options");
            let config = &h["defined"];
            let paths = n3x_testkit::check_option_paths_for_release(config, &["n3x"], c.nixpkgs.version());
            assert!(paths.unknown.is_empty(), "{name}: {:?}", paths.unknown);
            let types = n3x_testkit::type_errors(config, &["n3x"]);
            assert!(types.errors.is_empty(), "{name}: {:?}", types.errors);
            assert!(types.checked > 40, "{name}: only {} values type-checked", types.checked);
            options_checked += types.checked;
            assert_eq!(config["networking"]["hostName"], json!(name));
            assert_eq!(config["n3x"]["role"], json!(n.role.as_str()));
            assert_eq!(config["n3x"]["hardware"], json!(n.hardware.as_str()));
            // The other tools' files were imported: their options are in the config.
            assert!(config["disko"]["devices"]["disk"].as_object().is_some_and(|d| !d.is_empty()), "{name}");
            assert!(config["sops"]["secrets"].as_object().is_some_and(|d| !d.is_empty()), "{name}");
            // Imports were followed: every file rendered for the node was evaluated.
            let files = strs(&h["files"]);
            assert!(files.iter().any(|x| x.ends_with(&format!("/hosts/{name}"))), "{name}: the host module");
            let mut expected = vec!["disko.nix", "disk-extra.nix", "network.nix", "secrets.nix", "local.nix"];
            if n.role == n3x_core::model::Role::Server {
                expected.push("k3s-manifests.nix");
            }
            for f in expected {
                let want = format!("/hosts/{name}/{f}");
                assert!(files.iter().any(|x| x.ends_with(&want)), "{name}: {f} not evaluated: {files:?}");
            }
            assert!(files.iter().any(|x| x.ends_with("/modules/local.nix")), "{name}: modules/local.nix");
            assert!(files.iter().any(|x| x.ends_with("/nix/modules/k3s.nix")), "{name}: n3x's k3s module");
            assert_baseline(name, config, &c, n);
            hosts_checked += 1;
        }
    }
    assert_eq!(corpus.len(), 4);
    assert!(hosts_checked >= 10, "only {hosts_checked} hosts checked");
    // Every hardware profile's module was evaluated on some host.
    let all: std::collections::BTreeSet<_> = n3x_core::model::Hardware::ALL.iter().copied().collect();
    assert_eq!(profiles, all, "hardware profiles no corpus inventory evaluates");
    eprintln!("{hosts_checked} hosts, {options_checked} option values type-checked");
}

#[test]
fn local_nix_overrides_defaults_and_the_evaluator_rejects_what_nixos_would() {
    let Some(nix) = n3x_testkit::require(n3x_testkit::NIX_INSTANTIATE) else { return };
    let bin = binaries();
    let out = tempfile::tempdir().unwrap();
    let inventory = n3x_testkit::repo_root().join("examples/edge-lab/inventory.yaml");
    let c = render_tree(&bin, &inventory, out.path(), &[]);
    let host = |v: &Value, n: &str| v["hosts"][n]["defined"].clone();

    // The user's local.nix wins over n3x's defaults without mkForce, and survives re-rendering.
    let local = out.path().join("hosts/n100-1/local.nix");
    std::fs::write(
        &local,
        "{ ... }:\n{\n  documentation.enable = true;\n  n3x.tuning.n100.enable = false;\n  n3x.admin.name = \"ops\";\n}\n",
    )
    .unwrap();
    render_tree(&bin, &inventory, out.path(), &[]);
    assert!(std::fs::read_to_string(&local).unwrap().contains("n3x.admin.name = \"ops\""));
    let v = n3x_testkit::nixos_eval::eval_cluster(&nix, out.path()).unwrap();
    let h = host(&v, "n100-1");
    assert_eq!(h["documentation"]["enable"], json!(true));
    assert!(h["boot"]["kernel"].get("sysctl").is_none(), "tuning opted out: {}", h["boot"]);
    assert!(h["users"]["users"].get("ops").is_some() && h["users"]["users"].get("admin").is_none());
    // The other nodes keep the defaults.
    assert_eq!(host(&v, "n100-2")["documentation"]["enable"], json!(false));

    // An option newer than the pinned release is caught: against 25.05 the same host sets
    // options that only exist from 25.11 (the rancher merge).
    let config = host(&v, "n100-2");
    let old = n3x_testkit::check_option_paths_for_release(&config, &["n3x"], "25.05");
    for o in ["services.k3s.nodeName", "services.k3s.nodeLabel", "services.k3s.disable"] {
        assert!(old.unknown.iter().any(|u| u.starts_with(o) && u.contains("added in 25.11")), "{o}: {:?}", old.unknown);
    }
    assert!(n3x_testkit::check_option_paths_for_release(&config, &["n3x"], c.nixpkgs.version()).unknown.is_empty());

    // A path that is no option, an option from a module the host does not import, a
    // wrongly typed n3x option, and conflicting definitions all fail like NixOS would.
    let cases = [
        ("services.k3s.nodeNmae = \"x\";", "services.k3s.nodeNmae"),
        ("n3x.longhorn.enabled = true;", "n3x.longhorn.enabled"),
        ("hardware.nvidia-jetpack.enable = true;", "declared by jetpack-nixos"),
        ("n3x.journald.maxUse = 5;", "is not of type string"),
        ("networking.hostName = \"other\";", "conflicting definitions"),
    ];
    let mut failed = 0;
    for (line, expect) in cases {
        std::fs::write(&local, format!("{{ ... }}:\n{{\n  {line}\n}}\n")).unwrap();
        let text = match n3x_testkit::nixos_eval::eval_cluster(&nix, out.path()) {
            Ok(v) => v["hosts"]["n100-1"]["unknown"].to_string(),
            Err(e) => e,
        };
        assert!(text.contains(expect), "{line}: {text}");
        failed += 1;
    }
    assert_eq!(failed, cases.len());
}
