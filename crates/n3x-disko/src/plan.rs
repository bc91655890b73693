//! The planner: a [`DiskRequest`] becomes a [`NodeDiskPlan`] with exact byte offsets.
//!
//! Geometry (documented in docs/n3x-disko.md): 512-byte logical sectors; the primary
//! GPT takes the first 34 sectors and the backup GPT the last 33; partitions start on
//! 1 MiB boundaries and every size is a whole number of MiB, so the first partition
//! starts at 1 MiB and the partition that takes the rest (`size = "100%"`) ends on the
//! last 1 MiB boundary before the backup GPT (sgdisk `--align-end`, as disko calls it).
//!
//! Sizing: each layout has partitions with a target and a minimum. When the targets
//! plus the minimum of the partition that takes the rest do not fit, the shrink policy
//! takes space from the partitions in a fixed order ([`SHRINK_ORDER`]), each in whole
//! GiB and never below its minimum; what still does not fit is an error listing every
//! number. Pure arithmetic: no I/O.

use n3x_core::diskplan::{
    Filesystem, LogicalVolume, NodeDiskPlan, NodevMount, PartitionContent, PlannedDisk, PlannedPartition, Shrink,
    Subvolume,
};
use n3x_core::model::{DiskLayout, SwapSpec, TmpMode};
use n3x_core::{Diagnostic, Diagnostics};

use crate::request::{DiskRequest, LonghornPlace};
use crate::units::{human, GIB, MIB};

/// Logical sector size the plan assumes.
pub const SECTOR: u64 = 512;
/// Partition alignment.
pub const ALIGN: u64 = MIB;
/// Primary GPT: protective MBR, header and 128 entries of 128 bytes.
pub const GPT_PRIMARY: u64 = 34 * SECTOR;
/// Backup GPT: entries and header at the end of the disk.
pub const GPT_BACKUP: u64 = 33 * SECTOR;
/// LUKS2 data offset with cryptsetup's defaults.
pub const LUKS2_HEADER: u64 = 16 * MIB;
/// LVM physical-volume data start (`pe_start`) with lvm2's defaults.
pub const LVM_METADATA: u64 = MIB;
/// LVM extent size with lvm2's defaults.
pub const LVM_EXTENT: u64 = 4 * MIB;
/// Swap under `auto` never exceeds this.
pub const SWAP_CAP: u64 = 16 * GIB;
/// Swap under `auto` when memory is unknown.
pub const SWAP_UNKNOWN_MEMORY: u64 = 4 * GIB;
/// The smallest disk n3x-disko supports (32 GB); the sweep tests start here.
pub const SMALLEST_DISK: u64 = 32_000_000_000;

/// Size rules of one kind of partition: target and minimum.
#[derive(Debug, Clone, Copy)]
pub struct Rule {
    /// What it is, as shown in messages.
    pub what: &'static str,
    /// Size when there is room.
    pub target: u64,
    /// Smallest size the shrink policy may give it.
    pub min: u64,
}

/// ESP.
pub const ESP: Rule = Rule { what: "ESP", target: GIB, min: 512 * MIB };
/// Root.
pub const ROOT: Rule = Rule { what: "/", target: 4 * GIB, min: 2 * GIB };
/// /nix.
pub const NIX: Rule = Rule { what: "/nix", target: 30 * GIB, min: 10 * GIB };
/// /var.
pub const VAR: Rule = Rule { what: "/var", target: 10 * GIB, min: 3 * GIB };
/// /tmp.
pub const TMP: Rule = Rule { what: "/tmp", target: 4 * GIB, min: GIB };
/// Raspberry Pi firmware partition.
pub const FIRMWARE: Rule = Rule { what: "firmware", target: 512 * MIB, min: 256 * MIB };
/// Smallest root filesystem of the sdcard layout (it holds /nix too).
pub const SDCARD_ROOT_MIN: u64 = 8 * GIB;
/// Smallest swap under `auto` after shrinking.
pub const SWAP_MIN: u64 = GIB;

/// The shrink policy: which sizes give way first when a disk is too small.
pub const SHRINK_ORDER: [&str; 7] = ["swap", "/nix", "/var", "/tmp", "/", "ESP", "firmware"];

