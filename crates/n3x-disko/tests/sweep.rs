//! Disk sizes from 32 GB to 8 TB for every layout and variant: every plan fits and
//! passes the plan checks, and every render evaluates (one nix-instantiate call for
//! all of them) to exactly the structure its plan implies.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use n3x_core::diskplan::{DiskSpec, NodeDiskPlan};
use n3x_core::model::{DiskLayout, Encryption, SwapSpec, TmpMode};
use n3x_core::units::ByteSize;
use n3x_disko::plan::{usable, SMALLEST_DISK};
use n3x_disko::{check, plan_spec, render_node, Format};

const GB: u64 = 1_000_000_000;
const GIB: u64 = 1 << 30;

/// 32 GB … 8 TB: vendor sizes, binary sizes and a few odd byte counts.
fn sizes() -> Vec<u64> {
    let mut v = vec![
        SMALLEST_DISK,
        32 * GB + 1,
        32 * GIB,
        40 * GB,
        60 * GB,
        64 * GB,
        120 * GB,
        128 * GB,
        250 * GB,
        256 * GB,
        480 * GB,
        500_107_862_016, // a real "500 GB" NVMe
        512 * GB,
        1000 * GB,
        1024 * GIB,
        2000 * GB,
        4000 * GB,
        8000 * GB,
    ];
    // A geometric walk in between, so no band of sizes goes untested.
    let mut s = SMALLEST_DISK;
    while s < 8000 * GB {
        v.push(s);
        s = s * 23 / 20 + 4097;
    }
    v.push(8000 * GB);
    v
}

fn spec(layout: DiskLayout, size: u64, memory: Option<u64>, tmp: TmpMode, swap: SwapSpec, lh_dev: bool) -> DiskSpec {
    DiskSpec {
        api_version: "n3x.dev/v1alpha1".into(),
        kind: "DiskSpec".into(),
        name: "sweep".parse().unwrap(),
        device: "/dev/disk/by-id/nvme-TEST_1".into(),
        size: ByteSize(size),
        memory: memory.map(ByteSize),
        layout,
        boot: None,
        tmp,
        swap,
        longhorn: true,
        longhorn_device: lh_dev.then(|| "/dev/disk/by-id/ata-TEST_LONGHORN".into()),
        longhorn_device_size: lh_dev.then_some(ByteSize(size * 2)),
        longhorn_min_size: None,
        longhorn_path: None,
        encryption: (layout == DiskLayout::Luks)
            .then(|| Encryption { key_file: None, password_file: Some("/tmp/disk.pass".into()) }),
    }
}

fn variants() -> Vec<(DiskLayout, Option<u64>, TmpMode, SwapSpec, bool)> {
    let mut v = Vec::new();
    for layout in n3x_disko::plan::LAYOUTS {
        v.push((layout, Some(16 * GIB), TmpMode::Partition, SwapSpec::Auto, false));
        v.push((layout, Some(64 * GIB), TmpMode::Tmpfs, SwapSpec::Auto, false));
        v.push((layout, None, TmpMode::Partition, SwapSpec::None, true));
        v.push((layout, Some(4 * GIB), TmpMode::Partition, SwapSpec::Size(ByteSize(2 * GIB)), false));
    }
    v
}

fn invariants(p: &NodeDiskPlan, size: u64) {
    let d = &p.disks[0];
    let (first, last) = usable(size);
    assert_eq!(d.size, size);
    assert_eq!(d.partitions[0].start, first);
    let end = d.partitions.last().map(|x| x.start + x.size).unwrap();
    assert_eq!(end, last, "the last partition ends on the last aligned byte");
    assert!(last + 33 * 512 <= size, "room for the backup GPT");
    assert!(size - last < (1 << 20) + 33 * 512 + 512, "at most one alignment unit wasted at the end");
    for w in d.partitions.windows(2) {
        assert_eq!(w[0].start + w[0].size, w[1].start, "contiguous");
    }
    for x in &d.partitions {
        assert_eq!(x.start % (1 << 20), 0);
        assert_eq!(x.size % (1 << 20), 0);
        assert!(x.size > 0);
    }
    assert_eq!(d.free + d.partitions.iter().map(|x| x.size).sum::<u64>(), size);
    let problems = check::check(p, "");
    assert!(problems.is_empty(), "{problems}");
}

#[test]
fn every_layout_fits_every_size_and_every_render_evaluates() {
    let nix = n3x_testkit::require(n3x_testkit::NIX_INSTANTIATE);
    let dir = tempfile::tempdir().unwrap();
    let mut files = Vec::new();
    let mut plans = Vec::new();
    for (layout, memory, tmp, swap, lh_dev) in variants() {
        for size in sizes() {
            let s = spec(layout, size, memory, tmp, swap, lh_dev);
            let (p, _w) = plan_spec(&s).unwrap_or_else(|e| panic!("{} on {size} bytes: {e}", layout.as_str()));
            invariants(&p, size);
            let [(_, disko), (_, extra)] = render_node(&p, "sweep", Format::Nix).unwrap();
            let i = plans.len();
            let f = dir.path().join(format!("d{i}.nix"));
            std::fs::write(&f, disko).unwrap();
            let e = dir.path().join(format!("e{i}.nix"));
            std::fs::write(&e, extra).unwrap();
            files.push(f);
            files.push(e);
            plans.push(p);
        }
    }
    assert!(plans.len() >= 16 * 30, "sweep too small: {}", plans.len());
    let Some(nix) = nix else { return };
    // Every render is evaluated, not a sample: one nix-instantiate call for all.
    let values = common::eval_many(&nix, dir.path(), &files);
    assert_eq!(values.len(), files.len());
    for (i, p) in plans.iter().enumerate() {
        common::assert_eval_matches_plan(&values[2 * i], p);
        assert_eq!(values[2 * i + 1], common::expected_extra(p));
    }
}

#[test]
fn below_the_smallest_disk_is_an_error_with_numbers() {
    for layout in n3x_disko::plan::LAYOUTS {
        let s = spec(layout, 16 * GB, Some(16 * GIB), TmpMode::Partition, SwapSpec::Auto, false);
        let err = plan_spec(&s).unwrap_err().to_string();
        assert!(err.contains("too small for layout"), "{err}");
        assert!(err.contains("16GB"), "{err}");
        assert!(err.contains("usable"), "{err}");
    }
}
