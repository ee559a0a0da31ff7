//! Custom field definitions per account and entity.

use crate::cells::decode;
use crate::db::DbConn;
use crate::{flag, Result, StoreError};
use sb_domain::fields::{FieldDef, FieldEnum, FieldType};
use sb_domain::{AccountId, FieldId};

pub async fn insert(c: &mut impl DbConn, account: AccountId, d: &FieldDef, now: i64) -> Result<()> {
    let enums = serde_json::to_string(&d.enums).map_err(|e| StoreError::Corrupt(e.to_string()))?;
    sqlx::query(
        "insert into custom_fields (id, account_id, entity, name, code, field_type, sort, enums, is_predefined, is_deletable, created_at, updated_at) \
         values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $11)",
    )
    .bind(d.id.0)
    .bind(account.0)
    .bind(&d.entity)
    .bind(&d.name)
    .bind(d.code.clone())
    .bind(d.field_type.as_str())
    .bind(d.sort)
    .bind(enums)
    .bind(flag(d.is_predefined))
    .bind(flag(d.is_deletable))
    .bind(now)
    .execute(c.raw())
    .await?;
    Ok(())
}

pub async fn list(c: &mut impl DbConn, account: AccountId, entity: &str) -> Result<Vec<FieldDef>> {
    let rows = sqlx::query("select id, entity, name, code, field_type, sort, enums, is_predefined, is_deletable from custom_fields where account_id = $1 and entity = $2 order by sort, id")
        .bind(account.0)
        .bind(entity)
        .fetch_all(c.raw())
        .await?;
    rows.iter()
        .map(|r| {
            decode(r, |c| {
                Ok(FieldDef {
                    id: FieldId(c.next()?),
                    entity: c.next()?,
                    name: c.next()?,
                    code: c.next()?,
                    field_type: c.parse("custom_fields.field_type", FieldType::parse)?,
                    sort: c.next()?,
                    enums: c.json::<Vec<FieldEnum>>("custom_fields.enums")?,
                    is_predefined: c.flag()?,
                    is_deletable: c.flag()?,
                })
            })
        })
        .collect()
}

pub async fn delete(c: &mut impl DbConn, account: AccountId, id: FieldId) -> Result<bool> {
    let r = sqlx::query(
        "delete from custom_fields where account_id = $1 and id = $2 and is_deletable = 1",
    )
    .bind(account.0)
    .bind(id.0)
    .execute(c.raw())
    .await?;
    Ok(r.rows_affected() > 0)
}
