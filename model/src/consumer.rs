//! A consumer of the partition: position, preferred read replica and its lease, fall-back to the
//! leader, KIP-320 validation and the reset policy (earliest).
//!
//! The lease is abstract: while a preferred replica is held, a `metadata-refresh` tick may come
//! at any moment; it ends the lease and refreshes metadata, both of which run on
//! `metadata.max.age.ms`. Without a preferred replica, a refresh changes nothing the model
//! tracks, so the tick is not armed.

use highwater_traces::{
    BrokerId, Delivery, ErrorCode, LeaderEpoch, Message, NodeId, Offset, Reset, ResetCause, SeekTo, TimerKind,
    CONSUMER_REPLICA_ID, EARLIEST_TIMESTAMP, LATEST_TIMESTAMP, NO_BROKER, NO_EPOCH,
};

use crate::bugs::ModelBug;
use crate::node::Env;

/// What the consumer waits for before fetching.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Phase {
    /// Fetching.
    Fetching,
    /// Resetting with ListOffsets to the leader: earliest (log start) or latest (HW).
    Resetting {
        /// `EARLIEST_TIMESTAMP` or `LATEST_TIMESTAMP`.
        timestamp: i64,
    },
    /// Validating its position after a leader change (OffsetsForLeaderEpoch).
    Validating,
}

/// A consumer's state.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct ConsumerState {
    /// Number.
    pub id: u32,
    /// Leader from metadata, or -1.
    pub leader: BrokerId,
    /// Leader epoch from metadata.
    pub leader_epoch: LeaderEpoch,
    /// Next offset.
    pub position: Offset,
    /// Epoch of the last consumed record.
    pub position_epoch: LeaderEpoch,
    /// Phase.
    pub phase: Phase,
    /// Preferred read replica (lease running).
    pub preferred: Option<BrokerId>,
    /// Periods of `replica.lag.time.max.ms` since its lease began (`lease.rs`); 0 without one.
    pub lease_age: u8,
    /// Its lease ran out before its own `metadata-refresh` tick: the next fetch goes to the leader.
    pub lease_over: bool,
    /// A redirect renewed the lease in this step (`lease.rs` orders it, then clears this).
    pub lease_renewed: bool,
    /// Outstanding request: to whom.
    pub in_flight: Option<BrokerId>,
    /// A metadata request is outstanding.
    pub metadata_in_flight: bool,
    /// Waiting out a backoff.
    pub backing_off: bool,
    /// Records delivered.
    pub delivered: Vec<Delivery>,
    /// Explicit resets.
    pub resets: Vec<Reset>,
    /// Why the reset under way started.
    pub reset_cause: Option<ResetCause>,
    /// Distinct ListOffsets(latest) answers.
    pub list_offsets_latest: Vec<Offset>,
}

impl ConsumerState {
    /// A consumer at offset 0, asking for metadata.
    pub fn start(id: u32, env: &mut Env) -> Self {
        env.send(NodeId::Controller, Message::Metadata);
        ConsumerState {
            id,
            leader: NO_BROKER,
            leader_epoch: NO_EPOCH,
            position: 0,
            position_epoch: NO_EPOCH,
            phase: Phase::Fetching,
            preferred: None,
            lease_age: 0,
            lease_over: false,
            lease_renewed: false,
            in_flight: None,
            metadata_in_flight: true,
            backing_off: false,
            delivered: Vec::new(),
            resets: Vec::new(),
            reset_cause: None,
            list_offsets_latest: Vec::new(),
        }
    }

    fn rack(&self, env: &Env) -> String {
        env.cfg.consumer_racks[self.id as usize].clone().unwrap_or_default()
    }

    /// A message arrives.
    pub fn on_message(&mut self, from: NodeId, message: Message, env: &mut Env) {
        match (from, message) {
            (NodeId::Controller, Message::MetadataResponse { leader_id, leader_epoch, offline_replicas, .. }) => {
                self.on_metadata(leader_id, leader_epoch, offline_replicas, env)
            }
            (NodeId::Broker(b), message @ Message::FetchResponse { .. }) => self.on_fetch_response(b, message, env),
            (NodeId::Broker(b), Message::ListOffsetsResponse { error_code, offset, timestamp, .. }) => {
                let current = self.phase == Phase::Resetting { timestamp };
                if self.completes(b, current, env) {
                    self.on_reset_answer(error_code, offset, env);
                }
            }
            (
                NodeId::Broker(b),
                Message::OffsetsForLeaderEpochResponse {
                    error_code,
                    leader_epoch,
                    end_offset,
                    requested_epoch,
                    request_leader_epoch,
                },
            ) => {
                // `SubscriptionState.maybeCompleteValidation` drops an answer for a position that
                // moved since the request, its leader included.
                let current = self.phase == Phase::Validating
                    && requested_epoch == self.position_epoch
                    && request_leader_epoch == self.leader_epoch;
                if self.completes(b, current, env) {
                    self.on_validation_answer(error_code, leader_epoch, end_offset, env);
                }
            }
            _ => {}
        }
    }

