//! n3x-secrets: age identities, ssh-to-age, `.sops.yaml`, sops-compatible encrypted
//! files, k3s tokens, host key bootstrap and secret lint.
pub mod app;
pub mod config;
pub mod dotenv;
pub mod gofmt;
pub mod identity;
pub mod lint;
pub mod nixgen;
pub mod rekey;
pub mod seams;
pub mod sops;
pub mod tree;
