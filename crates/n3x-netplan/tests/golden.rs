//! Golden outputs per example node: network.nix, networkd units, netplan YAML and the
//! plan JSON under tests/golden/<example>/<node>/. Compared byte for byte; regenerated
//! only with N3X_UPDATE_GOLDEN=1 (make golden-update). The goldens are also checked by
//! the real tools: nix-instantiate parses every network.nix, and netplan's generator
//! turns every golden 50-n3x.yaml into exactly the golden networkd units.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use n3x_core::Document;
use n3x_netplan::Format;

fn golden_dir() -> PathBuf {
    common::crate_dir().join("tests/golden")
}

/// Every golden file of one example: relative path → contents.
fn render_example(input: &str, path: &Path) -> BTreeMap<PathBuf, Vec<u8>> {
    let text = std::fs::read_to_string(path).unwrap();
    let doc = Document::parse(input, &text).unwrap();
    let (plan, _) = n3x_netplan::plan_document(&doc).unwrap();
    let mut out = BTreeMap::new();
    for f in [Format::Nix, Format::Netplan] {
        for file in n3x_netplan::render(&plan, f, input, true).unwrap() {
            out.insert(file.path, file.contents);
        }
    }
    for file in n3x_netplan::render(&plan, Format::Networkd, input, true).unwrap() {
        let p = file.path;
        let node = p.parent().unwrap().to_path_buf();
        out.insert(node.join("networkd").join(p.file_name().unwrap()), file.contents);
    }
    for n in &plan.nodes {
        let one = n3x_netplan::plan::plan_document(vec![n.clone()]);
        out.insert(PathBuf::from(n.node.as_str()).join("plan.json"), n3x_core::io::to_json(&one).unwrap().into_bytes());
    }
    out
}

fn files_under(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let Ok(rd) = std::fs::read_dir(dir) else { return out };
    for e in rd {
        let p = e.unwrap().path();
        if p.is_dir() {
            out.extend(files_under(&p));
        } else {
            out.push(p);
        }
    }
    out
}

#[test]
fn goldens_match() {
    let update = std::env::var_os("N3X_UPDATE_GOLDEN").is_some();
    for (ex, input, path) in common::golden_inputs() {
        let want = render_example(&input, &path);
        let dir = golden_dir().join(&ex);
        if update {
            let _ = std::fs::remove_dir_all(&dir);
            for (p, c) in &want {
                let f = dir.join(p);
                std::fs::create_dir_all(f.parent().unwrap()).unwrap();
                std::fs::write(f, c).unwrap();
            }
            continue;
        }
        let mut have: Vec<PathBuf> =
            files_under(&dir).into_iter().map(|p| p.strip_prefix(&dir).unwrap().to_path_buf()).collect();
        have.sort();
        let mut expected: Vec<PathBuf> = want.keys().cloned().collect();
        expected.sort();
        assert_eq!(have, expected, "{ex}: golden file set differs; run make golden-update after checking the change");
        for (p, c) in &want {
            let got = std::fs::read(dir.join(p)).unwrap();
            assert!(got == *c, "{ex}/{}: differs from the golden; run N3X_UPDATE_GOLDEN=1 cargo test -p n3x-netplan --test golden after review", p.display());
        }
    }
}

#[test]
fn golden_nix_parses() {
    if std::env::var_os("N3X_UPDATE_GOLDEN").is_some() {
        return; // goldens_match is rewriting them concurrently
    }
    let Some(nix) = n3x_testkit::require(n3x_testkit::NIX_INSTANTIATE) else { return };
    let mut n = 0;
    for p in files_under(&golden_dir()).into_iter().filter(|p| p.extension().is_some_and(|e| e == "nix")) {
        n3x_testkit::nix_parse(&nix, &p);
        n += 1;
    }
    assert!(n >= 8, "expected a network.nix per example node, found {n}");
}

#[test]
fn golden_netplan_yaml_generates_the_golden_units() {
    if std::env::var_os("N3X_UPDATE_GOLDEN").is_some() {
        return; // goldens_match is rewriting them concurrently
    }
    let Some(generator) = n3x_testkit::require(n3x_testkit::NETPLAN_GENERATE) else { return };
    let mut n = 0;
    for y in files_under(&golden_dir()).into_iter().filter(|p| p.file_name().is_some_and(|f| f == "50-n3x.yaml")) {
        let theirs = common::netplan_generate(&generator, &std::fs::read_to_string(&y).unwrap()).unwrap();
        let ours = common::read_units(&y.parent().unwrap().join("networkd"), "10-");
        if let Some(d) = common::diff(&ours, &theirs) {
            panic!("{}: golden units differ from netplan generate:\n{d}", y.display());
        }
        n += 1;
    }
    assert!(n >= 8);
}
