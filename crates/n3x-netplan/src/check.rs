//! Cluster-wide network checks over planned nodes: duplicate addresses, addresses
//! outside their network, gateways off-link, VLAN ids, bond membership, MTUs, LACP,
//! `--node-ip` versus `--flannel-iface`, storage sharing the cluster link, and
//! load-balancer pools colliding with node addresses.
//!
//! Findings carry field paths (`nodes[2].network...`); the caller fills in positions.

use std::collections::BTreeMap;
use std::net::IpAddr;

use n3x_core::cluster::Cluster;
use n3x_core::model::BondMode;
use n3x_core::networkplan::{InterfaceKind, NodeNetworkPlan};
use n3x_core::source::join_index;
use n3x_core::{Diagnostic, Diagnostics};

use crate::plan::{interface_ips, storage_network_name};

fn same_subnet(a: IpAddr, prefix: u8, b: IpAddr) -> bool {
    ipnet::IpNet::new(a, prefix).is_ok_and(|n| n.contains(&b))
}

/// Runs every check; `plans[i]` belongs to `cluster.nodes[i]`. `netplan_bases[i]` is the
/// path of node i's embedded netplan document, if it has one, so findings about its
/// interfaces point into it.
pub fn check(cluster: &Cluster, plans: &[NodeNetworkPlan], netplan_bases: &[Option<String>]) -> Diagnostics {
    let mut diags = Diagnostics::new();
    let mut seen: BTreeMap<IpAddr, String> = BTreeMap::new();
    let storage = storage_network_name(cluster);
    for (i, (node, plan)) in cluster.nodes.iter().zip(plans).enumerate() {
        let np = join_index("nodes", i);
        let name = node.name.as_str();
        let defs = &plan.interfaces;
        let base = netplan_bases.get(i).cloned().flatten();
        let iface_path = |id: &str| match (&base, defs.iter().find(|d| d.id == id)) {
            (Some(b), Some(d)) => format!("{b}.network.{}.{id}", crate::section_name(d.kind)),
            _ => format!("{np}.network.{id}"),
        };
        // Duplicate addresses across nodes.
        for d in defs {
            for (ip, _) in interface_ips(d) {
                let here = format!("{name}/{}", d.id);
                if let Some(other) = seen.get(&ip) {
                    diags.push(
                        Diagnostic::error(
                            iface_path(&d.id),
                            format!("address {ip} on {here} is already used by {other}"),
                        )
                        .with_help("give every node its own address"),
                    );
                } else {
                    seen.insert(ip, here);
                }
            }
        }
        // Each named address inside its network, not the network or broadcast address.
        for (net, ip) in &node.addresses {
            let path = format!("{np}.addresses.{net}");
            let Some(spec) = cluster.networks.get(net) else { continue };
            let cidr = spec.cidr;
            if !cidr.contains(ip) {
                diags.push(
                    Diagnostic::error(path, format!("{name}: address {ip} is outside network {net} ({cidr})"))
                        .with_help(format!("pick an address inside {cidr}, or fix networks.{net}.cidr")),
                );
            } else if ip.is_ipv4() && cidr.prefix_len() < 31 && (*ip == cidr.network() || *ip == cidr.broadcast()) {
                let what = if *ip == cidr.network() { "network" } else { "broadcast" };
                diags.push(
                    Diagnostic::error(path, format!("{name}: address {ip} is the {what} address of {cidr}"))
                        .with_help("host addresses exclude the first and last address of an IPv4 network"),
                );
            }
        }
        check_interfaces(name, defs, &iface_path, node.network.netplan.is_some(), &mut diags);
        // Attachments must name a real interface.
        for (j, a) in node.network.attachments.iter().enumerate() {
            if node.network.netplan.is_none() && !defs.iter().any(|d| d.id == a.interface) {
                diags.push(
                    Diagnostic::error(
                        format!("{np}.network.attachments[{j}]"),
                        format!(
                            "{name}: network {} is attached to {}, which is not an interface of the node",
                            a.network, a.interface
                        ),
                    )
                    .with_help("attach it to a NIC, bond or VLAN of this node"),
                );
            }
        }
        // --node-ip must sit on the interface flannel uses.
        if let (Some(ip), Some(iface)) = (plan.k3s.node_ip, plan.k3s.flannel_iface.as_deref()) {
            let on = defs
                .iter()
                .filter(|d| d.ifname() == Some(iface))
                .any(|d| interface_ips(d).iter().any(|(a, _)| *a == ip));
            if !on {
                diags.push(
                    Diagnostic::error(format!("{np}.network"), format!("{name}: --node-ip {ip} is not an address of --flannel-iface {iface}"))
                        .with_help("k3s would send pod traffic out of the wrong interface; put the cluster address on the interface that carries the cluster network"),
                );
            }
            if let Some(d) = defs.iter().find(|d| d.ifname() == Some(iface)) {
                if d.bond.is_some() || d.bridge.is_some() {
                    diags.push(
                        Diagnostic::error(
                            format!("{np}.network"),
                            format!(
                                "{name}: --flannel-iface {iface} is a member of {}",
                                d.bond.as_deref().or(d.bridge.as_deref()).unwrap_or("a bond")
                            ),
                        )
                        .with_help("flannel must use the bond, bridge or VLAN itself"),
                    );
                }
            }
        }
        // Storage sharing the cluster interface without a VLAN.
        if let (Some(s), Some(c)) = (plan.storage_interface.as_deref(), plan.k3s.flannel_iface.as_deref()) {
            if s == c {
                diags.push(
                    Diagnostic::warning(format!("{np}.network"), format!("{name}: network {storage} shares interface {s} with the cluster network without a VLAN"))
                        .with_help("Longhorn replication will compete with pod traffic; tag the storage network with a VLAN or give it its own NIC"),
                );
            }
        }
    }
    // Load-balancer pools must not hold node addresses.
    for (p, pool) in cluster.pools.iter().enumerate() {
        for (i, node) in cluster.nodes.iter().enumerate() {
            for plan_ip in plans
                .get(i)
                .map(|pl| pl.interfaces.iter().flat_map(interface_ips).map(|(ip, _)| ip).collect::<Vec<_>>())
                .unwrap_or_default()
                .into_iter()
                .chain(node.addresses.values().copied())
            {
                if let Some(r) = pool.addresses.iter().find(|r| r.contains(&plan_ip)) {
                    diags.push(
                        Diagnostic::error(
                            format!("{}.addresses", join_index("pools", p)),
                            format!(
                                "pool {} range {r} contains {plan_ip}, an address of node {}",
                                pool.name, node.name
                            ),
                        )
                        .with_help("move the pool range out of the node addresses"),
                    );
                    break;
                }
            }
        }
    }
    mtu_across_nodes(cluster, plans, netplan_bases, &mut diags);
    dedup(diags)
}

