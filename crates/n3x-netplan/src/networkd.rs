//! [`Interface`] definitions → systemd-networkd units (`.network`, `.netdev`, `.link`).
//!
//! The keys and values are the ones netplan 0.106's networkd backend
//! (`src/networkd.c`) writes for the same definition, so a netplan file rendered here
//! configures networkd exactly as `netplan generate` would. Units are data
//! ([`Unit`]); [`Unit::render`] prints the INI text and the Nix renderer maps the same
//! sections onto `systemd.network.*`.

use n3x_core::networkplan::{ActivationMode, Interface, InterfaceKind, RouteDef, RuleDef};

/// The kind of networkd unit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum UnitKind {
    /// `.link` (udev: name and link settings of a NIC).
    Link,
    /// `.netdev` (a virtual device).
    Netdev,
    /// `.network` (addresses, routes, membership).
    Network,
}

impl UnitKind {
    /// The file suffix.
    pub fn suffix(self) -> &'static str {
        match self {
            UnitKind::Link => "link",
            UnitKind::Netdev => "netdev",
            UnitKind::Network => "network",
        }
    }
}

/// One `[Section]` with its `Key=Value` lines in order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Section {
    /// Section name, e.g. `Network`.
    pub name: String,
    /// Entries in order; keys may repeat.
    pub entries: Vec<(String, String)>,
}

impl Section {
    fn new(name: &str) -> Self {
        Section { name: name.to_string(), entries: Vec::new() }
    }
    fn add(&mut self, k: &str, v: impl Into<String>) {
        self.entries.push((k.to_string(), v.into()));
    }
}

/// One unit file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unit {
    /// The definition id it belongs to.
    pub id: String,
    /// Unit kind.
    pub kind: UnitKind,
    /// Sections in order.
    pub sections: Vec<Section>,
}

impl Unit {
    /// File name: `10-<id>.<suffix>`.
    pub fn file_name(&self) -> String {
        format!("{}.{}", self.stem(), self.kind.suffix())
    }
    /// The name without suffix (also the attribute name in `systemd.network.*`).
    pub fn stem(&self) -> String {
        format!("10-{}", self.id)
    }
    /// The INI text.
    pub fn render(&self) -> String {
        let mut out = String::new();
        for (i, s) in self.sections.iter().enumerate() {
            if i > 0 {
                out.push('\n');
            }
            out.push('[');
            out.push_str(&s.name);
            out.push_str("]\n");
            for (k, v) in &s.entries {
                out.push_str(k);
                out.push('=');
                out.push_str(v);
                out.push('\n');
            }
        }
        out
    }
}

/// Parses INI unit text back into sections (used to compare with other generators).
pub fn parse_unit_text(text: &str) -> Vec<Section> {
    let mut out: Vec<Section> = Vec::new();
    for line in text.lines() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') || line.starts_with(';') {
            continue;
        }
        if let Some(name) = line.strip_prefix('[').and_then(|l| l.strip_suffix(']')) {
            out.push(Section::new(name));
        } else if let (Some((k, v)), Some(s)) = (line.split_once('='), out.last_mut()) {
            s.add(k.trim(), v.trim());
        }
    }
    out
}

/// All units for a node's interfaces, in a stable order (per interface: link, netdev, network).
pub fn units(defs: &[Interface]) -> Vec<Unit> {
    let mut out = Vec::new();
    for d in defs {
        if let Some(u) = link_unit(d) {
            out.push(u);
        }
        if let Some(u) = netdev_unit(d) {
            out.push(u);
        }
        if let Some(u) = network_unit(d, defs) {
            out.push(u);
        }
    }
    out
}

fn match_section(d: &Interface, rename: bool) -> Section {
    let mut s = Section::new("Match");
    // netplan matches an ethernet without `match:` by its id (`original_name`).
    let original_name = match &d.matches {
        Some(m) => m.name.clone(),
        None if !d.kind.is_virtual() => Some(d.id.clone()),
        None => None,
    };
    if let Some(m) = &d.matches {
        if !m.driver.is_empty() {
            s.add("Driver", m.driver.join(" "));
        }
        if let Some(mac) = &m.macaddress {
            s.add("PermanentMACAddress", mac.to_string());
        }
    }
    if !rename {
        if let Some(n) = &original_name {
            s.add("OriginalName", n.clone());
        }
    }
    if rename {
        if d.kind.is_virtual() {
            s.add("Name", d.id.clone());
        } else if let Some(n) = &d.set_name {
            s.add("Name", n.clone());
        } else if let Some(n) = &original_name {
            s.add("Name", n.clone());
        }
    }
    s
}

