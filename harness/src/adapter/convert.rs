//! One-to-one translations between the protocol crate's types and the suite's.

use highwater_protocol as protocol;
use highwater_protocol::sim::ClusterState;
use highwater_traces::{
    BrokerView, ClusterView, ConsumerView, ControllerView, Delivery, EpochEndOffset, ErrorCode, Ghost, Message, NodeId,
    OffsetRecord, Record, ReplicaInfo, Reset, ResetCause, Role, SeekTo, TimerKind,
};

pub(super) fn node(node: NodeId) -> protocol::NodeId {
    match node {
        NodeId::Controller => protocol::NodeId::Controller,
        NodeId::Broker(b) => protocol::NodeId::Broker(b),
        NodeId::Consumer(c) => protocol::NodeId::Consumer(c),
        NodeId::Producer => protocol::NodeId::Producer,
    }
}

/// The suite's name for a protocol node.
pub(super) fn node_back(node: protocol::NodeId) -> NodeId {
    match node {
        protocol::NodeId::Controller => NodeId::Controller,
        protocol::NodeId::Broker(b) => NodeId::Broker(b),
        protocol::NodeId::Consumer(c) => NodeId::Consumer(c),
        protocol::NodeId::Producer => NodeId::Producer,
    }
}

/// The suite's timer for one of the implementation's.
pub(super) fn timer_back(timer: protocol::TimerKind) -> TimerKind {
    match timer {
        protocol::TimerKind::ReplicaFetch => TimerKind::ReplicaFetch,
        protocol::TimerKind::IsrExpiration => TimerKind::IsrExpiration,
        protocol::TimerKind::ConsumerFetch => TimerKind::ConsumerFetch,
        protocol::TimerKind::MetadataRefresh => TimerKind::MetadataRefresh,
        protocol::TimerKind::ProduceRetry => TimerKind::ProduceRetry,
        protocol::TimerKind::FetchWait => TimerKind::FetchWait,
        protocol::TimerKind::ReplicaFetchWait => TimerKind::ReplicaFetchWait,
        protocol::TimerKind::AlterPartitionRetry => TimerKind::AlterPartitionRetry,
        protocol::TimerKind::MetadataRetry => TimerKind::MetadataRetry,
    }
}

/// The implementation's timer for one of the model's, if it has one (today it has all).
pub(super) fn timer(timer: TimerKind) -> Option<protocol::TimerKind> {
    match timer {
        TimerKind::ReplicaFetch => Some(protocol::TimerKind::ReplicaFetch),
        TimerKind::IsrExpiration => Some(protocol::TimerKind::IsrExpiration),
        TimerKind::ConsumerFetch => Some(protocol::TimerKind::ConsumerFetch),
        TimerKind::MetadataRefresh => Some(protocol::TimerKind::MetadataRefresh),
        TimerKind::ProduceRetry => Some(protocol::TimerKind::ProduceRetry),
        TimerKind::FetchWait => Some(protocol::TimerKind::FetchWait),
        TimerKind::ReplicaFetchWait => Some(protocol::TimerKind::ReplicaFetchWait),
        TimerKind::AlterPartitionRetry => Some(protocol::TimerKind::AlterPartitionRetry),
        TimerKind::MetadataRetry => Some(protocol::TimerKind::MetadataRetry),
    }
}

/// The same Kafka error, by name.
pub(super) fn error_code(error: protocol::ErrorCode) -> ErrorCode {
    match error {
        protocol::ErrorCode::NONE => ErrorCode::NONE,
        protocol::ErrorCode::OFFSET_OUT_OF_RANGE => ErrorCode::OFFSET_OUT_OF_RANGE,
        protocol::ErrorCode::NOT_LEADER_OR_FOLLOWER => ErrorCode::NOT_LEADER_OR_FOLLOWER,
        protocol::ErrorCode::REPLICA_NOT_AVAILABLE => ErrorCode::REPLICA_NOT_AVAILABLE,
        protocol::ErrorCode::NOT_ENOUGH_REPLICAS => ErrorCode::NOT_ENOUGH_REPLICAS,
        protocol::ErrorCode::NOT_CONTROLLER => ErrorCode::NOT_CONTROLLER,
        protocol::ErrorCode::INVALID_REQUEST => ErrorCode::INVALID_REQUEST,
        protocol::ErrorCode::FENCED_LEADER_EPOCH => ErrorCode::FENCED_LEADER_EPOCH,
        protocol::ErrorCode::UNKNOWN_LEADER_EPOCH => ErrorCode::UNKNOWN_LEADER_EPOCH,
        protocol::ErrorCode::OFFSET_NOT_AVAILABLE => ErrorCode::OFFSET_NOT_AVAILABLE,
        protocol::ErrorCode::INVALID_UPDATE_VERSION => ErrorCode::INVALID_UPDATE_VERSION,
        protocol::ErrorCode::INELIGIBLE_REPLICA => ErrorCode::INELIGIBLE_REPLICA,
    }
}

