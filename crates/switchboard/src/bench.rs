//! Benchmarks (`switchboard bench ...`): they print figures; they are never tests.
//!
//! Each benchmark runs on a database of its own (a new SQLite file in a temporary
//! folder, or a new database on the PostgreSQL server named by `--database-url`) and
//! removes it afterwards, so it can be pointed at a server without touching its data.

mod api;
mod cpu;
mod live;
mod lookup;
mod numbers;
mod stats;
mod target;
mod ui;
mod webhooks;

use crate::config::Config;
use clap::Subcommand;

#[derive(Subcommand)]
pub enum BenchCommand {
    /// Leads created through POST /api/v4/leads over loopback HTTP, then timed filtered lists.
    Api {
        /// Leads to create (1 to 1,000,000), 250 per request.
        #[arg(long, default_value_t = 100_000)]
        leads: u64,
        /// Filtered list requests to time (stage + responsible + custom-field range).
        #[arg(long, default_value_t = 2_000)]
        lists: u64,
        /// Concurrent HTTP clients.
        #[arg(long, default_value_t = 4)]
        clients: usize,
    },
    /// Signed NOTIFY_START + NOTIFY_END over loopback HTTP against the app, and against a bare axum endpoint.
    Webhooks {
        /// Contacts to seed (half the callers are known).
        #[arg(long, default_value_t = 100_000)]
        contacts: u64,
        /// Calls to send (two events each).
        #[arg(long, default_value_t = 20_000)]
        calls: u64,
        /// Requests in flight at once.
        #[arg(long, default_value_t = 32)]
        concurrency: usize,
        /// Stop sending after this many seconds (each phase).
        #[arg(long, default_value_t = 120)]
        max_seconds: u64,
        /// Calls per second for the steady-load phase (default: half the rate sustained flat out).
        #[arg(long)]
        rate: Option<f64>,
    },
    /// The web UI's contacts list, a contact's card and its feed, timed for a signed-in user.
    Ui {
        /// Contacts to seed (1 to 1,000,000).
        #[arg(long, default_value_t = 100_000)]
        contacts: u64,
        /// Items in the timed card's feed (1 to 2,000).
        #[arg(long, default_value_t = 200)]
        feed: u64,
        /// Timed requests per page (1 to 20,000).
        #[arg(long, default_value_t = 1_000)]
        requests: u64,
    },
    /// Seed contacts with phones in mixed formats, then time caller-ID lookups.
    Lookup {
        /// How many contacts to seed (1 to 10,000,000).
        #[arg(long, default_value_t = 100_000)]
        contacts: u64,
        /// How many lookups to time (1 to 1,000,000), half of them unknown numbers.
        #[arg(long, default_value_t = 20_000)]
        lookups: u64,
    },
    /// Webhook to pop-up: NOTIFY_INTERNAL to the ringing frame on the agent's /live WebSocket, with N agents connected to server child processes.
    Live {
        /// Agents to seed, each with an extension, a session and an open WebSocket.
        #[arg(long, default_value_t = 1_000)]
        agents: u64,
        /// Calls to send (NOTIFY_START, NOTIFY_INTERNAL, NOTIFY_END each), call k to agent k % agents.
        #[arg(long, default_value_t = 2_000)]
        calls: u64,
        /// Calls started per second.
        #[arg(long, default_value_t = 50.0)]
        rate: f64,
        /// Stop sending after this many seconds.
        #[arg(long, default_value_t = 60)]
        max_seconds: u64,
        /// Server nodes: 1, or 2 on PostgreSQL (webhooks to node A, WebSockets to node B).
        #[arg(long, default_value_t = 1)]
        nodes: u8,
    },
}

pub async fn run(cmd: BenchCommand, config: &Config) -> anyhow::Result<()> {
    match cmd {
        BenchCommand::Api {
            leads,
            lists,
            clients,
        } => api::run(config, leads, lists, clients).await,
        BenchCommand::Webhooks {
            contacts,
            calls,
            concurrency,
            max_seconds,
            rate,
        } => webhooks::run(config, contacts, calls, concurrency, max_seconds, rate).await,
        BenchCommand::Ui {
            contacts,
            feed,
            requests,
        } => ui::run(config, contacts, feed, requests).await,
        BenchCommand::Lookup { contacts, lookups } => lookup::run(config, contacts, lookups).await,
        BenchCommand::Live {
            agents,
            calls,
            rate,
            max_seconds,
            nodes,
        } => {
            let args = live::LiveArgs {
                agents,
                calls,
                rate,
                max_seconds,
                nodes,
            };
            live::run(config, args).await
        }
    }
}
