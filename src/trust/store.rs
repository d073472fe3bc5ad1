//! Trust stores: `system` (rustls-native-certs), `bundled` (webpki-roots) and `custom` (`--ca-file`),
//! their anchors and the lookups on them; the bundled and custom stores are made here, the system
//! store in [`super::load`].
//!
//! Loading is partial-success, like rustls-native-certs: what loads is used, what does not is
//! reported beside it, and a store that cannot be loaded at all is a store with no anchors and an
//! error, never an abort.

use std::path::Path;

use rustls::pki_types::{CertificateDer, TrustAnchor};
use serde::Serialize;

use crate::chain::file::load_file;

/// Which kind of store, as named in the contract.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, Hash, schemars::JsonSchema, Serialize, serde::Deserialize,
)]
#[serde(rename_all = "kebab-case")]
pub enum StoreKind {
    /// The platform store (honours `SSL_CERT_FILE`/`SSL_CERT_DIR`).
    System,
    /// The Mozilla root program via webpki-roots.
    Bundled,
    /// A `--ca-file`.
    Custom,
    /// Apple's platform store, as embedded (`--platform-stores`; a comparison store).
    Apple,
    /// Android's (AOSP) platform store, as embedded.
    Android,
    /// Microsoft Windows' platform store and its blocked (disallowed) list, as embedded.
    Windows,
    /// Mozilla NSS's store, as embedded (the same program as `bundled`, at the data's date).
    Mozilla,
    /// OpenJDK's `cacerts` and `blocked.certs`, as embedded (years old: the data's JDK 17.0.2).
    JavaOpenjdk,
}

impl StoreKind {
    /// The contract name.
    pub fn as_str(self) -> &'static str {
        match self {
            StoreKind::System => "system",
            StoreKind::Bundled => "bundled",
            StoreKind::Custom => "custom",
            StoreKind::Apple => "apple",
            StoreKind::Android => "android",
            StoreKind::Windows => "windows",
            StoreKind::Mozilla => "mozilla",
            StoreKind::JavaOpenjdk => "java-openjdk",
        }
    }

    /// Whether this is an embedded platform store (a comparison store that never decides).
    pub fn is_platform(self) -> bool {
        super::platform::KINDS.contains(&self)
    }
}

/// One trust anchor with the raw forms used for matching.
#[derive(Clone, Debug)]
pub struct Anchor {
    /// The webpki anchor.
    pub anchor: TrustAnchor<'static>,
    /// The full certificate, when the store has it (webpki-roots only has name and key).
    der: AnchorDer,
    /// Subject name as a complete DER `Name` (SEQUENCE included), comparable to `CertInfo::issuer_raw`.
    pub subject_raw: Vec<u8>,
    /// SubjectPublicKeyInfo as complete DER.
    pub spki_der: Vec<u8>,
    /// The parsed certificate, computed on first use (most anchors are never looked at).
    parsed: std::sync::OnceLock<Option<Box<crate::chain::CertInfo>>>,
}

/// Where an anchor's whole certificate is.
#[derive(Clone, Debug)]
enum AnchorDer {
    /// Read with the store (or absent, for webpki-roots).
    Owned(Option<Vec<u8>>),
    /// Embedded certificate of this index, inflated on first use.
    Embedded(u16),
}

impl Anchor {
    /// An anchor of an embedded platform store, whose certificate is inflated when needed.
    pub(super) fn embedded(anchor: TrustAnchor<'static>, index: u16) -> Anchor {
        Anchor::with_der(anchor, AnchorDer::Embedded(index))
    }

    fn from_trust_anchor(anchor: TrustAnchor<'static>, der: Option<Vec<u8>>) -> Anchor {
        Anchor::with_der(anchor, AnchorDer::Owned(der))
    }

    fn with_der(anchor: TrustAnchor<'static>, der: AnchorDer) -> Anchor {
        Anchor {
            subject_raw: wrap_sequence(anchor.subject.as_ref()),
            spki_der: wrap_sequence(anchor.subject_public_key_info.as_ref()),
            anchor,
            der,
            parsed: std::sync::OnceLock::new(),
        }
    }

