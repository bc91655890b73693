//! A node's plan → a NixOS module (`network.nix`): `networking.useNetworkd`,
//! `systemd.network.{enable, links, netdevs, networks}` in the flat list form of
//! current NixOS, the firewall with each rule's reason, and the k3s flags.
//!
//! The units come from [`crate::networkd`], so the module and the plain `.network`
//! files can never disagree. Section → option mapping ([`section_option`]) and value
//! typing ([`nix_value`]) follow nixpkgs' `networkd.nix` checks: numeric keys that
//! module range-checks become integers, `true`/`false` become booleans.

use n3x_core::networkplan::{NodeNetworkPlan, Protocol};
use n3x_core::nix::{Attrs, Nix, NixFile};

use crate::networkd::{units, Section, Unit, UnitKind};

/// Keys whose value NixOS range-checks as an integer, by `(section, key)`.
const INT_KEYS: &[(&str, &str)] = &[
    ("VLAN", "Id"),
    ("Bond", "MinLinks"),
    ("Bond", "ResendIGMP"),
    ("Bond", "PacketsPerSlave"),
    ("Bond", "GratuitousARP"),
    ("Route", "Metric"),
    ("RoutingPolicyRule", "TypeOfService"),
    ("RoutingPolicyRule", "Priority"),
    ("RoutingPolicyRule", "FirewallMark"),
    ("DHCP", "RouteMetric"),
    ("NetdevBridge", "HelloTimeSec"),
    ("NetdevBridge", "MaxAgeSec"),
    ("NetdevBridge", "ForwardDelaySec"),
    ("NetdevBridge", "AgeingTimeSec"),
    ("NetdevBridge", "Priority"),
    ("Bridge", "Cost"),
    ("Bridge", "Priority"),
];

/// Keys that may appear several times in a section; NixOS takes a list for them.
const LIST_KEYS: &[&str] = &["DNS", "VLAN", "Gateway", "Address", "NTP"];

/// The keys n3x emits per NixOS option, all present in nixpkgs' networkd.nix allow-lists.
pub const ALLOWED_KEYS: &[(&str, &[&str])] = &[
    ("matchConfig", &["Name", "PermanentMACAddress", "Driver", "OriginalName"]),
    ("linkConfig", &["Name", "WakeOnLan", "MTUBytes", "MACAddress", "RequiredForOnline", "ActivationPolicy"]),
    (
        "networkConfig",
        &[
            "DHCP",
            "LinkLocalAddressing",
            "IPv6AcceptRA",
            "IPv6PrivacyExtensions",
            "Gateway",
            "DNS",
            "Domains",
            "IPv6MTUBytes",
            "ConfigureWithoutCarrier",
            "Bridge",
            "Bond",
            "PrimarySlave",
            "VLAN",
            "EmitLLDP",
            "KeepConfiguration",
        ],
    ),
    ("netdevConfig", &["Name", "Kind", "MTUBytes", "MACAddress"]),
    (
        "bondConfig",
        &[
            "Mode",
            "TransmitHashPolicy",
            "LACPTransmitRate",
            "MIIMonitorSec",
            "UpDelaySec",
            "DownDelaySec",
            "LearnPacketIntervalSec",
            "AdSelect",
            "FailOverMACPolicy",
            "ARPValidate",
            "ARPIntervalSec",
            "ARPIPTargets",
            "ARPAllTargets",
            "PrimaryReselectPolicy",
            "ResendIGMP",
            "PacketsPerSlave",
            "GratuitousARP",
            "AllSlavesActive",
            "MinLinks",
        ],
    ),
    ("vlanConfig", &["Id"]),
    ("netdevBridgeConfig", &["HelloTimeSec", "MaxAgeSec", "ForwardDelaySec", "AgeingTimeSec", "Priority", "STP"]),
    ("networkBridgeConfig", &["Cost", "Priority"]),
    (
        "routes",
        &["Gateway", "GatewayOnLink", "Destination", "Metric", "Scope", "PreferredSource", "Table", "Type", "MTUBytes"],
    ),
    ("routingPolicyRules", &["TypeOfService", "From", "To", "FirewallMark", "Table", "Priority"]),
    ("addresses", &["Address", "Label", "PreferredLifetime"]),
    (
        "dhcpV4Config",
        &[
            "ClientIdentifier",
            "RouteMetric",
            "UseMTU",
            "UseRoutes",
            "UseDNS",
            "UseDomains",
            "UseNTP",
            "SendHostname",
            "UseHostname",
            "Hostname",
        ],
    ),
    ("dhcpV6Config", &["UseDNS", "UseDomains", "UseNTP", "SendHostname", "UseHostname", "Hostname"]),
];

