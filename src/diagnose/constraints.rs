//! Constraints along the path: `invalid-purpose`, `not-a-ca`, `path-length-exceeded`,
//! `name-constraint-violation` and `unsupported-critical-extension`.

use std::net::IpAddr;

use super::paths::anchor_info;
use super::text::{label, list};
use super::{Context, Finding, FindingCode, STORES, Scope};
use crate::chain::{CertInfo, dns_within, usage};

/// Extensions rustls-webpki processes; any other critical extension makes it reject the certificate.
const VERIFIER_EXTENSIONS: [&str; 7] = [
    "2.5.29.15",               // keyUsage
    "2.5.29.17",               // subjectAltName
    "2.5.29.19",               // basicConstraints
    "2.5.29.30",               // nameConstraints
    "2.5.29.31",               // cRLDistributionPoints
    "2.5.29.37",               // extKeyUsage
    "1.3.6.1.4.1.11129.2.4.2", // embedded SCT list
];

fn who(index: Option<usize>, cert: &CertInfo) -> String {
    match index {
        Some(i) => label(i, cert),
        None => format!("the --untrusted certificate {}", cert.subject),
    }
}

/// Leaf EKU without serverAuth, an intermediate whose EKU excludes serverAuth, or a CA as leaf.
pub fn purpose(ctx: &Context<'_>) -> Vec<Finding> {
    let mut out = Vec::new();
    for (store, path) in ctx.paths.iter().enumerate() {
        for (position, (index, cert)) in path.ordered(ctx).into_iter().enumerate() {
            let scope = Scope::Stores(vec![store]);
            if position == 0 && cert.is_ca {
                out.push(Finding::new(
                    FindingCode::InvalidPurpose,
                    index,
                    scope.clone(),
                    format!(
                        "{} is a CA certificate (basicConstraints cA=TRUE) presented as the server certificate; rustls-based clients reject a CA as an end entity",
                        who(index, cert)
                    ),
                    "Serve an end-entity certificate (basicConstraints cA=FALSE) issued by the CA, not the CA certificate itself.",
                ));
            }
            let cert_sign = cert.has_key_usage(usage::KEY_CERT_SIGN);
            if position == 0 && cert_sign && !cert.is_ca {
                out.push(Finding::new(
                    FindingCode::InvalidPurpose,
                    index,
                    scope.clone(),
                    format!(
                        "{} asserts keyUsage keyCertSign without basicConstraints cA=TRUE, which RFC 5280 (4.2.1.9) forbids; strict verifiers reject it",
                        who(index, cert)
                    ),
                    "Reissue the server certificate with keyUsage digitalSignature (and keyEncipherment for RSA), without keyCertSign.",
                ));
            }
            let Some(eku) = &cert.ext_key_usage else {
                continue;
            };
            if cert.has_ext_key_usage(usage::SERVER_AUTH) {
                continue;
            }
            let any = if cert.has_ext_key_usage(usage::ANY) {
                " (anyExtendedKeyUsage satisfies OpenSSL but not rustls or browsers)"
            } else {
                ""
            };
            let message = if position == 0 {
                format!(
                    "{} has extendedKeyUsage {}, which does not include serverAuth (TLS Web Server Authentication){any}",
                    who(index, cert),
                    list(eku)
                )
            } else {
                format!(
                    "{} restricts its extendedKeyUsage to {}, without serverAuth, so certificates it issues cannot authenticate TLS servers{any}",
                    who(index, cert),
                    list(eku)
                )
            };
            out.push(Finding::new(
                FindingCode::InvalidPurpose,
                index,
                scope,
                message,
                "Reissue the certificate with extendedKeyUsage serverAuth (TLS Web Server Authentication).",
            ));
        }
    }
    out
}

