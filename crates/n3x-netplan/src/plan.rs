//! Cluster → [`NetworkPlan`]: expand each node's short network intent (or parse its
//! embedded netplan document) into [`Interface`] definitions, then derive the k3s
//! flags, the storage interface and the firewall rules.
//!
//! Pure: no file system, clock or network. Cluster-wide checks live in [`crate::check`].

use std::net::IpAddr;

use n3x_core::cluster::{Cluster, Node};
use n3x_core::model::{Cni, FlannelBackend, MetallbMode, Role};
use n3x_core::networkplan::{
    BondParameters, Firewall, FirewallRule, Interface, InterfaceKind, K3sNetwork, Match, NetworkPlan, NodeNetworkPlan,
    Protocol, RouteDef, TrustedInterface,
};
use n3x_core::source::join_index;
use n3x_core::{Diagnostics, Document, API_VERSION};

use crate::netplan::{self, Source};

/// Where the nodes of the input document live, for positions in messages.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InputKind {
    /// A `Cluster` document: embedded netplan at `nodes[i].network.netplan`.
    Cluster,
    /// An `Inventory` document: embedded netplan at `nodes[i].netplan`.
    Inventory,
}

/// Expands the inventory's short form of one node into interface definitions.
pub fn expand(node: &Node) -> Vec<Interface> {
    let net = &node.network;
    let mut defs: Vec<Interface> = Vec::new();
    for l in &net.links {
        let mut d = Interface::new(&l.name, InterfaceKind::Ethernet);
        if let Some(mac) = l.mac {
            // Pin the name to the permanent MAC with a .link unit.
            d.matches = Some(Match { name: None, macaddress: Some(mac), driver: Vec::new() });
            d.set_name = Some(l.name.to_string());
        }
        defs.push(d);
    }
    for b in &net.bonds {
        let mut d = Interface::new(&b.name, InterfaceKind::Bond);
        d.interfaces = b.members.iter().map(String::from).collect();
        d.bond_parameters = Some(BondParameters {
            mode: Some(b.mode),
            lacp_rate: b.lacp_rate,
            transmit_hash_policy: b.transmit_hash_policy,
            mii_monitor_interval: (b.miimon > 0).then(|| b.miimon.to_string()),
            primary: b.primary.as_ref().map(String::from),
            ..BondParameters::default()
        });
        defs.push(d);
    }
    for v in &net.vlans {
        let mut d = Interface::new(&v.name, InterfaceKind::Vlan);
        d.vlan_id = Some(v.id);
        d.vlan_link = Some(v.link.to_string());
        defs.push(d);
    }
    let bonds: Vec<(String, Vec<String>, Option<String>)> = net
        .bonds
        .iter()
        .map(|b| {
            (b.name.to_string(), b.members.iter().map(String::from).collect(), b.primary.as_ref().map(String::from))
        })
        .collect();
    for (bond, members, primary) in bonds {
        for m in members {
            if let Some(d) = defs.iter_mut().find(|d| d.id == m && d.kind == InterfaceKind::Ethernet) {
                if d.bond.is_none() {
                    d.bond = Some(bond.clone());
                    d.primary_member = primary.as_deref() == Some(m.as_str());
                }
            }
        }
    }
    for a in &net.attachments {
        let Some(d) = defs.iter_mut().find(|d| d.id == a.interface) else { continue };
        if !d.networks.contains(&a.network) {
            d.networks.push(a.network.clone());
        }
        if let Some(addr) = a.address {
            push_address(d, addr.to_string());
        }
        if let Some(gw) = a.gateway {
            let r = default_route(gw);
            if !d.routes.contains(&r) {
                d.routes.push(r);
            }
        }
        for dns in &a.dns {
            if !d.nameservers.contains(dns) {
                d.nameservers.push(*dns);
            }
        }
        if a.mtu != 1500 {
            d.mtu = Some(u32::from(a.mtu).max(d.mtu.unwrap_or(0)));
        }
    }
    propagate_mtu(&mut defs);
    if net.dhcp {
        if let Some(d) = defs.iter_mut().find(|d| d.id == net.primary) {
            d.dhcp4 = true;
        }
    }
    for x in &net.extra_addresses {
        if let Some(d) = defs.iter_mut().find(|d| d.id == x.interface) {
            push_address(d, x.address.to_string());
        }
    }
    for r in &net.routes {
        if let Some(d) = defs.iter_mut().find(|d| d.id == r.interface) {
            d.routes.push(RouteDef {
                to: r.to.to_string(),
                via: Some(r.via),
                from: None,
                on_link: false,
                metric: r.metric,
                table: None,
                route_type: "unicast".into(),
                scope: "global".into(),
                mtu: None,
            });
        }
    }
    defs
}

