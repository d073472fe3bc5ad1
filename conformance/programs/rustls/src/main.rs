//! rustls's client as a program calls it, for the conformance suite.
//!
//!     rustls-conf-client HOST PORT CAFILE
//!
//! A `RootCertStore` of every certificate in CAFILE (PEM; the ones webpki cannot use as
//! anchors are skipped, as `add_parsable_certificates` does), the ring provider's safe defaults,
//! a connection to 127.0.0.1:PORT with server name HOST, and an HTTP GET. Prints one JSON line:
//! accepted, error (the `rustls::Error` or I/O error's Display).

use std::io::{Read, Write};
use std::net::TcpStream;
use std::sync::Arc;
use std::time::Duration;

use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, ServerName};

fn quote(s: &str) -> String {
    let mut out = String::from("\"");
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

fn run(host: &str, port: &str, cafile: &str) -> Result<(), String> {
    // CAFILE "-": webpki-roots, the default of uv, deno and reqwest with rustls.
    let roots = if cafile == "-" {
        rustls::RootCertStore {
            roots: webpki_roots::TLS_SERVER_ROOTS.to_vec(),
        }
    } else {
        let data = std::fs::read(cafile).map_err(|e| format!("{cafile}: {e}"))?;
        let certs: Vec<CertificateDer<'static>> = CertificateDer::pem_slice_iter(&data)
            .filter_map(Result::ok)
            .collect();
        let mut roots = rustls::RootCertStore::empty();
        roots.add_parsable_certificates(certs);
        roots
    };
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| e.to_string())?
        .with_root_certificates(roots)
        .with_no_client_auth();
    let name = ServerName::try_from(host.to_string()).map_err(|e| e.to_string())?;
    let conn = rustls::ClientConnection::new(Arc::new(config), name).map_err(|e| e.to_string())?;
    let sock = TcpStream::connect(("127.0.0.1", port.parse::<u16>().map_err(|e| e.to_string())?))
        .map_err(|e| e.to_string())?;
    sock.set_read_timeout(Some(Duration::from_secs(10))).ok();
    sock.set_write_timeout(Some(Duration::from_secs(10))).ok();
    let mut tls = rustls::StreamOwned::new(conn, sock);
    let request = format!("GET / HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n");
    tls.write_all(request.as_bytes()).map_err(|e| e.to_string())?;
    let mut body = Vec::new();
    match tls.read_to_end(&mut body) {
        Ok(_) => Ok(()),
        // The server may close without close_notify after answering; the handshake was done.
        Err(_) if !body.is_empty() => Ok(()),
        Err(e) => Err(e.to_string()),
    }
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if args.len() != 4 {
        eprintln!("usage: rustls-conf-client HOST PORT CAFILE");
        std::process::exit(2);
    }
    match run(&args[1], &args[2], &args[3]) {
        Ok(()) => println!("{{\"accepted\": true, \"error\": null}}"),
        Err(e) => println!("{{\"accepted\": false, \"error\": {}}}", quote(&e)),
    }
}
