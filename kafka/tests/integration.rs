//! The real-Kafka shell's tests, one module per file.

mod judge;
mod translate;
