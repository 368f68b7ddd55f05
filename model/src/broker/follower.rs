//! The follower's side: the fetcher (long-polled by the leader) and KIP-279 truncation.

use highwater_traces::{
    EpochEndOffset, ErrorCode, Message, NodeId, Offset, Role, TimerKind, LATEST_TIMESTAMP, NO_BROKER, NO_EPOCH,
};

use super::BrokerState;
use crate::bugs::ModelBug;
use crate::config::Semantics;
use crate::node::Env;

impl BrokerState {
    // --- follower ---

    pub(super) fn send_fetch(&mut self, env: &mut Env) {
        if self.leader == NO_BROKER {
            return;
        }
        self.fetch_in_flight = true;
        // A backoff still pending is over: the fetch it waited to send is this one.
        env.cancel_timer(TimerKind::ReplicaFetch);
        let fetch = Message::Fetch {
            replica_id: self.id,
            rack_id: String::new(),
            current_leader_epoch: self.leader_epoch,
            fetch_offset: self.leo(),
            // Before KIP-101 a follower sent no epoch, so the leader could not see a divergence.
            last_fetched_epoch: match env.cfg.has(ModelBug::TruncateToHw) || self.last_fetched_epoch_cleared {
                true => NO_EPOCH,
                false => self.latest_epoch(),
            },
            log_start_offset: 0,
        };
        env.send(NodeId::Broker(self.leader), fetch);
    }

    /// A lost connection: a follower fetches again after a backoff; a leader sends its pending
    /// AlterPartition again after a backoff (the controller may be out of reach for a while).
    pub fn on_disconnect(&mut self, peer: NodeId, env: &mut Env) {
        match self.role {
            Role::Follower if self.fetch_in_flight && peer == NodeId::Broker(self.leader) => {
                self.fetch_in_flight = false;
                self.awaiting_leader_end = false;
                env.set_timer(TimerKind::ReplicaFetch);
            }
            // Kafka's AlterPartitionManager keeps the change pending and retries it: the lost
            // request may have been applied, so its members must keep counting for the HW.
            // The fetch session with that follower is gone: what we last told it is unknown.
            // Its parked fetch went with the connection (renewed to now, as one that waited).
            Role::Leader if matches!(peer, NodeId::Broker(_)) => {
                if let NodeId::Broker(id) = peer {
                    self.renew_parked(&[id], env.cfg);
                }
                if let Some(f) = self.followers.iter_mut().find(|f| NodeId::Broker(f.id) == peer) {
                    f.hw_sent = -1;
                    f.parked = None;
                }
                self.arm_replica_fetch_wait(env);
            }
            Role::Leader if peer == NodeId::Controller && self.pending_alter.as_ref().is_some_and(|p| !p.2) => {
                env.set_timer(TimerKind::AlterPartitionRetry);
            }
            _ => {}
        }
    }

    pub(super) fn on_fetch_response(&mut self, from: NodeId, message: Message, env: &mut Env) {
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
            (ErrorCode::NONE, Some(diverging)) if env.cfg.has(ModelBug::HwBeforeTruncation) => {
                // KAFKA-14704: the HW first; the truncation waits for the next fetch, after a backoff.
                self.hw = high_watermark.clamp(0, self.leo());
                self.pending_truncation = Some(diverging);
                env.set_timer(TimerKind::ReplicaFetch);
            }
            (ErrorCode::NONE, Some(diverging)) => {
                let to = self.truncation_point(diverging, env);
                self.truncate(to);
                self.send_fetch(env);
            }
            (ErrorCode::NONE, None) => {
                // KAFKA-15510: an empty answer made the next fetch go without its epoch.
                self.last_fetched_epoch_cleared =
                    records.is_empty() && env.cfg.has(ModelBug::EmptyResponseClearsLastFetchedEpoch);
                for r in records {
                    if r.offset != self.leo() {
                        break;
                    }
                    self.append(r.record());
                }
                self.hw = high_watermark.clamp(0, self.leo());
                self.note_leader_hw(high_watermark, env);
                // The leader long-polls: every answer carries news, so fetch again at once.
                self.send_fetch(env);
                self.retry_parked_consumers(env);
            }
            // The seeded KAFKA-7415 carries the follower of its time: truncate to the HW.
            (ErrorCode::OFFSET_OUT_OF_RANGE, _) if env.cfg.has(ModelBug::NoEpochCacheEntryOnElection) => {
                self.truncate(high_watermark);
                self.send_fetch(env);
            }
            // `AbstractFetcherThread.fetchOffsetAndTruncate`: ask the leader's log end offset.
            (ErrorCode::OFFSET_OUT_OF_RANGE, _) => {
                self.fetch_in_flight = true;
                self.awaiting_leader_end = true;
                let ask = Message::ListOffsets {
                    replica_id: self.id,
                    current_leader_epoch: self.leader_epoch,
                    timestamp: LATEST_TIMESTAMP,
                };
                env.send(NodeId::Broker(self.leader), ask);
            }
            _ => env.set_timer(TimerKind::ReplicaFetch),
        }
    }

    /// The leader's log end offset, asked after OFFSET_OUT_OF_RANGE: truncate to it if it is
    /// below ours, then fetch. (The log start is always 0, so Kafka's second question, the
    /// leader's log start, would not move the fetch offset.)
    pub(super) fn on_leader_end(&mut self, from: NodeId, error_code: ErrorCode, offset: Offset, env: &mut Env) {
        if self.role != Role::Follower || !self.awaiting_leader_end || from != NodeId::Broker(self.leader) {
            return;
        }
        self.awaiting_leader_end = false;
        self.fetch_in_flight = false;
        if error_code != ErrorCode::NONE {
            return env.set_timer(TimerKind::ReplicaFetch);
        }
        if offset < self.leo() {
            self.truncate(offset);
        }
        self.send_fetch(env);
    }

    /// Only KIP-strict semantics reads the leader's HW (OFFSET_NOT_AVAILABLE past a lagging
    /// follower's LEO). Under Apache semantics it stays 0, so that followers that differ only
    /// there are one state to the checker.
    pub(super) fn note_leader_hw(&mut self, hw: Offset, env: &Env) {
        if env.cfg.semantics == Semantics::KipStrict {
            self.leader_hw = hw;
        }
    }

    /// KIP-279: truncate to the end of the epoch both sides have, which may take several rounds.
    pub(super) fn truncation_point(&self, diverging: EpochEndOffset, env: &Env) -> Offset {
        let leo = self.leo();
        if env.cfg.has(ModelBug::SingleRoundEpochLookup) {
            // Before KIP-279: the leader's end offset is taken without comparing epochs.
            return diverging.end_offset.min(leo);
        }
        match self.end_offset_for(diverging.epoch) {
            (NO_EPOCH, _) => diverging.end_offset.min(leo),
            (epoch, end) if epoch != diverging.epoch => end.min(leo),
            (_, end) => end.min(diverging.end_offset).min(leo),
        }
    }
}
