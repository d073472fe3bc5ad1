//! x509-parser → [`CertInfo`].

use x509_parser::der_parser::oid::Oid;
use x509_parser::extensions::{
    AuthorityKeyIdentifier, BasicConstraints, DistributionPointName, GeneralName, KeyIdentifier,
    ParsedExtension, SubjectAlternativeName,
};
use x509_parser::objects::{oid_registry, oid2sn};
use x509_parser::oid_registry::{
    OID_EC_P256, OID_KEY_TYPE_EC_PUBLIC_KEY, OID_NIST_EC_P384, OID_NIST_EC_P521,
    OID_PKCS1_RSAENCRYPTION, OID_PKIX_ACCESS_DESCRIPTOR_CA_ISSUERS,
    OID_PKIX_ACCESS_DESCRIPTOR_OCSP, OID_SIG_ED448, OID_SIG_ED25519,
    OID_X509_EXT_AUTHORITY_KEY_IDENTIFIER, OID_X509_EXT_BASIC_CONSTRAINTS,
    OID_X509_EXT_SUBJECT_ALT_NAME, OID_X509_EXT_SUBJECT_KEY_IDENTIFIER,
};
use x509_parser::prelude::{FromDer, X509Certificate};
use x509_parser::public_key::PublicKey;

use super::names::{general_name_string, name_string, san_names};
use super::oid::{modulus_bits, static_oid_name, weak_signature};
use super::signature::{SigCheck, verify_cert_signature};
use super::x509::parse_x509;
use super::{
    AlgorithmName, BundleCert, CertInfo, CertSummary, Chain, ChainCert, ExtensionInfo, Fingerprint,
    KeyInfo, MAX_CHAIN_CERTS, NameConstraintsInfo, hex,
};

/// At most this many certificates beyond the analysed ones are kept for path building.
const MAX_OVERFLOW_CERTS: usize = 256;

/// Parses presented certificates in order, keeping unparsable ones as such and at most
/// [`MAX_CHAIN_CERTS`] of them.
pub fn parse_chain<D: AsRef<[u8]>>(ders: &[D]) -> Chain {
    let certs = ders
        .iter()
        .take(MAX_CHAIN_CERTS)
        .map(|der| match parse_certificate(der.as_ref()) {
            Ok(info) => ChainCert::Parsed(Box::new(info)),
            Err(error) => ChainCert::Unparsable {
                der: der.as_ref().to_vec(),
                sha256: Fingerprint::of(der.as_ref()),
                error,
            },
        })
        .collect();
    Chain {
        certs,
        truncated: ders.len().saturating_sub(MAX_CHAIN_CERTS),
        overflow: ders
            .iter()
            .skip(MAX_CHAIN_CERTS)
            .take(MAX_OVERFLOW_CERTS)
            .map(|d| d.as_ref().to_vec())
            .collect(),
    }
}

/// Parses one DER certificate; the error is a sentence saying what is wrong.
pub fn parse_certificate(der: &[u8]) -> Result<CertInfo, String> {
    let mut info = parse_fields(der)?;
    info.der = der.to_vec();
    Ok(info)
}

/// Summarises one DER certificate for `inspect --each`; only the extensions it reports are
/// decoded, and the same certificates parse or fail as with [`parse_certificate`].
pub fn summarize_certificate(der: &[u8]) -> BundleCert {
    match summary_fields(der) {
        Ok(summary) => BundleCert::Parsed(summary),
        Err(error) => BundleCert::Unparsable {
            sha256: Fingerprint::of(der),
            error,
        },
    }
}

