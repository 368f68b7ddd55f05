//! The leader's long poll for follower fetches (Kafka's `DelayedFetch`): a fetch with nothing
//! new for its follower waits at the leader, and is answered when the leader appends or its HW
//! moves. Kafka also answers it when `replica.fetch.wait.max.ms` is up; here it waits until the
//! leader has news, its connection resets or leadership changes. A follower therefore fetches
//! again as soon as an answer comes, and an answer in flight always carries news.

use std::collections::BTreeSet;

use super::{Broker, Role};
use crate::errors::ErrorCode;
use crate::messages::{FetchResponse, Message};
use crate::node::Outbox;
use crate::types::{NodeId, NO_PREFERRED_REPLICA};

impl Broker {
    /// Answer every waiting follower fetch that has news: records past its offset, or a HW the
    /// follower has not been sent in this fetch session.
    pub(super) fn answer_waiting_replica_fetches(&mut self, out: &mut Outbox) {
        let (leo, hw) = (self.log.log_end_offset(), self.high_watermark);
        let Role::Leader(state) = &self.role else { return };
        let ready: Vec<_> = state
            .waiting_fetches
            .iter()
            .filter(|(follower, (offset, _))| {
                *offset < leo || state.high_watermark_sent.get(follower).is_none_or(|sent| *sent < hw)
            })
            .map(|(follower, waiting)| (*follower, *waiting))
            .collect();
        for (follower, (fetch_offset, request_leader_epoch)) in ready {
            let records = self.log.read(fetch_offset, leo, self.config.max_records_per_fetch);
            let response = FetchResponse {
                error_code: ErrorCode::NONE,
                high_watermark: hw,
                log_start_offset: self.log.log_start_offset(),
                records,
                diverging_epoch: None,
                preferred_read_replica: NO_PREFERRED_REPLICA,
                current_leader: self.current_leader(),
                fetch_offset,
                request_leader_epoch,
            };
            out.send(NodeId::Broker(follower), Message::FetchResponse(response));
            if let Role::Leader(state) = &mut self.role {
                state.waiting_fetches.remove(&follower);
                state.high_watermark_sent.insert(follower, hw);
            }
        }
    }

    /// Leadership ends or is renewed: waiting follower fetches are answered FENCED_LEADER_EPOCH.
    /// Kafka 4.4.0 completes them in `DelayedFetch.tryComplete` when the epoch moves, and
    /// `Partition.localLogWithEpochOrThrow` checks the request's epoch before leadership.
    pub(super) fn fail_waiting_replica_fetches(&mut self, out: &mut Outbox) {
        let hw = self.high_watermark;
        let log_start_offset = self.log.log_start_offset();
        let current_leader = self.current_leader();
        let Role::Leader(state) = &mut self.role else { return };
        for (follower, (fetch_offset, request_leader_epoch)) in std::mem::take(&mut state.waiting_fetches) {
            let response = FetchResponse {
                error_code: ErrorCode::FENCED_LEADER_EPOCH,
                high_watermark: hw,
                log_start_offset,
                records: Vec::new(),
                diverging_epoch: None,
                preferred_read_replica: NO_PREFERRED_REPLICA,
                current_leader,
                fetch_offset,
                request_leader_epoch,
            };
            out.send(NodeId::Broker(follower), Message::FetchResponse(response));
        }
    }

    /// A follower's connection reset: its waiting fetch is gone, and what it was last sent is
    /// unknown.
    pub(super) fn forget_waiting_replica_fetch(&mut self, follower: NodeId) {
        let NodeId::Broker(id) = follower else { return };
        if let Role::Leader(state) = &mut self.role {
            state.waiting_fetches.remove(&id);
            state.high_watermark_sent.remove(&id);
        }
    }

    /// Every client whose request waits here (consumers, then followers, then producers waiting
    /// for an acknowledgement): each holds an open connection, which a crash or a cut resets.
    pub fn waiting_requesters(&self) -> Vec<NodeId> {
        let mut requesters = self.waiting_consumers();
        if let Role::Leader(state) = &self.role {
            requesters.extend(state.waiting_fetches.keys().map(|f| NodeId::Broker(*f)));
            let producers: BTreeSet<NodeId> = state.pending_acks.iter().map(|(_, producer, _)| *producer).collect();
            requesters.extend(producers);
        }
        requesters
    }

    /// A producer's connection reset: the produce requests it waits on here are gone (it retries
    /// them elsewhere); the records stay in the log, uncommitted.
    pub(super) fn forget_pending_acks(&mut self, producer: NodeId) {
        if let Role::Leader(state) = &mut self.role {
            state.pending_acks.retain(|(_, p, _)| *p != producer);
        }
    }
}
