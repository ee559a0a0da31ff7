//! `bench lookup`: seed contacts with phones in mixed formats through the store's bulk
//! path, then time caller-ID lookups (`sb_store::cards::find_by_phone`) with numbers
//! spelled differently from how they were stored, half of them unknown.
//!
//! Seeding builds the writes exactly as `sb_service::cards::create` does (validated
//! PHONE values, `phones_of` -> `Phone::parse`) on plain threads, one per core, and a
//! single writer inserts them in order with `cards::insert_many`, one transaction per
//! batch: SQLite has one writer, and phone parsing is CPU work that overlaps with it.

use super::cpu;
use super::numbers::{self, mix};
use super::stats::Latency;
use super::target::BenchDb;
use crate::config::Config;
use anyhow::Context;
use sb_domain::entities::{Card, CardKind};
use sb_domain::fields::{validate_values, FieldDef, FieldValueInput, ValueInput};
use sb_domain::{AccountId, Phone, UserId, Visibility};
use sb_service::accounts::{create_account, NewAccount};
use sb_service::{Ctx, SystemClock};
use sb_store::cards::{self, CardWrite};
use sb_store::{Backend, Db, Tx};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::mpsc;

const MAX_LOOKUPS: u64 = 1_000_000;
/// Contacts per batch handed from a builder thread to the writer.
const BATCH: u64 = 5_000;
/// Contacts per transaction. Each transaction rewrites the pages of the two random-order
/// phone indexes it touches (to the WAL, then to the file at checkpoint): larger
/// transactions touch each page for more rows. At 5,000 contacts per transaction, 1M
/// contacts spent 39 s in commits; at 50,000, 8 s.
const TX_CONTACTS: u64 = 50_000;
/// Seeding stops early (and says so) past this.
const SEED_TIME_LIMIT: Duration = Duration::from_secs(45 * 60);
/// Each timed lookup pass stops early (and says so) past this.
const LOOKUP_TIME_LIMIT: Duration = Duration::from_secs(120);
/// Untimed lookups first, so statement preparation and cold pages are not counted.
const WARMUP: u64 = 500;
/// Lookups of the secondary passes (pool per lookup, service use case).
const SECONDARY_LOOKUPS: u64 = 5_000;
const MISSES_SHOWN: usize = 20;

pub async fn run(config: &Config, contacts: u64, lookups: u64) -> anyhow::Result<()> {
    if !(1..=numbers::MAX_CONTACTS).contains(&contacts) {
        anyhow::bail!("--contacts must be between 1 and {}", numbers::MAX_CONTACTS);
    }
    if !(1..=MAX_LOOKUPS).contains(&lookups) {
        anyhow::bail!("--lookups must be between 1 and {MAX_LOOKUPS}");
    }
    let target = BenchDb::open(config).await?;
    println!(
        "bench lookup: {} contacts, {} lookups",
        thousands(contacts),
        thousands(lookups)
    );
    match target.backend {
        Backend::Sqlite => println!("database: SQLite file {}", target.location),
        Backend::Postgres => println!("database: PostgreSQL, fresh {}", target.location),
    }
    // Ctrl-C still removes the database the benchmark created.
    let outcome = tokio::select! {
        r = bench(&target, contacts, lookups) => r,
        _ = tokio::signal::ctrl_c() => Err(anyhow::anyhow!("interrupted")),
    };
    let size = target.size_bytes();
    target.finish().await;
    let mut summary = outcome?;
    summary.db_bytes = size;
    summary.print();
    Ok(())
}

#[derive(Default)]
struct Summary {
    backend: Option<Backend>,
    contacts_asked: u64,
    contacts: u64,
    phones: u64,
    seed_secs: f64,
    lookups: usize,
    latency: Latency,
    lookups_per_sec: f64,
    pooled: Latency,
    service: Latency,
    parse: Latency,
    misses: usize,
    false_hits: usize,
    existing: usize,
    db_bytes: Option<u64>,
    load_at_start: String,
    cpu_us_per_lookup: Option<f64>,
}

