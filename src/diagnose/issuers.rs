//! What lies behind "unknown issuer": `self-signed`, `untrusted-root`, `unknown-issuer` and
//! `incomplete-chain`, told apart per store.

use super::paths::{anchor_for, walk};
use super::text::label;
use super::{Context, Finding, FindingCode, STORES, Scope};
use crate::chain::{CertInfo, colon_hex};
use crate::trust::PathCert;

/// Classifies the missing link under each store where no anchor was reached.
pub fn issuers(ctx: &Context<'_>) -> Vec<Finding> {
    let mut out = Vec::new();
    for (store, result) in ctx.results.iter().enumerate() {
        let path = &ctx.paths[store];
        if result.path.is_ok() {
            if !path.pool.is_empty() {
                out.extend(completed_by_pool(ctx, store));
            }
            continue;
        }
        if path.anchor.is_some() || ctx.stores.get(store).is_some_and(|s| s.unusable()) {
            continue;
        }
        out.extend(classify(ctx, store));
    }
    out
}

fn node_cert<'c>(ctx: &'c Context<'_>, node: PathCert) -> Option<(Option<usize>, &'c CertInfo)> {
    match node {
        PathCert::Presented(i) => ctx.chain.certs.get(i)?.info().map(|c| (Some(i), c)),
        PathCert::Pool(i) => ctx.pool.get(i).map(|c| (None, c)),
    }
}

fn describe(index: Option<usize>, cert: &CertInfo) -> String {
    match index {
        Some(i) => label(i, cert),
        None => format!("the --untrusted certificate {}", cert.subject),
    }
}

fn holders(ctx: &Context<'_>, cert: &CertInfo, except: usize) -> Vec<String> {
    ctx.stores
        .iter()
        .enumerate()
        .filter(|(i, s)| *i != except && s.holds(&cert.subject_raw, &cert.spki_der))
        .map(|(i, _)| ctx.store_label(i))
        .collect()
}

fn issuer_holders(ctx: &Context<'_>, cert: &CertInfo, except: usize) -> Vec<String> {
    ctx.stores
        .iter()
        .enumerate()
        .filter(|(i, s)| *i != except && anchor_for(s, cert).is_some())
        .map(|(i, _)| ctx.store_label(i))
        .collect()
}

