//! The planner on the examples and on odd clusters: one node, two servers, seven servers
//! and forty agents, a first server reinstalled after bring-up. Pure: no machine involved.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use n3x_core::model::Role;
use n3x_core::rollout::{Action, BuildLocation, RolloutPlan, StepOn};
use n3x_core::{Cluster, Document, Error};
use n3x_deploy::plan::{plan, PlanOptions, REJOIN_DROPIN};

fn cluster_from(yaml: &str) -> Cluster {
    let doc = Document::parse("inventory.yaml", yaml).unwrap();
    n3x_core::normalize::load_cluster(&doc).unwrap_or_else(|d| panic!("{d}")).0
}

fn example(name: &str) -> Cluster {
    let p = n3x_testkit::repo_root().join(format!("examples/{name}/inventory.yaml"));
    cluster_from(&std::fs::read_to_string(p).unwrap())
}

/// A cluster of `servers` servers and `agents` agents on 10.0.0.0/16.
fn synthetic(servers: usize, agents: usize) -> Cluster {
    let mut y = String::from(
        "apiVersion: n3x.dev/v1alpha1\nkind: Inventory\ncluster: {name: big}\nnetworks:\n  cluster: {cidr: 10.0.0.0/16, gateway: 10.0.0.1}\nnodes:\n",
    );
    for i in 0..servers + agents {
        let (role, name) =
            if i < servers { ("server", format!("s{i}")) } else { ("agent", format!("a{}", i - servers)) };
        y.push_str(&format!(
            "  - {{name: {name}, role: {role}, addresses: {{cluster: 10.0.{}.{}}}, disk: {{device: /dev/disk/by-id/nvme-X_{i}, size: 256GB}}}}\n",
            1 + i / 200,
            10 + i % 200
        ));
    }
    cluster_from(&y)
}

fn opts(action: Action) -> PlanOptions {
    PlanOptions { action, ..PlanOptions::default() }
}

fn wave_names(p: &RolloutPlan) -> Vec<String> {
    p.waves.iter().map(|w| w.name.clone()).collect()
}

fn wave_nodes(p: &RolloutPlan) -> Vec<Vec<String>> {
    p.waves.iter().map(|w| w.nodes.iter().map(|n| n.node.to_string()).collect()).collect()
}

#[test]
fn edge_lab_install_first_server_alone_then_servers_then_agents() {
    let c = example("edge-lab");
    let p = plan(&c, &opts(Action::Install)).unwrap();
    assert!(!p.cluster_up, "a whole-cluster install is the first bring-up");
    assert_eq!(wave_nodes(&p), vec![vec!["n100-1"], vec!["n100-2"], vec!["n100-3"], vec!["jetson-1", "rpi-1"]]);
    assert_eq!(wave_names(&p), vec!["first-server", "server-n100-2", "server-n100-3", "agents-1"]);
    let first = &p.waves[0].nodes[0];
    assert!(first.join.cluster_init && first.join.server_addr.is_none());
    let mut joiners = 0;
    for n in p.waves.iter().skip(1).flat_map(|w| &w.nodes) {
        assert!(!n.join.cluster_init);
        assert_eq!(n.join.server_addr.as_deref(), Some("https://192.168.10.11:6443"));
        joiners += 1;
    }
    assert_eq!(joiners, 4);
    // The aarch64 nodes are built on the node from an x86 deployer, and the plan says so.
    let jetson = &p.waves[3].nodes[0];
    assert_eq!((jetson.system.as_str(), jetson.build), ("aarch64-linux", BuildLocation::Remote));
    assert!(jetson.build_reason.contains("built on the node"), "{}", jetson.build_reason);
    let install = jetson.steps.iter().find(|s| s.name == "install").unwrap();
    assert_eq!(install.on, StepOn::Local);
    assert_eq!(
        install.argv,
        [
            "nixos-anywhere",
            "--flake",
            ".#jetson-1",
            "--target-host",
            "root@192.168.10.21",
            "--extra-files",
            "extra-files/jetson-1",
            "--build-on",
            "remote"
        ]
    );
    // --binfmt moves it to the deployer.
    let p2 = plan(&c, &PlanOptions { binfmt: true, ..opts(Action::Install) }).unwrap();
    assert_eq!(p2.waves[3].nodes[0].build, BuildLocation::LocalEmulated);
    // Every install starts with the evaluate step and ends waiting for the generation it printed.
    let mut checked = 0;
    for n in p.waves.iter().flat_map(|w| &w.nodes) {
        let names: Vec<&str> = n.steps.iter().map(|s| s.name.as_str()).collect();
        assert_eq!(names, ["preflight", "confirm", "host-key", "evaluate", "install", "wait"], "{}", n.node);
        assert_eq!(n.steps[3].output.as_deref(), Some("toplevel"));
        assert!(n.steps[5].argv.contains(&"@toplevel@".to_string()));
        assert!(n.disk.as_ref().unwrap().device.starts_with("/dev/disk/by-id/"));
        checked += 1;
    }
    assert_eq!(checked, 5);
}

