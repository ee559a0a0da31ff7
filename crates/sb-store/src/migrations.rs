//! Embedded migrations. Both backends share one list of versions and names, so they
//! cannot drift apart in numbering; a test checks they also produce the same tables and
//! columns. Applied migrations are never edited: add a new version instead.

use crate::cells::decode;
use crate::db::DbConn;
use crate::{Backend, Db, Result};
use sqlx::Executor;

pub struct Migration {
    pub version: i64,
    pub name: &'static str,
    pub sqlite: &'static str,
    pub postgres: &'static str,
}

macro_rules! migration {
    ($v:expr, $name:literal) => {
        Migration {
            version: $v,
            name: $name,
            sqlite: include_str!(concat!("../migrations/sqlite/", $name, ".sql")),
            postgres: include_str!(concat!("../migrations/postgres/", $name, ".sql")),
        }
    };
}

pub const MIGRATIONS: &[Migration] = &[
    migration!(1, "0001_foundation"),
    migration!(2, "0002_telephony"),
    migration!(3, "0003_crm"),
    migration!(4, "0004_crm_more"),
    migration!(5, "0005_field_filter_index"),
    migration!(6, "0006_id_nodes"),
    migration!(7, "0007_entity_type_spelling"),
    migration!(8, "0008_web_sessions"),
    migration!(9, "0009_incoming"),
    migration!(10, "0010_list_order_indexes"),
    migration!(11, "0011_integration_alerts"),
    migration!(12, "0012_sealed_webhook_tokens"),
];

/// Applies the migrations up to `version` only: for tests of a later migration, which
/// write rows as an earlier schema had them and then migrate the rest.
#[doc(hidden)]
pub async fn migrate_to(db: &Db, version: i64) -> Result<()> {
    run_to(db, Some(version)).await
}

/// Applies every migration not yet applied.
pub(crate) async fn run(db: &Db) -> Result<()> {
    run_to(db, None).await
}

/// Applies every migration not yet applied up to `upto` (all of them: `None`).
async fn run_to(db: &Db, upto: Option<i64>) -> Result<()> {
    let mut tx = db.begin().await?;
    tx.raw()
        .execute("create table if not exists schema_migrations (version bigint primary key, name text not null, applied_at bigint not null)")
        .await?;
    tx.commit().await?;
    for m in MIGRATIONS
        .iter()
        .filter(|m| upto.is_none_or(|v| m.version <= v))
    {
        let mut tx = db.begin().await?;
        let done = sqlx::query("select version from schema_migrations where version = $1")
            .bind(m.version)
            .fetch_optional(tx.raw())
            .await?;
        if done.is_some() {
            continue;
        }
        let body = match db.backend() {
            Backend::Sqlite => m.sqlite,
            Backend::Postgres => m.postgres,
        };
        tracing::info!(version = m.version, name = m.name, "applying migration");
        sqlx::raw_sql(body).execute(tx.raw()).await?;
        sqlx::query(
            "insert into schema_migrations (version, name, applied_at) values ($1, $2, $3)",
        )
        .bind(m.version)
        .bind(m.name)
        .bind(now_ms())
        .execute(tx.raw())
        .await?;
        tx.commit().await?;
    }
    Ok(())
}

fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
}

/// Every (table, column) of the schema, sorted: the same list on both backends.
pub async fn schema_columns(db: &Db) -> Result<Vec<(String, String)>> {
    let sql = match db.backend() {
        Backend::Sqlite => {
            "select m.name, p.name from sqlite_master m join pragma_table_info(m.name) p \
             where m.type = 'table' and m.name not like 'sqlite_%' order by 1, 2"
        }
        Backend::Postgres => {
            "select cast(table_name as text), cast(column_name as text) from information_schema.columns \
             where table_schema = current_schema() order by 1, 2"
        }
    };
    let mut c = db.conn().await?;
    let rows = sqlx::query(sql).fetch_all(c.raw()).await?;
    let mut out = Vec::with_capacity(rows.len());
    for r in rows {
        out.push(decode(&r, |c| {
            Ok((c.next::<String>()?, c.next::<String>()?))
        })?);
    }
    Ok(out)
}
