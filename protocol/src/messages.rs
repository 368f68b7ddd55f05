//! The message set, shaped after Kafka's JSON message schemas (`clients/src/main/resources/common/message/`).
//!
//! Field names are Kafka's, in snake case; sentinels are Kafka's (`-1` for "no epoch", "consumer",
//! "no preferred replica"). One partition means the topic/partition nesting is dropped.
//!
//! Kafka pairs a response with its request by the header's correlation id, and the client then
//! judges the response against the request it kept. A sans-IO node keeps no such table, so each
//! response echoes the request fields the client needs for that judgement (`fetch_offset` and
//! `request_leader_epoch` on a fetch response, for instance). These echoes are the only fields
//! that are not in Kafka's schemas, and each is named as one.

use crate::errors::ErrorCode;
use crate::types::{BrokerId, LeaderEpoch, Offset, OffsetRecord, PartitionEpoch, Rack};

/// Produce with acks=all (`ProduceRequest`, one record).
#[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ProduceRequest {
    /// Always `-1` (acks=all): the only setting under which "committed" means anything.
    pub acks: i16,
    /// The record's value.
    pub value: u64,
}

/// `ProduceResponse`.
#[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ProduceResponse {
    /// NONE, NOT_LEADER_OR_FOLLOWER or NOT_ENOUGH_REPLICAS.
    pub error_code: ErrorCode,
    /// The offset the record was written at, or `-1`.
    pub base_offset: Offset,
    /// Echo of the request's value, standing in for the correlation id.
    pub value: u64,
    /// The leader and epoch the broker knows (KIP-951's `CurrentLeader`), so that a producer
    /// refused with NOT_LEADER_OR_FOLLOWER can retry there without waiting for metadata.
    pub current_leader: LeaderIdAndEpoch,
}

/// `FetchRequest` v12+ (one partition), from a follower or a consumer.
#[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct FetchRequest {
    /// The follower's broker id, or [`crate::CONSUMER_REPLICA_ID`].
    pub replica_id: BrokerId,
    /// The client's `client.rack`; empty when unset (KIP-392).
    pub rack_id: Rack,
    /// The leader epoch the client believes current; `-1` skips the check (KIP-320).
    pub current_leader_epoch: LeaderEpoch,
    /// The offset to read from.
    pub fetch_offset: Offset,
    /// Epoch of the last record the follower holds; `-1` for consumers or an empty log (KIP-595 style divergence check).
    pub last_fetched_epoch: LeaderEpoch,
    /// The follower's log start offset; `-1` for consumers.
    pub log_start_offset: Offset,
}

/// `DivergingEpoch` in a fetch response: the leader's end offset for the largest epoch ≤ the follower's.
#[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct EpochEndOffset {
    /// The largest epoch the leader has that is ≤ the requested one.
    pub epoch: LeaderEpoch,
    /// Where that epoch ends in the leader's log.
    pub end_offset: Offset,
}

/// `LeaderIdAndEpoch` (the response's `current_leader`), as the answering broker knows it.
#[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct LeaderIdAndEpoch {
    /// The leader's id, or `-1` when unknown.
    pub leader_id: BrokerId,
    /// The answering broker's leader epoch.
    pub leader_epoch: LeaderEpoch,
}

/// `FetchResponse` (one partition).
#[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct FetchResponse {
    /// NONE or the reason nothing was read.
    pub error_code: ErrorCode,
    /// The answering replica's high watermark.
    pub high_watermark: Offset,
    /// The answering replica's log start offset.
    pub log_start_offset: Offset,
    /// Records from `fetch_offset`, below the answering replica's read bound.
    pub records: Vec<OffsetRecord>,
    /// Set when the follower's log diverges from the leader's.
    pub diverging_epoch: Option<EpochEndOffset>,
    /// The replica the consumer should read from next, or `-1` (KIP-392).
    pub preferred_read_replica: BrokerId,
    /// The answering broker's leader and epoch.
    pub current_leader: LeaderIdAndEpoch,
    /// Echo of the request's `fetch_offset`.
    pub fetch_offset: Offset,
    /// Echo of the request's `current_leader_epoch`.
    pub request_leader_epoch: LeaderEpoch,
}

