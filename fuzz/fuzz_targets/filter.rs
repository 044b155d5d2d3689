//! Fuzz target `filter`: see `crm_core::fuzzing::filter`.
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| crm_core::fuzzing::filter(data));
