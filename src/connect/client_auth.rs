//! What a TLS 1.3 server does with the client's certificate (or its absence) after the client's
//! side of the handshake is complete.
//!
//! In TLS 1.3 the server checks the client certificate only after the client has sent its
//! Finished, so a refusal (`certificate_required`, `unknown_ca`, `bad_certificate`, ...) arrives
//! as an alert after the handshake "succeeded". certcheck waits briefly for it when the server
//! asked for a certificate, and stops as soon as the server shows it accepted: a NewSessionTicket
//! (which OpenSSL and rustls send only after checking the client's Finished) or any data.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use rustls::NamedGroup;
use rustls::client::{ClientSessionStore, Tls12ClientSessionValue, Tls13ClientSessionValue};
use rustls::pki_types::ServerName;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite};
use tokio::sync::Notify;
use tokio_rustls::client::TlsStream;

/// The longest certcheck waits for a verdict on its client certificate: a server that refuses
/// answers within a round trip; one that accepts and sends no session ticket costs this much.
pub(super) const MAX_WAIT: Duration = Duration::from_secs(1);

/// A session store that keeps nothing and only notes that the server sent a TLS 1.3 ticket.
#[derive(Debug, Default)]
pub(super) struct TicketSeen {
    seen: AtomicBool,
    notify: Notify,
}

impl TicketSeen {
    pub(super) fn new() -> Arc<TicketSeen> {
        Arc::new(TicketSeen::default())
    }

    async fn wait(&self) {
        if !self.seen.load(Ordering::Acquire) {
            self.notify.notified().await;
        }
    }
}

impl ClientSessionStore for TicketSeen {
    fn set_kx_hint(&self, _: ServerName<'static>, _: NamedGroup) {}

    fn kx_hint(&self, _: &ServerName<'_>) -> Option<NamedGroup> {
        None
    }

    fn set_tls12_session(&self, _: ServerName<'static>, _: Tls12ClientSessionValue) {}

    fn tls12_session(&self, _: &ServerName<'_>) -> Option<Tls12ClientSessionValue> {
        None
    }

    fn remove_tls12_session(&self, _: &ServerName<'static>) {}

    fn insert_tls13_ticket(&self, _: ServerName<'static>, _: Tls13ClientSessionValue) {
        self.seen.store(true, Ordering::Release);
        // A permit is stored when nobody waits yet, so a later `wait` returns at once.
        self.notify.notify_one();
    }

    fn take_tls13_ticket(&self, _: &ServerName<'static>) -> Option<Tls13ClientSessionValue> {
        None
    }
}

/// Reads what the server sends after a TLS 1.3 handshake in which it asked for a client
/// certificate, for at most `wait`: the rustls error of the alert it ended the connection with,
/// or `None` when it accepted (a ticket, data), closed quietly or said nothing in time.
pub(super) async fn refusal_after_handshake<S>(
    tls: &mut TlsStream<S>,
    tickets: &TicketSeen,
    wait: Duration,
) -> Option<rustls::Error>
where
    S: AsyncRead + AsyncWrite + Unpin,
{
    let mut buf = [0u8; 256];
    let read = async {
        match tls.read(&mut buf).await {
            Ok(_) => None,
            Err(err) => err
                .get_ref()
                .and_then(|inner| inner.downcast_ref::<rustls::Error>())
                .cloned(),
        }
    };
    tokio::select! {
        refused = read => refused,
        () = tickets.wait() => None,
        () = tokio::time::sleep(wait) => None,
    }
}
