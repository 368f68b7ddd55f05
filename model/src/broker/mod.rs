//! A broker's replica, leader or follower, as the model has it.
//!
//! Time is abstract. An `isr-expiration` tick takes out of the ISR every follower that has not
//! caught up since the previous tick. That is the clockless form of `replica.lag.time.max.ms`;
//! `recency` keeps the order of the moments it and the replica selector compare.

use highwater_traces::{
    outdated_at_broker, BrokerId, EpochEndOffset, ErrorCode, LeaderEpoch, Message, NodeId, Offset, OffsetRecord,
    PartitionEpoch, Record, Role, TimerKind, NO_BROKER, NO_EPOCH,
};

use crate::bugs::ModelBug;
use crate::node::Env;

mod follower;
mod leader;
mod read;
mod recency;

pub use recency::Stamp;

/// What the leader knows of a follower.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct FollowerInfo {
    /// The follower.
    pub id: BrokerId,
    /// Its LEO from its last fetch in this epoch.
    pub leo: Option<Offset>,
    /// When it was last caught up with the leader's LEO (`lastCaughtUpTimeMs`).
    pub caught_up_at: Stamp,
    /// When it last fetched (`lastFetchTimeMs`).
    pub fetched_at: Stamp,
    /// The leader's LEO at its previous fetch.
    pub leader_leo_at_last_fetch: Offset,
    /// Its fetch, parked because the leader had nothing new: (fetch offset, its epoch).
    pub parked: Option<(Offset, LeaderEpoch)>,
    /// The HW the leader last sent it (-1 before any).
    pub hw_sent: Offset,
}

/// A consumer's fetch parked at a replica until it can read something or `fetch.max.wait.ms` is up.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct ParkedFetch {
    /// The consumer.
    pub consumer: u32,
    /// Its `client.rack`.
    pub rack: String,
    /// Its `current_leader_epoch`.
    pub epoch: LeaderEpoch,
    /// Its fetch offset.
    pub offset: Offset,
}

/// A broker's state. Role-specific fields are reset on every role change.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct BrokerState {
    /// Id.
    pub id: BrokerId,
    /// Running.
    pub alive: bool,
    /// The log.
    pub log: Vec<Record>,
    /// High watermark.
    pub hw: Offset,
    /// Epoch cache: (epoch, start offset).
    pub epochs: Vec<(LeaderEpoch, Offset)>,
    /// Role.
    pub role: Role,
    /// Leader epoch from the last notice (-1 before any).
    pub leader_epoch: LeaderEpoch,
    /// Partition epoch from the last notice.
    pub partition_epoch: PartitionEpoch,
    /// Leader from the last notice.
    pub leader: BrokerId,
    /// ISR from the last notice or committed AlterPartition.
    pub isr: Vec<BrokerId>,
    /// Leader: its epoch start offset.
    pub epoch_start: Offset,
    /// Leader: followers' fetch state.
    pub followers: Vec<FollowerInfo>,
    /// Leader: the pending AlterPartition (proposed ISR, the partition epoch it is based on, and
    /// whether it was refused with an error that awaits newer metadata rather than a resend).
    pub pending_alter: Option<(Vec<BrokerId>, PartitionEpoch, bool)>,
    /// Leader: produce requests waiting for the HW (offset, value).
    pub pending_acks: Vec<(Offset, u64)>,
    /// Consumer fetches waiting here (any role).
    pub parked_consumers: Vec<ParkedFetch>,
    /// Follower: a fetch is outstanding.
    pub fetch_in_flight: bool,
    /// Follower, KIP-strict semantics only: the leader's HW from the last answer.
    pub leader_hw: Offset,
    /// Follower, seeded bug `hw-before-truncation` only: a truncation deferred to the next fetch.
    pub pending_truncation: Option<EpochEndOffset>,
    /// Follower, seeded bug `empty-response-clears-last-fetched-epoch` only: the next fetch
    /// sends no last fetched epoch.
    pub last_fetched_epoch_cleared: bool,
    /// Follower, after OFFSET_OUT_OF_RANGE (seeded bugs only): the leader's log end offset has
    /// been asked for.
    pub awaiting_leader_end: bool,
    /// Seeded bugs `follower-state-kept-across-epochs` and `selection-on-follower` only: the
    /// followers' state from this broker's last leadership (kept in memory; a crash loses it).
    pub previous_followers: Vec<FollowerInfo>,
    /// Leader: when its last `isr-expiration` tick fired, or more than `replica.lag.time.max.ms`
    /// last passed at once, in the order of its followers' stamps.
    pub tick_at: Stamp,
    /// Leader: when the pending AlterPartition was last sent (0 when none is pending).
    pub alter_sent_at: Stamp,
}

