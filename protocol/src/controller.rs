//! The controller: the only writer of leader, leader epoch and ISR (KRaft, KIP-497, KIP-841).
//!
//! | input | handler | source |
//! |---|---|---|
//! | `Start` | publishes the initial state | KRaft partition creation |
//! | `BrokerFenced(b)` | `on_broker_fenced`: drop `b` from the ISR, re-elect if it led | `ReplicationControlManager.handleBrokerFenced` |
//! | `BrokerUnfenced(b)` | `on_broker_unfenced`: elect `b` if the partition is offline and `b` may lead | `handleBrokerUnfenced` |
//! | `BrokerReconnected(b)` | sends `b` the partition state it missed while cut off | the broker's metadata fetch (`KafkaRaftClient`) |
//! | `AlterPartition` | `on_alter_partition` | `ReplicationControlManager.alterPartition` |
//! | `Metadata` | `on_metadata` | `MetadataResponse` from the metadata image |
//!
//! Every change bumps the partition epoch and is sent to every unfenced replica as a
//! [`PartitionChange`]; a fenced broker gets the current state when it is unfenced.

use std::collections::BTreeSet;

use crate::config::ControllerConfig;
use crate::errors::ErrorCode;
use crate::messages::{AlterPartitionRequest, AlterPartitionResponse, Message, MetadataResponse, PartitionChange};
use crate::node::{IgnoreReason, Input, Outbox, Output};
use crate::types::{BrokerId, LeaderEpoch, Millis, NodeId, PartitionEpoch};

/// The controller's partition record.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Controller {
    config: ControllerConfig,
    leader: Option<BrokerId>,
    leader_epoch: LeaderEpoch,
    partition_epoch: PartitionEpoch,
    isr: BTreeSet<BrokerId>,
    fenced: BTreeSet<BrokerId>,
}

impl Controller {
    /// A controller whose partition starts with the first replica leading, epoch 0, all in the ISR.
    pub fn new(config: ControllerConfig) -> Self {
        let leader = config.replicas.first().map(|r| r.broker_id);
        let isr = config.replicas.iter().map(|r| r.broker_id).collect();
        Controller { config, leader, leader_epoch: 0, partition_epoch: 0, isr, fenced: BTreeSet::new() }
    }

    /// Step the controller with one input at time `now`.
    pub fn handle(&mut self, _now: Millis, input: Input) -> Vec<Output> {
        let mut out = Outbox::default();
        match input {
            Input::Start => self.publish(&mut out),
            Input::BrokerFenced(broker) => self.on_broker_fenced(broker, &mut out),
            Input::BrokerUnfenced(broker) => self.on_broker_unfenced(broker, &mut out),
            // A KRaft broker replicates the metadata log by fetching it from the controller
            // quorum (Kafka 4.4.0 `KafkaRaftClient`, the broker's `MetadataLoader`): once its
            // connection is back it fetches what it missed, here the partition's state.
            Input::BrokerReconnected(broker) if self.is_replica(broker) => {
                out.send(NodeId::Broker(broker), Message::PartitionChange(self.notice()))
            }
            Input::Message { from, message: Message::AlterPartition(request) } => {
                self.on_alter_partition(from, request, &mut out)
            }
            Input::Message { from, message: Message::Metadata(_) } => self.on_metadata(from, &mut out),
            _ => out.ignore(IgnoreReason::NotForThisNode),
        }
        out.drain()
    }

    fn is_replica(&self, broker: BrokerId) -> bool {
        self.config.replicas.iter().any(|r| r.broker_id == broker)
    }

    /// Fencing removes the broker from the ISR unless it is the last member (KIP-841; the last
    /// member stays so that it can lead again), and elects a new leader if it led.
    fn on_broker_fenced(&mut self, broker: BrokerId, out: &mut Outbox) {
        if !self.is_replica(broker) || !self.fenced.insert(broker) {
            return out.ignore(IgnoreReason::NotReady);
        }
        // `handleBrokerFenced` writes a `PartitionChangeRecord` only for
        // `partitionsWithBrokerInIsr`, and `PartitionChangeBuilder` only when something changes.
        if !self.isr.contains(&broker) {
            return;
        }
        let shrinks = self.isr.len() > 1;
        if shrinks {
            self.isr.remove(&broker);
        }
        let leads = self.leader == Some(broker);
        if leads {
            self.elect_leader();
        }
        if shrinks || leads {
            self.partition_epoch += 1;
            self.publish(out);
        }
    }

