//! Every rendered `network.nix` parses with `nix-instantiate --parse`, evaluates with
//! `--eval --strict --json` to exactly the plan's units, firewall and k3s flags, sets
//! only option paths listed in `reference/nixos-options.json`, and uses only
//! networkd keys on n3x's allow-list (taken from nixpkgs' networkd.nix checks).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::collections::BTreeMap;
use std::path::Path;

use common::{canon, crate_dir, Canon};
use n3x_core::networkplan::{NetworkPlan, NodeNetworkPlan, Protocol};
use n3x_core::Document;
use n3x_netplan::networkd::Section;
use serde_json::Value;

fn plans() -> Vec<(String, NodeNetworkPlan)> {
    let mut out = Vec::new();
    for (ex, _, p) in common::golden_inputs() {
        let doc = Document::parse(&p.display().to_string(), &std::fs::read_to_string(&p).unwrap()).unwrap();
        let (plan, _) = n3x_netplan::plan_document(&doc).unwrap();
        out.extend(plan.nodes.into_iter().map(|n| (format!("{ex}/{}", n.node), n)));
    }
    let mut files: Vec<_> =
        std::fs::read_dir(crate_dir().join("tests/netplan-corpus/valid")).unwrap().map(|e| e.unwrap().path()).collect();
    files.sort();
    for p in files {
        let doc = Document::parse("x.yaml", &std::fs::read_to_string(&p).unwrap()).unwrap();
        let (plan, _) = n3x_netplan::plan_netplan(&doc, "x").unwrap();
        let name = p.file_stem().unwrap().to_string_lossy().to_string();
        out.extend(plan.nodes.into_iter().map(|n| (format!("corpus/{name}"), n)));
    }
    out
}

fn value_text(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Bool(b) => b.to_string(),
        Value::Number(n) => n.to_string(),
        other => panic!("unexpected networkd value {other}"),
    }
}

fn section_from(name: &str, attrs: &Value) -> Section {
    let mut s = Section { name: name.to_string(), entries: Vec::new() };
    for (k, v) in attrs.as_object().unwrap() {
        match v {
            Value::Array(items) => s.entries.extend(items.iter().map(|i| (k.clone(), value_text(i)))),
            other => s.entries.push((k.clone(), value_text(other))),
        }
    }
    s
}

/// The inverse of n3x's Nix mapping: an evaluated unit attrset back to networkd sections.
fn unit_from_nix(kind: &str, unit: &Value) -> Canon {
    let mut sections = Vec::new();
    let mut dhcp: Option<Section> = None;
    for (opt, v) in unit.as_object().unwrap() {
        match (kind, opt.as_str()) {
            (_, "matchConfig") => sections.push(section_from("Match", v)),
            (_, "linkConfig") => sections.push(section_from("Link", v)),
            ("netdevs", "netdevConfig") => sections.push(section_from("NetDev", v)),
            ("netdevs", "bondConfig") => sections.push(section_from("Bond", v)),
            ("netdevs", "vlanConfig") => sections.push(section_from("VLAN", v)),
            (_, "bridgeConfig") => sections.push(section_from("Bridge", v)),
            ("networks", "networkConfig") => {
                let mut s = section_from("Network", v);
                if s.entries.iter().any(|(k, v)| k == "KeepConfiguration" && v == "yes") {
                    s.entries.retain(|(k, _)| k != "KeepConfiguration");
                    dhcp.get_or_insert_with(|| Section { name: "DHCP".into(), entries: Vec::new() })
                        .entries
                        .push(("CriticalConnection".into(), "true".into()));
                }
                sections.push(s);
            }
            ("networks", "addresses") => {
                for a in v.as_array().unwrap() {
                    let o = a.as_object().unwrap();
                    if o.len() == 1 {
                        // A plain address lives in [Network]; merged below.
                        sections.push(Section {
                            name: "Network".into(),
                            entries: vec![("Address".into(), value_text(&o["Address"]))],
                        });
                    } else {
                        sections.push(section_from("Address", a));
                    }
                }
            }
            ("networks", "routes") => sections.extend(v.as_array().unwrap().iter().map(|r| section_from("Route", r))),
            ("networks", "routingPolicyRules") => {
                sections.extend(v.as_array().unwrap().iter().map(|r| section_from("RoutingPolicyRule", r)))
            }
            ("networks", "dhcpV4Config") => {
                let s = section_from("DHCP", v);
                dhcp.get_or_insert_with(|| Section { name: "DHCP".into(), entries: Vec::new() })
                    .entries
                    .extend(s.entries);
            }
            ("networks", "dhcpV6Config") => {
                // A copy of the DHCPv6-relevant [DHCP] keys; each must equal the v4 value.
                let v4 = &unit["dhcpV4Config"];
                for (k, x) in v.as_object().unwrap() {
                    assert_eq!(&v4[k], x, "dhcpV6Config.{k} differs from dhcpV4Config");
                }
            }
            (k, o) => panic!("unexpected option {o} in systemd.network.{k}"),
        }
    }
    sections.extend(dhcp);
    // Merge the [Network] pieces (plain addresses) into one section.
    let mut merged: Vec<Section> = Vec::new();
    for s in sections {
        match merged.iter_mut().find(|m| m.name == "Network" && s.name == "Network") {
            Some(m) => m.entries.extend(s.entries),
            None => merged.push(s),
        }
    }
    canon(&merged)
}

