//! The cross-node and cross-field rules that a plausible-but-wrong inventory breaks:
//! duplicate VLANs on one link, bond members that also carry addresses, MACs written
//! twice, k3s flags that fight the ones n3x derives, address families that do not
//! match, MTUs that cannot hold, hardware that cannot be, credentials inside URLs,
//! and probe facts that contradict the inventory.
//!
//! Inventory-level rules run from [`super::validate`]; the rules that need the resolved
//! interfaces (which interface carries which network) run on the normalized
//! [`Cluster`] from [`cluster_rules`]. Both are pure and name field paths; the caller
//! adds positions.

use std::collections::BTreeMap;
use std::net::IpAddr;

use serde_json::Value;

use crate::cluster::Cluster;
use crate::diag::{Diagnostic, Diagnostics};
use crate::facts::Facts;
use crate::inventory::{Inventory, NodeSpec};
use crate::model::{BondMode, Hardware};
use crate::normalize::node_path;
use crate::source::{join_index, join_key};
use crate::units::Cidr;

/// The pod network k3s uses when `k3s.clusterCidr` is not set.
pub(super) const DEFAULT_CLUSTER_CIDR: &str = "10.42.0.0/16";
/// The service network k3s uses when `k3s.serviceCidr` is not set.
pub(super) const DEFAULT_SERVICE_CIDR: &str = "10.43.0.0/16";

/// Inventory-level rules (everything that needs no resolved interfaces).
pub(super) fn inventory_rules(inv: &Inventory, d: &mut Diagnostics) {
    cni(inv, d);
    macs(inv, d);
    k3s_flags(inv, d);
    address_families(inv, d);
    for (i, n) in inv.nodes.iter().enumerate() {
        hardware(i, n, d);
        netplan_lines(i, n, d);
    }
    credentials(inv, d);
}

/// Every string of an embedded netplan document is one line: n3x-netplan renders them
/// into line-oriented networkd units, and normalize passes the document on as it is, so
/// a line break is refused here, where the Cluster is made (n3x-netplan refuses it too).
fn netplan_lines(i: usize, n: &NodeSpec, d: &mut Diagnostics) {
    let Some(doc) = &n.netplan else { return };
    for path in crate::comment::strings_with_line_breaks(doc) {
        d.push(
            Diagnostic::error(
                crate::source::join_key(&node_path(i, "netplan"), &path),
                "a netplan value may not contain a line break (it would start a new line in a networkd unit)",
            )
            .with_help("write the value on one line; a list of values is a YAML list"),
        );
    }
}

/// `cni: cilium` is refused: n3x would start k3s without flannel and network policy
/// but deploys no Cilium, so the nodes would never become Ready. Bring-your-own is
/// `cni: none` (and the CNI from Argo CD or a HelmChart of your own).
fn cni(inv: &Inventory, d: &mut Diagnostics) {
    if inv.k3s.cni == crate::model::Cni::Cilium {
        d.push(
            Diagnostic::error("k3s.cni", "n3x does not deploy Cilium: with cni: cilium the nodes would have no CNI and never become Ready")
                .with_help("use cni: flannel (the default), or cni: none and deploy Cilium yourself (k3s then runs with --flannel-backend=none; add --disable-network-policy to k3s.extraFlags)"),
        );
    }
}

