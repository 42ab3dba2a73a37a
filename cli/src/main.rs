//! `kompliant`: decrypt captured webhooks, manage webhook keys, and run the local Kompliant
//! simulator. Every failure prints `error: <CODE>: <message>` on stderr and exits with 1.

mod api;
mod decrypt;
mod inspect;
mod listen;
mod sim;

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
    /// Run a small development receiver that decrypts and prints each webhook.
    Listen(listen::Args),
    /// Run the local Kompliant simulator (API + encrypted delivery with retries).
    Sim(sim::Args),
    /// Manage webhook keys through the Kompliant API (credentials from KOMPLIANT_* variables).
    #[command(subcommand)]
    Keys(api::Keys),
    /// Manage webhook endpoint configurations through the Kompliant API.
    #[command(subcommand)]
    Endpoints(api::Endpoints),
    /// Simulator only: trigger an event, sealed and delivered to every endpoint.
    Trigger(api::Trigger),
    /// Simulator only: print the delivery log of the account.
    Deliveries,
    /// Print the API version the server runs and the latest one.
    CheckVersion,
}

/// A failure to report: a stable code and an operator-facing message.
pub(crate) struct Failure {
    code: String,
    message: String,
}

impl<E: std::fmt::Display + HasCode> From<E> for Failure {
    fn from(e: E) -> Self {
        let code = e.code_str();
        let message = e.to_string();
        // An API error's text starts with its code (when it names no method): printed once.
        let message = match message
            .strip_prefix(code)
            .and_then(|m| m.strip_prefix(": "))
        {
            Some(rest) => rest.to_owned(),
            None => message,
        };
        Failure {
            code: code.to_owned(),
            message,
        }
    }
}

impl Failure {
    /// A failure with a code of the CLI's own (e.g. `USAGE`).
    pub(crate) fn new(code: &str, message: impl Into<String>) -> Self {
        Failure {
            code: code.to_owned(),
            message: message.into(),
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

impl HasCode for kompliant_webhooks::ApiError {
    fn code_str(&self) -> &'static str {
        self.code().as_str()
    }
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Decrypt(args) => decrypt::run(&args),
        Command::Listen(args) => listen::run(&args),
        Command::Sim(args) => sim::run(&args),
        Command::Keys(command) => api::keys(&command),
        Command::Endpoints(command) => api::endpoints(&command),
        Command::Trigger(args) => api::trigger(&args),
        Command::Deliveries => api::deliveries(),
        Command::CheckVersion => api::check_version(),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(Failure { code, message }) => {
            eprintln!("error: {code}: {message}");
            ExitCode::FAILURE
        }
    }
}