fn classify(ctx: &Context<'_>, store: usize) -> Option<Finding> {
    let store_ref = ctx.stores.get(store)?;
    let nodes = walk(ctx.chain, ctx.pool, |c| anchor_for(store_ref, c).is_some());
    let (index, last) = node_cert(ctx, *nodes.last()?)?;
    // An anchor that is there by name but did not sign it is a `bad-signature`, not a missing issuer.
    if !last.self_signed && store_ref.anchors_named(&last.issuer_raw).next().is_some() {
        return None;
    }
    let scope = Scope::Stores(vec![store]);

    if last.self_signed {
        let held = holders(ctx, last, store);
        // No holder: the finding then holds under every store, and `{stores}` says so.
        let elsewhere = if held.is_empty() {
            String::new()
        } else {
            format!("; it is held by {}", held.join(", "))
        };
        let renamed = if store_ref.anchors_named(&last.subject_raw).next().is_some() {
            format!(
                "; {} holds a different certificate with the same name (another key)",
                ctx.store_label(store)
            )
        } else {
            String::new()
        };
        if index == Some(0) {
            return Some(Finding::new(
                FindingCode::SelfSigned,
                Some(0),
                scope,
                format!(
                    "{} is self-signed (its issuer is itself and its signature verifies with its own key) and is not in {STORES}{elsewhere}{renamed}",
                    label(0, last)
                ),
                "Use a certificate issued by a CA the clients trust (for example Let's Encrypt), or give the clients this certificate as a trust anchor (--ca-file, REQUESTS_CA_BUNDLE, SSL_CERT_FILE).",
            ));
        }
        return Some(Finding::new(
            FindingCode::UntrustedRoot,
            index,
            scope,
            format!(
                "the chain ends in the self-signed root {}, which is not in {STORES}{elsewhere}{renamed}",
                describe(index, last)
            ),
            "If this is your private CA, add its root to the clients' trust store (--ca-file, SSL_CERT_FILE, REQUESTS_CA_BUNDLE); otherwise serve a chain issued by a publicly trusted CA.",
        ));
    }

    // The issuer is there, but already on the path: the chain goes round in a circle.
    let looped = nodes.iter().find_map(|node| {
        let (i, cert) = node_cert(ctx, *node)?;
        (cert.subject_raw == last.issuer_raw).then_some((i, cert))
    });
    if let Some((i, issuer)) = looped {
        return Some(Finding::new(
            FindingCode::UnknownIssuer,
            index,
            scope,
            format!(
                "the chain loops: {} was issued by {}, which is already on the path, so it never reaches a root in {STORES}",
                describe(index, last),
                describe(i, issuer)
            ),
            "Serve the leaf and the intermediates up to a root the clients trust; remove the cross-issued certificates that form the loop.",
        ));
    }
    // The issuer may be among the certificates beyond those analysed.
    if ctx.chain.truncated > 0 {
        return Some(Finding::new(
            FindingCode::UnknownIssuer,
            index,
            scope,
            format!(
                "the issuer of {}, {}, is not among the first {} certificates certcheck analyses ({} {}), and no root in {STORES} is reached within them",
                describe(index, last),
                last.issuer,
                ctx.chain.certs.len(),
                ctx.sent(),
                ctx.chain.certs.len() + ctx.chain.truncated
            ),
            "Send only the leaf and the intermediates that lead to the root (usually 2 to 4 certificates).",
        ));
    }
    let key_id = last
        .authority_key_id
        .as_deref()
        .map(|k| format!(" (key identifier {})", colon_hex(k)))
        .unwrap_or_default();
    if let Some(url) = last.ca_issuer_urls.first() {
        let (fetched, hint) = match fetched_at(ctx, last, url) {
            Fetch::Completes(trusted) => (
                format!(
                    "; certcheck fetched it from there, as a browser would, and with it the chain is trusted by {trusted}"
                ),
                format!(
                    "Configure the server to send the full chain (for example fullchain.pem, not cert.pem), with {} (from {url}) after the leaf. Browsers that fetch it (Chrome, Edge, Safari) work meanwhile; OpenSSL, Python, curl, Java, Go, Node, rustls and GnuTLS do not, unless that certificate is added to the CA file they are given (beside its root).",
                    last.issuer
                ),
            ),
            Fetch::Incomplete(why) => (
                format!("; certcheck fetched it from there, but {why}"),
                format!(
                    "Configure the server to send the full chain (for example fullchain.pem, not cert.pem); the missing certificate is at {url}."
                ),
            ),
            Fetch::Failed(why) => (
                format!("; fetching it failed ({why})"),
                format!(
                    "Configure the server to send the full chain (for example fullchain.pem, not cert.pem); the missing certificate should be at {url}, which did not give it."
                ),
            ),
            Fetch::Nothing => (
                String::new(),
                format!(
                    "Configure the server to send the full chain (for example fullchain.pem, not cert.pem); the missing certificate is at {url}. Browsers may fetch it, but OpenSSL, Python, curl and Java do not."
                ),
            ),
        };
        return Some(Finding::new(
            FindingCode::IncompleteChain,
            index,
            scope,
            format!(
                "{} the intermediate {}{key_id} that issued {}, and it is not in {STORES}; the certificate's AIA caIssuers names it at {url}{fetched}",
                ctx.did_not_send(),
                last.issuer,
                describe(index, last)
            ),
            hint,
        ));
    }
    let held = issuer_holders(ctx, last, store);
    let elsewhere = if held.is_empty() {
        String::new()
    } else {
        format!("; {} holds it", held.join(", "))
    };
    Some(Finding::new(
        FindingCode::UnknownIssuer,
        index,
        scope,
        format!(
            "the issuer of {}, {}{key_id}, {} and is not in {STORES}{elsewhere}",
            describe(index, last),
            last.issuer,
            ctx.not_sent()
        ),
        "If the issuer is an intermediate, configure the server to send it (the full chain); if it is a private root, add it to the clients' trust store (--ca-file, SSL_CERT_FILE, REQUESTS_CA_BUNDLE).",
    ))
}

