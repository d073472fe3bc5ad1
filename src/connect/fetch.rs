//! Fetch: one bounded HTTP request for what a client that fetches would fetch (the AIA caIssuers
//! certificate of a missing intermediate by `GET`; with `--check-revocation`, an OCSP response by
//! `POST` of an RFC 6960 request, and a CRL by `GET`), directly or through the target's proxy.
//!
//! Every fetch is bounded: [`FETCH_TIMEOUT`] (or `--timeout` when shorter) for the whole exchange,
//! [`MAX_BODY`] bytes of body (reading stops there), plain `http` only (AIA URLs are http by the
//! CA/Browser Forum's rules; `https` would need a trust decision of its own), the host and port of
//! the URL only, and at most [`MAX_REDIRECTS`] redirects, to the same host and port. Whatever
//! happens is a [`FetchRecord`]: a fetch that fails is data, never an error. The body is parsed by
//! the caller (`connect` does not read certificates); the `Content-Type` is recorded, and one that
//! is not a certificate type is said in the detail but does not stop the body from being read.
//!
//! Through a proxy, the request goes to the proxy in absolute form (`GET http://host/path`), as
//! curl and browsers send plain http through a proxy, with the proxy's Basic credentials in
//! `Proxy-Authorization`; the proxy is named in the detail without them.

use std::sync::Mutex;
use std::time::{Duration, Instant};

use http_body_util::{BodyExt, Full};
use hyper::body::Bytes;
use hyper_util::rt::TokioIo;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::{dial, set_phase};
use crate::route::{Family, ProxyUrl};
use crate::target::Host;

/// The most time one fetch may take (connect, request, answer and body), unless `--timeout` is
/// shorter.
pub const FETCH_TIMEOUT: Duration = Duration::from_secs(5);

/// The most body bytes read (1 MiB); a larger body is `too-large`. An intermediate is 1 to 2 KiB.
pub const MAX_BODY: usize = 1024 * 1024;

/// The most redirects followed within one fetch, each to the same host and port.
pub const MAX_REDIRECTS: usize = 3;

/// The `Content-Type`s a certificate is served as (RFC 5280 §4.2.2.1 and RFC 2585 name the first
/// and third; the others are common). No `Content-Type` is accepted too.
pub const CERTIFICATE_TYPES: [&str; 5] = [
    "application/pkix-cert",
    "application/x-x509-ca-cert",
    "application/pkcs7-mime",
    "application/x-pkcs7-certificates",
    "application/octet-stream",
];

/// Why certcheck fetched something (certcheck addition).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum FetchPurpose {
    /// The AIA caIssuers certificate of an issuer the server did not send.
    Aia,
    /// The OCSP response for a certificate of the path, from its AIA OCSP URL
    /// (`--check-revocation`).
    Ocsp,
    /// The CRL of a certificate of the path, from its CRL distribution point
    /// (`--check-revocation`).
    Crl,
}

impl FetchPurpose {
    /// The contract string, e.g. `ocsp`.
    pub fn as_str(self) -> &'static str {
        match self {
            FetchPurpose::Aia => "aia",
            FetchPurpose::Ocsp => "ocsp",
            FetchPurpose::Crl => "crl",
        }
    }

    /// The `Content-Type`s this purpose's answer is served as.
    fn types(self) -> &'static [&'static str] {
        match self {
            FetchPurpose::Aia => &CERTIFICATE_TYPES,
            FetchPurpose::Ocsp => &OCSP_TYPES,
            FetchPurpose::Crl => &CRL_TYPES,
        }
    }

    /// What the answer is, for the sentences about its size and type.
    fn what(self) -> &'static str {
        match self {
            FetchPurpose::Aia => "a certificate",
            FetchPurpose::Ocsp => "an OCSP response",
            FetchPurpose::Crl => "a CRL",
        }
    }
}

/// The `Content-Type` of an OCSP response (RFC 6960 Appendix A.2), and the generic one.
pub const OCSP_TYPES: [&str; 2] = ["application/ocsp-response", "application/octet-stream"];

/// The `Content-Type`s a CRL is served as (RFC 2585 names the first).
pub const CRL_TYPES: [&str; 3] = [
    "application/pkix-crl",
    "application/x-pkcs7-crl",
    "application/octet-stream",
];

