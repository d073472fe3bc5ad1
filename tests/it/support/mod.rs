//! Shared set-up for the integration tests: a PKI generated at test time relative to a fixed
//! instant, TLS servers on 127.0.0.1, and a `TestEnv` that runs the binary with a controlled
//! environment (no inherited `SSL_CERT_FILE`/`SSL_CERT_DIR`, no colour).

pub mod contract;
pub mod schema;

use std::path::{Path, PathBuf};

use assert_cmd::Command;
use certcheck::demo::pki::{Authority, Leaf, Spec};
use certcheck::demo::server::TlsServer;
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

/// The instant every test validates at (`--at`).
pub const AT: &str = "2030-01-01T00:00:00Z";

/// [`AT`] as a time.
pub fn at() -> OffsetDateTime {
    OffsetDateTime::parse(AT, &Rfc3339).expect("AT is RFC 3339")
}

/// Days from [`AT`].
pub fn days(n: i64) -> OffsetDateTime {
    at() + time::Duration::days(n)
}

/// A root and an intermediate, plus an unrelated root for the "system" store.
pub struct Pki {
    pub root: Authority,
    pub inter: Authority,
    pub other_root: Authority,
}

impl Pki {
    pub fn new() -> Pki {
        let root = Authority::root(&Spec::ca("Test Root CA", at())).expect("root");
        let inter = root
            .intermediate(&Spec::ca("Test Intermediate CA", at()))
            .expect("intermediate");
        let other_root = Authority::root(&Spec::ca("Unrelated System Root", at())).expect("root");
        Pki {
            root,
            inter,
            other_root,
        }
    }

    /// A leaf for `names` issued by the intermediate.
    pub fn leaf(&self, names: &[&str]) -> Leaf {
        self.inter.leaf(&Spec::leaf(names, at())).expect("leaf")
    }

    /// A leaf from a custom spec issued by the intermediate.
    pub fn leaf_with(&self, spec: Spec) -> Leaf {
        self.inter.leaf(&spec).expect("leaf")
    }
}

/// Serves `chain` with `key` on 127.0.0.1.
pub fn serve(chain: Vec<Vec<u8>>, key: &Leaf) -> TlsServer {
    TlsServer::start(chain, key.key_der.clone()).expect("server starts")
}

/// Every proxy variable a client or certcheck reads: cleared for every command, so that a
/// proxy the machine exports never routes a test (the proxy tests set their own).
pub const PROXY_VARIABLES: [&str; 8] = [
    "https_proxy",
    "HTTPS_PROXY",
    "all_proxy",
    "ALL_PROXY",
    "no_proxy",
    "NO_PROXY",
    "http_proxy",
    "HTTP_PROXY",
];

/// A temporary directory with the trust files, and a way to run the binary.
pub struct TestEnv {
    pub dir: tempfile::TempDir,
    /// PEM of the test root (for `--ca-file`).
    pub root_file: PathBuf,
    /// PEM of an unrelated root, used as the system store.
    pub system_file: PathBuf,
}

impl TestEnv {
    pub fn new(pki: &Pki) -> TestEnv {
        let dir = tempfile::tempdir().expect("tempdir");
        let root_file = dir.path().join("root.pem");
        std::fs::write(&root_file, pki.root.pem()).expect("write root");
        let system_file = dir.path().join("system.pem");
        std::fs::write(&system_file, pki.other_root.pem()).expect("write system");
        TestEnv {
            dir,
            root_file,
            system_file,
        }
    }

    /// The binary, with `--at AT`, no colour and the system store set to the unrelated root.
    pub fn cmd(&self) -> Command {
        self.cmd_at(AT)
    }

    /// As [`TestEnv::cmd`] at another instant.
    pub fn cmd_at(&self, at: &str) -> Command {
        let mut cmd = self.base();
        cmd.args(["--at", at]);
        cmd
    }

    /// The binary with the controlled environment and no flags (for `stores`, which takes no
    /// `--at`). Tables are 160 columns wide (`COLUMNS`), so that tests can look for phrases that
    /// the default 80 columns would wrap.
    pub fn base(&self) -> Command {
        let mut cmd = Command::cargo_bin("certcheck").expect("binary");
        cmd.env("SSL_CERT_FILE", &self.system_file)
            .env("COLUMNS", "160")
            .env_remove("SSL_CERT_DIR")
            .env_remove("NO_COLOR")
            .env_remove("REQUESTS_CA_BUNDLE")
            .env_remove("CURL_CA_BUNDLE")
            .env_remove("NODE_EXTRA_CA_CERTS");
        for proxy in PROXY_VARIABLES {
            cmd.env_remove(proxy);
        }
        cmd
    }

    /// The binary as a `std::process::Command` (for a process that keeps running, such as
    /// `serve`), with the environment of [`TestEnv::cmd`], no proxy, and `--at AT`.
    pub fn process(&self) -> std::process::Command {
        let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_certcheck"));
        cmd.env("SSL_CERT_FILE", &self.system_file)
            .env_remove("SSL_CERT_DIR")
            .env_remove("NO_COLOR")
            .env_remove("REQUESTS_CA_BUNDLE")
            .env_remove("CURL_CA_BUNDLE")
            .env_remove("NODE_EXTRA_CA_CERTS");
        clear_proxies(&mut cmd);
        cmd.args(["--at", AT]);
        cmd
    }

