//! One step of the model, taken in place: a delivery, a timer, a lost message, or one of the
//! environment's faults and inputs, then what every step ends with (requests settled, partition
//! changes coalesced, the ghost brought up to date, what nothing reads forgotten).

use std::borrow::Cow;
use std::collections::VecDeque;
use std::sync::Arc;

use highwater_traces::observe::{first_eager, StepStart, SETTLE_BOUND};
use highwater_traces::{Action, BrokerId, Fate, Ghost, NodeId, Role, TimerKind};
use stateright::actor::{Actor, ActorModelState, Out};

use crate::broker::BrokerState;
use crate::cluster::{ClusterModel, ClusterState, Cuts};
use crate::node::{Node, NodeState};
use crate::view::Facts;

impl ClusterModel {
    /// Take `action` in `state`, in place: `state` becomes what [`stateright::Model::next_state`] gives.
    /// `false`, with `state` as it was, if the action cannot be taken. A fair continuation steps
    /// one state this way, where `next_state` would copy it at every step.
    pub(crate) fn take_step(&self, state: &mut ClusterState, action: &Action) -> bool {
        let start = StepStart::of(&Facts::new(&state.sys, &state.cut, self.cfg.semantics));
        match action {
            Action::Deliver { from, to } => {
                let (src, dst) = (self.layout.id(*from), self.layout.id(*to));
                if !Self::channels(state).contains_key(&(src, dst)) || state.sys.crashed[usize::from(dst)] {
                    return false;
                }
                state.ghost.start_step();
                let ClusterState { sys, cut, ghost, .. } = state;
                let delivered = self.delivered(sys, cut, ghost, *from, *to);
                assert!(
                    delivered,
                    "a queue the model keeps is never empty, and no actor is crashed in stateright's sense"
                );
            }
            Action::Timer { node, timer } => {
                if !self.fire(state, *node, *timer) {
                    return false;
                }
            }
            Action::Drop { from, to } => {
                let link = (self.layout.id(*from), self.layout.id(*to));
                let Some(queue) = Self::channels_mut(state).get_mut(&link) else { return false };
                let Some(message) = queue.pop_front() else { return false };
                if queue.is_empty() {
                    Self::channels_mut(state).remove(&link);
                }
                state.ghost.start_step();
                self.record(*from, *to, Fate::Lost, &message);
                self.lost(state, *from, *to, &message);
            }
            fault_or_input => {
                state.ghost.start_step();
                let last = state.clone();
                self.fault_or_input(&last, state, fault_or_input);
            }
        }
        self.reset_connections(state);
        self.settle_requests(state);
        Self::coalesce_partition_changes(state);
        self.end_step(&start, state);
        true
    }

    /// `timer` fires at `node`, in place. `false`, with `state` as it was, if its handler would
    /// change nothing (stateright then has no next state).
    pub(crate) fn fire(&self, state: &mut ClusterState, node: NodeId, timer: TimerKind) -> bool {
        let id = self.layout.id(node);
        let index = usize::from(id);
        let Some((changed, out)) = self.timer_handled(state, id, &timer) else { return false };
        let periods = self.lease_periods(state, node, timer);
        state.ghost.start_step();
        state.sys.timers_set[index].cancel(&timer);
        if let Some(changed) = changed {
            state.sys.actor_states[index] = Arc::new(changed);
        }
        Self::carry_out(&mut state.sys, id, out);
        state.isr_ticks_left -= u32::from(timer == TimerKind::IsrExpiration);
        if let Some(periods) = periods {
            self.age_leases(state, periods);
        }
        // An ISR tick is `replica.lag.time.max.ms` passing, and a lease runs
        // `metadata.max.age.ms`, far longer: either is a long pause for every leader (the
        // ticking one has taken its own).
        if matches!(timer, TimerKind::MetadataRefresh | TimerKind::IsrExpiration) {
            let leads = |b: BrokerId| self.broker(state, b).is_some_and(|s| s.role == Role::Leader);
            let others: Vec<BrokerId> =
                self.cfg.broker_ids().filter(|b| node != NodeId::Broker(*b) && leads(*b)).collect();
            for broker in others {
                self.set_broker(state, broker, |b| {
                    let mut b = b.clone();
                    b.after_long_pause(&self.cfg);
                    b
                });
            }
        }
        true
    }

