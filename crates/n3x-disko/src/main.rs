//! `n3x-disko`: arguments, reading, writing and exit codes. Everything else is in the library.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{CommandFactory, Parser, Subcommand, ValueEnum};
use n3x_core::cli::{report_warnings, run, Error};
use n3x_core::io::{read_document, to_json, write_all, write_atomic, write_stdout};
use n3x_disko::{
    layouts_text, plan_document, plans_from_document, render_all, render_node, schema, show, Format, SchemaKind, TOOL,
};

/// Disk layouts to an exact, checked partition plan to disko Nix.
///
/// Input is an n3x Inventory or Cluster (one plan per node), a DiskSpec (one disk
/// without an inventory) or a DiskPlan, as YAML or JSON, from FILE or standard input.
#[derive(Debug, Parser)]
#[command(name = "n3x-disko", version, propagate_version = true)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, clap::Args)]
struct Input {
    /// Inventory, Cluster, DiskSpec or DiskPlan (YAML or JSON); standard input when absent or `-`.
    file: Option<PathBuf>,
    /// Only this node.
    #[arg(long, value_name = "NAME")]
    node: Option<String>,
    /// Treat warnings (such as a bare /dev/sdX device) as errors.
    #[arg(long)]
    deny_warnings: bool,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// List the layouts with one line each.
    ///
    /// Example: n3x-disko layouts
    Layouts,
    /// Compute the DiskPlan (JSON): every partition's exact offset and size.
    ///
    /// Example: n3x-disko plan examples/edge-lab/inventory.yaml --node n100-1
    Plan {
        #[command(flatten)]
        input: Input,
        /// Write to FILE instead of standard output.
        #[arg(short = 'o', long = "output", value_name = "FILE")]
        output: Option<PathBuf>,
    },
    /// Render the disko module (`disko.nix`) and its NixOS settings (`disk-extra.nix`).
    ///
    /// With --out DIR, writes DIR/<node>/disko.nix and DIR/<node>/disk-extra.nix for
    /// every node. Without it, one node's disko.nix goes to standard output (or -o FILE).
    ///
    /// Example: n3x-disko render examples/edge-lab/inventory.yaml --out out/hosts
    Render {
        #[command(flatten)]
        input: Input,
        /// Output form.
        #[arg(long, value_enum, default_value_t = FormatArg::Nix)]
        format: FormatArg,
        /// Write every node's files under DIR/<node>/.
        #[arg(long, value_name = "DIR", conflicts_with = "output")]
        out: Option<PathBuf>,
        /// Write the one node's disko file to FILE.
        #[arg(short = 'o', long = "output", value_name = "FILE")]
        output: Option<PathBuf>,
    },
    /// Print the plan as a table with a bar per partition: read it before wiping a disk.
    ///
    /// Example: n3x-disko show disk.yaml
    Show {
        #[command(flatten)]
        input: Input,
    },
    /// Print the JSON Schema of the DiskSpec or DiskPlan document.
    ///
    /// Example: n3x-disko schema diskspec > schemas/diskspec.schema.json
    Schema {
        /// Which document.
        #[arg(value_enum)]
        kind: SchemaArg,
    },
    /// Print a shell completion script.
    ///
    /// Example: n3x-disko completions bash > /etc/bash_completion.d/n3x-disko
    Completions {
        /// Shell.
        shell: clap_complete::Shell,
    },
    /// Print the man page (roff).
    ///
    /// Example: n3x-disko man > n3x-disko.1
    Man,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
enum SchemaArg {
    /// The DiskSpec input document.
    Diskspec,
    /// The DiskPlan output document.
    Diskplan,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
enum FormatArg {
    /// disko.nix and disk-extra.nix.
    Nix,
    /// disko.json and disk-extra.json.
    Json,
}

fn load(input: &Input) -> Result<Vec<n3x_core::diskplan::NodeDiskPlan>, Error> {
    let doc = read_document(input.file.as_deref())?;
    let (plans, warnings) = plans_from_document(&doc, input.node.as_deref())?;
    report_warnings(TOOL, &warnings, input.deny_warnings)?;
    Ok(plans)
}

fn emit(output: Option<&Path>, text: &str) -> Result<(), Error> {
    match output {
        Some(p) if p.as_os_str() != "-" => write_atomic(p, text.as_bytes(), None),
        _ => write_stdout(text.as_bytes()),
    }
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
    run(TOOL, || match cli.command {
        Command::Layouts => write_stdout(layouts_text().as_bytes()),
        Command::Plan { input, output } => {
            let plans = load(&input)?;
            emit(output.as_deref(), &to_json(&plan_document(plans))?)
        }
        Command::Render { input, format, out, output } => {
            let format = match format {
                FormatArg::Nix => Format::Nix,
                FormatArg::Json => Format::Json,
            };
            // Headers never carry an absolute path (see n3x_core::io::header_input_name).
            let out_folder = out.clone().or_else(|| output.as_deref().and_then(Path::parent).map(Path::to_path_buf));
            let name = n3x_core::io::header_input_name(input.file.as_deref(), out_folder.as_deref());
            let plans = load(&input)?;
            if let Some(dir) = out {
                let files = render_all(&plans, &name, format)?;
                return write_all(&dir, &files);
            }
            match plans.as_slice() {
                [one] => {
                    let [(_, disko), _] = render_node(one, &name, format)?;
                    emit(output.as_deref(), &disko)
                }
                _ => Err(Error::Usage(format!(
                    "the input has {} nodes; pass --out DIR to render them all, or --node NAME for one",
                    plans.len()
                ))),
            }
        }
        Command::Show { input } => {
            let plans = load(&input)?;
            let text: Vec<String> = plans.iter().map(show::show).collect();
            write_stdout(text.join("\n").as_bytes())
        }
        Command::Schema { kind } => {
            let kind = match kind {
                SchemaArg::Diskspec => SchemaKind::DiskSpec,
                SchemaArg::Diskplan => SchemaKind::DiskPlan,
            };
            write_stdout(schema(kind)?.as_bytes())
        }
        Command::Completions { shell } => n3x_core::cli::write_completions(Cli::command(), shell),
        Command::Man => n3x_core::cli::write_man(Cli::command()),
    })
}
