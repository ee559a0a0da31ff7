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
    /// Bounds on what one client may send or hold open.
    #[serde(default)]
    pub limits: LimitsConfig,
}

/// What one client may send or hold open; past each, a clear error (and the server goes on
/// answering everyone else, health checks included).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct LimitsConfig {
    /// Largest request body, in bytes: 413 past it. Default 2 MiB.
    pub max_body_bytes: usize,
    /// Longest request address (path and query), in bytes: 414 past it. Default 8 KiB.
    pub max_uri_bytes: usize,
    /// Largest request head (request line and headers), in bytes: 431 past it, and the
    /// connection is closed. Default 16 KiB.
    pub max_header_bytes: usize,
    /// Seconds a client has to send a request's headers, on a new connection and between
    /// the requests of a kept-alive one; then the connection is closed (slow clients and
    /// idle connections do not hold places). Default 10.
    pub header_timeout_secs: u64,
    /// Connections served at once; one more is answered 503 and closed (file
    /// descriptors are never exhausted). Live sockets are counted apart. Default 4096.
    pub max_connections: usize,
    /// Live connections one user may have open at once (the browser's `/live` sockets
    /// and the API's `/api/v4/calls/live` event streams): the next is answered 429.
    /// Default 16.
    pub sockets_per_user: usize,
    /// Live connections this server keeps open in all. Default 4096.
    pub max_sockets: usize,
}

impl Default for LimitsConfig {
    fn default() -> Self {
        let web = sb_web::state::limits::Limits::default();
        LimitsConfig {
            max_body_bytes: web.body_bytes,
            max_uri_bytes: web.uri_bytes,
            max_header_bytes: 16 * 1024,
            header_timeout_secs: 10,
            max_connections: 4096,
            sockets_per_user: web.sockets_per_user,
            max_sockets: web.sockets_total,
        }
    }
}

impl LimitsConfig {
    /// The limits the routes apply.
    pub fn web(&self) -> sb_web::state::limits::Limits {
        sb_web::state::limits::Limits {
            body_bytes: self.max_body_bytes,
            uri_bytes: self.max_uri_bytes,
            sockets_per_user: self.sockets_per_user,
            sockets_total: self.max_sockets,
        }
    }

    fn check(&self) -> anyhow::Result<()> {
        for (key, v) in [
            ("max_body_bytes", self.max_body_bytes),
            ("max_uri_bytes", self.max_uri_bytes),
            ("max_header_bytes", self.max_header_bytes),
            ("header_timeout_secs", self.header_timeout_secs as usize),
            ("max_connections", self.max_connections),
            ("sockets_per_user", self.sockets_per_user),
            ("max_sockets", self.max_sockets),
        ] {
            if v == 0 {
                anyhow::bail!("limits.{key} must be at least 1");
            }
        }
        // A semaphore holds at most this many.
        if self.max_connections > u32::MAX as usize >> 3 {
            anyhow::bail!("limits.max_connections is too large");
        }
        Ok(())
    }
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
            limits: LimitsConfig::default(),
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
    "SECURE_COOKIES",
    "WORKERS",
    "JOB_WORKERS",
    "LIMITS__MAX_BODY_BYTES",
    "LIMITS__MAX_URI_BYTES",
    "LIMITS__MAX_HEADER_BYTES",
    "LIMITS__HEADER_TIMEOUT_SECS",
    "LIMITS__MAX_CONNECTIONS",
    "LIMITS__SOCKETS_PER_USER",
    "LIMITS__MAX_SOCKETS",
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
        cfg.limits.check()?;
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
    let l = &c.limits;
    let limits = format!(
        "# What one client may send or hold open (past each: a clear 4xx/503, and the server goes on answering).\n\
         [limits]\n\
         max_body_bytes = {}        # request body: 413 past it\n\
         max_uri_bytes = {}            # path and query: 414\n\
         max_header_bytes = {}        # request line and headers: 431\n\
         header_timeout_secs = {}        # to send the headers (also between kept-alive requests), then closed\n\
         max_connections = {}          # at once; one more gets 503\n\
         sockets_per_user = {}          # live connections (sockets, event streams) per user; one more gets 429\n\
         max_sockets = {}              # live connections in all\n\n",
        l.max_body_bytes,
        l.max_uri_bytes,
        l.max_header_bytes,
        l.header_timeout_secs,
        l.max_connections,
        l.sockets_per_user,
        l.max_sockets
    );
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
         {limits}# The account created on first start.\n[account]\nname = {:?}\nsubdomain = {:?}\ncountry = {:?}\ncurrency = {:?}\ntimezone = {:?}\nadmin_name = {:?}\nadmin_email = {:?}\n",
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
    fn every_key_is_known_as_an_environment_variable() {
        fn walk(prefix: &str, v: &serde_json::Value, out: &mut Vec<String>) {
            if let serde_json::Value::Object(o) = v {
                for (k, v) in o {
                    let key = format!("{prefix}{}", k.to_ascii_uppercase());
                    match v {
                        serde_json::Value::Object(_) => walk(&format!("{key}__"), v, out),
                        _ => out.push(key),
                    }
                }
            }
        }
        let mut keys = Vec::new();
        walk(
            "",
            &serde_json::to_value(Config::default()).unwrap(),
            &mut keys,
        );
        let unknown: Vec<_> = keys
            .iter()
            .filter(|k| !KNOWN_ENV.contains(&k.as_str()))
            .collect();
        assert!(unknown.is_empty(), "not in KNOWN_ENV: {unknown:?}");
        assert!(keys.contains(&"LIMITS__MAX_CONNECTIONS".to_string()));
    }

    #[test]
    fn limits_are_read_checked_and_their_typos_refused() {
        let c = load("[limits]\nmax_connections = 100\nsockets_per_user = 2\n").unwrap();
        assert_eq!(c.limits.max_connections, 100);
        assert_eq!(c.limits.web().sockets_per_user, 2);
        assert_eq!(
            c.limits.max_body_bytes,
            LimitsConfig::default().max_body_bytes
        );
        let typo = load("[limits]\nmax_conections = 100\n").unwrap_err();
        assert!(typo.to_string().contains("max_conections"), "{typo}");
        let zero = load("[limits]\nheader_timeout_secs = 0\n").unwrap_err();
        assert!(
            zero.to_string().contains("limits.header_timeout_secs"),
            "{zero}"
        );
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
