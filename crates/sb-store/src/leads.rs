//! Leads, their contacts (`lead_contacts`, one main) and their company. The indexed
//! custom-field values (`field_values`) are written with the lead in the same call, so
//! they cannot drift from the JSON column. Lists take a [`Visibility`] on the
//! responsible user and every filter is an indexed predicate or an indexed semi-join.

use crate::cells::decode;
use crate::db::{DbConn, Tx};
use crate::field_values::{self, FieldFilter, Probe, ValueOwner};
use crate::sql::Sql;
use crate::{flag, Result, StoreError};
use sb_domain::fields::FieldValue;
use sb_domain::leads::{normalise_contacts, Lead, LeadContact};
use sb_domain::pipelines::is_closing;
use sb_domain::{
    AccountId, CompanyId, ContactId, FieldId, LeadId, PipelineId, StatusId, TagId, UserId,
    Visibility,
};
use sqlx::any::AnyRow;
use sqlx::Row;

pub use crate::cards::OrderBy;

const COLUMNS: &str =
    "id, account_id, name, price, pipeline_id, status_id, responsible_user_id, company_id, loss_reason_id, created_by, updated_by, created_at, updated_at, closed_at, closest_task_at, is_deleted, custom_fields";
/// A lead's `closest_task_at`: the earliest deadline among its open tasks, computed
/// on every read by a correlated subquery (index `tasks_open`) rather than kept in the
/// `leads.closest_task_at` column. Whatever writes tasks (create, complete, reopen,
/// reschedule, move to another entity, delete, telephony callbacks) it cannot go
/// stale, and concurrent task writes need no read-modify-write of the lead row. The
/// 0003 column is no longer read; writes still carry it.
macro_rules! closest_task {
    () => {
        "(select min(t.complete_till) from tasks t where t.account_id = l.account_id and t.entity_type = 'leads' \
         and t.entity_id = l.id and t.is_completed = 0)"
    };
}
const CLOSEST_TASK: &str = closest_task!();
const L_COLUMNS: &str = concat!(
    "l.id, l.account_id, l.name, l.price, l.pipeline_id, l.status_id, l.responsible_user_id, l.company_id, l.loss_reason_id, l.created_by, l.updated_by, l.created_at, l.updated_at, \
     l.closed_at, ",
    closest_task!(),
    ", l.is_deleted, l.custom_fields"
);

/// A row of [`L_COLUMNS`] (the order of [`COLUMNS`]).
fn from_row(r: &AnyRow) -> Result<Lead> {
    decode(r, |c| {
        Ok(Lead {
            id: LeadId(c.next()?),
            account_id: AccountId(c.next()?),
            name: c.next()?,
            price: c.next()?,
            pipeline_id: PipelineId(c.next()?),
            status_id: StatusId(c.next()?),
            responsible_user_id: c.next::<Option<i64>>()?.map(UserId),
            company_id: c.next::<Option<i64>>()?.map(CompanyId),
            loss_reason_id: c.next()?,
            created_by: UserId(c.next()?),
            updated_by: UserId(c.next()?),
            created_at: c.next()?,
            updated_at: c.next()?,
            closed_at: c.next()?,
            closest_task_at: c.next()?,
            is_deleted: c.flag()?,
            custom_fields: c.json::<Vec<FieldValue>>("leads.custom_fields")?,
        })
    })
}

fn json(cf: &[FieldValue]) -> Result<String> {
    serde_json::to_string(cf).map_err(|e| StoreError::Corrupt(e.to_string()))
}

const INSERT_CHUNK: usize = 250;

