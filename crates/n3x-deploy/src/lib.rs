//! n3x-deploy: take the machines of an n3x cluster from the inventory to the rendered
//! generation — plan the rollout, preflight each target against the inventory, install
//! (nixos-anywhere), update wave by wave with an on-node rollback, verify, roll back.
//!
//! [`plan`] is pure (Cluster + options → RolloutPlan). Everything that talks to a
//! machine goes through the [`n3x_inventory::probe::Remote`] seam, so the logic is
//! tested against a real sshd with recorded stand-ins. `main.rs` only parses arguments and maps outcomes to exit codes.

pub mod plan;
pub mod shell;

/// The tool's name in messages.
pub const TOOL: &str = "n3x-deploy";

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
