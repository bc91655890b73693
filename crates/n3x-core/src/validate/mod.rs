//! Cluster-wide checks of a decoded inventory: the mistakes that parse fine but
//! break a cluster (duplicate addresses, addresses outside their network, pools that
//! collide with nodes, overlapping pod/service networks, etcd quorum, Longhorn
//! replicas). Every finding names the inventory field path; locations are added by
//! the caller from the source document.

use std::collections::{BTreeMap, BTreeSet};
use std::net::IpAddr;

use crate::diag::{did_you_mean, Diagnostic, Diagnostics};
use crate::inventory::{Inventory, NodeSpec};
use crate::model::{DiskLayout, Role};
use crate::normalize::{carries_longhorn, node_path};
use crate::units::Cidr;

mod rules;

pub use rules::{cluster_rules, effective_mtus, url_credentials, EffectiveMtu};

/// [`validate`] plus the checks of probe facts against the inventory: facts for a node
/// that is not listed, and facts that contradict what the inventory says.
pub fn validate_with_facts(inv: &Inventory, facts: &[crate::facts::Facts]) -> Diagnostics {
    let mut d = validate(inv);
    for (i, f) in facts.iter().enumerate() {
        if !inv.nodes.iter().any(|n| n.name == f.node) {
            d.push(
                Diagnostic::error(
                    format!("facts[{i}].node"),
                    format!("facts are for node \"{}\", which is not in the inventory", f.node),
                )
                .with_help("probe a node that the inventory lists, or add the node"),
            );
        }
    }
    rules::facts_rules(inv, facts, &mut d);
    d
}

/// Runs every check and returns all findings (errors and warnings).
pub fn validate(inv: &Inventory) -> Diagnostics {
    let mut d = Diagnostics::new();
    networks(inv, &mut d);
    nodes(inv, &mut d);
    roles(inv, &mut d);
    k3s(inv, &mut d);
    pools(inv, &mut d);
    addons(inv, &mut d);
    rules::inventory_rules(inv, &mut d);
    d
}

fn network_names(inv: &Inventory) -> Vec<&str> {
    inv.networks.keys().map(String::as_str).collect()
}

fn unknown_network(inv: &Inventory, path: String, name: &str) -> Diagnostic {
    let mut diag = Diagnostic::error(path, format!("unknown network \"{name}\""));
    diag = match did_you_mean(name, network_names(inv)) {
        Some(s) => diag.with_help(format!("did you mean \"{s}\"?")),
        None => diag.with_help(format!(
            "declare it under networks: (declared: {})",
            if inv.networks.is_empty() { "none".to_string() } else { network_names(inv).join(", ") }
        )),
    };
    diag
}

/// True for the network and broadcast addresses of an IPv4 network with room for hosts.
fn is_reserved(c: &Cidr, ip: &IpAddr) -> Option<&'static str> {
    if !ip.is_ipv4() || c.prefix_len() >= 31 {
        return None;
    }
    if *ip == c.network() {
        Some("the network address")
    } else if *ip == c.broadcast() {
        Some("the broadcast address")
    } else {
        None
    }
}

fn networks(inv: &Inventory, d: &mut Diagnostics) {
    if !inv.networks.contains_key("cluster") {
        d.push(
            Diagnostic::error("networks", "no \"cluster\" network is declared")
                .with_help("add networks.cluster with the CIDR the nodes talk k3s on, e.g. cidr: 192.168.10.0/24"),
        );
    }
    let names: Vec<(&String, &crate::inventory::NetworkSpec)> = inv.networks.iter().collect();
    for (i, (name, net)) in names.iter().enumerate() {
        let path = format!("networks.{name}");
        if let Some(gw) = net.gateway {
            if !net.cidr.contains(&gw) {
                d.push(
                    Diagnostic::error(format!("{path}.gateway"), format!("gateway {gw} is outside {}", net.cidr))
                        .with_help("a gateway must be on-link: pick an address inside the network's CIDR"),
                );
            } else if let Some(what) = is_reserved(&net.cidr, &gw) {
                d.push(Diagnostic::error(format!("{path}.gateway"), format!("gateway {gw} is {what} of {}", net.cidr)));
            }
        }
        if let Some(v) = net.vlan {
            if !(1..=4094).contains(&v) {
                d.push(Diagnostic::error(format!("{path}.vlan"), format!("VLAN id {v} is outside 1-4094")));
            }
        }
        if net.mtu < 576 || net.mtu > 9216 {
            d.push(Diagnostic::error(format!("{path}.mtu"), format!("MTU {} is outside 576-9216", net.mtu)));
        }
        for (other_name, other) in names.iter().skip(i + 1) {
            if net.cidr.overlaps(&other.cidr) {
                d.push(Diagnostic::error(
                    format!("networks.{other_name}.cidr"),
                    format!("{} overlaps network \"{name}\" ({})", other.cidr, net.cidr),
                ));
            }
        }
    }
}