/// `OffsetForLeaderEpochRequest` v4 (one partition).
#[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct OffsetsForLeaderEpochRequest {
    /// The follower's id, or `-1` for a consumer (KIP-392 added the field).
    pub replica_id: BrokerId,
    /// The client's current leader epoch, for fencing.
    pub current_leader_epoch: LeaderEpoch,
    /// The epoch whose end offset is asked for.
    pub leader_epoch: LeaderEpoch,
}

/// `OffsetForLeaderEpochResponse` (one partition).
#[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct OffsetsForLeaderEpochResponse {
    /// NONE, a fencing error, NOT_LEADER_OR_FOLLOWER or OFFSET_NOT_AVAILABLE.
    pub error_code: ErrorCode,
    /// The largest epoch ≤ the requested one, or `-1`.
    pub leader_epoch: LeaderEpoch,
    /// Where that epoch ends, or `-1`.
    pub end_offset: Offset,
    /// Echo of the request's `leader_epoch`.
    pub requested_epoch: LeaderEpoch,
    /// Echo of the request's `current_leader_epoch`. Kafka's consumer keeps the position the
    /// request was made for and drops an answer once the position (its leader included) moved
    /// (`SubscriptionState.maybeCompleteValidation`); the echo carries that context here.
    pub request_leader_epoch: LeaderEpoch,
}

/// `ListOffsetsRequest` (one partition).
#[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ListOffsetsRequest {
    /// `-1` for consumers.
    pub replica_id: BrokerId,
    /// The client's current leader epoch, for fencing.
    pub current_leader_epoch: LeaderEpoch,
    /// [`crate::LATEST_TIMESTAMP`] or [`crate::EARLIEST_TIMESTAMP`].
    pub timestamp: i64,
}

/// `ListOffsetsResponse` (one partition).
#[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ListOffsetsResponse {
    /// NONE, a fencing error, NOT_LEADER_OR_FOLLOWER or OFFSET_NOT_AVAILABLE (KIP-207).
    pub error_code: ErrorCode,
    /// The offset found, or `-1`.
    pub offset: Offset,
    /// Epoch of the record before `offset`, or `-1`.
    pub leader_epoch: LeaderEpoch,
    /// Echo of the request's timestamp.
    pub timestamp: i64,
}

/// `MetadataRequest` for the one topic.
#[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
#[derive(Clone, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct MetadataRequest {}

/// A replica as metadata describes it.
#[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ReplicaInfo {
    /// The broker.
    pub broker_id: BrokerId,
    /// Its `broker.rack`, if set.
    pub rack: Option<Rack>,
}

/// `MetadataResponse` for the one partition.
#[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct MetadataResponse {
    /// The leader, or `-1` when the partition is offline.
    pub leader_id: BrokerId,
    /// The current leader epoch.
    pub leader_epoch: LeaderEpoch,
    /// Every replica with its rack.
    pub replicas: Vec<ReplicaInfo>,
    /// The ISR as the controller has it.
    pub isr_nodes: Vec<BrokerId>,
    /// Replicas whose broker is fenced (crashed or unreachable).
    pub offline_replicas: Vec<BrokerId>,
}

/// `AlterPartitionRequest` (KIP-497): the leader asks the controller to change the ISR.
#[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct AlterPartitionRequest {
    /// The leader sending it.
    pub broker_id: BrokerId,
    /// The leader's epoch.
    pub leader_epoch: LeaderEpoch,
    /// The partition epoch the change is based on.
    pub partition_epoch: PartitionEpoch,
    /// The proposed ISR, sorted.
    pub new_isr: Vec<BrokerId>,
}

