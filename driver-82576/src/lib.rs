//! User-space driver for the Intel 82576 1 GbE controller (QEMU igb).
