//! Client impact: what Python requests, urllib, curl, OpenSSL `s_client`, Node.js and Java would do
//! with this chain, in their own words.
//!
//! Each client is predicted from the diagnosis under the store it would use, then adjusted by the
//! rules in which it differs from rustls-webpki. The rules were measured on Python 3.11 with
//! OpenSSL 3.0 and urllib3 2, curl 7.88 (OpenSSL backend), OpenSSL 3.0 `s_client`, Node 20 and
//! OpenJDK 17, with OpenSSL at security level 2 as Debian ships it; [`ASSUMPTIONS`] says so in
//! the output.

use std::path::PathBuf;

use serde::{Deserialize, Serialize};

use crate::chain::CertInfo;
use crate::diagnose::paths::anchor_info;
use crate::diagnose::{Context, Diagnosis, Finding, FindingCode, Severity};
use crate::target::Host;

/// The versions and settings the predictions assume.
pub const ASSUMPTIONS: &str = "Python 3.11 + OpenSSL 3.0 + urllib3 2, curl 7.88 (OpenSSL), OpenSSL 3.0 s_client -verify_return_error -verify_hostname, Node 20, OpenJDK 17; OpenSSL security level 2 (Debian's default). Python 3.13 turns on VERIFY_X509_STRICT and VERIFY_X509_PARTIAL_CHAIN, which changes the partial-chain rule.";

/// A client profile.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Client {
    /// Python `requests` (urllib3 2, certifi).
    PythonRequests,
    /// Python's standard `urllib.request` / `ssl` default context.
    PythonUrllib,
    /// The curl command line tool with OpenSSL.
    Curl,
    /// `openssl s_client -verify_return_error`.
    Openssl,
    /// Node.js `https`.
    Node,
    /// Java (JSSE, PKIX).
    Java,
}

impl Client {
    /// Every profile, in report order.
    pub const ALL: [Client; 6] = [
        Client::PythonRequests,
        Client::PythonUrllib,
        Client::Curl,
        Client::Openssl,
        Client::Node,
        Client::Java,
    ];

    /// The contract name.
    pub fn as_str(self) -> &'static str {
        match self {
            Client::PythonRequests => "python-requests",
            Client::PythonUrllib => "python-urllib",
            Client::Curl => "curl",
            Client::Openssl => "openssl",
            Client::Node => "node",
            Client::Java => "java",
        }
    }
}

/// The environment that decides which store each client uses.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ClientEnv {
    /// `REQUESTS_CA_BUNDLE`.
    pub requests_ca_bundle: Option<PathBuf>,
    /// `CURL_CA_BUNDLE`.
    pub curl_ca_bundle: Option<PathBuf>,
    /// `NODE_EXTRA_CA_CERTS`.
    pub node_extra_ca_certs: Option<PathBuf>,
    /// `SSL_CERT_FILE` / `SSL_CERT_DIR` are set.
    pub ssl_cert_env: bool,
    /// Java's `cacerts`, when one was found.
    pub java_cacerts: Option<PathBuf>,
}

/// Which store a client's prediction is made under.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum StoreChoice {
    /// A store of the report (index into the configured stores).
    Configured(Vec<usize>),
    /// A store loaded only for client predictions (index into the extra stores).
    Extra(usize),
}

/// A client, its store and why.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ClientStore {
    /// The client.
    pub client: Client,
    /// Its store.
    pub choice: StoreChoice,
    /// Which store and why, for people.
    pub reason: String,
}

/// The prediction for one client.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClientPrediction {
    /// The client profile.
    pub client: Client,
    /// Which store it would use and why.
    pub store: String,
    /// Whether it would complete the handshake.
    pub accepted: bool,
    /// What it would print, in its own words; null when accepted.
    pub error: Option<String>,
    /// What to change on the client side (never disabling verification); null when none.
    pub hint: Option<String>,
}

