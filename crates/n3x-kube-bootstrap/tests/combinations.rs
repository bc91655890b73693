//! Add-ons switched on and off: every combination here renders, passes
//! validate-manifests, and keeps the ordering invariants (custom resources never share
//! a file with the chart that brings their CRD; the PATH policy and the gate sort
//! before Longhorn; nothing of Longhorn exists without the gate).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::*;
use n3x_core::Document;
use serde_json::{json, Value};

/// Kinds whose CRD comes from a chart n3x installs (so they must not share its file).
const CHART_CRD_KINDS: &[&str] = &[
    "MutatingPolicy",
    "ClusterPolicy",
    "NetworkAttachmentDefinition",
    "IPAddressPool",
    "L2Advertisement",
    "ClusterIssuer",
    "Application",
];

fn set(inv: &mut Value, path: &str, v: Value) {
    let mut cur = inv;
    let parts: Vec<&str> = path.split('.').collect();
    for p in &parts[..parts.len() - 1] {
        if cur.get(*p).is_none() {
            cur[*p] = json!({});
        }
        cur = cur.get_mut(*p).unwrap();
    }
    let last = parts[parts.len() - 1];
    if v.is_null() {
        cur.as_object_mut().unwrap().remove(last);
    } else {
        cur[last] = v;
    }
}

fn variant(base: &str, changes: &[(&str, Value)]) -> Value {
    let mut inv = example(base);
    for (p, v) in changes {
        set(&mut inv, p, v.clone());
    }
    inv
}

fn render(inv: &Value) -> Vec<n3x_kube_bootstrap::Manifest> {
    let doc = Document::parse("variant.json", &serde_json::to_string(inv).unwrap()).unwrap();
    let (cluster, _) =
        n3x_core::normalize::load_cluster(&doc).unwrap_or_else(|d| panic!("inventory rejected by normalize:\n{d}"));
    let (files, _) = n3x_kube_bootstrap::bootstrap(&cluster).unwrap_or_else(|d| panic!("rejected:\n{d}"));
    files
}

fn cases() -> Vec<(&'static str, Value)> {
    let off = Value::Bool(false);
    vec![
        ("edge-lab as is", variant("edge-lab", &[])),
        ("edge-lab without Longhorn", variant("edge-lab", &[("addons.longhorn", json!({"enabled": false}))])),
        (
            "edge-lab Longhorn without storage network",
            variant("edge-lab", &[("addons.longhorn.storageNetwork", Value::Null)]),
        ),
        (
            "edge-lab Longhorn without storage network or Multus",
            variant(
                "edge-lab",
                &[("addons.longhorn.storageNetwork", Value::Null), ("addons.multus.enabled", off.clone())],
            ),
        ),
        ("edge-lab without MetalLB", variant("edge-lab", &[("addons.metallb.enabled", off.clone())])),
        ("edge-lab without Argo CD", variant("edge-lab", &[("addons.argocd", json!({"enabled": false}))])),
        (
            "edge-lab without the device plugin",
            variant("edge-lab", &[("addons.nvidiaDevicePlugin", json!({"enabled": false}))]),
        ),
        (
            "edge-lab with ClusterPolicy on an old Kyverno",
            variant(
                "edge-lab",
                &[("addons.kyverno.policyKind", json!("ClusterPolicy")), ("addons.kyverno.version", json!("3.6.4"))],
            ),
        ),
        (
            "edge-lab with ACME cert-manager",
            variant(
                "edge-lab",
                &[(
                    "addons.certManager",
                    json!({"enabled": true, "issuer": {"type": "acme", "email": "ops@example.net"}}),
                )],
            ),
        ),
        ("edge-lab with MetalLB in BGP mode", variant("edge-lab", &[("addons.metallb.mode", json!("bgp"))])),
        (
            "edge-lab with fixed Argo CD and Longhorn UI addresses",
            variant(
                "edge-lab",
                &[
                    ("addons.argocd.address", json!("192.168.10.201")),
                    ("addons.longhorn.uiAddress", json!("192.168.10.202")),
                ],
            ),
        ),
        ("single-node as is", variant("single-node", &[])),
        (
            "single-node without cert-manager",
            variant("single-node", &[("addons.certManager", json!({"enabled": false}))]),
        ),
        (
            "single-node Traefik address without dashboard",
            variant("single-node", &[("addons.traefik.dashboard", off.clone())]),
        ),
        ("single-node Kyverno only", {
            variant(
                "single-node",
                &[
                    ("addons.longhorn", json!({"enabled": false})),
                    ("addons.kyverno", json!({"enabled": true})),
                    ("addons.metallb.enabled", off.clone()),
                    ("addons.argocd", json!({"enabled": false})),
                    ("addons.certManager", json!({"enabled": false})),
                    ("addons.traefik", json!({"enabled": true})),
                ],
            )
        }),
        (
            "single-node only Argo CD",
            variant(
                "single-node",
                &[
                    ("addons.longhorn", json!({"enabled": false})),
                    ("addons.metallb.enabled", off.clone()),
                    ("addons.certManager", json!({"enabled": false})),
                    ("addons.traefik", json!({"enabled": true})),
                ],
            ),
        ),
    ]
}

