//! Trust: load the stores and replay validation against each of them.

pub mod load;
pub mod platform;
pub mod replay;
pub mod store;

pub use replay::{PathCert, TrustResult, VerifiedPath, replay};
pub use store::{StoreKind, TrustStore};
