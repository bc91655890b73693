//! Cluster → [`Plan`]: checks every add-on combination and resolves the values the
//! manifests need (versions, replica count, storage network interface and IPAM
//! exclusions, MetalLB pools). Every problem is reported, not only the first, with
//! the field path (`addons.longhorn.replicas`) so the caller can locate it in the
//! inventory. Pure: no I/O.

use std::net::IpAddr;

use n3x_core::cluster::Cluster;
use n3x_core::diag::did_you_mean;
use n3x_core::inventory::Issuer;
use n3x_core::model::{MetallbMode, PolicyKind};
use n3x_core::networkplan::NetworkPlan;
use n3x_core::{Diagnostic, Diagnostics};

use crate::components::{self, Component};

pub use n3x_core::normalize::LABEL_GPU;
/// The label Longhorn's `createDefaultDiskLabeledNodes` setting looks for.
pub const LABEL_LONGHORN_DEFAULT_DISK: &str = "node.longhorn.io/create-default-disk";

/// Everything the manifests need, resolved.
#[derive(Debug, Clone, PartialEq)]
pub struct Plan {
    /// Cluster name (the `app.kubernetes.io/part-of` label).
    pub cluster: String,
    /// Kyverno and the Longhorn PATH policy.
    pub kyverno: Option<KyvernoPlan>,
    /// Multus.
    pub multus: Option<MultusPlan>,
    /// Longhorn.
    pub longhorn: Option<LonghornPlan>,
    /// MetalLB.
    pub metallb: Option<MetallbPlan>,
    /// cert-manager.
    pub cert_manager: Option<CertManagerPlan>,
    /// Traefik customization (only when there is something to customize).
    pub traefik: Option<TraefikPlan>,
    /// NVIDIA device plugin.
    pub nvidia: Option<NvidiaPlan>,
    /// Argo CD.
    pub argocd: Option<ArgoCdPlan>,
}

/// Kyverno, resolved.
#[derive(Debug, Clone, PartialEq)]
pub struct KyvernoPlan {
    /// Chart version.
    pub version: String,
    /// Kind of the Longhorn PATH policy; `None` when Longhorn is off (no policy).
    pub policy: Option<PolicyKind>,
}

/// Multus, resolved.
#[derive(Debug, Clone, PartialEq)]
pub struct MultusPlan {
    /// Chart version.
    pub version: String,
}

/// Longhorn, resolved.
#[derive(Debug, Clone, PartialEq)]
pub struct LonghornPlan {
    /// Chart version.
    pub version: String,
    /// Default replica count.
    pub replicas: u32,
    /// Data path on the nodes.
    pub data_path: String,
    /// Create default disks only on labelled nodes (some nodes carry no storage).
    pub labeled_nodes_only: bool,
    /// The storage network, when replication has its own network.
    pub storage_network: Option<StorageNetwork>,
    /// Node taints of the cluster, so Longhorn's manager and CSI driver run on every
    /// node (a pod on a tainted GPU node must still mount its volume).
    pub tolerations: Vec<Toleration>,
    /// Fixed load-balancer address of the UI service (MetalLB assigns it).
    pub ui_address: Option<IpAddr>,
}

/// A toleration for one node taint (`key=value:Effect` or `key:Effect`).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Toleration {
    /// Taint key.
    pub key: String,
    /// Taint value (`None` for `key:Effect`).
    pub value: Option<String>,
    /// `NoSchedule`, `PreferNoSchedule` or `NoExecute`.
    pub effect: String,
}

impl Toleration {
    /// Parses `key=value:Effect` or `key:Effect`.
    pub fn parse(taint: &str) -> Option<Toleration> {
        let (kv, effect) = taint.rsplit_once(':')?;
        if !["NoSchedule", "PreferNoSchedule", "NoExecute"].contains(&effect) {
            return None;
        }
        let (key, value) = match kv.split_once('=') {
            Some((k, v)) => (k, Some(v.to_string())),
            None => (kv, None),
        };
        (!key.is_empty()).then(|| Toleration { key: key.to_string(), value, effect: effect.to_string() })
    }
    /// Longhorn's `taintToleration` setting form (`key=value:Effect`).
    pub fn longhorn_form(&self) -> String {
        match &self.value {
            Some(v) => format!("{}={v}:{}", self.key, self.effect),
            None => format!("{}:{}", self.key, self.effect),
        }
    }
}

