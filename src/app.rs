//! Runs the pipeline for every target: connect or read, parse, replay, diagnose, report.
//!
//! A failure on one target is data in its report; nothing here aborts the run or prints.

use std::path::Path;
use std::sync::Arc;

use anyhow::Context as _;
use futures_util::FutureExt;
use futures_util::future::{BoxFuture, Shared};

use crate::chain::file::{load_path, load_path_with};
use crate::chain::key::{certificate_public_half, load_key};
use crate::chain::{CertInfo, Chain, parse_certificate, parse_chain, summarize_certificate};
use crate::clients::{ClientEnv, ClientStore, ExtraStore, choose_stores, predict};
use crate::config::{Config, InspectOptions, Mode, Settings, TlsJob};
use crate::connect::{ConnectRequest, connect, provider};
use crate::diagnose::text::date;
use crate::diagnose::{Context, diagnose};
use crate::diagnose::{Finding, FindingCode, Scope};
use crate::report::{
    ConnectionErrorReport, Report, Source, TargetReport, TlsReport, bundle_reports, chain_reports,
    days_until, earliest_expiry, finding_reports, status, trust_reports,
};
use crate::target::Host;
use crate::trust::store::{load_bundled, load_custom, load_system};
use crate::trust::{StoreKind, TrustStore, replay};

/// The trust stores of a run and, for client predictions, which store each client uses.
#[derive(Clone, Debug, Default)]
pub struct Stores {
    /// The configured stores, as reported.
    pub trust: Vec<TrustStore>,
    /// Client store choices; `None` skips client predictions.
    pub clients: Option<ClientSetup>,
}

impl Stores {
    /// Configured stores with client predictions.
    pub fn with_clients(trust: Vec<TrustStore>, env: &ClientEnv) -> Stores {
        let clients = Some(load_client_setup(env, &trust));
        Stores { trust, clients }
    }
}

/// Loads every configured store once for the whole run.
pub fn load_stores(config: &Config) -> Vec<TrustStore> {
    let mut stores = vec![load_system(&config.env.system_store), load_bundled()];
    stores.extend(config.ca_files.iter().map(|path| load_custom(path)));
    stores
}

/// Runs the configured checks (live targets or `inspect`) and returns the report.
///
/// `on_done` sees each result as soon as it is complete (in completion order), for streaming
/// output and progress; the report keeps input order.
pub fn run(config: &Config, on_done: &mut dyn FnMut(&TargetReport)) -> anyhow::Result<Report> {
    let results = match &config.mode {
        Mode::Inspect(options) => {
            let stores = if options.each {
                Stores::default()
            } else {
                Stores::with_clients(load_stores(config), &config.env.clients)
            };
            let results = inspect_all(options, &stores, &config.settings);
            results.iter().for_each(&mut *on_done);
            results
        }
        Mode::Check | Mode::Demo | Mode::Stores => {
            // One target needs no worker pool: the stores load on a blocking thread meanwhile.
            let runtime = if config.jobs.len() <= 1 {
                tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                    .context("starting the async runtime")?
            } else {
                runtime()?
            };
            // The stores load on another thread while the first handshakes are under way.
            let loading = {
                let config = config.clone();
                runtime.spawn_blocking(move || {
                    Stores::with_clients(load_stores(&config), &config.env.clients)
                })
            };
            let stores: SharedStores = async move { Arc::new(loading.await.unwrap_or_default()) }
                .boxed()
                .shared();
            runtime.block_on(check_all(
                config.jobs.clone(),
                stores,
                config.settings.clone(),
                on_done,
            ))
        }
    };
    Ok(Report {
        version: env!("CARGO_PKG_VERSION").to_string(),
        checked_at: date(config.settings.now),
        results,
    })
}

/// The tokio runtime certcheck uses.
pub fn runtime() -> anyhow::Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("starting the async runtime")
}

