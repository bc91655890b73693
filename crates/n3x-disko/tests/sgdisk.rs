//! The plan's byte offsets are what sgdisk really creates: for every layout and a range
//! of disk sizes, each planned disk is partitioned as a sparse image file with the same
//! sgdisk calls disko's GPT type makes (`--align-end --new=N:0:+SIZE`, `-0` for "100%",
//! in priority order), and the table sgdisk prints is compared with the plan.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::Path;
use std::process::Command;

use n3x_core::diskplan::{DiskSpec, PlannedDisk};
use n3x_core::model::{DiskLayout, Encryption, SwapSpec, TmpMode};
use n3x_core::units::ByteSize;
use n3x_disko::plan_spec;
use n3x_disko::units::disko_size;
use n3x_testkit::Tool;

const SGDISK: Tool =
    Tool { name: "sgdisk", package: "Debian package gdisk", extra: &["/usr/sbin/sgdisk", "/sbin/sgdisk"] };

fn sgdisk(bin: &Path, args: &[String], img: &Path) -> String {
    let out = Command::new(bin).args(args).arg(img).output().unwrap();
    assert!(out.status.success(), "sgdisk {args:?} failed: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout).unwrap()
}

/// Partitions an image of the disk's size as disko would and returns (number, start byte,
/// size) per partition. One sgdisk call applies its options in order, exactly as disko's
/// one call per partition does; sgdisk sleeps a second after each write, so one call per disk.
fn partition_like_disko(bin: &Path, img: &Path, d: &PlannedDisk) -> Vec<(u32, u64, u64)> {
    let f = std::fs::File::create(img).unwrap();
    f.set_len(d.size).unwrap();
    drop(f);
    let mut parts: Vec<_> = d.partitions.iter().collect();
    parts.sort_by_key(|p| p.priority);
    let mut args: Vec<String> = vec!["--clear".into(), "--align-end".into()];
    for (i, p) in parts.iter().enumerate() {
        let n = i + 1;
        let end = if p.fill { "-0".to_string() } else { format!("+{}", disko_size(p.size)) };
        args.push(format!("--new={n}:0:{end}"));
        args.push(format!("--change-name={n}:disk-{}-{}", d.name, p.name));
        args.push(format!("--typecode={n}:{}", p.type_code));
    }
    sgdisk(bin, &args, img);
    let table = sgdisk(bin, &["-p".into()], img);
    std::fs::remove_file(img).unwrap();
    table
        .lines()
        .skip_while(|l| !l.starts_with("Number"))
        .skip(1)
        .map(|l| {
            let cols: Vec<&str> = l.split_whitespace().collect();
            let start: u64 = cols[1].parse().unwrap();
            let end: u64 = cols[2].parse().unwrap();
            (cols[0].parse().unwrap(), start * 512, (end + 1 - start) * 512)
        })
        .collect()
}

#[test]
fn sgdisk_creates_exactly_the_planned_partitions() {
    let Some(bin) = n3x_testkit::require(SGDISK) else { return };
    let dir = tempfile::tempdir().unwrap();
    let sizes =
        [32_000_000_000u64, 64_000_000_000, 500_107_862_016, 512_000_000_000, 1_000_204_886_016, 8_000_000_000_000];
    let mut jobs = Vec::new();
    for layout in n3x_disko::plan::LAYOUTS {
        for (i, size) in sizes.iter().enumerate() {
            let spec = DiskSpec {
                api_version: "n3x.dev/v1alpha1".into(),
                kind: "DiskSpec".into(),
                name: "img".parse().unwrap(),
                device: "/dev/disk/by-id/nvme-IMG".into(),
                size: ByteSize(*size),
                memory: Some(ByteSize(16 << 30)),
                layout,
                boot: None,
                tmp: if i % 2 == 0 { TmpMode::Partition } else { TmpMode::Tmpfs },
                swap: SwapSpec::Auto,
                longhorn: true,
                longhorn_device: (i == 2).then(|| "/dev/disk/by-id/ata-LH".into()),
                longhorn_device_size: (i == 2).then_some(ByteSize(2_000_398_934_016)),
                longhorn_min_size: None,
                longhorn_path: None,
                encryption: (layout == DiskLayout::Luks)
                    .then(|| Encryption { key_file: Some("/tmp/disk.key".into()), password_file: None }),
            };
            let (plan, _) = plan_spec(&spec).unwrap();
            for d in plan.disks {
                jobs.push((format!("{} on a {size}-byte disk ({})", layout.as_str(), d.name), d));
            }
        }
    }
    // sgdisk mostly sleeps; run the disks side by side.
    let failures: Vec<String> = std::thread::scope(|scope| {
        let handles: Vec<_> = jobs
            .iter()
            .enumerate()
            .map(|(i, (what, d))| {
                let img = dir.path().join(format!("{i}.img"));
                let bin = &bin;
                scope.spawn(move || {
                    let got = partition_like_disko(bin, &img, d);
                    let want: Vec<(u32, u64, u64)> = d.partitions.iter().map(|p| (p.number, p.start, p.size)).collect();
                    (got != want).then(|| format!("{what}: sgdisk made {got:?}, the plan says {want:?}"))
                })
            })
            .collect();
        handles.into_iter().filter_map(|h| h.join().unwrap()).collect()
    });
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    let checked = jobs.len();
    assert_eq!(checked, 4 * sizes.len() + 4);
}
