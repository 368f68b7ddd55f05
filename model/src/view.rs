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

struct Parts<'a> {
    controller: &'a ControllerState,
    brokers: Vec<&'a BrokerState>,
    consumers: Vec<&'a ConsumerState>,
}

fn parts(sys: &ActorModelState<Node>) -> Parts<'_> {
    let mut parts = Parts { controller: &DEFAULT_CONTROLLER, brokers: vec![], consumers: vec![] };
    for node in &sys.actor_states {
        match &**node {
            NodeState::Controller(c) => parts.controller = c,
            NodeState::Broker(b) => parts.brokers.push(b),
            NodeState::Consumer(c) => parts.consumers.push(c),
            NodeState::Producer(_) => {}
        }
    }
    parts
}

static DEFAULT_CONTROLLER: ControllerState = ControllerState {
    leader: NO_BROKER,
    leader_epoch: -1,
    partition_epoch: -1,
    isr: std::collections::BTreeSet::new(),
    fenced: std::collections::BTreeSet::new(),
};

/// The observable state of `state`.
pub fn view(model: &ClusterModel, state: &ClusterState) -> ClusterView {
    let p = parts(&state.sys);
    ClusterView {
        controller: ControllerView {
            leader: p.controller.leader,
            leader_epoch: p.controller.leader_epoch,
            partition_epoch: p.controller.partition_epoch,
            isr: p.controller.isr.iter().copied().collect(),
            fenced: p.controller.fenced.iter().copied().collect(),
        },
        brokers: p
            .brokers
            .iter()
            .map(|b| BrokerView {
                id: b.id,
                rack: model.cfg.rack_of(b.id).to_string(),
                alive: b.alive,
                role: b.role,
                leader_epoch: b.leader_epoch,
                leader: b.leader,
                log_start_offset: 0,
                log_end_offset: b.log.len() as i64,
                high_watermark: b.hw,
                log: b.log.clone(),
                isr: b.isr.clone(),
                maximal_isr: b.maximal_isr(),
                leader_epoch_start_offset: (b.role == Role::Leader).then_some(b.epoch_start),
            })
            .collect(),
        consumers: p
            .consumers
            .iter()
            .map(|c| ConsumerView {
                id: c.id,
                rack: model.cfg.consumer_racks[c.id as usize].clone(),
                position: c.position,
                position_epoch: c.position_epoch,
                current_leader_epoch: c.leader_epoch,
                preferred_read_replica: c.preferred,
                delivered: c.delivered.clone(),
                resets: c.resets.clone(),
                list_offsets_latest: c.list_offsets_latest.clone(),
                failed: false,
            })
            .collect(),
        cut_racks: state.cut.racks.iter().cloned().collect(),
        outages: state.cut.outages.iter().cloned().collect(),
        producer_rack: model.cfg.producer_rack.clone(),
        faults_left: state.crashes_left + state.outages_left,
        ghost: state.ghost.clone(),
        semantics: model.cfg.semantics,
    }
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
