//! `certcheck serve`: probes answered with metrics, bad requests refused with a sentence, its
//! bounds under load and hostile clients, and a real Prometheus (Debian's `prometheus`) scraping
//! it on loopback and queried over its HTTP API.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::process::{Child, ChildStderr, Command, Stdio};
use std::time::{Duration, Instant};

use certcheck::demo::pki::Spec;
use certcheck::demo::server::TlsServer;

use crate::support::{Pki, TestEnv, at, clear_proxies, days, serve};

/// A `certcheck serve` process, stopped when dropped.
struct Served {
    child: Child,
    addr: SocketAddr,
    _stderr: BufReader<ChildStderr>,
}

impl Served {
    /// Starts `certcheck --at AT serve --listen 127.0.0.1:0 ARGS` and waits for its address.
    fn start(env: &TestEnv, args: &[&str]) -> Served {
        let mut child = env
            .process()
            .args(["serve", "--listen", "127.0.0.1:0"])
            .args(args)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("certcheck serve starts");
        let mut stderr = BufReader::new(child.stderr.take().expect("stderr"));
        let mut line = String::new();
        stderr.read_line(&mut line).expect("reads stderr");
        let addr = line
            .split("http://")
            .nth(1)
            .and_then(|rest| rest.split('/').next())
            .and_then(|addr| addr.parse().ok())
            .unwrap_or_else(|| panic!("no address in {line:?}"));
        Served {
            child,
            addr,
            _stderr: stderr,
        }
    }

    fn get(&self, path: &str) -> (u16, String) {
        http(self.addr, "GET", path, "")
    }
}

