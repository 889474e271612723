//! Tags: named, typed values at Modbus addresses, read from a TOML tag file, and the conversions
//! between register words and values for every type and byte order.
//!
//! ```toml
//! [devices]
//! plc1 = "127.0.0.1:5020"          # any device address (see `DeviceAddress`)
//!
//! [[tag]]
//! name = "boiler.temperature"
//! device = "plc1"                  # optional when the file names one device or none
//! table = "holding"                # coil, discrete, holding, input
//! address = 100                    # 0-based protocol address
//! type = "f32"                     # bool i16 u16 i32 u32 i64 u64 f32 f64 string
//! byte_order = "CDAB"              # ABCD (default), DCBA, BADC, CDAB
//! scale = 0.1                      # value = raw * scale + offset
//! offset = 0.0
//! unit = "°C"
//! value = 21.5                     # initial value served by `bifrost edge simulate`
//! ```
//!
//! Byte orders name where the bytes of the big-endian value `A B C D` (A most significant) sit in
//! the registers as they arrive: `ABCD` is big-endian, `CDAB` swaps the 16-bit words, `BADC`
//! swaps the bytes inside each word and `DCBA` is little-endian. 64-bit values extend the same
//! two swaps to four words; 16-bit values and strings only see the byte swap.

use std::collections::{BTreeMap, HashSet};
use std::fmt;
use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::error::{EdgeError, Result};
use crate::frame::Table;
use crate::simulator::SimulatorSpec;

/// The type of a tag's value.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum DataType {
    Bool,
    I16,
    U16,
    I32,
    U32,
    I64,
    U64,
    F32,
    F64,
    String,
}

impl DataType {
    /// Registers a value of this type occupies (a string's length is its own).
    pub fn registers(self) -> u16 {
        match self {
            DataType::Bool | DataType::I16 | DataType::U16 | DataType::String => 1,
            DataType::I32 | DataType::U32 | DataType::F32 => 2,
            DataType::I64 | DataType::U64 | DataType::F64 => 4,
        }
    }

    /// Every type, for tests and help texts.
    pub const ALL: [DataType; 10] = [
        DataType::Bool,
        DataType::I16,
        DataType::U16,
        DataType::I32,
        DataType::U32,
        DataType::I64,
        DataType::U64,
        DataType::F32,
        DataType::F64,
        DataType::String,
    ];
}

impl fmt::Display for DataType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let s = serde_json::to_value(self).ok();
        f.write_str(s.as_ref().and_then(|v| v.as_str()).unwrap_or("?"))
    }
}

/// Where the bytes of a multi-byte value sit in the registers (see the module docs).
// The industry's names for the four layouts, spelled as every PLC manual spells them.
#[allow(clippy::upper_case_acronyms)]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
pub enum ByteOrder {
    #[default]
    ABCD,
    DCBA,
    BADC,
    CDAB,
}

impl ByteOrder {
    /// Every order.
    pub const ALL: [ByteOrder; 4] = [
        ByteOrder::ABCD,
        ByteOrder::DCBA,
        ByteOrder::BADC,
        ByteOrder::CDAB,
    ];

    fn swap_bytes(self) -> bool {
        matches!(self, ByteOrder::BADC | ByteOrder::DCBA)
    }

    fn swap_words(self) -> bool {
        matches!(self, ByteOrder::CDAB | ByteOrder::DCBA)
    }

    /// The big-endian bytes of a value laid out in `words` (the registers as read).
    pub fn words_to_bytes(self, words: &[u16], swap_words: bool) -> Vec<u8> {
        let mut ordered: Vec<u16> = words.to_vec();
        if swap_words && self.swap_words() {
            ordered.reverse();
        }
        ordered
            .iter()
            .flat_map(|w| {
                let b = w.to_be_bytes();
                if self.swap_bytes() { [b[1], b[0]] } else { b }
            })
            .collect()
    }

    /// The registers that carry the big-endian `bytes` (an even number of them).
    pub fn bytes_to_words(self, bytes: &[u8], swap_words: bool) -> Vec<u16> {
        let mut words: Vec<u16> = bytes
            .chunks(2)
            .map(|c| {
                let (hi, lo) = (c[0], c.get(1).copied().unwrap_or(0));
                if self.swap_bytes() {
                    u16::from_be_bytes([lo, hi])
                } else {
                    u16::from_be_bytes([hi, lo])
                }
            })
            .collect();
        if swap_words && self.swap_words() {
            words.reverse();
        }
        words
    }
}

