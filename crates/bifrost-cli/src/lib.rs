//! `bifrost`: the command-line front end. Parses arguments into operations of the table,
//! runs them on the local repository or a server, renders the answers. The only crate that
//! knows about terminals; it holds no business logic.
//!
//! The binary (`main.rs`) calls [`main`]; the library exists so that tests can walk the
//! grammar ([`Cli`]) and run every command the binary has.

// This crate's `println!` and `eprintln!`, shadowing the standard ones in every module below:
// what they print goes through `escape::lines`, so no control character (ESC, CSI, OSC, `\r`,
// C1, bidi overrides) from a note, comment, name or error message reaches a terminal raw.
// Renderers still pass one-line fields through `escape::esc` (which escapes `\n` as well).
macro_rules! println {
    () => {
        $crate::escape::print_out(format_args!(""))
    };
    ($($arg:tt)*) => {
        $crate::escape::print_out(format_args!($($arg)*))
    };
}

macro_rules! eprintln {
    () => {
        $crate::escape::print_err(format_args!(""))
    };
    ($($arg:tt)*) => {
        $crate::escape::print_err(format_args!($($arg)*))
    };
}

mod cli;
mod commands;
mod errors;
mod escape;
mod input;
mod output;
mod panic_hook;
mod progress;
mod session;
mod stdio;

use std::process::ExitCode;

use clap::Parser;

pub use crate::cli::Cli;
pub use crate::panic_hook::MARKER as PANIC_MARKER;
pub use crate::stdio::CLOSED_PIPE_STATUS;

/// The whole program: parse, run, print; the exit status says how it went (0 ok, 1 an
/// error, 2 a usage error, 141 the reader of stdout went away, 101 a bug).
pub fn main() -> ExitCode {
    panic_hook::install();
    let code = run();
    stdio::finish();
    code
}

fn run() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => usage_error(e),
    };
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("BIFROST_LOG")
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn,sqlx=error")),
        )
        .with_writer(std::io::stderr)
        .init();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(commands::run(cli)) {
        Ok(code) => code,
        Err(e) => {
            // Messages may span lines (a search query's caret line); `eprintln!` escapes
            // every other control character of the names and values they quote.
            eprintln!("error: {}", errors::render(&e));
            ExitCode::FAILURE
        }
    }
}

/// Exits on a usage error (status 2) or `--help`/`--version` (0) as clap does. clap's errors
/// quote the arguments given: when one holds a control character the error is printed plain
/// (without clap's colours), escaped, like every other error.
fn usage_error(e: clap::Error) -> ! {
    if !e.use_stderr() {
        // Help and version go to stdout: a failed write is reported like any other output's.
        if let Err(failure) = e.print() {
            stdio::failed(stdio::Stream::Stdout, &failure);
        }
        stdio::finish();
        std::process::exit(e.exit_code());
    }
    let unsafe_arg = std::env::args_os().any(|a| a.to_string_lossy().contains(escape::is_unsafe));
    if !unsafe_arg {
        e.exit();
    }
    eprintln!("{}", e.render().to_string().trim_end());
    std::process::exit(e.exit_code());
}
