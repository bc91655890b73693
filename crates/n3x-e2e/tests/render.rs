//! `make render` / `scripts/render`: one inventory into one cluster repository.
//!
//! - every example renders twice with zero diff, into a complete tree (every node its host
//!   files and secret file, every server its manifests module), with no absolute path, no
//!   unencrypted private material (`n3x-secrets lint` plus a content scan here) and each
//!   warning printed once;
//! - after `bootstrap-host --host-keys` and a second render, the real sops opens each
//!   host's secret file with that host's identity (no inventory edit);
//! - removing a node removes its files (and lists them) and its recipient from the secret
//!   files, and leaves files a person added alone.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// The workspace's binaries (built once; see `n3x_testkit::workspace_binaries`).
fn binaries() -> PathBuf {
    n3x_testkit::workspace_binaries()
}

/// Every file under `dir` (but `.git`) with its bytes, by relative path.
fn snapshot(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    fn walk(base: &Path, dir: &Path, out: &mut BTreeMap<String, Vec<u8>>) {
        for e in std::fs::read_dir(dir).unwrap() {
            let p = e.unwrap().path();
            if p.file_name().is_some_and(|n| n == ".git") {
                continue;
            }
            if p.is_dir() {
                walk(base, &p, out);
            } else {
                let rel = p.strip_prefix(base).unwrap().to_string_lossy().into_owned();
                out.insert(rel, std::fs::read(&p).unwrap());
            }
        }
    }
    let mut out = BTreeMap::new();
    walk(dir, dir, &mut out);
    out
}

fn ok(what: &str, o: &Output) -> String {
    assert!(
        o.status.success(),
        "{what} failed ({}):\n{}\n{}",
        o.status,
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    );
    String::from_utf8_lossy(&o.stdout).into_owned()
}

/// `make render` exactly as a user runs it, without rebuilding the release binaries
/// (`-o build`: the debug ones from `binaries()` are used through BIN).
fn make_render(bin: &Path, inventory: &Path, out: &Path, identity: &Path) -> Output {
    Command::new("make")
        .current_dir(n3x_testkit::repo_root())
        .args(["-s", "-o", "build", "render"])
        .arg(format!("BIN={}", bin.display()))
        .arg(format!("INVENTORY={}", inventory.display()))
        .arg(format!("OUT={}", out.display()))
        .env("N3X_ADMIN_IDENTITY", identity)
        .env_remove("SOPS_AGE_KEY_FILE")
        .output()
        .unwrap()
}

fn keygen(bin: &Path, path: &Path) {
    ok(
        "n3x-secrets keygen",
        &Command::new(bin.join("n3x-secrets")).arg("keygen").arg("-o").arg(path).output().unwrap(),
    );
}

fn cluster(out: &Path) -> n3x_core::Cluster {
    serde_json::from_str(&std::fs::read_to_string(out.join("cluster.json")).unwrap()).unwrap()
}

/// The inventory's text without its `hostKey:` lines (so the test holds every private key).
fn without_host_keys(text: &str) -> String {
    text.lines().filter(|l| !l.trim_start().starts_with("hostKey:")).map(|l| format!("{l}\n")).collect()
}

/// The inventory's text without the node `name` (its `  - name:` item up to the next one
/// or the next top-level key).
fn without_node(text: &str, name: &str) -> String {
    let mut out = String::new();
    let mut skipping = false;
    for l in text.lines() {
        if l.starts_with("  - name: ") {
            skipping = l.trim_end() == format!("  - name: {name}");
        } else if !l.starts_with(' ') && !l.is_empty() {
            skipping = false;
        }
        if !skipping {
            out.push_str(l);
            out.push('\n');
        }
    }
    out
}

fn examples() -> Vec<PathBuf> {
    let root = n3x_testkit::repo_root();
    let mut v: Vec<PathBuf> = std::fs::read_dir(root.join("examples"))
        .unwrap()
        .map(|e| e.unwrap().path().join("inventory.yaml"))
        .filter(|p| p.is_file())
        .collect();
    v.sort();
    v
}

