//! update of a wave of several nodes, handled in parallel: each node is its own real sshd
//! on 127.0.0.1 with its own stand-ins (`switch-to-configuration`, `systemd-run`,
//! `systemctl`, `nix-env`; the server's `k3s` serves a recorded Node for every name). The
//! deployer's `nix build` stand-in marks itself in flight for a second and records how many
//! builds were in flight at once, so the tests see the bound of `--parallel` being used and
//! kept. A failed health gate in one wave stops the later waves; reports stay in plan order
//! and every line of the event stream and of each node's log is whole.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::path::PathBuf;

use n3x_core::rollout::{CheckStatus, DeployReport, NodeStatus, Outcome};
use serde_json::Value;

const NAMES: [&str; 5] = ["n100-1", "n100-2", "n100-3", "n100-4", "n100-5"];

struct Fleet {
    nodes: Vec<common::Node>,
    inv: PathBuf,
    deployer: tempfile::TempDir,
}

impl Fleet {
    fn deployer_bin(&self) -> PathBuf {
        self.deployer.path().join("bin")
    }
    /// How many builds were in flight at once, as each build saw it.
    fn peaks(&self) -> Vec<usize> {
        let text = std::fs::read_to_string(self.deployer.path().join("peaks")).unwrap_or_default();
        text.lines().map(|l| l.trim().parse().unwrap()).collect()
    }
}

/// A server and four agents; `unready`: the agent whose k3s node reports Ready=False.
fn fleet(unready: Option<&str>) -> Option<Fleet> {
    let mut nodes = Vec::new();
    for _ in NAMES {
        nodes.push(common::start("x86_64", "lsblk-nvme-installer.json")?);
    }
    // One identity logs in everywhere (the CLI takes one --identity).
    let identity = std::fs::read_to_string(nodes[0].sshd.identity.with_extension("pub")).unwrap();
    for n in &nodes[1..] {
        std::fs::write(n.sshd.dir.path().join("authorized_keys"), &identity).unwrap();
    }
    let deployer = tempfile::tempdir().unwrap();
    let bin = deployer.path().join("bin");
    let inflight = deployer.path().join("inflight");
    std::fs::create_dir_all(&bin).unwrap();
    std::fs::create_dir_all(&inflight).unwrap();
    let mut builds = String::new();
    let mut yaml = String::from(
        "apiVersion: n3x.dev/v1alpha1\nkind: Inventory\ncluster: {name: lab}\n\
         networks:\n  cluster: {cidr: 192.168.10.0/24, gateway: 192.168.10.1}\nnodes:\n",
    );
    for (i, (name, n)) in NAMES.iter().zip(&nodes).enumerate() {
        let (new, _) = common::updatable(n, name, "");
        builds.push_str(&format!("  *'.#nixosConfigurations.{name}.'*) out={};;\n", new.display()));
        yaml.push_str(&format!(
            "  - name: {name}\n    role: {}\n    hardware: n100\n    addresses: {{cluster: 192.168.10.{}}}\n\
             \x20   ssh: {{host: 127.0.0.1, port: {}, user: {}}}\n    hostKey: {}\n",
            if i == 0 { "server" } else { "agent" },
            11 + i,
            n.sshd.port,
            n.sshd.user,
            n.sshd.host_key
        ));
    }
    // kubectl on the server: a Ready node for every name, Ready=False for `unready`.
    let mut bad: Value =
        serde_json::from_str(&std::fs::read_to_string(common::recorded("kubectl-node-n100-1.json")).unwrap()).unwrap();
    for c in bad["status"]["conditions"].as_array_mut().unwrap() {
        if c["type"] == "Ready" {
            c["status"] = "False".into();
        }
    }
    let server = &nodes[0];
    let bad_file = server.dir.path().join("unready.json");
    std::fs::write(&bad_file, bad.to_string()).unwrap();
    common::stand_in(
        &server.bin,
        &server.dir.path().join("calls.log"),
        "k3s",
        &format!(
            "case \"$*\" in 'kubectl get node {} -o json') cat '{}';; 'kubectl get node '*) cat '{}';; \
             'kubectl get --raw /readyz/etcd') echo ok;; *) exit 1;; esac",
            unready.unwrap_or("none"),
            bad_file.display(),
            common::recorded("kubectl-node-n100-1.json").display()
        ),
    );
    // nix build ATTR …: in flight for a second, then record how many builds are, and print the generation.
    common::stand_in(
        &bin,
        &deployer.path().join("deployer-calls.log"),
        "nix",
        &format!(
            "[ \"$1\" = build ] || exit 0\ncase \"$2\" in\n{builds}  *) exit 1;;\nesac\n\
             me='{0}'/$$; touch \"$me\"; sleep 1; ls '{0}' | wc -l >> '{1}'; rm \"$me\"\necho \"$out\"",
            inflight.display(),
            deployer.path().join("peaks").display()
        ),
    );
    let inv = deployer.path().join("inventory.yaml");
    std::fs::write(&inv, yaml).unwrap();
    Some(Fleet { nodes, inv, deployer })
}

