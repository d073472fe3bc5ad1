//! Client impact: what Python requests, urllib, curl, OpenSSL `s_client`, Node.js and Java would do
//! with this chain, in their own words.
//!
//! Each client is a [`Profile`] (data, in [`profiles`]): it is predicted from the diagnosis under
//! the store it would use ([`stores`]), minus the refusals it does not share ([`Tolerance`]), and
//! worded in its own dialect ([`openssl`], [`node`], [`java`]). [`ASSUMPTIONS`] states the
//! versions in the output.

pub mod gnutls;
pub mod go;
pub mod java;
pub mod name;
pub mod node;
pub mod openssl;
pub mod profiles;
pub mod rustls;
pub mod stores;

pub use name::{Client, Selection};
pub use profiles::{PROFILES, Profile, profile};
pub use stores::{ClientSetup, ClientStore, ExtraStore, StoreChoice, StoreRule, choose_stores};

use crate::chain::{CertInfo, KeyKind, usage};
use crate::diagnose::{
    Context, Diagnosis, Finding, FindingCode, Severity, anchor_info, dns_matches,
};
use crate::target::Host;
use crate::trust::StoreKind;

/// The versions and settings the predictions assume.
pub const ASSUMPTIONS: &str = "Python 3.11 + OpenSSL 3.0 + urllib3 2, curl 7.88 (OpenSSL), OpenSSL 3.0 s_client -verify_return_error -verify_hostname, Node 20, OpenJDK 17, Go 1.27, rustls 0.23 with webpki-roots, GnuTLS 3.7 (gnutls-cli) and wget 1.21; OpenSSL security level 2 (Debian's default). Python 3.13 turns on VERIFY_X509_STRICT and VERIFY_X509_PARTIAL_CHAIN, which changes the partial-chain rule.";

/// How a client words its errors.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Dialect {
    /// CPython's `ssl` module (`[SSL: ...]`); `urllib` wraps it in `<urlopen error ...>`.
    Python {
        /// Wrapped by urllib.
        urllib: bool,
    },
    /// curl's `(60) SSL certificate problem: ...`.
    Curl,
    /// `openssl s_client`'s `verify error:num=...`.
    SClient,
    /// Node's `err.code: message`.
    Node,
    /// Java's exception causes.
    Java,
    /// rustls's `Error` as it displays.
    Rustls,
    /// Go's `error` string (`tls: failed to verify certificate: x509: ...`).
    Go,
    /// GnuTLS's status text (`The certificate is NOT trusted. ...`).
    Gnutls,
    /// wget's lines (`The certificate of ‘HOST’ is not trusted.`).
    Wget,
}

/// A refusal of rustls-webpki or certcheck that a client does not share.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Tolerance {
    /// A leaf without DNS/IP subjectAltName whose Common Name matches the name is accepted.
    CommonNameFallback,
    /// The trust anchor's own dates are not checked (Java).
    AnchorDates,
    /// RSA keys from 1024 bits are accepted anywhere in the chain (Java's
    /// `jdk.certpath.disabledAlgorithms` refuses only `RSA keySize < 1024`).
    Rsa1024,
    /// SHA-1 signatures are accepted on chains to a `--ca-file` root (Java refuses SHA-1 only on
    /// chains to its own default CAs: `SHA1 jdkCA & usage TLSServer`); MD5 never.
    Sha1UnderPrivateRoot,
    /// A leaf with keyUsage keyCertSign but no cA=TRUE is accepted (Java checks no such rule).
    KeyCertSignLeaf,
    /// A CA certificate (cA=TRUE) as the server certificate, with serverAuth or no EKU, is
    /// accepted (only rustls refuses it).
    CaAsEndEntity,
}