impl Summary {
    fn print(&self) {
        let cpu = std::fs::read_to_string("/proc/cpuinfo")
            .ok()
            .and_then(|s| {
                s.lines()
                    .find(|l| l.starts_with("model name"))
                    .and_then(|l| l.split(':').nth(1))
                    .map(|s| s.trim().to_string())
            })
            .unwrap_or_else(|| "?".into());
        let nproc = std::thread::available_parallelism()
            .map(|n| n.get())
            .unwrap_or(1);
        let backend = match self.backend {
            Some(Backend::Sqlite) => "SQLite",
            Some(Backend::Postgres) => "PostgreSQL",
            None => "?",
        };
        println!();
        println!("==================== bench lookup: summary ====================");
        println!(
            "machine        nproc {nproc}, {cpu}; load average {} at start, {} at end",
            self.load_at_start,
            load_average()
        );
        println!("backend        {backend}");
        if self.contacts < self.contacts_asked {
            println!(
                "contacts       {} (of {} asked: seeding hit its time limit)",
                thousands(self.contacts),
                thousands(self.contacts_asked)
            );
        } else {
            println!(
                "contacts       {} ({} phones)",
                thousands(self.contacts),
                thousands(self.phones)
            );
        }
        println!(
            "seeding        {} contacts/s ({:.1} s)",
            thousands((self.contacts as f64 / self.seed_secs.max(1e-9)) as u64),
            self.seed_secs
        );
        if let Some(b) = self.db_bytes {
            println!("database size  {:.0} MiB", b as f64 / 1_048_576.0);
        }
        println!("lookups        {} sequential find_by_phone on one held connection, 50% existing (respelled) / 50% unknown", thousands(self.lookups as u64));
        println!(
            "  latency      p50 {:.1} µs   p99 {:.1} µs   max {:.1} µs",
            self.latency.p50_us, self.latency.p99_us, self.latency.max_us
        );
        println!(
            "  throughput   {} lookups/s",
            thousands(self.lookups_per_sec as u64)
        );
        if let Some(c) = self.cpu_us_per_lookup {
            println!("  CPU          {c:.1} µs per lookup (this process, SQLite thread included; 10 ms accounting ticks)");
        }
        println!(
            "  correctness  {} of {} existing numbers not found, {} unknown numbers matched",
            self.misses, self.existing, self.false_hits
        );
        println!(
            "also           pool connection per lookup: p50 {:.1} µs, p99 {:.1} µs",
            self.pooled.p50_us, self.pooled.p99_us
        );
        println!("               service find_by_phone (pool + account + parse): p50 {:.1} µs, p99 {:.1} µs", self.service.p50_us, self.service.p99_us);
        println!(
            "               Phone::parse of the query: p50 {:.1} µs, p99 {:.1} µs",
            self.parse.p50_us, self.parse.p99_us
        );
        println!("===============================================================");
    }
}

async fn bench(target: &BenchDb, contacts: u64, lookups: u64) -> anyhow::Result<Summary> {
    let load_at_start = load_average();
    let db = &target.db;
    db.migrate().await.context("migrating")?;
    // A throwaway database: a throwaway key.
    let key = sb_service::crypto::SecretKey::generate();
    let ctx = Ctx::new(db.clone(), Arc::new(SystemClock), &key).await?;
    let account = NewAccount {
        name: "Bench".into(),
        subdomain: "bench".into(),
        country: "ES".into(),
        currency: "EUR".into(),
        timezone: "Europe/Madrid".into(),
        admin_name: "Bench admin".into(),
        admin_email: "bench@switchboard.local".into(),
    };
    let (account, admin) = create_account(&ctx, account, None).await?;
    let defs = sb_service::cards::field_defs(&ctx, account.id, CardKind::Contact).await?;
    // Ids come from the process's generator, as the service's, drawn up front so that
    // batches built in parallel still insert in id order.
    let ids: Vec<i64> = (0..contacts).map(|_| ctx.next_id()).collect();
    let plan = Arc::new(Plan {
        defs,
        ids,
        account: account.id,
        admin: admin.id,
        country: account.country.clone(),
        now: ctx.now(),
    });

    let seeded = seed(db, plan.clone()).await?;
    let mut summary = Summary {
        backend: Some(target.backend),
        contacts_asked: contacts,
        contacts: seeded.contacts,
        phones: seeded.phones,
        seed_secs: seeded.secs,
        load_at_start,
        ..Default::default()
    };
    if seeded.contacts == 0 {
        anyhow::bail!("no contact was seeded");
    }
    time_lookups(&ctx, &plan, seeded.contacts, lookups, &mut summary).await?;
    Ok(summary)
}

