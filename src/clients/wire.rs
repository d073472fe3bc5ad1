//! What a client meets before it looks at the certificate: the protocol version the server
//! speaks and the size of its Certificate message. certcheck knows both when it read the chain
//! itself because rustls would not (a server of TLS 1.1 or older, a Certificate message over
//! 64 KiB); then a client that refuses the protocol or the message size fails with those words,
//! whatever the chain.
//!
//! Sources: measured by `conformance/` (cases `tls10-only`, `tls11-only`, `mid-size-leaf`,
//! `huge-san-leaf`, `many-certs-chain`) against a Python `ssl` (OpenSSL 3.0) server on Debian 12;
//! the Go limit from Go's `crypto/tls` (`maxHandshakeCertificateMsg`), GnuTLS's from its
//! `MAX_HANDSHAKE_DATA_BUFFER_SIZE` (128 KiB; a 77 KB message passes, 210 KB fails).

use super::openssl::{OPENSSL_VERSION, wrap_python};
use super::{Client, Prediction};

/// The handshake as far as it matters before verification (from certcheck's own ClientHello).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Handshake {
    /// The version the server chose in answer to a TLS 1.2 ClientHello (0x0301 for TLS 1.0):
    /// the highest it speaks, up to TLS 1.2.
    pub version: u16,
    /// The server signs its key exchange (ECDHE or DHE), which in TLS 1.0/1.1 uses MD5+SHA-1 or
    /// SHA-1: OpenSSL 3.0 at security level 1 or more refuses that signature.
    pub signed_key_exchange: bool,
    /// The body of the Certificate message as a client offering TLS 1.3 receives it, in bytes
    /// (its TLS 1.3 form when the server speaks TLS 1.3).
    pub certificate_message_bytes: usize,
}

/// OpenSSL's `SSL_MAX_CERT_LIST_DEFAULT` (100 KiB): Python, curl, s_client and Node.
pub const OPENSSL_LIMIT: usize = 102_400;
/// Java's `jdk.tls.maxHandshakeMessageSize` default.
pub const JAVA_LIMIT: usize = 32_768;
/// rustls's largest handshake message (`0xffff`).
pub const RUSTLS_LIMIT: usize = 65_535;
/// Go's `maxHandshakeCertificateMsg` (256 KiB).
pub const GO_LIMIT: usize = 262_144;
/// GnuTLS's `MAX_HANDSHAKE_DATA_BUFFER_SIZE` (128 KiB).
pub const GNUTLS_LIMIT: usize = 131_072;
/// NSS's `MAX_HANDSHAKE_MSG_LEN` (128 KiB - 1, `lib/ssl/ssl3con.c`): Firefox (a 77 KB message
/// passes, 200 KB fail, measured).
pub const NSS_LIMIT: usize = 0x1ffff;

impl Handshake {
    /// The server speaks nothing newer than TLS 1.1.
    pub fn obsolete(&self) -> bool {
        self.version < 0x0303
    }
}

/// What `client` prints before it looks at the certificate, or `None` when it goes on to verify.
pub fn barrier(client: Client, handshake: &Handshake) -> Option<String> {
    if handshake.obsolete() {
        return version_barrier(client, handshake);
    }
    let size = handshake.certificate_message_bytes;
    let excessive = "excessive message size";
    let gnutls = "The handshake data size is too large.";
    Some(match client {
        Client::PythonRequests | Client::PythonUrllib if size > OPENSSL_LIMIT => wrap_python(
            client == Client::PythonUrllib,
            "[SSL: EXCESSIVE_MESSAGE_SIZE] excessive message size",
        ),
        Client::Curl if size > OPENSSL_LIMIT => {
            format!("(35) OpenSSL/{OPENSSL_VERSION}: error:0A000098:SSL routines::{excessive}")
        }
        Client::Openssl if size > OPENSSL_LIMIT => {
            format!("error:0A000098:SSL routines::{excessive}")
        }
        Client::Node if size > OPENSSL_LIMIT => format!("EPROTO: {excessive}"),
        Client::Java if size > JAVA_LIMIT => format!(
            "The size of the handshake message ({size}) exceeds the maximum allowed size ({JAVA_LIMIT})"
        ),
        Client::Go if size > GO_LIMIT => format!(
            "tls: handshake message of length {size} bytes exceeds maximum of {GO_LIMIT} bytes"
        ),
        Client::Rustls if size > RUSTLS_LIMIT => {
            "received corrupt message of type HandshakePayloadTooLarge".into()
        }
        Client::Gnutls if size > GNUTLS_LIMIT => format!("*** Fatal error: {gnutls}"),
        Client::Firefox if size > NSS_LIMIT => "SSL_ERROR_RX_MALFORMED_HANDSHAKE".into(),
        Client::Wget if size > GNUTLS_LIMIT => {
            format!("GnuTLS: {gnutls} / Unable to establish SSL connection.")
        }
        // BoringSSL's `SSL_MAX_CERT_LIST_DEFAULT` is OpenSSL's 100 KiB (measured: chromium 156
        // reads `mid-size-leaf`, refuses `huge-san-leaf` and `many-certs-chain`).
        Client::Chrome if size > OPENSSL_LIMIT => "net::ERR_SSL_PROTOCOL_ERROR".into(),
        _ => return None,
    })
}

