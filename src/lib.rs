//! The `crm` crate: the root facade of the workspace, re-exporting [`crm_core`]. The README follows
//! (its Rust example is compiled and run as a doc test).
#![doc = include_str!("../README.md")]

pub use crm_core::*;
