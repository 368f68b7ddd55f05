//! The controller: elects from the ISR, bumps the leader epoch on every election, is the only
//! writer of the ISR, publishes every change (KRaft `ReplicationControlManager`, KIP-497, KIP-841).

use std::collections::BTreeSet;

use highwater_traces::{BrokerId, ErrorCode, LeaderEpoch, Message, NodeId, PartitionEpoch, ReplicaInfo, NO_BROKER};

use crate::node::Env;

/// The controller's partition record.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct ControllerState {
    /// Leader, or -1.
    pub leader: BrokerId,
    /// Leader epoch.
    pub leader_epoch: LeaderEpoch,
    /// Partition epoch.
    pub partition_epoch: PartitionEpoch,
    /// ISR.
    pub isr: BTreeSet<BrokerId>,
    /// Fenced brokers.
    pub fenced: BTreeSet<BrokerId>,
}

impl ControllerState {
    /// No partition record: no leader, no epoch, nobody in the ISR.
    pub(crate) const NONE: ControllerState = ControllerState {
        leader: highwater_traces::NO_BROKER,
        leader_epoch: -1,
        partition_epoch: -1,
        isr: BTreeSet::new(),
        fenced: BTreeSet::new(),
    };

    /// Broker 1 leads epoch 0 with every broker in the ISR; everyone is told.
    pub fn start(env: &mut Env) -> Self {
        let state = ControllerState {
            leader: 1,
            leader_epoch: 0,
            partition_epoch: 0,
            isr: env.cfg.broker_ids().collect(),
            fenced: BTreeSet::new(),
        };
        state.publish(env);
        state
    }

    /// A message from a broker or client.
    pub fn on_message(&mut self, from: NodeId, message: Message, env: &mut Env) {
        match message {
            Message::AlterPartition { broker_id, leader_epoch, partition_epoch, new_isr } => {
                self.on_alter_partition(from, broker_id, leader_epoch, partition_epoch, new_isr, env)
            }
            Message::Metadata => env.send(from, self.metadata(env)),
            _ => {}
        }
    }

    /// The failure detector fenced a broker: it leaves the ISR unless last; a leader is replaced.
    pub fn fence(&mut self, broker: BrokerId, env: &mut Env) {
        // Kafka 4.4.0 `ReplicationControlManager.handleBrokerFenced` writes a partition change
        // only where the broker is in the ISR, and only if the change alters something.
        if !self.fenced.insert(broker) || !self.isr.contains(&broker) {
            return;
        }
        let shrinks = self.isr.len() > 1;
        if shrinks {
            self.isr.remove(&broker);
        }
        let leads = self.leader == broker;
        if leads {
            self.elect();
        }
        if shrinks || leads {
            self.partition_epoch += 1;
            self.publish(env);
        }
    }

    /// A broker is back: an offline partition elects it if it may lead; it gets the state.
    pub fn unfence(&mut self, broker: BrokerId, env: &mut Env) {
        if !self.fenced.remove(&broker) {
            return;
        }
        if self.leader == NO_BROKER {
            self.elect();
            if self.leader != NO_BROKER {
                self.partition_epoch += 1;
                return self.publish(env);
            }
        }
        env.send(NodeId::Broker(broker), self.notice());
    }

    /// A broker the controller could not reach is reachable again: it catches up with the
    /// partition state it missed.
    pub fn catch_up(&mut self, broker: BrokerId, env: &mut Env) {
        env.send(NodeId::Broker(broker), self.notice());
    }

    fn elect(&mut self) {
        let chosen = self.isr.iter().copied().find(|b| !self.fenced.contains(b)).unwrap_or(NO_BROKER);
        if chosen != NO_BROKER || self.leader != NO_BROKER {
            self.leader_epoch += 1;
        }
        self.leader = chosen;
    }

    fn on_alter_partition(
        &mut self,
        from: NodeId,
        broker_id: BrokerId,
        leader_epoch: LeaderEpoch,
        partition_epoch: PartitionEpoch,
        new_isr: Vec<BrokerId>,
        env: &mut Env,
    ) {
        // Kafka 4.4.0 `ReplicationControlManager.validateAlterPartitionData`, in its order.
        let error = if leader_epoch > self.leader_epoch || partition_epoch > self.partition_epoch {
            ErrorCode::NOT_CONTROLLER
        } else if leader_epoch < self.leader_epoch {
            ErrorCode::FENCED_LEADER_EPOCH
        } else if from != NodeId::Broker(broker_id) || self.leader != broker_id {
            ErrorCode::INVALID_REQUEST
        } else if partition_epoch < self.partition_epoch {
            ErrorCode::INVALID_UPDATE_VERSION
        } else if !new_isr.contains(&broker_id) || !new_isr.iter().all(|b| env.cfg.broker_ids().any(|r| r == *b)) {
            ErrorCode::INVALID_REQUEST
        } else if new_isr.iter().any(|b| self.fenced.contains(b)) {
            ErrorCode::INELIGIBLE_REPLICA
        } else {
            ErrorCode::NONE
        };
        let changes = !self.isr.iter().eq(new_isr.iter());
        if error == ErrorCode::NONE && changes {
            self.isr = new_isr.iter().copied().collect();
            self.partition_epoch += 1;
        }
        env.send(
            from,
            Message::AlterPartitionResponse {
                error_code: error,
                leader_id: self.leader,
                leader_epoch: self.leader_epoch,
                isr: self.isr.iter().copied().collect(),
                partition_epoch: self.partition_epoch,
                request_partition_epoch: partition_epoch,
                requested_isr: new_isr,
            },
        );
        if error == ErrorCode::NONE && changes {
            self.publish(env);
        }
    }

    fn notice(&self) -> Message {
        Message::PartitionChange {
            leader: self.leader,
            leader_epoch: self.leader_epoch,
            partition_epoch: self.partition_epoch,
            isr: self.isr.iter().copied().collect(),
        }
    }

    fn metadata(&self, env: &Env) -> Message {
        Message::MetadataResponse {
            leader_id: self.leader,
            leader_epoch: self.leader_epoch,
            replicas: env
                .cfg
                .broker_ids()
                .map(|b| ReplicaInfo { broker_id: b, rack: Some(env.cfg.rack_of(b).to_string()) })
                .collect(),
            isr_nodes: self.isr.iter().copied().collect(),
            offline_replicas: self.fenced.iter().copied().collect(),
        }
    }

    fn publish(&self, env: &mut Env) {
        let notice = self.notice();
        let brokers: Vec<BrokerId> = env.cfg.broker_ids().filter(|b| !self.fenced.contains(b)).collect();
        for broker in brokers {
            env.send(NodeId::Broker(broker), notice.clone());
        }
    }
}
