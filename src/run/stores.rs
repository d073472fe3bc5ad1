//! `certcheck stores`: where every store comes from, what loaded, and each client's store.

use crate::clients::ClientSetup;
use crate::config::Config;
use crate::report::{ClientStoreSummary, SnapshotSummary, StoreSummary, StoresReport};
use crate::trust::StoreKind;
use crate::trust::load::system_sources;
use crate::trust::platform::{KINDS, load_platform, provenance};
use crate::trust::store::WEBPKI_ROOTS_VERSION;

/// Describes the configured stores and the store each client profile would use.
pub fn stores_report(config: &Config) -> StoresReport {
    let mut stores = super::load_stores(config);
    // Every platform store is listed, whether or not `--platform-stores` compares with it.
    stores.extend(KINDS.iter().map(|kind| load_platform(*kind)));
    let sources = system_sources(&config.env.system_store);
    let setup = ClientSetup::load(&config.env.clients, &stores);
    // The `--ca-file` stores follow `system` and `bundled`, one per file in order.
    let mut ca_files = config.ca_files.iter();
    let summaries = stores
        .iter()
        .map(|store| {
            let (files, directories, from_environment) = match store.kind {
                StoreKind::System => (
                    sources
                        .file
                        .iter()
                        .map(|p| p.display().to_string())
                        .collect(),
                    sources
                        .dirs
                        .iter()
                        .map(|p| p.display().to_string())
                        .collect(),
                    sources.from_env,
                ),
                StoreKind::Custom => (
                    ca_files
                        .next()
                        .map(|p| vec![p.display().to_string()])
                        .unwrap_or_default(),
                    Vec::new(),
                    false,
                ),
                _ => (Vec::new(), Vec::new(), false),
            };
            let source = if store.kind == StoreKind::Bundled {
                format!("{} version {WEBPKI_ROOTS_VERSION}", store.source)
            } else {
                store.source.clone()
            };
            StoreSummary {
                store: store.kind,
                source,
                files,
                directories,
                from_environment,
                certificates: store.anchors.len(),
                failed: store.errors.clone(),
                snapshot: provenance(store.kind).map(|p| SnapshotSummary {
                    platform: p.platform.to_string(),
                    version: p.version.map(str::to_string),
                    url: p.url.to_string(),
                    fetched: p.fetched.to_string(),
                    trusted: p.trusted,
                    blocked: p.blocked,
                }),
            }
        })
        .collect();
    StoresReport {
        version: env!("CARGO_PKG_VERSION").to_string(),
        stores: summaries,
        clients: setup
            .choices
            .iter()
            .map(|c| ClientStoreSummary {
                client: c.client,
                assumes: crate::clients::profile(c.client).assumes.to_string(),
                store: c.reason.clone(),
            })
            .collect(),
        assumptions: crate::clients::assumptions(),
    }
}
