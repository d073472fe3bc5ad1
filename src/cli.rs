//! The command line as clap sees it: shapes and typed values only, no I/O.

use std::path::PathBuf;
use std::time::Duration;

use clap::{Args, Parser, Subcommand};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use crate::route::ProxyUrl;
use crate::target::{ConnectTo, Host, Shard, StarttlsFlag, parse_connect_to, parse_starttls};

/// Tells you exactly why a TLS certificate would or would not cause an SSL error.
///
/// certcheck connects to each TARGET, captures the chain the server presents (even an invalid
/// one), replays validation against the system store, the bundled Mozilla store and any
/// --ca-file side by side, predicts what each client (Python, curl, OpenSSL, Node, Java, Go,
/// rustls, GnuTLS, wget, Firefox) would do and print, and reports every problem with the exact values and
/// what to do.
#[derive(Debug, Parser)]
#[command(
    name = "certcheck",
    version,
    after_help = "Examples:
  certcheck example.com                      why would (or wouldn't) my clients fail here?
  certcheck example.com:8443 --client python-requests
  certcheck --ca-file corp-root.pem https://intranet.corp/
  certcheck --targets-file hosts.txt --fail-days 14 --jsonl
  certcheck inspect fullchain.pem --host example.com --key privkey.pem
  certcheck stores                           which store each client uses
  certcheck demo                             a tour on 127.0.0.1, no network needed

Exit codes: 0 trusted, 1 a target would cause an SSL error, 2 usage error, 3 a target could not \
be evaluated, 4 only warnings (e.g. expiring soon). With several targets the worst wins \
(1 > 3 > 4 > 0).

Environment: SSL_CERT_FILE and SSL_CERT_DIR replace the system store, as they do for OpenSSL. \
https_proxy, HTTPS_PROXY, all_proxy, ALL_PROXY and NO_PROXY choose an HTTP proxy as curl reads \
them (--proxy and --no-proxy override them). NO_COLOR turns colour off (--color always turns it \
back on). COLUMNS sets the table width."
)]
pub struct Cli {
    /// Hosts to check: host, host:port, https://host[:port][/path], IP:port or [IPv6]:port (port 443 by default); smtp://, submission://, imap://, pop3://, ftp://, ldap://, postgres://, mysql://, xmpp:// use STARTTLS, smtps://, imaps://, pop3s://, ldaps://, ftps:// TLS on their own ports.
    // Parsed by the configuration, which first checks that none is a file or a mistyped
    // subcommand.
    #[arg(value_name = "TARGET")]
    pub targets: Vec<String>,

    /// How to print.
    #[command(flatten)]
    pub output: OutputArgs,

    /// What decides the verdict.
    #[command(flatten)]
    pub policy: PolicyArgs,

    /// Options for live targets.
    #[command(flatten)]
    pub connect: ConnectArgs,

    /// Where the presented chain goes besides the report.
    #[command(flatten)]
    pub chain_output: ChainOutputArgs,

    /// Output format and fleet options.
    #[command(flatten)]
    pub fleet: FleetArgs,

    /// A mode other than checking targets.
    #[command(subcommand)]
    pub command: Option<Command>,
}

/// `--showcerts` and `--save-chain`: the presented chain as PEM, for live targets, `inspect` and
/// `show` (certcheck additions).
#[derive(Debug, Args, Clone, Default)]
pub struct ChainOutputArgs {
    /// Print each presented certificate as PEM after the report, as `openssl s_client -showcerts` does (with --json, each chain entry carries `pem`).
    #[arg(long, global = true)]
    pub showcerts: bool,

    /// Write the presented chain as PEM to FILE (written whole or not at all; one target only).
    #[arg(long, value_name = "FILE", global = true)]
    pub save_chain: Option<PathBuf>,
}

/// How to print, for the modes that print reports.
#[derive(Debug, Args, Clone, Default)]
pub struct OutputArgs {
    /// Print the JSON document of the contract on stdout instead of tables.
    #[arg(long, conflicts_with = "jsonl")]
    pub json: bool,

    /// Stream one JSON result object per line as each target completes (for large fleets and log pipelines).
    #[arg(long)]
    pub jsonl: bool,

