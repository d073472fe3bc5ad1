//! XMPP client-to-server STARTTLS (RFC 6120 section 5): the client opens a stream to the
//! domain, the server's `<stream:features/>` list `<starttls/>` in the
//! `urn:ietf:params:xml:ns:xmpp-tls` namespace, the client sends `<starttls/>` and the server
//! answers `<proceed/>` (or `<failure/>`). The stream's XML is read with quick-xml's
//! namespace-aware reader, from the start of what has arrived each time more arrives.

use quick_xml::events::Event;
use quick_xml::name::ResolveResult;
use quick_xml::reader::NsReader;

use super::{ConnectError, Talk, quote_text};

const STREAMS_NS: &str = "http://etherx.jabber.org/streams";
const TLS_NS: &str = "urn:ietf:params:xml:ns:xmpp-tls";

/// Runs the exchange; `Ok` once the server has answered `<starttls/>` with `<proceed/>`.
pub(super) async fn upgrade(talk: &mut Talk<'_>, domain: &str) -> Result<(), ConnectError> {
    let header = format!(
        "<?xml version='1.0'?><stream:stream to='{}' version='1.0' xml:lang='en' xmlns='jabber:client' xmlns:stream='{STREAMS_NS}'>",
        escape_attribute(domain)
    );
    talk.send(header.as_bytes()).await?;
    talk.waiting("the XMPP stream features");
    let mut received = Vec::new();
    let features = loop {
        received.extend(talk.more().await?);
        let stream = read_stream(&received).map_err(|()| talk.not_this_protocol(&received))?;
        if let Some(error) = stream.error() {
            return Err(talk.fail(format!("it ended the stream with an error: {error}")));
        }
        if let Some(features) = stream
            .children
            .iter()
            .find(|c| c.is(STREAMS_NS, "features"))
            && features.complete
        {
            break (stream.children.len(), features.clone());
        }
    };
    let (seen, features) = features;
    if !features
        .children
        .iter()
        .any(|(ns, name)| ns == TLS_NS && name == "starttls")
    {
        let offered: Vec<&str> = features.children.iter().map(|(_, n)| n.as_str()).collect();
        return Err(talk.fail(format!(
            "it does not offer STARTTLS among its stream features ({})",
            quote_text(&offered.join(" "))
        )));
    }
    talk.send(format!("<starttls xmlns='{TLS_NS}'/>").as_bytes())
        .await?;
    talk.waiting("the answer to <starttls/>");
    loop {
        let stream = read_stream(&received).map_err(|()| talk.not_this_protocol(&received))?;
        if let Some(error) = stream.error() {
            return Err(talk.fail(format!("it ended the stream with an error: {error}")));
        }
        if let Some(answer) = stream.children.get(seen).filter(|c| c.complete) {
            if answer.is(TLS_NS, "proceed") {
                return Ok(());
            }
            return Err(talk.fail(format!(
                "it answered <starttls/> with <{}/> instead of <proceed/>",
                answer.name
            )));
        }
        received.extend(talk.more().await?);
    }
}

/// A child of the stream element: its namespace, name, its own children and its text.
#[derive(Clone, Debug, Default)]
struct Child {
    namespace: String,
    name: String,
    children: Vec<(String, String)>,
    text: String,
    complete: bool,
}

impl Child {
    fn is(&self, namespace: &str, name: &str) -> bool {
        self.namespace == namespace && self.name == name
    }
}

/// What of the stream has arrived.
#[derive(Debug, Default)]
struct Stream {
    children: Vec<Child>,
}

impl Stream {
    /// A `<stream:error>`'s condition and text, e.g. `host-unknown ('no such domain')`.
    fn error(&self) -> Option<String> {
        let error = self.children.iter().find(|c| c.is(STREAMS_NS, "error"))?;
        let condition = error
            .children
            .iter()
            .map(|(_, n)| n.as_str())
            .find(|n| *n != "text")
            .unwrap_or("undefined-condition");
        let text = error.text.trim();
        Some(if text.is_empty() {
            condition.to_string()
        } else {
            format!("{condition} ({})", quote_text(text))
        })
    }
}