/// How a fetch ended (certcheck addition).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum FetchOutcome {
    /// The body was read and holds the certificate looked for.
    Ok,
    /// No whole answer within the bound.
    Timeout,
    /// The body is larger than 1 MiB; reading stopped there.
    TooLarge,
    /// The server answered with a status other than 200 (or a redirect followed).
    HttpStatus,
    /// A redirect to another host, port or scheme, which certcheck does not follow.
    RedirectRefused,
    /// More redirects than certcheck follows.
    TooManyRedirects,
    /// The body is neither a DER or PEM certificate nor a PKCS#7 bundle of certificates.
    NotACertificate,
    /// The body holds certificates, but none is the issuer looked for.
    NotTheIssuer,
    /// The URL, or the certificate it gave, was already seen on this path: not fetched again.
    Loop,
    /// The path was already 4 fetches long: not fetched.
    DepthLimit,
    /// Not an `http` URL (`https`, `ldap`): not fetched.
    UnsupportedScheme,
    /// The URL cannot be parsed.
    BadUrl,
    /// The host could not be resolved or connected to (or the proxy refused).
    ConnectFailed,
    /// The connection broke off, or the answer is not HTTP.
    Io,
}

impl FetchOutcome {
    /// The contract string, e.g. `too-large`.
    pub fn as_str(self) -> &'static str {
        match self {
            FetchOutcome::Ok => "ok",
            FetchOutcome::Timeout => "timeout",
            FetchOutcome::TooLarge => "too-large",
            FetchOutcome::HttpStatus => "http-status",
            FetchOutcome::RedirectRefused => "redirect-refused",
            FetchOutcome::TooManyRedirects => "too-many-redirects",
            FetchOutcome::NotACertificate => "not-a-certificate",
            FetchOutcome::NotTheIssuer => "not-the-issuer",
            FetchOutcome::Loop => "loop",
            FetchOutcome::DepthLimit => "depth-limit",
            FetchOutcome::UnsupportedScheme => "unsupported-scheme",
            FetchOutcome::BadUrl => "bad-url",
            FetchOutcome::ConnectFailed => "connect-failed",
            FetchOutcome::Io => "io",
        }
    }
}

/// What one fetch did, as the report states it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FetchRecord {
    /// The URL as the certificate names it.
    pub url: String,
    /// Why it was fetched.
    pub purpose: FetchPurpose,
    /// How it ended.
    pub outcome: FetchOutcome,
    /// The outcome in words, with the exact values (status line, content type, redirect target,
    /// the proxy without credentials).
    pub detail: String,
    /// The HTTP status of the last answer, if one came.
    pub status: Option<u16>,
    /// The `Content-Type` of the last answer, if it had one.
    pub content_type: Option<String>,
    /// Body bytes read.
    pub bytes: u64,
    /// Time taken, in whole milliseconds.
    pub milliseconds: u64,
    /// The subject of the certificate it gave, once the caller has read the body.
    pub subject: Option<String>,
}

impl FetchRecord {
    /// A URL that was not fetched (a loop, the depth limit, a scheme certcheck does not fetch).
    pub fn not_fetched(
        url: &str,
        purpose: FetchPurpose,
        outcome: FetchOutcome,
        detail: String,
    ) -> FetchRecord {
        FetchRecord {
            url: url.to_string(),
            purpose,
            outcome,
            detail,
            status: None,
            content_type: None,
            bytes: 0,
            milliseconds: 0,
            subject: None,
        }
    }
}

