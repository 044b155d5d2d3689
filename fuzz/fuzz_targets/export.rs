//! Fuzz target `export`: see `crm_core::fuzzing::export`.
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| crm_core::fuzzing::export(data));