#[test]
fn the_argument_lists_use_only_documented_flags() {
    // nixos-anywhere docs/cli.md: -f/--flake, --target-host, -i, -p/--ssh-port,
    // --extra-files, --disk-encryption-keys <remote_path> <local_path>, --build-on auto|remote|local.
    // nix: eval --raw; build --no-link --print-out-paths --eval-store --store; copy --to.
    // systemd-run: --unit, --on-active, --timer-property. Nothing else may appear.
    let documented = [
        "--flake",
        "--target-host",
        "-i",
        "-p",
        "--extra-files",
        "--disk-encryption-keys",
        "--build-on",
        "--raw",
        "--no-link",
        "--print-out-paths",
        "--eval-store",
        "--store",
        "--to",
        "--unit",
        "--on-active",
        "--timer-property=AccuracySec=1s",
        "-f",
        "-c",
    ];
    let mut c = synthetic(2, 1);
    c.nodes[1].ssh.port = 2222;
    c.nodes[1].disk.encryption =
        Some(n3x_core::model::Encryption { key_file: Some("/tmp/disk.key".into()), password_file: None });
    c.nodes[2].system = "aarch64-linux".into();
    let mut seen = 0;
    for action in [Action::Install, Action::Update] {
        let p = plan(&c, &PlanOptions { identity: Some("id".into()), ..opts(action) }).unwrap();
        for s in p.waves.iter().flat_map(|w| &w.nodes).flat_map(|n| &n.steps) {
            if s.on == StepOn::N3x {
                continue;
            }
            for a in s.argv.iter().filter(|a| a.starts_with('-')) {
                assert!(documented.contains(&a.as_str()), "undocumented flag {a} in {:?}", s.argv);
                seen += 1;
            }
        }
    }
    assert!(seen > 30, "{seen}");
    let p = plan(&c, &PlanOptions { identity: Some("id".into()), ..opts(Action::Install) }).unwrap();
    let s1 = p.waves[1].nodes[0].steps.iter().find(|s| s.name == "install").unwrap();
    let w = |a: &str| s1.argv.iter().position(|x| x == a).unwrap();
    assert_eq!(s1.argv[w("-p") + 1], "2222");
    assert_eq!(s1.argv[w("-i") + 1], "id");
    assert_eq!(
        &s1.argv[w("--disk-encryption-keys") + 1..w("--disk-encryption-keys") + 3],
        ["/tmp/disk.key", "luks-keys/s1.key"]
    );
    let u = plan(&c, &opts(Action::Update)).unwrap();
    let build = &u.waves[1].nodes[0].steps[0];
    assert_eq!(build.env.get("NIX_SSHOPTS").map(String::as_str), Some("-p 2222"), "nix has no port flag");
    let agent = &u.waves[2].nodes[0];
    assert_eq!(agent.build, BuildLocation::Remote);
    assert!(agent.steps[0].argv.ends_with(&[
        "--eval-store".into(),
        "auto".into(),
        "--store".into(),
        "ssh-ng://root@10.0.1.12".into()
    ]));
    assert!(!agent.steps.iter().any(|s| s.name == "copy"), "built on the node: nothing to copy");
}

#[test]
fn one_node_cluster() {
    let c = example("single-node");
    assert_eq!(c.nodes.len(), 1);
    let p = plan(&c, &opts(Action::Install)).unwrap();
    assert_eq!(wave_names(&p), vec!["first-server"]);
    let u = plan(&c, &opts(Action::Update)).unwrap();
    assert_eq!(wave_nodes(&u), vec![vec![c.nodes[0].name.to_string()]]);
    // Reinstalling the only server after bring-up would lose etcd: refused, with the way out.
    let e = plan(&c, &PlanOptions { cluster_up: Some(true), ..opts(Action::Install) }).unwrap_err();
    let text = e.to_string();
    assert!(text.contains("only server") && text.contains("etcd snapshot"), "{text}");
}

#[test]
fn two_servers() {
    let c = synthetic(2, 0);
    let p = plan(&c, &opts(Action::Install)).unwrap();
    assert_eq!(wave_nodes(&p), vec![vec!["s0"], vec!["s1"]]);
    let u = plan(&c, &PlanOptions { canary: Some("s1".into()), ..opts(Action::Update) }).unwrap();
    assert_eq!(wave_names(&u), vec!["canary", "server-s0"]);
    assert_eq!(wave_nodes(&u), vec![vec!["s1"], vec!["s0"]]);
}

