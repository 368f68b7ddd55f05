#![doc = include_str!("../README.md")]
#![deny(missing_docs)]
#![forbid(unsafe_code)]

pub mod broker;
pub mod bugs;
pub mod config;
pub mod consumer;
pub mod controller;
pub mod errors;
pub mod log;
pub mod messages;
pub mod node;
pub mod producer;
pub mod selector;
pub mod sim;
pub mod types;

pub use broker::{Broker, DurableState, Role, RoleKind};
pub use bugs::{Bug, Bugs};
pub use config::{BrokerConfig, ConsumerConfig, ControllerConfig, FetchSemantics, ProducerConfig, ResetPolicy};
pub use consumer::{Consumer, ConsumerPhase, FetchPosition, PositionReset, ResetCause};
pub use controller::Controller;
pub use errors::ErrorCode;
pub use log::{LeaderEpochCache, ReplicaLog};
pub use messages::{
    AlterPartitionRequest, AlterPartitionResponse, EpochEndOffset, FetchRequest, FetchResponse, LeaderIdAndEpoch,
    ListOffsetsRequest, ListOffsetsResponse, Message, MetadataRequest, MetadataResponse, OffsetsForLeaderEpochRequest,
    OffsetsForLeaderEpochResponse, PartitionChange, ProduceRequest, ProduceResponse, ReplicaInfo,
};
pub use node::{IgnoreReason, Input, Outbox, Output, SeekTo, TimerKind};
pub use producer::Producer;
pub use selector::{
    ClientMetadata, LeaderSelector, PartitionView, RackAwareReplicaSelector, ReplicaSelector, ReplicaView, SelectorKind,
};
pub use types::{
    BrokerId, LeaderEpoch, Millis, NodeId, Offset, OffsetRecord, PartitionEpoch, Rack, Record, CONSUMER_REPLICA_ID,
    EARLIEST_TIMESTAMP, LATEST_TIMESTAMP, NO_EPOCH, NO_PREFERRED_REPLICA, UNDEFINED_OFFSET,
};

/// The code examples in the READMEs, compiled and run as doctests so that they stay true.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
#[doc = include_str!("../../README.md")]
pub struct ReadmeExamples;
