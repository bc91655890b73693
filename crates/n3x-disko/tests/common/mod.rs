//! Shared test helpers: the disko structure a plan implies (written independently of
//! the renderer), a check of rendered values against disko's option types, and
//! evaluation of many rendered files with one nix-instantiate call.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::{Path, PathBuf};

use n3x_core::diskplan::{NodeDiskPlan, PartitionContent};
use n3x_core::nix::{Nix, NixFile};
use serde_json::{json, Map, Value};

/// disko's spelling of an exact size, decoded back to bytes (binary suffixes, as sgdisk reads them).
pub fn disko_bytes(s: &str) -> u64 {
    let (num, unit) = s.split_at(s.find(|c: char| !c.is_ascii_digit()).unwrap_or(s.len()));
    let n: u64 = num.parse().unwrap_or_else(|_| panic!("size {s:?} is not digits+suffix"));
    n * match unit {
        "" => 1,
        "K" => 1 << 10,
        "M" => 1 << 20,
        "G" => 1 << 30,
        "T" => 1 << 40,
        "P" => 1 << 50,
        other => panic!("size {s:?}: suffix {other:?} is not one of K M G T P"),
    }
}

fn fs(f: &n3x_core::diskplan::Filesystem) -> Value {
    json!({"type": "filesystem", "format": f.format, "mountpoint": f.mountpoint, "mountOptions": f.mount_options})
}

/// What `{ disko.devices = …; }` must evaluate to for this plan. Sizes are compared
/// separately (as bytes), so here they are taken from the evaluated value's keys.
pub fn expected_disko(plan: &NodeDiskPlan) -> Value {
    let mut disks = Map::new();
    let mut vgs = Map::new();
    for d in &plan.disks {
        let mut parts = Map::new();
        for p in &d.partitions {
            let content = match &p.content {
                PartitionContent::Filesystem(f) => fs(f),
                PartitionContent::Swap { random_encryption } => {
                    json!({"type": "swap", "randomEncryption": random_encryption})
                }
                PartitionContent::Btrfs { subvolumes } => {
                    let subs: Map<String, Value> = subvolumes
                        .iter()
                        .map(|s| (s.name.clone(), json!({"mountpoint": s.mountpoint, "mountOptions": s.mount_options})))
                        .collect();
                    json!({"type": "btrfs", "extraArgs": ["-f"], "subvolumes": subs})
                }
                PartitionContent::Luks { name, key_file, password_file, volume_group, volumes, .. } => {
                    let mut settings = json!({"allowDiscards": true});
                    if let Some(k) = key_file {
                        settings["keyFile"] = json!(k);
                    }
                    let mut v = json!({"type": "luks", "name": name, "settings": settings,
                        "extraFormatArgs": ["--type", "luks2"], "content": {"type": "lvm_pv", "vg": volume_group}});
                    if let Some(p) = password_file {
                        v["passwordFile"] = json!(p);
                    }
                    let lvs: Map<String, Value> = volumes
                        .iter()
                        .enumerate()
                        .map(|(i, l)| {
                            let size = if l.fill { json!("100%FREE") } else { json!(l.size) };
                            (
                                l.name.clone(),
                                json!({"priority": (i as i64 + 1) * 100, "size": size, "content": fs(&l.filesystem)}),
                            )
                        })
                        .collect();
                    vgs.insert(volume_group.clone(), json!({"type": "lvm_vg", "lvs": lvs}));
                    v
                }
            };
            let size = if p.fill { json!("100%") } else { json!(p.size) };
            parts.insert(
                p.name.clone(),
                json!({"priority": p.priority, "size": size, "type": p.type_code, "content": content}),
            );
        }
        disks.insert(
            d.name.clone(),
            json!({"type": "disk", "device": d.device, "content": {"type": "gpt", "partitions": parts}}),
        );
    }
    let mut devices = json!({"disk": disks});
    if !vgs.is_empty() {
        devices["lvm_vg"] = Value::Object(vgs);
    }
    if !plan.nodev.is_empty() {
        let n: Map<String, Value> = plan
            .nodev
            .iter()
            .map(|n| (n.mountpoint.clone(), json!({"fsType": n.fs_type, "mountOptions": n.mount_options})))
            .collect();
        devices["nodev"] = Value::Object(n);
    }
    json!({"disko": {"devices": devices}})
}

