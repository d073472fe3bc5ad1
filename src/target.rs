//! What the user typed: `host`, `host:port`, `https://host[:port][/path]`, `IP:port` or `[IPv6]:port`,
//! or a URL whose scheme names a protocol that starts TLS with STARTTLS (`smtp://`, `imap://`, ...)
//! or speaks it from the first byte on its own port (`smtps://`, `imaps://`, ...).
//!
//! Parsing goes through the `url` crate's host parser so that internationalised names become their
//! ASCII (punycode) form exactly as a browser would send them.

use std::fmt;
use std::net::IpAddr;
use std::str::FromStr;

mod starttls;

pub use starttls::{SCHEMES, Scheme, Starttls, StarttlsChoice, StarttlsFlag, parse_starttls};

/// Port used when the target does not name one.
pub const DEFAULT_PORT: u16 = 443;

/// A host as it will be resolved and checked.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Host {
    /// A DNS name in ASCII (punycode) form, lower case, without a trailing dot.
    Dns(String),
    /// A literal IPv4 or IPv6 address.
    Ip(IpAddr),
}

impl fmt::Display for Host {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Host::Dns(name) => f.write_str(name),
            Host::Ip(ip) => write!(f, "{ip}"),
        }
    }
}

impl Host {
    /// `host:port`, with an IPv6 address bracketed.
    pub fn display_with_port(&self, port: u16) -> String {
        match self {
            Host::Ip(IpAddr::V6(ip)) => format!("[{ip}]:{port}"),
            host => format!("{host}:{port}"),
        }
    }

    /// Parses a bare host name or IP address (no port), converting IDNs to punycode.
    pub fn parse(input: &str) -> Result<Host, TargetError> {
        let trimmed = input.trim();
        if trimmed.is_empty() {
            return Err(TargetError::new(input, "the host name is empty"));
        }
        let unbracketed = trimmed
            .strip_prefix('[')
            .and_then(|s| s.strip_suffix(']'))
            .unwrap_or(trimmed);
        if let Ok(ip) = unbracketed.parse::<IpAddr>() {
            return Ok(Host::Ip(ip));
        }
        match url::Host::parse(trimmed) {
            Ok(url::Host::Domain(name)) => {
                let name = name.trim_end_matches('.').to_string();
                if name.is_empty() {
                    return Err(TargetError::new(input, "the host name is empty"));
                }
                Ok(Host::Dns(name))
            }
            Ok(url::Host::Ipv4(ip)) => Ok(Host::Ip(IpAddr::V4(ip))),
            Ok(url::Host::Ipv6(ip)) => Ok(Host::Ip(IpAddr::V6(ip))),
            Err(err) => Err(TargetError::new(
                input,
                format!("invalid host name ({err})"),
            )),
        }
    }
}

/// One target to check, as given on the command line.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Target {
    /// The text the user typed, kept for the report.
    pub input: String,
    /// The host to resolve (unless `--connect-to` says otherwise) and, by default, to verify.
    pub host: Host,
    /// The TCP port.
    pub port: u16,
    /// The URL scheme, when the target was a URL.
    pub scheme: Option<Scheme>,
}

impl Target {
    /// `host:port` as shown in reports, with IPv6 addresses bracketed.
    pub fn display_name(&self) -> String {
        self.host.display_with_port(self.port)
    }
}

/// A target that cannot be parsed; a usage error (exit 2).
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("invalid target '{input}': {reason}")]
pub struct TargetError {
    input: String,
    reason: String,
}

impl TargetError {
    fn new(input: &str, reason: impl Into<String>) -> Self {
        TargetError {
            input: input.to_string(),
            reason: reason.into(),
        }
    }
}

impl FromStr for Target {
    type Err = TargetError;

