//! The netplan-equivalence corpus: every valid file must configure networkd exactly
//! as netplan's own generator (Debian netplan.io 0.106) does, and every invalid file
//! must be rejected with the expected file:line:column and message.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::path::PathBuf;

use common::{crate_dir, diff, n3x_units, netplan_generate};
use n3x_core::Document;

fn corpus(kind: &str) -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(crate_dir().join("tests/netplan-corpus").join(kind))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "yaml"))
        .collect();
    v.sort();
    v
}

#[test]
fn corpus_is_large_enough() {
    assert!(corpus("valid").len() >= 40, "need at least 40 valid inputs");
    assert!(corpus("invalid").len() >= 10, "need at least 10 invalid inputs");
}

#[test]
fn valid_corpus_matches_netplan_generate() {
    let Some(generator) = n3x_testkit::require(n3x_testkit::NETPLAN_GENERATE) else { return };
    let mut failures = Vec::new();
    for path in corpus("valid") {
        let text = std::fs::read_to_string(&path).unwrap();
        let name = path.file_name().unwrap().to_string_lossy().to_string();
        let doc = Document::parse(&name, &text).unwrap();
        let (plan, _warnings) = match n3x_netplan::plan_netplan(&doc, "x") {
            Ok(p) => p,
            Err(d) => {
                failures.push(format!("{name}: n3x rejected a valid file:\n{d}"));
                continue;
            }
        };
        let ours = n3x_units(&plan.nodes[0].interfaces);
        match netplan_generate(&generator, &text) {
            Err(e) => failures.push(format!("{name}: netplan rejected it: {e}")),
            Ok(theirs) => {
                assert!(!theirs.is_empty(), "{name}: netplan wrote no units");
                if let Some(d) = diff(&ours, &theirs) {
                    failures.push(format!("{name}: units differ:\n{d}"));
                }
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} files differ:\n{}",
        failures.len(),
        corpus("valid").len(),
        failures.join("\n")
    );
}

#[test]
fn invalid_corpus_is_rejected_with_position() {
    let generator = n3x_testkit::require(n3x_testkit::NETPLAN_GENERATE);
    let mut failures = Vec::new();
    for path in corpus("invalid") {
        let text = std::fs::read_to_string(&path).unwrap();
        let name = path.file_name().unwrap().to_string_lossy().to_string();
        let expect = std::fs::read_to_string(path.with_extension("expect")).unwrap();
        let (pos, needle) = expect.trim().split_once(' ').unwrap();
        let (line, col) = pos.split_once(':').unwrap();
        let (line, col): (usize, usize) = (line.parse().unwrap(), col.parse().unwrap());
        let result = Document::parse(&name, &text).and_then(|doc| n3x_netplan::plan_netplan(&doc, "x").map(|_| ()));
        match result {
            Ok(()) => failures.push(format!("{name}: n3x accepted it")),
            Err(d) => {
                let hit = d.0.iter().any(|x| {
                    x.is_error()
                        && x.message.contains(needle)
                        && x.location.as_ref().is_some_and(|l| l.file == name && l.line == line && l.column == col)
                });
                if !hit {
                    failures.push(format!("{name}: expected {line}:{col} {needle}, got:\n{d}"));
                }
            }
        }
        // The first line says what netplan itself does with the file.
        if let Some(g) = &generator {
            let netplan_rejects = text.lines().next().unwrap_or("").starts_with("# netplan: rejects");
            let got = netplan_generate(g, &text).is_err();
            if got != netplan_rejects {
                failures
                    .push(format!("{name}: expected netplan to {}", if netplan_rejects { "reject" } else { "accept" }));
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// The short form (inventory) expands into the same model: exported as netplan YAML,
/// netplan's generator configures networkd exactly as n3x's own units do.
#[test]
fn example_nodes_match_netplan_generate() {
    let Some(generator) = n3x_testkit::require(n3x_testkit::NETPLAN_GENERATE) else { return };
    let mut checked = 0;
    for (ex, _, p) in common::golden_inputs() {
        let doc = Document::parse("inventory.yaml", &std::fs::read_to_string(&p).unwrap()).unwrap();
        let (plan, _) = n3x_netplan::plan_document(&doc).unwrap();
        for node in &plan.nodes {
            let yaml = n3x_core::io::to_yaml(&n3x_netplan::netplan_out::to_netplan(&node.interfaces)).unwrap();
            let theirs = netplan_generate(&generator, &yaml)
                .unwrap_or_else(|e| panic!("{ex}/{}: netplan rejected\n{yaml}\n{e}", node.node));
            let ours = n3x_units(&node.interfaces);
            if let Some(d) = diff(&ours, &theirs) {
                panic!("{ex}/{}: differs from netplan:\n{d}\n{yaml}", node.node);
            }
            checked += 1;
        }
    }
    assert!(checked >= 8);
}

/// netplan → model → netplan → model is the identity on every valid corpus file.
#[test]
fn netplan_export_round_trips() {
    for path in corpus("valid") {
        let text = std::fs::read_to_string(&path).unwrap();
        let doc = Document::parse("a.yaml", &text).unwrap();
        let (first, _) = n3x_netplan::plan_netplan(&doc, "x").unwrap();
        let exported = n3x_netplan::netplan_out::to_netplan_value(&first.nodes[0].interfaces);
        let doc2 = Document::from_value("b.yaml", exported);
        let (second, _) = n3x_netplan::plan_netplan(&doc2, "x").unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        assert_eq!(first.nodes[0].interfaces, second.nodes[0].interfaces, "{}", path.display());
    }
}
