//! # highwater-protocol
//!
//! A sans-IO implementation of one Kafka partition's replication protocol and of KIP-392 follower
//! fetching: brokers (leader and follower), the controller, a consumer and a producer, each a
//! state machine with no sockets, clocks, threads or randomness inside. It is the system under
//! test of the highwater suite and a reference for Rust implementers of Kafka-style replication.
//!
//! # Usage
//!
//! Every node is stepped the same way: `node.handle(now, input) -> Vec<Output>`.
//!
//! 1. Build the node from its config ([`BrokerConfig`], [`ConsumerConfig`], ...), then give it
//!    [`Input::Start`].
//! 2. For each message that arrives, call `handle(now, Input::Message { from, message })`.
//! 3. Carry out the outputs: [`Output::Send`] a message, [`Output::SetTimer`] /
//!    [`Output::CancelTimer`] (one pending timer per [`TimerKind`] per node; setting replaces),
//!    [`Output::DeliverRecords`] to the consumer's application, [`Output::Acknowledged`] to the
//!    producer's. [`Output::Ignored`] says an input had no effect, and why.
//! 4. When a timer is due, call `handle(now, Input::Timer(kind))`.
//!
//! [`sim::Cluster`] does all of this deterministically in memory and is how tests, replay and
//! property checks drive the nodes:
//!
//! ```
//! use highwater_protocol::sim::{Cluster, ClusterConfig};
//! use highwater_protocol::SelectorKind;
//!
//! // Three brokers over two racks; the consumer sits in the followers' rack.
//! let config = ClusterConfig::with_racks(&["a", "b", "b"])
//!     .selector(SelectorKind::RackAware)
//!     .consumer(Some("b"));
//! let mut cluster = Cluster::new(config);
//! cluster.run_until_quiet(1_000);
//! cluster.produce(42);
//! cluster.run_for(5_000, 10_000);
//! let consumer = cluster.consumer(0).unwrap();
//! assert_eq!(consumer.delivered()[0].value, 42);
//! assert!(consumer.preferred_read_replica().is_some(), "reads from a same-rack follower");
//! ```
//!
//! # Nodes
//!
//! - [`Broker`]: a replica. The controller's [`PartitionChange`] notices make it leader or
//!   follower. As leader it appends produced records, answers followers' fetches (detecting
//!   divergence from their `last_fetched_epoch`), advances the HW over the maximal ISR, proposes
//!   ISR changes with AlterPartition, and picks consumers' preferred read replicas. As follower it
//!   fetches, truncates on a diverging epoch before appending, and takes `min(leader HW, LEO)` as
//!   its HW. Either role serves consumers below its own HW. See [`broker`].
//! - [`Controller`]: elects leaders from the ISR, bumps the leader epoch on every election, is the
//!   only writer of the ISR, rejects stale AlterPartitions, publishes changes, answers Metadata.
//! - [`Consumer`]: follows the preferred read replica for a lease of `metadata.max.age.ms`,
//!   returns to the leader on lease expiry, offline metadata, a follower's OFFSET_OUT_OF_RANGE and
//!   metadata-refreshing errors, validates its position after a leader change (KIP-320), and
//!   resets only on the leader's word.
//! - [`Producer`]: acks=all, one request in flight.
//!
//! # Messages
//!
//! | message | sent by | handled by | follows |
//! |---|---|---|---|
//! | [`ProduceRequest`] / [`ProduceResponse`] | producer / leader | leader `on_produce` / producer | `ProduceRequest.json`, acks=all |
//! | [`FetchRequest`] / [`FetchResponse`] | follower, consumer / replica | `on_replica_fetch`, `on_consumer_fetch` / `on_fetch_response` | `FetchRequest.json` v12+, KIP-392, KIP-320 |
//! | [`OffsetsForLeaderEpochRequest`] / [`OffsetsForLeaderEpochResponse`] | consumer / leader | `on_offsets_for_leader_epoch` / consumer validation | `OffsetForLeaderEpochRequest.json` v4, KIP-320, KIP-392 |
//! | [`ListOffsetsRequest`] / [`ListOffsetsResponse`] | consumer / leader | `on_list_offsets` / consumer reset | `ListOffsetsRequest.json`, KIP-207 |
//! | [`MetadataRequest`] / [`MetadataResponse`] | clients / controller | controller / clients | `MetadataResponse.json` |
//! | [`AlterPartitionRequest`] / [`AlterPartitionResponse`] | leader / controller | controller / `on_alter_partition_response` | `AlterPartitionRequest.json`, KIP-497, KIP-841 |
//! | [`PartitionChange`] | controller | broker `on_partition_change` | KRaft `PartitionChangeRecord` |
//!
//! Responses echo the request fields a client needs to judge them (Kafka pairs them by
//! correlation id instead); see [`messages`].
//!
//! # Departures from Apache Kafka, and why
//!
//! - Followers are told the epoch's divergence in the fetch response (`diverging_epoch`, IBP 2.7+)
//!   rather than by a separate OffsetsForLeaderEpoch round; truncation follows KIP-279.
//! - Fetches are long-polled, as in Kafka's purgatory (`DelayedFetch`), but answered by news, not
//!   by size: the leader parks a follower's fetch until it has records or a HW the follower has
//!   not been sent, and a replica parks a consumer's fetch until it can read or
//!   `fetch.max.wait.ms` is up (`fetch.min.bytes` = 1). A parked follower fetch has no
//!   `replica.fetch.wait.max.ms` expiry: the leader's news, a reset connection or a leadership
//!   change ends it. A follower fetches again as soon as an answer comes.
//! - A connection reset is signalled to both ends at once ([`Input::Disconnected`]); request
//!   timeouts remain as a backstop.
//! - On OFFSET_OUT_OF_RANGE a follower truncates to the leader's HW (which the response carries)
//!   instead of asking the leader's end offset with ListOffsets.
//! - A consumer's OffsetsForLeaderEpoch answer above the HW is capped at the HW, except inside the
//!   KIP-207 window, where it is OFFSET_NOT_AVAILABLE (KIP-392 discussion; capping there would make
//!   the consumer detect a truncation that did not happen).
//! - The consumer starts at offset 0 with no epoch, as if resuming from a committed offset.
//!
//! # Seeded bugs
//!
//! [`Bug`] lists the historical bugs a node can be built with (all off by default): see the table
//! in the crate's `README.md` and [`Bug::changes`] / [`Bug::breaks`].

#![deny(missing_docs)]

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
