//! Property tests of n3x-inventory's own parsers (proptest; small case counts):
//! - hosts CSV (`csv_import::import`): arbitrary text never panics and every refusal
//!   names a CSV line and column; generated host tables (any column order, any
//!   quoting) import to the nodes they describe, deterministically, and the inventory
//!   they give passes `check` (the import's promise);
//! - the probe's parsers of `/proc/meminfo`, `/dev/disk/by-id` listings, `lsblk -J -b`
//!   and `ip -j addr` output: arbitrary text or JSON never panics them, and generated
//!   tool output is read back field for field.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use n3x_core::normalize::load_cluster;
use n3x_core::Document;
use n3x_inventory::csv_import::{import, ImportOptions};
use n3x_inventory::probe::{parse_by_id, parse_ip_addr, parse_lsblk, parse_meminfo};
use proptest::prelude::*;
use proptest::test_runner::Config;
use serde_json::{json, Value};

/// `n` cases, unless `PROPTEST_CASES` asks for more (a longer local fuzzing run).
fn cases(n: u32) -> Config {
    if std::env::var_os("PROPTEST_CASES").is_some() {
        Config::default()
    } else {
        Config { cases: n, ..Config::default() }
    }
}

fn opts() -> ImportOptions {
    ImportOptions { cluster_name: "lab".parse().unwrap(), network: None, gateway: Some("10.20.0.1".parse().unwrap()) }
}

// ---------------------------------------------------------------------------
// Hosts CSV

const CSV_FRAGMENTS: &[&str] = &[
    "name,role,address\n",
    "name,role,address,hardware,disk,disk_size,layout,memory,mac,interface,labels,host_key,ssh_host,ssh_user,longhorn\n",
    "s1,server,10.20.0.11\n",
    "a1,agent,10.20.0.12\n",
    "name",
    "role",
    "address",
    "labels",
    "mac",
    "disk_size",
    ",",
    ",,",
    "\"",
    "\"\"",
    "\n",
    "\r\n",
    "\r",
    " ",
    ";",
    "=",
    "k=v;k2=v2",
    "server",
    "agent",
    "10.20.0.",
    "::1",
    "3c:ec:ef:10:00:01",
    "512GB",
    "18446744073709551615",
    "n100",
    "true",
    "maybe",
    "\u{feff}",
    "é",
    "#",
];

fn csv_text() -> impl Strategy<Value = String> {
    prop_oneof![
        any::<String>(),
        prop::collection::vec(prop::sample::select(CSV_FRAGMENTS), 0..40).prop_map(|v| v.concat()),
        // A valid header, then fragments: exercises the row path rather than the header.
        prop::collection::vec(prop::sample::select(CSV_FRAGMENTS), 0..30)
            .prop_map(|v| format!("name,role,address,labels,memory\n{}", v.concat())),
    ]
}

proptest! {
    #![proptest_config(cases(256))]

    #[test]
    fn csv_arbitrary_text_never_panics_and_every_refusal_is_located(text in csv_text()) {
        if let Err(diags) = import("hosts.csv", &text, &opts()) {
            prop_assert!(!diags.0.is_empty());
            for d in diags.0.iter().filter(|d| d.severity == n3x_core::Severity::Error) {
                prop_assert!(!d.message.is_empty());
                let loc = d.location.as_ref();
                prop_assert!(loc.is_some(), "unlocated: {d:?}\ninput: {text:?}");
                let loc = loc.unwrap();
                prop_assert!(loc.line >= 1 && loc.column >= 1, "position {}:{} for {d:?}\ninput: {text:?}", loc.line, loc.column);
            }
        }
    }
}

/// One host: role is server for the first row; the rest are free.
#[derive(Debug, Clone)]
struct Host {
    server: bool,
    hardware: &'static str,
    memory_gib: u64,
    disk_gb: u64,
    interface: String,
    labels: Vec<(String, String)>,
}

fn host() -> impl Strategy<Value = Host> {
    (
        any::<bool>(),
        prop::sample::select(&["n100", "generic-x86_64", "generic-aarch64"][..]),
        2u64..128,
        128u64..8000,
        "(eno|enp|eth)[0-9]{1,2}",
        prop::collection::vec(("[a-z][a-z0-9]{0,6}", "[a-z0-9]([a-z0-9.-]{0,6}[a-z0-9])?"), 0..3),
    )
        .prop_map(|(server, hardware, memory_gib, disk_gb, interface, labels)| Host {
            server,
            hardware,
            memory_gib,
            disk_gb,
            interface,
            labels,
        })
}

/// A CSV field, quoted when `quote` says so (doubling inner quotes).
fn field(v: &str, quote: bool) -> String {
    if quote || v.contains([',', '"', '\n']) {
        format!("\"{}\"", v.replace('"', "\"\""))
    } else {
        v.to_string()
    }
}

const COLS: &[&str] = &["name", "role", "address", "hardware", "disk", "disk_size", "memory", "interface", "labels"];

