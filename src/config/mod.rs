//! Resolved configuration: the command line plus the environment and the clock, read once here.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use time::OffsetDateTime;

mod env;

pub use env::{ClientEnv, Env, SystemStoreEnv};

use crate::cli::{Cli, Command};
use crate::clients::name::Selection;
use crate::target::{ConnectTo, Host, StarttlsChoice, Target};

/// Output format.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    /// comfy-table tables.
    Human,
    /// The contract's JSON document.
    Json,
    /// One result object per line, as each completes.
    Jsonl,
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
    /// The STARTTLS protocol (`--starttls`, the URL scheme or the port), if any.
    pub starttls: Option<StarttlsChoice>,
}

impl TlsJob {
    /// The name sent and verified.
    pub fn server_name(&self) -> &Host {
        self.sni.as_ref().unwrap_or(&self.target.host)
    }
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
    /// Live targets, in input order.
    pub jobs: Vec<TlsJob>,
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
    /// `--client` names no client.
    #[error("--client {0}")]
    Client(String),
    /// `--starttls` contradicts a target's scheme.
    #[error("{0}")]
    Starttls(String),
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
            None => Mode::Check,
        };
        let mut jobs: Vec<TlsJob> = cli
            .targets
            .iter()
            .map(|target| {
                Ok(TlsJob {
                    target: target.clone(),
                    sni: cli.connect.sni.clone(),
                    connect_to: cli.connect.connect_to.clone(),
                    starttls: target
                        .starttls(cli.connect.starttls)
                        .map_err(ConfigError::Starttls)?,
                })
            })
            .collect::<Result<_, ConfigError>>()?;
        if let Some(path) = &cli.connect.targets_file {
            jobs.extend(read_targets_file(path, &cli.connect)?);
        }
        if mode == Mode::Check && jobs.is_empty() {
            return Err(ConfigError::NoTargets);
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
            if cli.connect.starttls.is_some() {
                return Err(ConfigError::NotForMode("--starttls"));
            }
        }
        Ok(Config {
            mode,
            jobs,
            ca_files: cli.common.ca_files,
            settings: Arc::new(Settings {
                now,
                warn_days: i64::from(cli.common.warn_days),
                fail_days: cli.common.fail_days.map(i64::from),
                timeout: cli.connect.timeout,
                concurrency: usize::from(cli.connect.concurrency),
                deciding: Selection::parse(&cli.common.clients).map_err(ConfigError::Client)?,
            }),
            format: if cli.common.json {
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

/// Reads `--targets-file` (or standard input for `-`); lines without their own `--sni`,
/// `--connect-to` or `--starttls` take the command line's.
fn read_targets_file(
    path: &std::path::Path,
    defaults: &crate::cli::ConnectArgs,
) -> Result<Vec<TlsJob>, ConfigError> {
    use std::io::Read;
    let name = path.display().to_string();
    let text = if path.as_os_str() == "-" {
        let mut text = String::new();
        std::io::stdin().read_to_string(&mut text).map_err(|e| {
            ConfigError::TargetsFile(format!("-: standard input cannot be read ({e})"))
        })?;
        text
    } else {
        std::fs::read_to_string(path)
            .map_err(|e| ConfigError::TargetsFile(format!("{name}: cannot be read ({e})")))?
    };
    let lines = crate::target::parse_targets_file(&name, &text)
        .map_err(|e| ConfigError::TargetsFile(e.to_string()))?;
    lines
        .into_iter()
        .map(|line| {
            let starttls = line
                .target
                .starttls(line.starttls.or(defaults.starttls))
                .map_err(|e| ConfigError::TargetsFile(format!("{name}: {e}")))?;
            Ok(TlsJob {
                starttls,
                target: line.target,
                sni: line.sni.or_else(|| defaults.sni.clone()),
                connect_to: line.connect_to.or_else(|| defaults.connect_to.clone()),
            })
        })
        .collect()
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
        assert_eq!(config.jobs.len(), 2);
        assert_eq!(config.jobs[0].server_name(), &Host::Dns("y.test".into()));
        assert_eq!(
            config.jobs[0].connect_to.as_ref().and_then(|c| c.port),
            Some(9)
        );
        assert_eq!(
            config.jobs[1].server_name(),
            &Host::Dns("default.test".into())
        );
        let missing = config_error(&["--targets-file", "/nonexistent/targets.txt"]);
        assert!(missing.starts_with("--targets-file /nonexistent/targets.txt: cannot be read"));
    }

    #[test]
    fn starttls_comes_from_the_flag_the_scheme_or_the_port() {
        use crate::target::{Starttls, StarttlsChoice};
        let choice = |protocol, inferred_from_port| {
            Some(StarttlsChoice {
                protocol,
                inferred_from_port,
            })
        };
        let resolved = config(&["smtp://a.test", "b.test:143", "c.test"]).expect("ok");
        let chosen: Vec<_> = resolved.jobs.iter().map(|j| j.starttls).collect();
        assert_eq!(
            chosen,
            [
                choice(Starttls::Smtp, false),
                choice(Starttls::Imap, true),
                None
            ]
        );
        let resolved = config(&["--starttls", "none", "b.test:143"]).expect("ok");
        assert_eq!(resolved.jobs[0].starttls, None);
        let dir = tempfile::tempdir().expect("dir");
        let path = dir.path().join("targets.txt");
        std::fs::write(&path, "x.test:2525 --starttls smtp\ny.test:2525\n").expect("write");
        let path = path.display().to_string();
        let resolved = config(&["--targets-file", &path, "--starttls", "ftp"]).expect("ok");
        assert_eq!(resolved.jobs[0].starttls, choice(Starttls::Smtp, false));
        assert_eq!(resolved.jobs[1].starttls, choice(Starttls::Ftp, false));
        std::fs::write(
            dir.path().join("targets.txt"),
            "imap://x.test --starttls pop3\n",
        )
        .expect("write");
        let error = config_error(&["--targets-file", &path]);
        assert!(
            error.contains("targets.txt: --starttls pop3 contradicts the target 'imap://x.test'"),
            "{error}"
        );
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
