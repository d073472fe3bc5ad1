//! Proxies, address families and timing, against real proxies on 127.0.0.1 started here:
//! tinyproxy (Debian's package) as the forward proxy, mitmproxy's `mitmdump` (PyPI) as the
//! TLS-intercepting one, and small responders written here for the hostile proxies (a peer
//! that answers 200 and then garbage, one that never answers, one that hangs up). `.ci/run`
//! installs tinyproxy and mitmproxy (`.ci/install-proxies.sh`); a test fails, never skips, when
//! one is missing.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::support::{Pki, TestEnv, contract, run_json, serve, target};

/// A port nothing listens on now (bound, then released).
fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .expect("bind")
        .local_addr()
        .expect("address")
        .port()
}

/// Waits until something accepts on `port`, or panics after `limit` naming `what`.
fn wait_for(port: u16, child: &mut Child, what: &str, limit: Duration) {
    let started = Instant::now();
    while started.elapsed() < limit {
        if TcpStream::connect(("127.0.0.1", port)).is_ok() {
            return;
        }
        if let Ok(Some(status)) = child.try_wait() {
            panic!("{what} exited with {status} before listening on 127.0.0.1:{port}");
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    panic!("{what} did not listen on 127.0.0.1:{port} within {limit:?}");
}

/// A process that is killed when the test ends.
struct Running(Child);

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// A real tinyproxy on 127.0.0.1, optionally with Basic credentials.
pub(crate) struct Tinyproxy {
    pub(crate) port: u16,
    _process: Running,
    _dir: tempfile::TempDir,
}

impl Tinyproxy {
    pub(crate) fn start(credentials: Option<(&str, &str)>) -> Tinyproxy {
        let dir = tempfile::tempdir().expect("dir");
        let port = free_port();
        let mut conf = format!(
            "Port {port}\nListen 127.0.0.1\nTimeout 10\nLogLevel Critical\nMaxClients 20\nAllow 127.0.0.1\n"
        );
        if let Some((user, password)) = credentials {
            conf.push_str(&format!("BasicAuth {user} {password}\n"));
        }
        let path = dir.path().join("tinyproxy.conf");
        std::fs::write(&path, conf).expect("conf");
        let child = Command::new("tinyproxy")
            .arg("-d")
            .arg("-c")
            .arg(&path)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| {
                panic!("tinyproxy cannot be started ({e}): install it with .ci/install-proxies.sh (apt-get install tinyproxy)")
            });
        let mut process = Running(child);
        wait_for(port, &mut process.0, "tinyproxy", Duration::from_secs(10));
        Tinyproxy {
            port,
            _process: process,
            _dir: dir,
        }
    }

    pub(crate) fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }
}

/// A real mitmproxy (`mitmdump`) on 127.0.0.1 that intercepts TLS, its CA generated in a
/// temporary confdir.
struct Mitmproxy {
    port: u16,
    dir: tempfile::TempDir,
    _process: Running,
}

impl Mitmproxy {
    fn start() -> Mitmproxy {
        let dir = tempfile::tempdir().expect("dir");
        let port = free_port();
        let child = Command::new("mitmdump")
            .args(["-q", "--listen-host", "127.0.0.1", "--listen-port"])
            .arg(port.to_string())
            .arg("--set")
            .arg(format!("confdir={}", dir.path().display()))
            // The test server's certificates are dated from the tests' fixed instant, not from
            // the clock mitmproxy checks them with: it must not verify them.
            .args(["--set", "ssl_insecure=true"])
            .env_remove("HTTPS_PROXY")
            .env_remove("https_proxy")
            .env_remove("ALL_PROXY")
            .env_remove("all_proxy")
            .env_remove("SSL_CERT_FILE")
            .env_remove("SSL_CERT_DIR")
            .env_remove("REQUESTS_CA_BUNDLE")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| {
                panic!("mitmdump cannot be started ({e}): install it with .ci/install-proxies.sh (pip install mitmproxy)")
            });
        let mut process = Running(child);
        wait_for(port, &mut process.0, "mitmdump", Duration::from_secs(60));
        Mitmproxy {
            port,
            dir,
            _process: process,
        }
    }

    fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// The CA mitmproxy re-signs with (written when it starts).
    fn ca_file(&self) -> PathBuf {
        self.dir.path().join("mitmproxy-ca-cert.pem")
    }
}

