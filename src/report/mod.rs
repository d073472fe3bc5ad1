//! The serde model that *is* the JSON contract: every type the JSON (and the human tables) are
//! written from. No formatting happens here or later: every field, sentence and status is
//! computed before rendering, by [`build`].

pub mod build;
pub mod metrics;
pub mod schema;
pub mod verdict;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use crate::chain::details::CertDetails;
use crate::chain::{AlgorithmName, Fingerprint};
use crate::clients::Client;
use crate::diagnose::text::write_date;
use crate::diagnose::{FindingCode, Severity};
use crate::trust::StoreKind;

pub use build::{
    Origin, bundle_reports, chain_reports, earliest_expiry, finding_reports, primary_kind,
    primary_trusted, trust_reports,
};
pub use verdict::{Verdict, pathless_status, status, verdict};

/// The whole run.
#[derive(Clone, Debug, Serialize, Deserialize, JsonSchema)]
pub struct Report {
    /// certcheck's version.
    pub version: String,
    /// The instant of validation (`--at` when given), RFC 3339.
    pub checked_at: String,
    /// One result per target, in input order.
    pub results: Vec<TargetReport>,
}

/// One `--jsonl` line: a result with the run's version and instant, so each line stands alone.
#[derive(Clone, Debug, Serialize, JsonSchema)]
pub struct ResultLine<'a> {
    /// certcheck's version.
    pub version: &'a str,
    /// The instant of validation (`--at` when given), RFC 3339.
    pub checked_at: &'a str,
    /// The result, its fields at the top level.
    #[serde(flatten)]
    pub result: &'a TargetReport,
}

/// Where a result's certificates came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum Source {
    /// A live TLS handshake.
    Tls,
    /// A local file.
    File,
}

/// The overall outcome of one target.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize, JsonSchema,
)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    /// Trusted, nothing expiring.
    Ok,
    /// Trusted, with warnings.
    Warning,
    /// A client would fail, or the target could not be evaluated.
    Error,
}

/// A failure to obtain or evaluate the certificates.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct ConnectionErrorReport {
    /// What kind of failure.
    pub code: ErrorCode,
    /// A sentence.
    pub message: String,
}

/// The contract's `connection_error.code`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum ErrorCode {
    /// The host name did not resolve.
    Dns,
    /// The TCP connection was refused.
    Refused,
    /// `--timeout` elapsed.
    Timeout,
    /// The peer does not speak TLS.
    NotTls,
    /// The handshake failed with a TLS alert or incompatibility.
    TlsAlert,
    /// Any other I/O failure, including an internal error while checking.
    Io,
    /// A file (input, `--untrusted`, `--key`, `--ca-file`, a store) could not be used.
    File,
    /// The HTTP proxy could not be reached, refused the tunnel, closed or did not answer.
    Proxy,
    /// The STARTTLS exchange before TLS failed: the server does not offer it, refused it, or
    /// speaks another protocol.
    Starttls,
}

impl ErrorCode {
    /// The contract string, e.g. `not-tls`.
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorCode::Dns => "dns",
            ErrorCode::Refused => "refused",
            ErrorCode::Timeout => "timeout",
            ErrorCode::NotTls => "not-tls",
            ErrorCode::TlsAlert => "tls-alert",
            ErrorCode::Io => "io",
            ErrorCode::File => "file",
            ErrorCode::Proxy => "proxy",
            ErrorCode::Starttls => "starttls",
        }
    }
}

