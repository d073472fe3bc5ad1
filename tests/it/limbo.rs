//! x509-limbo conformance runner.
//!
//! Runs every `SERVER` test case of the x509-limbo suite (`../shared/suites/limbo.json.gz`,
//! relative to the repository root) through the same library pipeline as `certcheck inspect`:
//! the peer certificate is the presented chain, `untrusted_intermediates` is the `--untrusted`
//! pool, `trusted_certs` is the only (custom) trust store, `expected_peer_name` is `--host` and
//! `validation_time` is `--at`. certcheck "trusts" a case when the result's status is not `error`.
//!
//! The verdicts are compared with limbo's `expected_result`; disagreements listed in
//! `webpki-limbo-exceptions.json` (the cases where rustls-webpki knowingly differs from limbo)
//! count as expected divergences. The test also checks that every rejection carries an
//! error-severity finding and every acceptance none, and reports how well the finding codes of
//! rejected hand-written cases fit their family (reported, not asserted).
//!
//! The test fails on panics, on unexplained disagreements (above all "trusted but limbo expects
//! FAILURE") and on consistency violations. When the suite file is absent it is skipped and passes.
//!
//! Run it, with the report printed:
//!
//! ```text
//! cargo test --test it limbo:: -- --nocapture
//! ```

use std::cell::{Cell, RefCell};
use std::collections::{BTreeMap, HashMap};
use std::fmt::Write as _;
use std::fs::File;
use std::io::BufReader;
use std::net::IpAddr;
use std::panic::{self, AssertUnwindSafe};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use certcheck::chain::parse_chain;
use certcheck::config::Settings;
use certcheck::diagnose::{FindingCode as C, Severity};
use certcheck::evaluate::{Evidence, Pool, Stores, evaluate};
use certcheck::report::{Origin, Status, TargetReport};
use certcheck::target::Host;
use certcheck::trust::{StoreKind, TrustStore};
use flate2::read::GzDecoder;
use serde::Deserialize;
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

/// Codes that explain a failure to build a path to a trust anchor.
const NO_PATH: &[C] = &[
    C::UnknownIssuer,
    C::UntrustedRoot,
    C::SelfSigned,
    C::IncompleteChain,
];

