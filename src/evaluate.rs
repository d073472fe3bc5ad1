//! The network-free core every caller shares (live targets, `inspect`, `demo`, the limbo and
//! differential suites, snapshots and the fuzz harness): replay the chain under each store,
//! diagnose it, predict each client and build the report.

use crate::chain::{CertInfo, Chain, parse_certificate};
use crate::clients::{ClientSetup, predict};
use crate::config::{ClientEnv, Deadlines, Policy};
use crate::connect::fetch::{FetchOutcome, FetchPurpose, FetchRecord};
use crate::diagnose::{Completion, Context, Diagnosis, Finding, diagnose};
use crate::report::build::{Assessment, assemble, client_reports, store_failure};
use crate::report::verdict;
use crate::report::verdict::handshake_verdict;
use crate::report::{
    ConnectionErrorReport, Origin, Source, TargetReport, chain_reports, earliest_expiry,
    finding_reports, status, trust_reports,
};
use crate::target::Host;
use crate::trust::{TrustResult, TrustStore, replay};

/// Extra intermediates that may be used to build the path (`inspect --untrusted`): the ones that
/// parse, as DER for rustls-webpki and parsed for certcheck's own checks.
#[derive(Clone, Debug, Default)]
pub struct Pool {
    /// Parsed, in file order.
    pub infos: Vec<CertInfo>,
    /// The same certificates' DER.
    pub ders: Vec<Vec<u8>>,
}

impl Pool {
    /// The certificates of `ders` that parse (a pool certificate that does not parse cannot be
    /// part of any path, so it is left out).
    pub fn from_ders(ders: impl IntoIterator<Item = Vec<u8>>) -> Pool {
        let mut pool = Pool::default();
        for der in ders {
            if let Ok(info) = parse_certificate(&der) {
                pool.infos.push(info);
                pool.ders.push(der);
            }
        }
        pool
    }
}

/// What certcheck fetched for a target before evaluating it (`run` fetches, `connect` makes each
/// fetch): the AIA caIssuers certificates of issuers the server did not send, and the record of
/// every fetch. The certificates complete the chain for the diagnosis's "with it the chain is
/// trusted by" and for Chrome, which fetches them too: never for a store's verdict, never for
/// any other client, which are given exactly what the server sent.
#[derive(Clone, Debug, Default)]
pub struct Fetched {
    /// The fetched certificates that parse, in fetch order.
    pub pool: Pool,
    /// The URL each of `pool` came from (same order).
    pub urls: Vec<String>,
    /// Every fetch, in order, failed ones included.
    pub records: Vec<FetchRecord>,
    /// The OCSP responses and CRLs read (`--check-revocation`), for the diagnosis.
    pub statuses: Vec<crate::diagnose::StatusResponse>,
}

/// Everything known about one target before evaluation: where it came from, the chain it
/// presented, what may complete the path, the name asked for, the stapled OCSP response and the
/// findings about the input itself.
#[derive(Clone, Debug)]
pub struct Evidence<'a> {
    /// Where the chain came from, as the report states it.
    pub origin: Origin,
    /// The presented chain.
    pub chain: &'a Chain,
    /// Extra intermediates (`inspect --untrusted`).
    pub pool: &'a Pool,
    /// The name asked for, if any.
    pub name: Option<&'a Host>,
    /// The OCSP response the server stapled (DER); `None` for files.
    pub ocsp: Option<&'a [u8]>,
    /// Findings about the input (a broken file entry, a key that does not match the leaf), which
    /// count towards the verdicts like any other.
    pub input_findings: Vec<Finding>,
    /// A failure after the certificates were seen (the handshake broke off), reported as is.
    pub connection_error: Option<ConnectionErrorReport>,
    /// How each client would reach the server (live targets; empty otherwise).
    pub client_routes: Vec<(crate::clients::Client, crate::route::Route)>,
    /// What certcheck fetched for this target (nothing, unless fetching was on and the chain
    /// misses an issuer).
    pub fetched: &'a Fetched,
    /// The server's protocol version and Certificate message size, when certcheck read the
    /// chain itself (rustls would not): the clients that refuse either fail before the chain.
    pub handshake: Option<crate::clients::wire::Handshake>,
}

