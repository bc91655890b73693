//! Property tests of the netplan reader (proptest; small case counts):
//! - arbitrary text (random, netplan-ish fragments, mutations of a valid file) never
//!   panics the reader or the planner, every refusal carries a position, and whatever
//!   is accepted renders to networkd units whose every line is a section header, a
//!   `Key=Value` setting, a comment or blank, with no control character anywhere;
//! - a generated valid netplan file (NICs, a bond, VLANs, addresses, routes, DNS)
//!   configures networkd exactly as netplan's own generator does (the real
//!   `netplan generate`, compared unit by unit).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::{diff, n3x_units, netplan_generate};
use n3x_core::Document;
use proptest::prelude::*;
use proptest::test_runner::Config;

/// `n` cases, unless `PROPTEST_CASES` asks for more (a longer local fuzzing run).
fn cases(n: u32) -> Config {
    if std::env::var_os("PROPTEST_CASES").is_some() {
        Config::default()
    } else {
        Config { cases: n, ..Config::default() }
    }
}

const BASE: &str = "network:
  version: 2
  ethernets:
    enp1s0: {}
    enp2s0: {}
  bonds:
    bond0:
      interfaces: [enp1s0, enp2s0]
      parameters: {mode: 802.3ad, mii-monitor-interval: 100}
      addresses: [192.168.10.11/24]
      routes: [{to: default, via: 192.168.10.1}]
      nameservers: {addresses: [192.168.10.1], search: [lab.example]}
  vlans:
    bond0.20:
      id: 20
      link: bond0
      addresses: [10.0.20.11/24]
      mtu: 9000
";

const FRAGMENTS: &[&str] = &[
    "network:\n",
    "  version: 2\n",
    "  ethernets:\n",
    "  bonds:\n",
    "  vlans:\n",
    "  bridges:\n",
    "    eth0:\n",
    "    bond0:\n",
    "      addresses: [10.0.0.1/24]\n",
    "      dhcp4: true\n",
    "      mtu: 70000\n",
    "      id: 4095\n",
    "      link: eth0\n",
    "      interfaces: [eth0, eth0]\n",
    "      routes: [{to: default, via: 10.0.0.254}]\n",
    "      nameservers: {search: [\"a\\nb\"]}\n",
    "      match: {macaddress: 3c:ec:ef:10:00:01}\n",
    "      set-name: \"x\\n[Network]\"\n",
    "      parameters: {mode: bogus}\n",
    "renderer: NetworkManager\n",
    ": ",
    "\n",
    "  ",
    "[",
    "]",
    "{",
    "}",
    ",",
    "\"",
    "&a ",
    "*a",
    "~",
    "- ",
    "\\n",
    "\u{2028}",
    "é",
];

fn netplan_text() -> impl Strategy<Value = String> {
    let mutated =
        prop::collection::vec((any::<prop::sample::Index>(), 0usize..8, prop::sample::select(FRAGMENTS)), 1..6)
            .prop_map(|edits| {
                let mut s: Vec<char> = BASE.chars().collect();
                for (at, del, ins) in edits {
                    let i = at.index(s.len() + 1);
                    let end = (i + del).min(s.len());
                    s.splice(i..end, ins.chars());
                }
                s.into_iter().collect::<String>()
            });
    prop_oneof![
        any::<String>(),
        prop::collection::vec(prop::sample::select(FRAGMENTS), 0..40).prop_map(|v| v.concat()),
        mutated,
    ]
}

/// A networkd unit line that is safe: blank, a comment, `[Section]` or `Key=Value`
/// with a plain key, and no control character at all.
fn safe_unit_line(line: &str) -> bool {
    if line.chars().any(|c| c.is_control() && c != '\t') || line.contains(['\u{2028}', '\u{2029}']) {
        return false;
    }
    let l = line.trim();
    if l.is_empty() || l.starts_with('#') {
        return true;
    }
    if let Some(name) = l.strip_prefix('[').and_then(|r| r.strip_suffix(']')) {
        return !name.is_empty() && name.chars().all(|c| c.is_ascii_alphanumeric());
    }
    match l.split_once('=') {
        Some((k, _)) => !k.is_empty() && k.chars().all(|c| c.is_ascii_alphanumeric()),
        None => false,
    }
}

proptest! {
    #![proptest_config(cases(256))]

    #[test]
    fn arbitrary_netplan_text_never_panics_and_renders_only_safe_lines(text in netplan_text()) {
        let doc = match Document::parse("x.yaml", &text) {
            Ok(d) => d,
            Err(_) => return Ok(()), // the reader's own properties are n3x-core's prop tests
        };
        match n3x_netplan::plan_netplan(&doc, "x") {
            Err(diags) => {
                for d in diags.0.iter().filter(|d| d.severity == n3x_core::Severity::Error) {
                    prop_assert!(!d.message.is_empty());
                    prop_assert!(d.location.is_some(), "unlocated: {d:?}\ninput: {text:?}");
                }
            }
            Ok((plan, _)) => {
                for n in &plan.nodes {
                    for (name, unit) in n3x_netplan::networkd_files(n, "x.yaml") {
                        prop_assert!(!name.contains(['/', '\n', '\0']), "unit file name {name:?}");
                        for line in unit.lines() {
                            prop_assert!(safe_unit_line(line), "{name}: unsafe line {line:?}\ninput: {text:?}\n{unit}");
                        }
                    }
                }
            }
        }
    }
}

