//! Fetching the missing intermediate from its AIA caIssuers URL: a TLS server on loopback that
//! sends only its leaf, and a small HTTP server on loopback (the AIA host: the peer, not the
//! thing under test) that counts its connections and answers each path as the test says.

use std::collections::HashMap;
use std::io::Write;
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use certcheck::demo::pki::{Authority, Spec};

use crate::support::contract::{Fetch, TargetResult};
use crate::support::{Pki, TestEnv, at, run_json, serve};

/// How the AIA host answers one path.
#[derive(Clone)]
enum Answer {
    /// 200 with this `Content-Type` (or none) and body.
    Body(Option<&'static str>, Vec<u8>),
    /// Waits this long, then answers as the inner answer does.
    Slow(Duration, Box<Answer>),
    /// 200 with no `Content-Length` and this many bytes, then close.
    Stream(usize),
    /// 302 to this location.
    Redirect(String),
}

/// An HTTP/1.1 responder on 127.0.0.1 that counts the connections it accepts.
struct AiaHost {
    addr: SocketAddr,
    connections: Arc<AtomicUsize>,
    answers: Arc<Mutex<HashMap<String, Answer>>>,
}

impl AiaHost {
    fn start() -> AiaHost {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
        let addr = listener.local_addr().expect("address");
        let connections = Arc::new(AtomicUsize::new(0));
        let answers: Arc<Mutex<HashMap<String, Answer>>> = Arc::default();
        let (count, table) = (connections.clone(), answers.clone());
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                let Ok(stream) = stream else { continue };
                count.fetch_add(1, Ordering::SeqCst);
                let table = table.clone();
                std::thread::spawn(move || answer(stream, &table));
            }
        });
        AiaHost {
            addr,
            connections,
            answers,
        }
    }

    /// `http://127.0.0.1:PORT{path}`, answered with `answer`.
    fn serve(&self, path: &str, answer: Answer) -> String {
        self.answers
            .lock()
            .expect("answers")
            .insert(path.to_string(), answer);
        self.url(path)
    }

    fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    fn connections(&self) -> usize {
        self.connections.load(Ordering::SeqCst)
    }
}