/// How a client verifies the chain.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Verifier {
    /// OpenSSL's `X509_verify_cert` with the client's settings ([`openssl::verify`]).
    Openssl {
        /// Security level, partial chains, who checks the name.
        params: openssl::verify::Params,
        /// Which error the client reports.
        report: Report,
    },
    /// rustls's own `WebPkiServerVerifier` ([`rustls`](mod@self::rustls)).
    Rustls,
    /// Go's `Certificate.Verify` ([`go`]).
    Go,
    /// GnuTLS's verification ([`gnutls`]); `wget`: as wget checks and prints it.
    Gnutls {
        /// wget: no extended key usage check, the CA file added to the system bundle.
        wget: bool,
    },
    /// certcheck's diagnosis under the client's store, minus the refusals the client does not
    /// share.
    Diagnosis {
        /// The refusals of rustls-webpki and certcheck the client does not share.
        tolerates: &'static [Tolerance],
        /// It accepts a path that ends at an intermediate in its store.
        partial_chain: bool,
        /// It refuses a trust anchor without basicConstraints cA=TRUE, which rustls-webpki
        /// accepts (Java's `TrustAnchor ... is not a CA certificate`).
        anchor_must_be_ca: bool,
    },
}

/// Which of several verify errors a client reports.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Report {
    /// The first: verification stops there (Python, curl, `s_client -verify_return_error`).
    First,
    /// The last: its callback lets verification go on and it reads the result after (Node).
    Last,
}

/// What one client would do with the chain.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Prediction {
    /// The client.
    pub client: Client,
    /// Which store it would use and why.
    pub store: String,
    /// Whether it would complete the handshake.
    pub accepted: bool,
    /// What it would print, in its own words; `None` when accepted.
    pub error: Option<String>,
    /// What to change on the client side (never disabling verification).
    pub hint: Option<String>,
}

/// What the rules need to know about the chain under one store.
struct Facts<'c> {
    chain: &'c crate::chain::Chain,
    leaf: Option<&'c CertInfo>,
    /// The leaf has no DNS/IP subjectAltName and its Common Name matches the name asked for.
    cn_only_match: bool,
    /// The anchor reached is an intermediate (not self-signed): OpenSSL needs PARTIAL_CHAIN.
    anchor_is_intermediate: bool,
    /// The store is a `--ca-file`.
    custom_store: bool,
    /// A certificate of the chain, or an anchor that issued one, has an RSA key of 1024 to 2047
    /// bits, whose signatures rustls-webpki (ring) cannot check.
    legacy_rsa: bool,
}

fn facts<'c>(ctx: &'c Context<'_>, store: usize) -> Facts<'c> {
    let leaf = ctx.chain.leaf();
    let cn_only_match = match (leaf, ctx.name) {
        (Some(leaf), Some(Host::Dns(name))) => {
            leaf.dns_names.is_empty()
                && leaf.ip_addresses.is_empty()
                && leaf.common_names.iter().any(|cn| dns_matches(cn, name))
        }
        _ => false,
    };
    let anchor_is_intermediate = ctx
        .paths
        .get(store)
        .filter(|p| p.validated)
        .and_then(|p| p.anchor)
        .and_then(|a| anchor_info(ctx.stores.get(store)?, a))
        .is_some_and(|anchor| !anchor.self_signed);
    let legacy = |key: &crate::chain::KeyInfo| {
        key.kind() == KeyKind::Rsa && (1024..2048).contains(&key.bits)
    };
    let legacy_rsa = ctx.chain.parsed().any(|(_, c)| {
        legacy(&c.key)
            || ctx.stores.get(store).is_some_and(|s| {
                s.anchors_named(&c.issuer_raw)
                    .filter_map(|a| a.info())
                    .any(|a| legacy(&a.key))
            })
    });
    Facts {
        legacy_rsa,
        chain: ctx.chain,
        leaf,
        cn_only_match,
        anchor_is_intermediate,
        custom_store: ctx
            .stores
            .get(store)
            .is_some_and(|s| s.kind == StoreKind::Custom),
    }
}

