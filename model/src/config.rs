//! Model configurations and named presets.

use serde::{Deserialize, Serialize};

use std::collections::BTreeSet;

use highwater_traces::{BrokerId, OutageShape, Rack, SeekTo};

use crate::bugs::ModelBug;

pub use highwater_traces::Semantics;

/// Which replica selector the leader runs.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Selector {
    /// Always the leader (Kafka's default).
    Leader,
    /// `RackAwareReplicaSelector`.
    #[default]
    RackAware,
}

/// Everything that fixes a model's state space.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct ModelConfig {
    /// The rack of each broker; brokers are numbered from 1 in this order, broker 1 leads first.
    pub broker_racks: Vec<Rack>,
    /// Each consumer's `client.rack`.
    pub consumer_racks: Vec<Option<Rack>>,
    /// How many records the producer sends (values 1..=records).
    pub records: u64,
    /// Broker crashes allowed in a run.
    pub crashes: u32,
    /// Rack outages allowed in a run.
    pub rack_outages: u32,
    /// `isr-expiration` ticks allowed in a run: each is `replica.lag.time.max.ms` elapsing, a
    /// perturbation that may shrink lagging followers out of the ISR (Vanlightly's
    /// `LeaderShrinkIsrLimit`). Shrinks by fencing are not counted.
    pub isr_expirations: u32,
    /// Application seeks allowed in a run (to the end or the beginning, on any consumer): how
    /// ListOffsets answers, and KIP-207's window, reach the model.
    pub seeks: u32,
    /// Whether messages may be lost (controller notices excepted).
    pub lossy: bool,
    /// Fetch semantics.
    pub semantics: Semantics,
    /// Replica selector.
    pub selector: Selector,
    /// Faults stop being offered once the controller's leader epoch reaches this.
    pub max_leader_epoch: Option<i32>,
    /// `min.insync.replicas` (Kafka's default, 1, when absent from a trace): below the
    /// effective minimum the leader holds its HW and refuses produces.
    #[serde(default = "kafka_min_insync_replicas", skip_serializing_if = "is_kafka_min_insync_replicas")]
    pub min_insync_replicas: u32,
    /// Seeded bugs (none in a correct model).
    #[serde(default, skip_serializing_if = "BTreeSet::is_empty")]
    pub bugs: BTreeSet<ModelBug>,
    /// The producer's `client.rack`, the place its connections start from (a place of its own
    /// when absent).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub producer_rack: Option<Rack>,
    /// The outages a rack outage may be: each instance of each shape is offered while the
    /// budget lasts. Absent: `brokers` alone, a rack's brokers cut off.
    #[serde(default = "brokers_only", skip_serializing_if = "is_brokers_only")]
    pub outage_shapes: Vec<OutageShape>,
    /// Where an application seek may go. Absent: the end and the beginning, each through
    /// ListOffsets to the leader.
    #[serde(default = "end_and_beginning", skip_serializing_if = "is_end_and_beginning")]
    pub seek_targets: Vec<SeekTo>,
}

fn end_and_beginning() -> Vec<SeekTo> {
    vec![SeekTo::End, SeekTo::Beginning]
}

fn is_end_and_beginning(targets: &Vec<SeekTo>) -> bool {
    *targets == end_and_beginning()
}

fn brokers_only() -> Vec<OutageShape> {
    vec![OutageShape::Brokers]
}

fn is_brokers_only(shapes: &Vec<OutageShape>) -> bool {
    *shapes == brokers_only()
}

impl ModelConfig {
    /// Whether a seeded bug is enabled.
    pub fn has(&self, bug: ModelBug) -> bool {
        self.bugs.contains(&bug)
    }

