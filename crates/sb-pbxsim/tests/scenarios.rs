//! Every scenario against a stand-in CRM: order, fields, signatures, and
//! obedience to the NOTIFY_START reply.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::collections::BTreeMap;
use std::time::Duration;

use common::{check_common, crm, sim, Crm, Received, KEY, SECRET};
use sb_pbxsim::{
    EventOrder, LoadSpec, PbxSim, Routing, Scenario, ScenarioOptions, ScenarioReport, ScenarioSpec,
    SimConfig, SimError,
};

async fn setup() -> (PbxSim, Crm) {
    let (crm, url) = crm().await;
    let sim = sim(SimConfig {
        webhook_url: Some(url),
        ..SimConfig::default()
    })
    .await;
    (sim, crm)
}

async fn play(
    sim: &PbxSim,
    crm: &Crm,
    spec: ScenarioSpec,
) -> (ScenarioReport, Vec<Received>, Vec<String>) {
    let report = sim.run_scenario(spec).await.unwrap();
    let got = crm.take();
    assert_eq!(got.len(), report.webhooks.len());
    for w in &report.webhooks {
        assert_eq!(w.status, Some(200), "{w:?}");
    }
    let events = check_common(&got, &report.pbx_call_id);
    (report, got, events)
}

fn names(v: &[&str]) -> Vec<String> {
    v.iter().map(|s| (*s).to_owned()).collect()
}

fn find<'a>(got: &'a [Received], event: &str) -> &'a Received {
    got.iter().find(|r| r.event() == event).unwrap()
}

#[tokio::test]
async fn incoming_answered_real_order_and_fields() {
    let (sim, crm) = setup().await;
    let (report, got, events) =
        play(&sim, &crm, ScenarioSpec::new(Scenario::IncomingAnswered)).await;
    assert_eq!(
        events,
        names(&[
            "NOTIFY_START",
            "NOTIFY_INTERNAL",
            "NOTIFY_ANSWER",
            "NOTIFY_END",
            "NOTIFY_RECORD"
        ])
    );
    assert!(report.pbx_call_id.starts_with("in_"));
    let start = find(&got, "NOTIFY_START");
    assert_eq!(start.get("caller_id"), "34600111222");
    assert_eq!(start.get("called_did"), "34911234567");
    assert_eq!(find(&got, "NOTIFY_INTERNAL").get("internal"), "100");
    let answer = find(&got, "NOTIFY_ANSWER");
    assert_eq!(answer.get("destination"), "100");
    assert_eq!(answer.get("internal"), "100");
    let end = find(&got, "NOTIFY_END");
    assert_eq!(end.get("disposition"), "answered");
    assert_eq!(end.get("duration"), "47");
    assert_eq!(end.get("status_code"), "16");
    assert_eq!(end.get("is_recorded"), "1");
    assert_eq!(end.get("last_internal"), "100");
    let rec = find(&got, "NOTIFY_RECORD");
    assert_eq!(rec.get("call_id_with_rec"), end.get("call_id_with_rec"));
    assert_eq!(
        report.call_id_with_rec.as_deref(),
        Some(rec.get("call_id_with_rec"))
    );
    assert_eq!(report.answered_by.as_deref(), Some("100"));
    assert_eq!(report.routing, Routing::Default);
}

