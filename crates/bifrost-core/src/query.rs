//! The search query language behind `bifrost search`.
//!
//! Users type a short query such as
//!
//! ```text
//! type:prop tag:hero status:approved meta.poly<10000 "red barrel"
//! ```
//!
//! and [`parse`] turns it into a [`Query`]: a typed syntax tree with no SQL in it. The catalog
//! compiles that tree into SQLite FTS5 or PostgreSQL full-text SQL; the CLI shows
//! [`GRAMMAR_HELP`] in `bifrost search --help` and prints [`QueryError`]s with a caret under the
//! offending token. `Display` on a [`Query`] prints its canonical form, which parses back to an
//! equal query.
//!
//! # Grammar
//!
//! ```text
//! query   = { ws } [ clause { ws clause } ] { ws }    all clauses must match (AND)
//! clause  = term { ws "OR" ws term }                   any term may match (OR)
//! term    = [ "-" ] ( filter | phrase | word )         "-" negates the term
//! filter  = field op value
//! op      = ":" | "!=" | "<" | "<=" | ">" | ">="       ":" is equality
//! value   = phrase | bare
//! phrase  = '"' { char | '\"' | '\\' } '"'
//! word    = bare [ "*" ]                               trailing "*": prefix search
//! field   = "type" | "tag" | "status" | "name" | "kind" | "author" | "project" | "seq"
//!         | "dept" | "assignee" | "created" | "version" | "meta" "." key { "." key }
//! key     = 1*( letter | digit | "_" | "-" )
//! ```
//!
//! * Terms are separated by whitespace and must all match; an empty query matches everything.
//! * A *word* (`barrel`) or a double-quoted *phrase* (`"red barrel"`) is full-text search over
//!   names, tags, metadata values, version notes and comments. A word ending in `*` (`barr*`)
//!   is a prefix search. Inside quotes `\"` and `\\` are the only escapes. A word cannot contain
//!   `"`, `(`, `)`, `:`, `<`, `>` or `=`, cannot start with `-` and may contain `*` only at the
//!   end; quote anything else. [`TermKind::Text`] holds the user's raw text: the catalog must
//!   quote it for FTS5 / `websearch_to_tsquery` itself.
//! * `OR` (upper case, standing alone) joins the terms on either side. It binds tighter than the
//!   implicit AND, so `a b OR c d` means `a AND (b OR c) AND d`. Parentheses are rejected with a
//!   hint, and so are the words `AND` and `NOT` (the former is implied, the latter is spelled
//!   `-`); quote any of them to search for the word itself.
//! * A leading `-` negates any term: `-tag:wip`, `-"old rig"`, `-name:tmp_*`.
//! * Field names are case-insensitive (`Type:prop`); metadata keys are kept as typed, since JSON
//!   keys are case-sensitive. An unknown field is an error that lists the known ones.
//! * Every field supports `:` (equality) and `!=`. Only `created`, `version` and `meta.KEY`
//!   support `<`, `<=`, `>` and `>=`.
//! * Values are typed by field:
//!   - `created`: a date, `YYYY-MM-DD`, always ([`Value::Date`]);
//!   - `version`: a number, optionally written `v3` ([`Value::Number`]);
//!   - `kind`: one of `asset`, `shot`, `sequence`, `version`, case-insensitive, stored lower case;
//!   - `name`: a bare value containing `*` is a wildcard [`Value::Pattern`] (`name:hero_*`);
//!     `*` is the only wildcard, so `_` and `%` are literal and the catalog must escape them
//!     when it builds a `LIKE`;
//!   - `meta.KEY` with `<`, `<=`, `>`, `>=`: a number (`f64`);
//!   - `meta.KEY` with `:` or `!=`: a bare value is a number if it parses as one, else a boolean
//!     if it is `true` or `false` (any case), else text. A quoted value is always text, so
//!     `meta.code:"42"` matches the JSON string `"42"` and not the number `42`;
//!   - every other field: text ([`Value::Text`]).
//! * A bare value ends at whitespace; it may contain `:` (`tag:dept:anim`) but must not start with
//!   `:`, `<`, `>`, `=` or `!`, and only `name:` accepts `*` in it. Quote a value to include
//!   spaces or those characters: quoting makes it literal text (except for `created`, `version`
//!   and `kind`, which are typed whatever the quoting). Empty values are errors.
//!
//! Errors carry the byte offset and length of the offending token; their `Display` prints the
//! input with a caret line under that token (positioned in characters, so it lines up for
//! non-ASCII input too).

use std::fmt;
use std::str::FromStr;

use chrono::{Datelike, NaiveDate};
use serde::Serialize;

/// User-facing summary of the query language, for `bifrost search --help`.
pub const GRAMMAR_HELP: &str = r#"Search terms are separated by spaces; every term must match. No terms matches everything.

  barrel              full text: names, tags, metadata values, version notes, comments
  barr*               words starting with "barr"
  "red barrel"        exact phrase (write \" and \\ for a quote or backslash inside)
  FIELD:VALUE         field equals value; quote values with spaces: name:"hero rig"
  FIELD!=VALUE        field differs from value
  FIELD<V FIELD<=V FIELD>V FIELD>=V
                      comparisons, for version, created and meta.KEY only
  -TERM               negates any term: -tag:wip -"old rig"
  A OR B              either term matches; OR binds tighter than the spaces between terms,
                      so `a b OR c` means a AND (b OR c). Parentheses are not supported.

Fields (names are case-insensitive):
  type tag status author project seq dept assignee    text
  name                text; * is a wildcard: name:hero_*
  kind                asset, shot, sequence or version
  created             date YYYY-MM-DD: created>=2024-01-31
  version             number: version>3
  meta.KEY[.SUBKEY]   JSON metadata: numbers compare as numbers, true/false as booleans,
                      anything else (or anything quoted: meta.code:"42") as text

Examples:
  bifrost search 'type:prop tag:hero status:approved meta.poly<10000 "red barrel"'
  bifrost search 'status:ip OR status:review -tag:wip created>=2024-01-01'
  bifrost search 'kind:shot seq:sq010 dept:anim assignee:alice'
  bifrost search 'name:hero_* version>=3 meta.rig.approved:true'"#;

/// Names of the known fields, as listed in error messages (`meta.KEY` stands for any key path).
pub const FIELD_NAMES: &[&str] = &[
    "type", "tag", "status", "name", "kind", "author", "project", "seq", "dept", "assignee",
    "created", "version", "meta.KEY",
];

/// Values accepted by `kind:`.
pub const KIND_VALUES: &[&str] = &["asset", "shot", "sequence", "version"];

/// A parsed query: every clause must match (AND). No clauses matches everything.
#[derive(Debug, Clone, PartialEq, Default, Serialize)]
pub struct Query {
    /// Clauses, in the order typed.
    pub clauses: Vec<Clause>,
}

/// Terms joined by `OR`: at least one must match. Holds a single term when no `OR` was used.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Clause {
    /// Alternatives, in the order typed; never empty when produced by [`parse`].
    pub alternatives: Vec<Term>,
}

/// One search term, possibly negated with a leading `-`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Term {
    /// Whether the term was written with a leading `-` (matches what the term does not).
    pub negated: bool,
    /// What the term tests.
    pub kind: TermKind,
}

