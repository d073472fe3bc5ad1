//! The platform verifiers certcheck cannot run here: Safari / URLSession (Apple's SecTrust),
//! Android apps (Conscrypt's `TrustManagerImpl` with OkHttp's hostname check) and .NET on
//! Windows (the CryptoAPI chain engine behind `SslStream`). They are **predicted from documented
//! rules, not measured**: the conformance suite has no runner for them on Debian.
//!
//! Each builds its path with Chromium's model ([`chrome::statuses`]: the same RFC 5280 path
//! builder over the store, the presented certificates and, where the platform fetches them, the
//! intermediates certcheck fetched from AIA caIssuers URLs), then adds the platform's own rules
//! and words:
//!
//! - Apple (`../shared/design/client-rules.md` section 4): support.apple.com/103769 (every TLS
//!   certificate: RSA keys of 2048 bits or more; the name in the subjectAltName; from a notBefore
//!   of 2019-07-01 an extendedKeyUsage with serverAuth and a validity of 825 days at most),
//!   support.apple.com/102028 (roots of the Apple store only: issued on or after 2020-09-01, at
//!   most 398 days), support.apple.com/103214 (Certificate Transparency for the Apple store's
//!   roots: the SCT counts of [`apple_scts_needed`]); AIA fetched by trustd [inf]; the URLError
//!   codes from developer.apple.com (Foundation `URLError`).
//! - Android: no AIA fetch (Conscrypt's `TrustManagerImpl` builds from the presented chain, its
//!   cached intermediates and the store; client-rules.md says nothing on Android, so this follows
//!   Conscrypt's source [inf]), the AOSP store; user-added CAs are not trusted by apps targeting
//!   API 24 and later unless their `network_security_config` says so (developer.android.com,
//!   Network security configuration) [doc].
//! - Windows/.NET (client-rules.md section 6): the `SslPolicyErrors` and `X509ChainStatusFlags`
//!   words of dotnet/runtime `Strings.resx`; missing intermediates fetched over AIA
//!   (`DisableCertificateDownloads=false`); a certificate the Windows store blocks (the embedded
//!   disallowed list) is `ExplicitDistrust`.

use time::{Duration, OffsetDateTime, macros::datetime};

use super::chrome::{self, Status};
use crate::chain::{CertInfo, Chain, KeyKind, usage};
use crate::target::Host;
use crate::trust::{StoreKind, TrustStore};

/// Which platform verifier.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Os {
    /// Apple's SecTrust (Safari, URLSession).
    Apple,
    /// Android's Conscrypt with OkHttp.
    Android,
    /// .NET's chain engine on Windows.
    Windows,
}

impl Os {
    /// Whether the platform fetches a missing intermediate from its AIA caIssuers URL.
    pub fn fetches_aia(self) -> bool {
        !matches!(self, Os::Android)
    }
}

/// Apple's cut-off for the serverAuth EKU and the 825-day limit (support.apple.com/103769).
const APPLE_2019: OffsetDateTime = datetime!(2019-07-01 0:00 UTC);
/// Apple's cut-off for the 398-day limit under its own roots (support.apple.com/102028).
const APPLE_2020: OffsetDateTime = datetime!(2020-09-01 0:00 UTC);
/// Apple's cut-off for the current CT counts (support.apple.com/103214).
const APPLE_CT_2021: OffsetDateTime = datetime!(2021-04-21 0:00 UTC);

/// The smallest RSA key Apple accepts on a TLS certificate (support.apple.com/103769).
pub const APPLE_MIN_RSA_BITS: u32 = 2048;