#[tokio::test]
async fn missed_busy_blacklisted_transfer_outgoing() {
    let (sim, crm) = setup().await;

    let (r, got, ev) = play(&sim, &crm, ScenarioSpec::new(Scenario::IncomingMissed)).await;
    assert_eq!(
        ev,
        names(&["NOTIFY_START", "NOTIFY_INTERNAL", "NOTIFY_END"])
    );
    let end = find(&got, "NOTIFY_END");
    assert_eq!(
        (end.get("disposition"), end.get("duration")),
        ("no answer", "0")
    );
    assert_eq!(
        (end.get("is_recorded"), end.get("call_id_with_rec")),
        ("0", "")
    );
    assert!(end.has("call_id_with_rec"));
    assert_eq!(r.answered_by, None);

    let (_, got, ev) = play(&sim, &crm, ScenarioSpec::new(Scenario::IncomingBusy)).await;
    assert_eq!(
        ev,
        names(&["NOTIFY_START", "NOTIFY_INTERNAL", "NOTIFY_END"])
    );
    assert_eq!(find(&got, "NOTIFY_END").get("disposition"), "busy");

    let (_, got, ev) = play(&sim, &crm, ScenarioSpec::new(Scenario::Blacklisted)).await;
    assert_eq!(ev, names(&["NOTIFY_START", "NOTIFY_END"]));
    assert_eq!(find(&got, "NOTIFY_END").get("disposition"), "busy");
    assert!(!find(&got, "NOTIFY_END").has("internal"));

    let mut spec = ScenarioSpec::new(Scenario::InternalTransfer);
    spec.extensions = vec!["101".into(), "102".into()];
    let (r, got, ev) = play(&sim, &crm, spec).await;
    assert_eq!(
        ev,
        names(&[
            "NOTIFY_START",
            "NOTIFY_INTERNAL",
            "NOTIFY_INTERNAL",
            "NOTIFY_ANSWER",
            "NOTIFY_END",
            "NOTIFY_RECORD"
        ])
    );
    assert_eq!(got[1].get("internal"), "101");
    assert_eq!(got[2].get("internal"), "102");
    assert_eq!(find(&got, "NOTIFY_ANSWER").get("destination"), "102");
    assert_eq!(find(&got, "NOTIFY_END").get("last_internal"), "102");
    assert_eq!(r.rung, vec!["101".to_owned(), "102".to_owned()]);

    let mut spec = ScenarioSpec::new(Scenario::Outgoing);
    spec.extensions = vec!["101".into()];
    spec.caller = "34600999888".into();
    spec.options.record = Some(false);
    let (r, got, ev) = play(&sim, &crm, spec).await;
    assert!(r.pbx_call_id.starts_with("out_"));
    assert_eq!(
        ev,
        names(&["NOTIFY_OUT_START", "NOTIFY_ANSWER", "NOTIFY_OUT_END"])
    );
    for e in ["NOTIFY_OUT_START", "NOTIFY_OUT_END"] {
        assert_eq!(find(&got, e).get("internal"), "101");
        assert_eq!(find(&got, e).get("destination"), "34600999888");
    }
    let end = find(&got, "NOTIFY_OUT_END");
    assert_eq!(
        (
            end.get("disposition"),
            end.get("duration"),
            end.get("is_recorded")
        ),
        ("answered", "47", "0")
    );
    assert_eq!(
        find(&got, "NOTIFY_ANSWER").get("destination"),
        "34600999888"
    );

    let mut bad = ScenarioSpec::new(Scenario::IncomingAnswered);
    bad.extensions = vec!["999".into()];
    assert!(matches!(
        sim.run_scenario(bad).await,
        Err(SimError::InvalidSpec(_))
    ));
}

