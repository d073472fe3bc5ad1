//! The protocols a target may speak before TLS (STARTTLS and its relatives), the URL schemes
//! that name them, and which one a target uses: `--starttls`, else its scheme, else its port.

use std::fmt;

use super::Target;

/// A protocol whose plaintext exchange must come before TLS (STARTTLS and its relatives).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Starttls {
    /// FTP `AUTH TLS` (RFC 4217).
    Ftp,
    /// IMAP `STARTTLS` (RFC 3501 section 6.2.1).
    Imap,
    /// LDAP's StartTLS extended operation (RFC 4511 section 4.14).
    Ldap,
    /// MySQL and MariaDB: the SSLRequest packet of the connection phase.
    Mysql,
    /// POP3 `STLS` (RFC 2595 section 4).
    Pop3,
    /// PostgreSQL's SSLRequest message.
    Postgres,
    /// SMTP `STARTTLS` (RFC 3207), on port 25 or 587 (submission).
    Smtp,
    /// XMPP client-to-server `<starttls/>` (RFC 6120 section 5).
    Xmpp,
}

impl Starttls {
    /// Every protocol, in the order `--help` lists them.
    pub const ALL: [Starttls; 8] = [
        Starttls::Smtp,
        Starttls::Imap,
        Starttls::Pop3,
        Starttls::Ftp,
        Starttls::Ldap,
        Starttls::Postgres,
        Starttls::Mysql,
        Starttls::Xmpp,
    ];

    /// The name used by `--starttls` and the report, e.g. `smtp`.
    pub fn name(self) -> &'static str {
        match self {
            Starttls::Ftp => "ftp",
            Starttls::Imap => "imap",
            Starttls::Ldap => "ldap",
            Starttls::Mysql => "mysql",
            Starttls::Pop3 => "pop3",
            Starttls::Postgres => "postgres",
            Starttls::Smtp => "smtp",
            Starttls::Xmpp => "xmpp",
        }
    }

    /// How people write the protocol in prose, e.g. `SMTP`, `PostgreSQL`.
    pub fn label(self) -> &'static str {
        match self {
            Starttls::Ftp => "FTP",
            Starttls::Imap => "IMAP",
            Starttls::Ldap => "LDAP",
            Starttls::Mysql => "MySQL",
            Starttls::Pop3 => "POP3",
            Starttls::Postgres => "PostgreSQL",
            Starttls::Smtp => "SMTP",
            Starttls::Xmpp => "XMPP",
        }
    }

    /// The protocol's well-known plaintext port.
    pub fn default_port(self) -> u16 {
        match self {
            Starttls::Ftp => 21,
            Starttls::Imap => 143,
            Starttls::Ldap => 389,
            Starttls::Mysql => 3306,
            Starttls::Pop3 => 110,
            Starttls::Postgres => 5432,
            Starttls::Smtp => 25,
            Starttls::Xmpp => 5222,
        }
    }

    /// The protocol a bare `host:PORT` implies: only the ports that belong to one protocol
    /// (25 and 587 are both SMTP).
    pub fn for_port(port: u16) -> Option<Starttls> {
        match port {
            587 => Some(Starttls::Smtp),
            _ => Starttls::ALL.into_iter().find(|p| p.default_port() == port),
        }
    }

    /// Parses a `--starttls` protocol name (case-insensitive; `postgresql` too).
    pub fn parse(name: &str) -> Option<Starttls> {
        let lower = name.to_ascii_lowercase();
        match lower.as_str() {
            "postgresql" => Some(Starttls::Postgres),
            _ => Starttls::ALL.into_iter().find(|p| p.name() == lower),
        }
    }
}

impl fmt::Display for Starttls {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// The URL schemes a target may have, each with its default port and what it speaks first.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Scheme {
    /// As written in URLs, lower case.
    pub name: &'static str,
    /// The port when the URL names none.
    pub default_port: u16,
    /// The upgrade the scheme asks for; `None` is TLS from the first byte.
    pub starttls: Option<Starttls>,
}