    fn from_str(input: &str) -> Result<Self, Self::Err> {
        let text = input.trim();
        if text.is_empty() {
            return Err(TargetError::new(input, "the target is empty"));
        }
        if text.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return Err(TargetError::new(input, "it contains whitespace"));
        }
        // Every scheme is parsed as https, so that `url` applies the same host rules (IDNA,
        // IP literals) to all of them; the scheme's own default port is applied below.
        let (scheme, with_scheme) = match text.split_once("://") {
            Some((name, rest)) => match Scheme::find(name) {
                Some(scheme) => (Some(scheme), format!("https://{rest}")),
                None => {
                    let names: Vec<String> =
                        SCHEMES.iter().map(|s| format!("{}://", s.name)).collect();
                    return Err(TargetError::new(
                        input,
                        format!(
                            "unsupported scheme '{name}' (accepted: {})",
                            names.join(", ")
                        ),
                    ));
                }
            },
            None => {
                // A bare IPv6 address without brackets is ambiguous with host:port.
                if text.matches(':').count() > 1 && !text.starts_with('[') {
                    if text.parse::<IpAddr>().is_ok() {
                        return Err(TargetError::new(
                            input,
                            "an IPv6 address needs brackets, as in [::1]:443",
                        ));
                    }
                    return Err(TargetError::new(input, "expected HOST[:PORT]"));
                }
                (None, format!("https://{text}"))
            }
        };
        let url = url::Url::parse(&with_scheme).map_err(|err| {
            let reason = match err {
                url::ParseError::InvalidPort => "the port must be a number from 1 to 65535".into(),
                url::ParseError::EmptyHost => "the host name is empty".into(),
                other => format!("{other}"),
            };
            TargetError::new(input, reason)
        })?;
        if !url.username().is_empty() || url.password().is_some() {
            return Err(TargetError::new(
                input,
                "user names and passwords are not accepted",
            ));
        }
        let host = match url.host() {
            Some(url::Host::Domain(name)) => {
                let name = name.trim_end_matches('.').to_string();
                if name.is_empty() {
                    return Err(TargetError::new(input, "the host name is empty"));
                }
                Host::Dns(name)
            }
            Some(url::Host::Ipv4(ip)) => Host::Ip(IpAddr::V4(ip)),
            Some(url::Host::Ipv6(ip)) => Host::Ip(IpAddr::V6(ip)),
            None => return Err(TargetError::new(input, "the host name is empty")),
        };
        // `url` drops the default port for https, so 443 comes back as None whether it was
        // written or not; the authority says which.
        let port = match url.port() {
            Some(port) => port,
            None if names_port_443(&with_scheme) => 443,
            None => scheme.map_or(DEFAULT_PORT, |s| s.default_port),
        };
        if port == 0 {
            return Err(TargetError::new(input, "port 0 is not a valid port"));
        }
        Ok(Target {
            input: text.to_string(),
            host,
            port,
            scheme,
        })
    }
}

/// Whether the authority of `https://AUTHORITY[/...]` ends in an explicit port 443.
fn names_port_443(url: &str) -> bool {
    let rest = url.strip_prefix("https://").unwrap_or(url);
    let authority = rest.split(['/', '?', '#']).next().unwrap_or("");
    let after_host = authority.rsplit(']').next().unwrap_or(authority);
    after_host
        .rsplit_once(':')
        .is_some_and(|(_, port)| port.parse::<u16>() == Ok(443))
}

/// `--connect-to` value.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ConnectTo {
    /// Address or host name to connect to.
    pub host: Host,
    /// Port, when given.
    pub port: Option<u16>,
}

/// Parses `ADDR[:PORT]`: an IP address, `[IPv6]:port`, `host` or `host:port`.
pub fn parse_connect_to(s: &str) -> Result<ConnectTo, String> {
    let text = s.trim();
    if let Ok(ip) = text.parse::<std::net::IpAddr>() {
        return Ok(ConnectTo {
            host: Host::Ip(ip),
            port: None,
        });
    }
    let (host, port) = if let Some(rest) = text.strip_prefix('[') {
        let (inside, after) = rest
            .split_once(']')
            .ok_or_else(|| format!("'{s}': missing ']' after the IPv6 address"))?;
        let port = match after.strip_prefix(':') {
            Some(p) => Some(p),
            None if after.is_empty() => None,
            None => return Err(format!("'{s}': expected [IPv6]:PORT")),
        };
        (inside, port)
    } else {
        match text.rsplit_once(':') {
            Some((h, p)) => (h, Some(p)),
            None => (text, None),
        }
    };
    let port = match port {
        Some(p) => Some(
            p.parse::<u16>()
                .ok()
                .filter(|p| *p != 0)
                .ok_or_else(|| format!("'{s}': the port must be a number from 1 to 65535"))?,
        ),
        None => None,
    };
    Ok(ConnectTo {
        host: Host::parse(host).map_err(|e| e.to_string())?,
        port,
    })
}

/// One line of a `--targets-file`: a target with its own `--sni` and `--connect-to`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TargetLine {
    /// The target.
    pub target: Target,
    /// `--sni NAME` on the line.
    pub sni: Option<Host>,
    /// `--connect-to ADDR[:PORT]` on the line.
    pub connect_to: Option<ConnectTo>,
    /// `--starttls PROTOCOL` on the line.
    pub starttls: Option<StarttlsFlag>,
}

/// A malformed line of a targets file; a usage error (exit 2).
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{source_name} line {line}: {reason}")]
pub struct TargetsFileError {
    /// The file name (or `-`).
    pub source_name: String,
    /// 1-based line number.
    pub line: usize,
    /// What is wrong.
    pub reason: String,
}

