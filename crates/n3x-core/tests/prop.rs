//! Property tests of n3x-core's parsers and printer (proptest; small case counts so the
//! whole file runs in seconds in a debug build):
//! - arbitrary text (random bytes, YAML-ish fragments, mutations of a valid inventory)
//!   never panics the one YAML/JSON reader, and every refusal carries a position;
//!   whatever parses never panics the decoder/normalizer either;
//! - a generated valid inventory reads the same as YAML and as JSON, normalizes to
//!   byte-identical JSON every time, and the Cluster it gives reads back unchanged;
//! - a generated Nix value, printed, parses with the real `nix-instantiate` and
//!   evaluates back to the JSON it was built from (many values in one call).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use n3x_core::nix::{Attrs, Nix, NixFile};
use n3x_core::normalize::load_cluster;
use n3x_core::Document;
use proptest::prelude::*;
use proptest::test_runner::Config;
use serde_json::{json, Map, Value};

/// `n` cases, unless `PROPTEST_CASES` asks for more (a longer local fuzzing run).
fn cases(n: u32) -> Config {
    if std::env::var_os("PROPTEST_CASES").is_some() {
        Config::default()
    } else {
        Config { cases: n, ..Config::default() }
    }
}

// ---------------------------------------------------------------------------
// Arbitrary text

/// A small valid inventory the mutations start from.
const BASE: &str = "apiVersion: n3x.dev/v1alpha1
kind: Inventory
cluster:
  name: lab
networks:
  cluster:
    cidr: 192.168.10.0/24
    gateway: 192.168.10.1
nodes:
  - name: s1
    role: server
    hardware: generic-x86_64
    memory: 16GiB
    addresses: {cluster: 192.168.10.11}
    network:
      interface: eno1
    disk:
      device: /dev/disk/by-id/nvme-TEST_0001
      size: 512GB
";

/// Pieces of YAML, JSON and n3x vocabulary that random concatenation turns into
/// near-misses: bad indentation, unclosed flows, anchors, tags, odd scalars.
const FRAGMENTS: &[&str] = &[
    "apiVersion: n3x.dev/v1alpha1\n",
    "kind: Inventory\n",
    "kind: Cluster\n",
    "cluster:\n",
    "  name: lab\n",
    "nodes:\n",
    "  - ",
    "name: s1\n",
    "role: server\n",
    "role: agent\n",
    "addresses: {cluster: 192.168.10.11}\n",
    "disk: {size: 18446744073709551615}\n",
    "swap: 99999999PiB\n",
    "networks: {cluster: {cidr: 192.168.10.0/24}}\n",
    ": ",
    "\n",
    "  ",
    "    ",
    "\t",
    "[",
    "]",
    "{",
    "}",
    ",",
    "\"",
    "'",
    "&a ",
    "*a",
    "&b [*a, *a]\n",
    "!!str ",
    "!!binary ",
    "!custom ",
    "? ",
    "---\n",
    "...\n",
    "# comment\n",
    "%YAML 1.2\n",
    "-1",
    "0x1F",
    "0o17",
    "1e999",
    "-9223372036854775809",
    "18446744073709551616",
    "1.5TiB",
    "~",
    "null",
    "true",
    "|\n",
    ">-\n",
    "\\",
    "\\u0000",
    "\"\\0\"",
    "\u{feff}",
    "é",
    "\u{2028}",
    "\r\n",
    "{\"a\": [1, 2, {\"b\": null}]}",
];

fn fragments() -> impl Strategy<Value = String> {
    prop::collection::vec(prop::sample::select(FRAGMENTS), 0..60).prop_map(|v| v.concat())
}

/// The base inventory with a few random edits (delete a span, insert a fragment).
fn mutated_base() -> impl Strategy<Value = String> {
    let edit = (any::<prop::sample::Index>(), 0usize..8, prop::sample::select(FRAGMENTS));
    prop::collection::vec(edit, 1..6).prop_map(|edits| {
        let mut s: Vec<char> = BASE.chars().collect();
        for (at, del, ins) in edits {
            let i = at.index(s.len() + 1);
            let end = (i + del).min(s.len());
            s.splice(i..end, ins.chars());
        }
        s.into_iter().collect()
    })
}

fn arbitrary_text() -> impl Strategy<Value = String> {
    prop_oneof![
        any::<String>(),
        prop::collection::vec(any::<u8>(), 0..200).prop_map(|b| String::from_utf8_lossy(&b).into_owned()),
        fragments(),
        mutated_base(),
    ]
}

