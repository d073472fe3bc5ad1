//! How a target is reached: directly or through an HTTP `CONNECT` proxy, over IPv4, IPv6 or
//! either. Plain data that the command line, the configuration, `connect` and the report share.
//!
//! A proxy URL keeps its Basic credentials for the `Proxy-Authorization` header and never shows
//! them: its `Display` and `Debug` leave them out, so no report, message or log can carry them.
//! [`rules`] says which proxy each client would take from the environment.

pub mod rules;

use std::fmt;

use base64::Engine as _;

use crate::target::Host;

pub use rules::{ProxyEnv, Reader, Route, client_route, route_from_env};

/// Which address family `-4`/`-6` restrict resolution (of the server or of the proxy) to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Family {
    /// `-4`: IPv4 addresses only.
    V4,
    /// `-6`: IPv6 addresses only.
    V6,
}

impl Family {
    /// Whether `ip` is of this family.
    pub fn admits(self, ip: std::net::IpAddr) -> bool {
        match self {
            Family::V4 => ip.is_ipv4(),
            Family::V6 => ip.is_ipv6(),
        }
    }

    /// `IPv4` or `IPv6`, for messages.
    pub fn name(self) -> &'static str {
        match self {
            Family::V4 => "IPv4",
            Family::V6 => "IPv6",
        }
    }

    /// The flag that asked for it.
    pub fn flag(self) -> &'static str {
        match self {
            Family::V4 => "-4",
            Family::V6 => "-6",
        }
    }
}

/// An HTTP proxy certcheck can tunnel through: `http://[user:password@]host[:port]`, or
/// `host[:port]` with `http://` assumed (as curl, Python and Go assume it).
///
/// Only plain-HTTP proxies with Basic credentials are supported: an `https://` proxy URL, SOCKS
/// (`socks4://`, `socks5://`...), PAC files and NTLM/Kerberos are refused with a sentence.
#[derive(Clone, PartialEq, Eq)]
pub struct ProxyUrl {
    host: Host,
    port: u16,
    credentials: Option<(String, String)>,
}

/// Why a proxy URL cannot be used.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("'{shown}' is not a usable proxy: {reason}; expected http://[user:password@]host[:port]")]
pub struct ProxyUrlError {
    /// The input with any credentials left out.
    pub shown: String,
    /// What is wrong with it.
    pub reason: String,
}

/// The port of a proxy URL that names none: 80, as for any `http://` URL (Python and Go use it;
/// curl alone assumes 1080, which [`rules`] shows on its route).
pub const DEFAULT_PROXY_PORT: u16 = 80;

impl ProxyUrl {
    /// Parses a proxy URL as `--proxy` and the proxy variables give it.
    pub fn parse(input: &str) -> Result<ProxyUrl, ProxyUrlError> {
        ProxyUrl::parse_with_default_port(input, DEFAULT_PROXY_PORT)
    }

    /// As [`ProxyUrl::parse`], with `default_port` when the URL names no port.
    pub fn parse_with_default_port(
        input: &str,
        default_port: u16,
    ) -> Result<ProxyUrl, ProxyUrlError> {
        let error = |reason: &str| ProxyUrlError {
            shown: redact(input),
            reason: reason.into(),
        };
        let trimmed = input.trim();
        if trimmed.is_empty() {
            return Err(error("it is empty"));
        }
        let with_scheme = if trimmed.contains("://") {
            trimmed.to_string()
        } else {
            format!("http://{trimmed}")
        };
        let url = url::Url::parse(&with_scheme).map_err(|e| error(&e.to_string()))?;
        match url.scheme() {
            "http" => {}
            "https" => {
                return Err(error(
                    "certcheck speaks plain HTTP to a proxy; TLS to the proxy itself (https://) is not supported",
                ));
            }
            s if s.starts_with("socks") => {
                return Err(error("SOCKS proxies are not supported"));
            }
            other => {
                return Err(error(&format!(
                    "the scheme {other}:// is not a proxy scheme"
                )));
            }
        }
        if url.query().is_some() || url.fragment().is_some() || !matches!(url.path(), "" | "/") {
            return Err(error(
                "a proxy URL has no path (a PAC file is not supported)",
            ));
        }
        let host = match url.host() {
            Some(url::Host::Domain(name)) => {
                Host::parse(name).map_err(|e| error(&e.to_string()))?
            }
            Some(url::Host::Ipv4(ip)) => Host::Ip(ip.into()),
            Some(url::Host::Ipv6(ip)) => Host::Ip(ip.into()),
            None => return Err(error("it names no host")),
        };
        let decode = |s: &str| {
            percent_encoding::percent_decode_str(s)
                .decode_utf8()
                .map(|c| c.into_owned())
                .map_err(|_| error("its credentials are not UTF-8 once percent-decoded"))
        };
        let credentials = if url.username().is_empty() && url.password().is_none() {
            None
        } else {
            Some((
                decode(url.username())?,
                decode(url.password().unwrap_or(""))?,
            ))
        };
        Ok(ProxyUrl {
            host,
            port: url.port().unwrap_or(default_port),
            credentials,
        })
    }

    /// The proxy's host.
    pub fn host(&self) -> &Host {
        &self.host
    }

