//! Telephony in the browser (V1, V2, V5, P3, P4): the live WebSocket behind the call
//! pop-ups, click-to-call from a card or the header's dialer, the call-result form, a
//! blacklist button on cards, and the supervisors' live board.
//!
//! The WebSocket (`/live`) is opened by `assets/live.js` on every page of a signed-in
//! user. It is authenticated by the session cookie (the guard has resolved it), refuses
//! a handshake from another origin (a page elsewhere cannot open it with the user's
//! cookie), ends when the session ends, and sends JSON frames:
//! - `{"type":"sync","now":ms,"calls":[call…]}` first, and again on request (`"sync"`
//!   from the browser) or when this tab fell behind: the calls in progress for the user,
//!   so that a reconnecting tab shows every pop-up it should;
//! - `{"type":"call","kind":"ringing|answered|ended|error",…,"now":ms}`: a call that
//!   concerns the user (their extension, their customer) or that this tab already shows;
//!   an `error` carries a translated `message` (their click-to-call failed);
//! - `{"type":"board"}` to supervisors on any call change (the board refetches itself;
//!   the frame says nothing of the call).

use super::{page, same_origin, Layout, OrFail, Ui, UiResult};
use crate::state::AppState;
use askama::Template;
use axum::extract::ws::{Message, WebSocket, WebSocketUpgrade};
use axum::extract::{Form, Path};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;
use sb_domain::entities::CardKind;
use sb_domain::{CallId, LeadId};
use sb_service::telephony::hub::LiveEvent;
use sb_service::telephony::live::{self, AgentState, LeadChoice};
use serde::Deserialize;
use serde_json::{json, Value};
use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};
use tokio::sync::broadcast::error::RecvError;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/live", get(socket))
        .route("/calls/dial", post(dial))
        .route("/calls/blacklist", post(blacklist))
        .route("/calls/live", get(board_page))
        .route("/calls/live/board", get(board_part))
        .route("/calls/{id}/result", get(result_form).post(save_result))
}

// ---------------------------------------------------------------------------------
// The WebSocket

/// How often an open socket checks that its session still lives (and pings).
const CHECK_EVERY: Duration = Duration::from_secs(30);

async fn socket(ui: Ui, headers: HeaderMap, ws: WebSocketUpgrade) -> Response {
    // Browsers always send Origin with a WebSocket handshake; a missing or foreign one
    // is refused (cross-site WebSocket hijacking).
    if !headers.contains_key(header::ORIGIN) || !same_origin(&headers) {
        return StatusCode::FORBIDDEN.into_response();
    }
    // Frames are small and few: small buffers keep a connected agent cheap (the
    // defaults reserve 128 KiB each way per socket).
    // Each user has a bounded number of sockets (tabs), and so has the server: the place
    // is held for as long as the socket lives, and given back however it ends.
    let slot = match ui.st.sockets.take(ui.actor.user.id.0, &ui.st.limits) {
        Ok(slot) => slot,
        Err(full) => {
            tracing::warn!(reason = %full.reason(), "live socket refused");
            return (StatusCode::TOO_MANY_REQUESTS, full.reason()).into_response();
        }
    };
    ws.read_buffer_size(SOCKET_BUFFER)
        .write_buffer_size(SOCKET_BUFFER)
        .on_upgrade(move |s| async move {
            run(s, ui).await;
            drop(slot);
        })
}

/// Each way, per socket.
const SOCKET_BUFFER: usize = 4 * 1024;

/// The account's user names, shared by all its sockets (a frame names the responsible
/// manager and the user on the call), read again when a name is missing and the copy
/// is older than [`NAMES_FRESH`], or when it is older than [`NAMES_KEEP`].
type Names = Arc<HashMap<i64, String>>;
const NAMES_FRESH: Duration = Duration::from_secs(5);
/// A renamed user's new name shows within this long.
const NAMES_KEEP: Duration = Duration::from_secs(60);

fn names_cache() -> &'static Mutex<HashMap<i64, (Instant, Names)>> {
    static C: OnceLock<Mutex<HashMap<i64, (Instant, Names)>>> = OnceLock::new();
    C.get_or_init(|| Mutex::new(HashMap::new()))
}