    /// Show every report in full (with several targets too), then every field of each certificate, as `show` prints them.
    #[arg(long, short = 'v', conflicts_with = "quiet")]
    pub verbose: bool,

    /// Print only the first line of each report: the target, the verdict and the reason (for scripts).
    #[arg(long, short = 'q')]
    pub quiet: bool,

    /// Colour in tables: auto (on a terminal, unless NO_COLOR is set), always or never.
    #[arg(long, value_name = "WHEN", value_enum)]
    pub color: Option<ColorChoice>,

    /// Output format: human tables, the JSON document, JSON Lines (as --json/--jsonl), or Prometheus text exposition (for a textfile collector or a pushgateway).
    #[arg(long, value_name = "FORMAT", value_enum, conflicts_with_all = ["json", "jsonl"])]
    pub format: Option<OutputFormat>,
}

/// `--color`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum ColorChoice {
    /// Colour on a terminal unless `NO_COLOR` is set.
    Auto,
    /// Always colour, even in a pipe or with `NO_COLOR`.
    Always,
    /// Never colour.
    Never,
}

/// `--platform-stores`: an embedded platform store, or all of them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum PlatformStore {
    /// Every platform store.
    All,
    /// Apple (iOS, macOS).
    Apple,
    /// Android (AOSP).
    Android,
    /// Microsoft Windows, with its blocked list.
    Windows,
    /// Mozilla NSS.
    Mozilla,
    /// OpenJDK 17's cacerts, with its blocked list (years old).
    JavaOpenjdk,
}

/// What decides a result: the stores, the clients, the instant and the expiry thresholds.
#[derive(Debug, Args, Clone, Default)]
pub struct PolicyArgs {
    /// A PEM or DER bundle that forms an extra trust store `custom`; when given, the custom stores decide the verdict (repeatable).
    #[arg(long = "ca-file", value_name = "PATH")]
    pub ca_files: Vec<PathBuf>,

    /// Also validate under the embedded platform stores, for comparison (never deciding the verdict): `--platform-stores` for all, or `--platform-stores=apple,windows` (apple, android, windows, mozilla, java-openjdk).
    #[arg(
        long = "platform-stores",
        value_name = "LIST",
        value_enum,
        num_args = 0..=1,
        require_equals = true,
        default_missing_value = "all",
        value_delimiter = ','
    )]
    pub platform_stores: Vec<PlatformStore>,

    /// A certificate that expires within N days is a warning (exit 4) [default: 30].
    #[arg(long, value_name = "N", allow_hyphen_values = true, value_parser = parse_days)]
    pub warn_days: Option<u32>,

    /// An expiry within N days is an error (exit 1): a CI gate that fails before the certificate expires.
    #[arg(long, value_name = "N", allow_hyphen_values = true, value_parser = parse_days)]
    pub fail_days: Option<u32>,

    /// The clients whose verdict decides the status and the exit code (repeatable; `all` by default, every measured client): python-requests, python-urllib, curl, openssl, node, java, go, rustls, gnutls, wget, chrome, firefox; safari, android and windows are predicted from documented rules, not measured, and decide only when named.
    #[arg(long = "client", value_name = "NAME")]
    pub clients: Vec<String>,

    /// Validate as of this instant instead of now: a date (midnight UTC, e.g. 2027-01-01) or RFC 3339 (2027-01-01T12:00:00Z).
    #[arg(long, value_name = "WHEN", value_parser = parse_at)]
    pub at: Option<OffsetDateTime>,
}