    /// The parsed certificate, when the store has the whole certificate and it parses.
    pub fn info(&self) -> Option<&crate::chain::CertInfo> {
        self.parsed
            .get_or_init(|| {
                crate::chain::parse_certificate(self.der()?)
                    .ok()
                    .map(Box::new)
            })
            .as_deref()
    }

    /// The whole certificate, when the store has it.
    pub fn der(&self) -> Option<&[u8]> {
        match &self.der {
            AnchorDer::Owned(der) => der.as_deref(),
            AnchorDer::Embedded(index) => super::platform::der(*index),
        }
    }

    /// The subject as a readable distinguished name.
    pub fn subject(&self) -> String {
        name_to_string(&self.subject_raw)
    }
}

/// Decodes a DER `Name` to `CN=..., O=...` form.
pub fn name_to_string(raw: &[u8]) -> String {
    use x509_parser::prelude::FromDer;
    match x509_parser::x509::X509Name::from_der(raw) {
        Ok((_, name)) => name.to_string(),
        Err(_) => "(unparsable name)".into(),
    }
}

/// Wraps DER contents in a SEQUENCE header (webpki keeps names and keys without it).
fn wrap_sequence(contents: &[u8]) -> Vec<u8> {
    let len = contents.len();
    let mut out = vec![0x30];
    if len < 0x80 {
        out.push(len as u8);
    } else {
        let bytes: Vec<u8> = len
            .to_be_bytes()
            .iter()
            .copied()
            .skip_while(|b| *b == 0)
            .collect();
        out.push(0x80 | bytes.len() as u8);
        out.extend(bytes);
    }
    out.extend_from_slice(contents);
    out
}

/// A loaded store.
#[derive(Clone, Debug)]
pub struct TrustStore {
    /// Which store.
    pub kind: StoreKind,
    /// Where it came from, for people (`SSL_CERT_FILE=/etc/ssl/certs/ca-certificates.crt`, a path...).
    pub source: String,
    /// The anchors that loaded.
    pub anchors: Vec<Anchor>,
    /// Entries or locations that failed to load, each a sentence naming the file and position.
    pub errors: Vec<String>,
    /// For a store read from one CA file (`--ca-file`, `REQUESTS_CA_BUNDLE`...): how that file
    /// reads to a client that loads it itself.
    pub file: Option<CaFile>,
    /// The SHA-256 of certificates this store refuses wherever they appear (Windows' disallowed
    /// list, Java's `blocked.certs`): never an anchor or an intermediate, and a leaf is refused.
    pub blocked: Vec<[u8; 32]>,
    /// rustls's verifier over these anchors, built on first use and shared by every target.
    pub rustls_verifier: RustlsVerifier,
}

/// A rustls `WebPkiServerVerifier` built once from a store's anchors (or why it cannot be).
#[derive(Clone, Debug, Default)]
pub struct RustlsVerifier(
    std::sync::OnceLock<Result<std::sync::Arc<rustls::client::WebPkiServerVerifier>, String>>,
);

impl RustlsVerifier {
    /// The verifier, built from `anchors` the first time.
    pub fn get(
        &self,
        anchors: impl FnOnce() -> Vec<TrustAnchor<'static>>,
    ) -> Result<std::sync::Arc<rustls::client::WebPkiServerVerifier>, String> {
        self.0
            .get_or_init(|| {
                let roots = rustls::RootCertStore { roots: anchors() };
                rustls::client::WebPkiServerVerifier::builder_with_provider(
                    std::sync::Arc::new(roots),
                    std::sync::Arc::new(rustls::crypto::ring::default_provider()),
                )
                .build()
                .map_err(|e| e.to_string())
            })
            .clone()
    }
}

/// A CA file as the clients that are given it will read it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CaFile {
    /// The path as given.
    pub path: std::path::PathBuf,
    /// What is in it.
    pub state: CaFileState,
}

