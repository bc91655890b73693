//! The binary from the outside: subcommands, exit codes, messages, and that rejected
//! input writes no file.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::path::{Path, PathBuf};

use assert_cmd::Command;
use predicates::prelude::*;

fn bin() -> Command {
    Command::cargo_bin("n3x-disko").unwrap()
}

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn edge_lab() -> PathBuf {
    repo().join("examples/edge-lab/inventory.yaml")
}

const SPEC: &str = "apiVersion: n3x.dev/v1alpha1\nkind: DiskSpec\nname: n1\ndevice: /dev/disk/by-id/nvme-X_1\nsize: 512GB\nmemory: 16GiB\n";

fn with(extra: &str) -> String {
    format!("{SPEC}{extra}")
}

/// Runs a bad spec through `render --out DIR` and `plan -o FILE`: exit 1, the message
/// on stderr, and nothing written.
fn rejected(spec: &str, messages: &[&str]) {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("spec.yaml");
    std::fs::write(&input, spec).unwrap();
    let out = dir.path().join("out");
    let mut a = bin().args(["render"]).arg(&input).arg("--out").arg(&out).assert().code(1);
    for m in messages {
        a = a.stderr(predicate::str::contains(*m));
    }
    assert!(!out.exists(), "render wrote {} for a rejected input", out.display());
    let plan_out = dir.path().join("plan.json");
    bin().args(["plan"]).arg(&input).arg("-o").arg(&plan_out).assert().code(1);
    assert!(!plan_out.exists(), "plan wrote a file for a rejected input");
    let shown = bin().args(["show"]).arg(&input).assert().code(1);
    assert!(shown.get_output().stdout.is_empty());
}

#[test]
fn too_small_disk_lists_the_numbers() {
    rejected(
        &with("layout: standard\n").replace("512GB", "20GB"),
        &[
            "spec.yaml:5:1: size: disk /dev/disk/by-id/nvme-X_1 is too small for layout standard",
            "20GB (18.6GiB usable after GPT and alignment)",
            "ESP 512MiB + / 2GiB + /nix 10GiB + /var 3GiB + /tmp 1GiB + swap 1GiB + /var/lib/longhorn 10GiB (longhornMinSize)",
            "help: use a disk of at least",
        ],
    );
}

#[test]
fn unknown_layout_suggests() {
    rejected(
        &with("layout: standrd\n"),
        &["spec.yaml:7:1: layout: unknown value \"standrd\"", "did you mean \"standard\"?"],
    );
}

#[test]
fn bad_size_is_located() {
    rejected(&SPEC.replace("512GB", "512XB"), &["spec.yaml:5:1: size:", "unknown unit \"XB\""]);
}

#[test]
fn missing_device() {
    rejected(&SPEC.replace("device: /dev/disk/by-id/nvme-X_1\n", ""), &["missing required field \"device\""]);
    rejected(&SPEC.replace("/dev/disk/by-id/nvme-X_1", "\"\""), &["device: the system disk device is missing"]);
}

#[test]
fn duplicate_mount_point() {
    rejected(&with("longhornPath: /nix\n"), &["spec.yaml:7:1: longhornPath: duplicate mount point /nix"]);
}

#[test]
fn esp_on_a_pi_and_missing_esp_on_efi() {
    rejected(
        &with("layout: standard\nboot: rpi-firmware\n"),
        &["layout: layout standard puts an EFI system partition on a Raspberry Pi"],
    );
    rejected(
        &with("layout: sdcard\nboot: efi\n"),
        &["layout: layout sdcard has no EFI system partition", "missing ESP"],
    );
}

#[test]
fn luks_needs_a_key_path() {
    rejected(&with("layout: luks\n"), &["encryption: layout luks needs a key source"]);
    rejected(
        &with("layout: luks\nencryption: {keyFile: disk.key}\n"),
        &["keyFile \"disk.key\" is not an absolute path"],
    );
    rejected(
        &with("layout: luks\nencryption: {keyFile: /a, passwordFile: /b}\n"),
        &["encryption sets both keyFile and passwordFile"],
    );
}

