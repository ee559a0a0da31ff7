//! Where call recordings are kept (P5): a directory on this machine by default, or a
//! bucket in S3-compatible storage (AWS S3, MinIO, Ceph, Garage, R2, ...) so that
//! several nodes share them and the disk of none fills up. One interface for both
//! (object_store); the layout is the same in both, `{account}/{call}.{ext}`, so moving
//! from one to the other is a plain copy of the tree.

use object_store::aws::AmazonS3Builder;
use object_store::aws::AmazonS3ConfigKey;
use object_store::local::LocalFileSystem;
use object_store::path::Path;
use object_store::{ClientConfigKey, ObjectStore, PutPayload, RetryConfig};
use std::sync::Arc;
use std::time::Duration;

/// A bucket in S3-compatible storage (the `[recordings_s3]` section of the configuration).
#[derive(Clone, Default, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct S3Settings {
    pub bucket: String,
    /// Keys are put under this prefix (none when empty).
    pub prefix: String,
    /// The service's URL, e.g. `https://s3.example.com` or `http://127.0.0.1:9000` for
    /// MinIO (AWS's own when empty). A plain `http://` URL is allowed, since the admin
    /// wrote it.
    pub endpoint: String,
    pub region: String,
    /// When both are empty, the usual AWS environment variables are used.
    pub access_key_id: String,
    pub secret_access_key: String,
}

impl std::fmt::Debug for S3Settings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("S3Settings")
            .field("bucket", &self.bucket)
            .field("prefix", &self.prefix)
            .field("endpoint", &self.endpoint)
            .field("region", &self.region)
            .field("access_key_id", &self.access_key_id)
            .field("secret_access_key", &"<redacted>")
            .finish()
    }
}

/// The store for recordings, and a name for it in messages.
#[derive(Clone)]
pub struct Recordings {
    store: Arc<dyn ObjectStore>,
    /// Where it is, for messages ("directory data/recordings", "S3 bucket calls").
    pub place: String,
}

impl std::fmt::Debug for Recordings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.place)
    }
}

impl Recordings {
    /// A directory on this machine (created if missing).
    pub fn local(dir: impl AsRef<std::path::Path>) -> anyhow::Result<Recordings> {
        let dir = dir.as_ref();
        std::fs::create_dir_all(dir).map_err(|e| {
            anyhow::anyhow!("creating the recordings directory {}: {e}", dir.display())
        })?;
        let store = LocalFileSystem::new_with_prefix(dir)
            .map_err(|e| anyhow::anyhow!("the recordings directory {}: {e}", dir.display()))?;
        Ok(Recordings {
            store: Arc::new(store),
            place: format!("directory {}", dir.display()),
        })
    }

    /// A bucket in S3-compatible storage. Nothing is sent until the first recording;
    /// [`Recordings::check`] tries the bucket.
    pub fn s3(s: &S3Settings) -> anyhow::Result<Recordings> {
        if s.bucket.trim().is_empty() {
            anyhow::bail!("recordings in S3: the bucket name is missing");
        }
        // Few quick retries here: a recording that cannot be stored now is retried by
        // the job queue with its own backoff, and a job must not hang for minutes.
        let retry = RetryConfig {
            max_retries: 2,
            retry_timeout: Duration::from_secs(20),
            ..RetryConfig::default()
        };
        if s.access_key_id.is_empty() != s.secret_access_key.is_empty() {
            anyhow::bail!(
                "recordings in S3 bucket {}: give both access_key_id and secret_access_key, or neither (then the AWS_* environment variables are used)",
                s.bucket
            );
        }
        // Timeouts set key by key: replacing the client options wholesale would drop
        // what from_env read (AWS_ALLOW_HTTP, AWS_PROXY_URL, ...).
        let mut b = AmazonS3Builder::from_env()
            .with_bucket_name(&s.bucket)
            .with_retry(retry)
            .with_config(
                AmazonS3ConfigKey::Client(ClientConfigKey::ConnectTimeout),
                "5s",
            )
            .with_config(AmazonS3ConfigKey::Client(ClientConfigKey::Timeout), "120s");
        if s.endpoint.starts_with("http://") {
            b = b.with_allow_http(true);
        }
        if !s.region.is_empty() {
            b = b.with_region(&s.region);
        }
        if !s.endpoint.is_empty() {
            b = b.with_endpoint(&s.endpoint);
        }
        if !s.access_key_id.is_empty() {
            b = b
                .with_access_key_id(&s.access_key_id)
                .with_secret_access_key(&s.secret_access_key);
        }
        let store = b
            .build()
            .map_err(|e| anyhow::anyhow!("recordings in S3 bucket {}: {e}", s.bucket))?;
        let prefix = s.prefix.trim_matches('/');
        let (store, place): (Arc<dyn ObjectStore>, String) = if prefix.is_empty() {
            (Arc::new(store), format!("S3 bucket {}", s.bucket))
        } else {
            (
                Arc::new(object_store::prefix::PrefixStore::new(store, prefix)),
                format!("S3 bucket {} under {prefix}/", s.bucket),
            )
        };
        Ok(Recordings { store, place })
    }

