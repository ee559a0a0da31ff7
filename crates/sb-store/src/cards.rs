//! Contacts and companies ("cards"): the entities telephony identifies by phone. Both
//! tables have the same columns, so one implementation serves both; the phone index
//! (`phones`) is rewritten in the same transaction as its card.

use crate::cells::{decode, Cells};
use crate::db::{DbConn, Tx};
use crate::sql::{bulk_shape, row_of, statement_sizes, values_sql, Sql};
use crate::{flag, Result, StoreError};
use sb_domain::entities::{Card, CardKind, PhoneMatch};
use sb_domain::fields::FieldValue;
use sb_domain::{AccountId, CompanyId, EntityKind, Phone, UserId, Visibility};
use sqlx::any::AnyRow;
use sqlx::Row;

const COLUMNS: &str = "id, account_id, name, first_name, last_name, responsible_user_id, company_id, created_by, updated_by, created_at, updated_at, is_deleted, custom_fields";

fn table(kind: CardKind) -> &'static str {
    match kind {
        CardKind::Contact => "contacts",
        CardKind::Company => "companies",
    }
}

/// A row of [`COLUMNS`].
fn from_row(kind: CardKind, r: &AnyRow) -> Result<Card> {
    decode(r, |c| {
        Ok(Card {
            id: c.next()?,
            kind,
            account_id: AccountId(c.next()?),
            name: c.next()?,
            first_name: c.next()?,
            last_name: c.next()?,
            responsible_user_id: c.next::<Option<i64>>()?.map(UserId),
            company_id: c.next::<Option<i64>>()?.map(CompanyId),
            created_by: UserId(c.next()?),
            updated_by: UserId(c.next()?),
            created_at: c.next()?,
            updated_at: c.next()?,
            is_deleted: c.flag()?,
            custom_fields: c.json::<Vec<FieldValue>>(match kind {
                CardKind::Contact => "contacts.custom_fields",
                CardKind::Company => "companies.custom_fields",
            })?,
        })
    })
}

/// A phone of a card as indexed for caller ID.
#[derive(Debug, Clone, PartialEq)]
pub struct CardPhone {
    pub phone: Phone,
    pub enum_code: Option<String>,
}

/// A card with the phones to index for it.
#[derive(Debug, Clone)]
pub struct CardWrite {
    pub card: Card,
    pub phones: Vec<CardPhone>,
}

/// Appends the SQL for a visibility scope on `alias.responsible_user_id`.
pub(crate) fn push_visibility(sql: &mut Sql, alias: &str, account: AccountId, vis: Visibility) {
    match vis {
        Visibility::All => {}
        Visibility::Own(u) => {
            sql.push(&format!(" and {alias}.responsible_user_id = "))
                .bind(u.0);
        }
        Visibility::Group(g) => {
            sql.push(&format!(
                " and {alias}.responsible_user_id in (select id from users where account_id = "
            ))
            .bind(account.0)
            .push(" and group_id = ")
            .bind(g.0)
            .push(")");
        }
        Visibility::None => {
            sql.push(" and 1 = 0");
        }
    }
}

const CARD_BINDS: usize = 13;
const PHONE_BINDS: usize = 8;

/// Inserts cards of one kind and their phones, in multi-row statements.
pub async fn insert_many(c: &mut impl DbConn, kind: CardKind, items: &[CardWrite]) -> Result<()> {
    let prefix = format!("insert into {} ({COLUMNS}) values ", table(kind));
    let shape = bulk_shape(c);
    let mut rest = items;
    for size in statement_sizes(items.len(), shape.max_binds / CARD_BINDS) {
        let (chunk, tail) = rest.split_at(size);
        rest = tail;
        let cfs = chunk
            .iter()
            .map(|w| serde_json::to_string(&w.card.custom_fields))
            .collect::<Result<Vec<String>, _>>()
            .map_err(|e| StoreError::Corrupt(e.to_string()))?;
        let sql = values_sql(&prefix, size, &row_of(CARD_BINDS), shape.anonymous);
        let mut q = sqlx::query(&sql);
        for (w, cf) in chunk.iter().zip(&cfs) {
            let k = &w.card;
            q = q
                .bind(k.id)
                .bind(k.account_id.0)
                .bind(k.name.as_str())
                .bind(k.first_name.as_str())
                .bind(k.last_name.as_str())
                .bind(k.responsible_user_id.map(|u| u.0))
                .bind(k.company_id.map(|u| u.0))
                .bind(k.created_by.0)
                .bind(k.updated_by.0)
                .bind(k.created_at)
                .bind(k.updated_at)
                .bind(flag(k.is_deleted))
                .bind(cf.as_str());
        }
        q.execute(c.raw()).await?;
    }
    let phones: Vec<(&Card, usize, &CardPhone)> = items
        .iter()
        .flat_map(|w| {
            w.phones
                .iter()
                .enumerate()
                .map(move |(i, p)| (&w.card, i, p))
        })
        .collect();
    insert_phones(c, &phones).await
}

