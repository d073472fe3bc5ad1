//! A file that is one DER certificate: where it ends, and what follows it.

use super::{EntryProblem, LoadedCert, LoadedFile, Part, Position};

/// The total length (header included) a DER element announces, when the header is readable.
pub(super) fn der_announced_len(body: &[u8]) -> Option<usize> {
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

pub(super) fn load_der(body: &[u8]) -> Result<LoadedFile, String> {
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
                    position: Part::ByteOffset(used).into(),
                    message: format!(
                        "{} bytes of trailing data after the certificate",
                        rest.len()
                    ),
                    private_key: false,
                    file: None,
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
