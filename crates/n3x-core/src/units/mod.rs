//! Value types that check their invariants when they are deserialized ("parse, don't
//! validate"): once a document is decoded, no field can hold a malformed size, name,
//! address range or MAC address.

mod ifname;
mod mac;
mod name;
mod net;
mod size;

pub use ifname::{DnsName, IfName};
pub use mac::MacAddr;
pub use name::NodeName;
pub use net::{Cidr, IpRange};
pub use size::ByteSize;

/// Implements `Serialize`, `Deserialize` (through `FromStr`) and `JsonSchema` for a
/// type that is written as a string.
macro_rules! string_newtype {
    ($ty:ty, $schema_name:literal, $schema:tt) => {
        impl serde::Serialize for $ty {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.collect_str(self)
            }
        }
        impl<'de> serde::Deserialize<'de> for $ty {
            fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let s = String::deserialize(d)?;
                s.parse().map_err(serde::de::Error::custom)
            }
        }
        impl schemars::JsonSchema for $ty {
            fn schema_name() -> std::borrow::Cow<'static, str> {
                $schema_name.into()
            }
            fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
                schemars::json_schema!($schema)
            }
        }
    };
}
pub(crate) use string_newtype;
