//! The certificate-level rules of OpenSSL's verification: whether a certificate is a CA
//! (`X509_check_ca`), the TLS server purpose, the host name (`X509_check_host`) and the security
//! bits its key and its signature count for (`@SECLEVEL`).

use crate::chain::{CertInfo, KeyKind, usage};

/// `check_ca` behind `X509_check_ca`: 0 when a keyUsage forbids certificate signing, else 1 for
/// basicConstraints cA=TRUE, 3 for a v1 self-signed root, 4 for a keyUsage with keyCertSign and
/// no basicConstraints, 0 otherwise.
pub(super) fn check_ca(info: &CertInfo) -> u8 {
    // A keyUsage, when present, must allow certificate signing.
    if info.key_usage.is_some() && !info.has_key_usage(usage::KEY_CERT_SIGN) {
        return 0;
    }
    if info.has_basic_constraints {
        return u8::from(info.is_ca);
    }
    if info.version == 1 && info.subject_raw == info.issuer_raw {
        return 3;
    }
    if info.key_usage.is_some() {
        return if info.has_key_usage(usage::KEY_CERT_SIGN) {
            4
        } else {
            0
        };
    }
    0
}

/// The TLS server purpose (`check_purpose_ssl_server`): an extendedKeyUsage, when present, must
/// list serverAuth; a leaf's keyUsage, when present, must allow a TLS key exchange; a CA must be
/// a CA.
pub(super) fn server_purpose(info: &CertInfo, ca: bool) -> bool {
    if info.ext_key_usage.is_some() && !info.has_ext_key_usage(usage::SERVER_AUTH) {
        return false;
    }
    if ca {
        return check_ca(info) != 0;
    }
    info.key_usage.is_none()
        || ["digitalSignature", "keyEncipherment", "keyAgreement"]
            .iter()
            .any(|k| info.has_key_usage(k))
}

/// The security bits of a certificate's key, as OpenSSL counts them (`EVP_PKEY_get_security_bits`).
pub fn key_security_bits(info: &CertInfo) -> u32 {
    let bits = info.key.bits;
    match info.key.kind() {
        KeyKind::Rsa | KeyKind::Dsa => match bits {
            15360.. => 256,
            7680.. => 192,
            3072.. => 128,
            2048.. => 112,
            1024.. => 80,
            _ => bits / 16,
        },
        KeyKind::Ec => bits / 2,
        KeyKind::Other => 128,
    }
}

/// The security bits of a certificate's signature digest: OpenSSL 3.0 counts SHA-1 as 64 and
/// MD5 as 39 so that neither passes security level 1 (`x509_sig_info_init`).
pub fn signature_security_bits(info: &CertInfo) -> u32 {
    match info.signature_algorithm_oid.as_str() {
        "1.2.840.113549.1.1.2" | "1.2.840.113549.1.1.4" | "1.3.14.3.2.3" => 39,
        "1.2.840.113549.1.1.5" | "1.3.14.3.2.29" | "1.2.840.10045.4.1" | "1.2.840.10040.4.3" => 64,
        "1.2.840.113549.1.1.14" | "1.2.840.10045.4.3.1" => 112,
        "1.2.840.113549.1.1.12" | "1.2.840.10045.4.3.3" => 192,
        "1.2.840.113549.1.1.13" | "1.2.840.10045.4.3.4" => 256,
        _ => 128,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::diagnose::testkit::{fixture, info};

    #[test]
    fn security_bits_follow_openssl() {
        let rsa1024 = info(&fixture("rsa1024-leaf"));
        assert_eq!(key_security_bits(&rsa1024), 80);
        let rsa2048 = info(&fixture("root"));
        assert_eq!(key_security_bits(&rsa2048), 112);
        // SHA-1 and MD5 are counted below security level 1 (80 bits), SHA-256 at 128.
        assert_eq!(signature_security_bits(&info(&fixture("sha1-leaf"))), 64);
        assert_eq!(signature_security_bits(&info(&fixture("md5-leaf"))), 39);
        assert_eq!(signature_security_bits(&rsa2048), 128);
    }

    #[test]
    fn check_ca_reads_basic_constraints_then_key_usage() {
        let root = info(&fixture("root"));
        assert_eq!(check_ca(&root), 1);
        let mut v1 = root.clone();
        v1.has_basic_constraints = false;
        v1.key_usage = None;
        v1.version = 1;
        assert_eq!(check_ca(&v1), 3, "a v1 self-signed root is a CA");
        v1.version = 3;
        assert_eq!(check_ca(&v1), 0, "a v3 root without extensions is not");
        let mut no_sign = root.clone();
        no_sign.key_usage = Some(vec!["digitalSignature".into()]);
        assert_eq!(check_ca(&no_sign), 0);
        let leaf = info(&fixture("rsa-issued-leaf"));
        assert!(server_purpose(&leaf, false));
    }
}
