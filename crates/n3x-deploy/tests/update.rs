//! update against a real sshd on 127.0.0.1 with stand-ins on the node's PATH
//! (`systemd-run` that arms a background timer, `systemctl`, `nix-env`, `k3s kubectl`
//! serving a recorded Node, and two system generations whose `switch-to-configuration`
//! stand-ins record which one runs) and on the deployer's (`nix build` printing the new
//! generation, `nix copy`). A switch that kills sshd and drops the connection must be rolled
//! back by the node itself and make the run exit 4; a good switch is confirmed over a fresh
//! connection, the timer disarmed, the health gate passed.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::path::{Path, PathBuf};

use n3x_core::rollout::{CheckStatus, DeployReport, NodeStatus, Outcome};

struct Setup {
    node: common::Node,
    inv: PathBuf,
    deployer_bin: PathBuf,
    new: PathBuf,
    old: PathBuf,
    _repo: tempfile::TempDir,
}

/// `drops`: the new generation's switch kills sshd and this session (a bad network change).
fn setup(drops: bool) -> Option<Setup> {
    let node = common::start("x86_64", "lsblk-nvme-installer.json")?;
    let inv = common::inventory(&node, &node.sshd.host_key, "500107862016");
    let log = node.dir.path().join("calls.log");
    let sshd_dir = node.sshd.dir.path();
    // Kill the listener, then the sshd serving this session: the connection drops.
    let kill = format!(
        "kill $(cat '{}/sshd.pid')\npid=$$\nwhile [ \"$pid\" -gt 1 ]; do\n  case $(cat /proc/$pid/comm) in sshd*) kill $pid; exit 0;; esac\n  pid=$(awk '{{print $4}}' /proc/$pid/stat)\ndone",
        sshd_dir.display()
    );
    let (new, old) = common::updatable(&node, "n100-1", if drops { &kill } else { "" });
    common::stand_in(
        &node.bin,
        &log,
        "k3s",
        &format!(
            "case \"$*\" in 'kubectl get node n100-1 -o json') cat '{}';; 'kubectl get --raw /readyz/etcd') echo ok;; *) exit 1;; esac",
            common::recorded("kubectl-node-n100-1.json").display()
        ),
    );
    let repo = tempfile::tempdir().unwrap();
    let deployer_bin = repo.path().join("bin");
    std::fs::create_dir_all(&deployer_bin).unwrap();
    common::stand_in(
        &deployer_bin,
        &repo.path().join("deployer-calls.log"),
        "nix",
        &format!("[ \"$1\" = build ] && echo {}; true", new.display()),
    );
    Some(Setup { node, inv, deployer_bin, new, old, _repo: repo })
}

fn update(s: &Setup, extra: &[&str]) -> (i32, DeployReport, String) {
    common::run_update(&s.node, &s.inv, &s.deployer_bin, extra)
}

fn kill_restarted_sshd(dir: &Path) {
    if let Ok(pid) = std::fs::read_to_string(dir.join("sshd.pid")) {
        let _ = std::process::Command::new("kill").arg(pid.trim()).status();
    }
}

#[test]
fn switch_that_drops_the_connection_is_rolled_back_on_the_node_stand_in_switch() {
    let Some(s) = setup(true) else { return };
    let t = std::time::Instant::now();
    let (code, r, stderr) = update(&s, &["--rollback-after", "4", "--confirm-timeout", "3"]);
    kill_restarted_sshd(s.node.sshd.dir.path());
    assert_eq!(code, 4, "{r:#?}\n{stderr}");
    assert_eq!(r.outcome, Outcome::RolledBack);
    let n = &r.nodes[0];
    assert_eq!(n.status, NodeStatus::RolledBack);
    assert!(
        n.message.contains("rolled itself back") && n.message.contains(&s.old.display().to_string()),
        "{}",
        n.message
    );
    // The node runs the old generation again, switched back by the timer armed before the switch.
    let current = std::fs::read_to_string(s.node.state().join("current")).unwrap();
    assert_eq!(current.trim(), s.old.display().to_string());
    let calls = s.node.calls();
    let order: Vec<&str> = calls.lines().map(|l| l.split_whitespace().next().unwrap()).collect();
    let pos = |c: &str| order.iter().position(|x| *x == c).unwrap_or_else(|| panic!("{c} not called: {calls}"));
    assert!(pos("systemd-run") < pos("switch-to-configuration"), "armed before the switch: {calls}");
    assert_eq!(order.iter().filter(|c| **c == "switch-to-configuration").count(), 2, "switch, then rollback: {calls}");
    assert!(!order.contains(&"k3s"), "no health gate after a rollback: {calls}");
    assert!(t.elapsed().as_secs() < 60, "{:?}", t.elapsed());
    let events: Vec<serde_json::Value> = stderr.lines().filter_map(|l| serde_json::from_str(l).ok()).collect();
    assert!(events.iter().any(|e| e["event"] == "lost"), "{stderr}");
}