fn nodes(inv: &Inventory, d: &mut Diagnostics) {
    let mut names: BTreeMap<&str, usize> = BTreeMap::new();
    let mut addresses: BTreeMap<IpAddr, String> = BTreeMap::new();
    for net in inv.networks.values() {
        if let Some(gw) = net.gateway {
            addresses.insert(gw, "a gateway".into());
        }
    }
    for (i, n) in inv.nodes.iter().enumerate() {
        if let Some(first) = names.insert(n.name.as_str(), i) {
            d.push(
                Diagnostic::error(
                    node_path(i, "name"),
                    format!("duplicate node name \"{}\" (also nodes[{first}])", n.name),
                )
                .with_help("node names become host names and must be unique"),
            );
            names.insert(n.name.as_str(), first);
        }
        if !n.addresses.contains_key("cluster") && !n.network.dhcp {
            d.push(
                Diagnostic::error(node_path(i, "addresses.cluster"), "the node has no cluster address")
                    .with_help("add addresses: {cluster: <IP>}, or set network.dhcp: true"),
            );
        }
        for (net_name, ip) in &n.addresses {
            let path = node_path(i, &format!("addresses.{net_name}"));
            let Some(net) = inv.networks.get(net_name) else {
                d.push(unknown_network(inv, path, net_name));
                continue;
            };
            if !net.cidr.contains(ip) {
                d.push(
                    Diagnostic::error(path.clone(), format!("{ip} is outside network \"{net_name}\" ({})", net.cidr))
                        .with_help(format!("use an address inside {}", net.cidr)),
                );
            } else if let Some(what) = is_reserved(&net.cidr, ip) {
                d.push(Diagnostic::error(path.clone(), format!("{ip} is {what} of {}", net.cidr)));
            }
            match addresses.get(ip) {
                Some(owner) => d.push(
                    Diagnostic::error(path, format!("address {ip} is already used by {owner}"))
                        .with_help("every node address must be unique"),
                ),
                None => {
                    addresses.insert(*ip, format!("node \"{}\"", n.name));
                }
            }
        }
        // MACs are checked across every place one can be written, in rules::macs.
        node_network(inv, i, n, d);
        node_misc(i, n, d);
    }
}

fn node_network(inv: &Inventory, i: usize, n: &NodeSpec, d: &mut Diagnostics) {
    let net = &n.network;
    if net.bond.is_some() && (net.interface.is_some() || net.mac.is_some()) {
        d.push(
            Diagnostic::error(node_path(i, "network"), "both a single interface and a bond are set")
                .with_help("use network.interface/mac for one NIC, or network.bond (with nics) for several"),
        );
    }
    if let Some(b) = &net.bond {
        let path = node_path(i, "network.bond");
        if b.members.is_empty() {
            d.push(
                Diagnostic::error(format!("{path}.members"), "a bond needs member NICs")
                    .with_help("list at least two NIC names"),
            );
        } else if b.members.len() == 1 {
            d.push(Diagnostic::warning(format!("{path}.members"), "a bond with one member gives no redundancy"));
        }
        let mut seen = BTreeSet::new();
        for (j, m) in b.members.iter().enumerate() {
            if !seen.insert(m) {
                d.push(Diagnostic::error(format!("{path}.members[{j}]"), format!("member \"{m}\" is listed twice")));
            }
        }
        if let Some(p) = &b.primary {
            if !b.members.contains(p) {
                d.push(Diagnostic::error(
                    format!("{path}.primary"),
                    format!("primary \"{p}\" is not a member of the bond"),
                ));
            }
        }
        if b.mode == crate::model::BondMode::Lacp {
            d.push(Diagnostic::warning(
                format!("{path}.mode"),
                "802.3ad needs an LACP port-channel configured on the switch; without it the bond may not pass traffic",
            ));
        }
    }
    for (j, v) in net.vlans.iter().enumerate() {
        let path = node_path(i, &format!("network.vlans[{j}]"));
        if !(1..=4094).contains(&v.id) {
            d.push(Diagnostic::error(format!("{path}.id"), format!("VLAN id {} is outside 1-4094", v.id)));
        }
        if let Some(nn) = &v.network {
            if !inv.networks.contains_key(nn) {
                d.push(unknown_network(inv, format!("{path}.network"), nn));
            }
        }
    }
    for name in net.attach.keys() {
        if !inv.networks.contains_key(name) {
            d.push(unknown_network(inv, node_path(i, &format!("network.attach.{name}")), name));
        }
    }
}

