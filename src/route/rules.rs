//! Which proxy each client takes from the environment for an `https://` URL, and which
//! `NO_PROXY` entry sends it direct: each client reads the variables in its own order and
//! matches `NO_PROXY` by its own rules, so one environment can send curl through a proxy and Go
//! straight to the server.
//!
//! Sources, and what was seen on Debian 12 (curl 7.88.1, wget 1.21.3, Python 3.11 with
//! requests 2.34) against a listener that recorded the `CONNECT` line:
//! - curl: `https_proxy`, then `HTTPS_PROXY`, then `all_proxy`/`ALL_PROXY`, lower case first,
//!   an empty value skipped (curl `docs/cmdline-opts/_ENVIRONMENT.md`; only `http_proxy` is
//!   lower-case only). `NO_PROXY` (`lib/noproxy.c` `Curl_check_noproxy`): `*` alone matches
//!   all; a name matches itself and its subdomains, leading and trailing dots ignored, case
//!   ignored; IP addresses and CIDR (since 7.86.0); no ports. A proxy without a port is on 1080.
//! - Python urllib (`urllib/request.py` `getproxies_environment`, `proxy_bypass_environment`):
//!   every `*_proxy` variable, the lower-case one winning and an empty lower-case one removing
//!   it; `https` only (`all_proxy` is not used); `no_proxy` `*` alone, or names with leading
//!   dots stripped matching themselves and subdomains, with or without the port; no CIDR.
//! - requests (`requests/utils.py` `should_bypass_proxies`, `select_proxy`): urllib's
//!   variables, `https` then `all`; `no_proxy` (lower case first) IPv4 addresses and CIDR, or
//!   names as urllib matches them, plus urllib's own rule.
//! - Go (`golang.org/x/net/http/httpproxy` `FromEnvironment`, `useProxy`): `HTTPS_PROXY` then
//!   `https_proxy`, `NO_PROXY` then `no_proxy` (upper case first); no `ALL_PROXY`; never a
//!   proxy for `localhost` or a loopback address; `NO_PROXY` `*`, IPs, CIDR, names (a leading
//!   dot or `*.` for subdomains only) with optional ports.
//! - wget (`src/retr.c` `getproxy`, `src/utils.c` `sufmatch`; seen here): `https_proxy` and
//!   `no_proxy`, lower case only; entries are domain suffixes (a leading dot for subdomains
//!   only); `*` and CIDR are not special.
//! - Node 20, Java, `openssl s_client`, rustls and `gnutls-cli` read no proxy variable.

use std::net::IpAddr;

use super::ProxyUrl;
use crate::clients::name::Client;
use crate::target::Host;

/// The proxy variables of the environment, each case kept apart (clients read them in
/// different orders), `Some("")` when set but empty. Its `Debug` leaves credentials out.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct ProxyEnv {
    /// `https_proxy`.
    pub https_proxy: Option<String>,
    /// `HTTPS_PROXY`.
    pub https_proxy_upper: Option<String>,
    /// `all_proxy`.
    pub all_proxy: Option<String>,
    /// `ALL_PROXY`.
    pub all_proxy_upper: Option<String>,
    /// `no_proxy`.
    pub no_proxy: Option<String>,
    /// `NO_PROXY`.
    pub no_proxy_upper: Option<String>,
}

impl std::fmt::Debug for ProxyEnv {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let shown = |v: &Option<String>| v.as_deref().map(super::redact);
        f.debug_struct("ProxyEnv")
            .field("https_proxy", &shown(&self.https_proxy))
            .field("HTTPS_PROXY", &shown(&self.https_proxy_upper))
            .field("all_proxy", &shown(&self.all_proxy))
            .field("ALL_PROXY", &shown(&self.all_proxy_upper))
            .field("no_proxy", &self.no_proxy)
            .field("NO_PROXY", &self.no_proxy_upper)
            .finish()
    }
}

/// How a client reads the proxy environment.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Reader {
    /// curl's order and `NO_PROXY` rules (certcheck follows them for its own route).
    Curl,
    /// Python's `urllib.request`.
    PythonUrllib,
    /// Python `requests`.
    PythonRequests,
    /// Go's `net/http` (`httpproxy`).
    Go,
    /// wget.
    Wget,
    /// A client that reads no proxy variable, with why.
    None(&'static str),
}

