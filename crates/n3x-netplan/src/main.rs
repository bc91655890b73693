//! n3x-netplan command line: argument parsing, reading, writing, exit codes.
//! All logic lives in the library.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{CommandFactory, Parser, Subcommand, ValueEnum};
use n3x_core::io::{read_document, to_json, write_all, write_atomic, write_stdout};
use n3x_core::networkplan::NetworkPlan;
use n3x_core::Error;
use n3x_netplan::Format;

const TOOL: &str = "n3x-netplan";

/// Turn a node's network intent (inventory or netplan v2 YAML) into a checked plan and
/// render it as a NixOS systemd.network module or plain systemd-networkd units.
///
/// Reads an Inventory, Cluster or NetworkPlan from FILE, or standard input when FILE is
/// absent or `-`. Exit codes: 0 ok, 1 input rejected (every problem listed), 2 usage error.
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
    /// Print the NetworkPlan JSON: interfaces, k3s flags, storage interface, firewall.
    #[command(
        after_help = "Examples:\n  n3x-netplan plan examples/edge-lab/inventory.yaml | jq '.nodes[0].k3s'\n  n3x-netplan plan --from-netplan /etc/netplan/50-lab.yaml"
    )]
    Plan {
        /// Inventory, Cluster or NetworkPlan file (`-` or absent: standard input).
        file: Option<PathBuf>,
        /// Read a standalone netplan v2 YAML file instead.
        #[arg(long, value_name = "FILE", conflicts_with = "file")]
        from_netplan: Option<PathBuf>,
        /// Only this node.
        #[arg(long, value_name = "NAME")]
        node: Option<String>,
        /// Write to this file (atomically) instead of standard output.
        #[arg(short = 'o', long = "output", value_name = "FILE")]
        output: Option<PathBuf>,
    },
    /// Render a NixOS module (nix), networkd units (networkd), netplan YAML (netplan) or the plan (json).
    #[command(
        after_help = "Examples:\n  n3x-netplan render examples/edge-lab/inventory.yaml --format nix --out out/hosts\n  n3x-netplan render inv.yaml --node n100-1 --format networkd\n  n3x-netplan render --from-netplan 50-lab.yaml --format networkd --out /tmp/units\n\nWith --out DIR, nix writes DIR/<node>/network.nix and networkd writes DIR/<node>/*.network|netdev|link\n(--from-netplan: straight into DIR). Without --out, one node is printed to standard output."
    )]
    Render {
        /// Inventory, Cluster or NetworkPlan file (`-` or absent: standard input).
        file: Option<PathBuf>,
        /// Read a standalone netplan v2 YAML file instead.
        #[arg(long, value_name = "FILE", conflicts_with = "file")]
        from_netplan: Option<PathBuf>,
        /// Only this node.
        #[arg(long, value_name = "NAME")]
        node: Option<String>,
        /// Output form.
        #[arg(long, value_enum, default_value_t = FormatArg::Nix)]
        format: FormatArg,
        /// Write the files under this folder.
        #[arg(long, value_name = "DIR")]
        out: Option<PathBuf>,
    },
    /// Run the cluster-wide network checks only.
    #[command(after_help = "Example:\n  n3x-netplan check examples/edge-lab/inventory.yaml --deny-warnings")]
    Check {
        /// Inventory or Cluster file (`-` or absent: standard input).
        file: Option<PathBuf>,
    },
    /// Print the JSON Schema of the NetworkPlan document.
    #[command(after_help = "Example:\n  n3x-netplan schema > schemas/network-plan.schema.json")]
    Schema,
    /// Print a shell completion script.
    #[command(after_help = "Example:\n  n3x-netplan completions bash > /etc/bash_completion.d/n3x-netplan")]
    Completions {
        /// Shell.
        shell: clap_complete::Shell,
    },
    /// Print the man page (roff).
    #[command(after_help = "Example:\n  n3x-netplan man > n3x-netplan.1")]
    Man,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
enum FormatArg {
    Nix,
    Networkd,
    Json,
    Netplan,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    n3x_core::cli::run(TOOL, || run(cli))
}

