//! Live targets: connect to each (at most `--concurrency` at once), capture what it presents and
//! evaluate it while the trust stores load on another thread.

use std::sync::Arc;

use anyhow::Context as _;
use futures_util::FutureExt;
use futures_util::future::{BoxFuture, Shared};

use super::{StoreLoader, failed_store, load_each, runtime};
use crate::chain::parse_chain;
use crate::config::{Config, Keep, Settings, TlsJob};
use crate::connect::{ConnectRequest, connect, provider};
use crate::evaluate::{Evidence, Stores, evaluate};
use crate::report::build::keep_certificates;
use crate::report::{
    ConnectionErrorReport, ErrorCode, Origin, Source, StarttlsReport, TargetReport, TlsReport,
};
use crate::target::Host;
use crate::trust::StoreKind;

/// Stores that may still be loading: every check awaits them only once its handshake is done.
pub type SharedStores = Shared<BoxFuture<'static, Arc<Stores>>>;

/// Stores that are already loaded, as [`SharedStores`].
pub fn ready_stores(stores: Stores) -> SharedStores {
    futures_util::future::ready(Arc::new(stores))
        .boxed()
        .shared()
}

/// Checks every live target of `config`, loading the stores with `loaders` meanwhile.
///
/// However loading ends (a loader that panics, a task that is lost), every configured store is
/// there: one that did not load is an empty store with its error, never a missing one.
pub fn run_live(
    config: &Config,
    loaders: Vec<StoreLoader>,
    on_done: &mut dyn FnMut(&TargetReport),
) -> anyhow::Result<Vec<TargetReport>> {
    // One target needs no worker pool: the stores load on a blocking thread meanwhile.
    let runtime = if config.jobs.len() <= 1 {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .context("starting the async runtime")?
    } else {
        runtime()?
    };
    // What is needed to stand in for each store should the loading task itself be lost.
    let names: Vec<(StoreKind, String)> =
        loaders.iter().map(|l| (l.kind, l.source.clone())).collect();
    let loading = {
        let env = config.env.clients.clone();
        runtime.spawn_blocking(move || Stores::with_clients(load_each(loaders), &env))
    };
    let stores: SharedStores = async move {
        Arc::new(loading.await.unwrap_or_else(|err| {
            let why = err.to_string();
            Stores::without_clients(
                names
                    .iter()
                    .map(|(kind, source)| failed_store(*kind, source, &why))
                    .collect(),
            )
        }))
    }
    .boxed()
    .shared();
    Ok(runtime.block_on(check_all(
        config.jobs.clone(),
        stores,
        config.settings.clone(),
        on_done,
    )))
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
            TargetReport::failed(
                origin(&jobs[index]),
                ConnectionErrorReport::new(
                    ErrorCode::Io,
                    format!("internal error while checking this target: {err}"),
                ),
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
                TargetReport::failed(
                    origin(job),
                    ConnectionErrorReport::new(
                        ErrorCode::Io,
                        "internal error: the check of this target was lost",
                    ),
                )
            })
        })
        .collect()
}

/// What the report says about a live target before anything is known of its certificates.
fn origin(job: &TlsJob) -> Origin {
    Origin {
        target: job.target.input.clone(),
        host: Some(job.target.host.to_string()),
        port: Some(job.target.port),
        server_name: Some(job.server_name().to_string()),
        address: None,
        connect_to: job.connect_to.as_ref().map(|to| match to.port {
            Some(port) => Host::display_with_port(&to.host, port),
            None => to.host.to_string(),
        }),
        route: Some(
            job.routing
                .proxy
                .as_ref()
                .map_or_else(|| "direct".to_string(), |p| p.to_string()),
        ),
        route_reason: Some(job.routing.reason.clone()),
        source: Source::Tls,
        tls: None,
        starttls: job.starttls.map(|choice| StarttlsReport {
            protocol: choice.protocol.name().to_string(),
            inferred_from_port: choice.inferred_from_port,
        }),
    }
}

/// Connects to one target and evaluates what it presented.
pub async fn check_tls(job: &TlsJob, stores: SharedStores, settings: &Settings) -> TargetReport {
    let (connect_host, connect_port) = match &job.connect_to {
        Some(to) => (to.host.clone(), to.port.unwrap_or(job.target.port)),
        None => (job.target.host.clone(), job.target.port),
    };
    let request = ConnectRequest {
        connect_host,
        connect_port,
        server_name: job.server_name().clone(),
        starttls: job.starttls.map(|c| c.protocol),
        timeout: settings.timeout,
        proxy: job.routing.proxy.clone(),
        family: job.routing.family,
    };
    let capture = match connect(&request, provider()).await {
        Ok(capture) => capture,
        Err(err) => return TargetReport::failed(origin(job), ConnectionErrorReport::from(&err)),
    };
    let chain = parse_chain(&capture.captured.certificates);
    let stores = stores.await;
    let mut origin = origin(job);
    origin.address = capture.address.map(|a| a.to_string());
    origin.tls = capture.tls.map(|tls| TlsReport {
        version: tls.version,
        cipher_suite: tls.cipher_suite,
        alpn: tls.alpn,
        ocsp_stapled: capture.captured.ocsp_response.is_some(),
        client_certificate_requested: capture.captured.client_auth_requested,
    });
    let mut evidence = Evidence::new(origin, &chain).with_name(Some(job.server_name()));
    evidence.ocsp = capture.captured.ocsp_response.as_deref();
    evidence.client_routes = job.routing.clients.clone();
    evidence.connection_error = capture.handshake_error.as_ref().map(|e| {
        let mut report = ConnectionErrorReport::from(e);
        report.message =
            format!("{e} (after the server presented its certificates, which are diagnosed below)");
        report
    });
    let mut report = evaluate(&evidence, &stores, &settings.policy());
    if job.keep != Keep::default() {
        keep_certificates(&mut report, &chain, job.keep);
    }
    report
}
