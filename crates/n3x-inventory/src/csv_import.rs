//! Hosts CSV → Inventory. One row per node; a header row names the columns.
//!
//! Columns (case-insensitive; order free): `name`, `role`, `address` (required);
//! `hardware`, `disk`, `disk_size`, `layout`, `memory`, `mac`, `interface`,
//! `labels` (`k=v;k2=v2`), `host_key`, `ssh_host`, `ssh_user`, `longhorn`. Every
//! problem is reported with its CSV line and column, and the produced inventory
//! is validated like any other before it is printed, so import never emits an
//! inventory that `check` would reject.

use std::collections::BTreeMap;
use std::net::IpAddr;

use n3x_core::diag::{did_you_mean, Diagnostic, Diagnostics, Location};
use n3x_core::inventory::{ClusterMeta, NetworkSpec, NodeSpec};
use n3x_core::units::{Cidr, NodeName};
use n3x_core::Inventory;

/// Known columns.
pub const COLUMNS: &[&str] = &[
    "name",
    "role",
    "address",
    "hardware",
    "disk",
    "disk_size",
    "layout",
    "memory",
    "mac",
    "interface",
    "labels",
    "host_key",
    "ssh_host",
    "ssh_user",
    "longhorn",
];
const REQUIRED: &[&str] = &["name", "role", "address"];

/// Settings for the parts a CSV cannot hold.
#[derive(Debug, Clone)]
pub struct ImportOptions {
    /// Cluster name.
    pub cluster_name: NodeName,
    /// The cluster network; inferred as the /24 holding every address when absent.
    pub network: Option<Cidr>,
    /// Gateway of the cluster network.
    pub gateway: Option<IpAddr>,
}

