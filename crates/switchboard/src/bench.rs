//! Benchmarks (`switchboard bench ...`): they print figures; they are never tests.

use crate::config::Config;
use clap::Subcommand;

#[derive(Subcommand)]
pub enum BenchCommand {
    /// Seed contacts with phones in mixed formats, then time caller-ID lookups.
    Lookup {
        #[arg(long, default_value_t = 100_000)]
        contacts: u64,
        #[arg(long, default_value_t = 20_000)]
        lookups: u64,
    },
}

pub async fn run(cmd: BenchCommand, config: &Config) -> anyhow::Result<()> {
    match cmd {
        BenchCommand::Lookup { contacts, lookups } => lookup::run(config, contacts, lookups).await,
    }
}

mod lookup {
    use crate::config::Config;

    pub async fn run(_config: &Config, _contacts: u64, _lookups: u64) -> anyhow::Result<()> {
        anyhow::bail!("not built yet")
    }
}
