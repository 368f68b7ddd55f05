//! The environment's step rules: how a step of a run unfolds around the action it names.
//! The model and the protocol adapter both follow them, so a trace means the same on both sides.
//!
//! - Requests, and every answer to a client (consumers and the producer), are delivered within
//!   the step that sends them, first connection first ([`is_eager`], [`first_eager`]), at most
//!   [`SETTLE_BOUND`] of them: each client waits out a backoff before it asks again, so a step
//!   settles; the bound turns a node that retries without one into a clear failure.
//! - What stays in flight between steps is the asynchrony replication depends on: answers
//!   between brokers, and the controller's partition changes.
//! - An answer or partition change a running broker can never act on is taken at once
//!   ([`outdated_at_broker`]).
//! - A broker's queue from the controller keeps only the newest partition change
//!   ([`coalesce_partition_changes`]).
//! - A message lost with its connection tells the requester first, then the responder
//!   ([`reset_order`]).
//!
//! `docs/model.md` says why each is sound. The protocol crate's `sim::Cluster` carries its own
//! copy of the last two, as the implementation's environment; conformance checks they agree.

use std::collections::VecDeque;

use crate::ids::{LeaderEpoch, NodeId, PartitionEpoch};
use crate::message::Message;

/// How many eager deliveries one step may take before it is a failure of the node that keeps
/// asking.
pub const SETTLE_BOUND: usize = 64;

/// Whether `message` from `from` to `to` is delivered in the step that sends it: a request, or
/// an answer to a client from the controller or a broker.
pub fn is_eager(from: NodeId, to: NodeId, message: &Message) -> bool {
    let to_client =
        matches!(to, NodeId::Consumer(_) | NodeId::Producer) && matches!(from, NodeId::Controller | NodeId::Broker(_));
    message.is_request() || to_client
}

/// The first connection, in the order given, whose head message is eager.
pub fn first_eager<'m>(heads: impl IntoIterator<Item = (NodeId, NodeId, &'m Message)>) -> Option<(NodeId, NodeId)> {
    heads.into_iter().find(|(from, to, message)| is_eager(*from, *to, message)).map(|(from, to, _)| (from, to))
}

/// The ends of a connection that lost `message` from `from` to `to`, in the order they learn
/// of the reset: the requester first (it retries), then the responder (it forgets what it kept
/// for the request).
pub fn reset_order(from: NodeId, to: NodeId, message: &Message) -> [(NodeId, NodeId); 2] {
    let (requester, responder) = if message.is_request() { (from, to) } else { (to, from) };
    [(requester, responder), (responder, requester)]
}

/// Drop every partition change queued behind a newer one. KRaft brokers apply metadata as a
/// delta between images, so records published together reach the partition as one change;
/// every change a broker applies before the next is published is still explored.
pub fn coalesce_partition_changes(queue: &mut VecDeque<Message>) {
    let is_change = |m: &Message| matches!(m, Message::PartitionChange { .. });
    if queue.iter().filter(|m| is_change(m)).count() > 1 {
        let newest = queue.iter().rposition(is_change).expect("counted above");
        let mut index = 0;
        queue.retain(|m| {
            index += 1;
            !is_change(m) || index - 1 == newest
        });
    }
}

/// Whether a message on its way to a running broker can never change it, judged by the epochs it
/// carries against the broker's `held` (leader epoch, partition epoch): an answer (fetch or
/// AlterPartition) to a request made in a leader epoch older than the broker's now, or a
/// partition change no newer than the one it holds. A broker's epochs only grow while it runs, so
/// this stays true until the message arrives. The model takes such a message off its queue at
/// once, and the protocol adapter delivers it at once.
pub fn outdated_at_broker(message_epochs: MessageEpochs, held: (LeaderEpoch, PartitionEpoch)) -> bool {
    let (leader_epoch, partition_epoch) = held;
    match message_epochs {
        MessageEpochs::Answer { request_epoch } => request_epoch < leader_epoch,
        MessageEpochs::PartitionChange { leader_epoch: epoch, partition_epoch: change } => {
            epoch < leader_epoch || (epoch == leader_epoch && change <= partition_epoch)
        }
    }
}

/// The epochs a message to a broker carries, for [`outdated_at_broker`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MessageEpochs {
    /// An answer to a request the broker made in `request_epoch`.
    Answer {
        /// The leader epoch the request was made in.
        request_epoch: LeaderEpoch,
    },
    /// A partition change naming these epochs.
    PartitionChange {
        /// Its leader epoch.
        leader_epoch: LeaderEpoch,
        /// Its partition epoch.
        partition_epoch: PartitionEpoch,
    },
}

impl Message {
    /// The epochs [`outdated_at_broker`] judges, for the messages a broker may have to ignore.
    pub fn epochs_for_broker(&self) -> Option<MessageEpochs> {
        match *self {
            Message::FetchResponse { request_leader_epoch, .. } => {
                Some(MessageEpochs::Answer { request_epoch: request_leader_epoch })
            }
            Message::AlterPartitionResponse { leader_epoch, .. } => {
                Some(MessageEpochs::Answer { request_epoch: leader_epoch })
            }
            Message::PartitionChange { leader_epoch, partition_epoch, .. } => {
                Some(MessageEpochs::PartitionChange { leader_epoch, partition_epoch })
            }
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::{outdated_at_broker, MessageEpochs};

    #[test]
    fn an_answer_is_outdated_only_once_its_broker_is_in_a_newer_epoch() {
        let answer = MessageEpochs::Answer { request_epoch: 3 };
        assert!(outdated_at_broker(answer, (4, 0)));
        assert!(!outdated_at_broker(answer, (3, 9)), "the broker's epoch: still its answer");
        assert!(!outdated_at_broker(answer, (2, 0)), "a newer epoch the broker has not heard of yet");
        assert!(!outdated_at_broker(answer, (-1, -1)), "a restarted broker waits for its notice");
    }

    #[test]
    fn a_partition_change_is_outdated_once_its_broker_holds_it_or_newer() {
        let change = MessageEpochs::PartitionChange { leader_epoch: 3, partition_epoch: 5 };
        assert!(outdated_at_broker(change, (4, 0)), "an older leader epoch");
        assert!(outdated_at_broker(change, (3, 5)), "already held");
        assert!(outdated_at_broker(change, (3, 6)), "an older partition epoch");
        assert!(!outdated_at_broker(change, (3, 4)), "a newer partition epoch");
        assert!(!outdated_at_broker(change, (2, 9)), "a newer leader epoch");
    }
}
