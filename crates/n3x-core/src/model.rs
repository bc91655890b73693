//! Small closed vocabularies shared by `Inventory` and `Cluster`: roles, hardware
//! profiles, CNI choices, bond modes, disk layouts. Serde names are the spellings
//! users write; an unknown spelling is an error that lists the valid ones.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// k3s role.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum Role {
    /// Runs the control plane (and etcd).
    Server,
    /// Runs workloads only.
    Agent,
}

impl Role {
    /// The spelling in documents.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Server => "server",
            Role::Agent => "agent",
        }
    }
}

/// The NixOS release a cluster's flake pins (`cluster.nixpkgs`). Chosen in the inventory,
/// never derived from `system.stateVersion` (which records the release the machines were
/// first installed with and is never bumped to upgrade). Only releases the option
/// reference (`reference/nixos-options.json`) describes are accepted: every option n3x
/// sets must exist in the pinned release. 25.05 and 25.11 are end of life and lack
/// options n3x sets (`services.k3s.nodeExternalIP` is new in 26.05), so they are refused.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, JsonSchema)]
pub enum NixosRelease {
    /// NixOS 26.05 (the newest stable release, the default).
    #[default]
    #[serde(rename = "nixos-26.05")]
    Nixos2605,
}

impl NixosRelease {
    /// Every release n3x supports, oldest first.
    pub const ALL: &'static [NixosRelease] = &[NixosRelease::Nixos2605];

    /// The nixpkgs branch name (`nixos-26.05`), as the flake's nixpkgs URL spells it.
    pub fn branch(self) -> &'static str {
        match self {
            NixosRelease::Nixos2605 => "nixos-26.05",
        }
    }

    /// The release number (`26.05`), as the option reference's `addedIn`/`removedIn` spell it.
    pub fn version(self) -> &'static str {
        match self {
            NixosRelease::Nixos2605 => "26.05",
        }
    }
}

/// How a machine boots.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum Boot {
    /// UEFI with an EFI system partition.
    Efi,
    /// Raspberry Pi firmware partition (no ESP).
    RpiFirmware,
}

/// Hardware profile.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum Hardware {
    /// Intel N100 mini PC (two NICs).
    N100,
    /// Any x86_64 UEFI machine.
    #[default]
    #[serde(rename = "generic-x86_64")]
    GenericX86_64,
    /// NVIDIA Jetson Orin Nano.
    JetsonOrinNano,
    /// Raspberry Pi 4.
    Rpi4,
    /// Raspberry Pi 5.
    Rpi5,
    /// Any aarch64 UEFI machine.
    GenericAarch64,
}

impl Hardware {
    /// Every profile, in documentation order.
    pub const ALL: [Hardware; 6] = [
        Hardware::N100,
        Hardware::GenericX86_64,
        Hardware::JetsonOrinNano,
        Hardware::Rpi4,
        Hardware::Rpi5,
        Hardware::GenericAarch64,
    ];
    /// The spelling in documents.
    pub fn as_str(self) -> &'static str {
        match self {
            Hardware::N100 => "n100",
            Hardware::GenericX86_64 => "generic-x86_64",
            Hardware::JetsonOrinNano => "jetson-orin-nano",
            Hardware::Rpi4 => "rpi4",
            Hardware::Rpi5 => "rpi5",
            Hardware::GenericAarch64 => "generic-aarch64",
        }
    }
    /// The Nix system double.
    pub fn system(self) -> &'static str {
        match self {
            Hardware::N100 | Hardware::GenericX86_64 => "x86_64-linux",
            _ => "aarch64-linux",
        }
    }
    /// How it boots.
    pub fn boot(self) -> Boot {
        match self {
            Hardware::Rpi4 | Hardware::Rpi5 => Boot::RpiFirmware,
            _ => Boot::Efi,
        }
    }
    /// The usual first NIC name under NixOS's predictable names.
    pub fn default_interface(self) -> &'static str {
        match self {
            Hardware::N100 | Hardware::GenericX86_64 => "enp1s0",
            Hardware::JetsonOrinNano => "enP8p1s0",
            Hardware::Rpi4 | Hardware::Rpi5 => "end0",
            Hardware::GenericAarch64 => "eth0",
        }
    }
    /// The usual system disk.
    pub fn default_disk(self) -> &'static str {
        match self {
            Hardware::Rpi4 | Hardware::Rpi5 => "/dev/mmcblk0",
            _ => "/dev/nvme0n1",
        }
    }
    /// The default disk layout.
    pub fn default_layout(self) -> DiskLayout {
        match self.boot() {
            Boot::RpiFirmware => DiskLayout::Sdcard,
            Boot::Efi => DiskLayout::Standard,
        }
    }
    /// Whether the profile has an NVIDIA GPU.
    pub fn has_gpu(self) -> bool {
        self == Hardware::JetsonOrinNano
    }
}

/// CNI choice.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum Cni {
    /// k3s's built-in flannel.
    #[default]
    Flannel,
    /// Cilium (flannel and network policy disabled in k3s).
    Cilium,
    /// No CNI from k3s; bring your own.
    None,
}

/// Flannel backend.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum FlannelBackend {
    /// VXLAN (UDP 8472).
    #[default]
    Vxlan,
    /// WireGuard (UDP 51820/51821).
    WireguardNative,
    /// Host gateway routes (same L2 only).
    HostGw,
    /// No backend.
    None,
}

/// Packaged k3s components that can be disabled.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum K3sComponent {
    /// Traefik ingress.
    Traefik,
    /// ServiceLB (klipper-lb).
    Servicelb,
    /// local-path provisioner.
    LocalStorage,
    /// metrics-server.
    MetricsServer,
    /// CoreDNS.
    Coredns,
}

