//! The model checked: stateright's `ActorModel` of controller, brokers, consumers and producer,
//! wrapped in a `Model` that adds the environment.
//!
//! stateright's `ActorModel` has no environment state, so the wrapper owns it: which racks are
//! cut, the fault budget, how many records were produced, and the ghost history. Its actions
//! are the suite's [`Action`]s. Deliveries and timers go to the `ActorModel`. Faults, produce
//! and message loss are the wrapper's own steps:
//! - `crash` keeps the log and HW checkpoint, resets every connection of the broker, and has the
//!   controller fence it;
//! - `cut-rack` isolates the rack's brokers from every node outside it, drops what is in flight
//!   across the cut, and has the controller fence them;
//! - `restart` and `heal-rack` undo those, and are never budgeted.
//!
//! After every step, messages sent to a crashed or unreachable node are dropped, as the
//! protocol crate's `sim::Cluster` drops them. Within a step, requests and answers to clients
//! are delivered at once, and a broker's queue keeps only the newest `PartitionChange`
//! (`docs/model.md` says why each is sound): what stays in flight between steps is the
//! asynchrony replication depends on, answers between brokers and partition changes.

use std::borrow::Cow;
use std::collections::{BTreeMap, BTreeSet, VecDeque};
use std::hash::{Hash, Hasher};
use std::sync::Arc;

use highwater_traces::observe::StepStart;
use highwater_traces::{Action, BrokerId, Ghost, Message, NodeId, Outage, OutageShape, Rack, TimerKind};
use stateright::actor::{is_no_op_with_timer, Actor, ActorModel, ActorModelState, Id, Network, Out};
use stateright::{Model, Property};

use crate::broker::BrokerState;
use crate::config::ModelConfig;
use crate::layout::Layout;
use crate::liveness_memo::LivenessMemo;
use crate::node::{Env, Node, NodeState};
use crate::record::MessageLog;
use crate::symmetry::ConsumerSymmetry;
use crate::view::Facts;

/// A state of the whole system.
/// `Debug` is written out in `state_text`: its alternate form is what the Explorer shows.
#[derive(Clone, PartialEq, Eq)]
pub struct ClusterState {
    /// The actors, their timers and the network.
    pub sys: ActorModelState<Node>,
    /// What is cut now: racks' brokers, and outages between places.
    pub cut: Cuts,
    /// Crashes left in the budget.
    pub crashes_left: u32,
    /// Rack outages left in the budget.
    pub outages_left: u32,
    /// `isr-expiration` ticks left in the budget.
    pub isr_ticks_left: u32,
    /// Application seeks left in the budget.
    pub seeks_left: u32,
    /// Records produced so far.
    pub produced: u64,
    /// Ghost history.
    pub ghost: Ghost,
    /// Same-rack consumers the checker may renumber (the same in every state of a model, so
    /// left out of the hash); see `symmetry`.
    pub consumer_symmetry: Option<Arc<ConsumerSymmetry>>,
}

/// What the network loses now.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct Cuts {
    /// Racks whose brokers are cut off (`cut_rack`).
    pub racks: BTreeSet<Rack>,
    /// Outages between places (`cut`).
    pub outages: BTreeSet<Outage>,
}

impl Cuts {
    /// Whether nothing is cut.
    pub fn is_empty(&self) -> bool {
        self.racks.is_empty() && self.outages.is_empty()
    }
}

/// Written out because stateright 0.31 hashes each actor's timer set as its members' hashes with
/// no length, so `[{}, {t}]` and `[{t}, {}]` hash alike: two states that differ only in which
/// actor holds a timer would share a fingerprint, and the checker would skip one of them (and
/// the states only it leads to). Each timer set goes in as a mask, one per actor. Each actor
/// goes in as its own hash, remembered (`actor_hash`).
impl Hash for ClusterState {
    fn hash<H: Hasher>(&self, hasher: &mut H) {
        // Destructured, so that a new field cannot be left out unnoticed.
        let ClusterState {
            sys,
            cut,
            crashes_left,
            outages_left,
            isr_ticks_left,
            seeks_left,
            produced,
            ghost,
            consumer_symmetry: _,
        } = self;
        // Each actor as its remembered hash: most of a successor's actors are its parent's.
        hasher.write_usize(sys.actor_states.len());
        for actor in &sys.actor_states {
            hasher.write_u64(crate::actor_hash::actor_hash(actor));
        }
        sys.network.hash(hasher);
        // A node's timers are a set with at most one of each kind, so the bits of a mask name it
        // exactly, whatever order the set iterates in, and hashing it allocates nothing.
        for timers in &sys.timers_set {
            timers.iter().fold(0u32, |mask, timer| mask | 1 << *timer as u32).hash(hasher);
        }
        (cut, crashes_left, outages_left, isr_ticks_left, seeks_left, produced).hash(hasher);
        ghost.hash_without_events(hasher);
    }
}