/// What a client finds in a CA file.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CaFileState {
    /// There is no file at the path.
    Missing,
    /// It exists but cannot be read (a directory, no permission).
    Unreadable,
    /// It reads, but holds no PEM certificate (empty, other text, or DER, which OpenSSL's
    /// `load_verify_locations` does not read).
    NoPemCertificate,
    /// It holds PEM certificates.
    Pem,
}

impl TrustStore {
    /// webpki anchors, in store order.
    pub fn trust_anchors(&self) -> Vec<TrustAnchor<'static>> {
        self.anchors.iter().map(|a| a.anchor.clone()).collect()
    }

    /// The store failed to load and holds nothing, so it can give no verdict.
    pub fn unusable(&self) -> bool {
        self.anchors.is_empty() && !self.errors.is_empty()
    }

    /// Anchors whose subject is `name_raw` (a complete DER `Name`).
    pub fn anchors_named<'a>(&'a self, name_raw: &'a [u8]) -> impl Iterator<Item = &'a Anchor> {
        self.anchors
            .iter()
            .filter(move |a| a.subject_raw == name_raw)
    }

    /// Whether the store holds exactly this key under this name.
    pub fn holds(&self, subject_raw: &[u8], spki_der: &[u8]) -> bool {
        self.anchors
            .iter()
            .any(|a| a.subject_raw == subject_raw && a.spki_der == spki_der)
    }

    /// A store from DER certificates, each with a position for error messages.
    pub fn from_ders(kind: StoreKind, source: String, ders: Vec<(Vec<u8>, String)>) -> TrustStore {
        let mut anchors = Vec::with_capacity(ders.len());
        let mut errors = Vec::new();
        for (der, position) in ders {
            let cert = CertificateDer::from(der.as_slice());
            match webpki::anchor_from_trusted_cert(&cert) {
                Ok(anchor) => anchors.push(Anchor::from_trust_anchor(anchor.to_owned(), Some(der))),
                Err(err) => {
                    errors.push(format!("{position}: not usable as a trust anchor ({err})"))
                }
            }
        }
        TrustStore {
            kind,
            source,
            anchors,
            errors,
            file: None,
            blocked: Vec::new(),
            rustls_verifier: RustlsVerifier::default(),
        }
    }
}

/// The version of webpki-roots compiled in (checked against Cargo.lock by a unit test).
pub const WEBPKI_ROOTS_VERSION: &str = "1.0.10";

/// The Mozilla root program as compiled into certcheck.
pub fn load_bundled() -> TrustStore {
    TrustStore {
        kind: StoreKind::Bundled,
        source: format!(
            "Mozilla root program (webpki-roots, {} roots)",
            webpki_roots::TLS_SERVER_ROOTS.len()
        ),
        anchors: webpki_roots::TLS_SERVER_ROOTS
            .iter()
            .map(|ta| Anchor::from_trust_anchor(ta.to_owned(), None))
            .collect(),
        errors: Vec::new(),
        file: None,
        blocked: Vec::new(),
        rustls_verifier: RustlsVerifier::default(),
    }
}

/// The start of the Chrome Root Store's `source`: how the `chrome` profile tells its own roots
/// (`is_issued_by_known_root`) from roots imported into the NSS database.
pub const CHROME_ROOT_STORE_SOURCE: &str = "Chrome Root Store";

/// The Chrome Root Store as embedded (`data/chrome-root-store/`, Chromium at commit 1950592,
/// `version_major: 12`, 133 roots; its README says where it comes from and what it lacks).
pub fn load_chrome_root_store() -> TrustStore {
    const PEM: &[u8] = include_bytes!("../../data/chrome-root-store/root_store.pem");
    let ders = match crate::chain::file::load_bytes(PEM) {
        Ok(loaded) => loaded
            .certs
            .into_iter()
            .map(|c| (c.der, format!("root_store.pem: {}", c.position)))
            .collect(),
        Err(_) => Vec::new(),
    };
    let source = format!(
        "{CHROME_ROOT_STORE_SOURCE} (version 12, {} roots, as embedded)",
        ders.len()
    );
    TrustStore::from_ders(StoreKind::Bundled, source, ders)
}

