//! Store URLs and the `object_store` backend behind them.

use std::path::{Path as FsPath, PathBuf};
use std::sync::Arc;

use object_store::ObjectStore;
use object_store::aws::AmazonS3Builder;
use object_store::local::LocalFileSystem;
use url::Url;

use crate::error::{Result, StoreError};

/// Where a store's objects live.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StoreLocation {
    /// A directory on a local filesystem (`file:///abs/path` or a plain path).
    Local(PathBuf),
    /// An S3-compatible bucket: `s3://bucket/optional/prefix?endpoint=http://host:port&region=…`.
    S3 {
        /// Bucket name.
        bucket: String,
        /// Key prefix inside the bucket (may be empty).
        prefix: String,
        /// Endpoint URL for non-AWS servers (MinIO, Ceph, s3s…).
        endpoint: Option<String>,
        /// Region (default `us-east-1`).
        region: Option<String>,
        /// Access key from the URL (`access_key_id=`); otherwise `AWS_ACCESS_KEY_ID`.
        access_key_id: Option<String>,
        /// Secret key from the URL (`secret_access_key=`); otherwise `AWS_SECRET_ACCESS_KEY`.
        secret_access_key: Option<String>,
    },
}

impl StoreLocation {
    /// Parses a store URL. Relative plain paths are resolved against `base`.
    pub fn parse(url: &str, base: &FsPath) -> Result<Self> {
        let bad = |reason: &str| StoreError::BadUrl {
            url: redact(url),
            reason: reason.to_owned(),
        };
        if !url.contains("://") {
            let path = FsPath::new(url);
            return Ok(Self::Local(if path.is_absolute() {
                path.to_owned()
            } else {
                base.join(path)
            }));
        }
        let parsed = Url::parse(url).map_err(|e| bad(&e.to_string()))?;
        match parsed.scheme() {
            "file" => {
                let path = parsed.to_file_path().map_err(|()| {
                    bad("a file URL needs an absolute path, e.g. file:///data/store")
                })?;
                Ok(Self::Local(path))
            }
            "s3" => {
                let bucket = parsed
                    .host_str()
                    .filter(|b| !b.is_empty())
                    .ok_or_else(|| bad("name the bucket: s3://BUCKET[/prefix]?endpoint=URL"))?
                    .to_owned();
                let prefix = parsed.path().trim_matches('/').to_owned();
                let mut loc = Self::S3 {
                    bucket,
                    prefix,
                    endpoint: None,
                    region: None,
                    access_key_id: None,
                    secret_access_key: None,
                };
                if let Self::S3 {
                    endpoint,
                    region,
                    access_key_id,
                    secret_access_key,
                    ..
                } = &mut loc
                {
                    for (k, v) in parsed.query_pairs() {
                        let v = Some(v.into_owned());
                        match k.as_ref() {
                            "endpoint" => *endpoint = v,
                            "region" => *region = v,
                            "access_key_id" => *access_key_id = v,
                            "secret_access_key" => *secret_access_key = v,
                            other => {
                                return Err(bad(&format!(
                                    "unknown parameter `{other}`; known: endpoint, region, access_key_id, secret_access_key"
                                )));
                            }
                        }
                    }
                }
                Ok(loc)
            }
            other => Err(bad(&format!(
                "unsupported scheme `{other}`; use a path, file:///path or s3://bucket?endpoint=…"
            ))),
        }
    }

    /// The URL with secrets removed, for display and config files.
    pub fn display_url(&self) -> String {
        match self {
            Self::Local(p) => p.display().to_string(),
            Self::S3 {
                bucket,
                prefix,
                endpoint,
                region,
                ..
            } => {
                let mut s = format!("s3://{bucket}");
                if !prefix.is_empty() {
                    s.push('/');
                    s.push_str(prefix);
                }
                let mut q = vec![];
                if let Some(e) = endpoint {
                    q.push(format!("endpoint={e}"));
                }
                if let Some(r) = region {
                    q.push(format!("region={r}"));
                }
                if !q.is_empty() {
                    s.push('?');
                    s.push_str(&q.join("&"));
                }
                s
            }
        }
    }

    /// Builds the backend and the key prefix inside it.
    pub(crate) fn connect(&self) -> Result<(Arc<dyn ObjectStore>, object_store::path::Path)> {
        match self {
            Self::Local(dir) => {
                let fs = LocalFileSystem::new_with_prefix(dir)
                    .map_err(|e| StoreError::BadUrl {
                        url: dir.display().to_string(),
                        reason: format!("{e}; create the directory, or the repository first"),
                    })?
                    .with_fsync(true)
                    .with_automatic_cleanup(true);
                Ok((Arc::new(fs), object_store::path::Path::default()))
            }
            Self::S3 {
                bucket,
                prefix,
                endpoint,
                region,
                access_key_id,
                secret_access_key,
            } => {
                let mut b = AmazonS3Builder::from_env()
                    .with_bucket_name(bucket)
                    .with_region(region.as_deref().unwrap_or("us-east-1"));
                if let Some(e) = endpoint {
                    b = b
                        .with_endpoint(e)
                        .with_allow_http(e.starts_with("http://"))
                        .with_virtual_hosted_style_request(false);
                }
                if let Some(k) = access_key_id {
                    b = b.with_access_key_id(k);
                }
                if let Some(s) = secret_access_key {
                    b = b.with_secret_access_key(s);
                }
                let store = b.build().map_err(|e| StoreError::BadUrl {
                    url: self.display_url(),
                    reason: e.to_string(),
                })?;
                Ok((
                    Arc::new(store),
                    object_store::path::Path::from(prefix.as_str()),
                ))
            }
        }
    }
}

fn redact(url: &str) -> String {
    match Url::parse(url) {
        Ok(mut u) => {
            let pairs: Vec<(String, String)> = u
                .query_pairs()
                .map(|(k, v)| {
                    let v = if k.contains("secret") {
                        "***".into()
                    } else {
                        v.into_owned()
                    };
                    (k.into_owned(), v)
                })
                .collect();
            if !pairs.is_empty() {
                u.query_pairs_mut().clear().extend_pairs(pairs);
            }
            u.to_string()
        }
        Err(_) => url.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_paths_and_urls() {
        let base = FsPath::new("/repo");
        assert_eq!(
            StoreLocation::parse("store", base).unwrap(),
            StoreLocation::Local("/repo/store".into())
        );
        assert_eq!(
            StoreLocation::parse("file:///data/s", base).unwrap(),
            StoreLocation::Local("/data/s".into())
        );
        let s3 = StoreLocation::parse(
            "s3://bkt/pre/fix?endpoint=http://127.0.0.1:9000&secret_access_key=x",
            base,
        )
        .unwrap();
        assert!(
            matches!(&s3, StoreLocation::S3 { bucket, prefix, .. } if bucket == "bkt" && prefix == "pre/fix")
        );
        assert!(!s3.display_url().contains("secret"));
    }

    #[test]
    fn rejects_bad_urls_clearly() {
        let base = FsPath::new("/");
        let e = StoreLocation::parse("ftp://x", base)
            .unwrap_err()
            .to_string();
        assert!(e.contains("unsupported scheme"), "{e}");
        let e = StoreLocation::parse("s3://b?bogus=1&secret_access_key=hunter2", base)
            .unwrap_err()
            .to_string();
        assert!(e.contains("unknown parameter `bogus`"), "{e}");
        assert!(!e.contains("hunter2"), "{e}");
    }
}
