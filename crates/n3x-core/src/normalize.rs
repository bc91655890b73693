//! Inventory (+ Facts) → Cluster: read the inventory piece by piece so that every
//! problem is reported in one run, apply defaults and the node `defaults`, derive
//! what follows (first server initializes, the others join; interfaces per network;
//! add-on switches), and run [`crate::validate`].
//!
//! Pure: no file system, clock or network. Facts come in as values.

use std::collections::BTreeMap;
use std::net::IpAddr;

use ipnet::IpNet;
use serde_json::Value;

use crate::cluster::{
    Attachment, Bond, Cluster, ClusterAdmin, ClusterK3s, InterfaceAddress, Link, Node, NodeDisk, NodeLonghornDisk,
    NodeNetwork, NodeSsh, Pool, Route, Vlan,
};
use crate::decode::{expect_kind, type_name};
use crate::diag::{did_you_mean, Diagnostic, Diagnostics};
use crate::facts::Facts;
use crate::inventory::{Inventory, NetworkSpec, NodeSpec, API_VERSION};
use crate::model::{Hardware, Role, SwapSpec};
use crate::source::{join_index, join_key, Document};
use crate::units::{ByteSize, Cidr, IfName};

/// The default smallest Longhorn partition on a system disk.
pub const DEFAULT_LONGHORN_MIN: ByteSize = ByteSize::gib(10);
/// The default Longhorn data path.
pub const DEFAULT_LONGHORN_PATH: &str = "/var/lib/longhorn";
/// The default Longhorn replica count (capped by the number of storage nodes).
pub const DEFAULT_REPLICAS: u32 = 3;
/// Labels n3x puts on nodes so that add-ons can select them.
pub const LABEL_HARDWARE: &str = "n3x.dev/hardware";
/// Set to `"true"` on nodes that carry Longhorn storage.
pub const LABEL_STORAGE: &str = "n3x.dev/storage";
/// Set to `"true"` on storage nodes: Longhorn (with `createDefaultDiskLabeledNodes`)
/// creates its default disk only on nodes carrying this label.
pub const LABEL_LONGHORN_DEFAULT_DISK: &str = "node.longhorn.io/create-default-disk";
/// Set to `"true"` on nodes with an NVIDIA GPU.
pub const LABEL_GPU: &str = "n3x.dev/gpu";

const TOP_FIELDS: &[&str] =
    &["apiVersion", "kind", "cluster", "k3s", "networks", "loadBalancer", "addons", "admins", "defaults", "nodes"];

/// Reads an `Inventory` document, reporting every structural problem (unknown
/// fields, wrong types, bad values) with its location. Node `defaults` are merged
/// into each node before it is decoded.
pub fn load_inventory(doc: &Document) -> Result<Inventory, Diagnostics> {
    let partial = load_inventory_partial(doc)?;
    match partial.inventory {
        Some(inv) if !partial.problems.has_errors() => Ok(inv),
        _ => Err(partial.problems),
    }
}

/// An inventory read as far as it could be: what `check` validates semantically even
/// when some fields were wrong.
#[derive(Debug, Clone)]
pub struct PartialInventory {
    /// The inventory without the fields that were wrong (`None` when a required part,
    /// such as a node's role or a network's CIDR, could not be read).
    pub inventory: Option<Inventory>,
    /// Every structural problem, located.
    pub problems: Diagnostics,
    /// Paths removed to go on reading; later findings about them are consequences.
    pub removed: Vec<String>,
}

