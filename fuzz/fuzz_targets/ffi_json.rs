//! Fuzz target `ffi_json`: see `crm_ffi::fuzz::ffi_json`.
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| crm_ffi::fuzz::ffi_json(data));