async fn account_names(ui: &Ui, need: &[i64]) -> Names {
    let account = ui.actor.account.id.0;
    let cached = names_cache()
        .lock()
        .ok()
        .and_then(|m| m.get(&account).cloned());
    if let Some((at, names)) = &cached {
        let known = need.iter().all(|u| names.contains_key(u));
        if at.elapsed() < NAMES_FRESH || (known && at.elapsed() < NAMES_KEEP) {
            return names.clone();
        }
    }
    let names: Names = match sb_service::users::list(&ui.st.ctx, &ui.actor).await {
        Ok(all) => Arc::new(all.into_iter().map(|u| (u.id.0, u.name)).collect()),
        Err(e) => {
            tracing::warn!(error = %e, "reading user names for a live socket");
            return cached.map(|(_, n)| n).unwrap_or_default();
        }
    };
    if let Ok(mut m) = names_cache().lock() {
        m.insert(account, (Instant::now(), names.clone()));
    }
    names
}

/// One tab's connection.
struct Conn {
    ui: Ui,
    names: Names,
    /// Calls this tab shows: their later events come here even when they concern
    /// another user (the call was answered elsewhere: the pop-up closes).
    shown: HashSet<i64>,
    supervisor: bool,
}

async fn run(mut ws: WebSocket, ui: Ui) {
    let ctx = ui.st.ctx.clone();
    // Subscribed before the calls in progress are read: nothing falls in between.
    let mut rx = ctx.hub.subscribe(ui.actor.account.id);
    let mut conn = Conn {
        names: Names::default(),
        shown: HashSet::new(),
        supervisor: live::can_supervise(&ui.actor),
        ui,
    };
    conn.load_names(&[]).await;
    if conn.sync(&mut ws).await.is_err() {
        return;
    }
    // Sockets opened together (a node restarting) do not check their sessions together.
    let jitter = conn
        .ui
        .token
        .bytes()
        .fold(0u64, |h, b| h.wrapping_mul(31).wrapping_add(u64::from(b)))
        % (CHECK_EVERY.as_millis() as u64);
    let first = tokio::time::Instant::now() + CHECK_EVERY + Duration::from_millis(jitter);
    let mut check = tokio::time::interval_at(first, CHECK_EVERY);
    loop {
        tokio::select! {
            ev = rx.recv() => match ev {
                Ok(ev) => {
                    if conn.forward(&mut ws, &ev).await.is_err() {
                        break;
                    }
                }
                Err(RecvError::Lagged(_)) => {
                    if conn.sync(&mut ws).await.is_err() {
                        break;
                    }
                }
                Err(RecvError::Closed) => break,
            },
            msg = ws.recv() => match msg {
                Some(Ok(Message::Text(t))) if t.as_str() == "sync" => {
                    if conn.sync(&mut ws).await.is_err() {
                        break;
                    }
                }
                Some(Ok(Message::Close(_))) | Some(Err(_)) | None => break,
                Some(Ok(_)) => {}
            },
            _ = check.tick() => {
                match sb_service::sessions::resolve(&ctx, &conn.ui.token).await {
                    Ok(Some(_)) => {
                        if ws.send(Message::Ping(Vec::new().into())).await.is_err() {
                            break;
                        }
                    }
                    // Signed out, expired or deactivated: the tab is told and closed.
                    Ok(None) => {
                        let _ = ws.send(Message::Close(Some(axum::extract::ws::CloseFrame {
                            code: 4401,
                            reason: "signed out".into(),
                        }))).await;
                        break;
                    }
                    Err(e) => tracing::warn!(error = %sb_domain::report::Chain(&e), "checking a live socket's session"),
                }
            }
        }
    }
}

impl Conn {
    async fn load_names(&mut self, need: &[i64]) {
        self.names = account_names(&self.ui, need).await;
    }

