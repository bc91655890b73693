//! A test node: the real sshd of n3x_testkit on 127.0.0.1 whose sessions find stand-in
//! programs first on PATH (recorded `lsblk`, `ip`, `uname -m`, `readlink` of the by-id
//! path; `kubectl`, `systemd-run`, `switch-to-configuration` where a test needs them).
//! Every stand-in appends its argv to `calls.log`, so a test can prove what ran.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

pub const DISK_ID: &str = "/dev/disk/by-id/nvme-CT500P3SSD8_2301E6A1B2C1";
pub const BOND_MACS: [&str; 2] = ["3c:ec:ef:10:00:01", "3c:ec:ef:10:00:02"];

pub fn recorded(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/recorded").join(name)
}

/// A node under test.
pub struct Node {
    pub sshd: n3x_testkit::Sshd,
    pub dir: tempfile::TempDir,
    pub bin: PathBuf,
}

impl Node {
    pub fn calls(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("calls.log")).unwrap_or_default()
    }
    pub fn state(&self) -> PathBuf {
        self.dir.path().join("state")
    }
}

/// Writes an executable stand-in that logs its call, then runs `body` (sh).
pub fn stand_in(bin: &Path, log: &Path, name: &str, body: &str) {
    let p = bin.join(name);
    std::fs::write(&p, format!("#!/bin/sh\necho \"{name} $*\" >> '{}'\n{body}\n", log.display())).unwrap();
    std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o755)).unwrap();
}

/// A node whose machine looks like an N100 with the given uname -m and install-disk recording.
pub fn start(arch: &str, disk_recording: &str) -> Option<Node> {
    let dir = tempfile::tempdir().unwrap();
    let bin = dir.path().join("bin");
    std::fs::create_dir_all(&bin).unwrap();
    std::fs::create_dir_all(dir.path().join("state")).unwrap();
    let log = dir.path().join("calls.log");
    let real_uname = which("uname");
    let real_readlink = which("readlink");
    stand_in(
        &bin,
        &log,
        "uname",
        &format!("case \"$1\" in -m) echo {arch};; -n) echo n100-1;; *) exec {} \"$@\";; esac", real_uname.display()),
    );
    stand_in(
        &bin,
        &log,
        "lsblk",
        &format!(
            "for a; do last=$a; done\ncase \"$*\" in *' -d '*) cat '{}';; *) [ \"$last\" = /dev/nvme0n1 ] && exec cat '{}'; echo \"lsblk: $last: not a block device\" >&2; exit 32;; esac",
            recorded("lsblk-d.json").display(),
            recorded(disk_recording).display()
        ),
    );
    stand_in(&bin, &log, "ip", &format!("cat '{}'", recorded("ip-addr.json").display()));
    stand_in(
        &bin,
        &log,
        "readlink",
        &format!(
            "if [ \"$1\" = -f ] && [ \"$2\" = {DISK_ID} ]; then echo /dev/nvme0n1; \
             elif [ \"$1\" = -f ] && [ \"$2\" = /run/current-system ]; then cat '{0}/state/current'; \
             elif [ \"$1\" = -f ] && [ \"$2\" = /nix/var/nix/profiles/system ]; then cat '{0}/state/profile'; \
             else exec {1} \"$@\"; fi",
            dir.path().display(),
            real_readlink.display()
        ),
    );
    let sshd = n3x_testkit::Sshd::start_with_path(&bin)?;
    Some(Node { sshd, dir, bin })
}

fn which(name: &str) -> PathBuf {
    for d in ["/usr/bin", "/bin"] {
        let p = Path::new(d).join(name);
        if p.is_file() {
            return p;
        }
    }
    panic!("{name} not found in /usr/bin or /bin");
}

/// A one-server inventory for the test node. `host_key`: the key the inventory declares.
pub fn inventory(node: &Node, host_key: &str, disk_size: &str) -> PathBuf {
    let p = node.dir.path().join("inventory.yaml");
    std::fs::write(
        &p,
        format!(
            "apiVersion: n3x.dev/v1alpha1\nkind: Inventory\ncluster: {{name: lab}}\n\
             networks:\n  cluster: {{cidr: 192.168.10.0/24, gateway: 192.168.10.1}}\n\
             nodes:\n  - name: n100-1\n    role: server\n    hardware: n100\n    addresses: {{cluster: 192.168.10.11}}\n\
             \x20   ssh: {{host: 127.0.0.1, port: {}, user: {}}}\n\
             \x20   network:\n      nics: [{{name: enp1s0, mac: \"{}\"}}, {{name: enp2s0, mac: \"{}\"}}]\n      bond: {{members: [enp1s0, enp2s0]}}\n\
             \x20   disk: {{device: {DISK_ID}, size: {disk_size}}}\n\
             \x20   hostKey: {host_key}\n",
            node.sshd.port, node.sshd.user, BOND_MACS[0], BOND_MACS[1]
        ),
    )
    .unwrap();
    p
}

