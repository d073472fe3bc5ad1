//! The names of the client profiles and a selection of them (`--client`): plain data that the
//! command line and the configuration can hold before any profile is run.

use serde::{Deserialize, Serialize};

/// A client profile's name.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, schemars::JsonSchema, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Client {
    /// Python `requests` (urllib3 2, certifi).
    PythonRequests,
    /// Python's standard `urllib.request` / `ssl` default context.
    PythonUrllib,
    /// The curl command line tool with OpenSSL.
    Curl,
    /// `openssl s_client -verify_return_error`.
    Openssl,
    /// Node.js `https`.
    Node,
    /// Java (JSSE, PKIX).
    Java,
    /// Go's crypto/x509 and crypto/tls (Docker, kubectl, Terraform, Helm).
    Go,
    /// rustls with webpki-roots (uv, deno, reqwest with rustls).
    Rustls,
    /// GnuTLS (gnutls-cli, apt on Debian).
    Gnutls,
    /// wget, built on GnuTLS on Debian.
    Wget,
    /// Chromium / Chrome (Debian's chromium: Chrome Root Store plus the NSS user database).
    Chrome,
    /// Firefox (mozilla::pkix, NSS).
    Firefox,
    /// Safari / URLSession (Apple's SecTrust over the Apple trust store): predicted from
    /// documented rules, not measured (no Apple platform can run here).
    Safari,
    /// An Android app (Conscrypt / OkHttp over the AOSP store): predicted from documented rules,
    /// not measured.
    Android,
    /// .NET / SChannel on Windows (the Windows root store): predicted from documented rules, not
    /// measured.
    Windows,
}

impl Client {
    /// Every profile, in report order.
    pub const ALL: [Client; 15] = [
        Client::PythonRequests,
        Client::PythonUrllib,
        Client::Curl,
        Client::Openssl,
        Client::Node,
        Client::Java,
        Client::Go,
        Client::Rustls,
        Client::Gnutls,
        Client::Wget,
        Client::Chrome,
        Client::Firefox,
        Client::Safari,
        Client::Android,
        Client::Windows,
    ];

    /// Whether the conformance suite measures this client here. The others (Safari, Android,
    /// Windows) are predicted from documented rules only, so they decide a target's status only
    /// when `--client` names them.
    pub const fn measured(self) -> bool {
        !matches!(self, Client::Safari | Client::Android | Client::Windows)
    }

    /// The contract name.
    pub fn as_str(self) -> &'static str {
        match self {
            Client::PythonRequests => "python-requests",
            Client::PythonUrllib => "python-urllib",
            Client::Curl => "curl",
            Client::Openssl => "openssl",
            Client::Node => "node",
            Client::Java => "java",
            Client::Go => "go",
            Client::Rustls => "rustls",
            Client::Gnutls => "gnutls",
            Client::Wget => "wget",
            Client::Chrome => "chrome",
            Client::Firefox => "firefox",
            Client::Safari => "safari",
            Client::Android => "android",
            Client::Windows => "windows",
        }
    }

    /// The client named `name` (its contract name, or a short form: `requests`, `urllib`).
    pub fn parse(name: &str) -> Option<Client> {
        let name = name.trim().to_ascii_lowercase();
        Client::ALL.into_iter().find(|c| {
            c.as_str() == name || c.as_str().strip_prefix("python-") == Some(name.as_str())
        })
    }
}

impl std::fmt::Display for Client {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The clients that decide a target's status and the exit code (`--client`, default `all`: every
/// measured client; the predicted-only profiles `safari`, `android` and `windows` decide only when
/// named).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Selection(u32);

impl Selection {
    /// Every measured client ([`Client::measured`]): what `all` and the default mean.
    pub const ALL: Selection = {
        let mut bits = 0;
        let mut i = 0;
        while i < Client::ALL.len() {
            if Client::ALL[i].measured() {
                bits |= 1 << Client::ALL[i] as u32;
            }
            i += 1;
        }
        Selection(bits)
    };

    /// No client yet (the start of `--client A --client B`).
    pub const NONE: Selection = Selection(0);

    /// This selection plus `client`.
    pub fn with(self, client: Client) -> Selection {
        Selection(self.0 | 1 << client as u32)
    }

    /// Whether `client` decides.
    pub fn contains(self, client: Client) -> bool {
        self.0 & 1 << client as u32 != 0
    }

    /// Parses `--client` values: client names or `all`; an unknown name says which are valid.
    pub fn parse(values: &[String]) -> Result<Selection, String> {
        if values.is_empty() {
            return Ok(Selection::ALL);
        }
        values.iter().try_fold(Selection::NONE, |selection, value| {
            if value.trim().eq_ignore_ascii_case("all") {
                return Ok(Selection::ALL);
            }
            match Client::parse(value) {
                Some(client) => Ok(selection.with(client)),
                None => Err(format!(
                    "'{value}' is not a client; valid: all, {}",
                    Client::ALL.map(Client::as_str).join(", ")
                )),
            }
        })
    }
}

impl Default for Selection {
    fn default() -> Selection {
        Selection::ALL
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_selections() {
        assert_eq!(Client::parse("requests"), Some(Client::PythonRequests));
        assert_eq!(Client::parse("Python-URLLIB"), Some(Client::PythonUrllib));
        assert_eq!(Client::parse("rustls"), Some(Client::Rustls));
        assert_eq!(Client::parse("chrome"), Some(Client::Chrome));
        assert_eq!(Client::parse("safari"), Some(Client::Safari));
        assert_eq!(Client::parse("iexplore"), None);
        assert_eq!(Selection::parse(&[]), Ok(Selection::ALL));
        let two = Selection::parse(&["curl".into(), "node".into()]).unwrap();
        assert!(two.contains(Client::Curl) && two.contains(Client::Node));
        assert!(!two.contains(Client::Java));
        assert_eq!(
            Selection::parse(&["curl".into(), "all".into()]),
            Ok(Selection::ALL)
        );
        let err = Selection::parse(&["iexplore".into()]).unwrap_err();
        assert!(err.starts_with("'iexplore' is not a client; valid: all, python-requests, "));
        assert!(
            err.ends_with(", firefox, safari, android, windows"),
            "{err}"
        );
        // The predicted-only profiles decide only when named.
        for client in [Client::Safari, Client::Android, Client::Windows] {
            assert!(!Selection::ALL.contains(client), "{client:?}");
            assert!(
                Selection::parse(&[client.as_str().into()])
                    .unwrap()
                    .contains(client)
            );
        }
        assert!(Selection::ALL.contains(Client::Firefox));
    }
}
