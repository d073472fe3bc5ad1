//! The prelude: what is said on the socket after TCP connects and before TLS begins.
//!
//! Without a STARTTLS protocol nothing is: certcheck speaks TLS from the first byte. With one
//! (`--starttls`, a URL scheme such as `smtp://`, or a port such as 25), the protocol's own
//! plaintext exchange runs here, one file per protocol, until the server says it is ready for
//! the ClientHello. Every step sets its own phase text, so that a `--timeout` says what it was
//! waiting for (the bound is the connection's, shared with dial and handshake), and every refusal
//! becomes a [`ConnectError::Starttls`] that quotes what the server said. The stream is read
//! raw, not through [`Recording`](super::Recording), so that the bytes described after a failed
//! handshake stay the server's TLS answer.

mod ftp;
mod imap;
mod ldap;
mod mysql;
mod pop3;
mod postgres;
mod smtp;
mod xmpp;

use std::io;
use std::net::SocketAddr;
use std::sync::Mutex;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use super::{ConnectError, ConnectRequest, set_phase};
use crate::target::Starttls;

/// The most a server may say before TLS starts; a server that says more is not one we know.
const MAX_PRELUDE_BYTES: usize = 64 * 1024;

/// The longest line a text protocol may send (SMTP allows 512 octets, IMAP more; 8 KiB is ample).
const MAX_LINE: usize = 8 * 1024;

/// Prepares `stream` for the TLS handshake: runs the STARTTLS exchange `request` asks for (none
/// by default) and returns the stream once the server waits for the ClientHello.
pub(super) async fn prelude(
    stream: TcpStream,
    address: SocketAddr,
    request: &ConnectRequest,
    phase: &Mutex<String>,
) -> Result<TcpStream, ConnectError> {
    let Some(protocol) = request.starttls else {
        return Ok(stream);
    };
    let mut talk = Talk::new(stream, address, protocol, phase);
    match protocol {
        Starttls::Ftp => ftp::upgrade(&mut talk).await?,
        Starttls::Imap => imap::upgrade(&mut talk).await?,
        Starttls::Ldap => ldap::upgrade(&mut talk).await?,
        Starttls::Mysql => mysql::upgrade(&mut talk).await?,
        Starttls::Pop3 => pop3::upgrade(&mut talk).await?,
        Starttls::Postgres => postgres::upgrade(&mut talk).await?,
        Starttls::Smtp => smtp::upgrade(&mut talk).await?,
        Starttls::Xmpp => xmpp::upgrade(&mut talk, &request.server_name.to_string()).await?,
    }
    talk.finish()
}

/// One plaintext conversation with the server: what it sent and what is being waited for.
pub(super) struct Talk<'a> {
    stream: TcpStream,
    /// Bytes received and not yet consumed.
    pending: Vec<u8>,
    /// Every byte received so far, counted against [`MAX_PRELUDE_BYTES`].
    total: usize,
    address: SocketAddr,
    protocol: Starttls,
    phase: &'a Mutex<String>,
    /// What is being waited for, for the phase text and the words of an early close.
    waiting_for: String,
}

