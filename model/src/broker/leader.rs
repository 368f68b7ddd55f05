//! The leader's side: replication fetches (long-polled), the HW, ISR changes, produce, and the
//! answers only a leader gives (ListOffsets, OffsetsForLeaderEpoch).

use highwater_traces::{
    BrokerId, EpochEndOffset, ErrorCode, LeaderEpoch, Message, NodeId, Offset, Record, Role, TimerKind,
    CONSUMER_REPLICA_ID, EARLIEST_TIMESTAMP, LATEST_TIMESTAMP, NO_BROKER, NO_EPOCH,
};

use super::BrokerState;
use crate::bugs::ModelBug;
use crate::config::Semantics;
use crate::node::Env;

impl BrokerState {
    // --- leader ---

    pub(super) fn on_replica_fetch(
        &mut self,
        follower: BrokerId,
        epoch: LeaderEpoch,
        fetch_offset: Offset,
        last_epoch: LeaderEpoch,
        env: &mut Env,
    ) {
        let to = NodeId::Broker(follower);
        let error = self.check_epoch(epoch, true, env);
        if error != ErrorCode::NONE {
            return env.send(to, self.fetch_answer(error, vec![], None, NO_BROKER, fetch_offset, epoch));
        }
        if last_epoch != NO_EPOCH {
            let (e, end) = self.end_offset_for(last_epoch);
            if e == NO_EPOCH {
                return env.send(
                    to,
                    self.fetch_answer(ErrorCode::OFFSET_OUT_OF_RANGE, vec![], None, NO_BROKER, fetch_offset, epoch),
                );
            }
            if e < last_epoch || end < fetch_offset {
                if env.cfg.has(ModelBug::DivergingFetchUpdatesFollowerState) {
                    // KAFKA-13141: the diverging fetch still counts as the follower's position.
                    self.record_follower_fetch(follower, fetch_offset.min(self.leo()), env);
                }
                let diverging = EpochEndOffset { epoch: e, end_offset: end };
                return env.send(
                    to,
                    self.fetch_answer(ErrorCode::NONE, vec![], Some(diverging), NO_BROKER, fetch_offset, epoch),
                );
            }
        }
        if fetch_offset > self.leo() || fetch_offset < 0 {
            return env.send(
                to,
                self.fetch_answer(ErrorCode::OFFSET_OUT_OF_RANGE, vec![], None, NO_BROKER, fetch_offset, epoch),
            );
        }
        self.record_follower_fetch(follower, fetch_offset, env);
        if let Some(f) = self.followers.iter_mut().find(|f| f.id == follower) {
            f.parked = Some((fetch_offset, epoch));
        }
        // Long poll (Kafka's DelayedFetch): answered now if there are records, else when there
        // are, or at its deadline if it has a new HW to learn. Answered now, it was never parked:
        // no wait passed to renew it.
        let leo = self.leo();
        self.answer_parked_where(|offset, _| offset < leo, false, env);
        self.arm_replica_fetch_wait(env);
    }

    /// A follower fetched from `fetch_offset`: its LEO as the leader knows it, whether it caught
    /// up, and what follows from that (ISR expansion, the HW).
    fn record_follower_fetch(&mut self, follower: BrokerId, fetch_offset: Offset, env: &mut Env) {
        let leo = self.leo();
        if let Some(index) = self.followers.iter().position(|f| f.id == follower) {
            let now = self.new_stamp();
            self.note_fetch_time(index, fetch_offset, leo, now);
            self.followers[index].leo = Some(fetch_offset);
            self.renumber_stamps(env.cfg);
        }
        self.maybe_expand_isr(follower, env);
        self.advance_hw(env);
        self.arm_isr_check(env);
    }

    /// Answer every parked follower fetch with records past its offset: Kafka 4.4.0's
    /// `DelayedFetch.tryComplete` compares a follower's fetch with the LEO, so a new HW alone
    /// waits for `replica.fetch.wait.max.ms` (the `replica-fetch-wait` tick).
    pub(super) fn answer_parked_followers(&mut self, env: &mut Env) {
        let leo = self.leo();
        self.answer_parked_where(|offset, _| offset < leo, true, env);
        self.arm_replica_fetch_wait(env);
    }

    /// `replica.fetch.wait.max.ms` is up: every parked fetch whose follower has not been told
    /// the HW is answered. One that has neither records nor a HW to learn stays parked: Kafka
    /// would answer it empty and the follower would fetch again at once, the same state.
    pub(super) fn on_replica_fetch_wait(&mut self, env: &mut Env) {
        let leo = self.leo();
        self.answer_parked_where(|offset, hw_news| offset < leo || hw_news, true, env);
        self.arm_replica_fetch_wait(env);
    }

    /// The `replica-fetch-wait` tick runs while a parked fetch has a HW to learn.
    pub(super) fn arm_replica_fetch_wait(&self, env: &mut Env) {
        let hw = self.hw;
        if self.role == Role::Leader && self.followers.iter().any(|f| f.parked.is_some() && f.hw_sent < hw) {
            env.set_timer(TimerKind::ReplicaFetchWait);
        } else {
            env.cancel_timer(TimerKind::ReplicaFetchWait);
        }
    }