    fn frame(&self, ev: &LiveEvent) -> Value {
        let mut v = serde_json::to_value(ev).unwrap_or_else(|_| json!({}));
        if let Some(o) = v.as_object_mut() {
            o.insert("type".into(), json!("call"));
            o.insert("now".into(), json!(self.ui.st.ctx.now()));
            let name_of = |id: Option<i64>| id.and_then(|u| self.names.get(&u).cloned());
            o.insert(
                "responsible_name".into(),
                json!(name_of(ev.responsible_user_id)),
            );
            o.insert("user_name".into(), json!(name_of(ev.user_id)));
            let href = match (ev.entity_type.as_deref(), ev.entity_id) {
                (Some("contact"), Some(id)) => Some(card_href(CardKind::Contact, id)),
                (Some("company"), Some(id)) => Some(card_href(CardKind::Company, id)),
                _ => None,
            };
            o.insert("href".into(), json!(href));
            // The virtual number as people write it (the PBX sends bare digits).
            if let Some(n) = ev.our_number.as_deref() {
                let p = sb_domain::Phone::parse(n, &self.ui.actor.account.country);
                o.insert(
                    "our_number".into(),
                    json!(p.e164.unwrap_or_else(|| n.to_string())),
                );
            }
            if ev.kind == "error" {
                o.insert("message".into(), json!(self.error_text(ev)));
            }
        }
        v
    }

    /// A click-to-call failure in the user's language, with what to do.
    fn error_text(&self, ev: &LiveEvent) -> String {
        dial_error_text(
            &self.ui,
            ev.code.as_deref().unwrap_or("other"),
            ev.message.as_deref().unwrap_or(""),
        )
    }

    async fn send(&self, ws: &mut WebSocket, v: &Value) -> Result<(), axum::Error> {
        ws.send(Message::Text(v.to_string().into())).await
    }

    async fn sync(&mut self, ws: &mut WebSocket) -> Result<(), axum::Error> {
        let calls = match live::in_progress(&self.ui.st.ctx, &self.ui.actor).await {
            Ok(c) => c,
            Err(e) => {
                tracing::warn!(error = %e, "reading the calls in progress for a live socket");
                Vec::new()
            }
        };
        let need: Vec<i64> = calls
            .iter()
            .flat_map(|c| [c.responsible_user_id, c.user_id])
            .flatten()
            .collect();
        if need.iter().any(|u| !self.names.contains_key(u)) {
            self.load_names(&need).await;
        }
        self.shown = calls.iter().filter_map(|c| c.call_id).collect();
        let frames: Vec<Value> = calls.iter().map(|c| self.frame(c)).collect();
        let v = json!({"type": "sync", "now": self.ui.st.ctx.now(), "calls": frames});
        self.send(ws, &v).await
    }

    async fn forward(&mut self, ws: &mut WebSocket, ev: &LiveEvent) -> Result<(), axum::Error> {
        let me = self.ui.actor.user.id;
        let shown = ev.call_id.is_some_and(|c| self.shown.contains(&c));
        if ev.is_for(me) || (shown && ev.kind != "error") {
            if let Some(id) = ev.call_id {
                if ev.kind == "ended" {
                    self.shown.remove(&id);
                } else {
                    self.shown.insert(id);
                }
            }
            let need: Vec<i64> = [ev.responsible_user_id, ev.user_id]
                .into_iter()
                .flatten()
                .collect();
            if need.iter().any(|u| !self.names.contains_key(u)) {
                self.load_names(&need).await;
            }
            let f = self.frame(ev);
            self.send(ws, &f).await?;
        }
        if self.supervisor && ev.kind != "error" {
            self.send(ws, &json!({"type": "board"})).await?;
        }
        Ok(())
    }
}

/// A card's page.
fn card_href(kind: CardKind, id: i64) -> String {
    format!("/{}/{id}", kind.plural())
}

// ---------------------------------------------------------------------------------
// Click-to-call

/// What the user reads when a call could not be placed: our words for what we know,
/// the PBX's own words otherwise.
fn dial_error_text(ui: &Ui, code: &str, message: &str) -> String {
    match code {
        "no_integration"
        | "no_extension"
        | "bad_number"
        | "no_money"
        | "wrong_number"
        | "pbx_unreachable"
        | "settings_unreadable" => ui.tr.t(&format!("calls-error-{code}")),
        _ => ui
            .tr
            .t1("calls-error-other", "message", message.to_string()),
    }
}

#[derive(Deserialize)]
struct DialForm {
    #[serde(default)]
    phone: String,
}