fn render_to(dir: &Path, name: &str, plan: &NodeNetworkPlan) -> std::path::PathBuf {
    let file = n3x_netplan::nixout::render_node(plan, &n3x_netplan::header("nix", "test", &plan.node));
    let p = dir.join(format!("{}.nix", name.replace('/', "_")));
    std::fs::write(&p, file.render().unwrap()).unwrap();
    p
}

#[test]
fn rendered_nix_parses_and_evaluates_to_the_plan() {
    let Some(nix) = n3x_testkit::require(n3x_testkit::NIX_INSTANTIATE) else { return };
    let dir = tempfile::tempdir().unwrap();
    let all = plans();
    assert!(all.len() > 50);
    for (name, plan) in &all {
        let p = render_to(dir.path(), name, plan);
        n3x_testkit::nix_parse(&nix, &p);
        let v = n3x_testkit::nix_eval_json(&nix, &p);
        assert_eq!(v["networking"]["useNetworkd"], true, "{name}");
        assert_eq!(v["networking"]["useDHCP"], false, "{name}");
        assert_eq!(v["systemd"]["network"]["enable"], true, "{name}");
        // Units: evaluated Nix == the networkd units of the plan.
        let mut got: BTreeMap<String, Canon> = BTreeMap::new();
        for (kind, suffix) in [("links", "link"), ("netdevs", "netdev"), ("networks", "network")] {
            if let Some(m) = v["systemd"]["network"][kind].as_object() {
                for (stem, unit) in m {
                    got.insert(format!("{stem}.{suffix}"), unit_from_nix(kind, unit));
                }
            }
        }
        let want: BTreeMap<String, Canon> = n3x_netplan::networkd::units(&plan.interfaces)
            .iter()
            .map(|u| (u.file_name(), canon(&u.sections)))
            .collect();
        if let Some(d) = common::diff(&got, &want) {
            panic!("{name}: evaluated Nix differs from the plan:\n{d}");
        }
        // Firewall and k3s flags.
        match &plan.firewall {
            Some(fw) => {
                let base = match &fw.interface {
                    Some(i) => &v["networking"]["firewall"]["interfaces"][i],
                    None => &v["networking"]["firewall"],
                };
                for (proto, single, range) in [
                    (Protocol::Tcp, "allowedTCPPorts", "allowedTCPPortRanges"),
                    (Protocol::Udp, "allowedUDPPorts", "allowedUDPPortRanges"),
                ] {
                    let want_single: Vec<Value> = fw
                        .rules
                        .iter()
                        .filter(|r| r.protocol == proto && r.from == r.to)
                        .map(|r| Value::from(r.from))
                        .collect();
                    let want_range: Vec<Value> = fw
                        .rules
                        .iter()
                        .filter(|r| r.protocol == proto && r.from != r.to)
                        .map(|r| serde_json::json!({"from": r.from, "to": r.to}))
                        .collect();
                    assert_eq!(base[single].as_array().cloned().unwrap_or_default(), want_single, "{name} {single}");
                    assert_eq!(base[range].as_array().cloned().unwrap_or_default(), want_range, "{name} {range}");
                }
                let trusted: Vec<Value> = fw.trusted_interfaces.iter().map(|t| Value::from(t.name.clone())).collect();
                assert_eq!(
                    v["networking"]["firewall"]["trustedInterfaces"].as_array().cloned().unwrap_or_default(),
                    trusted
                );
            }
            None => assert!(v["networking"].get("firewall").is_none(), "{name}"),
        }
        let flags: Vec<Value> = plan.k3s.flags.iter().map(|f| Value::from(f.clone())).collect();
        assert_eq!(v["services"]["k3s"]["extraFlags"].as_array().cloned().unwrap_or_default(), flags, "{name}");
    }
}