/// What every seeding thread needs.
struct Plan {
    defs: Vec<FieldDef>,
    ids: Vec<i64>,
    account: AccountId,
    admin: UserId,
    country: String,
    now: i64,
}

struct Batch {
    writes: Vec<CardWrite>,
    phones: u64,
    parse: Duration,
}

/// Builds contacts `start..end` as the service would from API input.
fn build_batch(plan: &Plan, start: u64, end: u64) -> Result<Batch, String> {
    let mut parse = Duration::ZERO;
    let mut writes = Vec::with_capacity((end - start) as usize);
    let mut phones = 0;
    for i in start..end {
        let values: Vec<ValueInput> = (0..numbers::phone_count(i))
            .map(|j| {
                let s = numbers::stored(i, j);
                ValueInput {
                    value: Some(serde_json::Value::String(s.raw)),
                    enum_id: None,
                    enum_code: Some(s.enum_code.to_string()),
                }
            })
            .collect();
        let input = [FieldValueInput {
            field_id: None,
            field_code: Some("PHONE".into()),
            values: Some(values),
        }];
        let values = validate_values(&plan.defs, &input, "custom_fields_values")
            .map_err(|e| format!("contact {i}: {e:?}"))?;
        let tp = Instant::now();
        let card_phones = sb_service::cards::phones_of(&plan.defs, &values, &plan.country);
        parse += tp.elapsed();
        phones += card_phones.len() as u64;
        let id = *plan
            .ids
            .get(i as usize)
            .ok_or_else(|| format!("no id for contact {i}"))?;
        let first_name = ["Ana", "Bruno", "Carmen", "David", "Elena", "Fermín"]
            [(mix(i) % 6) as usize]
            .to_string();
        let last_name = format!("Bench {i}");
        let card = Card {
            id,
            kind: CardKind::Contact,
            account_id: plan.account,
            name: format!("{first_name} {last_name}"),
            first_name,
            last_name,
            responsible_user_id: Some(plan.admin),
            company_id: None,
            created_by: plan.admin,
            updated_by: plan.admin,
            created_at: plan.now,
            updated_at: plan.now,
            is_deleted: false,
            custom_fields: values,
        };
        writes.push(CardWrite {
            card,
            phones: card_phones,
        });
    }
    Ok(Batch {
        writes,
        phones,
        parse,
    })
}

struct Seeded {
    contacts: u64,
    phones: u64,
    secs: f64,
}

