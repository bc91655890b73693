//! preflight against a real sshd on 127.0.0.1 whose PATH serves recorded `lsblk -J -b`
//! and `ip -j` outputs of an N100 (stand-ins, named so in each test): a matching node
//! passes; wrong disk, mounted disk, wrong arch and wrong host key each refuse (exit 5)
//! with both values in the evidence.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use n3x_core::rollout::{CheckStatus, DeployReport, NodeStatus, Outcome};

const OTHER_KEY: &str = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIJ8IaCWuV5wnZ3tvu25sQVBj/PXCpJkqA+vl41DBI7Vm root@n100-1";

fn run(node: &common::Node, inv: &std::path::Path) -> (i32, DeployReport, String) {
    let out = common::cmd(node, inv, "preflight").args(["n100-1", "--format", "json"]).output().unwrap();
    let report: DeployReport =
        serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&out.stderr)));
    (out.status.code().unwrap(), report, String::from_utf8_lossy(&out.stderr).into_owned())
}

fn status(r: &DeployReport, name: &str) -> (CheckStatus, String) {
    let c = r.checks.iter().find(|c| c.name == name).unwrap_or_else(|| panic!("no check {name}: {r:?}"));
    (c.status, c.evidence.clone())
}

#[test]
fn matching_node_passes_stand_in_lsblk_ip() {
    let Some(node) = common::start("x86_64", "lsblk-nvme-installer.json") else { return };
    let inv = common::inventory(&node, &node.sshd.host_key, "500107862016");
    let (code, r, stderr) = run(&node, &inv);
    assert_eq!(code, 0, "{r:#?}\n{stderr}");
    assert_eq!(r.outcome, Outcome::Succeeded);
    let names: Vec<&str> = r.checks.iter().map(|c| c.name.as_str()).collect();
    assert_eq!(names, ["arch", "disk-exists", "disk-size", "disk-unmounted", "nics", "host-key"]);
    assert!(r.checks.iter().all(|c| c.status == CheckStatus::Pass), "{r:#?}");
    // The current partitions are shown before anything is erased.
    let (_, ev) = status(&r, "disk-exists");
    assert!(ev.contains("/dev/nvme0n1") && ev.contains("nvme0n1p2 part 499032989696 bytes ext4"), "{ev}");
    // JSON-lines events on stderr in --format json, one per check and node, then the end.
    let events: Vec<serde_json::Value> = stderr.lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    assert_eq!(events.iter().filter(|e| e["event"] == "check").count(), 6);
    assert_eq!(events.last().unwrap()["event"], "finished");
    assert!(node.calls().contains(&format!("readlink -f {}", common::DISK_ID)), "{}", node.calls());
}

#[test]
fn wrong_disk_is_refused_stand_in_lsblk() {
    let Some(node) = common::start("x86_64", "lsblk-nvme-installer.json") else { return };
    let inv = common::inventory(&node, &node.sshd.host_key, "500107862016");
    let text = std::fs::read_to_string(&inv).unwrap().replace("2301E6A1B2C1", "2301E6A1B2FF");
    std::fs::write(&inv, text).unwrap();
    let (code, r, _) = run(&node, &inv);
    assert_eq!((code, r.outcome), (5, Outcome::Refused));
    let (st, ev) = status(&r, "disk-exists");
    assert_eq!(st, CheckStatus::Fail);
    assert!(ev.contains("nvme-CT500P3SSD8_2301E6A1B2FF") && ev.contains("/dev/nvme0n1 (500107862016 bytes)"), "{ev}");
    assert_eq!(r.nodes[0].status, NodeStatus::Refused);
}

