//! Byte sizes as people write them for disks and memory.

use std::fmt;
use std::str::FromStr;

/// A size in bytes.
///
/// Accepted spellings (the rule documented in the README):
/// - a plain integer is bytes: `4096`;
/// - a single-letter suffix is binary, as disko and sgdisk read it: `16G` = 16 GiB,
///   also `K`, `M`, `T`, `P`;
/// - `KiB`, `MiB`, `GiB`, `TiB`, `PiB` are binary: `476GiB` = 476·2³⁰;
/// - `KB`, `MB`, `GB`, `TB`, `PB` are decimal, as disk vendors sell them: `512GB` = 512·10⁹;
/// - `B` is bytes; units are case-insensitive and a decimal fraction is allowed
///   (`1.5TiB`), rounded to the nearest byte.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ByteSize(pub u64);

const KIB: u64 = 1 << 10;
const UNITS: &[(&str, u64)] = &[
    ("", 1),
    ("b", 1),
    ("k", KIB),
    ("m", KIB.pow(2)),
    ("g", KIB.pow(3)),
    ("t", KIB.pow(4)),
    ("p", KIB.pow(5)),
    ("kib", KIB),
    ("mib", KIB.pow(2)),
    ("gib", KIB.pow(3)),
    ("tib", KIB.pow(4)),
    ("pib", KIB.pow(5)),
    ("kb", 1_000),
    ("mb", 1_000_000),
    ("gb", 1_000_000_000),
    ("tb", 1_000_000_000_000),
    ("pb", 1_000_000_000_000_000),
];

impl ByteSize {
    /// The largest size n3x accepts: 1 EiB (2⁶⁰ bytes). Every size read from an input
    /// is at most this, so a sum of up to 15 sizes cannot overflow a `u64`; anything
    /// larger is refused where it is read, never wrapped or silently dropped later.
    pub const MAX: ByteSize = ByteSize(1 << 60);

    /// The sum, or `None` when it would exceed [`ByteSize::MAX`].
    pub fn checked_add(self, other: ByteSize) -> Option<ByteSize> {
        self.0.checked_add(other.0).filter(|b| *b <= Self::MAX.0).map(ByteSize)
    }

    /// The difference, or `None` when `other` is larger.
    pub fn checked_sub(self, other: ByteSize) -> Option<ByteSize> {
        self.0.checked_sub(other.0).map(ByteSize)
    }

    /// `self` if it is within [`ByteSize::MAX`], else the message naming the limit.
    fn bounded(self, written: &str) -> Result<ByteSize, String> {
        if self.0 <= Self::MAX.0 {
            Ok(self)
        } else {
            Err(format!("invalid size \"{written}\": larger than 1 EiB, the largest size n3x accepts"))
        }
    }

    /// The number of bytes.
    pub fn bytes(self) -> u64 {
        self.0
    }
    /// `n` GiB.
    pub const fn gib(n: u64) -> Self {
        ByteSize(n << 30)
    }
    /// `n` MiB.
    pub const fn mib(n: u64) -> Self {
        ByteSize(n << 20)
    }
}

impl FromStr for ByteSize {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let t = s.trim();
        let split = t.find(|c: char| !(c.is_ascii_digit() || c == '.')).unwrap_or(t.len());
        let (num, unit) = (&t[..split], t[split..].trim());
        let bad = || {
            format!(
                "invalid size \"{s}\": expected a number with an optional unit, such as 512GB (decimal), 476GiB or 16G (binary), or 4096 (bytes)"
            )
        };
        if num.is_empty() || num.starts_with('.') || num.ends_with('.') || num.matches('.').count() > 1 {
            return Err(bad());
        }
        let unit_l = unit.to_ascii_lowercase();
        let Some(&(_, factor)) = UNITS.iter().find(|(u, _)| *u == unit_l) else {
            return Err(format!(
                "invalid size \"{s}\": unknown unit \"{unit}\"; use B, K/M/G/T (binary), KiB/MiB/GiB/TiB or KB/MB/GB/TB"
            ));
        };
        let bytes = if let Some((int, frac)) = num.split_once('.') {
            let int: u64 = int.parse().map_err(|_| bad())?;
            let frac_val: f64 = format!("0.{frac}").parse().map_err(|_| bad())?;
            int.checked_mul(factor).and_then(|b| b.checked_add((frac_val * factor as f64).round() as u64))
        } else {
            num.parse::<u64>().ok().and_then(|n| n.checked_mul(factor))
        };
        bytes
            .map(ByteSize)
            .ok_or_else(|| format!("invalid size \"{s}\": larger than 1 EiB, the largest size n3x accepts"))?
            .bounded(s)
    }
}

