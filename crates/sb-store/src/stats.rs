//! Call statistics: aggregates over `call_sessions` computed by the database, never by
//! loading every call. A period is a half-open range of `created_at` (the moment the call
//! reached Switchboard, Unix ms), which the indexes `call_sessions_user` (account, user,
//! created) and `call_sessions_created` (account, created) serve; the "called back" test
//! is a semi-join on `call_sessions_customer` (account, number, created).
//!
//! What each figure counts (a call is one row of `call_sessions`):
//! - incoming / outgoing: calls of that direction;
//! - answered: calls of either direction whose disposition is `answered`, or still in
//!   the `answered` state (a call in progress);
//! - missed: inbound calls that ended without the `answered` disposition
//!   (as `CallSessionState::is_missed`);
//! - missed and not called back: a missed call such that no call with the same
//!   `customer_e164` was created after it (at any time up to now, by any manager, in any
//!   period) that is either outbound (an attempt to call back counts) or answered. A
//!   missed call without a number (hidden caller ID) cannot be called back and counts;
//! - talk time: the sum of `duration_s` over answered calls (the PBX's talk seconds);
//! - time to answer: `answered_at - started_at` over inbound answered calls that have
//!   both times, averaged.

use crate::cells::decode;
use crate::db::DbConn;
use crate::sql::Sql;
use crate::Result;
use sb_domain::calls::DISPOSITION_ANSWERED;
use sb_domain::{AccountId, GroupId, UserId};

/// Whose calls are counted: the store turns it into SQL on `user_id`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Managers {
    /// Every call of the account, the ones with no manager too.
    All,
    /// Calls of the users of a group.
    Group(GroupId),
    /// One user's calls.
    One(UserId),
}

/// The figures of one manager (or of calls with no manager: `user_id` None).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Figures {
    pub user_id: Option<UserId>,
    pub incoming: i64,
    pub outgoing: i64,
    pub answered: i64,
    /// Inbound calls among `answered`.
    pub answered_in: i64,
    pub missed: i64,
    pub missed_not_called_back: i64,
    /// Seconds.
    pub talk_s: i64,
    /// Sum of the times to answer, in ms, over `answer_n` calls.
    pub answer_ms: i64,
    pub answer_n: i64,
}

impl Figures {
    /// Adds another row's counts into this one (for totals).
    pub fn add(&mut self, o: &Figures) {
        self.incoming += o.incoming;
        self.outgoing += o.outgoing;
        self.answered += o.answered;
        self.answered_in += o.answered_in;
        self.missed += o.missed;
        self.missed_not_called_back += o.missed_not_called_back;
        self.talk_s += o.talk_s;
        self.answer_ms += o.answer_ms;
        self.answer_n += o.answer_n;
    }
}

/// Calls of one day of the chart, in disjoint groups: inbound answered, inbound missed,
/// and outbound (any result).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct DayCounts {
    pub answered: i64,
    pub missed: i64,
    pub outgoing: i64,
}

fn push_answered(sql: &mut Sql, alias: &str) {
    sql.push(&format!("({alias}.disposition = "))
        .bind(DISPOSITION_ANSWERED)
        .push(&format!(" or {alias}.state = 'answered')"));
}

fn push_missed(sql: &mut Sql, alias: &str) {
    sql.push(&format!(
        "({alias}.direction = 'inbound' and {alias}.state = 'ended' and ({alias}.disposition is null or {alias}.disposition <> "
    ))
    .bind(DISPOSITION_ANSWERED)
    .push("))");
}

fn push_scope(sql: &mut Sql, account: AccountId, who: Managers) {
    match who {
        Managers::All => {}
        Managers::One(u) => {
            sql.push(" and s.user_id = ").bind(u.0);
        }
        Managers::Group(g) => {
            sql.push(" and s.user_id in (select id from users where account_id = ")
                .bind(account.0)
                .push(" and group_id = ")
                .bind(g.0)
                .push(")");
        }
    }
}

