//! Telephony scenario engine: plans the NOTIFY_* events of one call in the
//! order of spec section 5, sends them signed (spec 3.2) and form-encoded the
//! PHP way, and obeys the CRM's reply to NOTIFY_START (spec 4).

use std::fmt;
use std::str::FromStr;
use std::time::{Duration, Instant};

use rand::seq::SliceRandom as _;
use rand::{Rng as _, SeedableRng as _};
use reqwest::header::CONTENT_TYPE;
use serde::Serialize;
use serde_json::Value;

use crate::sign::{http_build_query, webhook_signature};
use crate::{CallRecord, Shared, SimError};

/// A kind of call the simulator can play.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Scenario {
    /// START → INTERNAL per extension → ANSWER (last extension rung) → END → RECORD.
    IncomingAnswered,
    /// START → INTERNAL → END `no answer`.
    IncomingMissed,
    /// START → INTERNAL → END `busy`.
    IncomingBusy,
    /// START → END `busy` (no INTERNAL), whatever the CRM answers.
    Blacklisted,
    /// START → INTERNAL A → INTERNAL B → ANSWER B → END → RECORD.
    InternalTransfer,
    /// An extension dials out: OUT_START → ANSWER → OUT_END → RECORD.
    Outgoing,
    /// `/v1/request/callback/`: the client leg, OUT_START → ANSWER → OUT_END → RECORD.
    ClickToCall,
}

impl Scenario {
    pub const ALL: [Scenario; 7] = [
        Self::IncomingAnswered,
        Self::IncomingMissed,
        Self::IncomingBusy,
        Self::Blacklisted,
        Self::InternalTransfer,
        Self::Outgoing,
        Self::ClickToCall,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Self::IncomingAnswered => "incoming_answered",
            Self::IncomingMissed => "incoming_missed",
            Self::IncomingBusy => "incoming_busy",
            Self::Blacklisted => "blacklisted",
            Self::InternalTransfer => "internal_transfer",
            Self::Outgoing => "outgoing",
            Self::ClickToCall => "click_to_call",
        }
    }

    pub fn is_incoming(self) -> bool {
        !matches!(self, Self::Outgoing | Self::ClickToCall)
    }
}

impl fmt::Display for Scenario {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Scenario {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::ALL
            .into_iter()
            .find(|sc| sc.name() == s)
            .ok_or_else(|| {
                let names: Vec<&str> = Self::ALL.iter().map(|sc| sc.name()).collect();
                format!("unknown scenario {s:?} (one of {})", names.join(", "))
            })
    }
}

/// Order in which a call's events are delivered.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum EventOrder {
    /// The real order of spec section 5.
    #[default]
    Real,
    /// NOTIFY_RECORD before the END / OUT_END.
    RecordBeforeEnd,
    /// END / OUT_END first, before START.
    EndFirst,
    /// Everything reversed.
    Reverse,
    /// A seeded random permutation.
    Shuffle { seed: u64 },
}

impl EventOrder {
    /// With these orders NOTIFY_START is still delivered first, so its reply
    /// can steer the call; with the others the call follows its default route.
    fn start_first(self) -> bool {
        matches!(self, Self::Real | Self::RecordBeforeEnd)
    }
}

/// Delivery quirks of one scenario run.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ScenarioOptions {
    /// Deliver every event twice in a row (PBX retries).
    pub duplicate: bool,
    /// Pause between deliveries (keep it tiny in tests).
    pub gap: Duration,
    pub order: EventOrder,
    /// Override [`crate::SimConfig::recordings`] for this call.
    pub record: Option<bool>,
}

/// One call to simulate.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ScenarioSpec {
    pub scenario: Scenario,
    /// The outside party: caller of an incoming call, dialled number of an outgoing one.
    pub caller: String,
    /// Our DID: called number of an incoming call, presented CallerID of an outgoing one.
    pub called_did: String,
    /// Extensions rung, in order (the last one answers); for outgoing calls the
    /// first is the calling extension. Empty = taken from the config.
    pub extensions: Vec<String>,
    /// Reported as `duration`; never slept for.
    pub talk_seconds: u32,
    pub options: ScenarioOptions,
}

impl ScenarioSpec {
    /// The spec's sample numbers, extensions from the config, 47 s of talk.
    pub fn new(scenario: Scenario) -> Self {
        Self {
            scenario,
            caller: "34600111222".to_owned(),
            called_did: "34911234567".to_owned(),
            extensions: Vec::new(),
            talk_seconds: 47,
            options: ScenarioOptions::default(),
        }
    }
}

