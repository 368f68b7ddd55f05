//! # highwater-kafka
//!
//! The model's scenarios run on real Apache Kafka. A KRaft cluster (a controller and three
//! brokers, in racks `a`, `b`, `b`, each place in a network namespace of its own) is started
//! from Maven's copy of Kafka ([`cluster`], [`netns`], [`maven`]); the protocol crate's
//! `Consumer` and `Producer`, unchanged, are driven against it in real time by a tokio shell
//! that speaks Kafka's wire protocol with the `kafka-protocol` crate ([`wire`], [`translate`],
//! [`driver`]); faults go through the namespaces and by killing brokers ([`scenario`]); and each
//! run's history is judged by the properties a client can observe ([`judge`]).
//!
//! Everything here needs root (namespaces, `tc`), Java and Maven; nothing in it is run by
//! `cargo test` but the translation and the judge, which need neither.
#![deny(missing_docs)]

pub mod cluster;
pub mod driver;
pub mod figures;
pub mod history;
pub mod judge;
pub mod maven;
pub mod netns;
pub mod scenario;
pub mod translate;
pub mod wire;

use std::path::Path;

/// Why a real-cluster command could not do its work.
#[derive(Debug, thiserror::Error)]
pub enum KafkaError {
    /// Bad input: a flag or file the user gave.
    #[error("{0}")]
    Input(String),
    /// The machine cannot run the cluster (no root, no Java, Maven unreachable, a broker that
    /// did not start): nothing was judged.
    #[error("{0}")]
    Environment(String),
    /// A scenario's step could not be taken.
    #[error("{0}")]
    Scenario(String),
}

impl KafkaError {
    /// A file that could not be read or written.
    pub fn io(path: &Path, error: std::io::Error) -> Self {
        KafkaError::Environment(format!("{}: {error}", path.display()))
    }
}