const _: () = assert!(TimerKind::ALL.len() <= 32, "a node's timers are hashed as the bits of a u32");

/// The model: configuration, layout and the inner `ActorModel`.
pub struct ClusterModel {
    /// The configuration.
    pub cfg: Arc<ModelConfig>,
    /// Where each node sits.
    pub layout: Layout,
    /// With a bound, every reachable state is checked for bounded liveness (see `checks`).
    pub liveness_bound: Option<usize>,
    /// The answers of the fair continuations run so far, if they are remembered
    /// (`liveness_memo`, `with_liveness_memo`).
    pub liveness_memo: Option<Arc<LivenessMemo>>,
    /// When set, stateright is given only these properties, so a search for one violation
    /// (`highwater bugs --verify`) stops as soon as it has it.
    pub only_properties: Option<Vec<&'static str>>,
    pub(crate) inner: ActorModel<Node>,
    /// Where the messages each step moves are recorded, for trace files (`record`).
    pub(crate) message_log: Option<MessageLog>,
    /// Each node's place for outages, by actor index: asked for both ends of every link in
    /// every step an outage is on, so it is worked out once.
    pub(crate) places: Vec<String>,
    /// The racks that hold a broker, and every outage of the configured shapes: offered or
    /// healed in every state, so worked out once.
    racks: Vec<Rack>,
    outages: Vec<Outage>,
}

impl ClusterModel {
    /// The model of this configuration.
    pub fn new(cfg: ModelConfig) -> Self {
        let cfg = Arc::new(cfg);
        let layout = Layout { brokers: cfg.broker_racks.len(), consumers: cfg.consumer_racks.len() };
        let nodes = (0..layout.actors()).map(|i| Node { node: layout.node(Id::from(i)), cfg: cfg.clone(), layout });
        let inner = ActorModel::new((), ()).actors(nodes).init_network(Network::new_ordered([]));
        let places = (0..layout.actors()).map(|i| crate::outage::place_of(&cfg, layout.node(Id::from(i)))).collect();
        let all_racks = cfg.all_racks();
        let outages = cfg.outage_shapes.iter().flat_map(|shape| shape.instances(&all_racks)).collect();
        let racks = cfg.racks();
        ClusterModel {
            cfg,
            layout,
            liveness_bound: None,
            liveness_memo: None,
            only_properties: None,
            inner,
            message_log: None,
            places,
            racks,
            outages,
        }
    }

    /// The messages in flight, link by link (in link order), each queue oldest first.
    pub fn in_flight(&self, state: &ClusterState) -> Vec<(NodeId, NodeId, Vec<Message>)> {
        Self::channels(state)
            .iter()
            .map(|((from, to), queue)| {
                (self.layout.node(*from), self.layout.node(*to), queue.iter().cloned().collect())
            })
            .collect()
    }

    /// Every timer set, by node.
    pub fn timers_set(&self, state: &ClusterState) -> Vec<(NodeId, TimerKind)> {
        let mut timers: Vec<(NodeId, TimerKind)> = state
            .sys
            .timers_set
            .iter()
            .enumerate()
            .flat_map(|(index, timers)| timers.iter().map(move |t| (self.layout.node(Id::from(index)), *t)))
            .collect();
        timers.sort();
        timers
    }

    /// Check bounded liveness in every reachable state: from each, faults stop and a fair
    /// continuation must reach each liveness goal within `bound` steps.
    pub fn with_liveness_bound(mut self, bound: usize) -> Self {
        self.liveness_bound = Some(bound);
        self
    }

    /// Remember the answer of each fair continuation by the healed state it starts from, so that
    /// a state that heals to one already run takes its answer (`liveness_memo`).
    pub fn with_liveness_memo(mut self) -> Self {
        self.liveness_memo = Some(Arc::new(LivenessMemo::new()));
        self
    }