/// Nothing fetched.
static NOTHING_FETCHED: Fetched = Fetched {
    pool: Pool {
        infos: Vec::new(),
        ders: Vec::new(),
    },
    urls: Vec::new(),
    records: Vec::new(),
    statuses: Vec::new(),
};

/// The pool of a chain that brings none.
static NO_POOL: Pool = Pool {
    infos: Vec::new(),
    ders: Vec::new(),
};

impl<'a> Evidence<'a> {
    /// The proxy the chain came through (no credentials), when it did.
    pub fn proxy(&self) -> Option<&str> {
        self.origin.route.as_deref().filter(|r| *r != "direct")
    }

    /// A chain from `origin`, with no pool, name, staple or input findings yet.
    pub fn new(origin: Origin, chain: &'a Chain) -> Evidence<'a> {
        Evidence {
            origin,
            chain,
            pool: &NO_POOL,
            name: None,
            ocsp: None,
            input_findings: Vec::new(),
            connection_error: None,
            client_routes: Vec::new(),
            fetched: &NOTHING_FETCHED,
            handshake: None,
        }
    }

    /// The same evidence, checked for `name`.
    pub fn with_name(mut self, name: Option<&'a Host>) -> Evidence<'a> {
        self.name = name;
        self
    }

    /// The same evidence, with extra intermediates.
    pub fn with_pool(mut self, pool: &'a Pool) -> Evidence<'a> {
        self.pool = pool;
        self
    }
}

/// The trust stores of a run and, for client predictions, which store each client uses.
#[derive(Clone, Debug, Default)]
pub struct Stores {
    /// The configured stores, as reported (`system`, `bundled`, then each `--ca-file`).
    pub trust: Vec<TrustStore>,
    /// Client store choices; `None` skips client predictions.
    pub clients: Option<ClientSetup>,
}

impl Stores {
    /// Stores without client predictions (the suites that compare store verdicts only).
    pub fn without_clients(trust: Vec<TrustStore>) -> Stores {
        Stores {
            trust,
            clients: None,
        }
    }

    /// Stores with each client's store chosen from `env`.
    pub fn with_clients(trust: Vec<TrustStore>, env: &ClientEnv) -> Stores {
        let clients = Some(ClientSetup::load(env, &trust));
        Stores { trust, clients }
    }
}

/// Replays, diagnoses, predicts and reports one chain; the clients `policy` selects decide the
/// status.
pub fn evaluate(evidence: &Evidence<'_>, stores: &Stores, policy: &Policy) -> TargetReport {
    let deadlines = &policy.deadlines;
    let chain = evidence.chain;
    let trust_stores = &stores.trust;
    let results = replay(
        chain,
        &evidence.pool.ders,
        evidence.name,
        trust_stores,
        deadlines.now,
    );
    let completion = evidence
        .fetched
        .records
        .iter()
        .any(|r| r.purpose == FetchPurpose::Aia)
        .then(|| completion(evidence, trust_stores, deadlines));
    let ctx = context(
        evidence,
        &evidence.pool.infos,
        trust_stores,
        &results,
        deadlines,
    )
    .with_completion(completion.as_ref());
    let diagnosis = diagnose(&ctx, evidence.input_findings.clone());
    let predictions = match &stores.clients {
        Some(setup) if !chain.is_empty() => {
            predict_clients(evidence, setup, (&ctx, &diagnosis), deadlines)
        }
        _ => Vec::new(),
    };
    let trust = trust_reports(trust_stores, &diagnosis);
    let findings = finding_reports(trust_stores, &diagnosis.findings);
    let connection_error = evidence
        .connection_error
        .clone()
        .or_else(|| store_failure(trust_stores));
    let mut predictions = predictions;
    if crate::diagnose::fetched_says_revoked(&ctx) {
        revocation_notes(&mut predictions);
    }
    if let Some(handshake) = &evidence.handshake {
        crate::clients::wire::apply(&mut predictions, handshake);
    }
    if let Some(proxy) = evidence.proxy() {
        intercepted_hints(&mut predictions, evidence, &findings, proxy);
    }
    if let Some(completion) = &completion {
        fetched_hints(&mut predictions, completion);
    }
    let clients = client_reports(predictions, policy.deciding, &evidence.client_routes);
    let status = status(
        &trust,
        &findings,
        &clients,
        connection_error.as_ref(),
        !chain.is_empty(),
    );
    let assessment = Assessment {
        status,
        verdict: match evidence
            .handshake
            .as_ref()
            .and_then(crate::clients::wire::sentence)
        {
            Some(first) => handshake_verdict(&clients, status, first),
            // The handshake's own failure, not a store that failed to load.
            None => verdict(
                &clients,
                &findings,
                &trust,
                status,
                evidence.connection_error.as_ref(),
            ),
        },
        expires_at: earliest_expiry(&trust, Some(&diagnosis), chain),
        connection_error,
        chain: chain_reports(chain, deadlines.now),
        trust,
        findings,
        clients,
    };
    let mut report = assemble(evidence.origin.clone(), assessment, deadlines.now);
    report.fetched = evidence.fetched.records.iter().map(Into::into).collect();
    report
}

/// The chain replayed under every store with the fetched certificates as intermediates
/// (besides the `--untrusted` pool): the anchor each store then reaches.
fn completion(evidence: &Evidence<'_>, stores: &[TrustStore], deadlines: &Deadlines) -> Completion {
    let fetched = evidence.fetched;
    let intermediates: Vec<Vec<u8>> = evidence
        .pool
        .ders
        .iter()
        .chain(&fetched.pool.ders)
        .cloned()
        .collect();
    // The path alone: the name check does not depend on the intermediates.
    let results = replay(evidence.chain, &intermediates, None, stores, deadlines.now);
    Completion {
        certs: fetched
            .urls
            .iter()
            .cloned()
            .zip(fetched.pool.infos.iter().cloned())
            .collect(),
        anchors: results
            .into_iter()
            .map(|r| r.path.ok().map(|p| p.anchor_subject))
            .collect(),
        failures: fetched
            .records
            .iter()
            .filter(|r| r.purpose == FetchPurpose::Aia && r.outcome != FetchOutcome::Ok)
            .map(|r| {
                (
                    r.url.clone(),
                    format!("{}: {}", r.outcome.as_str(), r.detail),
                )
            })
            .collect(),
    }
}

/// A fetched OCSP response or CRL says a certificate is revoked: each client that accepts the
/// chain is told why it does not notice (no profile fetches OCSP or CRLs by default; GnuTLS and
/// wget read a stapled response only), which is itself the diagnosis.
fn revocation_notes(predictions: &mut [crate::clients::Prediction]) {
    use crate::clients::Client;
    for prediction in predictions.iter_mut().filter(|p| p.accepted) {
        let client = prediction.client.as_str();
        let why = match prediction.client {
            Client::Gnutls | Client::Wget => format!(
                "{client} reads only an OCSP response the server staples and fetches none"
            ),
            Client::Firefox => "firefox reads only an OCSP response the server staples and CRLite (revocations of public CAs Mozilla pushes to it), and fetches none for this chain".to_string(),
            Client::Chrome => "chrome reads only an OCSP response the server staples and its CRLSet (the short list of revoked certificates Google pushes to it), and fetches none".to_string(),
            Client::Curl => {
                "curl checks only a stapled OCSP response, and only with --cert-status".to_string()
            }
            Client::Java => "Java checks revocation only with -Dcom.sun.net.ssl.checkRevocation=true (and the PKIX revocation settings)".to_string(),
            _ => format!("{client} fetches no OCSP response or CRL by default"),
        };
        let note =
            format!("{why}: it does not notice that the certificate is revoked and connects.");
        prediction.hint = Some(match prediction.hint.take() {
            Some(hint) => format!("{hint} {note}"),
            None => note,
        });
    }
}

/// Through a proxy that intercepts TLS (an `interception-suspected` finding), each client that
/// refuses the chain for want of a trusted anchor is told how to give it the proxy's CA, and a
/// client that would not go through the proxy by itself is told so.
fn intercepted_hints(
    predictions: &mut [crate::clients::Prediction],
    evidence: &Evidence<'_>,
    findings: &[crate::report::FindingReport],
    proxy: &str,
) {
    let intercepted = findings
        .iter()
        .any(|f| f.code == crate::diagnose::FindingCode::InterceptionSuspected);
    let Some(top) = evidence.chain.certs.iter().rev().find_map(|c| c.info()) else {
        return;
    };
    if !intercepted {
        return;
    }
    for prediction in predictions
        .iter_mut()
        .filter(|p| !p.accepted && p.trust_problem)
    {
        let route = evidence
            .client_routes
            .iter()
            .find(|(c, _)| *c == prediction.client)
            .map(|(_, r)| r);
        let direct = route
            .filter(|r| r.proxy.is_none())
            .map(|r| r.reason.as_str());
        prediction.hint = Some(crate::clients::interception::proxy_ca_hint(
            prediction.client,
            proxy,
            &top.issuer,
            direct,
        ));
    }
}

/// When the intermediate certcheck fetched completes the chain, each client that refuses it for
/// want of an anchor (and has no other hint) is told where the fix is: the server should send
/// that intermediate; meanwhile the client can be given it in its CA file, beside the root.
fn fetched_hints(predictions: &mut [crate::clients::Prediction], completion: &Completion) {
    let Some((url, missing)) = completion.certs.first() else {
        return;
    };
    if completion.anchors.iter().all(Option::is_none) {
        return;
    }
    for prediction in predictions
        .iter_mut()
        .filter(|p| !p.accepted && p.trust_problem && p.hint.is_none())
    {
        // An Android app reads no CA file (a user CA is ignored from API 24): the server's fix only.
        if prediction.client == crate::clients::Client::Android {
            prediction.hint = Some(format!(
                "The server does not send the intermediate {} ({url}): have it send the full chain; Android apps never fetch it.",
                missing.subject
            ));
            continue;
        }
        prediction.hint = Some(format!(
            "The server does not send the intermediate {} ({url}): have it send the full chain; until then, add that certificate to the CA file {} is given, beside the root.",
            missing.subject,
            prediction.client.as_str()
        ));
    }
}

/// Each client's prediction. A client is given exactly what a server sending this chain would
/// give it: never the `--untrusted` pool, which is the verifier's own help, so with a pool the
/// chain is diagnosed again without it; the stores only clients use are replayed on their own,
/// out of the report.
fn predict_clients(
    evidence: &Evidence<'_>,
    setup: &ClientSetup,
    configured: (&Context<'_>, &Diagnosis),
    deadlines: &Deadlines,
) -> Vec<crate::clients::Prediction> {
    let replayed =
        |stores: &[TrustStore]| replay(evidence.chain, &[], evidence.name, stores, deadlines.now);
    let configured_stores = configured.0.stores;
    let without_pool = (!evidence.pool.ders.is_empty()).then(|| replayed(configured_stores));
    let poolless = without_pool.as_ref().map(|results| {
        let ctx = context(evidence, &[], configured_stores, results, deadlines)
            .with_completion(configured.0.completion);
        let diagnosis = diagnose(&ctx, evidence.input_findings.clone());
        (ctx, diagnosis)
    });
    let configured = match &poolless {
        Some((ctx, diagnosis)) => (ctx, diagnosis),
        None => configured,
    };
    if setup.extra_stores.is_empty() {
        return predict(&setup.choices, configured, None);
    }
    let results = replayed(&setup.extra_stores);
    // The fetched intermediates go with it: Chrome fetches them too (the only client that does).
    let ctx = context(evidence, &[], &setup.extra_stores, &results, deadlines)
        .with_completion(configured.0.completion);
    predict(&setup.choices, configured, Some(&ctx))
}

/// The diagnosis context for `evidence` under `stores` (with webpki's `results` for them): the
/// one place its chain, name, staple and origin go into a [`Context`].
fn context<'a>(
    evidence: &'a Evidence<'_>,
    pool: &'a [CertInfo],
    stores: &'a [TrustStore],
    results: &'a [TrustResult],
    deadlines: &Deadlines,
) -> Context<'a> {
    Context::new(
        evidence.chain,
        pool,
        stores,
        results,
        evidence.name,
        *deadlines,
    )
    .with_ocsp(evidence.ocsp)
    .with_statuses(&evidence.fetched.statuses)
    .with_proxy(evidence.proxy())
    .from_file(evidence.origin.source == Source::File)
}
