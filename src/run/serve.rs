//! `certcheck serve`: an HTTP probe in the blackbox_exporter pattern. `GET /probe?target=...`
//! checks the one target the request names and answers its `certcheck_*` metrics; `/metrics`
//! has the server's own counters. Prometheus schedules, shards and stores; this only probes.
//!
//! hyper (HTTP/1 only) on the tokio runtime certcheck already runs: it bounds how long a client
//! may take to send its request head and how large that head may be, which a slow or hostile
//! client needs. Everything from outside is bounded here: connections (`--max-connections`,
//! the rest wait in the listen queue), probes at once (`--concurrency`), the time of a probe
//! (`--timeout`, lowered by Prometheus's scrape timeout) and of a connection. A request never
//! reaches a host, a name or a file it does not name, and a CA file only from `--allow-ca-file`.

use std::collections::HashMap;
use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::Context as _;
use bytes::Bytes;
use http_body_util::Full;
use hyper::body::Incoming;
use hyper::header::{CONTENT_TYPE, HeaderValue};
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Method, Request, Response, StatusCode};
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::sync::Semaphore;

use super::live::check_tls;
use super::{StoreLoader, load_each, runtime, store_loaders};
use crate::clients::name::Selection;
use crate::config::{Config, ServeOptions, Settings, TlsJob};
use crate::evaluate::Stores;
use crate::render::prometheus;
use crate::report::metrics::{Metrics, ServerMetrics};
use crate::target::{Host, Target};
use crate::trust::StoreKind;
use crate::trust::store::load_custom;

/// The longest query string a probe may have; a longer one is refused with 414.
const MAX_QUERY: usize = 2048;
/// How long a client may take to send a request head.
const HEAD_TIMEOUT: Duration = Duration::from_secs(5);
/// How long one connection is kept (keep-alive included) before it is closed gracefully.
const CONNECTION_LIFETIME: Duration = Duration::from_secs(120);
/// What Prometheus's scrape timeout leaves for the answer to travel back.
const SCRAPE_MARGIN: Duration = Duration::from_millis(500);

