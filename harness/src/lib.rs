//! # highwater (harness)
//!
//! The `highwater` command line and what joins the suite's crates: the check runner and its
//! reports. See the workspace README for each subcommand.

pub mod adapter;
pub mod cli;
pub mod exit_codes;
pub mod liveness;
pub mod rng;
pub mod run;
pub mod tracefile;
pub mod viewdiff;
