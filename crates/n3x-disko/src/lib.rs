//! n3x-disko: disk layouts → an exact, checked partition plan → disko Nix.
//!
//! The pipeline is pure: a parsed document ([`n3x_core::Document`]: `Inventory`,
//! `Cluster`, `DiskSpec` or `DiskPlan`) becomes [`request::DiskRequest`]s, the planner
//! ([`plan`]) turns each into a [`NodeDiskPlan`] with exact byte offsets, [`check`]
//! verifies it, and [`render`] and [`show`] print it. Reading files, writing files and
//! exit codes belong to `main.rs`.

pub mod check;
pub mod plan;
pub mod render;
pub mod request;
pub mod show;
pub mod units;

use std::path::PathBuf;

use n3x_core::cluster::Cluster;
use n3x_core::decode::{decode_document, expect_kind};
use n3x_core::diskplan::{DiskPlan, DiskSpec, NodeDiskPlan};
use n3x_core::io::OutputFile;
use n3x_core::{Diagnostics, Document, Error, API_VERSION};

/// The tool's name in messages.
pub const TOOL: &str = "n3x-disko";

/// The kinds of document the tool reads.
pub const KINDS: [&str; 4] = ["Cluster", "Inventory", "DiskSpec", "DiskPlan"];

/// Output form of `render`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// `disko.nix` and `disk-extra.nix`.
    Nix,
    /// `disko.json` and `disk-extra.json` (what the Nix files evaluate to).
    Json,
}

/// Plans every requested node of a cluster (one node with `only`), collecting every
/// error of every node before giving up.
pub fn plan_cluster(cluster: &Cluster, only: Option<&str>) -> Result<(Vec<NodeDiskPlan>, Diagnostics), Diagnostics> {
    let mut plans = Vec::new();
    let mut diags = Diagnostics::new();
    for (i, node) in cluster.nodes.iter().enumerate() {
        if only.is_some_and(|n| n != node.name.as_str()) {
            continue;
        }
        match request::from_node(cluster, i, node).and_then(|(req, w)| {
            let (p, w2) = plan::plan(&req)?;
            let mut all = w;
            all.extend(w2);
            Ok((p, all))
        }) {
            Ok((p, w)) => {
                diags.extend(w);
                diags.extend(check::check(&p, &format!("nodes[{i}]")));
                plans.push(p);
            }
            Err(e) => diags.extend(e),
        }
    }
    diags.into_result().map(|w| (plans, w))
}

/// Plans a `DiskSpec`.
pub fn plan_spec(spec: &DiskSpec) -> Result<(NodeDiskPlan, Diagnostics), Diagnostics> {
    let (req, mut w) = request::from_spec(spec)?;
    let (p, w2) = plan::plan(&req)?;
    w.extend(w2);
    let mut all = check::check(&p, "");
    all.extend(w);
    all.into_result().map(|w| (p, w))
}

fn no_such_node(name: &str, have: Vec<&str>) -> Error {
    Error::Failed(format!("no node named \"{name}\" in the input; nodes are: {}", have.join(", ")))
}

