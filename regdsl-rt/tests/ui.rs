//! What the datasheet forbids does not compile (trybuild; expected messages in `tests/ui/`).
//! After a deliberate message change: `TRYBUILD=overwrite cargo test -p regdsl-rt --test ui`.

#[test]
fn compile_fail() {
    let t = trybuild::TestCases::new();
    t.compile_fail("tests/ui/*.rs");
}