/// A hosts table: the columns in a random order, random quoting, random header case.
fn table() -> impl Strategy<Value = (Vec<Host>, String)> {
    (
        prop::collection::vec(host(), 1..8),
        Just(COLS.to_vec()).prop_shuffle(),
        prop::collection::vec(any::<bool>(), 64),
        any::<bool>(),
    )
        .prop_map(|(hosts, cols, quotes, upper)| {
            let mut q = quotes.into_iter().cycle();
            let header: Vec<String> =
                cols.iter().map(|c| if upper { c.to_ascii_uppercase() } else { c.to_string() }).collect();
            let mut text = header.join(",") + "\n";
            for (i, h) in hosts.iter().enumerate() {
                let labels: Vec<String> = h.labels.iter().map(|(k, v)| format!("{k}={v}")).collect();
                let row: Vec<String> = cols
                    .iter()
                    .map(|c| {
                        let v = match *c {
                            "name" => format!("node-{i}"),
                            "role" => (if i == 0 || h.server { "server" } else { "agent" }).to_string(),
                            "address" => format!("10.20.0.{}", 10 + i),
                            "hardware" => h.hardware.to_string(),
                            "disk" => format!("/dev/disk/by-id/nvme-TEST_{i:04}"),
                            "disk_size" => format!("{}GB", h.disk_gb),
                            "memory" => format!("{}GiB", h.memory_gib),
                            "interface" => h.interface.clone(),
                            "labels" => labels.join(";"),
                            _ => unreachable!(),
                        };
                        field(&v, q.next().unwrap_or(false))
                    })
                    .collect();
                text.push_str(&row.join(","));
                text.push('\n');
            }
            (hosts, text)
        })
}

proptest! {
    #![proptest_config(cases(64))]

    #[test]
    fn generated_host_tables_import_to_the_nodes_they_describe((hosts, text) in table()) {
        let inv = import("hosts.csv", &text, &opts());
        prop_assert!(inv.is_ok(), "refused: {:?}\n{text}", inv.err());
        let inv = inv.unwrap();
        prop_assert_eq!(inv.nodes.len(), hosts.len());
        for (i, (n, h)) in inv.nodes.iter().zip(&hosts).enumerate() {
            prop_assert_eq!(n.name.as_str(), format!("node-{i}"));
            prop_assert_eq!(n.addresses["cluster"].to_string(), format!("10.20.0.{}", 10 + i));
            prop_assert_eq!(n.memory.map(|m| m.bytes()), Some(h.memory_gib << 30));
            prop_assert_eq!(n.labels.len(), h.labels.iter().map(|(k, _)| k).collect::<std::collections::BTreeSet<_>>().len());
        }
        // Deterministic, and what it prints passes check (normalize) unchanged.
        let yaml = n3x_core::io::to_yaml(&inv).unwrap();
        prop_assert_eq!(&yaml, &n3x_core::io::to_yaml(&import("hosts.csv", &text, &opts()).unwrap()).unwrap());
        let doc = Document::parse("inventory.yaml", &yaml).unwrap();
        let cluster = load_cluster(&doc);
        prop_assert!(cluster.is_ok(), "the imported inventory is refused: {:?}\n{yaml}", cluster.err());
        prop_assert_eq!(cluster.unwrap().0.nodes.len(), hosts.len());
    }
}

// ---------------------------------------------------------------------------
// Probe output (Facts)

/// JSON shaped like `lsblk -J` / `ip -j` output with hostile values in every field.
fn tool_json() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(|i| json!(i)),
        any::<u64>().prop_map(|i| json!(i)),
        any::<f64>().prop_filter("finite", |f| f.is_finite()).prop_map(|f| json!(f)),
        prop::sample::select(&["disk", "part", "rom", "ether", "loopback", "1", "0", "true", "", " ", "x"][..])
            .prop_map(|s| json!(s)),
        any::<String>().prop_map(Value::String),
    ];
    let keys = prop::sample::select(
        &[
            "blockdevices",
            "name",
            "path",
            "size",
            "model",
            "serial",
            "rota",
            "rm",
            "type",
            "ifname",
            "link_type",
            "address",
            "permaddr",
            "operstate",
            "addr_info",
            "local",
            "prefixlen",
        ][..],
    );
    leaf.prop_recursive(4, 64, 8, move |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..8).prop_map(Value::Array),
            prop::collection::btree_map(keys.clone(), inner, 0..10)
                .prop_map(|m| Value::Object(m.into_iter().map(|(k, v)| (k.to_string(), v)).collect())),
        ]
    })
}

proptest! {
    #![proptest_config(cases(256))]

    #[test]
    fn probe_parsers_never_panic_on_arbitrary_output(text in any::<String>(), v in tool_json()) {
        let _ = parse_meminfo(&text);
        let by_id = parse_by_id(&text);
        let _ = parse_lsblk(&text, &by_id);
        let _ = parse_ip_addr(&text);
        let s = v.to_string();
        let _ = parse_lsblk(&s, &by_id);
        let _ = parse_lsblk(&json!({"blockdevices": [v.clone()]}).to_string(), &[]);
        let _ = parse_ip_addr(&s);
        let _ = parse_ip_addr(&json!([v]).to_string());
        let _ = parse_meminfo(&format!("MemTotal: {text} kB\n"));
    }
}