    pub(crate) fn broker<'s>(&self, state: &'s ClusterState, broker: BrokerId) -> Option<&'s BrokerState> {
        match state.sys.actor_states.get(broker as usize).map(|s| &**s) {
            Some(NodeState::Broker(b)) => Some(b),
            _ => None,
        }
    }

    pub(crate) fn alive(&self, state: &ClusterState, node: NodeId) -> bool {
        match node {
            NodeId::Broker(b) => self.broker(state, b).is_some_and(|b| b.alive),
            _ => true,
        }
    }

    fn controller_epoch(&self, state: &ClusterState) -> i32 {
        match &*state.sys.actor_states[0] {
            NodeState::Controller(c) => c.leader_epoch,
            _ => unreachable!("actor 0 is the controller"),
        }
    }

    pub(crate) fn channels(state: &ClusterState) -> &BTreeMap<(Id, Id), VecDeque<Message>> {
        Self::channels_in(&state.sys)
    }

    pub(crate) fn channels_in(sys: &ActorModelState<Node>) -> &BTreeMap<(Id, Id), VecDeque<Message>> {
        match &sys.network {
            Network::Ordered(map) => map,
            _ => unreachable!("the model's network is ordered"),
        }
    }

    pub(crate) fn channels_mut(state: &mut ClusterState) -> &mut BTreeMap<(Id, Id), VecDeque<Message>> {
        Self::channels_mut_in(&mut state.sys)
    }

    pub(crate) fn channels_mut_in(sys: &mut ActorModelState<Node>) -> &mut BTreeMap<(Id, Id), VecDeque<Message>> {
        match &mut sys.network {
            Network::Ordered(map) => map,
            _ => unreachable!("the model's network is ordered"),
        }
    }

    /// Run `f` on a node's state outside stateright's own dispatch (the environment's inputs),
    /// applying its sends and timers.
    pub(crate) fn with_node(&self, state: &mut ClusterState, node: NodeId, f: impl FnOnce(&mut NodeState, &mut Env)) {
        let id = self.layout.id(node);
        let index = usize::from(id);
        let mut node_state = (*state.sys.actor_states[index]).clone();
        let mut out = Out::new();
        f(&mut node_state, &mut Env::new(&self.cfg, self.layout, &mut out));
        state.sys.actor_states[index] = Arc::new(node_state);
        Self::carry_out(&mut state.sys, id, out);
    }

    /// Apply what an actor's handler asked for, as stateright's `ActorModel` does: sends join
    /// their link's queue, timers are set or cancelled.
    pub(crate) fn carry_out(sys: &mut ActorModelState<Node>, id: Id, out: Out<Node>) {
        let index = usize::from(id);
        for command in out {
            match command {
                stateright::actor::Command::Send(dst, msg) => {
                    Self::channels_mut_in(sys).entry((id, dst)).or_default().push_back(msg)
                }
                stateright::actor::Command::SetTimer(timer, _) => {
                    sys.timers_set[index].set(timer);
                }
                stateright::actor::Command::CancelTimer(timer) => {
                    sys.timers_set[index].cancel(&timer);
                }
                _ => {}
            }
        }
    }

    pub(crate) fn fence(&self, state: &mut ClusterState, broker: BrokerId, fenced: bool) {
        self.with_node(state, NodeId::Controller, |node, env| {
            if let NodeState::Controller(c) = node {
                if fenced {
                    c.fence(broker, env)
                } else {
                    c.unfence(broker, env)
                }
            }
        });
    }

    pub(crate) fn set_broker(
        &self,
        state: &mut ClusterState,
        broker: BrokerId,
        f: impl FnOnce(&BrokerState) -> BrokerState,
    ) {
        let index = broker as usize;
        if let NodeState::Broker(b) = &*state.sys.actor_states[index] {
            state.sys.actor_states[index] = Arc::new(NodeState::Broker(f(b)));
        }
    }

    fn apply(&self, last: &ClusterState, action: &Action) -> Option<ClusterState> {
        let mut next = last.clone();
        self.take_step(&mut next, action).then_some(next)
    }

    /// Run `timer`'s handler on a borrowed copy of its actor, as stateright does: `None` if
    /// stateright would not take the timer (its handler changes nothing), else the actor's new
    /// state, if it changed, and what the handler asked for. Firing a timer asks this, instead
    /// of building the whole successor as stateright's `next_state` does.
    pub(crate) fn timer_handled(
        &self,
        state: &ClusterState,
        id: Id,
        timer: &TimerKind,
    ) -> Option<(Option<NodeState>, Out<Node>)> {
        let index = usize::from(id);
        let mut actor_state = Cow::Borrowed(&*state.sys.actor_states[index]);
        let mut out = Out::new();
        self.inner.actors[index].on_timeout(id, &mut actor_state, timer, &mut out);
        if is_no_op_with_timer(&actor_state, &out, timer) {
            return None;
        }
        let changed = match actor_state {
            Cow::Owned(changed) => Some(changed),
            Cow::Borrowed(_) => None,
        };
        Some((changed, out))
    }
}

impl Model for ClusterModel {
    type State = ClusterState;
    type Action = Action;