/// DHCP keys that also apply to the DHCPv6 client.
const DHCP6_KEYS: &[&str] = &["UseDNS", "UseDomains", "UseNTP", "SendHostname", "UseHostname", "Hostname"];

/// The Nix value of one networkd value.
pub fn nix_value(section: &str, key: &str, value: &str) -> Nix {
    if INT_KEYS.contains(&(section, key)) {
        if let Ok(i) = value.parse::<i64>() {
            return Nix::Int(i);
        }
    }
    match (key, value) {
        (_, "true") | ("AllSlavesActive", "1") => Nix::Bool(true),
        (_, "false") | ("AllSlavesActive", "0") => Nix::Bool(false),
        _ => Nix::str(value),
    }
}

fn section_attrs(section: &Section, type_name: &str) -> Attrs {
    let mut a = Attrs::new();
    let mut done: Vec<&str> = Vec::new();
    for (k, _) in &section.entries {
        if done.contains(&k.as_str()) {
            continue;
        }
        done.push(k);
        let values: Vec<Nix> =
            section.entries.iter().filter(|(k2, _)| k2 == k).map(|(_, v)| nix_value(type_name, k, v)).collect();
        if LIST_KEYS.contains(&k.as_str()) && section.name != "Route" && section.name != "Address" {
            a.set(k.clone(), Nix::List(values));
        } else if let Some(v) = values.into_iter().last() {
            a.set(k.clone(), v);
        }
    }
    a
}

/// The NixOS option (relative to the unit's attribute set) for a section.
pub fn section_option(kind: UnitKind, section: &str) -> &'static str {
    match (kind, section) {
        (_, "Match") => "matchConfig",
        (_, "Link") => "linkConfig",
        (UnitKind::Netdev, "NetDev") => "netdevConfig",
        (UnitKind::Netdev, "Bond") => "bondConfig",
        (UnitKind::Netdev, "VLAN") => "vlanConfig",
        (_, "Bridge") => "bridgeConfig",
        (_, "Route") => "routes",
        (_, "RoutingPolicyRule") => "routingPolicyRules",
        (_, "Address") => "addresses",
        (_, "DHCP") => "dhcpV4Config",
        _ => "networkConfig",
    }
}

/// One unit as the attribute set of `systemd.network.{links,netdevs,networks}.<name>`.
pub fn unit_attrs(u: &Unit) -> Attrs {
    let mut a = Attrs::new();
    let mut lists: Vec<(&'static str, Vec<Nix>)> = Vec::new();
    let push_list = |opt: &'static str, item: Nix, lists: &mut Vec<(&'static str, Vec<Nix>)>| match lists
        .iter_mut()
        .find(|(o, _)| *o == opt)
    {
        Some((_, l)) => l.push(item),
        None => lists.push((opt, vec![item])),
    };
    let dhcp = u
        .sections
        .iter()
        .filter(|s| s.name == "Network")
        .flat_map(|s| s.entries.iter())
        .find(|(k, _)| k == "DHCP")
        .map(|(_, v)| v.clone());
    // networkd's old [DHCP] CriticalConnection= is KeepConfiguration=yes in current systemd.
    let keep_configuration = u
        .sections
        .iter()
        .any(|s| s.name == "DHCP" && s.entries.iter().any(|(k, v)| k == "CriticalConnection" && v == "true"));
    for s in &u.sections {
        let opt = section_option(u.kind, &s.name);
        match s.name.as_str() {
            "Route" | "RoutingPolicyRule" | "Address" => {
                push_list(opt, Nix::Attrs(section_attrs(s, &s.name)), &mut lists)
            }
            "Network" => {
                // Flat address attrsets, as current NixOS lists them.
                for (_, v) in s.entries.iter().filter(|(k, _)| k == "Address") {
                    push_list("addresses", Nix::Attrs(Attrs::new().with("Address", v.as_str())), &mut lists);
                }
                let rest = Section {
                    name: s.name.clone(),
                    entries: s.entries.iter().filter(|(k, _)| k != "Address").cloned().collect(),
                };
                let mut nc = section_attrs(&rest, &s.name);
                if keep_configuration {
                    nc.set("KeepConfiguration", "yes");
                }
                a.set(opt, nc);
            }
            "DHCP" => {
                // The rest of the old [DHCP] section belongs to the DHCPv4 (and DHCPv6) client.
                let v4 = Section {
                    name: s.name.clone(),
                    entries: s.entries.iter().filter(|(k, _)| k != "CriticalConnection").cloned().collect(),
                };
                if !v4.entries.is_empty() && dhcp.is_some() {
                    a.set("dhcpV4Config", section_attrs(&v4, "DHCP"));
                }
                if matches!(dhcp.as_deref(), Some("ipv6" | "yes")) {
                    let v6 = Section {
                        name: s.name.clone(),
                        entries: v4.entries.iter().filter(|(k, _)| DHCP6_KEYS.contains(&k.as_str())).cloned().collect(),
                    };
                    if !v6.entries.is_empty() {
                        a.set("dhcpV6Config", section_attrs(&v6, "DHCP"));
                    }
                }
            }
            "Bridge" if u.kind == UnitKind::Netdev => {
                a.set(opt, section_attrs(s, "NetdevBridge"));
            }
            _ => {
                a.set(opt, section_attrs(s, &s.name));
            }
        }
    }
    for (opt, items) in lists {
        a.set(opt, Nix::List(items));
    }
    a
}

