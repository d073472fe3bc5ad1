//! The TLS handshake: the rustls client configuration, the handshake itself through the
//! [`CapturingVerifier`], the negotiated [`TlsInfo`], and a failed handshake described in words.

use std::io;
use std::sync::{Arc, Mutex};

use rustls::client::ClientConnection;
use rustls::crypto::CryptoProvider;
use rustls::pki_types::ServerName;
use rustls::{AlertDescription, ClientConfig, InvalidMessage, PeerIncompatible};
use tokio::net::TcpStream;
use tokio_rustls::TlsConnector;

use super::legacy::{Retry, server_hello_chose_tls13};
use super::{
    Capture, Captured, CapturingVerifier, ConnectError, ConnectRequest, Peer, Received, Recording,
    TlsInfo, set_phase, snapshot,
};
use super::{client_auth, received};
use crate::target::Host;

/// How the phase text begins while the handshake runs; a timeout then adds how much arrived.
pub(super) const HANDSHAKE_PHASE: &str = "waiting for the TLS handshake";

/// Runs the TLS handshake with `address` over `stream`, noting the server's bytes in `received`.
///
/// `Err` means no certificates were seen, with the [`Retry`] when certcheck may read the chain
/// itself ([`super::legacy`]); a handshake that failed after they arrived returns `Ok` with
/// `handshake_error` set.
pub(super) async fn handshake(
    stream: TcpStream,
    address: &Peer,
    request: &ConnectRequest,
    provider: Arc<CryptoProvider>,
    verifier: Arc<CapturingVerifier>,
    phase: &Mutex<String>,
    received: Arc<Mutex<Received>>,
) -> Result<Capture, (ConnectError, Option<Retry>)> {
    let mut config = client_config(provider, verifier.clone()).map_err(|e| (e, None))?;
    let tickets = client_auth::TicketSeen::new();
    config.resumption = rustls::client::Resumption::store(tickets.clone());
    if request.starttls.is_some() {
        // HTTP's protocols mean nothing to a mail or database server, and one that enforces
        // ALPN would refuse them; clients that use STARTTLS (openssl s_client, curl) send none.
        config.alpn_protocols.clear();
    }
    let server_name = server_name(&request.server_name).map_err(|e| (e, None))?;

    set_phase(phase, format!("{HANDSHAKE_PHASE} with {address}"));
    let connector = TlsConnector::from(Arc::new(config));
    let stream = Recording::new(stream, received.clone());
    match connector.connect(server_name, stream).await {
        Ok(mut tls) => {
            let (_, conn) = tls.get_ref();
            let info = tls_info(conn);
            let tls13 = conn.protocol_version() == Some(rustls::ProtocolVersion::TLSv1_3);
            let mut handshake_error = None;
            if tls13 && verifier.captured().client_auth_requested {
                let wait = client_auth::MAX_WAIT.min(request.timeout / 4);
                if let Some(refusal) =
                    client_auth::refusal_after_handshake(&mut tls, &tickets, wait).await
                {
                    let (received, captured) = (snapshot(&received), verifier.captured());
                    handshake_error = Some(tls_failure(&refusal, address, &received, &captured));
                }
            }
            Ok(Capture {
                address: Some(address.address),
                captured: verifier.captured(),
                tls: Some(info),
                handshake_error,
                legacy: None,
            })
        }
        Err(err) => {
            let captured = verifier.captured();
            let received = snapshot(&received);
            let error = handshake_error(&err, address, &received, &captured);
            if captured.certificates.is_empty() {
                Err((error, retry(&err, &received)))
            } else {
                Ok(Capture {
                    address: Some(address.address),
                    captured,
                    tls: None,
                    handshake_error: Some(error),
                    legacy: None,
                })
            }
        }
    }
}

/// Every protocol version, the capturing verifier (which also answers a certificate request
/// with none), ALPN `h2` then `http/1.1`, and SNI.
fn client_config(
    provider: Arc<CryptoProvider>,
    verifier: Arc<CapturingVerifier>,
) -> Result<ClientConfig, ConnectError> {
    let mut config = ClientConfig::builder_with_provider(provider)
        .with_protocol_versions(rustls::ALL_VERSIONS)
        .map_err(|e| ConnectError::Io(format!("TLS configuration: {e}")))?
        .dangerous()
        .with_custom_certificate_verifier(verifier.clone())
        .with_client_cert_resolver(verifier);
    config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
    config.enable_sni = true;
    Ok(config)
}

