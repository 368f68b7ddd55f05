//! The leader's long poll for follower fetches (Kafka 4.4.0 `DelayedFetch`): a fetch with no
//! records for its follower waits at the leader. It is answered when the leader appends past its
//! offset (`tryComplete` compares a follower's fetch with the LEO, so a new HW alone does not
//! complete it), and at `replica.fetch.wait.max.ms` after it was parked, which is how a quiet
//! partition's followers learn a new HW. A fetch that has neither records nor a HW to tell stays
//! parked past that deadline: Kafka would answer it empty and the follower would fetch again at
//! once, the same state but for the clock. That clock is the follower's `lastCaughtUpTimeMs`,
//! which each such fetch renews; so when a parked fetch ends, the follower is recorded as
//! having fetched at its offset at the last deadline before now, as Kafka's cycle would have
//! it, and a follower that stops after a quiet spell leaves the ISR `replica.lag.time.max.ms`
//! after it stopped, not after its last record.

use std::collections::BTreeSet;

use super::{Broker, Role};
use crate::errors::ErrorCode;
use crate::messages::{FetchResponse, Message};
use crate::node::{IgnoreReason, Outbox, TimerKind};
use crate::types::{BrokerId, NodeId, NO_PREFERRED_REPLICA};

/// A follower fetch waiting at the leader.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct WaitingFetch {
    /// The fetch offset.
    pub fetch_offset: crate::types::Offset,
    /// The leader epoch the request named.
    pub request_leader_epoch: crate::types::LeaderEpoch,
    /// When it was parked: its deadline is `replica.fetch.wait.max.ms` later.
    pub parked_ms: crate::types::Millis,
}

impl Broker {
    /// Answer every waiting follower fetch with records past its offset, then arm the deadline
    /// of those that have only a new HW to learn.
    pub(super) fn answer_waiting_replica_fetches(&mut self, out: &mut Outbox) {
        let leo = self.log.log_end_offset();
        self.answer_waiting_where(|fetch, _| fetch.fetch_offset < leo, out);
        self.arm_replica_fetch_wait(out);
    }

    /// `replica.fetch.wait.max.ms` is up: every waiting fetch with a HW its follower has not been
    /// told is answered, empty.
    pub(super) fn on_replica_fetch_wait(&mut self, out: &mut Outbox) {
        if self.waiting_fetches_with_news().next().is_none() {
            return out.ignore(IgnoreReason::IdleTimer);
        }
        let leo = self.log.log_end_offset();
        self.answer_waiting_where(|fetch, hw_news| fetch.fetch_offset < leo || hw_news, out);
        self.arm_replica_fetch_wait(out);
    }

    /// Waiting fetches whose follower has not been told the leader's HW in this fetch session.
    fn waiting_fetches_with_news(&self) -> impl Iterator<Item = (BrokerId, WaitingFetch)> + '_ {
        let hw = self.high_watermark;
        let state = match &self.role {
            Role::Leader(state) => Some(state),
            _ => None,
        };
        state.into_iter().flat_map(move |state| {
            state
                .waiting_fetches
                .iter()
                .filter(move |(follower, _)| state.high_watermark_sent.get(follower).is_none_or(|sent| *sent < hw))
                .map(|(follower, fetch)| (*follower, *fetch))
        })
    }

    /// Set the deadline of the earliest waiting fetch that has a HW to learn, or cancel it when
    /// none has. Kafka answers a fetch at its deadline and the follower fetches again at once, so
    /// a fetch parked long ago learns a new HW at the next multiple of the wait after it parked.
    fn arm_replica_fetch_wait(&self, out: &mut Outbox) {
        let wait = self.config.replica_fetch_wait_max_ms.max(1);
        let earliest = self.waiting_fetches_with_news().map(|(_, fetch)| fetch.parked_ms).min();
        match earliest {
            Some(parked) => out.set_timer(TimerKind::ReplicaFetchWait, wait - self.now.saturating_sub(parked) % wait),
            None => out.cancel_timer(TimerKind::ReplicaFetchWait),
        }
    }

    fn answer_waiting_where(&mut self, answer: impl Fn(&WaitingFetch, bool) -> bool, out: &mut Outbox) {
        let (leo, hw) = (self.log.log_end_offset(), self.high_watermark);
        let Role::Leader(state) = &self.role else { return };
        let ready: Vec<(BrokerId, WaitingFetch)> = state
            .waiting_fetches
            .iter()
            .filter(|(follower, fetch)| {
                answer(fetch, state.high_watermark_sent.get(follower).is_none_or(|sent| *sent < hw))
            })
            .map(|(follower, fetch)| (*follower, *fetch))
            .collect();
        for (follower, fetch) in ready {
            self.renew_parked_follower(follower, &fetch);
            let records = self.log.read(fetch.fetch_offset, leo, self.config.max_records_per_fetch);
            let response = FetchResponse {
                error_code: ErrorCode::NONE,
                high_watermark: hw,
                log_start_offset: self.log.log_start_offset(),
                records,
                diverging_epoch: None,
                preferred_read_replica: NO_PREFERRED_REPLICA,
                current_leader: self.current_leader(),
                fetch_offset: fetch.fetch_offset,
                request_leader_epoch: fetch.request_leader_epoch,
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
        out.cancel_timer(TimerKind::ReplicaFetchWait);
        for (follower, WaitingFetch { fetch_offset, request_leader_epoch, .. }) in
            std::mem::take(&mut state.waiting_fetches)
        {
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
    pub(super) fn forget_waiting_replica_fetch(&mut self, follower: NodeId, out: &mut Outbox) {
        let NodeId::Broker(id) = follower else { return };
        let parked = match &self.role {
            Role::Leader(state) => state.waiting_fetches.get(&id).copied(),
            _ => None,
        };
        if let Some(fetch) = parked {
            self.renew_parked_follower(id, &fetch);
        }
        if let Role::Leader(state) = &mut self.role {
            state.waiting_fetches.remove(&id);
            state.high_watermark_sent.remove(&id);
        }
        self.arm_replica_fetch_wait(out);
    }

    /// A parked fetch ends: the follower's fetch state as if it had fetched again at each
    /// deadline, the last one before now. A fetch still parked is at the LEO (an append past its
    /// offset answers it at once), so each of those fetches found the follower caught up.
    fn renew_parked_follower(&mut self, follower: BrokerId, fetch: &WaitingFetch) {
        let wait = self.config.replica_fetch_wait_max_ms.max(1);
        let refetched = fetch.parked_ms + (self.now.saturating_sub(fetch.parked_ms) / wait) * wait;
        if refetched == fetch.parked_ms {
            return;
        }
        if let Role::Leader(state) = &mut self.role {
            if let Some(f) = state.followers.get_mut(&follower) {
                let log_start_offset = f.log_start_offset;
                f.record_fetch(fetch.fetch_offset, log_start_offset, fetch.fetch_offset, refetched);
            }
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