/// Hand-written case families (id prefixes) and the finding codes that correctly explain a
/// rejection in them; the longest matching prefix wins. Families that only hold cases limbo
/// expects to succeed (`online::`, `cve::cve-2024-0567`) are absent on purpose.
const FAMILIES: &[(&str, &[C])] = &[
    ("crl::", &[C::Revoked]),
    ("cve::cve-2025-61727", &[C::NameConstraintViolation]),
    // The issuer's public key cannot be decoded, so no signature made by it verifies.
    (
        "invalid::invalid-issuer-key",
        &[C::BadSignature, C::WeakKey, C::MalformedCertificate],
    ),
    ("pathlen::", &[C::PathLengthExceeded]),
    // No trusted root is reachable: the path builder goes round a cycle or up a 100-deep chain
    // that ends in an untrusted self-signed CA.
    ("pathological::", NO_PATH),
    // Thousands of constraints against thousands of names: limbo expects a resource limit.
    (
        "pathological::nc-dos-",
        &[C::NameConstraintViolation, C::VerificationFailed],
    ),
    // This leaf's names are all in its subject and it has no subjectAltName, so the name check
    // fails before any constraint is looked at.
    (
        "pathological::nc-dos-3",
        &[
            C::NameConstraintViolation,
            C::VerificationFailed,
            C::HostnameMismatch,
        ],
    ),
    (
        "rfc5280::aki::",
        &[C::MalformedCertificate, C::UnknownIssuer],
    ),
    ("rfc5280::eku::", &[C::InvalidPurpose]),
    ("rfc5280::nc::", &[C::NameConstraintViolation]),
    // A malformed constraint in the issuer, or a malformed name in the leaf.
    (
        "rfc5280::nc::invalid-",
        &[C::NameConstraintViolation, C::MalformedCertificate],
    ),
    (
        "rfc5280::nc::nc-permits-invalid-",
        &[C::NameConstraintViolation, C::MalformedCertificate],
    ),
    (
        "rfc5280::nc::not-allowed-in-ee-",
        &[C::MalformedCertificate],
    ),
    (
        "rfc5280::pc::",
        &[C::MalformedCertificate, C::UnsupportedCriticalExtension],
    ),
    (
        "rfc5280::san::",
        &[C::MalformedCertificate, C::HostnameMismatch],
    ),
    ("rfc5280::serial::", &[C::MalformedCertificate]),
    // A saved CA certificate whose only trust anchor is itself: its issuer is provided nowhere,
    // so no path exists whatever the serial number.
    (
        "rfc5280::serial::negative",
        &[
            C::MalformedCertificate,
            C::UnknownIssuer,
            C::UntrustedRoot,
            C::SelfSigned,
            C::IncompleteChain,
        ],
    ),
    ("rfc5280::ski::", &[C::MalformedCertificate]),
    ("rfc5280::validity::", &[C::Expired, C::NotYetValid]),
    (
        "rfc5280::unknown-critical-extension-",
        &[C::UnsupportedCriticalExtension],
    ),
    (
        "rfc5280::ee-critical-aia-invalid",
        &[C::UnsupportedCriticalExtension],
    ),
    ("rfc5280::chain-untrusted-root", NO_PATH),
    ("rfc5280::intermediate-ca-", &[C::NotACa]),
    // As compiled in this suite, these two cases omit the intermediate from
    // untrusted_intermediates, so the leaf's issuer is genuinely missing.
    (
        "rfc5280::intermediate-ca-missing-basic-constraints",
        &[
            C::NotACa,
            C::UnknownIssuer,
            C::UntrustedRoot,
            C::SelfSigned,
            C::IncompleteChain,
        ],
    ),
    (
        "rfc5280::ica-ku-keycertsign",
        &[
            C::NotACa,
            C::UnknownIssuer,
            C::UntrustedRoot,
            C::SelfSigned,
            C::IncompleteChain,
        ],
    ),
    ("rfc5280::root-", &[C::NotACa, C::MalformedCertificate]),
    ("rfc5280::ca-empty-subject", &[C::MalformedCertificate]),
    (
        "rfc5280::leaf-ku-keycertsign",
        &[C::InvalidPurpose, C::MalformedCertificate],
    ),
    // The leaf's issuer name is empty, so it names no CA at all.
    (
        "rfc5280::ee-empty-issuer",
        &[C::MalformedCertificate, C::UnknownIssuer],
    ),
    ("rfc5280::duplicate-extensions", &[C::MalformedCertificate]),
    (
        "rfc5280::mismatching-signature-algorithm",
        &[C::MalformedCertificate, C::BadSignature],
    ),
    // A CA certificate as the leaf, for a name it does not cover.
    (
        "rfc5280::ca-as-leaf-wrong-san",
        &[C::HostnameMismatch, C::InvalidPurpose],
    ),
    ("webpki::aki::", &[C::MalformedCertificate]),
    ("webpki::cn::", &[C::HostnameMismatch]),
    ("webpki::eku::", &[C::InvalidPurpose]),
    (
        "webpki::nc::",
        &[C::NameConstraintViolation, C::MalformedCertificate],
    ),
    ("webpki::san::", &[C::HostnameMismatch]),
    // Critical SAN with a subject present is an encoding rule, not a name mismatch.
    ("webpki::san::san-critical-", &[C::MalformedCertificate]),
    ("webpki::malformed-aia", &[C::MalformedCertificate]),
    // Explicit curve parameters: the key is unusable, so signatures by it cannot be checked.
    (
        "webpki::explicit-curve",
        &[
            C::WeakKey,
            C::MalformedCertificate,
            C::WeakSignatureAlgorithm,
        ],
    ),
    // P-192, DSA, RSA-1024 and RSA sizes not divisible by 8: a forbidden key, and for roots the
    // signature algorithm it implies.
    (
        "webpki::forbidden-",
        &[C::WeakKey, C::WeakSignatureAlgorithm],
    ),
    ("webpki::v1-cert", &[C::MalformedCertificate]),
    // A CA certificate (cA=TRUE) used as the leaf.
    ("webpki::ee-basicconstraints-ca", &[C::InvalidPurpose]),
    ("webpki::ca-as-leaf", &[C::InvalidPurpose]),
];

