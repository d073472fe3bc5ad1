//! MySQL and MariaDB: the server speaks first with its Initial Handshake Packet (protocol 10);
//! when its capability flags include `CLIENT_SSL`, the client answers with an SSLRequest packet
//! and starts TLS right after it, without waiting for an answer.
//!
//! Per the MySQL source documentation, "Client/Server Protocol", Connection Phase Packets:
//! `Protocol::HandshakeV10` (int<1> protocol version 10, string<NUL> server version, int<4>
//! thread id, string[8] auth-plugin-data-part-1, int<1> filler, int<2> capability flags (lower
//! 2 bytes), ...) and `Protocol::SSLRequest` (int<4> client flags, int<4> max packet size, int<1>
//! character set, string[23] filler of zeros), each in a packet of int<3> payload length and
//! int<1> sequence id (`Protocol::Packet`); an `ERR_Packet` (0xFF, int<2> error code, then the
//! message, with `#` and a 5-character SQL state in protocol 4.1) refuses the connection.
//! MariaDB's documentation ("Connection", "SSLRequest packet") describes the same 32 bytes.

use super::{ConnectError, Talk, quote_text};

/// `CLIENT_LONG_PASSWORD`.
const CLIENT_LONG_PASSWORD: u32 = 0x0000_0001;
/// `CLIENT_LONG_FLAG`.
const CLIENT_LONG_FLAG: u32 = 0x0000_0004;
/// `CLIENT_PROTOCOL_41`: the 4.1 protocol, which the SSLRequest layout assumes.
const CLIENT_PROTOCOL_41: u32 = 0x0000_0200;
/// `CLIENT_SSL`: switch to TLS after this packet.
const CLIENT_SSL: u32 = 0x0000_0800;
/// `CLIENT_TRANSACTIONS`.
const CLIENT_TRANSACTIONS: u32 = 0x0000_2000;
/// `CLIENT_SECURE_CONNECTION` (`CLIENT_RESERVED2`): 4.1 authentication.
const CLIENT_SECURE_CONNECTION: u32 = 0x0000_8000;
/// `CLIENT_PLUGIN_AUTH`.
const CLIENT_PLUGIN_AUTH: u32 = 0x0008_0000;

/// What certcheck asks for, intersected with what the server offers.
const WANTED: u32 = CLIENT_LONG_PASSWORD
    | CLIENT_LONG_FLAG
    | CLIENT_PROTOCOL_41
    | CLIENT_SSL
    | CLIENT_TRANSACTIONS
    | CLIENT_SECURE_CONNECTION
    | CLIENT_PLUGIN_AUTH;

/// `utf8mb4_general_ci`, as the mysql client sends.
const CHARACTER_SET: u8 = 45;

/// The largest packet certcheck says it accepts (16 MiB, the protocol's packet size).
const MAX_PACKET: u32 = 16 * 1024 * 1024;

/// A handshake packet larger than this is not one (they are about 100 bytes).
const MAX_HANDSHAKE: usize = 16 * 1024;

/// Runs the exchange; `Ok` once the SSLRequest is sent to a server that offers TLS.
pub(super) async fn upgrade(talk: &mut Talk<'_>) -> Result<(), ConnectError> {
    talk.waiting("the MySQL server greeting");
    let header = talk.exact(4).await?;
    let length =
        usize::from(header[0]) | usize::from(header[1]) << 8 | usize::from(header[2]) << 16;
    let sequence = header[3];
    if length == 0 || length > MAX_HANDSHAKE || sequence != 0 {
        let mut said = header;
        said.extend(talk.take_pending());
        return Err(talk.not_this_protocol(&said));
    }
    let payload = talk.exact(length).await?;
    let greeting = match Greeting::parse(&payload) {
        Ok(greeting) => greeting,
        Err(Refusal::Error(text)) => {
            return Err(talk.fail(format!("it refused the connection: {text}")));
        }
        Err(Refusal::NotMysql) => {
            return Err(talk.not_this_protocol(&[&header_bytes(length), &payload[..]].concat()));
        }
    };
    if greeting.capabilities & CLIENT_SSL == 0 {
        return Err(talk.fail(format!(
            "it does not offer TLS: the capability flags of its handshake (server version {}) lack CLIENT_SSL (set ssl_cert and ssl_key, or have_ssl, on the server)",
            quote_text(&greeting.version)
        )));
    }
    talk.send(&ssl_request(
        greeting.capabilities,
        sequence.wrapping_add(1),
    ))
    .await?;
    Ok(())
}

fn header_bytes(length: usize) -> [u8; 4] {
    [length as u8, (length >> 8) as u8, (length >> 16) as u8, 0]
}

