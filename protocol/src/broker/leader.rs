//! The leader's side: replication fetches, the high watermark, ISR changes and produce.

use std::collections::BTreeMap;

use super::replica_wait::WaitingFetch;
use super::{Broker, Role};
use crate::bugs::Bug;
use crate::errors::ErrorCode;
use crate::messages::{
    AlterPartitionRequest, AlterPartitionResponse, EpochEndOffset, FetchRequest, FetchResponse, LeaderIdAndEpoch,
    Message, ProduceRequest, ProduceResponse,
};
use crate::node::{IgnoreReason, Outbox, TimerKind};
use crate::types::{BrokerId, Millis, NodeId, Offset, PartitionEpoch, Record, NO_EPOCH, NO_PREFERRED_REPLICA};

/// What the leader knows of one follower's fetching (Kafka's `Replica` state).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct FollowerFetchState {
    /// The follower's LEO as of its last fetch in this epoch; `None` until it has fetched.
    pub log_end_offset: Option<Offset>,
    /// The follower's log start offset.
    pub log_start_offset: Offset,
    /// When the follower was last caught up with the leader's LEO.
    pub last_caught_up_ms: Millis,
    /// The leader's LEO at the follower's previous fetch.
    pub last_fetch_leader_log_end_offset: Offset,
    /// When the follower last fetched.
    pub last_fetch_ms: Millis,
}

impl FollowerFetchState {
    fn fresh(in_sync: bool, now: Millis) -> Self {
        FollowerFetchState {
            log_end_offset: None,
            log_start_offset: 0,
            last_caught_up_ms: if in_sync { now } else { 0 },
            last_fetch_leader_log_end_offset: 0,
            last_fetch_ms: 0,
        }
    }

    /// `Replica.updateFetchState`: caught up if it fetched at the leader's LEO, or at least at
    /// the LEO the leader had at its previous fetch.
    pub(super) fn record_fetch(
        &mut self,
        fetch_offset: Offset,
        log_start_offset: Offset,
        leader_leo: Offset,
        now: Millis,
    ) {
        if fetch_offset >= leader_leo {
            self.last_caught_up_ms = self.last_caught_up_ms.max(now);
        } else if fetch_offset >= self.last_fetch_leader_log_end_offset {
            self.last_caught_up_ms = self.last_caught_up_ms.max(self.last_fetch_ms);
        }
        self.log_end_offset = Some(fetch_offset);
        self.log_start_offset = log_start_offset.max(0);
        self.last_fetch_leader_log_end_offset = leader_leo;
        self.last_fetch_ms = now;
    }
}

/// An AlterPartition sent and not yet answered (one at a time, `AlterPartitionManager`).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct PendingAlterPartition {
    /// The proposed ISR, sorted.
    pub new_isr: Vec<BrokerId>,
    /// The partition epoch the proposal is based on.
    pub partition_epoch: PartitionEpoch,
    /// When it was sent, for the retry after a request timeout.
    pub sent_ms: Millis,
    /// Refused with an error that means newer metadata is on its way: it stays pending, and is
    /// not sent again, until that partition change arrives.
    pub awaiting_metadata: bool,
}

/// State only a leader has.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LeaderState {
    /// The LEO when this broker became leader: the first offset of its epoch (LESO, KIP-207).
    pub epoch_start_offset: Offset,
    /// Every other replica's fetch state.
    pub followers: BTreeMap<BrokerId, FollowerFetchState>,
    /// The AlterPartition in flight, if any.
    pub pending_alter: Option<PendingAlterPartition>,
    /// acks=all produce requests waiting for the HW to pass their offset.
    pub pending_acks: Vec<(Offset, NodeId, u64)>,
    /// Follower fetches with no news yet, waiting (long poll): (fetch offset, request epoch).
    pub waiting_fetches: BTreeMap<BrokerId, WaitingFetch>,
    /// The HW last sent to each follower in this fetch session; a new HW is news.
    pub high_watermark_sent: BTreeMap<BrokerId, Offset>,
}

