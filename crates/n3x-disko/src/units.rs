//! Byte-count constants and the human spelling of sizes used in messages and tables.

use n3x_core::units::ByteSize;

/// One MiB.
pub const MIB: u64 = 1 << 20;
/// One GiB.
pub const GIB: u64 = 1 << 30;

/// A size for people: the exact short spelling when it has at most four digits
/// (`512GB`, `16GiB`, `512MiB`), else one decimal in a binary unit (`411.8GiB`).
pub fn human(bytes: u64) -> String {
    for (unit, factor) in [("TiB", 1u64 << 40), ("GiB", 1 << 30), ("MiB", 1 << 20), ("KiB", 1 << 10)] {
        if bytes > 0 && bytes % factor == 0 && bytes / factor < 10_000 {
            return format!("{}{unit}", bytes / factor);
        }
    }
    let exact = ByteSize(bytes).to_string();
    let digits = exact.chars().take_while(char::is_ascii_digit).count();
    if digits <= 4 {
        return if digits == exact.len() { format!("{exact}B") } else { exact };
    }
    const UNITS: [(&str, u64); 4] = [("TiB", 1 << 40), ("GiB", 1 << 30), ("MiB", 1 << 20), ("KiB", 1 << 10)];
    for (unit, factor) in UNITS {
        if bytes >= factor {
            // Integer arithmetic for the one decimal: no float rounding surprises.
            let tenths = (u128::from(bytes) * 10 + u128::from(factor) / 2) / u128::from(factor);
            return format!("{}.{}{unit}", tenths / 10, tenths % 10);
        }
    }
    format!("{bytes}B")
}

/// The disko spelling of a size that is a whole number of MiB: `4G`, `512M`
/// (disko's `[0-9]+[KMGTP]?`, read by sgdisk and lvcreate as binary units).
pub fn disko_size(bytes: u64) -> String {
    for (suffix, factor) in [("T", 1u64 << 40), ("G", 1 << 30), ("M", 1 << 20), ("K", 1 << 10)] {
        if bytes % factor == 0 && bytes > 0 {
            return format!("{}{suffix}", bytes / factor);
        }
    }
    bytes.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spellings() {
        assert_eq!(human(512_000_000_000), "512GB");
        assert_eq!(human(16 * GIB), "16GiB");
        assert_eq!(human(421_720 * MIB), "411.8GiB");
        assert_eq!(human(512), "512B");
        assert_eq!(disko_size(30 * GIB), "30G");
        assert_eq!(disko_size(512 * MIB), "512M");
        assert_eq!(disko_size(1536 * MIB), "1536M");
    }
}
