//! Arbitrary DER as one certificate of an otherwise valid chain → evaluate → JSON and human.
#![no_main]

use libfuzzer_sys::fuzz_target;

#[path = "../src/harness.rs"]
mod harness;

fuzz_target!(|data: &[u8]| harness::cert_model(data));