impl Broker {
    /// Take leadership of the epoch in the current partition metadata.
    /// Source: `Partition.makeLeader`; the epoch cache entry is KAFKA-7415's fix.
    pub(super) fn become_leader(&mut self, now: Millis, out: &mut Outbox) {
        let partition = self.partition.clone().expect("become_leader runs after a notice");
        if !self.config.bugs.has(Bug::NoEpochCacheEntryOnElection) {
            self.log.assign_epoch_at_end(partition.leader_epoch);
        }
        self.fail_pending_acks(out);
        let me = self.config.broker_id;
        let fresh: BTreeMap<_, _> = partition
            .replicas
            .iter()
            .filter(|r| r.broker_id != me)
            .map(|r| (r.broker_id, FollowerFetchState::fresh(partition.isr.contains(&r.broker_id), now)))
            .collect();
        let followers = if self.config.bugs.has(Bug::FollowerStateKeptAcrossEpochs) {
            fresh
                .into_iter()
                .map(|(id, state)| (id, *self.previous_follower_states.get(&id).unwrap_or(&state)))
                .collect()
        } else {
            fresh
        };
        self.role = Role::Leader(LeaderState {
            epoch_start_offset: self.log.log_end_offset(),
            followers,
            pending_alter: None,
            pending_acks: Vec::new(),
            waiting_fetches: BTreeMap::new(),
            high_watermark_sent: BTreeMap::new(),
        });
        out.cancel_timer(TimerKind::ReplicaFetch);
        out.set_timer(TimerKind::IsrExpiration, self.isr_check_interval());
        self.maybe_advance_high_watermark(out);
    }

    /// The leader's ISR changed by a committed AlterPartition (response or notice).
    pub(super) fn on_isr_committed(&mut self, out: &mut Outbox) {
        if let Role::Leader(state) = &mut self.role {
            state.pending_alter = None;
        }
        out.cancel_timer(TimerKind::AlterPartitionRetry);
        if !self.config.bugs.has(Bug::HwStuckAfterShrink) {
            self.maybe_advance_high_watermark(out);
        }
        self.reconsider_waiting_followers(out);
    }

    /// A follower whose fetch waits here was last judged for the ISR when it fetched. In Kafka
    /// its `DelayedFetch` expires within `replica.fetch.wait.max.ms` and it fetches again, at
    /// the same offset, and `maybeExpandIsr` runs then; here a fetch with nothing to answer does
    /// not expire, so the leader runs that check itself whenever an AlterPartition settles, as
    /// the next fetch would. Without it a follower that caught up while the ISR shrank past it, or while
    /// another change was pending, would stay out of the ISR until the next append.
    fn reconsider_waiting_followers(&mut self, out: &mut Outbox) {
        let now = self.now;
        let waiting: Vec<BrokerId> = match &self.role {
            Role::Leader(state) => state.waiting_fetches.keys().copied().collect(),
            _ => return,
        };
        for follower in waiting {
            self.maybe_expand_isr(follower, now, out);
        }
    }

    fn isr_check_interval(&self) -> Millis {
        (self.config.replica_lag_time_max_ms / 2).max(1)
    }

