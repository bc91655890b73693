//! netplan v2 YAML → [`Interface`] definitions, with netplan's defaults and checks.
//!
//! The walk mirrors netplan 0.106's parser (`src/parse.c`): the same keys, the same
//! defaults (link-local IPv6 only, route scope from type and gateway, DHCP overrides
//! all on) and the same cross-checks (bond/bridge members defined and used once, VLAN
//! link and id, `set-name` needs `match`). Keys netplan knows but n3x does not render
//! (wifis, tunnels, offloads, SR-IOV, ...) are errors that name the key, never dropped.
//! Every finding carries the field path and the file position from the [`Document`].

use std::collections::BTreeMap;
use std::net::IpAddr;

use n3x_core::diag::did_you_mean;
use n3x_core::model::{BondMode, LacpRate, TransmitHashPolicy};
use n3x_core::networkplan::{
    ActivationMode, AddressOptions, BondParameters, BridgeParameters, BridgePort, DhcpOverrides, Interface,
    InterfaceKind, LinkLocal, Match, RouteDef, RuleDef,
};
use n3x_core::source::{join_index, join_key};
use n3x_core::units::{DnsName, IfName, MacAddr};
use n3x_core::{Diagnostic, Diagnostics, Document};
use serde_json::{Map, Value};

/// Keys netplan accepts that n3x-netplan does not render; using one is an error.
const UNSUPPORTED_NETWORK: &[&str] = &["wifis", "tunnels", "vrfs", "modems", "nm-devices", "openvswitch"];
const COMMON: &[&str] = &[
    "accept-ra",
    "activation-mode",
    "addresses",
    "critical",
    "ignore-carrier",
    "dhcp4",
    "dhcp6",
    "dhcp-identifier",
    "dhcp4-overrides",
    "dhcp6-overrides",
    "gateway4",
    "gateway6",
    "ipv6-mtu",
    "ipv6-privacy",
    "link-local",
    "macaddress",
    "mtu",
    "nameservers",
    "optional",
    "renderer",
    "routes",
    "routing-policy",
];
const COMMON_UNSUPPORTED: &[&str] = &[
    "ipv6-address-generation",
    "ipv6-address-token",
    "optional-addresses",
    "neigh-suppress",
    "networkmanager",
    "openvswitch",
];
const PHYSICAL: &[&str] = &["match", "set-name", "wakeonlan", "emit-lldp"];
const PHYSICAL_UNSUPPORTED: &[&str] = &[
    "wakeonwlan",
    "receive-checksum-offload",
    "transmit-checksum-offload",
    "tcp-segmentation-offload",
    "tcp6-segmentation-offload",
    "generic-segmentation-offload",
    "generic-receive-offload",
    "large-receive-offload",
    "auth",
    "link",
    "virtual-function-count",
    "embedded-switch-mode",
    "delay-virtual-functions-rebind",
    "infiniband-mode",
];

/// Where a netplan document sits: the parsed file and the path of its root
/// (`""` for a standalone file, `nodes[2].network.netplan` when embedded).
#[derive(Debug, Clone, Copy)]
pub struct Source<'a> {
    /// The parsed file (for positions).
    pub doc: &'a Document,
    /// Path of the netplan root inside it.
    pub base: &'a str,
}

struct Ctx<'a> {
    src: Source<'a>,
    diags: Diagnostics,
}

impl Ctx<'_> {
    fn path(&self, rel: &str) -> String {
        if self.src.base.is_empty() {
            rel.to_string()
        } else if rel.is_empty() {
            self.src.base.to_string()
        } else {
            format!("{}.{rel}", self.src.base)
        }
    }
    fn err(&mut self, rel: &str, msg: impl Into<String>, help: Option<String>) {
        let full = self.path(rel);
        let mut d = Diagnostic::error(full.clone(), msg).at(self.src.doc.locate(&full));
        if let Some(h) = help {
            d = d.with_help(h);
        }
        self.diags.push(d);
    }
    fn warn(&mut self, rel: &str, msg: impl Into<String>, help: impl Into<String>) {
        let full = self.path(rel);
        self.diags.push(Diagnostic::warning(full.clone(), msg).with_help(help).at(self.src.doc.locate(&full)));
    }
    fn mapping<'v>(&mut self, rel: &str, v: &'v Value) -> Option<&'v Map<String, Value>> {
        match v {
            Value::Object(m) => Some(m),
            other => {
                self.err(
                    rel,
                    format!("expected a mapping, got {}", n3x_core::decode::type_name(other)),
                    Some("check the indentation".into()),
                );
                None
            }
        }
    }
    fn sequence<'v>(&mut self, rel: &str, v: &'v Value) -> Option<&'v Vec<Value>> {
        match v {
            Value::Array(a) => Some(a),
            other => {
                self.err(
                    rel,
                    format!("expected a list, got {}", n3x_core::decode::type_name(other)),
                    Some("write a YAML list: [a, b] or one \"- item\" per line".into()),
                );
                None
            }
        }
    }
    fn scalar(&mut self, rel: &str, v: &Value) -> Option<String> {
        match v {
            Value::String(s) => Some(s.clone()),
            Value::Number(n) => Some(n.to_string()),
            Value::Bool(b) => Some(b.to_string()),
            other => {
                self.err(rel, format!("expected a single value, got {}", n3x_core::decode::type_name(other)), None);
                None
            }
        }
    }
    fn boolean(&mut self, rel: &str, v: &Value) -> Option<bool> {
        if let Value::Bool(b) = v {
            return Some(*b);
        }
        let s = self.scalar(rel, v)?;
        // netplan's handle_generic_bool spellings.
        match s.to_ascii_lowercase().as_str() {
            "true" | "on" | "yes" | "y" => Some(true),
            "false" | "off" | "no" | "n" => Some(false),
            _ => {
                self.err(rel, format!("invalid boolean value \"{s}\""), Some("write true or false".into()));
                None
            }
        }
    }
    fn uint(&mut self, rel: &str, v: &Value) -> Option<u32> {
        let s = self.scalar(rel, v)?;
        match s.parse::<u32>() {
            Ok(n) => Some(n),
            Err(_) => {
                self.err(
                    rel,
                    format!("invalid unsigned int value \"{s}\""),
                    Some("write a whole number such as 1500".into()),
                );
                None
            }
        }
    }
    fn unknown_key(&mut self, rel: &str, key: &str, known: &[&[&str]], unsupported: &[&[&str]]) {
        if unsupported.iter().any(|l| l.contains(&key)) {
            self.err(
                rel,
                format!("netplan key \"{key}\" is not supported by n3x-netplan"),
                Some("remove it, or configure this interface outside n3x; n3x never drops a setting silently".into()),
            );
            return;
        }
        let all = known.iter().flat_map(|l| l.iter().copied());
        let help = did_you_mean(key, all).map(|s| format!("did you mean \"{s}\"?"));
        self.err(rel, format!("unknown key \"{key}\""), help);
    }
}