#[tokio::test]
async fn obeys_start_reply() {
    let (sim, crm) = setup().await;

    crm.reply(r#"{"redirect":"101","return_timeout":20,"caller_name":"Acme SL"}"#);
    let (r, got, ev) = play(&sim, &crm, ScenarioSpec::new(Scenario::IncomingAnswered)).await;
    assert_eq!(
        ev,
        names(&[
            "NOTIFY_START",
            "NOTIFY_INTERNAL",
            "NOTIFY_ANSWER",
            "NOTIFY_END",
            "NOTIFY_RECORD"
        ])
    );
    assert_eq!(find(&got, "NOTIFY_INTERNAL").get("internal"), "101");
    assert_eq!(find(&got, "NOTIFY_ANSWER").get("destination"), "101");
    assert_eq!(r.routing, Routing::Extension("101".into()));
    assert_eq!(r.caller_name.as_deref(), Some("Acme SL"));
    let reply = r.start_reply.unwrap();
    assert_eq!((reply.status, reply.return_timeout), (Some(200), Some(20)));

    crm.reply(r#"{"redirect":"blacklist"}"#);
    let (r, got, ev) = play(&sim, &crm, ScenarioSpec::new(Scenario::IncomingAnswered)).await;
    assert_eq!(ev, names(&["NOTIFY_START", "NOTIFY_END"]));
    assert_eq!(find(&got, "NOTIFY_END").get("disposition"), "busy");
    assert_eq!(r.routing, Routing::Blacklist);

    crm.reply(r#"{"hangup":1}"#);
    let (r, _, ev) = play(&sim, &crm, ScenarioSpec::new(Scenario::IncomingAnswered)).await;
    assert_eq!(ev, names(&["NOTIFY_START", "NOTIFY_END"]));
    assert_eq!(r.routing, Routing::Hangup);

    crm.reply(r#"{"caller_name":"IBM"}"#);
    let (r, _, ev) = play(&sim, &crm, ScenarioSpec::new(Scenario::IncomingAnswered)).await;
    assert_eq!(ev.len(), 5);
    assert_eq!(
        (r.routing, r.caller_name.as_deref()),
        (Routing::Default, Some("IBM"))
    );

    crm.reply(r#"{"redirect":"0-1"}"#);
    let (r, got, _) = play(&sim, &crm, ScenarioSpec::new(Scenario::IncomingAnswered)).await;
    assert_eq!(r.routing, Routing::Unsupported("0-1".into()));
    assert_eq!(find(&got, "NOTIFY_INTERNAL").get("internal"), "100");

    crm.reply("this is not json");
    let (r, _, ev) = play(&sim, &crm, ScenarioSpec::new(Scenario::IncomingAnswered)).await;
    assert_eq!((r.routing, ev.len()), (Routing::Default, 5));

    // A redirect keeps the scenario's outcome: a missed call stays missed.
    crm.reply(r#"{"redirect":"102"}"#);
    let (r, got, ev) = play(&sim, &crm, ScenarioSpec::new(Scenario::IncomingMissed)).await;
    assert_eq!(
        ev,
        names(&["NOTIFY_START", "NOTIFY_INTERNAL", "NOTIFY_END"])
    );
    assert_eq!(find(&got, "NOTIFY_INTERNAL").get("internal"), "102");
    assert_eq!(r.disposition, "no answer");
}

#[tokio::test]
async fn duplicate_and_reorder_options() {
    let (sim, crm) = setup().await;

    let mut spec = ScenarioSpec::new(Scenario::IncomingAnswered);
    spec.options = ScenarioOptions {
        duplicate: true,
        gap: Duration::from_millis(1),
        ..Default::default()
    };
    let (_, got, ev) = play(&sim, &crm, spec).await;
    assert_eq!(ev.len(), 10);
    for pair in got.chunks(2) {
        assert_eq!(pair[0].body, pair[1].body);
        assert_eq!(pair[0].signature, pair[1].signature);
    }

    let mut spec = ScenarioSpec::new(Scenario::IncomingAnswered);
    spec.options.order = EventOrder::RecordBeforeEnd;
    let (_, _, ev) = play(&sim, &crm, spec).await;
    assert_eq!(
        ev,
        names(&[
            "NOTIFY_START",
            "NOTIFY_INTERNAL",
            "NOTIFY_ANSWER",
            "NOTIFY_RECORD",
            "NOTIFY_END"
        ])
    );

    // END before START: the reply arrives too late to be obeyed.
    crm.reply(r#"{"redirect":"101"}"#);
    let mut spec = ScenarioSpec::new(Scenario::IncomingAnswered);
    spec.options.order = EventOrder::EndFirst;
    let (r, got, ev) = play(&sim, &crm, spec).await;
    assert_eq!(
        ev,
        names(&[
            "NOTIFY_END",
            "NOTIFY_START",
            "NOTIFY_INTERNAL",
            "NOTIFY_ANSWER",
            "NOTIFY_RECORD"
        ])
    );
    assert_eq!(r.routing, Routing::NotObeyed);
    assert_eq!(find(&got, "NOTIFY_INTERNAL").get("internal"), "100");
    assert_eq!(r.start_reply.unwrap().redirect.as_deref(), Some("101"));

    let mut spec = ScenarioSpec::new(Scenario::Outgoing);
    spec.options.order = EventOrder::Reverse;
    let (_, _, ev) = play(&sim, &crm, spec).await;
    assert_eq!(
        ev,
        names(&[
            "NOTIFY_RECORD",
            "NOTIFY_OUT_END",
            "NOTIFY_ANSWER",
            "NOTIFY_OUT_START"
        ])
    );

    let mut spec = ScenarioSpec::new(Scenario::InternalTransfer);
    spec.options.order = EventOrder::Shuffle { seed: 7 };
    let (_, _, mut ev) = play(&sim, &crm, spec).await;
    ev.sort();
    let mut want = names(&[
        "NOTIFY_START",
        "NOTIFY_INTERNAL",
        "NOTIFY_INTERNAL",
        "NOTIFY_ANSWER",
        "NOTIFY_END",
        "NOTIFY_RECORD",
    ]);
    want.sort();
    assert_eq!(ev, want);
}

async fn rest(
    sim: &PbxSim,
    post: bool,
    path: &str,
    params: &[(&str, &str)],
) -> (u16, serde_json::Value) {
    let map: BTreeMap<String, String> = params
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect();
    let auth = sb_pbxsim::sign::rest_authorization(KEY, SECRET, path, &map);
    let qs = sb_pbxsim::sign::params_string(&map);
    let client = reqwest::Client::new();
    let req = if post {
        client
            .post(format!("{}{path}", sim.base_url()))
            .header("content-type", "application/x-www-form-urlencoded")
            .body(qs)
    } else {
        client.get(format!("{}{path}?{qs}", sim.base_url()))
    };
    let resp = req.header("authorization", auth).send().await.unwrap();
    (resp.status().as_u16(), resp.json().await.unwrap())
}

#[tokio::test]
async fn callinfo_url_echo_then_click_to_call() {
    let (crm, url) = crm().await;
    let sim = sim(SimConfig::default()).await;
    assert!(matches!(
        sim.run_scenario(ScenarioSpec::new(Scenario::Outgoing))
            .await,
        Err(SimError::NoWebhookUrl)
    ));

    *crm.echo_garbage.lock().unwrap() = true;
    let (status, body) = rest(&sim, true, "/v1/pbx/callinfo/url/", &[("url", &url)]).await;
    assert_eq!((status, body["status"].as_str()), (400, Some("error")));
    assert_eq!(sim.webhook_url(), None);

    *crm.echo_garbage.lock().unwrap() = false;
    let (status, body) = rest(&sim, true, "/v1/pbx/callinfo/url/", &[("url", &url)]).await;
    assert_eq!(
        (status, body["status"].as_str()),
        (200, Some("success")),
        "{body}"
    );
    assert_eq!(sim.webhook_url().as_deref(), Some(url.as_str()));

    let (status, body) = rest(
        &sim,
        false,
        "/v1/request/callback/",
        &[
            ("format", "json"),
            ("from", "101"),
            ("to", "+34 600 999 888"),
        ],
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["status"], "success");
    assert_eq!(body["from"], 101);
    assert_eq!(body["to"], "34600999888");
    assert!(body["time"].as_i64().unwrap() > 1_700_000_000);

    let reports = sim.wait_callback_reports(1, Duration::from_secs(5)).await;
    assert_eq!(reports.len(), 1);
    let r = &reports[0];
    assert_eq!(r.scenario, Scenario::ClickToCall);
    let got = crm.take();
    let ev = check_common(&got, &r.pbx_call_id);
    assert_eq!(
        ev,
        names(&[
            "NOTIFY_OUT_START",
            "NOTIFY_ANSWER",
            "NOTIFY_OUT_END",
            "NOTIFY_RECORD"
        ])
    );
    for e in ["NOTIFY_OUT_START", "NOTIFY_OUT_END"] {
        assert_eq!(find(&got, e).get("internal"), "101");
        assert_eq!(find(&got, e).get("destination"), "34600999888");
        assert_eq!(find(&got, e).get("caller_id"), "34911234567");
    }

    // Unknown extension / bad number: error answers, no call.
    let (status, body) = rest(
        &sim,
        false,
        "/v1/request/callback/",
        &[("from", "555"), ("to", "34600999888")],
    )
    .await;
    assert_eq!((status, body["status"].as_str()), (400, Some("error")));
    let (status, _) = rest(
        &sim,
        false,
        "/v1/request/callback/",
        &[("from", "100"), ("to", "12")],
    )
    .await;
    assert_eq!(status, 400);
    tokio::time::sleep(Duration::from_millis(50)).await;
    assert_eq!(sim.callback_reports().len(), 1);
}

#[tokio::test]
async fn bounded_load_run() {
    let (sim, crm) = setup().await;
    crm.reply(r#"{"redirect":"101"}"#);
    let report = sim
        .run_load(LoadSpec {
            concurrency: 4,
            calls_per_sec: 0.0,
            max_calls: 40,
            max_duration: Duration::from_secs(20),
            mix: vec![],
        })
        .await
        .unwrap();
    assert_eq!((report.calls_started, report.calls_completed), (40, 40));
    assert_eq!(report.by_status.get("200").copied(), Some(report.events));
    assert_eq!(report.events as usize, crm.take().len());
    assert!(report.start_latency.count > 0);
    assert!(report.webhook_latency.p50 <= report.webhook_latency.p99);
    assert!(report.webhook_latency.p99 <= report.webhook_latency.max);

    // Time-bounded: a slow rate stops at max_duration.
    let report = sim
        .run_load(LoadSpec {
            concurrency: 2,
            calls_per_sec: 20.0,
            max_calls: 1_000_000,
            max_duration: Duration::from_millis(300),
            mix: vec![(Scenario::IncomingMissed, 1)],
        })
        .await
        .unwrap();
    assert!(report.calls_started <= 7, "{report:?}");
    assert!(report.elapsed < Duration::from_secs(3));
}
