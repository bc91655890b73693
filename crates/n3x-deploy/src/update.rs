//! `update`: build, copy and switch the rendered generation wave by wave (the nodes of a
//! wave in parallel, bounded by `--parallel`), with a health gate after the wave and a
//! rollback armed on the node before every switch.
//!
//! The switch is confirmed over a *fresh* SSH connection (as `netplan try` and Talos
//! `--mode=try` do): a switch that breaks the network or sshd cannot be confirmed, and the
//! transient timer armed before it switches the node back to the generation it ran. The
//! run then waits for the node to come back on that generation and exits "rolled back".
//! The first failure stops the run; later nodes are reported as skipped.

use std::time::{Duration, Instant};

use n3x_core::cluster::Node;
use n3x_core::model::Role;
use n3x_core::rollout::{CheckResult, CheckStatus, NodeReport, NodeRollout, NodeStatus, RolloutPlan, StepOn};
use n3x_core::{Cluster, Error};
use n3x_inventory::probe::Remote;
use serde_json::{json, Value};

use crate::exec::{display, run_local, run_node, Outputs};
use crate::report::Recorder;

/// Timing of an update.
#[derive(Debug, Clone)]
pub struct UpdateOptions {
    /// How long a fresh connection may take to confirm a switch.
    pub confirm_timeout: Duration,
    /// The rollback timer armed on the node (the plan's `--rollback-after`).
    pub rollback_after: Duration,
    /// Pause between attempts.
    pub poll: Duration,
    /// At most this many nodes of a wave at once (`--parallel`).
    pub parallel: usize,
}

fn millis(t: Instant) -> u64 {
    u64::try_from(t.elapsed().as_millis()).unwrap_or(u64::MAX)
}

/// Polls `node` until `want(current generation)` holds or `until` passes.
fn poll_generation(
    node: &Node,
    connect: &crate::Connector<'_>,
    until: Instant,
    poll: Duration,
    want: &dyn Fn(&str) -> bool,
) -> Result<String, String> {
    let mut last;
    loop {
        match connect(node).and_then(|mut r| r.run("readlink -f /run/current-system")) {
            Ok(cur) if want(cur.trim()) => return Ok(cur.trim().to_string()),
            Ok(cur) => last = format!("it runs {}", cur.trim()),
            Err(e) => last = e,
        }
        if Instant::now() + poll > until {
            return Err(last);
        }
        std::thread::sleep(poll);
    }
}

/// The health gate of one node: no failed units; and, asked on a server, the k3s node is
/// Ready and (for a server) etcd answers ready.
pub fn gate(cluster: &Cluster, node: &Node, connect: &crate::Connector<'_>) -> Vec<CheckResult> {
    let name = node.name.to_string();
    let mk = |check: &str, ok: bool, evidence: String| CheckResult {
        name: check.into(),
        node: Some(name.clone()),
        status: if ok { CheckStatus::Pass } else { CheckStatus::Fail },
        evidence,
    };
    let mut out = Vec::new();
    match connect(node).and_then(|mut r| r.run("systemctl list-units --failed --plain --no-legend")) {
        Ok(text) => {
            let failed: Vec<&str> = text.lines().filter_map(|l| l.split_whitespace().next()).collect();
            out.push(mk(
                "no-failed-units",
                failed.is_empty(),
                if failed.is_empty() { "no failed units".into() } else { format!("failed: {}", failed.join(", ")) },
            ));
        }
        Err(e) => out.push(mk("no-failed-units", false, e)),
    }
    // kubectl runs on the node itself when it is a server, else on the first server.
    let Some(server) = (if node.role == Role::Server { Some(node) } else { cluster.servers().next() }) else {
        return out;
    };
    let cmd = format!("k3s kubectl get node {} -o json", crate::shell::quote(node.name.as_str()));
    match connect(server).and_then(|mut r| r.run(&cmd)) {
        Ok(text) => {
            let ready = serde_json::from_str::<Value>(&text).ok().and_then(|v| {
                v["status"]["conditions"]
                    .as_array()?
                    .iter()
                    .find(|c| c["type"] == "Ready")
                    .map(|c| c["status"].as_str().unwrap_or("?").to_string())
            });
            out.push(mk(
                "node-ready",
                ready.as_deref() == Some("True"),
                format!("Ready={} (asked on {})", ready.as_deref().unwrap_or("missing"), server.name),
            ));
        }
        Err(e) => out.push(mk("node-ready", false, e)),
    }
    if node.role == Role::Server {
        match connect(node).and_then(|mut r| r.run("k3s kubectl get --raw /readyz/etcd")) {
            Ok(text) => out.push(mk("etcd-healthy", text.trim() == "ok", format!("/readyz/etcd: {}", text.trim()))),
            Err(e) => out.push(mk("etcd-healthy", false, e)),
        }
    }
    out
}