    /// An unfenced broker gets the current state; it is elected if the partition has no leader
    /// and it may lead (in the ISR, or any replica with unclean election).
    fn on_broker_unfenced(&mut self, broker: BrokerId, out: &mut Outbox) {
        if !self.is_replica(broker) || !self.fenced.remove(&broker) {
            return out.ignore(IgnoreReason::NotReady);
        }
        if self.leader.is_none() {
            self.elect_leader();
            if self.leader.is_some() {
                self.partition_epoch += 1;
                return self.publish(out);
            }
        }
        out.send(NodeId::Broker(broker), Message::PartitionChange(self.notice()));
    }

    /// Pick the first unfenced ISR member in assignment order; with unclean election, any
    /// unfenced replica. Every election bumps the leader epoch, even one that finds no leader.
    fn elect_leader(&mut self) {
        let unfenced = |id: &BrokerId| !self.fenced.contains(id);
        let clean = self.config.replicas.iter().map(|r| r.broker_id).find(|id| self.isr.contains(id) && unfenced(id));
        let unclean = || self.config.replicas.iter().map(|r| r.broker_id).find(|id| unfenced(id));
        let chosen = match clean {
            Some(id) => Some(id),
            None if self.config.unclean_leader_election => unclean(),
            None => None,
        };
        if let Some(id) = chosen {
            if !self.isr.contains(&id) {
                self.isr = BTreeSet::from([id]);
            }
        }
        if chosen != self.leader || chosen.is_some() {
            self.leader_epoch += 1;
        }
        self.leader = chosen;
    }

    /// Validate and apply a leader's ISR change. Source: `ReplicationControlManager.alterPartition`.
    fn on_alter_partition(&mut self, from: NodeId, request: AlterPartitionRequest, out: &mut Outbox) {
        // Kafka 4.4.0 `ReplicationControlManager.validateAlterPartitionData`, in its order. A
        // retry of a change already applied is refused like any stale request: its leader keeps
        // the change pending until the partition change it caused arrives.
        let error = if request.leader_epoch > self.leader_epoch || request.partition_epoch > self.partition_epoch {
            Some(ErrorCode::NOT_CONTROLLER)
        } else if request.leader_epoch < self.leader_epoch {
            Some(ErrorCode::FENCED_LEADER_EPOCH)
        } else if from != NodeId::Broker(request.broker_id) || self.leader != Some(request.broker_id) {
            Some(ErrorCode::INVALID_REQUEST)
        } else if request.partition_epoch < self.partition_epoch {
            Some(ErrorCode::INVALID_UPDATE_VERSION)
        } else if !request.new_isr.contains(&request.broker_id) || request.new_isr.iter().any(|b| !self.is_replica(*b))
        {
            Some(ErrorCode::INVALID_REQUEST)
        } else if request.new_isr.iter().any(|b| self.fenced.contains(b)) {
            Some(ErrorCode::INELIGIBLE_REPLICA)
        } else {
            None
        };
        let changes = !self.isr.iter().eq(request.new_isr.iter());
        if error.is_none() && changes {
            self.isr = request.new_isr.iter().copied().collect();
            self.partition_epoch += 1;
        }
        let response = AlterPartitionResponse {
            error_code: error.unwrap_or(ErrorCode::NONE),
            leader_id: self.leader.unwrap_or(-1),
            leader_epoch: self.leader_epoch,
            isr: self.isr.iter().copied().collect(),
            partition_epoch: self.partition_epoch,
            request_partition_epoch: request.partition_epoch,
            requested_isr: request.new_isr,
        };
        out.send(from, Message::AlterPartitionResponse(response));
        if error.is_none() && changes {
            self.publish(out);
        }
    }

    fn on_metadata(&self, from: NodeId, out: &mut Outbox) {
        let response = MetadataResponse {
            leader_id: self.leader.unwrap_or(-1),
            leader_epoch: self.leader_epoch,
            replicas: self.config.replicas.clone(),
            isr_nodes: self.isr.iter().copied().collect(),
            offline_replicas: self.fenced.iter().copied().collect(),
        };
        out.send(from, Message::MetadataResponse(response));
    }

