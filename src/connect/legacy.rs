//! The chains rustls will not read: a server that speaks only TLS 1.0 or 1.1, or whose
//! Certificate message is larger than the 64 KiB rustls accepts.
//!
//! certcheck then makes a second connection over the same route (the proxy's tunnel, the
//! STARTTLS exchange), within what is left of the same `--timeout`, sends a ClientHello of its
//! own that offers TLS 1.2 at most (no `supported_versions`, so a TLS 1.3 server answers in TLS
//! 1.2, where the Certificate message is plaintext) and a broad list of legacy cipher suites,
//! reads the server's plaintext flight up to ServerHelloDone with `tls-parser` (ServerHello,
//! Certificate, CertificateStatus, CertificateRequest), and closes without sending anything
//! more. The handshake is never completed, so nothing is learnt that the server signs: the chain
//! is diagnosed as usual, and the report says that certcheck did not complete the handshake.
//!
//! Bounded: at most [`MAX_CERTIFICATE_MESSAGE`] for the Certificate message, at most
//! [`MAX_FLIGHT`] read in all; a server that sends more, or something else, is a connection
//! error that says so.

use std::sync::Mutex;

use ring::rand::{SecureRandom, SystemRandom};
use tls_parser::{
    TlsMessage, TlsMessageHandshake, TlsRecordType, parse_tls_message_handshake,
    parse_tls_raw_record,
};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};

use super::received::version_name;
use super::{ConnectError, Peer, set_phase};
use crate::target::Host;

/// The largest Certificate message (its body, in bytes) certcheck reads: 1 MiB, four times what
/// Go, the most generous client, accepts (256 KiB).
pub const MAX_CERTIFICATE_MESSAGE: usize = 1 << 20;

/// The most certcheck reads from the server in all on the second connection: 2 MiB.
pub const MAX_FLIGHT: usize = 2 << 20;

/// Why rustls could not read the chain, so that certcheck reads it itself.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Retry {
    /// The server speaks only a version older than TLS 1.2.
    Obsolete,
    /// Its Certificate message is over 64 KiB; `tls13`: it chose TLS 1.3 with rustls, so clients
    /// receive the TLS 1.3 form of the message.
    TooLarge {
        /// The server chose TLS 1.3 in its answer to rustls.
        tls13: bool,
    },
}

/// What the server's plaintext flight said.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Flight {
    /// The version its ServerHello chose (e.g. 0x0301 for TLS 1.0).
    pub version: u16,
    /// The cipher suite its ServerHello chose.
    pub cipher_suite: u16,
    /// The certificates of its Certificate message, in order (DER).
    pub certificates: Vec<Vec<u8>>,
    /// The length of the Certificate message's body as received, in bytes.
    pub certificate_message_bytes: usize,
    /// A stapled OCSP response (CertificateStatus), if any.
    pub ocsp_response: Option<Vec<u8>>,
    /// It sent a CertificateRequest.
    pub client_auth_requested: bool,
}

/// The phase text of the second connection, with how much arrived.
fn phase_text(address: &Peer, received: usize) -> String {
    format!(
        "reading the Certificate message from {address} over a second connection with certcheck's own TLS 1.2 ClientHello ({received} bytes received)"
    )
}

/// Sends certcheck's ClientHello over `stream` and reads the server's flight up to
/// ServerHelloDone (or until it closes after its Certificate message).
pub(super) async fn read_flight<S>(
    mut stream: S,
    address: &Peer,
    server_name: &Host,
    phase: &Mutex<String>,
) -> Result<Flight, ConnectError>
where
    S: AsyncRead + AsyncWrite + Unpin,
{
    set_phase(phase, phase_text(address, 0));
    let hello = client_hello(server_name)?;
    stream
        .write_all(&hello)
        .await
        .map_err(|e| ConnectError::Io(format!("sending the ClientHello to {address}: {e}")))?;
    let mut reader = Reader::default();
    let mut chunk = vec![0u8; 16 * 1024];
    loop {
        let n = stream
            .read(&mut chunk)
            .await
            .map_err(|e| ConnectError::Io(format!("reading from {address}: {e}")))?;
        if n == 0 {
            return reader.closed(address);
        }
        if reader.raw.len() + n > MAX_FLIGHT {
            return Err(ConnectError::TlsAlert(format!(
                "{address} sent more than the {MAX_FLIGHT} bytes certcheck reads before ServerHelloDone"
            )));
        }
        reader.raw.extend_from_slice(&chunk[..n]);
        reader.total += n;
        set_phase(phase, phase_text(address, reader.total));
        if reader.advance(address)? {
            return Ok(reader.flight);
        }
    }
}