/// Inserts leads in multi-row statements of 250, with their indexed field values.
/// Contacts and tags are set separately ([`set_contacts`], `tags::set_for_entity`).
pub async fn insert_many(c: &mut impl DbConn, leads: &[Lead]) -> Result<()> {
    for chunk in leads.chunks(INSERT_CHUNK) {
        let mut sql = Sql::new(&format!("insert into leads ({COLUMNS}) values "));
        for (i, l) in chunk.iter().enumerate() {
            if i > 0 {
                sql.push(", ");
            }
            sql.push("(")
                .bind(l.id.0)
                .push(", ")
                .bind(l.account_id.0)
                .push(", ")
                .bind(l.name.as_str())
                .push(", ")
                .bind(l.price)
                .push(", ")
                .bind(l.pipeline_id.0)
                .push(", ")
                .bind(l.status_id.0)
                .push(", ")
                .bind(l.responsible_user_id.map(|u| u.0))
                .push(", ")
                .bind(l.company_id.map(|u| u.0))
                .push(", ")
                .bind(l.loss_reason_id)
                .push(", ")
                .bind(l.created_by.0)
                .push(", ")
                .bind(l.updated_by.0)
                .push(", ")
                .bind(l.created_at)
                .push(", ")
                .bind(l.updated_at)
                .push(", ")
                .bind(l.closed_at)
                .push(", ")
                .bind(l.closest_task_at)
                .push(", ")
                .bind(flag(l.is_deleted))
                .push(", ")
                .bind(json(&l.custom_fields)?)
                .push(")");
        }
        sql.query()
            .execute(c.raw())
            .await
            .map_err(|e| StoreError::conflict_on(e, "id"))?;
        let values: Vec<(AccountId, i64, &[FieldValue])> = chunk
            .iter()
            .map(|l| (l.account_id, l.id.0, l.custom_fields.as_slice()))
            .collect();
        field_values::insert_across_accounts(c, ValueOwner::Lead, &values).await?;
    }
    Ok(())
}

/// Rewrites a lead's row and its indexed field values.
pub async fn update(c: &mut impl DbConn, l: &Lead) -> Result<()> {
    let done = sqlx::query(
        "update leads set name = $1, price = $2, pipeline_id = $3, status_id = $4, responsible_user_id = $5, company_id = $6, loss_reason_id = $7, updated_by = $8, updated_at = $9, \
         closed_at = $10, closest_task_at = $11, is_deleted = $12, custom_fields = $13 where account_id = $14 and id = $15",
    )
    .bind(&l.name)
    .bind(l.price)
    .bind(l.pipeline_id.0)
    .bind(l.status_id.0)
    .bind(l.responsible_user_id.map(|u| u.0))
    .bind(l.company_id.map(|u| u.0))
    .bind(l.loss_reason_id)
    .bind(l.updated_by.0)
    .bind(l.updated_at)
    .bind(l.closed_at)
    .bind(l.closest_task_at)
    .bind(flag(l.is_deleted))
    .bind(json(&l.custom_fields)?)
    .bind(l.account_id.0)
    .bind(l.id.0)
    .execute(c.raw())
    .await?;
    if done.rows_affected() == 0 {
        return Err(StoreError::NotFound);
    }
    field_values::rewrite(c, l.account_id, ValueOwner::Lead, l.id.0, &l.custom_fields).await
}

/// Marks leads deleted; returns how many were live.
pub async fn delete(
    c: &mut impl DbConn,
    account: AccountId,
    ids: &[LeadId],
    by: UserId,
    now: i64,
) -> Result<u64> {
    let ids: Vec<i64> = ids.iter().map(|i| i.0).collect();
    crate::sql::mark_deleted(c, "leads", account, &ids, by, now).await
}

pub async fn get(
    c: &mut impl DbConn,
    account: AccountId,
    id: LeadId,
    vis: Visibility,
) -> Result<Option<Lead>> {
    Ok(get_many(c, account, &[id], vis).await?.pop())
}

/// The live leads among `ids` that exist in the account and are inside the scope.
pub async fn get_many(
    c: &mut impl DbConn,
    account: AccountId,
    ids: &[LeadId],
    vis: Visibility,
) -> Result<Vec<Lead>> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let mut sql = many_sql(account, ids, vis);
    sql.push(" order by l.id");
    let rows = sql.query().fetch_all(c.raw()).await?;
    rows.iter().map(from_row).collect()
}

/// [`get_many`] for an update: the rows as they are now, held until `tx` ends (see
/// [`crate::cards::lock_rows`]), so no concurrent update's change is written over.
pub async fn lock_many(
    tx: &mut Tx,
    account: AccountId,
    ids: &[LeadId],
    vis: Visibility,
) -> Result<Vec<Lead>> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let mut sql = many_sql(account, ids, vis);
    crate::cards::lock_rows(&mut sql, tx, "l");
    let rows = sql.query().fetch_all(tx.raw()).await?;
    rows.iter().map(from_row).collect()
}