    fn init_states(&self) -> Vec<ClusterState> {
        self.inner
            .init_states()
            .into_iter()
            .map(|sys| {
                let mut state = ClusterState {
                    sys,
                    cut: Cuts::default(),
                    crashes_left: self.cfg.crashes,
                    outages_left: self.cfg.rack_outages,
                    isr_ticks_left: self.cfg.isr_expirations,
                    seeks_left: self.cfg.seeks,
                    produced: 0,
                    ghost: Ghost::default(),
                    consumer_symmetry: ConsumerSymmetry::of(&self.cfg, self.layout),
                };
                self.settle_requests(&mut state);
                // The initial state is its own predecessor: no step led to it. (The ghost's
                // observers read the actors, which taking outdated messages does not touch.)
                let start = StepStart::of(&Facts::new(&state.sys, &state.cut, self.cfg.semantics));
                self.end_step(&start, &mut state);
                state
            })
            .collect()
    }

    fn actions(&self, state: &ClusterState, actions: &mut Vec<Action>) {
        for ((src, dst), queue) in Self::channels(state) {
            let (from, to) = (self.layout.node(*src), self.layout.node(*dst));
            actions.push(Action::Deliver { from, to });
            if self.cfg.lossy && !matches!(queue.front(), Some(Message::PartitionChange { .. })) {
                actions.push(Action::Drop { from, to });
            }
        }
        for (index, timers) in state.sys.timers_set.iter().enumerate() {
            let node = self.layout.node(Id::from(index));
            if !self.alive(state, node) {
                continue;
            }
            // Every armed timer is offered: stateright has a next state for each, as a node's
            // handler takes its state as changed whatever it does (`Node::on_timeout`), and
            // `step_rule_tests.rs` fires every offered timer against stateright's own firing.
            // In `TimerKind` order, whatever order the set iterates in; sorted where they are,
            // as a node has at most one timer of each kind.
            let mut pending = [TimerKind::ReplicaFetch; 32];
            let mut armed = 0;
            for (slot, timer) in pending.iter_mut().zip(timers.iter()) {
                (*slot, armed) = (*timer, armed + 1);
            }
            pending[..armed].sort_unstable();
            actions.extend(
                (pending[..armed].iter().copied())
                    .filter(|t| *t != TimerKind::IsrExpiration || state.isr_ticks_left > 0)
                    .map(|timer| Action::Timer { node, timer }),
            );
        }
        if state.produced < self.cfg.records {
            actions.push(Action::Produce { value: state.produced + 1 });
        }
        if state.seeks_left > 0 {
            for consumer in 0..self.layout.consumers as u32 {
                actions.extend(self.cfg.seek_targets.iter().map(|to| Action::Seek { consumer, to: *to }));
            }
        }
        let epoch_room = self.cfg.max_leader_epoch.is_none_or(|max| self.controller_epoch(state) < max);
        for broker in self.cfg.broker_ids() {
            match self.alive(state, NodeId::Broker(broker)) {
                true if state.crashes_left > 0 && epoch_room => actions.push(Action::Crash { broker }),
                false => actions.push(Action::Restart { broker }),
                _ => {}
            }
        }
        let shapes = &self.cfg.outage_shapes;
        for rack in &self.racks {
            if state.cut.racks.contains(rack) {
                actions.push(Action::HealRack { rack: rack.clone() });
            } else if state.outages_left > 0 && epoch_room && shapes.contains(&OutageShape::Brokers) {
                actions.push(Action::CutRack { rack: rack.clone() });
            }
        }
        for outage in &self.outages {
            if state.cut.outages.contains(outage) {
                actions.push(Action::Heal { outage: outage.clone() });
            } else if state.outages_left > 0 && epoch_room {
                actions.push(Action::Cut { outage: outage.clone() });
            }
        }
    }

    fn next_state(&self, last: &ClusterState, action: Action) -> Option<ClusterState> {
        self.apply(last, &action)
    }

    fn format_action(&self, action: &Action) -> String {
        action.to_string()
    }

    fn format_step(&self, last: &ClusterState, action: Action) -> Option<String> {
        self.describe_step(last, &action)
    }

    fn as_svg(&self, path: stateright::Path<ClusterState, Action>) -> Option<String> {
        Some(self.sequence_svg(&path))
    }

    fn properties(&self) -> Vec<Property<Self>> {
        let mut properties = crate::checks::stateright_properties(self.liveness_bound.is_some(), self.cfg.semantics);
        if let Some(only) = &self.only_properties {
            properties.retain(|p| only.contains(&p.name));
        }
        properties
    }
}
