//! certcheck: explains why a TLS certificate chain would or would not cause an SSL error.
//!
//! The crate is a one-way pipeline, one module per stage:
//! [`target`] → [`connect`] or [`chain::file`] → [`chain`] → [`trust`] → [`diagnose`] →
//! [`report`] → [`render`] → [`exit`].

pub mod app;
pub mod chain;
pub mod cli;
pub mod clients;
pub mod config;
pub mod connect;
pub mod demo;
pub mod diagnose;
pub mod exit;
pub mod par;
pub mod render;
pub mod report;
pub mod target;
pub mod trust;
