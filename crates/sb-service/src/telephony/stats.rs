//! Call statistics per manager and period (issue 17 item 5): the figures of
//! `sb_store::stats` (see there for what each one counts), the calls per local day for
//! the chart, and the period's call log for the CSV export.
//!
//! Periods are read in the account's time zone: "today" is the account's local calendar
//! day, "week" the local ISO week (Monday to Sunday), "month" the local calendar month, a
//! chosen range runs from the first local day's midnight to the midnight after the last.
//!
//! Whose figures a user sees (kept simple): administrators see every manager and the
//! calls that reached no manager; other users see the managers their widest view right
//! on contacts or leads covers (all: every manager; group: their group's managers) and
//! always at least their own row; with "own" or no view right, only their own figures.
//! The exports (`statistics.csv`, `log.csv`) need the export right on contacts.

use crate::{Actor, Ctx, ServiceError};
use chrono::{Datelike, Days, Months, NaiveDate, TimeZone};
use chrono_tz::Tz;
use sb_domain::{Action, EntityKind, UserId, Visibility};
use sb_store::stats::{self, Managers};
pub use sb_store::stats::{DayCounts, Figures, LogCall};
use sb_store::users;
use tracing::instrument;

/// What period the figures cover.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Period {
    Today,
    Week,
    Month,
    /// Local calendar days, both included.
    Days {
        first: NaiveDate,
        last: NaiveDate,
    },
    /// A half-open range of Unix ms (the API's `from`/`to`).
    Span {
        from: i64,
        to: i64,
    },
}

impl Period {
    /// `today`, `week` or `month`.
    pub fn parse(s: &str) -> Option<Period> {
        match s {
            "today" => Some(Period::Today),
            "week" => Some(Period::Week),
            "month" => Some(Period::Month),
            _ => None,
        }
    }
    pub fn name(&self) -> &'static str {
        match self {
            Period::Today => "today",
            Period::Week => "week",
            Period::Month => "month",
            Period::Days { .. } | Period::Span { .. } => "range",
        }
    }
}

/// One manager's row of the table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ManagerRow {
    /// `None`: calls that reached no manager.
    pub user_id: Option<UserId>,
    pub name: String,
    pub figures: Figures,
}

/// One local day of the chart.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Day {
    pub date: NaiveDate,
    /// The day's first millisecond.
    pub start: i64,
    pub counts: DayCounts,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Statistics {
    pub period: Period,
    /// Half-open range of Unix ms.
    pub from: i64,
    pub to: i64,
    /// The first and last local day of the range.
    pub first_day: NaiveDate,
    pub last_day: NaiveDate,
    pub timezone: String,
    pub rows: Vec<ManagerRow>,
    pub totals: Figures,
    pub days: Vec<Day>,
}

impl Statistics {
    /// No call at all in the period (the page shows an empty state, not empty charts).
    pub fn is_empty(&self) -> bool {
        self.totals.incoming + self.totals.outgoing == 0
    }
}

/// Average talk seconds per answered call.
pub fn avg_talk_s(f: &Figures) -> Option<i64> {
    (f.answered > 0).then(|| (f.talk_s as f64 / f.answered as f64).round() as i64)
}

/// Average seconds from ringing to answer, one decimal.
pub fn avg_answer_s(f: &Figures) -> Option<f64> {
    (f.answer_n > 0).then(|| ((f.answer_ms as f64 / f.answer_n as f64) / 100.0).round() / 10.0)
}

fn tz_of(actor: &Actor) -> Tz {
    actor.account.timezone.parse().unwrap_or(Tz::UTC)
}

/// The first millisecond of a local day (a day whose midnight a clock change skips
/// starts at its first existing hour).
fn day_start(tz: Tz, d: NaiveDate) -> i64 {
    for h in 0..4 {
        if let Some(t) = d
            .and_hms_opt(h, 0, 0)
            .and_then(|n| tz.from_local_datetime(&n).earliest())
        {
            return t.timestamp_millis();
        }
    }
    d.and_hms_opt(0, 0, 0)
        .map(|n| n.and_utc().timestamp_millis())
        .unwrap_or(0)
}

fn local_date(tz: Tz, ms: i64) -> NaiveDate {
    tz.timestamp_millis_opt(ms)
        .single()
        .map(|d| d.date_naive())
        .unwrap_or_default()
}

fn bad(msg: &str) -> ServiceError {
    ServiceError::BadRequest(msg.to_string())
}

/// The period's range in ms and its first and last local day.
fn resolve(
    period: Period,
    tz: Tz,
    now: i64,
) -> Result<(i64, i64, NaiveDate, NaiveDate), ServiceError> {
    let today = local_date(tz, now);
    let (first, last) = match period {
        Period::Today => (today, today),
        Period::Week => {
            let monday = today - Days::new(u64::from(today.weekday().num_days_from_monday()));
            (monday, monday + Days::new(6))
        }
        Period::Month => {
            let first = today.with_day(1).unwrap_or(today);
            let last = (first + Months::new(1)).pred_opt().unwrap_or(first);
            (first, last)
        }
        Period::Days { first, last } => (first, last),
        Period::Span { from, to } => {
            if to <= from {
                return Err(bad("`to` must be after `from`."));
            }
            let first = local_date(tz, from);
            let last = local_date(tz, to - 1);
            if last < first {
                return Err(bad("`from` and `to` must be times we can read."));
            }
            check_len(first, last)?;
            return Ok((from, to, first, last));
        }
    };
    if last < first {
        return Err(bad("The last day must not be before the first."));
    }
    check_len(first, last)?;
    let to = day_start(tz, last + Days::new(1));
    Ok((day_start(tz, first), to, first, last))
}

