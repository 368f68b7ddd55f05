//! The observable state of a simulated cluster, for replay, properties and tests.

use crate::broker::{Broker, DurableState, RoleKind};
use crate::consumer::{Consumer, ConsumerPhase, FetchPosition, PositionReset};
use crate::controller::Controller;
use crate::producer::Producer;
use crate::types::{BrokerId, LeaderEpoch, Millis, Offset, OffsetRecord, PartitionEpoch, Rack, Record};

/// One broker's replica as seen from outside.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BrokerView {
    /// The broker.
    pub broker_id: BrokerId,
    /// Its rack.
    pub rack: Option<Rack>,
    /// Whether it is running.
    pub alive: bool,
    /// Its role.
    pub role: RoleKind,
    /// The leader epoch it is in (`-1` before any notice).
    pub leader_epoch: LeaderEpoch,
    /// The partition epoch it knows.
    pub partition_epoch: PartitionEpoch,
    /// The leader it knows (`-1` when none).
    pub leader: BrokerId,
    /// Log start offset.
    pub log_start_offset: Offset,
    /// Log end offset.
    pub log_end_offset: Offset,
    /// High watermark.
    pub high_watermark: Offset,
    /// The log.
    pub log: Vec<Record>,
    /// The epoch cache: (epoch, start offset).
    pub epoch_cache: Vec<(LeaderEpoch, Offset)>,
    /// The committed ISR as it knows it.
    pub isr: Vec<BrokerId>,
    /// The ISR plus members a pending AlterPartition adds (leaders only; else equal to `isr`).
    pub maximal_isr: Vec<BrokerId>,
    /// The leader's epoch start offset (leaders only).
    pub leader_epoch_start_offset: Option<Offset>,
}

impl BrokerView {
    pub(super) fn of_running(broker: &Broker) -> Self {
        let partition = broker.partition();
        BrokerView {
            broker_id: broker.broker_id(),
            rack: broker.config().rack.clone(),
            alive: true,
            role: broker.role_kind(),
            leader_epoch: broker.leader_epoch(),
            partition_epoch: partition.map_or(-1, |p| p.partition_epoch),
            leader: partition.map_or(-1, |p| p.leader),
            log_start_offset: broker.log().log_start_offset(),
            log_end_offset: broker.log_end_offset(),
            high_watermark: broker.high_watermark(),
            log: broker.log().records().to_vec(),
            epoch_cache: broker.log().epochs().entries().to_vec(),
            isr: broker.isr(),
            maximal_isr: broker.maximal_isr(),
            leader_epoch_start_offset: broker.leader_state().map(|s| s.epoch_start_offset),
        }
    }

    pub(super) fn of_crashed(broker_id: BrokerId, rack: Option<Rack>, durable: &DurableState) -> Self {
        BrokerView {
            broker_id,
            rack,
            alive: false,
            role: RoleKind::Offline,
            leader_epoch: -1,
            partition_epoch: -1,
            leader: -1,
            log_start_offset: durable.log.log_start_offset(),
            log_end_offset: durable.log.log_end_offset(),
            high_watermark: durable.high_watermark,
            log: durable.log.records().to_vec(),
            epoch_cache: durable.log.epochs().entries().to_vec(),
            isr: Vec::new(),
            maximal_isr: Vec::new(),
            leader_epoch_start_offset: None,
        }
    }
}

/// The controller's record.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ControllerView {
    /// The leader, or `-1`.
    pub leader: BrokerId,
    /// The leader epoch.
    pub leader_epoch: LeaderEpoch,
    /// The partition epoch.
    pub partition_epoch: PartitionEpoch,
    /// The ISR.
    pub isr: Vec<BrokerId>,
    /// Fenced brokers.
    pub fenced: Vec<BrokerId>,
}

impl ControllerView {
    pub(super) fn of(controller: &Controller) -> Self {
        ControllerView {
            leader: controller.leader().unwrap_or(-1),
            leader_epoch: controller.leader_epoch(),
            partition_epoch: controller.partition_epoch(),
            isr: controller.isr(),
            fenced: controller.fenced(),
        }
    }
}

/// One consumer.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ConsumerView {
    /// The consumer's number.
    pub consumer_id: u32,
    /// Its `client.rack`.
    pub client_rack: Option<Rack>,
    /// Its position.
    pub position: FetchPosition,
    /// The leader epoch it sends.
    pub current_leader_epoch: LeaderEpoch,
    /// The preferred read replica, if any.
    pub preferred_read_replica: Option<BrokerId>,
    /// Records handed to the application.
    pub delivered: Vec<OffsetRecord>,
    /// Explicit moves of the position.
    pub resets: Vec<PositionReset>,
    /// ListOffsets(latest) answers received.
    pub list_offsets_latest_seen: Vec<Offset>,
    /// What it is doing.
    pub phase: ConsumerPhase,
}

impl ConsumerView {
    pub(super) fn of(consumer: &Consumer) -> Self {
        ConsumerView {
            consumer_id: consumer.config().consumer_id,
            client_rack: consumer.config().client_rack.clone(),
            position: consumer.position(),
            current_leader_epoch: consumer.current_leader_epoch(),
            preferred_read_replica: consumer.preferred_read_replica().map(|p| p.broker_id),
            delivered: consumer.delivered().to_vec(),
            resets: consumer.resets().to_vec(),
            list_offsets_latest_seen: consumer.list_offsets_latest_seen().to_vec(),
            phase: consumer.phase(),
        }
    }
}

/// The producer.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ProducerView {
    /// Values acknowledged, with their offsets.
    pub acknowledged: Vec<(u64, Offset)>,
    /// Values not yet acknowledged.
    pub unacknowledged: Vec<u64>,
}

impl ProducerView {
    pub(super) fn of(producer: &Producer) -> Self {
        ProducerView { acknowledged: producer.acknowledged().to_vec(), unacknowledged: producer.unacknowledged() }
    }
}

/// Everything observable about the cluster at one moment.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ClusterState {
    /// The simulated clock.
    pub now: Millis,
    /// The controller.
    pub controller: ControllerView,
    /// Every broker, by id.
    pub brokers: Vec<BrokerView>,
    /// Every consumer, by number.
    pub consumers: Vec<ConsumerView>,
    /// The producer.
    pub producer: ProducerView,
    /// Racks currently unreachable.
    pub cut_racks: Vec<Rack>,
    /// Messages in flight.
    pub messages_in_flight: usize,
}

impl ClusterState {
    /// The broker with this id.
    pub fn broker(&self, id: BrokerId) -> Option<&BrokerView> {
        self.brokers.iter().find(|b| b.broker_id == id)
    }
}
