//! Networks and address ranges.

use std::fmt;
use std::net::IpAddr;
use std::str::FromStr;

use ipnet::IpNet;

/// A network in CIDR notation. Unlike a bare `IpNet`, host bits must be zero
/// (`192.168.10.0/24`, not `192.168.10.5/24`), so a typo is not silently truncated.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Cidr(pub IpNet);

impl Cidr {
    /// Whether the network contains an address.
    pub fn contains(&self, ip: &IpAddr) -> bool {
        self.0.contains(ip)
    }
    /// Whether two networks share any address.
    pub fn overlaps(&self, other: &Cidr) -> bool {
        self.0.contains(&other.0.network()) || other.0.contains(&self.0.network())
    }
    /// The prefix length.
    pub fn prefix_len(&self) -> u8 {
        self.0.prefix_len()
    }
    /// The network address.
    pub fn network(&self) -> IpAddr {
        self.0.network()
    }
    /// The broadcast address (IPv4 only carries meaning; for IPv6 the last address).
    pub fn broadcast(&self) -> IpAddr {
        self.0.broadcast()
    }
}

impl FromStr for Cidr {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let net: IpNet = s.parse().map_err(|_| {
            format!("invalid CIDR \"{s}\": expected an address and prefix length such as 192.168.10.0/24")
        })?;
        if net.network() != net.addr() {
            return Err(format!("invalid CIDR \"{s}\": host bits are set; the network is {}", net.trunc()));
        }
        Ok(Cidr(net))
    }
}

impl fmt::Display for Cidr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

super::string_newtype!(Cidr, "Cidr", {
    "type": "string",
    "description": "A network in CIDR notation with host bits zero, e.g. 192.168.10.0/24.",
    "pattern": "^[0-9A-Fa-f:.]+/[0-9]{1,3}$"
});

/// An inclusive range of addresses: `192.168.10.200-192.168.10.220`, a CIDR
/// (`192.168.10.192/27`) or one address.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct IpRange {
    /// First address.
    pub start: IpAddr,
    /// Last address (inclusive).
    pub end: IpAddr,
}

impl IpRange {
    /// Whether the range contains an address.
    pub fn contains(&self, ip: &IpAddr) -> bool {
        ip.is_ipv4() == self.start.is_ipv4() && *ip >= self.start && *ip <= self.end
    }
    /// Whether two ranges share any address.
    pub fn overlaps(&self, other: &IpRange) -> bool {
        self.start.is_ipv4() == other.start.is_ipv4() && self.start <= other.end && other.start <= self.end
    }
    /// The number of addresses (saturating).
    pub fn len(&self) -> u128 {
        match (self.start, self.end) {
            (IpAddr::V4(a), IpAddr::V4(b)) => u128::from(u32::from(b) - u32::from(a)) + 1,
            (IpAddr::V6(a), IpAddr::V6(b)) => (u128::from(b) - u128::from(a)).saturating_add(1),
            _ => 0,
        }
    }
    /// Always false: a range holds at least one address.
    pub fn is_empty(&self) -> bool {
        false
    }
}

impl FromStr for IpRange {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let bad = || {
            format!("invalid address range \"{s}\": expected FIRST-LAST (192.168.10.200-192.168.10.220), a CIDR or one address")
        };
        if let Some((a, b)) = s.split_once('-') {
            let start: IpAddr = a.trim().parse().map_err(|_| bad())?;
            let end: IpAddr = b.trim().parse().map_err(|_| bad())?;
            if start.is_ipv4() != end.is_ipv4() {
                return Err(format!("invalid address range \"{s}\": mixes IPv4 and IPv6"));
            }
            if start > end {
                return Err(format!(
                    "invalid address range \"{s}\": the first address is after the last; write {end}-{start}"
                ));
            }
            return Ok(IpRange { start, end });
        }
        if s.contains('/') {
            let c: Cidr = s.parse().map_err(|e: String| format!("invalid address range: {e}"))?;
            return Ok(IpRange { start: c.network(), end: c.broadcast() });
        }
        let ip: IpAddr = s.trim().parse().map_err(|_| bad())?;
        Ok(IpRange { start: ip, end: ip })
    }
}

impl fmt::Display for IpRange {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}-{}", self.start, self.end)
    }
}

super::string_newtype!(IpRange, "IpRange", {
    "type": "string",
    "description": "Address range FIRST-LAST, a CIDR, or a single address.",
    "pattern": "^[0-9A-Fa-f:.]+(-[0-9A-Fa-f:.]+|/[0-9]{1,3})?$"
});

#[cfg(test)]
mod tests {
    use super::*;
    #[test]
    fn cidr_rules() {
        let c: Cidr = "192.168.10.0/24".parse().unwrap();
        assert!(c.contains(&"192.168.10.9".parse().unwrap()));
        assert!("192.168.10.5/24".parse::<Cidr>().unwrap_err().contains("host bits"));
        let big: Cidr = "192.168.0.0/16".parse().unwrap();
        assert!(big.overlaps(&c) && c.overlaps(&big));
        assert!(!c.overlaps(&"10.42.0.0/16".parse().unwrap()));
    }
    #[test]
    fn ranges() {
        let r: IpRange = "192.168.1.110-192.168.1.115".parse().unwrap();
        assert_eq!(r.len(), 6);
        assert!(r.contains(&"192.168.1.112".parse().unwrap()));
        assert!("192.168.1.115-192.168.1.110".parse::<IpRange>().is_err());
        let c: IpRange = "192.168.10.192/27".parse().unwrap();
        assert_eq!(c.to_string(), "192.168.10.192-192.168.10.223");
        assert!(c.overlaps(&"192.168.10.220".parse().unwrap()));
    }
}
