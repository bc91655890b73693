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
    /// The sockets behind the fixed LoadBalancer addresses (Argo CD on 127.0.0.1, the
    /// Longhorn UI on 127.0.0.2): listening, so a TCP connect from the deployer answers.
    lbs: Vec<std::net::TcpListener>,
}

/// The recorded Service list plus the Argo CD server and Longhorn UI Services, shaped like
/// the recorded Traefik one, their fixed addresses assigned and their ports those of `lbs`.
fn services_with_fixed_addresses(lbs: &[std::net::TcpListener]) -> String {
    let mut v: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(common::recorded("kubectl-services.json")).unwrap()).unwrap();
    let items = v["items"].as_array_mut().unwrap();
    let traefik = items.iter().find(|s| s["metadata"]["name"] == "traefik").unwrap().clone();
    for ((ns, name), lb) in [("argocd", "argocd-server"), ("longhorn-system", "longhorn-frontend")].into_iter().zip(lbs)
    {
        let addr = lb.local_addr().unwrap();
        let mut svc = traefik.clone();
        svc["metadata"]["namespace"] = ns.into();
        svc["metadata"]["name"] = name.into();
        svc["spec"]["ports"] =
            serde_json::json!([{"name": "http", "port": addr.port(), "protocol": "TCP", "targetPort": 8080}]);
        svc["status"]["loadBalancer"]["ingress"] = serde_json::json!([{"ip": addr.ip().to_string(), "ipMode": "VIP"}]);
        items.push(svc);
    }
    serde_json::to_string_pretty(&v).unwrap()
}

