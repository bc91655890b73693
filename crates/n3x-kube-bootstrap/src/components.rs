//! The one table of components: chart, repository, pinned version and namespace of
//! every add-on n3x can install. Versions here are the defaults; the inventory may
//! override each (`addons.<name>.version`). Nothing else in the crate names a chart
//! version.
//!
//! How each pin was checked (2026-11-22): Kyverno chart 3.9.0 is the chart of
//! Kyverno v1.19.0 (tag `kyverno-chart-3.9.0`); Longhorn 1.12.1 and MetalLB 0.16.1
//! are their release tags; cert-manager charts carry a `v` (`v1.21.1`); argo-cd
//! 10.1.1 is the argo-helm chart of Argo CD v3.4.4; nvidia-device-plugin 0.20.0 is
//! its release tag; rke2-multus v4.2.401 ships Multus 4.2.4 and is the chart k3s's
//! documentation recommends for Multus on k3s.

use serde::Serialize;

/// One installable component.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Component {
    /// The inventory's add-on name (`addons.<key>`).
    pub key: &'static str,
    /// Helm chart name; empty for components k3s packages itself.
    pub chart: &'static str,
    /// Helm release name (the HelmChart object's name).
    pub release: &'static str,
    /// Chart repository URL; empty for k3s-packaged components.
    pub repo: &'static str,
    /// Pinned chart version (a string: HelmChart `spec.version` is a string).
    pub version: &'static str,
    /// Namespace the component runs in.
    pub namespace: &'static str,
    /// What it is for.
    pub description: &'static str,
}

/// Kyverno: the policy engine that runs the Longhorn PATH policy.
pub const KYVERNO: Component = Component {
    key: "kyverno",
    chart: "kyverno",
    release: "kyverno",
    repo: "https://kyverno.github.io/kyverno/",
    version: "3.9.0",
    namespace: "kyverno",
    description: "policy engine; runs the Longhorn NixOS PATH policy",
};

/// Longhorn distributed block storage.
pub const LONGHORN: Component = Component {
    key: "longhorn",
    chart: "longhorn",
    release: "longhorn",
    repo: "https://charts.longhorn.io",
    version: "1.12.1",
    namespace: "longhorn-system",
    description: "replicated block storage (StorageClass longhorn)",
};

/// Multus meta-CNI, with whereabouts IPAM for the storage network.
pub const MULTUS: Component = Component {
    key: "multus",
    chart: "rke2-multus",
    release: "multus",
    repo: "https://rke2-charts.rancher.io",
    version: "v4.2.401",
    namespace: "kube-system",
    description: "second pod interfaces (Longhorn storage network), whereabouts IPAM",
};

/// MetalLB load balancer.
pub const METALLB: Component = Component {
    key: "metallb",
    chart: "metallb",
    release: "metallb",
    repo: "https://metallb.github.io/metallb",
    version: "0.16.1",
    namespace: "metallb-system",
    description: "LoadBalancer services from the inventory's address pools",
};

/// cert-manager.
pub const CERT_MANAGER: Component = Component {
    key: "certManager",
    chart: "cert-manager",
    release: "cert-manager",
    repo: "https://charts.jetstack.io",
    version: "v1.21.1",
    namespace: "cert-manager",
    description: "certificates, with a self-signed or ACME ClusterIssuer",
};

/// Argo CD.
pub const ARGOCD: Component = Component {
    key: "argocd",
    chart: "argo-cd",
    release: "argocd",
    repo: "https://argoproj.github.io/argo-helm",
    version: "10.1.1",
    namespace: "argocd",
    description: "GitOps; a root Application (app-of-apps) for the cluster's repository",
};

/// The NVIDIA device plugin.
pub const NVIDIA_DEVICE_PLUGIN: Component = Component {
    key: "nvidiaDevicePlugin",
    chart: "nvidia-device-plugin",
    release: "nvidia-device-plugin",
    repo: "https://nvidia.github.io/k8s-device-plugin",
    version: "0.20.0",
    namespace: "nvidia-device-plugin",
    description: "nvidia.com/gpu resources and a RuntimeClass on GPU nodes",
};

