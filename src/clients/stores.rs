//! Which store each client uses and why: a `--ca-file` when given (as if passed to the client),
//! otherwise the client's own default on this machine, read from the environment exactly as that
//! client reads it. Stores that only a client uses (`REQUESTS_CA_BUNDLE`, `NODE_EXTRA_CA_CERTS`...)
//! are loaded here, once per run.

use std::path::{Path, PathBuf};

use super::Client;
use super::profiles::{PROFILES, Profile};
use crate::chain::Fingerprint;
use crate::config::ClientEnv;
use crate::trust::store::{load_bundled, load_chrome_root_store, load_custom, load_java_keystore};
use crate::trust::{StoreKind, TrustStore};

/// Where a client looks for trust anchors when no `--ca-file` is given.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StoreRule {
    /// requests: `REQUESTS_CA_BUNDLE`, else `CURL_CA_BUNDLE`, else certifi (the Mozilla set).
    Requests,
    /// curl: `CURL_CA_BUNDLE`, else the CA bundle compiled into Debian's curl
    /// ([`DEBIAN_CA_BUNDLE`], `curl-config --ca`), which `SSL_CERT_FILE`/`SSL_CERT_DIR` do not
    /// replace (measured by the conformance case `system-store-root`).
    Curl,
    /// OpenSSL's default store (`SSL_CERT_FILE`/`SSL_CERT_DIR` replace it).
    OpensslDefault,
    /// Node: its own Mozilla set, plus `NODE_EXTRA_CA_CERTS`.
    Node,
    /// Java: its `cacerts` keystore, read as the JDK reads it.
    Java,
    /// Go: `SSL_CERT_FILE`, and every file of `SSL_CERT_DIR` or else `/etc/ssl/certs`: the
    /// system store.
    GoSystem,
    /// GnuTLS on Debian: the system CA bundle compiled in ([`DEBIAN_CA_BUNDLE`],
    /// `--with-default-trust-store-file`), whatever `SSL_CERT_FILE`/`SSL_CERT_DIR` say (measured
    /// by the conformance case `system-store-root`).
    GnutlsSystem,
    /// rustls with webpki-roots compiled in (uv, deno, reqwest's `rustls-tls`): the Mozilla set.
    WebpkiRoots,
    /// Chromium on Linux: the Chrome Root Store plus the CAs trusted (`C,,`) in the NSS user
    /// database `~/.pki/nssdb`; neither `/etc/ssl/certs` nor any variable (client-rules.md 2.6,
    /// chromium `net/cert/internal/system_trust_store.cc`). The NSS database is not read: the
    /// Chrome Root Store alone is modelled, and the reason says so.
    ChromeRootStore,
    /// Firefox: its built-in roots (the Mozilla set, certcheck's bundled store) and the
    /// profile's cert DB; it reads no CA file or environment variable.
    MozillaBuiltins,
    /// A platform's own store, embedded in certcheck (`trust::platform`: Apple, Android's AOSP
    /// store, Windows with its disallowed list), for the profiles predicted from documented
    /// rules.
    Platform(StoreKind),
}

/// Debian's CA bundle, the trust file compiled into its curl and GnuTLS: what they read when
/// `SSL_CERT_FILE`/`SSL_CERT_DIR` point OpenSSL's default store elsewhere.
pub const DEBIAN_CA_BUNDLE: &str = "/etc/ssl/certs/ca-certificates.crt";

/// Which store a client's prediction is made under.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum StoreChoice {
    /// Stores of the report (indexes into the configured stores).
    Configured(Vec<usize>),
    /// A store loaded only for client predictions (index into [`ClientSetup::extra_stores`]).
    Extra(usize),
}

/// A client, its store and why.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ClientStore {
    /// The client.
    pub client: Client,
    /// Its store.
    pub choice: StoreChoice,
    /// Which store and why, for people.
    pub reason: String,
    /// Certificates the client refuses whatever the store (Java's `blocked.certs`), by SHA-256.
    pub blocked: Vec<Fingerprint>,
}

/// How to load a store that only a client uses.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ExtraStore {
    /// A CA file (REQUESTS_CA_BUNDLE, CURL_CA_BUNDLE).
    File(PathBuf),
    /// The bundled Mozilla set plus a file (Node with NODE_EXTRA_CA_CERTS).
    BundledPlus(PathBuf),
    /// Java's `cacerts` keystore.
    JavaKeystore(PathBuf),
    /// The embedded Chrome Root Store.
    ChromeRootStore,
    /// An embedded platform store (`trust::platform`).
    Platform(StoreKind),
}