    /// `cmd()` plus `--ca-file root.pem --json`, checking `target` via `--connect-to addr`.
    pub fn check(&self, target: &str, server: &TlsServer) -> Command {
        self.check_with_ca(target, server, &self.root_file)
    }

    /// As [`TestEnv::check`] with another `--ca-file`.
    pub fn check_with_ca(&self, target: &str, server: &TlsServer, ca_file: &Path) -> Command {
        let mut cmd = self.cmd();
        cmd.arg("--json")
            .arg("--ca-file")
            .arg(ca_file)
            .arg("--connect-to")
            .arg(server.addr.to_string())
            .arg(target);
        cmd
    }
}

/// Removes every proxy variable from `cmd`'s environment and exempts loopback, so that nothing
/// a test starts sends its traffic anywhere but 127.0.0.1.
pub fn clear_proxies(cmd: &mut std::process::Command) {
    for name in [
        "http_proxy",
        "https_proxy",
        "all_proxy",
        "HTTP_PROXY",
        "HTTPS_PROXY",
        "ALL_PROXY",
    ] {
        cmd.env_remove(name);
    }
    cmd.env("NO_PROXY", "127.0.0.1,localhost")
        .env("no_proxy", "127.0.0.1,localhost");
}

/// `name:port` for a server on 127.0.0.1 reached with `--connect-to`.
pub fn target(name: &str, server: &TlsServer) -> String {
    format!("{name}:{}", server.addr.port())
}

/// Runs `cmd`, expects `code`, and parses stdout as the JSON contract.
pub fn run_json(cmd: &mut Command, code: i32) -> contract::Report {
    let output = cmd.output().expect("runs");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(
        output.status.code(),
        Some(code),
        "exit code; stdout:\n{stdout}\nstderr:\n{stderr}"
    );
    schema::check_text(schema::Kind::Report, &stdout);
    serde_json::from_str(&stdout).unwrap_or_else(|e| panic!("JSON ({e}):\n{stdout}"))
}

/// RFC 3339 of a time, as certcheck prints it.
pub fn rfc3339(t: OffsetDateTime) -> String {
    t.format(&Rfc3339).expect("formats")
}

/// The instant the committed weak-crypto fixtures (`fixtures/make_weak.py`) are valid at.
pub const FIXTURES_AT: &str = "2026-01-15T00:00:00Z";

/// A committed fixture of `fixtures/weak/`.
pub fn fixture(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures/weak")
        .join(name)
}

/// The DER inside a committed PEM fixture.
pub fn fixture_der(name: &str) -> Vec<u8> {
    let text = std::fs::read(fixture(name)).expect("fixture");
    pem::parse(text).expect("PEM").into_contents()
}

/// Serves committed fixtures and checks them against their root at [`FIXTURES_AT`], expecting
/// exit `code`.
pub fn check_fixture(chain: &[&str], key: &str, name: &str, code: i32) -> contract::Report {
    let server = TlsServer::start(
        chain.iter().map(|c| fixture_der(c)).collect(),
        fixture_der(key),
    )
    .expect("server");
    let pki = Pki::new();
    let env = TestEnv::new(&pki);
    let mut cmd = env.cmd_at(FIXTURES_AT);
    cmd.args(["--json", "--ca-file"])
        .arg(fixture("root.pem"))
        .args(["--connect-to", &server.addr.to_string()])
        .arg(format!("{name}:{}", server.addr.port()));
    run_json(&mut cmd, code)
}

/// Serves `name` from a chain under a root that expired two days before [`AT`], with that root
/// as the `--ca-file`; returns the report and the CA file's path.
pub fn check_under_expired_root(name: &str) -> (contract::Report, PathBuf) {
    let pki = Pki::new();
    let old_root = Authority::root(&Spec::ca("Expired Root", at()).valid(days(-4000), days(-2)))
        .expect("root");
    let inter = old_root
        .intermediate(&Spec::ca("Inter Under Expired Root", at()))
        .expect("inter");
    let leaf = inter.leaf(&Spec::leaf(&[name], at())).expect("leaf");
    let server = serve(vec![leaf.der.clone(), inter.der()], &leaf);
    let env = TestEnv::new(&pki);
    let ca = env.dir.path().join("old-root.pem");
    std::fs::write(&ca, old_root.pem()).expect("write");
    let mut cmd = env.check_with_ca(&target(name, &server), &server, &ca);
    (run_json(&mut cmd, 1), ca)
}

/// What a test HTTP responder reads of a request: its head, up to the blank line (at most
/// 16 KiB, 10 s); `None` when the client closed or stalled first.
pub fn request_head(stream: &mut std::net::TcpStream) -> Option<Vec<u8>> {
    use std::io::Read;
    let _ = stream.set_read_timeout(Some(std::time::Duration::from_secs(10)));
    let mut head = Vec::new();
    let mut byte = [0u8; 1];
    while !head.ends_with(b"\r\n\r\n") && head.len() < 16 * 1024 {
        match stream.read(&mut byte) {
            Ok(1) => head.push(byte[0]),
            _ => return None,
        }
    }
    Some(head)
}
