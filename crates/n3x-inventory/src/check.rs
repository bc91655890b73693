//! `n3x-inventory check`: the one gate before anything renders. It runs every
//! validation every tool would run on the same input — the inventory's structure and
//! cluster-wide rules (`n3x_core::validate`), disk planning (n3x-disko), network
//! planning and its checks (n3x-netplan), the add-on rules (n3x-kube-bootstrap) and the
//! secrets rules (n3x-secrets) — by calling those libraries, and reports every finding
//! once.
//!
//! Structural and semantic problems come together: the inventory is read as far as it
//! can be (a wrong optional field is reported and left out), the cluster-wide rules run
//! on what was read, and the tools' checks run on the cluster built from it even when
//! the inventory has errors. Findings that are only consequences of a field that was
//! left out, or that repeat a finding at the same place, are dropped.
//!
//! Pure: a parsed document and facts in, findings out.

use n3x_core::cluster::Cluster;
use n3x_core::decode::{decode_document, expect_kind};
use n3x_core::{Diagnostic, Diagnostics, Document, Facts};

/// What `check` found.
#[derive(Debug, Clone)]
pub struct Report {
    /// The cluster, when the inventory could be read completely enough to build one.
    pub cluster: Option<Cluster>,
    /// Every finding (errors and warnings), located, each once.
    pub findings: Diagnostics,
}

/// Runs every check on an Inventory (or Cluster) document; `facts` are probe facts to
/// compare with the inventory.
pub fn check(doc: &Document, facts: &[Facts]) -> Report {
    let kind = match expect_kind(doc, &["Inventory", "Cluster"]) {
        Ok(k) => k,
        Err(d) => return Report { cluster: None, findings: d },
    };
    let mut core = Diagnostics::new();
    let mut removed: Vec<String> = Vec::new();
    let cluster = if kind == "Cluster" {
        match decode_document::<Cluster>(doc) {
            Ok(c) => Some(c),
            Err(d) => {
                core.push(d);
                None
            }
        }
    } else {
        match n3x_core::normalize::load_inventory_partial(doc) {
            Err(d) => return Report { cluster: None, findings: d },
            Ok(partial) => {
                core.extend(partial.problems);
                removed = partial.removed;
                match partial.inventory {
                    None => None,
                    Some(inv) => {
                        core.extend(n3x_core::validate::validate_with_facts(&inv, facts));
                        match n3x_core::normalize::build_cluster(&inv, facts) {
                            Ok(c) => {
                                core.extend(n3x_core::validate::cluster_rules(&inv, &c));
                                Some(c)
                            }
                            Err(d) => {
                                // With errors found already (no server, say), no API address
                                // to derive is their consequence, not another problem.
                                if !core.has_errors() {
                                    core.push(d);
                                }
                                None
                            }
                        }
                    }
                }
            }
        }
    };
    let mut tools = Diagnostics::new();
    if let Some(c) = &cluster {
        tools = tool_checks(doc, &kind, c);
    }
    let mut findings = merge(core, tools, &removed);
    for d in &mut findings.0 {
        // A finding about the whole cluster (no path) has no place in the file.
        if d.location.is_none() && !d.path.is_empty() {
            d.location = doc.locate(&d.path);
        }
    }
    Report { cluster, findings }
}

/// The checks of every tool on one cluster: disk plans, network plans, add-ons, secrets.
fn tool_checks(doc: &Document, kind: &str, cluster: &Cluster) -> Diagnostics {
    let mut d = Diagnostics::new();
    match n3x_disko::plan_cluster(cluster, None) {
        Ok((_, w)) => d.extend(w),
        Err(e) => d.extend(e),
    }
    let input = if kind == "Inventory" { n3x_netplan::InputKind::Inventory } else { n3x_netplan::InputKind::Cluster };
    let network = match n3x_netplan::plan_cluster(doc, input, cluster) {
        Ok((plan, w)) => {
            d.extend(w);
            Some(plan)
        }
        Err(e) => {
            d.extend(e);
            None
        }
    };
    match n3x_kube_bootstrap::bootstrap_with(cluster, network.as_ref()) {
        Ok((_, w)) => d.extend(w),
        Err(e) => d.extend(e),
    }
    let (_, warnings) = n3x_secrets::config::plan(cluster, &[]);
    for w in warnings {
        d.push(Diagnostic::warning("", w));
    }
    d
}

/// True when `path` is `base` or lies inside it (`nodes[1].disk.size` in `nodes[1].disk`).
fn under(path: &str, base: &str) -> bool {
    path == base || path.strip_prefix(base).is_some_and(|rest| rest.starts_with('.') || rest.starts_with('['))
}

/// The core findings, then the tools' findings that add something: a finding about a
/// field that was left out while reading is a consequence, and a tool's finding at a
/// place where the core already reported an error says the same thing twice.
fn merge(core: Diagnostics, tools: Diagnostics, removed: &[String]) -> Diagnostics {
    let core_error_paths: Vec<String> = core.errors().filter(|d| !d.path.is_empty()).map(|d| d.path.clone()).collect();
    let mut out = Diagnostics::new();
    let push = |d: Diagnostic, out: &mut Diagnostics| {
        let same = |x: &Diagnostic| x.severity == d.severity && x.path == d.path && x.message == d.message;
        if !out.0.iter().any(same) {
            out.push(d);
        }
    };
    for d in core.0 {
        // Structural problems have locations already; a semantic one about a removed field
        // (e.g. "no cluster address" after a bad address was left out) is a consequence.
        if d.location.is_none() && removed.iter().any(|r| under(&d.path, r)) {
            continue;
        }
        push(d, &mut out);
    }
    for d in tools.0 {
        if removed.iter().any(|r| under(&d.path, r)) {
            continue;
        }
        // The same field (or one inside the other) already has a core error.
        if d.is_error() && core_error_paths.iter().any(|p| under(&d.path, p) || under(p, &d.path)) {
            continue;
        }
        push(d, &mut out);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn under_respects_segment_boundaries() {
        assert!(under("nodes[1].disk.size", "nodes[1].disk"));
        assert!(under("nodes[1]", "nodes[1]"));
        assert!(under("nodes[1].taints[0]", "nodes[1].taints"));
        assert!(!under("nodes[10].disk", "nodes[1]"));
        assert!(!under("nodes[1].diskx", "nodes[1].disk"));
    }
}
