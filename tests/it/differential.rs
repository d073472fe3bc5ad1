//! Differential check against rustls-webpki: many generated chains with random defects, each
//! evaluated by certcheck (in-process, one custom store holding the generated root) and by a plain
//! rustls-webpki verification of the same chain at the same instant.
//!
//! certcheck's verdict must equal webpki's, except where a certcheck finding that is documented
//! as stricter than webpki ([`STRICTER_THAN_WEBPKI`]) explains why certcheck rejects a chain
//! webpki accepts. certcheck trusting a chain that webpki rejects is always a failure.
//!
//! The PRNG seed is printed on failure; `CERTCHECK_SEED=<n>` (decimal or 0x-hex) replays a run,
//! `CERTCHECK_CASES=<n>` changes how many chains are generated.

use std::fmt::Write as _;
use std::time::Duration;

use certcheck::chain::parse_chain;
use certcheck::config::Settings;
use certcheck::evaluate::{Evidence, Stores, evaluate};
use certcheck::report::{Origin, TargetReport};
use certcheck::target::Host;
use certcheck::trust::{StoreKind, TrustStore};
use rcgen::{
    BasicConstraints, CertificateParams, DnType, ExtendedKeyUsagePurpose, GeneralSubtree, IsCa,
    Issuer, KeyPair, KeyUsagePurpose, NameConstraints, SignatureAlgorithm,
};
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use time::OffsetDateTime;

/// The seed used unless `CERTCHECK_SEED` says otherwise.
const DEFAULT_SEED: u64 = 0x00C0_FFEE_5EED_2030;

/// How many chains are generated unless `CERTCHECK_CASES` says otherwise.
const DEFAULT_CASES: usize = 500;

/// A certcheck finding documented as stricter than rustls-webpki: when webpki accepts a chain
/// and certcheck does not, one of these (with severity `error`) must be the reason.
struct Stricter {
    /// The finding code.
    code: &'static str,
    /// Words the finding's message must contain for it to count (e.g. that it is about the
    /// trust anchor itself), if any.
    must_mention: Option<&'static str>,
    /// Why certcheck is stricter here.
    why: &'static str,
}

/// The findings in which certcheck is documented as stricter than rustls-webpki (README, "Limits").
const STRICTER_THAN_WEBPKI: &[Stricter] = &[
    Stricter {
        code: "expired",
        must_mention: Some("trust anchor"),
        why: "webpki ignores the trust anchor's validity dates; OpenSSL-based clients do not",
    },
    Stricter {
        code: "not-yet-valid",
        must_mention: Some("trust anchor"),
        why: "webpki ignores the trust anchor's validity dates; OpenSSL-based clients do not",
    },
    Stricter {
        code: "weak-key",
        must_mention: None,
        why: "RSA below 2048 bits or EC below 256 bits, which webpki may still verify",
    },
    Stricter {
        code: "weak-signature-algorithm",
        must_mention: None,
        why: "SHA-1/MD5 or an algorithm webpki cannot check",
    },
    Stricter {
        code: "name-constraint-violation",
        must_mention: Some("trust anchor"),
        why: "name constraints in the trust anchor's own certificate",
    },
    Stricter {
        code: "path-length-exceeded",
        must_mention: Some("trust anchor"),
        why: "a pathLenConstraint in the trust anchor's own certificate",
    },
    Stricter {
        code: "not-a-ca",
        must_mention: Some("without keyCertSign"),
        why: "an issuing CA whose keyUsage lacks keyCertSign (RFC 5280 4.2.1.3; OpenSSL rejects it, webpki ignores keyUsage)",
    },
    Stricter {
        code: "malformed-certificate",
        must_mention: None,
        why: "a presented certificate x509-parser cannot parse, even one webpki never looks at",
    },
    Stricter {
        code: "key-mismatch",
        must_mention: None,
        why: "inspect --key: the private key does not belong to the leaf",
    },
    Stricter {
        code: "incomplete-chain",
        must_mention: None,
        why: "the presented chain is complete only with --untrusted intermediates (the pool)",
    },
];

/// The instant every chain is validated at: 2030-01-01T00:00:00Z.
fn now() -> OffsetDateTime {
    OffsetDateTime::from_unix_timestamp(1_893_456_000).expect("a valid instant")
}

/// xorshift64*: small, seeded, reproducible.
struct Rng(u64);

impl Rng {
    fn new(seed: u64) -> Rng {
        Rng(seed.max(1))
    }

    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    /// A number in `0..n`.
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }

    /// True with probability `percent`/100.
    fn chance(&mut self, percent: u64) -> bool {
        self.below(100) < percent
    }

    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len() as u64) as usize]
    }
}