impl std::str::FromStr for ByteOrder {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s.to_ascii_uppercase().as_str() {
            "ABCD" => Ok(ByteOrder::ABCD),
            "DCBA" => Ok(ByteOrder::DCBA),
            "BADC" => Ok(ByteOrder::BADC),
            "CDAB" => Ok(ByteOrder::CDAB),
            _ => Err(format!(
                "unknown byte order {s:?}: use ABCD, DCBA, BADC or CDAB"
            )),
        }
    }
}

/// A decoded tag value.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Value {
    Bool(bool),
    Int(i64),
    UInt(u64),
    Float(f64),
    Text(String),
}

impl fmt::Display for Value {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Value::Bool(b) => write!(f, "{b}"),
            Value::Int(i) => write!(f, "{i}"),
            Value::UInt(u) => write!(f, "{u}"),
            Value::Float(x) => write!(f, "{x}"),
            Value::Text(s) => write!(f, "{s:?}"),
        }
    }
}

impl Value {
    fn as_f64(&self) -> Option<f64> {
        match self {
            Value::Bool(b) => Some(f64::from(u8::from(*b))),
            Value::Int(i) => Some(*i as f64),
            Value::UInt(u) => Some(*u as f64),
            Value::Float(x) => Some(*x),
            Value::Text(_) => None,
        }
    }

    fn kind(&self) -> &'static str {
        match self {
            Value::Bool(_) => "a boolean",
            Value::Int(_) | Value::UInt(_) => "an integer",
            Value::Float(_) => "a number",
            Value::Text(_) => "text",
        }
    }
}

/// The raw form of a tag on the wire: bits for coil/discrete tags, registers otherwise.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(untagged)]
pub enum Raw {
    Bits(Vec<bool>),
    Registers(Vec<u16>),
}

fn default_scale() -> f64 {
    1.0
}

/// One tag of a tag file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Tag {
    /// Unique name.
    pub name: String,
    /// Name of a device of the file's `[devices]` table.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub device: Option<String>,
    /// The data table.
    pub table: Table,
    /// 0-based protocol address of the first register or bit.
    pub address: u16,
    /// The value's type.
    #[serde(rename = "type")]
    pub data_type: DataType,
    /// Byte and word order of multi-register values.
    #[serde(default, alias = "order")]
    pub byte_order: ByteOrder,
    /// Engineering value = raw * scale + offset.
    #[serde(default = "default_scale")]
    pub scale: f64,
    /// See `scale`.
    #[serde(default)]
    pub offset: f64,
    /// Unit of the engineering value, shown beside it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unit: Option<String>,
    /// Length of a string tag in registers (two characters each).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub length: Option<u16>,
    /// Initial value served by the simulator.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub value: Option<Value>,
}

impl Tag {
    /// A tag with default order, scale and offset.
    pub fn new(name: &str, table: Table, address: u16, data_type: DataType) -> Tag {
        Tag {
            name: name.into(),
            device: None,
            table,
            address,
            data_type,
            byte_order: ByteOrder::ABCD,
            scale: 1.0,
            offset: 0.0,
            unit: None,
            length: None,
            value: None,
        }
    }

    /// Registers (or bits, on coil/discrete tables) the tag occupies.
    pub fn width(&self) -> u16 {
        if self.table.is_bits() {
            1
        } else if self.data_type == DataType::String {
            self.length.unwrap_or(1)
        } else {
            self.data_type.registers()
        }
    }

    fn scaled(&self) -> bool {
        self.scale != 1.0 || self.offset != 0.0
    }

    fn err(&self, message: impl Into<String>) -> EdgeError {
        EdgeError::TagValue {
            tag: self.name.clone(),
            message: message.into(),
        }
    }

