//! `verify`: named checks of a running cluster, asked over SSH on a server with
//! `k3s kubectl … -o json` (and `readlink -f /run/current-system` on every node), plus a
//! TCP connect from the deployer to every fixed LoadBalancer address (through a seam). The
//! judging functions take kubectl's JSON text and are pure; names of the objects n3x
//! created (policy, namespaces, root application, the NixOS PATH) come from
//! n3x-kube-bootstrap, so there is one name per concept.

use n3x_core::cluster::Node;
use n3x_core::rollout::{CheckResult, CheckStatus};
use n3x_core::Cluster;
use std::net::{IpAddr, SocketAddr};
use std::time::Duration;

use n3x_kube_bootstrap::components::{ARGOCD, LONGHORN, METALLB, TRAEFIK};
use n3x_kube_bootstrap::manifests::{NIXOS_PATH, POLICY_NAME};
use serde_json::Value;

use crate::report::Recorder;

/// The kubectl queries, in check order: (key, command run on the server).
pub fn queries(cluster: &Cluster) -> Vec<(&'static str, String)> {
    let a = &cluster.addons;
    let mut q = vec![("nodes", "k3s kubectl get nodes -o json".to_string())];
    if a.kyverno.enabled == Some(true) && a.longhorn.enabled {
        let kind = match a.kyverno.policy_kind {
            n3x_core::model::PolicyKind::MutatingPolicy => "mutatingpolicies.policies.kyverno.io",
            n3x_core::model::PolicyKind::ClusterPolicy => "clusterpolicies.kyverno.io",
        };
        q.push(("policy", format!("k3s kubectl get {kind} {POLICY_NAME} -o json")));
    }
    if a.longhorn.enabled {
        q.push(("longhorn-pods", format!("k3s kubectl get pods -n {} -o json", LONGHORN.namespace)));
        q.push(("longhorn-nodes", format!("k3s kubectl get nodes.longhorn.io -n {} -o json", LONGHORN.namespace)));
    }
    if a.metallb.enabled {
        q.push(("pools", format!("k3s kubectl get ipaddresspools.metallb.io -n {} -o json", METALLB.namespace)));
        q.push(("services", "k3s kubectl get services -A -o json".to_string()));
    }
    if a.argocd.enabled {
        q.push(("root-app", format!("k3s kubectl get applications.argoproj.io root -n {} -o json", ARGOCD.namespace)));
    }
    q
}

fn check(name: &str, node: Option<&str>, ok: bool, evidence: String) -> CheckResult {
    CheckResult {
        name: name.into(),
        node: node.map(str::to_string),
        status: if ok { CheckStatus::Pass } else { CheckStatus::Fail },
        evidence,
    }
}

fn items(text: &str) -> Result<Vec<Value>, String> {
    let v: Value = serde_json::from_str(text).map_err(|e| format!("kubectl printed no JSON ({e})"))?;
    Ok(v.get("items").and_then(Value::as_array).cloned().unwrap_or_else(|| vec![v]))
}

fn condition(obj: &Value, kind: &str) -> Option<String> {
    obj["status"]["conditions"]
        .as_array()?
        .iter()
        .find(|c| c["type"] == kind)
        .and_then(|c| c["status"].as_str().map(str::to_string))
}