/// The family table entry for `id`: the longest prefix that matches.
fn family(id: &str) -> Option<(&'static str, &'static [C])> {
    FAMILIES
        .iter()
        .filter(|(prefix, _)| id.starts_with(prefix))
        .max_by_key(|(prefix, _)| prefix.len())
        .map(|(prefix, codes)| (*prefix, *codes))
}

/// `limbo.json`: only the fields the runner uses.
#[derive(Deserialize)]
struct Suite {
    testcases: Vec<Case>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "UPPERCASE")]
enum Expected {
    Success,
    Failure,
}

impl Expected {
    fn of(trusted: bool) -> Expected {
        if trusted {
            Expected::Success
        } else {
            Expected::Failure
        }
    }
}

#[derive(Deserialize)]
struct PeerName {
    kind: String,
    value: String,
}

#[derive(Deserialize)]
struct Case {
    id: String,
    description: String,
    validation_kind: String,
    trusted_certs: Vec<String>,
    untrusted_intermediates: Vec<String>,
    peer_certificate: String,
    validation_time: Option<String>,
    signature_algorithms: Vec<serde_json::Value>,
    key_usage: Vec<serde_json::Value>,
    extended_key_usage: Vec<String>,
    expected_result: Expected,
    expected_peer_name: Option<PeerName>,
    max_chain_depth: Option<u64>,
    #[serde(default)]
    crls: Vec<String>,
}

/// One entry of `webpki-limbo-exceptions.json`.
#[derive(Deserialize)]
struct Exception {
    expected: Expected,
    actual: Expected,
    reason: String,
}

/// Why a case is not run, or `None` to run it.
fn skip_reason(case: &Case) -> Option<String> {
    if case.validation_kind != "SERVER" {
        return Some(format!("validation_kind {}", case.validation_kind));
    }
    if !case.signature_algorithms.is_empty() {
        return Some("signature_algorithms set".into());
    }
    if !case.key_usage.is_empty() {
        return Some("key_usage set".into());
    }
    if case.max_chain_depth.is_some() {
        return Some("max_chain_depth set".into());
    }
    // certcheck takes no CRLs (it fetches nothing; revocation comes from a stapled OCSP response).
    if !case.crls.is_empty() {
        return Some("crls given (certcheck takes no CRL input)".into());
    }
    // certcheck always verifies for serverAuth; any other required EKU is an option it lacks.
    if !case.extended_key_usage.is_empty() && case.extended_key_usage != ["serverAuth"] {
        return Some(format!(
            "extended_key_usage {:?} (not just serverAuth)",
            case.extended_key_usage
        ));
    }
    None
}

/// The inputs of one case, decoded from the suite before certcheck sees them.
struct Inputs {
    peer: Vec<u8>,
    intermediates: Vec<Vec<u8>>,
    trusted: Vec<Vec<u8>>,
    name: Option<Host>,
    now: OffsetDateTime,
}