fn many_sql(account: AccountId, ids: &[LeadId], vis: Visibility) -> Sql {
    let ids: Vec<i64> = ids.iter().map(|i| i.0).collect();
    let mut sql = Sql::new(&format!(
        "select {L_COLUMNS} from leads l where l.account_id = "
    ));
    sql.bind(account.0)
        .push(" and l.is_deleted = 0 and l.id in ")
        .bind_list(&ids);
    crate::cards::push_visibility(&mut sql, "l", account, vis);
    sql
}

/// A list query. Every condition is ANDed; empty lists and `None` do not filter.
#[derive(Debug, Clone)]
pub struct LeadFilter {
    pub ids: Vec<LeadId>,
    /// Exact names (Kommo's `filter[name][]`).
    pub names: Vec<String>,
    pub pipeline_ids: Vec<PipelineId>,
    /// (pipeline, stage) pairs, any of them; a bare stage id is ambiguous for 142/143.
    pub statuses: Vec<(PipelineId, StatusId)>,
    pub responsible: Vec<UserId>,
    pub created_by: Vec<UserId>,
    pub updated_by: Vec<UserId>,
    /// Price bounds, inclusive, in minor units.
    pub price_from: Option<i64>,
    pub price_to: Option<i64>,
    pub created_from: Option<i64>,
    pub created_to: Option<i64>,
    pub updated_from: Option<i64>,
    pub updated_to: Option<i64>,
    pub closed_from: Option<i64>,
    pub closed_to: Option<i64>,
    pub closest_task_from: Option<i64>,
    pub closest_task_to: Option<i64>,
    /// Custom-field filters through the `field_values` index, all of which must match.
    pub fields: Vec<(FieldId, FieldFilter)>,
    /// Leads carrying any of these tags.
    pub tag_ids: Vec<TagId>,
    pub contact_id: Option<ContactId>,
    pub company_id: Option<CompanyId>,
    /// Case-insensitive substring over the name and the text custom-field values.
    pub text: Option<String>,
    /// Digits of a phone number: leads whose contact or company has a phone ending in
    /// its last digits (the caller-ID suffix index).
    pub phone_digits: Option<String>,
    /// Leads with (`true`) or without (`false`) a call attached to them (a call
    /// session whose `lead_id` is the lead): the incoming-leads inbox's "sip" and
    /// "forms" categories.
    pub has_call: Option<bool>,
    /// Deleted leads instead of live ones (Kommo's `with=only_deleted`).
    pub only_deleted: bool,
    pub order_by: OrderBy,
    pub desc: bool,
    pub limit: i64,
    pub offset: i64,
}

impl Default for LeadFilter {
    fn default() -> Self {
        LeadFilter {
            ids: Vec::new(),
            names: Vec::new(),
            pipeline_ids: Vec::new(),
            statuses: Vec::new(),
            responsible: Vec::new(),
            created_by: Vec::new(),
            updated_by: Vec::new(),
            price_from: None,
            price_to: None,
            created_from: None,
            created_to: None,
            updated_from: None,
            updated_to: None,
            closed_from: None,
            closed_to: None,
            closest_task_from: None,
            closest_task_to: None,
            fields: Vec::new(),
            tag_ids: Vec::new(),
            contact_id: None,
            company_id: None,
            text: None,
            phone_digits: None,
            has_call: None,
            only_deleted: false,
            order_by: OrderBy::Id,
            desc: false,
            // Kommo's default page size.
            limit: 50,
            offset: 0,
        }
    }
}

/// Whether a call is attached to lead `l` (index `call_sessions_lead`).
const HAS_CALL: &str = "exists (select 1 from call_sessions cs where cs.account_id = l.account_id and cs.lead_id = l.id)";

fn ids_of<T: Copy>(v: &[T], f: impl Fn(T) -> i64) -> Vec<i64> {
    v.iter().map(|x| f(*x)).collect()
}

