//! [`Plan`] → the manifest files for k3s's manifests folder, in apply order.
//!
//! Ordering (the full argument is in docs/n3x-kube-bootstrap.md):
//!
//! * k3s's deploy controller applies the folder's files one after another in lexical
//!   order on every pass (every 15 s), and retries a failed file on the next pass.
//!   File numbers set the first-pass order; retries make a custom resource whose CRD
//!   is not there yet converge later, so such objects live in their own file, never
//!   in the file of the chart that brings the CRD.
//! * Order alone cannot make Longhorn wait for Kyverno's policy to be *active*, so the
//!   API server enforces it: the `ValidatingAdmissionPolicy` in `12-longhorn-gate`
//!   rejects every Pod in longhorn-system whose containers lack the NixOS PATH.
//!   Mutation (Kyverno) runs before validation in the admission chain, so a Longhorn
//!   pod is admitted only once the Kyverno policy mutates it; until then its
//!   controller retries. The gate file also creates the longhorn-system Namespace,
//!   after the policy in the same file, and the Longhorn HelmChart does not create the
//!   namespace itself, so Longhorn cannot install before the gate exists.
//!
//! Pure: builds JSON values; [`crate::yaml`] prints them.

use serde_json::{json, Map, Value};

use n3x_core::inventory::Issuer;
use n3x_core::model::{MetallbMode, PolicyKind};

use crate::components::{self, Component};
use crate::plan::{Plan, Toleration, LABEL_GPU};
use crate::yaml;

/// The PATH Longhorn's containers get on NixOS: the standard FHS directories first
/// (what the images expect), then the NixOS locations of the host tools Longhorn calls
/// through nsenter (`mount`, `iscsiadm`, `cryptsetup`, …).
pub const NIXOS_PATH: &str =
    "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin:/run/wrappers/bin:/nix/var/nix/profiles/default/bin:/run/current-system/sw/bin";

/// Name of the Kyverno policy (either kind) and of the admission gate.
pub const POLICY_NAME: &str = "n3x-longhorn-nixos-path";
/// Namespace of the HelmChart objects (where k3s's helm-controller runs its jobs).
pub const HELM_NAMESPACE: &str = "kube-system";
/// Name of the Longhorn storage network's NetworkAttachmentDefinition.
pub const STORAGE_NAD: &str = "longhorn-storage";
/// The RuntimeClass n3x creates for GPU pods (k3s's own `nvidia` class has no node selector).
pub const RUNTIME_CLASS: &str = "n3x-nvidia";

/// k3s's CNI configuration folder.
pub const K3S_CNI_CONF_DIR: &str = "/var/lib/rancher/k3s/agent/etc/cni/net.d";
/// k3s's CNI binary folder: fixed at `$DATA_DIR/data/cni` since the October 2024
/// releases (v1.28.15, v1.29.10, v1.30.6, v1.31.2; docs.k3s.io "Multus and IPAM
/// plugins"). Older k3s used `data/current/bin`, which moves on every upgrade.
pub const K3S_CNI_BIN_DIR: &str = "/var/lib/rancher/k3s/data/cni/";

/// One file of the k3s manifests folder.
#[derive(Debug, Clone, PartialEq)]
pub struct Manifest {
    /// Position in the apply order (the `NN-` prefix).
    pub order: u8,
    /// Name after the prefix; no dots (k3s names the AddOn after the text before the first dot).
    pub name: &'static str,
    /// One line saying what the file is and what it waits for.
    pub about: String,
    /// The Kubernetes objects, in apply order.
    pub docs: Vec<Value>,
}

impl Manifest {
    /// `NN-name`: the k3s AddOn name and the `services.k3s.manifests` attribute.
    pub fn stem(&self) -> String {
        format!("{:02}-{}", self.order, self.name)
    }
    /// `NN-name.yaml`.
    pub fn file_name(&self) -> String {
        format!("{}.yaml", self.stem())
    }
    /// The file text: a header comment, then the documents.
    pub fn render(&self, header: &[String]) -> Result<String, String> {
        let mut out = String::new();
        n3x_core::comment::push_lines(&mut out, "", header);
        n3x_core::comment::push_line(&mut out, "", &self.about);
        out.push_str(&yaml::documents(&self.docs)?);
        Ok(out)
    }
}