/// Where one node stands after its switch phase.
#[derive(Debug)]
enum Switched {
    /// Switched and confirmed on `top`; its health gate is next.
    Ready {
        /// The generation it runs now.
        top: String,
        /// When its update started (for the report's wall time).
        started: Instant,
    },
    /// It ended here (failed or rolled back); its node report is recorded.
    Ended(NodeStatus),
}

/// Runs every step of a node's plan up to its health gate: build, copy, arm the
/// rollback, switch, confirm over a fresh connection, disarm. A node that ends here has
/// its report recorded; a confirmed one is `Ready` for the gate.
fn switch_node(
    cluster: &Cluster,
    nr: &NodeRollout,
    opts: &UpdateOptions,
    connect: &crate::Connector<'_>,
    rec: &mut Recorder,
) -> Result<Switched, Error> {
    let t = Instant::now();
    let node = crate::planned_node(cluster, nr)?;
    let name = node.name.as_str();
    let mut outputs = Outputs::new();
    let mut session: Option<Box<dyn Remote>> = None;
    let mut armed_at: Option<Instant> = None;
    let mut switch_error: Option<String> = None;
    let done = |rec: &mut Recorder, status: NodeStatus, message: String| {
        rec.node(NodeReport { node: node.name.clone(), status, message, millis: millis(t) });
        Ok(Switched::Ended(status))
    };
    for step in &nr.steps {
        if step.on == StepOn::N3x && step.name == "gate" {
            // The gate runs once the whole wave is switched (see `update`).
            continue;
        }
        rec.event("step", Some(name), json!({"step": step.name, "message": display(step)}));
        match (step.on, step.name.as_str()) {
            (StepOn::Local, _) => match run_local(step, &outputs, name, rec) {
                Ok(out) => {
                    if let Some(o) = &step.output {
                        outputs.insert(o.clone(), out);
                    }
                }
                Err(e) => return done(rec, NodeStatus::Failed, e),
            },
            (StepOn::Node, "switch") => {
                let Some(r) = session.as_mut() else { return done(rec, NodeStatus::Failed, "no session".into()) };
                // A switch that changes the network or sshd may cut this very connection:
                // that is what the confirmation below is for, not a failure by itself.
                if let Err(e) = run_node(step, &outputs, name, r.as_mut(), rec) {
                    rec.event(
                        "switch",
                        Some(name),
                        json!({"message": format!("the switch did not report success: {e}")}),
                    );
                    switch_error = Some(e);
                }
                session = None;
            }
            (StepOn::Node, _) => {
                if session.is_none() {
                    match connect(node) {
                        Ok(r) => session = Some(r),
                        Err(e) => return done(rec, NodeStatus::Failed, e),
                    }
                }
                let Some(r) = session.as_mut() else { return done(rec, NodeStatus::Failed, "no session".into()) };
                match run_node(step, &outputs, name, r.as_mut(), rec) {
                    Ok(out) => {
                        if step.name == "arm-rollback" {
                            armed_at = Some(Instant::now());
                        }
                        if let Some(o) = &step.output {
                            outputs.insert(o.clone(), out);
                        }
                    }
                    Err(e) => return done(rec, NodeStatus::Failed, e),
                }
            }
            (StepOn::N3x, "confirm") => {
                let (Some(new), Some(old)) = (outputs.get("toplevel").cloned(), outputs.get("previous").cloned())
                else {
                    return done(rec, NodeStatus::Failed, "no generation to confirm".into());
                };
                let until = Instant::now() + opts.confirm_timeout;
                match poll_generation(node, connect, until, opts.poll, &|cur| cur == new) {
                    Ok(_) => {
                        rec.event(
                            "confirm",
                            Some(name),
                            json!({"message": format!("answers on a fresh connection and runs {new}")}),
                        );
                    }
                    Err(last) => {
                        // Lost (or not switched): the armed timer switches it back. Wait for that.
                        let fire = armed_at.unwrap_or_else(Instant::now) + opts.rollback_after;
                        let until = fire + opts.confirm_timeout + Duration::from_secs(30);
                        rec.event(
                            "lost",
                            Some(name),
                            json!({"message": format!("no confirmation within {} s ({last}); waiting for the on-node rollback to {old}", opts.confirm_timeout.as_secs())}),
                        );
                        let why = switch_error.clone().map(|e| format!(" (switch: {e})")).unwrap_or_default();
                        return match poll_generation(node, connect, until, opts.poll, &|cur| cur == old) {
                            Ok(_) => done(
                                rec,
                                NodeStatus::RolledBack,
                                format!("the switch to {new} lost the node{why}; it rolled itself back to {old} and answers again"),
                            ),
                            Err(e) => done(
                                rec,
                                NodeStatus::Failed,
                                format!("the switch to {new} lost the node{why}, and it did not come back on {old} either: {e}"),
                            ),
                        };
                    }
                }
            }
            (StepOn::N3x, other) => return Err(Error::Failed(format!("update does not know the step {other:?}"))),
        }
    }
    Ok(Switched::Ready { top: outputs.get("toplevel").cloned().unwrap_or_default(), started: t })
}

