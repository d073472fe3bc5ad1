//! `certcheck demo`: real TLS servers on 127.0.0.1 with chains generated now, diagnosed by the
//! same pipeline as any target, with the diagnosis each case must get.

pub mod pki;
pub mod server;

use time::Duration;

use crate::config::{Config, TlsJob};
use crate::diagnose::FindingCode;
use crate::diagnose::text::date;
use crate::report::{Report, Status, TargetReport};
use crate::target::{ConnectTo, Host, Target};
use crate::trust::{StoreKind, TrustStore};
use pki::{Authority, Leaf, Spec};
use server::TlsServer;

/// What a demo case must be diagnosed as.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Expected {
    /// Trusted with no error or warning.
    Trusted,
    /// This finding on this certificate.
    Finding(FindingCode, usize),
}

pub use crate::report::CaseOutcome;

/// The demo's report and outcomes.
pub struct DemoRun {
    /// The report, exactly as for real targets.
    pub report: Report,
    /// One per case, in order.
    pub outcomes: Vec<CaseOutcome>,
}

/// Why the demo could not run.
#[derive(Debug, thiserror::Error)]
pub enum DemoError {
    /// Certificate generation failed.
    #[error("generating demo certificates: {0}")]
    Pki(#[from] pki::PkiError),
    /// A server did not start.
    #[error("starting a demo server: {0}")]
    Server(#[from] server::ServerError),
    /// A generated target name did not parse.
    #[error("{0}")]
    Target(#[from] crate::target::TargetError),
    /// The runtime did not start.
    #[error("{0}")]
    Runtime(#[from] anyhow::Error),
}

struct Case {
    name: &'static str,
    host: String,
    chain: Vec<Vec<u8>>,
    key: Vec<u8>,
    expected: Expected,
}

fn cases(now: time::OffsetDateTime) -> Result<(Vec<Case>, Vec<u8>), DemoError> {
    let root = Authority::root(&Spec::ca("certcheck Demo Root CA", now))?;
    let inter = root.intermediate(&Spec::ca("certcheck Demo Intermediate CA", now))?;
    let other_root = Authority::root(&Spec::ca("Unknown Private Root CA", now))?;
    let other_inter = other_root.intermediate(&Spec::ca("Unknown Private Intermediate", now))?;
    let mut cases = Vec::new();

    let leaf = inter.leaf(&Spec::leaf(&["valid.certcheck.test"], now))?;
    cases.push(Case {
        name: "valid chain",
        host: "valid.certcheck.test".into(),
        chain: vec![leaf.der, inter.der()],
        key: leaf.key_der,
        expected: Expected::Trusted,
    });

    let leaf = inter.leaf(
        &Spec::leaf(&["expired.certcheck.test"], now)
            .valid(now - Duration::days(148), now - Duration::days(58)),
    )?;
    cases.push(Case {
        name: "expired leaf",
        host: "expired.certcheck.test".into(),
        chain: vec![leaf.der, inter.der()],
        key: leaf.key_der,
        expected: Expected::Finding(FindingCode::Expired, 0),
    });

    let leaf = inter.leaf(&Spec::leaf(&["www.certcheck.test", "certcheck.test"], now))?;
    cases.push(Case {
        name: "wrong host name",
        host: "api.certcheck.test".into(),
        chain: vec![leaf.der, inter.der()],
        key: leaf.key_der,
        expected: Expected::Finding(FindingCode::HostnameMismatch, 0),
    });

    let leaf = Leaf::self_signed(&Spec::leaf(&["self-signed.certcheck.test"], now))?;
    cases.push(Case {
        name: "self-signed leaf",
        host: "self-signed.certcheck.test".into(),
        chain: vec![leaf.der],
        key: leaf.key_der,
        expected: Expected::Finding(FindingCode::SelfSigned, 0),
    });

    let leaf = other_inter.leaf(&Spec::leaf(&["private.certcheck.test"], now))?;
    cases.push(Case {
        name: "untrusted root",
        host: "private.certcheck.test".into(),
        chain: vec![leaf.der, other_inter.der(), other_root.der()],
        key: leaf.key_der,
        expected: Expected::Finding(FindingCode::UntrustedRoot, 2),
    });

    let leaf = inter.leaf(
        &Spec::leaf(&["incomplete.certcheck.test"], now)
            .ca_issuers("http://pki.certcheck.test/intermediate.crt"),
    )?;
    cases.push(Case {
        name: "missing intermediate",
        host: "incomplete.certcheck.test".into(),
        chain: vec![leaf.der],
        key: leaf.key_der,
        expected: Expected::Finding(FindingCode::IncompleteChain, 0),
    });

    Ok((cases, root.der()))
}

fn describe(expected: Expected) -> String {
    match expected {
        Expected::Trusted => "trusted".into(),
        Expected::Finding(code, index) => format!("{code} on certificate {index}"),
    }
}

fn judge(expected: Expected, result: &TargetReport) -> (String, bool) {
    let codes: Vec<String> = result
        .primary_findings()
        .map(|f| match f.certificate {
            Some(i) => format!("{} on certificate {i}", f.code),
            None => f.code.to_string(),
        })
        .collect();
    let got = match (&result.connection_error, codes.is_empty()) {
        (Some(err), _) => format!("{}: {}", err.code, err.message),
        (None, true) => format!("{:?}, no findings", result.status).to_lowercase(),
        (None, false) => codes.join(", "),
    };
    let passed = match expected {
        Expected::Trusted => result.status == Status::Ok,
        Expected::Finding(code, index) => {
            result.status == Status::Error
                && result
                    .findings
                    .iter()
                    .any(|f| f.code == code && f.certificate == Some(index))
        }
    };
    (got, passed)
}

/// Generates the PKI, starts one server per case and checks each through the normal pipeline.
pub fn run(config: &Config, mut stores: Vec<TrustStore>) -> Result<DemoRun, DemoError> {
    let now = config.settings.now;
    let (cases, root_der) = cases(now)?;
    stores.push(TrustStore::from_ders(
        StoreKind::Custom,
        "demo root, generated for this run".into(),
        vec![(root_der, "demo root".into())],
    ));
    let mut servers = Vec::new();
    let mut jobs = Vec::new();
    for case in &cases {
        let server = TlsServer::start(case.chain.clone(), case.key.clone())?;
        let target: Target = format!("{}:{}", case.host, server.addr.port()).parse()?;
        jobs.push(TlsJob {
            target,
            sni: None,
            connect_to: Some(ConnectTo {
                host: Host::Ip(server.addr.ip()),
                port: Some(server.addr.port()),
            }),
            keep: Default::default(),
            // The demo's servers are on this machine: never through a proxy.
            routing: crate::config::Routing {
                reason: "the demo serves on 127.0.0.1".into(),
                ..crate::config::Routing::default()
            },
            starttls: None,
        });
        servers.push(server);
    }
    let runtime = crate::run::runtime()?;
    let results = runtime.block_on(crate::run::live::check_all(
        jobs,
        crate::run::live::ready_stores(crate::evaluate::Stores::with_clients(
            stores,
            &config.env.clients,
        )),
        // The demo's AIA URL names a host under `.test`: the demo never fetches.
        std::sync::Arc::new(crate::config::Settings {
            fetch: false,
            check_revocation: false,
            ..(*config.settings).clone()
        }),
        &mut |_| {},
    ));
    drop(servers);
    let outcomes = cases
        .iter()
        .zip(&results)
        .map(|(case, result)| {
            let (got, passed) = judge(case.expected, result);
            CaseOutcome {
                name: case.name,
                expected: describe(case.expected),
                got,
                passed,
            }
        })
        .collect();
    Ok(DemoRun {
        report: Report {
            version: env!("CARGO_PKG_VERSION").to_string(),
            checked_at: date(now),
            results,
        },
        outcomes,
    })
}