impl PolicyArgs {
    /// The first flag given, for "means nothing to this mode" errors.
    pub fn first_given(&self) -> Option<&'static str> {
        [
            (!self.ca_files.is_empty(), "--ca-file"),
            (!self.platform_stores.is_empty(), "--platform-stores"),
            (self.warn_days.is_some(), "--warn-days"),
            (self.fail_days.is_some(), "--fail-days"),
            (!self.clients.is_empty(), "--client"),
            (self.at.is_some(), "--at"),
        ]
        .into_iter()
        .find_map(|(given, flag)| given.then_some(flag))
    }

    /// These flags, with any unset one taken from `outer` (the flags given before the subcommand).
    pub fn or(self, outer: PolicyArgs) -> PolicyArgs {
        PolicyArgs {
            ca_files: if self.ca_files.is_empty() {
                outer.ca_files
            } else {
                self.ca_files
            },
            platform_stores: if self.platform_stores.is_empty() {
                outer.platform_stores
            } else {
                self.platform_stores
            },
            warn_days: self.warn_days.or(outer.warn_days),
            fail_days: self.fail_days.or(outer.fail_days),
            clients: if self.clients.is_empty() {
                outer.clients
            } else {
                self.clients
            },
            at: self.at.or(outer.at),
        }
    }
}

impl OutputArgs {
    /// These flags, each also on when given before the subcommand.
    pub fn or(self, outer: OutputArgs) -> OutputArgs {
        OutputArgs {
            json: self.json || outer.json,
            jsonl: self.jsonl || outer.jsonl,
            verbose: self.verbose || outer.verbose,
            quiet: self.quiet || outer.quiet,
            color: self.color.or(outer.color),
            format: self.format.or(outer.format),
        }
    }
}

/// Options that only make sense with a network connection.
#[derive(Debug, Args, Clone)]
pub struct ConnectArgs {
    /// Read more targets from FILE (`-` for standard input): one per line, `#` comments, each line optionally with --sni, --connect-to and --starttls.
    #[arg(long, value_name = "FILE")]
    pub targets_file: Option<PathBuf>,

    /// The name to send (SNI) and verify, instead of the target's host.
    #[arg(long, value_name = "NAME", value_parser = parse_host)]
    pub sni: Option<Host>,

    /// Connect to this address instead of resolving the target's host (like curl --resolve); the port defaults to the target's.
    #[arg(long = "connect-to", value_name = "ADDR[:PORT]", value_parser = parse_connect_to)]
    pub connect_to: Option<ConnectTo>,

    /// Speak PROTOCOL before TLS (smtp, imap, pop3, ftp, ldap, postgres, mysql, xmpp), or `none`; by default the URL scheme decides, else a bare port that one protocol owns (25, 587, 143, 110, 21, 389, 5432, 3306, 5222).
    #[arg(long, value_name = "PROTOCOL", value_parser = parse_starttls)]
    pub starttls: Option<StarttlsFlag>,

    /// Bound on name resolution + connect (and the proxy's answer to CONNECT) + STARTTLS + handshake per target, in seconds.
    #[arg(long, value_name = "SECS", default_value = "10", value_parser = parse_timeout)]
    pub timeout: Duration,

    /// Connect through this HTTP proxy with CONNECT (http://[user:password@]host[:port]; Basic credentials are sent, never shown) instead of the one the environment names.
    #[arg(long, value_name = "URL", value_parser = ProxyParser, conflicts_with = "no_proxy")]
    pub proxy: Option<ProxyUrl>,

    /// Connect directly, ignoring https_proxy, HTTPS_PROXY, all_proxy and ALL_PROXY (which certcheck otherwise follows as curl does, NO_PROXY included).
    #[arg(long = "no-proxy")]
    pub no_proxy: bool,

    /// Use IPv4 addresses only (of the server, or of the proxy).
    #[arg(short = '4', long = "ipv4", conflicts_with = "ipv6")]
    pub ipv4: bool,

    /// Use IPv6 addresses only (of the server, or of the proxy).
    #[arg(short = '6', long = "ipv6")]
    pub ipv6: bool,

    /// Present this client certificate to servers that ask for one (PEM: the certificate, then any intermediates, and the private key unless --key gives it; or one DER certificate).
    #[arg(long, value_name = "FILE")]
    pub cert: Option<PathBuf>,

    /// The private key of --cert (PEM PKCS#8, PKCS#1 RSA or SEC1 EC, or DER PKCS#8), when the --cert file does not hold it.
    #[arg(long, value_name = "FILE", requires = "cert")]
    pub key: Option<PathBuf>,
    /// Fetch nothing: by default, when a server does not send an intermediate its certificate names at an http AIA caIssuers URL, certcheck fetches it (as Chrome and Safari do, at most 4 levels, 5 s and 1 MiB each) to say whether the chain is trusted with it; and no OCSP response or CRL, even with --check-revocation.
    #[arg(long, global = true)]
    pub offline: bool,

