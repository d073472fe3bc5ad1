//! Dial: resolve and open the TCP connection, or connect to the proxy and ask it for a tunnel.
//!
//! This is the one place a socket is opened. Directly, the connect host is resolved (restricted
//! to `-4`/`-6`) and its addresses are tried as RFC 8305 ("Happy Eyeballs") tries them: the
//! families interleaved, a new attempt every [`STAGGER`] or as soon as one fails, the first to
//! connect wins, all within `--timeout`. Through a proxy, the proxy's host is dialled that way
//! and the proxy resolves the target (as curl, Python and Go leave it to the proxy); the
//! `CONNECT` exchange itself is in [`proxy`](super::proxy).

use std::io;
use std::net::SocketAddr;
use std::sync::Mutex;
use std::time::Duration;

use futures_util::StreamExt;
use futures_util::stream::FuturesUnordered;
use tokio::net::TcpStream;

use super::{ConnectError, ConnectRequest, Peer, set_phase};
use crate::route::{Family, authority};
use crate::target::Host;

/// How long an attempt has before the next address is tried beside it (RFC 8305 §5 suggests
/// 250 ms).
pub const STAGGER: Duration = Duration::from_millis(250);

/// How the phase text begins while the proxy is resolved, dialled or asked for the tunnel: a
/// timeout then is a proxy failure.
pub(super) const PROXY_PHASES: [&str; 3] = [
    "resolving the proxy",
    "connecting to the proxy",
    super::proxy::PROXY_PHASE,
];

/// Connects to the server, or through `request.proxy` to it, noting each step in `phase` so
/// that a timeout says what it was waiting for.
///
/// Returns the connected stream (a tunnel through the proxy, when there is one) and who
/// answered; when every address fails, the error of the last one.
pub(super) async fn dial(
    request: &ConnectRequest,
    phase: &Mutex<String>,
) -> Result<(TcpStream, Peer), ConnectError> {
    let Some(proxy) = &request.proxy else {
        let (stream, address) = connect_any(
            &request.connect_host,
            request.connect_port,
            request.family,
            phase,
            "",
        )
        .await?;
        return Ok((stream, Peer::direct(address)));
    };
    set_phase(phase, format!("resolving the proxy {proxy}"));
    let (stream, address) = connect_any(
        proxy.host(),
        proxy.port(),
        request.family,
        phase,
        "the proxy ",
    )
    .await
    .map_err(|e| ConnectError::Proxy(format!("proxy {proxy}: {e}")))?;
    let target = authority(&request.connect_host, request.connect_port);
    let stream = super::proxy::tunnel(stream, proxy, &target, phase).await?;
    Ok((
        stream,
        Peer {
            address,
            tunnel: Some((target, proxy.to_string())),
        },
    ))
}

/// Resolves `host` and connects to `port` on it, Happy Eyeballs style, for a fetch (an AIA
/// intermediate, directly or to the proxy); `what` goes in the phase text.
pub(super) async fn open(
    host: &Host,
    port: u16,
    family: Option<Family>,
    phase: &Mutex<String>,
    what: &str,
) -> Result<(TcpStream, SocketAddr), ConnectError> {
    connect_any(host, port, family, phase, what).await
}

/// Resolves `host` and connects to the first of its addresses that accepts, Happy Eyeballs
/// style; `what` ("" or "the proxy ") goes in the phase text.
async fn connect_any(
    host: &Host,
    port: u16,
    family: Option<Family>,
    phase: &Mutex<String>,
    what: &str,
) -> Result<(TcpStream, SocketAddr), ConnectError> {
    let addresses = interleave(resolve(host, port, family).await?);
    connect_first(addresses, phase, what)
        .await
        .map_err(|error| {
            error.unwrap_or_else(|| ConnectError::Dns {
                host: host.to_string(),
                reason: "the name has no addresses".into(),
            })
        })
}

/// Tries `addresses` in order, a new attempt every [`STAGGER`] or as soon as one fails; the
/// first to connect wins. `Err` is the last failure (`None` for no addresses at all).
async fn connect_first(
    addresses: Vec<SocketAddr>,
    phase: &Mutex<String>,
    what: &str,
) -> Result<(TcpStream, SocketAddr), Option<ConnectError>> {
    let total = addresses.len();
    let mut waiting = addresses.into_iter();
    let mut attempts = FuturesUnordered::new();
    let mut started = 0usize;
    let mut last_error = None;
    let mut start = |attempts: &mut FuturesUnordered<_>, address: SocketAddr| {
        started += 1;
        let tried = if total > 1 {
            format!(" (address {started} of {total})")
        } else {
            String::new()
        };
        set_phase(phase, format!("connecting to {what}{address}{tried}"));
        attempts.push(async move { (address, TcpStream::connect(address).await) });
    };
    loop {
        if attempts.is_empty() {
            match waiting.next() {
                Some(address) => start(&mut attempts, address),
                None => break,
            }
        }
        let more = waiting.len() > 0;
        tokio::select! {
            Some((address, result)) = attempts.next() => match result {
                Ok(stream) => {
                    let _ = stream.set_nodelay(true);
                    return Ok((stream, address));
                }
                Err(err) => {
                    last_error = Some(tcp_error(&err, address));
                    if let Some(next) = waiting.next() {
                        start(&mut attempts, next);
                    }
                }
            },
            _ = tokio::time::sleep(STAGGER), if more => {
                if let Some(next) = waiting.next() {
                    start(&mut attempts, next);
                }
            }
        }
    }
    Err(last_error)
}