fn server_name(host: &Host) -> Result<ServerName<'static>, ConnectError> {
    match host {
        Host::Dns(name) => ServerName::try_from(name.clone())
            .map_err(|_| ConnectError::Io(format!("'{name}' cannot be sent as a TLS server name"))),
        Host::Ip(ip) => Ok(ServerName::IpAddress((*ip).into())),
    }
}

fn tls_info(conn: &ClientConnection) -> TlsInfo {
    TlsInfo {
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
    }
}

/// Whether rustls's failure is one certcheck reads around ([`super::legacy`]): an obsolete
/// protocol version, or a handshake message over 64 KiB.
fn retry(err: &io::Error, received: &Received) -> Option<Retry> {
    use rustls::Error as E;
    let tls_error = err
        .get_ref()
        .and_then(|inner| inner.downcast_ref::<rustls::Error>())?;
    match tls_error {
        E::PeerIncompatible(PeerIncompatible::ServerDoesNotSupportTls12Or13)
        | E::AlertReceived(AlertDescription::ProtocolVersion)
        | E::PeerIncompatible(PeerIncompatible::SupportedVersionsExtensionRequired) => {
            Some(Retry::Obsolete)
        }
        E::InvalidMessage(InvalidMessage::HandshakePayloadTooLarge) => Some(Retry::TooLarge {
            tls13: server_hello_chose_tls13(&received.first),
        }),
        _ => None,
    }
}

