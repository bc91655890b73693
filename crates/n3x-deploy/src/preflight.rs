//! `preflight`: before anything destructive, ask the target what it is and compare it
//! with the inventory — install disk present under its declared path with its declared
//! size and not mounted (its current partitions shown), NICs and MACs, architecture,
//! SSH host key. Any mismatch refuses, naming both values.
//!
//! Gathering reuses n3x-inventory's probe ([`gather`]) through the [`Remote`] seam; the
//! comparison ([`compare`]) is pure.

use n3x_core::cluster::Node;
use n3x_core::facts::Facts;
use n3x_core::rollout::{CheckResult, CheckStatus};
use n3x_inventory::probe::{gather, Remote};
use serde_json::Value;

use crate::shell::quote;

/// A partition (or the disk itself) as lsblk reports it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Part {
    /// Kernel name.
    pub name: String,
    /// Size in bytes.
    pub size: u64,
    /// `disk`, `part`, `crypt`, `lvm` …
    pub kind: String,
    /// File system, if any.
    pub fstype: Option<String>,
    /// Where it is mounted, if anywhere.
    pub mountpoints: Vec<String>,
}

/// The install disk as the target sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DiskState {
    /// The kernel path the declared device resolves to.
    pub path: String,
    /// Size in bytes.
    pub size: u64,
    /// Model and serial, when reported.
    pub model: Option<String>,
    /// Everything on it, depth first (partitions, LUKS, LVM), without the disk itself.
    pub parts: Vec<Part>,
    /// Mount points on the disk or anything on it.
    pub mounted: Vec<String>,
}

/// What the target reported.
#[derive(Debug, Clone)]
pub struct Observed {
    /// The probe facts.
    pub facts: Facts,
    /// The declared install disk, or why it could not be read.
    pub disk: Result<DiskState, String>,
}

/// How strict the host-key check is.
#[derive(Debug, Clone, Copy, Default)]
pub struct PreflightOptions {
    /// The target runs an installer image (first install): its host key is the
    /// installer's, not the node's, so the host-key check is skipped (and says so).
    pub installer: bool,
}

/// `readlink -f DEVICE`: where the declared path points on the target.
pub fn resolve_command(device: &str) -> String {
    format!("readlink -f {}", quote(device))
}

/// `lsblk -J -b` of the resolved disk with everything on it.
pub fn lsblk_command(path: &str) -> String {
    format!("lsblk -J -b -o NAME,PATH,SIZE,TYPE,FSTYPE,MOUNTPOINT,MODEL {}", quote(path))
}

/// Probes the target: the facts, then the declared install disk.
pub fn observe(node: &Node, remote: &mut dyn Remote) -> Result<Observed, String> {
    let facts = gather(&node.name, remote)?;
    let disk = remote
        .run(&resolve_command(&node.disk.device))
        .map(|s| s.trim().to_string())
        .and_then(|path| remote.run(&lsblk_command(&path)).and_then(|out| parse_disk(&out)))
        .map_err(|e| format!("{} cannot be read on the target: {e}", node.disk.device));
    Ok(Observed { facts, disk })
}

fn text(v: &Value) -> Option<String> {
    v.as_str().map(str::trim).filter(|s| !s.is_empty()).map(str::to_string)
}

fn size(v: &Value) -> Option<u64> {
    v.as_u64().or_else(|| v.as_str().and_then(|s| s.parse().ok()))
}

/// Parses `lsblk -J -b -o NAME,PATH,SIZE,TYPE,FSTYPE,MOUNTPOINT,MODEL DISK`
/// (`mountpoint` of util-linux < 2.37 and `mountpoints` of later ones both work).
pub fn parse_disk(out: &str) -> Result<DiskState, String> {
    let v: Value = serde_json::from_str(out).map_err(|e| format!("lsblk printed no JSON ({e})"))?;
    let disk =
        v.get("blockdevices").and_then(Value::as_array).and_then(|a| a.first()).ok_or("lsblk reported no device")?;
    if disk.get("type").and_then(Value::as_str) != Some("disk") {
        return Err(format!("it is a {}, not a whole disk", disk.get("type").and_then(Value::as_str).unwrap_or("?")));
    }
    fn walk(d: &Value, parts: &mut Vec<Part>, mounted: &mut Vec<String>, top: bool) {
        let mut mps: Vec<String> = Vec::new();
        if let Some(m) = text(&d["mountpoint"]) {
            mps.push(m);
        }
        if let Some(a) = d.get("mountpoints").and_then(Value::as_array) {
            mps.extend(a.iter().filter_map(text));
        }
        mounted.extend(mps.iter().cloned());
        if !top {
            parts.push(Part {
                name: text(&d["name"]).unwrap_or_default(),
                size: size(&d["size"]).unwrap_or(0),
                kind: text(&d["type"]).unwrap_or_default(),
                fstype: text(&d["fstype"]),
                mountpoints: mps,
            });
        }
        for c in d.get("children").and_then(Value::as_array).into_iter().flatten() {
            walk(c, parts, mounted, false);
        }
    }
    let mut parts = Vec::new();
    let mut mounted = Vec::new();
    walk(disk, &mut parts, &mut mounted, true);
    mounted.sort();
    mounted.dedup();
    Ok(DiskState {
        path: text(&disk["path"]).or_else(|| text(&disk["name"]).map(|n| format!("/dev/{n}"))).unwrap_or_default(),
        size: size(&disk["size"]).ok_or("lsblk size is not a number of bytes")?,
        model: text(&disk["model"]),
        parts,
        mounted,
    })
}

