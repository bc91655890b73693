//! Render time of the whole bootstrap (plan + manifests + YAML/dir/Nix) for the
//! examples, with std::time::Instant (no criterion): `cargo bench -p n3x-kube-bootstrap`.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::print_stdout)]

use std::time::Instant;

fn main() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    for example in ["edge-lab", "single-node"] {
        let path = root.join("examples").join(example).join("inventory.yaml");
        let Ok(text) = std::fs::read_to_string(&path) else {
            println!("{example}: {} missing, skipped", path.display());
            continue;
        };
        let doc = n3x_core::Document::parse("inventory.yaml", &text).expect("parses");
        let (cluster, _) = n3x_core::normalize::load_cluster(&doc).expect("valid inventory");
        let n = 2000;
        let mut bytes = 0usize;
        let t = Instant::now();
        for _ in 0..n {
            let (files, _) = n3x_kube_bootstrap::bootstrap(&cluster).expect("renders");
            bytes += n3x_kube_bootstrap::render_yaml(&files, "inventory.yaml").unwrap().len();
            let dir = n3x_kube_bootstrap::render_dir(&files, "inventory.yaml").unwrap();
            bytes += dir.iter().map(|f| f.contents.len()).sum::<usize>();
            let nix = n3x_kube_bootstrap::render_nix(&cluster, &files, "inventory.yaml", None).unwrap();
            bytes += nix.iter().map(|f| f.contents.len()).sum::<usize>();
        }
        let per = t.elapsed() / n;
        println!(
            "{example}: plan + manifests + yaml + dir + nix: {per:?} per cluster ({n} runs, {} bytes per run)",
            bytes / n as usize
        );
    }
}