/// What a hostile proxy written here does once it has read the CONNECT request.
#[derive(Clone, Copy)]
enum Hostile {
    /// Answers 200, then sends bytes that are not TLS.
    OkThenGarbage,
    /// Reads the request and never answers (holding the connection open).
    Silent,
    /// Closes the connection without a word.
    HangUp,
}

/// A hostile proxy on 127.0.0.1 (the peer here, not what is tested); serves one connection.
fn hostile_proxy(behaviour: Hostile) -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = listener.local_addr().expect("address").port();
    std::thread::spawn(move || {
        let Ok((mut socket, _)) = listener.accept() else {
            return;
        };
        let mut request = Vec::new();
        let mut byte = [0u8; 1];
        while !request.ends_with(b"\r\n\r\n") {
            match socket.read(&mut byte) {
                Ok(1) => request.push(byte[0]),
                _ => return,
            }
        }
        match behaviour {
            Hostile::OkThenGarbage => {
                let _ = socket.write_all(b"HTTP/1.1 200 Connection established\r\n\r\n");
                let _ = socket.write_all(b"this is not a TLS record at all\r\n");
                std::thread::sleep(Duration::from_secs(3));
            }
            Hostile::Silent => std::thread::sleep(Duration::from_secs(5)),
            Hostile::HangUp => {}
        }
    });
    port
}

fn client<'a>(result: &'a contract::TargetResult, name: &str) -> &'a contract::Client {
    result
        .clients
        .iter()
        .find(|c| c.client == name)
        .unwrap_or_else(|| panic!("no prediction for {name}"))
}

fn route(result: &contract::TargetResult, name: &str) -> String {
    client(result, name).route.clone().expect("a route")
}

#[test]
fn through_tinyproxy_from_https_proxy_each_client_says_whether_it_would_follow() {
    let pki = Pki::new();
    let leaf = pki.leaf(&["proxied.test"]);
    let server = serve(vec![leaf.der.clone(), pki.inter.der()], &leaf);
    let proxy = Tinyproxy::start(None);
    let env = TestEnv::new(&pki);
    let mut cmd = env.check(&target("proxied.test", &server), &server);
    cmd.env("HTTPS_PROXY", proxy.url());
    let report = run_json(&mut cmd, 0);
    let result = &report.results[0];
    assert_eq!(result.status, "ok");
    assert_eq!(result.route.as_deref(), Some(proxy.url().as_str()));
    assert_eq!(result.route_reason.as_deref(), Some("from HTTPS_PROXY"));
    // The TCP peer was the proxy, which connected to the server.
    assert_eq!(
        result.address.as_deref(),
        Some(format!("127.0.0.1:{}", proxy.port).as_str())
    );
    for name in ["python-requests", "python-urllib", "curl", "go"] {
        assert_eq!(route(result, name), proxy.url(), "{name}");
        assert_eq!(
            client(result, name).route_reason.as_deref(),
            Some("from HTTPS_PROXY")
        );
    }
    // wget reads only https_proxy; Node 20 and Java read no proxy variable.
    for name in [
        "wget", "node", "java", "openssl", "rustls", "gnutls", "firefox",
    ] {
        assert_eq!(route(result, name), "direct", "{name}");
    }
    assert!(
        client(result, "node")
            .route_reason
            .as_deref()
            .is_some_and(|r| r.starts_with("Node 20")),
    );
    assert_eq!(
        result.route_summary.as_deref(),
        Some(
            format!(
                "certcheck went through the proxy {0} (from HTTPS_PROXY); python-requests, python-urllib, curl, go go through it too and see what certcheck saw; openssl, node, java, rustls, gnutls, wget, chrome, firefox, safari, android, windows connect directly and may see another chain than the proxy's",
                proxy.url()
            )
            .as_str()
        )
    );

    // The human report says the same.
    let mut human = env.cmd();
    human
        .env("HTTPS_PROXY", proxy.url())
        .args(["--ca-file"])
        .arg(&env.root_file)
        .args(["--connect-to", &server.addr.to_string()])
        .arg(target("proxied.test", &server));
    let output = human.output().expect("runs");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        stdout.contains(&format!(
            "route: certcheck went through the proxy {} (from HTTPS_PROXY)",
            proxy.url()
        )),
        "{stdout}"
    );
    assert!(stdout.contains(&format!("via {}", proxy.url())), "{stdout}");
}

