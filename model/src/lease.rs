//! How old each consumer's lease on its preferred read replica is, in long pauses.
//!
//! The model has no clock, but two of its steps stand for long stretches of time: an
//! `isr-expiration` tick (`replica.lag.time.max.ms` passes) and the end of a lease (the
//! `metadata-refresh` tick: `metadata.max.age.ms` since the redirect, far longer). With two
//! consumers, whether one's lease has run out when the other's ends, or after a few more ticks,
//! depends on how many such stretches passed since each began. So each lease counts the periods
//! of `replica.lag.time.max.ms` since it began: a tick is one period, the end of a lease takes its
//! own count to [`LEASE_PERIODS`] (and at least two periods, as it is a long pause), and a lease
//! whose count reaches [`LEASE_PERIODS`] has run out: the consumer's next fetch goes to the
//! leader (`AbstractFetch.selectReadReplica` checks the lease before each fetch). Conformance
//! runs the protocol crate with a lease of 10.5 periods, so that no lease runs out between two
//! of these steps.

use std::sync::Arc;

use highwater_traces::{NodeId, TimerKind};

use crate::cluster::{ClusterModel, ClusterState};
use crate::node::NodeState;

/// Periods of `replica.lag.time.max.ms` after which a lease has run out: the first long pause
/// at least 10.5 periods after the redirect.
pub const LEASE_PERIODS: u8 = 11;

impl ClusterModel {
    /// Whether leases are aged at all: only where one lease can run out by another's end or by
    /// ticks, not by its own `metadata-refresh` tick alone.
    fn ages_leases(&self) -> bool {
        self.cfg.consumer_racks.len() >= 2 || self.cfg.isr_expirations >= u32::from(LEASE_PERIODS)
    }

    /// The periods `timer` at `node` stands for, read before it fires: none when leases are not
    /// aged or the timer is not a long pause.
    pub(crate) fn lease_periods(&self, before: &ClusterState, node: NodeId, timer: TimerKind) -> Option<u8> {
        if !self.ages_leases() {
            return None;
        }
        match (timer, node) {
            (TimerKind::IsrExpiration, _) => Some(1),
            (TimerKind::MetadataRefresh, NodeId::Consumer(c)) => {
                let age = match &*before.sys.actor_states[self.index(c)] {
                    NodeState::Consumer(c) => c.lease_age,
                    _ => 0,
                };
                Some(LEASE_PERIODS.saturating_sub(age).max(2))
            }
            _ => None,
        }
    }

    /// Time passes by `periods` ([`ClusterModel::lease_periods`]): every lease ages by them, and
    /// one that runs out is over.
    pub(crate) fn age_leases(&self, next: &mut ClusterState, periods: u8) {
        for c in 0..self.cfg.consumer_racks.len() as u32 {
            let index = self.index(c);
            let NodeState::Consumer(consumer) = &*next.sys.actor_states[index] else { continue };
            if consumer.preferred.is_none() {
                continue;
            }
            let aged = consumer.lease_age.saturating_add(periods).min(LEASE_PERIODS);
            if let NodeState::Consumer(consumer) = Arc::make_mut(&mut next.sys.actor_states[index]) {
                consumer.lease_age = aged;
                consumer.lease_over = aged == LEASE_PERIODS;
            }
        }
    }

    /// After every step: a lease renewed in it is new, and a consumer without a preferred
    /// replica holds none.
    pub(crate) fn settle_leases(&self, state: &mut ClusterState) {
        for c in 0..self.cfg.consumer_racks.len() as u32 {
            let index = self.index(c);
            let NodeState::Consumer(consumer) = &*state.sys.actor_states[index] else { continue };
            let settled = match (consumer.preferred, consumer.lease_renewed) {
                (None, _) => (0, false, false),
                (Some(_), true) => (0, false, false),
                (Some(_), false) => (consumer.lease_age, consumer.lease_over, false),
            };
            if settled != (consumer.lease_age, consumer.lease_over, consumer.lease_renewed) {
                if let NodeState::Consumer(consumer) = Arc::make_mut(&mut state.sys.actor_states[index]) {
                    (consumer.lease_age, consumer.lease_over, consumer.lease_renewed) = settled;
                }
            }
        }
    }

    fn index(&self, consumer: u32) -> usize {
        usize::from(self.layout.id(NodeId::Consumer(consumer)))
    }
}