/// Reads an `Inventory` document like [`load_inventory`], but keeps going: every
/// unknown field of a section is reported (not only the first), and when only optional
/// fields were wrong the inventory is returned without them, so that semantic checks
/// can still run. `Err` only when the document is not an Inventory at all.
pub fn load_inventory_partial(doc: &Document) -> Result<PartialInventory, Diagnostics> {
    expect_kind(doc, &["Inventory"])?;
    let mut diags = Diagnostics::new();
    let mut removed: Vec<String> = Vec::new();
    let Value::Object(top) = doc.value() else {
        return Err(Diagnostics(vec![Diagnostic::error("", "expected a mapping")]));
    };
    for key in top.keys() {
        if !TOP_FIELDS.contains(&key.as_str()) {
            let mut d = Diagnostic::error(key.clone(), format!("unknown field \"{key}\"")).at(doc.locate(key));
            if let Some(s) = did_you_mean(key, TOP_FIELDS.iter().copied()) {
                d = d.with_help(format!("did you mean \"{s}\"?"));
            }
            diags.push(d);
        }
    }
    let null = Value::Null;
    let field = |name: &str| top.get(name).unwrap_or(&null);
    macro_rules! repaired {
        ($path:expr, $value:expr) => {{
            let path: &str = &$path;
            let r = crate::decode::decode_repairing(doc, path, $value);
            diags.0.extend(r.problems);
            removed.extend(r.removed);
            r.value
        }};
    }
    macro_rules! part {
        ($name:literal, $required:expr) => {{
            let v = field($name);
            if v.is_null() && $required {
                diags.push(
                    Diagnostic::error($name, format!("missing required field \"{}\"", $name))
                        .at(doc.locate(""))
                        .with_help(format!("add a \"{}:\" section", $name)),
                );
                None
            } else {
                let v = if v.is_null() { Value::Object(Default::default()) } else { v.clone() };
                repaired!($name, &v)
            }
        }};
    }
    let cluster = part!("cluster", true);
    let k3s = part!("k3s", false);
    let networks = part!("networks", false);
    let load_balancer = part!("loadBalancer", false);
    let addons = part!("addons", false);
    let defaults: Option<crate::inventory::NodeDefaults> = part!("defaults", false);
    let admins = match field("admins") {
        Value::Null => Some(Vec::new()),
        v => repaired!("admins", v),
    };

    let mut nodes = Vec::new();
    let mut nodes_ok = true;
    match field("nodes") {
        Value::Array(items) => {
            if items.is_empty() {
                diags.push(
                    Diagnostic::error("nodes", "the inventory has no nodes")
                        .at(doc.locate("nodes"))
                        .with_help("add at least one node with role: server"),
                );
            }
            let defaults_value = field("defaults");
            for (i, item) in items.iter().enumerate() {
                let path = join_index("nodes", i);
                let merged = merge_defaults(defaults_value, item);
                match repaired!(path, &merged) {
                    Some(n) => nodes.push(n),
                    None => nodes_ok = false,
                }
            }
        }
        Value::Null => {
            nodes_ok = false;
            diags.push(
                Diagnostic::error("nodes", "missing required field \"nodes\"")
                    .at(doc.locate(""))
                    .with_help("add a \"nodes:\" list"),
            )
        }
        other => {
            nodes_ok = false;
            diags.push(
                Diagnostic::error("nodes", format!("expected a list of nodes, got {}", type_name(other)))
                    .at(doc.locate("nodes")),
            )
        }
    }
    let inventory = match (cluster, k3s, networks, load_balancer, addons, defaults, admins) {
        (Some(cluster), Some(k3s), Some(networks), Some(load_balancer), Some(addons), Some(defaults), Some(admins))
            if nodes_ok =>
        {
            Some(Inventory {
                api_version: API_VERSION.into(),
                kind: "Inventory".into(),
                cluster,
                k3s,
                networks,
                load_balancer,
                addons,
                admins,
                defaults,
                nodes,
            })
        }
        _ => None,
    };
    Ok(PartialInventory { inventory, problems: diags, removed })
}

/// Node defaults merged under a node: maps merge recursively, everything else
/// (scalars, lists) is taken from the node when it sets it.
fn merge_defaults(defaults: &Value, node: &Value) -> Value {
    match (defaults, node) {
        (Value::Object(d), Value::Object(n)) => {
            let mut out = n.clone();
            for (k, dv) in d {
                let merged = match n.get(k) {
                    Some(nv) => merge_defaults(dv, nv),
                    None => dv.clone(),
                };
                out.insert(k.clone(), merged);
            }
            out.into()
        }
        (_, n) => n.clone(),
    }
}

/// Reads an Inventory or a Cluster document and returns the Cluster with the
/// warnings found. This is what every tool calls on its input.
pub fn load_cluster(doc: &Document) -> Result<(Cluster, Diagnostics), Diagnostics> {
    load_cluster_with_facts(doc, &[])
}