/// Parses a netplan v2 document into interface definitions, in document order.
/// Every problem found is returned, each with path and position.
pub fn parse(src: Source<'_>, root: &Value) -> Result<(Vec<Interface>, Diagnostics), Diagnostics> {
    let mut cx = Ctx { src, diags: Diagnostics::new() };
    let defs = parse_root(&mut cx, root);
    let diags = cx.diags;
    match defs {
        Some(d) if !diags.has_errors() => Ok((d, diags)),
        _ => {
            let mut diags = diags;
            if !diags.has_errors() {
                diags.push(Diagnostic::error(src.base, "invalid netplan document").at(src.doc.locate(src.base)));
            }
            Err(diags)
        }
    }
}

/// One definition as read, before cross-references are resolved.
struct Raw {
    def: Interface,
    path: String,
    bond_params_path: String,
    /// `path-cost`/`port-priority` of a bridge, by member.
    ports: BTreeMap<String, (BridgePort, String)>,
}

fn parse_root(cx: &mut Ctx<'_>, root: &Value) -> Option<Vec<Interface>> {
    let top = cx.mapping("", root)?;
    let mut network = None;
    for (k, v) in top {
        if k == "network" {
            network = Some(v);
        } else {
            cx.unknown_key(&join_key("", k), k, &[&["network"]], &[]);
        }
    }
    let Some(network) = network else {
        cx.err("", "missing \"network\"", Some("a netplan file starts with \"network: {version: 2, ...}\"".into()));
        return None;
    };
    let net = cx.mapping("network", network)?;
    let mut raws: Vec<Raw> = Vec::new();
    let mut seen_version = false;
    // Definitions are read kind by kind (ethernets first, as the plan lists them); the
    // JSON map itself is ordered by key, not by position in the file.
    const ORDER: [&str; 4] = ["ethernets", "bonds", "bridges", "vlans"];
    let mut keys: Vec<(&String, &Value)> = net.iter().collect();
    keys.sort_by_key(|(k, _)| ORDER.iter().position(|o| o == k).unwrap_or(ORDER.len()));
    for (k, v) in keys {
        let rel = join_key("network", k);
        match k.as_str() {
            "version" => {
                seen_version = true;
                if cx.scalar(&rel, v).as_deref() != Some("2") {
                    cx.err(&rel, "only version 2 is supported", Some("write \"version: 2\"".into()));
                }
            }
            "renderer" => check_renderer(cx, &rel, v),
            "ethernets" | "bonds" | "bridges" | "vlans" => {
                let kind = match k.as_str() {
                    "ethernets" => InterfaceKind::Ethernet,
                    "bonds" => InterfaceKind::Bond,
                    "bridges" => InterfaceKind::Bridge,
                    _ => InterfaceKind::Vlan,
                };
                let Some(m) = cx.mapping(&rel, v) else { continue };
                for (id, body) in m {
                    let path = join_key(&rel, id);
                    if let Some(other) = raws.iter().find(|r| r.def.id == *id) {
                        // Report at whichever of the two comes later in the file.
                        let other_path = other.path.clone();
                        let pos = |p: &str| cx.src.doc.locate(&cx.path(p)).map(|l| (l.line, l.column));
                        let (later, earlier) = if pos(&path) >= pos(&other_path) {
                            (path.clone(), other_path)
                        } else {
                            (other_path, path.clone())
                        };
                        let earlier_at = cx
                            .src
                            .doc
                            .locate(&cx.path(&earlier))
                            .map(|l| format!(" (line {})", l.line))
                            .unwrap_or_default();
                        cx.err(
                            &later,
                            format!("definition \"{id}\" is already defined at {}{earlier_at}", cx.path(&earlier)),
                            Some("each interface id may appear once across ethernets, bonds, bridges and vlans".into()),
                        );
                        continue;
                    }
                    if let Some(raw) = parse_def(cx, &path, id, kind, body) {
                        raws.push(raw);
                    }
                }
            }
            other if UNSUPPORTED_NETWORK.contains(&other) => {
                cx.unknown_key(&rel, other, &[], &[UNSUPPORTED_NETWORK]);
            }
            other => cx.unknown_key(
                &rel,
                other,
                &[&["version", "renderer", "ethernets", "bonds", "bridges", "vlans"], UNSUPPORTED_NETWORK],
                &[],
            ),
        }
    }
    if !seen_version {
        cx.err("network", "missing \"version\"", Some("add \"version: 2\" under \"network:\"".into()));
    }
    resolve(cx, &mut raws);
    Some(raws.into_iter().map(|r| r.def).collect())
}

fn check_renderer(cx: &mut Ctx<'_>, rel: &str, v: &Value) {
    match cx.scalar(rel, v).as_deref() {
        Some("networkd") | None => {}
        Some("NetworkManager") => cx.err(
            rel,
            "renderer NetworkManager is not supported by n3x-netplan",
            Some("n3x configures systemd-networkd; write \"renderer: networkd\" or leave it out".into()),
        ),
        Some(other) => cx.err(
            rel,
            format!("unknown renderer \"{other}\""),
            Some("expected one of: networkd, NetworkManager".into()),
        ),
    }
}