    /// Check revocation as a client that checks it would: fetch the OCSP response (RFC 6960, by POST to the AIA OCSP http URL) of every certificate on the path, or its CRL (CRL distribution point) when it names no OCSP URL, each bounded like AIA (5 s, 1 MiB), and report a revoked certificate. Off by default; --offline wins; inspect fetches only with --fetch.
    #[arg(long, global = true)]
    pub check_revocation: bool,

    /// How many targets are checked at once.
    #[arg(long, value_name = "N", default_value_t = 32, value_parser = clap::value_parser!(u16).range(1..))]
    pub concurrency: u16,
}

/// Output format and the options for fleets past one machine.
#[derive(Debug, Args, Clone)]
pub struct FleetArgs {
    /// Check only the targets in shard K of N (0 <= K < N), by a stable hash of each target, so N machines cover a fleet once with no coordinator.
    #[arg(long, value_name = "K/N", value_parser = parse_shard)]
    pub shard: Option<Shard>,
}

/// `--format` values.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum OutputFormat {
    /// Tables for people.
    Human,
    /// The contract's JSON document (as --json).
    Json,
    /// One JSON result per line as each target completes (as --jsonl).
    Jsonl,
    /// Prometheus text exposition: certcheck_* metrics per target.
    Prometheus,
}

/// `certcheck serve` options.
#[derive(Debug, Args, Clone)]
pub struct ServeArgs {
    /// The address to listen on, e.g. 127.0.0.1:9219 (port 0 picks a free port, printed on stderr).
    #[arg(long, value_name = "ADDR:PORT")]
    pub listen: std::net::SocketAddr,

    /// A CA file a probe may name with `ca_file=NAME` (repeatable); no other file is ever read for a request.
    #[arg(long = "allow-ca-file", value_name = "NAME=PATH", value_parser = parse_allowed_ca_file)]
    pub allowed_ca_files: Vec<(String, PathBuf)>,

    /// How many probes run at once; further probes wait for a free slot within their timeout.
    #[arg(long, value_name = "N", default_value_t = 32, value_parser = clap::value_parser!(u16).range(1..))]
    pub concurrency: u16,

    /// Bound on one probe (connect + handshake + evaluation), in seconds; Prometheus's scrape timeout lowers it.
    #[arg(long, value_name = "SECS", default_value = "10", value_parser = parse_timeout)]
    pub timeout: Duration,

    /// How many HTTP connections are served at once; more wait in the listen queue.
    #[arg(long, value_name = "N", default_value_t = 512, value_parser = clap::value_parser!(u16).range(1..))]
    pub max_connections: u16,
}

