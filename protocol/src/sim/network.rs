//! The simulated network: one FIFO queue per directed connection (Kafka runs over TCP).

use std::collections::{BTreeMap, VecDeque};

use crate::messages::Message;
use crate::types::{Millis, NodeId};

/// A directed connection.
pub type Link = (NodeId, NodeId);

/// Messages in flight, per connection, in send order, each with the time it arrives (a message
/// pushed without a delay has arrived at once).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Network {
    queues: BTreeMap<Link, VecDeque<(Message, Millis)>>,
}

impl Network {
    /// Queue a message at the tail of `from -> to`. A `PartitionChange` replaces any older one
    /// still queued on the connection: KRaft brokers apply metadata as the delta between two
    /// images, so changes published before a broker catches up reach it as one (the model's
    /// step rule too; `docs/model.md` says why it keeps every behaviour).
    pub fn push(&mut self, from: NodeId, to: NodeId, message: Message) {
        self.push_arriving(from, to, message, 0);
    }

    /// Queue a message at the tail of `from -> to` that arrives at `arrives` (simulated time).
    /// A connection delivers in order, so it arrives no sooner than the message ahead of it.
    pub fn push_arriving(&mut self, from: NodeId, to: NodeId, message: Message, arrives: Millis) {
        let queue = self.queues.entry((from, to)).or_default();
        let mut arrives = arrives;
        if matches!(message, Message::PartitionChange(_)) {
            // The broker that catches up when the older change arrives finds the newer one in
            // the metadata log already: the replacement arrives no later than what it replaces.
            queue.retain(|(queued, at)| {
                let change = matches!(queued, Message::PartitionChange(_));
                if change {
                    arrives = arrives.min(*at);
                }
                !change
            });
        }
        let arrives = queue.back().map_or(arrives, |(_, last)| arrives.max(*last));
        queue.push_back((message, arrives));
    }

    /// Take the head of `from -> to`.
    pub fn pop(&mut self, from: NodeId, to: NodeId) -> Option<Message> {
        let queue = self.queues.get_mut(&(from, to))?;
        let message = queue.pop_front().map(|(m, _)| m);
        if queue.is_empty() {
            self.queues.remove(&(from, to));
        }
        message
    }

    /// The head of `from -> to`, without taking it.
    pub fn peek(&self, from: NodeId, to: NodeId) -> Option<&Message> {
        self.queues.get(&(from, to)).and_then(VecDeque::front).map(|(m, _)| m)
    }

    /// Connections with messages waiting, in a fixed order.
    pub fn busy_links(&self) -> impl Iterator<Item = Link> + '_ {
        self.queues.keys().copied()
    }

    /// The messages waiting on one connection.
    pub fn queue(&self, from: NodeId, to: NodeId) -> impl Iterator<Item = &Message> {
        self.queues.get(&(from, to)).into_iter().flatten().map(|(m, _)| m)
    }

    /// Drop every message on connections for which `keep` is false (a connection reset), and
    /// return them with their connections, in connection order.
    pub fn reset_links(&mut self, mut keep: impl FnMut(Link) -> bool) -> Vec<(Link, Message)> {
        let mut dropped = Vec::new();
        self.queues.retain(|link, queue| {
            let kept = keep(*link);
            if !kept {
                dropped.extend(queue.drain(..).map(|(m, _)| (*link, m)));
            }
            kept
        });
        dropped
    }

    /// Messages in flight in total.
    pub fn len(&self) -> usize {
        self.queues.values().map(VecDeque::len).sum()
    }

    /// Whether nothing is in flight.
    pub fn is_empty(&self) -> bool {
        self.queues.is_empty()
    }

    /// The first busy link strictly after `after` in link order, wrapping around: fair round robin.
    pub fn next_link_after(&self, after: Option<Link>) -> Option<Link> {
        self.next_arrived_after(after, Millis::MAX)
    }

    /// The first link strictly after `after` in link order, wrapping around, whose head message
    /// has arrived by `now`.
    pub fn next_arrived_after(&self, after: Option<Link>, now: Millis) -> Option<Link> {
        let arrived = |(link, queue): (&Link, &VecDeque<(Message, Millis)>)| {
            queue.front().is_some_and(|(_, at)| *at <= now).then_some(*link)
        };
        let mut links = self.queues.iter().filter_map(arrived);
        match after {
            Some(cursor) => self
                .queues
                .range((std::ops::Bound::Excluded(cursor), std::ops::Bound::Unbounded))
                .find_map(arrived)
                .or_else(|| links.next()),
            None => links.next(),
        }
    }

    /// The link whose head message arrives soonest, and when (ties by link order).
    pub fn next_arrival(&self) -> Option<(Link, Millis)> {
        self.queues
            .iter()
            .filter_map(|(link, queue)| queue.front().map(|(_, at)| (*link, *at)))
            .min_by_key(|(link, at)| (*at, *link))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::messages::{MetadataRequest, PartitionChange};

    fn change(partition_epoch: i32) -> Message {
        Message::PartitionChange(PartitionChange {
            leader: 1,
            leader_epoch: 0,
            partition_epoch,
            isr: vec![1],
            replicas: Vec::new(),
        })
    }

    #[test]
    fn a_newer_partition_change_replaces_the_queued_one_and_keeps_other_messages() {
        let mut network = Network::default();
        let (controller, broker) = (NodeId::Controller, NodeId::Broker(1));
        network.push(controller, broker, change(1));
        network.push(controller, broker, Message::Metadata(MetadataRequest {}));
        network.push(controller, broker, change(2));
        let queued: Vec<&Message> = network.queue(controller, broker).collect();
        assert_eq!(queued, vec![&Message::Metadata(MetadataRequest {}), &change(2)]);
    }
}