    /// Checks the tag on its own (what a tag file loader reports).
    pub fn validate(&self) -> Result<(), String> {
        if self.name.trim().is_empty() {
            return Err("a tag has an empty name".into());
        }
        let numeric = !matches!(self.data_type, DataType::Bool | DataType::String);
        if self.table.is_bits() && self.data_type != DataType::Bool {
            return Err(format!(
                "tag {}: type {} needs a register table (holding or input); {} tables hold bits",
                self.name, self.data_type, self.table
            ));
        }
        if self.data_type == DataType::String && self.length.unwrap_or(0) == 0 {
            return Err(format!(
                "tag {}: a string tag needs `length` (registers, ≥ 1)",
                self.name
            ));
        }
        if self.data_type != DataType::String && self.length.is_some() {
            return Err(format!(
                "tag {}: `length` is only for string tags",
                self.name
            ));
        }
        if !numeric && self.scaled() {
            return Err(format!(
                "tag {}: scale and offset apply to numeric tags only",
                self.name
            ));
        }
        if self.scale == 0.0 || !self.scale.is_finite() || !self.offset.is_finite() {
            return Err(format!(
                "tag {}: scale must be finite and non-zero, offset finite",
                self.name
            ));
        }
        if self.address as u32 + self.width() as u32 > 0x1_0000 {
            return Err(format!(
                "tag {}: address {} + {} registers runs past 65535",
                self.name,
                self.address,
                self.width()
            ));
        }
        if let Some(v) = &self.value {
            self.encode(v).map_err(|e| e.to_string())?;
        }
        Ok(())
    }

    /// Decodes the tag from its bit (coil/discrete tables).
    pub fn decode_bit(&self, bit: bool) -> Value {
        Value::Bool(bit)
    }

    /// Decodes the tag from its registers (exactly [`Tag::width`] words).
    pub fn decode(&self, words: &[u16]) -> Result<Value> {
        if words.len() != self.width() as usize {
            return Err(self.err(format!(
                "needs {} registers, got {}",
                self.width(),
                words.len()
            )));
        }
        let order = self.byte_order;
        let bytes = order.words_to_bytes(words, true);
        let raw = match self.data_type {
            DataType::Bool => return Ok(Value::Bool(words[0] != 0)),
            DataType::String => {
                let bytes = order.words_to_bytes(words, false);
                let end = bytes.iter().position(|&b| b == 0).unwrap_or(bytes.len());
                return Ok(Value::Text(
                    String::from_utf8_lossy(&bytes[..end]).into_owned(),
                ));
            }
            DataType::I16 => Value::Int(i16::from_be_bytes(arr(&bytes)).into()),
            DataType::U16 => Value::UInt(u16::from_be_bytes(arr(&bytes)).into()),
            DataType::I32 => Value::Int(i32::from_be_bytes(arr(&bytes)).into()),
            DataType::U32 => Value::UInt(u32::from_be_bytes(arr(&bytes)).into()),
            DataType::I64 => Value::Int(i64::from_be_bytes(arr(&bytes))),
            DataType::U64 => Value::UInt(u64::from_be_bytes(arr(&bytes))),
            DataType::F32 => Value::Float(f32::from_be_bytes(arr(&bytes)).into()),
            DataType::F64 => Value::Float(f64::from_be_bytes(arr(&bytes))),
        };
        if self.scaled() {
            let x = raw.as_f64().unwrap_or(f64::NAN);
            return Ok(Value::Float(x * self.scale + self.offset));
        }
        Ok(raw)
    }

    /// Encodes an engineering value into the tag's raw form, refusing values that do not fit.
    pub fn encode(&self, value: &Value) -> Result<Raw> {
        if self.table.is_bits() {
            return match value {
                Value::Bool(b) => Ok(Raw::Bits(vec![*b])),
                Value::Int(0) | Value::UInt(0) => Ok(Raw::Bits(vec![false])),
                Value::Int(1) | Value::UInt(1) => Ok(Raw::Bits(vec![true])),
                other => Err(self.err(format!(
                    "a {} tag takes true or false, not {other}",
                    self.table
                ))),
            };
        }
        let order = self.byte_order;
        let bytes: Vec<u8> = match self.data_type {
            DataType::Bool => {
                let on = match value {
                    Value::Bool(b) => *b,
                    Value::Int(i @ (0 | 1)) => *i == 1,
                    Value::UInt(u @ (0 | 1)) => *u == 1,
                    other => return Err(self.err(format!("takes true or false, not {other}"))),
                };
                return Ok(Raw::Registers(vec![u16::from(on)]));
            }
            DataType::String => {
                let Value::Text(s) = value else {
                    return Err(self.err(format!("takes text, not {}", value.kind())));
                };
                let capacity = self.width() as usize * 2;
                if s.len() > capacity {
                    return Err(self.err(format!(
                        "{:?} is {} bytes; the tag holds {capacity} ({} registers)",
                        s,
                        s.len(),
                        self.width()
                    )));
                }
                let mut bytes = s.as_bytes().to_vec();
                bytes.resize(capacity, 0);
                return Ok(Raw::Registers(order.bytes_to_words(&bytes, false)));
            }
            DataType::F32 => (self.unscale(value)? as f32).to_be_bytes().to_vec(),
            DataType::F64 => self.unscale(value)?.to_be_bytes().to_vec(),
            DataType::I16 => self.integer::<i16>(value)?.to_be_bytes().to_vec(),
            DataType::U16 => self.integer::<u16>(value)?.to_be_bytes().to_vec(),
            DataType::I32 => self.integer::<i32>(value)?.to_be_bytes().to_vec(),
            DataType::U32 => self.integer::<u32>(value)?.to_be_bytes().to_vec(),
            DataType::I64 => self.integer::<i64>(value)?.to_be_bytes().to_vec(),
            DataType::U64 => self.integer::<u64>(value)?.to_be_bytes().to_vec(),
        };
        Ok(Raw::Registers(order.bytes_to_words(&bytes, true)))
    }

