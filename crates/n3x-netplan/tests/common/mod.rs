//! Shared helpers for the integration tests: run netplan's real generator and compare
//! networkd units semantically (same sections and key/values; file names may differ).
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use n3x_netplan::networkd::{parse_unit_text, Section};

/// One unit reduced to a comparable form: sections sorted, entries sorted, values canonical.
pub type Canon = Vec<(String, Vec<(String, String)>)>;

/// Booleans and MACs in one spelling, so `yes`/`true`/`1` and `AA:..`/`aa:..` compare equal.
pub fn canon_value(key: &str, v: &str) -> String {
    let l = v.to_ascii_lowercase();
    match l.as_str() {
        "yes" | "true" | "on" => return "true".into(),
        "no" | "false" | "off" => return "false".into(),
        _ => {}
    }
    if key == "AllSlavesActive" {
        return if v == "1" { "true".into() } else { "false".into() };
    }
    if key.contains("MACAddress") {
        return l;
    }
    v.to_string()
}

pub fn canon(sections: &[Section]) -> Canon {
    let mut out: Canon = sections
        .iter()
        .map(|s| {
            let mut e: Vec<(String, String)> = s.entries.iter().map(|(k, v)| (k.clone(), canon_value(k, v))).collect();
            e.sort();
            (s.name.clone(), e)
        })
        .collect();
    out.sort();
    out
}

/// Runs `netplan generate --root-dir ROOT` on one YAML text. Returns `Ok(units by
/// "<id>.<suffix>")` or `Err(stderr)` when netplan rejects the input.
pub fn netplan_generate(generator: &Path, yaml: &str) -> Result<BTreeMap<String, Canon>, String> {
    let root = tempfile::tempdir().unwrap();
    let etc = root.path().join("etc/netplan");
    std::fs::create_dir_all(&etc).unwrap();
    let file = etc.join("x.yaml");
    std::fs::write(&file, yaml).unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o600)).unwrap();
    }
    let out = Command::new(generator).arg("--root-dir").arg(root.path()).output().expect("run netplan generate");
    if !out.status.success() {
        return Err(String::from_utf8_lossy(&out.stderr).to_string());
    }
    Ok(read_units(&root.path().join("run/systemd/network"), "10-netplan-"))
}

/// Reads `*.network|netdev|link` under a folder, keyed by name without `prefix`.
pub fn read_units(dir: &Path, prefix: &str) -> BTreeMap<String, Canon> {
    let mut out = BTreeMap::new();
    let Ok(rd) = std::fs::read_dir(dir) else { return out };
    for e in rd {
        let p = e.unwrap().path();
        let name = p.file_name().unwrap().to_string_lossy().to_string();
        if !(name.ends_with(".network") || name.ends_with(".netdev") || name.ends_with(".link")) {
            continue;
        }
        let key = name.strip_prefix(prefix).unwrap_or(&name).to_string();
        out.insert(key, canon(&parse_unit_text(&std::fs::read_to_string(&p).unwrap())));
    }
    out
}

/// n3x's units for a set of interfaces, keyed like [`netplan_generate`]'s.
pub fn n3x_units(defs: &[n3x_core::networkplan::Interface]) -> BTreeMap<String, Canon> {
    n3x_netplan::networkd::units(defs)
        .iter()
        .map(|u| (format!("{}.{}", u.id, u.kind.suffix()), canon(&parse_unit_text(&u.render()))))
        .collect()
}

pub fn crate_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// A readable difference between two unit sets, or None when equal.
pub fn diff(ours: &BTreeMap<String, Canon>, theirs: &BTreeMap<String, Canon>) -> Option<String> {
    if ours == theirs {
        return None;
    }
    let mut s = String::new();
    let keys: std::collections::BTreeSet<&String> = ours.keys().chain(theirs.keys()).collect();
    for k in keys {
        match (ours.get(k), theirs.get(k)) {
            (Some(a), Some(b)) if a == b => {}
            (a, b) => s.push_str(&format!("  {k}:\n    n3x:     {a:?}\n    netplan: {b:?}\n")),
        }
    }
    Some(s)
}

/// The inventories with goldens: (name, path shown in headers, absolute path).
pub fn golden_inputs() -> Vec<(String, String, PathBuf)> {
    let root = n3x_testkit::repo_root();
    let mut v: Vec<(String, String, PathBuf)> = ["edge-lab", "single-node"]
        .iter()
        .map(|ex| {
            let rel = format!("examples/{ex}/inventory.yaml");
            (ex.to_string(), rel.clone(), root.join(rel))
        })
        .collect();
    let rel = "crates/n3x-netplan/tests/golden-inputs/embedded-netplan.yaml".to_string();
    v.push(("embedded-netplan".into(), rel.clone(), root.join(rel)));
    v
}
