//! User-space driver for the Intel 82599 10 GbE controller (in progress: device layer lands
//! with the generated register types).
pub mod config;
pub mod desc;
pub mod error;
pub mod rss;
pub mod stats;
