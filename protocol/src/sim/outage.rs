//! Outages between racks in the simulated network: a rack isolated, brokers and clients
//! together; the link between two racks cut both ways; or one way. Every node sits in a place:
//! a broker in its rack, a consumer in its `client.rack`, the producer in its rack, and a node
//! with none (the controller always) in a place of its own. `Cluster::cut_rack`, which cuts a
//! rack's brokers off while its clients stay reachable, is the one outage that separates a
//! rack's brokers from its clients.

use std::fmt;

use super::{BrokerSlot, Cluster, SimError, StepOutputs};
use crate::node::Input;
use crate::types::{NodeId, Rack};

/// An outage between places.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Outage {
    /// A rack isolated from every other place.
    Rack(Rack),
    /// The link between two racks, both ways.
    Link(Rack, Rack),
    /// Messages from the first rack to the second are lost; the other way works.
    OneWay(Rack, Rack),
}

impl Outage {
    /// Whether it loses messages from place `from` to place `to`.
    pub fn blocks(&self, from: &str, to: &str) -> bool {
        match self {
            Outage::Rack(rack) => (from == rack) != (to == rack),
            Outage::Link(a, b) => (from == a && to == b) || (from == b && to == a),
            Outage::OneWay(f, t) => from == f && to == t,
        }
    }
}

impl fmt::Display for Outage {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Outage::Rack(rack) => write!(f, "rack {rack} isolated"),
            Outage::Link(a, b) => write!(f, "link {a} <-> {b}"),
            Outage::OneWay(from, to) => write!(f, "link {from} -> {to}"),
        }
    }
}

impl Cluster {
    /// Start an outage: what is in flight across it is lost with its connections, requests
    /// parked at a broker that can no longer answer are reset, and a broker whose heartbeats
    /// can no longer reach the controller starts its session's countdown.
    pub fn cut(&mut self, outage: Outage) -> Result<StepOutputs, SimError> {
        let before = self.clone_reachability();
        if !self.outages.insert(outage.clone()) {
            return Err(SimError::OutageActive(outage.to_string()));
        }
        let mut outputs = self.reset_unreachable();
        outputs.extend(self.after_outage_change(&before));
        Ok(outputs)
    }

    /// End an outage.
    pub fn heal(&mut self, outage: &Outage) -> Result<StepOutputs, SimError> {
        let before = self.clone_reachability();
        if !self.outages.remove(outage) {
            return Err(SimError::OutageNotActive(outage.to_string()));
        }
        Ok(self.after_outage_change(&before))
    }

    /// Outages now.
    pub fn outages(&self) -> Vec<Outage> {
        self.outages.iter().cloned().collect()
    }

    /// The place a node sits in.
    pub(super) fn place(&self, node: NodeId) -> String {
        let rack = match node {
            NodeId::Broker(b) => self.rack_of(b),
            NodeId::Consumer(c) => self.consumers.get(c as usize).and_then(|c| c.config().client_rack.clone()),
            NodeId::Producer => self.producer_rack.clone(),
            NodeId::Controller => None,
        };
        rack.unwrap_or_else(|| node.to_string())
    }

    /// Whether any outage loses messages from `from` to `to`.
    pub(super) fn blocked(&self, from: NodeId, to: NodeId) -> bool {
        if self.outages.is_empty() {
            return false;
        }
        let (a, b) = (self.place(from), self.place(to));
        self.outages.iter().any(|o| o.blocks(&a, &b))
    }

    /// For each running broker: whether its heartbeats reach the controller, and whether the
    /// controller's notices reach it.
    fn clone_reachability(&self) -> Vec<(crate::types::BrokerId, bool, bool)> {
        let running: Vec<_> =
            self.brokers.iter().filter(|(_, s)| matches!(s, BrokerSlot::Running(_))).map(|(b, _)| *b).collect();
        running
            .into_iter()
            .map(|b| {
                let node = NodeId::Broker(b);
                (b, self.reachable(node, NodeId::Controller), self.reachable(NodeId::Controller, node))
            })
            .collect()
    }

    /// A broker whose heartbeats stopped reaching the controller starts its session's
    /// countdown; one whose heartbeats reach it again goes on with its session, or registers
    /// again if it was fenced; one the controller can reach again after missing its notices
    /// fetches the metadata it missed.
    fn after_outage_change(&mut self, before: &[(crate::types::BrokerId, bool, bool)]) -> StepOutputs {
        let mut outputs = Vec::new();
        for &(broker, heard, told) in before {
            let node = NodeId::Broker(broker);
            let (heard_now, told_now) =
                (self.reachable(node, NodeId::Controller), self.reachable(NodeId::Controller, node));
            if heard && !heard_now {
                self.stop_heartbeats(broker);
            } else if !heard && heard_now && self.sessions.remove(&broker).is_none() {
                // Fenced while away: it registers again, and the controller sends it the state.
                outputs.extend(self.step_node(NodeId::Controller, Input::BrokerUnfenced(broker)));
                continue;
            }
            if heard_now && told_now && !told {
                outputs.extend(self.step_node(NodeId::Controller, Input::BrokerReconnected(broker)));
            }
        }
        outputs
    }
}
