//! The CLI's own hints. Library errors say what went wrong in the domain's words and name no
//! command (they also reach HTTP and Python users); this module adds, under the error, the
//! `hint:` lines that say what to type. A local error is recognised by its variant (which
//! carries names: `bifrost log hero`), a server's answer by its stable code.

use bifrost::{CatalogError, StoreError};
use bifrost_api::{ApiError, ErrorCode};
use bifrost_client::ClientError;

use crate::cli::{Cli, Command};
use crate::studio::{PkgCommand, StudioCommand};

/// What the hints need to know about the command that failed.
#[derive(Debug, Clone, Copy, Default)]
pub struct Situation {
    /// The command overwrites an existing destination when given `--force`.
    pub overwrites_with_force: bool,
}

impl Situation {
    /// The situation of a parsed command line.
    pub fn of(cli: &Cli) -> Self {
        Situation {
            overwrites_with_force: matches!(
                cli.command,
                Command::Checkout { .. }
                    | Command::Studio(StudioCommand::Pkg(PkgCommand::Create { .. }))
            ),
        }
    }
}

/// The hints for an error: the first error in its chain that Bifrost knows decides.
pub fn hints(e: &anyhow::Error, situation: Situation) -> Vec<String> {
    for cause in e.chain() {
        if let Some(e) = cause.downcast_ref::<bifrost::Error>() {
            return facade(e, situation);
        }
        if let Some(e) = cause.downcast_ref::<CatalogError>() {
            return catalog(e);
        }
        if let Some(e) = cause.downcast_ref::<StoreError>() {
            return store(e);
        }
        if let Some(e) = cause.downcast_ref::<ClientError>() {
            return client(e, situation);
        }
        if let Some(e) = cause.downcast_ref::<ApiError>() {
            return by_code(e.code);
        }
    }
    Vec::new()
}

fn facade(e: &bifrost::Error, situation: Situation) -> Vec<String> {
    use bifrost::Error as E;
    let hint = match e {
        E::Catalog(e) => return catalog(e),
        E::Store(e) => return store(e),
        E::NotARepository { .. } => {
            "create one there with `bifrost init`, or point at one with -C PATH or BIFROST_REPO"
        }
        E::DestinationExists { .. } if situation.overwrites_with_force => {
            "pass --force to overwrite it"
        }
        E::GraceTooShort { .. } => "pass --force to collect with this grace period anyway",
        E::ImportClash { .. } => "choose with --on-conflict skip, rename or new-version",
        E::NotAWorkspace { .. } => "create one with `bifrost workspace init DIR ASSET…`",
        // Its message says to try again already.
        E::GcRace => return Vec::new(),
        _ => return by_code(e.code()),
    };
    vec![hint.to_owned()]
}

fn catalog(e: &CatalogError) -> Vec<String> {
    use CatalogError as E;
    let hint = match e {
        E::VersionNotFound { asset, .. } => format!("`bifrost log {asset}` lists its versions"),
        E::NoVersions { asset } => format!("publish one with `bifrost publish {asset} PATH…`"),
        E::DepartmentNotFound { .. } => "add it with `bifrost dept add NAME`".to_owned(),
        E::TaskExists { .. } => {
            "update it with `bifrost task update ENTITY --dept DEPT`".to_owned()
        }
        E::LinkNotFound { src, .. } => format!("`bifrost deps {src}` lists its links"),
        E::HasDependants { .. } | E::ShotHasDependants { .. } => {
            "pass --force to delete it with those links".to_owned()
        }
        E::SequenceHasShots { .. } => "delete its shots with `bifrost shot delete SEQ/SHOT`, \
                                       or pass --force to delete them with the sequence"
            .to_owned(),
        E::AssetLocked { asset, .. } => {
            format!("an admin can break the lock with `bifrost unlock {asset} --force`")
        }
        E::UnknownContent { .. } => "if a version names it, run `bifrost fsck`".to_owned(),
        E::Corrupt { .. } => "run `bifrost fsck`".to_owned(),
        // Its message says to retry already.
        E::Busy { .. } => return Vec::new(),
        E::NotFound { .. } => "create a repository with `bifrost init`".to_owned(),
        _ => return by_code(e.code()),
    };
    vec![hint]
}