/// A MAC may be written as `network.mac` or `network.nics[].mac` (and inside an
/// embedded netplan document); every one of them must name one NIC only.
fn macs(inv: &Inventory, d: &mut Diagnostics) {
    let mut seen: BTreeMap<String, (String, String)> = BTreeMap::new();
    let mut record = |mac: String, path: String, owner: String, d: &mut Diagnostics| {
        let key = mac.to_ascii_lowercase();
        match seen.get(&key) {
            // The same NIC written twice on one node (network.mac and its nics entry) is one NIC.
            Some((_, first_owner)) if *first_owner == owner => {}
            Some((first_path, first_owner)) => d.push(
                Diagnostic::error(path, format!("MAC {mac} is also used by {first_owner} ({first_path})")).with_help(
                    "every NIC has its own permanent MAC; copy it from `ip link` on the machine (or probe it)",
                ),
            ),
            None => {
                seen.insert(key, (path, owner));
            }
        }
    };
    for (i, n) in inv.nodes.iter().enumerate() {
        let net = &n.network;
        if let Some(mac) = net.mac {
            let owner = format!("{}/{}", n.name, net.interface.as_deref().unwrap_or("lan0"));
            record(mac.to_string(), node_path(i, "network.mac"), owner, d);
        }
        for (j, nic) in net.nics.iter().enumerate() {
            if let Some(mac) = nic.mac {
                let owner = format!("{}/{}", n.name, nic.name);
                record(mac.to_string(), node_path(i, &format!("network.nics[{j}].mac")), owner, d);
            }
        }
        if let Some(Value::Object(np)) = n.netplan.as_ref().and_then(|v| v.get("network")) {
            if let Some(Value::Object(eths)) = np.get("ethernets") {
                for (id, eth) in eths {
                    let base = node_path(i, &format!("netplan.network.ethernets.{id}"));
                    for (path, v) in [
                        (format!("{base}.match.macaddress"), eth.get("match").and_then(|m| m.get("macaddress"))),
                        (format!("{base}.macaddress"), eth.get("macaddress")),
                    ] {
                        if let Some(Value::String(mac)) = v {
                            record(mac.clone(), path, format!("{}/{id}", n.name), d);
                        }
                    }
                }
            }
        }
    }
}

/// Flags n3x derives for k3s, with the inventory field that decides each.
const DERIVED_FLAGS: &[(&str, &str)] = &[
    ("--cluster-init", "n3x gives --cluster-init to the first server only; two initializing servers make two clusters"),
    ("--server", "n3x points every node but the first server at k3s.apiAddress"),
    ("-s", "n3x points every node but the first server at k3s.apiAddress"),
    ("--node-ip", "n3x sets --node-ip from the node's addresses.cluster"),
    ("-i", "n3x sets --node-ip from the node's addresses.cluster"),
    ("--flannel-iface", "n3x sets --flannel-iface to the interface that carries the cluster network"),
    ("--cluster-cidr", "set k3s.clusterCidr instead"),
    ("--service-cidr", "set k3s.serviceCidr instead"),
    ("--cluster-dns", "n3x derives the cluster DNS from k3s.serviceCidr"),
    ("--flannel-backend", "set k3s.flannelBackend (or k3s.cni) instead"),
    ("--node-name", "the node name is the inventory's node name"),
    ("--node-external-ip", "set k3s.nodeExternalIp on the node instead"),
    ("--token", "the join token comes from the sops secret (tokenFile), never from a flag"),
    ("-t", "the join token comes from the sops secret (tokenFile), never from a flag"),
    ("--token-file", "n3x sets the token file to the sops secret's path"),
    ("--agent-token", "the agent token comes from the sops secret, never from a flag"),
    ("--datastore-endpoint", "n3x runs embedded etcd (the first server initializes it)"),
];

/// The flag name of an `extraFlags` entry (`--server=https://…` → `--server`).
fn flag_name(f: &str) -> &str {
    let f = f.trim_start();
    f.split(['=', ' ', '\t']).next().unwrap_or(f)
}

fn k3s_flags(inv: &Inventory, d: &mut Diagnostics) {
    let check = |path: String, flag: &str, d: &mut Diagnostics| {
        let name = flag_name(flag);
        if let Some((_, why)) = DERIVED_FLAGS.iter().find(|(f, _)| *f == name) {
            d.push(
                Diagnostic::error(path, format!("{name} contradicts what n3x derives for this node"))
                    .with_help(format!("remove it from extraFlags: {why}")),
            );
        }
    };
    for (j, f) in inv.k3s.extra_flags.iter().enumerate() {
        check(format!("k3s.extraFlags[{j}]"), f, d);
    }
    for (i, n) in inv.nodes.iter().enumerate() {
        for (j, f) in n.k3s.as_ref().map(|k| k.extra_flags.as_slice()).unwrap_or_default().iter().enumerate() {
            check(node_path(i, &format!("k3s.extraFlags[{j}]")), f, d);
        }
    }
}

fn family(c: &Cidr) -> &'static str {
    if c.network().is_ipv4() {
        "IPv4"
    } else {
        "IPv6"
    }
}

fn ip_family(ip: &IpAddr) -> &'static str {
    if ip.is_ipv4() {
        "IPv4"
    } else {
        "IPv6"
    }
}

