//! The register-table language. See `GRAMMAR.md`.
pub mod codegen;
pub mod model;
