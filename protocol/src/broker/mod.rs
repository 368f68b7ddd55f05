//! A broker hosting one replica of the partition, leader or follower.
//!
//! The broker learns its role only from the controller's [`PartitionChange`] notices: a notice
//! with a newer leader epoch makes it leader or follower of that epoch; one with the same epoch and
//! a newer partition epoch updates the ISR. Everything else it does is answer requests:
//!
//! | input | handler | source |
//! |---|---|---|
//! | `PartitionChange` | `on_partition_change` | KRaft `PartitionChangeRecord`, `Partition.makeLeader/makeFollower` |
//! | `Fetch` from a broker | `on_replica_fetch` (`leader.rs`) | `Partition.fetchRecords`, `updateFollowerFetchState` |
//! | `Fetch` from a consumer | `on_consumer_fetch` (`read.rs`) | `ReplicaManager.readFromLog`, KIP-392 |
//! | `FetchResponse` | `on_fetch_response` (`follower.rs`) | `AbstractFetcherThread.processFetchRequest` |
//! | `Produce` | `on_produce` (`leader.rs`) | `Partition.appendRecordsToLeader` (acks=all) |
//! | `OffsetsForLeaderEpoch` | `on_offsets_for_leader_epoch` (`read.rs`) | `Partition.lastOffsetForLeaderEpoch`, KIP-392 |
//! | `ListOffsets` | `on_list_offsets` (`read.rs`) | `Partition.fetchOffsetForTimestamp`, KIP-207 |
//! | `AlterPartitionResponse` | `on_alter_partition_response` (`leader.rs`) | `AlterPartitionManager`, KIP-497 |
//! | timer `ReplicaFetch` | `on_replica_fetch_timeout` (`follower.rs`) | fetcher backoff and request timeout |
//! | timer `IsrExpiration` | `on_isr_expiration_timeout` (`leader.rs`) | `Partition.maybeShrinkIsr` |

mod follower;
mod leader;
mod read;
mod replica_wait;

use std::collections::BTreeMap;

use crate::bugs::Bug;
use crate::config::BrokerConfig;
use crate::errors::ErrorCode;
use crate::log::ReplicaLog;
use crate::messages::{FetchRequest, Message, PartitionChange, ReplicaInfo};
use crate::node::{IgnoreReason, Input, Outbox, Output, TimerKind};
use crate::types::{BrokerId, LeaderEpoch, Millis, NodeId, Offset, PartitionEpoch, NO_EPOCH};

pub use follower::FollowerState;
pub use leader::{FollowerFetchState, LeaderState, PendingAlterPartition};
pub use replica_wait::WaitingFetch;

/// What survives a crash: the log (with its epoch cache) and the HW checkpoint.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct DurableState {
    /// The log and its epoch cache.
    pub log: ReplicaLog,
    /// The `replication-offset-checkpoint` value.
    pub high_watermark: Offset,
}

/// The partition's state as the controller last told this broker.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct PartitionMetadata {
    /// The leader, or `-1`.
    pub leader: BrokerId,
    /// The leader epoch.
    pub leader_epoch: LeaderEpoch,
    /// The partition epoch.
    pub partition_epoch: PartitionEpoch,
    /// The committed ISR, sorted.
    pub isr: Vec<BrokerId>,
    /// Every replica with its rack.
    pub replicas: Vec<ReplicaInfo>,
}

/// The broker's role for the partition.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Role {
    /// No notice received yet (or not a replica).
    Offline,
    /// Leader of the current epoch.
    Leader(LeaderState),
    /// Follower of the current epoch.
    Follower(FollowerState),
}

/// The role without its state, for views.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum RoleKind {
    /// No role.
    Offline,
    /// Leader.
    Leader,
    /// Follower.
    Follower,
}

/// A broker's replica of the partition. Step it with [`Broker::handle`].
#[derive(Clone, Debug)]
pub struct Broker {
    config: BrokerConfig,
    log: ReplicaLog,
    high_watermark: Offset,
    partition: Option<PartitionMetadata>,
    role: Role,
    /// Follower fetch states from this broker's last leadership: what the seeded bugs
    /// `follower-state-kept-across-epochs` and `selection-on-follower` wrongly reuse.
    previous_follower_states: BTreeMap<BrokerId, FollowerFetchState>,
    /// Consumer fetches with nothing to read yet, waiting (Kafka's `DelayedFetch`), oldest first,
    /// with when each was parked.
    parked_consumer_fetches: Vec<(NodeId, FetchRequest, Millis)>,
    /// The time of the input being handled, for work an input sets off deep in a call chain
    /// (answering a waiting fetch when the HW moves).
    now: Millis,
}

