//! Where the network loses messages: the rack cuts and outages of a state, and the controller's
//! view of the brokers that follows from them (`docs/model.md`, "Outages").

use highwater_traces::{passes, place, NodeId};

use crate::cluster::{ClusterModel, ClusterState};
use crate::config::ModelConfig;
use crate::node::NodeState;

impl ClusterModel {
    /// The cut rack a node is isolated in, if any.
    pub(crate) fn isolation<'s>(&'s self, state: &ClusterState, node: NodeId) -> Option<&'s str> {
        let NodeId::Broker(b) = node else { return None };
        let rack = self.cfg.rack_of(b);
        state.cut.racks.contains(rack).then_some(rack)
    }

    /// The place a node sits in for outages (`place_of`), as the model worked it out.
    pub(crate) fn place(&self, node: NodeId) -> &str {
        &self.places[usize::from(self.layout.id(node))]
    }

    /// Whether a message from `from` gets to `to` now.
    pub(crate) fn reachable(&self, state: &ClusterState, from: NodeId, to: NodeId) -> bool {
        if state.cut.outages.is_empty() {
            return self.isolation(state, from) == self.isolation(state, to);
        }
        let (a, b) = (self.place(from), self.place(to));
        passes(&state.cut.outages, (a, self.isolation(state, from)), (b, self.isolation(state, to)))
    }

    /// After an outage starts or ends: the controller fences each running broker whose
    /// heartbeats cannot reach it and unfences each whose can again, and sends its partition
    /// state to each broker it can reach again that it had not fenced (a broker catches up with
    /// the metadata log when its connection to the controller is back).
    pub(crate) fn refence(&self, last: &ClusterState, next: &mut ClusterState) {
        for broker in self.cfg.broker_ids() {
            let node = NodeId::Broker(broker);
            if !self.alive(next, node) {
                continue;
            }
            let heard = self.reachable(next, node, NodeId::Controller);
            if heard != self.reachable(last, node, NodeId::Controller) {
                self.fence(next, broker, !heard);
            } else if heard
                && self.reachable(next, NodeId::Controller, node)
                && !self.reachable(last, NodeId::Controller, node)
            {
                self.with_node(next, NodeId::Controller, |node, env| {
                    if let NodeState::Controller(c) = node {
                        c.catch_up(broker, env);
                    }
                });
            }
        }
    }
}

/// The place a node of `cfg` sits in for outages (`highwater_traces::place`).
pub(crate) fn place_of(cfg: &ModelConfig, node: NodeId) -> String {
    let rack = match node {
        NodeId::Broker(b) => Some(cfg.rack_of(b)),
        NodeId::Consumer(c) => cfg.consumer_racks.get(c as usize).and_then(|r| r.as_deref()),
        NodeId::Producer => cfg.producer_rack.as_deref(),
        NodeId::Controller => None,
    };
    place(node, rack)
}
