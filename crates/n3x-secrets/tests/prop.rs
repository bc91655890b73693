//! Property tests of n3x-secrets' sops-format reader and writer (proptest; small case
//! counts; a fixed test identity, generator and clock):
//! - arbitrary text never panics the plaintext or encrypted-file parsers, in any format;
//! - a generated document written as YAML or JSON reads back as itself;
//! - a generated document encrypted, written, read and decrypted is itself again, and
//!   changing any one encrypted value is caught (GCM tag or MAC).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use n3x_secrets::seams::{FixedClock, TestRng};
use n3x_secrets::sops::{
    decrypt, encrypt, parse_encrypted, parse_plain, render_encrypted, render_plain, Emit, EncryptOptions, Format,
};
use n3x_secrets::tree::{MapItem, Node, Scalar};
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

const FORMATS: [Format; 4] = [Format::Yaml, Format::Json, Format::Dotenv, Format::Binary];

const FRAGMENTS: &[&str] = &[
    "sops:\n",
    "    age:\n",
    "        - recipient: age1xyz\n",
    "          enc: |\n",
    "    lastmodified: \"2023-11-14T22:13:20Z\"\n",
    "    mac: ENC[AES256_GCM,data:AAAA,iv:AAAA,tag:AAAA,type:str]\n",
    "    version: 3.11.0\n",
    "    shamir_threshold: 99999999999999999999\n",
    "    key_groups: [{age: []}]\n",
    "a: ENC[AES256_GCM,data:,iv:,tag:,type:int]\n",
    "ENC[AES256_GCM,data:zz==,iv:!,tag:,type:bogus]",
    "sops_version=3.11.0\n",
    "sops_age__list_0__map_enc=x\n",
    "{\"sops\": {\"version\": 3}}",
    "- ",
    ": ",
    "\n",
    "    ",
    "\t",
    "#",
    "'",
    "\"",
    "[",
    "{",
    "&a ",
    "*a",
    "!!binary ",
    "!!binary AAAA\n",
    "---\n",
    "1e400",
    "9223372036854775808",
    "2024-13-45T99:99:99Z",
    "é",
];

fn hostile_text() -> impl Strategy<Value = String> {
    prop_oneof![any::<String>(), prop::collection::vec(prop::sample::select(FRAGMENTS), 0..40).prop_map(|v| v.concat()),]
}

proptest! {
    #![proptest_config(cases(256))]

    #[test]
    fn arbitrary_text_never_panics_the_sops_parsers(text in hostile_text()) {
        for f in FORMATS {
            let _ = parse_plain(&text, f);
            let _ = parse_encrypted(&text, f);
        }
    }
}

// ---------------------------------------------------------------------------
// Generated documents

/// Strings that stress YAML/JSON quoting: look-alikes of other types, quotes, line
/// breaks, leading/trailing blanks, `#`, `: `, unicode. NUL is left out (no YAML
/// text can carry it raw).
fn text() -> impl Strategy<Value = String> {
    let piece = prop_oneof![
        prop::sample::select(
            &[
                "",
                " ",
                "  ",
                "\n",
                "\t",
                "#",
                ": ",
                "- ",
                "'",
                "\"",
                "\\",
                "true",
                "no",
                "null",
                "~",
                "1",
                "0x1F",
                "1.5",
                "1e3",
                ".inf",
                "2024-01-02",
                "ENC[",
                "é",
                "\u{2028}",
                "\u{85}",
                "{",
                "[",
                "&a",
                "*a",
                "!",
                "%",
                "@",
                "`",
                "|",
                ">",
                "---",
            ][..]
        )
        .prop_map(str::to_string),
        any::<char>().prop_filter("no NUL", |c| *c != '\0').prop_map(String::from),
    ];
    // Multi-line strings that begin with a blank or a line break stay in: they need a
    // block scalar's indentation indicator, which go-yaml gets wrong inside list items.
    prop::collection::vec(piece, 0..8).prop_map(|v| v.concat())
}

fn scalar() -> impl Strategy<Value = Node> {
    prop_oneof![
        Just(Node::Scalar(Scalar::Null)),
        any::<bool>().prop_map(|b| Node::Scalar(Scalar::Bool(b))),
        any::<i64>().prop_map(|i| Node::Scalar(Scalar::Int(i))),
        prop::sample::select(&[0.5f64, -1.25, 1e21, 3.0e-7, 123456.789][..])
            .prop_map(|f| Node::Scalar(Scalar::Float(f))),
        text().prop_map(|s| Node::Scalar(Scalar::Str(s))),
    ]
}

