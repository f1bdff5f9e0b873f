//! A user's crate with strict lints: `registers!` output must build without a warning under
//! `missing_docs`, `unreachable_pub` and clippy's pedantic group (issue 13.9). Building this
//! crate (and `cargo clippy --workspace -- -D warnings`) is the test.
#![deny(missing_docs, unreachable_pub)]
#![deny(clippy::pedantic)]

regdsl_rt::registers!(
    /// The Intel 82599's registers.
    pub mod ixgbe, "../../registers/82599.txt"
);
regdsl_rt::registers!(
    /// The Intel 82576's registers.
    pub mod igb, "../../registers/82576.txt"
);
regdsl_rt::registers!(
    /// A 16550 UART (8-bit registers).
    pub mod uart, "../../registers/uart16550.txt"
);
regdsl_rt::registers!(
    /// PCI configuration space, type 0 header (8-, 16- and 32-bit registers).
    pub mod pci, "../../registers/pci-type0.txt"
);

// A private module: its items are `pub` inside it (unreachable_pub must not fire).
regdsl_rt::registers!(mod private_uart, "../../registers/uart16550.txt");

/// Uses the private table, so that it is not dead code.
pub fn uart_scratch<B: regdsl_rt::Bus>(bus: B) -> u8 {
    private_uart::Regs::new(bus).SCR().read().bits()
}
