//! A rustls verifier that records what the server presented and lets the handshake go on.
//!
//! certcheck sends no application data, so accepting an invalid chain during the handshake is
//! harmless; what matters is seeing the whole chain, the version and the cipher suite, and then
//! replaying validation properly in the `trust` stage.

use std::sync::{Arc, Mutex};

use rustls::client::ResolvesClientCert;
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::CryptoProvider;
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::sign::CertifiedKey;
use rustls::{CertificateError, DigitallySignedStruct, SignatureScheme};

use crate::chain::signature::{SigCheck, verify_handshake_signature};
use crate::chain::x509::certificate_spki;

/// What the verifier saw during one handshake.
#[derive(Clone, Debug, Default)]
pub struct Captured {
    /// DER certificates in the order presented (leaf first).
    pub certificates: Vec<Vec<u8>>,
    /// The server name rustls verified against (SNI or IP).
    pub server_name: String,
    /// The stapled OCSP response, if any.
    pub ocsp_response: Option<Vec<u8>>,
    /// A note when the handshake signature could only be checked by the fallback, or not at all.
    pub signature_note: Option<String>,
    /// The server asked for a client certificate.
    pub client_auth_requested: bool,
    /// certcheck answered that request with the `--cert` certificate (it sends none without
    /// `--cert`, or when the server accepts none of the key's signature schemes).
    pub client_cert_sent: bool,
}

/// Records the presented chain and accepts it; verifies the handshake signature (with a raw-key
/// fallback) so that a server without the leaf's private key is still noticed.
#[derive(Debug)]
pub struct CapturingVerifier {
    provider: Arc<CryptoProvider>,
    captured: Mutex<Captured>,
    client_cert: Option<Arc<CertifiedKey>>,
}

impl CapturingVerifier {
    /// A verifier using `provider`'s signature algorithms.
    pub fn new(provider: Arc<CryptoProvider>) -> Self {
        CapturingVerifier {
            provider,
            captured: Mutex::new(Captured::default()),
            client_cert: None,
        }
    }

    /// Presents `client_cert` (`--cert`/`--key`) when the server asks for a certificate.
    pub fn with_client_cert(mut self, client_cert: Option<Arc<CertifiedKey>>) -> Self {
        self.client_cert = client_cert;
        self
    }

    /// What was captured so far.
    pub fn captured(&self) -> Captured {
        match self.captured.lock() {
            Ok(guard) => guard.clone(),
            Err(poisoned) => poisoned.into_inner().clone(),
        }
    }

    fn with_captured(&self, f: impl FnOnce(&mut Captured)) {
        match self.captured.lock() {
            Ok(mut guard) => f(&mut guard),
            Err(poisoned) => f(&mut poisoned.into_inner()),
        }
    }

    fn fallback(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
        rustls_error: rustls::Error,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        let Some(spki) = certificate_spki(cert.as_ref()) else {
            return Err(rustls_error);
        };
        match verify_handshake_signature(&spki, dss.scheme, message, dss.signature()) {
            SigCheck::Valid => {
                self.with_captured(|c| {
                    c.signature_note = Some(format!(
                        "handshake signature verified with the leaf's raw key ({rustls_error})"
                    ))
                });
                Ok(HandshakeSignatureValid::assertion())
            }
            SigCheck::Unsupported(what) => {
                self.with_captured(|c| {
                    c.signature_note = Some(format!(
                        "handshake signature not verified: {what} is not supported ({rustls_error})"
                    ))
                });
                Ok(HandshakeSignatureValid::assertion())
            }
            SigCheck::Invalid => Err(rustls::Error::InvalidCertificate(
                CertificateError::BadSignature,
            )),
        }
    }
}

impl ServerCertVerifier for CapturingVerifier {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp_response: &[u8],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        self.with_captured(|c| {
            c.certificates = std::iter::once(end_entity)
                .chain(intermediates)
                .map(|der| der.as_ref().to_vec())
                .collect();
            c.server_name = server_name.to_str().into_owned();
            c.ocsp_response = (!ocsp_response.is_empty()).then(|| ocsp_response.to_vec());
        });
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(
            message,
            cert,
            dss,
            &self.provider.signature_verification_algorithms,
        )
        .or_else(|err| self.fallback(message, cert, dss, err))
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(
            message,
            cert,
            dss,
            &self.provider.signature_verification_algorithms,
        )
        .or_else(|err| self.fallback(message, cert, dss, err))
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        let mut schemes = self
            .provider
            .signature_verification_algorithms
            .supported_schemes();
        // Offered so that old servers still complete the handshake and can be diagnosed.
        schemes.push(SignatureScheme::RSA_PKCS1_SHA1);
        schemes
    }
}

/// Offers the `--cert` certificate when there is one, and notes that the server asked, so that
/// a handshake the server then aborts can be explained.
impl ResolvesClientCert for CapturingVerifier {
    fn resolve(
        &self,
        _root_hint_subjects: &[&[u8]],
        sigschemes: &[SignatureScheme],
    ) -> Option<Arc<CertifiedKey>> {
        // rustls sends an empty certificate when the key can sign with none of the schemes the
        // server accepts, so that is "not sent" too.
        let sent = self
            .client_cert
            .as_ref()
            .filter(|cert| cert.key.choose_scheme(sigschemes).is_some());
        self.with_captured(|c| {
            c.client_auth_requested = true;
            c.client_cert_sent = sent.is_some();
        });
        sent.cloned()
    }

    fn has_certs(&self) -> bool {
        self.client_cert.is_some()
    }
}
