//! Node ids, records and the sentinels shared by every crate of the suite.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// A broker's id.
pub type BrokerId = i32;
/// A leader epoch; `-1` is none.
pub type LeaderEpoch = i32;
/// A partition epoch.
pub type PartitionEpoch = i32;
/// A log offset.
pub type Offset = i64;
/// A rack name.
pub type Rack = String;

/// "No epoch" / "skip the check".
pub const NO_EPOCH: LeaderEpoch = -1;
/// `replica_id` of a consumer's request.
pub const CONSUMER_REPLICA_ID: BrokerId = -1;
/// No preferred read replica / no leader.
pub const NO_BROKER: BrokerId = -1;
/// ListOffsets latest.
pub const LATEST_TIMESTAMP: i64 = -1;
/// ListOffsets earliest.
pub const EARLIEST_TIMESTAMP: i64 = -2;

/// Every node of a cluster. Written as its name (`controller`, `broker-2`, `consumer-0`,
/// `producer`) in JSON, so that it reads the same in a trace as in a report and can key a map.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum NodeId {
    /// The controller.
    Controller,
    /// A broker.
    Broker(BrokerId),
    /// A consumer, numbered from 0.
    Consumer(u32),
    /// The producer.
    Producer,
}

impl fmt::Display for NodeId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            NodeId::Controller => write!(f, "controller"),
            NodeId::Broker(id) => write!(f, "broker-{id}"),
            NodeId::Consumer(id) => write!(f, "consumer-{id}"),
            NodeId::Producer => write!(f, "producer"),
        }
    }
}

impl FromStr for NodeId {
    type Err = String;

    fn from_str(name: &str) -> Result<Self, String> {
        let bad_number = |digits: &str| format!("`{name}`: `{digits}` is not a number");
        match name {
            "controller" => Ok(NodeId::Controller),
            "producer" => Ok(NodeId::Producer),
            _ => match name.split_once('-') {
                Some(("broker", id)) => id.parse().map(NodeId::Broker).map_err(|_| bad_number(id)),
                Some(("consumer", id)) => id.parse().map(NodeId::Consumer).map_err(|_| bad_number(id)),
                _ => Err(format!(
                    "`{name}` is not a node: expected `controller`, `producer`, `broker-N` or `consumer-N`"
                )),
            },
        }
    }
}

impl Serialize for NodeId {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for NodeId {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let name = String::deserialize(deserializer)?;
        name.parse().map_err(serde::de::Error::custom)
    }
}

/// A record in a log: the epoch it was written in and its value.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct Record {
    /// Leader epoch of the append.
    pub epoch: LeaderEpoch,
    /// The producer's value.
    pub value: u64,
}

/// A record with its offset.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct OffsetRecord {
    /// Its offset.
    pub offset: Offset,
    /// Leader epoch of the append.
    pub epoch: LeaderEpoch,
    /// The producer's value.
    pub value: u64,
}

impl OffsetRecord {
    /// Without the offset.
    pub fn record(&self) -> Record {
        Record { epoch: self.epoch, value: self.value }
    }
}
