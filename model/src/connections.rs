//! Connections that reset: a crash or a cut loses what is in flight across it and the
//! requests parked on it, and both ends learn of it, as Kafka's clients and brokers see a
//! connection close.

use highwater_traces::observe::{reset_order, SETTLE_BOUND};
use highwater_traces::{BrokerId, Fate, Message, NodeId};
use stateright::actor::Id;

use crate::cluster::{ClusterModel, ClusterState};

impl ClusterModel {
    /// Drop every message whose ends cannot talk (crashed, or across a cut), as connections
    /// reset, and tell each live requester whose request or answer was lost.
    pub(crate) fn reset_connections(&self, state: &mut ClusterState) {
        // With nothing cut and every broker up, every link and every parked request has both
        // ends able to talk: there is nothing to reset.
        if state.cut.is_empty() && self.cfg.broker_ids().all(|b| self.alive(state, NodeId::Broker(b))) {
            return;
        }
        let layout = self.layout;
        // A node told of a reset may send again at once (a consumer asks for metadata); what it
        // sends across the same cut is lost too, so this runs until no such link is left.
        for _ in 0..SETTLE_BOUND {
            let dead: Vec<(Id, Id)> = Self::channels(state)
                .keys()
                .copied()
                .filter(|(src, dst)| {
                    let (a, b) = (layout.node(*src), layout.node(*dst));
                    !self.alive(state, a) || !self.alive(state, b) || !self.reachable(state, a, b)
                })
                .collect();
            if dead.is_empty() {
                break;
            }
            for link in dead {
                let lost = Self::channels_mut(state).remove(&link).unwrap_or_default();
                for message in &lost {
                    self.record(layout.node(link.0), layout.node(link.1), Fate::Lost, message);
                    self.lost(state, layout.node(link.0), layout.node(link.1), message);
                }
            }
        }
        for broker in self.cfg.broker_ids() {
            if self.alive(state, NodeId::Broker(broker)) {
                let here = NodeId::Broker(broker);
                let cut_off: Vec<NodeId> = self
                    .parked_at(state, broker)
                    .into_iter()
                    .filter(|n| !self.alive(state, *n) || !self.reachable(state, here, *n))
                    .collect();
                self.drop_parked(state, broker, &cut_off);
            }
        }
    }

    /// Who has a request parked at `broker`: consumers and followers (long poll), and the
    /// producer waiting for an acknowledgement.
    pub(crate) fn parked_at(&self, state: &ClusterState, broker: BrokerId) -> Vec<NodeId> {
        let Some(b) = self.broker(state, broker) else { return Vec::new() };
        let consumers = b.parked_consumers.iter().map(|p| NodeId::Consumer(p.consumer));
        let followers = b.followers.iter().filter(|f| f.parked.is_some()).map(|f| NodeId::Broker(f.id));
        let producer = (!b.pending_acks.is_empty()).then_some(NodeId::Producer);
        consumers.chain(followers).chain(producer).collect()
    }

    /// A parked fetch is an open request on a connection: when the connection resets, the broker
    /// forgets it and the requester is told.
    pub(crate) fn drop_parked(&self, state: &mut ClusterState, broker: BrokerId, requesters: &[NodeId]) {
        if requesters.is_empty() {
            return;
        }
        self.set_broker(state, broker, |b| {
            let mut b = b.clone();
            b.parked_consumers.retain(|p| !requesters.contains(&NodeId::Consumer(p.consumer)));
            if requesters.contains(&NodeId::Producer) {
                // The records stay in the log, uncommitted; the producer retries them elsewhere.
                b.pending_acks.clear();
            }
            let followers: Vec<BrokerId> =
                requesters.iter().filter_map(|r| if let NodeId::Broker(f) = r { Some(*f) } else { None }).collect();
            b.renew_parked(&followers, &self.cfg);
            for f in &mut b.followers {
                if followers.contains(&f.id) {
                    f.parked = None;
                }
            }
            b
        });
        // The broker's end resets too: what it kept for each fetch session (the HW it last sent a
        // follower) is gone.
        if self.alive(state, NodeId::Broker(broker)) {
            for requester in requesters {
                self.with_node(state, NodeId::Broker(broker), |node, env| node.on_disconnect(*requester, env));
            }
        }
        for requester in requesters {
            if self.alive(state, *requester) {
                self.with_node(state, *requester, |node, env| node.on_disconnect(NodeId::Broker(broker), env));
            }
        }
    }

    /// `message` from `from` to `to` is lost with its connection: both ends learn of the reset,
    /// the requester first (it retries), then the responder (it forgets its fetch-session state).
    pub(crate) fn lost(&self, state: &mut ClusterState, from: NodeId, to: NodeId, message: &Message) {
        for (node, peer) in reset_order(from, to, message) {
            if self.alive(state, node) {
                self.with_node(state, node, |s, env| s.on_disconnect(peer, env));
            }
        }
    }
}
