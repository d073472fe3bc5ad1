//! One function per mode: live targets ([`live`]), `inspect` ([`files`]) and `stores`
//! ([`stores`]); `demo` lives in [`crate::demo`]. This module dispatches and loads the trust
//! stores every mode shares.
//!
//! A failure on one target is data in its report; nothing here aborts the run or prints.

pub mod aia;
pub mod files;
pub mod live;
pub mod revocation;
pub mod serve;
pub mod stores;

use std::panic::{AssertUnwindSafe, catch_unwind};

use anyhow::Context as _;

use crate::cli::PlatformStore;
use crate::config::{Config, Mode, ShowInput, ShowOptions};
use crate::diagnose::text::date;
use crate::evaluate::Stores;
use crate::exit::{self, ExitCode};
use crate::report::{Report, TargetReport};
use crate::trust::load::load_system;
use crate::trust::platform::load_platform;
use crate::trust::store::{load_bundled, load_custom};
use crate::trust::{StoreKind, TrustStore};

/// Runs the configured checks (live targets or `inspect`) and returns the report.
///
/// `on_done` sees each result as soon as it is complete (in completion order), for streaming
/// output and progress; the report keeps input order.
pub fn run(config: &Config, on_done: &mut dyn FnMut(&TargetReport)) -> anyhow::Result<Report> {
    let results = match &config.mode {
        Mode::Inspect(options) => {
            let stores = if options.each {
                Stores::default()
            } else {
                Stores::with_clients(load_stores(config), &config.env.clients)
            };
            let results = files::inspect_all(options, &stores, &config.settings);
            results.iter().for_each(&mut *on_done);
            results
        }
        Mode::Show(options) => show(config, options, on_done)?,
        Mode::Check | Mode::Demo | Mode::Stores => {
            live::run_live(config, store_loaders(config), on_done)?
        }
        Mode::Explain(_) | Mode::Completions(_) | Mode::Man => Vec::new(),
        Mode::Serve(_) => anyhow::bail!("`serve` answers probes and has no report to return"),
    };
    Ok(report_of(config, results))
}

/// The run's report around `results`: this version and the instant of validation.
pub fn report_of(config: &Config, results: Vec<TargetReport>) -> Report {
    Report {
        version: env!("CARGO_PKG_VERSION").to_string(),
        checked_at: date(config.settings.now),
        results,
    }
}

/// `certcheck show`: the files as `inspect` reads them and the targets as live checks, the
/// results in command-line order.
fn show(
    config: &Config,
    options: &ShowOptions,
    on_done: &mut dyn FnMut(&TargetReport),
) -> anyhow::Result<Vec<TargetReport>> {
    let mut files = if options.files.files.is_empty() {
        Vec::new()
    } else {
        let stores = Stores::with_clients(load_stores(config), &config.env.clients);
        files::inspect_all(&options.files, &stores, &config.settings)
    }
    .into_iter();
    files.as_slice().iter().for_each(&mut *on_done);
    let mut live = if config.jobs.is_empty() {
        Vec::new()
    } else {
        live::run_live(config, store_loaders(config), on_done)?
    }
    .into_iter();
    Ok(options
        .order
        .iter()
        .filter_map(|input| match input {
            ShowInput::File => files.next(),
            ShowInput::Target => live.next(),
        })
        .collect())
}

/// Runs the configured checks as [`run`] does but keeps no result: `on_done` sees each one, with
/// its place in the input, as it completes (for `--jsonl`, `--format prometheus` and a fleet's
/// summary), and only the exit code, worst wins, is kept. Memory follows `--concurrency`, not
/// the number of targets.
pub fn run_streaming(
    config: &Config,
    on_done: &mut dyn FnMut(usize, &TargetReport),
) -> anyhow::Result<ExitCode> {
    let mut code = ExitCode::Ok;
    let mut each = |index: usize, result: &TargetReport| {
        code = exit::merge([code, exit::for_target(result)]);
        on_done(index, result);
    };
    match &config.mode {
        Mode::Check => live::stream_live(config, store_loaders(config), &mut |index, result| {
            each(index, &result)
        })?,
        _ => {
            let mut index = 0;
            run(config, &mut |result| {
                each(index, result);
                index += 1;
            })
            .map(|_| ())?
        }
    }
    Ok(code)
}

/// The tokio runtime certcheck uses.
pub fn runtime() -> anyhow::Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("starting the async runtime")
}

