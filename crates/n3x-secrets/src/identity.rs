//! age identities and recipients: `age-keygen`'s file format, ssh-to-age (ed25519
//! public keys → X25519 recipients, OpenSSH ed25519 private keys → X25519
//! identities, the same conversion sops-nix's ssh-to-age makes), SSH host key
//! generation, and where identities are found (the sources sops reads).
//!
//! Pure: keys come from bytes the caller draws from its [`Rng`](crate::seams::Rng),
//! files are read through a closure. Secret text is wiped after use where the
//! types allow (`Zeroizing`).

use std::path::{Path, PathBuf};

use age::secrecy::ExposeSecret;
use curve25519_dalek::edwards::CompressedEdwardsY;
use n3x_core::keys::{AgeRecipient, SshPublicKey};
use sha2::Digest;
use zeroize::Zeroizing;

use crate::gofmt::Timestamp;
use crate::seams::Rng;

/// An X25519 identity from its 32 secret bytes.
pub fn identity_from_bytes(bytes: &[u8; 32]) -> Result<age::x25519::Identity, String> {
    let hrp = bech32::Hrp::parse("age-secret-key-").map_err(|e| e.to_string())?;
    let s = Zeroizing::new(bech32::encode::<bech32::Bech32>(hrp, bytes).map_err(|e| e.to_string())?.to_uppercase());
    s.parse::<age::x25519::Identity>().map_err(|e| e.to_string())
}

/// A new identity from the generator.
pub fn generate_identity(rng: &mut dyn Rng) -> Result<age::x25519::Identity, String> {
    let mut b = Zeroizing::new([0u8; 32]);
    rng.fill(&mut b[..])?;
    identity_from_bytes(&b)
}

/// The identity file exactly as `age-keygen` writes it.
pub fn keygen_file(id: &age::x25519::Identity, created: Timestamp) -> Zeroizing<String> {
    Zeroizing::new(format!(
        "# created: {}\n# public key: {}\n{}\n",
        created.rfc3339(),
        id.to_public(),
        id.to_string().expose_secret()
    ))
}

/// Parses identity text (an `age-keygen` file or `SOPS_AGE_KEY`): one identity a
/// line; empty lines and `#` comments skipped. Errors name the line, never its text.
pub fn parse_identities(text: &str, source: &str) -> Result<Vec<age::x25519::Identity>, String> {
    let mut out = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let l = line.trim();
        if l.is_empty() || l.starts_with('#') {
            continue;
        }
        if l.starts_with("AGE-PLUGIN-") {
            return Err(format!("{source}:{}: age plugin identities are not supported", i + 1));
        }
        if l.starts_with("-----BEGIN OPENSSH PRIVATE KEY-----") {
            return Err(format!(
                "{source}:{}: this is an SSH private key, not an age identity; convert it with `n3x-secrets ssh-to-age --private` or name it in SOPS_AGE_SSH_PRIVATE_KEY_FILE",
                i + 1
            ));
        }
        if l.starts_with("age-encryption.org/") || l.starts_with("-----BEGIN AGE ENCRYPTED FILE-----") {
            return Err(format!(
                "{source}: passphrase-protected identity files are not supported; decrypt it with `age -d` first"
            ));
        }
        let id = l.parse::<age::x25519::Identity>().map_err(|_| {
            format!("{source}:{}: not an age identity (expected a line starting with AGE-SECRET-KEY-1)", i + 1)
        })?;
        out.push(id);
    }
    if out.is_empty() {
        return Err(format!("{source}: no identity found (expected a line starting with AGE-SECRET-KEY-1)"));
    }
    Ok(out)
}

/// X25519 public key bytes of an ed25519 public key (Edwards → Montgomery).
pub fn ed25519_to_x25519_public(ed: &[u8; 32]) -> Option<[u8; 32]> {
    let point = CompressedEdwardsY(*ed).decompress()?;
    Some(point.to_montgomery().to_bytes())
}

/// Converts one public key line (authorized_keys, known_hosts, ssh-keyscan output or a
/// bare `ssh-ed25519 AAAA…`) to an age recipient. `Ok(None)` for blank/comment lines.
pub fn ssh_line_to_recipient(line: &str) -> Result<Option<AgeRecipient>, String> {
    let l = line.trim();
    if l.is_empty() || l.starts_with('#') {
        return Ok(None);
    }
    let tokens: Vec<&str> = l.split_whitespace().collect();
    let is_type = |t: &str| t.starts_with("ssh-") || t.starts_with("ecdsa-") || t.starts_with("sk-");
    let Some(pos) = tokens.iter().position(|t| is_type(t)) else {
        return Err("no SSH public key found (expected \"ssh-ed25519 AAAA…\", an authorized_keys, known_hosts or ssh-keyscan line)".into());
    };
    let key_type = tokens[pos];
    if key_type != "ssh-ed25519" {
        return Err(format!("this is an {key_type} key; only ssh-ed25519 keys convert to age recipients"));
    }
    let blob = tokens.get(pos + 1).ok_or("the ssh-ed25519 key has no key data")?;
    let key: SshPublicKey = format!("{key_type} {blob}").parse()?;
    ssh_key_to_recipient(&key).map(Some)
}

