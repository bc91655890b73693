//! n3x-inventory command line: argument parsing, reading, writing, exit codes.
//! All logic lives in the library and in `n3x_core::normalize`.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{CommandFactory, Parser, Subcommand, ValueEnum};
use n3x_core::io::{read_document, read_text, to_json, write_atomic, write_stdout};
use n3x_core::model::{Hardware, Role};
use n3x_core::{Cluster, Error};
use n3x_inventory::{csv_import, graph, query, schema};

const TOOL: &str = "n3x-inventory";

/// Load, validate, normalize and query an n3x inventory.
///
/// Reads YAML or JSON from FILE, or standard input when FILE is absent or `-`.
/// Exit codes: 0 ok, 1 input rejected (every problem listed), 2 usage error.
#[derive(Debug, Parser)]
#[command(name = TOOL, version, about, long_about = None)]
struct Cli {
    /// Treat warnings as errors.
    #[arg(long, global = true)]
    deny_warnings: bool,
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Validate an inventory with every tool's rules (disks, network, add-ons, secrets)
    /// and print every problem.
    #[command(
        after_help = "Examples:\n  n3x-inventory check examples/edge-lab/inventory.yaml\n  n3x-inventory check inventory.yaml --facts facts/n100-1.json"
    )]
    Check {
        /// Inventory file (`-` or absent: standard input).
        file: Option<PathBuf>,
        /// Facts documents from `probe` to compare with the inventory (repeatable).
        #[arg(long = "facts", value_name = "FACTS")]
        facts: Vec<PathBuf>,
    },
    /// Print the normalized Cluster JSON (every default applied, derived values filled in).
    #[command(after_help = "Example:\n  n3x-inventory normalize examples/edge-lab/inventory.yaml -o out/cluster.json")]
    Normalize {
        /// Inventory file (`-` or absent: standard input).
        file: Option<PathBuf>,
        /// Facts documents from `probe` to merge (repeatable).
        #[arg(long = "facts", value_name = "FACTS")]
        facts: Vec<PathBuf>,
        /// Write to this file (atomically) instead of standard output.
        #[arg(short = 'o', long = "output", value_name = "FILE")]
        output: Option<PathBuf>,
    },
    /// List nodes, optionally filtered (for `for n in $(n3x-inventory nodes --role server)`).
    #[command(
        after_help = "Examples:\n  n3x-inventory nodes examples/edge-lab/inventory.yaml --role server\n  n3x-inventory nodes inv.yaml --label n3x.dev/storage=true --format tsv"
    )]
    Nodes {
        /// Inventory or Cluster file (`-` or absent: standard input).
        file: Option<PathBuf>,
        /// Only nodes with this role.
        #[arg(long, value_enum)]
        role: Option<RoleArg>,
        /// Only nodes with this hardware profile.
        #[arg(long, value_enum)]
        hardware: Option<HardwareArg>,
        /// Only nodes with this label (KEY=VALUE, repeatable, all must match).
        #[arg(long = "label", value_name = "KEY=VALUE", value_parser = query::parse_label)]
        labels: Vec<(String, String)>,
        /// Output form.
        #[arg(long, value_enum, default_value_t = NodesFormat::Names)]
        format: NodesFormat,
    },
    /// Print one normalized node as JSON.
    #[command(after_help = "Example:\n  n3x-inventory node n100-1 examples/edge-lab/inventory.yaml | jq .network")]
    Node {
        /// Node name.
        name: String,
        /// Inventory or Cluster file (`-` or absent: standard input).
        file: Option<PathBuf>,
    },
    /// Turn a hosts CSV (header row required) into an Inventory YAML.
    #[command(
        after_help = "Example:\n  n3x-inventory import-csv examples/csv/hosts.csv --cluster-name edge-lab --gateway 192.168.10.1 > inventory.yaml\n\nColumns: name, role, address (required); hardware, disk, disk_size, layout, memory, mac,\ninterface, labels (k=v;k2=v2), host_key, ssh_host, ssh_user, longhorn."
    )]
    ImportCsv {
        /// The CSV file (`-`: standard input).
        file: PathBuf,
        /// Cluster name (default: the file name without extension).
        #[arg(long)]
        cluster_name: Option<String>,
        /// The cluster network CIDR (default: the /24 holding every address).
        #[arg(long)]
        network: Option<String>,
        /// Gateway (and DNS server) of the cluster network.
        #[arg(long)]
        gateway: Option<String>,
        /// Write to this file (atomically) instead of standard output.
        #[arg(short = 'o', long = "output", value_name = "FILE")]
        output: Option<PathBuf>,
    },
    /// Print the JSON Schema of the Inventory document (for editors).
    #[command(after_help = "Example:\n  n3x-inventory schema > schemas/inventory.schema.json")]
    Schema,
    /// Draw the topology: nodes by role, networks and addresses, pools, add-ons.
    #[command(
        after_help = "Examples:\n  n3x-inventory graph examples/edge-lab/inventory.yaml --format mermaid\n  n3x-inventory graph inv.yaml --format dot | dot -Tsvg > topology.svg"
    )]
    Graph {
        /// Inventory or Cluster file (`-` or absent: standard input).
        file: Option<PathBuf>,
        /// Output form.
        #[arg(long, value_enum, default_value_t = GraphArg::Mermaid)]
        format: GraphArg,
    },
    /// Ask live machines over SSH what they are: the Facts that `normalize --facts` merges.
    #[command(
        after_help = "Examples:\n  n3x-inventory probe inventory.yaml --node n100-1 > n100-1.facts.json\n  n3x-inventory probe inventory.yaml --out facts/ && n3x-inventory normalize inventory.yaml --facts facts/n100-1.json\n\nConnects to each node's ssh target, verifies its host key against known_hosts, logs in with\n--identity (or the SSH agent, or ~/.ssh/id_ed25519) and runs uname, /proc/meminfo,\nlsblk -J -b, /dev/disk/by-id and ip -j addr. Nothing is written unless every node answered."
    )]
    Probe {
        /// Inventory or Cluster file (`-` or absent: standard input).
        file: Option<PathBuf>,
        /// Node to probe (repeatable; default: every node).
        #[arg(long = "node", value_name = "NAME")]
        nodes: Vec<String>,
        /// Write DIR/<node>.json for each node (needed for more than one node).
        #[arg(long, value_name = "DIR")]
        out: Option<PathBuf>,
        /// Private key to log in with (default: the SSH agent, then ~/.ssh/id_ed25519).
        #[arg(long, value_name = "FILE")]
        identity: Option<PathBuf>,
        /// known_hosts file to verify host keys against (default: ~/.ssh/known_hosts).
        #[arg(long, value_name = "FILE")]
        known_hosts: Option<PathBuf>,
        /// Accept hosts known_hosts does not list (a changed key is still refused).
        #[arg(long)]
        accept_new: bool,
        /// Seconds to wait for a connection or an answer.
        #[arg(long, default_value_t = 10, value_name = "SECONDS")]
        timeout: u64,
    },
    /// Render flake.nix, hosts/<node>/default.nix and the nix/ modules they import.
    #[command(
        after_help = "Example:\n  n3x-inventory render-flake examples/edge-lab/inventory.yaml --out out/\n\nWrites flake.nix (n3x as an input, nixpkgs at cluster.nixpkgs) and hosts/<node>/default.nix.\nThe other tools render into the same hosts/<node>/ folders (disko.nix, disk-extra.nix,\nnetwork.nix, secrets.nix, k3s-manifests.nix on servers); each host imports exactly those,\nand evaluation fails naming the command when one is missing. hosts/<node>/local.nix and\nmodules/local.nix are yours: created once, never overwritten (unless --force)."
    )]
    RenderFlake {
        /// Inventory or Cluster file (`-` or absent: standard input).
        file: Option<PathBuf>,
        /// Output folder.
        #[arg(long, value_name = "DIR")]
        out: PathBuf,
        /// The n3x flake the cluster flake takes as input.
        #[arg(long, value_name = "URL", default_value = n3x_inventory::flake::DEFAULT_N3X_FLAKE)]
        n3x_flake: String,
        /// Also replace the user-owned local.nix files with fresh stubs (their edits are lost).
        #[arg(long)]
        force: bool,
    },
    /// Move a rendered staging folder into the cluster repository (used by scripts/render).
    ///
    /// Unchanged files are left alone, changed ones replaced atomically, and files the
    /// previous render generated (listed in OUT/.n3x/generated) but this one did not are
    /// removed; their paths are printed, one per line. Files not in that list are never
    /// touched.
    #[command(
        after_help = "Example:\n  n3x-inventory sync out/.n3x/stage out --create-once 'hosts/*/local.nix' --durable 'secrets/**'"
    )]
    Sync {
        /// The freshly rendered folder (emptied of what it moved).
        stage: PathBuf,
        /// The cluster repository.
        out: PathBuf,
        /// Glob of user-owned files: written only when absent, never removed (repeatable).
        #[arg(long, value_name = "GLOB")]
        create_once: Vec<String>,
        /// Glob of files that cannot be regenerated (their folders are fsynced; repeatable).
        #[arg(long, value_name = "GLOB")]
        durable: Vec<String>,
    },
    /// Print a shell completion script.
    #[command(after_help = "Example:\n  n3x-inventory completions bash > /etc/bash_completion.d/n3x-inventory")]
    Completions {
        /// Shell.
        shell: clap_complete::Shell,
    },
    /// Print the man page (roff).
    #[command(after_help = "Example:\n  n3x-inventory man > n3x-inventory.1")]
    Man,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