    /// Tries the store the way recordings use it: writes a small marker object
    /// (`.switchboard-check`). A bucket that does not exist, refused credentials or a
    /// store that cannot be reached all fail here, with the store's own words.
    pub async fn check(&self) -> anyhow::Result<()> {
        self.store
            .put(
                &Path::from(".switchboard-check"),
                PutPayload::from_static(b"ok"),
            )
            .await
            .map_err(|e| {
                anyhow::anyhow!("the recordings' {} cannot be written to: {e}", self.place)
            })?;
        Ok(())
    }

    /// Keeps a recording under `key`, whole or not at all.
    pub async fn put(&self, key: &str, audio: impl Into<PutPayload>) -> anyhow::Result<()> {
        self.store
            .put(&Path::from(key), audio.into())
            .await
            .map_err(|e| anyhow::anyhow!("storing recording {key} in the {}: {e}", self.place))?;
        Ok(())
    }

    /// A kept recording's bytes; `None` when the store has no such object.
    pub async fn get(&self, key: &str) -> anyhow::Result<Option<Vec<u8>>> {
        let err = |e: object_store::Error| {
            anyhow::anyhow!("reading recording {key} from the {}: {e}", self.place)
        };
        let got = match self.store.get(&Path::from(key)).await {
            Ok(g) => g,
            Err(object_store::Error::NotFound { .. }) => return Ok(None),
            Err(e) => return Err(err(e)),
        };
        Ok(Some(got.bytes().await.map_err(err)?.to_vec()))
    }
}

/// The key of a stored recording from what the call session keeps: the key itself, or
/// (recordings stored before keys) a file path ending in `{account}/{file}`.
pub fn key_of(stored: &str) -> String {
    let mut tail: Vec<&str> = stored.rsplit(['/', '\\']).take(2).collect();
    tail.reverse();
    tail.join("/")
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::{key_of, Recordings, S3Settings};

    #[test]
    fn an_incomplete_s3_setting_is_refused_with_what_is_missing() {
        let no_bucket = Recordings::s3(&S3Settings::default()).unwrap_err();
        assert!(
            no_bucket.to_string().contains("bucket name is missing"),
            "{no_bucket}"
        );
        let half = S3Settings {
            bucket: "calls".into(),
            access_key_id: "AKIA1".into(),
            ..S3Settings::default()
        };
        let e = Recordings::s3(&half).unwrap_err().to_string();
        assert!(e.contains("access_key_id and secret_access_key"), "{e}");
    }

    #[test]
    fn keys_and_old_paths_name_the_same_object() {
        assert_eq!(key_of("7/123.mp3"), "7/123.mp3");
        assert_eq!(key_of("data/recordings/7/123.mp3"), "7/123.mp3");
        assert_eq!(
            key_of("/var/lib/switchboard/recordings/7/123.wav"),
            "7/123.wav"
        );
    }
}