/// The Longhorn storage network as a Multus attachment.
#[derive(Debug, Clone, PartialEq)]
pub struct StorageNetwork {
    /// Network name in the inventory.
    pub network: String,
    /// Host interface carrying it (the same on every storage node).
    pub interface: String,
    /// The network (`192.168.20.0/24`).
    pub cidr: String,
    /// MTU.
    pub mtu: u16,
    /// Addresses pod IPAM must never hand out: node addresses, the gateway and
    /// load-balancer pools on that network, as CIDRs.
    pub exclude: Vec<String>,
}

/// MetalLB, resolved.
#[derive(Debug, Clone, PartialEq)]
pub struct MetallbPlan {
    /// Chart version.
    pub version: String,
    /// Advertisement mode.
    pub mode: MetallbMode,
    /// Pools MetalLB serves.
    pub pools: Vec<PoolPlan>,
}

/// One MetalLB pool.
#[derive(Debug, Clone, PartialEq)]
pub struct PoolPlan {
    /// Name.
    pub name: String,
    /// `FIRST-LAST` ranges.
    pub addresses: Vec<String>,
    /// Automatic assignment.
    pub auto_assign: bool,
}

/// cert-manager, resolved.
#[derive(Debug, Clone, PartialEq)]
pub struct CertManagerPlan {
    /// Chart version.
    pub version: String,
    /// The ClusterIssuer.
    pub issuer: Issuer,
}

/// Traefik customization.
#[derive(Debug, Clone, PartialEq)]
pub struct TraefikPlan {
    /// Expose the dashboard.
    pub dashboard: bool,
    /// Load-balancer address of the service (only with MetalLB).
    pub address: Option<IpAddr>,
}

/// NVIDIA device plugin, resolved.
#[derive(Debug, Clone, PartialEq)]
pub struct NvidiaPlan {
    /// Chart version.
    pub version: String,
    /// Tolerations for the taints of the GPU nodes (besides `nvidia.com/gpu`).
    pub tolerations: Vec<Toleration>,
}

/// Argo CD, resolved.
#[derive(Debug, Clone, PartialEq)]
pub struct ArgoCdPlan {
    /// Chart version.
    pub version: String,
    /// Repository of the root app-of-apps.
    pub repo_url: String,
    /// Path in the repository.
    pub path: String,
    /// Branch, tag or commit.
    pub revision: String,
    /// Fixed load-balancer address of the server service (MetalLB assigns it).
    pub address: Option<IpAddr>,
}

fn version(c: &Component, over: &Option<String>) -> String {
    over.clone().unwrap_or_else(|| c.version.to_string())
}

/// Checks the cluster's add-ons and resolves them. `Err` holds every error (and the
/// warnings found with them); `Ok` carries the warnings.
pub fn plan(cluster: &Cluster) -> Result<(Plan, Diagnostics), Diagnostics> {
    plan_with(cluster, None)
}