/// What is on the disk now, one line per partition (for the evidence and the install prompt).
pub fn describe_parts(d: &DiskState) -> String {
    if d.parts.is_empty() {
        return "no partitions".into();
    }
    d.parts
        .iter()
        .map(|p| {
            let mut s = format!("{} {} {} bytes", p.name, p.kind, p.size);
            if let Some(f) = &p.fstype {
                s.push_str(&format!(" {f}"));
            }
            if !p.mountpoints.is_empty() {
                s.push_str(&format!(" mounted on {}", p.mountpoints.join(",")));
            }
            s
        })
        .collect::<Vec<_>>()
        .join("; ")
}

fn key_body(line: &str) -> String {
    line.split_whitespace().take(2).collect::<Vec<_>>().join(" ")
}

fn check(name: &str, node: &Node, ok: bool, evidence: String) -> CheckResult {
    CheckResult {
        name: name.into(),
        node: Some(node.name.to_string()),
        status: if ok { CheckStatus::Pass } else { CheckStatus::Fail },
        evidence,
    }
}

/// A declared disk size and the real one agree when the real disk is not smaller (the
/// plan must fit) and at most 5% larger (a much larger disk is probably another disk).
pub fn size_matches(declared: u64, actual: u64) -> bool {
    actual >= declared && actual - declared <= declared / 20
}

/// Compares what the target reported with the inventory node. Every check is listed.
pub fn compare(node: &Node, o: &Observed, opts: PreflightOptions) -> Vec<CheckResult> {
    let mut out = Vec::new();
    let want_arch = node.system.split('-').next().unwrap_or_default();
    out.push(check(
        "arch",
        node,
        o.facts.arch == want_arch,
        format!("inventory: {} ({}); machine: {}", want_arch, node.hardware.as_str(), o.facts.arch),
    ));
    match &o.disk {
        Ok(d) => {
            out.push(check(
                "disk-exists",
                node,
                true,
                format!(
                    "{} → {}{}; now on it: {}",
                    node.disk.device,
                    d.path,
                    d.model.as_ref().map(|m| format!(" ({m})")).unwrap_or_default(),
                    describe_parts(d)
                ),
            ));
            match node.disk.size {
                Some(want) => out.push(check(
                    "disk-size",
                    node,
                    size_matches(want, d.size),
                    format!("inventory: {want} bytes; machine: {} bytes", d.size),
                )),
                None => out.push(CheckResult {
                    name: "disk-size".into(),
                    node: Some(node.name.to_string()),
                    status: CheckStatus::Skip,
                    evidence: format!("the inventory declares no size; machine: {} bytes", d.size),
                }),
            }
            out.push(check(
                "disk-unmounted",
                node,
                d.mounted.is_empty(),
                if d.mounted.is_empty() {
                    format!("nothing on {} is mounted", d.path)
                } else {
                    format!(
                        "mounted on the target: {} (is this the disk the running system uses?)",
                        d.mounted.join(", ")
                    )
                },
            ));
        }
        Err(e) => {
            let have: Vec<String> = o
                .facts
                .disks
                .iter()
                .map(|d| {
                    let id = d.by_id.first().cloned().unwrap_or_else(|| d.path.clone());
                    format!("{id} ({} bytes)", d.size)
                })
                .collect();
            out.push(check(
                "disk-exists",
                node,
                false,
                format!("inventory: {}; {e}; the machine has: {}", node.disk.device, have.join(", ")),
            ));
        }
    }
    let mut nics = Vec::new();
    let mut nics_ok = true;
    for l in &node.network.links {
        let found = o.facts.nics.iter().find(|n| n.name == l.name);
        let ok = match (found, l.mac) {
            (None, _) => false,
            (Some(f), Some(m)) => f.mac == Some(m),
            (Some(_), None) => true,
        };
        nics_ok &= ok;
        let machine = match found {
            Some(f) => f.mac.map(|m| m.to_string()).unwrap_or_else(|| "no MAC".into()),
            None => "missing".into(),
        };
        let want = l.mac.map(|m| m.to_string()).unwrap_or_else(|| "any MAC".into());
        nics.push(format!("{}: inventory {want}, machine {machine}", l.name));
    }
    if !node.network.links.is_empty() {
        let present: Vec<&str> = o.facts.nics.iter().map(|n| n.name.as_str()).collect();
        let mut ev = nics.join("; ");
        if !nics_ok {
            ev.push_str(&format!(" (the machine has: {})", present.join(", ")));
        }
        out.push(check("nics", node, nics_ok, ev));
    }
    match (&node.host_key, opts.installer) {
        (Some(_), true) => out.push(CheckResult {
            name: "host-key".into(),
            node: Some(node.name.to_string()),
            status: CheckStatus::Skip,
            evidence: "the target runs an installer (--installer); its key is not the node's".into(),
        }),
        (Some(want), false) => {
            let want = key_body(want);
            let have: Vec<String> = o.facts.host_keys.iter().map(|k| key_body(k)).collect();
            out.push(check(
                "host-key",
                node,
                have.contains(&want),
                format!(
                    "inventory: {want}; machine: {}",
                    if have.is_empty() { "none".into() } else { have.join(", ") }
                ),
            ));
        }
        (None, _) => out.push(CheckResult {
            name: "host-key".into(),
            node: Some(node.name.to_string()),
            status: CheckStatus::Skip,
            evidence: "no host key in the inventory yet (install bootstraps one)".into(),
        }),
    }
    out
}

