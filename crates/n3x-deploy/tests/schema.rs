//! The committed JSON Schemas equal `n3x-deploy schema`, and a real validator
//! (check-jsonschema) accepts the plans n3x-deploy writes and rejects broken ones.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::PathBuf;
use std::process::Command;

fn schema_file(kind: &str) -> PathBuf {
    n3x_testkit::repo_root().join(format!("schemas/{kind}.schema.json"))
}

fn deploy() -> assert_cmd::Command {
    assert_cmd::Command::cargo_bin("n3x-deploy").unwrap()
}

#[test]
fn committed_schemas_match_the_types() {
    let mut checked = 0;
    for kind in ["rolloutplan", "deployreport"] {
        let out = deploy().args(["schema", kind]).output().unwrap();
        assert!(out.status.success());
        let generated = String::from_utf8(out.stdout).unwrap();
        if std::env::var_os("N3X_UPDATE_GOLDEN").is_some() {
            std::fs::write(schema_file(kind), &generated).unwrap();
        }
        let committed = std::fs::read_to_string(schema_file(kind)).unwrap_or_default();
        assert_eq!(committed, generated, "schemas/{kind}.schema.json is stale: run `make golden-update`");
        checked += 1;
    }
    assert_eq!(checked, 2);
}

#[test]
fn plans_validate_and_broken_plans_do_not() {
    let Some(check) = n3x_testkit::require(n3x_testkit::CHECK_JSONSCHEMA) else { return };
    let dir = tempfile::tempdir().unwrap();
    let inv = n3x_testkit::repo_root().join("examples/edge-lab/inventory.yaml");
    let mut files = Vec::new();
    for action in ["install", "update"] {
        let out = deploy()
            .args(["plan", "--deployer-system", "x86_64-linux", "--action", action])
            .arg(&inv)
            .output()
            .unwrap();
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        let p = dir.path().join(format!("{action}.json"));
        std::fs::write(&p, &out.stdout).unwrap();
        files.push(p);
    }
    let run = |files: &[PathBuf]| {
        let out =
            Command::new(&check).arg("--schemafile").arg(schema_file("rolloutplan")).args(files).output().unwrap();
        (
            out.status.success(),
            format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr)),
        )
    };
    let (ok, text) = run(&files);
    assert!(ok, "{text}");
    let plan = std::fs::read_to_string(&files[0]).unwrap();
    let mut rejected = 0;
    for (name, broken, why) in [
        ("on.json", plan.replacen("\"on\": \"local\"", "\"on\": \"remote\"", 1), "remote"),
        ("extra.json", plan.replacen("\"clusterUp\": false,", "\"clusterUp\": false, \"force\": true,", 1), "force"),
    ] {
        assert_ne!(broken, plan, "{name}: replacement did not apply");
        let p = dir.path().join(name);
        std::fs::write(&p, broken).unwrap();
        let (ok, text) = run(&[p]);
        assert!(!ok, "{name} should be rejected");
        assert!(text.contains(why), "{name}: expected {why:?} in:\n{text}");
        rejected += 1;
    }
    assert_eq!(rejected, 2);
}
