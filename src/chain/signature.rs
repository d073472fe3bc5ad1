//! Signature checks on raw keys: "did this issuer sign this certificate" for path analysis, and
//! the handshake-signature fallback for leaves that webpki refuses to parse.
//!
//! x509-parser's `verify` (ring) covers the modern algorithms; ring's legacy RSA variants are added
//! so that a 1024-bit RSA issuer gives a correct "valid, but weak" answer rather than a false
//! "bad signature".

use std::collections::HashMap;

use ring::signature as ring_sig;
use rustls::SignatureScheme;
use x509_parser::oid_registry::{
    OID_PKCS1_SHA1WITHRSA, OID_PKCS1_SHA256WITHRSA, OID_PKCS1_SHA512WITHRSA,
};
use x509_parser::prelude::{FromDer, SubjectPublicKeyInfo, X509Certificate, X509Error};
use x509_parser::public_key::PublicKey;

use super::oid::{modulus_bits, oid_name};

/// The outcome of one signature check.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SigCheck {
    /// The signature verifies.
    Valid,
    /// The signature does not verify with this key.
    Invalid,
    /// The algorithm (named) cannot be checked here, so nothing is known.
    Unsupported(String),
}

/// Results remembered by [`verify_cert_signature`]; the same checks recur across stores, checks
/// and targets (every certificate of a fleet issued by the same intermediate).
static CACHE: std::sync::OnceLock<std::sync::Mutex<SigCache>> = std::sync::OnceLock::new();

/// (certificate DER, issuer SubjectPublicKeyInfo DER) → outcome.
type SigCache = HashMap<(Vec<u8>, Vec<u8>), SigCheck>;

/// At most this many results are remembered; beyond it the cache starts over.
const CACHE_LIMIT: usize = 2048;

/// Checks whether `child_der` was signed by the key in `issuer_spki_der` (remembered: the answer
/// for the same bytes never changes).
pub fn verify_cert_signature(child_der: &[u8], issuer_spki_der: &[u8]) -> SigCheck {
    let cache = CACHE.get_or_init(Default::default);
    let key = (child_der.to_vec(), issuer_spki_der.to_vec());
    if let Some(hit) = cache.lock().ok().and_then(|c| c.get(&key).cloned()) {
        return hit;
    }
    let result = verify_uncached(child_der, issuer_spki_der);
    if let Ok(mut cache) = cache.lock() {
        if cache.len() >= CACHE_LIMIT {
            cache.clear();
        }
        cache.insert(key, result.clone());
    }
    result
}

fn verify_uncached(child_der: &[u8], issuer_spki_der: &[u8]) -> SigCheck {
    let Ok((_, child)) = X509Certificate::from_der(child_der) else {
        return SigCheck::Unsupported("unparsable certificate".into());
    };
    let Ok((_, spki)) = SubjectPublicKeyInfo::from_der(issuer_spki_der) else {
        return SigCheck::Unsupported("unparsable issuer key".into());
    };
    let alg = &child.signature_algorithm;
    match x509_parser::verify::verify_signature(
        &spki,
        alg,
        &child.signature_value,
        child.tbs_certificate.as_ref(),
    ) {
        Ok(()) => SigCheck::Valid,
        Err(X509Error::SignatureUnsupportedAlgorithm) => {
            SigCheck::Unsupported(oid_name(&alg.algorithm))
        }
        Err(_) => {
            // ring's default RSA verifiers refuse moduli below 2048 bits; retry with the legacy ones.
            let legacy: Option<&dyn ring_sig::VerificationAlgorithm> =
                if alg.algorithm == OID_PKCS1_SHA256WITHRSA {
                    Some(&ring_sig::RSA_PKCS1_1024_8192_SHA256_FOR_LEGACY_USE_ONLY)
                } else if alg.algorithm == OID_PKCS1_SHA512WITHRSA {
                    Some(&ring_sig::RSA_PKCS1_1024_8192_SHA512_FOR_LEGACY_USE_ONLY)
                } else if alg.algorithm == OID_PKCS1_SHA1WITHRSA {
                    Some(&ring_sig::RSA_PKCS1_1024_8192_SHA1_FOR_LEGACY_USE_ONLY)
                } else {
                    None
                };
            match legacy {
                Some(verifier) if rsa_bits(&spki).is_some_and(|b| b < 2048) => {
                    let key =
                        ring_sig::UnparsedPublicKey::new(verifier, &spki.subject_public_key.data);
                    match key.verify(child.tbs_certificate.as_ref(), &child.signature_value.data) {
                        Ok(()) => SigCheck::Valid,
                        Err(_) => SigCheck::Invalid,
                    }
                }
                _ => SigCheck::Invalid,
            }
        }
    }
}

