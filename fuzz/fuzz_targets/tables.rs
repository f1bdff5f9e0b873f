//! libFuzzer target: any bytes as a table file, through every tool (see
//! `regdsl::fuzzing::exercise`). A broken invariant is a crash, like a panic.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Err(e) = regdsl::fuzzing::exercise(data) {
        panic!("invariant broken: {e}");
    }
});
