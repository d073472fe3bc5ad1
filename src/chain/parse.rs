//! x509-parser → [`CertInfo`].

use std::net::IpAddr;

use x509_parser::der_parser::oid::Oid;
use x509_parser::extensions::{DistributionPointName, GeneralName, ParsedExtension};
use x509_parser::objects::{oid_registry, oid2sn};
use x509_parser::oid_registry::{
    OID_EC_P256, OID_KEY_TYPE_EC_PUBLIC_KEY, OID_NIST_EC_P384, OID_NIST_EC_P521,
    OID_PKCS1_RSAENCRYPTION, OID_PKIX_ACCESS_DESCRIPTOR_CA_ISSUERS,
    OID_PKIX_ACCESS_DESCRIPTOR_OCSP, OID_SIG_ED448, OID_SIG_ED25519,
};
use x509_parser::prelude::{FromDer, X509Certificate};
use x509_parser::public_key::PublicKey;

use super::signature::{SigCheck, verify_cert_signature};
use super::{
    CertInfo, Chain, ChainCert, ExtensionInfo, KeyInfo, MAX_CHAIN_CERTS, NameConstraintsInfo, hex,
    sha256_hex,
};

/// At most this many certificates beyond the analysed ones are kept for path building.
const MAX_OVERFLOW_CERTS: usize = 256;

/// Parses presented certificates in order, keeping unparsable ones as such and at most
/// [`MAX_CHAIN_CERTS`] of them.
pub fn parse_chain<D: AsRef<[u8]> + Sync>(ders: &[D]) -> Chain {
    parse_chain_limit(ders, MAX_CHAIN_CERTS)
}

/// Parses a whole bundle, every certificate, moving the DER into the model (`inspect --each`).
/// Large inputs are parsed on every core.
pub fn parse_bundle(ders: Vec<Vec<u8>>) -> Chain {
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    let certs = if ders.len() < 256 || threads < 2 {
        ders.into_iter().map(parse_certificate_owned).collect()
    } else {
        let chunk = ders.len().div_ceil(threads);
        let mut parts: Vec<Vec<Vec<u8>>> = Vec::new();
        let mut rest = ders;
        while rest.len() > chunk {
            let tail = rest.split_off(chunk);
            parts.push(rest);
            rest = tail;
        }
        parts.push(rest);
        std::thread::scope(|scope| {
            let handles: Vec<_> = parts
                .into_iter()
                .map(|part| {
                    let count = part.len();
                    let handle = scope.spawn(move || {
                        part.into_iter()
                            .map(parse_certificate_owned)
                            .collect::<Vec<_>>()
                    });
                    (count, handle)
                })
                .collect();
            handles
                .into_iter()
                .flat_map(|(count, handle)| {
                    handle.join().unwrap_or_else(|_| {
                        // Not expected; the certificates are reported, not dropped.
                        (0..count)
                            .map(|_| ChainCert::Unparsable {
                                der: Vec::new(),
                                sha256: String::new(),
                                error: "the parser failed on this certificate".into(),
                            })
                            .collect()
                    })
                })
                .collect()
        })
    };
    Chain {
        certs,
        truncated: 0,
        overflow: Vec::new(),
    }
}

