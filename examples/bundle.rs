//! Writes a PEM bundle of N generated certificates for the `inspect` benchmark: N leaves issued by
//! one CA (`issued`), or N self-signed roots (`roots`), with expiries spread over two years.
//! Also writes `chain.pem` (leaf, intermediate, root) and `root.pem`.
//!
//! `cargo run --release --example bundle -- N DIR [issued|roots]`

use std::fmt::Write as _;
use std::path::PathBuf;

use certcheck::demo::pki::{Authority, Leaf, Spec};
use time::{Duration, OffsetDateTime};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let usage = "usage: bundle N DIR [issued|roots]";
    let count: usize = args.next().ok_or(usage)?.parse()?;
    let dir = PathBuf::from(args.next().ok_or(usage)?);
    let roots = args.next().as_deref() == Some("roots");
    std::fs::create_dir_all(&dir)?;
    let now = OffsetDateTime::now_utc();
    let root = Authority::root(&Spec::ca("Bundle Root CA", now))?;
    let inter = root.intermediate(&Spec::ca("Bundle Intermediate CA", now))?;
    let mut bundle = String::new();
    for i in 0..count {
        let name = format!("host{i}.bundle.test");
        let spec = Spec::leaf(&[name.as_str()], now).valid(
            now - Duration::days(10),
            now + Duration::days((i % 730) as i64 - 30),
        );
        let leaf = if roots {
            let mut spec = spec;
            spec.ca = Some(None);
            spec.eku.clear();
            Leaf::self_signed(&spec)?
        } else {
            inter.leaf(&spec)?
        };
        let _ = write!(
            bundle,
            "{}",
            pem::encode(&pem::Pem::new("CERTIFICATE", leaf.der))
        );
    }
    std::fs::write(dir.join("bundle.pem"), bundle)?;
    let leaf = inter.leaf(&Spec::leaf(&["chain.bundle.test"], now))?;
    let chain = format!(
        "{}{}{}",
        pem::encode(&pem::Pem::new("CERTIFICATE", leaf.der)),
        inter.pem(),
        root.pem()
    );
    std::fs::write(dir.join("chain.pem"), chain)?;
    std::fs::write(dir.join("root.pem"), root.pem())?;
    Ok(())
}