/// The record and handshake reassembly state of one flight.
#[derive(Default)]
struct Reader {
    /// Bytes received and not yet taken as records.
    raw: Vec<u8>,
    /// Handshake bytes from the records, not yet taken as messages.
    handshake: Vec<u8>,
    /// Everything received.
    total: usize,
    flight: Flight,
    saw_hello: bool,
    saw_certificate: bool,
}

impl Reader {
    /// Takes the complete records and messages; `Ok(true)` once ServerHelloDone arrived.
    fn advance(&mut self, address: &Peer) -> Result<bool, ConnectError> {
        loop {
            // A whole record first: its 5-byte header, then the length it gives.
            let complete = match self.raw[..] {
                [_, _, _, a, b, ..] => {
                    self.raw.len() >= 5 + usize::from(u16::from_be_bytes([a, b]))
                }
                _ => false,
            };
            if !complete {
                break;
            }
            let (rest, record) = match parse_tls_raw_record(&self.raw) {
                Ok(parsed) => parsed,
                Err(_) => {
                    return Err(ConnectError::NotTls {
                        address: address.to_string(),
                        detail: "its answer to a TLS 1.2 ClientHello is not a TLS record".into(),
                    });
                }
            };
            let used = self.raw.len() - rest.len();
            match record.hdr.record_type {
                TlsRecordType::Handshake => self.handshake.extend_from_slice(record.data),
                TlsRecordType::Alert => {
                    let alert = alert_words(record.data);
                    return Err(ConnectError::TlsAlert(format!(
                        "{address} refused certcheck's TLS 1.2 ClientHello with the TLS alert {alert}"
                    )));
                }
                other => {
                    return Err(ConnectError::Garbled {
                        address: address.to_string(),
                        detail: format!(
                            "it sent a TLS record of type {} before ServerHelloDone",
                            other.0
                        ),
                    });
                }
            }
            self.raw.drain(..used);
            if self.messages(address)? {
                return Ok(true);
            }
        }
        Ok(false)
    }

    /// Takes the complete handshake messages; `Ok(true)` at ServerHelloDone.
    fn messages(&mut self, address: &Peer) -> Result<bool, ConnectError> {
        while let [kind, a, b, c, ..] = self.handshake[..] {
            let length = u32::from_be_bytes([0, a, b, c]) as usize;
            if kind == 11 && length > MAX_CERTIFICATE_MESSAGE {
                return Err(ConnectError::TlsAlert(format!(
                    "{address} sends a Certificate message of {length} bytes, more than the {MAX_CERTIFICATE_MESSAGE} certcheck reads"
                )));
            }
            if self.handshake.len() < 4 + length {
                return Ok(false);
            }
            let message: Vec<u8> = self.handshake.drain(..4 + length).collect();
            let parsed = match parse_tls_message_handshake(&message) {
                Ok((_, TlsMessage::Handshake(parsed))) => parsed,
                _ => {
                    return Err(ConnectError::NotTls {
                        address: address.to_string(),
                        detail: format!(
                            "it sent a malformed TLS handshake message (type {kind}, {length} bytes)"
                        ),
                    });
                }
            };
            if self.take(parsed, length, address)? {
                return Ok(true);
            }
        }
        Ok(false)
    }

