//! install against a real sshd on 127.0.0.1 (the node) with stand-ins: on the node's PATH
//! recorded `lsblk`/`ip` outputs; on the deployer's PATH a `nix` that prints a recorded
//! system path and a `nixos-anywhere` stand-in that "installs" by making the node report
//! that generation. Proves: refusals (failed preflight, wrong name typed) touch nothing —
//! no stand-in runs, no file is written; --dry-run touches nothing; a confirmed install
//! waits for the host key and generation; waiting is bounded.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::path::{Path, PathBuf};

use n3x_core::rollout::{DeployReport, NodeStatus, Outcome};

const TOPLEVEL: &str = "/nix/store/8ql1bq4h1q6vd8kxg4sw5w0vbwzv3y0g-nixos-system-n100-1-25.05";

struct Deployer {
    repo: tempfile::TempDir,
    bin: PathBuf,
}

impl Deployer {
    fn calls(&self) -> String {
        std::fs::read_to_string(self.repo.path().join("deployer-calls.log")).unwrap_or_default()
    }
}

/// The deployer: a repository folder (cwd) and stand-in `nix` / `nixos-anywhere`.
/// `installs`: whether the nixos-anywhere stand-in makes the node report the new generation.
fn deployer(node: &common::Node, installs: bool) -> Deployer {
    let repo = tempfile::tempdir().unwrap();
    let bin = repo.path().join(".bin");
    std::fs::create_dir_all(&bin).unwrap();
    let log = repo.path().join("deployer-calls.log");
    common::stand_in(&bin, &log, "nix", &format!("[ \"$1\" = eval ] && echo {TOPLEVEL}"));
    let state = node.state();
    let body = if installs { format!("echo {TOPLEVEL} > '{}/current'", state.display()) } else { "true".into() };
    common::stand_in(&bin, &log, "nixos-anywhere", &body);
    Deployer { repo, bin }
}

/// The node's bootstrapped host key: the sshd's own key pair, in extra-files/n100-1.
fn place_host_key(node: &common::Node, repo: &Path) {
    let ssh = repo.join("extra-files/n100-1/etc/ssh");
    std::fs::create_dir_all(&ssh).unwrap();
    for f in ["ssh_host_ed25519_key", "ssh_host_ed25519_key.pub"] {
        std::fs::copy(node.sshd.dir.path().join(f), ssh.join(f)).unwrap();
    }
}