/// The figures per manager of the calls created in `[from, to)`, ordered by user id
/// (calls with no manager first).
pub async fn per_manager(
    c: &mut impl DbConn,
    account: AccountId,
    who: Managers,
    from: i64,
    to: i64,
) -> Result<Vec<Figures>> {
    let mut sql = Sql::new("select s.user_id, ");
    sql.push(
        "cast(coalesce(sum(case when s.direction = 'inbound' then 1 else 0 end), 0) as bigint), ",
    );
    sql.push(
        "cast(coalesce(sum(case when s.direction = 'outbound' then 1 else 0 end), 0) as bigint), ",
    );
    sql.push("cast(coalesce(sum(case when ");
    push_answered(&mut sql, "s");
    sql.push(" then 1 else 0 end), 0) as bigint), ");
    sql.push("cast(coalesce(sum(case when s.direction = 'inbound' and ");
    push_answered(&mut sql, "s");
    sql.push(" then 1 else 0 end), 0) as bigint), ");
    sql.push("cast(coalesce(sum(case when ");
    push_missed(&mut sql, "s");
    sql.push(" then 1 else 0 end), 0) as bigint), ");
    sql.push("cast(coalesce(sum(case when ");
    push_missed(&mut sql, "s");
    sql.push(
        " and not exists (select 1 from call_sessions b where b.account_id = s.account_id \
         and b.customer_e164 = s.customer_e164 and b.created_at > s.created_at and (b.direction = 'outbound' or ",
    );
    push_answered(&mut sql, "b");
    sql.push(")) then 1 else 0 end), 0) as bigint), ");
    sql.push("cast(coalesce(sum(case when ");
    push_answered(&mut sql, "s");
    sql.push(" then coalesce(s.duration_s, 0) else 0 end), 0) as bigint), ");
    let answer_case = "case when s.direction = 'inbound' and s.answered_at is not null and s.started_at is not null and s.answered_at >= s.started_at";
    sql.push(&format!(
        "cast(coalesce(sum({answer_case} then s.answered_at - s.started_at else 0 end), 0) as bigint), "
    ));
    sql.push(&format!(
        "cast(coalesce(sum({answer_case} then 1 else 0 end), 0) as bigint) "
    ));
    sql.push("from call_sessions s where s.account_id = ")
        .bind(account.0);
    push_scope(&mut sql, account, who);
    sql.push(" and s.created_at >= ")
        .bind(from)
        .push(" and s.created_at < ")
        .bind(to)
        .push(" group by s.user_id order by s.user_id");
    let rows = sql.query().fetch_all(c.raw()).await?;
    rows.iter()
        .map(|r| {
            decode(r, |c| {
                Ok(Figures {
                    user_id: c.next::<Option<i64>>()?.map(UserId),
                    incoming: c.next()?,
                    outgoing: c.next()?,
                    answered: c.next()?,
                    answered_in: c.next()?,
                    missed: c.next()?,
                    missed_not_called_back: c.next()?,
                    talk_s: c.next()?,
                    answer_ms: c.next()?,
                    answer_n: c.next()?,
                })
            })
        })
        .collect()
}

/// Most days one chart query takes (a year and a day).
pub const MAX_DAYS: usize = 367;

