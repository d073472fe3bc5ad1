//! Connect and capture: one TCP connection, one TLS handshake through the [`CapturingVerifier`].
//!
//! Nothing but the ClientHello and the rest of the handshake is ever sent.

pub mod capture;
pub mod error;
pub mod received;

use std::io;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use rustls::crypto::CryptoProvider;
use rustls::pki_types::ServerName;
use rustls::{AlertDescription, ClientConfig, InvalidMessage, PeerIncompatible};
use tokio::net::TcpStream;
use tokio_rustls::TlsConnector;

pub use capture::{Captured, CapturingVerifier};
pub use error::ConnectError;
pub use received::{Received, Recording};

use crate::target::Host;

/// Where to connect and what name to ask for.
#[derive(Clone, Debug)]
pub struct ConnectRequest {
    /// Host to resolve (the target's, or `--connect-to`'s).
    pub connect_host: Host,
    /// TCP port to connect to.
    pub connect_port: u16,
    /// The name sent as SNI and checked against the certificate.
    pub server_name: Host,
    /// Bound on resolution + connect + handshake.
    pub timeout: Duration,
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
    let verifier = Arc::new(CapturingVerifier::new(provider.clone()));
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
            if phase.starts_with("waiting for the TLS handshake") {
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

async fn connect_inner(
    request: &ConnectRequest,
    provider: Arc<CryptoProvider>,
    verifier: Arc<CapturingVerifier>,
    phase: Arc<Mutex<String>>,
    received: Arc<Mutex<Received>>,
) -> Result<Capture, ConnectError> {
    let addresses = resolve(&request.connect_host, request.connect_port).await?;
    let mut last_error = None;
    let mut stream = None;
    for address in &addresses {
        set_phase(&phase, format!("connecting to {address}"));
        match TcpStream::connect(address).await {
            Ok(s) => {
                stream = Some((s, *address));
                break;
            }
            Err(err) => last_error = Some(tcp_error(&err, *address)),
        }
    }
    let Some((stream, address)) = stream else {
        return Err(last_error.unwrap_or_else(|| ConnectError::Dns {
            host: request.connect_host.to_string(),
            reason: "the name has no addresses".into(),
        }));
    };
    let _ = stream.set_nodelay(true);

    let mut config = ClientConfig::builder_with_provider(provider)
        .with_protocol_versions(rustls::ALL_VERSIONS)
        .map_err(|e| ConnectError::Io(format!("TLS configuration: {e}")))?
        .dangerous()
        .with_custom_certificate_verifier(verifier.clone())
        .with_client_cert_resolver(verifier.clone());
    config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
    config.enable_sni = true;
    let server_name = match &request.server_name {
        Host::Dns(name) => ServerName::try_from(name.clone()).map_err(|_| {
            ConnectError::Io(format!("'{name}' cannot be sent as a TLS server name"))
        })?,
        Host::Ip(ip) => ServerName::IpAddress((*ip).into()),
    };

    set_phase(
        &phase,
        format!("waiting for the TLS handshake with {address}"),
    );
    let connector = TlsConnector::from(Arc::new(config));
    let stream = Recording::new(stream, received.clone());
    match connector.connect(server_name, stream).await {
        Ok(tls) => {
            let (_, conn) = tls.get_ref();
            let info = TlsInfo {
                version: match conn.protocol_version() {
                    Some(rustls::ProtocolVersion::TLSv1_3) => "TLSv1.3".into(),
                    Some(rustls::ProtocolVersion::TLSv1_2) => "TLSv1.2".into(),
                    Some(other) => format!("{other:?}"),
                    None => "unknown".into(),
                },
                cipher_suite: conn
                    .negotiated_cipher_suite()
                    .map(|s| format!("{:?}", s.suite()))
                    .unwrap_or_else(|| "unknown".into()),
                alpn: conn
                    .alpn_protocol()
                    .map(|p| String::from_utf8_lossy(p).into_owned()),
            };
            Ok(Capture {
                address: Some(address),
                captured: verifier.captured(),
                tls: Some(info),
                handshake_error: None,
            })
        }
        Err(err) => {
            let captured = verifier.captured();
            let error = handshake_error(&err, address, &snapshot(&received), &captured);
            if captured.certificates.is_empty() {
                Err(error)
            } else {
                Ok(Capture {
                    address: Some(address),
                    captured,
                    tls: None,
                    handshake_error: Some(error),
                })
            }
        }
    }
}

async fn resolve(host: &Host, port: u16) -> Result<Vec<SocketAddr>, ConnectError> {
    match host {
        Host::Ip(ip) => Ok(vec![SocketAddr::new(*ip, port)]),
        Host::Dns(name) => {
            let addresses = lookup(name, port).await.map_err(|err| ConnectError::Dns {
                host: name.clone(),
                reason: err.to_string(),
            })?;
            if addresses.is_empty() {
                return Err(ConnectError::Dns {
                    host: name.clone(),
                    reason: "the name has no addresses".into(),
                });
            }
            Ok(addresses)
        }
    }
}

/// Resolves on a detached thread of its own rather than tokio's blocking pool: the system
/// resolver cannot be cancelled, and a runtime waits for its blocking pool when it shuts down,
/// so a resolver stuck on a dead name server would hold the process far beyond `--timeout`.
async fn lookup(name: &str, port: u16) -> io::Result<Vec<SocketAddr>> {
    use std::net::ToSocketAddrs;
    let (tx, rx) = tokio::sync::oneshot::channel();
    let query = (name.to_string(), port);
    let spawned = std::thread::Builder::new()
        .name("certcheck-resolver".into())
        .spawn(move || {
            let result = query
                .to_socket_addrs()
                .map(|found| found.collect::<Vec<_>>());
            let _ = tx.send(result);
        });
    match spawned {
        Ok(_) => rx
            .await
            .map_err(|_| io::Error::other("the resolver thread ended without an answer"))?,
        Err(_) => Ok(tokio::net::lookup_host((name, port)).await?.collect()),
    }
}

fn tcp_error(err: &io::Error, address: SocketAddr) -> ConnectError {
    match err.kind() {
        io::ErrorKind::ConnectionRefused => ConnectError::Refused {
            address: address.to_string(),
        },
        _ => ConnectError::Io(format!("could not connect to {address}: {err}")),
    }
}

fn handshake_error(
    err: &io::Error,
    address: SocketAddr,
    received: &Received,
    captured: &Captured,
) -> ConnectError {
    let tls_error = err
        .get_ref()
        .and_then(|inner| inner.downcast_ref::<rustls::Error>());
    if let Some(tls_error) = tls_error {
        return tls_failure(tls_error, address, received, captured);
    }
    match err.kind() {
        io::ErrorKind::UnexpectedEof => ConnectError::Io(format!(
            "{address} closed the connection during the TLS handshake ({})",
            received.amount()
        )),
        io::ErrorKind::ConnectionReset => ConnectError::Io(format!(
            "{address} reset the connection during the TLS handshake ({})",
            received.amount()
        )),
        _ => ConnectError::Io(format!("TLS handshake with {address} failed: {err}")),
    }
}

/// An answer that is not TLS: described by what it was, as far as the first bytes tell.
fn not_tls(address: SocketAddr, received: &Received) -> ConnectError {
    if received.starts_like_tls() {
        return ConnectError::Garbled {
            address: address.to_string(),
            detail: format!(
                "it sent a TLS record, then bytes that are not TLS records ({}); a broken TLS stack, or something between the two ends, is interfering",
                received.amount()
            ),
        };
    }
    let detail = match received.text_line() {
        Some(line) => format!(
            "it answered in plain text, '{}' (is this a plain HTTP or other non-TLS port?)",
            line.chars().take(80).collect::<String>()
        ),
        None => "the first bytes of its answer are not a TLS record (is this a plain HTTP or other non-TLS port?)".into(),
    };
    ConnectError::NotTls {
        address: address.to_string(),
        detail,
    }
}

fn tls_failure(
    error: &rustls::Error,
    address: SocketAddr,
    received: &Received,
    captured: &Captured,
) -> ConnectError {
    use rustls::Error as E;
    match error {
        E::InvalidMessage(InvalidMessage::InvalidContentType)
        | E::InvalidMessage(InvalidMessage::UnknownProtocolVersion)
        | E::InvalidMessage(InvalidMessage::MessageTooLarge) => not_tls(address, received),
        E::InvalidMessage(InvalidMessage::HandshakePayloadTooLarge) => {
            ConnectError::TlsAlert(format!(
                "{address} sent a TLS handshake message larger than the 64 KiB rustls accepts (OpenSSL's default limit is 100 KiB); this is almost always a Certificate message with too many or too large certificates, so the chain could not be read"
            ))
        }
        E::PeerIncompatible(PeerIncompatible::ServerDoesNotSupportTls12Or13) => {
            let chose = received
                .server_hello_version()
                .map(|v| format!(" (it chose {})", received::version_name(v)))
                .unwrap_or_default();
            ConnectError::TlsAlert(format!(
                "{address} only speaks an obsolete protocol version{chose}; certcheck and current clients require TLS 1.2 or 1.3"
            ))
        }
        E::AlertReceived(AlertDescription::ProtocolVersion)
        | E::PeerIncompatible(PeerIncompatible::SupportedVersionsExtensionRequired) => {
            ConnectError::TlsAlert(format!(
                "{address} only speaks an obsolete protocol version (TLS 1.1 or older); certcheck and current clients require TLS 1.2 or 1.3"
            ))
        }
        E::AlertReceived(alert) if captured.client_auth_requested => {
            ConnectError::TlsAlert(format!(
                "{address} requires a client certificate: it asked for one, certcheck sends none, and it ended the handshake with the TLS alert {}",
                alert_name(*alert)
            ))
        }
        E::AlertReceived(AlertDescription::HandshakeFailure) => ConnectError::TlsAlert(format!(
            "{address} aborted the handshake with the TLS alert handshake_failure (no cipher suite, group or signature scheme in common, or a client certificate is required)"
        )),
        E::AlertReceived(AlertDescription::CertificateRequired) => ConnectError::TlsAlert(format!(
            "{address} requires a client certificate (TLS alert certificate_required)"
        )),
        E::AlertReceived(AlertDescription::UnrecognisedName) => ConnectError::TlsAlert(format!(
            "{address} does not serve the requested server name (TLS alert unrecognized_name)"
        )),
        E::AlertReceived(alert) => ConnectError::TlsAlert(format!(
            "{address} aborted the handshake with the TLS alert {}",
            alert_name(*alert)
        )),
        E::PeerIncompatible(why) => ConnectError::TlsAlert(format!(
            "{address} is incompatible with a modern TLS client: {why:?}"
        )),
        E::InvalidMessage(why) => ConnectError::NotTls {
            address: address.to_string(),
            detail: format!("it sent a malformed TLS message ({why:?})"),
        },
        E::InvalidCertificate(rustls::CertificateError::BadSignature) => {
            ConnectError::TlsAlert(format!(
                "{address} signed the handshake with a key that does not match its certificate"
            ))
        }
        other => ConnectError::TlsAlert(format!("TLS handshake with {address} failed: {other}")),
    }
}

fn alert_name(alert: AlertDescription) -> String {
    // rustls' Debug form is CamelCase; the RFC names are snake_case.
    let debug = format!("{alert:?}");
    let mut out = String::new();
    for (i, ch) in debug.chars().enumerate() {
        if ch.is_ascii_uppercase() {
            if i > 0 {
                out.push('_');
            }
            out.push(ch.to_ascii_lowercase());
        } else {
            out.push(ch);
        }
    }
    out
}