/// One fetch to make.
#[derive(Clone, Debug)]
pub struct FetchRequest {
    /// The URL as the certificate names it.
    pub url: String,
    /// Why.
    pub purpose: FetchPurpose,
    /// The bound on the whole fetch.
    pub timeout: Duration,
    /// The target's proxy, when it was reached through one.
    pub proxy: Option<ProxyUrl>,
    /// `-4`/`-6`.
    pub family: Option<Family>,
    /// A body to `POST` with its `Content-Type` (an OCSP request); `None` is a `GET`.
    pub post: Option<(&'static str, Vec<u8>)>,
}

/// A fetch's record and, when a `200` body was read within the bounds, the body.
#[derive(Clone, Debug)]
pub struct Fetch {
    /// What happened.
    pub record: FetchRecord,
    /// The body of a `200` answer (outcome `ok`).
    pub body: Option<Vec<u8>>,
}

/// Why a step of a fetch stopped, before it is a [`FetchRecord`].
struct Stop {
    outcome: FetchOutcome,
    detail: String,
}

fn stop(outcome: FetchOutcome, detail: impl Into<String>) -> Stop {
    Stop {
        outcome,
        detail: detail.into(),
    }
}

/// What is known of the answer so far, kept outside the bounded future so that a timeout still
/// reports it.
#[derive(Default)]
struct Progress {
    status: Option<u16>,
    content_type: Option<String>,
    bytes: usize,
}

/// Fetches `request.url`, within the bounds; never fails (a failure is the record's outcome).
pub async fn fetch(request: &FetchRequest) -> Fetch {
    let started = Instant::now();
    let progress = Mutex::new(Progress::default());
    let phase = Mutex::new(String::from("starting"));
    let bounded =
        tokio::time::timeout(request.timeout, fetch_inner(request, &progress, &phase)).await;
    let milliseconds = u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX);
    let seen = match progress.lock() {
        Ok(mut guard) => std::mem::take(&mut *guard),
        Err(poisoned) => std::mem::take(&mut *poisoned.into_inner()),
    };
    let via = request
        .proxy
        .as_ref()
        .map(|p| format!(" through the proxy {p}"))
        .unwrap_or_default();
    let (outcome, detail, body) = match bounded {
        Ok(Ok((detail, body))) => (FetchOutcome::Ok, format!("{detail}{via}"), Some(body)),
        Ok(Err(Stop { outcome, detail })) => (outcome, format!("{detail}{via}"), None),
        Err(_) => (
            FetchOutcome::Timeout,
            format!(
                "no whole answer within {} s{via}, while {}",
                seconds(request.timeout),
                phase.lock().map(|p| p.clone()).unwrap_or_default()
            ),
            None,
        ),
    };
    Fetch {
        record: FetchRecord {
            url: request.url.clone(),
            purpose: request.purpose,
            outcome,
            detail,
            status: seen.status,
            content_type: seen.content_type,
            bytes: seen.bytes as u64,
            milliseconds,
            subject: None,
        },
        body,
    }
}

fn note(progress: &Mutex<Progress>, change: impl FnOnce(&mut Progress)) {
    if let Ok(mut p) = progress.lock() {
        change(&mut p);
    }
}

/// The fetch, redirects included; `Ok` is the detail and the body of a `200` answer.
async fn fetch_inner(
    request: &FetchRequest,
    progress: &Mutex<Progress>,
    phase: &Mutex<String>,
) -> Result<(String, Vec<u8>), Stop> {
    let first = url::Url::parse(&request.url)
        .map_err(|e| stop(FetchOutcome::BadUrl, format!("not a URL ({e})")))?;
    if first.scheme() != "http" {
        return Err(stop(
            FetchOutcome::UnsupportedScheme,
            format!(
                "not fetched: certcheck fetches http URLs only (AIA URLs are http), and this one is {}",
                first.scheme()
            ),
        ));
    }
    let origin = endpoint(&first)?;
    let mut url = first;
    let mut redirects = Vec::new();
    loop {
        let answer = get_once(&url, &origin, request, (progress, phase)).await?;
        let Some(location) = answer.location else {
            let trail = if redirects.is_empty() {
                String::new()
            } else {
                format!(" (after redirects to {})", redirects.join(", "))
            };
            return Ok((format!("{}{trail}", answer.described), answer.body));
        };
        let next = url.join(&location).map_err(|e| {
            stop(
                FetchOutcome::Io,
                format!("redirected to '{location}', which is not a URL ({e})"),
            )
        })?;
        let same = next.scheme() == "http"
            && endpoint(&next).is_ok_and(|(host, port, _)| host == origin.0 && port == origin.1);
        if !same {
            return Err(stop(
                FetchOutcome::RedirectRefused,
                format!(
                    "{}, a redirect to {next}: another host, port or scheme, which certcheck does not follow (it follows up to {} redirects on the same host and port)",
                    answer.described, MAX_REDIRECTS
                ),
            ));
        }
        if redirects.len() >= MAX_REDIRECTS {
            return Err(stop(
                FetchOutcome::TooManyRedirects,
                format!(
                    "more than {MAX_REDIRECTS} redirects ({}, then {next})",
                    redirects.join(", ")
                ),
            ));
        }
        redirects.push(next.to_string());
        note(progress, |p| {
            p.status = None;
            p.content_type = None;
            p.bytes = 0;
        });
        url = next;
    }
}

