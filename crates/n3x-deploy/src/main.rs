//! `n3x-deploy`: arguments, reading, writing and exit codes. Everything else is in the library.

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Duration;

use clap::{CommandFactory, Parser, Subcommand, ValueEnum};
use n3x_core::cli::{report_warnings, run, Error};
use n3x_core::cluster::Node;
use n3x_core::io::{read_document, to_json, write_atomic, write_stdout};
use n3x_core::rollout::Action;
use n3x_core::Cluster;
use n3x_deploy::plan::{plan, PlanOptions};
use n3x_deploy::preflight::PreflightOptions;
use n3x_deploy::report::Recorder;
use n3x_deploy::TOOL;
use n3x_inventory::probe::Remote;

/// Install, update, verify and roll back the nodes of an n3x cluster, in safe waves.
///
/// Input is an n3x Inventory or Cluster (YAML or JSON), from FILE or standard input.
/// Exit codes: 0 success, 1 failed (input rejected or a step failed), 2 usage,
/// 3 partial (some nodes done, then a failure stopped the run), 4 a node was rolled
/// back, 5 refused (a preflight or the confirmation said no; nothing was changed).
#[derive(Debug, Parser)]
#[command(name = "n3x-deploy", version, propagate_version = true)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, clap::Args)]
struct Input {
    /// Inventory or Cluster (YAML or JSON); standard input when absent or `-`.
    #[arg(long = "cluster", short = 'c', value_name = "FILE", global = true, id = "cluster")]
    file: Option<PathBuf>,
    /// Probe facts to merge (Inventory input), as `n3x-inventory probe --out` writes them.
    #[arg(long = "facts", value_name = "FACTS", global = true)]
    facts: Vec<PathBuf>,
    /// Treat warnings as errors.
    #[arg(long, global = true)]
    deny_warnings: bool,
}

#[derive(Debug, clap::Args)]
struct PlanArgs {
    /// Install (wipes disks) or update (switches running nodes).
    #[arg(long, value_enum, default_value_t = ActionArg::Update)]
    action: ActionArg,
    /// Only these nodes (comma-separated or repeated); all when absent.
    #[arg(long, value_delimiter = ',', value_name = "NODE")]
    nodes: Vec<String>,
    #[command(flatten)]
    waves: WaveArgs,
    #[command(flatten)]
    join: JoinArgs,
    #[command(flatten)]
    build: BuildArgs,
    /// SSH private key passed to nixos-anywhere and nix (else the agent's).
    #[arg(long, short = 'i', value_name = "FILE")]
    identity: Option<PathBuf>,
}

/// The shape of the waves and the rollback timer (plan, update).
#[derive(Debug, clap::Args)]
struct WaveArgs {
    /// Agents per wave.
    #[arg(long, default_value_t = 5, value_name = "N")]
    batch: usize,
    /// Update this node alone first; the rest waits for its health gate.
    #[arg(long, value_name = "NODE")]
    canary: Option<String>,
    /// Seconds after the switch at which an unconfirmed node rolls itself back.
    #[arg(long, default_value_t = 300, value_name = "SECONDS")]
    rollback_after: u64,
}

/// Whether the cluster already runs, for an install of its first server (plan, install).
#[derive(Debug, clap::Args)]
struct JoinArgs {
    /// The cluster already runs: a reinstalled first server joins through another server.
    #[arg(long, conflicts_with = "first_bring_up")]
    cluster_up: bool,
    /// The cluster does not run yet: the first server initializes it.
    #[arg(long)]
    first_bring_up: bool,
}

impl JoinArgs {
    /// `None` when neither was said: the planner decides where that is safe.
    fn cluster_up(&self) -> Option<bool> {
        match (self.cluster_up, self.first_bring_up) {
            (true, _) => Some(true),
            (_, true) => Some(false),
            _ => None,
        }
    }
}

/// What every subcommand that reaches machines takes: the input, how to reach the nodes,
/// where the record of the run goes.
#[derive(Debug, clap::Args)]
struct Machines {
    #[command(flatten)]
    input: Input,
    #[command(flatten)]
    ssh: SshArgs,
    #[command(flatten)]
    run: RunArgs,
}