#[derive(Template)]
#[template(path = "calls/status.html")]
struct Status {
    ok: bool,
    text: String,
}

fn status(ok: bool, text: String, code: StatusCode) -> Response {
    let body = Status { ok, text }.render().unwrap_or_default();
    // htmx swaps only 2xx answers by default: a refusal is still shown (200), and the
    // status is kept in a header for programs.
    let mut res = (StatusCode::OK, Html(body)).into_response();
    if let Ok(v) = code.as_u16().to_string().parse() {
        res.headers_mut().insert("x-sb-status", v);
    }
    res
}

/// Starts a call from the user's extension (the card's call buttons, the dialer): the
/// answer is a short status for the header; the pop-up follows from the PBX's events.
async fn dial(ui: Ui, Form(f): Form<DialForm>) -> Response {
    let phone = f.phone.trim().to_string();
    if phone.is_empty() {
        return status(
            false,
            ui.tr.t("calls-error-bad_number"),
            StatusCode::UNPROCESSABLE_ENTITY,
        );
    }
    match sb_service::telephony::dial(ui.ctx(), &ui.actor, &phone, None, None).await {
        Ok(ext) => status(
            true,
            format!(
                "{} {}",
                ui.tr.t1("calls-dialing", "phone", phone.clone()),
                ui.tr.t1("calls-dialing-ext", "extension", ext)
            ),
            StatusCode::OK,
        ),
        Err(e) => {
            let message = match &e.error {
                sb_service::ServiceError::Upstream(m) | sb_service::ServiceError::BadRequest(m) => {
                    m.clone()
                }
                other => other.to_string(),
            };
            let code = match e.code {
                "no_money" | "wrong_number" | "pbx_refused" | "pbx_unreachable" => {
                    StatusCode::BAD_GATEWAY
                }
                _ => StatusCode::UNPROCESSABLE_ENTITY,
            };
            status(false, dial_error_text(&ui, e.code, &message), code)
        }
    }
}

