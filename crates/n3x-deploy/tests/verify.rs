//! verify against a real sshd on 127.0.0.1 whose `k3s` stand-in serves realistic
//! recordings of `kubectl get … -o json` (tests/recorded/kubectl-*.json, written in the
//! shapes the real kubectl prints for Node, MutatingPolicy, Pod, longhorn.io Node,
//! IPAddressPool, Service and Argo CD Application); the deployer's `nix` stand-in prints the
//! rendered generation. A healthy cluster passes every named check; a broken recording
//! fails exactly the check it concerns, with the evidence.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::path::PathBuf;

use n3x_core::rollout::{CheckStatus, DeployReport, Outcome};

const GEN: &str = "/nix/store/8ql1bq4h1q6vd8kxg4sw5w0vbwzv3y0g-nixos-system-n100-1-25.05";

const QUERIES: [(&str, &str); 7] = [
    ("kubectl get nodes -o json", "kubectl-nodes.json"),
    ("kubectl get mutatingpolicies.policies.kyverno.io n3x-longhorn-nixos-path -o json", "kubectl-mutatingpolicy.json"),
    ("kubectl get pods -n longhorn-system -o json", "kubectl-longhorn-pods.json"),
    ("kubectl get nodes.longhorn.io -n longhorn-system -o json", "kubectl-longhorn-nodes.json"),
    ("kubectl get ipaddresspools.metallb.io -n metallb-system -o json", "kubectl-ipaddresspools.json"),
    ("kubectl get services -A -o json", "kubectl-services.json"),
    ("kubectl get applications.argoproj.io root -n argocd -o json", "kubectl-root-app.json"),
];

struct Setup {
    node: common::Node,
    inv: PathBuf,
    served: PathBuf,
    deployer_bin: PathBuf,
}

fn setup() -> Option<Setup> {
    let node = common::start("x86_64", "lsblk-nvme-installer.json")?;
    let served = node.dir.path().join("kubectl");
    std::fs::create_dir_all(&served).unwrap();
    let mut cases = String::new();
    for (q, file) in QUERIES {
        std::fs::copy(common::recorded(file), served.join(file)).unwrap();
        cases.push_str(&format!("  '{q}') exec cat '{}';;\n", served.join(file).display()));
    }
    let log = node.dir.path().join("calls.log");
    common::stand_in(
        &node.bin,
        &log,
        "k3s",
        &format!("case \"$*\" in\n{cases}  *) echo \"error: unknown query\" >&2; exit 1;;\nesac"),
    );
    std::fs::write(node.state().join("current"), format!("{GEN}\n")).unwrap();
    let inv = node.dir.path().join("inventory.yaml");
    std::fs::write(
        &inv,
        format!(
            "apiVersion: n3x.dev/v1alpha1\nkind: Inventory\ncluster: {{name: lab}}\n\
             networks:\n  cluster: {{cidr: 192.168.10.0/24, gateway: 192.168.10.1}}\n\
             loadBalancer:\n  pools:\n    - {{name: default, addresses: [192.168.10.200-192.168.10.220]}}\n\
             addons:\n  kyverno: {{enabled: true}}\n  longhorn: {{enabled: true, replicas: 1}}\n  metallb: {{enabled: true}}\n\
             \x20 argocd: {{enabled: true, repoUrl: https://git.example.net/lab/apps.git, path: apps, revision: main}}\n\
             nodes:\n  - name: n100-1\n    role: server\n    hardware: n100\n    addresses: {{cluster: 192.168.10.11}}\n\
             \x20   ssh: {{host: 127.0.0.1, port: {}, user: {}}}\n    hostKey: {}\n",
            node.sshd.port, node.sshd.user, node.sshd.host_key
        ),
    )
    .unwrap();
    let deployer_bin = node.dir.path().join("deployer-bin");
    std::fs::create_dir_all(&deployer_bin).unwrap();
    common::stand_in(&deployer_bin, &node.dir.path().join("deployer.log"), "nix", &format!("echo {GEN}"));
    Some(Setup { node, inv, served, deployer_bin })
}

fn verify(s: &Setup) -> (i32, DeployReport) {
    let path = format!("{}:{}", s.deployer_bin.display(), std::env::var("PATH").unwrap());
    let out = common::deploy()
        .arg("verify")
        .arg(&s.inv)
        .arg("--identity")
        .arg(&s.node.sshd.identity)
        .args(["--format", "json"])
        .env("PATH", path)
        .output()
        .unwrap();
    let r: DeployReport =
        serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&out.stderr)));
    (out.status.code().unwrap(), r)
}

