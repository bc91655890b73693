//! Every subcommand through the real binary: the cluster commands (sops-config,
//! init, render-nix, bootstrap-host) checked with sops and nix-instantiate, and bad
//! input of every kind, each with exit 1 (2 for usage) and a precise message.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::{data, ok, Sandbox};
use std::path::PathBuf;
use std::process::Command;

fn edge_lab() -> PathBuf {
    n3x_testkit::repo_root().join("examples/edge-lab/inventory.yaml")
}

fn code(o: &std::process::Output) -> i32 {
    o.status.code().unwrap_or(-1)
}

/// A failing run: exit code and a stderr that contains `msg`.
fn expect_err(mut c: Command, exit: i32, msg: &str) {
    let o = c.output().unwrap();
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(code(&o), exit, "expected exit {exit} with {msg:?}, got {}: {err}", code(&o));
    assert!(err.contains(msg), "expected {msg:?} in: {err}");
    assert!(o.stdout.is_empty(), "no partial output on stdout, got: {}", String::from_utf8_lossy(&o.stdout));
}

#[test]
fn cluster_flow_sops_config_init_render_nix() {
    let s = Sandbox::new();
    let cfg = ok(
        s.n3x()
            .args(["sops-config"])
            .arg(edge_lab())
            .args(["--add-admin", &s.recipient, "-o", ".sops.yaml"])
            .output()
            .unwrap(),
        "sops-config",
    );
    assert!(cfg.is_empty());
    let text = std::fs::read_to_string(s.path(".sops.yaml")).unwrap();
    // Deterministic.
    ok(
        s.n3x()
            .args(["sops-config"])
            .arg(edge_lab())
            .args(["--add-admin", &s.recipient, "-o", "again.yaml"])
            .output()
            .unwrap(),
        "again",
    );
    assert_eq!(text, std::fs::read_to_string(s.path("again.yaml")).unwrap());
    for p in ["^secrets/hosts/n100-1\\.yaml$", "^secrets/cluster\\.yaml$", "^secrets/agent\\.yaml$"] {
        assert!(text.contains(p), "{p} in {text}");
    }
    // The agent file is readable by the agents; the cluster file is not.
    let rules: Vec<&str> = text.split("    - path_regex").collect();
    let cluster = rules.iter().find(|r| r.contains("cluster\\.yaml")).unwrap();
    let agent = rules.iter().find(|r| r.contains("agent\\.yaml")).unwrap();
    assert!(agent.contains("# agent jetson-1") && !cluster.contains("jetson-1") && cluster.contains("# server n100-2"));

    ok(s.n3x().args(["init"]).arg(edge_lab()).args(["--dir", "secrets"]).output().unwrap(), "init");
    let token = s.path("secrets/cluster.yaml");
    let first = std::fs::read_to_string(&token).unwrap();
    assert!(!first.contains("k3s-token: ") || first.contains("k3s-token: ENC["));
    // Idempotent: nothing regenerated.
    let o = s.n3x().args(["init"]).arg(edge_lab()).args(["--dir", "secrets"]).output().unwrap();
    assert!(
        String::from_utf8_lossy(&o.stderr).contains("7 existing secret file(s) kept"),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    assert_eq!(first, std::fs::read_to_string(&token).unwrap());
    // The real sops opens the files with our identity and picks the rule from .sops.yaml.
    if let Some(mut sops) = s.sops() {
        let plain = ok(sops.arg("-d").arg(&token).output().unwrap(), "sops -d cluster.yaml");
        let v = plain.strip_prefix("k3s-token: ").unwrap().trim();
        assert_eq!(v.len(), 64);
        assert!(v.chars().all(|c| c.is_ascii_hexdigit()));
        // sops encrypting a new host file uses our generated creation rule.
        s.write("secrets/hosts/n100-2.new.yaml", "x: 1\n");
        let mut sops = s.sops().unwrap();
        let o = sops.args(["-e", "secrets/hosts/n100-2.new.yaml"]).output().unwrap();
        assert!(!o.status.success(), "the anchored rule must not match another file name");
    }
    let agent_text = std::fs::read_to_string(s.path("secrets/agent.yaml")).unwrap();
    assert_eq!(agent_text.matches("recipient:").count(), agent.matches("- age1").count());

    // render-nix: one module per node, parses and evaluates, only declared options.
    ok(s.n3x().args(["render-nix"]).arg(edge_lab()).args(["--out", "hosts"]).output().unwrap(), "render-nix");
    let n1 = std::fs::read_to_string(s.path("hosts/n100-1/secrets.nix")).unwrap();
    let j1 = std::fs::read_to_string(s.path("hosts/jetson-1/secrets.nix")).unwrap();
    assert!(!n1.contains(&plain_token(&s)), "no secret in Nix");
    assert!(n1.contains("tokenFile = config.sops.secrets.k3s-token.path;"));
    assert!(j1.contains("tokenFile = config.sops.secrets.k3s-agent-token.path;") && !j1.contains("k3s-token ="));
    let options: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(n3x_testkit::reference_dir().join("nixos-options.json")).unwrap(),
    )
    .unwrap();
    for p in n3x_secrets::nixgen::OPTION_PATHS {
        assert!(options["options"].get(p).is_some(), "{p} is not in nixos-options.json");
    }
    if let Some(nix) = n3x_testkit::require(n3x_testkit::NIX_INSTANTIATE) {
        for f in [s.path("hosts/n100-1/secrets.nix"), s.path("hosts/jetson-1/secrets.nix")] {
            n3x_testkit::nix_parse(&nix, &f);
        }
        let expr = format!(
            "let m = import {} {{ config.sops.secrets = {{ k3s-token.path = \"/run/secrets/k3s-token\"; k3s-agent-token.path = \"/run/secrets/k3s-agent-token\"; }}; }}; \
             in {{ default = toString m.sops.defaultSopsFile; keys = m.sops.age.sshKeyPaths; token = m.services.k3s.tokenFile; \
             agent = m.services.k3s.agentTokenFile; tokenFile = toString m.sops.secrets.k3s-token.sopsFile; key = m.sops.secrets.k3s-token.key; \
             mode = m.sops.secrets.k3s-token.mode; units = m.sops.secrets.k3s-token.restartUnits; }}",
            s.path("hosts/n100-1/secrets.nix").display()
        );
        let out = ok(
            Command::new(&nix)
                .args(["--eval", "--strict", "--json", "--expr", &expr])
                .env("NIX_STATE_DIR", s.path("nix-state"))
                .output()
                .unwrap(),
            "nix eval",
        );
        let v: serde_json::Value = serde_json::from_str(&out).unwrap();
        assert!(v["default"].as_str().unwrap().ends_with("/secrets/hosts/n100-1.yaml"));
        assert!(v["tokenFile"].as_str().unwrap().ends_with("/secrets/cluster.yaml"));
        assert_eq!(v["keys"], serde_json::json!(["/etc/ssh/ssh_host_ed25519_key"]));
        assert_eq!(v["token"], "/run/secrets/k3s-token");
        assert_eq!(v["agent"], "/run/secrets/k3s-agent-token");
        assert_eq!(v["key"], "k3s-token");
        assert_eq!(v["mode"], "0400");
        assert_eq!(v["units"], serde_json::json!(["k3s.service"]));
    }
    // lint: the generated tree is clean; an inlined token is found.
    ok(s.n3x().args(["lint", "hosts", "secrets"]).output().unwrap(), "lint clean");
    s.write("hosts/bad.nix", "{ services.k3s.token = \"abcdef\"; }\n");
    s.write("secrets/hosts/plain.yaml", "x: 1\n");
    s.write(
        ".sops.yaml",
        &format!("{text}    - path_regex: ^secrets/hosts/plain\\.yaml$\n      age: {}\n", s.recipient),
    );
    let o = s.n3x().args(["lint", "hosts", "secrets"]).output().unwrap();
    assert_eq!(code(&o), 1);
    let out = String::from_utf8_lossy(&o.stdout);
    assert!(out.contains("hosts/bad.nix:1: services.k3s token inlined"), "{out}");
    assert!(out.contains("secrets/hosts/plain.yaml: a creation rule") && out.contains("not encrypted"), "{out}");
    assert!(!out.contains("abcdef"), "lint never prints the secret");
}

