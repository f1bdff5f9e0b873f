//! The register-table language. See `GRAMMAR.md`.
pub mod model;
