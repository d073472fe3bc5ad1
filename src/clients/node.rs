//! Node.js's own name check (`tls.checkServerIdentity`, Node 20 `lib/tls.js`), which runs once
//! OpenSSL's verification passed; Node's verify errors are worded in [`super::openssl`].

use crate::diagnose::Context;

/// A name mismatch in Node's words, listing the altnames it saw (for an IP address, only the
/// certificate's IP addresses).
pub fn hostname_message(name: &str, ctx: &Context<'_>) -> String {
    if let Some(crate::target::Host::Ip(ip)) = ctx.name {
        let ips: Vec<&str> = ctx
            .chain
            .leaf()
            .map(|l| l.ip_addresses.iter().map(String::as_str).collect())
            .unwrap_or_default();
        return format!(
            "ERR_TLS_CERT_ALTNAME_INVALID: Hostname/IP does not match certificate's altnames: IP: {ip} is not in the cert's list: {}",
            ips.join(", ")
        );
    }
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
