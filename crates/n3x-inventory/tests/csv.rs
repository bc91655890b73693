//! `import-csv`: the example CSV becomes a valid inventory; every broken CSV in
//! `tests/bad-csv/` (with a `.expect` file: message, then LINE:COL) is rejected
//! with exit 1, the message and the CSV position, and nothing on stdout.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::Path;

use assert_cmd::Command;

fn bin() -> Command {
    Command::cargo_bin("n3x-inventory").unwrap()
}

#[test]
fn example_csv_imports_to_a_valid_inventory() {
    let csv = n3x_testkit::repo_root().join("examples/csv/hosts.csv");
    let out = bin()
        .arg("import-csv")
        .arg(&csv)
        .args(["--cluster-name", "edge-lab", "--gateway", "192.168.10.1"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let yaml = String::from_utf8(out.stdout).unwrap();
    assert!(yaml.starts_with("# yaml-language-server: $schema="));
    let norm = bin().arg("normalize").write_stdin(yaml.clone()).output().unwrap();
    assert!(norm.status.success(), "{}", String::from_utf8_lossy(&norm.stderr));
    let c: n3x_core::Cluster = serde_json::from_slice(&norm.stdout).unwrap();
    assert_eq!(c.name.as_str(), "edge-lab");
    assert_eq!(c.nodes.len(), 5);
    assert_eq!(c.networks["cluster"].cidr.to_string(), "192.168.10.0/24");
    let jetson = c.node("jetson-1").unwrap();
    assert_eq!(jetson.disk.size, Some(256_000_000_000));
    assert_eq!(jetson.labels.get("accelerator").map(String::as_str), Some("nvidia-orin"));
    assert_eq!(
        c.node("n100-2").unwrap().network.links[0].mac.map(|m| m.to_string()).as_deref(),
        Some("3c:ec:ef:10:00:02")
    );
    // Deterministic.
    let again = bin()
        .arg("import-csv")
        .arg(&csv)
        .args(["--cluster-name", "edge-lab", "--gateway", "192.168.10.1"])
        .output()
        .unwrap();
    assert_eq!(String::from_utf8(again.stdout).unwrap(), yaml);
}

#[test]
fn bad_csv_rows_are_rejected_with_their_line() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/bad-csv");
    let mut cases: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "csv"))
        .collect();
    cases.sort();
    assert!(cases.len() >= 10);
    let mut failures = Vec::new();
    for csv in cases {
        let expect = std::fs::read_to_string(csv.with_extension("expect")).unwrap();
        let mut lines = expect.lines();
        let (message, at) = (lines.next().unwrap(), lines.next().unwrap());
        let name = csv.file_name().unwrap().to_string_lossy().into_owned();
        let out = bin().current_dir(&dir).args(["import-csv", &name]).output().unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        let location = format!("{name}:{at}: ");
        if out.status.code() != Some(1)
            || !stderr.contains(message)
            || !stderr.contains(&location)
            || !out.stdout.is_empty()
            || stderr.contains("panicked")
        {
            failures.push(format!("{name}: want {message:?} at {location:?}, exit {:?}:\n{stderr}", out.status.code()));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn bad_flags_are_usage_errors() {
    let csv = n3x_testkit::repo_root().join("examples/csv/hosts.csv");
    bin().arg("import-csv").arg(&csv).args(["--network", "10.0.0.1/8"]).assert().code(2);
    bin().arg("import-csv").arg(&csv).args(["--cluster-name", "Bad_Name"]).assert().code(2);
    bin().arg("import-csv").arg(&csv).args(["--network", "10.0.0.0/8"]).assert().code(1);
}
