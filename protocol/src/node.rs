//! What goes into a node and what comes out: [`Input`], [`Output`], [`TimerKind`] and the
//! [`Outbox`] handlers write effects to.

use crate::messages::Message;
use crate::types::{BrokerId, Millis, NodeId, OffsetRecord};

/// Everything that can happen to a node. Each node's `handle(now, input)` takes one.
#[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Input {
    /// The node starts (first start, or restart after a crash). Nodes send their first requests here.
    Start,
    /// A message arrived.
    Message {
        /// The sender.
        from: NodeId,
        /// The message.
        message: Message,
    },
    /// A timer the node set has fired.
    Timer(TimerKind),
    /// Producer: the application sends a record with this value.
    Produce(u64),
    /// Consumer: the application seeks (an explicit reset of the position).
    Seek(SeekTo),
    /// Controller: the failure detector fenced this broker (crash, or its rack became unreachable).
    BrokerFenced(BrokerId),
    /// Controller: this broker registered again and is unfenced.
    BrokerUnfenced(BrokerId),
    /// Controller: this broker, never fenced, can be reached again after missing notices; it
    /// fetches the metadata it missed.
    BrokerReconnected(BrokerId),
    /// The connection to `peer` reset (it crashed, became unreachable, or a message on it was
    /// lost), as TCP signals a reset: whatever was outstanding on it will not be answered.
    Disconnected(NodeId),
}

/// Where a consumer's application seeks to.
#[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum SeekTo {
    /// `seekToBeginning`: the leader's log start offset.
    Beginning,
    /// `seekToEnd`: the leader's ListOffsets(latest), i.e. its high watermark.
    End,
    /// `seek(offset)`.
    Offset(i64),
}

/// Timers, one pending per kind per node: setting one replaces it, cancelling an unset one is a no-op.
#[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum TimerKind {
    /// Follower: send the next fetch (backoff after a failed fetch or a reset connection, or request timeout).
    ReplicaFetch,
    /// Leader: look for followers lagging more than `replica.lag.time.max.ms` (Kafka's `isr-expiration` task).
    IsrExpiration,
    /// Consumer: send the next fetch or retry a request (backoff or request timeout).
    ConsumerFetch,
    /// Consumer: metadata is older than `metadata.max.age.ms`; refresh it.
    MetadataRefresh,
    /// Producer: retry the unacknowledged record.
    ProduceRetry,
    /// Replica: `fetch.max.wait.ms` is up for the consumer fetches it parked; answer them empty.
    FetchWait,
    /// Leader: send a pending AlterPartition again after its connection to the controller reset.
    AlterPartitionRetry,
    /// Leader: `replica.fetch.wait.max.ms` is up for a parked follower fetch with a new HW to learn.
    ReplicaFetchWait,
    /// Consumer or producer: `retry.backoff.ms` after a metadata request whose connection reset.
    MetadataRetry,
}

impl TimerKind {
    /// Every timer kind.
    pub const ALL: [TimerKind; 9] = [
        TimerKind::ReplicaFetch,
        TimerKind::IsrExpiration,
        TimerKind::ConsumerFetch,
        TimerKind::MetadataRefresh,
        TimerKind::ProduceRetry,
        TimerKind::FetchWait,
        TimerKind::AlterPartitionRetry,
        TimerKind::ReplicaFetchWait,
        TimerKind::MetadataRetry,
    ];

    /// A stable kebab-case name.
    pub fn name(self) -> &'static str {
        match self {
            TimerKind::ReplicaFetch => "replica-fetch",
            TimerKind::IsrExpiration => "isr-expiration",
            TimerKind::ConsumerFetch => "consumer-fetch",
            TimerKind::MetadataRefresh => "metadata-refresh",
            TimerKind::ProduceRetry => "produce-retry",
            TimerKind::FetchWait => "fetch-wait",
            TimerKind::AlterPartitionRetry => "alter-partition-retry",
            TimerKind::ReplicaFetchWait => "replica-fetch-wait",
            TimerKind::MetadataRetry => "metadata-retry",
        }
    }

    /// The kind with this [`TimerKind::name`].
    pub fn from_name(name: &str) -> Option<TimerKind> {
        TimerKind::ALL.into_iter().find(|t| t.name() == name)
    }
}

/// Why a node left an input without effect. Every ignore path is an output, so replay can see it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum IgnoreReason {
    /// The input is not meant for this kind of node (e.g. `Produce` given to a broker).
    NotForThisNode,
    /// A response that no longer matches the request state it answers (Kafka: "discarding stale fetch response").
    StaleResponse,
    /// A controller notice older than what the broker already applied.
    StaleNotice,
    /// A message from a node this one does not deal with.
    UnknownSender,
    /// A timer that fired with nothing to do.
    IdleTimer,
    /// A command the node cannot act on now (e.g. a seek before the consumer knows the leader).
    NotReady,
}

/// An effect of handling an input.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Output {
    /// Send a message.
    Send {
        /// The destination.
        to: NodeId,
        /// The message.
        message: Message,
    },
    /// Call `handle(_, Input::Timer(timer))` at or after `now + after_ms`, replacing any pending one.
    SetTimer {
        /// Which timer.
        timer: TimerKind,
        /// Delay from the `now` of the call that set it.
        after_ms: Millis,
    },
    /// Forget the pending timer of this kind, if any.
    CancelTimer(TimerKind),
    /// Consumer: records handed to the application, in offset order.
    DeliverRecords(Vec<OffsetRecord>),
    /// Producer: the record with this value is committed (acks=all answered NONE).
    Acknowledged {
        /// The value.
        value: u64,
        /// The offset it was written at.
        offset: i64,
    },
    /// Close the connection to this node: what is in flight on it, either way, is lost, and the
    /// peer learns that the connection reset. A client does this when a request times out, as
    /// Kafka's `NetworkClient.handleTimedOutRequests` does, so that no late answer to the
    /// abandoned request arrives after the one that replaces it.
    Disconnect(NodeId),
    /// The input was left without effect, and why.
    Ignored(IgnoreReason),
}

/// Collects a handler's effects. Only `handle` drains it.
#[derive(Debug, Default)]
pub struct Outbox {
    outputs: Vec<Output>,
}

impl Outbox {
    /// Queue a message.
    pub fn send(&mut self, to: NodeId, message: Message) {
        self.outputs.push(Output::Send { to, message });
    }

    /// Set (or replace) a timer.
    pub fn set_timer(&mut self, timer: TimerKind, after_ms: Millis) {
        self.outputs.push(Output::SetTimer { timer, after_ms });
    }

    /// Cancel a timer.
    pub fn cancel_timer(&mut self, timer: TimerKind) {
        self.outputs.push(Output::CancelTimer(timer));
    }

    /// Hand records to the consumer's application.
    pub fn deliver_records(&mut self, records: Vec<OffsetRecord>) {
        if !records.is_empty() {
            self.outputs.push(Output::DeliverRecords(records));
        }
    }

    /// Tell the producer's application its record is committed.
    pub fn acknowledge(&mut self, value: u64, offset: i64) {
        self.outputs.push(Output::Acknowledged { value, offset });
    }

    /// Close the connection to `peer` (see [`Output::Disconnect`]).
    pub fn disconnect(&mut self, peer: NodeId) {
        self.outputs.push(Output::Disconnect(peer));
    }

    /// Record that the input had no effect.
    pub fn ignore(&mut self, reason: IgnoreReason) {
        self.outputs.push(Output::Ignored(reason));
    }

    /// Take the collected effects.
    pub fn drain(&mut self) -> Vec<Output> {
        std::mem::take(&mut self.outputs)
    }
}
