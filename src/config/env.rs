//! The process environment certcheck reads, captured once as plain data so that tests can pass
//! their own: the variables that decide the system store and each client's store, and the
//! terminal.

use std::path::PathBuf;

use crate::route::ProxyEnv;

/// The environment that decides which store each client uses, as read from the process.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ClientEnv {
    /// `REQUESTS_CA_BUNDLE`.
    pub requests_ca_bundle: Option<PathBuf>,
    /// `CURL_CA_BUNDLE`.
    pub curl_ca_bundle: Option<PathBuf>,
    /// `NODE_EXTRA_CA_CERTS`.
    pub node_extra_ca_certs: Option<PathBuf>,
    /// `SSL_CERT_FILE` / `SSL_CERT_DIR` are set.
    pub ssl_cert_env: bool,
    /// Java's `cacerts`, when one was found.
    pub java_cacerts: Option<PathBuf>,
    /// The JDK's `lib/security/blocked.certs`, when one was found.
    pub java_blocked: Option<PathBuf>,
}

/// Where the system store comes from, as rustls-native-certs will see it: `SSL_CERT_FILE` and
/// `SSL_CERT_DIR` as set (set but empty still counts, as the crate reads them).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SystemStoreEnv {
    /// `SSL_CERT_FILE`, when set.
    pub cert_file: Option<PathBuf>,
    /// `SSL_CERT_DIR`, when set.
    pub cert_dir: Option<PathBuf>,
}

/// The environment certcheck reads, captured so tests can pass their own.
#[derive(Clone, Debug, Default)]
pub struct Env {
    /// `SSL_CERT_FILE`/`SSL_CERT_DIR` (informational: rustls-native-certs reads them itself).
    pub system_store: SystemStoreEnv,
    /// What decides each client profile's store.
    pub clients: ClientEnv,
    /// The proxy variables, as each client reads them (and certcheck, as curl does).
    pub proxy: ProxyEnv,
    /// stderr is a terminal (for the progress bar).
    pub stderr_is_terminal: bool,
    /// `NO_COLOR` is set and not empty.
    pub no_color: bool,
    /// stdout is a terminal.
    pub stdout_is_terminal: bool,
    /// `COLUMNS`, when it is a usable width (20 to 1000).
    pub columns: Option<u16>,
    /// The terminal's width, when stdout is one.
    pub terminal_width: Option<u16>,
    /// `CERTCHECK_P12_PASSWORD`, the password of PKCS#12 files when `--password` is not given
    /// (set but empty is the empty password).
    pub p12_password: Option<super::Password>,
}

impl Env {
    /// Reads the process environment.
    pub fn from_process() -> Env {
        use std::io::IsTerminal;
        let non_empty = |name: &str| std::env::var_os(name).filter(|v| !v.is_empty());
        let var = |name: &str| std::env::var_os(name).map(|v| v.to_string_lossy().into_owned());
        Env {
            // As rustls-native-certs reads them: set but empty still counts.
            system_store: SystemStoreEnv {
                cert_file: std::env::var_os("SSL_CERT_FILE").map(PathBuf::from),
                cert_dir: std::env::var_os("SSL_CERT_DIR").map(PathBuf::from),
            },
            no_color: non_empty("NO_COLOR").is_some(),
            clients: ClientEnv {
                requests_ca_bundle: non_empty("REQUESTS_CA_BUNDLE").map(PathBuf::from),
                curl_ca_bundle: non_empty("CURL_CA_BUNDLE").map(PathBuf::from),
                node_extra_ca_certs: non_empty("NODE_EXTRA_CA_CERTS").map(PathBuf::from),
                ssl_cert_env: non_empty("SSL_CERT_FILE").is_some()
                    || non_empty("SSL_CERT_DIR").is_some(),
                java_cacerts: find_java_cacerts(non_empty("JAVA_HOME").map(PathBuf::from)),
                java_blocked: java_homes(non_empty("JAVA_HOME").map(PathBuf::from))
                    .map(|home| home.join("lib/security/blocked.certs"))
                    .find(|candidate| candidate.is_file()),
            },
            // Set but empty is kept: Python treats an empty lower-case variable as "no proxy".
            proxy: ProxyEnv {
                https_proxy: var("https_proxy"),
                https_proxy_upper: var("HTTPS_PROXY"),
                all_proxy: var("all_proxy"),
                all_proxy_upper: var("ALL_PROXY"),
                no_proxy: var("no_proxy"),
                no_proxy_upper: var("NO_PROXY"),
            },
            stdout_is_terminal: std::io::stdout().is_terminal(),
            p12_password: std::env::var_os("CERTCHECK_P12_PASSWORD")
                .map(|v| super::Password(v.to_string_lossy().into_owned())),
            stderr_is_terminal: std::io::stderr().is_terminal(),
            columns: non_empty("COLUMNS").and_then(|v| parse_columns(&v.to_string_lossy())),
            terminal_width: comfy_table::Table::new().width(),
        }
    }
}

/// `COLUMNS` as a table width: a number from 20 to 1000, else ignored (as `ls` ignores a bad one).
fn parse_columns(value: &str) -> Option<u16> {
    value
        .trim()
        .parse::<u16>()
        .ok()
        .filter(|n| (20..=1000).contains(n))
}

/// Java's `cacerts`: under `$JAVA_HOME`, next to the `java` on `PATH`, or Debian's shared copy.
fn find_java_cacerts(java_home: Option<PathBuf>) -> Option<PathBuf> {
    java_homes(java_home)
        .map(|home| home.join("lib/security/cacerts"))
        .chain(std::iter::once(PathBuf::from(
            "/etc/ssl/certs/java/cacerts",
        )))
        .find(|candidate| candidate.is_file())
}

/// The JDKs to look in: `$JAVA_HOME`, then the one of the `java` on `PATH`.
fn java_homes(java_home: Option<PathBuf>) -> impl Iterator<Item = PathBuf> {
    let beside_java = std::env::var_os("PATH").and_then(|path| {
        std::env::split_paths(&path)
            .map(|dir| dir.join("java"))
            .find(|java| java.is_file())
            .and_then(|java| std::fs::canonicalize(java).ok())
            .and_then(|java| Some(java.parent()?.parent()?.to_path_buf()))
    });
    java_home.into_iter().chain(beside_java)
}