impl Drop for Served {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// One HTTP/1.0 request (so that the answer is not chunked): the status and the body.
fn http(addr: SocketAddr, method: &str, path: &str, headers: &str) -> (u16, String) {
    let mut stream = TcpStream::connect(addr).expect("connects");
    stream
        .set_read_timeout(Some(Duration::from_secs(60)))
        .expect("timeout");
    // A server that refuses a request head may close before it is all sent: what it answered
    // is still there to read.
    let _ = write!(
        stream,
        "{method} {path} HTTP/1.0\r\nHost: {addr}\r\n{headers}\r\n"
    );
    read_answer(&mut stream)
}

fn read_answer(stream: &mut TcpStream) -> (u16, String) {
    let mut answer = Vec::new();
    let _ = stream.read_to_end(&mut answer);
    let answer = String::from_utf8_lossy(&answer).to_string();
    let status = answer
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    let body = answer
        .split_once("\r\n\r\n")
        .map(|(_, body)| body.to_string())
        .unwrap_or_default();
    (status, body)
}

/// A good (`good.test`) and an expired (`expired.test`) endpoint, and the env with their root.
fn two_endpoints() -> (TestEnv, TlsServer, TlsServer) {
    let pki = Pki::new();
    let good = pki.leaf(&["good.test"]);
    let expired = pki.leaf_with(Spec::leaf(&["expired.test"], at()).valid(days(-90), days(-3)));
    let good_server = serve(vec![good.der.clone(), pki.inter.der()], &good);
    let expired_server = serve(vec![expired.der.clone(), pki.inter.der()], &expired);
    (TestEnv::new(&pki), good_server, expired_server)
}

fn allow_root(env: &TestEnv) -> String {
    format!("test={}", env.root_file.display())
}

/// promtool's verdict on an exposition: its exit code and what it printed.
pub(crate) fn promtool(text: &str) -> (i32, String) {
    let mut child = Command::new("promtool")
        .args(["check", "metrics"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("promtool (Debian's prometheus package; .ci/run installs it) runs");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(text.as_bytes())
        .expect("writes");
    let output = child.wait_with_output().expect("promtool ends");
    let said = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    (output.status.code().unwrap_or(-1), said)
}

/// The one lint promtool has about certcheck's metrics: `certcheck_days_left` counts days, as
/// its name says (`certcheck_not_after_seconds` is the metric in the base unit).
pub(crate) const DAYS_LINT: &str =
    "certcheck_days_left use base unit \"seconds\" instead of \"days\"\n";

#[test]
fn probes_answer_metrics_and_malformed_requests_a_sentence() {
    let (env, good, expired) = two_endpoints();
    let served = Served::start(&env, &["--allow-ca-file", &allow_root(&env)]);
    let good_target = good.addr.to_string();
    let (status, body) = served.get(&format!(
        "/probe?target={good_target}&sni=good.test&ca_file=test"
    ));
    assert_eq!(status, 200, "{body}");
    assert!(body.contains(&format!(
        "certcheck_check_success{{target=\"{good_target}\"}} 1\n"
    )));
    assert!(body.contains(&format!(
        "certcheck_client_accepts{{target=\"{good_target}\",client=\"curl\"}} 1\n"
    )));
    assert!(body.contains(&format!(
        "certcheck_days_left{{target=\"{good_target}\"}} 45\n"
    )));
    assert_eq!(promtool(&body), (3, DAYS_LINT.to_string()));
    let expired_target = expired.addr.to_string();
    let (status, body) = served.get(&format!(
        "/probe?target={expired_target}&sni=expired.test&ca_file=test&client=curl&client=java"
    ));
    assert_eq!(status, 200, "{body}");
    assert!(body.contains(&format!(
        "certcheck_client_accepts{{target=\"{expired_target}\",client=\"curl\"}} 0\n"
    )));
    // client= selects the clients reported.
    assert!(!body.contains("client=\"go\""), "{body}");
    assert!(body.contains(&format!(
        "certcheck_days_left{{target=\"{expired_target}\"}} -3\n"
    )));
    // A target that refuses: metrics that say the check failed, not an HTTP error.
    let closed = TcpListener::bind("127.0.0.1:0").expect("bind");
    let closed_port = closed.local_addr().expect("addr").port();
    drop(closed);
    let (status, body) = served.get(&format!("/probe?target=127.0.0.1:{closed_port}"));
    assert_eq!(status, 200);
    assert!(body.contains("certcheck_check_success{target=\"127.0.0.1:"));
    assert!(body.contains("} 0\n"), "{body}");

    for (path, want, sentence) in [
        (
            "/probe".to_string(),
            400,
            "target is missing; ask for /probe?target=HOST:PORT, e.g. target=example.com:443\n",
        ),
        (
            format!("/probe?target={good_target}&ca_file=/etc/passwd"),
            400,
            "ca_file=/etc/passwd is not one of this server's --allow-ca-file names (test)\n",
        ),
        (
            "/probe?target=a.test&connect_to=10.0.0.1".to_string(),
            400,
            "unknown parameter 'connect_to'; /probe takes target, sni, client and ca_file\n",
        ),
        (
            "/probe?target=gopher://a.test".to_string(),
            400,
            "invalid target 'gopher://a.test': unsupported scheme 'gopher' (accepted: https://, smtps://, imaps://, pop3s://, ldaps://, ftps://, smtp://, submission://, imap://, pop3://, ftp://, ldap://, postgres:...\n",
        ),
        (
            "/elsewhere".to_string(),
            404,
            "nothing is served at /elsewhere; try /probe?target=HOST:PORT or /metrics\n",
        ),
        (
            format!("/probe?target={}", "a".repeat(3000)),
            414,
            "the query string has 3007 bytes; a probe takes at most 2048\n",
        ),
    ] {
        assert_eq!(served.get(&path), (want, sentence.to_string()), "{path}");
    }
    assert_eq!(
        http(
            served.addr,
            "POST",
            "/probe?target=a.test",
            "Content-Length: 0\r\n"
        ),
        (405, "method POST is not served; use GET\n".to_string())
    );
    // Larger than a request head may be: hyper refuses it before certcheck sees it, with a
    // status and nothing else.
    let (status, body) = served.get(&format!("/probe?target={}", "a".repeat(100_000)));
    assert!([414, 431].contains(&status), "{status} {body}");
    assert_eq!(body, "");

    let (status, body) = served.get("/metrics");
    assert_eq!(status, 200);
    assert!(body.contains("certcheck_probes_total 3\n"), "{body}");
    assert!(
        body.contains("certcheck_probe_failures_total 1\n"),
        "{body}"
    );
    assert!(
        body.contains("certcheck_probe_rejected_total 7\n"),
        "{body}"
    );
    assert!(
        body.contains("certcheck_probe_duration_seconds_count 3\n"),
        "{body}"
    );
    assert_eq!(promtool(&body), (0, String::new()));
}

#[test]
fn an_allowed_ca_file_that_cannot_be_read_stops_serve_with_a_sentence() {
    let (env, _good, _expired) = two_endpoints();
    let output = env
        .process()
        .args([
            "serve",
            "--listen",
            "127.0.0.1:0",
            "--allow-ca-file",
            "x=/nonexistent/ca.pem",
        ])
        .output()
        .expect("runs");
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.starts_with(
            "certcheck: --allow-ca-file x=/nonexistent/ca.pem: no certificate could be loaded"
        ),
        "{stderr}"
    );
}

/// A free port on 127.0.0.1 (bound and released: Prometheus takes only an address).
fn free_port() -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    listener.local_addr().expect("addr").port()
}

/// A Prometheus server, stopped when dropped.
struct Prometheus {
    child: Child,
    addr: SocketAddr,
    _dir: tempfile::TempDir,
}

impl Drop for Prometheus {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Prometheus {
    /// Starts Debian's prometheus on a free loopback port with `config` and its own storage.
    fn start(config: &str) -> Prometheus {
        let dir = tempfile::tempdir().expect("dir");
        let file = dir.path().join("prometheus.yml");
        std::fs::write(&file, config).expect("write config");
        let addr: SocketAddr = format!("127.0.0.1:{}", free_port()).parse().expect("addr");
        let mut cmd = Command::new("prometheus");
        cmd.arg(format!("--config.file={}", file.display()))
            .arg(format!(
                "--storage.tsdb.path={}",
                dir.path().join("data").display()
            ))
            .arg(format!("--web.listen-address={addr}"))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(dir.path().join("log")).expect("log"));
        clear_proxies(&mut cmd);
        let child = cmd
            .spawn()
            .expect("prometheus (Debian's prometheus package; .ci/run installs it) starts");
        Prometheus {
            child,
            addr,
            _dir: dir,
        }
    }

