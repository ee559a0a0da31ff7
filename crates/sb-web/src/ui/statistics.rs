//! Call statistics (`/calls/statistics`, issue 17 item 5): per manager and period
//! (today, this week, this month or a chosen range of days, in the account's time
//! zone) the table of `sb_service::telephony::stats` with totals, two charts (calls per
//! day by result, and per manager) drawn by `statistics.js` with the vendored uPlot from
//! a JSON data block, and the CSV exports of the table (`/calls/statistics.csv`) and of
//! the period's calls (`/calls/log.csv`) for users with the export right.

use super::i18n::Tr;
use super::{page, Layout, OrFail, Ui, UiResult};
use crate::state::AppState;
use askama::Template;
use axum::body::Body;
use axum::extract::Query;
use axum::http::{header, HeaderValue};
use axum::response::IntoResponse;
use axum::routing::get;
use axum::Router;
use chrono::NaiveDate;
use sb_service::telephony::stats::{
    self, avg_answer_s, avg_talk_s, can_export, CallLog, Figures, Period, Statistics,
};
use serde::Deserialize;
use serde_json::json;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/calls/statistics", get(show))
        .route("/calls/statistics.csv", get(table_csv))
        .route("/calls/log.csv", get(log_csv))
}

#[derive(Deserialize, Default)]
struct PeriodQuery {
    #[serde(default)]
    period: String,
    #[serde(default)]
    from: String,
    #[serde(default)]
    to: String,
}

/// The period asked for, or the translation keys of what is wrong with the range
/// (for the `from` and `to` fields).
struct Asked {
    period: Period,
    from_error: Option<&'static str>,
    to_error: Option<&'static str>,
}

fn parse_day(s: &str) -> Option<NaiveDate> {
    NaiveDate::parse_from_str(s.trim(), "%Y-%m-%d").ok()
}

fn asked(q: &PeriodQuery) -> Asked {
    let mut a = Asked {
        period: Period::parse(q.period.trim()).unwrap_or(Period::Today),
        from_error: None,
        to_error: None,
    };
    if q.period.trim() != "range" && (q.from.trim().is_empty() && q.to.trim().is_empty()) {
        return a;
    }
    let first = parse_day(&q.from);
    let last = parse_day(&q.to);
    if first.is_none() {
        a.from_error = Some("statistics-error-date");
    }
    if last.is_none() {
        a.to_error = Some("statistics-error-date");
    }
    if let (Some(first), Some(last)) = (first, last) {
        if last < first {
            a.to_error = Some("statistics-error-order");
        } else if (last - first).num_days() >= 367 {
            a.to_error = Some("statistics-error-long");
        } else {
            a.period = Period::Days { first, last };
        }
    }
    a
}

/// The query string that names a period (for the CSV links).
fn period_query(p: &Period, s: &Statistics) -> String {
    match p {
        Period::Days { .. } | Period::Span { .. } => {
            format!("from={}&to={}", s.first_day, s.last_day)
        }
        other => format!("period={}", other.name()),
    }
}

/// A row of the table as shown.
struct RowView {
    name: String,
    f: Figures,
    avg_talk: Option<i64>,
    avg_answer: Option<i64>,
}

fn row_view(name: String, f: &Figures) -> RowView {
    RowView {
        name,
        f: f.clone(),
        avg_talk: avg_talk_s(f),
        avg_answer: avg_answer_s(f).map(|s| s.round() as i64),
    }
}

#[derive(Template)]
#[template(path = "statistics/index.html")]
struct StatsPage {
    l: Layout,
    period: &'static str,
    from: String,
    to: String,
    from_error: Option<&'static str>,
    to_error: Option<&'static str>,
    first_ms: i64,
    last_ms: i64,
    single_day: bool,
    rows: Vec<RowView>,
    totals: RowView,
    empty: bool,
    can_export: bool,
    query: String,
    /// The charts' data (JSON with `<`, `>` and `&` escaped, safe in a script element).
    chart: String,
}

/// JSON for a `<script type="application/json">` element: nothing in it can close the
/// element or start markup.
fn script_json(v: &serde_json::Value) -> String {
    v.to_string()
        .replace('<', "\\u003c")
        .replace('>', "\\u003e")
        .replace('&', "\\u0026")
}