fn link_unit(d: &Interface) -> Option<Unit> {
    if d.kind.is_virtual() || (d.set_name.is_none() && !d.wakeonlan && d.mtu.is_none()) {
        return None;
    }
    let mut link = Section::new("Link");
    if let Some(n) = &d.set_name {
        link.add("Name", n.clone());
    }
    link.add("WakeOnLan", if d.wakeonlan { "magic" } else { "off" });
    if let Some(m) = d.mtu {
        link.add("MTUBytes", m.to_string());
    }
    Some(Unit { id: d.id.clone(), kind: UnitKind::Link, sections: vec![match_section(d, false), link] })
}

fn with_ms(v: &str) -> String {
    if v.bytes().all(|b| b.is_ascii_digit()) {
        format!("{v}ms")
    } else {
        v.to_string()
    }
}

fn netdev_unit(d: &Interface) -> Option<Unit> {
    if !d.kind.is_virtual() {
        return None;
    }
    let mut nd = Section::new("NetDev");
    nd.add("Name", d.id.clone());
    if let Some(m) = &d.macaddress {
        nd.add("MACAddress", m.to_string());
    }
    if let Some(m) = d.mtu {
        nd.add("MTUBytes", m.to_string());
    }
    let mut sections = Vec::new();
    match d.kind {
        InterfaceKind::Bridge => {
            nd.add("Kind", "bridge");
            sections.push(nd);
            if let Some(p) = &d.bridge_parameters {
                let mut b = Section::new("Bridge");
                if let Some(v) = p.ageing_time {
                    b.add("AgeingTimeSec", v.to_string());
                }
                if let Some(v) = p.priority {
                    b.add("Priority", v.to_string());
                }
                if let Some(v) = p.forward_delay {
                    b.add("ForwardDelaySec", v.to_string());
                }
                if let Some(v) = p.hello_time {
                    b.add("HelloTimeSec", v.to_string());
                }
                if let Some(v) = p.max_age {
                    b.add("MaxAgeSec", v.to_string());
                }
                b.add("STP", if p.stp { "true" } else { "false" });
                sections.push(b);
            }
        }
        InterfaceKind::Bond => {
            nd.add("Kind", "bond");
            sections.push(nd);
            if let Some(p) = &d.bond_parameters {
                let mut b = Section::new("Bond");
                if let Some(m) = p.mode {
                    b.add("Mode", m.as_str());
                }
                if let Some(r) = p.lacp_rate {
                    b.add("LACPTransmitRate", if r == n3x_core::model::LacpRate::Fast { "fast" } else { "slow" });
                }
                if let Some(v) = &p.mii_monitor_interval {
                    b.add("MIIMonitorSec", with_ms(v));
                }
                if let Some(v) = p.min_links.filter(|v| *v > 0) {
                    b.add("MinLinks", v.to_string());
                }
                if let Some(v) = p.transmit_hash_policy {
                    b.add("TransmitHashPolicy", v.as_str());
                }
                if let Some(v) = &p.ad_select {
                    b.add("AdSelect", v.clone());
                }
                if p.all_members_active == Some(true) {
                    b.add("AllSlavesActive", "1");
                }
                if let Some(v) = &p.arp_interval {
                    b.add("ARPIntervalSec", with_ms(v));
                }
                if !p.arp_ip_targets.is_empty() {
                    let t: Vec<String> = p.arp_ip_targets.iter().map(|i| i.to_string()).collect();
                    b.add("ARPIPTargets", t.join(" "));
                }
                if let Some(v) = &p.arp_validate {
                    b.add("ARPValidate", v.clone());
                }
                if let Some(v) = &p.arp_all_targets {
                    b.add("ARPAllTargets", v.clone());
                }
                if let Some(v) = &p.up_delay {
                    b.add("UpDelaySec", with_ms(v));
                }
                if let Some(v) = &p.down_delay {
                    b.add("DownDelaySec", with_ms(v));
                }
                if let Some(v) = &p.fail_over_mac_policy {
                    b.add("FailOverMACPolicy", v.clone());
                }
                if let Some(v) = p.gratuitous_arp.filter(|v| *v > 0) {
                    b.add("GratuitousARP", v.to_string());
                }
                if let Some(v) = p.packets_per_member.filter(|v| *v > 0) {
                    b.add("PacketsPerSlave", v.to_string());
                }
                if let Some(v) = &p.primary_reselect_policy {
                    b.add("PrimaryReselectPolicy", v.clone());
                }
                if let Some(v) = p.resend_igmp.filter(|v| *v > 0) {
                    b.add("ResendIGMP", v.to_string());
                }
                if let Some(v) = &p.learn_packet_interval {
                    b.add("LearnPacketIntervalSec", v.clone());
                }
                if !b.entries.is_empty() {
                    sections.push(b);
                }
            }
        }
        InterfaceKind::Vlan => {
            nd.add("Kind", "vlan");
            sections.push(nd);
            let mut v = Section::new("VLAN");
            v.add("Id", d.vlan_id.unwrap_or(0).to_string());
            sections.push(v);
        }
        InterfaceKind::Ethernet => return None,
    }
    Some(Unit { id: d.id.clone(), kind: UnitKind::Netdev, sections })
}

