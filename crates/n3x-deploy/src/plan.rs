//! The rollout planner: `Cluster` (+ options) → `RolloutPlan`. Pure: no file system,
//! no network, no clock; the deployer's system comes in as an option.
//!
//! Order rules (why they exist is in docs/n3x-deploy.md):
//! - install on first bring-up: the first server alone (it initializes etcd), then the
//!   other servers one at a time, then agents in batches;
//! - install after bring-up: a reinstalled first server joins through another server
//!   (never `clusterInit` again: that would start a second cluster), one server at a time;
//! - update: the canary alone when asked, then servers one at a time (etcd keeps
//!   quorum), then agents in batches.

use std::collections::BTreeMap;

use n3x_core::cluster::{Cluster, Node};
use n3x_core::model::Role;
use n3x_core::rollout::{Action, BuildLocation, Join, NodeRollout, PlanDisk, RolloutPlan, Step, StepOn, Wave};
use n3x_core::{Error, API_VERSION};

/// The profile NixOS boots and `nixos-rebuild` sets.
pub const SYSTEM_PROFILE: &str = "/nix/var/nix/profiles/system";

/// The one node-side switch program (`$1` is the system store path), used for the
/// switch and for the rollback alike: set the system profile, then activate — what
/// `nixos-rebuild switch` does on the target after copying the closure.
pub const SWITCH_SCRIPT: &str =
    "nix-env -p /nix/var/nix/profiles/system --set \"$1\" && exec \"$1/bin/switch-to-configuration\" switch";

/// The transient systemd unit that rolls a switch back unless n3x confirms it.
pub const ROLLBACK_UNIT: &str = "n3x-rollback";

/// Where the drop-in that makes a reinstalled first server join lives, relative to the
/// node's extra-files folder (k3s reads `config.yaml.d/*.yaml` next to its config file).
pub const REJOIN_DROPIN: &str = "etc/rancher/k3s/config.yaml.d/50-n3x-rejoin.yaml";

/// What to plan.
#[derive(Debug, Clone)]
pub struct PlanOptions {
    /// Install or update.
    pub action: Action,
    /// Only these nodes (all when empty), named as in the inventory.
    pub nodes: Vec<String>,
    /// Agents per wave (at least 1).
    pub batch: usize,
    /// A node updated alone before every other (update only).
    pub canary: Option<String>,
    /// Whether the cluster already runs; `None` lets the planner decide where that is
    /// safe (a whole-cluster install is a first bring-up, an update runs on a live cluster).
    pub cluster_up: Option<bool>,
    /// The flake reference (`.`).
    pub flake: String,
    /// The deployer's Nix system (`x86_64-linux`).
    pub deployer_system: String,
    /// Build foreign-architecture systems on the deployer through binfmt emulation
    /// instead of on the node.
    pub binfmt: bool,
    /// SSH private key for nixos-anywhere and nix copy, if not the agent's.
    pub identity: Option<String>,
    /// Folder of per-node `--extra-files` trees (`<dir>/<node>/…`).
    pub extra_files: String,
    /// Folder of LUKS key files on the deployer (`<dir>/<node>.key`).
    pub luks_keys: String,
    /// Seconds the node has to come back after a switch before it rolls itself back.
    pub rollback_after: u64,
}

impl Default for PlanOptions {
    fn default() -> Self {
        PlanOptions {
            action: Action::Update,
            nodes: Vec::new(),
            batch: 5,
            canary: None,
            cluster_up: None,
            flake: ".".into(),
            deployer_system: "x86_64-linux".into(),
            binfmt: false,
            identity: None,
            extra_files: "extra-files".into(),
            luks_keys: "luks-keys".into(),
            rollback_after: 300,
        }
    }
}

fn names(c: &Cluster) -> String {
    c.nodes.iter().map(|n| n.name.as_str()).collect::<Vec<_>>().join(", ")
}

