//! rustls-webpki errors → finding codes, in one match with an explicit fallback.

use super::finding::FindingCode;

/// The finding code that describes a webpki error.
#[allow(deprecated)] // the deprecated variants can still be returned by older paths
pub fn finding_code(error: &webpki::Error) -> FindingCode {
    use webpki::Error as E;
    match error {
        E::CertExpired { .. } => FindingCode::Expired,
        E::CertNotValidYet { .. } => FindingCode::NotYetValid,
        E::CertNotValidForName(_) => FindingCode::HostnameMismatch,
        E::UnknownIssuer => FindingCode::UnknownIssuer,
        E::InvalidSignatureForPublicKey => FindingCode::BadSignature,
        E::UnsupportedSignatureAlgorithm
        | E::UnsupportedSignatureAlgorithmContext(_)
        | E::UnsupportedSignatureAlgorithmForPublicKey
        | E::UnsupportedSignatureAlgorithmForPublicKeyContext(_) => {
            FindingCode::WeakSignatureAlgorithm
        }
        E::RequiredEkuNotFound | E::RequiredEkuNotFoundContext(_) | E::EmptyEkuExtension => {
            FindingCode::InvalidPurpose
        }
        E::CaUsedAsEndEntity => FindingCode::InvalidPurpose,
        E::EndEntityUsedAsCa => FindingCode::NotACa,
        E::PathLenConstraintViolated => FindingCode::PathLengthExceeded,
        E::NameConstraintViolation => FindingCode::NameConstraintViolation,
        E::UnsupportedCriticalExtension => FindingCode::UnsupportedCriticalExtension,
        E::CertRevoked => FindingCode::Revoked,
        E::BadDer
        | E::BadDerTime
        | E::UnsupportedCertVersion
        | E::InvalidCertValidity
        | E::InvalidSerialNumber
        | E::ExtensionValueInvalid
        | E::MalformedExtensions
        | E::MalformedDnsIdentifier
        | E::MalformedNameConstraint
        | E::InvalidNetworkMaskConstraint => FindingCode::MalformedCertificate,
        _ => FindingCode::VerificationFailed,
    }
}

/// webpki's error in words, without Rust debug syntax where a plain sentence exists.
pub fn describe(error: &webpki::Error) -> String {
    use webpki::Error as E;
    match error {
        E::UnknownIssuer => "no path to a trust anchor (UnknownIssuer)".into(),
        E::MaximumPathDepthExceeded => "the path is longer than webpki allows".into(),
        E::MaximumSignatureChecksExceeded | E::MaximumPathBuildCallsExceeded => {
            "path building gave up after too many candidate paths".into()
        }
        E::UnsupportedCriticalExtension => {
            "a certificate carries a critical extension webpki does not support".into()
        }
        E::TrailingData(_) => {
            "a certificate has trailing data or is larger than the 64 KiB rustls-webpki accepts"
                .into()
        }
        other => format!("{other:?}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    #[allow(deprecated)]
    fn maps_each_family() {
        assert_eq!(
            finding_code(&webpki::Error::UnknownIssuer),
            FindingCode::UnknownIssuer
        );
        assert_eq!(
            finding_code(&webpki::Error::InvalidSignatureForPublicKey),
            FindingCode::BadSignature
        );
        assert_eq!(
            finding_code(&webpki::Error::RequiredEkuNotFound),
            FindingCode::InvalidPurpose
        );
        assert_eq!(
            finding_code(&webpki::Error::EndEntityUsedAsCa),
            FindingCode::NotACa
        );
        assert_eq!(
            finding_code(&webpki::Error::PathLenConstraintViolated),
            FindingCode::PathLengthExceeded
        );
        assert_eq!(
            finding_code(&webpki::Error::NameConstraintViolation),
            FindingCode::NameConstraintViolation
        );
        assert_eq!(
            finding_code(&webpki::Error::UnsupportedCriticalExtension),
            FindingCode::UnsupportedCriticalExtension
        );
        assert_eq!(
            finding_code(&webpki::Error::BadDer),
            FindingCode::MalformedCertificate
        );
        assert_eq!(
            finding_code(&webpki::Error::MaximumPathDepthExceeded),
            FindingCode::VerificationFailed
        );
    }
}