impl<'a> Talk<'a> {
    fn new(
        stream: TcpStream,
        address: SocketAddr,
        protocol: Starttls,
        phase: &'a Mutex<String>,
    ) -> Talk<'a> {
        Talk {
            stream,
            pending: Vec::new(),
            total: 0,
            address,
            protocol,
            phase,
            waiting_for: String::new(),
        }
    }

    /// Notes what comes next (`the SMTP greeting`, `the answer to STARTTLS`) in the phase text.
    pub(super) fn waiting(&mut self, what: &str) {
        self.waiting_for = what.to_string();
        set_phase(
            self.phase,
            format!(
                "waiting for {what} from {} ({} STARTTLS)",
                self.address,
                self.protocol.label()
            ),
        );
    }

    /// A STARTTLS failure with `detail`, which quotes the server.
    pub(super) fn fail(&self, detail: impl Into<String>) -> ConnectError {
        ConnectError::Starttls {
            address: self.address.to_string(),
            protocol: self.protocol.label(),
            detail: detail.into(),
        }
    }

    /// The server's first bytes are a TLS record: it speaks TLS from the first byte.
    pub(super) fn speaks_tls_already(&self) -> bool {
        self.pending.len() >= 2 && self.pending[0] == 0x16 && self.pending[1] == 0x03
    }

    /// A failure for a server whose answer is not this protocol at all, quoting it.
    pub(super) fn not_this_protocol(&self, said: &[u8]) -> ConnectError {
        if said.len() >= 2 && said[0] == 0x16 && said[1] == 0x03 {
            return self.fail(format!(
                "it sent a TLS record instead of {}: this port speaks TLS from the first byte (check it without STARTTLS: --starttls none, or the implicit-TLS scheme)",
                self.waiting_for
            ));
        }
        self.fail(format!(
            "it does not speak {}: it sent {} instead of {}",
            self.protocol.label(),
            quote_bytes(said),
            self.waiting_for
        ))
    }

    /// Sends `bytes`.
    pub(super) async fn send(&mut self, bytes: &[u8]) -> Result<(), ConnectError> {
        let written = async {
            self.stream.write_all(bytes).await?;
            self.stream.flush().await
        }
        .await;
        written.map_err(|err| self.io_failure(&err, true))
    }

    /// Reads at least one more byte into `pending`.
    async fn fill(&mut self) -> Result<(), ConnectError> {
        if self.total >= MAX_PRELUDE_BYTES {
            return Err(self.fail(format!(
                "it sent more than {} KiB without {}",
                MAX_PRELUDE_BYTES / 1024,
                self.waiting_for
            )));
        }
        let mut chunk = [0u8; 4096];
        let room = (MAX_PRELUDE_BYTES - self.total).min(chunk.len());
        let read = self.stream.read(&mut chunk[..room]).await;
        match read {
            Ok(0) => {
                let before = if self.pending.is_empty() {
                    String::new()
                } else {
                    format!(" (after {})", quote_bytes(&self.pending))
                };
                Err(self.fail(format!(
                    "it closed the connection while certcheck was waiting for {}{before}",
                    self.waiting_for
                )))
            }
            Ok(n) => {
                self.total += n;
                self.pending.extend_from_slice(&chunk[..n]);
                Ok(())
            }
            Err(err) => Err(self.io_failure(&err, false)),
        }
    }

    /// A reset or failed socket, in words, with what certcheck was doing.
    fn io_failure(&self, err: &io::Error, sending: bool) -> ConnectError {
        let what = match err.kind() {
            io::ErrorKind::ConnectionReset => "it reset the connection".to_string(),
            io::ErrorKind::BrokenPipe => "it closed the connection".to_string(),
            _ => format!("the connection failed ({err})"),
        };
        if sending {
            self.fail(format!("{what} before certcheck could send its request"))
        } else {
            self.fail(format!(
                "{what} while certcheck was waiting for {}",
                self.waiting_for
            ))
        }
    }

    /// The next line, without its line ending; at most [`MAX_LINE`] bytes.
    pub(super) async fn line(&mut self) -> Result<String, ConnectError> {
        loop {
            if let Some(end) = self.pending.iter().position(|b| *b == b'\n') {
                let mut line: Vec<u8> = self.pending.drain(..=end).collect();
                line.pop();
                if line.last() == Some(&b'\r') {
                    line.pop();
                }
                return Ok(String::from_utf8_lossy(&line).into_owned());
            }
            if self.speaks_tls_already() {
                return Err(self.not_this_protocol(&self.pending.clone()));
            }
            if self.pending.len() > MAX_LINE {
                return Err(self.not_this_protocol(&self.pending.clone()));
            }
            self.fill().await?;
        }
    }

    /// Exactly `n` bytes.
    pub(super) async fn exact(&mut self, n: usize) -> Result<Vec<u8>, ConnectError> {
        while self.pending.len() < n {
            self.fill().await?;
        }
        Ok(self.pending.drain(..n).collect())
    }

    /// Reads once more and takes everything that has arrived; for protocols without lines.
    pub(super) async fn more(&mut self) -> Result<Vec<u8>, ConnectError> {
        self.fill().await?;
        Ok(self.take_pending())
    }

    /// Whether bytes have arrived that no step has consumed yet.
    pub(super) fn has_pending(&self) -> bool {
        !self.pending.is_empty()
    }

    /// Takes every byte that has arrived and not been consumed, without reading.
    pub(super) fn take_pending(&mut self) -> Vec<u8> {
        std::mem::take(&mut self.pending)
    }

    /// The stream, once the server waits for the ClientHello. Bytes it sent after agreeing to
    /// start TLS would be read as TLS, or be a plaintext injection (CVE-2011-0411 in Postfix,
    /// CVE-2021-23222 in libpq): such a server is refused.
    fn finish(self) -> Result<TcpStream, ConnectError> {
        if !self.pending.is_empty() {
            return Err(self.fail(format!(
                "it sent {} after agreeing to start TLS, before the TLS handshake (a plaintext injection, or a server that does not wait)",
                quote_bytes(&self.pending)
            )));
        }
        Ok(self.stream)
    }
}

