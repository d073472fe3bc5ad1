//! Names: `hostname-mismatch`, with every name the leaf covers and why the closest one fails.

use std::net::IpAddr;

use super::text::{label, list};
use super::{Context, Finding, FindingCode, Scope};
use crate::chain::CertInfo;
use crate::target::Host;

/// Whether a DNS pattern from a certificate covers `name` (both ASCII); a wildcard covers exactly
/// one whole leftmost label.
pub fn dns_matches(pattern: &str, name: &str) -> bool {
    let pattern = pattern.trim_end_matches('.').to_ascii_lowercase();
    let name = name.trim_end_matches('.').to_ascii_lowercase();
    match pattern.strip_prefix("*.") {
        Some(base) => match name.split_once('.') {
            Some((first, rest)) => !first.is_empty() && rest == base,
            None => false,
        },
        None => pattern == name,
    }
}

/// Whether the leaf covers `host` by its subjectAltName, as modern clients decide.
pub fn covers(cert: &CertInfo, host: &Host) -> bool {
    match host {
        Host::Dns(name) => cert.dns_names.iter().any(|p| dns_matches(p, name)),
        Host::Ip(ip) => cert
            .ip_addresses
            .iter()
            .any(|a| a.parse::<IpAddr>().is_ok_and(|a| a == *ip)),
    }
}

/// Whether the leaf covers `host` as OpenSSL's `X509_check_host`/`X509_check_ip` and GnuTLS's
/// `gnutls_x509_crt_check_hostname` decide: its subjectAltName DNS names, or, when it has none
/// and `common_name` allows it, its Common Name; an IP address only by subjectAltName.
pub fn covers_or_common_name(cert: &CertInfo, host: &Host, common_name: bool) -> bool {
    match host {
        Host::Dns(name) if cert.dns_names.is_empty() => {
            common_name && cert.common_names.iter().any(|cn| dns_matches(cn, name))
        }
        _ => covers(cert, host),
    }
}

/// `xn--bcher-kva.example (bücher.example)` for names with punycode labels, else the name.
pub fn show_name(name: &str) -> String {
    if !name.split('.').any(|l| l.starts_with("xn--")) {
        return name.to_string();
    }
    let (unicode, result) = idna::domain_to_unicode(name);
    match result {
        Ok(()) if unicode != name => format!("{name} ({unicode})"),
        _ => name.to_string(),
    }
}

/// The hostname check; webpki's verdict decides, certcheck's matcher explains.
pub fn hostname(ctx: &Context<'_>) -> Vec<Finding> {
    let (Some(host), Some(leaf)) = (ctx.name, ctx.chain.leaf()) else {
        return Vec::new();
    };
    let webpki_verdict = ctx.results.iter().find_map(|r| r.name.as_ref());
    let mismatch = match webpki_verdict {
        Some(Ok(())) => false,
        Some(Err(webpki::Error::CertNotValidForName(_))) => true,
        // webpki could not read the leaf: certcheck's own matcher decides.
        _ => !covers(leaf, host),
    };
    if !mismatch {
        return Vec::new();
    }
    let asked = show_name(&host.to_string());
    let dns: Vec<String> = leaf.dns_names.iter().map(|n| show_name(n)).collect();
    let covered = match (dns.is_empty(), leaf.ip_addresses.is_empty()) {
        (true, true) => "it has no subjectAltName DNS name or IP address".to_string(),
        (false, true) => format!("it covers DNS names {}", list(&dns)),
        (true, false) => format!("it covers IP addresses {}", list(&leaf.ip_addresses)),
        (false, false) => format!(
            "it covers DNS names {} and IP addresses {}",
            list(&dns),
            list(&leaf.ip_addresses)
        ),
    };
    let mut message = format!("{} is not valid for {asked}: {covered}", label(0, leaf));
    for reason in explanations(leaf, host) {
        message.push_str("; ");
        message.push_str(&reason);
    }
    if covers(leaf, host) {
        message.push_str(
            "; rustls-webpki nevertheless rejects the name (a malformed subjectAltName entry?)",
        );
    }
    let covered: Vec<String> = leaf
        .dns_names
        .iter()
        .chain(&leaf.ip_addresses)
        .cloned()
        .collect();
    let hint = match host {
        Host::Dns(name) => format!(
            "Reissue the certificate with DNS:{name} in its subjectAltName, or connect with a name it covers{}.",
            if covered.is_empty() {
                String::new()
            } else {
                format!(" ({})", covered.join(", "))
            }
        ),
        Host::Ip(ip) => format!(
            "Reissue the certificate with IP:{ip} in its subjectAltName (an IP address entry, not a DNS name), or connect by a host name it covers."
        ),
    };
    vec![Finding::new(
        FindingCode::HostnameMismatch,
        Some(0),
        Scope::AllStores,
        message,
        hint,
    )]
}

fn explanations(leaf: &CertInfo, host: &Host) -> Vec<String> {
    let mut out = Vec::new();
    let asked = host.to_string();
    if !leaf.has_san || (leaf.dns_names.is_empty() && leaf.ip_addresses.is_empty()) {
        let cn = list(&leaf.common_names);
        let cn_matches = leaf.common_names.iter().any(|cn| dns_matches(cn, &asked));
        out.push(format!(
            "it has no subjectAltName names, only the Common Name {cn}{}, and modern clients (rustls, Chrome, Python's urllib3 2, Go) ignore the Common Name",
            if cn_matches { ", which would match" } else { "" }
        ));
    }
    match host {
        Host::Dns(name) => {
            for pattern in leaf.dns_names.iter().filter(|p| p.starts_with("*.")) {
                let base = &pattern[2..];
                let base_lc = base.to_ascii_lowercase();
                let name_lc = name.to_ascii_lowercase();
                if name_lc == base_lc {
                    out.push(format!(
                        "the wildcard {pattern} covers one label below {base} but not {base} itself"
                    ));
                } else if name_lc.ends_with(&format!(".{base_lc}")) {
                    out.push(format!(
                        "the wildcard {pattern} covers exactly one label, so it does not match {name}, which has more labels before {base}"
                    ));
                }
            }
            if leaf.ip_addresses.iter().any(|ip| ip == name) {
                out.push(format!("{name} is listed as an IP address, not a DNS name"));
            }
        }
        Host::Ip(ip) => {
            let text = ip.to_string();
            if leaf.dns_names.contains(&text) {
                out.push(format!(
                    "{text} is listed as a DNS name, but clients require an IP address entry (IP:{text}) to connect by address"
                ));
            } else if leaf.common_names.contains(&text) {
                out.push(format!(
                    "{text} appears only in the Common Name, but clients require an IP address entry (IP:{text}) in subjectAltName"
                ));
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wildcard_covers_exactly_one_label() {
        assert!(dns_matches("*.example.com", "www.example.com"));
        assert!(dns_matches("*.Example.com.", "WWW.example.com"));
        assert!(!dns_matches("*.example.com", "a.b.example.com"));
        assert!(!dns_matches("*.example.com", "example.com"));
        assert!(dns_matches("example.com", "example.com."));
        assert!(!dns_matches("example.com", "www.example.com"));
    }

    #[test]
    fn shows_unicode_beside_punycode() {
        assert_eq!(
            show_name("xn--bcher-kva.example"),
            "xn--bcher-kva.example (bücher.example)"
        );
        assert_eq!(show_name("plain.example"), "plain.example");
    }
}
