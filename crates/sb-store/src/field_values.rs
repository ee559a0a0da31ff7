//! The typed index of custom-field values. An entity's values live in its JSON
//! `custom_fields` column (never queried); this table holds one row per value in a
//! filterable form — case-folded text, number, enum id — so list filters are index
//! lookups, never JSON scans. It is rewritten in the same transaction as its entity:
//! the leads and catalog modules do it themselves; for contacts and companies the
//! service calls [`rewrite`] / [`insert_many`] next to `cards::update` / `cards::insert_many`.

use crate::db::DbConn;
use crate::sql::Sql;
use crate::Result;
use sb_domain::entities::CardKind;
use sb_domain::fields::FieldValue;
use sb_domain::{AccountId, FieldId};
use serde_json::Value;
use sqlx::Row;

/// The kind of entity a value belongs to (`field_values.entity_type`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ValueOwner {
    Lead,
    Contact,
    Company,
    CatalogElement,
}

impl ValueOwner {
    pub fn as_str(self) -> &'static str {
        match self {
            ValueOwner::Lead => "leads",
            ValueOwner::Contact => "contacts",
            ValueOwner::Company => "companies",
            ValueOwner::CatalogElement => "catalog_elements",
        }
    }
}

impl From<CardKind> for ValueOwner {
    fn from(k: CardKind) -> Self {
        match k {
            CardKind::Contact => ValueOwner::Contact,
            CardKind::Company => ValueOwner::Company,
        }
    }
}

/// Indexed text is cut to this many characters, so every value fits a btree entry on
/// both backends; an equality filter compares the same cut form.
pub const MAX_TEXT_CHARS: usize = 200;

/// A filter on one custom field.
#[derive(Debug, Clone, PartialEq)]
pub enum FieldFilter {
    /// Any of these values, compared case-insensitively (numbers and checkboxes match
    /// their text form too: `"5"`, `"1"` for a checked box). An empty list matches nothing.
    Eq(Vec<String>),
    /// A number (numeric, price, date as Unix seconds, ...) in `[from, to]`; an open end
    /// is unbounded, and both open means "has a value".
    Range(Option<f64>, Option<f64>),
    /// Any of these enum ids (select, multiselect, radiobutton, multitext). An empty list matches nothing.
    Enum(Vec<i64>),
}

/// One value in its indexed form.
#[derive(Debug, Clone, PartialEq)]
pub struct IndexedValue {
    pub field_id: FieldId,
    pub value_text: Option<String>,
    pub value_num: Option<f64>,
    pub enum_id: Option<i64>,
}

/// The text form that is indexed and compared: trimmed, lowercased, cut to [`MAX_TEXT_CHARS`].
pub fn normalise_text(s: &str) -> String {
    s.trim()
        .to_lowercase()
        .chars()
        .take(MAX_TEXT_CHARS)
        .collect()
}

fn number_text(n: f64) -> String {
    if n.fract() == 0.0 && n.abs() < 1e15 {
        format!("{}", n as i64)
    } else {
        format!("{n}")
    }
}

/// The index rows of a set of stored values.
pub fn index_entries(values: &[FieldValue]) -> Vec<IndexedValue> {
    let mut out = Vec::new();
    for fv in values {
        for item in &fv.values {
            let (text, num) = match &item.value {
                Value::String(s) => (Some(normalise_text(s)).filter(|t| !t.is_empty()), None),
                Value::Number(n) => match n.as_f64().filter(|f| f.is_finite()) {
                    Some(f) => (Some(number_text(f)), Some(f)),
                    None => (None, None),
                },
                Value::Bool(b) => (
                    Some(if *b { "1" } else { "0" }.to_string()),
                    Some(if *b { 1.0 } else { 0.0 }),
                ),
                _ => (None, None),
            };
            if text.is_none() && num.is_none() && item.enum_id.is_none() {
                continue;
            }
            out.push(IndexedValue {
                field_id: fv.field_id,
                value_text: text,
                value_num: num,
                enum_id: item.enum_id,
            });
        }
    }
    out
}

const INSERT_CHUNK: usize = 500;