/// Every inventory node registered, Ready, with its labels and taints.
pub fn judge_nodes(cluster: &Cluster, text: &str) -> Vec<CheckResult> {
    let list = match items(text) {
        Ok(l) => l,
        Err(e) => return vec![check("nodes", None, false, e)],
    };
    let mut out = Vec::new();
    for n in &cluster.nodes {
        let name = n.name.as_str();
        let Some(k) = list.iter().find(|k| k["metadata"]["name"] == name) else {
            let have: Vec<&str> = list.iter().filter_map(|k| k["metadata"]["name"].as_str()).collect();
            out.push(check(
                "node-registered",
                Some(name),
                false,
                format!("not registered; the cluster has: {}", have.join(", ")),
            ));
            continue;
        };
        out.push(check("node-registered", Some(name), true, "registered".into()));
        let ready = condition(k, "Ready");
        out.push(check(
            "node-ready",
            Some(name),
            ready.as_deref() == Some("True"),
            format!("Ready={}", ready.as_deref().unwrap_or("missing")),
        ));
        let wrong: Vec<String> = n
            .labels
            .iter()
            .filter(|(key, val)| k["metadata"]["labels"][key.as_str()].as_str() != Some(val.as_str()))
            .map(|(key, val)| {
                format!("{key}={val} (has {})", k["metadata"]["labels"][key.as_str()].as_str().unwrap_or("none"))
            })
            .collect();
        out.push(check(
            "node-labels",
            Some(name),
            wrong.is_empty(),
            if wrong.is_empty() {
                format!("{} labels as declared", n.labels.len())
            } else {
                format!("differ: {}", wrong.join(", "))
            },
        ));
        let have: Vec<String> = k["spec"]["taints"]
            .as_array()
            .map(|a| {
                a.iter()
                    .map(|t| {
                        let key = t["key"].as_str().unwrap_or_default();
                        let eff = t["effect"].as_str().unwrap_or_default();
                        match t["value"].as_str().filter(|v| !v.is_empty()) {
                            Some(v) => format!("{key}={v}:{eff}"),
                            None => format!("{key}:{eff}"),
                        }
                    })
                    .collect()
            })
            .unwrap_or_default();
        let missing: Vec<&String> = n.taints.iter().filter(|t| !have.contains(t)).collect();
        out.push(check(
            "node-taints",
            Some(name),
            missing.is_empty(),
            format!("declared: [{}]; node has: [{}]", n.taints.join(", "), have.join(", ")),
        ));
    }
    out
}

/// Judges one add-on query (`key` from [`queries`]).
pub fn judge(cluster: &Cluster, key: &str, text: &str) -> Vec<CheckResult> {
    let list = match items(text) {
        Ok(l) => l,
        Err(e) => return vec![check(key, None, false, e)],
    };
    match key {
        "policy" => {
            let p = list.first().cloned().unwrap_or(Value::Null);
            let ready = condition(&p, "Ready").as_deref() == Some("True")
                || p["status"]["ready"] == true
                || p["status"]["conditionStatus"]["ready"] == true;
            vec![check("kyverno-path-policy", None, ready, format!("{POLICY_NAME}: ready={ready}"))]
        }
        "longhorn-pods" => {
            let mut bad = Vec::new();
            let mut containers = 0;
            for pod in &list {
                let pname = pod["metadata"]["name"].as_str().unwrap_or("?");
                for c in pod["spec"]["containers"].as_array().into_iter().flatten() {
                    containers += 1;
                    let path = c["env"]
                        .as_array()
                        .and_then(|e| e.iter().find(|x| x["name"] == "PATH"))
                        .and_then(|x| x["value"].as_str());
                    if path != Some(NIXOS_PATH) {
                        bad.push(format!("{pname}/{}", c["name"].as_str().unwrap_or("?")));
                    }
                }
            }
            vec![check(
                "longhorn-pods-path",
                None,
                bad.is_empty() && containers > 0,
                if bad.is_empty() {
                    format!("{containers} containers in {} pods carry the NixOS PATH", list.len())
                } else {
                    format!("without the NixOS PATH: {}", bad.join(", "))
                },
            )]
        }
        "longhorn-nodes" => cluster
            .nodes
            .iter()
            .filter(|n| n.longhorn)
            .map(|n| {
                let name = n.name.as_str();
                match list.iter().find(|x| x["metadata"]["name"] == name) {
                    Some(x) => {
                        let allow = x["spec"]["allowScheduling"] == true;
                        let sched = condition(x, "Schedulable");
                        check(
                            "longhorn-node-schedulable",
                            Some(name),
                            allow && sched.as_deref() == Some("True"),
                            format!("allowScheduling={allow}, Schedulable={}", sched.as_deref().unwrap_or("missing")),
                        )
                    }
                    None => check("longhorn-node-schedulable", Some(name), false, "no Longhorn node object".into()),
                }
            })
            .collect(),
        "pools" => cluster
            .pools
            .iter()
            .map(|p| {
                let found = list.iter().find(|x| x["metadata"]["name"] == p.name.as_str());
                check(
                    "metallb-pool",
                    None,
                    found.is_some(),
                    match found {
                        Some(x) => format!("{}: {}", p.name, x["spec"]["addresses"]),
                        None => format!("{}: missing in {}", p.name, METALLB.namespace),
                    },
                )
            })
            .collect(),
        "services" => {
            let lbs: Vec<&Value> = list.iter().filter(|s| s["spec"]["type"] == "LoadBalancer").collect();
            lbs.iter()
                .map(|s| {
                    let name = format!(
                        "{}/{}",
                        s["metadata"]["namespace"].as_str().unwrap_or("?"),
                        s["metadata"]["name"].as_str().unwrap_or("?")
                    );
                    let ips: Vec<&str> = s["status"]["loadBalancer"]["ingress"]
                        .as_array()
                        .map(|a| a.iter().filter_map(|i| i["ip"].as_str()).collect())
                        .unwrap_or_default();
                    let in_pool = |ip: &str| {
                        ip.parse::<std::net::IpAddr>()
                            .is_ok_and(|ip| cluster.pools.iter().flat_map(|p| &p.addresses).any(|r| r.contains(&ip)))
                    };
                    let ok = !ips.is_empty() && ips.iter().all(|ip| in_pool(ip));
                    check(
                        "lb-address",
                        None,
                        ok,
                        if ips.is_empty() {
                            format!("{name}: no address assigned")
                        } else {
                            format!("{name}: {}", ips.join(", "))
                        },
                    )
                })
                .collect()
        }
        "root-app" => {
            let app = list.first().cloned().unwrap_or(Value::Null);
            let sync = app["status"]["sync"]["status"].as_str().unwrap_or("missing").to_string();
            let health = app["status"]["health"]["status"].as_str().unwrap_or("missing").to_string();
            vec![check(
                "argocd-root-app",
                None,
                sync == "Synced" && health == "Healthy",
                format!("root: sync {sync}, health {health}"),
            )]
        }
        other => vec![check(other, None, false, "unknown query".into())],
    }
}

