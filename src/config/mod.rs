//! Resolved configuration: the command line plus the environment and the clock, read once here.

use std::io::{self, BufRead};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use time::OffsetDateTime;

mod env;
pub mod identity;

pub use env::{ClientEnv, Env, SystemStoreEnv};

use crate::cli::{
    Cli, ColorChoice, Command, CompletionShell, OutputArgs, OutputFormat, PolicyArgs,
};
use crate::clients::name::{Client, Selection};
use crate::route::{Family, ProxyEnv, ProxyUrl, Reader, Route, client_route, route_from_env};
use crate::target::{
    ConnectTo, Host, Shard, StarttlsChoice, StarttlsFlag, Target, parse_targets_line,
};

/// `--warn-days` when not given.
pub const DEFAULT_WARN_DAYS: u32 = 30;

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
    /// Every field of each certificate, from files and live targets (certcheck addition).
    Show(ShowOptions),
    /// Explain a finding code, or list them all.
    Explain(Option<String>),
    /// Write a shell completion script.
    Completions(CompletionShell),
    /// Write the manual page.
    Man,
    /// Answer Prometheus probes over HTTP.
    Serve(ServeOptions),
}

/// `certcheck show` resolved: the files go through `inspect`, the targets are `Config::jobs`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ShowOptions {
    /// The files, as `inspect` reads them.
    pub files: InspectOptions,
    /// Each input in command-line order: a file or a target.
    pub order: Vec<ShowInput>,
}

/// One `show` input: a file that exists (or `-`), else a target.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ShowInput {
    /// The next of `ShowOptions::files`.
    File,
    /// The next of `Config::jobs`.
    Target,
}

/// What a report keeps of each presented certificate beyond the contract's fields.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Keep {
    /// Every field (`show`).
    pub details: bool,
    /// The PEM (`show`, `--showcerts`, `--save-chain`).
    pub pem: bool,
}

/// A PKCS#12 password; its `Debug` never shows it.
#[derive(Clone, PartialEq, Eq)]
pub struct Password(pub String);

impl std::fmt::Debug for Password {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Password(..)")
    }
}

/// `--showcerts` and `--save-chain`, resolved.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ChainOutput {
    /// Print the presented chain as PEM after the report.
    pub showcerts: bool,
    /// Write the presented chain as PEM to this file.
    pub save_chain: Option<PathBuf>,
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
    /// `--password` or `CERTCHECK_P12_PASSWORD`, for PKCS#12 files.
    pub password: Option<Password>,
    /// What the report keeps of each certificate.
    pub keep: Keep,
    /// `--fetch`: fetch the AIA caIssuers certificate of a missing intermediate (directly).
    pub fetch: bool,
    /// `--fetch --check-revocation`: fetch the OCSP response or CRL of each certificate of the
    /// path (directly).
    pub check_revocation: bool,
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
    /// What the report keeps of each presented certificate.
    pub keep: Keep,
    /// How certcheck reaches the server, and how each client would.
    pub routing: Routing,
    /// The STARTTLS protocol (`--starttls`, the URL scheme or the port), if any.
    pub starttls: Option<StarttlsChoice>,
}

/// How one target is reached: certcheck's route (`--proxy`, `--no-proxy`, or the environment
/// as curl reads it), the address family, and the route each client would take from the
/// environment.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Routing {
    /// The proxy certcheck tunnels through; `None` connects directly.
    pub proxy: Option<ProxyUrl>,
    /// Why this route: `--proxy`, `--no-proxy`, the variable, or the `NO_PROXY` entry.
    pub reason: String,
    /// `-4`/`-6`.
    pub family: Option<Family>,
    /// The route each client profile would take, in report order (empty when not predicted).
    pub clients: Vec<(Client, Route)>,
}

/// How `--proxy`/`--no-proxy` and the environment choose certcheck's route.
#[derive(Clone, Debug, PartialEq, Eq)]
struct RouteChoice {
    proxy: Option<ProxyUrl>,
    no_proxy: bool,
    family: Option<Family>,
    env: ProxyEnv,
}

