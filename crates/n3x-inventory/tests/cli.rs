//! Every n3x-inventory subcommand through the real binary.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::{Path, PathBuf};

use assert_cmd::Command;
use predicates::prelude::*;

fn repo() -> PathBuf {
    n3x_testkit::repo_root()
}
fn example(name: &str) -> PathBuf {
    repo().join("examples").join(name).join("inventory.yaml")
}
fn bin() -> Command {
    Command::cargo_bin("n3x-inventory").unwrap()
}
fn stdout_of(args: &[&str]) -> String {
    let out = bin().args(args).output().unwrap();
    assert!(out.status.success(), "{args:?} failed: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout).unwrap()
}

#[test]
fn check_accepts_every_example() {
    for name in ["edge-lab", "single-node"] {
        bin().arg("check").arg(example(name)).assert().success().stderr(predicate::str::contains("ok: cluster"));
    }
}

#[test]
fn check_reads_stdin_and_dash() {
    let text = std::fs::read_to_string(example("single-node")).unwrap();
    bin().arg("check").write_stdin(text.clone()).assert().success();
    bin().args(["check", "-"]).write_stdin(text).assert().success();
}

#[test]
fn missing_file_is_a_clear_error() {
    bin()
        .args(["check", "does/not/exist.yaml"])
        .assert()
        .code(1)
        .stderr(predicate::str::contains("cannot read does/not/exist.yaml: no such file or directory"))
        .stderr(predicate::str::contains("os error").not());
    bin().args(["check", "."]).assert().code(1).stderr(predicate::str::contains("it is a directory"));
    bin().arg("check").write_stdin("").assert().code(1).stderr(predicate::str::contains("is empty"));
}

#[test]
fn usage_errors_exit_2() {
    bin().arg("frobnicate").assert().code(2);
    bin().args(["nodes", "--role", "boss"]).assert().code(2);
    bin().args(["nodes", "--label", "novalue"]).assert().code(2).stderr(predicate::str::contains("expected KEY=VALUE"));
    bin().arg("--version").assert().success().stdout(predicate::str::starts_with("n3x-inventory "));
}

#[test]
fn normalize_fills_derived_values() {
    let json = stdout_of(&["normalize", example("edge-lab").to_str().unwrap()]);
    let c: n3x_core::Cluster = serde_json::from_str(&json).unwrap();
    assert_eq!(c.kind, "Cluster");
    let servers: Vec<_> = c.servers().collect();
    assert!(servers[0].cluster_init && servers[0].server_addr.is_none());
    for n in c.nodes.iter().skip(1) {
        assert!(!n.cluster_init);
        assert_eq!(n.server_addr.as_deref(), Some("https://192.168.10.11:6443"));
    }
    let n1 = c.node("n100-1").unwrap();
    assert_eq!(n1.network.primary, "bond0");
    assert_eq!(n1.disk.size, Some(512_000_000_000));
    assert_eq!(n1.memory, Some(16 << 30));
    let storage = n1.network.attachments.iter().find(|a| a.network == "storage").unwrap();
    assert_eq!(storage.interface, "bond0.20");
    assert_eq!(storage.mtu, 1500);
    let jetson = c.node("jetson-1").unwrap();
    assert_eq!((jetson.system.as_str(), jetson.gpu, jetson.memory), ("aarch64-linux", true, Some(8 << 30)));
    let rpi = c.node("rpi-1").unwrap();
    assert!(!rpi.longhorn, "SD-card Pi carries no Longhorn storage by default");
    assert_eq!(c.addons.kyverno.enabled, Some(true));
    assert!(c.k3s.disable.contains(&"servicelb".to_string()), "MetalLB disables servicelb");
    assert_eq!(c.k3s.cluster_dns.to_string(), "10.43.0.10");
}

/// The consumer-side contract: read the Cluster JSON back with types that deny
/// unknown fields, and find the same value.
#[test]
fn cluster_json_round_trips_through_strict_types() {
    for name in ["edge-lab", "single-node"] {
        let json = stdout_of(&["normalize", example(name).to_str().unwrap()]);
        let c: n3x_core::Cluster = serde_json::from_str(&json).unwrap();
        assert_eq!(n3x_core::io::to_json(&c).unwrap(), json, "{name}: re-serialized JSON differs");
        // A Cluster is accepted as input too, and normalizes to itself.
        let again = bin().arg("normalize").write_stdin(json.clone()).output().unwrap();
        assert_eq!(String::from_utf8(again.stdout).unwrap(), json);
    }
    let mut v: serde_json::Value =
        serde_json::from_str(&stdout_of(&["normalize", example("edge-lab").to_str().unwrap()])).unwrap();
    v["nodes"][0]["surprise"] = true.into();
    assert!(serde_json::from_value::<n3x_core::Cluster>(v).is_err(), "unknown fields must be rejected");
}

#[test]
fn output_is_deterministic_and_matches_golden() {
    let a = stdout_of(&["normalize", example("edge-lab").to_str().unwrap()]);
    let b = stdout_of(&["normalize", example("edge-lab").to_str().unwrap()]);
    assert_eq!(a, b);
    let golden = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/golden/edge-lab.cluster.json");
    if std::env::var_os("N3X_UPDATE_GOLDEN").is_some() {
        std::fs::write(&golden, &a).unwrap();
    }
    assert_eq!(std::fs::read_to_string(&golden).unwrap(), a, "golden differs; run `make golden-update` if intended");
    let g1 = stdout_of(&["graph", example("edge-lab").to_str().unwrap(), "--format", "dot"]);
    let g2 = stdout_of(&["graph", example("edge-lab").to_str().unwrap(), "--format", "dot"]);
    assert_eq!(g1, g2);
}

#[test]
fn normalize_writes_output_file_atomically() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("sub/cluster.json");
    bin().arg("normalize").arg(example("single-node")).arg("-o").arg(&out).assert().success().stdout("");
    let c: n3x_core::Cluster = serde_json::from_str(&std::fs::read_to_string(&out).unwrap()).unwrap();
    assert_eq!(c.name.as_str(), "homelab");
    // Rejected input leaves no file behind.
    let bad = dir.path().join("bad.json");
    bin().arg("normalize").arg("-o").arg(&bad).write_stdin("kind: Nope\n").assert().code(1);
    assert!(!bad.exists());
}

