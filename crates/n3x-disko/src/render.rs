//! Rendering a [`NodeDiskPlan`] as a disko module (`disko.nix`, pure data) and the
//! NixOS settings that go with it (`disk-extra.nix`), in Nix or JSON.
//!
//! Both forms come from one ordered value tree ([`Val`]), so the Nix file and the JSON
//! can never disagree. Option names and value shapes follow disko's types
//! (`lib/types/{disk,gpt,filesystem,swap,btrfs,luks,lvm_pv,lvm_vg,nodev}.nix`):
//! `partitions` and `lvs` are attribute sets, sizes are `"100%"` / `"100%FREE"` or
//! digits with a K/M/G/T suffix, `priority` is set on every partition so that
//! partition numbers follow plan order. This module never formats Nix text itself.

use n3x_core::diskplan::{Filesystem, LogicalVolume, NodeDiskPlan, PartitionContent, PlannedDisk, PlannedPartition};
use n3x_core::nix::{Attrs, Nix, NixFile};
use serde_json::{Map, Value};

use crate::units::{disko_size, human};

/// An ordered value that prints as Nix or JSON.
#[derive(Debug, Clone, PartialEq)]
pub enum Val {
    /// A string.
    Str(String),
    /// An integer.
    Int(i64),
    /// A boolean.
    Bool(bool),
    /// A list.
    List(Vec<Val>),
    /// An attribute set in insertion order: (attribute path, value, comment).
    Map(Vec<(Vec<String>, Val, Option<String>)>),
}

impl Val {
    fn map() -> Val {
        Val::Map(Vec::new())
    }
    fn strs(items: &[String]) -> Val {
        Val::List(items.iter().map(|s| Val::Str(s.clone())).collect())
    }
    /// Adds `name = value` (no-op on a non-map).
    fn set(mut self, name: &str, v: impl Into<Val>) -> Val {
        self.push(&[name], v.into(), None);
        self
    }
    fn set_path(mut self, path: &[&str], v: impl Into<Val>) -> Val {
        self.push(path, v.into(), None);
        self
    }
    fn set_commented(mut self, name: &str, v: impl Into<Val>, comment: impl Into<String>) -> Val {
        self.push(&[name], v.into(), Some(comment.into()));
        self
    }
    fn push(&mut self, path: &[&str], v: Val, comment: Option<String>) {
        if let Val::Map(entries) = self {
            entries.push((path.iter().map(|s| s.to_string()).collect(), v, comment));
        }
    }

    /// The Nix form.
    pub fn to_nix(&self) -> Nix {
        match self {
            Val::Str(s) => Nix::Str(s.clone()),
            Val::Int(i) => Nix::Int(*i),
            Val::Bool(b) => Nix::Bool(*b),
            Val::List(l) => Nix::List(l.iter().map(Val::to_nix).collect()),
            Val::Map(entries) => {
                let mut a = Attrs::new();
                for (path, v, comment) in entries {
                    match (path.as_slice(), comment) {
                        ([one], Some(c)) => {
                            a.set_commented(one.clone(), v.to_nix(), c.clone());
                        }
                        ([one], None) => {
                            a.set(one.clone(), v.to_nix());
                        }
                        (many, Some(c)) => {
                            let p: Vec<&str> = many.iter().map(String::as_str).collect();
                            a.set_path_commented(&p, v.to_nix(), c.clone());
                        }
                        (many, None) => {
                            let p: Vec<&str> = many.iter().map(String::as_str).collect();
                            a.set_path(&p, v.to_nix());
                        }
                    }
                }
                Nix::Attrs(a)
            }
        }
    }

    /// The JSON form (what `nix-instantiate --eval --json` prints for the Nix form).
    pub fn to_json(&self) -> Value {
        match self {
            Val::Str(s) => Value::String(s.clone()),
            Val::Int(i) => Value::from(*i),
            Val::Bool(b) => Value::Bool(*b),
            Val::List(l) => Value::Array(l.iter().map(Val::to_json).collect()),
            Val::Map(entries) => {
                let mut m = Map::new();
                for (path, v, _) in entries {
                    insert_path(&mut m, path, v.to_json());
                }
                Value::Object(m)
            }
        }
    }
}

fn insert_path(m: &mut Map<String, Value>, path: &[String], v: Value) {
    match path {
        [] => {}
        [last] => {
            m.insert(last.clone(), v);
        }
        [first, rest @ ..] => {
            let slot = m.entry(first.clone()).or_insert_with(|| Value::Object(Map::new()));
            if let Value::Object(inner) = slot {
                insert_path(inner, rest, v);
            }
        }
    }
}

