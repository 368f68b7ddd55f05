//! Identifiers and the record type, with Kafka's sentinel values.

use std::fmt;

/// A broker's `broker.id`. Non-negative.
pub type BrokerId = i32;
/// A leader epoch. Kafka's wire value `-1` ([`NO_EPOCH`]) means "none" or "skip the check".
pub type LeaderEpoch = i32;
/// The partition epoch (KRaft; the ZK-era `zkVersion`): bumped on every ISR or leader change.
pub type PartitionEpoch = i32;
/// A log offset.
pub type Offset = i64;
/// Milliseconds on the caller's clock. Nodes never read a clock; `now` is an input.
pub type Millis = u64;

/// Kafka's `RecordBatch.NO_PARTITION_LEADER_EPOCH` / "no epoch known".
pub const NO_EPOCH: LeaderEpoch = -1;
/// Kafka's `FetchRequest.CONSUMER_REPLICA_ID`: the request comes from a consumer.
pub const CONSUMER_REPLICA_ID: BrokerId = -1;
/// `FetchResponse.INVALID_PREFERRED_REPLICA_ID`: the leader does not redirect the client.
pub const NO_PREFERRED_REPLICA: BrokerId = -1;
/// `ListOffsetsRequest.LATEST_TIMESTAMP`.
pub const LATEST_TIMESTAMP: i64 = -1;
/// `ListOffsetsRequest.EARLIEST_TIMESTAMP`.
pub const EARLIEST_TIMESTAMP: i64 = -2;
/// `UNDEFINED_EPOCH_OFFSET` in an OffsetsForLeaderEpoch answer.
pub const UNDEFINED_OFFSET: Offset = -1;

/// A record as stored in a replica's log: the leader epoch it was appended in, and its value.
///
/// Kafka stamps the epoch on each batch (`partitionLeaderEpoch`, KIP-101); with one record per
/// batch the two are the same thing.
#[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Record {
    /// The leader epoch in which the leader appended this record.
    pub epoch: LeaderEpoch,
    /// The value the producer sent.
    pub value: u64,
}

/// A record with its offset, as carried in a fetch response and handed to a consumer.
#[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct OffsetRecord {
    /// The record's offset in the partition.
    pub offset: Offset,
    /// The record's leader epoch (`partitionLeaderEpoch` of its batch).
    pub epoch: LeaderEpoch,
    /// The record's value.
    pub value: u64,
}

impl OffsetRecord {
    /// The stored form, without the offset.
    pub fn record(&self) -> Record {
        Record { epoch: self.epoch, value: self.value }
    }
}

/// Every node of a cluster: the addresses messages travel between.
#[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum NodeId {
    /// The controller (the KRaft quorum, collapsed to one node).
    Controller,
    /// A broker hosting a replica of the partition.
    Broker(BrokerId),
    /// A consumer, numbered from 0.
    Consumer(u32),
    /// The producer.
    Producer,
}

impl fmt::Display for NodeId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            NodeId::Controller => write!(f, "controller"),
            NodeId::Broker(id) => write!(f, "broker-{id}"),
            NodeId::Consumer(id) => write!(f, "consumer-{id}"),
            NodeId::Producer => write!(f, "producer"),
        }
    }
}

/// A rack name (`broker.rack`, `client.rack`).
pub type Rack = String;