#[test]
fn no_proxy_the_flags_and_lower_case_variables_choose_the_route() {
    let pki = Pki::new();
    let leaf = pki.leaf(&["proxied.test"]);
    let server = serve(vec![leaf.der.clone(), pki.inter.der()], &leaf);
    let proxy = Tinyproxy::start(None);
    let env = TestEnv::new(&pki);
    let name = target("proxied.test", &server);
    let dead = format!("http://127.0.0.1:{}", free_port());

    // NO_PROXY sends certcheck (as curl) direct; the dead proxy is never tried.
    let mut cmd = env.check(&name, &server);
    cmd.env("HTTPS_PROXY", &dead).env("NO_PROXY", ".test");
    let result = &run_json(&mut cmd, 0).results[0];
    assert_eq!(result.route.as_deref(), Some("direct"));
    assert_eq!(
        result.route_reason.as_deref(),
        Some("NO_PROXY entry '.test' matches proxied.test")
    );
    // wget reads neither upper-case variable; the others honour NO_PROXY, so nobody proxies
    // and there is nothing to say about routes.
    assert_eq!(route(result, "curl"), "direct");
    assert_eq!(result.route_summary, None);

    // --no-proxy: direct, while the clients would still go through the environment's proxy.
    let mut cmd = env.check(&name, &server);
    cmd.env("https_proxy", proxy.url()).arg("--no-proxy");
    let result = &run_json(&mut cmd, 0).results[0];
    assert_eq!(result.route.as_deref(), Some("direct"));
    assert_eq!(result.route_reason.as_deref(), Some("--no-proxy"));
    assert_eq!(route(result, "wget"), proxy.url());
    assert!(
        result
            .route_summary
            .as_deref()
            .is_some_and(|s| s.starts_with("certcheck connected directly (--no-proxy); python-requests, python-urllib, curl, go, wget go through the proxy")),
        "{:?}",
        result.route_summary
    );

    // --proxy wins over the environment.
    let mut cmd = env.check(&name, &server);
    cmd.env("HTTPS_PROXY", &dead)
        .args(["--proxy", &proxy.url()]);
    let result = &run_json(&mut cmd, 0).results[0];
    assert_eq!(result.route.as_deref(), Some(proxy.url().as_str()));
    assert_eq!(result.route_reason.as_deref(), Some("--proxy"));

    // ALL_PROXY, as curl reads it: requests and curl follow it, urllib and Go do not.
    let mut cmd = env.check(&name, &server);
    cmd.env("ALL_PROXY", proxy.url());
    let result = &run_json(&mut cmd, 0).results[0];
    assert_eq!(result.route_reason.as_deref(), Some("from ALL_PROXY"));
    assert_eq!(route(result, "python-requests"), proxy.url());
    assert_eq!(route(result, "python-urllib"), "direct");
    assert_eq!(route(result, "go"), "direct");
}

