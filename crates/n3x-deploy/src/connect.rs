//! SSH to a node, through n3x-inventory's probe session (host key verified against
//! known_hosts, key or agent authentication). Nothing here decides anything.

use std::path::PathBuf;
use std::time::Duration;

use n3x_core::cluster::Node;
use n3x_inventory::probe::ssh::{SshRemote, Target};

/// How to reach the nodes.
#[derive(Debug, Clone)]
pub struct SshOptions {
    /// Private key file; `None` tries the agent, then `~/.ssh/id_ed25519`.
    pub identity: Option<PathBuf>,
    /// known_hosts to verify against.
    pub known_hosts: PathBuf,
    /// Trust a host that known_hosts does not list (a changed key is always refused).
    pub accept_new: bool,
    /// Connect and read timeout.
    pub timeout: Duration,
}

/// The probe target of a node.
pub fn target(node: &Node, o: &SshOptions) -> Target {
    Target {
        host: node.ssh.host.clone(),
        port: node.ssh.port,
        user: node.ssh.user.clone(),
        identity: o.identity.clone(),
        known_hosts: o.known_hosts.clone(),
        accept_new: o.accept_new,
        timeout: o.timeout,
    }
}

/// Connects to a node.
pub fn connect(node: &Node, o: &SshOptions) -> Result<SshRemote, String> {
    SshRemote::connect(&target(node, o)).map_err(|e| format!("{}: {e}", node.name))
}

/// Connects to a node that must present `key` (an OpenSSH public key line): a
/// known_hosts file naming only that key is written to a temporary folder, so a machine
/// with any other key is refused before login.
pub fn connect_expecting(node: &Node, o: &SshOptions, key: &str) -> Result<SshRemote, String> {
    let dir = tempfile::tempdir().map_err(|e| format!("cannot create a temporary folder: {e}"))?;
    let file = dir.path().join("known_hosts");
    let host =
        if node.ssh.port == 22 { node.ssh.host.clone() } else { format!("[{}]:{}", node.ssh.host, node.ssh.port) };
    let body: Vec<&str> = key.split_whitespace().take(2).collect();
    std::fs::write(&file, format!("{host} {}\n", body.join(" ")))
        .map_err(|e| format!("cannot write {}: {e}", file.display()))?;
    let opts = SshOptions { known_hosts: file, accept_new: false, ..o.clone() };
    connect(node, &opts)
}