#[test]
fn every_option_path_is_in_the_reference_manifest() {
    let Some(nix) = n3x_testkit::require(n3x_testkit::NIX_INSTANTIATE) else { return };
    let dir = tempfile::tempdir().unwrap();
    let mut used = Vec::new();
    for (name, plan) in plans() {
        let p = render_to(dir.path(), &name, &plan);
        let v = n3x_testkit::nix_eval_json(&nix, &p);
        let report = n3x_testkit::check_option_paths(&v, &[]);
        assert!(report.unknown.is_empty(), "{name}: option paths not in nixos-options.json: {:?}", report.unknown);
        used.extend(report.used);
    }
    // The walk really reached the networkd sections (a vacuous walk would pass too).
    for needed in [
        "systemd.network.networks.<name>.networkConfig",
        "systemd.network.netdevs.<name>.bondConfig",
        "networking.firewall.interfaces.<name>.allowedTCPPorts",
    ] {
        assert!(used.iter().any(|u| u == needed), "{needed} never checked");
    }
}

#[test]
fn networkd_keys_are_on_the_allow_list() {
    for (name, plan) in plans() {
        for u in n3x_netplan::networkd::units(&plan.interfaces) {
            let attrs = n3x_netplan::nixout::unit_attrs(&u);
            let text = n3x_core::nix::render(&n3x_core::nix::Nix::Attrs(attrs));
            for s in &u.sections {
                let mut opt = n3x_netplan::nixout::section_option(u.kind, &s.name).to_string();
                if opt == "bridgeConfig" {
                    opt = if u.kind == n3x_netplan::networkd::UnitKind::Netdev {
                        "netdevBridgeConfig"
                    } else {
                        "networkBridgeConfig"
                    }
                    .into();
                }
                let allowed =
                    n3x_netplan::nixout::ALLOWED_KEYS.iter().find(|(o, _)| *o == opt).map(|(_, k)| *k).unwrap_or(&[]);
                for (k, _) in &s.entries {
                    let ok = allowed.contains(&k.as_str())
                        || (s.name == "Network" && k == "Address")
                        || (s.name == "DHCP" && k == "CriticalConnection");
                    assert!(ok, "{name}: key {k} of [{}] is not on the allow-list for {opt}:\n{text}", s.name);
                }
            }
        }
    }
}

#[test]
fn plan_json_round_trips_through_the_schema_types() {
    // The consumer's side of the contract: deny_unknown_fields types read our JSON back.
    for (name, plan) in plans() {
        let doc = n3x_netplan::plan::plan_document(vec![plan]);
        let text = serde_json::to_string(&doc).unwrap();
        let back: NetworkPlan = serde_json::from_str(&text).unwrap();
        assert_eq!(back, doc, "{name}");
    }
}