fn push_where(sql: &mut Sql, account: AccountId, f: &LeadFilter, vis: Visibility) {
    sql.bind(account.0).push(if f.only_deleted {
        " and l.is_deleted = 1"
    } else {
        " and l.is_deleted = 0"
    });
    crate::cards::push_visibility(sql, "l", account, vis);
    for (col, list) in [
        ("id", ids_of(&f.ids, |x| x.0)),
        ("pipeline_id", ids_of(&f.pipeline_ids, |x| x.0)),
        ("responsible_user_id", ids_of(&f.responsible, |x| x.0)),
        ("created_by", ids_of(&f.created_by, |x| x.0)),
        ("updated_by", ids_of(&f.updated_by, |x| x.0)),
    ] {
        if !list.is_empty() {
            sql.push(&format!(" and l.{col} in ")).bind_list(&list);
        }
    }
    if !f.names.is_empty() {
        sql.push(" and l.name in ").bind_list(&f.names);
    }
    if !f.statuses.is_empty() {
        sql.push(" and (");
        for (i, (p, s)) in f.statuses.iter().enumerate() {
            if i > 0 {
                sql.push(" or ");
            }
            sql.push("(l.pipeline_id = ")
                .bind(p.0)
                .push(" and l.status_id = ")
                .bind(s.0)
                .push(")");
        }
        sql.push(")");
    }
    for (col, from, to) in [
        ("price", f.price_from, f.price_to),
        ("created_at", f.created_from, f.created_to),
        ("updated_at", f.updated_from, f.updated_to),
        ("closed_at", f.closed_from, f.closed_to),
    ] {
        if let Some(v) = from {
            sql.push(&format!(" and l.{col} >= ")).bind(v);
        }
        if let Some(v) = to {
            sql.push(&format!(" and l.{col} <= ")).bind(v);
        }
    }
    if let Some(v) = f.closest_task_from {
        sql.push(&format!(" and {CLOSEST_TASK} >= ")).bind(v);
    }
    if let Some(v) = f.closest_task_to {
        sql.push(&format!(" and {CLOSEST_TASK} <= ")).bind(v);
    }
    // Stage and responsible come from one index in id order (leads_board), so with them
    // a wide range on a field is cheaper to check row by row than to read whole.
    let board = !f.statuses.is_empty() || !f.responsible.is_empty() || !f.pipeline_ids.is_empty();
    for (field, filter) in &f.fields {
        let probe = match filter {
            FieldFilter::Range(..) if board => Probe::PerRow(ValueOwner::Lead),
            _ => Probe::Values,
        };
        field_values::push_filter(sql, "l.id", account, *field, filter, probe);
    }
    if !f.tag_ids.is_empty() {
        sql.push(" and l.id in (select et.entity_id from entity_tags et where et.account_id = ")
            .bind(account.0)
            .push(" and et.entity_type = 'leads' and et.tag_id in ")
            .bind_list(&ids_of(&f.tag_ids, |x| x.0))
            .push(")");
    }
    if let Some(cid) = f.contact_id {
        sql.push(" and l.id in (select lc.lead_id from lead_contacts lc where lc.account_id = ")
            .bind(account.0)
            .push(" and lc.contact_id = ")
            .bind(cid.0)
            .push(")");
    }
    if let Some(cid) = f.company_id {
        sql.push(" and l.company_id = ").bind(cid.0);
    }
    if let Some(t) = &f.text {
        let pat = format!("%{}%", t.to_lowercase().replace(['\\', '%', '_'], ""));
        sql.push(" and (lower(l.name) like ")
            .bind(pat.clone())
            .push(" or l.id in (select fv.entity_id from field_values fv where fv.account_id = ")
            .bind(account.0)
            .push(" and fv.entity_type = 'leads' and fv.value_text like ")
            .bind(pat)
            .push("))");
    }
    match f.has_call {
        Some(true) => {
            sql.push(&format!(" and {HAS_CALL}"));
        }
        Some(false) => {
            sql.push(&format!(" and not {HAS_CALL}"));
        }
        None => {}
    }
    if let Some(d) = &f.phone_digits {
        match sb_domain::phone::suffix_range_of(d) {
            Some((lo, hi)) => {
                sql.push(
                    " and (l.id in (select lc.lead_id from lead_contacts lc where lc.account_id = ",
                )
                .bind(account.0)
                .push(
                    " and lc.contact_id in (select p.entity_id from phones p where p.account_id = ",
                )
                .bind(account.0)
                .push(" and p.entity_type = 'contacts' and p.rev_digits >= ")
                .bind(lo.clone())
                .push(" and p.rev_digits < ")
                .bind(hi.clone())
                .push(
                    ")) or l.company_id in (select p.entity_id from phones p where p.account_id = ",
                )
                .bind(account.0)
                .push(" and p.entity_type = 'companies' and p.rev_digits >= ")
                .bind(lo)
                .push(" and p.rev_digits < ")
                .bind(hi)
                .push("))");
            }
            None => {
                sql.push(" and 1 = 0");
            }
        }
    }
}