fn setup() -> Option<Setup> {
    let node = common::start("x86_64", "lsblk-nvme-installer.json")?;
    let served = node.dir.path().join("kubectl");
    std::fs::create_dir_all(&served).unwrap();
    let lbs: Vec<std::net::TcpListener> =
        ["127.0.0.1:0", "127.0.0.2:0"].iter().map(|a| std::net::TcpListener::bind(a).unwrap()).collect();
    let mut cases = String::new();
    for (q, file) in QUERIES {
        std::fs::copy(common::recorded(file), served.join(file)).unwrap();
        if file == "kubectl-services.json" {
            std::fs::write(served.join(file), services_with_fixed_addresses(&lbs)).unwrap();
        }
        if file == "kubectl-ipaddresspools.json" {
            // The second pool, with the loopback addresses, shaped like the recorded one.
            let mut v: serde_json::Value =
                serde_json::from_str(&std::fs::read_to_string(common::recorded(file)).unwrap()).unwrap();
            let mut lo = v["items"][0].clone();
            lo["metadata"]["name"] = "loopback".into();
            lo["spec"]["addresses"] = serde_json::json!(["127.0.0.1-127.0.0.2"]);
            v["items"].as_array_mut().unwrap().push(lo);
            std::fs::write(served.join(file), serde_json::to_string_pretty(&v).unwrap()).unwrap();
        }
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
             \x20 lo: {{cidr: 127.0.0.0/8}}\n\
             loadBalancer:\n  pools:\n    - {{name: default, addresses: [192.168.10.200-192.168.10.220]}}\n\
             \x20   - {{name: loopback, network: lo, addresses: [127.0.0.1-127.0.0.2]}}\n\
             addons:\n  kyverno: {{enabled: true}}\n  longhorn: {{enabled: true, replicas: 1, uiAddress: 127.0.0.2}}\n  metallb: {{enabled: true}}\n\
             \x20 argocd: {{enabled: true, repoUrl: https://git.example.net/lab/apps.git, path: apps, revision: main, address: 127.0.0.1}}\n\
             nodes:\n  - name: n100-1\n    role: server\n    hardware: n100\n    addresses: {{cluster: 192.168.10.11}}\n\
             \x20   ssh: {{host: 127.0.0.1, port: {}, user: {}}}\n    hostKey: {}\n",
            node.sshd.port, node.sshd.user, node.sshd.host_key
        ),
    )
    .unwrap();
    let deployer_bin = node.dir.path().join("deployer-bin");
    std::fs::create_dir_all(&deployer_bin).unwrap();
    common::stand_in(&deployer_bin, &node.dir.path().join("deployer.log"), "nix", &format!("echo {GEN}"));
    Some(Setup { node, inv, served, deployer_bin, lbs })
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
            ("metallb-pool", None, CheckStatus::Pass),
            ("lb-address", None, CheckStatus::Pass),
            ("lb-address", None, CheckStatus::Pass),
            ("lb-address", None, CheckStatus::Pass),
            ("lb-fixed-address", None, CheckStatus::Pass),
            ("lb-fixed-address", None, CheckStatus::Pass),
            ("argocd-root-app", None, CheckStatus::Pass),
            ("generation", n, CheckStatus::Pass),
        ],
        "{r:#?}"
    );
    assert_eq!((code, r.outcome), (0, Outcome::Succeeded));
    let ev = |name: &str| r.checks.iter().find(|c| c.name == name).unwrap().evidence.clone();
    assert_eq!(ev("longhorn-pods-path"), "3 containers in 3 pods carry the NixOS PATH");
    assert_eq!(ev("lb-address"), "kube-system/traefik: 192.168.10.200");
    // The labels expected are the ones normalize puts on the node (n3x.dev/role is not one).
    let doc = n3x_core::io::read_document(Some(&s.inv)).unwrap();
    let cluster = n3x_core::normalize::load_cluster(&doc).unwrap_or_else(|d| panic!("{d}")).0;
    let labels: Vec<&str> = cluster.nodes[0].labels.keys().map(String::as_str).collect();
    assert_eq!(labels, ["n3x.dev/hardware", "n3x.dev/storage", "node.longhorn.io/create-default-disk"]);
    assert_eq!(ev("node-labels"), "3 labels as declared");
    let fixed: Vec<&str> =
        r.checks.iter().filter(|c| c.name == "lb-fixed-address").map(|c| c.evidence.as_str()).collect();
    let ui = s.lbs[1].local_addr().unwrap();
    assert!(
        fixed[0].starts_with(&format!(
            "addons.longhorn.uiAddress 127.0.0.2 → longhorn-system/longhorn-frontend: assigned; {ui} answers ("
        )),
        "{fixed:?}"
    );
    assert!(
        fixed[1].starts_with("addons.argocd.address 127.0.0.1 → argocd/argocd-server: assigned; 127.0.0.1:"),
        "{fixed:?}"
    );
    assert_eq!(ev("argocd-root-app"), "root: sync Synced, health Healthy");
}

#[test]
fn each_broken_recording_fails_its_own_check_recorded_kubectl_json() {
    let Some(s) = setup() else { return };
    let cases: [(&str, &str, &str, &str, &str); 8] = [
        (
            // A label normalize puts on every Longhorn node, missing on the Kubernetes node
            // (k3s applies --node-label only when a node registers).
            "kubectl-nodes.json",
            "\"n3x.dev/storage\": \"true\",",
            "",
            "node-labels",
            "differ: n3x.dev/storage=true (has none)",
        ),
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
            // The Argo CD server got another address than the inventory fixes (still in a pool).
            "kubectl-services.json",
            "\"ip\": \"127.0.0.1\"",
            "\"ip\": \"192.168.10.201\"",
            "lb-fixed-address",
            "addons.argocd.address 127.0.0.1 → argocd/argocd-server: not assigned; it has 192.168.10.201",
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
        let c = r.checks.iter().find(|c| c.name == check && c.status == CheckStatus::Fail).unwrap();
        assert!(c.evidence.contains(evidence), "{check}: {}", c.evidence);
        checked += 1;
    }
    assert_eq!(checked, 8);
    // The Longhorn UI address is assigned but nothing answers on its port (a closed one).
    let closed = std::net::TcpListener::bind("127.0.0.2:0").unwrap().local_addr().unwrap();
    let open = s.lbs[1].local_addr().unwrap();
    let path = s.served.join("kubectl-services.json");
    let good = std::fs::read_to_string(&path).unwrap();
    let bad = good.replacen(&format!("\"port\": {}", open.port()), &format!("\"port\": {}", closed.port()), 1);
    assert_ne!(bad, good);
    std::fs::write(&path, bad).unwrap();
    let t = std::time::Instant::now();
    let (code, r) = verify(&s);
    std::fs::write(&path, good).unwrap();
    assert_eq!(code, 1);
    let failed: Vec<&str> =
        r.checks.iter().filter(|c| c.status == CheckStatus::Fail).map(|c| c.evidence.as_str()).collect();
    assert_eq!(failed.len(), 1, "{failed:?}");
    assert!(
        failed[0].starts_with(&format!(
            "addons.longhorn.uiAddress 127.0.0.2 → longhorn-system/longhorn-frontend: assigned; {closed} does not answer: "
        )),
        "{failed:?}"
    );
    assert!(t.elapsed().as_secs() < 30, "bounded: {:?}", t.elapsed());
    // A node running another generation than the flake renders.
    std::fs::write(s.node.state().join("current"), "/nix/store/0ld-nixos-system\n").unwrap();
    let (code, r) = verify(&s);
    assert_eq!(code, 1);
    let g = r.checks.iter().find(|c| c.name == "generation").unwrap();
    assert_eq!(g.status, CheckStatus::Fail);
    assert_eq!(g.evidence, format!("rendered: {GEN}; running: /nix/store/0ld-nixos-system"));
}