impl Tolerance {
    /// Whether this tolerance lets `finding` pass.
    fn covers(self, finding: &Finding, facts: &Facts<'_>) -> bool {
        match (self, finding.code) {
            (Tolerance::CommonNameFallback, FindingCode::HostnameMismatch) => facts.cn_only_match,
            (Tolerance::AnchorDates, FindingCode::Expired | FindingCode::NotYetValid) => {
                finding.certificate.is_none()
            }
            (Tolerance::Rsa1024, FindingCode::WeakKey) => match finding.certificate {
                Some(index) => facts
                    .chain
                    .certs
                    .get(index)
                    .and_then(|c| c.info())
                    .is_some_and(|c| c.key.kind() == KeyKind::Rsa && c.key.bits >= 1024),
                // The anchor's key: certcheck names it in the message only.
                None => true,
            },
            // rustls-webpki (ring) cannot check a signature by an RSA key under 2048 bits; its
            // refusal, which certcheck's own check does not share, carries no certificate.
            (Tolerance::Rsa1024, FindingCode::BadSignature) => {
                finding.certificate.is_none() && facts.legacy_rsa
            }
            (Tolerance::Sha1UnderPrivateRoot, FindingCode::WeakSignatureAlgorithm) => {
                facts.custom_store
                    && finding.certificate.is_some_and(|i| {
                        facts
                            .chain
                            .certs
                            .get(i)
                            .and_then(|c| c.info())
                            .is_some_and(|c| {
                                crate::chain::oid::weak_signature(&c.signature_algorithm_oid)
                                    .is_some_and(|w| w.contains("SHA-1"))
                            })
                    })
            }
            (Tolerance::KeyCertSignLeaf, FindingCode::InvalidPurpose) => {
                finding.certificate == Some(0)
                    && facts
                        .leaf
                        .is_some_and(|leaf| !leaf.is_ca && leaf.has_key_usage(usage::KEY_CERT_SIGN))
            }
            (Tolerance::CaAsEndEntity, FindingCode::InvalidPurpose) => {
                finding.certificate == Some(0)
                    && facts.leaf.is_some_and(|leaf| {
                        leaf.is_ca
                            && (leaf.ext_key_usage.is_none()
                                || leaf.has_ext_key_usage(usage::SERVER_AUTH)
                                || leaf.has_ext_key_usage(usage::ANY))
                    })
            }
            _ => false,
        }
    }
}