/// [`load_cluster`] with probe facts merged in (Inventory input only).
pub fn load_cluster_with_facts(doc: &Document, facts: &[Facts]) -> Result<(Cluster, Diagnostics), Diagnostics> {
    let kind = expect_kind(doc, &["Inventory", "Cluster"])?;
    if kind == "Cluster" {
        let cluster: Cluster = crate::decode::decode_document(doc).map_err(|d| Diagnostics(vec![d]))?;
        return Ok((cluster, Diagnostics::new()));
    }
    let inv = load_inventory(doc)?;
    let mut result = normalize(&inv, facts);
    match &mut result {
        Ok((_, warnings)) => warnings.locate(doc),
        Err(diags) => diags.locate(doc),
    }
    result
}

/// Normalizes a decoded inventory. Returns the cluster and its warnings, or every
/// error found.
pub fn normalize(inv: &Inventory, facts: &[Facts]) -> Result<(Cluster, Diagnostics), Diagnostics> {
    let mut diags = crate::validate::validate_with_facts(inv, facts);
    if diags.has_errors() {
        return Err(diags);
    }
    match build_cluster(inv, facts) {
        Ok(cluster) => {
            diags.extend(crate::validate::cluster_rules(inv, &cluster));
            diags.into_result().map(|w| (cluster, w))
        }
        Err(d) => {
            diags.push(d);
            Err(diags)
        }
    }
}

/// Builds the Cluster of an inventory without validating it (defaults, derived values,
/// facts merged). [`normalize`] validates first; `check` builds the cluster of an
/// inventory with errors too, so that the tools' own checks can run on it in the same
/// run. `Err` only when there is no API address to derive.
pub fn build_cluster(inv: &Inventory, facts: &[Facts]) -> Result<Cluster, Diagnostic> {
    let facts_by_node: BTreeMap<&str, &Facts> = facts.iter().map(|f| (f.node.as_str(), f)).collect();
    let first_server = inv.nodes.iter().find(|n| n.role == Role::Server);
    let api_address = inv.k3s.api_address.or_else(|| first_server.and_then(|s| s.addresses.get("cluster").copied()));
    let Some(api_address) = api_address else {
        // Point at the first server, whose missing static address is the cause.
        let path = inv
            .nodes
            .iter()
            .position(|n| n.role == Role::Server)
            .map_or("nodes".to_string(), |i| node_path(i, "network.dhcp"));
        return Err(Diagnostic::error(path, "cannot derive the API address: the first server has no cluster address")
            .with_help("set k3s.apiAddress, or give the first server a static addresses.cluster"));
    };
    let server_url = match api_address {
        IpAddr::V4(a) => format!("https://{a}:6443"),
        IpAddr::V6(a) => format!("https://[{a}]:6443"),
    };

    let storage_nodes = inv.nodes.iter().filter(|n| carries_longhorn(n)).count() as u32;
    let any_gpu = inv.nodes.iter().any(|n| n.gpu.unwrap_or(n.hardware.has_gpu()));
    let mut addons = inv.addons.clone();
    addons.kyverno.enabled = Some(addons.kyverno.enabled.unwrap_or(addons.longhorn.enabled));
    addons.longhorn.replicas = Some(addons.longhorn.replicas.unwrap_or(DEFAULT_REPLICAS.min(storage_nodes.max(1))));
    if addons.longhorn.data_path.is_none() {
        addons.longhorn.data_path = Some(DEFAULT_LONGHORN_PATH.into());
    }
    if addons.metallb.enabled && addons.metallb.pools.is_empty() {
        addons.metallb.pools = inv.load_balancer.pools.iter().map(|p| p.name.to_string()).collect();
    }
    if addons.argocd.enabled {
        addons.argocd.path.get_or_insert_with(|| ".".into());
        addons.argocd.revision.get_or_insert_with(|| "HEAD".into());
    }
    addons.nvidia_device_plugin.enabled = Some(addons.nvidia_device_plugin.enabled.unwrap_or(any_gpu));

    let mut disable: Vec<String> = inv.k3s.disable.iter().map(|c| c.as_str().to_string()).collect();
    if addons.metallb.enabled {
        disable.push("servicelb".into());
    }
    if !addons.traefik.enabled {
        disable.push("traefik".into());
    }
    disable.sort();
    disable.dedup();

    let k3s = ClusterK3s {
        api_address,
        server_url: server_url.clone(),
        cluster_cidr: inv.k3s.cluster_cidr,
        service_cidr: inv.k3s.service_cidr,
        cluster_dns: nth_address(&inv.k3s.service_cidr, 10),
        cni: inv.k3s.cni,
        flannel_backend: inv.k3s.flannel_backend,
        disable,
        extra_flags: inv.k3s.extra_flags.clone(),
    };

    let first_server_name = first_server.map(|s| s.name.clone());
    let mut nodes = Vec::with_capacity(inv.nodes.len());
    for (i, n) in inv.nodes.iter().enumerate() {
        let is_init = Some(&n.name) == first_server_name.as_ref();
        match normalize_node(
            n,
            &inv.networks,
            facts_by_node.get(n.name.as_str()).copied(),
            is_init,
            &server_url,
            inv.addons.longhorn.enabled,
        ) {
            Ok(node) => nodes.push(node),
            Err(mut d) => {
                let at = format!("nodes[{i}].network");
                d.path = if d.path.is_empty() { at } else { format!("{at}.{}", d.path) };
                return Err(d);
            }
        }
    }

    let cluster = Cluster {
        api_version: API_VERSION.into(),
        kind: "Cluster".into(),
        name: inv.cluster.name.clone(),
        domain: inv.cluster.domain.clone(),
        time_zone: inv.cluster.time_zone.clone(),
        state_version: inv.cluster.state_version.clone(),
        nixpkgs: inv.cluster.nixpkgs,
        k3s,
        networks: inv.networks.clone(),
        pools: inv
            .load_balancer
            .pools
            .iter()
            .map(|p| Pool {
                name: p.name.clone(),
                network: p.network.clone(),
                addresses: p.addresses.clone(),
                auto_assign: p.auto_assign,
            })
            .collect(),
        addons,
        admins: inv
            .admins
            .iter()
            .map(|a| ClusterAdmin {
                name: a.name.clone(),
                ssh_keys: a.ssh_keys.iter().map(ToString::to_string).collect(),
                age_recipients: a.age_recipients.iter().map(ToString::to_string).collect(),
            })
            .collect(),
        nodes,
    };
    Ok(cluster)
}