/// Checks every job, at most `settings.concurrency` at a time. `on_done` sees each result as it
/// completes; the returned results are in input order.
pub async fn check_all(
    jobs: Vec<TlsJob>,
    stores: SharedStores,
    settings: Arc<Settings>,
    on_done: &mut dyn FnMut(&TargetReport),
) -> Vec<TargetReport> {
    let limit = Arc::new(tokio::sync::Semaphore::new(settings.concurrency.max(1)));
    let (done_tx, mut done_rx) = tokio::sync::mpsc::unbounded_channel();
    let mut slots: Vec<Option<TargetReport>> = vec![None; jobs.len()];
    for (index, job) in jobs.iter().enumerate() {
        let job = job.clone();
        let stores = stores.clone();
        let settings = settings.clone();
        let limit = limit.clone();
        let done_tx = done_tx.clone();
        let handle = tokio::spawn(async move {
            let _permit = limit.acquire_owned().await;
            check_tls(&job, stores, &settings).await
        });
        // A second task turns a panic in the first into data instead of losing the result.
        tokio::spawn(async move {
            let result = handle.await.map_err(|e| e.to_string());
            let _ = done_tx.send((index, result));
        });
    }
    drop(done_tx);
    while let Some((index, result)) = done_rx.recv().await {
        let report = result.unwrap_or_else(|err| {
            failed_report(
                &jobs[index],
                ConnectionErrorReport {
                    code: "io".into(),
                    message: format!("internal error while checking this target: {err}"),
                },
            )
        });
        on_done(&report);
        slots[index] = Some(report);
    }
    slots
        .into_iter()
        .zip(&jobs)
        .map(|(slot, job)| {
            slot.unwrap_or_else(|| {
                failed_report(
                    job,
                    ConnectionErrorReport {
                        code: "io".into(),
                        message: "internal error: the check of this target was lost".into(),
                    },
                )
            })
        })
        .collect()
}

fn failed_report(job: &TlsJob, error: ConnectionErrorReport) -> TargetReport {
    TargetReport {
        target: job.target.input.clone(),
        host: Some(job.target.host.to_string()),
        port: Some(job.target.port),
        server_name: Some(job.server_name().to_string()),
        address: None,
        source: Source::Tls,
        status: crate::report::Status::Error,
        expires_at: None,
        days_remaining: None,
        connection_error: Some(error),
        tls: None,
        chain: Vec::new(),
        trust: Vec::new(),
        findings: Vec::new(),
        clients: Vec::new(),
    }
}

/// Stores that may still be loading: every check awaits them only once its handshake is done.
pub type SharedStores = Shared<BoxFuture<'static, Arc<Stores>>>;

/// Stores that are already loaded, as [`SharedStores`].
pub fn ready_stores(stores: Stores) -> SharedStores {
    futures_util::future::ready(Arc::new(stores))
        .boxed()
        .shared()
}

/// Connects to one target and diagnoses what it presented.
pub async fn check_tls(job: &TlsJob, stores: SharedStores, settings: &Settings) -> TargetReport {
    let (connect_host, connect_port) = match &job.connect_to {
        Some(to) => (to.host.clone(), to.port.unwrap_or(job.target.port)),
        None => (job.target.host.clone(), job.target.port),
    };
    let request = ConnectRequest {
        connect_host,
        connect_port,
        server_name: job.server_name().clone(),
        timeout: settings.timeout,
    };
    let capture = match connect(&request, provider()).await {
        Ok(capture) => capture,
        Err(err) => {
            return failed_report(
                job,
                ConnectionErrorReport {
                    code: err.code().into(),
                    message: err.to_string(),
                },
            );
        }
    };
    let chain = parse_chain(&capture.captured.certificates);
    let stores = stores.await;
    let mut report = evaluate_with_clients(
        &chain,
        &[],
        &[],
        Some(job.server_name()),
        &stores.trust,
        stores.clients.as_ref(),
        settings,
        job.target.input.clone(),
        Source::Tls,
        capture
            .handshake_error
            .as_ref()
            .map(|e| ConnectionErrorReport {
                code: e.code().into(),
                message: format!(
                    "{e} (after the server presented its certificates, which are diagnosed below)"
                ),
            }),
        capture.captured.ocsp_response.as_deref(),
        Vec::new(),
    );
    report.host = Some(job.target.host.to_string());
    report.port = Some(job.target.port);
    report.address = capture.address.map(|a| a.to_string());
    report.tls = capture.tls.map(|tls| TlsReport {
        version: tls.version,
        cipher_suite: tls.cipher_suite,
        alpn: tls.alpn,
        ocsp_stapled: capture.captured.ocsp_response.is_some(),
        client_certificate_requested: capture.captured.client_auth_requested,
    });
    report
}