/// One webhook delivery and what the CRM answered.
#[derive(Clone, Debug, Serialize)]
pub struct SentWebhook {
    pub event: String,
    /// Form fields in the order sent.
    pub fields: Vec<(String, String)>,
    /// The exact body sent.
    pub body: String,
    pub signature: String,
    /// HTTP status the CRM answered; `None` when the request failed.
    pub status: Option<u16>,
    pub response: String,
    pub latency: Duration,
    pub error: Option<String>,
}

impl SentWebhook {
    pub fn field(&self, name: &str) -> Option<&str> {
        self.fields
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }
}

/// The CRM's reply to NOTIFY_START, parsed leniently (spec 4).
#[derive(Clone, Debug, Default, Serialize)]
pub struct StartReply {
    pub status: Option<u16>,
    pub body: String,
    /// The body as a JSON object, when it was one (and the status was 2xx).
    pub json: Option<Value>,
    pub redirect: Option<String>,
    pub caller_name: Option<String>,
    pub return_timeout: Option<i64>,
    pub hangup: bool,
}

/// What the simulated PBX did with the call after NOTIFY_START.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Routing {
    /// No (usable) instruction: the PBX's own scenario.
    Default,
    /// `{"redirect":"<ext>"}` to a known extension: only it rings.
    Extension(String),
    /// `{"redirect":"blacklist"}`: busy, no INTERNAL.
    Blacklist,
    /// `{"hangup":1}`: ended at once.
    Hangup,
    /// A redirect the simulator cannot follow (voice menu, unknown extension):
    /// default scenario.
    Unsupported(String),
    /// START was not delivered first (reordered), so its reply came too late.
    NotObeyed,
    /// Outgoing calls have no NOTIFY_START.
    NotApplicable,
}

/// Everything that happened in one simulated call.
#[derive(Clone, Debug, Serialize)]
pub struct ScenarioReport {
    pub scenario: Scenario,
    pub pbx_call_id: String,
    pub call_start: String,
    pub caller: String,
    pub called_did: String,
    /// Extensions that rang (INTERNAL events), or the calling extension.
    pub rung: Vec<String>,
    pub answered_by: Option<String>,
    pub disposition: String,
    pub duration: u32,
    /// Set when the call was recorded (NOTIFY_RECORD sent).
    pub call_id_with_rec: Option<String>,
    pub start_reply: Option<StartReply>,
    pub routing: Routing,
    /// `caller_name` from the NOTIFY_START reply.
    pub caller_name: Option<String>,
    /// Every delivery, in the order sent (duplicates included).
    pub webhooks: Vec<SentWebhook>,
}

impl ScenarioReport {
    /// Event names in delivery order.
    pub fn events(&self) -> Vec<&str> {
        self.webhooks.iter().map(|w| w.event.as_str()).collect()
    }

    /// The first delivery of `event`.
    pub fn webhook(&self, event: &str) -> Option<&SentWebhook> {
        self.webhooks.iter().find(|w| w.event == event)
    }
}

type Fields = Vec<(String, String)>;

struct Call {
    scenario: Scenario,
    pbx_call_id: String,
    call_start: String,
    caller: String,
    did: String,
    ring: Vec<String>,
    talk: u32,
    record: bool,
    call_id: String,
}

struct Plan {
    events: Vec<Fields>,
    rung: Vec<String>,
    answered_by: Option<String>,
    disposition: &'static str,
    duration: u32,
    recorded: bool,
}

fn random_hex(bytes: usize) -> String {
    let mut rng = rand::thread_rng();
    (0..bytes)
        .map(|_| format!("{:02x}", rng.gen::<u8>()))
        .collect()
}

/// `in_`/`out_` + 40 hex, as real pbx_call_ids.
pub(crate) fn new_pbx_call_id(incoming: bool) -> String {
    format!("{}_{}", if incoming { "in" } else { "out" }, random_hex(20))
}

/// Shaped like the spec's sample `1715674503.1234567`.
pub(crate) fn new_call_id(unix: i64) -> String {
    format!(
        "{unix}.{:07}",
        rand::thread_rng().gen_range(0..10_000_000u32)
    )
}

pub(crate) fn random_token() -> String {
    random_hex(16)
}

fn kv(k: &str, v: &str) -> (String, String) {
    (k.to_owned(), v.to_owned())
}

