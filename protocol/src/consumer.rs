//! The consumer's fetcher for one partition: position, preferred read replica and its lease,
//! fall-back to the leader, KIP-320 position validation, and the reset policy.
//!
//! | input | handler | source |
//! |---|---|---|
//! | `Start` | asks for metadata | `ConsumerMetadata` bootstrap |
//! | `MetadataResponse` | `on_metadata_response` | `Metadata.update`; `maybeValidatePositionForCurrentLeader` |
//! | `FetchResponse` | `on_fetch_response` | `AbstractFetch.handleInitializeErrors`, `FetchCollector` |
//! | `ListOffsetsResponse` | `on_list_offsets_response` | `OffsetFetcher.resetPositionsIfNeeded` |
//! | `OffsetsForLeaderEpochResponse` | `on_validation_response` | `OffsetFetcher.validatePositionsIfNeeded` (KIP-320) |
//! | `Seek` | `on_seek` | `seek`, `seekToBeginning`, `seekToEnd` |
//! | timer `ConsumerFetch` | `on_fetch_timeout` | backoff over, or request timeout |
//! | timer `MetadataRefresh` | `on_metadata_refresh_timeout` | `metadata.max.age.ms` |
//!
//! The consumer starts at offset 0 with no epoch, as if resuming from a committed offset 0.

use crate::bugs::Bug;
use crate::config::{ConsumerConfig, ResetPolicy};
use crate::errors::ErrorCode;
use crate::messages::{
    FetchRequest, FetchResponse, LeaderIdAndEpoch, ListOffsetsRequest, ListOffsetsResponse, Message, MetadataRequest,
    MetadataResponse, OffsetsForLeaderEpochRequest, OffsetsForLeaderEpochResponse,
};
use crate::node::{IgnoreReason, Input, Outbox, Output, SeekTo, TimerKind};
use crate::types::{
    BrokerId, LeaderEpoch, Millis, NodeId, Offset, OffsetRecord, CONSUMER_REPLICA_ID, EARLIEST_TIMESTAMP,
    LATEST_TIMESTAMP, NO_EPOCH, NO_PREFERRED_REPLICA, UNDEFINED_OFFSET,
};

/// The next offset to consume and the epoch of the record before it (`FetchPosition`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct FetchPosition {
    /// The next offset to fetch.
    pub offset: Offset,
    /// The epoch of the last consumed record, or `NO_EPOCH`.
    pub offset_epoch: LeaderEpoch,
}

/// What the consumer is waiting for before it can fetch.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum ConsumerPhase {
    /// Fetching records.
    Fetching,
    /// Resetting the position with ListOffsets (earliest or latest) to the leader.
    Resetting(ResetTarget),
    /// Validating the position with OffsetsForLeaderEpoch to the leader after a leader change (KIP-320).
    Validating,
    /// Stopped: an out-of-range or truncation with `auto.offset.reset=none`.
    Failed,
}

/// Which end a reset goes to.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum ResetTarget {
    /// The log start offset.
    Earliest,
    /// The high watermark.
    Latest,
}

/// Why the position moved other than by consuming.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum ResetCause {
    /// The application sought.
    Seek,
    /// The leader answered OFFSET_OUT_OF_RANGE and the reset policy applied.
    OutOfRange,
    /// Validation found the log truncated below the position (KIP-320).
    LogTruncation,
    /// A follower answered OFFSET_OUT_OF_RANGE and the reset policy applied (only with the
    /// seeded KAFKA-14255).
    FollowerOutOfRange,
}

/// An explicit move of the position, as kept in the consumer's history.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct PositionReset {
    /// The position before.
    pub from: Offset,
    /// The position after.
    pub to: Offset,
    /// Why.
    pub cause: ResetCause,
}

/// The preferred read replica and when its lease ends.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct PreferredReplica {
    /// The replica.
    pub broker_id: BrokerId,
    /// `now + metadata.max.age.ms` when it was set.
    pub expires_ms: Millis,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
enum Request {
    Fetch,
    ListOffsets,
    Validation,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
struct InFlight {
    to: BrokerId,
    request: Request,
}

/// A consumer of the partition. Step it with [`Consumer::handle`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Consumer {
    config: ConsumerConfig,
    metadata: Option<MetadataResponse>,
    position: FetchPosition,
    phase: ConsumerPhase,
    preferred: Option<PreferredReplica>,
    in_flight: Option<InFlight>,
    /// Waiting out `retry.backoff.ms`: nothing is sent until the timer fires,
    /// whatever else arrives (otherwise a metadata answer would turn a retry into a busy loop).
    backing_off: bool,
    delivered: Vec<OffsetRecord>,
    resets: Vec<PositionReset>,
    /// Why the reset under way was started, recorded when it completes.
    pending_reset_cause: Option<ResetCause>,
    list_offsets_latest_seen: Vec<Offset>,
}

