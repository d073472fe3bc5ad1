//! The client profiles as data: which store each client uses, how it verifies the chain, the
//! client and version it stands for, how it words errors and what to change on its side.
//!
//! The rules were measured on Python 3.11 with OpenSSL 3.0 and urllib3 2, curl 7.88 (OpenSSL
//! backend), OpenSSL 3.0 `s_client`, Node 20 and OpenJDK 17, with OpenSSL at security level 2 as
//! Debian ships it (`../shared/design/client-rules.md` collects the sources). The `safari`,
//! `android` and `windows` profiles are predicted from documented rules, not measured: the
//! conformance suite has no runner for them here (see `clients::platform`).

use super::openssl::verify::{HostCheck, Params};
use super::platform::Os;
use super::{Client, Dialect, Report, StoreRule, Verifier};
use crate::trust::StoreKind;

/// One client: everything in which its verdict differs from another's.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Profile {
    /// The client.
    pub client: Client,
    /// The store it uses when no `--ca-file` is given.
    pub store: StoreRule,
    /// How a `--ca-file` is given to this client, for the store column (`PATH` is the file).
    pub ca_file_as: &'static str,
    /// The client and version the profile stands for, as measured by the conformance suite.
    pub assumes: &'static str,
    /// How it verifies the chain.
    pub verifier: Verifier,
    /// It also looks for issuers in the system store's directory when given a CA file (Debian's
    /// curl has `/etc/ssl/certs` compiled in as its CA path).
    pub searches_system_dir: bool,
    /// How it words a failure.
    pub dialect: Dialect,
    /// What to change on the client when the system store trusts the chain but the client's
    /// store does not (a corporate proxy or a private CA): never "turn verification off".
    pub trust_hint: &'static str,
}

