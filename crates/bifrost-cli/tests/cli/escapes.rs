//! Terminal escape injection: notes, comments, metadata, display names, token names and file
//! paths holding ESC, CSI, OSC, `\r`, C1 and bidi controls reach stdout and stderr of the text
//! output only as visible escapes, while `--json` returns the exact strings. On SQLite and on
//! PostgreSQL.

use std::process::Output;

use serde_json::Value;

use crate::postgres::TestDatabase;
use crate::support::*;

/// Clears the screen, recolours, sets the window title (OSC … BEL), returns the cursor to
/// overwrite the line, starts a C1 CSI, reverses the text's direction, breaks the line, and
/// carries DEL, a tab and C1 NEL.
const EVIL: &str = "a\x1b[2J\x1b[31mred\x1b]0;pwned\x07 \rover \u{9b}31m \u{202e}txt\u{2066} \n2nd \x7f\tend \u{85}";

/// Short enough for the author column of `log`.
const SHORT: &str = "a\x1bb\u{9b}";

/// A metadata key of its own.
const EVIL_KEY: &str = "k\x1b[1m\u{9b}\u{202d}";

/// A file name (Linux allows any byte but `/` and NUL).
const EVIL_FILE: &str = "\x1b[31mred\x1b]8;;x:y\x07\u{202e}txt.bin";

