//! Writing to stdout and stderr, where a failed write ends the program instead of panicking.
//!
//! Every byte the CLI prints goes through [`write_out`] or [`write_err`] (the crate's
//! `println!`/`eprintln!`, clap's help, shell completions, CSV reports), and [`finish`] flushes
//! stdout before `main` returns. When a write fails:
//!
//! - the reader went away (`bifrost … | head -1`: a closed pipe): exit quietly with status 141,
//!   what a process killed by SIGPIPE reports, as Unix tools do (Rust ignores SIGPIPE, so the
//!   failed write is all that is seen);
//! - anything else (`bifrost asset list > /dev/full`: no space left, an I/O error): one line on
//!   stderr naming the stream and the OS error, and exit status 1.
//!
//! Ending the process at the failed write is safe for the same reason `kill -9` is: every write
//! that matters is atomic (staged and renamed, or one catalog transaction), and output is
//! printed after the work it reports. It is also what ends an endless `edge read --watch`
//! whose reader is gone.

use std::io::{self, Write};

/// Where a write went.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stream {
    Stdout,
    Stderr,
}

impl Stream {
    fn name(self) -> &'static str {
        match self {
            Stream::Stdout => "standard output",
            Stream::Stderr => "standard error",
        }
    }
}

/// The exit status after the reader of stdout (or stderr) went away: 128 + SIGPIPE.
pub const CLOSED_PIPE_STATUS: i32 = 141;

/// Writes `bytes` to stdout, or ends the program (see the module's docs).
pub fn write_out(bytes: &[u8]) {
    if let Err(e) = io::stdout().lock().write_all(bytes) {
        failed(Stream::Stdout, &e);
    }
}

/// Writes `bytes` to stderr, or ends the program (see the module's docs).
pub fn write_err(bytes: &[u8]) {
    if let Err(e) = io::stderr().lock().write_all(bytes) {
        failed(Stream::Stderr, &e);
    }
}

/// Flushes stdout (its last line may still be buffered), or ends the program; `main` calls
/// it before returning.
pub fn finish() {
    if let Err(e) = io::stdout().lock().flush() {
        failed(Stream::Stdout, &e);
    }
}

/// Ends the program after a failed write to `stream`: quietly with status 141 for a closed
/// pipe, otherwise with one line on stderr (when stderr still takes it) and status 1.
pub fn failed(stream: Stream, error: &io::Error) -> ! {
    if error.kind() == io::ErrorKind::BrokenPipe {
        std::process::exit(CLOSED_PIPE_STATUS);
    }
    if stream == Stream::Stdout {
        let hint = if error.kind() == io::ErrorKind::StorageFull {
            "; free some space or send the output elsewhere"
        } else {
            ""
        };
        let line = format!("error: cannot write to {}: {error}{hint}\n", stream.name());
        // Nowhere left to report a failure of stderr itself: the status says it.
        let _ = io::stderr().lock().write_all(line.as_bytes());
    }
    std::process::exit(1);
}