/// Modes other than checking live targets.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Start TLS servers on 127.0.0.1 with generated chains (valid, expired, wrong name, self-signed,
    /// untrusted root, missing intermediate) and diagnose each, with no network and no set-up.
    #[command(
        after_help = "Examples:\n  certcheck demo\n  certcheck demo --quiet\n  certcheck demo --json | jq '.results[].verdict'"
    )]
    Demo(DemoArgs),
    /// Show where each trust store comes from (files, directories, environment variables), how many
    /// certificates loaded and which failed, and the store each client profile would use.
    #[command(
        after_help = "Examples:\n  certcheck stores\n  certcheck stores --ca-file corp-root.pem\n  SSL_CERT_FILE=/tmp/bundle.pem certcheck stores --json"
    )]
    Stores(StoresArgs),
    /// Diagnose local certificate files and bundles (PEM, DER, PKCS#7, PKCS#12, a directory of
    /// certificates; `-` for standard input) with the same checks as a live target, minus the network.
    #[command(
        after_help = "Examples:\n  certcheck inspect fullchain.pem --host example.com\n  certcheck inspect cert.pem --untrusted intermediate.pem --ca-file root.pem\n  certcheck inspect fullchain.pem --key privkey.pem\n  certcheck inspect --each /etc/ssl/certs/ca-certificates.crt --fail-days 90\n  openssl s_client -connect host:443 -showcerts </dev/null | certcheck inspect -"
    )]
    Inspect(InspectArgs),
    /// Print every field of each certificate (as `openssl x509 -text`), from files or live
    /// targets: a FILE that exists is read, anything else is a TARGET to connect to.
    #[command(
        after_help = "Examples:\n  certcheck show example.com\n  certcheck show fullchain.pem\n  certcheck show --json example.com | jq '.results[0].chain[].details.fingerprints'\n  certcheck show keystore.p12 --password \"$P\""
    )]
    Show(ShowArgs),
    /// Explain a finding code: what it means, the errors OpenSSL, Java, Go and browsers print
    /// for it, and what to do (without CODE: list every code).
    #[command(
        after_help = "Examples:\n  certcheck explain incomplete-chain\n  certcheck explain            (every code with its severity)"
    )]
    Explain(ExplainArgs),
    /// Print a shell completion script on stdout (e.g. `certcheck completions bash >
    /// /etc/bash_completion.d/certcheck`).
    #[command(
        after_help = "Examples:\n  certcheck completions bash > /etc/bash_completion.d/certcheck\n  certcheck completions zsh > \"${fpath[1]}/_certcheck\"\n  certcheck completions fish > ~/.config/fish/completions/certcheck.fish"
    )]
    Completions(CompletionsArgs),
    /// Print certcheck's manual page (roff) on stdout (e.g. `certcheck man | man -l -`).
    #[command(
        after_help = "Examples:\n  certcheck man | man -l -\n  certcheck man > /usr/local/share/man/man1/certcheck.1"
    )]
    Man,
    /// Serve Prometheus probes over HTTP in the blackbox_exporter pattern: `GET /probe?target=host:port`
    /// checks one target and answers certcheck_* metrics; `/metrics` has the server's own counters.
    #[command(
        after_help = "Examples:\n  certcheck serve --listen 127.0.0.1:9219\n  certcheck serve --listen 0.0.0.0:9219 --allow-ca-file internal=/etc/ssl/internal-ca.pem\n  curl 'http://127.0.0.1:9219/probe?target=example.com:443&client=curl'"
    )]
    Serve(ServeArgs),
}

/// `certcheck show` options.
#[derive(Debug, Args, Clone)]
pub struct ShowArgs {
    /// Certificate files (PEM, DER, PKCS#7, PKCS#12, a directory of certificates, `-` for standard input) or targets (host[:port], https://host...).
    #[arg(value_name = "FILE|TARGET", required = true)]
    pub inputs: Vec<String>,

    /// For targets: the name to send (SNI) instead of the target's host.
    #[arg(long, value_name = "NAME", value_parser = parse_host)]
    pub sni: Option<Host>,

    /// For targets: connect to this address instead of resolving the host (like curl --resolve).
    #[arg(long = "connect-to", value_name = "ADDR[:PORT]", value_parser = parse_connect_to)]
    pub connect_to: Option<ConnectTo>,

    /// For files: also check that the leaf is valid for NAME.
    #[arg(long, value_name = "NAME", value_parser = parse_host)]
    pub host: Option<Host>,

    /// The password of a PKCS#12 file (or set CERTCHECK_P12_PASSWORD, which keeps it out of the process list).
    #[arg(long, value_name = "PASSWORD")]
    pub password: Option<String>,

    /// How to print.
    #[command(flatten)]
    pub output: OutputArgs,

    /// What decides the verdict.
    #[command(flatten)]
    pub policy: PolicyArgs,
}

/// `certcheck explain` options.
#[derive(Debug, Args, Clone)]
pub struct ExplainArgs {
    /// A finding code, e.g. `incomplete-chain`; without it, every code is listed.
    #[arg(value_name = "CODE")]
    pub code: Option<String>,
}

/// `certcheck completions` options.
#[derive(Debug, Args, Clone)]
pub struct CompletionsArgs {
    /// The shell to write the script for.
    #[arg(value_name = "SHELL")]
    pub shell: CompletionShell,
}