impl Consumer {
    /// A consumer at offset 0.
    pub fn new(config: ConsumerConfig) -> Self {
        Consumer {
            config,
            metadata: None,
            position: FetchPosition { offset: 0, offset_epoch: NO_EPOCH },
            phase: ConsumerPhase::Fetching,
            preferred: None,
            in_flight: None,
            backing_off: false,
            delivered: Vec::new(),
            resets: Vec::new(),
            pending_reset_cause: None,
            list_offsets_latest_seen: Vec::new(),
        }
    }

    /// Step the consumer with one input at time `now`.
    pub fn handle(&mut self, now: Millis, input: Input) -> Vec<Output> {
        let mut out = Outbox::default();
        match input {
            Input::Start => self.on_start(&mut out),
            Input::Seek(to) => self.on_seek(now, to, &mut out),
            Input::Timer(TimerKind::ConsumerFetch) => self.on_fetch_timeout(now, &mut out),
            Input::Timer(TimerKind::MetadataRefresh) => self.on_metadata_refresh_timeout(now, &mut out),
            Input::Timer(TimerKind::MetadataRetry) => self.request_metadata(&mut out),
            Input::Message { from, message } => self.on_message(now, from, message, &mut out),
            Input::Disconnected(peer) => self.on_disconnected(peer, &mut out),
            _ => out.ignore(IgnoreReason::NotForThisNode),
        }
        out.drain()
    }

    fn on_message(&mut self, now: Millis, from: NodeId, message: Message, out: &mut Outbox) {
        match (from, message) {
            (NodeId::Controller, Message::MetadataResponse(m)) => self.on_metadata_response(now, m, out),
            (NodeId::Broker(b), Message::FetchResponse(r)) => self.on_fetch_response(now, b, r, out),
            (NodeId::Broker(b), Message::ListOffsetsResponse(r)) => self.on_list_offsets_response(now, b, r, out),
            (NodeId::Broker(b), Message::OffsetsForLeaderEpochResponse(r)) => {
                self.on_validation_response(now, b, r, out)
            }
            _ => out.ignore(IgnoreReason::NotForThisNode),
        }
    }

    fn on_start(&mut self, out: &mut Outbox) {
        self.request_metadata(out);
        out.set_timer(TimerKind::MetadataRefresh, self.config.metadata_max_age_ms);
    }

    fn request_metadata(&self, out: &mut Outbox) {
        out.send(NodeId::Controller, Message::Metadata(MetadataRequest {}));
    }

    /// Metadata is `metadata.max.age.ms` old: refresh it. A preferred replica whose lease (the
    /// same age, counted from the redirect) is over is dropped now, not at the next fetch, so a
    /// consumer parked at that replica goes back to the leader with its next request.
    fn on_metadata_refresh_timeout(&mut self, now: Millis, out: &mut Outbox) {
        if self.preferred.is_some_and(|p| now >= p.expires_ms) {
            self.preferred = None;
        }
        self.request_metadata(out);
        out.set_timer(TimerKind::MetadataRefresh, self.config.metadata_max_age_ms);
    }

    /// New metadata. Older leader epochs are ignored (`Metadata.updateLatestMetadata`); a newer
    /// epoch makes a position with an epoch go through validation (KIP-320); a preferred replica
    /// that metadata shows offline, or any change of leader or leader epoch, drops it
    /// (`selectReadReplica`, `maybeValidatePosition`).
    fn on_metadata_response(&mut self, now: Millis, metadata: MetadataResponse, out: &mut Outbox) {
        let known_epoch = self.current_leader_epoch();
        if metadata.leader_epoch < known_epoch {
            return out.ignore(IgnoreReason::StaleResponse);
        }
        let newer = metadata.leader_epoch > known_epoch;
        if let Some(p) = self.preferred {
            if metadata.offline_replicas.contains(&p.broker_id) {
                self.preferred = None;
            }
        }
        // `SubscriptionState.maybeValidatePosition`: a leader or leader epoch other than the one
        // the consumer knew drops the preferred read replica, unless metadata names no leader or
        // a reset is pending.
        let known = self.metadata.as_ref().map(|m| (m.leader_id, m.leader_epoch));
        let moved = known != Some((metadata.leader_id, metadata.leader_epoch));
        if moved && metadata.leader_id >= 0 && !matches!(self.phase, ConsumerPhase::Resetting(_)) {
            self.preferred = None;
        }
        self.metadata = Some(metadata);
        if newer && self.position.offset_epoch != NO_EPOCH && self.phase == ConsumerPhase::Fetching {
            self.phase = ConsumerPhase::Validating;
        }
        self.proceed(now, out);
    }