proptest! {
    #![proptest_config(cases(256))]

    #[test]
    fn arbitrary_text_never_panics_and_every_refusal_is_located(text in arbitrary_text()) {
        match Document::parse("fuzz.yaml", &text) {
            Err(diags) => {
                prop_assert!(!diags.0.is_empty(), "a refusal without a diagnostic");
                for d in &diags.0 {
                    prop_assert!(!d.message.is_empty());
                    let loc = d.location.as_ref();
                    prop_assert!(loc.is_some(), "unlocated: {d:?}\ninput: {text:?}");
                    let loc = loc.unwrap();
                    prop_assert_eq!(loc.file.as_str(), "fuzz.yaml");
                    prop_assert!(loc.line >= 1 && loc.column >= 1, "position {}:{} in {text:?}", loc.line, loc.column);
                }
            }
            Ok(doc) => {
                // The decoder and normalizer must not panic on whatever parses.
                if let Err(diags) = load_cluster(&doc) {
                    prop_assert!(!diags.0.is_empty());
                    for d in &diags.0 {
                        prop_assert!(!d.message.is_empty(), "empty message: {d:?}");
                    }
                }
            }
        }
    }
}

#[test]
fn the_mutation_base_is_a_valid_inventory() {
    // Otherwise the mutations above would start from a refusal and test little.
    let doc = Document::parse("base.yaml", BASE).unwrap();
    let (c, _) = load_cluster(&doc).unwrap();
    assert_eq!(c.nodes.len(), 1);
}

// ---------------------------------------------------------------------------
// Generated valid inventories

const HARDWARE: &[&str] = &["n100", "generic-x86_64", "generic-aarch64"];
const LAYOUTS: &[&str] = &["standard", "btrfs"];

/// One node's settings: role, hardware, memory GiB, disk GB, layout, interface, swap, labels.
type NodeParams = (bool, &'static str, u64, u64, &'static str, String, Option<u64>, Vec<(String, String)>);

fn node_params() -> impl Strategy<Value = NodeParams> {
    (
        any::<bool>(),
        prop::sample::select(HARDWARE),
        2u64..128,
        128u64..8000,
        prop::sample::select(LAYOUTS),
        "(eno|enp|eth)[0-9]{1,2}",
        prop::option::of(1u64..16),
        prop::collection::vec(("[a-z][a-z0-9]{0,8}", "[A-Za-z0-9]([A-Za-z0-9._-]{0,8}[A-Za-z0-9])?"), 0..3),
    )
}

/// An Inventory as a JSON value: 1–6 nodes, the first a server, unique names and addresses.
fn inventory() -> impl Strategy<Value = Value> {
    ("[a-z][a-z0-9-]{0,10}[a-z0-9]", prop::collection::vec(node_params(), 1..6), any::<bool>()).prop_map(
        |(cluster, nodes, with_dns)| {
            let nodes: Vec<Value> = nodes
                .into_iter()
                .enumerate()
                .map(|(i, (server, hw, mem, disk, layout, nic, swap, labels))| {
                    let mut disk_v = json!({
                        "device": format!("/dev/disk/by-id/nvme-TEST_{i:04}"),
                        "size": format!("{disk}GB"),
                        "layout": layout,
                    });
                    if let Some(s) = swap {
                        disk_v["swap"] = json!(format!("{s}GiB"));
                    }
                    let labels: Map<String, Value> =
                        labels.into_iter().map(|(k, v)| (format!("example.com/{k}"), json!(v))).collect();
                    json!({
                        "name": format!("node-{i}"),
                        "role": if i == 0 || server { "server" } else { "agent" },
                        "hardware": hw,
                        "memory": format!("{mem}GiB"),
                        "addresses": {"cluster": format!("10.20.0.{}", 10 + i)},
                        "network": {"interface": nic},
                        "disk": disk_v,
                        "labels": labels,
                    })
                })
                .collect();
            let mut net = json!({"cidr": "10.20.0.0/24", "gateway": "10.20.0.1"});
            if with_dns {
                net["dns"] = json!(["10.20.0.1", "1.1.1.1"]);
            }
            json!({
                "apiVersion": "n3x.dev/v1alpha1",
                "kind": "Inventory",
                "cluster": {"name": cluster},
                "networks": {"cluster": net},
                "nodes": nodes,
            })
        },
    )
}

fn cluster_json(text: &str, name: &str) -> String {
    let doc = Document::parse(name, text).unwrap_or_else(|e| panic!("{name} does not parse: {e:?}\n{text}"));
    let (c, _) = load_cluster(&doc).unwrap_or_else(|e| panic!("{name} is refused: {e:?}\n{text}"));
    serde_json::to_string_pretty(&c).unwrap()
}