fn install(node: &common::Node, d: &Deployer, inv: &Path, extra: &[&str], stdin: &str) -> (i32, String, String) {
    let path = format!("{}:{}", d.bin.display(), std::env::var("PATH").unwrap());
    let out = common::cmd(node, inv, "install")
        .args(["n100-1", "--installer", "--deployer-system", "x86_64-linux", "--format", "json"])
        .args(extra)
        .current_dir(d.repo.path())
        .env("PATH", path)
        .write_stdin(stdin)
        .output()
        .unwrap();
    (
        out.status.code().unwrap(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn files_under(dir: &Path) -> Vec<String> {
    let mut v = Vec::new();
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            v.extend(files_under(&p));
        } else {
            v.push(p.display().to_string());
        }
    }
    v.sort();
    v
}

#[test]
fn confirmed_install_runs_nixos_anywhere_and_waits_for_key_and_generation_stand_in_nixos_anywhere() {
    let Some(node) = common::start("x86_64", "lsblk-nvme-installer.json") else { return };
    let inv = common::inventory(&node, &node.sshd.host_key, "500107862016");
    let d = deployer(&node, true);
    place_host_key(&node, d.repo.path());
    let (code, stdout, stderr) = install(&node, &d, &inv, &["--poll", "1"], "n100-1\n");
    assert_eq!(code, 0, "{stdout}\n{stderr}");
    let r: DeployReport = serde_json::from_str(&stdout).unwrap();
    assert_eq!(r.outcome, Outcome::Succeeded);
    assert_eq!(r.nodes[0].message, format!("installed; runs {TOPLEVEL}"));
    // The disk plan table was shown before the question.
    assert!(stderr.contains("ALL DATA ON IT IS ERASED"), "{stderr}");
    assert!(stderr.contains("Type the node name"), "{stderr}");
    let calls = d.calls();
    let lines: Vec<&str> = calls.lines().collect();
    assert_eq!(lines.len(), 2, "{calls}");
    assert_eq!(lines[0], "nix eval --raw .#nixosConfigurations.n100-1.config.system.build.toplevel.outPath");
    assert_eq!(
        lines[1],
        format!(
            "nixos-anywhere --flake .#n100-1 --target-host {}@127.0.0.1 -p {} -i {} --extra-files extra-files/n100-1 --build-on local",
            node.sshd.user,
            node.sshd.port,
            node.sshd.identity.display()
        )
    );
}

#[test]
fn waiting_is_bounded_stand_in_nixos_anywhere_that_leaves_the_old_system() {
    let Some(node) = common::start("x86_64", "lsblk-nvme-installer.json") else { return };
    let inv = common::inventory(&node, &node.sshd.host_key, "500107862016");
    let d = deployer(&node, false);
    place_host_key(&node, d.repo.path());
    std::fs::write(node.state().join("current"), "/nix/store/0ld-nixos-system\n").unwrap();
    let t = std::time::Instant::now();
    let (code, stdout, stderr) = install(&node, &d, &inv, &["--yes", "--wait-timeout", "3", "--poll", "1"], "");
    assert_eq!(code, 1, "{stdout}\n{stderr}");
    assert!(t.elapsed().as_secs() < 30, "bounded: {:?}", t.elapsed());
    let r: DeployReport = serde_json::from_str(&stdout).unwrap();
    assert_eq!((r.outcome, r.nodes[0].status), (Outcome::Failed, NodeStatus::Failed));
    assert!(
        r.nodes[0].message.contains("did not come back") && r.nodes[0].message.contains("/nix/store/0ld-nixos-system"),
        "{}",
        r.nodes[0].message
    );
}

#[test]
fn refusals_touch_nothing_stand_in_lsblk() {
    let mut cases = 0;
    // A failed preflight (the disk is mounted), then a wrong name typed back.
    for (recording, stdin, why) in [
        ("lsblk-nvme-running.json", "n100-1\n", "preflight failed: disk-unmounted"),
        ("lsblk-nvme-installer.json", "n100-2\n", "not confirmed"),
        ("lsblk-nvme-installer.json", "", "not confirmed"),
    ] {
        let Some(node) = common::start("x86_64", recording) else { return };
        let inv = common::inventory(&node, &node.sshd.host_key, "500107862016");
        let d = deployer(&node, true);
        place_host_key(&node, d.repo.path());
        let before = files_under(d.repo.path());
        let (code, stdout, stderr) = install(&node, &d, &inv, &[], stdin);
        assert_eq!(code, 5, "{why}: {stdout}\n{stderr}");
        let r: DeployReport = serde_json::from_str(&stdout).unwrap();
        assert_eq!(r.outcome, Outcome::Refused);
        assert!(
            r.nodes[0].message.contains(why) && r.nodes[0].message.contains("nothing was changed"),
            "{}",
            r.nodes[0].message
        );
        assert_eq!(d.calls(), "", "{why}: no deployer program may run");
        assert_eq!(files_under(d.repo.path()), before, "{why}: no file may be written");
        assert!(!node.state().join("current").exists());
        cases += 1;
    }
    assert_eq!(cases, 3);
}

#[test]
fn dry_run_prints_every_step_and_touches_nothing() {
    let Some(node) = common::start("x86_64", "lsblk-nvme-installer.json") else { return };
    let inv = common::inventory(&node, &node.sshd.host_key, "500107862016");
    let d = deployer(&node, true);
    let (code, stdout, stderr) = install(&node, &d, &inv, &["--dry-run"], "");
    assert_eq!(code, 0, "{stderr}");
    let steps: Vec<&str> =
        stdout.lines().filter(|l| !l.starts_with('#')).map(|l| l.split_whitespace().next().unwrap()).collect();
    assert_eq!(steps, ["preflight", "confirm", "host-key", "evaluate", "install", "wait"]);
    assert!(stdout.contains("nixos-anywhere --flake '.#n100-1' --target-host"), "{stdout}");
    assert_eq!(d.calls(), "");
    assert_eq!(node.calls(), "", "not even a probe");
    assert!(!d.repo.path().join("extra-files").exists() && !d.repo.path().join("hostkeys").exists());
}

#[test]
fn missing_host_key_is_generated_and_recorded_then_the_install_stops_for_a_render() {
    let Some(node) = common::start("x86_64", "lsblk-nvme-installer.json") else { return };
    let inv = common::inventory(&node, &node.sshd.host_key, "500107862016");
    // The inventory declares no key yet.
    let text = std::fs::read_to_string(&inv).unwrap();
    let text: String = text.lines().filter(|l| !l.contains("hostKey")).map(|l| format!("{l}\n")).collect();
    std::fs::write(&inv, text).unwrap();
    let d = deployer(&node, true);
    let (code, stdout, stderr) = install(&node, &d, &inv, &["--yes"], "");
    assert_eq!(code, 5, "{stdout}\n{stderr}");
    let r: DeployReport = serde_json::from_str(&stdout).unwrap();
    assert!(r.nodes[0].message.contains("Render again"), "{}", r.nodes[0].message);
    let key = d.repo.path().join("extra-files/n100-1/etc/ssh/ssh_host_ed25519_key");
    use std::os::unix::fs::PermissionsExt;
    assert_eq!(std::fs::metadata(&key).unwrap().permissions().mode() & 0o777, 0o600);
    let public = std::fs::read_to_string(key.with_extension("pub")).unwrap();
    assert!(public.starts_with("ssh-ed25519 ") && public.contains("root@n100-1"));
    assert_eq!(std::fs::read_to_string(d.repo.path().join("hostkeys/n100-1.pub")).unwrap(), public);
    // The real ssh-keygen reads the private key and derives the same public key.
    let out = std::process::Command::new("ssh-keygen").arg("-y").arg("-f").arg(&key).output().unwrap();
    assert!(out.status.success());
    assert!(public.starts_with(String::from_utf8_lossy(&out.stdout).trim()));
    assert_eq!(d.calls(), "", "nixos-anywhere must not run before the secrets are re-encrypted");
}