#[test]
fn seven_servers_and_forty_agents() {
    let c = synthetic(7, 40);
    for action in [Action::Install, Action::Update] {
        let p = plan(&c, &PlanOptions { batch: 8, ..opts(action) }).unwrap();
        let nodes = wave_nodes(&p);
        assert_eq!(nodes.len(), 7 + 5, "7 server waves, 40 agents in 5 batches of 8");
        for (i, w) in p.waves.iter().take(7).enumerate() {
            assert_eq!(w.nodes.len(), 1);
            assert_eq!(w.nodes[0].node.to_string(), format!("s{i}"));
            assert_eq!(w.nodes[0].role, Role::Server);
        }
        let mut agents = 0;
        for w in &p.waves[7..] {
            assert_eq!(w.nodes.len(), 8);
            assert!(w.nodes.iter().all(|n| n.role == Role::Agent));
            agents += w.nodes.len();
        }
        assert_eq!(agents, 40);
        let all: Vec<String> = nodes.concat();
        let mut sorted = all.clone();
        sorted.sort();
        sorted.dedup();
        assert_eq!(sorted.len(), 47, "every node exactly once");
    }
    // A canary agent leads, then the rest as before.
    let u = plan(&c, &PlanOptions { batch: 8, canary: Some("a17".into()), ..opts(Action::Update) }).unwrap();
    assert_eq!(wave_nodes(&u)[0], vec!["a17"]);
    assert_eq!(u.waves.len(), 1 + 7 + 5);
    assert_eq!(u.waves.last().unwrap().nodes.len(), 39 - 32);
}

#[test]
fn first_server_reinstalled_after_bring_up_joins_instead_of_starting_a_second_cluster() {
    let c = example("edge-lab");
    let only_first = PlanOptions { nodes: vec!["n100-1".into()], ..opts(Action::Install) };
    // Not saying whether the cluster runs is refused: guessing wrong creates a second cluster.
    match plan(&c, &only_first) {
        Err(Error::Usage(m)) => assert!(m.contains("--cluster-up") && m.contains("--first-bring-up"), "{m}"),
        other => panic!("expected a usage error, got {other:?}"),
    }
    let p = plan(&c, &PlanOptions { cluster_up: Some(true), ..only_first.clone() }).unwrap();
    assert!(p.cluster_up);
    assert_eq!(wave_names(&p), vec!["server-n100-1"]);
    let n = &p.waves[0].nodes[0];
    assert!(!n.join.cluster_init);
    assert_eq!(n.join.server_addr.as_deref(), Some("https://192.168.10.12:6443"), "joins through n100-2");
    assert!(n.join.override_note.as_deref().unwrap().contains("n100-2"));
    let rejoin = n.steps.iter().find(|s| s.name == "rejoin").unwrap();
    assert_eq!(rejoin.argv[1], format!("extra-files/n100-1/{REJOIN_DROPIN}"));
    // Installing joiners before the cluster exists is refused too.
    let e = plan(&c, &PlanOptions { nodes: vec!["n100-2".into()], cluster_up: Some(false), ..opts(Action::Install) })
        .unwrap_err();
    assert!(e.to_string().contains("install it first"), "{e}");
    // A joiner alone is a join into the running cluster without asking.
    let j = plan(&c, &PlanOptions { nodes: vec!["rpi-1".into()], ..opts(Action::Install) }).unwrap();
    assert!(j.cluster_up);
}

#[test]
fn bad_options_are_explained() {
    let c = example("edge-lab");
    let e = plan(&c, &PlanOptions { nodes: vec!["n100-9".into()], ..opts(Action::Update) }).unwrap_err();
    assert!(e.to_string().contains("no node named \"n100-9\"") && e.to_string().contains("n100-1"), "{e}");
    assert!(matches!(plan(&c, &PlanOptions { batch: 0, ..opts(Action::Update) }), Err(Error::Usage(_))));
    assert!(matches!(
        plan(&c, &PlanOptions { canary: Some("n100-2".into()), ..opts(Action::Install) }),
        Err(Error::Usage(_))
    ));
    assert!(matches!(
        plan(&c, &PlanOptions { nodes: vec!["n100-1".into()], canary: Some("n100-2".into()), ..opts(Action::Update) }),
        Err(Error::Usage(_))
    ));
}

#[test]
fn update_steps_arm_a_rollback_before_the_switch_and_disarm_after_the_confirmation() {
    let c = example("edge-lab");
    let p = plan(&c, &opts(Action::Update)).unwrap();
    let n = &p.waves[0].nodes[0];
    let names: Vec<&str> = n.steps.iter().map(|s| s.name.as_str()).collect();
    assert_eq!(names, ["build", "copy", "current", "arm-rollback", "switch", "confirm", "disarm", "gate"]);
    let arm = &n.steps[3];
    assert_eq!(arm.argv[..5], ["systemd-run", "--unit", "n3x-rollback", "--on-active", "300s"]);
    assert_eq!(arm.argv.last().unwrap(), "@previous@");
    assert_eq!(n.steps[4].argv.last().unwrap(), "@toplevel@");
    // The plan is deterministic and jq-friendly JSON.
    let a = serde_json::to_string_pretty(&p).unwrap();
    let b = serde_json::to_string_pretty(&plan(&c, &opts(Action::Update)).unwrap()).unwrap();
    assert_eq!(a, b);
    let back: RolloutPlan = serde_json::from_str(&a).unwrap();
    assert_eq!(back, p);
}