/// Calls per day for the chart. `days` are consecutive half-open ranges `[start, end)`
/// (the local days of the period, computed by the caller in the account's time zone, so
/// a day of a clock change is 23 or 25 hours); the answer has one entry per day. One
/// query: the days are a `values` list joined on the `created_at` index.
pub async fn per_day(
    c: &mut impl DbConn,
    account: AccountId,
    who: Managers,
    days: &[(i64, i64)],
) -> Result<Vec<DayCounts>> {
    let mut out = vec![DayCounts::default(); days.len()];
    if days.is_empty() {
        return Ok(out);
    }
    let days = &days[..days.len().min(MAX_DAYS)];
    let mut sql = Sql::new("with d (i, d_from, d_to) as (values ");
    for (i, (f, t)) in days.iter().enumerate() {
        if i > 0 {
            sql.push(", ");
        }
        sql.push("(")
            .bind(i as i64)
            .push(", ")
            .bind(*f)
            .push(", ")
            .bind(*t)
            .push(")");
    }
    sql.push(") select d.i, ");
    sql.push("cast(coalesce(sum(case when s.direction = 'inbound' and ");
    push_answered(&mut sql, "s");
    sql.push(" then 1 else 0 end), 0) as bigint), ");
    sql.push("cast(coalesce(sum(case when ");
    push_missed(&mut sql, "s");
    sql.push(" then 1 else 0 end), 0) as bigint), ");
    sql.push(
        "cast(coalesce(sum(case when s.direction = 'outbound' then 1 else 0 end), 0) as bigint) ",
    );
    sql.push("from d join call_sessions s on s.account_id = ")
        .bind(account.0)
        .push(" and s.created_at >= d.d_from and s.created_at < d.d_to");
    push_scope(&mut sql, account, who);
    sql.push(" group by d.i");
    let rows = sql.query().fetch_all(c.raw()).await?;
    for r in &rows {
        let (i, counts) = decode(r, |c| {
            let i: i64 = c.next()?;
            Ok((
                i,
                DayCounts {
                    answered: c.next()?,
                    missed: c.next()?,
                    outgoing: c.next()?,
                },
            ))
        })?;
        if let Some(slot) = usize::try_from(i).ok().and_then(|i| out.get_mut(i)) {
            *slot = counts;
        }
    }
    Ok(out)
}

/// One call of the period's log (the CSV export).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogCall {
    pub id: i64,
    pub created_at: i64,
    pub direction: String,
    pub state: String,
    pub disposition: Option<String>,
    pub user_id: Option<UserId>,
    pub customer_phone: Option<String>,
    pub customer_e164: Option<String>,
    pub contact_name: Option<String>,
    pub company_name: Option<String>,
    pub duration_s: Option<i64>,
}

impl LogCall {
    pub fn is_answered(&self) -> bool {
        self.disposition.as_deref() == Some(DISPOSITION_ANSWERED) || self.state == "answered"
    }
    pub fn is_missed(&self) -> bool {
        self.direction == "inbound"
            && self.state == "ended"
            && self.disposition.as_deref() != Some(DISPOSITION_ANSWERED)
    }
}

/// A page of the period's calls, oldest first, after the call `(after_created, after_id)`
/// (keyset paging on the `created_at` index, so a long period is read a page at a time).
pub async fn log_page(
    c: &mut impl DbConn,
    account: AccountId,
    who: Managers,
    from: i64,
    to: i64,
    after: Option<(i64, i64)>,
    limit: i64,
) -> Result<Vec<LogCall>> {
    let mut sql = Sql::new(
        "select s.id, s.created_at, s.direction, s.state, s.disposition, s.user_id, s.customer_phone, \
         s.customer_e164, k.name, m.name, s.duration_s from call_sessions s \
         left join contacts k on k.account_id = s.account_id and k.id = s.contact_id \
         left join companies m on m.account_id = s.account_id and m.id = s.company_id \
         where s.account_id = ",
    );
    sql.bind(account.0);
    push_scope(&mut sql, account, who);
    sql.push(" and s.created_at >= ")
        .bind(from)
        .push(" and s.created_at < ")
        .bind(to);
    if let Some((at, id)) = after {
        sql.push(" and (s.created_at > ")
            .bind(at)
            .push(" or (s.created_at = ")
            .bind(at)
            .push(" and s.id > ")
            .bind(id)
            .push("))");
    }
    sql.push(" order by s.created_at, s.id limit ").bind(limit);
    let rows = sql.query().fetch_all(c.raw()).await?;
    rows.iter()
        .map(|r| {
            decode(r, |c| {
                Ok(LogCall {
                    id: c.next()?,
                    created_at: c.next()?,
                    direction: c.next()?,
                    state: c.next()?,
                    disposition: c.next()?,
                    user_id: c.next::<Option<i64>>()?.map(UserId),
                    customer_phone: c.next()?,
                    customer_e164: c.next()?,
                    contact_name: c.next()?,
                    company_name: c.next()?,
                    duration_s: c.next()?,
                })
            })
        })
        .collect()
}