/// The MTU a link gets when netplan leaves it out.
const DEFAULT_MTU: u32 = 1500;

/// One network at different MTUs on different nodes, where a node's MTU comes from its
/// embedded netplan document (the inventory-level rule in n3x-core sees only declared
/// networks, so this is the only place such a node is compared). Flannel sizes pod
/// interfaces from the link MTU, so pods on a 9000 node send frames a 1500 node drops.
/// The effective MTU is the planned interface's: a VLAN's MTU has raised its link there.
fn mtu_across_nodes(
    cluster: &Cluster,
    plans: &[NodeNetworkPlan],
    netplan_bases: &[Option<String>],
    diags: &mut Diagnostics,
) {
    // network -> (node index, node, effective MTU), in node order.
    let mut per_net: BTreeMap<&str, Vec<(usize, &str, u32)>> = BTreeMap::new();
    for (i, (node, plan)) in cluster.nodes.iter().zip(plans).enumerate() {
        for iface in &plan.interfaces {
            for net in &iface.networks {
                let rows = per_net.entry(net.as_str()).or_default();
                if !rows.iter().any(|r| r.0 == i) {
                    rows.push((i, node.name.as_str(), iface.mtu.unwrap_or(DEFAULT_MTU)));
                }
            }
        }
    }
    for (net, rows) in per_net {
        let embedded = |i: usize| netplan_bases.get(i).is_some_and(Option::is_some);
        let Some(&(first, first_name, _)) = rows.iter().find(|r| embedded(r.0)) else { continue };
        let mut mtus: Vec<u32> = rows.iter().map(|r| r.2).collect();
        mtus.sort_unstable();
        mtus.dedup();
        if mtus.len() < 2 {
            continue;
        }
        let per_node: Vec<String> = rows.iter().map(|(_, n, m)| format!("{n} {m}")).collect();
        let base = netplan_bases.get(first).cloned().flatten().unwrap_or_else(|| join_index("nodes", first));
        diags.push(
            Diagnostic::warning(
                base,
                format!(
                    "network {net} runs at different MTUs across nodes ({}): {first_name}'s comes from its \
                     embedded netplan document",
                    per_node.join(", ")
                ),
            )
            .with_help(format!(
                "nodes on one network must agree on its MTU (flannel sizes pod interfaces from it): set the same \
                 mtu for network {net} in every node's netplan document and in networks.{net}.mtu"
            )),
        );
    }
}

