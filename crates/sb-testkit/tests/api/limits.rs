//! Resource limits: an oversized body, a too-big batch, a too-long address or search, an
//! oversized header and one live connection too many (socket or event stream) each get
//! a clear error; connections past the cap are turned away; and under a bounded abuse
//! run on loopback (slow clients dribbling their headers, oversized requests) `/health`
//! answers every time while the server closes the slow connections itself. Small limits
//! keep it fast; no timing is asserted (the timeouts below only guard against a hang).

use sb_testkit::ui::Browser;
use sb_testkit::{json, spawn_apps_with, TestApp};
use serde_json::{json, Value};
use std::net::SocketAddr;
use std::time::Duration;
use switchboard::Config;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::http::HeaderValue;

const BODY_LIMIT: usize = 64 * 1024;
const URI_LIMIT: usize = 2048;
const HEADER_LIMIT: usize = 8 * 1024;
const SOCKETS_PER_USER: usize = 2;
/// How long any one exchange may take before the test calls it a hang.
const HANG: Duration = Duration::from_secs(20);

fn small(c: &mut Config) {
    c.limits.max_body_bytes = BODY_LIMIT;
    c.limits.max_uri_bytes = URI_LIMIT;
    c.limits.max_header_bytes = HEADER_LIMIT;
    c.limits.header_timeout_secs = 1;
    c.limits.sockets_per_user = SOCKETS_PER_USER;
    c.limits.max_connections = 1000;
}

fn addr(app: &TestApp) -> SocketAddr {
    app.url.trim_start_matches("http://").parse().unwrap()
}

/// Sends `request` as it is on a new connection and reads until the server closes it.
async fn raw(app: &TestApp, request: &[u8]) -> String {
    let exchange = async {
        let mut s = TcpStream::connect(addr(app)).await.unwrap();
        s.write_all(request).await.unwrap();
        let mut out = Vec::new();
        let mut buf = [0u8; 4096];
        // A reset after the answer still leaves the answer read.
        while let Ok(n) = s.read(&mut buf).await {
            if n == 0 {
                break;
            }
            out.extend_from_slice(&buf[..n]);
        }
        String::from_utf8_lossy(&out).into_owned()
    };
    tokio::time::timeout(HANG, exchange)
        .await
        .expect("the server answers")
}

fn status_of(answer: &str) -> u16 {
    answer
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("not an HTTP answer: {answer:?}"))
}

/// A POST whose declared body is over the limit (the body itself is never sent).
fn oversized_post(app: &TestApp, path: &str, accept: &str) -> Vec<u8> {
    format!(
        "POST {path} HTTP/1.1\r\nhost: {}\r\nauthorization: Bearer {}\r\naccept: {accept}\r\n\
         content-type: application/json\r\ncontent-length: {}\r\n\r\n",
        addr(app),
        app.admin_token,
        BODY_LIMIT * 4
    )
    .into_bytes()
}

/// A GET whose headers are over the limit.
fn oversized_header(app: &TestApp) -> Vec<u8> {
    format!(
        "GET /health HTTP/1.1\r\nhost: {}\r\nx-padding: {}\r\n\r\n",
        addr(app),
        "a".repeat(HEADER_LIMIT + 100)
    )
    .into_bytes()
}

#[tokio::test]
async fn oversized_bodies_batches_addresses_searches_and_headers_get_clear_errors() {
    for app in spawn_apps_with(small).await {
        // A body over the limit: 413 in problem+json for the API ...
        let answer = raw(&app, &oversized_post(&app, "/api/v4/leads", "*/*")).await;
        assert_eq!(status_of(&answer), 413, "{answer}");
        assert!(answer.contains("application/problem+json"), "{answer}");
        assert!(
            answer.contains(&format!("larger than the limit of {BODY_LIMIT} bytes")),
            "{answer}"
        );
        // ... a readable page for a browser ...
        let answer = raw(&app, &oversized_post(&app, "/leads", "text/html")).await;
        assert_eq!(status_of(&answer), 413, "{answer}");
        assert!(
            answer.contains("larger than the server accepts"),
            "{answer}"
        );
        // ... and 413 for a webhook.
        let answer = raw(&app, &oversized_post(&app, "/hooks/zadarma/x", "*/*")).await;
        assert_eq!(status_of(&answer), 413, "{answer}");

        // A batch over 250 items, on every bulk endpoint: the cards' clear 400.
        let batch = Value::Array(vec![json!({}); 251]);
        for path in [
            "/api/v4/leads",
            "/api/v4/contacts",
            "/api/v4/companies",
            "/api/v4/tasks",
            "/api/v4/leads/notes",
            "/api/v4/contacts/link",
            "/api/v4/leads/custom_fields",
            "/api/v4/catalogs",
            "/api/v4/users",
            "/api/v4/calls",
            "/api/v4/leads/complex",
            "/api/v4/leads/pipelines",
        ] {
            let r = app.post(path, batch.clone()).await;
            assert_eq!(r.status(), 400, "{path}");
            let v = json(r).await;
            assert_eq!(
                v["detail"], "a batch holds at most 250 items, this one has 251",
                "{path}: {v}"
            );
        }

        // An address over the limit: 414 in problem+json.
        let r = app
            .get(&format!("/api/v4/leads?query={}", "a".repeat(URI_LIMIT)))
            .await;
        assert_eq!(r.status(), 414);
        assert_eq!(
            r.headers()["content-type"].to_str().unwrap(),
            "application/problem+json"
        );
        let v = json(r).await;
        let detail = v["detail"].as_str().unwrap();
        assert!(
            detail.contains(&format!("limit of {URI_LIMIT} bytes")),
            "{v}"
        );
        // A search text and a filter list over theirs: 400 that says so.
        let r = app
            .get(&format!("/api/v4/contacts?query={}", "a".repeat(501)))
            .await;
        assert_eq!(r.status(), 400);
        assert_eq!(
            json(r).await["detail"],
            "query holds at most 500 characters, this one has 501"
        );
        let ids: Vec<String> = (1..=251).map(|i| i.to_string()).collect();
        let r = app
            .get(&format!("/api/v4/leads?filter[id]={}", ids.join(",")))
            .await;
        assert_eq!(r.status(), 400);
        assert_eq!(
            json(r).await["detail"],
            "filter[id] holds at most 250 values, this one has 251"
        );
        let r = app
            .get(&format!(
                "/api/v4/leads?filter[id]={}",
                ids[..250].join(",")
            ))
            .await;
        assert!(r.status().is_success(), "{}", r.status());

        // Headers over the limit: 431, and the connection is closed.
        let answer = raw(&app, &oversized_header(&app)).await;
        assert_eq!(status_of(&answer), 431, "{answer}");
    }
}