/// Mount options per filesystem role.
pub mod opts {
    /// ESP: only root may read the boot loader's files and random seed.
    pub const ESP: &[&str] = &["umask=0077"];
    /// Root and /nix.
    pub const ROOT: &[&str] = &["noatime"];
    /// /var.
    pub const VAR: &[&str] = &["noatime", "nodiratime"];
    /// /tmp on a partition.
    pub const TMP: &[&str] = &["noatime", "nodev", "nosuid", "noexec"];
    /// /tmp as tmpfs.
    pub const TMPFS: &[&str] = &["size=4G", "mode=1777", "nodev", "nosuid", "noexec"];
    /// Longhorn data.
    pub const LONGHORN: &[&str] = &["noatime", "nodiratime", "discard"];
    /// btrfs subvolumes.
    pub const BTRFS: &[&str] = &["compress=zstd", "noatime"];
    /// btrfs /tmp subvolume.
    pub const BTRFS_TMP: &[&str] = &["compress=zstd", "noatime", "nodev", "nosuid", "noexec"];
    /// Raspberry Pi firmware partition: not needed to boot Linux once it runs.
    pub const FIRMWARE: &[&str] = &["noatime", "nofail"];
}

/// One layout's one-line description, as `n3x-disko layouts` prints it.
pub fn describe(layout: DiskLayout) -> &'static str {
    match layout {
        DiskLayout::Standard => {
            "GPT: ESP 1GiB /boot, / 4GiB, /nix 30GiB, /var 10GiB, /tmp 4GiB (or tmpfs), swap from RAM (random key), the rest ext4 for Longhorn"
        }
        DiskLayout::Btrfs => {
            "GPT: ESP 1GiB, swap (random key), one btrfs (zstd) with subvolumes @root @nix @var @tmp @longhorn (no CoW), for snapshots"
        }
        DiskLayout::Luks => {
            "GPT: ESP 1GiB, swap (random key), LUKS2 (key from a file) holding LVM: / /nix /var /tmp and Longhorn"
        }
        DiskLayout::Sdcard => {
            "Raspberry Pi SD/USB: firmware vfat 512MiB at /boot/firmware and an ext4 root; Longhorn under /var/lib/longhorn or on its own disk"
        }
    }
}

/// Every layout, in documentation order.
pub const LAYOUTS: [DiskLayout; 4] = [DiskLayout::Standard, DiskLayout::Btrfs, DiskLayout::Luks, DiskLayout::Sdcard];

/// Usable aligned range of a disk: `(first_usable, last_usable)` byte offsets.
pub fn usable(size: u64) -> (u64, u64) {
    let sectors_bytes = size / SECTOR * SECTOR;
    let first = GPT_PRIMARY.div_ceil(ALIGN) * ALIGN;
    let last = sectors_bytes.saturating_sub(GPT_BACKUP) / ALIGN * ALIGN;
    (first, last.max(first))
}

/// The swap size a request implies, and whether the shrink policy may reduce it.
pub fn swap_size(req: &DiskRequest) -> (u64, bool) {
    match req.swap {
        SwapSpec::None => (0, false),
        SwapSpec::Size(s) => (s.0.div_ceil(MIB) * MIB, false),
        // On an SD card swap wears the card out; `auto` means none there.
        SwapSpec::Auto if req.layout == DiskLayout::Sdcard => (0, false),
        SwapSpec::Auto => (auto_swap(req.memory), true),
    }
}

/// The `auto` swap rule: RAM rounded up to a whole GiB (the kernel reports a little less
/// than is installed), at most [`SWAP_CAP`]; [`SWAP_UNKNOWN_MEMORY`] when memory is unknown.
pub fn auto_swap(memory: Option<u64>) -> u64 {
    match memory {
        Some(m) => (m.div_ceil(GIB) * GIB).clamp(GIB, SWAP_CAP),
        None => SWAP_UNKNOWN_MEMORY,
    }
}

/// A size being fitted.
#[derive(Debug, Clone)]
struct Slot {
    what: &'static str,
    target: u64,
    min: u64,
    size: u64,
    /// Where the number comes from, for the error text.
    note: &'static str,
}