impl Broker {
    /// A broker with an empty log.
    pub fn new(config: BrokerConfig) -> Self {
        Broker::recover(config, DurableState::default())
    }

    /// A broker restarting from what a crash left on disk.
    pub fn recover(config: BrokerConfig, durable: DurableState) -> Self {
        let high_watermark = durable.high_watermark.min(durable.log.log_end_offset());
        Broker {
            config,
            log: durable.log,
            high_watermark,
            partition: None,
            role: Role::Offline,
            previous_follower_states: BTreeMap::new(),
            parked_consumer_fetches: Vec::new(),
            now: 0,
        }
    }

    /// What a crash now would leave on disk.
    pub fn durable_state(&self) -> DurableState {
        DurableState { log: self.log.clone(), high_watermark: self.high_watermark }
    }

    /// Step the broker with one input at time `now`.
    pub fn handle(&mut self, now: Millis, input: Input) -> Vec<Output> {
        self.now = now;
        let mut out = Outbox::default();
        match input {
            Input::Start => {}
            Input::Message { from, message } => self.on_message(now, from, message, &mut out),
            Input::Timer(TimerKind::ReplicaFetch) => self.on_replica_fetch_timeout(&mut out),
            Input::Timer(TimerKind::IsrExpiration) => self.on_isr_expiration_timeout(now, &mut out),
            Input::Timer(TimerKind::FetchWait) => self.on_fetch_wait(&mut out),
            Input::Timer(TimerKind::ReplicaFetchWait) => self.on_replica_fetch_wait(&mut out),
            Input::Timer(TimerKind::AlterPartitionRetry) => self.on_alter_partition_retry(now, &mut out),
            Input::Disconnected(peer) => self.on_disconnected(peer, &mut out),
            _ => out.ignore(IgnoreReason::NotForThisNode),
        }
        out.drain()
    }

    fn on_message(&mut self, now: Millis, from: NodeId, message: Message, out: &mut Outbox) {
        match message {
            Message::PartitionChange(notice) => self.on_partition_change(now, from, notice, out),
            Message::Fetch(request) if request.replica_id >= 0 => self.on_replica_fetch(now, from, request, out),
            Message::Fetch(request) => self.on_consumer_fetch(now, from, request, out),
            Message::FetchResponse(response) => self.on_fetch_response(from, response, out),
            Message::Produce(request) => self.on_produce(from, request, out),
            Message::OffsetsForLeaderEpoch(request) => self.on_offsets_for_leader_epoch(from, request, out),
            Message::ListOffsets(request) => self.on_list_offsets(from, request, out),
            Message::ListOffsetsResponse(response) => self.on_leader_end_offset(from, response, out),
            Message::AlterPartitionResponse(response) => self.on_alter_partition_response(response, out),
            _ => out.ignore(IgnoreReason::NotForThisNode),
        }
    }

    /// Apply a controller notice. Source: KRaft `PartitionChangeRecord` replay;
    /// `Partition.makeLeader` / `makeFollower`; a new leader or follower role only for a newer
    /// leader epoch.
    fn on_partition_change(&mut self, now: Millis, from: NodeId, notice: PartitionChange, out: &mut Outbox) {
        if from != NodeId::Controller {
            return out.ignore(IgnoreReason::UnknownSender);
        }
        let new_leader_epoch = match &self.partition {
            Some(p) if notice.leader_epoch < p.leader_epoch => return out.ignore(IgnoreReason::StaleNotice),
            // An equal partition epoch is a change this broker holds already. Kafka 4.4.0's
            // `Partition.makeLeader` applies it, discarding a pending ISR change; the suite does
            // not (docs/kafka-fidelity.md, point 8, says why).
            Some(p) if notice.leader_epoch == p.leader_epoch && notice.partition_epoch <= p.partition_epoch => {
                return out.ignore(IgnoreReason::StaleNotice)
            }
            Some(p) => notice.leader_epoch > p.leader_epoch,
            None => true,
        };
        self.partition = Some(PartitionMetadata {
            leader: notice.leader,
            leader_epoch: notice.leader_epoch,
            partition_epoch: notice.partition_epoch,
            isr: notice.isr,
            replicas: notice.replicas,
        });
        let me = self.config.broker_id;
        match (notice.leader == me, &self.role) {
            (true, Role::Leader(_)) if !new_leader_epoch => self.on_isr_committed(out),
            (true, _) => self.become_leader(now, out),
            (false, Role::Follower(_)) if !new_leader_epoch => {}
            (false, _) => self.become_follower(out),
        }
        self.retry_parked_consumer_fetches(out);
    }