impl Reader {
    /// How `client` reads the environment.
    pub fn of(client: Client) -> Reader {
        match client {
            Client::PythonRequests => Reader::PythonRequests,
            Client::PythonUrllib => Reader::PythonUrllib,
            Client::Curl => Reader::Curl,
            Client::Go => Reader::Go,
            Client::Wget => Reader::Wget,
            Client::Node => Reader::None(
                "Node 20's https module reads no proxy variable (an agent must be configured in code)",
            ),
            Client::Java => Reader::None(
                "Java reads the https.proxyHost/https.proxyPort system properties, not proxy variables",
            ),
            Client::Openssl => Reader::None("openssl s_client takes -proxy, not proxy variables"),
            Client::Rustls => {
                Reader::None("rustls reads no proxy variable (the HTTP client around it may)")
            }
            Client::Gnutls => Reader::None("gnutls-cli reads no proxy variable"),
            Client::Chrome => Reader::None(
                "Chromium's proxy (--proxy-server, the desktop's settings) is not modelled",
            ),
            Client::Firefox => Reader::None(
                "Firefox takes its proxy from its connection settings (network.proxy.*), which certcheck does not read",
            ),
            Client::Safari | Client::Android | Client::Windows => Reader::None(
                "the platform's proxy settings (system preferences, not environment variables) are not modelled",
            ),
        }
    }
}

/// The way a client would go: the proxy as shown (never with credentials), or direct, and why.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Route {
    /// The proxy URL without credentials; `None` for a direct connection.
    pub proxy: Option<String>,
    /// Why, in words: the variable it came from, or what sends the client direct.
    pub reason: String,
}

impl Route {
    fn direct(reason: impl Into<String>) -> Route {
        Route {
            proxy: None,
            reason: reason.into(),
        }
    }
}

/// A variable's name and its value.
type Var<'a> = (&'static str, &'a str);

fn first_set<'a>(vars: &[(&'static str, &'a Option<String>)]) -> Option<Var<'a>> {
    vars.iter().find_map(|(name, value)| {
        value
            .as_deref()
            .filter(|v| !v.trim().is_empty())
            .map(|v| (*name, v))
    })
}

/// Python's `getproxies_environment()` for one scheme: the lower-case variable when set and not
/// empty; none when it is set but empty; else the upper-case one.
fn python_var<'a>(
    lower: (&'static str, &'a Option<String>),
    upper: (&'static str, &'a Option<String>),
) -> Option<Var<'a>> {
    match lower.1.as_deref() {
        Some("") => None,
        Some(value) => Some((lower.0, value)),
        None => upper
            .1
            .as_deref()
            .filter(|v| !v.is_empty())
            .map(|v| (upper.0, v)),
    }
}

impl ProxyEnv {
    /// The proxy curl would take for an `https://` URL (certcheck takes the same).
    pub fn curl_proxy(&self) -> Option<Var<'_>> {
        first_set(&[
            ("https_proxy", &self.https_proxy),
            ("HTTPS_PROXY", &self.https_proxy_upper),
            ("all_proxy", &self.all_proxy),
            ("ALL_PROXY", &self.all_proxy_upper),
        ])
    }

    /// The `NO_PROXY` entry that sends curl (and certcheck) direct to `host`, with the variable.
    pub fn curl_bypass(&self, host: &Host) -> Option<(Var<'_>, String)> {
        let var = first_set(&[
            ("no_proxy", &self.no_proxy),
            ("NO_PROXY", &self.no_proxy_upper),
        ])?;
        curl_no_proxy(var.1, host).map(|entry| (var, entry))
    }
}