impl From<&str> for Val {
    fn from(s: &str) -> Val {
        Val::Str(s.to_string())
    }
}
impl From<String> for Val {
    fn from(s: String) -> Val {
        Val::Str(s)
    }
}
impl From<bool> for Val {
    fn from(b: bool) -> Val {
        Val::Bool(b)
    }
}
impl From<i64> for Val {
    fn from(i: i64) -> Val {
        Val::Int(i)
    }
}

const NOCOW_WHY: &str = "Longhorn keeps each replica as a large sparse file rewritten in place: copy-on-write\n\
would fragment it and double every write, so disk-extra.nix switches CoW off for\n\
new files here (chattr +C through systemd-tmpfiles; nodatacow as a mount option\n\
would apply to the whole filesystem).";

fn filesystem(f: &Filesystem) -> Val {
    Val::map()
        .set("type", "filesystem")
        .set("format", f.format.as_str())
        .set("mountpoint", f.mountpoint.as_str())
        .set("mountOptions", Val::strs(&f.mount_options))
}

fn content(c: &PartitionContent) -> Val {
    match c {
        PartitionContent::Filesystem(f) => filesystem(f),
        PartitionContent::Swap { random_encryption } => {
            Val::map().set("type", "swap").set("randomEncryption", *random_encryption)
        }
        PartitionContent::Btrfs { subvolumes } => {
            let mut subs = Val::map();
            for s in subvolumes {
                let v = Val::map()
                    .set("mountpoint", s.mountpoint.as_str())
                    .set("mountOptions", Val::strs(&s.mount_options));
                subs = if s.nocow { subs.set_commented(&s.name, v, NOCOW_WHY) } else { subs.set(&s.name, v) };
            }
            // -f: disko only formats a partition it has just created; force over stale signatures.
            Val::map().set("type", "btrfs").set("extraArgs", Val::strs(&["-f".into()])).set("subvolumes", subs)
        }
        PartitionContent::Luks { name, key_file, password_file, volume_group, .. } => {
            let mut settings = Val::map().set_commented(
                "allowDiscards",
                true,
                "TRIM through dm-crypt: keeps the SSD fast; reveals which blocks are unused",
            );
            if let Some(k) = key_file {
                settings = settings.set("keyFile", k.as_str());
            }
            let mut v = Val::map().set("type", "luks").set("name", name.as_str());
            if let Some(p) = password_file {
                v = v.set("passwordFile", p.as_str());
            }
            v.set("settings", settings)
                .set_commented(
                    "extraFormatArgs",
                    Val::strs(&["--type".into(), "luks2".into()]),
                    "LUKS2 explicitly (cryptsetup's default since 2.1, stated so the plan's 16 MiB header holds)",
                )
                .set("content", Val::map().set("type", "lvm_pv").set("vg", volume_group.as_str()))
        }
    }
}

fn partition(p: &PlannedPartition) -> Val {
    let size = if p.fill { "100%".to_string() } else { disko_size(p.size) };
    Val::map()
        .set("priority", p.priority)
        .set("size", size)
        .set("type", p.type_code.as_str())
        .set("content", content(&p.content))
}

fn partition_comment(p: &PlannedPartition) -> String {
    let what = if p.fill { format!("the rest, {} ({} bytes)", human(p.size), p.size) } else { human(p.size) };
    format!("partition {}: {} at {}", p.number, what, human(p.start))
}

fn disk(d: &PlannedDisk) -> Val {
    let mut parts = Val::map();
    for p in &d.partitions {
        parts = parts.set_commented(&p.name, partition(p), partition_comment(p));
    }
    Val::map()
        .set("type", "disk")
        .set("device", d.device.as_str())
        .set("content", Val::map().set("type", "gpt").set("partitions", parts))
}

fn lv(v: &LogicalVolume, priority: i64) -> Val {
    let size = if v.fill { "100%FREE".to_string() } else { disko_size(v.size) };
    Val::map().set("priority", priority).set("size", size).set("content", filesystem(&v.filesystem))
}

