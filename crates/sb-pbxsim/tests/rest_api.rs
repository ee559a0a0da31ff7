//! The REST side: spec 1.3 vectors (sent byte for byte as the clients send
//! them) are accepted, any one-byte change is rejected, and the methods answer
//! in the spec's shapes.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use common::{crm, sim, KEY, SECRET};
use sb_pbxsim::{FailureMode, PbxSim, Scenario, ScenarioSpec, SimConfig};
use serde_json::Value;

struct Vector {
    post: bool,
    path: &'static str,
    with_format: &'static str,
    auth_with: &'static str,
    without_format: &'static str,
    auth_without: &'static str,
    expect_status: u16,
}

fn vectors() -> Vec<Vector> {
    vec![
        Vector {
            post: false,
            path: "/v1/info/balance/",
            with_format: "format=json",
            auth_with: "OGEzYjljMWViYjJlNjc2YWJlNzhkOWY0NzAxYzZhYmNjNDEyNTFjNA==",
            without_format: "",
            auth_without: "YmNjYmEzM2U0Mzg1YTc1NzQ2ZDllMGEyMDAyNjk2YTRjMGQ4ZTBjYw==",
            expect_status: 200,
        },
        Vector {
            post: false,
            path: "/v1/request/callback/",
            with_format: "format=json&from=100&to=%2B34911234567",
            auth_with: "NDg3NDE5MDI0ZDhkZDdmMTQ4MTZkYWUxZjAwYTQ2ZTkyZmU3ZmQzZQ==",
            without_format: "from=100&to=%2B34911234567",
            auth_without: "NThiYzUyMWY3MzA4Y2QzNmQzNGE0NzNkOThmZWE1ZTAwZjZkMDJlMw==",
            expect_status: 200,
        },
        Vector {
            post: true,
            path: "/v1/sms/send/",
            with_format: "format=json&message=Hola+%C3%B1and%C3%BA&number=34600111222",
            auth_with: "NDQxYmUwYzg0YWIxYzg0YWUzZmYxN2QyY2U1ZTk5OTg4ZDE2NmQxYQ==",
            without_format: "message=Hola+%C3%B1and%C3%BA&number=34600111222",
            auth_without: "ZDM1YjhmYTJkNzYzMTkzYWU4OTNkMGZjOTEzZWQ0OGJiYmJhYzJjNQ==",
            expect_status: 200,
        },
        Vector {
            post: false,
            path: "/v1/pbx/record/request/",
            with_format:
                "format=json&lifetime=3600&pbx_call_id=in_ae6b03b3b0765d127ec0b739209346bbc4f0d52d",
            auth_with: "ZWEwNjI2MmJjZTUxNzA4MzE5ZDc2Y2QwODBkNDRmYTFjMjNiZWJmNw==",
            without_format: "lifetime=3600&pbx_call_id=in_ae6b03b3b0765d127ec0b739209346bbc4f0d52d",
            auth_without: "ZmNmZmVmNzBkNGRjYjhmMjgzYjFhYThiN2MwN2YzM2MwOTRiYjg5Zg==",
            // Authorized, but the sim never recorded that call.
            expect_status: 404,
        },
        Vector {
            post: false,
            path: "/v1/statistics/pbx/",
            with_format:
                "end=2024-05-31+23%3A59%3A59&format=json&start=2024-05-01+00%3A00%3A00&version=2",
            auth_with: "ODNiMjQ0MmZmNzQxNGJiYjE2NjAyZWEyZTA5ZWJkMzhjNmIxMzIxMA==",
            without_format: "end=2024-05-31+23%3A59%3A59&start=2024-05-01+00%3A00%3A00&version=2",
            auth_without: "YzE0YWM4MjVhOGRlODI5NDE3NmE3NWY2NzAzY2Y3M2MxMTJkODQ4ZQ==",
            expect_status: 200,
        },
    ]
}

/// Sends `params` exactly as given (query for GET, body for POST).
async fn raw(
    sim: &PbxSim,
    post: bool,
    path: &str,
    params: &str,
    auth: Option<&str>,
) -> (u16, Value) {
    let client = reqwest::Client::new();
    let mut req = if post {
        client
            .post(format!("{}{path}", sim.base_url()))
            .header("content-type", "application/x-www-form-urlencoded")
            .body(params.to_owned())
    } else {
        client.get(format!("{}{path}?{params}", sim.base_url()))
    };
    if let Some(a) = auth {
        req = req.header("authorization", a);
    }
    let resp = req.send().await.unwrap();
    let status = resp.status().as_u16();
    (status, resp.json().await.unwrap())
}

fn flip(s: &str, at: usize) -> String {
    let mut b = s.as_bytes().to_vec();
    b[at] = if b[at] == b'A' { b'B' } else { b'A' };
    String::from_utf8(b).unwrap()
}

