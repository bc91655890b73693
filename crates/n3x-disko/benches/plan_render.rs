//! Planning + rendering 1,000 nodes (placeholder until the bench lands).
fn main() {}
