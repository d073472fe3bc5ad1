//! Node.js's words: `err.code` and message as `https.request` reports them (Node 20, which takes
//! the verify error from OpenSSL and names it itself; `lib/_tls_wrap.js`, `src/crypto/crypto_common.cc`).

use super::openssl::verify_error;
use crate::diagnose::{Context, FindingCode};

/// A failure in Node's words. Node runs OpenSSL at security level 1 and refuses weak keys and
/// digests in verification, not in the TLS layer, so every failure is a verify error.
pub fn message(
    code: FindingCode,
    index: Option<usize>,
    partial: bool,
    ctx: &Context<'_>,
) -> String {
    let error = verify_error(code, index, partial, ctx);
    if error.node_code == "UNABLE_TO_VERIFY_LEAF_SIGNATURE" {
        return format!(
            "{}: unable to verify the first certificate",
            error.node_code
        );
    }
    format!("{}: {}", error.node_code, error.text)
}

/// A name mismatch in Node's words (`tls.checkServerIdentity`), listing the altnames it saw.
pub fn hostname_message(name: &str, ctx: &Context<'_>) -> String {
    let altnames: Vec<String> = ctx
        .chain
        .leaf()
        .map(|l| {
            l.dns_names
                .iter()
                .map(|d| format!("DNS:{d}"))
                .chain(l.ip_addresses.iter().map(|i| format!("IP Address:{i}")))
                .collect()
        })
        .unwrap_or_default();
    format!(
        "ERR_TLS_CERT_ALTNAME_INVALID: Hostname/IP does not match certificate's altnames: Host: {name}. is not in the cert's altnames: {}",
        altnames.join(", ")
    )
}
