//! What the model drops between steps: what no later step can read, so that states that differ
//! only there meet (`docs/model.md` says why each is sound). Each is
//! sound for the same reason: the part dropped is never read again, or the step it would take
//! changes nothing but itself.

use std::sync::Arc;

use highwater_traces::observe::coalesce_partition_changes;
use highwater_traces::{Fate, NodeId, TimerKind, NO_BROKER, NO_EPOCH};
use stateright::actor::Id;

use crate::cluster::{ClusterModel, ClusterState};
use crate::node::NodeState;

impl ClusterModel {
    /// Forget what no future step can read, so that states which differ only there meet.
    /// Each case is a timer whose handler would change nothing, or a field only such a handler
    /// or a step that can no longer come would read:
    /// - a replica's `fetch-wait` tick with no consumer fetch parked (a connection reset took it);
    /// - a leader's `replica-fetch-wait` tick with no parked follower fetch that has a HW to learn;
    /// - a consumer's `metadata-refresh` tick with no preferred replica (it is armed only while
    ///   a lease runs; a lease ended by an error has refreshed metadata already);
    /// - once no `isr-expiration` tick is left, the tick, when it fired and when the pending
    ///   AlterPartition went out; and, for each follower the selector never compares with
    ///   another, when it caught up and fetched and where the leader's LEO stood at its last
    ///   fetch;
    /// - once every record is produced and acknowledged, the producer's idea of the leader and
    ///   its retry tick: it sends nothing more.
    pub(crate) fn forget_dead_state(&self, state: &mut ClusterState) {
        let no_isr_ticks = state.isr_ticks_left == 0;
        let all_produced = state.produced == self.cfg.records;
        for (index, timers) in state.sys.timers_set.iter_mut().enumerate() {
            let actor = &mut state.sys.actor_states[index];
            match &**actor {
                NodeState::Broker(b) => {
                    if b.parked_consumers.is_empty() {
                        timers.cancel(&TimerKind::FetchWait);
                    }
                    if !b.followers.iter().any(|f| f.parked.is_some() && f.hw_sent < b.hw) {
                        timers.cancel(&TimerKind::ReplicaFetchWait);
                    }
                    if no_isr_ticks {
                        timers.cancel(&TimerKind::IsrExpiration);
                        if b.holds_tick_times(&self.cfg) {
                            let mut copy = b.clone();
                            if copy.forget_tick_times(&self.cfg) {
                                *Arc::make_mut(actor) = NodeState::Broker(copy);
                            }
                        }
                    }
                }
                NodeState::Consumer(c) => {
                    if c.preferred.is_none() {
                        timers.cancel(&TimerKind::MetadataRefresh);
                    }
                }
                NodeState::Producer(p) => {
                    let idle = all_produced && p.unsent.is_empty() && p.in_flight.is_none();
                    if idle && (p.leader != NO_BROKER || p.leader_epoch != NO_EPOCH || p.backing_off) {
                        if let NodeState::Producer(p) = Arc::make_mut(actor) {
                            p.leader = NO_BROKER;
                            p.leader_epoch = NO_EPOCH;
                            p.backing_off = false;
                        }
                    }
                    if idle {
                        timers.cancel(&TimerKind::ProduceRetry);
                    }
                }
                NodeState::Controller(_) => {}
            }
        }
    }

    /// A message at the head of a queue to a broker that can never change anything there
    /// ([`crate::broker::BrokerState::outdated`]) is taken at once: its arrival would be a step that changes
    /// nothing but the queue, so every order of it with other steps would be explored for
    /// nothing. (The protocol adapter takes the same messages at once, by delivering them.)
    pub(crate) fn take_outdated(&self, state: &mut ClusterState) {
        let heads: Vec<((Id, Id), usize)> = Self::channels(state)
            .iter()
            .filter_map(|(link, queue)| {
                let NodeId::Broker(b) = self.layout.node(link.1) else { return None };
                let broker = self.broker(state, b)?;
                let outdated = queue.iter().take_while(|m| broker.outdated(m)).count();
                (outdated > 0).then_some((*link, outdated))
            })
            .collect();
        let layout = self.layout;
        let channels = Self::channels_mut(state);
        for (link, outdated) in heads {
            let queue = channels.get_mut(&link).expect("listed above");
            for message in queue.drain(..outdated) {
                self.record(layout.node(link.0), layout.node(link.1), Fate::Outdated, &message);
            }
            if queue.is_empty() {
                channels.remove(&link);
            }
        }
    }

    /// A broker applies the newest partition state the controller has published
    /// (`highwater_traces::observe::coalesce_partition_changes`).
    pub(crate) fn coalesce_partition_changes(state: &mut ClusterState) {
        for (_, queue) in Self::channels_mut(state).iter_mut().filter(|((src, _), _)| usize::from(*src) == 0) {
            coalesce_partition_changes(queue);
        }
    }
}