/// Each client's store choice and the stores only clients use, loaded once per run.
#[derive(Clone, Debug, Default)]
pub struct ClientSetup {
    /// One per client profile, in report order.
    pub choices: Vec<ClientStore>,
    /// Stores loaded only for client predictions.
    pub extra_stores: Vec<TrustStore>,
}

impl ClientSetup {
    /// Chooses each client's store among the configured `stores` from the environment and loads
    /// the stores only clients use.
    pub fn load(env: &ClientEnv, stores: &[TrustStore]) -> ClientSetup {
        let index_of = |kind| stores.iter().position(|s| s.kind == kind).unwrap_or(0);
        let custom: Vec<usize> = stores
            .iter()
            .enumerate()
            .filter(|(_, s)| s.kind == StoreKind::Custom)
            .map(|(i, _)| i)
            .collect();
        let (choices, extra) = choose_stores(
            env,
            index_of(StoreKind::System),
            index_of(StoreKind::Bundled),
            &custom,
        );
        // The same file often backs several variables (REQUESTS_CA_BUNDLE, NODE_EXTRA_CA_CERTS...):
        // read each once.
        let mut files: Vec<(PathBuf, TrustStore)> = Vec::new();
        let mut file = |path: &Path| -> TrustStore {
            if let Some((_, store)) = files.iter().find(|(p, _)| p == path) {
                return store.clone();
            }
            let store = load_custom(path);
            files.push((path.to_path_buf(), store.clone()));
            store
        };
        let extra_stores = extra
            .iter()
            .map(|spec| match spec {
                ExtraStore::File(path) => file(path),
                ExtraStore::JavaKeystore(path) => load_java_keystore(path),
                ExtraStore::ChromeRootStore => load_chrome_root_store(),
                ExtraStore::Platform(kind) => crate::trust::platform::load_platform(*kind),
                ExtraStore::BundledPlus(path) => {
                    let mut store = load_bundled();
                    let added = file(path);
                    store.source = format!("{} + {}", store.source, path.display());
                    store.anchors.extend(added.anchors);
                    store.errors.extend(added.errors);
                    store
                }
            })
            .collect();
        let mut choices = choices;
        if let Some(path) = &env.java_blocked {
            let blocked = read_blocked_certs(path);
            for choice in choices.iter_mut().filter(|c| c.client == Client::Java) {
                choice.blocked = blocked.clone();
            }
        }
        ClientSetup {
            choices,
            extra_stores,
        }
    }
}

/// The SHA-256 fingerprints of a JDK's `blocked.certs` (an `Algorithm=SHA-256` line, then one
/// hex fingerprint per line); lines that are not fingerprints are skipped.
pub fn read_blocked_certs(path: &Path) -> Vec<Fingerprint> {
    let Ok(text) = std::fs::read_to_string(path) else {
        return Vec::new();
    };
    text.lines()
        .filter_map(|line| {
            let hex = line.trim();
            if hex.len() != 64 {
                return None;
            }
            let mut out = [0u8; 32];
            for (byte, pair) in out.iter_mut().zip(hex.as_bytes().chunks_exact(2)) {
                let text = std::str::from_utf8(pair).ok()?;
                *byte = u8::from_str_radix(text, 16).ok()?;
            }
            Some(Fingerprint(out))
        })
        .collect()
}