async fn seed(db: &Db, plan: Arc<Plan>) -> anyhow::Result<Seeded> {
    let n = plan.ids.len() as u64;
    let batches = n.div_ceil(BATCH);
    let cores = std::thread::available_parallelism()
        .map(|c| c.get())
        .unwrap_or(1) as u64;
    // The writer (this task and the SQLite connection's thread) keeps a core busy; the
    // builders take the others. More builders than that do not parse faster: the
    // phonenumber crate looks every pattern up in one Mutex-guarded regex cache.
    let threads = cores.saturating_sub(1).clamp(1, batches.max(1));
    println!(
        "seeding: {} builder thread(s) on {} core(s), batches of {} contacts, {} contacts per transaction; load average {}",
        threads,
        cores,
        thousands(BATCH),
        thousands(TX_CONTACTS),
        load_average()
    );
    let stop = Arc::new(AtomicBool::new(false));
    let builder_cpu_us = Arc::new(AtomicU64::new(0));
    let cpu0 = (cpu::process(), cpu::threads_named(SQLITE_THREAD));
    // One bounded channel per builder: the writer reads them in turn, so batches arrive
    // in id order, and a builder that runs ahead waits.
    let mut receivers = Vec::new();
    let mut handles = Vec::new();
    for t in 0..threads {
        let (tx, rx) = mpsc::channel::<Result<Batch, String>>(2);
        receivers.push(rx);
        let plan = plan.clone();
        let stop = stop.clone();
        let builder_cpu_us = builder_cpu_us.clone();
        let handle = std::thread::Builder::new()
            .name(format!("bench-build-{t}"))
            .spawn(move || {
                let mut seq = t;
                while seq < batches && !stop.load(Ordering::Relaxed) {
                    let start = seq * BATCH;
                    let end = (start + BATCH).min(n);
                    if tx.blocking_send(build_batch(&plan, start, end)).is_err() {
                        break;
                    }
                    seq += threads;
                }
                if let Some(c) = cpu::this_thread() {
                    builder_cpu_us.fetch_add(c.as_micros() as u64, Ordering::Relaxed);
                }
            })?;
        handles.push(handle);
    }

    let started = Instant::now();
    let (mut done, mut phones, mut in_tx) = (0_u64, 0_u64, 0_u64);
    let (mut wait, mut insert, mut commit, mut parse) = (
        Duration::ZERO,
        Duration::ZERO,
        Duration::ZERO,
        Duration::ZERO,
    );
    let mut next_report = 1;
    let mut tx: Option<Tx> = None;
    let outcome: anyhow::Result<()> = async {
        for seq in 0..batches {
            if started.elapsed() > SEED_TIME_LIMIT {
                println!("  seeding stopped after {:?}: time limit", SEED_TIME_LIMIT);
                break;
            }
            let t = Instant::now();
            let rx = receivers
                .get_mut((seq % threads) as usize)
                .context("no builder")?;
            let batch = match rx.recv().await {
                Some(Ok(b)) => b,
                Some(Err(e)) => anyhow::bail!("building contacts: {e}"),
                None => anyhow::bail!("a builder thread stopped early"),
            };
            wait += t.elapsed();
            parse += batch.parse;
            let t = Instant::now();
            let open = match tx.as_mut() {
                Some(open) => open,
                None => tx.insert(db.begin().await?),
            };
            cards::insert_many(open, CardKind::Contact, &batch.writes)
                .await
                .context("inserting contacts")?;
            insert += t.elapsed();
            in_tx += batch.writes.len() as u64;
            if in_tx >= TX_CONTACTS || seq + 1 == batches {
                let t = Instant::now();
                if let Some(open) = tx.take() {
                    open.commit().await.context("committing contacts")?;
                }
                commit += t.elapsed();
                done += in_tx;
                in_tx = 0;
            }
            phones += batch.phones;
            // Progress counts inserted contacts; they are committed every TX_CONTACTS.
            let inserted = done + in_tx;
            while next_report <= 10 && inserted * 10 >= n * next_report {
                let secs = started.elapsed().as_secs_f64();
                println!(
                    "  {:>3}%  {:>10} contacts  {:>7.1} s  {:>8} contacts/s so far",
                    next_report * 10,
                    thousands(inserted),
                    secs,
                    thousands((inserted as f64 / secs.max(1e-9)) as u64)
                );
                next_report += 1;
            }
        }
        // Stopped early: keep what was inserted.
        if let Some(open) = tx.take() {
            open.commit().await.context("committing contacts")?;
            done += in_tx;
        }
        Ok(())
    }
    .await;
    let secs = started.elapsed().as_secs_f64();
    let cpu1 = (cpu::process(), cpu::threads_named(SQLITE_THREAD));
    stop.store(true, Ordering::Relaxed);
    drop(receivers);
    let joined =
        tokio::task::spawn_blocking(move || handles.into_iter().all(|h| h.join().is_ok())).await;
    if !matches!(joined, Ok(true)) {
        println!("  a builder thread panicked");
    }
    outcome?;
    println!(
        "seeded {} contacts with {} phones in {:.1} s: {} contacts/s",
        thousands(done),
        thousands(phones),
        secs,
        thousands((done as f64 / secs.max(1e-9)) as u64)
    );
    println!(
        "  wall: writer {:.1} s in insert_many + {:.1} s in commit + {:.1} s waiting for built batches; builders spent {:.1} s in phone parsing (phones_of)",
        insert.as_secs_f64(),
        commit.as_secs_f64(),
        wait.as_secs_f64(),
        parse.as_secs_f64()
    );
    if let ((Some(p0), Some(w0)), (Some(p1), Some(w1))) = (cpu0, cpu1) {
        let engine = if db.backend() == Backend::Sqlite {
            "SQLite thread"
        } else {
            "(PostgreSQL server: not counted)"
        };
        let per = |d: Duration| d.as_secs_f64() * 1e6 / done.max(1) as f64;
        let (process, sqlite) = (p1.saturating_sub(p0), w1.saturating_sub(w0));
        let builders = Duration::from_micros(builder_cpu_us.load(Ordering::Relaxed));
        let rest = process.saturating_sub(sqlite).saturating_sub(builders);
        println!(
            "  CPU of this process: {:.1} s ({:.1} µs/contact) = {engine} {:.1} s ({:.1} µs/contact) + builders {:.1} s ({:.1} µs/contact) + writer task and the rest {:.1} s ({:.1} µs/contact); load average now {}",
            process.as_secs_f64(),
            per(process),
            sqlite.as_secs_f64(),
            per(sqlite),
            builders.as_secs_f64(),
            per(builders),
            rest.as_secs_f64(),
            per(rest),
            load_average()
        );
    }
    Ok(Seeded {
        contacts: done,
        phones,
        secs,
    })
}