fn handshake_error(
    err: &io::Error,
    address: &Peer,
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
fn not_tls(address: &Peer, received: &Received) -> ConnectError {
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
    address: &Peer,
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
        E::AlertReceived(alert) if captured.client_cert_sent => ConnectError::TlsAlert(format!(
            "{address} refused the client certificate given with --cert: it ended the handshake with the TLS alert {}",
            alert_name(*alert)
        )),
        E::AlertReceived(alert) if captured.client_auth_requested => {
            ConnectError::TlsAlert(format!(
                "{address} requires a client certificate: it asked for one, certcheck sent none (give one with --cert FILE --key FILE), and it ended the handshake with the TLS alert {}",
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
    let debug: Vec<char> = format!("{alert:?}").chars().collect();
    let mut out = String::new();
    for (i, &ch) in debug.iter().enumerate() {
        if ch.is_ascii_uppercase() && i > 0 {
            // A word starts at a capital after a small letter, or at the last capital of an
            // acronym (`UnknownPSKIdentity` is unknown_psk_identity, `UnknownCA` unknown_ca).
            let after_small = debug[i - 1].is_ascii_lowercase();
            let ends_acronym = debug[i - 1].is_ascii_uppercase()
                && debug.get(i + 1).is_some_and(|c| c.is_ascii_lowercase());
            if after_small || ends_acronym {
                out.push('_');
            }
        }
        out.push(ch.to_ascii_lowercase());
    }
    out
}

#[cfg(test)]
mod tests {
    use std::net::{IpAddr, Ipv4Addr, SocketAddr};

    use super::*;

    const ADDRESS: &Peer = &Peer {
        address: SocketAddr::new(IpAddr::V4(Ipv4Addr::new(192, 0, 2, 7)), 443),
        tunnel: None,
    };

    fn received(bytes: &[u8]) -> Received {
        Received {
            first: bytes.to_vec(),
            total: bytes.len() as u64,
        }
    }

    #[test]
    fn alert_names_are_the_rfc_snake_case() {
        assert_eq!(
            alert_name(AlertDescription::HandshakeFailure),
            "handshake_failure"
        );
        assert_eq!(
            alert_name(AlertDescription::BadCertificate),
            "bad_certificate"
        );
        assert_eq!(
            alert_name(AlertDescription::InternalError),
            "internal_error"
        );
        assert_eq!(alert_name(AlertDescription::CloseNotify), "close_notify");
        assert_eq!(alert_name(AlertDescription::UnknownCA), "unknown_ca");
        assert_eq!(
            alert_name(AlertDescription::UnknownPSKIdentity),
            "unknown_psk_identity"
        );
    }

    #[test]
    fn a_plain_text_answer_is_quoted_and_a_garbled_one_is_not_tls_either() {
        let http = received(b"HTTP/1.1 400 Bad Request\r\n\r\n");
        assert_eq!(
            not_tls(ADDRESS, &http).to_string(),
            "192.0.2.7:443 does not speak TLS: it answered in plain text, 'HTTP/1.1 400 Bad Request' (is this a plain HTTP or other non-TLS port?)"
        );
        let garbled = received(&[22, 3, 3, 0, 1, 0xff, b'x', b'y']);
        assert!(matches!(
            not_tls(ADDRESS, &garbled),
            ConnectError::Garbled { .. }
        ));
        let binary = received(&[0, 1, 2, 3]);
        assert_eq!(
            not_tls(ADDRESS, &binary).code(),
            "not-tls",
            "unreadable bytes are still not TLS"
        );
    }

    #[test]
    fn an_alert_after_a_certificate_request_blames_the_missing_client_certificate() {
        let alert = rustls::Error::AlertReceived(AlertDescription::DecryptError);
        let plain = tls_failure(&alert, ADDRESS, &received(b""), &Captured::default());
        assert_eq!(
            plain.to_string(),
            "192.0.2.7:443 aborted the handshake with the TLS alert decrypt_error"
        );
        let asked = Captured {
            client_auth_requested: true,
            ..Captured::default()
        };
        let blamed = tls_failure(&alert, ADDRESS, &received(b""), &asked);
        assert_eq!(
            blamed.to_string(),
            "192.0.2.7:443 requires a client certificate: it asked for one, certcheck sent none (give one with --cert FILE --key FILE), and it ended the handshake with the TLS alert decrypt_error"
        );
    }

    #[test]
    fn an_obsolete_server_hello_names_the_version_it_chose() {
        let error =
            rustls::Error::PeerIncompatible(PeerIncompatible::ServerDoesNotSupportTls12Or13);
        let hello = received(&[22, 3, 1, 0, 42, 2, 0, 0, 38, 3, 1]);
        assert_eq!(
            tls_failure(&error, ADDRESS, &hello, &Captured::default()).to_string(),
            "192.0.2.7:443 only speaks an obsolete protocol version (it chose TLS 1.0); certcheck and current clients require TLS 1.2 or 1.3"
        );
    }

    #[test]
    fn io_failures_say_how_much_arrived_and_rustls_errors_are_unwrapped() {
        let eof = io::Error::new(io::ErrorKind::UnexpectedEof, "eof");
        assert_eq!(
            handshake_error(&eof, ADDRESS, &received(b"abc"), &Captured::default()).to_string(),
            "192.0.2.7:443 closed the connection during the TLS handshake (3 bytes received from the server)"
        );
        let wrapped = io::Error::new(
            io::ErrorKind::InvalidData,
            rustls::Error::InvalidMessage(InvalidMessage::InvalidContentType),
        );
        let error = handshake_error(
            &wrapped,
            ADDRESS,
            &received(b"SSH-2.0-OpenSSH_9.6\r\n"),
            &Captured::default(),
        );
        assert_eq!(
            error,
            ConnectError::NotTls {
                address: "192.0.2.7:443".into(),
                detail: "it answered in plain text, 'SSH-2.0-OpenSSH_9.6' (is this a plain HTTP or other non-TLS port?)".into(),
            }
        );
    }

    #[test]
    fn server_names_are_dns_names_or_ip_addresses() {
        let ip = IpAddr::V4(Ipv4Addr::LOCALHOST);
        assert_eq!(
            server_name(&Host::Ip(ip)).unwrap(),
            ServerName::IpAddress(ip.into())
        );
        assert!(server_name(&Host::Dns("example.com".into())).is_ok());
        assert_eq!(
            server_name(&Host::Dns("not a name".into())).unwrap_err(),
            ConnectError::Io("'not a name' cannot be sent as a TLS server name".into())
        );
    }
}
