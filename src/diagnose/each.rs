//! `inspect --each`: every certificate on its own, with no path building: dates, key size and
//! signature algorithm. For "which certificate in this bundle expires within N days".

use super::text::{date, label_subject, relative};
use super::{Deadlines, Finding, FindingCode, Scope};
use crate::chain::{BundleCert, KeyKind};

/// Findings for each certificate of a bundle taken alone; `certs` start at index `first`.
pub fn each(certs: &[BundleCert], first: usize, deadlines: Deadlines) -> Vec<Finding> {
    let now = deadlines.now;
    let mut out = Vec::new();
    let parsed = certs
        .iter()
        .enumerate()
        .filter_map(|(i, cert)| cert.summary().map(|summary| (first + i, summary)));
    for (index, cert) in parsed {
        let who = || label_subject(index, &cert.subject);
        if cert.not_after < now {
            out.push(Finding::new(
                FindingCode::Expired,
                Some(index),
                Scope::AllStores,
                format!(
                    "{} expired on {}, {}",
                    who(),
                    date(cert.not_after),
                    relative(cert.not_after, now)
                ),
                "Remove or replace the expired certificate.",
            ));
        } else if cert.not_before > now {
            out.push(Finding::new(
                FindingCode::NotYetValid,
                Some(index),
                Scope::AllStores,
                format!(
                    "{} is not valid until {}, {}",
                    who(),
                    date(cert.not_before),
                    relative(cert.not_before, now)
                ),
                "Check the clock; otherwise the certificate is not usable before that date.",
            ));
        } else if let Some((severity, within)) = super::expiry_severity(&deadlines, cert.not_after)
        {
            let mut finding = Finding::new(
                FindingCode::ExpiringSoon,
                Some(index),
                Scope::AllStores,
                format!(
                    "{} expires on {}, {} ({within})",
                    who(),
                    date(cert.not_after),
                    relative(cert.not_after, now)
                ),
                "Renew or replace it before that date.",
            );
            finding.severity = severity;
            out.push(finding);
        }
        // The summary names no curve, and (unlike the full diagnosis) leaves DSA keys alone.
        let weak_key = match cert.key.kind() {
            KeyKind::Rsa if cert.key.below_minimum() => {
                Some(format!("an RSA key of {} bits", cert.key.bits))
            }
            KeyKind::Ec if cert.key.below_minimum() => {
                Some(format!("an EC key of {} bits", cert.key.bits))
            }
            _ => None,
        };
        if let Some(weak) = weak_key {
            out.push(Finding::new(
                FindingCode::WeakKey,
                Some(index),
                Scope::AllStores,
                format!("{} has {weak}", who()),
                "Replace it with a certificate for an RSA key of at least 2048 bits or an EC P-256 key.",
            ));
        }
        if let Some(weak) = cert.weak_signature.filter(|_| !cert.self_issued) {
            out.push(Finding::new(
                FindingCode::WeakSignatureAlgorithm,
                Some(index),
                Scope::AllStores,
                format!(
                    "{} is signed with {weak} ({})",
                    who(),
                    cert.signature_algorithm
                ),
                "Replace it with a certificate signed with SHA-256 or stronger.",
            ));
        }
    }
    out
}
