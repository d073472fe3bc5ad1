//! `certcheck show`: every field of each certificate, laid out as `openssl x509 -text` does, and
//! `--showcerts`, `--save-chain`: the presented chain as PEM. Written from the report alone.

use std::io::{self, Write};
use std::path::Path;

use crate::chain::details::CertDetails;
use crate::report::{CertReport, Report, TargetReport};

/// Extension OIDs `show` writes the value of (the rest are listed with their flags only).
mod oids {
    pub const SUBJECT_KEY_ID: &str = "2.5.29.14";
    pub const KEY_USAGE: &str = "2.5.29.15";
    pub const SUBJECT_ALT_NAME: &str = "2.5.29.17";
    pub const BASIC_CONSTRAINTS: &str = "2.5.29.19";
    pub const NAME_CONSTRAINTS: &str = "2.5.29.30";
    pub const CRL_DISTRIBUTION_POINTS: &str = "2.5.29.31";
    pub const CERTIFICATE_POLICIES: &str = "2.5.29.32";
    pub const AUTHORITY_KEY_ID: &str = "2.5.29.35";
    pub const EXT_KEY_USAGE: &str = "2.5.29.37";
    pub const AUTHORITY_INFO_ACCESS: &str = "1.3.6.1.5.5.7.1.1";
    pub const SCT_LIST: &str = "1.3.6.1.4.1.11129.2.4.2";
}

/// Writes every result of a `show` run: a heading per input, then each certificate's fields.
pub fn write_show(report: &Report, out: &mut dyn Write) -> io::Result<()> {
    for (n, result) in report.results.iter().enumerate() {
        if n > 0 {
            writeln!(out)?;
        }
        write_result(result, out)?;
    }
    out.flush()
}

fn write_result(result: &TargetReport, out: &mut dyn Write) -> io::Result<()> {
    writeln!(out, "{}: {}", result.target, result.verdict)?;
    if let Some(error) = &result.connection_error {
        writeln!(out, "  {}: {}", error.code, error.message)?;
    }
    write_certificates(result, out)
}

/// Every field of each certificate of `result` (kept only by `show` and `--verbose`).
pub fn write_certificates(result: &TargetReport, out: &mut dyn Write) -> io::Result<()> {
    let count = result.chain.len();
    for cert in &result.chain {
        writeln!(out)?;
        writeln!(out, "Certificate {} of {count}:", cert.index)?;
        match (&cert.details, &cert.parse_error) {
            (Some(details), _) => write_details(cert, details, out)?,
            (None, Some(error)) => writeln!(out, "    cannot be parsed: {error}")?,
            (None, None) => writeln!(out, "    (no details)")?,
        }
    }
    Ok(())
}

fn write_details(cert: &CertReport, d: &CertDetails, out: &mut dyn Write) -> io::Result<()> {
    let w = out;
    writeln!(w, "    Version: {}", d.version)?;
    match &d.serial_decimal {
        Some(decimal) => writeln!(
            w,
            "    Serial Number: {} ({decimal})",
            colons(&d.serial, false)
        )?,
        None => writeln!(w, "    Serial Number: {}", colons(&d.serial, false))?,
    }
    writeln!(
        w,
        "    Signature Algorithm: {} ({})",
        d.signature_algorithm, d.signature_algorithm_oid
    )?;
    writeln!(w, "    Issuer: {}", d.issuer)?;
    writeln!(w, "    Validity")?;
    writeln!(w, "        Not Before: {}", d.not_before)?;
    let remaining = match cert.days_remaining {
        days if days < 0 => format!("expired {} days ago", -days),
        days => format!("{days} days left"),
    };
    writeln!(w, "        Not After : {} ({remaining})", d.not_after)?;
    writeln!(w, "    Subject: {}", d.subject)?;
    writeln!(w, "    Subject Public Key Info:")?;
    let key = &d.public_key;
    let mut algorithm = format!("{} ({} bit", key.algorithm, key.bits);
    if let Some(curve) = &key.curve {
        algorithm.push_str(&format!(", {curve}"));
    }
    if let Some(exponent) = key.rsa_exponent {
        algorithm.push_str(&format!(", exponent {exponent}"));
    }
    algorithm.push(')');
    writeln!(w, "        Public Key Algorithm: {algorithm}")?;
    writeln!(w, "        SPKI SHA-256: {}", key.spki_sha256)?;
    if !d.extensions.is_empty() {
        writeln!(w, "    X509v3 extensions:")?;
    }
    for ext in &d.extensions {
        let name = ext.name.as_deref().unwrap_or(&ext.oid);
        let critical = if ext.critical { " critical" } else { "" };
        writeln!(w, "        {name}:{critical}")?;
        for line in extension_lines(&ext.oid, d) {
            writeln!(w, "            {line}")?;
        }
        if !ext.known {
            writeln!(w, "            (not decoded by certcheck: {})", ext.oid)?;
        }
    }
    writeln!(w, "    Fingerprints:")?;
    writeln!(w, "        SHA-1:   {}", colons(&d.fingerprints.sha1, true))?;
    writeln!(
        w,
        "        SHA-256: {}",
        colons(&d.fingerprints.sha256, true)
    )?;
    Ok(())
}