/// What a term tests.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum TermKind {
    /// Full-text search over names, tags, metadata values, version notes and comments.
    Text {
        /// The raw text, unescaped; may contain any character when `phrase` is set.
        text: String,
        /// Written in double quotes: match the words as a phrase.
        phrase: bool,
        /// Written as `word*`: match words starting with `text`.
        prefix: bool,
    },
    /// A comparison of one field with a typed value.
    Filter {
        /// The field compared.
        field: Field,
        /// The comparison.
        op: CmpOp,
        /// The typed value (see the module docs for which field gets which type).
        value: Value,
    },
}

/// A field a filter can test.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Field {
    /// Asset type (`prop`, `character`…).
    Type,
    /// A tag of the asset.
    Tag,
    /// Review status (`ip`, `review`, `approved`…).
    Status,
    /// Name; supports `*` wildcards through [`Value::Pattern`].
    Name,
    /// What the record is: `asset`, `shot`, `sequence` or `version`.
    Kind,
    /// Who created or published it.
    Author,
    /// Project name.
    Project,
    /// Sequence name.
    Seq,
    /// Department of a task.
    Dept,
    /// Who a task is assigned to.
    Assignee,
    /// Creation date; compared as a [`Value::Date`].
    Created,
    /// Version number; compared as a [`Value::Number`].
    Version,
    /// A path into the JSON metadata: `meta.rig.approved` is `["rig", "approved"]`.
    Meta(Vec<String>),
}

/// A comparison operator.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum CmpOp {
    /// `:`
    Eq,
    /// `!=`
    Ne,
    /// `<`
    Lt,
    /// `<=`
    Le,
    /// `>`
    Gt,
    /// `>=`
    Ge,
}

/// A typed filter value.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Value {
    /// Literal text.
    Text(String),
    /// A finite number (`version`, numeric `meta.*` values).
    Number(f64),
    /// `true` or `false` (`meta.*` equality only).
    Bool(bool),
    /// A calendar date (`created`).
    Date(NaiveDate),
    /// A `name:` pattern where `*` matches any run of characters; every other character is
    /// literal.
    Pattern(String),
}

/// A query that does not parse, with where and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QueryError {
    /// What is wrong, phrased as advice.
    pub message: String,
    /// Byte offset of the offending token in `input`.
    pub offset: usize,
    /// Byte length of the offending token (0 or more; the caret line shows at least one `^`).
    pub len: usize,
    /// The whole query as typed.
    pub input: String,
}

impl Query {
    /// Whether the query has no clauses and so matches everything.
    pub fn is_match_all(&self) -> bool {
        self.clauses.is_empty()
    }
}

impl Field {
    /// Looks up a field by name, case-insensitively, including `meta.KEY.SUBKEY` paths.
    /// Returns `None` for unknown names and malformed metadata paths.
    pub fn from_name(name: &str) -> Option<Field> {
        Field::simple(name).or_else(|| meta_path(name).ok())
    }

    fn simple(name: &str) -> Option<Field> {
        Some(match name.to_ascii_lowercase().as_str() {
            "type" => Field::Type,
            "tag" => Field::Tag,
            "status" => Field::Status,
            "name" => Field::Name,
            "kind" => Field::Kind,
            "author" => Field::Author,
            "project" => Field::Project,
            "seq" => Field::Seq,
            "dept" => Field::Dept,
            "assignee" => Field::Assignee,
            "created" => Field::Created,
            "version" => Field::Version,
            _ => return None,
        })
    }

    /// Whether `<`, `<=`, `>` and `>=` apply to the field (`created`, `version`, `meta.*`).
    pub fn is_ordered(&self) -> bool {
        matches!(self, Field::Created | Field::Version | Field::Meta(_))
    }

    /// Whether `op` may be used with the field.
    pub fn supports(&self, op: CmpOp) -> bool {
        !op.is_ordering() || self.is_ordered()
    }
}

impl CmpOp {
    /// Whether this is `<`, `<=`, `>` or `>=`.
    pub fn is_ordering(self) -> bool {
        matches!(self, CmpOp::Lt | CmpOp::Le | CmpOp::Gt | CmpOp::Ge)
    }

    /// The operator as written in a query (`:` for equality).
    pub fn symbol(self) -> &'static str {
        match self {
            CmpOp::Eq => ":",
            CmpOp::Ne => "!=",
            CmpOp::Lt => "<",
            CmpOp::Le => "<=",
            CmpOp::Gt => ">",
            CmpOp::Ge => ">=",
        }
    }
}

/// Parses a search query; see the module docs for the grammar.
pub fn parse(input: &str) -> Result<Query, QueryError> {
    let mut p = Parser { input, pos: 0 };
    let mut clauses: Vec<Clause> = Vec::new();
    // Offset of an `OR` still waiting for the term after it.
    let mut pending_or: Option<usize> = None;
    loop {
        p.skip_ws();
        if p.peek().is_none() {
            break;
        }
        let start = p.pos;
        match p.keyword() {
            Some("OR") => {
                if pending_or.is_some() {
                    return Err(p.error(
                        start,
                        2,
                        "`OR` must be followed by a term, not by another `OR`",
                    ));
                }
                if clauses.is_empty() {
                    return Err(p.error(
                        start,
                        2,
                        "`OR` needs a term before it, as in `status:ip OR status:review`; \
                         quote it (\"OR\") to search for the word",
                    ));
                }
                p.pos += 2;
                pending_or = Some(start);
                continue;
            }
            Some(kw @ "AND") => {
                return Err(p.error(
                    start,
                    kw.len(),
                    "`AND` is not needed: terms separated by spaces must all match; remove it, \
                     or quote it (\"AND\") to search for the word",
                ));
            }
            Some(kw @ "NOT") => {
                return Err(p.error(
                    start,
                    kw.len(),
                    "`NOT` is not supported: put `-` before a term to negate it (`-tag:wip`), \
                     or quote it (\"NOT\") to search for the word",
                ));
            }
            _ => {}
        }
        let term = p.term()?;
        match (pending_or.take(), clauses.last_mut()) {
            (Some(_), Some(last)) => last.alternatives.push(term),
            _ => clauses.push(Clause {
                alternatives: vec![term],
            }),
        }
    }
    if let Some(at) = pending_or {
        return Err(p.error(
            at,
            2,
            "`OR` needs a term after it, as in `status:ip OR status:review`",
        ));
    }
    Ok(Query { clauses })
}

impl FromStr for Query {
    type Err = QueryError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        parse(s)
    }
}

const PAREN_HINT: &str = "parentheses are not supported: terms separated by spaces must all \
                          match and `OR` joins two terms (`status:ip OR status:review`); quote \
                          text that contains `(` or `)`";

struct Parser<'a> {
    input: &'a str,
    pos: usize,
}