/// A map with unique non-empty keys (never `sops`, which marks an encrypted file).
fn map_of(inner: impl Strategy<Value = Node>) -> impl Strategy<Value = Node> {
    prop::collection::btree_map(
        // Keys with line breaks stay in: they are written as explicit `? |…` keys.
        text().prop_filter("usable key", |k| !k.is_empty() && k != "sops"),
        inner,
        0..5,
    )
    .prop_map(|m| Node::Map(m.into_iter().map(|(k, v)| MapItem::Pair(k, v)).collect()))
}

fn document() -> impl Strategy<Value = Node> {
    let value = scalar().prop_recursive(3, 24, 4, |inner| {
        prop_oneof![prop::collection::vec(inner.clone(), 0..4).prop_map(Node::Seq), map_of(inner)]
    });
    map_of(value)
}

fn identity() -> age::x25519::Identity {
    n3x_secrets::identity::identity_from_bytes(&[9u8; 32]).unwrap()
}

proptest! {
    #![proptest_config(cases(128))]

    #[test]
    fn generated_documents_read_back_as_written(doc in document()) {
        for f in [Format::Yaml, Format::Json] {
            let text = render_plain(std::slice::from_ref(&doc), f, Emit::default());
            let back = parse_plain(&text, f);
            prop_assert!(back.is_ok(), "{f:?}: our own output does not parse: {:?}\n{text}", back.err());
            let back = back.unwrap();
            let want = if f == Format::Json { json_view(&doc) } else { doc.clone() };
            prop_assert_eq!(back.len(), 1);
            prop_assert_eq!(&back[0], &want, "{:?}:\n{}", f, text);
        }
    }

    #[test]
    fn generated_documents_survive_encryption_and_tampering_is_caught(doc in document(), seed in any::<u64>(), pick in any::<prop::sample::Index>()) {
        let id = identity();
        let opts = EncryptOptions { recipients: vec![id.to_public().to_string()], ..Default::default() };
        let ids: Vec<Box<dyn age::Identity>> = vec![Box::new(id)];
        for f in [Format::Yaml, Format::Json] {
            let file = encrypt(vec![doc.clone()], f, &opts, &mut TestRng::new(seed), &FixedClock(1_700_000_000)).unwrap();
            let text = render_encrypted(&file, Emit::default());
            let read = parse_encrypted(&text, f);
            prop_assert!(read.is_ok(), "{f:?}: our encrypted output does not parse: {:?}\n{text}", read.err());
            let plain = decrypt(&read.unwrap(), &ids, &[], false);
            prop_assert!(plain.is_ok(), "{f:?}: does not decrypt: {:?}\n{text}", plain.err());
            // The values keep their sops types (an int stays an int, even in JSON).
            prop_assert_eq!(&plain.unwrap().docs[0], &doc, "{:?}:\n{}", f, text);
            // Flip one character of one encrypted value's data: refused, never decrypted to something else.
            let spots: Vec<usize> = text.match_indices("ENC[AES256_GCM,data:").map(|(i, m)| i + m.len()).collect();
            let at = spots[pick.index(spots.len())];
            let c = text.as_bytes()[at];
            if c == b',' {
                continue; // an empty value has no data to flip
            }
            let flipped = if c == b'A' { 'B' } else { 'A' };
            let mut tampered = text.clone();
            tampered.replace_range(at..at + 1, &flipped.to_string());
            let result = parse_encrypted(&tampered, f).map(|file| decrypt(&file, &ids, &[], false));
            prop_assert!(!matches!(result, Ok(Ok(_))), "{f:?}: a changed value decrypted:\n{tampered}");
        }
    }
}

/// What a document is after a trip through JSON, where every number is a float64.
fn json_view(n: &Node) -> Node {
    match n {
        Node::Scalar(Scalar::Int(i)) => Node::Scalar(Scalar::Float(*i as f64)),
        Node::Map(items) => Node::Map(
            items
                .iter()
                .map(|i| match i {
                    MapItem::Pair(k, v) => MapItem::Pair(k.clone(), json_view(v)),
                    MapItem::Comment(c) => MapItem::Comment(c.clone()),
                })
                .collect(),
        ),
        Node::Seq(items) => Node::Seq(items.iter().map(json_view).collect()),
        other => other.clone(),
    }
}
