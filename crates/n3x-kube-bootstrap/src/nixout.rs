//! The `--format nix` form: one NixOS module per server node that puts every manifest
//! file into `services.k3s.manifests."NN-name"`, so NixOS links it into
//! `/var/lib/rancher/k3s/server/manifests/NN-name.yaml` with the same name, order and
//! objects as `--format dir`.
//!
//! Charts stay HelmChart objects in `content` (fetched by k3s's helm-controller at run
//! time) rather than `services.k3s.autoDeployCharts`, whose charts are fetched at build
//! time and need a fixed-output hash per chart that n3x cannot know offline.
//! A file with one object sets `content` to that object; a file with several sets a
//! list (nixpkgs renders it as `---` documents, or from 25.11 as a `v1` `List`, which
//! k3s expands into its items).

use serde_json::Value;

use n3x_core::nix::{Attrs, Nix, NixFile};

use crate::manifests::Manifest;

/// JSON → Nix (objects keep their JSON key order; `nix-instantiate --json` sorts anyway).
pub fn to_nix(v: &Value) -> Nix {
    match v {
        Value::Null => Nix::Null,
        Value::Bool(b) => Nix::Bool(*b),
        Value::Number(n) => match n.as_i64() {
            Some(i) => Nix::Int(i),
            // Manifests carry no floats or huge integers; keep the digits as a string
            // rather than lose them.
            None => Nix::Str(n.to_string()),
        },
        Value::String(s) => Nix::Str(s.clone()),
        Value::Array(items) => Nix::List(items.iter().map(to_nix).collect()),
        Value::Object(map) => {
            let mut keys: Vec<&String> = map.keys().collect();
            keys.sort_by(|a, b| rank(a).cmp(&rank(b)).then_with(|| a.cmp(b)));
            let mut attrs = Attrs::new();
            for k in keys {
                if let Some(val) = map.get(k) {
                    attrs.set(k.clone(), to_nix(val));
                }
            }
            Nix::Attrs(attrs)
        }
    }
}

fn rank(key: &str) -> usize {
    ["apiVersion", "kind", "metadata", "name", "namespace"].iter().position(|k| *k == key).unwrap_or(5)
}

/// The module for one server node.
pub fn module(manifests: &[Manifest], header: Vec<String>) -> NixFile {
    let mut files = Attrs::new();
    for m in manifests {
        let content = match m.docs.as_slice() {
            [one] => to_nix(one),
            many => Nix::List(many.iter().map(to_nix).collect()),
        };
        let mut entry = Attrs::new();
        entry.set("target", m.file_name());
        entry.set("content", content);
        files.set_commented(m.stem(), Nix::Attrs(entry), m.about.clone());
    }
    let mut body = Attrs::new();
    body.set_path(&["services", "k3s", "manifests"], Nix::Attrs(files));
    NixFile { header, args: None, body: Nix::Attrs(body) }
}
