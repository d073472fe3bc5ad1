//! Why a connection produced no usable handshake.

use std::time::Duration;

/// A connection failure; each maps to a contract `connection_error.code`.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ConnectError {
    /// The host name did not resolve.
    #[error("could not resolve host name '{host}': {reason}")]
    Dns {
        /// The name that failed.
        host: String,
        /// The resolver's words.
        reason: String,
    },
    /// Every address refused the TCP connection.
    #[error("connection refused by {address} (nothing is listening on that port)")]
    Refused {
        /// The address tried last.
        address: String,
    },
    /// `--timeout` elapsed.
    #[error("no complete answer within {} s while {phase}", .limit.as_secs_f64())]
    Timeout {
        /// The bound that elapsed.
        limit: Duration,
        /// What was going on when time ran out.
        phase: String,
    },
    /// The peer answered with something that is not TLS.
    #[error("{address} does not speak TLS: {detail}")]
    NotTls {
        /// The peer address.
        address: String,
        /// What was received instead, as far as known.
        detail: String,
    },
    /// The peer began a TLS handshake, then sent something that is not TLS.
    #[error("{address} broke off the TLS handshake with data that is not TLS: {detail}")]
    Garbled {
        /// The peer address.
        address: String,
        /// What is known about it.
        detail: String,
    },
    /// The handshake failed with a TLS alert or a TLS-level incompatibility.
    #[error("{0}")]
    TlsAlert(String),
    /// Any other I/O failure (reset, closed early, unreachable network...).
    #[error("{0}")]
    Io(String),
    /// The HTTP proxy could not be reached, refused the tunnel (its status line quoted),
    /// closed, answered something that is not HTTP, or did not answer within `--timeout`.
    #[error("{0}")]
    Proxy(String),
    /// The STARTTLS exchange did not end in TLS: not offered, refused, or another protocol.
    #[error("{address} did not start TLS over {protocol}: {detail}")]
    Starttls {
        /// The peer address.
        address: String,
        /// The protocol, as people write it (`SMTP`, `PostgreSQL`).
        protocol: &'static str,
        /// What the server said, quoted.
        detail: String,
    },
}

impl ConnectError {
    /// The contract's `connection_error.code`.
    pub fn code(&self) -> &'static str {
        match self {
            ConnectError::Dns { .. } => "dns",
            ConnectError::Refused { .. } => "refused",
            ConnectError::Timeout { .. } => "timeout",
            ConnectError::NotTls { .. } | ConnectError::Garbled { .. } => "not-tls",
            ConnectError::TlsAlert(_) => "tls-alert",
            ConnectError::Io(_) => "io",
            ConnectError::Proxy(_) => "proxy",
            ConnectError::Starttls { .. } => "starttls",
        }
    }
}
