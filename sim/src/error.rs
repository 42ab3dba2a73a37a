//! Start-up failures of the simulator. Requests never produce a [`SimError`]: they get an
//! API error response instead.

/// Why [`crate::Simulator::start`] (or account generation) failed. Messages never contain
/// secrets.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SimError {
    /// The listen address could not be bound.
    #[error("cannot listen on {addr}: {detail}")]
    Bind {
        /// The address asked for.
        addr: std::net::SocketAddr,
        /// The operating system's reason.
        detail: String,
    },
    /// The state file exists but cannot be read or parsed, or cannot be written.
    #[error("state file {path}: {detail}")]
    StateFile {
        /// The state file's path.
        path: String,
        /// What is wrong with it.
        detail: String,
    },
    /// The configured accounts are unusable (duplicate ids or API keys, bad secret key, ...).
    #[error("invalid accounts: {detail}")]
    InvalidAccounts {
        /// What is wrong, naming the account id, never a secret.
        detail: String,
    },
    /// A setting of [`crate::SimConfig`] is out of range.
    #[error("invalid configuration: {detail}")]
    InvalidConfig {
        /// Which setting, and its allowed range.
        detail: String,
    },
    /// A thread could not be started, or the system random generator failed.
    #[error("internal error: {detail}")]
    Internal {
        /// What failed.
        detail: String,
    },
}

impl SimError {
    /// A stable SCREAMING_SNAKE code for the variant (for the CLI's `error: <CODE>: …`).
    pub fn code(&self) -> &'static str {
        match self {
            SimError::Bind { .. } => "BIND_FAILED",
            SimError::StateFile { .. } => "STATE_FILE_ERROR",
            SimError::InvalidAccounts { .. } => "INVALID_ACCOUNTS",
            SimError::InvalidConfig { .. } => "INVALID_CONFIGURATION",
            SimError::Internal { .. } => "INTERNAL",
        }
    }
}

impl From<crate::ids::RandomError> for SimError {
    fn from(e: crate::ids::RandomError) -> Self {
        SimError::Internal { detail: e.0 }
    }
}
