//! `DiskSpec` and `DiskPlan`: the documents of n3x-disko.
//!
//! A `DiskSpec` is one disk request written by a person or a script, for use without an
//! inventory. A `DiskPlan` is what `n3x-disko plan` computes and `n3x-disko render`
//! reads: per node, every partition with its exact byte offset and size, its
//! filesystem, mount point and options, and the space left free. This module owns
//! the wire shapes only; planning and rendering live in the n3x-disko crate.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::model::{Boot, DiskLayout, Encryption, SwapSpec, TmpMode};
use crate::units::{ByteSize, NodeName};

/// One disk request without an inventory (`kind: DiskSpec`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
#[schemars(title = "n3x DiskSpec", description = "One disk layout request for n3x-disko, without an inventory.")]
pub struct DiskSpec {
    /// Always `n3x.dev/v1alpha1`.
    #[schemars(extend("const" = "n3x.dev/v1alpha1"))]
    pub api_version: String,
    /// Always `DiskSpec`.
    #[schemars(extend("const" = "DiskSpec"))]
    pub kind: String,
    /// Name of the machine (used for the output folder and the header).
    pub name: NodeName,
    /// The system disk; prefer a `/dev/disk/by-id/…` path.
    pub device: String,
    /// Size of the system disk (`512GB`, `476GiB`, bytes).
    pub size: ByteSize,
    /// Installed memory; sizes swap under `swap: auto`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub memory: Option<ByteSize>,
    /// Layout (default `standard`).
    #[serde(default = "default_layout")]
    pub layout: DiskLayout,
    /// How the machine boots (default: `rpi-firmware` for `sdcard`, else `efi`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub boot: Option<Boot>,
    /// `/tmp` as a partition (default) or tmpfs.
    #[serde(default)]
    pub tmp: TmpMode,
    /// Swap: `auto` (from memory; the default), `none`, or a size.
    #[serde(default)]
    pub swap: SwapSpec,
    /// Whether the machine carries Longhorn storage (default true).
    #[serde(default = "default_true")]
    pub longhorn: bool,
    /// A second disk given whole to Longhorn.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub longhorn_device: Option<String>,
    /// Size of `longhornDevice` (required with it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub longhorn_device_size: Option<ByteSize>,
    /// Smallest acceptable Longhorn space (default 10GiB).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub longhorn_min_size: Option<ByteSize>,
    /// Where Longhorn keeps its data (default `/var/lib/longhorn`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub longhorn_path: Option<String>,
    /// LUKS key source (layout `luks`): exactly one of `keyFile` or `passwordFile`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub encryption: Option<Encryption>,
}

fn default_layout() -> DiskLayout {
    DiskLayout::Standard
}

fn default_true() -> bool {
    true
}

/// The partition plans of one or more nodes (`kind: DiskPlan`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
#[schemars(title = "n3x DiskPlan", description = "Exact partition plans computed by `n3x-disko plan`.")]
pub struct DiskPlan {
    /// Always `n3x.dev/v1alpha1`.
    #[schemars(extend("const" = "n3x.dev/v1alpha1"))]
    pub api_version: String,
    /// Always `DiskPlan`.
    #[schemars(extend("const" = "DiskPlan"))]
    pub kind: String,
    /// One plan per node, in inventory order.
    pub nodes: Vec<NodeDiskPlan>,
}

/// The disks of one node.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct NodeDiskPlan {
    /// Node name.
    pub node: NodeName,
    /// Layout the plan follows.
    pub layout: DiskLayout,
    /// Boot method (decides ESP versus Raspberry Pi firmware partition).
    pub boot: Boot,
    /// Memory in bytes, when known (it sized swap).
    pub memory: Option<u64>,
    /// The disks: the system disk first (`main`), then a Longhorn disk if any.
    pub disks: Vec<PlannedDisk>,
    /// Filesystems without a device (tmpfs).
    pub nodev: Vec<NodevMount>,
    /// Partitions made smaller than their target so that everything fits, in policy order.
    pub shrunk: Vec<Shrink>,
}

/// One disk and its GPT partitions.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct PlannedDisk {
    /// disko's name for the disk (`main`, `longhorn`).
    pub name: String,
    /// Device path.
    pub device: String,
    /// Disk size in bytes.
    pub size: u64,
    /// Partition table; always `gpt`.
    pub table: String,
    /// Logical sector size the plan assumes, bytes.
    pub sector_size: u64,
    /// Partition alignment, bytes (1 MiB).
    pub alignment: u64,
    /// Byte offset where the first partition starts (after the primary GPT, aligned).
    pub first_usable: u64,
    /// Byte offset where aligned usable space ends (before the backup GPT, aligned down).
    pub last_usable: u64,
    /// Partitions in plan order; partition numbers follow this order.
    pub partitions: Vec<PlannedPartition>,
    /// Bytes not in any partition (GPT structures and alignment).
    pub free: u64,
}