/// What certcheck's fetch of the missing issuer of `last` from `url` showed.
enum Fetch {
    /// The chain is trusted with it: the stores and the anchor each reaches, in words.
    Completes(String),
    /// It was fetched, and the chain is still not trusted anywhere: why, in words.
    Incomplete(String),
    /// The fetch failed: its outcome and detail.
    Failed(String),
    /// Nothing was fetched (offline, a file without `--fetch`, or not asked).
    Nothing,
}

fn fetched_at(ctx: &Context<'_>, last: &CertInfo, url: &str) -> Fetch {
    let Some(completion) = ctx.completion else {
        return Fetch::Nothing;
    };
    if !completion
        .certs
        .iter()
        .any(|(u, cert)| u == url && cert.subject_raw == last.issuer_raw)
    {
        return match completion.failures.iter().find(|(u, _)| u == url) {
            Some((_, why)) => Fetch::Failed(why.clone()),
            None => Fetch::Nothing,
        };
    }
    let trusted: Vec<String> = completion
        .anchors
        .iter()
        .enumerate()
        .filter_map(|(i, anchor)| {
            let anchor = anchor.as_ref()?;
            Some(format!("{} (anchor {anchor})", ctx.store_label(i)))
        })
        .collect();
    if !trusted.is_empty() {
        return Fetch::Completes(trusted.join(", "));
    }
    let next = completion
        .failures
        .first()
        .map(|(u, why)| format!(" (then {u}: {why})"))
        .unwrap_or_default();
    Fetch::Incomplete(format!(
        "even with it (and any intermediate fetched after it) no store is reached{next}"
    ))
}

