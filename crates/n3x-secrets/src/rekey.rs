//! One host becomes a recipient of the secrets it reads, in a rendered cluster
//! repository, without a full render: the part of the secrets step of `scripts/render`
//! (`sops-config --host-keys`, then `init --update-keys`) that a newly recorded host key
//! changes — `.sops.yaml` and the re-wrapped data keys of the existing files. Values are
//! never decrypted and no secret is created. `n3x-deploy install` calls it right after it
//! bootstrapped a host key, so the node can decrypt its secrets on first boot, and the
//! next render then changes no byte of it.

use std::path::{Path, PathBuf};

use n3x_core::io::{describe_io, write_file, Durability};
use n3x_core::{Cluster, Error};
use zeroize::Zeroizing;

use crate::config;
use crate::identity;
use crate::seams::Rng;
use crate::sops::{self, Emit};

/// The name `scripts/render` gives its `sops-config` input (the staged `cluster.json`):
/// the `.sops.yaml` header names it, so writing the same name keeps the file byte-identical
/// to what the next render writes.
pub const RENDER_SOURCE: &str = "cluster.json";

/// What [`ensure_host_recipient`] found or did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Rekey {
    /// The folder has no `.sops.yaml`: not a rendered repository, nothing to do.
    NoConfig,
    /// `.sops.yaml` and every file the node reads already list its recipient.
    UpToDate,
    /// `.sops.yaml` was rewritten and these files (repository-relative) re-wrapped.
    Rekeyed {
        /// The files whose data key was re-wrapped.
        files: Vec<String>,
    },
}

fn read(path: &Path) -> Result<String, Error> {
    std::fs::read_to_string(path).map_err(|source| Error::Read { path: path.display().to_string(), source })
}

/// The admin's identities and recipient from an age identity file (the
/// `N3X_ADMIN_IDENTITY` / `SOPS_AGE_KEY_FILE` of `scripts/render`).
fn admin(path: &Path) -> Result<(Vec<Box<dyn age::Identity>>, String), Error> {
    let text = Zeroizing::new(std::fs::read_to_string(path).map_err(|e| {
        Error::Failed(format!("cannot read the admin identity {}: {}", path.display(), describe_io(&e)))
    })?);
    let ids = identity::parse_identities(&text, &path.display().to_string()).map_err(Error::Failed)?;
    let recipient = ids.first().map(|i| i.to_public().to_string()).unwrap_or_default();
    Ok((ids.into_iter().map(|i| Box::new(i) as Box<dyn age::Identity>).collect(), recipient))
}