/// [`plan`] with the cluster's `NetworkPlan` (from `n3x-netplan plan`): the storage
/// interface of each node comes from the plan, the checked network (it also covers
/// nodes whose network is an embedded netplan document), and the addresses on it are
/// excluded from pod IPAM too.
pub fn plan_with(cluster: &Cluster, network: Option<&NetworkPlan>) -> Result<(Plan, Diagnostics), Diagnostics> {
    let mut d = Diagnostics::new();
    let a = &cluster.addons;

    // Chart version overrides must be versions (HelmChart.spec.version is passed to helm as is).
    for (path, over) in [
        ("addons.kyverno.version", &a.kyverno.version),
        ("addons.longhorn.version", &a.longhorn.version),
        ("addons.metallb.version", &a.metallb.version),
        ("addons.argocd.version", &a.argocd.version),
        ("addons.certManager.version", &a.cert_manager.version),
        ("addons.multus.version", &a.multus.version),
        ("addons.nvidiaDevicePlugin.version", &a.nvidia_device_plugin.version),
    ] {
        if let Some(v) = over {
            if components::parse_version(v).is_none() {
                d.push(
                    Diagnostic::error(path, format!("chart version \"{v}\" is not a version"))
                        .with_help("write a chart version such as \"1.12.1\" (see `n3x-kube-bootstrap components`)"),
                );
            }
        }
    }

    // --- Longhorn -------------------------------------------------------------------
    let storage_nodes: Vec<(usize, &n3x_core::cluster::Node)> =
        cluster.nodes.iter().enumerate().filter(|(_, n)| n.longhorn).collect();
    let storage_names = || storage_nodes.iter().map(|(_, n)| n.name.as_str()).collect::<Vec<_>>().join(", ");
    let mut longhorn = None;
    if a.longhorn.enabled {
        let replicas = a.longhorn.replicas.unwrap_or(1);
        if storage_nodes.is_empty() {
            d.push(
                Diagnostic::error("addons.longhorn.enabled", "Longhorn is enabled but no node carries Longhorn storage")
                    .with_help("set longhorn: true (or a longhornDisk) on at least one node, or set addons.longhorn.enabled: false"),
            );
        } else if replicas as usize > storage_nodes.len() {
            d.push(
                Diagnostic::error(
                    "addons.longhorn.replicas",
                    format!(
                        "replicas is {replicas} but only {} node{} carr{} Longhorn storage ({})",
                        storage_nodes.len(),
                        if storage_nodes.len() == 1 { "" } else { "s" },
                        if storage_nodes.len() == 1 { "ies" } else { "y" },
                        storage_names()
                    ),
                )
                .with_help(format!(
                    "set addons.longhorn.replicas to {} or less, or give more nodes Longhorn storage; a replica count above the storage nodes leaves every volume degraded",
                    storage_nodes.len()
                )),
            );
        }
        if replicas == 0 {
            d.push(
                Diagnostic::error("addons.longhorn.replicas", "replicas must be at least 1")
                    .with_help("set addons.longhorn.replicas: 1 or more"),
            );
        }
        if a.kyverno.enabled == Some(false) {
            d.push(
                Diagnostic::error(
                    "addons.kyverno.enabled",
                    "Longhorn is enabled but Kyverno is off: on NixOS, Longhorn needs the Kyverno policy that puts the NixOS tool paths on PATH",
                )
                .with_help("remove addons.kyverno.enabled: false (Kyverno is switched on with Longhorn)"),
            );
        }
        let storage_network = match &a.longhorn.storage_network {
            None => None,
            Some(net) => storage_network(cluster, network, net, &storage_nodes, &mut d),
        };
        let labeled_nodes_only = storage_nodes.len() < cluster.nodes.len();
        if labeled_nodes_only {
            for (i, n) in &storage_nodes {
                if n.labels.get(LABEL_LONGHORN_DEFAULT_DISK).map(String::as_str) != Some("true") {
                    d.push(
                        Diagnostic::warning(
                            format!("nodes[{i}].labels"),
                            format!(
                                "node {} carries Longhorn storage but lacks the label {LABEL_LONGHORN_DEFAULT_DISK}=true; \
                                 some nodes carry no storage, so Longhorn creates its default disk only on labelled nodes",
                                n.name.as_str()
                            ),
                        )
                        .with_help(format!("add \"{LABEL_LONGHORN_DEFAULT_DISK}: \\\"true\\\"\" to the node's labels")),
                    );
                }
            }
        }
        let mut tolerations = Vec::new();
        for (i, n) in cluster.nodes.iter().enumerate() {
            for (j, t) in n.taints.iter().enumerate() {
                match Toleration::parse(t) {
                    Some(tol) => tolerations.push(tol),
                    None => d.push(
                        Diagnostic::error(format!("nodes[{i}].taints[{j}]"), format!("taint \"{t}\" is not key=value:Effect"))
                            .with_help("write e.g. nvidia.com/gpu=present:NoSchedule (effect NoSchedule, PreferNoSchedule or NoExecute)"),
                    ),
                }
            }
        }
        tolerations.sort();
        tolerations.dedup();
        longhorn = Some(LonghornPlan {
            version: version(&components::LONGHORN, &a.longhorn.version),
            replicas,
            data_path: a.longhorn.data_path.clone().unwrap_or_else(|| "/var/lib/longhorn".into()),
            labeled_nodes_only,
            storage_network,
            tolerations,
            ui_address: a.longhorn.ui_address,
        });
    } else if a.longhorn.storage_network.is_some() {
        d.push(Diagnostic::warning("addons.longhorn.storageNetwork", "ignored: Longhorn is off"));
    }

    // --- Kyverno ----------------------------------------------------------------------
    let kyverno_on = a.kyverno.enabled.unwrap_or(a.longhorn.enabled);
    let mut kyverno = None;
    if kyverno_on {
        let v = version(&components::KYVERNO, &a.kyverno.version);
        let kind = a.kyverno.policy_kind;
        let at_least_1_17 =
            components::parse_version(&v).is_some_and(|p| p >= components::KYVERNO_CHART_WITH_MUTATING_POLICY_V1);
        if a.longhorn.enabled {
            match kind {
                PolicyKind::MutatingPolicy if !at_least_1_17 && components::parse_version(&v).is_some() => d.push(
                    Diagnostic::error(
                        "addons.kyverno.policyKind",
                        format!(
                            "Kyverno chart {v} predates Kyverno 1.17, which does not serve MutatingPolicy in policies.kyverno.io/v1"
                        ),
                    )
                    .with_help("set addons.kyverno.policyKind: ClusterPolicy for this Kyverno, or use chart 3.7.0 or newer"),
                ),
                PolicyKind::ClusterPolicy if at_least_1_17 => d.push(
                    Diagnostic::warning(
                        "addons.kyverno.policyKind",
                        format!("ClusterPolicy (kyverno.io/v1) is deprecated since Kyverno 1.17 and Kyverno chart {v} supports MutatingPolicy"),
                    )
                    .with_help("remove addons.kyverno.policyKind to use MutatingPolicy"),
                ),
                _ => {}
            }
        }
        kyverno = Some(KyvernoPlan { version: v, policy: a.longhorn.enabled.then_some(kind) });
    }

    // --- Multus -----------------------------------------------------------------------
    let multus = a.multus.enabled.then(|| MultusPlan { version: version(&components::MULTUS, &a.multus.version) });

    // --- MetalLB ----------------------------------------------------------------------
    let mut metallb = None;
    if a.metallb.enabled {
        let mut pools = Vec::new();
        if cluster.pools.is_empty() {
            d.push(
                Diagnostic::error("addons.metallb.enabled", "MetalLB is enabled but the inventory has no load-balancer pool")
                    .with_help(
                        "add a pool under loadBalancer.pools (name: default, addresses: [192.168.10.200-192.168.10.220]) or set addons.metallb.enabled: false",
                    ),
            );
        }
        // With no pool at all, the error above says everything; do not add one per name.
        let wanted: Vec<String> = if cluster.pools.is_empty() {
            Vec::new()
        } else if a.metallb.pools.is_empty() {
            cluster.pools.iter().map(|p| p.name.as_str().to_string()).collect()
        } else {
            a.metallb.pools.clone()
        };
        for (i, name) in wanted.iter().enumerate() {
            match cluster.pools.iter().find(|p| p.name.as_str() == name) {
                Some(p) => pools.push(PoolPlan {
                    name: p.name.as_str().to_string(),
                    addresses: p.addresses.iter().map(|r| r.to_string()).collect(),
                    auto_assign: p.auto_assign,
                }),
                None => {
                    let mut diag =
                        Diagnostic::error(format!("addons.metallb.pools[{i}]"), format!("unknown pool \"{name}\""));
                    diag = match did_you_mean(name, cluster.pools.iter().map(|p| p.name.as_str())) {
                        Some(s) => diag.with_help(format!("did you mean \"{s}\"?")),
                        None => diag.with_help("name a pool declared under loadBalancer.pools"),
                    };
                    d.push(diag);
                }
            }
        }
        if !cluster.k3s.disable.iter().any(|c| c == "servicelb") {
            d.push(
                Diagnostic::error("k3s.disable", "MetalLB is enabled but k3s's servicelb is not disabled; both would answer for LoadBalancer services")
                    .with_help("add servicelb to k3s.disable"),
            );
        }
        if a.metallb.mode == MetallbMode::Bgp {
            d.push(
                Diagnostic::warning(
                    "addons.metallb.mode",
                    "BGP mode: n3x renders the address pools but no BGPPeer/BGPAdvertisement",
                )
                .with_help("add the BGPPeer and BGPAdvertisement objects through Argo CD, or use mode: l2"),
            );
        }
        metallb = Some(MetallbPlan {
            version: version(&components::METALLB, &a.metallb.version),
            mode: a.metallb.mode,
            pools,
        });
    }

    // --- cert-manager -----------------------------------------------------------------
    let mut cert_manager = None;
    if a.cert_manager.enabled {
        if let Issuer::Acme { email, server } = &a.cert_manager.issuer {
            if email.trim().is_empty() || !email.contains('@') {
                d.push(
                    Diagnostic::error(
                        "addons.certManager.issuer.email",
                        format!("\"{email}\" is not an e-mail address"),
                    )
                    .with_help("ACME needs the account's e-mail address, e.g. ops@example.net"),
                );
            }
            if !server.starts_with("https://") {
                d.push(
                    Diagnostic::error(
                        "addons.certManager.issuer.server",
                        format!("ACME server \"{server}\" is not an https:// URL"),
                    )
                    .with_help("e.g. https://acme-v02.api.letsencrypt.org/directory"),
                );
            }
            if !a.traefik.enabled {
                d.push(
                    Diagnostic::error(
                        "addons.certManager.issuer",
                        "the ACME issuer solves HTTP-01 through the Traefik ingress, but Traefik is off",
                    )
                    .with_help("switch Traefik on or use issuer type selfSigned"),
                );
            }
        }
        cert_manager = Some(CertManagerPlan {
            version: version(&components::CERT_MANAGER, &a.cert_manager.version),
            issuer: a.cert_manager.issuer.clone(),
        });
    }

    // --- Traefik ----------------------------------------------------------------------
    let mut traefik = None;
    let t = &a.traefik;
    if !t.enabled {
        if t.dashboard || t.address.is_some() {
            d.push(Diagnostic::warning("addons.traefik", "dashboard/address ignored: Traefik is off"));
        }
    } else if t.dashboard || t.address.is_some() {
        let mut address = t.address;
        if let Some(ip) = t.address {
            match &metallb {
                None => {
                    d.push(
                        Diagnostic::warning(
                            "addons.traefik.address",
                            format!("ignored: {ip} needs MetalLB to be assigned"),
                        )
                        .with_help("enable addons.metallb, or remove addons.traefik.address"),
                    );
                    address = None;
                }
                Some(m) => {
                    let served = cluster
                        .pools
                        .iter()
                        .filter(|p| m.pools.iter().any(|q| q.name == p.name.as_str()))
                        .any(|p| p.addresses.iter().any(|r| r.contains(&ip)));
                    if !served {
                        d.push(
                            Diagnostic::error("addons.traefik.address", format!("{ip} is in no pool MetalLB serves"))
                                .with_help("pick an address from a pool under loadBalancer.pools"),
                        );
                    }
                }
            }
        }
        traefik = Some(TraefikPlan { dashboard: t.dashboard, address });
    }

    // --- NVIDIA -----------------------------------------------------------------------
    let mut nvidia = None;
    if a.nvidia_device_plugin.enabled.unwrap_or(false) {
        if !cluster.nodes.iter().any(|n| n.gpu) {
            d.push(Diagnostic::warning(
                "addons.nvidiaDevicePlugin.enabled",
                "the NVIDIA device plugin is on but no node has a GPU; it will schedule nowhere",
            ));
        }
        let tolerations = node_tolerations(cluster.nodes.iter().filter(|n| n.gpu));
        nvidia = Some(NvidiaPlan {
            version: version(&components::NVIDIA_DEVICE_PLUGIN, &a.nvidia_device_plugin.version),
            tolerations,
        });
    }

    // --- Argo CD ----------------------------------------------------------------------
    let mut argocd = None;
    if a.argocd.enabled {
        match a.argocd.repo_url.as_deref().map(str::trim) {
            None | Some("") => d.push(
                Diagnostic::error("addons.argocd.repoUrl", "Argo CD is enabled but has no repository for the root application")
                    .with_help("set addons.argocd.repoUrl (e.g. https://git.example.net/cluster/apps.git), path and revision, or set addons.argocd.enabled: false"),
            ),
            Some(url) => {
                if has_inline_credentials(url) {
                    d.push(
                        Diagnostic::error("addons.argocd.repoUrl", "the repository URL carries credentials; n3x never writes a secret into a manifest")
                            .with_help("remove user:password@ from the URL; give Argo CD the credentials as a repository Secret rendered by sops-nix (see docs/n3x-kube-bootstrap.md)"),
                    );
                } else if !(url.starts_with("https://") || url.starts_with("http://") || url.starts_with("ssh://") || url.starts_with("git@")) {
                    d.push(
                        Diagnostic::error("addons.argocd.repoUrl", format!("\"{url}\" is not a Git repository URL"))
                            .with_help("use https://host/org/repo.git, ssh://git@host/org/repo.git or git@host:org/repo.git"),
                    );
                }
                argocd = Some(ArgoCdPlan {
                    version: version(&components::ARGOCD, &a.argocd.version),
                    repo_url: url.to_string(),
                    path: a.argocd.path.clone().unwrap_or_else(|| ".".into()),
                    revision: a.argocd.revision.clone().unwrap_or_else(|| "HEAD".into()),
                    address: a.argocd.address,
                });
            }
        }
    }

    let plan = Plan {
        cluster: cluster.name.as_str().to_string(),
        kyverno,
        multus,
        longhorn,
        metallb,
        cert_manager,
        traefik,
        nvidia,
        argocd,
    };
    d.into_result().map(|warnings| (plan, warnings))
}