    /// KIP-951: a fetch refused for leadership names the leader the replica knows. Kafka 4.4.0's
    /// `AbstractFetch.handleFetchSuccess` takes a newer one into its metadata at once
    /// (`Metadata.updatePartitionLeadership`) and validates the position against it
    /// (`SubscriptionState.maybeValidatePositionForCurrentLeader`); metadata is still asked for.
    fn take_leader_hint(&mut self, hint: LeaderIdAndEpoch) {
        let Some(metadata) = &mut self.metadata else { return };
        if hint.leader_id < 0 || hint.leader_epoch <= metadata.leader_epoch {
            return;
        }
        metadata.leader_id = hint.leader_id;
        metadata.leader_epoch = hint.leader_epoch;
        // `maybeValidatePosition`: a new leader drops the preferred replica unless a reset waits.
        if !matches!(self.phase, ConsumerPhase::Resetting(_)) {
            self.preferred = None;
        }
        if self.position.offset_epoch != NO_EPOCH && self.phase == ConsumerPhase::Fetching {
            self.phase = ConsumerPhase::Validating;
        }
    }

    fn leader(&self) -> Option<BrokerId> {
        self.metadata.as_ref().map(|m| m.leader_id).filter(|l| *l >= 0)
    }

    /// `AbstractFetch.selectReadReplica`: the preferred replica while its lease holds and metadata
    /// does not show it offline; else the leader.
    fn read_replica(&mut self, now: Millis, leader: BrokerId, out: &mut Outbox) -> BrokerId {
        match self.preferred {
            Some(p) if now < p.expires_ms => p.broker_id,
            Some(_) => {
                self.preferred = None;
                self.request_metadata(out);
                leader
            }
            None => leader,
        }
    }

    /// Send whatever the phase calls for, unless a request is outstanding.
    fn proceed(&mut self, now: Millis, out: &mut Outbox) {
        if self.in_flight.is_some() || self.backing_off || self.phase == ConsumerPhase::Failed {
            return;
        }
        let Some(leader) = self.leader() else {
            // No leader known (an offline partition, or no metadata yet): ask again, then wait.
            self.request_metadata(out);
            return self.back_off(out);
        };
        let epoch = self.current_leader_epoch();
        let (to, request, message) = match self.phase {
            ConsumerPhase::Fetching => {
                let to = self.read_replica(now, leader, out);
                let request = FetchRequest {
                    replica_id: CONSUMER_REPLICA_ID,
                    rack_id: self.config.client_rack.clone().unwrap_or_default(),
                    current_leader_epoch: epoch,
                    fetch_offset: self.position.offset,
                    last_fetched_epoch: NO_EPOCH,
                    log_start_offset: -1,
                };
                (to, Request::Fetch, Message::Fetch(request))
            }
            ConsumerPhase::Resetting(target) => {
                let timestamp = match target {
                    ResetTarget::Earliest => EARLIEST_TIMESTAMP,
                    ResetTarget::Latest => LATEST_TIMESTAMP,
                };
                let request =
                    ListOffsetsRequest { replica_id: CONSUMER_REPLICA_ID, current_leader_epoch: epoch, timestamp };
                (leader, Request::ListOffsets, Message::ListOffsets(request))
            }
            ConsumerPhase::Validating => {
                let request = OffsetsForLeaderEpochRequest {
                    replica_id: CONSUMER_REPLICA_ID,
                    current_leader_epoch: epoch,
                    leader_epoch: self.position.offset_epoch,
                };
                (leader, Request::Validation, Message::OffsetsForLeaderEpoch(request))
            }
            ConsumerPhase::Failed => return,
        };
        self.in_flight = Some(InFlight { to, request });
        out.send(NodeId::Broker(to), message);
        out.set_timer(TimerKind::ConsumerFetch, self.config.request_timeout_ms);
    }

    fn back_off(&mut self, out: &mut Outbox) {
        self.wait(self.config.retry_backoff_ms, out);
    }