/// The health gate of a switched node (when its plan has one); records the node's result.
fn gate_node(
    cluster: &Cluster,
    nr: &NodeRollout,
    top: &str,
    started: Instant,
    connect: &crate::Connector<'_>,
    rec: &mut Recorder,
) -> NodeStatus {
    let report = |rec: &mut Recorder, status: NodeStatus, message: String| {
        rec.node(NodeReport { node: nr.node.clone(), status, message, millis: millis(started) });
        status
    };
    let Some(node) = cluster.node(nr.node.as_str()) else {
        return report(rec, NodeStatus::Failed, "the cluster has no such node".into());
    };
    if let Some(step) = nr.steps.iter().find(|s| s.on == StepOn::N3x && s.name == "gate") {
        rec.event("step", Some(node.name.as_str()), json!({"step": step.name, "message": display(step)}));
        let checks = gate(cluster, node, connect);
        let failed: Vec<String> =
            checks.iter().filter(|c| c.status == CheckStatus::Fail).map(|c| c.name.clone()).collect();
        for c in checks {
            rec.check(c);
        }
        if !failed.is_empty() {
            return report(rec, NodeStatus::Failed, format!("health gate failed: {}", failed.join(", ")));
        }
    }
    report(rec, NodeStatus::Done, format!("switched and healthy; runs {top}"))
}

fn skipped(nr: &NodeRollout, why: &str) -> NodeReport {
    NodeReport { node: nr.node.clone(), status: NodeStatus::Skipped, message: format!("not reached: {why}"), millis: 0 }
}

/// Runs an update plan wave by wave.
///
/// Inside a wave at most `opts.parallel` nodes are switched at once; when every node of
/// the wave is switched (or has ended), the health gates of the switched ones run (also
/// at most `opts.parallel` at once), so a gate also sees what its neighbours' switches
/// did. The next wave starts only when every node of this one is done. The first node
/// that is not done stops the run: nodes of its wave not started yet, and every later
/// wave, are reported skipped. Reports come in plan order whatever the threads did.
pub fn update(
    cluster: &Cluster,
    plan: &RolloutPlan,
    opts: &UpdateOptions,
    connect: &crate::Connector<'_>,
    rec: &mut Recorder,
) -> Result<(), Error> {
    let mut stopped: Option<String> = None;
    for wave in &plan.waves {
        if let Some(why) = &stopped {
            for nr in &wave.nodes {
                rec.node(skipped(nr, why));
            }
            continue;
        }
        let names: Vec<&str> = wave.nodes.iter().map(|n| n.node.as_str()).collect();
        rec.event(
            "wave",
            None,
            json!({"wave": wave.name, "nodes": names, "message": format!("wave {} ({}): {}", wave.name, names.join(", "), wave.reason)}),
        );
        let shared: &Recorder = rec;
        let switched = crate::parallel::bounded(
            &wave.nodes,
            opts.parallel,
            |(_, r): &(Recorder, Result<Switched, Error>)| !matches!(r, Ok(Switched::Ready { .. })),
            |nr| {
                let mut fork = shared.fork();
                let r = switch_node(cluster, nr, opts, connect, &mut fork);
                (fork, r)
            },
        );
        let ready: Vec<(usize, &NodeRollout, &str, Instant)> = wave
            .nodes
            .iter()
            .zip(&switched)
            .enumerate()
            .filter_map(|(i, (nr, s))| match s {
                Some((_, Ok(Switched::Ready { top, started }))) => Some((i, nr, top.as_str(), *started)),
                _ => None,
            })
            .collect();
        let gated = crate::parallel::bounded(
            &ready,
            opts.parallel,
            |_| false,
            |(i, nr, top, started)| {
                let mut fork = shared.fork();
                let status = gate_node(cluster, nr, top, *started, connect, &mut fork);
                (*i, fork, status)
            },
        );
        let mut gated: std::collections::BTreeMap<usize, (Recorder, NodeStatus)> =
            gated.into_iter().flatten().map(|(i, fork, status)| (i, (fork, status))).collect();
        // Plan order: each node's switch phase, then its gate; a node never started is skipped.
        let mut error = None;
        let mut not_started = Vec::new();
        for (i, (nr, slot)) in wave.nodes.iter().zip(switched).enumerate() {
            let status = match slot {
                None => {
                    not_started.push(nr);
                    continue;
                }
                Some((fork, result)) => {
                    rec.absorb(fork);
                    match result {
                        Ok(Switched::Ended(status)) => status,
                        Ok(Switched::Ready { .. }) => match gated.remove(&i) {
                            Some((fork, status)) => {
                                rec.absorb(fork);
                                status
                            }
                            None => NodeStatus::Failed,
                        },
                        Err(e) => {
                            error.get_or_insert(e);
                            NodeStatus::Failed
                        }
                    }
                }
            };
            if status != NodeStatus::Done && stopped.is_none() {
                stopped = Some(format!("{} ended {status:?} in wave {}", nr.node, wave.name));
            }
        }
        if let Some(e) = error {
            return Err(e);
        }
        let why = stopped.clone().unwrap_or_default();
        for nr in not_started {
            rec.node(skipped(nr, &why));
        }
    }
    Ok(())
}

