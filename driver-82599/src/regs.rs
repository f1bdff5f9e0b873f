//! The register types, generated from the table (and nothing else: every offset and bit the
//! driver uses comes from `registers/82599.txt`).
#![allow(non_snake_case, non_camel_case_types, clippy::all)]

regdsl_rt::registers!("../registers/82599.txt");

/// Elements of a register array, from its rows in the table (`<NAME::Reg as
/// regdsl_rt::ArraySpec>::SEGMENTS`): lengths the driver needs as constants (RSS key and
/// redirection table, statistics queues) come from the table instead of being restated.
pub const fn elements(segs: &[regdsl_rt::Seg]) -> usize {
    let mut n = 0;
    let mut i = 0;
    while i < segs.len() {
        n += (segs[i].max - segs[i].min) as usize + 1;
        i += 1;
    }
    n
}