#[test]
fn healthy_cluster_passes_every_check_recorded_kubectl_json() {
    let Some(s) = setup() else { return };
    let (code, r) = verify(&s);
    let got: Vec<(&str, Option<&str>, CheckStatus)> =
        r.checks.iter().map(|c| (c.name.as_str(), c.node.as_deref(), c.status)).collect();
    let n = Some("n100-1");
    assert_eq!(
        got,
        [
            ("node-registered", n, CheckStatus::Pass),
            ("node-ready", n, CheckStatus::Pass),
            ("node-labels", n, CheckStatus::Pass),
            ("node-taints", n, CheckStatus::Pass),
            ("kyverno-path-policy", None, CheckStatus::Pass),
            ("longhorn-pods-path", None, CheckStatus::Pass),
            ("longhorn-node-schedulable", n, CheckStatus::Pass),
            ("metallb-pool", None, CheckStatus::Pass),
            ("lb-address", None, CheckStatus::Pass),
            ("argocd-root-app", None, CheckStatus::Pass),
            ("generation", n, CheckStatus::Pass),
        ],
        "{r:#?}"
    );
    assert_eq!((code, r.outcome), (0, Outcome::Succeeded));
    let ev = |name: &str| r.checks.iter().find(|c| c.name == name).unwrap().evidence.clone();
    assert_eq!(ev("longhorn-pods-path"), "3 containers in 3 pods carry the NixOS PATH");
    assert_eq!(ev("lb-address"), "kube-system/traefik: 192.168.10.200");
    assert_eq!(ev("argocd-root-app"), "root: sync Synced, health Healthy");
}

#[test]
fn each_broken_recording_fails_its_own_check_recorded_kubectl_json() {
    let Some(s) = setup() else { return };
    let cases: [(&str, &str, &str, &str, &str); 6] = [
        (
            "kubectl-nodes.json",
            "\"KubeletReady\",\n                        \"status\": \"True\"",
            "\"KubeletNotReady\",\n                        \"status\": \"False\"",
            "node-ready",
            "Ready=False",
        ),
        (
            "kubectl-longhorn-pods.json",
            "\"name\": \"PATH\"",
            "\"name\": \"NOT_PATH\"",
            "longhorn-pods-path",
            "without the NixOS PATH: longhorn-manager-7xk2p/longhorn-manager",
        ),
        (
            "kubectl-longhorn-nodes.json",
            "\"allowScheduling\": true",
            "\"allowScheduling\": false",
            "longhorn-node-schedulable",
            "allowScheduling=false",
        ),
        (
            "kubectl-ipaddresspools.json",
            "\"name\": \"default\"",
            "\"name\": \"other\"",
            "metallb-pool",
            "default: missing in metallb-system",
        ),
        (
            "kubectl-services.json",
            "\"ip\": \"192.168.10.200\"",
            "\"ip\": \"192.168.10.99\"",
            "lb-address",
            "192.168.10.99",
        ),
        (
            "kubectl-root-app.json",
            "\"status\": \"Synced\"",
            "\"status\": \"OutOfSync\"",
            "argocd-root-app",
            "sync OutOfSync",
        ),
    ];
    let mut checked = 0;
    for (file, from, to, check, evidence) in cases {
        let path = s.served.join(file);
        let good = std::fs::read_to_string(&path).unwrap();
        let bad = good.replacen(from, to, 1);
        assert_ne!(bad, good, "{file}: replacement did not apply");
        std::fs::write(&path, bad).unwrap();
        let (code, r) = verify(&s);
        std::fs::write(&path, good).unwrap();
        assert_eq!((code, r.outcome), (1, Outcome::Failed), "{check}");
        let failed: Vec<&str> =
            r.checks.iter().filter(|c| c.status == CheckStatus::Fail).map(|c| c.name.as_str()).collect();
        assert_eq!(failed, [check], "{file}");
        let c = r.checks.iter().find(|c| c.name == check).unwrap();
        assert!(c.evidence.contains(evidence), "{check}: {}", c.evidence);
        checked += 1;
    }
    assert_eq!(checked, 6);
    // A node running another generation than the flake renders.
    std::fs::write(s.node.state().join("current"), "/nix/store/0ld-nixos-system\n").unwrap();
    let (code, r) = verify(&s);
    assert_eq!(code, 1);
    let g = r.checks.iter().find(|c| c.name == "generation").unwrap();
    assert_eq!(g.status, CheckStatus::Fail);
    assert_eq!(g.evidence, format!("rendered: {GEN}; running: /nix/store/0ld-nixos-system"));
}