/// The same message in the suite's vocabulary (the fields both sides carry).
pub(crate) fn message(message: &protocol::Message) -> Message {
    use protocol::Message as P;
    let records = |records: &[protocol::OffsetRecord]| {
        records.iter().map(|r| OffsetRecord { offset: r.offset, epoch: r.epoch, value: r.value }).collect()
    };
    let replicas = |replicas: &[protocol::ReplicaInfo]| {
        replicas.iter().map(|r| ReplicaInfo { broker_id: r.broker_id, rack: r.rack.clone() }).collect()
    };
    match message {
        P::Produce(r) => Message::Produce { value: r.value },
        P::ProduceResponse(r) => Message::ProduceResponse {
            error_code: error_code(r.error_code),
            base_offset: r.base_offset,
            value: r.value,
            leader_id: r.current_leader.leader_id,
            leader_epoch: r.current_leader.leader_epoch,
        },
        P::Fetch(r) => Message::Fetch {
            replica_id: r.replica_id,
            rack_id: r.rack_id.clone(),
            current_leader_epoch: r.current_leader_epoch,
            fetch_offset: r.fetch_offset,
            last_fetched_epoch: r.last_fetched_epoch,
            log_start_offset: r.log_start_offset,
        },
        P::FetchResponse(r) => Message::FetchResponse {
            error_code: error_code(r.error_code),
            high_watermark: r.high_watermark,
            log_start_offset: r.log_start_offset,
            records: records(&r.records),
            diverging_epoch: r.diverging_epoch.map(|d| EpochEndOffset { epoch: d.epoch, end_offset: d.end_offset }),
            preferred_read_replica: r.preferred_read_replica,
            leader_id: r.current_leader.leader_id,
            leader_epoch: r.current_leader.leader_epoch,
            fetch_offset: r.fetch_offset,
            request_leader_epoch: r.request_leader_epoch,
        },
        P::OffsetsForLeaderEpoch(r) => Message::OffsetsForLeaderEpoch {
            replica_id: r.replica_id,
            current_leader_epoch: r.current_leader_epoch,
            leader_epoch: r.leader_epoch,
        },
        P::OffsetsForLeaderEpochResponse(r) => Message::OffsetsForLeaderEpochResponse {
            error_code: error_code(r.error_code),
            leader_epoch: r.leader_epoch,
            end_offset: r.end_offset,
            requested_epoch: r.requested_epoch,
            request_leader_epoch: r.request_leader_epoch,
        },
        P::ListOffsets(r) => Message::ListOffsets {
            replica_id: r.replica_id,
            current_leader_epoch: r.current_leader_epoch,
            timestamp: r.timestamp,
        },
        P::ListOffsetsResponse(r) => Message::ListOffsetsResponse {
            error_code: error_code(r.error_code),
            offset: r.offset,
            leader_epoch: r.leader_epoch,
            timestamp: r.timestamp,
        },
        P::Metadata(_) => Message::Metadata,
        P::MetadataResponse(r) => Message::MetadataResponse {
            leader_id: r.leader_id,
            leader_epoch: r.leader_epoch,
            replicas: replicas(&r.replicas),
            isr_nodes: r.isr_nodes.clone(),
            offline_replicas: r.offline_replicas.clone(),
        },
        P::AlterPartition(r) => Message::AlterPartition {
            broker_id: r.broker_id,
            leader_epoch: r.leader_epoch,
            partition_epoch: r.partition_epoch,
            new_isr: r.new_isr.clone(),
        },
        P::AlterPartitionResponse(r) => Message::AlterPartitionResponse {
            error_code: error_code(r.error_code),
            leader_id: r.leader_id,
            leader_epoch: r.leader_epoch,
            isr: r.isr.clone(),
            partition_epoch: r.partition_epoch,
            request_partition_epoch: r.request_partition_epoch,
            requested_isr: r.requested_isr.clone(),
        },
        P::PartitionChange(c) => Message::PartitionChange {
            leader: c.leader,
            leader_epoch: c.leader_epoch,
            partition_epoch: c.partition_epoch,
            isr: c.isr.clone(),
        },
    }
}