/// Plans a rollout. Errors say which option to change.
pub fn plan(cluster: &Cluster, o: &PlanOptions) -> Result<RolloutPlan, Error> {
    if o.batch == 0 {
        return Err(Error::Usage("--batch must be at least 1".into()));
    }
    for n in o.nodes.iter().chain(o.canary.iter()) {
        if cluster.node(n).is_none() {
            return Err(Error::Failed(format!("no node named \"{n}\" in the cluster; nodes are: {}", names(cluster))));
        }
    }
    let selected: Vec<&Node> =
        cluster.nodes.iter().filter(|n| o.nodes.is_empty() || o.nodes.iter().any(|s| s == n.name.as_str())).collect();
    if let Some(c) = &o.canary {
        if o.action == Action::Install {
            return Err(Error::Usage(
                "--canary applies to update; an install already starts with one server alone".into(),
            ));
        }
        if !selected.iter().any(|n| n.name.as_str() == c) {
            return Err(Error::Usage(format!("the canary \"{c}\" is not among the selected nodes")));
        }
    }
    let first = cluster.nodes.iter().find(|n| n.cluster_init);
    let whole = selected.len() == cluster.nodes.len();
    let first_selected = first.is_some_and(|f| selected.iter().any(|n| n.name == f.name));
    let cluster_up = match (o.action, o.cluster_up) {
        (Action::Update, Some(false)) => {
            return Err(Error::Usage("an update needs a running cluster; install it first (--action install)".into()))
        }
        (Action::Update, _) => true,
        (Action::Install, Some(up)) => up,
        (Action::Install, None) if whole => false,
        (Action::Install, None) if first_selected => {
            return Err(Error::Usage(format!(
                "installing {} (the first server) without the rest of the cluster: say whether the cluster is \
                 already up. --cluster-up: it is a reinstall and joins through another server; \
                 --first-bring-up: it creates the cluster",
                first.map(|f| f.name.as_str()).unwrap_or_default()
            )))
        }
        (Action::Install, None) => true,
    };
    if o.action == Action::Install && !cluster_up && !first_selected {
        if let Some(f) = first {
            return Err(Error::Failed(format!(
                "the cluster is not up yet and {} (the first server, which creates it) is not in this install; \
                 install it first or together with these nodes",
                f.name
            )));
        }
    }

    let mut waves = Vec::new();
    let mut rest: Vec<&Node> = selected.clone();
    let mut take = |pred: &dyn Fn(&Node) -> bool| -> Vec<&Node> {
        let (hit, keep): (Vec<&Node>, Vec<&Node>) = rest.iter().partition(|n| pred(n));
        rest = keep;
        hit
    };
    if let Some(c) = &o.canary {
        let nodes = take(&|n: &Node| n.name.as_str() == c);
        waves.push((
            "canary".to_string(),
            "the canary goes first and alone; the rest waits for its health gate".to_string(),
            nodes,
        ));
    }
    if o.action == Action::Install && !cluster_up {
        let nodes = take(&|n: &Node| n.cluster_init);
        waves.push((
            "first-server".to_string(),
            "the first server alone: it initializes the cluster's etcd (clusterInit); every other node joins it"
                .to_string(),
            nodes,
        ));
    }
    for s in take(&|n: &Node| n.role == Role::Server) {
        waves.push((
            format!("server-{}", s.name),
            "servers one at a time, so etcd keeps its quorum".to_string(),
            vec![s],
        ));
    }
    let agents = take(&|_| true);
    for (i, chunk) in agents.chunks(o.batch).enumerate() {
        waves.push((format!("agents-{}", i + 1), format!("agents in batches of at most {}", o.batch), chunk.to_vec()));
    }

    let mut out = Vec::new();
    for (name, reason, nodes) in waves {
        let mut rollouts = Vec::new();
        for n in nodes {
            rollouts.push(node_rollout(cluster, n, o, cluster_up)?);
        }
        out.push(Wave { name, reason, nodes: rollouts });
    }
    Ok(RolloutPlan {
        api_version: API_VERSION.into(),
        kind: "RolloutPlan".into(),
        cluster: cluster.name.clone(),
        action: o.action,
        flake: o.flake.clone(),
        cluster_up,
        deployer_system: o.deployer_system.clone(),
        waves: out,
    })
}

