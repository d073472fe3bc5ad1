//! PostgreSQL's SSLRequest: the client speaks first, with the 8-byte SSLRequest message; the
//! server answers with one byte, `S` (go ahead with TLS) or `N` (no TLS), or, if it predates
//! the protocol, an ErrorResponse.
//!
//! Per the PostgreSQL documentation, "Frontend/Backend Protocol": section 55.2.10 "SSL Session
//! Encryption" (the exchange) and section 55.7 "Message Formats", `SSLRequest (F)`: `Int32(8)`,
//! the length of the message including itself, then `Int32(80877103)`, "the SSL request code.
//! The value is chosen to contain 1234 in the most significant 16 bits, and 5679 in the least
//! significant 16 bits", both in network byte order. The server sends nothing after `S` until
//! the client's ClientHello; bytes after it are refused (CVE-2021-23222).

use super::{ConnectError, Talk, quote_bytes, quote_text};

/// `Int32(8)` and `Int32(80877103)` (0x04D2162F: 1234 and 5679), big-endian.
pub(super) const SSL_REQUEST: [u8; 8] = [0x00, 0x00, 0x00, 0x08, 0x04, 0xD2, 0x16, 0x2F];

/// An ErrorResponse larger than this is not one (they are a few hundred bytes).
const MAX_ERROR: usize = 16 * 1024;

/// Runs the exchange; `Ok` once the server has answered `S`.
pub(super) async fn upgrade(talk: &mut Talk<'_>) -> Result<(), ConnectError> {
    talk.send(&SSL_REQUEST).await?;
    talk.waiting("the answer to the SSLRequest");
    let answer = talk.exact(1).await?;
    match answer[0] {
        // A PostgreSQL server sends nothing more; more with the 'S' is another protocol's
        // banner that happens to begin with S ("SSH-2.0-...").
        b'S' if talk.has_pending() => {
            let said = [answer, talk.take_pending()].concat();
            Err(talk.not_this_protocol(&said))
        }
        b'S' => Ok(()),
        b'N' => Err(talk.fail(
            "it answered the SSLRequest with 'N': the server does not accept TLS (ssl = off in postgresql.conf)",
        )),
        b'E' => {
            let header = talk.exact(4).await?;
            let length = u32::from_be_bytes([header[0], header[1], header[2], header[3]]) as usize;
            if !(4..=MAX_ERROR).contains(&length) {
                return Err(talk.not_this_protocol(&[&answer[..], &header[..]].concat()));
            }
            let body = talk.exact(length - 4).await?;
            Err(talk.fail(format!(
                "it answered the SSLRequest with an error: {}",
                error_fields(&body)
            )))
        }
        _ => {
            // Whatever else has arrived with it, to quote more than one byte.
            let mut said = answer;
            said.extend(talk.take_pending());
            Err(talk.not_this_protocol(&said))
        }
    }
}

/// The severity, code and message of an ErrorResponse body (fields `S`, `C`, `M`: section 55.8
/// "Error and Notice Message Fields"), as `FATAL 0A000: unsupported frontend protocol`.
fn error_fields(body: &[u8]) -> String {
    let mut severity = None;
    let mut code = None;
    let mut message = None;
    for field in body.split(|b| *b == 0) {
        let Some((kind, value)) = field.split_first() else {
            continue;
        };
        let value = String::from_utf8_lossy(value).into_owned();
        match kind {
            b'S' => severity = Some(value),
            b'C' => code = Some(value),
            b'M' => message = Some(value),
            _ => {}
        }
    }
    match message {
        Some(message) => {
            let prefix: Vec<String> = [severity, code].into_iter().flatten().collect();
            quote_text(format!("{} {message}", prefix.join(" ")).trim_start())
        }
        None => quote_bytes(body),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_ssl_request_is_the_documented_code() {
        assert_eq!(SSL_REQUEST[..4], 8u32.to_be_bytes());
        assert_eq!(SSL_REQUEST[4..], 80_877_103u32.to_be_bytes());
        assert_eq!(80_877_103u32 >> 16, 1234);
        assert_eq!(80_877_103u32 & 0xFFFF, 5679);
    }

    #[test]
    fn quotes_an_error_response() {
        let body = b"SFATAL\0C0A000\0Munsupported frontend protocol 1234.5679\0\0";
        assert_eq!(
            error_fields(body),
            "'FATAL 0A000 unsupported frontend protocol 1234.5679'"
        );
    }
}