#[derive(Debug, clap::Args)]
struct BuildArgs {
    /// The flake the systems come from.
    #[arg(long, default_value = ".", value_name = "REF")]
    flake: String,
    /// Build other-architecture systems here through binfmt emulation instead of on the node.
    #[arg(long)]
    binfmt: bool,
    /// The deployer's Nix system; defaults to this machine's.
    #[arg(long, value_name = "SYSTEM")]
    deployer_system: Option<String>,
    /// Folder of per-node --extra-files trees (DIR/<node>/…).
    #[arg(long, default_value = "extra-files", value_name = "DIR")]
    extra_files: String,
    /// Folder of LUKS key files on this machine (DIR/<node>.key, DIR/<node>.password).
    #[arg(long, default_value = "luks-keys", value_name = "DIR")]
    luks_keys: String,
}

#[derive(Debug, clap::Args)]
struct SshArgs {
    /// SSH private key (else the agent's, then ~/.ssh/id_ed25519).
    #[arg(long, short = 'i', value_name = "FILE")]
    identity: Option<PathBuf>,
    /// known_hosts to verify the nodes against (default ~/.ssh/known_hosts).
    #[arg(long, value_name = "FILE")]
    known_hosts: Option<PathBuf>,
    /// Trust a node that known_hosts does not list yet (a changed key is always refused).
    #[arg(long)]
    accept_new: bool,
    /// Seconds to wait for a connection or an answer.
    #[arg(long, default_value_t = 10, value_name = "SECONDS")]
    timeout: u64,
}