/// Checks the things every rendered repository must hold; returns how many files it saw.
fn check_tree(bin: &Path, out: &Path, stderr: &str) -> usize {
    let c = cluster(out);
    assert!(!c.nodes.is_empty());
    for n in &c.nodes {
        let host = out.join("hosts").join(n.name.as_str());
        for f in ["default.nix", "disko.nix", "network.nix", "secrets.nix"] {
            assert!(host.join(f).is_file(), "{}/{f} is missing", n.name);
        }
        let server = n.role == n3x_core::model::Role::Server;
        assert_eq!(host.join("k3s-manifests.nix").is_file(), server, "{}: k3s-manifests.nix only on servers", n.name);
        assert!(out.join(format!("secrets/hosts/{}.yaml", n.name)).is_file(), "{}: no secret file", n.name);
    }
    for f in ["flake.nix", ".sops.yaml", ".gitignore", "README.md", "secrets/cluster.yaml", "secrets/agent.yaml"] {
        assert!(out.join(f).is_file(), "{f} is missing");
    }
    assert!(out.join(".git").is_dir(), "the output is not a git repository");
    let manifests = std::fs::read_dir(out.join("manifests")).unwrap().count();
    assert!(manifests >= 3, "only {manifests} manifests");
    assert!(!out.join(".n3x/stage").exists(), "the staging folder was left behind");

    // The repository's own lint passes (from the repository, as a user runs it) ...
    let lint = Command::new(bin.join("n3x-secrets")).current_dir(out).args(["lint", "."]).output().unwrap();
    ok("n3x-secrets lint", &lint);
    // ... and a content scan of every file finds no private material and no absolute
    // path (of the output, the checkout or the home folder).
    let root = n3x_testkit::repo_root();
    let files = snapshot(out);
    for (rel, bytes) in &files {
        let text = String::from_utf8_lossy(bytes);
        for needle in ["AGE-SECRET-KEY-1", "PRIVATE KEY-----", "BEGIN OPENSSH PRIVATE"] {
            assert!(!text.contains(needle), "{rel} holds private material ({needle})");
        }
        for p in [out.to_string_lossy(), root.to_string_lossy()] {
            assert!(!text.contains(p.as_ref()), "{rel} holds the absolute path {p}");
        }
        if rel.starts_with("secrets/") {
            assert!(text.contains("ENC[AES256_GCM,") || text.contains("\nsops:"), "{rel} is not sops-encrypted");
        }
    }
    // Each warning once.
    let warnings: Vec<&str> = stderr.lines().filter(|l| l.contains("warning")).collect();
    let mut unique = warnings.clone();
    unique.sort();
    unique.dedup();
    assert_eq!(warnings.len(), unique.len(), "a warning was printed twice:\n{stderr}");
    files.len()
}

#[test]
fn every_example_renders_twice_with_zero_diff_and_a_complete_clean_tree() {
    let bin = binaries();
    let keys = tempfile::tempdir().unwrap();
    let identity = keys.path().join("admin.agekey");
    keygen(&bin, &identity);
    let mut checked = 0;
    for inventory in examples() {
        let out = tempfile::tempdir().unwrap();
        let out = out.path().join("repo");
        let first = make_render(&bin, &inventory, &out, &identity);
        ok("make render (first)", &first);
        let files = check_tree(&bin, &out, &String::from_utf8_lossy(&first.stderr));
        assert!(files > 15, "{}: only {files} files", inventory.display());
        let before = snapshot(&out);
        let second = make_render(&bin, &inventory, &out, &identity);
        let stdout = ok("make render (second)", &second);
        assert!(!stdout.contains("removed"), "the second run removed files:\n{stdout}");
        let after = snapshot(&out);
        let changed: Vec<&String> = after.iter().filter(|(k, v)| before.get(*k) != Some(*v)).map(|(k, _)| k).collect();
        assert!(changed.is_empty(), "{}: the second render changed {changed:?}", inventory.display());
        assert_eq!(before.len(), after.len());
        checked += 1;
    }
    assert_eq!(checked, 2, "examples rendered");
}