/// The `disko.devices` value of a plan.
pub fn devices(plan: &NodeDiskPlan) -> Val {
    let mut disks = Val::map();
    let mut vgs = Val::map();
    for d in &plan.disks {
        disks = disks.set(&d.name, disk(d));
        for p in &d.partitions {
            if let PartitionContent::Luks { volume_group, volumes, .. } = &p.content {
                let mut lvs = Val::map();
                for (i, v) in volumes.iter().enumerate() {
                    let priority = i64::try_from(i + 1).unwrap_or(i64::MAX).saturating_mul(100);
                    let comment = if v.fill {
                        format!("the rest of the volume group, {} ({} bytes)", human(v.size), v.size)
                    } else {
                        human(v.size)
                    };
                    lvs = lvs.set_commented(&v.name, lv(v, priority), comment);
                }
                vgs = vgs.set(volume_group, Val::map().set("type", "lvm_vg").set("lvs", lvs));
            }
        }
    }
    let mut devices = Val::map().set("disk", disks);
    if matches!(&vgs, Val::Map(e) if !e.is_empty()) {
        devices = devices.set("lvm_vg", vgs);
    }
    if !plan.nodev.is_empty() {
        let mut nodev = Val::map();
        for n in &plan.nodev {
            nodev = nodev.set(
                &n.mountpoint,
                Val::map().set("fsType", n.fs_type.as_str()).set("mountOptions", Val::strs(&n.mount_options)),
            );
        }
        devices = devices.set("nodev", nodev);
    }
    devices
}

/// The whole disko module: `{ disko.devices = …; }`.
pub fn disko_module(plan: &NodeDiskPlan) -> Val {
    Val::map().set_path(&["disko", "devices"], devices(plan))
}

/// The NixOS settings that belong with the layout but not in disko's data.
pub fn extra_module(plan: &NodeDiskPlan) -> Val {
    let mut m = with_comment(
        Val::map().set_path(&["services", "fstrim", "enable"], true),
        "weekly TRIM of every mounted filesystem that supports it (the Longhorn mount also has discard)",
    );
    let tmpfs = plan.nodev.iter().any(|n| n.mountpoint == "/tmp");
    m = if tmpfs {
        with_comment(
            m.set_path(&["boot", "tmp", "useTmpfs"], false),
            "disko mounts /tmp as tmpfs (disko.devices.nodev); NixOS's own /tmp tmpfs would be a second tmp.mount",
        )
    } else {
        with_comment(
            m.set_path(&["boot", "tmp", "cleanOnBoot"], true),
            "/tmp lives on disk, so empty it at boot as a tmpfs would be",
        )
    };
    let btrfs: Vec<&PartitionContent> = plan
        .disks
        .iter()
        .flat_map(|d| &d.partitions)
        .map(|p| &p.content)
        .filter(|c| matches!(c, PartitionContent::Btrfs { .. }))
        .collect();
    if !btrfs.is_empty() {
        m = with_comment(
            m.set_path(&["services", "btrfs", "autoScrub", "enable"], true),
            "monthly scrub: btrfs checksums find silent corruption only when data is read",
        )
        .set_path(&["services", "btrfs", "autoScrub", "fileSystems"], Val::strs(&["/".into()]));
        let rules: Vec<String> = btrfs
            .iter()
            .filter_map(|c| match c {
                PartitionContent::Btrfs { subvolumes } => Some(subvolumes),
                _ => None,
            })
            .flatten()
            .filter(|s| s.nocow)
            .map(|s| format!("h {} - - - - +C", s.mountpoint))
            .collect();
        if !rules.is_empty() {
            m = with_comment(
                m.set_path(&["systemd", "tmpfiles", "rules"], Val::strs(&rules)),
                "copy-on-write off for Longhorn's replica files (see the @longhorn subvolume in disko.nix)",
            );
        }
    }
    m
}

fn with_comment(mut v: Val, comment: &str) -> Val {
    if let Val::Map(entries) = &mut v {
        if let Some(e) = entries.last_mut() {
            e.2 = Some(comment.to_string());
        }
    }
    v
}

/// A Nix file with n3x's header.
pub fn nix_file(header: Vec<String>, body: &Val) -> Result<String, n3x_core::Error> {
    NixFile { header, args: None, body: body.to_nix() }.render()
}

/// The header of a rendered file.
pub fn header(what: &str, input: &str, plan: &NodeDiskPlan) -> Vec<String> {
    let mut h = vec![
        format!(
            "{what} for node {} (layout {}), generated by `n3x-disko render` from {input}.",
            plan.node,
            plan.layout.as_str()
        ),
        "Do not edit: change the input and render again.".to_string(),
    ];
    for d in &plan.disks {
        h.push(format!("disk {}: {} {}", d.name, d.device, human(d.size)));
    }
    h
}