/// The profiles, in report order.
pub const PROFILES: [Profile; 15] = [
    Profile {
        client: Client::PythonRequests,
        store: StoreRule::Requests,
        ca_file_as: "requests.get(..., verify=PATH)",
        assumes: "requests 2 with urllib3 2 on Python 3.11 and OpenSSL 3.0 (security level 2)",
        verifier: Verifier::Openssl {
            // urllib3 2 turns the Common Name off (hostname_checks_common_name = False).
            params: Params {
                level: 2,
                partial_chain: false,
                host: HostCheck::Openssl { common_name: false },
            },
            report: Report::First,
        },
        searches_system_dir: false,
        dialect: Dialect::Python { urllib: false },
        trust_hint: "The system store trusts this chain but certifi does not: set REQUESTS_CA_BUNDLE=/etc/ssl/certs/ca-certificates.crt (or your CA file), or `pip install truststore` and call truststore.inject_into_ssl(); never verify=False.",
    },
    Profile {
        client: Client::PythonUrllib,
        store: StoreRule::OpensslDefault,
        ca_file_as: "ssl.create_default_context(cafile=PATH)",
        assumes: "urllib on Python 3.11 and OpenSSL 3.0 (security level 2)",
        verifier: Verifier::Openssl {
            params: Params {
                level: 2,
                partial_chain: false,
                host: HostCheck::Openssl { common_name: true },
            },
            report: Report::First,
        },
        searches_system_dir: false,
        dialect: Dialect::Python { urllib: true },
        trust_hint: "Pass cafile= (or SSL_CERT_FILE) with your CA file to ssl.create_default_context(); never an unverified context.",
    },
    Profile {
        client: Client::Curl,
        store: StoreRule::Curl,
        ca_file_as: "curl --cacert PATH",
        assumes: "curl 7.88 with OpenSSL 3.0 (Debian 12)",
        verifier: Verifier::Openssl {
            // curl sets X509_V_FLAG_PARTIAL_CHAIN and compares the name itself afterwards.
            params: Params {
                level: 2,
                partial_chain: true,
                host: HostCheck::Application { common_name: true },
            },
            report: Report::First,
        },
        searches_system_dir: true,
        dialect: Dialect::Curl,
        trust_hint: "Give curl your CA file with --cacert FILE (or CURL_CA_BUNDLE); never -k.",
    },
    Profile {
        client: Client::Openssl,
        store: StoreRule::OpensslDefault,
        ca_file_as: "openssl s_client -CAfile PATH",
        assumes: "openssl s_client 3.0 -verify_return_error -verify_hostname",
        verifier: Verifier::Openssl {
            params: Params {
                level: 2,
                partial_chain: false,
                host: HostCheck::Openssl { common_name: true },
            },
            report: Report::First,
        },
        searches_system_dir: false,
        dialect: Dialect::SClient,
        trust_hint: "Give s_client your CA file with -CAfile FILE.",
    },
    Profile {
        client: Client::Node,
        store: StoreRule::Node,
        ca_file_as: "https.request({ ca: fs.readFileSync(PATH) })",
        assumes: "Node 20 (its OpenSSL 3.0 at security level 1)",
        verifier: Verifier::Openssl {
            // Node's callback accepts every error and reads the last one after the handshake; its
            // bundled OpenSSL runs at security level 1; it compares the name itself.
            params: Params {
                level: 1,
                partial_chain: false,
                host: HostCheck::Application { common_name: true },
            },
            report: Report::Last,
        },
        searches_system_dir: false,
        dialect: Dialect::Node,
        trust_hint: "Start node with NODE_EXTRA_CA_CERTS=/path/to/root.pem (or --use-openssl-ca to use the system store); never NODE_TLS_REJECT_UNAUTHORIZED=0.",
    },
    Profile {
        client: Client::Java,
        store: StoreRule::Java,
        ca_file_as: "a truststore built from PATH",
        assumes: "OpenJDK 17 (JSSE, PKIX)",
        verifier: Verifier::Java,
        searches_system_dir: false,
        dialect: Dialect::Java,
        trust_hint: "Import the root into a truststore (keytool -importcert -file root.pem -alias corp-root -keystore truststore.p12) and run with -Djavax.net.ssl.trustStore=truststore.p12.",
    },
    Profile {
        client: Client::Go,
        store: StoreRule::GoSystem,
        ca_file_as: "tls.Config{RootCAs: a pool of PATH}",
        assumes: "Go 1.27 crypto/tls and crypto/x509",
        verifier: Verifier::Go,
        searches_system_dir: false,
        dialect: Dialect::Go,
        trust_hint: "Go programs read SSL_CERT_FILE and SSL_CERT_DIR (Docker: /etc/docker/certs.d/HOST/ca.crt; kubectl: certificate-authority in the kubeconfig): point them at your CA; never InsecureSkipVerify.",
    },
    Profile {
        client: Client::Rustls,
        store: StoreRule::WebpkiRoots,
        ca_file_as: "a rustls RootCertStore built from PATH (reqwest add_root_certificate, deno --cert PATH)",
        assumes: "rustls 0.23 with rustls-webpki 0.103 (ring)",
        verifier: Verifier::Rustls,
        searches_system_dir: false,
        dialect: Dialect::Rustls,
        trust_hint: "rustls clients trust webpki-roots (Mozilla's set) unless told otherwise: give them your CA (deno --cert FILE, uv --native-tls or SSL_CERT_FILE with rustls-native-certs, reqwest add_root_certificate); never a verifier that accepts everything.",
    },
    Profile {
        client: Client::Gnutls,
        store: StoreRule::GnutlsSystem,
        ca_file_as: "gnutls-cli --x509cafile PATH",
        assumes: "GnuTLS 3.7 (gnutls-cli, apt)",
        verifier: Verifier::Gnutls { wget: false },
        searches_system_dir: false,
        dialect: Dialect::Gnutls,
        trust_hint: "Give GnuTLS your CA: --x509cafile FILE for gnutls-cli, or install it into the system store (update-ca-certificates) for apt.",
    },
    Profile {
        client: Client::Wget,
        store: StoreRule::GnutlsSystem,
        ca_file_as: "wget --ca-certificate=PATH (added to the system bundle)",
        assumes: "wget 1.21 on GnuTLS 3.7",
        verifier: Verifier::Gnutls { wget: true },
        searches_system_dir: false,
        dialect: Dialect::Wget,
        trust_hint: "Give wget your CA with --ca-certificate=FILE (or ca_certificate in .wgetrc); never --no-check-certificate.",
    },
    Profile {
        client: Client::Chrome,
        store: StoreRule::ChromeRootStore,
        ca_file_as: "certutil -A -t \"C,,\" of each certificate of PATH into ~/.pki/nssdb",
        assumes: "Debian's chromium 156 on Linux (Chrome Root Store version 12 plus the NSS user database; fetches missing intermediates by AIA; does not enforce Certificate Transparency, which only Google-branded Chrome does)",
        verifier: Verifier::Chrome {
            settings: super::chrome::Settings {
                google_branded: false,
            },
        },
        searches_system_dir: false,
        dialect: Dialect::Chrome,
        trust_hint: "Import your CA into the NSS database Chromium reads on Linux (certutil -d sql:$HOME/.pki/nssdb -A -t \"C,,\" -n corp-root -i root.pem), or through Settings > Privacy and security > Security > Manage certificates; never --ignore-certificate-errors.",
    },
    Profile {
        client: Client::Firefox,
        store: StoreRule::MozillaBuiltins,
        ca_file_as: "PATH's PEM certificates imported into the profile's cert DB as trusted CAs (certutil -A -t C,,)",
        assumes: "Firefox ESR 153 (mozilla::pkix, NSS 3.x)",
        verifier: Verifier::Firefox,
        searches_system_dir: false,
        dialect: Dialect::Firefox,
        trust_hint: "Firefox trusts its built-in roots and its profile, not the system store: import your root in Settings > Privacy & Security > Certificates (or certutil -A -t C,, into the profile's cert9.db), or set the enterprise policy Certificates.Install; never an exception for the site.",
    },
    // The last three are predicted from documented rules (`clients::platform`), not measured:
    // the conformance suite has no runner for them on this machine.
    Profile {
        client: Client::Safari,
        store: StoreRule::Platform(StoreKind::Apple),
        ca_file_as: "PATH's certificates added to the Keychain and trusted for SSL (Keychain Access trust settings)",
        assumes: "Safari / URLSession on macOS 15 (Apple trust store as embedded, SecTrust rules of support.apple.com 103769/102028/103214; fetches missing intermediates by AIA); predicted from documented rules, not measured here",
        verifier: Verifier::Platform { os: Os::Apple },
        searches_system_dir: false,
        dialect: Dialect::Safari,
        trust_hint: "Add your root to the Keychain and mark it trusted for SSL (Keychain Access > Get Info > Trust, or a configuration profile on iOS, then Settings > General > About > Certificate Trust Settings); never an exception for the site.",
    },
    Profile {
        client: Client::Android,
        store: StoreRule::Platform(StoreKind::Android),
        ca_file_as: "PATH installed as a user CA",
        assumes: "an Android 14 app targeting API 24 or later (Conscrypt, OkHttp; AOSP store as embedded; user CAs not trusted without network_security_config; no AIA fetching); predicted from documented rules, not measured here",
        verifier: Verifier::Platform { os: Os::Android },
        searches_system_dir: false,
        dialect: Dialect::Android,
        trust_hint: "Android apps trust only the system CAs by default: ship your root in the app and name it in res/xml/network_security_config.xml (<trust-anchors><certificates src=\"@raw/corp_root\"/>), or <certificates src=\"user\"/> for debug builds; never a TrustManager that accepts everything.",
    },
    Profile {
        client: Client::Windows,
        store: StoreRule::Platform(StoreKind::Windows),
        ca_file_as: "PATH's certificates imported into the Windows root store (certutil -addstore Root PATH)",
        assumes: ".NET 8 SslStream / HttpClient on Windows (Windows root store and disallowed list as embedded; fetches missing intermediates by AIA); predicted from documented rules, not measured here",
        verifier: Verifier::Platform { os: Os::Windows },
        searches_system_dir: false,
        dialect: Dialect::Windows,
        trust_hint: "Import your root into the Windows root store (certutil -addstore Root root.pem, or Group Policy for a domain); never a RemoteCertificateValidationCallback that returns true.",
    },
];

