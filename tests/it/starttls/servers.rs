//! FTP, LDAP, PostgreSQL, MySQL and XMPP against the real servers Debian ships (vsftpd, slapd,
//! PostgreSQL, MariaDB, prosody): certcheck speaks the protocol, starts TLS, and diagnoses the
//! generated chain as trusted under the test root. slapd, PostgreSQL and MariaDB are also run without
//! TLS, to see the refusal in the real server's words.

use super::daemon::{Daemon, ServerDir, certcheck, check_ok};
use crate::support::{Pki, TestEnv, run_json};

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

#[test]
fn ldap_slapd_without_tls_refuses_starttls() {
    let pki = Pki::new();
    let env = TestEnv::new(&pki);
    let server = ServerDir::new(&pki, "ldap.test", 1, None);
    let conf: String = SLAPD_CONF
        .lines()
        .filter(|l| !l.starts_with("TLS"))
        .map(|l| format!("{l}\n"))
        .collect();
    server.write("slapd.conf", &conf);
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
    let report = run_json(
        &mut certcheck(&env, &daemon.address(0), &["ldap://ldap.test"]),
        3,
    );
    let error = report.results[0].connection_error.as_ref().expect("error");
    assert_eq!(error.code, "starttls");
    assert!(
        error
            .message
            .ends_with("did not start TLS over LDAP: it refused StartTLS: resultCode 2 (protocolError), 'unsupported extended operation'"),
        "{}",
        error.message
    );
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
            "--tmpdir={dir}",
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
        "--tmpdir={dir}",
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