/// The recommended labels n3x puts on everything it creates.
fn labels(plan: &Plan, name: &str, component: &str, version: Option<&str>) -> Value {
    let mut m = Map::new();
    m.insert("app.kubernetes.io/name".into(), json!(name));
    m.insert("app.kubernetes.io/component".into(), json!(component));
    m.insert("app.kubernetes.io/part-of".into(), json!(plan.cluster));
    m.insert("app.kubernetes.io/managed-by".into(), json!("n3x"));
    if let Some(v) = version {
        m.insert("app.kubernetes.io/version".into(), json!(v));
    }
    Value::Object(m)
}

fn meta(plan: &Plan, name: &str, namespace: Option<&str>, app: &str, component: &str, version: Option<&str>) -> Value {
    let mut m = Map::new();
    m.insert("name".into(), json!(name));
    if let Some(ns) = namespace {
        m.insert("namespace".into(), json!(ns));
    }
    m.insert("labels".into(), labels(plan, app, component, version));
    Value::Object(m)
}

fn namespace(plan: &Plan, name: &str, app: &str, privileged: bool) -> Value {
    let mut md = meta(plan, name, None, app, "namespace", None);
    if privileged {
        // Longhorn, MetalLB's speaker and the device plugin need host access; say so
        // explicitly so that a cluster-wide Pod Security default cannot block them.
        if let Some(Value::Object(l)) = md.get_mut("labels") {
            l.insert("pod-security.kubernetes.io/enforce".into(), json!("privileged"));
        }
    }
    json!({"apiVersion": "v1", "kind": "Namespace", "metadata": md})
}

/// A HelmChart for a component. `values` becomes `valuesContent` (YAML text).
fn helm_chart(
    plan: &Plan,
    c: &Component,
    version: &str,
    create_namespace: bool,
    values: Option<Value>,
) -> Result<Value, String> {
    let mut spec = Map::new();
    spec.insert("chart".into(), json!(c.chart));
    spec.insert("repo".into(), json!(c.repo));
    spec.insert("version".into(), json!(version));
    spec.insert("targetNamespace".into(), json!(c.namespace));
    spec.insert("createNamespace".into(), json!(create_namespace));
    if let Some(v) = values {
        spec.insert("valuesContent".into(), json!(yaml::document(&v)?));
    }
    Ok(json!({
        "apiVersion": "helm.cattle.io/v1",
        "kind": "HelmChart",
        "metadata": meta(plan, c.release, Some(HELM_NAMESPACE), c.release, "helm-chart", Some(version)),
        "spec": Value::Object(spec),
    }))
}

/// The ApplyConfiguration CEL expression of the MutatingPolicy: every container and
/// init container gets `PATH` (server-side-apply merge: other env entries stay).
fn path_expression() -> String {
    let env = |list: &str| format!("[Object.spec.{list}.env{{name: \"PATH\", value: \"{NIXOS_PATH}\"}}]");
    let list = |field: &str| {
        format!(
            "(has(object.spec.{field}) ? object.spec.{field} : []).map(c, Object.spec.{field}{{\n      name: c.name,\n      env: {}\n    }})",
            env(field)
        )
    };
    format!(
        "Object{{\n  spec: Object.spec{{\n    containers: {},\n    initContainers: {}\n  }}\n}}\n",
        list("containers"),
        list("initContainers")
    )
}

fn longhorn_pod_rules() -> Value {
    json!([{"apiGroups": [""], "apiVersions": ["v1"], "operations": ["CREATE"], "resources": ["pods"]}])
}

