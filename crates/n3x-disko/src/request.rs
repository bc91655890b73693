//! What one node asks of its disks: the common input of the planner, built either from
//! a `Cluster` node or from a `DiskSpec` document.
//!
//! This module checks what can be checked before any arithmetic (device paths, the
//! layout against the boot method, the LUKS key source, the Longhorn path) and names
//! the field of the input document that is wrong. It does no sizing.

use n3x_core::cluster::{Cluster, Node};
use n3x_core::diskplan::DiskSpec;
use n3x_core::model::{Boot, DiskLayout, Encryption, SwapSpec, TmpMode};
use n3x_core::units::NodeName;
use n3x_core::{Diagnostic, Diagnostics};

/// Default Longhorn data path.
pub const LONGHORN_PATH: &str = "/var/lib/longhorn";
/// Mount points the layouts use for system filesystems.
pub const SYSTEM_MOUNTS: [&str; 6] = ["/", "/boot", "/boot/firmware", "/nix", "/var", "/tmp"];
/// Default smallest Longhorn space.
pub const LONGHORN_MIN: u64 = 10 << 30;

/// Where Longhorn keeps its data.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LonghornPlace {
    /// The node carries no Longhorn storage.
    None,
    /// The rest of the system disk, at least `min` bytes.
    SystemDisk {
        /// Smallest acceptable size.
        min: u64,
    },
    /// A second disk given whole to Longhorn.
    Device {
        /// Device path.
        device: String,
        /// Size in bytes.
        size: u64,
        /// Smallest acceptable size.
        min: u64,
    },
}

/// One node's disk request.
#[derive(Debug, Clone, PartialEq)]
pub struct DiskRequest {
    /// Node name.
    pub name: NodeName,
    /// Field path of the disk settings in the input (`nodes[2].disk`, or `` for a DiskSpec).
    pub path: String,
    /// Field path of the Longhorn disk in the input.
    pub longhorn_path_field: String,
    /// System disk device.
    pub device: String,
    /// System disk size, bytes.
    pub size: u64,
    /// Memory, bytes.
    pub memory: Option<u64>,
    /// Layout.
    pub layout: DiskLayout,
    /// Boot method.
    pub boot: Boot,
    /// /tmp mode.
    pub tmp: TmpMode,
    /// Swap request.
    pub swap: SwapSpec,
    /// LUKS key source.
    pub encryption: Option<Encryption>,
    /// Longhorn placement.
    pub longhorn: LonghornPlace,
    /// Longhorn data path.
    pub longhorn_mount: String,
}

fn join(base: &str, field: &str) -> String {
    if base.is_empty() {
        field.to_string()
    } else {
        format!("{base}.{field}")
    }
}

/// Builds the request of node `index` of a cluster. Errors name `nodes[i].disk.*`.
pub fn from_node(cluster: &Cluster, index: usize, node: &Node) -> Result<(DiskRequest, Diagnostics), Diagnostics> {
    let path = format!("nodes[{index}].disk");
    let lh_field = format!("nodes[{index}].longhornDisk");
    let mut diags = Diagnostics::new();
    let size = match node.disk.size {
        Some(s) => s,
        None => {
            diags.push(
                Diagnostic::error(join(&path, "size"), "disk size is unknown; an exact plan needs it")
                    .with_help("add disk.size (e.g. 512GB) to the node, or probe the node so facts supply it"),
            );
            0
        }
    };
    let longhorn = if !node.longhorn {
        LonghornPlace::None
    } else if let Some(ld) = &node.longhorn_disk {
        match ld.size {
            Some(s) => LonghornPlace::Device { device: ld.device.clone(), size: s, min: node.disk.longhorn_min_size },
            None => {
                diags.push(
                    Diagnostic::error(join(&lh_field, "size"), "Longhorn disk size is unknown; an exact plan needs it")
                        .with_help("add longhornDisk.size (e.g. 1TB), or probe the node so facts supply it"),
                );
                LonghornPlace::None
            }
        }
    } else {
        LonghornPlace::SystemDisk { min: node.disk.longhorn_min_size }
    };
    let mount = cluster.addons.longhorn.data_path.clone().unwrap_or_else(|| LONGHORN_PATH.to_string());
    let req = DiskRequest {
        name: node.name.clone(),
        path,
        longhorn_path_field: lh_field,
        device: node.disk.device.clone(),
        size,
        memory: node.memory,
        layout: node.disk.layout,
        boot: node.boot,
        tmp: node.disk.tmp,
        swap: node.disk.swap,
        encryption: node.disk.encryption.clone(),
        longhorn,
        longhorn_mount: mount,
    };
    finish(req, diags, "addons.longhorn.dataPath")
}

