//! The verdict engine: what each client (Python requests and urllib, curl, `openssl s_client`,
//! Node.js, Java, Go, rustls, GnuTLS, wget, Chromium, Firefox; Safari, Android and Windows
//! predicted from documented rules only) would do with this chain, in its own words.
//!
//! Each client is a [`Profile`] (data, in [`profiles`]): it is run under the store it would use
//! ([`stores`]) by its [`Verifier`], a model of that client's own verification
//! ([`openssl::verify`], [`java::verify`], [`go`], [`gnutls`], [`rustls`], [`firefox`], [`platform`]), and worded in its own
//! dialect. Each profile names the client and version it assumes ([`Profile::assumes`]), which
//! every prediction carries; [`assumptions`] states them all.

pub mod chrome;
pub mod firefox;
pub mod gnutls;
pub mod go;
pub mod interception;
pub mod java;
pub mod name;
pub mod node;
pub mod openssl;
mod outcome;
pub mod platform;
pub mod profiles;
pub mod rustls;
pub mod stores;
pub mod wire;

pub use name::{Client, Selection};
pub use profiles::{PROFILES, Profile, profile};
pub use stores::{ClientSetup, ClientStore, ExtraStore, StoreChoice, StoreRule, choose_stores};

use outcome::{
    Outcome, chrome_outcome, firefox_outcome, gnutls_outcome, go_outcome, java_outcome,
    openssl_outcome, platform_outcome, rustls_outcome,
};

use crate::diagnose::{Context, Diagnosis};
use crate::trust::StoreKind;

/// The settings every OpenSSL-based profile shares, and what a newer Python changes.
const OPENSSL_NOTE: &str = "OpenSSL security level 2 (Debian's default). Python 3.13 turns on VERIFY_X509_STRICT and VERIFY_X509_PARTIAL_CHAIN, which changes the partial-chain rule.";

/// The versions and settings the predictions assume: each profile's [`Profile::assumes`], in
/// report order, and the settings they share.
pub fn assumptions() -> String {
    let clients: Vec<String> = PROFILES
        .iter()
        .map(|p| format!("{}: {}", p.client, p.assumes))
        .collect();
    format!("{}; {OPENSSL_NOTE}", clients.join("; "))
}

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
    /// Chromium's net error (`net::ERR_CERT_AUTHORITY_INVALID`).
    Chrome,
    /// Firefox's error code (`SEC_ERROR_UNKNOWN_ISSUER`), as about:certerror shows it.
    Firefox,
    /// URLSession's `NSURLError…` code (`NSURLErrorServerCertificateUntrusted (-1202)`).
    Safari,
    /// The Java exception an Android app sees (`javax.net.ssl.SSLHandshakeException: …`).
    Android,
    /// .NET's `AuthenticationException` message (`SslPolicyErrors`, `X509ChainStatusFlags`).
    Windows,
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
    /// Java's JSSE with PKIX validation ([`java::verify`]).
    Java,
    /// Chromium's certificate verifier ([`chrome`]), which fetches missing intermediates.
    Chrome {
        /// The build's rules beyond the path (Certificate Transparency in Google-branded Chrome).
        settings: chrome::Settings,
    },
    /// Firefox's mozilla::pkix over its built-in roots and profile cert DB ([`firefox`]).
    Firefox,
    /// A platform verifier predicted from documented rules ([`platform`]): Apple's SecTrust,
    /// Android's Conscrypt, .NET on Windows.
    Platform {
        /// Which platform.
        os: platform::Os,
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
    /// The client and version the prediction assumes ([`Profile::assumes`]).
    pub assumes: &'static str,
    /// Which store it would use and why.
    pub store: String,
    /// Whether it would complete the handshake.
    pub accepted: bool,
    /// What it would print, in its own words; `None` when accepted.
    pub error: Option<String>,
    /// What to change on the client side (never disabling verification).
    pub hint: Option<String>,
    /// Whether it refuses for want of a trusted anchor (so a CA given to it would help).
    pub trust_problem: bool,
}

/// Predicts every client; `configured` is the context and diagnosis under the report's stores
/// (the diagnosis says whether the system store trusts the chain, for the hints), `extra` the
/// context under the stores only clients use (the choices index into each).
pub fn predict(
    stores: &[ClientStore],
    configured: (&Context<'_>, &Diagnosis),
    extra: Option<&Context<'_>>,
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
            let (ctx, indexes) = match &choice.choice {
                StoreChoice::Configured(list) => (configured.0, list.clone()),
                StoreChoice::Extra(i) => match extra {
                    Some(ctx) => (ctx, vec![*i]),
                    None => (configured.0, Vec::new()),
                },
            };
            predict_one(choice, ctx, &indexes, system_trusts)
        })
        .collect()
}

fn predict_one(
    choice: &ClientStore,
    ctx: &Context<'_>,
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
        Verifier::Java => java_outcome(&choice.blocked, ctx, indexes),
        Verifier::Chrome { settings } => chrome_outcome(settings, ctx, indexes),
        Verifier::Firefox => firefox_outcome(ctx, indexes),
        Verifier::Platform { os } => platform_outcome(os, ctx, indexes),
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
        assumes: profile.assumes,
        store: choice.reason.clone(),
        accepted: error.is_none(),
        hint: (trust_problem && system_trusts).then(|| profile.trust_hint.to_string()),
        error,
        trust_problem,
    }
}

#[cfg(test)]
mod tests;
