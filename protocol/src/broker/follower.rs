//! The follower's side: the fetcher, divergence truncation and HW from the leader.
//!
//! Truncation uses the diverging epoch in the fetch response (KAFKA-10554, IBP 2.7+), not a
//! separate OffsetsForLeaderEpoch round: the leader compares the follower's `last_fetched_epoch`
//! with its epoch cache on every fetch, and the follower truncates before it appends anything
//! else. The truncation point follows KIP-279 (`AbstractFetcherThread.getOffsetTruncationState`),
//! which may take several rounds when the follower lacks the epoch the leader answered with.

use super::{Broker, Role};
use crate::bugs::Bug;
use crate::errors::ErrorCode;
use crate::messages::{EpochEndOffset, FetchRequest, FetchResponse, ListOffsetsRequest, ListOffsetsResponse, Message};
use crate::node::{IgnoreReason, Outbox, TimerKind};
use crate::types::{BrokerId, NodeId, Offset, LATEST_TIMESTAMP, NO_EPOCH};

/// State only a follower has (the fetcher thread's `PartitionFetchState`).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct FollowerState {
    /// The leader to fetch from; `None` while the partition has no leader.
    pub leader: Option<BrokerId>,
    /// Whether a fetch is outstanding.
    pub fetch_in_flight: bool,
    /// The leader's HW from the last response, before clamping to the local LEO.
    pub leader_high_watermark: Offset,
    /// Seeded bug `empty-response-clears-last-fetched-epoch`: the next fetch sends no epoch.
    pub last_fetched_epoch_cleared: bool,
    /// Seeded bug `hw-before-truncation`: a truncation deferred to the next fetch.
    pub pending_truncation: Option<EpochEndOffset>,
    /// After OFFSET_OUT_OF_RANGE: the leader's log end offset has been asked for (ListOffsets).
    pub awaiting_leader_end_offset: bool,
}

impl Broker {
    /// Follow the leader of the epoch in the current partition metadata.
    /// Source: `Partition.makeFollower`, `ReplicaFetcherManager.addFetcherForPartitions`.
    pub(super) fn become_follower(&mut self, out: &mut Outbox) {
        self.fail_pending_acks(out);
        out.cancel_timer(TimerKind::IsrExpiration);
        if self.config.bugs.has(Bug::TruncateToHw) {
            let hw = self.high_watermark;
            self.truncate_to(hw);
        }
        let leader = self.partition.as_ref().map(|p| p.leader).filter(|l| *l >= 0);
        self.role = Role::Follower(FollowerState {
            leader,
            fetch_in_flight: false,
            leader_high_watermark: self.high_watermark,
            last_fetched_epoch_cleared: false,
            pending_truncation: None,
            awaiting_leader_end_offset: false,
        });
        match leader {
            Some(_) => self.send_replica_fetch(out),
            None => out.cancel_timer(TimerKind::ReplicaFetch),
        }
    }

    fn send_replica_fetch(&mut self, out: &mut Outbox) {
        let epoch = self.leader_epoch();
        let fetch_offset = self.log.log_end_offset();
        let log_start_offset = self.log.log_start_offset();
        let latest_epoch = self.log.latest_epoch();
        let me = self.config.broker_id;
        let pre_kip_101 = self.config.bugs.has(Bug::TruncateToHw);
        let timeout = self.config.request_timeout_ms;
        let Role::Follower(state) = &mut self.role else { return };
        let Some(leader) = state.leader else { return };
        let last_fetched_epoch = if pre_kip_101 || state.last_fetched_epoch_cleared { NO_EPOCH } else { latest_epoch };
        let request = FetchRequest {
            replica_id: me,
            rack_id: String::new(),
            current_leader_epoch: epoch,
            fetch_offset,
            last_fetched_epoch,
            log_start_offset,
        };
        state.fetch_in_flight = true;
        out.send(NodeId::Broker(leader), Message::Fetch(request));
        out.set_timer(TimerKind::ReplicaFetch, timeout);
    }

