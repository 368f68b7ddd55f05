//! Where each node sits among the model's actors: controller first, then brokers 1..=n, then
//! consumers 0..m, then the producer.

use highwater_traces::NodeId;
use stateright::actor::Id;

/// The shape of the actor list.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Layout {
    /// Number of brokers.
    pub brokers: usize,
    /// Number of consumers.
    pub consumers: usize,
}

impl Layout {
    /// Actors in total.
    pub fn actors(&self) -> usize {
        self.brokers + self.consumers + 2
    }

    /// The actor id of a node.
    pub fn id(&self, node: NodeId) -> Id {
        Id::from(match node {
            NodeId::Controller => 0,
            NodeId::Broker(b) => b as usize,
            NodeId::Consumer(c) => self.brokers + 1 + c as usize,
            NodeId::Producer => self.brokers + self.consumers + 1,
        })
    }

    /// The node of an actor id.
    pub fn node(&self, id: Id) -> NodeId {
        let index = usize::from(id);
        match index {
            0 => NodeId::Controller,
            i if i <= self.brokers => NodeId::Broker(i as i32),
            i if i <= self.brokers + self.consumers => NodeId::Consumer((i - self.brokers - 1) as u32),
            _ => NodeId::Producer,
        }
    }
}