    fn notice(&self) -> PartitionChange {
        PartitionChange {
            leader: self.leader.unwrap_or(-1),
            leader_epoch: self.leader_epoch,
            partition_epoch: self.partition_epoch,
            isr: self.isr.iter().copied().collect(),
            replicas: self.config.replicas.clone(),
        }
    }

    fn publish(&self, out: &mut Outbox) {
        let notice = self.notice();
        for replica in &self.config.replicas {
            if !self.fenced.contains(&replica.broker_id) {
                out.send(NodeId::Broker(replica.broker_id), Message::PartitionChange(notice.clone()));
            }
        }
    }

    // --- getters ---

    /// The elected leader, if any.
    pub fn leader(&self) -> Option<BrokerId> {
        self.leader
    }

    /// The current leader epoch.
    pub fn leader_epoch(&self) -> LeaderEpoch {
        self.leader_epoch
    }

    /// The current partition epoch.
    pub fn partition_epoch(&self) -> PartitionEpoch {
        self.partition_epoch
    }

    /// The ISR, sorted.
    pub fn isr(&self) -> Vec<BrokerId> {
        self.isr.iter().copied().collect()
    }

    /// Fenced brokers, sorted.
    pub fn fenced(&self) -> Vec<BrokerId> {
        self.fenced.iter().copied().collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::messages::ReplicaInfo;

    fn controller() -> Controller {
        let replicas =
            (1..=3).map(|id| ReplicaInfo { broker_id: id, rack: Some(format!("r{id}")) }).collect::<Vec<_>>();
        Controller::new(ControllerConfig { replicas, unclean_leader_election: false })
    }

    fn notices(outputs: &[Output]) -> Vec<(NodeId, PartitionChange)> {
        outputs
            .iter()
            .filter_map(|o| match o {
                Output::Send { to, message: Message::PartitionChange(n) } => Some((*to, n.clone())),
                _ => None,
            })
            .collect()
    }

    fn alter(
        c: &mut Controller,
        from: BrokerId,
        epoch: i32,
        partition_epoch: i32,
        isr: Vec<BrokerId>,
    ) -> AlterPartitionResponse {
        let request = AlterPartitionRequest { broker_id: from, leader_epoch: epoch, partition_epoch, new_isr: isr };
        let out = c.handle(0, Input::Message { from: NodeId::Broker(from), message: Message::AlterPartition(request) });
        out.iter()
            .find_map(|o| match o {
                Output::Send { message: Message::AlterPartitionResponse(r), .. } => Some(r.clone()),
                _ => None,
            })
            .expect("a response")
    }

    #[test]
    fn start_publishes_to_every_replica() {
        let mut c = controller();
        let sent = notices(&c.handle(0, Input::Start));
        assert_eq!(sent.len(), 3);
        assert!(sent.iter().all(|(_, n)| n.leader == 1 && n.leader_epoch == 0 && n.isr == vec![1, 2, 3]));
    }

    #[test]
    fn leader_failure_elects_from_the_isr_and_bumps_the_epoch() {
        let mut c = controller();
        let sent = notices(&c.handle(0, Input::BrokerFenced(1)));
        assert_eq!((c.leader(), c.leader_epoch(), c.isr()), (Some(2), 1, vec![2, 3]));
        assert_eq!(sent.iter().map(|(to, _)| *to).collect::<Vec<_>>(), vec![NodeId::Broker(2), NodeId::Broker(3)]);
    }

    /// Kafka 4.4.0 `ReplicationControlManager.handleBrokerFenced` changes only the partitions
    /// whose ISR holds the broker: fencing a replica outside the ISR keeps the partition epoch, so
    /// an AlterPartition in flight is not made stale by it.
    #[test]
    fn fencing_a_broker_outside_the_isr_keeps_the_partition_epoch() {
        let mut c = controller();
        assert_eq!(alter(&mut c, 1, 0, 0, vec![1, 2]).error_code, ErrorCode::NONE);
        let sent = notices(&c.handle(0, Input::BrokerFenced(3)));
        assert!(sent.is_empty(), "{sent:?}");
        assert_eq!((c.partition_epoch(), c.isr()), (1, vec![1, 2]));
        assert_eq!(alter(&mut c, 1, 0, 1, vec![1]).error_code, ErrorCode::NONE);
    }

    #[test]
    fn last_isr_member_stays_and_leads_again_when_unfenced() {
        let mut c = controller();
        assert_eq!(alter(&mut c, 1, 0, 0, vec![1]).error_code, ErrorCode::NONE);
        c.handle(0, Input::BrokerFenced(1));
        assert_eq!((c.leader(), c.isr()), (None, vec![1]), "no clean candidate: offline");
        let epoch = c.leader_epoch();
        c.handle(0, Input::BrokerUnfenced(2));
        assert_eq!(c.leader(), None, "no unclean election unless configured");
        let sent = notices(&c.handle(0, Input::BrokerUnfenced(1)));
        assert_eq!((c.leader(), c.leader_epoch()), (Some(1), epoch + 1));
        assert_eq!(sent.len(), 3);
    }

    #[test]
    fn unclean_election_when_configured() {
        let mut c = controller();
        c.config.unclean_leader_election = true;
        alter(&mut c, 1, 0, 0, vec![1]);
        c.handle(0, Input::BrokerFenced(1));
        c.handle(0, Input::BrokerFenced(2));
        c.handle(0, Input::BrokerFenced(3));
        c.handle(0, Input::BrokerUnfenced(3));
        assert_eq!((c.leader(), c.isr()), (Some(3), vec![3]));
    }

    #[test]
    fn alter_partition_rejections() {
        let mut c = controller();
        // Kafka 4.4.0 `ReplicationControlManager.validateAlterPartitionData`, in its order.
        assert_eq!(alter(&mut c, 1, 5, 0, vec![1, 2]).error_code, ErrorCode::NOT_CONTROLLER, "a newer leader epoch");
        assert_eq!(alter(&mut c, 2, 0, 7, vec![1, 2]).error_code, ErrorCode::NOT_CONTROLLER, "a newer partition epoch");
        assert_eq!(alter(&mut c, 2, 0, 0, vec![1, 2]).error_code, ErrorCode::INVALID_REQUEST, "not the leader");
        assert_eq!(alter(&mut c, 1, 0, 0, vec![2, 3]).error_code, ErrorCode::INVALID_REQUEST);
        c.handle(0, Input::BrokerFenced(3));
        let pe = c.partition_epoch();
        assert_eq!(alter(&mut c, 1, 0, pe, vec![1, 2, 3]).error_code, ErrorCode::INELIGIBLE_REPLICA);
        let ok = alter(&mut c, 1, 0, pe, vec![1]);
        assert_eq!((ok.error_code, ok.isr, ok.partition_epoch), (ErrorCode::NONE, vec![1], pe + 1));
    }

    /// Kafka 4.4.0 has no special case for a retry of a change already applied: it is stale like
    /// any request on an older partition epoch, and its leader waits for the partition change.
    #[test]
    fn a_retry_of_an_applied_change_is_stale_like_any_other() {
        let mut c = controller();
        assert_eq!(alter(&mut c, 1, 0, 0, vec![1, 2]).error_code, ErrorCode::NONE);
        assert_eq!(alter(&mut c, 1, 0, 0, vec![1, 2]).error_code, ErrorCode::INVALID_UPDATE_VERSION);
        assert_eq!(alter(&mut c, 1, 0, 0, vec![1, 3]).error_code, ErrorCode::INVALID_UPDATE_VERSION);
        assert_eq!((c.isr(), c.partition_epoch()), (vec![1, 2], 1));
    }

    #[test]
    fn metadata_reports_offline_replicas() {
        let mut c = controller();
        c.handle(0, Input::BrokerFenced(3));
        let out =
            c.handle(0, Input::Message { from: NodeId::Consumer(0), message: Message::Metadata(Default::default()) });
        let Output::Send { to, message: Message::MetadataResponse(m) } = &out[0] else { panic!("{out:?}") };
        assert_eq!((*to, m.leader_id, m.offline_replicas.clone()), (NodeId::Consumer(0), 1, vec![3]));
    }
}
