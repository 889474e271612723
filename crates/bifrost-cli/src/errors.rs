//! Errors as the CLI prints them: the error and its causes, each said once, then a hint that
//! names the command or option that helps. Libraries say what went wrong in the domain's words;
//! only the CLI knows its own commands, so the hints are here. A hint the message already gives
//! (its command or option is quoted in it) is not repeated.

use bifrost::CatalogError;
use bifrost::api::ErrorCode;
use bifrost_client::ClientError;

/// The text printed after `error: `.
pub fn render(e: &anyhow::Error) -> String {
    let mut text = e.to_string();
    for cause in e.chain().skip(1) {
        let c = cause.to_string();
        if !text.contains(&c) {
            text.push_str(": ");
            text.push_str(&c);
        }
    }
    if let Some(hint) = hint(e)
        && !text.contains(&marker(&hint))
    {
        text.push_str("; ");
        text.push_str(&hint);
    }
    text
}

/// What to do about an error, if the CLI knows.
fn hint(e: &anyhow::Error) -> Option<String> {
    e.chain().find_map(|cause| {
        if let Some(e) = cause.downcast_ref::<bifrost::Error>() {
            local_hint(e)
        } else if let Some(e) = cause.downcast_ref::<CatalogError>() {
            catalog_hint(e)
        } else if let Some(e) = cause.downcast_ref::<bifrost::FilesError>() {
            files_hint(e)
        } else if let Some(e) = cause.downcast_ref::<ClientError>() {
            remote_hint(e)
        } else {
            None
        }
    })
}

/// The part of a hint that shows a message already gives it: its first quoted command up to
/// any placeholder (`bifrost log ASSET` → `bifrost log`), else its first option, else all of it.
fn marker(hint: &str) -> String {
    let placeholder = |w: &&str| w.len() > 1 && w.chars().all(|c| c.is_ascii_uppercase());
    let quoted = hint.split('`').nth(1).filter(|q| !q.is_empty()).map(|q| {
        q.split(' ')
            .take_while(|w| !placeholder(w))
            .collect::<Vec<_>>()
            .join(" ")
    });
    let option = || {
        hint.split_whitespace()
            .find(|w| w.starts_with("--"))
            .map(|w| w.trim_end_matches([',', ')', ';']).to_owned())
    };
    quoted.or_else(option).unwrap_or_else(|| hint.to_owned())
}

fn local_hint(e: &bifrost::Error) -> Option<String> {
    use bifrost::Error as E;
    Some(match e {
        E::Catalog(c) => return catalog_hint(c),
        E::NotARepository { .. } => {
            "run `bifrost init` there, or point at one with -C PATH or BIFROST_REPO".into()
        }
        E::DestinationExists { .. } => {
            "check out into an empty or new directory, or pass --force to overwrite".into()
        }
        E::GraceTooShort { .. } => "pass a longer grace, or --force".into(),
        E::GcRace => "try again when `bifrost gc` has finished".into(),
        E::ImportClash { .. } => "choose with --on-conflict skip, rename or new-version".into(),
        E::NotAWorkspace { .. } => "create one with `bifrost workspace init DIR ASSET…`".into(),
        E::Store(bifrost::StoreError::MissingPack { .. }) => {
            "run `bifrost fsck` to see what it affects".into()
        }
        _ => return code_hint(e.code()).map(str::to_owned),
    })
}

fn catalog_hint(e: &CatalogError) -> Option<String> {
    use CatalogError as C;
    Some(match e {
        C::NotFound { .. } => {
            "check the path or URL, or create the repository first (`bifrost init`)".into()
        }
        C::VersionNotFound { asset, .. } => format!("see `bifrost log {asset}`"),
        C::LinkNotFound { src, .. } => format!("see `bifrost deps {src}`"),
        C::AssetLocked { asset, .. } => format!(
            "ask them to publish or unlock it, or an admin to break the lock (`bifrost unlock {asset} --force`)"
        ),
        C::ProjectNotFound { .. } => code_hint(ErrorCode::ProjectNotFound)?.into(),
        C::AssetNotFound { .. } => code_hint(ErrorCode::AssetNotFound)?.into(),
        C::NoVersions { .. } => "publish one first (`bifrost publish`)".into(),
        C::SequenceNotFound { .. } => code_hint(ErrorCode::SequenceNotFound)?.into(),
        C::ShotNotFound { .. } => code_hint(ErrorCode::ShotNotFound)?.into(),
        C::TaskNotFound { .. } => code_hint(ErrorCode::TaskNotFound)?.into(),
        C::TaskExists { .. } => "update it instead (`bifrost task update`)".into(),
        C::TransitionNotFound { .. } => code_hint(ErrorCode::TransitionNotFound)?.into(),
        C::DepartmentNotFound { .. } => "add it first (`bifrost dept add`)".into(),
        C::SavedSearchNotFound { .. } => code_hint(ErrorCode::SavedSearchNotFound)?.into(),
        C::CollectionNotFound { .. } => code_hint(ErrorCode::CollectionNotFound)?.into(),
        C::UserNotFound { .. } => code_hint(ErrorCode::UserNotFound)?.into(),
        C::TokenNotFound { .. } => code_hint(ErrorCode::TokenNotFound)?.into(),
        C::WebhookNotFound { .. } => code_hint(ErrorCode::WebhookNotFound)?.into(),
        C::HasDependants { .. } | C::ShotHasDependants { .. } => {
            "unlink them first or delete with --force (which removes those links too)".into()
        }
        C::SequenceHasShots { .. } => "delete them first (`bifrost shot delete`) or delete the \
             sequence with --force (which deletes its shots with their tasks, links, comments \
             and history)"
            .into(),
        C::StatusInUse { .. } => "move them to another status first (`bifrost status ENTITY \
             STATUS`, `bifrost task update ENTITY --dept DEPT --status STATUS`)"
            .into(),
        C::MissingChunks { .. } => "publish again (if this persists, run `bifrost fsck`)".into(),
        C::CatalogBehind { .. } => code_hint(ErrorCode::CatalogBehind)?.into(),
        C::Damaged { .. } | C::Corrupt { .. } => code_hint(ErrorCode::CatalogDamaged)?.into(),
        C::Unreachable { .. } | C::ConnectionLost { .. } => {
            code_hint(ErrorCode::CatalogUnavailable)?.into()
        }
        _ => return code_hint(e.code()).map(str::to_owned),
    })
}

