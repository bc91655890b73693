//! The `n3x-kube-bootstrap` command line: arguments, reading, writing, exit codes.
//! Everything else is in the library.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{CommandFactory, Parser, Subcommand, ValueEnum};

use n3x_core::cli::{report_warnings, run, Error};
use n3x_core::cluster::Cluster;
use n3x_core::io::{read_document, write_all, write_atomic, write_stdout};
use n3x_core::networkplan::NetworkPlan;
use n3x_core::Diagnostics;
use n3x_kube_bootstrap::nixout::RepoCredentials;
use n3x_kube_bootstrap::{bootstrap_with, components, render_dir, render_nix, render_yaml, Format};

const TOOL: &str = "n3x-kube-bootstrap";

/// The cluster's Kubernetes add-ons (Kyverno, the Longhorn NixOS PATH policy, Longhorn,
/// Multus, MetalLB, cert-manager, Traefik, NVIDIA, Argo CD) as k3s HelmCharts and
/// manifests, numbered so that k3s applies them in an order that converges.
#[derive(Debug, Parser)]
#[command(name = TOOL, version, propagate_version = true)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Render the add-on manifests of a cluster (a Cluster or Inventory document).
    #[command(after_help = "Examples:\n  \
        n3x-kube-bootstrap render examples/edge-lab/inventory.yaml > bootstrap.yaml\n  \
        n3x-kube-bootstrap render cluster.json --format dir --out /var/lib/rancher/k3s/server/manifests\n  \
        n3x-kube-bootstrap render examples/edge-lab/inventory.yaml --format nix --out hosts\n  \
        n3x-kube-bootstrap render cluster.json --format nix --out hosts --argocd-repo-secret argocd-repo-token")]
    Render(RenderArgs),
    /// List every component with its chart, repository and pinned version.
    #[command(after_help = "Examples:\n  \
        n3x-kube-bootstrap components\n  \
        n3x-kube-bootstrap components examples/edge-lab/inventory.yaml --format json")]
    Components(ComponentsArgs),
    /// Print a shell completion script.
    #[command(
        after_help = "Example:\n  n3x-kube-bootstrap completions bash > /etc/bash_completion.d/n3x-kube-bootstrap"
    )]
    Completions {
        /// The shell.
        shell: clap_complete::Shell,
    },
    /// Print the man page (roff).
    #[command(after_help = "Example:\n  n3x-kube-bootstrap man > n3x-kube-bootstrap.1")]
    Man,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
enum RenderFormat {
    /// One multi-document YAML stream (standard output, or -o FILE).
    Yaml,
    /// NN-name.yaml files for /var/lib/rancher/k3s/server/manifests (needs --out DIR).
    Dir,
    /// DIR/<server>/k3s-manifests.nix, a NixOS module per server node (needs --out DIR).
    Nix,
}

#[derive(Debug, clap::Args)]
struct RenderArgs {
    /// Cluster or Inventory document (YAML or JSON); standard input when absent or `-`.
    file: Option<PathBuf>,
    /// Output form.
    #[arg(long, value_enum, default_value = "yaml")]
    format: RenderFormat,
    /// Output folder (for --format dir and nix).
    #[arg(long, value_name = "DIR")]
    out: Option<PathBuf>,
    /// Output file (for --format yaml); standard output when absent.
    #[arg(short = 'o', long = "output", value_name = "FILE")]
    output: Option<PathBuf>,
    /// Treat warnings as errors.
    #[arg(long)]
    deny_warnings: bool,
    /// The cluster's NetworkPlan (`n3x-netplan plan`): storage interfaces come from it.
    #[arg(long, value_name = "FILE")]
    network_plan: Option<PathBuf>,
    /// (--format nix) Name of the sops-nix secret holding the Argo CD repository's
    /// password/token (https) or SSH private key (ssh URL); the module renders the
    /// repository Secret from it on the host. The value never enters n3x's output.
    #[arg(long, value_name = "SOPS_SECRET")]
    argocd_repo_secret: Option<String>,
    /// (--format nix) User name for an https repository with --argocd-repo-secret.
    #[arg(long, value_name = "USER", default_value = "git")]
    argocd_repo_user: String,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
enum ComponentsFormat {
    /// A text table.
    Table,
    /// JSON.
    Json,
}

#[derive(Debug, clap::Args)]
struct ComponentsArgs {
    /// A Cluster or Inventory document: show its switches and version overrides.
    file: Option<PathBuf>,
    /// Output form.
    #[arg(long, value_enum, default_value = "table")]
    format: ComponentsFormat,
}

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(c) => c,
        Err(e) => {
            // clap prints help/version to stdout (exit 0) and usage errors to stderr (exit 2).
            let _ = e.print();
            return if e.use_stderr() { ExitCode::from(2) } else { ExitCode::SUCCESS };
        }
    };
    run(TOOL, || match cli.command {
        Command::Render(args) => render(args),
        Command::Components(args) => list_components(args),
        Command::Completions { shell } => n3x_core::cli::write_completions(Cli::command(), shell),
        Command::Man => n3x_core::cli::write_man(Cli::command()),
    })
}

