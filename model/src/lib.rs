//! # highwater-model
//!
//! The specification: a stateright actor model of one Kafka partition with follower fetching
//! (KIP-392), written from the KIPs and the published TLA+ specs, not from the protocol crate.
//! Actors: controller, brokers (each with a rack), consumers (each with a `client.rack`) and a
//! producer. [`ClusterModel`] wraps stateright's `ActorModel` to add the environment: rack cuts,
//! the fault budget, produce steps and the ghost history every property reads.

#![deny(missing_docs)]
#![forbid(unsafe_code)]

mod actor_hash;
mod broker;
mod bugs;
mod checks;
mod cluster;
mod config;
mod connections;
mod consumer;
mod controller;
mod explorer;
pub mod fair;
mod layout;
mod lease;
pub mod liveness_memo;
mod node;
mod outage;
mod producer;
mod record;
mod reduce;
mod state_text;
mod step;
#[cfg(test)]
mod step_rule_tests;
pub mod symmetry;
pub mod view;

pub use bugs::{BugSearch, ModelBug};
pub use cluster::{ClusterModel, ClusterState, Cuts};
pub use config::{preset, ModelConfig, Preset, Selector, Semantics, PRESETS};
