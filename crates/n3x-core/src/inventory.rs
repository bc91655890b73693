//! `Inventory`: the cluster as a person writes it (short, with defaults).
//!
//! These types are the wire format of inventory files and the source of the JSON
//! Schema (`n3x-inventory schema`). Every struct denies unknown fields so that a typo
//! is an error with a suggestion. Defaults that are constants live here
//! (`#[serde(default)]`); defaults that depend on other fields are applied by
//! [`crate::normalize`].

use std::collections::BTreeMap;
use std::net::IpAddr;

use ipnet::IpNet;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::keys::{AgeRecipient, SshPublicKey};
use crate::model::{
    BondMode, Cni, DiskLayout, Encryption, FlannelBackend, Hardware, K3sComponent, LacpRate, PolicyKind, Role,
    SwapSpec, TmpMode, TransmitHashPolicy,
};
use crate::units::{ByteSize, Cidr, IfName, IpRange, MacAddr, NodeName};

/// The API version every n3x document carries.
pub const API_VERSION: &str = "n3x.dev/v1alpha1";

/// The whole inventory file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
#[schemars(
    title = "n3x Inventory",
    description = "An n3x edge cluster as a person describes it. Normalize it with `n3x-inventory normalize`."
)]
pub struct Inventory {
    /// Always `n3x.dev/v1alpha1`.
    #[schemars(extend("const" = "n3x.dev/v1alpha1"))]
    pub api_version: String,
    /// Always `Inventory`.
    #[schemars(extend("const" = "Inventory"))]
    pub kind: String,
    /// Cluster-wide identity.
    pub cluster: ClusterMeta,
    /// k3s settings shared by every node.
    #[serde(default)]
    pub k3s: K3sSpec,
    /// Named L3 networks (`cluster` is required; `storage` and others are optional).
    #[serde(default)]
    pub networks: BTreeMap<String, NetworkSpec>,
    /// Load-balancer address pools (used by MetalLB).
    #[serde(default)]
    pub load_balancer: LoadBalancerSpec,
    /// Kubernetes add-ons, each switched on or off.
    #[serde(default)]
    pub addons: Addons,
    /// People who administer the cluster: SSH access and secret recipients.
    #[serde(default)]
    pub admins: Vec<Admin>,
    /// Settings applied to every node before its own (node values win; maps merge).
    #[serde(default)]
    pub defaults: NodeDefaults,
    /// The machines, in order; the first server initializes the cluster.
    pub nodes: Vec<NodeSpec>,
}

/// Cluster-wide identity.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct ClusterMeta {
    /// Cluster name (an RFC 1123 label).
    pub name: NodeName,
    /// DNS domain of the nodes, e.g. `lab.example.net`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub domain: Option<crate::units::DnsName>,
    /// Time zone (tz database name).
    #[serde(default = "default_time_zone")]
    pub time_zone: String,
    /// NixOS `system.stateVersion` of the nodes: the release they were first installed
    /// with. It is not the release they run (that is `nixpkgs`) and is never bumped to upgrade.
    #[serde(default = "default_state_version")]
    pub state_version: String,
    /// The NixOS release the flake pins (`nixos-26.05`, the default: the newest stable).
    #[serde(default)]
    pub nixpkgs: crate::model::NixosRelease,
}

fn default_time_zone() -> String {
    "UTC".into()
}
fn default_state_version() -> String {
    "25.05".into()
}

/// k3s settings for the whole cluster.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct K3sSpec {
    /// The API server address agents and extra servers join (a VIP or the first server's
    /// cluster address, which is the default).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub api_address: Option<IpAddr>,
    /// Pod network (`--cluster-cidr`).
    #[serde(default = "default_cluster_cidr")]
    pub cluster_cidr: Cidr,
    /// Service network (`--service-cidr`).
    #[serde(default = "default_service_cidr")]
    pub service_cidr: Cidr,
    /// CNI: k3s's flannel, cilium, or none (bring your own).
    #[serde(default)]
    pub cni: Cni,
    /// Flannel backend (with `cni: flannel`).
    #[serde(default)]
    pub flannel_backend: FlannelBackend,
    /// Packaged components to disable (`--disable`). MetalLB adds `servicelb`; Traefik
    /// switched off adds `traefik`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub disable: Vec<K3sComponent>,
    /// Extra flags passed to every server.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub extra_flags: Vec<String>,
}

impl Default for K3sSpec {
    fn default() -> Self {
        K3sSpec {
            api_address: None,
            cluster_cidr: default_cluster_cidr(),
            service_cidr: default_service_cidr(),
            cni: Cni::default(),
            flannel_backend: FlannelBackend::default(),
            disable: Vec::new(),
            extra_flags: Vec::new(),
        }
    }
}