#[test]
fn wrong_disk_size_is_refused_stand_in_lsblk() {
    let Some(node) = common::start("x86_64", "lsblk-nvme-installer.json") else { return };
    // The edge-lab mistake: 512GB declared for a 500 GB (500107862016 bytes) drive.
    let inv = common::inventory(&node, &node.sshd.host_key, "512GB");
    let (code, r, _) = run(&node, &inv);
    assert_eq!(code, 5);
    let (st, ev) = status(&r, "disk-size");
    assert_eq!(st, CheckStatus::Fail);
    assert!(ev.contains("inventory: 512000000000 bytes; machine: 500107862016 bytes"), "{ev}");
}

#[test]
fn mounted_disk_is_refused_stand_in_lsblk() {
    let Some(node) = common::start("x86_64", "lsblk-nvme-running.json") else { return };
    let inv = common::inventory(&node, &node.sshd.host_key, "500107862016");
    let (code, r, _) = run(&node, &inv);
    assert_eq!(code, 5);
    let (st, ev) = status(&r, "disk-unmounted");
    assert_eq!(st, CheckStatus::Fail);
    assert!(ev.contains("/, /boot, /nix"), "{ev}");
}

#[test]
fn wrong_arch_is_refused_stand_in_uname() {
    let Some(node) = common::start("aarch64", "lsblk-nvme-installer.json") else { return };
    let inv = common::inventory(&node, &node.sshd.host_key, "500107862016");
    let (code, r, _) = run(&node, &inv);
    assert_eq!(code, 5);
    let (st, ev) = status(&r, "arch");
    assert_eq!(st, CheckStatus::Fail);
    assert_eq!(ev, "inventory: x86_64 (n100); machine: aarch64");
}

#[test]
fn wrong_host_key_is_refused_and_installer_mode_skips_it() {
    let Some(node) = common::start("x86_64", "lsblk-nvme-installer.json") else { return };
    let inv = common::inventory(&node, OTHER_KEY, "500107862016");
    let (code, r, _) = run(&node, &inv);
    assert_eq!(code, 5);
    let (st, ev) = status(&r, "host-key");
    assert_eq!(st, CheckStatus::Fail);
    let machine = node.sshd.host_key.split_whitespace().take(2).collect::<Vec<_>>().join(" ");
    assert!(ev.contains("AAAAIJ8IaCWuV5wnZ3tvu25sQVBj") && ev.contains(&machine), "both keys: {ev}");
    // An installer image has its own key: --installer skips the check, and says why.
    let out =
        common::cmd(&node, &inv, "preflight").args(["n100-1", "--format", "json", "--installer"]).output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    let r: DeployReport = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(status(&r, "host-key").0, CheckStatus::Skip);
}

#[test]
fn wrong_nic_mac_is_refused_stand_in_ip() {
    let Some(node) = common::start("x86_64", "lsblk-nvme-installer.json") else { return };
    let inv = common::inventory(&node, &node.sshd.host_key, "500107862016");
    let text = std::fs::read_to_string(&inv).unwrap().replace(common::BOND_MACS[1], "3c:ec:ef:10:00:99");
    std::fs::write(&inv, text).unwrap();
    let (code, r, _) = run(&node, &inv);
    assert_eq!(code, 5);
    let (st, ev) = status(&r, "nics");
    assert_eq!(st, CheckStatus::Fail);
    assert!(ev.contains("enp2s0: inventory 3c:ec:ef:10:00:99, machine 3c:ec:ef:10:00:02"), "{ev}");
}

#[test]
fn unreachable_node_is_refused_with_the_reason() {
    let Some(node) = common::start("x86_64", "lsblk-nvme-installer.json") else { return };
    let inv = common::inventory(&node, &node.sshd.host_key, "500107862016");
    let free = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let text =
        std::fs::read_to_string(&inv).unwrap().replace(&format!("port: {}", node.sshd.port), &format!("port: {free}"));
    std::fs::write(&inv, text).unwrap();
    let (code, r, _) = run(&node, &inv);
    assert_eq!(code, 5);
    let (st, ev) = status(&r, "reachable");
    assert_eq!(st, CheckStatus::Fail);
    assert!(ev.contains("connection refused"), "{ev}");
}