#[test]
fn wrong_kind_is_named() {
    rejected(
        "apiVersion: n3x.dev/v1alpha1\nkind: NetworkPlan\n",
        &["expected kind Cluster or Inventory or DiskSpec or DiskPlan, got NetworkPlan"],
    );
}

#[test]
fn edited_plan_with_duplicate_mount_point_is_rejected() {
    let out = bin().arg("plan").write_stdin(SPEC).assert().success().get_output().stdout.clone();
    let text = String::from_utf8(out).unwrap().replace("\"mountpoint\": \"/nix\"", "\"mountpoint\": \"/var\"");
    let dir = tempfile::tempdir().unwrap();
    let out_dir = dir.path().join("o");
    bin()
        .args(["render", "-", "--out"])
        .arg(&out_dir)
        .write_stdin(text)
        .assert()
        .code(1)
        .stderr(predicate::str::contains("duplicate mount point /var"));
    assert!(!out_dir.exists());
}

#[test]
fn bare_device_warns_and_deny_warnings_rejects() {
    let spec = SPEC.replace("/dev/disk/by-id/nvme-X_1", "/dev/sda");
    bin()
        .args(["plan"])
        .write_stdin(spec.clone())
        .assert()
        .success()
        .stderr(predicate::str::contains("warning: <stdin>:4:1: device: /dev/sda is a bare /dev/sdX name"))
        .stderr(predicate::str::contains("by-id"));
    bin().args(["plan", "--deny-warnings"]).write_stdin(spec).assert().code(1);
    bin()
        .args(["plan"])
        .write_stdin(SPEC.replace("/dev/disk/by-id/nvme-X_1", "/dev/nvme0n1"))
        .assert()
        .success()
        .stderr(predicate::str::contains("bare /dev/nvmeXnY"));
}

#[test]
fn standard_512gb_16gib_numbers() {
    let out = bin().arg("plan").write_stdin(SPEC).assert().success().get_output().stdout.clone();
    let plan: n3x_core::diskplan::DiskPlan = serde_json::from_slice(&out).unwrap();
    let d = &plan.nodes[0].disks[0];
    let got: Vec<(&str, u64, u64)> = d.partitions.iter().map(|p| (p.name.as_str(), p.start, p.size)).collect();
    const MIB: u64 = 1 << 20;
    const GIB: u64 = 1 << 30;
    assert_eq!(
        got,
        vec![
            ("ESP", MIB, GIB),
            ("root", MIB + GIB, 4 * GIB),
            ("nix", MIB + 5 * GIB, 30 * GIB),
            ("var", MIB + 35 * GIB, 10 * GIB),
            ("tmp", MIB + 45 * GIB, 4 * GIB),
            ("swap", MIB + 49 * GIB, 16 * GIB),
            // 512e9 bytes: the backup GPT takes the last 33 sectors, the end aligns down to 488281 MiB.
            ("longhorn", MIB + 65 * GIB, 488_281 * MIB - (MIB + 65 * GIB)),
        ]
    );
    assert_eq!(d.partitions[6].size, 442_205_470_720);
    assert_eq!(d.free, 512_000_000_000 - 488_280 * MIB);
    assert!(plan.nodes[0].shrunk.is_empty());
}

#[test]
fn render_single_node_to_stdout_and_many_need_out() {
    bin()
        .arg("render")
        .write_stdin(SPEC)
        .assert()
        .success()
        .stdout(predicate::str::starts_with(
            "# disko layout for node n1 (layout standard), generated by `n3x-disko render` from <stdin>.",
        ))
        .stdout(predicate::str::contains("disko.devices = {"));
    bin()
        .arg("render")
        .arg(edge_lab())
        .assert()
        .code(2)
        .stderr(predicate::str::contains("the input has 5 nodes; pass --out DIR"));
}

#[test]
fn unknown_node_lists_the_nodes() {
    bin().args(["plan", "--node", "nope"]).arg(edge_lab()).assert().code(1).stderr(predicate::str::contains(
        "no node named \"nope\" in the input; nodes are: n100-1, n100-2, n100-3, jetson-1, rpi-1",
    ));
}