fn node_misc(i: usize, n: &NodeSpec, d: &mut Diagnostics) {
    for (j, t) in n.taints.iter().enumerate() {
        let ok = t.rsplit_once(':').is_some_and(|(kv, effect)| {
            !kv.is_empty() && ["NoSchedule", "PreferNoSchedule", "NoExecute"].contains(&effect)
        });
        if !ok {
            d.push(
                Diagnostic::error(node_path(i, &format!("taints[{j}]")), format!("invalid taint \"{t}\""))
                    .with_help("write key=value:Effect with Effect NoSchedule, PreferNoSchedule or NoExecute"),
            );
        }
    }
    for (k, v) in &n.labels {
        let name = k.rsplit('/').next().unwrap_or(k);
        let good = |s: &str, max: usize| {
            s.len() <= max
                && s.chars().all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c))
                && s.chars().next().is_none_or(|c| c.is_ascii_alphanumeric())
                && s.chars().last().is_none_or(|c| c.is_ascii_alphanumeric())
        };
        if name.is_empty() || !good(name, 63) || !good(v, 63) {
            d.push(
                Diagnostic::error(node_path(i, &format!("labels.{k}")), format!("invalid Kubernetes label {k}={v}"))
                    .with_help(
                        "names and values: up to 63 letters, digits, '-', '_', '.', starting and ending alphanumeric",
                    ),
            );
        }
    }
    let disk = &n.disk;
    if let Some(enc) = &disk.encryption {
        if enc.key_file.is_some() == enc.password_file.is_some() {
            d.push(
                Diagnostic::error(node_path(i, "disk.encryption"), "set exactly one of keyFile and passwordFile")
                    .with_help("the key is read from that file at install time; it is never inlined"),
            );
        }
    }
    if disk.layout == Some(DiskLayout::Luks) && disk.encryption.is_none() {
        d.push(
            Diagnostic::error(node_path(i, "disk.encryption"), "layout luks needs an encryption key source")
                .with_help("add disk.encryption: {keyFile: /tmp/disk.key} (or passwordFile)"),
        );
    }
    if let (Some(l), boot) = (disk.layout, n.hardware.boot()) {
        if (l == DiskLayout::Sdcard) != (boot == crate::model::Boot::RpiFirmware) {
            d.push(
                Diagnostic::error(
                    node_path(i, "disk.layout"),
                    format!("layout {} does not fit hardware {} ({:?} boot)", l.as_str(), n.hardware.as_str(), boot),
                )
                .with_help(format!("use layout {} or leave it out", n.hardware.default_layout().as_str())),
            );
        }
    }
    if n.ssh.as_ref().and_then(|s| s.port) == Some(0) {
        d.push(Diagnostic::error(node_path(i, "ssh.port"), "port 0 is not a valid SSH port"));
    }
}

fn roles(inv: &Inventory, d: &mut Diagnostics) {
    let servers = inv.nodes.iter().filter(|n| n.role == Role::Server).count();
    if servers == 0 && !inv.nodes.is_empty() {
        d.push(
            Diagnostic::error("nodes", "the cluster has no server")
                .with_help("give at least one node role: server (three for a highly available control plane)"),
        );
    } else if servers > 1 && servers % 2 == 0 {
        d.push(
            Diagnostic::warning("nodes", format!("{servers} servers: an even number adds no etcd fault tolerance"))
                .with_help(format!("etcd needs a majority; use {} or {} servers", servers - 1, servers + 1)),
        );
    }
}

