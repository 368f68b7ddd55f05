//! # highwater-model
//!
//! The specification: a stateright actor model of one Kafka partition with follower fetching
//! (KIP-392), written from the KIPs and the published TLA+ specs, not from the protocol crate.
//! Actors: controller, brokers (each with a rack), consumers (each with a `client.rack`) and a
//! producer. [`ClusterModel`] wraps stateright's `ActorModel` to add the environment: rack cuts,
//! the fault budget, produce steps and the ghost history every property reads.

#![deny(missing_docs)]

pub mod broker;
pub mod bugs;
pub mod checks;
pub mod cluster;
pub mod config;
pub mod consumer;
pub mod controller;
pub mod fair;
pub mod layout;
pub mod node;
pub mod producer;
mod reduce;
pub mod symmetry;
pub mod view;

pub use bugs::{BugSearch, ModelBug};
pub use cluster::{ClusterModel, ClusterState};
pub use config::{preset, ModelConfig, Preset, Selector, Semantics, PRESETS};
