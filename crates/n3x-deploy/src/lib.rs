//! n3x-deploy: take the machines of an n3x cluster from the inventory to the rendered
//! generation — plan the rollout, preflight each target against the inventory, install
//! (nixos-anywhere), update wave by wave with an on-node rollback, verify, roll back.
//!
//! [`plan`] is pure (Cluster + options → RolloutPlan). Everything that talks to a
//! machine goes through the [`n3x_inventory::probe::Remote`] seam, so the logic is
//! tested against a real sshd with recorded stand-ins. `main.rs` only parses arguments and maps outcomes to exit codes.

pub mod connect;
pub mod exec;
pub mod install;
pub mod parallel;
pub mod plan;
pub mod preflight;
pub mod progress;
pub mod report;
pub mod shell;
pub mod update;
pub mod verify;

/// The tool's name in messages.
pub const TOOL: &str = "n3x-deploy";

/// Opens a session to a node: the SSH seam every machine-facing step goes through.
/// `Fn + Sync` so that the nodes of a wave can each open their own sessions on their
/// own threads (a session itself never crosses threads).
pub type Connector<'a> =
    dyn Fn(&n3x_core::cluster::Node) -> Result<Box<dyn n3x_inventory::probe::Remote>, String> + Sync + 'a;

/// The named nodes of a cluster, in inventory order (all when `names` is empty); an
/// unknown name is an error listing the nodes there are.
pub fn select<'a>(
    cluster: &'a n3x_core::Cluster,
    names: &[String],
) -> Result<Vec<&'a n3x_core::cluster::Node>, n3x_core::Error> {
    for n in names {
        if cluster.node(n).is_none() {
            let have: Vec<&str> = cluster.nodes.iter().map(|x| x.name.as_str()).collect();
            return Err(n3x_core::Error::Failed(format!(
                "no node named \"{n}\" in the cluster; nodes are: {}",
                have.join(", ")
            )));
        }
    }
    Ok(cluster.nodes.iter().filter(|x| names.is_empty() || names.iter().any(|n| n == x.name.as_str())).collect())
}

/// The cluster node a plan entry names; a plan that names a node the cluster does not
/// have was made from another inventory.
pub fn planned_node<'a>(
    cluster: &'a n3x_core::Cluster,
    nr: &n3x_core::rollout::NodeRollout,
) -> Result<&'a n3x_core::cluster::Node, n3x_core::Error> {
    cluster
        .node(nr.node.as_str())
        .ok_or_else(|| n3x_core::Error::Failed(format!("the plan names {} but the cluster has no such node", nr.node)))
}

/// The JSON Schema of the RolloutPlan or DeployReport document, generated from the
/// types (committed as `schemas/rolloutplan.schema.json` and `schemas/deployreport.schema.json`).
pub fn schema(report: bool) -> Result<String, n3x_core::Error> {
    let (mut s, id) = if report {
        (schemars::schema_for!(n3x_core::rollout::DeployReport), "deployreport")
    } else {
        (schemars::schema_for!(n3x_core::rollout::RolloutPlan), "rolloutplan")
    };
    s.insert("$id".into(), format!("https://n3x.dev/schemas/v1alpha1/{id}.schema.json").into());
    n3x_core::io::to_json(&s)
}