#[test]
fn good_switch_is_confirmed_disarmed_and_gated_stand_in_switch_k3s() {
    let Some(s) = setup(false) else { return };
    let dir = tempfile::tempdir().unwrap();
    let events = dir.path().join("events.jsonl");
    let logs = dir.path().join("logs");
    let (code, r, stderr) = update(
        &s,
        &[
            "--rollback-after",
            "4",
            "--confirm-timeout",
            "3",
            "--events",
            events.to_str().unwrap(),
            "--log-dir",
            logs.to_str().unwrap(),
        ],
    );
    assert_eq!(code, 0, "{r:#?}\n{stderr}");
    assert_eq!(r.outcome, Outcome::Succeeded);
    assert_eq!(r.nodes[0].message, format!("switched and healthy; runs {}", s.new.display()));
    let gates: Vec<(&str, CheckStatus)> = r.checks.iter().map(|c| (c.name.as_str(), c.status)).collect();
    assert_eq!(
        gates,
        [
            ("no-failed-units", CheckStatus::Pass),
            ("node-ready", CheckStatus::Pass),
            ("etcd-healthy", CheckStatus::Pass)
        ]
    );
    // The timer was disarmed: past its deadline the node still runs the new generation.
    std::thread::sleep(std::time::Duration::from_secs(5));
    let current = std::fs::read_to_string(s.node.state().join("current")).unwrap();
    assert_eq!(current.trim(), s.new.display().to_string());
    assert!(s.node.calls().contains("systemctl stop n3x-rollback.timer"));
    // Events file and per-host log.
    let lines = std::fs::read_to_string(&events).unwrap();
    assert!(lines.lines().count() >= 10 && lines.lines().all(|l| serde_json::from_str::<serde_json::Value>(l).is_ok()));
    let log = std::fs::read_to_string(logs.join("n100-1.log")).unwrap();
    assert!(log.contains("$ nix build '.#nixosConfigurations.n100-1.config.system.build.toplevel' --no-link"), "{log}");
}

#[test]
fn rollback_switches_to_the_previous_profile_generation_and_checks_it_stand_in_nix_env() {
    let Some(s) = setup(false) else { return };
    let log = s.node.dir.path().join("calls.log");
    let state = s.node.state();
    std::fs::write(state.join("current"), format!("{}\n", s.new.display())).unwrap();
    std::fs::write(state.join("profile"), format!("{}\n", s.new.display())).unwrap();
    // nix-env --rollback moves the profile link to the generation before.
    common::stand_in(
        &s.node.bin,
        &log,
        "nix-env",
        &format!("case \"$*\" in *--rollback*) echo {} > '{}/profile';; esac", s.old.display(), state.display()),
    );
    common::stand_in(
        &s.old.join("bin"),
        &log,
        "switch-to-configuration",
        &format!("echo {} > '{}/current'", s.old.display(), state.display()),
    );
    let out = common::cmd(&s.node, &s.inv, "rollback").args(["n100-1", "--format", "json"]).output().unwrap();
    let r: DeployReport = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(out.status.code(), Some(0), "{r:#?}");
    assert_eq!(r.nodes[0].message, format!("rolled back from {} to {}; healthy", s.new.display(), s.old.display()));
    assert_eq!(std::fs::read_to_string(state.join("current")).unwrap().trim(), s.old.display().to_string());
    assert_eq!(r.checks.len(), 3, "health gate after the rollback");
    // Nothing before it: refused as a failure, not silently "done".
    let again = common::cmd(&s.node, &s.inv, "rollback").args(["n100-1", "--format", "json"]).output().unwrap();
    let r2: DeployReport = serde_json::from_slice(&again.stdout).unwrap();
    assert_eq!(again.status.code(), Some(1));
    assert!(r2.nodes[0].message.contains("no generation before"), "{}", r2.nodes[0].message);
}

#[test]
fn recorded_host_key_pins_the_sessions_stand_in_switch() {
    let Some(s) = setup(false) else { return };
    // The inventory declares no hostKey; the repository records one for n100-1.
    let text = std::fs::read_to_string(&s.inv).unwrap();
    let text: String = text.lines().filter(|l| !l.contains("hostKey")).map(|l| format!("{l}\n")).collect();
    std::fs::write(&s.inv, text).unwrap();
    let repo = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(repo.path().join("hostkeys")).unwrap();
    let path = format!("{}:{}", s.deployer_bin.display(), std::env::var("PATH").unwrap());
    let mut runs = 0;
    for (recorded, code) in [(OTHER_KEY.to_string(), 1), (s.node.sshd.host_key.clone(), 0)] {
        std::fs::write(repo.path().join("hostkeys/n100-1.pub"), format!("{recorded}\n")).unwrap();
        // known_hosts lists the machine's real key: only the pinning can refuse it.
        let out = common::cmd(&s.node, &s.inv, "update")
            .args(["--deployer-system", "x86_64-linux", "--format", "json", "--poll", "1", "--confirm-timeout", "2"])
            .current_dir(repo.path())
            .env("PATH", &path)
            .output()
            .unwrap();
        let r: DeployReport = serde_json::from_slice(&out.stdout).unwrap();
        assert_eq!(out.status.code(), Some(code), "{r:#?}");
        if code == 1 {
            assert_eq!(r.nodes[0].status, NodeStatus::Failed);
            assert!(r.nodes[0].message.contains("does not match"), "{}", r.nodes[0].message);
            assert!(
                !s.node.calls().contains("systemd-run"),
                "nothing ran on a machine with another key: {}",
                s.node.calls()
            );
        }
        runs += 1;
    }
    assert_eq!(runs, 2);
}

/// A valid ed25519 host key that is not the test machine's.
const OTHER_KEY: &str = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIJ8IaCWuV5wnZ3tvu25sQVBj/PXCpJkqA+vl41DBI7Vm root@n100-1";
