//! `ClusterView`: the observable state of the whole cluster after a step, plus the ghost history
//! that properties need (the true high watermark, what was committed, what each consumer read and
//! from where, what ListOffsets revealed).
//!
//! Both the model and the implementation (through the harness's adapter) produce it, so one set
//! of property functions judges both.

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};

use crate::ids::{BrokerId, LeaderEpoch, NodeId, Offset, PartitionEpoch, Rack, Record};
use crate::message::ErrorCode;

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

/// A preferred-read-replica choice some broker made (a set: repeats are kept once).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct Redirect {
    /// Who chose.
    pub by: BrokerId,
    /// Whether the chooser was a leader in its own view when it chose. A leader that has not yet
    /// heard of a newer epoch counts: Kafka lets it redirect, and the consumer's next fetch is
    /// fenced. A follower choosing is the bug (KAFKA-13778).
    pub by_leader: bool,
    /// Whom.
    pub to: BrokerId,
    /// Whether `to` was in the chooser's ISR.
    pub to_in_isr: bool,
    /// Whether `to` held the fetch offset in the chooser's view.
    pub to_holds_offset: bool,
}

impl Redirect {
    /// A choice KIP-392 allows: made by a leader in its own view, of another replica in its
    /// ISR that holds the fetch offset.
    pub fn is_allowed(&self) -> bool {
        self.by_leader && self.to_in_isr && self.to_holds_offset && self.to != self.by
    }
}

/// Which answer told a consumer an offset.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum OffsetAnswer {
    /// `ListOffsets`: the offset found.
    ListOffsets,
    /// `OffsetsForLeaderEpoch`: the end offset of the epoch asked about.
    OffsetsForLeaderEpoch,
}

/// An offset a replica told a consumer that lies above that replica's high watermark: it
/// reveals that records the replica has not committed exist (KIP-392 caps these answers).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct OffsetAboveHw {
    /// The replica that answered.
    pub by: BrokerId,
    /// The consumer it told.
    pub consumer: u32,
    /// The answer.
    pub answer: OffsetAnswer,
    /// The offset it told.
    pub offset: Offset,
    /// Its high watermark when it answered.
    pub high_watermark: Offset,
}

/// A consumer that still holds its preferred read replica after that replica refused its fetch
/// with an error that calls for new metadata ([`ErrorCode::calls_for_new_metadata`]). Since
/// KAFKA-14379 such an error sends the consumer back to the leader at once; before, it kept
/// fetching from the failing replica until its lease (`metadata.max.age.ms`) ran out.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct KeptFailedReplica {
    /// The consumer.
    pub consumer: u32,
    /// The preferred read replica that refused it.
    pub replica: BrokerId,
    /// The error it answered with.
    pub error: ErrorCode,
}

/// A request rule a replica or follower broke in a step, seen on the wire.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case", tag = "rule")]
pub enum BrokenRequestRule {
    /// A replica served a request that named another leader epoch (KIP-320 fencing).
    ServedAcrossEpochs {
        /// The replica.
        by: BrokerId,
        /// Who asked.
        requester: NodeId,
        /// The epoch the request named.
        request_epoch: LeaderEpoch,
        /// The replica's own.
        replica_epoch: LeaderEpoch,
    },
    /// A follower fetched past offset 0 without naming the epoch of its last record
    /// (`last_fetched_epoch`, KIP-595), so the leader could not check it for divergence.
    FetchWithoutLastEpoch {
        /// The follower.
        follower: BrokerId,
        /// The offset it fetched.
        fetch_offset: Offset,
    },
}

impl BrokenRequestRule {
    /// KIP-320: `by`, in `replica_epoch`, answered a request from `requester` naming
    /// `request_epoch` with `answer` (`None`: it holds the request). A rule broken, if it served
    /// across epochs ([`crate::served_across_epochs`]).
    pub fn fencing(
        by: BrokerId,
        requester: NodeId,
        request_epoch: LeaderEpoch,
        replica_epoch: LeaderEpoch,
        answer: Option<ErrorCode>,
    ) -> Option<Self> {
        crate::served_across_epochs(request_epoch, replica_epoch, answer)
            .then_some(BrokenRequestRule::ServedAcrossEpochs { by, requester, request_epoch, replica_epoch })
    }