fn answer(mut stream: TcpStream, table: &Mutex<HashMap<String, Answer>>) {
    let Some(head) = crate::support::request_head(&mut stream) else {
        return;
    };
    let line = String::from_utf8_lossy(&head)
        .lines()
        .next()
        .unwrap_or("")
        .to_string();
    let path = line.split(' ').nth(1).unwrap_or("").to_string();
    let found = table.lock().ok().and_then(|t| t.get(&path).cloned());
    let mut answer = found;
    loop {
        let _ = match answer {
            None => stream.write_all(b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"),
            Some(Answer::Slow(wait, then)) => {
                std::thread::sleep(wait);
                answer = Some(*then);
                continue;
            }
            Some(Answer::Body(kind, body)) => {
                let kind = kind.map(|k| format!("Content-Type: {k}\r\n")).unwrap_or_default();
                let head = format!(
                    "HTTP/1.1 200 OK\r\n{kind}Content-Length: {}\r\nConnection: close\r\n\r\n",
                    body.len()
                );
                stream
                    .write_all(head.as_bytes())
                    .and_then(|()| stream.write_all(&body))
            }
            Some(Answer::Stream(size)) => {
                let chunk = vec![b'A'; 64 * 1024];
                let mut sent = 0;
                let mut result = stream.write_all(
                    b"HTTP/1.1 200 OK\r\nContent-Type: application/pkix-cert\r\nConnection: close\r\n\r\n",
                );
                while result.is_ok() && sent < size {
                    result = stream.write_all(&chunk);
                    sent += chunk.len();
                }
                result
            }
            Some(Answer::Redirect(to)) => stream.write_all(
                format!("HTTP/1.1 302 Found\r\nLocation: {to}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n").as_bytes(),
            ),
        };
        return;
    }
}

/// The name every test checks.
const NAME: &str = "aia.test";

/// Serves a leaf for `NAME` issued by the test intermediate, naming `aia` as its caIssuers,
/// without the intermediate, and checks it with `extra` flags.
fn check_leaf_only(pki: &Pki, aia: &str, extra: &[&str], code: i32) -> (TargetResult, TestEnv) {
    let leaf = pki.leaf_with(Spec::leaf(&[NAME], at()).ca_issuers(aia));
    let server = serve(vec![leaf.der.clone()], &leaf);
    let env = TestEnv::new(pki);
    let mut cmd = env.check(&format!("{NAME}:{}", server.addr.port()), &server);
    cmd.args(extra);
    let mut report = run_json(&mut cmd, code);
    (report.results.remove(0), env)
}

fn only_fetch(result: &TargetResult) -> &Fetch {
    assert_eq!(result.fetched.len(), 1, "{:#?}", result.fetched);
    &result.fetched[0]
}

#[test]
fn the_missing_intermediate_is_fetched_and_completes_the_chain_for_the_stores_only() {
    let pki = Pki::new();
    let host = AiaHost::start();
    let url = host.serve(
        "/inter.crt",
        Answer::Body(Some("application/pkix-cert"), pki.inter.der()),
    );
    let (result, env) = check_leaf_only(&pki, &url, &[], 1);
    assert_eq!(host.connections(), 1);
    let fetch = only_fetch(&result);
    let size = pki.inter.der().len();
    assert_eq!(fetch.url, url);
    assert_eq!(fetch.purpose, "aia");
    assert_eq!(fetch.outcome, "ok");
    assert_eq!(fetch.status, Some(200));
    assert_eq!(fetch.content_type.as_deref(), Some("application/pkix-cert"));
    assert_eq!(fetch.bytes, size as u64);
    assert!(fetch.milliseconds < 5000, "{}", fetch.milliseconds);
    assert_eq!(fetch.subject.as_deref(), Some("CN=Test Intermediate CA"));
    assert_eq!(
        fetch.detail,
        format!("200 OK, {size} bytes served as application/pkix-cert")
    );

    let finding = result.finding("incomplete-chain");
    assert_eq!(finding.certificate, Some(0));
    let root_file = env.root_file.display();
    assert!(
        finding.message.ends_with(&format!(
            "; the certificate's AIA caIssuers names it at {url}; certcheck fetched it from there, as a browser would, and with it the chain is trusted by custom ({root_file}) (anchor CN=Test Root CA)"
        )),
        "{}",
        finding.message
    );
    assert!(
        finding.message.starts_with(
            "the server did not send the intermediate CN=Test Intermediate CA (key identifier "
        ),
        "{}",
        finding.message
    );
    assert!(
        finding.hint.starts_with(&format!(
            "Configure the server to send the full chain (for example fullchain.pem, not cert.pem), with CN=Test Intermediate CA (from {url}) after the leaf."
        )),
        "{}",
        finding.hint
    );
    // The stores' verdicts and every client but Chrome, Safari and Windows still see only what
    // the server sent; those fetch the caIssuers certificate themselves, so their path is
    // complete (Android does not fetch it).
    assert!(!result.store("custom").trusted, "{:#?}", result.trust);
    assert!(!result.clients.is_empty());
    let chrome = result.client("chrome");
    assert!(chrome.accepted, "{:?}", chrome.error);
    assert_eq!(chrome.hint, None);
    for fetcher in ["safari", "windows"] {
        assert!(result.client(fetcher).accepted, "{fetcher}");
    }
    for client in result
        .clients
        .iter()
        .filter(|c| !["chrome", "safari", "windows"].contains(&c.client.as_str()))
    {
        assert!(!client.accepted, "{} accepted", client.client);
        if client.client == "android" {
            assert_eq!(
                client.hint.as_deref(),
                Some(format!("The server does not send the intermediate CN=Test Intermediate CA ({url}): have it send the full chain; Android apps never fetch it.").as_str())
            );
            continue;
        }
        assert_eq!(
            client.hint.as_deref(),
            Some(format!(
                "The server does not send the intermediate CN=Test Intermediate CA ({url}): have it send the full chain; until then, add that certificate to the CA file {} is given, beside the root.",
                client.client
            ).as_str()),
        );
    }
}

#[test]
fn offline_fetches_nothing() {
    let pki = Pki::new();
    let host = AiaHost::start();
    let url = host.serve(
        "/inter.crt",
        Answer::Body(Some("application/pkix-cert"), pki.inter.der()),
    );
    let (result, _env) = check_leaf_only(&pki, &url, &["--offline"], 1);
    assert!(result.fetched.is_empty(), "{:#?}", result.fetched);
    assert_eq!(host.connections(), 0);
    let finding = result.finding("incomplete-chain");
    assert!(
        finding.message.ends_with(&format!(
            "the certificate's AIA caIssuers names it at {url}"
        )),
        "{}",
        finding.message
    );
}

#[test]
fn a_complete_chain_fetches_nothing() {
    let pki = Pki::new();
    let host = AiaHost::start();
    let url = host.serve(
        "/inter.crt",
        Answer::Body(Some("application/pkix-cert"), pki.inter.der()),
    );
    let leaf = pki.leaf_with(Spec::leaf(&[NAME], at()).ca_issuers(&url));
    let server = serve(vec![leaf.der.clone(), pki.inter.der()], &leaf);
    let env = TestEnv::new(&pki);
    let report = run_json(
        &mut env.check(&format!("{NAME}:{}", server.addr.port()), &server),
        0,
    );
    assert!(report.results[0].fetched.is_empty());
    assert_eq!(host.connections(), 0);
}

#[test]
fn a_pkcs7_body_and_a_same_host_redirect_are_read() {
    let pki = Pki::new();
    let host = AiaHost::start();
    host.serve(
        "/inter.p7c",
        Answer::Body(
            Some("application/pkcs7-mime"),
            crate::inspect::pkcs7(&[pki.inter.der()]),
        ),
    );
    let url = host.serve("/moved", Answer::Redirect("/inter.p7c".into()));
    let (result, _env) = check_leaf_only(&pki, &url, &[], 1);
    let fetch = only_fetch(&result);
    assert_eq!(fetch.outcome, "ok", "{fetch:#?}");
    assert_eq!(fetch.subject.as_deref(), Some("CN=Test Intermediate CA"));
    assert!(
        fetch.detail.ends_with(&format!(
            "served as application/pkcs7-mime (after redirects to {})",
            host.url("/inter.p7c")
        )),
        "{}",
        fetch.detail
    );
    assert_eq!(host.connections(), 2);
    assert!(
        result
            .finding("incomplete-chain")
            .message
            .contains("with it the chain is trusted by custom"),
        "{}",
        result.finding("incomplete-chain").message
    );
}

#[test]
fn a_wrong_content_type_is_recorded_and_the_body_read_by_its_content() {
    let pki = Pki::new();
    let host = AiaHost::start();
    let url = host.serve(
        "/inter.crt",
        Answer::Body(Some("text/html"), pki.inter.der()),
    );
    let (result, _env) = check_leaf_only(&pki, &url, &[], 1);
    let fetch = only_fetch(&result);
    assert_eq!(fetch.outcome, "ok");
    assert_eq!(fetch.content_type.as_deref(), Some("text/html"));
    assert!(
        fetch.detail.contains(
            "served as text/html, which is not a certificate type (application/pkix-cert, application/x-x509-ca-cert, application/pkcs7-mime, application/x-pkcs7-certificates, application/octet-stream); read by its content"
        ),
        "{}",
        fetch.detail
    );

    let page = host.serve(
        "/index.html",
        Answer::Body(Some("text/html"), b"<html>moved</html>".to_vec()),
    );
    let (result, _env) = check_leaf_only(&pki, &page, &[], 1);
    let fetch = only_fetch(&result);
    assert_eq!(fetch.outcome, "not-a-certificate", "{fetch:#?}");
    assert_eq!(fetch.bytes, 18);
    let finding = result.finding("incomplete-chain");
    assert!(
        finding.message.contains(&format!(
            "{page}; fetching it failed (not-a-certificate: 200 OK, 18 bytes served as text/html"
        )),
        "{}",
        finding.message
    );
}

#[test]
fn a_slow_host_is_a_timeout_within_the_bound() {
    let pki = Pki::new();
    let host = AiaHost::start();
    let url = host.serve(
        "/slow.crt",
        Answer::Slow(
            Duration::from_secs(4),
            Box::new(Answer::Body(None, pki.inter.der())),
        ),
    );
    // --timeout 1 bounds each fetch to 1 s (5 s otherwise).
    let (result, _env) = check_leaf_only(&pki, &url, &["--timeout", "1"], 1);
    let fetch = only_fetch(&result);
    assert_eq!(fetch.outcome, "timeout", "{fetch:#?}");
    assert!(
        (1000..2500).contains(&fetch.milliseconds),
        "{}",
        fetch.milliseconds
    );
    assert_eq!(
        fetch.detail,
        format!("no whole answer within 1 s, while waiting for the answer to GET {url}")
    );
}

#[test]
fn a_huge_body_stops_at_one_mebibyte() {
    let pki = Pki::new();
    let host = AiaHost::start();
    let url = host.serve("/huge.crt", Answer::Stream(4 * 1024 * 1024));
    let (result, _env) = check_leaf_only(&pki, &url, &[], 1);
    let fetch = only_fetch(&result);
    assert_eq!(fetch.outcome, "too-large", "{fetch:#?}");
    assert!(
        fetch.bytes > 1024 * 1024 && fetch.bytes < 2 * 1024 * 1024,
        "{}",
        fetch.bytes
    );
    assert!(
        fetch
            .detail
            .starts_with("the body is more than 1048576 bytes (reading stopped after "),
        "{}",
        fetch.detail
    );
}

#[test]
fn a_redirect_to_another_host_is_refused() {
    let pki = Pki::new();
    let host = AiaHost::start();
    // localhost is another host name than 127.0.0.1, though the same machine: never followed.
    let elsewhere = format!("http://localhost:{}/inter.crt", host.addr.port());
    host.serve(
        "/inter.crt",
        Answer::Body(Some("application/pkix-cert"), pki.inter.der()),
    );
    let url = host.serve("/moved", Answer::Redirect(elsewhere.clone()));
    let (result, _env) = check_leaf_only(&pki, &url, &[], 1);
    let fetch = only_fetch(&result);
    assert_eq!(fetch.outcome, "redirect-refused", "{fetch:#?}");
    assert_eq!(fetch.status, Some(302));
    assert_eq!(
        fetch.detail,
        format!(
            "the server answered 302 Found, a redirect to {elsewhere}: another host, port or scheme, which certcheck does not follow (it follows up to 3 redirects on the same host and port)"
        )
    );
    assert_eq!(host.connections(), 1);
}

#[test]
fn an_aia_loop_is_fetched_once_round() {
    let pki = Pki::new();
    let host = AiaHost::start();
    let (url_a, url_b) = (host.url("/a.crt"), host.url("/b.crt"));
    let root_a = Authority::root(&Spec::ca("Loop A", at())).expect("root A");
    let root_b = Authority::root(&Spec::ca("Loop B", at())).expect("root B");
    // A is issued by B and B by A, each naming the other's URL.
    let a = root_b
        .intermediate(&Spec::ca("Loop A", at()).ca_issuers(&url_b))
        .expect("A");
    let b = root_a
        .intermediate(&Spec::ca("Loop B", at()).ca_issuers(&url_a))
        .expect("B");
    host.serve("/a.crt", Answer::Body(None, a.der()));
    host.serve("/b.crt", Answer::Body(None, b.der()));
    let leaf = a
        .leaf(&Spec::leaf(&[NAME], at()).ca_issuers(&url_a))
        .expect("leaf");
    let server = serve(vec![leaf.der.clone()], &leaf);
    let env = TestEnv::new(&pki);
    let report = run_json(
        &mut env.check(&format!("{NAME}:{}", server.addr.port()), &server),
        1,
    );
    let fetched = &report.results[0].fetched;
    let outcomes: Vec<(&str, &str)> = fetched
        .iter()
        .map(|f| (f.url.as_str(), f.outcome.as_str()))
        .collect();
    assert_eq!(
        outcomes,
        [
            (url_a.as_str(), "ok"),
            (url_b.as_str(), "ok"),
            (url_a.as_str(), "loop")
        ]
    );
    assert_eq!(
        fetched[2].detail,
        "not fetched again: CN=Loop B names it as its issuer's caIssuers, and it was fetched before on this path"
    );
    assert_eq!(host.connections(), 2);
}

#[test]
fn at_most_four_levels_are_fetched() {
    let pki = Pki::new();
    let host = AiaHost::start();
    // root → I1 → I2 → I3 → I4 → I5 → leaf, each naming where its issuer is; only the leaf sent.
    let mut authorities = vec![
        pki.root
            .intermediate(&Spec::ca("Level 1", at()))
            .expect("I1"),
    ];
    for level in 2..=5 {
        let url = host.url(&format!("/level{}.crt", level - 1));
        let next = authorities[level - 2]
            .intermediate(&Spec::ca(&format!("Level {level}"), at()).ca_issuers(&url))
            .expect("level");
        authorities.push(next);
    }
    for (i, authority) in authorities.iter().enumerate() {
        host.serve(
            &format!("/level{}.crt", i + 1),
            Answer::Body(None, authority.der()),
        );
    }
    let leaf = authorities[4]
        .leaf(&Spec::leaf(&[NAME], at()).ca_issuers(&host.url("/level5.crt")))
        .expect("leaf");
    let server = serve(vec![leaf.der.clone()], &leaf);
    let env = TestEnv::new(&pki);
    let report = run_json(
        &mut env.check(&format!("{NAME}:{}", server.addr.port()), &server),
        1,
    );
    let result = &report.results[0];
    let outcomes: Vec<(String, &str)> = result
        .fetched
        .iter()
        .map(|f| (f.url.replace(&host.url(""), ""), f.outcome.as_str()))
        .collect();
    let expected: Vec<(String, &str)> = [
        ("/level5.crt", "ok"),
        ("/level4.crt", "ok"),
        ("/level3.crt", "ok"),
        ("/level2.crt", "ok"),
        ("/level1.crt", "depth-limit"),
    ]
    .iter()
    .map(|(p, o)| (p.to_string(), *o))
    .collect();
    assert_eq!(outcomes, expected);
    assert_eq!(host.connections(), 4);
    let finding = result.finding("incomplete-chain");
    assert!(
        finding.message.ends_with(&format!(
            "; certcheck fetched it from there, but even with it (and any intermediate fetched after it) no store is reached (then {}: depth-limit: not fetched: 4 caIssuers fetches were made for this target and CN=Level 2 still does not reach an anchor)",
            host.url("/level1.crt")
        )),
        "{}",
        finding.message
    );
}

#[test]
fn the_fetch_takes_the_targets_proxy_and_never_shows_its_credentials() {
    let pki = Pki::new();
    let host = AiaHost::start();
    let url = host.serve(
        "/inter.crt",
        Answer::Body(Some("application/pkix-cert"), pki.inter.der()),
    );
    let proxy = crate::proxy::Tinyproxy::start(Some(("fetcher", "s3cret-pass")));
    let with_credentials = format!("http://fetcher:s3cret-pass@127.0.0.1:{}", proxy.port);
    let leaf = pki.leaf_with(Spec::leaf(&[NAME], at()).ca_issuers(&url));
    let server = serve(vec![leaf.der.clone()], &leaf);
    let env = TestEnv::new(&pki);
    let mut cmd = env.check(&format!("{NAME}:{}", server.addr.port()), &server);
    cmd.args(["--proxy", &with_credentials]);
    let output = cmd.output().expect("runs");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(!stdout.contains("s3cret-pass"), "{stdout}");
    let report: crate::support::contract::Report =
        serde_json::from_str(&stdout).unwrap_or_else(|e| panic!("JSON ({e}):\n{stdout}"));
    let fetch = only_fetch(&report.results[0]);
    assert_eq!(fetch.outcome, "ok", "{fetch:#?}");
    assert!(
        fetch
            .detail
            .ends_with(&format!(" through the proxy {}", proxy.url())),
        "{}",
        fetch.detail
    );
    // The proxy made the one connection to the AIA host.
    assert_eq!(host.connections(), 1);
}

#[test]
fn inspect_fetches_only_with_fetch() {
    let pki = Pki::new();
    let host = AiaHost::start();
    let url = host.serve(
        "/inter.crt",
        Answer::Body(Some("application/pkix-cert"), pki.inter.der()),
    );
    let leaf = pki.leaf_with(Spec::leaf(&[NAME], at()).ca_issuers(&url));
    let env = TestEnv::new(&pki);
    let file = env.dir.path().join("leaf.pem");
    std::fs::write(
        &file,
        pem::encode(&pem::Pem::new("CERTIFICATE", leaf.der.clone())),
    )
    .expect("write");
    let inspect = |fetch: bool| {
        let mut cmd = env.cmd();
        cmd.args(["inspect", "--json", "--ca-file"])
            .arg(&env.root_file)
            .arg(&file);
        if fetch {
            cmd.arg("--fetch");
        }
        run_json(&mut cmd, 1).results.remove(0)
    };
    assert!(inspect(false).fetched.is_empty());
    assert_eq!(host.connections(), 0);
    let result = inspect(true);
    assert_eq!(only_fetch(&result).outcome, "ok");
    assert_eq!(host.connections(), 1);
    let finding = result.finding("incomplete-chain");
    assert!(
        finding
            .message
            .starts_with("the file does not hold the intermediate CN=Test Intermediate CA"),
        "{}",
        finding.message
    );
    assert!(
        finding.message.ends_with(&format!(
            "names it at {url}; certcheck fetched it from there, as a browser would, and with it the chain is trusted by custom ({}) (anchor CN=Test Root CA)",
            env.root_file.display()
        )),
        "{}",
        finding.message
    );
}

#[test]
fn the_human_report_has_a_line_per_fetch() {
    let pki = Pki::new();
    let host = AiaHost::start();
    let url = host.serve(
        "/inter.crt",
        Answer::Body(Some("application/pkix-cert"), pki.inter.der()),
    );
    let leaf = pki.leaf_with(Spec::leaf(&[NAME], at()).ca_issuers(&url));
    let server = serve(vec![leaf.der.clone()], &leaf);
    let env = TestEnv::new(&pki);
    let output = env
        .cmd()
        .arg("--ca-file")
        .arg(&env.root_file)
        .arg("--connect-to")
        .arg(server.addr.to_string())
        .arg(format!("{NAME}:{}", server.addr.port()))
        .output()
        .expect("runs");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let size = pki.inter.der().len();
    let line = stdout
        .lines()
        .find(|l| l.starts_with("fetched (AIA caIssuers): "))
        .unwrap_or_else(|| panic!("no fetched line in:\n{stdout}"));
    assert!(
        line.starts_with(&format!(
            "fetched (AIA caIssuers): {url} ok → CN=Test Intermediate CA ({size} bytes, "
        )),
        "{line}"
    );
    assert!(
        line.ends_with(&format!(
            " ms): 200 OK, {size} bytes served as application/pkix-cert"
        )),
        "{line}"
    );
}

#[test]
fn an_https_url_is_not_fetched_and_a_404_is_an_http_status() {
    let pki = Pki::new();
    let host = AiaHost::start();
    let https = format!("https://{}/inter.crt", host.addr);
    let (result, _env) = check_leaf_only(&pki, &https, &[], 1);
    let fetch = only_fetch(&result);
    assert_eq!(fetch.outcome, "unsupported-scheme");
    assert_eq!(
        fetch.detail,
        "not fetched: certcheck fetches http URLs only (AIA URLs are http), and this one is https"
    );
    assert_eq!(host.connections(), 0);

    let missing = host.url("/gone.crt");
    let (result, _env) = check_leaf_only(&pki, &missing, &[], 1);
    let fetch = only_fetch(&result);
    assert_eq!(fetch.outcome, "http-status");
    assert_eq!(fetch.status, Some(404));
    assert_eq!(fetch.detail, "the server answered 404 Not Found");
    assert!(
        result.finding("incomplete-chain").message.ends_with(&format!(
            "names it at {missing}; fetching it failed (http-status: the server answered 404 Not Found)"
        )),
        "{}",
        result.finding("incomplete-chain").message
    );
}

#[test]
fn more_than_three_redirects_are_too_many() {
    let pki = Pki::new();
    let host = AiaHost::start();
    for i in 1..=4 {
        host.serve(&format!("/r{i}"), Answer::Redirect(format!("/r{}", i + 1)));
    }
    let (result, _env) = check_leaf_only(&pki, &host.url("/r1"), &[], 1);
    let fetch = only_fetch(&result);
    assert_eq!(fetch.outcome, "too-many-redirects", "{fetch:#?}");
    assert_eq!(
        fetch.detail,
        format!(
            "more than 3 redirects ({}, {}, {}, then {})",
            host.url("/r2"),
            host.url("/r3"),
            host.url("/r4"),
            host.url("/r5")
        )
    );
    assert_eq!(host.connections(), 4);
}
