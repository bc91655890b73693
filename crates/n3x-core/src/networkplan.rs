//! `NetworkPlan`: the checked network of every node, written by `n3x-netplan plan` and
//! read by `n3x-netplan render` and `n3x-kube-bootstrap`.
//!
//! The interface model ([`Interface`]) is the one in-memory form both inputs reach:
//! netplan v2 YAML parses into it and the inventory's short form expands into it, so
//! one renderer serves both. It mirrors netplan's definitions (ethernets, bonds, VLANs,
//! bridges) with every default resolved the way netplan resolves it. This module only
//! declares the shapes; parsing, planning and rendering live in n3x-netplan.

use std::net::IpAddr;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::model::{BondMode, LacpRate, Role, TransmitHashPolicy};
use crate::units::{MacAddr, NodeName};

/// The network plan of a cluster (or of one netplan file).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct NetworkPlan {
    /// Always `n3x.dev/v1alpha1`.
    pub api_version: String,
    /// Always `NetworkPlan`.
    pub kind: String,
    /// One entry per node, in inventory order.
    pub nodes: Vec<NodeNetworkPlan>,
}

/// The network of one node.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct NodeNetworkPlan {
    /// Node name (or the netplan file's stem for `--from-netplan`).
    pub node: NodeName,
    /// k3s role; null for a standalone netplan file.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub role: Option<Role>,
    /// Interfaces in netplan order: ethernets, bonds, bridges, VLANs.
    pub interfaces: Vec<Interface>,
    /// The k3s settings that follow from the topology.
    #[serde(default)]
    pub k3s: K3sNetwork,
    /// The interface carrying the storage network (Longhorn replication, Multus), if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub storage_interface: Option<String>,
    /// Firewall rules; null for a standalone netplan file.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub firewall: Option<Firewall>,
}

/// k3s flags derived from the network.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct K3sNetwork {
    /// `--node-ip`: the node's cluster-network address (null with DHCP).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub node_ip: Option<IpAddr>,
    /// `--flannel-iface`: the interface carrying the node IP (a bond or VLAN, never a member).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub flannel_iface: Option<String>,
    /// `--node-external-ip`, when declared.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub node_external_ip: Option<IpAddr>,
    /// The flags, ready for `services.k3s.extraFlags`.
    #[serde(default)]
    pub flags: Vec<String>,
}

/// Firewall rules for one node.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct Firewall {
    /// The interface the rules are restricted to (the cluster network's); null opens them on all.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub interface: Option<String>,
    /// Open ports, each with its reason.
    pub rules: Vec<FirewallRule>,
    /// Interfaces trusted entirely (CNI bridges and overlays), each with its reason.
    pub trusted_interfaces: Vec<TrustedInterface>,
}

/// Transport protocol of a firewall rule.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum Protocol {
    /// TCP.
    Tcp,
    /// UDP.
    Udp,
}

/// One opened port or port range.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct FirewallRule {
    /// Protocol.
    pub protocol: Protocol,
    /// First port.
    pub from: u16,
    /// Last port (equal to `from` for one port).
    pub to: u16,
    /// Why the port is open.
    pub reason: String,
}

/// A trusted interface.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct TrustedInterface {
    /// Interface name.
    pub name: String,
    /// Why it is trusted.
    pub reason: String,
}

/// What kind of device an interface is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum InterfaceKind {
    /// A physical NIC (netplan `ethernets`).
    Ethernet,
    /// A bond (netplan `bonds`).
    Bond,
    /// A bridge (netplan `bridges`).
    Bridge,
    /// An 802.1Q VLAN (netplan `vlans`).
    Vlan,
}

impl InterfaceKind {
    /// True for devices networkd creates itself (`.netdev`).
    pub fn is_virtual(self) -> bool {
        self != InterfaceKind::Ethernet
    }
}