/// Builds the request of a `DiskSpec` document. Errors name its top-level fields.
pub fn from_spec(spec: &DiskSpec) -> Result<(DiskRequest, Diagnostics), Diagnostics> {
    let mut diags = Diagnostics::new();
    let min = spec.longhorn_min_size.map(|s| s.0).unwrap_or(LONGHORN_MIN);
    let longhorn = match (&spec.longhorn_device, spec.longhorn_device_size) {
        _ if !spec.longhorn => LonghornPlace::None,
        (Some(d), Some(s)) => LonghornPlace::Device { device: d.clone(), size: s.0, min },
        (Some(_), None) => {
            diags.push(
                Diagnostic::error("longhornDeviceSize", "longhornDevice is set but its size is not")
                    .with_help("add longhornDeviceSize (e.g. 1TB)"),
            );
            LonghornPlace::None
        }
        (None, Some(_)) => {
            diags.push(
                Diagnostic::error("longhornDevice", "longhornDeviceSize is set but longhornDevice is not")
                    .with_help("add longhornDevice (a /dev/disk/by-id/… path), or remove longhornDeviceSize"),
            );
            LonghornPlace::None
        }
        (None, None) => LonghornPlace::SystemDisk { min },
    };
    if !spec.longhorn && spec.longhorn_device.is_some() {
        diags.push(
            Diagnostic::warning("longhornDevice", "longhornDevice is ignored because longhorn is false")
                .with_help("remove longhornDevice, or set longhorn: true to give Longhorn that disk"),
        );
    }
    let boot = spec.boot.unwrap_or(match spec.layout {
        DiskLayout::Sdcard => Boot::RpiFirmware,
        _ => Boot::Efi,
    });
    let req = DiskRequest {
        name: spec.name.clone(),
        path: String::new(),
        longhorn_path_field: "longhornDevice".into(),
        device: spec.device.clone(),
        size: spec.size.0,
        memory: spec.memory.map(|m| m.0),
        layout: spec.layout,
        boot,
        tmp: spec.tmp,
        swap: spec.swap,
        encryption: spec.encryption.clone(),
        longhorn,
        longhorn_mount: spec.longhorn_path.clone().unwrap_or_else(|| LONGHORN_PATH.to_string()),
    };
    finish(req, diags, "longhornPath")
}

/// Checks common to both sources.
fn finish(
    req: DiskRequest,
    mut diags: Diagnostics,
    mount_field: &str,
) -> Result<(DiskRequest, Diagnostics), Diagnostics> {
    let device_field = join(&req.path, "device");
    check_device(&mut diags, &device_field, &req.device, "system disk");
    if let LonghornPlace::Device { device, .. } = &req.longhorn {
        let field = if req.path.is_empty() {
            req.longhorn_path_field.clone()
        } else {
            join(&req.longhorn_path_field, "device")
        };
        check_device(&mut diags, &field, device, "Longhorn disk");
        if *device == req.device {
            diags.push(Diagnostic::error(field, format!("the Longhorn disk {device} is the system disk")).with_help(
                "give Longhorn a second disk, or drop the Longhorn disk to keep Longhorn on the system disk",
            ));
        }
    }
    let layout_field = join(&req.path, "layout");
    match (req.boot, req.layout) {
        (Boot::Efi, DiskLayout::Sdcard) => diags.push(
            Diagnostic::error(
                layout_field,
                "layout sdcard has no EFI system partition, but this machine boots with EFI (missing ESP)",
            )
            .with_help("use layout standard, btrfs or luks on EFI machines; sdcard is for Raspberry Pi firmware boot"),
        ),
        (Boot::RpiFirmware, l) if l != DiskLayout::Sdcard => diags.push(
            Diagnostic::error(
                layout_field,
                format!(
                    "layout {} puts an EFI system partition on a Raspberry Pi, which boots from a firmware partition",
                    l.as_str()
                ),
            )
            .with_help("use layout sdcard on Raspberry Pi hardware"),
        ),
        _ => {}
    }
    let enc_field = join(&req.path, "encryption");
    match (&req.encryption, req.layout) {
        (None, DiskLayout::Luks) => {
            diags.push(Diagnostic::error(enc_field, "layout luks needs a key source").with_help(
                "add encryption: {passwordFile: /tmp/disk.pass} or {keyFile: /tmp/disk.key} (a path, never the key)",
            ))
        }
        (Some(e), DiskLayout::Luks) => check_encryption(&mut diags, &enc_field, e),
        (Some(_), l) => diags.push(
            Diagnostic::warning(enc_field, format!("encryption is ignored by layout {}", l.as_str()))
                .with_help("use layout luks to encrypt the system filesystems, or remove encryption"),
        ),
        (None, _) => {}
    }
    if req.longhorn != LonghornPlace::None {
        let m = &req.longhorn_mount;
        if !m.starts_with('/') || m.len() < 2 || m.ends_with('/') || m.contains("//") || m.contains(char::is_whitespace)
        {
            diags.push(
                Diagnostic::error(mount_field, format!("Longhorn data path \"{m}\" is not an absolute path"))
                    .with_help(format!("use an absolute path such as {LONGHORN_PATH}")),
            );
        } else if SYSTEM_MOUNTS.contains(&m.as_str()) {
            diags.push(
                Diagnostic::error(
                    mount_field,
                    format!("duplicate mount point {m}: the layout mounts a system filesystem there and Longhorn's data path is the same"),
                )
                .with_help(format!("give Longhorn its own directory, such as {LONGHORN_PATH}")),
            );
        }
    }
    if let SwapSpec::Size(s) = req.swap {
        if s.0 == 0 {
            diags.push(
                Diagnostic::error(join(&req.path, "swap"), "swap size is 0")
                    .with_help("write swap: none to have no swap"),
            );
        }
    }
    match diags.into_result() {
        Ok(w) => Ok((req, w)),
        Err(e) => Err(e),
    }
}