fn store(e: &StoreError) -> Vec<String> {
    let hint = match e {
        StoreError::MissingPack { .. } => "run `bifrost fsck` to see what it affects",
        StoreError::CorruptChunk { .. } => {
            "run `bifrost fsck --read-data` to find every damaged chunk"
        }
        _ => return by_code(e.code()),
    };
    vec![hint.to_owned()]
}

fn client(e: &ClientError, situation: Situation) -> Vec<String> {
    let hint = match e {
        ClientError::Local(e) => return facade(e, situation),
        ClientError::Api { code, .. } => return by_code(*code),
        ClientError::Unreachable { .. } => "start a server with `bifrost serve`, or log in to \
                                            the right address with `bifrost login URL`"
            .to_owned(),
        ClientError::NotLoggedIn { url } => format!("run `bifrost login {url}` first"),
        ClientError::NoRemote => "run `bifrost login URL`, or pass --remote=URL".to_owned(),
        ClientError::Corrupt { .. } => {
            "if it persists, run `bifrost fsck --read-data` on the server".to_owned()
        }
        _ => return by_code(e.code()),
    };
    vec![hint]
}

/// Hints that need only the code: a server's answers, and local errors without better ones.
fn by_code(code: ErrorCode) -> Vec<String> {
    use ErrorCode as C;
    let hint = match code {
        C::ProjectNotFound => {
            "`bifrost project list` lists projects; `bifrost project create NAME` makes one"
        }
        C::AssetNotFound => {
            "see `bifrost asset list`, or create it with `bifrost asset create NAME --type TYPE`"
        }
        C::VersionNotFound => "`bifrost log ASSET` lists an asset's versions",
        C::SequenceNotFound => {
            "see `bifrost seq list`, or create it with `bifrost seq create NAME`"
        }
        C::ShotNotFound => {
            "see `bifrost shot list`, or create it with \
             `bifrost shot create SEQ/SHOT --frames FIRST-LAST`"
        }
        C::TaskNotFound => {
            "see `bifrost task list`, or create it with `bifrost task create ENTITY --dept DEPT`"
        }
        C::LinkNotFound => "`bifrost deps ENTITY` lists an entity's links",
        C::TransitionNotFound => "`bifrost workflow show` lists the allowed status changes",
        C::SavedSearchNotFound => "`bifrost saved list` lists saved searches",
        C::CollectionNotFound => "`bifrost collection list` lists collections",
        C::UserNotFound => "`bifrost user list` lists users",
        C::TokenNotFound => "`bifrost token list` lists tokens",
        C::WebhookNotFound => "`bifrost webhook list` lists webhooks",
        C::HasDependants => "pass --force to delete it anyway (its --help says what else goes)",
        C::Locked => "an admin can break the lock with `bifrost unlock ASSET --force`",
        C::MissingChunks => "if this persists, run `bifrost fsck`",
        C::CatalogBehind => {
            "`bifrost fsck` reports it; once the catalog is recovered, \
             `bifrost fsck --accept-catalog` accepts it as it is"
        }
        C::Unauthorized | C::BadCredentials => "log in again: `bifrost login URL`",
        C::Busy => "the catalog is busy for the moment: run the command again",
        _ => return Vec::new(),
    };
    vec![hint.to_owned()]
}

#[cfg(test)]
mod tests {
    use std::path::PathBuf;

    use clap::Parser;

    use super::*;

    fn one(e: impl Into<anyhow::Error>, situation: Situation) -> String {
        let all = hints(&e.into(), situation);
        assert_eq!(all.len(), 1, "{all:?}");
        all.into_iter().next().unwrap()
    }

    #[test]
    fn a_missing_repository_says_how_to_make_one() {
        let e = bifrost::Error::NotARepository {
            start: PathBuf::from("/tmp/x"),
        };
        assert!(!e.to_string().contains("bifrost init"), "{e}");
        let hint = one(e, Situation::default());
        assert!(hint.contains("`bifrost init`"), "{hint}");
        assert!(hint.contains("-C PATH"), "{hint}");
        // Also when it is wrapped in context.
        let wrapped = anyhow::Error::new(bifrost::Error::NotARepository {
            start: PathBuf::from("/tmp/x"),
        })
        .context("opening the repository");
        assert_eq!(hints(&wrapped, Situation::default()).len(), 1);
    }