/// The cluster network, the pod network and the service network are of one family
/// (n3x renders single-stack k3s). A defaulted pod/service CIDR is reported at the
/// cluster network's `cidr`, the entry it conflicts with.
fn address_families(inv: &Inventory, d: &mut Diagnostics) {
    let Some(cluster_net) = inv.networks.get("cluster") else { return };
    let host = family(&cluster_net.cidr);
    for (field, cidr, default) in [
        ("clusterCidr", &inv.k3s.cluster_cidr, DEFAULT_CLUSTER_CIDR),
        ("serviceCidr", &inv.k3s.service_cidr, DEFAULT_SERVICE_CIDR),
    ] {
        if family(cidr) == host {
            continue;
        }
        let defaulted = cidr.to_string() == default;
        let (path, what) = if defaulted {
            ("networks.cluster.cidr".to_string(), format!("k3s.{field} (default {cidr})"))
        } else {
            (format!("k3s.{field}"), format!("k3s.{field} {cidr}"))
        };
        d.push(
            Diagnostic::error(
                path,
                format!(
                    "{what} is {} but the cluster network {} is {host}; k3s runs single-stack here",
                    family(cidr),
                    cluster_net.cidr
                ),
            )
            .with_help(format!(
                "set k3s.{field} to an {host} network (e.g. {})",
                if host == "IPv6" {
                    if field == "clusterCidr" {
                        "fd42::/56"
                    } else {
                        "fd43::/112"
                    }
                } else if field == "clusterCidr" {
                    DEFAULT_CLUSTER_CIDR
                } else {
                    DEFAULT_SERVICE_CIDR
                }
            )),
        );
    }
    if let Some(api) = inv.k3s.api_address {
        if ip_family(&api) != host {
            d.push(Diagnostic::error(
                "k3s.apiAddress",
                format!(
                    "API address {api} is {} but the cluster network {} is {host}",
                    ip_family(&api),
                    cluster_net.cidr
                ),
            ));
        }
    }
    for (i, p) in inv.load_balancer.pools.iter().enumerate() {
        if let Some(net) = inv.networks.get(&p.network) {
            for (j, r) in p.addresses.iter().enumerate() {
                if ip_family(&r.start) != family(&net.cidr) {
                    d.push(Diagnostic::error(
                        format!("loadBalancer.pools[{i}].addresses[{j}]"),
                        format!(
                            "range {r} is {} but network \"{}\" is {}",
                            ip_family(&r.start),
                            p.network,
                            family(&net.cidr)
                        ),
                    ));
                }
            }
        }
    }
}

/// Below this, a memory size was almost certainly written without a unit.
const MIN_MEMORY: u64 = 256 * 1024 * 1024;

/// What a hardware profile can physically be.
fn hardware(i: usize, n: &NodeSpec, d: &mut Diagnostics) {
    let hw = n.hardware;
    let net = &n.network;
    let one_nic = matches!(hw, Hardware::Rpi4 | Hardware::Rpi5 | Hardware::JetsonOrinNano);
    let label = match hw {
        Hardware::Rpi4 => "a Raspberry Pi 4",
        Hardware::Rpi5 => "a Raspberry Pi 5",
        Hardware::JetsonOrinNano => "a Jetson Orin Nano developer kit",
        _ => "",
    };
    if one_nic {
        if let Some(b) = &net.bond {
            let why = if b.mode == BondMode::Lacp { "an 802.3ad (LACP) bond" } else { "a bond" };
            d.push(
                Diagnostic::error(
                    node_path(i, "network.bond"),
                    format!("{} has one Ethernet port; {why} needs two NICs", label),
                )
                .with_help(format!("remove network.bond, or change hardware if this is not {label}")),
            );
        } else if net.nics.len() > 1 {
            d.push(
                Diagnostic::error(
                    node_path(i, "network.nics"),
                    format!("{} has one Ethernet port, but {} NICs are listed", label, net.nics.len()),
                )
                .with_help("list the one onboard NIC (a USB NIC is not a supported cluster link)"),
            );
        }
    }
    // The Pi 4 has no PCIe slot for an NVMe disk; the Pi 5 does (M.2 HAT), so it may.
    if hw == Hardware::Rpi4 {
        for (field, dev) in [
            ("disk.device", n.disk.device.as_deref()),
            ("longhornDisk.device", n.longhorn_disk.as_ref().map(|l| l.device.as_str())),
        ] {
            if let Some(dev) = dev.filter(|d| d.contains("nvme")) {
                d.push(
                    Diagnostic::error(
                        node_path(i, field),
                        format!("{dev} is an NVMe disk, but a Raspberry Pi 4 has no PCIe slot for one"),
                    )
                    .with_help(
                        "use the SD card (/dev/mmcblk0) or a USB disk (/dev/disk/by-id/usb-…), or hardware: rpi5",
                    ),
                );
            }
        }
    }
    if let Some(m) = n.memory {
        if m.bytes() < MIN_MEMORY {
            d.push(
                Diagnostic::error(node_path(i, "memory"), format!("memory of {} bytes is implausible", m.bytes()))
                    .with_help(format!(
                        "a plain number is bytes; write the unit, e.g. memory: {}GiB",
                        m.bytes().max(1)
                    )),
            );
        }
    }
}

