//! A broker's replica, leader or follower, as the model has it.
//!
//! Time is abstract. An `isr-expiration` tick takes out of the ISR every follower that has not
//! caught up since the previous tick. That is the clockless form of `replica.lag.time.max.ms`.

use highwater_traces::{
    BrokerId, EpochEndOffset, ErrorCode, LeaderEpoch, Message, NodeId, Offset, OffsetRecord, PartitionEpoch, Record,
    Role, TimerKind, CONSUMER_REPLICA_ID, EARLIEST_TIMESTAMP, LATEST_TIMESTAMP, NO_BROKER, NO_EPOCH,
};

use crate::config::{Selector, Semantics};
use crate::node::Env;

/// What the leader knows of a follower.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct FollowerInfo {
    /// The follower.
    pub id: BrokerId,
    /// Its LEO from its last fetch in this epoch.
    pub leo: Option<Offset>,
    /// Caught up since the last `isr-expiration` tick.
    pub caught_up: bool,
    /// The leader's LEO at its previous fetch.
    pub leader_leo_at_last_fetch: Offset,
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
    /// Leader: the AlterPartition in flight (proposed ISR, partition epoch it is based on).
    pub pending_alter: Option<(Vec<BrokerId>, PartitionEpoch)>,
    /// Leader: produce requests waiting for the HW (offset, value).
    pub pending_acks: Vec<(Offset, u64)>,
    /// Follower: a fetch is outstanding.
    pub fetch_in_flight: bool,
    /// Follower: the leader's HW from the last answer.
    pub leader_hw: Offset,
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
            fetch_in_flight: false,
            leader_hw: 0,
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

    fn leo(&self) -> Offset {
        self.log.len() as Offset
    }

    /// A message arrives.
    pub fn on_message(&mut self, from: NodeId, message: Message, env: &mut Env) {
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
                let answers_pending = self.pending_alter.as_ref() == Some(&(requested_isr, request_partition_epoch));
                if self.role == Role::Leader && answers_pending && leader_epoch == self.leader_epoch {
                    self.pending_alter = None;
                    if error_code == ErrorCode::NONE && partition_epoch > self.partition_epoch {
                        self.isr = isr;
                        self.partition_epoch = partition_epoch;
                        self.advance_hw(env);
                        self.arm_isr_check(env);
                    }
                }
            }
            _ => {}
        }
    }

    /// A timer fires.
    pub fn on_timer(&mut self, timer: TimerKind, env: &mut Env) {
        match (timer, self.role) {
            (TimerKind::ReplicaFetch, Role::Follower) if !self.fetch_in_flight => self.send_fetch(env),
            (TimerKind::IsrExpiration, Role::Leader) => self.on_isr_expiration(env),
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
                self.pending_alter = None;
                self.advance_hw(env);
                self.arm_isr_check(env);
            }
        } else if newer_epoch || self.role != Role::Follower {
            self.become_follower(env);
        }
    }

    fn give_up_leadership(&mut self, env: &mut Env) {
        for (_, value) in std::mem::take(&mut self.pending_acks) {
            let answer =
                Message::ProduceResponse { error_code: ErrorCode::NOT_LEADER_OR_FOLLOWER, base_offset: -1, value };
            env.send(NodeId::Producer, answer);
        }
        self.followers.clear();
        self.pending_alter = None;
    }

    fn become_leader(&mut self, env: &mut Env) {
        self.give_up_leadership(env);
        self.assign_epoch(self.leader_epoch, self.leo());
        self.role = Role::Leader;
        self.epoch_start = self.leo();
        self.fetch_in_flight = false;
        self.followers = env
            .cfg
            .broker_ids()
            .filter(|b| *b != self.id)
            .map(|id| FollowerInfo { id, leo: None, caught_up: self.isr.contains(&id), leader_leo_at_last_fetch: 0 })
            .collect();
        env.cancel_timer(TimerKind::ReplicaFetch);
        self.advance_hw(env);
        self.arm_isr_check(env);
    }

    /// The ISR check can only shrink the ISR while some ISR follower is behind the LEO; the tick
    /// is armed exactly then, so idle ticks do not multiply interleavings.
    fn arm_isr_check(&self, env: &mut Env) {
        let leo = self.leo();
        let behind = self.followers.iter().any(|f| self.isr.contains(&f.id) && f.leo != Some(leo));
        if behind {
            env.set_timer(TimerKind::IsrExpiration);
        } else {
            env.cancel_timer(TimerKind::IsrExpiration);
        }
    }

    fn become_follower(&mut self, env: &mut Env) {
        self.give_up_leadership(env);
        self.role = Role::Follower;
        self.leader_hw = self.hw;
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
        if self.latest_epoch() < record.epoch {
            self.assign_epoch(record.epoch, self.leo());
        }
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

    fn check_epoch(&self, requested: LeaderEpoch, leader_only: bool) -> ErrorCode {
        if self.role == Role::Offline {
            return ErrorCode::NOT_LEADER_OR_FOLLOWER;
        }
        if requested != NO_EPOCH && requested < self.leader_epoch {
            return ErrorCode::FENCED_LEADER_EPOCH;
        }
        if requested != NO_EPOCH && requested > self.leader_epoch {
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

    // --- leader ---

    fn on_replica_fetch(
        &mut self,
        follower: BrokerId,
        epoch: LeaderEpoch,
        fetch_offset: Offset,
        last_epoch: LeaderEpoch,
        env: &mut Env,
    ) {
        let to = NodeId::Broker(follower);
        let error = self.check_epoch(epoch, true);
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
        let leo = self.leo();
        if let Some(f) = self.followers.iter_mut().find(|f| f.id == follower) {
            if fetch_offset >= leo || fetch_offset >= f.leader_leo_at_last_fetch {
                f.caught_up = true;
            }
            f.leo = Some(fetch_offset);
            f.leader_leo_at_last_fetch = leo;
        }
        self.maybe_expand_isr(follower, env);
        self.advance_hw(env);
        self.arm_isr_check(env);
        let records = self.read(fetch_offset, leo);
        env.send(to, self.fetch_answer(ErrorCode::NONE, records, None, NO_BROKER, fetch_offset, epoch));
    }

    /// The ISR plus members a pending AlterPartition adds (KIP-497's maximal ISR).
    pub fn maximal_isr(&self) -> Vec<BrokerId> {
        let mut isr = self.isr.clone();
        if let Some((proposed, _)) = &self.pending_alter {
            isr.extend(proposed);
            isr.sort_unstable();
            isr.dedup();
        }
        isr
    }

    fn advance_hw(&mut self, env: &mut Env) {
        if self.role != Role::Leader {
            return;
        }
        let mut candidate = self.leo();
        for member in self.maximal_isr().into_iter().filter(|m| *m != self.id) {
            match self.followers.iter().find(|f| f.id == member).and_then(|f| f.leo) {
                Some(leo) => candidate = candidate.min(leo),
                None => return,
            }
        }
        if candidate <= self.hw {
            return;
        }
        self.hw = candidate;
        let hw = self.hw;
        let (done, waiting): (Vec<_>, Vec<_>) = self.pending_acks.iter().partition(|(o, _)| *o < hw);
        self.pending_acks = waiting;
        for (offset, value) in done {
            env.send(
                NodeId::Producer,
                Message::ProduceResponse { error_code: ErrorCode::NONE, base_offset: offset, value },
            );
        }
    }

    fn maybe_expand_isr(&mut self, follower: BrokerId, env: &mut Env) {
        if self.maximal_isr().contains(&follower) || self.pending_alter.is_some() {
            return;
        }
        let Some(leo) = self.followers.iter().find(|f| f.id == follower).and_then(|f| f.leo) else { return };
        if leo >= self.hw && leo >= self.epoch_start {
            let mut isr = self.isr.clone();
            isr.push(follower);
            isr.sort_unstable();
            self.propose(isr, env);
        }
    }

    fn propose(&mut self, new_isr: Vec<BrokerId>, env: &mut Env) {
        self.pending_alter = Some((new_isr.clone(), self.partition_epoch));
        let request = Message::AlterPartition {
            broker_id: self.id,
            leader_epoch: self.leader_epoch,
            partition_epoch: self.partition_epoch,
            new_isr,
        };
        env.send(NodeId::Controller, request);
    }

    fn on_isr_expiration(&mut self, env: &mut Env) {
        let leo = self.leo();
        let lagging: Vec<BrokerId> = self
            .followers
            .iter()
            .filter(|f| self.isr.contains(&f.id) && !f.caught_up && f.leo != Some(leo))
            .map(|f| f.id)
            .collect();
        for f in &mut self.followers {
            f.caught_up = false;
        }
        if self.pending_alter.is_none() && !lagging.is_empty() {
            let isr = self.isr.iter().copied().filter(|b| !lagging.contains(b)).collect();
            self.propose(isr, env);
        }
        self.arm_isr_check(env);
    }

    fn on_produce(&mut self, from: NodeId, value: u64, env: &mut Env) {
        if self.role != Role::Leader {
            let answer =
                Message::ProduceResponse { error_code: ErrorCode::NOT_LEADER_OR_FOLLOWER, base_offset: -1, value };
            return env.send(from, answer);
        }
        let offset = self.leo();
        self.append(Record { epoch: self.leader_epoch, value });
        self.pending_acks.push((offset, value));
        self.advance_hw(env);
        self.arm_isr_check(env);
    }

    fn in_leso_window(&self) -> bool {
        self.role == Role::Leader && self.hw < self.epoch_start
    }

    fn on_list_offsets(
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
        let error = self.check_epoch(epoch, true);
        if error != ErrorCode::NONE {
            return env.send(from, answer(error, -1, NO_EPOCH));
        }
        let offset = match timestamp {
            EARLIEST_TIMESTAMP => 0,
            LATEST_TIMESTAMP if replica_id == CONSUMER_REPLICA_ID && self.in_leso_window() => {
                return env.send(from, answer(ErrorCode::OFFSET_NOT_AVAILABLE, -1, NO_EPOCH))
            }
            LATEST_TIMESTAMP if replica_id == CONSUMER_REPLICA_ID => self.hw,
            LATEST_TIMESTAMP => self.leo(),
            _ => return env.send(from, answer(ErrorCode::INVALID_REQUEST, -1, NO_EPOCH)),
        };
        let epoch_before = if offset > 0 { self.log[(offset - 1) as usize].epoch } else { NO_EPOCH };
        env.send(from, answer(ErrorCode::NONE, offset, epoch_before));
    }

    fn on_epoch_query(
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
        };
        let error = self.check_epoch(epoch, true);
        if error != ErrorCode::NONE {
            return env.send(from, answer(error, NO_EPOCH, -1));
        }
        let (e, end) = self.end_offset_for(asked);
        if replica_id == CONSUMER_REPLICA_ID && end != -1 && end > self.hw {
            if self.in_leso_window() {
                return env.send(from, answer(ErrorCode::OFFSET_NOT_AVAILABLE, NO_EPOCH, -1));
            }
            return env.send(from, answer(ErrorCode::NONE, e, self.hw));
        }
        env.send(from, answer(ErrorCode::NONE, e, end));
    }

    // --- consumers, on any replica (KIP-392) ---

    fn on_consumer_fetch(&mut self, from: NodeId, rack: &str, epoch: LeaderEpoch, offset: Offset, env: &mut Env) {
        let error = self.check_epoch(epoch, false);
        if error != ErrorCode::NONE {
            return env.send(from, self.fetch_answer(error, vec![], None, NO_BROKER, offset, epoch));
        }
        if let Some(preferred) = self.select_replica(rack, offset, env) {
            return env.send(from, self.fetch_answer(ErrorCode::NONE, vec![], None, preferred, offset, epoch));
        }
        let strict = env.cfg.semantics == Semantics::KipStrict;
        let leo = self.leo();
        let (error, records) = if offset < 0 {
            (ErrorCode::OFFSET_OUT_OF_RANGE, vec![])
        } else if offset > leo {
            let not_available = strict && self.role == Role::Follower && offset <= self.leader_hw;
            (if not_available { ErrorCode::OFFSET_NOT_AVAILABLE } else { ErrorCode::OFFSET_OUT_OF_RANGE }, vec![])
        } else if offset >= self.hw {
            (if strict && offset < leo { ErrorCode::OFFSET_NOT_AVAILABLE } else { ErrorCode::NONE }, vec![])
        } else {
            (ErrorCode::NONE, self.read(offset, self.hw))
        };
        env.send(from, self.fetch_answer(error, records, None, NO_BROKER, offset, epoch));
    }

    /// The leader's choice of another replica for a racked consumer, if it makes one.
    /// Candidates: ISR members that hold the offset, plus the leader (KAFKA-14372).
    fn select_replica(&self, rack: &str, offset: Offset, env: &Env) -> Option<BrokerId> {
        if rack.is_empty() || self.role != Role::Leader || env.cfg.selector == Selector::Leader {
            return None;
        }
        if env.cfg.rack_of(self.id) == rack {
            return None;
        }
        // Same rack, most caught up, then (the clockless stand-in for) most recently caught up,
        // then lowest id.
        self.followers
            .iter()
            .filter(|f| self.isr.contains(&f.id) && env.cfg.rack_of(f.id) == rack)
            .filter_map(|f| f.leo.filter(|leo| offset <= *leo).map(|leo| (leo, f.caught_up, -f.id)))
            .max()
            .map(|(_, _, neg_id)| -neg_id)
    }

    // --- follower ---

    fn send_fetch(&mut self, env: &mut Env) {
        if self.leader == NO_BROKER {
            return;
        }
        self.fetch_in_flight = true;
        let fetch = Message::Fetch {
            replica_id: self.id,
            rack_id: String::new(),
            current_leader_epoch: self.leader_epoch,
            fetch_offset: self.leo(),
            last_fetched_epoch: self.latest_epoch(),
            log_start_offset: 0,
        };
        env.send(NodeId::Broker(self.leader), fetch);
    }

    /// A lost connection: a follower fetches again after a backoff; a leader sends its pending
    /// AlterPartition again.
    pub fn on_disconnect(&mut self, peer: NodeId, env: &mut Env) {
        match self.role {
            Role::Follower if self.fetch_in_flight && peer == NodeId::Broker(self.leader) => {
                self.fetch_in_flight = false;
                env.set_timer(TimerKind::ReplicaFetch);
            }
            // Kafka's AlterPartitionManager keeps the change pending and retries it: the lost
            // request may have been applied, so its members must keep counting for the HW.
            Role::Leader if peer == NodeId::Controller => {
                if let Some((isr, _)) = self.pending_alter.clone() {
                    self.propose(isr, env);
                }
            }
            _ => {}
        }
    }

    fn on_fetch_response(&mut self, from: NodeId, message: Message, env: &mut Env) {
        let Message::FetchResponse {
            error_code,
            high_watermark,
            records,
            diverging_epoch,
            fetch_offset,
            request_leader_epoch,
            ..
        } = message
        else {
            return;
        };
        let current = self.role == Role::Follower
            && self.fetch_in_flight
            && from == NodeId::Broker(self.leader)
            && request_leader_epoch == self.leader_epoch
            && fetch_offset == self.leo();
        if !current {
            return;
        }
        self.fetch_in_flight = false;
        match (error_code, diverging_epoch) {
            (ErrorCode::NONE, Some(diverging)) => {
                let to = self.truncation_point(diverging);
                self.truncate(to);
                self.send_fetch(env);
            }
            (ErrorCode::NONE, None) => {
                let got = !records.is_empty();
                for r in records {
                    if r.offset != self.leo() {
                        break;
                    }
                    self.append(r.record());
                }
                self.hw = high_watermark.clamp(0, self.leo());
                self.leader_hw = high_watermark;
                if got {
                    self.send_fetch(env);
                } else {
                    env.set_timer(TimerKind::ReplicaFetch);
                }
            }
            (ErrorCode::OFFSET_OUT_OF_RANGE, _) => {
                self.truncate(high_watermark);
                self.send_fetch(env);
            }
            _ => env.set_timer(TimerKind::ReplicaFetch),
        }
    }

    /// KIP-279: truncate to the end of the epoch both sides have, which may take several rounds.
    fn truncation_point(&self, diverging: EpochEndOffset) -> Offset {
        let leo = self.leo();
        match self.end_offset_for(diverging.epoch) {
            (NO_EPOCH, _) => diverging.end_offset.min(leo),
            (epoch, end) if epoch != diverging.epoch => end.min(leo),
            (_, end) => end.min(diverging.end_offset).min(leo),
        }
    }
}