fn check_len(first: NaiveDate, last: NaiveDate) -> Result<(), ServiceError> {
    if (last - first).num_days() + 1 > stats::MAX_DAYS as i64 {
        return Err(bad("A period is at most 367 days long."));
    }
    Ok(())
}

/// Whose calls `actor` sees (see the module doc).
fn managers(actor: &Actor) -> Managers {
    if actor.is_admin() {
        return Managers::All;
    }
    let rank = |v: Visibility| match v {
        Visibility::All => 3,
        Visibility::Group(_) => 2,
        Visibility::Own(_) => 1,
        Visibility::None => 0,
    };
    let a = actor.visibility(EntityKind::Contacts, Action::View);
    let b = actor.visibility(EntityKind::Leads, Action::View);
    match if rank(b) > rank(a) { b } else { a } {
        Visibility::All => Managers::All,
        Visibility::Group(g) => Managers::Group(g),
        Visibility::Own(_) | Visibility::None => Managers::One(actor.user.id),
    }
}

/// Whether `actor` may download the CSV exports.
pub fn can_export(actor: &Actor) -> bool {
    actor.can(EntityKind::Contacts, Action::Export)
}

fn require_export(actor: &Actor) -> Result<(), ServiceError> {
    if can_export(actor) {
        Ok(())
    } else {
        Err(ServiceError::Forbidden(
            "exporting needs the export right on contacts".into(),
        ))
    }
}

/// The figures per manager, their totals and the calls per local day of `period`.
#[instrument(skip_all, fields(account = actor.account.id.0, user = actor.user.id.0))]
pub async fn statistics(
    ctx: &Ctx,
    actor: &Actor,
    period: Period,
) -> Result<Statistics, ServiceError> {
    let tz = tz_of(actor);
    let (from, to, first_day, last_day) = resolve(period, tz, ctx.now())?;
    let who = managers(actor);
    let account = actor.account.id;
    let mut c = ctx.db.conn().await?;
    let figures = stats::per_manager(&mut c, account, who, from, to).await?;
    let mut bounds = Vec::new();
    let mut d = first_day;
    while d <= last_day {
        let next = d + Days::new(1);
        let start = day_start(tz, d).max(from);
        let end = day_start(tz, next).min(to);
        bounds.push((d, start, end));
        d = next;
    }
    let ranges: Vec<(i64, i64)> = bounds.iter().map(|(_, s, e)| (*s, *e)).collect();
    let counts = stats::per_day(&mut c, account, who, &ranges).await?;
    let people = users::list(&mut c, account).await?;
    drop(c);
    let in_scope: Vec<_> = people
        .iter()
        .filter(|u| match who {
            Managers::All => true,
            Managers::Group(g) => u.group_id == Some(g) || u.id == actor.user.id,
            Managers::One(id) => u.id == id,
        })
        .collect();
    let mut rows: Vec<ManagerRow> = Vec::new();
    for u in &in_scope {
        let f = figures
            .iter()
            .find(|f| f.user_id == Some(u.id))
            .cloned()
            .unwrap_or_else(|| Figures {
                user_id: Some(u.id),
                ..Default::default()
            });
        // inactive users only appear when they have calls in the period
        if !u.is_active
            && f == (Figures {
                user_id: Some(u.id),
                ..Default::default()
            })
        {
            continue;
        }
        rows.push(ManagerRow {
            user_id: Some(u.id),
            name: u.name.clone(),
            figures: f,
        });
    }
    // Calls of users no longer listed, and calls that reached no manager.
    for f in &figures {
        if !rows.iter().any(|r| r.user_id == f.user_id) {
            rows.push(ManagerRow {
                user_id: f.user_id,
                name: String::new(),
                figures: f.clone(),
            });
        }
    }
    let mut totals = Figures::default();
    for r in &rows {
        totals.add(&r.figures);
    }
    Ok(Statistics {
        period,
        from,
        to,
        first_day,
        last_day,
        timezone: tz.name().to_string(),
        rows,
        totals,
        days: bounds
            .iter()
            .zip(counts)
            .map(|((date, start, _), counts)| Day {
                date: *date,
                start: *start,
                counts,
            })
            .collect(),
    })
}

/// [`statistics`] for the table's CSV: refused without the export right.
pub async fn statistics_export(
    ctx: &Ctx,
    actor: &Actor,
    period: Period,
) -> Result<Statistics, ServiceError> {
    require_export(actor)?;
    statistics(ctx, actor, period).await
}

/// What became of a call, for the log.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CallResult {
    Answered,
    Missed,
    /// An outbound call nobody answered.
    NotAnswered,
    /// Still ringing.
    Ringing,
}

