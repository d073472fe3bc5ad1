//! certcheck: explains why a TLS certificate chain would or would not cause an SSL error.
//!
//! The crate is a one-way pipeline, one module per stage:
//! [`target`] → [`connect`] or [`chain::file`] → [`chain`] → [`trust`] → [`diagnose`] →
//! [`clients`] → [`report`] → [`evaluate`] → [`render`] → [`exit`], with [`run`] (one function
//! per mode) and [`demo`] on top. `ARCHITECTURE.md` is the map.

pub mod chain;
pub mod cli;
pub mod clients;
pub mod config;
pub mod connect;
pub mod demo;
pub mod diagnose;
pub mod evaluate;
pub mod exit;
pub mod par;
pub mod render;
pub mod report;
pub mod route;
pub mod run;
pub mod target;
pub mod trust;
