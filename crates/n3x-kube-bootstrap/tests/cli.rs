//! The command line through the real binary: bad add-on combinations are rejected
//! with precise messages and no output (n3x-core's validate reports several of them
//! first; tests/rules.rs checks this crate's own messages on a Cluster that skipped it), usage errors exit 2, the conventions every
//! n3x binary keeps, and no secret in any output.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::*;
use predicates::prelude::*;
use serde_json::{json, Value};

/// Renders an inventory into `--format dir`; asserts exit 1, the message parts, and
/// that nothing was written.
fn rejected(inv: &Value, expect: &[&str]) -> String {
    let tmp = tempfile::tempdir().unwrap();
    let p = write_inventory(tmp.path(), "inventory.json", inv);
    let out = tmp.path().join("out");
    let assert = bin().args(["render", "--format", "dir", "--out"]).arg(&out).arg(&p).assert().code(1).stdout("");
    let stderr = String::from_utf8(assert.get_output().stderr.clone()).unwrap();
    for e in expect {
        assert!(stderr.contains(e), "expected {e:?} in:\n{stderr}");
    }
    assert!(!out.exists(), "a rejected input must leave no output");
    stderr
}

#[test]
fn storage_network_without_multus_is_rejected() {
    let mut inv = example("edge-lab");
    inv["addons"]["multus"]["enabled"] = json!(false);
    rejected(&inv, &["addons.longhorn.storageNetwork", "needs Multus", "addons.multus.enabled: true"]);
}

#[test]
fn metallb_without_a_pool_is_rejected() {
    let mut inv = example("single-node");
    inv["loadBalancer"] = json!({"pools": []});
    inv["addons"]["traefik"] = json!({"enabled": true});
    rejected(&inv, &["addons.metallb", "no load-balancer pool", "loadBalancer.pools"]);
}

#[test]
fn metallb_unknown_pool_gets_a_suggestion() {
    let mut inv = example("single-node");
    inv["addons"]["metallb"]["pools"] = json!(["service"]);
    rejected(&inv, &["addons.metallb.pools[0]", "unknown pool \"service\""]);
}

#[test]
fn replicas_above_storage_nodes_are_rejected() {
    let mut inv = example("edge-lab");
    inv["addons"]["longhorn"]["replicas"] = json!(4);
    let err = rejected(&inv, &["addons.longhorn.replicas", "4 replicas", "only 3"]);
    // Located in the input file.
    assert!(err.contains("inventory.json:"), "{err}");
}

#[test]
fn argocd_without_repo_is_rejected() {
    let mut inv = example("single-node");
    inv["addons"]["argocd"] = json!({"enabled": true});
    rejected(&inv, &["addons.argocd.repoUrl", "no repository", "set addons.argocd.repoUrl"]);
}

#[test]
fn every_problem_is_listed_not_only_the_first() {
    let mut inv = example("edge-lab");
    inv["addons"]["multus"]["enabled"] = json!(false);
    inv["addons"]["longhorn"]["replicas"] = json!(5);
    inv["addons"]["argocd"] = json!({"enabled": true});
    rejected(
        &inv,
        &["addons.longhorn.storageNetwork", "addons.longhorn.replicas", "addons.argocd.repoUrl", "rejected: 3 errors"],
    );
}

#[test]
fn mutating_policy_on_old_kyverno_is_rejected() {
    let mut inv = example("edge-lab");
    inv["addons"]["kyverno"]["version"] = json!("3.6.4");
    rejected(&inv, &["addons.kyverno.policyKind", "predates Kyverno 1.17", "policyKind: ClusterPolicy"]);
}

#[test]
fn longhorn_with_kyverno_off_is_rejected() {
    let mut inv = example("single-node");
    inv["addons"]["kyverno"] = json!({"enabled": false});
    rejected(&inv, &["addons.kyverno.enabled", "Kyverno"]);
}

#[test]
fn traefik_address_outside_the_pools_is_rejected() {
    let mut inv = example("single-node");
    inv["addons"]["traefik"]["address"] = json!("192.168.1.50");
    rejected(&inv, &["addons.traefik.address", "192.168.1.50 is in no"]);
}

