//! # highwater (harness)
//!
//! What joins the suite's crates: the check runner (`run`), the protocol adapter (`adapter`),
//! trace files (`tracefile`), the operations built on them (`ops`: replay, conformance, bug
//! verification, the gate), and the `highwater` command line (`cli`), which parses flags into
//! those operations and prints their results. See the workspace README for each subcommand.
#![forbid(unsafe_code)]

pub mod adapter;
pub mod cli;
pub mod describe;
pub mod exit_codes;
pub mod interrupt;
pub mod liveness;
pub mod narrate;
pub mod ops;
pub mod pool;
pub mod rng;
pub mod run;
pub mod tracefile;
pub mod viewdiff;
pub mod viewer;
