//! Dead letters: records a sink refused for good (an HTTP 400, a database constraint), kept
//! beside the log as JSON lines (`dead-letter.jsonl`) with the sink's reason, so that the rest
//! flow on and nothing is lost silently. Each line is written and fsynced before the record's
//! offset is acknowledged.

use std::fs::{File, OpenOptions};
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use serde::{Deserialize, Serialize};

use crate::error::{BridgeError, Result};
use crate::point::{Point, now_nanos};

/// One refused record and why.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DeadLetter {
    pub point: Point,
    /// What the sink said.
    pub reason: String,
    /// When it was dead-lettered (ns since the epoch).
    pub at: i64,
}

/// The dead-letter file of one sink.
#[derive(Debug)]
pub struct DeadLetters {
    path: PathBuf,
    file: Mutex<Option<File>>,
}

impl DeadLetters {
    /// The file `dead-letter.jsonl` in `dir` (created on the first dead letter).
    pub fn new(dir: &Path) -> DeadLetters {
        DeadLetters {
            path: dir.join("dead-letter.jsonl"),
            file: Mutex::new(None),
        }
    }

    /// Where the dead letters are.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Appends refused points, durably.
    pub fn write(&self, points: &[Point], reason: &str) -> Result<()> {
        let mut guard = self.file.lock().unwrap_or_else(|e| e.into_inner());
        if guard.is_none() {
            let f = OpenOptions::new()
                .create(true)
                .append(true)
                .open(&self.path)
                .map_err(BridgeError::io(&self.path))?;
            *guard = Some(f);
        }
        let file = guard.as_mut().expect("opened above");
        let mut text = String::new();
        let at = now_nanos();
        for p in points {
            let letter = DeadLetter {
                point: p.clone(),
                reason: reason.to_owned(),
                at,
            };
            text.push_str(&serde_json::to_string(&letter).expect("plain data serializes"));
            text.push('\n');
        }
        file.write_all(text.as_bytes())
            .and_then(|()| file.sync_data())
            .map_err(BridgeError::io(&self.path))
    }

    /// Every dead letter so far.
    pub fn read_all(dir: &Path) -> Result<Vec<DeadLetter>> {
        let path = dir.join("dead-letter.jsonl");
        let file = match File::open(&path) {
            Ok(f) => f,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
            Err(e) => return Err(BridgeError::io(&path)(e)),
        };
        let mut out = Vec::new();
        for line in BufReader::new(file).lines() {
            let line = line.map_err(BridgeError::io(&path))?;
            if line.trim().is_empty() {
                continue;
            }
            out.push(
                serde_json::from_str(&line).map_err(|e| BridgeError::LogCorrupt {
                    path: path.clone(),
                    message: format!("a dead letter is not JSON: {e}"),
                })?,
            );
        }
        Ok(out)
    }
}