impl RouteChoice {
    fn new(connect: &crate::cli::ConnectArgs, env: &ProxyEnv) -> RouteChoice {
        RouteChoice {
            proxy: connect.proxy.clone(),
            no_proxy: connect.no_proxy,
            family: match (connect.ipv4, connect.ipv6) {
                (true, _) => Some(Family::V4),
                (_, true) => Some(Family::V6),
                _ => None,
            },
            env: env.clone(),
        }
    }

    /// The routing of `target`, which speaks `starttls` first when set; a proxy variable
    /// certcheck would use that is not a usable proxy is a usage error naming it.
    ///
    /// `https_proxy`/`HTTPS_PROXY` are for `https://` URLs: for a mail, directory, file or
    /// database server (`smtp://`, `imaps://`, a STARTTLS port) curl takes `<scheme>_proxy` or
    /// `all_proxy`, so certcheck takes `all_proxy`/`ALL_PROXY` only (`<scheme>_proxy` is not read).
    fn routing(&self, target: &Target, starttls: bool) -> Result<Routing, ConfigError> {
        let not_https = starttls || target.scheme.is_some_and(|s| s.name != "https");
        let narrowed;
        let env = if not_https {
            narrowed = ProxyEnv {
                https_proxy: None,
                https_proxy_upper: None,
                ..self.env.clone()
            };
            &narrowed
        } else {
            &self.env
        };
        let (proxy, reason) = if let Some(url) = &self.proxy {
            (Some(url.clone()), "--proxy".to_string())
        } else if self.no_proxy {
            (None, "--no-proxy".to_string())
        } else {
            let (proxy, mut reason) = route_from_env(env, &target.host)
                .map_err(|(name, error)| ConfigError::ProxyVariable(name, error))?;
            if not_https && proxy.is_none() && self.env.curl_proxy().is_some() {
                reason = "https_proxy/HTTPS_PROXY are only for https:// URLs, and all_proxy/ALL_PROXY is not set".into();
            }
            (proxy, reason)
        };
        let clients = Client::ALL
            .into_iter()
            .map(|c| {
                let route = client_route(Reader::of(c), env, &target.host, target.port);
                (c, route)
            })
            .collect();
        Ok(Routing {
            proxy,
            reason,
            family: self.family,
            clients,
        })
    }
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
    /// Lines without their own `--starttls` take this one.
    pub starttls: Option<StarttlsFlag>,
    /// What the report keeps of each certificate.
    pub keep: Keep,
    /// How each line's target is reached.
    routes: RouteChoice,
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
    /// `--cert`/`--key`: the client certificate presented to a server that asks for one.
    pub client_identity: Option<identity::ClientIdentity>,
    /// Whether live targets fetch the AIA caIssuers certificate of a missing intermediate (off
    /// with `--offline`).
    pub fetch: bool,
    /// `--check-revocation` (off with `--offline`): whether live targets fetch the OCSP response
    /// or CRL of each certificate of the path.
    pub check_revocation: bool,
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
    /// `--platform-stores`: the embedded platform stores to compare with, each once, in report
    /// order (empty: none).
    pub platform_stores: Vec<crate::cli::PlatformStore>,
    /// Shared settings.
    pub settings: Arc<Settings>,
    /// Output format.
    pub format: Format,
    /// Colour in human output.
    pub color: bool,
    /// How much of each report the human output shows.
    pub detail: Detail,
    /// Table width in columns: `COLUMNS`, else the terminal's, else 80.
    pub width: u16,
    /// `--at` was given, so the human report says the instant it validated at.
    pub at_given: bool,
    /// `--showcerts` and `--save-chain`.
    pub chain_output: ChainOutput,
    /// The environment as read.
    pub env: Env,
}

