//! The prelude: what is said on the socket after TCP connects and before TLS begins.
//!
//! Today nothing is: certcheck speaks TLS from the first byte. This is the seam where a
//! plaintext exchange that must come first would go — a STARTTLS upgrade (SMTP, IMAP, ...) or
//! the `CONNECT` request to an HTTP proxy that [`dial`](super::dial) connected to instead of the
//! server. Such an exchange would set its own phase text so that a timeout says what it was
//! waiting for, and would read from the raw stream, not through
//! [`Recording`](super::Recording), so that the bytes described after a failed handshake stay
//! the server's TLS answer.

use tokio::net::TcpStream;

use super::{ConnectError, ConnectRequest};

/// Prepares `stream` for the TLS handshake; returns it as it came, since no protocol needs
/// anything said first yet.
pub(super) async fn prelude(
    stream: TcpStream,
    _request: &ConnectRequest,
) -> Result<TcpStream, ConnectError> {
    Ok(stream)
}

#[cfg(test)]
mod tests {
    use std::net::{IpAddr, Ipv4Addr};
    use std::time::Duration;

    use tokio::io::AsyncReadExt;

    use super::*;
    use crate::target::Host;

    #[tokio::test]
    async fn hands_the_stream_back_without_a_byte_sent() {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let address = listener.local_addr().unwrap();
        let stream = TcpStream::connect(address).await.unwrap();
        let host = Host::Ip(IpAddr::V4(Ipv4Addr::LOCALHOST));
        let request = ConnectRequest {
            connect_host: host.clone(),
            connect_port: address.port(),
            server_name: host,
            timeout: Duration::from_secs(5),
            proxy: None,
            family: None,
        };
        let stream = prelude(stream, &request).await.unwrap();
        assert_eq!(stream.peer_addr().unwrap(), address);
        let (mut accepted, _) = listener.accept().await.unwrap();
        drop(stream);
        let mut sent = Vec::new();
        accepted.read_to_end(&mut sent).await.unwrap();
        assert!(sent.is_empty());
    }
}
