//! Trust stores: `system` (rustls-native-certs), `bundled` (webpki-roots) and `custom` (`--ca-file`).
//!
//! Loading is partial-success, like rustls-native-certs: what loads is used, what does not is
//! reported beside it, and a store that cannot be loaded at all is a store with no anchors and an
//! error, never an abort.

use std::path::{Path, PathBuf};

use rustls::pki_types::{CertificateDer, TrustAnchor};
use serde::Serialize;

use crate::chain::file::load_file;

/// Which kind of store, as named in the contract.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, serde::Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum StoreKind {
    /// The platform store (honours `SSL_CERT_FILE`/`SSL_CERT_DIR`).
    System,
    /// The Mozilla root program via webpki-roots.
    Bundled,
    /// A `--ca-file`.
    Custom,
}

impl StoreKind {
    /// The contract name.
    pub fn as_str(self) -> &'static str {
        match self {
            StoreKind::System => "system",
            StoreKind::Bundled => "bundled",
            StoreKind::Custom => "custom",
        }
    }
}

/// One trust anchor with the raw forms used for matching.
#[derive(Clone, Debug)]
pub struct Anchor {
    /// The webpki anchor.
    pub anchor: TrustAnchor<'static>,
    /// The full certificate, when the store has it (webpki-roots only has name and key).
    pub der: Option<Vec<u8>>,
    /// Subject name as a complete DER `Name` (SEQUENCE included), comparable to `CertInfo::issuer_raw`.
    pub subject_raw: Vec<u8>,
    /// SubjectPublicKeyInfo as complete DER.
    pub spki_der: Vec<u8>,
    /// The parsed certificate, computed on first use (most anchors are never looked at).
    parsed: std::sync::OnceLock<Option<Box<crate::chain::CertInfo>>>,
}

impl Anchor {
    fn from_trust_anchor(anchor: TrustAnchor<'static>, der: Option<Vec<u8>>) -> Anchor {
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
                let der = self.der.as_ref()?;
                crate::chain::parse_certificate(der).ok().map(Box::new)
            })
            .as_deref()
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
        }
    }
}

/// Where the system store comes from, as rustls-native-certs will see it.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SystemStoreEnv {
    /// `SSL_CERT_FILE`, when set.
    pub cert_file: Option<PathBuf>,
    /// `SSL_CERT_DIR`, when set.
    pub cert_dir: Option<PathBuf>,
}

/// Where the system store is read from, as rustls-native-certs decides it on Unix.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SystemSources {
    /// The bundle file, if any.
    pub file: Option<PathBuf>,
    /// The hashed directories, if any.
    pub dirs: Vec<PathBuf>,
    /// `SSL_CERT_FILE`/`SSL_CERT_DIR` decided it (otherwise openssl-probe's search did).
    pub from_env: bool,
}

/// The files and directories the system store comes from, as rustls-native-certs chooses them:
/// `SSL_CERT_FILE` and the non-empty entries of `SSL_CERT_DIR` when either gives something,
/// otherwise openssl-probe's search.
pub fn system_sources(env: &SystemStoreEnv) -> SystemSources {
    let dirs: Vec<PathBuf> = env
        .cert_dir
        .as_ref()
        .map(|d| {
            std::env::split_paths(d)
                .filter(|p| !p.as_os_str().is_empty())
                .collect()
        })
        .unwrap_or_default();
    if env.cert_file.is_some() || !dirs.is_empty() {
        return SystemSources {
            file: env.cert_file.clone(),
            dirs,
            from_env: true,
        };
    }
    let probe = openssl_probe::probe();
    SystemSources {
        file: probe.cert_file,
        dirs: probe.cert_dir,
        from_env: false,
    }
}

/// What rustls-native-certs' loader does with `sources`, in its order: the bundle file, then
/// each directory's entries that resolve to a regular file not read before (by device and inode),
/// each file read by rustls-native-certs itself; certificates sorted and deduplicated. The only
/// difference is that the files are read on every core: a single check waits for this store, and
/// Debian's /etc/ssl/certs alone has 290 entries.
pub fn load_native(sources: &SystemSources) -> (Vec<CertificateDer<'static>>, Vec<String>) {
    use std::os::unix::fs::MetadataExt;
    /// One step of the walk: a file to read, or an error met on the way.
    enum Step {
        Read(PathBuf),
        Failed(String),
    }
    let io_error = |context: &str, err: &std::io::Error, path: &Path| {
        format!("{context}: {err} at '{}'", path.display())
    };
    let mut seen = std::collections::HashSet::new();
    let mut steps = Vec::new();
    if let Some(file) = &sources.file {
        if let Ok(meta) = std::fs::metadata(file) {
            seen.insert((meta.dev(), meta.ino()));
        }
        steps.push(Step::Read(file.clone()));
    }
    for dir in &sources.dirs {
        let entries = match std::fs::read_dir(dir) {
            Ok(entries) => entries,
            Err(err) => {
                steps.push(Step::Failed(io_error("opening directory", &err, dir)));
                continue;
            }
        };
        let mut paths = Vec::new();
        for entry in entries {
            match entry {
                Ok(entry) => paths.push(Ok(entry.path())),
                Err(err) => paths.push(Err(io_error("reading directory entries", &err, dir))),
            }
        }
        // Symlinks are resolved, as `openssl rehash` makes them.
        let metadata = crate::par::map_parts(&paths, 64, |_, part| {
            part.iter()
                .map(|p| p.as_ref().ok().map(std::fs::metadata))
                .collect::<Vec<_>>()
        });
        for (path, meta) in paths.into_iter().zip(metadata.into_iter().flatten()) {
            match (path, meta) {
                (Err(message), _) => steps.push(Step::Failed(message)),
                (Ok(path), Some(Ok(meta))) => {
                    if meta.is_file() && seen.insert((meta.dev(), meta.ino())) {
                        steps.push(Step::Read(path));
                    }
                }
                (Ok(_), Some(Err(err))) if err.kind() == std::io::ErrorKind::NotFound => {}
                (Ok(path), Some(Err(err))) => {
                    steps.push(Step::Failed(io_error("failed to open file", &err, &path)))
                }
                (Ok(_), None) => {}
            }
        }
    }
    let results = crate::par::map_parts(&steps, 16, |_, part| {
        part.iter()
            .map(|step| match step {
                Step::Read(path) => {
                    let read = rustls_native_certs::load_certs_from_paths(Some(path), None);
                    (
                        read.certs,
                        read.errors.iter().map(|e| e.to_string()).collect(),
                    )
                }
                Step::Failed(message) => (Vec::new(), vec![message.clone()]),
            })
            .collect::<Vec<_>>()
    });
    let mut certs = Vec::new();
    let mut errors = Vec::new();
    for (file_certs, file_errors) in results.into_iter().flatten() {
        certs.extend(file_certs);
        errors.extend(file_errors);
    }
    certs.sort_unstable_by(|a, b| a.as_ref().cmp(b.as_ref()));
    certs.dedup();
    (certs, errors)
}