impl K3sComponent {
    /// The spelling k3s uses in `--disable`.
    pub fn as_str(self) -> &'static str {
        match self {
            K3sComponent::Traefik => "traefik",
            K3sComponent::Servicelb => "servicelb",
            K3sComponent::LocalStorage => "local-storage",
            K3sComponent::MetricsServer => "metrics-server",
            K3sComponent::Coredns => "coredns",
        }
    }
}

/// Linux bonding mode.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum BondMode {
    /// Round robin.
    BalanceRr,
    /// One active member.
    ActiveBackup,
    /// XOR hash.
    BalanceXor,
    /// Transmit on all members.
    Broadcast,
    /// LACP; the switch must be configured for it.
    #[serde(rename = "802.3ad")]
    Lacp,
    /// Adaptive transmit load balancing.
    BalanceTlb,
    /// Adaptive load balancing (needs no switch support).
    #[default]
    BalanceAlb,
}

impl BondMode {
    /// The kernel/networkd spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            BondMode::BalanceRr => "balance-rr",
            BondMode::ActiveBackup => "active-backup",
            BondMode::BalanceXor => "balance-xor",
            BondMode::Broadcast => "broadcast",
            BondMode::Lacp => "802.3ad",
            BondMode::BalanceTlb => "balance-tlb",
            BondMode::BalanceAlb => "balance-alb",
        }
    }
}

/// LACP rate.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum LacpRate {
    /// Every 30 s.
    Slow,
    /// Every second.
    Fast,
}

/// Bond transmit hash policy.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub enum TransmitHashPolicy {
    /// MAC addresses.
    #[serde(rename = "layer2")]
    Layer2,
    /// IP addresses and ports.
    #[serde(rename = "layer3+4")]
    Layer34,
    /// MAC and IP addresses.
    #[serde(rename = "layer2+3")]
    Layer23,
    /// Encapsulated, layer 2+3.
    #[serde(rename = "encap2+3")]
    Encap23,
    /// Encapsulated, layer 3+4.
    #[serde(rename = "encap3+4")]
    Encap34,
}

impl TransmitHashPolicy {
    /// The kernel/networkd spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            TransmitHashPolicy::Layer2 => "layer2",
            TransmitHashPolicy::Layer34 => "layer3+4",
            TransmitHashPolicy::Layer23 => "layer2+3",
            TransmitHashPolicy::Encap23 => "encap2+3",
            TransmitHashPolicy::Encap34 => "encap3+4",
        }
    }
}

/// Disk layout.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum DiskLayout {
    /// The edge layout: ESP, /, /nix, /var, /tmp, swap, Longhorn.
    Standard,
    /// ESP, swap, one btrfs with subvolumes.
    Btrfs,
    /// ESP plus LUKS2 holding the system filesystems.
    Luks,
    /// Raspberry Pi firmware partition and ext4 root.
    Sdcard,
}

impl DiskLayout {
    /// The spelling in documents.
    pub fn as_str(self) -> &'static str {
        match self {
            DiskLayout::Standard => "standard",
            DiskLayout::Btrfs => "btrfs",
            DiskLayout::Luks => "luks",
            DiskLayout::Sdcard => "sdcard",
        }
    }
}

/// Where /tmp lives.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum TmpMode {
    /// A 4 GiB ext4 partition.
    #[default]
    Partition,
    /// tmpfs in memory.
    Tmpfs,
}

/// Swap size: `auto` (from memory), `none`, or a size.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum SwapSpec {
    /// Sized from memory by the layout's rule.
    #[default]
    Auto,
    /// No swap.
    None,
    /// This size.
    Size(crate::units::ByteSize),
}

impl Serialize for SwapSpec {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            SwapSpec::Auto => s.serialize_str("auto"),
            SwapSpec::None => s.serialize_str("none"),
            SwapSpec::Size(b) => s.serialize_u64(b.0),
        }
    }
}

impl<'de> Deserialize<'de> for SwapSpec {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let v = serde_json::Value::deserialize(d)?;
        match &v {
            serde_json::Value::String(s) if s == "auto" => Ok(SwapSpec::Auto),
            serde_json::Value::String(s) if s == "none" => Ok(SwapSpec::None),
            _ => crate::units::ByteSize::deserialize(v)
                .map(SwapSpec::Size)
                .map_err(|e| serde::de::Error::custom(format!("swap must be \"auto\", \"none\" or a size: {e}"))),
        }
    }
}

impl JsonSchema for SwapSpec {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "SwapSpec".into()
    }
    fn json_schema(g: &mut schemars::SchemaGenerator) -> schemars::Schema {
        let size = g.subschema_for::<crate::units::ByteSize>();
        schemars::json_schema!({
            "description": "Swap size: auto (from memory), none, or a size.",
            "anyOf": [{"enum": ["auto", "none"]}, size]
        })
    }
}

/// Where a LUKS key comes from. Only paths: a key is never inlined into Nix.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct Encryption {
    /// A key file available at install time (e.g. `/tmp/disk.key`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub key_file: Option<String>,
    /// A file holding the passphrase at install time.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub password_file: Option<String>,
}

/// Kind of the Longhorn PATH policy.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub enum PolicyKind {
    /// `policies.kyverno.io/v1` MutatingPolicy (Kyverno ≥ 1.15; the default).
    #[default]
    MutatingPolicy,
    /// `kyverno.io/v1` ClusterPolicy (deprecated in Kyverno 1.17; for older clusters).
    ClusterPolicy,
}

/// MetalLB advertisement mode.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum MetallbMode {
    /// Layer 2 (ARP/NDP); needs 7946 tcp+udp between nodes.
    #[default]
    L2,
    /// BGP.
    Bgp,
}