fn update(f: &Fleet, extra: &[&str]) -> (i32, DeployReport, Vec<Value>) {
    let args: Vec<&str> = ["--batch", "3", "--rollback-after", "60", "--confirm-timeout", "10"]
        .into_iter()
        .chain(extra.iter().copied())
        .collect();
    let (code, r, stderr) = common::run_update(&f.nodes[0], &f.inv, &f.deployer_bin(), &args);
    // Every line of the event stream is one whole JSON object.
    let events: Vec<Value> =
        stderr.lines().map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("torn line {l:?}: {e}"))).collect();
    (code, r, events)
}

fn order(r: &DeployReport) -> Vec<(&str, NodeStatus)> {
    r.nodes.iter().map(|n| (n.node.as_str(), n.status)).collect()
}

#[test]
fn wave_nodes_run_in_parallel_bounded_by_parallel_stand_in_switch_k3s() {
    let Some(f) = fleet(None) else { return };
    let mut runs = 0;
    for parallel in [2usize, 3] {
        let _ = std::fs::remove_file(f.deployer.path().join("peaks"));
        let logs = f.deployer.path().join(format!("logs-{parallel}"));
        let t = std::time::Instant::now();
        let (code, r, events) = update(&f, &["--parallel", &parallel.to_string(), "--log-dir", logs.to_str().unwrap()]);
        assert_eq!(code, 0, "{r:#?}");
        assert_eq!(r.outcome, Outcome::Succeeded);
        // Plan order, whatever order the threads finished in.
        assert_eq!(order(&r), NAMES.iter().map(|n| (*n, NodeStatus::Done)).collect::<Vec<_>>());
        // The server alone, then agents-1 (3 agents) `parallel` at a time, then agents-2 (1 agent).
        let peaks = f.peaks();
        assert_eq!(peaks.len(), 5, "{peaks:?}");
        assert_eq!(peaks.iter().max(), Some(&parallel), "never more than --parallel, and that many used: {peaks:?}");
        let waves: Vec<&str> =
            events.iter().filter(|e| e["event"] == "wave").map(|e| e["wave"].as_str().unwrap()).collect();
        assert_eq!(waves, ["server-n100-1", "agents-1", "agents-2"]);
        // Every node switched to its own new generation.
        for (name, n) in NAMES.iter().zip(&f.nodes) {
            let current = std::fs::read_to_string(n.state().join("current")).unwrap();
            assert!(current.trim().ends_with(&format!("new-nixos-system-{name}")), "{name}: {current}");
            // Its log holds its own events only, each line whole.
            let log = std::fs::read_to_string(logs.join(format!("{name}.log"))).unwrap();
            let own: Vec<Value> = log.lines().filter_map(|l| serde_json::from_str::<Value>(l).ok()).collect();
            assert!(own.len() >= 8, "{name}: {log}");
            assert!(own.iter().all(|e| e["node"] == *name), "{name}: {log}");
        }
        assert_eq!(r.checks.iter().filter(|c| c.name == "node-ready" && c.status == CheckStatus::Pass).count(), 5);
        assert!(t.elapsed().as_secs() < 60, "{:?}", t.elapsed());
        runs += 1;
    }
    assert_eq!(runs, 2);
}

