//! The producer: acks=all, one request in flight (`max.in.flight.requests.per.connection=1`),
//! so records are written in the order the application sent them. Not idempotent: a retry after
//! a lost answer may write a value twice, as a non-idempotent Kafka producer can.

use std::collections::VecDeque;

use crate::config::ProducerConfig;
use crate::errors::ErrorCode;
use crate::messages::{Message, MetadataRequest, MetadataResponse, ProduceRequest, ProduceResponse};
use crate::node::{IgnoreReason, Input, Outbox, Output, TimerKind};
use crate::types::{BrokerId, LeaderEpoch, Millis, NodeId, Offset, NO_EPOCH};

/// The producer. Step it with [`Producer::handle`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Producer {
    config: ProducerConfig,
    leader: Option<BrokerId>,
    leader_epoch: LeaderEpoch,
    unsent: VecDeque<u64>,
    in_flight: Option<(BrokerId, u64)>,
    /// Waiting out `retry.backoff.ms` after an error: a metadata answer does not cut it short.
    backing_off: bool,
    acknowledged: Vec<(u64, Offset)>,
}

impl Producer {
    /// A producer that knows no leader yet.
    pub fn new(config: ProducerConfig) -> Self {
        Producer {
            config,
            leader: None,
            leader_epoch: NO_EPOCH,
            unsent: VecDeque::new(),
            in_flight: None,
            backing_off: false,
            acknowledged: Vec::new(),
        }
    }

    /// Its configuration.
    pub fn config(&self) -> &ProducerConfig {
        &self.config
    }

    /// Step the producer with one input at time `now`.
    pub fn handle(&mut self, _now: Millis, input: Input) -> Vec<Output> {
        let mut out = Outbox::default();
        match input {
            Input::Start => out.send(NodeId::Controller, Message::Metadata(MetadataRequest {})),
            Input::Produce(value) => self.on_produce(value, &mut out),
            Input::Timer(TimerKind::ProduceRetry) => self.on_retry_timeout(&mut out),
            Input::Timer(TimerKind::MetadataRetry) => {
                out.send(NodeId::Controller, Message::Metadata(MetadataRequest {}))
            }
            Input::Disconnected(peer) => self.on_disconnected(peer, &mut out),
            Input::Message { from: NodeId::Controller, message: Message::MetadataResponse(m) } => {
                self.on_metadata_response(m, &mut out)
            }
            Input::Message { from: NodeId::Broker(b), message: Message::ProduceResponse(r) } => {
                self.on_produce_response(b, r, &mut out)
            }
            _ => out.ignore(IgnoreReason::NotForThisNode),
        }
        out.drain()
    }

    fn on_produce(&mut self, value: u64, out: &mut Outbox) {
        self.unsent.push_back(value);
        self.send_next(out);
    }

    fn send_next(&mut self, out: &mut Outbox) {
        if self.in_flight.is_some() || self.backing_off {
            return;
        }
        let Some(&value) = self.unsent.front() else { return };
        let Some(leader) = self.leader else {
            return self.back_off(out);
        };
        self.in_flight = Some((leader, value));
        out.send(NodeId::Broker(leader), Message::Produce(ProduceRequest { acks: -1, value }));
        out.set_timer(TimerKind::ProduceRetry, self.config.request_timeout_ms);
    }

    fn on_metadata_response(&mut self, metadata: MetadataResponse, out: &mut Outbox) {
        if metadata.leader_epoch < self.leader_epoch {
            return out.ignore(IgnoreReason::StaleResponse);
        }
        self.leader_epoch = metadata.leader_epoch;
        self.leader = (metadata.leader_id >= 0).then_some(metadata.leader_id);
        self.send_next(out);
    }

    fn on_produce_response(&mut self, from: BrokerId, response: ProduceResponse, out: &mut Outbox) {
        if self.in_flight != Some((from, response.value)) {
            return out.ignore(IgnoreReason::StaleResponse);
        }
        self.in_flight = None;
        if response.error_code == ErrorCode::NONE {
            self.unsent.pop_front();
            self.acknowledged.push((response.value, response.base_offset));
            out.acknowledge(response.value, response.base_offset);
            out.cancel_timer(TimerKind::ProduceRetry);
            return self.send_next(out);
        }
        // KIP-951: a refusal for leadership names the leader the broker knows. Kafka 4.4.0's
        // `Sender` takes it (`Metadata.updatePartitionLeadership`) and the retry skips its
        // backoff when the leader changed (`RecordAccumulator.shouldBackoff`); metadata is still
        // asked for.
        let hint = response.current_leader;
        let leadership =
            matches!(response.error_code, ErrorCode::NOT_LEADER_OR_FOLLOWER | ErrorCode::FENCED_LEADER_EPOCH);
        if leadership && hint.leader_id >= 0 && hint.leader_epoch > self.leader_epoch {
            self.leader = Some(hint.leader_id);
            self.leader_epoch = hint.leader_epoch;
            out.send(NodeId::Controller, Message::Metadata(MetadataRequest {}));
            return self.send_next(out);
        }
        self.back_off(out);
    }

    /// The connection to `peer` reset: a produce outstanding to it failed (retried after a
    /// backoff, with the metadata of that moment); a lost metadata request is sent again.
    fn on_disconnected(&mut self, peer: NodeId, out: &mut Outbox) {
        match peer {
            NodeId::Broker(b) if self.in_flight.is_some_and(|(to, _)| to == b) => {
                self.in_flight = None;
                self.back_off(out);
            }
            // `Metadata.failedUpdate`: asked again after `retry.backoff.ms`.
            NodeId::Controller => out.set_timer(TimerKind::MetadataRetry, self.config.retry_backoff_ms),
            _ => out.ignore(IgnoreReason::StaleResponse),
        }
    }

    /// Wait out `retry.backoff.ms`; the retry then goes where fresh metadata points, as Kafka's
    /// sender picks a batch's leader when it drains the batch, not when the error came.
    fn back_off(&mut self, out: &mut Outbox) {
        self.backing_off = true;
        self.leader = None;
        out.set_timer(TimerKind::ProduceRetry, self.config.retry_backoff_ms);
    }

    fn on_retry_timeout(&mut self, out: &mut Outbox) {
        self.backing_off = false;
        let timed_out = self.in_flight.take();
        if timed_out.is_none() && self.unsent.is_empty() {
            return out.ignore(IgnoreReason::IdleTimer);
        }
        // A request that timed out closes its connection (`NetworkClient.handleTimedOutRequests`),
        // so its answer is lost rather than taken for the retry's (the same value, to the same
        // broker), and it is retried the same way.
        self.leader = None;
        if let Some((to, _)) = timed_out {
            out.disconnect(NodeId::Broker(to));
        }
        // The metadata answer sends the retry.
        out.send(NodeId::Controller, Message::Metadata(MetadataRequest {}));
    }

    /// Values acknowledged as committed, with their offsets.
    pub fn acknowledged(&self) -> &[(u64, Offset)] {
        &self.acknowledged
    }

    /// Values sent by the application and not yet acknowledged, oldest first.
    pub fn unacknowledged(&self) -> Vec<u64> {
        self.unsent.iter().copied().collect()
    }

    /// Whether a produce request is outstanding: its `ProduceRetry` timer is then its request
    /// timeout.
    pub fn request_outstanding(&self) -> bool {
        self.in_flight.is_some()
    }

    /// The leader the producer writes to.
    pub fn leader(&self) -> Option<BrokerId> {
        self.leader
    }
}
