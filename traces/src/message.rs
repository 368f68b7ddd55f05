//! The message set as plain data: the same Kafka APIs, fields and error codes as the protocol
//! crate (see `protocol/src/messages.rs` for each field's meaning and source), so that the model's
//! messages and the implementation's can be compared one to one.

use serde::{Deserialize, Serialize};

use crate::ids::{BrokerId, LeaderEpoch, Offset, OffsetRecord, PartitionEpoch, Rack};

/// Kafka error codes the suite uses, by Kafka's name.
#[allow(non_camel_case_types, missing_docs)]
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum ErrorCode {
    NONE,
    OFFSET_OUT_OF_RANGE,
    NOT_LEADER_OR_FOLLOWER,
    REPLICA_NOT_AVAILABLE,
    NOT_ENOUGH_REPLICAS,
    NOT_CONTROLLER,
    INVALID_REQUEST,
    FENCED_LEADER_EPOCH,
    UNKNOWN_LEADER_EPOCH,
    OFFSET_NOT_AVAILABLE,
    INVALID_UPDATE_VERSION,
    INELIGIBLE_REPLICA,
}

impl ErrorCode {
    /// Whether a consumer that gets this error from a fetch must refresh its metadata: the
    /// replica is no longer one it may read from at its epoch, or cannot serve it now. Kafka's
    /// fetcher calls `requestMetadataUpdate` for these, which since KAFKA-14379 also clears the
    /// preferred read replica. (UNKNOWN_LEADER_EPOCH means the replica is behind the consumer:
    /// it is retried as is. OFFSET_OUT_OF_RANGE has its own rules, KIP-392's case 4.)
    pub fn calls_for_new_metadata(self) -> bool {
        matches!(
            self,
            ErrorCode::NOT_LEADER_OR_FOLLOWER
                | ErrorCode::REPLICA_NOT_AVAILABLE
                | ErrorCode::FENCED_LEADER_EPOCH
                | ErrorCode::OFFSET_NOT_AVAILABLE
        )
    }
}

/// A replica and its rack, as metadata gives it.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct ReplicaInfo {
    /// Broker.
    pub broker_id: BrokerId,
    /// Rack.
    pub rack: Option<Rack>,
}

/// `DivergingEpoch`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct EpochEndOffset {
    /// Largest epoch ≤ the follower's.
    pub epoch: LeaderEpoch,
    /// Its end offset.
    pub end_offset: Offset,
}

/// Every message, by Kafka API; field names are Kafka's.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(tag = "api", rename_all = "snake_case")]
#[allow(missing_docs)]
pub enum Message {
    Produce {
        value: u64,
    },
    ProduceResponse {
        error_code: ErrorCode,
        base_offset: Offset,
        value: u64,
        leader_id: BrokerId,
        leader_epoch: LeaderEpoch,
    },
    Fetch {
        replica_id: BrokerId,
        rack_id: Rack,
        current_leader_epoch: LeaderEpoch,
        fetch_offset: Offset,
        last_fetched_epoch: LeaderEpoch,
        log_start_offset: Offset,
    },
    FetchResponse {
        error_code: ErrorCode,
        high_watermark: Offset,
        log_start_offset: Offset,
        records: Vec<OffsetRecord>,
        diverging_epoch: Option<EpochEndOffset>,
        preferred_read_replica: BrokerId,
        leader_id: BrokerId,
        leader_epoch: LeaderEpoch,
        fetch_offset: Offset,
        request_leader_epoch: LeaderEpoch,
    },
    OffsetsForLeaderEpoch {
        replica_id: BrokerId,
        current_leader_epoch: LeaderEpoch,
        leader_epoch: LeaderEpoch,
    },
    OffsetsForLeaderEpochResponse {
        error_code: ErrorCode,
        leader_epoch: LeaderEpoch,
        end_offset: Offset,
        requested_epoch: LeaderEpoch,
        request_leader_epoch: LeaderEpoch,
    },
    ListOffsets {
        replica_id: BrokerId,
        current_leader_epoch: LeaderEpoch,
        timestamp: i64,
    },
    ListOffsetsResponse {
        error_code: ErrorCode,
        offset: Offset,
        leader_epoch: LeaderEpoch,
        timestamp: i64,
    },
    Metadata,
    MetadataResponse {
        leader_id: BrokerId,
        leader_epoch: LeaderEpoch,
        replicas: Vec<ReplicaInfo>,
        isr_nodes: Vec<BrokerId>,
        offline_replicas: Vec<BrokerId>,
    },
    AlterPartition {
        broker_id: BrokerId,
        leader_epoch: LeaderEpoch,
        partition_epoch: PartitionEpoch,
        new_isr: Vec<BrokerId>,
    },
    AlterPartitionResponse {
        error_code: ErrorCode,
        leader_id: BrokerId,
        leader_epoch: LeaderEpoch,
        isr: Vec<BrokerId>,
        partition_epoch: PartitionEpoch,
        request_partition_epoch: PartitionEpoch,
        requested_isr: Vec<BrokerId>,
    },
    PartitionChange {
        leader: BrokerId,
        leader_epoch: LeaderEpoch,
        partition_epoch: PartitionEpoch,
        isr: Vec<BrokerId>,
    },
}

impl Message {
    /// Kafka's API name.
    pub fn api_name(&self) -> &'static str {
        match self {
            Message::Produce { .. } => "Produce",
            Message::ProduceResponse { .. } => "ProduceResponse",
            Message::Fetch { .. } => "Fetch",
            Message::FetchResponse { .. } => "FetchResponse",
            Message::OffsetsForLeaderEpoch { .. } => "OffsetsForLeaderEpoch",
            Message::OffsetsForLeaderEpochResponse { .. } => "OffsetsForLeaderEpochResponse",
            Message::ListOffsets { .. } => "ListOffsets",
            Message::ListOffsetsResponse { .. } => "ListOffsetsResponse",
            Message::Metadata => "Metadata",
            Message::MetadataResponse { .. } => "MetadataResponse",
            Message::AlterPartition { .. } => "AlterPartition",
            Message::AlterPartitionResponse { .. } => "AlterPartitionResponse",
            Message::PartitionChange { .. } => "PartitionChange",
        }
    }

    /// The leader epoch a partition request names (`current_leader_epoch`; -1 names none).
    pub fn current_leader_epoch(&self) -> Option<LeaderEpoch> {
        match *self {
            Message::Fetch { current_leader_epoch, .. }
            | Message::ListOffsets { current_leader_epoch, .. }
            | Message::OffsetsForLeaderEpoch { current_leader_epoch, .. } => Some(current_leader_epoch),
            _ => None,
        }
    }

    /// Whether this is a request (a client's or a follower's), as opposed to an answer or a
    /// partition change.
    pub fn is_request(&self) -> bool {
        matches!(
            self,
            Message::Produce { .. }
                | Message::Fetch { .. }
                | Message::OffsetsForLeaderEpoch { .. }
                | Message::ListOffsets { .. }
                | Message::Metadata
                | Message::AlterPartition { .. }
        )
    }

    /// A response's error code.
    pub fn error_code(&self) -> Option<ErrorCode> {
        match *self {
            Message::ProduceResponse { error_code, .. }
            | Message::FetchResponse { error_code, .. }
            | Message::OffsetsForLeaderEpochResponse { error_code, .. }
            | Message::ListOffsetsResponse { error_code, .. }
            | Message::AlterPartitionResponse { error_code, .. } => Some(error_code),
            _ => None,
        }
    }
}