impl Call {
    fn new(sh: &Shared, spec: &ScenarioSpec) -> Result<Self, SimError> {
        let known = &sh.config.extensions;
        let ring = if spec.extensions.is_empty() {
            let want = if spec.scenario == Scenario::InternalTransfer {
                2
            } else {
                1
            };
            if known.len() < want {
                return Err(SimError::InvalidSpec(format!(
                    "{} needs {want} configured extension(s)",
                    spec.scenario
                )));
            }
            known[..want].to_vec()
        } else {
            if let Some(bad) = spec.extensions.iter().find(|e| !known.contains(e)) {
                return Err(SimError::InvalidSpec(format!("unknown extension {bad}")));
            }
            spec.extensions.clone()
        };
        if spec.scenario == Scenario::InternalTransfer && ring.len() < 2 {
            return Err(SimError::InvalidSpec(
                "internal_transfer needs two extensions".to_owned(),
            ));
        }
        let now = sh.local_now();
        Ok(Self {
            scenario: spec.scenario,
            pbx_call_id: new_pbx_call_id(spec.scenario.is_incoming()),
            call_start: now.format("%Y-%m-%d %H:%M:%S").to_string(),
            caller: spec.caller.clone(),
            did: spec.called_did.clone(),
            ring,
            talk: spec.talk_seconds,
            record: spec.options.record.unwrap_or(sh.config.recordings),
            call_id: new_call_id(chrono::Utc::now().timestamp()),
        })
    }

    fn base(&self, event: &str) -> Fields {
        vec![
            kv("event", event),
            kv("call_start", &self.call_start),
            kv("pbx_call_id", &self.pbx_call_id),
            kv("caller_id", &self.caller),
            kv("called_did", &self.did),
        ]
    }

    fn record_event(&self) -> Fields {
        vec![
            kv("event", "NOTIFY_RECORD"),
            kv("call_id_with_rec", &self.call_id),
            kv("pbx_call_id", &self.pbx_call_id),
        ]
    }

    fn rec_fields(&self, recorded: bool) -> [(String, String); 2] {
        [
            kv("is_recorded", if recorded { "1" } else { "0" }),
            kv(
                "call_id_with_rec",
                if recorded { &self.call_id } else { "" },
            ),
        ]
    }

    fn incoming_end(
        &self,
        internal: Option<&str>,
        duration: u32,
        disposition: &str,
        status_code: &str,
        recorded: bool,
    ) -> Fields {
        let mut f = self.base("NOTIFY_END");
        if let Some(ext) = internal {
            f.push(kv("internal", ext));
            f.push(kv("last_internal", ext));
        }
        f.push(kv("duration", &duration.to_string()));
        f.push(kv("disposition", disposition));
        f.push(kv("status_code", status_code));
        f.extend(self.rec_fields(recorded));
        f
    }

    /// Everything after NOTIFY_START, given what the PBX decided.
    fn plan_incoming(&self, routing: &Routing) -> Plan {
        let rejected = match (self.scenario, routing) {
            (Scenario::Blacklisted, _) | (_, Routing::Blacklist) => Some("busy"),
            (_, Routing::Hangup) => Some("cancel"),
            _ => None,
        };
        if let Some(disposition) = rejected {
            let code = if disposition == "busy" { "17" } else { "16" };
            return Plan {
                events: vec![self.incoming_end(None, 0, disposition, code, false)],
                rung: Vec::new(),
                answered_by: None,
                disposition,
                duration: 0,
                recorded: false,
            };
        }
        let rung = match routing {
            Routing::Extension(ext) => vec![ext.clone()],
            _ => self.ring.clone(),
        };
        let mut events: Vec<Fields> = rung
            .iter()
            .map(|ext| {
                let mut f = self.base("NOTIFY_INTERNAL");
                f.push(kv("internal", ext));
                f
            })
            .collect();
        let last = rung.last().cloned().unwrap_or_default();
        let (disposition, code) = match self.scenario {
            Scenario::IncomingMissed => ("no answer", "19"),
            Scenario::IncomingBusy => ("busy", "17"),
            _ => ("answered", "16"),
        };
        let answered = disposition == "answered";
        let recorded = answered && self.record;
        if answered {
            events.push(vec![
                kv("event", "NOTIFY_ANSWER"),
                kv("caller_id", &self.caller),
                kv("destination", &last),
                kv("call_start", &self.call_start),
                kv("pbx_call_id", &self.pbx_call_id),
                kv("internal", &last),
            ]);
        }
        let duration = if answered { self.talk } else { 0 };
        events.push(self.incoming_end(Some(&last), duration, disposition, code, recorded));
        if recorded {
            events.push(self.record_event());
        }
        Plan {
            events,
            rung,
            answered_by: answered.then_some(last),
            disposition,
            duration,
            recorded,
        }
    }