#[test]
fn normalize_merges_facts() {
    let dir = tempfile::tempdir().unwrap();
    let facts = dir.path().join("facts.json");
    std::fs::write(
        &facts,
        r#"{"apiVersion":"n3x.dev/v1alpha1","kind":"Facts","node":"nuc-1","hostname":"nuc-1","arch":"x86_64","memory":34359738368,
           "disks":[{"name":"nvme0n1","path":"/dev/nvme0n1","byId":["/dev/disk/by-id/nvme-Samsung_SSD_980_1TB_S64ANS0T123456"],"size":1000204886016}],
           "nics":[{"name":"eno1","mac":"1c:69:7a:00:00:01"}],"hostKeys":[]}"#,
    )
    .unwrap();
    let json = stdout_of(&["normalize", example("single-node").to_str().unwrap(), "--facts", facts.to_str().unwrap()]);
    let c: n3x_core::Cluster = serde_json::from_str(&json).unwrap();
    let n = c.node("nuc-1").unwrap();
    assert_eq!(n.network.links[0].mac.map(|m| m.to_string()).as_deref(), Some("1c:69:7a:00:00:01"));
    std::fs::write(
        &facts,
        r#"{"apiVersion":"n3x.dev/v1alpha1","kind":"Facts","node":"ghost","hostname":"g","arch":"x86_64","memory":1}"#,
    )
    .unwrap();
    bin()
        .arg("normalize")
        .arg(example("single-node"))
        .arg("--facts")
        .arg(&facts)
        .assert()
        .code(1)
        .stderr(predicate::str::contains("facts are for node \"ghost\""));
}

