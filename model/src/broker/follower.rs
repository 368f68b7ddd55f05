//! The follower's side: the fetcher (long-polled by the leader) and KIP-279 truncation.

use highwater_traces::{EpochEndOffset, ErrorCode, Message, NodeId, Offset, Role, TimerKind, NO_BROKER, NO_EPOCH};

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
                env.set_timer(TimerKind::ReplicaFetch);
            }
            // Kafka's AlterPartitionManager keeps the change pending and retries it: the lost
            // request may have been applied, so its members must keep counting for the HW.
            // The fetch session with that follower is gone: what we last told it is unknown.
            Role::Leader if matches!(peer, NodeId::Broker(_)) => {
                if let Some(f) = self.followers.iter_mut().find(|f| NodeId::Broker(f.id) == peer) {
                    f.hw_sent = -1;
                }
            }
            Role::Leader if peer == NodeId::Controller && self.pending_alter.is_some() => {
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
            (ErrorCode::OFFSET_OUT_OF_RANGE, _) => {
                self.truncate(high_watermark);
                self.send_fetch(env);
            }
            _ => env.set_timer(TimerKind::ReplicaFetch),
        }
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
