//! A tiny CRM stand-in: collects webhooks, answers NOTIFY_START with a
//! configurable body and echoes `zd_echo`. Signatures are checked here with
//! code written apart from the simulator's `sign` module.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use axum::body::Bytes;
use axum::extract::{Query, State};
use axum::http::HeaderMap;
use axum::routing::get;
use axum::Router;
use base64::Engine as _;
use hmac::{Hmac, Mac};
use sb_pbxsim::{PbxSim, SimConfig};
use sha1::Sha1;

pub const KEY: &str = "a1b2c3d4e5f6a7b8c9d0";
pub const SECRET: &str = "0123456789abcdefABCD";

#[derive(Clone, Debug)]
pub struct Received {
    pub content_type: String,
    pub signature: String,
    pub body: String,
    pub fields: Vec<(String, String)>,
}

impl Received {
    pub fn get(&self, k: &str) -> &str {
        self.fields
            .iter()
            .find(|(kk, _)| kk == k)
            .map(|(_, v)| v.as_str())
            .unwrap_or("")
    }
    pub fn has(&self, k: &str) -> bool {
        self.fields.iter().any(|(kk, _)| kk == k)
    }
    pub fn event(&self) -> &str {
        self.get("event")
    }
}

#[derive(Clone, Default)]
pub struct Crm {
    pub got: Arc<Mutex<Vec<Received>>>,
    pub start_reply: Arc<Mutex<String>>,
    pub echo_garbage: Arc<Mutex<bool>>,
}

impl Crm {
    pub fn reply(&self, body: &str) {
        *self.start_reply.lock().unwrap() = body.to_owned();
    }
    pub fn take(&self) -> Vec<Received> {
        std::mem::take(&mut *self.got.lock().unwrap())
    }
}

async fn hook(State(crm): State<Crm>, headers: HeaderMap, body: Bytes) -> String {
    let body = String::from_utf8(body.to_vec()).unwrap();
    let fields: Vec<(String, String)> = form_urlencoded::parse(body.as_bytes())
        .into_owned()
        .collect();
    let r = Received {
        content_type: headers
            .get("content-type")
            .map(|v| v.to_str().unwrap().to_owned())
            .unwrap_or_default(),
        signature: headers
            .get("signature")
            .map(|v| v.to_str().unwrap().to_owned())
            .unwrap_or_default(),
        body,
        fields,
    };
    let is_start = r.event() == "NOTIFY_START";
    crm.got.lock().unwrap().push(r);
    if is_start {
        crm.start_reply.lock().unwrap().clone()
    } else {
        String::new()
    }
}

async fn echo(State(crm): State<Crm>, Query(q): Query<HashMap<String, String>>) -> String {
    let v = q.get("zd_echo").cloned().unwrap_or_default();
    if *crm.echo_garbage.lock().unwrap() {
        format!("<html>{v}</html>")
    } else {
        v
    }
}

/// Starts the stand-in CRM; returns it and its webhook URL.
pub async fn crm() -> (Crm, String) {
    let crm = Crm::default();
    let app = Router::new()
        .route("/hook", get(echo).post(hook))
        .with_state(crm.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr: SocketAddr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (crm, format!("http://{addr}/hook"))
}

pub async fn sim(config: SimConfig) -> PbxSim {
    PbxSim::start(config, "127.0.0.1:0".parse().unwrap())
        .await
        .unwrap()
}

/// Spec 3.2, written independently: Base64 of the hex HMAC-SHA1.
pub fn expected_signature(secret: &str, r: &Received) -> String {
    let f = |k: &str| r.get(k).to_owned();
    let s = match r.event() {
        "NOTIFY_START" | "NOTIFY_INTERNAL" | "NOTIFY_END" => {
            f("caller_id") + &f("called_did") + &f("call_start")
        }
        "NOTIFY_ANSWER" => f("caller_id") + &f("destination") + &f("call_start"),
        "NOTIFY_OUT_START" | "NOTIFY_OUT_END" => {
            f("internal") + &f("destination") + &f("call_start")
        }
        "NOTIFY_RECORD" => f("pbx_call_id") + &f("call_id_with_rec"),
        other => panic!("unexpected event {other}"),
    };
    let mut mac = Hmac::<Sha1>::new_from_slice(secret.as_bytes()).unwrap();
    mac.update(s.as_bytes());
    let hex: String = mac
        .finalize()
        .into_bytes()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    base64::engine::general_purpose::STANDARD.encode(hex)
}

/// Checks what every webhook must satisfy; returns the event names in order.
pub fn check_common(got: &[Received], pbx_call_id: &str) -> Vec<String> {
    assert!(!got.is_empty(), "no webhook received");
    let call_start = got
        .iter()
        .find(|r| r.event() != "NOTIFY_RECORD")
        .map(|r| r.get("call_start").to_owned())
        .unwrap();
    let prefix = if pbx_call_id.starts_with("in_") {
        "in_"
    } else {
        "out_"
    };
    let hex = pbx_call_id.strip_prefix(prefix).unwrap();
    assert_eq!(hex.len(), 40);
    assert!(hex
        .chars()
        .all(|c| c.is_ascii_hexdigit() && !c.is_ascii_uppercase()));
    for r in got {
        assert_eq!(r.content_type, "application/x-www-form-urlencoded");
        assert_eq!(
            r.signature,
            expected_signature(SECRET, r),
            "signature of {}",
            r.event()
        );
        assert_eq!(r.get("pbx_call_id"), pbx_call_id);
        if r.event() != "NOTIFY_RECORD" {
            assert_eq!(r.get("call_start"), call_start);
            // PHP form encoding: the space in call_start travels as '+'.
            assert!(
                r.body.contains("call_start=20") && !r.body.contains("%20"),
                "{}",
                r.body
            );
            chrono_like(&call_start);
        }
    }
    got.iter().map(|r| r.event().to_owned()).collect()
}

fn chrono_like(s: &str) {
    let b = s.as_bytes();
    assert_eq!(b.len(), 19, "{s}");
    assert!(
        b[4] == b'-' && b[7] == b'-' && b[10] == b' ' && b[13] == b':' && b[16] == b':',
        "{s}"
    );
}
