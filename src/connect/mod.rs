//! Connect and capture: one TCP connection, one TLS handshake through the [`CapturingVerifier`].
//!
//! Nothing but the ClientHello and the rest of the handshake is ever sent, after the STARTTLS
//! exchange when one is asked for.
//!
//! A connection runs in three steps under one `--timeout`: `dial` (resolve and TCP connect, or
//! connect to the proxy and ask it for a tunnel, in `proxy`),
//! `prelude` (whatever must be said before TLS: STARTTLS) and `handshake` (TLS, and a
//! failure described in words). Each notes its phase, so a timeout says what it was waiting for.

pub mod capture;
mod client_auth;
mod dial;
pub mod error;
pub mod fetch;
mod handshake;
mod prelude;
pub mod proxy;
pub mod received;

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use rustls::crypto::CryptoProvider;
use rustls::sign::CertifiedKey;

pub use capture::{Captured, CapturingVerifier};
pub use error::ConnectError;
pub use received::{Received, Recording};

use crate::route::{Family, ProxyUrl};
use crate::target::{Host, Starttls};

/// Where to connect and what name to ask for.
#[derive(Clone, Debug)]
pub struct ConnectRequest {
    /// Host to resolve (the target's, or `--connect-to`'s).
    pub connect_host: Host,
    /// TCP port to connect to.
    pub connect_port: u16,
    /// The name sent as SNI and checked against the certificate.
    pub server_name: Host,
    /// The plaintext protocol to speak before TLS (STARTTLS), if any.
    pub starttls: Option<Starttls>,
    /// Bound on resolution + connect (+ the proxy's answer) + STARTTLS + handshake.
    pub timeout: Duration,
    /// The HTTP proxy to tunnel through (it resolves `connect_host`); `None` connects directly.
    pub proxy: Option<ProxyUrl>,
    /// `-4`/`-6`: the address family of the server's (or the proxy's) addresses.
    pub family: Option<Family>,
    /// `--cert`/`--key`: the client certificate to present when the server asks for one.
    pub client_cert: Option<Arc<CertifiedKey>>,
}

/// Who the handshake runs with, as messages name it: the address that answered, or the target
/// through the proxy at that address.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Peer {
    /// The TCP peer: the server, or the proxy.
    pub address: SocketAddr,
    /// Through a proxy: the target as asked of it (`host:port`) and the proxy (no credentials).
    pub tunnel: Option<(String, String)>,
}

impl Peer {
    /// A server reached directly at `address`.
    pub fn direct(address: SocketAddr) -> Peer {
        Peer {
            address,
            tunnel: None,
        }
    }
}

impl std::fmt::Display for Peer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.tunnel {
            None => write!(f, "{}", self.address),
            Some((target, proxy)) => write!(f, "{target} (through the proxy {proxy})"),
        }
    }
}

/// The negotiated session parameters.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TlsInfo {
    /// `TLSv1.3` or `TLSv1.2`.
    pub version: String,
    /// The rustls name of the cipher suite, e.g. `TLS13_AES_256_GCM_SHA384`.
    pub cipher_suite: String,
    /// The negotiated ALPN protocol, if any.
    pub alpn: Option<String>,
}

/// The outcome of a connection: what was seen, even when the handshake did not finish.
#[derive(Clone, Debug, Default)]
pub struct Capture {
    /// The peer address the handshake ran against.
    pub address: Option<SocketAddr>,
    /// What the verifier recorded.
    pub captured: Captured,
    /// Session parameters, when the handshake completed.
    pub tls: Option<TlsInfo>,
    /// The failure, when the handshake did not complete after certificates were seen.
    pub handshake_error: Option<ConnectError>,
}

/// The crypto provider used everywhere in certcheck (ring).
pub fn provider() -> Arc<CryptoProvider> {
    Arc::new(rustls::crypto::ring::default_provider())
}

/// Connects, handshakes and returns what was captured.
///
/// `Err` means nothing usable was seen (no certificates); a handshake that failed after the
/// certificates arrived returns `Ok` with `handshake_error` set.
pub async fn connect(
    request: &ConnectRequest,
    provider: Arc<CryptoProvider>,
) -> Result<Capture, ConnectError> {
    let phase = Arc::new(Mutex::new(String::from("resolving the host name")));
    let verifier = Arc::new(
        CapturingVerifier::new(provider.clone()).with_client_cert(request.client_cert.clone()),
    );
    let received = Arc::new(Mutex::new(Received::default()));
    let run = connect_inner(
        request,
        provider,
        verifier.clone(),
        phase.clone(),
        received.clone(),
    );
    match tokio::time::timeout(request.timeout, run).await {
        Ok(result) => result,
        Err(_) => {
            let mut phase = phase.lock().map(|p| p.clone()).unwrap_or_default();
            if dial::PROXY_PHASES.iter().any(|p| phase.starts_with(p)) {
                return Err(ConnectError::Proxy(format!(
                    "no answer within {} s while {phase}",
                    request.timeout.as_secs_f64()
                )));
            }
            if phase.starts_with(handshake::HANDSHAKE_PHASE) {
                // Says whether the server was silent or too slow (the bound is for the whole
                // exchange, not for each read).
                phase = format!("{phase} ({})", snapshot(&received).amount());
            }
            let error = ConnectError::Timeout {
                limit: request.timeout,
                phase,
            };
            let captured = verifier.captured();
            if captured.certificates.is_empty() {
                Err(error)
            } else {
                Ok(Capture {
                    address: None,
                    captured,
                    tls: None,
                    handshake_error: Some(error),
                })
            }
        }
    }
}

fn snapshot(received: &Mutex<Received>) -> Received {
    match received.lock() {
        Ok(guard) => guard.clone(),
        Err(poisoned) => poisoned.into_inner().clone(),
    }
}

fn set_phase(phase: &Mutex<String>, text: String) {
    if let Ok(mut p) = phase.lock() {
        *p = text;
    }
}

/// Dial, then the prelude, then the handshake; each notes what it is doing in `phase`.
async fn connect_inner(
    request: &ConnectRequest,
    provider: Arc<CryptoProvider>,
    verifier: Arc<CapturingVerifier>,
    phase: Arc<Mutex<String>>,
    received: Arc<Mutex<Received>>,
) -> Result<Capture, ConnectError> {
    let (stream, address) = dial::dial(request, &phase).await?;
    let stream = prelude::prelude(stream, address.address, request, &phase).await?;
    handshake::handshake(
        stream, &address, request, provider, verifier, &phase, received,
    )
    .await
}