impl BrokerState {
    /// A fresh broker with an empty log, waiting for its first notice.
    pub fn new(id: BrokerId) -> Self {
        BrokerState {
            id,
            alive: true,
            log: Vec::new(),
            hw: 0,
            epochs: Vec::new(),
            role: Role::Offline,
            leader_epoch: NO_EPOCH,
            partition_epoch: -1,
            leader: NO_BROKER,
            isr: Vec::new(),
            epoch_start: 0,
            followers: Vec::new(),
            pending_alter: None,
            pending_acks: Vec::new(),
            parked_consumers: Vec::new(),
            fetch_in_flight: false,
            leader_hw: 0,
            pending_truncation: None,
            last_fetched_epoch_cleared: false,
            awaiting_leader_end: false,
            previous_followers: Vec::new(),
            tick_at: 0,
            alter_sent_at: 0,
        }
    }

    /// What a crash leaves: the log, its epoch cache and the HW checkpoint; nothing else.
    pub fn crashed(&self) -> Self {
        BrokerState {
            alive: false,
            log: self.log.clone(),
            hw: self.hw,
            epochs: self.epochs.clone(),
            ..Self::new(self.id)
        }
    }

    /// A restart from what the crash left.
    pub fn restarted(&self) -> Self {
        BrokerState { alive: true, ..self.crashed() }
    }

    fn clear_pending_alter(&mut self) {
        self.pending_alter = None;
        self.alter_sent_at = 0;
    }

    fn leo(&self) -> Offset {
        self.log.len() as Offset
    }

    /// Whether `message`, on its way here, can never change anything (see
    /// [`outdated_at_broker`]); the handlers ignore such a message first.
    pub fn outdated(&self, message: &Message) -> bool {
        let held = (self.leader_epoch, self.partition_epoch);
        self.alive && message.epochs_for_broker().is_some_and(|epochs| outdated_at_broker(epochs, held))
    }

    /// A message arrives.
    pub fn on_message(&mut self, from: NodeId, message: Message, env: &mut Env) {
        if self.outdated(&message) {
            return;
        }
        match message {
            Message::PartitionChange { leader, leader_epoch, partition_epoch, isr } if from == NodeId::Controller => {
                self.on_notice(leader, leader_epoch, partition_epoch, isr, env)
            }
            Message::Fetch { replica_id, rack_id, current_leader_epoch, fetch_offset, last_fetched_epoch, .. } => {
                if replica_id >= 0 && from == NodeId::Broker(replica_id) {
                    self.on_replica_fetch(replica_id, current_leader_epoch, fetch_offset, last_fetched_epoch, env)
                } else if let NodeId::Consumer(_) = from {
                    self.on_consumer_fetch(from, &rack_id, current_leader_epoch, fetch_offset, env)
                }
            }
            Message::FetchResponse { .. } => self.on_fetch_response(from, message, env),
            Message::ListOffsetsResponse { error_code, offset, .. } => {
                self.on_leader_end(from, error_code, offset, env)
            }
            Message::Produce { value } => self.on_produce(from, value, env),
            Message::ListOffsets { replica_id, current_leader_epoch, timestamp } => {
                self.on_list_offsets(from, replica_id, current_leader_epoch, timestamp, env)
            }
            Message::OffsetsForLeaderEpoch { replica_id, current_leader_epoch, leader_epoch } => {
                self.on_epoch_query(from, replica_id, current_leader_epoch, leader_epoch, env)
            }
            Message::AlterPartitionResponse {
                error_code,
                leader_epoch,
                isr,
                partition_epoch,
                request_partition_epoch,
                requested_isr,
                ..
            } => {
                let answers_pending = self.pending_alter.as_ref().is_some_and(|(proposed, epoch, awaiting)| {
                    !awaiting && *proposed == requested_isr && *epoch == request_partition_epoch
                });
                if self.role == Role::Leader && answers_pending && leader_epoch == self.leader_epoch {
                    env.cancel_timer(TimerKind::AlterPartitionRetry);
                    self.on_alter_partition_answer(error_code, isr, partition_epoch, env);
                }
            }
            _ => {}
        }
    }