    /// Notes one message; `Ok(true)` at ServerHelloDone.
    fn take(
        &mut self,
        message: TlsMessageHandshake<'_>,
        length: usize,
        address: &Peer,
    ) -> Result<bool, ConnectError> {
        match message {
            TlsMessageHandshake::ServerHello(hello) => {
                self.flight.version = hello.version.0;
                self.flight.cipher_suite = hello.cipher.0;
                self.saw_hello = true;
            }
            TlsMessageHandshake::Certificate(certificate) if self.saw_hello => {
                self.flight.certificates = certificate
                    .cert_chain
                    .iter()
                    .map(|c| c.data.to_vec())
                    .collect();
                self.flight.certificate_message_bytes = length;
                self.saw_certificate = true;
            }
            // status_type 1 (ocsp): the blob is the OCSP response.
            TlsMessageHandshake::CertificateStatus(status)
                if status.status_type == 1 && !status.blob.is_empty() =>
            {
                self.flight.ocsp_response = Some(status.blob.to_vec());
            }
            TlsMessageHandshake::CertificateRequest(_) => self.flight.client_auth_requested = true,
            TlsMessageHandshake::ServerDone(_) => {
                if !self.saw_certificate {
                    return Err(ConnectError::TlsAlert(format!(
                        "{address} sent no Certificate message in answer to a TLS 1.2 ClientHello (an anonymous or PSK cipher suite?)"
                    )));
                }
                return Ok(true);
            }
            _ if !self.saw_hello => {
                return Err(ConnectError::Garbled {
                    address: address.to_string(),
                    detail: "its first handshake message is not a ServerHello".into(),
                });
            }
            _ => {}
        }
        Ok(false)
    }

    /// The server closed: enough when the Certificate message had arrived.
    fn closed(self, address: &Peer) -> Result<Flight, ConnectError> {
        if self.saw_certificate {
            return Ok(self.flight);
        }
        let what = if self.saw_hello {
            format!(
                "after its ServerHello ({}), before its Certificate message was complete",
                version_name(self.flight.version)
            )
        } else {
            "before its ServerHello".into()
        };
        Err(ConnectError::Io(format!(
            "{address} closed the second connection (certcheck's own TLS 1.2 ClientHello) {what} ({} bytes received)",
            self.total
        )))
    }
}

/// `protocol_version (70)`, from an alert record's two bytes.
fn alert_words(data: &[u8]) -> String {
    match data {
        [_, description, ..] => {
            let name = match description {
                10 => "unexpected_message",
                40 => "handshake_failure",
                47 => "illegal_parameter",
                50 => "decode_error",
                70 => "protocol_version",
                71 => "insufficient_security",
                80 => "internal_error",
                86 => "inappropriate_fallback",
                112 => "unrecognized_name",
                _ => "",
            };
            if name.is_empty() {
                format!("number {description}")
            } else {
                name.to_string()
            }
        }
        _ => "(an empty alert record)".into(),
    }
}

/// The cipher suites offered: ECDHE (ECDSA and RSA) with AES-GCM, ChaCha20 and AES-CBC, DHE and
/// RSA key exchange with AES-GCM and AES-CBC, 3DES and RC4, so that any server of any age
/// chooses one; then the renegotiation SCSV.
const CIPHER_SUITES: &[u16] = &[
    0xc02b, 0xc02f, 0xc02c, 0xc030, 0xcca9, 0xcca8, 0xc023, 0xc027, 0xc024, 0xc028, 0xc009, 0xc013,
    0xc00a, 0xc014, 0x009e, 0x009f, 0x0067, 0x006b, 0x0033, 0x0039, 0x009c, 0x009d, 0x003c, 0x003d,
    0x002f, 0x0035, 0xc012, 0xc008, 0x0016, 0x000a, 0xc011, 0xc007, 0x0005, 0x0004, 0x00ff,
];

/// The groups offered: X25519, P-256, P-384, P-521.
const GROUPS: &[u16] = &[0x001d, 0x0017, 0x0018, 0x0019];

/// The signature algorithms offered (TLS 1.2): ECDSA, RSA-PSS, RSA PKCS#1 with SHA-2, Ed25519,
/// then SHA-1.
const SIGNATURE_ALGORITHMS: &[u16] = &[
    0x0403, 0x0503, 0x0603, 0x0804, 0x0805, 0x0806, 0x0401, 0x0501, 0x0601, 0x0807, 0x0201, 0x0203,
];

