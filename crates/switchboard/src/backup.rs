//! `switchboard backup` and `switchboard restore`: one archive file holding a consistent
//! copy of the database and the call recordings, taken while the server runs, and the
//! way back from it to a stopped instance.
//!
//! The archive is a plain tar (any tar can list or unpack it by hand in an emergency):
//!
//! - `database.sqlite`: a snapshot made with SQLite's online backup API, or
//!   `database.pgdump`: `pg_dump --format=custom` of a PostgreSQL database;
//! - `recordings/{account}/{call}.{ext}`: the recordings of a local `recordings_dir`
//!   (recordings in S3 are listed in the manifest, not copied: the bucket has its own
//!   versioning and replication, and copying it through one machine would not scale);
//! - `manifest.json`, last: format version, backend, schema version, when, the row count
//!   of every table and the size and SHA-256 of every other entry. A restore checks all
//!   of it before it replaces anything.
//!
//! A backup only reads: it opens the database file (or runs pg_dump) and leases no node
//! number. The snapshot is taken first and the recordings copied after it, so every
//! recording the snapshot refers to is in the archive (a recording is stored before its
//! call row names it); recordings newer than the snapshot may be there too.

use anyhow::Context as _;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;
use std::fs::File;
use std::io::{BufWriter, Read, Write};
use std::path::{Component, Path, PathBuf};
use std::time::Instant;

use crate::config::Config;

/// The archive layout this build writes and reads.
pub const FORMAT: u32 = 1;
const MANIFEST: &str = "manifest.json";
const SQLITE_ENTRY: &str = "database.sqlite";
const PG_ENTRY: &str = "database.pgdump";
const RECORDINGS: &str = "recordings/";
/// The marker object `Recordings::check` writes; not a recording.
const CHECK_MARKER: &str = ".switchboard-check";

/// A refusal: the archive is damaged or does not fit, or the target already holds data.
/// Nothing was written; `main` exits with code 2 for it.
#[derive(Debug)]
pub struct Refused(pub String);

impl std::fmt::Display for Refused {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "refused: {} (nothing was restored)", self.0)
    }
}

impl std::error::Error for Refused {}

fn refuse(msg: impl Into<String>) -> anyhow::Error {
    anyhow::Error::new(Refused(msg.into()))
}

/// What the archive holds, written last into it.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Manifest {
    pub format: u32,
    /// `sqlite` or `postgres`.
    pub backend: String,
    /// The highest migration applied to the database copied.
    pub schema_version: i64,
    pub created_at_ms: i64,
    /// The same moment, RFC 3339, for a person reading the file.
    pub created_at: String,
    pub switchboard_version: String,
    /// Rows of every table in the copy.
    pub tables: BTreeMap<String, i64>,
    pub database: Entry,
    pub recordings: RecordingsPart,
}

/// One file of the archive.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Entry {
    pub path: String,
    pub size: u64,
    pub sha256: String,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct RecordingsPart {
    /// Where they were kept ("directory data/recordings", "S3 bucket calls").
    pub place: String,
    /// Copied into the archive (a local directory) or only listed (S3).
    pub copied: bool,
    /// The recordings copied, path `recordings/{key}`.
    pub files: Vec<Entry>,
    /// S3 only: the keys the database refers to, which stay in the bucket.
    pub listed: Vec<String>,
}

fn now_ms() -> i64 {
    chrono::Utc::now().timestamp_millis()
}

fn human(bytes: u64) -> String {
    if bytes >= 10 << 20 {
        format!("{} MiB", bytes >> 20)
    } else if bytes >= 10 << 10 {
        format!("{} KiB", bytes >> 10)
    } else {
        format!("{bytes} B")
    }
}

/// A reader that hashes and counts what passes through it.
struct Hashing<R> {
    inner: R,
    hash: Sha256,
    len: u64,
}

impl<R: Read> Hashing<R> {
    fn new(inner: R) -> Self {
        Hashing {
            inner,
            hash: Sha256::new(),
            len: 0,
        }
    }
    fn finish(self) -> (u64, String) {
        (self.len, hex(&self.hash.finalize()))
    }
}