/// One partition.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct PlannedPartition {
    /// Partition number (1-based, plan order).
    pub number: u32,
    /// disko's name for the partition (the attribute under `partitions`).
    pub name: String,
    /// disko `priority`: set explicitly so that creation order is plan order.
    pub priority: i64,
    /// Start, byte offset from the beginning of the disk.
    pub start: u64,
    /// Size in bytes (a multiple of the alignment).
    pub size: u64,
    /// True for the partition that takes the rest of the disk (`size = "100%"`).
    pub fill: bool,
    /// GPT type code (`EF00`, `8300`, `8200`, `8309`, `0700`).
    pub type_code: String,
    /// What the partition holds.
    pub content: PartitionContent,
}

/// What a partition holds.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(tag = "type", rename_all = "camelCase", deny_unknown_fields)]
pub enum PartitionContent {
    /// A filesystem.
    Filesystem(Filesystem),
    /// Swap.
    #[serde(rename_all = "camelCase")]
    Swap {
        /// Encrypt with a fresh random key on every boot.
        random_encryption: bool,
    },
    /// One btrfs filesystem with subvolumes.
    #[serde(rename_all = "camelCase")]
    Btrfs {
        /// Subvolumes.
        subvolumes: Vec<Subvolume>,
    },
    /// A LUKS2 container holding an LVM volume group.
    #[serde(rename_all = "camelCase")]
    Luks {
        /// Name of the opened device (`/dev/mapper/NAME`).
        name: String,
        /// Key file path at install time.
        key_file: Option<String>,
        /// Passphrase file path at install time.
        password_file: Option<String>,
        /// LUKS2 header size, bytes (the data offset).
        header: u64,
        /// Volume group name.
        volume_group: String,
        /// LVM metadata before the first extent, bytes.
        lvm_metadata: u64,
        /// LVM extent size, bytes.
        extent_size: u64,
        /// Logical volumes in plan order.
        volumes: Vec<LogicalVolume>,
    },
}

/// A filesystem on a partition or logical volume.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct Filesystem {
    /// mkfs format (`ext4`, `vfat`).
    pub format: String,
    /// Mount point.
    pub mountpoint: String,
    /// Mount options.
    pub mount_options: Vec<String>,
}

/// A btrfs subvolume.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct Subvolume {
    /// Subvolume name (`@root`).
    pub name: String,
    /// Mount point.
    pub mountpoint: String,
    /// Mount options.
    pub mount_options: Vec<String>,
    /// Copy-on-write switched off for new files (`chattr +C` through tmpfiles).
    pub nocow: bool,
}

/// An LVM logical volume.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct LogicalVolume {
    /// Volume name.
    pub name: String,
    /// Size in bytes (a multiple of the extent size).
    pub size: u64,
    /// True for the volume that takes the remaining extents (`100%FREE`).
    pub fill: bool,
    /// Its filesystem.
    pub filesystem: Filesystem,
}

/// A filesystem without a device.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct NodevMount {
    /// Mount point.
    pub mountpoint: String,
    /// Filesystem type (`tmpfs`).
    pub fs_type: String,
    /// Mount options.
    pub mount_options: Vec<String>,
}

/// One step of the shrink policy that was applied.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct Shrink {
    /// What was shrunk (a mount point, `swap` or `ESP`).
    pub what: String,
    /// Target size, bytes.
    pub from: u64,
    /// Planned size, bytes.
    pub to: u64,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn content_is_tagged_and_strict() {
        let c: PartitionContent = serde_json::from_str(r#"{"type":"swap","randomEncryption":true}"#).unwrap();
        assert_eq!(c, PartitionContent::Swap { random_encryption: true });
        assert!(serde_json::from_str::<PartitionContent>(r#"{"type":"swap","randomEncryption":true,"x":1}"#).is_err());
        let f: PartitionContent =
            serde_json::from_str(r#"{"type":"filesystem","format":"ext4","mountpoint":"/","mountOptions":[]}"#)
                .unwrap();
        assert!(matches!(f, PartitionContent::Filesystem(_)));
        assert!(serde_json::from_str::<PartitionContent>(
            r#"{"type":"filesystem","format":"ext4","mountpoint":"/","mountOptions":[],"extra":1}"#
        )
        .is_err());
    }

    #[test]
    fn spec_defaults() {
        let s: DiskSpec = serde_json::from_str(
            r#"{"apiVersion":"n3x.dev/v1alpha1","kind":"DiskSpec","name":"n1","device":"/dev/vda","size":"64GB"}"#,
        )
        .unwrap();
        assert_eq!(s.layout, DiskLayout::Standard);
        assert_eq!(s.swap, SwapSpec::Auto);
        assert!(s.longhorn);
    }
}