    /// A follower's fetch. Source: `Partition.fetchRecords` → `validateFetchOffsetAndMaybeGetDivergingEpoch`,
    /// `updateFollowerFetchState`, `maybeExpandIsr`, `maybeIncrementLeaderHW`.
    pub(super) fn on_replica_fetch(&mut self, now: Millis, from: NodeId, request: FetchRequest, out: &mut Outbox) {
        // A broker that has no partition state yet cannot know the replicas; it answers, as Kafka
        // does for a partition it does not host, and the follower backs off.
        let knows_replicas = self.partition.is_some();
        if from != NodeId::Broker(request.replica_id) || (knows_replicas && !self.is_replica(request.replica_id)) {
            return out.ignore(IgnoreReason::UnknownSender);
        }
        if let Err(error) = self.check_leader_epoch(request.current_leader_epoch, true) {
            return self.send_fetch_error(from, &request, error, out);
        }
        let leo = self.log.log_end_offset();
        if request.last_fetched_epoch != NO_EPOCH {
            let (epoch, end_offset) = self.log.epochs().end_offset_for(request.last_fetched_epoch, leo);
            if epoch == NO_EPOCH {
                return self.send_fetch_error(from, &request, ErrorCode::OFFSET_OUT_OF_RANGE, out);
            }
            if epoch < request.last_fetched_epoch || end_offset < request.fetch_offset {
                if self.config.bugs.has(Bug::DivergingFetchUpdatesFollowerState) {
                    self.update_follower_fetch_state(now, &request, out);
                }
                let diverging = EpochEndOffset { epoch, end_offset };
                return self.send_fetch_answer(from, &request, Vec::new(), Some(diverging), out);
            }
        }
        if request.fetch_offset > leo || request.fetch_offset < self.log.log_start_offset() {
            return self.send_fetch_error(from, &request, ErrorCode::OFFSET_OUT_OF_RANGE, out);
        }
        self.update_follower_fetch_state(now, &request, out);
        // Long poll (`DelayedFetch`): answered now if there are records for it, else when there
        // are, or at its deadline if it has a new HW to learn.
        if let Role::Leader(state) = &mut self.role {
            let fetch = WaitingFetch {
                fetch_offset: request.fetch_offset,
                request_leader_epoch: request.current_leader_epoch,
                parked_ms: now,
            };
            state.waiting_fetches.insert(request.replica_id, fetch);
        }
        self.answer_waiting_replica_fetches(out);
    }

    fn update_follower_fetch_state(&mut self, now: Millis, request: &FetchRequest, out: &mut Outbox) {
        let leo = self.log.log_end_offset();
        let Role::Leader(state) = &mut self.role else { return };
        let Some(follower) = state.followers.get_mut(&request.replica_id) else { return };
        follower.record_fetch(request.fetch_offset.min(leo), request.log_start_offset, leo, now);
        self.maybe_expand_isr(request.replica_id, now, out);
        self.maybe_advance_high_watermark(out);
    }

    /// Send a successful fetch answer to a follower with the leader's current HW.
    fn send_fetch_answer(
        &self,
        to: NodeId,
        request: &FetchRequest,
        records: Vec<crate::types::OffsetRecord>,
        diverging_epoch: Option<EpochEndOffset>,
        out: &mut Outbox,
    ) {
        let response = FetchResponse {
            error_code: ErrorCode::NONE,
            high_watermark: self.high_watermark,
            log_start_offset: self.log.log_start_offset(),
            records,
            diverging_epoch,
            preferred_read_replica: NO_PREFERRED_REPLICA,
            current_leader: self.current_leader(),
            fetch_offset: request.fetch_offset,
            request_leader_epoch: request.current_leader_epoch,
        };
        out.send(to, Message::FetchResponse(response));
    }

    /// Answer a fetch (from a follower or a consumer) with an error and no records.
    pub(super) fn send_fetch_error(&self, to: NodeId, request: &FetchRequest, error: ErrorCode, out: &mut Outbox) {
        let response = FetchResponse {
            error_code: error,
            high_watermark: self.high_watermark,
            log_start_offset: self.log.log_start_offset(),
            records: Vec::new(),
            diverging_epoch: None,
            preferred_read_replica: NO_PREFERRED_REPLICA,
            current_leader: self.current_leader(),
            fetch_offset: request.fetch_offset,
            request_leader_epoch: request.current_leader_epoch,
        };
        out.send(to, Message::FetchResponse(response));
    }