/// What the rules need to know about the chain under one store.
struct Facts<'c> {
    leaf: Option<&'c CertInfo>,
    /// The leaf has no DNS/IP subjectAltName and its Common Name matches the name asked for.
    cn_only_match: bool,
    /// The anchor reached is an intermediate (not self-signed): OpenSSL needs PARTIAL_CHAIN.
    anchor_is_intermediate: bool,
    /// The store is a `--ca-file`.
    custom_store: bool,
}

fn facts<'c>(ctx: &'c Context<'_>, store: usize) -> Facts<'c> {
    let leaf = ctx.chain.leaf();
    let cn_only_match = match (leaf, ctx.name) {
        (Some(leaf), Some(Host::Dns(name))) => {
            leaf.dns_names.is_empty()
                && leaf.ip_addresses.is_empty()
                && leaf
                    .common_names
                    .iter()
                    .any(|cn| crate::diagnose::names::dns_matches(cn, name))
        }
        _ => false,
    };
    let path = ctx.paths.get(store);
    let anchor_is_intermediate = path
        .filter(|p| p.validated)
        .and_then(|p| p.anchor)
        .and_then(|a| anchor_info(ctx.stores.get(store)?, a))
        .is_some_and(|anchor| !anchor.self_signed);
    Facts {
        leaf,
        cn_only_match,
        anchor_is_intermediate,
        custom_store: ctx
            .stores
            .get(store)
            .is_some_and(|s| s.kind == crate::trust::StoreKind::Custom),
    }
}

/// Whether `client` lets `finding` pass where rustls-webpki or certcheck would not.
fn tolerated(client: Client, finding: &Finding, facts: &Facts<'_>) -> bool {
    let leaf_rsa_bits = facts
        .leaf
        .filter(|l| l.key.algorithm == "RSA")
        .map(|l| l.key.bits);
    match finding.code {
        // Every client but requests (urllib3 2) falls back to the Common Name.
        FindingCode::HostnameMismatch => facts.cn_only_match && client != Client::PythonRequests,
        // Java does not check the anchor's dates; OpenSSL does.
        FindingCode::Expired | FindingCode::NotYetValid => {
            client == Client::Java && finding.certificate.is_none()
        }
        // Node (security level 1) and Java accept RSA keys from 1024 bits.
        FindingCode::WeakKey => {
            matches!(client, Client::Node | Client::Java)
                && finding.certificate == Some(0)
                && leaf_rsa_bits.is_some_and(|b| b >= 1024)
        }
        // Java rejects SHA-1 only on chains to its own default CAs.
        FindingCode::WeakSignatureAlgorithm => {
            client == Client::Java && facts.custom_store && finding.certificate == Some(0)
        }
        // Only rustls refuses a CA certificate as the server certificate; OpenSSL and Java do not.
        FindingCode::InvalidPurpose => {
            finding.certificate == Some(0)
                && facts.leaf.is_some_and(|leaf| {
                    leaf.is_ca
                        && leaf.ext_key_usage.as_ref().is_none_or(|eku| {
                            eku.iter()
                                .any(|p| p == "serverAuth" || p == "anyExtendedKeyUsage")
                        })
                })
        }
        _ => false,
    }
}

