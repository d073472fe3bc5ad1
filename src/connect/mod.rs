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
pub mod legacy;
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
    /// The chain was read by certcheck's own ClientHello ([`legacy`]) because rustls would not
    /// read it; certcheck did not complete that handshake.
    pub legacy: Option<LegacyCapture>,
}

/// What certcheck's own TLS 1.2 ClientHello learnt ([`legacy`]), for the clients' predictions.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LegacyCapture {
    /// The version the server chose (0x0301 for TLS 1.0).
    pub version: u16,
    /// The chosen cipher suite's key exchange is signed by the server (ECDHE, DHE).
    pub signed_key_exchange: bool,
    /// The Certificate message's body as certcheck received it, in bytes.
    pub certificate_message_bytes: usize,
    /// The same message as a client offering TLS 1.3 receives it: its TLS 1.3 form when the
    /// server chose TLS 1.3 with rustls.
    pub client_certificate_message_bytes: usize,
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
    let first = Arc::new(Mutex::new(None));
    let run = connect_inner(
        request,
        provider,
        verifier.clone(),
        phase.clone(),
        received.clone(),
        first.clone(),
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
            // Out of time on the second connection: rustls's error stays, with the timeout.
            let first = first.lock().ok().and_then(|mut f| f.take());
            if let Some((first, retry)) = first {
                return Err(legacy_failed(first, retry, &error));
            }
            let captured = verifier.captured();
            if captured.certificates.is_empty() {
                Err(error)
            } else {
                Ok(Capture {
                    address: None,
                    captured,
                    tls: None,
                    handshake_error: Some(error),
                    legacy: None,
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
    first: Arc<Mutex<Option<(ConnectError, legacy::Retry)>>>,
) -> Result<Capture, ConnectError> {
    let (stream, address) = dial::dial(request, &phase).await?;
    let stream = prelude::prelude(stream, address.address, request, &phase).await?;
    match handshake::handshake(
        stream, &address, request, provider, verifier, &phase, received,
    )
    .await
    {
        Ok(capture) => Ok(capture),
        Err((error, None)) => Err(error),
        Err((error, Some(retry))) => {
            if let Ok(mut slot) = first.lock() {
                *slot = Some((error.clone(), retry));
            }
            read_legacy(request, &phase, error, retry).await
        }
    }
}

/// rustls would not read the chain: a second connection over the same route, with certcheck's
/// own TLS 1.2 ClientHello ([`legacy`]). When that fails too, rustls's error stays, with what the
/// second connection met.
async fn read_legacy(
    request: &ConnectRequest,
    phase: &Mutex<String>,
    first: ConnectError,
    retry: legacy::Retry,
) -> Result<Capture, ConnectError> {
    let second = async {
        let (stream, address) = dial::dial(request, phase).await?;
        let stream = prelude::prelude(stream, address.address, request, phase).await?;
        let flight = legacy::read_flight(stream, &address, &request.server_name, phase).await?;
        Ok::<_, ConnectError>((address, flight))
    };
    let (address, flight) = match second.await {
        Ok(read) => read,
        Err(second) => return Err(legacy_failed(first, retry, &second)),
    };
    let client_certificate_message_bytes = match retry {
        legacy::Retry::TooLarge { tls13: true } => {
            legacy::tls13_certificate_message_bytes(&flight.certificates)
        }
        _ => flight.certificate_message_bytes,
    };
    Ok(Capture {
        address: Some(address.address),
        captured: Captured {
            certificates: flight.certificates,
            server_name: request.server_name.to_string(),
            ocsp_response: flight.ocsp_response,
            signature_note: None,
            client_auth_requested: flight.client_auth_requested,
            // The legacy read stops before the client's certificate would be sent.
            client_cert_sent: false,
        },
        tls: Some(TlsInfo {
            version: tls_version_name(flight.version),
            cipher_suite: legacy::cipher_suite_name(flight.cipher_suite),
            alpn: None,
        }),
        handshake_error: None,
        legacy: Some(LegacyCapture {
            version: flight.version,
            signed_key_exchange: legacy::signs_key_exchange(flight.cipher_suite),
            certificate_message_bytes: flight.certificate_message_bytes,
            client_certificate_message_bytes,
        }),
    })
}

/// rustls's error, and why certcheck's own ClientHello did not get the chain either.
fn legacy_failed(first: ConnectError, retry: legacy::Retry, second: &ConnectError) -> ConnectError {
    let tls13_only = matches!(retry, legacy::Retry::TooLarge { tls13: true })
        && matches!(second, ConnectError::TlsAlert(_));
    let words = if tls13_only {
        format!(
            "{first}; asked again with a TLS 1.2 ClientHello, it refused ({second}): it speaks only TLS 1.3, where the Certificate message is encrypted, so certcheck cannot read it without rustls"
        )
    } else {
        format!(
            "{first}; certcheck's own TLS 1.2 ClientHello did not get the chain either: {second}"
        )
    };
    match first {
        ConnectError::NotTls { address, .. } => ConnectError::NotTls {
            address,
            detail: words,
        },
        ConnectError::Io(_) => ConnectError::Io(words),
        _ => ConnectError::TlsAlert(words),
    }
}

/// `TLSv1.2`, as OpenSSL names the versions.
fn tls_version_name(version: u16) -> String {
    match version {
        0x0300 => "SSLv3".into(),
        0x0301 => "TLSv1.0".into(),
        0x0302 => "TLSv1.1".into(),
        0x0303 => "TLSv1.2".into(),
        0x0304 => "TLSv1.3".into(),
        other => format!("0x{other:04x}"),
    }
}
