//! Outages that lose messages silently (`ClusterConfig::black_hole_outages`): a partitioned
//! network drops packets without a reset, so a client learns its request is lost only when
//! `request.timeout.ms` runs out. Kafka's `NetworkClient.handleTimedOutRequests` then closes the
//! connection, failing what was in flight on it as a disconnection, which is what the requester
//! is told here at that moment.

use super::{BrokerSlot, Cluster, StepOutputs};
use crate::node::Input;
use crate::types::{Millis, NodeId};

/// `request.timeout.ms` of a node with none configured (the controller's requests are its
/// notices, which stand for the metadata log and are never timed out this way).
const DEFAULT_REQUEST_TIMEOUT_MS: Millis = 30_000;

impl Cluster {
    /// Whether a message from `from` to `to` lost now is lost silently: outages black-hole
    /// messages, both ends are up, and the loss is the network's.
    pub(super) fn lost_silently(&self, from: NodeId, to: NodeId) -> bool {
        self.black_hole && self.is_up(from) && self.is_up(to) && !self.reachable(from, to)
    }

    /// `requester`'s request to `peer` was lost silently: it times out after the requester's
    /// `request.timeout.ms`, counted from the loss (Kafka counts from the send, at most a long
    /// poll's wait earlier), unless an earlier loss on the same connection already set the time.
    pub(super) fn await_timeout(&mut self, requester: NodeId, peer: NodeId) {
        let deadline = self.now.saturating_add(self.request_timeout_of(requester));
        self.timeouts.entry((requester, peer)).or_insert(deadline);
    }

    /// The earliest request timeout due by `until`.
    pub(super) fn next_timeout(&self, until: Millis) -> Option<((NodeId, NodeId), Millis)> {
        self.timeouts.iter().filter(|(_, d)| **d <= until).min_by_key(|(key, d)| (**d, **key)).map(|(k, d)| (*k, *d))
    }

    /// The request times out: the clock moves to its deadline, and the requester learns that
    /// its connection to `peer` is closed.
    pub(super) fn time_out(&mut self, requester: NodeId, peer: NodeId) -> StepOutputs {
        let Some(deadline) = self.timeouts.remove(&(requester, peer)) else { return Vec::new() };
        self.now = self.now.max(deadline);
        if !self.is_up(requester) {
            return Vec::new();
        }
        self.step_node(requester, Input::Disconnected(peer))
    }

    /// A node crashed: what it waited on, and what waited on it, is gone with its connections.
    pub(super) fn forget_timeouts(&mut self, node: NodeId) {
        self.timeouts.retain(|(requester, peer), _| *requester != node && *peer != node);
    }

    /// `requester` closed its connection to `peer`: nothing on it times out any more.
    pub(super) fn forget_timeout(&mut self, requester: NodeId, peer: NodeId) {
        self.timeouts.remove(&(requester, peer));
    }

    /// Requests lost silently and not yet timed out, with when each times out.
    pub fn pending_timeouts(&self) -> impl Iterator<Item = (NodeId, NodeId, Millis)> + '_ {
        self.timeouts.iter().map(|((r, p), d)| (*r, *p, *d))
    }

    fn request_timeout_of(&self, node: NodeId) -> Millis {
        match node {
            NodeId::Consumer(c) => self.consumers.get(c as usize).map(|c| c.config().request_timeout_ms),
            NodeId::Broker(b) => match self.brokers.get(&b) {
                Some(BrokerSlot::Running(broker)) => Some(broker.config().request_timeout_ms),
                Some(BrokerSlot::Crashed { config, .. }) => Some(config.request_timeout_ms),
                None => None,
            },
            NodeId::Producer => Some(self.producer.config().request_timeout_ms),
            NodeId::Controller => None,
        }
        .unwrap_or(DEFAULT_REQUEST_TIMEOUT_MS)
    }
}
