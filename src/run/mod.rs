//! One function per mode: live targets ([`live`]), `inspect` ([`files`]) and `stores`
//! ([`stores`]); `demo` lives in [`crate::demo`]. This module dispatches and loads the trust
//! stores every mode shares.
//!
//! A failure on one target is data in its report; nothing here aborts the run or prints.

pub mod files;
pub mod live;
pub mod stores;

use std::panic::{AssertUnwindSafe, catch_unwind};

use anyhow::Context as _;

use crate::config::{Config, Mode};
use crate::diagnose::text::date;
use crate::evaluate::Stores;
use crate::report::{Report, TargetReport};
use crate::trust::store::{load_bundled, load_custom, load_system};
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
        Mode::Check | Mode::Demo | Mode::Stores => {
            live::run_live(config, store_loaders(config), on_done)?
        }
    };
    Ok(Report {
        version: env!("CARGO_PKG_VERSION").to_string(),
        checked_at: date(config.settings.now),
        results,
    })
}

/// The tokio runtime certcheck uses.
pub fn runtime() -> anyhow::Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("starting the async runtime")
}

/// One configured store and how to load it, so that a loader that fails in any way still leaves
/// a store of that kind and name behind.
pub struct StoreLoader {
    /// Which store.
    pub kind: StoreKind,
    /// Its name for people, should loading fail before the loader could say.
    pub source: String,
    /// Reads it.
    pub load: Box<dyn FnOnce() -> TrustStore + Send>,
}

impl StoreLoader {
    /// The store this loader stands for, loaded with nothing because loading failed: it gives no
    /// verdict, and the diagnosis says so.
    pub fn failed(&self, why: &str) -> TrustStore {
        failed_store(self.kind, &self.source, why)
    }
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
    }
}

/// The loaders of every configured store: `system`, `bundled`, then each `--ca-file` in order.
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
    loaders
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