/// Every accepted scheme: `https` and the implicit-TLS ports of the mail, directory and file
/// protocols, and the STARTTLS forms on their plaintext ports.
pub const SCHEMES: &[Scheme] = &[
    Scheme::tls("https", 443),
    Scheme::tls("smtps", 465),
    Scheme::tls("imaps", 993),
    Scheme::tls("pop3s", 995),
    Scheme::tls("ldaps", 636),
    Scheme::tls("ftps", 990),
    Scheme::upgrade("smtp", 25, Starttls::Smtp),
    Scheme::upgrade("submission", 587, Starttls::Smtp),
    Scheme::upgrade("imap", 143, Starttls::Imap),
    Scheme::upgrade("pop3", 110, Starttls::Pop3),
    Scheme::upgrade("ftp", 21, Starttls::Ftp),
    Scheme::upgrade("ldap", 389, Starttls::Ldap),
    Scheme::upgrade("postgres", 5432, Starttls::Postgres),
    Scheme::upgrade("postgresql", 5432, Starttls::Postgres),
    Scheme::upgrade("mysql", 3306, Starttls::Mysql),
    Scheme::upgrade("xmpp", 5222, Starttls::Xmpp),
];

impl Scheme {
    const fn tls(name: &'static str, default_port: u16) -> Scheme {
        Scheme {
            name,
            default_port,
            starttls: None,
        }
    }

    const fn upgrade(name: &'static str, default_port: u16, protocol: Starttls) -> Scheme {
        Scheme {
            name,
            default_port,
            starttls: Some(protocol),
        }
    }

    /// The scheme named `name` (case-insensitive).
    pub fn find(name: &str) -> Option<Scheme> {
        SCHEMES
            .iter()
            .copied()
            .find(|s| s.name.eq_ignore_ascii_case(name))
    }
}

/// The STARTTLS protocol a target will use, and how it was chosen.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct StarttlsChoice {
    /// The protocol spoken before TLS.
    pub protocol: Starttls,
    /// Whether it was inferred from a bare `host:PORT` rather than named by `--starttls` or
    /// the URL scheme.
    pub inferred_from_port: bool,
}

/// A `--starttls` value: a protocol, or `none` (TLS from the first byte, even on a port that
/// would imply a protocol).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StarttlsFlag {
    /// `--starttls none`.
    None,
    /// `--starttls PROTOCOL`.
    Protocol(Starttls),
}

/// Parses a `--starttls` value.
pub fn parse_starttls(s: &str) -> Result<StarttlsFlag, String> {
    if s.eq_ignore_ascii_case("none") {
        return Ok(StarttlsFlag::None);
    }
    Starttls::parse(s)
        .map(StarttlsFlag::Protocol)
        .ok_or_else(|| {
            let names: Vec<&str> = Starttls::ALL.iter().map(|p| p.name()).collect();
            format!(
                "'{s}' is not a STARTTLS protocol (expected one of {}, or none)",
                names.join(", ")
            )
        })
}