    /// A timer fires.
    pub fn on_timer(&mut self, timer: TimerKind, env: &mut Env) {
        match timer {
            TimerKind::ConsumerFetch => {
                self.backing_off = false;
                self.proceed(env);
            }
            TimerKind::MetadataRefresh => {
                // The lease on the preferred replica ran out with the metadata's age.
                self.preferred = None;
                self.request_metadata(env);
            }
            TimerKind::MetadataRetry => self.request_metadata(env),
            _ => {}
        }
    }

    fn request_metadata(&mut self, env: &mut Env) {
        if !self.metadata_in_flight {
            self.metadata_in_flight = true;
            env.send(NodeId::Controller, Message::Metadata);
        }
    }

    /// A lost connection: a failed broker request sends us back to the leader after a backoff
    /// (KAFKA-14379's fix); a lost metadata request is asked again.
    pub fn on_disconnect(&mut self, peer: NodeId, env: &mut Env) {
        match peer {
            // Kafka's `NetworkClient` marks the update failed (`Metadata.failedUpdate`) and asks
            // again after `retry.backoff.ms`.
            NodeId::Controller => {
                self.metadata_in_flight = false;
                env.set_timer(TimerKind::MetadataRetry);
            }
            // A failed fetch refreshes metadata and drops the preferred replica; a failed reset or
            // validation only refreshes metadata (`OffsetFetcherUtils.onFailedResponseFor...`).
            NodeId::Broker(b) if self.in_flight == Some(b) => {
                self.in_flight = None;
                match self.phase {
                    Phase::Fetching => self.release(env),
                    _ => self.request_metadata(env),
                }
                self.back_off(env);
            }
            _ => {}
        }
    }

    fn on_metadata(&mut self, leader: BrokerId, epoch: LeaderEpoch, offline: Vec<BrokerId>, env: &mut Env) {
        self.metadata_in_flight = false;
        if epoch < self.leader_epoch {
            return;
        }
        let newer = epoch > self.leader_epoch;
        if self.preferred.is_some_and(|p| offline.contains(&p)) {
            self.preferred = None;
        }
        // Kafka 4.4 `SubscriptionState.maybeValidatePosition`: metadata naming another leader or
        // leader epoch than the position's drops the preferred read replica, unless it names no
        // leader or a reset is pending.
        let moved = leader != self.leader || epoch != self.leader_epoch;
        if moved && leader != NO_BROKER && !matches!(self.phase, Phase::Resetting { .. }) {
            self.preferred = None;
        }
        self.leader = leader;
        self.leader_epoch = epoch;
        if newer && self.position_epoch != NO_EPOCH && self.phase == Phase::Fetching {
            self.phase = Phase::Validating;
        }
        self.proceed(env);
    }

    /// A failed request refreshes metadata and, since KAFKA-14379's fix, drops the preferred
    /// replica too; the seeded bug keeps it until the lease runs out.
    fn release(&mut self, env: &mut Env) {
        if !env.cfg.has(ModelBug::LeaseOnlyRevert) {
            self.preferred = None;
        }
        self.request_metadata(env);
    }

    fn back_off(&mut self, env: &mut Env) {
        self.backing_off = true;
        env.set_timer(TimerKind::ConsumerFetch);
    }