fn route_section(r: &RouteDef) -> Section {
    let mut s = Section::new("Route");
    let to = if r.to == "default" {
        let v4 = match (r.via, r.from) {
            (Some(ip), _) | (None, Some(ip)) => ip.is_ipv4(),
            (None, None) => true,
        };
        if v4 { "0.0.0.0/0" } else { "::/0" }.to_string()
    } else {
        r.to.clone()
    };
    s.add("Destination", to);
    if let Some(v) = r.via {
        s.add("Gateway", v.to_string());
    }
    if let Some(f) = r.from {
        s.add("PreferredSource", f.to_string());
    }
    if r.scope != "global" {
        s.add("Scope", r.scope.clone());
    }
    if r.route_type != "unicast" {
        s.add("Type", r.route_type.clone());
    }
    if r.on_link {
        s.add("GatewayOnLink", "true");
    }
    if let Some(m) = r.metric {
        s.add("Metric", m.to_string());
    }
    if let Some(t) = r.table {
        s.add("Table", t.to_string());
    }
    if let Some(m) = r.mtu {
        s.add("MTUBytes", m.to_string());
    }
    s
}

fn rule_section(r: &RuleDef) -> Section {
    let mut s = Section::new("RoutingPolicyRule");
    if let Some(v) = &r.from {
        s.add("From", v.clone());
    }
    if let Some(v) = &r.to {
        s.add("To", v.clone());
    }
    if let Some(v) = r.table {
        s.add("Table", v.to_string());
    }
    if let Some(v) = r.priority {
        s.add("Priority", v.to_string());
    }
    if let Some(v) = r.mark {
        s.add("FirewallMark", v.to_string());
    }
    if let Some(v) = r.type_of_service {
        s.add("TypeOfService", v.to_string());
    }
    s
}

