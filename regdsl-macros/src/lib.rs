//! `registers!`: expands a regdsl table into typed register handles (see `regdsl-rt`).
