//! User-space driver for the Intel 82599 10 GbE controller.