/// The profile of `client`.
pub fn profile(client: Client) -> &'static Profile {
    // PROFILES holds every client in `Client::ALL` order (a unit test checks it).
    &PROFILES[client as usize]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_profile_per_client_in_report_order() {
        assert_eq!(PROFILES.len(), Client::ALL.len());
        for (profile, client) in PROFILES.iter().zip(Client::ALL) {
            assert_eq!(profile.client, client);
            assert_eq!(super::profile(client).client, client);
        }
    }

    #[test]
    fn who_skips_the_common_name_and_who_takes_partial_chains() {
        let common_name = |p: &Profile| match p.verifier {
            Verifier::Openssl { params, .. } => matches!(
                params.host,
                HostCheck::Openssl { common_name: true }
                    | HostCheck::Application { common_name: true }
            ),
            Verifier::Rustls
            | Verifier::Go
            | Verifier::Chrome { .. }
            | Verifier::Firefox
            | Verifier::Platform { .. } => false,
            Verifier::Gnutls { .. } | Verifier::Java => true,
        };
        let partial = |p: &Profile| match p.verifier {
            Verifier::Openssl { params, .. } => params.partial_chain,
            // Every certificate of a rustls RootCertStore, a Go CertPool or a Java truststore is an
            // anchor.
            // So is every certificate of Firefox's cert DB with trust C,,.
            Verifier::Rustls
            | Verifier::Go
            | Verifier::Gnutls { .. }
            | Verifier::Java
            | Verifier::Chrome { .. }
            | Verifier::Firefox
            | Verifier::Platform { .. } => true,
        };
        let without_cn: Vec<Client> = PROFILES
            .iter()
            .filter(|p| !common_name(p))
            .map(|p| p.client)
            .collect();
        assert_eq!(
            without_cn,
            [
                Client::PythonRequests,
                Client::Go,
                Client::Rustls,
                Client::Chrome,
                Client::Firefox,
                Client::Safari,
                Client::Android,
                Client::Windows
            ]
        );
        let partial: Vec<Client> = PROFILES
            .iter()
            .filter(|p| partial(p))
            .map(|p| p.client)
            .collect();
        assert_eq!(
            partial,
            [
                Client::Curl,
                Client::Java,
                Client::Go,
                Client::Rustls,
                Client::Gnutls,
                Client::Wget,
                Client::Chrome,
                Client::Firefox,
                Client::Safari,
                Client::Android,
                Client::Windows
            ]
        );
    }
}
