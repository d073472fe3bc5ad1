//! Resolved configuration: the command line plus the environment and the clock, read once here.

use std::io::{self, BufRead};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use time::OffsetDateTime;

mod env;

pub use env::{ClientEnv, Env, SystemStoreEnv};

use crate::cli::{Cli, Command, OutputFormat};
use crate::clients::name::Selection;
use crate::target::{ConnectTo, Host, Shard, Target, parse_targets_line};

/// Output format.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    /// comfy-table tables.
    Human,
    /// The contract's JSON document.
    Json,
    /// One result object per line, as each completes.
    Jsonl,
    /// Prometheus text exposition (certcheck addition).
    Prometheus,
}

impl Format {
    /// Whether results are written as they complete and not kept for a document at the end, so
    /// memory follows `--concurrency`, not the number of targets.
    pub fn streams(self) -> bool {
        matches!(self, Format::Jsonl | Format::Prometheus)
    }
}

/// What the process is asked to do.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Mode {
    /// Check live targets.
    Check,
    /// Run the built-in demonstration.
    Demo,
    /// Diagnose local files.
    Inspect(InspectOptions),
    /// Describe the trust stores.
    Stores,
    /// Answer Prometheus probes over HTTP.
    Serve(ServeOptions),
}

/// `certcheck serve` options, resolved.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ServeOptions {
    /// `--listen`.
    pub listen: std::net::SocketAddr,
    /// `--allow-ca-file NAME=PATH`: the only CA files a request may name, by NAME.
    pub allowed_ca_files: Vec<(String, PathBuf)>,
    /// `--concurrency`: probes at once.
    pub concurrency: usize,
    /// `--timeout`: the bound on one probe.
    pub timeout: Duration,
    /// `--max-connections`: HTTP connections served at once.
    pub max_connections: usize,
    /// `--at`, when given: every probe validates at that instant instead of its own now.
    pub at: Option<OffsetDateTime>,
}

impl ServeOptions {
    /// The instant a probe validates at: `--at`, or the clock when the probe runs (a server
    /// runs for months; one instant for its whole life would make every expiry wrong).
    pub fn probe_instant(&self) -> OffsetDateTime {
        validation_instant(self.at.unwrap_or_else(OffsetDateTime::now_utc))
    }
}

/// `certcheck inspect` options, resolved.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct InspectOptions {
    /// Files in order (`-` is standard input).
    pub files: Vec<PathBuf>,
    /// `--host`.
    pub host: Option<Host>,
    /// `--untrusted` files.
    pub untrusted: Vec<PathBuf>,
    /// `--each`.
    pub each: bool,
    /// `--key`.
    pub key: Option<PathBuf>,
}

/// One live target with its connection options.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TlsJob {
    /// The target as typed.
    pub target: Target,
    /// `--sni`.
    pub sni: Option<Host>,
    /// `--connect-to`.
    pub connect_to: Option<ConnectTo>,
}

impl TlsJob {
    /// The name sent and verified.
    pub fn server_name(&self) -> &Host {
        self.sni.as_ref().unwrap_or(&self.target.host)
    }

    /// What `--shard` hashes: `HOST:PORT` of the target (IPv6 in brackets, names in punycode),
    /// then ` --sni NAME` and ` --connect-to ADDR[:PORT]` when the job has them. It does not
    /// depend on how the target was spelled (`https://a.test/` and `a.test:443` are one key).
    pub fn shard_key(&self) -> String {
        let mut key = host_port(&self.target.host, Some(self.target.port));
        if let Some(sni) = &self.sni {
            key.push_str(" --sni ");
            key.push_str(&sni.to_string());
        }
        if let Some(to) = &self.connect_to {
            key.push_str(" --connect-to ");
            key.push_str(&host_port(&to.host, to.port));
        }
        key
    }
}

/// `host:port` with an IPv6 address in brackets; `host` alone without a port.
fn host_port(host: &Host, port: Option<u16>) -> String {
    let host = match host {
        Host::Ip(std::net::IpAddr::V6(ip)) => format!("[{ip}]"),
        other => other.to_string(),
    };
    match port {
        Some(port) => format!("{host}:{port}"),
        None => host,
    }
}