async fn show(ui: Ui, Query(q): Query<PeriodQuery>) -> UiResult {
    let a = asked(&q);
    let s = stats::statistics(ui.ctx(), &ui.actor, a.period)
        .await
        .or_fail(&ui)?;
    let l = ui.layout("statistics");
    let unassigned = l.t("statistics-unassigned");
    let name = |n: &str| {
        if n.is_empty() {
            unassigned.clone()
        } else {
            n.to_string()
        }
    };
    let fmt_day = |d: &stats::Day| l.date(d.start + 12 * 3_600_000);
    let chart = json!({
        "labels": {
            "answered": l.t("statistics-answered"),
            "missed": l.t("statistics-missed"),
            "outgoing": l.t("statistics-outgoing"),
            "day": l.t("statistics-day"),
            "manager": l.t("statistics-manager"),
        },
        "days": {
            "x": s.days.iter().map(fmt_day).collect::<Vec<_>>(),
            "iso": s.days.iter().map(|d| d.date.to_string()).collect::<Vec<_>>(),
            "answered": s.days.iter().map(|d| d.counts.answered).collect::<Vec<_>>(),
            "missed": s.days.iter().map(|d| d.counts.missed).collect::<Vec<_>>(),
            "outgoing": s.days.iter().map(|d| d.counts.outgoing).collect::<Vec<_>>(),
        },
        "managers": {
            "x": s.rows.iter().map(|r| name(&r.name)).collect::<Vec<_>>(),
            "answered": s.rows.iter().map(|r| r.figures.answered_in).collect::<Vec<_>>(),
            "missed": s.rows.iter().map(|r| r.figures.missed).collect::<Vec<_>>(),
            "outgoing": s.rows.iter().map(|r| r.figures.outgoing).collect::<Vec<_>>(),
        },
    });
    let rows = s
        .rows
        .iter()
        .map(|r| row_view(name(&r.name), &r.figures))
        .collect();
    let (from, to) = match a.period {
        Period::Days { .. } => (s.first_day.to_string(), s.last_day.to_string()),
        _ if a.from_error.is_some() || a.to_error.is_some() => (q.from.clone(), q.to.clone()),
        _ => (s.first_day.to_string(), s.last_day.to_string()),
    };
    let last_ms = s.days.last().map(|d| d.start).unwrap_or(s.from);
    Ok(page(&StatsPage {
        period: a.period.name(),
        from,
        to,
        from_error: a.from_error,
        to_error: a.to_error,
        first_ms: s.from,
        last_ms,
        single_day: s.first_day == s.last_day,
        totals: row_view(l.t("statistics-total"), &s.totals),
        rows,
        empty: s.is_empty(),
        can_export: can_export(&ui.actor),
        query: period_query(&a.period, &s),
        chart: script_json(&chart),
        l,
    }))
}

/// One CSV field, quoted as RFC 4180 says when it holds a comma, a quote or a line
/// break. A leading `=` or `@`, or `+`/`-` not followed by a digit (a phone number
/// keeps its `+`), is prefixed with `'` so a spreadsheet does not run it as a formula.
fn field(s: &str) -> String {
    let mut chars = s.chars();
    let formula = match chars.next() {
        Some('=' | '@') => true,
        Some('+' | '-') => !chars.next().is_some_and(|c| c.is_ascii_digit()),
        _ => false,
    };
    let s = if formula {
        format!("'{s}")
    } else {
        s.to_string()
    };
    if s.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s
    }
}

fn line(out: &mut String, fields: &[String]) {
    let v: Vec<String> = fields.iter().map(|f| field(f)).collect();
    out.push_str(&v.join(","));
    out.push_str("\r\n");
}

fn csv_response(body: impl Into<Body>, filename: &str) -> axum::response::Response {
    let mut res = body.into().into_response();
    let h = res.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/csv; charset=utf-8"),
    );
    if let Ok(v) = HeaderValue::from_str(&format!("attachment; filename=\"{filename}\"")) {
        h.insert(header::CONTENT_DISPOSITION, v);
    }
    res
}

fn opt(v: Option<i64>) -> String {
    v.map(|v| v.to_string()).unwrap_or_default()
}

