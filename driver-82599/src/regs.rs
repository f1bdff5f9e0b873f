//! The register types, generated from the table (and nothing else: every offset and bit the
//! driver uses comes from `registers/82599.txt`).
#![allow(non_snake_case, non_camel_case_types, clippy::all)]

regdsl_rt::registers!("../registers/82599.txt");