/// One interface definition, netplan's defaults resolved.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct Interface {
    /// Definition id (the interface name for virtual devices and unmatched NICs).
    pub id: String,
    /// Device kind.
    pub kind: InterfaceKind,
    /// Named networks (cluster, storage, ...) this interface carries.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub networks: Vec<String>,
    /// How a physical NIC is found.
    #[serde(default, skip_serializing_if = "Option::is_none", rename = "match")]
    pub matches: Option<Match>,
    /// Name given to a matched NIC.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub set_name: Option<String>,
    /// Wake-on-LAN (magic packet).
    #[serde(default, skip_serializing_if = "is_false")]
    pub wakeonlan: bool,
    /// Emit LLDP.
    #[serde(default, skip_serializing_if = "is_false")]
    pub emit_lldp: bool,
    /// The bond this NIC is a member of (derived from the bond's `interfaces`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bond: Option<String>,
    /// The bridge this interface is a port of (derived from the bridge's `interfaces`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bridge: Option<String>,
    /// Whether this member is its bond's primary.
    #[serde(default, skip_serializing_if = "is_false")]
    pub primary_member: bool,
    /// DHCPv4 client.
    #[serde(default, skip_serializing_if = "is_false")]
    pub dhcp4: bool,
    /// DHCPv6 client.
    #[serde(default, skip_serializing_if = "is_false")]
    pub dhcp6: bool,
    /// DHCPv4 overrides.
    #[serde(default, skip_serializing_if = "DhcpOverrides::is_default")]
    pub dhcp4_overrides: DhcpOverrides,
    /// DHCPv6 overrides.
    #[serde(default, skip_serializing_if = "DhcpOverrides::is_default")]
    pub dhcp6_overrides: DhcpOverrides,
    /// DHCP client identifier (`mac` or `duid`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dhcp_identifier: Option<String>,
    /// Link-local addressing families (netplan default: IPv6 only).
    pub link_local: LinkLocal,
    /// Accept IPv6 router advertisements; null keeps the kernel default.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub accept_ra: Option<bool>,
    /// IPv6 privacy extensions.
    #[serde(default, skip_serializing_if = "is_false")]
    pub ipv6_privacy: bool,
    /// Static addresses (`ADDRESS/PREFIX`), IPv4 first as netplan orders them.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub addresses: Vec<String>,
    /// Addresses with options (label, lifetime), each its own `[Address]` section.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub address_options: Vec<AddressOptions>,
    /// Deprecated `gateway4`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub gateway4: Option<IpAddr>,
    /// Deprecated `gateway6`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub gateway6: Option<IpAddr>,
    /// DNS servers, IPv4 first.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub nameservers: Vec<IpAddr>,
    /// DNS search domains.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub search: Vec<String>,
    /// Static routes.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub routes: Vec<RouteDef>,
    /// Routing policy rules.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub routing_policy: Vec<RuleDef>,
    /// MTU in bytes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mtu: Option<u32>,
    /// IPv6 MTU in bytes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ipv6_mtu: Option<u32>,
    /// MAC address to set.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub macaddress: Option<MacAddr>,
    /// Not required for the network to be online.
    #[serde(default, skip_serializing_if = "is_false")]
    pub optional: bool,
    /// Keep the DHCP lease when networkd restarts (root on network).
    #[serde(default, skip_serializing_if = "is_false")]
    pub critical: bool,
    /// Configure the interface even without carrier.
    #[serde(default, skip_serializing_if = "is_false")]
    pub ignore_carrier: bool,
    /// `manual` or `off`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub activation_mode: Option<ActivationMode>,
    /// Members of a bond or bridge.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub interfaces: Vec<String>,
    /// Bond parameters.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bond_parameters: Option<BondParameters>,
    /// Bridge parameters.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bridge_parameters: Option<BridgeParameters>,
    /// Bridge port settings of this interface (from the bridge's `path-cost`/`port-priority`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bridge_port: Option<BridgePort>,
    /// VLAN id (VLANs only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub vlan_id: Option<u16>,
    /// VLAN parent (VLANs only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub vlan_link: Option<String>,
}

impl Interface {
    /// A definition with netplan's defaults.
    pub fn new(id: impl Into<String>, kind: InterfaceKind) -> Self {
        Interface {
            id: id.into(),
            kind,
            networks: Vec::new(),
            matches: None,
            set_name: None,
            wakeonlan: false,
            emit_lldp: false,
            bond: None,
            bridge: None,
            primary_member: false,
            dhcp4: false,
            dhcp6: false,
            dhcp4_overrides: DhcpOverrides::default(),
            dhcp6_overrides: DhcpOverrides::default(),
            dhcp_identifier: None,
            link_local: LinkLocal::default(),
            accept_ra: None,
            ipv6_privacy: false,
            addresses: Vec::new(),
            address_options: Vec::new(),
            gateway4: None,
            gateway6: None,
            nameservers: Vec::new(),
            search: Vec::new(),
            routes: Vec::new(),
            routing_policy: Vec::new(),
            mtu: None,
            ipv6_mtu: None,
            macaddress: None,
            optional: false,
            critical: false,
            ignore_carrier: false,
            activation_mode: None,
            interfaces: Vec::new(),
            bond_parameters: None,
            bridge_parameters: None,
            bridge_port: None,
            vlan_id: None,
            vlan_link: None,
        }
    }

    /// The name the kernel interface ends up with, when it is known.
    pub fn ifname(&self) -> Option<&str> {
        if self.kind.is_virtual() {
            return Some(&self.id);
        }
        if let Some(n) = &self.set_name {
            return Some(n);
        }
        match &self.matches {
            None => Some(&self.id),
            Some(m) => m.name.as_deref(),
        }
    }
}

fn is_false(b: &bool) -> bool {
    !*b
}

/// How a physical NIC is matched.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct Match {
    /// Kernel name (globs allowed).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Permanent MAC address.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub macaddress: Option<MacAddr>,
    /// Kernel driver names (globs allowed).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub driver: Vec<String>,
}

/// Link-local address families.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct LinkLocal {
    /// IPv4LL (169.254/16).
    pub ipv4: bool,
    /// IPv6 fe80::/64.
    pub ipv6: bool,
}

impl Default for LinkLocal {
    fn default() -> Self {
        LinkLocal { ipv4: false, ipv6: true }
    }
}

