//! Node names: RFC 1123 host labels, because the name becomes the NixOS host name,
//! a k3s node name and a folder name.

use std::fmt;
use std::str::FromStr;

/// A node name: 1–63 characters of lowercase letters, digits and `-`, starting and
/// ending with a letter or digit.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct NodeName(String);

impl NodeName {
    /// The name as a string.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A node name is read like the string it is.
impl std::ops::Deref for NodeName {
    type Target = str;
    fn deref(&self) -> &str {
        &self.0
    }
}

impl PartialEq<str> for NodeName {
    fn eq(&self, other: &str) -> bool {
        self.0 == other
    }
}

impl PartialEq<&str> for NodeName {
    fn eq(&self, other: &&str) -> bool {
        self.0 == *other
    }
}

impl NodeName {
    /// A node name made from any label (a netplan file's stem): lowercased, every
    /// character outside `[a-z0-9-]` replaced by `-`, trimmed to 63 characters and of
    /// leading/trailing `-`; `fallback` when nothing is left. Always valid.
    pub fn sanitized(label: &str, fallback: &'static str) -> NodeName {
        let mut s: String = label
            .chars()
            .map(|c| c.to_ascii_lowercase())
            .map(|c| if c.is_ascii_lowercase() || c.is_ascii_digit() { c } else { '-' })
            .take(63)
            .collect();
        s = s.trim_matches('-').to_string();
        match s.parse() {
            Ok(n) => n,
            Err(_) => NodeName(fallback.to_string()),
        }
    }
}

impl FromStr for NodeName {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let ok_char = |c: char| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-';
        let alnum = |c: Option<char>| c.is_some_and(|c| c.is_ascii_lowercase() || c.is_ascii_digit());
        if s.is_empty()
            || s.len() > 63
            || !s.chars().all(ok_char)
            || !alnum(s.chars().next())
            || !alnum(s.chars().last())
        {
            let hint = s.to_ascii_lowercase().replace(|c: char| !(c.is_ascii_alphanumeric() || c == '-'), "-");
            return Err(format!(
                "invalid node name \"{s}\": a node name is an RFC 1123 host label (1-63 lowercase letters, digits and '-', starting and ending with a letter or digit), e.g. \"{}\"",
                hint.trim_matches('-')
            ));
        }
        Ok(NodeName(s.to_string()))
    }
}

impl fmt::Display for NodeName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

super::string_newtype!(NodeName, "NodeName", {
    "type": "string",
    "description": "RFC 1123 host label: lowercase letters, digits and '-', 1-63 characters.",
    "pattern": "^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$"
});

#[cfg(test)]
mod tests {
    use super::*;
    #[test]
    fn labels() {
        assert!("n100-1".parse::<NodeName>().is_ok());
        assert!("a".parse::<NodeName>().is_ok());
        for bad in ["", "-a", "a-", "A1", "a_b", "a.b", &"x".repeat(64)] {
            assert!(bad.parse::<NodeName>().is_err(), "{bad}");
        }
        assert_eq!(NodeName::sanitized("Eth0_Static", "x").as_str(), "eth0-static");
        assert_eq!(NodeName::sanitized("x\n[Network]\nDNS=6.6.6.6", "x").as_str(), "x--network--dns-6-6-6-6");
        assert_eq!(NodeName::sanitized("___", "netplan").as_str(), "netplan");
    }
}