    /// The log so far, for a failure message.
    fn log(&self) -> String {
        std::fs::read_to_string(self._dir.path().join("log")).unwrap_or_default()
    }

    /// `/api/v1/query?query=QUERY`'s result vector, or nothing while Prometheus is not up.
    fn query(&self, query: &str) -> Vec<serde_json::Value> {
        let Ok(mut stream) = TcpStream::connect(self.addr) else {
            return Vec::new();
        };
        let _ = stream.set_read_timeout(Some(Duration::from_secs(10)));
        let request = format!(
            "GET /api/v1/query?query={query} HTTP/1.0\r\nHost: {}\r\n\r\n",
            self.addr
        );
        if stream.write_all(request.as_bytes()).is_err() {
            return Vec::new();
        }
        let (status, body) = read_answer(&mut stream);
        if status != 200 {
            return Vec::new();
        }
        let answer: serde_json::Value = serde_json::from_str(&body).unwrap_or_default();
        answer["data"]["result"]
            .as_array()
            .cloned()
            .unwrap_or_default()
    }
}

#[test]
fn a_real_prometheus_scrapes_serve_and_stores_each_clients_verdict() {
    let (env, good, expired) = two_endpoints();
    let served = Served::start(&env, &["--allow-ca-file", &allow_root(&env)]);
    // The README's scrape configuration, with this test's addresses.
    let config = format!(
        r#"global:
  scrape_interval: 1s
  scrape_timeout: 1s
scrape_configs:
  - job_name: certcheck
    metrics_path: /probe
    params:
      ca_file: [test]
    static_configs:
      - targets: ["{good}"]
        labels: {{__param_sni: good.test}}
      - targets: ["{expired}"]
        labels: {{__param_sni: expired.test}}
    relabel_configs:
      - source_labels: [__address__]
        target_label: __param_target
      - source_labels: [__param_target]
        target_label: instance
      - target_label: __address__
        replacement: "{served}"
  - job_name: certcheck-self
    static_configs:
      - targets: ["{served}"]
"#,
        good = good.addr,
        expired = expired.addr,
        served = served.addr
    );
    let prometheus = Prometheus::start(&config);
    let deadline = Instant::now() + Duration::from_secs(60);
    let series = loop {
        let series = prometheus.query("certcheck_client_accepts");
        if series.len() >= 24 || Instant::now() > deadline {
            break series;
        }
        std::thread::sleep(Duration::from_millis(300));
    };
    assert_eq!(
        series.len(),
        24,
        "two targets x the twelve measured clients (safari, android and windows decide, and are exported, only when named); Prometheus said:\n{series:?}\nlog:\n{}",
        prometheus.log()
    );
    let value = |target: &str, client: &str| -> String {
        series
            .iter()
            .find(|s| s["metric"]["instance"] == target && s["metric"]["client"] == client)
            .and_then(|s| s["value"][1].as_str())
            .unwrap_or("missing")
            .to_string()
    };
    for client in ["python-requests", "curl", "openssl", "node", "java", "go"] {
        assert_eq!(value(&good.addr.to_string(), client), "1", "{client}");
        assert_eq!(value(&expired.addr.to_string(), client), "0", "{client}");
    }
    // The probe's own counters are scraped too.
    let deadline = Instant::now() + Duration::from_secs(30);
    while prometheus.query("certcheck_probes_total").is_empty() && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(300));
    }
    assert_eq!(prometheus.query("certcheck_probes_total").len(), 1);
}

