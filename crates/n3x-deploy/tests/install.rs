//! install against a real sshd on 127.0.0.1 (the node) with stand-ins: on the node's PATH
//! recorded `lsblk`/`ip` outputs; on the deployer's PATH a `nix` that prints a recorded
//! system path and a `nixos-anywhere` stand-in that "installs" by making the node report
//! that generation. Proves: refusals (failed preflight, wrong name typed) touch nothing —
//! no stand-in runs, no file is written; --dry-run touches nothing; a confirmed install
//! waits for the host key and generation; waiting is bounded.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::path::{Path, PathBuf};

use n3x_core::rollout::{DeployReport, NodeStatus, Outcome};

const TOPLEVEL: &str = "/nix/store/8ql1bq4h1q6vd8kxg4sw5w0vbwzv3y0g-nixos-system-n100-1-25.05";

struct Deployer {
    repo: tempfile::TempDir,
    bin: PathBuf,
}

impl Deployer {
    fn calls(&self) -> String {
        std::fs::read_to_string(self.repo.path().join("deployer-calls.log")).unwrap_or_default()
    }
}

/// The deployer: a repository folder (cwd) and stand-in `nix` / `nixos-anywhere`.
/// `installs`: whether the nixos-anywhere stand-in makes the node report the new generation.
fn deployer(node: &common::Node, installs: bool) -> Deployer {
    let repo = tempfile::tempdir().unwrap();
    let bin = repo.path().join(".bin");
    std::fs::create_dir_all(&bin).unwrap();
    let log = repo.path().join("deployer-calls.log");
    common::stand_in(&bin, &log, "nix", &format!("[ \"$1\" = eval ] && echo {TOPLEVEL}"));
    let state = node.state();
    let body = if installs { format!("echo {TOPLEVEL} > '{}/current'", state.display()) } else { "true".into() };
    common::stand_in(&bin, &log, "nixos-anywhere", &body);
    Deployer { repo, bin }
}

/// The node's bootstrapped host key: the sshd's own key pair, in extra-files/n100-1.
fn place_host_key(node: &common::Node, repo: &Path) {
    let ssh = repo.join("extra-files/n100-1/etc/ssh");
    std::fs::create_dir_all(&ssh).unwrap();
    for f in ["ssh_host_ed25519_key", "ssh_host_ed25519_key.pub"] {
        std::fs::copy(node.sshd.dir.path().join(f), ssh.join(f)).unwrap();
    }
}