/// Makes `node`, with the host key `public_line` (an OpenSSH public key line; the
/// inventory's `hostKey` wins, as in a render), a recipient of every secret file it reads
/// in `repo`. The other nodes' keys come from the inventory and `repo/hostkeys/*.pub`.
///
/// When `.sops.yaml` and those files already list its recipient, nothing is written and
/// no identity is needed. Otherwise `.sops.yaml` is rewritten exactly as `scripts/render`
/// writes it (cluster, recorded host keys, the admin identity's recipient as extra admin)
/// and every existing file whose recipients differ from its rule gets its data key
/// re-wrapped with the admin identity (values untouched). A file the node reads that does
/// not exist yet is an error: the repository was not rendered.
pub fn ensure_host_recipient(
    repo: &Path,
    cluster: &Cluster,
    node: &str,
    public_line: &str,
    admin_identity: Option<&Path>,
    rng: &mut dyn Rng,
) -> Result<Rekey, Error> {
    let config_path = repo.join(".sops.yaml");
    if !config_path.is_file() {
        return Ok(Rekey::NoConfig);
    }
    let mut cluster = cluster.clone();
    crate::app::apply_host_keys(&mut cluster, &repo.join("hostkeys"))?;
    let n = cluster
        .nodes
        .iter_mut()
        .find(|n| n.name.as_str() == node)
        .ok_or_else(|| Error::Failed(format!("no node named {node:?} in the cluster")))?;
    let key = n.host_key.get_or_insert_with(|| public_line.trim().to_string()).clone();
    let recipient = identity::ssh_line_to_recipient(&key)
        .map_err(|e| Error::Failed(format!("the host key of {node}: {e}")))?
        .ok_or_else(|| Error::Failed(format!("the host key of {node} is empty")))?
        .to_string();
    let (files, _) = config::plan(&cluster, &[]);
    let mine: Vec<&config::SecretFile> =
        files.iter().filter(|f| f.readers.iter().any(|(_, r)| *r == recipient)).collect();
    let missing: Vec<&str> = mine.iter().filter(|f| !repo.join(&f.path).is_file()).map(|f| f.path.as_str()).collect();
    if !missing.is_empty() {
        return Err(Error::Failed(format!(
            "{} missing in {}: render the cluster repository first (scripts/render)",
            missing.join(", "),
            repo.display()
        )));
    }
    // Up to date: the rule of each file the node reads and the file itself list it.
    let current = config::parse(&read(&config_path)?, &config_path.display().to_string()).map_err(Error::Failed)?;
    let mut stale = false;
    for f in &mine {
        let in_rule = current.rule_for(&f.path).is_some_and(|r| r.groups().iter().flatten().any(|x| *x == recipient));
        let text = Zeroizing::new(read(&repo.join(&f.path))?);
        let enc =
            sops::parse_encrypted(&text, sops::Format::Yaml).map_err(|e| Error::Failed(format!("{}: {e}", f.path)))?;
        let in_file = sops::recipient_groups(&enc.meta).iter().flatten().any(|x| *x == recipient);
        stale |= !(in_rule && in_file);
    }
    if !stale {
        return Ok(Rekey::UpToDate);
    }
    let Some(identity_path) = admin_identity else {
        return Err(Error::Failed(format!(
            "the secrets {node} reads ({}) must be re-encrypted for its host key, which needs an admin identity: \
             set N3X_ADMIN_IDENTITY (or SOPS_AGE_KEY_FILE) to the age identity scripts/render uses",
            mine.iter().map(|f| f.path.as_str()).collect::<Vec<_>>().join(", ")
        )));
    };
    let (identities, admin_recipient) = admin(identity_path)?;
    let (files, _) = config::plan(&cluster, &[admin_recipient]);
    let text = config::render(&files, RENDER_SOURCE);
    let cfg = config::parse(&text, ".sops.yaml").map_err(Error::Failed)?;
    // Every re-wrap is prepared before anything is written: a file the admin cannot open
    // leaves the repository as it was.
    let mut writes: Vec<(PathBuf, String)> = Vec::new();
    let mut rekeyed = Vec::new();
    for f in &files {
        let path = repo.join(&f.path);
        if !path.is_file() {
            continue;
        }
        let Some(rule) = cfg.rule_for(&f.path) else { continue };
        let text = Zeroizing::new(read(&path)?);
        let enc =
            sops::parse_encrypted(&text, sops::Format::Yaml).map_err(|e| Error::Failed(format!("{}: {e}", f.path)))?;
        if sops::recipient_groups(&enc.meta) == rule.groups() {
            continue;
        }
        let data_key = sops::unwrap_key(&enc.meta, &identities, &[identity_path.display().to_string()])
            .map_err(|e| Error::Failed(format!("{}: {e}", f.path)))?;
        let updated = sops::update_keys(&enc, &data_key, &rule.groups(), rule.shamir_threshold, rng)
            .map_err(|e| Error::Failed(format!("{}: {e}", f.path)))?;
        writes.push((path, sops::render_encrypted(&updated, Emit::default())));
        rekeyed.push(f.path.clone());
    }
    // .sops.yaml first: should the run stop half-way, the next one sees the files stale and re-wraps them.
    write_file(&config_path, text.as_bytes(), None, Durability::Regenerable)?;
    for (path, text) in writes {
        // A re-wrapped file holds a data key that exists nowhere else: durable, mode kept.
        write_file(&path, text.as_bytes(), None, Durability::Durable)?;
    }
    Ok(Rekey::Rekeyed { files: rekeyed })
}