#[test]
fn failed_gate_in_a_wave_stops_later_waves_after_the_whole_wave_is_gated_stand_in_k3s() {
    let Some(f) = fleet(Some("n100-3")) else { return };
    let (code, r, events) = update(&f, &["--parallel", "3"]);
    assert_eq!(code, 3, "{r:#?}");
    assert_eq!(r.outcome, Outcome::Partial);
    assert_eq!(
        order(&r),
        [
            ("n100-1", NodeStatus::Done),
            ("n100-2", NodeStatus::Done),
            ("n100-3", NodeStatus::Failed),
            ("n100-4", NodeStatus::Done),
            ("n100-5", NodeStatus::Skipped),
        ]
    );
    assert!(r.nodes[2].message.contains("health gate failed: node-ready"), "{}", r.nodes[2].message);
    assert_eq!(r.nodes[4].message, "not reached: n100-3 ended Failed in wave agents-1");
    // The later wave did not start: n100-5 still runs its old generation, and was never built.
    let current = std::fs::read_to_string(f.nodes[4].state().join("current")).unwrap();
    assert!(current.trim().ends_with("old-nixos-system-n100-5"), "{current}");
    assert!(!std::fs::read_to_string(f.deployer.path().join("deployer-calls.log")).unwrap().contains("n100-5"));
    // In agents-1 every node was confirmed on its new generation before any gate ran.
    let agents = ["n100-2", "n100-3", "n100-4"];
    let pos = |pred: &dyn Fn(&Value) -> bool| events.iter().position(pred);
    let mut confirmed = 0;
    for a in agents {
        let c = pos(&|e| e["event"] == "confirm" && e["node"] == a).unwrap_or_else(|| panic!("{a} not confirmed"));
        let first_gate = pos(&|e| e["step"] == "gate" && agents.contains(&e["node"].as_str().unwrap_or(""))).unwrap();
        assert!(c < first_gate, "{a}: confirm at {c}, first gate at {first_gate}");
        confirmed += 1;
    }
    assert_eq!(confirmed, 3);
}

/// util-linux `script`: runs a command on a pseudo-terminal and copies what it draws.
const SCRIPT: n3x_testkit::Tool =
    n3x_testkit::Tool { name: "script", package: "Debian package bsdutils (util-linux)", extra: &[] };

/// `n3x-deploy update …` with stdout and stderr on a real pseudo-terminal (`script`);
/// returns the exit code and everything the terminal received.
fn update_on_a_tty(f: &Fleet, script: &std::path::Path, extra: &[&str]) -> (i32, String) {
    let bin = assert_cmd::cargo::cargo_bin("n3x-deploy");
    let node = &f.nodes[0];
    let mut argv: Vec<String> = [bin.as_path(), f.inv.as_path(), node.sshd.identity.as_path()]
        .iter()
        .map(|p| p.display().to_string())
        .collect();
    argv.insert(1, "update".into());
    argv.insert(2, "-c".into());
    argv.insert(4, "--identity".into());
    argv.extend(
        ["--deployer-system", "x86_64-linux", "--poll", "1", "--batch", "3", "--parallel", "3"].map(String::from),
    );
    argv.extend(extra.iter().map(|s| s.to_string()));
    let line: Vec<String> = argv.iter().map(|a| format!("'{}'", a.replace('\'', "'\\''"))).collect();
    let out = std::process::Command::new(script)
        .args(["-qfec", &line.join(" "), "/dev/null"])
        .env("PATH", format!("{}:{}", f.deployer_bin().display(), std::env::var("PATH").unwrap()))
        .env("TERM", "xterm")
        .stdin(std::process::Stdio::null())
        .output()
        .unwrap();
    (out.status.code().unwrap(), String::from_utf8_lossy(&out.stdout).into_owned())
}