/// Chooses each client's store: every client uses the `--ca-file` stores when given (as if passed
/// `verify=`, `--cacert`, `ca:`, a truststore; Firefox imports them beside its built-in roots),
/// otherwise its own default on this machine.
///
/// `custom` are the indexes of the `--ca-file` stores; `system` and `bundled` the indexes of
/// those stores among the configured ones.
pub fn choose_stores(
    env: &ClientEnv,
    system: usize,
    bundled: usize,
    custom: &[usize],
) -> (Vec<ClientStore>, Vec<ExtraStore>) {
    let mut extra: Vec<ExtraStore> = Vec::new();
    let choices = PROFILES
        .iter()
        .map(|profile| {
            // An Android app ignores a user-added CA (API 24+, no network_security_config).
            if !custom.is_empty() && profile.store == StoreRule::Platform(StoreKind::Android) {
                let (choice, reason) = default_store(profile, env, system, bundled, &mut extra);
                return ClientStore {
                    client: profile.client,
                    choice,
                    reason: format!(
                        "{reason}; --ca-file not used: {}, which the app ignores unless its network_security_config trusts user CAs (<certificates src=\"user\"/>)",
                        profile.ca_file_as
                    ),
                    blocked: Vec::new(),
                };
            }
            if !custom.is_empty() {
                let mut list = custom.to_vec();
                let mut reason = format!("custom: --ca-file, as if given {}", profile.ca_file_as);
                // Firefox adds an imported CA to its built-in roots; it replaces nothing.
                if profile.store == StoreRule::MozillaBuiltins && !list.contains(&bundled) {
                    list.push(bundled);
                    reason.push_str(", beside its built-in roots (bundled)");
                }
                return ClientStore {
                    client: profile.client,
                    choice: StoreChoice::Configured(list),
                    reason,
                    blocked: Vec::new(),
                };
            }
            let (choice, reason) = default_store(profile, env, system, bundled, &mut extra);
            ClientStore {
                client: profile.client,
                choice,
                reason,
                blocked: Vec::new(),
            }
        })
        .collect();
    (choices, extra)
}