impl<R: Read> Read for Hashing<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.hash.update(&buf[..n]);
        self.len += n as u64;
        Ok(n)
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Adds the file at `src` to the archive as `name`, returning its size and hash. Fails
/// if the file changed size while it was read.
fn append_file<W: Write>(
    tar: &mut tar::Builder<W>,
    name: &str,
    src: &Path,
) -> anyhow::Result<Entry> {
    let file = File::open(src).with_context(|| format!("opening {}", src.display()))?;
    let size = file.metadata()?.len();
    let mut header = tar::Header::new_gnu();
    header.set_size(size);
    header.set_mode(0o600);
    header.set_mtime(u64::try_from(now_ms() / 1000).unwrap_or(0));
    header.set_entry_type(tar::EntryType::Regular);
    let mut reader = Hashing::new(file.take(size));
    tar.append_data(&mut header, name, &mut reader)
        .with_context(|| format!("writing {name} into the archive"))?;
    let (len, sha256) = reader.finish();
    if len != size {
        anyhow::bail!("{} changed while it was copied", src.display());
    }
    Ok(Entry {
        path: name.to_string(),
        size,
        sha256,
    })
}

/// Every file under `dir`, as `/`-separated paths relative to it, sorted.
fn walk(dir: &Path) -> anyhow::Result<Vec<String>> {
    let mut out = Vec::new();
    if !dir.exists() {
        return Ok(out);
    }
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).with_context(|| format!("reading {}", d.display()))? {
            let e = e?;
            let kind = e.file_type()?;
            let p = e.path();
            if kind.is_dir() {
                stack.push(p);
            } else if kind.is_file() {
                // A recording still being written (renamed into place once complete):
                // not yet named by any call, and gone by the time it would be copied.
                let name = e.file_name().to_string_lossy().into_owned();
                if name.starts_with('.') && name.ends_with(".tmp") {
                    continue;
                }
                let rel = p.strip_prefix(dir)?;
                let parts: Vec<String> = rel
                    .components()
                    .map(|c| c.as_os_str().to_string_lossy().into_owned())
                    .collect();
                out.push(parts.join("/"));
            }
        }
    }
    out.retain(|k| k != CHECK_MARKER);
    out.sort();
    Ok(out)
}

/// Writes the archive through a `.partial` file beside `to`, renamed when complete, so a
/// failed or interrupted backup never looks like a good one.
struct Output {
    partial: PathBuf,
    to: PathBuf,
}

impl Output {
    fn new(to: &Path) -> anyhow::Result<(Output, tar::Builder<BufWriter<File>>)> {
        let mut name = to.file_name().unwrap_or_default().to_os_string();
        name.push(".partial");
        let partial = to.with_file_name(name);
        let file =
            File::create(&partial).with_context(|| format!("creating {}", partial.display()))?;
        Ok((
            Output {
                partial,
                to: to.to_path_buf(),
            },
            tar::Builder::new(BufWriter::new(file)),
        ))
    }

    fn finish(self, tar: tar::Builder<BufWriter<File>>) -> anyhow::Result<u64> {
        let file = tar
            .into_inner()?
            .into_inner()
            .map_err(|e| anyhow::anyhow!("writing {}: {}", self.partial.display(), e.error()))?;
        file.sync_all()?;
        let size = file.metadata()?.len();
        std::fs::rename(&self.partial, &self.to)
            .with_context(|| format!("renaming the archive to {}", self.to.display()))?;
        Ok(size)
    }
}

impl Drop for Output {
    fn drop(&mut self) {
        // Gone already after a successful rename.
        let _ = std::fs::remove_file(&self.partial);
    }
}

fn append_manifest<W: Write>(tar: &mut tar::Builder<W>, m: &Manifest) -> anyhow::Result<()> {
    let body = serde_json::to_vec_pretty(m)?;
    let mut header = tar::Header::new_gnu();
    header.set_size(body.len() as u64);
    header.set_mode(0o600);
    header.set_mtime(u64::try_from(m.created_at_ms / 1000).unwrap_or(0));
    header.set_entry_type(tar::EntryType::Regular);
    tar.append_data(&mut header, MANIFEST, body.as_slice())?;
    Ok(())
}

