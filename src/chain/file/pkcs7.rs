//! PKCS#7 / CMS SignedData bundles (`.p7b`, `.p7c`), in PEM or DER.

use super::{LoadedCert, Position};

/// The certificates of a PKCS#7 / CMS SignedData (`.p7b`, `.p7c`), leaf first.
///
/// A SET OF has no order, so the leaf is the certificate that issued none of the others (an end
/// entity when there is one), followed by its issuers in path order, then anything unrelated.
pub(super) fn load_pkcs7(der: &[u8], position: Position) -> Result<Vec<LoadedCert>, String> {
    use cms::cert::x509::der::{Decode, Encode};
    let info = cms::content_info::ContentInfo::from_der(der)
        .map_err(|e| format!("not a PKCS#7 structure ({e})"))?;
    let signed = info
        .content
        .decode_as::<cms::signed_data::SignedData>()
        .map_err(|e| format!("PKCS#7 content is not SignedData ({e})"))?;
    let mut ders = Vec::new();
    for choice in signed.certificates.iter().flat_map(|set| set.0.iter()) {
        if let cms::cert::CertificateChoices::Certificate(cert) = choice {
            ders.push(
                cert.to_der()
                    .map_err(|e| format!("a PKCS#7 certificate cannot be re-encoded ({e})"))?,
            );
        }
    }
    Ok(order_as_chain(ders)
        .into_iter()
        .enumerate()
        .map(|(i, der)| LoadedCert {
            der,
            position: Position {
                pkcs7_member: Some(i + 1),
                ..position
            },
        })
        .collect())
}

/// Subject, issuer and cA flag of a certificate, for ordering.
type Names = (Vec<u8>, Vec<u8>, bool);

fn order_as_chain(ders: Vec<Vec<u8>>) -> Vec<Vec<u8>> {
    let parsed: Vec<Option<Names>> = ders
        .iter()
        .map(|d| {
            let (_, c) = x509_parser::parse_x509_certificate(d).ok()?;
            Some((
                c.subject().as_raw().to_vec(),
                c.issuer().as_raw().to_vec(),
                c.is_ca(),
            ))
        })
        .collect();
    let issues_another = |i: usize| {
        parsed[i].as_ref().is_some_and(|(subject, _, _)| {
            parsed.iter().enumerate().any(|(j, other)| {
                j != i
                    && other
                        .as_ref()
                        .is_some_and(|(s, issuer, _)| issuer == subject && s != subject)
            })
        })
    };
    let leaf = (0..ders.len())
        .find(|i| !issues_another(*i) && parsed[*i].as_ref().is_some_and(|p| !p.2))
        .or_else(|| (0..ders.len()).find(|i| !issues_another(*i)))
        .unwrap_or(0);
    let mut order = vec![leaf];
    while let Some(Some((subject, issuer, _))) = order.last().map(|i| parsed[*i].as_ref()) {
        if subject == issuer {
            break;
        }
        let next = (0..ders.len()).find(|j| {
            !order.contains(j) && parsed[*j].as_ref().is_some_and(|(s, _, _)| s == issuer)
        });
        match next {
            Some(j) => order.push(j),
            None => break,
        }
    }
    let rest: Vec<usize> = (0..ders.len()).filter(|i| !order.contains(i)).collect();
    order.extend(rest);
    let mut slots: Vec<Option<Vec<u8>>> = ders.into_iter().map(Some).collect();
    order.into_iter().filter_map(|i| slots[i].take()).collect()
}