/// certcheck's ClientHello record: record version TLS 1.0, client_version TLS 1.2 (the server
/// answers with the highest version it speaks up to that), SNI for a DNS name,
/// supported_groups, ec_point_formats, signature_algorithms, status_request and
/// extended_master_secret; no supported_versions.
fn client_hello(server_name: &Host) -> Result<Vec<u8>, ConnectError> {
    let mut random = [0u8; 32];
    SystemRandom::new()
        .fill(&mut random)
        .map_err(|_| ConnectError::Io("no random bytes for the ClientHello".into()))?;
    let mut extensions = Vec::new();
    if let Host::Dns(name) = server_name {
        let name = name.as_bytes();
        let mut list = vec![0u8];
        put_u16_vec(&mut list, name);
        let mut body = Vec::new();
        put_u16_vec(&mut body, &list);
        extension(&mut extensions, 0x0000, &body);
    }
    extension(&mut extensions, 0x000a, &u16_list(GROUPS));
    extension(&mut extensions, 0x000b, &[1, 0]);
    extension(&mut extensions, 0x000d, &u16_list(SIGNATURE_ALGORITHMS));
    extension(&mut extensions, 0x0005, &[1, 0, 0, 0, 0]);
    extension(&mut extensions, 0x0017, &[]);

    let mut body = vec![3, 3];
    body.extend_from_slice(&random);
    body.push(0);
    body.extend_from_slice(&u16_list(CIPHER_SUITES));
    body.extend_from_slice(&[1, 0]);
    put_u16_vec(&mut body, &extensions);

    let mut handshake = vec![1];
    handshake.extend_from_slice(&u24(body.len()));
    handshake.extend_from_slice(&body);
    let mut record = vec![22, 3, 1];
    put_u16_vec(&mut record, &handshake);
    Ok(record)
}

fn u24(n: usize) -> [u8; 3] {
    let [_, a, b, c] = (n as u32).to_be_bytes();
    [a, b, c]
}

fn put_u16_vec(out: &mut Vec<u8>, data: &[u8]) {
    out.extend_from_slice(&(data.len() as u16).to_be_bytes());
    out.extend_from_slice(data);
}

/// A list of 16-bit values with its 16-bit length in bytes.
fn u16_list(values: &[u16]) -> Vec<u8> {
    let bytes: Vec<u8> = values.iter().flat_map(|v| v.to_be_bytes()).collect();
    let mut out = Vec::new();
    put_u16_vec(&mut out, &bytes);
    out
}

fn extension(out: &mut Vec<u8>, kind: u16, body: &[u8]) {
    out.extend_from_slice(&kind.to_be_bytes());
    put_u16_vec(out, body);
}

/// The name of a cipher suite (`TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA`), or its number.
pub fn cipher_suite_name(id: u16) -> String {
    tls_parser::TlsCipherSuite::from_id(id)
        .map(|s| s.name.to_string())
        .unwrap_or_else(|| format!("0x{id:04x}"))
}

/// Whether the server signs the key exchange of `id` (ECDHE or DHE, authenticated by its key).
pub fn signs_key_exchange(id: u16) -> bool {
    use tls_parser::{TlsCipherAu, TlsCipherKx};
    tls_parser::TlsCipherSuite::from_id(id).is_some_and(|s| {
        matches!(s.kx, TlsCipherKx::Dhe | TlsCipherKx::Ecdhe)
            && matches!(
                s.au,
                TlsCipherAu::Rsa | TlsCipherAu::Ecdsa | TlsCipherAu::Dss
            )
    })
}

/// The body length of the TLS 1.3 form of a Certificate message carrying `certificates`
/// (a 1-byte empty request context, the 3-byte list length, and for each certificate its
/// 3-byte length and 2 bytes of empty extensions).
pub fn tls13_certificate_message_bytes(certificates: &[Vec<u8>]) -> usize {
    4 + certificates.iter().map(|c| c.len() + 5).sum::<usize>()
}

