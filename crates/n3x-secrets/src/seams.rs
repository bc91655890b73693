//! The side effects the core needs, behind traits so the core stays pure and testable:
//! randomness (data keys, IVs, tokens, key pairs), the clock (`lastmodified`) and
//! the editor (`edit`). The real implementations live here too and are used only by
//! `main.rs`; tests pass fixed ones.

/// A source of random bytes.
pub trait Rng {
    /// Fills `buf` with random bytes.
    fn fill(&mut self, buf: &mut [u8]) -> Result<(), String>;
}

/// The clock: seconds since the Unix epoch, UTC.
pub trait Clock {
    /// Now.
    fn now(&self) -> i64;
}

/// The operating system's random generator (`getrandom`).
#[derive(Debug, Default, Clone, Copy)]
pub struct OsRng;

impl Rng for OsRng {
    fn fill(&mut self, buf: &mut [u8]) -> Result<(), String> {
        getrandom::getrandom(buf).map_err(|e| format!("the operating system's random generator failed: {e}"))
    }
}

/// The system clock.
#[derive(Debug, Default, Clone, Copy)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> i64 {
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
            .unwrap_or(0)
    }
}

/// A deterministic generator for tests and goldens (a SHA-512 counter stream).
/// Never used for real secrets.
#[derive(Debug, Clone)]
pub struct TestRng {
    seed: u64,
    counter: u64,
}

impl TestRng {
    /// A stream from `seed`.
    pub fn new(seed: u64) -> Self {
        TestRng { seed, counter: 0 }
    }
}

impl Rng for TestRng {
    fn fill(&mut self, buf: &mut [u8]) -> Result<(), String> {
        use sha2::Digest;
        for chunk in buf.chunks_mut(64) {
            let mut h = sha2::Sha512::new();
            h.update(self.seed.to_le_bytes());
            h.update(self.counter.to_le_bytes());
            self.counter += 1;
            let d = h.finalize();
            chunk.copy_from_slice(&d[..chunk.len()]);
        }
        Ok(())
    }
}

/// A fixed clock for tests.
#[derive(Debug, Clone, Copy)]
pub struct FixedClock(pub i64);

impl Clock for FixedClock {
    fn now(&self) -> i64 {
        self.0
    }
}

/// Opens a file in an editor and waits for it to close.
pub trait Editor {
    /// Edits `path` in place.
    fn edit(&self, path: &std::path::Path) -> Result<(), String>;
}

/// `$EDITOR` (split on whitespace, as sops does), falling back to `vi`.
#[derive(Debug, Default, Clone, Copy)]
pub struct EnvEditor;

impl Editor for EnvEditor {
    fn edit(&self, path: &std::path::Path) -> Result<(), String> {
        let editor = std::env::var("EDITOR").ok().filter(|e| !e.trim().is_empty()).unwrap_or_else(|| "vi".into());
        let mut parts = editor.split_whitespace();
        let program = parts.next().unwrap_or("vi");
        let status = std::process::Command::new(program)
            .args(parts)
            .arg(path)
            .status()
            .map_err(|e| format!("cannot start the editor {program:?} (from $EDITOR): {e}"))?;
        if status.success() {
            Ok(())
        } else {
            Err(format!("the editor {program:?} exited with {status}; the file is unchanged"))
        }
    }
}
