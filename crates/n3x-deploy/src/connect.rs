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