#[test]
fn nodes_queries() {
    let inv = example("edge-lab");
    let inv = inv.to_str().unwrap();
    assert_eq!(stdout_of(&["nodes", inv]), "n100-1\nn100-2\nn100-3\njetson-1\nrpi-1\n");
    assert_eq!(stdout_of(&["nodes", inv, "--role", "server"]), "n100-1\nn100-2\nn100-3\n");
    assert_eq!(stdout_of(&["nodes", inv, "--role", "agent", "--hardware", "rpi4"]), "rpi-1\n");
    assert_eq!(stdout_of(&["nodes", inv, "--label", "n3x.dev/gpu=true"]), "jetson-1\n");
    assert_eq!(stdout_of(&["nodes", inv, "--label", "n3x.dev/storage=true", "--role", "agent"]), "");
    let tsv = stdout_of(&["nodes", inv, "--format", "tsv", "--role", "agent"]);
    assert_eq!(tsv.lines().next(), Some("name\trole\thardware\tsystem\tnodeIp\tssh"));
    assert!(tsv.contains("rpi-1\tagent\trpi4\taarch64-linux\t192.168.10.31\troot@192.168.10.31:22"));
    let json: Vec<n3x_core::cluster::Node> =
        serde_json::from_str(&stdout_of(&["nodes", inv, "--format", "json", "--role", "server"])).unwrap();
    assert_eq!(json.len(), 3);
}

#[test]
fn node_prints_one_node_or_suggests() {
    let inv = example("edge-lab");
    let n: n3x_core::cluster::Node =
        serde_json::from_str(&stdout_of(&["node", "rpi-1", inv.to_str().unwrap()])).unwrap();
    assert_eq!(n.network.links[0].mac.map(|m| m.to_string()).as_deref(), Some("dc:a6:32:01:02:03"));
    bin()
        .args(["node", "n100-4"])
        .arg(&inv)
        .assert()
        .code(1)
        .stderr(predicate::str::contains("no node named \"n100-4\""))
        .stderr(predicate::str::contains("did you mean"));
}

#[test]
fn warnings_go_to_stderr_and_deny_warnings_rejects() {
    let text = "apiVersion: n3x.dev/v1alpha1\nkind: Inventory\ncluster: {name: lab}\nnetworks:\n  cluster: {cidr: 192.168.10.0/24}\nnodes:\n  - {name: a, role: server, addresses: {cluster: 192.168.10.5}, disk: {size: 512GB}, network: {bond: {members: [x, y], mode: 802.3ad}}}\n";
    bin()
        .arg("check")
        .write_stdin(text)
        .assert()
        .success()
        .stderr(predicate::str::contains("warning:").and(predicate::str::contains("LACP")));
    bin().args(["--deny-warnings", "check"]).write_stdin(text).assert().code(1);
}

#[test]
fn graph_draws_nodes_networks_pools_and_addons() {
    let inv = example("edge-lab");
    let m = stdout_of(&["graph", inv.to_str().unwrap()]);
    assert!(m.starts_with("%% edge-lab topology"));
    assert!(m.contains("flowchart LR"));
    assert!(m.contains("subgraph group_servers[\"servers\"]"));
    assert!(m.contains("node_n100_1[\"n100-1 · n100 · init\"]"));
    assert!(m.contains("node_n100_1 -- \"bond0.20 192.168.20.11\" --- net_storage"));
    assert!(m.contains("pool default: 192.168.10.200-192.168.10.220"));
    assert!(m.contains("addon_kyverno --> addon_longhorn"), "add-ons in apply order:\n{m}");
    let d = stdout_of(&["graph", inv.to_str().unwrap(), "--format", "dot"]);
    assert!(d.contains("digraph \"edge-lab\" {") && d.trim_end().ends_with('}'));
    assert_eq!(d.matches('{').count(), d.matches('}').count());
}

#[test]
fn completions_and_man_page() {
    assert!(stdout_of(&["completions", "bash"]).contains("n3x-inventory"));
    assert!(stdout_of(&["man"]).contains(".TH n3x-inventory"));
    for sub in ["check", "normalize", "nodes", "node", "import-csv", "schema", "graph", "render-flake", "probe"] {
        bin().args([sub, "--help"]).assert().success().stdout(predicate::str::contains("Example"));
    }
}

#[test]
fn closed_pipe_is_not_an_error() {
    // `n3x-inventory schema | head -c1`: the write fails with EPIPE; exit must be 0, quietly.
    // pipefail makes the pipeline's status the tool's own (a plain `sh -c '…; echo'`
    // would succeed whatever the tool did).
    let exe = assert_cmd::cargo::cargo_bin("n3x-inventory");
    let status = std::process::Command::new("bash")
        .arg("-c")
        .arg(format!("set -o pipefail; '{}' schema | head -c 1 >/dev/null", exe.display()))
        .output()
        .unwrap();
    assert!(status.status.success(), "stderr: {}", String::from_utf8_lossy(&status.stderr));
    assert!(status.stderr.is_empty());
}
