//! `install NODE`: preflight, show what will be erased and have the node name typed back
//! (or `--yes`), make sure the node's host key is in its `--extra-files` tree and that the
//! node is a recipient of the secrets it reads (n3x-secrets' re-key), run nixos-anywhere, then wait (bounded) until the node answers SSH with that host key and
//! runs the evaluated generation. No step erases anything before the preflight passed and
//! the confirmation was given; `--dry-run` prints the steps and touches nothing.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use n3x_core::cluster::Node;
use n3x_core::rollout::{CheckResult, CheckStatus, NodeReport, NodeRollout, NodeStatus, StepOn};
use n3x_core::{Cluster, Error};
use n3x_inventory::probe::Remote;
use serde_json::json;

use crate::exec::{display, run_local, Outputs};
use crate::preflight::{compare, describe_parts, observe, passed, PreflightOptions};
use crate::report::Recorder;
use n3x_secrets::rekey::Rekey;

/// Asks the person at the terminal.
pub trait Prompt {
    /// Shows `question` and returns the answer line (without the newline).
    fn ask(&mut self, question: &str) -> Result<String, String>;
}

/// How to install.
#[derive(Debug, Clone)]
pub struct InstallOptions {
    /// Skip the typed confirmation.
    pub yes: bool,
    /// The target runs an installer image (its host key is not the node's).
    pub installer: bool,
    /// How long to wait for the installed node.
    pub wait_timeout: Duration,
    /// Pause between attempts while waiting.
    pub poll: Duration,
    /// The rendered cluster repository (`.sops.yaml`, `secrets/`, `hostkeys/`): the
    /// working folder, where the flake `.` is.
    pub repo: PathBuf,
    /// The admin's age identity (`N3X_ADMIN_IDENTITY`, else `SOPS_AGE_KEY_FILE`, as for
    /// `scripts/render`): re-wraps the node's secret files for a new host key.
    pub admin_identity: Option<PathBuf>,
}

/// Opens a session to a node that must present the given host key.
pub type ExpectConnector<'a> = dyn FnMut(&Node, &str) -> Result<Box<dyn Remote>, String> + 'a;

/// Everything `install` reaches the world through.
pub struct Seams<'a> {
    /// Sessions to the target as it is now (installer or old system).
    pub connect: &'a crate::Connector<'a>,
    /// Sessions that must present the node's own host key.
    pub connect_expecting: &'a mut ExpectConnector<'a>,
    /// The confirmation prompt.
    pub prompt: &'a mut dyn Prompt,
    /// Randomness for a new host key.
    pub rng: &'a mut dyn n3x_secrets::seams::Rng,
}

impl std::fmt::Debug for Seams<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Seams")
    }
}

/// The steps of a node as text, one per line: what `--dry-run` prints.
pub fn dry_run_text(nr: &NodeRollout) -> String {
    let mut s = format!("# {} ({}): {}\n", nr.node, nr.action.as_str(), nr.build_reason);
    if let Some(note) = &nr.join.override_note {
        s.push_str(&format!("# {note}\n"));
    }
    for step in &nr.steps {
        let where_ = match step.on {
            StepOn::Local => "local",
            StepOn::Node => "node ",
            StepOn::N3x => "n3x  ",
        };
        let out = step.output.as_ref().map(|o| format!("   # → @{o}@")).unwrap_or_default();
        s.push_str(&format!("{:<12} {where_} {}{out}\n", step.name, display(step)));
    }
    s
}

/// The host key state of a node before an install.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HostKey {
    /// The extra-files tree has the key; this is its public line.
    Ready(String),
    /// A key was just generated; the secrets must be re-encrypted for it before installing.
    Generated {
        /// Public key line.
        public: String,
        /// Where it was recorded for the next render.
        recorded: PathBuf,
    },
}

impl HostKey {
    /// The public key line.
    pub fn public(&self) -> &str {
        match self {
            HostKey::Ready(p) | HostKey::Generated { public: p, .. } => p,
        }
    }
}

