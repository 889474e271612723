//! 32-byte BLAKE3 identifiers. Each kind of object has its own type so they cannot be mixed up.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// Why a hexadecimal id could not be parsed.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("`{input}` is not a valid id: expected 64 hexadecimal characters")]
pub struct IdParseError {
    /// The text that was given.
    pub input: String,
}

macro_rules! blake3_id {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub struct $name(pub [u8; 32]);

        impl $name {
            /// Length of the id in bytes.
            pub const LEN: usize = 32;

            /// The id of `data`: its BLAKE3 hash.
            pub fn of(data: &[u8]) -> Self {
                Self(*blake3::hash(data).as_bytes())
            }

            /// Wraps an already computed BLAKE3 hash.
            pub fn from_hash(hash: blake3::Hash) -> Self {
                Self(*hash.as_bytes())
            }

            /// Reads an id from exactly 32 bytes (as stored in a database or a pack trailer).
            pub fn from_slice(bytes: &[u8]) -> Option<Self> {
                <[u8; 32]>::try_from(bytes).ok().map(Self)
            }

            /// The raw bytes.
            pub fn as_bytes(&self) -> &[u8; 32] {
                &self.0
            }

            /// Full lowercase hexadecimal form (64 characters).
            pub fn to_hex(&self) -> String {
                hex::encode(self.0)
            }

            /// The first 12 hexadecimal characters, for humans.
            pub fn short(&self) -> String {
                hex::encode(&self.0[..6])
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.to_hex())
            }
        }

        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, "{}({})", stringify!($name), self.short())
            }
        }

        impl FromStr for $name {
            type Err = IdParseError;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                let mut out = [0u8; 32];
                hex::decode_to_slice(s, &mut out)
                    .map_err(|_| IdParseError { input: s.to_owned() })?;
                Ok(Self(out))
            }
        }

        impl Serialize for $name {
            fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(&self.to_hex())
            }
        }

        crate::schema::string_schema!($name, "64 hexadecimal digits (a BLAKE3 hash).");

        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let s = String::deserialize(d)?;
                s.parse().map_err(serde::de::Error::custom)
            }
        }
    };
}

blake3_id!(
    /// Identifies one chunk: the BLAKE3 hash of its uncompressed bytes.
    ChunkId
);
blake3_id!(
    /// Identifies a whole file's content: the BLAKE3 hash of all its bytes (what `b3sum` prints).
    ContentId
);
blake3_id!(
    /// Identifies a pack file: the BLAKE3 hash of the pack's bytes as written.
    PackId
);

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn content_id_matches_b3sum_of_empty_input() {
        assert_eq!(
            ContentId::of(b"").to_hex(),
            "af1349b9f5f9a1a6a0404dea36dcc9499bcb25c9adc112b7cc9a93cae41f3262"
        );
    }

    #[test]
    fn rejects_bad_hex() {
        assert!("zz".parse::<ChunkId>().is_err());
        assert!("ab".repeat(31).parse::<ChunkId>().is_err());
    }

    proptest! {
        #[test]
        fn hex_and_serde_round_trip(bytes in proptest::array::uniform32(any::<u8>())) {
            let id = ChunkId(bytes);
            prop_assert_eq!(id.to_hex().parse::<ChunkId>().unwrap(), id);
            let json = serde_json::to_string(&id).unwrap();
            prop_assert_eq!(serde_json::from_str::<ChunkId>(&json).unwrap(), id);
        }
    }
}