/// A reply of a numeric line protocol (SMTP, FTP): its code and its lines' text.
#[derive(Debug)]
pub(super) struct NumericReply {
    /// The three-digit code.
    pub code: u16,
    /// Each line as received (code included).
    pub lines: Vec<String>,
}

impl NumericReply {
    /// The reply as the server wrote it, lines joined with ` / `, for quoting.
    pub fn quoted(&self) -> String {
        quote_text(&self.lines.join(" / "))
    }

    /// The text of each line after its code and separator.
    pub fn texts(&self) -> impl Iterator<Item = &str> {
        self.lines
            .iter()
            .map(|line| line.get(4..).unwrap_or("").trim())
    }
}

/// Reads one reply of the `DDD-text` ... `DDD text` form that SMTP (RFC 5321 section 4.2) and
/// FTP (RFC 959 section 4.2) share; in FTP the lines between the first and the last need not
/// begin with the code.
pub(super) async fn numeric_reply(talk: &mut Talk<'_>) -> Result<NumericReply, ConnectError> {
    let first = talk.line().await?;
    let Some(code) = reply_code(&first) else {
        return Err(talk.not_this_protocol(first.as_bytes()));
    };
    let mut lines = vec![first.clone()];
    let mut last = first;
    while last.as_bytes().get(3) == Some(&b'-') {
        if lines.len() > 200 {
            return Err(talk.fail(format!(
                "its reply {} has more than 200 lines",
                quote_text(&lines[0])
            )));
        }
        let line = talk.line().await?;
        let ends = reply_code(&line) == Some(code) && line.as_bytes().get(3) != Some(&b'-');
        lines.push(line.clone());
        last = line;
        if ends {
            break;
        }
    }
    Ok(NumericReply { code, lines })
}

/// The code of a `DDD`, `DDD text` or `DDD-text` line.
fn reply_code(line: &str) -> Option<u16> {
    let bytes = line.as_bytes();
    let digits = bytes.get(..3)?;
    if !digits.iter().all(u8::is_ascii_digit) {
        return None;
    }
    match bytes.get(3) {
        None | Some(b' ') | Some(b'-') => line.get(..3)?.parse().ok(),
        _ => None,
    }
}

/// Text from the server in single quotes, control characters escaped, at most 200 characters.
pub(super) fn quote_text(text: &str) -> String {
    let mut out = String::new();
    for (count, c) in text.chars().enumerate() {
        if count == 200 {
            out.push_str("...");
            break;
        }
        if c.is_control() {
            out.extend(c.escape_default());
        } else {
            out.push(c);
        }
    }
    format!("'{out}'")
}

/// Bytes from the server: quoted as text when they mostly are, else their first bytes in hex.
pub(super) fn quote_bytes(bytes: &[u8]) -> String {
    let printable = bytes
        .iter()
        .filter(|b| b.is_ascii_graphic() || b.is_ascii_whitespace())
        .count();
    if !bytes.is_empty() && printable * 10 >= bytes.len() * 9 {
        let text = String::from_utf8_lossy(bytes);
        return quote_text(text.trim_end());
    }
    let shown: Vec<String> = bytes.iter().take(16).map(|b| format!("{b:02x}")).collect();
    let more = if bytes.len() > 16 { " ..." } else { "" };
    format!(
        "{} byte{} ({}{more})",
        bytes.len(),
        if bytes.len() == 1 { "" } else { "s" },
        shown.join(" ")
    )
}

#[cfg(test)]
mod tests;