fn summary_fields(der: &[u8]) -> Result<CertSummary, String> {
    let cert = parse_x509(der, false)?;
    let tbs = &cert.tbs_certificate;
    let (signature_algorithm, weak_signature) =
        with_algorithm(&cert.signature_algorithm.algorithm, |a| {
            (a.name.clone(), a.weak)
        });
    let mut summary = CertSummary {
        subject: name_string(tbs.subject()),
        issuer: name_string(tbs.issuer()),
        serial: hex(tbs.raw_serial()),
        not_before: tbs.validity().not_before.to_datetime(),
        not_after: tbs.validity().not_after.to_datetime(),
        dns_names: Vec::new(),
        ip_addresses: Vec::new(),
        is_ca: false,
        self_issued: false,
        key: key_info(&cert),
        signature_algorithm,
        weak_signature,
        sha256: Fingerprint::of(der),
    };
    let (mut subject_key_id, mut authority_key_id) = (None, None);
    // A value that does not decode is skipped, as the deep parse records it as a parse error.
    for ext in tbs.extensions() {
        if ext.oid == OID_X509_EXT_SUBJECT_ALT_NAME {
            if let Ok((_, san)) = SubjectAlternativeName::from_der(ext.value) {
                san_names(&san, &mut summary.dns_names, &mut summary.ip_addresses);
            }
        } else if ext.oid == OID_X509_EXT_BASIC_CONSTRAINTS {
            if let Ok((_, bc)) = BasicConstraints::from_der(ext.value) {
                summary.is_ca = bc.ca;
            }
        } else if ext.oid == OID_X509_EXT_SUBJECT_KEY_IDENTIFIER {
            subject_key_id = KeyIdentifier::from_der(ext.value).ok().map(|(_, k)| k.0);
        } else if ext.oid == OID_X509_EXT_AUTHORITY_KEY_IDENTIFIER {
            authority_key_id = AuthorityKeyIdentifier::from_der(ext.value)
                .ok()
                .and_then(|(_, aki)| aki.key_identifier.map(|k| k.0));
        }
    }
    summary.self_issued = tbs.subject().as_raw() == tbs.issuer().as_raw()
        && match (authority_key_id, subject_key_id) {
            (Some(aki), Some(ski)) => aki == ski,
            _ => true,
        };
    Ok(summary)
}

