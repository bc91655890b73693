//! The committed `schemas/networkplan.schema.json` equals `n3x-netplan schema`, and a
//! real JSON Schema validator accepts the plans n3x-netplan writes for the examples.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::process::Command;

#[test]
fn committed_networkplan_schema_matches_the_types() {
    let out = assert_cmd::Command::cargo_bin("n3x-netplan").unwrap().arg("schema").output().unwrap();
    assert!(out.status.success());
    let path = n3x_testkit::repo_root().join("schemas/networkplan.schema.json");
    if std::env::var_os("N3X_UPDATE_GOLDEN").is_some() {
        std::fs::write(&path, &out.stdout).unwrap();
    }
    assert_eq!(
        std::fs::read_to_string(&path).unwrap(),
        String::from_utf8(out.stdout).unwrap(),
        "schemas/networkplan.schema.json is stale: run `make golden-update`"
    );
}

#[test]
fn example_plans_validate_against_the_committed_schema() {
    let Some(check) = n3x_testkit::require(n3x_testkit::CHECK_JSONSCHEMA) else { return };
    let root = n3x_testkit::repo_root();
    let dir = tempfile::tempdir().unwrap();
    for example in ["edge-lab", "single-node"] {
        let plan = dir.path().join(format!("{example}.json"));
        let out = assert_cmd::Command::cargo_bin("n3x-netplan")
            .unwrap()
            .arg("plan")
            .arg(root.join("examples").join(example).join("inventory.yaml"))
            .output()
            .unwrap();
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        std::fs::write(&plan, &out.stdout).unwrap();
        let v = Command::new(&check)
            .arg("--schemafile")
            .arg(root.join("schemas/networkplan.schema.json"))
            .arg(&plan)
            .output()
            .unwrap();
        assert!(v.status.success(), "{example}: {}", String::from_utf8_lossy(&v.stdout));
    }
}