/// Issuing certificates that are not CAs, and CAs whose keyUsage forbids signing certificates.
pub fn not_a_ca(ctx: &Context<'_>) -> Vec<Finding> {
    let mut out = Vec::new();
    for (store, path) in ctx.paths.iter().enumerate() {
        let ordered = path.ordered(ctx);
        for window in ordered.windows(2) {
            let (child_index, child) = window[0];
            let (index, cert) = window[1];
            let reason = if !cert.has_basic_constraints {
                Some("has no basicConstraints extension".to_string())
            } else if !cert.is_ca {
                Some("has basicConstraints cA=FALSE".to_string())
            } else {
                cert.key_usage
                    .as_ref()
                    .filter(|_| !cert.has_key_usage(usage::KEY_CERT_SIGN))
                    .map(|ku| format!("has keyUsage {} without keyCertSign", list(ku)))
            };
            if let Some(reason) = reason {
                out.push(Finding::new(
                    FindingCode::NotACa,
                    index,
                    Scope::Stores(vec![store]),
                    format!(
                        "{} issued {} but {reason}, so it may not issue certificates",
                        who(index, cert),
                        who(child_index, child)
                    ),
                    "Issue the server certificate from a real CA certificate (basicConstraints cA=TRUE, keyUsage keyCertSign); an end-entity certificate cannot act as an intermediate.",
                ));
            }
        }
    }
    out
}

/// pathLenConstraint violations, counting non-self-issued intermediates below each CA.
pub fn path_length(ctx: &Context<'_>) -> Vec<Finding> {
    let mut out = Vec::new();
    for (store, path) in ctx.paths.iter().enumerate() {
        let mut ordered = path.ordered(ctx);
        let anchor = path
            .anchor
            .and_then(|a| anchor_info(ctx.stores.get(store)?, a));
        if let Some(anchor) = anchor
            .as_ref()
            .filter(|a| !ordered.iter().any(|(_, c)| c.der == a.der))
        {
            ordered.push((None, anchor));
        }
        for (position, (index, cert)) in ordered.iter().enumerate().skip(1) {
            let Some(limit) = cert.path_len else {
                continue;
            };
            let below: Vec<String> = ordered[1..position]
                .iter()
                .filter(|(_, c)| c.subject_raw != c.issuer_raw)
                .map(|(i, c)| who(*i, c))
                .collect();
            if below.len() as u64 <= u64::from(limit) {
                continue;
            }
            let name = if index.is_none() && anchor.as_ref().is_some_and(|a| a.der == cert.der) {
                format!("the trust anchor {} in {STORES}", cert.subject)
            } else {
                who(*index, cert)
            };
            out.push(Finding::new(
                FindingCode::PathLengthExceeded,
                *index,
                Scope::Stores(vec![store]),
                format!(
                    "{name} allows at most {limit} intermediate CA{} below it (pathLenConstraint {limit}), but the path has {}: {}",
                    if limit == 1 { "" } else { "s" },
                    below.len(),
                    below.join(", ")
                ),
                "Issue the server certificate directly from a CA allowed to do so, or reissue the constrained CA with a larger pathLenConstraint.",
            ));
        }
    }
    out
}

fn ip_within(ip: &str, subtree: &str) -> Option<bool> {
    let ip: IpAddr = ip.parse().ok()?;
    let (net, prefix) = subtree.split_once('/')?;
    let net: IpAddr = net.parse().ok()?;
    let prefix: u32 = prefix.parse().ok()?;
    let (a, b, bits) = match (ip, net) {
        (IpAddr::V4(a), IpAddr::V4(b)) => (
            u128::from(u32::from(a)) << 96,
            u128::from(u32::from(b)) << 96,
            prefix,
        ),
        (IpAddr::V6(a), IpAddr::V6(b)) => (u128::from(a), u128::from(b), prefix),
        _ => return Some(false),
    };
    let mask = if bits == 0 {
        0
    } else {
        u128::MAX << (128 - bits.min(128))
    };
    Some(a & mask == b & mask)
}