/// How much of each report the human output shows.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Detail {
    /// `--quiet`: the first line of each report only.
    Quiet,
    /// The first line and the tables (with several targets, in full only for those not ok).
    Normal,
    /// `--verbose`: every report in full.
    Verbose,
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
    /// A flag given before a subcommand that means nothing to it.
    #[error("{flag} means nothing to `certcheck {mode}`; see `certcheck {mode} --help`")]
    NotForSubcommand {
        /// The flag.
        flag: &'static str,
        /// The subcommand.
        mode: &'static str,
    },
    /// `--format` names a format this mode has no use for.
    #[error("--format {0}")]
    Format(&'static str),
    /// `--client` names no client.
    #[error("--client {0}")]
    Client(String),
    /// A target that cannot be parsed.
    #[error(transparent)]
    Target(crate::target::TargetError),
    /// A target that is probably something else (a file, a mistyped subcommand).
    #[error("{0}")]
    DidYouMean(String),
    /// A `show` input is neither an existing file nor a target.
    #[error("show {0}: no such file, and not a target either ({1})")]
    ShowInput(String, String),
    /// `--sni`/`--connect-to` given before `show` instead of after it.
    #[error("{0} goes after `show`, e.g. `certcheck show {0} VALUE TARGET`")]
    ShowFlagAfter(&'static str),
    /// `--showcerts`/`--save-chain` in a mode without a presented chain.
    #[error("{0} applies to live targets, `inspect` and `show`")]
    ChainOutputMode(&'static str),
    /// `--save-chain` with several inputs.
    #[error("--save-chain writes one chain; give one target or file (it got {0})")]
    SaveChainInputs(usize),
    /// `--showcerts`/`--save-chain` with `inspect --each`, which keeps no certificates.
    #[error(
        "{0} does not apply to `inspect --each` or to a directory, whose certificates are evaluated one by one"
    )]
    NotForEach(&'static str),
    /// A proxy variable certcheck would follow is not a usable proxy.
    #[error("{0} {1} (or pass --proxy URL, or --no-proxy to connect directly)")]
    ProxyVariable(&'static str, crate::route::ProxyUrlError),
    /// `--starttls` contradicts a target's scheme.
    #[error("{0}")]
    Starttls(String),
    /// `--cert`/`--key` cannot be read or do not belong together.
    #[error("{0}")]
    ClientCert(String),
}

impl Config {
    /// Resolves the command line against the environment; reads the clock unless `--at` is given.
    pub fn from_cli(cli: Cli, env: Env) -> Result<Config, ConfigError> {
        let chain_output = ChainOutput {
            showcerts: cli.chain_output.showcerts,
            save_chain: cli.chain_output.save_chain.clone(),
        };
        // `--verbose` shows every field of every certificate, so the report keeps them.
        let verbose = cli.output.verbose
            || matches!(&cli.command, Some(Command::Inspect(args)) if args.output.verbose);
        let keep = Keep {
            details: verbose,
            pem: chain_output.showcerts || chain_output.save_chain.is_some(),
        };
        let password =
            |flag: Option<String>| flag.map(Password).or_else(|| env.p12_password.clone());
        let mut show_jobs = Vec::new();
        let routes = RouteChoice::new(&cli.connect, &env.proxy);
        // Flags given before a subcommand count for it where they mean something to it.
        let (mode, output, policy) = match cli.command {
            Some(Command::Demo(args)) => {
                if let Some(flag) = cli.policy.first_given() {
                    return Err(ConfigError::NotForSubcommand { flag, mode: "demo" });
                }
                (
                    Mode::Demo,
                    args.output.or(cli.output),
                    PolicyArgs::default(),
                )
            }
            Some(Command::Stores(args)) => {
                let outer = &cli.output;
                let flag = [
                    (outer.jsonl, "--jsonl"),
                    (outer.verbose, "--verbose"),
                    (outer.quiet, "--quiet"),
                ]
                .into_iter()
                .find_map(|(given, flag)| given.then_some(flag))
                .or_else(|| {
                    PolicyArgs {
                        ca_files: Vec::new(),
                        ..cli.policy.clone()
                    }
                    .first_given()
                });
                if let Some(flag) = flag {
                    return Err(ConfigError::NotForSubcommand {
                        flag,
                        mode: "stores",
                    });
                }
                let output = OutputArgs {
                    json: args.json || outer.json,
                    color: args.color.or(outer.color),
                    // Refused below unless it is one `stores` can write.
                    format: outer.format,
                    ..OutputArgs::default()
                };
                let policy = PolicyArgs {
                    ca_files: args.ca_files,
                    ..PolicyArgs::default()
                }
                .or(cli.policy);
                (Mode::Stores, output, policy)
            }
            Some(Command::Inspect(args)) => (
                Mode::Inspect(InspectOptions {
                    files: args.files,
                    host: args.host,
                    untrusted: args.untrusted,
                    each: args.each,
                    key: args.key,
                    password: password(args.password),
                    keep,
                    fetch: args.fetch && !cli.connect.offline,
                    check_revocation: args.fetch
                        && cli.connect.check_revocation
                        && !cli.connect.offline,
                }),
                args.output.or(cli.output),
                args.policy.or(cli.policy),
            ),
            Some(Command::Show(args)) => {
                let keep = Keep {
                    details: true,
                    pem: true,
                };
                let mut files = Vec::new();
                let mut order = Vec::new();
                for input in &args.inputs {
                    if input == "-" || std::path::Path::new(input).exists() {
                        files.push(PathBuf::from(input));
                        order.push(ShowInput::File);
                    } else {
                        let target = input
                            .parse::<Target>()
                            .map_err(|e| ConfigError::ShowInput(input.clone(), e.to_string()))?;
                        let starttls = target.starttls(None).map_err(ConfigError::Starttls)?;
                        show_jobs.push(TlsJob {
                            routing: routes.routing(&target, starttls.is_some())?,
                            starttls,
                            target,
                            sni: args.sni.clone(),
                            connect_to: args.connect_to.clone(),
                            keep,
                        });
                        order.push(ShowInput::Target);
                    }
                }
                let mode = Mode::Show(ShowOptions {
                    files: InspectOptions {
                        files,
                        host: args.host,
                        untrusted: Vec::new(),
                        each: false,
                        key: None,
                        password: password(args.password),
                        keep,
                        fetch: false,
                        check_revocation: false,
                    },
                    order,
                });
                (mode, args.output.or(cli.output), args.policy.or(cli.policy))
            }
            Some(command @ (Command::Explain(_) | Command::Completions(_) | Command::Man)) => {
                let (mode, name) = match command {
                    Command::Explain(args) => (Mode::Explain(args.code), "explain"),
                    Command::Completions(args) => (Mode::Completions(args.shell), "completions"),
                    _ => (Mode::Man, "man"),
                };
                if let Some(flag) = cli.policy.first_given() {
                    return Err(ConfigError::NotForSubcommand { flag, mode: name });
                }
                (mode, cli.output, PolicyArgs::default())
            }
            Some(Command::Serve(args)) => {
                let outer = cli.policy.clone();
                let mode = Mode::Serve(ServeOptions {
                    listen: args.listen,
                    allowed_ca_files: args.allowed_ca_files,
                    concurrency: usize::from(args.concurrency),
                    timeout: args.timeout,
                    max_connections: usize::from(args.max_connections),
                    at: outer.at,
                });
                (mode, cli.output, outer)
            }
            None => (Mode::Check, cli.output, cli.policy),
        };
        let at_given = policy.at.is_some();
        let now = validation_instant(policy.at.unwrap_or_else(OffsetDateTime::now_utc));
        let mut jobs: Vec<TlsJob> = parse_targets(&cli.targets)?
            .into_iter()
            .map(|target| {
                let starttls = target
                    .starttls(cli.connect.starttls)
                    .map_err(ConfigError::Starttls)?;
                Ok(TlsJob {
                    routing: routes.routing(&target, starttls.is_some())?,
                    starttls,
                    target,
                    sni: cli.connect.sni.clone(),
                    connect_to: cli.connect.connect_to.clone(),
                    keep,
                })
            })
            .collect::<Result<_, ConfigError>>()?;
        let shard = cli.fleet.shard;
        let given = !jobs.is_empty() || cli.connect.targets_file.is_some();
        if mode == Mode::Check && !given {
            return Err(ConfigError::NoTargets);
        }
        if let Some(shard) = shard {
            jobs.retain(|job| shard.holds(&job.shard_key()));
        }
        let targets_file = match &cli.connect.targets_file {
            Some(path) => Some(check_targets_file(
                path,
                &cli.connect,
                shard,
                keep,
                &routes,
            )?),
            None => None,
        };
        if mode != Mode::Check && targets_file.is_some() {
            return Err(ConfigError::TargetsWithSubcommand);
        }
        if mode != Mode::Check && !jobs.is_empty() {
            return Err(ConfigError::TargetsWithSubcommand);
        }
        check_chain_output(&mode, jobs.len(), &chain_output)?;
        jobs.extend(show_jobs);
        if matches!(mode, Mode::Show(_)) {
            for (flag, given) in [
                ("--sni", cli.connect.sni.is_some()),
                ("--connect-to", cli.connect.connect_to.is_some()),
            ] {
                if given {
                    return Err(ConfigError::ShowFlagAfter(flag));
                }
            }
        }
        if mode != Mode::Check {
            if cli.connect.sni.is_some() {
                return Err(ConfigError::NotForMode("--sni"));
            }
            if cli.connect.connect_to.is_some() {
                return Err(ConfigError::NotForMode("--connect-to"));
            }
            if cli.connect.proxy.is_some() {
                return Err(ConfigError::NotForMode("--proxy"));
            }
            if cli.connect.ipv4 || cli.connect.ipv6 {
                return Err(ConfigError::NotForMode("-4/-6"));
            }
            if cli.connect.starttls.is_some() {
                return Err(ConfigError::NotForMode("--starttls"));
            }
            if cli.connect.cert.is_some() {
                return Err(ConfigError::NotForMode("--cert/--key"));
            }
        }
        if output.format == Some(OutputFormat::Prometheus)
            && matches!(mode, Mode::Stores | Mode::Demo)
        {
            return Err(ConfigError::Format(
                "prometheus applies to checks of targets (live or `inspect`), not to `stores` or `demo`",
            ));
        }
        // Nothing is fetched in these modes, so a fetch flag there is a mistake worth saying.
        let fetchless = match &mode {
            Mode::Stores => Some("stores"),
            Mode::Demo => Some("demo"),
            Mode::Explain(_) => Some("explain"),
            Mode::Completions(_) => Some("completions"),
            Mode::Man => Some("man"),
            _ => None,
        };
        if let Some(name) = fetchless {
            for (flag, given) in [
                ("--offline", cli.connect.offline),
                ("--check-revocation", cli.connect.check_revocation),
            ] {
                if given {
                    return Err(ConfigError::NotForSubcommand { flag, mode: name });
                }
            }
        }
        if mode != Mode::Check && shard.is_some() {
            return Err(ConfigError::NotForMode("--shard"));
        }
        let client_identity = match &cli.connect.cert {
            Some(cert) => Some(
                identity::load(cert, cli.connect.key.as_deref())
                    .map_err(ConfigError::ClientCert)?,
            ),
            None => None,
        };
        Ok(Config {
            mode,
            jobs,
            targets_file,
            shard,
            ca_files: policy.ca_files,
            platform_stores: platform_selection(&policy.platform_stores),
            settings: Arc::new(Settings {
                now,
                warn_days: i64::from(policy.warn_days.unwrap_or(DEFAULT_WARN_DAYS)),
                fail_days: policy.fail_days.map(i64::from),
                timeout: cli.connect.timeout,
                concurrency: usize::from(cli.connect.concurrency),
                deciding: Selection::parse(&policy.clients).map_err(ConfigError::Client)?,
                client_identity,
                fetch: !cli.connect.offline,
                check_revocation: cli.connect.check_revocation && !cli.connect.offline,
            }),
            format: match output.format {
                Some(OutputFormat::Human) => Format::Human,
                Some(OutputFormat::Json) => Format::Json,
                Some(OutputFormat::Jsonl) => Format::Jsonl,
                Some(OutputFormat::Prometheus) => Format::Prometheus,
                None if output.json => Format::Json,
                None if output.jsonl => Format::Jsonl,
                None => Format::Human,
            },
            color: match output.color {
                Some(ColorChoice::Always) => true,
                Some(ColorChoice::Never) => false,
                Some(ColorChoice::Auto) | None => env.stdout_is_terminal && !env.no_color,
            },
            detail: if output.quiet {
                Detail::Quiet
            } else if output.verbose {
                Detail::Verbose
            } else {
                Detail::Normal
            },
            width: env
                .columns
                .or(env.terminal_width.filter(|_| env.stdout_is_terminal))
                .unwrap_or(80),
            at_given,
            chain_output,
            env,
        })
    }
}

/// The targets of the command line, before any name is looked up: a file given as a target, or
/// a mistyped subcommand, is a usage error that says what was probably meant.
fn parse_targets(typed: &[String]) -> Result<Vec<Target>, ConfigError> {
    if let Some((first, meant)) = typed
        .first()
        .and_then(|first| Some((first, near_subcommand(first)?)))
    {
        let rest: Vec<&str> = typed[1..].iter().map(String::as_str).collect();
        let command = std::iter::once(meant.as_str())
            .chain(rest)
            .collect::<Vec<_>>()
            .join(" ");
        return Err(ConfigError::DidYouMean(format!(
            "'{first}' is not a subcommand; did you mean `certcheck {command}`? (to check a \
             host of that name, write {first}:443)"
        )));
    }
    typed
        .iter()
        .map(|text| {
            if !text.contains(':') && std::path::Path::new(text).is_file() {
                let as_host = if text.contains('/') {
                    String::new()
                } else {
                    format!(" (to check a host of that name, write {text}:443)")
                };
                return Err(ConfigError::DidYouMean(format!(
                    "'{text}' is a file; did you mean `certcheck inspect {text}`?{as_host}"
                )));
            }
            text.parse::<Target>().map_err(ConfigError::Target)
        })
        .collect()
}

/// The subcommand `word` is probably a typo of: within two edits of one, with no dot or port,
/// so that no plausible host name is taken for a typo.
fn near_subcommand(word: &str) -> Option<String> {
    use clap::CommandFactory;
    if word.contains(['.', ':', '/', '[']) {
        return None;
    }
    let lower = word.to_ascii_lowercase();
    Cli::command()
        .get_subcommands()
        .map(|c| c.get_name().to_string())
        .filter(|name| name != "help")
        .find(|name| {
            *name == lower || strsim::damerau_levenshtein(&lower, name) <= 2.min(name.len() / 3)
        })
}

/// `--showcerts` and `--save-chain` apply to live targets, `inspect` and `show`, and
/// `--save-chain` to one chain.
fn check_chain_output(
    mode: &Mode,
    live_jobs: usize,
    output: &ChainOutput,
) -> Result<(), ConfigError> {
    let flag = if output.save_chain.is_some() {
        "--save-chain"
    } else if output.showcerts {
        "--showcerts"
    } else {
        return Ok(());
    };
    let inputs = match mode {
        Mode::Check => live_jobs,
        Mode::Inspect(options) if options.each || options.files.iter().any(|f| f.is_dir()) => {
            return Err(ConfigError::NotForEach(flag));
        }
        Mode::Inspect(options) => options.files.len(),
        Mode::Show(options) => options.order.len(),
        _ => return Err(ConfigError::ChainOutputMode(flag)),
    };
    if output.save_chain.is_some() && inputs > 1 {
        return Err(ConfigError::SaveChainInputs(inputs));
    }
    Ok(())
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

/// The job of one line; lines without their own `--sni`, `--connect-to` or `--starttls` take
/// the command line's.
fn job_of_line(
    file: &TargetsFile,
    number: usize,
    raw: &str,
) -> Result<Option<TlsJob>, ConfigError> {
    let name = file.path.display().to_string();
    let line = parse_targets_line(&name, number, raw)
        .map_err(|e| ConfigError::TargetsFile(e.to_string()))?;
    let Some(line) = line else {
        return Ok(None);
    };
    let starttls = line
        .target
        .starttls(line.starttls.or(file.starttls))
        .map_err(|e| ConfigError::TargetsFile(format!("{name} line {number}: {e}")))?;
    Ok(Some(TlsJob {
        starttls,
        routing: file.routes.routing(&line.target, starttls.is_some())?,
        target: line.target,
        sni: line.sni.or_else(|| file.sni.clone()),
        connect_to: line.connect_to.or_else(|| file.connect_to.clone()),
        keep: file.keep,
    }))
}

/// Reads a `--targets-file` once as a stream to refuse a bad line before any connection and to
/// count its targets in the shard; standard input is left to be read by the run.
fn check_targets_file(
    path: &std::path::Path,
    defaults: &crate::cli::ConnectArgs,
    shard: Option<Shard>,
    keep: Keep,
    routes: &RouteChoice,
) -> Result<TargetsFile, ConfigError> {
    let mut file = TargetsFile {
        path: path.to_path_buf(),
        sni: defaults.sni.clone(),
        connect_to: defaults.connect_to.clone(),
        starttls: defaults.starttls,
        keep,
        routes: routes.clone(),
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

/// The platform stores `--platform-stores` names, each once in report order (`all` is every one).
fn platform_selection(given: &[crate::cli::PlatformStore]) -> Vec<crate::cli::PlatformStore> {
    use crate::cli::PlatformStore as P;
    let every = [P::Apple, P::Android, P::Windows, P::Mozilla, P::JavaOpenjdk];
    every
        .into_iter()
        .filter(|p| given.contains(&P::All) || given.contains(p))
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
        assert_eq!(config.job_count(), Some(2));
        let jobs: Vec<TlsJob> = config.job_source().map(|job| job.expect("valid")).collect();
        assert_eq!(jobs.len(), 2);
        assert_eq!(jobs[0].server_name(), &Host::Dns("y.test".into()));
        assert_eq!(jobs[0].connect_to.as_ref().and_then(|c| c.port), Some(9));
        assert_eq!(jobs[1].server_name(), &Host::Dns("default.test".into()));
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
        let jobs: Vec<TlsJob> = resolved.job_source().map(|j| j.expect("job")).collect();
        assert_eq!(jobs[0].starttls, choice(Starttls::Smtp, false));
        assert_eq!(jobs[1].starttls, choice(Starttls::Ftp, false));
        std::fs::write(
            dir.path().join("targets.txt"),
            "imap://x.test --starttls pop3\n",
        )
        .expect("write");
        let error = config_error(&["--targets-file", &path]);
        assert!(
            error.contains(
                "targets.txt line 1: --starttls pop3 contradicts the target 'imap://x.test'"
            ),
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
    fn each_job_is_routed_by_the_flags_or_the_environment() {
        let with_env = |args: &[&str], proxy: ProxyEnv| {
            let cli = Cli::try_parse_from(std::iter::once("certcheck").chain(args.iter().copied()))
                .expect("clap accepts the arguments");
            let env = Env {
                proxy,
                ..Env::default()
            };
            Config::from_cli(cli, env)
        };
        let env = ProxyEnv {
            https_proxy_upper: Some("http://u:secret@proxy.corp:3128".into()),
            no_proxy: Some("direct.test".into()),
            ..ProxyEnv::default()
        };
        let config = with_env(&["a.test", "direct.test", "-4"], env.clone()).expect("ok");
        let routed = &config.jobs[0].routing;
        assert_eq!(
            routed.proxy.as_ref().map(|p| p.to_string()).as_deref(),
            Some("http://proxy.corp:3128")
        );
        assert_eq!(routed.reason, "from HTTPS_PROXY");
        assert_eq!(routed.family, Some(Family::V4));
        assert_eq!(routed.clients.len(), Client::ALL.len());
        assert_eq!(config.jobs[1].routing.proxy, None);
        assert_eq!(
            config.jobs[1].routing.reason,
            "no_proxy entry 'direct.test' matches direct.test"
        );
        // https_proxy is for https:// URLs only: a mail server goes direct, or by all_proxy.
        let mail = with_env(
            &["smtp://mx.test", "mx.test:587", "imaps://mx.test"],
            env.clone(),
        )
        .expect("ok");
        for job in &mail.jobs {
            assert_eq!(job.routing.proxy, None, "{}", job.target.input);
            assert_eq!(
                job.routing.reason,
                "https_proxy/HTTPS_PROXY are only for https:// URLs, and all_proxy/ALL_PROXY is not set"
            );
        }
        let all = ProxyEnv {
            all_proxy: Some("http://all.corp:3128".into()),
            ..env.clone()
        };
        let mail = with_env(&["smtp://mx.test", "https://web.test"], all).expect("ok");
        assert_eq!(mail.jobs[0].routing.reason, "from all_proxy");
        assert_eq!(mail.jobs[1].routing.reason, "from HTTPS_PROXY");
        let direct = with_env(&["a.test", "--no-proxy"], env.clone()).expect("ok");
        assert_eq!(direct.jobs[0].routing.proxy, None);
        assert_eq!(direct.jobs[0].routing.reason, "--no-proxy");
        let bad = ProxyEnv {
            all_proxy: Some("socks5://x:1080".into()),
            ..ProxyEnv::default()
        };
        match with_env(&["a.test"], bad) {
            Err(err) => assert!(
                err.to_string()
                    .starts_with("all_proxy 'socks5://x:1080' is not a usable proxy"),
                "{err}"
            ),
            Ok(_) => panic!("a SOCKS all_proxy should be refused"),
        }
        assert_eq!(
            config_error(&["--proxy", "http://p:3128", "demo"]),
            "--proxy only applies to live targets"
        );
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
    fn show_sorts_files_from_targets_and_keeps_every_field() {
        let dir = tempfile::tempdir().expect("dir");
        let file = dir.path().join("chain.pem");
        std::fs::write(&file, "x").expect("write");
        let file = file.display().to_string();
        let config = config(&["show", &file, "a.test:8443", "-", "--sni", "b.test"]).expect("ok");
        let Mode::Show(options) = &config.mode else {
            panic!("not show: {:?}", config.mode)
        };
        assert_eq!(
            options.order,
            [ShowInput::File, ShowInput::Target, ShowInput::File]
        );
        assert_eq!(options.files.files.len(), 2);
        assert!(options.files.keep.details && options.files.keep.pem);
        assert_eq!(config.jobs.len(), 1);
        assert_eq!(config.jobs[0].server_name(), &Host::Dns("b.test".into()));
        assert!(config.jobs[0].keep.details);
        assert_eq!(
            config_error(&["--sni", "b.test", "show", "a.test"]),
            "--sni goes after `show`, e.g. `certcheck show --sni VALUE TARGET`"
        );
        assert_eq!(
            config_error(&["--showcerts", "demo"]),
            "--showcerts applies to live targets, `inspect` and `show`"
        );
        assert!(
            config_error(&["--save-chain", "x.pem", "a.test", "b.test"])
                .starts_with("--save-chain writes one chain")
        );
    }

    #[test]
    fn a_pkcs12_password_comes_from_the_flag_or_the_environment_and_is_never_shown() {
        let env = Env {
            p12_password: Some(Password("from-env".into())),
            ..Env::default()
        };
        let parse = |args: &[&str]| {
            let cli = Cli::try_parse_from(std::iter::once("certcheck").chain(args.iter().copied()))
                .expect("clap accepts the arguments");
            Config::from_cli(cli, env.clone()).expect("ok")
        };
        let password = |config: &Config| match &config.mode {
            Mode::Inspect(options) => options.password.clone(),
            other => panic!("not inspect: {other:?}"),
        };
        let from_env = parse(&["inspect", "a.p12"]);
        assert_eq!(password(&from_env), Some(Password("from-env".into())));
        let from_flag = parse(&["inspect", "a.p12", "--password", "flag"]);
        assert_eq!(password(&from_flag), Some(Password("flag".into())));
        assert!(!format!("{from_flag:?}").contains("flag\""));
        assert!(!format!("{from_env:?}").contains("from-env"));
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