/// Reads a Cluster or Inventory document and returns the cluster and its warnings.
fn load(path: Option<&Path>) -> Result<(Cluster, Diagnostics, n3x_core::Document), Error> {
    let doc = read_document(path)?;
    n3x_core::decode::expect_kind(&doc, &["Cluster", "Inventory"])?;
    let (cluster, warnings) = n3x_core::normalize::load_cluster(&doc).map_err(|mut d| {
        d.locate(&doc);
        Error::Rejected(d)
    })?;
    Ok((cluster, warnings, doc))
}

fn render(args: RenderArgs) -> Result<(), Error> {
    let format = match args.format {
        RenderFormat::Yaml => Format::Yaml,
        RenderFormat::Dir => Format::Dir,
        RenderFormat::Nix => Format::Nix,
    };
    // Check the arguments before reading anything.
    match format {
        Format::Yaml if args.out.is_some() => {
            return Err(Error::Usage(
                "--format yaml writes one stream: use -o FILE (or standard output), not --out DIR".into(),
            ))
        }
        Format::Dir | Format::Nix if args.output.is_some() => {
            return Err(Error::Usage(format!(
                "--format {} writes several files: use --out DIR, not -o FILE",
                format.as_str()
            )))
        }
        Format::Dir | Format::Nix if args.out.is_none() => {
            return Err(Error::Usage(format!("--format {} needs --out DIR", format.as_str())))
        }
        Format::Yaml | Format::Dir if args.argocd_repo_secret.is_some() => {
            return Err(Error::Usage(
                "--argocd-repo-secret needs --format nix: only sops-nix on the host may render the repository Secret"
                    .into(),
            ))
        }
        _ => {}
    }
    let (cluster, mut warnings, doc) = load(args.file.as_deref())?;
    // Headers never carry an absolute path (see n3x_core::io::header_input_name).
    let out_folder = args.out.clone().or_else(|| args.output.as_deref().and_then(Path::parent).map(Path::to_path_buf));
    let input = n3x_core::io::header_input_name(args.file.as_deref(), out_folder.as_deref());
    let network = match &args.network_plan {
        None => None,
        Some(p) => {
            if p.as_os_str() == "-" && args.file.as_deref().is_none_or(|f| f.as_os_str() == "-") {
                return Err(Error::Usage("standard input is already the cluster; give --network-plan a file".into()));
            }
            let plan_doc = read_document(Some(p))?;
            n3x_core::decode::expect_kind(&plan_doc, &["NetworkPlan"])?;
            let plan: NetworkPlan = n3x_core::decode::decode_document(&plan_doc).map_err(|e| {
                let mut d = Diagnostics::new();
                d.push(e);
                Error::Rejected(d)
            })?;
            Some(plan)
        }
    };
    let files = match bootstrap_with(&cluster, network.as_ref()) {
        Ok((files, w)) => {
            warnings.extend(w);
            files
        }
        Err(mut d) => {
            d.locate(&doc);
            let mut all = warnings;
            all.extend(d);
            return Err(Error::Rejected(all));
        }
    };
    warnings.locate(&doc);
    report_warnings(TOOL, &warnings, args.deny_warnings)?;
    // Render everything first, then write.
    match format {
        Format::Yaml => {
            let text = render_yaml(&files, &input).map_err(Error::Failed)?;
            match &args.output {
                Some(p) => write_atomic(p, text.as_bytes(), None),
                None => write_stdout(text.as_bytes()),
            }
        }
        Format::Dir => {
            let out = render_dir(&files, &input).map_err(Error::Failed)?;
            let dir = args.out.as_deref().unwrap_or(Path::new("."));
            write_all(dir, &out)?;
            warn_stale(dir, &out);
            Ok(())
        }
        Format::Nix => {
            let creds = match &args.argocd_repo_secret {
                None => None,
                Some(secret) => {
                    let Some(url) = cluster.addons.argocd.repo_url.clone().filter(|_| cluster.addons.argocd.enabled)
                    else {
                        return Err(Error::Usage(
                            "--argocd-repo-secret given but Argo CD is not enabled in the inventory".into(),
                        ));
                    };
                    if secret.trim().is_empty() || secret.contains(['\n', '"', '$']) {
                        return Err(Error::Usage(format!(
                            "--argocd-repo-secret {secret:?}: give the name of a sops secret"
                        )));
                    }
                    Some(RepoCredentials {
                        repo_url: url,
                        secret: secret.clone(),
                        username: args.argocd_repo_user.clone(),
                        part_of: cluster.name.as_str().to_string(),
                    })
                }
            };
            let out = render_nix(&cluster, &files, &input, creds.as_ref())?;
            if out.is_empty() {
                return Err(Error::Failed(
                    "the cluster has no server node; k3s applies manifests on servers only".into(),
                ));
            }
            write_all(args.out.as_deref().unwrap_or(Path::new(".")), &out)
        }
    }
}