impl std::fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The negotiated session.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct TlsReport {
    /// `TLSv1.3` or `TLSv1.2`.
    pub version: String,
    /// e.g. `TLS13_AES_256_GCM_SHA384`.
    pub cipher_suite: String,
    /// Negotiated ALPN protocol.
    pub alpn: Option<String>,
    /// Whether the server stapled an OCSP response.
    pub ocsp_stapled: bool,
    /// Whether the server asked for a client certificate (certcheck addition): clients without
    /// one are refused after the handshake, whatever the chain.
    pub client_certificate_requested: bool,
    /// Whether certcheck answered that request with the `--cert` certificate (certcheck
    /// addition); false without `--cert`, or when the server accepts none of its key's
    /// signature schemes.
    #[serde(default)]
    pub client_certificate_sent: bool,
    /// Whether certcheck completed the handshake (certcheck addition). `false` when rustls would
    /// not read the chain (a server of TLS 1.1 or older, a Certificate message over 64 KiB) and
    /// certcheck read the server's plaintext Certificate message with its own TLS 1.2
    /// ClientHello, then closed: `version` and `cipher_suite` are what that ClientHello got.
    #[serde(default = "completed")]
    pub handshake_completed: bool,
    /// The Certificate message's body as a client offering TLS 1.3 receives it, in bytes (its
    /// TLS 1.3 form when the server speaks TLS 1.3), when certcheck read it itself (certcheck
    /// addition): the size each client's limit is checked against.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub certificate_message_bytes: Option<u64>,
}

fn completed() -> bool {
    true
}

/// How TLS was reached: the plaintext protocol spoken first (certcheck addition).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct StarttlsReport {
    /// `smtp`, `imap`, `pop3`, `ftp`, `ldap`, `postgres`, `mysql` or `xmpp`.
    pub protocol: String,
    /// Whether the protocol was inferred from a bare `host:PORT` (e.g. 25 is SMTP) rather than
    /// named by `--starttls` or the URL scheme.
    pub inferred_from_port: bool,
}

/// A public key, for people.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct KeyReport {
    /// `RSA`, `EC`, `Ed25519`...
    pub algorithm: AlgorithmName,
    /// Key size in bits.
    pub bits: u32,
}

/// One presented certificate.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct CertReport {
    /// Position in the presented chain.
    pub index: usize,
    /// Subject DN.
    pub subject: String,
    /// Issuer DN.
    pub issuer: String,
    /// Serial number, hex.
    pub serial: String,
    /// notBefore, RFC 3339.
    pub not_before: CertDate,
    /// notAfter, RFC 3339.
    pub not_after: CertDate,
    /// Whole days until notAfter, negative once expired.
    pub days_remaining: i64,
    /// subjectAltName DNS names.
    pub dns_names: Vec<String>,
    /// subjectAltName IP addresses.
    pub ip_addresses: Vec<String>,
    /// basicConstraints cA.
    pub is_ca: bool,
    /// Issued by itself: subject = issuer and the signature verifies with its own key. Under
    /// `inspect --each`, which builds no path, subject = issuer and matching key identifiers.
    pub self_signed: bool,
    /// The public key.
    pub key: KeyReport,
    /// e.g. `sha256WithRSAEncryption`.
    pub signature_algorithm: AlgorithmName,
    /// SHA-256 fingerprint of the DER, hex.
    pub sha256: Fingerprint,
    /// Why the certificate could not be parsed (certcheck addition; null when it parsed).
    pub parse_error: Option<String>,
    /// The embedded signed certificate timestamps (certcheck addition): each log's ID and time, in
    /// order. Log names are not given: certcheck carries no CT log list.
    #[serde(default)]
    pub scts: Vec<crate::chain::details::SctDetails>,
    /// Every field of the certificate (certcheck addition; only under `certcheck show`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub details: Option<Box<CertDetails>>,
    /// The certificate as PEM (certcheck addition; under `show`, `--showcerts` and `--save-chain`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pem: Option<String>,
}

/// A certificate's notBefore or notAfter, written as RFC 3339 (`2026-10-01T00:00:00Z`) and empty
/// for a certificate that could not be parsed. Kept as a time until the report is written, as a
/// bundle of thousands is mostly shown in part.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CertDate(pub Option<OffsetDateTime>);

impl std::fmt::Display for CertDate {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.0 {
            Some(at) => write_date(at, f),
            None => Ok(()),
        }
    }
}

