//! `Facts`: what a live machine reported over SSH (`n3x-inventory probe`). The type
//! only; gathering lives in n3x-inventory, merging in [`crate::normalize`].

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::units::{MacAddr, NodeName};

/// Facts about one machine.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct Facts {
    /// Always `n3x.dev/v1alpha1`.
    pub api_version: String,
    /// Always `Facts`.
    pub kind: String,
    /// The inventory node these facts belong to.
    pub node: NodeName,
    /// The host name the machine reported.
    pub hostname: String,
    /// `uname -m`: `x86_64` or `aarch64`.
    pub arch: String,
    /// Memory in bytes (MemTotal).
    pub memory: u64,
    /// Block devices (disks only, from `lsblk -J -b`).
    #[serde(default)]
    pub disks: Vec<FactDisk>,
    /// Network interfaces (from `ip -j link`).
    #[serde(default)]
    pub nics: Vec<FactNic>,
    /// SSH host public keys.
    #[serde(default)]
    pub host_keys: Vec<String>,
}

/// A disk.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct FactDisk {
    /// Kernel name, e.g. `nvme0n1`.
    pub name: String,
    /// `/dev/…` path.
    pub path: String,
    /// Stable `/dev/disk/by-id/…` paths.
    #[serde(default)]
    pub by_id: Vec<String>,
    /// Size in bytes.
    pub size: u64,
    /// Model, if reported.
    #[serde(default)]
    pub model: Option<String>,
    /// Serial, if reported.
    #[serde(default)]
    pub serial: Option<String>,
    /// Rotational.
    #[serde(default)]
    pub rotational: bool,
    /// Removable.
    #[serde(default)]
    pub removable: bool,
}

/// A network interface.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct FactNic {
    /// Interface name.
    pub name: String,
    /// Permanent MAC.
    #[serde(default)]
    pub mac: Option<MacAddr>,
    /// Operational state (`UP`, `DOWN`).
    #[serde(default)]
    pub state: Option<String>,
    /// Addresses with prefix.
    #[serde(default)]
    pub addresses: Vec<String>,
}