#[test]
fn repository_credentials_in_the_url_are_rejected_and_not_echoed() {
    let mut inv = example("single-node");
    inv["addons"]["argocd"]["repoUrl"] = json!("https://bob:hunter2-s3cret@git.example.net/apps.git");
    let err = rejected(&inv, &["addons.argocd.repoUrl", "carries credentials"]);
    assert!(!err.contains("hunter2-s3cret"), "the secret was echoed:\n{err}");
}

#[test]
fn warnings_go_to_stderr_and_deny_warnings_rejects() {
    let mut inv = example("single-node");
    inv["addons"]["metallb"]["mode"] = json!("bgp");
    let tmp = tempfile::tempdir().unwrap();
    let p = write_inventory(tmp.path(), "inv.json", &inv);
    bin()
        .arg("render")
        .arg(&p)
        .assert()
        .success()
        .stderr(predicate::str::contains("warning:").and(predicate::str::contains("BGP")));
    bin().args(["render", "--deny-warnings"]).arg(&p).assert().code(1).stdout("");
}

#[test]
fn wrong_kind_is_named() {
    bin()
        .args(["render", "-"])
        .write_stdin("apiVersion: n3x.dev/v1alpha1\nkind: NetworkPlan\n")
        .assert()
        .code(1)
        .stderr(predicate::str::contains("expected kind Cluster or Inventory, got NetworkPlan"));
}

#[test]
fn reads_standard_input_and_accepts_a_cluster_document() {
    // Inventory on stdin.
    let inv = std::fs::read_to_string(root().join(example_path("single-node"))).unwrap();
    let from_stdin = bin().arg("render").write_stdin(inv).assert().success().get_output().stdout.clone();
    let from_file = bin().args(["render", &example_path("single-node")]).assert().success().get_output().stdout.clone();
    let body = |b: &[u8]| String::from_utf8_lossy(b).lines().skip(1).collect::<Vec<_>>().join("\n");
    assert_eq!(body(&from_stdin), body(&from_file));
    assert!(String::from_utf8_lossy(&from_stdin)
        .starts_with("# Generated by `n3x-kube-bootstrap render --format yaml` from <stdin>"));

    // The normalized Cluster gives the same manifests.
    let doc = n3x_core::Document::parse(
        "x.yaml",
        &std::fs::read_to_string(root().join(example_path("single-node"))).unwrap(),
    )
    .unwrap();
    let (cluster, _) = n3x_core::normalize::load_cluster(&doc).unwrap();
    let cluster_json = serde_json::to_string(&cluster).unwrap();
    let from_cluster = bin().arg("render").write_stdin(cluster_json).assert().success().get_output().stdout.clone();
    assert_eq!(body(&from_cluster), body(&from_file));
}