/// `--targets-file`, to be read as a stream when the run needs its lines.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TargetsFile {
    /// The path (`-` is standard input).
    pub path: PathBuf,
    /// Lines without their own `--sni` take this one.
    pub sni: Option<Host>,
    /// Lines without their own `--connect-to` take this one.
    pub connect_to: Option<ConnectTo>,
    /// How many of its targets fall in the `--shard` (all without one); unknown for standard
    /// input, which can be read only once.
    pub count: Option<usize>,
}

/// What a check needs besides the target; shared by every task.
#[derive(Clone, Debug)]
pub struct Settings {
    /// The instant of validation (`--at` or the clock, read once).
    pub now: OffsetDateTime,
    /// `--warn-days`.
    pub warn_days: i64,
    /// `--fail-days`: an expiry within this many days is an error.
    pub fail_days: Option<i64>,
    /// `--timeout`.
    pub timeout: Duration,
    /// `--concurrency`.
    pub concurrency: usize,
    /// `--client`: the clients that decide the status.
    pub deciding: Selection,
}

/// The instant validation uses for `at`: UTC, whole seconds (X.509 times have whole seconds, and
/// so does webpki's clock, so fractions would only make the two disagree).
pub fn validation_instant(at: OffsetDateTime) -> OffsetDateTime {
    at.replace_nanosecond(0)
        .unwrap_or(at)
        .to_offset(time::UtcOffset::UTC)
}

impl Settings {
    /// What evaluating a chain takes from the configuration.
    pub fn policy(&self) -> Policy {
        Policy {
            deadlines: self.deadlines(),
            deciding: self.deciding,
        }
    }

    /// The instant and expiry thresholds the diagnosis uses.
    pub fn deadlines(&self) -> Deadlines {
        Deadlines {
            now: self.now,
            warn_days: self.warn_days,
            fail_days: self.fail_days,
        }
    }
}

/// The instant of validation and the expiry thresholds: all that evaluating a chain takes from
/// the configuration.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Deadlines {
    /// `--at` or the clock, read once here.
    pub now: OffsetDateTime,
    /// `--warn-days`: an expiry this close is a warning.
    pub warn_days: i64,
    /// `--fail-days`: an expiry this close is an error.
    pub fail_days: Option<i64>,
}

/// The instant, the thresholds and the clients that decide: all that evaluating a chain takes
/// from the configuration.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Policy {
    /// The instant and the expiry thresholds.
    pub deadlines: Deadlines,
    /// The clients whose verdict decides the status.
    pub deciding: Selection,
}

impl From<Deadlines> for Policy {
    /// Every client decides.
    fn from(deadlines: Deadlines) -> Policy {
        Policy {
            deadlines,
            deciding: Selection::ALL,
        }
    }
}

/// Everything a run needs, resolved.
#[derive(Clone, Debug)]
pub struct Config {
    /// The mode.
    pub mode: Mode,
    /// Live targets from the command line, in input order, already within `--shard`.
    pub jobs: Vec<TlsJob>,
    /// `--targets-file`, read as a stream after `jobs` (see [`Config::job_source`]).
    pub targets_file: Option<TargetsFile>,
    /// `--shard K/N`.
    pub shard: Option<Shard>,
    /// `--ca-file` paths, in order.
    pub ca_files: Vec<PathBuf>,
    /// Shared settings.
    pub settings: Arc<Settings>,
    /// Output format.
    pub format: Format,
    /// Colour in human output.
    pub color: bool,
    /// `--verbose`: full reports for every target.
    pub verbose: bool,
    /// The environment as read.
    pub env: Env,
}