#[test]
fn every_combination_validates_and_keeps_the_order() {
    for (name, inv) in cases() {
        let files = render(&inv);
        assert!(!files.is_empty(), "{name}: nothing rendered");
        let tmp = tempfile::tempdir().unwrap();
        for f in n3x_kube_bootstrap::render_dir(&files, "variant.json").unwrap() {
            std::fs::write(tmp.path().join(&f.path), &f.contents).unwrap();
        }
        assert_valid(&[tmp.path()], name);

        // File names sort in apply order and name no AddOn twice.
        let stems: Vec<String> = files.iter().map(|f| f.stem()).collect();
        let mut sorted = stems.clone();
        sorted.sort();
        sorted.dedup();
        assert_eq!(stems, sorted, "{name}");
        assert!(stems.iter().all(|s| !s.contains('.')), "{name}: a dot would change the AddOn name");

        let kinds = |f: &n3x_kube_bootstrap::Manifest| -> Vec<String> {
            f.docs.iter().map(|d| d["kind"].as_str().unwrap().to_string()).collect()
        };
        for f in &files {
            let k = kinds(f);
            if k.iter().any(|k| k == "HelmChart") {
                assert!(
                    !k.iter().any(|k| CHART_CRD_KINDS.contains(&k.as_str())),
                    "{name}: {} mixes a chart with a custom resource of a chart: {k:?}",
                    f.file_name()
                );
            }
        }
        let pos = |stem: &str| stems.iter().position(|s| s == stem);
        if let Some(longhorn) = pos("30-longhorn") {
            let gate = pos("12-longhorn-gate").unwrap_or_else(|| panic!("{name}: Longhorn without the gate"));
            let policy = pos("11-longhorn-nixos-path").unwrap_or_else(|| panic!("{name}: Longhorn without the policy"));
            let kyverno = pos("10-kyverno").unwrap_or_else(|| panic!("{name}: Longhorn without Kyverno"));
            assert!(kyverno < policy && policy < gate && gate < longhorn, "{name}: {stems:?}");
            // The namespace comes after the policy objects inside the gate file.
            let g = &files[gate];
            assert_eq!(
                kinds(g),
                ["ValidatingAdmissionPolicy", "ValidatingAdmissionPolicyBinding", "Namespace"],
                "{name}"
            );
            assert_eq!(files[longhorn].docs[0]["spec"]["createNamespace"], json!(false), "{name}");
        } else {
            assert!(pos("12-longhorn-gate").is_none(), "{name}: gate without Longhorn");
        }
        if let Some(nad) = pos("21-storage-network") {
            assert!(pos("20-multus").is_some_and(|m| m < nad), "{name}");
        }
        // HelmChart versions are strings and valuesContent is a YAML mapping.
        for d in files.iter().flat_map(|f| &f.docs) {
            if d["kind"] == "HelmChart" {
                assert!(d["spec"]["version"].is_string(), "{name}: {d}");
            }
            if let Some(v) = d["spec"]["valuesContent"].as_str() {
                let parsed: Value = serde_yaml::from_str(v).unwrap();
                assert!(parsed.is_object(), "{name}: {v}");
            }
        }
    }
}

