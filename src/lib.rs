//! The `crm` crate: the root facade of the workspace, re-exporting [`crm_core`]. The README follows
//! (its Rust example is compiled and run as a doc test).
#![doc = include_str!("../README.md")]
// docs.rs (`--cfg docsrs`, nightly) marks each feature-gated item with its feature.
#![cfg_attr(docsrs, feature(doc_cfg))]

pub use crm_core::*;