fn default_cluster_cidr() -> Cidr {
    Cidr(ipnet::IpNet::V4(ipnet::Ipv4Net::new_assert(std::net::Ipv4Addr::new(10, 42, 0, 0), 16)))
}
fn default_service_cidr() -> Cidr {
    Cidr(ipnet::IpNet::V4(ipnet::Ipv4Net::new_assert(std::net::Ipv4Addr::new(10, 43, 0, 0), 16)))
}

/// One named L3 network.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct NetworkSpec {
    /// The network, e.g. `192.168.10.0/24`.
    pub cidr: Cidr,
    /// Default gateway on this network (only one network should have one).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub gateway: Option<IpAddr>,
    /// DNS servers.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub dns: Vec<IpAddr>,
    /// MTU of the interfaces on this network.
    #[serde(default = "default_mtu")]
    pub mtu: u16,
    /// 802.1Q VLAN id when the network is tagged on the node's primary link.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub vlan: Option<u16>,
}

fn default_mtu() -> u16 {
    1500
}

/// Load-balancer address pools.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct LoadBalancerSpec {
    /// The pools, in order.
    #[serde(default)]
    pub pools: Vec<PoolSpec>,
}

/// One address pool.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct PoolSpec {
    /// Pool name (an RFC 1123 label; the MetalLB IPAddressPool name).
    pub name: NodeName,
    /// The network the addresses belong to.
    #[serde(default = "default_network")]
    pub network: String,
    /// Address ranges: `FIRST-LAST`, a CIDR, or single addresses.
    pub addresses: Vec<IpRange>,
    /// Whether MetalLB assigns from this pool automatically.
    #[serde(default = "yes")]
    pub auto_assign: bool,
}

fn default_network() -> String {
    "cluster".into()
}
fn yes() -> bool {
    true
}

/// Kubernetes add-ons. Each is off unless enabled, except where noted.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct Addons {
    /// Kyverno policy engine (switched on automatically with Longhorn: the NixOS PATH policy needs it).
    #[serde(default)]
    pub kyverno: Kyverno,
    /// Longhorn distributed block storage.
    #[serde(default)]
    pub longhorn: Longhorn,
    /// MetalLB load balancer.
    #[serde(default)]
    pub metallb: Metallb,
    /// Argo CD with an app-of-apps root Application.
    #[serde(default)]
    pub argocd: ArgoCd,
    /// cert-manager with a ClusterIssuer.
    #[serde(default)]
    pub cert_manager: CertManager,
    /// Multus meta-CNI (needed for a Longhorn storage network).
    #[serde(default)]
    pub multus: Multus,
    /// k3s's packaged Traefik ingress (on by default, as in k3s).
    #[serde(default)]
    pub traefik: Traefik,
    /// NVIDIA device plugin and runtime class for GPU nodes (on by default when a node has a GPU).
    #[serde(default)]
    pub nvidia_device_plugin: NvidiaDevicePlugin,
}

/// Kyverno settings.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct Kyverno {
    /// On or off (default: on when Longhorn is on).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub enabled: Option<bool>,
    /// Chart version override.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version: Option<String>,
    /// Kind of the Longhorn PATH policy: `MutatingPolicy` (Kyverno ≥ 1.15) or the
    /// deprecated `ClusterPolicy` for older Kyverno.
    #[serde(default)]
    pub policy_kind: PolicyKind,
}

/// Longhorn settings.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct Longhorn {
    /// On or off.
    #[serde(default)]
    pub enabled: bool,
    /// Chart version override.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version: Option<String>,
    /// Default replica count (default: 3, or the number of storage nodes if fewer).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub replicas: Option<u32>,
    /// Data path on the nodes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub data_path: Option<String>,
    /// Name of the network used for replication traffic (needs Multus).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub storage_network: Option<String>,
    /// Fixed load-balancer address of the Longhorn UI service (from a MetalLB pool).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ui_address: Option<IpAddr>,
}

/// MetalLB settings.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct Metallb {
    /// On or off.
    #[serde(default)]
    pub enabled: bool,
    /// Chart version override.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version: Option<String>,
    /// Advertisement mode.
    #[serde(default)]
    pub mode: crate::model::MetallbMode,
    /// Pools MetalLB serves (default: every pool).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub pools: Vec<String>,
}

/// Argo CD settings.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct ArgoCd {
    /// On or off.
    #[serde(default)]
    pub enabled: bool,
    /// Chart version override.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version: Option<String>,
    /// Git repository of the root app-of-apps.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub repo_url: Option<String>,
    /// Path inside the repository.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub path: Option<String>,
    /// Branch, tag or commit.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub revision: Option<String>,
    /// Fixed load-balancer address of the Argo CD server service (from a MetalLB pool).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub address: Option<IpAddr>,
}

