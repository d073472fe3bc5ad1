//! rustls itself (uv, deno, reqwest with rustls, cargo's rustls backend): its own
//! `WebPkiServerVerifier` is run on the presented chain under the client's store, so the verdict
//! and the words are rustls's (`invalid peer certificate: UnknownIssuer`, ...).
//!
//! Source: rustls 0.23 `src/webpki/server_verifier.rs` (`verify_server_cert`), `src/error.rs`
//! (the `Display` of `Error::InvalidCertificate`).

use std::sync::Arc;

use rustls::RootCertStore;
use rustls::client::WebPkiServerVerifier;
use rustls::client::danger::ServerCertVerifier;
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use time::OffsetDateTime;

use crate::chain::Chain;
use crate::target::Host;
use crate::trust::TrustStore;
use crate::trust::store::CaFileState;

/// What rustls says of the chain under `stores` for `name`: `None` when it accepts, else the
/// error as rustls prints it. Without a name (a file without `--host`) the name is not checked.
pub fn verify(
    chain: &Chain,
    stores: &[&TrustStore],
    name: Option<&Host>,
    now: OffsetDateTime,
) -> Option<String> {
    let ders: Vec<CertificateDer<'_>> = chain
        .certs
        .iter()
        .map(|c| CertificateDer::from(c.der()))
        .collect();
    let (end_entity, intermediates) = ders.split_first()?;
    // A server signs the handshake with the leaf's key, and ring verifies RSA signatures only
    // from 2048 bits: rustls refuses a smaller RSA leaf whatever the chain.
    if let Some(leaf) = chain.leaf()
        && leaf.key.kind() == crate::chain::KeyKind::Rsa
        && leaf.key.bits < crate::chain::MIN_RSA_BITS
    {
        return Some("invalid peer certificate: BadSignature".into());
    }
    // A CA file a rustls program reads itself (rustls-pki-types' PEM reader): a missing file is
    // an I/O error, one without PEM certificates gives it no anchors.
    if let Some(file) = stores.iter().find_map(|s| s.file.as_ref()) {
        match file.state {
            CaFileState::Missing => {
                return Some(format!(
                    "{}: No such file or directory (os error 2)",
                    file.path.display()
                ));
            }
            CaFileState::Unreadable => {
                return Some(format!(
                    "{}: Is a directory (os error 21)",
                    file.path.display()
                ));
            }
            CaFileState::NoPemCertificate | CaFileState::Pem => {}
        }
    }
    let usable: Vec<&TrustStore> = stores
        .iter()
        .copied()
        .filter(|s| s.file.as_ref().is_none_or(|f| f.state == CaFileState::Pem))
        .collect();
    // A ClientConfig with no root at all trusts nothing: every chain is an unknown issuer.
    if usable.iter().all(|s| s.anchors.is_empty()) {
        return Some("invalid peer certificate: UnknownIssuer".into());
    }
    let verifier = match usable.as_slice() {
        // One store (the usual case): its verifier is built once and shared by every target.
        [one] => one.rustls_verifier.get(|| one.trust_anchors()),
        many => {
            let roots = RootCertStore {
                roots: many.iter().flat_map(|s| s.trust_anchors()).collect(),
            };
            WebPkiServerVerifier::builder_with_provider(Arc::new(roots), crate::connect::provider())
                .build()
                .map_err(|e| e.to_string())
        }
    };
    let verifier = match verifier {
        Ok(verifier) => verifier,
        Err(err) => return Some(err),
    };
    let server_name = match name {
        Some(Host::Dns(dns)) => ServerName::try_from(dns.clone()).ok(),
        Some(Host::Ip(ip)) => Some(ServerName::IpAddress((*ip).into())),
        None => None,
    };
    let at = UnixTime::since_unix_epoch(std::time::Duration::from_secs(
        u64::try_from(now.unix_timestamp()).unwrap_or(0),
    ));
    let result = match &server_name {
        Some(server_name) => {
            verifier.verify_server_cert(end_entity, intermediates, server_name, &[], at)
        }
        // Any name the leaf holds stands in, so that only the path is judged.
        None => {
            let stand_in = chain
                .leaf()
                .and_then(|leaf| leaf.dns_names.first().cloned())
                .and_then(|dns| ServerName::try_from(dns).ok());
            match stand_in {
                Some(stand_in) => {
                    verifier.verify_server_cert(end_entity, intermediates, &stand_in, &[], at)
                }
                None => return path_only(chain, stores, now),
            }
        }
    };
    result.err().map(|err| err.to_string())
}

/// rustls's path check without a name to check (a leaf without DNS names and no `--host`):
/// webpki's verdict, in the words rustls gives its most common errors.
fn path_only(chain: &Chain, stores: &[&TrustStore], now: OffsetDateTime) -> Option<String> {
    let owned: Vec<TrustStore> = stores.iter().map(|s| (*s).clone()).collect();
    let results = crate::trust::replay(chain, &[], None, &owned, now);
    let error = results.iter().find_map(|r| r.path.as_ref().err())?;
    Some(format!("invalid peer certificate: {error:?}"))
}