/// Predicts every client; `configured` is the diagnosis under the report's stores, `extra` the
/// one under the stores only clients use (the choices index into each).
pub fn predict(
    stores: &[ClientStore],
    configured: (&Context<'_>, &Diagnosis),
    extra: Option<(&Context<'_>, &Diagnosis)>,
) -> Vec<Prediction> {
    let system_trusts = configured
        .0
        .stores
        .iter()
        .zip(&configured.1.verdicts)
        .any(|(store, verdict)| store.kind == StoreKind::System && verdict.trusted);
    stores
        .iter()
        .map(|choice| {
            let (ctx, diagnosis, indexes) = match &choice.choice {
                StoreChoice::Configured(list) => (configured.0, configured.1, list.clone()),
                StoreChoice::Extra(i) => match extra {
                    Some((ctx, diagnosis)) => (ctx, diagnosis, vec![*i]),
                    None => (configured.0, configured.1, Vec::new()),
                },
            };
            predict_one(choice, ctx, diagnosis, &indexes, system_trusts)
        })
        .collect()
}

/// The rules of a client modelled from the diagnosis.
struct DiagnosisRules {
    tolerates: &'static [Tolerance],
    partial_chain: bool,
    anchor_must_be_ca: bool,
}

/// The first failure a client modelled from the diagnosis would hit.
enum Failure<'c> {
    /// A finding it shares: its code and certificate.
    Finding(FindingCode, Option<usize>),
    /// Its store holds no anchor at all.
    NoAnchors,
    /// The anchor reached is not a CA certificate.
    AnchorNotCa(&'c CertInfo),
}

fn first_failure<'c>(
    rules: &DiagnosisRules,
    ctx: &'c Context<'_>,
    diagnosis: &Diagnosis,
    indexes: &[usize],
) -> Option<Failure<'c>> {
    if indexes.is_empty() {
        return Some(Failure::NoAnchors);
    }
    for &store in indexes {
        if ctx.stores.get(store).is_some_and(|s| s.anchors.is_empty()) {
            return Some(Failure::NoAnchors);
        }
        let facts = facts(ctx, store);
        let mut remaining: Vec<&Finding> = diagnosis
            .findings
            .iter()
            .filter(|f| f.severity == Severity::Error && f.scope.includes(store))
            .filter(|f| !rules.tolerates.iter().any(|t| t.covers(f, &facts)))
            .collect();
        // The store verdict's own code first: it is what the verifier hits first.
        let verdict = diagnosis.verdicts.get(store).and_then(|v| v.error);
        remaining.sort_by_key(|f| (Some(f.code) != verdict, f.code));
        if let Some(first) = remaining.first() {
            return Some(Failure::Finding(first.code, first.certificate));
        }
        let anchor = ctx
            .paths
            .get(store)
            .filter(|p| p.validated)
            .and_then(|p| p.anchor)
            .and_then(|a| anchor_info(ctx.stores.get(store)?, a));
        let leaf_is_anchor = |a: &CertInfo| {
            ctx.chain
                .leaf()
                .is_some_and(|l| l.subject_raw == a.subject_raw && l.spki_der == a.spki_der)
        };
        if let Some(anchor) =
            anchor.filter(|a| rules.anchor_must_be_ca && !a.is_ca && !leaf_is_anchor(a))
        {
            return Some(Failure::AnchorNotCa(anchor));
        }
        if facts.anchor_is_intermediate && !rules.partial_chain {
            return Some(Failure::Finding(FindingCode::UnknownIssuer, None));
        }
    }
    None
}

fn predict_one(
    choice: &ClientStore,
    ctx: &Context<'_>,
    diagnosis: &Diagnosis,
    indexes: &[usize],
    system_trusts: bool,
) -> Prediction {
    let profile = profile(choice.client);
    let outcome = match profile.verifier {
        Verifier::Openssl { params, report } => {
            openssl_outcome(profile, params, report, ctx, indexes)
        }
        Verifier::Rustls => rustls_outcome(ctx, indexes),
        Verifier::Go => go_outcome(ctx, indexes),
        Verifier::Gnutls { wget } => gnutls_outcome(wget, ctx, indexes),
        Verifier::Diagnosis {
            tolerates,
            partial_chain,
            anchor_must_be_ca,
        } => {
            let rules = DiagnosisRules {
                tolerates,
                partial_chain,
                anchor_must_be_ca,
            };
            diagnosis_outcome(profile, &rules, ctx, diagnosis, indexes)
        }
    };
    let (error, trust_problem) = match outcome {
        Outcome::Accepted => (None, false),
        Outcome::Refused {
            words,
            trust_problem,
        } => (Some(words), trust_problem),
    };
    Prediction {
        client: choice.client,
        store: choice.reason.clone(),
        accepted: error.is_none(),
        hint: (trust_problem && system_trusts).then(|| profile.trust_hint.to_string()),
        error,
    }
}

/// What a client does with the chain.
enum Outcome {
    /// It completes the handshake.
    Accepted,
    /// It fails, printing `words`; `trust_problem` when no path reached its store.
    Refused { words: String, trust_problem: bool },
}

