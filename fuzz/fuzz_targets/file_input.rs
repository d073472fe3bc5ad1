//! Bytes as a certificate file → PEM/DER/PKCS#7 loading → parse → evaluate → JSON and human.
#![no_main]

use libfuzzer_sys::fuzz_target;

#[path = "../src/harness.rs"]
mod harness;

fuzz_target!(|data: &[u8]| harness::file_input(data));