/// Suite set-up: a case whose PEM, name or time cannot be decoded is a broken suite file and
/// fails the test loudly.
fn decode_inputs(case: &Case, clock: OffsetDateTime) -> Inputs {
    let der = |pem_text: &str, what: &str| -> Vec<u8> {
        pem::parse(pem_text)
            .unwrap_or_else(|e| panic!("limbo case {}: {what} is not PEM: {e}", case.id))
            .contents()
            .to_vec()
    };
    let name = case
        .expected_peer_name
        .as_ref()
        .and_then(|n| match n.kind.as_str() {
            // As `--host` would take it (lower case, punycode); a value that is not a valid
            // host name is passed through unchanged.
            "DNS" => Some(match Host::parse(&n.value) {
                Ok(Host::Dns(name)) => Host::Dns(name),
                _ => Host::Dns(n.value.clone()),
            }),
            "IP" => Some(Host::Ip(n.value.parse::<IpAddr>().unwrap_or_else(|e| {
                panic!(
                    "limbo case {}: bad IP peer name {:?}: {e}",
                    case.id, n.value
                )
            }))),
            _ => None,
        });
    // As `--at` does: UTC, whole seconds.
    let now = match &case.validation_time {
        Some(text) => certcheck::config::validation_instant(
            OffsetDateTime::parse(text, &Rfc3339).unwrap_or_else(|e| {
                panic!("limbo case {}: bad validation_time {text:?}: {e}", case.id)
            }),
        ),
        None => clock,
    };
    Inputs {
        peer: der(&case.peer_certificate, "peer_certificate"),
        intermediates: case
            .untrusted_intermediates
            .iter()
            .map(|p| der(p, "an untrusted intermediate"))
            .collect(),
        trusted: case
            .trusted_certs
            .iter()
            .map(|p| der(p, "a trusted certificate"))
            .collect(),
        name,
        now,
    }
}

/// What certcheck made of one case.
struct Run {
    report: TargetReport,
    /// Untrusted intermediates x509-parser could not parse (left out of the pool).
    unparsable_pool: usize,
}

/// The `inspect` pipeline for one case.
fn run_case(inputs: &Inputs) -> Run {
    let chain = parse_chain(std::slice::from_ref(&inputs.peer));
    let pool = Pool::from_ders(inputs.intermediates.iter().cloned());
    let unparsable_pool = inputs.intermediates.len() - pool.infos.len();
    let store = TrustStore::from_ders(
        StoreKind::Custom,
        "limbo trusted_certs".into(),
        inputs
            .trusted
            .iter()
            .enumerate()
            .map(|(i, d)| (d.clone(), format!("trusted_certs[{i}]")))
            .collect(),
    );
    let settings = Settings {
        now: inputs.now,
        warn_days: 0,
        fail_days: None,
        timeout: Duration::from_secs(10),
        concurrency: 1,
        deciding: certcheck::clients::Selection::ALL,
        client_identity: None,
        fetch: false,
        check_revocation: false,
    };
    let evidence = Evidence::new(Origin::file("limbo", inputs.name.as_ref()), &chain)
        .with_name(inputs.name.as_ref())
        .with_pool(&pool);
    let report = evaluate(
        &evidence,
        &Stores::without_clients(vec![store]),
        &settings.policy(),
    );
    Run {
        report,
        unparsable_pool,
    }
}

/// A finding as listed in the report.
struct Seen {
    code: C,
    severity: Severity,
    message: String,
}

/// One case that ran to completion.
struct Outcome {
    id: String,
    description: String,
    expected: Expected,
    trusted: bool,
    connection_error: Option<String>,
    findings: Vec<Seen>,
}

impl Outcome {
    fn error_codes(&self) -> Vec<C> {
        let mut codes: Vec<C> = self
            .findings
            .iter()
            .filter(|f| f.severity == Severity::Error)
            .map(|f| f.code)
            .collect();
        codes.sort_unstable();
        codes.dedup();
        codes
    }

    fn codes_text(&self) -> String {
        let codes: Vec<&str> = self.error_codes().iter().map(|c| c.as_str()).collect();
        if codes.is_empty() {
            "(no error finding)".into()
        } else {
            codes.join(", ")
        }
    }