/// The join of a node: as rendered, except a first server installed into a running
/// cluster, which joins through the first other server with a node address.
fn join(cluster: &Cluster, n: &Node, action: Action, cluster_up: bool) -> Result<Join, Error> {
    if !(n.cluster_init && cluster_up && action == Action::Install) {
        return Ok(Join { cluster_init: n.cluster_init, server_addr: n.server_addr.clone(), override_note: None });
    }
    let other = cluster.servers().filter(|s| s.name != n.name).find_map(|s| s.node_ip.map(|ip| (s, ip)));
    match other {
        Some((s, ip)) => {
            let url = match ip {
                std::net::IpAddr::V6(v6) => format!("https://[{v6}]:6443"),
                std::net::IpAddr::V4(v4) => format!("https://{v4}:6443"),
            };
            Ok(Join {
                cluster_init: false,
                server_addr: Some(url),
                override_note: Some(format!(
                    "reinstall after bring-up: joins the running cluster through {} instead of initializing a second one \
                     (n3x-deploy writes {REJOIN_DROPIN} into its extra files)",
                    s.name
                )),
            })
        }
        None => Err(Error::Failed(format!(
            "{} is the only server with an address: reinstalling it after bring-up destroys the cluster's etcd. \
             Restore it from an etcd snapshot instead, or pass --first-bring-up to create a new cluster on purpose",
            n.name
        ))),
    }
}

fn build_location(n: &Node, o: &PlanOptions) -> (BuildLocation, String) {
    if n.system == o.deployer_system {
        (BuildLocation::Local, format!("{} like the deployer", n.system))
    } else if o.binfmt {
        (
            BuildLocation::LocalEmulated,
            format!("{} on a {} deployer through binfmt emulation (--binfmt)", n.system, o.deployer_system),
        )
    } else {
        (
            BuildLocation::Remote,
            format!(
                "{} on a {} deployer: built on the node (pass --binfmt to build here through emulation)",
                n.system, o.deployer_system
            ),
        )
    }
}

fn local(name: &str, argv: Vec<String>) -> Step {
    Step { name: name.into(), on: StepOn::Local, argv, env: BTreeMap::new(), output: None }
}

fn on_node(name: &str, argv: &[&str]) -> Step {
    Step { name: name.into(), on: StepOn::Node, argv: strings(argv), env: BTreeMap::new(), output: None }
}

fn n3x(name: &str, argv: Vec<String>) -> Step {
    Step { name: name.into(), on: StepOn::N3x, argv, env: BTreeMap::new(), output: None }
}

fn strings(a: &[&str]) -> Vec<String> {
    a.iter().map(|s| s.to_string()).collect()
}

/// `<flake>#nixosConfigurations.<node>.config.system.build.toplevel`.
pub fn toplevel_attr(flake: &str, node: &str) -> String {
    format!("{flake}#nixosConfigurations.{node}.config.system.build.toplevel")
}

/// `NIX_SSHOPTS` for nix's ssh stores: port and identity (nix has no flags for them).
fn nix_sshopts(n: &Node, o: &PlanOptions) -> BTreeMap<String, String> {
    let mut opts = Vec::new();
    if n.ssh.port != 22 {
        opts.push(format!("-p {}", n.ssh.port));
    }
    if let Some(id) = &o.identity {
        opts.push(format!("-i {id}"));
    }
    let mut env = BTreeMap::new();
    if !opts.is_empty() {
        env.insert("NIX_SSHOPTS".to_string(), opts.join(" "));
    }
    env
}

