//! One test per protocol against the real server Debian ships (postfix, dovecot for IMAP and
//! POP3, vsftpd, slapd, PostgreSQL, MariaDB, prosody): certcheck speaks the protocol, starts TLS,
//! and diagnoses the generated chain as trusted under the test root. A few servers are also run
//! without TLS, to see the refusal in the real server's words.

use super::daemon::{Daemon, ServerDir, certcheck};
use crate::support::{Pki, TestEnv, contract, run_json};

/// Checks that `report` is a trusted chain for `name` reached over `protocol`.
fn assert_trusted(report: &contract::Report, name: &str, protocol: &str, inferred: bool) {
    let result = &report.results[0];
    assert_eq!(result.status, "ok", "{result:#?}");
    assert!(result.connection_error.is_none(), "{result:#?}");
    assert_eq!(
        result.starttls,
        Some(contract::Starttls {
            protocol: protocol.into(),
            inferred_from_port: inferred
        })
    );
    assert!(result.tls.is_some());
    assert_eq!(result.chain[0].subject, format!("CN={name}"));
    assert_eq!(
        result.chain.len(),
        2,
        "the server sends the leaf and the intermediate"
    );
}

/// Runs certcheck against `daemon` and expects a trusted chain, showing the server's logs if not.
fn check_ok(
    env: &TestEnv,
    daemon: &Daemon,
    args: &[&str],
    name: &str,
    protocol: &str,
    inferred: bool,
) {
    let mut cmd = certcheck(env, &daemon.address(0), args);
    let output = cmd.output().expect("runs");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert_eq!(
        output.status.code(),
        Some(0),
        "certcheck {args:?}:\n{stdout}\n{}\nserver logs:\n{}",
        String::from_utf8_lossy(&output.stderr),
        daemon.logs()
    );
    let report: contract::Report = serde_json::from_str(&stdout).expect("JSON");
    assert_trusted(&report, name, protocol, inferred);
}

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

