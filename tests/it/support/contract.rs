//! The JSON contract as the tests read it: every struct denies unknown fields, so a field added or
//! renamed without updating the contract fails here. A field no test reads yet stays declared for
//! that reason, under an `expect(dead_code)` that fails once a test does read it.

use serde::Deserialize;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
#[expect(dead_code, reason = "unread fields kept for deny_unknown_fields")]
pub struct Report {
    pub version: String,
    pub checked_at: String,
    pub results: Vec<TargetResult>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
#[expect(dead_code, reason = "unread fields kept for deny_unknown_fields")]
pub struct TargetResult {
    pub target: String,
    pub host: Option<String>,
    pub port: Option<u16>,
    pub server_name: Option<String>,
    pub address: Option<String>,
    pub connect_to: Option<String>,
    pub route: Option<String>,
    pub route_reason: Option<String>,
    pub route_summary: Option<String>,
    pub source: String,
    pub status: String,
    pub verdict: String,
    pub hint: Option<String>,
    pub expires_at: Option<String>,
    pub days_remaining: Option<i64>,
    pub connection_error: Option<ConnectionError>,
    pub tls: Option<Tls>,
    pub starttls: Option<Starttls>,
    pub chain: Vec<Cert>,
    pub trust: Vec<Trust>,
    pub findings: Vec<Finding>,
    pub clients: Vec<Client>,
    pub fetched: Vec<Fetch>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Fetch {
    pub url: String,
    pub purpose: String,
    pub outcome: String,
    pub detail: String,
    pub status: Option<u16>,
    pub content_type: Option<String>,
    pub bytes: u64,
    pub milliseconds: u64,
    pub subject: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Client {
    pub client: String,
    pub assumes: String,
    pub store: String,
    pub accepted: bool,
    pub error: Option<String>,
    pub hint: Option<String>,
    pub decides: bool,
    pub route: Option<String>,
    pub route_reason: Option<String>,
}

#[derive(Debug, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct Starttls {
    pub protocol: String,
    pub inferred_from_port: bool,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConnectionError {
    pub code: String,
    pub message: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
#[expect(dead_code, reason = "unread fields kept for deny_unknown_fields")]
pub struct Tls {
    pub version: String,
    pub cipher_suite: String,
    pub alpn: Option<String>,
    pub ocsp_stapled: bool,
    pub client_certificate_requested: bool,
    #[serde(default)]
    pub client_certificate_sent: bool,
    pub handshake_completed: bool,
    #[serde(default)]
    pub certificate_message_bytes: Option<u64>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Key {
    pub algorithm: String,
    pub bits: u32,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
#[expect(dead_code, reason = "unread fields kept for deny_unknown_fields")]
pub struct Cert {
    pub index: usize,
    pub subject: String,
    pub issuer: String,
    pub serial: String,
    pub not_before: String,
    pub not_after: String,
    pub days_remaining: i64,
    pub dns_names: Vec<String>,
    pub ip_addresses: Vec<String>,
    pub is_ca: bool,
    pub self_signed: bool,
    pub key: Key,
    pub signature_algorithm: String,
    pub sha256: String,
    pub parse_error: Option<String>,
    /// The embedded SCTs (`version`, `log_id`, `timestamp`).
    pub scts: Vec<serde_json::Value>,
    /// Only under `show`.
    #[serde(default)]
    pub details: Option<serde_json::Value>,
    /// Only under `show`, `--showcerts` and `--save-chain`.
    #[serde(default)]
    pub pem: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Trust {
    pub store: String,
    pub source: String,
    pub trusted: bool,
    pub error: Option<String>,
    pub anchor: Option<String>,
    pub expires_at: Option<String>,
    pub load_errors: Vec<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Finding {
    pub code: String,
    pub severity: String,
    pub certificate: Option<usize>,
    pub stores: Option<Vec<String>>,
    pub message: String,
    pub hint: String,
}

impl TargetResult {
    /// The findings with this code.
    pub fn with_code(&self, code: &str) -> Vec<&Finding> {
        self.findings.iter().filter(|f| f.code == code).collect()
    }

    /// The one finding with this code, failing the test with the whole result otherwise.
    pub fn finding(&self, code: &str) -> &Finding {
        let found = self.with_code(code);
        assert!(
            !found.is_empty(),
            "no {code} finding in {:#?}",
            self.findings
        );
        found[0]
    }

    /// The prediction for a client profile.
    pub fn client(&self, name: &str) -> &Client {
        self.clients
            .iter()
            .find(|c| c.client == name)
            .unwrap_or_else(|| panic!("no {name} client in {:#?}", self.clients))
    }

    /// The trust entry for a store kind.
    pub fn store(&self, kind: &str) -> &Trust {
        self.trust
            .iter()
            .find(|t| t.store == kind)
            .unwrap_or_else(|| panic!("no {kind} store in {:#?}", self.trust))
    }
}
