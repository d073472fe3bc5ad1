//! A TLS server on 127.0.0.1 that presents a given chain, for the demo and the tests.
//!
//! The chain is served as is (any order, any content), through a fixed certificate resolver, so
//! broken chains can be served exactly as a misconfigured server would.

use std::net::SocketAddr;
use std::sync::Arc;

use rustls::ServerConfig;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
use rustls::server::{ClientHello, ResolvesServerCert};
use rustls::sign::CertifiedKey;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// The whole answer to any request.
const HTTP_OK: &[u8] = b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\nConnection: close\r\n\r\n";
use tokio::net::TcpListener;
use tokio_rustls::TlsAcceptor;

#[derive(Debug)]
struct Fixed(Arc<CertifiedKey>);

impl ResolvesServerCert for Fixed {
    fn resolve(&self, _hello: ClientHello<'_>) -> Option<Arc<CertifiedKey>> {
        Some(self.0.clone())
    }
}

/// A running server; it stops when dropped.
pub struct TlsServer {
    /// Where it listens.
    pub addr: SocketAddr,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
}

impl Drop for TlsServer {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }
}

/// Why a server could not start.
#[derive(Debug, thiserror::Error)]
pub enum ServerError {
    /// The key could not be used.
    #[error("the private key cannot be used: {0}")]
    Key(rustls::Error),
    /// Binding or the runtime failed.
    #[error("starting the server: {0}")]
    Io(#[from] std::io::Error),
}

impl TlsServer {
    /// Serves `chain` (DER, in the order given) with the PKCS#8 `key_der` on `127.0.0.1:0`, in a
    /// thread of its own.
    pub fn start(chain: Vec<Vec<u8>>, key_der: Vec<u8>) -> Result<TlsServer, ServerError> {
        Self::start_on(
            "127.0.0.1:0".parse().map_err(std::io::Error::other)?,
            chain,
            key_der,
        )
    }

    /// As [`TlsServer::start`], stapling `ocsp` (a DER `OCSPResponse`, sent as is) to every
    /// handshake whose client asks for the certificate status.
    pub fn start_with_ocsp(
        chain: Vec<Vec<u8>>,
        key_der: Vec<u8>,
        ocsp: Vec<u8>,
    ) -> Result<TlsServer, ServerError> {
        Self::serve(
            "127.0.0.1:0".parse().map_err(std::io::Error::other)?,
            chain,
            key_der,
            Some(ocsp),
        )
    }

    /// As [`TlsServer::start`], on a chosen address (port 0 picks a free one).
    pub fn start_on(
        bind: SocketAddr,
        chain: Vec<Vec<u8>>,
        key_der: Vec<u8>,
    ) -> Result<TlsServer, ServerError> {
        Self::serve(bind, chain, key_der, None)
    }

    fn serve(
        bind: SocketAddr,
        chain: Vec<Vec<u8>>,
        key_der: Vec<u8>,
        ocsp: Option<Vec<u8>>,
    ) -> Result<TlsServer, ServerError> {
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let key = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(key_der));
        let signing = provider
            .key_provider
            .load_private_key(key)
            .map_err(ServerError::Key)?;
        let certs: Vec<CertificateDer<'static>> =
            chain.into_iter().map(CertificateDer::from).collect();
        let mut certified = CertifiedKey::new(certs, signing);
        certified.ocsp = ocsp;
        let certified = Arc::new(certified);
        let config = ServerConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .map_err(ServerError::Key)?
            .with_no_client_auth()
            .with_cert_resolver(Arc::new(Fixed(certified)));
        let acceptor = TlsAcceptor::from(Arc::new(config));

        let std_listener = std::net::TcpListener::bind(bind)?;
        std_listener.set_nonblocking(true)?;
        let addr = std_listener.local_addr()?;
        let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()?;
        std::thread::spawn(move || {
            runtime.block_on(async move {
                let Ok(listener) = TcpListener::from_std(std_listener) else {
                    return;
                };
                let serve = async {
                    loop {
                        let Ok((stream, _)) = listener.accept().await else {
                            continue;
                        };
                        let acceptor = acceptor.clone();
                        tokio::spawn(async move {
                            if let Ok(mut tls) = acceptor.accept(stream).await {
                                // certcheck sends nothing after the handshake; an HTTP client
                                // (curl in the benchmarks) gets an empty 200 and the close.
                                let mut buf = [0u8; 1024];
                                if matches!(tls.read(&mut buf).await, Ok(n) if n > 0) {
                                    let _ = tls.write_all(HTTP_OK).await;
                                    let _ = tls.shutdown().await;
                                }
                            }
                        });
                    }
                };
                tokio::select! {
                    _ = serve => {}
                    _ = stop_rx => {}
                }
            });
        });
        Ok(TlsServer {
            addr,
            stop: Some(stop_tx),
        })
    }
}