/// Whether the ServerHello at the start of `first` (the server's first bytes, as rustls saw
/// them) chose TLS 1.3 in its supported_versions extension.
pub(super) fn server_hello_chose_tls13(first: &[u8]) -> bool {
    let Some(record) = first.get(5..) else {
        return false;
    };
    let Some([2, a, b, c]) = record.get(..4).map(|h| [h[0], h[1], h[2], h[3]]) else {
        return false;
    };
    let length = u32::from_be_bytes([0, a, b, c]) as usize;
    let Some(message) = record.get(..4 + length) else {
        return false;
    };
    match parse_tls_message_handshake(message) {
        Ok((_, TlsMessage::Handshake(TlsMessageHandshake::ServerHello(hello)))) => hello
            .ext
            .and_then(|ext| tls_parser::parse_tls_server_hello_extensions(ext).ok())
            .is_some_and(|(_, extensions)| {
                extensions.iter().any(|e| {
                    matches!(e, tls_parser::TlsExtension::SupportedVersions(v) if v.iter().any(|v| v.0 == 0x0304))
                })
            }),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_client_hello_is_a_tls_1_2_hello_without_supported_versions() {
        let hello = client_hello(&Host::Dns("example.com".into())).unwrap();
        let (rest, record) = parse_tls_raw_record(&hello).unwrap();
        assert!(rest.is_empty());
        assert_eq!(record.hdr.version.0, 0x0301);
        let Ok((_, TlsMessage::Handshake(TlsMessageHandshake::ClientHello(ch)))) =
            parse_tls_message_handshake(record.data)
        else {
            panic!("not a ClientHello");
        };
        assert_eq!(ch.version.0, 0x0303);
        assert!(ch.ciphers.iter().any(|c| c.0 == 0x002f), "RSA key exchange");
        let (_, extensions) = tls_parser::parse_tls_client_hello_extensions(ch.ext.unwrap())
            .expect("extensions parse");
        assert!(extensions.iter().any(
            |e| matches!(e, tls_parser::TlsExtension::SNI(names) if names[0].1 == b"example.com")
        ));
        assert!(
            !extensions
                .iter()
                .any(|e| matches!(e, tls_parser::TlsExtension::SupportedVersions(_)))
        );
    }

    #[test]
    fn a_flight_split_across_records_is_reassembled() {
        let peer = Peer::direct("192.0.2.7:443".parse().unwrap());
        let mut hello = vec![2, 0, 0, 38, 3, 1];
        hello.extend_from_slice(&[0; 32]);
        hello.extend_from_slice(&[0, 0x00, 0x2f, 0]);
        let cert = vec![0x30, 0x03, 1, 2, 3];
        let mut certificate = vec![11];
        certificate.extend_from_slice(&u24(3 + 3 + cert.len()));
        certificate.extend_from_slice(&u24(3 + cert.len()));
        certificate.extend_from_slice(&u24(cert.len()));
        certificate.extend_from_slice(&cert);
        let done = vec![14, 0, 0, 0];
        let messages = [hello, certificate, done].concat();
        let mut reader = Reader::default();
        for piece in messages.chunks(7) {
            reader
                .raw
                .extend_from_slice(&[22, 3, 1, 0, piece.len() as u8]);
            reader.raw.extend_from_slice(piece);
        }
        assert!(reader.advance(&peer).unwrap());
        assert_eq!(reader.flight.version, 0x0301);
        assert_eq!(
            cipher_suite_name(reader.flight.cipher_suite),
            "TLS_RSA_WITH_AES_128_CBC_SHA"
        );
        assert_eq!(reader.flight.certificates, vec![cert]);
        assert_eq!(reader.flight.certificate_message_bytes, 11);
    }

    #[test]
    fn an_alert_and_an_oversized_certificate_message_are_refusals_in_words() {
        let peer = Peer::direct("192.0.2.7:443".parse().unwrap());
        let mut reader = Reader::default();
        reader.raw.extend_from_slice(&[21, 3, 3, 0, 2, 2, 70]);
        assert_eq!(
            reader.advance(&peer).unwrap_err().to_string(),
            "192.0.2.7:443 refused certcheck's TLS 1.2 ClientHello with the TLS alert protocol_version"
        );
        let mut reader = Reader::default();
        reader
            .raw
            .extend_from_slice(&[22, 3, 3, 0, 4, 11, 0x20, 0, 0]);
        assert_eq!(
            reader.advance(&peer).unwrap_err().to_string(),
            "192.0.2.7:443 sends a Certificate message of 2097152 bytes, more than the 1048576 certcheck reads"
        );
    }
}