async fn insert_phones(c: &mut impl DbConn, phones: &[(&Card, usize, &CardPhone)]) -> Result<()> {
    let shape = bulk_shape(c);
    let mut rest = phones;
    for size in statement_sizes(phones.len(), shape.max_binds / PHONE_BINDS) {
        let (chunk, tail) = rest.split_at(size);
        rest = tail;
        let revs: Vec<String> = chunk
            .iter()
            .map(|(_, _, p)| p.phone.reversed_digits())
            .collect();
        let sql = values_sql("insert into phones (account_id, entity_type, entity_id, position, raw, e164, rev_digits, enum_code) values ", size, &row_of(PHONE_BINDS), shape.anonymous);
        let mut q = sqlx::query(&sql);
        for ((card, pos, p), rev) in chunk.iter().zip(&revs) {
            q = q
                .bind(card.account_id.0)
                .bind(card.kind.entity_kind().as_str())
                .bind(card.id)
                .bind(*pos as i64)
                .bind(p.phone.raw.as_str())
                .bind(p.phone.e164.as_deref())
                .bind(rev.as_str())
                .bind(p.enum_code.as_deref());
        }
        q.execute(c.raw()).await?;
    }
    Ok(())
}

/// Rewrites a card's row and its phone index.
pub async fn update(c: &mut impl DbConn, w: &CardWrite) -> Result<()> {
    let k = &w.card;
    let cf =
        serde_json::to_string(&k.custom_fields).map_err(|e| StoreError::Corrupt(e.to_string()))?;
    let done = sqlx::query(&format!(
        "update {} set name = $1, first_name = $2, last_name = $3, responsible_user_id = $4, company_id = $5, updated_by = $6, updated_at = $7, is_deleted = $8, custom_fields = $9 \
         where account_id = $10 and id = $11",
        table(k.kind)
    ))
    .bind(&k.name)
    .bind(&k.first_name)
    .bind(&k.last_name)
    .bind(k.responsible_user_id.map(|u| u.0))
    .bind(k.company_id.map(|u| u.0))
    .bind(k.updated_by.0)
    .bind(k.updated_at)
    .bind(flag(k.is_deleted))
    .bind(cf)
    .bind(k.account_id.0)
    .bind(k.id)
    .execute(c.raw())
    .await?;
    if done.rows_affected() == 0 {
        return Err(StoreError::NotFound);
    }
    sqlx::query("delete from phones where account_id = $1 and entity_type = $2 and entity_id = $3")
        .bind(k.account_id.0)
        .bind(k.kind.entity_kind().as_str())
        .bind(k.id)
        .execute(c.raw())
        .await?;
    let phones: Vec<(&Card, usize, &CardPhone)> = w
        .phones
        .iter()
        .enumerate()
        .map(|(i, p)| (k, i, p))
        .collect();
    insert_phones(c, &phones).await
}

/// Marks cards deleted (they leave lists, search and caller ID; their rows stay);
/// returns how many were live.
pub async fn delete(
    c: &mut impl DbConn,
    account: AccountId,
    kind: CardKind,
    ids: &[i64],
    by: UserId,
    now: i64,
) -> Result<u64> {
    crate::sql::mark_deleted(c, table(kind), account, ids, by, now).await
}

