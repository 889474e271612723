//! Backend-neutral text handling for search: the tokeniser both full-text indexes are fed from,
//! search documents, `*` patterns and snippets.
//!
//! SQLite's FTS5 and PostgreSQL's text search split words differently (FTS5 splits `v1.2` in
//! two, PostgreSQL keeps it as a version number, and so on). So the catalog splits text itself:
//! lowercase, then break on anything that is not a letter or digit. A document's `body` is its
//! tokens joined by single spaces, which both indexes split back into exactly those tokens, and
//! query words go through the same function; both backends therefore match the same documents.

use bifrost_core::production::Metadata;
use serde_json::Value;

/// Tokens longer than this (in bytes) are not indexed: PostgreSQL ignores words over 2 KiB, and
/// nobody searches for them.
const MAX_TOKEN_BYTES: usize = 255;

/// At most this many tokens per document: PostgreSQL positions stop at 16,383 (phrase matching
/// beyond would differ from SQLite) and a tsvector is limited to 1 MiB.
const MAX_DOC_TOKENS: usize = 16_000;

/// At most this many bytes of original text per document (for snippets).
const MAX_CONTENT_BYTES: usize = 64 * 1024;

/// Longest snippet, in characters.
const SNIPPET_CHARS: usize = 120;

/// The searchable words of `text`: lowercased, split on every character that is not a letter or
/// a digit, overlong words dropped.
pub(crate) fn tokens(text: &str) -> Vec<String> {
    text.to_lowercase()
        .split(|c: char| !c.is_alphanumeric())
        .filter(|t| !t.is_empty() && t.len() <= MAX_TOKEN_BYTES)
        .map(|t| t.chars().map(fold).collect())
        .collect()
}

/// The lowercase letters that FTS5's case folding still changes (its `unicode61` tokenizer
/// folds them; PostgreSQL's `lower()` does not): folded here so that both indexes see the same
/// words (`σίς*` must match `σίσυφος` on both, or on neither).
fn fold(c: char) -> char {
    match c {
        '\u{b5}' => '\u{3bc}',    // micro sign -> mu
        '\u{17f}' => 's',         // long s
        '\u{3c2}' => '\u{3c3}',   // final sigma -> sigma
        '\u{3d0}' => '\u{3b2}',   // beta symbol
        '\u{3d1}' => '\u{3b8}',   // theta symbol
        '\u{3d5}' => '\u{3c6}',   // phi symbol
        '\u{3d6}' => '\u{3c0}',   // pi symbol
        '\u{3f0}' => '\u{3ba}',   // kappa symbol
        '\u{3f1}' => '\u{3c1}',   // rho symbol
        '\u{3f5}' => '\u{3b5}',   // lunate epsilon
        '\u{1e9b}' => '\u{1e61}', // long s with dot above
        '\u{1fbe}' => '\u{3b9}',  // prosgegrammeni -> iota
        c => c,
    }
}

/// The texts of a metadata map worth searching: every string, number and boolean, depth first,
/// keys in order (keys themselves are not indexed).
pub(crate) fn metadata_texts<'a>(
    values: impl IntoIterator<Item = &'a Value>,
    out: &mut Vec<String>,
) {
    for value in values {
        match value {
            Value::Null => {}
            Value::Bool(b) => out.push(b.to_string()),
            Value::Number(n) => out.push(n.to_string()),
            Value::String(s) => out.push(s.clone()),
            Value::Array(items) => metadata_texts(items, out),
            Value::Object(fields) => metadata_texts(fields.values(), out),
        }
    }
}

/// A search document being assembled: its original texts (one per line) and its tokens.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub(crate) struct DocText {
    /// The texts, one per line (newlines inside a text become spaces).
    pub(crate) content: String,
    /// The tokens, joined by single spaces.
    pub(crate) body: String,
    count: usize,
}

impl DocText {
    pub(crate) fn new() -> DocText {
        DocText::default()
    }

    /// Adds a text (blank ones are skipped).
    pub(crate) fn push(&mut self, text: &str) {
        let text = text.trim();
        if text.is_empty() {
            return;
        }
        if self.content.len() < MAX_CONTENT_BYTES {
            if !self.content.is_empty() {
                self.content.push('\n');
            }
            let room = MAX_CONTENT_BYTES.saturating_sub(self.content.len());
            let mut cut = text.len().min(room);
            while !text.is_char_boundary(cut) {
                cut -= 1;
            }
            for c in text[..cut].chars() {
                self.content
                    .push(if c == '\n' || c == '\r' { ' ' } else { c });
            }
        }
        for token in tokens(text) {
            if self.count >= MAX_DOC_TOKENS {
                break;
            }
            if !self.body.is_empty() {
                self.body.push(' ');
            }
            self.body.push_str(&token);
            self.count += 1;
        }
    }