/// Traefik, packaged by k3s: only customized (HelmChartConfig), never installed.
pub const TRAEFIK: Component = Component {
    key: "traefik",
    chart: "",
    release: "traefik",
    repo: "",
    version: "",
    namespace: "kube-system",
    description: "k3s's packaged ingress; customized with a HelmChartConfig",
};

/// Every component, in apply order.
pub const ALL: &[Component] =
    &[KYVERNO, MULTUS, LONGHORN, METALLB, CERT_MANAGER, TRAEFIK, NVIDIA_DEVICE_PLUGIN, ARGOCD];

/// The first Kyverno chart whose Kyverno (1.17) serves `policies.kyverno.io/v1`
/// MutatingPolicy (checked in the CRDs of kyverno/kyverno v1.15.0–v1.19.0: v1alpha1
/// in 1.15, v1beta1 added in 1.16, v1 added in 1.17).
pub const KYVERNO_CHART_WITH_MUTATING_POLICY_V1: (u64, u64, u64) = (3, 7, 0);

/// Parses `MAJOR.MINOR.PATCH` (an optional leading `v`, pre-release suffixes ignored).
pub fn parse_version(v: &str) -> Option<(u64, u64, u64)> {
    let v = v.strip_prefix('v').unwrap_or(v);
    let core = v.split(['-', '+']).next().unwrap_or(v);
    let mut it = core.split('.');
    let major = it.next()?.parse().ok()?;
    let minor = it.next().unwrap_or("0").parse().ok()?;
    let patch = it.next().unwrap_or("0").parse().ok()?;
    Some((major, minor, patch))
}

/// The components as a fixed-width text table. The ENABLED column appears when the
/// rows carry switches (an inventory was given).
pub fn table(rows: &[(Component, String, Option<bool>)]) -> String {
    let with_switch = rows.iter().any(|r| r.2.is_some());
    let mut head = vec!["COMPONENT"];
    if with_switch {
        head.push("ENABLED");
    }
    head.extend(["CHART", "VERSION", "NAMESPACE", "REPOSITORY"]);
    let cells: Vec<Vec<String>> = rows
        .iter()
        .map(|(c, version, enabled)| {
            let mut row = vec![c.key.to_string()];
            if with_switch {
                row.push(if *enabled == Some(true) { "yes".into() } else { "no".into() });
            }
            row.push(if c.chart.is_empty() { "(k3s)".into() } else { c.chart.to_string() });
            row.push(if version.is_empty() { "-".into() } else { version.clone() });
            row.push(c.namespace.to_string());
            row.push(if c.repo.is_empty() { "-".into() } else { c.repo.to_string() });
            row
        })
        .collect();
    let mut width: Vec<usize> = head.iter().map(|h| h.len()).collect();
    for row in &cells {
        for (w, cell) in width.iter_mut().zip(row) {
            *w = (*w).max(cell.len());
        }
    }
    let mut out = String::new();
    let mut line = |cols: &[&str]| {
        let mut l = String::new();
        for (c, w) in cols.iter().zip(&width) {
            l.push_str(&format!("{c:<w$}  "));
        }
        out.push_str(l.trim_end());
        out.push('\n');
    };
    line(&head);
    for row in &cells {
        line(&row.iter().map(String::as_str).collect::<Vec<_>>());
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_parse() {
        assert_eq!(parse_version("v1.21.1"), Some((1, 21, 1)));
        assert_eq!(parse_version("3.9.0"), Some((3, 9, 0)));
        assert_eq!(parse_version("3.6"), Some((3, 6, 0)));
        assert_eq!(parse_version("3.10.0-rc.1"), Some((3, 10, 0)));
        assert_eq!(parse_version("latest"), None);
    }

    #[test]
    fn every_pinned_chart_version_is_semver() {
        for c in ALL.iter().filter(|c| !c.chart.is_empty()) {
            assert!(parse_version(c.version).is_some(), "{}", c.key);
            assert!(c.repo.starts_with("https://"), "{}", c.key);
        }
    }
}