pub async fn get(
    c: &mut impl DbConn,
    account: AccountId,
    kind: CardKind,
    id: i64,
    vis: Visibility,
) -> Result<Option<Card>> {
    Ok(get_many(c, account, kind, &[id], vis).await?.pop())
}

/// The cards among `ids` that exist in the account and are inside the scope.
pub async fn get_many(
    c: &mut impl DbConn,
    account: AccountId,
    kind: CardKind,
    ids: &[i64],
    vis: Visibility,
) -> Result<Vec<Card>> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let sql = many_sql(account, kind, ids, vis);
    let rows = sql.query().fetch_all(c.raw()).await?;
    rows.iter().map(|r| from_row(kind, r)).collect()
}

/// [`get_many`] for an update: the rows as they are now, held until `tx` ends, so the
/// update builds on them and no concurrent update's change is written over.
pub async fn lock_many(
    tx: &mut Tx,
    account: AccountId,
    kind: CardKind,
    ids: &[i64],
    vis: Visibility,
) -> Result<Vec<Card>> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let mut sql = many_sql(account, kind, ids, vis);
    lock_rows(&mut sql, tx, "k");
    let rows = sql.query().fetch_all(tx.raw()).await?;
    rows.iter().map(|r| from_row(kind, r)).collect()
}

fn many_sql(account: AccountId, kind: CardKind, ids: &[i64], vis: Visibility) -> Sql {
    let mut sql = Sql::new(&format!(
        "select {COLUMNS} from {} k where k.account_id = ",
        table(kind)
    ));
    sql.bind(account.0)
        .push(" and k.is_deleted = 0 and k.id in ")
        .bind_list(ids);
    push_visibility(&mut sql, "k", account, vis);
    sql
}