impl Slot {
    fn new(rule: Rule) -> Slot {
        Slot { what: rule.what, target: rule.target, min: rule.min, size: rule.target, note: "" }
    }
    fn fixed(what: &'static str, size: u64, note: &'static str) -> Slot {
        Slot { what, target: size, min: size, size, note }
    }
}

/// The slots the `standard` and `luks` layouts both fit: ESP, /, /nix, /var, /tmp, and
/// what takes the rest of the disk.
struct SystemSlots {
    esp: Slot,
    root: Slot,
    nix: Slot,
    var: Slot,
    tmp: Slot,
    rest_what: String,
    rest_min: u64,
    rest_note: &'static str,
}

/// Without Longhorn on this disk, /var takes the rest and keeps its minimum; otherwise
/// Longhorn takes the rest and must get at least `longhornMinSize`.
fn system_slots(tmp_part: bool, lh_on_system: bool, lh_mount: &str, lh_min: u64) -> SystemSlots {
    let tmp = if tmp_part { Slot::new(TMP) } else { Slot::fixed("/tmp", 0, "") };
    let (var, rest_what, rest_min, rest_note) = if lh_on_system {
        (Slot::new(VAR), lh_mount.to_string(), lh_min, "longhornMinSize")
    } else {
        (Slot::fixed("/var", 0, ""), "/var".to_string(), VAR.min, "minimum of /var, which takes the rest")
    };
    SystemSlots {
        esp: Slot::new(ESP),
        root: Slot::new(ROOT),
        nix: Slot::new(NIX),
        var,
        tmp,
        rest_what,
        rest_min,
        rest_note,
    }
}

/// Shrinks slots in policy order until `deficit` is covered; returns what is left.
fn shrink(slots: &mut [&mut Slot], mut deficit: u64) -> u64 {
    for name in SHRINK_ORDER {
        if deficit == 0 {
            break;
        }
        for s in slots.iter_mut().filter(|s| s.what == name) {
            let room = s.size - s.min;
            // Whole GiB steps keep the numbers readable; the last step may be the
            // remaining room when the minimum is not a whole GiB below.
            let cut = deficit.div_ceil(GIB).saturating_mul(GIB).min(room);
            s.size -= cut;
            deficit = deficit.saturating_sub(cut);
        }
    }
    deficit
}

fn too_small(req: &DiskRequest, avail: u64, parts: &[&Slot], rest: (&str, u64, &str), overhead: u64) -> Diagnostic {
    let mut items: Vec<String> = parts
        .iter()
        .filter(|s| s.min > 0)
        .map(|s| {
            let note = if s.note.is_empty() { String::new() } else { format!(" ({})", s.note) };
            format!("{} {}{}", s.what, human(s.min), note)
        })
        .collect();
    if overhead > 0 {
        items.push(format!("LUKS2+LVM overhead {}", human(overhead)));
    }
    if rest.1 > 0 {
        items.push(format!("{} {} ({})", rest.0, human(rest.1), rest.2));
    }
    let need: u64 = parts.iter().map(|s| s.min).sum::<u64>() + rest.1 + overhead;
    let field = if req.path.is_empty() { "size".to_string() } else { format!("{}.size", req.path) };
    Diagnostic::error(
        field,
        format!(
            "disk {} is too small for layout {}: {} ({} usable after GPT and alignment) cannot hold the minimums, which need {}: {}",
            req.device,
            req.layout.as_str(),
            human(req.size),
            human(avail),
            human(need),
            items.join(" + ")
        ),
    )
    .with_help(format!(
        "use a disk of at least {} ({} GB){}",
        human(need + (req.size - avail)),
        (need + (req.size - avail)).div_ceil(100_000_000) as f64 / 10.0,
        if rest.2.contains("longhornMinSize") {
            ", lower longhornMinSize, set swap to none or a smaller size, or give Longhorn its own disk"
        } else {
            ", or set swap to none or a smaller size"
        }
    ))
}