fn dovecot(pki: &Pki) -> Daemon {
    let server = ServerDir::new(pki, "mail.test", 2, None);
    server.write("dovecot.conf", DOVECOT_CONF);
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
    let daemon = dovecot(&pki);
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

const VSFTPD_CONF: &str = "listen=YES
listen_ipv6=NO
listen_address=127.0.0.1
listen_port={port0}
background=NO
anonymous_enable=NO
local_enable=YES
ssl_enable=YES
rsa_cert_file={chain}
rsa_private_key_file={key}
secure_chroot_dir={dir}/empty
vsftpd_log_file={dir}/vsftpd.log
xferlog_enable=NO
seccomp_sandbox=NO
";

#[test]
fn ftp_against_vsftpd() {
    let pki = Pki::new();
    let env = TestEnv::new(&pki);
    let server = ServerDir::new(&pki, "ftp.test", 1, None);
    server.write("vsftpd.conf", VSFTPD_CONF);
    server.mkdir(&["empty"]);
    let daemon = server.start(
        "/usr/sbin/vsftpd",
        "vsftpd",
        &["{dir}/vsftpd.conf"],
        &["vsftpd.log"],
    );
    let port = daemon.port(0);
    check_ok(
        &env,
        &daemon,
        &[&format!("ftp://ftp.test:{port}/pub")],
        "ftp.test",
        "ftp",
        false,
    );
    check_ok(&env, &daemon, &["ftp.test:21"], "ftp.test", "ftp", true);
}

const SLAPD_CONF: &str = "include /etc/ldap/schema/core.schema
pidfile {dir}/slapd.pid
argsfile {dir}/slapd.args
TLSCertificateFile {chain}
TLSCertificateKeyFile {key}
";

#[test]
fn ldap_against_slapd() {
    let pki = Pki::new();
    let env = TestEnv::new(&pki);
    let server = ServerDir::new(&pki, "ldap.test", 1, None);
    server.write("slapd.conf", SLAPD_CONF);
    let daemon = server.start(
        "/usr/sbin/slapd",
        "slapd",
        &[
            "-d",
            "256",
            "-f",
            "{dir}/slapd.conf",
            "-h",
            "ldap://127.0.0.1:{port0}/",
        ],
        &[],
    );
    let port = daemon.port(0);
    check_ok(
        &env,
        &daemon,
        &[&format!("ldap://ldap.test:{port}")],
        "ldap.test",
        "ldap",
        false,
    );
    check_ok(&env, &daemon, &["ldap.test:389"], "ldap.test", "ldap", true);
}

/// The newest PostgreSQL under /usr/lib/postgresql.
fn postgres_bin(program: &str) -> String {
    let mut versions: Vec<u32> = std::fs::read_dir("/usr/lib/postgresql")
        .map(|entries| {
            entries
                .flatten()
                .filter_map(|e| e.file_name().to_str()?.parse().ok())
                .collect()
        })
        .unwrap_or_default();
    versions.sort();
    let version = versions.last().unwrap_or_else(|| {
        panic!("no /usr/lib/postgresql/*: install Debian's postgresql (.ci/starttls-servers.sh)")
    });
    format!("/usr/lib/postgresql/{version}/bin/{program}")
}

fn postgres(pki: &Pki, ssl: bool) -> Daemon {
    let server = ServerDir::new(pki, "db.test", 1, Some("postgres"));
    server.run(
        &postgres_bin("initdb"),
        "postgresql",
        &[
            "-D",
            "{dir}/data",
            "-A",
            "trust",
            "-U",
            "postgres",
            "--no-sync",
        ],
    );
    let ssl = if ssl { "ssl=on" } else { "ssl=off" };
    server.start(
        &postgres_bin("postgres"),
        "postgresql",
        &[
            "-D",
            "{dir}/data",
            "-c",
            "port={port0}",
            "-c",
            "listen_addresses=127.0.0.1",
            "-c",
            "unix_socket_directories={dir}",
            "-c",
            ssl,
            "-c",
            "ssl_cert_file={chain}",
            "-c",
            "ssl_key_file={key}",
            "-c",
            "fsync=off",
        ],
        &[],
    )
}

#[test]
fn postgres_against_postgresql() {
    let pki = Pki::new();
    let env = TestEnv::new(&pki);
    let daemon = postgres(&pki, true);
    let port = daemon.port(0);
    check_ok(
        &env,
        &daemon,
        &[&format!("postgresql://db.test:{port}/app")],
        "db.test",
        "postgres",
        false,
    );
    check_ok(
        &env,
        &daemon,
        &["--starttls", "postgres", &format!("db.test:{port}")],
        "db.test",
        "postgres",
        false,
    );
    check_ok(
        &env,
        &daemon,
        &["db.test:5432"],
        "db.test",
        "postgres",
        true,
    );
}

#[test]
fn postgres_with_ssl_off_answers_n() {
    let pki = Pki::new();
    let env = TestEnv::new(&pki);
    let daemon = postgres(&pki, false);
    let report = run_json(
        &mut certcheck(&env, &daemon.address(0), &["postgres://db.test"]),
        3,
    );
    let error = report.results[0].connection_error.as_ref().expect("error");
    assert_eq!(error.code, "starttls");
    assert!(
        error.message.ends_with(
            "did not start TLS over PostgreSQL: it answered the SSLRequest with 'N': the server does not accept TLS (ssl = off in postgresql.conf)"
        ),
        "{}",
        error.message
    );
}

fn mariadb(pki: &Pki, ssl: bool) -> Daemon {
    let server = ServerDir::new(pki, "db.test", 1, Some("mysql"));
    server.run(
        "/usr/bin/mariadb-install-db",
        "mariadb-server",
        &[
            "--no-defaults",
            "--datadir={dir}/data",
            "--auth-root-authentication-method=normal",
            "--skip-test-db",
        ],
    );
    let mut args = vec![
        "--no-defaults",
        "--datadir={dir}/data",
        "--port={port0}",
        "--bind-address=127.0.0.1",
        "--socket={dir}/mysqld.sock",
        "--pid-file={dir}/mysqld.pid",
        "--log-error={dir}/error.log",
        "--skip-networking=0",
    ];
    if ssl {
        args.extend(["--ssl-cert={chain}", "--ssl-key={key}"]);
    }
    server.start(
        "/usr/sbin/mariadbd",
        "mariadb-server",
        &args,
        &["error.log"],
    )
}

#[test]
fn mysql_against_mariadb() {
    let pki = Pki::new();
    let env = TestEnv::new(&pki);
    let daemon = mariadb(&pki, true);
    let port = daemon.port(0);
    check_ok(
        &env,
        &daemon,
        &[&format!("mysql://db.test:{port}")],
        "db.test",
        "mysql",
        false,
    );
    check_ok(&env, &daemon, &["db.test:3306"], "db.test", "mysql", true);
}

#[test]
fn mysql_mariadb_without_tls_lacks_client_ssl() {
    let pki = Pki::new();
    let env = TestEnv::new(&pki);
    let daemon = mariadb(&pki, false);
    let report = run_json(
        &mut certcheck(&env, &daemon.address(0), &["mysql://db.test"]),
        3,
    );
    let error = report.results[0].connection_error.as_ref().expect("error");
    assert_eq!(error.code, "starttls");
    assert!(
        error.message.contains("did not start TLS over MySQL: it does not offer TLS: the capability flags of its handshake (server version '")
            && error.message.contains("MariaDB"),
        "{}",
        error.message
    );
}

const PROSODY_CONF: &str = "daemonize = false
pidfile = \"{dir}/prosody.pid\"
data_path = \"{dir}/data\"
plugin_paths = {}
modules_enabled = { \"tls\"; \"saslauth\"; \"disco\"; }
modules_disabled = { \"s2s\"; \"admin_shell\"; \"posix\"; }
c2s_ports = { {port0} }
c2s_interfaces = { \"127.0.0.1\" }
s2s_ports = { }
c2s_direct_tls_ports = { }
http_ports = { }
https_ports = { }
log = { { levels = { min = \"info\" }, to = \"file\", filename = \"{dir}/prosody.log\" } }
certificates = \"{dir}/certs\"
VirtualHost \"xmpp.test\"
  ssl = { certificate = \"{chain}\"; key = \"{key}\" }
";

#[test]
fn xmpp_against_prosody() {
    let pki = Pki::new();
    let env = TestEnv::new(&pki);
    let server = ServerDir::new(&pki, "xmpp.test", 1, Some("prosody"));
    server.write("prosody.cfg.lua", PROSODY_CONF);
    server.mkdir(&["data", "certs"]);
    let daemon = server.start(
        "/usr/bin/prosody",
        "prosody",
        &["--config", "{dir}/prosody.cfg.lua"],
        &["prosody.log"],
    );
    let port = daemon.port(0);
    check_ok(
        &env,
        &daemon,
        &[&format!("xmpp://xmpp.test:{port}")],
        "xmpp.test",
        "xmpp",
        false,
    );
    check_ok(
        &env,
        &daemon,
        &["xmpp.test:5222"],
        "xmpp.test",
        "xmpp",
        true,
    );
}