pub fn deploy() -> assert_cmd::Command {
    assert_cmd::Command::cargo_bin("n3x-deploy").unwrap()
}

/// `n3x-deploy <sub> -c INVENTORY --identity … --known-hosts …` for the test node.
pub fn cmd(node: &Node, inv: &Path, sub: &str) -> assert_cmd::Command {
    let mut c = deploy();
    c.arg(sub)
        .arg("-c")
        .arg(inv)
        .arg("--identity")
        .arg(&node.sshd.identity)
        .arg("--known-hosts")
        .arg(node.sshd.known_hosts());
    c
}

/// Makes a test node updatable: two system generations under `<dir>/store` whose
/// `switch-to-configuration` stand-ins record which one runs (the node starts on the old
/// one), a `systemd-run` stand-in that runs its command after `--on-active` seconds in
/// the background (the rollback timer), `systemctl stop` that kills it, and `nix-env`.
/// `new_extra`: shell run after the new generation's switch (e.g. one that kills sshd).
/// Returns (new, old).
pub fn updatable(node: &Node, name: &str, new_extra: &str) -> (PathBuf, PathBuf) {
    let log = node.dir.path().join("calls.log");
    let state = node.state();
    let store = node.dir.path().join("store");
    let (new, old) = (store.join(format!("new-nixos-system-{name}")), store.join(format!("old-nixos-system-{name}")));
    let sshd_dir = node.sshd.dir.path();
    for (gen, extra) in
        [(&old, format!("/usr/sbin/sshd -f '{}/sshd_config'", sshd_dir.display())), (&new, new_extra.to_string())]
    {
        std::fs::create_dir_all(gen.join("bin")).unwrap();
        stand_in(
            &gen.join("bin"),
            &log,
            "switch-to-configuration",
            &format!("echo {} > '{}/current'\n{extra}", gen.display(), state.display()),
        );
    }
    std::fs::write(state.join("current"), format!("{}\n", old.display())).unwrap();
    // systemd-run --unit U --on-active Ns --timer-property=… CMD…: CMD after N s, in the background.
    stand_in(
        &node.bin,
        &log,
        "systemd-run",
        &format!(
            "delay=0\nwhile [ $# -gt 0 ]; do case \"$1\" in --unit) shift 2;; --on-active) delay=${{2%s}}; shift 2;; --*) shift;; *) break;; esac; done\n\
             setsid sh -c 'sleep \"$0\"; shift; \"$@\"' \"$delay\" x \"$@\" </dev/null >/dev/null 2>&1 &\necho $! > '{}/timer.pid'\necho \"Running timer as unit: n3x-rollback.timer\"",
            state.display()
        ),
    );
    stand_in(
        &node.bin,
        &log,
        "systemctl",
        &format!(
            "case \"$1\" in stop) kill $(cat '{}/timer.pid') 2>/dev/null; true;; list-units) true;; esac",
            state.display()
        ),
    );
    stand_in(&node.bin, &log, "nix-env", "true");
    (new, old)
}

/// `n3x-deploy update --format json …` against `inv` with `deployer_bin` first on PATH:
/// exit code, the report, and stderr (the JSON-lines events).
pub fn run_update(
    node: &Node,
    inv: &Path,
    deployer_bin: &Path,
    args: &[&str],
) -> (i32, n3x_core::rollout::DeployReport, String) {
    let path = format!("{}:{}", deployer_bin.display(), std::env::var("PATH").unwrap());
    let out = cmd(node, inv, "update")
        .args(["--deployer-system", "x86_64-linux", "--format", "json", "--poll", "1"])
        .args(args)
        .env("PATH", path)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    let r = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("{e}: {stderr}"));
    (out.status.code().unwrap(), r, stderr)
}