fn port_item(from: u16, to: u16, reason: &str, range: bool) -> Nix {
    let v = if range {
        Nix::Attrs(Attrs::new().with("from", i64::from(from)).with("to", i64::from(to)))
    } else {
        Nix::Int(i64::from(from))
    };
    Nix::Commented(reason.to_string(), Box::new(v))
}

/// Renders a node's NixOS network module.
pub fn render_node(plan: &NodeNetworkPlan, header: &[String]) -> NixFile {
    let mut body = Attrs::new();
    body.set_path(&["networking", "useNetworkd"], true);
    body.set_path(&["networking", "useDHCP"], false);
    body.set_path(&["systemd", "network", "enable"], true);
    let us = units(&plan.interfaces);
    for (kind, opt) in [(UnitKind::Link, "links"), (UnitKind::Netdev, "netdevs"), (UnitKind::Network, "networks")] {
        for u in us.iter().filter(|u| u.kind == kind) {
            let stem = u.stem();
            body.set_path(&["systemd", "network", opt, &stem], unit_attrs(u));
        }
    }
    if let Some(fw) = &plan.firewall {
        body.set_path(&["networking", "firewall", "enable"], true);
        if !fw.trusted_interfaces.is_empty() {
            let items = fw
                .trusted_interfaces
                .iter()
                .map(|t| Nix::Commented(t.reason.clone(), Box::new(Nix::str(&t.name))))
                .collect();
            body.set_path(&["networking", "firewall", "trustedInterfaces"], Nix::List(items));
        }
        let base: Vec<String> = match &fw.interface {
            Some(i) => vec!["networking".into(), "firewall".into(), "interfaces".into(), i.clone()],
            None => vec!["networking".into(), "firewall".into()],
        };
        for (proto, single, ranges) in [
            (Protocol::Tcp, "allowedTCPPorts", "allowedTCPPortRanges"),
            (Protocol::Udp, "allowedUDPPorts", "allowedUDPPortRanges"),
        ] {
            let singles: Vec<Nix> = fw
                .rules
                .iter()
                .filter(|r| r.protocol == proto && r.from == r.to)
                .map(|r| port_item(r.from, r.to, &r.reason, false))
                .collect();
            let rs: Vec<Nix> = fw
                .rules
                .iter()
                .filter(|r| r.protocol == proto && r.from != r.to)
                .map(|r| port_item(r.from, r.to, &r.reason, true))
                .collect();
            for (name, items) in [(single, singles), (ranges, rs)] {
                if !items.is_empty() {
                    let mut p: Vec<&str> = base.iter().map(String::as_str).collect();
                    p.push(name);
                    body.set_path(&p, Nix::List(items));
                }
            }
        }
    }
    if !plan.k3s.flags.is_empty() {
        let items = plan.k3s.flags.iter().map(Nix::str).collect();
        body.set_path(&["services", "k3s", "extraFlags"], Nix::List(items));
    }
    NixFile { header: header.to_vec(), args: None, body: Nix::Attrs(body) }
}