/// A URL with user information: a password (`user:secret@`) anywhere, or any user
/// part in an http(s) URL (tokens are written as the user: `https://TOKEN@host`).
/// `ssh://git@host` and `git@host:org/repo` name a login, not a secret. URLs inside a
/// longer string (`--flag=https://…`) count too.
pub fn url_credentials(s: &str) -> bool {
    let mut rest = s;
    while let Some(at) = rest.find("://") {
        let before = &rest[..at];
        let scheme_start =
            before.rfind(|c: char| !(c.is_ascii_alphanumeric() || "+.-".contains(c))).map_or(0, |i| i + 1);
        let scheme = &before[scheme_start..];
        let after = &rest[at + 3..];
        let authority = after.split(['/', '?', '#', ' ', '"', '\'', ',']).next().unwrap_or(after);
        if !scheme.is_empty() {
            if let Some((userinfo, _host)) = authority.rsplit_once('@') {
                if userinfo.contains(':') || scheme.to_ascii_lowercase().starts_with("http") {
                    return true;
                }
            }
        }
        rest = after;
    }
    false
}

/// Credentials written into a URL anywhere in the inventory end up in the Nix store
/// and in manifests; n3x refuses them everywhere, not only where one tool looks.
fn credentials(inv: &Inventory, d: &mut Diagnostics) {
    let Ok(value) = serde_json::to_value(inv) else { return };
    let mut found = Vec::new();
    walk_strings(&value, String::new(), &mut found);
    for path in found {
        d.push(
            Diagnostic::error(path, "this URL carries credentials; they would land in the Nix store and the manifests")
                .with_help("remove user:password@ (or the token) from the URL; give the credentials as a sops secret (for Argo CD: `n3x-kube-bootstrap render --argocd-repo-secret`)"),
        );
    }
}

fn walk_strings(v: &Value, path: String, found: &mut Vec<String>) {
    match v {
        Value::String(s) if url_credentials(s) => found.push(path),
        Value::Array(items) => {
            for (i, x) in items.iter().enumerate() {
                walk_strings(x, join_index(&path, i), found);
            }
        }
        Value::Object(m) => {
            for (k, x) in m {
                walk_strings(x, join_key(&path, k), found);
            }
        }
        _ => {}
    }
}

/// Rules that need the resolved network of each node: VLANs per link, bond members
/// carrying networks or addresses, MTUs of networks that share a link.
pub fn cluster_rules(inv: &Inventory, cluster: &Cluster) -> Diagnostics {
    let mut d = Diagnostics::new();
    for (i, (spec, node)) in inv.nodes.iter().zip(&cluster.nodes).enumerate() {
        if node.network.netplan.is_some() {
            continue; // n3x-netplan checks an embedded netplan document itself.
        }
        vlans(inv, i, spec, node, &mut d);
        bond_members(i, spec, node, &mut d);
        mtus(node, &mut d);
    }
    mtu_mismatch(cluster, &mut d);
    d
}

/// The path of VLAN `j` of the cluster node: an explicit entry, or the network whose
/// `vlan` id made it.
fn vlan_path(inv: &Inventory, i: usize, spec: &NodeSpec, node: &crate::cluster::Node, j: usize) -> String {
    if j < spec.network.vlans.len() {
        return node_path(i, &format!("network.vlans[{j}].id"));
    }
    let v = &node.network.vlans[j];
    let net = node.network.attachments.iter().find(|a| a.interface == v.name).map(|a| a.network.clone());
    match net.filter(|n| inv.networks.contains_key(n)) {
        Some(n) => format!("networks.{n}.vlan"),
        None => node_path(i, "network.vlans"),
    }
}