/// A name that reaches a networkd unit, a file name or a Nix attribute: never a line
/// break, space or path separator, whatever else the field allows (globs in `match`).
fn check_token(cx: &mut Ctx<'_>, path: &str, what: &str, text: &str) -> bool {
    if text.is_empty() || text.chars().any(|c| !c.is_ascii_graphic() || c == '/') {
        let shown = n3x_core::comment::one_line(text);
        cx.err(
            path,
            format!("invalid {what} \"{shown}\": only printable ASCII without spaces or '/' is allowed"),
            Some("interface names and ids are short ASCII words such as eth0, bond0 or lan".into()),
        );
        return false;
    }
    true
}

/// An interface name that must satisfy the kernel's rules (see [`IfName`]).
fn check_ifname(cx: &mut Ctx<'_>, path: &str, text: &str) -> bool {
    match text.parse::<IfName>() {
        Ok(_) => true,
        Err(e) => {
            cx.err(path, e, Some("use at most 15 characters: letters, digits, '-', '_' or '.'".into()));
            false
        }
    }
}

fn parse_def(cx: &mut Ctx<'_>, path: &str, id: &str, kind: InterfaceKind, body: &Value) -> Option<Raw> {
    // A virtual device's id is its kernel name; an ethernet id is at least a safe token
    // (it names units and files), and its kernel name is checked where it is used.
    let id_ok = if kind.is_virtual() { check_ifname(cx, path, id) } else { check_token(cx, path, "definition id", id) };
    if !id_ok {
        return None;
    }
    if kind.is_virtual() && id.contains(['*', '?', '[']) {
        cx.err(path, format!("definition id \"{id}\" must not use globbing"), None);
    }
    let mut def = Interface::new(id, kind);
    let mut raw_ports = BTreeMap::new();
    let mut bond_params_path = String::new();
    // An empty definition (`eth0: {}` or `eth0:`) is allowed.
    let empty = Map::new();
    let m = match body {
        Value::Null => &empty,
        other => cx.mapping(path, other)?,
    };
    let kind_keys: &[&str] = match kind {
        InterfaceKind::Ethernet => PHYSICAL,
        InterfaceKind::Bond | InterfaceKind::Bridge => &["interfaces", "parameters"],
        InterfaceKind::Vlan => &["id", "link"],
    };
    let mut vlan_id_seen = false;
    for (k, v) in m {
        let rel = join_key(path, k);
        match k.as_str() {
            "accept-ra" => def.accept_ra = cx.boolean(&rel, v),
            "activation-mode" => match cx.scalar(&rel, v).as_deref() {
                Some("manual") => def.activation_mode = Some(ActivationMode::Manual),
                Some("off") => def.activation_mode = Some(ActivationMode::Off),
                Some(_) => cx.err(&rel, "activation-mode must be \"manual\" or \"off\"", None),
                None => {}
            },
            "addresses" => parse_addresses(cx, &rel, v, &mut def),
            "critical" => def.critical = cx.boolean(&rel, v).unwrap_or(false),
            "ignore-carrier" => def.ignore_carrier = cx.boolean(&rel, v).unwrap_or(false),
            "dhcp4" => def.dhcp4 = cx.boolean(&rel, v).unwrap_or(false),
            "dhcp6" => def.dhcp6 = cx.boolean(&rel, v).unwrap_or(false),
            "dhcp-identifier" => match cx.scalar(&rel, v) {
                // netplan: "duid" is networkd's default and is not written out.
                Some(s) if s.eq_ignore_ascii_case("duid") => def.dhcp_identifier = None,
                Some(s) if s.eq_ignore_ascii_case("mac") => def.dhcp_identifier = Some(s),
                Some(s) => cx.err(
                    &rel,
                    format!("invalid DHCP client identifier type \"{s}\""),
                    Some("expected mac or duid".into()),
                ),
                None => {}
            },
            "dhcp4-overrides" => def.dhcp4_overrides = parse_overrides(cx, &rel, v),
            "dhcp6-overrides" => def.dhcp6_overrides = parse_overrides(cx, &rel, v),
            "gateway4" | "gateway6" => {
                let want4 = k == "gateway4";
                if let Some(s) = cx.scalar(&rel, v) {
                    match s.parse::<IpAddr>() {
                        Ok(ip) if ip.is_ipv4() == want4 => {
                            cx.warn(
                                &rel,
                                format!("\"{k}\" is deprecated"),
                                "use a route: routes: [{to: default, via: ...}]",
                            );
                            if want4 {
                                def.gateway4 = Some(ip);
                            } else {
                                def.gateway6 = Some(ip);
                            }
                        }
                        _ => cx.err(
                            &rel,
                            format!("invalid {} address \"{s}\"", if want4 { "IPv4" } else { "IPv6" }),
                            None,
                        ),
                    }
                }
            }
            "ipv6-mtu" => def.ipv6_mtu = cx.uint(&rel, v),
            "ipv6-privacy" => def.ipv6_privacy = cx.boolean(&rel, v).unwrap_or(false),
            "link-local" => {
                let mut ll = LinkLocal { ipv4: false, ipv6: false };
                if let Some(items) = cx.sequence(&rel, v) {
                    for (i, item) in items.iter().enumerate() {
                        let r = join_index(&rel, i);
                        match cx.scalar(&r, item).as_deref() {
                            Some("ipv4") => ll.ipv4 = true,
                            Some("ipv6") => ll.ipv6 = true,
                            Some(s) => cx.err(
                                &r,
                                format!("invalid value for link-local: \"{s}\""),
                                Some("expected ipv4 or ipv6".into()),
                            ),
                            None => {}
                        }
                    }
                }
                def.link_local = ll;
            }
            "macaddress" => def.macaddress = parse_mac(cx, &rel, v),
            "mtu" => def.mtu = cx.uint(&rel, v),
            "nameservers" => parse_nameservers(cx, &rel, v, &mut def),
            "optional" => def.optional = cx.boolean(&rel, v).unwrap_or(false),
            "renderer" => check_renderer(cx, &rel, v),
            "routes" => parse_routes(cx, &rel, v, &mut def),
            "routing-policy" => parse_rules(cx, &rel, v, &mut def),
            "match" if kind == InterfaceKind::Ethernet => def.matches = parse_match(cx, &rel, v),
            "set-name" if kind == InterfaceKind::Ethernet => {
                def.set_name = cx.scalar(&rel, v).filter(|n| check_ifname(cx, &rel, n));
            }
            "wakeonlan" if kind == InterfaceKind::Ethernet => def.wakeonlan = cx.boolean(&rel, v).unwrap_or(false),
            "emit-lldp" if kind == InterfaceKind::Ethernet => def.emit_lldp = cx.boolean(&rel, v).unwrap_or(false),
            "interfaces" if matches!(kind, InterfaceKind::Bond | InterfaceKind::Bridge) => {
                if let Some(items) = cx.sequence(&rel, v) {
                    for (i, item) in items.iter().enumerate() {
                        if let Some(s) = cx.scalar(&join_index(&rel, i), item) {
                            def.interfaces.push(s);
                        }
                    }
                }
            }
            "parameters" if kind == InterfaceKind::Bond => {
                bond_params_path = rel.clone();
                def.bond_parameters = parse_bond_params(cx, &rel, v);
            }
            "parameters" if kind == InterfaceKind::Bridge => {
                def.bridge_parameters = parse_bridge_params(cx, &rel, v, &mut raw_ports);
            }
            "id" if kind == InterfaceKind::Vlan => {
                vlan_id_seen = true;
                if let Some(n) = cx.uint(&rel, v) {
                    if n > 4094 {
                        cx.err(&rel, format!("invalid VLAN id {n} (allowed values are 0 to 4094)"), None);
                    } else {
                        def.vlan_id = u16::try_from(n).ok();
                    }
                }
            }
            "link" if kind == InterfaceKind::Vlan => def.vlan_link = cx.scalar(&rel, v),
            other => {
                let known: &[&[&str]] = &[COMMON, kind_keys];
                let mut unsupported: Vec<&[&str]> = vec![COMMON_UNSUPPORTED];
                if kind == InterfaceKind::Ethernet {
                    unsupported.push(PHYSICAL_UNSUPPORTED);
                }
                cx.unknown_key(&rel, other, known, &unsupported);
            }
        }
    }
    // netplan treats 0 as "unset" for these (NETPLAN_*_UNSPEC is 0) and writes nothing.
    let nonzero = |v: Option<u32>| v.filter(|n| *n > 0);
    def.mtu = nonzero(def.mtu);
    def.ipv6_mtu = nonzero(def.ipv6_mtu);
    for r in &mut def.routes {
        r.table = nonzero(r.table);
        r.mtu = nonzero(r.mtu);
    }
    for r in &mut def.routing_policy {
        r.table = nonzero(r.table);
        r.mark = nonzero(r.mark);
    }
    if def.set_name.is_some() && def.matches.is_none() {
        cx.err(
            &join_key(path, "set-name"),
            format!("{id}: \"set-name:\" requires \"match:\" properties"),
            Some("add match: {macaddress: ...}".into()),
        );
    }
    if kind == InterfaceKind::Vlan {
        if def.vlan_link.is_none() {
            cx.err(
                path,
                format!("{id}: missing \"link\" property"),
                Some("a VLAN needs the interface it rides on: link: bond0".into()),
            );
        }
        if !vlan_id_seen {
            cx.err(path, format!("{id}: missing \"id\" property"), Some("add the 802.1Q tag: id: 20".into()));
        }
    }
    if def.dhcp4 && def.dhcp6 && def.dhcp4_overrides != def.dhcp6_overrides {
        cx.err(
            &join_key(path, "dhcp6-overrides"),
            format!("{id}: networkd requires that dhcp4-overrides and dhcp6-overrides are the same"),
            Some("give both the same values".into()),
        );
    }
    Some(Raw { def, path: path.to_string(), bond_params_path, ports: raw_ports })
}

