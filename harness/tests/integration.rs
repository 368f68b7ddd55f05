//! The harness's tests, one module per file. The mutation oracle is a binary of its own
//! (`tests/mutation_oracle.rs`): `cargo mutants` runs it alone.

mod availability;
mod bench;
mod catalogue;
mod ci;
mod cli;
mod conformance_wire;
mod corpus;
mod failed_writes;
mod honest_verdicts;
mod interrupts;
#[cfg(feature = "kafka")]
mod kafka_cli;
mod minimise;
mod protocol_properties;
mod readme;
#[path = "support/report.rs"]
mod report;
mod search_engines;
mod semantics;
mod shards;
mod traces;
mod viewer;
