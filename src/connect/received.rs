//! The first bytes a server sent, kept so that a failed handshake can be described in words
//! ("it answered 'HTTP/1.1 400 Bad Request'", "it chose TLS 1.0", "after 3 bytes").
//!
//! Only the server's bytes are looked at, only the first [`KEEP`] of them are kept, and nothing is
//! ever sent because of them.

use std::io;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};

/// How many of the server's first bytes are kept: enough for a TLS 1.3 ServerHello and its
/// supported_versions extension.
pub const KEEP: usize = 256;

/// What the server sent so far: its first bytes and how many in all.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Received {
    /// The first [`KEEP`] bytes.
    pub first: Vec<u8>,
    /// Every byte received.
    pub total: u64,
}

impl Received {
    /// Whether the answer began like a TLS record (content type 20–24, protocol major version 3).
    pub fn starts_like_tls(&self) -> bool {
        matches!(self.first.as_slice(), [20..=24, 3, ..])
    }

    /// The version a plaintext ServerHello in the first record chose (its legacy_version).
    pub fn server_hello_version(&self) -> Option<u16> {
        // Record header (type 22, version, length), then handshake type 2 (ServerHello) and a
        // 3-byte length, then the 2-byte version.
        match self.first.as_slice() {
            [22, 3, _, _, _, 2, _, _, _, major, minor, ..] => {
                Some(u16::from_be_bytes([*major, *minor]))
            }
            _ => None,
        }
    }

    /// The first line of the answer, when it is printable text (a banner or an HTTP status line).
    pub fn text_line(&self) -> Option<String> {
        let line = self.first.split(|b| *b == b'\n').next()?;
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        let printable = |b: &u8| b.is_ascii_graphic() || *b == b' ' || *b == b'\t';
        if line.len() < 3 || !line.iter().all(printable) {
            return None;
        }
        Some(String::from_utf8_lossy(line).into_owned())
    }

    /// "nothing received" or "N bytes received", for messages.
    pub fn amount(&self) -> String {
        match self.total {
            0 => "nothing received from the server".into(),
            1 => "1 byte received from the server".into(),
            n => format!("{n} bytes received from the server"),
        }
    }
}

/// The name of a TLS/SSL protocol version number.
pub fn version_name(version: u16) -> String {
    match version {
        0x0002 => "SSL 2.0".into(),
        0x0300 => "SSL 3.0".into(),
        0x0301 => "TLS 1.0".into(),
        0x0302 => "TLS 1.1".into(),
        0x0303 => "TLS 1.2".into(),
        0x0304 => "TLS 1.3".into(),
        other => format!("protocol version 0x{other:04x}"),
    }
}

/// A stream that notes what it reads into a shared [`Received`].
#[derive(Debug)]
pub struct Recording<S> {
    inner: S,
    received: Arc<Mutex<Received>>,
}

impl<S> Recording<S> {
    /// Wraps `inner`; reads are noted in `received`.
    pub fn new(inner: S, received: Arc<Mutex<Received>>) -> Self {
        Recording { inner, received }
    }

    /// The wrapped stream.
    pub fn get_ref(&self) -> &S {
        &self.inner
    }
}

impl<S: AsyncRead + Unpin> AsyncRead for Recording<S> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let before = buf.filled().len();
        let poll = Pin::new(&mut self.inner).poll_read(cx, buf);
        if let Poll::Ready(Ok(())) = &poll {
            let new = buf.filled().get(before..).unwrap_or_default();
            if !new.is_empty() {
                let mut received = match self.received.lock() {
                    Ok(guard) => guard,
                    Err(poisoned) => poisoned.into_inner(),
                };
                let room = KEEP.saturating_sub(received.first.len()).min(new.len());
                received.first.extend_from_slice(&new[..room]);
                received.total = received.total.saturating_add(new.len() as u64);
            }
        }
        poll
    }
}

impl<S: AsyncWrite + Unpin> AsyncWrite for Recording<S> {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.inner).poll_write(cx, buf)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.inner).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn received(bytes: &[u8]) -> Received {
        Received {
            first: bytes.to_vec(),
            total: bytes.len() as u64,
        }
    }

    #[test]
    fn describes_text_tls_and_server_hello_versions() {
        let http = received(b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n");
        assert_eq!(
            http.text_line().as_deref(),
            Some("HTTP/1.1 400 Bad Request")
        );
        assert!(!http.starts_like_tls());
        let hello = received(&[22, 3, 1, 0, 42, 2, 0, 0, 38, 3, 1, 0xaa]);
        assert!(hello.starts_like_tls());
        assert_eq!(hello.text_line(), None);
        assert_eq!(hello.server_hello_version(), Some(0x0301));
        assert_eq!(version_name(0x0302), "TLS 1.1");
        assert_eq!(
            received(&[21, 3, 3, 0, 2, 2, 40]).server_hello_version(),
            None
        );
        assert_eq!(received(b"").amount(), "nothing received from the server");
    }
}