#[test]
fn edge_lab_renders_every_node_and_evaluates() {
    let dir = tempfile::tempdir().unwrap();
    bin().arg("render").arg(edge_lab()).arg("--out").arg(dir.path()).assert().success();
    let plan_out = bin().arg("plan").arg(edge_lab()).assert().success().get_output().stdout.clone();
    let plan: n3x_core::diskplan::DiskPlan = serde_json::from_slice(&plan_out).unwrap();
    let names: Vec<&str> = plan.nodes.iter().map(|n| n.node.as_str()).collect();
    assert_eq!(names, ["n100-1", "n100-2", "n100-3", "jetson-1", "rpi-1"]);
    let Some(nix) = n3x_testkit::require(n3x_testkit::NIX_INSTANTIATE) else {
        return;
    };
    for p in &plan.nodes {
        let f = dir.path().join(p.node.as_str()).join("disko.nix");
        n3x_testkit::nix_parse(&nix, &f);
        common::assert_eval_matches_plan(&n3x_testkit::nix_eval_json(&nix, &f), p);
        let e = dir.path().join(p.node.as_str()).join("disk-extra.nix");
        assert_eq!(n3x_testkit::nix_eval_json(&nix, &e), common::expected_extra(p));
    }
    // The Pi gets the sdcard layout with a firmware partition and no ESP.
    let pi = std::fs::read_to_string(dir.path().join("rpi-1/disko.nix")).unwrap();
    assert!(pi.contains("mountpoint = \"/boot/firmware\";") && !pi.contains("EF00"));
}

#[test]
fn show_has_bars_and_the_warning_line() {
    bin()
        .arg("show")
        .write_stdin(SPEC)
        .assert()
        .success()
        .stdout(predicate::str::contains("ALL DATA ON IT IS ERASED"))
        .stdout(predicate::str::contains("longhorn  65.0GiB"))
        .stdout(predicate::str::contains("|###################################     |"));
}

#[test]
fn json_format_is_the_evaluated_module() {
    let out =
        bin().args(["render", "--format", "json"]).write_stdin(SPEC).assert().success().get_output().stdout.clone();
    let v: serde_json::Value = serde_json::from_slice(&out).unwrap();
    assert_eq!(v["disko"]["devices"]["disk"]["main"]["content"]["partitions"]["longhorn"]["size"], "100%");
}

#[test]
fn layouts_version_help_completions_man() {
    bin()
        .arg("layouts")
        .assert()
        .success()
        .stdout(predicate::str::contains("standard "))
        .stdout(predicate::str::contains("btrfs "))
        .stdout(predicate::str::contains("luks "))
        .stdout(predicate::str::contains("sdcard "));
    bin().arg("--version").assert().success().stdout(predicate::str::starts_with("n3x-disko "));
    for sub in ["plan", "render", "show", "layouts", "completions", "man"] {
        bin().args([sub, "--help"]).assert().success().stdout(predicate::str::contains("Example: n3x-disko"));
    }
    bin().args(["completions", "bash"]).assert().success().stdout(predicate::str::contains("n3x-disko"));
    bin().arg("man").assert().success().stdout(predicate::str::contains(".TH n3x-disko"));
    bin().arg("frobnicate").assert().code(2);
}

#[test]
fn closed_pipe_is_quiet() {
    // `| head -c0`: stdout closed before writing; exit 0 and nothing on stderr.
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_n3x-disko"))
        .args(["plan"])
        .arg(edge_lab())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .and_then(|mut c| {
            drop(c.stdout.take());
            c.wait_with_output()
        })
        .unwrap();
    assert!(out.status.success() || out.status.code() == Some(0), "{:?}", out.status);
}