/// In the short form an MTU belongs to a network; a VLAN carrying jumbo frames needs
/// its link (and a bond's members) at least as large, so raise them. netplan input is
/// taken as written and checked instead ([`crate::check`]).
fn propagate_mtu(defs: &mut [Interface]) {
    // VLANs first (their link may be a bond), then bonds to members.
    for kind in [InterfaceKind::Vlan, InterfaceKind::Bond] {
        let needs: Vec<(String, u32)> = defs
            .iter()
            .filter(|d| d.kind == kind)
            .filter_map(|d| d.mtu.map(|m| (d, m)))
            .flat_map(|(d, m)| {
                let parents: Vec<String> = if kind == InterfaceKind::Vlan {
                    d.vlan_link.iter().cloned().collect()
                } else {
                    d.interfaces.clone()
                };
                parents.into_iter().map(move |p| (p, m))
            })
            .collect();
        for (parent, m) in needs {
            if let Some(p) = defs.iter_mut().find(|d| d.id == parent) {
                if p.mtu.unwrap_or(1500) < m {
                    p.mtu = Some(m);
                }
            }
        }
    }
}

fn push_address(d: &mut Interface, a: String) {
    if d.addresses.contains(&a) {
        return;
    }
    d.addresses.push(a);
    // netplan's order: IPv4 before IPv6 (stable within a family).
    d.addresses.sort_by_key(|a| a.contains(':'));
}

fn default_route(gw: IpAddr) -> RouteDef {
    RouteDef {
        to: "default".into(),
        via: Some(gw),
        from: None,
        on_link: false,
        metric: None,
        table: None,
        route_type: "unicast".into(),
        scope: "global".into(),
        mtu: None,
    }
}

/// The address part of each static address on an interface.
pub fn interface_ips(d: &Interface) -> Vec<(IpAddr, u8)> {
    d.addresses
        .iter()
        .chain(d.address_options.iter().map(|a| &a.address))
        .filter_map(|a| {
            let (ip, p) = a.split_once('/')?;
            Some((ip.parse().ok()?, p.parse().ok()?))
        })
        .collect()
}

/// The path of node `index`'s embedded netplan document in the input.
pub fn netplan_base(input: InputKind, index: usize) -> String {
    match input {
        InputKind::Cluster => format!("{}.network.netplan", join_index("nodes", index)),
        InputKind::Inventory => format!("{}.netplan", join_index("nodes", index)),
    }
}

/// The interfaces of one node: its embedded netplan document parsed, or its short form expanded.
pub fn node_interfaces(
    doc: &Document,
    input: InputKind,
    index: usize,
    node: &Node,
) -> Result<(Vec<Interface>, Diagnostics), Diagnostics> {
    match &node.network.netplan {
        Some(np) => {
            let base = netplan_base(input, index);
            let (mut defs, diags) = netplan::parse(Source { doc, base: &base }, np)?;
            // Name the networks each interface carries from the node's addresses.
            for d in &mut defs {
                let ips = interface_ips(d);
                for (net, ip) in &node.addresses {
                    if ips.iter().any(|(i, _)| i == ip) && !d.networks.contains(net) {
                        d.networks.push(net.clone());
                    }
                }
            }
            Ok((defs, diags))
        }
        None => Ok((expand(node), Diagnostics::new())),
    }
}

fn carrying<'a>(defs: &'a [Interface], network: &str, ip: Option<IpAddr>) -> Option<&'a Interface> {
    defs.iter()
        .find(|d| d.networks.iter().any(|n| n == network))
        .or_else(|| ip.and_then(|ip| defs.iter().find(|d| interface_ips(d).iter().any(|(i, _)| *i == ip))))
}