pub async fn list(
    c: &mut impl DbConn,
    account: AccountId,
    f: &LeadFilter,
    vis: Visibility,
) -> Result<Vec<Lead>> {
    let mut sql = Sql::new(&format!(
        "select {L_COLUMNS} from leads l where l.account_id = "
    ));
    push_where(&mut sql, account, f, vis);
    let col = match f.order_by {
        OrderBy::Id => "l.id",
        OrderBy::CreatedAt => "l.created_at",
        OrderBy::UpdatedAt => "l.updated_at",
        OrderBy::Name => "lower(l.name)",
    };
    let dir = if f.desc { "desc" } else { "asc" };
    sql.push(&format!(" order by {col} {dir}, l.id {dir} limit "))
        .bind(f.limit)
        .push(" offset ")
        .bind(f.offset);
    let rows = sql.query().fetch_all(c.raw()).await?;
    rows.iter().map(from_row).collect()
}

/// How many leads match the filter (its order, limit and offset are ignored).
pub async fn count(
    c: &mut impl DbConn,
    account: AccountId,
    f: &LeadFilter,
    vis: Visibility,
) -> Result<i64> {
    let mut sql = Sql::new("select count(*) from leads l where l.account_id = ");
    push_where(&mut sql, account, f, vis);
    let row = sql.query().fetch_one(c.raw()).await?;
    Ok(row.try_get::<i64, _>(0)?)
}

/// Live leads matching a filter per pipeline, split by whether a call is attached to
/// them: `(pipeline, with a call, leads)`, ordered by pipeline (with calls last);
/// groups without leads are absent. The filter's order, limit and offset are ignored.
pub async fn count_by_call(
    c: &mut impl DbConn,
    account: AccountId,
    f: &LeadFilter,
    vis: Visibility,
) -> Result<Vec<(PipelineId, bool, i64)>> {
    let mut sql = Sql::new(&format!(
        "select l.pipeline_id, cast(case when {HAS_CALL} then 1 else 0 end as bigint), count(*) from leads l where l.account_id = "
    ));
    push_where(&mut sql, account, f, vis);
    sql.push(" group by 1, 2 order by 1, 2");
    let rows = sql.query().fetch_all(c.raw()).await?;
    rows.iter()
        .map(|r| {
            decode(r, |c| {
                Ok((
                    PipelineId(c.next()?),
                    c.next::<i64>()? == 1,
                    c.next::<i64>()?,
                ))
            })
        })
        .collect()
}

/// Leads and their total price in one stage: the figures of a pipeline board column.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StatusCount {
    pub pipeline_id: PipelineId,
    pub status_id: StatusId,
    pub leads: i64,
    /// Sum of prices, minor units.
    pub price: i64,
}

/// Live leads per stage (of one pipeline, or all), inside the scope; stages without
/// leads are absent.
pub async fn count_by_status(
    c: &mut impl DbConn,
    account: AccountId,
    pipeline: Option<PipelineId>,
    vis: Visibility,
) -> Result<Vec<StatusCount>> {
    let mut sql = Sql::new("select l.pipeline_id, l.status_id, count(*), cast(coalesce(sum(l.price), 0) as bigint) from leads l where l.account_id = ");
    sql.bind(account.0).push(" and l.is_deleted = 0");
    if let Some(p) = pipeline {
        sql.push(" and l.pipeline_id = ").bind(p.0);
    }
    crate::cards::push_visibility(&mut sql, "l", account, vis);
    sql.push(" group by l.pipeline_id, l.status_id order by l.pipeline_id, l.status_id");
    let rows = sql.query().fetch_all(c.raw()).await?;
    rows.iter()
        .map(|r| {
            decode(r, |c| {
                Ok(StatusCount {
                    pipeline_id: PipelineId(c.next()?),
                    status_id: StatusId(c.next()?),
                    leads: c.next()?,
                    price: c.next()?,
                })
            })
        })
        .collect()
}

