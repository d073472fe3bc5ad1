//! What each client needs when a TLS-intercepting proxy re-signs the server's certificate with
//! its own CA: that CA, given to the client the way the client reads extra roots (never turning
//! verification off). The same facts as each profile's `trust_hint`, worded for a proxy's CA.

use super::Client;

/// The fix for `client` when the proxy `proxy` re-signs TLS with the CA named `ca`; `direct`
/// is set when the client would not go through the proxy by itself (`why` says so).
pub fn proxy_ca_hint(client: Client, proxy: &str, ca: &str, direct: Option<&str>) -> String {
    let fix = match client {
        Client::PythonRequests => {
            "set REQUESTS_CA_BUNDLE to a bundle that holds it and the public roots (cat /etc/ssl/certs/ca-certificates.crt proxy-ca.pem > bundle.pem), or install it into the system store and use truststore (pip install truststore; truststore.inject_into_ssl()); never verify=False"
        }
        Client::PythonUrllib => {
            "install it into the system store (update-ca-certificates), or pass cafile=proxy-ca.pem (or SSL_CERT_FILE) to ssl.create_default_context(); never an unverified context"
        }
        Client::Curl => {
            "give curl --cacert proxy-ca.pem (or CURL_CA_BUNDLE), or install it into the system store (update-ca-certificates); never -k"
        }
        Client::Openssl => "give s_client -CAfile proxy-ca.pem",
        Client::Node => {
            "start node with NODE_EXTRA_CA_CERTS=proxy-ca.pem; never NODE_TLS_REJECT_UNAUTHORIZED=0"
        }
        Client::Java => {
            "import it into a truststore (keytool -importcert -file proxy-ca.pem -alias proxy-ca -keystore truststore.p12) and run with -Djavax.net.ssl.trustStore=truststore.p12"
        }
        Client::Go => {
            "install it into the system store, or point SSL_CERT_FILE at a bundle that holds it; never InsecureSkipVerify"
        }
        Client::Rustls => {
            "add it to the client's roots (reqwest add_root_certificate, deno --cert proxy-ca.pem, uv --native-tls once it is in the system store); never a verifier that accepts everything"
        }
        Client::Gnutls => {
            "give gnutls-cli --x509cafile proxy-ca.pem, or install it into the system store (update-ca-certificates)"
        }
        Client::Wget => "give wget --ca-certificate=proxy-ca.pem; never --no-check-certificate",
        Client::Chrome => {
            "import it into the NSS database Chromium reads on Linux (certutil -d sql:$HOME/.pki/nssdb -A -t \"C,,\" -n proxy-ca -i proxy-ca.pem); never --ignore-certificate-errors"
        }
        Client::Firefox => {
            "import it into Firefox (Settings > Privacy & Security > Certificates, or the enterprise policy Certificates.Install); never an exception for the site"
        }
        Client::Safari => {
            "add it to the Keychain and trust it for SSL (a configuration profile on iOS, then Certificate Trust Settings); never an exception for the site"
        }
        Client::Android => {
            "ship it in the app and name it in network_security_config.xml (<trust-anchors>); user CAs are ignored by apps targeting API 24+; never a TrustManager that accepts everything"
        }
        Client::Windows => {
            "import it into the Windows root store (certutil -addstore Root proxy-ca.pem, or Group Policy); never a validation callback that returns true"
        }
    };
    match direct {
        None => format!(
            "The proxy {proxy} re-signs TLS with its own CA {ca}: if it is your organisation's, {fix}."
        ),
        Some(why) => format!(
            "{client} would connect directly ({why}); where it is sent through the proxy {proxy}, which re-signs TLS with its own CA {ca}: {fix}."
        ),
    }
}