/// OpenSSL's verdict under each of the client's stores (the first that refuses wins), then the
/// name check of a client that does it itself.
fn openssl_outcome(
    profile: &Profile,
    params: openssl::verify::Params,
    report: Report,
    ctx: &Context<'_>,
    indexes: &[usize],
) -> Outcome {
    if indexes.is_empty() {
        return Outcome::Refused {
            words: openssl::message(profile.dialect, 1, ctx.name),
            trust_problem: false,
        };
    }
    for &index in indexes {
        let Some(store) = ctx.stores.get(index) else {
            continue;
        };
        // A CA file the client reads itself: it fails before any handshake when it cannot.
        if let Some(words) = store
            .file
            .as_ref()
            .and_then(|file| openssl::ca_file_message(profile.dialect, file))
        {
            return Outcome::Refused {
                words,
                trust_problem: false,
            };
        }
        // A CA file without PEM certificates gives OpenSSL no anchors.
        let empty;
        let store = match &store.file {
            Some(file) if file.state != crate::trust::store::CaFileState::Pem => {
                empty = crate::trust::TrustStore {
                    anchors: Vec::new(),
                    rustls_verifier: Default::default(),
                    ..store.clone()
                };
                &empty
            }
            _ => store,
        };
        // Debian's curl also searches its compiled-in CA directory, the system store.
        let system = ctx
            .stores
            .iter()
            .find(|s| s.kind == StoreKind::System && profile.searches_system_dir);
        let mut stores = vec![store];
        stores.extend(system.filter(|s| !std::ptr::eq(*s, store)));
        let raised = openssl::verify::verify(ctx.chain, &stores, ctx.name, ctx.now, &params);
        let error = match report {
            Report::First => raised.first(),
            Report::Last => raised.last(),
        };
        if let Some(error) = error {
            let words = match profile.dialect {
                Dialect::Curl if error.rsa_padding => openssl::curl_padding_message(),
                _ => openssl::message(profile.dialect, error.number, ctx.name),
            };
            return Outcome::Refused {
                words,
                trust_problem: matches!(error.number, 2 | 18 | 19 | 20 | 21),
            };
        }
    }
    // curl and Node compare the name themselves once verification passed.
    if let openssl::verify::HostCheck::Application { common_name } = params.host
        && let (Some(leaf), Some(name)) = (ctx.chain.leaf(), ctx.name)
        && !application_name_matches(common_name, leaf, name)
    {
        let asked = name.to_string();
        let words = match profile.dialect {
            Dialect::Node => node::hostname_message(&asked, ctx),
            _ => openssl::curl_hostname_message(&asked),
        };
        return Outcome::Refused {
            words,
            trust_problem: false,
        };
    }
    Outcome::Accepted
}

/// rustls's verdict under each of the client's stores (the first that refuses wins).
fn rustls_outcome(ctx: &Context<'_>, indexes: &[usize]) -> Outcome {
    if indexes.is_empty() {
        return Outcome::Refused {
            words: "invalid peer certificate: UnknownIssuer".into(),
            trust_problem: false,
        };
    }
    for &index in indexes {
        let Some(store) = ctx.stores.get(index) else {
            continue;
        };
        // The replay under this store ran rustls-webpki with rustls's own algorithms on the same
        // certificates: when it accepted path and name, so does rustls (its handshake-key rule
        // aside), and its verifier need not run again.
        let replay_accepted = ctx
            .results
            .get(index)
            .is_some_and(|r| r.path.is_ok() && r.name.as_ref().is_none_or(|n| n.is_ok()))
            && store
                .file
                .as_ref()
                .is_none_or(|f| f.state == crate::trust::store::CaFileState::Pem)
            && ctx.chain.leaf().is_some_and(|l| {
                l.key.kind() != KeyKind::Rsa || l.key.bits >= crate::chain::MIN_RSA_BITS
            });
        if replay_accepted {
            continue;
        }
        if let Some(words) = rustls::verify(ctx.chain, &[store], ctx.name, ctx.now) {
            let trust_problem = words.contains("UnknownIssuer");
            return Outcome::Refused {
                words,
                trust_problem,
            };
        }
    }
    Outcome::Accepted
}

