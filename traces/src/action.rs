//! One step of a run: what the model checker chose and what replay repeats on the implementation.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::ids::{BrokerId, NodeId, Offset, Rack};
use crate::outage::Outage;

/// The timers of the protocol, one pending per kind per node.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum TimerKind {
    /// Follower: next fetch (backoff or request timeout).
    ReplicaFetch,
    /// Leader: look for lagging followers.
    IsrExpiration,
    /// Consumer: next fetch or retry.
    ConsumerFetch,
    /// Consumer: refresh metadata.
    MetadataRefresh,
    /// Producer: retry the unacknowledged record.
    ProduceRetry,
    /// Replica: `fetch.max.wait.ms` is up for the consumer fetches it parked; answer them empty.
    FetchWait,
    /// Leader: send a pending AlterPartition again after its connection to the controller reset.
    AlterPartitionRetry,
    /// Leader: `replica.fetch.wait.max.ms` is up for the follower fetches it parked with a HW
    /// their followers have not been told; answer them.
    ReplicaFetchWait,
    /// Consumer or producer: `retry.backoff.ms` after a metadata request whose connection reset;
    /// ask again.
    MetadataRetry,
}

/// Where a consumer seeks.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SeekTo {
    /// Log start.
    Beginning,
    /// High watermark.
    End,
    /// An offset.
    Offset(Offset),
}

/// A step.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(tag = "action", rename_all = "snake_case")]
pub enum Action {
    /// Deliver the head message of `from -> to`.
    Deliver {
        /// Sender.
        from: NodeId,
        /// Receiver.
        to: NodeId,
    },
    /// Lose the head message of `from -> to`.
    Drop {
        /// Sender.
        from: NodeId,
        /// Receiver.
        to: NodeId,
    },
    /// Fire a pending timer.
    Timer {
        /// The node.
        node: NodeId,
        /// The timer.
        timer: TimerKind,
    },
    /// Crash a broker (log kept, connections reset, controller fences it).
    Crash {
        /// The broker.
        broker: BrokerId,
    },
    /// Restart a crashed broker.
    Restart {
        /// The broker.
        broker: BrokerId,
    },
    /// Make a rack's brokers unreachable.
    CutRack {
        /// The rack.
        rack: Rack,
    },
    /// Make a cut rack reachable again.
    HealRack {
        /// The rack.
        rack: Rack,
    },
    /// Start an outage between places (a rack isolated, a link cut both ways or one way).
    Cut {
        /// The outage.
        outage: Outage,
    },
    /// End an outage.
    Heal {
        /// The outage.
        outage: Outage,
    },
    /// The producer's application sends a record.
    Produce {
        /// Its value.
        value: u64,
    },
    /// A consumer's application seeks.
    Seek {
        /// The consumer.
        consumer: u32,
        /// Where to.
        to: SeekTo,
    },
}

impl Action {
    /// The kind of step, as a trace's `mbt::actionTaken` names it.
    pub fn kind(&self) -> &'static str {
        match self {
            Action::Deliver { .. } => "deliver",
            Action::Drop { .. } => "drop",
            Action::Timer { .. } => "timer",
            Action::Crash { .. } => "crash",
            Action::Restart { .. } => "restart",
            Action::CutRack { .. } => "cut_rack",
            Action::HealRack { .. } => "heal_rack",
            Action::Cut { .. } => "cut",
            Action::Heal { .. } => "heal",
            Action::Produce { .. } => "produce",
            Action::Seek { .. } => "seek",
        }
    }
}

impl fmt::Display for Action {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Action::Deliver { from, to } => write!(f, "deliver {from} -> {to}"),
            Action::Drop { from, to } => write!(f, "drop {from} -> {to}"),
            Action::Timer { node, timer } => write!(f, "timer {} at {node}", timer.name()),
            Action::Crash { broker } => write!(f, "crash broker-{broker}"),
            Action::Restart { broker } => write!(f, "restart broker-{broker}"),
            Action::CutRack { rack } => write!(f, "cut rack {rack}"),
            Action::HealRack { rack } => write!(f, "heal rack {rack}"),
            Action::Cut { outage } => write!(f, "cut {outage}"),
            Action::Heal { outage } => write!(f, "heal {outage}"),
            Action::Produce { value } => write!(f, "produce {value}"),
            Action::Seek { consumer, to } => write!(f, "seek consumer-{consumer} to {to}"),
        }
    }
}

impl fmt::Display for SeekTo {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SeekTo::Beginning => write!(f, "the beginning"),
            SeekTo::End => write!(f, "the end"),
            SeekTo::Offset(offset) => write!(f, "offset {offset}"),
        }
    }
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

    /// Kebab-case name.
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
}