#[test]
fn usage_errors_exit_2() {
    let ex = example_path("single-node");
    bin().args(["render", &ex, "--format", "dir"]).assert().code(2).stderr(predicate::str::contains("needs --out DIR"));
    bin()
        .args(["render", &ex, "--format", "nix", "-o", "x.nix"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("use --out DIR"));
    bin().args(["render", &ex, "--out", "/tmp/x"]).assert().code(2).stderr(predicate::str::contains("-o FILE"));
    bin().args(["render", &ex, "--format", "json"]).assert().code(2);
    bin().arg("frobnicate").assert().code(2);
}

#[test]
fn missing_file_is_a_clear_error() {
    bin()
        .args(["render", "no/such/inventory.yaml"])
        .assert()
        .code(1)
        .stderr(predicate::str::contains("cannot read no/such/inventory.yaml: no such file or directory"));
}

#[test]
fn help_version_completions_man() {
    bin()
        .arg("--help")
        .assert()
        .success()
        .stdout(predicate::str::contains("render").and(predicate::str::contains("components")));
    for sub in ["render", "components", "completions", "man"] {
        bin().args([sub, "--help"]).assert().success().stdout(predicate::str::contains("Example"));
    }
    bin().arg("--version").assert().success().stdout(predicate::str::starts_with("n3x-kube-bootstrap "));
    bin().args(["completions", "bash"]).assert().success().stdout(predicate::str::contains("n3x-kube-bootstrap"));
    bin().arg("man").assert().success().stdout(predicate::str::contains(".TH"));
}

#[test]
fn components_lists_every_chart_and_applies_overrides() {
    let out = bin().arg("components").assert().success().get_output().stdout.clone();
    let text = String::from_utf8(out).unwrap();
    for c in n3x_kube_bootstrap::components::ALL {
        assert!(text.contains(c.key), "{text}");
        assert!(text.contains(c.version) || c.version.is_empty(), "{text}");
    }
    let mut inv = example("single-node");
    inv["addons"]["longhorn"]["version"] = json!("1.11.0");
    let tmp = tempfile::tempdir().unwrap();
    let p = write_inventory(tmp.path(), "inv.json", &inv);
    let out = bin().args(["components", "--format", "json"]).arg(&p).assert().success().get_output().stdout.clone();
    let list: Vec<Value> = serde_json::from_slice(&out).unwrap();
    let lh = list.iter().find(|c| c["component"] == "longhorn").unwrap();
    assert_eq!(lh["version"], "1.11.0");
    assert_eq!(lh["pinnedVersion"], "1.12.1");
    assert_eq!(lh["enabled"], true);
    let cm = list.iter().find(|c| c["component"] == "certManager").unwrap();
    assert_eq!(cm["enabled"], true);
    // And the override reaches the HelmChart.
    let yaml = bin().arg("render").arg(&p).assert().success().get_output().stdout.clone();
    assert!(String::from_utf8(yaml).unwrap().contains("version: 1.11.0"));
}

/// Things that must never appear in what n3x-kube-bootstrap writes: age identities,
/// PEM keys, k3s tokens and Argo CD credential fields.
#[test]
fn no_secret_in_any_output() {
    let needles: Vec<String> = vec![
        "AGE-SECRET-KEY-".into(),
        "-----BEGIN".into(),
        "PRIVATE KEY".into(),
        "sshPrivateKey".into(),
        "password".into(),
        "K10".into(), // k3s secure token prefix
    ];
    // The generated secrets themselves (age identities, tokens) never reach this tool;
    // the e2e pipeline test renders its own tree and scans every file for them.
    for example in EXAMPLES {
        let tmp = tempfile::tempdir().unwrap();
        let input = example_path(example);
        let mut outputs: Vec<Vec<u8>> = Vec::new();
        let yaml = bin().args(["render", &input]).assert().success().get_output().clone();
        outputs.push(yaml.stdout);
        outputs.push(yaml.stderr);
        for format in ["dir", "nix"] {
            let out = tmp.path().join(format);
            bin().args(["render", &input, "--format", format, "--out"]).arg(&out).assert().success();
            for f in tree(&out) {
                outputs.push(std::fs::read(out.join(f)).unwrap());
            }
        }
        for o in &outputs {
            let text = String::from_utf8_lossy(o);
            for n in &needles {
                assert!(!text.contains(n.as_str()), "{example}: output contains {n:?}");
            }
            assert!(
                !text.contains("kind: Secret") && !text.contains("kind = \"Secret\""),
                "{example}: a Secret in the output"
            );
        }
    }
}

/// `--argocd-repo-secret`: the Nix module renders the Argo CD repository Secret through
/// sops-nix by reference. Evaluated with a stand-in placeholder, the template is a
/// Secret validate-manifests accepts; the module itself holds no value.
#[test]
fn argocd_repository_credentials_by_reference() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("hosts");
    bin()
        .args([
            "render",
            &example_path("single-node"),
            "--format",
            "nix",
            "--argocd-repo-secret",
            "argocd-repo-token",
            "--out",
        ])
        .arg(&out)
        .assert()
        .success();
    let module = out.join("nuc-1/k3s-manifests.nix");
    let text = std::fs::read_to_string(&module).unwrap();
    assert!(text.contains("config.sops.placeholder.argocd-repo-token"), "{text}");
    assert!(text.contains("/var/lib/rancher/k3s/server/manifests/82-argocd-repo.yaml"));
    // Only with the nix form.
    bin()
        .args(["render", &example_path("single-node"), "--format", "dir", "--argocd-repo-secret", "x", "--out"])
        .arg(tmp.path().join("d"))
        .assert()
        .code(2);
    let Some(nix) = n3x_testkit::require(n3x_testkit::NIX_INSTANTIATE) else { return };
    n3x_testkit::nix_parse(&nix, &module);
    let expr = format!(
        "(import {} {{ config = {{ sops.placeholder.argocd-repo-token = \"stand-in-value\"; }}; }}).sops.templates.\"n3x-argocd-repo.yaml\".content",
        module.display()
    );
    let eval = std::process::Command::new(nix)
        .args(["--eval", "--strict", "--json", "--expr", &expr])
        .env("NIX_STATE_DIR", std::env::temp_dir().join("n3x-nix-state"))
        .output()
        .unwrap();
    assert!(eval.status.success(), "{}", String::from_utf8_lossy(&eval.stderr));
    let content: String = serde_json::from_slice(&eval.stdout).unwrap();
    let secret: Value = serde_json::from_str(&content).unwrap();
    assert_eq!(secret["metadata"]["labels"]["argocd.argoproj.io/secret-type"], "repository");
    assert_eq!(secret["stringData"]["password"], "stand-in-value");
    assert_eq!(secret["stringData"]["url"], "https://github.com/example/homelab-apps.git");
    let file = tmp.path().join("secret.yaml");
    std::fs::write(&file, &content).unwrap();
    assert_valid(&[&file], "the rendered repository Secret");
}