/// The store a client uses without `--ca-file`, and why.
fn default_store(
    profile: &Profile,
    env: &ClientEnv,
    system: usize,
    bundled: usize,
    extra: &mut Vec<ExtraStore>,
) -> (StoreChoice, String) {
    let mut extra_store = |store: ExtraStore| {
        let index = match extra.iter().position(|e| *e == store) {
            Some(i) => i,
            None => {
                extra.push(store);
                extra.len() - 1
            }
        };
        StoreChoice::Extra(index)
    };
    let system_reason = if env.ssl_cert_env {
        "system: SSL_CERT_FILE/SSL_CERT_DIR are set and replace OpenSSL's default store"
    } else {
        "system: OpenSSL's default store (SSL_CERT_FILE and SSL_CERT_DIR are not set)"
    };
    let system_store = || (StoreChoice::Configured(vec![system]), system_reason.into());
    match profile.store {
        StoreRule::Requests => match (&env.requests_ca_bundle, &env.curl_ca_bundle) {
            (Some(path), _) => (
                extra_store(ExtraStore::File(path.clone())),
                format!("REQUESTS_CA_BUNDLE={}", path.display()),
            ),
            (None, Some(path)) => (
                extra_store(ExtraStore::File(path.clone())),
                format!(
                    "CURL_CA_BUNDLE={} (REQUESTS_CA_BUNDLE is not set)",
                    path.display()
                ),
            ),
            (None, None) => (
                StoreChoice::Configured(vec![bundled]),
                "bundled: certifi's Mozilla set (REQUESTS_CA_BUNDLE and CURL_CA_BUNDLE are not set)"
                    .into(),
            ),
        },
        StoreRule::Curl => match &env.curl_ca_bundle {
            Some(path) => (
                extra_store(ExtraStore::File(path.clone())),
                format!("CURL_CA_BUNDLE={}", path.display()),
            ),
            None if env.ssl_cert_env => (
                extra_store(ExtraStore::File(DEBIAN_CA_BUNDLE.into())),
                format!("curl's compiled-in CA bundle {DEBIAN_CA_BUNDLE}: it ignores SSL_CERT_FILE and SSL_CERT_DIR (CURL_CA_BUNDLE is not set)"),
            ),
            None => system_store(),
        },
        StoreRule::OpensslDefault => system_store(),
        StoreRule::Node => match &env.node_extra_ca_certs {
            Some(path) => (
                extra_store(ExtraStore::BundledPlus(path.clone())),
                format!(
                    "Node's bundled Mozilla set plus NODE_EXTRA_CA_CERTS={}",
                    path.display()
                ),
            ),
            None => (
                StoreChoice::Configured(vec![bundled]),
                "bundled: Node's own Mozilla set (NODE_EXTRA_CA_CERTS is not set)".into(),
            ),
        },
        StoreRule::GoSystem => (
            StoreChoice::Configured(vec![system]),
            "system: Go reads SSL_CERT_FILE and SSL_CERT_DIR (else /etc/ssl/certs)".into(),
        ),
        StoreRule::GnutlsSystem if env.ssl_cert_env => (
            extra_store(ExtraStore::File(DEBIAN_CA_BUNDLE.into())),
            format!("GnuTLS's compiled-in trust file {DEBIAN_CA_BUNDLE}: it ignores SSL_CERT_FILE and SSL_CERT_DIR"),
        ),
        StoreRule::GnutlsSystem => (
            StoreChoice::Configured(vec![system]),
            "system: GnuTLS's default trust list, Debian's CA bundle".into(),
        ),
        StoreRule::WebpkiRoots => (
            StoreChoice::Configured(vec![bundled]),
            "bundled: webpki-roots, the Mozilla set compiled into the client".into(),
        ),
        StoreRule::ChromeRootStore => (
            extra_store(ExtraStore::ChromeRootStore),
            "the Chrome Root Store (version 12, as embedded); CAs a user trusted in ~/.pki/nssdb are not read (give them as --ca-file)".into(),
        ),
        StoreRule::Platform(kind) => (
            extra_store(ExtraStore::Platform(kind)),
            match kind {
                StoreKind::Apple => "the Apple trust store (as embedded); Keychain trust settings are not read (give them as --ca-file)",
                StoreKind::Android => "the Android (AOSP) system store (as embedded); user-added CAs are not trusted by apps targeting API 24+",
                _ => "the Windows root store and its disallowed list (as embedded); roots an administrator added are not read (give them as --ca-file)",
            }
            .into(),
        ),
        StoreRule::MozillaBuiltins => (
            StoreChoice::Configured(vec![bundled]),
            "bundled: Firefox's built-in roots, the Mozilla set (it reads no CA file or environment variable)".into(),
        ),
        StoreRule::Java => match &env.java_cacerts {
            Some(path) => (
                extra_store(ExtraStore::JavaKeystore(path.clone())),
                format!("Java's cacerts at {} (its trusted entries)", path.display()),
            ),
            None => (
                StoreChoice::Configured(vec![bundled]),
                "no Java cacerts found: assumed the JDK's default cacerts, modelled as the Mozilla set"
                    .into(),
            ),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reasons(env: &ClientEnv, custom: &[usize]) -> Vec<(Client, StoreChoice, String)> {
        choose_stores(env, 0, 1, custom)
            .0
            .into_iter()
            .map(|c| (c.client, c.choice, c.reason))
            .collect()
    }

    #[test]
    fn a_ca_file_is_every_clients_store() {
        for (client, choice, reason) in reasons(&ClientEnv::default(), &[2, 3]) {
            let expected = match client {
                Client::Firefox => vec![2, 3, 1],
                // An Android app ignores a user CA: its own store, and the reason says why.
                Client::Android => {
                    assert_eq!(choice, StoreChoice::Extra(0));
                    assert!(reason.ends_with("--ca-file not used: PATH installed as a user CA, which the app ignores unless its network_security_config trusts user CAs (<certificates src=\"user\"/>)"), "{reason}");
                    continue;
                }
                _ => vec![2, 3],
            };
            assert_eq!(choice, StoreChoice::Configured(expected), "{client:?}");
            assert!(
                reason.starts_with("custom: --ca-file, as if given "),
                "{reason}"
            );
        }
    }

    #[test]
    fn without_environment_each_client_takes_its_own_default() {
        let got = reasons(&ClientEnv::default(), &[]);
        let stores: Vec<StoreChoice> = got.iter().map(|(_, c, _)| c.clone()).collect();
        let system = StoreChoice::Configured(vec![0]);
        let bundled = StoreChoice::Configured(vec![1]);
        assert_eq!(
            stores,
            [
                bundled.clone(),
                system.clone(),
                system.clone(),
                system.clone(),
                bundled.clone(),
                bundled.clone(),
                system.clone(),
                bundled.clone(),
                system.clone(),
                system,
                StoreChoice::Extra(0),
                bundled,
                StoreChoice::Extra(1),
                StoreChoice::Extra(2),
                StoreChoice::Extra(3),
            ]
        );
        assert_eq!(
            got[1].2,
            "system: OpenSSL's default store (SSL_CERT_FILE and SSL_CERT_DIR are not set)"
        );
    }

    #[test]
    fn one_file_behind_several_variables_is_one_extra_store() {
        let env = ClientEnv {
            requests_ca_bundle: Some("/corp.pem".into()),
            curl_ca_bundle: Some("/corp.pem".into()),
            node_extra_ca_certs: Some("/corp.pem".into()),
            ssl_cert_env: true,
            java_cacerts: Some("/etc/ssl/certs/java/cacerts".into()),
            java_blocked: None,
        };
        let (choices, extra) = choose_stores(&env, 0, 1, &[]);
        assert_eq!(
            extra,
            [
                ExtraStore::File("/corp.pem".into()),
                ExtraStore::BundledPlus("/corp.pem".into()),
                ExtraStore::JavaKeystore("/etc/ssl/certs/java/cacerts".into()),
                // GnuTLS ignores SSL_CERT_FILE/SSL_CERT_DIR: its compiled-in bundle.
                ExtraStore::File(DEBIAN_CA_BUNDLE.into()),
                ExtraStore::ChromeRootStore,
                ExtraStore::Platform(StoreKind::Apple),
                ExtraStore::Platform(StoreKind::Android),
                ExtraStore::Platform(StoreKind::Windows),
            ]
        );
        assert_eq!(choices[8].choice, StoreChoice::Extra(3));
        assert_eq!(
            choices[8].reason,
            "GnuTLS's compiled-in trust file /etc/ssl/certs/ca-certificates.crt: it ignores SSL_CERT_FILE and SSL_CERT_DIR"
        );
        assert_eq!(choices[0].choice, StoreChoice::Extra(0));
        assert_eq!(choices[0].reason, "REQUESTS_CA_BUNDLE=/corp.pem");
        assert_eq!(choices[2].choice, StoreChoice::Extra(0));
        assert_eq!(choices[4].choice, StoreChoice::Extra(1));
        assert_eq!(choices[5].choice, StoreChoice::Extra(2));
        assert!(
            choices[3]
                .reason
                .contains("SSL_CERT_FILE/SSL_CERT_DIR are set")
        );
    }

    #[test]
    fn curl_and_gnutls_keep_their_compiled_in_bundle_when_ssl_cert_file_is_set() {
        let env = ClientEnv {
            ssl_cert_env: true,
            ..ClientEnv::default()
        };
        let (choices, extra) = choose_stores(&env, 0, 1, &[]);
        let bundle = extra
            .iter()
            .position(|e| *e == ExtraStore::File(DEBIAN_CA_BUNDLE.into()))
            .expect("the compiled-in bundle is an extra store");
        let of = |client: Client| {
            choices
                .iter()
                .find(|c| c.client == client)
                .map(|c| c.choice.clone())
        };
        for client in [Client::Curl, Client::Gnutls, Client::Wget] {
            assert_eq!(of(client), Some(StoreChoice::Extra(bundle)), "{client:?}");
        }
        // OpenSSL's own default store follows the variables (urllib, s_client), and so does Go.
        for client in [Client::PythonUrllib, Client::Openssl, Client::Go] {
            assert_eq!(
                of(client),
                Some(StoreChoice::Configured(vec![0])),
                "{client:?}"
            );
        }
    }

    #[test]
    fn requests_falls_back_to_curls_variable() {
        let env = ClientEnv {
            curl_ca_bundle: Some("/c.pem".into()),
            ..ClientEnv::default()
        };
        let (choices, _) = choose_stores(&env, 0, 1, &[]);
        assert_eq!(
            choices[0].reason,
            "CURL_CA_BUNDLE=/c.pem (REQUESTS_CA_BUNDLE is not set)"
        );
    }

    #[test]
    fn blocked_certs_are_read_as_the_jdk_writes_them() {
        let dir = tempfile::tempdir().expect("dir");
        let path = dir.path().join("blocked.certs");
        let one = "03DB9E5E79FE6117177F81C11595AF598CB176AF766290DBCEB2C318B32E39A2";
        std::fs::write(&path, format!("Algorithm=SHA-256\n{one}\nnot hex\n")).expect("write");
        let blocked = read_blocked_certs(&path);
        assert_eq!(blocked.len(), 1);
        assert_eq!(blocked[0].0[0], 0x03);
        assert_eq!(blocked[0].0[31], 0xA2);
        assert!(read_blocked_certs(&dir.path().join("missing")).is_empty());
    }
}