/// Whether a node carries Longhorn storage: explicit, else every node except a
/// Raspberry Pi without a dedicated Longhorn disk (SD cards wear out under replicas).
pub fn carries_longhorn(n: &NodeSpec) -> bool {
    n.longhorn.unwrap_or(!(n.hardware.boot() == crate::model::Boot::RpiFirmware && n.longhorn_disk.is_none()))
}

/// The `n`th address of a network (the cluster DNS is the 10th of the service CIDR).
fn nth_address(c: &Cidr, n: u32) -> IpAddr {
    match c.0 {
        IpNet::V4(v4) => IpAddr::V4((u32::from(v4.network()).saturating_add(n)).into()),
        IpNet::V6(v6) => IpAddr::V6((u128::from(v6.network()).saturating_add(u128::from(n))).into()),
    }
}

fn normalize_node(
    n: &NodeSpec,
    networks: &BTreeMap<String, NetworkSpec>,
    facts: Option<&Facts>,
    cluster_init: bool,
    server_url: &str,
    longhorn_addon: bool,
) -> Result<Node, Diagnostic> {
    let network = normalize_network(n, networks, facts)?;
    // With the Longhorn add-on off no node carries Longhorn storage: no partition for it
    // (n3x-disko gives /var the rest) and no Longhorn labels.
    let longhorn = longhorn_addon && carries_longhorn(n);
    let gpu = n.gpu.unwrap_or(n.hardware.has_gpu());
    let mut labels = n.labels.clone();
    labels.insert(LABEL_HARDWARE.into(), n.hardware.as_str().into());
    if longhorn {
        labels.insert(LABEL_STORAGE.into(), "true".into());
        labels.insert(LABEL_LONGHORN_DEFAULT_DISK.into(), "true".into());
    }
    if gpu {
        labels.insert(LABEL_GPU.into(), "true".into());
    }
    let node_ip = n.addresses.get("cluster").copied();
    let ssh = n.ssh.clone().unwrap_or_default();
    let host_key = n.host_key.as_ref().map(ToString::to_string).or_else(|| facts.and_then(probed_host_key));
    let k3s = n.k3s.clone().unwrap_or_default();
    Ok(Node {
        name: n.name.clone(),
        role: n.role,
        hardware: n.hardware,
        system: n.hardware.system().into(),
        boot: n.hardware.boot(),
        cluster_init,
        server_addr: (!cluster_init).then(|| server_url.to_string()),
        node_ip,
        node_external_ip: k3s.node_external_ip,
        addresses: n.addresses.clone(),
        network,
        disk: normalize_disk(n, facts),
        longhorn_disk: n.longhorn_disk.as_ref().map(|d| NodeLonghornDisk {
            device: stable_device(&d.device, facts),
            size: d.size.map(ByteSize::bytes).or_else(|| fact_disk(&d.device, facts).map(|f| f.size)),
        }),
        longhorn,
        gpu,
        memory: n.memory.map(ByteSize::bytes).or(facts.map(|f| f.memory)),
        host_key,
        labels,
        taints: n.taints.clone(),
        ssh: NodeSsh {
            host: ssh.host.unwrap_or_else(|| node_ip.map_or_else(|| n.name.to_string(), |ip| ip.to_string())),
            user: ssh.user.unwrap_or_else(|| "root".into()),
            port: ssh.port.unwrap_or(22),
        },
        k3s_extra_flags: k3s.extra_flags,
    })
}