/// The card's "blacklist" button (P10): calls from this number are refused from now on.
async fn blacklist(ui: Ui, Form(f): Form<DialForm>) -> Response {
    let note = ui
        .tr
        .t1("calls-blacklisted-by", "name", ui.actor.user.name.clone());
    match sb_service::telephony::blacklist_add(ui.ctx(), &ui.actor, &f.phone, &note).await {
        Ok(_) => status(
            true,
            ui.tr.t1("calls-blacklisted", "phone", f.phone.clone()),
            StatusCode::OK,
        ),
        Err(sb_service::ServiceError::Conflict(_)) => status(
            true,
            ui.tr
                .t1("calls-already-blacklisted", "phone", f.phone.clone()),
            StatusCode::OK,
        ),
        Err(sb_service::ServiceError::Validation(_)) => status(
            false,
            ui.tr.t("calls-error-bad_number"),
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
        Err(e) => ui.fail(e).into_response(),
    }
}

// ---------------------------------------------------------------------------------
// The call's result (V5)

#[derive(Template)]
#[template(path = "calls/result.html")]
struct ResultPart {
    l: Layout,
    id: i64,
    text: String,
    card: Option<(String, String)>,
    leads: Vec<(i64, String)>,
    chosen: String,
    lead_name: String,
    errors: super::FormErrors,
    saved: bool,
}

fn call_id(ui: &Ui, raw: &str) -> Result<CallId, super::UiFail> {
    raw.parse()
        .map(CallId)
        .map_err(|_| ui.fail(sb_service::ServiceError::NotFound))
}

async fn result_part(
    ui: &Ui,
    id: CallId,
    chosen: String,
    lead_name: String,
    text: Option<String>,
    errors: super::FormErrors,
    saved: bool,
) -> UiResult {
    let f = live::result_form(ui.ctx(), &ui.actor, id)
        .await
        .or_fail(ui)?;
    let card = f.card.map(|(kind, id, name)| (card_href(kind, id), name));
    Ok(page(&ResultPart {
        l: ui.layout(""),
        id: id.0,
        text: text.unwrap_or(f.text),
        card,
        leads: f.leads.iter().map(|l| (l.id.0, l.name.clone())).collect(),
        chosen,
        lead_name,
        errors,
        saved,
    }))
}

async fn result_form(ui: Ui, Path(raw): Path<String>) -> UiResult {
    let id = call_id(&ui, &raw)?;
    result_part(
        &ui,
        id,
        String::new(),
        String::new(),
        None,
        super::FormErrors::none(),
        false,
    )
    .await
}

#[derive(Deserialize)]
struct ResultInput {
    #[serde(default)]
    text: String,
    #[serde(default)]
    lead: String,
    #[serde(default)]
    lead_name: String,
}

async fn save_result(ui: Ui, Path(raw): Path<String>, Form(f): Form<ResultInput>) -> UiResult {
    let id = call_id(&ui, &raw)?;
    let choice = match f.lead.as_str() {
        "" => LeadChoice::Keep,
        "new" => LeadChoice::New(f.lead_name.clone()),
        other => match other.parse() {
            Ok(n) => LeadChoice::Existing(LeadId(n)),
            Err(_) => LeadChoice::Keep,
        },
    };
    match live::save_result(ui.ctx(), &ui.actor, id, &f.text, choice).await {
        Ok(()) => {
            result_part(
                &ui,
                id,
                f.lead,
                String::new(),
                None,
                super::FormErrors::none(),
                true,
            )
            .await
        }
        Err(sb_service::ServiceError::BadRequest(m)) => {
            let errors = super::FormErrors::general(m);
            result_part(&ui, id, f.lead, f.lead_name, Some(f.text), errors, false).await
        }
        Err(e) => {
            let errors = ui.form_errors(e)?;
            result_part(&ui, id, f.lead, f.lead_name, Some(f.text), errors, false).await
        }
    }
}

// ---------------------------------------------------------------------------------
// The live board

#[derive(Template)]
#[template(path = "calls/board.html")]
struct BoardPage {
    l: Layout,
    rows: Vec<BoardRow>,
    now: i64,
}

#[derive(Template)]
#[template(path = "calls/_board.html")]
struct BoardPart {
    l: Layout,
    rows: Vec<BoardRow>,
    now: i64,
}

pub struct BoardRow {
    pub name: String,
    pub extension: String,
    /// `free`, `ringing` or `talking`.
    pub state: &'static str,
    pub state_text: String,
    pub inbound: bool,
    pub with: Option<(Option<String>, String)>,
    pub since: i64,
    pub missed: i64,
}

async fn board_rows(ui: &Ui) -> Result<Vec<BoardRow>, super::UiFail> {
    let l = ui.layout("");
    let (day_start, _) = l.fmt.day_bounds(ui.ctx().now());
    let agents = live::board(ui.ctx(), &ui.actor, day_start)
        .await
        .or_fail(ui)?;
    Ok(agents.into_iter().map(|a| row(ui, a)).collect())
}

fn row(ui: &Ui, a: AgentState) -> BoardRow {
    let (state, key) = match &a.call {
        None => ("free", "calls-board-free"),
        Some(c) if c.answered => ("talking", "calls-board-talking"),
        Some(_) => ("ringing", "calls-board-ringing"),
    };
    let with = a.call.as_ref().map(|c| match &c.card {
        Some((kind, id, name)) => (Some(card_href(*kind, *id)), name.clone()),
        None => (
            None,
            c.phone
                .clone()
                .unwrap_or_else(|| ui.tr.t("calls-unknown-number")),
        ),
    });
    BoardRow {
        name: a.user.name,
        extension: a.extension.unwrap_or_default(),
        state,
        state_text: ui.tr.t(key),
        inbound: a.call.as_ref().is_some_and(|c| c.inbound),
        with,
        since: a.call.as_ref().map(|c| c.since).unwrap_or(0),
        missed: a.missed_today,
    }
}

async fn board_page(ui: Ui) -> UiResult {
    let rows = board_rows(&ui).await?;
    Ok(page(&BoardPage {
        l: ui.layout("live"),
        rows,
        now: ui.ctx().now(),
    }))
}

async fn board_part(ui: Ui) -> UiResult {
    let rows = board_rows(&ui).await?;
    Ok(page(&BoardPart {
        l: ui.layout("live"),
        rows,
        now: ui.ctx().now(),
    }))
}
