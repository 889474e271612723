//! Text that reaches a terminal. Notes, comments, metadata, file paths, display names and error
//! messages are written by other people (or come from a server), so a raw control character in
//! them could clear, recolour or retitle the terminal of whoever reads them (`ESC [2J`, an OSC
//! `ESC ]0;…BEL`, a bare C1 CSI `U+009B`), overwrite a line (`\r`) or disguise text (bidi
//! overrides). Text output shows every such character as a visible escape instead:
//!
//! - C0 controls and DEL as `\n`, `\r`, `\t` or `\x1b`, C1 controls (U+0080–U+009F) as `\u{9b}`;
//! - bidi embeddings, overrides and isolates (U+202A–U+202E, U+2066–U+2069), the bidi marks
//!   (U+200E, U+200F, U+061C) and the line and paragraph separators (U+2028, U+2029) as
//!   `\u{202e}`. A backslash stays as it is (Windows paths read naturally).
//!
//! Two policies: [`esc`] for a field shown on one line (a table cell, a note in `log`) escapes
//! line breaks too; [`lines`] keeps `\n` for text made of lines (a rendered message). The
//! crate's `println!` and `eprintln!` (defined in `main.rs`) write through [`print_out`] and
//! [`print_err`], which apply [`lines`] to everything they print, so no control character
//! reaches a terminal even from a field a renderer forgot to pass through [`esc`]. clap's usage
//! errors, which quote the arguments given, go through them too when an argument holds such a
//! character (`main.rs`, `usage_error`).
//!
//! JSON (`--json`) keeps every string exact: [`json_pretty`] and [`json_compact`] write what
//! `serde_json` writes, except that DEL, C1 and the characters above are written as JSON
//! `\uXXXX` escapes (C0 controls are escaped by `serde_json` already). A JSON reader gets the
//! original strings back, and the JSON text holds no raw control character, so [`lines`]
//! leaves it unchanged.

use std::borrow::Cow;
use std::fmt::{self, Write as _};
use std::io;

use serde::Serialize;

/// Whether `c` must not reach a terminal raw: a control character (C0, DEL, C1) or a
/// character that reorders or breaks the text around it.
pub fn is_unsafe(c: char) -> bool {
    c.is_control()
        || matches!(
            c,
            '\u{061c}'
                | '\u{200e}'
                | '\u{200f}'
                | '\u{2028}'
                | '\u{2029}'
                | '\u{202a}'..='\u{202e}'
                | '\u{2066}'..='\u{2069}'
        )
}

fn escape_char(out: &mut String, c: char) {
    match c {
        '\n' => out.push_str("\\n"),
        '\r' => out.push_str("\\r"),
        '\t' => out.push_str("\\t"),
        c if (c as u32) < 0x80 => {
            let _ = write!(out, "\\x{:02x}", c as u32);
        }
        c => {
            let _ = write!(out, "\\u{{{:x}}}", c as u32);
        }
    }
}

fn escape_where(text: &str, unsafe_char: impl Fn(char) -> bool) -> Cow<'_, str> {
    let Some(first) = text.find(&unsafe_char) else {
        return Cow::Borrowed(text);
    };
    let mut out = String::with_capacity(text.len() + 8);
    out.push_str(&text[..first]);
    for c in text[first..].chars() {
        if unsafe_char(c) {
            escape_char(&mut out, c);
        } else {
            out.push(c);
        }
    }
    Cow::Owned(out)
}

/// `text` for one line of a terminal: every unsafe character, line breaks included, as a
/// visible escape. Pads like a `&str` (`{:<12}` counts the escaped characters), so columns
/// stay aligned.
pub fn esc(text: &str) -> Cow<'_, str> {
    escape_where(text, is_unsafe)
}

/// [`esc`] of something displayed (an entity reference, a JSON value, a path).
pub fn esc_of(value: impl fmt::Display) -> String {
    esc(&value.to_string()).into_owned()
}

