//! POP3 `STLS` (RFC 2595 section 4): the `+OK` greeting, `CAPA` (RFC 2449) listing `STLS`,
//! `STLS` answered with `+OK`.

use super::{ConnectError, Talk, quote_text};

/// Runs the exchange; `Ok` once the server has answered `STLS` with `+OK`.
pub(super) async fn upgrade(talk: &mut Talk<'_>) -> Result<(), ConnectError> {
    talk.waiting("the POP3 greeting");
    let greeting = talk.line().await?;
    if greeting.starts_with("-ERR") {
        return Err(talk.fail(format!(
            "it refused the connection: {}",
            quote_text(&greeting)
        )));
    }
    if !greeting.starts_with("+OK") {
        return Err(talk.not_this_protocol(greeting.as_bytes()));
    }
    talk.send(b"CAPA\r\n").await?;
    talk.waiting("the answer to CAPA");
    let status = talk.line().await?;
    // A server without CAPA (it is optional) may still know STLS: then STLS's answer decides.
    if status.starts_with("+OK") {
        let mut capabilities = Vec::new();
        loop {
            let line = talk.line().await?;
            if line == "." {
                break;
            }
            if capabilities.len() > 200 {
                return Err(talk.fail("its answer to CAPA has more than 200 lines"));
            }
            capabilities.push(line);
        }
        let offers = capabilities.iter().any(|c| {
            c.split_whitespace()
                .next()
                .is_some_and(|word| word.eq_ignore_ascii_case("STLS"))
        });
        if !offers {
            return Err(talk.fail(format!(
                "it does not offer STLS (its capabilities: {})",
                quote_text(&capabilities.join(" / "))
            )));
        }
    } else if !status.starts_with("-ERR") {
        return Err(talk.not_this_protocol(status.as_bytes()));
    }
    talk.send(b"STLS\r\n").await?;
    talk.waiting("the answer to STLS");
    let answer = talk.line().await?;
    if !answer.starts_with("+OK") {
        return Err(talk.fail(format!("it answered STLS with {}", quote_text(&answer))));
    }
    Ok(())
}
