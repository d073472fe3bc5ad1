//! LDAP StartTLS (RFC 4511 section 4.14, RFC 4513 section 3): the client sends an
//! ExtendedRequest whose requestName is `1.3.6.1.4.1.1466.20037`; an ExtendedResponse with
//! resultCode `success` (0) means TLS starts next. BER is written and read with yasna; only the
//! outer length is read here, to know how many bytes the message has.

use yasna::Tag;

use super::{ConnectError, Talk, quote_bytes, quote_text};

/// The StartTLS extended operation's name (RFC 4511 section 4.14.1).
const START_TLS_OID: &[u8] = b"1.3.6.1.4.1.1466.20037";

/// The Notice of Disconnection's responseName (RFC 4511 section 4.4.1).
const NOTICE_OF_DISCONNECTION: &[u8] = b"1.3.6.1.4.1.1466.20036";

/// A response larger than this is not an ExtendedResponse to StartTLS.
const MAX_MESSAGE: usize = 16 * 1024;

/// `LDAPMessage { messageID 1, protocolOp extendedReq [APPLICATION 23] { requestName [0]
/// "1.3.6.1.4.1.1466.20037" } }` in DER.
pub(super) fn start_tls_request() -> Vec<u8> {
    yasna::construct_der(|writer| {
        writer.write_sequence(|writer| {
            writer.next().write_i64(1);
            writer
                .next()
                .write_tagged_implicit(Tag::application(23), |writer| {
                    writer.write_sequence(|writer| {
                        writer
                            .next()
                            .write_tagged_implicit(Tag::context(0), |writer| {
                                writer.write_bytes(START_TLS_OID)
                            });
                    })
                });
        })
    })
}

/// What an ExtendedResponse says.
#[derive(Debug, PartialEq, Eq)]
pub(super) struct ExtendedResponse {
    /// The messageID (0 for an unsolicited notification).
    pub message_id: i64,
    /// The resultCode.
    pub result_code: i64,
    /// The diagnosticMessage.
    pub diagnostic: String,
    /// The responseName, when present.
    pub name: Option<Vec<u8>>,
}

impl ExtendedResponse {
    /// Reads an `LDAPMessage` whose protocolOp is an ExtendedResponse ([APPLICATION 24]).
    pub(super) fn parse(message: &[u8]) -> Option<ExtendedResponse> {
        yasna::parse_ber(message, |reader| {
            reader.read_sequence(|reader| {
                let message_id = reader.next().read_i64()?;
                let response =
                    reader
                        .next()
                        .read_tagged_implicit(Tag::application(24), |reader| {
                            reader.read_sequence(|reader| {
                                let result_code = reader.next().read_enum()?;
                                let _matched_dn = reader.next().read_bytes()?;
                                let diagnostic = reader.next().read_bytes()?;
                                let _referral = reader.read_optional(|r| {
                                    r.read_tagged_implicit(Tag::context(3), |r| r.read_der())
                                })?;
                                let name = reader.read_optional(|r| {
                                    r.read_tagged_implicit(Tag::context(10), |r| r.read_bytes())
                                })?;
                                let _value = reader.read_optional(|r| {
                                    r.read_tagged_implicit(Tag::context(11), |r| r.read_bytes())
                                })?;
                                Ok(ExtendedResponse {
                                    message_id,
                                    result_code,
                                    diagnostic: String::from_utf8_lossy(&diagnostic).into_owned(),
                                    name,
                                })
                            })
                        })?;
                let _controls = reader.read_optional(|r| r.read_der())?;
                Ok(response)
            })
        })
        .ok()
    }
}

/// Runs the exchange; `Ok` once the server has answered StartTLS with success.
pub(super) async fn upgrade(talk: &mut Talk<'_>) -> Result<(), ConnectError> {
    talk.send(&start_tls_request()).await?;
    talk.waiting("the answer to the StartTLS extended request");
    let message = read_message(talk).await?;
    let Some(response) = ExtendedResponse::parse(&message) else {
        return Err(talk.not_this_protocol(&message));
    };
    if response.message_id == 0 && response.name.as_deref() == Some(NOTICE_OF_DISCONNECTION) {
        return Err(talk.fail(format!(
            "it disconnected with a Notice of Disconnection: {}",
            describe(&response)
        )));
    }
    if response.message_id != 1 {
        return Err(talk.not_this_protocol(&message));
    }
    if response.result_code != 0 {
        return Err(talk.fail(format!("it refused StartTLS: {}", describe(&response))));
    }
    Ok(())
}

/// `resultCode 2 (protocolError), 'unsupported extended operation'`.
fn describe(response: &ExtendedResponse) -> String {
    let name = result_name(response.result_code)
        .map(|n| format!(" ({n})"))
        .unwrap_or_default();
    if response.diagnostic.is_empty() {
        format!("resultCode {}{name}", response.result_code)
    } else {
        format!(
            "resultCode {}{name}, {}",
            response.result_code,
            quote_text(&response.diagnostic)
        )
    }
}

/// The names of the result codes a StartTLS refusal uses (RFC 4511 appendix A, RFC 4513 3.1.1).
fn result_name(code: i64) -> Option<&'static str> {
    Some(match code {
        1 => "operationsError",
        2 => "protocolError",
        7 => "authMethodNotSupported",
        8 => "strongerAuthRequired",
        50 => "insufficientAccessRights",
        51 => "busy",
        52 => "unavailable",
        53 => "unwillingToPerform",
        80 => "other",
        _ => return None,
    })
}

/// One BER message: a SEQUENCE tag, its definite length (short or long form), its contents.
async fn read_message(talk: &mut Talk<'_>) -> Result<Vec<u8>, ConnectError> {
    let head = talk.exact(2).await?;
    if head[0] != 0x30 {
        let mut said = head;
        said.extend(talk.take_pending());
        return Err(talk.not_this_protocol(&said));
    }
    let (length, mut message) = if head[1] < 0x80 {
        (usize::from(head[1]), head)
    } else {
        let octets = usize::from(head[1] & 0x7F);
        if octets == 0 || octets > 3 {
            return Err(talk.fail(format!(
                "its answer is not an LDAP message ({})",
                quote_bytes(&head)
            )));
        }
        let rest = talk.exact(octets).await?;
        let length = rest.iter().fold(0usize, |n, b| n << 8 | usize::from(*b));
        (length, [head, rest].concat())
    };
    if length > MAX_MESSAGE {
        return Err(talk.fail(format!(
            "its answer announces {length} bytes, more than an LDAP ExtendedResponse has"
        )));
    }
    message.extend(talk.exact(length).await?);
    Ok(message)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_request_is_the_rfc_4511_extended_request() {
        let mut expected = vec![0x30, 0x1d, 0x02, 0x01, 0x01, 0x77, 0x18, 0x80, 0x16];
        expected.extend_from_slice(START_TLS_OID);
        assert_eq!(start_tls_request(), expected);
    }

    #[test]
    fn reads_responses() {
        // messageID 1, extendedResp { success, "", "" }
        let ok = [
            0x30, 0x0c, 0x02, 0x01, 0x01, 0x78, 0x07, 0x0a, 0x01, 0x00, 0x04, 0x00, 0x04, 0x00,
        ];
        let response = ExtendedResponse::parse(&ok).unwrap();
        assert_eq!(response.result_code, 0);
        assert_eq!(response.message_id, 1);
        assert_eq!(ExtendedResponse::parse(b"HTTP/1.1 400"), None);
    }
}