fn rsa_bits(spki: &SubjectPublicKeyInfo<'_>) -> Option<u32> {
    match spki.parsed() {
        Ok(PublicKey::RSA(rsa)) => Some(modulus_bits(rsa.modulus)),
        _ => None,
    }
}

/// Verifies a TLS handshake signature with the raw key from the leaf's SubjectPublicKeyInfo.
///
/// Used when rustls' own helper cannot parse the leaf (webpki refuses it), so the chain can still
/// be captured. Legacy RSA sizes are accepted here: the handshake proves possession of the key,
/// the key's weakness is a finding of its own.
pub fn verify_handshake_signature(
    spki_der: &[u8],
    scheme: SignatureScheme,
    message: &[u8],
    signature: &[u8],
) -> SigCheck {
    let Ok((_, spki)) = SubjectPublicKeyInfo::from_der(spki_der) else {
        return SigCheck::Unsupported("unparsable leaf key".into());
    };
    let bits = rsa_bits(&spki);
    // ring verifies RSA from 1024 bits at the least: a smaller key's signature cannot be checked
    // here, which says nothing against it (the weak key is a finding of its own).
    if let Some(bits) = bits.filter(|b| *b < 1024) {
        return SigCheck::Unsupported(format!("an RSA key of {bits} bits"));
    }
    let small_rsa = bits.is_some_and(|b| b < 2048);
    let verifier: &dyn ring_sig::VerificationAlgorithm = match scheme {
        SignatureScheme::RSA_PKCS1_SHA256 if small_rsa => {
            &ring_sig::RSA_PKCS1_1024_8192_SHA256_FOR_LEGACY_USE_ONLY
        }
        SignatureScheme::RSA_PKCS1_SHA512 if small_rsa => {
            &ring_sig::RSA_PKCS1_1024_8192_SHA512_FOR_LEGACY_USE_ONLY
        }
        SignatureScheme::RSA_PKCS1_SHA1 => &ring_sig::RSA_PKCS1_1024_8192_SHA1_FOR_LEGACY_USE_ONLY,
        SignatureScheme::RSA_PKCS1_SHA256 => &ring_sig::RSA_PKCS1_2048_8192_SHA256,
        SignatureScheme::RSA_PKCS1_SHA384 => &ring_sig::RSA_PKCS1_2048_8192_SHA384,
        SignatureScheme::RSA_PKCS1_SHA512 => &ring_sig::RSA_PKCS1_2048_8192_SHA512,
        SignatureScheme::RSA_PSS_SHA256 if !small_rsa => &ring_sig::RSA_PSS_2048_8192_SHA256,
        SignatureScheme::RSA_PSS_SHA384 if !small_rsa => &ring_sig::RSA_PSS_2048_8192_SHA384,
        SignatureScheme::RSA_PSS_SHA512 if !small_rsa => &ring_sig::RSA_PSS_2048_8192_SHA512,
        SignatureScheme::ECDSA_NISTP256_SHA256 => &ring_sig::ECDSA_P256_SHA256_ASN1,
        SignatureScheme::ECDSA_NISTP384_SHA384 => &ring_sig::ECDSA_P384_SHA384_ASN1,
        SignatureScheme::ED25519 => &ring_sig::ED25519,
        other => return SigCheck::Unsupported(format!("{other:?} with this key")),
    };
    let key = ring_sig::UnparsedPublicKey::new(verifier, &spki.subject_public_key.data);
    match key.verify(message, signature) {
        Ok(()) => SigCheck::Valid,
        Err(_) => SigCheck::Invalid,
    }
}