/// The route `reader` would take to `host:port` (an `https://` URL) in `env`.
pub fn client_route(reader: Reader, env: &ProxyEnv, host: &Host, port: u16) -> Route {
    let (proxy, bypass, default_port) = match reader {
        Reader::None(why) => return Route::direct(why),
        Reader::Curl => (env.curl_proxy(), env.curl_bypass(host), 1080),
        Reader::PythonUrllib => {
            let proxy = python_var(
                ("https_proxy", &env.https_proxy),
                ("HTTPS_PROXY", &env.https_proxy_upper),
            );
            let no = python_var(
                ("no_proxy", &env.no_proxy),
                ("NO_PROXY", &env.no_proxy_upper),
            );
            let bypass = no.and_then(|var| urllib_no_proxy(var.1, host, port).map(|e| (var, e)));
            (proxy, bypass, 80)
        }
        Reader::PythonRequests => {
            let proxy = python_var(
                ("https_proxy", &env.https_proxy),
                ("HTTPS_PROXY", &env.https_proxy_upper),
            )
            .or_else(|| {
                python_var(
                    ("all_proxy", &env.all_proxy),
                    ("ALL_PROXY", &env.all_proxy_upper),
                )
            });
            let own = first_set(&[
                ("no_proxy", &env.no_proxy),
                ("NO_PROXY", &env.no_proxy_upper),
            ])
            .and_then(|var| requests_no_proxy(var.1, host, port).map(|e| (var, e)));
            let urllib = || {
                python_var(
                    ("no_proxy", &env.no_proxy),
                    ("NO_PROXY", &env.no_proxy_upper),
                )
                .and_then(|var| urllib_no_proxy(var.1, host, port).map(|e| (var, e)))
            };
            (proxy, own.or_else(urllib), 80)
        }
        Reader::Go => {
            let loopback = match host {
                Host::Dns(name) => name == "localhost",
                Host::Ip(ip) => ip.is_loopback(),
            };
            let proxy = first_set(&[
                ("HTTPS_PROXY", &env.https_proxy_upper),
                ("https_proxy", &env.https_proxy),
            ]);
            if loopback && proxy.is_some() {
                return Route::direct(format!(
                    "Go never uses a proxy for localhost or a loopback address ({host})"
                ));
            }
            let bypass = first_set(&[
                ("NO_PROXY", &env.no_proxy_upper),
                ("no_proxy", &env.no_proxy),
            ])
            .and_then(|var| go_no_proxy(var.1, host, port).map(|e| (var, e)));
            (proxy, bypass, 80)
        }
        Reader::Wget => {
            let proxy = first_set(&[("https_proxy", &env.https_proxy)]);
            let bypass = first_set(&[("no_proxy", &env.no_proxy)])
                .and_then(|var| wget_no_proxy(var.1, host).map(|e| (var, e)));
            (proxy, bypass, 80)
        }
    };
    let Some((name, value)) = proxy else {
        return Route::direct("no proxy variable it reads is set");
    };
    if let Some(((no_name, _), entry)) = bypass {
        return Route::direct(format!("{no_name} entry '{entry}' matches {host}"));
    }
    let shown = ProxyUrl::parse_with_default_port(value, default_port)
        .map(|url| url.to_string())
        .unwrap_or_else(|_| super::redact(value));
    Route {
        proxy: Some(shown),
        reason: format!("from {name}"),
    }
}

/// certcheck's own route in `env`: curl's choice of variable and its `NO_PROXY` rules. `Err`
/// names the variable whose value is not a usable proxy.
pub fn route_from_env(
    env: &ProxyEnv,
    host: &Host,
) -> Result<(Option<ProxyUrl>, String), (&'static str, super::ProxyUrlError)> {
    let Some((name, value)) = env.curl_proxy() else {
        return Ok((None, "no proxy variable is set".into()));
    };
    if let Some(((no_name, _), entry)) = env.curl_bypass(host) {
        return Ok((None, format!("{no_name} entry '{entry}' matches {host}")));
    }
    let url = ProxyUrl::parse(value).map_err(|e| (name, e))?;
    Ok((Some(url), format!("from {name}")))
}

/// The IP network an entry names (`10.0.0.0/8`, `10.1.2.3`, `::1`), if any.
fn network(entry: &str) -> Option<ipnet::IpNet> {
    entry
        .parse::<ipnet::IpNet>()
        .ok()
        .or_else(|| entry.parse::<IpAddr>().ok().map(ipnet::IpNet::from))
}