/// Indexes the values of many entities of one kind (new entities: nothing to delete).
pub async fn insert_many(
    c: &mut impl DbConn,
    account: AccountId,
    owner: ValueOwner,
    items: &[(i64, &[FieldValue])],
) -> Result<()> {
    let rows: Vec<(i64, IndexedValue)> = items
        .iter()
        .flat_map(|(id, values)| index_entries(values).into_iter().map(move |v| (*id, v)))
        .collect();
    for chunk in rows.chunks(INSERT_CHUNK) {
        let mut sql = Sql::new("insert into field_values (account_id, entity_type, entity_id, field_id, value_text, value_num, enum_id) values ");
        for (i, (id, v)) in chunk.iter().enumerate() {
            if i > 0 {
                sql.push(", ");
            }
            sql.push("(")
                .bind(account.0)
                .push(", ")
                .bind(owner.as_str())
                .push(", ")
                .bind(*id)
                .push(", ")
                .bind(v.field_id.0)
                .push(", ")
                .bind(v.value_text.clone())
                .push(", ")
                .bind(v.value_num)
                .push(", ")
                .bind(v.enum_id)
                .push(")");
        }
        sql.query().execute(c.raw()).await?;
    }
    Ok(())
}

/// Indexes the values of new entities that may belong to several accounts (bulk
/// inserts): one multi-row statement per account.
pub(crate) async fn insert_across_accounts(
    c: &mut impl DbConn,
    owner: ValueOwner,
    items: &[(AccountId, i64, &[FieldValue])],
) -> Result<()> {
    let mut accounts: Vec<AccountId> = items.iter().map(|x| x.0).collect();
    accounts.sort_unstable();
    accounts.dedup();
    for account in accounts {
        let these: Vec<(i64, &[FieldValue])> = items
            .iter()
            .filter(|x| x.0 == account)
            .map(|x| (x.1, x.2))
            .collect();
        insert_many(c, account, owner, &these).await?;
    }
    Ok(())
}

/// Replaces the indexed values of one entity.
pub async fn rewrite(
    c: &mut impl DbConn,
    account: AccountId,
    owner: ValueOwner,
    entity_id: i64,
    values: &[FieldValue],
) -> Result<()> {
    delete_for(c, account, owner, &[entity_id]).await?;
    insert_many(c, account, owner, &[(entity_id, values)]).await
}

/// Drops the indexed values of some entities.
pub async fn delete_for(
    c: &mut impl DbConn,
    account: AccountId,
    owner: ValueOwner,
    entity_ids: &[i64],
) -> Result<u64> {
    if entity_ids.is_empty() {
        return Ok(0);
    }
    let mut sql = Sql::new("delete from field_values where account_id = ");
    sql.bind(account.0)
        .push(" and entity_type = ")
        .bind(owner.as_str())
        .push(" and entity_id in ")
        .bind_list(entity_ids);
    Ok(sql.query().execute(c.raw()).await?.rows_affected())
}

/// Drops every indexed value of a field (when the field is deleted).
pub async fn delete_field(c: &mut impl DbConn, account: AccountId, field: FieldId) -> Result<u64> {
    let r = sqlx::query("delete from field_values where account_id = $1 and field_id = $2")
        .bind(account.0)
        .bind(field.0)
        .execute(c.raw())
        .await?;
    Ok(r.rows_affected())
}

fn is_empty(filter: &FieldFilter) -> bool {
    match filter {
        FieldFilter::Eq(v) => v.is_empty(),
        FieldFilter::Enum(v) => v.is_empty(),
        FieldFilter::Range(..) => false,
    }
}

/// Appends the conditions on `field_values fv` for one field filter. A field belongs to
/// one entity type and ids are unique, so the field id alone picks the rows: naming the
/// type as well would make the index (account_id, field_id, value, entity_id) no longer
/// enough and cost a table lookup per matching value.
fn push_conditions(sql: &mut Sql, account: AccountId, field: FieldId, filter: &FieldFilter) {
    sql.push("fv.account_id = ")
        .bind(account.0)
        .push(" and fv.field_id = ")
        .bind(field.0);
    match filter {
        FieldFilter::Eq(values) => {
            let norm: Vec<String> = values.iter().map(|v| normalise_text(v)).collect();
            sql.push(" and fv.value_text in ").bind_list(&norm);
        }
        FieldFilter::Range(from, to) => {
            sql.push(" and fv.value_num is not null");
            if let Some(f) = from {
                sql.push(" and fv.value_num >= ").bind(*f);
            }
            if let Some(t) = to {
                sql.push(" and fv.value_num <= ").bind(*t);
            }
        }
        FieldFilter::Enum(ids) => {
            sql.push(" and fv.enum_id in ").bind_list(ids);
        }
    }
}

