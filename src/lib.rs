//! scim-connector: a SCIM 2.0 provisioning service for contact-center operator accounts.
//!
//! Layers (dependencies point one way): `http -> domain -> scim`, `store -> domain -> scim`.

pub mod app;
pub mod config;
pub mod domain;
pub mod http;
pub mod scim;
pub mod store;