/// The host, port and `Host` header of an http URL.
fn endpoint(url: &url::Url) -> Result<(Host, u16, String), Stop> {
    let host_text = url
        .host_str()
        .ok_or_else(|| stop(FetchOutcome::BadUrl, "the URL has no host"))?;
    let host = Host::parse(host_text)
        .map_err(|e| stop(FetchOutcome::BadUrl, format!("bad host in the URL: {e}")))?;
    let port = url.port_or_known_default().unwrap_or(80);
    let header = match url.port() {
        Some(port) => format!("{host_text}:{port}"),
        None => host_text.to_string(),
    };
    Ok((host, port, header))
}

/// One answer: its status line in words, the redirect it asks for, and the body of a `200`.
struct Answer {
    described: String,
    location: Option<String>,
    body: Vec<u8>,
}

/// One `GET` of `url` on a connection of its own.
async fn get_once(
    url: &url::Url,
    origin: &(Host, u16, String),
    request: &FetchRequest,
    (progress, phase): (&Mutex<Progress>, &Mutex<String>),
) -> Result<Answer, Stop> {
    let (host, port, host_header) = origin;
    let path = &url[url::Position::BeforePath..url::Position::AfterQuery];
    let (dialled, target) = match &request.proxy {
        None => (
            dial::open(host, *port, request.family, phase, "").await,
            path,
        ),
        Some(proxy) => (
            dial::open(
                proxy.host(),
                proxy.port(),
                request.family,
                phase,
                "the proxy ",
            )
            .await,
            url.as_str(),
        ),
    };
    let (stream, _) = dialled.map_err(|e| stop(FetchOutcome::ConnectFailed, e.to_string()))?;
    let method = if request.post.is_some() {
        hyper::Method::POST
    } else {
        hyper::Method::GET
    };
    set_phase(phase, format!("waiting for the answer to {method} {url}"));
    let (mut sender, connection) =
        hyper::client::conn::http1::handshake::<_, Full<Bytes>>(TokioIo::new(stream))
            .await
            .map_err(|e| stop(FetchOutcome::Io, format!("HTTP: {e}")))?;
    let mut builder = hyper::Request::builder()
        .method(method)
        .uri(target)
        .header(hyper::header::HOST, host_header.as_str())
        .header(
            hyper::header::USER_AGENT,
            concat!("certcheck/", env!("CARGO_PKG_VERSION")),
        )
        .header(hyper::header::CONNECTION, "close");
    if let Some(authorization) = request.proxy.as_ref().and_then(|p| p.basic_authorization()) {
        builder = builder.header(hyper::header::PROXY_AUTHORIZATION, authorization);
    }
    let body = match &request.post {
        Some((kind, body)) => {
            builder = builder.header(hyper::header::CONTENT_TYPE, *kind);
            Bytes::from(body.clone())
        }
        None => Bytes::new(),
    };
    let http_request = builder
        .body(Full::new(body))
        .map_err(|e| stop(FetchOutcome::BadUrl, format!("cannot request it ({e})")))?;
    let exchange = async {
        let response = sender
            .send_request(http_request)
            .await
            .map_err(|e| stop(FetchOutcome::Io, format!("no HTTP answer ({e})")))?;
        read_answer(response, request.purpose, progress, phase).await
    };
    // The connection is driven beside the exchange; once it ends, the exchange still drains what
    // it had buffered (or sees why it ended).
    tokio::pin!(exchange);
    tokio::pin!(connection);
    tokio::select! {
        biased;
        answer = &mut exchange => answer,
        _ = &mut connection => exchange.await,
    }
}

