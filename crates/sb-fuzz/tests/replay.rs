//! The bounded fuzz run of CI: every target replays its seeds and regression inputs,
//! then a fixed number of deterministic mutations, stopped early at a time bound. HTTP
//! targets run on SQLite and, with SWITCHBOARD_TEST_PG_URL, on PostgreSQL too.
//!
//! `SB_FUZZ_SEED` (a number, or `random`), `SB_FUZZ_ITERS` (mutations per target and
//! backend) and `SB_FUZZ_SECS` (time bound per target and backend) change the run. A
//! failure prints the target, the seed, the input's number and the input in hex:
//! `SB_FUZZ_SEED=<seed> cargo nextest run -p sb-fuzz -E 'test(<target>)'` replays it, and
//! the hex, saved to `corpus/<target>/regressions/`, keeps it replayed for good.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use sb_fuzz::mutate::{mutate, Rng};
use sb_fuzz::{hex, target, Harness, Kind};
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

const DEFAULT_SEED: u64 = 20_261_203;

fn env_num(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn seed() -> u64 {
    match std::env::var("SB_FUZZ_SEED").as_deref() {
        Ok("random") => std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_nanos() as u64,
        _ => env_num("SB_FUZZ_SEED", DEFAULT_SEED),
    }
}

/// Every file of `corpus/<name>/` and `corpus/<name>/regressions/`, sorted by path.
fn corpus(name: &str) -> Vec<(PathBuf, Vec<u8>)> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("corpus")
        .join(name);
    let mut files = Vec::new();
    for d in [dir.clone(), dir.join("regressions")] {
        let Ok(entries) = std::fs::read_dir(&d) else {
            continue;
        };
        for e in entries.flatten() {
            let p = e.path();
            if p.is_file() {
                files.push((p.clone(), std::fs::read(&p).unwrap()));
            }
        }
    }
    files.sort();
    assert!(!files.is_empty(), "no seeds in {}", dir.display());
    files
}

/// Runs `call` on one input; on a panic prints what replays it and fails the test.
fn check(name: &str, what: &str, seed: u64, data: &[u8], call: &dyn Fn(&[u8])) {
    let started = Instant::now();
    if catch_unwind(AssertUnwindSafe(|| call(data))).is_err() {
        panic!(
            "sb-fuzz: {name} failed on {what} (SB_FUZZ_SEED={seed}); input ({} bytes, hex):\n{}\n{:?}",
            data.len(),
            hex(data),
            String::from_utf8_lossy(data)
        );
    }
    let took = started.elapsed();
    if took > Duration::from_secs(1) {
        println!(
            "sb-fuzz: {name}: {what} took {took:?} (input hex {})",
            hex(data)
        );
    }
}

/// Replays the corpus, then mutates it; returns the number of executions.
fn run(name: &str, backend: &str, default_iters: u64, call: &dyn Fn(&[u8])) {
    let seed = seed();
    let iters = env_num("SB_FUZZ_ITERS", default_iters);
    let bound = Duration::from_secs(env_num("SB_FUZZ_SECS", 20));
    let dictionary = target(name).unwrap().dictionary;
    let files = corpus(name);
    let started = Instant::now();
    for (path, data) in &files {
        check(name, &path.display().to_string(), seed, data, call);
    }
    let seeds: Vec<Vec<u8>> = files.into_iter().map(|(_, d)| d).collect();
    let mut rng = Rng::new(seed ^ fnv(name));
    let mut done = 0;
    while done < iters && started.elapsed() < bound {
        let input = mutate(&mut rng, &seeds, dictionary);
        check(name, &format!("mutation {done}"), seed, &input, call);
        done += 1;
    }
    println!(
        "sb-fuzz: {name} on {backend}: {} seeds, {done} mutations in {:.1} s, seed {seed}",
        seeds.len(),
        started.elapsed().as_secs_f64()
    );
}

/// A stable per-target offset, so targets do not all draw the same numbers.
fn fnv(s: &str) -> u64 {
    s.bytes().fold(0xcbf2_9ce4_8422_2325, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x100_0000_01b3)
    })
}

fn pure(name: &str) {
    let Kind::Pure(f) = target(name).unwrap().kind else {
        panic!("{name} is not a pure target");
    };
    run(name, "-", 20_000, &|d| f(d));
}

/// A fresh PostgreSQL database on SWITCHBOARD_TEST_PG_URL's server, if one is set.
fn postgres_url() -> Option<String> {
    let admin_url = std::env::var("SWITCHBOARD_TEST_PG_URL")
        .ok()
        .filter(|s| !s.is_empty())?;
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let name = format!("sbfuzz_{}", uuid_like());
    rt.block_on(async {
        let admin = sb_store::Db::connect(&admin_url).await.unwrap();
        admin
            .execute_admin(&format!("create database {name}"))
            .await
            .unwrap();
        admin.close().await;
    });
    Some(sb_store::with_database_name(&admin_url, &name))
}

fn uuid_like() -> String {
    let t = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos();
    format!("{t:x}{:x}", std::process::id())
}

fn http(name: &str) {
    let Kind::Http(f) = target(name).unwrap().kind else {
        panic!("{name} is not an HTTP target");
    };
    let h = Harness::sqlite().unwrap();
    run(name, "sqlite", 1500, &|d| f(&h, d));
    drop(h);
    if let Some(url) = postgres_url() {
        let h = Harness::on(&url, tempfile::tempdir().unwrap()).unwrap();
        run(name, "postgres", 1500, &|d| f(&h, d));
    }
}

#[test]
fn zadarma_webhook() {
    pure("zadarma_webhook");
}

#[test]
fn phone() {
    pure("phone");
}

#[test]
fn zadarma_sign() {
    pure("zadarma_sign");
}

#[test]
fn api_query() {
    http("api_query");
}

#[test]
fn api_json() {
    http("api_json");
}

#[test]
fn ui_form() {
    http("ui_form");
}

#[test]
fn session_cookie() {
    http("session_cookie");
}

#[test]
fn bearer() {
    http("bearer");
}

#[test]
fn every_target_has_a_test_and_seeds() {
    let here = include_str!("replay.rs");
    for t in sb_fuzz::TARGETS {
        assert!(here.contains(&format!("fn {}()", t.name)), "{}", t.name);
        assert!(!corpus(t.name).is_empty());
    }
}
