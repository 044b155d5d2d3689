//! Fuzz target `csv_import`: see `crm_core::fuzzing::csv_import`.
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| crm_core::fuzzing::csv_import(data));