#[test]
fn serve_holds_its_bounds_under_a_thousand_probes_slow_clients_and_hanging_targets() {
    let (env, good, _expired) = two_endpoints();
    // A target that accepts TCP (the kernel's backlog) and never says a word.
    let hanging = TcpListener::bind("127.0.0.1:0").expect("bind");
    let hanging_addr = hanging.local_addr().expect("addr");
    let served = Served::start(
        &env,
        &[
            "--allow-ca-file",
            &allow_root(&env),
            "--timeout",
            "2",
            "--concurrency",
            "8",
        ],
    );
    // A slow client: half a request head, then silence.
    let mut slow = TcpStream::connect(served.addr).expect("connects");
    slow.write_all(b"GET /probe?target=").expect("sends");
    let slow_since = Instant::now();

    let requests: Vec<String> = (0..1000)
        .map(|i| match i % 10 {
            0 => format!("/probe?target={hanging_addr}"),
            1 => format!("/probe?target={}", "x".repeat(5000)),
            _ => format!("/probe?target={}&sni=good.test&ca_file=test", good.addr),
        })
        .collect();
    let mut streams: Vec<TcpStream> = requests
        .iter()
        .map(|path| {
            let mut stream = TcpStream::connect(served.addr).expect("connects");
            write!(stream, "GET {path} HTTP/1.0\r\n\r\n").expect("sends");
            stream
        })
        .collect();
    let started = Instant::now();
    let mut seen = std::collections::BTreeMap::<(u16, String), usize>::new();
    for (stream, path) in streams.iter_mut().zip(&requests) {
        stream
            .set_read_timeout(Some(Duration::from_secs(60)))
            .expect("timeout");
        let (status, body) = read_answer(stream);
        let kind = match status {
            200 if body.starts_with("# HELP certcheck_check_success") => "metrics".to_string(),
            503 if body.starts_with("busy: 8 probes were running for the whole") => {
                "busy".to_string()
            }
            414 if body.starts_with("the query string has 5007 bytes") => "too long".to_string(),
            _ => panic!("{path}: unexpected answer {status}: {body:?}"),
        };
        *seen.entry((status, kind)).or_default() += 1;
    }
    let took = started.elapsed();
    eprintln!("1,000 probes answered in {took:?}: {seen:?}");
    assert_eq!(seen.get(&(414, "too long".into())), Some(&100));
    assert!(seen.get(&(200, "metrics".into())).is_some_and(|n| *n >= 8));
    // Each probe waits at most --timeout for a slot, then is checked within --timeout: with
    // --max-connections 512 the second half waits for the first: about four timeouts in all.
    assert!(took < Duration::from_secs(30), "{took:?}");

    // The slow client was cut off after the head timeout, with nothing written to it.
    slow.set_read_timeout(Some(Duration::from_secs(30)))
        .expect("timeout");
    let mut rest = Vec::new();
    let _ = slow.read_to_end(&mut rest);
    assert!(slow_since.elapsed() < Duration::from_secs(30));
    assert!(
        rest.is_empty() || String::from_utf8_lossy(&rest).starts_with("HTTP/1.1 408"),
        "{rest:?}"
    );

    // Still serving, and nothing left running.
    let (status, body) = served.get(&format!(
        "/probe?target={}&sni=good.test&ca_file=test",
        good.addr
    ));
    assert_eq!(status, 200, "{body}");
    let (_, metrics) = served.get("/metrics");
    assert!(
        metrics.contains("certcheck_probes_in_flight 0\n"),
        "{metrics}"
    );
    let status =
        std::fs::read_to_string(format!("/proc/{}/status", served.child.id())).unwrap_or_default();
    let peak = status
        .lines()
        .find(|l| l.starts_with("VmHWM"))
        .unwrap_or("");
    eprintln!(
        "serve after the storm: {peak}; {}",
        metrics.replace('\n', " | ")
    );
    drop(hanging);
}