/// Copies the local recordings into the archive, reporting progress every 500 files.
fn append_recordings<W: Write>(
    tar: &mut tar::Builder<W>,
    dir: &Path,
    archive: &Path,
) -> anyhow::Result<Vec<Entry>> {
    // An archive written into the recordings directory must not copy itself.
    let own = archive.canonicalize().ok();
    let mut keys = walk(dir)?;
    keys.retain(|k| own.is_none() || dir.join(k).canonicalize().ok() != own);
    eprintln!("recordings: {} files in {}", keys.len(), dir.display());
    let mut out = Vec::with_capacity(keys.len());
    let mut bytes = 0;
    for (i, key) in keys.iter().enumerate() {
        let e = append_file(tar, &format!("{RECORDINGS}{key}"), &dir.join(key))?;
        bytes += e.size;
        out.push(e);
        if (i + 1) % 500 == 0 {
            eprintln!("recordings: {}/{} ({})", i + 1, keys.len(), human(bytes));
        }
    }
    eprintln!("recordings: {} files, {}", out.len(), human(bytes));
    Ok(out)
}

/// The recordings in `recordings_dir`, copied into the archive.
fn recordings_part_local<W: Write>(
    tar: &mut tar::Builder<W>,
    config: &Config,
    archive: &Path,
) -> anyhow::Result<RecordingsPart> {
    let dir = Path::new(&config.recordings_dir);
    Ok(RecordingsPart {
        place: format!("directory {}", dir.display()),
        copied: true,
        files: append_recordings(tar, dir, archive)?,
        listed: Vec::new(),
    })
}

fn recordings_part_s3(config: &Config, listed: Vec<String>) -> RecordingsPart {
    let place = config
        .recordings_s3
        .as_ref()
        .map(|s| format!("S3 bucket {}", s.bucket))
        .unwrap_or_default();
    eprintln!(
        "note: recordings are kept in the {place}; the archive lists the {} the database refers to but does not copy them (back the bucket up with its own tools)",
        listed.len()
    );
    RecordingsPart {
        place,
        copied: false,
        files: Vec::new(),
        listed: listed
            .iter()
            .map(|p| sb_service::recordings::key_of(p))
            .collect(),
    }
}

/// `switchboard backup --to FILE`.
pub async fn backup(config: &Config, to: &Path) -> anyhow::Result<()> {
    let started = Instant::now();
    let size = if let Some(db) = sb_store::backup::sqlite_path(&config.database_url) {
        let config = config.clone();
        let to = to.to_path_buf();
        tokio::task::spawn_blocking(move || backup_sqlite(&config, Path::new(&db), &to)).await??
    } else if config.database_url.starts_with("postgres") {
        backup_postgres(config, to).await?
    } else {
        anyhow::bail!("this database cannot be backed up (a SQLite database in memory?)");
    };
    eprintln!(
        "backup written to {} ({}) in {:.1} s",
        to.display(),
        human(size),
        started.elapsed().as_secs_f64()
    );
    Ok(())
}

fn backup_sqlite(config: &Config, db: &Path, to: &Path) -> anyhow::Result<u64> {
    if !db.exists() {
        anyhow::bail!("the database {} does not exist", db.display());
    }
    let dir = to
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let work = tempfile::tempdir_in(dir)
        .with_context(|| format!("creating a temporary folder in {}", dir.display()))?;
    let snapshot = work.path().join(SQLITE_ENTRY);
    let t = Instant::now();
    eprintln!("database: snapshot of {}", db.display());
    sb_store::backup::sqlite_snapshot(db, &snapshot)
        .with_context(|| format!("snapshot of {}", db.display()))?;
    let created_at_ms = now_ms();
    let tables = sb_store::backup::sqlite_table_counts(&snapshot)?;
    let schema_version = sb_store::backup::sqlite_schema_version(&snapshot)?;
    eprintln!(
        "database: {} tables, {} rows, {} in {:.2} s",
        tables.len(),
        tables.values().sum::<i64>(),
        human(std::fs::metadata(&snapshot)?.len()),
        t.elapsed().as_secs_f64()
    );
    let (out, mut tar) = Output::new(to)?;
    let database = append_file(&mut tar, SQLITE_ENTRY, &snapshot)?;
    let recordings = if config.recordings_s3.is_some() {
        recordings_part_s3(config, sb_store::backup::sqlite_recording_paths(&snapshot)?)
    } else {
        recordings_part_local(&mut tar, config, &out.partial)?
    };
    append_manifest(
        &mut tar,
        &Manifest {
            format: FORMAT,
            backend: "sqlite".into(),
            schema_version,
            created_at_ms,
            created_at: rfc3339(created_at_ms),
            switchboard_version: env!("CARGO_PKG_VERSION").into(),
            tables,
            database,
            recordings,
        },
    )?;
    out.finish(tar)
}