/// The k3s settings that follow from a node's interfaces.
pub fn k3s_network(node: &Node, defs: &[Interface]) -> K3sNetwork {
    let node_ip = node.node_ip.or_else(|| node.addresses.get("cluster").copied());
    let flannel = carrying(defs, "cluster", node_ip)
        .and_then(|d| d.ifname().map(str::to_string))
        .or_else(|| Some(node.network.primary.to_string()));
    let mut flags = Vec::new();
    if let Some(ip) = node_ip {
        flags.push(format!("--node-ip={ip}"));
    }
    if let Some(f) = &flannel {
        flags.push(format!("--flannel-iface={f}"));
    }
    if let Some(ip) = node.node_external_ip {
        flags.push(format!("--node-external-ip={ip}"));
    }
    K3sNetwork { node_ip, flannel_iface: flannel, node_external_ip: node.node_external_ip, flags }
}

/// The name of the storage network: Longhorn's `storageNetwork`, else `storage`.
pub fn storage_network_name(cluster: &Cluster) -> String {
    cluster.addons.longhorn.storage_network.clone().unwrap_or_else(|| "storage".to_string())
}

/// The firewall of one node: what k3s, the CNI and the add-ons need, each with its reason.
pub fn firewall(cluster: &Cluster, node: &Node, flannel_iface: Option<&str>) -> Firewall {
    let mut rules = Vec::new();
    let mut rule =
        |protocol, from, to, reason: &str| rules.push(FirewallRule { protocol, from, to, reason: reason.to_string() });
    if node.role == Role::Server {
        rule(Protocol::Tcp, 6443, 6443, "k3s API server: kubectl and joining agents (servers only)");
        if cluster.servers().count() > 1 {
            rule(Protocol::Tcp, 2379, 2380, "embedded etcd client and peer traffic between servers (HA control plane)");
        }
    }
    rule(Protocol::Tcp, 10250, 10250, "kubelet API: logs, exec and metrics-server (all nodes)");
    let k3s = &cluster.k3s;
    let mut trusted = Vec::new();
    let mut trust = |name: &str, reason: &str| {
        trusted.push(TrustedInterface { name: name.to_string(), reason: reason.to_string() })
    };
    let ipv6 = !k3s.cluster_cidr.network().is_ipv4();
    match k3s.cni {
        Cni::Flannel => {
            match k3s.flannel_backend {
                // On an IPv6 pod network flannel names its devices flannel-v6.1 and
                // flannel-wg-v6; the IPv4 names are kept for IPv4 clusters only.
                FlannelBackend::Vxlan if ipv6 => {
                    rule(Protocol::Udp, 8472, 8472, "flannel VXLAN overlay between nodes");
                    trust("flannel-v6.1", "flannel IPv6 VXLAN device: pod-to-pod traffic between nodes");
                }
                FlannelBackend::Vxlan => {
                    rule(Protocol::Udp, 8472, 8472, "flannel VXLAN overlay between nodes");
                    trust("flannel.1", "flannel VXLAN device: pod-to-pod traffic between nodes");
                }
                FlannelBackend::WireguardNative if ipv6 => {
                    rule(Protocol::Udp, 51820, 51821, "flannel wireguard-native overlay (51820 IPv4, 51821 IPv6)");
                    trust("flannel-wg-v6", "flannel IPv6 WireGuard device: pod-to-pod traffic between nodes");
                }
                FlannelBackend::WireguardNative => {
                    rule(Protocol::Udp, 51820, 51821, "flannel wireguard-native overlay (51820 IPv4, 51821 IPv6)");
                    trust("flannel-wg", "flannel WireGuard device: pod-to-pod traffic between nodes");
                }
                FlannelBackend::HostGw | FlannelBackend::None => {}
            }
            trust("cni0", "k3s pod bridge: traffic between pods on this node");
        }
        Cni::Cilium => {
            rule(Protocol::Udp, 8472, 8472, "Cilium VXLAN overlay between nodes");
            trust("cilium_host", "Cilium host device: pod traffic on this node");
        }
        Cni::None => {}
    }
    let mlb = &cluster.addons.metallb;
    if mlb.enabled && mlb.mode == MetallbMode::L2 {
        rule(Protocol::Tcp, 7946, 7946, "MetalLB memberlist between speakers (L2 mode leader election)");
        rule(Protocol::Udp, 7946, 7946, "MetalLB memberlist between speakers (L2 mode leader election)");
    }
    Firewall { interface: flannel_iface.map(str::to_string), rules, trusted_interfaces: trusted }
}

