//! `switchboard`: serve the CRM, run the demo, migrate, benchmark, simulate a PBX.

/// mimalloc instead of the system allocator: under webhook load glibc's malloc and the
/// munmap calls its trimming made (a TLB flush on every core each) took a fifth of the CPU.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

use clap::{Parser, Subcommand};
use std::path::PathBuf;
use std::process::ExitCode;
use switchboard::config::{Config, Overrides};
use switchboard::App;

#[derive(Parser)]
#[command(
    name = "switchboard",
    version,
    about = "Self-hosted CRM whose heart is telephony"
)]
struct Cli {
    /// Configuration file (default: ./switchboard.toml when present).
    #[arg(long, global = true, env = "SWITCHBOARD_CONFIG")]
    config: Option<PathBuf>,
    /// Database URL: sqlite://path?mode=rwc or postgres://user@host/db.
    #[arg(long, global = true)]
    database_url: Option<String>,
    /// Address to listen on, e.g. 127.0.0.1:8080.
    #[arg(long, global = true)]
    bind: Option<String>,
    /// Log format: pretty or json.
    #[arg(long, global = true)]
    log_format: Option<String>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run the CRM server.
    Serve,
    /// Everything in one process: the CRM, a simulated Zadarma PBX, demo data and a steady flow of calls.
    Demo {
        /// Average seconds between simulated calls.
        #[arg(long, default_value_t = 10.0)]
        every: f64,
        /// Stop the call flow after this many calls.
        #[arg(long, default_value_t = 5000)]
        max_calls: u64,
    },
    /// Drive a running CRM with the built-in PBX simulator.
    Simulate(switchboard::simulate::SimulateArgs),
    /// Apply database migrations and exit.
    Migrate,
    /// Exit 0 when a running server answers /health (for container health checks).
    Healthcheck {
        /// Base URL of the server (default: http://<bind>).
        #[arg(long)]
        url: Option<String>,
    },
    /// Print the default configuration file.
    ConfigDefault,
    /// Manage API tokens.
    Token {
        #[command(subcommand)]
        command: TokenCommand,
    },
    /// Take a consistent backup while the server runs: the database and the recordings in one archive.
    Backup {
        /// The archive to write (written beside as FILE.partial, renamed when complete).
        #[arg(long)]
        to: PathBuf,
    },
    /// Bring a stopped instance back from a backup archive, into the configured database and recordings_dir.
    Restore {
        /// The archive `switchboard backup` wrote.
        #[arg(long)]
        from: PathBuf,
        /// Replace a database (and add to a recordings directory) that already holds data.
        #[arg(long)]
        force: bool,
    },
    /// Benchmarks that print figures.
    Bench {
        #[command(subcommand)]
        command: switchboard::bench::BenchCommand,
    },
}

#[derive(Subcommand)]
enum TokenCommand {
    /// Create a long-lived API token for a user; the token is printed on the last line.
    Create {
        /// The user's e-mail.
        #[arg(long)]
        user: String,
        /// A name to recognise the token by.
        #[arg(long, default_value = "CLI token")]
        name: String,
    },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let overrides = Overrides {
        database_url: cli.database_url.clone(),
        bind: cli.bind.clone(),
        log_format: cli.log_format.clone(),
        public_url: None,
    };
    let (config, warnings) = match Config::load(cli.config.as_deref(), overrides) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("error: {e:#}");
            return ExitCode::from(2);
        }
    };
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(r) => r,
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(run(cli.command, config, warnings)) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e:#}");
            // A refused restore wrote nothing; tell it apart from one that failed.
            if e.downcast_ref::<switchboard::backup::Refused>().is_some() {
                ExitCode::from(2)
            } else {
                ExitCode::FAILURE
            }
        }
    }
}

async fn run(command: Command, config: Config, warnings: Vec<String>) -> anyhow::Result<ExitCode> {
    let quiet = matches!(
        command,
        Command::ConfigDefault
            | Command::Token { .. }
            | Command::Healthcheck { .. }
            | Command::Backup { .. }
            | Command::Restore { .. }
    );
    if !quiet {
        // Benchmarks print figures; per-request log lines would only measure stderr.
        let level = if matches!(command, Command::Bench { .. }) {
            "warn"
        } else {
            config.log_level.as_str()
        };
        switchboard::telemetry::init(&config.log_format, level);
    }
    for w in &warnings {
        tracing::warn!("{w}");
    }
    match command {
        Command::ConfigDefault => {
            print!("{}", Config::default_toml());
        }
        Command::Demo { every, max_calls } => {
            switchboard::demo::run(
                config,
                switchboard::demo::DemoOptions {
                    every_s: every,
                    max_calls,
                },
            )
            .await?;
        }
        Command::Simulate(args) => {
            switchboard::simulate::run(args).await?;
        }
        Command::Migrate => {
            let db = sb_store::Db::connect(&config.database_url).await?;
            db.migrate().await?;
            tracing::info!("migrations applied");
        }
        Command::Serve => {
            let app = App::build(&config).await?;
            announce(&app);
            app.run_until(switchboard::startup::shutdown_signal())
                .await?;
        }
        Command::Healthcheck { url } => {
            let base = url.unwrap_or_else(|| format!("http://{}", config.bind));
            let client = reqwest::Client::builder()
                .timeout(std::time::Duration::from_secs(5))
                .build()?;
            match client
                .get(format!("{}/health", base.trim_end_matches('/')))
                .send()
                .await
            {
                Ok(r) if r.status().is_success() => println!("ok"),
                Ok(r) => {
                    eprintln!("unhealthy: {} answered {}", base, r.status());
                    return Ok(ExitCode::FAILURE);
                }
                Err(e) => {
                    eprintln!("unhealthy: cannot reach {base}: {e}");
                    return Ok(ExitCode::FAILURE);
                }
            }
        }
        Command::Token {
            command: TokenCommand::Create { user, name },
        } => {
            let db = sb_store::Db::connect(&config.database_url).await?;
            db.migrate().await?;
            let key = switchboard::startup::secret_key(&config)?;
            let ctx = sb_service::Ctx::new(db, std::sync::Arc::new(sb_service::SystemClock), &key)
                .await
                .map_err(|e| anyhow::anyhow!("{e}"))?;
            let token = sb_service::auth::create_api_token_for_email(&ctx, &user, &name)
                .await
                .map_err(|e| anyhow::anyhow!("{e}"));
            ctx.lease.release().await;
            let token = token?;
            eprintln!("API token for {user} (valid 5 years; revoke with DELETE /api/v4/api_tokens/{{id}}):");
            println!("{token}");
        }
        Command::Backup { to } => {
            switchboard::backup::backup(&config, &to).await?;
        }
        Command::Restore { from, force } => {
            switchboard::backup::restore(&config, &from, force).await?;
        }
        Command::Bench { command } => {
            switchboard::bench::run(command, &config).await?;
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn announce(app: &App) {
    tracing::info!(url = %app.url(), "Switchboard is listening");
    if let Some(fl) = &app.first_login {
        // Printed once: the password is not stored in clear anywhere.
        eprintln!("\n  First start: account {:?} created.\n  Sign in as {} with password {}\n  (shown only now; keep it safe)\n", fl.account.name, fl.email, fl.password);
    }
}
