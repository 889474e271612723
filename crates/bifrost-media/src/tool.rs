//! Running FFmpeg and FFprobe: a time limit on every run, stdout and stderr drained on threads
//! (a full pipe would stall the tool), and failures told apart: not installed, failed, too slow.

use std::ffi::OsString;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::thread;
use std::time::Duration;

use wait_timeout::ChildExt;

use crate::MediaError;

/// How much of a failing tool's stderr an error keeps (the end says why).
const STDERR_TAIL: usize = 2000;

const FFMPEG_HINT: &str = "install FFmpeg (Debian/Ubuntu: `apt-get install ffmpeg`; macOS: \
                           `brew install ffmpeg`) or point BIFROST_FFMPEG and BIFROST_FFPROBE at it";

/// One external program and what to call it in errors.
#[derive(Clone, Debug)]
pub(crate) struct Tool {
    pub name: &'static str,
    pub program: PathBuf,
}

/// Writes a tool's stdin, on its own thread while the tool runs.
pub(crate) type StdinFeed = Box<dyn FnOnce(&mut dyn Write) -> std::io::Result<()> + Send>;

/// What a successful run printed.
pub(crate) struct Output {
    pub stdout: Vec<u8>,
}

/// A failure before the tool's exit status says anything useful.
pub(crate) enum RunError {
    Media(MediaError),
    /// The tool exited non-zero; its stderr tail.
    Failed {
        status: String,
        stderr_tail: String,
    },
}

impl RunError {
    /// The error as a tool failure (FFmpeg could not do what it was asked).
    pub fn into_tool_failed(self, tool: &'static str) -> MediaError {
        match self {
            RunError::Media(e) => e,
            RunError::Failed {
                status,
                stderr_tail,
            } => MediaError::ToolFailed {
                tool,
                status,
                stderr_tail,
            },
        }
    }

    /// The error as undecodable input (the tool could not read the file it was given).
    pub fn into_undecodable(self, path: &Path) -> MediaError {
        match self {
            RunError::Media(e) => e,
            RunError::Failed { stderr_tail, .. } => {
                let reason = if stderr_tail.is_empty() {
                    "FFmpeg cannot read it".to_string()
                } else {
                    stderr_tail
                };
                MediaError::undecodable(path, reason)
            }
        }
    }
}

impl Tool {
    /// Runs the tool with `args`, feeding `stdin` (written on a thread while the tool runs),
    /// killing it after `limit`.
    pub fn run(
        &self,
        args: &[OsString],
        stdin: Option<StdinFeed>,
        limit: Duration,
    ) -> Result<Output, RunError> {
        let mut child = Command::new(&self.program)
            .args(args)
            .stdin(if stdin.is_some() {
                Stdio::piped()
            } else {
                Stdio::null()
            })
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .map_err(|e| {
                RunError::Media(if e.kind() == std::io::ErrorKind::NotFound {
                    MediaError::ToolMissing {
                        tool: self.name,
                        program: self.program.clone(),
                        hint: FFMPEG_HINT,
                    }
                } else {
                    MediaError::io("cannot start", &self.program, e)
                })
            })?;

        let feeder = match (stdin, child.stdin.take()) {
            (Some(write), Some(mut pipe)) => Some(thread::spawn(move || {
                // A broken pipe means the tool stopped reading: its exit status says why.
                let _ = write(&mut pipe);
            })),
            _ => None,
        };
        let drain = |pipe: Option<Box<dyn Read + Send>>| {
            thread::spawn(move || {
                let mut bytes = Vec::new();
                if let Some(mut pipe) = pipe {
                    let _ = pipe.read_to_end(&mut bytes);
                }
                bytes
            })
        };
        let stdout = drain(
            child
                .stdout
                .take()
                .map(|p| Box::new(p) as Box<dyn Read + Send>),
        );
        let stderr = drain(
            child
                .stderr
                .take()
                .map(|p| Box::new(p) as Box<dyn Read + Send>),
        );

        let waited = child.wait_timeout(limit);
        let status = match waited {
            Ok(Some(status)) => status,
            Ok(None) | Err(_) => {
                let _ = child.kill();
                let _ = child.wait();
                let _ = (stdout.join(), stderr.join(), feeder.map(|f| f.join()));
                return Err(RunError::Media(match waited {
                    Err(e) => MediaError::io("cannot wait for", &self.program, e),
                    Ok(_) => MediaError::ToolTimedOut {
                        tool: self.name,
                        limit,
                    },
                }));
            }
        };
        let stdout = stdout.join().unwrap_or_default();
        let stderr = stderr.join().unwrap_or_default();
        if let Some(feeder) = feeder {
            let _ = feeder.join();
        }
        if status.success() {
            return Ok(Output { stdout });
        }
        let status = match status.code() {
            Some(code) => format!("exit code {code}"),
            None => "killed by a signal".to_string(),
        };
        Err(RunError::Failed {
            status,
            stderr_tail: tail(&stderr),
        })
    }
}

fn tail(stderr: &[u8]) -> String {
    let text = String::from_utf8_lossy(stderr);
    let text = text.trim();
    let mut start = text.len().saturating_sub(STDERR_TAIL);
    while !text.is_char_boundary(start) {
        start += 1;
    }
    text[start..].to_string()
}