/// Reads the input and plans it; returns the plan and the input's display name.
fn load(
    file: Option<&Path>,
    from_netplan: Option<&Path>,
    node: Option<&str>,
    deny: bool,
) -> Result<(NetworkPlan, String, bool), Error> {
    let (plan, warnings, name, standalone) = match from_netplan {
        Some(p) => {
            let doc = read_document(Some(p))?;
            let stem = p.file_stem().map(|s| s.to_string_lossy().to_string()).unwrap_or_else(|| "netplan".into());
            let (plan, w) = n3x_netplan::plan_netplan(&doc, &stem)?;
            (plan, w, doc.file.clone(), true)
        }
        None => {
            let doc = read_document(file)?;
            let (plan, w) = n3x_netplan::plan_document(&doc)?;
            (plan, w, doc.file.clone(), false)
        }
    };
    n3x_core::cli::report_warnings(TOOL, &warnings, deny)?;
    let plan = n3x_netplan::select_node(plan, node)?;
    Ok((plan, name, standalone))
}

/// Removes `10-*.network|netdev|link` files n3x wrote earlier into the same folders that
/// this render no longer produces: a stale unit (an interface that was removed) would
/// still configure networkd.
fn remove_stale_units(dir: &Path, files: &[n3x_core::io::OutputFile]) {
    let written: Vec<PathBuf> = files.iter().map(|f| dir.join(&f.path)).collect();
    let mut folders: Vec<PathBuf> = written.iter().filter_map(|p| p.parent().map(Path::to_path_buf)).collect();
    folders.sort();
    folders.dedup();
    for folder in folders {
        let Ok(entries) = std::fs::read_dir(&folder) else { continue };
        for e in entries.flatten() {
            let p = e.path();
            let name = e.file_name().to_string_lossy().to_string();
            let unit = name.starts_with("10-") && [".network", ".netdev", ".link"].iter().any(|s| name.ends_with(s));
            if unit && !written.contains(&p) {
                match std::fs::remove_file(&p) {
                    Ok(()) => eprintln!("{TOOL}: removed stale unit {}", p.display()),
                    Err(e) => eprintln!(
                        "{TOOL}: warning: cannot remove stale unit {}: {}",
                        p.display(),
                        n3x_core::io::describe_io(&e)
                    ),
                }
            }
        }
    }
}

fn run(cli: Cli) -> Result<(), Error> {
    let deny = cli.deny_warnings;
    match cli.command {
        Command::Plan { file, from_netplan, node, output } => {
            let (plan, _, _) = load(file.as_deref(), from_netplan.as_deref(), node.as_deref(), deny)?;
            let text = to_json(&plan)?;
            match output {
                Some(p) if p.as_os_str() != "-" => write_atomic(&p, text.as_bytes(), None),
                _ => write_stdout(text.as_bytes()),
            }
        }
        Command::Render { file, from_netplan, node, format, out } => {
            let (plan, _, standalone) = load(file.as_deref(), from_netplan.as_deref(), node.as_deref(), deny)?;
            // Headers never carry an absolute path (see n3x_core::io::header_input_name).
            let input = n3x_core::io::header_input_name(from_netplan.as_deref().or(file.as_deref()), out.as_deref());
            let format = match format {
                FormatArg::Nix => Format::Nix,
                FormatArg::Networkd => Format::Networkd,
                FormatArg::Json => Format::Json,
                FormatArg::Netplan => Format::Netplan,
            };
            match out {
                Some(dir) => {
                    // Everything is rendered before the first file is written.
                    let files = n3x_netplan::render(&plan, format, &input, !standalone)?;
                    write_all(&dir, &files)?;
                    if format == Format::Networkd {
                        remove_stale_units(&dir, &files);
                    }
                    Ok(())
                }
                None => {
                    if format != Format::Json && plan.nodes.len() != 1 {
                        return Err(Error::Usage(format!(
                            "the input has {} nodes; pass --node NAME to print one, or --out DIR to write them all",
                            plan.nodes.len()
                        )));
                    }
                    let files = n3x_netplan::render(&plan, format, &input, false)?;
                    let mut text = String::new();
                    for f in &files {
                        if format == Format::Networkd {
                            n3x_core::comment::push_line(&mut text, "", &format!("---- {} ----", f.path.display()));
                        }
                        text.push_str(&String::from_utf8_lossy(&f.contents));
                    }
                    write_stdout(text.as_bytes())
                }
            }
        }
        Command::Check { file } => {
            let (plan, _, _) = load(file.as_deref(), None, None, deny)?;
            eprintln!("{TOOL}: ok: {} node(s), network checks passed", plan.nodes.len());
            Ok(())
        }
        Command::Schema => write_stdout(n3x_netplan::network_plan_schema().as_bytes()),
        Command::Completions { shell } => n3x_core::cli::write_completions(Cli::command(), shell),
        Command::Man => n3x_core::cli::write_man(Cli::command()),
    }
}