    /// A timer fires.
    pub fn on_timer(&mut self, timer: TimerKind, env: &mut Env) {
        match (timer, self.role) {
            (TimerKind::ReplicaFetch, Role::Follower) if !self.fetch_in_flight => {
                if let Some(diverging) = self.pending_truncation.take() {
                    let to = self.truncation_point(diverging, env);
                    self.truncate(to);
                }
                self.send_fetch(env)
            }
            (TimerKind::IsrExpiration, Role::Leader) => self.on_isr_expiration(env),
            (TimerKind::FetchWait, _) => self.on_fetch_wait(env),
            (TimerKind::ReplicaFetchWait, Role::Leader) => self.on_replica_fetch_wait(env),
            (TimerKind::AlterPartitionRetry, Role::Leader) => {
                if let Some((isr, _, false)) = self.pending_alter.clone() {
                    self.propose(isr, env);
                }
            }
            _ => {}
        }
    }

    // --- roles ---

    fn on_notice(
        &mut self,
        leader: BrokerId,
        epoch: LeaderEpoch,
        partition_epoch: PartitionEpoch,
        isr: Vec<BrokerId>,
        env: &mut Env,
    ) {
        let newer_epoch = epoch > self.leader_epoch;
        // An equal partition epoch is a change this broker holds already (see
        // docs/kafka-fidelity.md, point 8, for why this departs from Kafka's `makeLeader`).
        if !newer_epoch && (epoch < self.leader_epoch || partition_epoch <= self.partition_epoch) {
            return;
        }
        self.leader_epoch = epoch;
        self.partition_epoch = partition_epoch;
        self.leader = leader;
        self.isr = isr;
        if leader == self.id {
            if newer_epoch || self.role != Role::Leader {
                self.become_leader(env);
            } else {
                self.clear_pending_alter();
                env.cancel_timer(TimerKind::AlterPartitionRetry);
                self.on_isr_committed(env);
            }
        } else if newer_epoch || self.role != Role::Follower {
            self.become_follower(env);
        }
        self.retry_parked_consumers(env);
    }

    /// The answer to the pending AlterPartition. Kafka 4.4.0 `Partition.handleAlterPartitionError`:
    /// INELIGIBLE_REPLICA (and OPERATION_NOT_ATTEMPTED) revert to the committed state; the errors
    /// that mean newer metadata is on its way keep the change pending until it comes; any other
    /// is sent again.
    fn on_alter_partition_answer(
        &mut self,
        error: ErrorCode,
        isr: Vec<BrokerId>,
        partition_epoch: PartitionEpoch,
        env: &mut Env,
    ) {
        match error {
            ErrorCode::NONE if partition_epoch > self.partition_epoch => {
                self.clear_pending_alter();
                self.isr = isr;
                self.partition_epoch = partition_epoch;
                self.on_isr_committed(env);
            }
            ErrorCode::NONE | ErrorCode::INELIGIBLE_REPLICA => {
                self.clear_pending_alter();
                self.reconsider_parked_followers(env);
            }
            ErrorCode::FENCED_LEADER_EPOCH | ErrorCode::INVALID_UPDATE_VERSION | ErrorCode::INVALID_REQUEST => {
                if let Some(pending) = &mut self.pending_alter {
                    pending.2 = true;
                }
            }
            _ => {
                if let Some((isr, _, false)) = self.pending_alter.clone() {
                    self.propose(isr, env);
                }
            }
        }
        self.arm_isr_check(env);
    }

    /// The leader's ISR changed by a committed AlterPartition (answer or notice). A shrink can
    /// raise the HW, the minimum over the ISR; the seeded KAFKA-13091 forgets to look.
    fn on_isr_committed(&mut self, env: &mut Env) {
        if !env.cfg.has(ModelBug::HwStuckAfterShrink) {
            self.advance_hw(env);
        }
        self.arm_isr_check(env);
        self.reconsider_parked_followers(env);
    }

