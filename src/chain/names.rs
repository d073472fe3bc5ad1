//! Names as certcheck writes them: distinguished names, subjectAltName entries and
//! name-constraint subtrees.

use std::net::IpAddr;

use x509_parser::extensions::{GeneralName, SubjectAlternativeName};
use x509_parser::objects::{oid_registry, oid2abbrev};
use x509_parser::x509::X509Name;

use super::hex;

/// A distinguished name as x509-parser writes it, `(empty name)` for an empty one.
pub(super) fn name_string(name: &X509Name<'_>) -> String {
    let text = plain_name_string(name).unwrap_or_else(|| name.to_string());
    if text.is_empty() {
        "(empty name)".to_string()
    } else {
        text
    }
}

/// x509-parser's rendering of a name (`CN=a, O=b`, `+` inside a multi-valued RDN) built in one
/// string, for names whose attribute types have an abbreviation and whose values are text.
/// `None` leaves anything else to x509-parser's own `Display`.
fn plain_name_string(name: &X509Name<'_>) -> Option<String> {
    use x509_parser::der_parser::asn1_rs::Tag;
    let mut out = String::with_capacity(name.as_raw().len());
    for (i, rdn) in name.iter().enumerate() {
        // An empty RDN is x509-parser's to write.
        rdn.iter().next()?;
        if i > 0 {
            out.push_str(", ");
        }
        for (j, attr) in rdn.iter().enumerate() {
            let value = attr.attr_value();
            let text = match value.tag() {
                Tag::NumericString
                | Tag::VisibleString
                | Tag::PrintableString
                | Tag::GeneralString
                | Tag::ObjectDescriptor
                | Tag::GraphicString
                | Tag::T61String
                | Tag::VideotexString
                | Tag::Utf8String
                | Tag::Ia5String => std::str::from_utf8(value.data).ok()?,
                _ => return None,
            };
            if j > 0 {
                out.push_str(" + ");
            }
            out.push_str(oid2abbrev(attr.attr_type(), oid_registry()).ok()?);
            out.push('=');
            out.push_str(text);
        }
    }
    Some(out)
}

/// The DNS names and IP addresses of a subjectAltName, in order.
pub(super) fn san_names(
    san: &SubjectAlternativeName<'_>,
    dns: &mut Vec<String>,
    ips: &mut Vec<String>,
) {
    for name in &san.general_names {
        match name {
            GeneralName::DNSName(name) => dns.push(name.to_string()),
            GeneralName::IPAddress(bytes) => ips.push(ip_string(bytes)),
            _ => {}
        }
    }
}

fn ip_string(bytes: &[u8]) -> String {
    match bytes.len() {
        4 => {
            let octets: [u8; 4] = [bytes[0], bytes[1], bytes[2], bytes[3]];
            IpAddr::from(octets).to_string()
        }
        16 => {
            let mut octets = [0u8; 16];
            octets.copy_from_slice(bytes);
            IpAddr::from(octets).to_string()
        }
        _ => format!("invalid IP ({})", hex(bytes)),
    }
}

fn ip_constraint_string(bytes: &[u8]) -> String {
    // Name constraints carry address and mask back to back.
    let half = bytes.len() / 2;
    if bytes.len() == 8 || bytes.len() == 32 {
        let prefix: u32 = bytes[half..].iter().map(|b| b.count_ones()).sum();
        format!("{}/{}", ip_string(&bytes[..half]), prefix)
    } else {
        ip_string(bytes)
    }
}

/// A name-constraints subtree in text form: `DNS:example.com`, `IP:10.0.0.0/8`.
pub(super) fn general_name_string(name: &GeneralName<'_>) -> String {
    match name {
        GeneralName::DNSName(dns) => format!("DNS:{dns}"),
        GeneralName::IPAddress(bytes) => format!("IP:{}", ip_constraint_string(bytes)),
        GeneralName::RFC822Name(mail) => format!("email:{mail}"),
        GeneralName::URI(uri) => format!("URI:{uri}"),
        GeneralName::DirectoryName(dn) => format!("DirName:{dn}"),
        other => format!("{other:?}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use x509_parser::prelude::FromDer;

    fn der_name(content: &[u8]) -> Vec<u8> {
        let mut der = vec![0x30, content.len() as u8];
        der.extend_from_slice(content);
        der
    }

    #[test]
    fn names_read_as_x509_parser_writes_them() {
        // Every Mozilla root's subject, as x509-parser's Display would write it.
        for anchor in webpki_roots::TLS_SERVER_ROOTS {
            let mut der = vec![0x30, 0x82];
            der.extend_from_slice(&(anchor.subject.len() as u16).to_be_bytes());
            der.extend_from_slice(&anchor.subject);
            let (_, name) = X509Name::from_der(&der).unwrap();
            assert_eq!(name_string(&name), name.to_string());
        }
        let multi = [
            0x31, 0x14, 0x30, 0x08, 0x06, 0x03, 0x55, 0x04, 0x03, 0x0C, 0x01, b'a', 0x30, 0x08,
            0x06, 0x03, 0x55, 0x04, 0x0A, 0x0C, 0x01, b'b',
        ];
        let country = [
            0x31, 0x0B, 0x30, 0x09, 0x06, 0x03, 0x55, 0x04, 0x06, 0x13, 0x02, b'U', b'S',
        ];
        let unknown = [
            0x31, 0x0A, 0x30, 0x08, 0x06, 0x03, 0x2A, 0x03, 0x04, 0x0C, 0x01, b'x',
        ];
        let bmp = [
            0x31, 0x0B, 0x30, 0x09, 0x06, 0x03, 0x55, 0x04, 0x03, 0x1E, 0x02, 0x00, b'a',
        ];
        let all = [&multi[..], &country, &unknown, &bmp].concat();
        for content in [&multi[..], &country, &unknown, &bmp, &all, &[0x31, 0x00]] {
            let der = der_name(content);
            let (_, name) = X509Name::from_der(&der).unwrap();
            let expected = name.to_string();
            let expected = if expected.is_empty() {
                "(empty name)".into()
            } else {
                expected
            };
            assert_eq!(name_string(&name), expected, "{content:02x?}");
        }
        assert_eq!(
            name_string(&X509Name::from_der(&der_name(&all)).unwrap().1),
            "CN=a + O=b, C=US, OID(1.2.3.4)=x, CN=a"
        );
    }
}
