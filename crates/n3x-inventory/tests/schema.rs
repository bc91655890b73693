//! The committed JSON Schema equals `n3x-inventory schema`, and a real JSON Schema
//! validator (check-jsonschema) accepts every example and rejects a broken one.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::PathBuf;
use std::process::Command;

fn schema_file() -> PathBuf {
    n3x_testkit::repo_root().join("schemas/inventory.schema.json")
}

#[test]
fn committed_schema_matches_the_types() {
    let out = assert_cmd::Command::cargo_bin("n3x-inventory").unwrap().arg("schema").output().unwrap();
    assert!(out.status.success());
    let generated = String::from_utf8(out.stdout).unwrap();
    if std::env::var_os("N3X_UPDATE_GOLDEN").is_some() {
        std::fs::write(schema_file(), &generated).unwrap();
    }
    let committed = std::fs::read_to_string(schema_file()).unwrap();
    assert_eq!(committed, generated, "schemas/inventory.schema.json is stale: run `make golden-update`");
}

#[test]
fn examples_validate_against_the_schema() {
    let Some(check) = n3x_testkit::require(n3x_testkit::CHECK_JSONSCHEMA) else { return };
    let root = n3x_testkit::repo_root();
    let out = Command::new(&check)
        .arg("--schemafile")
        .arg(schema_file())
        .arg(root.join("examples/edge-lab/inventory.yaml"))
        .arg(root.join("examples/single-node/inventory.yaml"))
        .output()
        .unwrap();
    assert!(out.status.success(), "{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));

    // The CSV import's output validates too.
    let dir = tempfile::tempdir().unwrap();
    let imported = dir.path().join("imported.yaml");
    assert_cmd::Command::cargo_bin("n3x-inventory")
        .unwrap()
        .arg("import-csv")
        .arg(root.join("examples/csv/hosts.csv"))
        .arg("-o")
        .arg(&imported)
        .assert()
        .success();
    let out = Command::new(&check).arg("--schemafile").arg(schema_file()).arg(&imported).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stdout));
}

#[test]
fn schema_rejects_broken_inventories() {
    let Some(check) = n3x_testkit::require(n3x_testkit::CHECK_JSONSCHEMA) else { return };
    let dir = tempfile::tempdir().unwrap();
    let base = std::fs::read_to_string(n3x_testkit::repo_root().join("examples/single-node/inventory.yaml")).unwrap();
    for (name, broken, why) in [
        ("typo.yaml", base.replace("hardware: generic-x86_64", "hardwares: generic-x86_64"), "Additional properties"),
        ("role.yaml", base.replace("role: server", "role: boss"), "boss"),
        ("size.yaml", base.replace("size: 1TB", "size: 1XB"), "1XB"),
    ] {
        assert_ne!(broken, base, "{name}: replacement did not apply");
        let p = dir.path().join(name);
        std::fs::write(&p, broken).unwrap();
        let out = Command::new(&check).arg("--schemafile").arg(schema_file()).arg(&p).output().unwrap();
        let text = String::from_utf8_lossy(&out.stdout);
        assert!(!out.status.success(), "{name} should be rejected");
        assert!(text.contains(why), "{name}: expected {why:?} in:\n{text}");
    }
}