fn files_hint(e: &bifrost::FilesError) -> Option<String> {
    match e {
        bifrost::FilesError::DestinationExists { .. } => {
            Some("check out into an empty or new directory, or pass --force to overwrite".into())
        }
        _ => None,
    }
}

fn remote_hint(e: &ClientError) -> Option<String> {
    match e {
        ClientError::Local(e) => files_hint(e),
        ClientError::Api { code, .. } => code_hint(*code).map(str::to_owned),
        ClientError::Unreachable { .. } => {
            Some("is `bifrost serve` running there? Check the address (`bifrost login URL`)".into())
        }
        ClientError::NotLoggedIn { url } => Some(format!("run `bifrost login {url}` first")),
        ClientError::NoRemote => Some("run `bifrost login URL`, or pass --remote URL".into()),
        ClientError::Corrupt { .. } => {
            Some("retry; if it persists run `bifrost fsck --read-data` on the server".into())
        }
        _ => None,
    }
}

/// Hints by the server's error code (`asset_not_found`), for errors that come back from a
/// server; local errors with the same meaning share them.
fn code_hint(code: ErrorCode) -> Option<&'static str> {
    Some(match code {
        ErrorCode::ProjectNotFound => "see `bifrost project list` or create it first",
        ErrorCode::AssetNotFound => {
            "see `bifrost asset list` or create it with `bifrost asset create`"
        }
        ErrorCode::VersionNotFound => "see `bifrost log ASSET`",
        ErrorCode::SequenceNotFound => {
            "see `bifrost seq list` or create it with `bifrost seq create`"
        }
        ErrorCode::ShotNotFound => {
            "see `bifrost shot list` or create it with `bifrost shot create`"
        }
        ErrorCode::TaskNotFound => "see `bifrost task list` or create it first",
        ErrorCode::LinkNotFound => "see `bifrost deps ENTITY`",
        ErrorCode::TransitionNotFound => "see `bifrost workflow show`",
        ErrorCode::SavedSearchNotFound => "see `bifrost saved list`",
        ErrorCode::CollectionNotFound => "see `bifrost collection list`",
        ErrorCode::UserNotFound => "see `bifrost user list`",
        ErrorCode::TokenNotFound => "see `bifrost token list`",
        ErrorCode::WebhookNotFound => "see `bifrost webhook list`",
        ErrorCode::Locked => {
            "ask them to publish or unlock it, or an admin to break the lock \
                     (`bifrost unlock ASSET --force`)"
        }
        ErrorCode::HasDependants => "unlink them first, or delete with --force",
        ErrorCode::MissingChunks => "publish again (if this persists, run `bifrost fsck`)",
        ErrorCode::CatalogBehind => {
            "run `bifrost fsck` and recover the catalog from a backup if needed"
        }
        ErrorCode::CatalogDamaged => {
            "run `bifrost fsck` to see what is damaged, then restore the catalog (the \
             repository's .bifrost/catalog.db, or its PostgreSQL database) from a backup"
        }
        ErrorCode::CatalogUnavailable => {
            "`bifrost fsck` checks the repository once the database answers again"
        }
        ErrorCode::Unauthorized | ErrorCode::BadCredentials => "log in again: `bifrost login URL`",
        ErrorCode::Busy => "the catalog is busy for the moment: run the command again",
        ErrorCode::RateLimited | ErrorCode::TooManyConnections => {
            "wait the time it names, then run the command again (a server admin can raise the \
             limits: `bifrost serve --help`)"
        }
        ErrorCode::SignInLocked => {
            "wait until then, sign in with an API token, or ask an admin to run \
             `bifrost user unlock NAME`"
        }
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markers() {
        assert_eq!(
            marker("see `bifrost asset list` or …"),
            "bifrost asset list"
        );
        assert_eq!(marker("see `bifrost log ASSET`"), "bifrost log");
        assert_eq!(marker("pass a longer grace, or --force"), "--force");
        assert_eq!(marker("no command here"), "no command here");
    }

    #[test]
    fn a_hint_is_added_once() {
        let e = anyhow::Error::new(bifrost::Error::GraceTooShort {
            grace: std::time::Duration::from_secs(1),
            minimum: std::time::Duration::from_secs(900),
        });
        let text = render(&e);
        assert_eq!(text.matches("--force").count(), 1, "{text}");
        let e = anyhow::Error::new(ClientError::from_answer(
            404,
            "asset_not_found",
            "asset `x` does not exist in project `p`".into(),
        ));
        assert!(
            render(&e).contains("`bifrost asset create`"),
            "{}",
            render(&e)
        );
    }
}