/// The addresses with the families alternating, the first family first (RFC 8305 §4).
fn interleave(addresses: Vec<SocketAddr>) -> Vec<SocketAddr> {
    let Some(first) = addresses.first().map(SocketAddr::is_ipv6) else {
        return addresses;
    };
    let (mut same, mut other): (Vec<_>, Vec<_>) =
        addresses.into_iter().partition(|a| a.is_ipv6() == first);
    same.reverse();
    other.reverse();
    let mut out = Vec::with_capacity(same.len() + other.len());
    while let Some(a) = same.pop() {
        out.push(a);
        if let Some(b) = other.pop() {
            out.push(b);
        }
    }
    out.extend(other.into_iter().rev());
    out
}

async fn resolve(
    host: &Host,
    port: u16,
    family: Option<Family>,
) -> Result<Vec<SocketAddr>, ConnectError> {
    let addresses = match host {
        Host::Ip(ip) => {
            if let Some(family) = family.filter(|f| !f.admits(*ip)) {
                return Err(ConnectError::Dns {
                    host: ip.to_string(),
                    reason: format!(
                        "it is not an {} address, and {} allows only those",
                        family.name(),
                        family.flag()
                    ),
                });
            }
            return Ok(vec![SocketAddr::new(*ip, port)]);
        }
        Host::Dns(name) => lookup(name, port).await.map_err(|err| ConnectError::Dns {
            host: name.clone(),
            reason: err.to_string(),
        })?,
    };
    let found = addresses.len();
    let addresses: Vec<SocketAddr> = addresses
        .into_iter()
        .filter(|a| family.is_none_or(|f| f.admits(a.ip())))
        .collect();
    if addresses.is_empty() {
        return Err(ConnectError::Dns {
            host: host.to_string(),
            reason: match family {
                Some(family) if found > 0 => format!(
                    "the name has no {} address ({} allows only those; it has {found} of the other family)",
                    family.name(),
                    family.flag()
                ),
                _ => "the name has no addresses".into(),
            },
        });
    }
    Ok(addresses)
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
            proxy: None,
            family: None,
            client_cert: None,
        }
    }

    #[tokio::test]
    async fn an_ip_literal_resolves_to_itself_without_dns() {
        let ip = IpAddr::V6(Ipv6Addr::LOCALHOST);
        let found = resolve(&Host::Ip(ip), 8443, None).await;
        assert_eq!(found, Ok(vec![SocketAddr::new(ip, 8443)]));
        let refused = resolve(&Host::Ip(ip), 8443, Some(Family::V4)).await;
        assert_eq!(
            refused.unwrap_err().to_string(),
            "could not resolve host name '::1': it is not an IPv4 address, and -4 allows only those"
        );
    }

    #[tokio::test]
    async fn an_address_that_does_not_answer_does_not_hold_up_the_next() {
        // A listener with a full backlog drops further SYNs, so a connect to it hangs; the
        // second address is tried after STAGGER and wins.
        let socket = tokio::net::TcpSocket::new_v4().unwrap();
        socket.bind("127.0.0.1:0".parse().unwrap()).unwrap();
        let full = socket.listen(0).unwrap();
        let silent = full.local_addr().unwrap();
        let mut fillers = Vec::new();
        for _ in 0..4 {
            if let Ok(Ok(s)) =
                tokio::time::timeout(Duration::from_millis(100), TcpStream::connect(silent)).await
            {
                fillers.push(s);
            }
        }
        let open = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let answering = open.local_addr().unwrap();
        let phase = Mutex::new(String::new());
        let started = std::time::Instant::now();
        let (_, address) = connect_first(vec![silent, answering], &phase, "")
            .await
            .unwrap();
        assert_eq!(address, answering);
        assert!(
            started.elapsed() < Duration::from_secs(2),
            "{:?}",
            started.elapsed()
        );
        assert_eq!(
            *phase.lock().unwrap(),
            format!("connecting to {answering} (address 2 of 2)")
        );
    }

    #[tokio::test]
    async fn every_address_refused_gives_the_last_refusal() {
        let closed = |_| {
            std::net::TcpListener::bind("127.0.0.1:0")
                .unwrap()
                .local_addr()
                .unwrap()
        };
        let addresses: Vec<SocketAddr> = (0..2).map(closed).collect();
        let phase = Mutex::new(String::new());
        let error = connect_first(addresses.clone(), &phase, "")
            .await
            .unwrap_err();
        assert_eq!(
            error,
            Some(ConnectError::Refused {
                address: addresses[1].to_string()
            })
        );
    }

    #[test]
    fn families_alternate_first_family_first() {
        let a: Vec<SocketAddr> = ["[::1]:1", "[::2]:1", "[::3]:1", "10.0.0.1:1", "10.0.0.2:1"]
            .iter()
            .map(|a| a.parse().unwrap())
            .collect();
        let order: Vec<String> = interleave(a).iter().map(|a| a.to_string()).collect();
        assert_eq!(
            order,
            ["[::1]:1", "10.0.0.1:1", "[::2]:1", "10.0.0.2:1", "[::3]:1"]
        );
    }

    #[tokio::test]
    async fn connects_to_a_listening_loopback_port_and_names_it() {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let phase = Mutex::new(String::new());
        let (stream, peer) = dial(&request(port), &phase).await.unwrap();
        let address = peer.address;
        assert_eq!(
            peer,
            Peer::direct(SocketAddr::from((Ipv4Addr::LOCALHOST, port)))
        );
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