impl Parser<'_> {
    fn rest(&self) -> &str {
        &self.input[self.pos..]
    }

    fn peek(&self) -> Option<char> {
        self.rest().chars().next()
    }

    fn at_term_end(&self) -> bool {
        self.peek().is_none_or(char::is_whitespace)
    }

    fn skip_ws(&mut self) {
        while let Some(c) = self.peek().filter(|c| c.is_whitespace()) {
            self.pos += c.len_utf8();
        }
    }

    fn error(&self, offset: usize, len: usize, message: impl Into<String>) -> QueryError {
        QueryError {
            message: message.into(),
            offset,
            len,
            input: self.input.to_owned(),
        }
    }

    /// The reserved word (`OR`, `AND`, `NOT`) standing alone at the cursor, if any.
    fn keyword(&self) -> Option<&'static str> {
        let rest = self.rest();
        ["OR", "AND", "NOT"].into_iter().find(|kw| {
            rest.strip_prefix(kw)
                .is_some_and(|after| after.chars().next().is_none_or(char::is_whitespace))
        })
    }

    fn term(&mut self) -> Result<Term, QueryError> {
        let start = self.pos;
        let negated = self.peek() == Some('-');
        if negated {
            self.pos += 1;
            if self.at_term_end() {
                return Err(self.error(
                    start,
                    1,
                    "`-` must be directly followed by the term it negates, as in `-tag:wip`",
                ));
            }
            if self.peek() == Some('-') {
                return Err(self.error(
                    start,
                    2,
                    "a term can be negated only once: use a single `-`; quote text that starts \
                     with `-`",
                ));
            }
            if let Some(kw) = self.keyword() {
                return Err(self.error(
                    self.pos,
                    kw.len(),
                    format!("`{kw}` cannot be negated; quote it (\"{kw}\") to search for the word"),
                ));
            }
        }
        let kind = self.term_kind()?;
        Ok(Term { negated, kind })
    }

    fn term_kind(&mut self) -> Result<TermKind, QueryError> {
        let start = self.pos;
        if self.peek() == Some('"') {
            let text = self.quoted()?;
            self.expect_term_end()?;
            if text.trim().is_empty() {
                return Err(self.error(
                    start,
                    self.pos - start,
                    "empty quoted text: put the words to search for between the quotes",
                ));
            }
            return Ok(TermKind::Text {
                text,
                phrase: true,
                prefix: false,
            });
        }
        while let Some(c) = self.peek() {
            match c {
                c if c.is_whitespace() => break,
                ':' | '<' | '>' | '=' => return self.filter(start),
                '!' if self.rest().starts_with("!=") => return self.filter(start),
                '"' => {
                    return Err(self.error(
                        self.pos,
                        1,
                        "unexpected `\"` inside a word: quote the whole phrase, as in \
                         \"red barrel\"",
                    ));
                }
                '(' | ')' => return Err(self.error(self.pos, 1, PAREN_HINT)),
                c => self.pos += c.len_utf8(),
            }
        }
        let word = &self.input[start..self.pos];
        let (text, prefix) = match word.strip_suffix('*') {
            Some(body) => (body, true),
            None => (word, false),
        };
        if let Some(i) = text.find('*') {
            return Err(self.error(
                start + i,
                1,
                "`*` is only allowed at the end of a word (prefix search: `barr*`) or in `name:` \
                 patterns; quote the text to search for a literal `*`",
            ));
        }
        if text.is_empty() {
            return Err(self.error(
                start,
                word.len(),
                "`*` needs the start of a word before it, as in `barr*`",
            ));
        }
        Ok(TermKind::Text {
            text: text.to_owned(),
            phrase: false,
            prefix,
        })
    }

    /// Parses `FIELD op VALUE`; the cursor is on the operator, `start` on the field name.
    fn filter(&mut self, start: usize) -> Result<TermKind, QueryError> {
        let name = &self.input[start..self.pos];
        let op_start = self.pos;
        if name.is_empty() {
            let c = self.peek().unwrap_or(':');
            return Err(self.error(
                op_start,
                c.len_utf8(),
                format!(
                    "missing field name before `{c}`: write FIELD{c}VALUE, as in `tag:hero`; \
                     quote text that starts with `{c}`"
                ),
            ));
        }
        let field = self.field(start, name)?;
        let rest = self.rest();
        let (op, op_len) = if rest.starts_with("<=") {
            (CmpOp::Le, 2)
        } else if rest.starts_with(">=") {
            (CmpOp::Ge, 2)
        } else if rest.starts_with("!=") {
            (CmpOp::Ne, 2)
        } else if rest.starts_with('<') {
            (CmpOp::Lt, 1)
        } else if rest.starts_with('>') {
            (CmpOp::Gt, 1)
        } else if rest.starts_with(':') {
            (CmpOp::Eq, 1)
        } else {
            let len = if rest.starts_with("==") { 2 } else { 1 };
            return Err(self.error(
                op_start,
                len,
                format!(
                    "`=` is not an operator: write `{name}:VALUE` for equality or \
                     `{name}!=VALUE` for inequality"
                ),
            ));
        };
        if !field.supports(op) {
            return Err(self.error(
                op_start,
                op_len,
                format!(
                    "`{field}` cannot be compared with `{}`: it supports only `:` and `!=`; \
                     `<`, `<=`, `>` and `>=` work on version, created and meta.KEY",
                    op.symbol()
                ),
            ));
        }
        self.pos += op_len;
        let value_start = self.pos;
        let (raw, quoted) = match self.peek() {
            None => return Err(self.missing_value(start, &field, op)),
            Some(c) if c.is_whitespace() => return Err(self.missing_value(start, &field, op)),
            Some('"') => {
                let text = self.quoted()?;
                self.expect_term_end()?;
                (text, true)
            }
            Some(c @ (':' | '<' | '>' | '=' | '!')) => {
                return Err(self.error(
                    value_start,
                    1,
                    format!(
                        "a value cannot start with `{c}`: comparisons are written without `:` \
                         (`meta.poly<10000`), negation with a leading `-` (`-tag:wip`); quote a \
                         value that really starts with `{c}`"
                    ),
                ));
            }
            Some(_) => {
                while let Some(c) = self.peek() {
                    match c {
                        c if c.is_whitespace() => break,
                        '"' => {
                            return Err(self.error(
                                self.pos,
                                1,
                                "unexpected `\"` inside a value: quote the whole value, as in \
                                 name:\"hero rig\"",
                            ));
                        }
                        '(' | ')' => return Err(self.error(self.pos, 1, PAREN_HINT)),
                        c => self.pos += c.len_utf8(),
                    }
                }
                (self.input[value_start..self.pos].to_owned(), false)
            }
        };
        let value_len = self.pos - value_start;
        if raw.trim().is_empty() {
            return Err(self.error(
                value_start,
                value_len,
                format!("empty value for `{field}`: put the value between the quotes"),
            ));
        }
        if !quoted
            && field != Field::Name
            && let Some(i) = raw.find('*')
        {
            return Err(self.error(
                value_start + i,
                1,
                "`*` wildcards only work with `name:` (name:hero_*); quote the value to \
                 match a literal `*`",
            ));
        }
        let value = match &field {
            Field::Created => match parse_date(&raw) {
                Some(d) => Value::Date(d),
                None => {
                    return Err(self.error(
                        value_start,
                        value_len,
                        format!(
                            "`{}` is not a date: write YYYY-MM-DD, as in created>=2024-01-31",
                            printable(&raw)
                        ),
                    ));
                }
            },
            Field::Version => {
                let digits = raw.strip_prefix(['v', 'V']).unwrap_or(&raw);
                match parse_number(digits) {
                    Some(n) => Value::Number(n),
                    None => {
                        return Err(self.error(
                            value_start,
                            value_len,
                            format!(
                                "`{}` is not a version number: write version:3 or version>=2",
                                printable(&raw)
                            ),
                        ));
                    }
                }
            }
            Field::Meta(_) if op.is_ordering() => match parse_number(&raw) {
                Some(n) => Value::Number(n),
                None => {
                    return Err(self.error(
                        value_start,
                        value_len,
                        format!(
                            "`{field}{}` compares numbers, but `{}` is not a number",
                            op.symbol(),
                            printable(&raw)
                        ),
                    ));
                }
            },
            Field::Meta(_) if !quoted => {
                if let Some(n) = parse_number(&raw) {
                    Value::Number(n)
                } else if raw.eq_ignore_ascii_case("true") {
                    Value::Bool(true)
                } else if raw.eq_ignore_ascii_case("false") {
                    Value::Bool(false)
                } else {
                    Value::Text(raw)
                }
            }
            Field::Name if !quoted && raw.contains('*') => Value::Pattern(raw),
            Field::Kind => {
                let lower = raw.to_lowercase();
                if !KIND_VALUES.contains(&lower.as_str()) {
                    return Err(self.error(
                        value_start,
                        value_len,
                        format!(
                            "unknown kind `{}`: use one of {}",
                            printable(&raw),
                            KIND_VALUES.join(", ")
                        ),
                    ));
                }
                Value::Text(lower)
            }
            _ => Value::Text(raw),
        };
        Ok(TermKind::Filter { field, op, value })
    }

    fn missing_value(&self, start: usize, field: &Field, op: CmpOp) -> QueryError {
        let example = match field {
            Field::Created => "2024-01-31",
            Field::Version => "3",
            Field::Kind => "asset",
            Field::Meta(_) => "10000",
            Field::Name => "hero_*",
            _ => "hero",
        };
        self.error(
            start,
            self.pos - start,
            format!(
                "missing value after `{field}{}`: write it with no space, as in `{field}{}{example}`",
                op.symbol(),
                op.symbol()
            ),
        )
    }

    fn field(&self, start: usize, name: &str) -> Result<Field, QueryError> {
        if let Some(field) = Field::simple(name) {
            return Ok(field);
        }
        match meta_path(name) {
            Ok(field) => Ok(field),
            Err(MetaPathError::Malformed) => Err(self.error(
                start,
                name.len(),
                format!(
                    "bad metadata key in `{}`: write meta.KEY or meta.KEY.SUBKEY, with keys made \
                     of letters, digits, `_` and `-`",
                    printable(name)
                ),
            )),
            Err(MetaPathError::NotMeta) if name.eq_ignore_ascii_case("meta") => Err(self.error(
                start,
                name.len(),
                "`meta` needs a key: write meta.KEY, as in meta.poly<10000",
            )),
            Err(MetaPathError::NotMeta) => Err(self.error(
                start,
                name.len(),
                format!(
                    "unknown field `{}` (known: {}); quote the term to search for it as text",
                    printable(name),
                    FIELD_NAMES.join(", ")
                ),
            )),
        }
    }

    /// Reads a double-quoted string at the cursor, handling `\"` and `\\`.
    fn quoted(&mut self) -> Result<String, QueryError> {
        let open = self.pos;
        self.pos += 1;
        let mut out = String::new();
        loop {
            let Some(c) = self.peek() else {
                return Err(self.error(open, 1, "unterminated quote: add the closing `\"`"));
            };
            self.pos += c.len_utf8();
            match c {
                '"' => return Ok(out),
                '\\' => {
                    let Some(e) = self.peek() else {
                        return Err(self.error(
                            open,
                            1,
                            "unterminated quote: add the closing `\"`",
                        ));
                    };
                    if e != '"' && e != '\\' {
                        return Err(self.error(
                            self.pos - 1,
                            1 + e.len_utf8(),
                            format!(
                                "unknown escape `\\{}`: inside quotes only `\\\"` and `\\\\` are \
                                 escapes; write `\\\\` for a backslash",
                                printable(&e.to_string())
                            ),
                        ));
                    }
                    self.pos += e.len_utf8();
                    out.push(e);
                }
                c => out.push(c),
            }
        }
    }

    fn expect_term_end(&self) -> Result<(), QueryError> {
        match self.peek() {
            Some(c) if !c.is_whitespace() => Err(self.error(
                self.pos,
                c.len_utf8(),
                format!(
                    "unexpected `{}` after the closing quote: separate terms with spaces",
                    printable(&c.to_string())
                ),
            )),
            _ => Ok(()),
        }
    }
}

