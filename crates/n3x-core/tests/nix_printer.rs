//! The Nix printer checked by the real `nix-instantiate`: every rendered value parses
//! and evaluates to exactly the JSON it was built from, whatever the strings contain.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use n3x_core::nix::{Attrs, Nix, NixFile};
use serde_json::{json, Value};

/// Builds the Nix value that should evaluate to `v`.
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

fn tricky_strings() -> Vec<&'static str> {
    vec![
        "",
        "plain",
        "quote \" backslash \\ dollar $ and ${interpolation} and $${double}",
        "''two single quotes'' and '''three'''",
        "tab\there",
        "line one\nline two",
        "line one\n  indented two\nthree\n",
        "  leading spaces on every line\n  second\n",
        "first line\n\nblank line above\n",
        "ends without newline\nlast",
        "trailing spaces   \nnext",
        "${a}\n''${b}\n",
        "\nstarts with a newline\n",
        "cr\r\nlf",
        "unicode: ü 𝔘 — “quotes”",
        "key: value\nlist:\n  - a\n  - b\n",
    ]
}

#[test]
fn printed_values_evaluate_to_their_json() {
    let Some(nix) = n3x_testkit::require(n3x_testkit::NIX_INSTANTIATE) else { return };
    let strings = tricky_strings();
    let mut obj = serde_json::Map::new();
    for (i, s) in strings.iter().enumerate() {
        obj.insert(format!("s{i}"), json!(s));
    }
    let expected = json!({
        "strings": obj,
        "odd names": {
            "10-lan": 1, "bond0.20": 2, "in": 3, "with space": 4, "a\"b": 5, "${x}": 6, "ok-name_1'": 7, "": 8
        },
        "lists": {
            "empty": [], "short": [1, 2, 3], "mixed": [true, null, -7, "x", {"a": []}, [[]]],
            "long": (0..40).map(|i| format!("item-number-{i}")).collect::<Vec<_>>()
        },
        "empty": {},
        "nested": {"a": {"b": {"c": {"d": "deep"}}}}
    });
    let file = NixFile { header: vec!["test".into()], args: None, body: to_nix(&expected) };
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("value.nix");
    std::fs::write(&path, file.render().unwrap()).unwrap();
    n3x_testkit::nix_parse(&nix, &path);
    let got = n3x_testkit::nix_eval_json(&nix, &path);
    assert_eq!(got, expected, "rendered:\n{}", file.render().unwrap());
}

#[test]
fn module_files_with_paths_and_expressions_evaluate() {
    let Some(nix) = n3x_testkit::require(n3x_testkit::NIX_INSTANTIATE) else { return };
    let mut body = Attrs::new();
    body.set_path(&["services", "k3s", "enable"], true);
    body.set_commented("port", 6443i64, "why: the API server port");
    body.set("tokenFile", Nix::Expr("config.tokenPath or \"/run/secrets/token\"".into()));
    body.set("imports", Nix::List(vec![Nix::Commented("hardware".into(), Box::new(Nix::path("/etc/hosts").unwrap()))]));
    let file =
        NixFile { header: vec!["module".into(), String::new()], args: Some(vec!["config".into()]), body: body.into() };
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("module.nix");
    std::fs::write(&path, file.render().unwrap()).unwrap();
    n3x_testkit::nix_parse(&nix, &path);
    let got = n3x_testkit::nix_eval_json(&nix, &path);
    assert_eq!(got["services"]["k3s"]["enable"], json!(true));
    assert_eq!(got["port"], json!(6443));
    assert_eq!(got["tokenFile"], json!("/run/secrets/token"));
    // A path literal is copied into the store when turned into JSON.
    assert!(got["imports"][0].as_str().unwrap().ends_with("-hosts"), "{got}");
}

/// Regression (issue 10): the same VLAN id twice on one link rendered two
/// `"20-enp1s0.20"` netdevs, and Nix refused the file. The printer now refuses first.
#[test]
fn duplicate_attributes_are_refused_not_printed() {
    let Some(nix) = n3x_testkit::require(n3x_testkit::NIX_INSTANTIATE) else { return };
    let netdev = || Nix::Attrs(Attrs::new().with("Kind", "vlan"));
    let mut dup = Attrs::new();
    dup.set_path(&["systemd", "network", "netdevs", "20-enp1s0.20"], Attrs::new().with("netdevConfig", netdev()));
    dup.set_path(&["systemd", "network", "netdevs", "20-enp1s0.20"], Attrs::new().with("netdevConfig", netdev()));
    let mut prefix = Attrs::new();
    prefix.set("a", 1i64);
    prefix.set_path(&["a", "b"], 2i64);
    let mut twice = Attrs::new();
    twice.set("a", Attrs::new().with("c", 1i64));
    twice.set("a", Attrs::new().with("c", 2i64));
    let dir = tempfile::tempdir().unwrap();
    let mut checked = 0;
    for (name, body, attr) in
        [("vlan", dup, "systemd.network.netdevs.\"20-enp1s0.20\""), ("prefix", prefix, "a"), ("twice", twice, "a.c")]
    {
        let file = NixFile { header: vec![], args: None, body: Nix::Attrs(body.clone()) };
        let err = file.render().unwrap_err().to_string();
        assert!(err.contains(attr), "{name}: {err}");
        assert_eq!(body.duplicate_paths().len(), 1, "{name}");
        // Deep inside a function and a call (a flake's `outputs = inputs: f { … }`) too.
        let deep = Nix::Lambda("inputs".into(), Box::new(Nix::Call("f".into(), Box::new(Nix::Attrs(body.clone())))));
        let file = NixFile { header: vec![], args: None, body: Nix::List(vec![deep]) };
        assert!(file.render().unwrap_err().to_string().contains(attr), "{name}: deep");
        // What the unchecked value printer prints really is invalid Nix.
        let path = dir.path().join(format!("{name}.nix"));
        std::fs::write(&path, n3x_core::nix::render(&Nix::Attrs(body.clone()))).unwrap();
        let out = std::process::Command::new(&nix).args(["--eval", "--strict"]).arg(&path).output().unwrap();
        assert!(!out.status.success(), "{name}: nix accepted it");
        assert!(String::from_utf8_lossy(&out.stderr).contains("already defined"), "{name}");
        checked += 1;
    }
    assert_eq!(checked, 3);
    // Nested paths that Nix merges are fine.
    let mut ok = Attrs::new();
    ok.set("a", Attrs::new().with("c", 1i64));
    ok.set_path(&["a", "b"], 2i64);
    ok.set_path(&["x", "y"], 1i64);
    ok.set_path(&["x", "z"], 1i64);
    let file = NixFile { header: vec![], args: None, body: Nix::Attrs(ok) };
    let text = file.render().unwrap();
    let path = dir.path().join("ok.nix");
    std::fs::write(&path, text).unwrap();
    assert_eq!(n3x_testkit::nix_eval_json(&nix, &path), json!({"a": {"b": 2, "c": 1}, "x": {"y": 1, "z": 1}}));
}