/// `text` made of lines: like [`esc`], but `\n` stays a line break.
pub fn lines(text: &str) -> Cow<'_, str> {
    escape_where(text, |c| c != '\n' && is_unsafe(c))
}

/// `args` through [`lines`], then a line break.
fn line_of(args: fmt::Arguments<'_>) -> String {
    let mut line = match args.as_str() {
        Some(text) => lines(text).into_owned(),
        None => {
            let text = args.to_string();
            match lines(&text) {
                Cow::Borrowed(_) => text,
                Cow::Owned(escaped) => escaped,
            }
        }
    };
    line.push('\n');
    line
}

/// What the crate's `println!` calls: `args` through [`lines`] to stdout. A failed write ends
/// the program with a message, or quietly for a closed pipe (`stdio`), never a panic.
pub fn print_out(args: fmt::Arguments<'_>) {
    crate::stdio::write_out(line_of(args).as_bytes());
}

/// What the crate's `eprintln!` calls: `args` through [`lines`] to stderr.
pub fn print_err(args: fmt::Arguments<'_>) {
    crate::stdio::write_err(line_of(args).as_bytes());
}

/// A `serde_json` formatter that writes DEL, C1 and the other [`is_unsafe`] characters that
/// `serde_json` leaves raw as `\uXXXX` escapes (all of them are in the Basic Multilingual
/// Plane, so one escape each); everything else is the inner formatter's.
struct SafeJson<F>(F);

macro_rules! delegate {
    ($($name:ident($($arg:ident: $ty:ty),*)),* $(,)?) => {
        $(
            fn $name<W: ?Sized + io::Write>(&mut self, writer: &mut W $(, $arg: $ty)*) -> io::Result<()> {
                self.0.$name(writer $(, $arg)*)
            }
        )*
    };
}

impl<F: serde_json::ser::Formatter> serde_json::ser::Formatter for SafeJson<F> {
    delegate!(
        begin_array(),
        end_array(),
        begin_array_value(first: bool),
        end_array_value(),
        begin_object(),
        end_object(),
        begin_object_key(first: bool),
        end_object_key(),
        begin_object_value(),
        end_object_value(),
    );

    fn write_string_fragment<W: ?Sized + io::Write>(
        &mut self,
        writer: &mut W,
        fragment: &str,
    ) -> io::Result<()> {
        let mut rest = fragment;
        while let Some(at) = rest.find(is_unsafe) {
            let c = rest[at..].chars().next().expect("found a char at `at`");
            self.0.write_string_fragment(writer, &rest[..at])?;
            write!(writer, "\\u{:04x}", c as u32)?;
            rest = &rest[at + c.len_utf8()..];
        }
        self.0.write_string_fragment(writer, rest)
    }
}

fn json_with<F: serde_json::ser::Formatter>(value: &impl Serialize, formatter: F) -> String {
    let mut bytes = Vec::new();
    let mut serializer = serde_json::Serializer::with_formatter(&mut bytes, SafeJson(formatter));
    value.serialize(&mut serializer).expect("results serialize");
    String::from_utf8(bytes).expect("serde_json writes UTF-8")
}

/// `value` as pretty JSON (what `--json` prints) with no raw control character.
pub fn json_pretty(value: &impl Serialize) -> String {
    json_with(value, serde_json::ser::PrettyFormatter::new())
}

/// `value` as one line of JSON with no raw control character.
pub fn json_compact(value: &impl Serialize) -> String {
    json_with(value, serde_json::ser::CompactFormatter)
}

#[cfg(test)]
mod tests {
    use super::*;

    const EVIL: &str =
        "a\x1b[2J\x1b[31mred\x1b]0;title\x07\rover\u{9b}31m\u{202e}txt\u{2066}\n2\x7f\tend\u{85}";

    fn clean(text: &str) -> bool {
        !text.chars().any(is_unsafe)
    }

