//! Code generation (owned by the macro work).
