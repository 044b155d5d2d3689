//! Fuzz target `condition`: see `crm_core::fuzzing::condition`.
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| crm_core::fuzzing::condition(data));