/// curl's `Curl_check_noproxy`: the matching entry.
fn curl_no_proxy(list: &str, host: &Host) -> Option<String> {
    if list.trim() == "*" {
        return Some("*".into());
    }
    let tokens = list.split([',', ' ', '\t']).filter(|t| !t.is_empty());
    for token in tokens {
        let matched = match host {
            Host::Ip(ip) => network(token).is_some_and(|net| net.contains(ip)),
            Host::Dns(name) => {
                let name = name.trim_end_matches('.');
                let entry = token.trim_end_matches('.');
                let entry = entry
                    .strip_prefix('.')
                    .unwrap_or(entry)
                    .to_ascii_lowercase();
                !entry.is_empty()
                    && (name.eq_ignore_ascii_case(&entry)
                        || name.to_ascii_lowercase().ends_with(&format!(".{entry}")))
            }
        };
        if matched {
            return Some(token.to_string());
        }
    }
    None
}

/// The host as Python's URL parsing gives it: with `:port` when the URL names one (taken as
/// named when it is not 443).
fn host_with_port(host: &Host, port: u16) -> String {
    if port == 443 {
        host.to_string()
    } else {
        format!("{host}:{port}")
    }
}

/// Python's `proxy_bypass_environment`: the matching entry.
fn urllib_no_proxy(list: &str, host: &Host, port: u16) -> Option<String> {
    if list == "*" {
        return Some("*".into());
    }
    let hostonly = host.to_string().to_ascii_lowercase();
    let with_port = host_with_port(host, port).to_ascii_lowercase();
    list.split(',')
        .map(str::trim)
        .filter(|e| !e.is_empty())
        .find(|entry| {
            let name = entry.trim_start_matches('.').to_ascii_lowercase();
            let dotted = format!(".{name}");
            hostonly == name
                || with_port == name
                || hostonly.ends_with(&dotted)
                || with_port.ends_with(&dotted)
        })
        .map(str::to_string)
}

/// requests' own check in `should_bypass_proxies`: the matching entry.
fn requests_no_proxy(list: &str, host: &Host, port: u16) -> Option<String> {
    let list = list.replace(' ', "");
    let entries = list.split(',').filter(|e| !e.is_empty());
    match host {
        Host::Ip(IpAddr::V4(ip)) => entries
            .filter(|entry| {
                if entry.matches('/').count() == 1 {
                    // requests' is_valid_cidr: an IPv4 address and a mask of 1 to 32.
                    entry
                        .parse::<ipnet::Ipv4Net>()
                        .ok()
                        .filter(|net| net.prefix_len() >= 1)
                        .is_some_and(|net| net.contains(ip))
                } else {
                    *entry == ip.to_string()
                }
            })
            .map(str::to_string)
            .next(),
        _ => {
            let hostname = host.to_string();
            let with_port = host_with_port(host, port);
            entries
                .filter(|entry| {
                    let name = entry.trim_start_matches('.');
                    let dotted = format!(".{name}");
                    hostname == name
                        || with_port == name
                        || hostname.ends_with(&dotted)
                        || with_port.ends_with(&dotted)
                })
                .map(str::to_string)
                .next()
        }
    }
}

/// Go's `useProxy` (past the localhost rule): the matching entry.
fn go_no_proxy(list: &str, host: &Host, port: u16) -> Option<String> {
    let host_text = host.to_string().to_ascii_lowercase();
    let port = port.to_string();
    for raw in list.split(',') {
        let entry = raw.trim().to_ascii_lowercase();
        if entry.is_empty() {
            continue;
        }
        if entry == "*" {
            return Some(entry);
        }
        if let Ok(net) = entry.parse::<ipnet::IpNet>() {
            if let Host::Ip(ip) = host
                && net.contains(ip)
            {
                return Some(entry);
            }
            continue;
        }
        // host:port or [IPv6]:port; an entry with more colons than that is a bare IPv6 address.
        let (entry_host, entry_port) = match entry.rsplit_once(':') {
            Some((h, p)) if !h.contains(':') || (h.starts_with('[') && h.ends_with(']')) => {
                (h.trim_start_matches('[').trim_end_matches(']'), Some(p))
            }
            _ => (entry.as_str(), None),
        };
        let port_ok = entry_port.is_none_or(|p| p == port);
        if let Ok(ip) = entry_host.parse::<IpAddr>() {
            if matches!(host, Host::Ip(h) if *h == ip) && port_ok {
                return Some(entry);
            }
            continue;
        }
        if entry_host.is_empty() {
            continue;
        }
        let entry_host = entry_host.strip_prefix('*').unwrap_or(entry_host);
        let (suffix, match_host) = match entry_host.strip_prefix('.') {
            Some(_) => (entry_host.to_string(), false),
            None => (format!(".{entry_host}"), true),
        };
        let matched = host_text.ends_with(&suffix) || (match_host && host_text == suffix[1..]);
        if matched && port_ok {
            return Some(entry);
        }
    }
    None
}