async fn table_csv(ui: Ui, Query(q): Query<PeriodQuery>) -> UiResult {
    let a = asked(&q);
    let s = stats::statistics_export(ui.ctx(), &ui.actor, a.period)
        .await
        .or_fail(&ui)?;
    let t = |k: &str| ui.tr.t(k);
    let mut out = String::new();
    line(
        &mut out,
        &[
            t("statistics-manager"),
            t("statistics-incoming"),
            t("statistics-outgoing"),
            t("statistics-answered"),
            t("statistics-missed"),
            t("statistics-not-called-back"),
            t("statistics-csv-talk"),
            t("statistics-csv-avg-talk"),
            t("statistics-csv-avg-answer"),
        ],
    );
    let mut row = |name: String, f: &Figures| {
        line(
            &mut out,
            &[
                name,
                f.incoming.to_string(),
                f.outgoing.to_string(),
                f.answered.to_string(),
                f.missed.to_string(),
                f.missed_not_called_back.to_string(),
                f.talk_s.to_string(),
                opt(avg_talk_s(f)),
                avg_answer_s(f)
                    .map(|v| format!("{v:.1}"))
                    .unwrap_or_default(),
            ],
        )
    };
    for r in &s.rows {
        let name = if r.name.is_empty() {
            t("statistics-unassigned")
        } else {
            r.name.clone()
        };
        row(name, &r.figures);
    }
    row(t("statistics-total"), &s.totals);
    Ok(csv_response(
        out,
        &format!("call-statistics-{}-{}.csv", s.first_day, s.last_day),
    ))
}

/// The period's calls, one line each, oldest first. The file is streamed a page of
/// calls at a time (a long period of a busy account never sits in memory whole); a
/// database error after the first bytes aborts the download rather than end it short.
async fn log_csv(ui: Ui, Query(q): Query<PeriodQuery>) -> UiResult {
    let a = asked(&q);
    let log = stats::call_log(ui.ctx(), &ui.actor, a.period)
        .await
        .or_fail(&ui)?;
    let filename = format!("calls-{}-{}.csv", log.first_day, log.last_day);
    let mut head = String::new();
    line(
        &mut head,
        &[
            ui.tr.t("statistics-csv-time"),
            ui.tr.t("statistics-csv-direction"),
            ui.tr.t("statistics-csv-result"),
            ui.tr.t("statistics-manager"),
            ui.tr.t("statistics-csv-number"),
            ui.tr.t("statistics-csv-contact"),
            ui.tr.t("statistics-csv-duration"),
        ],
    );
    let (st, actor, tr) = (ui.st.clone(), ui.actor.clone(), ui.tr.clone());
    let pages = futures_util::stream::unfold((Some(head), Some(log)), move |(head, log)| {
        let (st, actor, tr) = (st.clone(), actor.clone(), tr.clone());
        async move {
            if let Some(h) = head {
                return Some((Ok(h), (None, log)));
            }
            let mut log = log?;
            match log.next_page(&st.ctx, &actor).await {
                Ok(rows) if rows.is_empty() => None,
                Ok(rows) => Some((Ok(log_lines(&tr, &actor, &rows)), (None, Some(log)))),
                Err(e) => {
                    tracing::error!(error = %e, "call log export failed");
                    Some((
                        Err(std::io::Error::other("call log export failed")),
                        (None, None),
                    ))
                }
            }
        }
    });
    Ok(csv_response(Body::from_stream(pages), &filename))
}

fn log_lines(tr: &Tr, actor: &sb_service::Actor, rows: &[stats::LogRow]) -> String {
    let mut out = String::new();
    for r in rows {
        let c = &r.call;
        line(
            &mut out,
            &[
                CallLog::local_time(actor, c.created_at),
                tr.t(if c.direction == "inbound" {
                    "statistics-csv-in"
                } else {
                    "statistics-csv-out"
                }),
                tr.t(&format!("statistics-result-{}", r.result.as_str())),
                r.manager.clone(),
                c.customer_e164
                    .clone()
                    .or_else(|| c.customer_phone.clone())
                    .unwrap_or_default(),
                c.contact_name
                    .clone()
                    .or_else(|| c.company_name.clone())
                    .unwrap_or_default(),
                opt(c.duration_s),
            ],
        );
    }
    out
}

#[cfg(test)]
mod tests {
    use super::field;

    #[test]
    fn csv_fields_are_quoted_as_rfc_4180_says() {
        assert_eq!(field("plain"), "plain");
        assert_eq!(field("Smith, John"), "\"Smith, John\"");
        assert_eq!(field("say \"hi\""), "\"say \"\"hi\"\"\"");
        assert_eq!(field("two\nlines"), "\"two\nlines\"");
        assert_eq!(field("=1+1"), "'=1+1");
        assert_eq!(field("+34600111222"), "+34600111222");
    }
}
