//! Certificates from local files: PEM bundles (text around blocks, CRLF, a byte-order mark) and DER.
//!
//! Every problem names the file and where in it (PEM block number and line, or byte offset), so a
//! bad `--ca-file` or `inspect` input can be fixed without guessing.

use std::path::Path;

/// Files larger than this are refused rather than read into memory.
pub const MAX_FILE_BYTES: u64 = 16 * 1024 * 1024;

/// A certificate found in a file, with where it was found.
#[derive(Clone, Debug)]
pub struct LoadedCert {
    /// The DER bytes.
    pub der: Vec<u8>,
    /// Where it was, e.g. `PEM block 2 (line 31)` or `DER`.
    pub position: String,
}

/// Something in a file that is not a usable certificate, where it is and why.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EntryProblem {
    /// Where, as in [`LoadedCert::position`].
    pub position: String,
    /// What is wrong.
    pub message: String,
    /// Whether it is a private key (which certcheck ignores and never prints).
    pub private_key: bool,
}

/// What a file held.
#[derive(Clone, Debug, Default)]
pub struct LoadedFile {
    /// Certificates in file order.
    pub certs: Vec<LoadedCert>,
    /// Entries that were skipped, with the reason.
    pub problems: Vec<EntryProblem>,
}

/// The file as a whole could not be used.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{path}: {reason}")]
pub struct FileError {
    /// The path as given.
    pub path: String,
    /// What is wrong with it.
    pub reason: String,
}

/// Reads `path` (`-` for standard input) and loads every certificate in it.
pub fn load_path(path: &Path) -> Result<LoadedFile, FileError> {
    if path.as_os_str() == "-" {
        return load_stdin();
    }
    load_file(path)
}

fn load_stdin() -> Result<LoadedFile, FileError> {
    use std::io::Read;
    let fail = |reason: String| FileError {
        path: "-".into(),
        reason,
    };
    let mut bytes = Vec::new();
    std::io::stdin()
        .lock()
        .take(MAX_FILE_BYTES + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| fail(format!("standard input cannot be read ({e})")))?;
    if bytes.len() as u64 > MAX_FILE_BYTES {
        return Err(fail(format!(
            "standard input holds more than {MAX_FILE_BYTES} bytes; certcheck reads certificate files of at most that size"
        )));
    }
    load_bytes(&bytes).map_err(fail)
}

/// Reads `path` and loads every certificate in it.
pub fn load_file(path: &Path) -> Result<LoadedFile, FileError> {
    let shown = path.display().to_string();
    let fail = |reason: String| FileError {
        path: shown.clone(),
        reason,
    };
    let meta = std::fs::metadata(path).map_err(|e| fail(io_reason(&e)))?;
    if meta.is_dir() {
        return Err(fail("is a directory, not a certificate file".into()));
    }
    if meta.len() > MAX_FILE_BYTES {
        return Err(fail(format!(
            "is {} bytes; certcheck reads certificate files of at most {} bytes",
            meta.len(),
            MAX_FILE_BYTES
        )));
    }
    let bytes = std::fs::read(path).map_err(|e| fail(io_reason(&e)))?;
    load_bytes(&bytes).map_err(fail)
}

fn io_reason(err: &std::io::Error) -> String {
    match err.kind() {
        std::io::ErrorKind::NotFound => "no such file".into(),
        std::io::ErrorKind::PermissionDenied => "permission denied".into(),
        _ => format!("cannot be read ({err})"),
    }
}