/// cert-manager settings.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct CertManager {
    /// On or off.
    #[serde(default)]
    pub enabled: bool,
    /// Chart version override.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version: Option<String>,
    /// The ClusterIssuer to create.
    #[serde(default)]
    pub issuer: Issuer,
}

/// A cert-manager ClusterIssuer.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase", tag = "type")]
pub enum Issuer {
    /// Self-signed certificates.
    #[default]
    #[serde(rename = "selfSigned")]
    SelfSigned,
    /// ACME (e.g. Let's Encrypt) with HTTP-01 through the ingress.
    #[serde(rename = "acme")]
    Acme {
        /// Account e-mail.
        email: String,
        /// ACME directory URL.
        #[serde(default = "default_acme_server")]
        server: String,
    },
}

fn default_acme_server() -> String {
    "https://acme-v02.api.letsencrypt.org/directory".into()
}

/// Multus settings.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct Multus {
    /// On or off.
    #[serde(default)]
    pub enabled: bool,
    /// Chart version override.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version: Option<String>,
}

/// Traefik (k3s packaged) settings.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct Traefik {
    /// On (k3s's default) or off (adds `--disable traefik`).
    #[serde(default = "yes")]
    pub enabled: bool,
    /// Expose the Traefik dashboard.
    #[serde(default)]
    pub dashboard: bool,
    /// Load-balancer address of the Traefik service (from a pool).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub address: Option<IpAddr>,
}

impl Default for Traefik {
    fn default() -> Self {
        Traefik { enabled: true, dashboard: false, address: None }
    }
}

/// NVIDIA device plugin settings.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct NvidiaDevicePlugin {
    /// On or off (default: on when any node has a GPU).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub enabled: Option<bool>,
    /// Chart version override.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version: Option<String>,
}

/// A cluster administrator.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct Admin {
    /// Name (a label).
    pub name: NodeName,
    /// SSH public keys (authorized_keys lines) allowed to log in as root.
    #[serde(default)]
    pub ssh_keys: Vec<SshPublicKey>,
    /// age recipients (`age1…`) that can decrypt every secret.
    #[serde(default)]
    pub age_recipients: Vec<AgeRecipient>,
}

/// Settings applied to every node (any node field except `name` and `addresses`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct NodeDefaults {
    /// Default role.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub role: Option<Role>,
    /// Default hardware profile.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hardware: Option<Hardware>,
    /// Default network intent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub network: Option<NetworkIntent>,
    /// Default disk.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub disk: Option<DiskIntent>,
    /// Default dedicated Longhorn disk.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub longhorn_disk: Option<LonghornDisk>,
    /// Whether nodes carry Longhorn storage.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub longhorn: Option<bool>,
    /// Default memory size.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub memory: Option<ByteSize>,
    /// Labels on every node.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub labels: BTreeMap<String, String>,
    /// Taints on every node.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub taints: Vec<String>,
    /// SSH target defaults (user, port).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ssh: Option<SshTarget>,
    /// Per-node k3s defaults.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub k3s: Option<NodeK3s>,
}

/// One machine.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct NodeSpec {
    /// Host name (RFC 1123 label), also the k3s node name.
    pub name: NodeName,
    /// k3s role.
    pub role: Role,
    /// Hardware profile (decides architecture, boot method, default NIC and disk names).
    #[serde(default)]
    pub hardware: Hardware,
    /// The node's address on each named network, e.g. `{cluster: 192.168.10.11}`.
    #[serde(default)]
    pub addresses: BTreeMap<String, IpAddr>,
    /// How the node's NICs are set up.
    #[serde(default)]
    pub network: NetworkIntent,
    /// The system disk.
    #[serde(default)]
    pub disk: DiskIntent,
    /// A second disk given whole to Longhorn.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub longhorn_disk: Option<LonghornDisk>,
    /// Whether the node carries Longhorn storage (default: true; false for SD-card nodes without a Longhorn disk).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub longhorn: Option<bool>,
    /// Installed memory (sizes swap).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub memory: Option<ByteSize>,
    /// The node's SSH ed25519 host public key (from `n3x-secrets bootstrap-host` or a probe).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub host_key: Option<SshPublicKey>,
    /// Kubernetes node labels.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub labels: BTreeMap<String, String>,
    /// Kubernetes taints, `key=value:Effect`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub taints: Vec<String>,
    /// How to reach the node over SSH (default: its cluster address as root on port 22).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ssh: Option<SshTarget>,
    /// Per-node k3s settings.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub k3s: Option<NodeK3s>,
    /// Whether the node has an NVIDIA GPU (default: true for `jetson-orin-nano`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub gpu: Option<bool>,
    /// A netplan v2 document (`{network: {version: 2, …}}`) used instead of `network`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(with = "Option<serde_json::Map<String, serde_json::Value>>")]
    pub netplan: Option<serde_json::Value>,
}

