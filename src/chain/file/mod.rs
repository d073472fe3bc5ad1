//! Certificates from local files: PEM bundles (text around blocks, CRLF, a byte-order mark) and DER.
//!
//! Every problem names the file and where in it (PEM block number and line, or byte offset), so a
//! bad `--ca-file` or `inspect` input can be fixed without guessing.

mod der;
mod pem;
mod pkcs12;
mod pkcs7;

use std::path::Path;

use super::Fingerprint;

/// Files larger than this are refused rather than read into memory.
pub const MAX_FILE_BYTES: u64 = 16 * 1024 * 1024;

/// Files of at least this size are mapped rather than copied into memory.
const MAP_FILE_BYTES: u64 = 1024 * 1024;

/// A certificate found in a file, with where it was found.
#[derive(Clone, Debug)]
pub struct LoadedCert {
    /// The DER bytes.
    pub der: Vec<u8>,
    /// Where it was.
    pub position: Position,
}

/// Where a certificate or a skipped entry is in its file. Kept as numbers and written only when a
/// message needs it: `PEM block 2 (line 31)`, `DER`, `PKCS#7 (DER), certificate 3`, `byte offset 1200`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Position {
    /// The part of the file.
    pub part: Part,
    /// The certificate's place (from 1) inside a PKCS#7 structure (or a PKCS#12 file).
    pub pkcs7_member: Option<usize>,
}

/// The part of a file an entry is in.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Part {
    /// The file as a whole: one DER structure.
    #[default]
    Der,
    /// A PEM block, whatever its label.
    PemBlock {
        /// The block's number, from 1.
        number: usize,
        /// The line of its BEGIN, from 1.
        line: usize,
    },
    /// A file of a directory as a whole (see [`EntryProblem::file`]).
    File,
    /// A PKCS#12 file; the certificate's place in it is `Position::pkcs7_member`.
    Pkcs12,
    /// The bytes of a DER file from this offset on (what follows its certificate; a certificate
    /// itself is never here).
    ByteOffset(usize),
}

impl From<Part> for Position {
    fn from(part: Part) -> Position {
        Position {
            part,
            pkcs7_member: None,
        }
    }
}

impl std::fmt::Display for Position {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match (self.part, self.pkcs7_member) {
            (Part::PemBlock { number, line }, _) => write!(f, "PEM block {number} (line {line})")?,
            (Part::ByteOffset(offset), _) => write!(f, "byte offset {offset}")?,
            (Part::Pkcs12, _) => f.write_str("PKCS#12")?,
            (Part::File, _) => f.write_str("the file")?,
            (Part::Der, Some(_)) => f.write_str("PKCS#7 (DER)")?,
            (Part::Der, None) => f.write_str("DER")?,
        }
        match self.pkcs7_member {
            Some(member) => write!(f, ", certificate {member}"),
            None => Ok(()),
        }
    }
}

/// Something in a file that is not a usable certificate, where it is and why.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EntryProblem {
    /// Where, as in [`LoadedCert::position`] (written by its `Display`).
    pub position: Position,
    /// What is wrong.
    pub message: String,
    /// Whether it is a private key (which certcheck ignores and never prints).
    pub private_key: bool,
    /// For a directory, the file inside it the entry is in.
    pub file: Option<String>,
}

impl EntryProblem {
    /// `source: where: what`, with the file inside a directory when there is one
    /// (`certs/bad.pem: PEM block 2 (line 31): ...`, `certs/notes.txt: is neither PEM nor DER`).
    pub fn describe(&self, source: &str) -> String {
        let source = match &self.file {
            Some(file) => format!("{}/{file}", source.trim_end_matches('/')),
            None => source.to_string(),
        };
        match self.position.part {
            Part::File => format!("{source}: {}", self.message),
            _ => format!("{source}: {}: {}", self.position, self.message),
        }
    }
}

/// What a file held: `T` is what the caller made of each certificate (see [`load_path_with`]).
#[derive(Clone, Debug)]
pub struct Loaded<T> {
    /// Certificates in file order.
    pub certs: Vec<T>,
    /// Entries that were skipped, with the reason.
    pub problems: Vec<EntryProblem>,
}

impl<T> Default for Loaded<T> {
    fn default() -> Self {
        Loaded {
            certs: Vec::new(),
            problems: Vec::new(),
        }
    }
}