/// A fixed LoadBalancer address the inventory declares, and the Service that must carry it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FixedAddress {
    /// The inventory field that declares it (`addons.traefik.address`).
    pub field: &'static str,
    /// Namespace of the Service the add-on's chart creates.
    pub namespace: &'static str,
    /// Name of that Service.
    pub service: String,
    /// The declared address.
    pub address: IpAddr,
}

/// The fixed LoadBalancer addresses of the enabled add-ons, with their Services: k3s's
/// Traefik (`kube-system/traefik`), the Longhorn UI (the chart's `longhorn-frontend`, made a
/// LoadBalancer by `service.ui`), the Argo CD server (the chart's `<release>-server`).
pub fn fixed_addresses(cluster: &Cluster) -> Vec<FixedAddress> {
    let a = &cluster.addons;
    let mut out = Vec::new();
    if let (true, Some(ip)) = (a.traefik.enabled, a.traefik.address) {
        out.push(FixedAddress {
            field: "addons.traefik.address",
            namespace: TRAEFIK.namespace,
            service: TRAEFIK.release.to_string(),
            address: ip,
        });
    }
    if let (true, Some(ip)) = (a.longhorn.enabled, a.longhorn.ui_address) {
        out.push(FixedAddress {
            field: "addons.longhorn.uiAddress",
            namespace: LONGHORN.namespace,
            service: "longhorn-frontend".to_string(),
            address: ip,
        });
    }
    if let (true, Some(ip)) = (a.argocd.enabled, a.argocd.address) {
        out.push(FixedAddress {
            field: "addons.argocd.address",
            namespace: ARGOCD.namespace,
            service: format!("{}-server", ARGOCD.release),
            address: ip,
        });
    }
    out
}

/// The check name of a fixed address.
pub const FIXED_CHECK: &str = "lb-fixed-address";