#[derive(Debug, clap::Args)]
struct RunArgs {
    /// Output: a table of checks, or the DeployReport JSON (events then go to stderr as JSON lines).
    #[arg(long, value_enum, default_value_t = FormatArg::Table)]
    format: FormatArg,
    /// Write the JSON-lines event stream to FILE.
    #[arg(long, value_name = "FILE")]
    events: Option<PathBuf>,
    /// Write one log file per node into DIR (DIR/<node>.log).
    #[arg(long, value_name = "DIR")]
    log_dir: Option<PathBuf>,
    /// Also write the final DeployReport JSON to FILE.
    #[arg(long, value_name = "FILE")]
    report: Option<PathBuf>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum FormatArg {
    /// A table of checks and node results.
    Table,
    /// The DeployReport JSON.
    Json,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
enum ActionArg {
    Install,
    Update,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
enum SchemaArg {
    /// The RolloutPlan document.
    Rolloutplan,
    /// The DeployReport document.
    Deployreport,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Plan a rollout: waves in a safe order, per node the build location and exact commands (RolloutPlan JSON).
    ///
    /// Example: n3x-deploy plan -c cluster.json --action install
    #[command(after_help = "Examples:\n  n3x-deploy plan -c inventory.yaml --action install\n  \
        n3x-deploy plan -c cluster.json --canary n100-3 --batch 10 | jq '.waves[].name'\n  \
        n3x-deploy plan -c cluster.json --action install --nodes n100-1 --cluster-up")]
    Plan {
        /// Inventory or Cluster (YAML or JSON); same as --cluster.
        #[arg(value_name = "FILE")]
        path: Option<PathBuf>,
        #[command(flatten)]
        input: Input,
        #[command(flatten)]
        plan: Box<PlanArgs>,
        /// Write to FILE instead of standard output.
        #[arg(short = 'o', long = "output", value_name = "FILE")]
        output: Option<PathBuf>,
    },
    /// Probe nodes and compare them with the inventory before anything destructive.
    ///
    /// Example: n3x-deploy preflight n100-1 -c cluster.json
    #[command(after_help = "Examples:\n  n3x-deploy preflight n100-1 n100-2 -c cluster.json\n  \
        n3x-deploy preflight jetson-1 -c cluster.json --installer --format json | jq '.checks[] | select(.status==\"fail\")'\n\n\
        Checks: arch (uname -m against the hardware profile), disk-exists (the declared device resolves \
        to a whole disk; its partitions are shown), disk-size (not smaller, at most 5% larger), \
        disk-unmounted, nics (names and MACs), host-key (the inventory's key). Exit 5 when any fails.")]
    Preflight {
        /// Nodes to check (all when none).
        #[arg(value_name = "NODE")]
        nodes: Vec<String>,
        #[command(flatten)]
        machines: Machines,
        /// The targets run an installer image: skip the host-key check.
        #[arg(long)]
        installer: bool,
        /// Probe at most N nodes at once.
        #[arg(long, default_value_t = 4, value_name = "N", value_parser = clap::value_parser!(u16).range(1..))]
        parallel: u16,
    },
    /// Install a node: preflight, show what is erased, confirm, host key, nixos-anywhere, wait.
    ///
    /// Example: n3x-deploy install n100-1 -c cluster.json --installer
    #[command(after_help = "Examples:\n  n3x-deploy install n100-1 -c cluster.json --installer --dry-run\n  \
        n3x-deploy install n100-1 -c cluster.json --installer            # asks for the node name\n  \
        n3x-deploy install n100-1 -c cluster.json --cluster-up --yes     # reinstall into the running cluster\n\n\
        Nothing is erased unless the preflight passed and the node name was typed back (or --yes).\n\
        Run it in the rendered cluster repository: a new host key is recorded in hostkeys/ and the node's\n\
        secrets are re-encrypted for it (.sops.yaml, updatekeys) with the admin identity from\n\
        N3X_ADMIN_IDENTITY or SOPS_AGE_KEY_FILE, before nixos-anywhere runs.\n\
        --dry-run prints every step and touches nothing. Exit 5 when refused, 1 when a step failed.")]
    Install {
        /// The node to install.
        #[arg(value_name = "NODE")]
        node: String,
        #[command(flatten)]
        machines: Machines,
        #[command(flatten)]
        build: BuildArgs,
        /// Print every step and touch nothing.
        #[arg(long)]
        dry_run: bool,
        /// Do not ask for the node name (scripts, CI).
        #[arg(long)]
        yes: bool,
        /// The target runs an installer image (its host key is not the node's; skip that preflight check).
        #[arg(long)]
        installer: bool,
        #[command(flatten)]
        join: JoinArgs,
        /// Seconds to wait for the installed node to come back.
        #[arg(long, default_value_t = 900, value_name = "SECONDS")]
        wait_timeout: u64,
        /// Seconds between attempts while waiting.
        #[arg(long, default_value_t = 10, value_name = "SECONDS")]
        poll: u64,
    },
    /// Update running nodes wave by wave: build, copy, arm an on-node rollback, switch, confirm, health gate.
    ///
    /// Example: n3x-deploy update -c cluster.json --canary n100-3
    #[command(
        after_help = "Examples:\n  n3x-deploy update -c cluster.json                       # every node, safe order\n  \
        n3x-deploy update n100-2 -c cluster.json --rollback-after 120\n  \
        n3x-deploy update -c cluster.json --canary rpi-1 --batch 10 --parallel 5 --events events.jsonl --log-dir logs\n\n\
        The nodes of a wave switch at most --parallel at once; their health gates run when the whole wave is switched.\n\
        Before each switch a transient systemd timer (n3x-rollback) is armed on the node; unless a fresh SSH\n\
        connection confirms the new generation within --confirm-timeout, the node switches itself back.\n\
        Exit 4 when a node was rolled back, 3 when some nodes were done before a failure, 1 on failure."
    )]
    Update {
        /// Nodes to update (all when none).
        #[arg(value_name = "NODE")]
        nodes: Vec<String>,
        #[command(flatten)]
        machines: Machines,
        #[command(flatten)]
        build: BuildArgs,
        #[command(flatten)]
        waves: WaveArgs,
        /// At most N nodes of a wave at once (the wave's health gate follows when all are switched).
        #[arg(long, default_value_t = 4, value_name = "N", value_parser = clap::value_parser!(u16).range(1..))]
        parallel: u16,
        /// Seconds a fresh connection has to confirm the switch.
        #[arg(long, default_value_t = 120, value_name = "SECONDS")]
        confirm_timeout: u64,
        /// Seconds between attempts.
        #[arg(long, default_value_t = 5, value_name = "SECONDS")]
        poll: u64,
        /// Print the plan's steps and touch nothing.
        #[arg(long)]
        dry_run: bool,
    },
    /// Check the running cluster: nodes Ready with labels/taints, generations, Kyverno PATH policy, Longhorn, MetalLB, Argo CD.
    ///
    /// Example: n3x-deploy verify cluster.json
    #[command(after_help = "Examples:\n  n3x-deploy verify cluster.json\n  \
        n3x-deploy verify cluster.json --format json | jq '.checks[] | select(.status==\"fail\")'\n\n\
        kubectl runs on the first server that answers (k3s kubectl … -o json); the generation check compares\n\
        readlink -f /run/current-system on every node with nix eval of the flake (--no-generations skips it).\n\
        Every fixed LoadBalancer address of the inventory must be assigned to its Service and answer a TCP\n\
        connect from here within --timeout.\n\
        Exit 0 when every check passes, 1 otherwise.")]
    Verify {
        /// Inventory or Cluster (YAML or JSON); same as --cluster.
        #[arg(value_name = "FILE")]
        path: Option<PathBuf>,
        #[command(flatten)]
        machines: Machines,
        /// The flake the rendered generations come from.
        #[arg(long, default_value = ".", value_name = "REF")]
        flake: String,
        /// Do not compare the running generations with the flake.
        #[arg(long)]
        no_generations: bool,
    },
    /// Switch nodes back to their previous generation, then check they run it and are healthy.
    ///
    /// Example: n3x-deploy rollback n100-2 -c cluster.json
    #[command(after_help = "Examples:\n  n3x-deploy rollback n100-2 -c cluster.json\n\n\
        On each node: nix-env -p /nix/var/nix/profiles/system --rollback, switch-to-configuration switch of\n\
        that generation, then a fresh connection must see it and the health gate must pass. Nodes one at a time;\n\
        the first failure stops. Exit 0 when every node is back and healthy, 1 or 3 otherwise.")]
    Rollback {
        /// Nodes to roll back.
        #[arg(value_name = "NODE", required = true)]
        nodes: Vec<String>,
        #[command(flatten)]
        machines: Machines,
    },
    /// Print the JSON Schema of the RolloutPlan or DeployReport document.
    ///
    /// Example: n3x-deploy schema rolloutplan > schemas/rolloutplan.schema.json
    Schema {
        /// Which document.
        #[arg(value_enum)]
        kind: SchemaArg,
    },
    /// Print a shell completion script.
    ///
    /// Example: n3x-deploy completions bash > /etc/bash_completion.d/n3x-deploy
    Completions {
        /// Shell.
        shell: clap_complete::Shell,
    },
    /// Print the man page (roff).
    ///
    /// Example: n3x-deploy man > n3x-deploy.1
    Man,
}

fn load(input: &Input) -> Result<Cluster, Error> {
    let doc = read_document(input.file.as_deref())?;
    let mut facts = Vec::new();
    let mut problems = n3x_core::Diagnostics::new();
    for f in &input.facts {
        let fdoc = read_document(Some(f))?;
        match n3x_core::decode::expect_kind(&fdoc, &["Facts"])
            .and_then(|_| n3x_core::decode::decode_document(&fdoc).map_err(|d| n3x_core::Diagnostics(vec![d])))
        {
            Ok(x) => facts.push(x),
            Err(d) => problems.extend(d),
        }
    }
    if problems.has_errors() {
        return Err(Error::Rejected(problems));
    }
    let (mut cluster, warnings) = n3x_core::normalize::load_cluster_with_facts(&doc, &facts)?;
    report_warnings(TOOL, &warnings, input.deny_warnings)?;
    // Host keys recorded in the repository (hostkeys/<node>.pub, by install, bootstrap-host
    // or host-key; render reads them too) count as the node's hostKey where the inventory
    // has none, so sessions to those nodes are pinned to them. The inventory's key wins.
    let recorded = Path::new(RECORDED_HOST_KEYS);
    if recorded.is_dir() {
        for w in n3x_secrets::app::apply_host_keys(&mut cluster, recorded)? {
            if input.deny_warnings {
                return Err(Error::Failed(w));
            }
            eprintln!("{TOOL}: warning: {w}");
        }
    }
    Ok(cluster)
}

/// Where the cluster repository records host public keys (`hostkeys/<node>.pub`).
const RECORDED_HOST_KEYS: &str = "hostkeys";

/// This machine's Nix system double.
fn this_system() -> String {
    format!("{}-{}", std::env::consts::ARCH, std::env::consts::OS)
}

/// The planner's options from the shared argument groups; `waves` and `join` are absent
/// where the subcommand has no such choice (install has no waves, update no join).
fn plan_options(
    action: Action,
    nodes: Vec<String>,
    waves: Option<&WaveArgs>,
    join: Option<&JoinArgs>,
    build: &BuildArgs,
    identity: Option<&Path>,
) -> PlanOptions {
    let d = PlanOptions::default();
    PlanOptions {
        action,
        nodes,
        batch: waves.map_or(d.batch, |w| w.batch),
        canary: waves.and_then(|w| w.canary.clone()),
        rollback_after: waves.map_or(d.rollback_after, |w| w.rollback_after),
        cluster_up: join.and_then(JoinArgs::cluster_up),
        identity: identity.map(|i| i.display().to_string()),
        flake: build.flake.clone(),
        deployer_system: build.deployer_system.clone().unwrap_or_else(this_system),
        binfmt: build.binfmt,
        extra_files: build.extra_files.clone(),
        luks_keys: build.luks_keys.clone(),
    }
}

/// The confirmation prompt on the terminal: question on stderr, answer from stdin.
struct StdinPrompt;

impl n3x_deploy::install::Prompt for StdinPrompt {
    fn ask(&mut self, question: &str) -> Result<String, String> {
        eprint!("{question}");
        let mut line = String::new();
        std::io::stdin().read_line(&mut line).map_err(|e| n3x_core::io::describe_io(&e))?;
        Ok(line.trim_end_matches(['\n', '\r']).to_string())
    }
}

fn emit(output: Option<&Path>, text: &str) -> Result<(), Error> {
    match output {
        Some(p) if p.as_os_str() != "-" => write_atomic(p, text.as_bytes(), None),
        _ => write_stdout(text.as_bytes()),
    }
}

fn ssh_options(a: &SshArgs) -> n3x_deploy::connect::SshOptions {
    let home = std::env::var_os("HOME").map(PathBuf::from).unwrap_or_default();
    n3x_deploy::connect::SshOptions {
        identity: a.identity.clone(),
        known_hosts: a.known_hosts.clone().unwrap_or_else(|| home.join(".ssh/known_hosts")),
        accept_new: a.accept_new,
        timeout: std::time::Duration::from_secs(a.timeout.max(1)),
    }
}

fn recorder(command: &str, a: &RunArgs) -> Result<Recorder, Error> {
    let events: Option<Box<dyn std::io::Write + Send>> = match &a.events {
        Some(p) => Some(Box::new(
            std::fs::File::create(p).map_err(|e| Error::Write { path: p.display().to_string(), source: e })?,
        )),
        None if a.format == FormatArg::Json => Some(Box::new(std::io::stderr())),
        None => None,
    };
    let human = a.format == FormatArg::Table;
    let rec = Recorder::new(command, events, human, a.log_dir.clone());
    // A line per node in flight, only for a person watching a terminal: never in
    // --format json, never into a pipe or file (the stream and report stay byte-clean).
    if human && std::io::IsTerminal::is_terminal(&std::io::stderr()) {
        return Ok(rec.with_progress(n3x_deploy::progress::Progress::stderr()));
    }
    Ok(rec)
}

/// A machine-facing run: the cluster, how to reach its nodes, the record.
struct Run {
    cluster: Cluster,
    ssh: n3x_deploy::connect::SshOptions,
    rec: Recorder,
}

impl Run {
    fn start(command: &str, m: &Machines) -> Result<Run, Error> {
        Ok(Run { cluster: load(&m.input)?, ssh: ssh_options(&m.ssh), rec: recorder(command, &m.run)? })
    }
}

/// Sessions checked against known_hosts only: targets that may still run an installer
/// image (preflight, install's first contact).
fn plain(o: &n3x_deploy::connect::SshOptions) -> impl Fn(&Node) -> Result<Box<dyn Remote>, String> + Sync + '_ {
    move |n| Ok(Box::new(n3x_deploy::connect::connect(n, o)?) as Box<dyn Remote>)
}

/// Sessions to running nodes: pinned to the inventory's host key when it has one.
fn pinned(o: &n3x_deploy::connect::SshOptions) -> impl Fn(&Node) -> Result<Box<dyn Remote>, String> + Sync + '_ {
    move |n| {
        Ok(Box::new(match &n.host_key {
            Some(k) => n3x_deploy::connect::connect_expecting(n, o, k)?,
            None => n3x_deploy::connect::connect(n, o)?,
        }) as Box<dyn Remote>)
    }
}

