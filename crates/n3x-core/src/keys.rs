//! Public key strings that appear in inventories: SSH public keys and age recipients.
//! Both are checked when read, so a pasted-wrong key fails at `check`, not at deploy.

use std::fmt;
use std::str::FromStr;

use base64::Engine as _;

/// An OpenSSH public key line: `TYPE BASE64 [COMMENT]`.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct SshPublicKey {
    /// Key type, e.g. `ssh-ed25519`.
    pub key_type: String,
    /// The base64 key blob.
    pub blob: String,
    /// The comment, if any.
    pub comment: Option<String>,
}

const SSH_TYPES: &[&str] = &[
    "ssh-ed25519",
    "ssh-rsa",
    "ecdsa-sha2-nistp256",
    "ecdsa-sha2-nistp384",
    "ecdsa-sha2-nistp521",
    "sk-ssh-ed25519@openssh.com",
    "sk-ecdsa-sha2-nistp256@openssh.com",
];

impl SshPublicKey {
    /// The raw key bytes inside an ed25519 key blob, or `None` for other types.
    pub fn ed25519_bytes(&self) -> Option<[u8; 32]> {
        if self.key_type != "ssh-ed25519" {
            return None;
        }
        let raw = base64::engine::general_purpose::STANDARD.decode(&self.blob).ok()?;
        // Blob: string "ssh-ed25519" then string key (each u32 big-endian length + bytes).
        let key = raw.get(19..51)?;
        key.try_into().ok()
    }
}

impl FromStr for SshPublicKey {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let mut parts = s.split_whitespace();
        let (Some(key_type), Some(blob)) = (parts.next(), parts.next()) else {
            return Err(format!(
                "invalid SSH public key \"{}\": expected \"TYPE BASE64 [COMMENT]\", e.g. the contents of ~/.ssh/id_ed25519.pub",
                truncate(s)
            ));
        };
        if !SSH_TYPES.contains(&key_type) {
            return Err(format!(
                "invalid SSH public key: unknown key type \"{key_type}\"; expected one of {}",
                SSH_TYPES.join(", ")
            ));
        }
        let raw = base64::engine::general_purpose::STANDARD
            .decode(blob)
            .map_err(|_| format!("invalid SSH public key: the {key_type} key data is not valid base64"))?;
        let inner_len = raw.get(..4).map(|b| u32::from_be_bytes([b[0], b[1], b[2], b[3]]) as usize);
        let inner = inner_len.and_then(|n| raw.get(4..4 + n));
        if inner != Some(key_type.as_bytes()) {
            return Err(format!(
                "invalid SSH public key: the key data does not hold a {key_type} key (truncated or pasted wrong?)"
            ));
        }
        if key_type == "ssh-ed25519" && raw.len() != 51 {
            return Err("invalid SSH public key: an ssh-ed25519 key must hold 32 key bytes".into());
        }
        let comment: Vec<&str> = parts.collect();
        Ok(SshPublicKey {
            key_type: key_type.to_string(),
            blob: blob.to_string(),
            comment: (!comment.is_empty()).then(|| comment.join(" ")),
        })
    }
}

fn truncate(s: &str) -> String {
    if s.chars().count() > 40 {
        format!("{}…", s.chars().take(40).collect::<String>())
    } else {
        s.to_string()
    }
}

impl fmt::Display for SshPublicKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.key_type, self.blob)?;
        if let Some(c) = &self.comment {
            write!(f, " {c}")?;
        }
        Ok(())
    }
}

crate::units::string_newtype!(SshPublicKey, "SshPublicKey", {
    "type": "string",
    "description": "OpenSSH public key line: TYPE BASE64 [COMMENT].",
    "pattern": "^(ssh-ed25519|ssh-rsa|ecdsa-sha2-nistp(256|384|521)|sk-ssh-ed25519@openssh.com|sk-ecdsa-sha2-nistp256@openssh.com) [A-Za-z0-9+/=]+( .*)?$"
});

/// An age X25519 recipient, `age1…` (bech32 with its checksum verified).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct AgeRecipient(String);

impl AgeRecipient {
    /// The recipient string.
    pub fn as_str(&self) -> &str {
        &self.0
    }
    /// Builds a recipient from raw X25519 public key bytes.
    pub fn from_x25519(key: &[u8; 32]) -> AgeRecipient {
        let hrp = bech32::Hrp::parse_unchecked("age");
        // Encoding 32 bytes under a 3-letter prefix stays far below bech32's length limit.
        let s = bech32::encode::<bech32::Bech32>(hrp, key).unwrap_or_default();
        AgeRecipient(s)
    }
}

impl FromStr for AgeRecipient {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        if !s.starts_with("age1") {
            return Err(format!(
                "invalid age recipient \"{}\": expected a key starting with age1 (from `age-keygen -y` or `n3x-secrets ssh-to-age`)",
                truncate(s)
            ));
        }
        let (hrp, data) = bech32::decode(s).map_err(|e| format!("invalid age recipient \"{}\": {e}", truncate(s)))?;
        if hrp.as_str() != "age" || data.len() != 32 {
            return Err(format!("invalid age recipient \"{}\": not a 32-byte X25519 key", truncate(s)));
        }
        Ok(AgeRecipient(s.to_string()))
    }
}

impl fmt::Display for AgeRecipient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

crate::units::string_newtype!(AgeRecipient, "AgeRecipient", {
    "type": "string",
    "description": "age X25519 recipient (age1…).",
    "pattern": "^age1[02-9ac-hj-np-z]{58}$"
});

#[cfg(test)]
mod tests {
    use super::*;

    // A real ed25519 key generated for this test (public material only).
    pub(crate) const ED: &str =
        "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIIm1z3Yvch4wnwbQYFf6tnwlqvNXj3vWtoxOMEkx75+e alice@laptop";

    #[test]
    fn ssh_keys() {
        let k: SshPublicKey = ED.parse().unwrap();
        assert_eq!(k.comment.as_deref(), Some("alice@laptop"));
        assert!(k.ed25519_bytes().is_some());
        assert!("ssh-dss AAAA".parse::<SshPublicKey>().unwrap_err().contains("unknown key type"));
        assert!("ssh-ed25519 !!!".parse::<SshPublicKey>().unwrap_err().contains("base64"));
        assert!("ssh-rsa AAAAC3NzaC1lZDI1NTE5AAAAIIm1z3Yvch4wnwbQYFf6tnwlqvNXj3vWtoxOMEkx75+e"
            .parse::<SshPublicKey>()
            .unwrap_err()
            .contains("does not hold"));
    }

    #[test]
    fn age_roundtrip() {
        let r = AgeRecipient::from_x25519(&[7u8; 32]);
        assert!(r.as_str().starts_with("age1"));
        assert_eq!(r.as_str().parse::<AgeRecipient>().unwrap(), r);
        let mut broken = r.as_str().to_string();
        broken.pop();
        broken.push(if r.as_str().ends_with('q') { 'p' } else { 'q' });
        assert!(broken.parse::<AgeRecipient>().is_err());
    }
}
