//! What a replica answers clients: consumer fetches (KIP-392), ListOffsets (KIP-207) and
//! OffsetsForLeaderEpoch (KIP-320; capped for consumers under KIP-392's text only).

use super::{Broker, Role};
use crate::bugs::Bug;
use crate::config::FetchSemantics;
use crate::errors::ErrorCode;
use crate::messages::{
    FetchRequest, FetchResponse, ListOffsetsRequest, ListOffsetsResponse, Message, OffsetsForLeaderEpochRequest,
    OffsetsForLeaderEpochResponse,
};
use crate::node::{IgnoreReason, Outbox, TimerKind};
use crate::selector::{ClientMetadata, PartitionView, ReplicaView};
use crate::types::{
    BrokerId, Millis, NodeId, Offset, CONSUMER_REPLICA_ID, EARLIEST_TIMESTAMP, LATEST_TIMESTAMP, NO_EPOCH,
    NO_PREFERRED_REPLICA, UNDEFINED_OFFSET,
};

/// How a read at `fetch_offset` turns out on this replica.
enum ReadOutcome {
    Records(Offset),
    Empty,
    Error(ErrorCode),
}

impl Broker {
    /// A consumer's fetch, to the leader or a follower. One with nothing to read yet waits at
    /// the replica (Kafka's `DelayedFetch`) until there is, or until `fetch.max.wait.ms`.
    /// Source: `ReplicaManager.fetchMessages`, `readFromLog`, `findPreferredReadReplica`,
    /// `LocalLog.read`; KIP-392.
    pub(super) fn on_consumer_fetch(&mut self, now: Millis, from: NodeId, request: FetchRequest, out: &mut Outbox) {
        let NodeId::Consumer(_) = from else {
            return out.ignore(IgnoreReason::UnknownSender);
        };
        if !self.answer_consumer_fetch(now, from, &request, out) {
            self.parked_consumer_fetches.push((from, request, now));
            self.arm_fetch_wait(out);
        }
    }

    /// The deadline of the oldest waiting consumer fetch, `fetch.max.wait.ms` after it parked
    /// (each `DelayedFetch` has its own); none when nothing waits. When it comes, every waiting
    /// fetch is answered, as the model's `fetch-wait` tick answers them together: a later one
    /// may be answered up to `fetch.max.wait.ms` early, empty, and its consumer fetches again.
    fn arm_fetch_wait(&self, out: &mut Outbox) {
        match self.parked_consumer_fetches.iter().map(|(_, _, parked)| *parked).min() {
            Some(parked) => out.set_timer(
                TimerKind::FetchWait,
                parked.saturating_add(self.config.consumer_fetch_wait_ms).saturating_sub(self.now),
            ),
            None => out.cancel_timer(TimerKind::FetchWait),
        }
    }

    /// Answer a consumer's fetch now, unless there is nothing to read yet (then `false`).
    fn answer_consumer_fetch(&self, now: Millis, from: NodeId, request: &FetchRequest, out: &mut Outbox) -> bool {
        if let Err(error) = self.check_leader_epoch(request.current_leader_epoch, false) {
            self.send_fetch_error(from, request, error, out);
            return true;
        }
        if let Some(preferred) = self.preferred_read_replica(now, from, request) {
            // KAFKA-13767: the redirect is answered at once, with no records.
            self.send_consumer_fetch_response(from, request, Vec::new(), preferred, out);
            return true;
        }
        match self.consumer_read_outcome(request.fetch_offset) {
            ReadOutcome::Records(bound) => {
                let records = self.log.read(request.fetch_offset, bound, self.config.max_records_per_fetch);
                self.send_consumer_fetch_response(from, request, records, NO_PREFERRED_REPLICA, out);
                true
            }
            ReadOutcome::Empty => false,
            ReadOutcome::Error(error) => {
                self.send_fetch_error(from, request, error, out);
                true
            }
        }
    }

    /// The HW, the leader epoch or the role moved: answer the waiting consumer fetches that can
    /// be answered now.
    pub(super) fn retry_parked_consumer_fetches(&mut self, out: &mut Outbox) {
        if self.parked_consumer_fetches.is_empty() {
            return;
        }
        for (from, request, parked) in std::mem::take(&mut self.parked_consumer_fetches) {
            if !self.answer_consumer_fetch(self.now, from, &request, out) {
                self.parked_consumer_fetches.push((from, request, parked));
            }
        }
        self.arm_fetch_wait(out);
    }

    /// `fetch.max.wait.ms` is up: every waiting consumer fetch is answered empty.
    pub(super) fn on_fetch_wait(&mut self, out: &mut Outbox) {
        if self.parked_consumer_fetches.is_empty() {
            return out.ignore(IgnoreReason::IdleTimer);
        }
        for (from, request, _) in std::mem::take(&mut self.parked_consumer_fetches) {
            self.send_consumer_fetch_response(from, &request, Vec::new(), NO_PREFERRED_REPLICA, out);
        }
    }

