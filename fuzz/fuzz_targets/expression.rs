//! Fuzz target `expression`: see `crm_core::fuzzing::expression`.
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| crm_core::fuzzing::expression(data));
