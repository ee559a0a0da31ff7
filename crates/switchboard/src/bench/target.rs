//! The database a benchmark runs on: always a fresh one, removed afterwards.

use crate::config::Config;
use anyhow::Context;
use sb_store::{Backend, Db};
use std::path::PathBuf;
use std::time::{SystemTime, UNIX_EPOCH};

pub struct BenchDb {
    pub db: Db,
    pub backend: Backend,
    /// What to show the reader: the SQLite file or the PostgreSQL database name.
    pub location: String,
    /// The URL another process opens this database with (`bench live`'s servers).
    pub url: String,
    cleanup: Cleanup,
}

enum Cleanup {
    /// A temporary folder holding the SQLite file.
    Dir(PathBuf),
    /// A SQLite file the user named: kept.
    Keep,
    /// A database created on a PostgreSQL server: dropped through the admin URL.
    PgDatabase { admin_url: String, name: String },
}

fn stamp() -> String {
    let ms = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis())
        .unwrap_or_default();
    format!("{ms}_{}", std::process::id())
}

impl BenchDb {
    /// A new SQLite file in a temporary folder when the configuration names the default
    /// database; a new SQLite file at the given path (refused if it exists); or a new
    /// database `sbbench_<ts>` on the given PostgreSQL server.
    pub async fn open(config: &Config) -> anyhow::Result<BenchDb> {
        let url = config.database_url.as_str();
        if url.starts_with("postgres:") || url.starts_with("postgresql:") {
            return Self::postgres(url).await;
        }
        if !url.starts_with("sqlite:") {
            anyhow::bail!("unsupported database url {url:?}: use sqlite://... or postgres://...");
        }
        if url == Config::default().database_url {
            let dir = std::env::temp_dir().join(format!("sbbench_{}", stamp()));
            std::fs::create_dir_all(&dir).with_context(|| format!("creating {}", dir.display()))?;
            let file = dir.join("bench.db");
            let url = format!("sqlite://{}?mode=rwc", file.display());
            let db = Db::connect(&url).await?;
            return Ok(BenchDb {
                db,
                backend: Backend::Sqlite,
                location: file.display().to_string(),
                url,
                cleanup: Cleanup::Dir(dir),
            });
        }
        let path = url
            .trim_start_matches("sqlite://")
            .trim_start_matches("sqlite:");
        let path = path.split('?').next().unwrap_or_default();
        if path.is_empty() || path.contains(":memory:") {
            anyhow::bail!("the benchmark needs a file database, got {url:?}");
        }
        if std::path::Path::new(path).exists() {
            anyhow::bail!("{path} exists: the benchmark only runs on a fresh database (omit --database-url for a temporary one)");
        }
        let url = format!("sqlite://{path}?mode=rwc");
        let db = Db::connect(&url).await?;
        Ok(BenchDb {
            db,
            backend: Backend::Sqlite,
            location: path.to_string(),
            url,
            cleanup: Cleanup::Keep,
        })
    }

    async fn postgres(admin_url: &str) -> anyhow::Result<BenchDb> {
        let name = format!("sbbench_{}", stamp());
        let admin = Db::connect(admin_url)
            .await
            .context("connecting to the PostgreSQL server")?;
        let created = admin
            .execute_admin(&format!("create database {name}"))
            .await;
        admin.close().await;
        created.with_context(|| format!("creating database {name}"))?;
        let url = sb_store::with_database_name(admin_url, &name);
        let cleanup = Cleanup::PgDatabase {
            admin_url: admin_url.to_string(),
            name: name.clone(),
        };
        match Db::connect(&url).await {
            Ok(db) => Ok(BenchDb {
                db,
                backend: Backend::Postgres,
                location: format!("database {name}"),
                url,
                cleanup,
            }),
            Err(e) => {
                drop_pg(admin_url, &name).await;
                Err(anyhow::Error::from(e).context(format!("opening database {name}")))
            }
        }
    }

    /// Size on disk after the run (SQLite: the file and its WAL; PostgreSQL: the database).
    pub fn size_bytes(&self) -> Option<u64> {
        match self.backend {
            Backend::Sqlite => {
                let main = std::fs::metadata(&self.location).ok()?.len();
                let wal = std::fs::metadata(format!("{}-wal", self.location))
                    .map(|m| m.len())
                    .unwrap_or(0);
                Some(main + wal)
            }
            Backend::Postgres => None,
        }
    }

    /// Closes the database and removes what [`BenchDb::open`] created.
    pub async fn finish(self) {
        self.db.close().await;
        match self.cleanup {
            Cleanup::Dir(dir) => {
                if let Err(e) = std::fs::remove_dir_all(&dir) {
                    println!("could not remove {}: {e}", dir.display());
                } else {
                    println!("removed {}", dir.display());
                }
            }
            Cleanup::Keep => println!("kept {}", self.location),
            Cleanup::PgDatabase { admin_url, name } => drop_pg(&admin_url, &name).await,
        }
    }
}

async fn drop_pg(admin_url: &str, name: &str) {
    let dropped = match Db::connect(admin_url).await {
        Ok(admin) => {
            let r = admin
                .execute_admin(&format!("drop database if exists {name} with (force)"))
                .await;
            admin.close().await;
            r.map_err(anyhow::Error::from)
        }
        Err(e) => Err(e.into()),
    };
    match dropped {
        Ok(()) => println!("dropped database {name}"),
        Err(e) => println!("could not drop database {name} (drop it by hand): {e:#}"),
    }
}

/// The server a benchmark measures, built on its fresh database (no background
/// workers, recordings under `recordings`), with the account's first admin.
pub async fn fresh_app(
    target: &BenchDb,
    config: &Config,
    recordings: &std::path::Path,
) -> anyhow::Result<(crate::App, sb_service::Actor)> {
    let mut cfg = config.clone();
    cfg.bind = "127.0.0.1:0".into();
    cfg.workers = false;
    cfg.recordings_dir = recordings.display().to_string();
    let clock = std::sync::Arc::new(sb_service::SystemClock);
    let app = crate::App::build_on(target.db.clone(), &cfg, clock).await?;
    let fl = app
        .first_login
        .clone()
        .ok_or_else(|| anyhow::anyhow!("the benchmark database is not fresh"))?;
    let admin = sb_service::Actor {
        user: fl.admin,
        account: fl.account,
    };
    Ok((app, admin))
}