/// Predicts every client; `contexts` are the diagnosis contexts the choices index into: the
/// configured stores first, then the stores loaded only for clients.
pub fn predict(
    stores: &[ClientStore],
    configured: (&Context<'_>, &Diagnosis),
    extra: Option<(&Context<'_>, &Diagnosis)>,
) -> Vec<ClientPrediction> {
    let system_trusts = configured
        .0
        .stores
        .iter()
        .zip(&configured.1.verdicts)
        .any(|(store, verdict)| store.kind == crate::trust::StoreKind::System && verdict.trusted);
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

fn predict_one(
    choice: &ClientStore,
    ctx: &Context<'_>,
    diagnosis: &Diagnosis,
    indexes: &[usize],
    system_trusts: bool,
) -> ClientPrediction {
    let client = choice.client;
    let mut failure: Option<(FindingCode, Option<usize>, String)> = None;
    for &store in indexes {
        let facts = facts(ctx, store);
        let mut remaining: Vec<&Finding> = diagnosis
            .findings
            .iter()
            .filter(|f| f.severity == Severity::Error && f.scope.includes(store))
            .filter(|f| !tolerated(client, f, &facts))
            .collect();
        // The store verdict's own code first: it is what the verifier hits first.
        let verdict = diagnosis.verdicts.get(store).and_then(|v| v.error);
        remaining.sort_by_key(|f| (Some(f.code) != verdict, f.code));
        if let Some(first) = remaining.first() {
            failure = Some((first.code, first.certificate, first.message.clone()));
            break;
        }
        if facts.anchor_is_intermediate && !matches!(client, Client::Curl | Client::Java) {
            failure = Some((
                FindingCode::UnknownIssuer,
                None,
                "partial chain: the store's anchor is an intermediate".into(),
            ));
            break;
        }
    }
    if indexes.is_empty() {
        failure = Some((
            FindingCode::VerificationFailed,
            None,
            "the store could not be loaded".into(),
        ));
    }
    let (accepted, error) = match &failure {
        None => (true, None),
        Some((code, index, _)) => {
            let partial = *code == FindingCode::UnknownIssuer && index.is_none();
            (false, Some(message(client, *code, *index, partial, ctx)))
        }
    };
    let trust_problem = failure.as_ref().is_some_and(|(code, _, _)| {
        matches!(
            code,
            FindingCode::UnknownIssuer
                | FindingCode::UntrustedRoot
                | FindingCode::SelfSigned
                | FindingCode::IncompleteChain
        )
    });
    ClientPrediction {
        client,
        store: choice.reason.clone(),
        accepted,
        hint: (trust_problem && system_trusts).then(|| client_hint(client)),
        error,
    }
}

/// What to change on the client when the system store trusts the chain but the client's store
/// does not (a corporate proxy or a private CA): never "turn verification off".
fn client_hint(client: Client) -> String {
    match client {
        Client::PythonRequests => "The system store trusts this chain but certifi does not: set REQUESTS_CA_BUNDLE=/etc/ssl/certs/ca-certificates.crt (or your CA file), or `pip install truststore` and call truststore.inject_into_ssl(); never verify=False.".into(),
        Client::PythonUrllib => "Pass cafile= (or SSL_CERT_FILE) with your CA file to ssl.create_default_context(); never an unverified context.".into(),
        Client::Curl => "Give curl your CA file with --cacert FILE (or CURL_CA_BUNDLE); never -k.".into(),
        Client::Openssl => "Give s_client your CA file with -CAfile FILE.".into(),
        Client::Node => "Start node with NODE_EXTRA_CA_CERTS=/path/to/root.pem (or --use-openssl-ca to use the system store); never NODE_TLS_REJECT_UNAUTHORIZED=0.".into(),
        Client::Java => "Import the root into a truststore (keytool -importcert -file root.pem -alias corp-root -keystore truststore.p12) and run with -Djavax.net.ssl.trustStore=truststore.p12.".into(),
    }
}

/// OpenSSL's verify error for a code: (number, text, Node's code).
fn openssl_error(
    code: FindingCode,
    index: Option<usize>,
    partial: bool,
    ctx: &Context<'_>,
) -> (u32, &'static str, &'static str) {
    let leaf_only = ctx.chain.certs.len() <= 1;
    match code {
        FindingCode::Expired => (10, "certificate has expired", "CERT_HAS_EXPIRED"),
        FindingCode::NotYetValid => (9, "certificate is not yet valid", "CERT_NOT_YET_VALID"),
        FindingCode::SelfSigned => (18, "self-signed certificate", "DEPTH_ZERO_SELF_SIGNED_CERT"),
        FindingCode::UntrustedRoot => (
            19,
            "self-signed certificate in certificate chain",
            "SELF_SIGNED_CERT_IN_CHAIN",
        ),
        FindingCode::UnknownIssuer if partial => (
            2,
            "unable to get issuer certificate",
            "UNABLE_TO_GET_ISSUER_CERT",
        ),
        FindingCode::UnknownIssuer | FindingCode::IncompleteChain if leaf_only => (
            20,
            "unable to get local issuer certificate",
            "UNABLE_TO_VERIFY_LEAF_SIGNATURE",
        ),
        FindingCode::UnknownIssuer | FindingCode::IncompleteChain => (
            20,
            "unable to get local issuer certificate",
            "UNABLE_TO_GET_ISSUER_CERT_LOCALLY",
        ),
        FindingCode::BadSignature => (7, "certificate signature failure", "CERT_SIGNATURE_FAILURE"),
        FindingCode::InvalidPurpose => (26, "unsupported certificate purpose", "INVALID_PURPOSE"),
        FindingCode::NotACa => (24, "invalid CA certificate", "INVALID_CA"),
        FindingCode::PathLengthExceeded => (
            25,
            "path length constraint exceeded",
            "PATH_LENGTH_EXCEEDED",
        ),
        FindingCode::NameConstraintViolation => (47, "permitted subtree violation", "UNSPECIFIED"),
        FindingCode::UnsupportedCriticalExtension => {
            (34, "unhandled critical extension", "UNSPECIFIED")
        }
        FindingCode::WeakSignatureAlgorithm => {
            (68, "CA signature digest algorithm too weak", "UNSPECIFIED")
        }
        FindingCode::WeakKey if index == Some(0) => {
            (66, "EE certificate key too weak", "UNSPECIFIED")
        }
        FindingCode::WeakKey => (67, "CA certificate key too weak", "UNSPECIFIED"),
        FindingCode::Revoked => (23, "certificate revoked", "CERT_REVOKED"),
        _ => (
            1,
            "unspecified certificate verification error",
            "UNSPECIFIED",
        ),
    }
}

fn asked(ctx: &Context<'_>) -> String {
    ctx.name.map(|h| h.to_string()).unwrap_or_default()
}

fn message(
    client: Client,
    code: FindingCode,
    index: Option<usize>,
    partial: bool,
    ctx: &Context<'_>,
) -> String {
    let name = asked(ctx);
    if code == FindingCode::HostnameMismatch {
        let leaf = ctx.chain.leaf();
        let altnames: Vec<String> = leaf
            .map(|l| {
                l.dns_names
                    .iter()
                    .map(|d| format!("DNS:{d}"))
                    .chain(l.ip_addresses.iter().map(|i| format!("IP Address:{i}")))
                    .collect()
            })
            .unwrap_or_default();
        return match client {
            Client::PythonRequests | Client::PythonUrllib => {
                let text = format!(
                    "[SSL: CERTIFICATE_VERIFY_FAILED] certificate verify failed: Hostname mismatch, certificate is not valid for '{name}'."
                );
                wrap_python(client, &text)
            }
            Client::Curl => format!(
                "(60) SSL: no alternative certificate subject name matches target host name '{name}'"
            ),
            Client::Openssl => "verify error:num=62:hostname mismatch".into(),
            Client::Node => format!(
                "ERR_TLS_CERT_ALTNAME_INVALID: Hostname/IP does not match certificate's altnames: Host: {name}. is not in the cert's altnames: {}",
                altnames.join(", ")
            ),
            Client::Java => match ctx.name {
                Some(Host::Ip(_)) => {
                    format!("No subject alternative names matching IP address {name} found")
                }
                _ => format!("No subject alternative DNS name matching {name} found."),
            },
        };
    }
    if client == Client::Java {
        return java_message(code);
    }
    let (number, text, node_code) = openssl_error(code, index, partial, ctx);
    let rsa_issuer = index.is_some_and(|i| issuer_is_rsa(ctx, i));
    // At security level 2 OpenSSL's TLS layer refuses weak keys and digests in the peer's chain
    // with its own reasons, before certificate verification reports anything.
    let security = match code {
        FindingCode::WeakKey if index == Some(0) => Some(("EE_KEY_TOO_SMALL", "ee key too small")),
        FindingCode::WeakKey => Some(("CA_KEY_TOO_SMALL", "ca key too small")),
        FindingCode::WeakSignatureAlgorithm => Some(("CA_MD_TOO_WEAK", "ca md too weak")),
        _ => None,
    };
    if let Some((reason, text)) = security.filter(|_| client != Client::Node) {
        return match client {
            Client::PythonRequests | Client::PythonUrllib => {
                wrap_python(client, &format!("[SSL: {reason}] {text}"))
            }
            Client::Curl => format!("(35) OpenSSL SSL_connect: SSL routines::{text}"),
            _ => format!("SSL routines::{text}"),
        };
    }
    match client {
        Client::PythonRequests | Client::PythonUrllib => wrap_python(
            client,
            &format!("[SSL: CERTIFICATE_VERIFY_FAILED] certificate verify failed: {text}"),
        ),
        Client::Curl if code == FindingCode::BadSignature && rsa_issuer => {
            "(35) OpenSSL SSL_connect: rsa routines::invalid padding (the handshake fails before verification ends, so curl exits 35, not 60)".into()
        }
        Client::Curl => format!("(60) SSL certificate problem: {text}"),
        Client::Openssl => format!("verify error:num={number}:{text}"),
        Client::Node if node_code == "UNABLE_TO_VERIFY_LEAF_SIGNATURE" => {
            format!("{node_code}: unable to verify the first certificate")
        }
        Client::Node => format!("{node_code}: {text}"),
        Client::Java => java_message(code),
    }
}

/// Whether the issuer (by name, presented or in a store) of certificate `index` has an RSA key.
fn issuer_is_rsa(ctx: &Context<'_>, index: usize) -> bool {
    let Some(cert) = ctx.chain.certs.get(index).and_then(|c| c.info()) else {
        return false;
    };
    let presented = ctx
        .chain
        .parsed()
        .find(|(i, c)| *i != index && c.subject_raw == cert.issuer_raw)
        .map(|(_, c)| c.key.algorithm == "RSA");
    presented.unwrap_or_else(|| {
        ctx.stores.iter().any(|store| {
            store.anchors_named(&cert.issuer_raw).any(|anchor| {
                crate::chain::key::certificate_public_half(&anchor.spki_der)
                    .is_some_and(|half| half.algorithm() == "RSA")
            })
        })
    })
}

fn wrap_python(client: Client, text: &str) -> String {
    match client {
        Client::PythonUrllib => format!("<urlopen error {text}>"),
        _ => text.to_string(),
    }
}

fn java_message(code: FindingCode) -> String {
    let validation = |why: &str| {
        format!("PKIX path validation failed: java.security.cert.CertPathValidatorException: {why}")
    };
    match code {
        FindingCode::Expired | FindingCode::NotYetValid => validation("validity check failed"),
        FindingCode::BadSignature => validation("signature check failed"),
        FindingCode::NotACa => {
            validation("basic constraints check failed: this is not a CA certificate")
        }
        FindingCode::PathLengthExceeded => validation(
            "basic constraints check failed: pathLenConstraint violated - this cert must be the last cert in the certification path",
        ),
        FindingCode::NameConstraintViolation => validation("name constraints check failed"),
        FindingCode::UnsupportedCriticalExtension => {
            "Unrecognized critical extension(s)".into()
        }
        FindingCode::InvalidPurpose => {
            "Extended key usage does not permit use for TLS server authentication".into()
        }
        FindingCode::WeakSignatureAlgorithm | FindingCode::WeakKey => validation(
            "Algorithm constraints check failed on signature algorithm or key size",
        ),
        FindingCode::Revoked => validation("Certificate has been revoked"),
        _ => "PKIX path building failed: sun.security.provider.certpath.SunCertPathBuilderException: unable to find valid certification path to requested target".into(),
    }
}

/// How to load a store that only a client uses.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ExtraStore {
    /// A CA file (REQUESTS_CA_BUNDLE, CURL_CA_BUNDLE).
    File(PathBuf),
    /// The bundled Mozilla set plus a file (Node with NODE_EXTRA_CA_CERTS).
    BundledPlus(PathBuf),
}

/// Chooses each client's store: every client uses the `--ca-file` stores when given (as if passed
/// `verify=`, `--cacert`, `ca:`, a truststore), otherwise its own default on this machine.
///
/// `custom` are the indexes of the `--ca-file` stores; `system` and `bundled` the indexes of
/// those stores among the configured ones.
pub fn choose_stores(
    env: &ClientEnv,
    system: usize,
    bundled: usize,
    custom: &[usize],
) -> (Vec<ClientStore>, Vec<ExtraStore>) {
    let mut extra: Vec<ExtraStore> = Vec::new();
    let mut extra_index = |store: ExtraStore| {
        if let Some(i) = extra.iter().position(|e| *e == store) {
            return i;
        }
        extra.push(store);
        extra.len() - 1
    };
    let system_reason = if env.ssl_cert_env {
        "system: SSL_CERT_FILE/SSL_CERT_DIR are set and replace OpenSSL's default store"
    } else {
        "system: OpenSSL's default store (SSL_CERT_FILE and SSL_CERT_DIR are not set)"
    };
    let choices = Client::ALL
        .iter()
        .map(|&client| {
            if !custom.is_empty() {
                let how = match client {
                    Client::PythonRequests => "requests.get(..., verify=PATH)",
                    Client::PythonUrllib => "ssl.create_default_context(cafile=PATH)",
                    Client::Curl => "curl --cacert PATH",
                    Client::Openssl => "openssl s_client -CAfile PATH",
                    Client::Node => "https.request({ ca: fs.readFileSync(PATH) })",
                    Client::Java => "a truststore built from PATH",
                };
                return ClientStore {
                    client,
                    choice: StoreChoice::Configured(custom.to_vec()),
                    reason: format!("custom: --ca-file, as if given {how}"),
                };
            }
            let (choice, reason) = match client {
                Client::PythonRequests => match (&env.requests_ca_bundle, &env.curl_ca_bundle) {
                    (Some(path), _) => (
                        StoreChoice::Extra(extra_index(ExtraStore::File(path.clone()))),
                        format!("REQUESTS_CA_BUNDLE={}", path.display()),
                    ),
                    (None, Some(path)) => (
                        StoreChoice::Extra(extra_index(ExtraStore::File(path.clone()))),
                        format!("CURL_CA_BUNDLE={} (REQUESTS_CA_BUNDLE is not set)", path.display()),
                    ),
                    (None, None) => (
                        StoreChoice::Configured(vec![bundled]),
                        "bundled: certifi's Mozilla set (REQUESTS_CA_BUNDLE and CURL_CA_BUNDLE are not set)".into(),
                    ),
                },
                Client::Curl => match &env.curl_ca_bundle {
                    Some(path) => (
                        StoreChoice::Extra(extra_index(ExtraStore::File(path.clone()))),
                        format!("CURL_CA_BUNDLE={}", path.display()),
                    ),
                    None => (StoreChoice::Configured(vec![system]), system_reason.into()),
                },
                Client::PythonUrllib | Client::Openssl => {
                    (StoreChoice::Configured(vec![system]), system_reason.into())
                }
                Client::Node => match &env.node_extra_ca_certs {
                    Some(path) => (
                        StoreChoice::Extra(extra_index(ExtraStore::BundledPlus(path.clone()))),
                        format!("Node's bundled Mozilla set plus NODE_EXTRA_CA_CERTS={}", path.display()),
                    ),
                    None => (
                        StoreChoice::Configured(vec![bundled]),
                        "bundled: Node's own Mozilla set (NODE_EXTRA_CA_CERTS is not set)".into(),
                    ),
                },
                Client::Java => match &env.java_cacerts {
                    Some(path) => (
                        StoreChoice::Configured(vec![system]),
                        format!(
                            "Java's cacerts at {}, modelled as the system CA set it is generated from (ca-certificates-java)",
                            path.display()
                        ),
                    ),
                    None => (
                        StoreChoice::Configured(vec![bundled]),
                        "no Java cacerts found: assumed the JDK's default cacerts, modelled as the Mozilla set".into(),
                    ),
                },
            };
            ClientStore {
                client,
                choice,
                reason,
            }
        })
        .collect();
    (choices, extra)
}