    pub(super) fn current_leader(&self) -> LeaderIdAndEpoch {
        match &self.partition {
            Some(p) => LeaderIdAndEpoch { leader_id: p.leader, leader_epoch: p.leader_epoch },
            None => LeaderIdAndEpoch { leader_id: -1, leader_epoch: NO_EPOCH },
        }
    }

    /// The ISR plus any member a pending AlterPartition adds (KIP-497's "maximal ISR").
    pub fn maximal_isr(&self) -> Vec<BrokerId> {
        let mut isr = self.isr();
        if let Some(pending) = self.leader_state().and_then(|s| s.pending_alter.as_ref()) {
            isr.extend(pending.new_isr.iter().copied());
            isr.sort_unstable();
            isr.dedup();
        }
        isr
    }

    /// Advance the HW to the smallest LEO in the maximal ISR, never backwards, and answer the
    /// produce requests it commits. Source: Kafka 4.4.0 `Partition.maybeIncrementLeaderHW`,
    /// which returns at once while `isUnderMinIsr`: the committed ISR (not the maximal one) is
    /// smaller than the effective minimum.
    pub(super) fn maybe_advance_high_watermark(&mut self, out: &mut Outbox) {
        if self.is_under_min_isr() {
            return;
        }
        let members = if self.config.bugs.has(Bug::HwOverCommittedIsrOnly) { self.isr() } else { self.maximal_isr() };
        let me = self.config.broker_id;
        let leo = self.log.log_end_offset();
        let current_leader = self.current_leader();
        let Role::Leader(state) = &mut self.role else { return };
        let mut candidate = leo;
        for member in members.into_iter().filter(|m| *m != me) {
            match state.followers.get(&member).and_then(|f| f.log_end_offset) {
                Some(follower_leo) => candidate = candidate.min(follower_leo),
                // A member that has not fetched in this epoch holds the HW back (rule 3 of
                // hachikuji's kafka-specification `Kip320.tla`).
                None => return,
            }
        }
        if candidate <= self.high_watermark {
            return;
        }
        self.high_watermark = candidate;
        let hw = candidate;
        let (committed, waiting): (Vec<_>, Vec<_>) = state.pending_acks.drain(..).partition(|(o, _, _)| *o < hw);
        state.pending_acks = waiting;
        self.answer_waiting_replica_fetches(out);
        self.retry_parked_consumer_fetches(out);
        for (offset, producer, value) in committed {
            let response = ProduceResponse { error_code: ErrorCode::NONE, base_offset: offset, value, current_leader };
            out.send(producer, Message::ProduceResponse(response));
        }
    }

    /// `min.insync.replicas`, but never more than the replicas assigned, so that a topic with
    /// fewer replicas than the setting stays writable. Source: `Partition.effectiveMinIsr`.
    pub fn effective_min_isr(&self) -> usize {
        let replicas = self.partition.as_ref().map_or(1, |p| p.replicas.len());
        self.config.min_insync_replicas.min(replicas)
    }

    /// Source: `Partition.isUnderMinIsr`, on the committed ISR.
    fn is_under_min_isr(&self) -> bool {
        self.isr().len() < self.effective_min_isr()
    }

    /// Propose adding a caught-up follower to the ISR.
    /// Source: `Partition.maybeExpandIsr` / `isFollowerInSync`; the epoch-start rule is KAFKA-7128.
    fn maybe_expand_isr(&mut self, follower: BrokerId, now: Millis, out: &mut Outbox) {
        if self.maximal_isr().contains(&follower) {
            return;
        }
        let Some(state) = self.leader_state() else { return };
        if state.pending_alter.is_some() {
            return;
        }
        let Some(follower_leo) = state.followers.get(&follower).and_then(|f| f.log_end_offset) else { return };
        let reached_epoch =
            follower_leo >= state.epoch_start_offset || self.config.bugs.has(Bug::IsrExpandBeforeEpochStart);
        if follower_leo >= self.high_watermark && reached_epoch {
            let mut new_isr = self.isr();
            new_isr.push(follower);
            new_isr.sort_unstable();
            self.send_alter_partition(new_isr, now, out);
        }
    }

