//! This crate's own checks of add-on combinations, on a `Cluster` document that did
//! not go through n3x-core's validation (a hand-edited or older cluster.json): each
//! bad combination is rejected by `plan` with a precise message, whatever the
//! producer checked.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use n3x_core::cluster::Cluster;
use n3x_core::Document;

fn cluster(example: &str) -> Cluster {
    let text = std::fs::read_to_string(common::root().join(common::example_path(example))).unwrap();
    let doc = Document::parse("inventory.yaml", &text).unwrap();
    n3x_core::normalize::load_cluster(&doc).unwrap().0
}

/// The errors `plan` reports, as "path: message (help)" lines.
fn errors(c: &Cluster) -> Vec<String> {
    match n3x_kube_bootstrap::plan::plan(c) {
        Ok(_) => Vec::new(),
        Err(d) => {
            d.errors().map(|e| format!("{}: {} ({})", e.path, e.message, e.help.clone().unwrap_or_default())).collect()
        }
    }
}

fn assert_error(c: &Cluster, want: &str) {
    let errs = errors(c);
    assert!(errs.iter().any(|e| e.contains(want)), "expected {want:?} in {errs:#?}");
}

#[test]
fn the_examples_pass() {
    assert_eq!(errors(&cluster("edge-lab")), Vec::<String>::new());
    assert_eq!(errors(&cluster("single-node")), Vec::<String>::new());
}

#[test]
fn storage_network_without_multus() {
    let mut c = cluster("edge-lab");
    c.addons.multus.enabled = false;
    assert_error(&c, "addons.longhorn.storageNetwork: the Longhorn storage network \"storage\" needs Multus, which is off (set addons.multus.enabled: true");
}

#[test]
fn storage_network_unknown() {
    let mut c = cluster("edge-lab");
    c.addons.longhorn.storage_network = Some("storag".into());
    assert_error(&c, "addons.longhorn.storageNetwork: unknown network \"storag\" (did you mean \"storage\"?)");
}

#[test]
fn storage_node_without_storage_address() {
    let mut c = cluster("edge-lab");
    c.nodes[1].network.attachments.retain(|a| a.network != "storage");
    c.nodes[1].addresses.remove("storage");
    assert_error(&c, "nodes[1].addresses.storage: node n100-2 carries Longhorn storage but has no address on the storage network \"storage\"");
}

#[test]
fn storage_interfaces_differ() {
    let mut c = cluster("edge-lab");
    for a in c.nodes[2].network.attachments.iter_mut().filter(|a| a.network == "storage") {
        a.interface = "enp3s0".parse().unwrap();
    }
    assert_error(&c, "is on different interfaces on different nodes");
}

#[test]
fn metallb_without_a_pool() {
    let mut c = cluster("single-node");
    c.pools.clear();
    c.addons.traefik.address = None;
    assert_error(&c, "addons.metallb.enabled: MetalLB is enabled but the inventory has no load-balancer pool (add a pool under loadBalancer.pools");
}

#[test]
fn metallb_unknown_pool() {
    let mut c = cluster("single-node");
    c.addons.metallb.pools = vec!["service".into()];
    assert_error(&c, "addons.metallb.pools[0]: unknown pool \"service\" (did you mean \"services\"?)");
}

#[test]
fn metallb_with_servicelb_still_on() {
    let mut c = cluster("single-node");
    c.k3s.disable.retain(|d| d != "servicelb");
    assert_error(&c, "k3s.disable: MetalLB is enabled but k3s's servicelb is not disabled");
}

#[test]
fn replicas_above_storage_nodes() {
    let mut c = cluster("edge-lab");
    c.addons.longhorn.replicas = Some(4);
    assert_error(&c, "addons.longhorn.replicas: replicas is 4 but only 3 nodes carry Longhorn storage (n100-1, n100-2, n100-3) (set addons.longhorn.replicas to 3 or less");
    let mut c = cluster("single-node");
    c.addons.longhorn.replicas = Some(2);
    assert_error(&c, "replicas is 2 but only 1 node carries Longhorn storage (nuc-1)");
}

#[test]
fn longhorn_without_storage_nodes() {
    let mut c = cluster("single-node");
    c.nodes[0].longhorn = false;
    assert_error(&c, "addons.longhorn.enabled: Longhorn is enabled but no node carries Longhorn storage");
}

#[test]
fn argocd_without_repo() {
    let mut c = cluster("single-node");
    c.addons.argocd.repo_url = None;
    assert_error(&c, "addons.argocd.repoUrl: Argo CD is enabled but has no repository for the root application (set addons.argocd.repoUrl");
}

#[test]
fn argocd_repo_is_not_a_url() {
    let mut c = cluster("single-node");
    c.addons.argocd.repo_url = Some("apps".into());
    assert_error(&c, "addons.argocd.repoUrl: \"apps\" is not a Git repository URL");
}

#[test]
fn longhorn_with_kyverno_off() {
    let mut c = cluster("single-node");
    c.addons.kyverno.enabled = Some(false);
    assert_error(&c, "addons.kyverno.enabled: Longhorn is enabled but Kyverno is off");
}

#[test]
fn traefik_address_outside_metallb_pools() {
    let mut c = cluster("single-node");
    c.addons.traefik.address = Some("192.168.1.50".parse().unwrap());
    assert_error(&c, "addons.traefik.address: 192.168.1.50 is in no pool MetalLB serves");
}

#[test]
fn bad_version_override() {
    let mut c = cluster("single-node");
    c.addons.metallb.version = Some("latest".into());
    assert_error(&c, "addons.metallb.version: chart version \"latest\" is not a version");
}

#[test]
fn acme_without_email() {
    let mut c = cluster("single-node");
    c.addons.cert_manager.issuer =
        n3x_core::inventory::Issuer::Acme { email: "".into(), server: "https://acme.example/dir".into() };
    assert_error(&c, "addons.certManager.issuer.email");
}

#[test]
fn all_problems_at_once() {
    let mut c = cluster("edge-lab");
    c.addons.multus.enabled = false;
    c.addons.longhorn.replicas = Some(9);
    c.addons.argocd.repo_url = None;
    c.pools.clear();
    assert_eq!(errors(&c).len(), 4, "{:#?}", errors(&c));
}
