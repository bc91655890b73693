//! `RolloutPlan` and `DeployReport`: what `n3x-deploy` plans and what it reports.
//!
//! A `RolloutPlan` says, before anything touches a machine, in which order the nodes are
//! installed or updated (waves), how each is built and the exact argument lists that
//! will run. A `DeployReport` says afterwards what happened to each node and each check.
//! This module only declares the shapes; planning and running live in n3x-deploy.

use std::collections::BTreeMap;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::model::Role;
use crate::units::NodeName;

/// The rollout plan of a cluster (or of some of its nodes).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct RolloutPlan {
    /// Always `n3x.dev/v1alpha1`.
    pub api_version: String,
    /// Always `RolloutPlan`.
    pub kind: String,
    /// Cluster name.
    pub cluster: NodeName,
    /// What the rollout does to every node in it.
    pub action: Action,
    /// The flake the systems come from (`.` is the cluster repository).
    pub flake: String,
    /// Whether the cluster already runs (its etcd exists). Decides how the first
    /// server is installed: on first bring-up it initializes the cluster, afterwards it
    /// joins through another server like every other server.
    pub cluster_up: bool,
    /// The Nix system of the machine running n3x-deploy (`x86_64-linux`); decides
    /// where each node's system is built.
    pub deployer_system: String,
    /// Waves in order; a wave starts only when the one before passed its health gate.
    pub waves: Vec<Wave>,
}

/// Install (wipes the disk) or update (switches a running node).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub enum Action {
    /// `nixos-anywhere`: partition, format and install; ALL DATA ON THE DISK IS ERASED.
    Install,
    /// Build, copy and switch the rendered generation on a running node.
    Update,
}

impl Action {
    /// The spelling in documents and on the command line.
    pub fn as_str(self) -> &'static str {
        match self {
            Action::Install => "install",
            Action::Update => "update",
        }
    }
}

/// Nodes that are handled together; the next wave waits for this one's health gate.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct Wave {
    /// Short name: `canary`, `first-server`, `server-<node>`, `agents-<n>`.
    pub name: String,
    /// Why these nodes are together and in this place.
    pub reason: String,
    /// The nodes, handled in parallel.
    pub nodes: Vec<NodeRollout>,
}

/// Where a node's system closure is built.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub enum BuildLocation {
    /// On the deployer, natively (same system).
    Local,
    /// On the deployer through binfmt emulation (the deployer declares
    /// `boot.binfmt.emulatedSystems`); slow but needs nothing from the node.
    LocalEmulated,
    /// On the node itself (its own Nix store), then nothing is copied.
    Remote,
}

/// How a node takes part in the k3s cluster when it starts.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct Join {
    /// Initializes a new embedded etcd (only the first server on first bring-up).
    pub cluster_init: bool,
    /// The server URL it joins through; null when it initializes.
    pub server_addr: Option<String>,
    /// Set when the join differs from what the rendered host configuration says (a
    /// first server reinstalled after bring-up): what n3x-deploy does about it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub override_note: Option<String>,
}

/// One node's part in a wave.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct NodeRollout {
    /// Node name.
    pub node: NodeName,
    /// k3s role.
    pub role: Role,
    /// What happens to it.
    pub action: Action,
    /// SSH target, `user@host`.
    pub target: String,
    /// SSH port.
    pub port: u16,
    /// Nix system double of the node.
    pub system: String,
    /// Where its system is built.
    pub build: BuildLocation,
    /// Why it is built there.
    pub build_reason: String,
    /// The k3s join it comes up with.
    pub join: Join,
    /// The install disk (install only): by-id path and declared size in bytes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub disk: Option<PlanDisk>,
    /// The steps, in order.
    pub steps: Vec<Step>,
}

/// The disk an install erases.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct PlanDisk {
    /// Device path as declared (a `/dev/disk/by-id/…` path when normalized with facts).
    pub device: String,
    /// Declared size in bytes, when known.
    pub size: Option<u64>,
}

/// Where a step runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub enum StepOn {
    /// A program on the deployer.
    Local,
    /// A program on the node, over SSH.
    Node,
    /// Done by n3x-deploy itself (probe, confirm, wait, gate); `argv` describes it.
    N3x,
}

/// One step: an exact argument list (never a shell string).
///
/// An argument that is exactly `@NAME@` stands for the trimmed standard output of the
/// earlier step whose `output` is `NAME` (`@toplevel@`: the system store path to run;
/// `@previous@`: the one the node ran before). A whole argument is replaced, never part
/// of one, so nothing needs quoting.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct Step {
    /// Short name: `evaluate`, `build`, `copy`, `preflight`, `install`, `arm-rollback`, `switch`, `confirm`, `wait`, `gate`.
    pub name: String,
    /// Where it runs.
    pub on: StepOn,
    /// The argument list.
    pub argv: Vec<String>,
    /// Extra environment for a local program.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub env: BTreeMap<String, String>,
    /// The name later steps use for its trimmed standard output.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub output: Option<String>,
}

/// What happened in one run of n3x-deploy.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct DeployReport {
    /// Always `n3x.dev/v1alpha1`.
    pub api_version: String,
    /// Always `DeployReport`.
    pub kind: String,
    /// The subcommand (`preflight`, `install`, `update`, `verify`, `rollback`).
    pub command: String,
    /// The overall outcome; the exit code follows from it.
    pub outcome: Outcome,
    /// Per node, in plan order.
    pub nodes: Vec<NodeReport>,
    /// Named checks (preflight, health gates, verify).
    pub checks: Vec<CheckResult>,
}

/// Overall outcome of a run (exit codes in docs/n3x-deploy.md).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub enum Outcome {
    /// Everything done and every check passed (exit 0).
    Succeeded,
    /// Something failed; nothing was rolled back (exit 1).
    Failed,
    /// Some nodes done, then a failure stopped the run (exit 3).
    Partial,
    /// A node was rolled back to its previous generation (exit 4).
    RolledBack,
    /// A preflight or the confirmation refused; nothing was changed (exit 5).
    Refused,
}

/// What happened to one node.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct NodeReport {
    /// Node name.
    pub node: NodeName,
    /// Its outcome.
    pub status: NodeStatus,
    /// What was seen (the failing step and its message, the generation it runs).
    pub message: String,
    /// Wall time spent on it, milliseconds.
    pub millis: u64,
}

/// Outcome for one node.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub enum NodeStatus {
    /// Done and healthy.
    Done,
    /// Its step or gate failed.
    Failed,
    /// Rolled back to the generation it ran before.
    RolledBack,
    /// Refused before anything changed.
    Refused,
    /// Not reached: an earlier wave failed.
    Skipped,
    /// Nothing was run (`--dry-run`).
    DryRun,
}

/// One named check.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct CheckResult {
    /// Check name, e.g. `disk-exists`, `node-ready`, `argocd-root-app`.
    pub name: String,
    /// The node it is about; null for a cluster-wide check.
    pub node: Option<String>,
    /// Pass, fail or skip.
    pub status: CheckStatus,
    /// What was expected and what was found.
    pub evidence: String,
}

/// Status of a check.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub enum CheckStatus {
    /// As expected.
    Pass,
    /// Not as expected.
    Fail,
    /// Not applicable (an add-on that is disabled).
    Skip,
}