    /// Outgoing call / click-to-call client leg (spec 5.4, 5.5).
    fn plan_outgoing(&self) -> Plan {
        let ext = self.ring.first().cloned().unwrap_or_default();
        let calltype = if self.scenario == Scenario::ClickToCall {
            "callback_leg2"
        } else {
            "normal"
        };
        let recorded = self.record;
        let mut end = vec![
            kv("event", "NOTIFY_OUT_END"),
            kv("call_start", &self.call_start),
            kv("pbx_call_id", &self.pbx_call_id),
            kv("caller_id", &self.did),
            kv("destination", &self.caller),
            kv("internal", &ext),
            kv("duration", &self.talk.to_string()),
            kv("disposition", "answered"),
            kv("status_code", "16"),
        ];
        end.extend(self.rec_fields(recorded));
        end.push(kv("calltype", calltype));
        let mut events = vec![
            vec![
                kv("event", "NOTIFY_OUT_START"),
                kv("call_start", &self.call_start),
                kv("pbx_call_id", &self.pbx_call_id),
                kv("internal", &ext),
                kv("destination", &self.caller),
                kv("caller_id", &self.did),
                kv("calltype", calltype),
            ],
            vec![
                kv("event", "NOTIFY_ANSWER"),
                kv("caller_id", &self.did),
                kv("destination", &self.caller),
                kv("call_start", &self.call_start),
                kv("pbx_call_id", &self.pbx_call_id),
                kv("internal", &ext),
            ],
            end,
        ];
        if recorded {
            events.push(self.record_event());
        }
        Plan {
            events,
            rung: vec![ext.clone()],
            answered_by: Some(ext),
            disposition: "answered",
            duration: self.talk,
            recorded,
        }
    }
}

fn event_of(f: &Fields) -> &str {
    f.first().map_or("", |(_, v)| v.as_str())
}

fn is_end(f: &Fields) -> bool {
    matches!(event_of(f), "NOTIFY_END" | "NOTIFY_OUT_END")
}

fn reorder(events: &mut Vec<Fields>, order: EventOrder) {
    match order {
        EventOrder::Real => {}
        EventOrder::RecordBeforeEnd => {
            let rec = events.iter().position(|f| event_of(f) == "NOTIFY_RECORD");
            let end = events.iter().position(is_end);
            if let (Some(r), Some(e)) = (rec, end) {
                if r > e {
                    let f = events.remove(r);
                    events.insert(e, f);
                }
            }
        }
        EventOrder::EndFirst => {
            if let Some(e) = events.iter().position(is_end) {
                let f = events.remove(e);
                events.insert(0, f);
            }
        }
        EventOrder::Reverse => events.reverse(),
        EventOrder::Shuffle { seed } => {
            events.shuffle(&mut rand::rngs::StdRng::seed_from_u64(seed));
        }
    }
}

fn parse_start_reply(w: &SentWebhook) -> StartReply {
    let ok = w.status.is_some_and(|s| (200..300).contains(&s));
    let json = if ok {
        serde_json::from_str::<Value>(w.response.trim())
            .ok()
            .filter(Value::is_object)
    } else {
        None
    };
    let get = |k: &str| json.as_ref().and_then(|j| j.get(k));
    let text = |v: &Value| match v {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    };
    StartReply {
        status: w.status,
        body: w.response.clone(),
        redirect: get("redirect").and_then(text),
        caller_name: get("caller_name").and_then(text),
        return_timeout: get("return_timeout")
            .and_then(text)
            .and_then(|s| s.parse().ok()),
        hangup: get("hangup").is_some_and(|v| match v {
            Value::Bool(b) => *b,
            other => text(other).is_some_and(|s| s == "1"),
        }),
        json,
    }
}

fn decide(sh: &Shared, reply: &StartReply) -> Routing {
    if reply.hangup {
        return Routing::Hangup;
    }
    match reply.redirect.as_deref().map(str::trim) {
        None | Some("") => Routing::Default,
        Some("blacklist") => Routing::Blacklist,
        Some(ext) if sh.config.extensions.iter().any(|e| e == ext) => {
            Routing::Extension(ext.to_owned())
        }
        Some(other) => Routing::Unsupported(other.to_owned()),
    }
}

const MAX_RESPONSE: usize = 64 * 1024;