    /// Adds several texts.
    pub(crate) fn extend<S: AsRef<str>>(&mut self, texts: impl IntoIterator<Item = S>) {
        for text in texts {
            self.push(text.as_ref());
        }
    }
}

/// The document of an asset: name, type, tags, metadata values, the notes of its versions and
/// the comments on it and on its versions.
pub(crate) fn asset_text<'a>(
    name: &str,
    asset_type: &str,
    tags: &[String],
    metadata: &Metadata,
    notes: impl IntoIterator<Item = &'a str>,
    comments: impl IntoIterator<Item = &'a str>,
) -> DocText {
    let mut doc = DocText::new();
    doc.push(name);
    doc.push(asset_type);
    doc.extend(tags);
    let mut values = Vec::new();
    metadata_texts(metadata.values(), &mut values);
    doc.extend(values);
    doc.extend(notes);
    doc.extend(comments);
    doc
}

/// The document of a version: its note, metadata values and the comments on it.
pub(crate) fn version_text<'a>(
    note: &str,
    metadata: &Metadata,
    comments: impl IntoIterator<Item = &'a str>,
) -> DocText {
    let mut doc = DocText::new();
    doc.push(note);
    let mut values = Vec::new();
    metadata_texts(metadata.values(), &mut values);
    doc.extend(values);
    doc.extend(comments);
    doc
}

/// The document of a shot: its name, its sequence's name, metadata values and comments.
pub(crate) fn shot_text<'a>(
    sequence: &str,
    name: &str,
    metadata: &Metadata,
    comments: impl IntoIterator<Item = &'a str>,
) -> DocText {
    let mut doc = DocText::new();
    doc.push(name);
    doc.push(sequence);
    let mut values = Vec::new();
    metadata_texts(metadata.values(), &mut values);
    doc.extend(values);
    doc.extend(comments);
    doc
}

/// The document of a sequence: its name and metadata values.
pub(crate) fn sequence_text(name: &str, metadata: &Metadata) -> DocText {
    let mut doc = DocText::new();
    doc.push(name);
    let mut values = Vec::new();
    metadata_texts(metadata.values(), &mut values);
    doc.extend(values);
    doc
}

/// Escapes a user `*` pattern (only `*` is a wildcard) for SQLite's case-sensitive `GLOB`.
pub(crate) fn glob_pattern(pattern: &str) -> String {
    let mut out = String::with_capacity(pattern.len() + 4);
    for c in pattern.chars() {
        match c {
            '?' => out.push_str("[?]"),
            '[' => out.push_str("[[]"),
            c => out.push(c),
        }
    }
    out
}

/// Escapes a user `*` pattern (only `*` is a wildcard) for PostgreSQL's case-sensitive
/// `LIKE … ESCAPE '\'`.
pub(crate) fn like_pattern(pattern: &str) -> String {
    let mut out = String::with_capacity(pattern.len() + 4);
    for c in pattern.chars() {
        match c {
            '*' => out.push('%'),
            '%' | '_' | '\\' => {
                out.push('\\');
                out.push(c);
            }
            c => out.push(c),
        }
    }
    out
}

/// A text search term reduced to tokens: a phrase (tokens in order, adjacent) or a set of
/// words (all present); with `prefix`, the last token matches any word it starts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct TextTerm {
    pub(crate) tokens: Vec<String>,
    pub(crate) phrase: bool,
    pub(crate) prefix: bool,
}

impl TextTerm {
    pub(crate) fn new(text: &str, phrase: bool, prefix: bool) -> TextTerm {
        TextTerm {
            tokens: tokens(text),
            phrase,
            prefix,
        }
    }

    /// Whether one word of a document matches one of the term's tokens.
    fn matches_word(&self, word: &str) -> bool {
        self.tokens.iter().enumerate().any(|(i, t)| {
            word == t || (self.prefix && i + 1 == self.tokens.len() && word.starts_with(t.as_str()))
        })
    }

    /// The FTS5 query expression for the term. Tokens hold only letters and digits, so quoting
    /// them in `"…"` is all the escaping FTS5 needs; the expression is then bound as a
    /// parameter, never spliced into SQL.
    pub(crate) fn fts5_expression(&self) -> String {
        let star = if self.prefix { "*" } else { "" };
        if self.phrase {
            format!("\"{}\"{star}", self.tokens.join(" "))
        } else {
            let last = self.tokens.len().saturating_sub(1);
            self.tokens
                .iter()
                .enumerate()
                .map(|(i, t)| {
                    if i == last {
                        format!("\"{t}\"{star}")
                    } else {
                        format!("\"{t}\"")
                    }
                })
                .collect::<Vec<_>>()
                .join(" AND ")
        }
    }

