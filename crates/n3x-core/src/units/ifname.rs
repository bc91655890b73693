//! Interface names and DNS names: text that ends up inside networkd units, Nix attribute
//! names, k3s flags and file names, so it is checked where it is read.

use std::fmt;
use std::str::FromStr;

/// A network interface name as the kernel and systemd-networkd accept it: 1–15 bytes
/// (the kernel's IFNAMSIZ is 16 with the terminating NUL), printable ASCII without
/// space, `/`, `:` or `%` (systemd's `ifname_valid`), not `.` or `..`, and not all
/// digits (systemd would read it as an interface index).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct IfName(String);

impl IfName {
    /// `bond0`, the default bond name.
    pub fn bond0() -> IfName {
        IfName("bond0".into())
    }

    /// A name n3x itself chose from a fixed table (hardware defaults such as `enp1s0`).
    /// Only for literals that are valid names; a test checks every one of them.
    pub(crate) fn known(name: &'static str) -> IfName {
        IfName(name.into())
    }

    /// The default name of VLAN `id` on `link`: `LINK.ID`, when that fits the kernel's
    /// 15 bytes.
    pub fn vlan(link: &IfName, id: u16) -> Result<IfName, String> {
        format!("{link}.{id}").parse()
    }

    /// The name as a string.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// An interface name is read like the string it is (`as_deref`, `&str` arguments).
impl std::ops::Deref for IfName {
    type Target = str;
    fn deref(&self) -> &str {
        &self.0
    }
}

impl PartialEq<str> for IfName {
    fn eq(&self, other: &str) -> bool {
        self.0 == other
    }
}

impl PartialEq<&str> for IfName {
    fn eq(&self, other: &&str) -> bool {
        self.0 == *other
    }
}

impl PartialEq<IfName> for String {
    fn eq(&self, other: &IfName) -> bool {
        *self == other.0
    }
}

impl From<IfName> for String {
    fn from(n: IfName) -> String {
        n.0
    }
}

impl From<&IfName> for String {
    fn from(n: &IfName) -> String {
        n.0.clone()
    }
}

impl FromStr for IfName {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let shown = crate::comment::one_line(s);
        let why = if s.is_empty() {
            Some("it is empty".to_string())
        } else if s.len() > 15 {
            Some(format!("it is {} bytes long; the kernel allows at most 15", s.len()))
        } else if let Some(c) = s.chars().find(|c| !c.is_ascii_graphic() || matches!(c, '/' | ':' | '%')) {
            Some(format!("it contains {:?}; use letters, digits, '-', '_' and '.'", c))
        } else if s == "." || s == ".." {
            Some("\".\" and \"..\" are not interface names".into())
        } else if s.bytes().all(|b| b.is_ascii_digit()) {
            Some("an all-digit name reads as an interface index".into())
        } else {
            None
        };
        match why {
            Some(why) => Err(format!("invalid interface name \"{shown}\": {why}")),
            None => Ok(IfName(s.to_string())),
        }
    }
}

impl fmt::Display for IfName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

super::string_newtype!(IfName, "IfName", {
    "type": "string",
    "description": "A network interface name: 1-15 printable ASCII characters without space, '/', ':' or '%', not all digits.",
    "pattern": "^[!-$&-.0-9;-~]{1,15}$"
});

/// A DNS name (a search domain, a cluster domain): dot-separated labels of 1–63
/// letters, digits, `-` and `_`, not starting or ending with `-`, at most 253
/// characters; one trailing dot (a fully qualified name) is allowed.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct DnsName(String);

impl DnsName {
    /// The name as a string.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl FromStr for DnsName {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let shown = crate::comment::one_line(s);
        let body = s.strip_suffix('.').unwrap_or(s);
        let label_ok = |l: &str| {
            !l.is_empty()
                && l.len() <= 63
                && l.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
                && !l.starts_with('-')
                && !l.ends_with('-')
        };
        if body.is_empty() || s.len() > 253 || !body.split('.').all(label_ok) {
            return Err(format!(
                "invalid DNS name \"{shown}\": expected dot-separated labels of 1-63 letters, digits, '-' or '_' (at most 253 characters), e.g. \"lab.example.org\""
            ));
        }
        Ok(DnsName(s.to_string()))
    }
}

impl fmt::Display for DnsName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

super::string_newtype!(DnsName, "DnsName", {
    "type": "string",
    "description": "A DNS name: dot-separated labels of letters, digits, '-' and '_', at most 253 characters.",
    "maxLength": 253,
    "pattern": "^([A-Za-z0-9_]([A-Za-z0-9_-]{0,61}[A-Za-z0-9_])?)(\\.[A-Za-z0-9_]([A-Za-z0-9_-]{0,61}[A-Za-z0-9_])?)*\\.?$"
});

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn interface_names_follow_the_kernel_and_systemd() {
        for ok in ["eth0", "enp2s0f1", "bond0", "bond0.100", "vlan-storage", "wg_0", "x", "enx0123456789ab"] {
            assert!(ok.parse::<IfName>().is_ok(), "{ok}");
        }
        for bad in ["", "enx0123456789abc", "eth 0", "a/b", "a:1", "a%b", ".", "..", "123", "eth0\n[Network]", "é"] {
            assert!(bad.parse::<IfName>().is_err(), "{bad:?}");
        }
        // The message never carries the raw line break it refuses.
        let e = "eth0\n[Network]".parse::<IfName>().unwrap_err();
        assert!(!e.contains('\n') && e.contains("eth0\\n[Network]"), "{e}");
    }

    #[test]
    fn every_name_n3x_chooses_itself_is_valid() {
        let mut checked = 0;
        for h in crate::model::Hardware::ALL {
            assert!(h.default_interface().parse::<IfName>().is_ok(), "{h:?}");
            checked += 1;
        }
        assert_eq!(checked, 6);
        assert!("lan0".parse::<IfName>().is_ok() && "bond0".parse::<IfName>().is_ok());
        assert_eq!(IfName::vlan(&IfName::bond0(), 4094).unwrap().as_str(), "bond0.4094");
        assert!(IfName::vlan(&"enx0123456789ab".parse().unwrap(), 100).is_err());
    }

    #[test]
    fn dns_names() {
        for ok in ["lab.example.org", "lab.example.org.", "a", "_srv.x", "cluster.local"] {
            assert!(ok.parse::<DnsName>().is_ok(), "{ok}");
        }
        for bad in ["", ".", "a..b", "-a.b", "a-.b", "a b", "x\nDNS=6.6.6.6", &"a".repeat(64), &"a.".repeat(127)] {
            assert!(bad.parse::<DnsName>().is_err(), "{bad:?}");
        }
    }
}
