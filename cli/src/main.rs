//! `kompliant`: decrypt captured webhooks, manage webhook keys, and run the local Kompliant
//! simulator. Every failure prints `error: <CODE>: <message>` on stderr and exits with 1.

mod decrypt;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

/// The Kompliant webhooks command-line tool.
#[derive(Debug, Parser)]
#[command(name = "kompliant", version, about, long_about = None)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Decrypt a captured webhook body and print its payload.
    Decrypt(decrypt::Args),
}

/// A failure to report: a stable code and an operator-facing message.
pub(crate) struct Failure {
    code: String,
    message: String,
}

impl<E: std::fmt::Display + HasCode> From<E> for Failure {
    fn from(e: E) -> Self {
        Failure {
            code: e.code_str().to_owned(),
            message: e.to_string(),
        }
    }
}

/// Errors that carry a stable code.
pub(crate) trait HasCode {
    fn code_str(&self) -> &'static str;
}

impl HasCode for kompliant_webhooks::WebhookError {
    fn code_str(&self) -> &'static str {
        self.code().as_str()
    }
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Decrypt(args) => decrypt::run(&args),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(Failure { code, message }) => {
            eprintln!("error: {code}: {message}");
            ExitCode::FAILURE
        }
    }
}