    fn proceed(&mut self, env: &mut Env) {
        if self.in_flight.is_some() || self.backing_off {
            return;
        }
        if self.leader == NO_BROKER {
            // No leader known (an offline partition): ask again, then wait.
            self.request_metadata(env);
            return self.back_off(env);
        }
        if self.lease_over && self.phase == Phase::Fetching {
            // `AbstractFetch.selectReadReplica`: a lease that has run out sends the fetch to the
            // leader and asks for metadata.
            self.preferred = None;
            self.lease_over = false;
            self.request_metadata(env);
        }
        let (to, request) = match self.phase {
            Phase::Fetching => (
                self.preferred.unwrap_or(self.leader),
                Message::Fetch {
                    replica_id: CONSUMER_REPLICA_ID,
                    rack_id: self.rack(env),
                    current_leader_epoch: self.leader_epoch,
                    fetch_offset: self.position,
                    last_fetched_epoch: NO_EPOCH,
                    log_start_offset: -1,
                },
            ),
            Phase::Resetting { timestamp } => (
                self.leader,
                Message::ListOffsets {
                    replica_id: CONSUMER_REPLICA_ID,
                    current_leader_epoch: self.leader_epoch,
                    timestamp,
                },
            ),
            Phase::Validating => (
                self.leader,
                Message::OffsetsForLeaderEpoch {
                    replica_id: CONSUMER_REPLICA_ID,
                    current_leader_epoch: self.leader_epoch,
                    leader_epoch: self.position_epoch,
                },
            ),
        };
        // A backoff tick still set is stale once a request goes out; left set, it would fire
        // while the request waits, where the protocol crate's consumer has a request timeout.
        env.cancel_timer(TimerKind::ConsumerFetch);
        self.in_flight = Some(to);
        env.send(NodeId::Broker(to), request);
    }

    /// An answer from the broker we wait on completes the request, stale or not: a stale one is
    /// dropped and the next request goes out (otherwise the consumer would wait forever).
    fn completes(&mut self, from: BrokerId, current: bool, env: &mut Env) -> bool {
        if self.in_flight != Some(from) {
            return false;
        }
        self.in_flight = None;
        if !current {
            self.proceed(env);
        }
        current
    }

    fn on_fetch_response(&mut self, from: BrokerId, message: Message, env: &mut Env) {
        let Message::FetchResponse {
            error_code,
            high_watermark,
            records,
            preferred_read_replica,
            fetch_offset,
            leader_id,
            leader_epoch,
            ..
        } = message
        else {
            return;
        };
        let current =
            // `FetchCollector`: fetchable, and still at the offset fetched, whatever the request's
            // epoch (a position with an epoch is in validation once the epoch moves).
            self.phase == Phase::Fetching && fetch_offset == self.position;
        if !self.completes(from, current, env) {
            return;
        }
        match error_code {
            ErrorCode::NONE if preferred_read_replica != NO_BROKER => {
                self.preferred = Some(preferred_read_replica);
                self.lease_renewed = true;
                self.lease_over = false;
                env.set_timer(TimerKind::MetadataRefresh);
                self.proceed(env);
            }
            // The replica waited `fetch.max.wait.ms` with nothing to read: ask again.
            ErrorCode::NONE if records.is_empty() => self.proceed(env),
            ErrorCode::NONE => {
                for r in records {
                    if r.offset != self.position {
                        break;
                    }
                    let delivery =
                        Delivery { offset: r.offset, record: r.record(), served_by: from, served_hw: high_watermark };
                    self.delivered.push(delivery);
                    self.position = r.offset + 1;
                    self.position_epoch = r.epoch;
                }
                self.proceed(env);
            }
            // KIP-392 case 4: a preferred replica's word is not definitive; ask the leader. Kafka
            // 4.4.0's `FetchCollector.handleInitializeErrors` judges by whether it clears a
            // preferred read replica, not by who answered.
            ErrorCode::OFFSET_OUT_OF_RANGE
                if self.preferred.is_some() && !env.cfg.has(ModelBug::FollowerOutOfRangeResets) =>
            {
                self.preferred = None;
                self.proceed(env);
            }
            ErrorCode::OFFSET_OUT_OF_RANGE => {
                self.phase = Phase::Resetting { timestamp: EARLIEST_TIMESTAMP };
                let cause =
                    if self.preferred.is_some() { ResetCause::FollowerOutOfRange } else { ResetCause::OutOfRange };
                self.reset_cause = Some(cause);
                self.proceed(env);
            }
            ErrorCode::UNKNOWN_LEADER_EPOCH => self.back_off(env),
            error => {
                if matches!(error, ErrorCode::NOT_LEADER_OR_FOLLOWER | ErrorCode::FENCED_LEADER_EPOCH) {
                    self.take_leader_hint(leader_id, leader_epoch);
                }
                self.release(env);
                self.back_off(env);
            }
        }
    }