fn rfc3339(ms: i64) -> String {
    chrono::DateTime::from_timestamp_millis(ms)
        .map(|t| t.to_rfc3339())
        .unwrap_or_default()
}

/// pg_dump or pg_restore from PATH, with a message saying what to install if missing.
fn pg_tool(name: &str) -> anyhow::Result<std::process::Command> {
    let found = std::env::var_os("PATH")
        .map(|p| std::env::split_paths(&p).any(|d| d.join(name).is_file()))
        .unwrap_or(false);
    if !found {
        anyhow::bail!(
            "{name} was not found on PATH: install PostgreSQL's client tools (Debian: apt install postgresql-client), of the server's major version or newer"
        );
    }
    Ok(std::process::Command::new(name))
}

/// Runs a PostgreSQL tool to completion, its stderr passed through.
async fn run_tool(mut cmd: std::process::Command, what: &str) -> anyhow::Result<()> {
    let status = tokio::task::spawn_blocking(move || cmd.status()).await??;
    if !status.success() {
        anyhow::bail!("{what} failed ({status})");
    }
    Ok(())
}

async fn backup_postgres(config: &Config, to: &Path) -> anyhow::Result<u64> {
    let mut dump = pg_tool("pg_dump")?;
    let db = sb_store::Db::connect(&config.database_url).await?;
    // pg_dump reads inside the snapshot this transaction exported, so the row counts
    // taken here are those of the dump, however the server writes meanwhile.
    let snap = sb_store::backup::PgSnapshot::export(&db).await?;
    let created_at_ms = now_ms();
    eprintln!(
        "database: {} tables, {} rows (PostgreSQL snapshot {})",
        snap.tables.len(),
        snap.tables.values().sum::<i64>(),
        snap.id
    );
    let dir = to
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let work = tempfile::tempdir_in(dir)
        .with_context(|| format!("creating a temporary folder in {}", dir.display()))?;
    let file = work.path().join(PG_ENTRY);
    dump.arg("--format=custom")
        .arg("--no-owner")
        .arg("--no-privileges")
        .arg(format!("--snapshot={}", snap.id))
        .arg(format!("--file={}", file.display()))
        .arg(format!("--dbname={}", config.database_url));
    eprintln!("database: pg_dump --format=custom");
    let dumped = run_tool(dump, "pg_dump").await;
    let (tables, schema_version) = (snap.tables.clone(), snap.schema_version);
    snap.release().await;
    db.close().await;
    dumped?;
    let config = config.clone();
    let to = to.to_path_buf();
    tokio::task::spawn_blocking(move || {
        let (out, mut tar) = Output::new(&to)?;
        let database = append_file(&mut tar, PG_ENTRY, &file)?;
        let recordings = if config.recordings_s3.is_some() {
            // The keys are in the dump; restore lists them from the restored database.
            recordings_part_s3(&config, Vec::new())
        } else {
            recordings_part_local(&mut tar, &config, &out.partial)?
        };
        append_manifest(
            &mut tar,
            &Manifest {
                format: FORMAT,
                backend: "postgres".into(),
                schema_version,
                created_at_ms,
                created_at: rfc3339(created_at_ms),
                switchboard_version: env!("CARGO_PKG_VERSION").into(),
                tables,
                database,
                recordings,
            },
        )?;
        drop(work);
        out.finish(tar)
    })
    .await?
}

/// An archive unpacked into a staging folder and checked against its manifest.
struct Staged {
    manifest: Manifest,
    /// Holds the unpacked entries; removed when dropped.
    dir: tempfile::TempDir,
}