/// Network intent: a single NIC, or a bond, plus VLANs and extra addresses.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct NetworkIntent {
    /// The single NIC's name (default from the hardware profile).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub interface: Option<IfName>,
    /// The single NIC's MAC; its name is then pinned with a `.link` unit.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mac: Option<MacAddr>,
    /// Named NICs (for bonds and second NICs), optionally pinned to MACs.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub nics: Vec<Nic>,
    /// A bond over several NICs; the bond becomes the primary interface.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bond: Option<BondSpec>,
    /// VLANs on the primary interface or a named link.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub vlans: Vec<VlanSpec>,
    /// Which interface carries a network, when not the primary one: `{storage: enp2s0}`.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub attach: BTreeMap<String, IfName>,
    /// Also run DHCPv4 on the primary interface.
    #[serde(default)]
    pub dhcp: bool,
    /// More addresses (`ADDRESS/PREFIX`) on an interface (default: the primary).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub extra_addresses: Vec<ExtraAddress>,
    /// Static routes.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub routes: Vec<RouteSpec>,
}

/// A physical NIC.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct Nic {
    /// Interface name.
    pub name: IfName,
    /// Permanent MAC address (pins the name).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mac: Option<MacAddr>,
}

/// A bond.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct BondSpec {
    /// Bond interface name.
    #[serde(default = "default_bond_name")]
    pub name: IfName,
    /// Member NIC names.
    pub members: Vec<IfName>,
    /// Bonding mode.
    #[serde(default)]
    pub mode: BondMode,
    /// LACP rate (802.3ad only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lacp_rate: Option<LacpRate>,
    /// Transmit hash policy (802.3ad, balance-xor, balance-tlb).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub transmit_hash_policy: Option<TransmitHashPolicy>,
    /// MII link monitoring interval in milliseconds.
    #[serde(default = "default_miimon")]
    pub miimon: u32,
    /// Primary member (active-backup).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub primary: Option<IfName>,
}

fn default_bond_name() -> IfName {
    IfName::bond0()
}
fn default_miimon() -> u32 {
    100
}

/// A VLAN.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct VlanSpec {
    /// VLAN id, 1–4094.
    pub id: u16,
    /// Parent link (default: the primary interface).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub link: Option<IfName>,
    /// The named network carried on this VLAN.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub network: Option<String>,
    /// Interface name (default `LINK.ID`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<IfName>,
}

/// An extra address.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct ExtraAddress {
    /// `ADDRESS/PREFIX`.
    #[schemars(with = "String")]
    pub address: IpNet,
    /// Interface (default: the primary).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub interface: Option<IfName>,
}

/// A static route.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct RouteSpec {
    /// Destination network (`0.0.0.0/0` for a default route).
    pub to: Cidr,
    /// Next hop.
    pub via: IpAddr,
    /// Route metric.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub metric: Option<u32>,
    /// Interface (default: the one whose network contains `via`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub interface: Option<IfName>,
}

/// The system disk.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct DiskIntent {
    /// Device path; prefer `/dev/disk/by-id/…` (default from the hardware profile).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub device: Option<String>,
    /// Disk size (needed for an exact plan; a probe fills it in).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub size: Option<ByteSize>,
    /// Layout (default: `standard`, or `sdcard` on Raspberry Pi).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub layout: Option<DiskLayout>,
    /// /tmp as a partition or tmpfs.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tmp: Option<TmpMode>,
    /// Swap: `auto` (from memory), `none`, or a size.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub swap: Option<SwapSpec>,
    /// LUKS key source (layout `luks`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub encryption: Option<Encryption>,
    /// Smallest acceptable Longhorn partition on the system disk (default 10GiB).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub longhorn_min_size: Option<ByteSize>,
}

/// A disk given whole to Longhorn.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct LonghornDisk {
    /// Device path.
    pub device: String,
    /// Disk size.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub size: Option<ByteSize>,
}

/// How to reach a node over SSH.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct SshTarget {
    /// Host name or address (default: the cluster address).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub host: Option<String>,
    /// User (default `root`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user: Option<String>,
    /// Port (default 22).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub port: Option<u16>,
}

/// Per-node k3s settings.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct NodeK3s {
    /// `--node-external-ip`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub node_external_ip: Option<IpAddr>,
    /// Extra flags for this node.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub extra_flags: Vec<String>,
}
