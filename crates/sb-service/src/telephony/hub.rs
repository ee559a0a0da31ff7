//! Real-time call events (V2, P4) for the UI's live pop-up, behind a trait: in-process
//! (tokio broadcast per account) on SQLite, where there is one node; on PostgreSQL also
//! fanned out to every node sharing the database through LISTEN/NOTIFY, so a manager
//! sees the pop-up whichever node their browser is connected to and whichever node the
//! PBX's webhook reached.

use sb_domain::report::Chain;
use sb_domain::{AccountId, UserId};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::{broadcast, mpsc, Notify};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LiveEvent {
    /// `ringing`, `answered`, `ended`, or `error` (an integration problem for the user, V9).
    pub kind: String,
    pub call_id: Option<i64>,
    pub direction: Option<String>,
    pub phone: Option<String>,
    /// Who is calling, when known: the card's name and link.
    pub name: Option<String>,
    pub entity_type: Option<String>,
    pub entity_id: Option<i64>,
    pub responsible_user_id: Option<i64>,
    /// The user on the call: the one whose extension rings or answered (an outgoing
    /// call's caller).
    #[serde(default)]
    pub user_id: Option<i64>,
    /// When the call was answered (ms), for a conversation timer that survives a reload.
    #[serde(default)]
    pub answered_at: Option<i64>,
    /// The virtual number called.
    pub our_number: Option<String>,
    pub extension: Option<String>,
    pub message: Option<String>,
    /// For `error`: what went wrong, for programs and translations (`no_extension`, ...).
    #[serde(default)]
    pub code: Option<String>,
    pub at: i64,
    /// The users concerned (whose pop-up shows it); nobody else is sent the caller.
    #[serde(skip)]
    pub users: Vec<UserId>,
}

pub trait Hub: Send + Sync {
    fn publish(&self, account: AccountId, event: LiveEvent);
    fn subscribe(&self, account: AccountId) -> broadcast::Receiver<LiveEvent>;
    /// Tells the other nodes that integrations, extensions or the blacklist changed, so
    /// they drop what their webhooks keep in memory ([`super::routes::Routes`]).
    fn routes_changed(&self) {}
    /// The server is stopping: stop listening to the other nodes.
    fn close(&self) {}
}

#[derive(Default)]
pub struct LocalHub {
    channels: Mutex<HashMap<AccountId, broadcast::Sender<LiveEvent>>>,
}

impl LocalHub {
    fn sender(&self, account: AccountId) -> Option<broadcast::Sender<LiveEvent>> {
        let mut map = self.channels.lock().ok()?;
        Some(
            map.entry(account)
                .or_insert_with(|| broadcast::channel(256).0)
                .clone(),
        )
    }
}

impl Hub for LocalHub {
    fn publish(&self, account: AccountId, event: LiveEvent) {
        if let Some(tx) = self.sender(account) {
            // No subscriber is not an error: nobody has the UI open.
            let _ = tx.send(event);
        }
    }

    fn subscribe(&self, account: AccountId) -> broadcast::Receiver<LiveEvent> {
        match self.sender(account) {
            Some(tx) => tx.subscribe(),
            None => broadcast::channel(1).1,
        }
    }
}

impl LiveEvent {
    pub fn is_for(&self, user: UserId) -> bool {
        self.users.contains(&user)
    }
}

/// The NOTIFY channel of news between nodes.
const CHANNEL: &str = "switchboard_live";

/// How long the sender gathers events into one notification once idle: a notification
/// costs the database a statement and a lock at commit, so events are not sent one by
/// one (measured with `bench webhooks` on PostgreSQL: one notification per event cost
/// ~10 % of the webhook events/s), but a pop-up on another node should not wait long
/// either (`bench live --nodes 2`: with 100 ms here the pop-up's p50 was ~70 ms). At
/// 10 ms a busy node sends at most ~100 notifications a second, each with every event
/// of those 10 ms; with a backlog, full notifications go back to back. Measured on 2
/// cores, 1,000 agents on node B, 50 calls/s to node A: pop-up p99 133.7 ms at 100 ms,
/// 52.1 ms at 25 ms, 22.0 ms at 10 ms; `bench webhooks` flat out on PostgreSQL 2,111
/// and 2,268 events/s at 100 ms, 1,721 and 1,729 at 10 ms (1,624 and 1,780 at 25 ms).
const GATHER: Duration = Duration::from_millis(10);