fn fs(format: &str, mountpoint: &str, options: &[&str]) -> Filesystem {
    Filesystem {
        format: format.into(),
        mountpoint: mountpoint.into(),
        mount_options: options.iter().map(|s| s.to_string()).collect(),
    }
}

fn fs_content(format: &str, mountpoint: &str, options: &[&str]) -> PartitionContent {
    PartitionContent::Filesystem(fs(format, mountpoint, options))
}

/// A partition before offsets are assigned.
struct Part {
    name: &'static str,
    size: u64,
    fill: bool,
    type_code: &'static str,
    content: PartitionContent,
}

/// Lays partitions out in order from the first usable byte.
fn layout_disk(name: &str, device: &str, size: u64, parts: Vec<Part>) -> PlannedDisk {
    let (first, last) = usable(size);
    let mut at = first;
    let mut partitions = Vec::with_capacity(parts.len());
    for (i, p) in parts.into_iter().enumerate() {
        let len = if p.fill { last.saturating_sub(at) } else { p.size };
        let number = u32::try_from(i + 1).unwrap_or(u32::MAX);
        partitions.push(PlannedPartition {
            number,
            name: p.name.into(),
            priority: i64::from(number) * 100,
            start: at,
            size: len,
            fill: p.fill,
            type_code: p.type_code.into(),
            content: p.content,
        });
        at += len;
    }
    let used: u64 = partitions.iter().map(|p| p.size).sum();
    PlannedDisk {
        name: name.into(),
        device: device.into(),
        size,
        table: "gpt".into(),
        sector_size: SECTOR,
        alignment: ALIGN,
        first_usable: first,
        last_usable: last,
        partitions,
        free: size.saturating_sub(used),
    }
}