fn longhorn_namespace_selector() -> Value {
    json!({"matchLabels": {"kubernetes.io/metadata.name": components::LONGHORN.namespace}})
}

fn path_policy(plan: &Plan, kind: PolicyKind) -> Value {
    let md = meta(plan, POLICY_NAME, None, "longhorn-nixos-path", "policy", None);
    match kind {
        // MutatingPolicy (policies.kyverno.io/v1, Kyverno >= 1.17) is the kind Kyverno
        // keeps: ClusterPolicy is deprecated since 1.17 and due for removal. It is CEL
        // with server-side-apply merge, so the PATH entry replaces only itself.
        PolicyKind::MutatingPolicy => json!({
            "apiVersion": "policies.kyverno.io/v1",
            "kind": "MutatingPolicy",
            "metadata": md,
            "spec": {
                // Fail closed: if Kyverno cannot answer, the pod is refused and retried.
                "failurePolicy": "Fail",
                "matchConstraints": {
                    "namespaceSelector": longhorn_namespace_selector(),
                    "resourceRules": longhorn_pod_rules(),
                },
                // Mutate the pods themselves only; pod controllers are left as Helm wrote them.
                "autogen": {"podControllers": {"controllers": []}},
                "evaluation": {"background": {"enabled": false}},
                "mutations": [{
                    "patchType": "ApplyConfiguration",
                    "applyConfiguration": {"expression": path_expression()},
                }],
            },
        }),
        // ClusterPolicy (kyverno.io/v1) for Kyverno older than 1.17.
        PolicyKind::ClusterPolicy => {
            let env = json!([{"name": "PATH", "value": NIXOS_PATH}]);
            json!({
                "apiVersion": "kyverno.io/v1",
                "kind": "ClusterPolicy",
                "metadata": md,
                "spec": {
                    "background": false,
                    "failurePolicy": "Fail",
                    "rules": [{
                        "name": "nixos-path",
                        "match": {"any": [{"resources": {
                            "kinds": ["Pod"],
                            "namespaces": [components::LONGHORN.namespace],
                            "operations": ["CREATE"],
                        }}]},
                        "mutate": {"patchStrategicMerge": {"spec": {
                            "containers": [{"(name)": "*", "env": env.clone()}],
                            "initContainers": [{"(name)": "*", "env": env}],
                        }}},
                    }],
                },
            })
        }
    }
}

/// The CEL check of the gate: every container and init container carries exactly the
/// NixOS PATH.
fn gate_expression() -> String {
    // Optional lists are read through `has(x) ? x : []` rather than `!has(x) || …`: the
    // same meaning, and it does not rely on `||` short-circuiting.
    let ok = format!(
        "(has(c.env) ? c.env : []).exists(e, e.name == 'PATH' && (has(e.value) ? e.value : '') == '{NIXOS_PATH}')"
    );
    format!(
        "object.spec.containers.all(c, {ok}) && (has(object.spec.initContainers) ? object.spec.initContainers : []).all(c, {ok})"
    )
}

fn gate(plan: &Plan) -> Vec<Value> {
    let app = "longhorn-nixos-path";
    vec![
        json!({
            "apiVersion": "admissionregistration.k8s.io/v1",
            "kind": "ValidatingAdmissionPolicy",
            "metadata": meta(plan, POLICY_NAME, None, app, "admission-gate", None),
            "spec": {
                "failurePolicy": "Fail",
                "matchConstraints": {
                    "namespaceSelector": longhorn_namespace_selector(),
                    "resourceRules": longhorn_pod_rules(),
                },
                "validations": [{
                    "expression": gate_expression(),
                    "message": format!(
                        "n3x: Longhorn pods need the NixOS PATH that the Kyverno policy {POLICY_NAME} sets; \
                         Kyverno is not mutating yet, so this pod is refused and its controller retries"
                    ),
                    "reason": "Forbidden",
                }],
            },
        }),
        json!({
            "apiVersion": "admissionregistration.k8s.io/v1",
            "kind": "ValidatingAdmissionPolicyBinding",
            "metadata": meta(plan, POLICY_NAME, None, app, "admission-gate", None),
            "spec": {"policyName": POLICY_NAME, "validationActions": ["Deny"]},
        }),
        // Last in the file: the namespace exists only after the gate was applied.
        namespace(plan, components::LONGHORN.namespace, "longhorn", true),
    ]
}