    /// Answer the parked fetches `answer` picks; `renew` when they waited (see `renew_parked`).
    fn answer_parked_where(&mut self, answer: impl Fn(Offset, bool) -> bool, renew: bool, env: &mut Env) {
        let (leo, hw) = (self.leo(), self.hw);
        let ready: Vec<(BrokerId, Offset, LeaderEpoch)> = self
            .followers
            .iter()
            .filter_map(|f| f.parked.filter(|(offset, _)| answer(*offset, f.hw_sent < hw)).map(|(o, e)| (f.id, o, e)))
            .collect();
        let answered: Vec<BrokerId> = ready.iter().map(|(follower, _, _)| *follower).collect();
        if renew {
            self.renew_parked(&answered, env.cfg);
        }
        for (follower, offset, epoch) in ready {
            let records = self.read(offset, leo);
            env.send(
                NodeId::Broker(follower),
                self.fetch_answer(ErrorCode::NONE, records, None, NO_BROKER, offset, epoch),
            );
            if let Some(f) = self.followers.iter_mut().find(|f| f.id == follower) {
                f.parked = None;
                f.hw_sent = hw;
            }
        }
    }

    /// The ISR plus members a pending AlterPartition adds (KIP-497's maximal ISR).
    pub fn maximal_isr(&self) -> Vec<BrokerId> {
        let mut isr = Vec::new();
        self.write_maximal_isr(&mut isr);
        isr
    }

    /// [`BrokerState::maximal_isr`], written over `isr`.
    pub fn write_maximal_isr(&self, isr: &mut Vec<BrokerId>) {
        isr.clone_from(&self.isr);
        if let Some((proposed, _, _)) = &self.pending_alter {
            isr.extend(proposed);
            isr.sort_unstable();
            isr.dedup();
        }
    }

    /// Kafka 4.4.0 `Partition.maybeIncrementLeaderHW`: held while the committed ISR is below the
    /// effective minimum (`isUnderMinIsr`), else the smallest LEO over the maximal ISR.
    pub(super) fn advance_hw(&mut self, env: &mut Env) {
        if self.role != Role::Leader || self.isr.len() < env.cfg.effective_min_isr() {
            return;
        }
        let mut candidate = self.leo();
        // KIP-497: the HW counts the members a pending expansion adds (the seeded bug: only the
        // committed ISR).
        let members = match env.cfg.has(ModelBug::HwOverCommittedIsrOnly) {
            true => self.isr.clone(),
            false => self.maximal_isr(),
        };
        for member in members.into_iter().filter(|m| *m != self.id) {
            match self.followers.iter().find(|f| f.id == member).and_then(|f| f.leo) {
                Some(leo) => candidate = candidate.min(leo),
                None => return,
            }
        }
        if candidate <= self.hw {
            return;
        }
        self.hw = candidate;
        self.answer_parked_followers(env);
        self.retry_parked_consumers(env);
        let hw = self.hw;
        let (done, waiting): (Vec<_>, Vec<_>) = self.pending_acks.iter().partition(|(o, _)| *o < hw);
        self.pending_acks = waiting;
        for (offset, value) in done {
            env.send(NodeId::Producer, self.produce_answer(ErrorCode::NONE, offset, value));
        }
    }

    pub(super) fn maybe_expand_isr(&mut self, follower: BrokerId, env: &mut Env) {
        if self.maximal_isr().contains(&follower) || self.pending_alter.is_some() {
            return;
        }
        let Some(leo) = self.followers.iter().find(|f| f.id == follower).and_then(|f| f.leo) else { return };
        // KAFKA-7128: below the epoch start offset a follower may still hold a diverging suffix.
        let past_epoch_start = leo >= self.epoch_start || env.cfg.has(ModelBug::IsrExpandBeforeEpochStart);
        if leo >= self.hw && past_epoch_start {
            let mut isr = self.isr.clone();
            isr.push(follower);
            isr.sort_unstable();
            self.propose(isr, env);
        }
    }

    pub(super) fn propose(&mut self, new_isr: Vec<BrokerId>, env: &mut Env) {
        self.pending_alter = Some((new_isr.clone(), self.partition_epoch, false));
        self.alter_sent_at = self.new_stamp();
        self.renumber_stamps(env.cfg);
        let request = Message::AlterPartition {
            broker_id: self.id,
            leader_epoch: self.leader_epoch,
            partition_epoch: self.partition_epoch,
            new_isr,
        };
        env.send(NodeId::Controller, request);
        self.arm_isr_check(env);
    }

    pub(super) fn on_isr_expiration(&mut self, env: &mut Env) {
        let leo = self.leo();
        let lagging: Vec<BrokerId> = self
            .followers
            .iter()
            .filter(|f| self.isr.contains(&f.id) && self.missed_last_tick(f) && f.leo != Some(leo))
            .map(|f| f.id)
            .collect();
        // `Partition.maybeShrinkIsr` waits while an AlterPartition is in flight; the protocol
        // crate sends one that timed out again at the check, as `AlterPartitionManager` would.
        // A request sent at this check goes out before the tick's own moment: by the next one it
        // has timed out.
        match self.pending_alter.clone() {
            Some((isr, _, false)) if self.alter_timed_out() => self.propose(isr, env),
            Some(_) => {}
            None if !lagging.is_empty() => {
                let isr = self.isr.iter().copied().filter(|b| !lagging.contains(b)).collect();
                self.propose(isr, env);
            }
            None => {}
        }
        self.tick_at = self.new_stamp();
        self.renumber_stamps(env.cfg);
        self.arm_isr_check(env);
    }

