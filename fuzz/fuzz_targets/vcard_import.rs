//! Fuzz target `vcard_import`: see `crm_core::fuzzing::vcard_import`.
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| crm_core::fuzzing::vcard_import(data));