    /// The single decision site for leader-epoch fencing (KIP-320), before any per-request logic.
    /// Source: `Partition.checkCurrentLeaderEpoch` and `getLocalLog`.
    fn check_leader_epoch(&self, requested: LeaderEpoch, require_leader: bool) -> Result<(), ErrorCode> {
        let Some(partition) = &self.partition else {
            return Err(ErrorCode::NOT_LEADER_OR_FOLLOWER);
        };
        if requested != NO_EPOCH && !self.config.bugs.has(Bug::NoLeaderEpochFencing) {
            if requested < partition.leader_epoch {
                return Err(ErrorCode::FENCED_LEADER_EPOCH);
            }
            if requested > partition.leader_epoch {
                return Err(ErrorCode::UNKNOWN_LEADER_EPOCH);
            }
        }
        match (&self.role, require_leader) {
            (Role::Leader(_), _) | (Role::Follower(_), false) => Ok(()),
            _ => Err(ErrorCode::NOT_LEADER_OR_FOLLOWER),
        }
    }

    fn is_replica(&self, broker: BrokerId) -> bool {
        self.partition.as_ref().is_some_and(|p| p.replicas.iter().any(|r| r.broker_id == broker))
    }

    fn rack_of(&self, broker: BrokerId) -> Option<String> {
        let partition = self.partition.as_ref()?;
        partition.replicas.iter().find(|r| r.broker_id == broker).and_then(|r| r.rack.clone())
    }

    fn truncate_to(&mut self, offset: Offset) -> bool {
        let removed = self.log.truncate_to(offset);
        self.high_watermark = self.high_watermark.min(self.log.log_end_offset());
        removed
    }

    // --- getters: what views, replay and tests read ---

    /// The configuration.
    pub fn config(&self) -> &BrokerConfig {
        &self.config
    }

    /// The broker's id.
    pub fn broker_id(&self) -> BrokerId {
        self.config.broker_id
    }

    /// The log and its epoch cache.
    pub fn log(&self) -> &ReplicaLog {
        &self.log
    }

    /// The local high watermark.
    pub fn high_watermark(&self) -> Offset {
        self.high_watermark
    }

    /// The log end offset.
    pub fn log_end_offset(&self) -> Offset {
        self.log.log_end_offset()
    }

    /// The partition state from the last applied notice.
    pub fn partition(&self) -> Option<&PartitionMetadata> {
        self.partition.as_ref()
    }

    /// The leader epoch this broker is in, or `NO_EPOCH`.
    pub fn leader_epoch(&self) -> LeaderEpoch {
        self.partition.as_ref().map_or(NO_EPOCH, |p| p.leader_epoch)
    }

    /// The role and its state.
    pub fn role(&self) -> &Role {
        &self.role
    }

    /// The role without its state.
    pub fn role_kind(&self) -> RoleKind {
        match self.role {
            Role::Offline => RoleKind::Offline,
            Role::Leader(_) => RoleKind::Leader,
            Role::Follower(_) => RoleKind::Follower,
        }
    }

    /// The committed ISR as this broker knows it (the leader's own view when leading).
    pub fn isr(&self) -> Vec<BrokerId> {
        self.partition.as_ref().map(|p| p.isr.clone()).unwrap_or_default()
    }

    /// The leader state, when leading.
    pub fn leader_state(&self) -> Option<&LeaderState> {
        match &self.role {
            Role::Leader(state) => Some(state),
            _ => None,
        }
    }

    /// The follower state, when following.
    pub fn follower_state(&self) -> Option<&FollowerState> {
        match &self.role {
            Role::Follower(state) => Some(state),
            _ => None,
        }
    }
}