/// Tolerations for the (valid) taints of some nodes, sorted and unique.
fn node_tolerations<'a>(nodes: impl Iterator<Item = &'a n3x_core::cluster::Node>) -> Vec<Toleration> {
    let mut out: Vec<Toleration> = nodes.flat_map(|n| n.taints.iter().filter_map(|t| Toleration::parse(t))).collect();
    out.sort();
    out.dedup();
    out
}

/// `https://user:secret@host/…` — a password in the URL.
fn has_inline_credentials(url: &str) -> bool {
    let Some((scheme, rest)) = url.split_once("://") else { return false };
    if !scheme.starts_with("http") {
        return false;
    }
    let authority = rest.split('/').next().unwrap_or(rest);
    authority.contains('@')
}

fn storage_network(
    cluster: &Cluster,
    network: Option<&NetworkPlan>,
    net: &str,
    storage_nodes: &[(usize, &n3x_core::cluster::Node)],
    d: &mut Diagnostics,
) -> Option<StorageNetwork> {
    let path = "addons.longhorn.storageNetwork";
    if !cluster.addons.multus.enabled {
        d.push(
            Diagnostic::error(path, format!("the Longhorn storage network \"{net}\" needs Multus, which is off"))
                .with_help("set addons.multus.enabled: true, or remove addons.longhorn.storageNetwork to replicate over the cluster network"),
        );
    }
    let Some(spec) = cluster.networks.get(net) else {
        let mut diag = Diagnostic::error(path, format!("unknown network \"{net}\""));
        diag = match did_you_mean(net, cluster.networks.keys().map(String::as_str)) {
            Some(s) => diag.with_help(format!("did you mean \"{s}\"?")),
            None => diag.with_help(format!("declare it under networks (networks.{net}.cidr)")),
        };
        d.push(diag);
        return None;
    };
    if net == "cluster" {
        d.push(
            Diagnostic::error(path, "the storage network must not be the cluster network").with_help(
                "declare a separate network (e.g. networks.storage) or remove addons.longhorn.storageNetwork",
            ),
        );
        return None;
    }
    let mut interfaces: Vec<(String, String)> = Vec::new();
    let mut exclude: Vec<String> = Vec::new();
    let host = |ip: &IpAddr| match ip {
        IpAddr::V4(_) => format!("{ip}/32"),
        IpAddr::V6(_) => format!("{ip}/128"),
    };
    let planned = |node: &str| -> Option<&n3x_core::networkplan::NodeNetworkPlan> {
        network.and_then(|p| p.nodes.iter().find(|n| n.node == node))
    };
    for (i, n) in storage_nodes {
        let from_cluster = n.network.attachments.iter().find(|at| at.network == net).map(|at| at.interface.to_string());
        let from_plan = planned(n.name.as_str()).and_then(|p| p.storage_interface.clone());
        if let (Some(c), Some(p)) = (&from_cluster, &from_plan) {
            if c != p {
                d.push(Diagnostic::warning(
                    format!("nodes[{i}].network"),
                    format!(
                        "node {}: the NetworkPlan puts the storage network on {p}, the cluster on {c}; using {p}",
                        n.name.as_str()
                    ),
                ));
            }
        }
        match from_plan.or(from_cluster) {
            Some(iface) => interfaces.push((n.name.as_str().to_string(), iface)),
            None => d.push(
                Diagnostic::error(
                    format!("nodes[{i}].addresses.{net}"),
                    format!(
                        "node {} carries Longhorn storage but has no address on the storage network \"{net}\"",
                        n.name.as_str()
                    ),
                )
                .with_help(format!(
                    "give the node an address on {net} ({}), or set longhorn: false on it",
                    spec.cidr.0
                )),
            ),
        }
    }
    // Every node's address on the network (storage or not) is off limits for pods.
    for n in &cluster.nodes {
        if let Some(ip) = n.addresses.get(net) {
            exclude.push(host(ip));
        }
        for at in n.network.attachments.iter().filter(|at| at.network == net) {
            if let Some(a) = at.address {
                exclude.push(host(&a.addr()));
            }
        }
    }
    // Addresses the NetworkPlan puts inside the storage network (any interface).
    for node in network.map(|p| p.nodes.as_slice()).unwrap_or_default() {
        for iface in &node.interfaces {
            for a in &iface.addresses {
                // `ADDRESS/PREFIX`; the address is what matters here.
                if let Ok(ip) = a.split('/').next().unwrap_or(a).parse::<IpAddr>() {
                    if spec.cidr.contains(&ip) {
                        exclude.push(host(&ip));
                    }
                }
            }
        }
    }
    if let Some(gw) = spec.gateway {
        exclude.push(host(&gw));
    }
    for p in cluster.pools.iter().filter(|p| p.network == net) {
        for r in &p.addresses {
            exclude.extend(range_to_cidrs(r.start, r.end));
        }
    }
    exclude.sort_by_key(|c| cidr_key(c));
    exclude.dedup();

    let mut names: Vec<&str> = interfaces.iter().map(|(_, i)| i.as_str()).collect();
    names.sort_unstable();
    names.dedup();
    if names.len() > 1 {
        let list = interfaces.iter().map(|(n, i)| format!("{n}: {i}")).collect::<Vec<_>>().join(", ");
        d.push(
            Diagnostic::error(path, format!("the storage network \"{net}\" is on different interfaces on different nodes ({list})"))
                .with_help("one NetworkAttachmentDefinition names one host interface: give the storage interface the same name on every storage node (network.nics with MACs pins names)"),
        );
        return None;
    }
    let interface = names.first()?.to_string();
    Some(StorageNetwork {
        network: net.to_string(),
        interface,
        cidr: spec.cidr.0.trunc().to_string(),
        mtu: spec.mtu,
        exclude,
    })
}