fn vlans(inv: &Inventory, i: usize, spec: &NodeSpec, node: &crate::cluster::Node, d: &mut Diagnostics) {
    let vl = &node.network.vlans;
    for (j, v) in vl.iter().enumerate() {
        if let Some(k) = vl[..j].iter().position(|w| w.link == v.link && w.id == v.id) {
            d.push(
                Diagnostic::error(
                    vlan_path(inv, i, spec, node, j),
                    format!(
                        "{}: VLAN id {} is already on link {} ({}); one link carries each VLAN id once",
                        node.name, v.id, v.link, vl[k].name
                    ),
                )
                .with_help("put both networks on the one VLAN entry, or use another VLAN id"),
            );
        } else if let Some(k) = vl[..j].iter().position(|w| w.name == v.name) {
            d.push(Diagnostic::error(
                vlan_path(inv, i, spec, node, j),
                format!("{}: VLAN interface name {} is used twice ({})", node.name, v.name, vl[k].name),
            ));
        }
    }
}

fn bond_members(i: usize, spec: &NodeSpec, node: &crate::cluster::Node, d: &mut Diagnostics) {
    let net = &node.network;
    let member_of = |iface: &str| net.bonds.iter().find(|b| b.members.iter().any(|m| m == iface));
    let flag = |path: String, what: String, iface: &str, d: &mut Diagnostics| {
        if let Some(b) = member_of(iface) {
            d.push(
                Diagnostic::error(
                    path,
                    format!("{}: {iface} is a member of bond {} and cannot also carry {what}", node.name, b.name),
                )
                .with_help(format!("put it on the bond ({}) or on a VLAN of the bond instead", b.name)),
            );
        }
    };
    for (net_name, iface) in &spec.network.attach {
        flag(node_path(i, &format!("network.attach.{net_name}")), format!("network {net_name}"), iface, d);
    }
    for (j, v) in spec.network.vlans.iter().enumerate() {
        if let Some(link) = &v.link {
            flag(node_path(i, &format!("network.vlans[{j}].link")), format!("VLAN {}", v.id), link, d);
        }
    }
    for (j, x) in spec.network.extra_addresses.iter().enumerate() {
        if let Some(iface) = &x.interface {
            flag(
                node_path(i, &format!("network.extraAddresses[{j}].interface")),
                format!("address {}", x.address),
                iface,
                d,
            );
        }
    }
    for (j, r) in spec.network.routes.iter().enumerate() {
        if let Some(iface) = &r.interface {
            flag(node_path(i, &format!("network.routes[{j}].interface")), format!("route to {}", r.to), iface, d);
        }
    }
    if spec.network.bond.is_some() {
        if let Some(iface) = &spec.network.interface {
            flag(node_path(i, "network.interface"), "the node's addresses".into(), iface, d);
        }
    }
}

/// One interface has one MTU: networks sharing an interface must agree, and a VLAN's
/// MTU raises its link (n3x-netplan raises it so the VLAN works), which must not
/// silently change the MTU of an untagged network on that link.
fn mtus(node: &crate::cluster::Node, d: &mut Diagnostics) {
    let atts = &node.network.attachments;
    for (j, a) in atts.iter().enumerate() {
        if let Some(b) = atts[..j].iter().find(|b| b.interface == a.interface && b.mtu != a.mtu) {
            d.push(
                Diagnostic::error(
                    format!("networks.{}.mtu", a.network),
                    format!(
                        "{}: networks {} (MTU {}) and {} (MTU {}) share interface {}, which has one MTU",
                        node.name, b.network, b.mtu, a.network, a.mtu, a.interface
                    ),
                )
                .with_help("give both networks the same mtu, or carry one of them on a VLAN or its own NIC"),
            );
        }
    }
}

/// The MTU a network really gets on one node.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EffectiveMtu {
    /// The node.
    pub node: String,
    /// The network.
    pub network: String,
    /// What the interface carrying the network runs at.
    pub effective: u16,
    /// What `networks.<name>.mtu` says.
    pub declared: u16,
    /// The VLAN that raised the interface above the declared MTU, if one did.
    pub raised_by: Option<String>,
}