/// Loads certificates from file contents; `Err` is a sentence saying why nothing usable is there.
pub fn load_bytes(bytes: &[u8]) -> Result<LoadedFile, String> {
    if bytes.is_empty() {
        return Err("is empty".into());
    }
    let body = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    let loaded = if contains(body, b"-----BEGIN ") {
        load_pem(body)
    } else if body.first() == Some(&0x30) {
        match load_der(body) {
            Ok(loaded) => loaded,
            Err(der_error) => match load_pkcs7(body, "PKCS#7 (DER)") {
                Ok(certs) if !certs.is_empty() => LoadedFile {
                    certs,
                    problems: Vec::new(),
                },
                _ => return Err(der_error),
            },
        }
    } else {
        return Err(
            "is neither PEM (no '-----BEGIN' line) nor DER (does not start with a SEQUENCE)".into(),
        );
    };
    if loaded.certs.is_empty() {
        let detail = loaded
            .problems
            .iter()
            .map(|p| format!("{}: {}", p.position, p.message))
            .collect::<Vec<_>>()
            .join("; ");
        return Err(if detail.is_empty() {
            "holds no certificate".into()
        } else {
            format!("holds no usable certificate ({detail})")
        });
    }
    Ok(loaded)
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

/// The total length (header included) a DER element announces, when the header is readable.
fn der_announced_len(body: &[u8]) -> Option<usize> {
    let first = *body.get(1)?;
    if first < 0x80 {
        return Some(2 + usize::from(first));
    }
    let count = usize::from(first & 0x7f);
    if count == 0 || count > 4 {
        return None;
    }
    let bytes = body.get(2..2 + count)?;
    let len = bytes
        .iter()
        .fold(0usize, |acc, b| (acc << 8) | usize::from(*b));
    Some(2 + count + len)
}

fn load_der(body: &[u8]) -> Result<LoadedFile, String> {
    // One DER certificate; its outer length says where it ends.
    if let Some(announced) = der_announced_len(body).filter(|n| *n > body.len()) {
        return Err(format!(
            "is truncated DER: the certificate announces {announced} bytes but the file has {}",
            body.len()
        ));
    }
    match x509_parser::parse_x509_certificate(body) {
        Ok((rest, _)) => {
            let used = body.len() - rest.len();
            let mut loaded = LoadedFile::default();
            loaded.certs.push(LoadedCert {
                der: body[..used].to_vec(),
                position: "DER".into(),
            });
            if !rest.is_empty() {
                loaded.problems.push(EntryProblem {
                    position: format!("byte offset {used}"),
                    message: format!(
                        "{} bytes of trailing data after the certificate",
                        rest.len()
                    ),
                    private_key: false,
                });
            }
            Ok(loaded)
        }
        Err(x509_parser::nom::Err::Incomplete(_)) => Err(format!(
            "is truncated DER: {} bytes, fewer than the certificate's own length says",
            body.len()
        )),
        Err(x509_parser::nom::Err::Error(e) | x509_parser::nom::Err::Failure(e)) => {
            Err(format!("is not a valid DER certificate ({e})"))
        }
    }
}

fn load_pem(body: &[u8]) -> LoadedFile {
    let mut loaded = LoadedFile::default();
    // Blocks are found first and decoded afterwards, on every core for large bundles.
    let mut blocks: Vec<(String, String, &[u8])> = Vec::new();
    // (number, first line, label, byte offset of the BEGIN line)
    let mut block: Option<(usize, usize, String, usize)> = None;
    let mut number = 0;
    let mut offset = 0;
    for (line_no, raw) in body.split(|b| *b == b'\n').enumerate() {
        let line_start = offset;
        offset += raw.len() + 1;
        let line = raw.trim_ascii();
        if let Some(label) = line
            .strip_prefix(b"-----BEGIN ")
            .and_then(|l| l.strip_suffix(b"-----"))
        {
            if let Some((n, start, label, _)) = block.take() {
                loaded.problems.push(EntryProblem {
                    position: format!("PEM block {n} (line {start})"),
                    message: format!("'{label}' block has no END line"),
                    private_key: false,
                });
            }
            number += 1;
            let label = String::from_utf8_lossy(label).into_owned();
            block = Some((number, line_no + 1, label, line_start));
            continue;
        }
        if !line.starts_with(b"-----END ") {
            continue;
        }
        if let Some((n, start, label, from)) = block.take() {
            let to = offset.min(body.len());
            let position = format!("PEM block {n} (line {start})");
            blocks.push((position, label, &body[from..to]));
        }
    }
    let truncated = block;
    let decode = |part: &[(String, String, &[u8])]| {
        let mut out = LoadedFile::default();
        for (position, label, text) in part {
            finish_block(&mut out, position.clone(), label, text);
        }
        out
    };
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    let parts: Vec<LoadedFile> = if blocks.len() < 256 || threads < 2 {
        vec![decode(&blocks)]
    } else {
        let chunk = blocks.len().div_ceil(threads);
        std::thread::scope(|scope| {
            let handles: Vec<_> = blocks
                .chunks(chunk)
                .map(|part| (part, scope.spawn(move || decode(part))))
                .collect();
            handles
                .into_iter()
                .map(|(part, handle)| handle.join().unwrap_or_else(|_| decode(part)))
                .collect()
        })
    };
    for part in parts {
        loaded.certs.extend(part.certs);
        loaded.problems.extend(part.problems);
    }
    if let Some((n, start, label, _)) = truncated {
        loaded.problems.push(EntryProblem {
            position: format!("PEM block {n} (line {start})"),
            message: format!("'{label}' block is truncated (no END line)"),
            private_key: false,
        });
    }
    loaded
}

/// Decodes one PEM section: certificates with the `base64` crate directly (certificates are
/// public, so no constant-time decoder is needed and bundles of thousands decode fast), other
/// labels with `pem`.
fn decode_block(label: &str, pem_bytes: &[u8]) -> Result<Vec<u8>, String> {
    use base64::Engine;
    if label == "CERTIFICATE" {
        let mut body = Vec::with_capacity(pem_bytes.len());
        for line in pem_bytes.split(|b| *b == b'\n').map(<[u8]>::trim_ascii) {
            if line.starts_with(b"-----") {
                continue;
            }
            if line.contains(&b':') {
                return Err("PEM headers are not supported in a certificate block".into());
            }
            body.extend_from_slice(line);
        }
        return base64::engine::general_purpose::STANDARD
            .decode(&body)
            .map_err(|err| format!("the base64 body cannot be decoded ({err})"));
    }
    pem::parse(pem_bytes)
        .map(pem::Pem::into_contents)
        .map_err(|err| format!("the base64 body cannot be decoded ({err})"))
}

fn finish_block(loaded: &mut LoadedFile, position: String, label: &str, pem_text: &[u8]) {
    if label.contains("PRIVATE KEY") {
        loaded.problems.push(EntryProblem {
            position,
            message: format!("a {label} is ignored (certcheck never reads or prints key material)"),
            private_key: true,
        });
        return;
    }
    if label == "PKCS7" || label == "CMS" || label == "PKCS #7 SIGNED DATA" {
        match decode_block(label, pem_text) {
            Ok(der) => match load_pkcs7(&der, &position) {
                Ok(certs) if certs.is_empty() => loaded.problems.push(EntryProblem {
                    position,
                    message: "the PKCS#7 structure holds no certificate".into(),
                    private_key: false,
                }),
                Ok(certs) => loaded.certs.extend(certs),
                Err(message) => loaded.problems.push(EntryProblem {
                    position,
                    message,
                    private_key: false,
                }),
            },
            Err(message) => loaded.problems.push(EntryProblem {
                position,
                message,
                private_key: false,
            }),
        }
        return;
    }
    if label != "CERTIFICATE" && label != "TRUSTED CERTIFICATE" && label != "X509 CERTIFICATE" {
        loaded.problems.push(EntryProblem {
            position,
            message: format!("a '{label}' block is not a certificate and is ignored"),
            private_key: false,
        });
        return;
    }
    match decode_block(label, pem_text) {
        Ok(mut der) => {
            // Only the DER envelope is checked here (a full parse follows in the chain stage,
            // which reports a certificate that does not parse by its index).
            match der_announced_len(&der) {
                Some(len) if der.first() == Some(&0x30) && len <= der.len() => {
                    // "TRUSTED CERTIFICATE" carries OpenSSL trust settings after the certificate.
                    der.truncate(len);
                    loaded.certs.push(LoadedCert { der, position })
                }
                Some(len) if der.first() == Some(&0x30) => loaded.problems.push(EntryProblem {
                    position,
                    message: format!(
                        "the certificate's DER is truncated: it announces {len} bytes, the block holds {}",
                        der.len()
                    ),
                    private_key: false,
                }),
                _ => loaded.problems.push(EntryProblem {
                    position,
                    message: "not a DER certificate (it does not start with a SEQUENCE)".into(),
                    private_key: false,
                }),
            }
        }
        Err(message) => loaded.problems.push(EntryProblem {
            position,
            message,
            private_key: false,
        }),
    }
}

/// The certificates of a PKCS#7 / CMS SignedData (`.p7b`, `.p7c`), leaf first.
///
/// A SET OF has no order, so the leaf is the certificate that issued none of the others (an end
/// entity when there is one), followed by its issuers in path order, then anything unrelated.
fn load_pkcs7(der: &[u8], position: &str) -> Result<Vec<LoadedCert>, String> {
    use cms::cert::x509::der::{Decode, Encode};
    let info = cms::content_info::ContentInfo::from_der(der)
        .map_err(|e| format!("not a PKCS#7 structure ({e})"))?;
    let signed = info
        .content
        .decode_as::<cms::signed_data::SignedData>()
        .map_err(|e| format!("PKCS#7 content is not SignedData ({e})"))?;
    let mut ders = Vec::new();
    for choice in signed.certificates.iter().flat_map(|set| set.0.iter()) {
        if let cms::cert::CertificateChoices::Certificate(cert) = choice {
            ders.push(
                cert.to_der()
                    .map_err(|e| format!("a PKCS#7 certificate cannot be re-encoded ({e})"))?,
            );
        }
    }
    Ok(order_as_chain(ders)
        .into_iter()
        .enumerate()
        .map(|(i, der)| LoadedCert {
            der,
            position: format!("{position}, certificate {}", i + 1),
        })
        .collect())
}

/// Subject, issuer and cA flag of a certificate, for ordering.
type Names = (Vec<u8>, Vec<u8>, bool);

fn order_as_chain(ders: Vec<Vec<u8>>) -> Vec<Vec<u8>> {
    let parsed: Vec<Option<Names>> = ders
        .iter()
        .map(|d| {
            let (_, c) = x509_parser::parse_x509_certificate(d).ok()?;
            Some((
                c.subject().as_raw().to_vec(),
                c.issuer().as_raw().to_vec(),
                c.is_ca(),
            ))
        })
        .collect();
    let issues_another = |i: usize| {
        parsed[i].as_ref().is_some_and(|(subject, _, _)| {
            parsed.iter().enumerate().any(|(j, other)| {
                j != i
                    && other
                        .as_ref()
                        .is_some_and(|(s, issuer, _)| issuer == subject && s != subject)
            })
        })
    };
    let leaf = (0..ders.len())
        .find(|i| !issues_another(*i) && parsed[*i].as_ref().is_some_and(|p| !p.2))
        .or_else(|| (0..ders.len()).find(|i| !issues_another(*i)))
        .unwrap_or(0);
    let mut order = vec![leaf];
    while let Some(Some((subject, issuer, _))) = order.last().map(|i| parsed[*i].as_ref()) {
        if subject == issuer {
            break;
        }
        let next = (0..ders.len()).find(|j| {
            !order.contains(j) && parsed[*j].as_ref().is_some_and(|(s, _, _)| s == issuer)
        });
        match next {
            Some(j) => order.push(j),
            None => break,
        }
    }
    let rest: Vec<usize> = (0..ders.len()).filter(|i| !order.contains(i)).collect();
    order.extend(rest);
    let mut slots: Vec<Option<Vec<u8>>> = ders.into_iter().map(Some).collect();
    order.into_iter().filter_map(|i| slots[i].take()).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rejects_empty_garbage_and_certificate_free_pem() {
        assert_eq!(load_bytes(b"").unwrap_err(), "is empty");
        assert!(
            load_bytes(b"\x01\x02garbage")
                .unwrap_err()
                .contains("neither PEM")
        );
        assert!(
            load_bytes(b"hello\n-----BEGIN CERTIFICATE-----\n!!!\n-----END CERTIFICATE-----\n")
                .unwrap_err()
                .contains("PEM block 1 (line 2)")
        );
        assert!(
            load_bytes(b"\x30\x82\x05\x00\x01")
                .unwrap_err()
                .contains("truncated")
        );
    }
}
