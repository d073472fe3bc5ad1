//! PKCS#12 (`.p12`, `.pfx`) files: the certificates inside, read with p12-keystore (pure Rust:
//! the legacy RC2/3DES encryption of `openssl pkcs12 -legacy` and the AES/PBKDF2 of OpenSSL 3's
//! default). Private keys are decrypted by the crate along the way and dropped at once: certcheck
//! never keeps, prints or reports key material.

use super::{LoadedCert, Part, Position};

/// The PKCS#7 `data` content type, which a PFX's authSafe has (RFC 7292 4).
const PKCS7_DATA: &str = "1.2.840.113549.1.7.1";

/// Whether `der` has the shape of a PFX: `SEQUENCE { INTEGER 3, ContentInfo { data, ... }, ... }`.
/// Only the shape is read, so a file that needs a password is still recognised.
pub(super) fn is_pfx(der: &[u8]) -> bool {
    yasna::parse_ber(der, |reader| {
        reader.read_sequence(|reader| {
            let version = reader.next().read_u8()?;
            let content_type = reader.next().read_sequence(|reader| {
                let oid = reader.next().read_oid()?;
                reader.next().read_der()?;
                Ok(oid)
            })?;
            // The optional macData and anything after it are not needed to know the shape.
            while reader.read_optional(|r| r.read_der())?.is_some() {}
            Ok(version == 3 && content_type.to_string() == PKCS7_DATA)
        })
    })
    .unwrap_or(false)
}

/// The certificates of a PFX, the one that belongs to a private key first (the leaf), then the
/// others in file order. `password` is `--password` or `CERTCHECK_P12_PASSWORD`; without one the
/// empty password is tried, as OpenSSL does.
pub(super) fn load_pkcs12(der: &[u8], password: Option<&str>) -> Result<Vec<LoadedCert>, String> {
    let archive = p12_keystore::Pkcs12Archive::from_pkcs12(der, password.unwrap_or(""))
        .map_err(|err| refusal(&err, password.is_some()))?;
    let mut bags = archive.certs;
    // A stable sort keeps file order among the rest.
    bags.sort_by_key(|bag| bag.local_key_id.is_none());
    if bags.is_empty() {
        return Err(format!(
            "is a PKCS#12 file without certificates ({} private key(s) ignored)",
            archive.keys.len()
        ));
    }
    Ok(bags
        .into_iter()
        .enumerate()
        .map(|(index, bag)| LoadedCert {
            der: bag.cert.as_der().to_vec(),
            position: Position {
                part: Part::Pkcs12,
                pkcs7_member: Some(index + 1),
            },
        })
        .collect())
}

/// Why a PFX could not be opened, in words that say what to do.
fn refusal(err: &p12_keystore::error::Error, password_given: bool) -> String {
    use p12_keystore::error::Error;
    match err {
        Error::MacError(_) | Error::UnpadError if !password_given => {
            "is a PKCS#12 file protected by a password; give it with --password PASSWORD or in the \
             CERTCHECK_P12_PASSWORD environment variable"
                .into()
        }
        Error::MacError(_) | Error::UnpadError => {
            "is a PKCS#12 file that the password given does not open (its integrity check failed); \
             check --password or CERTCHECK_P12_PASSWORD"
                .into()
        }
        Error::UnsupportedEncryptionScheme | Error::UnsupportedMacAlgorithm => format!(
            "is a PKCS#12 file with an encryption certcheck cannot read ({err}); convert it with \
             `openssl pkcs12 -in FILE -nokeys -out chain.pem`"
        ),
        _ => format!("is a PKCS#12 file that cannot be read ({err})"),
    }
}