fn plain_token(s: &Sandbox) -> String {
    let o = s
        .n3x()
        .args(["decrypt", "--extract", r#"["k3s-token"]"#])
        .arg(s.path("secrets/cluster.yaml"))
        .output()
        .unwrap();
    String::from_utf8(o.stdout).unwrap()
}

#[test]
fn bootstrap_host_lays_out_extra_files() {
    let s = Sandbox::new();
    let out = ok(
        s.n3x().args(["bootstrap-host", "n100-1"]).arg(edge_lab()).args(["--out", "extra"]).output().unwrap(),
        "bootstrap",
    );
    let key = s.path("extra/etc/ssh/ssh_host_ed25519_key");
    let public = std::fs::read_to_string(key.with_extension("pub")).unwrap();
    assert!(public.starts_with("ssh-ed25519 ") && public.trim_end().ends_with("root@n100-1"));
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        assert_eq!(std::fs::metadata(&key).unwrap().permissions().mode() & 0o777, 0o600);
        assert_eq!(std::fs::metadata(key.with_extension("pub")).unwrap().permissions().mode() & 0o777, 0o644);
    }
    // The printed recipient is what ssh-to-age derives, and the private key is a real OpenSSH key.
    let r = ok(s.n3x().arg("ssh-to-age").arg(key.with_extension("pub")).output().unwrap(), "ssh-to-age");
    assert_eq!(out, r);
    let id = ok(s.n3x().args(["ssh-to-age", "--private"]).arg(&key).output().unwrap(), "--private");
    assert_eq!(common::pubkey(&s.write("id.txt", &id)), r.trim());
    if let Some(kg) = n3x_testkit::require(n3x_testkit::SSH_KEYGEN) {
        let y = ok(Command::new(kg).arg("-y").arg("-f").arg(&key).output().unwrap(), "ssh-keygen -y");
        assert_eq!(y.split_whitespace().nth(1), public.split_whitespace().nth(1));
    }
    // Refuses to replace; --force does.
    let mut c = s.n3x();
    c.args(["bootstrap-host", "n100-1", "--out", "extra"]);
    expect_err(c, 1, "refusing to replace a host key");
    ok(s.n3x().args(["bootstrap-host", "n100-1", "--out", "extra", "--force"]).output().unwrap(), "force");
    assert_ne!(public, std::fs::read_to_string(key.with_extension("pub")).unwrap());
    let mut c = s.n3x();
    c.args(["bootstrap-host", "nope"]).arg(edge_lab()).args(["--out", "x"]);
    expect_err(c, 1, "no node named \"nope\"");
}

#[test]
fn token_keygen_pubkey_misc() {
    let s = Sandbox::new();
    let t1 = ok(s.n3x().arg("token").output().unwrap(), "token");
    let t2 = ok(s.n3x().arg("token").output().unwrap(), "token");
    assert_eq!(t1.trim().len(), 64);
    assert_ne!(t1, t2);
    assert_eq!(ok(s.n3x().args(["token", "--bytes", "16"]).output().unwrap(), "t").trim().len(), 32);
    let mut c = s.n3x();
    c.args(["token", "--bytes", "4"]);
    expect_err(c, 2, "use 16 to 256");
    // keygen to stdout prints the key there and the public key on stderr.
    let o = s.n3x().arg("keygen").output().unwrap();
    assert!(String::from_utf8_lossy(&o.stdout).contains("AGE-SECRET-KEY-1"));
    assert!(String::from_utf8_lossy(&o.stderr).starts_with("Public key: age1"));
    for args in [vec!["completions", "bash"], vec!["man"], vec!["--version"], vec!["encrypt", "--help"]] {
        let out = ok(s.n3x().args(&args).output().unwrap(), "misc");
        assert!(!out.is_empty());
    }
    assert!(ok(s.n3x().args(["set", "--help"]).output().unwrap(), "help").contains("Example:"));
}

#[test]
fn bad_input_is_refused_precisely() {
    let s = Sandbox::new();
    let enc = s.write("ok.yaml", "a: 1\nb:\n    c: x\nl: [1, 2]\n");
    let text = ok(s.n3x().args(["encrypt", "--age", &s.recipient]).arg(&enc).output().unwrap(), "encrypt");
    std::fs::write(&enc, &text).unwrap();

    // Corrupt / wrong files.
    s.write("corrupt.yaml", "a: [1\n");
    let mut c = s.n3x();
    c.args(["decrypt", "corrupt.yaml"]);
    expect_err(c, 1, "corrupt.yaml: line 2");
    let mut c = s.n3x();
    c.args(["encrypt", "--age", &s.recipient, "corrupt.yaml"]);
    expect_err(c, 1, "corrupt.yaml: line");
    s.write("plain.yaml", "a: 1\n");
    let mut c = s.n3x();
    c.args(["decrypt", "plain.yaml"]);
    expect_err(c, 1, "no top-level `sops` metadata key");
    let mut c = s.n3x();
    c.args(["encrypt", "--age", &s.recipient]).arg(&enc);
    expect_err(c, 1, "already encrypted");
    s.write("top-list.yaml", "- a\n");
    let mut c = s.n3x();
    c.args(["encrypt", "--age", &s.recipient, "top-list.yaml"]);
    expect_err(c, 1, "top level must be a mapping");
    s.write("intkey.yaml", "1: x\n");
    let mut c = s.n3x();
    c.args(["encrypt", "--age", &s.recipient, "intkey.yaml"]);
    expect_err(c, 1, "non-string key");
    s.write("big.yaml", "n: 18446744073709551615\n");
    let mut c = s.n3x();
    c.args(["encrypt", "--age", &s.recipient, "big.yaml"]);
    expect_err(c, 1, "too large");
    // Nothing of a plaintext value reaches stderr, even when it is the problem.
    let o = s.n3x().args(["encrypt", "--age", &s.recipient, "big.yaml"]).output().unwrap();
    assert!(!String::from_utf8_lossy(&o.stderr).contains("18446744073709551615"));
    s.write("empty.yaml", "");
    let mut c = s.n3x();
    c.args(["encrypt", "--age", &s.recipient, "empty.yaml"]);
    expect_err(c, 1, "empty");
    s.write("x.ini", "[a]\nb = 1\n");
    let mut c = s.n3x();
    c.args(["encrypt", "--age", &s.recipient, "x.ini"]);
    expect_err(c, 1, "INI files are not supported");
    let mut c = s.n3x();
    c.args(["encrypt", "--age", &s.recipient, "--input-type", "toml", "plain.yaml"]);
    expect_err(c, 2, "unknown --input-type \"toml\"");
    let mut c = s.n3x();
    c.args(["decrypt", "missing.yaml"]);
    expect_err(c, 1, "cannot read missing.yaml: no such file or directory");
    s.write("bad.json", "{\"a\": }");
    let mut c = s.n3x();
    c.args(["encrypt", "--age", &s.recipient, "bad.json"]);
    expect_err(c, 1, "bad.json: line 1, column 7");
    let noversion = text.replace("    version: 3.11.0\n", "");
    s.write("nover.yaml", &noversion);
    let mut c = s.n3x();
    c.args(["decrypt", "nover.yaml"]);
    expect_err(c, 1, "sops.version is missing");
    let damaged = text.replace("-----END AGE ENCRYPTED FILE-----", "-----END AGE ENCRYPTED FILEX-----");
    s.write("damaged.yaml", &damaged);
    let mut c = s.n3x();
    c.args(["decrypt", "damaged.yaml"]);
    expect_err(c, 1, "cannot decrypt the data key");

    // Recipients and identities.
    let mut c = s.n3x();
    c.args(["encrypt", "--age", "age1nope", "plain.yaml"]);
    expect_err(c, 1, "invalid age recipient \"age1nope\"");
    let mut c = s.n3x();
    c.args(["encrypt", "plain.yaml"]);
    expect_err(c, 1, "no recipients");
    let mut c = s.n3x_no_key();
    c.arg("decrypt").arg(&enc);
    expect_err(c, 1, "no age identity found");
    let other = s.path("other.txt");
    ok(s.n3x().args(["keygen", "-o"]).arg(&other).output().unwrap(), "keygen");
    let mut c = s.n3x_no_key();
    c.env("SOPS_AGE_KEY_FILE", &other).arg("decrypt").arg(&enc);
    expect_err(c, 1, "no identity fits any recipient");
    let mut c = s.n3x_no_key();
    c.env("SOPS_AGE_KEY_FILE", s.path("nokey.txt")).arg("decrypt").arg(&enc);
    expect_err(c, 1, "SOPS_AGE_KEY_FILE names");
    s.write("garbage-key.txt", "# comment\nnot-a-key\n");
    let mut c = s.n3x_no_key();
    c.env("SOPS_AGE_KEY_FILE", s.path("garbage-key.txt")).arg("decrypt").arg(&enc);
    expect_err(c, 1, "garbage-key.txt:2: not an age identity");
    // SOPS_AGE_KEY inline and the default keys.txt both work.
    let key_text = std::fs::read_to_string(&s.key).unwrap();
    ok(s.n3x_no_key().env("SOPS_AGE_KEY", &key_text).arg("decrypt").arg(&enc).output().unwrap(), "SOPS_AGE_KEY");
    std::fs::create_dir_all(s.path(".config/sops/age")).unwrap();
    std::fs::copy(&s.key, s.path(".config/sops/age/keys.txt")).unwrap();
    ok(s.n3x_no_key().arg("decrypt").arg(&enc).output().unwrap(), "default keys.txt");
    std::fs::remove_file(s.path(".config/sops/age/keys.txt")).unwrap();
    let mut c = s.n3x();
    c.args(["pubkey", "garbage-key.txt"]);
    expect_err(c, 1, "garbage-key.txt:2: not an age identity");

    // Paths for --extract / set / unset.
    let mut c = s.n3x();
    c.args(["decrypt", "--extract", "a.b"]).arg(&enc);
    expect_err(c, 2, "invalid path \"a.b\"");
    let mut c = s.n3x();
    c.args(["decrypt", "--extract", r#"["zz"]"#]).arg(&enc);
    expect_err(c, 1, "[\"zz\"]: no such key");
    let mut c = s.n3x();
    c.args(["decrypt", "--extract", r#"["l"][7]"#]).arg(&enc);
    expect_err(c, 1, "index out of range (the list has 2 items)");
    let mut c = s.n3x();
    c.args(["decrypt", "--extract", r#"["a"]["x"]"#]).arg(&enc);
    expect_err(c, 1, "a scalar has no children");
    let mut c = s.n3x();
    c.arg("set").arg(&enc).args([r#"["b"]["c"]"#, "unquoted"]);
    expect_err(c, 2, "VALUE must be JSON");
    let mut c = s.n3x();
    c.arg("set").arg(&enc).args([r#"["l"]["k"]"#, "1"]);
    expect_err(c, 1, "this is a list; use an index");
    let mut c = s.n3x();
    c.arg("unset").arg(&enc).arg(r#"["b"]["zz"]"#);
    expect_err(c, 1, "no such key");
    assert_eq!(std::fs::read_to_string(&enc).unwrap(), text, "failed set/unset leave the file untouched");

    // ssh-to-age and rotate/updatekeys misuse.
    s.write("rsa.pub", "ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAABAQC7 host\n");
    let mut c = s.n3x();
    c.args(["ssh-to-age", "rsa.pub"]);
    expect_err(c, 1, "rsa.pub:1: this is an ssh-rsa key; only ssh-ed25519 keys convert");
    s.write("junk.pub", "hello\n");
    let mut c = s.n3x();
    c.args(["ssh-to-age", "junk.pub"]);
    expect_err(c, 1, "no SSH public key found");
    let mut c = s.n3x();
    c.args(["ssh-to-age", "--private", "junk.pub"]);
    expect_err(c, 1, "not an OpenSSH private key");
    let mut c = s.n3x();
    c.args(["rotate", "--rm-age", "age1notthere"]).arg(&enc);
    expect_err(c, 1, "is not a recipient of the file");
    let mut c = s.n3x();
    c.arg("updatekeys").arg(&enc);
    expect_err(c, 1, "no .sops.yaml found");
    s.write(".sops.yaml", "creation_rules:\n    - path_regex: ^secrets/\n      age: age1x\n");
    let mut c = s.n3x();
    c.args(["encrypt", "--age", &s.recipient, "plain.yaml"]);
    expect_err(c, 1, "no creation rule in");
    s.write(".sops.yaml", "creation_rules:\n    - path_regex: '('\n");
    let mut c = s.n3x();
    c.args(["encrypt", "plain.yaml"]);
    expect_err(c, 1, "is not a valid regex");
    std::fs::remove_file(s.path(".sops.yaml")).unwrap();

    // set --value-stdin keeps the secret off the command line.
    let mut child = s
        .n3x()
        .args(["set", "--value-stdin"])
        .arg(&enc)
        .arg(r#"["b"]["s"]"#)
        .stdin(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    {
        use std::io::Write;
        child.stdin.take().unwrap().write_all(b"\"from stdin\"\n").unwrap();
    }
    assert!(child.wait().unwrap().success());
    let v = ok(s.n3x().args(["decrypt", "--extract", r#"["b"]["s"]"#]).arg(&enc).output().unwrap(), "extract");
    assert_eq!(v, "from stdin");
    // An identity file readable by others is warned about.
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&s.key, std::fs::Permissions::from_mode(0o644)).unwrap();
        let o = s.n3x().arg("decrypt").arg(&enc).output().unwrap();
        assert!(o.status.success());
        assert!(String::from_utf8_lossy(&o.stderr).contains("is readable by other users (mode 644)"));
        std::fs::set_permissions(&s.key, std::fs::Permissions::from_mode(0o600)).unwrap();
    }

    // Cluster commands with bad input.
    s.write(".sops.yaml", "creation_rules:\n    - path_regex: ^other/\n      age: age1x\n");
    let mut c = s.n3x();
    c.arg("init").arg(edge_lab()).args(["--dir", "secrets"]);
    expect_err(c, 1, "no creation rule in");
    assert!(!s.path("secrets").exists(), "init writes nothing when it fails");
    std::fs::remove_file(s.path(".sops.yaml")).unwrap();
    let mut c = s.n3x();
    c.args(["completions", "nosuchshell"]);
    expect_err(c, 2, "invalid value");
    s.write("wrong-kind.yaml", "apiVersion: n3x.dev/v1alpha1\nkind: NetworkPlan\n");
    let mut c = s.n3x();
    c.args(["sops-config", "wrong-kind.yaml"]);
    expect_err(c, 1, "expected kind Inventory or Cluster");
    let mut c = s.n3x();
    c.args(["init", "wrong-kind.yaml"]);
    expect_err(c, 1, "expected kind");
    let mut c = s.n3x();
    c.args(["render-nix", "wrong-kind.yaml", "--out", "o"]);
    expect_err(c, 1, "expected kind");
    assert!(!s.path("o").exists(), "no partial output");
    let mut c = s.n3x();
    c.args(["sops-config", "--add-admin", "nope"]).arg(edge_lab());
    expect_err(c, 2, "--add-admin \"nope\"");
    let mut c = s.n3x();
    c.args(["render-nix", "--secrets-path", "no spaces allowed"]).arg(edge_lab()).args(["--out", "o"]);
    expect_err(c, 2, "--secrets-path");
    let mut c = s.n3x();
    c.args(["lint", "does-not-exist"]);
    expect_err(c, 1, "cannot read does-not-exist");
    let mut c = s.n3x();
    c.args(["encrypt", "--age", &s.recipient, "--encrypted-regex", "a", "--unencrypted-suffix", "_x", "plain.yaml"]);
    expect_err(c, 2, "at most one of");
    let _ = data("all-types.yaml");
}

#[test]
fn edit_keeps_plaintext_private() {
    let s = Sandbox::new();
    let f = s.write("e.yaml", "a: 1\n");
    std::fs::write(&f, ok(s.n3x().args(["encrypt", "--age", &s.recipient]).arg(&f).output().unwrap(), "enc")).unwrap();
    // The editor records the temp file's mode and path; afterwards the file is gone.
    let log = s.path("log.txt");
    let script = s.write(
        "ed.sh",
        &format!("#!/bin/sh\nstat -c %a \"$1\" > {0}\necho \"$1\" >> {0}\necho 'b: 2' >> \"$1\"\n", log.display()),
    );
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o755)).unwrap();
    }
    ok(s.n3x().env("EDITOR", &script).arg("edit").arg(&f).output().unwrap(), "edit");
    let l = std::fs::read_to_string(&log).unwrap();
    let mut lines = l.lines();
    assert_eq!(lines.next(), Some("600"));
    let tmp = PathBuf::from(lines.next().unwrap());
    assert!(!tmp.exists(), "plaintext temp file removed");
    assert_eq!(ok(s.n3x().arg("decrypt").arg(&f).output().unwrap(), "dec"), "a: 1\nb: 2\n");
    // An editor writing invalid YAML leaves the file untouched.
    let before = std::fs::read_to_string(&f).unwrap();
    let bad = s.write("bad.sh", "#!/bin/sh\necho 'a: [' > \"$1\"\n");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&bad, std::fs::Permissions::from_mode(0o755)).unwrap();
    }
    let mut c = s.n3x();
    c.env("EDITOR", &bad).arg("edit").arg(&f);
    expect_err(c, 1, "the edited text is not valid");
    assert_eq!(before, std::fs::read_to_string(&f).unwrap());
    let mut c = s.n3x();
    c.env("EDITOR", "false").arg("edit").arg(&f);
    expect_err(c, 1, "the file is unchanged");
    // A new file: without recipients the editor never opens; with .sops.yaml it is created.
    std::fs::remove_file(&log).unwrap();
    let mut c = s.n3x();
    c.env("EDITOR", &script).arg("edit").arg(s.path("new.yaml"));
    expect_err(c, 1, "no recipients");
    assert!(!log.exists(), "the editor did not run");
    s.write(".sops.yaml", &format!("creation_rules:\n    - age: {}\n", s.recipient));
    ok(s.n3x().env("EDITOR", &script).arg("edit").arg(s.path("new.yaml")).output().unwrap(), "edit new");
    assert_eq!(ok(s.n3x().arg("decrypt").arg(s.path("new.yaml")).output().unwrap(), "dec new"), "b: 2\n");
}

/// A run that must fail with exit 1; its standard output (lint's findings).
fn findings(out: std::process::Output, what: &str) -> String {
    assert_eq!(out.status.code(), Some(1), "{what}: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// Regression (issue 11): lint skipped `.txt` and extension-less files and walked past an
/// OpenSSH private key, a host key and an age identity in a rendered tree.
#[test]
fn lint_reads_every_file_by_content() {
    let s = Sandbox::new();
    let identity = std::fs::read_to_string(&s.key).unwrap();
    s.write("tree/notes.txt", &identity);
    s.write(
        "tree/etc/ssh/ssh_host_ed25519_key",
        "-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAA\n-----END OPENSSH PRIVATE KEY-----\n",
    );
    s.write("tree/id_ed25519", "-----BEGIN OPENSSH PRIVATE KEY-----\nAAAA\n-----END OPENSSH PRIVATE KEY-----\n");
    s.write(
        "tree/token",
        "K10aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa::server:0123456789abcdef\n",
    );
    s.write("tree/clean.md", "# nothing secret here\n");
    let out = findings(s.n3x().args(["lint", "tree"]).output().unwrap(), "lint");
    let mut found = 0;
    for f in ["tree/notes.txt:", "tree/etc/ssh/ssh_host_ed25519_key:1:", "tree/id_ed25519:1:", "tree/token:1:"] {
        assert!(out.contains(f), "{f} not reported:\n{out}");
        found += 1;
    }
    assert_eq!(found, 4);
    assert!(!out.contains("clean.md"), "{out}");
    let secret = identity.lines().find(|l| l.starts_with("AGE-SECRET-KEY-1")).unwrap();
    assert!(!out.contains(secret), "lint never prints the secret:\n{out}");
}

/// Regression (issue 11): lint read files without the input size cap. A file over
/// N3X_MAX_INPUT_SIZE is a finding (it cannot be checked, so it cannot pass); the files
/// within the cap are still checked.
#[test]
fn lint_reports_a_file_over_the_input_cap_as_a_finding() {
    let s = Sandbox::new();
    s.write("tree/big.bin", &"x".repeat(2048));
    s.write("tree/small.txt", "# nothing secret here\n");
    s.write("tree/id", "-----BEGIN OPENSSH PRIVATE KEY-----\nAAAA\n-----END OPENSSH PRIVATE KEY-----\n");
    let out = findings(s.n3x().env("N3X_MAX_INPUT_SIZE", "1KiB").args(["lint", "tree"]).output().unwrap(), "lint");
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines.len(), 2, "{out}");
    assert!(
        lines.iter().any(|l| l.contains("tree/big.bin")
            && l.contains("input limit of 1024")
            && l.contains("N3X_MAX_INPUT_SIZE")),
        "{out}"
    );
    assert!(lines.iter().any(|l| l.contains("tree/id:1:")), "{out}");
    // Without the low cap the big file is read and clean.
    let out = findings(s.n3x().args(["lint", "tree"]).output().unwrap(), "lint");
    assert!(!out.contains("big.bin"), "{out}");
}

/// The host-key lifecycle without hand edits: `bootstrap-host --host-keys` records the
/// key, `sops-config --host-keys` makes it a recipient, `lint` sees the secret file lacks
/// it, `init --update-keys` re-wraps the data key, and the host's identity opens the file
/// (also with the real sops).
#[test]
fn recorded_host_key_reaches_sops_config_and_init_rewraps_and_lint_checks_recipients() {
    let s = Sandbox::new();
    // single-node without its hostKey: the test must hold the host's private key.
    let inv = std::fs::read_to_string(n3x_testkit::repo_root().join("examples/single-node/inventory.yaml")).unwrap();
    let inv: String = inv.lines().filter(|l| !l.contains("hostKey:")).map(|l| format!("{l}\n")).collect();
    s.write("inventory.yaml", &inv);
    let config = |s: &Sandbox| {
        let o = s
            .n3x()
            .args(["sops-config", "inventory.yaml", "--add-admin", &s.recipient, "--host-keys", "hostkeys"])
            .args(["-o", ".sops.yaml"])
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&o.stderr).into_owned();
        ok(o, "sops-config");
        stderr
    };
    assert!(config(&s).contains("node nuc-1 has no hostKey"));
    ok(s.n3x().args(["init", "inventory.yaml", "--update-keys"]).output().unwrap(), "init");
    ok(s.n3x().args(["lint", "secrets"]).output().unwrap(), "lint before the key");

    let o = s
        .n3x()
        .args(["bootstrap-host", "nuc-1", "inventory.yaml", "--out", "extra", "--host-keys", "hostkeys"])
        .output()
        .unwrap();
    let recipient = ok(o, "bootstrap-host");
    let recorded = std::fs::read_to_string(s.path("hostkeys/nuc-1.pub")).unwrap();
    assert_eq!(recorded, std::fs::read_to_string(s.path("extra/etc/ssh/ssh_host_ed25519_key.pub")).unwrap());
    assert!(!config(&s).contains("has no hostKey"));
    assert!(std::fs::read_to_string(s.path(".sops.yaml")).unwrap().contains(recipient.trim()));

    // .sops.yaml now requires the host; the files do not have it yet.
    let out = findings(s.n3x().args(["lint", "secrets"]).output().unwrap(), "lint after the key");
    assert_eq!(out.matches("requires recipient").count(), 3, "{out}");

    // Without an identity the re-wrap cannot happen, and says why.
    let o = s.n3x_no_key().args(["init", "inventory.yaml", "--update-keys"]).output().unwrap();
    assert_eq!(o.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&o.stderr).contains("needs an admin identity"));
    let token_before = plain_token(&s);
    let o = s.n3x().args(["init", "inventory.yaml", "--update-keys", "--host-keys", "hostkeys"]).output().unwrap();
    let stderr = String::from_utf8_lossy(&o.stderr).into_owned();
    ok(o, "init --update-keys");
    assert_eq!(stderr.matches("recipients updated").count(), 3, "{stderr}");
    ok(s.n3x().args(["lint", "secrets"]).output().unwrap(), "lint after the re-wrap");
    assert_eq!(plain_token(&s), token_before, "the re-wrap keeps the values");

    // The host's identity opens its files.
    let id = ok(
        s.n3x().args(["ssh-to-age", "--private", "extra/etc/ssh/ssh_host_ed25519_key"]).output().unwrap(),
        "--private",
    );
    let host_id = s.write("host-id.txt", &id);
    for f in ["secrets/hosts/nuc-1.yaml", "secrets/cluster.yaml", "secrets/agent.yaml"] {
        ok(s.n3x_no_key().env("SOPS_AGE_KEY_FILE", &host_id).args(["decrypt", f]).output().unwrap(), f);
        if let Some(mut sops) = s.sops() {
            ok(sops.env("SOPS_AGE_KEY_FILE", &host_id).args(["-d", f]).output().unwrap(), f);
        }
    }
    // Idempotent: a second run changes no byte.
    let before = std::fs::read(s.path("secrets/cluster.yaml")).unwrap();
    ok(s.n3x().args(["init", "inventory.yaml", "--update-keys", "--host-keys", "hostkeys"]).output().unwrap(), "again");
    assert_eq!(before, std::fs::read(s.path("secrets/cluster.yaml")).unwrap());
    // A bad recorded key is an error naming the file and the fix.
    s.write("hostkeys/nuc-1.pub", "not a key\n");
    let mut c = s.n3x();
    c.args(["sops-config", "inventory.yaml", "--host-keys", "hostkeys"]);
    expect_err(c, 1, "hostkeys/nuc-1.pub: expected one ssh-ed25519 public key line");
}