    /// The raw (unscaled) number for an engineering value.
    fn unscale(&self, value: &Value) -> Result<f64> {
        let x = value
            .as_f64()
            .filter(|_| !matches!(value, Value::Bool(_)))
            .ok_or_else(|| self.err(format!("takes a number, not {}", value.kind())))?;
        Ok((x - self.offset) / self.scale)
    }

    /// The raw integer for an engineering value: exact for unscaled integers, rounded otherwise,
    /// refused when out of the type's range.
    fn integer<T>(&self, value: &Value) -> Result<T>
    where
        T: TryFrom<i128> + Into<i128> + Copy + Bounded,
    {
        let wide: i128 = match value {
            Value::Int(i) if !self.scaled() => (*i).into(),
            Value::UInt(u) if !self.scaled() => (*u).into(),
            _ => {
                let raw = self.unscale(value)?.round();
                if !raw.is_finite() {
                    return Err(self.err(format!("{value} is not a finite number")));
                }
                raw as i128
            }
        };
        T::try_from(wide).map_err(|_| {
            let (lo, hi): (i128, i128) = (T::MIN_VALUE.into(), T::MAX_VALUE.into());
            let mut message = format!("{value} is out of range for {}", self.data_type);
            if self.scaled() {
                message += &format!(
                    " (raw {wide} after scale {} and offset {}; the raw range is {lo}..={hi})",
                    self.scale, self.offset
                );
            } else {
                message += &format!(" ({lo}..={hi})");
            }
            self.err(message)
        })
    }

    /// Parses a value given as text (command line) for this tag's type.
    pub fn parse_value(&self, text: &str) -> Result<Value> {
        let t = text.trim();
        let bad = || {
            self.err(format!(
                "cannot read {text:?} as a {} value",
                self.data_type
            ))
        };
        Ok(match self.data_type {
            DataType::Bool => match t.to_ascii_lowercase().as_str() {
                "true" | "on" | "1" => Value::Bool(true),
                "false" | "off" | "0" => Value::Bool(false),
                _ => return Err(bad()),
            },
            DataType::String => Value::Text(text.to_string()),
            DataType::F32 | DataType::F64 => Value::Float(t.parse().map_err(|_| bad())?),
            _ if self.scaled() => Value::Float(t.parse().map_err(|_| bad())?),
            DataType::U16 | DataType::U32 | DataType::U64 => {
                Value::UInt(t.parse().map_err(|_| bad())?)
            }
            _ => Value::Int(t.parse().map_err(|_| bad())?),
        })
    }
}

/// Integer bounds, for range messages.
pub trait Bounded {
    const MIN_VALUE: Self;
    const MAX_VALUE: Self;
}

macro_rules! bounded {
    ($($t:ty),*) => {$(impl Bounded for $t { const MIN_VALUE: Self = <$t>::MIN; const MAX_VALUE: Self = <$t>::MAX; })*};
}
bounded!(i16, u16, i32, u32, i64, u64);

fn arr<const N: usize>(bytes: &[u8]) -> [u8; N] {
    let mut a = [0u8; N];
    a.copy_from_slice(&bytes[..N]);
    a
}

