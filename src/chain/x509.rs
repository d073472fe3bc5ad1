//! x509-parser's parse of a whole certificate, with certcheck's words for a refusal: the one
//! place DER becomes an `X509Certificate`, shared by the full parse and by the handshake check.

use x509_parser::nom::Parser;
use x509_parser::prelude::{X509Certificate, X509CertificateParser};

/// Parses a whole DER certificate, with or without decoding every extension; trailing bytes are
/// refused.
pub fn parse_x509(der: &[u8], deep: bool) -> Result<X509Certificate<'_>, String> {
    let (rest, cert) = X509CertificateParser::new()
        .with_deep_parse_extensions(deep)
        .parse(der)
        .map_err(|err| match err {
            x509_parser::nom::Err::Incomplete(_) => "the DER data is truncated".to_string(),
            x509_parser::nom::Err::Error(e) | x509_parser::nom::Err::Failure(e) => {
                format!("not a valid X.509 certificate ({e})")
            }
        })?;
    if !rest.is_empty() {
        return Err(format!(
            "{} bytes of trailing data after the certificate",
            rest.len()
        ));
    }
    Ok(cert)
}

/// The SubjectPublicKeyInfo (DER) of a certificate that parses as the full parse accepts it
/// (every extension decoded), for checking what its key signed.
pub fn certificate_spki(der: &[u8]) -> Option<Vec<u8>> {
    parse_x509(der, true)
        .ok()
        .map(|cert| cert.tbs_certificate.subject_pki.raw.to_vec())
}
