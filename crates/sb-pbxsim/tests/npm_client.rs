//! The third-party npm client `zadarma@1.1.2` (spec tag [npm]) against the
//! simulator: its requests are accepted, and with a wrong secret refused.
//! Needs `node` and `npm ci --prefix crates/sb-pbxsim/tests/npm`.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::path::PathBuf;

use common::{sim, KEY, SECRET};
use sb_pbxsim::SimConfig;
use serde_json::Value;

fn npm_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/npm")
}

async fn run_check(base_url: &str, secret: &str) -> Value {
    let dir = npm_dir();
    let out = tokio::process::Command::new("node")
        .arg(dir.join("check.mjs"))
        .args([base_url, KEY, secret])
        .current_dir(&dir)
        .output()
        .await
        .expect("cannot run `node` (is Node.js installed?)");
    assert!(
        out.status.success(),
        "node failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "bad JSON from check.mjs ({e}): {}",
            String::from_utf8_lossy(&out.stdout)
        )
    })
}

#[tokio::test]
async fn npm_zadarma_client_is_accepted_and_signature_checked() {
    assert!(
        npm_dir().join("node_modules/zadarma/index.js").exists(),
        "tests/npm/node_modules is missing: run `npm ci --prefix crates/sb-pbxsim/tests/npm` first"
    );
    let sim = sim(SimConfig::default()).await;

    let ok = run_check(&sim.base_url(), SECRET).await;
    assert_eq!(
        ok["balance"],
        serde_json::json!({"status":"success","balance":18.1636,"currency":"EUR"})
    );
    assert_eq!(
        ok["internal"],
        serde_json::json!({"status":"success","pbx_id":453101,"numbers":[100,101,102]})
    );
    assert_eq!(ok["callback"]["status"], "success", "{}", ok["callback"]);
    assert_eq!(ok["callback"]["from"], 100);
    assert_eq!(ok["callback"]["to"], "34600111222");

    // Same length (the client insists on 20 characters), one byte different.
    let wrong = SECRET.replace('D', "E");
    let bad = run_check(&sim.base_url(), &wrong).await;
    for k in ["balance", "internal", "callback"] {
        assert_eq!(
            bad[k],
            serde_json::json!({"status":"error","message":"Not authorized"}),
            "{k}"
        );
    }
}
