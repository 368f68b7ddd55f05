//! The trace vocabulary's tests, one module per file.

mod itf_format;
mod json_laws;
mod observe;