#[test]
fn files_of_an_earlier_run_are_reported() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("m");
    bin().args(["render", &example_path("single-node"), "--format", "dir", "--out"]).arg(&out).assert().success();
    assert!(out.join("50-cert-manager.yaml").exists());
    let mut inv = example("single-node");
    inv["addons"]["certManager"] = json!({"enabled": false});
    let p = write_inventory(tmp.path(), "inv.json", &inv);
    bin()
        .args(["render", "--format", "dir", "--out"])
        .arg(&out)
        .arg(&p)
        .assert()
        .success()
        .stderr(predicate::str::contains("50-cert-manager.yaml was written by an earlier run"));
}

/// `--network-plan`: the storage interface comes from the NetworkPlan (the checked
/// network), and every address the plan puts inside the storage network is kept out
/// of pod IPAM.
#[test]
fn storage_interface_from_the_network_plan() {
    let node = |name: &str, iface: Option<&str>, addr: &str| {
        let mut n = json!({"node": name, "interfaces": [{
            "id": "stor0", "kind": "ethernet", "networks": ["storage"],
            "linkLocal": {"ipv4": false, "ipv6": true}, "addresses": [addr], "mtu": 9000,
        }]});
        if let Some(i) = iface {
            n["storageInterface"] = json!(i);
        }
        n
    };
    let plan = json!({"apiVersion": "n3x.dev/v1alpha1", "kind": "NetworkPlan", "nodes": [
        node("n100-1", Some("stor0"), "192.168.20.11/24"),
        node("n100-2", Some("stor0"), "192.168.20.12/24"),
        node("n100-3", Some("stor0"), "192.168.20.13/24"),
        // An agent with an extra address inside the storage network.
        node("jetson-1", None, "192.168.20.99/24"),
    ]});
    let tmp = tempfile::tempdir().unwrap();
    let p = tmp.path().join("network-plan.json");
    std::fs::write(&p, serde_json::to_string(&plan).unwrap()).unwrap();
    let out = bin().args(["render", &example_path("edge-lab"), "--network-plan"]).arg(&p).assert().success();
    let text = String::from_utf8(out.get_output().stdout.clone()).unwrap();
    let stderr = String::from_utf8(out.get_output().stderr.clone()).unwrap();
    let nad = yaml_docs(&text).into_iter().find(|d| d["kind"] == "NetworkAttachmentDefinition").unwrap();
    let config: Value = serde_json::from_str(nad["spec"]["config"].as_str().unwrap()).unwrap();
    assert_eq!(config["master"], "stor0");
    assert!(config["ipam"]["exclude"].as_array().unwrap().contains(&json!("192.168.20.99/32")), "{config}");
    // The cluster says bond0.20: the plan wins, with a warning.
    assert!(stderr.contains("the NetworkPlan puts the storage network on stor0, the cluster on bond0.20"), "{stderr}");

    // A wrong document is named.
    bin()
        .args(["render", &example_path("edge-lab"), "--network-plan", &example_path("single-node")])
        .assert()
        .code(1)
        .stderr(predicate::str::contains("expected kind NetworkPlan, got Inventory"));
}