#[test]
fn a_proxy_that_wants_credentials_answers_407_and_credentials_are_never_printed() {
    let pki = Pki::new();
    let leaf = pki.leaf(&["proxied.test"]);
    let server = serve(vec![leaf.der.clone(), pki.inter.der()], &leaf);
    let proxy = Tinyproxy::start(Some(("alice", "s3cret")));
    let env = TestEnv::new(&pki);
    let name = target("proxied.test", &server);
    let with = |url: String, code: i32| {
        let mut cmd = env.check(&name, &server);
        cmd.env("https_proxy", url);
        let output = cmd.output().expect("runs");
        let text = format!(
            "{}{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        );
        assert_eq!(output.status.code(), Some(code), "{text}");
        assert!(
            !text.contains("s3cret") && !text.contains("wr0ng"),
            "{text}"
        );
        assert!(!text.contains("alice"), "{text}");
        let report: contract::Report =
            serde_json::from_str(&String::from_utf8_lossy(&output.stdout)).expect("JSON");
        report
    };

    let report = with(proxy.url(), 3);
    let error = report.results[0].connection_error.as_ref().expect("error");
    assert_eq!(error.code, "proxy");
    assert_eq!(
        error.message,
        format!(
            "proxy {}: it refused CONNECT 127.0.0.1:{} with 'HTTP/1.0 407 Proxy Authentication Required': it asks for credentials: put them in the proxy URL, http://user:password@host:port (Basic)",
            proxy.url(),
            server.addr.port()
        )
    );

    let wrong = format!("http://alice:wr0ng@127.0.0.1:{}", proxy.port);
    let report = with(wrong, 3);
    let error = report.results[0].connection_error.as_ref().expect("error");
    assert!(
        error
            .message
            .ends_with("it refused the credentials in the proxy URL"),
        "{}",
        error.message
    );

    let right = format!("http://alice:s3cret@127.0.0.1:{}", proxy.port);
    let report = with(right, 0);
    let result = &report.results[0];
    assert_eq!(result.route.as_deref(), Some(proxy.url().as_str()));
    assert_eq!(route(result, "curl"), proxy.url());
}

#[test]
fn a_connect_to_a_closed_port_quotes_the_proxys_status_line() {
    let pki = Pki::new();
    let proxy = Tinyproxy::start(None);
    let env = TestEnv::new(&pki);
    let closed = free_port();
    let mut cmd = env.cmd();
    cmd.args(["--json", "--timeout", "5", "--proxy", &proxy.url()])
        .args(["--connect-to", &format!("127.0.0.1:{closed}")])
        .arg(format!("closed.test:{closed}"));
    let started = Instant::now();
    let report = run_json(&mut cmd, 3);
    assert!(started.elapsed() < Duration::from_secs(5));
    let error = report.results[0].connection_error.as_ref().expect("error");
    assert_eq!(error.code, "proxy");
    assert_eq!(
        error.message,
        format!(
            "proxy {}: it refused CONNECT 127.0.0.1:{closed} with 'HTTP/1.1 500 Unable to connect': it could not reach 127.0.0.1:{closed} (this answer comes from the proxy, not from the server)",
            proxy.url()
        )
    );
}

/// Runs certcheck through the proxy on `port` with `--timeout 2` and returns the result and how
/// long it took.
fn through(port: u16) -> (contract::TargetResult, Duration) {
    let pki = Pki::new();
    let env = TestEnv::new(&pki);
    let mut cmd = env.cmd();
    cmd.args(["--json", "--timeout", "2"])
        .env("HTTPS_PROXY", format!("http://127.0.0.1:{port}"))
        .arg("hostile.test:443");
    let started = Instant::now();
    let mut report = run_json(&mut cmd, 3);
    (report.results.remove(0), started.elapsed())
}

#[test]
fn hostile_proxies_end_within_the_timeout_with_the_right_code() {
    let (result, took) = through(hostile_proxy(Hostile::OkThenGarbage));
    let error = result.connection_error.expect("error");
    assert_eq!(error.code, "not-tls");
    assert!(
        error
            .message
            .starts_with("hostile.test:443 (through the proxy http://127.0.0.1:")
            && error.message.contains(
                "does not speak TLS: it answered in plain text, 'this is not a TLS record at all'"
            ),
        "{}",
        error.message
    );
    assert!(took < Duration::from_secs(2), "{took:?}");

    let (result, took) = through(hostile_proxy(Hostile::Silent));
    let error = result.connection_error.expect("error");
    assert_eq!(error.code, "proxy");
    assert!(
        error
            .message
            .starts_with("no answer within 2 s while waiting for the proxy http://127.0.0.1:")
            && error
                .message
                .ends_with("to answer CONNECT hostile.test:443"),
        "{}",
        error.message
    );
    assert!(took < Duration::from_secs(4), "{took:?}");

    let (result, _) = through(hostile_proxy(Hostile::HangUp));
    let error = result.connection_error.expect("error");
    assert_eq!(error.code, "proxy");
    assert!(
        error
            .message
            .ends_with("it closed the connection without answering CONNECT hostile.test:443"),
        "{}",
        error.message
    );

    // Nothing listening where the proxy should be.
    let (result, _) = through(free_port());
    let error = result.connection_error.expect("error");
    assert_eq!(error.code, "proxy");
    assert!(
        error.message.contains("connection refused by 127.0.0.1:"),
        "{}",
        error.message
    );
}

#[test]
fn through_mitmproxy_the_interception_is_named_with_the_fix_for_each_client() {
    let pki = Pki::new();
    let leaf = pki.leaf(&["www.example.com"]);
    let server = serve(vec![leaf.der.clone(), pki.inter.der()], &leaf);
    let env = TestEnv::new(&pki);
    let mitm = Mitmproxy::start();
    let name = target("www.example.com", &server);

    // mitmproxy dates its certificates from the real clock, so the runs below validate a day
    // after its leaf's notBefore, read from a first run (the tests never read the clock).
    let mut cmd = env.check(&name, &server);
    cmd.env("HTTPS_PROXY", mitm.url());
    let first = run_json(&mut cmd, 1).results.remove(0);
    let not_before = time::OffsetDateTime::parse(
        &first.chain[0].not_before,
        &time::format_description::well_known::Rfc3339,
    )
    .expect("RFC 3339");
    let at = crate::support::rfc3339(not_before + time::Duration::days(1));
    let through_mitm = |ca_file: &std::path::Path| {
        let mut cmd = env.cmd_at(&at);
        cmd.arg("--json")
            .arg("--ca-file")
            .arg(ca_file)
            .args(["--connect-to", &server.addr.to_string()])
            .arg(&name)
            .env("HTTPS_PROXY", mitm.url());
        cmd
    };

    // The user's clients do not have the proxy's CA: every client fails, and the finding says
    // the proxy re-signs the chain with its own CA.
    let mut cmd = through_mitm(&env.root_file);
    let result = &run_json(&mut cmd, 1).results[0];
    assert_eq!(result.route.as_deref(), Some(mitm.url().as_str()));
    assert_eq!(result.chain[0].issuer, "CN=mitmproxy, O=mitmproxy");
    let finding = result
        .findings
        .iter()
        .find(|f| f.code == "interception-suspected")
        .expect("interception-suspected");
    assert_eq!(
        finding.message,
        format!(
            "through the proxy {}, www.example.com presents a chain issued by CN=mitmproxy, O=mitmproxy, which is not in the Mozilla set: the proxy is probably intercepting TLS, re-signing the server's certificate with its own CA",
            mitm.url()
        )
    );
    let hint = |name: &str| client(result, name).hint.clone().unwrap_or_default();
    assert!(
        hint("python-requests").starts_with(&format!(
            "The proxy {} re-signs TLS with its own CA CN=mitmproxy, O=mitmproxy: if it is your organisation's, set REQUESTS_CA_BUNDLE",
            mitm.url()
        )),
        "{}",
        hint("python-requests")
    );
    assert!(hint("python-requests").contains("truststore"));
    assert!(hint("node").contains("NODE_EXTRA_CA_CERTS=proxy-ca.pem"));
    assert!(hint("node").starts_with("node would connect directly (Node 20"));
    assert!(hint("java").contains("-Djavax.net.ssl.trustStore=truststore.p12"));
    assert!(hint("curl").contains("--cacert proxy-ca.pem"));
    for prediction in &result.clients {
        let hint = prediction.hint.as_deref().unwrap_or_default();
        assert!(!prediction.accepted, "{}", prediction.client);
        assert!(!hint.contains("verify=False") || hint.contains("never verify=False"));
        assert!(
            hint.contains("CN=mitmproxy"),
            "{}: {hint}",
            prediction.client
        );
    }

    // With the proxy's CA given, the custom store trusts it and the finding names that anchor.
    let mut cmd = through_mitm(&mitm.ca_file());
    // Every client is given the --ca-file and accepts; mitmproxy's 367-day leaf is a warning.
    let result = &run_json(&mut cmd, 4).results[0];
    let finding = result
        .findings
        .iter()
        .find(|f| f.code == "interception-suspected")
        .expect("interception-suspected");
    assert!(
        finding.message.starts_with(
            "www.example.com looks like a public name, but its chain ends at CN=mitmproxy, O=mitmproxy, which is in custom ("
        ) && finding.message.ends_with(&format!(
            "(certcheck fetched it through the proxy {})",
            mitm.url()
        )),
        "{}",
        finding.message
    );
    // An Android app ignores the proxy's CA given as a user CA (API 24+); every other client takes it.
    assert!(
        result
            .clients
            .iter()
            .all(|c| c.accepted == (c.client != "android"))
    );
}

#[test]
fn address_families_restrict_resolution() {
    let pki = Pki::new();
    let leaf = pki.leaf(&["localhost"]);
    let server = serve(vec![leaf.der.clone(), pki.inter.der()], &leaf);
    let env = TestEnv::new(&pki);
    let port = server.addr.port();
    let run = |extra: &[&str], target: &str, code: i32| {
        let mut cmd = env.cmd();
        cmd.arg("--json")
            .arg("--ca-file")
            .arg(&env.root_file)
            .args(extra)
            .arg(target);
        run_json(&mut cmd, code).results.remove(0)
    };
    let result = run(&["-4"], &format!("localhost:{port}"), 0);
    assert_eq!(
        result.address.as_deref(),
        Some(
            SocketAddr::from(([127, 0, 0, 1], port))
                .to_string()
                .as_str()
        )
    );
    let v4_only = std::net::ToSocketAddrs::to_socket_addrs(&("localhost", port))
        .expect("localhost resolves")
        .all(|a| a.is_ipv4());
    let result = run(&["-6"], &format!("localhost:{port}"), 3);
    let error = result.connection_error.expect("error");
    if v4_only {
        assert_eq!(error.code, "dns");
        assert_eq!(
            error.message,
            "could not resolve host name 'localhost': the name has no IPv6 address (-6 allows only those; it has 1 of the other family)"
        );
    } else {
        // localhost has ::1 too, where nothing listens.
        assert_eq!(error.code, "refused");
    }
    let result = run(
        &["-4", "--connect-to", &format!("[::1]:{port}")],
        &format!("localhost:{port}"),
        3,
    );
    assert_eq!(
        result.connection_error.expect("error").message,
        "could not resolve host name '::1': it is not an IPv4 address, and -4 allows only those"
    );
}

#[test]
fn bad_proxy_settings_are_usage_errors_that_name_the_input() {
    let pki = Pki::new();
    let env = TestEnv::new(&pki);
    let output = env
        .cmd()
        .env("HTTPS_PROXY", "socks5://bob:hunter2@127.0.0.1:1080")
        .arg("a.test")
        .output()
        .expect("runs");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("HTTPS_PROXY 'socks5://127.0.0.1:1080' is not a usable proxy: SOCKS proxies are not supported"),
        "{stderr}"
    );
    assert!(!stderr.contains("hunter2"), "{stderr}");
    let output = env
        .cmd()
        .args(["--proxy", "https://127.0.0.1:3128", "a.test"])
        .output()
        .expect("runs");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("TLS to the proxy itself (https://) is not supported"),
        "{stderr}"
    );
    let output = env
        .cmd()
        .args(["-4", "-6", "a.test"])
        .output()
        .expect("runs");
    assert_eq!(output.status.code(), Some(2));
}