/// Plans the network of one node from its interfaces.
pub fn plan_node(cluster: &Cluster, node: &Node, interfaces: Vec<Interface>) -> NodeNetworkPlan {
    let k3s = k3s_network(node, &interfaces);
    let storage = storage_network_name(cluster);
    let storage_interface = carrying(&interfaces, &storage, node.addresses.get(&storage).copied())
        .and_then(|d| d.ifname().map(str::to_string));
    let firewall = firewall(cluster, node, k3s.flannel_iface.as_deref());
    NodeNetworkPlan {
        node: node.name.clone(),
        role: Some(node.role),
        interfaces,
        k3s,
        storage_interface,
        firewall: Some(firewall),
    }
}

/// A plan document.
pub fn plan_document(nodes: Vec<NodeNetworkPlan>) -> NetworkPlan {
    NetworkPlan { api_version: API_VERSION.to_string(), kind: "NetworkPlan".to_string(), nodes }
}

/// Plans a standalone netplan file (no cluster): interfaces only.
pub fn plan_netplan_file(name: &str, interfaces: Vec<Interface>) -> NodeNetworkPlan {
    NodeNetworkPlan {
        // A standalone netplan file names its plan after the file: made a valid node
        // name, so no crafted file name reaches a header or a folder name as it is.
        node: n3x_core::units::NodeName::sanitized(name, "netplan"),
        role: None,
        interfaces,
        k3s: K3sNetwork::default(),
        storage_interface: None,
        firewall: None,
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
    use n3x_core::networkplan::Protocol;
    use n3x_core::Document;

    fn plan(extra: &str) -> n3x_core::networkplan::NetworkPlan {
        let text = format!(
            "apiVersion: n3x.dev/v1alpha1\nkind: Inventory\ncluster: {{name: t}}\nnetworks:\n  cluster: {{cidr: 10.0.0.0/24, gateway: 10.0.0.1}}\n{extra}nodes:\n  - {{name: s1, role: server, addresses: {{cluster: 10.0.0.2}}}}\n  - {{name: s2, role: server, addresses: {{cluster: 10.0.0.3}}}}\n  - {{name: a1, role: agent, addresses: {{cluster: 10.0.0.4}}}}\n"
        );
        crate::plan_document(&Document::parse("t.yaml", &text).unwrap()).unwrap().0
    }

    fn ports(p: &n3x_core::networkplan::NodeNetworkPlan) -> Vec<(Protocol, u16, u16)> {
        p.firewall.as_ref().unwrap().rules.iter().map(|r| (r.protocol, r.from, r.to)).collect()
    }

    #[test]
    fn firewall_follows_role_ha_and_cni() {
        let p = plan("");
        let (s1, a1) = (&p.nodes[0], &p.nodes[2]);
        assert_eq!(
            ports(s1),
            vec![
                (Protocol::Tcp, 6443, 6443),
                (Protocol::Tcp, 2379, 2380),
                (Protocol::Tcp, 10250, 10250),
                (Protocol::Udp, 8472, 8472)
            ]
        );
        assert_eq!(ports(a1), vec![(Protocol::Tcp, 10250, 10250), (Protocol::Udp, 8472, 8472)]);
        let fw = s1.firewall.as_ref().unwrap();
        assert_eq!(fw.interface.as_deref(), Some("enp1s0"), "restricted to the cluster interface");
        let trusted: Vec<&str> = fw.trusted_interfaces.iter().map(|t| t.name.as_str()).collect();
        assert_eq!(trusted, ["flannel.1", "cni0"]);
        assert!(fw.rules.iter().all(|r| !r.reason.is_empty()));
    }

    fn plan_v6(k3s: &str) -> Vec<n3x_core::networkplan::NodeNetworkPlan> {
        let text = format!(
            "apiVersion: n3x.dev/v1alpha1\nkind: Inventory\ncluster: {{name: t}}\nk3s: {{clusterCidr: 'fd42::/56', serviceCidr: 'fd43::/112'{k3s}}}\nnetworks:\n  cluster: {{cidr: '2001:db8:10::/64'}}\nnodes:\n  - {{name: s1, role: server, addresses: {{cluster: '2001:db8:10::11'}}, disk: {{size: 512GB}}}}\n"
        );
        crate::plan_document(&Document::parse("t.yaml", &text).unwrap()).unwrap().0.nodes
    }

    fn trusted(p: &n3x_core::networkplan::NodeNetworkPlan) -> Vec<String> {
        p.firewall.as_ref().unwrap().trusted_interfaces.iter().map(|t| t.name.clone()).collect()
    }

    #[test]
    fn ipv6_cluster_trusts_flannels_ipv6_devices() {
        assert_eq!(trusted(&plan_v6("")[0]), ["flannel-v6.1", "cni0"]);
        assert_eq!(trusted(&plan_v6(", flannelBackend: wireguard-native")[0]), ["flannel-wg-v6", "cni0"]);
    }

    #[test]
    fn firewall_wireguard_and_metallb_l2() {
        let p = plan("k3s: {flannelBackend: wireguard-native}\nloadBalancer:\n  pools:\n    - {name: lb, addresses: [10.0.0.200-10.0.0.210]}\naddons:\n  metallb: {enabled: true}\n");
        let a1 = &p.nodes[2];
        assert_eq!(
            ports(a1),
            vec![
                (Protocol::Tcp, 10250, 10250),
                (Protocol::Udp, 51820, 51821),
                (Protocol::Tcp, 7946, 7946),
                (Protocol::Udp, 7946, 7946)
            ]
        );
        let trusted: Vec<&str> =
            a1.firewall.as_ref().unwrap().trusted_interfaces.iter().map(|t| t.name.as_str()).collect();
        assert_eq!(trusted, ["flannel-wg", "cni0"]);
    }

    #[test]
    fn single_server_has_no_etcd_ports() {
        let text = "apiVersion: n3x.dev/v1alpha1\nkind: Inventory\ncluster: {name: t}\nnetworks:\n  cluster: {cidr: 10.0.0.0/24}\nnodes:\n  - {name: s1, role: server, addresses: {cluster: 10.0.0.2}}\n";
        let p = crate::plan_document(&Document::parse("t.yaml", text).unwrap()).unwrap().0;
        assert!(!ports(&p.nodes[0]).contains(&(Protocol::Tcp, 2379, 2380)));
    }

    #[test]
    fn external_ip_flag() {
        let text = "apiVersion: n3x.dev/v1alpha1\nkind: Inventory\ncluster: {name: t}\nnetworks:\n  cluster: {cidr: 10.0.0.0/24}\nnodes:\n  - name: s1\n    role: server\n    addresses: {cluster: 10.0.0.2}\n    k3s: {nodeExternalIp: 203.0.113.7}\n";
        let doc = Document::parse("t.yaml", text).unwrap();
        let (p, _) = crate::plan_document(&doc).unwrap();
        assert_eq!(
            p.nodes[0].k3s.flags,
            ["--node-ip=10.0.0.2", "--flannel-iface=enp1s0", "--node-external-ip=203.0.113.7"]
        );
    }

    #[test]
    fn dhcp_node_has_no_node_ip_but_a_flannel_iface() {
        let text = "apiVersion: n3x.dev/v1alpha1\nkind: Inventory\ncluster: {name: t}\nk3s: {apiAddress: 10.0.0.100}\nnetworks:\n  cluster: {cidr: 10.0.0.0/24}\nnodes:\n  - {name: a, role: server, network: {dhcp: true}}\n";
        let (p, _) = crate::plan_document(&Document::parse("t.yaml", text).unwrap()).unwrap();
        let n = &p.nodes[0];
        assert_eq!(n.k3s.node_ip, None);
        assert_eq!(n.k3s.flags, ["--flannel-iface=enp1s0"]);
        assert!(n.interfaces[0].dhcp4);
    }
}