    fn wait(&mut self, ms: Millis, out: &mut Outbox) {
        self.backing_off = true;
        out.set_timer(TimerKind::ConsumerFetch, ms);
    }

    /// Backoff over, or the outstanding request timed out: a timeout is a failed request, and
    /// closes its connection first (`NetworkClient.handleTimedOutRequests`). Otherwise the
    /// broker would still hold the abandoned fetch (a `DelayedFetch`) and answer it later, an
    /// answer the consumer could not tell from its next request's, or would drop as stale while
    /// keeping a preferred read replica that refused it.
    fn on_fetch_timeout(&mut self, now: Millis, out: &mut Outbox) {
        self.backing_off = false;
        if let Some(failed) = self.in_flight.take() {
            out.disconnect(NodeId::Broker(failed.to));
            self.on_request_failed(failed.request, out);
        }
        self.proceed(now, out);
    }

    /// The connection to `peer` reset. A request outstanding to that broker failed and the
    /// consumer backs off `retry.backoff.ms` before it asks again (after its own request timeout
    /// it asks again at once); a lost metadata request is sent again.
    fn on_disconnected(&mut self, peer: NodeId, out: &mut Outbox) {
        match peer {
            // `NetworkClient` marks the update failed (`Metadata.failedUpdate`); it is asked again
            // after `retry.backoff.ms`.
            NodeId::Controller => out.set_timer(TimerKind::MetadataRetry, self.config.retry_backoff_ms),
            NodeId::Broker(b) if self.in_flight.is_some_and(|f| f.to == b) => {
                if let Some(failed) = self.in_flight.take() {
                    self.on_request_failed(failed.request, out);
                }
                self.back_off(out);
            }
            _ => out.ignore(IgnoreReason::StaleResponse),
        }
    }

    /// A request that failed (timed out, or its connection reset) asks for new metadata. A failed
    /// fetch also drops the preferred replica; a failed ListOffsets or OffsetsForLeaderEpoch, sent
    /// to the leader, does not (`OffsetFetcherUtils.onFailedResponseForResettingPositions`,
    /// `onFailedResponseForValidatingPositions`).
    fn on_request_failed(&mut self, request: Request, out: &mut Outbox) {
        match request {
            Request::Fetch => self.release_preferred_replica(out),
            Request::ListOffsets | Request::Validation => self.request_metadata(out),
        }
    }

    /// An error that refreshes metadata: since KAFKA-14379 it also clears the preferred replica
    /// (`FetchUtils.requestMetadataUpdate`).
    fn release_preferred_replica(&mut self, out: &mut Outbox) {
        if !self.config.bugs.has(Bug::LeaseOnlyRevert) {
            self.preferred = None;
        }
        self.request_metadata(out);
    }

    fn take_in_flight(&mut self, from: BrokerId, request: Request) -> bool {
        if self.in_flight == Some(InFlight { to: from, request }) {
            self.in_flight = None;
            return true;
        }
        false
    }

    /// An answer from the broker we wait on completes the request even when stale: its data is
    /// dropped and the consumer asks again (Kafka's NetworkClient completes it either way).
    fn answer_is_current(
        &mut self,
        now: Millis,
        from: BrokerId,
        request: Request,
        current: bool,
        out: &mut Outbox,
    ) -> bool {
        let answered = self.take_in_flight(from, request);
        if answered && current {
            return true;
        }
        out.ignore(IgnoreReason::StaleResponse);
        if answered {
            self.proceed(now, out);
        }
        false
    }