/// Plans one node. Warnings (e.g. memory unknown) come back with the plan.
pub fn plan(req: &DiskRequest) -> Result<(NodeDiskPlan, Diagnostics), Diagnostics> {
    let mut warnings = Diagnostics::new();
    let mut errors = Diagnostics::new();
    let (first, last) = usable(req.size);
    let avail = last - first;
    let (swap_bytes, swap_auto) = swap_size(req);
    if req.swap == SwapSpec::Auto && req.memory.is_none() && req.layout != DiskLayout::Sdcard {
        let field = if req.path.is_empty() { "memory".to_string() } else { req.path.replace(".disk", ".memory") };
        warnings.push(
            Diagnostic::warning(field, format!("memory is unknown, so swap: auto uses {}", human(SWAP_UNKNOWN_MEMORY)))
                .with_help("add memory (e.g. 16GiB) to size swap from RAM, or set swap to a size or none"),
        );
    }
    let mut swap = Slot {
        what: "swap",
        target: swap_bytes,
        min: if swap_auto { SWAP_MIN.min(swap_bytes) } else { swap_bytes },
        size: swap_bytes,
        note: if swap_auto { "" } else { "explicit swap size" },
    };
    let lh_on_system = matches!(req.longhorn, LonghornPlace::SystemDisk { .. });
    let lh_min = match req.longhorn {
        LonghornPlace::SystemDisk { min } => min.div_ceil(MIB) * MIB,
        _ => 0,
    };
    let tmp_part = req.tmp == TmpMode::Partition;
    let lh_mount = req.longhorn_mount.as_str();
    let mut nodev = Vec::new();
    if req.tmp == TmpMode::Tmpfs {
        nodev.push(NodevMount {
            mountpoint: "/tmp".into(),
            fs_type: "tmpfs".into(),
            mount_options: opts::TMPFS.iter().map(|s| s.to_string()).collect(),
        });
    }
    let swap_part = |size: u64| Part {
        name: "swap",
        size,
        fill: false,
        type_code: "8200",
        content: PartitionContent::Swap { random_encryption: true },
    };
    let esp_part = |size: u64| Part {
        name: "ESP",
        size,
        fill: false,
        type_code: "EF00",
        content: fs_content("vfat", "/boot", opts::ESP),
    };
    let mut shrunk = Vec::new();
    let mut record = |slots: &[&Slot]| {
        for s in slots {
            if s.size < s.target {
                shrunk.push(Shrink { what: s.what.into(), from: s.target, to: s.size });
            }
        }
    };
    let main = match req.layout {
        DiskLayout::Standard => {
            let SystemSlots { mut esp, mut root, mut nix, mut var, mut tmp, rest_what, rest_min, rest_note } =
                system_slots(tmp_part, lh_on_system, lh_mount, lh_min);
            let fixed = esp.size + root.size + nix.size + var.size + tmp.size + swap.size;
            let deficit = (fixed + rest_min).saturating_sub(avail);
            let left = shrink(&mut [&mut swap, &mut nix, &mut var, &mut tmp, &mut root, &mut esp], deficit);
            if left > 0 {
                errors.push(too_small(
                    req,
                    avail,
                    &[&esp, &root, &nix, &var, &tmp, &swap],
                    (&rest_what, rest_min, rest_note),
                    0,
                ));
            }
            record(&[&esp, &root, &nix, &var, &tmp, &swap]);
            let mut parts = vec![
                esp_part(esp.size),
                Part {
                    name: "root",
                    size: root.size,
                    fill: false,
                    type_code: "8300",
                    content: fs_content("ext4", "/", opts::ROOT),
                },
                Part {
                    name: "nix",
                    size: nix.size,
                    fill: false,
                    type_code: "8300",
                    content: fs_content("ext4", "/nix", opts::ROOT),
                },
            ];
            if lh_on_system {
                parts.push(Part {
                    name: "var",
                    size: var.size,
                    fill: false,
                    type_code: "8300",
                    content: fs_content("ext4", "/var", opts::VAR),
                });
            }
            if tmp_part {
                parts.push(Part {
                    name: "tmp",
                    size: tmp.size,
                    fill: false,
                    type_code: "8300",
                    content: fs_content("ext4", "/tmp", opts::TMP),
                });
            }
            if swap.size > 0 {
                parts.push(swap_part(swap.size));
            }
            if lh_on_system {
                parts.push(Part {
                    name: "longhorn",
                    size: 0,
                    fill: true,
                    type_code: "8300",
                    content: fs_content("ext4", lh_mount, opts::LONGHORN),
                });
            } else {
                parts.push(Part {
                    name: "var",
                    size: 0,
                    fill: true,
                    type_code: "8300",
                    content: fs_content("ext4", "/var", opts::VAR),
                });
            }
            layout_disk("main", &req.device, req.size, parts)
        }
        DiskLayout::Btrfs => {
            let mut esp = Slot::new(ESP);
            // Subvolumes share the filesystem's space, so only their minimums are reserved.
            let inner = ROOT.min + NIX.min + VAR.min + if tmp_part { TMP.min } else { 0 } + lh_min;
            let deficit = (esp.size + swap.size + inner).saturating_sub(avail);
            let left = shrink(&mut [&mut swap, &mut esp], deficit);
            if left > 0 {
                let mut parts = vec![&esp, &swap];
                let (r, n, v, t) = (
                    Slot::fixed("/", ROOT.min, ""),
                    Slot::fixed("/nix", NIX.min, ""),
                    Slot::fixed("/var", VAR.min, ""),
                    Slot::fixed("/tmp", if tmp_part { TMP.min } else { 0 }, ""),
                );
                parts.extend([&r, &n, &v, &t]);
                let rest = if lh_on_system { (lh_mount, lh_min, "longhornMinSize") } else { ("Longhorn", 0, "none") };
                errors.push(too_small(req, avail, &parts, rest, 0));
            }
            record(&[&esp, &swap]);
            let mut subvolumes = vec![
                subvol("@root", "/", opts::BTRFS, false),
                subvol("@nix", "/nix", opts::BTRFS, false),
                subvol("@var", "/var", opts::BTRFS, false),
            ];
            if tmp_part {
                subvolumes.push(subvol("@tmp", "/tmp", opts::BTRFS_TMP, false));
            }
            if lh_on_system {
                subvolumes.push(subvol("@longhorn", lh_mount, opts::BTRFS, true));
            }
            let mut parts = vec![esp_part(esp.size)];
            if swap.size > 0 {
                parts.push(swap_part(swap.size));
            }
            parts.push(Part {
                name: "system",
                size: 0,
                fill: true,
                type_code: "8300",
                content: PartitionContent::Btrfs { subvolumes },
            });
            layout_disk("main", &req.device, req.size, parts)
        }
        DiskLayout::Luks => {
            let SystemSlots { mut esp, mut root, mut nix, mut var, mut tmp, rest_what, rest_min, rest_note } =
                system_slots(tmp_part, lh_on_system, lh_mount, lh_min);
            // The container is a whole number of MiB; extents are 4 MiB, so up to 3 MiB
            // after the headers is lost to rounding. Count it as overhead.
            let overhead = LUKS2_HEADER + LVM_METADATA + LVM_EXTENT - MIB;
            let need = esp.size
                + swap.size
                + root.size
                + nix.size
                + var.size
                + tmp.size
                + rest_min.div_ceil(LVM_EXTENT) * LVM_EXTENT
                + overhead;
            let deficit = need.saturating_sub(avail);
            let left = shrink(&mut [&mut swap, &mut nix, &mut var, &mut tmp, &mut root, &mut esp], deficit);
            if left > 0 {
                errors.push(too_small(
                    req,
                    avail,
                    &[&esp, &swap, &root, &nix, &var, &tmp],
                    (&rest_what, rest_min, rest_note),
                    overhead,
                ));
            }
            record(&[&esp, &root, &nix, &var, &tmp, &swap]);
            let container = avail.saturating_sub(esp.size + swap.size);
            let extents = container.saturating_sub(LUKS2_HEADER + LVM_METADATA) / LVM_EXTENT * LVM_EXTENT;
            let mut volumes = vec![
                lv("root", root.size, fs("ext4", "/", opts::ROOT)),
                lv("nix", nix.size, fs("ext4", "/nix", opts::ROOT)),
            ];
            if lh_on_system {
                volumes.push(lv("var", var.size, fs("ext4", "/var", opts::VAR)));
            }
            if tmp_part {
                volumes.push(lv("tmp", tmp.size, fs("ext4", "/tmp", opts::TMP)));
            }
            let used: u64 = volumes.iter().map(|v| v.size).sum();
            let rest_fs =
                if lh_on_system { fs("ext4", lh_mount, opts::LONGHORN) } else { fs("ext4", "/var", opts::VAR) };
            volumes.push(LogicalVolume {
                name: if lh_on_system { "longhorn".into() } else { "var".into() },
                size: extents.saturating_sub(used),
                fill: true,
                filesystem: rest_fs,
            });
            let (key_file, password_file) = match &req.encryption {
                Some(e) => (e.key_file.clone(), e.password_file.clone()),
                None => (None, None),
            };
            let mut parts = vec![esp_part(esp.size)];
            if swap.size > 0 {
                parts.push(swap_part(swap.size));
            }
            parts.push(Part {
                name: "luks",
                size: 0,
                fill: true,
                type_code: "8309",
                content: PartitionContent::Luks {
                    name: "crypted".into(),
                    key_file,
                    password_file,
                    header: LUKS2_HEADER,
                    volume_group: "pool".into(),
                    lvm_metadata: LVM_METADATA,
                    extent_size: LVM_EXTENT,
                    volumes,
                },
            });
            layout_disk("main", &req.device, req.size, parts)
        }
        DiskLayout::Sdcard => {
            let mut fw = Slot::new(FIRMWARE);
            let root_min = SDCARD_ROOT_MIN + lh_min;
            let deficit = (fw.size + swap.size + root_min).saturating_sub(avail);
            let left = shrink(&mut [&mut swap, &mut fw], deficit);
            if left > 0 {
                let note = if lh_on_system {
                    "8GiB plus longhornMinSize: Longhorn data lives on root"
                } else {
                    "minimum of root"
                };
                errors.push(too_small(req, avail, &[&fw, &swap], ("/", root_min, note), 0));
            }
            record(&[&fw, &swap]);
            let mut parts = vec![Part {
                name: "firmware",
                size: fw.size,
                fill: false,
                type_code: "0700",
                content: fs_content("vfat", "/boot/firmware", opts::FIRMWARE),
            }];
            if swap.size > 0 {
                parts.push(swap_part(swap.size));
            }
            parts.push(Part {
                name: "root",
                size: 0,
                fill: true,
                type_code: "8300",
                content: fs_content("ext4", "/", opts::ROOT),
            });
            layout_disk("main", &req.device, req.size, parts)
        }
    };
    let mut disks = vec![main];
    if let LonghornPlace::Device { device, size, min } = &req.longhorn {
        let d = layout_disk(
            "longhorn",
            device,
            *size,
            vec![Part {
                name: "longhorn",
                size: 0,
                fill: true,
                type_code: "8300",
                content: fs_content("ext4", lh_mount, opts::LONGHORN),
            }],
        );
        let got = d.partitions.first().map(|p| p.size).unwrap_or(0);
        if got < *min {
            errors.push(
                Diagnostic::error(
                    if req.path.is_empty() { "longhornDeviceSize".to_string() } else { format!("{}.size", req.longhorn_path_field) },
                    format!(
                        "the Longhorn disk {device} ({}) gives Longhorn {} after GPT and alignment, less than longhornMinSize {}",
                        human(*size),
                        human(got),
                        human(*min)
                    ),
                )
                .with_help("use a larger Longhorn disk or lower longhornMinSize"),
            );
        }
        disks.push(d);
    }
    // Report shrink steps in policy order, the order they were taken.
    shrunk.sort_by_key(|s: &Shrink| SHRINK_ORDER.iter().position(|w| *w == s.what).unwrap_or(usize::MAX));
    if errors.has_errors() {
        errors.extend(warnings);
        return Err(errors);
    }
    let plan = NodeDiskPlan {
        node: req.name.clone(),
        layout: req.layout,
        boot: req.boot,
        memory: req.memory,
        disks,
        nodev,
        shrunk,
    };
    Ok((plan, warnings))
}

