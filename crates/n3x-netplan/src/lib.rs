//! n3x-netplan: a node's network intent (the inventory's short form or a netplan v2
//! document) → a checked [`NetworkPlan`] → a NixOS `systemd.network` module or plain
//! systemd-networkd units, with the k3s flags and firewall rules that follow.
//!
//! Pipeline, all pure: [`netplan`] parses netplan YAML and [`plan::expand`] expands the
//! short form into the same [`Interface`](n3x_core::networkplan::Interface) model;
//! [`plan`] derives k3s flags, storage interface and firewall; [`check`] runs the
//! cluster-wide checks; [`networkd`] and [`nixout`] render. `main.rs` only does I/O.

#![deny(missing_docs)]

pub mod check;
pub mod netplan;
pub mod netplan_out;
pub mod networkd;
pub mod nixout;
pub mod plan;

use n3x_core::decode::{decode_document, expect_kind};
use n3x_core::diag::did_you_mean;
use n3x_core::io::OutputFile;
use n3x_core::networkplan::{NetworkPlan, NodeNetworkPlan};
use n3x_core::{Diagnostic, Diagnostics, Document};

pub use crate::plan::InputKind;

/// Output forms of `render`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// A NixOS module per node.
    Nix,
    /// `.network`/`.netdev`/`.link` files per node.
    Networkd,
    /// The plan as JSON.
    Json,
    /// A netplan v2 YAML file per node.
    Netplan,
}

/// Plans every node of an Inventory or Cluster document, or reads a NetworkPlan.
/// Returns the plan and the warnings; errors carry file positions.
pub fn plan_document(doc: &Document) -> Result<(NetworkPlan, Diagnostics), Diagnostics> {
    let kind = expect_kind(doc, &["Cluster", "Inventory", "NetworkPlan"])?;
    if kind == "NetworkPlan" {
        let p: NetworkPlan = decode_document(doc).map_err(|d| Diagnostics(vec![d]))?;
        return line_safe(p, Diagnostics::new(), Some(doc));
    }
    let input = if kind == "Inventory" { InputKind::Inventory } else { InputKind::Cluster };
    let (cluster, mut diags) = n3x_core::normalize::load_cluster(doc)?;
    let (plan, found) = match plan_cluster(doc, input, &cluster) {
        Ok(x) => x,
        Err(mut e) => {
            e.extend(diags);
            return Err(e);
        }
    };
    diags.extend(found);
    diags.into_result().map(|w| (plan, w))
}

/// Plans every node of an already loaded cluster (`doc` is the document it came from,
/// for positions and embedded netplan documents) and runs the cluster-wide checks.
/// `Ok` carries the warnings of planning and checking; `Err` every error (with the
/// warnings found). `n3x-inventory check` calls this on a cluster built from an
/// inventory that has other errors too.
pub fn plan_cluster(
    doc: &Document,
    input: InputKind,
    cluster: &n3x_core::Cluster,
) -> Result<(NetworkPlan, Diagnostics), Diagnostics> {
    let mut diags = Diagnostics::new();
    let mut plans = Vec::new();
    let mut failed = Diagnostics::new();
    for (i, node) in cluster.nodes.iter().enumerate() {
        match plan::node_interfaces(doc, input, i, node) {
            Ok((defs, warnings)) => {
                diags.extend(warnings);
                plans.push(plan::plan_node(cluster, node, defs));
            }
            Err(e) => failed.extend(e),
        }
    }
    if failed.has_errors() {
        failed.extend(diags);
        return Err(failed);
    }
    let bases: Vec<Option<String>> = cluster
        .nodes
        .iter()
        .enumerate()
        .map(|(i, n)| n.network.netplan.as_ref().map(|_| plan::netplan_base(input, i)))
        .collect();
    let mut found = check::check(cluster, &plans, &bases);
    if input == InputKind::Inventory {
        // The Cluster's `pools` are the Inventory's `loadBalancer.pools`.
        for d in &mut found.0 {
            if d.path.starts_with("pools[") {
                d.path = format!("loadBalancer.{}", d.path);
            }
        }
    }
    found.locate(doc);
    diags.extend(found);
    let plan = plan::plan_document(plans);
    let warnings = diags.into_result()?;
    line_safe(plan, warnings, None)
}

/// Refuses a plan holding any string that would break a line of a networkd unit or
/// header (a newline in an address label, a node name from a crafted file name …):
/// such text cannot be escaped in networkd's format, so it never reaches a renderer.
fn line_safe(
    plan: NetworkPlan,
    warnings: Diagnostics,
    doc: Option<&Document>,
) -> Result<(NetworkPlan, Diagnostics), Diagnostics> {
    let value = serde_json::to_value(&plan).map_err(|e| {
        Diagnostics(vec![n3x_core::Diagnostic::error("", format!("cannot encode the NetworkPlan: {e}"))])
    })?;
    let bad = n3x_core::comment::strings_with_line_breaks(&value);
    if bad.is_empty() {
        return Ok((plan, warnings));
    }
    let mut d = Diagnostics(
        bad.into_iter()
            .map(|path| {
                n3x_core::Diagnostic::error(
                    path,
                    "holds a line break or another control character, which cannot be written into a networkd unit",
                )
                .with_help("remove the control character from the input (names, labels and values are single words)")
            })
            .collect(),
    );
    if let Some(doc) = doc {
        d.locate(doc);
    }
    Err(d)
}