    /// The environment's steps: faults, what heals them, and the application's inputs. `last`
    /// is the state before the step, `next` the state it changes.
    fn fault_or_input(&self, last: &ClusterState, next: &mut ClusterState, action: &Action) {
        match action {
            Action::Crash { broker } => {
                next.crashes_left -= 1;
                let parked = self.parked_at(next, *broker);
                self.drop_parked(next, *broker, &parked);
                self.set_broker(next, *broker, BrokerState::crashed);
                next.sys.timers_set[*broker as usize].cancel_all();
                self.reset_connections(next);
                if self.reachable(next, NodeId::Broker(*broker), NodeId::Controller) {
                    self.fence(next, *broker, true);
                }
            }
            Action::Restart { broker } => {
                self.set_broker(next, *broker, BrokerState::restarted);
                if self.reachable(next, NodeId::Broker(*broker), NodeId::Controller) {
                    self.fence(next, *broker, false);
                }
            }
            Action::CutRack { rack } => {
                next.outages_left -= 1;
                next.cut.racks.insert(rack.clone());
                self.reset_connections(next);
                for broker in self.cfg.broker_ids().filter(|b| self.cfg.rack_of(*b) == rack) {
                    if self.alive(next, NodeId::Broker(broker)) {
                        self.fence(next, broker, true);
                    }
                }
            }
            Action::HealRack { rack } => {
                next.cut.racks.remove(rack);
                for broker in self.cfg.broker_ids().filter(|b| self.cfg.rack_of(*b) == rack) {
                    let node = NodeId::Broker(broker);
                    if self.alive(next, node) && self.reachable(next, node, NodeId::Controller) {
                        self.fence(next, broker, false);
                    }
                }
            }
            Action::Cut { outage } => {
                next.outages_left -= 1;
                next.cut.outages.insert(outage.clone());
                self.reset_connections(next);
                self.refence(last, next);
            }
            Action::Heal { outage } => {
                next.cut.outages.remove(outage);
                self.refence(last, next);
            }
            Action::Produce { value } => {
                next.produced = *value;
                self.with_node(next, NodeId::Producer, |node, env| {
                    if let NodeState::Producer(p) = node {
                        p.produce(*value, env);
                    }
                });
            }
            Action::Seek { consumer, to } => {
                next.seeks_left -= 1;
                self.with_node(next, NodeId::Consumer(*consumer), |node, env| {
                    if let NodeState::Consumer(c) = node {
                        c.seek(*to, env);
                    }
                });
            }
            Action::Deliver { .. } | Action::Timer { .. } | Action::Drop { .. } => {
                unreachable!("a protocol step, taken by `take_step`")
            }
        }
    }

    /// What every state goes through before the checker sees it, the initial one included:
    /// outdated messages taken, the ghost brought up to date, and what nothing reads forgotten.
    /// `start` is what the step started from.
    pub(crate) fn end_step(&self, start: &StepStart, next: &mut ClusterState) {
        self.take_outdated(next);
        next.ghost.end_step(start, &Facts::new(&next.sys, &next.cut, self.cfg.semantics));
        self.settle_leases(next);
        self.forget_dead_state(next);
    }

