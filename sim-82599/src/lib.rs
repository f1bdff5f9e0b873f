//! A behavioural model of the Intel 82599 10 GbE controller.