enum MetaPathError {
    /// The name does not start with `meta.`.
    NotMeta,
    /// It does, but the key path is empty or has bad characters.
    Malformed,
}

fn meta_path(name: &str) -> Result<Field, MetaPathError> {
    let keys = match name.get(..5) {
        Some(head) if head.eq_ignore_ascii_case("meta.") => &name[5..],
        _ => return Err(MetaPathError::NotMeta),
    };
    let keys: Vec<&str> = keys.split('.').collect();
    if keys.iter().any(|k| !is_meta_key(k)) {
        return Err(MetaPathError::Malformed);
    }
    Ok(Field::Meta(keys.into_iter().map(str::to_owned).collect()))
}

fn is_meta_key(key: &str) -> bool {
    !key.is_empty()
        && key
            .chars()
            .all(|c| c.is_alphanumeric() || c == '_' || c == '-')
}

/// A finite `f64`, or `None` (NaN and infinities are not numbers here).
fn parse_number(s: &str) -> Option<f64> {
    s.parse::<f64>().ok().filter(|n| n.is_finite())
}

/// Strict `YYYY-MM-DD`.
fn parse_date(s: &str) -> Option<NaiveDate> {
    let b = s.as_bytes();
    let shape_ok = b.len() == 10
        && b.iter().enumerate().all(|(i, c)| match i {
            4 | 7 => *c == b'-',
            _ => c.is_ascii_digit(),
        });
    if !shape_ok {
        return None;
    }
    let year = s[0..4].parse().ok()?;
    let month = s[5..7].parse().ok()?;
    let day = s[8..10].parse().ok()?;
    NaiveDate::from_ymd_opt(year, month, day)
}

/// `s` with control characters escaped, for quoting user input inside messages.
fn printable(s: &str) -> String {
    s.chars()
        .map(|c| {
            if c.is_control() {
                c.escape_default().to_string()
            } else {
                c.to_string()
            }
        })
        .collect()
}

/// Whether `text` parses back as the same bare word (not a keyword, nothing special in it).
fn is_bare_word(text: &str) -> bool {
    !text.is_empty()
        && !text.starts_with('-')
        && !matches!(text, "OR" | "AND" | "NOT")
        && !text.chars().any(|c| {
            c.is_whitespace() || matches!(c, '"' | '(' | ')' | '*' | ':' | '<' | '>' | '=')
        })
}

/// Whether a bare value would be read as a number or a boolean in a `meta.*` filter.
fn looks_typed(text: &str) -> bool {
    text.parse::<f64>().is_ok()
        || text.eq_ignore_ascii_case("true")
        || text.eq_ignore_ascii_case("false")
}

/// Whether a text value must be quoted to parse back as the same text.
fn text_needs_quotes(text: &str, typed_field: bool) -> bool {
    text.is_empty()
        || text.starts_with([':', '<', '>', '=', '!'])
        || text
            .chars()
            .any(|c| c.is_whitespace() || matches!(c, '"' | '\\' | '(' | ')' | '*'))
        || (typed_field && looks_typed(text))
}

fn write_quoted(f: &mut fmt::Formatter<'_>, text: &str) -> fmt::Result {
    f.write_str("\"")?;
    for c in text.chars() {
        if c == '"' || c == '\\' {
            f.write_str("\\")?;
        }
        write!(f, "{c}")?;
    }
    f.write_str("\"")
}

fn write_value(f: &mut fmt::Formatter<'_>, value: &Value, typed_field: bool) -> fmt::Result {
    match value {
        Value::Text(t) if text_needs_quotes(t, typed_field) => write_quoted(f, t),
        Value::Text(t) | Value::Pattern(t) => f.write_str(t),
        Value::Number(n) => write!(f, "{n}"),
        Value::Bool(b) => write!(f, "{b}"),
        Value::Date(d) => write!(f, "{:04}-{:02}-{:02}", d.year(), d.month(), d.day()),
    }
}

