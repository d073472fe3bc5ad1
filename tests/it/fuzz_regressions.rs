//! Inputs found by `cargo fuzz` (see `fuzz/`), replayed through the same code paths as the fuzz
//! targets (`fuzz/src/harness.rs` is compiled into this test as is). Every crash the fuzzers
//! find becomes a test here.
//!
//! The seeds the fuzzers start from are checked here as well; set `CERTCHECK_FUZZ_SEEDS=DIR` to
//! also write them to `DIR/<target>/` (for `cargo fuzz run <target> DIR/<target>`).

#[path = "../../fuzz/src/harness.rs"]
mod harness;

#[test]
fn seeds_run_through_both_targets() {
    let out = std::env::var_os("CERTCHECK_FUZZ_SEEDS").map(std::path::PathBuf::from);
    for (target, name, data) in harness::seeds() {
        match target {
            "file_input" => harness::file_input(&data),
            _ => harness::cert_model(&data),
        }
        if let Some(dir) = &out {
            let dir = dir.join(target);
            std::fs::create_dir_all(&dir).expect("seed directory");
            std::fs::write(dir.join(name), &data).expect("write seed");
        }
    }
}

#[test]
fn the_valid_seed_chain_is_trusted() {
    // The fixture itself must be a good chain, or the fuzzers explore only failure paths.
    let f = harness::fixture();
    let report = harness::evaluate_chain(&[f.leaf.clone(), f.inter.clone()], &[]);
    assert!(
        report.trust.iter().all(|t| t.trusted),
        "{:#?}",
        report.findings
    );
}

/// A DER TLV with a definite length.
fn tlv(tag: u8, content: &[u8]) -> Vec<u8> {
    let mut out = vec![tag];
    let len = content.len();
    if len < 0x80 {
        out.push(len as u8);
    } else {
        let bytes: Vec<u8> = len
            .to_be_bytes()
            .into_iter()
            .skip_while(|b| *b == 0)
            .collect();
        out.push(0x80 | bytes.len() as u8);
        out.extend(bytes);
    }
    out.extend_from_slice(content);
    out
}

/// `der` (an rcgen v3 certificate, so 2-byte lengths and `A0 03 02 01 02` first in the TBS)
/// re-encoded with `version` as the content of its version INTEGER. The signature no longer
/// matches, which does not matter to parsing.
fn with_version(der: &[u8], version: &[u8]) -> Vec<u8> {
    assert_eq!(
        &der[..2],
        &[0x30, 0x82],
        "outer SEQUENCE with a 2-byte length"
    );
    assert_eq!(
        &der[4..6],
        &[0x30, 0x82],
        "TBS SEQUENCE with a 2-byte length"
    );
    let tbs_len = usize::from(u16::from_be_bytes([der[6], der[7]]));
    let tbs = &der[8..8 + tbs_len];
    assert_eq!(&tbs[..5], &[0xa0, 3, 2, 1, 2], "version v3");
    let rest = &der[8 + tbs_len..];
    let mut new_tbs = tlv(0xa0, &tlv(0x02, version));
    new_tbs.extend_from_slice(&tbs[5..]);
    let mut outer = tlv(0x30, &new_tbs);
    outer.extend_from_slice(rest);
    tlv(0x30, &outer)
}

#[test]
fn version_integer_of_u32_max_does_not_overflow() {
    // X.509 versions are 0..=2, but x509-parser accepts any u32; certcheck reported
    // `version + 1`, which overflowed (a panic in debug builds) for 0xFFFFFFFF.
    let f = harness::fixture();
    for version in [
        &[0x00, 0xff, 0xff, 0xff, 0xff][..],
        &[0x7f, 0xff, 0xff, 0xff],
        &[0x05],
    ] {
        let leaf = with_version(&f.leaf, version);
        let info = certcheck::chain::parse_certificate(&leaf);
        assert!(info.is_ok(), "{info:?}");
        let mut data = vec![0u8];
        data.extend_from_slice(&leaf);
        harness::cert_model(&data);
        let mut data = vec![1u8];
        data.extend_from_slice(&with_version(&f.inter, version));
        harness::cert_model(&data);
        harness::file_input(&leaf);
    }
}