    /// The case, what limbo says about it, and every finding certcheck gave.
    fn details(&self) -> String {
        let summary = shorten(&self.description, 240);
        let mut out = format!(
            "  {} (limbo expects {:?}, certcheck {})\n      limbo: {summary}\n",
            self.id,
            self.expected,
            if self.trusted { "trusts" } else { "rejects" }
        );
        if let Some(err) = &self.connection_error {
            let _ = writeln!(out, "      connection_error: {err}");
        }
        if self.findings.is_empty() {
            out.push_str("      (no findings)\n");
        }
        for f in &self.findings {
            let _ = writeln!(
                out,
                "      {} [{:?}] {}",
                f.code,
                f.severity,
                shorten(&f.message, 400)
            );
        }
        out
    }
}

/// `text` on one line, cut to at most `max` characters.
fn shorten(text: &str, max: usize) -> String {
    let line = text.split_whitespace().collect::<Vec<_>>().join(" ");
    if line.chars().count() <= max {
        return line;
    }
    let mut cut: String = line.chars().take(max).collect();
    cut.push_str(" [...]");
    cut
}

thread_local! {
    /// Whether this thread is running a case, so that a panic is recorded instead of printed.
    static IN_CASE: Cell<bool> = const { Cell::new(false) };
    /// The panic message and location of the last panic recorded on this thread.
    static LAST_PANIC: RefCell<Option<String>> = const { RefCell::new(None) };
}

/// Records panics raised inside a case (message and location) for the report; any other panic
/// goes to the previous hook as usual.
fn install_panic_recorder() {
    let previous = panic::take_hook();
    panic::set_hook(Box::new(move |info| {
        if IN_CASE.with(Cell::get) {
            LAST_PANIC.with(|p| *p.borrow_mut() = Some(info.to_string()));
        } else {
            previous(info);
        }
    }));
}

fn suite_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/suites")
}

fn load_suite(path: &Path) -> Suite {
    let file = File::open(path).unwrap_or_else(|e| panic!("opening {}: {e}", path.display()));
    serde_json::from_reader(BufReader::new(GzDecoder::new(BufReader::new(file))))
        .unwrap_or_else(|e| panic!("{} is not a limbo suite: {e}", path.display()))
}

fn load_exceptions(path: &Path) -> BTreeMap<String, Exception> {
    match std::fs::read(path) {
        Ok(bytes) => serde_json::from_slice(&bytes)
            .unwrap_or_else(|e| panic!("{} is malformed: {e}", path.display())),
        Err(e) => {
            println!(
                "limbo: no exceptions file ({}: {e}); every disagreement is unexplained",
                path.display()
            );
            BTreeMap::new()
        }
    }
}

fn percent(part: usize, whole: usize) -> f64 {
    if whole == 0 {
        100.0
    } else {
        part as f64 * 100.0 / whole as f64
    }
}