/// Parses a targets file: one target per line, blank lines and `#` comments ignored, each line
/// optionally followed by `--sni NAME`, `--connect-to ADDR[:PORT]` and `--starttls PROTOCOL`
/// (also `--sni=NAME`).
pub fn parse_targets_file(
    source_name: &str,
    text: &str,
) -> Result<Vec<TargetLine>, TargetsFileError> {
    let mut out = Vec::new();
    for (number, raw) in text.lines().enumerate() {
        if let Some(entry) = parse_targets_line(source_name, number + 1, raw)? {
            out.push(entry);
        }
    }
    Ok(out)
}

/// Parses line `number` (1-based) of a targets file, as [`parse_targets_file`] does; `None` for a
/// blank or comment line. Lets a large file be read as a stream, one line at a time.
pub fn parse_targets_line(
    source_name: &str,
    number: usize,
    raw: &str,
) -> Result<Option<TargetLine>, TargetsFileError> {
    let fail = |reason: String| TargetsFileError {
        source_name: source_name.to_string(),
        line: number,
        reason,
    };
    let line = raw.split('#').next().unwrap_or("").trim();
    if line.is_empty() {
        return Ok(None);
    }
    let mut words = line.split_whitespace();
    let Some(first) = words.next() else {
        return Ok(None);
    };
    let target: Target = first
        .parse()
        .map_err(|e: TargetError| fail(e.to_string()))?;
    let mut entry = TargetLine {
        target,
        sni: None,
        connect_to: None,
        starttls: None,
    };
    while let Some(word) = words.next() {
        let (flag, inline) = match word.split_once('=') {
            Some((flag, value)) => (flag, Some(value.to_string())),
            None => (word, None),
        };
        let mut value = || {
            inline
                .clone()
                .or_else(|| words.next().map(str::to_string))
                .ok_or_else(|| fail(format!("{flag} needs a value")))
        };
        match flag {
            "--sni" => {
                let name = value()?;
                entry.sni = Some(Host::parse(&name).map_err(|e| fail(e.to_string()))?);
            }
            "--connect-to" => {
                let addr = value()?;
                entry.connect_to = Some(parse_connect_to(&addr).map_err(fail)?);
            }
            "--starttls" => {
                let name = value()?;
                entry.starttls = Some(parse_starttls(&name).map_err(fail)?);
            }
            other => {
                return Err(fail(format!(
                    "unexpected '{other}' (a line holds a target, then optionally --sni NAME, --connect-to ADDR[:PORT] and --starttls PROTOCOL)"
                )));
            }
        }
    }
    Ok(Some(entry))
}

/// `--shard K/N`: one of N disjoint parts of a fleet, chosen by a stable hash of each target.
///
/// A target belongs to shard `K` (0-based) when the first 8 bytes of the SHA-256 of its
/// [`shard key`](Shard::holds), read as a big-endian integer, are `K` modulo `N`. The hash depends
/// on the target alone, never on its line, the file's order or the machine, so N machines given
/// the same fleet cover it exactly once between them with no coordinator.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Shard {
    /// `K`, from 0 to `count - 1`.
    pub index: u64,
    /// `N`, at least 1.
    pub count: u64,
}

impl Shard {
    /// The shard of a target whose key is `key`: SHA-256(key)[0..8] as big-endian, modulo N.
    pub fn of(key: &str, count: u64) -> u64 {
        let digest = ring::digest::digest(&ring::digest::SHA256, key.as_bytes());
        let mut first = [0u8; 8];
        first.copy_from_slice(&digest.as_ref()[..8]);
        u64::from_be_bytes(first) % count.max(1)
    }

    /// Whether the target whose key is `key` falls in this shard.
    pub fn holds(&self, key: &str) -> bool {
        Shard::of(key, self.count) == self.index
    }
}

impl FromStr for Shard {
    type Err = String;