fn node_rollout(cluster: &Cluster, n: &Node, o: &PlanOptions, cluster_up: bool) -> Result<NodeRollout, Error> {
    let (build, build_reason) = build_location(n, o);
    let join = join(cluster, n, o.action, cluster_up)?;
    let target = format!("{}@{}", n.ssh.user, n.ssh.host);
    let name = n.name.as_str();
    let mut steps = Vec::new();
    let store = format!("ssh-ng://{target}");
    match o.action {
        Action::Install => {
            steps.push(n3x("preflight", vec!["preflight".into(), name.into()]));
            steps.push(n3x("confirm", vec!["confirm-erase".into(), n.disk.device.clone()]));
            let extra = format!("{}/{name}", o.extra_files);
            steps.push(n3x(
                "host-key",
                vec!["bootstrap-host-key".into(), format!("{extra}/etc/ssh/ssh_host_ed25519_key")],
            ));
            if join.override_note.is_some() {
                steps.push(n3x("rejoin", vec!["write".into(), format!("{extra}/{REJOIN_DROPIN}")]));
            }
            let mut eval = local(
                "evaluate",
                vec!["nix".into(), "eval".into(), "--raw".into(), format!("{}.outPath", toplevel_attr(&o.flake, name))],
            );
            eval.output = Some("toplevel".into());
            steps.push(eval);
            let mut argv = strings(&["nixos-anywhere", "--flake"]);
            argv.push(format!("{}#{name}", o.flake));
            argv.extend(["--target-host".into(), target.clone()]);
            if n.ssh.port != 22 {
                argv.extend(["-p".into(), n.ssh.port.to_string()]);
            }
            if let Some(id) = &o.identity {
                argv.extend(["-i".into(), id.clone()]);
            }
            argv.extend(["--extra-files".into(), extra.clone()]);
            if let Some(enc) = &n.disk.encryption {
                for (remote, suffix) in [(enc.key_file.as_ref(), "key"), (enc.password_file.as_ref(), "password")] {
                    if let Some(remote) = remote {
                        argv.extend([
                            "--disk-encryption-keys".into(),
                            remote.clone(),
                            format!("{}/{name}.{suffix}", o.luks_keys),
                        ]);
                    }
                }
            }
            argv.extend([
                "--build-on".into(),
                match build {
                    BuildLocation::Remote => "remote".into(),
                    BuildLocation::Local | BuildLocation::LocalEmulated => "local".into(),
                },
            ]);
            steps.push(local("install", argv));
            steps.push(n3x("wait", strings(&["wait-ssh", name, "--host-key", "--generation", "@toplevel@"])));
        }
        Action::Update => {
            let mut argv = vec![
                "nix".to_string(),
                "build".into(),
                toplevel_attr(&o.flake, name),
                "--no-link".into(),
                "--print-out-paths".into(),
            ];
            if build == BuildLocation::Remote {
                argv.extend(["--eval-store".into(), "auto".into(), "--store".into(), store.clone()]);
            }
            let mut b = local("build", argv);
            b.output = Some("toplevel".into());
            b.env = nix_sshopts(n, o);
            steps.push(b);
            if build != BuildLocation::Remote {
                let mut c = local("copy", vec!["nix".into(), "copy".into(), "--to".into(), store, "@toplevel@".into()]);
                c.env = nix_sshopts(n, o);
                steps.push(c);
            }
            let mut cur = on_node("current", &["readlink", "-f", "/run/current-system"]);
            cur.output = Some("previous".into());
            steps.push(cur);
            let after = format!("{}s", o.rollback_after);
            steps.push(on_node(
                "arm-rollback",
                &[
                    "systemd-run",
                    "--unit",
                    ROLLBACK_UNIT,
                    "--on-active",
                    &after,
                    "--timer-property=AccuracySec=1s",
                    "/bin/sh",
                    "-c",
                    SWITCH_SCRIPT,
                    ROLLBACK_UNIT,
                    "@previous@",
                ],
            ));
            steps.push(on_node("switch", &["/bin/sh", "-c", SWITCH_SCRIPT, "n3x-switch", "@toplevel@"]));
            steps.push(n3x("confirm", strings(&["reconnect", name, "--host-key", "--generation", "@toplevel@"])));
            steps.push(on_node("disarm", &["systemctl", "stop", &format!("{ROLLBACK_UNIT}.timer")]));
            steps.push(n3x("gate", strings(&["health-gate", name])));
        }
    }
    Ok(NodeRollout {
        node: n.name.clone(),
        role: n.role,
        action: o.action,
        target,
        port: n.ssh.port,
        system: n.system.clone(),
        build,
        build_reason,
        join,
        disk: (o.action == Action::Install).then(|| PlanDisk { device: n.disk.device.clone(), size: n.disk.size }),
        steps,
    })
}