/// A listener on 127.0.0.1 that notes whether anything connected (and the first line it sent),
/// closing each connection at once so that the client gives up quickly.
struct Recorder {
    port: u16,
    seen: std::sync::Arc<std::sync::Mutex<Vec<String>>>,
    stop: std::sync::Arc<std::sync::atomic::AtomicBool>,
}

impl Recorder {
    fn start() -> Recorder {
        use std::sync::atomic::Ordering;
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
        listener.set_nonblocking(true).expect("nonblocking");
        let port = listener.local_addr().expect("address").port();
        let seen = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
        let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
        let (seen_in, stop_in) = (seen.clone(), stop.clone());
        std::thread::spawn(move || {
            while !stop_in.load(Ordering::Relaxed) {
                match listener.accept() {
                    Ok((mut socket, _)) => {
                        let _ = socket.set_nonblocking(false);
                        let _ = socket.set_read_timeout(Some(Duration::from_millis(500)));
                        let mut first = [0u8; 64];
                        let n = socket.read(&mut first).unwrap_or(0);
                        let line = String::from_utf8_lossy(&first[..n]);
                        let line = line.lines().next().unwrap_or("").to_string();
                        seen_in.lock().expect("lock").push(line);
                    }
                    Err(_) => std::thread::sleep(Duration::from_millis(10)),
                }
            }
        });
        Recorder { port, seen, stop }
    }

