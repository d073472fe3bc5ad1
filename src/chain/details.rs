//! Every field of a certificate, for `certcheck show`: what `openssl x509 -text` prints, as data
//! (the human text is written from it by `render::show`, the JSON is this type itself).
//!
//! Built on demand from the DER, apart from [`CertInfo`](super::CertInfo), which keeps only what
//! the checks reason about: a fleet run never pays for fields that only `show` prints.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;
use x509_parser::der_parser::asn1_rs::FromDer as _;
use x509_parser::der_parser::oid::Oid;
use x509_parser::extensions::{DistributionPointName, ParsedExtension};
use x509_parser::objects::{oid_registry, oid2sn};
use x509_parser::public_key::PublicKey;

use super::names::{general_name_string, name_string};
use super::oid::oid_name;
use super::parse::parse_certificate;
use super::x509::parse_x509;
use super::{Fingerprint, hex};

/// Every field of one certificate (certcheck addition, `show` only).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct CertDetails {
    /// X.509 version: 1, 2 or 3.
    pub version: u32,
    /// The serial number, lower-case hex.
    pub serial: String,
    /// The serial number in decimal when it fits in 128 bits (as `openssl x509 -text` prints small ones).
    pub serial_decimal: Option<String>,
    /// The signature algorithm's name, e.g. `sha256WithRSAEncryption`.
    pub signature_algorithm: String,
    /// Its dotted OID.
    pub signature_algorithm_oid: String,
    /// The issuer's distinguished name.
    pub issuer: String,
    /// The subject's distinguished name.
    pub subject: String,
    /// notBefore, RFC 3339.
    pub not_before: String,
    /// notAfter, RFC 3339.
    pub not_after: String,
    /// The subject public key.
    pub public_key: PublicKeyDetails,
    /// Fingerprints of the whole certificate (DER).
    pub fingerprints: Fingerprints,
    /// subjectAltName entries as `DNS:name`, `IP:addr`, `email:...`, `URI:...`.
    pub subject_alt_names: Vec<String>,
    /// basicConstraints, when present.
    pub basic_constraints: Option<BasicConstraintsDetails>,
    /// keyUsage bits by name, when the extension is present.
    pub key_usage: Option<Vec<String>>,
    /// extendedKeyUsage purposes by name (or dotted OID), when the extension is present.
    pub extended_key_usage: Option<Vec<String>>,
    /// subjectKeyIdentifier, lower-case hex.
    pub subject_key_id: Option<String>,
    /// authorityKeyIdentifier keyIdentifier, lower-case hex.
    pub authority_key_id: Option<String>,
    /// Authority Information Access: OCSP responder URLs.
    pub ocsp_urls: Vec<String>,
    /// Authority Information Access: CA Issuers URLs (where the issuer can be downloaded).
    pub ca_issuer_urls: Vec<String>,
    /// CRL distribution points (full names, e.g. `URI:http://...`).
    pub crl_distribution_points: Vec<String>,
    /// certificatePolicies: each policy OID with its name when known and its CPS URIs.
    pub policies: Vec<PolicyDetails>,
    /// Embedded signed certificate timestamps.
    pub scts: Vec<SctDetails>,
    /// nameConstraints, when present.
    pub name_constraints: Option<NameConstraintsDetails>,
    /// Every extension in order, with its critical flag.
    pub extensions: Vec<ExtensionDetails>,
}

/// A public key, described.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct PublicKeyDetails {
    /// `RSA`, `EC`, `Ed25519`, `Ed448`, `DSA` or the algorithm's OID.
    pub algorithm: String,
    /// Key size in bits (0 when unknown).
    pub bits: u32,
    /// The named curve of an EC key.
    pub curve: Option<String>,
    /// The public exponent of an RSA key.
    pub rsa_exponent: Option<u64>,
    /// SHA-256 of the SubjectPublicKeyInfo, lower-case hex (the value key pinning uses).
    pub spki_sha256: String,
}

/// A certificate's fingerprints.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct Fingerprints {
    /// SHA-1 of the DER, lower-case hex (what older tools and Windows show).
    pub sha1: String,
    /// SHA-256 of the DER, lower-case hex.
    pub sha256: String,
}

/// basicConstraints.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct BasicConstraintsDetails {
    /// cA.
    pub ca: bool,
    /// pathLenConstraint, when present.
    pub path_len: Option<u32>,
    /// The extension's critical flag.
    pub critical: bool,
}

