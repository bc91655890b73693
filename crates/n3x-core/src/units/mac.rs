//! MAC addresses, normalized to lowercase colon form.

use std::fmt;
use std::str::FromStr;

/// A 48-bit MAC address (`aa:bb:cc:dd:ee:ff`; `-` separators are accepted on input).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct MacAddr(pub [u8; 6]);

impl FromStr for MacAddr {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let err = || format!("invalid MAC address \"{s}\": expected six hex octets such as 3c:ec:ef:01:02:03");
        let parts: Vec<&str> = s.split([':', '-']).collect();
        if parts.len() != 6 {
            return Err(err());
        }
        let mut out = [0u8; 6];
        for (o, p) in out.iter_mut().zip(parts) {
            if p.len() != 2 {
                return Err(err());
            }
            *o = u8::from_str_radix(p, 16).map_err(|_| err())?;
        }
        Ok(MacAddr(out))
    }
}

impl fmt::Display for MacAddr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let [a, b, c, d, e, g] = self.0;
        write!(f, "{a:02x}:{b:02x}:{c:02x}:{d:02x}:{e:02x}:{g:02x}")
    }
}

super::string_newtype!(MacAddr, "MacAddr", {
    "type": "string",
    "description": "MAC address, six hex octets separated by ':' or '-'.",
    "pattern": "^[0-9A-Fa-f]{2}([:-][0-9A-Fa-f]{2}){5}$"
});

#[cfg(test)]
mod tests {
    use super::*;
    #[test]
    fn normalizes() {
        assert_eq!("3C-EC-EF-01-02-0A".parse::<MacAddr>().unwrap().to_string(), "3c:ec:ef:01:02:0a");
        for bad in ["", "3c:ec:ef:01:02", "3c:ec:ef:01:02:zz", "3cec.ef01.020a"] {
            assert!(bad.parse::<MacAddr>().is_err(), "{bad}");
        }
    }
}