/// What a file held, each certificate as DER with its position.
pub type LoadedFile = Loaded<LoadedCert>;

/// Turns a certificate into what the caller keeps. It runs on the thread that decoded the
/// certificate, so a large bundle is decoded and digested on every core without keeping its DER.
pub type MakeCert<'m, T> = dyn Fn(LoadedCert) -> T + Sync + 'm;

/// The file as a whole could not be used.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{path}: {reason}")]
pub struct FileError {
    /// The path as given.
    pub path: String,
    /// What is wrong with it.
    pub reason: String,
}

/// Reads `path` (`-` for standard input) and loads every certificate in it.
pub fn load_path(path: &Path) -> Result<LoadedFile, FileError> {
    load_path_with(path, &|cert| cert)
}

/// As [`load_path`], handing each certificate to `make` as soon as it is decoded.
pub fn load_path_with<T: Send>(
    path: &Path,
    make: &MakeCert<'_, T>,
) -> Result<Loaded<T>, FileError> {
    load_path_opened(path, None, make)
}

/// As [`load_path`], opening a PKCS#12 file with `password` (the empty one when `None`).
pub fn load_path_with_password(
    path: &Path,
    password: Option<&str>,
) -> Result<LoadedFile, FileError> {
    load_path_opened(path, password, &|cert| cert)
}

fn load_path_opened<T: Send>(
    path: &Path,
    password: Option<&str>,
    make: &MakeCert<'_, T>,
) -> Result<Loaded<T>, FileError> {
    if path.as_os_str() == "-" {
        return load_stdin(password, make);
    }
    if path.is_dir() {
        return load_directory(path, password, make);
    }
    load_file_opened(path, password, make)
}

/// A directory holds at most this many files certcheck reads; the rest are reported.
pub const MAX_DIRECTORY_FILES: usize = 10_000;

/// Every certificate in the files of a directory (as `SSL_CERT_DIR` or `/etc/ssl/certs`, hash-named
/// links or not), in file-name order, each certificate once: a hash-named link and the file it
/// points to, or a bundle that repeats the single files, give it once. Hidden files are skipped;
/// a file without a certificate is a problem of that file, not of the directory.
fn load_directory<T: Send>(
    path: &Path,
    password: Option<&str>,
    make: &MakeCert<'_, T>,
) -> Result<Loaded<T>, FileError> {
    let fail = |reason: String| FileError {
        path: path.display().to_string(),
        reason,
    };
    let mut names: Vec<std::ffi::OsString> = std::fs::read_dir(path)
        .map_err(|e| fail(io_reason(&e)))?
        .filter_map(|entry| entry.ok().map(|e| e.file_name()))
        .filter(|name| !name.to_string_lossy().starts_with('.'))
        .collect();
    names.sort();
    let mut problems = Vec::new();
    if names.len() > MAX_DIRECTORY_FILES {
        problems.push(EntryProblem {
            position: Part::File.into(),
            message: format!(
                "{} more files were not read (certcheck reads at most {MAX_DIRECTORY_FILES} files of a directory)",
                names.len() - MAX_DIRECTORY_FILES
            ),
            private_key: false,
            file: None,
        });
        names.truncate(MAX_DIRECTORY_FILES);
    }
    let mut seen = std::collections::HashSet::new();
    let mut certs = Vec::new();
    let mut files = 0;
    for name in names {
        let entry = path.join(&name);
        let shown = name.to_string_lossy().into_owned();
        // Subdirectories are not descended into, as OpenSSL does not.
        if entry.is_dir() {
            continue;
        }
        files += 1;
        match load_file_opened(&entry, password, &|cert| cert) {
            Ok(loaded) => {
                certs.extend(
                    loaded
                        .certs
                        .into_iter()
                        .filter(|cert| seen.insert(Fingerprint::of(&cert.der))),
                );
                problems.extend(loaded.problems.into_iter().map(|problem| EntryProblem {
                    file: Some(shown.clone()),
                    ..problem
                }));
            }
            Err(err) => problems.push(EntryProblem {
                position: Part::File.into(),
                message: err.reason,
                private_key: false,
                file: Some(shown),
            }),
        }
    }
    if certs.is_empty() {
        return Err(fail(format!(
            "is a directory without certificate files ({files} file(s) read, none held a certificate)"
        )));
    }
    Ok(Loaded {
        certs: certs.into_iter().map(make).collect(),
        problems,
    })
}