/// The password Java's `cacerts` ships with, which keytool and the JDK use unless told otherwise.
const JAVA_CACERTS_PASSWORD: &str = "changeit";

/// Java's truststore (`cacerts`, a JKS keystore as Debian's ca-certificates-java writes it): its
/// trusted-certificate entries are the anchors. A keystore that cannot be read is a store with
/// no anchors and the reason, like any other.
pub fn load_java_keystore(path: &Path) -> TrustStore {
    let source = format!("Java cacerts at {}", path.display());
    let failed = |why: String| TrustStore {
        kind: StoreKind::System,
        source: source.clone(),
        anchors: Vec::new(),
        errors: vec![format!("{}: {why}", path.display())],
        file: None,
        blocked: Vec::new(),
        rustls_verifier: RustlsVerifier::default(),
    };
    let bytes = match std::fs::read(path) {
        Ok(bytes) => bytes,
        Err(err) => return failed(format!("cannot be read ({err})")),
    };
    // JKS starts with the magic 0xFEEDFEED; the JDK's own cacerts is PKCS#12 since JDK 18
    // (JEP 229 made PKCS#12 the default keystore type in JDK 9).
    if !bytes.starts_with(&[0xFE, 0xED, 0xFE, 0xED]) {
        return match p12_keystore::Pkcs12Archive::from_pkcs12(&bytes, JAVA_CACERTS_PASSWORD) {
            Ok(archive) => {
                let ders = archive
                    .certs
                    .into_iter()
                    .enumerate()
                    .map(|(i, bag)| {
                        let name = bag
                            .friendly_name
                            .unwrap_or_else(|| format!("entry {}", i + 1));
                        (
                            bag.cert.as_der().to_vec(),
                            format!("{}: {name}", path.display()),
                        )
                    })
                    .collect();
                TrustStore::from_ders(StoreKind::System, source, ders)
            }
            Err(err) => failed(format!(
                "is neither a JKS nor a PKCS#12 keystore with the default password ({err})"
            )),
        };
    }
    let mut keystore = jks::KeyStore::new();
    if let Err(err) = keystore.load(bytes.as_slice(), JAVA_CACERTS_PASSWORD.as_bytes()) {
        return failed(format!(
            "is not a JKS keystore with the default password ({err})"
        ));
    }
    let ders = keystore
        .aliases()
        .into_iter()
        .filter_map(|alias| {
            let entry = keystore.get_trusted_certificate_entry(&alias).ok()?;
            Some((
                entry.certificate.content,
                format!("{}: {alias}", path.display()),
            ))
        })
        .collect();
    TrustStore::from_ders(StoreKind::System, source, ders)
}