pub(super) fn seek(to: SeekTo) -> protocol::SeekTo {
    match to {
        SeekTo::Beginning => protocol::SeekTo::Beginning,
        SeekTo::End => protocol::SeekTo::End,
        SeekTo::Offset(offset) => protocol::SeekTo::Offset(offset),
    }
}

pub(super) fn role(role: protocol::RoleKind) -> Role {
    match role {
        protocol::RoleKind::Offline => Role::Offline,
        protocol::RoleKind::Leader => Role::Leader,
        protocol::RoleKind::Follower => Role::Follower,
    }
}

fn reset_cause(cause: protocol::ResetCause) -> ResetCause {
    match cause {
        protocol::ResetCause::Seek => ResetCause::Seek,
        protocol::ResetCause::OutOfRange => ResetCause::OutOfRange,
        protocol::ResetCause::LogTruncation => ResetCause::LogTruncation,
        protocol::ResetCause::FollowerOutOfRange => ResetCause::FollowerOutOfRange,
    }
}

/// The implementation's state as a `ClusterView` (`faults_left` is the caller's to fill).
pub(super) fn view(
    state: &ClusterState,
    deliveries: &[Vec<Delivery>],
    ghost: &Ghost,
    semantics: highwater_traces::Semantics,
) -> ClusterView {
    ClusterView {
        controller: ControllerView {
            leader: state.controller.leader,
            leader_epoch: state.controller.leader_epoch,
            partition_epoch: state.controller.partition_epoch,
            isr: state.controller.isr.clone(),
            fenced: state.controller.fenced.clone(),
        },
        brokers: state
            .brokers
            .iter()
            .map(|b| BrokerView {
                id: b.broker_id,
                rack: b.rack.clone().unwrap_or_default(),
                alive: b.alive,
                role: role(b.role),
                leader_epoch: b.leader_epoch,
                leader: b.leader,
                log_start_offset: b.log_start_offset,
                log_end_offset: b.log_end_offset,
                high_watermark: b.high_watermark,
                log: b.log.iter().map(|r| Record { epoch: r.epoch, value: r.value }).collect(),
                isr: b.isr.clone(),
                maximal_isr: b.maximal_isr.clone(),
                leader_epoch_start_offset: b.leader_epoch_start_offset,
            })
            .collect(),
        consumers: state
            .consumers
            .iter()
            .map(|c| ConsumerView {
                id: c.consumer_id,
                rack: c.client_rack.clone(),
                position: c.position.offset,
                position_epoch: c.position.offset_epoch,
                current_leader_epoch: c.current_leader_epoch,
                preferred_read_replica: c.preferred_read_replica,
                delivered: deliveries.get(c.consumer_id as usize).cloned().unwrap_or_default(),
                resets: c
                    .resets
                    .iter()
                    .map(|r| Reset { from: r.from, to: r.to, cause: reset_cause(r.cause) })
                    .collect(),
                list_offsets_latest: c.list_offsets_latest_seen.clone(),
                failed: false,
            })
            .collect(),
        cut_racks: state.cut_racks.clone(),
        outages: Vec::new(),
        producer_rack: None,
        faults_left: 0,
        ghost: ghost.clone(),
        semantics,
    }
}

/// An outage, in the protocol crate's words.
pub(crate) fn outage(outage: &highwater_traces::Outage) -> highwater_protocol::sim::Outage {
    use highwater_protocol::sim::Outage as Sim;
    match outage {
        highwater_traces::Outage::Rack { rack } => Sim::Rack(rack.clone()),
        highwater_traces::Outage::Link { a, b } => Sim::Link(a.clone(), b.clone()),
        highwater_traces::Outage::OneWay { from, to } => Sim::OneWay(from.clone(), to.clone()),
    }
}

/// An outage of the protocol crate, in the suite's words.
pub(super) fn outage_back(outage: &highwater_protocol::sim::Outage) -> highwater_traces::Outage {
    use highwater_protocol::sim::Outage as Sim;
    match outage {
        Sim::Rack(rack) => highwater_traces::Outage::Rack { rack: rack.clone() },
        Sim::Link(a, b) => highwater_traces::Outage::Link { a: a.clone(), b: b.clone() },
        Sim::OneWay(from, to) => highwater_traces::Outage::OneWay { from: from.clone(), to: to.clone() },
    }
}