fn toleration(t: &Toleration) -> Value {
    match &t.value {
        Some(v) => json!({"key": t.key, "operator": "Equal", "value": v, "effect": t.effect}),
        None => json!({"key": t.key, "operator": "Exists", "effect": t.effect}),
    }
}

/// Every manifest file for the plan, in apply order.
pub fn manifests(plan: &Plan) -> Result<Vec<Manifest>, String> {
    let mut out = Vec::new();

    // 00: namespaces (except longhorn-system, which the gate creates).
    let mut nss = Vec::new();
    if plan.kyverno.is_some() {
        nss.push(namespace(plan, components::KYVERNO.namespace, "kyverno", false));
    }
    if plan.metallb.is_some() {
        nss.push(namespace(plan, components::METALLB.namespace, "metallb", true));
    }
    if plan.cert_manager.is_some() {
        nss.push(namespace(plan, components::CERT_MANAGER.namespace, "cert-manager", false));
    }
    if plan.nvidia.is_some() {
        nss.push(namespace(plan, components::NVIDIA_DEVICE_PLUGIN.namespace, "nvidia-device-plugin", true));
    }
    if plan.argocd.is_some() {
        nss.push(namespace(plan, components::ARGOCD.namespace, "argocd", false));
    }
    if !nss.is_empty() {
        out.push(Manifest {
            order: 0,
            name: "namespaces",
            about: "Namespaces of the add-ons, with the recommended labels.".into(),
            docs: nss,
        });
    }

    // 10-12: Kyverno, the PATH policy, the admission gate.
    if let Some(k) = &plan.kyverno {
        out.push(Manifest {
            order: 10,
            name: "kyverno",
            about: format!("Kyverno chart {} (brings the policy CRDs).", k.version),
            docs: vec![helm_chart(plan, &components::KYVERNO, &k.version, false, None)?],
        });
        if let Some(kind) = k.policy {
            out.push(Manifest {
                order: 11,
                name: "longhorn-nixos-path",
                about: format!(
                    "The Longhorn NixOS PATH policy as {}; its CRD comes from 10-kyverno, so k3s retries this file until Kyverno is installed.",
                    match kind {
                        PolicyKind::MutatingPolicy => {
                            "MutatingPolicy (policies.kyverno.io/v1, Kyverno >= 1.17; ClusterPolicy is deprecated since 1.17)"
                        }
                        PolicyKind::ClusterPolicy => "ClusterPolicy (kyverno.io/v1, chosen in the inventory for Kyverno < 1.17)",
                    }
                ),
                docs: vec![path_policy(plan, kind)],
            });
        }
    }
    if plan.longhorn.is_some() {
        out.push(Manifest {
            order: 12,
            name: "longhorn-gate",
            about:
                "Admission gate: no Pod in longhorn-system without the NixOS PATH; then the longhorn-system namespace."
                    .into(),
            docs: gate(plan),
        });
    }

    // 20-21: Multus and the storage network.
    if let Some(m) = &plan.multus {
        let values = json!({
            "config": {
                "fullnameOverride": "multus",
                "cni_conf": {
                    "confDir": K3S_CNI_CONF_DIR,
                    "binDir": K3S_CNI_BIN_DIR,
                    "kubeconfig": "/var/lib/rancher/k3s/agent/etc/cni/net.d/multus.d/multus.kubeconfig",
                },
            },
            // whereabouts: cluster-wide IPAM, so pods on different nodes never get the same address.
            "rke2-whereabouts": {
                "enabled": true,
                "fullnameOverride": "whereabouts",
                "cniConf": {"confDir": K3S_CNI_CONF_DIR, "binDir": K3S_CNI_BIN_DIR},
            },
        });
        out.push(Manifest {
            order: 20,
            name: "multus",
            about: format!(
                "Multus chart {} with whereabouts IPAM (brings the NetworkAttachmentDefinition CRD).",
                m.version
            ),
            docs: vec![helm_chart(plan, &components::MULTUS, &m.version, false, Some(values))?],
        });
    }
    if let Some(sn) = plan.longhorn.as_ref().and_then(|l| l.storage_network.as_ref()) {
        let config = json!({
            "cniVersion": "0.3.1",
            "type": "macvlan",
            "master": sn.interface,
            "mode": "bridge",
            "mtu": sn.mtu,
            "ipam": {"type": "whereabouts", "range": sn.cidr, "exclude": sn.exclude},
        });
        let config = serde_json::to_string(&config).map_err(|e| format!("cannot encode CNI JSON: {e}"))?;
        out.push(Manifest {
            order: 21,
            name: "storage-network",
            about: format!(
                "Longhorn storage network \"{}\": macvlan on {}; its CRD comes from 20-multus (retried until then).",
                sn.network, sn.interface
            ),
            docs: vec![json!({
                "apiVersion": "k8s.cni.cncf.io/v1",
                "kind": "NetworkAttachmentDefinition",
                "metadata": meta(plan, STORAGE_NAD, Some(HELM_NAMESPACE), "longhorn", "storage-network", None),
                "spec": {"config": config},
            })],
        });
    }

    // 30: Longhorn.
    if let Some(l) = &plan.longhorn {
        let mut settings = Map::new();
        settings.insert("defaultDataPath".into(), json!(l.data_path));
        // Longhorn 1.10+ takes per-data-engine defaults as a JSON object in a string.
        settings.insert("defaultReplicaCount".into(), json!(format!("{{\"v1\":\"{0}\",\"v2\":\"{0}\"}}", l.replicas)));
        if l.labeled_nodes_only {
            settings.insert("createDefaultDiskLabeledNodes".into(), json!(true));
        }
        if l.storage_network.is_some() {
            settings.insert("storageNetwork".into(), json!(format!("{HELM_NAMESPACE}/{STORAGE_NAD}")));
        }
        let mut values = json!({
            "defaultSettings": Value::Object(settings),
            "persistence": {"defaultClassReplicaCount": l.replicas},
        });
        if !l.tolerations.is_empty() {
            // Manager and CSI driver on every node, tainted ones included: a pod there
            // must still be able to mount its volume. Longhorn applies `taintToleration`
            // to the components it manages itself (instance managers, CSI plugin).
            let tolerations: Vec<Value> = l.tolerations.iter().map(toleration).collect();
            let setting: Vec<String> = l.tolerations.iter().map(|t| t.longhorn_form()).collect();
            // IndexMut on serde_json values panics only on non-objects; `values` and
            // `defaultSettings` are objects built just above.
            values["defaultSettings"]["taintToleration"] = json!(setting.join(";"));
            values["longhornManager"] = json!({"tolerations": tolerations});
            values["longhornDriver"] = json!({"tolerations": tolerations});
        }
        if let Some(ip) = l.ui_address {
            // The chart's UI service as a LoadBalancer on the fixed address MetalLB hands out.
            values["service"] = json!({"ui": {"type": "LoadBalancer", "loadBalancerIP": ip.to_string()}});
        }
        out.push(Manifest {
            order: 30,
            name: "longhorn",
            about: format!(
                "Longhorn chart {}, {} replica{}; its pods are admitted only once the PATH policy mutates them (12-longhorn-gate).",
                l.version,
                l.replicas,
                if l.replicas == 1 { "" } else { "s" }
            ),
            // createNamespace false: the namespace comes from 12-longhorn-gate, after the gate.
            docs: vec![helm_chart(plan, &components::LONGHORN, &l.version, false, Some(values))?],
        });
    }

    // 40-41: MetalLB.
    if let Some(m) = &plan.metallb {
        out.push(Manifest {
            order: 40,
            name: "metallb",
            about: format!("MetalLB chart {} (brings the IPAddressPool/L2Advertisement CRDs and webhook).", m.version),
            docs: vec![helm_chart(plan, &components::METALLB, &m.version, false, None)?],
        });
        let ns = components::METALLB.namespace;
        let mut docs: Vec<Value> = m
            .pools
            .iter()
            .map(|p| {
                json!({
                    "apiVersion": "metallb.io/v1beta1",
                    "kind": "IPAddressPool",
                    "metadata": meta(plan, &p.name, Some(ns), "metallb", "address-pool", None),
                    "spec": {"addresses": p.addresses, "autoAssign": p.auto_assign},
                })
            })
            .collect();
        if m.mode == MetallbMode::L2 && !m.pools.is_empty() {
            docs.push(json!({
                "apiVersion": "metallb.io/v1beta1",
                "kind": "L2Advertisement",
                "metadata": meta(plan, "n3x-l2", Some(ns), "metallb", "l2-advertisement", None),
                "spec": {"ipAddressPools": m.pools.iter().map(|p| p.name.clone()).collect::<Vec<_>>()},
            }));
        }
        if !docs.is_empty() {
            out.push(Manifest {
                order: 41,
                name: "metallb-pools",
                about: "MetalLB pools; the CRDs and webhook come from 40-metallb, so k3s retries this file until MetalLB runs.".into(),
                docs,
            });
        }
    }

    // 50-51: cert-manager.
    if let Some(c) = &plan.cert_manager {
        out.push(Manifest {
            order: 50,
            name: "cert-manager",
            about: format!("cert-manager chart {} with its CRDs.", c.version),
            docs: vec![helm_chart(
                plan,
                &components::CERT_MANAGER,
                &c.version,
                false,
                Some(json!({"crds": {"enabled": true}})),
            )?],
        });
        let (name, spec) = match &c.issuer {
            Issuer::SelfSigned => ("selfsigned", json!({"selfSigned": {}})),
            Issuer::Acme { email, server } => (
                "acme",
                json!({"acme": {
                    "email": email,
                    "server": server,
                    // cert-manager creates this account key itself; n3x never holds it.
                    "privateKeySecretRef": {"name": "acme-account-key"},
                    "solvers": [{"http01": {"ingress": {"ingressClassName": "traefik"}}}],
                }}),
            ),
        };
        out.push(Manifest {
            order: 51,
            name: "cert-manager-issuer",
            about: "The ClusterIssuer; CRD and webhook come from 50-cert-manager (retried until then).".into(),
            docs: vec![json!({
                "apiVersion": "cert-manager.io/v1",
                "kind": "ClusterIssuer",
                "metadata": meta(plan, name, None, "cert-manager", "cluster-issuer", None),
                "spec": spec,
            })],
        });
    }

    // 60: Traefik (k3s packaged) customization.
    if let Some(t) = &plan.traefik {
        let mut values = Map::new();
        if t.dashboard {
            values.insert("ingressRoute".into(), json!({"dashboard": {"enabled": true}}));
            // The dashboard lives on the `traefik` entry point; expose it on the service.
            values.insert("ports".into(), json!({"traefik": {"expose": {"default": true}}}));
        }
        if let Some(ip) = t.address {
            values.insert("service".into(), json!({"annotations": {"metallb.io/loadBalancerIPs": ip.to_string()}}));
        }
        out.push(Manifest {
            order: 60,
            name: "traefik-config",
            about: "Customization of k3s's packaged Traefik.".into(),
            docs: vec![json!({
                "apiVersion": "helm.cattle.io/v1",
                "kind": "HelmChartConfig",
                "metadata": meta(plan, "traefik", Some(HELM_NAMESPACE), "traefik", "helm-chart-config", None),
                "spec": {"valuesContent": yaml::document(&Value::Object(values))?},
            })],
        });
    }

    // 70: NVIDIA.
    if let Some(n) = &plan.nvidia {
        let gpu_selector = json!({ LABEL_GPU: "true" });
        let mut tols = vec![json!({"key": "nvidia.com/gpu", "operator": "Exists", "effect": "NoSchedule"})];
        // GPU nodes' own taints; `nvidia.com/gpu` itself is already tolerated for any value.
        tols.extend(n.tolerations.iter().filter(|t| t.key != "nvidia.com/gpu").map(toleration));
        let toleration = Value::Array(tols);
        // The chart's default affinity asks for node-feature-discovery labels, which
        // nothing here installs; replace it with n3x's GPU label.
        let affinity = json!({"nodeAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": {"nodeSelectorTerms": [
            {"matchExpressions": [{"key": LABEL_GPU, "operator": "In", "values": ["true"]}]}
        ]}}});
        out.push(Manifest {
            order: 70,
            name: "nvidia",
            about: format!(
                "RuntimeClass {RUNTIME_CLASS} and the NVIDIA device plugin chart {}, on GPU nodes only.",
                n.version
            ),
            docs: vec![
                json!({
                    "apiVersion": "node.k8s.io/v1",
                    "kind": "RuntimeClass",
                    "metadata": meta(plan, RUNTIME_CLASS, None, "nvidia-device-plugin", "runtime-class", None),
                    // The containerd runtime k3s configures when it finds the NVIDIA container toolkit.
                    "handler": "nvidia",
                    "scheduling": {"nodeSelector": gpu_selector, "tolerations": toleration},
                }),
                helm_chart(
                    plan,
                    &components::NVIDIA_DEVICE_PLUGIN,
                    &n.version,
                    false,
                    Some(json!({
                        "runtimeClassName": RUNTIME_CLASS,
                        "nodeSelector": gpu_selector,
                        "affinity": affinity,
                        "tolerations": toleration,
                    })),
                )?,
            ],
        });
    }

    // 80-81: Argo CD last: what it syncs may use everything above.
    if let Some(a) = &plan.argocd {
        out.push(Manifest {
            order: 80,
            name: "argocd",
            about: format!("Argo CD chart {} (brings the Application CRD).", a.version),
            docs: vec![helm_chart(
                plan,
                &components::ARGOCD,
                &a.version,
                false,
                // The server service as a LoadBalancer on its fixed address (MetalLB's annotation).
                a.address.map(|ip| {
                    json!({"server": {"service": {
                        "type": "LoadBalancer",
                        "annotations": {"metallb.io/loadBalancerIPs": ip.to_string()}
                    }}})
                }),
            )?],
        });
        out.push(Manifest {
            order: 81,
            name: "argocd-root",
            about: "The root Application (app-of-apps); CRD from 80-argocd (retried until then). Repository credentials, if any, are a Secret rendered by sops-nix, never here.".into(),
            docs: vec![json!({
                "apiVersion": "argoproj.io/v1alpha1",
                "kind": "Application",
                "metadata": meta(plan, "root", Some(components::ARGOCD.namespace), "argocd", "root-application", None),
                "spec": {
                    "project": "default",
                    "source": {"repoURL": a.repo_url, "path": a.path, "targetRevision": a.revision},
                    "destination": {"server": "https://kubernetes.default.svc", "namespace": components::ARGOCD.namespace},
                    "syncPolicy": {"automated": {"prune": true, "selfHeal": true}},
                },
            })],
        });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn policy_and_gate_agree_on_the_path() {
        assert!(path_expression().contains(NIXOS_PATH));
        assert!(gate_expression().contains(NIXOS_PATH));
        // FHS first, NixOS after.
        assert!(NIXOS_PATH.starts_with("/usr/local/sbin:"));
        assert!(NIXOS_PATH.ends_with(":/run/wrappers/bin:/nix/var/nix/profiles/default/bin:/run/current-system/sw/bin"));
    }
}