/// Replaces every exact `size` string (digits+suffix) in an evaluated disko value by its
/// byte count, checking disko's `[0-9]+[KMGTP]?` / `100%` / `100%FREE` spellings on the way.
pub fn sizes_to_bytes(v: &mut Value) {
    match v {
        Value::Object(m) => {
            for (k, child) in m.iter_mut() {
                if k == "size" {
                    if let Value::String(s) = child {
                        if s != "100%" && s != "100%FREE" {
                            *child = json!(disko_bytes(s));
                        }
                        continue;
                    }
                }
                sizes_to_bytes(child);
            }
        }
        Value::Array(a) => a.iter_mut().for_each(sizes_to_bytes),
        _ => {}
    }
}

const DEVICE_CONTENT: &[&str] =
    &["bcachefs", "table", "gpt", "btrfs", "filesystem", "zfs", "mdraid", "luks", "lvm_pv", "swap"];

fn strings(v: &Value, what: &str) {
    let a = v.as_array().unwrap_or_else(|| panic!("{what} must be a list"));
    assert!(a.iter().all(|x| x.as_str().is_some_and(|s| !s.is_empty())), "{what} must be non-empty strings: {v}");
}

fn check_content(c: &Value, at: &str) {
    let t = c["type"].as_str().unwrap_or_else(|| panic!("{at}: content without type"));
    assert!(DEVICE_CONTENT.contains(&t), "{at}: content type {t} is not a disko type");
    let allowed: &[&str] = match t {
        "filesystem" => &["type", "format", "mountpoint", "mountOptions", "extraArgs"],
        "swap" => {
            &["type", "randomEncryption", "discardPolicy", "priority", "mountOptions", "resumeDevice", "extraArgs"]
        }
        "btrfs" => &["type", "extraArgs", "subvolumes", "mountpoint", "mountOptions", "swap"],
        "luks" => &[
            "type",
            "name",
            "passwordFile",
            "settings",
            "extraFormatArgs",
            "content",
            "additionalKeyFiles",
            "initrdUnlock",
        ],
        "lvm_pv" => &["type", "vg"],
        "gpt" => &["type", "partitions"],
        _ => panic!("{at}: n3x does not emit {t}"),
    };
    for k in c.as_object().unwrap().keys() {
        assert!(allowed.contains(&k.as_str()), "{at}: {k} is not an option of disko's {t} type");
    }
    if let Some(o) = c.get("mountOptions") {
        strings(o, &format!("{at}.mountOptions"));
    }
    if let Some(m) = c.get("mountpoint") {
        assert!(m.as_str().is_some_and(|s| s.starts_with('/')), "{at}: mountpoint must be absolute");
    }
    match t {
        "gpt" => {
            for (name, p) in c["partitions"].as_object().expect("partitions is an attrset") {
                let at = format!("{at}.partitions.{name}");
                for k in p.as_object().unwrap().keys() {
                    assert!(["priority", "size", "type", "content"].contains(&k.as_str()), "{at}: unexpected {k}");
                }
                assert!(p["priority"].is_i64(), "{at}: priority must be an int");
                let size = p["size"].as_str().expect("size is a string");
                assert!(size == "100%" || (size.len() > 1 && disko_bytes(size) > 0), "{at}: bad size {size}");
                let ty = p["type"].as_str().expect("type is a string");
                assert!(ty.len() == 4 && ty.chars().all(|c| c.is_ascii_hexdigit()), "{at}: bad type code {ty}");
                check_content(&p["content"], &format!("{at}.content"));
            }
        }
        "luks" => {
            assert!(c.get("keyFile").is_none(), "{at}: luks keyFile is deprecated in disko");
            check_content(&c["content"], &format!("{at}.content"));
        }
        "btrfs" => {
            for (name, s) in c["subvolumes"].as_object().expect("subvolumes is an attrset") {
                for k in s.as_object().unwrap().keys() {
                    assert!(
                        ["mountpoint", "mountOptions", "extraArgs", "swap"].contains(&k.as_str()),
                        "{at}.{name}: {k}"
                    );
                }
            }
        }
        _ => {}
    }
}