/// Text an attacker controls: line breaks of every kind, `[Section]` and `Key=` lines,
/// other control characters, mixed with arbitrary characters.
fn hostile_name() -> impl Strategy<Value = String> {
    let piece = prop_oneof![
        prop::sample::select(
            &[
                "\n",
                "\r",
                "\u{b}",
                "\u{c}",
                "\u{85}",
                "\u{2028}",
                "\u{2029}",
                "[Network]",
                "[Route]",
                "DNS=6.6.6.6",
                "Gateway=6.6.6.6",
                "=",
                " ",
                "#",
                ";",
                "\"",
                "\\",
                "eth0",
                "lab.example",
                ".",
                "-",
                "_"
            ][..]
        )
        .prop_map(str::to_string),
        any::<char>().prop_map(String::from),
    ];
    prop::collection::vec(piece, 1..8).prop_map(|v| v.concat())
}

proptest! {
    #![proptest_config(cases(256))]

    #[test]
    fn hostile_names_are_refused_or_rendered_as_single_lines(name in hostile_name(), place in 0usize..4) {
        // The name goes where it reaches a unit: an interface id, set-name, a search
        // domain, an address label.
        let q = serde_json::to_string(&name).unwrap();
        let yaml = match place {
            0 => format!("network:\n  version: 2\n  ethernets:\n    {q}:\n      addresses: [10.0.0.2/24]\n"),
            1 => format!("network:\n  version: 2\n  ethernets:\n    eth0:\n      match: {{macaddress: 3c:ec:ef:10:00:01}}\n      set-name: {q}\n"),
            2 => format!("network:\n  version: 2\n  ethernets:\n    eth0:\n      addresses: [10.0.0.2/24]\n      nameservers: {{search: [{q}]}}\n"),
            _ => format!("network:\n  version: 2\n  ethernets:\n    eth0:\n      addresses: [{{10.0.0.2/24: {{label: {q}}}}}]\n"),
        };
        let doc = match Document::parse("x.yaml", &yaml) {
            Ok(d) => d,
            Err(e) => {
                // Only a NUL keeps the quoted name from being valid YAML (and is refused).
                prop_assert!(name.contains('\0'), "the YAML itself is fine: {e:?}\n{yaml}");
                return Ok(());
            }
        };
        if let Ok((plan, _)) = n3x_netplan::plan_netplan(&doc, "x") {
            for n in &plan.nodes {
                for (file, unit) in n3x_netplan::networkd_files(n, "x.yaml") {
                    prop_assert!(!file.contains(['/', '\n', '\0']), "unit file name {file:?}");
                    for line in unit.lines() {
                        prop_assert!(safe_unit_line(line), "{file}: unsafe line {line:?}\n{yaml}\n{unit}");
                    }
                }
            }
        }
    }
}

// ---------------------------------------------------------------------------
// Generated valid files against netplan's own generator

#[derive(Debug, Clone)]
struct Spec {
    nics: usize,
    bond_mode: Option<&'static str>,
    dhcp: bool,
    host: u8,
    prefix: u8,
    mtu: Option<u16>,
    dns: Vec<[u8; 4]>,
    search: Vec<String>,
    vlans: Vec<(u16, u8, Option<u16>)>,
    default_route: bool,
}

fn spec() -> impl Strategy<Value = Spec> {
    (
        1usize..4,
        prop::option::of(prop::sample::select(
            &["active-backup", "802.3ad", "balance-rr", "balance-xor", "balance-alb", "balance-tlb"][..],
        )),
        any::<bool>(),
        2u8..250,
        prop::sample::select(&[16u8, 20, 24][..]),
        prop::option::of(prop::sample::select(&[1280u16, 1500, 9000][..])),
        prop::collection::vec(
            any::<[u8; 4]>().prop_map(|mut a| {
                a[0] = a[0].clamp(1, 223);
                a
            }),
            0..3,
        ),
        prop::collection::vec("[a-z]{1,8}(\\.[a-z]{2,6}){0,2}", 0..3),
        prop::collection::btree_map(
            2u16..4094,
            (1u8..250, prop::option::of(prop::sample::select(&[1400u16, 1500][..]))),
            0..3,
        ),
        any::<bool>(),
    )
        .prop_map(|(nics, bond_mode, dhcp, host, prefix, mtu, dns, search, vlans, default_route)| Spec {
            nics,
            bond_mode: if nics >= 2 { bond_mode } else { None },
            dhcp,
            host,
            prefix,
            mtu,
            dns,
            search,
            vlans: vlans.into_iter().map(|(id, (h, m))| (id, h, m)).collect(),
            default_route,
        })
}