/// The effective MTU of every network on a node: its interface's MTU, which a VLAN
/// riding on that interface raises to its own (n3x-netplan raises a VLAN's link so the
/// VLAN works).
pub fn effective_mtus(node: &crate::cluster::Node) -> Vec<EffectiveMtu> {
    let atts = &node.network.attachments;
    atts.iter()
        .map(|a| {
            let raiser = node
                .network
                .vlans
                .iter()
                .filter(|v| v.link == a.interface)
                .filter_map(|v| atts.iter().find(|x| x.interface == v.name).map(|x| (v, x)))
                .filter(|(_, x)| x.mtu > a.mtu)
                .max_by_key(|(_, x)| x.mtu);
            EffectiveMtu {
                node: node.name.to_string(),
                network: a.network.clone(),
                effective: raiser.map_or(a.mtu, |(_, x)| x.mtu),
                declared: a.mtu,
                raised_by: raiser.map(|(v, x)| format!("VLAN {} of network {}", v.name, x.network)),
            }
        })
        .collect()
}

/// Warns, once per network, when a network does not run at its declared MTU on some
/// node (a jumbo VLAN raised the link it shares), naming the effective MTU per node:
/// flannel then sizes pod interfaces differently per node.
fn mtu_mismatch(cluster: &Cluster, d: &mut Diagnostics) {
    let mut per_net: BTreeMap<String, Vec<EffectiveMtu>> = BTreeMap::new();
    for node in cluster.nodes.iter().filter(|n| n.network.netplan.is_none()) {
        for e in effective_mtus(node) {
            per_net.entry(e.network.clone()).or_default().push(e);
        }
    }
    for (net, rows) in per_net {
        let raised: Vec<&EffectiveMtu> = rows.iter().filter(|r| r.effective != r.declared).collect();
        let Some(first) = raised.first() else { continue };
        let mixed = rows.iter().any(|r| r.effective != first.effective);
        let per_node = rows.iter().map(|r| format!("{} {}", r.node, r.effective)).collect::<Vec<_>>().join(", ");
        d.push(
            Diagnostic::warning(
                format!("networks.{net}.mtu"),
                format!(
                    "network {net} is declared with MTU {} but runs at MTU {} on {} (raised by {}){}",
                    first.declared,
                    first.effective,
                    raised.iter().map(|r| r.node.as_str()).collect::<Vec<_>>().join(", "),
                    first.raised_by.as_deref().unwrap_or("a VLAN"),
                    if mixed { format!("; effective MTU per node: {per_node}") } else { String::new() }
                ),
            )
            .with_help(format!(
                "nodes on one network must agree on its MTU (flannel sizes pod interfaces from it): set networks.{net}.mtu to {} where every node supports it, or carry the jumbo network on its own NIC",
                first.effective
            )),
        );
    }
}

