//! [`Interface`] definitions → a netplan v2 document, for hosts that run netplan
//! (`render --format netplan`) and so that the short form can be checked against
//! netplan's own generator like the netplan corpus is.

use n3x_core::networkplan::{ActivationMode, DhcpOverrides, Interface, InterfaceKind};
use serde_json::{json, Map, Value};

fn overrides(o: &DhcpOverrides) -> Value {
    let d = DhcpOverrides::default();
    let mut m = Map::new();
    let flags = [
        ("use-dns", o.use_dns, d.use_dns),
        ("use-ntp", o.use_ntp, d.use_ntp),
        ("send-hostname", o.send_hostname, d.send_hostname),
        ("use-hostname", o.use_hostname, d.use_hostname),
        ("use-mtu", o.use_mtu, d.use_mtu),
        ("use-routes", o.use_routes, d.use_routes),
    ];
    for (k, v, default) in flags {
        if v != default {
            m.insert(k.into(), Value::Bool(v));
        }
    }
    if let Some(v) = &o.use_domains {
        m.insert("use-domains".into(), Value::String(v.clone()));
    }
    if let Some(v) = &o.hostname {
        m.insert("hostname".into(), Value::String(v.clone()));
    }
    if let Some(v) = o.route_metric {
        m.insert("route-metric".into(), json!(v));
    }
    Value::Object(m)
}