/// Moves every lead (deleted ones too) of one stage to another, keeping `closed_at`
/// consistent as `Lead::move_to` does; returns how many moved. For deleting a stage.
pub async fn move_all(
    c: &mut impl DbConn,
    account: AccountId,
    from: (PipelineId, StatusId),
    to: (PipelineId, StatusId),
    by: UserId,
    now: i64,
) -> Result<u64> {
    let closed = if is_closing(to.1) {
        "closed_at = coalesce(closed_at, $1)"
    } else {
        "closed_at = null, loss_reason_id = null"
    };
    let q = format!(
        "update leads set pipeline_id = $2, status_id = $3, updated_by = $4, updated_at = $1, {closed} \
         where account_id = $5 and pipeline_id = $6 and status_id = $7"
    );
    let r = sqlx::query(&q)
        .bind(now)
        .bind(to.0 .0)
        .bind(to.1 .0)
        .bind(by.0)
        .bind(account.0)
        .bind(from.0 .0)
        .bind(from.1 .0)
        .execute(c.raw())
        .await?;
    Ok(r.rows_affected())
}

/// Sets or clears the lead's one company.
pub async fn set_company(
    c: &mut impl DbConn,
    account: AccountId,
    lead: LeadId,
    company: Option<CompanyId>,
    by: UserId,
    now: i64,
) -> Result<()> {
    let done = sqlx::query("update leads set company_id = $1, updated_by = $2, updated_at = $3 where account_id = $4 and id = $5")
        .bind(company.map(|x| x.0))
        .bind(by.0)
        .bind(now)
        .bind(account.0)
        .bind(lead.0)
        .execute(c.raw())
        .await?;
    if done.rows_affected() == 0 {
        return Err(StoreError::NotFound);
    }
    Ok(())
}

/// The lead's company, if it has one (None also when the lead does not exist).
pub async fn company_of(
    c: &mut impl DbConn,
    account: AccountId,
    lead: LeadId,
) -> Result<Option<CompanyId>> {
    let row = sqlx::query("select company_id from leads where account_id = $1 and id = $2")
        .bind(account.0)
        .bind(lead.0)
        .fetch_optional(c.raw())
        .await?;
    Ok(match row {
        Some(r) => decode(&r, |c| c.next::<Option<i64>>())?.map(CompanyId),
        None => None,
    })
}

/// Replaces a lead's contacts. The set is normalised first (each contact once, exactly
/// one main when any); every item is taken as belonging to `lead`. Returns the set stored.
pub async fn set_contacts(
    c: &mut impl DbConn,
    account: AccountId,
    lead: LeadId,
    contacts: &[LeadContact],
) -> Result<Vec<LeadContact>> {
    let items: Vec<LeadContact> = contacts
        .iter()
        .map(|x| LeadContact {
            lead_id: lead,
            ..*x
        })
        .collect();
    let items = normalise_contacts(&items);
    sqlx::query("delete from lead_contacts where account_id = $1 and lead_id = $2")
        .bind(account.0)
        .bind(lead.0)
        .execute(c.raw())
        .await?;
    for chunk in items.chunks(INSERT_CHUNK) {
        let mut sql = Sql::new(
            "insert into lead_contacts (account_id, lead_id, contact_id, is_main) values ",
        );
        for (i, x) in chunk.iter().enumerate() {
            if i > 0 {
                sql.push(", ");
            }
            sql.push("(")
                .bind(account.0)
                .push(", ")
                .bind(lead.0)
                .push(", ")
                .bind(x.contact_id.0)
                .push(", ")
                .bind(flag(x.is_main))
                .push(")");
        }
        sql.query().execute(c.raw()).await?;
    }
    Ok(items)
}

/// Links one contact to a lead (Kommo's link); `is_main` makes it the main contact.
/// Returns the lead's contacts afterwards.
pub async fn add_contact(
    c: &mut impl DbConn,
    account: AccountId,
    lead: LeadId,
    contact: ContactId,
    is_main: bool,
) -> Result<Vec<LeadContact>> {
    let mut cur = contacts_of(c, account, &[lead]).await?;
    if is_main {
        for x in cur.iter_mut() {
            x.is_main = false;
        }
    }
    match cur.iter_mut().find(|x| x.contact_id == contact) {
        Some(x) => x.is_main |= is_main,
        None => cur.push(LeadContact {
            lead_id: lead,
            contact_id: contact,
            is_main,
        }),
    }
    // The new main must come first for normalisation to keep it.
    cur.sort_by_key(|x| !x.is_main);
    set_contacts(c, account, lead, &cur).await
}