    /// The connection to `peer` reset: a fetch outstanding to the leader failed, so fetch again
    /// after the backoff.
    pub(super) fn on_disconnected(&mut self, peer: NodeId, out: &mut Outbox) {
        if let NodeId::Consumer(_) = peer {
            return self.forget_parked_consumer_fetch(peer, out);
        }
        if matches!(self.role, Role::Leader(_)) {
            return match peer {
                NodeId::Controller => self.on_controller_disconnected(out),
                NodeId::Producer => self.forget_pending_acks(peer),
                _ => self.forget_waiting_replica_fetch(peer, out),
            };
        }
        let backoff = self.config.replica_fetch_backoff_ms;
        match &mut self.role {
            Role::Follower(state) if state.fetch_in_flight && state.leader.map(NodeId::Broker) == Some(peer) => {
                state.fetch_in_flight = false;
                state.awaiting_leader_end_offset = false;
                out.set_timer(TimerKind::ReplicaFetch, backoff);
            }
            _ => out.ignore(IgnoreReason::StaleResponse),
        }
    }

    /// Backoff over, or the request timed out: fetch (again). A request that timed out closes
    /// its connection first (`NetworkClient.handleTimedOutRequests`): an answer to it still on
    /// the way would otherwise arrive after the next fetch is sent, be taken for that fetch's, and
    /// leave the next one a step behind. A truncation deferred by the `hw-before-truncation` bug
    /// happens here.
    pub(super) fn on_replica_fetch_timeout(&mut self, out: &mut Outbox) {
        let Role::Follower(state) = &mut self.role else {
            return out.ignore(IgnoreReason::IdleTimer);
        };
        let Some(leader) = state.leader else {
            return out.ignore(IgnoreReason::IdleTimer);
        };
        if state.fetch_in_flight {
            state.fetch_in_flight = false;
            out.disconnect(NodeId::Broker(leader));
        }
        state.awaiting_leader_end_offset = false;
        if let Some(diverging) = state.pending_truncation.take() {
            let offset = self.truncation_offset(diverging);
            self.truncate_to(offset);
        }
        self.send_replica_fetch(out);
    }

    /// OFFSET_OUT_OF_RANGE from the leader. Kafka 4.4.0
    /// `AbstractFetcherThread.fetchOffsetAndTruncate` asks the leader's log end offset
    /// (ListOffsets LATEST as a replica) and truncates to it only if it is below its own.
    fn ask_leader_end_offset(&mut self, out: &mut Outbox) {
        let epoch = self.leader_epoch();
        let me = self.config.broker_id;
        let timeout = self.config.request_timeout_ms;
        let Role::Follower(state) = &mut self.role else { return };
        let Some(leader) = state.leader else { return };
        state.fetch_in_flight = true;
        state.awaiting_leader_end_offset = true;
        let request = ListOffsetsRequest { replica_id: me, current_leader_epoch: epoch, timestamp: LATEST_TIMESTAMP };
        out.send(NodeId::Broker(leader), Message::ListOffsets(request));
        out.set_timer(TimerKind::ReplicaFetch, timeout);
    }

    /// The leader's log end offset. The log start offset is always 0 here (no retention), so the
    /// second question Kafka asks when the leader is not behind (its log start, to fetch from
    /// `max(leader log start, own LEO)`) would not move the fetch offset, and is not asked.
    pub(super) fn on_leader_end_offset(&mut self, from: NodeId, response: ListOffsetsResponse, out: &mut Outbox) {
        let backoff = self.config.replica_fetch_backoff_ms;
        let Role::Follower(state) = &mut self.role else {
            return out.ignore(IgnoreReason::StaleResponse);
        };
        if !state.awaiting_leader_end_offset || state.leader.map(NodeId::Broker) != Some(from) {
            return out.ignore(IgnoreReason::StaleResponse);
        }
        state.awaiting_leader_end_offset = false;
        state.fetch_in_flight = false;
        if response.error_code != ErrorCode::NONE {
            return out.set_timer(TimerKind::ReplicaFetch, backoff);
        }
        if response.offset < self.log.log_end_offset() {
            self.truncate_to(response.offset.max(0));
        }
        self.send_replica_fetch(out);
    }

