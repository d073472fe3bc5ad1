//! SMTP, IMAP and POP3 against the real servers Debian ships (postfix, dovecot): certcheck
//! speaks the protocol, starts TLS, and diagnoses the generated chain as trusted under the test
//! root; postfix and dovecot are also run without TLS, to see the refusal in their own words.

use super::daemon::{Daemon, ServerDir, assert_trusted, certcheck, check_ok};
use crate::support::{Pki, TestEnv, run_json};

const POSTFIX_MAIN: &str = "compatibility_level = 3.6
queue_directory = {dir}/queue
data_directory = {dir}/data
mail_owner = postfix
setgid_group = postdrop
inet_interfaces = 127.0.0.1
inet_protocols = ipv4
myhostname = mail.test
mydestination =
alias_maps =
alias_database =
local_recipient_maps =
maillog_file_prefixes = /
maillog_file = {dir}/maillog
";

const POSTFIX_TLS: &str = "smtpd_tls_chain_files = {key}, {chain}
smtpd_tls_security_level = may
";

const POSTFIX_MASTER: &str = "127.0.0.1:{port0} inet n - n - - smtpd
postlog unix-dgram n - n - 1 postlogd
proxymap unix - - n - - proxymap
tlsmgr unix - - n 1000? 1 tlsmgr
anvil unix - - n - 1 anvil
rewrite unix - - n - - trivial-rewrite
cleanup unix n - n - 0 cleanup
";

/// postfix's master in the foreground with a private configuration directory (`master -d -c`;
/// the `postfix` wrapper refuses a directory that the system's main.cf does not list).
fn postfix(pki: &Pki, tls: bool) -> Daemon {
    let server = ServerDir::new(pki, "mail.test", 1, None);
    let main = if tls {
        format!("{POSTFIX_MAIN}{POSTFIX_TLS}")
    } else {
        POSTFIX_MAIN.to_string()
    };
    server.write("conf/main.cf", &main);
    server.write("conf/master.cf", POSTFIX_MASTER);
    server.mkdir(&["queue/pid", "queue/private", "queue/public", "data"]);
    server.give(&["queue/private", "queue/public", "data"], "postfix");
    server.start(
        "/usr/lib/postfix/sbin/master",
        "postfix",
        &["-d", "-c", "{dir}/conf"],
        &["maillog"],
    )
}

#[test]
fn smtp_against_postfix() {
    let pki = Pki::new();
    let env = TestEnv::new(&pki);
    let daemon = postfix(&pki, true);
    let port = daemon.port(0).to_string();
    check_ok(
        &env,
        &daemon,
        &[&format!("smtp://mail.test:{port}")],
        "mail.test",
        "smtp",
        false,
    );
    check_ok(
        &env,
        &daemon,
        &["--starttls", "smtp", &format!("mail.test:{port}")],
        "mail.test",
        "smtp",
        false,
    );
    // Port 587 (submission) implies SMTP; --connect-to carries it to the real port.
    check_ok(&env, &daemon, &["mail.test:587"], "mail.test", "smtp", true);
    let output = env
        .cmd()
        .args(["--ca-file"])
        .arg(&env.root_file)
        .args(["--connect-to", &daemon.address(0), "mail.test:25"])
        .output()
        .expect("runs");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert_eq!(output.status.code(), Some(0), "{stdout}");
    assert!(
        stdout.contains("STARTTLS smtp (chosen by port 25; --starttls none to turn it off)"),
        "{stdout}"
    );
}

#[test]
fn smtp_postfix_without_tls_is_a_starttls_error_quoting_its_extensions() {
    let pki = Pki::new();
    let env = TestEnv::new(&pki);
    let daemon = postfix(&pki, false);
    let report = run_json(
        &mut certcheck(&env, &daemon.address(0), &["smtp://mail.test"]),
        3,
    );
    let error = report.results[0].connection_error.as_ref().expect("error");
    assert_eq!(error.code, "starttls");
    assert!(
        error.message.ends_with(
            "did not start TLS over SMTP: it does not offer STARTTLS in its answer to EHLO (it lists 'PIPELINING SIZE VRFY ETRN ENHANCEDSTATUSCODES 8BITMIME DSN SMTPUTF8 CHUNKING')"
        ),
        "{}",
        error.message
    );
    // The human report, as the README shows it.
    let output = env
        .cmd()
        .arg("--ca-file")
        .arg(&env.root_file)
        .args(["--connect-to", &daemon.address(0), "smtp://mail.test"])
        .output()
        .expect("runs");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert_eq!(output.status.code(), Some(3), "{stdout}");
    let lines: Vec<&str> = stdout.lines().collect();
    assert!(
        lines[0].starts_with(&format!(
            "smtp://mail.test (as of {}): could not check (starttls): 127.0.0.1:",
            crate::support::AT
        )),
        "{stdout}"
    );
    assert_eq!(
        lines[2], "smtp://mail.test COULD NOT CHECK (name mail.test, STARTTLS smtp)",
        "{stdout}"
    );
}

