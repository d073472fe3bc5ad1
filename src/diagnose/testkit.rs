//! Test helpers for the checks: a PKI generated at a fixed instant, stores made of given roots,
//! the committed weak-crypto fixtures, and a [`Context`] built the way the pipeline builds it
//! (rustls-webpki's replay first, then the per-store paths).

use time::macros::datetime;
use time::{Duration, OffsetDateTime};

use super::{Context, Deadlines, Diagnosis, Finding, FindingCode, diagnose};
use crate::chain::{CertInfo, Chain, parse_certificate, parse_chain};
use crate::demo::pki::{Authority, Leaf, Spec};
use crate::target::Host;
use crate::trust::{StoreKind, TrustResult, TrustStore, replay};

/// The instant generated certificates are dated from and validated at.
pub const NOW: OffsetDateTime = datetime!(2030-01-01 00:00:00 UTC);

/// An instant inside the validity of every committed weak fixture (`fixtures/make_weak.py`).
pub const FIXTURES_NOW: OffsetDateTime = datetime!(2026-01-15 00:00:00 UTC);

/// `n` days from [`NOW`].
pub fn days(n: i64) -> OffsetDateTime {
    NOW + Duration::days(n)
}

/// A root and an intermediate under it.
pub struct Pki {
    pub root: Authority,
    pub inter: Authority,
}

impl Pki {
    /// `CN=Test Root CA` → `CN=Test Intermediate CA`, both valid around [`NOW`] for ten years.
    pub fn new() -> Pki {
        let root = Authority::root(&Spec::ca("Test Root CA", NOW)).expect("root");
        let inter = root
            .intermediate(&Spec::ca("Test Intermediate CA", NOW))
            .expect("intermediate");
        Pki { root, inter }
    }

    /// A leaf for `names` issued by the intermediate, valid until 45 days after [`NOW`].
    pub fn leaf(&self, names: &[&str]) -> Leaf {
        self.leaf_with(Spec::leaf(names, NOW))
    }

    /// A leaf from `spec` issued by the intermediate.
    pub fn leaf_with(&self, spec: Spec) -> Leaf {
        self.inter.leaf(&spec).expect("leaf")
    }

    /// Leaf and intermediate, as a server sends them.
    pub fn chain(&self, leaf: &Leaf) -> Vec<Vec<u8>> {
        vec![leaf.der.clone(), self.inter.der()]
    }

    /// A `custom` store holding the root, with source `root.pem`.
    pub fn custom(&self) -> TrustStore {
        store(StoreKind::Custom, "root.pem", &[self.root.der()])
    }
}

/// A store of `kind` whose anchors are `roots`.
pub fn store(kind: StoreKind, source: &str, roots: &[Vec<u8>]) -> TrustStore {
    TrustStore::from_ders(
        kind,
        source.into(),
        roots
            .iter()
            .enumerate()
            .map(|(i, der)| (der.clone(), format!("{source} entry {i}")))
            .collect(),
    )
}

/// The DER of a committed fixture of `fixtures/weak/`, by file stem.
pub fn fixture(stem: &str) -> Vec<u8> {
    let text = match stem {
        "root" => include_str!("../../fixtures/weak/root.pem"),
        "sha1-leaf" => include_str!("../../fixtures/weak/sha1-leaf.pem"),
        "md5-leaf" => include_str!("../../fixtures/weak/md5-leaf.pem"),
        "rsa1024-leaf" => include_str!("../../fixtures/weak/rsa1024-leaf.pem"),
        "rsa-issued-leaf" => include_str!("../../fixtures/weak/rsa-issued-leaf.pem"),
        "ca-rsa1024" => include_str!("../../fixtures/weak/ca-rsa1024.pem"),
        "leaf-under-rsa1024" => include_str!("../../fixtures/weak/leaf-under-rsa1024.pem"),
        other => panic!("no fixture {other}"),
    };
    pem::parse(text).expect("PEM").into_contents()
}

/// A parsed certificate.
pub fn info(der: &[u8]) -> CertInfo {
    parse_certificate(der).expect("parses")
}

