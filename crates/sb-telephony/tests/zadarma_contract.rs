//! Contract tests for the Zadarma REST client against wiremock: request shape (path with
//! trailing slash, exact signed query/body, Authorization per spec 1.2), answers and
//! failure mapping.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::time::Duration;

use sb_telephony::zadarma::{sign_request, Zadarma, ZadarmaConfig};
use sb_telephony::{PbxError, PbxProvider};
use serde_json::json;
use wiremock::matchers::{body_string, header, method, path};
use wiremock::{Mock, MockServer, Request, ResponseTemplate};

const KEY: &str = "a1b2c3d4e5f6a7b8c9d0";
const SECRET: &str = "0123456789abcdefABCD";

fn client(base: &str, timeout: Duration) -> Zadarma {
    let mut cfg = ZadarmaConfig::new(KEY, SECRET);
    cfg.base_url = format!("{base}/");
    cfg.timeout = timeout;
    cfg.max_download_bytes = 1024;
    Zadarma::new(cfg).unwrap()
}

async fn setup() -> (MockServer, Zadarma) {
    let server = MockServer::start().await;
    let z = client(&server.uri(), Duration::from_secs(5));
    (server, z)
}

fn raw_query(expected: &'static str) -> impl Fn(&Request) -> bool {
    move |r: &Request| r.url.query() == Some(expected)
}

#[tokio::test]
async fn balance_request_shape_and_success() {
    let (server, z) = setup().await;
    // V1 from the spec: the official clients' exact header.
    let auth = "a1b2c3d4e5f6a7b8c9d0:OGEzYjljMWViYjJlNjc2YWJlNzhkOWY0NzAxYzZhYmNjNDEyNTFjNA==";
    Mock::given(method("GET"))
        .and(path("/v1/info/balance/"))
        .and(raw_query("format=json"))
        .and(header("authorization", auth))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(json!({"status":"success","balance":"18.1636","currency":"EUR"})),
        )
        .expect(1)
        .mount(&server)
        .await;
    let b = z.balance().await.unwrap();
    assert!((b.amount - 18.1636).abs() < 1e-9);
    assert_eq!(b.currency, "EUR");
    assert_eq!(z.kind(), "zadarma");
}

#[tokio::test]
async fn click_to_call_strips_non_digits_and_signs_query() {
    let (server, z) = setup().await;
    let (q, auth) = sign_request(
        KEY,
        SECRET,
        "/v1/request/callback/",
        &[("from", "101"), ("to", "34911234567"), ("format", "json")],
    );
    assert_eq!(q, "format=json&from=101&to=34911234567");
    Mock::given(method("GET"))
        .and(path("/v1/request/callback/"))
        .and(raw_query("format=json&from=101&to=34911234567"))
        .and(header("authorization", auth.as_str()))
        .respond_with(ResponseTemplate::new(200).set_body_json(
            json!({"status":"success","from":101,"to":"34911234567","time":1435573082}),
        ))
        .expect(1)
        .mount(&server)
        .await;
    z.click_to_call("101", "+34 911 23-45-67").await.unwrap();
    assert!(matches!(
        z.click_to_call("101", "abc").await,
        Err(PbxError::Rejected(_))
    ));
}

#[tokio::test]
async fn extensions_lenient_numbers() {
    let (server, z) = setup().await;
    Mock::given(method("GET"))
        .and(path("/v1/pbx/internal/"))
        .respond_with(
            ResponseTemplate::new(200).set_body_json(
                json!({"status":"success","pbx_id":453101,"numbers":[100,"101",102]}),
            ),
        )
        .mount(&server)
        .await;
    assert_eq!(z.extensions().await.unwrap(), vec!["100", "101", "102"]);
}

#[tokio::test]
async fn recording_links_by_call_id_and_pbx_call_id() {
    let (server, z) = setup().await;
    Mock::given(method("GET"))
        .and(path("/v1/pbx/record/request/"))
        .and(raw_query("call_id=1715674503.1234567&format=json"))
        .respond_with(ResponseTemplate::new(200).set_body_json(
            json!({"status":"success","link":"https://x/a.mp3","lifetime_till":"2015-06-01 00:00:00"}),
        ))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/v1/pbx/record/request/"))
        .and(raw_query("format=json&pbx_call_id=in_abc"))
        .respond_with(ResponseTemplate::new(200).set_body_json(
            json!({"status":"success","links":["https://x/1.mp3","https://x/2.mp3"]}),
        ))
        .mount(&server)
        .await;
    assert_eq!(
        z.recording_links("in_abc", Some("1715674503.1234567"))
            .await
            .unwrap(),
        vec!["https://x/a.mp3"]
    );
    assert_eq!(
        z.recording_links("in_abc", None).await.unwrap(),
        vec!["https://x/1.mp3", "https://x/2.mp3"]
    );
}

#[tokio::test]
async fn post_sends_signed_string_as_form_body() {
    let (server, z) = setup().await;
    // V3 from the spec.
    let auth = "a1b2c3d4e5f6a7b8c9d0:NDQxYmUwYzg0YWIxYzg0YWUzZmYxN2QyY2U1ZTk5OTg4ZDE2NmQxYQ==";
    Mock::given(method("POST"))
        .and(path("/v1/sms/send/"))
        .and(header("content-type", "application/x-www-form-urlencoded"))
        .and(header("authorization", auth))
        .and(body_string(
            "format=json&message=Hola+%C3%B1and%C3%BA&number=34600111222",
        ))
        .respond_with(
            ResponseTemplate::new(200).set_body_json(json!({"status":"success","messages":1})),
        )
        .expect(1)
        .mount(&server)
        .await;
    let v = z
        .api_post(
            "sms/send",
            &[("number", "34600111222"), ("message", "Hola ñandú")],
        )
        .await
        .unwrap();
    assert_eq!(v["messages"], 1);
}