fn parse_mac(cx: &mut Ctx<'_>, rel: &str, v: &Value) -> Option<MacAddr> {
    let s = cx.scalar(rel, v)?;
    match s.parse::<MacAddr>() {
        Ok(m) if s.contains(':') => Some(m),
        _ => {
            cx.err(rel, format!("invalid MAC address \"{s}\", must be XX:XX:XX:XX:XX:XX"), None);
            None
        }
    }
}

fn parse_match(cx: &mut Ctx<'_>, rel: &str, v: &Value) -> Option<Match> {
    let m = cx.mapping(rel, v)?;
    let mut out = Match::default();
    for (k, v) in m {
        let r = join_key(rel, k);
        match k.as_str() {
            "name" => out.name = cx.scalar(&r, v).filter(|n| check_token(cx, &r, "match name", n)),
            "macaddress" => out.macaddress = parse_mac(cx, &r, v),
            "driver" => match v {
                Value::Array(items) => {
                    for (i, item) in items.iter().enumerate() {
                        if let Some(s) = cx.scalar(&join_index(&r, i), item) {
                            out.driver.push(s);
                        }
                    }
                }
                other => {
                    if let Some(s) = cx.scalar(&r, other) {
                        out.driver.push(s);
                    }
                }
            },
            other => cx.unknown_key(&r, other, &[&["name", "macaddress", "driver"]], &[]),
        }
    }
    if out.driver.iter().any(|d| d.contains(char::is_whitespace)) {
        cx.err(&join_key(rel, "driver"), "a \"driver\" glob cannot contain whitespace", None);
    }
    Some(out)
}