fn env_number(name: &str) -> Option<u64> {
    let text = std::env::var(name).ok()?;
    let text = text.trim();
    match text.strip_prefix("0x") {
        Some(hex) => u64::from_str_radix(hex, 16).ok(),
        None => text.parse().ok(),
    }
}

/// A validity window relative to [`now`], and its description.
fn validity(rng: &mut Rng) -> (OffsetDateTime, OffsetDateTime, String) {
    let now = now();
    let days = |n: i64| time::Duration::days(n);
    let secs = |n: i64| time::Duration::seconds(n);
    match rng.below(100) {
        0..=86 => {
            let before = 1 + rng.below(400) as i64;
            let after = 1 + rng.below(400) as i64;
            (
                now - days(before),
                now + days(after),
                format!("valid -{before}d..+{after}d"),
            )
        }
        87..=90 => {
            let ago = 1 + rng.below(100) as i64;
            (
                now - days(800),
                now - days(ago),
                format!("expired {ago}d ago"),
            )
        }
        91..=93 => {
            let until = 1 + rng.below(100) as i64;
            (
                now + days(until),
                now + days(800),
                format!("not yet valid for {until}d"),
            )
        }
        // The edges, to the second.
        94 => (now - days(10), now, "notAfter = now".into()),
        95 => (now - days(10), now - secs(1), "notAfter = now - 1s".into()),
        96 => (now, now + days(10), "notBefore = now".into()),
        97 => (now + secs(1), now + days(10), "notBefore = now + 1s".into()),
        _ => (
            now - days(30),
            now + days(500),
            "valid, 530 days long".into(),
        ),
    }
}

const LEAF_NAMES: &[&str] = &[
    "a.test",
    "b.test",
    "*.a.test",
    "x.a.test",
    "www.example.test",
    "192.0.2.1",
];
const HOSTS: &[&str] = &[
    "a.test",
    "b.test",
    "x.a.test",
    "y.x.a.test",
    "www.example.test",
    "192.0.2.1",
    "c.test",
];

fn algorithm(rng: &mut Rng) -> (&'static SignatureAlgorithm, &'static str) {
    match rng.below(10) {
        0..=6 => (&rcgen::PKCS_ECDSA_P256_SHA256, "P-256"),
        7..=8 => (&rcgen::PKCS_ECDSA_P384_SHA384, "P-384"),
        _ => (&rcgen::PKCS_ED25519, "Ed25519"),
    }
}

/// A CA's basicConstraints, keyUsage, EKU and name constraints, at random.
fn ca_params(rng: &mut Rng, name: &str, root: bool, desc: &mut String) -> CertificateParams {
    let mut params = CertificateParams::new(Vec::<String>::new()).expect("params");
    params.distinguished_name = rcgen::DistinguishedName::new();
    params.distinguished_name.push(DnType::CommonName, name);
    params.use_authority_key_identifier_extension = rng.chance(70);
    let (nb, na, v) = validity(rng);
    params.not_before = nb;
    params.not_after = na;
    let _ = write!(desc, "{name}[{v}");
    params.is_ca = match rng.below(100) {
        0..=74 => IsCa::Ca(BasicConstraints::Unconstrained),
        75..=89 => {
            let n = rng.below(3) as u8;
            let _ = write!(desc, " pathlen={n}");
            IsCa::Ca(BasicConstraints::Constrained(n))
        }
        90..=95 if !root => {
            desc.push_str(" cA=FALSE");
            IsCa::ExplicitNoCa
        }
        90..=95 => IsCa::Ca(BasicConstraints::Unconstrained),
        _ => {
            desc.push_str(" no-basicConstraints");
            IsCa::NoCa
        }
    };
    params.key_usages = match rng.below(100) {
        0..=89 => vec![
            KeyUsagePurpose::KeyCertSign,
            KeyUsagePurpose::CrlSign,
            KeyUsagePurpose::DigitalSignature,
        ],
        90..=95 => {
            desc.push_str(" KU=digitalSignature");
            vec![KeyUsagePurpose::DigitalSignature]
        }
        _ => {
            desc.push_str(" no-KU");
            Vec::new()
        }
    };
    params.extended_key_usages = match rng.below(100) {
        0..=79 => Vec::new(),
        80..=91 => {
            desc.push_str(" EKU=serverAuth");
            vec![ExtendedKeyUsagePurpose::ServerAuth]
        }
        _ => {
            desc.push_str(" EKU=clientAuth");
            vec![ExtendedKeyUsagePurpose::ClientAuth]
        }
    };
    if rng.chance(8) {
        let permitted = rng.pick(&["a.test", "example.test", "b.test"]).to_string();
        let _ = write!(desc, " NC=permit:{permitted}");
        params.name_constraints = Some(NameConstraints {
            permitted_subtrees: vec![GeneralSubtree::DnsName(permitted)],
            excluded_subtrees: Vec::new(),
        });
    }
    desc.push(']');
    params
}