fn subvol(name: &str, mountpoint: &str, options: &[&str], nocow: bool) -> Subvolume {
    Subvolume {
        name: name.into(),
        mountpoint: mountpoint.into(),
        mount_options: options.iter().map(|s| s.to_string()).collect(),
        nocow,
    }
}

fn lv(name: &str, size: u64, filesystem: Filesystem) -> LogicalVolume {
    LogicalVolume { name: name.into(), size, fill: false, filesystem }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn auto_swap_rule() {
        // The kernel reports a little less than is installed: round up to whole GiB.
        assert_eq!(auto_swap(Some(15 * GIB + 512 * MIB)), 16 * GIB);
        assert_eq!(auto_swap(Some(8 * GIB)), 8 * GIB);
        assert_eq!(auto_swap(Some(64 * GIB)), SWAP_CAP);
        assert_eq!(auto_swap(Some(512 * MIB)), GIB);
        assert_eq!(auto_swap(None), SWAP_UNKNOWN_MEMORY);
    }

    #[test]
    fn usable_range_of_a_512gb_disk() {
        // 512e9 bytes minus the 33-sector backup GPT, aligned down to 1 MiB: 488281 MiB.
        assert_eq!(usable(512_000_000_000), (MIB, 488_281 * MIB));
        // A size that is not a whole number of sectors loses the partial sector first.
        assert_eq!(usable(32_000_000_511).1, usable(32_000_000_000).1);
    }

    #[test]
    fn shrink_takes_whole_gib_in_policy_order() {
        let mut swap = Slot { what: "swap", target: 16 * GIB, min: GIB, size: 16 * GIB, note: "" };
        let mut nix = Slot::new(NIX);
        let mut esp = Slot::new(ESP);
        let left = shrink(&mut [&mut esp, &mut nix, &mut swap], 15 * GIB + 1);
        assert_eq!(left, 0);
        assert_eq!(swap.size, GIB, "swap gives way first, down to its minimum");
        assert_eq!(nix.size, 29 * GIB, "then /nix, by whole GiB");
        assert_eq!(esp.size, GIB, "the ESP is untouched");
        let mut esp2 = Slot::new(ESP);
        assert_eq!(shrink(&mut [&mut esp2], 2 * GIB), 2 * GIB - 512 * MIB, "never below the minimum");
    }
}
