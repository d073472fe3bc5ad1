//! Fetching the missing intermediate, as a client that fetches would (Chrome, Edge, Safari): when
//! the presented path stops at a certificate whose issuer is neither presented nor an anchor (by
//! name) in any configured store, and that certificate names an AIA caIssuers URL, certcheck
//! fetches it (`connect::fetch`, bounded), and so on from the fetched certificate, up to
//! [`MAX_LEVELS`] fetches, stopping on a loop (a URL or a certificate seen before).
//!
//! Nothing is fetched for a complete chain, a self-signed top, with `--offline`, or for
//! `inspect` without `--fetch`. What was fetched goes to `evaluate` as [`Fetched`]: the
//! diagnosis says which stores the completed chain reaches; stores' verdicts and client
//! predictions still see only what the server sent.

use std::time::Duration;

use crate::chain::file::load_bytes;
use crate::chain::{CertInfo, Chain, parse_certificate};
use crate::connect::fetch::{
    FETCH_TIMEOUT, Fetch, FetchOutcome, FetchPurpose, FetchRecord, FetchRequest, fetch,
};
use crate::diagnose::paths::{signed_by, walk};
use crate::evaluate::{Fetched, Pool};
use crate::route::{Family, ProxyUrl};
use crate::trust::{PathCert, TrustStore};

/// The most caIssuers fetches for one target: the missing intermediate and up to three above it.
pub const MAX_LEVELS: usize = 4;

/// How fetches go out: the target's route (its proxy, without which they go direct) and bound.
#[derive(Clone, Debug)]
pub struct FetchRoute {
    /// The proxy the target was reached through, if any.
    pub proxy: Option<ProxyUrl>,
    /// `-4`/`-6`.
    pub family: Option<Family>,
    /// The bound on each fetch.
    pub timeout: Duration,
    /// The bound on all the fetches of one target together.
    pub budget: Duration,
}

impl FetchRoute {
    /// Each fetch bounded by [`FETCH_TIMEOUT`], or by `--timeout` when that is shorter, and all
    /// of a target's fetches together by `--timeout` (so a target takes at most twice
    /// `--timeout`: its connection, then its fetches).
    pub fn new(proxy: Option<ProxyUrl>, family: Option<Family>, timeout: Duration) -> FetchRoute {
        FetchRoute {
            proxy,
            family,
            timeout: timeout.min(FETCH_TIMEOUT),
            budget: timeout,
        }
    }
}

/// Whether an anchor of one of `stores` has `cert`'s issuer as its subject.
fn issuer_anchored(stores: &[TrustStore], cert: &CertInfo) -> bool {
    stores
        .iter()
        .any(|s| s.anchors_named(&cert.issuer_raw).next().is_some())
}

/// The certificate the presented path (with the `--untrusted` pool) stops at, when its issuer is
/// missing: not self-signed, and its issuer neither presented nor an anchor in any store.
pub fn missing_issuer_of<'c>(
    chain: &'c Chain,
    pool: &'c Pool,
    stores: &[TrustStore],
) -> Option<&'c CertInfo> {
    let nodes = walk(chain, &pool.infos, |c| issuer_anchored(stores, c));
    let top = match *nodes.last()? {
        PathCert::Presented(i) => chain.certs.get(i)?.info()?,
        PathCert::Pool(i) => pool.infos.get(i)?,
    };
    (!top.self_signed && !issuer_anchored(stores, top)).then_some(top)
}

/// The caIssuers URL to follow: the first http one, else the first (which is then reported as
/// not fetched).
fn ca_issuers_url(cert: &CertInfo) -> Option<&str> {
    cert.ca_issuer_urls
        .iter()
        .find(|u| {
            u.get(..7)
                .is_some_and(|s| s.eq_ignore_ascii_case("http://"))
        })
        .or_else(|| cert.ca_issuer_urls.first())
        .map(String::as_str)
}