fn def(d: &Interface, all: &[Interface]) -> Value {
    let mut m = Map::new();
    let mut put = |k: &str, v: Value| {
        m.insert(k.to_string(), v);
    };
    if let Some(x) = &d.matches {
        let mut mm = Map::new();
        if let Some(n) = &x.name {
            mm.insert("name".into(), json!(n));
        }
        if let Some(mac) = &x.macaddress {
            mm.insert("macaddress".into(), json!(mac.to_string()));
        }
        if !x.driver.is_empty() {
            mm.insert("driver".into(), json!(x.driver));
        }
        put("match", Value::Object(mm));
    }
    if let Some(n) = &d.set_name {
        put("set-name", json!(n));
    }
    if d.wakeonlan {
        put("wakeonlan", json!(true));
    }
    if d.emit_lldp {
        put("emit-lldp", json!(true));
    }
    if d.dhcp4 {
        put("dhcp4", json!(true));
    }
    if d.dhcp6 {
        put("dhcp6", json!(true));
    }
    if !d.dhcp4_overrides.is_default() {
        put("dhcp4-overrides", overrides(&d.dhcp4_overrides));
    }
    if !d.dhcp6_overrides.is_default() {
        put("dhcp6-overrides", overrides(&d.dhcp6_overrides));
    }
    if let Some(v) = &d.dhcp_identifier {
        put("dhcp-identifier", json!(v));
    }
    if d.link_local != n3x_core::networkplan::LinkLocal::default() {
        let mut ll = Vec::new();
        if d.link_local.ipv4 {
            ll.push("ipv4");
        }
        if d.link_local.ipv6 {
            ll.push("ipv6");
        }
        put("link-local", json!(ll));
    }
    if let Some(v) = d.accept_ra {
        put("accept-ra", json!(v));
    }
    if d.ipv6_privacy {
        put("ipv6-privacy", json!(true));
    }
    let mut addrs: Vec<Value> = d.addresses.iter().map(|a| json!(a)).collect();
    for a in &d.address_options {
        let mut o = Map::new();
        if let Some(l) = &a.label {
            o.insert("label".into(), json!(l));
        }
        if let Some(l) = &a.lifetime {
            o.insert("lifetime".into(), json!(l));
        }
        let mut entry = Map::new();
        entry.insert(a.address.clone(), Value::Object(o));
        addrs.push(Value::Object(entry));
    }
    if !addrs.is_empty() {
        put("addresses", Value::Array(addrs));
    }
    if let Some(g) = d.gateway4 {
        put("gateway4", json!(g.to_string()));
    }
    if let Some(g) = d.gateway6 {
        put("gateway6", json!(g.to_string()));
    }
    if !d.nameservers.is_empty() || !d.search.is_empty() {
        let mut ns = Map::new();
        if !d.nameservers.is_empty() {
            ns.insert("addresses".into(), json!(d.nameservers.iter().map(|n| n.to_string()).collect::<Vec<_>>()));
        }
        if !d.search.is_empty() {
            ns.insert("search".into(), json!(d.search));
        }
        put("nameservers", Value::Object(ns));
    }
    if !d.routes.is_empty() {
        let routes: Vec<Value> = d
            .routes
            .iter()
            .map(|r| {
                let mut o = Map::new();
                o.insert("to".into(), json!(r.to));
                if let Some(v) = r.via {
                    o.insert("via".into(), json!(v.to_string()));
                }
                if let Some(v) = r.from {
                    o.insert("from".into(), json!(v.to_string()));
                }
                if r.on_link {
                    o.insert("on-link".into(), json!(true));
                }
                if let Some(v) = r.metric {
                    o.insert("metric".into(), json!(v));
                }
                if let Some(v) = r.table {
                    o.insert("table".into(), json!(v));
                }
                if r.route_type != "unicast" {
                    o.insert("type".into(), json!(r.route_type));
                }
                o.insert("scope".into(), json!(r.scope));
                if let Some(v) = r.mtu {
                    o.insert("mtu".into(), json!(v));
                }
                Value::Object(o)
            })
            .collect();
        put("routes", Value::Array(routes));
    }
    if !d.routing_policy.is_empty() {
        let rules: Vec<Value> = d
            .routing_policy
            .iter()
            .map(|r| {
                let mut o = Map::new();
                for (k, v) in [("from", r.from.as_ref().map(|x| json!(x))), ("to", r.to.as_ref().map(|x| json!(x)))] {
                    if let Some(v) = v {
                        o.insert(k.into(), v);
                    }
                }
                for (k, v) in [
                    ("table", r.table),
                    ("priority", r.priority),
                    ("mark", r.mark),
                    ("type-of-service", r.type_of_service.map(u32::from)),
                ] {
                    if let Some(v) = v {
                        o.insert(k.into(), json!(v));
                    }
                }
                Value::Object(o)
            })
            .collect();
        put("routing-policy", Value::Array(rules));
    }
    if let Some(v) = d.mtu {
        put("mtu", json!(v));
    }
    if let Some(v) = d.ipv6_mtu {
        put("ipv6-mtu", json!(v));
    }
    if let Some(v) = &d.macaddress {
        put("macaddress", json!(v.to_string()));
    }
    if d.optional {
        put("optional", json!(true));
    }
    if d.critical {
        put("critical", json!(true));
    }
    if d.ignore_carrier {
        put("ignore-carrier", json!(true));
    }
    if let Some(a) = d.activation_mode {
        put("activation-mode", json!(if a == ActivationMode::Manual { "manual" } else { "off" }));
    }
    if !d.interfaces.is_empty() {
        put("interfaces", json!(d.interfaces));
    }
    if let Some(p) = &d.bond_parameters {
        let mut o = Map::new();
        let strs = [
            ("mii-monitor-interval", &p.mii_monitor_interval),
            ("ad-select", &p.ad_select),
            ("arp-interval", &p.arp_interval),
            ("arp-validate", &p.arp_validate),
            ("arp-all-targets", &p.arp_all_targets),
            ("up-delay", &p.up_delay),
            ("down-delay", &p.down_delay),
            ("fail-over-mac-policy", &p.fail_over_mac_policy),
            ("primary-reselect-policy", &p.primary_reselect_policy),
            ("learn-packet-interval", &p.learn_packet_interval),
            ("primary", &p.primary),
        ];
        if let Some(m) = p.mode {
            o.insert("mode".into(), json!(m.as_str()));
        }
        if let Some(r) = p.lacp_rate {
            o.insert("lacp-rate".into(), json!(r));
        }
        if let Some(t) = p.transmit_hash_policy {
            o.insert("transmit-hash-policy".into(), json!(t.as_str()));
        }
        for (k, v) in strs {
            if let Some(v) = v {
                o.insert(k.into(), json!(v));
            }
        }
        for (k, v) in [
            ("min-links", p.min_links),
            ("gratuitous-arp", p.gratuitous_arp),
            ("packets-per-member", p.packets_per_member),
            ("resend-igmp", p.resend_igmp),
        ] {
            if let Some(v) = v {
                o.insert(k.into(), json!(v));
            }
        }
        if let Some(v) = p.all_members_active {
            o.insert("all-members-active".into(), json!(v));
        }
        if !p.arp_ip_targets.is_empty() {
            o.insert(
                "arp-ip-targets".into(),
                json!(p.arp_ip_targets.iter().map(|i| i.to_string()).collect::<Vec<_>>()),
            );
        }
        put("parameters", Value::Object(o));
    }
    if let Some(p) = &d.bridge_parameters {
        let mut o = Map::new();
        for (k, v) in [
            ("ageing-time", p.ageing_time),
            ("priority", p.priority),
            ("forward-delay", p.forward_delay),
            ("hello-time", p.hello_time),
            ("max-age", p.max_age),
        ] {
            if let Some(v) = v {
                o.insert(k.into(), json!(v));
            }
        }
        o.insert("stp".into(), json!(p.stp));
        let (mut cost, mut prio) = (Map::new(), Map::new());
        for m in all.iter().filter(|m| m.bridge.as_deref() == Some(&d.id)) {
            if let Some(port) = &m.bridge_port {
                if let Some(c) = port.path_cost {
                    cost.insert(m.id.clone(), json!(c));
                }
                if let Some(c) = port.port_priority {
                    prio.insert(m.id.clone(), json!(c));
                }
            }
        }
        if !cost.is_empty() {
            o.insert("path-cost".into(), Value::Object(cost));
        }
        if !prio.is_empty() {
            o.insert("port-priority".into(), Value::Object(prio));
        }
        put("parameters", Value::Object(o));
    }
    if let Some(id) = d.vlan_id {
        put("id", json!(id));
    }
    if let Some(l) = &d.vlan_link {
        put("link", json!(l));
    }
    Value::Object(m)
}