/// The netplan YAML of a spec.
fn render_spec(s: &Spec) -> String {
    let ip = |a: [u8; 4]| std::net::Ipv4Addr::from(a).to_string();
    let mut y = String::from("network:\n  version: 2\n  ethernets:\n");
    let nics: Vec<String> = (0..s.nics).map(|i| format!("enp{}s0", i + 1)).collect();
    let main = if s.bond_mode.is_some() { "bond0".to_string() } else { nics[0].clone() };
    let mut config = String::new();
    if s.dhcp {
        config.push_str("      dhcp4: true\n");
    } else {
        config.push_str(&format!("      addresses: [10.1.0.{}/{}]\n", s.host, s.prefix));
        if s.default_route {
            config.push_str("      routes: [{to: default, via: 10.1.0.1}]\n");
        }
    }
    if let Some(m) = s.mtu {
        config.push_str(&format!("      mtu: {m}\n"));
    }
    if !s.dns.is_empty() || !s.search.is_empty() {
        config.push_str("      nameservers:\n");
        if !s.dns.is_empty() {
            let list: Vec<String> = s.dns.iter().map(|a| ip(*a)).collect();
            config.push_str(&format!("        addresses: [{}]\n", list.join(", ")));
        }
        if !s.search.is_empty() {
            config.push_str(&format!("        search: [{}]\n", s.search.join(", ")));
        }
    }
    for n in &nics {
        if *n == main {
            y.push_str(&format!("    {n}:\n{config}"));
        } else if s.bond_mode.is_some() {
            // n3x asks members to carry the bond's MTU (netplan would not insist).
            match s.mtu {
                Some(m) => y.push_str(&format!("    {n}: {{mtu: {m}}}\n")),
                None => y.push_str(&format!("    {n}: {{}}\n")),
            }
        } else {
            y.push_str(&format!("    {n}:\n      dhcp4: false\n"));
        }
    }
    if let Some(mode) = s.bond_mode {
        y.push_str("  bonds:\n    bond0:\n");
        y.push_str(&format!("      interfaces: [{}]\n", nics.join(", ")));
        y.push_str(&format!("      parameters: {{mode: {mode}, mii-monitor-interval: 100}}\n"));
        y.push_str(&config);
    }
    if !s.vlans.is_empty() {
        y.push_str("  vlans:\n");
        for (id, host, mtu) in &s.vlans {
            y.push_str(&format!("    {main}.{id}:\n      id: {id}\n      link: {main}\n"));
            y.push_str(&format!("      addresses: [10.2.{}.{host}/24]\n", id % 250));
            if let Some(m) = mtu {
                // A VLAN cannot be larger than its parent; keep it valid.
                let m = s.mtu.map_or(*m, |p| (*m).min(p));
                y.push_str(&format!("      mtu: {m}\n"));
            }
        }
    }
    y
}

proptest! {
    #![proptest_config(Config { max_shrink_iters: 32, ..cases(24) })]

    #[test]
    fn generated_netplan_configures_networkd_like_netplan_generate(s in spec()) {
        let Some(generator) = n3x_testkit::require(n3x_testkit::NETPLAN_GENERATE) else { return Ok(()) };
        let yaml = render_spec(&s);
        let doc = Document::parse("x.yaml", &yaml).unwrap();
        let planned = n3x_netplan::plan_netplan(&doc, "x");
        prop_assert!(planned.is_ok(), "n3x refused a valid file: {:?}\n{yaml}", planned.err());
        let (plan, _) = planned.unwrap();
        let ours = n3x_units(&plan.nodes[0].interfaces);
        let theirs = netplan_generate(&generator, &yaml);
        prop_assert!(theirs.is_ok(), "netplan refused it (generator bug): {:?}\n{yaml}", theirs.err());
        let theirs = theirs.unwrap();
        prop_assert!(!theirs.is_empty());
        if let Some(d) = diff(&ours, &theirs) {
            prop_assert!(false, "units differ:\n{d}\n{yaml}");
        }
    }
}

#[test]
fn hostile_name_places_accept_ordinary_names() {
    // The four places above are live: an ordinary name there is accepted and rendered,
    // so the property checks rendered lines and not only refusals.
    let yaml = "network:\n  version: 2\n  ethernets:\n    eth0:\n      addresses: [10.0.0.2/24]\n      nameservers: {search: [lab.example]}\n";
    let (plan, _) = n3x_netplan::plan_netplan(&Document::parse("x.yaml", yaml).unwrap(), "x").unwrap();
    let units = n3x_netplan::networkd_files(&plan.nodes[0], "x.yaml");
    assert_eq!(units.len(), 1);
    assert!(units[0].1.lines().any(|l| l == "Domains=lab.example"), "{}", units[0].1);
}