    /// The consumers whose fetches wait here, oldest first: each holds an open connection.
    pub fn waiting_consumers(&self) -> Vec<NodeId> {
        self.parked_consumer_fetches.iter().map(|(from, _, _)| *from).collect()
    }

    /// A consumer's connection reset: its waiting fetch is forgotten.
    pub(super) fn forget_parked_consumer_fetch(&mut self, consumer: NodeId, out: &mut Outbox) {
        self.parked_consumer_fetches.retain(|(from, _, _)| *from != consumer);
        self.arm_fetch_wait(out);
    }

    /// The KIP-392 read rules: reads stop at the local HW; the two out-of-range readings differ
    /// by [`FetchSemantics`].
    fn consumer_read_outcome(&self, offset: Offset) -> ReadOutcome {
        let leo = self.log.log_end_offset();
        let follower = self.follower_state();
        let bound = match follower {
            Some(_) if self.config.bugs.has(Bug::FollowerServesLeo) => leo,
            _ => self.high_watermark,
        };
        let strict = self.config.fetch_semantics == FetchSemantics::KipStrict;
        if offset < self.log.log_start_offset() {
            return ReadOutcome::Error(ErrorCode::OFFSET_OUT_OF_RANGE);
        }
        if offset > leo {
            // KIP case 2: an out-of-sync follower below the HW it was told is "not available";
            // Kafka answers OFFSET_OUT_OF_RANGE for anything past the LEO.
            let below_known_hw = follower.is_some_and(|f| offset <= f.leader_high_watermark);
            return match strict && below_known_hw {
                true => ReadOutcome::Error(ErrorCode::OFFSET_NOT_AVAILABLE),
                false => ReadOutcome::Error(ErrorCode::OFFSET_OUT_OF_RANGE),
            };
        }
        if offset >= bound {
            // KIP case 1: between HW and LEO the KIP answers OFFSET_NOT_AVAILABLE, Kafka reads empty.
            return match strict && offset < leo {
                true => ReadOutcome::Error(ErrorCode::OFFSET_NOT_AVAILABLE),
                false => ReadOutcome::Empty,
            };
        }
        ReadOutcome::Records(bound)
    }

    fn send_consumer_fetch_response(
        &self,
        to: NodeId,
        request: &FetchRequest,
        records: Vec<crate::types::OffsetRecord>,
        preferred_read_replica: BrokerId,
        out: &mut Outbox,
    ) {
        let response = FetchResponse {
            error_code: ErrorCode::NONE,
            high_watermark: self.high_watermark,
            log_start_offset: self.log.log_start_offset(),
            records,
            diverging_epoch: None,
            preferred_read_replica,
            current_leader: self.current_leader(),
            fetch_offset: request.fetch_offset,
            request_leader_epoch: request.current_leader_epoch,
        };
        out.send(to, Message::FetchResponse(response));
    }

    /// The replica the consumer should read from instead of this one, if any.
    /// Source: `ReplicaManager.findPreferredReadReplica`: the leader only, only for fetches with
    /// client metadata, over ISR members that hold the offset (KAFKA-14372) plus the leader.
    fn preferred_read_replica(&self, now: Millis, from: NodeId, request: &FetchRequest) -> Option<BrokerId> {
        if request.rack_id.is_empty() {
            return None;
        }
        let (leader_id, follower_states) = match &self.role {
            Role::Leader(state) => (self.config.broker_id, &state.followers),
            Role::Follower(_) if self.config.bugs.has(Bug::SelectionOnFollower) => {
                (self.partition.as_ref()?.leader, &self.previous_follower_states)
            }
            _ => return None,
        };
        let me = self.config.broker_id;
        let offset = request.fetch_offset;
        let isr = self.isr();
        let own_view = ReplicaView {
            broker_id: me,
            rack: self.config.rack.clone(),
            log_end_offset: self.log.log_end_offset(),
            time_since_last_caught_up_ms: 0,
        };
        let mut replicas = vec![own_view.clone()];
        for (&id, state) in follower_states {
            let in_isr = isr.contains(&id) || self.config.bugs.has(Bug::PreferredReplicaOutsideIsr);
            let holds_offset =
                state.log_end_offset.is_some_and(|leo| state.log_start_offset <= offset && offset <= leo);
            if id != me && in_isr && holds_offset {
                replicas.push(ReplicaView {
                    broker_id: id,
                    rack: self.rack_of(id),
                    log_end_offset: state.log_end_offset.unwrap_or(0),
                    time_since_last_caught_up_ms: now.saturating_sub(state.last_caught_up_ms),
                });
            }
        }
        // PartitionView always names the partition's leader, even one this broker knows nothing about.
        let leader = match replicas.iter().find(|r| r.broker_id == leader_id) {
            Some(view) => view.clone(),
            None => {
                let view = ReplicaView {
                    broker_id: leader_id,
                    rack: self.rack_of(leader_id),
                    log_end_offset: 0,
                    time_since_last_caught_up_ms: 0,
                };
                replicas.push(view.clone());
                view
            }
        };
        let client = ClientMetadata {
            rack_id: request.rack_id.clone(),
            client_id: from.to_string(),
            client_address: from.to_string(),
        };
        let partition = PartitionView { replicas, leader };
        let chosen = self.config.replica_selector.build().select(&client, &partition)?;
        (chosen.broker_id != me).then_some(chosen.broker_id)
    }