/// A server of TLS 1.1 or older: Python, Node, Java, Go, rustls and Firefox offer TLS 1.2 at least and
/// the server refuses them with a protocol_version alert; curl and s_client offer TLS 1.0 too
/// and then refuse the MD5+SHA-1/SHA-1 signature of a signed key exchange (with RSA key exchange
/// they go on to verify); GnuTLS 3.7 (gnutls-cli, wget) still speaks TLS 1.0 and 1.1.
fn version_barrier(client: Client, handshake: &Handshake) -> Option<String> {
    let sigalg = "error:0A00014D:SSL routines::legacy sigalg disallowed or unsupported";
    Some(match client {
        Client::PythonRequests | Client::PythonUrllib => wrap_python(
            client == Client::PythonUrllib,
            "[SSL: TLSV1_ALERT_PROTOCOL_VERSION] tlsv1 alert protocol version",
        ),
        Client::Curl if handshake.signed_key_exchange => {
            format!("(35) OpenSSL/{OPENSSL_VERSION}: {sigalg}")
        }
        Client::Openssl if handshake.signed_key_exchange => sigalg.into(),
        Client::Curl | Client::Openssl => return None,
        Client::Node => "EPROTO: tlsv1 alert protocol version".into(),
        Client::Java => "Received fatal alert: protocol_version".into(),
        Client::Go => "remote error: tls: protocol version not supported".into(),
        Client::Rustls => "received fatal alert: ProtocolVersion".into(),
        // SSL 3.0 is gone from GnuTLS 3.7 too [inf: not measured, OpenSSL 3 cannot serve it].
        Client::Gnutls if handshake.version < 0x0301 => {
            "*** Fatal error: A packet with illegal or unsupported version was received.".into()
        }
        Client::Wget if handshake.version < 0x0301 => {
            "GnuTLS: A packet with illegal or unsupported version was received.".into()
        }
        Client::Gnutls | Client::Wget => return None,
        // Chrome removed TLS 1.0 and 1.1 in Chrome 84 (measured: chromium 156).
        Client::Chrome => "net::ERR_SSL_VERSION_OR_CIPHER_MISMATCH".into(),
        // Firefox's security.tls.version.min is TLS 1.2.
        Client::Firefox => "SSL_ERROR_PROTOCOL_VERSION_ALERT".into(),
        // Not modelled for the platforms predicted from documented rules (client-rules.md gives
        // no protocol-version facts for them): their prediction stays the certificate's.
        Client::Safari | Client::Android | Client::Windows => return None,
    })
}

/// Replaces the prediction of each client that fails before the certificate.
pub fn apply(predictions: &mut [Prediction], handshake: &Handshake) {
    for prediction in predictions.iter_mut() {
        if let Some(words) = barrier(prediction.client, handshake) {
            prediction.accepted = false;
            prediction.error = Some(words);
            prediction.hint = None;
            prediction.trust_problem = false;
        }
    }
}

/// What clients do first, in words, for the verdict; and what to change on the server.
pub fn sentence(handshake: &Handshake) -> Option<(String, String)> {
    if handshake.obsolete() {
        let version = version_words(handshake.version);
        let openssl = if handshake.signed_key_exchange {
            "curl and s_client refuse its MD5+SHA-1 or SHA-1 key-exchange signature"
        } else {
            "curl and s_client (OpenSSL, RSA key exchange) go on to verify the chain"
        };
        let gnutls = if handshake.version < 0x0301 {
            "GnuTLS refuses it too"
        } else {
            "GnuTLS (gnutls-cli, wget) still speaks it"
        };
        return Some((
            format!(
                "only {version}: Python, Node, Java, Go, rustls, Chrome and Firefox refuse the protocol before looking at the certificate, {openssl}, {gnutls}"
            ),
            "enable TLS 1.2 (and 1.3) on the server".into(),
        ));
    }
    let size = handshake.certificate_message_bytes;
    if size <= JAVA_LIMIT {
        return None;
    }
    let mut refusing = Vec::new();
    if size > OPENSSL_LIMIT {
        refusing.push(format!(
            "OpenSSL (Python, curl, s_client, Node) refuses above {} (excessive message size), Chrome too",
            thousands(OPENSSL_LIMIT)
        ));
    }
    if size > GNUTLS_LIMIT {
        refusing.push(format!("GnuTLS above {}", thousands(GNUTLS_LIMIT)));
    }
    if size > NSS_LIMIT {
        refusing.push(format!("Firefox (NSS) above {}", thousands(NSS_LIMIT)));
    }
    if size > RUSTLS_LIMIT {
        refusing.push(format!("rustls above {}", thousands(RUSTLS_LIMIT)));
    }
    refusing.push(format!("Java above {}", thousands(JAVA_LIMIT)));
    if size > GO_LIMIT {
        refusing.push(format!("Go above {}", thousands(GO_LIMIT)));
    }
    Some((
        format!(
            "Certificate message of {} bytes: {}",
            thousands(size),
            refusing.join(", ")
        ),
        "send only the leaf and the intermediates it needs, with fewer or shorter names".into(),
    ))
}

