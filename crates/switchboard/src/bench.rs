//! Benchmarks (`switchboard bench ...`): they print figures; they are never tests.
//!
//! Each benchmark runs on a database of its own (a new SQLite file in a temporary
//! folder, or a new database on the PostgreSQL server named by `--database-url`) and
//! removes it afterwards, so it can be pointed at a server without touching its data.

mod lookup;
mod numbers;
mod stats;
mod target;

use crate::config::Config;
use clap::Subcommand;

#[derive(Subcommand)]
pub enum BenchCommand {
    /// Seed contacts with phones in mixed formats, then time caller-ID lookups.
    Lookup {
        /// How many contacts to seed (1 to 10,000,000).
        #[arg(long, default_value_t = 100_000)]
        contacts: u64,
        /// How many lookups to time (1 to 1,000,000), half of them unknown numbers.
        #[arg(long, default_value_t = 20_000)]
        lookups: u64,
    },
}

pub async fn run(cmd: BenchCommand, config: &Config) -> anyhow::Result<()> {
    match cmd {
        BenchCommand::Lookup { contacts, lookups } => lookup::run(config, contacts, lookups).await,
    }
}
