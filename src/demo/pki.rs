//! Test PKI generated at run time with rcgen, by role: root → intermediate → leaf.
//!
//! Used by `certcheck demo` and by the test suite, so nothing with a date is ever committed.

use rcgen::{
    BasicConstraints, CertificateParams, CertifiedIssuer, CustomExtension, DnType,
    ExtendedKeyUsagePurpose, GeneralSubtree, IsCa, KeyPair, KeyUsagePurpose, NameConstraints,
};
use time::{Duration, OffsetDateTime};

/// An error while generating test certificates.
pub type PkiError = rcgen::Error;

/// What to put in one certificate.
#[derive(Clone, Debug)]
pub struct Spec {
    /// Subject common name.
    pub common_name: String,
    /// subjectAltName entries: IP addresses become IP entries, everything else DNS names.
    pub names: Vec<String>,
    /// notBefore.
    pub not_before: OffsetDateTime,
    /// notAfter.
    pub not_after: OffsetDateTime,
    /// A CA certificate (basicConstraints cA=TRUE) with this pathLenConstraint, or a leaf.
    pub ca: Option<Option<u8>>,
    /// Extended key usages (leaves get serverAuth by default).
    pub eku: Vec<ExtendedKeyUsagePurpose>,
    /// An AIA caIssuers URL.
    pub ca_issuers_url: Option<String>,
    /// Permitted DNS subtrees of a name-constraints extension (CA only).
    pub permitted_dns: Vec<String>,
    /// Extra raw extensions.
    pub extensions: Vec<CustomExtension>,
}

impl Spec {
    /// A CA valid from a day before `now` for ten years.
    pub fn ca(common_name: &str, now: OffsetDateTime) -> Spec {
        Spec {
            common_name: common_name.into(),
            names: Vec::new(),
            not_before: now - Duration::days(1),
            not_after: now + Duration::days(3650),
            ca: Some(None),
            eku: Vec::new(),
            ca_issuers_url: None,
            permitted_dns: Vec::new(),
            extensions: Vec::new(),
        }
    }

    /// A server leaf for `names`, valid from a day before `now` until 45 days after (46 days in all,
    /// within every CA/Browser Forum limit).
    pub fn leaf(names: &[&str], now: OffsetDateTime) -> Spec {
        Spec {
            common_name: names.first().copied().unwrap_or("leaf").into(),
            names: names.iter().map(|n| n.to_string()).collect(),
            not_before: now - Duration::days(1),
            not_after: now + Duration::days(45),
            ca: None,
            eku: vec![ExtendedKeyUsagePurpose::ServerAuth],
            ca_issuers_url: None,
            permitted_dns: Vec::new(),
            extensions: Vec::new(),
        }
    }

    /// Sets the validity window.
    pub fn valid(mut self, not_before: OffsetDateTime, not_after: OffsetDateTime) -> Spec {
        self.not_before = not_before;
        self.not_after = not_after;
        self
    }

    /// Sets the AIA caIssuers URL.
    pub fn ca_issuers(mut self, url: &str) -> Spec {
        self.ca_issuers_url = Some(url.into());
        self
    }

    /// Adds an authorityInfoAccess extension with one OCSP URL (a certificate given both this
    /// and [`Spec::ca_issuers`] carries two AIA extensions; use one).
    pub fn ocsp(mut self, url: &str) -> Spec {
        self.extensions.push(aia_ocsp(url));
        self
    }

    /// Adds a cRLDistributionPoints extension with one URL.
    pub fn crl(mut self, url: &str) -> Spec {
        self.extensions.push(crl_distribution_point(url));
        self
    }

    fn params(&self) -> Result<CertificateParams, PkiError> {
        let mut params = CertificateParams::new(self.names.clone())?;
        params
            .distinguished_name
            .push(DnType::CommonName, self.common_name.clone());
        params.not_before = self.not_before;
        params.not_after = self.not_after;
        params.use_authority_key_identifier_extension = true;
        match self.ca {
            Some(path_len) => {
                params.is_ca = IsCa::Ca(match path_len {
                    Some(n) => BasicConstraints::Constrained(n),
                    None => BasicConstraints::Unconstrained,
                });
                params.key_usages = vec![
                    KeyUsagePurpose::KeyCertSign,
                    KeyUsagePurpose::CrlSign,
                    KeyUsagePurpose::DigitalSignature,
                ];
            }
            None => {
                params.is_ca = IsCa::ExplicitNoCa;
                params.key_usages = vec![KeyUsagePurpose::DigitalSignature];
            }
        }
        params.extended_key_usages = self.eku.clone();
        if !self.permitted_dns.is_empty() {
            params.name_constraints = Some(NameConstraints {
                permitted_subtrees: self
                    .permitted_dns
                    .iter()
                    .map(|d| GeneralSubtree::DnsName(d.clone()))
                    .collect(),
                excluded_subtrees: Vec::new(),
            });
        }
        if let Some(url) = &self.ca_issuers_url {
            params.custom_extensions.push(aia_ca_issuers(url));
        }
        params
            .custom_extensions
            .extend(self.extensions.iter().cloned());
        Ok(params)
    }
}

/// An authorityInfoAccess extension with one caIssuers URL.
pub fn aia_ca_issuers(url: &str) -> CustomExtension {
    let content = yasna::construct_der(|w| {
        w.write_sequence(|w| {
            w.next().write_sequence(|w| {
                w.next()
                    .write_oid(&yasna::models::ObjectIdentifier::from_slice(&[
                        1, 3, 6, 1, 5, 5, 7, 48, 2,
                    ]));
                w.next()
                    .write_tagged_implicit(yasna::Tag::context(6), |w| w.write_ia5_string(url));
            })
        })
    });
    CustomExtension::from_oid_content(&[1, 3, 6, 1, 5, 5, 7, 1, 1], content)
}

