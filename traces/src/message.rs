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
    /// Kafka's name for it.
    pub fn name(self) -> &'static str {
        match self {
            ErrorCode::NONE => "NONE",
            ErrorCode::OFFSET_OUT_OF_RANGE => "OFFSET_OUT_OF_RANGE",
            ErrorCode::NOT_LEADER_OR_FOLLOWER => "NOT_LEADER_OR_FOLLOWER",
            ErrorCode::REPLICA_NOT_AVAILABLE => "REPLICA_NOT_AVAILABLE",
            ErrorCode::NOT_ENOUGH_REPLICAS => "NOT_ENOUGH_REPLICAS",
            ErrorCode::NOT_CONTROLLER => "NOT_CONTROLLER",
            ErrorCode::INVALID_REQUEST => "INVALID_REQUEST",
            ErrorCode::FENCED_LEADER_EPOCH => "FENCED_LEADER_EPOCH",
            ErrorCode::UNKNOWN_LEADER_EPOCH => "UNKNOWN_LEADER_EPOCH",
            ErrorCode::OFFSET_NOT_AVAILABLE => "OFFSET_NOT_AVAILABLE",
            ErrorCode::INVALID_UPDATE_VERSION => "INVALID_UPDATE_VERSION",
            ErrorCode::INELIGIBLE_REPLICA => "INELIGIBLE_REPLICA",
        }
    }

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

/// ListOffsets' special timestamps by name.
fn timestamp_name(timestamp: i64) -> String {
    match timestamp {
        crate::ids::LATEST_TIMESTAMP => "latest".to_string(),
        crate::ids::EARLIEST_TIMESTAMP => "earliest".to_string(),
        t => t.to_string(),
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

/// `name=value` pairs of a message's key fields, for [`Message::label`].
struct Fields(Vec<String>);

impl Fields {
    fn put(&mut self, name: &str, value: impl std::fmt::Display) -> &mut Self {
        self.0.push(format!("{name}={value}"));
        self
    }

    fn broker(&mut self, name: &str, id: BrokerId) -> &mut Self {
        match id {
            -1 => self.put(name, "none"),
            id => self.put(name, format!("broker-{id}")),
        }
    }

    fn list(&mut self, name: &str, ids: &[BrokerId]) -> &mut Self {
        let ids: Vec<String> = ids.iter().map(ToString::to_string).collect();
        self.put(name, format!("[{}]", ids.join(",")))
    }
}

/// Records as a count with their offsets and epochs: `2 (offsets 0-1, epoch 1)`.
fn records(records: &[OffsetRecord]) -> String {
    let (Some(first), Some(last)) = (records.first(), records.last()) else { return "0".to_string() };
    let mut epochs: Vec<LeaderEpoch> = records.iter().map(|r| r.epoch).collect();
    epochs.dedup();
    let epochs: Vec<String> = epochs.iter().map(ToString::to_string).collect();
    let offsets = match records.len() {
        1 => format!("offset {}", first.offset),
        _ => format!("offsets {}-{}", first.offset, last.offset),
    };
    let epoch_word = if epochs.len() == 1 { "epoch" } else { "epochs" };
    format!("{} ({offsets}, {epoch_word} {})", records.len(), epochs.join(","))
}

impl Message {
    /// The API and its key fields, one line, errors by name: what a trace shows of a message.
    pub fn label(&self) -> String {
        let mut f = Fields(vec![self.api_name().to_string()]);
        if let Some(error) = self.error_code().filter(|e| *e != ErrorCode::NONE) {
            f.0.push(error.name().to_string());
        }
        match self {
            Message::Produce { value } => {
                f.put("value", value);
            }
            Message::ProduceResponse { error_code, base_offset, value, leader_id, leader_epoch } => {
                f.put("value", value);
                match error_code {
                    ErrorCode::NONE => f.put("base_offset", base_offset),
                    _ => f.broker("leader_id", *leader_id).put("leader_epoch", leader_epoch),
                };
            }
            Message::Fetch { replica_id, rack_id, current_leader_epoch, fetch_offset, last_fetched_epoch, .. } => {
                if *replica_id >= 0 {
                    f.broker("replica_id", *replica_id);
                } else if !rack_id.is_empty() {
                    f.put("rack_id", rack_id);
                }
                f.put("fetch_offset", fetch_offset)
                    .put("last_fetched_epoch", last_fetched_epoch)
                    .put("current_leader_epoch", current_leader_epoch);
            }
            Message::FetchResponse {
                high_watermark,
                records: recs,
                diverging_epoch,
                preferred_read_replica,
                leader_id,
                leader_epoch,
                fetch_offset,
                ..
            } => {
                f.put("fetch_offset", fetch_offset).put("high_watermark", high_watermark).put("records", records(recs));
                if let Some(d) = diverging_epoch {
                    f.put("diverging_epoch", format!("(epoch {}, end_offset {})", d.epoch, d.end_offset));
                }
                if *preferred_read_replica >= 0 {
                    f.broker("preferred_read_replica", *preferred_read_replica);
                }
                if *leader_id >= 0 {
                    f.broker("leader_id", *leader_id).put("leader_epoch", leader_epoch);
                }
            }
            Message::OffsetsForLeaderEpoch { replica_id, current_leader_epoch, leader_epoch } => {
                if *replica_id >= 0 {
                    f.broker("replica_id", *replica_id);
                }
                f.put("leader_epoch", leader_epoch).put("current_leader_epoch", current_leader_epoch);
            }
            Message::OffsetsForLeaderEpochResponse { leader_epoch, end_offset, requested_epoch, .. } => {
                f.put("requested_epoch", requested_epoch)
                    .put("leader_epoch", leader_epoch)
                    .put("end_offset", end_offset);
            }
            Message::ListOffsets { replica_id, current_leader_epoch, timestamp } => {
                if *replica_id >= 0 {
                    f.broker("replica_id", *replica_id);
                }
                f.put("timestamp", timestamp_name(*timestamp)).put("current_leader_epoch", current_leader_epoch);
            }
            Message::ListOffsetsResponse { offset, leader_epoch, timestamp, .. } => {
                f.put("timestamp", timestamp_name(*timestamp)).put("offset", offset).put("leader_epoch", leader_epoch);
            }
            Message::Metadata => {}
            Message::MetadataResponse { leader_id, leader_epoch, isr_nodes, offline_replicas, .. } => {
                f.broker("leader_id", *leader_id).put("leader_epoch", leader_epoch).list("isr_nodes", isr_nodes);
                if !offline_replicas.is_empty() {
                    f.list("offline_replicas", offline_replicas);
                }
            }
            Message::AlterPartition { leader_epoch, partition_epoch, new_isr, .. } => {
                f.put("leader_epoch", leader_epoch).put("partition_epoch", partition_epoch).list("new_isr", new_isr);
            }
            Message::AlterPartitionResponse { leader_epoch, isr, partition_epoch, .. } => {
                f.put("leader_epoch", leader_epoch).put("partition_epoch", partition_epoch).list("isr", isr);
            }
            Message::PartitionChange { leader, leader_epoch, partition_epoch, isr } => {
                f.broker("leader", *leader)
                    .put("leader_epoch", leader_epoch)
                    .put("partition_epoch", partition_epoch)
                    .list("isr", isr);
            }
        }
        f.0.join(" ")
    }

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
