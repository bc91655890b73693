//! Node queries for Make and shell: `n3x-inventory nodes --role server`.

use n3x_core::cluster::{Cluster, Node};
use n3x_core::model::{Hardware, Role};

/// Which nodes to list. Every set condition must hold.
#[derive(Debug, Clone, Default)]
pub struct Filter {
    /// Only this role.
    pub role: Option<Role>,
    /// Only this hardware profile.
    pub hardware: Option<Hardware>,
    /// Only nodes carrying every one of these labels (`key`, `value`).
    pub labels: Vec<(String, String)>,
}

impl Filter {
    /// Whether a node passes.
    pub fn matches(&self, n: &Node) -> bool {
        self.role.is_none_or(|r| r == n.role)
            && self.hardware.is_none_or(|h| h == n.hardware)
            && self.labels.iter().all(|(k, v)| n.labels.get(k) == Some(v))
    }
}

/// Parses `key=value` for `--label`.
pub fn parse_label(s: &str) -> Result<(String, String), String> {
    match s.split_once('=') {
        Some((k, v)) if !k.is_empty() => Ok((k.to_string(), v.to_string())),
        _ => Err(format!("invalid label filter \"{s}\": expected KEY=VALUE, e.g. n3x.dev/storage=true")),
    }
}

/// The nodes that pass the filter, in inventory order.
pub fn select<'a>(c: &'a Cluster, f: &Filter) -> Vec<&'a Node> {
    c.nodes.iter().filter(|n| f.matches(n)).collect()
}

/// One name per line.
pub fn names(nodes: &[&Node]) -> String {
    nodes.iter().map(|n| format!("{}\n", n.name)).collect()
}

/// Tab-separated: name, role, hardware, system, node IP, SSH target, with a header.
pub fn tsv(nodes: &[&Node]) -> String {
    let mut out = String::from("name\trole\thardware\tsystem\tnodeIp\tssh\n");
    for n in nodes {
        let ip = n.node_ip.map(|i| i.to_string()).unwrap_or_else(|| "-".into());
        out.push_str(&format!(
            "{}\t{}\t{}\t{}\t{}\t{}@{}:{}\n",
            n.name,
            n.role.as_str(),
            n.hardware.as_str(),
            n.system,
            ip,
            n.ssh.user,
            n.ssh.host,
            n.ssh.port
        ));
    }
    out
}