fn leaf_params(rng: &mut Rng, desc: &mut String) -> (CertificateParams, Vec<String>) {
    let count = match rng.below(10) {
        0 => 0,
        1..=6 => 1,
        _ => 2 + rng.below(2) as usize,
    };
    let mut names: Vec<String> = Vec::new();
    for _ in 0..count {
        let name = rng.pick(LEAF_NAMES).to_string();
        if !names.contains(&name) {
            names.push(name);
        }
    }
    let mut params = CertificateParams::new(names.clone()).expect("params");
    params.distinguished_name = rcgen::DistinguishedName::new();
    let cn = if rng.chance(50) {
        rng.pick(LEAF_NAMES).to_string()
    } else {
        "leaf".to_string()
    };
    params
        .distinguished_name
        .push(DnType::CommonName, cn.clone());
    params.use_authority_key_identifier_extension = rng.chance(70);
    let (nb, na, v) = validity(rng);
    params.not_before = nb;
    params.not_after = na;
    let _ = write!(desc, " leaf[{v} CN={cn} SAN={names:?}");
    params.is_ca = match rng.below(100) {
        0..=93 => IsCa::ExplicitNoCa,
        94..=96 => {
            desc.push_str(" no-basicConstraints");
            IsCa::NoCa
        }
        _ => {
            desc.push_str(" cA=TRUE");
            IsCa::Ca(BasicConstraints::Unconstrained)
        }
    };
    params.key_usages = vec![KeyUsagePurpose::DigitalSignature];
    params.extended_key_usages = match rng.below(100) {
        0..=69 => vec![ExtendedKeyUsagePurpose::ServerAuth],
        70..=77 => {
            desc.push_str(" no-EKU");
            Vec::new()
        }
        78..=84 => {
            desc.push_str(" EKU=clientAuth");
            vec![ExtendedKeyUsagePurpose::ClientAuth]
        }
        85..=93 => {
            desc.push_str(" EKU=serverAuth,clientAuth");
            vec![
                ExtendedKeyUsagePurpose::ServerAuth,
                ExtendedKeyUsagePurpose::ClientAuth,
            ]
        }
        _ => {
            desc.push_str(" EKU=any");
            vec![ExtendedKeyUsagePurpose::Any]
        }
    };
    desc.push(']');
    (params, names)
}

/// One generated chain.
struct Case {
    /// What was generated, for failure messages.
    desc: String,
    /// The certificates as a server would present them (leaf first).
    presented: Vec<Vec<u8>>,
    /// The trust anchor of the single custom store.
    anchor: Vec<u8>,
    /// The name asked for.
    host: String,
}