/// Prints the report (table or JSON), writes --report, and returns the exit code.
fn finish(rec: &mut Recorder, a: &RunArgs) -> Result<u8, Error> {
    let report = rec.finish();
    for e in rec.errors() {
        eprintln!("{TOOL}: warning: {e}");
    }
    let json = to_json(&report)?;
    if let Some(p) = &a.report {
        write_atomic(p, json.as_bytes(), None)?;
    }
    match a.format {
        FormatArg::Json => write_stdout(json.as_bytes())?,
        FormatArg::Table => write_stdout(n3x_deploy::report::table(&report.checks).as_bytes())?,
    }
    Ok(n3x_deploy::report::exit_code(report.outcome))
}

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(c) => c,
        Err(e) => {
            // --help and --version are not errors; clap knows which is which.
            let _ = e.print();
            return ExitCode::from(if e.use_stderr() { 2 } else { 0 });
        }
    };
    let code = std::cell::Cell::new(0u8);
    let status = run(TOOL, || dispatch(cli, &code));
    if status == ExitCode::SUCCESS {
        ExitCode::from(code.get())
    } else {
        status
    }
}

/// The admin identity `scripts/render` uses (`N3X_ADMIN_IDENTITY`, else
/// `SOPS_AGE_KEY_FILE`), so the `.sops.yaml` an install rewrites is the one a render writes.
fn admin_identity() -> Option<PathBuf> {
    ["N3X_ADMIN_IDENTITY", "SOPS_AGE_KEY_FILE"]
        .iter()
        .find_map(|v| std::env::var_os(v).filter(|x| !x.is_empty()))
        .map(PathBuf::from)
}