/// The canonical form: clauses separated by single spaces, ` OR ` between alternatives,
/// lower-case field names, values quoted only where needed. It parses back to an equal query.
impl fmt::Display for Query {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, clause) in self.clauses.iter().enumerate() {
            if i > 0 {
                f.write_str(" ")?;
            }
            write!(f, "{clause}")?;
        }
        Ok(())
    }
}

impl fmt::Display for Clause {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, term) in self.alternatives.iter().enumerate() {
            if i > 0 {
                f.write_str(" OR ")?;
            }
            write!(f, "{term}")?;
        }
        Ok(())
    }
}

impl fmt::Display for Term {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.negated {
            f.write_str("-")?;
        }
        write!(f, "{}", self.kind)
    }
}

/// Words print bare (with `*` for prefixes); phrases, and any text that would not survive
/// as a bare word, print quoted.
impl fmt::Display for TermKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TermKind::Text {
                text,
                phrase: false,
                prefix,
            } if is_bare_word(text) => {
                f.write_str(text)?;
                if *prefix {
                    f.write_str("*")?;
                }
                Ok(())
            }
            TermKind::Text { text, .. } => write_quoted(f, text),
            TermKind::Filter { field, op, value } => {
                write!(f, "{field}{op}")?;
                write_value(f, value, matches!(field, Field::Meta(_)))
            }
        }
    }
}

impl fmt::Display for Field {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Field::Type => "type",
            Field::Tag => "tag",
            Field::Status => "status",
            Field::Name => "name",
            Field::Kind => "kind",
            Field::Author => "author",
            Field::Project => "project",
            Field::Seq => "seq",
            Field::Dept => "dept",
            Field::Assignee => "assignee",
            Field::Created => "created",
            Field::Version => "version",
            Field::Meta(keys) => return write!(f, "meta.{}", keys.join(".")),
        })
    }
}

impl fmt::Display for CmpOp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.symbol())
    }
}

/// The value as written in a query; text that looks like a number or boolean is quoted.
impl fmt::Display for Value {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write_value(f, self, true)
    }
}

/// Three lines: the message, the input, and carets under the offending token.
impl fmt::Display for QueryError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "invalid search query: {}", self.message)?;
        // One output character per input character, so the caret column is a char count.
        let line: String = self
            .input
            .chars()
            .map(|c| if c.is_control() { ' ' } else { c })
            .collect();
        let column = match self.input.get(..self.offset) {
            Some(before) => before.chars().count(),
            None => line.chars().count(),
        };
        let width = self
            .input
            .get(self.offset..self.offset.saturating_add(self.len))
            .map_or(1, |token| token.chars().count())
            .max(1);
        writeln!(f, "  {line}")?;
        write!(f, "  {}{}", " ".repeat(column), "^".repeat(width))
    }
}

