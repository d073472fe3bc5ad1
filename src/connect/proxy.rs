//! The HTTP `CONNECT` exchange with a proxy (RFC 9110 §9.3.6): ask for a tunnel to the target,
//! read the proxy's answer, and hand the stream back ready for the ClientHello.
//!
//! The answer's head is read a byte at a time, so that not one byte of what follows it (the
//! server's TLS answer, through the tunnel) is consumed here; it is parsed with `httparse` and
//! bounded to [`MAX_HEAD`] bytes. Credentials go in a `Proxy-Authorization: Basic` header and
//! appear in no message.

use std::sync::Mutex;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use super::{ConnectError, set_phase};
use crate::route::ProxyUrl;

/// How the phase text begins while certcheck waits for the proxy; a timeout then is a proxy
/// failure.
pub(super) const PROXY_PHASE: &str = "waiting for the proxy";

/// The most bytes of an answer's head read before giving up on the proxy.
pub const MAX_HEAD: usize = 16 * 1024;

/// Asks `proxy`, connected on `stream`, for a tunnel to `target` (`host:port`) and returns the
/// stream once it answers 2xx.
pub(super) async fn tunnel(
    mut stream: TcpStream,
    proxy: &ProxyUrl,
    target: &str,
    phase: &Mutex<String>,
) -> Result<TcpStream, ConnectError> {
    let mut request = format!(
        "CONNECT {target} HTTP/1.1\r\nHost: {target}\r\nUser-Agent: certcheck/{}\r\n",
        env!("CARGO_PKG_VERSION")
    );
    if let Some(authorization) = proxy.basic_authorization() {
        request.push_str(&format!("Proxy-Authorization: {authorization}\r\n"));
    }
    request.push_str("\r\n");
    set_phase(
        phase,
        format!("{PROXY_PHASE} {proxy} to answer CONNECT {target}"),
    );
    let failed = |detail: String| ConnectError::Proxy(format!("proxy {proxy}: {detail}"));
    stream
        .write_all(request.as_bytes())
        .await
        .map_err(|e| failed(format!("could not send CONNECT {target}: {e}")))?;
    let mut head = Vec::with_capacity(256);
    let mut byte = [0u8; 1];
    while !head.ends_with(b"\r\n\r\n") {
        if head.len() >= MAX_HEAD {
            return Err(failed(format!(
                "its answer to CONNECT {target} has no end of headers within {MAX_HEAD} bytes ('{}')",
                first_line(&head)
            )));
        }
        match stream.read(&mut byte).await {
            Ok(0) => {
                return Err(failed(if head.is_empty() {
                    format!("it closed the connection without answering CONNECT {target}")
                } else {
                    format!(
                        "it closed the connection in the middle of its answer to CONNECT {target} ({} bytes, '{}')",
                        head.len(),
                        first_line(&head)
                    )
                }));
            }
            Ok(_) => head.push(byte[0]),
            Err(e) => {
                return Err(failed(format!(
                    "reading its answer to CONNECT {target} failed: {e}"
                )));
            }
        }
        if head.len() == 8 && !head.starts_with(b"HTTP/") {
            return Err(failed(format!(
                "it answered CONNECT {target} with something that is not HTTP ('{}'); is this a proxy port?",
                first_line(&head)
            )));
        }
    }
    let mut headers = [httparse::EMPTY_HEADER; 64];
    let mut response = httparse::Response::new(&mut headers);
    let code = match response.parse(&head) {
        Ok(httparse::Status::Complete(_)) => response.code.unwrap_or(0),
        Ok(httparse::Status::Partial) | Err(_) => {
            return Err(failed(format!(
                "its answer to CONNECT {target} is not valid HTTP ('{}')",
                first_line(&head)
            )));
        }
    };
    if (200..300).contains(&code) {
        return Ok(stream);
    }
    let status = first_line(&head);
    let why = match code {
        // tinyproxy answers 401 to wrong Basic credentials.
        401 | 407 => {
            let schemes: Vec<String> = response
                .headers
                .iter()
                .filter(|h| h.name.eq_ignore_ascii_case("proxy-authenticate"))
                .map(|h| String::from_utf8_lossy(h.value).trim().to_string())
                .collect();
            let asked = schemes
                .iter()
                .filter_map(|s| s.split_whitespace().next())
                .collect::<Vec<_>>();
            let basic = asked.iter().any(|s| s.eq_ignore_ascii_case("basic"));
            if !asked.is_empty() && !basic {
                format!(
                    "it asks for {} authentication, which certcheck does not support (only Basic credentials in the proxy URL)",
                    asked.join(", ")
                )
            } else if proxy.has_credentials() {
                "it refused the credentials in the proxy URL".into()
            } else {
                "it asks for credentials: put them in the proxy URL, http://user:password@host:port (Basic)".into()
            }
        }
        403 => format!("its policy does not allow a tunnel to {target}"),
        500 | 502 | 503 | 504 => format!(
            "it could not reach {target} (this answer comes from the proxy, not from the server)"
        ),
        _ => format!("it did not open a tunnel to {target}"),
    };
    Err(failed(format!(
        "it refused CONNECT {target} with '{status}': {why}"
    )))
}