#[tokio::test]
async fn error_answer_is_rejected_with_message() {
    let (server, z) = setup().await;
    Mock::given(method("GET"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(json!({"status":"error","message":"Not enough money"})),
        )
        .mount(&server)
        .await;
    assert_eq!(
        z.click_to_call("101", "34911234567").await,
        Err(PbxError::Rejected("Not enough money".into()))
    );
}

#[tokio::test]
async fn auth_errors() {
    let (server, z) = setup().await;
    Mock::given(method("GET"))
        .and(path("/v1/info/balance/"))
        .respond_with(
            ResponseTemplate::new(401)
                .set_body_json(json!({"status":"error","message":"Auth error"})),
        )
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/v1/pbx/internal/"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(json!({"status":"error","message":"Auth error"})),
        )
        .mount(&server)
        .await;
    assert_eq!(z.balance().await, Err(PbxError::Auth("Auth error".into())));
    assert!(matches!(z.extensions().await, Err(PbxError::Auth(_))));
}

#[tokio::test]
async fn rate_limited_and_server_errors() {
    let (server, z) = setup().await;
    Mock::given(method("GET"))
        .and(path("/v1/info/balance/"))
        .respond_with(
            ResponseTemplate::new(429)
                .set_body_json(json!({"status":"error","message":"You exceeded the rate limit"})),
        )
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/v1/pbx/internal/"))
        .respond_with(ResponseTemplate::new(503).set_body_string("<html>down</html>"))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/v1/request/callback/"))
        .respond_with(ResponseTemplate::new(200).set_body_string("garbage"))
        .mount(&server)
        .await;
    assert_eq!(z.balance().await, Err(PbxError::RateLimited));
    let e = z.extensions().await.unwrap_err();
    assert!(matches!(e, PbxError::Protocol(_)), "{e:?}");
    assert!(e.is_transient());
    assert!(matches!(
        z.click_to_call("101", "1").await,
        Err(PbxError::Protocol(_))
    ));
}

#[tokio::test]
async fn timeout_and_unreachable() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(json!({"status":"success","balance":1,"currency":"EUR"}))
                .set_delay(Duration::from_millis(800)),
        )
        .mount(&server)
        .await;
    let z = client(&server.uri(), Duration::from_millis(150));
    assert_eq!(z.balance().await, Err(PbxError::Timeout));

    // Port 1 on loopback: nothing listens, connection refused.
    let z = client("http://127.0.0.1:1", Duration::from_secs(2));
    assert!(matches!(z.balance().await, Err(PbxError::Unreachable(_))));
}

#[tokio::test]
async fn download_bounded() {
    let (server, z) = setup().await;
    Mock::given(method("GET"))
        .and(path("/rec/small.mp3"))
        .respond_with(ResponseTemplate::new(200).set_body_bytes(vec![7u8; 512]))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/rec/big.mp3"))
        .respond_with(ResponseTemplate::new(200).set_body_bytes(vec![7u8; 4096]))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/rec/missing.mp3"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(json!({"status":"error","message":"File not found"})),
        )
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/rec/gone.mp3"))
        .respond_with(ResponseTemplate::new(404))
        .mount(&server)
        .await;
    let base = server.uri();
    let b = z.download(&format!("{base}/rec/small.mp3")).await.unwrap();
    assert_eq!(b.len(), 512);
    assert!(matches!(
        z.download(&format!("{base}/rec/big.mp3")).await,
        Err(PbxError::Protocol(_))
    ));
    assert_eq!(
        z.download(&format!("{base}/rec/missing.mp3")).await,
        Err(PbxError::Rejected("File not found".into()))
    );
    assert!(matches!(
        z.download(&format!("{base}/rec/gone.mp3")).await,
        Err(PbxError::Protocol(_))
    ));
    assert!(matches!(
        z.download("file:///etc/passwd").await,
        Err(PbxError::Rejected(_))
    ));
}

#[test]
fn webhook_through_trait() {
    use sb_telephony::{InboundOutcome, InboundRequest, WebhookError};
    let z = client("http://127.0.0.1:1", Duration::from_secs(1));
    let headers = vec![(
        "signature".to_string(),
        "ZTdiNDdiYzNiYWYwMDU2MWZiMWIwNTBlM2Y4MjZkYTcyYzgwMGU5MQ==".to_string(),
    )];
    let body = "event=NOTIFY_START&call_start=2024-05-14+10%3A15%3A03&pbx_call_id=in_0f1e2d3c4b5a69788796a5b4c3d2e1f0a1b2c3d4&caller_id=34600111222&called_did=34911234567";
    let req = InboundRequest {
        method: "POST",
        query: None,
        headers: &headers,
        content_type: Some("application/x-www-form-urlencoded; charset=utf-8"),
        body: body.as_bytes(),
        remote_ip: Some("185.45.152.42".parse().unwrap()),
    };
    match z.parse_webhook(&req).unwrap() {
        InboundOutcome::Event(e) => assert!(e.kind.accepts_reply()),
        o => panic!("{o:?}"),
    }
    let mut cfg = z.config().clone();
    cfg.ip_allowlist = Some(sb_telephony::zadarma::default_ip_allowlist());
    let z2 = Zadarma::new(cfg).unwrap();
    assert!(z2.parse_webhook(&req).is_ok());
    let other = InboundRequest {
        remote_ip: Some("203.0.113.9".parse().unwrap()),
        ..req
    };
    assert_eq!(
        z2.parse_webhook(&other).unwrap_err().http_status(),
        WebhookError::ForbiddenSource("203.0.113.9".parse().unwrap()).http_status()
    );
}