/// The path validated only thanks to `--untrusted` certificates: the presented chain is incomplete.
///
/// A warning, not an error: the verdict follows `openssl verify -untrusted` (the pool may be used),
/// but a client that does not already hold these intermediates fails.
fn completed_by_pool(ctx: &Context<'_>, store: usize) -> Option<Finding> {
    let path = &ctx.paths[store];
    let last_presented = *path.presented.last()?;
    let cert = ctx.chain.certs.get(last_presented)?.info()?;
    let missing: Vec<String> = path
        .pool
        .iter()
        .filter_map(|i| ctx.pool.get(*i))
        .map(|c| c.subject.clone())
        .collect();
    let anchor = ctx
        .results
        .get(store)?
        .path
        .as_ref()
        .ok()
        .map(|p| p.anchor_subject.clone())
        .unwrap_or_default();
    let mut finding = Finding::new(
        FindingCode::IncompleteChain,
        Some(last_presented),
        Scope::Stores(vec![store]),
        format!(
            "the presented chain stops at {}: its issuer {} was not presented; the --untrusted certificates {} complete the path to {anchor} in {STORES}, so only clients that already hold them succeed",
            label(last_presented, cert),
            cert.issuer,
            missing.join(", "),
        ),
        "Configure the server to send the full chain (for example fullchain.pem, not cert.pem), including the intermediates listed.",
    );
    finding.severity = super::Severity::Warning;
    Some(finding)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::demo::pki::{Authority, Leaf, Spec};
    use crate::diagnose::Severity;
    use crate::diagnose::testkit::{Case, NOW, Pki, info, only, store};
    use crate::trust::StoreKind;

    /// The key identifier of `der` as the messages write it.
    fn key_id(der: &[u8]) -> String {
        colon_hex(
            info(der)
                .subject_key_id
                .as_deref()
                .expect("subjectKeyIdentifier"),
        )
    }

    #[test]
    fn nothing_to_explain_when_the_anchor_is_reached() {
        let pki = Pki::new();
        let leaf = pki.leaf(&["fine.test"]);
        let case = Case::new(&pki.chain(&leaf), vec![pki.custom()]);
        assert!(issuers(&case.ctx()).is_empty());
    }

    #[test]
    fn self_signed_leaf_says_who_holds_it() {
        let pki = Pki::new();
        let leaf = Leaf::self_signed(&Spec::leaf(&["self.test"], NOW)).expect("leaf");
        let case = Case::new(std::slice::from_ref(&leaf.der), vec![pki.custom()]);
        let findings = issuers(&case.ctx());
        let finding = only(&findings, FindingCode::SelfSigned);
        assert_eq!(finding.certificate, Some(0));
        assert_eq!(finding.scope, Scope::Stores(vec![0]));
        assert_eq!(
            finding.message,
            "certificate 0 (CN=self.test) is self-signed (its issuer is itself and its signature verifies with its own key) and is not in {stores}"
        );

        // A second store that holds it is named.
        let stores = vec![
            pki.custom(),
            store(
                StoreKind::System,
                "system.pem",
                std::slice::from_ref(&leaf.der),
            ),
        ];
        let case = Case::new(&[leaf.der], stores);
        let findings = issuers(&case.ctx());
        let finding = only(&findings, FindingCode::SelfSigned);
        assert_eq!(finding.scope, Scope::Stores(vec![0]));
        assert!(
            finding.message.ends_with("; it is held by system"),
            "{}",
            finding.message
        );
    }

    #[test]
    fn untrusted_root_is_the_last_certificate_sent() {
        let pki = Pki::new();
        let leaf = pki.leaf(&["private.test"]);
        let unrelated = Authority::root(&Spec::ca("Unrelated Root", NOW)).expect("root");
        let stores = vec![store(StoreKind::Custom, "other.pem", &[unrelated.der()])];
        let case = Case::new(&[leaf.der, pki.inter.der(), pki.root.der()], stores);
        let findings = issuers(&case.ctx());
        let finding = only(&findings, FindingCode::UntrustedRoot);
        assert_eq!(finding.certificate, Some(2));
        assert_eq!(
            finding.message,
            "the chain ends in the self-signed root certificate 2 (CN=Test Root CA), which is not in {stores}"
        );
    }

    #[test]
    fn unknown_issuer_names_the_issuer_and_its_key_identifier() {
        let pki = Pki::new();
        let leaf = pki.leaf(&["lonely.test"]);
        let case = Case::new(std::slice::from_ref(&leaf.der), vec![pki.custom()]);
        let findings = issuers(&case.ctx());
        let finding = only(&findings, FindingCode::UnknownIssuer);
        assert_eq!(finding.certificate, Some(0));
        assert_eq!(finding.severity, Severity::Error);
        assert_eq!(
            finding.message,
            format!(
                "the issuer of certificate 0 (CN=lonely.test), CN=Test Intermediate CA (key identifier {}), was not sent by the server and is not in {{stores}}",
                key_id(&pki.inter.der())
            )
        );

        // A store that holds the issuer is named under the store that lacks it.
        let stores = vec![
            pki.custom(),
            store(StoreKind::System, "inter.pem", &[pki.inter.der()]),
        ];
        let case = Case::new(&[leaf.der], stores);
        let findings = issuers(&case.ctx());
        let finding = only(&findings, FindingCode::UnknownIssuer);
        assert_eq!(finding.scope, Scope::Stores(vec![0]));
        assert!(
            finding
                .message
                .ends_with("is not in {stores}; system holds it"),
            "{}",
            finding.message
        );
    }

    #[test]
    fn incomplete_chain_names_the_aia_url() {
        let pki = Pki::new();
        let leaf =
            pki.leaf_with(Spec::leaf(&["aia.test"], NOW).ca_issuers("http://ca.test/inter.crt"));
        let case = Case::new(&[leaf.der], vec![pki.custom()]);
        let findings = issuers(&case.ctx());
        let finding = only(&findings, FindingCode::IncompleteChain);
        assert_eq!(finding.certificate, Some(0));
        assert_eq!(
            finding.message,
            format!(
                "the server did not send the intermediate CN=Test Intermediate CA (key identifier {}) that issued certificate 0 (CN=aia.test), and it is not in {{stores}}; the certificate's AIA caIssuers names it at http://ca.test/inter.crt",
                key_id(&pki.inter.der())
            )
        );
        assert!(
            finding
                .hint
                .contains("the missing certificate is at http://ca.test/inter.crt"),
            "{}",
            finding.hint
        );
    }

    #[test]
    fn a_path_completed_by_untrusted_certificates_is_a_warning() {
        let pki = Pki::new();
        let leaf = pki.leaf(&["pooled.test"]);
        let case = Case::new(&[leaf.der], vec![pki.custom()]).pool(&[pki.inter.der()]);
        assert!(case.results[0].path.is_ok());
        let findings = issuers(&case.ctx());
        let finding = only(&findings, FindingCode::IncompleteChain);
        assert_eq!(finding.certificate, Some(0));
        assert_eq!(finding.severity, Severity::Warning);
        assert_eq!(
            finding.message,
            "the presented chain stops at certificate 0 (CN=pooled.test): its issuer CN=Test Intermediate CA was not presented; the --untrusted certificates CN=Test Intermediate CA complete the path to CN=Test Root CA in {stores}, so only clients that already hold them succeed"
        );
    }

    #[test]
    fn a_chain_that_loops_is_named_as_a_loop() {
        let pki = Pki::new();
        let a = Authority::root(&Spec::ca("Loop A", NOW)).expect("root");
        let b = Authority::root(&Spec::ca("Loop B", NOW)).expect("root");
        // B issued by A, and A issued by B.
        let b_by_a = a.intermediate(&Spec::ca("Loop B", NOW)).expect("cross");
        let a_by_b = b.intermediate(&Spec::ca("Loop A", NOW)).expect("cross");
        let leaf = b_by_a.leaf(&Spec::leaf(&["loop.test"], NOW)).expect("leaf");
        let case = Case::new(&[leaf.der, b_by_a.der(), a_by_b.der()], vec![pki.custom()]);
        let findings = issuers(&case.ctx());
        let finding = only(&findings, FindingCode::UnknownIssuer);
        assert_eq!(finding.certificate, Some(2));
        assert_eq!(
            finding.message,
            "the chain loops: certificate 2 (CN=Loop A) was issued by certificate 1 (CN=Loop B), which is already on the path, so it never reaches a root in {stores}"
        );
    }

    #[test]
    fn an_anchor_of_the_right_name_but_another_key_is_left_to_bad_signature() {
        let pki = Pki::new();
        let impostor = Authority::root(&Spec::ca("Test Root CA", NOW)).expect("root");
        let inter = impostor
            .intermediate(&Spec::ca("Test Intermediate CA", NOW))
            .expect("inter");
        let leaf = inter
            .leaf(&Spec::leaf(&["rekeyed.test"], NOW))
            .expect("leaf");
        let case = Case::new(&[leaf.der, inter.der()], vec![pki.custom()]);
        assert!(issuers(&case.ctx()).is_empty());
    }

    #[test]
    fn a_fetched_intermediate_says_which_stores_it_completes_the_chain_for() {
        let pki = Pki::new();
        let leaf =
            pki.leaf_with(Spec::leaf(&["aia.test"], NOW).ca_issuers("http://ca.test/inter.crt"));
        let case = Case::new(std::slice::from_ref(&leaf.der), vec![pki.custom()]);
        let completion = crate::diagnose::Completion {
            certs: vec![("http://ca.test/inter.crt".into(), info(&pki.inter.der()))],
            anchors: vec![Some("CN=Test Root CA".into())],
            failures: Vec::new(),
        };
        let ctx = case.ctx().with_completion(Some(&completion));
        let findings = issuers(&ctx);
        let finding = only(&findings, FindingCode::IncompleteChain);
        assert_eq!(finding.certificate, Some(0));
        assert_eq!(
            finding.message,
            format!(
                "the server did not send the intermediate CN=Test Intermediate CA (key identifier {}) that issued certificate 0 (CN=aia.test), and it is not in {{stores}}; the certificate's AIA caIssuers names it at http://ca.test/inter.crt; certcheck fetched it from there, as a browser would, and with it the chain is trusted by {} (anchor CN=Test Root CA)",
                key_id(&pki.inter.der()),
                ctx.store_label(0)
            )
        );
    }

    #[test]
    fn a_failed_fetch_is_quoted() {
        let pki = Pki::new();
        let leaf =
            pki.leaf_with(Spec::leaf(&["aia.test"], NOW).ca_issuers("http://ca.test/inter.crt"));
        let case = Case::new(std::slice::from_ref(&leaf.der), vec![pki.custom()]);
        let completion = crate::diagnose::Completion {
            certs: Vec::new(),
            anchors: vec![None],
            failures: vec![(
                "http://ca.test/inter.crt".into(),
                "http-status: the server answered 404 Not Found".into(),
            )],
        };
        let findings = issuers(&case.ctx().with_completion(Some(&completion)));
        let finding = only(&findings, FindingCode::IncompleteChain);
        assert!(
            finding.message.ends_with(
                "names it at http://ca.test/inter.crt; fetching it failed (http-status: the server answered 404 Not Found)"
            ),
            "{}",
            finding.message
        );
    }
}
