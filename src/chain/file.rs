//! Certificates from local files: PEM bundles (text around blocks, CRLF, a byte-order mark) and DER.
//!
//! Every problem names the file and where in it (PEM block number and line, or byte offset), so a
//! bad `--ca-file` or `inspect` input can be fixed without guessing.

use std::path::Path;

/// Files larger than this are refused rather than read into memory.
pub const MAX_FILE_BYTES: u64 = 16 * 1024 * 1024;

/// Files of at least this size are mapped rather than copied into memory.
const MAP_FILE_BYTES: u64 = 1024 * 1024;

/// A certificate found in a file, with where it was found.
#[derive(Clone, Debug)]
pub struct LoadedCert {
    /// The DER bytes.
    pub der: Vec<u8>,
    /// Where it was.
    pub position: Position,
}

/// Where a certificate was found in its file. Kept as numbers and written only when a message
/// needs it: `PEM block 2 (line 31)`, `DER`, `PKCS#7 (DER), certificate 3`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Position {
    /// The PEM block's number and the line of its BEGIN; `None` in a DER file.
    pub pem_block: Option<(usize, usize)>,
    /// The certificate's place (from 1) inside a PKCS#7 structure.
    pub pkcs7_member: Option<usize>,
}

impl std::fmt::Display for Position {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match (self.pem_block, self.pkcs7_member) {
            (Some((number, line)), _) => write!(f, "PEM block {number} (line {line})")?,
            (None, Some(_)) => f.write_str("PKCS#7 (DER)")?,
            (None, None) => f.write_str("DER")?,
        }
        match self.pkcs7_member {
            Some(member) => write!(f, ", certificate {member}"),
            None => Ok(()),
        }
    }
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

/// What a file held: `T` is what the caller made of each certificate (see [`load_path_with`]).
#[derive(Clone, Debug)]
pub struct Loaded<T> {
    /// Certificates in file order.
    pub certs: Vec<T>,
    /// Entries that were skipped, with the reason.
    pub problems: Vec<EntryProblem>,
}

impl<T> Default for Loaded<T> {
    fn default() -> Self {
        Loaded {
            certs: Vec::new(),
            problems: Vec::new(),
        }
    }
}

/// What a file held, each certificate as DER with its position.
pub type LoadedFile = Loaded<LoadedCert>;

/// Turns a certificate into what the caller keeps. It runs on the thread that decoded the
/// certificate, so a large bundle is decoded and digested on every core without keeping its DER.
pub type MakeCert<'m, T> = dyn Fn(LoadedCert) -> T + Sync + 'm;

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
    load_path_with(path, &|cert| cert)
}

/// As [`load_path`], handing each certificate to `make` as soon as it is decoded.
pub fn load_path_with<T: Send>(
    path: &Path,
    make: &MakeCert<'_, T>,
) -> Result<Loaded<T>, FileError> {
    if path.as_os_str() == "-" {
        return load_stdin(make);
    }
    load_file_with(path, make)
}

fn load_stdin<T: Send>(make: &MakeCert<'_, T>) -> Result<Loaded<T>, FileError> {
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
    load_bytes_with(&bytes, make).map_err(fail)
}

/// Reads `path` and loads every certificate in it.
pub fn load_file(path: &Path) -> Result<LoadedFile, FileError> {
    load_file_with(path, &|cert| cert)
}

fn load_file_with<T: Send>(path: &Path, make: &MakeCert<'_, T>) -> Result<Loaded<T>, FileError> {
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
    let file = std::fs::File::open(path).map_err(|e| fail(io_reason(&e)))?;
    if meta.len() >= MAP_FILE_BYTES {
        // SAFETY: the mapping is only read. Another process truncating the file meanwhile
        // would end certcheck with SIGBUS, a risk ripgrep takes for the same gain: a large
        // bundle is read from the page cache with no copy.
        if let Ok(map) = unsafe { memmap2::MmapOptions::new().populate().map(&file) } {
            return load_bytes_with(&map, make).map_err(fail);
        }
    }
    let mut bytes = Vec::new();
    std::io::Read::read_to_end(&mut &file, &mut bytes).map_err(|e| fail(io_reason(&e)))?;
    load_bytes_with(&bytes, make).map_err(fail)
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
    load_bytes_with(bytes, &|cert| cert)
}