/// As [`parse_chain`] with another bound (`inspect --each` reads whole bundles). Large inputs
/// are parsed on every core.
pub fn parse_chain_limit<D: AsRef<[u8]> + Sync>(ders: &[D], limit: usize) -> Chain {
    let ders_in = &ders[..ders.len().min(limit)];
    let parse_one = |der: &D| match parse_certificate(der.as_ref()) {
        Ok(info) => ChainCert::Parsed(Box::new(info)),
        Err(error) => ChainCert::Unparsable {
            der: der.as_ref().to_vec(),
            sha256: sha256_hex(der.as_ref()),
            error,
        },
    };
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    let certs = if ders_in.len() < 256 || threads < 2 {
        ders_in.iter().map(parse_one).collect()
    } else {
        let chunk = ders_in.len().div_ceil(threads);
        std::thread::scope(|scope| {
            let handles: Vec<_> = ders_in
                .chunks(chunk)
                .map(|part| {
                    let handle =
                        scope.spawn(move || part.iter().map(parse_one).collect::<Vec<_>>());
                    (part, handle)
                })
                .collect();
            handles
                .into_iter()
                .flat_map(|(part, handle)| {
                    handle.join().unwrap_or_else(|_| {
                        // Not expected; the certificates are reported, not dropped.
                        part.iter()
                            .map(|der| ChainCert::Unparsable {
                                der: der.as_ref().to_vec(),
                                sha256: sha256_hex(der.as_ref()),
                                error: "the parser failed on this certificate".into(),
                            })
                            .collect()
                    })
                })
                .collect()
        })
    };
    Chain {
        certs,
        truncated: ders.len().saturating_sub(limit),
        overflow: ders
            .iter()
            .skip(limit)
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

/// As [`parse_certificate`], keeping `der` itself instead of a copy (large bundles).
pub fn parse_certificate_owned(der: Vec<u8>) -> ChainCert {
    match parse_fields(&der) {
        Ok(mut info) => {
            info.der = der;
            ChainCert::Parsed(Box::new(info))
        }
        Err(error) => ChainCert::Unparsable {
            sha256: sha256_hex(&der),
            der,
            error,
        },
    }
}

/// Every field but `der`, which the callers fill in.
fn parse_fields(der: &[u8]) -> Result<CertInfo, String> {
    let (rest, cert) = X509Certificate::from_der(der).map_err(|err| match err {
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
    let tbs = &cert.tbs_certificate;

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
        signature_algorithm: oid_name(&cert.signature_algorithm.algorithm),
        signature_algorithm_oid: cert.signature_algorithm.algorithm.to_id_string(),
        sha256: sha256_hex(der),
        key_usage: None,
        ext_key_usage: None,
        subject_key_id: None,
        authority_key_id: None,
        ocsp_urls: Vec::new(),
        ca_issuer_urls: Vec::new(),
        crl_urls: Vec::new(),
        sct_count: 0,
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
                for name in &san.general_names {
                    match name {
                        GeneralName::DNSName(dns) => info.dns_names.push(dns.to_string()),
                        GeneralName::IPAddress(bytes) => info.ip_addresses.push(ip_string(bytes)),
                        _ => {}
                    }
                }
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
            ParsedExtension::SCT(scts) => info.sct_count = scts.len(),
            ParsedExtension::NameConstraints(nc) => {
                let render = |subtrees: &Option<Vec<x509_parser::extensions::GeneralSubtree>>| {
                    subtrees
                        .iter()
                        .flatten()
                        .map(|s| general_name_string(&s.base))
                        .collect::<Vec<_>>()
                };
                info.name_constraints = Some(NameConstraintsInfo {
                    permitted: render(&nc.permitted_subtrees),
                    excluded: render(&nc.excluded_subtrees),
                });
            }
            _ => {}
        }
    }

    info.self_signed = info.subject_raw == info.issuer_raw
        && verify_cert_signature(der, &info.spki_der) == SigCheck::Valid;
    Ok(info)
}

/// The registered short name of an OID, or its dotted form.
pub fn oid_name(oid: &Oid<'_>) -> String {
    oid2sn(oid, oid_registry())
        .map(str::to_string)
        .unwrap_or_else(|_| oid.to_id_string())
}

fn name_string(name: &x509_parser::x509::X509Name<'_>) -> String {
    let text = name.to_string();
    if text.is_empty() {
        "(empty name)".to_string()
    } else {
        text
    }
}

/// Bit length of a big-endian RSA modulus, ignoring leading zero bytes.
pub(crate) fn modulus_bits(modulus: &[u8]) -> u32 {
    let trimmed: Vec<u8> = modulus.iter().copied().skip_while(|b| *b == 0).collect();
    match trimmed.first() {
        Some(first) => (trimmed.len() as u32 - 1) * 8 + (8 - first.leading_zeros()),
        None => 0,
    }
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
            Some(oid) if oid == OID_EC_P256 => ("P-256".to_string(), 256),
            Some(oid) if oid == OID_NIST_EC_P384 => ("P-384".to_string(), 384),
            Some(oid) if oid == OID_NIST_EC_P521 => ("P-521".to_string(), 521),
            Some(oid) => {
                // Uncompressed point: 0x04 || X || Y, so the field size is half the rest.
                let len = spki.subject_public_key.data.len();
                (oid_name(&oid), (len.saturating_sub(1) / 2 * 8) as u32)
            }
            None => ("unknown curve".to_string(), 0),
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
        Ok(PublicKey::DSA(_)) => "DSA".to_string(),
        _ => oid_name(alg),
    };
    KeyInfo {
        algorithm,
        bits,
        curve: None,
    }
}

fn ip_string(bytes: &[u8]) -> String {
    match bytes.len() {
        4 => {
            let octets: [u8; 4] = [bytes[0], bytes[1], bytes[2], bytes[3]];
            IpAddr::from(octets).to_string()
        }
        16 => {
            let mut octets = [0u8; 16];
            octets.copy_from_slice(bytes);
            IpAddr::from(octets).to_string()
        }
        _ => format!("invalid IP ({})", hex(bytes)),
    }
}

fn ip_constraint_string(bytes: &[u8]) -> String {
    // Name constraints carry address and mask back to back.
    let half = bytes.len() / 2;
    if bytes.len() == 8 || bytes.len() == 32 {
        let prefix: u32 = bytes[half..].iter().map(|b| b.count_ones()).sum();
        format!("{}/{}", ip_string(&bytes[..half]), prefix)
    } else {
        ip_string(bytes)
    }
}

fn general_name_string(name: &GeneralName<'_>) -> String {
    match name {
        GeneralName::DNSName(dns) => format!("DNS:{dns}"),
        GeneralName::IPAddress(bytes) => format!("IP:{}", ip_constraint_string(bytes)),
        GeneralName::RFC822Name(mail) => format!("email:{mail}"),
        GeneralName::URI(uri) => format!("URI:{uri}"),
        GeneralName::DirectoryName(dn) => format!("DirName:{dn}"),
        other => format!("{other:?}"),
    }
}
