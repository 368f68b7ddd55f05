//! What a run did and saw, in order, with the time of each event: every request and response
//! on the wire, every connection that failed, every record handed to a consumer and every
//! acknowledgement, every fault injected.

use highwater_protocol::{BrokerId, LeaderEpoch, Message, Millis, Offset, OffsetRecord};
use serde::Serialize;

/// One event.
#[derive(Clone, Debug, Serialize)]
pub struct Event {
    /// Milliseconds since the run started.
    pub at_ms: Millis,
    /// What happened.
    #[serde(flatten)]
    pub what: What,
}

/// What happened.
#[derive(Clone, Debug, Serialize)]
#[serde(tag = "event", rename_all = "kebab-case")]
pub enum What {
    /// A client sent a request to a broker.
    Sent {
        /// `consumer-N` or `producer`.
        client: String,
        /// The broker.
        broker: BrokerId,
        /// Kafka's correlation id.
        correlation_id: i32,
        /// The request, as the protocol crate wrote it.
        request: String,
        #[serde(skip)]
        /// The request.
        message: Message,
    },
    /// A broker answered.
    Received {
        /// The client.
        client: String,
        /// The broker.
        broker: BrokerId,
        /// Kafka's correlation id.
        correlation_id: i32,
        /// Time from the request to the answer.
        latency_ms: Millis,
        /// The answer, as given to the protocol crate.
        response: String,
        /// An error code Kafka sent that the protocol crate does not model (a stand-in was given).
        #[serde(skip_serializing_if = "Option::is_none")]
        unmodelled_error: Option<i16>,
        #[serde(skip)]
        /// The answer.
        message: Message,
    },
    /// A connection could not be opened, or was closed, with the requests outstanding on it.
    ConnectionLost {
        /// The client.
        client: String,
        /// The broker.
        broker: BrokerId,
        /// Why.
        why: String,
        /// Requests that will not be answered.
        outstanding: usize,
    },
    /// Records handed to a consumer's application.
    Delivered {
        /// The consumer.
        client: String,
        /// The replica that served them.
        served_by: BrokerId,
        /// That replica's high watermark in the same answer.
        served_hw: Offset,
        /// The records.
        records: Vec<RecordAt>,
    },
    /// The producer's record was acknowledged (acks=all).
    Acknowledged {
        /// The value.
        value: u64,
        /// Its offset.
        offset: Offset,
    },
    /// The application asked the producer to send a value.
    Produced {
        /// The value.
        value: u64,
    },
    /// The consumer's state after an input changed it.
    Consumer {
        /// The consumer.
        client: String,
        /// Its state.
        state: ConsumerState,
    },
    /// The partition as the run watched it from outside (Metadata from a broker).
    Partition {
        /// The broker that answered.
        broker: BrokerId,
        /// The leader.
        leader: BrokerId,
        /// The leader epoch.
        leader_epoch: LeaderEpoch,
        /// The ISR.
        isr: Vec<BrokerId>,
    },
    /// A fault began or ended, or a scenario step was taken.
    Step {
        /// In words.
        what: String,
    },
}

/// A run's events.
#[derive(Clone, Debug, Default, Serialize)]
pub struct History {
    /// In the order they happened.
    pub events: Vec<Event>,
}

impl History {
    /// Add an event.
    pub fn push(&mut self, at_ms: Millis, what: What) {
        self.events.push(Event { at_ms, what });
    }
}

/// A record with its offset and leader epoch.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct RecordAt {
    /// Its offset.
    pub offset: Offset,
    /// Its batch's leader epoch.
    pub epoch: LeaderEpoch,
    /// The producer's value.
    pub value: u64,
}

impl From<OffsetRecord> for RecordAt {
    fn from(r: OffsetRecord) -> Self {
        RecordAt { offset: r.offset, epoch: r.epoch, value: r.value }
    }
}

/// What a consumer holds, as the protocol crate's `Consumer` reports it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ConsumerState {
    /// The next offset to consume.
    pub position: Offset,
    /// The epoch of the record before it, or -1.
    pub position_epoch: LeaderEpoch,
    /// The leader epoch it believes current.
    pub current_leader_epoch: LeaderEpoch,
    /// Its preferred read replica, if any.
    pub preferred_read_replica: Option<BrokerId>,
    /// Every explicit move of its position.
    pub resets: Vec<ResetAt>,
    /// Every ListOffsets(latest) answer it took.
    pub list_offsets_latest: Vec<Offset>,
    /// Stopped on an unrecoverable error.
    pub failed: bool,
}

impl ConsumerState {
    /// The state of `consumer` now.
    pub fn of(consumer: &highwater_protocol::Consumer) -> Self {
        ConsumerState {
            position: consumer.position().offset,
            position_epoch: consumer.position().offset_epoch,
            current_leader_epoch: consumer.current_leader_epoch(),
            preferred_read_replica: consumer.preferred_read_replica().map(|p| p.broker_id),
            resets: consumer.resets().iter().map(|r| ResetAt { from: r.from, to: r.to, cause: r.cause }).collect(),
            list_offsets_latest: consumer.list_offsets_latest_seen().to_vec(),
            failed: consumer.phase() == highwater_protocol::ConsumerPhase::Failed,
        }
    }
}

/// An explicit move of a consumer's position.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct ResetAt {
    /// Before.
    pub from: Offset,
    /// After.
    pub to: Offset,
    /// Why.
    #[serde(serialize_with = "reset_cause")]
    pub cause: highwater_protocol::ResetCause,
}

fn reset_cause<S: serde::Serializer>(cause: &highwater_protocol::ResetCause, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(&format!("{cause:?}"))
}
