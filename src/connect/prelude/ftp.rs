//! FTP `AUTH TLS` (RFC 4217 section 4): the 220 greeting, `AUTH TLS` answered with 234.

use super::{ConnectError, Talk, numeric_reply};

/// Runs the exchange; `Ok` once the server has answered `AUTH TLS` with 234.
pub(super) async fn upgrade(talk: &mut Talk<'_>) -> Result<(), ConnectError> {
    talk.waiting("the FTP greeting");
    let greeting = numeric_reply(talk).await?;
    if greeting.code != 220 {
        return Err(talk.fail(format!(
            "it greeted with {} instead of 220 (service ready)",
            greeting.quoted()
        )));
    }
    talk.send(b"AUTH TLS\r\n").await?;
    talk.waiting("the answer to AUTH TLS");
    let answer = numeric_reply(talk).await?;
    if answer.code != 234 {
        return Err(talk.fail(format!(
            "it answered AUTH TLS with {} instead of 234",
            answer.quoted()
        )));
    }
    Ok(())
}