/// Reads the status, the headers and (for a `200`) the body, up to [`MAX_BODY`].
async fn read_answer(
    response: hyper::Response<hyper::body::Incoming>,
    purpose: FetchPurpose,
    progress: &Mutex<Progress>,
    phase: &Mutex<String>,
) -> Result<Answer, Stop> {
    let status = response.status();
    let header = |name: hyper::header::HeaderName| {
        response
            .headers()
            .get(name)
            .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned())
    };
    let content_type = header(hyper::header::CONTENT_TYPE);
    let location = header(hyper::header::LOCATION);
    let length = header(hyper::header::CONTENT_LENGTH).and_then(|l| l.trim().parse::<u64>().ok());
    note(progress, |p| {
        p.status = Some(status.as_u16());
        p.content_type = content_type.clone();
    });
    set_phase(
        phase,
        format!("reading the body of the {} answer", status.as_u16()),
    );
    let status_line = format!(
        "{} {}",
        status.as_u16(),
        status.canonical_reason().unwrap_or("")
    )
    .trim_end()
    .to_string();
    if let Some(location) = location.filter(|_| status.is_redirection()) {
        return Ok(Answer {
            described: format!("the server answered {status_line}"),
            location: Some(location),
            body: Vec::new(),
        });
    }
    if status != hyper::StatusCode::OK {
        return Err(stop(
            FetchOutcome::HttpStatus,
            format!("the server answered {status_line}"),
        ));
    }
    if let Some(length) = length.filter(|l| *l > MAX_BODY as u64) {
        return Err(stop(
            FetchOutcome::TooLarge,
            format!(
                "the server announced {length} bytes (Content-Length), more than the {MAX_BODY} certcheck reads"
            ),
        ));
    }
    let mut body = Vec::new();
    let mut incoming = response.into_body();
    while let Some(frame) = incoming.frame().await {
        let frame = frame.map_err(|e| {
            stop(
                FetchOutcome::Io,
                format!("the body broke off after {} bytes ({e})", body.len()),
            )
        })?;
        let Ok(data) = frame.into_data() else {
            continue;
        };
        if body.len() + data.len() > MAX_BODY {
            let read = body.len() + data.len();
            note(progress, |p| p.bytes = read);
            return Err(stop(
                FetchOutcome::TooLarge,
                format!(
                    "the body is more than {MAX_BODY} bytes (reading stopped after {read}){}",
                    match purpose {
                        FetchPurpose::Aia => ", and an intermediate is 1 to 2 KiB",
                        _ => "",
                    }
                ),
            ));
        }
        body.extend_from_slice(&data);
        let read = body.len();
        note(progress, |p| p.bytes = read);
        set_phase(phase, format!("reading the body ({read} bytes so far)"));
    }
    let served = match content_type.as_deref() {
        None => "with no Content-Type".to_string(),
        Some(kind) if has_type(purpose.types(), kind) => format!("as {kind}"),
        Some(kind) => format!(
            "as {kind}, which is not {} type ({}); read by its content",
            purpose.what(),
            purpose.types().join(", ")
        ),
    };
    Ok(Answer {
        described: format!("{status_line}, {} bytes served {served}", body.len()),
        location: None,
        body,
    })
}

/// `d` in seconds to a tenth, as messages write a bound (`5`, `1.5`).
fn seconds(d: Duration) -> String {
    let tenths = (d.as_millis() + 50) / 100;
    match tenths % 10 {
        0 => format!("{}", tenths / 10),
        tenth => format!("{}.{tenth}", tenths / 10),
    }
}

/// Whether a `Content-Type` (parameters aside) is one a certificate is served as.
pub fn accepted_type(content_type: &str) -> bool {
    has_type(&CERTIFICATE_TYPES, content_type)
}

/// Whether a `Content-Type` (parameters aside) is one of `types`.
fn has_type(types: &[&str], content_type: &str) -> bool {
    let kind = content_type.split(';').next().unwrap_or("").trim();
    types.iter().any(|t| t.eq_ignore_ascii_case(kind))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bounds_are_written_to_a_tenth_of_a_second() {
        assert_eq!(seconds(Duration::from_secs(5)), "5");
        assert_eq!(seconds(Duration::from_micros(999_994)), "1");
        assert_eq!(seconds(Duration::from_millis(1500)), "1.5");
    }

    #[test]
    fn certificate_types_are_recognised_with_parameters_and_any_case() {
        assert!(accepted_type("application/pkix-cert"));
        assert!(accepted_type(
            "Application/PKCS7-MIME; smime-type=certs-only"
        ));
        assert!(!accepted_type("text/html; charset=utf-8"));
    }

    #[test]
    fn outcomes_serialize_as_their_contract_strings() {
        for outcome in [
            FetchOutcome::Ok,
            FetchOutcome::TooLarge,
            FetchOutcome::RedirectRefused,
            FetchOutcome::NotACertificate,
            FetchOutcome::DepthLimit,
        ] {
            assert_eq!(
                serde_json::to_value(outcome).ok(),
                Some(serde_json::Value::String(outcome.as_str().into()))
            );
        }
    }
}