fn parse_addresses(cx: &mut Ctx<'_>, rel: &str, v: &Value, def: &mut Interface) {
    let Some(items) = cx.sequence(rel, v) else { return };
    let mut v4 = Vec::new();
    let mut v6 = Vec::new();
    for (i, item) in items.iter().enumerate() {
        let r = join_index(rel, i);
        let (text, opts) = match item {
            Value::Object(m) if m.len() == 1 => {
                let Some((k, o)) = m.iter().next() else { continue };
                (k.clone(), Some(o))
            }
            other => match cx.scalar(&r, other) {
                Some(s) => (s, None),
                None => continue,
            },
        };
        let Some(is_v4) = check_address(cx, &r, &text) else { continue };
        if let Some(o) = opts {
            let mut ao = AddressOptions { address: text.clone(), label: None, lifetime: None };
            let r2 = join_key(&r, &text);
            if let Some(m) = cx.mapping(&r2, o) {
                for (k, v) in m {
                    let r3 = join_key(&r2, k);
                    match k.as_str() {
                        "label" => ao.label = cx.scalar(&r3, v),
                        "lifetime" => match cx.scalar(&r3, v).as_deref() {
                            Some(s @ ("forever" | "0")) => ao.lifetime = Some(s.to_string()),
                            Some(s) => cx.err(
                                &r3,
                                format!("invalid lifetime value \"{s}\""),
                                Some("expected forever or 0".into()),
                            ),
                            None => {}
                        },
                        other => cx.unknown_key(&r3, other, &[&["label", "lifetime"]], &[]),
                    }
                }
            }
            if !def.address_options.iter().any(|a| a.address == ao.address) {
                def.address_options.push(ao);
            }
            continue;
        }
        let list = if is_v4 { &mut v4 } else { &mut v6 };
        if !list.contains(&text) {
            list.push(text);
        }
    }
    // netplan writes IPv4 addresses before IPv6 ones.
    def.addresses.extend(v4);
    def.addresses.extend(v6);
}

/// Checks `ADDRESS/PREFIX`; returns whether it is IPv4.
fn check_address(cx: &mut Ctx<'_>, rel: &str, text: &str) -> Option<bool> {
    let Some((addr, prefix)) = text.rsplit_once('/') else {
        cx.err(
            rel,
            format!("address \"{text}\" is missing /prefixlength"),
            Some(format!("write it with its prefix, e.g. {text}/24")),
        );
        return None;
    };
    let Ok(ip) = addr.parse::<IpAddr>() else {
        cx.err(rel, format!("malformed address \"{text}\", must be X.X.X.X/NN or X:X:X:X:X:X:X:X/NN"), None);
        return None;
    };
    let max = if ip.is_ipv4() { 32 } else { 128 };
    match prefix.parse::<u8>() {
        Ok(p) if p > 0 && p <= max => Some(ip.is_ipv4()),
        _ => {
            cx.err(
                rel,
                format!("invalid prefix length in address \"{text}\""),
                Some(format!("the prefix length must be 1 to {max}")),
            );
            None
        }
    }
}

fn parse_overrides(cx: &mut Ctx<'_>, rel: &str, v: &Value) -> DhcpOverrides {
    let mut o = DhcpOverrides::default();
    let Some(m) = cx.mapping(rel, v) else { return o };
    const KEYS: &[&str] = &[
        "hostname",
        "route-metric",
        "send-hostname",
        "use-dns",
        "use-domains",
        "use-hostname",
        "use-mtu",
        "use-ntp",
        "use-routes",
    ];
    for (k, v) in m {
        let r = join_key(rel, k);
        match k.as_str() {
            "hostname" => o.hostname = cx.scalar(&r, v),
            "route-metric" => o.route_metric = cx.uint(&r, v),
            "send-hostname" => o.send_hostname = cx.boolean(&r, v).unwrap_or(true),
            "use-dns" => o.use_dns = cx.boolean(&r, v).unwrap_or(true),
            "use-hostname" => o.use_hostname = cx.boolean(&r, v).unwrap_or(true),
            "use-mtu" => o.use_mtu = cx.boolean(&r, v).unwrap_or(true),
            "use-ntp" => o.use_ntp = cx.boolean(&r, v).unwrap_or(true),
            "use-routes" => o.use_routes = cx.boolean(&r, v).unwrap_or(true),
            "use-domains" => match v {
                Value::Bool(b) => o.use_domains = Some(b.to_string()),
                other => match cx.scalar(&r, other).as_deref() {
                    Some(s @ ("true" | "false" | "route")) => o.use_domains = Some(s.to_string()),
                    Some(s) => cx.err(
                        &r,
                        format!("invalid use-domains value \"{s}\""),
                        Some("expected true, false or route".into()),
                    ),
                    None => {}
                },
            },
            other => cx.unknown_key(&r, other, &[KEYS], &[]),
        }
    }
    o
}

fn parse_nameservers(cx: &mut Ctx<'_>, rel: &str, v: &Value, def: &mut Interface) {
    let Some(m) = cx.mapping(rel, v) else { return };
    for (k, v) in m {
        let r = join_key(rel, k);
        match k.as_str() {
            "addresses" => {
                let Some(items) = cx.sequence(&r, v) else { continue };
                let (mut v4, mut v6) = (Vec::new(), Vec::new());
                for (i, item) in items.iter().enumerate() {
                    let ri = join_index(&r, i);
                    let Some(s) = cx.scalar(&ri, item) else { continue };
                    match s.parse::<IpAddr>() {
                        Ok(ip) if ip.is_ipv4() => v4.push(ip),
                        Ok(ip) => v6.push(ip),
                        Err(_) => {
                            cx.err(&ri, format!("malformed address \"{s}\", must be X.X.X.X or X:X:X:X:X:X:X:X"), None)
                        }
                    }
                }
                def.nameservers.extend(v4);
                def.nameservers.extend(v6);
            }
            "search" => {
                let Some(items) = cx.sequence(&r, v) else { continue };
                for (i, item) in items.iter().enumerate() {
                    let at = join_index(&r, i);
                    if let Some(s) = cx.scalar(&at, item) {
                        match s.parse::<DnsName>() {
                            Ok(_) => def.search.push(s),
                            Err(e) => {
                                cx.err(&at, e, Some("a search domain is a DNS name such as lab.example.org".into()))
                            }
                        }
                    }
                }
            }
            other => cx.unknown_key(&r, other, &[&["addresses", "search"]], &[]),
        }
    }
}