#[test]
fn limbo_conformance() {
    let started = Instant::now();
    let dir = suite_dir();
    let suite_path = dir.join("limbo.json.gz");
    if !suite_path.exists() {
        println!(
            "limbo: {} not found; conformance run skipped",
            suite_path.display()
        );
        return;
    }
    let suite = load_suite(&suite_path);
    let exceptions = load_exceptions(&dir.join("webpki-limbo-exceptions.json"));
    let clock = OffsetDateTime::now_utc();
    let load_time = started.elapsed();

    let mut skipped: BTreeMap<String, usize> = BTreeMap::new();
    let mut outcomes: Vec<Outcome> = Vec::new();
    let mut panics: Vec<(String, String)> = Vec::new();
    let mut slowest: Vec<(Duration, String)> = Vec::new();
    let mut unparsable_pool_cases = 0usize;

    install_panic_recorder();
    let run_started = Instant::now();
    for case in &suite.testcases {
        if let Some(reason) = skip_reason(case) {
            *skipped.entry(reason).or_default() += 1;
            continue;
        }
        let inputs = decode_inputs(case, clock);
        let case_started = Instant::now();
        IN_CASE.with(|c| c.set(true));
        let result = panic::catch_unwind(AssertUnwindSafe(|| run_case(&inputs)));
        IN_CASE.with(|c| c.set(false));
        slowest.push((case_started.elapsed(), case.id.clone()));
        match result {
            Ok(run) => {
                if run.unparsable_pool > 0 {
                    unparsable_pool_cases += 1;
                }
                outcomes.push(Outcome {
                    id: case.id.clone(),
                    description: case.description.clone(),
                    expected: case.expected_result,
                    trusted: run.report.status != Status::Error,
                    connection_error: run
                        .report
                        .connection_error
                        .map(|e| format!("{}: {}", e.code, e.message)),
                    findings: run
                        .report
                        .findings
                        .into_iter()
                        .map(|f| Seen {
                            code: f.code,
                            severity: f.severity,
                            message: f.message,
                        })
                        .collect(),
                });
            }
            Err(_) => {
                let message = LAST_PANIC
                    .with(|p| p.borrow_mut().take())
                    .unwrap_or_else(|| "(no panic message)".into());
                panics.push((case.id.clone(), message));
            }
        }
    }
    let run_time = run_started.elapsed();
    slowest.sort_by_key(|s| std::cmp::Reverse(s.0));
    slowest.truncate(5);

    // Verdicts.
    let mut agree = 0usize;
    let mut divergences: Vec<&Outcome> = Vec::new();
    let mut stale_exceptions: Vec<&Outcome> = Vec::new();
    let mut trusted_but_failure: Vec<&Outcome> = Vec::new();
    let mut rejected_but_success: Vec<&Outcome> = Vec::new();
    for outcome in &outcomes {
        let actual = Expected::of(outcome.trusted);
        let exception = exceptions.get(&outcome.id);
        if actual == outcome.expected {
            agree += 1;
            if exception.is_some() {
                stale_exceptions.push(outcome);
            }
        } else if exception.is_some_and(|e| e.actual == actual) {
            divergences.push(outcome);
        } else if outcome.trusted {
            trusted_but_failure.push(outcome);
        } else {
            rejected_but_success.push(outcome);
        }
    }
    let ran: std::collections::HashSet<&str> = outcomes.iter().map(|o| o.id.as_str()).collect();
    let exceptions_not_run = exceptions
        .keys()
        .filter(|id| !ran.contains(id.as_str()))
        .count();

    // Consistency: a rejection has an error finding, an acceptance none.
    let inconsistent: Vec<&Outcome> = outcomes
        .iter()
        .filter(|o| o.trusted != o.error_codes().is_empty())
        .collect();

    // Code fit of hand-written rejections limbo also expects to fail.
    let mut fits = 0usize;
    let mut misfits: Vec<(&Outcome, &str)> = Vec::new();
    let mut unclassified: Vec<&Outcome> = Vec::new();
    let mut bettertls_codes: BTreeMap<String, usize> = BTreeMap::new();
    for outcome in outcomes
        .iter()
        .filter(|o| !o.trusted && o.expected == Expected::Failure)
    {
        if outcome.id.starts_with("bettertls::") {
            let family = outcome.id.rsplit_once("::").map_or("", |(f, _)| f);
            *bettertls_codes
                .entry(format!("{family}: {}", outcome.codes_text()))
                .or_default() += 1;
            continue;
        }
        match family(&outcome.id) {
            Some((prefix, codes)) => {
                if outcome.error_codes().iter().any(|c| codes.contains(c)) {
                    fits += 1;
                } else {
                    misfits.push((outcome, prefix));
                }
            }
            None => unclassified.push(outcome),
        }
    }

    // The report.
    let total = suite.testcases.len();
    let skipped_total: usize = skipped.values().sum();
    let mut r = String::new();
    let _ = writeln!(
        r,
        "\n===== x509-limbo conformance ({}) =====",
        suite_path.display()
    );
    let _ = writeln!(
        r,
        "cases: {total}; run: {}; skipped: {skipped_total}; panics: {}",
        outcomes.len() + panics.len(),
        panics.len()
    );
    for (reason, n) in &skipped {
        let _ = writeln!(r, "  skipped {n}: {reason}");
    }
    if !skipped.keys().any(|k| k.starts_with("extended_key_usage")) {
        let _ = writeln!(
            r,
            "  skipped 0: extended_key_usage other than serverAuth (no SERVER case asks for one)"
        );
    }
    let _ = writeln!(
        r,
        "agree: {agree} ({:.2} %)",
        percent(agree, outcomes.len())
    );
    let _ = writeln!(
        r,
        "expected divergences (webpki-limbo-exceptions.json): {}",
        divergences.len()
    );
    for o in &divergences {
        let reason = exceptions.get(&o.id).map_or("", |e| e.reason.as_str());
        let _ = writeln!(r, "  {} (certcheck: {}): {reason}", o.id, o.codes_text());
    }
    let _ = writeln!(
        r,
        "exceptions where certcheck agrees with limbo after all (its own checks go beyond webpki): {}",
        stale_exceptions.len()
    );
    for o in &stale_exceptions {
        let _ = writeln!(r, "  {} (certcheck: {})", o.id, o.codes_text());
    }
    let mismatched_exceptions: Vec<&str> = outcomes
        .iter()
        .filter(|o| {
            exceptions
                .get(&o.id)
                .is_some_and(|e| e.expected != o.expected)
        })
        .map(|o| o.id.as_str())
        .collect();
    if !mismatched_exceptions.is_empty() {
        let _ = writeln!(
            r,
            "exceptions whose 'expected' differs from the suite: {mismatched_exceptions:?}"
        );
    }
    let _ = writeln!(
        r,
        "exceptions for cases not run (absent from the suite or skipped): {exceptions_not_run}"
    );
    let _ = writeln!(
        r,
        "unexplained disagreements: {}",
        trusted_but_failure.len() + rejected_but_success.len()
    );
    let mut by_codes: BTreeMap<String, usize> = BTreeMap::new();
    for o in trusted_but_failure.iter().chain(&rejected_but_success) {
        let family = o.id.rsplit_once("::").map_or("", |(f, _)| f);
        *by_codes
            .entry(format!(
                "{} {family}:: with error codes: {}",
                if o.trusted { "trusted" } else { "rejected" },
                o.codes_text()
            ))
            .or_default() += 1;
    }
    for (key, n) in &by_codes {
        let _ = writeln!(r, "  {n:5}  {key}");
    }
    let _ = writeln!(
        r,
        "  certcheck says trusted but limbo expects FAILURE: {}",
        trusted_but_failure.len()
    );
    for o in &trusted_but_failure {
        r.push_str(&o.details());
    }
    let _ = writeln!(
        r,
        "  certcheck rejects but limbo expects SUCCESS: {}",
        rejected_but_success.len()
    );
    for o in &rejected_but_success {
        r.push_str(&o.details());
    }
    // A rejection whose only error is incomplete-chain is about how the chain was presented
    // (the pool completed it), not a defect limbo tests for: such agreements may hide one.
    let only_incomplete: Vec<&Outcome> = outcomes
        .iter()
        .filter(|o| {
            !o.trusted && o.expected == Expected::Failure && o.error_codes() == [C::IncompleteChain]
        })
        .collect();
    let _ = writeln!(
        r,
        "agreements on FAILURE whose only error finding is incomplete-chain (the real defect may be unreported): {}",
        only_incomplete.len()
    );
    for o in only_incomplete
        .iter()
        .filter(|o| !o.id.starts_with("bettertls::"))
    {
        let _ = writeln!(r, "  {}", o.id);
    }
    let _ = writeln!(r, "panics: {}", panics.len());
    for (id, message) in &panics {
        let _ = writeln!(r, "  {id}: {message}");
    }
    let _ = writeln!(
        r,
        "consistency violations (rejected without an error finding, or trusted with one): {}",
        inconsistent.len()
    );
    for o in &inconsistent {
        r.push_str(&o.details());
    }
    let _ = writeln!(
        r,
        "code fit (hand-written cases rejected as limbo expects): {fits}/{} = {:.1} % (target >= 99 %)",
        fits + misfits.len(),
        percent(fits, fits + misfits.len())
    );
    for (o, prefix) in &misfits {
        let wanted: Vec<&str> = family(&o.id)
            .map(|(_, codes)| codes.iter().map(|c| c.as_str()).collect())
            .unwrap_or_default();
        let _ = writeln!(
            r,
            "  misfit (family {prefix} wants {}), certcheck gave {}:",
            wanted.join("|"),
            o.codes_text()
        );
        r.push_str(&o.details());
    }
    let _ = writeln!(
        r,
        "  unclassified (no family in the table): {}",
        unclassified.len()
    );
    for o in &unclassified {
        let _ = writeln!(r, "  unclassified {}: {}", o.id, o.codes_text());
    }
    let _ = writeln!(r, "  bettertls rejections by error codes (informational):");
    for (key, n) in &bettertls_codes {
        let _ = writeln!(r, "    {n:5}  {key}");
    }
    if unparsable_pool_cases > 0 {
        let _ = writeln!(
            r,
            "cases with untrusted intermediates x509-parser could not parse (left out of the pool): {unparsable_pool_cases}"
        );
    }
    let _ = writeln!(r, "slowest cases:");
    for (elapsed, id) in &slowest {
        let _ = writeln!(r, "  {:8.1} ms  {id}", elapsed.as_secs_f64() * 1000.0);
    }
    let _ = writeln!(
        r,
        "time: {:.1} s total ({:.1} s loading the suite, {:.1} s running cases)",
        started.elapsed().as_secs_f64(),
        load_time.as_secs_f64(),
        run_time.as_secs_f64()
    );
    println!("{r}");

    let mut failures: Vec<String> = Vec::new();
    if !panics.is_empty() {
        failures.push(format!("{} cases panicked", panics.len()));
    }
    if !trusted_but_failure.is_empty() {
        failures.push(format!(
            "{} cases trusted although limbo expects FAILURE (not in the exceptions file)",
            trusted_but_failure.len()
        ));
    }
    if !rejected_but_success.is_empty() {
        failures.push(format!(
            "{} cases rejected although limbo expects SUCCESS (not in the exceptions file)",
            rejected_but_success.len()
        ));
    }
    if !inconsistent.is_empty() {
        failures.push(format!(
            "{} cases whose verdict and error findings disagree",
            inconsistent.len()
        ));
    }
    assert!(
        failures.is_empty(),
        "limbo conformance: {} (run with -- --nocapture for the report)",
        failures.join("; ")
    );
}

/// Keeps the family table honest: no prefix is listed twice or without codes, and the longest
/// prefix wins.
#[test]
fn family_table_has_no_duplicates() {
    let mut seen: HashMap<&str, usize> = HashMap::new();
    for (prefix, codes) in FAMILIES {
        *seen.entry(prefix).or_default() += 1;
        assert!(!codes.is_empty(), "family {prefix} lists no code");
        assert!(prefix.contains("::"), "family {prefix} is not an id prefix");
    }
    let twice: Vec<&&str> = seen
        .iter()
        .filter(|(_, n)| **n > 1)
        .map(|(p, _)| p)
        .collect();
    assert!(twice.is_empty(), "families listed twice: {twice:?}");
    assert_eq!(
        family("rfc5280::nc::invalid-ipv4-address").map(|(p, _)| p),
        Some("rfc5280::nc::invalid-")
    );
    assert_eq!(family("online::google.com"), None);
}
