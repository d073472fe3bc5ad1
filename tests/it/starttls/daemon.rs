//! The one helper that runs a real Debian server for the STARTTLS tests: a temporary directory
//! with a generated certificate, configuration files written from templates, set-up commands
//! (initdb, mariadb-install-db), and the server itself started on free loopback ports, in a
//! process group of its own that is ended when the [`Daemon`] is dropped.
//!
//! Templates name `{dir}`, `{cert}`, `{key}`, `{chain}` and `{port0}`, `{port1}`, ...; every
//! process gets a cleared environment (no inherited SSL_CERT_FILE, proxies or locale; HOME and
//! TMPDIR are the server's directory, so two servers never share temporary files). A
//! program that is missing fails the test and names the Debian package (`.ci/run` installs
//! them with `.ci/starttls-servers.sh`); nothing is skipped.

use std::fs;
use std::io::Read;
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::os::unix::fs::{PermissionsExt, chown};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::support::{Pki, TestEnv, contract};

/// How long a server may take to listen (MariaDB and PostgreSQL take a second or two).
const START_LIMIT: Duration = Duration::from_secs(60);

/// A temporary directory holding a server's certificate, configuration, data and logs.
pub struct ServerDir {
    pub dir: tempfile::TempDir,
    /// Free loopback ports chosen for this server.
    pub ports: Vec<u16>,
    /// The account the server runs as, if not root: it owns the directory.
    user: Option<(u32, u32)>,
}

impl ServerDir {
    /// A directory with `chain.pem` (the leaf for `name` and the intermediate), `cert.pem` (the
    /// leaf alone) and `key.pem`, `ports` free loopback ports, owned by `user` when given.
    pub fn new(pki: &Pki, name: &str, ports: usize, user: Option<&str>) -> ServerDir {
        let dir = tempfile::tempdir().expect("tempdir");
        fs::set_permissions(dir.path(), fs::Permissions::from_mode(0o755)).expect("chmod");
        let leaf = pki.leaf(&[name]);
        let leaf_pem = pem::encode(&pem::Pem::new("CERTIFICATE", leaf.der.clone()));
        fs::write(dir.path().join("cert.pem"), &leaf_pem).expect("cert");
        fs::write(
            dir.path().join("chain.pem"),
            format!("{leaf_pem}{}", pki.inter.pem()),
        )
        .expect("chain");
        let key = dir.path().join("key.pem");
        fs::write(
            &key,
            pem::encode(&pem::Pem::new("PRIVATE KEY", leaf.key_der.clone())),
        )
        .expect("key");
        fs::set_permissions(&key, fs::Permissions::from_mode(0o600)).expect("chmod key");
        let user = user.map(account);
        let server = ServerDir {
            dir,
            ports: (0..ports).map(|_| free_port()).collect(),
            user,
        };
        server.chown_all();
        server
    }

    pub fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    /// `template` with the placeholders filled in.
    pub fn fill(&self, template: &str) -> String {
        let mut text = template
            .replace("{dir}", &self.dir.path().display().to_string())
            .replace("{cert}", &self.path("cert.pem").display().to_string())
            .replace("{chain}", &self.path("chain.pem").display().to_string())
            .replace("{key}", &self.path("key.pem").display().to_string());
        for (index, port) in self.ports.iter().enumerate() {
            text = text.replace(&format!("{{port{index}}}"), &port.to_string());
        }
        text
    }

    /// Writes `template`, filled in, to `name` (directories created).
    pub fn write(&self, name: &str, template: &str) {
        let path = self.path(name);
        if let Some(parent) = path.parent() {
            fs::create_dir_all(parent).expect("mkdir");
        }
        fs::write(&path, self.fill(template)).expect("write config");
        self.chown_all();
    }

    /// Creates directories (as the server's account).
    pub fn mkdir(&self, names: &[&str]) {
        for name in names {
            fs::create_dir_all(self.path(name)).expect("mkdir");
        }
        self.chown_all();
    }

    /// Gives `names` (and what is inside) to `user`, for a server that runs as root and hands
    /// directories to its workers (postfix).
    pub fn give(&self, names: &[&str], user: &str) {
        let (uid, gid) = account(user);
        for name in names {
            chown_tree(&self.path(name), uid, gid);
        }
    }

    fn chown_all(&self) {
        if let Some((uid, gid)) = self.user {
            chown_tree(self.dir.path(), uid, gid);
        }
    }

    /// A command for `program` (which must exist: else the test fails naming `package`) with
    /// filled-in `args`, a cleared environment, run as the server's account.
    pub fn command(&self, program: &str, package: &str, args: &[&str]) -> Command {
        assert!(
            Path::new(program).exists(),
            "{program} is missing: install Debian's {package} (.ci/starttls-servers.sh does, as .ci/run calls it)"
        );
        let mut command = Command::new(program);
        command
            .args(args.iter().map(|a| self.fill(a)))
            .env_clear()
            .env("PATH", "/usr/sbin:/usr/bin:/sbin:/bin")
            .env("HOME", self.dir.path())
            .env("TMPDIR", self.dir.path())
            .env("LANG", "C")
            .current_dir(self.dir.path())
            .stdin(Stdio::null());
        if let Some((uid, gid)) = self.user {
            command.uid(uid).gid(gid);
        }
        command
    }

