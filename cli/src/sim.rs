//! `kompliant sim`: runs the local Kompliant simulator in the foreground and prints its
//! delivery log, one line per attempt.

use std::io::Write;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use kompliant_sim::{decided, Account, DeliveryOutcome, DeliveryRecord, SimConfig, Simulator};

use crate::Failure;

/// Arguments of `kompliant sim`.
#[derive(Debug, clap::Args)]
pub(crate) struct Args {
    /// Address to listen on (port 0 picks a free one; the first output line names it).
    #[arg(long, default_value = "127.0.0.1:8787", value_name = "ADDR")]
    listen: SocketAddr,
    /// JSON array of {account_id, api_key, secret_key, auth_token}. Without it (and without
    /// accounts in --state) one sandbox account is generated and its credentials printed.
    #[arg(long, value_name = "FILE")]
    accounts: Option<PathBuf>,
    /// Wait before the first redelivery, in milliseconds; it doubles per attempt.
    #[arg(long, value_name = "N", default_value_t = millis(decided::DEFAULT_RETRY_BASE))]
    retry_base_ms: u64,
    /// Longest wait between two attempts, in milliseconds.
    #[arg(long, value_name = "N", default_value_t = millis(decided::DEFAULT_RETRY_CAP))]
    retry_cap_ms: u64,
    /// Attempts per delivery, the first included.
    #[arg(long, value_name = "N", default_value_t = decided::DEFAULT_MAX_ATTEMPTS)]
    max_attempts: u32,
    /// How long an endpoint has to answer one attempt, in milliseconds.
    #[arg(long, value_name = "N", default_value_t = millis(decided::DEFAULT_DELIVERY_TIMEOUT))]
    delivery_timeout_ms: u64,
    /// Keep accounts, keys and endpoints in this file across restarts (mode 0600).
    #[arg(long, value_name = "FILE")]
    state: Option<PathBuf>,
    /// Write the first account's credentials as KOMPLIANT_* lines (mode 0600), ready for
    /// `set -a; . FILE` or any dotenv loader.
    #[arg(long, value_name = "FILE")]
    env_file: Option<PathBuf>,
    /// Threads delivering webhooks (attempts in flight at once).
    #[arg(long, value_name = "N", default_value_t = decided::DELIVERY_WORKERS)]
    workers: usize,
    /// Do not print the delivery log.
    #[arg(long)]
    quiet: bool,
    /// How the delivery log is printed: `text` (one readable line per attempt) or `json`
    /// (one JSON delivery record per line, as `sim.deliveries.list` returns them, for tools).
    #[arg(long, value_enum, default_value_t = LogFormat::Text)]
    log_format: LogFormat,
}

/// The delivery log's format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
enum LogFormat {
    Text,
    Json,
}

pub(crate) fn run(args: &Args) -> Result<(), Failure> {
    let accounts = match &args.accounts {
        Some(path) => {
            let text = std::fs::read_to_string(path).map_err(|e| {
                Failure::new("IO_ERROR", format!("cannot read {}: {e}", path.display()))
            })?;
            serde_json::from_str::<Vec<Account>>(&text).map_err(|e| {
                Failure::new(
                    "INVALID_CONFIGURATION",
                    format!(
                        "{} is not a JSON array of {{account_id, api_key, secret_key, auth_token}} (line {} column {})",
                        path.display(),
                        e.line(),
                        e.column()
                    ),
                )
            })?
        }
        None => Vec::new(),
    };
    let generated = accounts.is_empty();
    let sim = Simulator::start(SimConfig {
        listen: args.listen,
        accounts,
        retry_base: Duration::from_millis(args.retry_base_ms),
        retry_cap: Duration::from_millis(args.retry_cap_ms),
        max_attempts: args.max_attempts,
        delivery_timeout: Duration::from_millis(args.delivery_timeout_ms),
        state_file: args.state.clone(),
        delivery_workers: args.workers,
        ..SimConfig::default()
    })
    .map_err(|e| Failure::new(e.code(), e.to_string()))?;

    println!("listening on {}", sim.base_url());
    if let Some(account) = sim.accounts().first() {
        let env = env_lines(&sim.base_url(), account);
        if let Some(path) = &args.env_file {
            write_private(path, &env)?;
            println!(
                "credentials of {} written to {}",
                account.account_id,
                path.display()
            );
        } else if generated {
            println!(
                "sandbox account {} (simulator credentials, not real ones):",
                account.account_id
            );
            print!("{env}");
        }
    }
    flush();

    let mut last_seq = 0;
    loop {
        std::thread::sleep(Duration::from_millis(100));
        if args.quiet {
            continue;
        }
        for record in sim.deliveries_after(last_seq) {
            last_seq = record.seq;
            match args.log_format {
                LogFormat::Text => println!("{}", describe(&record)),
                LogFormat::Json => match serde_json::to_string(&record) {
                    Ok(line) => println!("{line}"),
                    Err(e) => eprintln!("warning: delivery record {} not printed: {e}", record.seq),
                },
            }
        }
        flush();
    }
}

const fn millis(d: Duration) -> u64 {
    d.as_secs() * 1000 + d.subsec_millis() as u64
}

fn env_lines(base_url: &str, account: &Account) -> String {
    format!(
        "KOMPLIANT_BASE_URL={base_url}\nKOMPLIANT_ACCOUNT_ID={}\nKOMPLIANT_API_KEY={}\nKOMPLIANT_SECRET_KEY={}\nKOMPLIANT_AUTH_TOKEN={}\n",
        account.account_id, account.api_key, account.secret_key, account.auth_token
    )
}

fn write_private(path: &Path, text: &str) -> Result<(), Failure> {
    kompliant_webhooks::shared::write_private_file(path, text.as_bytes())
        .map_err(|e| Failure::new("IO_ERROR", format!("cannot write {}: {e}", path.display())))
}

fn describe(r: &DeliveryRecord) -> String {
    let next = if r.forged {
        "not retried"
    } else {
        "will retry"
    };
    let outcome = match &r.outcome {
        DeliveryOutcome::Delivered { status } => format!("delivered ({status})"),
        DeliveryOutcome::Failed {
            status: Some(status),
            ..
        } => format!("failed (HTTP {status}), {next}"),
        DeliveryOutcome::Failed { error, .. } => {
            format!(
                "failed ({}), {next}",
                error.as_deref().unwrap_or("no answer")
            )
        }
        _ => "gave up".to_owned(),
    };
    let forged = if r.forged { " (forged copy)" } else { "" };
    let faults = if r.faults.is_empty() {
        String::new()
    } else {
        format!(" faults={:?}", r.faults)
    };
    format!(
        "delivery{forged} {} {} key={} attempt={} -> {} {outcome}{faults}",
        r.webhook_id, r.event_type, r.key_id, r.attempt, r.url
    )
}

fn flush() {
    let _ = std::io::stdout().flush();
}