#[test]
fn inventory_errors_of_every_node_are_located_in_the_inventory() {
    let text = std::fs::read_to_string(edge_lab()).unwrap();
    let text = text.replacen("size: 512GB}", "size: 20GB}", 1).replace("size: 256GB}", "size: 16GB}").replace(
        "mmc-SD64G_0x1234abcd, size: 64GB}",
        "mmc-SD64G_0x1234abcd, size: 64GB}\n    longhornDisk: {device: /dev/sda, size: 1TB}",
    );
    // Positions are computed from the text, so edits elsewhere in the example do not matter.
    let at = |needle: &str, key: &str| {
        let (i, line) = text.lines().enumerate().find(|(_, l)| l.contains(needle)).unwrap();
        format!("inventory.yaml:{}:{}", i + 1, line.find(key).unwrap() + 1)
    };
    let (small, jetson, pi) = (at("size: 20GB}", "size"), at("size: 16GB}", "size"), at("device: /dev/sda", "device"));
    let dir = tempfile::tempdir().unwrap();
    let inv = dir.path().join("inventory.yaml");
    std::fs::write(&inv, &text).unwrap();
    let out = dir.path().join("hosts");
    bin()
        .arg("render")
        .arg(&inv)
        .arg("--out")
        .arg(&out)
        .assert()
        .code(1)
        .stderr(predicate::str::contains(format!(
            "{small}: nodes[0].disk.size: disk /dev/disk/by-id/nvme-CT500P3SSD8_2301E6A1B2C1 is too small for layout standard"
        )))
        .stderr(predicate::str::contains(format!("{jetson}: nodes[3].disk.size: disk")))
        .stderr(predicate::str::contains("/var 3GiB (minimum of /var, which takes the rest)"))
        .stderr(predicate::str::contains(format!("{pi}: nodes[4].longhornDisk.device: /dev/sda is a bare /dev/sdX name")))
        .stderr(predicate::str::contains("rejected: 2 errors, 1 warning"));
    assert!(!out.exists(), "nothing is written when any node is rejected");
}

#[test]
fn a_plan_renders_and_shows_like_its_source() {
    let plan = bin().arg("plan").arg(edge_lab()).assert().success().get_output().stdout.clone();
    let from_plan = bin()
        .args(["show", "-", "--node", "rpi-1"])
        .write_stdin(plan.clone())
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    let direct = bin().args(["show", "--node", "rpi-1"]).arg(edge_lab()).assert().success().get_output().stdout.clone();
    assert_eq!(from_plan, direct);
    assert!(String::from_utf8(direct).unwrap().contains("firmware"));
}

#[test]
fn output_file_and_json_files() {
    let dir = tempfile::tempdir().unwrap();
    let one = dir.path().join("sub/disko.nix");
    bin().args(["render", "-", "-o"]).arg(&one).write_stdin(SPEC).assert().success().stdout("");
    assert!(std::fs::read_to_string(&one).unwrap().contains("disko.devices = {"));
    let out = dir.path().join("json");
    bin().args(["render", "--format", "json", "--out"]).arg(&out).arg(edge_lab()).assert().success();
    for node in ["n100-1", "n100-2", "n100-3", "jetson-1", "rpi-1"] {
        let d: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(out.join(node).join("disko.json")).unwrap()).unwrap();
        assert!(d["disko"]["devices"]["disk"]["main"]["device"].as_str().unwrap().starts_with("/dev/disk/by-id/"));
        let e: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(out.join(node).join("disk-extra.json")).unwrap()).unwrap();
        assert_eq!(e["services"]["fstrim"]["enable"], true);
    }
}

#[test]
fn ignored_longhorn_device_warns() {
    bin()
        .arg("plan")
        .write_stdin(with("longhorn: false\nlonghornDevice: /dev/disk/by-id/ata-X\nlonghornDeviceSize: 1TB\n"))
        .assert()
        .success()
        .stderr(predicate::str::contains("longhornDevice is ignored because longhorn is false"));
}

#[test]
fn absurd_numbers_in_a_plan_are_errors_not_panics() {
    let out = bin().arg("plan").write_stdin(SPEC).assert().success().get_output().stdout.clone();
    let mut plan: serde_json::Value = serde_json::from_slice(&out).unwrap();
    for p in plan["nodes"][0]["disks"][0]["partitions"].as_array_mut().unwrap() {
        p["size"] = serde_json::json!(u64::MAX);
        p["start"] = serde_json::json!(u64::MAX - 1);
    }
    plan["nodes"][0]["disks"][0]["size"] = serde_json::json!(u64::MAX);
    bin()
        .args(["show", "-"])
        .write_stdin(plan.to_string())
        .assert()
        .code(1)
        .stderr(predicate::str::contains("rejected"))
        .stderr(predicate::str::contains("panicked").not());
}
