//! Dial: resolve the connect host and open the TCP connection, trying each address in turn.
//!
//! This is the one place a socket to the server is opened. A proxy route (HTTP CONNECT) would
//! replace the direct connect here with a connection to the proxy; what the proxy must be told
//! before TLS belongs to the [`prelude`](super::prelude).

use std::io;
use std::net::SocketAddr;
use std::sync::Mutex;

use tokio::net::TcpStream;

use super::{ConnectError, ConnectRequest, set_phase};
use crate::target::Host;

/// Resolves `request.connect_host` and connects to the first address that accepts, noting each
/// attempt in `phase` so that a timeout says which address it was waiting for.
///
/// Returns the connected stream and the address that answered; when every address fails, the
/// error of the last one.
pub(super) async fn dial(
    request: &ConnectRequest,
    phase: &Mutex<String>,
) -> Result<(TcpStream, SocketAddr), ConnectError> {
    let addresses = resolve(&request.connect_host, request.connect_port).await?;
    let mut last_error = None;
    let mut stream = None;
    for address in &addresses {
        set_phase(phase, format!("connecting to {address}"));
        match TcpStream::connect(address).await {
            Ok(s) => {
                stream = Some((s, *address));
                break;
            }
            Err(err) => last_error = Some(tcp_error(&err, *address)),
        }
    }
    let Some((stream, address)) = stream else {
        return Err(last_error.unwrap_or_else(|| ConnectError::Dns {
            host: request.connect_host.to_string(),
            reason: "the name has no addresses".into(),
        }));
    };
    let _ = stream.set_nodelay(true);
    Ok((stream, address))
}

async fn resolve(host: &Host, port: u16) -> Result<Vec<SocketAddr>, ConnectError> {
    match host {
        Host::Ip(ip) => Ok(vec![SocketAddr::new(*ip, port)]),
        Host::Dns(name) => {
            let addresses = lookup(name, port).await.map_err(|err| ConnectError::Dns {
                host: name.clone(),
                reason: err.to_string(),
            })?;
            if addresses.is_empty() {
                return Err(ConnectError::Dns {
                    host: name.clone(),
                    reason: "the name has no addresses".into(),
                });
            }
            Ok(addresses)
        }
    }
}

/// Resolves on a detached thread of its own rather than tokio's blocking pool: the system
/// resolver cannot be cancelled, and a runtime waits for its blocking pool when it shuts down,
/// so a resolver stuck on a dead name server would hold the process far beyond `--timeout`.
async fn lookup(name: &str, port: u16) -> io::Result<Vec<SocketAddr>> {
    use std::net::ToSocketAddrs;
    let (tx, rx) = tokio::sync::oneshot::channel();
    let query = (name.to_string(), port);
    let spawned = std::thread::Builder::new()
        .name("certcheck-resolver".into())
        .spawn(move || {
            let result = query
                .to_socket_addrs()
                .map(|found| found.collect::<Vec<_>>());
            let _ = tx.send(result);
        });
    match spawned {
        Ok(_) => rx
            .await
            .map_err(|_| io::Error::other("the resolver thread ended without an answer"))?,
        Err(_) => Ok(tokio::net::lookup_host((name, port)).await?.collect()),
    }
}

fn tcp_error(err: &io::Error, address: SocketAddr) -> ConnectError {
    match err.kind() {
        io::ErrorKind::ConnectionRefused => ConnectError::Refused {
            address: address.to_string(),
        },
        _ => ConnectError::Io(format!("could not connect to {address}: {err}")),
    }
}

#[cfg(test)]
mod tests {
    use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
    use std::time::Duration;

    use super::*;

    fn request(port: u16) -> ConnectRequest {
        let host = Host::Ip(IpAddr::V4(Ipv4Addr::LOCALHOST));
        ConnectRequest {
            connect_host: host.clone(),
            connect_port: port,
            server_name: host,
            starttls: None,
            timeout: Duration::from_secs(5),
        }
    }

    #[tokio::test]
    async fn an_ip_literal_resolves_to_itself_without_dns() {
        let ip = IpAddr::V6(Ipv6Addr::LOCALHOST);
        let found = resolve(&Host::Ip(ip), 8443).await;
        assert_eq!(found, Ok(vec![SocketAddr::new(ip, 8443)]));
    }

    #[tokio::test]
    async fn connects_to_a_listening_loopback_port_and_names_it() {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let phase = Mutex::new(String::new());
        let (stream, address) = dial(&request(port), &phase).await.unwrap();
        assert_eq!(address, SocketAddr::from((Ipv4Addr::LOCALHOST, port)));
        assert_eq!(stream.peer_addr().unwrap(), address);
        assert!(stream.nodelay().unwrap());
        assert_eq!(*phase.lock().unwrap(), format!("connecting to {address}"));
    }

    #[tokio::test]
    async fn a_closed_loopback_port_is_refused() {
        // Bind and drop to find a port nothing listens on.
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let phase = Mutex::new(String::new());
        let error = dial(&request(port), &phase).await.unwrap_err();
        assert_eq!(
            error,
            ConnectError::Refused {
                address: format!("127.0.0.1:{port}")
            }
        );
        assert_eq!(
            error.to_string(),
            format!("connection refused by 127.0.0.1:{port} (nothing is listening on that port)")
        );
    }

    #[test]
    fn tcp_errors_other_than_refused_keep_the_address_and_the_reason() {
        let address = SocketAddr::from((Ipv4Addr::new(192, 0, 2, 1), 443));
        let err = io::Error::new(io::ErrorKind::PermissionDenied, "not allowed");
        assert_eq!(
            tcp_error(&err, address),
            ConnectError::Io("could not connect to 192.0.2.1:443: not allowed".into())
        );
    }
}