fn fact_disk<'a>(device: &str, facts: Option<&'a Facts>) -> Option<&'a crate::facts::FactDisk> {
    facts?.disks.iter().find(|d| d.path == device || d.by_id.iter().any(|b| b == device))
}

/// A by-id path for a device when the facts know one.
fn stable_device(device: &str, facts: Option<&Facts>) -> String {
    match fact_disk(device, facts) {
        Some(d) if !device.starts_with("/dev/disk/by-id/") => d.by_id.first().cloned().unwrap_or_else(|| device.into()),
        _ => device.to_string(),
    }
}

fn normalize_disk(n: &NodeSpec, facts: Option<&Facts>) -> NodeDisk {
    let d = &n.disk;
    let device = stable_device(d.device.as_deref().unwrap_or(n.hardware.default_disk()), facts);
    let size = d.size.map(ByteSize::bytes).or_else(|| fact_disk(&device, facts).map(|f| f.size));
    NodeDisk {
        device,
        size,
        layout: d.layout.unwrap_or(n.hardware.default_layout()),
        tmp: d.tmp.unwrap_or_default(),
        swap: d.swap.unwrap_or(SwapSpec::Auto),
        encryption: d.encryption.clone(),
        longhorn_min_size: d.longhorn_min_size.unwrap_or(DEFAULT_LONGHORN_MIN).bytes(),
    }
}

/// A default VLAN name (`LINK.ID`) that does not fit the kernel's 15 bytes: the
/// user must name the VLAN. `at` is the field path below `nodes[i].network`.
fn vlan_name(link: &IfName, id: u16, at: &str) -> Result<IfName, Diagnostic> {
    IfName::vlan(link, id).map_err(|e| {
        Diagnostic::error(at, format!("the default name of VLAN {id} on {link}: {e}"))
            .with_help("give the VLAN a shorter name: vlans: [{id: ID, name: vlanID}]")
    })
}