fn k3s(inv: &Inventory, d: &mut Diagnostics) {
    let k = &inv.k3s;
    if k.cluster_cidr.overlaps(&k.service_cidr) {
        d.push(Diagnostic::error(
            "k3s.serviceCidr",
            format!("service CIDR {} overlaps the cluster CIDR {}", k.service_cidr, k.cluster_cidr),
        ));
    }
    for (field, cidr, default) in [
        ("clusterCidr", &k.cluster_cidr, rules::DEFAULT_CLUSTER_CIDR),
        ("serviceCidr", &k.service_cidr, rules::DEFAULT_SERVICE_CIDR),
    ] {
        for (name, net) in &inv.networks {
            if cidr.overlaps(&net.cidr) {
                // A defaulted CIDR has no place in the file: point at the network it hits.
                let (path, what) = if cidr.to_string() == default {
                    (format!("networks.{name}.cidr"), format!("k3s.{field} (default {cidr})"))
                } else {
                    (format!("k3s.{field}"), cidr.to_string())
                };
                d.push(
                    Diagnostic::error(path, format!("{what} overlaps host network \"{name}\" ({})", net.cidr))
                        .with_help("pods and services need address space no host network uses"),
                );
            }
        }
    }
    if let Some(api) = k.api_address {
        if let Some(net) = inv.networks.get("cluster") {
            if !net.cidr.contains(&api) {
                d.push(Diagnostic::warning(
                    "k3s.apiAddress",
                    format!("API address {api} is outside the cluster network {}", net.cidr),
                ));
            }
        }
        let is_server_ip = inv.nodes.iter().any(|n| n.role == Role::Server && n.addresses.values().any(|a| *a == api));
        let clash = inv.nodes.iter().find(|n| n.role == Role::Agent && n.addresses.values().any(|a| *a == api));
        if let (false, Some(n)) = (is_server_ip, clash) {
            d.push(Diagnostic::error(
                "k3s.apiAddress",
                format!("API address {api} is the address of agent \"{}\"", n.name),
            ));
        }
    }
}

fn pools(inv: &Inventory, d: &mut Diagnostics) {
    let mut seen_names = BTreeSet::new();
    let mut all: Vec<(String, crate::units::IpRange)> = Vec::new();
    for (i, p) in inv.load_balancer.pools.iter().enumerate() {
        let path = format!("loadBalancer.pools[{i}]");
        if !seen_names.insert(p.name.as_str()) {
            d.push(Diagnostic::error(format!("{path}.name"), format!("duplicate pool name \"{}\"", p.name)));
        }
        let net = inv.networks.get(&p.network);
        if net.is_none() {
            d.push(unknown_network(inv, format!("{path}.network"), &p.network));
        }
        if p.addresses.is_empty() {
            d.push(Diagnostic::error(format!("{path}.addresses"), "the pool has no addresses"));
        }
        for (j, r) in p.addresses.iter().enumerate() {
            let rpath = format!("{path}.addresses[{j}]");
            if let Some(net) = net {
                if !net.cidr.contains(&r.start) || !net.cidr.contains(&r.end) {
                    d.push(
                        Diagnostic::error(
                            rpath.clone(),
                            format!("range {r} is not inside network \"{}\" ({})", p.network, net.cidr),
                        )
                        .with_help("pool addresses must be on the network MetalLB announces them on"),
                    );
                } else if is_reserved(&net.cidr, &r.start).is_some() || is_reserved(&net.cidr, &r.end).is_some() {
                    d.push(Diagnostic::error(
                        rpath.clone(),
                        format!("range {r} includes the network or broadcast address of {}", net.cidr),
                    ));
                }
                if let Some(gw) = net.gateway {
                    if r.contains(&gw) {
                        d.push(Diagnostic::error(rpath.clone(), format!("range {r} contains the gateway {gw}")));
                    }
                }
            }
            for n in &inv.nodes {
                for ip in n.addresses.values() {
                    if r.contains(ip) {
                        d.push(
                            Diagnostic::error(
                                rpath.clone(),
                                format!("range {r} contains {ip}, the address of node \"{}\"", n.name),
                            )
                            .with_help("keep load-balancer pools clear of node addresses"),
                        );
                    }
                }
            }
            if let Some(api) = inv.k3s.api_address {
                if r.contains(&api) {
                    d.push(Diagnostic::error(rpath.clone(), format!("range {r} contains the API address {api}")));
                }
            }
            for (other, o) in &all {
                if o.overlaps(r) {
                    d.push(Diagnostic::error(rpath.clone(), format!("range {r} overlaps {o} of pool \"{other}\"")));
                }
            }
            all.push((p.name.to_string(), *r));
        }
    }
}

