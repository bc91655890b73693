//! `probe` against a real sshd that the test starts on 127.0.0.1 (n3x_testkit::Sshd):
//! the facts must be this machine's own (the server is local), and each failure —
//! changed host key, unknown host, refused port, rejected key, silent listener — must
//! be a clear error with exit 1 and no output file.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::Path;
use std::process::Command;

use predicates::prelude::*;

fn inventory(dir: &Path, port: u16, user: &str) -> std::path::PathBuf {
    let p = dir.join("inventory.yaml");
    std::fs::write(
        &p,
        format!(
            "apiVersion: n3x.dev/v1alpha1\nkind: Inventory\ncluster: {{name: lab}}\nnetworks:\n  cluster: {{cidr: 192.168.10.0/24}}\n\
             nodes:\n  - name: local\n    role: server\n    addresses: {{cluster: 192.168.10.11}}\n    ssh: {{host: 127.0.0.1, port: {port}, user: {user}}}\n"
        ),
    )
    .unwrap();
    p
}

fn probe() -> assert_cmd::Command {
    assert_cmd::Command::cargo_bin("n3x-inventory").unwrap()
}

/// `n3x-inventory probe INVENTORY --identity KEY --known-hosts FILE`.
fn probe_as(
    inv: &Path,
    identity: impl AsRef<std::ffi::OsStr>,
    known_hosts: impl AsRef<std::ffi::OsStr>,
) -> assert_cmd::Command {
    let mut c = probe();
    c.arg("probe").arg(inv).arg("--identity").arg(identity).arg("--known-hosts").arg(known_hosts);
    c
}

fn sh(cmd: &str) -> String {
    String::from_utf8(Command::new("sh").arg("-c").arg(cmd).output().unwrap().stdout).unwrap()
}

#[test]
fn probe_reports_this_machine() {
    let Some(sshd) = n3x_testkit::Sshd::start() else { return };
    let dir = tempfile::tempdir().unwrap();
    let inv = inventory(dir.path(), sshd.port, &sshd.user);
    let out = probe_as(&inv, &sshd.identity, sshd.known_hosts()).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let facts: n3x_core::Facts = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(facts.node.as_str(), "local");
    assert_eq!(facts.arch, sh("uname -m").trim());
    assert_eq!(facts.hostname, sh("uname -n").trim());
    let mem_kb: u64 = sh("awk '/^MemTotal:/ {print $2}' /proc/meminfo").trim().parse().unwrap();
    assert_eq!(facts.memory, mem_kb * 1024);
    let disks = sh("lsblk -d -n -b -o NAME,TYPE | awk '$2==\"disk\" {print $1}'");
    let names: Vec<&str> = facts.disks.iter().map(|d| d.name.as_str()).collect();
    assert_eq!(names, disks.split_whitespace().collect::<Vec<_>>());
    let key_blob = sshd.host_key.split_whitespace().nth(1).unwrap();
    assert!(facts.host_keys.iter().any(|k| k.contains(key_blob)), "{:?}", facts.host_keys);

    // The facts merge into normalize. The inventory must name a disk this machine has:
    // normalize refuses facts that contradict the declared disk (the hardware default
    // /dev/nvme0n1 is not here on a VM).
    let facts_file = dir.path().join("local.json");
    std::fs::write(&facts_file, &out.stdout).unwrap();
    let disk = &facts.disks.first().expect("this machine has a disk").path;
    let text = std::fs::read_to_string(&inv).unwrap();
    std::fs::write(&inv, format!("{text}    disk: {{device: {disk}}}\n")).unwrap();
    let norm = probe().arg("normalize").arg(&inv).arg("--facts").arg(&facts_file).output().unwrap();
    assert!(norm.status.success(), "{}", String::from_utf8_lossy(&norm.stderr));
    let c: n3x_core::Cluster = serde_json::from_slice(&norm.stdout).unwrap();
    assert_eq!(c.nodes[0].memory, Some(facts.memory));
    assert_eq!(c.nodes[0].host_key.as_deref().map(|k| k.contains(key_blob)), Some(true));

    // --out writes one file per node.
    let out_dir = dir.path().join("facts");
    probe_as(&inv, &sshd.identity, sshd.known_hosts()).arg("--out").arg(&out_dir).assert().success();
    assert!(out_dir.join("local.json").is_file());
}