/// Every field but `der`, which the callers fill in.
fn parse_fields(der: &[u8]) -> Result<CertInfo, String> {
    let cert = parse_x509(der, true)?;
    let tbs = &cert.tbs_certificate;
    let (signature_algorithm, signature_algorithm_oid) =
        algorithm_names(&cert.signature_algorithm.algorithm);

    let mut info = CertInfo {
        der: Vec::new(),
        subject: name_string(tbs.subject()),
        issuer: name_string(tbs.issuer()),
        subject_raw: tbs.subject().as_raw().to_vec(),
        issuer_raw: tbs.issuer().as_raw().to_vec(),
        common_names: tbs
            .subject()
            .iter_common_name()
            .map(|cn| {
                cn.as_str()
                    .map(str::to_string)
                    .unwrap_or_else(|_| hex(cn.as_slice()))
            })
            .collect(),
        serial: hex(tbs.raw_serial()),
        not_before: tbs.validity().not_before.to_datetime(),
        not_after: tbs.validity().not_after.to_datetime(),
        dns_names: Vec::new(),
        ip_addresses: Vec::new(),
        has_san: false,
        is_ca: false,
        has_basic_constraints: false,
        path_len: None,
        key: key_info(&cert),
        spki_der: tbs.subject_pki.raw.to_vec(),
        signature_algorithm,
        signature_algorithm_oid,
        sha256: Fingerprint::of(der),
        key_usage: None,
        ext_key_usage: None,
        subject_key_id: None,
        authority_key_id: None,
        ocsp_urls: Vec::new(),
        ca_issuer_urls: Vec::new(),
        crl_urls: Vec::new(),
        sct_count: 0,
        scts: Vec::new(),
        name_constraints: None,
        extensions: Vec::new(),
        self_signed: false,
        // x509-parser accepts any u32 here (valid ones are 0..=2), so no plain `+ 1`.
        version: tbs.version().0.saturating_add(1),
    };

    for ext in tbs.extensions() {
        let known = !matches!(
            ext.parsed_extension(),
            ParsedExtension::UnsupportedExtension { .. } | ParsedExtension::Unparsed
        );
        // Only critical extensions matter to any check (a verifier may ignore the others).
        if ext.critical {
            info.extensions.push(ExtensionInfo {
                oid: ext.oid.to_id_string(),
                name: oid2sn(&ext.oid, oid_registry()).ok().map(str::to_string),
                critical: true,
                known,
            });
        }
        match ext.parsed_extension() {
            ParsedExtension::SubjectAlternativeName(san) => {
                info.has_san = true;
                san_names(san, &mut info.dns_names, &mut info.ip_addresses);
            }
            ParsedExtension::BasicConstraints(bc) => {
                info.has_basic_constraints = true;
                info.is_ca = bc.ca;
                info.path_len = bc.path_len_constraint;
            }
            ParsedExtension::KeyUsage(ku) => {
                let bits = [
                    (ku.digital_signature(), "digitalSignature"),
                    (ku.non_repudiation(), "nonRepudiation"),
                    (ku.key_encipherment(), "keyEncipherment"),
                    (ku.data_encipherment(), "dataEncipherment"),
                    (ku.key_agreement(), "keyAgreement"),
                    (ku.key_cert_sign(), "keyCertSign"),
                    (ku.crl_sign(), "cRLSign"),
                    (ku.encipher_only(), "encipherOnly"),
                    (ku.decipher_only(), "decipherOnly"),
                ];
                info.key_usage = Some(
                    bits.iter()
                        .filter(|(set, _)| *set)
                        .map(|(_, name)| name.to_string())
                        .collect(),
                );
            }
            ParsedExtension::ExtendedKeyUsage(eku) => {
                let mut purposes = Vec::new();
                for (set, name) in [
                    (eku.any, "anyExtendedKeyUsage"),
                    (eku.server_auth, "serverAuth"),
                    (eku.client_auth, "clientAuth"),
                    (eku.code_signing, "codeSigning"),
                    (eku.email_protection, "emailProtection"),
                    (eku.time_stamping, "timeStamping"),
                    (eku.ocsp_signing, "OCSPSigning"),
                ] {
                    if set {
                        purposes.push(name.to_string());
                    }
                }
                purposes.extend(eku.other.iter().map(Oid::to_id_string));
                info.ext_key_usage = Some(purposes);
            }
            ParsedExtension::SubjectKeyIdentifier(ski) => info.subject_key_id = Some(hex(ski.0)),
            ParsedExtension::AuthorityKeyIdentifier(aki) => {
                info.authority_key_id = aki.key_identifier.as_ref().map(|k| hex(k.0));
            }
            ParsedExtension::AuthorityInfoAccess(aia) => {
                for desc in aia.iter() {
                    if let GeneralName::URI(uri) = desc.access_location {
                        if desc.access_method == OID_PKIX_ACCESS_DESCRIPTOR_OCSP {
                            info.ocsp_urls.push(uri.to_string());
                        } else if desc.access_method == OID_PKIX_ACCESS_DESCRIPTOR_CA_ISSUERS {
                            info.ca_issuer_urls.push(uri.to_string());
                        }
                    }
                }
            }
            ParsedExtension::CRLDistributionPoints(points) => {
                for point in points.iter() {
                    if let Some(DistributionPointName::FullName(names)) = &point.distribution_point
                    {
                        for name in names {
                            if let GeneralName::URI(uri) = name {
                                info.crl_urls.push(uri.to_string());
                            }
                        }
                    }
                }
            }
            ParsedExtension::SCT(scts) => {
                info.sct_count = scts.len();
                info.scts = scts.iter().map(super::sct_details).collect();
            }
            ParsedExtension::NameConstraints(nc) => {
                info.name_constraints = Some(NameConstraintsInfo {
                    permitted: subtree_names(&nc.permitted_subtrees),
                    excluded: subtree_names(&nc.excluded_subtrees),
                });
            }
            _ => {}
        }
    }

    info.self_signed = info.subject_raw == info.issuer_raw
        && verify_cert_signature(der, &info.spki_der) == SigCheck::Valid;
    Ok(info)
}

