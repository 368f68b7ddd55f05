//! The harness's operations as a library, each with its own option and result types: replay a
//! trace, re-record one, sample conformance, verify the seeded bugs, run the gate. `cli` parses flags into these
//! and prints what they return.

pub mod availability;
pub mod bugs;
pub mod conform;
pub mod gate;
#[cfg(feature = "kafka")]
pub mod kafka_trace;
pub mod replay;
pub mod rerecord;
