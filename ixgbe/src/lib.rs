//! Applications on the 82599 driver (`driver-82599`), kept out of the driver library so that a
//! user of the driver gets neither a simulator, nor clap, nor a responder:
//!
//! - the `ixgbe` command line (`src/main.rs`): `pktgen`, `fwd`, `echo`, `stats`, `regs`, on the
//!   simulated card by default or on real ports with `--pci`;
//!   Ctrl-C (SIGINT) or SIGTERM stops a loop, which prints its totals (per port: rx, tx,
//!   drops); the program exits 0. On that path, on errors (exit 1) and on panics (exit 101,
//!   unwinding) the devices are dropped before the DMA memory they used is released, and
//!   `Device::drop` stops the card (the driver's crate docs, "Stopping"); the program never
//!   calls `process::exit`. On the simulated card the strict-mode rules are checked after the
//!   devices are gone. A second signal kills the program at once (the card is then left as it
//!   was; the next open disables its mastering and resets it). `regs --pci` and `stats --pci`
//!   only map BAR0 read-only (`pci_dma::Sysfs::map_bar_read_only`); `--init` takes the device;
//! - [`fdir_rule`]: the `--fdir` rules of `fwd` and `echo` (Flow Director filters);
//! - [`signal`]: SIGINT/SIGTERM as a flag the loops check, so that a program stops by
//!   returning and its devices are dropped (used by the command line and the example);
//! - [`responder`]: ARP and ICMP echo answered in place, zero copy (used by `ixgbe echo
//!   --respond`/`--tap` and `examples/responder.rs`).

pub mod fdir_rule;
pub mod responder;
pub mod signal;
