//! `inspect --key`: does a private key belong to the leaf? Key material is parsed only to derive
//! the public half and is never stored in a report, printed or logged.

use std::path::Path;

use x509_parser::prelude::FromDer;
use x509_parser::public_key::PublicKey;
use x509_parser::x509::SubjectPublicKeyInfo;

/// The public half of a private key, in the forms a certificate carries.
#[derive(Clone, PartialEq, Eq)]
pub enum PublicHalf {
    /// RSA modulus and exponent, without leading zeros.
    Rsa { modulus: Vec<u8>, exponent: Vec<u8> },
    /// An EC point as in SubjectPublicKeyInfo.
    Ec(Vec<u8>),
    /// An Ed25519 public key.
    Ed25519(Vec<u8>),
}

impl std::fmt::Debug for PublicHalf {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Only the public half is held here, but keep even that out of logs.
        f.write_str(match self {
            PublicHalf::Rsa { .. } => "PublicHalf::Rsa",
            PublicHalf::Ec(_) => "PublicHalf::Ec",
            PublicHalf::Ed25519(_) => "PublicHalf::Ed25519",
        })
    }
}

impl PublicHalf {
    /// `RSA`, `EC` or `Ed25519`.
    pub fn algorithm(&self) -> &'static str {
        match self {
            PublicHalf::Rsa { .. } => "RSA",
            PublicHalf::Ec(_) => "EC",
            PublicHalf::Ed25519(_) => "Ed25519",
        }
    }
}

const OID_RSA: &[u64] = &[1, 2, 840, 113549, 1, 1, 1];
const OID_EC: &[u64] = &[1, 2, 840, 10045, 2, 1];
const OID_ED25519: &[u64] = &[1, 3, 101, 112];

fn trim(bytes: &[u8]) -> Vec<u8> {
    let start = bytes.iter().position(|b| *b != 0).unwrap_or(bytes.len());
    bytes[start..].to_vec()
}

fn rsa_private(der: &[u8]) -> Option<PublicHalf> {
    yasna::parse_der(der, |r| {
        r.read_sequence(|r| {
            let _version = r.next().read_u8()?;
            let (modulus, _) = r.next().read_bigint_bytes()?;
            let (exponent, _) = r.next().read_bigint_bytes()?;
            for _ in 0..6 {
                r.next().read_der()?;
            }
            r.read_optional(|r| r.read_der())?;
            Ok(PublicHalf::Rsa {
                modulus: trim(&modulus),
                exponent: trim(&exponent),
            })
        })
    })
    .ok()
}

fn ec_private(der: &[u8]) -> Option<Option<PublicHalf>> {
    yasna::parse_der(der, |r| {
        r.read_sequence(|r| {
            let _version = r.next().read_u8()?;
            let _secret = r.next().read_bytes()?;
            let _params =
                r.read_optional(|r| r.read_tagged(yasna::Tag::context(0), |r| r.read_der()))?;
            let public = r.read_optional(|r| {
                r.read_tagged(yasna::Tag::context(1), |r| r.read_bitvec_bytes())
            })?;
            Ok(public.map(|(bytes, _)| PublicHalf::Ec(bytes)))
        })
    })
    .ok()
}

fn pkcs8(der: &[u8]) -> Result<PublicHalf, String> {
    let (oid, inner) = yasna::parse_der(der, |r| {
        r.read_sequence(|r| {
            let _version = r.next().read_u8()?;
            let oid = r.next().read_sequence(|r| {
                let oid = r.next().read_oid()?;
                r.read_optional(|r| r.read_der())?;
                Ok(oid)
            })?;
            let inner = r.next().read_bytes()?;
            r.read_optional(|r| r.read_der())?;
            r.read_optional(|r| r.read_der())?;
            Ok((oid, inner))
        })
    })
    .map_err(|_| "not a PKCS#8 private key".to_string())?;
    let components = oid.components().as_slice();
    if components == OID_RSA {
        rsa_private(&inner).ok_or_else(|| "the RSA private key is malformed".into())
    } else if components == OID_EC {
        ec_private(&inner)
            .ok_or_else(|| "the EC private key is malformed".to_string())?
            .ok_or_else(|| {
                "the EC private key does not include its public key, so it cannot be compared"
                    .into()
            })
    } else if components == OID_ED25519 {
        let seed = yasna::parse_der(&inner, |r| r.read_bytes())
            .map_err(|_| "the Ed25519 private key is malformed".to_string())?;
        let pair = ring::signature::Ed25519KeyPair::from_seed_unchecked(&seed)
            .map_err(|_| "the Ed25519 private key is malformed".to_string())?;
        use ring::signature::KeyPair;
        Ok(PublicHalf::Ed25519(pair.public_key().as_ref().to_vec()))
    } else {
        Err(format!("unsupported private key algorithm {oid}"))
    }
}

/// Reads a private key file (PEM PKCS#8, PKCS#1 RSA or SEC1 EC, or DER PKCS#8) and derives its
/// public half.
pub fn load_key(path: &Path) -> Result<PublicHalf, String> {
    let shown = path.display();
    let bytes = std::fs::read(path).map_err(|e| match e.kind() {
        std::io::ErrorKind::NotFound => format!("--key {shown}: no such file"),
        std::io::ErrorKind::PermissionDenied => format!("--key {shown}: permission denied"),
        _ => format!("--key {shown}: cannot be read ({e})"),
    })?;
    let fail = |why: String| format!("--key {shown}: {why}");
    if !bytes.windows(11).any(|w| w == b"-----BEGIN ") {
        return pkcs8(&bytes).map_err(fail);
    }
    let blocks =
        pem::parse_many(&bytes).map_err(|_| fail("the PEM data cannot be decoded".into()))?;
    let block = blocks
        .iter()
        .find(|b| b.tag().contains("PRIVATE KEY"))
        .ok_or_else(|| fail("holds no PRIVATE KEY block".into()))?;
    match block.tag() {
        "PRIVATE KEY" => pkcs8(block.contents()).map_err(fail),
        "RSA PRIVATE KEY" => rsa_private(block.contents())
            .ok_or_else(|| fail("the RSA private key is malformed".into())),
        "EC PRIVATE KEY" => ec_private(block.contents())
            .ok_or_else(|| fail("the EC private key is malformed".into()))?
            .ok_or_else(|| {
                fail(
                    "the EC private key does not include its public key, so it cannot be compared"
                        .into(),
                )
            }),
        "ENCRYPTED PRIVATE KEY" => Err(fail(
            "is encrypted; decrypt it first (openssl pkey -in KEY -out plain.pem)".into(),
        )),
        other => Err(fail(format!("'{other}' keys are not supported"))),
    }
}

/// The public half of a certificate's SubjectPublicKeyInfo, in the same form.
pub fn certificate_public_half(spki_der: &[u8]) -> Option<PublicHalf> {
    let (_, spki) = SubjectPublicKeyInfo::from_der(spki_der).ok()?;
    let oid: Vec<u64> = spki.algorithm.algorithm.iter()?.collect();
    if oid == OID_ED25519 {
        return Some(PublicHalf::Ed25519(spki.subject_public_key.data.to_vec()));
    }
    match spki.parsed().ok()? {
        PublicKey::RSA(rsa) => Some(PublicHalf::Rsa {
            modulus: trim(rsa.modulus),
            exponent: trim(rsa.exponent),
        }),
        PublicKey::EC(_) => Some(PublicHalf::Ec(spki.subject_public_key.data.to_vec())),
        _ => None,
    }
}