/// What the platform says of the chain under `store` for `name`: `None` when it accepts.
/// `fetched` are the intermediates certcheck fetched over AIA (ignored by Android).
pub fn verify(
    os: Os,
    chain: &Chain,
    store: &TrustStore,
    fetched: &[&CertInfo],
    name: Option<&Host>,
    now: OffsetDateTime,
) -> Option<String> {
    let fetched = if os.fetches_aia() { fetched } else { &[] };
    let settings = chrome::Settings {
        google_branded: false,
    };
    let statuses = chrome::statuses(chain, store, fetched, name, now, false, settings);
    let host = name.map(ToString::to_string).unwrap_or_default();
    match os {
        Os::Apple => apple(chain, store, &statuses, now, &host),
        Os::Android => android(&statuses, &host),
        Os::Windows => windows(chain, store, fetched, &statuses, &host),
    }
}

/// The words of URLSession's -1202 (`NSURLErrorServerCertificateUntrusted`) for `host`.
pub fn apple_untrusted(host: &str) -> String {
    format!(
        "NSURLErrorServerCertificateUntrusted (-1202): The certificate for this server is invalid. You might be connecting to a server that is pretending to be “{host}” which could put your confidential information at risk."
    )
}

fn apple(
    chain: &Chain,
    store: &TrustStore,
    statuses: &[Status],
    now: OffsetDateTime,
    host: &str,
) -> Option<String> {
    let leaf = chain.leaf()?;
    let policy = apple_policy(chain, leaf, store.kind == StoreKind::Apple);
    if policy.is_some() || statuses.iter().any(|s| *s != Status::DateInvalid) {
        return Some(apple_untrusted(host));
    }
    statuses.first().map(|_| {
        if leaf.not_before > now {
            "NSURLErrorServerCertificateNotYetValid (-1204)".to_string()
        } else {
            "NSURLErrorServerCertificateHasBadDate (-1201)".to_string()
        }
    })
}

/// Apple's policy rules beyond the path, first broken one (`public_root`: the store is Apple's
/// own, where the 398-day and CT rules apply; roots a user added are exempt).
pub fn apple_policy(chain: &Chain, leaf: &CertInfo, public_root: bool) -> Option<String> {
    let weak = chain
        .parsed()
        .map(|(_, c)| c)
        .find(|c| c.key.kind() == KeyKind::Rsa && c.key.bits < APPLE_MIN_RSA_BITS);
    if let Some(cert) = weak {
        return Some(format!(
            "RSA key of {} bits on {} (Apple asks for {APPLE_MIN_RSA_BITS})",
            cert.key.bits, cert.subject
        ));
    }
    let days = validity_days(leaf);
    if leaf.not_before >= APPLE_2019 {
        if !leaf.has_ext_key_usage(usage::SERVER_AUTH) {
            return Some("no extendedKeyUsage serverAuth (required from 2019-07-01)".into());
        }
        if days > 825 {
            return Some(format!(
                "valid for {days} days (825 at most from 2019-07-01)"
            ));
        }
    }
    if public_root {
        if leaf.not_before >= APPLE_2020 && days > 398 {
            return Some(format!(
                "valid for {days} days (398 at most under Apple's roots from 2020-09-01)"
            ));
        }
        let needed = apple_scts_needed(leaf);
        let mut logs: Vec<&str> = leaf.scts.iter().map(|s| s.log_id.as_str()).collect();
        logs.sort();
        logs.dedup();
        if logs.len() < needed {
            return Some(format!(
                "{} embedded SCT(s) from distinct logs, {needed} needed",
                logs.len()
            ));
        }
    }
    None
}

/// The validity in Apple's days: RFC 5280 inclusive (notAfter counts), 86 400 s a day, any
/// excess counting as a day (support.apple.com/102028).
pub fn validity_days(leaf: &CertInfo) -> i64 {
    let span = leaf.not_after - leaf.not_before + Duration::seconds(1);
    let days = span.whole_days();
    if span > Duration::days(days) {
        days + 1
    } else {
        days
    }
}