impl Serialize for CertDate {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for CertDate {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = <std::borrow::Cow<'de, str>>::deserialize(deserializer)?;
        if text.is_empty() {
            return Ok(CertDate(None));
        }
        OffsetDateTime::parse(&text, &time::format_description::well_known::Rfc3339)
            .map(|at| CertDate(Some(at)))
            .map_err(serde::de::Error::custom)
    }
}

impl JsonSchema for CertDate {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "CertDate".into()
    }

    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        schemars::json_schema!({
            "description": "An RFC 3339 instant, or empty for a certificate that could not be parsed.",
            "type": "string",
            "anyOf": [{ "format": "date-time" }, { "maxLength": 0 }]
        })
    }
}

impl JsonSchema for Fingerprint {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "Fingerprint".into()
    }

    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        schemars::json_schema!({
            "description": "A SHA-256 fingerprint: 64 lower-case hex digits.",
            "type": "string",
            "pattern": "^[0-9a-f]{64}$"
        })
    }
}

/// A fingerprint is 64 lower-case hex digits in JSON.
impl Serialize for Fingerprint {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.with_hex(|hex| serializer.serialize_str(hex))
    }
}

impl<'de> Deserialize<'de> for Fingerprint {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = <std::borrow::Cow<'de, str>>::deserialize(deserializer)?;
        let digit = |c: u8| char::from(c).to_digit(16);
        let mut out = [0u8; 32];
        if text.len() != 64 {
            return Err(serde::de::Error::custom(
                "a SHA-256 fingerprint has 64 hex digits",
            ));
        }
        for (byte, pair) in out.iter_mut().zip(text.as_bytes().chunks_exact(2)) {
            match (digit(pair[0]), digit(pair[1])) {
                (Some(high), Some(low)) => *byte = (high * 16 + low) as u8,
                _ => return Err(serde::de::Error::custom("a fingerprint is written in hex")),
            }
        }
        Ok(Fingerprint(out))
    }
}

/// One store's verdict.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct TrustReport {
    /// `system`, `bundled` or `custom`.
    pub store: StoreKind,
    /// Path or description.
    pub source: String,
    /// Whether a client using this store would accept the chain for this name.
    pub trusted: bool,
    /// The finding code that explains a failure.
    pub error: Option<FindingCode>,
    /// Subject of the anchor reached.
    pub anchor: Option<String>,
    /// Earliest notAfter along the validated path: the date the chain breaks in this store.
    pub expires_at: Option<String>,
    /// Entries of the store that failed to load (certcheck addition).
    pub load_errors: Vec<String>,
}

impl TrustReport {
    /// The store could not be loaded at all, so it gave no verdict.
    pub fn unavailable(&self) -> bool {
        !self.trusted
            && self.error.is_none()
            && self.anchor.is_none()
            && !self.load_errors.is_empty()
    }
}

/// One finding.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct FindingReport {
    /// The code.
    pub code: FindingCode,
    /// Its severity.
    pub severity: Severity,
    /// Index in `chain`, or null for the chain as a whole.
    pub certificate: Option<usize>,
    /// Null when it holds whatever the store, else the stores it holds under.
    pub stores: Option<Vec<StoreKind>>,
    /// A sentence with the exact values.
    pub message: String,
    /// What to do about it.
    pub hint: String,
}

