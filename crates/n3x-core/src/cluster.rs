//! `Cluster`: the normalized cluster every tool reads. Every default is applied and
//! every derived value is filled in, so consumers never re-derive anything: sizes are
//! bytes, addresses carry their prefix, each node knows its interfaces.
//!
//! Written only by [`crate::normalize`]; consumers deserialize it with
//! `deny_unknown_fields`, so a producer/consumer mismatch fails loudly.

use std::collections::BTreeMap;
use std::net::IpAddr;

use ipnet::IpNet;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::inventory::{Addons, NetworkSpec};
use crate::model::{
    BondMode, Boot, Cni, DiskLayout, Encryption, FlannelBackend, Hardware, LacpRate, Role, SwapSpec, TmpMode,
    TransmitHashPolicy,
};
use crate::units::{Cidr, IfName, IpRange, MacAddr, NodeName};

/// The normalized cluster.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct Cluster {
    /// Always `n3x.dev/v1alpha1`.
    pub api_version: String,
    /// Always `Cluster`.
    pub kind: String,
    /// Cluster name.
    pub name: NodeName,
    /// DNS domain, if any.
    pub domain: Option<crate::units::DnsName>,
    /// Time zone.
    pub time_zone: String,
    /// NixOS `system.stateVersion`.
    pub state_version: String,
    /// The NixOS release the flake pins (`nixos-26.05`).
    #[serde(default)]
    pub nixpkgs: crate::model::NixosRelease,
    /// Cluster-wide k3s settings, resolved.
    pub k3s: ClusterK3s,
    /// Named networks, by name.
    pub networks: BTreeMap<String, NetworkSpec>,
    /// Load-balancer pools.
    pub pools: Vec<Pool>,
    /// Add-ons with every default and derived switch resolved
    /// (`kyverno.enabled`, `longhorn.replicas`, `nvidiaDevicePlugin.enabled` are never null).
    pub addons: Addons,
    /// Administrators.
    pub admins: Vec<ClusterAdmin>,
    /// Nodes, in inventory order.
    pub nodes: Vec<Node>,
}

impl Cluster {
    /// The node with this name.
    pub fn node(&self, name: &str) -> Option<&Node> {
        self.nodes.iter().find(|n| n.name.as_str() == name)
    }
    /// Server nodes, in order.
    pub fn servers(&self) -> impl Iterator<Item = &Node> {
        self.nodes.iter().filter(|n| n.role == Role::Server)
    }
}

/// Cluster-wide k3s settings.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct ClusterK3s {
    /// The API server address (VIP or the first server's cluster address).
    pub api_address: IpAddr,
    /// `https://API:6443`, what joining nodes use as `serverAddr`.
    pub server_url: String,
    /// Pod network.
    pub cluster_cidr: Cidr,
    /// Service network.
    pub service_cidr: Cidr,
    /// Cluster DNS address (the 10th address of the service network, as k3s uses).
    pub cluster_dns: IpAddr,
    /// CNI.
    pub cni: Cni,
    /// Flannel backend.
    pub flannel_backend: FlannelBackend,
    /// Packaged components disabled, sorted, including those implied by add-ons.
    pub disable: Vec<String>,
    /// Extra server flags.
    pub extra_flags: Vec<String>,
}

/// A load-balancer pool.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct Pool {
    /// Pool name.
    pub name: NodeName,
    /// Network the addresses belong to.
    pub network: String,
    /// Address ranges (`FIRST-LAST`).
    pub addresses: Vec<IpRange>,
    /// Whether MetalLB assigns automatically.
    pub auto_assign: bool,
}

/// An administrator.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct ClusterAdmin {
    /// Name.
    pub name: NodeName,
    /// SSH public key lines.
    pub ssh_keys: Vec<String>,
    /// age recipients.
    pub age_recipients: Vec<String>,
}