    /// The leader's answer to our fetch. Source: `AbstractFetcherThread.processFetchRequest`: a
    /// response is used only if it answers the fetch state we are still in.
    pub(super) fn on_fetch_response(&mut self, from: NodeId, response: FetchResponse, out: &mut Outbox) {
        let epoch = self.leader_epoch();
        let leo = self.log.log_end_offset();
        let Role::Follower(state) = &mut self.role else {
            return out.ignore(IgnoreReason::StaleResponse);
        };
        let answers_current_fetch = state.fetch_in_flight
            && state.leader.map(NodeId::Broker) == Some(from)
            && response.request_leader_epoch == epoch
            && response.fetch_offset == leo;
        if !answers_current_fetch {
            return out.ignore(IgnoreReason::StaleResponse);
        }
        state.fetch_in_flight = false;
        let backoff = self.config.replica_fetch_backoff_ms;
        match response.error_code {
            ErrorCode::NONE => match response.diverging_epoch {
                Some(diverging) => self.on_diverging_epoch(response.high_watermark, diverging, out),
                None => self.append_from_leader(response, out),
            },
            // The seeded KAFKA-7415 carries the follower of its time, which truncated to the HW
            // when the leader had no answer for its epoch: under Kafka 4.4's handling below, the
            // missing epoch entry alone harms no run the model can exhaust.
            ErrorCode::OFFSET_OUT_OF_RANGE if self.config.bugs.has(Bug::NoEpochCacheEntryOnElection) => {
                self.truncate_to(response.high_watermark.max(0));
                self.send_replica_fetch(out);
            }
            ErrorCode::OFFSET_OUT_OF_RANGE => self.ask_leader_end_offset(out),
            // Fencing errors and NOT_LEADER_OR_FOLLOWER: wait for the controller's notice.
            _ => out.set_timer(TimerKind::ReplicaFetch, backoff),
        }
    }

    fn append_from_leader(&mut self, response: FetchResponse, out: &mut Outbox) {
        let got_records = !response.records.is_empty();
        for record in &response.records {
            if record.offset != self.log.log_end_offset() {
                // Not contiguous with our log: drop the rest, the next fetch asks again.
                out.ignore(IgnoreReason::StaleResponse);
                break;
            }
            self.log.append(record.record());
        }
        let leo = self.log.log_end_offset();
        // Follower HW = min(leader HW, own LEO): it may go down (`UnifiedLog.maybeUpdateHighWatermark`).
        self.high_watermark = response.high_watermark.clamp(self.log.log_start_offset(), leo);
        let clears_epoch = self.config.bugs.has(Bug::EmptyResponseClearsLastFetchedEpoch);
        if let Role::Follower(state) = &mut self.role {
            state.leader_high_watermark = response.high_watermark;
            state.last_fetched_epoch_cleared = !got_records && clears_epoch;
        }
        // The leader long-polls: every answer carries news, so fetch again at once.
        self.send_replica_fetch(out);
        self.retry_parked_consumer_fetches(out);
    }

    fn on_diverging_epoch(&mut self, leader_hw: Offset, diverging: EpochEndOffset, out: &mut Outbox) {
        if self.config.bugs.has(Bug::HwBeforeTruncation) {
            // KAFKA-14704: the HW is applied first and truncation waits for the next fetch.
            self.high_watermark = leader_hw.clamp(self.log.log_start_offset(), self.log.log_end_offset());
            let backoff = self.config.replica_fetch_backoff_ms;
            if let Role::Follower(state) = &mut self.role {
                state.pending_truncation = Some(diverging);
            }
            return out.set_timer(TimerKind::ReplicaFetch, backoff);
        }
        let offset = self.truncation_offset(diverging);
        self.truncate_to(offset);
        self.send_replica_fetch(out);
    }

    /// Where to truncate on a diverging epoch. Source: `AbstractFetcherThread.getOffsetTruncationState` (KIP-279).
    fn truncation_offset(&self, diverging: EpochEndOffset) -> Offset {
        let leo = self.log.log_end_offset();
        if self.config.bugs.has(Bug::SingleRoundEpochLookup) {
            return diverging.end_offset.min(leo);
        }
        match self.log.epochs().end_offset_for(diverging.epoch, leo) {
            (NO_EPOCH, _) => diverging.end_offset.min(leo),
            // We lack the leader's epoch: cut back to the end of our older one and ask again.
            (epoch, end) if epoch != diverging.epoch => end.min(leo),
            (_, end) => end.min(diverging.end_offset).min(leo),
        }
    }
}