    /// `K/N` with `0 <= K < N`, e.g. `0/4` (the form of a Kubernetes `JOB_COMPLETION_INDEX`).
    fn from_str(s: &str) -> Result<Shard, String> {
        let usage = || {
            format!(
                "'{s}' is not a shard: expected K/N with 0 <= K < N, e.g. 0/4 (K counts from 0, as JOB_COMPLETION_INDEX does)"
            )
        };
        let (index, count) = s.trim().split_once('/').ok_or_else(usage)?;
        let index: u64 = index.trim().parse().map_err(|_| usage())?;
        let count: u64 = count.trim().parse().map_err(|_| usage())?;
        if count == 0 || index >= count {
            return Err(usage());
        }
        Ok(Shard { index, count })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::{Ipv4Addr, Ipv6Addr};

    #[test]
    fn shards_are_parsed_and_partition_keys() {
        assert_eq!("1/4".parse::<Shard>(), Ok(Shard { index: 1, count: 4 }));
        for bad in ["4/4", "1", "a/2", "0/0", "-1/2", ""] {
            let err = bad.parse::<Shard>().unwrap_err();
            assert!(err.contains("expected K/N with 0 <= K < N"), "{bad}: {err}");
        }
        // The documented hash, as `printf %s example.com:443 | sha256sum` shows it: 2d92752e69614799...
        assert_eq!(
            Shard::of("example.com:443", 1000),
            0x2d92752e69614799 % 1000
        );
        let keys: Vec<String> = (0..1000).map(|i| format!("h{i}.test:443")).collect();
        let shards: Vec<Shard> = (0..4).map(|index| Shard { index, count: 4 }).collect();
        for key in &keys {
            assert_eq!(shards.iter().filter(|s| s.holds(key)).count(), 1);
        }
        let sizes: Vec<usize> = shards
            .iter()
            .map(|s| keys.iter().filter(|k| s.holds(k)).count())
            .collect();
        assert!(sizes.iter().all(|n| (200..300).contains(n)), "{sizes:?}");
    }

    #[test]
    fn targets_file_lines() {
        let text = "# fleet\n\nexample.com\napi.example.com:8443 --sni api.example.com  # trailing\nhttps://x.test --connect-to=127.0.0.1:9 --sni=y.test\n";
        let lines = parse_targets_file("t", text).unwrap();
        assert_eq!(lines.len(), 3);
        assert_eq!(lines[1].sni, Some(Host::Dns("api.example.com".into())));
        assert_eq!(
            lines[2].connect_to,
            Some(ConnectTo {
                host: Host::Ip(IpAddr::V4(Ipv4Addr::LOCALHOST)),
                port: Some(9)
            })
        );
        assert_eq!(lines[2].sni, Some(Host::Dns("y.test".into())));
        let err = parse_targets_file("t", "a.test\nb.test:notaport\n").unwrap_err();
        assert_eq!(err.line, 2);
        assert!(err.to_string().starts_with("t line 2: invalid target"));
        let err = parse_targets_file("t", "a.test --bogus\n").unwrap_err();
        assert!(err.to_string().contains("unexpected '--bogus'"));
        let err = parse_targets_file("t", "a.test --sni\n").unwrap_err();
        assert!(err.to_string().contains("--sni needs a value"));
    }

    #[test]
    fn connect_to_forms() {
        let c = parse_connect_to("127.0.0.1:8443").unwrap();
        assert_eq!(c.port, Some(8443));
        let c = parse_connect_to("[::1]:8443").unwrap();
        assert_eq!(c.host, Host::Ip("::1".parse().unwrap()));
        let c = parse_connect_to("::1").unwrap();
        assert_eq!(c.port, None);
        let c = parse_connect_to("backend.internal").unwrap();
        assert_eq!(c.host, Host::Dns("backend.internal".into()));
        assert!(parse_connect_to("host:99999").is_err());
        assert!(parse_connect_to("[::1").is_err());
    }

    fn parse(s: &str) -> Target {
        s.parse().unwrap()
    }

    #[test]
    fn accepts_every_contract_form() {
        let t = parse("example.com");
        assert_eq!((t.host, t.port), (Host::Dns("example.com".into()), 443));
        let t = parse("example.com:8443");
        assert_eq!((t.host, t.port), (Host::Dns("example.com".into()), 8443));
        let t = parse("https://Example.COM/some/path?q=1");
        assert_eq!((t.host, t.port), (Host::Dns("example.com".into()), 443));
        let t = parse("https://example.com:444/x");
        assert_eq!(t.port, 444);
        let t = parse("127.0.0.1:8443");
        assert_eq!(t.host, Host::Ip(IpAddr::V4(Ipv4Addr::LOCALHOST)));
        let t = parse("[::1]:8443");
        assert_eq!(t.host, Host::Ip(IpAddr::V6(Ipv6Addr::LOCALHOST)));
        assert_eq!(t.display_name(), "[::1]:8443");
        let t = parse("https://[::1]");
        assert_eq!(t.port, 443);
    }

    #[test]
    fn converts_internationalised_names_to_punycode() {
        let t = parse("bücher.example");
        assert_eq!(t.host, Host::Dns("xn--bcher-kva.example".into()));
        assert_eq!(
            Host::parse("Bücher.Example.").unwrap(),
            Host::Dns("xn--bcher-kva.example".into())
        );
    }

    #[test]
    fn rejects_malformed_targets_with_a_reason() {
        for bad in [
            "",
            "host:notaport",
            "host:70000",
            "host:0",
            "gopher://host",
            "::1",
            "a b",
            "https://",
            "https://user:pw@host",
        ] {
            let err = bad.parse::<Target>().unwrap_err();
            assert!(err.to_string().contains("invalid target"), "{bad}: {err}");
        }
    }
}