/// DHCP client overrides (netplan's defaults: every `use-*` and `send-hostname` true).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct DhcpOverrides {
    /// Use DNS servers from DHCP.
    pub use_dns: bool,
    /// Use NTP servers from DHCP.
    pub use_ntp: bool,
    /// Send the host name.
    pub send_hostname: bool,
    /// Use the host name from DHCP.
    pub use_hostname: bool,
    /// Use the MTU from DHCP.
    pub use_mtu: bool,
    /// Use routes from DHCP.
    pub use_routes: bool,
    /// `true`, `false` or `route`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub use_domains: Option<String>,
    /// Host name to send.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hostname: Option<String>,
    /// Metric of routes from DHCP.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub route_metric: Option<u32>,
}

impl Default for DhcpOverrides {
    fn default() -> Self {
        DhcpOverrides {
            use_dns: true,
            use_ntp: true,
            send_hostname: true,
            use_hostname: true,
            use_mtu: true,
            use_routes: true,
            use_domains: None,
            hostname: None,
            route_metric: None,
        }
    }
}

impl DhcpOverrides {
    /// True when nothing is overridden.
    pub fn is_default(&self) -> bool {
        *self == DhcpOverrides::default()
    }
}

/// An address with options.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct AddressOptions {
    /// `ADDRESS/PREFIX`.
    pub address: String,
    /// Address label.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub label: Option<String>,
    /// Preferred lifetime: `forever` or `0`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lifetime: Option<String>,
}

/// A static route, scope and type resolved as netplan resolves them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct RouteDef {
    /// Destination: `default` or an address with optional prefix.
    pub to: String,
    /// Next hop.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub via: Option<IpAddr>,
    /// Preferred source address.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub from: Option<IpAddr>,
    /// The gateway is on-link even if no address covers it.
    #[serde(default, skip_serializing_if = "is_false")]
    pub on_link: bool,
    /// Metric.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub metric: Option<u32>,
    /// Routing table.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub table: Option<u32>,
    /// Route type (`unicast` unless said otherwise).
    #[serde(rename = "type")]
    pub route_type: String,
    /// Scope (`global`, `link` or `host`).
    pub scope: String,
    /// Route MTU.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mtu: Option<u32>,
}

/// A routing policy rule.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct RuleDef {
    /// Source prefix.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub from: Option<String>,
    /// Destination prefix.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub to: Option<String>,
    /// Table.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub table: Option<u32>,
    /// Priority.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub priority: Option<u32>,
    /// Firewall mark.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mark: Option<u32>,
    /// Type of service.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub type_of_service: Option<u8>,
}

/// `activation-mode`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum ActivationMode {
    /// Brought up by hand.
    Manual,
    /// Always down.
    Off,
}

/// Bond parameters.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct BondParameters {
    /// Mode.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mode: Option<BondMode>,
    /// LACP rate.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lacp_rate: Option<LacpRate>,
    /// MII monitor interval (ms, or with a unit).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mii_monitor_interval: Option<String>,
    /// Minimum active members.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min_links: Option<u32>,
    /// Transmit hash policy.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub transmit_hash_policy: Option<TransmitHashPolicy>,
    /// 802.3ad aggregator selection (`stable`, `bandwidth`, `count`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ad_select: Option<String>,
    /// Deliver duplicate frames on inactive members.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub all_members_active: Option<bool>,
    /// ARP monitor interval.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub arp_interval: Option<String>,
    /// ARP monitor targets.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub arp_ip_targets: Vec<IpAddr>,
    /// ARP validation (`none`, `active`, `backup`, `all`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub arp_validate: Option<String>,
    /// `any` or `all`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub arp_all_targets: Option<String>,
    /// Up delay.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub up_delay: Option<String>,
    /// Down delay.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub down_delay: Option<String>,
    /// `none`, `active` or `follow`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fail_over_mac_policy: Option<String>,
    /// Gratuitous ARPs after failover.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub gratuitous_arp: Option<u32>,
    /// Packets per member (balance-rr).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub packets_per_member: Option<u32>,
    /// `always`, `better` or `failure`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub primary_reselect_policy: Option<String>,
    /// IGMP reports after failover.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resend_igmp: Option<u32>,
    /// Learning packet interval.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub learn_packet_interval: Option<String>,
    /// Primary member.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub primary: Option<String>,
}

/// Bridge parameters.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct BridgeParameters {
    /// Ageing time, seconds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ageing_time: Option<u32>,
    /// Bridge priority.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub priority: Option<u32>,
    /// Forward delay, seconds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub forward_delay: Option<u32>,
    /// Hello time, seconds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hello_time: Option<u32>,
    /// Max age, seconds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_age: Option<u32>,
    /// Spanning tree (netplan default: on).
    pub stp: bool,
}

/// Per-port bridge settings.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct BridgePort {
    /// STP path cost.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub path_cost: Option<u32>,
    /// STP port priority (0-63).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub port_priority: Option<u32>,
}