/// The top of a netplan document, fields in the order netplan should read them:
/// ethernets before the bonds and bridges that use them, VLANs last, so that netplan
/// resolves every reference in one pass (a second pass repeats `nameservers`).
#[derive(Debug, serde::Serialize)]
struct Network {
    version: u8,
    renderer: &'static str,
    #[serde(skip_serializing_if = "Map::is_empty")]
    ethernets: Map<String, Value>,
    #[serde(skip_serializing_if = "Map::is_empty")]
    bonds: Map<String, Value>,
    #[serde(skip_serializing_if = "Map::is_empty")]
    bridges: Map<String, Value>,
    #[serde(skip_serializing_if = "Map::is_empty")]
    vlans: Map<String, Value>,
}

#[derive(Debug, serde::Serialize)]
struct Doc {
    network: Network,
}

/// The netplan v2 document of a node's interfaces, as a serializable value.
pub fn to_netplan(defs: &[Interface]) -> impl serde::Serialize + std::fmt::Debug {
    let pick = |kind: InterfaceKind| -> Map<String, Value> {
        defs.iter().filter(|d| d.kind == kind).map(|d| (d.id.clone(), def(d, defs))).collect()
    };
    Doc {
        network: Network {
            version: 2,
            renderer: "networkd",
            ethernets: pick(InterfaceKind::Ethernet),
            bonds: pick(InterfaceKind::Bond),
            bridges: pick(InterfaceKind::Bridge),
            vlans: pick(InterfaceKind::Vlan),
        },
    }
}

/// The same document as a JSON value (for tests and for embedding).
pub fn to_netplan_value(defs: &[Interface]) -> Value {
    serde_json::to_value(to_netplan(defs)).unwrap_or(Value::Null)
}
