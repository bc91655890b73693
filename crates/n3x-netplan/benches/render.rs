//! Benchmarks (std::time::Instant, no harness):
//! 1. plan + render (nix and networkd) for a 1,000-node inventory, in process;
//! 2. one netplan file: n3x (in process and through its binary) versus netplan's own
//!    generator (`/usr/lib/netplan/generate --root-dir`), on the same input.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::print_stdout)]

use std::fmt::Write as _;
use std::process::Command;
use std::time::{Duration, Instant};

use n3x_core::Document;
use n3x_netplan::Format;

fn inventory(nodes: usize) -> String {
    let mut s = String::from(
        "apiVersion: n3x.dev/v1alpha1\nkind: Inventory\ncluster: {name: bench}\nnetworks:\n  cluster: {cidr: 10.0.0.0/16, gateway: 10.0.0.1, dns: [10.0.0.1]}\n  storage: {cidr: 10.1.0.0/16, mtu: 9000, vlan: 20}\nloadBalancer:\n  pools:\n    - {name: default, addresses: [10.0.200.1-10.0.200.50]}\naddons:\n  metallb: {enabled: true}\nnodes:\n",
    );
    for i in 0..nodes {
        let (hi, lo) = ((i + 2) / 250, (i + 2) % 250 + 2);
        let role = if i < 3 { "server" } else { "agent" };
        let _ = write!(
            s,
            "  - name: n{i}\n    role: {role}\n    hardware: n100\n    addresses: {{cluster: 10.0.{hi}.{lo}, storage: 10.1.{hi}.{lo}}}\n    network:\n      bond: {{members: [enp1s0, enp2s0], mode: balance-alb}}\n"
        );
    }
    s
}

fn time<T>(f: impl FnOnce() -> T) -> (T, Duration) {
    let t = Instant::now();
    let v = f();
    (v, t.elapsed())
}

fn main() {
    // 1. A thousand nodes.
    let text = inventory(1000);
    let (doc, parse) = time(|| Document::parse("bench.yaml", &text).unwrap());
    let ((plan, _warnings), planning) = time(|| n3x_netplan::plan_document(&doc).unwrap());
    let (nix, nix_t) = time(|| n3x_netplan::render(&plan, Format::Nix, "bench.yaml", true).unwrap());
    let (units, nd_t) = time(|| n3x_netplan::render(&plan, Format::Networkd, "bench.yaml", true).unwrap());
    let total = parse + planning + nix_t + nd_t;
    println!("1000 nodes: parse {parse:?}, normalize+plan+check {planning:?}, render nix {nix_t:?} ({} files), render networkd {nd_t:?} ({} files); total {total:?} = {:?}/node", nix.len(), units.len(), total / 1000);

    // 2. One netplan file, n3x versus netplan generate.
    let file = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/netplan-corpus/valid/42-edge-n100.yaml");
    let yaml = std::fs::read_to_string(&file).unwrap();
    let runs = 50u32;
    let (_, inproc) = time(|| {
        for _ in 0..runs {
            let doc = Document::parse("x.yaml", &yaml).unwrap();
            let (p, _) = n3x_netplan::plan_netplan(&doc, "x").unwrap();
            std::hint::black_box(n3x_netplan::render(&p, Format::Networkd, "x.yaml", false).unwrap());
        }
    });
    println!("netplan file {}: n3x in process {:?}/run", file.file_name().unwrap().to_string_lossy(), inproc / runs);
    let tmp = tempfile::tempdir().unwrap();
    let exe = env!("CARGO_BIN_EXE_n3x-netplan");
    let (_, bin) = time(|| {
        for i in 0..runs {
            let out = tmp.path().join(format!("n3x-{i}"));
            let st = Command::new(exe)
                .args(["render", "--format", "networkd", "--from-netplan"])
                .arg(&file)
                .arg("--out")
                .arg(&out)
                .stderr(std::process::Stdio::null())
                .status()
                .unwrap();
            assert!(st.success());
        }
    });
    println!("  n3x-netplan binary (process start + write files): {:?}/run", bin / runs);
    match n3x_testkit::find(n3x_testkit::NETPLAN_GENERATE) {
        Some(generator) => {
            let (_, gen) = time(|| {
                for i in 0..runs {
                    let root = tmp.path().join(format!("root-{i}"));
                    std::fs::create_dir_all(root.join("etc/netplan")).unwrap();
                    let f = root.join("etc/netplan/x.yaml");
                    std::fs::write(&f, &yaml).unwrap();
                    // netplan warns about world-readable configuration.
                    std::fs::set_permissions(&f, std::os::unix::fs::PermissionsExt::from_mode(0o600)).unwrap();
                    let st = Command::new(&generator).arg("--root-dir").arg(&root).status().unwrap();
                    assert!(st.success());
                }
            });
            println!("  netplan generate (process start + write files): {:?}/run", gen / runs);
        }
        None => println!("  netplan generate: not installed (Debian package netplan.io); skipped"),
    }
}
