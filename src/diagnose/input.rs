//! Findings about the input itself rather than the chain: a skipped entry of a certificate file,
//! and a private key (`inspect --key`) that does not belong to the leaf.

use super::text::generic_hint;
use super::{Finding, FindingCode, Scope};
use crate::chain::CertInfo;
use crate::chain::file::EntryProblem;
use crate::chain::key::{PublicHalf, certificate_public_half};

/// A skipped entry of the input file `target` as a finding: a private key is info (certcheck
/// ignores it and never prints it), anything else an error.
pub fn entry_problem(target: &str, problem: &EntryProblem) -> Finding {
    let message = problem.describe(target);
    if problem.private_key {
        Finding::new(
            FindingCode::PrivateKeyInFile,
            None,
            Scope::AllStores,
            message,
            generic_hint(FindingCode::PrivateKeyInFile),
        )
    } else {
        Finding::new(
            FindingCode::MalformedCertificate,
            None,
            Scope::AllStores,
            message,
            "Fix or remove the broken entry; clients that read this file fail or skip it.",
        )
    }
}

/// `inspect --key`: `key-mismatch` when the key read from `key_path` is not the leaf's, else
/// `key-matches`, so a match is confirmed rather than left to silence.
pub fn key_check(key: &PublicHalf, key_path: &str, leaf: &CertInfo) -> Finding {
    if certificate_public_half(&leaf.spki_der).as_ref() == Some(key) {
        return Finding::new(
            FindingCode::KeyMatches,
            Some(0),
            Scope::AllStores,
            format!(
                "the private key in {key_path} belongs to certificate 0 ({}): its public key is the certificate's {} {} key",
                leaf.subject, leaf.key.algorithm, leaf.key.bits
            ),
            generic_hint(FindingCode::KeyMatches),
        );
    }
    Finding::new(
        FindingCode::KeyMismatch,
        Some(0),
        Scope::AllStores,
        format!(
            "the private key in {key_path} ({}) does not belong to certificate 0 ({}), whose public key is {} {}",
            key.algorithm(),
            leaf.subject,
            leaf.key.algorithm,
            leaf.key.bits
        ),
        generic_hint(FindingCode::KeyMismatch),
    )
}