/// The shells `certcheck completions` writes for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum CompletionShell {
    /// GNU Bash.
    Bash,
    /// Z shell.
    Zsh,
    /// fish.
    Fish,
    /// PowerShell.
    Powershell,
}

/// `certcheck demo` options.
#[derive(Debug, Args, Clone)]
pub struct DemoArgs {
    /// How to print.
    #[command(flatten)]
    pub output: OutputArgs,
}

/// `certcheck stores` options.
#[derive(Debug, Args, Clone)]
pub struct StoresArgs {
    /// Print the stores as one JSON document instead of tables.
    #[arg(long)]
    pub json: bool,

    /// Also load this bundle as the store `custom` (repeatable), to see what it holds.
    #[arg(long = "ca-file", value_name = "PATH")]
    pub ca_files: Vec<PathBuf>,

    /// Colour in tables: auto, always or never.
    #[arg(long, value_name = "WHEN", value_enum)]
    pub color: Option<ColorChoice>,
}

/// `certcheck inspect` options.
#[derive(Debug, Args, Clone)]
pub struct InspectArgs {
    /// Certificate files: the first certificate is the leaf, the rest the chain in file order (like fullchain.pem).
    #[arg(value_name = "FILE", required = true)]
    pub files: Vec<PathBuf>,

    /// Also check that the leaf is valid for NAME (a DNS name or an IP address).
    #[arg(long, value_name = "NAME", value_parser = parse_host)]
    pub host: Option<Host>,

    /// Extra intermediates that may be used to build the path (repeatable).
    #[arg(long, value_name = "FILE")]
    pub untrusted: Vec<PathBuf>,

    /// Evaluate every certificate on its own (dates, key, signature algorithm), without path building.
    #[arg(long, conflicts_with_all = ["host", "untrusted"])]
    pub each: bool,

    /// Fetch the AIA caIssuers certificate of a missing intermediate (http only, directly, at most 4 levels, 5 s and 1 MiB each), to say whether the chain is trusted with it.
    #[arg(long, conflicts_with = "each")]
    pub fetch: bool,

    /// Check that this private key (PEM PKCS#8, PKCS#1 or SEC1, or DER PKCS#8) belongs to the leaf; key material is never printed.
    #[arg(long, value_name = "FILE", conflicts_with = "each")]
    pub key: Option<PathBuf>,

    /// The password of a PKCS#12 file (or set CERTCHECK_P12_PASSWORD, which keeps it out of the process list); keys in it are never printed.
    #[arg(long, value_name = "PASSWORD")]
    pub password: Option<String>,

    /// How to print.
    #[command(flatten)]
    pub output: OutputArgs,

    /// What decides the verdict.
    #[command(flatten)]
    pub policy: PolicyArgs,
}

fn parse_host(s: &str) -> Result<Host, String> {
    Host::parse(s).map_err(|e| e.to_string())
}

/// Parses `--proxy` with an error that leaves the credentials out (clap's own message for a
/// value parser's error would quote the value as typed, password and all).
#[derive(Clone, Copy, Debug)]
struct ProxyParser;

impl clap::builder::TypedValueParser for ProxyParser {
    type Value = ProxyUrl;

    fn parse_ref(
        &self,
        cmd: &clap::Command,
        _arg: Option<&clap::Arg>,
        value: &std::ffi::OsStr,
    ) -> Result<ProxyUrl, clap::Error> {
        use clap::error::ErrorKind;
        let text = value.to_str().ok_or_else(|| {
            clap::Error::raw(ErrorKind::InvalidUtf8, "--proxy URL is not UTF-8\n").with_cmd(cmd)
        })?;
        ProxyUrl::parse(text).map_err(|e| {
            clap::Error::raw(ErrorKind::ValueValidation, format!("--proxy {e}\n")).with_cmd(cmd)
        })
    }
}

fn parse_shard(s: &str) -> Result<Shard, String> {
    s.parse()
}

