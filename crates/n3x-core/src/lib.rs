//! n3x-core: the documents every n3x tool reads and writes, and the shared machinery
//! around them.
//!
//! - [`inventory`], [`cluster`], [`facts`]: the document types (`Inventory`, `Cluster`,
//!   `Facts`), the single source of truth for their JSON/YAML shape and JSON Schema.
//! - [`units`], [`keys`], [`model`]: value types that validate when deserialized.
//! - [`yaml`]: the one YAML tokenizer, with depth and alias budgets.
//! - [`source`], [`decode`], [`diag`]: parsing with positions, typed decoding, and
//!   diagnostics that name file, line, column, field path and a fix.
//! - [`normalize`], [`validate`]: Inventory (+ Facts) → Cluster, and the cluster-wide checks.
//! - [`nix`]: the one Nix printer. [`comment`]: the one way to write a comment line. [`io`], [`cli`]: atomic output, stdin/stdout, exit codes.
#![deny(missing_docs)]

pub mod cli;
pub mod cluster;
pub mod comment;
pub mod decode;
pub mod diag;
pub mod diskplan;
pub mod facts;
pub mod inventory;
pub mod io;
pub mod keys;
pub mod model;
pub mod networkplan;
pub mod nix;
pub mod normalize;
pub mod rollout;
pub mod source;
pub mod sync;
pub mod units;
pub mod validate;
pub mod yaml;

pub use cli::Error;
pub use cluster::Cluster;
pub use diag::{Diagnostic, Diagnostics, Severity};
pub use facts::Facts;
pub use inventory::{Inventory, API_VERSION};
pub use source::Document;