/// A configuration problem; a usage error (exit 2).
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// No target and no mode.
    #[error("no target given; try `certcheck example.com`, `certcheck demo` or `certcheck --help`")]
    NoTargets,
    /// `--targets-file` cannot be read or has a bad line.
    #[error("--targets-file {0}")]
    TargetsFile(String),
    /// Targets given together with a subcommand.
    #[error("targets cannot be combined with a subcommand; put `inspect FILE...` or `demo` first")]
    TargetsWithSubcommand,
    /// `--sni`/`--connect-to` do not apply to this mode.
    #[error("{0} only applies to live targets")]
    NotForMode(&'static str),
    /// `--format` names a format this mode has no use for.
    #[error("--format {0}")]
    Format(&'static str),
    /// `--client` names no client.
    #[error("--client {0}")]
    Client(String),
}

impl Config {
    /// Resolves the command line against the environment; reads the clock unless `--at` is given.
    pub fn from_cli(cli: Cli, env: Env) -> Result<Config, ConfigError> {
        let now = validation_instant(cli.common.at.unwrap_or_else(OffsetDateTime::now_utc));
        let mode = match cli.command {
            Some(Command::Demo) => Mode::Demo,
            Some(Command::Stores) => Mode::Stores,
            Some(Command::Inspect(args)) => Mode::Inspect(InspectOptions {
                files: args.files,
                host: args.host,
                untrusted: args.untrusted,
                each: args.each,
                key: args.key,
            }),
            Some(Command::Serve(args)) => Mode::Serve(ServeOptions {
                listen: args.listen,
                allowed_ca_files: args.allowed_ca_files,
                concurrency: usize::from(args.concurrency),
                timeout: args.timeout,
                max_connections: usize::from(args.max_connections),
                at: cli.common.at,
            }),
            None => Mode::Check,
        };
        let shard = cli.fleet.shard;
        let mut jobs: Vec<TlsJob> = cli
            .targets
            .iter()
            .map(|target| TlsJob {
                target: target.clone(),
                sni: cli.connect.sni.clone(),
                connect_to: cli.connect.connect_to.clone(),
            })
            .collect();
        let given = !jobs.is_empty() || cli.connect.targets_file.is_some();
        if mode == Mode::Check && !given {
            return Err(ConfigError::NoTargets);
        }
        if let Some(shard) = shard {
            jobs.retain(|job| shard.holds(&job.shard_key()));
        }
        let targets_file = match &cli.connect.targets_file {
            Some(path) => Some(check_targets_file(path, &cli.connect, shard)?),
            None => None,
        };
        if mode != Mode::Check && targets_file.is_some() {
            return Err(ConfigError::TargetsWithSubcommand);
        }
        if mode != Mode::Check && !jobs.is_empty() {
            return Err(ConfigError::TargetsWithSubcommand);
        }
        if mode != Mode::Check {
            if cli.connect.sni.is_some() {
                return Err(ConfigError::NotForMode("--sni"));
            }
            if cli.connect.connect_to.is_some() {
                return Err(ConfigError::NotForMode("--connect-to"));
            }
        }
        if cli.fleet.format == Some(OutputFormat::Prometheus)
            && matches!(mode, Mode::Stores | Mode::Demo)
        {
            return Err(ConfigError::Format(
                "prometheus applies to checks of targets (live or `inspect`), not to `stores` or `demo`",
            ));
        }
        if mode != Mode::Check && shard.is_some() {
            return Err(ConfigError::NotForMode("--shard"));
        }
        Ok(Config {
            mode,
            jobs,
            targets_file,
            shard,
            ca_files: cli.common.ca_files,
            settings: Arc::new(Settings {
                now,
                warn_days: i64::from(cli.common.warn_days),
                fail_days: cli.common.fail_days.map(i64::from),
                timeout: cli.connect.timeout,
                concurrency: usize::from(cli.connect.concurrency),
                deciding: Selection::parse(&cli.common.clients).map_err(ConfigError::Client)?,
            }),
            format: if let Some(format) = cli.fleet.format {
                match format {
                    OutputFormat::Human => Format::Human,
                    OutputFormat::Json => Format::Json,
                    OutputFormat::Jsonl => Format::Jsonl,
                    OutputFormat::Prometheus => Format::Prometheus,
                }
            } else if cli.common.json {
                Format::Json
            } else if cli.common.jsonl {
                Format::Jsonl
            } else {
                Format::Human
            },
            color: env.stdout_is_terminal && !env.no_color,
            verbose: cli.common.verbose,
            env,
        })
    }
}

impl Config {
    /// How many live targets the run will check, when that is known before reading them (not
    /// for a targets file on standard input).
    pub fn job_count(&self) -> Option<usize> {
        match &self.targets_file {
            None => Some(self.jobs.len()),
            Some(file) => file.count.map(|n| n + self.jobs.len()),
        }
    }

    /// The live targets in input order: the command line's, then the targets file's, read one
    /// line at a time (a file of a million lines is never held in memory), within `--shard`.
    ///
    /// A file was read once already by [`Config::from_cli`] to refuse a bad line before any
    /// connection; standard input can only be read here, so a bad line there ends the stream
    /// with its error after the targets before it.
    pub fn job_source(&self) -> JobSource {
        let lines: Box<dyn Iterator<Item = io::Result<String>> + Send> = match &self.targets_file {
            None => Box::new(std::iter::empty()),
            Some(file) => match open_targets(&file.path) {
                Ok(reader) => Box::new(reader.lines()),
                Err(err) => Box::new(std::iter::once(Err(err))),
            },
        };
        JobSource {
            given: self.jobs.clone().into_iter(),
            file: self.targets_file.clone(),
            lines,
            number: 0,
            shard: self.shard,
            failed: false,
        }
    }
}

/// The live targets of a run, as [`Config::job_source`] reads them.
pub struct JobSource {
    given: std::vec::IntoIter<TlsJob>,
    file: Option<TargetsFile>,
    lines: Box<dyn Iterator<Item = io::Result<String>> + Send>,
    number: usize,
    shard: Option<Shard>,
    failed: bool,
}

impl Iterator for JobSource {
    type Item = Result<TlsJob, ConfigError>;

    fn next(&mut self) -> Option<Self::Item> {
        if let Some(job) = self.given.next() {
            return Some(Ok(job));
        }
        let file = self.file.as_ref()?;
        while !self.failed {
            let raw = match self.lines.next()? {
                Ok(raw) => raw,
                Err(err) => {
                    self.failed = true;
                    return Some(Err(unreadable(&file.path, &err)));
                }
            };
            self.number += 1;
            match job_of_line(file, self.number, &raw) {
                Ok(None) => continue,
                Ok(Some(job)) if self.shard.is_none_or(|s| s.holds(&job.shard_key())) => {
                    return Some(Ok(job));
                }
                Ok(Some(_)) => continue,
                Err(err) => {
                    self.failed = true;
                    return Some(Err(err));
                }
            }
        }
        None
    }
}

/// A buffered reader of `path`, or of standard input for `-`.
fn open_targets(path: &std::path::Path) -> io::Result<Box<dyn BufRead + Send>> {
    if path.as_os_str() == "-" {
        Ok(Box::new(io::BufReader::new(io::stdin())))
    } else {
        Ok(Box::new(io::BufReader::new(std::fs::File::open(path)?)))
    }
}

fn unreadable(path: &std::path::Path, err: &io::Error) -> ConfigError {
    let name = path.display();
    if path.as_os_str() == "-" {
        ConfigError::TargetsFile(format!("-: standard input cannot be read ({err})"))
    } else {
        ConfigError::TargetsFile(format!("{name}: cannot be read ({err})"))
    }
}

/// The job of one line; lines without their own `--sni` or `--connect-to` take the command
/// line's.
fn job_of_line(
    file: &TargetsFile,
    number: usize,
    raw: &str,
) -> Result<Option<TlsJob>, ConfigError> {
    let name = file.path.display().to_string();
    let line = parse_targets_line(&name, number, raw)
        .map_err(|e| ConfigError::TargetsFile(e.to_string()))?;
    Ok(line.map(|line| TlsJob {
        target: line.target,
        sni: line.sni.or_else(|| file.sni.clone()),
        connect_to: line.connect_to.or_else(|| file.connect_to.clone()),
    }))
}

/// Reads a `--targets-file` once as a stream to refuse a bad line before any connection and to
/// count its targets in the shard; standard input is left to be read by the run.
fn check_targets_file(
    path: &std::path::Path,
    defaults: &crate::cli::ConnectArgs,
    shard: Option<Shard>,
) -> Result<TargetsFile, ConfigError> {
    let mut file = TargetsFile {
        path: path.to_path_buf(),
        sni: defaults.sni.clone(),
        connect_to: defaults.connect_to.clone(),
        count: None,
    };
    if path.as_os_str() == "-" {
        return Ok(file);
    }
    let reader = open_targets(path).map_err(|e| unreadable(path, &e))?;
    let mut count = 0;
    for (index, raw) in reader.lines().enumerate() {
        let raw = raw.map_err(|e| unreadable(path, &e))?;
        if let Some(job) = job_of_line(&file, index + 1, &raw)?
            && shard.is_none_or(|s| s.holds(&job.shard_key()))
        {
            count += 1;
        }
    }
    file.count = Some(count);
    Ok(file)
}

#[cfg(test)]
mod tests {
    use clap::Parser;

    use super::*;

    fn config(args: &[&str]) -> Result<Config, ConfigError> {
        let cli = Cli::try_parse_from(std::iter::once("certcheck").chain(args.iter().copied()))
            .expect("clap accepts the arguments");
        Config::from_cli(cli, Env::default())
    }

    #[test]
    fn at_fixes_the_instant_to_whole_utc_seconds() {
        let config = config(&["a.test", "--at", "2030-01-01T01:00:00.75+01:00"]).expect("ok");
        assert_eq!(
            config.settings.now,
            time::macros::datetime!(2030-01-01 00:00:00 UTC)
        );
        assert_eq!(config.settings.deadlines().now, config.settings.now);
    }

    #[test]
    fn targets_take_the_command_lines_sni_and_connect_to() {
        let config = config(&[
            "a.test:8443",
            "--sni",
            "b.test",
            "--connect-to",
            "127.0.0.1",
        ])
        .expect("ok");
        let job = &config.jobs[0];
        assert_eq!(job.target.port, 8443);
        assert_eq!(job.server_name(), &Host::Dns("b.test".into()));
        assert_eq!(
            job.connect_to,
            Some(ConnectTo {
                host: Host::Ip("127.0.0.1".parse().unwrap()),
                port: None
            })
        );
    }

    #[test]
    fn a_targets_file_line_keeps_its_own_options() {
        let dir = tempfile::tempdir().expect("dir");
        let path = dir.path().join("targets.txt");
        std::fs::write(
            &path,
            "# fleet\nx.test --connect-to [::1]:9 --sni y.test\nz.test\n",
        )
        .expect("write");
        let path = path.display().to_string();
        let config = config(&["--targets-file", &path, "--sni", "default.test"]).expect("ok");
        assert_eq!(config.job_count(), Some(2));
        let jobs: Vec<TlsJob> = config.job_source().map(|job| job.expect("valid")).collect();
        assert_eq!(jobs.len(), 2);
        assert_eq!(jobs[0].server_name(), &Host::Dns("y.test".into()));
        assert_eq!(jobs[0].connect_to.as_ref().and_then(|c| c.port), Some(9));
        assert_eq!(jobs[1].server_name(), &Host::Dns("default.test".into()));
        let missing = config_error(&["--targets-file", "/nonexistent/targets.txt"]);
        assert!(missing.starts_with("--targets-file /nonexistent/targets.txt: cannot be read"));
    }

    fn config_error(args: &[&str]) -> String {
        match config(args) {
            Ok(_) => panic!("{args:?} should be refused"),
            Err(err) => err.to_string(),
        }
    }

    #[test]
    fn modes_refuse_what_does_not_apply_to_them() {
        assert_eq!(
            config_error(&[]),
            "no target given; try `certcheck example.com`, `certcheck demo` or `certcheck --help`"
        );
        assert_eq!(
            config_error(&["--sni", "a.test", "demo"]),
            "--sni only applies to live targets"
        );
        assert_eq!(
            config_error(&["--connect-to", "127.0.0.1", "stores"]),
            "--connect-to only applies to live targets"
        );
    }

    #[test]
    fn output_format_and_colour_follow_flags_and_terminal() {
        assert_eq!(config(&["a.test"]).unwrap().format, Format::Human);
        assert_eq!(config(&["a.test", "--json"]).unwrap().format, Format::Json);
        assert_eq!(
            config(&["a.test", "--jsonl"]).unwrap().format,
            Format::Jsonl
        );
        let cli = Cli::try_parse_from(["certcheck", "a.test"]).unwrap();
        let terminal = Env {
            stdout_is_terminal: true,
            ..Env::default()
        };
        assert!(Config::from_cli(cli, terminal.clone()).unwrap().color);
        let cli = Cli::try_parse_from(["certcheck", "a.test"]).unwrap();
        let no_color = Env {
            no_color: true,
            ..terminal
        };
        assert!(!Config::from_cli(cli, no_color).unwrap().color);
    }
}