/// Reads what has arrived of the server's stream; `Err` when that is not an XMPP stream. An
/// element cut off at the end is simply not complete yet.
fn read_stream(bytes: &[u8]) -> Result<Stream, ()> {
    let mut reader = NsReader::from_reader(bytes);
    let mut stream = Stream::default();
    let mut depth = 0usize;
    loop {
        let (namespace, event) = match reader.read_resolved_event() {
            Ok((ResolveResult::Bound(ns), event)) => (ns.0.to_string(), event),
            Ok((_, event)) => (String::new(), event),
            // Cut off mid-tag: wait for more (a stream that never parses ends at --timeout).
            Err(_) => return Ok(stream),
        };
        match event {
            Event::Start(element) | Event::Empty(element) if depth == 0 => {
                if namespace != STREAMS_NS || element.local_name().as_ref() != "stream" {
                    return Err(());
                }
                depth = 1;
            }
            Event::Start(element) => {
                let name = element.local_name().as_ref().to_string();
                if depth == 1 {
                    stream.children.push(Child {
                        namespace,
                        name,
                        ..Child::default()
                    });
                } else if depth == 2
                    && let Some(child) = stream.children.last_mut()
                {
                    child.children.push((namespace, name));
                }
                depth += 1;
            }
            Event::Empty(element) => {
                let name = element.local_name().as_ref().to_string();
                if depth == 1 {
                    stream.children.push(Child {
                        namespace,
                        name,
                        complete: true,
                        ..Child::default()
                    });
                } else if depth == 2
                    && let Some(child) = stream.children.last_mut()
                {
                    child.children.push((namespace, name));
                }
            }
            Event::End(_) => {
                depth = depth.saturating_sub(1);
                if depth == 1
                    && let Some(child) = stream.children.last_mut()
                {
                    child.complete = true;
                }
                if depth == 0 {
                    return Ok(stream);
                }
            }
            Event::Text(text) => {
                if depth == 0 && !text.trim().is_empty() {
                    return Err(());
                }
                if depth >= 3
                    && let Some(child) = stream.children.last_mut()
                {
                    child.text.push_str(&text);
                }
            }
            Event::Eof => return Ok(stream),
            _ => {}
        }
    }
}

/// `value` safe inside a single-quoted attribute.
fn escape_attribute(value: &str) -> String {
    value
        .replace('&', "&amp;")
        .replace('\'', "&apos;")
        .replace('<', "&lt;")
}

#[cfg(test)]
mod tests {
    use super::*;

    const HEAD: &str = "<?xml version='1.0'?><stream:stream xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams' id='x' from='chat.test' version='1.0'>";

    #[test]
    fn reads_features_as_they_arrive() {
        let partial = format!(
            "{HEAD}<stream:features><starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'><requ"
        );
        let stream = read_stream(partial.as_bytes()).unwrap();
        assert_eq!(stream.children.len(), 1);
        assert!(!stream.children[0].complete);
        let full = format!(
            "{HEAD}<stream:features><starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'><required/></starttls><mechanisms xmlns='urn:ietf:params:xml:ns:xmpp-sasl'/></stream:features>"
        );
        let stream = read_stream(full.as_bytes()).unwrap();
        let features = &stream.children[0];
        assert!(features.complete && features.is(STREAMS_NS, "features"));
        assert_eq!(
            features.children[0],
            (TLS_NS.to_string(), "starttls".to_string())
        );
    }

    #[test]
    fn reads_a_stream_error_and_refuses_other_protocols() {
        let text = format!(
            "{HEAD}<stream:error><host-unknown xmlns='urn:ietf:params:xml:ns:xmpp-streams'/><text xmlns='urn:ietf:params:xml:ns:xmpp-streams'>no such domain</text></stream:error></stream:stream>"
        );
        let stream = read_stream(text.as_bytes()).unwrap();
        assert_eq!(stream.error().unwrap(), "host-unknown ('no such domain')");
        assert!(read_stream(b"220 mail.test ESMTP Postfix\r\n").is_err());
        assert!(read_stream(b"<html><body>hi</body></html>").is_err());
    }
}