fn family_of(cx: &mut Ctx<'_>, rel: &str, s: &str, family: &mut Option<bool>, allow_prefix: bool) -> bool {
    let addr = if allow_prefix { s.split_once('/').map_or(s, |(a, _)| a) } else { s };
    let ip = match addr.parse::<IpAddr>() {
        Ok(ip) => ip,
        Err(_) => {
            cx.err(rel, format!("invalid IP address \"{s}\""), None);
            return false;
        }
    };
    if let Some((_, p)) = s.split_once('/').filter(|_| allow_prefix) {
        let max = if ip.is_ipv4() { 32 } else { 128 };
        if !p.parse::<u8>().is_ok_and(|p| p <= max) {
            cx.err(rel, format!("invalid prefix length in \"{s}\""), None);
            return false;
        }
    }
    match *family {
        Some(f) if f != ip.is_ipv4() => {
            cx.err(
                rel,
                format!("IP family mismatch in route to {s}"),
                Some("a route's to, via and from must all be IPv4 or all IPv6".into()),
            );
            false
        }
        _ => {
            *family = Some(ip.is_ipv4());
            true
        }
    }
}

const ROUTE_TYPES: &[&str] = &[
    "unicast",
    "anycast",
    "blackhole",
    "broadcast",
    "local",
    "multicast",
    "nat",
    "prohibit",
    "throw",
    "unreachable",
    "xresolve",
];

fn parse_routes(cx: &mut Ctx<'_>, rel: &str, v: &Value, def: &mut Interface) {
    let Some(items) = cx.sequence(rel, v) else { return };
    for (i, item) in items.iter().enumerate() {
        let r = join_index(rel, i);
        let Some(m) = cx.mapping(&r, item) else { continue };
        let mut family = None;
        let mut to = None;
        let mut via = None;
        let mut from = None;
        let mut route_type = "unicast".to_string();
        let mut scope = None;
        let mut on_link = false;
        let (mut metric, mut table, mut mtu) = (None, None, None);
        let before = cx.diags.errors().count();
        for (k, v) in m {
            let rk = join_key(&r, k);
            match k.as_str() {
                "to" => {
                    if let Some(s) = cx.scalar(&rk, v) {
                        if s == "default" || family_of(cx, &rk, &s, &mut family, true) {
                            to = Some(s);
                        }
                    }
                }
                "via" | "from" => {
                    if let Some(s) = cx.scalar(&rk, v) {
                        if family_of(cx, &rk, &s, &mut family, false) {
                            let ip = s.parse::<IpAddr>().ok();
                            if k == "via" {
                                via = ip;
                            } else {
                                from = ip;
                            }
                        }
                    }
                }
                "on-link" => on_link = cx.boolean(&rk, v).unwrap_or(false),
                "metric" => metric = cx.uint(&rk, v),
                "table" => table = cx.uint(&rk, v),
                "mtu" => mtu = cx.uint(&rk, v),
                "type" => {
                    if let Some(s) = cx.scalar(&rk, v) {
                        let l = s.to_ascii_lowercase();
                        if ROUTE_TYPES.contains(&l.as_str()) {
                            route_type = l;
                        } else {
                            cx.err(
                                &rk,
                                format!("invalid route type \"{s}\""),
                                Some(format!("expected one of: {}", ROUTE_TYPES.join(", "))),
                            );
                        }
                    }
                }
                "scope" => {
                    if let Some(s) = cx.scalar(&rk, v) {
                        let l = s.to_ascii_lowercase();
                        if ["global", "link", "host"].contains(&l.as_str()) {
                            scope = Some(l);
                        } else {
                            cx.err(
                                &rk,
                                format!("invalid route scope \"{s}\""),
                                Some("expected global, link or host".into()),
                            );
                        }
                    }
                }
                "congestion-window" | "advertised-receive-window" => {
                    cx.unknown_key(&rk, k, &[], &[&["congestion-window", "advertised-receive-window"]]);
                }
                other => cx.unknown_key(
                    &rk,
                    other,
                    &[&["to", "via", "from", "on-link", "metric", "table", "mtu", "type", "scope"]],
                    &[],
                ),
            }
        }
        if cx.diags.errors().count() > before {
            continue;
        }
        // netplan's default scope: host for local/nat, link for gateway-less unicast and
        // broadcast/multicast/anycast, global otherwise.
        let scope = scope.unwrap_or_else(|| {
            match route_type.as_str() {
                "local" | "nat" => "host",
                "unicast" if via.is_none() => "link",
                "broadcast" | "multicast" | "anycast" => "link",
                _ => "global",
            }
            .to_string()
        });
        let Some(to) = to else {
            let msg = if scope == "link" || scope == "host" {
                "link and host routes must specify a \"to\" IP"
            } else if route_type == "unicast" {
                "global unicast route must include both a \"to\" and \"via\" IP"
            } else {
                "non-unicast routes must specify a \"to\" IP"
            };
            cx.err(&r, msg, Some("add to: default or to: NETWORK/PREFIX".into()));
            continue;
        };
        if route_type == "unicast" && scope == "global" && via.is_none() {
            cx.err(
                &r,
                "global unicast route must include both a \"to\" and \"via\" IP",
                Some("add via: GATEWAY".into()),
            );
            continue;
        }
        let route = RouteDef { to, via, from, on_link, metric, table, route_type, scope, mtu };
        // netplan drops an exact duplicate route silently; so do we.
        if !def.routes.contains(&route) {
            def.routes.push(route);
        }
    }
}

fn parse_rules(cx: &mut Ctx<'_>, rel: &str, v: &Value, def: &mut Interface) {
    let Some(items) = cx.sequence(rel, v) else { return };
    for (i, item) in items.iter().enumerate() {
        let r = join_index(rel, i);
        let Some(m) = cx.mapping(&r, item) else { continue };
        let mut rule = RuleDef { from: None, to: None, table: None, priority: None, mark: None, type_of_service: None };
        let mut family = None;
        for (k, v) in m {
            let rk = join_key(&r, k);
            match k.as_str() {
                "from" | "to" => {
                    if let Some(s) = cx.scalar(&rk, v) {
                        if family_of(cx, &rk, &s, &mut family, true) {
                            if k == "from" {
                                rule.from = Some(s);
                            } else {
                                rule.to = Some(s);
                            }
                        }
                    }
                }
                "table" => rule.table = cx.uint(&rk, v),
                "priority" => rule.priority = cx.uint(&rk, v),
                "mark" => rule.mark = cx.uint(&rk, v),
                "type-of-service" => {
                    if let Some(n) = cx.uint(&rk, v) {
                        match u8::try_from(n) {
                            Ok(t) => rule.type_of_service = Some(t),
                            Err(_) => cx.err(&rk, format!("invalid ToS (must be between 0 and 255): {n}"), None),
                        }
                    }
                }
                other => {
                    cx.unknown_key(&rk, other, &[&["from", "to", "table", "priority", "mark", "type-of-service"]], &[])
                }
            }
        }
        if rule.from.is_none() && rule.to.is_none() {
            cx.err(&r, "IP routing policy must include either a \"from\" or \"to\" IP", None);
            continue;
        }
        def.routing_policy.push(rule);
    }
}