#[test]
fn fixed_addresses_are_judged_on_the_recorded_services_pure() {
    let inventory = |addons: &str| {
        let yaml = format!(
            "apiVersion: n3x.dev/v1alpha1\nkind: Inventory\ncluster: {{name: lab}}\n\
             networks:\n  cluster: {{cidr: 192.168.10.0/24, gateway: 192.168.10.1}}\n\
             loadBalancer:\n  pools:\n    - {{name: default, addresses: [192.168.10.200-192.168.10.220]}}\n\
             addons:\n  metallb: {{enabled: true}}\n{addons}\
             nodes:\n  - {{name: n100-1, role: server, hardware: n100, addresses: {{cluster: 192.168.10.11}}}}\n"
        );
        let doc = n3x_core::Document::parse("inventory.yaml", &yaml).unwrap();
        n3x_core::normalize::load_cluster(&doc).unwrap_or_else(|d| panic!("{d}")).0
    };
    let recorded = std::fs::read_to_string(common::recorded("kubectl-services.json")).unwrap();
    let cases: [(&str, Result<&str, &str>); 4] = [
        // The recorded Traefik Service carries the declared address: try its first TCP port.
        ("  traefik: {address: 192.168.10.200}\n", Ok("192.168.10.200:80")),
        (
            "  traefik: {address: 192.168.10.201}\n",
            Err("addons.traefik.address 192.168.10.201 → kube-system/traefik: not assigned; it has 192.168.10.200"),
        ),
        (
            "  argocd: {enabled: true, repoUrl: https://git.example.net/a.git, address: 192.168.10.202}\n",
            Err("addons.argocd.address 192.168.10.202 → argocd/argocd-server: no such Service"),
        ),
        // No fixed address declared: MetalLB picks one, nothing to check here (lb-address does).
        ("  traefik: {dashboard: true}\n", Err("")),
    ];
    let mut checked = 0;
    for (addons, want) in cases {
        let got = n3x_deploy::verify::judge_fixed(&inventory(addons), &recorded);
        match want {
            Ok(to) => {
                assert_eq!(got.len(), 1, "{addons}");
                assert_eq!(got[0].as_ref().unwrap().1.to_string(), to);
            }
            Err("") => assert!(got.is_empty(), "{addons}: {got:?}"),
            Err(evidence) => {
                assert_eq!(got.len(), 1, "{addons}");
                let c = got[0].as_ref().unwrap_err();
                assert_eq!(
                    (c.name.as_str(), c.status, c.evidence.as_str()),
                    ("lb-fixed-address", CheckStatus::Fail, evidence)
                );
            }
        }
        checked += 1;
    }
    assert_eq!(checked, 4);
}
