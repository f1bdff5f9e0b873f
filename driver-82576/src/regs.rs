//! The register types, generated from the tables and nothing else: every BAR0 offset and bit the
//! driver uses comes from `registers/82576.txt`, every PHY register from `registers/82576-phy.txt`.
#![allow(non_snake_case, non_camel_case_types, clippy::all)]

regdsl_rt::registers!("../registers/82576.txt");

/// The internal PHY's clause 22 registers, reached through MDIC (see [`crate::mdio::Mdio`]).
pub mod phy {
    #![allow(non_snake_case, non_camel_case_types, clippy::all)]
    regdsl_rt::registers!("../registers/82576-phy.txt");
}
