//! The command line as clap sees it: shapes and typed values only, no I/O.

use std::path::PathBuf;
use std::time::Duration;

use clap::{Args, Parser, Subcommand};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use crate::target::{ConnectTo, Host, Shard, Target, parse_connect_to};

/// Tells you exactly why a TLS certificate would or would not cause an SSL error.
///
/// certcheck connects to each TARGET, captures the chain the server presents (even an invalid
/// one), replays validation against the system store, the bundled Mozilla store and any
/// --ca-file side by side, and reports every problem with the exact values and what to do.
#[derive(Debug, Parser)]
#[command(
    name = "certcheck",
    version,
    after_help = "Exit codes: 0 trusted, 1 a target would cause an SSL error, 2 usage error, \
3 a target could not be evaluated, 4 only warnings (e.g. expiring soon). With several targets \
the worst wins (1 > 3 > 4 > 0).\n\nEnvironment: SSL_CERT_FILE and SSL_CERT_DIR replace the system \
store, as they do for OpenSSL. NO_COLOR turns colour off.\n\nTry `certcheck demo` for a tour \
that needs no network."
)]
pub struct Cli {
    /// Hosts to check: host, host:port, https://host[:port][/path], IP:port or [IPv6]:port (port 443 by default).
    #[arg(value_name = "TARGET", value_parser = parse_target)]
    pub targets: Vec<Target>,

    /// Options shared by every mode.
    #[command(flatten)]
    pub common: CommonArgs,

    /// Options for live targets.
    #[command(flatten)]
    pub connect: ConnectArgs,

    /// Output format and fleet options.
    #[command(flatten)]
    pub fleet: FleetArgs,

    /// A mode other than checking targets.
    #[command(subcommand)]
    pub command: Option<Command>,
}

/// Options every mode takes.
#[derive(Debug, Args, Clone)]
pub struct CommonArgs {
    /// Print the JSON document of the contract on stdout instead of tables.
    #[arg(long, global = true, conflicts_with = "jsonl")]
    pub json: bool,

    /// Stream one JSON result object per line as each target completes (for large fleets and log pipelines).
    #[arg(long, global = true)]
    pub jsonl: bool,

    /// With several targets, show the full report for every target, not only those that are not ok.
    #[arg(long, short = 'v', global = true)]
    pub verbose: bool,

    /// A PEM or DER bundle that forms an extra trust store `custom`; when given, the custom stores decide the verdict (repeatable).
    #[arg(long = "ca-file", value_name = "PATH", global = true)]
    pub ca_files: Vec<PathBuf>,

    /// A certificate that expires within N days is a warning (exit 4).
    #[arg(long, value_name = "N", default_value_t = 30, global = true)]
    pub warn_days: u32,

    /// An expiry within N days is an error (exit 1): a CI gate that fails before the certificate expires.
    #[arg(long, value_name = "N", global = true)]
    pub fail_days: Option<u32>,

    /// The clients whose verdict decides the status and the exit code (repeatable; `all` by default): python-requests, python-urllib, curl, openssl, node, java, go, rustls, gnutls, wget.
    #[arg(long = "client", value_name = "NAME", global = true)]
    pub clients: Vec<String>,

    /// Validate as of this instant (RFC 3339, e.g. 2026-12-01T00:00:00Z) instead of now.
    #[arg(long, value_name = "RFC3339", value_parser = parse_at, global = true)]
    pub at: Option<OffsetDateTime>,
}

/// Options that only make sense with a network connection.
#[derive(Debug, Args, Clone)]
pub struct ConnectArgs {
    /// Read more targets from FILE (`-` for standard input): one per line, `#` comments, each line optionally with --sni and --connect-to.
    #[arg(long, value_name = "FILE")]
    pub targets_file: Option<PathBuf>,

    /// The name to send (SNI) and verify, instead of the target's host.
    #[arg(long, value_name = "NAME", value_parser = parse_host)]
    pub sni: Option<Host>,

    /// Connect to this address instead of resolving the target's host (like curl --resolve); the port defaults to the target's.
    #[arg(long = "connect-to", value_name = "ADDR[:PORT]", value_parser = parse_connect_to)]
    pub connect_to: Option<ConnectTo>,

    /// Bound on name resolution + connect + handshake per target, in seconds.
    #[arg(long, value_name = "SECS", default_value = "10", value_parser = parse_timeout)]
    pub timeout: Duration,

    /// How many targets are checked at once.
    #[arg(long, value_name = "N", default_value_t = 32, value_parser = clap::value_parser!(u16).range(1..))]
    pub concurrency: u16,
}

/// Output format and the options for fleets past one machine.
#[derive(Debug, Args, Clone)]
pub struct FleetArgs {
    /// Output format: human tables, the JSON document, JSON Lines (as --json/--jsonl), or Prometheus text exposition (for a textfile collector or a pushgateway).
    #[arg(long, value_name = "FORMAT", value_enum, global = true, conflicts_with_all = ["json", "jsonl"])]
    pub format: Option<OutputFormat>,

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
    Demo,
    /// Show where each trust store comes from (files, directories, environment variables), how many
    /// certificates loaded and which failed, and the store each client profile would use.
    Stores,
    /// Diagnose local certificate files and bundles (PEM, DER, PKCS#7; `-` for standard input)
    /// with the same checks as a live target, minus the network.
    Inspect(InspectArgs),
    /// Serve Prometheus probes over HTTP in the blackbox_exporter pattern: `GET /probe?target=host:port`
    /// checks one target and answers certcheck_* metrics; `/metrics` has the server's own counters.
    Serve(ServeArgs),
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

    /// Check that this private key (PEM PKCS#8, PKCS#1 or SEC1, or DER PKCS#8) belongs to the leaf; key material is never printed.
    #[arg(long, value_name = "FILE", conflicts_with = "each")]
    pub key: Option<PathBuf>,
}

fn parse_target(s: &str) -> Result<Target, String> {
    s.parse::<Target>().map_err(|e| e.to_string())
}

fn parse_host(s: &str) -> Result<Host, String> {
    Host::parse(s).map_err(|e| e.to_string())
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

fn parse_at(s: &str) -> Result<OffsetDateTime, String> {
    OffsetDateTime::parse(s, &Rfc3339)
        .map_err(|e| format!("expected an RFC 3339 instant such as 2026-12-01T00:00:00Z ({e})"))
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
    fn timeouts_must_be_positive() {
        assert!(parse_timeout("0").is_err());
        assert!(parse_timeout("-1").is_err());
        assert!(parse_timeout("abc").is_err());
        assert_eq!(parse_timeout("1.5").unwrap(), Duration::from_millis(1500));
    }
}