/// A path inside the archive that names a plain relative file (no `..`, no root).
fn safe(name: &Path) -> bool {
    name.components().all(|c| matches!(c, Component::Normal(_)))
}

/// Unpacks the archive into a new folder inside `near` and checks every entry's size
/// and hash against the manifest. Refuses, naming the entry, on any mismatch.
fn unpack(from: &Path, near: &Path) -> anyhow::Result<Staged> {
    let file = File::open(from).with_context(|| format!("opening {}", from.display()))?;
    std::fs::create_dir_all(near).with_context(|| format!("creating {}", near.display()))?;
    let dir = tempfile::Builder::new()
        .prefix(".switchboard-restore-")
        .tempdir_in(near)
        .with_context(|| format!("creating a staging folder in {}", near.display()))?;
    let mut archive = tar::Archive::new(std::io::BufReader::new(file));
    let mut got: BTreeMap<String, (u64, String)> = BTreeMap::new();
    let mut manifest: Option<Vec<u8>> = None;
    let damaged =
        |e: std::io::Error| refuse(format!("{} is not a readable archive: {e}", from.display()));
    for entry in archive.entries().map_err(damaged)? {
        let mut entry = entry.map_err(damaged)?;
        let name = entry.path().map_err(damaged)?.into_owned();
        let text = name.to_string_lossy().into_owned();
        if !safe(&name) {
            return Err(refuse(format!(
                "the archive has an entry outside it: {text}"
            )));
        }
        if text == MANIFEST {
            let mut body = Vec::new();
            entry.read_to_end(&mut body).map_err(damaged)?;
            manifest = Some(body);
            continue;
        }
        if text != SQLITE_ENTRY && text != PG_ENTRY && !text.starts_with(RECORDINGS) {
            return Err(refuse(format!(
                "the archive has an unexpected entry: {text}"
            )));
        }
        let dest = dir.path().join(&name);
        if let Some(parent) = dest.parent() {
            std::fs::create_dir_all(parent)?;
        }
        let mut out = BufWriter::new(File::create(&dest)?);
        let mut reader = Hashing::new(&mut entry);
        std::io::copy(&mut reader, &mut out).map_err(damaged)?;
        out.flush()?;
        got.insert(text, reader.finish());
    }
    let manifest = manifest.ok_or_else(|| {
        refuse(format!(
            "{} has no {MANIFEST}: not a Switchboard backup, or cut short",
            from.display()
        ))
    })?;
    let manifest: Manifest = serde_json::from_slice(&manifest)
        .map_err(|e| refuse(format!("its {MANIFEST} is damaged: {e}")))?;
    if manifest.format != FORMAT {
        return Err(refuse(format!(
            "archive format {} is not the one this build reads ({FORMAT})",
            manifest.format
        )));
    }
    let expected: Vec<&Entry> = std::iter::once(&manifest.database)
        .chain(&manifest.recordings.files)
        .collect();
    for e in &expected {
        match got.get(&e.path) {
            None => return Err(refuse(format!("{} is missing from the archive", e.path))),
            Some((size, _)) if *size != e.size => {
                return Err(refuse(format!(
                    "{} is damaged: {size} bytes where the manifest says {}",
                    e.path, e.size
                )))
            }
            Some((_, sha)) if *sha != e.sha256 => {
                return Err(refuse(format!(
                    "{} is damaged: its SHA-256 checksum does not match the manifest",
                    e.path
                )))
            }
            Some(_) => {}
        }
    }
    if let Some(extra) = got.keys().find(|k| !expected.iter().any(|e| &e.path == *k)) {
        return Err(refuse(format!(
            "{extra} is in the archive but not in its manifest"
        )));
    }
    Ok(Staged { manifest, dir })
}

fn latest_schema() -> i64 {
    sb_store::MIGRATIONS.last().map(|m| m.version).unwrap_or(0)
}

/// Compares table row counts with the manifest's; the first difference, if any.
fn count_mismatch(found: &BTreeMap<String, i64>, manifest: &Manifest) -> Option<String> {
    for (t, n) in &manifest.tables {
        let got = found.get(t).copied();
        if got != Some(*n) {
            return Some(match got {
                Some(g) => format!("table {t} has {g} rows where the manifest says {n}"),
                None => format!("table {t} is missing"),
            });
        }
    }
    found
        .keys()
        .find(|t| !manifest.tables.contains_key(*t))
        .map(|t| format!("table {t} is not in the manifest"))
}

