//! `kompliant decrypt`: open a captured webhook body with the core receiver.

use std::io::{Read, Write};
use std::path::PathBuf;
use std::time::{Duration, SystemTime};

use kompliant_webhooks::decided::DEFAULT_MAX_BODY_BYTES;
use kompliant_webhooks::{Keyring, ReceiverOptions, WebhookError, WebhookReceiver, WireProfile};
use serde_json::value::RawValue;
use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;

use crate::Failure;

/// Arguments of `kompliant decrypt`.
#[derive(Debug, clap::Args)]
pub(crate) struct Args {
    /// Keyring file: a JSON object {"whk_20251021_01": "<base64 secret>", ...}. Without it,
    /// keys come from KOMPLIANT_WEBHOOK_SECRET_<YYYYMMDD>_<NN> environment variables.
    #[arg(long, value_name = "FILE")]
    keys: Option<PathBuf>,
    /// Print the verified metadata, retry count and payload as one JSON object.
    #[arg(long)]
    envelope: bool,
    /// Wire profile: kompliant-2025-11-21 (default) or kompliant-2025-11-21-no-aad.
    #[arg(long, default_value = kompliant_webhooks::decided::PROFILE_NAME)]
    profile: String,
    /// Largest body accepted, in bytes.
    #[arg(long, default_value_t = DEFAULT_MAX_BODY_BYTES)]
    max_body_bytes: usize,
    /// Refuse webhooks older than this many seconds (off by default).
    #[arg(long, value_name = "SECONDS")]
    max_age: Option<u64>,
    /// Refuse webhooks more than this many seconds in the future (off by default).
    #[arg(long, value_name = "SECONDS")]
    max_future_skew: Option<u64>,
    /// Check the time window as of this RFC 3339 time instead of now (to replay captures).
    #[arg(long, value_name = "TIME")]
    now: Option<String>,
    /// The captured body; `-` or nothing reads standard input.
    #[arg(value_name = "FILE")]
    input: Option<PathBuf>,
}

pub(crate) fn run(args: &Args) -> Result<(), Failure> {
    let keyring = match &args.keys {
        Some(path) => Keyring::from_file(path)?,
        None => Keyring::from_env()?,
    };
    let profile = WireProfile::by_name(&args.profile).ok_or_else(|| Failure {
        code: "USAGE".into(),
        message: format!(
            "unknown profile {:?} (known: {})",
            args.profile,
            WireProfile::BUILT_IN_NAMES.join(", ")
        ),
    })?;
    let now = match &args.now {
        Some(text) => {
            SystemTime::from(OffsetDateTime::parse(text, &Rfc3339).map_err(|_| Failure {
                code: "USAGE".into(),
                message: format!("--now {text:?} is not an RFC 3339 time"),
            })?)
        }
        None => SystemTime::now(),
    };
    let options = ReceiverOptions {
        profile,
        max_body_bytes: args.max_body_bytes,
        max_age: args.max_age.map(Duration::from_secs),
        max_future_skew: args.max_future_skew.map(Duration::from_secs),
    };
    let body = read_body(args.input.as_ref(), args.max_body_bytes)?;
    let webhook = WebhookReceiver::with_options(keyring, options).decrypt_at(&body, now)?;

    let mut out = if args.envelope {
        let (metadata, retry_count, payload) = webhook.into_parts();
        let payload = RawValue::from_string(payload).map_err(|e| internal(&e))?;
        let doc = serde_json::json!({ "metadata": metadata, "retry_count": retry_count, "payload": payload });
        serde_json::to_string(&doc).map_err(|e| internal(&e))?
    } else {
        webhook.into_parts().2
    };
    out.push('\n');
    std::io::stdout()
        .lock()
        .write_all(out.as_bytes())
        .map_err(|e| io_failure("standard output", &e))
}

/// Reads the body, at most one byte past the limit (so the receiver can report the size
/// class without the tool reading a huge file into memory).
fn read_body(input: Option<&PathBuf>, limit: usize) -> Result<Vec<u8>, Failure> {
    let cap = u64::try_from(limit).unwrap_or(u64::MAX).saturating_add(1);
    let mut body = Vec::new();
    match input {
        Some(path) if path.as_os_str() != "-" => std::fs::File::open(path)
            .and_then(|f| f.take(cap).read_to_end(&mut body))
            .map_err(|e| io_failure(&path.display().to_string(), &e))?,
        _ => std::io::stdin()
            .lock()
            .take(cap)
            .read_to_end(&mut body)
            .map_err(|e| io_failure("standard input", &e))?,
    };
    Ok(body)
}

fn io_failure(what: &str, e: &std::io::Error) -> Failure {
    WebhookError::IoError {
        path: what.to_owned(),
        detail: e.to_string(),
    }
    .into()
}

fn internal(e: &dyn std::fmt::Display) -> Failure {
    Failure {
        code: "INTERNAL".into(),
        message: e.to_string(),
    }
}
