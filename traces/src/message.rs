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

/// Whether a fetch broke KIP-595's rule that a follower names the epoch of its last record
/// (`last_fetched_epoch`) whenever it has one, i.e. fetches past offset 0. Consumers (replica id
/// -1) name none. Both the model and the protocol crate's observer ask this.
pub fn fetch_without_last_epoch(replica_id: BrokerId, fetch_offset: Offset, last_fetched_epoch: LeaderEpoch) -> bool {
    replica_id >= 0 && fetch_offset > 0 && last_fetched_epoch == -1
}

/// Whether a replica in `replica_epoch` that answered a request naming `request_epoch` with
/// `answer` (`None`: not yet, the request waits) broke KIP-320's fencing: a request from another
/// epoch must be refused (older with FENCED_LEADER_EPOCH, newer with UNKNOWN_LEADER_EPOCH), not
/// served: not held, not answered with data or offsets, nor with an error its log decided
/// (OFFSET_OUT_OF_RANGE, OFFSET_NOT_AVAILABLE). A refusal for its role (NOT_LEADER_OR_FOLLOWER)
/// acts on nothing of the wrong epoch, so it counts as refused too. Both the model and the
/// protocol crate's observer ask this.
pub fn served_across_epochs(request_epoch: LeaderEpoch, replica_epoch: LeaderEpoch, answer: Option<ErrorCode>) -> bool {
    let refused = matches!(
        answer,
        Some(
            ErrorCode::FENCED_LEADER_EPOCH
                | ErrorCode::UNKNOWN_LEADER_EPOCH
                | ErrorCode::NOT_LEADER_OR_FOLLOWER
                | ErrorCode::REPLICA_NOT_AVAILABLE
        )
    );
    request_epoch != -1 && replica_epoch != -1 && request_epoch != replica_epoch && !refused
}

/// Whether a message on its way to a running broker can never change it, judged by the epochs it
/// carries against the broker's `held` (leader epoch, partition epoch): an answer (fetch or
/// AlterPartition) to a request made in a leader epoch older than the broker's now, or a
/// partition change older than the one it holds. A broker's epochs only grow while it runs, so
/// this stays true until the message arrives. The model takes such a message off its queue at
/// once, and the protocol adapter delivers it at once; both ask this.
pub fn outdated_at_broker(message_epochs: MessageEpochs, held: (LeaderEpoch, PartitionEpoch)) -> bool {
    let (leader_epoch, partition_epoch) = held;
    match message_epochs {
        MessageEpochs::Answer { request_epoch } => request_epoch < leader_epoch,
        MessageEpochs::PartitionChange { leader_epoch: epoch, partition_epoch: change } => {
            epoch < leader_epoch || (epoch == leader_epoch && change <= partition_epoch)
        }
    }
}

/// The epochs a message to a broker carries, for [`outdated_at_broker`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MessageEpochs {
    /// An answer to a request the broker made in `request_epoch`.
    Answer {
        /// The leader epoch the request was made in.
        request_epoch: LeaderEpoch,
    },
    /// A partition change naming these epochs.
    PartitionChange {
        /// Its leader epoch.
        leader_epoch: LeaderEpoch,
        /// Its partition epoch.
        partition_epoch: PartitionEpoch,
    },
}

impl Message {
    /// The epochs [`outdated_at_broker`] judges, for the messages a broker may have to ignore.
    pub fn epochs_for_broker(&self) -> Option<MessageEpochs> {
        match *self {
            Message::FetchResponse { request_leader_epoch, .. } => {
                Some(MessageEpochs::Answer { request_epoch: request_leader_epoch })
            }
            Message::AlterPartitionResponse { leader_epoch, .. } => {
                Some(MessageEpochs::Answer { request_epoch: leader_epoch })
            }
            Message::PartitionChange { leader_epoch, partition_epoch, .. } => {
                Some(MessageEpochs::PartitionChange { leader_epoch, partition_epoch })
            }
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::{outdated_at_broker, MessageEpochs};

    #[test]
    fn an_answer_is_outdated_only_once_its_broker_is_in_a_newer_epoch() {
        let answer = MessageEpochs::Answer { request_epoch: 3 };
        assert!(outdated_at_broker(answer, (4, 0)));
        assert!(!outdated_at_broker(answer, (3, 9)), "the broker's epoch: still its answer");
        assert!(!outdated_at_broker(answer, (2, 0)), "a newer epoch the broker has not heard of yet");
        assert!(!outdated_at_broker(answer, (-1, -1)), "a restarted broker waits for its notice");
    }

    #[test]
    fn a_partition_change_is_outdated_once_its_broker_holds_it_or_newer() {
        let change = MessageEpochs::PartitionChange { leader_epoch: 3, partition_epoch: 5 };
        assert!(outdated_at_broker(change, (4, 0)), "an older leader epoch");
        assert!(outdated_at_broker(change, (3, 5)), "already held");
        assert!(outdated_at_broker(change, (3, 6)), "an older partition epoch");
        assert!(!outdated_at_broker(change, (3, 4)), "a newer partition epoch");
        assert!(!outdated_at_broker(change, (2, 9)), "a newer leader epoch");
    }
}
