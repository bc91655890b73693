//! `render-flake` checked with the real nix-instantiate: every file parses, each host
//! module evaluates to the cluster's values, every option path it sets exists in the
//! NixOS option reference, and the flake glue evaluates (with stubbed inputs).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::Path;
use std::process::Command;

use serde_json::json;

fn render(example: &str, out: &Path) -> n3x_core::Cluster {
    let inv = n3x_testkit::repo_root().join("examples").join(example).join("inventory.yaml");
    let st = assert_cmd::Command::cargo_bin("n3x-inventory")
        .unwrap()
        .arg("render-flake")
        .arg(&inv)
        .arg("--out")
        .arg(out)
        .output()
        .unwrap();
    assert!(st.status.success(), "{}", String::from_utf8_lossy(&st.stderr));
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
fn hosts_evaluate_to_the_cluster_and_use_known_options() {
    let Some(nix) = n3x_testkit::require(n3x_testkit::NIX_INSTANTIATE) else { return };
    for example in ["edge-lab", "single-node"] {
        let dir = tempfile::tempdir().unwrap();
        let c = render(example, dir.path());
        let files = nix_files(dir.path());
        assert_eq!(files.len(), 1 + c.nodes.len() + n3x_inventory::flake::NIX_MODULES.len());
        for f in &files {
            n3x_testkit::nix_parse(&nix, f);
        }
        for n in &c.nodes {
            let host = dir.path().join("hosts").join(n.name.as_str()).join("default.nix");
            let v = n3x_testkit::nix_eval_json(&nix, &host);
            assert_eq!(v["networking"]["hostName"], json!(n.name.as_str()));
            assert_eq!(v["nixpkgs"]["hostPlatform"], json!(n.system));
            let k3s = &v["services"]["k3s"];
            assert_eq!(k3s["role"], json!(n.role.as_str()));
            assert!(k3s.get("nodeIP").is_none(), "n3x-netplan's network.nix owns --node-ip");
            assert_eq!(k3s.get("clusterInit").is_some(), n.cluster_init);
            assert_eq!(k3s.get("serverAddr").and_then(|s| s.as_str()), n.server_addr.as_deref());
            let flags: Vec<&str> = k3s["extraFlags"]
                .as_array()
                .map(|a| a.iter().map(|f| f.as_str().unwrap()).collect())
                .unwrap_or_default();
            let is_server = n.role == n3x_core::model::Role::Server;
            assert_eq!(flags.contains(&"--cluster-cidr=10.42.0.0/16"), is_server, "{}: {flags:?}", n.name);
            let labels: Vec<String> = n.labels.iter().map(|(k, v)| format!("{k}={v}")).collect();
            assert_eq!(k3s["nodeLabel"], json!(labels));
            // imports: common + hardware (+ longhorn-host) — paths, copied to the store by --json.
            let imports = v["imports"].as_array().unwrap();
            assert!(imports[1].as_str().unwrap().ends_with(&format!("-{}.nix", n.hardware.as_str())), "{imports:?}");
            let with_longhorn = imports.iter().any(|i| i.as_str().unwrap().ends_with("-longhorn-host.nix"));
            assert_eq!(with_longhorn, c.addons.longhorn.enabled && n.longhorn, "{}", n.name);
            let unknown = n3x_testkit::unknown_option_paths(&v, &["imports"]);
            assert!(unknown.is_empty(), "{}: unknown option paths {unknown:?}", n.name);
        }
    }
}

#[test]
fn hosts_import_the_files_other_tools_render() {
    let Some(nix) = n3x_testkit::require(n3x_testkit::NIX_INSTANTIATE) else { return };
    let dir = tempfile::tempdir().unwrap();
    render("single-node", dir.path());
    let host = dir.path().join("hosts/nuc-1");
    let count = |v: &serde_json::Value| v["imports"].as_array().unwrap().len();
    let before = count(&n3x_testkit::nix_eval_json(&nix, &host.join("default.nix")));
    std::fs::write(host.join("disko.nix"), "{ disko.devices = { }; }\n").unwrap();
    std::fs::write(host.join("network.nix"), "{ }\n").unwrap();
    let after = n3x_testkit::nix_eval_json(&nix, &host.join("default.nix"));
    assert_eq!(count(&after), before + 2);
    assert!(after["imports"].as_array().unwrap().iter().any(|i| i.as_str().unwrap().ends_with("-disko.nix")));
}

#[test]
fn flake_outputs_evaluate_with_stub_inputs() {
    let Some(nix) = n3x_testkit::require(n3x_testkit::NIX_INSTANTIATE) else { return };
    let dir = tempfile::tempdir().unwrap();
    let c = render("edge-lab", dir.path());
    let flake = dir.path().join("flake.nix");
    let expr = format!(
        "let f = import {}; lib = {{ genAttrs = names: g: builtins.listToAttrs (map (n: {{ name = n; value = g n; }}) names); nixosSystem = args: {{ modules = map toString args.modules; }}; }}; \
         in {{ inherit (f) description inputs; outputs = (f.outputs {{ nixpkgs = {{ inherit lib; }}; }}).nixosConfigurations; }}",
        flake.display()
    );
    let out = Command::new(&nix).args(["--eval", "--strict", "--json", "--expr", &expr]).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["inputs"]["nixpkgs"]["url"], json!("github:NixOS/nixpkgs/nixos-25.05"));
    assert_eq!(v["inputs"]["disko"]["inputs"]["nixpkgs"]["follows"], json!("nixpkgs"));
    assert!(v["inputs"].get("jetpack-nixos").is_some() && v["inputs"].get("nixos-hardware").is_some());
    let configs = v["outputs"].as_object().unwrap();
    assert_eq!(configs.len(), c.nodes.len());
    for n in &c.nodes {
        let modules = &configs[n.name.as_str()]["modules"];
        assert!(modules[0].as_str().unwrap().ends_with(&format!("/hosts/{}", n.name)), "{modules}");
    }
}

#[test]
fn render_flake_is_deterministic_and_writes_nothing_on_bad_input() {
    let (a, b) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    render("edge-lab", a.path());
    render("edge-lab", b.path());
    for f in nix_files(a.path()) {
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
