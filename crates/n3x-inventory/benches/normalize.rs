//! Benchmark: parse + validate + normalize generated inventories of 100, 1,000 and
//! 10,000 nodes (servers with bonds and a storage VLAN, agents with one NIC).
//! Goal: 1,000 nodes under 50 ms, cost growing linearly. Run: `cargo bench -p n3x-inventory`.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::fmt::Write as _;
use std::time::{Duration, Instant};

fn inventory(nodes: usize) -> String {
    let mut s = String::from(
        "apiVersion: n3x.dev/v1alpha1\nkind: Inventory\ncluster: {name: bench}\nnetworks:\n  cluster: {cidr: 10.100.0.0/16, gateway: 10.100.0.1}\n  storage: {cidr: 10.200.0.0/16, vlan: 20}\nk3s: {clusterCidr: 10.42.0.0/16, serviceCidr: 10.43.0.0/16}\nloadBalancer:\n  pools: [{name: lb, addresses: [10.100.255.1-10.100.255.200]}]\naddons: {longhorn: {enabled: true}, metallb: {enabled: true}}\nnodes:\n",
    );
    for i in 0..nodes {
        let (hi, lo) = (i / 250, i % 250 + 2);
        if i < 3 {
            let _ = writeln!(
                s,
                "  - name: node-{i}\n    role: server\n    hardware: n100\n    memory: 16GiB\n    addresses: {{cluster: 10.100.{hi}.{lo}, storage: 10.200.{hi}.{lo}}}\n    network: {{bond: {{members: [enp1s0, enp2s0]}}}}\n    disk: {{device: /dev/disk/by-id/nvme-x{i}, size: 512GB}}"
            );
        } else {
            let _ = writeln!(
                s,
                "  - name: node-{i}\n    role: agent\n    hardware: generic-x86_64\n    addresses: {{cluster: 10.100.{hi}.{lo}}}\n    labels: {{rack: r{hi}}}\n    disk: {{size: 256GB}}"
            );
        }
    }
    s
}

fn main() {
    println!("n3x-inventory normalize (parse + validate + normalize), median of runs");
    let mut per_node = Vec::new();
    for n in [100usize, 1_000, 10_000] {
        let text = inventory(n);
        let runs = if n >= 10_000 { 5 } else { 15 };
        let mut parse_times: Vec<Duration> = Vec::new();
        let mut times: Vec<Duration> = (0..runs)
            .map(|_| {
                let t = Instant::now();
                let doc = n3x_core::Document::parse("bench.yaml", &text).expect("parses");
                parse_times.push(t.elapsed());
                let (c, _) = n3x_core::normalize::load_cluster(&doc).expect("valid");
                std::hint::black_box(c);
                t.elapsed()
            })
            .collect();
        times.sort();
        parse_times.sort();
        let median = times[times.len() / 2];
        let parse = parse_times[parse_times.len() / 2];
        let us_per_node = median.as_secs_f64() * 1e6 / n as f64;
        println!(
            "  {n:>6} nodes: {:>9.2} ms total, {:>8.2} ms of it YAML parsing  ({us_per_node:.1} µs/node, {} KiB input)",
            median.as_secs_f64() * 1e3,
            parse.as_secs_f64() * 1e3,
            text.len() / 1024
        );
        per_node.push(us_per_node);
    }
    println!(
        "  per-node cost growth: 100→1,000 {:.2}×, 1,000→10,000 {:.2}× (1.0 = linear)",
        per_node[1] / per_node[0],
        per_node[2] / per_node[1]
    );
}