/// The result for one target.
#[derive(Clone, Debug, Serialize, Deserialize, JsonSchema)]
pub struct TargetReport {
    /// What the user typed (or the file path).
    pub target: String,
    /// The host (null for a file without `--host`).
    pub host: Option<String>,
    /// The port (null for files).
    pub port: Option<u16>,
    /// The name sent as SNI and verified (null when no name is checked).
    pub server_name: Option<String>,
    /// The peer address that answered (through a proxy, the proxy's).
    pub address: Option<String>,
    /// `--connect-to` as given (`ADDR[:PORT]`), null without it (certcheck addition): with the
    /// server name, it tells apart results for the same target.
    #[serde(default)]
    pub connect_to: Option<String>,
    /// How certcheck reached the server (certcheck addition): `direct`, or the proxy's URL
    /// without credentials; null for files.
    pub route: Option<String>,
    /// Why that route (certcheck addition): `--proxy`, `--no-proxy`, the variable it came from,
    /// or the `NO_PROXY` entry that matched; null for files.
    pub route_reason: Option<String>,
    /// The routes in words, when a proxy is involved for certcheck or any client (certcheck
    /// addition): which clients go through which proxy and which connect directly.
    pub route_summary: Option<String>,
    /// `tls` or `file`.
    pub source: Source,
    /// The outcome: `error` when a client that decides (`--client`) would fail.
    pub status: Status,
    /// The verdict in words: which clients work and which fail, and why (certcheck addition).
    pub verdict: String,
    /// What to do first, when anything needs doing (certcheck addition): the hint of the
    /// finding that matters most, as the human report's first line ends.
    #[serde(default)]
    pub hint: Option<String>,
    /// The earliest notAfter on the path the primary store validated, else in the chain
    /// (certcheck addition): the date this target breaks.
    pub expires_at: Option<String>,
    /// Whole days from `checked_at` to `expires_at`, negative once passed (certcheck addition).
    pub days_remaining: Option<i64>,
    /// Why the target could not be (fully) evaluated.
    pub connection_error: Option<ConnectionErrorReport>,
    /// The negotiated session.
    pub tls: Option<TlsReport>,
    /// The protocol spoken before TLS, when the target used STARTTLS (certcheck addition).
    #[serde(default)]
    pub starttls: Option<StarttlsReport>,
    /// The presented certificates.
    pub chain: Vec<CertReport>,
    /// One entry per store.
    pub trust: Vec<TrustReport>,
    /// Every finding, most severe first.
    pub findings: Vec<FindingReport>,
    /// What each client profile would do with this chain (empty when nothing was evaluated).
    pub clients: Vec<ClientPrediction>,
    /// What certcheck fetched for this target, in order (certcheck addition): the AIA caIssuers
    /// certificate of an issuer the server did not send, and so on up to 4 levels; empty when
    /// nothing was fetched (a complete chain, `--offline`, `inspect` without `--fetch`).
    #[serde(default)]
    pub fetched: Vec<FetchReport>,
}

/// One fetch certcheck made (certcheck addition); a fetch that failed is data, never an abort.
#[derive(Clone, Debug, Serialize, Deserialize, JsonSchema)]
pub struct FetchReport {
    /// The URL as the certificate names it.
    pub url: String,
    /// Why: `aia` (the caIssuers certificate of a missing issuer).
    pub purpose: crate::connect::fetch::FetchPurpose,
    /// How it ended: `ok`, `timeout`, `too-large`, `http-status`, `redirect-refused`,
    /// `too-many-redirects`, `not-a-certificate`, `not-the-issuer`, `loop`, `depth-limit`,
    /// `unsupported-scheme`, `bad-url`, `connect-failed` or `io`.
    pub outcome: crate::connect::fetch::FetchOutcome,
    /// The outcome in words, with the exact values.
    pub detail: String,
    /// The HTTP status of the last answer, null when none came.
    pub status: Option<u16>,
    /// The `Content-Type` of the last answer, null when it had none.
    pub content_type: Option<String>,
    /// Body bytes read (reading stops past 1 MiB).
    pub bytes: u64,
    /// Time taken, in milliseconds.
    pub milliseconds: u64,
    /// The subject of the certificate it gave, null when it gave none.
    pub subject: Option<String>,
}

impl From<&crate::connect::fetch::FetchRecord> for FetchReport {
    fn from(record: &crate::connect::fetch::FetchRecord) -> FetchReport {
        FetchReport {
            url: record.url.clone(),
            purpose: record.purpose,
            outcome: record.outcome,
            detail: record.detail.clone(),
            status: record.status,
            content_type: record.content_type.clone(),
            bytes: record.bytes,
            milliseconds: record.milliseconds,
            subject: record.subject.clone(),
        }
    }
}