fn parse_allowed_ca_file(s: &str) -> Result<(String, PathBuf), String> {
    let (name, path) = s.split_once('=').ok_or_else(|| {
        format!("'{s}': expected NAME=PATH, e.g. internal=/etc/ssl/internal-ca.pem")
    })?;
    let valid = |c: char| c.is_ascii_alphanumeric() || "-_.".contains(c);
    if name.is_empty() || !name.chars().all(valid) || path.is_empty() {
        return Err(format!(
            "'{s}': NAME is letters, digits, '-', '_' or '.', and PATH is not empty"
        ));
    }
    Ok((name.to_string(), PathBuf::from(path)))
}

/// `--at`: RFC 3339, or a calendar date meaning midnight UTC.
fn parse_at(s: &str) -> Result<OffsetDateTime, String> {
    if let Ok(at) = OffsetDateTime::parse(s, &Rfc3339) {
        return Ok(at);
    }
    let date_only = time::macros::format_description!("[year]-[month]-[day]");
    if let Ok(date) = time::Date::parse(s, date_only) {
        return Ok(date.midnight().assume_utc());
    }
    Err(format!(
        "'{s}' is neither a date (2027-01-01, midnight UTC) nor an RFC 3339 instant \
         (2027-01-01T12:00:00Z, 2027-01-01T12:00:00+02:00)"
    ))
}

/// `--warn-days`/`--fail-days`: a whole number of days, zero or more.
fn parse_days(s: &str) -> Result<u32, String> {
    match s.parse::<i64>() {
        Ok(n) if n < 0 => Err(format!(
            "{n} is negative; give a number of days from 0 (0 means only expired certificates count)"
        )),
        Ok(n) => {
            u32::try_from(n).map_err(|_| format!("{n} days is too many (at most {})", u32::MAX))
        }
        Err(_) => Err(format!("'{s}' is not a whole number of days")),
    }
}

fn parse_timeout(s: &str) -> Result<Duration, String> {
    let secs: f64 = s
        .parse()
        .map_err(|_| format!("'{s}' is not a number of seconds"))?;
    if !secs.is_finite() || secs <= 0.0 || secs > 86_400.0 {
        return Err("the timeout must be more than 0 and at most 86400 seconds".into());
    }
    Ok(Duration::from_secs_f64(secs))
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn verify_cli() {
        Cli::command().debug_assert();
    }

    #[test]
    fn every_help_ends_with_examples() {
        let cli = Cli::command();
        let help = |c: &clap::Command| {
            c.get_after_help()
                .map(|h| h.to_string())
                .unwrap_or_default()
        };
        assert!(help(&cli).starts_with("Examples:"));
        for sub in cli.get_subcommands() {
            assert!(help(sub).starts_with("Examples:"), "{}", sub.get_name());
        }
    }

    #[test]
    fn at_takes_a_date_or_rfc3339() {
        let midnight = time::macros::datetime!(2027-01-01 00:00 UTC);
        assert_eq!(parse_at("2027-01-01").unwrap(), midnight);
        assert_eq!(parse_at("2027-01-01T00:00:00Z").unwrap(), midnight);
        assert_eq!(parse_at("2027-01-01T02:00:00+02:00").unwrap(), midnight);
        let err = parse_at("2027-13-01").unwrap_err();
        assert!(err.contains("neither a date"), "{err}");
        assert!(!err.contains("separator"), "{err}");
    }

    #[test]
    fn negative_days_are_refused_in_words_either_way_they_are_written() {
        for args in [
            ["certcheck", "--warn-days", "-5", "example.com"],
            ["certcheck", "--warn-days=-5", "example.com", "-q"],
        ] {
            let err = Cli::try_parse_from(args).unwrap_err().to_string();
            assert!(err.contains("-5 is negative"), "{err}");
            assert!(!err.contains("-- -5"), "{err}");
        }
        let cli = Cli::try_parse_from(["certcheck", "--fail-days", "0", "example.com"]).unwrap();
        assert_eq!(cli.policy.fail_days, Some(0));
    }

    #[test]
    fn timeouts_must_be_positive() {
        assert!(parse_timeout("0").is_err());
        assert!(parse_timeout("-1").is_err());
        assert!(parse_timeout("abc").is_err());
        assert_eq!(parse_timeout("1.5").unwrap(), Duration::from_millis(1500));
    }
}
