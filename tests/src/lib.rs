//! Workspace-level tests live in tests/*.rs (see Cargo.toml).