#[test]
fn progress_lines_on_a_terminal_only_real_script_pty() {
    let Some(script) = n3x_testkit::require(SCRIPT) else { return };
    let Some(f) = fleet(None) else { return };
    // On a terminal with the table: a line per node in flight (its name, then its step),
    // drawn and cleared with escape sequences; the table follows.
    let (code, tty) = update_on_a_tty(&f, &script, &[]);
    assert_eq!(code, 0, "{tty}");
    assert!(tty.contains('\x1b'), "the display draws with escape sequences: {tty:?}");
    let mut shown = 0;
    for name in NAMES {
        // "⠁ n100-2   0s build: NIX_SSHOPTS=… nix build …": the node, its time, its step.
        let line = |step: &str| {
            tty.match_indices(name).any(|(i, _)| tty[i..].chars().take(20).collect::<String>().contains(step))
        };
        assert!(line("build:") && line("confirm:") && line("gate:"), "{name}: {tty:?}");
        shown += 1;
    }
    assert_eq!(shown, 5);
    assert!(tty.contains("STATUS") && tty.contains("node-ready"), "the table after the display: {tty:?}");
    // Step lines are the display's: not also printed as scrolling human lines.
    assert!(!tty.contains("n3x-deploy: n100-2 build: step"), "{tty:?}");

    // --format json on the same terminal: nothing but the events and the report.
    let (code, json) = update_on_a_tty(&f, &script, &["--format", "json"]);
    assert_eq!(code, 0, "{json}");
    assert!(!json.contains('\x1b'), "no drawing in --format json: {json:?}");
    let events = json.lines().filter(|l| l.starts_with("{\"event\"")).count();
    assert!(events >= 40, "{json}");

    // Not a terminal: the human lines, no drawing.
    let path = format!("{}:{}", f.deployer_bin().display(), std::env::var("PATH").unwrap());
    let out = common::cmd(&f.nodes[0], &f.inv, "update")
        .args(["--deployer-system", "x86_64-linux", "--poll", "1", "--batch", "3"])
        .env("PATH", path)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    assert!(!stderr.contains('\x1b'), "{stderr:?}");
    assert!(stderr.contains("n3x-deploy: n100-2 build: step: NIX_SSHOPTS="), "{stderr}");
    assert!(stderr.contains("n3x-deploy: n100-2: check: node-ready pass: Ready=True"), "{stderr}");
}

#[test]
fn preflight_probes_nodes_in_parallel_and_reports_in_inventory_order_stand_in_uname() {
    let Some(f) = fleet(None) else { return };
    // `uname -m` (the probe's arch question) stays in flight for a second on every node and
    // records how many probes were in flight at once.
    let inflight = f.deployer.path().join("probing");
    std::fs::create_dir_all(&inflight).unwrap();
    let peaks = f.deployer.path().join("probe-peaks");
    for n in &f.nodes {
        common::stand_in(
            &n.bin,
            &n.dir.path().join("calls.log"),
            "uname",
            &format!(
                "case \"$1\" in -m) me='{0}'/$$; touch \"$me\"; sleep 1; ls '{0}' | wc -l >> '{1}'; rm \"$me\"; echo x86_64;; \
                 *) echo n100-1;; esac",
                inflight.display(),
                peaks.display()
            ),
        );
    }
    // known_hosts names the first node only; the others are trusted for this run and still
    // checked against the inventory's hostKey (the host-key check).
    let out = common::cmd(&f.nodes[0], &f.inv, "preflight")
        .args(["--parallel", "3", "--format", "json", "--accept-new"])
        .output()
        .unwrap();
    let r: DeployReport =
        serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&out.stderr)));
    let names: Vec<&str> = r.nodes.iter().map(|n| n.node.as_str()).collect();
    assert_eq!(names, NAMES, "{r:#?}");
    assert_eq!(r.outcome, n3x_core::rollout::Outcome::Succeeded, "{r:#?}");
    // Each node's checks follow one another, in inventory order.
    let order: Vec<&str> = r.checks.iter().filter_map(|c| c.node.as_deref()).collect();
    let mut dedup = order.clone();
    dedup.dedup();
    assert_eq!(dedup, NAMES, "{order:?}");
    let p: Vec<usize> = std::fs::read_to_string(&peaks).unwrap().lines().map(|l| l.trim().parse().unwrap()).collect();
    assert_eq!(p.len(), 5, "{p:?} {r:#?}");
    assert_eq!(p.iter().max(), Some(&3), "at most --parallel probes at once, and that many: {p:?}");
}