    fn send_alter_partition(&mut self, new_isr: Vec<BrokerId>, now: Millis, out: &mut Outbox) {
        let Some(partition) = &self.partition else { return };
        let request = AlterPartitionRequest {
            broker_id: self.config.broker_id,
            leader_epoch: partition.leader_epoch,
            partition_epoch: partition.partition_epoch,
            new_isr: new_isr.clone(),
        };
        let partition_epoch = request.partition_epoch;
        if let Role::Leader(state) = &mut self.role {
            state.pending_alter =
                Some(PendingAlterPartition { new_isr, partition_epoch, sent_ms: now, awaiting_metadata: false });
        }
        out.send(NodeId::Controller, Message::AlterPartition(request));
    }

    /// The connection to the controller reset with an AlterPartition pending: Kafka's
    /// `AlterPartitionManager` keeps the change pending (it may have been applied) and sends it
    /// again after a backoff.
    pub(super) fn on_controller_disconnected(&mut self, out: &mut Outbox) {
        match self.leader_state().and_then(|s| s.pending_alter.as_ref()) {
            Some(pending) if !pending.awaiting_metadata => {
                out.set_timer(TimerKind::AlterPartitionRetry, self.config.alter_partition_retry_ms)
            }
            _ => out.ignore(IgnoreReason::StaleResponse),
        }
    }

    /// The backoff after a reset is over: send the pending AlterPartition again.
    pub(super) fn on_alter_partition_retry(&mut self, now: Millis, out: &mut Outbox) {
        let Some(pending) = self.leader_state().and_then(|s| s.pending_alter.as_ref()).filter(|p| !p.awaiting_metadata)
        else {
            return out.ignore(IgnoreReason::IdleTimer);
        };
        let new_isr = pending.new_isr.clone();
        self.send_alter_partition(new_isr, now, out);
    }

    /// Periodic ISR check: shrink out followers not caught up within `replica.lag.time.max.ms`,
    /// or resend an AlterPartition that timed out. Source: `Partition.maybeShrinkIsr`, `getOutOfSyncReplicas`.
    pub(super) fn on_isr_expiration_timeout(&mut self, now: Millis, out: &mut Outbox) {
        let Some(state) = self.leader_state() else {
            return out.ignore(IgnoreReason::IdleTimer);
        };
        out.set_timer(TimerKind::IsrExpiration, self.isr_check_interval());
        if let Some(pending) = &state.pending_alter {
            if !pending.awaiting_metadata && now.saturating_sub(pending.sent_ms) >= self.config.request_timeout_ms {
                let new_isr = pending.new_isr.clone();
                self.send_alter_partition(new_isr, now, out);
            }
            return;
        }
        let leo = self.log.log_end_offset();
        let me = self.config.broker_id;
        let lag = self.config.replica_lag_time_max_ms;
        let isr = self.isr();
        let out_of_sync: Vec<BrokerId> = isr
            .iter()
            .copied()
            .filter(|id| *id != me)
            .filter(|id| match state.followers.get(id) {
                Some(f) => f.log_end_offset != Some(leo) && now.saturating_sub(f.last_caught_up_ms) > lag,
                None => true,
            })
            .collect();
        if !out_of_sync.is_empty() {
            let new_isr = isr.into_iter().filter(|id| !out_of_sync.contains(id)).collect();
            self.send_alter_partition(new_isr, now, out);
        }
    }

