//! The platform stores compiled into certcheck (`apple`, `android`, `windows`, `mozilla`,
//! `java-openjdk`): snapshots of what each platform trusts (and, for Windows and Java, explicitly
//! blocks), from the trust_stores_observatory data in `data/trust-stores/`.
//!
//! They are *comparison* stores: they appear in `trust[]` when asked for (`--platform-stores`),
//! never decide `status` and are never a client's store. What a check reads is indexed ahead of
//! time in the generated `index.rs` (each anchor's subject, key and name constraints, sorted by
//! subject), so building a store parses no certificate; the certificates
//! themselves are deflated in blocks of about 32 KiB and inflated only when one is looked at
//! (the anchor a path reached, `inspect` of a root). `generate.rs` (a test) rebuilds the index
//! from the data and fails when the committed one differs.

#[cfg(test)]
mod generate;
// Generated (see `generate.rs`): compared byte for byte, so rustfmt leaves it alone.
#[rustfmt::skip]
mod index;

use std::sync::OnceLock;

use rustls::pki_types::{Der, TrustAnchor};

use super::StoreKind;
use super::store::{Anchor, RustlsVerifier, TrustStore};

/// One certificate of the snapshot, as the index holds it: ranges into [`ANCHORS`] for the
/// anchor's parts and into an inflated block for the whole certificate.
struct CertData {
    /// The certificate's SHA-256.
    sha256: [u8; 32],
    /// The subject `Name`'s contents (webpki's `TrustAnchor::subject`).
    subject: (u32, u32),
    /// The SubjectPublicKeyInfo's contents.
    spki: (u32, u32),
    /// The name constraints, when the certificate has them.
    constraints: Option<(u32, u32)>,
    /// Which deflated block holds the certificate, and where in the inflated block.
    der: (u16, u32, u32),
}

/// One platform's snapshot.
struct StoreData {
    /// The store it becomes.
    kind: StoreKind,
    /// The platform as the data names it (`MICROSOFT_WINDOWS`).
    platform: &'static str,
    /// The platform version, when the data gives one.
    version: Option<&'static str>,
    /// Where the observatory read it.
    url: &'static str,
    /// When the observatory read it (`YYYY-MM-DD`).
    fetched: &'static str,
    /// The trusted certificates, as indexes into [`index::CERTS`].
    trusted: &'static [u16],
    /// The SHA-256 of every certificate the platform blocks.
    blocked: &'static [[u8; 32]],
}

/// The anchors' parts, raw (a check reads them without inflating anything).
static ANCHORS: &[u8] = include_bytes!("../../../data/trust-stores/anchors.bin");
/// The certificates, deflated block by block (ranges in [`index::BLOCKS`]).
static CERTIFICATES: &[u8] = include_bytes!("../../../data/trust-stores/certificates.deflate");

/// The platform store kinds, in report order.
pub const KINDS: [StoreKind; 5] = [
    StoreKind::Apple,
    StoreKind::Android,
    StoreKind::Windows,
    StoreKind::Mozilla,
    StoreKind::JavaOpenjdk,
];

/// What `certcheck stores` says about a platform snapshot.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Provenance {
    /// The platform as the data names it.
    pub platform: &'static str,
    /// The platform version, when known.
    pub version: Option<&'static str>,
    /// Where the list was read.
    pub url: &'static str,
    /// When it was read (`YYYY-MM-DD`).
    pub fetched: &'static str,
    /// How many certificates it trusts.
    pub trusted: usize,
    /// How many certificates it blocks.
    pub blocked: usize,
}

fn data(kind: StoreKind) -> Option<&'static StoreData> {
    index::STORES.iter().find(|s| s.kind == kind)
}

/// The provenance of the snapshot behind `kind` (`None` for a store that is not a platform's).
pub fn provenance(kind: StoreKind) -> Option<Provenance> {
    let store = data(kind)?;
    Some(Provenance {
        platform: store.platform,
        version: store.version,
        url: store.url,
        fetched: store.fetched,
        trusted: store.trusted.len(),
        blocked: store.blocked.len(),
    })
}

/// The observatory commit the snapshot was taken from (recorded in `data/trust-stores/README.md`).
pub const OBSERVATORY_COMMIT: &str = "5be93b9522946efd1d857e610a00f677ef619e1d";

fn bytes(range: (u32, u32)) -> Option<&'static [u8]> {
    let start = usize::try_from(range.0).ok()?;
    let end = start.checked_add(usize::try_from(range.1).ok()?)?;
    ANCHORS.get(start..end)
}