    fn on_fetch_response(&mut self, now: Millis, from: BrokerId, response: FetchResponse, out: &mut Outbox) {
        // Kafka 4.4.0 `FetchCollector`: an answer counts while the partition is fetchable and the
        // position is still the offset fetched, whatever leader epoch the request was made in (a
        // position with an epoch goes through validation when the epoch moves, and is not
        // fetchable meanwhile).
        let current = response.fetch_offset == self.position.offset && self.phase == ConsumerPhase::Fetching;
        if !self.answer_is_current(now, from, Request::Fetch, current, out) {
            return;
        }
        match response.error_code {
            ErrorCode::NONE if response.preferred_read_replica != NO_PREFERRED_REPLICA => {
                let expires_ms = now.saturating_add(self.config.metadata_max_age_ms);
                self.preferred = Some(PreferredReplica { broker_id: response.preferred_read_replica, expires_ms });
                // The next refresh comes when the lease ends, so the lease is looked at then.
                out.set_timer(TimerKind::MetadataRefresh, self.config.metadata_max_age_ms);
                self.proceed(now, out);
            }
            // The replica waited `fetch.max.wait.ms` with nothing to read (`DelayedFetch`): ask again.
            ErrorCode::NONE if response.records.is_empty() => self.proceed(now, out),
            ErrorCode::NONE => {
                self.consume(response.records, out);
                self.proceed(now, out);
            }
            ErrorCode::OFFSET_OUT_OF_RANGE => self.on_out_of_range(now, out),
            ErrorCode::UNKNOWN_LEADER_EPOCH => self.back_off(out),
            error => {
                // NOT_LEADER_OR_FOLLOWER, FENCED_LEADER_EPOCH, OFFSET_NOT_AVAILABLE, REPLICA_NOT_AVAILABLE...
                if matches!(error, ErrorCode::NOT_LEADER_OR_FOLLOWER | ErrorCode::FENCED_LEADER_EPOCH) {
                    self.take_leader_hint(response.current_leader);
                }
                self.release_preferred_replica(out);
                self.back_off(out);
            }
        }
    }

    fn consume(&mut self, records: Vec<OffsetRecord>, out: &mut Outbox) {
        let mut accepted = Vec::new();
        for record in records {
            // A record that is not next, or after which no offset exists, ends what we take.
            let Some(next) = record.offset.checked_add(1).filter(|_| record.offset == self.position.offset) else {
                break;
            };
            self.position = FetchPosition { offset: next, offset_epoch: record.epoch };
            accepted.push(record);
        }
        self.delivered.extend(accepted.iter().copied());
        out.deliver_records(accepted);
    }

    /// KIP-392 case 4: out of range from a preferred replica is not definitive; return to the
    /// leader without resetting. Kafka 4.4.0's `FetchCollector.handleInitializeErrors` judges by
    /// whether it clears a preferred read replica, not by who answered.
    fn on_out_of_range(&mut self, now: Millis, out: &mut Outbox) {
        let from_follower = self.preferred.is_some();
        if from_follower && !self.config.bugs.has(Bug::FollowerOutOfRangeResets) {
            self.preferred = None;
            return self.proceed(now, out);
        }
        self.phase = match self.config.reset_policy {
            ResetPolicy::Earliest => ConsumerPhase::Resetting(ResetTarget::Earliest),
            ResetPolicy::Latest => ConsumerPhase::Resetting(ResetTarget::Latest),
            ResetPolicy::None => ConsumerPhase::Failed,
        };
        self.pending_reset_cause =
            Some(if from_follower { ResetCause::FollowerOutOfRange } else { ResetCause::OutOfRange });
        self.proceed(now, out);
    }

    fn on_list_offsets_response(
        &mut self,
        now: Millis,
        from: BrokerId,
        response: ListOffsetsResponse,
        out: &mut Outbox,
    ) {
        let expected = match self.phase {
            ConsumerPhase::Resetting(ResetTarget::Earliest) => Some(EARLIEST_TIMESTAMP),
            ConsumerPhase::Resetting(ResetTarget::Latest) => Some(LATEST_TIMESTAMP),
            _ => None,
        };
        let current = expected == Some(response.timestamp);
        if !self.answer_is_current(now, from, Request::ListOffsets, current, out) {
            return;
        }
        let ConsumerPhase::Resetting(target) = self.phase else { return };
        match response.error_code {
            ErrorCode::NONE => {
                if target == ResetTarget::Latest {
                    self.list_offsets_latest_seen.push(response.offset);
                }
                let cause = self.pending_reset_cause.take().unwrap_or(ResetCause::Seek);
                // Kafka 4.4.0 `OffsetFetcherUtils.resetPositionIfNeeded`: the reset position has
                // no epoch, "to skip validation"; the next consumed record gives it one.
                self.move_position(response.offset, NO_EPOCH, cause);
                self.phase = ConsumerPhase::Fetching;
                self.proceed(now, out);
            }
            _ => self.on_request_error(out),
        }
    }

