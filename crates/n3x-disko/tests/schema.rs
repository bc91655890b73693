//! The committed JSON Schemas equal `n3x-disko schema`, and a real validator
//! (check-jsonschema) accepts every golden DiskSpec and DiskPlan and rejects broken ones.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::{Path, PathBuf};
use std::process::Command;

fn schema_file(kind: &str) -> PathBuf {
    n3x_testkit::repo_root().join(format!("schemas/{kind}.schema.json"))
}

fn golden(file: &str) -> Vec<PathBuf> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/golden");
    let mut v: Vec<PathBuf> =
        std::fs::read_dir(root).unwrap().map(|e| e.unwrap().path().join(file)).filter(|p| p.is_file()).collect();
    v.sort();
    v
}

#[test]
fn committed_schemas_match_the_types() {
    for kind in ["diskspec", "diskplan"] {
        let out = assert_cmd::Command::cargo_bin("n3x-disko").unwrap().args(["schema", kind]).output().unwrap();
        assert!(out.status.success());
        let generated = String::from_utf8(out.stdout).unwrap();
        if std::env::var_os("N3X_UPDATE_GOLDEN").is_some() {
            std::fs::write(schema_file(kind), &generated).unwrap();
        }
        let committed = std::fs::read_to_string(schema_file(kind)).unwrap_or_default();
        assert_eq!(committed, generated, "schemas/{kind}.schema.json is stale: run `make golden-update`");
    }
}

fn validate(check: &Path, kind: &str, files: &[PathBuf]) -> (bool, String) {
    let out = Command::new(check).arg("--schemafile").arg(schema_file(kind)).args(files).output().unwrap();
    (out.status.success(), format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr)))
}

#[test]
fn goldens_validate_and_broken_documents_do_not() {
    let Some(check) = n3x_testkit::require(n3x_testkit::CHECK_JSONSCHEMA) else { return };
    let specs = golden("input.yaml");
    let plans = golden("plan.json");
    assert!(specs.len() >= 6 && plans.len() == specs.len());
    let (ok, text) = validate(&check, "diskspec", &specs);
    assert!(ok, "{text}");
    let (ok, text) = validate(&check, "diskplan", &plans);
    assert!(ok, "{text}");

    let dir = tempfile::tempdir().unwrap();
    let spec = std::fs::read_to_string(&specs[0]).unwrap();
    let plan = std::fs::read_to_string(&plans[0]).unwrap();
    for (kind, name, broken, why) in [
        ("diskspec", "typo.yaml", spec.replace("layout:", "layouts:"), "Additional properties"),
        ("diskspec", "size.yaml", spec.replace("size: ", "size: 12XB #"), "12XB"),
        ("diskplan", "content.json", plan.replacen("\"type\": \"filesystem\"", "\"type\": \"zfs\"", 1), "zfs"),
        ("diskplan", "extra.json", plan.replacen("\"fill\": false,", "\"fill\": false, \"grow\": true,", 1), "grow"),
    ] {
        assert!(broken != spec && broken != plan, "{name}: replacement did not apply");
        let p = dir.path().join(name);
        std::fs::write(&p, broken).unwrap();
        let (ok, text) = validate(&check, kind, &[p]);
        assert!(!ok, "{name} should be rejected");
        assert!(text.contains(why), "{name}: expected {why:?} in:\n{text}");
    }
}