/// The age recipient of an ed25519 SSH public key.
pub fn ssh_key_to_recipient(key: &SshPublicKey) -> Result<AgeRecipient, String> {
    let ed = key
        .ed25519_bytes()
        .ok_or_else(|| format!("this is an {} key; only ssh-ed25519 keys convert to age recipients", key.key_type))?;
    let x = ed25519_to_x25519_public(&ed).ok_or("the ssh-ed25519 key is not a valid curve point")?;
    Ok(AgeRecipient::from_x25519(&x))
}

/// Converts an OpenSSH ed25519 private key to an age identity (SHA-512 of the seed,
/// first 32 bytes, as ssh-to-age does). `passphrase` unlocks an encrypted key.
pub fn ssh_private_to_identity(pem: &str, passphrase: Option<&str>) -> Result<age::x25519::Identity, String> {
    let trimmed = pem.trim_start();
    if trimmed.starts_with("-----BEGIN RSA PRIVATE KEY-----") || trimmed.starts_with("-----BEGIN PRIVATE KEY-----") {
        return Err(
            "this is a PEM (non-OpenSSH) private key; only OpenSSH ssh-ed25519 private keys convert to age identities"
                .into(),
        );
    }
    let mut key = ssh_key::PrivateKey::from_openssh(pem.as_bytes())
        .map_err(|e| format!("not an OpenSSH private key ({e}); expected the contents of e.g. ~/.ssh/id_ed25519"))?;
    if key.algorithm() != ssh_key::Algorithm::Ed25519 {
        return Err(format!("this is an {} key; only ssh-ed25519 keys convert to age identities", key.algorithm()));
    }
    if key.is_encrypted() {
        let Some(p) = passphrase else {
            return Err("the SSH private key is passphrase-protected; put the passphrase in the environment variable SSH_TO_AGE_PASSPHRASE".into());
        };
        key = key
            .decrypt(p)
            .map_err(|_| "the passphrase in SSH_TO_AGE_PASSPHRASE does not unlock the SSH private key".to_string())?;
    }
    let kp = key.key_data().ed25519().ok_or("the key holds no ed25519 key pair")?;
    let seed = Zeroizing::new(kp.private.to_bytes());
    let mut h = sha2::Sha512::digest(&seed[..]);
    let mut x = Zeroizing::new([0u8; 32]);
    x.copy_from_slice(&h[..32]);
    zeroize::Zeroize::zeroize(h.as_mut_slice());
    identity_from_bytes(&x)
}

/// A new SSH ed25519 host key pair: (OpenSSH private key text, public key line).
pub fn generate_host_key(rng: &mut dyn Rng, comment: &str) -> Result<(Zeroizing<String>, String), String> {
    let mut seed = Zeroizing::new([0u8; 32]);
    rng.fill(&mut seed[..])?;
    let kp = ssh_key::private::Ed25519Keypair::from_seed(&seed);
    let key = ssh_key::PrivateKey::new(ssh_key::private::KeypairData::Ed25519(kp), comment)
        .map_err(|e| format!("cannot build the host key: {e}"))?;
    let private = key.to_openssh(ssh_key::LineEnding::LF).map_err(|e| format!("cannot encode the host key: {e}"))?;
    let public = key.public_key().to_openssh().map_err(|e| format!("cannot encode the public key: {e}"))?;
    Ok((Zeroizing::new(private.to_string()), format!("{public}\n")))
}

/// Where identities may come from (the sources sops reads, §12).
#[derive(Debug, Clone, Default)]
pub struct Sources {
    /// `SOPS_AGE_KEY`: identities inline.
    pub key: Option<Zeroizing<String>>,
    /// `SOPS_AGE_KEY_FILE`.
    pub key_file: Option<PathBuf>,
    /// `SOPS_AGE_SSH_PRIVATE_KEY_FILE`, else `~/.ssh/id_ed25519` when it exists.
    pub ssh_key_file: Option<PathBuf>,
    /// `$XDG_CONFIG_HOME/sops/age/keys.txt` or `~/.config/sops/age/keys.txt`.
    pub default_file: Option<PathBuf>,
}

impl Sources {
    /// The sources named by environment variables (`get`) and the home folder.
    pub fn from_env(get: &dyn Fn(&str) -> Option<String>) -> Sources {
        let home = get("HOME").filter(|h| !h.is_empty()).map(PathBuf::from);
        let config = get("XDG_CONFIG_HOME")
            .filter(|h| !h.is_empty())
            .map(PathBuf::from)
            .or_else(|| home.as_ref().map(|h| h.join(".config")));
        Sources {
            key: get("SOPS_AGE_KEY").filter(|k| !k.trim().is_empty()).map(Zeroizing::new),
            key_file: get("SOPS_AGE_KEY_FILE").filter(|k| !k.is_empty()).map(PathBuf::from),
            ssh_key_file: get("SOPS_AGE_SSH_PRIVATE_KEY_FILE")
                .filter(|k| !k.is_empty())
                .map(PathBuf::from)
                .or_else(|| home.map(|h| h.join(".ssh/id_ed25519"))),
            default_file: config.map(|c| c.join("sops/age/keys.txt")),
        }
    }
}