/// The first line of an answer, printable and at most 120 characters.
fn first_line(bytes: &[u8]) -> String {
    let line = bytes.split(|b| *b == b'\n').next().unwrap_or_default();
    let line = line.strip_suffix(b"\r").unwrap_or(line);
    String::from_utf8_lossy(line)
        .chars()
        .map(|c| {
            if c.is_ascii_graphic() || c == ' ' {
                c
            } else {
                '.'
            }
        })
        .take(120)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A one-shot proxy on 127.0.0.1 that reads the request head, answers `answer` and returns
    /// the request it read.
    async fn responder(answer: &'static [u8]) -> (u16, tokio::task::JoinHandle<String>) {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let task = tokio::spawn(async move {
            let (mut socket, _) = listener.accept().await.unwrap();
            let mut request = Vec::new();
            let mut byte = [0u8; 1];
            while !request.ends_with(b"\r\n\r\n") {
                if socket.read(&mut byte).await.unwrap() == 0 {
                    break;
                }
                request.push(byte[0]);
            }
            socket.write_all(answer).await.unwrap();
            String::from_utf8(request).unwrap()
        });
        (port, task)
    }

    async fn run(answer: &'static [u8], proxy: &str) -> (Result<TcpStream, ConnectError>, String) {
        let (port, task) = responder(answer).await;
        let stream = TcpStream::connect(("127.0.0.1", port)).await.unwrap();
        let proxy = ProxyUrl::parse(&format!("http://{proxy}127.0.0.1:{port}")).unwrap();
        let phase = Mutex::new(String::new());
        let result = tunnel(stream, &proxy, "a.test:443", &phase).await;
        (result, task.await.unwrap())
    }

    #[tokio::test]
    async fn sends_connect_with_basic_credentials_and_keeps_what_follows() {
        let (result, request) = run(
            b"HTTP/1.1 200 Connection established\r\n\r\n\x16\x03\x03",
            "alice:secret@",
        )
        .await;
        let mut stream = result.unwrap();
        assert!(request.starts_with("CONNECT a.test:443 HTTP/1.1\r\nHost: a.test:443\r\n"));
        // base64("alice:secret")
        assert!(request.contains("\r\nProxy-Authorization: Basic YWxpY2U6c2VjcmV0\r\n"));
        let mut rest = [0u8; 3];
        stream.read_exact(&mut rest).await.unwrap();
        assert_eq!(rest, [0x16, 3, 3]);
    }

    #[tokio::test]
    async fn refusals_quote_the_status_line_and_say_why() {
        let (result, request) = run(
            b"HTTP/1.1 407 Proxy Authentication Required\r\nProxy-Authenticate: Basic realm=\"corp\"\r\n\r\n",
            "",
        )
        .await;
        assert!(!request.contains("Proxy-Authorization"));
        let message = result.unwrap_err().to_string();
        assert!(
            message.contains(
                "refused CONNECT a.test:443 with 'HTTP/1.1 407 Proxy Authentication Required': it asks for credentials"
            ),
            "{message}"
        );
        assert!(!message.contains("secret"));
        let (result, _) = run(
            b"HTTP/1.1 407 Proxy Authentication Required\r\nProxy-Authenticate: NTLM\r\nProxy-Authenticate: Negotiate\r\n\r\n",
            "u:secret@",
        )
        .await;
        let message = result.unwrap_err().to_string();
        assert!(message.ends_with("it asks for NTLM, Negotiate authentication, which certcheck does not support (only Basic credentials in the proxy URL)"), "{message}");
        assert!(!message.contains("secret"));
        let (result, _) = run(b"HTTP/1.0 403 Forbidden\r\n\r\n", "").await;
        assert!(result.unwrap_err().to_string().ends_with(
            "with 'HTTP/1.0 403 Forbidden': its policy does not allow a tunnel to a.test:443"
        ));
        let (result, _) = run(b"HTTP/1.1 502 Bad Gateway\r\n\r\n", "").await;
        assert_eq!(result.unwrap_err().code(), "proxy");
    }

    #[tokio::test]
    async fn an_answer_without_an_end_of_headers_is_cut_off_at_the_bound() {
        let endless = format!("HTTP/1.1 200 OK\r\n{}", "X-Padding: y\r\n".repeat(2000));
        let (result, _) = run(endless.into_bytes().leak(), "").await;
        let message = result.unwrap_err().to_string();
        assert!(
            message.ends_with(&format!(
                "its answer to CONNECT a.test:443 has no end of headers within {MAX_HEAD} bytes ('HTTP/1.1 200 OK')"
            )),
            "{message}"
        );
    }

    #[tokio::test]
    async fn a_proxy_that_closes_or_speaks_no_http_is_a_proxy_failure() {
        let (result, _) = run(b"", "").await;
        let error = result.unwrap_err();
        assert_eq!(error.code(), "proxy");
        assert!(
            error
                .to_string()
                .ends_with("it closed the connection without answering CONNECT a.test:443")
        );
        let (result, _) = run(b"SSH-2.0-OpenSSH_9.6\r\n", "").await;
        assert!(
            result
                .unwrap_err()
                .to_string()
                .contains("with something that is not HTTP ('SSH-2.0-')")
        );
        let (result, _) = run(b"HTTP/1.1 200 OK\r\nX: y", "").await;
        assert!(
            result
                .unwrap_err()
                .to_string()
                .contains("in the middle of its answer")
        );
    }
}
