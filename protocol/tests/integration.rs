//! The protocol crate's tests, one module per file. The random schedules are a binary of their
//! own (`tests/random_schedules.rs`), run on their own with more cases in CI.

mod common;
mod consumer;
mod follower;
mod leader;
mod metrics;
mod network_timing;
mod odd_messages;
mod outages;
mod producer;
mod scenarios;
mod seeded_bugs;
mod selector_laws;