/// wget's `sufmatch` over `no_proxy`: the matching entry.
fn wget_no_proxy(list: &str, host: &Host) -> Option<String> {
    let what = host.to_string().to_ascii_lowercase();
    list.split(',')
        .map(str::trim)
        .filter(|e| !e.is_empty())
        .find(|entry| {
            let entry = entry.to_ascii_lowercase();
            what.ends_with(&entry)
                && (what.len() == entry.len()
                    || what.as_bytes()[what.len() - entry.len() - 1] == b'.'
                    || entry.starts_with('.'))
        })
        .map(str::to_string)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dns(name: &str) -> Host {
        Host::Dns(name.into())
    }

    fn ip(text: &str) -> Host {
        Host::Ip(text.parse().unwrap())
    }

    fn env(pairs: &[(&str, &str)]) -> ProxyEnv {
        let mut env = ProxyEnv::default();
        for (name, value) in pairs {
            let slot = match *name {
                "https_proxy" => &mut env.https_proxy,
                "HTTPS_PROXY" => &mut env.https_proxy_upper,
                "all_proxy" => &mut env.all_proxy,
                "ALL_PROXY" => &mut env.all_proxy_upper,
                "no_proxy" => &mut env.no_proxy,
                "NO_PROXY" => &mut env.no_proxy_upper,
                other => panic!("{other}"),
            };
            *slot = Some(value.to_string());
        }
        env
    }

    /// Which readers take the proxy for `host`, in the order curl, urllib, requests, Go, wget.
    fn proxied(env: &ProxyEnv, host: &Host) -> [bool; 5] {
        [
            Reader::Curl,
            Reader::PythonUrllib,
            Reader::PythonRequests,
            Reader::Go,
            Reader::Wget,
        ]
        .map(|r| client_route(r, env, host, 443).proxy.is_some())
    }

    // Each case below is what the real clients did on Debian 12 (curl 7.88.1, wget 1.21.3,
    // Python 3.11.7, requests 2.34.2) against a listener that recorded the CONNECT line; Go's
    // from its source (not run here).
    const P: &str = "http://127.0.0.1:3128";

    #[test]
    fn each_client_reads_its_own_variables() {
        let host = dns("a.test");
        assert_eq!(
            proxied(&env(&[("HTTPS_PROXY", P)]), &host),
            [true, true, true, true, false]
        );
        assert_eq!(
            proxied(&env(&[("https_proxy", P)]), &host),
            [true, true, true, true, true]
        );
        assert_eq!(
            proxied(&env(&[("ALL_PROXY", P)]), &host),
            [true, false, true, false, false]
        );
        assert_eq!(
            proxied(&env(&[("all_proxy", P)]), &host),
            [true, false, true, false, false]
        );
        // An empty lower-case value: curl and Go go on to HTTPS_PROXY, Python removes it.
        assert_eq!(
            proxied(&env(&[("HTTPS_PROXY", P), ("https_proxy", "")]), &host),
            [true, false, false, true, false]
        );
    }

    #[test]
    fn no_proxy_is_matched_by_each_clients_rules() {
        let host = dns("a.test");
        let with = |no: (&str, &str)| proxied(&env(&[("https_proxy", P), no]), &host);
        assert_eq!(
            with(("NO_PROXY", "a.test")),
            [false, false, false, false, true]
        );
        assert_eq!(
            with(("no_proxy", ".a.test")),
            [false, false, false, true, true]
        );
        assert_eq!(
            with(("no_proxy", "test")),
            [false, false, false, false, false]
        );
        assert_eq!(with(("no_proxy", "est")), [true, true, true, true, true]);
        assert_eq!(with(("no_proxy", "*")), [false, false, false, false, true]);
        assert_eq!(
            with(("no_proxy", "b.a.test")),
            [true, true, true, true, true]
        );
        assert_eq!(
            with(("no_proxy", "A.TEST")),
            [false, false, false, false, false]
        );
        assert_eq!(
            with(("no_proxy", "a.test:443")),
            [true, true, true, false, true]
        );
        assert_eq!(
            with(("no_proxy", "x.b, a.test")),
            [false, false, false, false, false]
        );
        assert_eq!(
            with(("no_proxy", "*.test")),
            [true, true, true, false, true]
        );
    }

    #[test]
    fn addresses_cidr_and_loopback() {
        let host = ip("127.0.0.2");
        let with = |no: &str| proxied(&env(&[("https_proxy", P), ("no_proxy", no)]), &host);
        // Go never proxies loopback; the others do unless no_proxy says otherwise.
        assert_eq!(
            proxied(&env(&[("https_proxy", P)]), &host),
            [true, true, true, false, true]
        );
        assert_eq!(
            proxied(&env(&[("https_proxy", P)]), &dns("localhost")),
            [true, true, true, false, true]
        );
        assert_eq!(with("127.0.0.0/8"), [false, true, false, false, true]);
        assert_eq!(with("127.0.0.2"), [false, false, false, false, false]);
        let public = ip("192.0.2.7");
        let with = |no: &str| proxied(&env(&[("https_proxy", P), ("no_proxy", no)]), &public);
        assert_eq!(with("192.0.2.0/24"), [false, true, false, false, true]);
    }

    #[test]
    fn routes_say_where_they_come_from_and_never_show_credentials() {
        let env = env(&[("HTTPS_PROXY", "http://u:secret@proxy.corp")]);
        let host = dns("a.test");
        let curl = client_route(Reader::Curl, &env, &host, 443);
        assert_eq!(curl.proxy.as_deref(), Some("http://proxy.corp:1080"));
        assert_eq!(curl.reason, "from HTTPS_PROXY");
        let go = client_route(Reader::Go, &env, &host, 443);
        assert_eq!(go.proxy.as_deref(), Some("http://proxy.corp:80"));
        let node = client_route(Reader::of(Client::Node), &env, &host, 443);
        assert_eq!(node.proxy, None);
        assert!(node.reason.starts_with("Node 20"), "{}", node.reason);
        let wget = client_route(Reader::Wget, &env, &host, 443);
        assert_eq!(wget.reason, "no proxy variable it reads is set");
        let bypassed = ProxyEnv {
            no_proxy: Some("a.test".into()),
            ..env.clone()
        };
        assert_eq!(
            client_route(Reader::Curl, &bypassed, &host, 443).reason,
            "no_proxy entry 'a.test' matches a.test"
        );
    }

    #[test]
    fn debug_output_leaves_credentials_out() {
        let env = env(&[("HTTPS_PROXY", "http://u:secret@proxy.corp:3128")]);
        let shown = format!("{env:?}");
        assert!(shown.contains("http://proxy.corp:3128"), "{shown}");
        assert!(!shown.contains("secret"), "{shown}");
    }

    #[test]
    fn certcheck_follows_curl_and_names_a_bad_variable() {
        let host = dns("a.test");
        let (url, why) = route_from_env(&env(&[("ALL_PROXY", P)]), &host).unwrap();
        assert_eq!(url.unwrap().to_string(), P);
        assert_eq!(why, "from ALL_PROXY");
        let (url, why) =
            route_from_env(&env(&[("https_proxy", P), ("NO_PROXY", "*")]), &host).unwrap();
        assert_eq!(
            (url, why.as_str()),
            (None, "NO_PROXY entry '*' matches a.test")
        );
        let (name, error) =
            route_from_env(&env(&[("HTTPS_PROXY", "socks5://p:1080")]), &host).unwrap_err();
        assert_eq!(name, "HTTPS_PROXY");
        assert!(error.to_string().contains("SOCKS"), "{error}");
    }
}