impl std::error::Error for QueryError {}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn term(negated: bool, kind: TermKind) -> Term {
        Term { negated, kind }
    }

    fn word(text: &str) -> Term {
        term(
            false,
            TermKind::Text {
                text: text.into(),
                phrase: false,
                prefix: false,
            },
        )
    }

    fn prefix(text: &str) -> Term {
        term(
            false,
            TermKind::Text {
                text: text.into(),
                phrase: false,
                prefix: true,
            },
        )
    }

    fn phrase(text: &str) -> Term {
        term(
            false,
            TermKind::Text {
                text: text.into(),
                phrase: true,
                prefix: false,
            },
        )
    }

    fn filter(field: Field, op: CmpOp, value: Value) -> Term {
        term(false, TermKind::Filter { field, op, value })
    }

    fn eq(field: Field, text: &str) -> Term {
        filter(field, CmpOp::Eq, Value::Text(text.into()))
    }

    fn not(mut t: Term) -> Term {
        t.negated = true;
        t
    }

    fn meta(keys: &[&str]) -> Field {
        Field::Meta(keys.iter().map(|k| k.to_string()).collect())
    }

    fn num(n: f64) -> Value {
        Value::Number(n)
    }

    fn text(t: &str) -> Value {
        Value::Text(t.into())
    }

    fn date(y: i32, m: u32, d: u32) -> Value {
        Value::Date(NaiveDate::from_ymd_opt(y, m, d).unwrap())
    }

    /// A query of single-term clauses.
    fn and(terms: Vec<Term>) -> Query {
        Query {
            clauses: terms
                .into_iter()
                .map(|t| Clause {
                    alternatives: vec![t],
                })
                .collect(),
        }
    }

    fn clauses(cs: Vec<Vec<Term>>) -> Query {
        Query {
            clauses: cs
                .into_iter()
                .map(|alternatives| Clause { alternatives })
                .collect(),
        }
    }

    #[test]
    fn valid_queries_parse_to_the_expected_ast() {
        use CmpOp::*;
        use Field::*;
        let cases: Vec<(&str, Query)> = vec![
            ("", and(vec![])),
            ("   \t\n ", and(vec![])),
            ("barrel", and(vec![word("barrel")])),
            ("  barrel  ", and(vec![word("barrel")])),
            ("barr*", and(vec![prefix("barr")])),
            ("\"red barrel\"", and(vec![phrase("red barrel")])),
            ("\"barrel\"", and(vec![phrase("barrel")])),
            (
                r#""say \"hi\" \\ bye""#,
                and(vec![phrase(r#"say "hi" \ bye"#)]),
            ),
            ("\"a(b) OR c:d\"", and(vec![phrase("a(b) OR c:d")])),
            ("\"OR\"", and(vec![phrase("OR")])),
            (
                "or and not",
                and(vec![word("or"), word("and"), word("not")]),
            ),
            ("ORx ANDy", and(vec![word("ORx"), word("ANDy")])),
            (
                "wow! a-b c.d",
                and(vec![word("wow!"), word("a-b"), word("c.d")]),
            ),
            ("café 日本", and(vec![word("café"), word("日本")])),
            (
                "type:prop tag:hero status:approved meta.poly<10000 \"red barrel\"",
                and(vec![
                    eq(Type, "prop"),
                    eq(Tag, "hero"),
                    eq(Status, "approved"),
                    filter(meta(&["poly"]), Lt, num(10000.0)),
                    phrase("red barrel"),
                ]),
            ),
            (
                "TYPE:prop Tag:Hero",
                and(vec![eq(Type, "prop"), eq(Tag, "Hero")]),
            ),
            ("tag:dept:anim", and(vec![eq(Tag, "dept:anim")])),
            ("type!=prop", and(vec![filter(Type, Ne, text("prop"))])),
            ("name:\"hero rig\"", and(vec![eq(Name, "hero rig")])),
            ("name:hero", and(vec![eq(Name, "hero")])),
            (
                "name:hero_*",
                and(vec![filter(Name, Eq, Value::Pattern("hero_*".into()))]),
            ),
            (
                "name!=*_tmp",
                and(vec![filter(Name, Ne, Value::Pattern("*_tmp".into()))]),
            ),
            ("name:\"hero*\"", and(vec![eq(Name, "hero*")])),
            ("kind:Shot", and(vec![eq(Kind, "shot")])),
            ("kind:\"SEQUENCE\"", and(vec![eq(Kind, "sequence")])),
            (
                "author:alice project:ragnarok seq:sq010 dept:anim assignee:bob",
                and(vec![
                    eq(Author, "alice"),
                    eq(Project, "ragnarok"),
                    eq(Seq, "sq010"),
                    eq(Dept, "anim"),
                    eq(Assignee, "bob"),
                ]),
            ),
            (
                "created:2024-02-29",
                and(vec![filter(Created, Eq, date(2024, 2, 29))]),
            ),
            (
                "created>=2024-01-01 created<2025-01-01",
                and(vec![
                    filter(Created, Ge, date(2024, 1, 1)),
                    filter(Created, Lt, date(2025, 1, 1)),
                ]),
            ),
            (
                "created:\"2024-01-01\"",
                and(vec![filter(Created, Eq, date(2024, 1, 1))]),
            ),
            ("version:3", and(vec![filter(Version, Eq, num(3.0))])),
            ("version:v3", and(vec![filter(Version, Eq, num(3.0))])),
            ("version>2", and(vec![filter(Version, Gt, num(2.0))])),
            ("version<=10", and(vec![filter(Version, Le, num(10.0))])),
            ("version!=1", and(vec![filter(Version, Ne, num(1.0))])),
            (
                "meta.poly>=1e3",
                and(vec![filter(meta(&["poly"]), Ge, num(1000.0))]),
            ),
            (
                "meta.offset>-2.5",
                and(vec![filter(meta(&["offset"]), Gt, num(-2.5))]),
            ),
            (
                "meta.poly<\"5\"",
                and(vec![filter(meta(&["poly"]), Lt, num(5.0))]),
            ),
            (
                "meta.poly:5",
                and(vec![filter(meta(&["poly"]), Eq, num(5.0))]),
            ),
            (
                "meta.code:\"42\"",
                and(vec![filter(meta(&["code"]), Eq, text("42"))]),
            ),
            (
                "meta.rig.approved:true",
                and(vec![filter(
                    meta(&["rig", "approved"]),
                    Eq,
                    Value::Bool(true),
                )]),
            ),
            (
                "meta.ok!=FALSE",
                and(vec![filter(meta(&["ok"]), Ne, Value::Bool(false))]),
            ),
            (
                "meta.ok:\"true\"",
                and(vec![filter(meta(&["ok"]), Eq, text("true"))]),
            ),
            (
                "meta.colour:red",
                and(vec![filter(meta(&["colour"]), Eq, text("red"))]),
            ),
            (
                "meta.x:inf",
                and(vec![filter(meta(&["x"]), Eq, text("inf"))]),
            ),
            (
                "Meta.Shader-Set.v_2:x",
                and(vec![filter(meta(&["Shader-Set", "v_2"]), Eq, text("x"))]),
            ),
            (
                "meta.größe:3",
                and(vec![filter(meta(&["größe"]), Eq, num(3.0))]),
            ),
            ("-tag:wip", and(vec![not(eq(Tag, "wip"))])),
            ("-\"old rig\"", and(vec![not(phrase("old rig"))])),
            (
                "-barrel -barr*",
                and(vec![not(word("barrel")), not(prefix("barr"))]),
            ),
            (
                "status:ip OR status:review",
                clauses(vec![vec![eq(Status, "ip"), eq(Status, "review")]]),
            ),
            (
                "a b OR c d",
                clauses(vec![
                    vec![word("a")],
                    vec![word("b"), word("c")],
                    vec![word("d")],
                ]),
            ),
            (
                "a OR b OR -c",
                clauses(vec![vec![word("a"), word("b"), not(word("c"))]]),
            ),
            ("a\tOR\nb", clauses(vec![vec![word("a"), word("b")]])),
            ("tag:\"a b\"", and(vec![eq(Tag, "a b")])),
            ("tag:\"*\"", and(vec![eq(Tag, "*")])),
            ("tag:a<b", and(vec![eq(Tag, "a<b")])),
            ("status:\":x\"", and(vec![eq(Status, ":x")])),
        ];
        for (input, expected) in cases {
            let got = parse(input).unwrap_or_else(|e| panic!("{input:?} failed:\n{e}"));
            assert_eq!(got, expected, "input: {input:?}");
            // Every accepted query also survives the canonical round trip.
            assert_eq!(
                parse(&got.to_string()).as_ref(),
                Ok(&got),
                "input: {input:?}"
            );
            assert_eq!(input.parse::<Query>().as_ref(), Ok(&got));
        }
    }

    #[test]
    fn display_is_canonical() {
        let cases = [
            ("", ""),
            ("  Type:prop   TAG:hero ", "type:prop tag:hero"),
            ("a\tOR  b", "a OR b"),
            ("\"red barrel\" barr*", "\"red barrel\" barr*"),
            (r#""a \"b\" \\""#, r#""a \"b\" \\""#),
            ("kind:ASSET", "kind:asset"),
            ("version:v03", "version:3"),
            ("meta.poly<=1e4", "meta.poly<=10000"),
            ("meta.code:\"42\" meta.n:42", "meta.code:\"42\" meta.n:42"),
            ("meta.flag:TRUE", "meta.flag:true"),
            ("meta.s:\"plain\"", "meta.s:plain"),
            ("tag:\"42\"", "tag:42"),
            ("name:\"x*\" name:x*", "name:\"x*\" name:x*"),
            ("created>2024-01-31", "created>2024-01-31"),
            ("-tag:wip -\"old rig\"", "-tag:wip -\"old rig\""),
            ("status:\"!x\"", "status:\"!x\""),
        ];
        for (input, canonical) in cases {
            let q = parse(input).unwrap_or_else(|e| panic!("{input:?} failed:\n{e}"));
            assert_eq!(q.to_string(), canonical, "input: {input:?}");
        }
    }

    #[test]
    fn display_quotes_text_that_is_not_a_bare_word() {
        // Not produced by the parser, but still prints as something that parses.
        for text in ["OR", "-x", "a b", "x*y", "a:b", ""] {
            let q = and(vec![word(text)]);
            let shown = q.to_string();
            assert!(shown.starts_with('"'), "{text:?} shown as {shown}");
        }
        assert_eq!(Value::Text("12".into()).to_string(), "\"12\"");
        assert_eq!(Value::Number(12.5).to_string(), "12.5");
        assert_eq!(meta(&["a", "b"]).to_string(), "meta.a.b");
        assert_eq!(CmpOp::Ge.to_string(), ">=");
    }

    /// Error case: input, fragment of the message, expected offending text (located by
    /// `offset` and `len`), expected byte offset.
    #[test]
    fn errors_point_at_the_offending_token() {
        let cases: &[(&str, &str, &str, usize)] = &[
            (
                "type:prop colour:red",
                "unknown field `colour`",
                "colour",
                10,
            ),
            ("-colour:red", "known: type, tag, status", "colour", 1),
            ("tag:", "missing value after `tag:`", "tag:", 0),
            ("type:prop tag: hero", "missing value", "tag:", 10),
            (
                "meta.poly<",
                "missing value after `meta.poly<`",
                "meta.poly<",
                0,
            ),
            ("a \"red barrel", "unterminated quote", "\"", 2),
            ("name:\"hero", "unterminated quote", "\"", 5),
            ("\"abc\\", "unterminated quote", "\"", 0),
            (
                "meta.poly<abc",
                "`meta.poly<` compares numbers, but `abc` is not a number",
                "abc",
                10,
            ),
            ("meta.poly>=nan", "not a number", "nan", 11),
            ("tag<3", "`tag` cannot be compared with `<`", "<", 3),
            ("name>=a", "`name` cannot be compared with `>=`", ">=", 4),
            ("kind>asset", "cannot be compared", ">", 4),
            ("OR a", "`OR` needs a term before it", "OR", 0),
            ("a OR", "`OR` needs a term after it", "OR", 2),
            ("a OR  ", "`OR` needs a term after it", "OR", 2),
            ("a OR OR b", "not by another `OR`", "OR", 5),
            ("-", "`-` must be directly followed", "-", 0),
            ("a - b", "`-` must be directly followed", "-", 2),
            ("--a", "negated only once", "--", 0),
            ("-OR", "`OR` cannot be negated", "OR", 1),
            ("meta.:1", "bad metadata key in `meta.`", "meta.", 0),
            ("meta.a..b:1", "bad metadata key", "meta.a..b", 0),
            ("meta.a.:1", "bad metadata key", "meta.a.", 0),
            ("meta.a$:1", "bad metadata key", "meta.a$", 0),
            ("meta:1", "`meta` needs a key", "meta", 0),
            (
                "created:2024-13-01",
                "`2024-13-01` is not a date",
                "2024-13-01",
                8,
            ),
            ("created>2023-02-29", "is not a date", "2023-02-29", 8),
            ("created<yesterday", "YYYY-MM-DD", "yesterday", 8),
            ("created:2024-1-1", "is not a date", "2024-1-1", 8),
            (
                "version:three",
                "`three` is not a version number",
                "three",
                8,
            ),
            ("kind:texture", "unknown kind `texture`", "texture", 5),
            ("(a OR b)", "parentheses are not supported", "(", 0),
            ("a OR b)", "parentheses are not supported", ")", 6),
            ("tag:x(y)", "parentheses are not supported", "(", 5),
            ("a AND b", "`AND` is not needed", "AND", 2),
            ("NOT a", "`NOT` is not supported", "NOT", 0),
            (":red", "missing field name before `:`", ":", 0),
            ("<5", "missing field name before `<`", "<", 0),
            ("meta.x=5", "`=` is not an operator", "=", 6),
            ("meta.x==5", "`=` is not an operator", "==", 6),
            ("meta.poly:<5", "a value cannot start with `<`", "<", 10),
            ("tag:!wip", "a value cannot start with `!`", "!", 4),
            ("tag:hero*", "`*` wildcards only work with `name:`", "*", 8),
            ("meta.x:a*", "wildcards only work", "*", 8),
            (
                "ba*rrel",
                "`*` is only allowed at the end of a word",
                "*",
                2,
            ),
            ("*", "`*` needs the start of a word", "*", 0),
            ("**", "only allowed at the end", "*", 0),
            ("foo\"bar\"", "unexpected `\"` inside a word", "\"", 3),
            ("name:foo\"bar\"", "unexpected `\"` inside a value", "\"", 8),
            (
                "\"red\"barrel",
                "unexpected `b` after the closing quote",
                "b",
                5,
            ),
            ("tag:\"a\"b", "after the closing quote", "b", 7),
            ("\"\"", "empty quoted text", "\"\"", 0),
            ("\"  \"", "empty quoted text", "\"  \"", 0),
            ("tag:\"\"", "empty value for `tag`", "\"\"", 4),
            ("\"a\\nb\"", "unknown escape `\\n`", "\\n", 2),
            ("\"a\\éb\"", "unknown escape `\\é`", "\\é", 2),
            // Unicode: offsets are bytes into the input.
            ("日本 colour:red", "unknown field `colour`", "colour", 7),
            ("名前:x", "unknown field `名前`", "名前", 0),
            ("\"é\" meta.größe<viel", "not a number", "viel", 18),
        ];
        for &(input, fragment, token, offset) in cases {
            let e = parse(input).expect_err(input);
            assert!(
                e.message.contains(fragment),
                "{input:?}: message {:?} lacks {fragment:?}",
                e.message
            );
            assert_eq!(
                (e.offset, &input[e.offset..e.offset + e.len]),
                (offset, token),
                "{input:?}: {e}"
            );
            assert_eq!(e.input, input);
        }
    }

    #[test]
    fn error_display_draws_a_caret_under_the_token() {
        let e = parse("type:prop colour:red").unwrap_err();
        assert_eq!(
            e.to_string(),
            format!(
                "invalid search query: unknown field `colour` (known: {}); quote the term to \
                 search for it as text\n  type:prop colour:red\n            ^^^^^^",
                FIELD_NAMES.join(", ")
            )
        );
        let e = parse("a OR").unwrap_err();
        assert!(e.to_string().ends_with("\n  a OR\n    ^^"), "{e}");
    }

    #[test]
    fn error_caret_aligns_for_non_ascii_input() {
        // `é` and `日本` are several bytes but one column each.
        let e = parse("\"é\" 日本 colour:red").unwrap_err();
        assert_eq!(e.offset, "\"é\" 日本 ".len());
        let shown = e.to_string();
        let lines: Vec<&str> = shown.lines().collect();
        assert_eq!(lines[1], "  \"é\" 日本 colour:red");
        assert_eq!(lines[2], format!("  {}^^^^^^", " ".repeat(7)));
        let e = parse("名前:x").unwrap_err();
        assert!(e.to_string().ends_with("\n  名前:x\n  ^^"), "{e}");
    }

    #[test]
    fn error_display_keeps_control_characters_from_breaking_lines() {
        let e = parse("a\tb\ncolour:x").unwrap_err();
        let shown = e.to_string();
        assert_eq!(shown.lines().count(), 3, "{shown}");
        assert!(shown.ends_with("\n  a b colour:x\n      ^^^^^^"), "{shown}");
        // An error at the very end still gets one caret.
        let e = parse("\"abc").unwrap_err();
        assert!(e.to_string().ends_with("\n  \"abc\n  ^"));
        let e = QueryError {
            message: "m".into(),
            offset: 3,
            len: 0,
            input: "abc".into(),
        };
        assert!(e.to_string().ends_with("\n  abc\n     ^"));
    }

    #[test]
    fn field_helpers() {
        assert_eq!(Field::from_name("Version"), Some(Field::Version));
        assert_eq!(Field::from_name("META.a.b"), Some(meta(&["a", "b"])));
        assert_eq!(Field::from_name("meta."), None);
        assert_eq!(Field::from_name("colour"), None);
        assert!(Field::Created.supports(CmpOp::Lt));
        assert!(!Field::Tag.supports(CmpOp::Ge));
        assert!(Field::Tag.supports(CmpOp::Ne));
        assert!(Query::default().is_match_all());
        let names: Vec<String> = [
            Field::Type,
            Field::Tag,
            Field::Status,
            Field::Name,
            Field::Kind,
            Field::Author,
            Field::Project,
            Field::Seq,
            Field::Dept,
            Field::Assignee,
            Field::Created,
            Field::Version,
        ]
        .iter()
        .map(|f| {
            assert_eq!(Field::from_name(&f.to_string()).as_ref(), Some(f));
            f.to_string()
        })
        .collect();
        assert_eq!(names, FIELD_NAMES[..12]);
    }

    #[test]
    fn ast_serializes_to_json() {
        let q = parse("-tag:wip meta.poly<5 created:2024-01-02 barr*").unwrap();
        let json = serde_json::to_value(&q).unwrap();
        assert_eq!(
            json,
            serde_json::json!({"clauses": [
                {"alternatives": [{"negated": true, "kind": {"filter": {
                    "field": "tag", "op": "eq", "value": {"text": "wip"}}}}]},
                {"alternatives": [{"negated": false, "kind": {"filter": {
                    "field": {"meta": ["poly"]}, "op": "lt", "value": {"number": 5.0}}}}]},
                {"alternatives": [{"negated": false, "kind": {"filter": {
                    "field": "created", "op": "eq", "value": {"date": "2024-01-02"}}}}]},
                {"alternatives": [{"negated": false, "kind": {"text": {
                    "text": "barr", "phrase": false, "prefix": true}}}]},
            ]})
        );
    }

    #[test]
    fn grammar_help_examples_parse() {
        for line in GRAMMAR_HELP.lines() {
            if let Some(rest) = line.trim().strip_prefix("bifrost search '") {
                let query = rest.strip_suffix('\'').unwrap();
                parse(query).unwrap_or_else(|e| panic!("{e}"));
            }
        }
        for doc_example in [
            "-tag:wip -\"old rig\"",
            "meta.code:\"42\"",
            "created>=2024-01-31",
        ] {
            parse(doc_example).unwrap();
        }
    }

    // ---- property tests ----

    fn arb_any_text() -> impl Strategy<Value = String> {
        prop_oneof![
            "\\PC{1,12}",
            "[a \"\\\\*:<>()!=\\-é\t]{1,8}",
            "[a-z]{1,6}",
            Just("42".to_owned()),
            Just("true".to_owned()),
            Just("-1.5e3".to_owned()),
        ]
        .prop_filter("blank text is rejected", |s| !s.trim().is_empty())
    }

    fn arb_word() -> impl Strategy<Value = String> {
        "[a-zA-Z0-9_é日][a-zA-Z0-9_.!'é\\\\-]{0,8}"
            .prop_filter("keywords", |w| !matches!(w.as_str(), "OR" | "AND" | "NOT"))
    }

    fn arb_number() -> impl Strategy<Value = f64> {
        prop_oneof![
            (-100_000i64..100_000).prop_map(|n| n as f64),
            any::<f64>().prop_filter("finite", |n| n.is_finite()),
        ]
    }

    fn arb_date() -> impl Strategy<Value = NaiveDate> {
        (1000i32..=9999, 1u32..=12, 1u32..=28)
            .prop_map(|(y, m, d)| NaiveDate::from_ymd_opt(y, m, d).unwrap())
    }

    fn arb_eq_op() -> impl Strategy<Value = CmpOp> {
        prop::sample::select(vec![CmpOp::Eq, CmpOp::Ne])
    }

    fn arb_op() -> impl Strategy<Value = CmpOp> {
        prop::sample::select(vec![
            CmpOp::Eq,
            CmpOp::Ne,
            CmpOp::Lt,
            CmpOp::Le,
            CmpOp::Gt,
            CmpOp::Ge,
        ])
    }

    fn arb_meta() -> impl Strategy<Value = Field> {
        prop::collection::vec("[a-zA-Z0-9_ß-]{1,6}", 1..4).prop_map(Field::Meta)
    }

    fn arb_filter() -> impl Strategy<Value = TermKind> {
        let text_field = prop::sample::select(vec![
            Field::Type,
            Field::Tag,
            Field::Status,
            Field::Author,
            Field::Project,
            Field::Seq,
            Field::Dept,
            Field::Assignee,
        ]);
        let name_value = prop_oneof![
            arb_any_text().prop_map(Value::Text),
            "[a-z0-9_.*-]{0,5}\\*[a-z0-9_.*-]{0,5}".prop_map(Value::Pattern),
        ];
        let meta_eq_value = prop_oneof![
            arb_any_text().prop_map(Value::Text),
            arb_number().prop_map(Value::Number),
            any::<bool>().prop_map(Value::Bool),
        ];
        prop_oneof![
            (text_field, arb_eq_op(), arb_any_text()).prop_map(|(field, op, t)| (
                field,
                op,
                Value::Text(t)
            )),
            (arb_eq_op(), name_value).prop_map(|(op, v)| (Field::Name, op, v)),
            (arb_eq_op(), prop::sample::select(KIND_VALUES)).prop_map(|(op, k)| (
                Field::Kind,
                op,
                Value::Text(k.to_owned())
            )),
            (arb_op(), arb_date()).prop_map(|(op, d)| (Field::Created, op, Value::Date(d))),
            (arb_op(), arb_number()).prop_map(|(op, n)| (Field::Version, op, Value::Number(n))),
            (arb_meta(), arb_op(), arb_number()).prop_map(|(field, op, n)| (
                field,
                op,
                Value::Number(n)
            )),
            (arb_meta(), arb_eq_op(), meta_eq_value),
        ]
        .prop_map(|(field, op, value)| TermKind::Filter { field, op, value })
    }

    fn arb_term() -> impl Strategy<Value = Term> {
        let kind = prop_oneof![
            (arb_word(), any::<bool>()).prop_map(|(text, prefix)| TermKind::Text {
                text,
                phrase: false,
                prefix
            }),
            arb_any_text().prop_map(|text| TermKind::Text {
                text,
                phrase: true,
                prefix: false
            }),
            arb_filter(),
        ];
        (any::<bool>(), kind).prop_map(|(negated, kind)| Term { negated, kind })
    }

    fn arb_query() -> impl Strategy<Value = Query> {
        prop::collection::vec(
            prop::collection::vec(arb_term(), 1..4)
                .prop_map(|alternatives| Clause { alternatives }),
            0..6,
        )
        .prop_map(|clauses| Query { clauses })
    }

    /// Strings built from the language's own pieces, to reach deep into the parser.
    fn arb_query_like() -> impl Strategy<Value = String> {
        let piece = prop_oneof![
            prop::sample::select(vec![
                " ",
                " ",
                "OR",
                "AND",
                "NOT",
                "-",
                "\"",
                "\\",
                "*",
                ":",
                "<",
                "<=",
                ">",
                ">=",
                "!=",
                "=",
                "(",
                ")",
                "type",
                "tag",
                "name",
                "kind",
                "created",
                "version",
                "meta.",
                "meta.a",
                ".b",
                "2024-02-29",
                "2024-13-01",
                "v3",
                "12.5",
                "-3",
                "1e9",
                "inf",
                "NaN",
                "true",
                "False",
                "asset",
                "hero_*",
                "é",
                "日本",
                "\t",
                "\n",
            ])
            .prop_map(str::to_owned),
            "[a-z]{1,3}",
            "\\PC{1,2}",
        ];
        prop::collection::vec(piece, 0..14).prop_map(|pieces| pieces.concat())
    }

    fn check_parse_total(input: &str) -> Result<(), TestCaseError> {
        match parse(input) {
            Ok(q) => {
                let shown = q.to_string();
                let back = parse(&shown);
                prop_assert_eq!(back.as_ref(), Ok(&q), "canonical form {:?}", shown);
            }
            Err(e) => {
                prop_assert!(
                    e.offset
                        .checked_add(e.len)
                        .is_some_and(|end| end <= input.len())
                );
                prop_assert!(input.is_char_boundary(e.offset));
                prop_assert!(input.is_char_boundary(e.offset + e.len));
                prop_assert_eq!(e.to_string().lines().count(), 3);
            }
        }
        Ok(())
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(512))]

        #[test]
        fn parse_never_panics_on_arbitrary_strings(input in any::<String>()) {
            check_parse_total(&input)?;
        }

        #[test]
        fn parse_never_panics_on_query_like_strings(input in arb_query_like()) {
            check_parse_total(&input)?;
        }

        #[test]
        fn display_parses_back_to_the_same_query(q in arb_query()) {
            let shown = q.to_string();
            let back = parse(&shown);
            prop_assert_eq!(back.as_ref(), Ok(&q), "canonical form {:?}", shown);
            // The canonical form is a fixed point.
            prop_assert_eq!(back.unwrap().to_string(), shown);
        }
    }
}