fn network_unit(d: &Interface, all: &[Interface]) -> Option<Unit> {
    let mut link = Section::new("Link");
    let mut net = Section::new("Network");
    let mut optional = d.optional;
    if let Some(m) = d.activation_mode {
        link.add("ActivationPolicy", if m == ActivationMode::Manual { "manual" } else { "always-down" });
        // netplan: an activation mode makes the link optional, or boot would wait for it.
        optional = true;
    }
    if optional {
        link.add("RequiredForOnline", "no");
    }
    if let Some(m) = d.mtu {
        link.add("MTUBytes", m.to_string());
    }
    if let Some(m) = &d.macaddress {
        link.add("MACAddress", m.to_string());
    }
    if d.emit_lldp {
        net.add("EmitLLDP", "true");
    }
    match (d.dhcp4, d.dhcp6) {
        (true, true) => net.add("DHCP", "yes"),
        (true, false) => net.add("DHCP", "ipv4"),
        (false, true) => net.add("DHCP", "ipv6"),
        (false, false) => {}
    }
    let member = d.bond.is_some() || d.bridge.is_some();
    let ll = match (member, d.link_local.ipv4, d.link_local.ipv6) {
        (false, true, true) => "yes",
        (false, true, false) => "ipv4",
        (false, false, true) => "ipv6",
        _ => "no",
    };
    net.add("LinkLocalAddressing", ll);
    for a in &d.addresses {
        net.add("Address", a.clone());
    }
    match d.accept_ra {
        Some(true) => net.add("IPv6AcceptRA", "yes"),
        Some(false) => net.add("IPv6AcceptRA", "no"),
        None => {}
    }
    if d.ipv6_privacy {
        net.add("IPv6PrivacyExtensions", "yes");
    }
    if let Some(g) = d.gateway4 {
        net.add("Gateway", g.to_string());
    }
    if let Some(g) = d.gateway6 {
        net.add("Gateway", g.to_string());
    }
    for n in &d.nameservers {
        net.add("DNS", n.to_string());
    }
    if !d.search.is_empty() {
        net.add("Domains", d.search.join(" "));
    }
    if let Some(m) = d.ipv6_mtu {
        net.add("IPv6MTUBytes", m.to_string());
    }
    if d.kind.is_virtual() || d.ignore_carrier {
        net.add("ConfigureWithoutCarrier", "yes");
    }
    let mut extra = Vec::new();
    if let Some(br) = &d.bridge {
        net.add("Bridge", br.clone());
        if let Some(p) = &d.bridge_port {
            let mut b = Section::new("Bridge");
            if let Some(c) = p.path_cost {
                b.add("Cost", c.to_string());
            }
            if let Some(c) = p.port_priority {
                b.add("Priority", c.to_string());
            }
            if !b.entries.is_empty() {
                extra.push(b);
            }
        }
    }
    if let Some(b) = &d.bond {
        net.add("Bond", b.clone());
        if d.primary_member {
            net.add("PrimarySlave", "true");
        }
    }
    for v in all.iter().filter(|v| v.kind == InterfaceKind::Vlan && v.vlan_link.as_deref() == Some(&d.id)) {
        net.add("VLAN", v.id.clone());
    }
    for r in &d.routes {
        extra.push(route_section(r));
    }
    for r in &d.routing_policy {
        extra.push(rule_section(r));
    }
    for a in &d.address_options {
        let mut s = Section::new("Address");
        s.add("Address", a.address.clone());
        if let Some(l) = &a.lifetime {
            s.add("PreferredLifetime", l.clone());
        }
        if let Some(l) = &a.label {
            s.add("Label", l.clone());
        }
        extra.push(s);
    }
    if d.dhcp4 || d.dhcp6 || d.critical {
        let mut s = Section::new("DHCP");
        if d.critical {
            s.add("CriticalConnection", "true");
        }
        if d.dhcp4 || d.dhcp6 {
            if let Some(id) = &d.dhcp_identifier {
                s.add("ClientIdentifier", id.clone());
            }
            // The parser has checked that both sets agree when both clients run.
            let o = if d.dhcp4 { &d.dhcp4_overrides } else { &d.dhcp6_overrides };
            s.add("RouteMetric", o.route_metric.unwrap_or(100).to_string());
            s.add("UseMTU", if o.use_mtu { "true" } else { "false" });
            if !o.use_routes {
                s.add("UseRoutes", "false");
            }
            if !o.use_dns {
                s.add("UseDNS", "false");
            }
            if let Some(v) = &o.use_domains {
                s.add("UseDomains", v.clone());
            }
            if !o.use_ntp {
                s.add("UseNTP", "false");
            }
            if !o.send_hostname {
                s.add("SendHostname", "false");
            }
            if !o.use_hostname {
                s.add("UseHostname", "false");
            }
            if let Some(h) = &o.hostname {
                s.add("Hostname", h.clone());
            }
        }
        extra.push(s);
    }
    let mut sections = vec![match_section(d, true)];
    if !link.entries.is_empty() {
        sections.push(link);
    }
    sections.push(net);
    sections.extend(extra);
    Some(Unit { id: d.id.clone(), kind: UnitKind::Network, sections })
}