    /// Deliver the head of `from -> to` in `sys`, in place, with the shared observers before and
    /// after. `false`, with `sys` untouched, if nothing waits there.
    ///
    /// This is stateright's `ActorModel::next_state` for a delivery on an ordered network (the
    /// message leaves its queue, the receiver's handler runs, its commands are applied), without
    /// the copy of the whole system that `next_state` makes from a shared state: a step's eager
    /// deliveries work on the one successor the step builds. `step_rule_tests.rs` holds the two
    /// to the same successors.
    pub(crate) fn delivered(
        &self,
        sys: &mut ActorModelState<Node>,
        cut: &Cuts,
        ghost: &mut Ghost,
        from: NodeId,
        to: NodeId,
    ) -> bool {
        let (src, dst) = (self.layout.id(from), self.layout.id(to));
        let index = usize::from(dst);
        let channels = Self::channels_in(sys);
        let Some(msg) = channels.get(&(src, dst)).and_then(VecDeque::front) else { return false };
        if index >= sys.actor_states.len() || sys.crashed[index] {
            return false;
        }
        let queued = channels.get(&(dst, src)).map_or(0, VecDeque::len);
        let delivering = ghost.before_delivery(&Facts::new(sys, cut, self.cfg.semantics), from, to, msg);
        let queue = Self::channels_mut_in(sys).get_mut(&(src, dst)).expect("looked up above");
        let msg = queue.pop_front().expect("looked up above");
        if queue.is_empty() {
            Self::channels_mut_in(sys).remove(&(src, dst));
        }
        if self.message_log.is_some() {
            self.record(from, to, Fate::Delivered, &msg);
        }
        let mut out = Out::new();
        match Arc::get_mut(&mut sys.actor_states[index]) {
            // No other state holds this actor (it changed earlier in this step, or a fair
            // continuation steps its state in place): the handler changes it where it is,
            // instead of copying it first.
            Some(unique) => {
                let mut actor_state = Cow::Owned(std::mem::replace(unique, NodeState::PLACEHOLDER));
                self.inner.actors[index].on_msg(dst, &mut actor_state, src, msg, &mut out);
                *unique = actor_state.into_owned();
            }
            None => {
                let mut actor_state = Cow::Borrowed(&*sys.actor_states[index]);
                self.inner.actors[index].on_msg(dst, &mut actor_state, src, msg, &mut out);
                if let Cow::Owned(changed) = actor_state {
                    sys.actor_states[index] = Arc::new(changed);
                }
            }
        }
        Self::carry_out(sys, dst, out);
        let answer = Self::channels_in(sys).get(&(dst, src)).filter(|q| q.len() > queued).and_then(VecDeque::back);
        ghost.after_delivery(&Facts::new(sys, cut, self.cfg.semantics), delivering, answer);
        true
    }

    /// Requests, and every answer to a client, are delivered within the step that sends them
    /// (`highwater_traces::observe::step`).
    pub(crate) fn settle_requests(&self, state: &mut ClusterState) {
        for _ in 0..SETTLE_BOUND {
            // A request sent across a cut within the step (a retry after a reset) is lost, as
            // the protocol crate's network loses it, rather than delivered before the cut applies.
            self.reset_connections(state);
            let Some((from, to)) = self.next_eager(state) else { return };
            let delivered = self.delivered(&mut state.sys, &state.cut, &mut state.ghost, from, to);
            assert!(delivered, "an ordered network always delivers");
        }
        self.reset_connections(state);
        let (from, to) = self.next_eager(state).expect("the loop ran out with messages left");
        panic!(
            "requests did not settle in {SETTLE_BOUND} deliveries (a node retries without a backoff); next: {from} -> {to}: {:?}",
            Self::channels(state)[&(self.layout.id(from), self.layout.id(to))].front()
        );
    }

    /// stateright's own delivery of the head of `from -> to`, to hold [`ClusterModel::delivered`] to.
    #[cfg(test)]
    pub(crate) fn delivered_by_stateright(
        &self,
        sys: &ActorModelState<Node>,
        from: NodeId,
        to: NodeId,
    ) -> Option<ActorModelState<Node>> {
        let (src, dst) = (self.layout.id(from), self.layout.id(to));
        let msg = Self::channels_in(sys).get(&(src, dst))?.front()?.clone();
        stateright::Model::next_state(&self.inner, sys, stateright::actor::ActorModelAction::Deliver { src, dst, msg })
    }

    /// stateright's own firing of `timer` at `node`, to hold [`ClusterModel::fire`] to: `None`
    /// when the handler would change nothing.
    #[cfg(test)]
    pub(crate) fn fired_by_stateright(
        &self,
        sys: &ActorModelState<Node>,
        node: NodeId,
        timer: TimerKind,
    ) -> Option<ActorModelState<Node>> {
        let action = stateright::actor::ActorModelAction::Timeout(self.layout.id(node), timer);
        stateright::Model::next_state(&self.inner, sys, action)
    }

    /// The first channel whose front message is delivered in the step that sent it.
    fn next_eager(&self, state: &ClusterState) -> Option<(NodeId, NodeId)> {
        let heads = Self::channels(state)
            .iter()
            .filter_map(|(&(src, dst), queue)| Some((self.layout.node(src), self.layout.node(dst), queue.front()?)));
        first_eager(heads)
    }
}
