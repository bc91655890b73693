//! Checks of a [`NodeDiskPlan`] on its own: what `render` and `show` run on a DiskPlan
//! handed to them (which a person may have edited), and what the tests run on every
//! plan the planner makes. Geometry, numbering, mount points and the boot partition.

use std::collections::BTreeMap;

use n3x_core::diskplan::{NodeDiskPlan, PartitionContent};
use n3x_core::model::Boot;
use n3x_core::{Diagnostic, Diagnostics};

use crate::plan::{usable, ALIGN, LUKS2_HEADER, LVM_EXTENT, LVM_METADATA, SECTOR};
use crate::units::human;

fn is_abs(p: &str) -> bool {
    p.starts_with('/') && (p == "/" || !p.ends_with('/')) && !p.contains("//") && !p.contains(char::is_whitespace)
}

/// Every problem of one node's plan; `base` is its field path (`nodes[0]`).
pub fn check(plan: &NodeDiskPlan, base: &str) -> Diagnostics {
    let mut d = Diagnostics::new();
    let mut mounts: BTreeMap<String, String> = BTreeMap::new();
    let mut add_mount = |d: &mut Diagnostics, mp: &str, path: String| {
        if !is_abs(mp) {
            d.push(Diagnostic::error(path.clone(), format!("mount point \"{mp}\" is not an absolute path")));
        }
        if let Some(first) = mounts.get(mp) {
            d.push(
                Diagnostic::error(path, format!("duplicate mount point {mp} (also at {first})"))
                    .with_help("give every filesystem its own mount point"),
            );
        } else {
            mounts.insert(mp.to_string(), path);
        }
    };
    let mut names: BTreeMap<&str, usize> = BTreeMap::new();
    let mut esp = 0;
    let mut firmware = 0;
    for (di, disk) in plan.disks.iter().enumerate() {
        let dp = format!("{base}.disks[{di}]");
        if names.insert(disk.name.as_str(), di).is_some() {
            d.push(Diagnostic::error(format!("{dp}.name"), format!("duplicate disk name \"{}\"", disk.name)));
        }
        if !disk.device.starts_with("/dev/") {
            d.push(Diagnostic::error(format!("{dp}.device"), format!("device \"{}\" is not a /dev path", disk.device)));
        }
        if disk.table != "gpt" || disk.sector_size != SECTOR || disk.alignment != ALIGN {
            d.push(
                Diagnostic::error(dp.clone(), "only GPT with 512-byte sectors and 1 MiB alignment is supported")
                    .with_help("plan again with n3x-disko plan"),
            );
        }
        let (first, last) = usable(disk.size);
        if disk.first_usable != first || disk.last_usable != last {
            d.push(
                Diagnostic::error(
                    format!("{dp}.lastUsable"),
                    format!(
                        "usable range {}..{} does not match a {}-byte disk ({first}..{last})",
                        disk.first_usable, disk.last_usable, disk.size
                    ),
                )
                .with_help("plan again with n3x-disko plan"),
            );
        }
        if disk.partitions.is_empty() {
            d.push(Diagnostic::error(format!("{dp}.partitions"), "a disk without partitions"));
        }
        let mut at = first;
        let mut prio = i64::MIN;
        let count = disk.partitions.len();
        for (pi, p) in disk.partitions.iter().enumerate() {
            let pp = format!("{dp}.partitions[{pi}]");
            if usize::try_from(p.number).ok() != Some(pi + 1) {
                d.push(Diagnostic::error(
                    format!("{pp}.number"),
                    format!("partition number {} out of plan order (expected {})", p.number, pi + 1),
                ));
            }
            if p.priority <= prio {
                d.push(
                    Diagnostic::error(format!("{pp}.priority"), "priorities must increase in plan order")
                        .with_help("disko creates partitions by priority, so numbers would not follow the plan"),
                );
            }
            prio = p.priority;
            if p.start != at {
                d.push(Diagnostic::error(
                    format!("{pp}.start"),
                    format!("starts at {} but the previous partition ends at {at}", p.start),
                ));
            }
            if p.size == 0 || p.size % ALIGN != 0 {
                d.push(Diagnostic::error(
                    format!("{pp}.size"),
                    format!("size {} is not a positive whole number of MiB", p.size),
                ));
            }
            if p.fill && pi + 1 != count {
                d.push(Diagnostic::error(
                    format!("{pp}.fill"),
                    "only the last partition can take the rest of the disk",
                ));
            }
            at = p.start.saturating_add(p.size);
            if p.fill && at != last {
                d.push(Diagnostic::error(
                    format!("{pp}.size"),
                    format!("the rest of the disk is {} bytes, not {}", last.saturating_sub(p.start), p.size),
                ));
            }
            let hex4 = p.type_code.len() == 4 && p.type_code.chars().all(|c| c.is_ascii_hexdigit());
            if !hex4 {
                d.push(Diagnostic::error(
                    format!("{pp}.typeCode"),
                    format!("\"{}\" is not a 4-digit sgdisk type code", p.type_code),
                ));
            }
            match &p.content {
                PartitionContent::Filesystem(f) => {
                    add_mount(&mut d, &f.mountpoint, format!("{pp}.content.mountpoint"));
                    if p.type_code.eq_ignore_ascii_case("EF00") {
                        esp += 1;
                        if f.format != "vfat" || f.mountpoint != "/boot" {
                            d.push(Diagnostic::error(pp.clone(), "the ESP must be vfat at /boot"));
                        }
                    }
                    if f.format == "vfat" && f.mountpoint == "/boot/firmware" {
                        firmware += 1;
                    }
                }
                PartitionContent::Swap { .. } => {}
                PartitionContent::Btrfs { subvolumes } => {
                    for (si, s) in subvolumes.iter().enumerate() {
                        add_mount(&mut d, &s.mountpoint, format!("{pp}.content.subvolumes[{si}].mountpoint"));
                    }
                }
                PartitionContent::Luks {
                    header, lvm_metadata, extent_size, volumes, key_file, password_file, ..
                } => {
                    if (*header, *lvm_metadata, *extent_size) != (LUKS2_HEADER, LVM_METADATA, LVM_EXTENT) {
                        d.push(
                            Diagnostic::error(
                                format!("{pp}.content"),
                                "LUKS2 header, LVM metadata and extent sizes differ from what cryptsetup and lvm2 use",
                            )
                            .with_help("plan again with n3x-disko plan"),
                        );
                    }
                    if key_file.is_some() == password_file.is_some() {
                        d.push(Diagnostic::error(
                            format!("{pp}.content"),
                            "a LUKS container needs exactly one of keyFile or passwordFile",
                        ));
                    }
                    let capacity = p.size.saturating_sub(header.saturating_add(*lvm_metadata)) / (*extent_size).max(1)
                        * extent_size;
                    let mut used = 0u64;
                    let n = volumes.len();
                    for (vi, v) in volumes.iter().enumerate() {
                        let vp = format!("{pp}.content.volumes[{vi}]");
                        add_mount(&mut d, &v.filesystem.mountpoint, format!("{vp}.filesystem.mountpoint"));
                        if v.size == 0 || v.size % extent_size.max(&1) != 0 {
                            d.push(Diagnostic::error(
                                format!("{vp}.size"),
                                "volume size is not a positive whole number of extents",
                            ));
                        }
                        if v.fill && vi + 1 != n {
                            d.push(Diagnostic::error(format!("{vp}.fill"), "only the last volume can take the rest"));
                        }
                        used = used.saturating_add(v.size);
                    }
                    if used > capacity {
                        d.push(Diagnostic::error(
                            format!("{pp}.content.volumes"),
                            format!("volumes need {} but the container holds {}", human(used), human(capacity)),
                        ));
                    } else if volumes.last().is_some_and(|v| v.fill) && used != capacity {
                        d.push(Diagnostic::error(
                            format!("{pp}.content.volumes"),
                            format!(
                                "the last volume takes the rest, {} bytes, not what the plan says",
                                (capacity - used).saturating_add(volumes.last().map(|v| v.size).unwrap_or(0))
                            ),
                        ));
                    }
                }
            }
        }
        if at > last {
            d.push(
                Diagnostic::error(
                    format!("{dp}.partitions"),
                    format!("partitions end at byte {at}, beyond the usable end {last} of a {} disk", human(disk.size)),
                )
                .with_help("make partitions smaller or use a larger disk"),
            );
        }
        // Saturating: a hand-edited plan may hold any numbers; a check must not overflow.
        let used = disk.partitions.iter().fold(0u64, |a, p| a.saturating_add(p.size));
        if disk.free != disk.size.saturating_sub(used) {
            d.push(Diagnostic::error(
                format!("{dp}.free"),
                format!("free is {} but the partitions leave {}", disk.free, disk.size.saturating_sub(used)),
            ));
        }
    }
    for (ni, n) in plan.nodev.iter().enumerate() {
        add_mount(&mut d, &n.mountpoint, format!("{base}.nodev[{ni}].mountpoint"));
    }
    match plan.boot {
        Boot::Efi if esp == 0 => d.push(
            Diagnostic::error(
                format!("{base}.disks"),
                "no EFI system partition, but the machine boots with EFI (missing ESP)",
            )
            .with_help("add an EF00 vfat partition at /boot, or use a layout that has one (standard, btrfs, luks)"),
        ),
        Boot::Efi if esp > 1 => {
            d.push(Diagnostic::error(format!("{base}.disks"), "more than one EFI system partition"))
        }
        Boot::RpiFirmware if esp > 0 => d.push(
            Diagnostic::error(
                format!("{base}.disks"),
                "an EFI system partition on a Raspberry Pi, which boots from its firmware partition",
            )
            .with_help("use layout sdcard on Raspberry Pi hardware"),
        ),
        Boot::RpiFirmware if firmware == 0 => d.push(Diagnostic::error(
            format!("{base}.disks"),
            "no vfat firmware partition at /boot/firmware for the Raspberry Pi firmware",
        )),
        _ => {}
    }
    if !mounts.contains_key("/") {
        d.push(Diagnostic::error(format!("{base}.disks"), "no root filesystem (mount point /)"));
    }
    d
}