/// A parsed and checked tag file.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TagFile {
    /// Device name → device address.
    #[serde(default)]
    pub devices: BTreeMap<String, String>,
    /// The tags, in file order.
    #[serde(default, rename = "tag")]
    pub tags: Vec<Tag>,
    /// What `bifrost edge simulate` serves besides the tags' values.
    #[serde(default)]
    pub simulator: SimulatorSpec,
}

/// Largest settings file read (tag files, gateway files, rules): a path to a device or a huge
/// file by mistake gets an error instead of filling memory.
pub const MAX_SETTINGS_FILE: u64 = 16 * 1024 * 1024;

/// Reads a settings file of at most [`MAX_SETTINGS_FILE`] bytes as text.
pub fn read_settings_file(path: &std::path::Path) -> std::io::Result<String> {
    use std::io::Read;
    let mut text = String::new();
    std::fs::File::open(path)?
        .take(MAX_SETTINGS_FILE + 1)
        .read_to_string(&mut text)?;
    if text.len() as u64 > MAX_SETTINGS_FILE {
        return Err(std::io::Error::new(
            std::io::ErrorKind::InvalidData,
            format!(
                "it is larger than {} MiB, too large for a settings file; is it the right file?",
                MAX_SETTINGS_FILE >> 20
            ),
        ));
    }
    Ok(text)
}

impl TagFile {
    /// Reads and checks a tag file.
    pub fn load(path: impl AsRef<Path>) -> Result<TagFile> {
        let path = path.as_ref();
        let text = read_settings_file(path).map_err(|e| EdgeError::TagFile {
            path: path.display().to_string(),
            message: format!("cannot read it: {e}"),
        })?;
        TagFile::parse(&text).map_err(|e| match e {
            EdgeError::TagFile { message, .. } => EdgeError::TagFile {
                path: path.display().to_string(),
                message,
            },
            other => other,
        })
    }

    /// Parses and checks tag file text.
    pub fn parse(text: &str) -> Result<TagFile> {
        let err = |message: String| EdgeError::TagFile {
            path: "<text>".into(),
            message,
        };
        let file: TagFile = toml::from_str(text).map_err(|e| err(e.to_string()))?;
        let mut names = HashSet::new();
        for tag in &file.tags {
            tag.validate().map_err(err)?;
            if !names.insert(tag.name.as_str()) {
                return Err(err(format!("tag {} is defined twice", tag.name)));
            }
            if let Some(d) = &tag.device
                && !file.devices.contains_key(d)
            {
                return Err(err(format!(
                    "tag {} names device {d:?}, which [devices] does not define (known: {})",
                    tag.name,
                    file.devices.keys().cloned().collect::<Vec<_>>().join(", ")
                )));
            }
        }
        if file.tags.is_empty() {
            return Err(err(
                "no tags: add [[tag]] tables (name, table, address, type)".into(),
            ));
        }
        file.simulator.validate().map_err(err)?;
        Ok(file)
    }

    /// The tag called `name`.
    pub fn tag(&self, name: &str) -> Result<&Tag> {
        self.tags
            .iter()
            .find(|t| t.name == name)
            .ok_or_else(|| EdgeError::TagValue {
                tag: name.into(),
                message: "no such tag in the tag file".into(),
            })
    }