/// The prediction for one client.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct ClientPrediction {
    /// The client profile.
    pub client: Client,
    /// The client and version the prediction assumes, e.g. `OpenJDK 17 (JSSE, PKIX)` (certcheck
    /// addition).
    pub assumes: String,
    /// Which store it would use and why.
    pub store: String,
    /// Whether it would complete the handshake.
    pub accepted: bool,
    /// What it would print, in its own words; null when accepted.
    pub error: Option<String>,
    /// What to change on the client side (never disabling verification); null when none.
    pub hint: Option<String>,
    /// Whether this client decides the status (`--client`; certcheck addition).
    pub decides: bool,
    /// How this client would reach the server with this environment (certcheck addition):
    /// `direct`, or the proxy's URL without credentials; null when not predicted (files).
    pub route: Option<String>,
    /// Why (certcheck addition): the variable it would read, the `NO_PROXY` entry that sends it
    /// direct, or that it reads no proxy variable.
    pub route_reason: Option<String>,
}

/// One case of `certcheck demo`: what was expected and what certcheck found (human output only).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CaseOutcome {
    /// The case, e.g. `expired leaf`.
    pub name: &'static str,
    /// What the case is built to show.
    pub expected: String,
    /// What certcheck reported.
    pub got: String,
    /// Whether the two agree.
    pub passed: bool,
}

/// `certcheck stores`: where each trust store comes from and which store each client uses.
#[derive(Clone, Debug, Serialize, Deserialize, JsonSchema)]
pub struct StoresReport {
    /// certcheck's version.
    pub version: String,
    /// One entry per store: `system`, `bundled`, each `--ca-file`, then every embedded platform
    /// store.
    pub stores: Vec<StoreSummary>,
    /// The store each client profile would use and why.
    pub clients: Vec<ClientStoreSummary>,
    /// The client versions and settings the predictions assume.
    pub assumptions: String,
}

/// One store, as loaded.
#[derive(Clone, Debug, Serialize, Deserialize, JsonSchema)]
pub struct StoreSummary {
    /// `system`, `bundled` or `custom`.
    pub store: StoreKind,
    /// Description.
    pub source: String,
    /// Files read.
    pub files: Vec<String>,
    /// Directories read.
    pub directories: Vec<String>,
    /// Whether `SSL_CERT_FILE`/`SSL_CERT_DIR` decided the system store.
    pub from_environment: bool,
    /// Certificates usable as trust anchors.
    pub certificates: usize,
    /// Entries that failed to load, each with why.
    pub failed: Vec<String>,
    /// For an embedded platform store: the snapshot it is (certcheck addition).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub snapshot: Option<SnapshotSummary>,
}

/// Where an embedded platform store's list comes from and how old it is.
#[derive(Clone, Debug, Serialize, Deserialize, JsonSchema)]
pub struct SnapshotSummary {
    /// The platform as trust_stores_observatory names it (`MICROSOFT_WINDOWS`).
    pub platform: String,
    /// The platform version, when the data gives one.
    pub version: Option<String>,
    /// Where the observatory read the list.
    pub url: String,
    /// When it read it (`YYYY-MM-DD`).
    pub fetched: String,
    /// Certificates the platform trusts.
    pub trusted: usize,
    /// Certificates the platform blocks (Windows' disallowed list, Java's `blocked.certs`).
    pub blocked: usize,
}

/// A client profile's store.
#[derive(Clone, Debug, Serialize, Deserialize, JsonSchema)]
pub struct ClientStoreSummary {
    /// The client profile.
    pub client: Client,
    /// The client and version the profile stands for.
    pub assumes: String,
    /// Which store and why (the environment variables that decided it).
    pub store: String,
}
