//! `--cert FILE [--key FILE]`: the client certificate certcheck presents to a server that asks
//! for one, read and checked once, before any connection.
//!
//! The key stays inside rustls's signing key; nothing here prints or keeps key material.

use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use rustls::pki_types::pem::{self, PemObject, SectionKind};
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use rustls::sign::CertifiedKey;

/// The most a `--cert` or `--key` file may hold, as for every other file certcheck reads.
const MAX_FILE: u64 = 16 * 1024 * 1024;

/// A client certificate and its key, ready for the handshake.
#[derive(Clone)]
pub struct ClientIdentity {
    /// The certificate chain (leaf first) and the signing key.
    pub certified: Arc<CertifiedKey>,
    /// `--cert`, as the user gave it, for messages.
    pub cert_path: PathBuf,
}

impl fmt::Debug for ClientIdentity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ClientIdentity")
            .field("cert_path", &self.cert_path)
            .field("certificates", &self.certified.cert.len())
            .finish_non_exhaustive()
    }
}

/// Reads `--cert` (PEM certificates, leaf first, or one DER certificate) and the private key
/// from `--key`, or from the `--cert` file when `--key` is not given (as curl reads `--cert`).
/// Keys: PEM PKCS#8, PKCS#1 RSA or SEC1 EC, or DER PKCS#8, the formats `inspect --key` reads.
pub fn load(cert: &Path, key: Option<&Path>) -> Result<ClientIdentity, String> {
    let cert_bytes = read("--cert", cert)?;
    let chain =
        certificates(&cert_bytes).map_err(|why| format!("--cert {}: {why}", cert.display()))?;
    let key_der = match key {
        Some(path) => {
            let bytes = read("--key", path)?;
            private_key(&bytes).map_err(|why| format!("--key {}: {why}", path.display()))?
        }
        None => private_key(&cert_bytes).map_err(|why| {
            format!(
                "--cert {}: {why}; give the key with --key FILE",
                cert.display()
            )
        })?,
    };
    let shown_key = key.unwrap_or(cert).display();
    let signing = rustls::crypto::ring::default_provider()
        .key_provider
        .load_private_key(key_der)
        .map_err(|e| format!("--key {shown_key}: the key cannot be used for signing ({e})"))?;
    let certified = CertifiedKey::new(chain, signing);
    if let Err(rustls::Error::InconsistentKeys(rustls::InconsistentKeys::KeyMismatch)) =
        certified.keys_match()
    {
        return Err(format!(
            "--key {shown_key} is not the private key of the certificate in --cert {}",
            cert.display()
        ));
    }
    Ok(ClientIdentity {
        certified: Arc::new(certified),
        cert_path: cert.to_path_buf(),
    })
}

fn read(flag: &str, path: &Path) -> Result<Vec<u8>, String> {
    let shown = path.display();
    let meta = std::fs::metadata(path).map_err(|e| match e.kind() {
        std::io::ErrorKind::NotFound => format!("{flag} {shown}: no such file"),
        std::io::ErrorKind::PermissionDenied => format!("{flag} {shown}: permission denied"),
        _ => format!("{flag} {shown}: cannot be read ({e})"),
    })?;
    if meta.is_dir() {
        return Err(format!("{flag} {shown}: is a directory, not a file"));
    }
    if meta.len() > MAX_FILE {
        return Err(format!(
            "{flag} {shown}: {} bytes is more than the 16 MiB certcheck reads",
            meta.len()
        ));
    }
    std::fs::read(path).map_err(|e| format!("{flag} {shown}: cannot be read ({e})"))
}

fn is_pem(bytes: &[u8]) -> bool {
    bytes.windows(11).any(|w| w == b"-----BEGIN ")
}

/// Every CERTIFICATE block, in order; or the file as one DER certificate.
fn certificates(bytes: &[u8]) -> Result<Vec<CertificateDer<'static>>, String> {
    if !is_pem(bytes) {
        if crate::chain::x509::certificate_spki(bytes).is_some() {
            return Ok(vec![CertificateDer::from(bytes.to_vec())]);
        }
        return Err("neither PEM nor a DER certificate".into());
    }
    let chain = CertificateDer::pem_slice_iter(bytes)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| format!("the PEM data cannot be decoded ({e})"))?;
    if chain.is_empty() {
        return Err("holds no CERTIFICATE block".into());
    }
    if let Some(index) = chain
        .iter()
        .position(|der| crate::chain::x509::certificate_spki(der).is_none())
    {
        return Err(format!(
            "certificate {} is not a valid X.509 certificate",
            index + 1
        ));
    }
    Ok(chain)
}

