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
    }
}