impl fmt::Display for ByteSize {
    /// The shortest exact spelling (`16GiB`, `512GB`, else bytes); binary wins a tie.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let b = self.0;
        let mut best = b.to_string();
        if b > 0 {
            let units = [
                ("PiB", KIB.pow(5)),
                ("TiB", KIB.pow(4)),
                ("GiB", KIB.pow(3)),
                ("MiB", KIB.pow(2)),
                ("KiB", KIB),
                ("TB", 1_000_000_000_000u64),
                ("GB", 1_000_000_000),
                ("MB", 1_000_000),
                ("KB", 1_000),
            ];
            for (unit, factor) in units {
                let cand = format!("{}{unit}", b / factor);
                if b % factor == 0 && cand.len() < best.len() {
                    best = cand;
                }
            }
        }
        f.write_str(&best)
    }
}

impl serde::Serialize for ByteSize {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> serde::Deserialize<'de> for ByteSize {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl serde::de::Visitor<'_> for V {
            type Value = ByteSize;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a size such as 512GB, 476GiB, 16G or a number of bytes")
            }
            fn visit_u64<E: serde::de::Error>(self, v: u64) -> Result<ByteSize, E> {
                ByteSize(v).bounded(&v.to_string()).map_err(E::custom)
            }
            fn visit_i64<E: serde::de::Error>(self, v: i64) -> Result<ByteSize, E> {
                u64::try_from(v)
                    .map_err(|_| E::custom(format!("invalid size {v}: a size cannot be negative")))
                    .and_then(|b| self.visit_u64(b))
            }
            fn visit_f64<E: serde::de::Error>(self, v: f64) -> Result<ByteSize, E> {
                Err(E::custom(format!(
                    "invalid size {v}: write a whole number of bytes, or a number with a unit such as 1.5TiB"
                )))
            }
            fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<ByteSize, E> {
                v.parse().map_err(E::custom)
            }
        }
        d.deserialize_any(V)
    }
}

impl schemars::JsonSchema for ByteSize {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "ByteSize".into()
    }
    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        schemars::json_schema!({
            "description": "A size: bytes as an integer, or a number with a unit: K/M/G/T and KiB/MiB/GiB/TiB are binary (16G = 16 GiB), KB/MB/GB/TB decimal (512GB = 512e9 bytes).",
            "oneOf": [
                {"type": "integer", "minimum": 0},
                {"type": "string", "pattern": "^\\s*[0-9]+(\\.[0-9]+)?\\s*([KkMmGgTtPp]([Ii][Bb]|[Bb])?|[Bb])?\\s*$"}
            ]
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_documented_spellings() {
        let p = |s: &str| s.parse::<ByteSize>().unwrap().0;
        assert_eq!(p("512GB"), 512_000_000_000);
        assert_eq!(p("476GiB"), 476 << 30);
        assert_eq!(p("16G"), 16 << 30);
        assert_eq!(p("4096"), 4096);
        assert_eq!(p("1.5TiB"), 3 << 39);
        assert_eq!(p("10 gib"), 10 << 30);
        assert_eq!(p("1MB"), 1_000_000);
    }

    #[test]
    fn rejects_garbage() {
        for bad in ["", "GB", "12XB", "1.2.3G", "-5G", ".5G", "99999999999999999999T"] {
            assert!(bad.parse::<ByteSize>().is_err(), "{bad} should be rejected");
        }
    }

    #[test]
    fn sizes_are_bounded_at_one_eib() {
        assert_eq!("1024PiB".parse::<ByteSize>().unwrap(), ByteSize::MAX);
        let e = "1025PiB".parse::<ByteSize>().unwrap_err();
        assert!(e.contains("larger than 1 EiB"), "{e}");
        // The regression: `swap: 18446744073709551615` once wrapped in the disk planner.
        let e = serde_json::from_str::<ByteSize>("18446744073709551615").unwrap_err().to_string();
        assert!(e.contains("larger than 1 EiB"), "{e}");
        assert!(serde_json::from_str::<ByteSize>("1.5").is_err());
        assert_eq!(ByteSize::MAX.checked_add(ByteSize(1)), None);
        assert_eq!(ByteSize(1).checked_sub(ByteSize(2)), None);
        assert_eq!(ByteSize(3).checked_add(ByteSize(4)), Some(ByteSize(7)));
    }

    #[test]
    fn displays_shortest_exact() {
        assert_eq!(ByteSize(16 << 30).to_string(), "16GiB");
        assert_eq!(ByteSize(512_000_000_000).to_string(), "512GB");
        assert_eq!(ByteSize(1001).to_string(), "1001");
        for s in ["512GB", "476GiB", "1.5TiB", "123"] {
            let v: ByteSize = s.parse().unwrap();
            assert_eq!(v.to_string().parse::<ByteSize>().unwrap(), v);
        }
    }
}