/// Ends a read of rows an update builds on, in the update's transaction, so that the
/// rows cannot change before it commits. PostgreSQL: `for update` locks them (a
/// concurrent update of the same rows waits, then reads what this one wrote), in id
/// order so two batches naming the same rows in different orders cannot deadlock.
/// SQLite has no row locks and needs none: a [`Tx`] holds the database's only turn to
/// write from `begin` (the write gate, see [`crate::lite`]), so no other writer, sqlx's
/// or the fast lane's, runs until it ends, and its reads see the latest commit.
pub(crate) fn lock_rows(sql: &mut Sql, tx: &Tx, alias: &str) {
    sql.push(&format!(" order by {alias}.id"));
    if tx.is_postgres() {
        sql.push(&format!(" for update of {alias}"));
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum OrderBy {
    #[default]
    Id,
    CreatedAt,
    UpdatedAt,
    /// By name, case-insensitively (the lists' "sort by name"), ties by id.
    Name,
}

#[derive(Debug, Clone, Default)]
pub struct CardFilter {
    pub ids: Vec<i64>,
    pub responsible: Vec<i64>,
    pub created_from: Option<i64>,
    pub created_to: Option<i64>,
    pub updated_from: Option<i64>,
    pub updated_to: Option<i64>,
    /// Case-insensitive substring over name, first and last name.
    pub text: Option<String>,
    /// Digits of a phone number: matches cards with a phone ending in its last digits.
    pub phone_digits: Option<String>,
    pub company_id: Option<i64>,
    /// Custom-field filters through the `field_values` index, all of which must match.
    pub fields: Vec<(sb_domain::FieldId, crate::field_values::FieldFilter)>,
    /// Cards carrying any of these tags.
    pub tag_ids: Vec<i64>,
    pub order_by: OrderBy,
    pub desc: bool,
    pub limit: i64,
    pub offset: i64,
}

pub async fn list(
    c: &mut impl DbConn,
    account: AccountId,
    kind: CardKind,
    f: &CardFilter,
    vis: Visibility,
) -> Result<Vec<Card>> {
    let mut sql = Sql::new(&format!(
        "select {COLUMNS} from {} k where k.account_id = ",
        table(kind)
    ));
    sql.bind(account.0).push(" and k.is_deleted = 0");
    push_visibility(&mut sql, "k", account, vis);
    if !f.ids.is_empty() {
        sql.push(" and k.id in ").bind_list(&f.ids);
    }
    if !f.responsible.is_empty() {
        sql.push(" and k.responsible_user_id in ")
            .bind_list(&f.responsible);
    }
    for (col, from, to) in [
        ("created_at", f.created_from, f.created_to),
        ("updated_at", f.updated_from, f.updated_to),
    ] {
        if let Some(v) = from {
            sql.push(&format!(" and k.{col} >= ")).bind(v);
        }
        if let Some(v) = to {
            sql.push(&format!(" and k.{col} <= ")).bind(v);
        }
    }
    if let Some(cid) = f.company_id {
        sql.push(" and k.company_id = ").bind(cid);
    }
    if let Some(t) = &f.text {
        let pat = format!("%{}%", t.to_lowercase().replace(['\\', '%', '_'], ""));
        sql.push(" and (lower(k.name) like ")
            .bind(pat.clone())
            .push(" or lower(k.first_name) like ")
            .bind(pat.clone())
            .push(" or lower(k.last_name) like ")
            .bind(pat.clone())
            .push(" or k.id in (select fv.entity_id from field_values fv where fv.account_id = ")
            .bind(account.0)
            .push(" and fv.entity_type = ")
            .bind(crate::field_values::ValueOwner::from(kind).as_str())
            .push(" and fv.value_text like ")
            .bind(pat)
            .push("))");
    }
    for (field, filter) in &f.fields {
        crate::field_values::push_filter(
            &mut sql,
            "k.id",
            account,
            *field,
            filter,
            crate::field_values::Probe::Values,
        );
    }
    if !f.tag_ids.is_empty() {
        sql.push(" and k.id in (select et.entity_id from entity_tags et where et.account_id = ")
            .bind(account.0)
            .push(" and et.entity_type = ")
            .bind(kind.entity_kind().as_str())
            .push(" and et.tag_id in ")
            .bind_list(&f.tag_ids)
            .push(")");
    }
    if let Some(d) = &f.phone_digits {
        match sb_domain::phone::suffix_range_of(d) {
            Some((lo, hi)) => {
                sql.push(" and k.id in (select p.entity_id from phones p where p.account_id = ")
                    .bind(account.0)
                    .push(" and p.entity_type = ")
                    .bind(kind.entity_kind().as_str())
                    .push(" and p.rev_digits >= ")
                    .bind(lo)
                    .push(" and p.rev_digits < ")
                    .bind(hi)
                    .push(")");
            }
            None => {
                sql.push(" and 1 = 0");
            }
        }
    }
    let col = match f.order_by {
        OrderBy::Id => "k.id",
        OrderBy::CreatedAt => "k.created_at",
        OrderBy::UpdatedAt => "k.updated_at",
        OrderBy::Name => "lower(k.name)",
    };
    let dir = if f.desc { "desc" } else { "asc" };
    sql.push(&format!(" order by {col} {dir}, k.id {dir} limit "))
        .bind(f.limit)
        .push(" offset ")
        .bind(f.offset);
    let rows = sql.query().fetch_all(c.raw()).await?;
    rows.iter().map(|r| from_row(kind, r)).collect()
}

/// Caller ID: the contacts and companies with a phone matching `phone`. Numbers are
/// matched on their last digits through the reversed-digit index; when some match the
/// E.164 form exactly, only those are returned. A number too short for a suffix match
/// (or without digits) is matched on its raw text. `vis` scopes contacts, then companies.
pub async fn find_by_phone(
    c: &mut impl DbConn,
    account: AccountId,
    vis: [Visibility; 2],
    phone: &Phone,
) -> Result<Vec<PhoneMatch>> {
    let rows = phone_sql(account, vis, phone)
        .query()
        .fetch_all(c.raw())
        .await?;
    let rows = rows.iter().map(phone_row).collect::<Result<Vec<_>>>()?;
    Ok(phone_matches(rows, phone))
}

/// [`find_by_phone`] on the SQLite fast lane.
pub fn find_by_phone_lite(
    c: &crate::lite::LiteConn<'_>,
    account: AccountId,
    vis: [Visibility; 2],
    phone: &Phone,
) -> Result<Vec<PhoneMatch>> {
    let rows = c.rows(&phone_sql(account, vis, phone), |r| phone_row(r))?;
    Ok(phone_matches(rows, phone))
}

fn phone_sql(account: AccountId, vis: [Visibility; 2], phone: &Phone) -> Sql {
    // One pass over the phone index, the card joined by kind. (It was a union of one
    // query per kind, each filtering `entity_type` too: without planner statistics, as
    // on a PostgreSQL server with autovacuum off after a bulk import, PostgreSQL then
    // chose the primary key's (account_id, entity_type) prefix over the suffix index and
    // read every phone of the account, ~140 ms per lookup at 200,000 contacts.)
    let mut sql = Sql::new(
        "select p.entity_type, coalesce(k.id, m.id), coalesce(k.name, m.name), coalesce(k.responsible_user_id, m.responsible_user_id), p.raw, p.e164 \
         from phones p left join contacts k on p.entity_type = ",
    );
    sql.bind(EntityKind::Contacts.as_str())
        .push(" and k.account_id = p.account_id and k.id = p.entity_id and k.is_deleted = 0");
    push_visibility(&mut sql, "k", account, vis[0]);
    sql.push(" left join companies m on p.entity_type = ")
        .bind(EntityKind::Companies.as_str())
        .push(" and m.account_id = p.account_id and m.id = p.entity_id and m.is_deleted = 0");
    push_visibility(&mut sql, "m", account, vis[1]);
    sql.push(" where p.account_id = ").bind(account.0);
    match phone.suffix_range() {
        Some((lo, hi)) => {
            sql.push(" and p.rev_digits >= ")
                .bind(lo)
                .push(" and p.rev_digits < ")
                .bind(hi);
        }
        None => {
            sql.push(" and p.raw = ").bind(phone.raw.as_str());
        }
    }
    sql.push(" and (k.id is not null or m.id is not null)");
    sql.push(" limit 200");
    sql
}

/// One row of [`phone_sql`]: kind, card id, name, responsible user, raw phone, E.164.
type PhoneRow = (String, i64, String, Option<i64>, String, Option<String>);

fn phone_row<R: Cells>(r: &R) -> Result<PhoneRow> {
    decode(r, |c| {
        Ok((
            c.next()?,
            c.next()?,
            c.next()?,
            c.next()?,
            c.next()?,
            c.next()?,
        ))
    })
}

/// One match per card; when some phone equals the number exactly (same E.164), only
/// those; contacts first, then by id.
fn phone_matches(rows: Vec<PhoneRow>, phone: &Phone) -> Vec<PhoneMatch> {
    let mut out: Vec<PhoneMatch> = Vec::with_capacity(rows.len());
    for (et, id, name, responsible, raw, e164) in rows {
        let kind = if et == EntityKind::Companies.as_str() {
            CardKind::Company
        } else {
            CardKind::Contact
        };
        let exact = match (&phone.e164, &e164) {
            (Some(a), Some(b)) => a == b,
            _ => false,
        };
        if let Some(existing) = out.iter_mut().find(|m| m.kind == kind && m.id == id) {
            existing.exact |= exact;
            continue;
        }
        out.push(PhoneMatch {
            kind,
            id,
            name,
            responsible_user_id: responsible.map(UserId),
            phone_raw: raw,
            exact,
        });
    }
    if out.iter().any(|m| m.exact) {
        out.retain(|m| m.exact);
    }
    out.sort_by_key(|m| (m.kind == CardKind::Company, m.id));
    out
}

/// How many of `ids` are users of the account (to validate responsible users).
pub async fn count_users(c: &mut impl DbConn, account: AccountId, ids: &[i64]) -> Result<i64> {
    if ids.is_empty() {
        return Ok(0);
    }
    let mut sql = Sql::new("select count(*) from users where account_id = ");
    sql.bind(account.0).push(" and id in ").bind_list(ids);
    let row = sql.query().fetch_one(c.raw()).await?;
    Ok(row.try_get::<i64, _>(0)?)
}