/// Expands the short network intent into links, bonds, VLANs and per-network attachments.
fn normalize_network(
    n: &NodeSpec,
    networks: &BTreeMap<String, NetworkSpec>,
    facts: Option<&Facts>,
) -> Result<NodeNetwork, Diagnostic> {
    let intent = &n.network;
    let fact_mac =
        |name: &IfName| facts.and_then(|f| f.nics.iter().find(|x| name == x.name.as_str())).and_then(|x| x.mac);
    let mut links: Vec<Link> =
        intent.nics.iter().map(|nic| Link { name: nic.name.clone(), mac: nic.mac.or(fact_mac(&nic.name)) }).collect();
    let mut bonds = Vec::new();
    let primary = if let Some(b) = &intent.bond {
        for m in &b.members {
            if !links.iter().any(|l| &l.name == m) {
                links.push(Link { name: m.clone(), mac: fact_mac(m) });
            }
        }
        bonds.push(Bond {
            name: b.name.clone(),
            members: b.members.clone(),
            mode: b.mode,
            lacp_rate: b.lacp_rate,
            transmit_hash_policy: b.transmit_hash_policy,
            miimon: b.miimon,
            primary: b.primary.clone(),
        });
        b.name.clone()
    } else {
        let name = intent.interface.clone().unwrap_or_else(|| {
            if intent.mac.is_some() {
                IfName::known("lan0")
            } else if let Some(first) = intent.nics.first() {
                first.name.clone()
            } else {
                IfName::known(n.hardware.default_interface())
            }
        });
        if !links.iter().any(|l| l.name == name) {
            links.insert(0, Link { name: name.clone(), mac: intent.mac.or(fact_mac(&name)) });
        }
        name
    };

    let mut vlans: Vec<Vlan> = Vec::with_capacity(intent.vlans.len());
    for (i, v) in intent.vlans.iter().enumerate() {
        let link = v.link.clone().unwrap_or_else(|| primary.clone());
        let name = match &v.name {
            Some(name) => name.clone(),
            None => vlan_name(&link, v.id, &format!("vlans[{i}]"))?,
        };
        vlans.push(Vlan { name, id: v.id, link });
    }

    // The cluster network first, then the others by name: a stable, meaningful order.
    let mut order: Vec<&String> = n.addresses.keys().collect();
    order.sort_by_key(|k| (k.as_str() != "cluster", k.as_str()));
    let mut attachments = Vec::new();
    for net_name in order {
        let Some(spec) = networks.get(net_name) else { continue };
        let ip = n.addresses[net_name];
        let interface = if let Some(i) = intent.attach.get(net_name) {
            i.clone()
        } else if let Some(v) = intent.vlans.iter().zip(&vlans).find(|(s, _)| s.network.as_deref() == Some(net_name)) {
            v.1.name.clone()
        } else if let Some(id) = spec.vlan {
            match vlans.iter().find(|v| v.id == id && v.link == primary) {
                Some(v) => v.name.clone(),
                None => {
                    let name = vlan_name(&primary, id, "")?;
                    vlans.push(Vlan { name: name.clone(), id, link: primary.clone() });
                    name
                }
            }
        } else {
            primary.clone()
        };
        attachments.push(Attachment {
            network: net_name.clone(),
            interface,
            address: IpNet::new(ip, spec.cidr.prefix_len()).ok(),
            gateway: spec.gateway,
            dns: spec.dns.clone(),
            mtu: spec.mtu,
        });
    }
    if !n.addresses.contains_key("cluster") && intent.dhcp {
        if let Some(spec) = networks.get("cluster") {
            attachments.insert(
                0,
                Attachment {
                    network: "cluster".into(),
                    interface: primary.clone(),
                    address: None,
                    gateway: None,
                    dns: spec.dns.clone(),
                    mtu: spec.mtu,
                },
            );
        }
    }
    let extra_addresses = intent
        .extra_addresses
        .iter()
        .map(|e| InterfaceAddress {
            interface: e.interface.clone().unwrap_or_else(|| primary.clone()),
            address: e.address,
        })
        .collect();
    let routes = intent
        .routes
        .iter()
        .map(|r| {
            let interface = r.interface.clone().unwrap_or_else(|| {
                attachments
                    .iter()
                    .find(|a| a.address.is_some_and(|net| net.contains(&r.via)))
                    .map_or_else(|| primary.clone(), |a| a.interface.clone())
            });
            Route { interface, to: r.to, via: r.via, metric: r.metric }
        })
        .collect();
    Ok(NodeNetwork {
        primary,
        dhcp: intent.dhcp,
        links,
        bonds,
        vlans,
        attachments,
        extra_addresses,
        routes,
        netplan: n.netplan.clone(),
    })
}

/// The probed ed25519 host key, written as n3x writes keys: only a key that parses (a
/// probed machine controls this text; the facts rules report one that does not).
fn probed_host_key(f: &Facts) -> Option<String> {
    f.host_keys
        .iter()
        .filter(|k| k.starts_with("ssh-ed25519 "))
        .find_map(|k| k.parse::<crate::keys::SshPublicKey>().ok())
        .filter(|k| k.ed25519_bytes().is_some())
        .map(|k| k.to_string())
}

/// The default path of a field of node `i`, for messages.
pub fn node_path(i: usize, field: &str) -> String {
    join_key(&join_index("nodes", i), field)
}

/// Whether a hardware profile name is known (for CSV import messages).
pub fn parse_hardware(s: &str) -> Result<Hardware, String> {
    Hardware::ALL.iter().copied().find(|h| h.as_str() == s).ok_or_else(|| {
        let names: Vec<&str> = Hardware::ALL.iter().map(|h| h.as_str()).collect();
        match did_you_mean(s, names.iter().copied()) {
            Some(m) => format!("unknown hardware profile \"{s}\"; did you mean \"{m}\"?"),
            None => format!("unknown hardware profile \"{s}\"; expected one of {}", names.join(", ")),
        }
    })
}