async fn deliver(sh: &Shared, url: &str, fields: &Fields) -> SentWebhook {
    let body = http_build_query(fields);
    let signature = webhook_signature(&sh.config.secret, fields);
    let started = Instant::now();
    let result = sh
        .http
        .post(url)
        .header(CONTENT_TYPE, "application/x-www-form-urlencoded")
        .header("Signature", &signature)
        .body(body.clone())
        .send()
        .await;
    let (status, response, error) = match result {
        Ok(resp) => {
            let status = resp.status().as_u16();
            match resp.text().await {
                Ok(mut text) => {
                    if text.len() > MAX_RESPONSE {
                        let mut cut = MAX_RESPONSE;
                        while !text.is_char_boundary(cut) {
                            cut -= 1;
                        }
                        text.truncate(cut);
                    }
                    (Some(status), text, None)
                }
                Err(e) => (Some(status), String::new(), Some(e.to_string())),
            }
        }
        Err(e) => (None, String::new(), Some(e.to_string())),
    };
    let event = event_of(fields).to_owned();
    tracing::debug!(%event, ?status, "pbxsim webhook delivered");
    SentWebhook {
        event,
        fields: fields.clone(),
        body,
        signature,
        status,
        response,
        latency: started.elapsed(),
        error,
    }
}

async fn send_all(
    sh: &Shared,
    url: &str,
    call: &Call,
    events: &[Fields],
    opts: &ScenarioOptions,
    out: &mut Vec<SentWebhook>,
) {
    for f in events {
        if !out.is_empty() && !opts.gap.is_zero() {
            tokio::time::sleep(opts.gap).await;
        }
        if event_of(f) == "NOTIFY_RECORD" {
            // The file becomes downloadable when the PBX announces it.
            sh.add_recording(&call.call_id, &call.pbx_call_id);
        }
        let copies = if opts.duplicate { 2 } else { 1 };
        for _ in 0..copies {
            out.push(deliver(sh, url, f).await);
        }
    }
}

pub(crate) async fn run(sh: &Shared, spec: ScenarioSpec) -> Result<ScenarioReport, SimError> {
    let url = sh.webhook_url().ok_or(SimError::NoWebhookUrl)?;
    let call = Call::new(sh, &spec)?;
    let opts = &spec.options;
    let mut sent = Vec::new();
    let (plan, routing, start_reply) = if !call.scenario.is_incoming() {
        let mut plan = call.plan_outgoing();
        reorder(&mut plan.events, opts.order);
        send_all(sh, &url, &call, &plan.events, opts, &mut sent).await;
        (plan, Routing::NotApplicable, None)
    } else if opts.order.start_first() {
        send_all(
            sh,
            &url,
            &call,
            &[call.base("NOTIFY_START")],
            opts,
            &mut sent,
        )
        .await;
        let reply = sent.first().map(parse_start_reply).unwrap_or_default();
        let routing = decide(sh, &reply);
        let mut plan = call.plan_incoming(&routing);
        reorder(&mut plan.events, opts.order);
        send_all(sh, &url, &call, &plan.events, opts, &mut sent).await;
        (plan, routing, Some(reply))
    } else {
        let mut plan = call.plan_incoming(&Routing::Default);
        plan.events.insert(0, call.base("NOTIFY_START"));
        reorder(&mut plan.events, opts.order);
        send_all(sh, &url, &call, &plan.events, opts, &mut sent).await;
        let reply = sent
            .iter()
            .find(|w| w.event == "NOTIFY_START")
            .map(parse_start_reply);
        (plan, Routing::NotObeyed, reply)
    };
    sh.add_history(CallRecord {
        call_id: call.call_id.clone(),
        sip: plan
            .answered_by
            .clone()
            .or_else(|| plan.rung.last().cloned())
            .unwrap_or_default(),
        callstart: call.call_start.clone(),
        clid: if call.scenario.is_incoming() {
            call.caller.clone()
        } else {
            call.did.clone()
        },
        destination: if call.scenario.is_incoming() {
            call.did.clone()
        } else {
            call.caller.clone()
        },
        disposition: plan.disposition.to_owned(),
        seconds: plan.duration,
        is_recorded: plan.recorded,
        pbx_call_id: call.pbx_call_id.clone(),
        incoming: call.scenario.is_incoming(),
    });
    Ok(ScenarioReport {
        scenario: call.scenario,
        caller_name: start_reply.as_ref().and_then(|r| r.caller_name.clone()),
        pbx_call_id: call.pbx_call_id,
        call_start: call.call_start,
        caller: call.caller,
        called_did: call.did,
        rung: plan.rung,
        answered_by: plan.answered_by,
        disposition: plan.disposition.to_owned(),
        duration: plan.duration,
        call_id_with_rec: plan.recorded.then_some(call.call_id),
        start_reply,
        routing,
        webhooks: sent,
    })
}