/// `TLS 1.0`.
fn version_words(version: u16) -> String {
    match version {
        0x0300 => "SSL 3.0".into(),
        0x0301 => "TLS 1.0".into(),
        0x0302 => "TLS 1.1".into(),
        other => format!("protocol version 0x{other:04x}"),
    }
}

/// `211,760`.
fn thousands(n: usize) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, ch) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(ch);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tls10(signed: bool) -> Handshake {
        Handshake {
            version: 0x0301,
            signed_key_exchange: signed,
            certificate_message_bytes: 1900,
        }
    }

    #[test]
    fn a_tls_1_0_server_is_refused_by_all_but_gnutls_and_by_openssl_only_when_it_signs() {
        let signed = tls10(true);
        assert_eq!(
            barrier(Client::PythonUrllib, &signed).as_deref(),
            Some(
                "<urlopen error [SSL: TLSV1_ALERT_PROTOCOL_VERSION] tlsv1 alert protocol version>"
            )
        );
        assert_eq!(
            barrier(Client::Curl, &signed).as_deref(),
            Some(
                "(35) OpenSSL/3.0.19: error:0A00014D:SSL routines::legacy sigalg disallowed or unsupported"
            )
        );
        assert_eq!(barrier(Client::Gnutls, &signed), None);
        assert_eq!(barrier(Client::Wget, &signed), None);
        assert_eq!(barrier(Client::Curl, &tls10(false)), None);
        // Measured: firefox-esr 153 on the tls10-only and tls11-only cases.
        assert_eq!(
            barrier(Client::Firefox, &tls10(false)).as_deref(),
            Some("SSL_ERROR_PROTOCOL_VERSION_ALERT")
        );
        assert_eq!(
            barrier(Client::Java, &tls10(false)).as_deref(),
            Some("Received fatal alert: protocol_version")
        );
        assert_eq!(
            sentence(&signed).unwrap().0,
            "only TLS 1.0: Python, Node, Java, Go, rustls, Chrome and Firefox refuse the protocol before looking at the certificate, curl and s_client refuse its MD5+SHA-1 or SHA-1 key-exchange signature, GnuTLS (gnutls-cli, wget) still speaks it"
        );
    }

    #[test]
    fn each_client_refuses_a_certificate_message_above_its_own_limit() {
        let size = |bytes| Handshake {
            version: 0x0303,
            signed_key_exchange: true,
            certificate_message_bytes: bytes,
        };
        let mid = size(78_993);
        assert_eq!(
            barrier(Client::Java, &mid).as_deref(),
            Some(
                "The size of the handshake message (78993) exceeds the maximum allowed size (32768)"
            )
        );
        assert!(barrier(Client::Rustls, &mid).is_some());
        assert_eq!(barrier(Client::Curl, &mid), None);
        assert_eq!(barrier(Client::Gnutls, &mid), None);
        assert_eq!(barrier(Client::Firefox, &mid), None);
        let huge = size(209_907);
        assert_eq!(
            barrier(Client::Openssl, &huge).as_deref(),
            Some("error:0A000098:SSL routines::excessive message size")
        );
        assert_eq!(barrier(Client::Go, &huge), None);
        assert_eq!(
            barrier(Client::Firefox, &huge).as_deref(),
            Some("SSL_ERROR_RX_MALFORMED_HANDSHAKE")
        );
        assert_eq!(
            sentence(&huge).unwrap().0,
            "Certificate message of 209,907 bytes: OpenSSL (Python, curl, s_client, Node) refuses above 102,400 (excessive message size), Chrome too, GnuTLS above 131,072, Firefox (NSS) above 131,071, rustls above 65,535, Java above 32,768"
        );
        assert_eq!(sentence(&size(20_000)), None);
    }
}