/// One configured store and how to load it, so that a loader that fails in any way still leaves
/// a store of that kind and name behind (see `failed_store`).
pub struct StoreLoader {
    /// Which store.
    pub kind: StoreKind,
    /// Its name for people, should loading fail before the loader could say.
    pub source: String,
    /// Reads it.
    pub load: Box<dyn FnOnce() -> TrustStore + Send>,
}

/// A store of `kind` that failed to load: no anchors, one error that says why.
pub(crate) fn failed_store(kind: StoreKind, source: &str, why: &str) -> TrustStore {
    TrustStore {
        kind,
        source: source.to_string(),
        anchors: Vec::new(),
        errors: vec![format!(
            "{source}: loading failed with an internal error ({why})"
        )],
        file: None,
        blocked: Vec::new(),
        rustls_verifier: Default::default(),
    }
}

/// The loaders of every configured store: `system`, `bundled`, each `--ca-file` in order, then
/// the `--platform-stores` (comparison stores, last so that no other store's place moves).
pub fn store_loaders(config: &Config) -> Vec<StoreLoader> {
    let system = config.env.system_store.clone();
    let mut loaders = vec![
        StoreLoader {
            kind: StoreKind::System,
            source: "the system trust store".into(),
            load: Box::new(move || load_system(&system)),
        },
        StoreLoader {
            kind: StoreKind::Bundled,
            source: "the bundled Mozilla set".into(),
            load: Box::new(load_bundled),
        },
    ];
    loaders.extend(config.ca_files.iter().map(|path| {
        let path = path.clone();
        StoreLoader {
            kind: StoreKind::Custom,
            source: path.display().to_string(),
            load: Box::new(move || load_custom(&path)),
        }
    }));
    loaders.extend(
        config
            .platform_stores
            .iter()
            .filter_map(|choice| platform_kind(*choice))
            .map(|kind| StoreLoader {
                kind,
                source: format!("the embedded {} store", kind.as_str()),
                load: Box::new(move || load_platform(kind)),
            }),
    );
    loaders
}

/// The store kind of a `--platform-stores` name (`all` is expanded by `config`).
fn platform_kind(choice: PlatformStore) -> Option<StoreKind> {
    match choice {
        PlatformStore::All => None,
        PlatformStore::Apple => Some(StoreKind::Apple),
        PlatformStore::Android => Some(StoreKind::Android),
        PlatformStore::Windows => Some(StoreKind::Windows),
        PlatformStore::Mozilla => Some(StoreKind::Mozilla),
        PlatformStore::JavaOpenjdk => Some(StoreKind::JavaOpenjdk),
    }
}

/// Runs every loader; one that panics becomes a store that failed to load, never a missing one.
pub fn load_each(loaders: Vec<StoreLoader>) -> Vec<TrustStore> {
    loaders
        .into_iter()
        .map(|loader| {
            let StoreLoader { kind, source, load } = loader;
            match catch_unwind(AssertUnwindSafe(load)) {
                Ok(store) => store,
                Err(panic) => failed_store(kind, &source, &panic_message(panic.as_ref())),
            }
        })
        .collect()
}

/// Loads every configured store once for the whole run.
pub fn load_stores(config: &Config) -> Vec<TrustStore> {
    load_each(store_loaders(config))
}

/// A panic's message, when it carried one.
fn panic_message(panic: &(dyn std::any::Any + Send)) -> String {
    match (panic.downcast_ref::<&str>(), panic.downcast_ref::<String>()) {
        (Some(text), _) => format!("panic: {text}"),
        (_, Some(text)) => format!("panic: {text}"),
        _ => "panic".into(),
    }
}

#[cfg(test)]
mod tests {
    use clap::Parser;
    use time::macros::datetime;

    use super::*;
    use crate::cli::Cli;
    use crate::config::{Deadlines, Env};
    use crate::demo::pki::{Authority, Spec};
    use crate::demo::server::TlsServer;
    use crate::diagnose::FindingCode;
    use crate::evaluate::{Evidence, evaluate};
    use crate::report::{ErrorCode, Origin, Status};
    use crate::target::Host;

    const NOW: time::OffsetDateTime = datetime!(2030-01-01 00:00:00 UTC);

    /// A valid chain for `ok.test` and the root it leads to.
    fn valid_chain() -> (Vec<Vec<u8>>, Vec<u8>, Vec<u8>) {
        let root = Authority::root(&Spec::ca("Loader Root", NOW)).expect("root");
        let leaf = root.leaf(&Spec::leaf(&["ok.test"], NOW)).expect("leaf");
        (vec![leaf.der], leaf.key_der, root.der())
    }

