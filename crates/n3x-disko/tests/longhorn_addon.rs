//! With the Longhorn add-on off no node gets a Longhorn partition, whatever its own
//! `longhorn` setting: `/var` (k3s's images and local-path volumes) takes the rest of the
//! disk, and normalize sets no Longhorn labels.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::Path;

use assert_cmd::Command;

fn edge_lab_without_longhorn() -> String {
    let inv =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/edge-lab/inventory.yaml"))
            .unwrap();
    let on = "  longhorn:\n    enabled: true\n    replicas: 3\n    storageNetwork: storage\n";
    assert!(inv.contains(on));
    inv.replace(on, "  longhorn:\n    enabled: false\n")
}

#[test]
fn longhorn_addon_off_gives_var_the_rest_and_no_longhorn_partition() {
    let inv = edge_lab_without_longhorn();
    let out = Command::cargo_bin("n3x-disko").unwrap().arg("plan").write_stdin(inv.clone()).assert().success();
    let plan: n3x_core::diskplan::DiskPlan = serde_json::from_slice(&out.get_output().stdout).unwrap();
    let mut checked = 0;
    for n in &plan.nodes {
        let disk = &n.disks[0];
        assert_eq!(n.disks.len(), 1, "{}: no Longhorn disk", n.node);
        let json = serde_json::to_string(disk).unwrap();
        assert!(!json.contains("longhorn"), "{}: {json}", n.node);
        // The last partition takes the rest: /var on EFI layouts, / on the Pi's sdcard layout.
        let last = disk.partitions.last().unwrap();
        let want = if n.node.as_str().starts_with("rpi") { "root" } else { "var" };
        assert_eq!(last.name, want, "{}", n.node);
        assert!(last.fill, "{}: {} does not take the rest", n.node, last.name);
        checked += 1;
    }
    assert_eq!(checked, 5);

    let doc = n3x_core::source::Document::parse("inventory.yaml", &inv).unwrap();
    let (c, _) = n3x_core::normalize::load_cluster(&doc).unwrap();
    for n in &c.nodes {
        assert!(!n.longhorn, "{}", n.name);
        assert!(
            n.labels.keys().all(|k| !k.contains("longhorn") && k != "n3x.dev/storage"),
            "{}: {:?}",
            n.name,
            n.labels
        );
    }
}