/// The SSLRequest packet: header (payload length 32, `sequence`), then the 32-byte payload.
pub(super) fn ssl_request(server_capabilities: u32, sequence: u8) -> Vec<u8> {
    let flags = (WANTED & server_capabilities) | CLIENT_SSL | CLIENT_PROTOCOL_41;
    let mut packet = Vec::with_capacity(36);
    packet.extend_from_slice(&[32, 0, 0, sequence]);
    packet.extend_from_slice(&flags.to_le_bytes());
    packet.extend_from_slice(&MAX_PACKET.to_le_bytes());
    packet.push(CHARACTER_SET);
    packet.extend_from_slice(&[0u8; 23]);
    packet
}

/// What the Initial Handshake Packet says that matters here.
#[derive(Debug, PartialEq, Eq)]
pub(super) struct Greeting {
    /// The server version string, e.g. `10.11.6-MariaDB-0+deb12u1`.
    pub version: String,
    /// The capability flags, lower and (when sent) upper two bytes.
    pub capabilities: u32,
}

/// Why a first packet is not a greeting.
#[derive(Debug, PartialEq, Eq)]
pub(super) enum Refusal {
    /// An ERR_Packet, quoted.
    Error(String),
    /// Not a protocol-10 handshake.
    NotMysql,
}

impl Greeting {
    /// Reads a HandshakeV10 payload, or an ERR_Packet.
    pub(super) fn parse(payload: &[u8]) -> Result<Greeting, Refusal> {
        match payload.first() {
            Some(0xFF) => return Err(Refusal::Error(error_packet(payload))),
            Some(10) => {}
            _ => return Err(Refusal::NotMysql),
        }
        let rest = &payload[1..];
        let nul = rest.iter().position(|b| *b == 0).ok_or(Refusal::NotMysql)?;
        let version = String::from_utf8_lossy(&rest[..nul]).into_owned();
        // thread id (4), auth-plugin-data-part-1 (8), filler (1), then the lower flags (2).
        let after = &rest[nul + 1..];
        let lower = after.get(13..15).ok_or(Refusal::NotMysql)?;
        if after.get(12) != Some(&0) {
            return Err(Refusal::NotMysql);
        }
        let mut capabilities = u32::from(u16::from_le_bytes([lower[0], lower[1]]));
        // character set (1), status flags (2), then the upper flags (2).
        if let Some(upper) = after.get(18..20) {
            capabilities |= u32::from(u16::from_le_bytes([upper[0], upper[1]])) << 16;
        }
        Ok(Greeting {
            version,
            capabilities,
        })
    }
}

/// `ERROR 1130 (HY000): Host '...' is not allowed to connect`, from an ERR_Packet payload.
fn error_packet(payload: &[u8]) -> String {
    let code = payload
        .get(1..3)
        .map(|c| u16::from_le_bytes([c[0], c[1]]))
        .unwrap_or(0);
    let rest = payload.get(3..).unwrap_or(&[]);
    let (state, message) = match rest.first() {
        Some(b'#') if rest.len() >= 6 => (
            format!(" ({})", String::from_utf8_lossy(&rest[1..6])),
            &rest[6..],
        ),
        _ => (String::new(), rest),
    };
    quote_text(&format!(
        "ERROR {code}{state}: {}",
        String::from_utf8_lossy(message)
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_ssl_request_is_32_bytes_of_flags_size_charset_and_filler() {
        let packet = ssl_request(0xFFFF_FFFF, 1);
        assert_eq!(packet.len(), 36);
        assert_eq!(packet[..4], [32, 0, 0, 1]);
        let flags = u32::from_le_bytes([packet[4], packet[5], packet[6], packet[7]]);
        assert_eq!(flags, WANTED);
        assert_ne!(flags & CLIENT_SSL, 0);
        assert_eq!(packet[8..12], (16u32 << 20).to_le_bytes());
        assert_eq!(packet[12], 45);
        assert!(packet[13..].iter().all(|b| *b == 0));
    }

    #[test]
    fn reads_a_greeting_and_an_error() {
        let mut payload = vec![10];
        payload.extend_from_slice(b"10.11.6-MariaDB\0");
        payload.extend_from_slice(&[1, 0, 0, 0]);
        payload.extend_from_slice(b"abcdefgh\0");
        payload.extend_from_slice(&0xF7FEu16.to_le_bytes());
        payload.extend_from_slice(&[45, 2, 0]);
        payload.extend_from_slice(&0x81BFu16.to_le_bytes());
        let greeting = Greeting::parse(&payload).unwrap();
        assert_eq!(greeting.version, "10.11.6-MariaDB");
        assert_eq!(greeting.capabilities, 0x81BF_F7FE);
        let mut error = vec![0xFF];
        error.extend_from_slice(&1130u16.to_le_bytes());
        error.extend_from_slice(b"#HY000Host 'x' is not allowed to connect");
        assert_eq!(
            Greeting::parse(&error),
            Err(Refusal::Error(
                "'ERROR 1130 (HY000): Host 'x' is not allowed to connect'".into()
            ))
        );
        assert_eq!(Greeting::parse(b"SSH-2.0"), Err(Refusal::NotMysql));
    }
}
