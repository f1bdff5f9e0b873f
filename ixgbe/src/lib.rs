//! Applications on the 82599 driver (`driver-82599`), kept out of the driver library so that a
//! user of the driver gets neither a simulator, nor clap, nor a responder:
//!
//! - the `ixgbe` command line (`src/main.rs`): `pktgen`, `fwd`, `echo`, `stats`, `regs`, on the
//!   simulated card by default or on real ports with `--pci`;
//! - [`responder`]: ARP and ICMP echo answered in place, zero copy (used by `ixgbe echo
//!   --respond`/`--tap` and `examples/responder.rs`).

pub mod responder;