fn assert_unauthorized((status, body): (u16, Value)) {
    assert_eq!(status, 401, "{body}");
    assert_eq!(body["status"], "error");
    assert_eq!(body["message"], "Not authorized");
}

#[tokio::test]
async fn spec_vectors_accepted_and_one_byte_changes_rejected() {
    let sim = sim(SimConfig::default()).await;
    for v in vectors() {
        for (params, sig) in [
            (v.with_format, v.auth_with),
            (v.without_format, v.auth_without),
        ] {
            let auth = format!("{KEY}:{sig}");
            let (status, body) = raw(&sim, v.post, v.path, params, Some(&auth)).await;
            assert_eq!(status, v.expect_status, "{} {params}: {body}", v.path);
            let want = if status == 200 { "success" } else { "error" };
            assert_eq!(body["status"], want, "{body}");

            // One byte of the signature, of a parameter, of the path, of the key.
            assert_unauthorized(
                raw(
                    &sim,
                    v.post,
                    v.path,
                    params,
                    Some(&flip(&auth, KEY.len() + 5)),
                )
                .await,
            );
            if !params.is_empty() {
                assert_unauthorized(
                    raw(
                        &sim,
                        v.post,
                        v.path,
                        &flip(params, params.len() - 1),
                        Some(&auth),
                    )
                    .await,
                );
            }
            assert_unauthorized(
                raw(
                    &sim,
                    v.post,
                    v.path.trim_end_matches('/'),
                    params,
                    Some(&auth),
                )
                .await,
            );
            assert_unauthorized(raw(&sim, v.post, v.path, params, Some(&flip(&auth, 0))).await);
            assert_unauthorized(raw(&sim, v.post, v.path, params, None).await);
        }
    }
    // V3 went through twice: both messages were "sent".
    let sms = sim.sent_sms();
    assert_eq!(sms.len(), 2);
    assert_eq!(sms[0].message, "Hola ñandú");
    assert_eq!(sms[0].number, "34600111222");
}

/// V6: only the PHP encoding is right; the Python and TS variants (which
/// differ on `~` and `*`) must be refused, since the server re-encodes.
#[tokio::test]
async fn v6_only_php_encoding_accepted() {
    let sim = sim(SimConfig::default()).await;
    let path = "/v1/sms/send/";
    let php = "format=json&message=Cita+ma%C3%B1ana+10%3A00+%28sala+%2AB%2A%29+%7Eok%21+%2Binfo&number=34600111222";
    let py = "format=json&message=Cita+ma%C3%B1ana+10%3A00+%28sala+%2AB%2A%29+~ok%21+%2Binfo&number=34600111222";
    let ts = "format=json&message=Cita+ma%C3%B1ana+10%3A00+%28sala+*B*%29+%7Eok%21+%2Binfo&number=34600111222";
    let cases = [
        (
            php,
            "NWYyMjNhYzJiZmFmNDA4MjliM2U5MGY5NWQyMzZiNTU4Mzc0NmZiZg==",
            200,
        ),
        (
            py,
            "ZGI2ODQyMWRhMDFhNTFmMjc0NGI2NjczM2ZiYjliYmY1NDg5NWU5ZQ==",
            401,
        ),
        (
            ts,
            "NGQwM2QwMzFiZjE3OWMxYjRjNmVmMTMyNzE1OWQ5ZDJmYjNlZDY1YQ==",
            401,
        ),
    ];
    for (params, sig, want) in cases {
        // Our reconstruction of each client's string is what it signed.
        assert_eq!(sb_pbxsim::sign::rest_signature(path, params, SECRET), sig);
        let (status, body) = raw(&sim, true, path, params, Some(&format!("{KEY}:{sig}"))).await;
        assert_eq!(status, want, "{body}");
    }
    assert_eq!(
        sim.sent_sms()[0].message,
        "Cita mañana 10:00 (sala *B*) ~ok! +info"
    );
}

async fn call(sim: &PbxSim, post: bool, path: &str, params: &[(&str, &str)]) -> (u16, Value) {
    let map: BTreeMap<String, String> = params
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect();
    let auth = sb_pbxsim::sign::rest_authorization(KEY, SECRET, path, &map);
    raw(
        sim,
        post,
        path,
        &sb_pbxsim::sign::params_string(&map),
        Some(&auth),
    )
    .await
}