    /// The controller's answer to our AlterPartition. Source: `AlterPartitionManager`, `Partition.handleAlterPartitionUpdate`.
    pub(super) fn on_alter_partition_response(&mut self, response: AlterPartitionResponse, out: &mut Outbox) {
        let Some(partition) = &mut self.partition else {
            return out.ignore(IgnoreReason::StaleResponse);
        };
        let Role::Leader(state) = &mut self.role else {
            return out.ignore(IgnoreReason::StaleResponse);
        };
        // Only the answer to the request still pending settles it: a late answer to an earlier
        // proposal would otherwise drop a pending expansion from the maximal ISR.
        let answers_pending = state.pending_alter.as_ref().is_some_and(|p| {
            !p.awaiting_metadata
                && p.partition_epoch == response.request_partition_epoch
                && p.new_isr == response.requested_isr
        });
        if !answers_pending || response.leader_epoch != partition.leader_epoch {
            return out.ignore(IgnoreReason::StaleResponse);
        }
        out.cancel_timer(TimerKind::AlterPartitionRetry);
        // Kafka 4.4.0 `Partition.handleAlterPartitionError`: INELIGIBLE_REPLICA reverts to the
        // committed state; the errors that mean newer metadata is on its way keep the change
        // pending until that partition change arrives; any other error sends it again.
        match response.error_code {
            ErrorCode::NONE => {}
            ErrorCode::INELIGIBLE_REPLICA => {
                state.pending_alter = None;
                return self.reconsider_waiting_followers(out);
            }
            ErrorCode::FENCED_LEADER_EPOCH | ErrorCode::INVALID_UPDATE_VERSION | ErrorCode::INVALID_REQUEST => {
                if let Some(pending) = &mut state.pending_alter {
                    pending.awaiting_metadata = true;
                }
                return;
            }
            _ => {
                let new_isr = state.pending_alter.as_ref().map(|p| p.new_isr.clone()).unwrap_or_default();
                let now = self.now;
                return self.send_alter_partition(new_isr, now, out);
            }
        }
        if response.partition_epoch <= partition.partition_epoch {
            // The notice for this change (or a later one) was applied first.
            state.pending_alter = None;
            return self.reconsider_waiting_followers(out);
        }
        partition.isr = response.isr;
        partition.partition_epoch = response.partition_epoch;
        self.on_isr_committed(out);
    }

    /// acks=all produce. Source: `Partition.appendRecordsToLeader`, `DelayedProduce`.
    pub(super) fn on_produce(&mut self, from: NodeId, request: ProduceRequest, out: &mut Outbox) {
        let current_leader = self.current_leader();
        let reject = |error: ErrorCode, out: &mut Outbox| {
            let response = ProduceResponse { error_code: error, base_offset: -1, value: request.value, current_leader };
            out.send(from, Message::ProduceResponse(response));
        };
        if request.acks != -1 {
            return reject(ErrorCode::INVALID_REQUEST, out);
        }
        let epoch = self.leader_epoch();
        if self.leader_state().is_none() {
            return reject(ErrorCode::NOT_LEADER_OR_FOLLOWER, out);
        }
        // `Partition.appendRecordsToLeader` refuses acks=all before appending.
        if self.is_under_min_isr() {
            return reject(ErrorCode::NOT_ENOUGH_REPLICAS, out);
        }
        let offset = self.log.append(Record { epoch, value: request.value });
        if let Role::Leader(state) = &mut self.role {
            state.pending_acks.push((offset, from, request.value));
        }
        self.maybe_advance_high_watermark(out);
        self.answer_waiting_replica_fetches(out);
    }

    /// Answer every waiting produce with NOT_LEADER_OR_FOLLOWER (leadership is being given up or renewed).
    pub(super) fn fail_pending_acks(&mut self, out: &mut Outbox) {
        let current_leader = self.current_leader();
        self.fail_waiting_replica_fetches(out);
        out.cancel_timer(TimerKind::AlterPartitionRetry);
        if let Role::Leader(state) = &mut self.role {
            for (_, producer, value) in state.pending_acks.drain(..) {
                let response = ProduceResponse {
                    error_code: ErrorCode::NOT_LEADER_OR_FOLLOWER,
                    base_offset: -1,
                    value,
                    current_leader,
                };
                out.send(producer, Message::ProduceResponse(response));
            }
            self.previous_follower_states = state.followers.clone();
        }
    }
}