/// Go's verdict under each of the client's stores (the first that refuses wins).
fn go_outcome(ctx: &Context<'_>, indexes: &[usize]) -> Outcome {
    if indexes.is_empty() {
        return Outcome::Refused {
            words:
                "tls: failed to verify certificate: x509: certificate signed by unknown authority"
                    .into(),
            trust_problem: false,
        };
    }
    for store in indexes.iter().filter_map(|&i| ctx.stores.get(i)) {
        if let Some(words) = go::verify(ctx.chain, store, ctx.name, ctx.now) {
            let trust_problem = words.contains("unknown authority");
            return Outcome::Refused {
                words,
                trust_problem,
            };
        }
    }
    Outcome::Accepted
}

/// GnuTLS's (or wget's) verdict under each of the client's stores (the first that refuses wins).
fn gnutls_outcome(wget: bool, ctx: &Context<'_>, indexes: &[usize]) -> Outcome {
    let system = ctx.stores.iter().find(|s| s.kind == StoreKind::System);
    for store in indexes.iter().filter_map(|&i| ctx.stores.get(i)) {
        let said = if wget {
            let extra = system.filter(|s| !std::ptr::eq(*s, store));
            gnutls::wget(ctx.chain, store, extra, ctx.name, ctx.now)
        } else {
            gnutls::gnutls_cli(ctx.chain, store, ctx.name, ctx.now)
        };
        if let Some(words) = said {
            let trust_problem =
                words.contains("issuer is unknown") || words.contains("known issuer");
            return Outcome::Refused {
                words,
                trust_problem,
            };
        }
    }
    if indexes.is_empty() {
        return Outcome::Refused {
            words: "The certificate is NOT trusted. The certificate issuer is unknown.".into(),
            trust_problem: false,
        };
    }
    Outcome::Accepted
}

/// The name check of curl and Node: subjectAltName, or the Common Name when the certificate
/// has no DNS or IP subjectAltName and the client falls back to it.
fn application_name_matches(common_name: bool, leaf: &CertInfo, name: &Host) -> bool {
    if crate::diagnose::names::covers(leaf, name) {
        return true;
    }
    let Host::Dns(dns) = name else {
        return false;
    };
    common_name
        && leaf.dns_names.is_empty()
        && leaf.ip_addresses.is_empty()
        && leaf.common_names.iter().any(|cn| dns_matches(cn, dns))
}

/// The client's verdict from certcheck's diagnosis, minus the refusals it does not share (the
/// model of the clients without a verifier of their own here).
fn diagnosis_outcome(
    profile: &Profile,
    rules: &DiagnosisRules,
    ctx: &Context<'_>,
    diagnosis: &Diagnosis,
    indexes: &[usize],
) -> Outcome {
    let Some(failure) = first_failure(rules, ctx, diagnosis, indexes) else {
        return Outcome::Accepted;
    };
    let trust_problem = matches!(
        failure,
        Failure::Finding(
            FindingCode::UnknownIssuer
                | FindingCode::UntrustedRoot
                | FindingCode::SelfSigned
                | FindingCode::IncompleteChain,
            _
        )
    );
    let words = match (profile.dialect, failure) {
        (_, Failure::NoAnchors) => java::NO_ANCHORS.to_string(),
        (_, Failure::AnchorNotCa(anchor)) => java::anchor_not_ca(anchor),
        (_, Failure::Finding(FindingCode::HostnameMismatch, _)) => {
            let name = ctx.name.map(|h| h.to_string()).unwrap_or_default();
            java::hostname_message(&name, ctx.name)
        }
        (_, Failure::Finding(code, index)) => java::message(code, index, ctx),
    };
    Outcome::Refused {
        words,
        trust_problem,
    }
}

#[cfg(test)]
mod tests;
