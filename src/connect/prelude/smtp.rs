//! SMTP STARTTLS (RFC 3207): the 220 greeting, `EHLO`, `STARTTLS` offered among the extensions,
//! `STARTTLS` answered with 220.

use super::{ConnectError, Talk, numeric_reply, quote_text};

/// The name certcheck introduces itself with: `.invalid` (RFC 2606) says it is no mail host.
const EHLO: &[u8] = b"EHLO certcheck.invalid\r\n";

/// Runs the exchange; `Ok` once the server has answered `STARTTLS` with 220.
pub(super) async fn upgrade(talk: &mut Talk<'_>) -> Result<(), ConnectError> {
    talk.waiting("the SMTP greeting");
    let greeting = numeric_reply(talk).await?;
    if greeting.code != 220 {
        return Err(talk.fail(format!(
            "it greeted with {} instead of 220 (service ready)",
            greeting.quoted()
        )));
    }
    talk.send(EHLO).await?;
    talk.waiting("the answer to EHLO");
    let ehlo = numeric_reply(talk).await?;
    if ehlo.code != 250 {
        return Err(talk.fail(format!("it answered EHLO with {}", ehlo.quoted())));
    }
    let offers = ehlo.texts().skip(1).any(|text| {
        text.split_whitespace()
            .next()
            .is_some_and(|keyword| keyword.eq_ignore_ascii_case("STARTTLS"))
    });
    if !offers {
        let extensions: Vec<&str> = ehlo
            .texts()
            .skip(1)
            .filter_map(|t| t.split_whitespace().next())
            .collect();
        let listed = if extensions.is_empty() {
            "it lists no extensions".to_string()
        } else {
            format!("it lists {}", quote_text(&extensions.join(" ")))
        };
        return Err(talk.fail(format!(
            "it does not offer STARTTLS in its answer to EHLO ({listed})"
        )));
    }
    talk.send(b"STARTTLS\r\n").await?;
    talk.waiting("the answer to STARTTLS");
    let answer = numeric_reply(talk).await?;
    if answer.code != 220 {
        return Err(talk.fail(format!("it answered STARTTLS with {}", answer.quoted())));
    }
    Ok(())
}
