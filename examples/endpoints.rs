//! Starts K TLS endpoints on 127.0.0.1 serving one valid chain for `localhost`, for the
//! benchmarks in `benches/`. Writes `ca.pem` (the root), `targets.txt` (one `127.0.0.1:PORT` per
//! line) and `urls.txt` (`https://localhost:PORT/`) into DIR, prints `ready`, and serves until
//! standard input closes.
//!
//! `cargo run --release --example endpoints -- K DIR`

use std::io::Read;
use std::path::PathBuf;

use certcheck::demo::pki::{Authority, Spec};
use certcheck::demo::server::TlsServer;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let count: usize = args.next().ok_or("usage: endpoints K DIR")?.parse()?;
    let dir = PathBuf::from(args.next().ok_or("usage: endpoints K DIR")?);
    std::fs::create_dir_all(&dir)?;
    let now = time::OffsetDateTime::now_utc();
    let root = Authority::root(&Spec::ca("Bench Root CA", now))?;
    let inter = root.intermediate(&Spec::ca("Bench Intermediate CA", now))?;
    let leaf = inter.leaf(&Spec::leaf(&["localhost"], now))?;
    std::fs::write(dir.join("ca.pem"), root.pem())?;
    let mut targets = String::new();
    let mut urls = String::new();
    let mut servers = Vec::new();
    for _ in 0..count {
        let server = TlsServer::start(vec![leaf.der.clone(), inter.der()], leaf.key_der.clone())?;
        targets.push_str(&format!("{}\n", server.addr));
        urls.push_str(&format!("https://localhost:{}/\n", server.addr.port()));
        servers.push(server);
    }
    std::fs::write(dir.join("targets.txt"), targets)?;
    std::fs::write(dir.join("urls.txt"), urls)?;
    println!("ready");
    let mut sink = Vec::new();
    let _ = std::io::stdin().read_to_end(&mut sink);
    Ok(())
}