/// A node, complete.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct Node {
    /// Host name.
    pub name: NodeName,
    /// k3s role.
    pub role: Role,
    /// Hardware profile.
    pub hardware: Hardware,
    /// Nix system double (`x86_64-linux`, `aarch64-linux`).
    pub system: String,
    /// Boot method.
    pub boot: Boot,
    /// True on the first server only: it initializes the embedded etcd.
    pub cluster_init: bool,
    /// The URL of the server to join (`https://API:6443`); null on the initializing server.
    pub server_addr: Option<String>,
    /// The node's cluster-network address (`--node-ip`); null when the node uses DHCP.
    pub node_ip: Option<IpAddr>,
    /// `--node-external-ip`, when declared.
    pub node_external_ip: Option<IpAddr>,
    /// Address on each named network.
    pub addresses: BTreeMap<String, IpAddr>,
    /// Network configuration in the one internal form.
    pub network: NodeNetwork,
    /// The system disk.
    pub disk: NodeDisk,
    /// A disk given whole to Longhorn.
    pub longhorn_disk: Option<NodeLonghornDisk>,
    /// Whether the node carries Longhorn storage (always false with the Longhorn add-on off).
    pub longhorn: bool,
    /// Whether the node has an NVIDIA GPU.
    pub gpu: bool,
    /// Memory in bytes, when known.
    pub memory: Option<u64>,
    /// SSH ed25519 host public key, when known.
    pub host_key: Option<String>,
    /// Kubernetes labels: the inventory's, plus what normalize adds — `n3x.dev/hardware`
    /// on every node; `n3x.dev/storage` and `node.longhorn.io/create-default-disk` on
    /// Longhorn nodes; `n3x.dev/gpu` on GPU nodes (no role label: k3s labels its servers).
    pub labels: BTreeMap<String, String>,
    /// Kubernetes taints, `key=value:Effect`.
    pub taints: Vec<String>,
    /// SSH target.
    pub ssh: NodeSsh,
    /// Extra k3s flags for this node.
    pub k3s_extra_flags: Vec<String>,
}

/// SSH target, resolved.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct NodeSsh {
    /// Host name or address.
    pub host: String,
    /// User.
    pub user: String,
    /// Port.
    pub port: u16,
}

/// Network configuration of one node.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct NodeNetwork {
    /// The interface carrying the cluster network (a bond or VLAN rather than a member).
    pub primary: IfName,
    /// DHCPv4 on the primary interface.
    pub dhcp: bool,
    /// Physical NICs.
    pub links: Vec<Link>,
    /// Bonds.
    pub bonds: Vec<Bond>,
    /// VLANs.
    pub vlans: Vec<Vlan>,
    /// Which interface carries each named network, with its address.
    pub attachments: Vec<Attachment>,
    /// Extra addresses.
    pub extra_addresses: Vec<InterfaceAddress>,
    /// Static routes.
    pub routes: Vec<Route>,
    /// An embedded netplan v2 document, passed through for n3x-netplan.
    pub netplan: Option<serde_json::Value>,
}

/// A physical NIC.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct Link {
    /// Interface name.
    pub name: IfName,
    /// Permanent MAC, when known.
    pub mac: Option<MacAddr>,
}

/// A bond.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct Bond {
    /// Interface name.
    pub name: IfName,
    /// Member NICs.
    pub members: Vec<IfName>,
    /// Mode.
    pub mode: BondMode,
    /// LACP rate.
    pub lacp_rate: Option<LacpRate>,
    /// Transmit hash policy.
    pub transmit_hash_policy: Option<TransmitHashPolicy>,
    /// MII monitor interval, ms.
    pub miimon: u32,
    /// Primary member.
    pub primary: Option<IfName>,
}

/// A VLAN.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct Vlan {
    /// Interface name.
    pub name: IfName,
    /// VLAN id.
    pub id: u16,
    /// Parent link.
    pub link: IfName,
}

/// A named network on an interface.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct Attachment {
    /// Network name.
    pub network: String,
    /// Interface.
    pub interface: IfName,
    /// `ADDRESS/PREFIX`; null with DHCP.
    #[schemars(with = "Option<String>")]
    pub address: Option<IpNet>,
    /// Gateway of the network, if any.
    pub gateway: Option<IpAddr>,
    /// DNS servers.
    pub dns: Vec<IpAddr>,
    /// MTU.
    pub mtu: u16,
}

/// An address on an interface.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct InterfaceAddress {
    /// Interface.
    pub interface: IfName,
    /// `ADDRESS/PREFIX`.
    #[schemars(with = "String")]
    pub address: IpNet,
}

/// A static route.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct Route {
    /// Interface.
    pub interface: IfName,
    /// Destination.
    pub to: Cidr,
    /// Next hop.
    pub via: IpAddr,
    /// Metric.
    pub metric: Option<u32>,
}

/// The system disk, resolved.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct NodeDisk {
    /// Device path.
    pub device: String,
    /// Size in bytes, when known.
    pub size: Option<u64>,
    /// Layout.
    pub layout: DiskLayout,
    /// /tmp mode.
    pub tmp: TmpMode,
    /// Swap: `auto`, `none`, or bytes.
    pub swap: SwapSpec,
    /// LUKS key source.
    pub encryption: Option<Encryption>,
    /// Smallest acceptable Longhorn partition, bytes.
    pub longhorn_min_size: u64,
}

/// A disk given whole to Longhorn, resolved.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct NodeLonghornDisk {
    /// Device path.
    pub device: String,
    /// Size in bytes, when known.
    pub size: Option<u64>,
}