/// The checks that need only one node's interfaces: gateways on-link, VLAN ids, bond
/// membership, MTUs, the 802.3ad note (`lacp_note`; the short form gets it from normalize).
pub fn check_interfaces(
    name: &str,
    defs: &[n3x_core::networkplan::Interface],
    iface_path: &dyn Fn(&str) -> String,
    lacp_note: bool,
    diags: &mut Diagnostics,
) {
    for d in defs {
        let ips = interface_ips(d);
        // Gateways must be on-link.
        let route_gws = d
            .routes
            .iter()
            .enumerate()
            .filter(|(_, r)| !r.on_link)
            .filter_map(|(j, r)| r.via.map(|v| (format!("{}.routes[{j}].via", iface_path(&d.id)), v)));
        let old_gws = [("gateway4", d.gateway4), ("gateway6", d.gateway6)]
            .into_iter()
            .filter_map(|(k, g)| g.map(|g| (format!("{}.{k}", iface_path(&d.id)), g)));
        for (path, gw) in route_gws.chain(old_gws) {
            // An IPv6 link-local gateway is on-link by definition; addresses from DHCP or
            // router advertisements are unknown here, so those interfaces are not judged.
            let dynamic = match gw {
                IpAddr::V4(_) => d.dhcp4,
                IpAddr::V6(v6) => (v6.segments()[0] & 0xffc0) == 0xfe80 || d.dhcp6 || d.accept_ra != Some(false),
            };
            if !dynamic && !ips.iter().any(|(a, p)| same_subnet(*a, *p, gw)) {
                diags.push(
                    Diagnostic::error(path, format!("{name}: gateway {gw} is not on-link for {}", d.id))
                        .with_help("no address on this interface covers the gateway; fix the address prefix or mark the route on-link"),
                );
            }
        }
        if d.kind == InterfaceKind::Vlan && !matches!(d.vlan_id, Some(1..=4094)) {
            diags.push(
                Diagnostic::error(
                    iface_path(&d.id),
                    format!("{name}: VLAN id {} of {} is outside 1-4094", d.vlan_id.unwrap_or(0), d.id),
                )
                .with_help("802.1Q ids 0 and 4095 are reserved"),
            );
        }
        let mtu_of = |id: &str| defs.iter().find(|x| x.id == id).map(|x| x.mtu.unwrap_or(1500));
        if d.kind == InterfaceKind::Bond {
            if d.interfaces.len() < 2 {
                diags.push(
                    Diagnostic::warning(
                        iface_path(&d.id),
                        format!("{name}: bond {} has {} member(s); it gives no redundancy", d.id, d.interfaces.len()),
                    )
                    .with_help("add a second NIC, or use the NIC directly"),
                );
            }
            for m in &d.interfaces {
                let member = defs.iter().find(|x| x.id == *m);
                match member {
                    None => diags.push(
                        Diagnostic::error(
                            iface_path(&d.id),
                            format!("{name}: bond {} member {m} is not a NIC of this node", d.id),
                        )
                        .with_help("list it under nics, or fix the member name"),
                    ),
                    Some(x) if x.bond.as_deref() != Some(&d.id) => diags.push(
                        Diagnostic::error(
                            iface_path(&d.id),
                            format!(
                                "{name}: {m} is a member of bond {} and of {}",
                                d.id,
                                x.bond.as_deref().or(x.bridge.as_deref()).unwrap_or("another bond")
                            ),
                        )
                        .with_help("a NIC can be in one bond only"),
                    ),
                    _ => {}
                }
                if d.interfaces.iter().filter(|x| *x == m).count() > 1 {
                    diags.push(Diagnostic::error(
                        iface_path(&d.id),
                        format!("{name}: {m} is listed twice in bond {}", d.id),
                    ));
                }
                if let (Some(mtu), Some(mm)) = (d.mtu, mtu_of(m)) {
                    if mtu > mm {
                        diags.push(
                            Diagnostic::error(
                                iface_path(&d.id),
                                format!("{name}: bond {} MTU {mtu} is larger than member {m}'s {mm}", d.id),
                            )
                            .with_help(format!("set the same MTU on {m}")),
                        );
                    }
                }
            }
            // The short form's 802.3ad note comes from normalize; netplan input gets it here.
            if lacp_note && d.bond_parameters.as_ref().and_then(|p| p.mode) == Some(BondMode::Lacp) {
                diags.push(
                    Diagnostic::warning(iface_path(&d.id), format!("{name}: bond {} uses 802.3ad (LACP)", d.id))
                        .with_help(format!(
                        "the switch ports of {} must be configured as one LACP group, or the node goes off the network",
                        d.interfaces.join(", ")
                    )),
                );
            }
        }
        if let (Some(link), Some(mtu)) = (&d.vlan_link, d.mtu) {
            if let Some(pm) = mtu_of(link) {
                if mtu > pm {
                    diags.push(
                        Diagnostic::error(
                            iface_path(&d.id),
                            format!("{name}: VLAN {} MTU {mtu} is larger than its link {link}'s {pm}", d.id),
                        )
                        .with_help(format!("raise the MTU of {link} to at least {mtu}")),
                    );
                }
            }
        }
        if d.kind == InterfaceKind::Vlan {
            if let Some(link) = &d.vlan_link {
                if !defs.iter().any(|x| x.id == *link) {
                    diags.push(Diagnostic::error(
                        iface_path(&d.id),
                        format!("{name}: VLAN {} rides on {link}, which is not defined", d.id),
                    ));
                }
            }
        }
    }
}