/// Fetches the missing issuers of `chain` (see the module's documentation); nothing when the
/// chain is complete.
pub async fn fetch_missing(
    chain: &Chain,
    pool: &Pool,
    stores: &[TrustStore],
    route: &FetchRoute,
) -> Fetched {
    let mut fetched = Fetched::default();
    let Some(top) = missing_issuer_of(chain, pool, stores) else {
        return fetched;
    };
    let mut current = top.clone();
    let deadline = tokio::time::Instant::now() + route.budget;
    let mut urls_seen: Vec<String> = Vec::new();
    let mut fetches = 0;
    loop {
        if current.self_signed || issuer_anchored(stores, &current) {
            break;
        }
        let Some(url) = ca_issuers_url(&current).map(str::to_string) else {
            break;
        };
        let not_fetched =
            |outcome, detail| FetchRecord::not_fetched(&url, FetchPurpose::Aia, outcome, detail);
        if urls_seen.contains(&url) {
            fetched.records.push(not_fetched(
                FetchOutcome::Loop,
                format!(
                    "not fetched again: {} names it as its issuer's caIssuers, and it was fetched before on this path",
                    current.subject
                ),
            ));
            break;
        }
        if fetches == MAX_LEVELS {
            fetched.records.push(not_fetched(
                FetchOutcome::DepthLimit,
                format!(
                    "not fetched: {MAX_LEVELS} caIssuers fetches were made for this target and {} still does not reach an anchor",
                    current.subject
                ),
            ));
            break;
        }
        let left = deadline.saturating_duration_since(tokio::time::Instant::now());
        if left.is_zero() {
            fetched.records.push(not_fetched(
                FetchOutcome::Timeout,
                format!(
                    "not fetched: this target's fetches already took the {} s of --timeout",
                    route.budget.as_secs_f64()
                ),
            ));
            break;
        }
        urls_seen.push(url.clone());
        fetches += 1;
        let request = FetchRequest {
            url: url.clone(),
            purpose: FetchPurpose::Aia,
            timeout: route.timeout.min(left),
            proxy: route.proxy.clone(),
            family: route.family,
            post: None,
        };
        let Fetch { mut record, body } = fetch(&request).await;
        let Some(body) = body else {
            fetched.records.push(record);
            break;
        };
        match read_issuer(&body, &current) {
            Err((outcome, why)) => {
                record.outcome = outcome;
                record.detail = format!("{}; {why}", record.detail);
                fetched.records.push(record);
                break;
            }
            Ok(certs) => {
                let (issuer_der, issuer) = certs[0].clone();
                let seen = chain.certs.iter().any(|c| c.der() == issuer_der.as_slice())
                    || fetched.pool.ders.contains(&issuer_der);
                record.subject = Some(issuer.subject.clone());
                if seen {
                    record.outcome = FetchOutcome::Loop;
                    record.detail = format!(
                        "{}; it gave {}, which is already on the path",
                        record.detail, issuer.subject
                    );
                    fetched.records.push(record);
                    break;
                }
                fetched.records.push(record);
                for (der, info) in certs {
                    if !fetched.pool.ders.contains(&der) {
                        fetched.pool.ders.push(der);
                        fetched.pool.infos.push(info);
                        fetched.urls.push(url.clone());
                    }
                }
                current = issuer;
            }
        }
    }
    fetched
}

/// The certificates of a fetched body (DER, PEM or PKCS#7 certs-only), the issuer of `child`
/// first; `Err` is the outcome and why.
#[allow(clippy::type_complexity)]
fn read_issuer(
    body: &[u8],
    child: &CertInfo,
) -> Result<Vec<(Vec<u8>, CertInfo)>, (FetchOutcome, String)> {
    let loaded = load_bytes(body).map_err(|why| {
        (
            FetchOutcome::NotACertificate,
            format!("the body {why} (neither a DER or PEM certificate nor PKCS#7)"),
        )
    })?;
    let mut certs: Vec<(Vec<u8>, CertInfo)> = loaded
        .certs
        .into_iter()
        .filter_map(|c| parse_certificate(&c.der).ok().map(|info| (c.der, info)))
        .collect();
    if certs.is_empty() {
        return Err((
            FetchOutcome::NotACertificate,
            "the body holds no certificate that parses".into(),
        ));
    }
    let issues = |info: &CertInfo| info.subject_raw == child.issuer_raw;
    let position = certs
        .iter()
        .position(|(_, info)| issues(info) && signed_by(child, &info.subject_raw, &info.spki_der))
        .or_else(|| certs.iter().position(|(_, info)| issues(info)));
    let Some(position) = position else {
        let subjects: Vec<&str> = certs.iter().map(|(_, i)| i.subject.as_str()).collect();
        return Err((
            FetchOutcome::NotTheIssuer,
            format!(
                "it holds {}, not the issuer of {} ({})",
                subjects.join(", "),
                child.subject,
                child.issuer
            ),
        ));
    };
    certs.swap(0, position);
    Ok(certs)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::chain::parse_chain;
    use crate::demo::pki::{Authority, Spec};
    use crate::diagnose::testkit::{NOW, Pki};

    #[test]
    fn only_a_chain_that_misses_its_issuer_is_fetched_for() {
        let pki = Pki::new();
        let stores = [pki.custom()];
        let leaf = pki.leaf(&["aia.test"]);
        let none = Pool::default();
        let complete = parse_chain(&[leaf.der.clone(), pki.inter.der()]);
        assert!(missing_issuer_of(&complete, &none, &stores).is_none());
        let leaf_only = parse_chain(std::slice::from_ref(&leaf.der));
        let top = missing_issuer_of(&leaf_only, &none, &stores).map(|c| c.subject.clone());
        assert_eq!(top.as_deref(), Some("CN=aia.test"));
        // The --untrusted pool completes it: nothing to fetch.
        let pool = Pool::from_ders([pki.inter.der()]);
        assert!(missing_issuer_of(&leaf_only, &pool, &stores).is_none());
        // A self-signed root that no store holds is not a missing issuer.
        let stray = Authority::root(&Spec::ca("Stray Root", NOW)).expect("root");
        let rooted = parse_chain(&[stray.der()]);
        assert!(missing_issuer_of(&rooted, &none, &stores).is_none());
    }

    #[test]
    fn an_http_ca_issuers_url_is_preferred() {
        let pki = Pki::new();
        let mut leaf = crate::diagnose::testkit::info(&pki.leaf(&["aia.test"]).der);
        leaf.ca_issuer_urls = vec!["ldap://ca.test/x".into(), "HTTP://ca.test/x.crt".into()];
        assert_eq!(ca_issuers_url(&leaf), Some("HTTP://ca.test/x.crt"));
        leaf.ca_issuer_urls = vec!["https://ca.test/x.crt".into()];
        assert_eq!(ca_issuers_url(&leaf), Some("https://ca.test/x.crt"));
    }
}