/// Files an earlier run wrote into the folder that this run did not (an add-on switched
/// off since). They are left alone (the folder may be k3s's own), but k3s would keep
/// applying them, and removing a file does not delete its objects: say so.
fn warn_stale(dir: &Path, written: &[n3x_core::io::OutputFile]) {
    let Ok(entries) = std::fs::read_dir(dir) else { return };
    let mut stale: Vec<String> = entries
        .filter_map(Result::ok)
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|name| name.ends_with(".yaml") && !written.iter().any(|f| f.path.as_os_str() == name.as_str()))
        .filter(|name| {
            std::fs::read_to_string(dir.join(name))
                .is_ok_and(|t| t.starts_with("# Generated by `n3x-kube-bootstrap render"))
        })
        .collect();
    stale.sort();
    for name in stale {
        eprintln!(
            "{TOOL}: warning: {} was written by an earlier run and is not part of this one; \
             delete its objects (kubectl delete -f) and then the file",
            dir.join(name).display()
        );
    }
}

fn list_components(args: ComponentsArgs) -> Result<(), Error> {
    let rows: Vec<(components::Component, String, Option<bool>)> = match &args.file {
        None => components::ALL.iter().map(|c| (*c, c.version.to_string(), None)).collect(),
        Some(p) => {
            let (cluster, warnings, _) = load(Some(p))?;
            report_warnings(TOOL, &warnings, false)?;
            let a = &cluster.addons;
            components::ALL
                .iter()
                .map(|c| {
                    let (over, on) = match c.key {
                        "kyverno" => (&a.kyverno.version, a.kyverno.enabled.unwrap_or(a.longhorn.enabled)),
                        "longhorn" => (&a.longhorn.version, a.longhorn.enabled),
                        "multus" => (&a.multus.version, a.multus.enabled),
                        "metallb" => (&a.metallb.version, a.metallb.enabled),
                        "certManager" => (&a.cert_manager.version, a.cert_manager.enabled),
                        "argocd" => (&a.argocd.version, a.argocd.enabled),
                        "nvidiaDevicePlugin" => {
                            (&a.nvidia_device_plugin.version, a.nvidia_device_plugin.enabled.unwrap_or(false))
                        }
                        _ => (&None, a.traefik.enabled),
                    };
                    (*c, over.clone().unwrap_or_else(|| c.version.to_string()), Some(on))
                })
                .collect()
        }
    };
    let text = match args.format {
        ComponentsFormat::Table => components::table(&rows),
        ComponentsFormat::Json => {
            let list: Vec<serde_json::Value> = rows
                .iter()
                .map(|(c, v, on)| {
                    let mut obj = serde_json::json!({
                        "component": c.key, "chart": c.chart, "repo": c.repo, "version": v,
                        "pinnedVersion": c.version, "namespace": c.namespace, "description": c.description,
                    });
                    if let Some(on) = on {
                        // `obj` is the object literal above (IndexMut cannot panic on an object).
                        obj["enabled"] = serde_json::Value::Bool(*on);
                    }
                    obj
                })
                .collect();
            n3x_core::io::to_json(&list)?
        }
    };
    write_stdout(text.as_bytes())
}
