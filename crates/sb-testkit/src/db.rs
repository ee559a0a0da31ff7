//! Per-test databases. SQLite always (a file in a temporary folder); PostgreSQL too when
//! `SWITCHBOARD_TEST_PG_URL` points at a server (a new database is created per test).

use sb_store::{Backend, Db};
use tempfile::TempDir;

pub struct TestDb {
    pub db: Db,
    pub url: String,
    _dir: Option<TempDir>,
}

impl TestDb {
    pub fn backend(&self) -> Backend {
        self.db.backend()
    }

    pub async fn sqlite() -> TestDb {
        let dir = tempfile::tempdir().expect("temp dir");
        let url = format!("sqlite://{}?mode=rwc", dir.path().join("test.db").display());
        let db = Db::connect(&url).await.expect("open sqlite");
        db.migrate().await.expect("migrate sqlite");
        TestDb {
            db,
            url,
            _dir: Some(dir),
        }
    }

    /// A fresh database on the PostgreSQL server of `SWITCHBOARD_TEST_PG_URL`, if set.
    pub async fn postgres() -> Option<TestDb> {
        let admin_url = std::env::var("SWITCHBOARD_TEST_PG_URL")
            .ok()
            .filter(|s| !s.is_empty())?;
        let name = format!("sbtest_{}", uuid::Uuid::new_v4().simple());
        let admin = Db::connect(&admin_url)
            .await
            .expect("connect to SWITCHBOARD_TEST_PG_URL");
        admin
            .execute_admin(&format!("create database {name}"))
            .await
            .expect("create test database");
        admin.close().await;
        let url = sb_store::with_database_name(&admin_url, &name);
        let db = Db::connect(&url).await.expect("open postgres test db");
        db.migrate().await.expect("migrate postgres");
        Some(TestDb {
            db,
            url,
            _dir: None,
        })
    }
}

/// SQLite, then PostgreSQL when configured: loop over these in every storage test.
pub async fn backends() -> Vec<TestDb> {
    let mut v = vec![TestDb::sqlite().await];
    if let Some(pg) = TestDb::postgres().await {
        v.push(pg);
    }
    v
}