impl Target {
    /// The STARTTLS protocol to use, from `--starttls` (`flag`), else the URL scheme, else the
    /// port of a bare `host:PORT` when one protocol owns it (25, 587, 143, ...).
    ///
    /// A flag that contradicts the scheme (`--starttls imap smtp://host`, `--starttls smtp
    /// https://host`) is an error naming both.
    pub fn starttls(&self, flag: Option<StarttlsFlag>) -> Result<Option<StarttlsChoice>, String> {
        let named = |protocol| StarttlsChoice {
            protocol,
            inferred_from_port: false,
        };
        match (flag, self.scheme) {
            (Some(flag), Some(scheme)) => {
                let wanted = match flag {
                    StarttlsFlag::None => None,
                    StarttlsFlag::Protocol(p) => Some(p),
                };
                if wanted == scheme.starttls {
                    return Ok(wanted.map(named));
                }
                let says = match scheme.starttls {
                    Some(p) => format!("asks for STARTTLS over {}", p.label()),
                    None => "is TLS from the first byte".to_string(),
                };
                let flag_text = wanted.map_or("none", Starttls::name);
                Err(format!(
                    "--starttls {flag_text} contradicts the target '{}', whose scheme {}:// {says}; drop one of them",
                    self.input, scheme.name
                ))
            }
            (Some(StarttlsFlag::None), None) => Ok(None),
            (Some(StarttlsFlag::Protocol(p)), None) => Ok(Some(named(p))),
            (None, Some(scheme)) => Ok(scheme.starttls.map(named)),
            (None, None) => Ok(
                Starttls::for_port(self.port).map(|protocol| StarttlsChoice {
                    protocol,
                    inferred_from_port: true,
                }),
            ),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::target::{Host, parse_targets_file};

    fn parse(s: &str) -> Target {
        s.parse().unwrap()
    }

    #[test]
    fn schemes_set_their_default_ports_and_protocols() {
        let cases = [
            ("smtp://mail.test", 25, Some(Starttls::Smtp)),
            ("submission://mail.test", 587, Some(Starttls::Smtp)),
            ("SMTP://mail.test:2525", 2525, Some(Starttls::Smtp)),
            ("smtps://mail.test", 465, None),
            ("imap://mail.test", 143, Some(Starttls::Imap)),
            ("imaps://mail.test", 993, None),
            ("pop3://mail.test", 110, Some(Starttls::Pop3)),
            ("pop3s://mail.test", 995, None),
            ("ftp://files.test/pub", 21, Some(Starttls::Ftp)),
            ("ftps://files.test", 990, None),
            ("ldap://dir.test", 389, Some(Starttls::Ldap)),
            ("ldaps://dir.test", 636, None),
            ("postgres://db.test/app", 5432, Some(Starttls::Postgres)),
            ("postgresql://db.test:6432", 6432, Some(Starttls::Postgres)),
            ("mysql://db.test", 3306, Some(Starttls::Mysql)),
            ("xmpp://chat.test", 5222, Some(Starttls::Xmpp)),
            ("smtp://mail.test:443", 443, Some(Starttls::Smtp)),
            ("smtp://[::1]:443", 443, Some(Starttls::Smtp)),
            ("imap://bücher.test", 143, Some(Starttls::Imap)),
        ];
        for (input, port, protocol) in cases {
            let t = parse(input);
            assert_eq!(t.port, port, "{input}");
            let choice = t.starttls(None).unwrap();
            assert_eq!(choice.map(|c| c.protocol), protocol, "{input}");
            assert!(choice.is_none_or(|c| !c.inferred_from_port), "{input}");
        }
        assert_eq!(
            parse("imap://bücher.test").host,
            Host::Dns("xn--bcher-kva.test".into())
        );
    }

    #[test]
    fn a_bare_port_implies_its_protocol_and_says_so() {
        for (port, protocol) in [
            (25, Starttls::Smtp),
            (587, Starttls::Smtp),
            (143, Starttls::Imap),
            (110, Starttls::Pop3),
            (21, Starttls::Ftp),
            (389, Starttls::Ldap),
            (5432, Starttls::Postgres),
            (3306, Starttls::Mysql),
            (5222, Starttls::Xmpp),
        ] {
            let t = parse(&format!("host.test:{port}"));
            assert_eq!(
                t.starttls(None).unwrap(),
                Some(StarttlsChoice {
                    protocol,
                    inferred_from_port: true
                })
            );
        }
        assert_eq!(parse("host.test").starttls(None).unwrap(), None);
        assert_eq!(parse("host.test:993").starttls(None).unwrap(), None);
        assert_eq!(parse("https://host.test:25").starttls(None).unwrap(), None);
        assert_eq!(
            parse("host.test:25")
                .starttls(Some(StarttlsFlag::None))
                .unwrap(),
            None
        );
        let explicit = parse("host.test:2525")
            .starttls(Some(StarttlsFlag::Protocol(Starttls::Smtp)))
            .unwrap();
        assert_eq!(explicit.map(|c| c.inferred_from_port), Some(false));
    }

    #[test]
    fn a_flag_that_contradicts_the_scheme_is_refused() {
        let err = parse("smtp://mail.test")
            .starttls(Some(StarttlsFlag::Protocol(Starttls::Imap)))
            .unwrap_err();
        assert!(
            err.contains("--starttls imap contradicts") && err.contains("smtp://"),
            "{err}"
        );
        let err = parse("https://mail.test")
            .starttls(Some(StarttlsFlag::Protocol(Starttls::Smtp)))
            .unwrap_err();
        assert!(err.contains("TLS from the first byte"), "{err}");
        assert!(
            parse("smtp://mail.test")
                .starttls(Some(StarttlsFlag::Protocol(Starttls::Smtp)))
                .is_ok()
        );
    }

    #[test]
    fn starttls_values() {
        assert_eq!(
            parse_starttls("SMTP"),
            Ok(StarttlsFlag::Protocol(Starttls::Smtp))
        );
        assert_eq!(
            parse_starttls("postgresql"),
            Ok(StarttlsFlag::Protocol(Starttls::Postgres))
        );
        assert_eq!(parse_starttls("none"), Ok(StarttlsFlag::None));
        let err = parse_starttls("telnet").unwrap_err();
        assert!(
            err.contains("smtp, imap, pop3, ftp, ldap, postgres, mysql, xmpp"),
            "{err}"
        );
        let lines = parse_targets_file("t", "mail.test:2525 --starttls smtp\n").unwrap();
        assert_eq!(
            lines[0].starttls,
            Some(StarttlsFlag::Protocol(Starttls::Smtp))
        );
        let err = parse_targets_file("t", "mail.test --starttls=gopher\n").unwrap_err();
        assert!(err.to_string().contains("not a STARTTLS protocol"), "{err}");
    }
}