    /// KIP-951: a fetch refused for leadership names the leader the replica knows; a newer one
    /// is taken at once (Kafka 4.4.0 `AbstractFetch.handleFetchSuccess`,
    /// `Metadata.updatePartitionLeadership`) and the position validated against it
    /// (`SubscriptionState.maybeValidatePositionForCurrentLeader`). It matters when the
    /// controller is out of reach: otherwise the metadata asked for in the same step says as much.
    fn take_leader_hint(&mut self, leader: BrokerId, epoch: LeaderEpoch) {
        if leader == NO_BROKER || epoch <= self.leader_epoch {
            return;
        }
        self.leader = leader;
        self.leader_epoch = epoch;
        if !matches!(self.phase, Phase::Resetting { .. }) {
            self.preferred = None;
        }
        if self.position_epoch != NO_EPOCH && self.phase == Phase::Fetching {
            self.phase = Phase::Validating;
        }
    }

    /// The application seeks: to the log start or to the HW, through ListOffsets to the leader.
    /// Whatever is outstanding now answers a position we no longer hold.
    pub fn seek(&mut self, to: SeekTo, env: &mut Env) {
        // Whatever is outstanding answers a position the consumer no longer holds: the
        // application acts now, a backoff included, and a late answer is ignored as stale.
        self.in_flight = None;
        self.backing_off = false;
        let timestamp = match to {
            SeekTo::Beginning => EARLIEST_TIMESTAMP,
            SeekTo::End => LATEST_TIMESTAMP,
            SeekTo::Offset(offset) => {
                self.move_to(offset, NO_EPOCH, ResetCause::Seek);
                self.phase = Phase::Fetching;
                return self.proceed(env);
            }
        };
        self.phase = Phase::Resetting { timestamp };
        self.reset_cause = Some(ResetCause::Seek);
        self.proceed(env);
    }

    fn on_reset_answer(&mut self, error_code: ErrorCode, offset: Offset, env: &mut Env) {
        match error_code {
            ErrorCode::NONE => {
                // Every answer is kept, as a consumer sees it (KIP-207 is about the sequence).
                if self.phase == (Phase::Resetting { timestamp: LATEST_TIMESTAMP }) {
                    self.list_offsets_latest.push(offset);
                }
                let cause = self.reset_cause.take().unwrap_or(ResetCause::Seek);
                // `OffsetFetcherUtils.resetPositionIfNeeded`: a reset position has no epoch, so
                // it is not validated; the next consumed record gives it one.
                self.move_to(offset, NO_EPOCH, cause);
                self.phase = Phase::Fetching;
                self.proceed(env);
            }
            _ => self.on_request_error(env),
        }
    }

    fn on_validation_answer(&mut self, error_code: ErrorCode, epoch: LeaderEpoch, end_offset: Offset, env: &mut Env) {
        match error_code {
            // `maybeCompleteValidation`: an undefined end offset or epoch means the leader has
            // nothing as new as the consumed epoch, a truncation the reset policy answers.
            ErrorCode::NONE if end_offset == -1 || epoch == NO_EPOCH => {
                self.phase = Phase::Resetting { timestamp: EARLIEST_TIMESTAMP };
                self.reset_cause = Some(ResetCause::LogTruncation);
                self.proceed(env);
            }
            ErrorCode::NONE => {
                if end_offset < self.position {
                    self.move_to(end_offset, epoch, ResetCause::LogTruncation);
                }
                self.phase = Phase::Fetching;
                self.proceed(env);
            }
            _ => self.on_request_error(env),
        }
    }

    /// A refused reset or validation is retried after `retry.backoff.ms` with new metadata, whatever
    /// the error (`OffsetsForLeaderEpochUtils.handleResponse`,
    /// `OffsetFetcherUtils.onSuccessfulResponseForValidatingPositions` and
    /// `onSuccessfulResponseForResettingPositions`).
    fn on_request_error(&mut self, env: &mut Env) {
        self.request_metadata(env);
        self.back_off(env);
    }

    fn move_to(&mut self, offset: Offset, epoch: LeaderEpoch, cause: ResetCause) {
        self.resets.push(Reset { from: self.position, to: offset, cause });
        self.position = offset;
        self.position_epoch = epoch;
    }
}