/// Every node hears its own heartbeat this often; a listening connection that hears
/// nothing for [`SILENCE`] is taken for dead (say, after a failover that left it
/// half-open, which no error would ever reveal) and opened again.
const HEARTBEAT: Duration = Duration::from_secs(30);
const SILENCE: Duration = Duration::from_secs(95);

/// Live events queued for other nodes; beyond this they are dropped (a pop-up is only
/// worth showing now, and this node's own users still get theirs).
const OUTBOX: usize = 4_096;

/// [`LocalHub`] plus fan-out between nodes through PostgreSQL's LISTEN/NOTIFY: this
/// node's subscribers get an event at once; one task sends the events (many per
/// notification) and the news that telephony settings changed to the other nodes, and
/// one listens for theirs.
pub struct SharedHub {
    local: Arc<LocalHub>,
    node: u64,
    outbox: mpsc::Sender<Box<Routed>>,
    news: Arc<News>,
}

/// What the sender is told besides events: a flag, so that it is never lost to a full
/// queue.
#[derive(Default)]
struct News {
    routes_changed: AtomicBool,
    wake: Notify,
    dropped: AtomicU64,
    /// Set (and `stop` notified) when the server stops.
    stopped: AtomicBool,
    stop: Notify,
}

/// A live event on the wire between nodes.
#[derive(Serialize, Deserialize)]
struct Routed {
    account: i64,
    users: Vec<i64>,
    event: LiveEvent,
}

#[derive(Deserialize)]
struct Wire {
    node: u64,
    events: Vec<Routed>,
    /// The sender changed integrations, extensions or the blacklist.
    #[serde(default)]
    routes: bool,
}

impl SharedHub {
    /// Starts listening (so that once this returns, this node hears the others; should
    /// the database not answer, the listening task keeps trying) and the sending task.
    /// `routes` is this node's webhook snapshot, dropped when another node changes what
    /// it holds.
    pub async fn start(db: sb_store::Db, routes: Arc<super::routes::Routes>) -> SharedHub {
        let local = Arc::new(LocalHub::default());
        let node = rand::random::<u64>();
        let first = match sb_store::notify::Listener::connect(&db, CHANNEL).await {
            Ok(l) => l,
            Err(e) => {
                tracing::warn!(error = %Chain(&e), "listening for other nodes' live events");
                None
            }
        };
        let (outbox, rx) = mpsc::channel(OUTBOX);
        let news = Arc::new(News::default());
        tokio::spawn(send_out(db.clone(), node, rx, news.clone()));
        tokio::spawn(listen(db, node, local.clone(), routes, news.clone(), first));
        SharedHub {
            local,
            node,
            outbox,
            news,
        }
    }
}

impl Hub for SharedHub {
    fn publish(&self, account: AccountId, event: LiveEvent) {
        let routed = Routed {
            account: account.0,
            users: event.users.iter().map(|u| u.0).collect(),
            event: event.clone(),
        };
        self.local.publish(account, event);
        if self.outbox.try_send(Box::new(routed)).is_err() {
            let n = self.news.dropped.fetch_add(1, Ordering::Relaxed) + 1;
            if n.is_power_of_two() {
                tracing::warn!(
                    node = self.node,
                    dropped = n,
                    "live events for other nodes dropped: too many queued"
                );
            }
        }
    }

    fn subscribe(&self, account: AccountId) -> broadcast::Receiver<LiveEvent> {
        self.local.subscribe(account)
    }

    fn routes_changed(&self) {
        self.news.routes_changed.store(true, Ordering::Release);
        self.news.wake.notify_one();
    }

    fn close(&self) {
        self.news.stopped.store(true, Ordering::Release);
        self.news.stop.notify_one();
    }
}