fn cidr_key(c: &str) -> (u8, u128, String) {
    let addr = c.split('/').next().unwrap_or(c);
    match addr.parse::<IpAddr>() {
        Ok(IpAddr::V4(a)) => (4, u128::from(u32::from(a)), c.to_string()),
        Ok(IpAddr::V6(a)) => (6, u128::from(a), c.to_string()),
        Err(_) => (9, 0, c.to_string()),
    }
}

/// The smallest list of CIDRs covering `start..=end` exactly.
pub fn range_to_cidrs(start: IpAddr, end: IpAddr) -> Vec<String> {
    let (bits, s, e) = match (start, end) {
        (IpAddr::V4(a), IpAddr::V4(b)) => (32u32, u128::from(u32::from(a)), u128::from(u32::from(b))),
        (IpAddr::V6(a), IpAddr::V6(b)) => (128u32, u128::from(a), u128::from(b)),
        _ => return Vec::new(),
    };
    let mut out = Vec::new();
    let mut cur = s;
    while cur <= e {
        // Largest block aligned at `cur` that does not pass `end`.
        let mut size_bits = if cur == 0 { bits } else { cur.trailing_zeros().min(bits) };
        while size_bits > 0 {
            let span = if size_bits >= 128 { u128::MAX } else { (1u128 << size_bits) - 1 };
            if cur.checked_add(span).is_some_and(|last| last <= e) {
                break;
            }
            size_bits -= 1;
        }
        let prefix = bits - size_bits;
        let addr = if bits == 32 {
            IpAddr::V4(std::net::Ipv4Addr::from(cur as u32))
        } else {
            IpAddr::V6(std::net::Ipv6Addr::from(cur))
        };
        out.push(format!("{addr}/{prefix}"));
        let span = if size_bits >= 128 { u128::MAX } else { 1u128 << size_bits };
        match cur.checked_add(span) {
            Some(next) => cur = next,
            None => break,
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges_become_exact_cidrs() {
        let r = |a: &str, b: &str| range_to_cidrs(a.parse().unwrap(), b.parse().unwrap());
        assert_eq!(
            r("192.168.10.200", "192.168.10.220"),
            vec!["192.168.10.200/29", "192.168.10.208/29", "192.168.10.216/30", "192.168.10.220/32"]
        );
        assert_eq!(r("10.0.0.0", "10.0.0.255"), vec!["10.0.0.0/24"]);
        assert_eq!(r("10.0.0.5", "10.0.0.5"), vec!["10.0.0.5/32"]);
        assert_eq!(r("fd00::1", "fd00::2"), vec!["fd00::1/128", "fd00::2/128"]);
    }

    #[test]
    fn taints_parse() {
        let t = Toleration::parse("nvidia.com/gpu=present:NoSchedule").unwrap();
        assert_eq!(
            (t.key.as_str(), t.value.as_deref(), t.effect.as_str()),
            ("nvidia.com/gpu", Some("present"), "NoSchedule")
        );
        assert_eq!(t.longhorn_form(), "nvidia.com/gpu=present:NoSchedule");
        assert_eq!(Toleration::parse("dedicated:NoExecute").unwrap().value, None);
        assert!(Toleration::parse("dedicated=x").is_none());
        assert!(Toleration::parse("k=v:Sometimes").is_none());
    }

    #[test]
    fn inline_credentials_are_found() {
        assert!(has_inline_credentials("https://bob:pw@git.example.net/x.git"));
        assert!(!has_inline_credentials("https://git.example.net/x.git"));
        assert!(!has_inline_credentials("ssh://git@git.example.net/x.git"));
    }
}