fn load_stdin<T: Send>(
    password: Option<&str>,
    make: &MakeCert<'_, T>,
) -> Result<Loaded<T>, FileError> {
    use std::io::Read;
    let fail = |reason: String| FileError {
        path: "-".into(),
        reason,
    };
    let mut bytes = Vec::new();
    std::io::stdin()
        .lock()
        .take(MAX_FILE_BYTES + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| fail(format!("standard input cannot be read ({e})")))?;
    if bytes.len() as u64 > MAX_FILE_BYTES {
        return Err(fail(format!(
            "standard input holds more than {MAX_FILE_BYTES} bytes; certcheck reads certificate files of at most that size"
        )));
    }
    if bytes.is_empty() {
        return Err(fail(
            "standard input is empty (pipe a certificate file into it, or give a file name)".into(),
        ));
    }
    load_bytes_opened(&bytes, password, make).map_err(fail)
}

/// Reads `path` and loads every certificate in it.
pub fn load_file(path: &Path) -> Result<LoadedFile, FileError> {
    load_file_opened(path, None, &|cert| cert)
}

fn load_file_opened<T: Send>(
    path: &Path,
    password: Option<&str>,
    make: &MakeCert<'_, T>,
) -> Result<Loaded<T>, FileError> {
    let shown = path.display().to_string();
    let fail = |reason: String| FileError {
        path: shown.clone(),
        reason,
    };
    let meta = std::fs::metadata(path).map_err(|e| fail(io_reason(&e)))?;
    if meta.is_dir() {
        return Err(fail("is a directory, not a certificate file".into()));
    }
    if meta.len() > MAX_FILE_BYTES {
        return Err(fail(format!(
            "is {} bytes; certcheck reads certificate files of at most {} bytes",
            meta.len(),
            MAX_FILE_BYTES
        )));
    }
    let file = std::fs::File::open(path).map_err(|e| fail(io_reason(&e)))?;
    if meta.len() >= MAP_FILE_BYTES {
        // SAFETY: the mapping is only read. Another process truncating the file meanwhile
        // would end certcheck with SIGBUS, a risk ripgrep takes for the same gain: a large
        // bundle is read from the page cache with no copy.
        if let Ok(map) = unsafe { memmap2::MmapOptions::new().populate().map(&file) } {
            return load_bytes_opened(&map, password, make).map_err(fail);
        }
    }
    let mut bytes = Vec::new();
    std::io::Read::read_to_end(&mut &file, &mut bytes).map_err(|e| fail(io_reason(&e)))?;
    load_bytes_opened(&bytes, password, make).map_err(fail)
}

fn io_reason(err: &std::io::Error) -> String {
    match err.kind() {
        std::io::ErrorKind::NotFound => "no such file".into(),
        std::io::ErrorKind::PermissionDenied => "permission denied".into(),
        _ => format!("cannot be read ({err})"),
    }
}

/// Loads certificates from file contents; `Err` is a sentence saying why nothing usable is there.
pub fn load_bytes(bytes: &[u8]) -> Result<LoadedFile, String> {
    load_bytes_with(bytes, &|cert| cert)
}

/// As [`load_bytes`], handing each certificate to `make` as soon as it is decoded.
pub fn load_bytes_with<T: Send>(bytes: &[u8], make: &MakeCert<'_, T>) -> Result<Loaded<T>, String> {
    load_bytes_opened(bytes, None, make)
}