/// `rollback NODE`: switch the node to the generation before the current one of its
/// system profile, then check that it runs it and pass the health gate. Returns its status.
pub fn rollback_node(
    cluster: &Cluster,
    node: &Node,
    connect: &crate::Connector<'_>,
    rec: &mut Recorder,
) -> Result<NodeStatus, Error> {
    let t = Instant::now();
    let name = node.name.as_str();
    let done = |rec: &mut Recorder, status: NodeStatus, message: String| {
        rec.node(NodeReport { node: node.name.clone(), status, message, millis: millis(t) });
        Ok(status)
    };
    let profile = crate::plan::SYSTEM_PROFILE;
    let run = |cmd: String, rec: &mut Recorder| -> Result<String, String> {
        rec.log(name, &format!("{name}$ {cmd}"));
        connect(node).and_then(|mut r| r.run(&cmd)).map(|s| s.trim().to_string())
    };
    let steps = (|| -> Result<(String, String), String> {
        let before = run("readlink -f /run/current-system".into(), rec)?;
        run(format!("nix-env -p {profile} --rollback"), rec)?;
        let target = run(format!("readlink -f {profile}"), rec)?;
        if target == before {
            return Err(format!("the profile has no generation before {before}"));
        }
        let argv: Vec<String> = ["/bin/sh", "-c", crate::plan::SWITCH_SCRIPT, "n3x-rollback", &target]
            .iter()
            .map(|s| s.to_string())
            .collect();
        run(crate::shell::join(&argv), rec)?;
        Ok((before, target))
    })();
    let (before, target) = match steps {
        Ok(x) => x,
        Err(e) => return done(rec, NodeStatus::Failed, format!("rollback failed: {e}")),
    };
    match connect(node).and_then(|mut r| r.run("readlink -f /run/current-system")) {
        Ok(cur) if cur.trim() == target => {}
        Ok(cur) => {
            return done(
                rec,
                NodeStatus::Failed,
                format!("after the rollback it runs {} instead of {target}", cur.trim()),
            )
        }
        Err(e) => return done(rec, NodeStatus::Failed, format!("no answer after the rollback: {e}")),
    }
    let checks = gate(cluster, node, connect);
    let failed: Vec<String> = checks.iter().filter(|c| c.status == CheckStatus::Fail).map(|c| c.name.clone()).collect();
    for c in checks {
        rec.check(c);
    }
    if !failed.is_empty() {
        return done(
            rec,
            NodeStatus::Failed,
            format!("rolled back to {target}, but the health gate failed: {}", failed.join(", ")),
        );
    }
    done(rec, NodeStatus::Done, format!("rolled back from {before} to {target}; healthy"))
}
