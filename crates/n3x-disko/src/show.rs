//! `n3x-disko show`: the plan as a table a person reads before wiping a disk, with a
//! bar per partition proportional to its share of the disk. Text only; no colour, so
//! the output is the same in a terminal, a pipe and a golden file.

use std::fmt::Write as _;

use n3x_core::diskplan::{NodeDiskPlan, PartitionContent, PlannedDisk};

use crate::units::human;

/// Width of the proportional bar, in characters.
pub const BAR: usize = 40;

/// The table for one node.
pub fn show(plan: &NodeDiskPlan) -> String {
    let mut out = String::new();
    let boot = match plan.boot {
        n3x_core::model::Boot::Efi => "efi",
        n3x_core::model::Boot::RpiFirmware => "rpi-firmware",
    };
    let memory = plan.memory.map(human).unwrap_or_else(|| "unknown".into());
    let _ = writeln!(out, "node {}: layout {}, boot {}, memory {}", plan.node, plan.layout.as_str(), boot, memory);
    for d in &plan.disks {
        disk(&mut out, d);
    }
    for n in &plan.nodev {
        let _ =
            writeln!(out, "{} on {}: {} (in memory, not on disk)", n.fs_type, n.mountpoint, n.mount_options.join(","));
    }
    for s in &plan.shrunk {
        let _ = writeln!(out, "shrunk to fit: {} {} -> {}", s.what, human(s.from), human(s.to));
    }
    out
}

fn bar(size: u64, total: u64) -> String {
    let cells = if total == 0 {
        0
    } else {
        ((u128::from(size) * BAR as u128 + u128::from(total) / 2) / u128::from(total)) as usize
    };
    let cells = cells.clamp(usize::from(size > 0), BAR);
    format!("|{}{}|", "#".repeat(cells), " ".repeat(BAR - cells))
}

fn disk(out: &mut String, d: &PlannedDisk) {
    let _ = writeln!(
        out,
        "\ndisk {}: {}\n  {} ({} bytes), {} table, {}-byte sectors, {} alignment; ALL DATA ON IT IS ERASED",
        d.name,
        d.device,
        human(d.size),
        d.size,
        d.table.to_uppercase(),
        d.sector_size,
        human(d.alignment)
    );
    let mut rows: Vec<[String; 8]> = vec![[
        "#".into(),
        "name".into(),
        "start".into(),
        "size".into(),
        "bytes".into(),
        "type".into(),
        "mount".into(),
        "options".into(),
    ]];
    let mut bars: Vec<String> = vec![String::new()];
    for p in &d.partitions {
        let (kind, mount, options) = match &p.content {
            PartitionContent::Filesystem(f) => (f.format.clone(), f.mountpoint.clone(), f.mount_options.join(",")),
            PartitionContent::Swap { random_encryption } => (
                "swap".into(),
                "-".into(),
                if *random_encryption { "random key each boot".into() } else { String::new() },
            ),
            PartitionContent::Btrfs { .. } => ("btrfs".into(), "(subvolumes)".into(), String::new()),
            PartitionContent::Luks { name, .. } => ("luks2".into(), format!("/dev/mapper/{name}"), "LVM inside".into()),
        };
        let size = if p.fill { format!("{} (rest)", human(p.size)) } else { human(p.size) };
        rows.push([
            p.number.to_string(),
            p.name.clone(),
            human(p.start),
            size,
            p.size.to_string(),
            kind,
            mount,
            options,
        ]);
        bars.push(bar(p.size, d.size));
        match &p.content {
            PartitionContent::Btrfs { subvolumes } => {
                for s in subvolumes {
                    let mut o = s.mount_options.join(",");
                    if s.nocow {
                        o.push_str(" +C (no CoW)");
                    }
                    rows.push([
                        "".into(),
                        format!("  {}", s.name),
                        "".into(),
                        "shared".into(),
                        "".into(),
                        "subvol".into(),
                        s.mountpoint.clone(),
                        o,
                    ]);
                    bars.push(String::new());
                }
            }
            PartitionContent::Luks { volume_group, volumes, header, lvm_metadata, .. } => {
                rows.push([
                    "".into(),
                    "  (headers)".into(),
                    "".into(),
                    human(header.saturating_add(*lvm_metadata)),
                    header.saturating_add(*lvm_metadata).to_string(),
                    "luks2+lvm".into(),
                    "".into(),
                    "".into(),
                ]);
                bars.push(String::new());
                for v in volumes {
                    let size = if v.fill { format!("{} (rest)", human(v.size)) } else { human(v.size) };
                    rows.push([
                        "".into(),
                        format!("  {volume_group}/{}", v.name),
                        "".into(),
                        size,
                        v.size.to_string(),
                        v.filesystem.format.clone(),
                        v.filesystem.mountpoint.clone(),
                        v.filesystem.mount_options.join(","),
                    ]);
                    bars.push(String::new());
                }
            }
            _ => {}
        }
    }
    let mut widths = [0usize; 8];
    for r in &rows {
        for (w, c) in widths.iter_mut().zip(r.iter()) {
            *w = (*w).max(c.chars().count());
        }
    }
    for (r, b) in rows.iter().zip(bars.iter()) {
        let mut line = String::from(" ");
        for (i, (c, w)) in r.iter().zip(widths.iter()).enumerate() {
            let pad = w - c.chars().count();
            // Numbers right-aligned, text left-aligned.
            if matches!(i, 0 | 4) {
                line.push_str(&" ".repeat(pad));
                line.push_str(c);
            } else {
                line.push_str(c);
                line.push_str(&" ".repeat(pad));
            }
            line.push_str("  ");
        }
        line.push_str(b);
        let _ = writeln!(out, "{}", line.trim_end());
    }
    let before = d.partitions.first().map(|p| p.start).unwrap_or(d.size);
    let end = d.partitions.last().map(|p| p.start.saturating_add(p.size)).unwrap_or(d.size);
    let after = d.size.saturating_sub(end);
    let _ = writeln!(
        out,
        "  free: {} ({} bytes): {} before partition 1 (primary GPT, alignment), {} after the last (backup GPT, alignment)",
        human(d.free),
        d.free,
        human(before),
        human(after)
    );
}
