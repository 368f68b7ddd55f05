//! Consumer fetches on any replica (KIP-392): fencing, the leader's replica selection, reads
//! below the HW, and long-polling: a fetch with nothing to read waits at the replica.

use highwater_traces::{BrokerId, ErrorCode, LeaderEpoch, Message, NodeId, Offset, Role, TimerKind, NO_BROKER};

use super::{BrokerState, FollowerInfo, ParkedFetch, Stamp};
use crate::bugs::ModelBug;
use crate::config::{Selector, Semantics};
use crate::node::Env;

impl BrokerState {
    // --- consumers, on any replica (KIP-392) ---

    pub(super) fn on_consumer_fetch(
        &mut self,
        from: NodeId,
        rack: &str,
        epoch: LeaderEpoch,
        offset: Offset,
        env: &mut Env,
    ) {
        let NodeId::Consumer(consumer) = from else { return };
        match self.consumer_answer(rack, epoch, offset, env) {
            Some(answer) => env.send(from, answer),
            None => {
                self.parked_consumers.push(ParkedFetch { consumer, rack: rack.to_string(), epoch, offset });
                env.set_timer(TimerKind::FetchWait);
            }
        }
    }

    /// What this replica answers a consumer's fetch now; `None` when there is nothing to read
    /// yet and the fetch waits (long poll, `fetch.max.wait.ms`).
    fn consumer_answer(&self, rack: &str, epoch: LeaderEpoch, offset: Offset, env: &Env) -> Option<Message> {
        let error = self.check_epoch(epoch, false, env);
        if error != ErrorCode::NONE {
            return Some(self.fetch_answer(error, vec![], None, NO_BROKER, offset, epoch));
        }
        if let Some(preferred) = self.select_replica(rack, offset, env) {
            return Some(self.fetch_answer(ErrorCode::NONE, vec![], None, preferred, offset, epoch));
        }
        let strict = env.cfg.semantics == Semantics::KipStrict;
        let leo = self.leo();
        // The bound on what a consumer may read: the HW, or (the seeded bug) a follower's LEO.
        let bound = match self.role {
            Role::Follower if env.cfg.has(ModelBug::FollowerServesLeo) => leo,
            _ => self.hw,
        };
        let (error, records) = if offset < 0 {
            (ErrorCode::OFFSET_OUT_OF_RANGE, vec![])
        } else if offset > leo {
            let not_available = strict && self.role == Role::Follower && offset <= self.leader_hw;
            (if not_available { ErrorCode::OFFSET_NOT_AVAILABLE } else { ErrorCode::OFFSET_OUT_OF_RANGE }, vec![])
        } else if offset >= bound && strict && offset < leo {
            (ErrorCode::OFFSET_NOT_AVAILABLE, vec![])
        } else if offset >= bound {
            return None;
        } else {
            (ErrorCode::NONE, self.read(offset, bound))
        };
        Some(self.fetch_answer(error, records, None, NO_BROKER, offset, epoch))
    }

    /// Answer the parked consumer fetches that can be answered now (the HW, epoch or role moved).
    pub(super) fn retry_parked_consumers(&mut self, env: &mut Env) {
        if self.parked_consumers.is_empty() {
            return;
        }
        let parked = std::mem::take(&mut self.parked_consumers);
        for fetch in parked {
            match self.consumer_answer(&fetch.rack, fetch.epoch, fetch.offset, env) {
                Some(answer) => env.send(NodeId::Consumer(fetch.consumer), answer),
                None => self.parked_consumers.push(fetch),
            }
        }
        if self.parked_consumers.is_empty() {
            env.cancel_timer(TimerKind::FetchWait);
        }
    }

    /// `fetch.max.wait.ms` is up: every parked consumer fetch is answered empty.
    pub(super) fn on_fetch_wait(&mut self, env: &mut Env) {
        for fetch in std::mem::take(&mut self.parked_consumers) {
            let answer = self.fetch_answer(ErrorCode::NONE, vec![], None, NO_BROKER, fetch.offset, fetch.epoch);
            env.send(NodeId::Consumer(fetch.consumer), answer);
        }
    }

    /// The choice of another replica for a racked consumer, if one is made: by the leader, or
    /// (the seeded KAFKA-13778) by a follower on what it knew when it last led.
    pub(super) fn select_replica(&self, rack: &str, offset: Offset, env: &Env) -> Option<BrokerId> {
        if rack.is_empty() {
            return None;
        }
        match self.role {
            Role::Leader => self.select_as_leader(rack, offset, env),
            Role::Follower if env.cfg.has(ModelBug::SelectionOnFollower) => self.select_as_follower(rack, offset, env),
            _ => None,
        }
    }

    /// Candidates: ISR members that hold the offset, plus the leader (KAFKA-14372).
    fn select_as_leader(&self, rack: &str, offset: Offset, env: &Env) -> Option<BrokerId> {
        if env.cfg.selector == Selector::Leader || env.cfg.rack_of(self.id) == rack {
            return None;
        }
        // Same rack, most caught up, then most recently caught up, then highest id, as Kafka 4.4's `RackAwareReplicaSelector.select` takes the maximum of
        // `ReplicaView.comparator()`.
        best_in_rack(&self.followers, &self.isr, rack, offset, env)
    }

    /// What Kafka's selector does when a follower runs it, as the protocol crate's seeded bug
    /// does: the partition's leader when the selector says leader or shares the client's rack,
    /// else the best same-rack replica among itself and its stale follower states.
    fn select_as_follower(&self, rack: &str, offset: Offset, env: &Env) -> Option<BrokerId> {
        let leader = self.leader;
        if leader == NO_BROKER {
            return None;
        }
        if env.cfg.selector == Selector::Leader || env.cfg.rack_of(leader) == rack {
            return (leader != self.id).then_some(leader);
        }
        let others = best_in_rack(&self.previous_followers, &self.isr, rack, offset, env)
            .and_then(|id| self.previous_followers.iter().find(|f| f.id == id))
            .map(|f| (f.leo.unwrap_or(0), f.caught_up_at, f.id));
        // The selector sees itself as caught up this very moment (Kafka gives the local replica
        // no time since it was last caught up), so it is more recent than any other.
        let own = (env.cfg.rack_of(self.id) == rack).then_some((self.leo(), Stamp::MAX, self.id));
        match own.max(others) {
            Some((_, _, id)) => (id != self.id).then_some(id),
            None => Some(leader),
        }
    }
}

/// The best replica in `rack` among `followers` that are in `isr` (or any, with KAFKA-14372)
/// and hold `offset`: most caught up, then most recently caught up, then highest id.
fn best_in_rack(
    followers: &[FollowerInfo],
    isr: &[BrokerId],
    rack: &str,
    offset: Offset,
    env: &Env,
) -> Option<BrokerId> {
    followers
        .iter()
        .filter(|f| {
            let candidate = isr.contains(&f.id) || env.cfg.has(ModelBug::PreferredReplicaOutsideIsr);
            candidate && env.cfg.rack_of(f.id) == rack
        })
        .filter_map(|f| f.leo.filter(|leo| offset <= *leo).map(|leo| (leo, f.caught_up_at, f.id)))
        .max()
        .map(|(_, _, id)| id)
}