    /// KIP-595: a fetch from `requester` (`replica_id`, `fetch_offset`, `last_fetched_epoch`).
    /// A rule broken, if a follower fetched without its last epoch
    /// ([`crate::fetch_without_last_epoch`]).
    pub fn last_fetched_epoch(
        requester: NodeId,
        replica_id: BrokerId,
        fetch_offset: Offset,
        last_fetched_epoch: LeaderEpoch,
    ) -> Option<Self> {
        let NodeId::Broker(follower) = requester else { return None };
        crate::fetch_without_last_epoch(replica_id, fetch_offset, last_fetched_epoch)
            .then_some(BrokenRequestRule::FetchWithoutLastEpoch { follower, fetch_offset })
    }

    /// The same rule with consumer `c` renumbered `renumber[c]` (consumer symmetry).
    pub fn renumbered(self, renumber: &[u32]) -> Self {
        match self {
            BrokenRequestRule::ServedAcrossEpochs {
                by,
                requester: NodeId::Consumer(c),
                request_epoch,
                replica_epoch,
            } => {
                let requester = NodeId::Consumer(renumber[c as usize]);
                BrokenRequestRule::ServedAcrossEpochs { by, requester, request_epoch, replica_epoch }
            }
            other => other,
        }
    }
}

/// Coverage events: things a step can make happen.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Happened {
    /// A consumer received records from a follower.
    ConsumerReadFromFollower,
    /// A follower answered a consumer with OFFSET_NOT_AVAILABLE or an empty read.
    FollowerAnsweredNotAvailableOrEmpty,
    /// A consumer dropped its preferred replica and went back to the leader.
    ConsumerFellBackToLeader,
    /// A follower truncated its log.
    FollowerTruncated,
    /// The controller elected a different leader.
    LeaderChanged,
    /// A consumer received records while a rack was cut.
    RackCutWhileConsuming,
}

/// Ghost history: facts about the whole run, kept where the properties can see them.
#[derive(Clone, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct Ghost {
    /// The highest HW any leader reached, a leader not yet aware of a newer epoch included: its
    /// followers serve consumers what it committed (KIP-392), so that must survive too.
    pub true_hw: Offset,
    /// Records below `true_hw`: what is committed.
    pub committed: Vec<Record>,
    /// Values the producer was told are committed, with their offsets.
    pub acked: Vec<(u64, Offset)>,
    /// Preferred-replica choices KIP-392 does not allow, made by the step that led here (see
    /// [`Ghost::note_redirect`]). Only the last step's, and only those: a correct run makes
    /// none, so this adds no states, and every choice is judged in the state right after it.
    #[serde(default, skip_serializing_if = "BTreeSet::is_empty")]
    pub redirects: BTreeSet<Redirect>,
    /// Coverage events of the step that led here (the last step's only, for the same reason).
    pub happened: BTreeSet<Happened>,
    /// Offsets above its HW that a replica told a consumer in the step that led here. Only
    /// those are kept, not every offset told: a correct run keeps none, so this adds no states.
    #[serde(default, skip_serializing_if = "BTreeSet::is_empty")]
    pub offsets_above_hw: BTreeSet<OffsetAboveHw>,
    /// Preferred read replicas a consumer kept through a refused fetch, in the step that led
    /// here. A correct run keeps none, so this adds no states either.
    #[serde(default, skip_serializing_if = "BTreeSet::is_empty")]
    pub kept_failed_replicas: BTreeSet<KeptFailedReplica>,
    /// Request rules broken in the step that led here. A correct run breaks none, so this adds
    /// no states either.
    #[serde(default, skip_serializing_if = "BTreeSet::is_empty")]
    pub broken_request_rules: BTreeSet<BrokenRequestRule>,
    /// The highest leader epoch each node (`controller`, `broker-N`, `consumer-N`) showed in
    /// any state so far, this one included, for `leader-epoch-monotonic`: a node whose epoch
    /// now is below it went backwards. (Folding in the current state keeps this equal to the
    /// current epochs in a correct run, so it adds no states to the model.)
    pub epochs_seen: BTreeMap<NodeId, LeaderEpoch>,
}

impl Ghost {
    /// A preferred-replica choice some broker made in this step: kept only if KIP-392 does not
    /// allow it. Both the model and the protocol adapter record choices through here, so that
    /// they keep the same ones.
    pub fn note_redirect(&mut self, redirect: Redirect) {
        if !redirect.is_allowed() {
            self.redirects.insert(redirect);
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
    /// Racks cut now.
    pub cut_racks: Vec<Rack>,
    /// Faults left in the budget (crashes + rack outages); liveness applies once it is spent.
    pub faults_left: u32,
    /// Ghost history.
    pub ghost: Ghost,
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
}
