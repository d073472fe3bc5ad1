//! The OpenSSL-based clients: Python (`ssl`, requests, urllib), curl, `openssl s_client` and
//! Node. [`verify`] models OpenSSL's certificate verification; this file words its outcome the
//! way each front end prints it.
//!
//! Sources: OpenSSL 3.0 `crypto/x509/x509_txt.c` (the texts, checked against
//! `X509_verify_cert_error_string` of this machine's libcrypto), CPython 3.11 `Modules/_ssl.c`
//! (`[SSL: CERTIFICATE_VERIFY_FAILED] certificate verify failed: ...`, its own texts for host and
//! IP mismatches), curl 7.88 `lib/vtls/openssl.c` (exit 60, `SSL certificate problem: ...`), Node
//! 20 `src/crypto/crypto_common.cc` (`X509ErrorCode`: the error's name, or `UNSPECIFIED`).

pub mod checks;
pub mod verify;

use super::Dialect;
use crate::target::Host;

/// OpenSSL's text for an `X509_V_ERR_*` number.
pub fn text(number: u32) -> &'static str {
    match number {
        2 => "unable to get issuer certificate",
        7 => "certificate signature failure",
        9 => "certificate is not yet valid",
        10 => "certificate has expired",
        18 => "self-signed certificate",
        19 => "self-signed certificate in certificate chain",
        20 => "unable to get local issuer certificate",
        21 => "unable to verify the first certificate",
        25 => "path length constraint exceeded",
        26 => "unsuitable certificate purpose",
        32 => "key usage does not include certificate signing",
        34 => "unhandled critical extension",
        47 => "permitted subtree violation",
        48 => "excluded subtree violation",
        62 => "hostname mismatch",
        64 => "IP address mismatch",
        66 => "EE certificate key too weak",
        67 => "CA certificate key too weak",
        68 => "CA signature digest algorithm too weak",
        79 => "invalid CA certificate",
        _ => "unspecified certificate verification error",
    }
}

/// Node's `err.code` for an `X509_V_ERR_*` number: the error's name for those Node lists,
/// `UNSPECIFIED` for the rest.
pub fn node_code(number: u32) -> &'static str {
    match number {
        2 => "UNABLE_TO_GET_ISSUER_CERT",
        7 => "CERT_SIGNATURE_FAILURE",
        9 => "CERT_NOT_YET_VALID",
        10 => "CERT_HAS_EXPIRED",
        18 => "DEPTH_ZERO_SELF_SIGNED_CERT",
        19 => "SELF_SIGNED_CERT_IN_CHAIN",
        20 => "UNABLE_TO_GET_ISSUER_CERT_LOCALLY",
        21 => "UNABLE_TO_VERIFY_LEAF_SIGNATURE",
        25 => "PATH_LENGTH_EXCEEDED",
        26 => "INVALID_PURPOSE",
        62 => "HOSTNAME_MISMATCH",
        79 => "INVALID_CA",
        _ => "UNSPECIFIED",
    }
}

/// A verify error in the words of an OpenSSL-based front end.
pub fn message(dialect: Dialect, number: u32, name: Option<&Host>) -> String {
    let asked = name.map(|h| h.to_string()).unwrap_or_default();
    match dialect {
        Dialect::Python { urllib } => {
            let why = match number {
                62 => format!("Hostname mismatch, certificate is not valid for '{asked}'."),
                64 => format!("IP address mismatch, certificate is not valid for '{asked}'."),
                _ => text(number).to_string(),
            };
            wrap_python(
                urllib,
                &format!("[SSL: CERTIFICATE_VERIFY_FAILED] certificate verify failed: {why}"),
            )
        }
        Dialect::Curl => format!("(60) SSL certificate problem: {}", text(number)),
        Dialect::Node => format!("{}: {}", node_code(number), text(number)),
        Dialect::SClient
        | Dialect::Java
        | Dialect::Rustls
        | Dialect::Go
        | Dialect::Gnutls
        | Dialect::Wget
        | Dialect::Chrome
        | Dialect::Firefox
        | Dialect::Safari
        | Dialect::Android
        | Dialect::Windows => {
            format!("verify error:num={number}:{}", text(number))
        }
    }
}

/// A bad RSA signature in curl's words: OpenSSL queues its RSA reason before the verify failure
/// and curl reports the first error of the queue, as a handshake failure.
pub fn curl_rsa_message(failure: verify::RsaFailure) -> String {
    let (code, reason) = match failure {
        verify::RsaFailure::DataTooLarge => ("02000084", "data too large for modulus"),
        verify::RsaFailure::InvalidPadding => ("0200008A", "invalid padding"),
    };
    format!("(35) OpenSSL/{OPENSSL_VERSION}: error:{code}:rsa routines::{reason}")
}

/// The OpenSSL release the OpenSSL-based clients are assumed to run (Debian 12's), as curl names
/// it in its messages.
pub const OPENSSL_VERSION: &str = "3.0.19";

/// What a client that loads the CA file itself prints when it cannot use it, or `None` when the
/// file gives it no trouble (Node reads it with `fs.readFileSync` and then simply trusts nothing
/// it could not parse).
pub fn ca_file_message(dialect: Dialect, file: &crate::trust::store::CaFile) -> Option<String> {
    use crate::trust::store::CaFileState as S;
    let path = file.path.display();
    let no_certificate = "[X509: NO_CERTIFICATE_OR_CRL_FOUND] no certificate or crl found";
    Some(match (dialect, file.state) {
        (_, S::Pem) => return None,
        (Dialect::Curl, _) => format!("(77) error setting certificate file: {path}"),
        (Dialect::Python { urllib: false }, S::Missing) => {
            format!("Could not find a suitable TLS CA certificate bundle, invalid path: {path}")
        }
        (Dialect::Python { .. }, S::Missing) => "[Errno 2] No such file or directory".into(),
        (Dialect::Python { .. }, S::Unreadable) => "[Errno 13] Permission denied".into(),
        (Dialect::Python { .. }, S::NoPemCertificate) => no_certificate.into(),
        (Dialect::Node, S::Missing) => {
            format!("ENOENT: no such file or directory, open '{path}'")
        }
        (Dialect::Node, S::Unreadable) => "EISDIR: illegal operation on a directory, read".into(),
        (Dialect::Node, S::NoPemCertificate) => return None,
        (_, S::Missing) => "No such file or directory".into(),
        (_, S::Unreadable) => "Is a directory".into(),
        (_, S::NoPemCertificate) => "no certificate or crl found".into(),
    })
}

/// A name mismatch found by curl itself, once verification passed.
pub fn curl_hostname_message(name: &str) -> String {
    format!("(60) SSL: no alternative certificate subject name matches target host name '{name}'")
}

/// urllib wraps the `ssl` error in its own `URLError`.
pub fn wrap_python(urllib: bool, text: &str) -> String {
    if urllib {
        format!("<urlopen error {text}>")
    } else {
        text.to_string()
    }
}
