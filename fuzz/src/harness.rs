//! The code paths the fuzz targets drive. Shared, file for file, with the regression tests in
//! `tests/fuzz_regressions.rs`, so a crashing input is replayed through exactly the same calls.

#![allow(dead_code)]

use std::sync::OnceLock;

use certcheck::chain::file::{load_bytes, load_bytes_with};
use certcheck::chain::{parse_certificate, parse_chain, summarize_certificate};
use certcheck::config::{Detail, Format, Settings};
use certcheck::demo::pki::{Authority, Spec};
use certcheck::evaluate::{Evidence, Pool, Stores, evaluate};
use certcheck::render::{Style, render};
use certcheck::report::{Origin, Report, TargetReport};
use certcheck::target::Host;
use certcheck::trust::{StoreKind, TrustStore};
use time::OffsetDateTime;

/// The name every evaluation asks for.
pub const NAME: &str = "fuzz.test";

/// A fixed PKI and the settings every evaluation uses, generated once per process.
pub struct Fixture {
    /// The custom store: the generated root.
    pub stores: Stores,
    /// Validation at a fixed instant.
    pub settings: Settings,
    /// A valid leaf for [`NAME`], issued by `inter`.
    pub leaf: Vec<u8>,
    /// The intermediate, issued by the root.
    pub inter: Vec<u8>,
    /// The root.
    pub root: Vec<u8>,
}

/// The fixed instant of validation: 2030-01-01T00:00:00Z.
pub fn now() -> OffsetDateTime {
    OffsetDateTime::from_unix_timestamp(1_893_456_000).expect("a valid instant")
}

/// The fixture, generated on first use.
pub fn fixture() -> &'static Fixture {
    static FIXTURE: OnceLock<Fixture> = OnceLock::new();
    FIXTURE.get_or_init(|| {
        let now = now();
        let root = Authority::root(&Spec::ca("Fuzz Root CA", now)).expect("root");
        let inter = root
            .intermediate(&Spec::ca("Fuzz Intermediate CA", now))
            .expect("intermediate");
        let leaf = inter.leaf(&Spec::leaf(&[NAME], now)).expect("leaf");
        let stores = Stores::without_clients(vec![TrustStore::from_ders(
            StoreKind::Custom,
            "fuzz root".into(),
            vec![(root.der(), "fuzz root".into())],
        )]);
        Fixture {
            stores,
            settings: Settings {
                now,
                warn_days: 30,
                fail_days: None,
                timeout: std::time::Duration::from_secs(10),
                concurrency: 1,
                deciding: certcheck::clients::Selection::ALL,
                client_identity: None,
                fetch: false,
                check_revocation: false,
            },
            leaf: leaf.der,
            inter: inter.der(),
            root: root.der(),
        }
    })
}

/// Evaluates `ders` as a presented chain (with `pool` as `--untrusted` intermediates).
pub fn evaluate_chain(ders: &[Vec<u8>], pool: &[Vec<u8>]) -> TargetReport {
    let f = fixture();
    let chain = parse_chain(ders);
    let pool = Pool::from_ders(pool.iter().cloned());
    let name = Host::Dns(NAME.into());
    let evidence = Evidence::new(Origin::file("fuzz", Some(&name)), &chain)
        .with_name(Some(&name))
        .with_pool(&pool);
    evaluate(&evidence, &f.stores, &f.settings.policy())
}

/// Renders the results as JSON and as human tables (with and without colour).
pub fn render_all(results: Vec<TargetReport>) {
    let report = Report {
        version: "fuzz".into(),
        checked_at: "2030-01-01T00:00:00Z".into(),
        results,
    };
    let mut out = Vec::new();
    let _ = render(&report, Format::Json, Style::plain(120), &mut out);
    for (color, width, detail) in [
        (false, 120, Detail::Verbose),
        (true, 40, Detail::Normal),
        (false, 80, Detail::Quiet),
    ] {
        out.clear();
        let style = Style {
            color,
            width,
            detail,
            as_of: color,
        };
        let _ = render(&report, Format::Human, style, &mut out);
    }
}

/// Target `file_input`: the bytes of a certificate file, as `inspect` reads them.
pub fn file_input(data: &[u8]) {
    let Ok(loaded) = load_bytes(data) else {
        return;
    };
    let ders: Vec<Vec<u8>> = loaded.certs.into_iter().map(|c| c.der).collect();
    let mut results = vec![evaluate_chain(&ders, &[])];
    // The same certificates as `--untrusted` intermediates behind the leaf.
    if let Some(leaf) = ders.first() {
        results.push(evaluate_chain(std::slice::from_ref(leaf), &ders[1..]));
    }
    // `inspect --each`: every certificate on its own, from a summary that must accept exactly
    // the certificates the full parse accepts.
    for der in &ders {
        assert_eq!(
            parse_certificate(der).is_ok(),
            summarize_certificate(der).summary().is_some(),
            "summary and full parse disagree"
        );
    }
    if let Ok(bundle) = load_bytes_with(data, &|cert| summarize_certificate(&cert.der)) {
        let settings = &fixture().settings;
        let _ = certcheck::diagnose::each::each(&bundle.certs, 0, settings.deadlines());
        let _ = certcheck::report::bundle_reports(bundle.certs, settings.now);
    }
    render_all(results);
}