/// How many embedded SCTs from distinct logs Apple asks of a certificate
/// (support.apple.com/103214): from a notBefore of 2021-04-21, 2 up to 180 days and 3 beyond;
/// before, by months of validity: under 15 → 2, 15–27 → 3, 27–39 → 4, beyond → 5. The operator
/// limits need Apple's log list, which certcheck does not have: only the count is checked.
pub fn apple_scts_needed(leaf: &CertInfo) -> usize {
    let days = validity_days(leaf);
    if leaf.not_before >= APPLE_CT_2021 {
        return if days <= 180 { 2 } else { 3 };
    }
    match days * 12 / 365 {
        m if m < 15 => 2,
        m if m <= 27 => 3,
        m if m <= 39 => 4,
        _ => 5,
    }
}

/// The trust failure an Android app reports (Conscrypt's `TrustManagerImpl`).
pub const ANDROID_UNTRUSTED: &str = "javax.net.ssl.SSLHandshakeException: java.security.cert.CertPathValidatorException: Trust anchor for certification path not found.";

/// Android: the path first (Conscrypt, in the handshake), the name after it (OkHttp's
/// `OkHostnameVerifier`) [inf for the words other than the trust anchor's].
fn android(statuses: &[Status], host: &str) -> Option<String> {
    if statuses.contains(&Status::AuthorityInvalid) {
        return Some(ANDROID_UNTRUSTED.into());
    }
    if statuses.contains(&Status::DateInvalid) {
        return Some("javax.net.ssl.SSLHandshakeException: java.security.cert.CertPathValidatorException: timestamp check failed".into());
    }
    if statuses
        .iter()
        .any(|s| *s != Status::CommonNameInvalid && *s != Status::ValidityTooLong)
    {
        return Some("javax.net.ssl.SSLHandshakeException: java.security.cert.CertificateException: Chain validation failed".into());
    }
    statuses
        .contains(&Status::CommonNameInvalid)
        .then(|| format!("javax.net.ssl.SSLPeerUnverifiedException: Hostname {host} not verified"))
}

/// .NET on Windows: `SslPolicyErrors` and the chain's `X509ChainStatusFlags`.
fn windows(
    chain: &Chain,
    store: &TrustStore,
    fetched: &[&CertInfo],
    statuses: &[Status],
    _host: &str,
) -> Option<String> {
    let mut flags: Vec<&str> = Vec::new();
    let blocked = chain
        .parsed()
        .map(|(_, c)| c)
        .chain(fetched.iter().copied())
        .any(|c| store.blocked.contains(&c.sha256.0));
    if blocked {
        flags.push("ExplicitDistrust");
    }
    for status in statuses {
        let flag = match status {
            Status::AuthorityInvalid => {
                // A self-signed certificate at the top: a root the store does not hold.
                let root = chain.parsed().any(|(_, c)| c.self_signed);
                if root {
                    "UntrustedRoot"
                } else {
                    "PartialChain"
                }
            }
            Status::DateInvalid => "NotTimeValid",
            Status::Revoked => "Revoked",
            Status::Invalid | Status::WeakKey => {
                let wrong_eku = chain.leaf().is_some_and(|l| {
                    l.ext_key_usage.is_some() && !l.has_ext_key_usage(usage::SERVER_AUTH)
                });
                if wrong_eku {
                    "NotValidForUsage"
                } else {
                    "InvalidExtension"
                }
            }
            Status::CommonNameInvalid | Status::CtRequired | Status::ValidityTooLong => continue,
        };
        if !flags.contains(&flag) {
            flags.push(flag);
        }
    }
    let mismatch = statuses.contains(&Status::CommonNameInvalid);
    match (mismatch, flags.is_empty()) {
        (false, true) => None,
        (false, false) => Some(format!(
            "The remote certificate is invalid because of errors in the certificate chain: {}",
            flags.join(", ")
        )),
        (true, true) => Some("The remote certificate is invalid according to the validation procedure: RemoteCertificateNameMismatch".into()),
        (true, false) => Some("The remote certificate is invalid according to the validation procedure: RemoteCertificateNameMismatch, RemoteCertificateChainErrors".into()),
    }
}