    /// Broker ids, 1..=n.
    pub fn broker_ids(&self) -> impl Iterator<Item = BrokerId> + '_ {
        1..=self.broker_racks.len() as BrokerId
    }

    /// The rack of a broker.
    pub fn rack_of(&self, broker: BrokerId) -> &str {
        &self.broker_racks[(broker - 1) as usize]
    }

    /// The minimum ISR the leader applies: `min.insync.replicas`, but never more than the
    /// replicas assigned (`Partition.effectiveMinIsr`, Kafka 4.4.0), so that a topic with fewer
    /// replicas than the setting stays writable.
    pub fn effective_min_isr(&self) -> usize {
        (self.min_insync_replicas as usize).min(self.broker_racks.len())
    }

    /// Every place a node sits in ([`highwater_traces::place`]) that is a rack: the brokers',
    /// the consumers' and the producer's, sorted and distinct. The outages are between these.
    pub fn all_racks(&self) -> Vec<Rack> {
        let mut racks = self.broker_racks.clone();
        racks.extend(self.consumer_racks.iter().flatten().cloned());
        racks.extend(self.producer_rack.iter().cloned());
        racks.sort();
        racks.dedup();
        racks
    }

    /// Whether the replica selector can ever compare two followers by when they last caught
    /// up: it is rack-aware and some consumer's rack holds two brokers or more. Otherwise the
    /// model keeps only whether each follower caught up since the last ISR tick
    /// (`broker/recency.rs`).
    pub fn orders_catch_ups(&self) -> bool {
        self.selector == Selector::RackAware
            && self
                .consumer_racks
                .iter()
                .flatten()
                .any(|rack| self.broker_racks.iter().filter(|r| *r == rack).count() >= 2)
    }

    /// Racks that hold at least one broker, sorted and distinct.
    pub fn racks(&self) -> Vec<Rack> {
        let mut racks = self.broker_racks.clone();
        racks.sort();
        racks.dedup();
        racks
    }

    /// Check the configuration describes a cluster the model can run.
    pub fn validate(&self) -> Result<(), String> {
        if self.broker_racks.is_empty() {
            return Err("a cluster needs at least 1 broker".into());
        }
        if self.broker_racks.len() > 5 {
            return Err(format!("{} brokers: the model supports at most 5", self.broker_racks.len()));
        }
        if self.consumer_racks.len() > 3 {
            return Err(format!("{} consumers: the model supports at most 3", self.consumer_racks.len()));
        }
        if self.records == 0 || self.records > 5 {
            return Err(format!("{} records: choose 1 to 5", self.records));
        }
        if self.broker_racks.iter().any(|r| r.is_empty()) {
            return Err("rack names must not be empty".into());
        }
        if self.seeks > 0 && self.seek_targets.is_empty() {
            return Err("seeks are allowed but seek_targets names nowhere to seek to".into());
        }
        if self.min_insync_replicas == 0 {
            return Err("min.insync.replicas must be at least 1, as Kafka requires".into());
        }
        if self.consumer_racks.iter().any(|r| r.as_deref() == Some("")) {
            return Err("a consumer's rack must not be empty; a consumer without a rack has none".into());
        }
        Ok(())
    }
}

/// Kafka's default `min.insync.replicas` (`ServerLogConfigs.MIN_IN_SYNC_REPLICAS_DEFAULT`).
fn kafka_min_insync_replicas() -> u32 {
    1
}

fn is_kafka_min_insync_replicas(value: &u32) -> bool {
    *value == kafka_min_insync_replicas()
}

/// A named configuration.
#[derive(Clone, Copy, Debug)]
pub struct Preset {
    /// Its name.
    pub name: &'static str,
    /// What it is for.
    pub about: &'static str,
    build: fn() -> ModelConfig,
}

impl Preset {
    /// The configuration.
    pub fn config(&self) -> ModelConfig {
        (self.build)()
    }
}

fn racks(names: &[&str]) -> Vec<Rack> {
    names.iter().map(|r| r.to_string()).collect()
}

/// The smallest configuration; the other presets say only how they differ from it.
fn smoke() -> ModelConfig {
    ModelConfig {
        broker_racks: racks(&["a", "b"]),
        consumer_racks: vec![Some("b".into())],
        records: 1,
        crashes: 1,
        rack_outages: 1,
        isr_expirations: 0,
        seeks: 0,
        lossy: false,
        semantics: Semantics::Apache,
        selector: Selector::RackAware,
        max_leader_epoch: None,
        min_insync_replicas: kafka_min_insync_replicas(),
        bugs: BTreeSet::new(),
        producer_rack: None,
        outage_shapes: brokers_only(),
        seek_targets: end_and_beginning(),
    }
}

/// No consumer: replication alone, so that a failover is cheap to explore.
fn failover() -> ModelConfig {
    ModelConfig {
        broker_racks: racks(&["a", "b", "b"]),
        consumer_racks: Vec::new(),
        records: 2,
        rack_outages: 0,
        ..smoke()
    }
}

/// A consumer beside the leader and one beside the follower, and one outage of `shape`.
fn outage(shape: OutageShape) -> ModelConfig {
    ModelConfig {
        consumer_racks: vec![Some("a".into()), Some("b".into())],
        crashes: 0,
        outage_shapes: vec![shape],
        ..smoke()
    }
}