/// Target `cert_model`: the first byte chooses where the fuzzed certificate goes in an
/// otherwise valid chain (root → intermediate → leaf for [`NAME`]); the rest is its DER.
pub fn cert_model(data: &[u8]) {
    let Some((position, der)) = data.split_first() else {
        return;
    };
    let f = fixture();
    let der = der.to_vec();
    let ders = match position % 4 {
        // The leaf.
        0 => vec![der, f.inter.clone()],
        // The intermediate.
        1 => vec![f.leaf.clone(), der],
        // An extra certificate after a complete chain.
        2 => vec![f.leaf.clone(), f.inter.clone(), der],
        // In place of the root, sent by the server.
        _ => vec![f.leaf.clone(), f.inter.clone(), der, f.root.clone()],
    };
    let pool = if position & 0x80 != 0 {
        vec![f.inter.clone()]
    } else {
        Vec::new()
    };
    render_all(vec![evaluate_chain(&ders, &pool)]);
}

/// Inputs to start fuzzing from: (target, file name, bytes).
pub fn seeds() -> Vec<(&'static str, String, Vec<u8>)> {
    let f = fixture();
    let pem = |ders: &[&Vec<u8>]| {
        ders.iter()
            .map(|der| {
                let body = base64(der);
                let lines: Vec<&str> = body
                    .as_bytes()
                    .chunks(64)
                    .map(|c| std::str::from_utf8(c).unwrap_or_default())
                    .collect();
                format!(
                    "-----BEGIN CERTIFICATE-----\n{}\n-----END CERTIFICATE-----\n",
                    lines.join("\n")
                )
            })
            .collect::<String>()
            .into_bytes()
    };
    let mut seeds = vec![
        (
            "file_input",
            "fullchain.pem".into(),
            pem(&[&f.leaf, &f.inter]),
        ),
        (
            "file_input",
            "reversed.pem".into(),
            pem(&[&f.root, &f.inter, &f.leaf]),
        ),
        ("file_input", "leaf.der".into(), f.leaf.clone()),
        (
            "file_input",
            "mixed.pem".into(),
            [
                b"Bag Attributes\r\n".to_vec(),
                pem(&[&f.leaf]),
                b"-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n".to_vec(),
                b"-----BEGIN PKCS7-----\nMAA=\n-----END PKCS7-----\n".to_vec(),
                pem(&[&f.inter]),
            ]
            .concat(),
        ),
    ];
    seeds.push((
        "file_input",
        "chain.p7b".into(),
        pkcs7(&[&f.inter, &f.leaf]),
    ));
    for (i, der) in [&f.leaf, &f.inter, &f.leaf, &f.root]
        .into_iter()
        .enumerate()
    {
        let mut data = vec![i as u8];
        data.extend_from_slice(der);
        seeds.push(("cert_model", format!("position{i}.bin"), data));
    }
    seeds
}

/// A PKCS#7 SignedData holding only certificates, as `openssl crl2pkcs7 -nocrl` makes.
fn pkcs7(ders: &[&Vec<u8>]) -> Vec<u8> {
    use yasna::models::ObjectIdentifier;
    yasna::construct_der(|w| {
        w.write_sequence(|w| {
            w.next()
                .write_oid(&ObjectIdentifier::from_slice(&[1, 2, 840, 113549, 1, 7, 2]));
            w.next().write_tagged(yasna::Tag::context(0), |w| {
                w.write_sequence(|w| {
                    w.next().write_u8(1);
                    w.next().write_set(|_| {});
                    w.next().write_sequence(|w| {
                        w.next().write_oid(&ObjectIdentifier::from_slice(&[
                            1, 2, 840, 113549, 1, 7, 1,
                        ]));
                    });
                    w.next().write_tagged_implicit(yasna::Tag::context(0), |w| {
                        w.write_set(|w| {
                            for der in ders {
                                w.next().write_der(der);
                            }
                        })
                    });
                    w.next().write_set(|_| {});
                })
            });
        })
    })
}

fn base64(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::new();
    for chunk in bytes.chunks(3) {
        let b = [
            chunk[0],
            chunk.get(1).copied().unwrap_or(0),
            chunk.get(2).copied().unwrap_or(0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(ALPHABET[((n >> (18 - 6 * i)) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}