/// The network-free part of the pipeline: replay, diagnose and build the report for a chain.
///
/// `ocsp` is the OCSP response the server stapled (DER), `None` for files. No client predictions
/// are made (see [`evaluate_with_clients`]).
#[allow(clippy::too_many_arguments)]
pub fn evaluate(
    chain: &Chain,
    pool: &[CertInfo],
    pool_der: &[Vec<u8>],
    name: Option<&Host>,
    stores: &[TrustStore],
    settings: &Settings,
    target: String,
    source: Source,
    connection_error: Option<ConnectionErrorReport>,
    ocsp: Option<&[u8]>,
    extra: Vec<Finding>,
) -> TargetReport {
    evaluate_with_clients(
        chain,
        pool,
        pool_der,
        name,
        stores,
        None,
        settings,
        target,
        source,
        connection_error,
        ocsp,
        extra,
    )
}

/// [`evaluate`], plus the prediction of every client profile when `clients` is given.
#[allow(clippy::too_many_arguments)]
pub fn evaluate_with_clients(
    chain: &Chain,
    pool: &[CertInfo],
    pool_der: &[Vec<u8>],
    name: Option<&Host>,
    stores: &[TrustStore],
    clients: Option<&ClientSetup>,
    settings: &Settings,
    target: String,
    source: Source,
    connection_error: Option<ConnectionErrorReport>,
    ocsp: Option<&[u8]>,
    extra: Vec<Finding>,
) -> TargetReport {
    let results = replay(chain, pool_der, name, stores, settings.now);
    let ctx =
        Context::new(chain, pool, stores, &results, name, settings.deadlines()).with_ocsp(ocsp);
    let diagnosis = diagnose(&ctx, extra.clone());
    let predictions = clients
        .filter(|_| !chain.is_empty())
        .map(|setup| {
            if setup.extra_stores.is_empty() {
                return predict(&setup.choices, (&ctx, &diagnosis), None);
            }
            // The stores only clients use are diagnosed on their own, out of the report.
            let extra_results = replay(chain, pool_der, name, &setup.extra_stores, settings.now);
            let extra_ctx = Context::new(
                chain,
                pool,
                &setup.extra_stores,
                &extra_results,
                name,
                settings.deadlines(),
            )
            .with_ocsp(ocsp);
            let extra_diagnosis = diagnose(&extra_ctx, extra.clone());
            predict(
                &setup.choices,
                (&ctx, &diagnosis),
                Some((&extra_ctx, &extra_diagnosis)),
            )
        })
        .unwrap_or_default();
    let trust = trust_reports(stores, &diagnosis);
    let findings = finding_reports(stores, &diagnosis.findings);
    let connection_error = connection_error.or_else(|| store_failure(stores));
    let status = status(
        &trust,
        &findings,
        connection_error.as_ref(),
        !chain.is_empty(),
    );
    let expires = earliest_expiry(&trust, Some(&diagnosis), chain);
    TargetReport {
        target,
        host: None,
        port: None,
        server_name: name.map(|n| n.to_string()),
        address: None,
        source,
        status,
        expires_at: expires.map(date),
        days_remaining: expires.map(|at| days_until(at, settings.now)),
        connection_error,
        tls: None,
        chain: chain_reports(chain, settings.now),
        trust,
        findings,
        clients: predictions,
    }
}

/// Each client's store choice and the stores only clients use, loaded once per run.
#[derive(Clone, Debug, Default)]
pub struct ClientSetup {
    /// One per client profile.
    pub choices: Vec<ClientStore>,
    /// Stores loaded only for client predictions (REQUESTS_CA_BUNDLE, NODE_EXTRA_CA_CERTS...).
    pub extra_stores: Vec<TrustStore>,
}