fn addons(inv: &Inventory, d: &mut Diagnostics) {
    let a = &inv.addons;
    let storage_nodes = inv.nodes.iter().filter(|n| carries_longhorn(n)).count();
    if a.longhorn.enabled {
        if a.kyverno.enabled == Some(false) {
            d.push(
                Diagnostic::error("addons.kyverno.enabled", "Longhorn on NixOS needs Kyverno for its PATH policy")
                    .with_help("remove kyverno.enabled: false (Kyverno is switched on with Longhorn)"),
            );
        }
        if storage_nodes == 0 {
            d.push(
                Diagnostic::error("addons.longhorn", "Longhorn is on but no node carries Longhorn storage")
                    .with_help("set longhorn: true on a node, or give a Raspberry Pi a longhornDisk"),
            );
        }
        if let Some(r) = a.longhorn.replicas {
            if r == 0 {
                d.push(Diagnostic::error("addons.longhorn.replicas", "replicas must be at least 1"));
            } else if r as usize > storage_nodes {
                d.push(
                    Diagnostic::error(
                        "addons.longhorn.replicas",
                        format!("{r} replicas but only {storage_nodes} node(s) carry Longhorn storage"),
                    )
                    .with_help(format!("use at most {storage_nodes} replicas, or add storage nodes")),
                );
            }
        }
        if let Some(sn) = &a.longhorn.storage_network {
            if !inv.networks.contains_key(sn) {
                d.push(unknown_network(inv, "addons.longhorn.storageNetwork".into(), sn));
            }
            if !a.multus.enabled {
                d.push(
                    Diagnostic::error("addons.longhorn.storageNetwork", "a Longhorn storage network needs Multus")
                        .with_help("set addons.multus.enabled: true"),
                );
            }
        }
    }
    if a.metallb.enabled {
        if inv.load_balancer.pools.is_empty() {
            d.push(
                Diagnostic::error("addons.metallb", "MetalLB is on but there is no load-balancer pool")
                    .with_help("add loadBalancer.pools with an address range on the cluster network"),
            );
        }
        for (i, p) in a.metallb.pools.iter().enumerate() {
            if !inv.load_balancer.pools.iter().any(|x| x.name.as_str() == p) {
                d.push(Diagnostic::error(format!("addons.metallb.pools[{i}]"), format!("unknown pool \"{p}\"")));
            }
        }
    }
    if a.argocd.enabled && a.argocd.repo_url.as_deref().is_none_or(str::is_empty) {
        d.push(
            Diagnostic::error("addons.argocd.repoUrl", "Argo CD is on but has no repository")
                .with_help("set addons.argocd.repoUrl (and path, revision) for the root app-of-apps"),
        );
    }
    if a.cert_manager.enabled {
        if let crate::inventory::Issuer::Acme { email, .. } = &a.cert_manager.issuer {
            if !email.contains('@') {
                d.push(Diagnostic::error(
                    "addons.certManager.issuer.email",
                    format!("\"{email}\" is not an e-mail address"),
                ));
            }
        }
    }
    let t = &a.traefik;
    if (t.dashboard || t.address.is_some()) && !t.enabled {
        d.push(Diagnostic::error("addons.traefik", "dashboard/address are set but Traefik is off"));
    }
    // Fixed LoadBalancer addresses of services (the NERV service contract): each from a
    // pool, each once, and only for an add-on that is on.
    let fixed = [
        ("addons.traefik.address", "Traefik", t.enabled, t.address),
        ("addons.argocd.address", "Argo CD", a.argocd.enabled, a.argocd.address),
        ("addons.longhorn.uiAddress", "Longhorn", a.longhorn.enabled, a.longhorn.ui_address),
    ];
    let mut taken: Vec<(&str, IpAddr)> = Vec::new();
    for (path, what, on, addr) in fixed {
        let Some(addr) = addr else { continue };
        if !on && what != "Traefik" {
            d.push(
                Diagnostic::error(path, format!("a load-balancer address is set but {what} is off"))
                    .with_help(format!("remove {path}, or switch {what} on")),
            );
        }
        if !inv.load_balancer.pools.iter().any(|p| p.addresses.iter().any(|r| r.contains(&addr))) {
            d.push(
                Diagnostic::error(path, format!("{addr} is in no load-balancer pool"))
                    .with_help("pick an address from loadBalancer.pools"),
            );
        } else if !a.metallb.enabled && what != "Traefik" {
            d.push(
                Diagnostic::error(path, format!("{addr} needs MetalLB to be assigned, and MetalLB is off"))
                    .with_help("set addons.metallb.enabled: true"),
            );
        }
        match taken.iter().find(|(_, x)| *x == addr) {
            Some((other, _)) => d.push(
                Diagnostic::error(path, format!("{addr} is already the address of {other}"))
                    .with_help("give every LoadBalancer service its own address"),
            ),
            None => taken.push((path, addr)),
        }
    }
}