/// Loads the platform store as rustls-native-certs does (see [`load_native`]).
pub fn load_system(env: &SystemStoreEnv) -> TrustStore {
    let sources = system_sources(env);
    let source = if sources.from_env {
        let mut parts = Vec::new();
        if let Some(f) = &env.cert_file {
            parts.push(format!("SSL_CERT_FILE={}", f.display()));
        }
        if let Some(d) = &env.cert_dir {
            parts.push(format!("SSL_CERT_DIR={}", d.display()));
        }
        parts.join(" ")
    } else {
        let mut found: Vec<String> = sources
            .file
            .iter()
            .chain(&sources.dirs)
            .map(|p| p.display().to_string())
            .collect();
        if found.is_empty() {
            found.push("nothing found".into());
        }
        format!("platform store ({})", found.join(", "))
    };
    let (certs, errors) = load_native(&sources);
    let ders = certs
        .into_iter()
        .enumerate()
        .map(|(i, c)| (c.as_ref().to_vec(), format!("system certificate {}", i + 1)))
        .collect();
    let mut store = TrustStore::from_ders(StoreKind::System, source, ders);
    store.errors.extend(errors);
    if store.anchors.is_empty() && store.errors.is_empty() {
        store
            .errors
            .push("no certificates were found in the system store".into());
    }
    store
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
    }
}

/// A `--ca-file`: every certificate in it is an anchor; bad entries are reported with their position.
pub fn load_custom(path: &Path) -> TrustStore {
    let source = path.display().to_string();
    match load_file(path) {
        Ok(loaded) => {
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
            store
        }
        Err(err) => TrustStore {
            kind: StoreKind::Custom,
            source,
            anchors: Vec::new(),
            errors: vec![err.to_string()],
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn system_store_reads_as_rustls_native_certs_does() {
        let pem = |der: &[u8]| pem::encode(&pem::Pem::new("CERTIFICATE", der.to_vec()));
        let certs: Vec<Vec<u8>> = (0..3)
            .map(|i| {
                let key = rcgen::KeyPair::generate().unwrap();
                let params = rcgen::CertificateParams::new(vec![format!("r{i}.test")]).unwrap();
                params.self_signed(&key).unwrap().der().to_vec()
            })
            .collect();
        let tmp = tempfile::tempdir().unwrap();
        let bundle = tmp.path().join("bundle.pem");
        std::fs::write(&bundle, format!("{}{}", pem(&certs[0]), pem(&certs[1]))).unwrap();
        let dir = tmp.path().join("certs");
        std::fs::create_dir(&dir).unwrap();
        std::os::unix::fs::symlink(&bundle, dir.join("bundle-link.pem")).unwrap();
        std::fs::write(dir.join("two.pem"), pem(&certs[2])).unwrap();
        std::os::unix::fs::symlink(dir.join("two.pem"), dir.join("abcd1234.0")).unwrap();
        std::fs::write(dir.join("again.pem"), pem(&certs[0])).unwrap();
        std::os::unix::fs::symlink(dir.join("missing.pem"), dir.join("dangling.0")).unwrap();
        std::fs::write(dir.join("broken.pem"), "-----BEGIN CERTIFICATE-----\n!!\n").unwrap();
        std::fs::create_dir(dir.join("subdir")).unwrap();
        for (file, dirs) in [
            (Some(bundle.clone()), vec![dir.clone()]),
            (None, vec![dir.clone()]),
            (Some(bundle.clone()), vec![]),
            (
                Some(tmp.path().join("nope.pem")),
                vec![tmp.path().join("nodir")],
            ),
        ] {
            let expected = rustls_native_certs::load_certs_from_paths(
                file.as_deref(),
                dirs.first().map(|d| d.as_path()),
            );
            let sources = SystemSources {
                file,
                dirs,
                from_env: true,
            };
            let (got, errors) = load_native(&sources);
            assert_eq!(got, expected.certs);
            let expected: Vec<String> = expected.errors.iter().map(|e| e.to_string()).collect();
            assert_eq!(errors, expected);
        }
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