/// As [`load_bytes`], handing each certificate to `make` as soon as it is decoded.
pub fn load_bytes_with<T: Send>(bytes: &[u8], make: &MakeCert<'_, T>) -> Result<Loaded<T>, String> {
    if bytes.is_empty() {
        return Err("is empty".into());
    }
    let body = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    let loaded = if memchr::memmem::find(body, b"-----BEGIN ").is_some() {
        load_pem(body, make)
    } else if body.first() == Some(&0x30) {
        match load_der(body) {
            Ok(loaded) => Loaded {
                certs: loaded.certs.into_iter().map(make).collect(),
                problems: loaded.problems,
            },
            Err(der_error) => match load_pkcs7(body, Position::default()) {
                Ok(certs) if !certs.is_empty() => Loaded {
                    certs: certs.into_iter().map(make).collect(),
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
                position: Position::default(),
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

/// A PEM section found by the scan, not yet decoded.
struct PemBlock<'a> {
    /// 1-based block number and the line of its BEGIN.
    number: usize,
    line: usize,
    label: std::borrow::Cow<'a, str>,
    /// From the BEGIN line through the END line.
    text: &'a [u8],
}

fn load_pem<T: Send>(body: &[u8], make: &MakeCert<'_, T>) -> Loaded<T> {
    let (blocks, mut problems, truncated) = scan_pem(body);
    // Blocks are found first and decoded afterwards, on every core for large bundles.
    let decode = |part: &[PemBlock<'_>]| {
        let mut out = Loaded {
            certs: Vec::with_capacity(part.len()),
            problems: Vec::new(),
        };
        let mut scratch = Vec::new();
        for block in part {
            let position = Position {
                pem_block: Some((block.number, block.line)),
                pkcs7_member: None,
            };
            let section = (&*block.label, block.text);
            finish_block(&mut out, position, section, &mut scratch, make);
        }
        out
    };
    let mut parts =
        crate::par::map_parts(&blocks, crate::par::MANY_ITEMS, |_, part| decode(part)).into_iter();
    let mut loaded = parts.next().unwrap_or_default();
    loaded
        .certs
        .reserve(blocks.len().saturating_sub(loaded.certs.len()));
    for part in parts {
        loaded.certs.extend(part.certs);
        loaded.problems.extend(part.problems);
    }
    problems.append(&mut loaded.problems);
    loaded.problems = problems;
    if let Some(block) = truncated {
        loaded.problems.push(EntryProblem {
            position: format!("PEM block {} (line {})", block.number, block.line),
            message: format!("'{}' block is truncated (no END line)", block.label),
            private_key: false,
        });
    }
    loaded
}

/// Finds the PEM sections of `body`: the complete ones, the problems of BEGIN lines without an
/// END, and a last section left open. Only lines that start with `-----` are looked at.
fn scan_pem(body: &[u8]) -> (Vec<PemBlock<'_>>, Vec<EntryProblem>, Option<PemBlock<'_>>) {
    let mut blocks = Vec::new();
    let mut problems = Vec::new();
    // The section under way and the offset of its BEGIN line.
    let mut open: Option<(PemBlock<'_>, usize)> = None;
    let mut number = 0;
    // Newlines before `counted` are already in `line`.
    let (mut line, mut counted) = (1, 0);
    let dashes = memchr::memmem::Finder::new(b"-----");
    let mut at = 0;
    while let Some(found) = dashes.find(&body[at..]) {
        let hit = at + found;
        let line_start = memchr::memrchr(b'\n', &body[..hit]).map_or(0, |i| i + 1);
        let line_end = memchr::memchr(b'\n', &body[hit..]).map_or(body.len(), |i| hit + i);
        at = line_end;
        if !body[line_start..hit].iter().all(u8::is_ascii_whitespace) {
            continue;
        }
        line += memchr::memchr_iter(b'\n', &body[counted..line_start]).count();
        counted = line_start;
        let text = body[hit..line_end].trim_ascii_end();
        if let Some(label) = text
            .strip_prefix(b"-----BEGIN ")
            .and_then(|l| l.strip_suffix(b"-----"))
        {
            if let Some((block, _)) = open.take() {
                problems.push(EntryProblem {
                    position: format!("PEM block {} (line {})", block.number, block.line),
                    message: format!("'{}' block has no END line", block.label),
                    private_key: false,
                });
            }
            number += 1;
            let block = PemBlock {
                number,
                line,
                label: String::from_utf8_lossy(label),
                text: &[],
            };
            open = Some((block, line_start));
        } else if text.starts_with(b"-----END ")
            && let Some((mut block, from)) = open.take()
        {
            block.text = &body[from..(line_end + 1).min(body.len())];
            blocks.push(block);
        }
    }
    (blocks, problems, open.map(|(block, _)| block))
}

/// Decodes one PEM section: certificates with base64-simd directly (certificates are public, so
/// no constant-time decoder is needed and bundles of thousands decode fast), other labels with
/// `pem`. `scratch` is reused from block to block.
fn decode_block(label: &str, pem_bytes: &[u8], scratch: &mut Vec<u8>) -> Result<Vec<u8>, String> {
    use base64::Engine;
    if label == "CERTIFICATE" {
        scratch.clear();
        let mut start = 0;
        for end in memchr::memchr_iter(b'\n', pem_bytes).chain([pem_bytes.len()]) {
            let line = pem_bytes[start..end].trim_ascii();
            start = end + 1;
            if line.starts_with(b"-----") {
                continue;
            }
            if memchr::memchr(b':', line).is_some() {
                return Err("PEM headers are not supported in a certificate block".into());
            }
            scratch.extend_from_slice(line);
        }
        // base64-simd decodes about four times faster; the `base64` crate, which accepts and
        // refuses exactly the same text, says where a bad body goes wrong.
        return base64_simd::STANDARD.decode_to_vec(&scratch).map_err(|_| {
            let err = base64::engine::general_purpose::STANDARD
                .decode(&scratch)
                .err()
                .map_or_else(|| "not canonical base64".to_string(), |e| e.to_string());
            format!("the base64 body cannot be decoded ({err})")
        });
    }
    pem::parse(pem_bytes)
        .map(pem::Pem::into_contents)
        .map_err(|err| format!("the base64 body cannot be decoded ({err})"))
}

fn finish_block<T>(
    loaded: &mut Loaded<T>,
    position: Position,
    (label, pem_text): (&str, &[u8]),
    scratch: &mut Vec<u8>,
    make: &MakeCert<'_, T>,
) {
    if label.contains("PRIVATE KEY") {
        loaded.problems.push(EntryProblem {
            position: position.to_string(),
            message: format!("a {label} is ignored (certcheck never reads or prints key material)"),
            private_key: true,
        });
        return;
    }
    if label == "PKCS7" || label == "CMS" || label == "PKCS #7 SIGNED DATA" {
        match decode_block(label, pem_text, scratch) {
            Ok(der) => match load_pkcs7(&der, position) {
                Ok(certs) if certs.is_empty() => loaded.problems.push(EntryProblem {
                    position: position.to_string(),
                    message: "the PKCS#7 structure holds no certificate".into(),
                    private_key: false,
                }),
                Ok(certs) => loaded.certs.extend(certs.into_iter().map(make)),
                Err(message) => loaded.problems.push(EntryProblem {
                    position: position.to_string(),
                    message,
                    private_key: false,
                }),
            },
            Err(message) => loaded.problems.push(EntryProblem {
                position: position.to_string(),
                message,
                private_key: false,
            }),
        }
        return;
    }
    if label != "CERTIFICATE" && label != "TRUSTED CERTIFICATE" && label != "X509 CERTIFICATE" {
        loaded.problems.push(EntryProblem {
            position: position.to_string(),
            message: format!("a '{label}' block is not a certificate and is ignored"),
            private_key: false,
        });
        return;
    }
    match decode_block(label, pem_text, scratch) {
        Ok(mut der) => {
            // Only the DER envelope is checked here (a full parse follows in the chain stage,
            // which reports a certificate that does not parse by its index).
            match der_announced_len(&der) {
                Some(len) if der.first() == Some(&0x30) && len <= der.len() => {
                    // "TRUSTED CERTIFICATE" carries OpenSSL trust settings after the certificate.
                    der.truncate(len);
                    loaded.certs.push(make(LoadedCert { der, position }))
                }
                Some(len) if der.first() == Some(&0x30) => loaded.problems.push(EntryProblem {
                    position: position.to_string(),
                    message: format!(
                        "the certificate's DER is truncated: it announces {len} bytes, the block holds {}",
                        der.len()
                    ),
                    private_key: false,
                }),
                _ => loaded.problems.push(EntryProblem {
                    position: position.to_string(),
                    message: "not a DER certificate (it does not start with a SEQUENCE)".into(),
                    private_key: false,
                }),
            }
        }
        Err(message) => loaded.problems.push(EntryProblem {
            position: position.to_string(),
            message,
            private_key: false,
        }),
    }
}

/// The certificates of a PKCS#7 / CMS SignedData (`.p7b`, `.p7c`), leaf first.
///
/// A SET OF has no order, so the leaf is the certificate that issued none of the others (an end
/// entity when there is one), followed by its issuers in path order, then anything unrelated.
fn load_pkcs7(der: &[u8], position: Position) -> Result<Vec<LoadedCert>, String> {
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
            position: Position {
                pkcs7_member: Some(i + 1),
                ..position
            },
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
    fn positions_read_as_before() {
        let pem = Position {
            pem_block: Some((2, 31)),
            pkcs7_member: None,
        };
        assert_eq!(pem.to_string(), "PEM block 2 (line 31)");
        let member = Position {
            pkcs7_member: Some(3),
            ..pem
        };
        assert_eq!(member.to_string(), "PEM block 2 (line 31), certificate 3");
        assert_eq!(Position::default().to_string(), "DER");
        let der_member = Position {
            pem_block: None,
            pkcs7_member: Some(1),
        };
        assert_eq!(der_member.to_string(), "PKCS#7 (DER), certificate 1");
    }

    /// The fast decoder must accept and refuse exactly what the `base64` crate does, and a
    /// refused body is explained by the `base64` crate's error (which symbol, which offset).
    #[test]
    fn both_base64_decoders_agree_on_every_body() {
        use base64::Engine;
        let strict = base64::engine::general_purpose::STANDARD;
        // A small deterministic generator: the same bodies on every run.
        let mut state = 0x2545_f491_4f6c_dd1d_u64;
        let mut next = move || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state
        };
        let alphabet = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/= -_\r";
        let mut scratch = Vec::new();
        let (mut accepted, mut refused) = (0, 0);
        for round in 0..9_000 {
            // Short bodies, and bodies of certificate size that go through the SIMD kernels.
            let len = (next() % [40, 400, 2_000][round % 3]) as usize;
            let mut text = strict.encode((0..len).map(|_| next() as u8).collect::<Vec<_>>());
            // Most bodies get one or two characters changed, removed or added.
            for _ in 0..(round / 3 % 3) {
                let at = (next() as usize) % (text.len() + 1);
                let c = char::from(alphabet[(next() as usize) % alphabet.len()]);
                match next() % 3 {
                    0 if at < text.len() => {
                        text.remove(at);
                    }
                    1 if at < text.len() => text.replace_range(at..=at, &c.to_string()),
                    _ => text.insert(at, c),
                }
            }
            let pem = format!("-----BEGIN CERTIFICATE-----\n{text}\n-----END CERTIFICATE-----\n");
            // One line: only the whitespace at its ends is not part of the body.
            let body = text.trim_ascii();
            let got = decode_block("CERTIFICATE", pem.as_bytes(), &mut scratch);
            match strict.decode(body) {
                Ok(want) => {
                    assert_eq!(got.as_deref(), Ok(&want[..]), "{text:?}");
                    accepted += 1;
                }
                Err(want) => {
                    let message = got.expect_err(&text);
                    assert_eq!(
                        message,
                        format!("the base64 body cannot be decoded ({want})"),
                        "{text:?}"
                    );
                    refused += 1;
                }
            }
        }
        assert!(accepted > 2_500 && refused > 2_500, "{accepted} {refused}");
    }

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