/// Chooses each client's store from the environment and loads the stores only clients use.
pub fn load_client_setup(env: &ClientEnv, stores: &[TrustStore]) -> ClientSetup {
    let index_of = |kind| stores.iter().position(|s| s.kind == kind).unwrap_or(0);
    let custom: Vec<usize> = stores
        .iter()
        .enumerate()
        .filter(|(_, s)| s.kind == StoreKind::Custom)
        .map(|(i, _)| i)
        .collect();
    let (choices, extra) = choose_stores(
        env,
        index_of(StoreKind::System),
        index_of(StoreKind::Bundled),
        &custom,
    );
    // The same file often backs several variables (REQUESTS_CA_BUNDLE, NODE_EXTRA_CA_CERTS...):
    // read each once.
    let mut files: Vec<(std::path::PathBuf, TrustStore)> = Vec::new();
    let mut file = |path: &std::path::Path| -> TrustStore {
        if let Some((_, store)) = files.iter().find(|(p, _)| p == path) {
            return store.clone();
        }
        let store = load_custom(path);
        files.push((path.to_path_buf(), store.clone()));
        store
    };
    let extra_stores = extra
        .iter()
        .map(|spec| match spec {
            ExtraStore::File(path) => file(path),
            ExtraStore::BundledPlus(path) => {
                let mut store = load_bundled();
                let added = file(path);
                store.source = format!("{} + {}", store.source, path.display());
                store.anchors.extend(added.anchors);
                store.errors.extend(added.errors);
                store
            }
        })
        .collect();
    ClientSetup {
        choices,
        extra_stores,
    }
}

/// A primary store that could not be loaded at all means the target cannot be evaluated.
fn store_failure(stores: &[TrustStore]) -> Option<ConnectionErrorReport> {
    let primary = if stores.iter().any(|s| s.kind == StoreKind::Custom) {
        StoreKind::Custom
    } else {
        StoreKind::System
    };
    let failed: Vec<String> = stores
        .iter()
        .filter(|s| s.kind == primary && s.unusable())
        .flat_map(|s| s.errors.iter().cloned())
        .collect();
    if failed.is_empty() {
        return None;
    }
    let what = if primary == StoreKind::Custom {
        "--ca-file"
    } else {
        "the system trust store"
    };
    Some(ConnectionErrorReport {
        code: "file".into(),
        message: format!("{what} could not be loaded: {}", failed.join("; ")),
    })
}

/// The extra intermediates of `inspect --untrusted`, parsed, or the first file that failed.
fn load_pool(files: &[std::path::PathBuf]) -> Result<(Vec<CertInfo>, Vec<Vec<u8>>), String> {
    let mut infos = Vec::new();
    let mut ders = Vec::new();
    for path in files {
        let loaded = load_path(path).map_err(|e| format!("--untrusted {e}"))?;
        for cert in loaded.certs {
            if let Ok(info) = parse_certificate(&cert.der) {
                infos.push(info);
                ders.push(cert.der);
            }
        }
    }
    Ok((infos, ders))
}

fn file_failure(target: String, host: Option<&Host>, message: String) -> TargetReport {
    TargetReport {
        target,
        host: host.map(|h| h.to_string()),
        port: None,
        server_name: host.map(|h| h.to_string()),
        address: None,
        source: Source::File,
        status: crate::report::Status::Error,
        expires_at: None,
        days_remaining: None,
        connection_error: Some(ConnectionErrorReport {
            code: "file".into(),
            message,
        }),
        tls: None,
        chain: Vec::new(),
        trust: Vec::new(),
        findings: Vec::new(),
        clients: Vec::new(),
    }
}

