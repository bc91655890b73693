//! n3x-e2e holds no code: its test (`tests/pipeline.rs`) runs the whole demo pipeline
//! with the workspace's binaries and checks the result across tools with the real
//! tools (nix-instantiate, sops, validate-manifests).
