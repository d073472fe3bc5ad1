//! STARTTLS on the command line: a bad protocol name and a flag that contradicts the scheme are
//! usage errors (exit 2) that say what would be valid, before any connection.

use crate::support::{Pki, TestEnv};

fn usage_error(args: &[&str]) -> String {
    let env = TestEnv::new(&Pki::new());
    let output = env.cmd().args(args).output().expect("runs");
    assert_eq!(output.status.code(), Some(2), "{args:?}");
    String::from_utf8_lossy(&output.stderr).into_owned()
}

#[test]
fn bad_starttls_input_is_a_usage_error() {
    let stderr = usage_error(&["--starttls", "telnet", "mail.test"]);
    assert!(
        stderr.contains("'telnet' is not a STARTTLS protocol (expected one of smtp, imap, pop3, ftp, ldap, postgres, mysql, xmpp, or none)"),
        "{stderr}"
    );
    let stderr = usage_error(&["--starttls", "imap", "smtp://mail.test"]);
    assert!(
        stderr.contains("--starttls imap contradicts the target 'smtp://mail.test', whose scheme smtp:// asks for STARTTLS over SMTP; drop one of them"),
        "{stderr}"
    );
    let stderr = usage_error(&["gopher://mail.test"]);
    assert!(
        stderr.contains("unsupported scheme 'gopher' (accepted: https://, smtps://"),
        "{stderr}"
    );
    let stderr = usage_error(&["--starttls", "smtp", "inspect", "x.pem"]);
    assert!(
        stderr.contains("--starttls only applies to live targets"),
        "{stderr}"
    );
}
