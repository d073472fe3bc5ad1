//! Live targets: connect to each (at most `--concurrency` at once), capture what it presents and
//! evaluate it while the trust stores load on another thread.

use std::sync::Arc;

use anyhow::Context as _;
use futures_util::FutureExt;
use futures_util::future::{BoxFuture, Shared};

use super::aia::{FetchRoute, fetch_missing};
use super::revocation::fetch_statuses;
use super::{StoreLoader, failed_store, load_each, runtime};
use crate::chain::parse_chain;
use crate::clients::wire::Handshake;
use crate::config::{Config, Keep, Settings, TlsJob};
use crate::connect::{ConnectRequest, connect, provider};
use crate::evaluate::{Evidence, Fetched, Pool, Stores, evaluate};
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

/// Checks every live target of `config`, loading the stores with `loaders` meanwhile, and
/// returns the results in input order.
///
/// However loading ends (a loader that panics, a task that is lost), every configured store is
/// there: one that did not load is an empty store with its error, never a missing one.
pub fn run_live(
    config: &Config,
    loaders: Vec<StoreLoader>,
    on_done: &mut dyn FnMut(&TargetReport),
) -> anyhow::Result<Vec<TargetReport>> {
    let mut slots: Vec<Option<TargetReport>> = Vec::new();
    stream_live(config, loaders, &mut |index, report| {
        on_done(&report);
        if slots.len() <= index {
            slots.resize(index + 1, None);
        }
        slots[index] = Some(report);
    })?;
    Ok(slots.into_iter().flatten().collect())
}

/// Checks every live target of `config` as [`run_live`] does, handing each result with its
/// input index to `sink` as it completes and keeping none: memory follows `--concurrency`, not
/// the number of targets (the targets file is read as the checks go).
///
/// A bad line of a targets file read from standard input ends the run with its error once the
/// checks already started are done.
pub fn stream_live(
    config: &Config,
    loaders: Vec<StoreLoader>,
    sink: &mut dyn FnMut(usize, TargetReport),
) -> anyhow::Result<()> {
    // One target needs no worker pool: the stores load on a blocking thread meanwhile.
    let runtime = if config.job_count().is_some_and(|n| n <= 1) {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .context("starting the async runtime")?
    } else {
        runtime()?
    };
    let stores = {
        let _context = runtime.enter();
        load_in_background(config, loaders)
    };
    let mut bad_line = None;
    let jobs = config.job_source().map_while(|job| match job {
        Ok(job) => Some(job),
        Err(err) => {
            bad_line = Some(err);
            None
        }
    });
    runtime.block_on(check_stream(jobs, stores, config.settings.clone(), sink));
    match bad_line {
        Some(err) => Err(err.into()),
        None => Ok(()),
    }
}

/// Starts loading the stores on a blocking thread of the current runtime.
pub fn load_in_background(config: &Config, loaders: Vec<StoreLoader>) -> SharedStores {
    // What is needed to stand in for each store should the loading task itself be lost.
    let names: Vec<(StoreKind, String)> =
        loaders.iter().map(|l| (l.kind, l.source.clone())).collect();
    let loading = {
        let env = config.env.clients.clone();
        tokio::task::spawn_blocking(move || Stores::with_clients(load_each(loaders), &env))
    };
    async move {
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
    .shared()
}

/// Checks every job, at most `settings.concurrency` at a time. `on_done` sees each result as it
/// completes; the returned results are in input order.
pub async fn check_all(
    jobs: Vec<TlsJob>,
    stores: SharedStores,
    settings: Arc<Settings>,
    on_done: &mut dyn FnMut(&TargetReport),
) -> Vec<TargetReport> {
    let mut slots: Vec<Option<TargetReport>> = vec![None; jobs.len()];
    check_stream(jobs.into_iter(), stores, settings, &mut |index, report| {
        on_done(&report);
        slots[index] = Some(report);
    })
    .await;
    slots.into_iter().flatten().collect()
}

/// Checks the jobs `jobs` yields, taking the next only when fewer than `settings.concurrency`
/// checks run, and hands each result with its input index to `sink` as it completes: every job
/// gives exactly one result, a check that panics included.
pub async fn check_stream(
    mut jobs: impl Iterator<Item = TlsJob>,
    stores: SharedStores,
    settings: Arc<Settings>,
    sink: &mut dyn FnMut(usize, TargetReport),
) {
    let limit = settings.concurrency.max(1);
    let mut running = tokio::task::JoinSet::new();
    // The jobs in flight, to report a check that panicked as its target's failure.
    let mut in_flight = std::collections::HashMap::with_capacity(limit);
    let mut next_index = 0;
    loop {
        while running.len() < limit {
            let Some(job) = jobs.next() else { break };
            let check = {
                let (job, stores, settings) = (job.clone(), stores.clone(), settings.clone());
                async move { check_tls(&job, stores, &settings).await }
            };
            let id = running.spawn(check).id();
            in_flight.insert(id, (next_index, job));
            next_index += 1;
        }
        let Some(done) = running.join_next_with_id().await else {
            break;
        };
        let (id, outcome) = match done {
            Ok((id, report)) => (id, Ok(report)),
            Err(err) => (err.id(), Err(err.to_string())),
        };
        let Some((index, job)) = in_flight.remove(&id) else {
            continue;
        };
        let report = outcome.unwrap_or_else(|err| {
            TargetReport::failed(
                origin(&job),
                ConnectionErrorReport::new(
                    ErrorCode::Io,
                    format!("internal error while checking this target: {err}"),
                ),
            )
        });
        sink(index, report);
    }
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
        client_cert: settings
            .client_identity
            .as_ref()
            .map(|identity| identity.certified.clone()),
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
        client_certificate_sent: capture.captured.client_cert_sent,
        handshake_completed: capture.legacy.is_none(),
        certificate_message_bytes: capture
            .legacy
            .map(|l| l.client_certificate_message_bytes as u64),
    });
    // Between capture and evaluation: the missing intermediate, as a client that fetches would
    // fetch it, through the target's route (nothing for a complete chain or with --offline).
    let route = FetchRoute::new(
        job.routing.proxy.clone(),
        job.routing.family,
        settings.timeout,
    );
    let mut fetched = if settings.fetch {
        fetch_missing(&chain, &Pool::default(), &stores.trust, &route).await
    } else {
        Fetched::default()
    };
    // --check-revocation: the OCSP response or CRL of each presented certificate, by the same
    // route (off with --offline).
    if settings.check_revocation {
        fetch_statuses(
            &chain,
            &Pool::default(),
            &stores.trust,
            &route,
            &mut fetched,
        )
        .await;
    }
    let mut evidence = Evidence::new(origin, &chain).with_name(Some(job.server_name()));
    evidence.fetched = &fetched;
    evidence.ocsp = capture.captured.ocsp_response.as_deref();
    evidence.client_routes = job.routing.clients.clone();
    evidence.handshake = capture.legacy.map(|l| Handshake {
        version: l.version,
        signed_key_exchange: l.signed_key_exchange,
        certificate_message_bytes: l.client_certificate_message_bytes,
    });
    evidence.connection_error = capture.handshake_error.as_ref().map(|e| {
        let mut report = ConnectionErrorReport::from(e);
        report.message = format!("{e}{}", crate::report::verdict::DIAGNOSED_BELOW);
        report
    });
    let mut report = evaluate(&evidence, &stores, &settings.policy());
    if job.keep != Keep::default() {
        keep_certificates(&mut report, &chain, job.keep);
    }
    report
}
