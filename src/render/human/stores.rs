//! The `certcheck stores` tables: where each store is read from, and which store each client uses.

use std::io::{self, Write};

use comfy_table::Cell;

use super::table_with_header;
use crate::render::Style;
use crate::report::StoresReport;

/// The `certcheck stores` tables, then the assumptions client predictions rest on.
pub fn write_stores(report: &StoresReport, style: Style, out: &mut dyn Write) -> io::Result<()> {
    write_store_sources(report, style, out)?;
    write_client_stores(report, style, out)?;
    writeln!(out, "Client predictions assume: {}", report.assumptions)?;
    out.flush()
}

/// One row per store: its source, the files and directories read, and what failed to load.
fn write_store_sources(report: &StoresReport, style: Style, out: &mut dyn Write) -> io::Result<()> {
    let mut stores = table_with_header(
        style,
        ["Store", "Source", "Read from", "Certificates", "Failed"],
    );
    for store in &report.stores {
        let mut read: Vec<String> = store
            .files
            .iter()
            .map(|f| format!("file {f}"))
            .chain(store.directories.iter().map(|d| format!("directory {d}")))
            .collect();
        if store.from_environment {
            read.push("(set by SSL_CERT_FILE/SSL_CERT_DIR)".into());
        }
        let failed = if store.failed.is_empty() {
            "0".to_string()
        } else {
            format!("{}\n{}", store.failed.len(), store.failed.join("\n"))
        };
        stores.add_row(vec![
            Cell::new(store.store.as_str()),
            Cell::new(&store.source),
            Cell::new(read.join("\n")),
            Cell::new(store.certificates),
            Cell::new(failed),
        ]);
    }
    writeln!(out, "{stores}")
}

/// One row per client profile: the store it uses, and why.
fn write_client_stores(report: &StoresReport, style: Style, out: &mut dyn Write) -> io::Result<()> {
    let mut clients = table_with_header(style, ["Client", "Stands for", "Store it uses, and why"]);
    for client in &report.clients {
        clients.add_row(vec![
            Cell::new(client.client.as_str()),
            Cell::new(&client.assumes),
            Cell::new(&client.store),
        ]);
    }
    writeln!(out, "{clients}")
}