/// The name sqlx gives the thread that runs each SQLite connection (as Linux truncates it).
const SQLITE_THREAD: &str = "sqlx-sqlite-wor";

/// The 1-minute load average, to show when other work shares the machine.
fn load_average() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .ok()
        .and_then(|s| s.split_whitespace().next().map(str::to_string))
        .unwrap_or_else(|| "?".into())
}

/// A lookup and its right answer: the contact id for an existing number, `None` for an
/// unknown one.
struct Lookup {
    raw: String,
    stored: Option<String>,
    expect: Option<i64>,
}

fn make_lookup(plan: &Plan, seeded: u64, q: u64) -> Lookup {
    let mut r = mix(q ^ 0x1007_c0de);
    if q % 2 == 1 {
        return Lookup {
            raw: numbers::unknown(r),
            stored: None,
            expect: None,
        };
    }
    // A stored phone that is a number (about 3% are not): a few draws always find one.
    for _ in 0..64 {
        let i = r % seeded;
        let j = (r >> 32) % numbers::phone_count(i);
        let s = numbers::stored(i, j);
        if let (Some(national), Some(id)) = (s.national, plan.ids.get(i as usize)) {
            let raw = numbers::respell(&national, r >> 48, &s.raw);
            return Lookup {
                raw,
                stored: Some(s.raw),
                expect: Some(*id),
            };
        }
        r = mix(r);
    }
    Lookup {
        raw: numbers::unknown(r),
        stored: None,
        expect: None,
    }
}