/// What must not reach a terminal raw (the CLI's `escape::is_unsafe`).
fn is_unsafe(c: char) -> bool {
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

/// Asserts that neither stdout nor stderr of `out` holds an unsafe character other than a
/// line break; returns stdout and stderr.
fn assert_clean(args: &[&str], out: &Output) -> (String, String) {
    let stdout = String::from_utf8(out.stdout.clone()).expect("stdout is UTF-8");
    let stderr = String::from_utf8(out.stderr.clone()).expect("stderr is UTF-8");
    for (name, text) in [("stdout", &stdout), ("stderr", &stderr)] {
        if let Some(c) = text.chars().find(|&c| c != '\n' && is_unsafe(c)) {
            panic!(
                "bifrost {} wrote {c:?} raw to {name}:\n{}",
                args.join(" "),
                text.escape_debug()
            );
        }
    }
    (stdout, stderr)
}

/// Runs `args`, asserts success and clean output; returns stdout.
fn clean_ok(repo: &Repo, args: &[&str]) -> String {
    let out = repo.run(args);
    expect_success(args, &out);
    assert_clean(args, &out).0
}

/// Runs `--json args`, asserts success and clean output (the JSON text escapes what it
/// carries); returns the parsed value.
fn clean_json(repo: &Repo, args: &[&str]) -> Value {
    let mut full = vec!["--json"];
    full.extend_from_slice(args);
    let stdout = clean_ok(repo, &full);
    parse_json(&full, &stdout)
}

/// Runs `args`, asserts a failure (status 1, or 2 for clap's usage errors) with clean output
/// that shows the escaped ESC of EVIL; returns stderr.
fn clean_failure(repo: &Repo, args: &[&str]) -> String {
    let out = repo.run(args);
    assert!(
        matches!(out.status.code(), Some(1 | 2)),
        "expected a failure:\n{}",
        describe(args, &out)
    );
    let stderr = assert_clean(args, &out).1;
    assert!(stderr.contains("error:"), "{}", describe(args, &out));
    stderr
}

/// The visible escapes the text output shows for EVIL.
fn assert_shows_escapes(args: &[&str], text: &str) {
    for shown in [
        "a\\x1b[2J\\x1b[31mred",
        "\\x1b]0;pwned\\x07",
        "\\rover",
        "\\u{9b}31m",
        "\\u{202e}txt\\u{2066}",
        "\\n2nd",
        "\\x7f\\tend",
        "\\u{85}",
    ] {
        assert!(
            text.contains(shown),
            "bifrost {} does not show {shown}:\n{text}",
            args.join(" ")
        );
    }
}

fn exercise(repo: &Repo) {
    let meta_note = format!("note={EVIL}");
    let meta_key = format!("{EVIL_KEY}=1");
    repo.json(&[
        "asset", "create", "hero", "--type", "prop", "--meta", &meta_note, "--meta", &meta_key,
    ]);
    let dir = repo.work("hero");
    write_file(&dir.join(EVIL_FILE), b"bytes", 0o644);
    repo.json(&["publish", "hero", s(&dir), "-m", EVIL, "--author", SHORT]);
    write_file(&dir.join("plain.txt"), b"more", 0o644);
    repo.json(&["publish", "hero", s(&dir), "-m", "second"]);
    let update = format!("note={EVIL}!");
    repo.json(&["asset", "update", "hero", "--meta", &update]);
    repo.json(&["comment", "hero", EVIL]);
    repo.json(&["comment", "hero@v1", EVIL]);
    repo.json(&["seq", "create", "SQ010", "--meta", &meta_note]);
    repo.json(&[
        "shot",
        "create",
        "SQ010/SH010",
        "--frames",
        "1001-1010",
        "--meta",
        &meta_note,
    ]);
    repo.json(&[
        "user",
        "add",
        "ana",
        "--role",
        "artist",
        "--display-name",
        EVIL,
    ]);
    let token = repo.json(&["token", "create", "--user", "ana", "--name", EVIL]);
    assert_eq!(token["name"], EVIL, "{token}");

    // Text output: every field shows as visible escapes, one line per version.
    let log = clean_ok(repo, &["log", "hero"]);
    assert_shows_escapes(&["log"], &log);
    assert_eq!(log.lines().count(), 2, "one line per version:\n{log}");
    // The author column is padded to the escaped width, so the columns after it line up.
    let columns: Vec<usize> = log.lines().map(|l| l.find(" files ").unwrap()).collect();
    assert_eq!(columns[0], columns[1], "{log}");
    assert!(log.contains("a\\x1bb\\u{9b} "), "{log}");
    let show = clean_ok(repo, &["asset", "show", "hero"]);
    assert!(
        show.contains("meta     k\\x1b[1m\\u{9b}\\u{202d} = 1"),
        "{show}"
    );
    assert!(
        show.contains("\\x1b[31mred\\x1b]8;;x:y\\x07\\u{202e}txt.bin"),
        "{show}"
    );
    for args in [
        &["asset", "list"][..],
        &["comment", "hero"],
        &["comment", "hero@v1"],
        &["history", "hero"],
        &["seq", "show", "SQ010"],
        &["shot", "show", "SQ010/SH010"],
        &["diff", "hero@v1", "hero@v2"],
        &["search", "second"],
        &["search", "hero"],
        &["audit"],
        &["user", "list"],
        &["token", "list"],
        &["locks"],
        &["task", "list"],
    ] {
        let text = clean_ok(repo, args);
        if matches!(args[0], "comment" | "user" | "token") {
            assert_shows_escapes(args, &text);
        }
        if matches!(args[0], "seq" | "shot") {
            // Metadata values show as JSON, whose own escapes cover C0 controls.
            assert!(
                text.contains("\\u001b[2J") && text.contains("\\u{9b}31m \\u{202e}"),
                "{text}"
            );
        }
    }
    let diff = clean_ok(repo, &["diff", "hero@v1", "hero@v2"]);
    assert!(diff.contains("added    plain.txt"), "{diff}");
    let comments = clean_ok(repo, &["comment", "hero"]);
    assert_eq!(comments.lines().count(), 1, "{comments}");

    // Errors that quote a name or a value escape it too, clap's usage errors included.
    let evil_name = format!("x{EVIL}");
    for args in [
        &["log", evil_name.as_str()][..],
        &["asset", "show", evil_name.as_str()],
        &["asset", "create", evil_name.as_str(), "--type", "prop"],
        &["token", "create", "--user", evil_name.as_str()],
        &["status", "hero", evil_name.as_str()],
    ] {
        let stderr = clean_failure(repo, args);
        assert!(stderr.contains("\\x1b[2J"), "{stderr}");
    }
    // clap's usage errors (status 2): printed plain, so its rendering drops whole escape
    // sequences, and what is left is escaped.
    for args in [
        &["comment", evil_name.as_str()][..],
        &["review", "hero@v1", evil_name.as_str()],
        &["asset", "list", evil_name.as_str()],
    ] {
        let stderr = clean_failure(repo, args);
        assert!(stderr.contains("\\rover \\u{9b}31m"), "{stderr}");
    }
    let bad_query = format!("meta.{EVIL_KEY}:1");
    let stderr = clean_failure(repo, &["search", &bad_query]);
    assert!(stderr.contains("metadata key"), "{stderr}");

    // JSON: the exact strings, and (pretty or compact) no raw control character either.
    let log = clean_json(repo, &["log", "hero"]);
    assert_eq!(log[0]["note"], EVIL, "{log}");
    assert_eq!(log[0]["author"], SHORT, "{log}");
    let show = clean_json(repo, &["asset", "show", "hero"]);
    assert_eq!(show["metadata"]["note"], format!("{EVIL}!"), "{show}");
    assert_eq!(show["metadata"][EVIL_KEY], 1, "{show}");
    let paths: Vec<&str> = show["latest_files"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["path"].as_str().unwrap())
        .collect();
    assert!(paths.contains(&EVIL_FILE), "{show}");
    for target in ["hero", "hero@v1"] {
        let comments = clean_json(repo, &["comment", target]);
        assert_eq!(comments[0]["body"], EVIL, "{comments}");
    }
    let seq = clean_json(repo, &["seq", "show", "SQ010"]);
    assert_eq!(seq["sequence"]["metadata"]["note"], EVIL, "{seq}");
    let users = clean_json(repo, &["user", "list"]);
    let ana = users
        .as_array()
        .unwrap()
        .iter()
        .find(|u| u["name"] == "ana")
        .expect("ana is listed");
    assert_eq!(ana["display_name"], EVIL, "{users}");
    let tokens = clean_json(repo, &["token", "list"]);
    assert_eq!(tokens[0]["name"], EVIL, "{tokens}");
    let diff = clean_json(repo, &["diff", "hero@v1", "hero@v2"]);
    assert!(diff.is_object(), "{diff}");
    let audit = clean_json(repo, &["audit"]);
    assert!(
        audit.to_string().contains("\\u001b[2J"),
        "the journal keeps the note exactly: {audit}"
    );
}

#[test]
fn text_output_escapes_control_characters_sqlite() {
    exercise(&Repo::new());
}

#[test]
fn text_output_escapes_control_characters_postgres() {
    let db = TestDatabase::new();
    let url = db.url();
    exercise(&Repo::init_with(&["--catalog", &url]));
}