    /// The proxy's port.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// Whether the URL carries credentials (they are sent, never shown).
    pub fn has_credentials(&self) -> bool {
        self.credentials.is_some()
    }

    /// The `Proxy-Authorization` value for Basic credentials (RFC 7617), when the URL has any.
    pub fn basic_authorization(&self) -> Option<String> {
        let (user, password) = self.credentials.as_ref()?;
        let token = base64::engine::general_purpose::STANDARD.encode(format!("{user}:{password}"));
        Some(format!("Basic {token}"))
    }
}

/// `http://host:port`, without credentials.
impl fmt::Display for ProxyUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("http://")?;
        f.write_str(&authority(&self.host, self.port))
    }
}

/// As `Display`: credentials never appear, not even in debug output.
impl fmt::Debug for ProxyUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "ProxyUrl({self}{})",
            if self.has_credentials() {
                ", with credentials"
            } else {
                ""
            }
        )
    }
}

/// `host:port`, with an IPv6 address in brackets (as a `CONNECT` line and a URL write it).
pub fn authority(host: &Host, port: u16) -> String {
    match host {
        Host::Ip(std::net::IpAddr::V6(ip)) => format!("[{ip}]:{port}"),
        host => format!("{host}:{port}"),
    }
}

/// A proxy value with its credentials left out, however malformed it is: the URL without its
/// user information when it parses, else everything after the last `@` (a value that cannot be
/// parsed may still hold a password).
pub fn redact(value: &str) -> String {
    let value = value.trim();
    let (scheme, rest) = match value.split_once("://") {
        Some((scheme, rest)) => (Some(scheme), rest),
        None => (None, value),
    };
    let (authority, tail) = match rest.find(['/', '?', '#']) {
        Some(i) => rest.split_at(i),
        None => (rest, ""),
    };
    let host = authority
        .rsplit_once('@')
        .map_or(authority, |(_, host)| host);
    match scheme {
        Some(scheme) => format!("{scheme}://{host}{tail}"),
        None => format!("{host}{tail}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_http_proxies_with_and_without_a_scheme() {
        let proxy = ProxyUrl::parse("proxy.corp:3128").unwrap();
        assert_eq!(proxy.host(), &Host::Dns("proxy.corp".into()));
        assert_eq!(proxy.port(), 3128);
        assert_eq!(proxy.to_string(), "http://proxy.corp:3128");
        assert_eq!(ProxyUrl::parse("http://10.0.0.1/").unwrap().port(), 80);
        assert_eq!(
            ProxyUrl::parse_with_default_port("http://10.0.0.1", 1080)
                .unwrap()
                .to_string(),
            "http://10.0.0.1:1080"
        );
        assert_eq!(
            ProxyUrl::parse("http://[::1]:8080").unwrap().to_string(),
            "http://[::1]:8080"
        );
    }

    #[test]
    fn credentials_are_sent_decoded_and_never_shown() {
        let proxy = ProxyUrl::parse("http://alice:s%40cret@proxy.corp:3128").unwrap();
        assert_eq!(proxy.to_string(), "http://proxy.corp:3128");
        assert_eq!(
            format!("{proxy:?}"),
            "ProxyUrl(http://proxy.corp:3128, with credentials)"
        );
        // base64("alice:s@cret")
        assert_eq!(
            proxy.basic_authorization().as_deref(),
            Some("Basic YWxpY2U6c0BjcmV0")
        );
        assert_eq!(
            ProxyUrl::parse("proxy.corp").unwrap().basic_authorization(),
            None
        );
    }

    #[test]
    fn unsupported_proxies_are_refused_without_showing_credentials() {
        let error = ProxyUrl::parse("socks5://bob:hunter2@proxy.corp:1080").unwrap_err();
        assert_eq!(
            error.to_string(),
            "'socks5://proxy.corp:1080' is not a usable proxy: SOCKS proxies are not supported; expected http://[user:password@]host[:port]"
        );
        assert!(ProxyUrl::parse("https://proxy.corp").is_err());
        assert!(ProxyUrl::parse("http://proxy.corp/proxy.pac").is_err());
        assert!(ProxyUrl::parse("").is_err());
        assert!(ProxyUrl::parse("ftp://proxy.corp").is_err());
    }

    #[test]
    fn redaction_drops_user_information_even_from_garbage() {
        assert_eq!(redact("http://u:p@h:1/x"), "http://h:1/x");
        assert_eq!(redact("u:p@h:1"), "h:1");
        assert_eq!(redact("a:b@c@d"), "d");
        assert_eq!(redact("plain"), "plain");
    }

    #[test]
    fn authorities_bracket_ipv6_addresses() {
        let v6 = Host::Ip("2001:db8::1".parse().unwrap());
        assert_eq!(authority(&v6, 443), "[2001:db8::1]:443");
        assert_eq!(authority(&Host::Dns("a.test".into()), 8443), "a.test:8443");
    }

    #[test]
    fn families_admit_their_addresses() {
        let v4: std::net::IpAddr = "127.0.0.1".parse().unwrap();
        let v6: std::net::IpAddr = "::1".parse().unwrap();
        assert!(Family::V4.admits(v4) && !Family::V4.admits(v6));
        assert!(Family::V6.admits(v6) && !Family::V6.admits(v4));
    }
}