/// `AlterPartitionResponse`.
#[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct AlterPartitionResponse {
    /// NONE, FENCED_LEADER_EPOCH, INVALID_UPDATE_VERSION, INELIGIBLE_REPLICA or INVALID_REQUEST.
    pub error_code: ErrorCode,
    /// The leader after the change.
    pub leader_id: BrokerId,
    /// The leader epoch after the change.
    pub leader_epoch: LeaderEpoch,
    /// The ISR after the change, sorted.
    pub isr: Vec<BrokerId>,
    /// The partition epoch after the change.
    pub partition_epoch: PartitionEpoch,
    /// Echo of the request's `partition_epoch`.
    pub request_partition_epoch: PartitionEpoch,
    /// Echo of the request's `new_isr`.
    pub requested_isr: Vec<BrokerId>,
}

/// The controller's partition-change notice to a broker (KRaft `PartitionChangeRecord`; ZK-era
/// `LeaderAndIsrRequest`).
#[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct PartitionChange {
    /// The leader, or `-1` when none is electable.
    pub leader: BrokerId,
    /// The leader epoch.
    pub leader_epoch: LeaderEpoch,
    /// The partition epoch.
    pub partition_epoch: PartitionEpoch,
    /// The ISR, sorted.
    pub isr: Vec<BrokerId>,
    /// Every replica, in assignment order.
    pub replicas: Vec<ReplicaInfo>,
}

/// Every message a node can send or receive.
#[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Message {
    /// Producer → leader.
    Produce(ProduceRequest),
    /// Leader → producer.
    ProduceResponse(ProduceResponse),
    /// Follower or consumer → replica.
    Fetch(FetchRequest),
    /// Replica → follower or consumer.
    FetchResponse(FetchResponse),
    /// Consumer (or follower) → leader.
    OffsetsForLeaderEpoch(OffsetsForLeaderEpochRequest),
    /// Leader → requester.
    OffsetsForLeaderEpochResponse(OffsetsForLeaderEpochResponse),
    /// Consumer → leader.
    ListOffsets(ListOffsetsRequest),
    /// Leader → consumer.
    ListOffsetsResponse(ListOffsetsResponse),
    /// Client → controller.
    Metadata(MetadataRequest),
    /// Controller → client.
    MetadataResponse(MetadataResponse),
    /// Leader → controller.
    AlterPartition(AlterPartitionRequest),
    /// Controller → leader.
    AlterPartitionResponse(AlterPartitionResponse),
    /// Controller → broker.
    PartitionChange(PartitionChange),
}

impl Message {
    /// Whether the sender waits for an answer (a request), rather than answering or notifying.
    pub fn is_request(&self) -> bool {
        matches!(
            self,
            Message::Produce(_)
                | Message::Fetch(_)
                | Message::OffsetsForLeaderEpoch(_)
                | Message::ListOffsets(_)
                | Message::Metadata(_)
                | Message::AlterPartition(_)
        )
    }

    /// Kafka's API name, for logs and traces.
    pub fn api_name(&self) -> &'static str {
        match self {
            Message::Produce(_) => "Produce",
            Message::ProduceResponse(_) => "ProduceResponse",
            Message::Fetch(_) => "Fetch",
            Message::FetchResponse(_) => "FetchResponse",
            Message::OffsetsForLeaderEpoch(_) => "OffsetsForLeaderEpoch",
            Message::OffsetsForLeaderEpochResponse(_) => "OffsetsForLeaderEpochResponse",
            Message::ListOffsets(_) => "ListOffsets",
            Message::ListOffsetsResponse(_) => "ListOffsetsResponse",
            Message::Metadata(_) => "Metadata",
            Message::MetadataResponse(_) => "MetadataResponse",
            Message::AlterPartition(_) => "AlterPartition",
            Message::AlterPartitionResponse(_) => "AlterPartitionResponse",
            Message::PartitionChange(_) => "PartitionChange",
        }
    }
}