    /// The device address a tag is read from: its own device, the file's only device, or
    /// `fallback` (a device given on the command line).
    pub fn device_of(&self, tag: &Tag, fallback: Option<&str>) -> Result<String> {
        if let Some(d) = fallback {
            return Ok(self
                .devices
                .get(d)
                .cloned()
                .unwrap_or_else(|| d.to_string()));
        }
        if let Some(d) = &tag.device {
            return Ok(self.devices[d].clone());
        }
        if self.devices.len() == 1 {
            return Ok(self.devices.values().next().cloned().unwrap_or_default());
        }
        Err(EdgeError::TagValue {
            tag: tag.name.clone(),
            message: "names no device: give the tag `device = \"…\"`, or name the device to read"
                .into(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn tag(t: DataType, order: ByteOrder) -> Tag {
        let mut tag = Tag::new("t", Table::Holding, 0, t);
        tag.byte_order = order;
        if t == DataType::String {
            tag.length = Some(4);
        }
        tag
    }

    #[test]
    fn known_layouts() {
        // 0x12345678 in each order.
        let cases = [
            (ByteOrder::ABCD, [0x1234, 0x5678]),
            (ByteOrder::CDAB, [0x5678, 0x1234]),
            (ByteOrder::BADC, [0x3412, 0x7856]),
            (ByteOrder::DCBA, [0x7856, 0x3412]),
        ];
        for (order, words) in cases {
            let t = tag(DataType::U32, order);
            assert_eq!(
                t.decode(&words).unwrap(),
                Value::UInt(0x1234_5678),
                "{order:?}"
            );
            assert_eq!(
                t.encode(&Value::UInt(0x1234_5678)).unwrap(),
                Raw::Registers(words.to_vec())
            );
        }
        // 1.0f32 = 0x3F800000, CDAB (a common PLC layout).
        let f = tag(DataType::F32, ByteOrder::CDAB);
        assert_eq!(f.decode(&[0x0000, 0x3F80]).unwrap(), Value::Float(1.0));
        // i64 -2 little-endian.
        let i = tag(DataType::I64, ByteOrder::DCBA);
        assert_eq!(
            i.decode(&[0xFEFF, 0xFFFF, 0xFFFF, 0xFFFF]).unwrap(),
            Value::Int(-2)
        );
        // Strings: "AB" in one register, BADC swaps it.
        let s = tag(DataType::String, ByteOrder::BADC);
        assert_eq!(
            s.decode(&[0x4241, 0x0043, 0, 0]).unwrap(),
            Value::Text("ABC".into())
        );
        assert_eq!(
            s.encode(&Value::Text("ABC".into())).unwrap(),
            Raw::Registers(vec![0x4241, 0x0043, 0, 0])
        );
    }

    #[test]
    fn scale_offset_and_ranges() {
        let mut t = tag(DataType::I16, ByteOrder::ABCD);
        t.scale = 0.1;
        t.offset = -40.0;
        assert_eq!(t.decode(&[615]).unwrap(), Value::Float(615.0 * 0.1 - 40.0));
        assert_eq!(
            t.encode(&Value::Float(21.5)).unwrap(),
            Raw::Registers(vec![615])
        );
        let e = t.encode(&Value::Float(4000.0)).unwrap_err().to_string();
        assert!(
            e.contains("out of range for i16") && e.contains("raw 40400"),
            "{e}"
        );
        let u = tag(DataType::U16, ByteOrder::ABCD);
        let e = u.encode(&Value::Int(-1)).unwrap_err().to_string();
        assert!(e.contains("0..=65535"), "{e}");
        assert!(u.encode(&Value::Text("x".into())).is_err());
        let s = tag(DataType::String, ByteOrder::ABCD);
        assert!(
            s.encode(&Value::Text("123456789".into()))
                .unwrap_err()
                .to_string()
                .contains("holds 8")
        );
    }

    #[test]
    fn tag_file_checks() {
        let good = r#"
            [devices]
            plc = "127.0.0.1:5020"
            [[tag]]
            name = "a"
            device = "plc"
            table = "holding"
            address = 10
            type = "f32"
            byte_order = "CDAB"
            unit = "bar"
            value = 1.5
            [[tag]]
            name = "b"
            table = "coil"
            address = 3
            type = "bool"
        "#;
        let f = TagFile::parse(good).unwrap();
        assert_eq!(f.tags.len(), 2);
        assert_eq!(f.device_of(&f.tags[1], None).unwrap(), "127.0.0.1:5020");
        for (bad, needle) in [
            (good.replace("\"f32\"", "\"f33\""), "unknown variant `f33`"),
            (
                good.replace("\"bool\"", "\"u32\""),
                "needs a register table",
            ),
            (
                good.replace("name = \"b\"", "name = \"a\""),
                "defined twice",
            ),
            (
                good.replace("device = \"plc\"", "device = \"nope\""),
                "does not define",
            ),
            (
                good.replace("address = 10", "address = 65535"),
                "runs past 65535",
            ),
            (
                good.replace("value = 1.5", "value = \"hot\""),
                "takes a number",
            ),
            (
                good.replace("unit = \"bar\"", "colour = 1"),
                "unknown field `colour`",
            ),
            ("".to_string(), "no tags"),
        ] {
            let e = TagFile::parse(&bad).unwrap_err().to_string();
            assert!(e.contains(needle), "{needle}: {e}");
        }
    }

    fn integer_type() -> impl Strategy<Value = DataType> {
        prop::sample::select(vec![
            DataType::I16,
            DataType::U16,
            DataType::I32,
            DataType::U32,
            DataType::I64,
            DataType::U64,
        ])
    }

    fn order() -> impl Strategy<Value = ByteOrder> {
        prop::sample::select(ByteOrder::ALL.to_vec())
    }

    proptest! {
        /// Any register words decode and encode back to the same words (integers, both floats
        /// bit for bit unless NaN, strings without NUL padding ambiguity).
        #[test]
        fn words_round_trip(t in integer_type(), order in order(), words in prop::collection::vec(any::<u16>(), 4)) {
            let tag = tag(t, order);
            let words = &words[..tag.width() as usize];
            let value = tag.decode(words).unwrap();
            prop_assert_eq!(tag.encode(&value).unwrap(), Raw::Registers(words.to_vec()));
        }

        #[test]
        fn floats_round_trip(order in order(), x in any::<f64>(), y in any::<f32>()) {
            let t64 = tag(DataType::F64, order);
            let Raw::Registers(w) = t64.encode(&Value::Float(x)).unwrap() else { unreachable!() };
            let Value::Float(back) = t64.decode(&w).unwrap() else { unreachable!() };
            prop_assert_eq!(back.to_bits(), x.to_bits());
            let t32 = tag(DataType::F32, order);
            let Raw::Registers(w) = t32.encode(&Value::Float(y.into())).unwrap() else { unreachable!() };
            let Value::Float(back) = t32.decode(&w).unwrap() else { unreachable!() };
            if !y.is_nan() {
                prop_assert_eq!((back as f32).to_bits(), y.to_bits());
            } else {
                prop_assert!(back.is_nan());
            }
        }

        /// Values encode and decode back for every integer type and order.
        #[test]
        fn values_round_trip(t in integer_type(), order in order(), n in any::<i64>(), u in any::<u64>()) {
            let tag = tag(t, order);
            for v in [Value::Int(n), Value::UInt(u)] {
                if let Ok(raw) = tag.encode(&v) {
                    let Raw::Registers(w) = raw else { unreachable!() };
                    let back = tag.decode(&w).unwrap();
                    let same = match (&v, &back) {
                        (Value::Int(a), Value::Int(b)) => a == b,
                        (Value::Int(a), Value::UInt(b)) => *a >= 0 && *a as u64 == *b,
                        (Value::UInt(a), Value::UInt(b)) => a == b,
                        (Value::UInt(a), Value::Int(b)) => *b >= 0 && *a == *b as u64,
                        _ => false,
                    };
                    prop_assert!(same, "{:?} -> {:?}", v, back);
                } else {
                    // Refused only when out of range.
                    let wide: i128 = match v { Value::Int(i) => i.into(), Value::UInt(u) => u.into(), _ => 0 };
                    let fits = match t {
                        DataType::I16 => i16::try_from(wide).is_ok(),
                        DataType::U16 => u16::try_from(wide).is_ok(),
                        DataType::I32 => i32::try_from(wide).is_ok(),
                        DataType::U32 => u32::try_from(wide).is_ok(),
                        DataType::I64 => i64::try_from(wide).is_ok(),
                        _ => u64::try_from(wide).is_ok(),
                    };
                    prop_assert!(!fits);
                }
            }
        }

        #[test]
        fn strings_round_trip(order in order(), s in "[ -~]{0,8}") {
            let tag = tag(DataType::String, order);
            let Raw::Registers(w) = tag.encode(&Value::Text(s.clone())).unwrap() else { unreachable!() };
            prop_assert_eq!(tag.decode(&w).unwrap(), Value::Text(s));
        }

        /// Scaled integers: the decoded value is within half a step of what was written.
        #[test]
        fn scaled_round_trip(order in order(), x in -3000.0f64..3000.0, scale in prop::sample::select(vec![0.1, 0.01, 2.0, 0.5])) {
            let mut tag = tag(DataType::I32, order);
            tag.scale = scale;
            tag.offset = 10.0;
            let Raw::Registers(w) = tag.encode(&Value::Float(x)).unwrap() else { unreachable!() };
            let Value::Float(back) = tag.decode(&w).unwrap() else { unreachable!() };
            prop_assert!((back - x).abs() <= scale / 2.0 + 1e-9, "{} vs {}", back, x);
        }
    }
}