#[test]
fn fixed_load_balancer_addresses_reach_the_charts() {
    let inv = variant(
        "edge-lab",
        &[("addons.argocd.address", json!("192.168.10.201")), ("addons.longhorn.uiAddress", json!("192.168.10.202"))],
    );
    let files = render(&inv);
    let values = |stem: &str| -> Value {
        let f = files.iter().find(|f| f.stem() == stem).unwrap_or_else(|| panic!("no {stem}"));
        serde_yaml::from_str(f.docs[0]["spec"]["valuesContent"].as_str().unwrap()).unwrap()
    };
    let argocd = values("80-argocd");
    assert_eq!(argocd["server"]["service"]["type"], "LoadBalancer");
    assert_eq!(argocd["server"]["service"]["annotations"]["metallb.io/loadBalancerIPs"], "192.168.10.201");
    let longhorn = values("30-longhorn");
    assert_eq!(longhorn["service"]["ui"]["type"], "LoadBalancer");
    assert_eq!(longhorn["service"]["ui"]["loadBalancerIP"], "192.168.10.202");
}

#[test]
fn nothing_switched_on_renders_nothing() {
    let inv = variant(
        "single-node",
        &[
            ("addons.longhorn", json!({"enabled": false})),
            ("addons.metallb.enabled", Value::Bool(false)),
            ("addons.argocd", json!({"enabled": false})),
            ("addons.certManager", json!({"enabled": false})),
            ("addons.traefik", json!({"enabled": true})),
        ],
    );
    assert!(render(&inv).is_empty());
}

#[test]
fn replicas_default_to_the_storage_nodes() {
    // edge-lab has three storage nodes; without an explicit count Longhorn gets 3,
    // single-node has one and gets 1.
    for (base, want) in [("edge-lab", 3), ("single-node", 1)] {
        let inv = variant(base, &[("addons.longhorn.replicas", Value::Null)]);
        let files = render(&inv);
        let lh = files.iter().find(|f| f.name == "longhorn").unwrap();
        let values: Value = serde_yaml::from_str(lh.docs[0]["spec"]["valuesContent"].as_str().unwrap()).unwrap();
        assert_eq!(values["persistence"]["defaultClassReplicaCount"], json!(want), "{base}");
        assert_eq!(
            values["defaultSettings"]["defaultReplicaCount"],
            json!(format!("{{\"v1\":\"{want}\",\"v2\":\"{want}\"}}"))
        );
    }
}

#[test]
fn storage_network_ipam_never_hands_out_node_addresses() {
    let files = render(&example("edge-lab"));
    let nad = files.iter().find(|f| f.name == "storage-network").unwrap();
    let config: Value = serde_json::from_str(nad.docs[0]["spec"]["config"].as_str().unwrap()).unwrap();
    assert_eq!(config["ipam"]["type"], "whereabouts");
    assert_eq!(config["ipam"]["range"], "192.168.20.0/24");
    let exclude: Vec<&str> =
        config["ipam"]["exclude"].as_array().unwrap().iter().map(|v| v.as_str().unwrap()).collect();
    for ip in ["192.168.20.11/32", "192.168.20.12/32", "192.168.20.13/32"] {
        assert!(exclude.contains(&ip), "{exclude:?}");
    }
    assert_eq!(config["mtu"], 1500);
}
