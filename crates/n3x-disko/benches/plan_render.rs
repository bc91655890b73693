//! Benchmark: plan and render 1,000 nodes (disko.nix + disk-extra.nix + show table).
//! The cluster is examples/edge-lab with its nodes repeated and given varied disk sizes
//! and layouts. Run with `cargo bench -p n3x-disko`.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::print_stdout)]

use std::time::Instant;

use n3x_core::model::{DiskLayout, TmpMode};
use n3x_core::Document;
use n3x_disko::{plan_cluster, render_node, show, Format};

fn main() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../examples/edge-lab/inventory.yaml");
    let text = std::fs::read_to_string(path).unwrap();
    let doc = Document::parse("inventory.yaml", &text).unwrap();
    let (mut cluster, _) = n3x_core::normalize::load_cluster(&doc).unwrap();
    let base = cluster.nodes.clone();
    cluster.nodes = (0..1000)
        .map(|i| {
            let mut n = base[i % base.len()].clone();
            n.name = format!("node-{i:04}").parse().unwrap();
            n.disk.device = format!("/dev/disk/by-id/nvme-BENCH_{i:04}");
            n.disk.size = Some(64_000_000_000 + (i as u64 % 64) * 125_000_000_000);
            if n.boot == n3x_core::model::Boot::Efi {
                n.disk.layout = [DiskLayout::Standard, DiskLayout::Btrfs, DiskLayout::Luks][i % 3];
                if n.disk.layout == DiskLayout::Luks {
                    n.disk.encryption = Some(n3x_core::model::Encryption {
                        key_file: None,
                        password_file: Some("/tmp/disk.pass".into()),
                    });
                }
                n.disk.tmp = if i % 2 == 0 { TmpMode::Partition } else { TmpMode::Tmpfs };
            }
            n
        })
        .collect();
    // Warm up once, then measure the best of five rounds.
    let mut best = f64::MAX;
    let mut bytes = 0;
    for _ in 0..6 {
        let t = Instant::now();
        let (plans, _) = plan_cluster(&cluster, None).unwrap();
        let planned = t.elapsed();
        bytes = 0;
        for p in &plans {
            for (_, text) in render_node(p, "inventory.yaml", Format::Nix).unwrap() {
                bytes += text.len();
            }
            bytes += show::show(p).len();
        }
        let total = t.elapsed().as_secs_f64();
        best = best.min(total);
        println!(
            "round: 1000 nodes planned in {:.1} ms, planned+rendered in {:.1} ms",
            planned.as_secs_f64() * 1e3,
            total * 1e3
        );
    }
    println!(
        "n3x-disko plan+render 1000 nodes: best {:.1} ms ({:.1} µs/node), {:.1} MB of Nix and tables",
        best * 1e3,
        best * 1e6 / 1000.0,
        bytes as f64 / 1e6
    );
}