    /// KIP-320 validation: an end offset below the position means the log was truncated under us.
    fn on_validation_response(
        &mut self,
        now: Millis,
        from: BrokerId,
        response: OffsetsForLeaderEpochResponse,
        out: &mut Outbox,
    ) {
        // `SubscriptionState.maybeCompleteValidation` drops an answer for a position that moved
        // since the request, its leader included.
        let current = self.phase == ConsumerPhase::Validating
            && response.requested_epoch == self.position.offset_epoch
            && response.request_leader_epoch == self.current_leader_epoch();
        if !self.answer_is_current(now, from, Request::Validation, current, out) {
            return;
        }
        match response.error_code {
            // An undefined end offset or epoch: the leader has nothing as new as the consumed
            // epoch, a truncation the reset policy answers (`maybeCompleteValidation`).
            ErrorCode::NONE if response.end_offset == UNDEFINED_OFFSET || response.leader_epoch == NO_EPOCH => {
                self.phase = match self.config.reset_policy {
                    ResetPolicy::Earliest => ConsumerPhase::Resetting(ResetTarget::Earliest),
                    ResetPolicy::Latest => ConsumerPhase::Resetting(ResetTarget::Latest),
                    ResetPolicy::None => ConsumerPhase::Failed,
                };
                self.pending_reset_cause = Some(ResetCause::LogTruncation);
                self.proceed(now, out);
            }
            ErrorCode::NONE => {
                let truncated = response.end_offset < self.position.offset;
                if truncated {
                    if self.config.reset_policy == ResetPolicy::None {
                        self.phase = ConsumerPhase::Failed;
                        return;
                    }
                    self.move_position(response.end_offset, response.leader_epoch, ResetCause::LogTruncation);
                }
                self.phase = ConsumerPhase::Fetching;
                self.proceed(now, out);
            }
            _ => self.on_request_error(out),
        }
    }

    /// A refused reset or validation is retried after `retry.backoff.ms` with new metadata, whatever
    /// the error (`OffsetsForLeaderEpochUtils.handleResponse`,
    /// `OffsetFetcherUtils.onSuccessfulResponseForValidatingPositions` and
    /// `onSuccessfulResponseForResettingPositions`).
    fn on_request_error(&mut self, out: &mut Outbox) {
        self.request_metadata(out);
        self.back_off(out);
    }

    fn move_position(&mut self, offset: Offset, offset_epoch: LeaderEpoch, cause: ResetCause) {
        self.resets.push(PositionReset { from: self.position.offset, to: offset, cause });
        self.position = FetchPosition { offset, offset_epoch };
    }

    fn on_seek(&mut self, now: Millis, to: SeekTo, out: &mut Outbox) {
        // Whatever is outstanding answers a position we no longer hold; the application acts now.
        self.in_flight = None;
        self.backing_off = false;
        match to {
            SeekTo::Offset(offset) => {
                self.move_position(offset, NO_EPOCH, ResetCause::Seek);
                self.phase = ConsumerPhase::Fetching;
            }
            SeekTo::Beginning => self.phase = ConsumerPhase::Resetting(ResetTarget::Earliest),
            SeekTo::End => self.phase = ConsumerPhase::Resetting(ResetTarget::Latest),
        }
        self.pending_reset_cause = Some(ResetCause::Seek);
        self.proceed(now, out);
    }

    // --- getters ---

    /// The configuration.
    pub fn config(&self) -> &ConsumerConfig {
        &self.config
    }

    /// The position.
    pub fn position(&self) -> FetchPosition {
        self.position
    }

    /// The leader epoch the consumer sends as `current_leader_epoch`, or `NO_EPOCH`.
    pub fn current_leader_epoch(&self) -> LeaderEpoch {
        self.metadata.as_ref().map_or(NO_EPOCH, |m| m.leader_epoch)
    }

    /// Whether a request is outstanding: its `ConsumerFetch` timer is then its request timeout.
    pub fn request_outstanding(&self) -> bool {
        self.in_flight.is_some()
    }

    /// The preferred read replica and its lease, if any.
    pub fn preferred_read_replica(&self) -> Option<PreferredReplica> {
        self.preferred
    }

    /// Every record handed to the application, in order.
    pub fn delivered(&self) -> &[OffsetRecord] {
        &self.delivered
    }

    /// Every explicit move of the position.
    pub fn resets(&self) -> &[PositionReset] {
        &self.resets
    }

    /// Every ListOffsets(latest) answer this consumer received, in order (KIP-207's concern).
    pub fn list_offsets_latest_seen(&self) -> &[Offset] {
        &self.list_offsets_latest_seen
    }

    /// What the consumer is doing.
    pub fn phase(&self) -> ConsumerPhase {
        self.phase
    }

    /// The metadata it last accepted.
    pub fn metadata(&self) -> Option<&MetadataResponse> {
        self.metadata.as_ref()
    }
}