/// Parses the CSV text into an Inventory, or every problem found.
pub fn import(file: &str, text: &str, opts: &ImportOptions) -> Result<Inventory, Diagnostics> {
    let mut diags = Diagnostics::new();
    let at = |line: u64, column: usize| Some(Location { file: file.to_string(), line: line as usize, column });
    let mut reader = csv::ReaderBuilder::new().has_headers(true).trim(csv::Trim::All).from_reader(text.as_bytes());
    let headers: Vec<String> = match reader.headers() {
        Ok(h) => h.iter().map(|s| s.to_ascii_lowercase()).collect(),
        Err(e) => {
            return Err(Diagnostics(vec![
                Diagnostic::error("", format!("cannot read the header row: {e}")).at(at(1, 1))
            ]))
        }
    };
    if headers.iter().all(String::is_empty) {
        return Err(Diagnostics(vec![Diagnostic::error("", "the CSV has no header row")
            .at(at(1, 1))
            .with_help(format!("start with a header such as: {}", REQUIRED.join(",")))]));
    }
    for (i, h) in headers.iter().enumerate() {
        if !COLUMNS.contains(&h.as_str()) {
            let mut d = Diagnostic::error("", format!("unknown column \"{h}\"")).at(at(1, i + 1));
            d = match did_you_mean(h, COLUMNS.iter().copied()) {
                Some(s) => d.with_help(format!("did you mean \"{s}\"?")),
                None => d.with_help(format!("known columns: {}", COLUMNS.join(", "))),
            };
            diags.push(d);
        }
    }
    for r in REQUIRED {
        if !headers.iter().any(|h| h == r) {
            diags.push(Diagnostic::error("", format!("missing required column \"{r}\"")).at(at(1, 1)));
        }
    }
    if diags.has_errors() {
        return Err(diags);
    }
    let col = |name: &str| headers.iter().position(|h| h == name);

    let mut nodes = Vec::new();
    for record in reader.records() {
        let record = match record {
            Ok(r) => r,
            Err(e) => {
                let line = e.position().map_or(0, |p| p.line());
                diags.push(
                    Diagnostic::error("", format!("malformed row: {}", csv_error_text(&e)))
                        .at(at(line, 1))
                        .with_help("every row needs as many fields as the header; quote fields that contain commas"),
                );
                continue;
            }
        };
        let line = record.position().map_or(0, |p| p.line());
        let get = |name: &str| col(name).and_then(|i| record.get(i)).filter(|s| !s.is_empty());
        let mut problem = |name: &str, msg: String, help: Option<String>| {
            let mut d =
                Diagnostic::error("", format!("column \"{name}\": {msg}")).at(at(line, col(name).map_or(1, |c| c + 1)));
            if let Some(h) = help {
                d = d.with_help(h);
            }
            diags.push(d);
        };
        let mut node = serde_json::Map::new();
        for r in REQUIRED {
            if get(r).is_none() {
                problem(r, "is empty".into(), Some(format!("every row needs a {r}")));
            }
        }
        if let Some(v) = get("name") {
            node.insert("name".into(), v.into());
        }
        if let Some(v) = get("role") {
            node.insert("role".into(), v.into());
        }
        if let Some(v) = get("hardware") {
            node.insert("hardware".into(), v.into());
        }
        if let Some(v) = get("address") {
            node.insert("addresses".into(), serde_json::json!({"cluster": v}));
        }
        let mut disk = serde_json::Map::new();
        for (column, field) in [("disk", "device"), ("disk_size", "size"), ("layout", "layout")] {
            if let Some(v) = get(column) {
                disk.insert(field.into(), v.into());
            }
        }
        if !disk.is_empty() {
            node.insert("disk".into(), disk.into());
        }
        if let Some(v) = get("memory") {
            node.insert("memory".into(), v.into());
        }
        let mut network = serde_json::Map::new();
        if let Some(v) = get("interface") {
            network.insert("interface".into(), v.into());
        }
        if let Some(v) = get("mac") {
            network.insert("mac".into(), v.into());
        }
        if !network.is_empty() {
            node.insert("network".into(), network.into());
        }
        if let Some(v) = get("labels") {
            let mut labels = serde_json::Map::new();
            for pair in v.split(';').filter(|p| !p.is_empty()) {
                match pair.split_once('=') {
                    Some((k, val)) if !k.trim().is_empty() => {
                        labels.insert(k.trim().into(), val.trim().into());
                    }
                    _ => problem(
                        "labels",
                        format!("\"{pair}\" is not KEY=VALUE"),
                        Some("separate labels with ';', e.g. zone=a;tier=edge".into()),
                    ),
                }
            }
            node.insert("labels".into(), labels.into());
        }
        if let Some(v) = get("host_key") {
            node.insert("hostKey".into(), v.into());
        }
        let mut ssh = serde_json::Map::new();
        if let Some(v) = get("ssh_host") {
            ssh.insert("host".into(), v.into());
        }
        if let Some(v) = get("ssh_user") {
            ssh.insert("user".into(), v.into());
        }
        if !ssh.is_empty() {
            node.insert("ssh".into(), ssh.into());
        }
        if let Some(v) = get("longhorn") {
            match v.to_ascii_lowercase().as_str() {
                "true" | "yes" | "1" => {
                    node.insert("longhorn".into(), true.into());
                }
                "false" | "no" | "0" => {
                    node.insert("longhorn".into(), false.into());
                }
                _ => problem("longhorn", format!("\"{v}\" is not true or false"), None),
            }
        }
        // Decode the row through the same typed path as YAML nodes, and point any
        // field error at the CSV column it came from.
        let value = serde_json::Value::Object(node);
        let doc = n3x_core::Document::from_value(file, value.clone());
        match n3x_core::decode::decode_at::<NodeSpec>(&doc, "", &value) {
            Ok(n) => nodes.push((line, n)),
            Err(d) => {
                let column = column_of_field(&d.path);
                let mut e = Diagnostic::error("", format!("column \"{column}\": {}", d.message))
                    .at(at(line, col(column).map_or(1, |c| c + 1)));
                e.help = d.help;
                diags.push(e);
            }
        }
    }
    if nodes.is_empty() && !diags.has_errors() {
        diags.push(Diagnostic::error("", "the CSV has a header but no rows").at(at(2, 1)));
    }
    if diags.has_errors() {
        return Err(diags);
    }
    let inventory =
        build(nodes.iter().map(|(_, n)| n.clone()).collect(), opts).map_err(|d| Diagnostics(vec![d.at(at(1, 1))]))?;
    // Validate the result; map node findings back to their CSV line.
    let mut findings = n3x_core::validate::validate(&inventory);
    for d in &mut findings.0 {
        if let Some(i) =
            d.path.strip_prefix("nodes[").and_then(|r| r.split(']').next()).and_then(|i| i.parse::<usize>().ok())
        {
            let field = d.path.split_once("].").map(|(_, f)| f).unwrap_or("");
            let column = column_of_field(field);
            d.location = nodes.get(i).and_then(|(line, _)| at(*line, col(column).map_or(1, |c| c + 1)));
            d.message = format!("column \"{column}\": {}", d.message);
            d.path.clear();
        } else {
            // Whole-cluster findings (no server, even servers) belong to the file.
            d.location = at(1, 1);
        }
    }
    if findings.has_errors() {
        return Err(findings);
    }
    Ok(inventory)
}