impl CallResult {
    pub fn as_str(self) -> &'static str {
        match self {
            CallResult::Answered => "answered",
            CallResult::Missed => "missed",
            CallResult::NotAnswered => "not_answered",
            CallResult::Ringing => "ringing",
        }
    }
}

/// One call of the log, with its manager's name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogRow {
    pub call: LogCall,
    pub result: CallResult,
    pub manager: String,
}

/// Pages through the calls of a period, oldest first, for the log export; refused
/// without the export right. Each call of [`CallLog::next_page`] reads one page.
pub struct CallLog {
    /// The first and last local day of the period (for the file's name).
    pub first_day: NaiveDate,
    pub last_day: NaiveDate,
    who: Managers,
    from: i64,
    to: i64,
    after: Option<(i64, i64)>,
    done: bool,
    names: Vec<(UserId, String)>,
}

/// Calls read per page of [`CallLog`].
pub const LOG_PAGE: i64 = 500;

/// Starts reading the call log of `period`.
pub async fn call_log(ctx: &Ctx, actor: &Actor, period: Period) -> Result<CallLog, ServiceError> {
    require_export(actor)?;
    let (from, to, first_day, last_day) = resolve(period, tz_of(actor), ctx.now())?;
    let mut c = ctx.db.conn().await?;
    let names = users::list(&mut c, actor.account.id)
        .await?
        .into_iter()
        .map(|u| (u.id, u.name))
        .collect();
    Ok(CallLog {
        first_day,
        last_day,
        who: managers(actor),
        from,
        to,
        after: None,
        done: false,
        names,
    })
}

impl CallLog {
    /// The next page of calls; empty once every call was read.
    pub async fn next_page(
        &mut self,
        ctx: &Ctx,
        actor: &Actor,
    ) -> Result<Vec<LogRow>, ServiceError> {
        if self.done {
            return Ok(Vec::new());
        }
        let mut c = ctx.db.conn().await?;
        let page = stats::log_page(
            &mut c,
            actor.account.id,
            self.who,
            self.from,
            self.to,
            self.after,
            LOG_PAGE,
        )
        .await?;
        if (page.len() as i64) < LOG_PAGE {
            self.done = true;
        }
        self.after = page.last().map(|l| (l.created_at, l.id));
        Ok(page
            .into_iter()
            .map(|call| {
                let result = if call.is_answered() {
                    CallResult::Answered
                } else if call.is_missed() {
                    CallResult::Missed
                } else if call.state == "ended" {
                    CallResult::NotAnswered
                } else {
                    CallResult::Ringing
                };
                let manager = call
                    .user_id
                    .and_then(|u| self.names.iter().find(|(id, _)| *id == u))
                    .map(|(_, n)| n.clone())
                    .unwrap_or_default();
                LogRow {
                    call,
                    result,
                    manager,
                }
            })
            .collect())
    }

    /// The local date and time of a call, `YYYY-MM-DD HH:MM:SS`, in the account's zone.
    pub fn local_time(actor: &Actor, ms: i64) -> String {
        tz_of(actor)
            .timestamp_millis_opt(ms)
            .single()
            .map(|d| d.format("%Y-%m-%d %H:%M:%S").to_string())
            .unwrap_or_default()
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn local_days_follow_the_zone_and_its_clock_changes() {
        let tz: Tz = "Europe/Madrid".parse().unwrap();
        // 2026-03-29 is the spring change in Madrid: a 23-hour day.
        let d = NaiveDate::from_ymd_opt(2026, 3, 29).unwrap();
        let len = day_start(tz, d + Days::new(1)) - day_start(tz, d);
        assert_eq!(len, 23 * 3_600_000);
        // 2026-12-03 23:30 in Madrid is 22:30 UTC: still the 3rd there.
        let ms = NaiveDate::from_ymd_opt(2026, 12, 3)
            .unwrap()
            .and_hms_opt(22, 30, 0)
            .unwrap()
            .and_utc()
            .timestamp_millis();
        let (from, to, first, _) = resolve(Period::Today, tz, ms).unwrap();
        assert_eq!(first, NaiveDate::from_ymd_opt(2026, 12, 3).unwrap());
        assert!(from <= ms && ms < to);
        assert_eq!(to - from, 24 * 3_600_000);
    }

    #[test]
    fn a_week_runs_monday_to_sunday_and_a_month_its_days() {
        let tz = Tz::UTC;
        let thu = NaiveDate::from_ymd_opt(2026, 12, 3).unwrap();
        let ms = day_start(tz, thu) + 5_000;
        let (_, _, first, last) = resolve(Period::Week, tz, ms).unwrap();
        assert_eq!((first.day(), last.day()), (30, 6));
        let (_, _, first, last) = resolve(Period::Month, tz, ms).unwrap();
        assert_eq!((first.day(), last.day()), (1, 31));
        assert!(resolve(Period::Span { from: 10, to: 10 }, tz, ms).is_err());
        let far = Period::Days {
            first: thu,
            last: thu + Days::new(400),
        };
        assert!(resolve(far, tz, ms).is_err());
    }
}
