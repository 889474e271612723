//! Saved logins: which servers this user is logged in to, with which token.
//!
//! One TOML file, `$BIFROST_CONFIG_DIR/credentials.toml` (else `$XDG_CONFIG_HOME/bifrost/…`,
//! else `~/.config/bifrost/…`), readable by its owner only (0600) because it holds tokens. It is
//! replaced atomically (temp file + rename), so a killed `bifrost login` never leaves half a file.

use std::collections::BTreeMap;
use std::io::Write;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::error::{ClientError, Result};

/// The login saved for one server.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Login {
    /// The API token (`bft_…`).
    pub token: String,
    /// Who it belongs to.
    pub user: String,
    /// The project commands act on unless `--project` says otherwise.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub project: Option<String>,
}

/// Every saved login.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Credentials {
    /// The server `--remote` means when it is given without an address.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub default: Option<String>,
    /// Logins by server address.
    #[serde(default)]
    pub servers: BTreeMap<String, Login>,
}

/// Where the credentials file lives.
pub fn credentials_path() -> Result<PathBuf> {
    let dir = std::env::var_os("BIFROST_CONFIG_DIR")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("XDG_CONFIG_HOME").map(|d| PathBuf::from(d).join("bifrost")))
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".config/bifrost")))
        .ok_or_else(|| ClientError::Credentials {
            path: PathBuf::from("credentials.toml"),
            detail: "no home directory: set BIFROST_CONFIG_DIR".into(),
        })?;
    Ok(dir.join("credentials.toml"))
}

/// A server address in the form logins are saved under: a scheme (http:// when none is
/// given), no trailing slash.
pub fn normalize_url(url: &str) -> Result<String> {
    let (scheme, rest) = url.trim().split_once("://").unwrap_or(("http", url.trim()));
    let with_scheme = format!("{scheme}://{}", rest.trim_end_matches('/'));
    let parsed = url::Url::parse(&with_scheme).map_err(|_| ClientError::BadUrl {
        url: url.to_owned(),
    })?;
    if !matches!(parsed.scheme(), "http" | "https") || parsed.host_str().is_none() {
        return Err(ClientError::BadUrl {
            url: url.to_owned(),
        });
    }
    Ok(with_scheme)
}

impl Credentials {
    /// Reads the file (no file: no logins).
    pub fn load(path: &Path) -> Result<Self> {
        let text = match std::fs::read_to_string(path) {
            Ok(t) => t,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Self::default()),
            Err(e) => {
                return Err(ClientError::Credentials {
                    path: path.to_owned(),
                    detail: e.to_string(),
                });
            }
        };
        toml::from_str(&text).map_err(|e| ClientError::Credentials {
            path: path.to_owned(),
            detail: format!("{e}; fix it or delete it and log in again"),
        })
    }

    /// Writes the file atomically, readable by its owner only.
    pub fn save(&self, path: &Path) -> Result<()> {
        let fail = |detail: String| ClientError::Credentials {
            path: path.to_owned(),
            detail,
        };
        let dir = path.parent().unwrap_or(Path::new("."));
        std::fs::create_dir_all(dir).map_err(|e| fail(e.to_string()))?;
        let text = toml::to_string(self).map_err(|e| fail(e.to_string()))?;
        let mut file = tempfile::Builder::new()
            .prefix(".credentials-")
            .tempfile_in(dir)
            .map_err(|e| fail(e.to_string()))?;
        file.as_file()
            .set_permissions(std::fs::Permissions::from_mode(0o600))
            .map_err(|e| fail(e.to_string()))?;
        file.write_all(text.as_bytes())
            .and_then(|()| file.as_file().sync_all())
            .map_err(|e| fail(e.to_string()))?;
        file.persist(path).map_err(|e| fail(e.error.to_string()))?;
        Ok(())
    }

    /// The server and login `--remote [URL]` means.
    pub fn resolve(&self, url: Option<&str>) -> Result<(String, Login)> {
        let url = match url {
            Some(u) => normalize_url(u)?,
            None => self.default.clone().ok_or(ClientError::NoRemote)?,
        };
        let login = self
            .servers
            .get(&url)
            .cloned()
            .ok_or_else(|| ClientError::NotLoggedIn { url: url.clone() })?;
        Ok((url, login))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_get_a_scheme_and_lose_trailing_slashes() {
        assert_eq!(normalize_url("host:8080/").unwrap(), "http://host:8080");
        assert_eq!(
            normalize_url("https://hub.studio").unwrap(),
            "https://hub.studio"
        );
        assert!(normalize_url("ftp://x").is_err());
        assert!(normalize_url("http://").is_err());
    }

    #[test]
    fn saved_file_is_private_and_reads_back() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("nested/credentials.toml");
        let mut creds = Credentials::default();
        creds.servers.insert(
            "http://h:1".into(),
            Login {
                token: "bft_x".into(),
                user: "ana".into(),
                project: Some("show".into()),
            },
        );
        creds.default = Some("http://h:1".into());
        creds.save(&path).unwrap();
        let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600);
        assert_eq!(Credentials::load(&path).unwrap(), creds);
        let (url, login) = creds.resolve(None).unwrap();
        assert_eq!((url.as_str(), login.user.as_str()), ("http://h:1", "ana"));
        assert!(matches!(
            creds.resolve(Some("other:2")),
            Err(ClientError::NotLoggedIn { .. })
        ));
    }

    #[test]
    fn a_malformed_file_is_named() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("credentials.toml");
        std::fs::write(&path, "servers = 3").unwrap();
        let err = Credentials::load(&path).unwrap_err().to_string();
        assert!(err.contains("credentials.toml"), "{err}");
    }
}