    fn seen(&self) -> Vec<String> {
        self.seen.lock().expect("lock").clone()
    }
}

impl Drop for Recorder {
    fn drop(&mut self) {
        self.stop.store(true, std::sync::atomic::Ordering::Relaxed);
    }
}

/// The Python interpreter the tests' `python3` is (run by path with a clean environment).
fn python() -> String {
    let output = Command::new("python3")
        .args(["-c", "import sys; print(sys.executable)"])
        .output()
        .expect("python3 runs");
    let path = String::from_utf8_lossy(&output.stdout).trim().to_string();
    let requests = Command::new(&path)
        .args(["-c", "import requests"])
        .status()
        .expect("python runs");
    assert!(
        requests.success(),
        "requests is not installed for {path}: run .ci/install-proxies.sh"
    );
    path
}

/// The command that makes `client` fetch `url` (empty for the clients not run here).
fn fetch(client: certcheck::clients::Client, url: &str, python: &str, dir: &Path) -> Vec<String> {
    use certcheck::clients::Client;
    let args: Vec<&str> = match client {
        Client::Curl => vec!["curl", "-s", "-m", "3", url],
        Client::Wget => vec!["wget", "-q", "-T", "3", "-t", "1", "-O", "/dev/null", url],
        Client::PythonUrllib => vec![
            python,
            "-c",
            "import sys, urllib.request as u\ntry: u.urlopen(sys.argv[1], timeout=3)\nexcept Exception: pass",
            url,
        ],
        Client::PythonRequests => vec![
            python,
            "-c",
            "import sys, requests\ntry: requests.get(sys.argv[1], timeout=3)\nexcept Exception: pass",
            url,
        ],
        Client::Node => vec![
            "node",
            "-e",
            "require('https').get(process.argv[1]).on('error', () => {}).setTimeout(3000, () => process.exit(0))",
            url,
        ],
        Client::Java => {
            let source = dir.join("Probe.java");
            std::fs::write(
                &source,
                "public class Probe { public static void main(String[] a) { try { new java.net.URL(a[0]).openConnection().getInputStream(); } catch (Exception e) { } } }",
            )
            .expect("write");
            return vec!["java".into(), source.display().to_string(), url.into()];
        }
        _ => return Vec::new(),
    };
    args.into_iter().map(String::from).collect()
}

