//! Configuration: defaults, then `switchboard.toml`, then `SWITCHBOARD_*` environment
//! variables (`__` for nesting), then command-line flags. Read once, passed down.

use figment::providers::{Env, Format, Serialized, Toml};
use figment::Figment;
use serde::{Deserialize, Serialize};
use std::path::Path;

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// `sqlite://path?mode=rwc` (default, embedded) or `postgres://user@host/db`.
    pub database_url: String,
    /// Address to listen on.
    pub bind: String,
    /// Public base URL for links (otherwise the request's Host header is used).
    pub public_url: Option<String>,
    /// Mark the sign-in cookie `Secure` even when `public_url` is not https:// (behind a
    /// TLS proxy that sends no X-Forwarded-Proto). Over HTTPS it is always Secure.
    #[serde(default)]
    pub secure_cookies: bool,
    /// `pretty` or `json`.
    pub log_format: String,
    /// A tracing filter such as `info` or `switchboard=debug,info`.
    pub log_level: String,
    /// Where call recordings are stored (unless `recordings_s3` is set).
    pub recordings_dir: String,
    /// Keep call recordings in S3-compatible storage instead of `recordings_dir`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub recordings_s3: Option<sb_service::recordings::S3Settings>,
    /// The 256-bit key that encrypts secrets at rest (PBX secrets, webhook tokens): 64 hex
    /// digits or base64. Without it, the key in `secret_key_file` is used, generated there
    /// on first start. Never written out by `config-default` or a debug print.
    #[serde(default, skip_serializing)]
    pub secret_key: Option<KeyText>,
    /// Where the generated key is kept when `secret_key` is not set (back it up with the
    /// database: what it encrypted cannot be read without it).
    pub secret_key_file: String,
    /// Run the background job worker (recordings, call notes, tasks). Tests drain jobs by hand.
    pub workers: bool,
    /// How many job workers run (with `workers`); unset: 1 on SQLite, whose writes take
    /// turns, 4 on PostgreSQL, where they claim apart and commit in parallel.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub job_workers: Option<usize>,
    /// The account created on first start.
    pub account: AccountConfig,
}

/// A configured key: kept out of debug prints, and out of serialization by the field's
/// `skip_serializing`. A plain string inside: it lives as long as the process anyway.
#[derive(Clone, Deserialize, PartialEq)]
#[serde(transparent)]
pub struct KeyText(String);

impl KeyText {
    pub fn new(text: &str) -> KeyText {
        KeyText(text.to_string())
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for KeyText {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("<redacted>")
    }
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct AccountConfig {
    pub name: String,
    pub subdomain: String,
    /// ISO 3166 alpha-2: the default country for phone numbers without one.
    pub country: String,
    pub currency: String,
    pub timezone: String,
    pub admin_name: String,
    pub admin_email: String,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            database_url: "sqlite://data/switchboard.db?mode=rwc".into(),
            bind: "127.0.0.1:8080".into(),
            public_url: None,
            secure_cookies: false,
            log_format: "pretty".into(),
            log_level: "info".into(),
            recordings_dir: "data/recordings".into(),
            recordings_s3: None,
            secret_key: None,
            secret_key_file: "data/secret.key".into(),
            workers: true,
            job_workers: None,
            account: AccountConfig {
                name: "My company".into(),
                subdomain: "main".into(),
                country: "ES".into(),
                currency: "EUR".into(),
                timezone: "Europe/Madrid".into(),
                admin_name: "Admin".into(),
                admin_email: "admin@switchboard.local".into(),
            },
        }
    }
}

/// Flags that override everything else.
#[derive(Debug, Default, Clone, Serialize)]
pub struct Overrides {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub database_url: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub bind: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub log_format: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub public_url: Option<String>,
}

const KNOWN_ENV: &[&str] = &[
    "DATABASE_URL",
    "BIND",
    "PUBLIC_URL",
    "LOG_FORMAT",
    "LOG_LEVEL",
    "RECORDINGS_DIR",
    "RECORDINGS_S3__BUCKET",
    "RECORDINGS_S3__PREFIX",
    "RECORDINGS_S3__ENDPOINT",
    "RECORDINGS_S3__REGION",
    "RECORDINGS_S3__ACCESS_KEY_ID",
    "RECORDINGS_S3__SECRET_ACCESS_KEY",
    "SECRET_KEY",
    "SECRET_KEY_FILE",
    "WORKERS",
    "ACCOUNT__NAME",
    "ACCOUNT__SUBDOMAIN",
    "ACCOUNT__COUNTRY",
    "ACCOUNT__CURRENCY",
    "ACCOUNT__TIMEZONE",
    "ACCOUNT__ADMIN_NAME",
    "ACCOUNT__ADMIN_EMAIL",
];

/// `SWITCHBOARD_*` variables that are not configuration keys: read by the test suite
/// (`TEST_*`) or naming the configuration file.
const NOT_KEYS: &[&str] = &["TEST_PG_URL", "TEST_S3_SERVER", "CONFIG"];