/// Whether every check passed or was skipped.
pub fn passed(checks: &[CheckResult]) -> bool {
    checks.iter().all(|c| c.status != CheckStatus::Fail)
}

/// Preflights `nodes`, at most `parallel` at once (each on its own thread with its own
/// session), recording every check; returns whether all passed. Checks and node results
/// come in inventory order whatever order the probes finished in.
/// `connect` opens the session to a node (the SSH seam).
pub fn run(
    cluster: &n3x_core::Cluster,
    nodes: &[String],
    opts: PreflightOptions,
    parallel: usize,
    connect: &crate::Connector<'_>,
    rec: &mut crate::report::Recorder,
) -> Result<bool, n3x_core::Error> {
    let selected = crate::select(cluster, nodes)?;
    let shared: &crate::report::Recorder = rec;
    let results = crate::parallel::bounded(
        &selected,
        parallel,
        |_| false,
        |node| {
            let mut fork = shared.fork();
            let ok = preflight_one(node, opts, connect, &mut fork);
            (fork, ok)
        },
    );
    let mut all = true;
    for (fork, ok) in results.into_iter().flatten() {
        all &= ok;
        rec.absorb(fork);
    }
    Ok(all)
}

/// Probes one node and compares; records its checks and result, returns whether it passed.
fn preflight_one(
    node: &n3x_core::cluster::Node,
    opts: PreflightOptions,
    connect: &crate::Connector<'_>,
    rec: &mut crate::report::Recorder,
) -> bool {
    let started = std::time::Instant::now();
    rec.event(
        "preflight",
        Some(node.name.as_str()),
        serde_json::json!({"message": format!("probing {}@{}:{}", node.ssh.user, node.ssh.host, node.ssh.port)}),
    );
    let result = connect(node).and_then(|mut r| observe(node, r.as_mut()));
    let (status, message) = match result {
        Ok(o) => {
            let checks = compare(node, &o, opts);
            let ok = passed(&checks);
            let failed: Vec<String> =
                checks.iter().filter(|c| c.status == CheckStatus::Fail).map(|c| c.name.clone()).collect();
            for c in checks {
                rec.check(c);
            }
            if ok {
                (n3x_core::rollout::NodeStatus::Done, "preflight passed".to_string())
            } else {
                (n3x_core::rollout::NodeStatus::Refused, format!("preflight failed: {}", failed.join(", ")))
            }
        }
        Err(e) => {
            rec.check(CheckResult {
                name: "reachable".into(),
                node: Some(node.name.to_string()),
                status: CheckStatus::Fail,
                evidence: e.clone(),
            });
            (n3x_core::rollout::NodeStatus::Refused, e)
        }
    };
    rec.node(n3x_core::rollout::NodeReport {
        node: node.name.clone(),
        status,
        message,
        millis: u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX),
    });
    status == n3x_core::rollout::NodeStatus::Done
}