/// Checks an evaluated disko module against disko's option types (lib/types/*.nix).
pub fn check_disko_types(v: &Value) {
    let devices = &v["disko"]["devices"];
    for k in devices.as_object().expect("disko.devices is an attrset").keys() {
        assert!(
            ["disk", "lvm_vg", "nodev", "mdadm", "zpool"].contains(&k.as_str()),
            "disko.devices.{k} does not exist"
        );
    }
    for (name, d) in devices["disk"].as_object().expect("disk attrset") {
        assert_eq!(d["type"], "disk");
        assert!(d["device"].as_str().is_some_and(|s| s.starts_with('/')), "disk {name}: device must be absolute");
        check_content(&d["content"], &format!("disk.{name}.content"));
    }
    if let Some(vgs) = devices.get("lvm_vg") {
        for (name, vg) in vgs.as_object().unwrap() {
            assert_eq!(vg["type"], "lvm_vg");
            for (lv, l) in vg["lvs"].as_object().expect("lvs attrset") {
                let size = l["size"].as_str().unwrap();
                assert!(size == "100%FREE" || disko_bytes(size) > 0, "lvm_vg.{name}.lvs.{lv}: bad size {size}");
                assert!(l["priority"].is_i64());
                check_content(&l["content"], &format!("lvm_vg.{name}.lvs.{lv}.content"));
            }
        }
    }
    if let Some(n) = devices.get("nodev") {
        for (mp, x) in n.as_object().unwrap() {
            assert!(mp.starts_with('/'));
            assert!(x["fsType"].is_string());
            strings(&x["mountOptions"], "nodev mountOptions");
        }
    }
}

/// The evaluated value with exact sizes as bytes, compared with what the plan implies.
pub fn assert_eval_matches_plan(evaluated: &Value, plan: &NodeDiskPlan) {
    check_disko_types(evaluated);
    let mut got = evaluated.clone();
    sizes_to_bytes(&mut got);
    let want = expected_disko(plan);
    assert_eq!(got, want, "evaluated disko module differs from the plan for node {}", plan.node);
}

/// Evaluates many Nix files with one nix-instantiate call (a list of imports).
pub fn eval_many(nix: &Path, dir: &Path, files: &[PathBuf]) -> Vec<Value> {
    let items: Vec<Nix> = files
        .iter()
        .map(|f| {
            Nix::Expr(format!(
                "(import {})",
                Nix::path(&f.canonicalize().unwrap().display().to_string())
                    .map(|p| n3x_core::nix::render(&p))
                    .expect("safe path")
            ))
        })
        .collect();
    let all = dir.join("all.nix");
    std::fs::write(&all, NixFile { header: vec![], args: None, body: Nix::List(items) }.render().unwrap()).unwrap();
    let v = n3x_testkit::nix_eval_json(nix, &all);
    v.as_array().expect("a list").clone()
}

/// What disk-extra.nix must evaluate to for this plan.
pub fn expected_extra(plan: &NodeDiskPlan) -> Value {
    let mut v = json!({"services": {"fstrim": {"enable": true}}});
    if plan.nodev.iter().any(|n| n.mountpoint == "/tmp") {
        v["boot"] = json!({"tmp": {"useTmpfs": false}});
    } else {
        v["boot"] = json!({"tmp": {"cleanOnBoot": true}});
    }
    let subs: Vec<&n3x_core::diskplan::Subvolume> = plan
        .disks
        .iter()
        .flat_map(|d| &d.partitions)
        .filter_map(|p| match &p.content {
            PartitionContent::Btrfs { subvolumes } => Some(subvolumes),
            _ => None,
        })
        .flatten()
        .collect();
    let any_btrfs =
        plan.disks.iter().flat_map(|d| &d.partitions).any(|p| matches!(p.content, PartitionContent::Btrfs { .. }));
    if any_btrfs {
        v["services"]["btrfs"] = json!({"autoScrub": {"enable": true, "fileSystems": ["/"]}});
        let rules: Vec<String> =
            subs.iter().filter(|s| s.nocow).map(|s| format!("h {} - - - - +C", s.mountpoint)).collect();
        if !rules.is_empty() {
            v["systemd"] = json!({"tmpfiles": {"rules": rules}});
        }
    }
    v
}
