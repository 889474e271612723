//! Naming rules shared by every front end, so a name the CLI accepts is one the server accepts.

/// What kind of thing a name is for, to phrase errors.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NameKind {
    /// A project name.
    Project,
    /// An asset name (unique within its project).
    Asset,
    /// An asset type such as `prop` or `character`.
    AssetType,
    /// A tag such as `hero` or `dept:anim`.
    Tag,
    /// A user or role name such as `ana` or `ana@studio.example`.
    User,
}

impl std::fmt::Display for NameKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            NameKind::Project => "project name",
            NameKind::Asset => "asset name",
            NameKind::AssetType => "asset type",
            NameKind::Tag => "tag",
            NameKind::User => "user or role name",
        })
    }
}

/// A name that breaks the rules, with the rule it breaks.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("invalid {kind} `{name}`: {reason}")]
pub struct NameError {
    /// What the name was for.
    pub kind: NameKind,
    /// The rejected name.
    pub name: String,
    /// Which rule it breaks, phrased as advice.
    pub reason: String,
}

/// Longest name accepted, in characters.
pub const MAX_NAME_CHARS: usize = 200;

/// Checks a project, asset or type name.
///
/// Names may use any Unicode letters and digits plus `_`, `-` and `.`, must start with a letter
/// or digit and be at most [`MAX_NAME_CHARS`] characters. `@` and `/` are excluded because they
/// separate names from versions (`hero@v3`) and sequences from shots.
pub fn validate_name(kind: NameKind, name: &str) -> Result<(), NameError> {
    let fail = |reason: &str| {
        Err(NameError {
            kind,
            name: name.to_owned(),
            reason: reason.to_owned(),
        })
    };
    let mut chars = name.chars();
    let Some(first) = chars.next() else {
        return fail("a name cannot be empty");
    };
    if !first.is_alphanumeric() {
        return fail("a name must start with a letter or a digit");
    }
    if name.chars().count() > MAX_NAME_CHARS {
        return fail(&format!("a name is at most {MAX_NAME_CHARS} characters"));
    }
    if let Some(bad) = name
        .chars()
        .find(|c| !(c.is_alphanumeric() || matches!(c, '_' | '-' | '.')))
    {
        return fail(&format!(
            "`{}` is not allowed; use letters, digits, `_`, `-` and `.`",
            bad.escape_default()
        ));
    }
    Ok(())
}

/// Checks a tag: like a name, but `:` is also allowed (`dept:anim`).
pub fn validate_tag(tag: &str) -> Result<(), NameError> {
    let probe: String = tag.replace(':', "_");
    validate_name(NameKind::Tag, &probe).map_err(|e| NameError {
        name: tag.to_owned(),
        ..e
    })
}

/// Checks a user or role name: like a name, but `@` is also allowed (`ana@studio.example`).
pub fn validate_user_name(name: &str) -> Result<(), NameError> {
    let probe: String = name.replace('@', "_");
    validate_name(NameKind::User, &probe).map_err(|e| NameError {
        name: name.to_owned(),
        ..e
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_reasonable_names() {
        for ok in ["hero", "Hero_Rig-v2.final", "バレル", "x"] {
            validate_name(NameKind::Asset, ok).unwrap();
        }
    }

    #[test]
    fn rejects_bad_names_with_reason() {
        for bad in ["", "-x", ".hidden", "a/b", "a@v1", "a b", "a\0"] {
            let err = validate_name(NameKind::Asset, bad).unwrap_err();
            assert!(err.to_string().contains("invalid asset name"), "{err}");
        }
        let long = "a".repeat(MAX_NAME_CHARS + 1);
        assert!(validate_name(NameKind::Asset, &long).is_err());
        assert!(validate_name(NameKind::Asset, &"é".repeat(MAX_NAME_CHARS)).is_ok());
    }

    #[test]
    fn tags_may_have_colons() {
        validate_tag("dept:anim").unwrap();
        let err = validate_tag("a b").unwrap_err().to_string();
        assert!(err.starts_with("invalid tag `a b`"), "{err}");
    }
}