#[test]
fn probe_refuses_a_changed_or_unknown_host_key() {
    let Some(sshd) = n3x_testkit::Sshd::start() else { return };
    let dir = tempfile::tempdir().unwrap();
    let inv = inventory(dir.path(), sshd.port, &sshd.user);
    let wrong = dir.path().join("known_hosts_wrong");
    std::fs::write(
        &wrong,
        format!(
            "[127.0.0.1]:{} ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIJ8IaCWuV5wnZ3tvu25sQVBj/PXCpJkqA+vl41DBI7Vm\n",
            sshd.port
        ),
    )
    .unwrap();
    let out_dir = dir.path().join("facts");
    probe_as(&inv, &sshd.identity, &wrong)
        .arg("--out")
        .arg(&out_dir)
        .assert()
        .code(1)
        .stderr(predicate::str::contains("does not match").and(predicate::str::contains("refusing to connect")));
    assert!(!out_dir.exists(), "nothing may be written");
    let empty = dir.path().join("known_hosts_empty");
    std::fs::write(&empty, "").unwrap();
    probe_as(&inv, &sshd.identity, &empty)
        .assert()
        .code(1)
        .stderr(predicate::str::contains("is not in").and(predicate::str::contains("--accept-new")));
    probe_as(&inv, &sshd.identity, &empty)
        .arg("--accept-new")
        .assert()
        .success()
        .stderr(predicate::str::contains("without a known_hosts entry"));
}

#[test]
fn probe_explains_auth_and_connection_failures() {
    let Some(sshd) = n3x_testkit::Sshd::start() else { return };
    let dir = tempfile::tempdir().unwrap();
    let inv = inventory(dir.path(), sshd.port, &sshd.user);
    // A key the server does not accept.
    let other = dir.path().join("other_key");
    assert!(Command::new("ssh-keygen")
        .args(["-q", "-t", "ed25519", "-N", "", "-f"])
        .arg(&other)
        .status()
        .unwrap()
        .success());
    probe_as(&inv, &other, sshd.known_hosts()).assert().code(1).stderr(predicate::str::contains("authentication as"));
    // A port nobody listens on.
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let inv_closed = inventory(&dir.path().join("x").tap_mkdir(), closed, &sshd.user);
    probe()
        .arg("probe")
        .arg(&inv_closed)
        .arg("--known-hosts")
        .arg(sshd.known_hosts())
        .assert()
        .code(1)
        .stderr(predicate::str::contains("connection refused"));
    // A listener that accepts but never speaks SSH: a clean timeout, not a hang.
    let silent = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = silent.local_addr().unwrap().port();
    let inv_silent = inventory(&dir.path().join("y").tap_mkdir(), port, &sshd.user);
    let started = std::time::Instant::now();
    probe()
        .arg("probe")
        .arg(&inv_silent)
        .args(["--timeout", "2"])
        .arg("--known-hosts")
        .arg(sshd.known_hosts())
        .assert()
        .code(1)
        .stderr(predicate::str::contains("handshake"));
    drop(silent);
    assert!(started.elapsed() < std::time::Duration::from_secs(30), "the timeout must end the wait");
}

#[test]
fn probe_usage_errors() {
    let dir = tempfile::tempdir().unwrap();
    let inv = inventory(dir.path(), 22, "root");
    probe()
        .arg("probe")
        .arg(&inv)
        .args(["--node", "locl"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("did you mean \"local\"?"));
    let two = n3x_testkit::repo_root().join("examples/edge-lab/inventory.yaml");
    probe().arg("probe").arg(two).assert().code(2).stderr(predicate::str::contains("pass --out DIR"));
}

trait TapMkdir {
    fn tap_mkdir(self) -> Self;
}
impl TapMkdir for std::path::PathBuf {
    fn tap_mkdir(self) -> Self {
        std::fs::create_dir_all(&self).unwrap();
        self
    }
}

/// The probed host decides how much its commands print: the probe reads each command's
/// output within the input cap (`N3X_MAX_INPUT_SIZE`, 64 MiB by default) and refuses more
/// with a clear error, exit 1 and no facts. Here the cap is set below what this machine's
/// disk and NIC listings print (the inventory itself stays under it).
#[test]
fn probe_reads_command_output_within_the_input_cap() {
    let Some(sshd) = n3x_testkit::Sshd::start() else { return };
    let dir = tempfile::tempdir().unwrap();
    let inv = inventory(dir.path(), sshd.port, &sshd.user);
    let cap = std::fs::metadata(&inv).unwrap().len() + 64;
    let listing = sh("lsblk -J -b -o NAME,TYPE,SIZE,PATH,MOUNTPOINT 2>/dev/null; ip -j link 2>/dev/null");
    assert!(listing.len() as u64 > cap, "this machine's listings ({} bytes) fit under {cap}", listing.len());
    let out_dir = dir.path().join("facts");
    let out = probe_as(&inv, &sshd.identity, sshd.known_hosts())
        .arg("--out")
        .arg(&out_dir)
        .env("N3X_MAX_INPUT_SIZE", cap.to_string())
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(out.stdout.is_empty());
    assert!(err.contains("its output") && err.contains("N3X_MAX_INPUT_SIZE"), "{err}");
    assert!(!out_dir.join("local.json").exists(), "facts were written from a truncated listing");
}