fn dedup(d: Diagnostics) -> Diagnostics {
    let mut out = Diagnostics::new();
    for x in d.0 {
        if !out.0.contains(&x) {
            out.push(x);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
    use n3x_core::{Diagnostics, Document};

    const HEAD: &str = "apiVersion: n3x.dev/v1alpha1\nkind: Inventory\ncluster: {name: t}\nnetworks:\n  cluster: {cidr: 10.0.0.0/24, gateway: 10.0.0.1}\n";

    /// Plans an inventory; returns every finding (errors and warnings).
    fn findings(body: &str) -> Diagnostics {
        let text = format!("{HEAD}{body}");
        let doc = Document::parse("t.yaml", &text).unwrap();
        match crate::plan_document(&doc) {
            Ok((_, w)) => w,
            Err(e) => e,
        }
    }

    fn has(d: &Diagnostics, error: bool, needle: &str) -> bool {
        d.0.iter().any(|x| x.is_error() == error && x.message.contains(needle))
    }

    fn netplan_node(name: &str, ip: &str, netplan: &str) -> String {
        let np: String = netplan.lines().map(|l| format!("      {l}\n")).collect();
        format!("  - name: {name}\n    role: server\n    addresses: {{cluster: {ip}}}\n    netplan:\n{np}")
    }

    #[test]
    fn duplicate_address_inside_netplan_across_nodes() {
        let a = netplan_node(
            "a",
            "10.0.0.2",
            "network:\n  version: 2\n  ethernets:\n    eth0: {addresses: [10.0.0.2/24, 10.0.0.50/24]}",
        );
        let b = netplan_node(
            "b",
            "10.0.0.3",
            "network:\n  version: 2\n  ethernets:\n    eth0: {addresses: [10.0.0.3/24, 10.0.0.50/24]}",
        );
        let d = findings(&format!("nodes:\n{a}{b}"));
        assert!(has(&d, true, "address 10.0.0.50 on b/eth0 is already used by a/eth0"), "{d}");
    }

    #[test]
    fn gateway_not_on_link() {
        let a = netplan_node(
            "a",
            "10.0.0.2",
            "network:\n  version: 2\n  ethernets:\n    eth0:\n      addresses: [10.0.0.2/24]\n      routes: [{to: default, via: 10.9.9.1}]",
        );
        let d = findings(&format!("nodes:\n{a}"));
        assert!(has(&d, true, "gateway 10.9.9.1 is not on-link for eth0"), "{d}");
        // on-link: true is the documented way out.
        let ok = a.replace("via: 10.9.9.1}", "via: 10.9.9.1, on-link: true}");
        assert!(!has(&findings(&format!("nodes:\n{ok}")), true, "not on-link"));
    }

    #[test]
    fn vlan_id_zero_is_refused_cluster_wide() {
        let a = netplan_node(
            "a",
            "10.0.0.2",
            "network:\n  version: 2\n  ethernets:\n    eth0: {addresses: [10.0.0.2/24]}\n  vlans:\n    v0: {id: 0, link: eth0}",
        );
        assert!(has(&findings(&format!("nodes:\n{a}")), true, "VLAN id 0 of v0 is outside 1-4094"));
    }

    #[test]
    fn bond_members_and_mtu() {
        let one = netplan_node(
            "a",
            "10.0.0.2",
            "network:\n  version: 2\n  ethernets:\n    eth0: {}\n  bonds:\n    bond0:\n      interfaces: [eth0]\n      mtu: 9000\n      parameters: {mode: 802.3ad}\n      addresses: [10.0.0.2/24]",
        );
        let d = findings(&format!("nodes:\n{one}"));
        assert!(has(&d, false, "bond bond0 has 1 member(s)"), "{d}");
        assert!(has(&d, true, "bond bond0 MTU 9000 is larger than member eth0's 1500"), "{d}");
        assert!(has(&d, false, "uses 802.3ad (LACP)"), "{d}");
    }

    #[test]
    fn vlan_mtu_larger_than_link() {
        let a = netplan_node(
            "a",
            "10.0.0.2",
            "network:\n  version: 2\n  ethernets:\n    eth0: {addresses: [10.0.0.2/24], mtu: 1500}\n  vlans:\n    v20: {id: 20, link: eth0, mtu: 9000}",
        );
        assert!(has(&findings(&format!("nodes:\n{a}")), true, "VLAN v20 MTU 9000 is larger than its link eth0's 1500"));
    }

    #[test]
    fn short_form_bond_member_twice() {
        let d = findings("nodes:\n  - name: a\n    role: server\n    addresses: {cluster: 10.0.0.2}\n    network: {bond: {members: [enp1s0, enp1s0]}}\n");
        assert!(d.has_errors(), "a NIC listed twice in a bond is rejected: {d}");
    }

    #[test]
    fn node_ip_not_on_flannel_iface() {
        // The cluster address is not configured on any interface of the netplan document.
        let a =
            netplan_node("a", "10.0.0.2", "network:\n  version: 2\n  ethernets:\n    eth0: {addresses: [10.0.0.3/24]}");
        let d = findings(&format!("nodes:\n{a}"));
        assert!(
            d.0.iter()
                .any(|x| x.is_error() && x.message.contains("--node-ip 10.0.0.2 is not an address of --flannel-iface")),
            "{d}"
        );
    }

    #[test]
    fn storage_sharing_cluster_link_warns() {
        let body = "nodes:\n  - name: a\n    role: server\n    addresses: {cluster: 10.0.0.2, storage: 10.1.0.2}\n";
        let text = format!("{HEAD}  storage: {{cidr: 10.1.0.0/24}}\n{body}");
        let doc = Document::parse("t.yaml", &text).unwrap();
        let (_, w) = crate::plan_document(&doc).unwrap();
        assert!(has(&w, false, "shares interface"), "{w}");
    }

    #[test]
    fn pool_collides_with_netplan_only_address() {
        let a = netplan_node(
            "a",
            "10.0.0.2",
            "network:\n  version: 2\n  ethernets:\n    eth0: {addresses: [10.0.0.2/24, 10.0.0.60/24]}",
        );
        let d = findings(&format!(
            "loadBalancer:\n  pools:\n    - {{name: lb, addresses: [10.0.0.50-10.0.0.70]}}\nnodes:\n{a}"
        ));
        assert!(has(&d, true, "contains 10.0.0.60, an address of node a"), "{d}");
    }

    #[test]
    fn address_outside_network_is_rejected() {
        let d = findings("nodes:\n  - name: a\n    role: server\n    addresses: {cluster: 10.5.0.2}\n");
        assert!(d.has_errors() && d.0.iter().any(|x| x.message.contains("10.5.0.2")), "{d}");
        let d = findings("nodes:\n  - name: a\n    role: server\n    addresses: {cluster: 10.0.0.255}\n");
        assert!(d.has_errors() && d.0.iter().any(|x| x.message.contains("10.0.0.255")), "{d}");
    }
}