    /// The ISR check a parked follower's next fetch would run (a long poll with nothing to answer
    /// does not expire here; in Kafka it expires within `replica.fetch.wait.max.ms`), run when an
    /// AlterPartition settles, as the protocol crate does.
    fn reconsider_parked_followers(&mut self, env: &mut Env) {
        let parked: Vec<BrokerId> = self.followers.iter().filter(|f| f.parked.is_some()).map(|f| f.id).collect();
        for follower in parked {
            self.maybe_expand_isr(follower, env);
        }
    }

    fn give_up_leadership(&mut self, env: &mut Env) {
        let remembers =
            env.cfg.has(ModelBug::FollowerStateKeptAcrossEpochs) || env.cfg.has(ModelBug::SelectionOnFollower);
        if remembers && self.role == Role::Leader {
            self.previous_followers = self.followers.clone();
        } else {
            self.tick_at = 0;
        }
        for f in std::mem::take(&mut self.followers) {
            if let Some((offset, epoch)) = f.parked {
                let answer = self.fetch_answer(ErrorCode::FENCED_LEADER_EPOCH, vec![], None, NO_BROKER, offset, epoch);
                env.send(NodeId::Broker(f.id), answer);
            }
        }
        for (_, value) in std::mem::take(&mut self.pending_acks) {
            env.send(NodeId::Producer, self.produce_answer(ErrorCode::NOT_LEADER_OR_FOLLOWER, -1, value));
        }
        self.followers.clear();
        env.cancel_timer(TimerKind::ReplicaFetchWait);
        self.clear_pending_alter();
        env.cancel_timer(TimerKind::AlterPartitionRetry);
    }

    fn become_leader(&mut self, env: &mut Env) {
        self.give_up_leadership(env);
        if !env.cfg.has(ModelBug::NoEpochCacheEntryOnElection) {
            self.assign_epoch(self.leader_epoch, self.leo());
        }
        self.role = Role::Leader;
        self.epoch_start = self.leo();
        self.fetch_in_flight = false;
        self.awaiting_leader_end = false;
        let start = self.new_stamp();
        self.followers = env
            .cfg
            .broker_ids()
            .filter(|b| *b != self.id)
            .map(|id| {
                let fresh = FollowerInfo {
                    id,
                    leo: None,
                    caught_up_at: if self.isr.contains(&id) { start } else { 0 },
                    fetched_at: 0,
                    leader_leo_at_last_fetch: 0,
                    parked: None,
                    hw_sent: -1,
                };
                // The seeded bug: what this broker knew as leader before stands for what the
                // follower has now, though other leaders may have truncated it since.
                let previous = self.previous_followers.iter().find(|f| f.id == id);
                match previous.filter(|_| env.cfg.has(ModelBug::FollowerStateKeptAcrossEpochs)) {
                    Some(previous) => FollowerInfo { parked: None, hw_sent: -1, ..previous.clone() },
                    None => fresh,
                }
            })
            .collect();
        self.renumber_stamps(env.cfg);
        env.cancel_timer(TimerKind::ReplicaFetch);
        self.advance_hw(env);
        self.arm_isr_check(env);
    }

    /// The ISR check can only change something while some ISR follower is behind the LEO (it
    /// may shrink the ISR) or an AlterPartition is pending (it may send it again); the tick is
    /// armed exactly then, so idle ticks do not multiply interleavings.
    pub(super) fn arm_isr_check(&self, env: &mut Env) {
        let leo = self.leo();
        let behind = self.followers.iter().any(|f| self.isr.contains(&f.id) && f.leo != Some(leo));
        let resendable = self.pending_alter.as_ref().is_some_and(|(_, _, awaiting)| !awaiting);
        if behind || resendable {
            env.set_timer(TimerKind::IsrExpiration);
        } else {
            env.cancel_timer(TimerKind::IsrExpiration);
        }
    }