    /// Runs a set-up step to completion, failing with its output if it fails.
    pub fn run(&self, program: &str, package: &str, args: &[&str]) {
        let output = self
            .command(program, package, args)
            .output()
            .unwrap_or_else(|e| panic!("{program} cannot run: {e}"));
        assert!(
            output.status.success(),
            "{program} failed ({}):\n{}\n{}",
            output.status,
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        );
    }

    /// Starts the server and waits until every port accepts; `logs` are shown if it does not.
    pub fn start(self, program: &str, package: &str, args: &[&str], logs: &[&str]) -> Daemon {
        let out = fs::File::create(self.path("daemon.out")).expect("log");
        let err = out.try_clone().expect("log");
        let child = self
            .command(program, package, args)
            .stdout(out)
            .stderr(err)
            .process_group(0)
            .spawn()
            .unwrap_or_else(|e| panic!("{program} cannot start: {e}"));
        let mut daemon = Daemon {
            child,
            logs: logs.iter().map(|l| self.path(l)).collect(),
            server: self,
        };
        let started = Instant::now();
        for port in daemon.server.ports.clone() {
            let address = SocketAddr::from(([127, 0, 0, 1], port));
            loop {
                if TcpStream::connect_timeout(&address, Duration::from_millis(200)).is_ok() {
                    break;
                }
                if let Ok(Some(status)) = daemon.child.try_wait() {
                    panic!(
                        "{program} exited ({status}) before listening:\n{}",
                        daemon.logs()
                    );
                }
                if started.elapsed() > START_LIMIT {
                    panic!(
                        "{program} did not listen on {address} within {START_LIMIT:?}:\n{}",
                        daemon.logs()
                    );
                }
                std::thread::sleep(Duration::from_millis(50));
            }
        }
        daemon
    }
}

/// A running server; dropping it ends its process group.
pub struct Daemon {
    child: Child,
    logs: Vec<PathBuf>,
    pub server: ServerDir,
}

impl Daemon {
    /// The `index`th port.
    pub fn port(&self, index: usize) -> u16 {
        self.server.ports[index]
    }

    /// `127.0.0.1:PORT` of the `index`th port, for `--connect-to`.
    pub fn address(&self, index: usize) -> String {
        format!("127.0.0.1:{}", self.port(index))
    }

    /// The server's output and log files, for a failure message.
    pub fn logs(&self) -> String {
        let mut text = String::new();
        for path in std::iter::once(self.server.path("daemon.out")).chain(self.logs.clone()) {
            let mut content = String::new();
            if let Ok(mut file) = fs::File::open(&path) {
                let _ = file.read_to_string(&mut content);
            }
            let tail: String = content
                .chars()
                .rev()
                .take(4000)
                .collect::<Vec<_>>()
                .into_iter()
                .rev()
                .collect();
            text.push_str(&format!("== {}\n{tail}\n", path.display()));
        }
        text
    }
}

impl Drop for Daemon {
    fn drop(&mut self) {
        // The group is the server's own (process_group(0)): its workers go with it.
        let group = format!("-{}", self.child.id());
        let _ = Command::new("kill").args(["-TERM", "--", &group]).status();
        let until = Instant::now() + Duration::from_secs(3);
        while Instant::now() < until {
            if let Ok(Some(_)) = self.child.try_wait() {
                break;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        let _ = Command::new("kill")
            .args(["-KILL", "--", &group])
            .stderr(Stdio::null())
            .status();
        let _ = self.child.wait();
    }
}

/// A port nothing listens on now (the kernel's choice for port 0).
pub fn free_port() -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    listener.local_addr().expect("address").port()
}

/// The uid and gid of `user`, from the system's account database (`id`).
fn account(user: &str) -> (u32, u32) {
    let id = |flag: &str| -> u32 {
        let output = Command::new("id")
            .args([flag, user])
            .env_clear()
            .output()
            .expect("id runs");
        String::from_utf8_lossy(&output.stdout)
            .trim()
            .parse()
            .unwrap_or_else(|_| panic!("no account '{user}': install the Debian package that creates it (.ci/starttls-servers.sh)"))
    };
    (id("-u"), id("-g"))
}

fn chown_tree(path: &Path, uid: u32, gid: u32) {
    let _ = chown(path, Some(uid), Some(gid));
    if let Ok(entries) = fs::read_dir(path) {
        for entry in entries.flatten() {
            let path = entry.path();
            if path.is_dir() {
                chown_tree(&path, uid, gid);
            } else {
                let _ = chown(&path, Some(uid), Some(gid));
            }
        }
    }
}

/// certcheck with `--json --ca-file root --connect-to 127.0.0.1:PORT` and `args`.
pub fn certcheck(env: &TestEnv, connect_to: &str, args: &[&str]) -> assert_cmd::Command {
    let mut cmd = env.cmd();
    cmd.arg("--json")
        .arg("--ca-file")
        .arg(&env.root_file)
        .args(["--connect-to", connect_to, "--timeout", "10"])
        .args(args);
    cmd
}

/// Checks that `report` is a trusted chain for `name` reached over `protocol`.
pub fn assert_trusted(report: &contract::Report, name: &str, protocol: &str, inferred: bool) {
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
pub fn check_ok(
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