fn load_bytes_opened<T: Send>(
    bytes: &[u8],
    password: Option<&str>,
    make: &MakeCert<'_, T>,
) -> Result<Loaded<T>, String> {
    if bytes.is_empty() {
        return Err("is empty".into());
    }
    let body = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    let loaded = if memchr::memmem::find(body, b"-----BEGIN ").is_some() {
        pem::load_pem(body, make)
    } else if body.first() == Some(&0x30) {
        match der::load_der(body) {
            Ok(loaded) => Loaded {
                certs: loaded.certs.into_iter().map(make).collect(),
                problems: loaded.problems,
            },
            Err(_) if pkcs12::is_pfx(body) => Loaded {
                certs: pkcs12::load_pkcs12(body, password)?
                    .into_iter()
                    .map(make)
                    .collect(),
                problems: Vec::new(),
            },
            Err(der_error) => match pkcs7::load_pkcs7(body, Position::default()) {
                Ok(certs) if !certs.is_empty() => Loaded {
                    certs: certs.into_iter().map(make).collect(),
                    problems: Vec::new(),
                },
                _ => return Err(der_error),
            },
        }
    } else {
        return Err(
            "is neither PEM (no '-----BEGIN' line) nor DER (does not start with a SEQUENCE)".into(),
        );
    };
    if loaded.certs.is_empty() {
        let detail = loaded
            .problems
            .iter()
            .map(|p| format!("{}: {}", p.position, p.message))
            .collect::<Vec<_>>()
            .join("; ");
        return Err(if detail.is_empty() {
            "holds no certificate".into()
        } else {
            format!("holds no usable certificate ({detail})")
        });
    }
    Ok(loaded)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn positions_read_as_before() {
        let pem = Position::from(Part::PemBlock {
            number: 2,
            line: 31,
        });
        assert_eq!(pem.to_string(), "PEM block 2 (line 31)");
        let member = Position {
            pkcs7_member: Some(3),
            ..pem
        };
        assert_eq!(member.to_string(), "PEM block 2 (line 31), certificate 3");
        assert_eq!(Position::default().to_string(), "DER");
        let der_member = Position {
            part: Part::Der,
            pkcs7_member: Some(1),
        };
        assert_eq!(der_member.to_string(), "PKCS#7 (DER), certificate 1");
        assert_eq!(
            Position::from(Part::ByteOffset(1200)).to_string(),
            "byte offset 1200"
        );
    }

    #[test]
    fn rejects_empty_garbage_and_certificate_free_pem() {
        assert_eq!(load_bytes(b"").unwrap_err(), "is empty");
        assert!(
            load_bytes(b"\x01\x02garbage")
                .unwrap_err()
                .contains("neither PEM")
        );
        assert!(
            load_bytes(b"hello\n-----BEGIN CERTIFICATE-----\n!!!\n-----END CERTIFICATE-----\n")
                .unwrap_err()
                .contains("PEM block 1 (line 2)")
        );
        assert!(
            load_bytes(b"\x30\x82\x05\x00\x01")
                .unwrap_err()
                .contains("truncated")
        );
    }

    /// Every kind of entry problem names its place as it always has.
    #[test]
    fn problems_name_their_place() {
        let key = rcgen::KeyPair::generate().unwrap();
        let params = rcgen::CertificateParams::new(vec!["p.test".into()]).unwrap();
        let der = params.self_signed(&key).unwrap().der().to_vec();
        let shown = |loaded: LoadedFile| {
            loaded
                .problems
                .iter()
                .map(|p| format!("{}: {}", p.position, p.message))
                .collect::<Vec<_>>()
        };
        let trailing = [&der[..], b"xyz"].concat();
        assert_eq!(
            shown(load_bytes(&trailing).unwrap()),
            [format!(
                "byte offset {}: 3 bytes of trailing data after the certificate",
                der.len()
            )]
        );
        let pem = ::pem::encode(&::pem::Pem::new("CERTIFICATE", der));
        let text = format!(
            "{pem}-----BEGIN X509 CRL-----\n-----BEGIN PRIVATE KEY-----\nAA==\n-----END PRIVATE KEY-----\n\
             -----BEGIN PKCS7-----\nAA==\n-----END PKCS7-----\n-----BEGIN CERTIFICATE-----\n"
        );
        // The blocks after the certificate's start on this line.
        let after = pem.lines().count() + 1;
        assert_eq!(
            shown(load_bytes(text.as_bytes()).unwrap()),
            [
                format!("PEM block 2 (line {after}): 'X509 CRL' block has no END line"),
                format!(
                    "PEM block 3 (line {}): a PRIVATE KEY is ignored (certcheck never reads or prints key material)",
                    after + 1
                ),
                format!(
                    "PEM block 4 (line {}): not a PKCS#7 structure (unknown/unsupported ASN.1 DER tag: 0x00)",
                    after + 4
                ),
                format!(
                    "PEM block 5 (line {}): 'CERTIFICATE' block is truncated (no END line)",
                    after + 7
                ),
            ]
        );
    }
}