proptest! {
    #![proptest_config(cases(64))]

    #[test]
    fn generated_inventories_read_alike_and_normalize_deterministically(inv in inventory()) {
        let yaml = serde_yaml::to_string(&inv).unwrap();
        let json_text = serde_json::to_string_pretty(&inv).unwrap();
        // The one reader gives the same value for both spellings.
        let from_yaml = Document::parse("inv.yaml", &yaml).unwrap();
        let from_json = Document::parse("inv.json", &json_text).unwrap();
        prop_assert_eq!(from_yaml.value(), &inv);
        prop_assert_eq!(from_json.value(), &inv);
        // Normalizing is a function of the input: same bytes every time, either spelling.
        let a = cluster_json(&yaml, "inv.yaml");
        prop_assert_eq!(&a, &cluster_json(&yaml, "inv.yaml"));
        prop_assert_eq!(&a, &cluster_json(&json_text, "inv.json"));
        // The Cluster reads back as itself (every tool accepts it in place of the inventory).
        prop_assert_eq!(&a, &cluster_json(&a, "cluster.json"));
        // Node order and names are the inventory's.
        let c: Value = serde_json::from_str(&a).unwrap();
        let names: Vec<&str> = c["nodes"].as_array().unwrap().iter().map(|n| n["name"].as_str().unwrap()).collect();
        let want: Vec<&str> = inv["nodes"].as_array().unwrap().iter().map(|n| n["name"].as_str().unwrap()).collect();
        prop_assert_eq!(names, want);
    }
}

// ---------------------------------------------------------------------------
// The Nix printer against the real nix-instantiate

/// Strings built from the characters that matter to Nix quoting (`"`, `\`, `${`, `''`,
/// line breaks, tabs, leading blanks) mixed with arbitrary characters. NUL is left out:
/// a Nix string cannot hold it (nix-instantiate cuts the string there), which is why
/// the YAML/JSON reader refuses NUL in any input.
fn nix_string() -> impl Strategy<Value = String> {
    let piece = prop_oneof![
        prop::sample::select(
            &[
                "\"", "\\", "$", "${", "{", "}", "'", "''", "'''", "\n", "\r", "\t", " ", "  ", "a", "x = 1;", "#",
                "/*", "''${", "$${", "\\${", "é", "\u{2028}", "\u{7f}", "\u{1}",
            ][..]
        )
        .prop_map(str::to_string),
        any::<char>().prop_filter("no NUL", |c| *c != '\0').prop_map(String::from),
    ];
    prop::collection::vec(piece, 0..12).prop_map(|v| v.concat())
}

fn nix_int() -> impl Strategy<Value = i64> {
    prop_oneof![any::<i64>(), Just(i64::MIN), Just(i64::MAX), Just(-1i64), Just(0i64), -1000i64..1000]
}

fn json_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        nix_int().prop_map(|i| json!(i)),
        nix_string().prop_map(Value::String),
    ];
    leaf.prop_recursive(4, 48, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            // `outPath` and `__toString` change what builtins.toJSON does with a set:
            // that is Nix's JSON conversion, not the printer, so keys never take those names.
            prop::collection::btree_map(
                nix_string().prop_filter("toJSON-special", |k| k != "outPath" && k != "__toString"),
                inner,
                0..6
            )
            .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

fn to_nix(v: &Value) -> Nix {
    match v {
        Value::Null => Nix::Null,
        Value::Bool(b) => Nix::Bool(*b),
        Value::Number(n) => Nix::Int(n.as_i64().unwrap()),
        Value::String(s) => Nix::Str(s.clone()),
        Value::Array(a) => Nix::List(a.iter().map(to_nix).collect()),
        Value::Object(o) => {
            let mut attrs = Attrs::new();
            for (k, v) in o {
                attrs.set(k.clone(), to_nix(v));
            }
            Nix::Attrs(attrs)
        }
    }
}

/// Values per nix-instantiate call, and calls (proptest cases).
const NIX_BATCH: usize = 64;
const NIX_CALLS: u32 = 4;

proptest! {
    #![proptest_config(Config { max_shrink_iters: 64, ..cases(NIX_CALLS) })]

    #[test]
    fn printed_nix_values_parse_and_evaluate_back(values in prop::collection::vec(json_value(), NIX_BATCH)) {
        let nix = n3x_testkit::require(n3x_testkit::NIX_INSTANTIATE);
        let Some(nix) = nix else { return Ok(()) };
        let expected = Value::Array(values);
        let file = NixFile { header: vec!["property test".into()], args: None, body: to_nix(&expected) };
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("values.nix");
        let text = file.render().unwrap();
        std::fs::write(&path, &text).unwrap();
        let out = std::process::Command::new(&nix)
            .args(["--eval", "--strict", "--json"])
            .arg(&path)
            .env("NIX_STATE_DIR", std::env::temp_dir().join("n3x-nix-state"))
            .output()
            .unwrap();
        prop_assert!(out.status.success(), "nix-instantiate refused the printed file:\n{}\n{text}", String::from_utf8_lossy(&out.stderr));
        let got: Value = serde_json::from_slice(&out.stdout).unwrap();
        prop_assert_eq!(got.as_array().map(Vec::len), Some(NIX_BATCH));
        prop_assert_eq!(got, expected, "printed:\n{}", text);
    }
}