/// Serves probes on `options.listen` until the process is stopped; `on_listening` is told the
/// address bound (port 0 picks one) before the first request is accepted.
pub fn serve(
    config: &Config,
    options: &ServeOptions,
    on_listening: &mut dyn FnMut(SocketAddr),
) -> anyhow::Result<()> {
    let runtime = runtime()?;
    let state = Arc::new(Server::load(config, options)?);
    runtime.block_on(async {
        let listener = tokio::net::TcpListener::bind(options.listen)
            .await
            .with_context(|| format!("--listen {}: cannot listen there", options.listen))?;
        on_listening(listener.local_addr().context("the address listened on")?);
        let connections = Arc::new(Semaphore::new(options.max_connections.max(1)));
        loop {
            // Past --max-connections, connections wait in the kernel's listen queue.
            let Ok(permit) = connections.clone().acquire_owned().await else {
                break;
            };
            let stream = match listener.accept().await {
                Ok((stream, _)) => stream,
                // Out of file descriptors and the like: wait a little, keep serving.
                Err(_) => {
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            };
            let state = state.clone();
            tokio::spawn(async move {
                state.connection(stream).await;
                drop(permit);
            });
        }
        Ok(())
    })
}

/// What every request shares: the stores, loaded once, and the counters.
struct Server {
    /// The stores of every probe without `ca_file`: system, bundled and each `--ca-file`.
    stores: Arc<Stores>,
    /// The stores of a probe with `ca_file=NAME`: the above plus that file.
    allowed: HashMap<String, Arc<Stores>>,
    /// The settings of the command line, with the probe's `--timeout`.
    settings: Settings,
    /// The bound on one probe.
    timeout: Duration,
    /// `serve`'s options, for each probe's instant.
    options: ServeOptions,
    /// Probes at once.
    probes: Arc<Semaphore>,
    concurrency: usize,
    counters: Counters,
}

/// The server's own counters, for `/metrics`.
#[derive(Default)]
struct Counters {
    probes: AtomicU64,
    failed: AtomicU64,
    rejected: AtomicU64,
    in_flight: AtomicU64,
    duration: Mutex<f64>,
}

/// A request refused: its status and the sentence that says why.
#[derive(Debug)]
struct Refusal {
    status: StatusCode,
    message: String,
}

impl Refusal {
    fn new(status: StatusCode, message: impl Into<String>) -> Refusal {
        Refusal {
            status,
            message: message.into(),
        }
    }

    fn bad(message: impl Into<String>) -> Refusal {
        Refusal::new(StatusCode::BAD_REQUEST, message)
    }
}

/// One probe, as the query string asks for it.
struct Probe {
    job: TlsJob,
    deciding: Selection,
    ca_file: Option<String>,
}

impl Server {
    /// Loads every store once; a `--allow-ca-file` that yields no certificate is a usage error.
    fn load(config: &Config, options: &ServeOptions) -> anyhow::Result<Server> {
        let stores = Stores::with_clients(load_each(store_loaders(config)), &config.env.clients);
        let mut allowed = HashMap::new();
        for (name, path) in &options.allowed_ca_files {
            let custom = load_custom(path);
            if custom.unusable() {
                anyhow::bail!(
                    "--allow-ca-file {name}={}: no certificate could be loaded ({})",
                    path.display(),
                    custom.errors.join("; ")
                );
            }
            let mut loaders = store_loaders(config);
            loaders.push(StoreLoader {
                kind: StoreKind::Custom,
                source: path.display().to_string(),
                load: Box::new(move || custom),
            });
            let with_file = Stores::with_clients(load_each(loaders), &config.env.clients);
            allowed.insert(name.clone(), Arc::new(with_file));
        }
        let mut settings = (*config.settings).clone();
        settings.timeout = options.timeout;
        Ok(Server {
            stores: Arc::new(stores),
            allowed,
            settings,
            timeout: options.timeout,
            options: options.clone(),
            probes: Arc::new(Semaphore::new(options.concurrency.max(1))),
            concurrency: options.concurrency.max(1),
            counters: Counters::default(),
        })
    }

    /// Serves one HTTP/1 connection within its bounds.
    async fn connection(self: Arc<Self>, stream: tokio::net::TcpStream) {
        let state = self.clone();
        let service = service_fn(move |request| {
            let state = state.clone();
            async move { Ok::<_, Infallible>(state.answer(request).await) }
        });
        let mut builder = http1::Builder::new();
        builder
            .timer(TokioTimer::new())
            .header_read_timeout(HEAD_TIMEOUT)
            .max_buf_size(16 * 1024);
        let connection = builder.serve_connection(TokioIo::new(stream), service);
        tokio::pin!(connection);
        tokio::select! {
            _ = connection.as_mut() => return,
            _ = tokio::time::sleep(CONNECTION_LIFETIME) => {}
        }
        // Kept too long: finish the request in progress, then close.
        connection.as_mut().graceful_shutdown();
        let _ = tokio::time::timeout(self.timeout + HEAD_TIMEOUT, connection).await;
    }

    /// The answer to one request: metrics, or a 4xx/5xx status with a sentence.
    async fn answer(&self, request: Request<Incoming>) -> Response<Full<Bytes>> {
        let answer = match (request.method(), request.uri().path()) {
            (&Method::GET | &Method::HEAD, "/probe") => self.probe(&request).await,
            (&Method::GET | &Method::HEAD, "/metrics") => Ok(self.own_metrics()),
            (&Method::GET | &Method::HEAD, "/") => Ok(text(
                StatusCode::OK,
                "certcheck serve: GET /probe?target=HOST:PORT[&sni=NAME][&client=NAME][&ca_file=NAME] checks one target; GET /metrics has this server's counters.\n".into(),
            )),
            (&Method::GET | &Method::HEAD, path) => Err(Refusal::new(
                StatusCode::NOT_FOUND,
                format!(
                    "nothing is served at {}; try /probe?target=HOST:PORT or /metrics",
                    clip(path)
                ),
            )),
            (method, _) => Err(Refusal::new(
                StatusCode::METHOD_NOT_ALLOWED,
                format!("method {} is not served; use GET", clip(method.as_str())),
            )),
        };
        answer.unwrap_or_else(|refusal| {
            self.counters.rejected.fetch_add(1, Ordering::Relaxed);
            text(refusal.status, format!("{}\n", refusal.message))
        })
    }

    /// Runs the probe the request asks for, within the probe's bound.
    async fn probe(&self, request: &Request<Incoming>) -> Result<Response<Full<Bytes>>, Refusal> {
        let started = Instant::now();
        let probe = parse_probe(request.uri().query().unwrap_or(""))?;
        let stores = match &probe.ca_file {
            None => self.stores.clone(),
            Some(name) => self.allowed.get(name).cloned().ok_or_else(|| {
                Refusal::bad(format!(
                    "ca_file={} is not one of this server's --allow-ca-file names{}",
                    clip(name),
                    names_hint(&self.allowed)
                ))
            })?,
        };
        let timeout = scrape_timeout(request)
            .map_or(self.timeout, |limit| limit.min(self.timeout))
            .max(Duration::from_millis(100));
        let deadline = tokio::time::Instant::now() + timeout;
        let permit = tokio::time::timeout_at(deadline, self.probes.clone().acquire_owned())
            .await
            .map_err(|_| {
                Refusal::new(
                    StatusCode::SERVICE_UNAVAILABLE,
                    format!(
                        "busy: {} probes were running for the whole {:.1} s this probe could wait; try again or raise --concurrency",
                        self.concurrency,
                        timeout.as_secs_f64()
                    ),
                )
            })?
            .map_err(|_| {
                Refusal::new(StatusCode::SERVICE_UNAVAILABLE, "the server is shutting down")
            })?;
        let mut settings = self.settings.clone();
        settings.deciding = probe.deciding;
        settings.now = self.options.probe_instant();
        // What remains is shared by the connection and the fetches after it (the AIA issuer, and
        // with --check-revocation the OCSP responses and CRLs), each bounded by `timeout`, so the
        // probe answers within its deadline; evaluation is bounded by the outer one.
        let phases = 1 + u32::from(settings.fetch) + u32::from(settings.check_revocation);
        settings.timeout = (deadline.saturating_duration_since(tokio::time::Instant::now())
            / phases)
            .max(Duration::from_millis(50));
        self.counters.in_flight.fetch_add(1, Ordering::Relaxed);
        let checked = tokio::time::timeout_at(
            deadline + SCRAPE_MARGIN,
            check_tls(&probe.job, ready_stores_of(stores), &settings),
        )
        .await;
        self.counters.in_flight.fetch_sub(1, Ordering::Relaxed);
        drop(permit);
        let report = checked.map_err(|_| {
            Refusal::new(
                StatusCode::GATEWAY_TIMEOUT,
                format!(
                    "the check of {} took longer than {:.1} s",
                    clip(&probe.job.target.input),
                    timeout.as_secs_f64()
                ),
            )
        })?;
        let metrics = Metrics::of(&report);
        let mut body = Vec::with_capacity(2048);
        // Writing into memory does not fail.
        let _ = prometheus::write(&metrics, &mut body);
        self.counters.probes.fetch_add(1, Ordering::Relaxed);
        if metrics.iter().any(|(_, row)| !row.success) {
            self.counters.failed.fetch_add(1, Ordering::Relaxed);
        }
        if let Ok(mut total) = self.counters.duration.lock() {
            *total += started.elapsed().as_secs_f64();
        }
        Ok(metrics_response(body))
    }

    /// `/metrics`: the server's own counters.
    fn own_metrics(&self) -> Response<Full<Bytes>> {
        let snapshot = ServerMetrics {
            probes: self.counters.probes.load(Ordering::Relaxed),
            failed: self.counters.failed.load(Ordering::Relaxed),
            rejected: self.counters.rejected.load(Ordering::Relaxed),
            duration_seconds: self.counters.duration.lock().map_or(0.0, |d| *d),
            in_flight: self.counters.in_flight.load(Ordering::Relaxed),
        };
        let mut body = Vec::with_capacity(1024);
        let _ = prometheus::write_server(&snapshot, &mut body);
        metrics_response(body)
    }
}

/// The stores of one probe, already loaded.
fn ready_stores_of(stores: Arc<Stores>) -> super::live::SharedStores {
    use futures_util::FutureExt;
    futures_util::future::ready(stores).boxed().shared()
}

/// Parses `/probe`'s query string: `target` once (required), `sni` at most once, `client`
/// (repeatable) and `ca_file` at most once; anything else is refused.
fn parse_probe(query: &str) -> Result<Probe, Refusal> {
    if query.len() > MAX_QUERY {
        return Err(Refusal::new(
            StatusCode::URI_TOO_LONG,
            format!(
                "the query string has {} bytes; a probe takes at most {MAX_QUERY}",
                query.len()
            ),
        ));
    }
    let mut target = None;
    let mut sni = None;
    let mut clients = Vec::new();
    let mut ca_file = None;
    for (key, value) in url::form_urlencoded::parse(query.as_bytes()) {
        let once = |slot: &Option<String>| {
            if slot.is_some() {
                Err(Refusal::bad(format!(
                    "{key} is given twice; a probe checks one target"
                )))
            } else {
                Ok(Some(value.to_string()))
            }
        };
        match key.as_ref() {
            "target" => target = once(&target)?,
            "sni" => sni = once(&sni)?,
            "ca_file" => ca_file = once(&ca_file)?,
            "client" => clients.push(value.to_string()),
            other => {
                return Err(Refusal::bad(format!(
                    "unknown parameter '{}'; /probe takes target, sni, client and ca_file",
                    clip(other)
                )));
            }
        }
    }
    let target = target.ok_or_else(|| {
        Refusal::bad(
            "target is missing; ask for /probe?target=HOST:PORT, e.g. target=example.com:443",
        )
    })?;
    let target: Target = target
        .parse()
        .map_err(|e: crate::target::TargetError| Refusal::bad(clip(&e.to_string())))?;
    let sni = match sni {
        Some(name) => Some(
            Host::parse(&name)
                .map_err(|e| Refusal::bad(format!("sni: {}", clip(&e.to_string()))))?,
        ),
        None => None,
    };
    let deciding =
        Selection::parse(&clients).map_err(|e| Refusal::bad(format!("client {}", clip(&e))))?;
    let starttls = target.starttls(None).map_err(|e| Refusal::bad(clip(&e)))?;
    Ok(Probe {
        job: TlsJob {
            target,
            sni,
            connect_to: None,
            starttls,
            keep: Default::default(),
            // A probe reaches the target it names directly, whatever proxy the server's
            // environment names.
            routing: crate::config::Routing {
                reason: "serve probes connect directly".into(),
                ..crate::config::Routing::default()
            },
        },
        deciding,
        ca_file,
    })
}

/// Prometheus's `X-Prometheus-Scrape-Timeout-Seconds`, less the time the answer needs.
fn scrape_timeout(request: &Request<Incoming>) -> Option<Duration> {
    let value = request
        .headers()
        .get("x-prometheus-scrape-timeout-seconds")?;
    let seconds: f64 = value.to_str().ok()?.trim().parse().ok()?;
    if !seconds.is_finite() || seconds <= 0.0 || seconds > 86_400.0 {
        return None;
    }
    Some(Duration::from_secs_f64(seconds).saturating_sub(SCRAPE_MARGIN))
}

/// ` (NAME, ...)` for a refusal, or a word that there are none.
fn names_hint(allowed: &HashMap<String, Arc<Stores>>) -> String {
    if allowed.is_empty() {
        return " (it allows none)".into();
    }
    let mut names: Vec<&str> = allowed.keys().map(String::as_str).collect();
    names.sort_unstable();
    format!(" ({})", names.join(", "))
}

/// Text from a request, cut to a length a sentence can quote.
fn clip(text: &str) -> String {
    const MAX: usize = 200;
    if text.len() <= MAX {
        return text.to_string();
    }
    let mut end = MAX;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}...", &text[..end])
}