/// Unlinks a contact from a lead; when it was the main one, the next contact becomes
/// main. Returns whether it was linked.
pub async fn remove_contact(
    c: &mut impl DbConn,
    account: AccountId,
    lead: LeadId,
    contact: ContactId,
) -> Result<bool> {
    let cur = contacts_of(c, account, &[lead]).await?;
    if !cur.iter().any(|x| x.contact_id == contact) {
        return Ok(false);
    }
    let rest: Vec<LeadContact> = cur
        .into_iter()
        .filter(|x| x.contact_id != contact)
        .collect();
    set_contacts(c, account, lead, &rest).await?;
    Ok(true)
}

/// The contacts of some leads: per lead the main one first, then by contact id.
pub async fn contacts_of(
    c: &mut impl DbConn,
    account: AccountId,
    leads: &[LeadId],
) -> Result<Vec<LeadContact>> {
    if leads.is_empty() {
        return Ok(Vec::new());
    }
    let mut sql =
        Sql::new("select lead_id, contact_id, is_main from lead_contacts where account_id = ");
    sql.bind(account.0)
        .push(" and lead_id in ")
        .bind_list(&ids_of(leads, |x| x.0))
        .push(" order by lead_id, is_main desc, contact_id");
    let rows = sql.query().fetch_all(c.raw()).await?;
    rows.iter().map(lead_contact).collect()
}

/// The live leads of some contacts inside the scope, as (lead, contact) links ordered by
/// contact then lead (for a contact's `_embedded.leads`). For a paged list of a
/// contact's leads use [`list`] with `contact_id`.
pub async fn leads_of_contacts(
    c: &mut impl DbConn,
    account: AccountId,
    contacts: &[ContactId],
    vis: Visibility,
) -> Result<Vec<LeadContact>> {
    if contacts.is_empty() {
        return Ok(Vec::new());
    }
    let mut sql = Sql::new("select lc.lead_id, lc.contact_id, lc.is_main from lead_contacts lc join leads l on l.account_id = lc.account_id and l.id = lc.lead_id where lc.account_id = ");
    sql.bind(account.0)
        .push(" and lc.contact_id in ")
        .bind_list(&ids_of(contacts, |x| x.0))
        .push(" and l.is_deleted = 0");
    crate::cards::push_visibility(&mut sql, "l", account, vis);
    sql.push(" order by lc.contact_id, lc.lead_id");
    let rows = sql.query().fetch_all(c.raw()).await?;
    rows.iter().map(lead_contact).collect()
}

/// The live leads of some companies inside the scope, as (company, lead) ordered by
/// company then lead (for a company's `_embedded.leads`).
pub async fn leads_of_companies(
    c: &mut impl DbConn,
    account: AccountId,
    companies: &[CompanyId],
    vis: Visibility,
) -> Result<Vec<(CompanyId, LeadId)>> {
    if companies.is_empty() {
        return Ok(Vec::new());
    }
    let mut sql = Sql::new("select l.company_id, l.id from leads l where l.account_id = ");
    sql.bind(account.0)
        .push(" and l.company_id in ")
        .bind_list(&ids_of(companies, |x| x.0))
        .push(" and l.is_deleted = 0");
    crate::cards::push_visibility(&mut sql, "l", account, vis);
    sql.push(" order by l.company_id, l.id");
    let rows = sql.query().fetch_all(c.raw()).await?;
    rows.iter()
        .map(|r| decode(r, |c| Ok((CompanyId(c.next()?), LeadId(c.next()?)))))
        .collect()
}

/// A row of `lead_id, contact_id, is_main`.
fn lead_contact(r: &AnyRow) -> Result<LeadContact> {
    decode(r, |c| {
        Ok(LeadContact {
            lead_id: LeadId(c.next()?),
            contact_id: ContactId(c.next()?),
            is_main: c.flag()?,
        })
    })
}