/// Diagnoses every `inspect` file; each file is one result, a bad file never stops the others.
pub fn inspect_all(
    options: &InspectOptions,
    stores: &Stores,
    settings: &Settings,
) -> Vec<TargetReport> {
    let pool = load_pool(&options.untrusted);
    let key = options.key.as_deref().map(load_key);
    options
        .files
        .iter()
        .map(|path| {
            let target = path.display().to_string();
            let host = options.host.as_ref();
            let (pool_infos, pool_ders) = match &pool {
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
            let loaded = match load_path(path) {
                Ok(loaded) => loaded,
                Err(err) => return file_failure(target, host, err.to_string()),
            };
            let ders: Vec<Vec<u8>> = loaded.certs.into_iter().map(|c| c.der).collect();
            let mut extra: Vec<Finding> = loaded
                .problems
                .iter()
                .map(|problem| problem_finding(&target, problem))
                .collect();
            let mut report = {
                let chain = parse_chain(&ders);
                if let (Some(Ok(key)), Some(leaf)) = (&key, chain.leaf()) {
                    extra.extend(key_check(key, leaf, options));
                }
                evaluate_with_clients(
                    &chain,
                    pool_infos,
                    pool_ders,
                    host,
                    &stores.trust,
                    stores.clients.as_ref(),
                    settings,
                    target.clone(),
                    Source::File,
                    None,
                    None,
                    extra,
                )
            };
            report.host = host.map(|h| h.to_string());
            report
        })
        .collect()
}

fn key_check(
    key: &crate::chain::key::PublicHalf,
    leaf: &CertInfo,
    options: &InspectOptions,
) -> Vec<Finding> {
    let leaf_half = certificate_public_half(&leaf.spki_der);
    if leaf_half.as_ref() == Some(key) {
        return Vec::new();
    }
    let key_path = options
        .key
        .as_ref()
        .map(|p| p.display().to_string())
        .unwrap_or_default();
    vec![Finding::new(
        FindingCode::KeyMismatch,
        Some(0),
        Scope::AllStores,
        format!(
            "the private key in {key_path} ({}) does not belong to certificate 0 ({}), whose public key is {} {}",
            key.algorithm(),
            leaf.subject,
            leaf.key.algorithm,
            leaf.key.bits
        ),
        crate::diagnose::text::generic_hint(FindingCode::KeyMismatch),
    )]
}

/// A skipped entry of an input file as a finding: private keys are info, anything else an error.
fn problem_finding(target: &str, problem: &crate::chain::file::EntryProblem) -> Finding {
    let message = format!("{target}: {}: {}", problem.position, problem.message);
    if problem.private_key {
        Finding::new(
            FindingCode::PrivateKeyInFile,
            None,
            Scope::AllStores,
            message,
            crate::diagnose::text::generic_hint(FindingCode::PrivateKeyInFile),
        )
    } else {
        Finding::new(
            FindingCode::MalformedCertificate,
            None,
            Scope::AllStores,
            message,
            "Fix or remove the broken entry; clients that read this file fail or skip it.",
        )
    }
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
            .map(|problem| problem_finding(&target, problem)),
    );
    findings.sort_by(|a, b| {
        b.severity.cmp(&a.severity).then(
            a.certificate
                .unwrap_or(usize::MAX)
                .cmp(&b.certificate.unwrap_or(usize::MAX)),
        )
    });
    let findings = finding_reports(&[], &findings);
    let status = status(&[], &findings, None, any_cert);
    TargetReport {
        target,
        host: None,
        port: None,
        server_name: None,
        address: None,
        source: Source::File,
        status,
        expires_at: expires.map(date),
        days_remaining: expires.map(|at| days_until(at, settings.now)),
        connection_error: None,
        tls: None,
        chain,
        trust: Vec::new(),
        findings,
        clients: Vec::new(),
    }
}

/// `certcheck stores`: where every store comes from, what loaded, and each client's store.
pub fn stores_report(config: &Config) -> crate::report::StoresReport {
    use crate::report::{ClientStoreSummary, StoreSummary};
    let stores = load_stores(config);
    let sources = crate::trust::store::system_sources(&config.env.system_store);
    let setup = load_client_setup(&config.env.clients, &stores);
    let summaries = stores
        .iter()
        .enumerate()
        .map(|(i, store)| {
            let (files, directories, from_environment) = match store.kind {
                StoreKind::System => (
                    sources
                        .file
                        .iter()
                        .map(|p| p.display().to_string())
                        .collect(),
                    sources
                        .dirs
                        .iter()
                        .map(|p| p.display().to_string())
                        .collect(),
                    sources.from_env,
                ),
                StoreKind::Custom => (
                    config
                        .ca_files
                        .get(i.saturating_sub(2))
                        .map(|p| vec![p.display().to_string()])
                        .unwrap_or_default(),
                    Vec::new(),
                    false,
                ),
                StoreKind::Bundled => (Vec::new(), Vec::new(), false),
            };
            let source = if store.kind == StoreKind::Bundled {
                format!(
                    "{} version {}",
                    store.source,
                    crate::trust::store::WEBPKI_ROOTS_VERSION
                )
            } else {
                store.source.clone()
            };
            StoreSummary {
                store: store.kind,
                source,
                files,
                directories,
                from_environment,
                certificates: store.anchors.len(),
                failed: store.errors.clone(),
            }
        })
        .collect();
    crate::report::StoresReport {
        version: env!("CARGO_PKG_VERSION").to_string(),
        stores: summaries,
        clients: setup
            .choices
            .iter()
            .map(|c| ClientStoreSummary {
                client: c.client,
                store: c.reason.clone(),
            })
            .collect(),
        assumptions: crate::clients::ASSUMPTIONS.to_string(),
    }
}