/// The value of a decoded extension, one line per item.
fn extension_lines(oid: &str, d: &CertDetails) -> Vec<String> {
    let list = |items: &Option<Vec<String>>| {
        vec![items.as_deref().map(|i| i.join(", ")).unwrap_or_default()]
    };
    match oid {
        oids::SUBJECT_ALT_NAME => vec![d.subject_alt_names.join(", ")],
        oids::BASIC_CONSTRAINTS => d
            .basic_constraints
            .iter()
            .map(|bc| {
                let ca = if bc.ca { "CA:TRUE" } else { "CA:FALSE" };
                match bc.path_len {
                    Some(len) => format!("{ca}, pathlen:{len}"),
                    None => ca.to_string(),
                }
            })
            .collect(),
        oids::KEY_USAGE => list(&d.key_usage),
        oids::EXT_KEY_USAGE => list(&d.extended_key_usage),
        oids::SUBJECT_KEY_ID => d.subject_key_id.iter().map(|id| colons(id, true)).collect(),
        oids::AUTHORITY_KEY_ID => d
            .authority_key_id
            .iter()
            .map(|id| format!("keyid:{}", colons(id, true)))
            .collect(),
        oids::AUTHORITY_INFO_ACCESS => d
            .ocsp_urls
            .iter()
            .map(|url| format!("OCSP - URI:{url}"))
            .chain(
                d.ca_issuer_urls
                    .iter()
                    .map(|url| format!("CA Issuers - URI:{url}")),
            )
            .collect(),
        oids::CRL_DISTRIBUTION_POINTS => d.crl_distribution_points.clone(),
        oids::CERTIFICATE_POLICIES => d
            .policies
            .iter()
            .flat_map(|p| {
                let head = match &p.name {
                    Some(name) => format!("Policy: {} ({name})", p.oid),
                    None => format!("Policy: {}", p.oid),
                };
                std::iter::once(head).chain(p.cps.iter().map(|cps| format!("  CPS: {cps}")))
            })
            .collect(),
        oids::SCT_LIST => d
            .scts
            .iter()
            .map(|sct| {
                format!(
                    "SCT v{}: log {} at {}",
                    sct.version,
                    colons(&sct.log_id, true),
                    sct.timestamp
                )
            })
            .collect(),
        oids::NAME_CONSTRAINTS => d
            .name_constraints
            .iter()
            .flat_map(|nc| {
                let permitted = nc.permitted.iter().map(|n| format!("Permitted: {n}"));
                let excluded = nc.excluded.iter().map(|n| format!("Excluded: {n}"));
                permitted.chain(excluded).collect::<Vec<_>>()
            })
            .collect(),
        _ => Vec::new(),
    }
}

/// Hex in pairs separated by colons, as OpenSSL writes serials and fingerprints.
fn colons(hex: &str, upper: bool) -> String {
    let pairs: Vec<String> = hex
        .as_bytes()
        .chunks(2)
        .map(|pair| {
            let text = String::from_utf8_lossy(pair);
            if upper {
                text.to_uppercase()
            } else {
                text.into_owned()
            }
        })
        .collect();
    pairs.join(":")
}

/// `--showcerts`: each presented certificate as PEM with its subject and issuer, as
/// `openssl s_client -showcerts` lists them.
pub fn write_showcerts(report: &Report, out: &mut dyn Write) -> io::Result<()> {
    for result in &report.results {
        writeln!(out)?;
        writeln!(out, "Certificate chain of {}", result.target)?;
        if result.chain.is_empty() {
            writeln!(out, " (no certificate was presented)")?;
        }
        for cert in &result.chain {
            writeln!(out, " {} s:{}", cert.index, cert.subject)?;
            writeln!(out, "   i:{}", cert.issuer)?;
            if let Some(pem) = &cert.pem {
                out.write_all(pem.as_bytes())?;
            }
        }
    }
    out.flush()
}

/// Why `--save-chain` wrote nothing.
#[derive(Debug, thiserror::Error)]
pub enum SaveChainError {
    /// No certificate to write.
    #[error("--save-chain {0}: no certificate was presented, so nothing was written")]
    Empty(String),
    /// The file could not be written.
    #[error("--save-chain {path}: cannot be written ({source})")]
    Write {
        /// The path as given.
        path: String,
        /// Why.
        source: io::Error,
    },
}

/// `--save-chain FILE`: the presented chain (of the one result) as PEM, leaf first. Written to
/// a temporary file beside FILE and renamed over it, so FILE is either the whole chain or as it was.
pub fn save_chain(report: &Report, path: &Path) -> Result<usize, SaveChainError> {
    let shown = path.display().to_string();
    let pems: Vec<&str> = report
        .results
        .iter()
        .flat_map(|r| &r.chain)
        .filter_map(|c| c.pem.as_deref())
        .collect();
    if pems.is_empty() {
        return Err(SaveChainError::Empty(shown));
    }
    let fail = |source: io::Error| SaveChainError::Write {
        path: shown.clone(),
        source,
    };
    let name = path
        .file_name()
        .ok_or_else(|| fail(io::Error::other("the path names no file")))?;
    let temporary = path.with_file_name(format!(
        ".{}.certcheck-{}.tmp",
        name.to_string_lossy(),
        std::process::id()
    ));
    let written = (|| {
        let mut file = std::fs::File::create(&temporary)?;
        for pem in &pems {
            file.write_all(pem.as_bytes())?;
        }
        file.sync_all()?;
        std::fs::rename(&temporary, path)
    })();
    if let Err(err) = written {
        let _ = std::fs::remove_file(&temporary);
        return Err(fail(err));
    }
    Ok(pems.len())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hex_is_written_in_pairs() {
        assert_eq!(colons("0a1b2c", true), "0A:1B:2C");
        assert_eq!(colons("0a1b", false), "0a:1b");
        assert_eq!(colons("", true), "");
    }
}