fn enum_value<T: serde::de::DeserializeOwned>(
    cx: &mut Ctx<'_>,
    rel: &str,
    v: &Value,
    what: &str,
    choices: &[&str],
) -> Option<T> {
    let s = cx.scalar(rel, v)?;
    match serde_json::from_value::<T>(Value::String(s.clone())) {
        Ok(t) => Some(t),
        Err(_) => {
            let help = did_you_mean(&s, choices.iter().copied())
                .map(|c| format!("did you mean \"{c}\"?"))
                .unwrap_or_else(|| format!("expected one of: {}", choices.join(", ")));
            cx.err(rel, format!("unknown {what} \"{s}\""), Some(help));
            None
        }
    }
}

fn one_of(cx: &mut Ctx<'_>, rel: &str, v: &Value, what: &str, choices: &[&str]) -> Option<String> {
    let s = cx.scalar(rel, v)?;
    if choices.contains(&s.as_str()) {
        Some(s)
    } else {
        cx.err(rel, format!("invalid {what} \"{s}\""), Some(format!("expected one of: {}", choices.join(", "))));
        None
    }
}

/// A duration netplan passes through: digits (milliseconds) or digits with a unit.
fn interval(cx: &mut Ctx<'_>, rel: &str, v: &Value) -> Option<String> {
    let s = cx.scalar(rel, v)?;
    let digits = s.trim_end_matches(|c: char| c.is_ascii_alphabetic());
    let unit = &s[digits.len()..];
    if !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit()) && ["", "ms", "s", "us", "min"].contains(&unit)
    {
        Some(s)
    } else {
        cx.err(
            rel,
            format!("invalid interval \"{s}\""),
            Some("write milliseconds (100) or a value with a unit (100ms, 2s)".into()),
        );
        None
    }
}

fn parse_bond_params(cx: &mut Ctx<'_>, rel: &str, v: &Value) -> Option<BondParameters> {
    let m = cx.mapping(rel, v)?;
    let mut p = BondParameters::default();
    const KEYS: &[&str] = &[
        "mode",
        "lacp-rate",
        "mii-monitor-interval",
        "min-links",
        "transmit-hash-policy",
        "ad-select",
        "all-members-active",
        "all-slaves-active",
        "arp-interval",
        "arp-ip-targets",
        "arp-validate",
        "arp-all-targets",
        "up-delay",
        "down-delay",
        "fail-over-mac-policy",
        "gratuitous-arp",
        "gratuitious-arp",
        "packets-per-member",
        "packets-per-slave",
        "primary-reselect-policy",
        "resend-igmp",
        "learn-packet-interval",
        "primary",
    ];
    const MODES: &[&str] =
        &["balance-rr", "active-backup", "balance-xor", "broadcast", "802.3ad", "balance-tlb", "balance-alb"];
    for (k, v) in m {
        let r = join_key(rel, k);
        match k.as_str() {
            "mode" => {
                if let Some(s) = cx.scalar(&r, v) {
                    if s == "balance-tcp" || s == "balance-slb" {
                        cx.err(
                            &r,
                            format!("bond mode \"{s}\" is only for Open vSwitch, which n3x-netplan does not support"),
                            Some(format!("expected one of: {}", MODES.join(", "))),
                        );
                        continue;
                    }
                }
                p.mode = enum_value::<BondMode>(cx, &r, v, "bond mode", MODES);
            }
            "lacp-rate" => p.lacp_rate = enum_value::<LacpRate>(cx, &r, v, "lacp-rate", &["slow", "fast"]),
            "mii-monitor-interval" => p.mii_monitor_interval = interval(cx, &r, v),
            "min-links" => p.min_links = cx.uint(&r, v),
            "transmit-hash-policy" => {
                p.transmit_hash_policy = enum_value::<TransmitHashPolicy>(
                    cx,
                    &r,
                    v,
                    "transmit-hash-policy",
                    &["layer2", "layer3+4", "layer2+3", "encap2+3", "encap3+4"],
                )
            }
            "ad-select" => p.ad_select = one_of(cx, &r, v, "ad-select", &["stable", "bandwidth", "count"]),
            "all-members-active" | "all-slaves-active" => p.all_members_active = cx.boolean(&r, v),
            "arp-interval" => p.arp_interval = interval(cx, &r, v),
            "arp-ip-targets" => {
                if let Some(items) = cx.sequence(&r, v) {
                    for (i, item) in items.iter().enumerate() {
                        let ri = join_index(&r, i);
                        match cx.scalar(&ri, item).map(|s| (s.parse::<IpAddr>(), s)) {
                            Some((Ok(ip), _)) if ip.is_ipv4() => p.arp_ip_targets.push(ip),
                            Some((_, s)) => cx.err(&ri, format!("malformed address \"{s}\", must be X.X.X.X"), None),
                            None => {}
                        }
                    }
                }
            }
            "arp-validate" => p.arp_validate = one_of(cx, &r, v, "arp-validate", &["none", "active", "backup", "all"]),
            "arp-all-targets" => p.arp_all_targets = one_of(cx, &r, v, "arp-all-targets", &["any", "all"]),
            "up-delay" => p.up_delay = interval(cx, &r, v),
            "down-delay" => p.down_delay = interval(cx, &r, v),
            "fail-over-mac-policy" => {
                p.fail_over_mac_policy = one_of(cx, &r, v, "fail-over-mac-policy", &["none", "active", "follow"])
            }
            "gratuitous-arp" | "gratuitious-arp" => p.gratuitous_arp = cx.uint(&r, v),
            "packets-per-member" | "packets-per-slave" => p.packets_per_member = cx.uint(&r, v),
            "primary-reselect-policy" => {
                p.primary_reselect_policy =
                    one_of(cx, &r, v, "primary-reselect-policy", &["always", "better", "failure"])
            }
            "resend-igmp" => p.resend_igmp = cx.uint(&r, v),
            "learn-packet-interval" => p.learn_packet_interval = interval(cx, &r, v),
            "primary" => p.primary = cx.scalar(&r, v),
            other => cx.unknown_key(&r, other, &[KEYS], &[]),
        }
    }
    Some(p)
}