#[test]
fn a_bootstrapped_host_key_reaches_the_secret_files_and_sops_opens_them_with_it() {
    let Some(sops) = n3x_testkit::sops() else { return };
    let bin = binaries();
    let secrets = bin.join("n3x-secrets");
    let work = tempfile::tempdir().unwrap();
    let identity = work.path().join("admin.agekey");
    keygen(&bin, &identity);
    let mut opened = 0;
    for (i, example) in examples().iter().enumerate() {
        // The test holds every host's private key: the examples' host keys are dropped.
        let inventory = work.path().join(format!("inventory-{i}.yaml"));
        std::fs::write(&inventory, without_host_keys(&std::fs::read_to_string(example).unwrap())).unwrap();
        let out = work.path().join(format!("repo-{i}"));
        let first = make_render(&bin, &inventory, &out, &identity);
        ok("make render", &first);
        let nodes = cluster(&out).nodes;
        for n in &nodes {
            // Before a key exists the host is no recipient, and the render said so once.
            let stderr = String::from_utf8_lossy(&first.stderr);
            assert_eq!(stderr.matches(&format!("node {} has no hostKey", n.name)).count(), 1, "{stderr}");
            // Install folders stay outside the repository; the public key is recorded in it.
            let extra = work.path().join(format!("extra-{i}/{}", n.name));
            let o = Command::new(&secrets)
                .args(["bootstrap-host", n.name.as_str(), "--out"])
                .arg(&extra)
                .arg("--host-keys")
                .arg(out.join("hostkeys"))
                .output()
                .unwrap();
            ok("bootstrap-host", &o);
        }
        let second = make_render(&bin, &inventory, &out, &identity);
        ok("make render after bootstrap-host", &second);
        assert!(!String::from_utf8_lossy(&second.stderr).contains("has no hostKey"));
        check_tree(&bin, &out, &String::from_utf8_lossy(&second.stderr));
        for n in &nodes {
            // The host's age identity, as sops-nix derives it from the SSH host key.
            let key = work.path().join(format!("extra-{i}/{}/etc/ssh/ssh_host_ed25519_key", n.name));
            let age = ok(
                "ssh-to-age --private",
                &Command::new(&secrets).arg("ssh-to-age").arg("--private").arg(&key).output().unwrap(),
            );
            let host_identity = work.path().join(format!("host-{i}-{}.agekey", n.name));
            std::fs::write(&host_identity, age).unwrap();
            let mut files = vec![format!("secrets/hosts/{}.yaml", n.name), "secrets/agent.yaml".to_string()];
            if n.role == n3x_core::model::Role::Server {
                files.push("secrets/cluster.yaml".into());
            }
            for f in files {
                let d = Command::new(&sops)
                    .current_dir(&out)
                    .args(["-d", &f])
                    .env("SOPS_AGE_KEY_FILE", &host_identity)
                    .env_remove("SOPS_AGE_KEY")
                    .output()
                    .unwrap();
                ok(&format!("sops -d {f} with the identity of {}", n.name), &d);
                opened += 1;
            }
        }
        // An agent's key does not open the server token.
        if let Some(agent) = nodes.iter().find(|n| n.role == n3x_core::model::Role::Agent) {
            let host_identity = work.path().join(format!("host-{i}-{}.agekey", agent.name));
            let d = Command::new(&sops)
                .current_dir(&out)
                .args(["-d", "secrets/cluster.yaml"])
                .env("SOPS_AGE_KEY_FILE", &host_identity)
                .output()
                .unwrap();
            assert!(!d.status.success(), "agent {} opened the server token", agent.name);
        }
    }
    // edge-lab: 3 servers x 3 + 2 agents x 2; single-node: 1 server x 3.
    assert_eq!(opened, 16, "secret files opened with host identities");
}