/// Identities found, what was tried, and problems that did not stop the search.
#[derive(Default)]
pub struct Found {
    /// The identities.
    pub identities: Vec<Box<dyn age::Identity>>,
    /// Each source tried, for the "no identity fits" message.
    pub tried: Vec<String>,
    /// Sources that exist but failed to load.
    pub problems: Vec<String>,
}

impl std::fmt::Debug for Found {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Found({} identities, tried {:?})", self.identities.len(), self.tried)
    }
}

/// Reads a file: `Ok(None)` when it does not exist.
pub type ReadFn = dyn Fn(&Path) -> Result<Option<Zeroizing<String>>, String>;

/// Loads every source (sops merges them all). `read` returns `None` for a missing file.
pub fn load(src: &Sources, read: &ReadFn, ssh_pass: Option<&str>) -> Found {
    let mut f = Found::default();
    if let Some(k) = &src.key {
        f.tried.push("SOPS_AGE_KEY".into());
        match parse_identities(k, "SOPS_AGE_KEY") {
            Ok(ids) => f.identities.extend(ids.into_iter().map(|i| Box::new(i) as Box<dyn age::Identity>)),
            Err(e) => f.problems.push(e),
        }
    }
    for (label, path) in [("SOPS_AGE_KEY_FILE", &src.key_file), ("default key file", &src.default_file)] {
        let Some(p) = path else { continue };
        f.tried.push(format!("{} ({label})", p.display()));
        match read(p) {
            Ok(Some(text)) => match parse_identities(&text, &p.display().to_string()) {
                Ok(ids) => f.identities.extend(ids.into_iter().map(|i| Box::new(i) as Box<dyn age::Identity>)),
                Err(e) => f.problems.push(e),
            },
            Ok(None) => {
                if label == "SOPS_AGE_KEY_FILE" {
                    f.problems.push(format!("SOPS_AGE_KEY_FILE names {}, which does not exist", p.display()));
                }
            }
            Err(e) => f.problems.push(e),
        }
    }
    if let Some(p) = &src.ssh_key_file {
        if let Ok(Some(text)) = read(p) {
            f.tried.push(format!("{} (SSH key)", p.display()));
            // As sops does, the key opens ssh-ed25519 stanzas (agessh) ...
            if let Ok(age::ssh::Identity::Unencrypted(k)) =
                age::ssh::Identity::from_buffer(text.as_bytes(), Some(p.display().to_string()))
            {
                f.identities.push(Box::new(age::ssh::Identity::Unencrypted(k)));
            }
            // ... and, as sops-nix does, X25519 stanzas for its ssh-to-age recipient.
            match ssh_private_to_identity(&text, ssh_pass) {
                Ok(id) => f.identities.push(Box::new(id)),
                Err(e) => f.problems.push(format!("{}: {e}", p.display())),
            }
        }
    }
    f
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::seams::TestRng;

    #[test]
    fn keygen_format_and_parse() {
        let id = generate_identity(&mut TestRng::new(3)).unwrap();
        let text = keygen_file(&id, Timestamp::utc(0));
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines[0], "# created: 1970-01-01T00:00:00Z");
        assert!(lines[1].starts_with("# public key: age1"));
        assert!(lines[2].starts_with("AGE-SECRET-KEY-1"));
        let back = parse_identities(&text, "k").unwrap();
        assert_eq!(back[0].to_public().to_string(), id.to_public().to_string());
        let Err(e) = parse_identities("# c\nnope\n", "k.txt") else { panic!("accepted") };
        assert_eq!(e, "k.txt:2: not an age identity (expected a line starting with AGE-SECRET-KEY-1)");
    }

    #[test]
    fn ssh_conversion_matches_private_and_public() {
        let (private, public) = generate_host_key(&mut TestRng::new(5), "root@n1").unwrap();
        let id = ssh_private_to_identity(&private, None).unwrap();
        let r = ssh_line_to_recipient(&public).unwrap().unwrap();
        assert_eq!(id.to_public().to_string(), r.to_string());
        let known = format!("n1.lab,10.0.0.1 {}", public.trim());
        assert_eq!(ssh_line_to_recipient(&known).unwrap().unwrap(), r);
        assert!(ssh_line_to_recipient("# comment").unwrap().is_none());
        let rsa = "ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAABAQC host";
        assert!(ssh_line_to_recipient(rsa).unwrap_err().contains("ssh-rsa"));
    }
}