/// `switchboard restore --from FILE [--force]`.
pub async fn restore(config: &Config, from: &Path, force: bool) -> anyhow::Result<()> {
    let started = Instant::now();
    if let Some(db) = sb_store::backup::sqlite_path(&config.database_url) {
        let config = config.clone();
        let from = from.to_path_buf();
        tokio::task::spawn_blocking(move || restore_sqlite(&config, &from, Path::new(&db), force))
            .await??;
    } else if config.database_url.starts_with("postgres") {
        restore_postgres(config, from, force).await?;
    } else {
        anyhow::bail!("this database cannot be restored into (a SQLite database in memory?)");
    }
    eprintln!("restored in {:.1} s", started.elapsed().as_secs_f64());
    Ok(())
}

/// Whether the recordings directory already holds recordings.
fn recordings_present(config: &Config) -> anyhow::Result<bool> {
    if config.recordings_s3.is_some() {
        return Ok(false);
    }
    Ok(!walk(Path::new(&config.recordings_dir))?.is_empty())
}

fn check_backend(manifest: &Manifest, want: &str) -> anyhow::Result<()> {
    if manifest.backend != want {
        return Err(refuse(format!(
            "the archive holds a {} database and the target is {want}",
            manifest.backend
        )));
    }
    if manifest.schema_version > latest_schema() {
        return Err(refuse(format!(
            "the archive's schema (migration {}) is newer than this build knows ({}): restore with the Switchboard that made it, {}",
            manifest.schema_version,
            latest_schema(),
            manifest.switchboard_version
        )));
    }
    Ok(())
}

fn restore_sqlite(config: &Config, from: &Path, db: &Path, force: bool) -> anyhow::Result<()> {
    let live = sb_store::backup::sqlite_live_leases(db, now_ms())?;
    if live > 0 {
        return Err(refuse(format!(
            "{live} Switchboard process(es) hold a lease on {}: stop the server first (a process that died frees its lease after a minute)",
            db.display()
        )));
    }
    if !force && (sb_store::backup::sqlite_has_data(db)? || recordings_present(config)?) {
        return Err(refuse(format!(
            "the target already has data ({} or {}); pass --force to replace it",
            db.display(),
            config.recordings_dir
        )));
    }
    let near = db
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    eprintln!("reading {}", from.display());
    let staged = unpack(from, near)?;
    let m = &staged.manifest;
    check_backend(m, "sqlite")?;
    let copy = staged.dir.path().join(SQLITE_ENTRY);
    if let Some(problem) = sb_store::backup::sqlite_integrity(&copy)? {
        return Err(refuse(format!(
            "{SQLITE_ENTRY} fails SQLite's integrity check: {problem}"
        )));
    }
    if let Some(problem) = count_mismatch(&sb_store::backup::sqlite_table_counts(&copy)?, m) {
        return Err(refuse(format!("{SQLITE_ENTRY}: {problem}")));
    }
    eprintln!(
        "archive checked: backup of {} with {} rows, {} recordings",
        m.created_at,
        m.tables.values().sum::<i64>(),
        m.recordings.files.len()
    );
    // Recordings first: a database whose recordings are missing would show broken
    // players, recordings without their database are only unused files.
    let moved = place_recordings(config, &staged)?;
    // The database in one rename; an old log beside it would be replayed onto the new
    // file, so it goes first.
    for suffix in ["-wal", "-shm", "-journal"] {
        let mut p = db.as_os_str().to_os_string();
        p.push(suffix);
        let p = PathBuf::from(p);
        if p.exists() {
            std::fs::remove_file(&p).with_context(|| format!("removing {}", p.display()))?;
        }
    }
    std::fs::rename(&copy, db)
        .with_context(|| format!("moving the database to {}", db.display()))?;
    if let Some(problem) = count_mismatch(&sb_store::backup::sqlite_table_counts(db)?, m) {
        anyhow::bail!("after the restore, {}: {problem}", db.display());
    }
    eprintln!(
        "restored {} ({} tables) and {moved} recordings into {}",
        db.display(),
        m.tables.len(),
        config.recordings_dir
    );
    note_s3(m);
    Ok(())
}