/// `nix eval --raw <flake>#…toplevel.outPath` of a node: the generation it must run.
fn rendered_generation(flake: &str, n: &Node) -> Result<String, String> {
    let attr = format!("{}.outPath", n3x_deploy::plan::toplevel_attr(flake, n.name.as_str()));
    let o = std::process::Command::new("nix")
        .args(["eval", "--raw", &attr])
        .stdin(std::process::Stdio::null())
        .output()
        .map_err(|e| format!("cannot run nix: {}", n3x_core::io::describe_io(&e)))?;
    if o.status.success() {
        Ok(String::from_utf8_lossy(&o.stdout).trim().to_string())
    } else {
        Err(format!("nix eval {attr}: {}", String::from_utf8_lossy(&o.stderr).trim()))
    }
}

/// A TCP connect to `to` within `limit`: how long it took, or why not.
fn tcp_answers(to: std::net::SocketAddr, limit: Duration) -> Result<Duration, String> {
    let t = std::time::Instant::now();
    std::net::TcpStream::connect_timeout(&to, limit).map(|_| t.elapsed()).map_err(|e| n3x_core::io::describe_io(&e))
}

fn dispatch(cli: Cli, code: &std::cell::Cell<u8>) -> Result<(), Error> {
    let secs = Duration::from_secs;
    match cli.command {
        Command::Plan { path, mut input, plan: args, output } => {
            input.file = path.or(input.file);
            let cluster = load(&input)?;
            let action = match args.action {
                ActionArg::Install => Action::Install,
                ActionArg::Update => Action::Update,
            };
            let opts = plan_options(
                action,
                args.nodes.clone(),
                Some(&args.waves),
                Some(&args.join),
                &args.build,
                args.identity.as_deref(),
            );
            emit(output.as_deref(), &to_json(&plan(&cluster, &opts)?)?)
        }
        Command::Preflight { nodes, machines, installer, parallel } => {
            let mut run = Run::start("preflight", &machines)?;
            let connect = plain(&run.ssh);
            let opts = PreflightOptions { installer };
            n3x_deploy::preflight::run(&run.cluster, &nodes, opts, usize::from(parallel), &connect, &mut run.rec)?;
            code.set(finish(&mut run.rec, &machines.run)?);
            Ok(())
        }
        Command::Install { node, machines, build, dry_run, yes, installer, join, wait_timeout, poll } => {
            let cluster = load(&machines.input)?;
            let opts = plan_options(
                Action::Install,
                vec![node.clone()],
                None,
                Some(&join),
                &build,
                machines.ssh.identity.as_deref(),
            );
            let p = plan(&cluster, &opts)?;
            let Some(nr) = p.waves.iter().flat_map(|w| &w.nodes).next() else {
                return Err(Error::Failed(format!("nothing to install for {node}")));
            };
            if dry_run {
                return write_stdout(n3x_deploy::install::dry_run_text(nr).as_bytes());
            }
            let mut run = Run { cluster, ssh: ssh_options(&machines.ssh), rec: recorder("install", &machines.run)? };
            let connect = plain(&run.ssh);
            let mut expecting = |n: &Node, key: &str| -> Result<Box<dyn Remote>, String> {
                Ok(Box::new(n3x_deploy::connect::connect_expecting(n, &run.ssh, key)?))
            };
            let seams = n3x_deploy::install::Seams {
                connect: &connect,
                connect_expecting: &mut expecting,
                prompt: &mut StdinPrompt,
                rng: &mut n3x_secrets::seams::OsRng,
            };
            let iopts = n3x_deploy::install::InstallOptions {
                yes,
                installer,
                wait_timeout: secs(wait_timeout),
                poll: secs(poll.max(1)),
                repo: PathBuf::from("."),
                admin_identity: admin_identity(),
            };
            n3x_deploy::install::install(&run.cluster, nr, &iopts, seams, &mut run.rec)?;
            code.set(finish(&mut run.rec, &machines.run)?);
            Ok(())
        }
        Command::Update { nodes, machines, build, waves, parallel, confirm_timeout, poll, dry_run } => {
            let cluster = load(&machines.input)?;
            let opts =
                plan_options(Action::Update, nodes, Some(&waves), None, &build, machines.ssh.identity.as_deref());
            let p = plan(&cluster, &opts)?;
            if dry_run {
                let text: String =
                    p.waves.iter().flat_map(|w| &w.nodes).map(n3x_deploy::install::dry_run_text).collect();
                return write_stdout(text.as_bytes());
            }
            let mut run = Run { cluster, ssh: ssh_options(&machines.ssh), rec: recorder("update", &machines.run)? };
            let uopts = n3x_deploy::update::UpdateOptions {
                confirm_timeout: secs(confirm_timeout),
                rollback_after: secs(waves.rollback_after),
                poll: secs(poll.max(1)),
                parallel: usize::from(parallel),
            };
            let connect = pinned(&run.ssh);
            n3x_deploy::update::update(&run.cluster, &p, &uopts, &connect, &mut run.rec)?;
            code.set(finish(&mut run.rec, &machines.run)?);
            Ok(())
        }
        Command::Verify { path, mut machines, flake, no_generations } => {
            machines.input.file = path.or(machines.input.file);
            let mut run = Run::start("verify", &machines)?;
            let mut expected = |n: &Node| (!no_generations).then(|| rendered_generation(&flake, n));
            // A fixed LoadBalancer address must answer from here, within --timeout.
            let limit = run.ssh.timeout;
            let reach = |to| tcp_answers(to, limit);
            let connect = pinned(&run.ssh);
            n3x_deploy::verify::verify(&run.cluster, &connect, &mut expected, &reach, &mut run.rec);
            code.set(finish(&mut run.rec, &machines.run)?);
            Ok(())
        }
        Command::Rollback { nodes, machines } => {
            let mut run = Run::start("rollback", &machines)?;
            let selected = n3x_deploy::select(&run.cluster, &nodes)?;
            let connect = pinned(&run.ssh);
            for n in selected {
                let status = n3x_deploy::update::rollback_node(&run.cluster, n, &connect, &mut run.rec)?;
                if status != n3x_core::rollout::NodeStatus::Done {
                    break;
                }
            }
            code.set(finish(&mut run.rec, &machines.run)?);
            Ok(())
        }
        Command::Schema { kind } => {
            write_stdout(n3x_deploy::schema(matches!(kind, SchemaArg::Deployreport))?.as_bytes())
        }
        Command::Completions { shell } => n3x_core::cli::write_completions(Cli::command(), shell),
        Command::Man => n3x_core::cli::write_man(Cli::command()),
    }
}
