//! The producer: acks=all, one request in flight. It retries on an error answer or when its
//! connection resets, never on its own: a spurious retry would write the value again, and
//! the model's logs would grow without bound.

use highwater_traces::{BrokerId, ErrorCode, LeaderEpoch, Message, NodeId, Offset, TimerKind, NO_BROKER, NO_EPOCH};

use crate::node::Env;

/// The producer's state.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct ProducerState {
    /// Leader from metadata.
    pub leader: BrokerId,
    /// Its epoch.
    pub leader_epoch: LeaderEpoch,
    /// Values not yet acknowledged, oldest first.
    pub unsent: Vec<u64>,
    /// The request outstanding: (to, value).
    pub in_flight: Option<(BrokerId, u64)>,
    /// Waiting out a backoff.
    pub backing_off: bool,
    /// A metadata request is outstanding.
    pub metadata_in_flight: bool,
    /// Acknowledged (value, offset).
    pub acked: Vec<(u64, Offset)>,
}

impl ProducerState {
    /// A producer asking for metadata.
    pub fn start(env: &mut Env) -> Self {
        env.send(NodeId::Controller, Message::Metadata);
        ProducerState {
            leader: NO_BROKER,
            leader_epoch: NO_EPOCH,
            unsent: Vec::new(),
            in_flight: None,
            backing_off: false,
            metadata_in_flight: true,
            acked: Vec::new(),
        }
    }

    /// The application sends a value.
    pub fn produce(&mut self, value: u64, env: &mut Env) {
        self.unsent.push(value);
        self.send_next(env);
    }

    /// The connection carrying our request or its answer reset: retry after a backoff.
    pub fn on_disconnect(&mut self, env: &mut Env) {
        if self.in_flight.take().is_some() {
            self.back_off(env);
        } else if self.metadata_in_flight {
            // `Metadata.failedUpdate`: asked again after `retry.backoff.ms`.
            self.metadata_in_flight = false;
            env.set_timer(TimerKind::MetadataRetry);
        }
    }

    fn request_metadata(&mut self, env: &mut Env) {
        if !self.metadata_in_flight {
            self.metadata_in_flight = true;
            env.send(NodeId::Controller, Message::Metadata);
        }
    }

    fn send_next(&mut self, env: &mut Env) {
        if self.in_flight.is_some() || self.backing_off {
            return;
        }
        let Some(&value) = self.unsent.first() else { return };
        if self.leader == NO_BROKER {
            return self.back_off(env);
        }
        self.in_flight = Some((self.leader, value));
        env.send(NodeId::Broker(self.leader), Message::Produce { value });
    }

    /// Wait out `retry.backoff.ms`, then ask for metadata and retry where it points. The leader
    /// known now is forgotten: the retry goes where the metadata of the moment of the retry
    /// points, as Kafka's sender picks a batch's leader when it drains it. (Asking now and
    /// retrying later would add a staleness the first send already has, and a state per leader
    /// seen while waiting.)
    fn back_off(&mut self, env: &mut Env) {
        self.backing_off = true;
        self.leader = NO_BROKER;
        self.leader_epoch = NO_EPOCH;
        env.set_timer(TimerKind::ProduceRetry);
    }

    /// A message arrives.
    pub fn on_message(&mut self, from: NodeId, message: Message, env: &mut Env) {
        match (from, message) {
            (NodeId::Controller, Message::MetadataResponse { leader_id, leader_epoch, .. }) => {
                self.metadata_in_flight = false;
                if leader_epoch >= self.leader_epoch {
                    self.leader = leader_id;
                    self.leader_epoch = leader_epoch;
                    self.send_next(env);
                }
            }
            (
                NodeId::Broker(b),
                Message::ProduceResponse { error_code, base_offset, value, leader_id, leader_epoch },
            ) => {
                if self.in_flight != Some((b, value)) {
                    return;
                }
                self.in_flight = None;
                // KIP-951: a refusal for leadership names the leader the broker knows; Kafka's
                // `Sender` takes it and retries there at once (`RecordAccumulator.shouldBackoff`),
                // asking for metadata as well.
                let leadership =
                    matches!(error_code, ErrorCode::NOT_LEADER_OR_FOLLOWER | ErrorCode::FENCED_LEADER_EPOCH);
                if error_code == ErrorCode::NONE {
                    self.unsent.remove(0);
                    self.acked.push((value, base_offset));
                    self.send_next(env);
                } else if leadership && leader_id != NO_BROKER && leader_epoch > self.leader_epoch {
                    self.leader = leader_id;
                    self.leader_epoch = leader_epoch;
                    self.request_metadata(env);
                    self.send_next(env);
                } else {
                    self.back_off(env);
                }
            }
            _ => {}
        }
    }

    /// A timer fires.
    pub fn on_timer(&mut self, timer: TimerKind, env: &mut Env) {
        match timer {
            TimerKind::ProduceRetry => {
                self.backing_off = false;
                // The answer comes within this step and sends the retry.
                self.request_metadata(env);
            }
            TimerKind::MetadataRetry => self.request_metadata(env),
            _ => {}
        }
    }
}