fn note_s3(m: &Manifest) {
    if !m.recordings.copied {
        eprintln!(
            "note: the recordings were in the {} and are not in the archive; {} are referred to (see {MANIFEST} in the archive)",
            m.recordings.place,
            m.recordings.listed.len()
        );
    }
}

/// Moves the staged recordings into `recordings_dir`; returns how many.
fn place_recordings(config: &Config, staged: &Staged) -> anyhow::Result<usize> {
    let files = &staged.manifest.recordings.files;
    if files.is_empty() {
        return Ok(0);
    }
    if config.recordings_s3.is_some() {
        eprintln!(
            "note: the archive holds {} recordings from a local directory, and recordings are now kept in S3: they were left out; copy them with `tar -x recordings/` into the bucket",
            files.len()
        );
        return Ok(0);
    }
    let dir = Path::new(&config.recordings_dir);
    for (i, e) in files.iter().enumerate() {
        let key = e.path.trim_start_matches(RECORDINGS);
        let dest = dir.join(key);
        if let Some(parent) = dest.parent() {
            std::fs::create_dir_all(parent)
                .with_context(|| format!("creating {}", parent.display()))?;
        }
        let src = staged.dir.path().join(&e.path);
        // A rename when the staging folder is on the same disk; a copy otherwise.
        if std::fs::rename(&src, &dest).is_err() {
            std::fs::copy(&src, &dest)
                .with_context(|| format!("copying the recording to {}", dest.display()))?;
        }
        if (i + 1) % 500 == 0 {
            eprintln!("recordings: {}/{}", i + 1, files.len());
        }
    }
    Ok(files.len())
}

async fn restore_postgres(config: &Config, from: &Path, force: bool) -> anyhow::Result<()> {
    let mut cmd = pg_tool("pg_restore")?;
    let db = sb_store::Db::connect(&config.database_url).await?;
    let has_data = sb_store::backup::pg_has_data(&db).await?;
    if has_data && !force {
        db.close().await;
        return Err(refuse(
            "the target database already has tables; give an empty database, or pass --force to replace its tables",
        ));
    }
    if !force && recordings_present(config)? {
        db.close().await;
        return Err(refuse(format!(
            "{} already holds recordings; pass --force to add to them",
            config.recordings_dir
        )));
    }
    let near = std::env::temp_dir();
    let from_owned = from.to_path_buf();
    eprintln!("reading {}", from.display());
    let staged = tokio::task::spawn_blocking(move || unpack(&from_owned, &near)).await??;
    check_backend(&staged.manifest, "postgres")?;
    let dump = staged.dir.path().join(PG_ENTRY);
    // One transaction: a restore that fails part way leaves the database as it was.
    cmd.arg("--single-transaction")
        .arg("--exit-on-error")
        .arg("--no-owner")
        .arg("--no-privileges");
    if has_data {
        cmd.arg("--clean").arg("--if-exists");
    }
    cmd.arg(format!("--dbname={}", config.database_url))
        .arg(&dump);
    eprintln!("database: pg_restore");
    run_tool(cmd, "pg_restore").await?;
    let found = sb_store::backup::pg_table_counts(&db).await?;
    db.close().await;
    if let Some(problem) = count_mismatch(&found, &staged.manifest) {
        anyhow::bail!("after the restore: {problem}");
    }
    let config2 = config.clone();
    let moved = tokio::task::spawn_blocking(move || {
        place_recordings(&config2, &staged).map(|n| (n, staged))
    })
    .await??;
    eprintln!(
        "restored {} tables and {} recordings into {}",
        moved.1.manifest.tables.len(),
        moved.0,
        config.recordings_dir
    );
    note_s3(&moved.1.manifest);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::safe;
    use std::path::Path;

    #[test]
    fn entries_outside_the_archive_are_not_safe() {
        assert!(safe(Path::new("recordings/1/2.mp3")));
        assert!(!safe(Path::new("../etc/passwd")));
        assert!(!safe(Path::new("/etc/passwd")));
        assert!(!safe(Path::new("recordings/../../x")));
    }
}