/// One certificate policy.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct PolicyDetails {
    /// The policy's dotted OID.
    pub oid: String,
    /// What the OID is, when certcheck knows it (CA/Browser Forum validation levels).
    pub name: Option<String>,
    /// CPS pointer qualifiers (URIs).
    pub cps: Vec<String>,
}

pub use super::SctDetails;

/// nameConstraints.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct NameConstraintsDetails {
    /// Permitted subtrees, e.g. `DNS:example.com`.
    pub permitted: Vec<String>,
    /// Excluded subtrees.
    pub excluded: Vec<String>,
    /// The extension's critical flag.
    pub critical: bool,
}

/// One extension as it appears.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct ExtensionDetails {
    /// Dotted OID.
    pub oid: String,
    /// Its registered short name, when known (e.g. `subjectAltName`).
    pub name: Option<String>,
    /// The critical flag.
    pub critical: bool,
    /// Whether certcheck (x509-parser) understands the extension.
    pub known: bool,
}

/// Every field of the certificate `der`; the error is a sentence saying why it does not parse.
pub fn describe(der: &[u8]) -> Result<CertDetails, String> {
    let info = parse_certificate(der)?;
    let cert = parse_x509(der, true)?;
    let tbs = &cert.tbs_certificate;
    let sha1 = ring::digest::digest(&ring::digest::SHA1_FOR_LEGACY_USE_ONLY, der);
    let spki = Fingerprint::of(&info.spki_der);
    let rsa_exponent = match tbs.subject_pki.parsed() {
        Ok(PublicKey::RSA(rsa)) => rsa.try_exponent().ok(),
        _ => None,
    };
    let mut details = CertDetails {
        version: info.version,
        serial_decimal: decimal(tbs.raw_serial()),
        serial: info.serial.clone(),
        signature_algorithm: info.signature_algorithm.to_string(),
        signature_algorithm_oid: info.signature_algorithm_oid.clone(),
        issuer: name_string(tbs.issuer()),
        subject: name_string(tbs.subject()),
        not_before: rfc3339(info.not_before),
        not_after: rfc3339(info.not_after),
        public_key: PublicKeyDetails {
            algorithm: info.key.algorithm.to_string(),
            bits: info.key.bits,
            curve: info.key.curve.as_ref().map(ToString::to_string),
            rsa_exponent,
            spki_sha256: spki.to_string(),
        },
        fingerprints: Fingerprints {
            sha1: hex(sha1.as_ref()),
            sha256: info.sha256.to_string(),
        },
        subject_alt_names: Vec::new(),
        basic_constraints: None,
        key_usage: info.key_usage.clone(),
        extended_key_usage: info.ext_key_usage.clone(),
        subject_key_id: info.subject_key_id.clone(),
        authority_key_id: info.authority_key_id.clone(),
        ocsp_urls: info.ocsp_urls.clone(),
        ca_issuer_urls: info.ca_issuer_urls.clone(),
        crl_distribution_points: Vec::new(),
        policies: Vec::new(),
        scts: Vec::new(),
        name_constraints: None,
        extensions: Vec::new(),
    };
    for ext in tbs.extensions() {
        details.extensions.push(ExtensionDetails {
            oid: ext.oid.to_id_string(),
            name: oid2sn(&ext.oid, oid_registry()).ok().map(str::to_string),
            critical: ext.critical,
            known: !matches!(
                ext.parsed_extension(),
                ParsedExtension::UnsupportedExtension { .. } | ParsedExtension::Unparsed
            ),
        });
        match ext.parsed_extension() {
            ParsedExtension::SubjectAlternativeName(san) => {
                details
                    .subject_alt_names
                    .extend(san.general_names.iter().map(general_name_string));
            }
            ParsedExtension::BasicConstraints(bc) => {
                details.basic_constraints = Some(BasicConstraintsDetails {
                    ca: bc.ca,
                    path_len: bc.path_len_constraint,
                    critical: ext.critical,
                });
            }
            ParsedExtension::CRLDistributionPoints(points) => {
                for point in points.iter() {
                    match &point.distribution_point {
                        Some(DistributionPointName::FullName(names)) => details
                            .crl_distribution_points
                            .extend(names.iter().map(general_name_string)),
                        Some(DistributionPointName::NameRelativeToCRLIssuer(_)) => details
                            .crl_distribution_points
                            .push("(a name relative to the CRL issuer)".into()),
                        None => {}
                    }
                }
            }
            ParsedExtension::CertificatePolicies(policies) => {
                for policy in policies.iter() {
                    let oid = policy.policy_id.to_id_string();
                    let cps = policy
                        .policy_qualifiers
                        .iter()
                        .flatten()
                        .filter(|q| q.policy_qualifier_id.to_id_string() == CPS_QUALIFIER)
                        .filter_map(|q| ia5_string(q.qualifier))
                        .collect();
                    details.policies.push(PolicyDetails {
                        name: policy_name(&oid, &policy.policy_id),
                        oid,
                        cps,
                    });
                }
            }
            ParsedExtension::SCT(scts) => {
                details.scts = scts.iter().map(super::sct_details).collect();
            }
            ParsedExtension::NameConstraints(nc) => {
                details.name_constraints = Some(NameConstraintsDetails {
                    permitted: super::parse::subtree_names(&nc.permitted_subtrees),
                    excluded: super::parse::subtree_names(&nc.excluded_subtrees),
                    critical: ext.critical,
                });
            }
            _ => {}
        }
    }
    Ok(details)
}