/// The first private key in `bytes` (PEM), or `bytes` as DER PKCS#8.
fn private_key(bytes: &[u8]) -> Result<PrivateKeyDer<'static>, String> {
    if !is_pem(bytes) {
        return PrivateKeyDer::try_from(bytes.to_vec())
            .map_err(|_| "holds no private key (PEM or DER PKCS#8)".to_string());
    }
    let mut rest = bytes;
    loop {
        match pem::from_buf(&mut rest) {
            Ok(Some((SectionKind::PrivateKey, der))) => {
                return Ok(PrivateKeyDer::Pkcs8(der.into()));
            }
            Ok(Some((SectionKind::RsaPrivateKey, der))) => {
                return Ok(PrivateKeyDer::Pkcs1(der.into()));
            }
            Ok(Some((SectionKind::EcPrivateKey, der))) => {
                return Ok(PrivateKeyDer::Sec1(der.into()));
            }
            Ok(Some(_)) => {}
            Ok(None) => break,
            Err(e) => return Err(format!("the PEM data cannot be decoded ({e})")),
        }
    }
    if bytes
        .windows(32)
        .any(|w| w == b"-----BEGIN ENCRYPTED PRIVATE KEY")
    {
        return Err(
            "the key is encrypted; decrypt it first (openssl pkey -in KEY -out plain.pem)".into(),
        );
    }
    Err("holds no PRIVATE KEY block".into())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::demo::pki::{Authority, Leaf, Spec};

    const NOW: time::OffsetDateTime = time::macros::datetime!(2026-06-01 0:00 UTC);

    fn pem_of(tag: &str, der: &[u8]) -> String {
        ::pem::encode(&::pem::Pem::new(tag, der.to_vec()))
    }

    fn leaf(name: &str) -> Leaf {
        let root = Authority::root(&Spec::ca("Client Root", NOW)).expect("root");
        root.leaf(&Spec::leaf(&[name], NOW)).expect("leaf")
    }

    fn write(dir: &Path, name: &str, bytes: &[u8]) -> PathBuf {
        let path = dir.join(name);
        std::fs::write(&path, bytes).expect("write");
        path
    }

    #[test]
    fn reads_a_certificate_and_its_key_and_refuses_a_key_of_another() {
        let dir = tempfile::tempdir().expect("dir");
        let client = leaf("client.test");
        let other = leaf("other.test");
        let cert_pem = pem_of("CERTIFICATE", &client.der);
        let key_pem = pem_of("PRIVATE KEY", &client.key_der);
        let cert = write(dir.path(), "cert.pem", cert_pem.as_bytes());
        let key = write(dir.path(), "key.pem", key_pem.as_bytes());
        let wrong = write(dir.path(), "wrong.der", &other.key_der);
        let identity = load(&cert, Some(&key)).expect("loads");
        assert_eq!(identity.certified.cert.len(), 1);
        let err = load(&cert, Some(&wrong)).expect_err("mismatch");
        assert_eq!(
            err,
            format!(
                "--key {} is not the private key of the certificate in --cert {}",
                wrong.display(),
                cert.display()
            )
        );
        // Both in one file, as curl's --cert takes them; a DER certificate and DER key too.
        let both = write(
            dir.path(),
            "both.pem",
            format!("{cert_pem}{key_pem}").as_bytes(),
        );
        assert!(load(&both, None).is_ok());
        let der = write(dir.path(), "cert.der", &client.der);
        let der_key = write(dir.path(), "key.der", &client.key_der);
        assert!(load(&der, Some(&der_key)).is_ok());
        let err = load(&cert, None).expect_err("no key");
        assert!(
            err.ends_with("holds no PRIVATE KEY block; give the key with --key FILE"),
            "{err}"
        );
    }

    #[test]
    fn bad_files_are_named_with_what_is_wrong() {
        let dir = tempfile::tempdir().expect("dir");
        let missing = dir.path().join("missing.pem");
        let err = load(&missing, None).expect_err("missing");
        assert_eq!(err, format!("--cert {}: no such file", missing.display()));
        let junk = write(dir.path(), "junk.pem", b"not a certificate");
        let err = load(&junk, None).expect_err("junk");
        assert!(err.ends_with("neither PEM nor a DER certificate"), "{err}");
        let err = load(dir.path(), None).expect_err("dir");
        assert!(err.ends_with("is a directory, not a file"), "{err}");
        let client = leaf("client.test");
        let cert = write(
            dir.path(),
            "cert.pem",
            pem_of("CERTIFICATE", &client.der).as_bytes(),
        );
        let encrypted = write(
            dir.path(),
            "enc.pem",
            pem_of("ENCRYPTED PRIVATE KEY", &[0x30, 0]).as_bytes(),
        );
        let err = load(&cert, Some(&encrypted)).expect_err("encrypted");
        assert!(err.contains("the key is encrypted"), "{err}");
        let not_cert = write(
            dir.path(),
            "notcert.pem",
            pem_of("CERTIFICATE", b"junk").as_bytes(),
        );
        let err = load(&not_cert, None).expect_err("bad certificate");
        assert!(
            err.ends_with("certificate 1 is not a valid X.509 certificate"),
            "{err}"
        );
    }
}
