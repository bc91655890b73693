//! The LUKS2 header size the luks plan reserves is what cryptsetup really uses: an image
//! formatted with the arguments disko passes (`luksFormat` plus our `--type luks2`) puts
//! the data segment at the plan's `header` offset.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::process::Command;

use n3x_core::diskplan::PartitionContent;
use n3x_core::Document;
use n3x_disko::plans_from_document;
use n3x_testkit::Tool;

const CRYPTSETUP: Tool = Tool {
    name: "cryptsetup",
    package: "Debian package cryptsetup-bin",
    extra: &["/usr/sbin/cryptsetup", "/sbin/cryptsetup"],
};

#[test]
fn luks2_data_offset_is_the_planned_header() {
    let Some(bin) = n3x_testkit::require(CRYPTSETUP) else { return };
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/golden/luks-512g/input.yaml");
    let doc = Document::parse("input.yaml", &std::fs::read_to_string(path).unwrap()).unwrap();
    let (plans, _) = plans_from_document(&doc, None).unwrap();
    let header = plans[0].disks[0]
        .partitions
        .iter()
        .find_map(|p| match &p.content {
            PartitionContent::Luks { header, .. } => Some(*header),
            _ => None,
        })
        .expect("the luks layout has a LUKS partition");
    let dir = tempfile::tempdir().unwrap();
    let img = dir.path().join("luks.img");
    std::fs::File::create(&img).unwrap().set_len(64 << 20).unwrap();
    let key = dir.path().join("key");
    std::fs::write(&key, b"n3x-disko test key, not a secret").unwrap();
    // A cheap PBKDF keeps the test fast; it does not change the data offset.
    let out = Command::new(&bin)
        .args([
            "luksFormat",
            "--batch-mode",
            "--type",
            "luks2",
            "--pbkdf",
            "pbkdf2",
            "--pbkdf-force-iterations",
            "1000",
        ])
        .arg("--key-file")
        .arg(&key)
        .arg(&img)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let dump = Command::new(&bin).arg("luksDump").arg(&img).output().unwrap();
    let text = String::from_utf8_lossy(&dump.stdout);
    let offset: u64 = text
        .lines()
        .skip_while(|l| !l.starts_with("Data segments"))
        .find_map(|l| l.trim().strip_prefix("offset: "))
        .and_then(|v| v.split_whitespace().next())
        .and_then(|v| v.parse().ok())
        .unwrap_or_else(|| panic!("no data offset in:\n{text}"));
    assert_eq!(offset, header, "cryptsetup's LUKS2 data offset differs from the plan's header");
}