    /// A produce answer, naming the leader this broker knows (KIP-951's `CurrentLeader`).
    pub(super) fn produce_answer(&self, error_code: ErrorCode, base_offset: Offset, value: u64) -> Message {
        Message::ProduceResponse {
            error_code,
            base_offset,
            value,
            leader_id: self.leader,
            leader_epoch: self.leader_epoch,
        }
    }

    pub(super) fn on_produce(&mut self, from: NodeId, value: u64, env: &mut Env) {
        if self.role != Role::Leader {
            return env.send(from, self.produce_answer(ErrorCode::NOT_LEADER_OR_FOLLOWER, -1, value));
        }
        // Kafka 4.4.0 `Partition.appendRecordsToLeader`: acks=all is refused before the append
        // while the committed ISR is below the effective minimum.
        if self.isr.len() < env.cfg.effective_min_isr() {
            return env.send(from, self.produce_answer(ErrorCode::NOT_ENOUGH_REPLICAS, -1, value));
        }
        let offset = self.leo();
        self.append(Record { epoch: self.leader_epoch, value });
        self.pending_acks.push((offset, value));
        self.advance_hw(env);
        self.arm_isr_check(env);
        self.answer_parked_followers(env);
    }

    pub(super) fn in_leso_window(&self) -> bool {
        self.role == Role::Leader && self.hw < self.epoch_start
    }

    pub(super) fn on_list_offsets(
        &mut self,
        from: NodeId,
        replica_id: BrokerId,
        epoch: LeaderEpoch,
        timestamp: i64,
        env: &mut Env,
    ) {
        let answer = |error_code, offset, leader_epoch| Message::ListOffsetsResponse {
            error_code,
            offset,
            leader_epoch,
            timestamp,
        };
        let error = self.check_epoch(epoch, true, env);
        if error != ErrorCode::NONE {
            return env.send(from, answer(error, -1, NO_EPOCH));
        }
        let offset = match timestamp {
            EARLIEST_TIMESTAMP => 0,
            LATEST_TIMESTAMP
                if replica_id == CONSUMER_REPLICA_ID
                    && self.in_leso_window()
                    && !env.cfg.has(ModelBug::ListOffsetsDuringLesoWindow) =>
            {
                return env.send(from, answer(ErrorCode::OFFSET_NOT_AVAILABLE, -1, NO_EPOCH))
            }
            LATEST_TIMESTAMP if replica_id == CONSUMER_REPLICA_ID => self.hw,
            LATEST_TIMESTAMP => self.leo(),
            _ => return env.send(from, answer(ErrorCode::INVALID_REQUEST, -1, NO_EPOCH)),
        };
        // `Partition.fetchOffsetForTimestamp`: LATEST carries the current leader epoch;
        // `UnifiedLog.fetchOffsetByTimestamp`: EARLIEST the epoch holding the log start.
        let leader_epoch = match timestamp {
            EARLIEST_TIMESTAMP => {
                self.epochs.iter().take_while(|(_, start)| *start <= offset).last().map_or(NO_EPOCH, |(e, _)| *e)
            }
            _ => self.leader_epoch,
        };
        env.send(from, answer(ErrorCode::NONE, offset, leader_epoch));
    }

    pub(super) fn on_epoch_query(
        &mut self,
        from: NodeId,
        replica_id: BrokerId,
        epoch: LeaderEpoch,
        asked: LeaderEpoch,
        env: &mut Env,
    ) {
        let answer = |error_code, leader_epoch, end_offset| Message::OffsetsForLeaderEpochResponse {
            error_code,
            leader_epoch,
            end_offset,
            requested_epoch: asked,
            request_leader_epoch: epoch,
        };
        let error = self.check_epoch(epoch, true, env);
        if error != ErrorCode::NONE {
            return env.send(from, answer(error, NO_EPOCH, -1));
        }
        let (e, end) = self.end_offset_for(asked);
        // Kafka 4.4 answers the epoch's end offset whoever asks (`Partition.lastOffsetForLeaderEpoch`);
        // KIP-392's text caps a consumer's answer at the HW.
        let capped = env.cfg.semantics == Semantics::KipStrict && !env.cfg.has(ModelBug::ConsumerEpochQueryUncapped);
        if capped && replica_id == CONSUMER_REPLICA_ID && end != -1 && end > self.hw {
            if self.in_leso_window() {
                return env.send(from, answer(ErrorCode::OFFSET_NOT_AVAILABLE, NO_EPOCH, -1));
            }
            return env.send(from, answer(ErrorCode::NONE, e, self.hw));
        }
        env.send(from, answer(ErrorCode::NONE, e, end));
    }
}