/// Reads any accepted document and returns the plans of its nodes (or of `only`),
/// with warnings. Errors carry file positions where the input has them.
pub fn plans_from_document(doc: &Document, only: Option<&str>) -> Result<(Vec<NodeDiskPlan>, Diagnostics), Error> {
    let kind = expect_kind(doc, &KINDS)?;
    let located = |mut d: Diagnostics| {
        d.locate(doc);
        Error::Rejected(d)
    };
    let (plans, mut warnings) = match kind.as_str() {
        "DiskSpec" => {
            let spec: DiskSpec = decode_document(doc).map_err(|d| Error::Rejected(Diagnostics(vec![d])))?;
            if let Some(n) = only.filter(|n| *n != spec.name.as_str()) {
                return Err(no_such_node(n, vec![spec.name.as_str()]));
            }
            let (p, w) = plan_spec(&spec).map_err(located)?;
            (vec![p], w)
        }
        "DiskPlan" => {
            let dp: DiskPlan = decode_document(doc).map_err(|d| Error::Rejected(Diagnostics(vec![d])))?;
            if let Some(n) = only {
                if !dp.nodes.iter().any(|p| p.node.as_str() == n) {
                    return Err(no_such_node(n, dp.nodes.iter().map(|p| p.node.as_str()).collect()));
                }
            }
            let mut d = Diagnostics::new();
            for (i, p) in dp.nodes.iter().enumerate() {
                d.extend(check::check(p, &format!("nodes[{i}]")));
            }
            let w = d.into_result().map_err(located)?;
            (dp.nodes.into_iter().filter(|p| only.is_none_or(|n| n == p.node.as_str())).collect(), w)
        }
        _ => {
            let (cluster, w) = n3x_core::normalize::load_cluster(doc).map_err(located)?;
            if let Some(n) = only {
                if cluster.node(n).is_none() {
                    return Err(no_such_node(n, cluster.nodes.iter().map(|x| x.name.as_str()).collect()));
                }
            }
            let (plans, mut w2) = plan_cluster(&cluster, only).map_err(located)?;
            let mut all = w;
            all.extend(std::mem::take(&mut w2));
            (plans, all)
        }
    };
    warnings.locate(doc);
    Ok((plans, warnings))
}

/// The `DiskPlan` document of some node plans.
pub fn plan_document(nodes: Vec<NodeDiskPlan>) -> DiskPlan {
    DiskPlan { api_version: API_VERSION.into(), kind: "DiskPlan".into(), nodes }
}

/// The two files of one node, as (file name, contents).
pub fn render_node(plan: &NodeDiskPlan, input: &str, format: Format) -> Result<[(String, String); 2], Error> {
    let disko = render::disko_module(plan);
    let extra = render::extra_module(plan);
    Ok(match format {
        Format::Nix => [
            ("disko.nix".into(), render::nix_file(render::header("disko layout", input, plan), &disko)?),
            (
                "disk-extra.nix".into(),
                render::nix_file(render::header("NixOS settings that go with the disko layout", input, plan), &extra)?,
            ),
        ],
        Format::Json => [
            ("disko.json".into(), n3x_core::io::to_json(&disko.to_json())?),
            ("disk-extra.json".into(), n3x_core::io::to_json(&extra.to_json())?),
        ],
    })
}

/// Every file for `--out DIR`: `<node>/disko.nix` and `<node>/disk-extra.nix`.
pub fn render_all(plans: &[NodeDiskPlan], input: &str, format: Format) -> Result<Vec<OutputFile>, Error> {
    let mut files = Vec::new();
    for p in plans {
        for (name, text) in render_node(p, input, format)? {
            files.push(OutputFile::text(PathBuf::from(p.node.as_str()).join(name), text));
        }
    }
    Ok(files)
}

/// `n3x-disko layouts` text.
pub fn layouts_text() -> String {
    let mut out = String::new();
    for l in plan::LAYOUTS {
        out.push_str(&format!("{:<9} {}\n", l.as_str(), plan::describe(l)));
    }
    out
}

/// Which document's JSON Schema `n3x-disko schema` prints.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SchemaKind {
    /// `DiskSpec`.
    DiskSpec,
    /// `DiskPlan`.
    DiskPlan,
}

/// The JSON Schema of a document, generated from the types so it cannot drift; committed
/// as `schemas/diskspec.schema.json` and `schemas/diskplan.schema.json`.
pub fn schema(kind: SchemaKind) -> Result<String, Error> {
    let (mut s, id) = match kind {
        SchemaKind::DiskSpec => (schemars::schema_for!(DiskSpec), "diskspec"),
        SchemaKind::DiskPlan => (schemars::schema_for!(DiskPlan), "diskplan"),
    };
    s.insert("$id".into(), format!("https://n3x.dev/schemas/v1alpha1/{id}.schema.json").into());
    n3x_core::io::to_json(&s)
}