/// Makes sure `private` (the node's `etc/ssh/ssh_host_ed25519_key` under its extra-files
/// tree) exists and agrees with the inventory. A missing key is generated (0600) with its
/// `.pub`. When the inventory declares no `hostKey`, the public line is recorded as
/// `<repo>/hostkeys/<node>.pub` (if it is not already), where every render picks it up to
/// make the node a recipient in `.sops.yaml`.
pub fn ensure_host_key(
    node: &Node,
    private: &Path,
    repo: &Path,
    rng: &mut dyn n3x_secrets::seams::Rng,
) -> Result<HostKey, String> {
    let hostkeys = repo.join("hostkeys");
    let record = |public: &str| -> Result<PathBuf, String> {
        n3x_secrets::app::record_host_key(&hostkeys, node.name.as_str(), public).map_err(|e| e.to_string())
    };
    let public_path = private.with_extension("pub");
    let body = |l: &str| l.split_whitespace().take(2).collect::<Vec<_>>().join(" ");
    let recorded_path = hostkeys.join(format!("{}.pub", node.name));
    // The node's hostKey is the inventory's or, where the inventory has none, the one
    // recorded in the repository (deploy fills it in): a message names the record when
    // it holds that key, because the fix is there.
    let from_record = |want: &str| std::fs::read_to_string(&recorded_path).is_ok_and(|text| body(&text) == body(want));
    if private.exists() {
        let public = std::fs::read_to_string(&public_path)
            .map_err(|e| format!("{} exists but {} cannot be read: {e}", private.display(), public_path.display()))?;
        if let Some(want) = &node.host_key {
            if body(want) != body(&public) {
                let (source, fix) = if from_record(want) {
                    (
                        recorded_path.display().to_string(),
                        format!(
                            "copy {} over {} (and update hostKey, if the inventory has one) and render again",
                            public_path.display(),
                            recorded_path.display()
                        ),
                    )
                } else {
                    ("the inventory".to_string(), "update hostKey and render again".to_string())
                };
                return Err(format!(
                    "{} holds {} but {source} declares {} for {}; the secrets are encrypted to that key. \
                     Put the matching key pair there, or {fix}",
                    public_path.display(),
                    body(&public),
                    body(want),
                    node.name
                ));
            }
        }
        if node.host_key.is_none() && !recorded_path.exists() {
            record(&public)?;
        }
        return Ok(HostKey::Ready(public.trim().to_string()));
    }
    if let Some(want) = &node.host_key {
        let (source, fix) = if from_record(want) {
            (
                recorded_path.display().to_string(),
                format!(
                    "delete {} (and hostKey from the inventory, if it has one) and render again",
                    recorded_path.display()
                ),
            )
        } else {
            ("the inventory".to_string(), "remove hostKey from the inventory and render again".to_string())
        };
        return Err(format!(
            "{source} declares host key {} for {} but {} does not exist: the node's secrets are encrypted to a key \
             that is not here. Restore the key pair into {}, or {fix}",
            body(want),
            node.name,
            private.display(),
            private.parent().map(|p| p.display().to_string()).unwrap_or_default()
        ));
    }
    let (secret, public) = n3x_secrets::identity::generate_host_key(rng, &format!("root@{}", node.name))?;
    n3x_secrets::app::create_new_private(private, secret.as_bytes()).map_err(|e| e.to_string())?;
    n3x_core::io::write_atomic(&public_path, public.as_bytes(), Some(0o644)).map_err(|e| e.to_string())?;
    let recorded = record(&public)?;
    Ok(HostKey::Generated { public: public.trim().to_string(), recorded })
}

fn millis(t: Instant) -> u64 {
    u64::try_from(t.elapsed().as_millis()).unwrap_or(u64::MAX)
}

fn finish(rec: &mut Recorder, node: &Node, status: NodeStatus, message: String, t: Instant) {
    rec.node(NodeReport { node: node.name.clone(), status, message, millis: millis(t) });
}

/// Waits until `node` answers with `key` and runs `toplevel`, at most `timeout`.
pub fn wait_for_generation(
    node: &Node,
    key: &str,
    toplevel: &str,
    timeout: Duration,
    poll: Duration,
    connect_expecting: &mut ExpectConnector<'_>,
    rec: &mut Recorder,
) -> Result<(), String> {
    let deadline = Instant::now() + timeout;
    let mut last;
    let mut attempts = 0u32;
    loop {
        attempts += 1;
        match connect_expecting(node, key).and_then(|mut r| r.run("readlink -f /run/current-system")) {
            Ok(cur) if cur.trim() == toplevel => {
                rec.event(
                    "wait",
                    Some(node.name.as_str()),
                    json!({"message": format!("runs {toplevel}"), "attempts": attempts}),
                );
                return Ok(());
            }
            Ok(cur) => last = format!("it runs {} instead of {toplevel}", cur.trim()),
            Err(e) => last = e,
        }
        if Instant::now() + poll > deadline {
            return Err(format!(
                "{} did not come back with its host key and generation within {} s ({attempts} attempts); last: {last}",
                node.name,
                timeout.as_secs()
            ));
        }
        std::thread::sleep(poll);
    }
}