fn generate(rng: &mut Rng) -> Case {
    let mut desc = String::new();
    let key = |rng: &mut Rng, desc: &mut String| {
        let (alg, name) = algorithm(rng);
        let _ = write!(desc, "<{name}>");
        KeyPair::generate_for(alg).expect("key")
    };

    // Root, then intermediates (inter[0] issued by the root, inter[k] by inter[k-1]), then leaf.
    let root_key = key(rng, &mut desc);
    let root_params = ca_params(rng, "Root", true, &mut desc);
    let root_der = root_params
        .self_signed(&root_key)
        .expect("root")
        .der()
        .to_vec();
    let count = match rng.below(100) {
        0..=19 => 0,
        20..=59 => 1,
        60..=84 => 2,
        _ => 3,
    };
    let mut inters: Vec<(CertificateParams, KeyPair, Vec<u8>)> = Vec::new();
    for i in 0..count {
        desc.push(' ');
        let k = key(rng, &mut desc);
        let p = ca_params(rng, &format!("Inter{i}"), false, &mut desc);
        let der = match inters.last() {
            None => p.signed_by(&k, &Issuer::from_params(&root_params, &root_key)),
            Some((ip, ik, _)) => p.signed_by(&k, &Issuer::from_params(ip, ik)),
        }
        .expect("intermediate")
        .der()
        .to_vec();
        inters.push((p, k, der));
    }
    let leaf_key = key(rng, &mut desc);
    let (lp, leaf_names) = leaf_params(rng, &mut desc);
    let self_signed_leaf = rng.chance(3);
    let forged = !self_signed_leaf && rng.chance(4);
    let leaf_der = if self_signed_leaf {
        desc.push_str(" leaf-self-signed");
        lp.self_signed(&leaf_key)
    } else {
        let (issuer_params, issuer_key) = match inters.last() {
            None => (&root_params, &root_key),
            Some((ip, ik, _)) => (ip, ik),
        };
        if forged {
            // The right issuer name, the wrong key: a bad signature.
            desc.push_str(" leaf-signed-by-wrong-key");
            let other = KeyPair::generate().expect("key");
            lp.signed_by(&leaf_key, &Issuer::from_params(issuer_params, &other))
        } else {
            lp.signed_by(&leaf_key, &Issuer::from_params(issuer_params, issuer_key))
        }
    }
    .expect("leaf")
    .der()
    .to_vec();

    // As presented: leaf, then the intermediates nearest first, with defects.
    let mut chain: Vec<Vec<u8>> = inters.iter().rev().map(|(_, _, d)| d.clone()).collect();
    if !chain.is_empty() && rng.chance(8) {
        let i = rng.below(chain.len() as u64) as usize;
        let _ = write!(desc, " missing-presented[{i}]");
        chain.remove(i);
    }
    if chain.len() > 1 && rng.chance(10) {
        desc.push_str(" reordered");
        chain.reverse();
    }
    if rng.chance(10) {
        desc.push_str(" +root");
        chain.push(root_der.clone());
    }
    if rng.chance(8) {
        desc.push_str(" +unrelated-CA");
        let k = KeyPair::generate().expect("key");
        let mut d = String::new();
        let p = ca_params(rng, "Unrelated", true, &mut d);
        let at = rng.below(chain.len() as u64 + 1) as usize;
        chain.insert(at, p.self_signed(&k).expect("unrelated").der().to_vec());
    }
    if !chain.is_empty() && rng.chance(5) {
        desc.push_str(" +duplicate");
        let i = rng.below(chain.len() as u64) as usize;
        chain.push(chain[i].clone());
    }
    let mut presented = vec![leaf_der];
    presented.extend(chain);

    // The store: usually the root; sometimes another certificate with the same name.
    let anchor = if rng.chance(4) {
        desc.push_str(" store-holds-other-root-same-name");
        let k = KeyPair::generate().expect("key");
        root_params.self_signed(&k).expect("other").der().to_vec()
    } else {
        root_der
    };
    let host = match leaf_names.first() {
        Some(name) if rng.chance(65) => match name.strip_prefix("*.") {
            Some(parent) => format!("w.{parent}"),
            None => name.clone(),
        },
        _ => rng.pick(HOSTS).to_string(),
    };
    let _ = write!(desc, " host={host}");
    Case {
        desc,
        presented,
        anchor,
        host,
    }
}

/// A plain rustls-webpki verification: path to the anchor for serverAuth at [`now`], then the name.
fn webpki_verdict(case: &Case) -> Result<(), String> {
    let algorithms = rustls::crypto::ring::default_provider()
        .signature_verification_algorithms
        .all;
    let anchor_der = CertificateDer::from(case.anchor.as_slice());
    let anchor = webpki::anchor_from_trusted_cert(&anchor_der)
        .map_err(|e| format!("anchor: {e:?}"))?
        .to_owned();
    let leaf = CertificateDer::from(case.presented[0].as_slice());
    let intermediates: Vec<CertificateDer<'_>> = case.presented[1..]
        .iter()
        .map(|d| CertificateDer::from(d.as_slice()))
        .collect();
    let ee = webpki::EndEntityCert::try_from(&leaf).map_err(|e| format!("leaf: {e:?}"))?;
    let time = UnixTime::since_unix_epoch(Duration::from_secs(
        u64::try_from(now().unix_timestamp()).expect("after 1970"),
    ));
    ee.verify_for_usage(
        algorithms,
        &[anchor],
        &intermediates,
        time,
        webpki::KeyUsage::server_auth(),
        None,
        None,
    )
    .map_err(|e| format!("path: {e:?}"))?;
    let name = ServerName::try_from(case.host.as_str()).map_err(|e| format!("name: {e:?}"))?;
    ee.verify_is_valid_for_subject_name(&name)
        .map_err(|e| format!("name: {e:?}"))
}