fn check_encryption(diags: &mut Diagnostics, field: &str, e: &Encryption) {
    let paths: Vec<(&str, &String)> = [("keyFile", &e.key_file), ("passwordFile", &e.password_file)]
        .into_iter()
        .filter_map(|(n, p)| p.as_ref().map(|p| (n, p)))
        .collect();
    match paths.len() {
        0 => diags.push(
            Diagnostic::error(field, "encryption names no key source")
                .with_help("set exactly one of keyFile or passwordFile (a path available at install time)"),
        ),
        1 => {}
        _ => diags.push(
            Diagnostic::error(field, "encryption sets both keyFile and passwordFile")
                .with_help("set exactly one of keyFile or passwordFile"),
        ),
    }
    for (name, p) in paths {
        let f = join(field, name);
        if !p.starts_with('/') {
            diags.push(
                Diagnostic::error(f, format!("{name} \"{p}\" is not an absolute path"))
                    .with_help("use an absolute path such as /tmp/disk.key; the key itself never goes into Nix"),
            );
        } else if p.starts_with("/nix/store") {
            diags.push(
                Diagnostic::error(f, format!("{name} \"{p}\" is in the Nix store, which every user can read"))
                    .with_help("keep the key outside the store, e.g. /tmp/disk.key copied in at install time"),
            );
        }
    }
}

/// Warns about device names the kernel may hand out in a different order.
fn check_device(diags: &mut Diagnostics, field: &str, device: &str, what: &str) {
    if device.is_empty() {
        diags.push(
            Diagnostic::error(field, format!("the {what} device is missing"))
                .with_help("add device: /dev/disk/by-id/… (see `ls -l /dev/disk/by-id` on the machine)"),
        );
        return;
    }
    if !device.starts_with("/dev/") || device.contains(char::is_whitespace) || device.ends_with('/') {
        diags.push(
            Diagnostic::error(field, format!("the {what} device \"{device}\" is not a /dev path"))
                .with_help("use a stable path such as /dev/disk/by-id/nvme-…"),
        );
        return;
    }
    if let Some(kind) = unstable_name(device) {
        diags.push(
            Diagnostic::warning(
                field,
                format!(
                    "{device} is a {kind} name: the kernel numbers disks in the order it finds them, so after adding a disk or a USB stick it can name another disk, and disko would wipe that one"
                ),
            )
            .with_help("use the disk's /dev/disk/by-id/… path (`ls -l /dev/disk/by-id` on the machine, or probe it with n3x-inventory)"),
        );
    }
}

/// `Some(kind)` when a device path is a kernel enumeration name.
fn unstable_name(device: &str) -> Option<&'static str> {
    let name = device.strip_prefix("/dev/")?;
    let letters_after = |prefix: &str| {
        name.strip_prefix(prefix).is_some_and(|r| !r.is_empty() && r.chars().all(|c| c.is_ascii_lowercase()))
    };
    if letters_after("sd") {
        return Some("bare /dev/sdX");
    }
    if letters_after("vd") || letters_after("hd") || letters_after("xvd") {
        return Some("bare virtual-disk");
    }
    if let Some(rest) = name.strip_prefix("nvme") {
        if let Some((ctrl, ns)) = rest.split_once('n') {
            let digits = |s: &str| !s.is_empty() && s.chars().all(|c| c.is_ascii_digit());
            if digits(ctrl) && digits(ns) {
                return Some("bare /dev/nvmeXnY");
            }
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unstable_names() {
        assert_eq!(unstable_name("/dev/sda"), Some("bare /dev/sdX"));
        assert_eq!(unstable_name("/dev/nvme0n1"), Some("bare /dev/nvmeXnY"));
        assert_eq!(unstable_name("/dev/vdb"), Some("bare virtual-disk"));
        assert_eq!(unstable_name("/dev/disk/by-id/nvme-Samsung_1"), None);
        assert_eq!(unstable_name("/dev/mmcblk0"), None);
        assert_eq!(unstable_name("/dev/sda1x"), None);
    }
}
