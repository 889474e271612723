//! What can go wrong turning source bytes into a derivative.

use std::path::PathBuf;
use std::time::Duration;

/// A derivative could not be made. Every variant has a stable machine code ([`MediaError::code`]);
/// the caller records the failure and serves a [`crate::placeholder`] instead of retrying forever.
#[derive(Debug, thiserror::Error)]
pub enum MediaError {
    /// The input is not a picture or movie this crate (or FFmpeg) can decode: a truncated file,
    /// garbage, or a format nobody here reads. Retrying the same bytes gives the same answer.
    #[error("cannot decode `{path}`: {reason}")]
    Undecodable { path: PathBuf, reason: String },

    /// The recipe does not apply to this kind of input (a filmstrip of a still image, say).
    #[error("a {recipe} cannot be made from {input}: {hint}")]
    NotApplicable {
        recipe: &'static str,
        input: String,
        hint: &'static str,
    },

    /// The recipe's parameters are out of range, or a recipe key does not parse.
    #[error("bad recipe: {reason}")]
    BadRecipe { reason: String },

    /// An image sequence has no frames on disk.
    #[error("no frames of the image sequence `{pattern}` exist")]
    EmptySequence { pattern: String },

    /// An external tool (FFmpeg) is not installed or not where it was configured to be.
    #[error(
        "`{tool}` is needed for video and image sequences but was not found ({program}): {hint}"
    )]
    ToolMissing {
        tool: &'static str,
        program: PathBuf,
        hint: &'static str,
    },

    /// An external tool ran and failed; the tail of what it said on stderr tells why.
    #[error("`{tool}` failed ({status}): {stderr_tail}")]
    ToolFailed {
        tool: &'static str,
        status: String,
        stderr_tail: String,
    },

    /// An external tool ran past its time limit and was killed.
    #[error("`{tool}` ran longer than {limit:?} and was stopped")]
    ToolTimedOut { tool: &'static str, limit: Duration },

    /// Reading the input or writing into the output directory failed.
    #[error("{action} `{path}`: {source}")]
    Io {
        action: &'static str,
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
}

impl MediaError {
    /// A stable machine code for the failure, for logs, job records and API answers.
    pub fn code(&self) -> &'static str {
        match self {
            MediaError::Undecodable { .. } => "media_undecodable",
            MediaError::NotApplicable { .. } => "media_recipe_not_applicable",
            MediaError::BadRecipe { .. } => "media_bad_recipe",
            MediaError::EmptySequence { .. } => "media_empty_sequence",
            MediaError::ToolMissing { .. } => "media_tool_missing",
            MediaError::ToolFailed { .. } => "media_tool_failed",
            MediaError::ToolTimedOut { .. } => "media_tool_timed_out",
            MediaError::Io { .. } => "media_io",
        }
    }

    /// Whether running the same recipe on the same bytes again could succeed. Undecodable input
    /// and inapplicable recipes never will: record the failure, serve the placeholder.
    pub fn is_retryable(&self) -> bool {
        match self {
            MediaError::Undecodable { .. }
            | MediaError::NotApplicable { .. }
            | MediaError::BadRecipe { .. }
            | MediaError::EmptySequence { .. } => false,
            MediaError::ToolMissing { .. }
            | MediaError::ToolFailed { .. }
            | MediaError::ToolTimedOut { .. }
            | MediaError::Io { .. } => true,
        }
    }

    pub(crate) fn io(
        action: &'static str,
        path: impl Into<PathBuf>,
        source: std::io::Error,
    ) -> Self {
        MediaError::Io {
            action,
            path: path.into(),
            source,
        }
    }

    pub(crate) fn undecodable(path: impl Into<PathBuf>, reason: impl ToString) -> Self {
        MediaError::Undecodable {
            path: path.into(),
            reason: reason.to_string(),
        }
    }
}
