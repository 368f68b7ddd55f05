//! The model's states seen as `ClusterView`s, and as the facts the shared observers read
//! (`highwater_traces::observe`).

use highwater_traces::observe::{BrokerFacts, ConsumerFacts, Observed};
use highwater_traces::{
    BrokerId, BrokerView, ClusterView, ConsumerView, ControllerView, Delivery, LeaderEpoch, Offset, Record, Role,
    Semantics, NO_BROKER,
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
/// one view per step (a fair continuation, a property check per state) allocates less. Every
/// struct is destructured, so that a field added to a view cannot be left holding what the last
/// state had.
pub fn view_into(model: &ClusterModel, state: &ClusterState, view: &mut ClusterView) {
    let ClusterView {
        controller,
        brokers,
        consumers,
        cut_racks,
        outages,
        producer_rack,
        faults_left,
        ghost,
        semantics,
    } = view;
    let c = (state.sys.actor_states.iter())
        .find_map(|node| match &**node {
            NodeState::Controller(c) => Some(c),
            _ => None,
        })
        .unwrap_or(&NO_CONTROLLER);
    let ControllerView { leader, leader_epoch, partition_epoch, isr, fenced } = controller;
    (*leader, *leader_epoch, *partition_epoch) = (c.leader, c.leader_epoch, c.partition_epoch);
    refill(isr, c.isr.iter().copied());
    refill(fenced, c.fenced.iter().copied());
    let broker_states = state.sys.actor_states.iter().filter_map(|node| match &**node {
        NodeState::Broker(b) => Some(b),
        _ => None,
    });
    brokers.resize_with(broker_states.clone().count(), BrokerView::default);
    for (bv, b) in brokers.iter_mut().zip(broker_states) {
        let BrokerView {
            id,
            rack,
            alive,
            role,
            leader_epoch,
            leader,
            log_start_offset,
            log_end_offset,
            high_watermark,
            log,
            isr,
            maximal_isr,
            leader_epoch_start_offset,
        } = bv;
        (*id, *alive, *role, *leader_epoch, *leader) = (b.id, b.alive, b.role, b.leader_epoch, b.leader);
        rack.clear();
        rack.push_str(model.cfg.rack_of(b.id));
        (*log_start_offset, *log_end_offset, *high_watermark) = (0, b.log.len() as Offset, b.hw);
        log.clone_from(&b.log);
        isr.clone_from(&b.isr);
        b.write_maximal_isr(maximal_isr);
        *leader_epoch_start_offset = (b.role == Role::Leader).then_some(b.epoch_start);
    }
    let consumer_states = state.sys.actor_states.iter().filter_map(|node| match &**node {
        NodeState::Consumer(c) => Some(c),
        _ => None,
    });
    consumers.resize_with(consumer_states.clone().count(), ConsumerView::default);
    for (cv, c) in consumers.iter_mut().zip(consumer_states) {
        let ConsumerView {
            id,
            rack,
            position,
            position_epoch,
            current_leader_epoch,
            preferred_read_replica,
            delivered,
            resets,
            list_offsets_latest,
            failed,
        } = cv;
        (*id, *position, *position_epoch, *current_leader_epoch) = (c.id, c.position, c.position_epoch, c.leader_epoch);
        rack.clone_from(&model.cfg.consumer_racks[c.id as usize]);
        *preferred_read_replica = c.preferred;
        delivered.clone_from(&c.delivered);
        resets.clone_from(&c.resets);
        list_offsets_latest.clone_from(&c.list_offsets_latest);
        *failed = false;
    }
    refill(cut_racks, state.cut.racks.iter().cloned());
    refill(outages, state.cut.outages.iter().cloned());
    producer_rack.clone_from(&model.cfg.producer_rack);
    *faults_left = state.crashes_left + state.outages_left;
    ghost.clone_from(&state.ghost);
    *semantics = model.cfg.semantics;
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