const DOVECOT_CONF: &str = "base_dir = {dir}/run
state_dir = {dir}/state
log_path = {dir}/dovecot.log
protocols = imap pop3
listen = 127.0.0.1
ssl = yes
ssl_cert = <{chain}
ssl_key = <{key}
default_internal_user = dovecot
default_login_user = dovenull
passdb {
  driver = static
  args = password=unused
}
userdb {
  driver = static
  args = uid=nobody gid=nogroup home={dir}/home
}
service imap-login {
  inet_listener imap {
    address = 127.0.0.1
    port = {port0}
  }
  inet_listener imaps {
    port = 0
  }
}
service pop3-login {
  inet_listener pop3 {
    address = 127.0.0.1
    port = {port1}
  }
  inet_listener pop3s {
    port = 0
  }
}
";

fn dovecot(pki: &Pki, tls: bool) -> Daemon {
    let server = ServerDir::new(pki, "mail.test", 2, None);
    let conf = if tls {
        DOVECOT_CONF.to_string()
    } else {
        DOVECOT_CONF.replace("ssl = yes", "ssl = no")
    };
    server.write("dovecot.conf", &conf);
    server.start(
        "/usr/sbin/dovecot",
        "dovecot-imapd and dovecot-pop3d",
        &["-F", "-c", "{dir}/dovecot.conf"],
        &["dovecot.log"],
    )
}

#[test]
fn imap_and_pop3_against_dovecot() {
    let pki = Pki::new();
    let env = TestEnv::new(&pki);
    let daemon = dovecot(&pki, true);
    let imap = daemon.port(0);
    let pop3 = daemon.port(1);
    check_ok(
        &env,
        &daemon,
        &[&format!("imap://mail.test:{imap}")],
        "mail.test",
        "imap",
        false,
    );
    check_ok(&env, &daemon, &["mail.test:143"], "mail.test", "imap", true);
    let mut cmd = certcheck(
        &env,
        &format!("127.0.0.1:{pop3}"),
        &[&format!("pop3://mail.test:{pop3}")],
    );
    assert_trusted(&run_json(&mut cmd, 0), "mail.test", "pop3", false);
    let mut cmd = certcheck(&env, &format!("127.0.0.1:{pop3}"), &["mail.test:110"]);
    assert_trusted(&run_json(&mut cmd, 0), "mail.test", "pop3", true);
}

#[test]
fn imap_and_pop3_dovecot_without_tls_do_not_offer_it() {
    let pki = Pki::new();
    let env = TestEnv::new(&pki);
    let daemon = dovecot(&pki, false);
    let report = run_json(
        &mut certcheck(&env, &daemon.address(0), &["imap://mail.test"]),
        3,
    );
    let error = report.results[0].connection_error.as_ref().expect("error");
    assert_eq!(error.code, "starttls");
    assert!(
        error.message.contains(
            "did not start TLS over IMAP: it does not offer STARTTLS (its capabilities: 'IMAP4rev1 "
        ) && !error
            .message
            .split("capabilities:")
            .nth(1)
            .is_some_and(|listed| listed.contains("STARTTLS")),
        "{}",
        error.message
    );
    let report = run_json(
        &mut certcheck(&env, &daemon.address(1), &["pop3://mail.test"]),
        3,
    );
    let error = report.results[0].connection_error.as_ref().expect("error");
    assert_eq!(error.code, "starttls");
    assert!(
        error.message.contains("did not start TLS over POP3: it does not offer STLS (its capabilities: 'CAPA / TOP / UIDL"),
        "{}",
        error.message
    );
}