fn install(node: &common::Node, d: &Deployer, inv: &Path, extra: &[&str], stdin: &str) -> (i32, String, String) {
    let path = format!("{}:{}", d.bin.display(), std::env::var("PATH").unwrap());
    let out = common::cmd(node, inv, "install")
        .args(["n100-1", "--installer", "--deployer-system", "x86_64-linux", "--format", "json"])
        .args(extra)
        .current_dir(d.repo.path())
        .env("PATH", path)
        .write_stdin(stdin)
        .output()
        .unwrap();
    (
        out.status.code().unwrap(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn files_under(dir: &Path) -> Vec<String> {
    let mut v = Vec::new();
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            v.extend(files_under(&p));
        } else {
            v.push(p.display().to_string());
        }
    }
    v.sort();
    v
}

#[test]
fn confirmed_install_runs_nixos_anywhere_and_waits_for_key_and_generation_stand_in_nixos_anywhere() {
    let Some(node) = common::start("x86_64", "lsblk-nvme-installer.json") else { return };
    let inv = common::inventory(&node, &node.sshd.host_key, "500107862016");
    let d = deployer(&node, true);
    place_host_key(&node, d.repo.path());
    let (code, stdout, stderr) = install(&node, &d, &inv, &["--poll", "1"], "n100-1\n");
    assert_eq!(code, 0, "{stdout}\n{stderr}");
    let r: DeployReport = serde_json::from_str(&stdout).unwrap();
    assert_eq!(r.outcome, Outcome::Succeeded);
    assert_eq!(r.nodes[0].message, format!("installed; runs {TOPLEVEL}"));
    // The disk plan table was shown before the question.
    assert!(stderr.contains("ALL DATA ON IT IS ERASED"), "{stderr}");
    assert!(stderr.contains("Type the node name"), "{stderr}");
    let calls = d.calls();
    let lines: Vec<&str> = calls.lines().collect();
    assert_eq!(lines.len(), 2, "{calls}");
    assert_eq!(lines[0], "nix eval --raw .#nixosConfigurations.n100-1.config.system.build.toplevel.outPath");
    assert_eq!(
        lines[1],
        format!(
            "nixos-anywhere --flake .#n100-1 --target-host {}@127.0.0.1 -p {} -i {} --extra-files extra-files/n100-1 --build-on local",
            node.sshd.user,
            node.sshd.port,
            node.sshd.identity.display()
        )
    );
}

#[test]
fn waiting_is_bounded_stand_in_nixos_anywhere_that_leaves_the_old_system() {
    let Some(node) = common::start("x86_64", "lsblk-nvme-installer.json") else { return };
    let inv = common::inventory(&node, &node.sshd.host_key, "500107862016");
    let d = deployer(&node, false);
    place_host_key(&node, d.repo.path());
    std::fs::write(node.state().join("current"), "/nix/store/0ld-nixos-system\n").unwrap();
    let t = std::time::Instant::now();
    let (code, stdout, stderr) = install(&node, &d, &inv, &["--yes", "--wait-timeout", "3", "--poll", "1"], "");
    assert_eq!(code, 1, "{stdout}\n{stderr}");
    assert!(t.elapsed().as_secs() < 30, "bounded: {:?}", t.elapsed());
    let r: DeployReport = serde_json::from_str(&stdout).unwrap();
    assert_eq!((r.outcome, r.nodes[0].status), (Outcome::Failed, NodeStatus::Failed));
    assert!(
        r.nodes[0].message.contains("did not come back") && r.nodes[0].message.contains("/nix/store/0ld-nixos-system"),
        "{}",
        r.nodes[0].message
    );
}

#[test]
fn refusals_touch_nothing_stand_in_lsblk() {
    let mut cases = 0;
    // A failed preflight (the disk is mounted), then a wrong name typed back.
    for (recording, stdin, why) in [
        ("lsblk-nvme-running.json", "n100-1\n", "preflight failed: disk-unmounted"),
        ("lsblk-nvme-installer.json", "n100-2\n", "not confirmed"),
        ("lsblk-nvme-installer.json", "", "not confirmed"),
    ] {
        let Some(node) = common::start("x86_64", recording) else { return };
        let inv = common::inventory(&node, &node.sshd.host_key, "500107862016");
        let d = deployer(&node, true);
        place_host_key(&node, d.repo.path());
        let before = files_under(d.repo.path());
        let (code, stdout, stderr) = install(&node, &d, &inv, &[], stdin);
        assert_eq!(code, 5, "{why}: {stdout}\n{stderr}");
        let r: DeployReport = serde_json::from_str(&stdout).unwrap();
        assert_eq!(r.outcome, Outcome::Refused);
        assert!(
            r.nodes[0].message.contains(why) && r.nodes[0].message.contains("nothing was changed"),
            "{}",
            r.nodes[0].message
        );
        assert_eq!(d.calls(), "", "{why}: no deployer program may run");
        assert_eq!(files_under(d.repo.path()), before, "{why}: no file may be written");
        assert!(!node.state().join("current").exists());
        cases += 1;
    }
    assert_eq!(cases, 3);
}

#[test]
fn dry_run_prints_every_step_and_touches_nothing() {
    let Some(node) = common::start("x86_64", "lsblk-nvme-installer.json") else { return };
    let inv = common::inventory(&node, &node.sshd.host_key, "500107862016");
    let d = deployer(&node, true);
    let (code, stdout, stderr) = install(&node, &d, &inv, &["--dry-run"], "");
    assert_eq!(code, 0, "{stderr}");
    let steps: Vec<&str> =
        stdout.lines().filter(|l| !l.starts_with('#')).map(|l| l.split_whitespace().next().unwrap()).collect();
    assert_eq!(steps, ["preflight", "confirm", "host-key", "evaluate", "install", "wait"]);
    assert!(stdout.contains("nixos-anywhere --flake '.#n100-1' --target-host"), "{stdout}");
    assert_eq!(d.calls(), "");
    assert_eq!(node.calls(), "", "not even a probe");
    assert!(!d.repo.path().join("extra-files").exists() && !d.repo.path().join("hostkeys").exists());
}

#[test]
fn missing_host_key_outside_a_rendered_repository_is_generated_recorded_and_refused() {
    let Some(node) = common::start("x86_64", "lsblk-nvme-installer.json") else { return };
    let inv = common::inventory(&node, &node.sshd.host_key, "500107862016");
    without_host_key(&inv);
    let d = deployer(&node, true);
    let (code, stdout, stderr) = install(&node, &d, &inv, &["--yes"], "");
    assert_eq!(code, 5, "{stdout}\n{stderr}");
    let r: DeployReport = serde_json::from_str(&stdout).unwrap();
    assert!(
        r.nodes[0].message.contains("has no .sops.yaml")
            && r.nodes[0].message.contains("nothing on the machine was changed"),
        "{}",
        r.nodes[0].message
    );
    let key = d.repo.path().join("extra-files/n100-1/etc/ssh/ssh_host_ed25519_key");
    use std::os::unix::fs::PermissionsExt;
    assert_eq!(std::fs::metadata(&key).unwrap().permissions().mode() & 0o777, 0o600);
    let public = std::fs::read_to_string(key.with_extension("pub")).unwrap();
    assert!(public.starts_with("ssh-ed25519 ") && public.contains("root@n100-1"));
    assert_eq!(std::fs::read_to_string(d.repo.path().join("hostkeys/n100-1.pub")).unwrap(), public);
    // The real ssh-keygen reads the private key and derives the same public key.
    let out = std::process::Command::new("ssh-keygen").arg("-y").arg("-f").arg(&key).output().unwrap();
    assert!(out.status.success());
    assert!(public.starts_with(String::from_utf8_lossy(&out.stdout).trim()));
    assert_eq!(d.calls(), "", "nixos-anywhere must not run before the secrets are re-encrypted");
}

fn without_host_key(inv: &Path) {
    let text = std::fs::read_to_string(inv).unwrap();
    let text: String = text.lines().filter(|l| !l.contains("hostKey")).map(|l| format!("{l}\n")).collect();
    std::fs::write(inv, text).unwrap();
}

/// Runs a workspace binary (n3x-inventory, n3x-secrets) in `dir`; panics with its stderr on failure.
fn tool(dir: &Path, name: &str, args: &[&str], env: &[(&str, &Path)]) -> Vec<u8> {
    let mut c = std::process::Command::new(n3x_testkit::workspace_binaries().join(name));
    c.current_dir(dir).args(args).env_remove("SOPS_AGE_KEY_FILE").env_remove("N3X_ADMIN_IDENTITY");
    for (k, v) in env {
        c.env(k, v);
    }
    let out = c.output().unwrap();
    assert!(out.status.success(), "{name} {args:?}: {}", String::from_utf8_lossy(&out.stderr));
    out.stdout
}

/// Every file under `dir` with its bytes.
fn snapshot(dir: &Path) -> Vec<(String, Vec<u8>)> {
    files_under(dir).into_iter().map(|f| (f.clone(), std::fs::read(&f).unwrap())).collect()
}

/// `sops -d FILE` with the identities in `key_file`: (success, stdout, stderr).
fn sops_decrypt(sops: &Path, key_file: &Path, file: &Path) -> (bool, String, String) {
    let out = std::process::Command::new(sops)
        .arg("-d")
        .arg(file)
        .env("SOPS_AGE_KEY_FILE", key_file)
        .env_remove("SOPS_AGE_KEY")
        .env("HOME", key_file.parent().unwrap())
        .output()
        .unwrap();
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn bootstrapped_host_key_is_made_a_recipient_before_nixos_anywhere_real_sops_decrypts_with_the_node_key() {
    let Some(sops) = n3x_testkit::sops() else { return };
    let Some(age_keygen) = n3x_testkit::require(n3x_testkit::AGE_KEYGEN) else { return };
    let Some(node) = common::start("x86_64", "lsblk-nvme-installer.json") else { return };
    let inv = common::inventory(&node, &node.sshd.host_key, "500107862016");
    without_host_key(&inv);
    let d = deployer(&node, true);
    let repo = d.repo.path();
    // The admin identity lives outside the repository, as scripts/render demands.
    let keys = tempfile::tempdir().unwrap();
    let admin = keys.path().join("admin.agekey");
    assert!(std::process::Command::new(&age_keygen).arg("-o").arg(&admin).output().unwrap().status.success());
    let admin_pub =
        String::from_utf8(std::process::Command::new(&age_keygen).arg("-y").arg(&admin).output().unwrap().stdout)
            .unwrap()
            .trim()
            .to_string();
    // The repository as scripts/render leaves it before the node has a host key: the
    // secrets step (sops-config, then init --update-keys) with the admin identity.
    let cluster_json = tool(repo, "n3x-inventory", &["normalize", inv.to_str().unwrap()], &[]);
    std::fs::write(repo.join("cluster.json"), cluster_json).unwrap();
    let render_secrets = || {
        let sops_yaml = tool(
            repo,
            "n3x-secrets",
            &["sops-config", "cluster.json", "--add-admin", &admin_pub, "--host-keys", "hostkeys"],
            &[],
        );
        std::fs::write(repo.join(".sops.yaml"), &sops_yaml).unwrap();
        tool(
            repo,
            "n3x-secrets",
            &[
                "init",
                "cluster.json",
                "--dir",
                "secrets",
                "--update-keys",
                "--host-keys",
                "hostkeys",
                "--add-admin",
                &admin_pub,
            ],
            &[("SOPS_AGE_KEY_FILE", &admin)],
        );
    };
    render_secrets();
    let rendered = snapshot(&repo.join("secrets"));
    assert_eq!(rendered.len(), 3, "cluster, agent and host file: {rendered:?}");
    let (_, plain_before, err) = sops_decrypt(&sops, &admin, &repo.join("secrets/cluster.yaml"));
    assert!(plain_before.contains("k3s-token"), "{err}");
    // nixos-anywhere stand-in: copies the extra files' host key onto the machine (sshd
    // re-reads it on SIGHUP), keeps a copy of the secret files it installs, and makes the
    // node run the evaluated generation.
    let sshd_dir = node.sshd.dir.path();
    common::stand_in(
        &d.bin,
        &repo.join("deployer-calls.log"),
        "nixos-anywhere",
        &format!(
            "cp extra-files/n100-1/etc/ssh/ssh_host_ed25519_key '{0}/ssh_host_ed25519_key'\n\
             cp extra-files/n100-1/etc/ssh/ssh_host_ed25519_key.pub '{0}/ssh_host_ed25519_key.pub'\n\
             kill -HUP $(cat '{0}/sshd.pid')\nmkdir -p installed && cp -r secrets installed/\n\
             echo {TOPLEVEL} > '{1}/current'",
            sshd_dir.display(),
            node.state().display()
        ),
    );
    let path = format!("{}:{}", d.bin.display(), std::env::var("PATH").unwrap());
    let run = |identity: Option<&Path>| {
        let mut c = common::cmd(&node, &repo.join("cluster.json"), "install");
        c.args([
            "n100-1",
            "--installer",
            "--yes",
            "--deployer-system",
            "x86_64-linux",
            "--format",
            "json",
            "--poll",
            "1",
        ])
        .current_dir(repo)
        .env("PATH", &path)
        .env_remove("SOPS_AGE_KEY_FILE")
        .env_remove("N3X_ADMIN_IDENTITY");
        if let Some(i) = identity {
            c.env("N3X_ADMIN_IDENTITY", i);
        }
        c.output().unwrap()
    };
    // Without the admin identity the node cannot be made a recipient: refused before the
    // machine is touched, .sops.yaml and the secrets as they were.
    let sops_yaml = std::fs::read(repo.join(".sops.yaml")).unwrap();
    let out = run(None);
    let r: DeployReport = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(out.status.code(), Some(5), "{r:#?}");
    assert!(r.nodes[0].message.contains("set N3X_ADMIN_IDENTITY"), "{}", r.nodes[0].message);
    assert_eq!(
        (std::fs::read(repo.join(".sops.yaml")).unwrap(), snapshot(&repo.join("secrets"))),
        (sops_yaml, rendered.clone())
    );
    assert_eq!(d.calls(), "");
    // With it (the key generated above is now in the extra files): re-keyed, then installed.
    let out = run(Some(&admin));
    let (stdout, stderr) = (String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    assert_eq!(out.status.code(), Some(0), "{stdout}\n{stderr}");
    let r: DeployReport = serde_json::from_str(&stdout).unwrap();
    assert_eq!(r.nodes[0].message, format!("installed; runs {TOPLEVEL}"));
    let events: Vec<serde_json::Value> = stderr.lines().filter_map(|l| serde_json::from_str(l).ok()).collect();
    let secrets = events.iter().find(|e| e["event"] == "secrets").unwrap_or_else(|| panic!("{stderr}"));
    assert_eq!(
        secrets["files"],
        serde_json::json!(["secrets/hosts/n100-1.yaml", "secrets/cluster.yaml", "secrets/agent.yaml"]),
        "{stderr}"
    );
    // The node's identity, as sops-nix derives it from the installed host key.
    let key = repo.join("extra-files/n100-1/etc/ssh/ssh_host_ed25519_key");
    let node_id = keys.path().join("node.agekey");
    std::fs::write(&node_id, tool(repo, "n3x-secrets", &["ssh-to-age", "--private", key.to_str().unwrap()], &[]))
        .unwrap();
    let mut decrypted = 0;
    for f in ["cluster.yaml", "agent.yaml", "hosts/n100-1.yaml"] {
        // What nixos-anywhere installed, read by the real sops with the node's key.
        let (ok, plain, err) = sops_decrypt(&sops, &node_id, &repo.join("installed/secrets").join(f));
        assert!(ok, "{f}: {err}");
        // Before the install's host-key step the node could not read it.
        let before = keys.path().join(f.replace('/', "-"));
        std::fs::write(&before, &rendered.iter().find(|(p, _)| p.ends_with(f)).unwrap().1).unwrap();
        assert!(!sops_decrypt(&sops, &node_id, &before).0, "{f} was readable before");
        if f == "cluster.yaml" {
            assert_eq!(plain, plain_before, "values untouched");
        }
        decrypted += 1;
    }
    assert_eq!(decrypted, 3);
    // The install came back on the bootstrapped key (nothing else was accepted while waiting).
    assert!(node.calls().contains("readlink -f /run/current-system"));
    // The next render changes no byte: .sops.yaml and every secret file are what it writes.
    let before_render = (std::fs::read(repo.join(".sops.yaml")).unwrap(), snapshot(&repo.join("secrets")));
    assert!(String::from_utf8_lossy(&before_render.0).contains(
        &n3x_secrets::identity::ssh_line_to_recipient(&std::fs::read_to_string(key.with_extension("pub")).unwrap())
            .unwrap()
            .unwrap()
            .to_string()
    ));
    render_secrets();
    assert_eq!(std::fs::read(repo.join(".sops.yaml")).unwrap(), before_render.0, ".sops.yaml as the render writes it");
    assert_eq!(snapshot(&repo.join("secrets")), before_render.1, "no secret file re-wrapped again by the render");
}
