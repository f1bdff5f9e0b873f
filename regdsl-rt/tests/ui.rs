//! What the datasheet forbids does not compile (trybuild; expected messages in `tests/ui/`).
//! With a passing case (`tests/ui-pass/`) trybuild builds every case instead of only checking it:
//! `at_const`'s index check is a constant evaluated when the call is instantiated, which
//! `cargo check` does not do.
//! After a deliberate message change: `TRYBUILD=overwrite cargo test -p regdsl-rt --test ui`.

#[test]
fn compile_fail() {
    let t = trybuild::TestCases::new();
    t.compile_fail("tests/ui/*.rs");
    t.pass("tests/ui-pass/*.rs");
}