impl Config {
    pub fn load(
        file: Option<&Path>,
        overrides: Overrides,
    ) -> anyhow::Result<(Config, Vec<String>)> {
        let path = file
            .map(Path::to_path_buf)
            .unwrap_or_else(|| "switchboard.toml".into());
        if file.is_some() && !path.exists() {
            anyhow::bail!("config file {} does not exist", path.display());
        }
        let fig = Figment::from(Serialized::defaults(Config::default()))
            .merge(Toml::file(&path))
            .merge(Env::prefixed("SWITCHBOARD_").split("__").ignore(NOT_KEYS))
            .merge(Serialized::defaults(overrides));
        let cfg: Config = fig
            .extract()
            .map_err(|e| anyhow::anyhow!("invalid configuration: {e}"))?;
        let warnings = std::env::vars()
            .filter_map(|(k, _)| k.strip_prefix("SWITCHBOARD_").map(str::to_string))
            .filter(|k| !KNOWN_ENV.contains(&k.as_str()) && !NOT_KEYS.contains(&k.as_str()))
            .map(|k| format!("unknown environment variable SWITCHBOARD_{k} is ignored"))
            .collect();
        if !matches!(cfg.log_format.as_str(), "pretty" | "json") {
            anyhow::bail!(
                "log_format must be pretty or json, got {:?}",
                cfg.log_format
            );
        }
        Ok((cfg, warnings))
    }

    pub fn default_toml() -> String {
        toml_of(&Config::default())
    }
}

fn toml_of(c: &Config) -> String {
    let a = &c.account;
    format!(
        "# Switchboard configuration. Every key can also be set as SWITCHBOARD_<KEY> (nested: SWITCHBOARD_ACCOUNT__COUNTRY).\n\
         database_url = {:?}\nbind = {:?}\n# public_url = \"https://crm.example.com\"\nsecure_cookies = {}\nlog_format = {:?}\nlog_level = {:?}\nrecordings_dir = {:?}\nworkers = {}\n# job_workers = 1                # default: 1 on SQLite, 4 on PostgreSQL\n\n\
         # Secrets at rest (PBX secrets, webhook tokens) are encrypted with secret_key (64 hex digits;\n\
         # better set as SWITCHBOARD_SECRET_KEY), or else with the key generated on first start into\n\
         # secret_key_file. Back the key up with the database: without it they cannot be read.\n\
         # secret_key = \"...\"\nsecret_key_file = {:?}\n\n\
         # Keep call recordings in S3-compatible storage instead of recordings_dir:\n\
         # [recordings_s3]\n# bucket = \"call-recordings\"\n# prefix = \"switchboard\"\n# endpoint = \"https://s3.example.com\"   # empty: AWS\n\
         # region = \"eu-west-1\"\n# access_key_id = \"...\"                      # empty: the AWS_* environment variables\n# secret_access_key = \"...\"\n\n\
         # The account created on first start.\n[account]\nname = {:?}\nsubdomain = {:?}\ncountry = {:?}\ncurrency = {:?}\ntimezone = {:?}\nadmin_name = {:?}\nadmin_email = {:?}\n",
        c.database_url, c.bind, c.secure_cookies, c.log_format, c.log_level, c.recordings_dir, c.workers, c.secret_key_file, a.name, a.subdomain, a.country, a.currency, a.timezone, a.admin_name, a.admin_email
    )
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn load(toml: &str) -> anyhow::Result<Config> {
        let dir = tempfile::tempdir()?;
        let path = dir.path().join("switchboard.toml");
        std::fs::write(&path, toml)?;
        Ok(Config::load(Some(&path), Overrides::default())?.0)
    }

    #[test]
    fn the_written_default_reads_back_as_the_default() {
        assert_eq!(load(&Config::default_toml()).unwrap(), Config::default());
    }

    #[test]
    fn recordings_can_go_to_an_s3_bucket_and_its_secret_is_never_printed() {
        let c = load(
            "[recordings_s3]\nbucket = \"calls\"\nendpoint = \"http://127.0.0.1:9000\"\n\
             access_key_id = \"AKIA1\"\nsecret_access_key = \"very-secret\"\n",
        )
        .unwrap();
        let s3 = c.recordings_s3.clone().unwrap();
        assert_eq!((s3.bucket.as_str(), s3.prefix.as_str()), ("calls", ""));
        assert_eq!(s3.endpoint, "http://127.0.0.1:9000");
        assert!(!format!("{c:?}").contains("very-secret"));
        let typo = load("[recordings_s3]\nbuckett = \"calls\"\n").unwrap_err();
        assert!(typo.to_string().contains("buckett"), "{typo}");
    }

    #[test]
    fn the_secret_key_is_read_but_never_printed() {
        let key = "ab".repeat(32);
        let c = load(&format!("secret_key = \"{key}\"\n")).unwrap();
        assert_eq!(c.secret_key, Some(KeyText::new(&key)));
        assert!(!format!("{c:?}").contains(&key));
        assert!(!Config::default_toml().contains(&key));
        assert!(Config::default_toml().contains("secret_key_file = \"data/secret.key\""));
    }
}