    /// Whether the leader is inside the KIP-207 window: its HW has not reached its epoch start.
    fn in_leader_epoch_start_window(&self) -> bool {
        let Some(state) = self.leader_state() else { return false };
        self.high_watermark < state.epoch_start_offset && !self.config.bugs.has(Bug::ListOffsetsDuringLesoWindow)
    }

    /// ListOffsets, earliest or latest. Source: `Partition.fetchOffsetForTimestamp` (KIP-207's
    /// `maybeOffsetsError`): latest is the HW for clients, refused while HW < epoch start offset.
    pub(super) fn on_list_offsets(&mut self, from: NodeId, request: ListOffsetsRequest, out: &mut Outbox) {
        let answer = |error_code: ErrorCode, offset: Offset, leader_epoch, out: &mut Outbox| {
            let response = ListOffsetsResponse { error_code, offset, leader_epoch, timestamp: request.timestamp };
            out.send(from, Message::ListOffsetsResponse(response));
        };
        if let Err(error) = self.check_leader_epoch(request.current_leader_epoch, true) {
            return answer(error, UNDEFINED_OFFSET, NO_EPOCH, out);
        }
        let client = request.replica_id == CONSUMER_REPLICA_ID;
        let offset = match request.timestamp {
            EARLIEST_TIMESTAMP => self.log.log_start_offset(),
            LATEST_TIMESTAMP if client && self.in_leader_epoch_start_window() => {
                return answer(ErrorCode::OFFSET_NOT_AVAILABLE, UNDEFINED_OFFSET, NO_EPOCH, out)
            }
            LATEST_TIMESTAMP if client => self.high_watermark,
            LATEST_TIMESTAMP => self.log.log_end_offset(),
            _ => return answer(ErrorCode::INVALID_REQUEST, UNDEFINED_OFFSET, NO_EPOCH, out),
        };
        // Kafka 4.4.0 `Partition.fetchOffsetForTimestamp` answers LATEST with the current leader
        // epoch, and `UnifiedLog.fetchOffsetByTimestamp` EARLIEST with the epoch of the log start.
        let leader_epoch = match request.timestamp {
            EARLIEST_TIMESTAMP => self.log.epochs().epoch_for_offset(offset),
            _ => self.leader_epoch(),
        };
        answer(ErrorCode::NONE, offset, leader_epoch, out);
    }

    /// OffsetsForLeaderEpoch. Source: Kafka 4.4 `Partition.lastOffsetForLeaderEpoch`, which
    /// answers `LeaderEpochFileCache.endOffsetFor`: the epoch's end offset, the log end offset for
    /// the latest epoch, whoever asks (`KafkaApis` never reads `replica_id`). KIP-392's text
    /// (`FetchSemantics::KipStrict`) caps a consumer's answer at the HW instead, and while HW <
    /// epoch start offset answers OFFSET_NOT_AVAILABLE ("the end offset of an epoch would exceed
    /// the high watermark", KIP-392 discussion): capping inside that window would make a consumer
    /// wrongly detect truncation.
    pub(super) fn on_offsets_for_leader_epoch(
        &mut self,
        from: NodeId,
        request: OffsetsForLeaderEpochRequest,
        out: &mut Outbox,
    ) {
        let answer = |error_code: ErrorCode, leader_epoch, end_offset, out: &mut Outbox| {
            let response = OffsetsForLeaderEpochResponse {
                error_code,
                leader_epoch,
                end_offset,
                requested_epoch: request.leader_epoch,
                request_leader_epoch: request.current_leader_epoch,
            };
            out.send(from, Message::OffsetsForLeaderEpochResponse(response));
        };
        if let Err(error) = self.check_leader_epoch(request.current_leader_epoch, true) {
            return answer(error, NO_EPOCH, UNDEFINED_OFFSET, out);
        }
        let (epoch, end_offset) = self.log.epochs().end_offset_for(request.leader_epoch, self.log.log_end_offset());
        let consumer = request.replica_id == CONSUMER_REPLICA_ID;
        let above_hw = end_offset != UNDEFINED_OFFSET && end_offset > self.high_watermark;
        let capped = self.config.fetch_semantics == FetchSemantics::KipStrict
            && !self.config.bugs.has(Bug::ConsumerEpochQueryUncapped);
        if consumer && above_hw && capped {
            if self.in_leader_epoch_start_window() {
                return answer(ErrorCode::OFFSET_NOT_AVAILABLE, NO_EPOCH, UNDEFINED_OFFSET, out);
            }
            return answer(ErrorCode::NONE, epoch, self.high_watermark, out);
        }
        answer(ErrorCode::NONE, epoch, end_offset, out);
    }
}