enum RoleArg {
    Server,
    Agent,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
enum HardwareArg {
    N100,
    #[value(name = "generic-x86_64")]
    GenericX86_64,
    JetsonOrinNano,
    Rpi4,
    Rpi5,
    GenericAarch64,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
enum NodesFormat {
    Names,
    Json,
    Tsv,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
enum GraphArg {
    Mermaid,
    Dot,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    n3x_core::cli::run(TOOL, || run(cli))
}

/// Reads Facts documents; every problem of every file is reported.
fn read_facts(facts: &[PathBuf]) -> Result<Vec<n3x_core::Facts>, Error> {
    let mut facts_docs = Vec::new();
    let mut problems = n3x_core::Diagnostics::new();
    for f in facts {
        let fdoc = read_document(Some(f))?;
        match n3x_core::decode::expect_kind(&fdoc, &["Facts"])
            .and_then(|_| n3x_core::decode::decode_document(&fdoc).map_err(|d| n3x_core::Diagnostics(vec![d])))
        {
            Ok(x) => facts_docs.push(x),
            Err(d) => problems.extend(d),
        }
    }
    if problems.has_errors() {
        return Err(Error::Rejected(problems));
    }
    Ok(facts_docs)
}

/// Loads an Inventory or Cluster and reports its warnings.
fn load(file: Option<&PathBuf>, deny: bool, facts: &[PathBuf]) -> Result<Cluster, Error> {
    let doc = read_document(file.map(PathBuf::as_path))?;
    let facts_docs = read_facts(facts)?;
    let (cluster, warnings) = n3x_core::normalize::load_cluster_with_facts(&doc, &facts_docs)?;
    n3x_core::cli::report_warnings(TOOL, &warnings, deny)?;
    Ok(cluster)
}

fn emit(output: Option<&PathBuf>, text: &str) -> Result<(), Error> {
    match output {
        Some(p) if p.as_os_str() != "-" => write_atomic(p, text.as_bytes(), None),
        _ => write_stdout(text.as_bytes()),
    }
}

fn run(cli: Cli) -> Result<(), Error> {
    let deny = cli.deny_warnings;
    match cli.command {
        Command::Check { file, facts } => {
            let doc = read_document(file.as_deref())?;
            let facts_docs = read_facts(&facts)?;
            let report = n3x_inventory::check::check(&doc, &facts_docs);
            if report.findings.has_errors() {
                return Err(Error::Rejected(report.findings));
            }
            n3x_core::cli::report_warnings(TOOL, &report.findings, deny)?;
            match report.cluster {
                Some(c) => eprintln!("{TOOL}: ok: cluster {} with {} node(s)", c.name, c.nodes.len()),
                None => eprintln!("{TOOL}: ok"),
            }
            Ok(())
        }
        Command::Normalize { file, facts, output } => {
            let c = load(file.as_ref(), deny, &facts)?;
            emit(output.as_ref(), &to_json(&c)?)
        }
        Command::Nodes { file, role, hardware, labels, format } => {
            let c = load(file.as_ref(), deny, &[])?;
            let filter = query::Filter {
                role: role.map(|r| match r {
                    RoleArg::Server => Role::Server,
                    RoleArg::Agent => Role::Agent,
                }),
                hardware: hardware.map(|h| match h {
                    HardwareArg::N100 => Hardware::N100,
                    HardwareArg::GenericX86_64 => Hardware::GenericX86_64,
                    HardwareArg::JetsonOrinNano => Hardware::JetsonOrinNano,
                    HardwareArg::Rpi4 => Hardware::Rpi4,
                    HardwareArg::Rpi5 => Hardware::Rpi5,
                    HardwareArg::GenericAarch64 => Hardware::GenericAarch64,
                }),
                labels,
            };
            let nodes = query::select(&c, &filter);
            let text = match format {
                NodesFormat::Names => query::names(&nodes),
                NodesFormat::Tsv => query::tsv(&nodes),
                NodesFormat::Json => to_json(&nodes)?,
            };
            write_stdout(text.as_bytes())
        }
        Command::Node { name, file } => {
            let c = load(file.as_ref(), deny, &[])?;
            match c.node(&name) {
                Some(n) => write_stdout(to_json(n)?.as_bytes()),
                None => {
                    let names: Vec<&str> = c.nodes.iter().map(|n| n.name.as_str()).collect();
                    let hint = match n3x_core::diag::did_you_mean(&name, names.iter().copied()) {
                        Some(s) => format!("did you mean \"{s}\"?"),
                        None => format!("nodes: {}", names.join(", ")),
                    };
                    Err(Error::Failed(format!("no node named \"{name}\" in cluster {}; {hint}", c.name)))
                }
            }
        }
        Command::ImportCsv { file, cluster_name, network, gateway, output } => {
            let (name, text) = read_text(Some(&file))?;
            let stem = file.file_stem().and_then(|s| s.to_str()).unwrap_or("cluster").to_string();
            let cluster_name = cluster_name.unwrap_or(stem);
            let opts = csv_import::ImportOptions {
                cluster_name: cluster_name.parse().map_err(|e: String| Error::Usage(format!("--cluster-name: {e}")))?,
                network: network
                    .map(|n| n.parse())
                    .transpose()
                    .map_err(|e: String| Error::Usage(format!("--network: {e}")))?,
                gateway: gateway
                    .map(|g| g.parse())
                    .transpose()
                    .map_err(|_| Error::Usage("--gateway: expected an IP address such as 192.168.10.1".into()))?,
            };
            let inv = csv_import::import(&name, &text, &opts)?;
            let yaml = format!(
                "# yaml-language-server: $schema=https://n3x.dev/schemas/v1alpha1/inventory.schema.json\n# Imported by `n3x-inventory import-csv` from {name}.\n{}",
                n3x_core::io::to_yaml(&inv)?
            );
            emit(output.as_ref(), &yaml)
        }
        Command::Schema => write_stdout(schema::inventory_schema().as_bytes()),
        Command::Graph { file, format } => {
            let c = load(file.as_ref(), deny, &[])?;
            let f = match format {
                GraphArg::Mermaid => graph::GraphFormat::Mermaid,
                GraphArg::Dot => graph::GraphFormat::Dot,
            };
            write_stdout(graph::render(&c, f).as_bytes())
        }
        Command::Probe { file, nodes, out, identity, known_hosts, accept_new, timeout } => {
            let c = load(file.as_ref(), deny, &[])?;
            let names: Vec<&str> = c.nodes.iter().map(|n| n.name.as_str()).collect();
            let mut selected = Vec::new();
            for want in &nodes {
                match c.node(want) {
                    Some(n) => selected.push(n),
                    None => {
                        let hint = n3x_core::diag::did_you_mean(want, names.iter().copied()).map_or_else(
                            || format!("nodes: {}", names.join(", ")),
                            |s| format!("did you mean \"{s}\"?"),
                        );
                        return Err(Error::Usage(format!("--node {want}: no such node; {hint}")));
                    }
                }
            }
            if nodes.is_empty() {
                selected = c.nodes.iter().collect();
            }
            if out.is_none() && selected.len() != 1 {
                return Err(Error::Usage(format!("{} nodes to probe: pass --out DIR (or one --node)", selected.len())));
            }
            let known_hosts = known_hosts
                .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".ssh/known_hosts")))
                .ok_or_else(|| Error::Usage("no HOME to find known_hosts in; pass --known-hosts FILE".into()))?;
            let mut files = Vec::new();
            let mut problems = n3x_core::Diagnostics::new();
            for n in selected {
                let target = n3x_inventory::probe::ssh::Target {
                    host: n.ssh.host.clone(),
                    port: n.ssh.port,
                    user: n.ssh.user.clone(),
                    identity: identity.clone(),
                    known_hosts: known_hosts.clone(),
                    accept_new,
                    timeout: std::time::Duration::from_secs(timeout.max(1)),
                };
                let result = n3x_inventory::probe::ssh::SshRemote::connect(&target).and_then(|mut r| {
                    if r.unverified {
                        eprintln!(
                            "{TOOL}: warning: {}: trusted {}:{} without a known_hosts entry (--accept-new)",
                            n.name, target.host, target.port
                        );
                    }
                    n3x_inventory::probe::gather(&n.name, &mut r)
                });
                match result {
                    Ok(f) => files.push(n3x_core::io::OutputFile::text(format!("{}.json", n.name), to_json(&f)?)),
                    Err(e) => problems.push(n3x_core::Diagnostic::error(format!("nodes[{}]", n.name), e)),
                }
            }
            if problems.has_errors() {
                return Err(Error::Rejected(problems));
            }
            match out {
                Some(dir) => n3x_core::io::write_all(&dir, &files),
                None => write_stdout(files.first().map(|f| f.contents.as_slice()).unwrap_or_default()),
            }
        }
        Command::RenderFlake { file, out, n3x_flake, force } => {
            let c = load(file.as_ref(), deny, &[])?;
            // Headers never carry an absolute path (see n3x_core::io::header_input_name).
            let source = n3x_core::io::header_input_name(file.as_deref(), Some(&out));
            let rendered = n3x_inventory::flake::render(&c, &source, &n3x_flake)?;
            // User-owned files are created once; only --force replaces them.
            let (create, kept): (Vec<_>, Vec<_>) =
                rendered.user_owned.into_iter().partition(|f| force || !out.join(&f.path).exists());
            let mut files = rendered.generated;
            files.extend(create);
            n3x_core::io::write_all(&out, &files)?;
            eprintln!("{TOOL}: wrote {} files to {} (kept {} user-owned)", files.len(), out.display(), kept.len());
            Ok(())
        }
        Command::Sync { stage, out, create_once, durable } => {
            let opts = n3x_core::sync::SyncOptions { create_once, durable };
            let r = n3x_core::sync::sync_tree(&stage, &out, &opts)?;
            eprintln!(
                "{TOOL}: {}: {} added, {} changed, {} unchanged, {} removed{}",
                out.display(),
                r.added.len(),
                r.changed.len(),
                r.unchanged,
                r.removed.len(),
                if r.created_once.is_empty() {
                    String::new()
                } else {
                    format!(", {} created once", r.created_once.len())
                }
            );
            let mut text = String::new();
            for p in &r.removed {
                text.push_str(p);
                text.push('\n');
            }
            write_stdout(text.as_bytes())
        }
        Command::Completions { shell } => n3x_core::cli::write_completions(Cli::command(), shell),
        Command::Man => n3x_core::cli::write_man(Cli::command()),
    }
}