async fn time_lookups(
    ctx: &Ctx,
    plan: &Plan,
    seeded: u64,
    lookups: u64,
    summary: &mut Summary,
) -> anyhow::Result<()> {
    let db = &ctx.db;
    let account = plan.account;
    let all = [Visibility::All; 2];
    let queries: Vec<Lookup> = (0..lookups).map(|q| make_lookup(plan, seeded, q)).collect();
    let mut parse_times = Vec::with_capacity(queries.len());
    let parsed: Vec<Phone> = queries
        .iter()
        .map(|l| {
            let t = Instant::now();
            let p = Phone::parse(&l.raw, &plan.country);
            parse_times.push(t.elapsed());
            p
        })
        .collect();
    summary.parse = Latency::of(&mut parse_times);

    // The hot path: one connection held for the whole loop, as a call router would.
    let mut conn = db.conn().await?;
    for q in 0..WARMUP {
        let l = make_lookup(plan, seeded, lookups + q);
        cards::find_by_phone(
            &mut conn,
            account,
            all,
            &Phone::parse(&l.raw, &plan.country),
        )
        .await?;
    }
    println!(
        "lookups: {} warm-up lookups done (untimed); timing {}",
        WARMUP,
        thousands(lookups)
    );
    let mut samples = Vec::with_capacity(queries.len());
    let mut misses = Vec::new();
    let mut false_hits = Vec::new();
    let mut existing = 0;
    let cpu_before = cpu::process();
    let started = Instant::now();
    for (l, p) in queries.iter().zip(&parsed) {
        if started.elapsed() > LOOKUP_TIME_LIMIT {
            println!(
                "  lookups stopped after {:?}: time limit",
                LOOKUP_TIME_LIMIT
            );
            break;
        }
        let t = Instant::now();
        let found = cards::find_by_phone(&mut conn, account, all, p).await?;
        samples.push(t.elapsed());
        match l.expect {
            Some(id) => {
                existing += 1;
                if !found
                    .iter()
                    .any(|m| m.kind == CardKind::Contact && m.id == id)
                {
                    misses.push((l, found.len()));
                }
            }
            None => {
                if !found.is_empty() {
                    false_hits.push((l, found.len()));
                }
            }
        }
    }
    let wall = started.elapsed().as_secs_f64();
    // CPU per lookup of this process (the caller and the SQLite thread): what a lookup
    // costs, whatever else the machine is doing.
    if let (Some(a), Some(b), Backend::Sqlite) = (cpu_before, cpu::process(), db.backend()) {
        summary.cpu_us_per_lookup =
            Some(b.saturating_sub(a).as_secs_f64() * 1e6 / samples.len().max(1) as f64);
    }
    drop(conn);
    summary.lookups = samples.len();
    summary.lookups_per_sec = samples.len() as f64 / wall.max(1e-9);
    summary.latency = Latency::of(&mut samples);
    summary.existing = existing;
    summary.misses = misses.len();
    summary.false_hits = false_hits.len();
    println!(
        "  store find_by_phone, held connection: {}",
        summary.latency.line()
    );
    println!(
        "  {} lookups/s; {} of {} existing numbers not found; {} unknown numbers matched",
        thousands(summary.lookups_per_sec as u64),
        misses.len(),
        existing,
        false_hits.len()
    );
    for (l, n) in misses.iter().take(MISSES_SHOWN) {
        println!(
            "    MISS  looked up {:?} (stored as {:?}, contact {:?}): {n} match(es)",
            l.raw,
            l.stored.as_deref().unwrap_or(""),
            l.expect
        );
    }
    for (l, n) in false_hits.iter().take(MISSES_SHOWN) {
        println!("    FALSE HIT  unknown {:?}: {n} match(es)", l.raw);
    }

    // For comparison: a connection from the pool per lookup, then the whole use case.
    let m = (lookups.min(SECONDARY_LOOKUPS)) as usize;
    let mut pooled = Vec::with_capacity(m);
    let started = Instant::now();
    for p in parsed.iter().take(m) {
        if started.elapsed() > LOOKUP_TIME_LIMIT {
            break;
        }
        let t = Instant::now();
        let mut c = db.conn().await?;
        cards::find_by_phone(&mut c, account, all, p).await?;
        drop(c);
        pooled.push(t.elapsed());
    }
    summary.pooled = Latency::of(&mut pooled);
    println!(
        "  store find_by_phone, pool connection per lookup: {}",
        summary.pooled.line()
    );
    let mut service = Vec::with_capacity(m);
    let started = Instant::now();
    for l in queries.iter().take(m) {
        if started.elapsed() > LOOKUP_TIME_LIMIT {
            break;
        }
        let t = Instant::now();
        sb_service::cards::find_by_phone(ctx, account, &l.raw).await?;
        service.push(t.elapsed());
    }
    summary.service = Latency::of(&mut service);
    println!(
        "  service find_by_phone (pool, account, parse, query): {}",
        summary.service.line()
    );
    println!(
        "  Phone::parse of the looked-up number: {}",
        summary.parse.line()
    );
    Ok(())
}

/// 1234567 -> "1,234,567".
fn thousands(n: u64) -> String {
    let s = n.to_string();
    let mut out = String::with_capacity(s.len() + s.len() / 3);
    for (i, ch) in s.chars().enumerate() {
        if i > 0 && (s.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(ch);
    }
    out
}

#[cfg(test)]
mod tests {
    #[test]
    fn thousands() {
        assert_eq!(super::thousands(0), "0");
        assert_eq!(super::thousands(999), "999");
        assert_eq!(super::thousands(1_234_567), "1,234,567");
    }
}