#[test]
fn removing_a_node_removes_its_files_and_its_recipient() {
    let Some(sops) = n3x_testkit::sops() else { return };
    let bin = binaries();
    let work = tempfile::tempdir().unwrap();
    let identity = work.path().join("admin.agekey");
    keygen(&bin, &identity);
    let example = n3x_testkit::repo_root().join("examples/edge-lab/inventory.yaml");
    let text = std::fs::read_to_string(&example).unwrap();
    let inventory = work.path().join("inventory.yaml");
    std::fs::write(&inventory, &text).unwrap();
    let out = work.path().join("repo");
    ok("make render", &make_render(&bin, &inventory, &out, &identity));

    let gone = cluster(&out).nodes.into_iter().find(|n| n.name.as_str() == "rpi-1").unwrap();
    let pubkey = work.path().join("rpi-1.pub");
    std::fs::write(&pubkey, gone.host_key.as_deref().unwrap()).unwrap();
    let recipient =
        ok("ssh-to-age", &Command::new(bin.join("n3x-secrets")).arg("ssh-to-age").arg(&pubkey).output().unwrap());
    let recipient = recipient.trim().to_string();
    assert!(recipient.starts_with("age1"));
    let agent = std::fs::read_to_string(out.join("secrets/agent.yaml")).unwrap();
    assert!(agent.contains(&recipient), "rpi-1 is not a recipient of agent.yaml to begin with");
    // A person's own files next to the generated ones.
    std::fs::write(out.join("hosts/rpi-1/local.nix"), "{ }\n").unwrap();
    std::fs::write(out.join("notes.md"), "mine\n").unwrap();

    std::fs::write(&inventory, without_node(&text, "rpi-1")).unwrap();
    let r = make_render(&bin, &inventory, &out, &identity);
    let stdout = ok("make render without rpi-1", &r);
    for f in ["hosts/rpi-1/default.nix", "hosts/rpi-1/disko.nix", "hosts/rpi-1/network.nix", "secrets/hosts/rpi-1.yaml"]
    {
        assert!(!out.join(f).exists(), "{f} is still there");
        assert!(stdout.contains(f), "{f} is not in the list of removed files:\n{stdout}");
    }
    assert_eq!(cluster(&out).nodes.len(), 4);
    assert!(out.join("hosts/rpi-1/local.nix").is_file(), "a user-owned file was removed");
    assert!(out.join("notes.md").is_file(), "a file n3x did not generate was removed");
    let listed = std::fs::read_to_string(out.join(".n3x/generated")).unwrap();
    assert!(!listed.contains("rpi-1"), "the manifest still lists rpi-1");
    for f in [".sops.yaml", "secrets/agent.yaml", "secrets/cluster.yaml"] {
        let t = std::fs::read_to_string(out.join(f)).unwrap();
        assert!(!t.contains(&recipient), "{f} still names rpi-1's recipient");
    }
    // The re-wrapped file still opens for the admin, with the real sops.
    let d = Command::new(&sops)
        .current_dir(&out)
        .args(["-d", "secrets/agent.yaml"])
        .env("SOPS_AGE_KEY_FILE", &identity)
        .output()
        .unwrap();
    let plain = ok("sops -d secrets/agent.yaml", &d);
    assert!(plain.contains("k3s-agent-token"));
    check_tree(&bin, &out, &String::from_utf8_lossy(&r.stderr));
}

/// A step that fails inside one of the parallel lanes stops the render: exit 1, the
/// step's own message, the lanes' logs and the stage gone, and the output as it was.
/// The failing step is a stand-in (a script named n3x-netplan that exits 1), because no
/// inventory that normalize accepts makes a later tool refuse it.
#[cfg(unix)]
#[test]
fn a_failing_step_in_a_lane_leaves_the_output_as_it_was() {
    use std::os::unix::fs::PermissionsExt;
    let bin = binaries();
    let keys = tempfile::tempdir().unwrap();
    let identity = keys.path().join("admin.agekey");
    keygen(&bin, &identity);
    let inventory = examples().into_iter().next().unwrap();
    let out = tempfile::tempdir().unwrap();
    let out = out.path().join("repo");
    ok("make render", &make_render(&bin, &inventory, &out, &identity));
    let before = snapshot(&out);

    let broken = tempfile::tempdir().unwrap();
    for tool in ["n3x-inventory", "n3x-disko", "n3x-kube-bootstrap", "n3x-secrets"] {
        std::os::unix::fs::symlink(bin.join(tool), broken.path().join(tool)).unwrap();
    }
    let stand_in = broken.path().join("n3x-netplan");
    std::fs::write(&stand_in, "#!/bin/sh\necho 'n3x-netplan: error: stand-in refuses' >&2\nexit 1\n").unwrap();
    std::fs::set_permissions(&stand_in, std::fs::Permissions::from_mode(0o755)).unwrap();
    let r = make_render(broken.path(), &inventory, &out, &identity);
    let stderr = String::from_utf8_lossy(&r.stderr);
    assert!(!r.status.success(), "the render succeeded:\n{stderr}");
    assert!(stderr.contains("stand-in refuses"), "{stderr}");
    assert!(stderr.contains("was left as it was"), "{stderr}");
    assert_eq!(snapshot(&out), before, "the failed render changed the output");
}