/// Sends queued events to the other nodes, as many per notification as fit (see
/// [`GATHER`]), with the news of changed settings, and a heartbeat when idle.
async fn send_out(
    db: sb_store::Db,
    node: u64,
    mut rx: mpsc::Receiver<Box<Routed>>,
    news: Arc<News>,
) {
    let mut next: Option<Box<Routed>> = None;
    loop {
        if next.is_none() {
            tokio::select! {
                got = rx.recv() => match got {
                    Some(r) => next = Some(r),
                    None => return,
                },
                _ = news.wake.notified() => {}
                _ = tokio::time::sleep(HEARTBEAT) => {}
            }
            if news.stopped.load(Ordering::Acquire) {
                return;
            }
            tokio::time::sleep(GATHER).await;
        }
        let routes = news.routes_changed.swap(false, Ordering::AcqRel);
        let mut events: Vec<String> = Vec::new();
        let mut size = 64;
        let mut out = next.take().or_else(|| rx.try_recv().ok());
        while let Some(r) = out {
            match serde_json::to_string(&r) {
                Ok(e) if size + e.len() < sb_store::notify::MAX_PAYLOAD => {
                    size += e.len() + 1;
                    events.push(e);
                }
                Ok(e) if events.is_empty() => {
                    tracing::warn!(
                        bytes = e.len(),
                        "a live event too large for other nodes was dropped"
                    );
                }
                Ok(_) => {
                    next = Some(r);
                    break;
                }
                Err(_) => {}
            }
            out = rx.try_recv().ok();
        }
        // Sent even when empty: that is the heartbeat.
        let payload = format!(
            "{{\"node\":{node},\"routes\":{routes},\"events\":[{}]}}",
            events.join(",")
        );
        if let Err(e) = sb_store::notify::notify(&db, CHANNEL, &payload).await {
            tracing::warn!(error = %Chain(&e), "news could not be sent to other nodes");
            if routes {
                // Try again with the next notification.
                news.routes_changed.store(true, Ordering::Release);
            }
        }
    }
}

/// Hands the other nodes' events to this node's subscribers; connects again (every
/// second, with a warning) while the database cannot be reached, and when the
/// connection has been silent too long. Ends when the hub is closed.
async fn listen(
    db: sb_store::Db,
    node: u64,
    local: Arc<LocalHub>,
    routes: Arc<super::routes::Routes>,
    news: Arc<News>,
    mut first: Option<sb_store::notify::Listener>,
) {
    loop {
        if news.stopped.load(Ordering::Acquire) {
            return;
        }
        let listener = match first.take() {
            Some(l) => Ok(Some(l)),
            None => sb_store::notify::Listener::connect(&db, CHANNEL).await,
        };
        match listener {
            Ok(Some(mut l)) => {
                // News may have been missed while not listening.
                routes.invalidate();
                loop {
                    let got = tokio::select! {
                        got = tokio::time::timeout(SILENCE, l.recv()) => got,
                        _ = news.stop.notified() => return,
                    };
                    match got {
                        Ok(Ok(payload)) => deliver(node, &local, &routes, &payload),
                        Ok(Err(e)) => {
                            tracing::warn!(error = %Chain(&e), "listening for other nodes' live events");
                            break;
                        }
                        Err(_) => {
                            tracing::warn!("no news from the database for {SILENCE:?}, not even this node's heartbeat: listening again");
                            break;
                        }
                    }
                }
            }
            Ok(None) => return,
            Err(e) => tracing::warn!(error = %Chain(&e), "listening for other nodes' live events"),
        }
        tokio::time::sleep(Duration::from_secs(1)).await;
    }
}

fn deliver(node: u64, local: &LocalHub, routes: &super::routes::Routes, payload: &str) {
    let wire: Wire = match serde_json::from_str(payload) {
        Ok(w) => w,
        Err(e) => {
            tracing::warn!(error = %Chain(&e), "an unreadable live event from another node was ignored");
            return;
        }
    };
    if wire.node == node {
        return;
    }
    if wire.routes {
        routes.invalidate();
    }
    for r in wire.events {
        let mut event = r.event;
        event.users = r.users.into_iter().map(UserId).collect();
        local.publish(AccountId(r.account), event);
    }
}