    fn become_follower(&mut self, env: &mut Env) {
        self.give_up_leadership(env);
        if env.cfg.has(ModelBug::TruncateToHw) {
            // Before KIP-101: what is above the local HW is presumed uncommitted.
            self.truncate(self.hw);
        }
        self.role = Role::Follower;
        self.pending_truncation = None;
        self.last_fetched_epoch_cleared = false;
        self.awaiting_leader_end = false;
        self.note_leader_hw(self.hw, env);
        self.fetch_in_flight = false;
        env.cancel_timer(TimerKind::IsrExpiration);
        if self.leader != NO_BROKER {
            self.send_fetch(env);
        } else {
            env.cancel_timer(TimerKind::ReplicaFetch);
        }
    }

    // --- epoch cache ---

    fn assign_epoch(&mut self, epoch: LeaderEpoch, start: Offset) {
        if let Some(&(last, last_start)) = self.epochs.last() {
            if last == epoch && last_start <= start {
                return;
            }
        }
        self.epochs.retain(|&(e, s)| e < epoch && s < start);
        self.epochs.push((epoch, start));
    }

    fn latest_epoch(&self) -> LeaderEpoch {
        self.epochs.last().map_or(NO_EPOCH, |(e, _)| *e)
    }

    /// `endOffsetFor`: the largest cached epoch ≤ `asked` and where it ends.
    fn end_offset_for(&self, asked: LeaderEpoch) -> (LeaderEpoch, Offset) {
        if asked == NO_EPOCH {
            return (NO_EPOCH, -1);
        }
        if self.latest_epoch() == asked {
            return (asked, self.leo());
        }
        match self.epochs.iter().find(|(e, _)| *e > asked) {
            None => (NO_EPOCH, -1),
            Some(&(_, next_start)) => match self.epochs.iter().rev().find(|(e, _)| *e <= asked) {
                Some(&(floor, _)) => (floor, next_start),
                None => (asked, next_start),
            },
        }
    }

    fn append(&mut self, record: Record) {
        // `UnifiedLog.assignEpochStartOffset`: every record is offered to the cache, which keeps
        // what changes its latest entry (`assign_epoch`).
        self.assign_epoch(record.epoch, self.leo());
        self.log.push(record);
    }

    /// Entries starting at or after the truncation point go, empty ones at the end included
    /// (KAFKA-10706).
    fn truncate(&mut self, to: Offset) {
        let to = to.max(0);
        self.epochs.retain(|&(_, start)| start < to);
        self.log.truncate(to as usize);
        self.hw = self.hw.min(self.leo());
    }

    // --- fencing: the one decision site ---

    fn check_epoch(&self, requested: LeaderEpoch, leader_only: bool, env: &Env) -> ErrorCode {
        // The seeded bug: before KIP-320 a broker served requests from any epoch.
        let no_fencing = env.cfg.has(ModelBug::NoLeaderEpochFencing);
        if self.role == Role::Offline {
            return ErrorCode::NOT_LEADER_OR_FOLLOWER;
        }
        if requested != NO_EPOCH && !no_fencing && requested < self.leader_epoch {
            return ErrorCode::FENCED_LEADER_EPOCH;
        }
        if requested != NO_EPOCH && !no_fencing && requested > self.leader_epoch {
            return ErrorCode::UNKNOWN_LEADER_EPOCH;
        }
        if leader_only && self.role != Role::Leader {
            return ErrorCode::NOT_LEADER_OR_FOLLOWER;
        }
        ErrorCode::NONE
    }

    #[allow(clippy::too_many_arguments)]
    fn fetch_answer(
        &self,
        error_code: ErrorCode,
        records: Vec<OffsetRecord>,
        diverging_epoch: Option<EpochEndOffset>,
        preferred_read_replica: BrokerId,
        fetch_offset: Offset,
        request_leader_epoch: LeaderEpoch,
    ) -> Message {
        Message::FetchResponse {
            error_code,
            high_watermark: self.hw,
            log_start_offset: 0,
            records,
            diverging_epoch,
            preferred_read_replica,
            leader_id: self.leader,
            leader_epoch: self.leader_epoch,
            fetch_offset,
            request_leader_epoch,
        }
    }

    fn read(&self, from: Offset, until: Offset) -> Vec<OffsetRecord> {
        (from.max(0)..until.min(self.leo()))
            .map(|o| {
                let r = self.log[o as usize];
                OffsetRecord { offset: o, epoch: r.epoch, value: r.value }
            })
            .collect()
    }
}