    /// The PostgreSQL `to_tsquery('simple', …)` text for the term (tokens hold no tsquery
    /// operators; bound as a parameter).
    pub(crate) fn tsquery_text(&self) -> String {
        let last = self.tokens.len().saturating_sub(1);
        let parts: Vec<String> = self
            .tokens
            .iter()
            .enumerate()
            .map(|(i, t)| {
                if self.prefix && i == last {
                    format!("{t}:*")
                } else {
                    t.clone()
                }
            })
            .collect();
        parts.join(if self.phrase { " <-> " } else { " & " })
    }
}

/// The first line of `content` containing a word some term matches, shortened to
/// [`SNIPPET_CHARS`] around the match.
pub(crate) fn snippet(content: &str, terms: &[TextTerm]) -> Option<String> {
    for line in content.lines() {
        let lowered = line.to_lowercase();
        // Char index of the first matching word in the lowercased line.
        let mut found = None;
        let mut start = None;
        for (i, (byte, c)) in lowered.char_indices().enumerate() {
            match (c.is_alphanumeric(), start) {
                (true, None) => start = Some((i, byte)),
                (false, Some((ci, b))) => {
                    if terms.iter().any(|t| t.matches_word(&lowered[b..byte])) {
                        found = Some(ci);
                        break;
                    }
                    start = None;
                }
                _ => {}
            }
        }
        if found.is_none()
            && let Some((ci, b)) = start
            && terms.iter().any(|t| t.matches_word(&lowered[b..]))
        {
            found = Some(ci);
        }
        let Some(at) = found else { continue };
        let chars: Vec<char> = line.chars().collect();
        if chars.len() <= SNIPPET_CHARS {
            return Some(line.to_owned());
        }
        let begin = at.saturating_sub(SNIPPET_CHARS / 3);
        let end = (begin + SNIPPET_CHARS).min(chars.len());
        let begin = end.saturating_sub(SNIPPET_CHARS);
        let mut out = String::new();
        if begin > 0 {
            out.push('…');
        }
        out.extend(&chars[begin..end]);
        if end < chars.len() {
            out.push('…');
        }
        return Some(out);
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokenises_like_both_indexes_expect() {
        assert_eq!(
            tokens("Hero_Rig-v2.final dept:anim"),
            vec!["hero", "rig", "v2", "final", "dept", "anim"]
        );
        assert_eq!(tokens("シーン/カット010"), vec!["シーン", "カット010"]);
        assert_eq!(
            tokens("'; DROP TABLE assets; --"),
            vec!["drop", "table", "assets"]
        );
        assert!(tokens(" -- ").is_empty());
        assert!(tokens(&"a".repeat(300)).is_empty());
        assert_eq!(tokens("ΣΊΣΥΦΟΣ ΣΊΣ"), vec!["σίσυφοσ", "σίσ"]);
    }

    #[test]
    fn documents() {
        let mut doc = DocText::new();
        doc.extend(["Hero", "", "a\nb", "24"]);
        assert_eq!(doc.content, "Hero\na b\n24");
        assert_eq!(doc.body, "hero a b 24");
        let mut texts = Vec::new();
        let meta: serde_json::Value =
            serde_json::json!({"b": [1, {"c": "x y"}], "a": true, "n": null});
        metadata_texts(meta.as_object().unwrap().values(), &mut texts);
        assert_eq!(texts, vec!["true", "1", "x y"]);
    }

    #[test]
    fn patterns() {
        assert_eq!(glob_pattern("sh*[1]?"), "sh*[[]1][?]");
        assert_eq!(like_pattern("a_b%*\\"), "a\\_b\\%%\\\\");
    }

    #[test]
    fn query_texts() {
        let t = TextTerm::new("Hero rig", false, true);
        assert_eq!(t.fts5_expression(), "\"hero\" AND \"rig\"*");
        assert_eq!(t.tsquery_text(), "hero & rig:*");
        let t = TextTerm::new("big red car", true, false);
        assert_eq!(t.fts5_expression(), "\"big red car\"");
        assert_eq!(t.tsquery_text(), "big <-> red <-> car");
    }

    #[test]
    fn snippets() {
        let terms = [TextTerm::new("expl", false, true)];
        assert_eq!(
            snippet("hero\nBig Explosion, take 2\nexplosion", &terms).as_deref(),
            Some("Big Explosion, take 2")
        );
        assert_eq!(snippet("hero", &terms), None);
        let long = format!("{} target {}", "x ".repeat(100), "y ".repeat(100));
        let s = snippet(&long, &[TextTerm::new("target", false, false)]).unwrap();
        assert!(
            s.contains("target") && s.starts_with('…') && s.ends_with('…'),
            "{s}"
        );
    }
}