#[tokio::test]
async fn method_shapes() {
    let (_crm, url) = crm().await;
    let sim = sim(SimConfig {
        webhook_url: Some(url),
        utc_offset_minutes: 180,
        ..SimConfig::default()
    })
    .await;

    let (s, b) = call(&sim, false, "/v1/info/balance/", &[("format", "json")]).await;
    assert_eq!(s, 200);
    assert_eq!(
        b,
        serde_json::json!({"status":"success","balance":18.1636,"currency":"EUR"})
    );

    let (_, b) = call(&sim, false, "/v1/info/timezone/", &[]).await;
    assert_eq!(b["timezone"], "UTC+3");
    assert_eq!(b["datetime"].as_str().unwrap().len(), 19);
    assert!(b["unixtime"].is_i64());

    let (_, b) = call(&sim, false, "/v1/pbx/internal/", &[]).await;
    assert_eq!(
        b,
        serde_json::json!({"status":"success","pbx_id":453101,"numbers":[100,101,102]})
    );

    let (_, b) = call(&sim, false, "/v1/pbx/internal/101/status/", &[]).await;
    assert_eq!(
        (
            b["status"].as_str(),
            b["number"].as_i64(),
            b["is_online"].as_str()
        ),
        (Some("success"), Some(101), Some("true"))
    );
    let (s, _) = call(&sim, false, "/v1/pbx/internal/999/status/", &[]).await;
    assert_eq!(s, 400);

    let (s, b) = call(
        &sim,
        true,
        "/v1/sms/send/",
        &[("number", "34600111222,1"), ("message", "Hola")],
    )
    .await;
    assert_eq!(s, 200);
    assert_eq!(
        (b["messages"].as_i64(), b["cost"].as_f64()),
        (Some(1), Some(0.2))
    );
    assert_eq!(b["sms_detalization"][0]["number"], "34600111222");
    assert_eq!(b["denied_numbers"][0]["number"], "1");
    assert!((sim.balance() - 17.9636).abs() < 1e-9);

    let (s, _) = call(
        &sim,
        false,
        "/v1/sms/send/",
        &[("number", "1"), ("message", "x")],
    )
    .await;
    assert_eq!(s, 405);
    let (s, b) = call(&sim, false, "/v1/no/such/", &[]).await;
    assert_eq!((s, b["status"].as_str()), (404, Some("error")));

    let report = sim
        .run_scenario(ScenarioSpec::new(Scenario::IncomingAnswered))
        .await
        .unwrap();
    let day = &report.call_start[..10];
    let (start, end) = (format!("{day} 00:00:00"), format!("{day} 23:59:59"));
    let (s, b) = call(
        &sim,
        false,
        "/v1/statistics/pbx/",
        &[("start", &start), ("end", &end), ("version", "2")],
    )
    .await;
    assert_eq!(s, 200, "{b}");
    let row = &b["stats"][0];
    assert_eq!(row["pbx_call_id"], report.pbx_call_id.as_str());
    assert_eq!(
        (
            row["sip"].as_str(),
            row["disposition"].as_str(),
            row["seconds"].as_i64()
        ),
        (Some("100"), Some("answered"), Some(47))
    );
    let (_, b) = call(
        &sim,
        false,
        "/v1/statistics/pbx/",
        &[("start", &start), ("end", &end), ("call_type", "out")],
    )
    .await;
    assert_eq!(b["stats"].as_array().unwrap().len(), 0);
    let (s, _) = call(
        &sim,
        false,
        "/v1/statistics/pbx/",
        &[
            ("start", "2024-01-01 00:00:00"),
            ("end", "2024-03-01 00:00:00"),
        ],
    )
    .await;
    assert_eq!(s, 400);
}

#[tokio::test]
async fn failure_modes() {
    let sim = sim(SimConfig::default()).await;
    let cb = [("from", "100"), ("to", "34600111222")];

    sim.set_failure(FailureMode::NoMoney);
    let (s, b) = call(&sim, false, "/v1/request/callback/", &cb).await;
    assert_eq!((s, b["status"].as_str()), (400, Some("error")));
    assert!(b["message"]
        .as_str()
        .unwrap()
        .to_lowercase()
        .contains("not enough money"));

    sim.set_failure(FailureMode::WrongNumber);
    let (s, b) = call(&sim, false, "/v1/request/callback/", &cb).await;
    assert_eq!((s, b["message"].as_str()), (400, Some("Wrong number")));

    sim.set_failure(FailureMode::ServerError);
    let (s, _) = call(&sim, false, "/v1/info/balance/", &[]).await;
    assert_eq!(s, 500);

    sim.set_failure(FailureMode::Slow(Duration::from_millis(150)));
    let t = Instant::now();
    let (s, _) = call(&sim, false, "/v1/info/balance/", &[]).await;
    assert_eq!(s, 200);
    assert!(t.elapsed() >= Duration::from_millis(150));

    sim.set_failure(FailureMode::None);
    let (s, b) = call(&sim, false, "/v1/request/callback/", &cb).await;
    assert_eq!((s, b["status"].as_str()), (200, Some("success")));
    assert_eq!(
        "slow:20".parse::<FailureMode>().unwrap(),
        FailureMode::Slow(Duration::from_millis(20))
    );
}