    #[test]
    fn plain_text_is_borrowed_unchanged() {
        for text in [
            "",
            "hero_rig",
            "fix the knees — ça marche",
            "C:\\maps",
            "バレル 🎬",
        ] {
            assert!(matches!(esc(text), Cow::Borrowed(t) if t == text), "{text}");
            assert!(
                matches!(lines(text), Cow::Borrowed(t) if t == text),
                "{text}"
            );
        }
    }

    #[test]
    fn controls_become_visible_escapes() {
        assert_eq!(
            esc(EVIL),
            "a\\x1b[2J\\x1b[31mred\\x1b]0;title\\x07\\rover\\u{9b}31m\\u{202e}txt\\u{2066}\\n2\\x7f\\tend\\u{85}"
        );
        assert!(clean(&esc(EVIL)));
        assert_eq!(esc("\0\u{1}\u{1f}"), "\\x00\\x01\\x1f");
        for c in [
            '\u{80}', '\u{9f}', '\u{200e}', '\u{200f}', '\u{61c}', '\u{2028}', '\u{2029}',
        ] {
            assert_eq!(esc(&c.to_string()), format!("\\u{{{:x}}}", c as u32));
        }
        for c in ('\u{202a}'..='\u{202e}').chain('\u{2066}'..='\u{2069}') {
            assert!(is_unsafe(c), "{c:?}");
        }
        // Neighbours of the ranges, and joiners that emoji need, stay.
        for c in [
            '\u{a0}', '\u{2027}', '\u{202f}', '\u{2065}', '\u{206a}', '\u{200d}',
        ] {
            assert!(!is_unsafe(c), "{c:?}");
        }
    }

    #[test]
    fn lines_keep_line_breaks_only() {
        assert_eq!(lines("one\ntwo\r\n\x1b[0m"), "one\ntwo\\r\n\\x1b[0m");
        assert_eq!(lines(EVIL).matches('\n').count(), 1);
        assert!(!lines(EVIL).chars().any(|c| c != '\n' && is_unsafe(c)));
        // What the renderers escaped passes through unchanged.
        assert_eq!(lines(&esc(EVIL)), esc(EVIL));
    }

    #[test]
    fn padding_counts_the_escaped_width() {
        let cell = format!("{:<12}|", esc("a\x1bb"));
        assert_eq!(cell, "a\\x1bb      |");
        assert_eq!(cell.chars().count(), 13);
        let wide = format!("{:<4}|", esc("\x1b\x1b"));
        assert_eq!(
            wide, "\\x1b\\x1b|",
            "a cell wider than its column is not cut"
        );
        assert_eq!(esc_of(serde_json::json!("x\u{9b}")), "\"x\\u{9b}\"");
    }

    #[test]
    fn json_round_trips_exactly_without_raw_controls() {
        let value = serde_json::json!({ "note": EVIL, EVIL: [EVIL, 1, null], "plain": "ok" });
        for text in [json_pretty(&value), json_compact(&value)] {
            assert!(!text.chars().any(|c| c != '\n' && is_unsafe(c)), "{text}");
            let back: serde_json::Value = serde_json::from_str(&text).unwrap();
            assert_eq!(back, value);
            assert_eq!(lines(&text), text, "printing JSON changes nothing");
        }
        assert_eq!(
            json_compact(&"\u{9b}\u{202e}\x7f"),
            "\"\\u009b\\u202e\\u007f\""
        );
        assert_eq!(
            json_pretty(&value),
            serde_json::to_string_pretty(&value)
                .unwrap()
                .replace('\u{9b}', "\\u009b")
                .replace('\u{85}', "\\u0085")
                .replace('\u{202e}', "\\u202e")
                .replace('\u{2066}', "\\u2066")
                .replace('\x7f', "\\u007f"),
            "only the unsafe characters differ from serde_json's own output"
        );
    }

    #[test]
    fn printing_escapes_the_whole_text() {
        let line = line_of(format_args!("note: {}", "x\x1b[2J\ny"));
        assert_eq!(line, "note: x\\x1b[2J\ny\n");
    }
}