/// An authorityInfoAccess extension with one OCSP URL (id-ad-ocsp).
pub fn aia_ocsp(url: &str) -> CustomExtension {
    let content = yasna::construct_der(|w| {
        w.write_sequence(|w| {
            w.next().write_sequence(|w| {
                w.next()
                    .write_oid(&yasna::models::ObjectIdentifier::from_slice(&[
                        1, 3, 6, 1, 5, 5, 7, 48, 1,
                    ]));
                w.next()
                    .write_tagged_implicit(yasna::Tag::context(6), |w| w.write_ia5_string(url));
            })
        })
    });
    CustomExtension::from_oid_content(&[1, 3, 6, 1, 5, 5, 7, 1, 1], content)
}

/// A cRLDistributionPoints extension with one distribution point, a fullName URI.
pub fn crl_distribution_point(url: &str) -> CustomExtension {
    let content = yasna::construct_der(|w| {
        w.write_sequence(|w| {
            // DistributionPoint ::= SEQUENCE { distributionPoint [0] DistributionPointName }
            w.next().write_sequence(|w| {
                w.next().write_tagged(yasna::Tag::context(0), |w| {
                    // fullName [0] GeneralNames (IMPLICIT), one uniformResourceIdentifier [6]
                    w.write_tagged_implicit(yasna::Tag::context(0), |w| {
                        w.write_sequence(|w| {
                            w.next().write_tagged_implicit(yasna::Tag::context(6), |w| {
                                w.write_ia5_string(url)
                            })
                        })
                    })
                })
            })
        })
    });
    CustomExtension::from_oid_content(&[2, 5, 29, 31], content)
}

/// One revoked certificate of a CRL made by [`Authority::crl`].
#[derive(Clone, Debug)]
pub struct RevokedEntry {
    /// The certificate's serial number, as its DER INTEGER content.
    pub serial: Vec<u8>,
    /// When it was revoked.
    pub at: OffsetDateTime,
    /// Why, if said.
    pub reason: Option<rcgen::RevocationReason>,
}

/// A certificate that can issue others.
pub struct Authority {
    issuer: CertifiedIssuer<'static, KeyPair>,
}

impl Authority {
    /// A self-signed root.
    pub fn root(spec: &Spec) -> Result<Authority, PkiError> {
        Ok(Authority {
            issuer: CertifiedIssuer::self_signed(spec.params()?, KeyPair::generate()?)?,
        })
    }

    /// An intermediate signed by `self`.
    pub fn intermediate(&self, spec: &Spec) -> Result<Authority, PkiError> {
        Ok(Authority {
            issuer: CertifiedIssuer::signed_by(spec.params()?, KeyPair::generate()?, &self.issuer)?,
        })
    }

    /// A leaf signed by `self`.
    pub fn leaf(&self, spec: &Spec) -> Result<Leaf, PkiError> {
        let key = KeyPair::generate()?;
        let cert = spec.params()?.signed_by(&key, &self.issuer)?;
        Ok(Leaf {
            der: cert.der().to_vec(),
            key_der: key.serialize_der(),
        })
    }

    /// The DER certificate.
    pub fn der(&self) -> Vec<u8> {
        self.issuer.der().to_vec()
    }

    /// The PEM certificate.
    pub fn pem(&self) -> String {
        self.issuer.pem()
    }

    /// Signs `message` with this authority's private key, for signed structures other than
    /// certificates (OCSP responses in the tests). The signature is DER ECDSA with
    /// [`Authority::SIGNATURE_ALGORITHM_OID`]: authorities are generated with P-256 keys.
    pub fn sign(&self, message: &[u8]) -> Result<Vec<u8>, PkiError> {
        use rcgen::SigningKey;
        self.issuer.key().sign(message)
    }

    /// A DER CRL signed by this authority, valid from `this_update` to `next_update`, listing
    /// `revoked` (for the tests of `--check-revocation`).
    pub fn crl(
        &self,
        this_update: OffsetDateTime,
        next_update: OffsetDateTime,
        revoked: &[RevokedEntry],
    ) -> Result<Vec<u8>, PkiError> {
        let params = rcgen::CertificateRevocationListParams {
            this_update,
            next_update,
            crl_number: rcgen::SerialNumber::from_slice(&[1]),
            issuing_distribution_point: None,
            revoked_certs: revoked
                .iter()
                .map(|entry| rcgen::RevokedCertParams {
                    serial_number: rcgen::SerialNumber::from_slice(&entry.serial),
                    revocation_time: entry.at,
                    reason_code: entry.reason,
                    invalidity_date: None,
                })
                .collect(),
            key_identifier_method: rcgen::KeyIdMethod::Sha256,
        };
        Ok(params.signed_by(&self.issuer)?.der().to_vec())
    }

    /// The signature algorithm of [`Authority::sign`]: ecdsa-with-SHA256 (no parameters).
    pub const SIGNATURE_ALGORITHM_OID: &'static str = "1.2.840.10045.4.3.2";
}

/// An end-entity certificate and its private key.
#[derive(Clone, Debug)]
pub struct Leaf {
    /// DER certificate.
    pub der: Vec<u8>,
    /// PKCS#8 DER private key.
    pub key_der: Vec<u8>,
}

impl Leaf {
    /// A self-signed leaf.
    pub fn self_signed(spec: &Spec) -> Result<Leaf, PkiError> {
        let key = KeyPair::generate()?;
        let cert = spec.params()?.self_signed(&key)?;
        Ok(Leaf {
            der: cert.der().to_vec(),
            key_der: key.serialize_der(),
        })
    }
}