/// A `--ca-file`: every certificate in it is an anchor; bad entries are reported with their position.
pub fn load_custom(path: &Path) -> TrustStore {
    let source = path.display().to_string();
    match load_file(path) {
        Ok(loaded) => {
            let pem = loaded
                .certs
                .iter()
                .any(|c| matches!(c.position.part, crate::chain::file::Part::PemBlock { .. }));
            let state = if pem {
                CaFileState::Pem
            } else {
                CaFileState::NoPemCertificate
            };
            let ders = loaded
                .certs
                .into_iter()
                .map(|c| (c.der, format!("{source}: {}", c.position)))
                .collect();
            let mut store = TrustStore::from_ders(StoreKind::Custom, source.clone(), ders);
            store.errors.extend(
                loaded
                    .problems
                    .iter()
                    .filter(|p| !p.private_key)
                    .map(|p| format!("{source}: {}: {}", p.position, p.message)),
            );
            store.file = Some(CaFile {
                path: path.to_path_buf(),
                state,
            });
            store
        }
        Err(err) => {
            let state = match std::fs::metadata(path) {
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => CaFileState::Missing,
                Ok(meta) if meta.is_file() => CaFileState::NoPemCertificate,
                _ => CaFileState::Unreadable,
            };
            TrustStore {
                kind: StoreKind::Custom,
                source,
                anchors: Vec::new(),
                errors: vec![err.to_string()],
                file: Some(CaFile {
                    path: path.to_path_buf(),
                    state,
                }),
                blocked: Vec::new(),
                rustls_verifier: RustlsVerifier::default(),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_java_keystore_gives_its_trusted_entries() {
        let root = crate::demo::pki::Authority::root(&crate::demo::pki::Spec::ca(
            "Keystore Root",
            time::macros::datetime!(2030-01-01 00:00:00 UTC),
        ))
        .expect("root");
        let mut keystore = jks::KeyStore::new();
        keystore
            .set_trusted_certificate_entry(
                "keystore-root",
                jks::TrustedCertificateEntry {
                    creation_time: std::time::SystemTime::UNIX_EPOCH,
                    certificate: jks::Certificate {
                        cert_type: "X.509".into(),
                        content: root.der(),
                    },
                },
            )
            .expect("entry");
        let dir = tempfile::tempdir().expect("dir");
        let path = dir.path().join("cacerts");
        let file = std::fs::File::create(&path).expect("create");
        keystore
            .store(file, JAVA_CACERTS_PASSWORD.as_bytes())
            .expect("store");
        let store = load_java_keystore(&path);
        assert_eq!(store.anchors.len(), 1, "{:?}", store.errors);
        assert_eq!(store.kind, StoreKind::System);
        assert_eq!(store.source, format!("Java cacerts at {}", path.display()));
        // Not a keystore: no anchors, and why.
        std::fs::write(&path, b"not a keystore").expect("write");
        let store = load_java_keystore(&path);
        assert!(store.anchors.is_empty());
        assert!(
            store.errors[0].contains("is neither a JKS nor a PKCS#12 keystore"),
            "{:?}",
            store.errors
        );
        // Debian's own, when this machine has one (ca-certificates-java writes JKS).
        let debian = Path::new("/etc/ssl/certs/java/cacerts");
        if debian.is_file() {
            let store = load_java_keystore(debian);
            assert!(store.anchors.len() > 100, "{:?}", store.errors);
        }
    }

    #[test]
    fn a_pkcs12_cacerts_made_by_the_real_keytool_is_read() {
        let root = crate::demo::pki::Authority::root(&crate::demo::pki::Spec::ca(
            "P12 Keystore Root",
            time::OffsetDateTime::now_utc(),
        ))
        .expect("root");
        let dir = tempfile::tempdir().expect("dir");
        let pem = dir.path().join("root.pem");
        std::fs::write(&pem, root.pem()).expect("write");
        let path = dir.path().join("cacerts.p12");
        let status = std::process::Command::new("keytool")
            .args(["-importcert", "-noprompt", "-storetype", "PKCS12", "-alias", "p12-root"])
            .arg("-file")
            .arg(&pem)
            .arg("-keystore")
            .arg(&path)
            .args(["-storepass", JAVA_CACERTS_PASSWORD])
            .env_remove("JAVA_TOOL_OPTIONS")
            .output()
            .expect("keytool runs (the JDK is on this machine; .ci/run's conformance step needs it too)");
        assert!(status.status.success(), "{status:?}");
        let store = load_java_keystore(&path);
        assert_eq!(store.anchors.len(), 1, "{:?}", store.errors);
        assert_eq!(store.anchors[0].subject(), "CN=P12 Keystore Root");
    }

    #[test]
    fn webpki_roots_version_matches_the_lock_file() {
        let lock = include_str!("../../Cargo.lock");
        let entry = format!(
            "name = \"webpki-roots\"\nversion = \"{}\"",
            super::WEBPKI_ROOTS_VERSION
        );
        assert!(lock.contains(&entry), "update WEBPKI_ROOTS_VERSION");
    }
}