/// id-qt-cps, the CPS pointer policy qualifier.
const CPS_QUALIFIER: &str = "1.3.6.1.5.5.7.2.1";

/// The CA/Browser Forum's policy OIDs and anyPolicy, by name.
fn policy_name(dotted: &str, oid: &Oid<'_>) -> Option<String> {
    let known = match dotted {
        "2.23.140.1.1" => "CA/Browser Forum Extended Validation",
        "2.23.140.1.2.1" => "CA/Browser Forum Domain Validated",
        "2.23.140.1.2.2" => "CA/Browser Forum Organization Validated",
        "2.23.140.1.2.3" => "CA/Browser Forum Individual Validated",
        "2.5.29.32.0" => "anyPolicy",
        _ => {
            let name = oid_name(oid);
            return (name != dotted).then_some(name);
        }
    };
    Some(known.to_string())
}

/// The text of a DER IA5String (a CPS URI).
fn ia5_string(der: &[u8]) -> Option<String> {
    x509_parser::der_parser::asn1_rs::Ia5String::from_der(der)
        .ok()
        .map(|(_, s)| s.string())
        .or_else(|| std::str::from_utf8(der).ok().map(str::to_string))
}

/// A big-endian unsigned integer in decimal, when it fits in 128 bits.
fn decimal(bytes: &[u8]) -> Option<String> {
    let digits = match bytes.iter().position(|&b| b != 0) {
        Some(first) => &bytes[first..],
        None => return Some("0".into()),
    };
    if digits.len() > 16 {
        return None;
    }
    let value = digits
        .iter()
        .fold(0u128, |acc, &b| (acc << 8) | u128::from(b));
    Some(value.to_string())
}

fn rfc3339(at: OffsetDateTime) -> String {
    at.format(&Rfc3339).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn serials_are_also_decimal_when_small() {
        assert_eq!(decimal(&[0x00, 0x01, 0x00]).as_deref(), Some("256"));
        assert_eq!(decimal(&[0]).as_deref(), Some("0"));
        assert_eq!(decimal(&[0xff; 20]), None);
    }

    #[test]
    fn every_field_of_a_generated_leaf() {
        use crate::demo::pki::{Authority, Spec};
        let now = time::macros::datetime!(2030-01-01 00:00:00 UTC);
        let root = Authority::root(&Spec::ca("Details Root", now)).expect("root");
        let leaf = root.leaf(&Spec::leaf(&["d.test"], now)).expect("leaf");
        let details = describe(&leaf.der).expect("parses");
        assert_eq!(details.version, 3);
        assert_eq!(details.subject_alt_names, ["DNS:d.test"]);
        assert_eq!(details.fingerprints.sha1.len(), 40);
        assert_eq!(
            details.fingerprints.sha256,
            Fingerprint::of(&leaf.der).to_string()
        );
        assert!(
            details
                .extensions
                .iter()
                .any(|e| e.name.as_deref() == Some("subjectAltName"))
        );
        assert_eq!(details.issuer, "CN=Details Root");
        assert!(describe(b"\x30\x03\x02\x01\x01").is_err());
    }
}