/// Installs one node by its plan. Records checks and the node's result; returns its status.
pub fn install(
    cluster: &Cluster,
    nr: &NodeRollout,
    opts: &InstallOptions,
    seams: Seams<'_>,
    rec: &mut Recorder,
) -> Result<NodeStatus, Error> {
    let t = Instant::now();
    let node = crate::planned_node(cluster, nr)?;
    let name = node.name.as_str();
    let mut outputs = Outputs::new();
    let mut key = node.host_key.clone();
    let mut observed_parts = String::new();
    for step in &nr.steps {
        rec.event("step", Some(name), json!({"step": step.name, "message": display(step)}));
        match step.name.as_str() {
            "preflight" => {
                let o = match (seams.connect)(node).and_then(|mut r| observe(node, r.as_mut())) {
                    Ok(o) => o,
                    Err(e) => {
                        rec.check(CheckResult {
                            name: "reachable".into(),
                            node: Some(name.into()),
                            status: CheckStatus::Fail,
                            evidence: e.clone(),
                        });
                        finish(rec, node, NodeStatus::Refused, format!("preflight: {e}"), t);
                        return Ok(NodeStatus::Refused);
                    }
                };
                if let Ok(d) = &o.disk {
                    observed_parts = describe_parts(d);
                }
                let checks = compare(node, &o, PreflightOptions { installer: opts.installer });
                let ok = passed(&checks);
                let failed: Vec<String> =
                    checks.iter().filter(|c| c.status == CheckStatus::Fail).map(|c| c.name.clone()).collect();
                for c in checks {
                    rec.check(c);
                }
                if !ok {
                    finish(
                        rec,
                        node,
                        NodeStatus::Refused,
                        format!("preflight failed: {}; nothing was changed", failed.join(", ")),
                        t,
                    );
                    return Ok(NodeStatus::Refused);
                }
            }
            "confirm" => {
                let table = n3x_disko::plan_cluster(cluster, Some(name))
                    .map(|(plans, _)| plans.iter().map(n3x_disko::show::show).collect::<Vec<_>>().join("\n"))
                    .map_err(|d| Error::Failed(format!("cannot plan the disk of {name}: {d}")))?;
                let question = (!opts.yes).then(|| {
                    format!(
                        "ALL DATA ON {} OF {name} WILL BE ERASED. Type the node name to continue: ",
                        node.disk.device
                    )
                });
                // The table and the question own the terminal: no progress line may cross them.
                let answer = rec.suspend(|| {
                    eprintln!("{table}");
                    eprintln!("now on {}: {observed_parts}", node.disk.device);
                    question.map(|q| seams.prompt.ask(&q).unwrap_or_default())
                });
                match answer {
                    None => rec.event("confirm", Some(name), json!({"message": "--yes given"})),
                    Some(answer) => {
                        if answer.trim() != name {
                            finish(
                                rec,
                                node,
                                NodeStatus::Refused,
                                format!(
                                    "not confirmed (typed {:?}, expected {name:?}); nothing was changed",
                                    answer.trim()
                                ),
                                t,
                            );
                            return Ok(NodeStatus::Refused);
                        }
                    }
                }
            }
            "host-key" => {
                let private = PathBuf::from(step.argv.get(1).cloned().unwrap_or_default());
                let refuse = |rec: &mut Recorder, why: String| {
                    finish(rec, node, NodeStatus::Refused, format!("{why}; nothing on the machine was changed"), t);
                    Ok(NodeStatus::Refused)
                };
                let host_key = match ensure_host_key(node, &private, &opts.repo, seams.rng) {
                    Ok(k) => k,
                    Err(e) => return refuse(rec, e),
                };
                if let HostKey::Generated { public, recorded } = &host_key {
                    let body = public.split_whitespace().take(2).collect::<Vec<_>>().join(" ");
                    rec.event(
                        "host-key",
                        Some(name),
                        json!({"message": format!("generated host key {body} in {} and recorded it as {}", private.display(), recorded.display())}),
                    );
                }
                // The node must be able to decrypt its secrets on first boot: it becomes a
                // recipient of the files it reads before anything is installed.
                match n3x_secrets::rekey::ensure_host_recipient(
                    &opts.repo,
                    cluster,
                    name,
                    host_key.public(),
                    opts.admin_identity.as_deref(),
                    seams.rng,
                ) {
                    Ok(Rekey::Rekeyed { files }) => rec.event(
                        "secrets",
                        Some(name),
                        json!({"message": format!(".sops.yaml updated; re-encrypted for {name}: {}", files.join(", ")), "files": files}),
                    ),
                    Ok(Rekey::UpToDate) => rec.event(
                        "secrets",
                        Some(name),
                        json!({"message": format!("{name} is already a recipient of its secret files")}),
                    ),
                    Ok(Rekey::NoConfig) if matches!(host_key, HostKey::Generated { .. }) => {
                        return refuse(
                            rec,
                            format!(
                                "generated a host key for {name}, but {} has no .sops.yaml to make it a recipient of its \
                                 secrets: run the install from the rendered cluster repository (scripts/render)",
                                opts.repo.display()
                            ),
                        )
                    }
                    Ok(Rekey::NoConfig) => rec.event(
                        "secrets",
                        Some(name),
                        json!({"message": format!("no .sops.yaml in {}: the secrets were not checked", opts.repo.display())}),
                    ),
                    Err(e) => return refuse(rec, e.to_string()),
                }
                key = Some(host_key.public().to_string());
            }
            "rejoin" => {
                let path = PathBuf::from(step.argv.get(1).cloned().unwrap_or_default());
                let url = nr.join.server_addr.clone().unwrap_or_default();
                let doc: std::collections::BTreeMap<&str, &str> = [("server", url.as_str())].into_iter().collect();
                n3x_core::io::write_atomic(&path, n3x_core::io::to_yaml(&doc)?.as_bytes(), Some(0o600))?;
            }
            "wait" => {
                let (Some(k), Some(top)) = (key.as_deref(), outputs.get("toplevel")) else {
                    return Err(Error::Failed(format!("{name}: no host key or generation to wait for")));
                };
                if let Err(e) =
                    wait_for_generation(node, k, top, opts.wait_timeout, opts.poll, seams.connect_expecting, rec)
                {
                    finish(rec, node, NodeStatus::Failed, e, t);
                    return Ok(NodeStatus::Failed);
                }
            }
            _ if step.on == StepOn::Local => match run_local(step, &outputs, name, rec) {
                Ok(out) => {
                    if let Some(o) = &step.output {
                        outputs.insert(o.clone(), out);
                    }
                }
                Err(e) => {
                    finish(rec, node, NodeStatus::Failed, e, t);
                    return Ok(NodeStatus::Failed);
                }
            },
            other => return Err(Error::Failed(format!("install does not know the step {other:?}"))),
        }
    }
    let top = outputs.get("toplevel").cloned().unwrap_or_default();
    finish(rec, node, NodeStatus::Done, format!("installed; runs {top}"), t);
    Ok(NodeStatus::Done)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The single-node example's node, with `key` as its hostKey.
    fn node_with_key(key: &str) -> Node {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/single-node/inventory.yaml");
        let text = std::fs::read_to_string(path).unwrap();
        let doc = n3x_core::Document::parse("inventory.yaml", &text).unwrap();
        let (cluster, _) = n3x_core::normalize::load_cluster(&doc).unwrap();
        let mut node = cluster.nodes[0].clone();
        node.host_key = Some(key.to_string());
        node
    }

    #[test]
    fn a_host_key_that_does_not_match_names_where_the_key_came_from_and_the_fix() {
        let key = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIGq3ckVX0Dr1G6hLHzzFvX6qJdV5Y0a5sJ3a2tG0iT1m";
        let node = node_with_key(key);
        let repo = tempfile::tempdir().unwrap();
        let private = repo.path().join("extra-files/x/etc/ssh/ssh_host_ed25519_key");
        let mut rng = n3x_secrets::seams::TestRng::new(1);
        // The inventory's key and no key pair: the fix is in the inventory.
        let err = ensure_host_key(&node, &private, repo.path(), &mut rng).unwrap_err();
        assert!(err.starts_with("the inventory declares host key ssh-ed25519 AAAA"), "{err}");
        assert!(err.ends_with("remove hostKey from the inventory and render again"), "{err}");
        // The same key recorded in hostkeys/ (deploy took it from there): the fix names the record.
        let record = repo.path().join(format!("hostkeys/{}.pub", node.name));
        std::fs::create_dir(record.parent().unwrap()).unwrap();
        std::fs::write(&record, format!("{key} root@x\n")).unwrap();
        let err = ensure_host_key(&node, &private, repo.path(), &mut rng).unwrap_err();
        assert!(err.starts_with(&format!("{} declares host key", record.display())), "{err}");
        assert!(err.contains(&format!("delete {} (and hostKey", record.display())), "{err}");
        // A key pair that differs from the recorded key.
        std::fs::create_dir_all(private.parent().unwrap()).unwrap();
        std::fs::write(&private, "not read").unwrap();
        std::fs::write(private.with_extension("pub"), "ssh-ed25519 AAAAother root@x\n").unwrap();
        let err = ensure_host_key(&node, &private, repo.path(), &mut rng).unwrap_err();
        assert!(err.contains(&format!("holds ssh-ed25519 AAAAother but {} declares", record.display())), "{err}");
        assert!(err.contains(&format!("over {}", record.display())), "{err}");
        // Nothing was written or generated on the way.
        assert_eq!(std::fs::read_to_string(&record).unwrap(), format!("{key} root@x\n"));
    }
}
