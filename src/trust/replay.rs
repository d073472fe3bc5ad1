//! Replays validation with rustls-webpki against each store, at a given time.

use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use time::OffsetDateTime;

use super::store::{StoreKind, TrustStore};
use crate::chain::Chain;
use crate::target::Host;

/// Where a certificate on a path came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PathCert {
    /// Index in the presented chain (indexes past the analysed certificates are overflow).
    Presented(usize),
    /// Index in the `--untrusted` pool.
    Pool(usize),
}

/// The path webpki built: which certificates it used and which anchor it reached.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VerifiedPath {
    /// The intermediates used, leaf-side first.
    pub intermediates: Vec<PathCert>,
    /// Index of the anchor reached in its store.
    pub anchor: usize,
    /// The anchor's subject.
    pub anchor_subject: String,
}

/// The verdict of one store.
#[derive(Clone, Debug)]
pub struct TrustResult {
    /// Which store.
    pub kind: StoreKind,
    /// Index of the store in the configured list.
    pub store_index: usize,
    /// Where the store came from.
    pub source: String,
    /// The path webpki built, or its error.
    pub path: Result<VerifiedPath, webpki::Error>,
    /// webpki's name check, when a name was asked for (independent of the path).
    pub name: Option<Result<(), webpki::Error>>,
}

/// Converts a time for webpki; instants before 1970 become the epoch.
pub fn unix_time(at: OffsetDateTime) -> UnixTime {
    let secs = u64::try_from(at.unix_timestamp()).unwrap_or(0);
    UnixTime::since_unix_epoch(std::time::Duration::from_secs(secs))
}

/// Replays path validation for `chain` against every store, plus the name check.
///
/// `pool` holds extra intermediates (`inspect --untrusted`) that may be used to build the path.
pub fn replay(
    chain: &Chain,
    pool: &[Vec<u8>],
    name: Option<&Host>,
    stores: &[TrustStore],
    now: OffsetDateTime,
) -> Vec<TrustResult> {
    let algorithms = rustls::crypto::ring::default_provider()
        .signature_verification_algorithms
        .all;
    let time = unix_time(now);
    let Some(leaf_der) = chain.certs.first().map(|c| CertificateDer::from(c.der())) else {
        return Vec::new();
    };
    let presented: Vec<&[u8]> = chain
        .certs
        .iter()
        .map(|c| c.der())
        .chain(chain.overflow.iter().map(Vec::as_slice))
        .collect();
    let intermediates: Vec<CertificateDer<'_>> = presented
        .iter()
        .skip(1)
        .map(|d| CertificateDer::from(*d))
        .chain(pool.iter().map(|d| CertificateDer::from(d.as_slice())))
        .collect();
    let locate = |der: &[u8]| {
        presented
            .iter()
            .skip(1)
            .position(|d| *d == der)
            .map(|i| PathCert::Presented(i + 1))
            .or_else(|| {
                pool.iter()
                    .position(|d| d.as_slice() == der)
                    .map(PathCert::Pool)
            })
    };
    let end_entity = webpki::EndEntityCert::try_from(&leaf_der);
    let server_name = name.and_then(|host| match host {
        Host::Dns(dns) => ServerName::try_from(dns.as_str()).ok(),
        Host::Ip(ip) => Some(ServerName::IpAddress((*ip).into())),
    });

    stores
        .iter()
        .enumerate()
        .map(|(store_index, store)| {
            let anchors = store.trust_anchors();
            let (path, name_check) = match &end_entity {
                Ok(ee) => {
                    let path = ee
                        .verify_for_usage(
                            algorithms,
                            &anchors,
                            &intermediates,
                            time,
                            webpki::KeyUsage::server_auth(),
                            None,
                            None,
                        )
                        .map(|verified| {
                            let used = verified
                                .intermediate_certificates()
                                .filter_map(|cert| locate(cert.der().as_ref()))
                                .collect();
                            let reached = verified.anchor();
                            let anchor = anchors
                                .iter()
                                .position(|a| {
                                    a.subject == reached.subject
                                        && a.subject_public_key_info
                                            == reached.subject_public_key_info
                                })
                                .unwrap_or(0);
                            VerifiedPath {
                                intermediates: used,
                                anchor,
                                anchor_subject: store
                                    .anchors
                                    .get(anchor)
                                    .map(|a| a.subject())
                                    .unwrap_or_default(),
                            }
                        });
                    let name_check = match (&server_name, name) {
                        (Some(sn), _) => Some(ee.verify_is_valid_for_subject_name(sn)),
                        (None, Some(_)) => Some(Err(webpki::Error::MalformedDnsIdentifier)),
                        (None, None) => None,
                    };
                    (path, name_check)
                }
                Err(err) => (Err(err.clone()), name.map(|_| Err(err.clone()))),
            };
            TrustResult {
                kind: store.kind,
                store_index,
                source: store.source.clone(),
                path,
                name: name_check,
            }
        })
        .collect()
}