/// How a field filter joins the list it narrows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Probe {
    /// ` and id in (entities whose field matches)`: the matching values are read from
    /// the value index first. Best when the field filter is the narrow one.
    Values,
    /// ` and exists (this entity's value matches)`, one index probe per candidate row of
    /// an ordered scan that stops at the page's end. Best when other filters (stage,
    /// responsible) already narrow the list and the field filter is a wide range: at 1M
    /// leads a 10% range made the `in` form read 100k values for a page of 50.
    PerRow(ValueOwner),
}

/// Appends the condition that `{id_expr}`'s entity has a value of `field` matching.
pub(crate) fn push_filter(
    sql: &mut Sql,
    id_expr: &str,
    account: AccountId,
    field: FieldId,
    filter: &FieldFilter,
    probe: Probe,
) {
    if is_empty(filter) {
        sql.push(" and 1 = 0");
        return;
    }
    match probe {
        Probe::Values => {
            sql.push(&format!(
                " and {id_expr} in (select fv.entity_id from field_values fv where "
            ));
        }
        Probe::PerRow(owner) => {
            sql.push(&format!(
                " and exists (select 1 from field_values fv where fv.entity_id = {id_expr} and fv.entity_type = "
            ))
            .bind(owner.as_str())
            .push(" and ");
        }
    }
    push_conditions(sql, account, field, filter);
    sql.push(")");
}

/// Ids of the entities of a kind whose field matches, ascending, at most `limit` (for
/// lists whose module has no field filter of its own, e.g. contacts and companies).
pub async fn find_entities(
    c: &mut impl DbConn,
    account: AccountId,
    field: FieldId,
    filter: &FieldFilter,
    limit: i64,
) -> Result<Vec<i64>> {
    if is_empty(filter) {
        return Ok(Vec::new());
    }
    let mut sql = Sql::new("select distinct fv.entity_id from field_values fv where ");
    push_conditions(&mut sql, account, field, filter);
    sql.push(" order by fv.entity_id limit ").bind(limit);
    let rows = sql.query().fetch_all(c.raw()).await?;
    rows.iter().map(|r| Ok(r.try_get::<i64, _>(0)?)).collect()
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use sb_domain::fields::ValueItem;
    use serde_json::json;

    fn fv(id: i64, items: Vec<(Value, Option<i64>)>) -> FieldValue {
        FieldValue {
            field_id: FieldId(id),
            values: items
                .into_iter()
                .map(|(value, enum_id)| ValueItem {
                    value,
                    enum_id,
                    enum_code: None,
                })
                .collect(),
        }
    }

    #[test]
    fn values_are_indexed_by_type() {
        let long = "X".repeat(300);
        let e = index_entries(&[
            fv(1, vec![(json!("  Hello World "), None)]),
            fv(2, vec![(json!(5.0), None), (json!(2.5), None)]),
            fv(3, vec![(json!(true), None)]),
            fv(4, vec![(json!("Option A"), Some(77))]),
            fv(
                5,
                vec![(json!(long), None), (json!(""), None), (Value::Null, None)],
            ),
        ]);
        assert_eq!(e.len(), 6);
        assert_eq!(
            e[0],
            IndexedValue {
                field_id: FieldId(1),
                value_text: Some("hello world".into()),
                value_num: None,
                enum_id: None
            }
        );
        assert_eq!(
            (e[1].value_text.as_deref(), e[1].value_num),
            (Some("5"), Some(5.0))
        );
        assert_eq!(
            (e[2].value_text.as_deref(), e[2].value_num),
            (Some("2.5"), Some(2.5))
        );
        assert_eq!(
            (e[3].value_text.as_deref(), e[3].value_num),
            (Some("1"), Some(1.0))
        );
        assert_eq!(
            (e[4].value_text.as_deref(), e[4].enum_id),
            (Some("option a"), Some(77))
        );
        assert_eq!(
            e[5].value_text.as_ref().map(|t| t.chars().count()),
            Some(MAX_TEXT_CHARS)
        );
    }
}