fn text(status: StatusCode, body: String) -> Response<Full<Bytes>> {
    let mut response = Response::new(Full::new(Bytes::from(body)));
    *response.status_mut() = status;
    response.headers_mut().insert(
        CONTENT_TYPE,
        HeaderValue::from_static("text/plain; charset=utf-8"),
    );
    response
}

fn metrics_response(body: Vec<u8>) -> Response<Full<Bytes>> {
    let mut response = Response::new(Full::new(Bytes::from(body)));
    response.headers_mut().insert(
        CONTENT_TYPE,
        HeaderValue::from_static(prometheus::CONTENT_TYPE),
    );
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    fn refusal(query: &str) -> (StatusCode, String) {
        match parse_probe(query) {
            Ok(_) => panic!("{query} should be refused"),
            Err(refusal) => (refusal.status, refusal.message),
        }
    }

    #[test]
    fn probes_are_parsed_and_bad_ones_refused_with_a_sentence() {
        let probe = parse_probe("target=a.test%3A8443&sni=b.test&client=curl&ca_file=internal")
            .expect("valid");
        assert_eq!(probe.job.target.port, 8443);
        assert_eq!(probe.job.server_name(), &Host::Dns("b.test".into()));
        assert_eq!(probe.ca_file.as_deref(), Some("internal"));
        assert_eq!(
            refusal(""),
            (
                StatusCode::BAD_REQUEST,
                "target is missing; ask for /probe?target=HOST:PORT, e.g. target=example.com:443"
                    .into()
            )
        );
        assert_eq!(
            refusal("target=a.test&target=b.test").1,
            "target is given twice; a probe checks one target"
        );
        assert_eq!(
            refusal("target=a.test&module=x").1,
            "unknown parameter 'module'; /probe takes target, sni, client and ca_file"
        );
        assert!(
            refusal("target=a.test:99999")
                .1
                .starts_with("invalid target 'a.test:99999'")
        );
        assert!(
            refusal("target=a.test&client=lynx")
                .1
                .starts_with("client ")
        );
        let (status, message) = refusal(&format!("target={}", "a".repeat(5000)));
        assert_eq!(status, StatusCode::URI_TOO_LONG);
        assert_eq!(
            message,
            "the query string has 5007 bytes; a probe takes at most 2048"
        );
    }
}
