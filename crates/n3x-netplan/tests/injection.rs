//! Regression tests named after what broke: text from an input once became live lines
//! of networkd units (a newline in an interface name, a search domain, an address
//! label, or the input's file name in the header). Each must now be refused with a
//! located error and nothing on stdout, or, where the input is acceptable, rendered
//! without any extra line.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use assert_cmd::Command;

fn bin() -> Command {
    Command::cargo_bin("n3x-netplan").unwrap()
}

/// Renders `yaml` (saved as `name`) to networkd units; returns (exit code, stdout, stderr).
fn render(name: &str, yaml: &str) -> (i32, String, String) {
    let dir = tempfile::tempdir().unwrap();
    let f = dir.path().join(name);
    std::fs::write(&f, yaml).unwrap();
    let o = bin().args(["render", "--format", "networkd", "--from-netplan"]).arg(&f).output().unwrap();
    (o.status.code().unwrap_or(-1), String::from_utf8(o.stdout).unwrap(), String::from_utf8(o.stderr).unwrap())
}

fn refused(name: &str, yaml: &str, message: &str) {
    let (code, out, err) = render(name, yaml);
    assert_eq!(code, 1, "{err}");
    assert!(out.is_empty(), "partial output: {out}");
    assert!(err.contains(message), "expected {message:?} in: {err}");
    assert!(!err.contains("panicked"), "{err}");
    // The report itself stays one line per finding: no forged "[Network]" line.
    assert!(err.lines().all(|l| !l.starts_with('[')), "{err}");
}

#[test]
fn newline_in_search_domain_cannot_inject_a_network_section() {
    refused(
        "a.yaml",
        "network:\n  version: 2\n  ethernets:\n    eth0:\n      addresses: [10.0.0.2/24]\n      nameservers:\n        search: [\"lab.example\\n[Network]\\nDNS=6.6.6.6\"]\n",
        "a.yaml:7:18: network.ethernets.eth0.nameservers.search[0]: invalid DNS name",
    );
}

#[test]
fn newline_in_interface_name_cannot_inject_a_route_section() {
    refused(
        "b.yaml",
        "network:\n  version: 2\n  ethernets:\n    \"eth0\\n[Route]\":\n      dhcp4: true\n",
        "invalid definition id",
    );
    refused(
        "c.yaml",
        "network:\n  version: 2\n  bonds:\n    \"bond0\\n[Network]\":\n      interfaces: []\n",
        "invalid interface name",
    );
    refused(
        "d.yaml",
        "network:\n  version: 2\n  ethernets:\n    eth0:\n      match: {macaddress: \"00:11:22:33:44:55\"}\n      set-name: \"lan\\n[Link]\"\n",
        "invalid interface name",
    );
}

#[test]
fn newline_in_any_other_value_is_refused_before_rendering() {
    refused(
        "e.yaml",
        "network:\n  version: 2\n  ethernets:\n    eth0:\n      addresses:\n        - 10.0.0.2/24:\n            label: \"x\\n[Route]\"\n",
        "holds a line break or another control character",
    );
}

#[test]
fn crafted_file_name_cannot_inject_header_lines() {
    let name = "x\n[Network]\nDNS=6.6.6.6.yaml";
    let (code, out, err) =
        render(name, "network:\n  version: 2\n  ethernets:\n    eth0:\n      addresses: [10.0.0.2/24]\n");
    assert_eq!(code, 0, "{err}");
    let units: Vec<&str> = out.split("# ---- ").filter(|s| !s.is_empty()).collect();
    assert_eq!(units.len(), 1, "{out}");
    // The one [Network] section is the unit's own; the header is all comment lines.
    assert_eq!(out.matches("[Network]").count(), 2, "one escaped in the header, one real:\n{out}");
    assert_eq!(out.lines().filter(|l| *l == "[Network]").count(), 1, "{out}");
    assert!(!out.lines().any(|l| l.starts_with("DNS=6.6.6.6")), "{out}");
    for l in out.lines().take_while(|l| !l.starts_with('[')) {
        assert!(l.starts_with('#'), "a header line that is not a comment: {l:?}\n{out}");
    }
}
