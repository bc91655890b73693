//! Goldens: `.sops.yaml` and every node's `secrets.nix` for the examples, compared byte
//! for byte (`N3X_UPDATE_GOLDEN=1` rewrites them) and checked by the real tools: sops
//! encrypts with the golden `.sops.yaml` and picks the right recipients, and every
//! golden Nix file parses with nix-instantiate.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

use common::ok;

const EXAMPLES: &[&str] = &["edge-lab", "single-node"];

fn golden_dir(example: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/golden").join(example)
}

fn compare(path: &Path, actual: &str) {
    if std::env::var_os("N3X_UPDATE_GOLDEN").is_some() {
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, actual).unwrap();
        return;
    }
    let want = std::fs::read_to_string(path).unwrap_or_else(|_| panic!("missing golden {}", path.display()));
    assert_eq!(
        want,
        actual,
        "{} differs (N3X_UPDATE_GOLDEN=1 cargo test -p n3x-secrets --test golden to accept)",
        path.display()
    );
}

fn render(example: &str) -> (String, Vec<(String, String)>) {
    let repo = n3x_testkit::repo_root();
    let input = format!("examples/{example}/inventory.yaml");
    let bin = env!("CARGO_BIN_EXE_n3x-secrets");
    let cfg = ok(Command::new(bin).current_dir(&repo).args(["sops-config", &input]).output().unwrap(), "sops-config");
    let out = tempfile::tempdir().unwrap();
    ok(
        Command::new(bin).current_dir(&repo).args(["render-nix", &input, "--out"]).arg(out.path()).output().unwrap(),
        "render-nix",
    );
    let mut files = Vec::new();
    let mut nodes: Vec<_> =
        std::fs::read_dir(out.path()).unwrap().map(|e| e.unwrap().file_name().into_string().unwrap()).collect();
    nodes.sort();
    for n in nodes {
        files.push((n.clone(), std::fs::read_to_string(out.path().join(&n).join("secrets.nix")).unwrap()));
    }
    (cfg, files)
}

#[test]
fn goldens_match_and_real_tools_accept_them() {
    let nix = n3x_testkit::require(n3x_testkit::NIX_INSTANTIATE);
    for example in EXAMPLES {
        let dir = golden_dir(example);
        let (cfg, files) = render(example);
        compare(&dir.join("sops.yaml"), &cfg);
        for (node, text) in &files {
            let p = dir.join("hosts").join(node).join("secrets.nix");
            compare(&p, text);
            if let Some(nix) = &nix {
                n3x_testkit::nix_parse(nix, &p);
            }
        }
        // sops picks each golden rule: the file is encrypted to exactly the rule's recipients.
        let Some(sops) = common::sops_path() else { continue };
        let tmp = tempfile::tempdir().unwrap();
        std::fs::write(tmp.path().join(".sops.yaml"), &cfg).unwrap();
        let config = n3x_secrets::config::parse(&cfg, "golden").unwrap();
        let mut targets = vec!["secrets/cluster.yaml".to_string(), "secrets/agent.yaml".to_string()];
        targets.extend(files.iter().map(|(n, _)| format!("secrets/hosts/{n}.yaml")));
        for t in targets {
            let f = tmp.path().join(&t);
            std::fs::create_dir_all(f.parent().unwrap()).unwrap();
            std::fs::write(&f, "x: 1\n").unwrap();
            let enc = ok(
                Command::new(&sops).current_dir(tmp.path()).env("HOME", tmp.path()).args(["-e", &t]).output().unwrap(),
                "sops -e with the golden .sops.yaml",
            );
            let want = &config.rule_for(&t).unwrap().age;
            assert!(!want.is_empty());
            for r in want {
                assert!(enc.contains(&format!("recipient: {r}")), "{example} {t}: sops did not encrypt to {r}");
            }
            assert_eq!(enc.matches("recipient: ").count(), want.len(), "{example} {t}");
        }
    }
}