fn certcheck_verdict(case: &Case) -> TargetReport {
    let store = TrustStore::from_ders(
        StoreKind::Custom,
        "generated root".into(),
        vec![(case.anchor.clone(), "generated root".into())],
    );
    let settings = Settings {
        now: now(),
        warn_days: 30,
        fail_days: None,
        timeout: Duration::from_secs(10),
        concurrency: 1,
        deciding: certcheck::clients::Selection::ALL,
        client_identity: None,
        fetch: false,
        check_revocation: false,
    };
    let host = Host::parse(&case.host).expect("host");
    let chain = parse_chain(&case.presented);
    let evidence =
        Evidence::new(Origin::file("generated", Some(&host)), &chain).with_name(Some(&host));
    evaluate(
        &evidence,
        &Stores::without_clients(vec![store]),
        &settings.policy(),
    )
}

/// The documented stricter finding that explains certcheck rejecting what webpki accepts.
fn stricter_reason(report: &TargetReport) -> Option<String> {
    report.findings.iter().find_map(|f| {
        let code = serde_json::to_value(f.code).ok()?.as_str()?.to_string();
        let severity = serde_json::to_value(f.severity).ok()?.as_str()?.to_string();
        let stricter = STRICTER_THAN_WEBPKI.iter().find(|s| s.code == code)?;
        let mentions = stricter
            .must_mention
            .is_none_or(|words| f.message.contains(words));
        (severity == "error" && mentions).then_some(code)
    })
}

fn summary(report: &TargetReport) -> String {
    let trust = &report.trust[0];
    let findings: Vec<String> = report
        .findings
        .iter()
        .map(|f| {
            let code = serde_json::to_value(f.code).unwrap_or_default();
            let severity = serde_json::to_value(f.severity).unwrap_or_default();
            format!("{severity} {code}: {}", f.message)
        })
        .collect();
    format!(
        "trusted={} error={:?}\n      findings:\n        {}",
        trust.trusted,
        trust.error,
        findings.join("\n        ")
    )
}

#[test]
fn certcheck_agrees_with_webpki_on_generated_chains() {
    let seed = env_number("CERTCHECK_SEED").unwrap_or(DEFAULT_SEED);
    let cases = env_number("CERTCHECK_CASES").map_or(DEFAULT_CASES, |n| n as usize);
    let mut rng = Rng::new(seed);
    let mut failures = Vec::new();
    let (mut both_trust, mut both_reject) = (0, 0);
    let mut explained: std::collections::BTreeMap<String, usize> = Default::default();
    for index in 0..cases {
        let case = generate(&mut rng);
        let webpki = webpki_verdict(&case);
        let report = certcheck_verdict(&case);
        let trusted = report.trust[0].trusted;
        match (trusted, &webpki) {
            (true, Ok(())) => both_trust += 1,
            (false, Err(_)) => both_reject += 1,
            (true, Err(e)) => failures.push(format!(
                "case {index}: certcheck TRUSTS a chain webpki rejects ({e})\n    chain: {}\n    certcheck: {}",
                case.desc,
                summary(&report)
            )),
            (false, Ok(())) => match stricter_reason(&report) {
                Some(code) => *explained.entry(code).or_default() += 1,
                None => failures.push(format!(
                    "case {index}: certcheck rejects a chain webpki accepts, and no documented stricter finding explains it\n    chain: {}\n    certcheck: {}",
                    case.desc,
                    summary(&report)
                )),
            },
        }
    }
    eprintln!(
        "differential: seed {seed:#x}, {cases} chains: {both_trust} trusted by both, {both_reject} rejected by both, {} rejected only by certcheck for a documented stricter reason {explained:?}, {} failures",
        explained.values().sum::<usize>(),
        failures.len()
    );
    let documented: Vec<String> = STRICTER_THAN_WEBPKI
        .iter()
        .map(|s| match s.must_mention {
            Some(words) => format!("{} (mentioning {words:?}): {}", s.code, s.why),
            None => format!("{}: {}", s.code, s.why),
        })
        .collect();
    assert!(
        failures.is_empty(),
        "certcheck and webpki disagree (seed {seed:#x}; replay with CERTCHECK_SEED={seed:#x}):\n\n{}\n\ndocumented as stricter than webpki:\n  {}",
        failures.join("\n\n"),
        documented.join("\n  ")
    );
    // The generator must exercise both outcomes, or the comparison proves little.
    assert!(
        both_trust >= cases / 20 && both_reject >= cases / 4,
        "seed {seed:#x}: too few trusted ({both_trust}) or rejected ({both_reject}) chains"
    );
}
