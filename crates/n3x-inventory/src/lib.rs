//! n3x-inventory: everything about the inventory itself — check it with every tool's
//! rules ([`check`]), query the normalized
//! cluster, import a hosts CSV, publish the JSON Schema, draw the topology, and
//! render the flake that ties every tool's output together, and probe live machines
//! over SSH for the facts an inventory cannot know.
//! Loading, validation and normalization live in `n3x_core::normalize`, because
//! every tool reads inventories too.
//!
//! Functions here are pure: documents in, documents or text out.

pub mod check;
pub mod csv_import;
pub mod flake;
pub mod graph;
pub mod probe;
pub mod query;
pub mod schema;
