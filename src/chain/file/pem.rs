//! PEM bundles: finding the blocks (text around them, CRLF, BEGIN lines without an END) and
//! decoding each one to a certificate, a PKCS#7 bundle, or a problem.

use super::der::der_announced_len;
use super::pkcs7::load_pkcs7;
use super::{EntryProblem, Loaded, LoadedCert, MakeCert, Part, Position};

/// A PEM section found by the scan, not yet decoded.
struct PemBlock<'a> {
    /// 1-based block number and the line of its BEGIN.
    number: usize,
    line: usize,
    label: std::borrow::Cow<'a, str>,
    /// From the BEGIN line through the END line.
    text: &'a [u8],
}

impl PemBlock<'_> {
    /// Where the block is, for its certificate or its problem.
    fn position(&self) -> Position {
        Part::PemBlock {
            number: self.number,
            line: self.line,
        }
        .into()
    }
}

pub(super) fn load_pem<T: Send>(body: &[u8], make: &MakeCert<'_, T>) -> Loaded<T> {
    let (blocks, mut problems, truncated) = scan_pem(body);
    // Blocks are found first and decoded afterwards, on every core for large bundles.
    let decode = |part: &[PemBlock<'_>]| {
        let mut out = Loaded {
            certs: Vec::with_capacity(part.len()),
            problems: Vec::new(),
        };
        let mut scratch = Vec::new();
        for block in part {
            let section = (&*block.label, block.text);
            finish_block(&mut out, block.position(), section, &mut scratch, make);
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
            position: block.position(),
            message: format!("'{}' block is truncated (no END line)", block.label),
            private_key: false,
            file: None,
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
                    position: block.position(),
                    message: format!("'{}' block has no END line", block.label),
                    private_key: false,
                    file: None,
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
            position,
            message: format!("a {label} is ignored (certcheck never reads or prints key material)"),
            private_key: true,
            file: None,
        });
        return;
    }
    if label == "PKCS7" || label == "CMS" || label == "PKCS #7 SIGNED DATA" {
        match decode_block(label, pem_text, scratch) {
            Ok(der) => match load_pkcs7(&der, position) {
                Ok(certs) if certs.is_empty() => loaded.problems.push(EntryProblem {
                    position,
                    message: "the PKCS#7 structure holds no certificate".into(),
                    private_key: false,
                    file: None,
                }),
                Ok(certs) => loaded.certs.extend(certs.into_iter().map(make)),
                Err(message) => loaded.problems.push(EntryProblem {
                    position,
                    message,
                    private_key: false,
                    file: None,
                }),
            },
            Err(message) => loaded.problems.push(EntryProblem {
                position,
                message,
                private_key: false,
                file: None,
            }),
        }
        return;
    }
    if label != "CERTIFICATE" && label != "TRUSTED CERTIFICATE" && label != "X509 CERTIFICATE" {
        loaded.problems.push(EntryProblem {
            position,
            message: format!("a '{label}' block is not a certificate and is ignored"),
            private_key: false,
            file: None,
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
                    position,
                    message: format!(
                        "the certificate's DER is truncated: it announces {len} bytes, the block holds {}",
                        der.len()
                    ),
                    private_key: false,
                    file: None,
                }),
                _ => loaded.problems.push(EntryProblem {
                    position,
                    message: "not a DER certificate (it does not start with a SEQUENCE)".into(),
                    private_key: false,
                    file: None,
                }),
            }
        }
        Err(message) => loaded.problems.push(EntryProblem {
            position,
            message,
            private_key: false,
            file: None,
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
}
