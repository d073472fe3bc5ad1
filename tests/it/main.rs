//! The integration tests, in one binary (as ripgrep has them): the library and the `certcheck`
//! binary are linked once instead of once per area, `support` compiles once, and its helpers
//! that no test uses any more are reported as dead code.
//!
//! One module per area; run one area with `cargo test --test it limbo::` (a filter on the
//! module path). Every test shares the process with the others, so none may set environment
//! variables, change the working directory or bind a fixed port: commands get their environment
//! from `support::TestEnv`, servers listen on port 0. The one process-wide hook, limbo's panic
//! recorder, keeps only panics on the thread running a limbo case and passes the others on.

mod support;

mod aia;
mod catalogue;
mod cli;
mod client_cert;
mod clients;
mod differential;
mod findings;
mod fleet;
mod fuzz_regressions;
mod hostile;
mod inspect;
mod layering;
mod legacy;
mod limbo;
mod ocsp;
mod platform;
mod proxy;
mod revocation;
mod schema;
mod serve;
mod show;
mod snapshots;
mod starttls;