/// Names of `cert` (DNS and IP SAN entries) that violate `constraints`, with the reason.
fn violations(cert: &CertInfo, permitted: &[String], excluded: &[String]) -> Vec<String> {
    let mut out = Vec::new();
    let typed = |list: &[String], prefix: &str| -> Vec<String> {
        list.iter()
            .filter_map(|s| s.strip_prefix(prefix).map(str::to_string))
            .collect()
    };
    let (dns_ok, dns_no) = (typed(permitted, "DNS:"), typed(excluded, "DNS:"));
    let (ip_ok, ip_no) = (typed(permitted, "IP:"), typed(excluded, "IP:"));
    for name in &cert.dns_names {
        if let Some(hit) = dns_no.iter().find(|b| dns_within(name, b)) {
            out.push(format!(
                "DNS name {name} is inside the excluded subtree DNS:{hit}"
            ));
        } else if !dns_ok.is_empty() && !dns_ok.iter().any(|b| dns_within(name, b)) {
            out.push(format!(
                "DNS name {name} is outside the permitted subtrees {}",
                dns_ok
                    .iter()
                    .map(|b| format!("DNS:{b}"))
                    .collect::<Vec<_>>()
                    .join(", ")
            ));
        }
    }
    for ip in &cert.ip_addresses {
        if let Some(hit) = ip_no.iter().find(|b| ip_within(ip, b) == Some(true)) {
            out.push(format!(
                "IP address {ip} is inside the excluded subtree IP:{hit}"
            ));
        } else if !ip_ok.is_empty() && !ip_ok.iter().any(|b| ip_within(ip, b) == Some(true)) {
            out.push(format!(
                "IP address {ip} is outside the permitted subtrees {}",
                ip_ok
                    .iter()
                    .map(|b| format!("IP:{b}"))
                    .collect::<Vec<_>>()
                    .join(", ")
            ));
        }
    }
    out
}

/// DNS and IP names below a CA with name constraints that fall outside them.
pub fn name_constraints(ctx: &Context<'_>) -> Vec<Finding> {
    let mut out = Vec::new();
    for (store, path) in ctx.paths.iter().enumerate() {
        let ordered = path.ordered(ctx);
        let anchor = path
            .anchor
            .and_then(|a| anchor_info(ctx.stores.get(store)?, a));
        let mut constrainers: Vec<(usize, String, &CertInfo)> = ordered
            .iter()
            .enumerate()
            .skip(1)
            .map(|(p, (i, c))| (p, who(*i, c), *c))
            .collect();
        if let Some(anchor) = &anchor {
            constrainers.push((
                ordered.len(),
                format!("the trust anchor {} in {STORES}", anchor.subject),
                anchor,
            ));
        }
        for (position, name, ca) in constrainers {
            let Some(nc) = &ca.name_constraints else {
                continue;
            };
            for (index, cert) in ordered.iter().take(position) {
                for problem in violations(cert, &nc.permitted, &nc.excluded) {
                    out.push(Finding::new(
                        FindingCode::NameConstraintViolation,
                        *index,
                        Scope::Stores(vec![store]),
                        format!(
                            "{}: {problem} set by the name constraints of {name}",
                            who(*index, cert)
                        ),
                        "Use a name within the issuing CA's permitted subtrees, or have the certificate issued by a CA without these name constraints.",
                    ));
                }
            }
        }
    }
    out
}

/// Critical extensions the verifier does not process.
pub fn critical_extensions(ctx: &Context<'_>) -> Vec<Finding> {
    let mut out = Vec::new();
    for (index, cert) in ctx.chain.parsed() {
        let using = ctx.stores_using(index);
        if using.is_empty() {
            continue;
        }
        for ext in cert
            .extensions
            .iter()
            .filter(|e| e.critical && !VERIFIER_EXTENSIONS.contains(&e.oid.as_str()))
        {
            let name = ext
                .name
                .as_deref()
                .map(|n| format!(" ({n})"))
                .unwrap_or_default();
            out.push(Finding::new(
                FindingCode::UnsupportedCriticalExtension,
                Some(index),
                ctx.scope(using.clone()),
                format!(
                    "{} has the critical extension {}{name}, which rustls-webpki does not process; a client must reject a certificate with a critical extension it does not understand",
                    label(index, cert),
                    ext.oid
                ),
                "Reissue the certificate without this extension, or with it marked non-critical.",
            ));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dns_subtrees() {
        assert!(dns_within("a.example.com", "example.com"));
        assert!(dns_within("example.com", "example.com"));
        assert!(!dns_within("badexample.com", "example.com"));
        assert!(dns_within("a.example.com", ".example.com"));
        assert!(!dns_within("example.com", ".example.com"));
        assert!(dns_within("*.example.com", "example.com"));
    }

    #[test]
    fn ip_subtrees() {
        assert_eq!(ip_within("10.1.2.3", "10.0.0.0/8"), Some(true));
        assert_eq!(ip_within("11.1.2.3", "10.0.0.0/8"), Some(false));
        assert_eq!(ip_within("::1", "10.0.0.0/8"), Some(false));
        assert_eq!(ip_within("2001:db8::1", "2001:db8::/32"), Some(true));
    }
}