    fn panicking(kind: StoreKind, source: &str) -> StoreLoader {
        StoreLoader {
            kind,
            source: source.into(),
            load: Box::new(|| panic!("injected loader failure")),
        }
    }

    fn root_store(kind: StoreKind, root: Vec<u8>) -> StoreLoader {
        StoreLoader {
            kind,
            source: "root.pem".into(),
            load: Box::new(move || {
                TrustStore::from_ders(kind, "root.pem".into(), vec![(root, "root".into())])
            }),
        }
    }

    #[test]
    fn a_loader_that_panics_leaves_a_failed_store_of_its_kind() {
        let (_, _, root) = valid_chain();
        let stores = load_each(vec![
            panicking(StoreKind::System, "the system trust store"),
            root_store(StoreKind::Custom, root),
        ]);
        assert_eq!(stores.len(), 2);
        assert_eq!(stores[0].kind, StoreKind::System);
        assert!(stores[0].unusable());
        assert_eq!(
            stores[0].errors,
            [
                "the system trust store: loading failed with an internal error (panic: injected loader failure)"
            ]
        );
        assert_eq!(stores[1].anchors.len(), 1);
    }

    #[test]
    fn a_failed_primary_store_is_an_error_finding_and_never_ok() {
        let (chain, _, _) = valid_chain();
        let chain = crate::chain::parse_chain(&chain);
        let host = Host::Dns("ok.test".into());
        let stores =
            Stores::without_clients(load_each(vec![panicking(StoreKind::Custom, "ca.pem")]));
        let deadlines = Deadlines {
            now: NOW,
            warn_days: 30,
            fail_days: None,
        };
        let evidence =
            Evidence::new(Origin::file("chain.pem", Some(&host)), &chain).with_name(Some(&host));
        let report = evaluate(&evidence, &stores, &deadlines.into());
        assert_eq!(report.status, Status::Error);
        assert_eq!(report.trust.len(), 1);
        assert!(!report.trust[0].trusted);
        assert_eq!(
            report.trust[0].load_errors,
            ["ca.pem: loading failed with an internal error (panic: injected loader failure)"]
        );
        let finding = report
            .findings
            .iter()
            .find(|f| f.code == FindingCode::VerificationFailed)
            .expect("a finding for the store that failed");
        assert_eq!(
            finding.message,
            "store custom (ca.pem) could not be loaded, so it validated nothing: ca.pem: loading failed with an internal error (panic: injected loader failure)"
        );
        let error = report.connection_error.expect("the primary store failed");
        assert_eq!(error.code, ErrorCode::File);
    }

    #[test]
    fn no_store_at_all_is_never_ok() {
        let (chain, _, _) = valid_chain();
        let chain = crate::chain::parse_chain(&chain);
        let deadlines = Deadlines {
            now: NOW,
            warn_days: 30,
            fail_days: None,
        };
        let evidence = Evidence::new(Origin::file("chain.pem", None), &chain);
        let report = evaluate(&evidence, &Stores::default(), &deadlines.into());
        assert!(report.trust.is_empty());
        assert_eq!(report.status, Status::Error);
    }

    #[test]
    fn a_live_check_with_a_panicking_loader_reports_every_store_and_is_not_ok() {
        let (chain, key, root) = valid_chain();
        let server = TlsServer::start(chain, key).expect("server");
        let args = [
            "certcheck".to_string(),
            format!("ok.test:{}", server.addr.port()),
            "--connect-to".into(),
            server.addr.to_string(),
            "--at".into(),
            "2030-01-01T00:00:00Z".into(),
        ];
        let config = Config::from_cli(Cli::parse_from(args), Env::default()).expect("config");
        // The system store panics; the root that would validate the chain is only in `bundled`'s
        // place, which is not primary: the primary (system) store failed, so no "ok".
        let loaders = vec![
            panicking(StoreKind::System, "the system trust store"),
            root_store(StoreKind::Bundled, root),
        ];
        let results = live::run_live(&config, loaders, &mut |_| {}).expect("runs");
        let result = &results[0];
        assert_eq!(result.status, Status::Error);
        assert_eq!(result.trust.len(), 2);
        assert_eq!(result.trust[0].load_errors.len(), 1);
        assert!(result.trust[0].load_errors[0].contains("panic: injected loader failure"));
        assert!(
            result
                .findings
                .iter()
                .any(|f| f.code == FindingCode::VerificationFailed
                    && f.message.starts_with("store system could not be loaded"))
        );
        assert_eq!(
            crate::exit::for_target(result),
            crate::exit::ExitCode::Unreachable
        );
    }
}