fn csv_error_text(e: &csv::Error) -> String {
    match e.kind() {
        csv::ErrorKind::UnequalLengths { expected_len, len, .. } => {
            format!("it has {len} fields, the header has {expected_len}")
        }
        csv::ErrorKind::Utf8 { .. } => "it is not UTF-8 text".into(),
        _ => e.to_string(),
    }
}

/// The CSV column a node field path comes from.
fn column_of_field(path: &str) -> &'static str {
    let p = path.trim_start_matches('.');
    let map: &[(&str, &str)] = &[
        ("name", "name"),
        ("role", "role"),
        ("hardware", "hardware"),
        ("addresses", "address"),
        ("disk.device", "disk"),
        ("disk.size", "disk_size"),
        ("disk.layout", "layout"),
        ("disk", "disk"),
        ("memory", "memory"),
        ("network.mac", "mac"),
        ("network.interface", "interface"),
        ("network", "mac"),
        ("labels", "labels"),
        ("hostKey", "host_key"),
        ("ssh.host", "ssh_host"),
        ("ssh.user", "ssh_user"),
        ("longhorn", "longhorn"),
    ];
    map.iter().find(|(prefix, _)| p.starts_with(prefix)).map_or("name", |(_, c)| c)
}

fn build(nodes: Vec<NodeSpec>, opts: &ImportOptions) -> Result<Inventory, Diagnostic> {
    let cidr = match opts.network {
        Some(c) => c,
        None => infer_network(&nodes)?,
    };
    let mut networks = BTreeMap::new();
    networks.insert(
        "cluster".to_string(),
        NetworkSpec { cidr, gateway: opts.gateway, dns: opts.gateway.into_iter().collect(), mtu: 1500, vlan: None },
    );
    Ok(Inventory {
        api_version: n3x_core::API_VERSION.into(),
        kind: "Inventory".into(),
        cluster: ClusterMeta {
            name: opts.cluster_name.clone(),
            domain: None,
            time_zone: "UTC".into(),
            state_version: "25.05".into(),
            nixpkgs: Default::default(),
        },
        k3s: Default::default(),
        networks,
        load_balancer: Default::default(),
        addons: Default::default(),
        admins: Vec::new(),
        defaults: Default::default(),
        nodes,
    })
}

/// The /24 (IPv4) or /64 (IPv6) holding every node's address.
fn infer_network(nodes: &[NodeSpec]) -> Result<Cidr, Diagnostic> {
    let mut nets = nodes.iter().filter_map(|n| n.addresses.get("cluster")).map(|ip| match ip {
        IpAddr::V4(_) => ipnet::IpNet::new(*ip, 24).map(|n| n.trunc()),
        IpAddr::V6(_) => ipnet::IpNet::new(*ip, 64).map(|n| n.trunc()),
    });
    let first = nets.next().and_then(Result::ok);
    match first {
        Some(f) if nets.all(|n| n.ok() == Some(f)) => Ok(Cidr(f)),
        _ => Err(Diagnostic::error(
            "",
            "the addresses are not all in one /24, so the cluster network cannot be inferred",
        )
        .with_help("pass --network CIDR (and --gateway IP)")),
    }
}