/// A chain, its stores and settings; [`Case::ctx`] builds the context the checks receive.
pub struct Case {
    pub chain: Chain,
    pub pool: Vec<CertInfo>,
    pub pool_der: Vec<Vec<u8>>,
    pub stores: Vec<TrustStore>,
    pub results: Vec<TrustResult>,
    pub name: Option<Host>,
    pub deadlines: Deadlines,
}

impl Case {
    /// `chain` (leaf first) against `stores` at [`NOW`], `--warn-days 30`, no name.
    pub fn new(chain: &[Vec<u8>], stores: Vec<TrustStore>) -> Case {
        Case {
            chain: parse_chain(chain),
            pool: Vec::new(),
            pool_der: Vec::new(),
            stores,
            results: Vec::new(),
            name: None,
            deadlines: Deadlines {
                now: NOW,
                warn_days: 30,
                fail_days: None,
            },
        }
        .replayed()
    }

    /// Validated at `now`.
    pub fn at(mut self, now: OffsetDateTime) -> Case {
        self.deadlines.now = now;
        self.replayed()
    }

    /// With these `--warn-days` and `--fail-days`.
    pub fn thresholds(mut self, warn_days: i64, fail_days: Option<i64>) -> Case {
        self.deadlines.warn_days = warn_days;
        self.deadlines.fail_days = fail_days;
        self
    }

    /// Checked for the DNS name `name`.
    pub fn name(mut self, name: &str) -> Case {
        self.name = Some(Host::Dns(name.into()));
        self.replayed()
    }

    /// With these `--untrusted` intermediates.
    pub fn pool(mut self, ders: &[Vec<u8>]) -> Case {
        self.pool = ders.iter().map(|d| info(d)).collect();
        self.pool_der = ders.to_vec();
        self.replayed()
    }

    fn replayed(mut self) -> Case {
        self.results = replay(
            &self.chain,
            &self.pool_der,
            self.name.as_ref(),
            &self.stores,
            self.deadlines.now,
        );
        self
    }

    /// The context, as the pipeline builds it.
    pub fn ctx(&self) -> Context<'_> {
        Context::new(
            &self.chain,
            &self.pool,
            &self.stores,
            &self.results,
            self.name.as_ref(),
            self.deadlines,
        )
    }

    /// Every check, merged and sorted, with the verdicts.
    pub fn diagnose(&self) -> Diagnosis {
        diagnose(&self.ctx(), Vec::new())
    }
}

/// The codes of `findings`, in order.
pub fn codes(findings: &[Finding]) -> Vec<FindingCode> {
    findings.iter().map(|f| f.code).collect()
}

/// The one finding with `code`; fails when there is none or several.
pub fn only(findings: &[Finding], code: FindingCode) -> &Finding {
    let mut matching = findings.iter().filter(|f| f.code == code);
    let found = matching
        .next()
        .unwrap_or_else(|| panic!("no {code} in {:?}", codes(findings)));
    assert!(matching.next().is_none(), "several {code}: {findings:#?}");
    found
}

/// An embedded SCT list extension (RFC 6962 3.3) with one SCT per log ID in `logs`.
pub fn sct_extension(logs: &[u8]) -> rcgen::CustomExtension {
    let mut list = Vec::new();
    for &log in logs {
        let mut sct = vec![0u8];
        sct.extend([log; 32]);
        sct.extend(1_893_456_000_000u64.to_be_bytes());
        sct.extend([0, 0]); // no extensions
        sct.extend([4, 3, 0, 2, 0x30, 0x00]); // SHA-256 / ECDSA, a 2-byte signature
        list.extend((sct.len() as u16).to_be_bytes());
        list.extend(sct);
    }
    let mut tls = (list.len() as u16).to_be_bytes().to_vec();
    tls.extend(list);
    // A DER OCTET STRING: short-form length up to 127 bytes, else one length byte.
    let mut content = match u8::try_from(tls.len()) {
        Ok(len) if len < 0x80 => vec![0x04, len],
        Ok(len) => vec![0x04, 0x81, len],
        Err(_) => unreachable!("a test list of a few SCTs"),
    };
    content.extend(tls);
    rcgen::CustomExtension::from_oid_content(&[1, 3, 6, 1, 4, 1, 11129, 2, 4, 2], content)
}
