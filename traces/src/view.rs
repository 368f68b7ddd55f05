//! `ClusterView`: the observable state of the whole cluster after a step, plus the ghost history
//! that properties need (the true high watermark, what was committed, what each consumer read and
//! from where, what ListOffsets revealed).
//!
//! Both the model and the implementation (through the harness's adapter) produce it, so one set
//! of property functions judges both.

use serde::{Deserialize, Serialize};

use crate::ids::{BrokerId, LeaderEpoch, NodeId, Offset, PartitionEpoch, Rack, Record};
use crate::observe::Ghost;

/// A replica's role.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// Crashed, or no notice yet.
    #[default]
    Offline,
    /// Leader.
    Leader,
    /// Follower.
    Follower,
}

/// One broker.
#[derive(Clone, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct BrokerView {
    /// Id.
    pub id: BrokerId,
    /// Rack.
    pub rack: Rack,
    /// Running (not crashed).
    pub alive: bool,
    /// Role.
    pub role: Role,
    /// Leader epoch it is in.
    pub leader_epoch: LeaderEpoch,
    /// Leader it knows, or -1.
    pub leader: BrokerId,
    /// Log start offset.
    pub log_start_offset: Offset,
    /// Log end offset.
    pub log_end_offset: Offset,
    /// High watermark.
    pub high_watermark: Offset,
    /// The log.
    pub log: Vec<Record>,
    /// The committed ISR as it knows it.
    pub isr: Vec<BrokerId>,
    /// ISR plus members of a pending AlterPartition (leaders; else equal to `isr`).
    pub maximal_isr: Vec<BrokerId>,
    /// Leader-epoch start offset (leaders only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub leader_epoch_start_offset: Option<Offset>,
}

/// The controller.
#[derive(Clone, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct ControllerView {
    /// Leader, or -1.
    pub leader: BrokerId,
    /// Leader epoch.
    pub leader_epoch: LeaderEpoch,
    /// Partition epoch.
    pub partition_epoch: PartitionEpoch,
    /// ISR.
    pub isr: Vec<BrokerId>,
    /// Fenced brokers.
    pub fenced: Vec<BrokerId>,
}

/// A record as a consumer received it, with where it came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct Delivery {
    /// Offset.
    pub offset: Offset,
    /// The record.
    pub record: Record,
    /// The replica that served it.
    pub served_by: BrokerId,
    /// That replica's HW when it served it.
    pub served_hw: Offset,
}

/// Why a consumer's position moved other than by consuming.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ResetCause {
    /// The application sought.
    Seek,
    /// The leader said out of range.
    OutOfRange,
    /// Validation found a truncation.
    LogTruncation,
    /// A follower said out of range and the reset policy applied anyway (the seeded
    /// KAFKA-14255). Not an explicit reset: a follower's word is not definitive (KIP-392).
    FollowerOutOfRange,
}

/// An explicit move of a consumer's position.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct Reset {
    /// Before.
    pub from: Offset,
    /// After.
    pub to: Offset,
    /// Why.
    pub cause: ResetCause,
}

/// One consumer.
#[derive(Clone, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct ConsumerView {
    /// Number.
    pub id: u32,
    /// `client.rack`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rack: Option<Rack>,
    /// Next offset to consume.
    pub position: Offset,
    /// Epoch of the last consumed record, or -1.
    pub position_epoch: LeaderEpoch,
    /// The leader epoch it believes current.
    pub current_leader_epoch: LeaderEpoch,
    /// Preferred read replica, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub preferred_read_replica: Option<BrokerId>,
    /// Every record handed to the application, in order.
    pub delivered: Vec<Delivery>,
    /// Every explicit move of the position.
    pub resets: Vec<Reset>,
    /// Distinct ListOffsets(latest) answers, in the order received.
    pub list_offsets_latest: Vec<Offset>,
    /// Stopped on an unrecoverable error.
    pub failed: bool,
}

/// Which rules a run follows where KIP-392's text and Kafka as built differ.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Semantics {
    /// Apache Kafka 4.4 as built.
    #[default]
    Apache,
    /// KIP-392's text.
    KipStrict,
}

impl Semantics {
    /// Whether this is Kafka as built (the default, left out of trace files).
    pub fn is_apache(&self) -> bool {
        *self == Semantics::Apache
    }

    /// Its name in configurations and output.
    pub fn name(self) -> &'static str {
        match self {
            Semantics::Apache => "apache",
            Semantics::KipStrict => "kip-strict",
        }
    }
}

/// Everything observable after a step.
#[derive(Clone, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct ClusterView {
    /// The controller.
    pub controller: ControllerView,
    /// Brokers by id.
    pub brokers: Vec<BrokerView>,
    /// Consumers by number.
    pub consumers: Vec<ConsumerView>,
    /// Racks whose brokers are cut off now (`cut_rack`).
    pub cut_racks: Vec<Rack>,
    /// Outages between places now (`cut`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub outages: Vec<crate::outage::Outage>,
    /// The producer's rack, if it has one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub producer_rack: Option<Rack>,
    /// Faults left in the budget (crashes + rack outages); liveness applies once it is spent.
    pub faults_left: u32,
    /// Ghost history.
    pub ghost: Ghost,
    /// The rules the run follows (the properties that are promises of KIP-392's text alone are
    /// judged only under `KipStrict`).
    #[serde(default, skip_serializing_if = "Semantics::is_apache")]
    pub semantics: Semantics,
}

impl ClusterView {
    /// The broker with this id.
    pub fn broker(&self, id: BrokerId) -> Option<&BrokerView> {
        self.brokers.iter().find(|b| b.id == id)
    }

    /// The live broker that leads the controller's current epoch, if any.
    pub fn leader(&self) -> Option<&BrokerView> {
        self.broker(self.controller.leader)
            .filter(|b| b.alive && b.role == Role::Leader && b.leader_epoch == self.controller.leader_epoch)
    }

    /// The place `node` sits in for outages ([`crate::place`]).
    pub fn place_of(&self, node: NodeId) -> String {
        let rack = match node {
            NodeId::Broker(b) => self.broker(b).map(|b| b.rack.as_str()),
            NodeId::Consumer(c) => self.consumers.iter().find(|v| v.id == c).and_then(|v| v.rack.as_deref()),
            NodeId::Producer => self.producer_rack.as_deref(),
            NodeId::Controller => None,
        };
        crate::place(node, rack)
    }

    /// Whether a message from `from` reaches `to` now, across the cut racks and the outages
    /// (the rule [`crate::passes`] states; a crashed broker is reached by nothing).
    pub fn reaches(&self, from: NodeId, to: NodeId) -> bool {
        let isolation = |node: NodeId| match node {
            NodeId::Broker(b) => {
                self.broker(b).map(|b| b.rack.as_str()).filter(|r| self.cut_racks.iter().any(|c| c == r))
            }
            _ => None,
        };
        let up = |node: NodeId| match node {
            NodeId::Broker(b) => self.broker(b).is_some_and(|b| b.alive),
            _ => true,
        };
        up(from)
            && up(to)
            && crate::passes(
                &self.outages,
                (&self.place_of(from), isolation(from)),
                (&self.place_of(to), isolation(to)),
            )
    }

    /// Whether `a` and `b` reach each other both ways: a request and its answer get through.
    pub fn connected(&self, a: NodeId, b: NodeId) -> bool {
        self.reaches(a, b) && self.reaches(b, a)
    }

    /// Whether any outage or rack cut is on now.
    pub fn outage_on(&self) -> bool {
        !self.cut_racks.is_empty() || !self.outages.is_empty()
    }
}
