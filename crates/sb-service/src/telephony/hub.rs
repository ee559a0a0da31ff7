//! Real-time call events (V2, P4) for the UI's live pop-up. Behind a trait so a
//! multi-node deployment can fan out through PostgreSQL LISTEN/NOTIFY; this is the
//! in-process implementation (tokio broadcast per account).

use sb_domain::{AccountId, UserId};
use serde::Serialize;
use std::collections::HashMap;
use std::sync::Mutex;
use tokio::sync::broadcast;

#[derive(Debug, Clone, PartialEq, Serialize)]
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
    /// The virtual number called.
    pub our_number: Option<String>,
    pub extension: Option<String>,
    pub message: Option<String>,
    pub at: i64,
    /// Users to notify; empty means everyone in the account.
    #[serde(skip)]
    pub users: Vec<UserId>,
}

pub trait Hub: Send + Sync {
    fn publish(&self, account: AccountId, event: LiveEvent);
    fn subscribe(&self, account: AccountId) -> broadcast::Receiver<LiveEvent>;
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
        self.users.is_empty() || self.users.contains(&user)
    }
}