/// The JSON Schema of the `NetworkPlan` document, generated from the types.
pub fn network_plan_schema() -> String {
    let mut schema = schemars::schema_for!(NetworkPlan);
    schema.insert("$id".into(), "https://n3x.dev/schemas/v1alpha1/network-plan.schema.json".into());
    let mut s = serde_json::to_string_pretty(&schema).unwrap_or_default();
    s.push('\n');
    s
}

/// Plans a standalone netplan file.
/// The per-node checks (gateways on-link, VLAN ids, bond members, MTUs, 802.3ad) run too.
pub fn plan_netplan(doc: &Document, name: &str) -> Result<(NetworkPlan, Diagnostics), Diagnostics> {
    let (defs, mut diags) = netplan::parse(netplan::Source { doc, base: "" }, doc.value())?;
    let mut found = Diagnostics::new();
    let path = |id: &str| match defs.iter().find(|d| d.id == id).map(|d| d.kind) {
        Some(k) => format!("network.{}.{id}", section_name(k)),
        None => "network".to_string(),
    };
    check::check_interfaces(name, &defs, &path, true, &mut found);
    found.locate(doc);
    diags.extend(found);
    let plan = plan::plan_document(vec![plan::plan_netplan_file(name, defs)]);
    let warnings = diags.into_result()?;
    line_safe(plan, warnings, None)
}

/// The netplan section of an interface kind.
pub fn section_name(kind: n3x_core::networkplan::InterfaceKind) -> &'static str {
    use n3x_core::networkplan::InterfaceKind::*;
    match kind {
        Ethernet => "ethernets",
        Bond => "bonds",
        Bridge => "bridges",
        Vlan => "vlans",
    }
}

/// Keeps only the named node; an unknown name is an error with a suggestion.
pub fn select_node(plan: NetworkPlan, node: Option<&str>) -> Result<NetworkPlan, Diagnostics> {
    let Some(name) = node else { return Ok(plan) };
    if plan.nodes.iter().any(|n| n.node == name) {
        let nodes = plan.nodes.into_iter().filter(|n| n.node == name).collect();
        return Ok(NetworkPlan { nodes, ..plan });
    }
    let mut d = Diagnostic::error("nodes", format!("no node named \"{name}\""));
    d = match did_you_mean(name, plan.nodes.iter().map(|n| n.node.as_str())) {
        Some(s) => d.with_help(format!("did you mean \"{s}\"?")),
        None => d.with_help(format!(
            "nodes are: {}",
            plan.nodes.iter().map(|n| n.node.as_str()).collect::<Vec<_>>().join(", ")
        )),
    };
    Err(Diagnostics(vec![d]))
}

/// The header lines of every rendered file.
pub fn header(format: &str, input: &str, node: &str) -> Vec<String> {
    vec![
        format!("Generated by n3x-netplan render --format {format} from {input} (node {node})."),
        "Do not edit: change the inventory or netplan file and render again.".to_string(),
    ]
}

/// The networkd unit files of one node, each with a header comment.
pub fn networkd_files(plan: &NodeNetworkPlan, input: &str) -> Vec<(String, String)> {
    let head = n3x_core::comment::lines(&header("networkd", input, &plan.node));
    networkd::units(&plan.interfaces).iter().map(|u| (u.file_name(), format!("{head}{}", u.render()))).collect()
}

/// Renders every node of a plan. With `per_node_dirs`, files go under `<node>/`.
pub fn render(
    plan: &NetworkPlan,
    format: Format,
    input: &str,
    per_node_dirs: bool,
) -> Result<Vec<OutputFile>, n3x_core::Error> {
    let mut out = Vec::new();
    let dir = |node: &str, file: &str| if per_node_dirs { format!("{node}/{file}") } else { file.to_string() };
    match format {
        Format::Json => out.push(OutputFile::text("network-plan.json", n3x_core::io::to_json(plan)?)),
        Format::Nix => {
            for n in &plan.nodes {
                let f = nixout::render_node(n, &header("nix", input, &n.node));
                out.push(OutputFile::text(dir(&n.node, "network.nix"), f.render()?));
            }
        }
        Format::Netplan => {
            for n in &plan.nodes {
                let head = n3x_core::comment::lines(&header("netplan", input, &n.node));
                let body = n3x_core::io::to_yaml(&netplan_out::to_netplan(&n.interfaces))?;
                out.push(OutputFile::text(dir(&n.node, "50-n3x.yaml"), format!("{head}{body}")));
            }
        }
        Format::Networkd => {
            for n in &plan.nodes {
                for (name, text) in networkd_files(n, input) {
                    out.push(OutputFile::text(dir(&n.node, &name), text));
                }
            }
        }
    }
    Ok(out)
}