/// Every preset.
pub const PRESETS: &[Preset] = &[
    Preset {
        name: "smoke",
        about: "2 brokers in racks a and b, a consumer in b, 1 record, 1 broker crash, 1 rack outage, no lag ticks: checked exhaustively by cargo test",
        build: smoke,
    },
    Preset {
        name: "default",
        about: "3 brokers over racks a, b, b, a consumer in the followers' rack b, 2 records, 1 broker crash, 1 rack outage",
        build: || ModelConfig { broker_racks: racks(&["a", "b", "b"]), records: 2, ..smoke() },
    },
    Preset {
        name: "rack-outage",
        about: "default with 1 record: a rack outage takes leadership from the consumer's rack and a heal brings its replicas back as followers (KAFKA-13778); exhaustive in about a minute without liveness",
        build: || ModelConfig { broker_racks: racks(&["a", "b", "b"]), ..smoke() },
    },
    Preset {
        name: "kip207",
        about: "3 brokers over racks a, b, b, a consumer with no rack (it reads from the leader), 1 record, 1 crash, 2 seeks, no rack outage: KIP-207's ListOffsets window after an election",
        build: || ModelConfig {
            broker_racks: racks(&["a", "b", "b"]),
            // The window is in the leader's answers; a racked consumer's redirects would only
            // multiply the states around it, several times over.
            consumer_racks: vec![None],
            rack_outages: 0,
            seeks: 2,
            ..smoke()
        },
    },
    Preset {
        name: "failover",
        about: "3 brokers over racks a, b, b, no consumer, 2 records, 1 broker crash: a leader failover, producer retries and log reconciliation, where most replication bugs show",
        build: failover,
    },
    Preset {
        name: "min-isr",
        about: "failover with min.insync.replicas=3: a crash puts the partition under its minimum ISR, so the leader holds its HW and refuses produces until the broker rejoins",
        build: || ModelConfig { min_insync_replicas: 3, ..failover() },
    },
    Preset {
        name: "elections",
        about: "failover with 2 broker crashes: back-to-back leader elections (KAFKA-7415)",
        build: || ModelConfig { crashes: 2, ..failover() },
    },
    Preset {
        name: "replication",
        about: "default without its consumer, with 1 record: 3 brokers over racks a, b, b, 1 broker crash, 1 rack outage: leadership lost to a rack cut and won back, where follower-state-kept-across-epochs shows; exhaustive in seconds",
        build: || ModelConfig { consumer_racks: Vec::new(), rack_outages: 1, records: 1, ..failover() },
    },
    Preset {
        name: "four-replicas",
        about: "elections with a fourth broker, in rack c: a replica that crashed can rejoin the ISR under a leader elected while it was away (KAFKA-7128); for random walks, too large to exhaust",
        build: || ModelConfig { broker_racks: racks(&["a", "b", "b", "c"]), crashes: 2, ..failover() },
    },
    Preset {
        name: "lagging",
        about: "smoke's brokers and consumer with 2 records, 1 crash, 1 seek, no rack outage: a follower that restarts behind the HW while a consumer still prefers it (KAFKA-14255)",
        build: || ModelConfig { records: 2, rack_outages: 0, seeks: 1, ..smoke() },
    },
    Preset {
        name: "outage-brokers",
        about: "2 brokers in racks a and b, consumers in a (with the leader) and b (with the follower), 1 record, no crash, 1 outage that cuts a rack's brokers off while its clients stay reachable",
        build: || outage(OutageShape::Brokers),
    },
    Preset {
        name: "outage-rack",
        about: "outage-brokers' cluster, where the outage isolates a rack, brokers and clients together",
        build: || outage(OutageShape::Rack),
    },
    Preset {
        name: "outage-link",
        about: "outage-brokers' cluster, where the outage cuts the link between racks a and b in both directions",
        build: || outage(OutageShape::Link),
    },
    Preset {
        name: "outage-one-way",
        about: "outage-brokers' cluster, where the outage loses messages from one rack to the other, either way round",
        build: || outage(OutageShape::OneWay),
    },
    Preset {
        name: "large",
        about: "3 brokers in racks a, b, c, consumers in b and c, 3 records, 2 crashes, 1 rack outage, 2 lag ticks, 1 seek, lossy: for simulation",
        build: || ModelConfig {
            broker_racks: racks(&["a", "b", "c"]),
            consumer_racks: vec![Some("b".into()), Some("c".into())],
            records: 3,
            crashes: 2,
            rack_outages: 1,
            isr_expirations: 2,
            seeks: 1,
            lossy: true,
            ..smoke()
        },
    },
];

/// The preset with this name.
pub fn preset(name: &str) -> Option<&'static Preset> {
    PRESETS.iter().find(|p| p.name == name)
}
