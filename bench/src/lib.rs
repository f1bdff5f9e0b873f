//! Driver benchmarks (issue 7): instructions and cycles per forwarded packet of the 82599
//! driver on the simulated card, and the throughput of `pktgen` and `fwd` with the card's
//! cost apart. The harnesses are here; `src/bin/` has the programs, `tests/quick.rs` runs a
//! quick mode of each. Results and commands: `BENCHMARKS.md` ("Driver").

pub mod args;
pub mod bus;
pub mod callgrind;
pub mod fwd;
pub mod ixy;
pub mod pktgen;
pub mod tsc;

pub use bus::CardBus;
pub use fwd::{BenchError, Fwd, FwdOptions, Totals};
pub use pktgen::Pktgen;
