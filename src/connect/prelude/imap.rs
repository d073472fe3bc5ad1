//! IMAP `STARTTLS` (RFC 3501 sections 6.1.1 and 6.2.1, RFC 9051): the `* OK` greeting, the
//! capabilities (from the greeting's `[CAPABILITY ...]` code or a `CAPABILITY` command) listing
//! `STARTTLS`, and a tagged `OK` to `STARTTLS`.

use super::{ConnectError, Talk, quote_text};

/// Runs the exchange; `Ok` once the server has answered `STARTTLS` with a tagged `OK`.
pub(super) async fn upgrade(talk: &mut Talk<'_>) -> Result<(), ConnectError> {
    talk.waiting("the IMAP greeting");
    let greeting = talk.line().await?;
    let upper = greeting.to_ascii_uppercase();
    if upper.starts_with("* BYE") {
        return Err(talk.fail(format!(
            "it refused the connection: {}",
            quote_text(&greeting)
        )));
    }
    if upper.starts_with("* PREAUTH") {
        return Err(talk.fail(format!(
            "it greeted with {}: a pre-authenticated session cannot start TLS (RFC 3501 6.2.1)",
            quote_text(&greeting)
        )));
    }
    if !upper.starts_with("* OK") {
        return Err(talk.not_this_protocol(greeting.as_bytes()));
    }
    let capabilities = match capability_code(&greeting) {
        Some(list) => list,
        None => {
            talk.send(b"C1 CAPABILITY\r\n").await?;
            talk.waiting("the answer to CAPABILITY");
            let (untagged, done) = tagged(talk, "C1").await?;
            if !done.to_ascii_uppercase().starts_with("C1 OK") {
                return Err(talk.fail(format!("it answered CAPABILITY with {}", quote_text(&done))));
            }
            untagged
                .iter()
                .find_map(|line| {
                    let rest = line.get(2..)?;
                    rest.get(..10)
                        .filter(|w| w.eq_ignore_ascii_case("CAPABILITY"))
                        .map(|_| rest[10..].trim().to_string())
                })
                .unwrap_or_default()
        }
    };
    if !capabilities
        .split_whitespace()
        .any(|c| c.eq_ignore_ascii_case("STARTTLS"))
    {
        return Err(talk.fail(format!(
            "it does not offer STARTTLS (its capabilities: {})",
            quote_text(&capabilities)
        )));
    }
    talk.send(b"S1 STARTTLS\r\n").await?;
    talk.waiting("the answer to STARTTLS");
    let (_, done) = tagged(talk, "S1").await?;
    if !done.to_ascii_uppercase().starts_with("S1 OK") {
        return Err(talk.fail(format!("it answered STARTTLS with {}", quote_text(&done))));
    }
    Ok(())
}

/// The list inside a greeting's `[CAPABILITY ...]` response code.
fn capability_code(greeting: &str) -> Option<String> {
    let start = greeting.to_ascii_uppercase().find("[CAPABILITY ")?;
    let rest = &greeting[start + "[CAPABILITY ".len()..];
    let end = rest.find(']')?;
    Some(rest[..end].to_string())
}

/// The untagged lines up to the line tagged `tag`, and that line.
async fn tagged(talk: &mut Talk<'_>, tag: &str) -> Result<(Vec<String>, String), ConnectError> {
    let mut untagged = Vec::new();
    loop {
        let line = talk.line().await?;
        if line
            .split_whitespace()
            .next()
            .is_some_and(|first| first.eq_ignore_ascii_case(tag))
        {
            return Ok((untagged, line));
        }
        if !line.starts_with('*') && !line.starts_with('+') {
            return Err(talk.not_this_protocol(line.as_bytes()));
        }
        if untagged.len() > 200 {
            return Err(talk.fail(format!(
                "it sent more than 200 lines before answering {tag}"
            )));
        }
        untagged.push(line);
    }
}

#[cfg(test)]
mod tests {
    use super::capability_code;

    #[test]
    fn reads_the_greeting_capability_code() {
        assert_eq!(
            capability_code("* OK [CAPABILITY IMAP4rev1 STARTTLS LOGINDISABLED] Dovecot ready."),
            Some("IMAP4rev1 STARTTLS LOGINDISABLED".into())
        );
        assert_eq!(capability_code("* OK ready"), None);
    }
}
