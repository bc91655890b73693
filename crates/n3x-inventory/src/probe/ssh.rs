//! The SSH side of `probe`, through libssh2 (`ssh2`): connect with a timeout, verify
//! the host key against known_hosts, authenticate with a key file or the agent, run
//! commands. Every failure becomes a sentence that says what to do.

use std::io::Read;
use std::net::{TcpStream, ToSocketAddrs};
use std::path::{Path, PathBuf};
use std::time::Duration;

use base64::Engine as _;
use ssh2::{CheckResult, KnownHostFileKind, Session};

/// How to connect.
#[derive(Debug, Clone)]
pub struct Target {
    /// Host name or address.
    pub host: String,
    /// Port.
    pub port: u16,
    /// User.
    pub user: String,
    /// Private key file; `None` tries the SSH agent, then `~/.ssh/id_ed25519`.
    pub identity: Option<PathBuf>,
    /// known_hosts file to verify the server against.
    pub known_hosts: PathBuf,
    /// Accept a host that known_hosts does not list (trust on first use; a mismatch is always refused).
    pub accept_new: bool,
    /// Connect and read timeout.
    pub timeout: Duration,
}

/// A verified, authenticated connection.
pub struct SshRemote {
    session: Session,
    host_key: Option<String>,
    /// Set when the host was accepted without a known_hosts entry.
    pub unverified: bool,
}

impl std::fmt::Debug for SshRemote {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SshRemote").field("host_key", &self.host_key).finish()
    }
}

fn io_text(e: &std::io::Error) -> String {
    n3x_core::io::describe_io(e)
}

impl SshRemote {
    /// Connects, verifies and authenticates.
    pub fn connect(t: &Target) -> Result<SshRemote, String> {
        let where_ = format!("{}:{}", t.host, t.port);
        let addr = (t.host.as_str(), t.port)
            .to_socket_addrs()
            .map_err(|e| format!("cannot resolve {}: {}", t.host, io_text(&e)))?
            .next()
            .ok_or_else(|| format!("{} resolves to no address", t.host))?;
        let tcp = TcpStream::connect_timeout(&addr, t.timeout).map_err(|e| match e.kind() {
            std::io::ErrorKind::TimedOut | std::io::ErrorKind::WouldBlock => {
                format!(
                    "cannot reach {where_}: no answer within {} s (is the machine up and the address right?)",
                    t.timeout.as_secs()
                )
            }
            std::io::ErrorKind::ConnectionRefused => {
                format!("cannot reach {where_}: connection refused (is sshd running on port {}?)", t.port)
            }
            _ => format!("cannot reach {where_}: {}", io_text(&e)),
        })?;
        let timeout_ms = u32::try_from(t.timeout.as_millis()).unwrap_or(u32::MAX);
        let mut session = Session::new().map_err(|e| format!("cannot start an SSH session: {e}"))?;
        session.set_timeout(timeout_ms);
        session.set_tcp_stream(tcp);
        session.handshake().map_err(|e| {
            format!(
                "SSH handshake with {where_} failed: {} (is it an SSH server? did it answer within {} s?)",
                e.message(),
                t.timeout.as_secs()
            )
        })?;

        let (key, _) = session.host_key().ok_or_else(|| format!("{where_} sent no host key"))?;
        let key = key.to_vec();
        let line = host_key_line(&key);
        let mut unverified = false;
        let mut known = session.known_hosts().map_err(|e| format!("cannot check known_hosts: {e}"))?;
        if t.known_hosts.exists() {
            known
                .read_file(&t.known_hosts, KnownHostFileKind::OpenSSH)
                .map_err(|e| format!("cannot read {}: {}", t.known_hosts.display(), e.message()))?;
        }
        match known.check_port(&t.host, t.port, &key) {
            CheckResult::Match => {}
            CheckResult::Mismatch => {
                return Err(format!(
                    "the host key of {where_} does not match {} — refusing to connect (a reinstalled machine, or someone in the middle). \
                     If the machine was reinstalled, check its new key and run: ssh-keygen -R '[{}]:{}' -f {}",
                    t.known_hosts.display(),
                    t.host,
                    t.port,
                    t.known_hosts.display()
                ))
            }
            CheckResult::NotFound if t.accept_new => unverified = true,
            CheckResult::NotFound | CheckResult::Failure => {
                return Err(format!(
                    "{where_} is not in {}; check its key (it sent {line}) and add it, or pass --accept-new to trust it this once",
                    t.known_hosts.display()
                ))
            }
        }

        authenticate(&session, t)?;
        Ok(SshRemote { session, host_key: line.into(), unverified })
    }
}

fn host_key_line(blob: &[u8]) -> String {
    // The blob starts with its own type name (u32 length + bytes); `get(..4)` yields
    // exactly four bytes, so `l[0..=3]` cannot fail.
    let kind = blob
        .get(..4)
        .map(|l| u32::from_be_bytes([l[0], l[1], l[2], l[3]]) as usize)
        .and_then(|n| blob.get(4..4 + n))
        .map(|t| String::from_utf8_lossy(t).into_owned())
        .unwrap_or_else(|| "unknown".into());
    format!("{kind} {}", base64::engine::general_purpose::STANDARD.encode(blob))
}

fn authenticate(session: &Session, t: &Target) -> Result<(), String> {
    let who = format!("{}@{}:{}", t.user, t.host, t.port);
    if let Some(id) = &t.identity {
        if !id.exists() {
            return Err(format!("identity file {} does not exist", id.display()));
        }
        return session
            .userauth_pubkey_file(&t.user, None, id, None)
            .map_err(|e| format!("authentication as {who} with {} failed: {}", id.display(), e.message()));
    }
    if std::env::var_os("SSH_AUTH_SOCK").is_some() && session.userauth_agent(&t.user).is_ok() {
        return Ok(());
    }
    let default = std::env::var_os("HOME").map(|h| Path::new(&h).join(".ssh/id_ed25519"));
    match default.filter(|p| p.exists()) {
        Some(id) => session
            .userauth_pubkey_file(&t.user, None, &id, None)
            .map_err(|e| format!("authentication as {who} with {} failed: {}", id.display(), e.message())),
        None => Err(format!("no way to authenticate as {who}: no SSH agent key worked and ~/.ssh/id_ed25519 does not exist; pass --identity FILE")),
    }
}

impl super::Remote for SshRemote {
    fn run(&mut self, command: &str) -> Result<String, String> {
        let mut ch = self.session.channel_session().map_err(|e| format!("cannot open a channel: {}", e.message()))?;
        ch.exec(command).map_err(|e| format!("cannot run: {}", e.message()))?;
        // The host decides how much it prints: read within the input cap, like any input.
        let limit = n3x_core::io::max_input_size().map_err(|e| e.to_string())?;
        let out = n3x_core::io::read_bounded(&mut ch, "its output", limit).map_err(|e| e.to_string())?;
        let mut err = String::new();
        let _ = ch.stderr().take(64 * 1024).read_to_string(&mut err);
        let _ = ch.wait_close();
        match ch.exit_status() {
            Ok(0) => Ok(out),
            Ok(code) => Err(format!("exited with status {code}: {}", err.trim())),
            Err(e) => Err(format!("lost the channel: {}", e.message())),
        }
    }
    fn host_key(&self) -> Option<String> {
        self.host_key.clone()
    }
}
