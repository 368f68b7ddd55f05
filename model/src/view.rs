//! The model's states seen as `ClusterView`s, and as the facts the shared observers read
//! (`highwater_traces::observe`).

use highwater_traces::observe::{BrokerFacts, ConsumerFacts, Observed};
use highwater_traces::{
    BrokerId, BrokerView, ClusterView, ConsumerView, Delivery, LeaderEpoch, Offset, Record, Role, Semantics, NO_BROKER,
};
use stateright::actor::ActorModelState;

use crate::broker::BrokerState;
use crate::cluster::Cuts;
use crate::cluster::{ClusterModel, ClusterState};
use crate::consumer::{ConsumerState, Phase};
use crate::controller::ControllerState;
use crate::node::{Node, NodeState};

/// The observable state of `state`.
pub fn view(model: &ClusterModel, state: &ClusterState) -> ClusterView {
    let mut view = ClusterView::default();
    view_into(model, state, &mut view);
    view
}

/// [`view`], written over `view`: its vectors and strings are reused, so a caller that builds
/// one view per step (a fair continuation, a property check per state) allocates less.
pub fn view_into(model: &ClusterModel, state: &ClusterState, view: &mut ClusterView) {
    let controller = state.sys.actor_states.iter().find_map(|node| match &**node {
        NodeState::Controller(c) => Some(c),
        _ => None,
    });
    let c = controller.unwrap_or(&NO_CONTROLLER);
    let cv = &mut view.controller;
    (cv.leader, cv.leader_epoch, cv.partition_epoch) = (c.leader, c.leader_epoch, c.partition_epoch);
    refill(&mut cv.isr, c.isr.iter().copied());
    refill(&mut cv.fenced, c.fenced.iter().copied());
    let brokers = state.sys.actor_states.iter().filter_map(|node| match &**node {
        NodeState::Broker(b) => Some(b),
        _ => None,
    });
    view.brokers.resize_with(brokers.clone().count(), BrokerView::default);
    for (bv, b) in view.brokers.iter_mut().zip(brokers) {
        bv.id = b.id;
        bv.rack.clear();
        bv.rack.push_str(model.cfg.rack_of(b.id));
        (bv.alive, bv.role, bv.leader_epoch, bv.leader) = (b.alive, b.role, b.leader_epoch, b.leader);
        (bv.log_start_offset, bv.log_end_offset, bv.high_watermark) = (0, b.log.len() as Offset, b.hw);
        bv.log.clone_from(&b.log);
        bv.isr.clone_from(&b.isr);
        b.write_maximal_isr(&mut bv.maximal_isr);
        bv.leader_epoch_start_offset = (b.role == Role::Leader).then_some(b.epoch_start);
    }
    let consumers = state.sys.actor_states.iter().filter_map(|node| match &**node {
        NodeState::Consumer(c) => Some(c),
        _ => None,
    });
    view.consumers.resize_with(consumers.clone().count(), ConsumerView::default);
    for (cv, c) in view.consumers.iter_mut().zip(consumers) {
        cv.id = c.id;
        cv.rack.clone_from(&model.cfg.consumer_racks[c.id as usize]);
        (cv.position, cv.position_epoch, cv.current_leader_epoch) = (c.position, c.position_epoch, c.leader_epoch);
        cv.preferred_read_replica = c.preferred;
        cv.delivered.clone_from(&c.delivered);
        cv.resets.clone_from(&c.resets);
        cv.list_offsets_latest.clone_from(&c.list_offsets_latest);
        cv.failed = false;
    }
    refill(&mut view.cut_racks, state.cut.racks.iter().cloned());
    refill(&mut view.outages, state.cut.outages.iter().cloned());
    view.producer_rack.clone_from(&model.cfg.producer_rack);
    view.faults_left = state.crashes_left + state.outages_left;
    view.ghost.clone_from(&state.ghost);
    view.semantics = model.cfg.semantics;
}

static NO_CONTROLLER: ControllerState = ControllerState::NONE;

fn refill<T>(into: &mut Vec<T>, from: impl Iterator<Item = T>) {
    into.clear();
    into.extend(from);
}

/// A model state as the shared observers read it. It borrows the actors and the cut racks
/// only, so the state's ghost can be updated beside it.
pub(crate) struct Facts<'a> {
    sys: &'a ActorModelState<Node>,
    cut: &'a Cuts,
    semantics: Semantics,
}

impl<'a> Facts<'a> {
    pub(crate) fn new(sys: &'a ActorModelState<Node>, cut: &'a Cuts, semantics: Semantics) -> Self {
        Facts { sys, cut, semantics }
    }

    fn broker(&self, id: BrokerId) -> Option<&'a BrokerState> {
        self.sys.actor_states.iter().find_map(|node| match &**node {
            NodeState::Broker(b) if b.id == id => Some(b),
            _ => None,
        })
    }

    fn consumer(&self, id: u32) -> Option<&'a ConsumerState> {
        self.sys.actor_states.iter().find_map(|node| match &**node {
            NodeState::Consumer(c) if c.id == id => Some(c),
            _ => None,
        })
    }
}

impl Observed for Facts<'_> {
    fn controller(&self) -> (BrokerId, LeaderEpoch) {
        match &*self.sys.actor_states[0] {
            NodeState::Controller(c) => (c.leader, c.leader_epoch),
            _ => (NO_BROKER, -1),
        }
    }

    fn brokers(&self) -> impl Iterator<Item = BrokerFacts> + '_ {
        self.sys.actor_states.iter().filter_map(|node| match &**node {
            NodeState::Broker(b) => Some(BrokerFacts {
                id: b.id,
                alive: b.alive,
                role: b.role,
                leader_epoch: b.leader_epoch,
                high_watermark: b.hw,
                log_end_offset: b.log.len() as Offset,
            }),
            _ => None,
        })
    }

    fn consumers(&self) -> impl Iterator<Item = ConsumerFacts> + '_ {
        self.sys.actor_states.iter().filter_map(|node| match &**node {
            NodeState::Consumer(c) => Some(ConsumerFacts {
                id: c.id,
                fetching: c.phase == Phase::Fetching,
                position: c.position,
                current_leader_epoch: c.leader_epoch,
                preferred_read_replica: c.preferred,
                metadata_leader: c.leader,
            }),
            _ => None,
        })
    }

    fn records(&self, broker: BrokerId, from: usize, to: usize) -> Vec<Record> {
        let log = self.broker(broker).map_or(&[][..], |b| &b.log[..]);
        log.get(from.min(log.len())..to.min(log.len())).unwrap_or_default().to_vec()
    }

    fn in_isr(&self, broker: BrokerId, member: BrokerId) -> bool {
        self.broker(broker).is_some_and(|b| b.isr.contains(&member))
    }

    fn follower_log_end_offset(&self, broker: BrokerId, follower: BrokerId) -> Option<Offset> {
        self.broker(broker)?.followers.iter().find(|f| f.id == follower)?.leo
    }

    fn deliveries(&self, consumer: u32) -> &[Delivery] {
        self.consumer(consumer).map_or(&[], |c| &c.delivered)
    }

    fn acked(&self) -> &[(u64, Offset)] {
        self.sys
            .actor_states
            .iter()
            .find_map(|node| match &**node {
                NodeState::Producer(p) => Some(&p.acked[..]),
                _ => None,
            })
            .unwrap_or_default()
    }

    fn any_rack_cut(&self) -> bool {
        !self.cut.is_empty()
    }

    fn semantics(&self) -> Semantics {
        self.semantics
    }
}
