//! Each verifier's outcome for one client under its stores: OpenSSL's model, rustls's, Java's,
//! Go's and GnuTLS's, and the name check curl and Node do themselves.

use super::{
    Dialect, Profile, Report, chrome, firefox, gnutls, go, java, node, openssl, platform, rustls,
};
use crate::chain::{CertInfo, Fingerprint, KeyKind};
use crate::diagnose::{Context, dns_matches};
use crate::target::Host;
use crate::trust::StoreKind;

/// What a client does with the chain.
pub(super) enum Outcome {
    /// It completes the handshake.
    Accepted,
    /// It fails, printing `words`; `trust_problem` when no path reached its store.
    Refused { words: String, trust_problem: bool },
}

/// OpenSSL's verdict under each of the client's stores (the first that refuses wins), then the
/// name check of a client that does it itself.
pub(super) fn openssl_outcome(
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
                    blocked: Vec::new(),
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
            let words = match (profile.dialect, error.rsa_failure) {
                (Dialect::Curl, Some(failure)) => openssl::curl_rsa_message(failure),
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
pub(super) fn rustls_outcome(ctx: &Context<'_>, indexes: &[usize]) -> Outcome {
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

/// Java's verdict under each of the client's stores (the first that refuses wins); `blocked` is
/// the JDK's `blocked.certs`.
pub(super) fn java_outcome(
    blocked: &[Fingerprint],
    ctx: &Context<'_>,
    indexes: &[usize],
) -> Outcome {
    if indexes.is_empty() {
        return Outcome::Refused {
            words: java::NO_ANCHORS.into(),
            trust_problem: false,
        };
    }
    for store in indexes.iter().filter_map(|&i| ctx.stores.get(i)) {
        if let Some(words) = java::verify::verify(ctx.chain, store, blocked, ctx.name, ctx.now) {
            let trust_problem = java::verify::is_trust_problem(&words);
            return Outcome::Refused {
                words,
                trust_problem,
            };
        }
    }
    Outcome::Accepted
}

/// Go's verdict under each of the client's stores (the first that refuses wins).
pub(super) fn go_outcome(ctx: &Context<'_>, indexes: &[usize]) -> Outcome {
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
pub(super) fn gnutls_outcome(wget: bool, ctx: &Context<'_>, indexes: &[usize]) -> Outcome {
    let system = ctx.stores.iter().find(|s| s.kind == StoreKind::System);
    let revoked = crate::diagnose::staple_says_revoked(ctx);
    for store in indexes.iter().filter_map(|&i| ctx.stores.get(i)) {
        let said = if wget {
            let extra = system.filter(|s| !std::ptr::eq(*s, store));
            gnutls::wget(ctx.chain, store, extra, ctx.name, ctx.now, revoked)
        } else {
            gnutls::gnutls_cli(ctx.chain, store, ctx.name, ctx.now, revoked)
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

/// The intermediates certcheck fetched from AIA caIssuers URLs (for the clients that fetch them too).
fn fetched<'a>(ctx: &Context<'a>) -> Vec<&'a CertInfo> {
    ctx.completion
        .map(|c| c.certs.iter().map(|(_, cert)| cert).collect())
        .unwrap_or_default()
}

/// Chromium's verdict under each of the client's stores (the first that refuses wins), with the
/// intermediates certcheck fetched from AIA caIssuers URLs, since Chromium fetches them too.
pub(super) fn chrome_outcome(
    settings: chrome::Settings,
    ctx: &Context<'_>,
    indexes: &[usize],
) -> Outcome {
    let fetched = fetched(ctx);
    let refused = |words: String| Outcome::Refused {
        trust_problem: words.contains("AUTHORITY_INVALID"),
        words,
    };
    let stores: Vec<_> = indexes.iter().filter_map(|&i| ctx.stores.get(i)).collect();
    if stores.is_empty() {
        return refused(chrome::Status::AuthorityInvalid.net_error().into());
    }
    let revoked = crate::diagnose::staple_says_revoked(ctx);
    for store in stores {
        let known_roots = store
            .source
            .starts_with(crate::trust::store::CHROME_ROOT_STORE_SOURCE);
        if let Some(words) = chrome::verify(
            ctx.chain,
            store,
            &fetched,
            ctx.name,
            ctx.now,
            known_roots,
            settings,
            revoked,
        ) {
            return refused(words);
        }
    }
    Outcome::Accepted
}

/// A platform verifier's verdict under each of the client's stores (the first that refuses
/// wins), with the intermediates certcheck fetched over AIA for the platforms that fetch them.
pub(super) fn platform_outcome(os: platform::Os, ctx: &Context<'_>, indexes: &[usize]) -> Outcome {
    let fetched = fetched(ctx);
    let refused = |words: String| Outcome::Refused {
        trust_problem: words.contains("-1202")
            || words == platform::ANDROID_UNTRUSTED
            || words.contains("UntrustedRoot")
            || words.contains("PartialChain"),
        words,
    };
    let stores: Vec<_> = indexes.iter().filter_map(|&i| ctx.stores.get(i)).collect();
    if stores.is_empty() {
        let host = ctx.name.map(ToString::to_string).unwrap_or_default();
        return refused(match os {
            platform::Os::Apple => platform::apple_untrusted(&host),
            platform::Os::Android => platform::ANDROID_UNTRUSTED.into(),
            platform::Os::Windows => "The remote certificate is invalid because of errors in the certificate chain: PartialChain".into(),
        });
    }
    for store in stores {
        if let Some(words) = platform::verify(os, ctx.chain, store, &fetched, ctx.name, ctx.now) {
            return refused(words);
        }
    }
    Outcome::Accepted
}

/// Firefox's verdict under its one trust domain: the built-in roots, or the `--ca-file`
/// certificates imported into its cert DB (every store of the choice at once).
pub(super) fn firefox_outcome(ctx: &Context<'_>, indexes: &[usize]) -> Outcome {
    let mut stores: Vec<&crate::trust::TrustStore> = Vec::new();
    for store in indexes.iter().filter_map(|&i| ctx.stores.get(i)) {
        if !stores.iter().any(|s| std::ptr::eq(*s, store)) {
            stores.push(store);
        }
    }
    let mut verdict = firefox::verify(ctx.chain, &stores, ctx.name, ctx.now);
    // A stapled response that says the leaf is revoked: mozilla::pkix checks it while it builds
    // the path (`NSSCertDBTrustDomain::CheckRevocation`), so it wins over the name check after
    // the path (measured: `ocsp-staple-revoked` gives SEC_ERROR_REVOKED_CERTIFICATE).
    if matches!(verdict.as_deref(), None | Some("SSL_ERROR_BAD_CERT_DOMAIN"))
        && crate::diagnose::staple_says_revoked(ctx)
    {
        verdict = Some("SEC_ERROR_REVOKED_CERTIFICATE".into());
    }
    match verdict {
        Some(words) => Outcome::Refused {
            trust_problem: words.starts_with("SEC_ERROR_UNKNOWN_ISSUER")
                || words.starts_with("MOZILLA_PKIX_ERROR_SELF_SIGNED_CERT"),
            words,
        },
        None => Outcome::Accepted,
    }
}

/// The name check of curl and Node: subjectAltName, or the Common Name when the certificate
/// has no DNS or IP subjectAltName and the client falls back to it.
pub(super) fn application_name_matches(common_name: bool, leaf: &CertInfo, name: &Host) -> bool {
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