fn parse_bridge_params(
    cx: &mut Ctx<'_>,
    rel: &str,
    v: &Value,
    ports: &mut BTreeMap<String, (BridgePort, String)>,
) -> Option<BridgeParameters> {
    let m = cx.mapping(rel, v)?;
    let mut p = BridgeParameters { stp: true, ..BridgeParameters::default() };
    for (k, v) in m {
        let r = join_key(rel, k);
        match k.as_str() {
            "ageing-time" | "aging-time" => p.ageing_time = cx.uint(&r, v),
            "forward-delay" => p.forward_delay = cx.uint(&r, v),
            "hello-time" => p.hello_time = cx.uint(&r, v),
            "max-age" => p.max_age = cx.uint(&r, v),
            "priority" => p.priority = cx.uint(&r, v),
            "stp" => p.stp = cx.boolean(&r, v).unwrap_or(true),
            "path-cost" | "port-priority" => {
                let Some(pm) = cx.mapping(&r, v) else { continue };
                for (iface, n) in pm {
                    let ri = join_key(&r, iface);
                    let Some(n) = cx.uint(&ri, n) else { continue };
                    if k == "port-priority" && n > 63 {
                        cx.err(&ri, format!("invalid port priority value (must be between 0 and 63): {n}"), None);
                        continue;
                    }
                    let entry = ports.entry(iface.clone()).or_insert_with(|| (BridgePort::default(), ri.clone()));
                    if k == "path-cost" {
                        entry.0.path_cost = Some(n);
                    } else {
                        entry.0.port_priority = Some(n);
                    }
                }
            }
            other => cx.unknown_key(
                &r,
                other,
                &[&[
                    "ageing-time",
                    "aging-time",
                    "forward-delay",
                    "hello-time",
                    "max-age",
                    "priority",
                    "stp",
                    "path-cost",
                    "port-priority",
                ]],
                &[],
            ),
        }
    }
    Some(p)
}

/// Resolves references between definitions: members, VLAN links, primaries, ports.
fn resolve(cx: &mut Ctx<'_>, raws: &mut [Raw]) {
    let ids: Vec<String> = raws.iter().map(|r| r.def.id.clone()).collect();
    let mut member_of: BTreeMap<String, (String, &'static str)> = BTreeMap::new();
    for raw in raws.iter() {
        let (kind, owner, path) = (raw.def.kind, raw.def.id.clone(), raw.path.clone());
        let what = if kind == InterfaceKind::Bond { "bond" } else { "bridge" };
        let members = raw.def.interfaces.clone();
        for (j, m) in members.iter().enumerate() {
            let rel = join_index(&join_key(&path, "interfaces"), j);
            if !ids.contains(m) {
                cx.err(
                    &rel,
                    format!("{owner}: interface \"{m}\" is not defined"),
                    Some(format!("define it under ethernets: {m}: {{}}")),
                );
                continue;
            }
            if let Some((other, other_kind)) = member_of.get(m) {
                cx.err(
                    &rel,
                    format!("{owner}: interface \"{m}\" is already assigned to {other_kind} {other}"),
                    Some("an interface can be a member of one bond or bridge only".into()),
                );
                continue;
            }
            if *m == owner {
                cx.err(&rel, format!("{owner}: an interface cannot be its own member"), None);
                continue;
            }
            member_of.insert(m.clone(), (owner.clone(), what));
        }
    }
    for raw in raws.iter_mut() {
        if let Some((owner, kind)) = member_of.get(&raw.def.id) {
            if *kind == "bond" {
                raw.def.bond = Some(owner.clone());
            } else {
                raw.def.bridge = Some(owner.clone());
            }
        }
    }
    // Primaries and bridge ports.
    let mut primaries = Vec::new();
    let mut ports = Vec::new();
    for raw in raws.iter() {
        if let Some(p) = raw.def.bond_parameters.as_ref().and_then(|b| b.primary.clone()) {
            let rel = join_key(&raw.bond_params_path, "primary");
            if !raw.def.interfaces.contains(&p) {
                if ids.contains(&p) {
                    cx.err(
                        &rel,
                        format!("{}: primary \"{p}\" is not a member of the bond", raw.def.id),
                        Some(format!("add {p} to interfaces, or pick one of: {}", raw.def.interfaces.join(", "))),
                    );
                } else {
                    cx.err(&rel, format!("{}: interface \"{p}\" is not defined", raw.def.id), None);
                }
            } else {
                primaries.push(p);
            }
        }
        for (iface, (port, path)) in &raw.ports {
            if !raw.def.interfaces.contains(iface) {
                cx.err(path, format!("{}: interface \"{iface}\" is not a port of this bridge", raw.def.id), None);
            } else {
                ports.push((iface.clone(), port.clone()));
            }
        }
    }
    for raw in raws.iter_mut() {
        if primaries.contains(&raw.def.id) {
            raw.def.primary_member = true;
        }
        if let Some((_, port)) = ports.iter().find(|(i, _)| *i == raw.def.id) {
            raw.def.bridge_port = Some(port.clone());
        }
    }
    for raw in raws.iter() {
        if let Some(link) = &raw.def.vlan_link {
            if !ids.contains(link) {
                cx.err(
                    &join_key(&raw.path, "link"),
                    format!("{}: interface \"{link}\" is not defined", raw.def.id),
                    Some(format!("define {link} under ethernets or bonds")),
                );
            }
        }
    }
}