    #[test]
    fn local_and_remote_errors_get_hints() {
        let local = CatalogError::VersionNotFound {
            asset: "hero".into(),
            number: 9,
            latest: Some(3),
        };
        assert_eq!(
            one(bifrost::Error::Catalog(local), Situation::default()),
            "`bifrost log hero` lists its versions"
        );
        let remote = ClientError::from_answer(404, "version_not_found", "no v9".into());
        assert!(one(remote, Situation::default()).contains("`bifrost log ASSET`"));
        let denied = ClientError::from_answer(401, "unauthorized", "token revoked".into());
        assert!(one(denied, Situation::default()).contains("bifrost login"));
        let busy = ClientError::from_answer(503, "busy", "pool timed out".into());
        assert!(one(busy, Situation::default()).contains("again"));
        assert!(hints(&bifrost::Error::GcRace.into(), Situation::default()).is_empty());
    }

    #[test]
    fn force_is_offered_only_where_the_command_has_it() {
        let exists = || bifrost::Error::DestinationExists {
            path: PathBuf::from("out/a.txt"),
        };
        let checkout = Situation::of(&Cli::parse_from(["bifrost", "checkout", "hero", "out"]));
        assert_eq!(one(exists(), checkout), "pass --force to overwrite it");
        let extract = Situation::of(&Cli::parse_from([
            "bifrost", "pkg", "extract", "p.bfpkg", "out",
        ]));
        assert!(hints(&exists().into(), extract).is_empty());
    }

    /// Every command a hint suggests parses: hints name commands that exist.
    #[test]
    fn suggested_commands_exist() {
        let mut texts: Vec<String> = ErrorCode::ALL.iter().flat_map(|&c| by_code(c)).collect();
        let catalog_errors = [
            CatalogError::NoVersions {
                asset: "hero".into(),
            },
            CatalogError::DepartmentNotFound {
                project: "p".into(),
                department: "d".into(),
                known: vec![],
            },
            CatalogError::TaskExists {
                entity: "hero".into(),
                department: "d".into(),
            },
            CatalogError::LinkNotFound {
                src: "hero".into(),
                dst: "SQ/SH".into(),
                kind: "reference".into(),
            },
            CatalogError::SequenceHasShots {
                project: "p".into(),
                sequence: "SQ".into(),
                shots: vec![],
            },
            CatalogError::AssetLocked {
                asset: "hero".into(),
                holder: "ana".into(),
                since: "now".into(),
                until: "later".into(),
            },
            CatalogError::Corrupt { what: "x".into() },
        ];
        texts.extend(catalog_errors.iter().flat_map(catalog));
        texts.extend(
            [
                bifrost::Error::NotARepository {
                    start: PathBuf::from("x"),
                },
                bifrost::Error::NotAWorkspace {
                    dir: PathBuf::from("x"),
                },
            ]
            .iter()
            .flat_map(|e| facade(e, Situation::default())),
        );
        texts.extend(
            [
                ClientError::NoRemote,
                ClientError::NotLoggedIn {
                    url: "http://h:8080/".into(),
                },
            ]
            .iter()
            .flat_map(|e| client(e, Situation::default())),
        );
        let mut checked = 0;
        for text in &texts {
            for command in text.split('`').skip(1).step_by(2) {
                let Some(args) = command.strip_prefix("bifrost ") else {
                    continue;
                };
                let argv: Vec<&str> = std::iter::once("bifrost")
                    .chain(args.split_whitespace().map(|word| match word {
                        "NAME" | "ASSET" | "ENTITY" | "DEPT" | "TYPE" => "x",
                        "ASSET…" => "x",
                        "SEQ/SHOT" => "SQ/SH",
                        "FIRST-LAST" => "1001-1100",
                        "PATH…" | "DIR" => "p",
                        "URL" => "http://h:8080",
                        other => other,
                    }))
                    .collect();
                if let Err(e) = Cli::try_parse_from(&argv) {
                    panic!("`{command}` (from {text:?}) does not parse: {e}");
                }
                checked += 1;
            }
        }
        assert!(checked > 20, "only {checked} commands checked");
    }
}
