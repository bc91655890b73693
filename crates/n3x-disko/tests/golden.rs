//! Golden outputs per layout: for each case under tests/golden/<case>/ (an input.yaml),
//! the plan JSON, disko.nix, disk-extra.nix and the show table must match byte for
//! byte. `N3X_UPDATE_GOLDEN=1` rewrites them. Every golden Nix file is also parsed and
//! evaluated with the real nix-instantiate and compared with the plan.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::path::{Path, PathBuf};

use n3x_core::diskplan::DiskPlan;
use n3x_core::Document;
use n3x_disko::{plan_document, plans_from_document, render_node, show, Format};

fn cases() -> Vec<PathBuf> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/golden");
    let mut v: Vec<PathBuf> = std::fs::read_dir(&root)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.join("input.yaml").is_file())
        .collect();
    v.sort();
    v
}

fn compare(path: &Path, got: &str, failures: &mut Vec<String>) {
    if std::env::var_os("N3X_UPDATE_GOLDEN").is_some() {
        std::fs::write(path, got).unwrap();
        return;
    }
    match std::fs::read_to_string(path) {
        Ok(want) if want == got => {}
        Ok(_) => failures.push(format!(
            "{} differs (N3X_UPDATE_GOLDEN=1 cargo test -p n3x-disko --test golden to accept)",
            path.display()
        )),
        Err(_) => failures.push(format!("{} is missing (N3X_UPDATE_GOLDEN=1 to create)", path.display())),
    }
}

#[test]
fn goldens_match_and_evaluate_to_the_plan() {
    let cases = cases();
    assert!(cases.len() >= 6, "expected golden cases for every layout, found {}", cases.len());
    let mut failures = Vec::new();
    let nix = n3x_testkit::require(n3x_testkit::NIX_INSTANTIATE);
    for case in &cases {
        let text = std::fs::read_to_string(case.join("input.yaml")).unwrap();
        let doc = Document::parse("input.yaml", &text).unwrap();
        let (plans, _warnings) = plans_from_document(&doc, None).unwrap_or_else(|e| panic!("{}: {e}", case.display()));
        assert_eq!(plans.len(), 1);
        let plan = &plans[0];
        let json = n3x_core::io::to_json(&plan_document(plans.clone())).unwrap();
        compare(&case.join("plan.json"), &json, &mut failures);
        // The consumer's side: the plan JSON decodes with deny_unknown_fields types.
        let back: DiskPlan = serde_json::from_str(&json).unwrap();
        assert_eq!(&back.nodes[0], plan);
        let [(_, disko), (_, extra)] = render_node(plan, "input.yaml", Format::Nix).unwrap();
        compare(&case.join("disko.nix"), &disko, &mut failures);
        compare(&case.join("disk-extra.nix"), &extra, &mut failures);
        compare(&case.join("show.txt"), &show::show(plan), &mut failures);
        let Some(nix) = &nix else { continue };
        for f in ["disko.nix", "disk-extra.nix"] {
            n3x_testkit::nix_parse(nix, &case.join(f));
        }
        let got = n3x_testkit::nix_eval_json(nix, &case.join("disko.nix"));
        common::assert_eval_matches_plan(&got, plan);
        let extra = n3x_testkit::nix_eval_json(nix, &case.join("disk-extra.nix"));
        assert_eq!(extra, common::expected_extra(plan), "{}", case.display());
        for (file, value) in [("disk-extra.nix", &extra), ("disko.nix", &got)] {
            let unknown = n3x_testkit::unknown_option_paths(value, &[]);
            assert!(
                unknown.is_empty(),
                "{}: {file} sets options not in nixos-options.json: {unknown:?}",
                case.display()
            );
        }
        // The JSON form says the same as the Nix form.
        let [(_, dj), _] = render_node(plan, "input.yaml", Format::Json).unwrap();
        assert_eq!(serde_json::from_str::<serde_json::Value>(&dj).unwrap(), got);
    }
    assert!(failures.is_empty(), "golden mismatches:\n{}", failures.join("\n"));
}

#[test]
fn disko_option_paths_exist() {
    // Top-level paths the renderer sets must be declared options (nixos-options.json).
    let options = n3x_testkit::nixos_options();
    for p in ["disko.devices.disk", "disko.devices.lvm_vg", "disko.devices.nodev", "disko.devices.disk.<name>.device"] {
        assert!(options.contains_key(p), "{p} missing from nixos-options.json");
    }
}