#[test]
fn the_real_clients_take_the_routes_predicted() {
    use certcheck::clients::Client;
    use certcheck::route::{ProxyEnv, Reader, client_route};
    use certcheck::target::Host;
    let python = python();
    let dir = tempfile::tempdir().expect("dir");
    let home = tempfile::tempdir().expect("home");
    // Node and Java (slow to start) run once, with every variable they could read set.
    let cases: [(&[(&str, &str)], bool); 8] = [
        (
            &[
                ("HTTPS_PROXY", "P"),
                ("https_proxy", "P"),
                ("ALL_PROXY", "P"),
            ],
            true,
        ),
        (&[("HTTPS_PROXY", "P")], false),
        (&[("https_proxy", "P")], false),
        (&[("ALL_PROXY", "P")], false),
        (&[("https_proxy", "P"), ("NO_PROXY", "localhost")], false),
        (&[("https_proxy", "P"), ("no_proxy", "*")], false),
        (&[("HTTPS_PROXY", "P"), ("https_proxy", "")], false),
        (&[("https_proxy", "P"), ("no_proxy", ".localhost")], false),
    ];
    let one = |client: Client, vars: &[(&str, &str)]| -> Option<String> {
        let proxy = Recorder::start();
        let server = Recorder::start();
        let proxy_url = format!("http://127.0.0.1:{}", proxy.port);
        let mut env = ProxyEnv::default();
        let url = format!("https://localhost:{}/", server.port);
        let args = fetch(client, &url, &python, dir.path());
        let mut command = Command::new(&args[0]);
        command
            .args(&args[1..])
            .env_clear()
            .env(
                "PATH",
                "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
            )
            .env("HOME", home.path())
            .env("LANG", "C.UTF-8")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null());
        for (name, value) in vars {
            let value = value.replace('P', &proxy_url);
            command.env(name, &value);
            let slot = match *name {
                "https_proxy" => &mut env.https_proxy,
                "HTTPS_PROXY" => &mut env.https_proxy_upper,
                "ALL_PROXY" => &mut env.all_proxy_upper,
                "no_proxy" => &mut env.no_proxy,
                "NO_PROXY" => &mut env.no_proxy_upper,
                other => panic!("{other}"),
            };
            *slot = Some(value);
        }
        command
            .status()
            .unwrap_or_else(|e| panic!("{} cannot run ({e})", args[0]));
        std::thread::sleep(Duration::from_millis(100));
        let went = match (proxy.seen().is_empty(), server.seen().is_empty()) {
            (false, true) => "proxy",
            (true, false) => "direct",
            (true, true) => "nowhere",
            (false, false) => "both",
        };
        let predicted = client_route(
            Reader::of(client),
            &env,
            &Host::Dns("localhost".into()),
            server.port,
        );
        let predicted = if predicted.proxy.is_some() {
            "proxy"
        } else {
            "direct"
        };
        (went != predicted).then(|| {
            format!(
                "{client} with {vars:?}: predicted {predicted}, went {went} (proxy saw {:?})",
                proxy.seen()
            )
        })
    };
    let mut mismatches = Vec::new();
    for (vars, slow_clients_too) in cases {
        let mut clients = vec![
            Client::Curl,
            Client::Wget,
            Client::PythonUrllib,
            Client::PythonRequests,
        ];
        if slow_clients_too {
            clients.extend([Client::Node, Client::Java]);
        }
        // Each client has its own listeners, so a case's clients run side by side.
        std::thread::scope(|scope| {
            let runs: Vec<_> = clients
                .iter()
                .map(|&client| scope.spawn(move || one(client, vars)))
                .collect();
            for run in runs {
                mismatches.extend(run.join().expect("client run"));
            }
        });
    }
    assert!(mismatches.is_empty(), "{}", mismatches.join("\n"));
}
