//! The system store: where rustls-native-certs finds it (`SSL_CERT_FILE`, `SSL_CERT_DIR`,
//! openssl-probe) and loading it the way rustls-native-certs does, on every core.

use std::path::{Path, PathBuf};

use rustls::pki_types::CertificateDer;

use super::store::{StoreKind, TrustStore};
use crate::config::SystemStoreEnv;

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
}
