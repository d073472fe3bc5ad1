//! Replays validation with rustls-webpki against each store, at a given time.

use rustls::pki_types::{CertificateDer, ServerName, TrustAnchor, UnixTime};
use time::OffsetDateTime;

use super::store::{StoreKind, TrustStore};
use crate::chain::{Chain, Fingerprint};
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
    /// The presented or pool certificates this store blocks (its `blocked` list), which were
    /// kept out of path building (a blocked leaf fails the path outright).
    pub blocked: Vec<PathCert>,
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

    // The names a path can reach an anchor by: every issuer offered. Only anchors with one of
    // them as subject are given to webpki (it matches anchors by exactly these bytes), so a
    // large store costs a filter, not a copy of every anchor, per chain. Certificates that were
    // not parsed (overflow, an unparsable one, the pool's DER) make every anchor a candidate.
    let issuers: Option<Vec<&[u8]>> = (chain.overflow.is_empty()
        && pool.is_empty()
        && chain.certs.iter().all(|c| c.info().is_some()))
    .then(|| {
        chain
            .parsed()
            .map(|(_, c)| c.issuer_raw.as_slice())
            .collect()
    });
    let fingerprints: Vec<(PathCert, [u8; 32])> = if stores.iter().any(|s| !s.blocked.is_empty()) {
        presented
            .iter()
            .enumerate()
            .map(|(i, der)| (PathCert::Presented(i), *der))
            .chain(
                pool.iter()
                    .enumerate()
                    .map(|(i, der)| (PathCert::Pool(i), der.as_slice())),
            )
            .map(|(at, der)| (at, Fingerprint::of(der).0))
            .collect()
    } else {
        Vec::new()
    };

    stores
        .iter()
        .enumerate()
        .map(|(store_index, store)| {
            let (indexes, anchors): (Vec<usize>, Vec<TrustAnchor<'static>>) = store
                .anchors
                .iter()
                .enumerate()
                .filter(|(_, a)| {
                    issuers
                        .as_ref()
                        .is_none_or(|names| names.contains(&a.subject_raw.as_slice()))
                })
                .map(|(i, a)| (i, a.anchor.clone()))
                .unzip();
            let blocked: Vec<PathCert> = fingerprints
                .iter()
                .filter(|(_, sha)| store.blocked.contains(sha))
                .map(|(at, _)| *at)
                .collect();
            let allowed: Vec<CertificateDer<'_>>;
            let intermediates = if blocked.is_empty() {
                &intermediates
            } else {
                let excluded = |at: PathCert| blocked.contains(&at);
                allowed = presented
                    .iter()
                    .enumerate()
                    .skip(1)
                    .filter(|(i, _)| !excluded(PathCert::Presented(*i)))
                    .map(|(_, d)| CertificateDer::from(*d))
                    .chain(
                        pool.iter()
                            .enumerate()
                            .filter(|(i, _)| !excluded(PathCert::Pool(*i)))
                            .map(|(_, d)| CertificateDer::from(d.as_slice())),
                    )
                    .collect();
                &allowed
            };
            let leaf_blocked = blocked.contains(&PathCert::Presented(0));
            let (path, name_check) = match &end_entity {
                Ok(ee) => {
                    let verified = if leaf_blocked {
                        Err(webpki::Error::UnknownIssuer)
                    } else {
                        ee.verify_for_usage(
                            algorithms,
                            &anchors,
                            intermediates,
                            time,
                            webpki::KeyUsage::server_auth(),
                            None,
                            None,
                        )
                    };
                    let path = verified.map(|verified| {
                        let used = verified
                            .intermediate_certificates()
                            .filter_map(|cert| locate(cert.der().as_ref()))
                            .collect();
                        let reached = verified.anchor();
                        let anchor = anchors
                            .iter()
                            .position(|a| {
                                a.subject == reached.subject
                                    && a.subject_public_key_info == reached.subject_public_key_info
                            })
                            .and_then(|i| indexes.get(i).copied())
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
                blocked,
            }
        })
        .collect()
}