/// What certcheck says of a signature algorithm: its name, dotted OID and weak hash if any.
#[derive(Clone)]
struct Algorithm {
    name: AlgorithmName,
    dotted: String,
    weak: Option<&'static str>,
}

/// Calls `with` on what is known of a signature algorithm. A bundle repeats a handful of
/// algorithms thousands of times and writing an OID out is slow, so each thread keeps the last few.
fn with_algorithm<R>(oid: &Oid<'_>, with: impl FnOnce(&Algorithm) -> R) -> R {
    thread_local! {
        static SEEN: std::cell::RefCell<Vec<(Vec<u8>, Algorithm)>> =
            const { std::cell::RefCell::new(Vec::new()) };
    }
    SEEN.with_borrow_mut(|seen| {
        if let Some((_, known)) = seen.iter().find(|(raw, _)| raw == oid.as_bytes()) {
            return with(known);
        }
        let dotted = oid.to_id_string();
        let algorithm = Algorithm {
            name: static_oid_name(oid),
            weak: weak_signature(&dotted),
            dotted,
        };
        let out = with(&algorithm);
        if seen.len() < 8 {
            seen.push((oid.as_bytes().to_vec(), algorithm));
        }
        out
    })
}

/// The name and dotted form of a signature algorithm's OID.
fn algorithm_names(oid: &Oid<'_>) -> (AlgorithmName, String) {
    with_algorithm(oid, |a| (a.name.clone(), a.dotted.clone()))
}

fn key_info(cert: &X509Certificate<'_>) -> KeyInfo {
    let spki = &cert.tbs_certificate.subject_pki;
    let alg = &spki.algorithm.algorithm;
    if *alg == OID_PKCS1_RSAENCRYPTION {
        let bits = match spki.parsed() {
            Ok(PublicKey::RSA(rsa)) => modulus_bits(rsa.modulus),
            _ => 0,
        };
        return KeyInfo {
            algorithm: "RSA".into(),
            bits,
            curve: None,
        };
    }
    if *alg == OID_KEY_TYPE_EC_PUBLIC_KEY {
        let curve_oid = spki
            .algorithm
            .parameters
            .as_ref()
            .and_then(|p| p.as_oid().ok());
        let (curve, bits) = match curve_oid {
            Some(oid) if oid == OID_EC_P256 => (AlgorithmName::Borrowed("P-256"), 256),
            Some(oid) if oid == OID_NIST_EC_P384 => (AlgorithmName::Borrowed("P-384"), 384),
            Some(oid) if oid == OID_NIST_EC_P521 => (AlgorithmName::Borrowed("P-521"), 521),
            Some(oid) => {
                // Uncompressed point: 0x04 || X || Y, so the field size is half the rest.
                let len = spki.subject_public_key.data.len();
                (
                    static_oid_name(&oid),
                    (len.saturating_sub(1) / 2 * 8) as u32,
                )
            }
            None => (AlgorithmName::Borrowed("unknown curve"), 0),
        };
        return KeyInfo {
            algorithm: "EC".into(),
            bits,
            curve: Some(curve),
        };
    }
    if *alg == OID_SIG_ED25519 {
        return KeyInfo {
            algorithm: "Ed25519".into(),
            bits: 256,
            curve: None,
        };
    }
    if *alg == OID_SIG_ED448 {
        return KeyInfo {
            algorithm: "Ed448".into(),
            bits: 456,
            curve: None,
        };
    }
    let bits = spki.parsed().map(|k| k.key_size() as u32).unwrap_or(0);
    let algorithm = match spki.parsed() {
        Ok(PublicKey::DSA(_)) => AlgorithmName::Borrowed("DSA"),
        _ => static_oid_name(alg),
    };
    KeyInfo {
        algorithm,
        bits,
        curve: None,
    }
}

/// The names of a nameConstraints subtree list, as certcheck writes general names.
pub(crate) fn subtree_names(
    subtrees: &Option<Vec<x509_parser::extensions::GeneralSubtree>>,
) -> Vec<String> {
    subtrees
        .iter()
        .flatten()
        .map(|s| general_name_string(&s.base))
        .collect()
}