/// Opens `/live` as browser `b` does; the refusal's status and reason otherwise.
async fn live(
    app: &TestApp,
    b: &Browser,
) -> Result<
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<TcpStream>>,
    (u16, String),
> {
    let url = format!("{}/live", app.url.replacen("http://", "ws://", 1));
    let mut req = url.into_client_request().unwrap();
    let h = req.headers_mut();
    h.insert("cookie", HeaderValue::from_str(&b.cookie_header()).unwrap());
    h.insert("origin", HeaderValue::from_str(&app.url).unwrap());
    match tokio::time::timeout(HANG, tokio_tungstenite::connect_async(req))
        .await
        .expect("the handshake ends")
    {
        Ok((ws, _)) => Ok(ws),
        Err(tokio_tungstenite::tungstenite::Error::Http(r)) => {
            let body = r.body().clone().unwrap_or_default();
            Err((r.status().as_u16(), String::from_utf8_lossy(&body).into()))
        }
        Err(e) => panic!("websocket: {e}"),
    }
}

#[tokio::test]
async fn one_live_connection_too_many_is_429_and_a_closed_one_frees_its_place() {
    for app in spawn_apps_with(small).await {
        let b = Browser::admin(&app).await;
        let user = app.admin.user.id.0;
        let mut open = Vec::new();
        for _ in 0..SOCKETS_PER_USER {
            open.push(
                live(&app, &b)
                    .await
                    .expect("a socket within the limit opens"),
            );
        }
        let Err((status, reason)) = live(&app, &b).await else {
            panic!("a socket past the limit opened");
        };
        assert_eq!(status, 429);
        assert!(
            reason.contains("Too many live connections for this user"),
            "{reason}"
        );
        // The API's event stream counts among the same live connections.
        let r = app.get("/api/v4/calls/live").await;
        assert_eq!(r.status(), 429);
        let v = json(r).await;
        assert!(
            v["detail"]
                .as_str()
                .unwrap()
                .contains("Too many live connections for this user"),
            "{v}"
        );
        // Another user has places of their own.
        sb_testkit::ui::manager(&app, "Agent", sb_domain::Rights::manager_default(), "en").await;
        let agent = Browser::sign_in(&app, "agent@example.test", sb_testkit::ui::PASSWORD).await;
        let agents = live(&app, &agent)
            .await
            .expect("another user's socket opens");
        // Closing one gives its place back (the count never leaks).
        let mut first = open.remove(0);
        first.close(None).await.unwrap();
        drop(first);
        let freed = async {
            while app.state.sockets.of(user) >= SOCKETS_PER_USER {
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
        };
        tokio::time::timeout(HANG, freed)
            .await
            .expect("the closed socket's place is given back");
        let again = live(&app, &b)
            .await
            .expect("the freed place takes a socket");
        // An event stream's place is given back when its client goes away.
        drop(open.pop());
        let freed = async {
            loop {
                let r = app.get("/api/v4/calls/live").await;
                if r.status() == 200 {
                    return r;
                }
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
        };
        let stream = tokio::time::timeout(HANG, freed)
            .await
            .expect("a place for the event stream");
        assert_eq!(app.state.sockets.of(user), SOCKETS_PER_USER);
        drop(stream);
        // A socket dropped without a goodbye frees its place too.
        drop(again);
        drop(open);
        drop(agents);
        let all_gone = async {
            while app.state.sockets.of(user) > 0 {
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
        };
        tokio::time::timeout(HANG, all_gone)
            .await
            .expect("dropped sockets give their places back");
        assert_eq!(app.state.sockets.total(), 0);
    }
}

#[tokio::test]
async fn connections_past_the_cap_are_turned_away_until_one_ends() {
    let apps = spawn_apps_with(|c| {
        c.limits.max_connections = 2;
        c.limits.header_timeout_secs = 60;
    })
    .await;
    for app in apps {
        // Two idle connections hold both places (their headers are not due yet) ...
        let idle: Vec<TcpStream> =
            futures_util::future::join_all((0..2).map(|_| TcpStream::connect(addr(&app))))
                .await
                .into_iter()
                .map(Result::unwrap)
                .collect();
        // ... so the next one is answered 503 and closed.
        let answer = raw(&app, b"").await;
        assert_eq!(status_of(&answer), 503, "{answer}");
        assert!(answer.contains("connections open, its limit"), "{answer}");
        // Once they end, the places serve again.
        drop(idle);
        let served = async {
            loop {
                let answer = raw(
                    &app,
                    b"GET /health HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n",
                )
                .await;
                if status_of(&answer) == 200 {
                    break;
                }
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
        };
        tokio::time::timeout(HANG, served)
            .await
            .expect("a freed place serves");
    }
}

/// Slow clients in the abuse run.
const SLOW: usize = 200;
/// Oversized requests in the abuse run (half too large a body, half too large a head).
const OVERSIZED: usize = 50;
/// Health checks made while the abuse goes on.
const HEALTH_CHECKS: usize = 40;

/// A slowloris client: starts a request and sends one more header line every 100 ms,
/// never finishing. Whether the server closed the connection (rather than the test
/// giving up after [`HANG`]).
async fn slowloris(addr: SocketAddr, started: tokio::sync::mpsc::Sender<()>) -> bool {
    let Ok(mut s) = TcpStream::connect(addr).await else {
        return false;
    };
    if s.write_all(b"GET /health HTTP/1.1\r\nhost: x\r\n")
        .await
        .is_err()
    {
        return false;
    }
    let _ = started.send(()).await;
    drop(started);
    let dribble = async {
        let mut buf = [0u8; 256];
        loop {
            tokio::select! {
                r = s.read(&mut buf) => match r {
                    // Closed (or answered and then closed) by the server.
                    Ok(0) | Err(_) => return true,
                    Ok(_) => continue,
                },
                () = tokio::time::sleep(Duration::from_millis(100)) => {
                    if s.write_all(b"x-a: b\r\n").await.is_err() {
                        return true;
                    }
                }
            }
        }
    };
    tokio::time::timeout(HANG, dribble).await.unwrap_or(false)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn health_checks_answer_while_slow_and_oversized_clients_abuse_the_server() {
    for app in spawn_apps_with(small).await {
        let a = addr(&app);
        let (started_tx, mut started_rx) = tokio::sync::mpsc::channel(SLOW);
        let slow: Vec<_> = (0..SLOW)
            .map(|_| tokio::spawn(slowloris(a, started_tx.clone())))
            .collect();
        drop(started_tx);
        // Every slow client has sent the start of its request.
        let mut n = 0;
        while started_rx.recv().await.is_some() {
            n += 1;
        }
        assert_eq!(n, SLOW, "every slow client connected");
        let body = oversized_post(&app, "/api/v4/leads", "*/*");
        let head = oversized_header(&app);
        let oversized = futures_util::future::join_all((0..OVERSIZED).map(|i| {
            let request = if i % 2 == 0 {
                body.clone()
            } else {
                head.clone()
            };
            let app = &app;
            async move { status_of(&raw(app, &request).await) }
        }));
        let health = async {
            let client = reqwest::Client::builder().timeout(HANG).build().unwrap();
            let mut statuses = Vec::new();
            for _ in 0..HEALTH_CHECKS {
                let r = client.get(format!("{}/health", app.url)).send().await;
                statuses.push(r.map(|r| r.status().as_u16()).map_err(|e| e.to_string()));
                tokio::time::sleep(Duration::from_millis(25)).await;
            }
            statuses
        };
        let (oversized, health) = tokio::join!(oversized, health);
        assert!(
            health.iter().all(|s| s == &Ok(200)),
            "health during the abuse: {health:?}"
        );
        let refused = |code| oversized.iter().filter(|&&s| s == code).count();
        assert_eq!(refused(413), OVERSIZED / 2, "{oversized:?}");
        assert_eq!(refused(431), OVERSIZED / 2, "{oversized:?}");
        let mut closed = 0;
        for t in slow {
            if t.await.unwrap() {
                closed += 1;
            }
        }
        assert_eq!(closed, SLOW, "the server closed every slow connection");
        // And it goes on serving.
        assert_eq!(app.get("/api/v4/leads").await.status(), 204);
    }
}
