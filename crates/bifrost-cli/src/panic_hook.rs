//! What a panic prints. No input should make the CLI panic (bad input is an error with a
//! message; output failures end it through `stdio`), so a panic is a bug: say so in a few
//! lines a user can paste into a report, instead of a raw backtrace. The process still ends as
//! a panic does (status 101 when the main thread panics), and the first line is always
//! [`MARKER`], so tests that feed the CLI absurd input detect it either way.
//! `RUST_BACKTRACE=1` keeps Rust's own report (with the backtrace) for developers.

use std::io::Write;
use std::panic::PanicHookInfo;

/// The first words of the report, which tests look for.
pub const MARKER: &str = "bifrost: internal error (this is a bug, please report it)";

/// Installs the hook for the whole process.
pub fn install() {
    let default_hook = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        if std::env::var_os("RUST_BACKTRACE").is_some_and(|v| v != "0") {
            default_hook(info);
        }
        // Written directly: a panic while printing must not go through `stdio` again.
        let _ = std::io::stderr().lock().write_all(report(info).as_bytes());
    }));
}

fn report(info: &PanicHookInfo<'_>) -> String {
    let payload = info.payload();
    let message = payload
        .downcast_ref::<String>()
        .map(String::as_str)
        .or_else(|| payload.downcast_ref::<&str>().copied())
        .unwrap_or("(no message)");
    let place = info
        .location()
        .map_or_else(String::new, |l| format!(" at {}:{}", l.file(), l.line()));
    format!(
        "{MARKER}\n  bifrost {} panicked{place}: {}\n  \
         Please report it at {} with the lines above and the command you ran (leave out \
         secrets; RUST_BACKTRACE=1 adds a backtrace).\n",
        env!("CARGO_PKG_VERSION"),
        crate::escape::lines(message),
        env!("CARGO_PKG_REPOSITORY"),
    )
}
