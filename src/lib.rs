pub use crm_core::*;