/// The platform store of `kind`, built from the index without parsing or inflating anything.
pub fn load_platform(kind: StoreKind) -> TrustStore {
    let Some(store) = data(kind) else {
        return TrustStore::empty(
            kind,
            kind.as_str().to_string(),
            vec![format!("{} is not a platform store", kind.as_str())],
        );
    };
    let mut anchors = Vec::with_capacity(store.trusted.len());
    let mut errors = Vec::new();
    for &index in store.trusted {
        // A certificate a platform both lists and blocks is blocked.
        let sha256 = index::CERTS.get(usize::from(index)).map(|c| c.sha256);
        if sha256.is_some_and(|sha| store.blocked.contains(&sha)) {
            continue;
        }
        match anchor(index) {
            Some(anchor) => anchors.push(anchor),
            None => errors.push(format!(
                "{}: entry {index} of the embedded index is out of range (a build of certcheck with a broken index)",
                kind.as_str()
            )),
        }
    }
    // Short versions name the release (the Java lists are years old); Apple's is a sentence.
    let version = store
        .version
        .filter(|v| v.len() <= 20)
        .map(|v| format!(" {v}"))
        .unwrap_or_default();
    let blocked = if store.blocked.is_empty() {
        String::new()
    } else {
        format!(", {} blocked", store.blocked.len())
    };
    let mut built = TrustStore::empty(
        kind,
        format!(
            "{}{version} as of {} (embedded{blocked})",
            label(kind),
            store.fetched
        ),
        errors,
    );
    built.anchors = anchors;
    built.blocked = store.blocked.to_vec();
    built
}

/// The platform's name for people.
fn label(kind: StoreKind) -> &'static str {
    match kind {
        StoreKind::Apple => "Apple",
        StoreKind::Android => "Android (AOSP)",
        StoreKind::Windows => "Microsoft Windows",
        StoreKind::Mozilla => "Mozilla NSS",
        StoreKind::JavaOpenjdk => "OpenJDK",
        StoreKind::System | StoreKind::Bundled | StoreKind::Custom => kind.as_str(),
    }
}

fn anchor(index: u16) -> Option<Anchor> {
    let cert = index::CERTS.get(usize::from(index))?;
    let trust_anchor = TrustAnchor {
        subject: Der::from_slice(bytes(cert.subject)?),
        subject_public_key_info: Der::from_slice(bytes(cert.spki)?),
        name_constraints: match cert.constraints {
            Some(range) => Some(Der::from_slice(bytes(range)?)),
            None => None,
        },
    };
    Some(Anchor::embedded(trust_anchor, index))
}

/// The inflated blocks, each on first use.
static INFLATED: [OnceLock<Option<Vec<u8>>>; index::BLOCKS.len()] =
    [const { OnceLock::new() }; index::BLOCKS.len()];

/// The DER of embedded certificate `index`, inflating its block on first use.
pub fn der(index: u16) -> Option<&'static [u8]> {
    let cert = index::CERTS.get(usize::from(index))?;
    let (block, offset, len) = cert.der;
    let slot = INFLATED.get(usize::from(block))?;
    let inflated = slot
        .get_or_init(|| {
            let (start, size) = *index::BLOCKS.get(usize::from(block))?;
            let start = usize::try_from(start).ok()?;
            let end = start.checked_add(usize::try_from(size).ok()?)?;
            miniz_oxide::inflate::decompress_to_vec(CERTIFICATES.get(start..end)?).ok()
        })
        .as_deref()?;
    let start = usize::try_from(offset).ok()?;
    inflated.get(start..start.checked_add(usize::try_from(len).ok()?)?)
}

impl TrustStore {
    /// A store of `kind` with no anchors yet.
    pub fn empty(kind: StoreKind, source: String, errors: Vec<String>) -> TrustStore {
        TrustStore {
            kind,
            source,
            anchors: Vec::new(),
            errors,
            file: None,
            blocked: Vec::new(),
            rustls_verifier: RustlsVerifier::default(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_store_gives_its_anchors_without_parsing_and_inflates_one_on_demand() {
        let counts: Vec<(StoreKind, usize, usize)> = KINDS
            .iter()
            .map(|kind| {
                let store = load_platform(*kind);
                assert!(store.errors.is_empty(), "{:?}", store.errors);
                (*kind, store.anchors.len(), store.blocked.len())
            })
            .collect();
        assert_eq!(
            counts,
            [
                (StoreKind::Apple, 156, 0),
                (StoreKind::Android, 145, 0),
                (StoreKind::Windows, 331, 218),
                (StoreKind::Mozilla, 121, 0),
                (StoreKind::JavaOpenjdk, 89, 38),
            ]
        );
        // The anchor's certificate is inflated when looked at, and is the certificate named.
        let android = load_platform(StoreKind::Android);
        let isrg = android
            .anchors
            .iter()
            .find(|a| a.subject() == "C=US, O=Internet Security Research Group, CN=ISRG Root X1")
            .expect("ISRG Root X1 in Android's store");
        let info = isrg.info().expect("inflates and parses");
        assert_eq!(
            info.sha256.to_string(),
            "96bcec06264976f37460779acf28c5a7cfe8a3c0aae11a8ffcee05c0bddf08c6"
        );
        let java = provenance(StoreKind::JavaOpenjdk).expect("a platform store");
        assert_eq!(java.fetched, "2022-01-23");
        assert_eq!(java.version, Some("jdk-17.0.2"));
        assert!(provenance(StoreKind::System).is_none());
    }
}
