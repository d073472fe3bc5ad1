//! `certcheck inspect`: local files, each one result; a bad file never stops the others.

use std::path::{Path, PathBuf};

use super::aia::{FetchRoute, fetch_missing};
use super::revocation::fetch_statuses;
use crate::chain::file::{load_path, load_path_with, load_path_with_password};
use crate::chain::key::load_key;
use crate::chain::{parse_chain, summarize_certificate};
use crate::config::{InspectOptions, Keep, Settings};
use crate::diagnose::input::{entry_problem, key_check};
use crate::evaluate::{Evidence, Fetched, Pool, Stores, evaluate};
use crate::report::build::{Assessment, assemble, keep_certificates};
use crate::report::{
    ConnectionErrorReport, ErrorCode, Origin, TargetReport, bundle_reports, finding_reports,
};
use crate::target::Host;

/// Diagnoses every `inspect` file.
pub fn inspect_all(
    options: &InspectOptions,
    stores: &Stores,
    settings: &Settings,
) -> Vec<TargetReport> {
    let pool = load_pool(&options.untrusted);
    let key = options.key.as_deref().map(load_key);
    let host = options.host.as_ref();
    // `--fetch`: one small runtime for the fetches, made only when asked for.
    let fetcher = options.fetch.then(|| {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(|e| format!("--fetch: cannot start the runtime for fetching ({e})"))
    });
    options
        .files
        .iter()
        .map(|path| {
            let target = path.display().to_string();
            let pool = match &pool {
                Ok(pool) => pool,
                Err(message) => return file_failure(target, host, message.clone()),
            };
            if let Some(Err(message)) = &key {
                return file_failure(target, host, message.clone());
            }
            if options.each {
                // --each takes neither --host, --untrusted nor --key (clap refuses them).
                return inspect_each(path, target, settings);
            }
            // A directory is a set of certificates, not a chain: each is evaluated alone, as
            // with --each. `show` (which keeps every field) reads it as a bundle in file order.
            if path.is_dir() && !options.keep.details {
                if host.is_some() || !options.untrusted.is_empty() || options.key.is_some() {
                    return file_failure(
                        target,
                        host,
                        format!(
                            "{}: is a directory, whose certificates are evaluated one by one (as with --each), which takes no --host, --untrusted or --key; give the chain's file instead",
                            path.display()
                        ),
                    );
                }
                return inspect_each(path, target, settings);
            }
            let password = options.password.as_ref().map(|p| p.0.as_str());
            let loaded = match load_path_with_password(path, password) {
                Ok(loaded) => loaded,
                Err(err) => return file_failure(target, host, err.to_string()),
            };
            let chain = parse_chain(&loaded.certs.into_iter().map(|c| c.der).collect::<Vec<_>>());
            let mut input_findings: Vec<_> = loaded
                .problems
                .iter()
                .map(|problem| entry_problem(&target, problem))
                .collect();
            if let (Some(Ok(key)), Some(leaf), Some(key_path)) = (&key, chain.leaf(), &options.key)
            {
                input_findings.push(key_check(key, &key_path.display().to_string(), leaf));
            }
            let fetched = match (&fetcher, options.fetch) {
                (Some(Ok(runtime)), true) => {
                    let route = FetchRoute::new(None, None, settings.timeout);
                    let mut fetched =
                        runtime.block_on(fetch_missing(&chain, pool, &stores.trust, &route));
                    if options.check_revocation {
                        runtime.block_on(fetch_statuses(
                            &chain,
                            pool,
                            &stores.trust,
                            &route,
                            &mut fetched,
                        ));
                    }
                    fetched
                }
                (Some(Err(message)), true) => return file_failure(target, host, message.clone()),
                _ => Fetched::default(),
            };
            let mut evidence = Evidence::new(Origin::file(target, host), &chain)
                .with_name(host)
                .with_pool(pool);
            evidence.input_findings = input_findings;
            evidence.fetched = &fetched;
            let mut report = evaluate(&evidence, stores, &settings.policy());
            if options.keep != Keep::default() {
                keep_certificates(&mut report, &chain, options.keep);
            }
            report
        })
        .collect()
}

/// The extra intermediates of `inspect --untrusted`, or the first file that failed.
fn load_pool(files: &[PathBuf]) -> Result<Pool, String> {
    let mut ders = Vec::new();
    for path in files {
        let loaded = load_path(path).map_err(|e| format!("--untrusted {e}"))?;
        ders.extend(loaded.certs.into_iter().map(|cert| cert.der));
    }
    Ok(Pool::from_ders(ders))
}

fn file_failure(target: String, host: Option<&Host>, message: String) -> TargetReport {
    TargetReport::failed(
        Origin::file(target, host),
        ConnectionErrorReport::new(ErrorCode::File, message),
    )
}

/// `inspect --each`: every certificate alone, no stores, no path. Each certificate is summarised
/// on the thread that decoded it, so the DER of a large bundle is never held all at once.
fn inspect_each(path: &Path, target: String, settings: &Settings) -> TargetReport {
    let loaded = match load_path_with(path, &|cert| summarize_certificate(&cert.der)) {
        Ok(loaded) => loaded,
        Err(err) => return file_failure(target, None, err.to_string()),
    };
    let expires = loaded
        .certs
        .iter()
        .filter_map(|cert| cert.summary().map(|s| s.not_after))
        .min();
    let any_cert = !loaded.certs.is_empty();
    // Findings for thousands of certificates are made on every core; the entries then take the
    // place of the summaries in the same list.
    let deadlines = settings.deadlines();
    let mut findings =
        crate::par::map_parts(&loaded.certs, crate::par::MANY_ITEMS, |first, part| {
            crate::diagnose::each::each(part, first, deadlines)
        })
        .concat();
    let chain = bundle_reports(loaded.certs, settings.now);
    findings.extend(
        loaded
            .problems
            .iter()
            .map(|problem| entry_problem(&target, problem)),
    );
    findings.sort_by(|a, b| {
        b.severity.cmp(&a.severity).then(
            a.certificate
                .unwrap_or(usize::MAX)
                .cmp(&b.certificate.unwrap_or(usize::MAX)),
        )
    });
    let findings = finding_reports(&[], &findings);
    let status = crate::report::pathless_status(&findings, any_cert);
    let assessment = Assessment {
        verdict: crate::report::verdict(&[], &findings, &[], status, None),
        status,
        expires_at: expires,
        connection_error: None,
        chain,
        trust: Vec::new(),
        findings,
        clients: Vec::new(),
    };
    assemble(Origin::file(target, None), assessment, settings.now)
}