/// Probe facts that contradict the inventory: architecture, system and Longhorn
/// disks (missing, or of another size) and NIC MACs. Each error names both values.
pub(super) fn facts_rules(inv: &Inventory, facts: &[Facts], d: &mut Diagnostics) {
    for f in facts {
        let Some((i, n)) = inv.nodes.iter().enumerate().find(|(_, n)| n.name == f.node) else { continue };
        let system = n.hardware.system();
        let arch = f.arch.trim();
        if !arch.is_empty() && !system.starts_with(&format!("{arch}-")) {
            d.push(
                Diagnostic::error(
                    node_path(i, "hardware"),
                    format!(
                        "hardware {} is {system}, but the probe of {} found a {arch} machine",
                        n.hardware.as_str(),
                        n.name
                    ),
                )
                .with_help("fix the node's hardware profile (or probe the right machine)"),
            );
        }
        // A probed machine controls these lines: an ed25519 key that does not parse would
        // leave the node without the key it is meant to decrypt its secrets with.
        for k in f.host_keys.iter().filter(|k| k.starts_with("ssh-ed25519 ")) {
            let parsed = k.parse::<crate::keys::SshPublicKey>();
            if let Some(why) = match &parsed {
                Err(e) => Some(e.clone()),
                Ok(p) if p.ed25519_bytes().is_none() => Some("the key data does not hold an ed25519 key".into()),
                Ok(_) => None,
            } {
                d.push(
                    Diagnostic::error(
                        node_path(i, "hostKey"),
                        format!("the probe of {} reported a host key n3x cannot use: {why}", n.name),
                    )
                    .with_help("probe the machine again, or set the node's hostKey from `ssh-keyscan -t ed25519 HOST`"),
                );
            }
        }
        let disks: [(&str, Option<&str>, Option<u64>); 2] = [
            (
                "disk",
                Some(n.disk.device.as_deref().unwrap_or(n.hardware.default_disk())),
                n.disk.size.map(|s| s.bytes()),
            ),
            (
                "longhornDisk",
                n.longhorn_disk.as_ref().map(|l| l.device.as_str()),
                n.longhorn_disk.as_ref().and_then(|l| l.size.map(|s| s.bytes())),
            ),
        ];
        for (field, device, size) in disks {
            let Some(device) = device else { continue };
            let found = f.disks.iter().find(|x| x.path == device || x.by_id.iter().any(|b| b == device));
            match found {
                None => {
                    let have: Vec<&str> = f.disks.iter().map(|x| x.by_id.first().unwrap_or(&x.path).as_str()).collect();
                    d.push(
                        Diagnostic::error(
                            node_path(i, &format!("{field}.device")),
                            format!(
                                "{device} is not a disk of {} according to its probe (it has: {})",
                                n.name,
                                if have.is_empty() { "none".to_string() } else { have.join(", ") }
                            ),
                        )
                        .with_help("use one of the probed disks' /dev/disk/by-id paths"),
                    );
                }
                Some(x) => {
                    // A size written as sold (1TB) is a little under the real one; larger
                    // than the disk (a plan that overruns it) or far smaller (another
                    // disk) contradicts the probe.
                    if let Some(s) = size.filter(|s| *s > x.size || *s < x.size / 10 * 9) {
                        d.push(
                            Diagnostic::error(
                                node_path(i, &format!("{field}.size")),
                                format!(
                                    "{field}.size says {s} bytes, but the probe of {} found {device} to be {} bytes",
                                    n.name, x.size
                                ),
                            )
                            .with_help(format!("remove {field}.size (the probe supplies it) or correct it")),
                        );
                    }
                }
            }
        }
        let nics: Vec<(String, String, Option<crate::units::MacAddr>)> = n
            .network
            .nics
            .iter()
            .enumerate()
            .map(|(j, x)| (node_path(i, &format!("network.nics[{j}].mac")), x.name.to_string(), x.mac))
            .chain(n.network.mac.map(|m| {
                (node_path(i, "network.mac"), n.network.interface.as_deref().unwrap_or_default().to_string(), Some(m))
            }))
            .collect();
        for (path, name, mac) in nics {
            let Some(mac) = mac else { continue };
            if let Some(fnic) = f.nics.iter().find(|x| x.name == name) {
                if let Some(fm) = fnic.mac.filter(|fm| *fm != mac) {
                    d.push(
                        Diagnostic::error(
                            path,
                            format!("the inventory says {name} has MAC {mac}, but the probe of {} found {fm}", n.name),
                        )
                        .with_help("copy the probed MAC, or remove mac to take it from the probe"),
                    );
                }
            } else if !f.nics.iter().any(|x| x.mac == Some(mac)) {
                let have: Vec<String> = f
                    .nics
                    .iter()
                    .map(|x| format!("{} {}", x.name, x.mac.map(|m| m.to_string()).unwrap_or_default()))
                    .collect();
                d.push(
                    Diagnostic::error(
                        path,
                        format!(
                            "MAC {mac} is not a NIC of {} according to its probe (it has: {})",
                            n.name,
                            have.join(", ")
                        ),
                    )
                    .with_help("copy the MAC of the NIC you mean from the probe"),
                );
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn credentials_in_urls() {
        assert!(url_credentials("https://bob:pw@git.example.net/x.git"));
        assert!(url_credentials("https://ghp_token@github.com/o/r.git"));
        assert!(url_credentials("ssh://git:secret@host/x.git"));
        assert!(!url_credentials("ssh://git@host/x.git"));
        assert!(!url_credentials("git@host:org/repo.git"));
        assert!(!url_credentials("https://git.example.net/x.git"));
        assert!(!url_credentials("https://host/path@v1"));
        assert!(!url_credentials("ops@example.net"));
        assert!(url_credentials("--endpoint=https://robot:tok3n@registry.example.net"));
        assert!(!url_credentials("--endpoint=https://registry.example.net"));
    }

    #[test]
    fn flag_names() {
        assert_eq!(flag_name("--server=https://x:6443"), "--server");
        assert_eq!(flag_name("--cluster-init"), "--cluster-init");
        assert_eq!(flag_name("--node-ip 10.0.0.1"), "--node-ip");
    }
}