/// Per fixed address, from `kubectl get services -A -o json`: the socket to try (the
/// declared address and the Service's first TCP port) when the Service has that address
/// in `status.loadBalancer.ingress`, else the failed check saying what it has instead.
pub fn judge_fixed(cluster: &Cluster, text: &str) -> Vec<Result<(FixedAddress, SocketAddr), CheckResult>> {
    let fixed = fixed_addresses(cluster);
    let list = match items(text) {
        Ok(l) => l,
        Err(e) => {
            return fixed
                .into_iter()
                .map(|f| Err(check(FIXED_CHECK, None, false, format!("{}: {e}", f.field))))
                .collect()
        }
    };
    fixed
        .into_iter()
        .map(|f| {
            let head = format!("{} {} → {}/{}", f.field, f.address, f.namespace, f.service);
            let fail = |why: String| Err(check(FIXED_CHECK, None, false, format!("{head}: {why}")));
            let Some(svc) = list
                .iter()
                .find(|s| s["metadata"]["namespace"] == f.namespace && s["metadata"]["name"] == f.service.as_str())
            else {
                return fail("no such Service".into());
            };
            let have: Vec<&str> = svc["status"]["loadBalancer"]["ingress"]
                .as_array()
                .map(|a| a.iter().filter_map(|i| i["ip"].as_str()).collect())
                .unwrap_or_default();
            if !have.iter().any(|ip| ip.parse::<IpAddr>().is_ok_and(|ip| ip == f.address)) {
                return fail(if have.is_empty() {
                    "not assigned (status.loadBalancer.ingress is empty)".into()
                } else {
                    format!("not assigned; it has {}", have.join(", "))
                });
            }
            let port = svc["spec"]["ports"]
                .as_array()
                .into_iter()
                .flatten()
                .filter(|p| p["protocol"].as_str().unwrap_or("TCP") == "TCP")
                .find_map(|p| p["port"].as_u64().and_then(|n| u16::try_from(n).ok()));
            match port {
                Some(port) => Ok((f.clone(), SocketAddr::new(f.address, port))),
                None => fail("assigned, but the Service has no TCP port".into()),
            }
        })
        .collect()
}

/// The check of a fixed address that is assigned, once `reach` tried a TCP connect to it.
pub fn judge_answer(f: &FixedAddress, to: SocketAddr, reached: Result<Duration, String>) -> CheckResult {
    let head = format!("{} {} → {}/{}: assigned", f.field, f.address, f.namespace, f.service);
    match reached {
        Ok(t) => check(FIXED_CHECK, None, true, format!("{head}; {to} answers ({} ms)", t.as_millis())),
        Err(e) => check(FIXED_CHECK, None, false, format!("{head}; {to} does not answer: {e}")),
    }
}

/// Runs every check: kubectl queries on the first server that answers, the generation
/// on every node (`expected` gives the rendered one, or `None` to skip), and a TCP connect
/// from here to every fixed LoadBalancer address (`reach`, bounded by its caller).
pub fn verify(
    cluster: &Cluster,
    connect: &crate::Connector<'_>,
    expected: &mut dyn FnMut(&Node) -> Option<Result<String, String>>,
    reach: &dyn Fn(SocketAddr) -> Result<Duration, String>,
    rec: &mut Recorder,
) {
    let mut server = None;
    let mut errors = Vec::new();
    for s in cluster.servers() {
        match connect(s) {
            Ok(r) => {
                server = Some((s, r));
                break;
            }
            Err(e) => errors.push(e),
        }
    }
    match server {
        None => rec.check(check("server-reachable", None, false, format!("no server answered: {}", errors.join("; ")))),
        Some((s, mut r)) => {
            rec.event("verify", Some(s.name.as_str()), serde_json::json!({"message": "asking kubectl here"}));
            for (key, cmd) in queries(cluster) {
                rec.log(s.name.as_str(), &format!("{}$ {cmd}", s.name));
                let checks = match r.run(&cmd) {
                    Ok(text) if key == "nodes" => judge_nodes(cluster, &text),
                    Ok(text) if key == "services" => {
                        let mut c = judge(cluster, key, &text);
                        for fixed in judge_fixed(cluster, &text) {
                            c.push(match fixed {
                                Ok((f, to)) => judge_answer(&f, to, reach(to)),
                                Err(failed) => failed,
                            });
                        }
                        c
                    }
                    Ok(text) => judge(cluster, key, &text),
                    Err(e) => vec![check(key, None, false, format!("`{cmd}`: {e}"))],
                };
                for c in checks {
                    rec.check(c);
                }
            }
        }
    }
    for n in &cluster.nodes {
        let Some(want) = expected(n) else { continue };
        let name = n.name.as_str();
        let c = match want {
            Err(e) => check("generation", Some(name), false, format!("cannot evaluate the rendered generation: {e}")),
            Ok(want) => match connect(n).and_then(|mut r| r.run("readlink -f /run/current-system")) {
                Ok(cur) => check(
                    "generation",
                    Some(name),
                    cur.trim() == want,
                    format!("rendered: {want}; running: {}", cur.trim()),
                ),
                Err(e) => check("generation", Some(name), false, e),
            },
        };
        rec.check(c);
    }
}