#[derive(Debug, Clone)]
struct Dev {
    name: String,
    size: u64,
    model: Option<String>,
    kind: &'static str,
    rota: bool,
    rota_as_string: bool,
}

fn dev() -> impl Strategy<Value = Dev> {
    (
        "(sd[a-z]|nvme[0-9]n[1-3]|mmcblk[0-9])",
        any::<u64>(),
        prop::option::of("[A-Za-z0-9][A-Za-z0-9 _-]{0,20}"),
        prop::sample::select(&["disk", "disk", "part", "rom", "loop"][..]),
        any::<bool>(),
        any::<bool>(),
    )
        .prop_map(|(name, size, model, kind, rota, rota_as_string)| Dev {
            name,
            size,
            model,
            kind,
            rota,
            rota_as_string,
        })
}

proptest! {
    #![proptest_config(cases(128))]

    #[test]
    fn generated_lsblk_output_is_read_back(devs in prop::collection::vec(dev(), 0..8), mem_kb in 0u64..(u64::MAX >> 10)) {
        let devices: Vec<Value> = devs
            .iter()
            .map(|d| {
                let rota = if d.rota_as_string { json!(if d.rota { "1" } else { "0" }) } else { json!(d.rota) };
                json!({"name": d.name, "path": format!("/dev/{}", d.name), "size": d.size, "model": d.model,
                       "serial": null, "rota": rota, "rm": false, "type": d.kind})
            })
            .collect();
        let by_id: Vec<(String, String)> =
            devs.iter().map(|d| (format!("/dev/disk/by-id/x-{}", d.name), format!("/dev/{}", d.name))).collect();
        let text = serde_json::to_string_pretty(&json!({"blockdevices": devices})).unwrap();
        let disks = parse_lsblk(&text, &by_id).unwrap();
        let want: Vec<&Dev> = devs.iter().filter(|d| d.kind == "disk").collect();
        prop_assert_eq!(disks.len(), want.len());
        for (got, d) in disks.iter().zip(want) {
            prop_assert_eq!(&got.name, &d.name);
            prop_assert_eq!(got.size, d.size);
            prop_assert_eq!(got.model.as_deref(), d.model.as_deref().map(str::trim).filter(|m| !m.is_empty()));
            prop_assert_eq!(got.rotational, d.rota);
            let id = format!("/dev/disk/by-id/x-{}", d.name);
            prop_assert!(got.by_id.contains(&id), "{:?} lacks {}", got.by_id, id);
        }
        let mem = parse_meminfo(&format!("MemFree: 1 kB\nMemTotal:   {mem_kb} kB\n")).unwrap();
        prop_assert_eq!(mem, mem_kb * 1024);
    }

    #[test]
    fn generated_ip_output_is_read_back(
        links in prop::collection::vec(("[a-z][a-z0-9]{1,14}", any::<bool>(), any::<[u8; 6]>(), prop::option::of(any::<[u8; 6]>()),
                                        prop::collection::vec((any::<[u8; 4]>(), 0u8..=32), 0..3)), 0..6)
    ) {
        let mac = |b: &[u8; 6]| b.iter().map(|x| format!("{x:02x}")).collect::<Vec<_>>().join(":");
        let json_links: Vec<Value> = links
            .iter()
            .map(|(name, ether, addr, perm, addrs)| {
                let mut l = json!({"ifname": name, "link_type": if *ether { "ether" } else { "loopback" },
                                   "address": mac(addr), "operstate": "UP"});
                if let Some(p) = perm {
                    l["permaddr"] = json!(mac(p));
                }
                l["addr_info"] = addrs
                    .iter()
                    .map(|(ip, len)| json!({"local": std::net::Ipv4Addr::from(*ip).to_string(), "prefixlen": len}))
                    .collect();
                l
            })
            .collect();
        let nics = parse_ip_addr(&Value::Array(json_links).to_string()).unwrap();
        let want: Vec<_> = links.iter().filter(|l| l.1).collect();
        prop_assert_eq!(nics.len(), want.len());
        for (n, (name, _, addr, perm, addrs)) in nics.iter().zip(want) {
            prop_assert_eq!(&n.name, name);
            // The permanent MAC wins over the current one (a bond rewrites the latter).
            prop_assert_eq!(n.mac.map(|m| m.to_string()), Some(mac(perm.as_ref().unwrap_or(addr))));
            let want_addrs: Vec<String> =
                addrs.iter().map(|(ip, len)| format!("{}/{len}", std::net::Ipv4Addr::from(*ip))).collect();
            prop_assert_eq!(&n.addresses, &want_addrs);
        }
    }
}
