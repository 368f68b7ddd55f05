//! The scenarios `highwater availability` runs: where the replicas and the consumer sit, and
//! which outage strikes, each run with rack-aware selection and with leader-only fetching.
//!
//! Every scenario has three brokers: broker 1 in rack `a` leads first, brokers 2 and 3 follow,
//! in racks `b` and `c` or both in `b`. The controller quorum sits in a place of its own, so an
//! outage between racks leaves it reachable from both sides, as a quorum spread over a third
//! site would be.

use highwater_model::{ModelConfig, Selector, Semantics};
use highwater_protocol::sim::ClusterConfig;
use highwater_protocol::Bugs;
use highwater_traces::{Action, Outage, OutageShape, SeekTo};

/// Where the replicas and the consumer sit.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Placement {
    /// Its name in the matrix.
    pub name: &'static str,
    /// The racks of brokers 1 (the first leader), 2 and 3.
    pub broker_racks: [&'static str; 3],
    /// The consumer's `client.rack`.
    pub consumer_rack: &'static str,
    /// In words.
    pub about: &'static str,
}

/// Every placement.
pub const PLACEMENTS: &[Placement] = &[
    Placement {
        name: "beside-follower",
        broker_racks: ["a", "b", "c"],
        consumer_rack: "b",
        about: "the consumer in rack b, beside follower 2; the leader in rack a, follower 3 in c",
    },
    Placement {
        name: "beside-two-followers",
        broker_racks: ["a", "b", "b"],
        consumer_rack: "b",
        about: "the consumer in rack b, beside followers 2 and 3; the leader in rack a",
    },
    Placement {
        name: "beside-leader",
        broker_racks: ["a", "b", "c"],
        consumer_rack: "a",
        about: "the consumer in rack a, beside the leader; followers in b and c",
    },
];

/// The outage a scenario injects, once, and never heals in the model.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Fault {
    /// A rack's brokers cut off, its clients reachable (`cut_rack`).
    Brokers(&'static str),
    /// An outage between places.
    Outage(Outage),
}

impl Fault {
    /// Its name in the matrix.
    pub fn name(&self) -> String {
        match self {
            Fault::Brokers(rack) => format!("brokers-{rack}"),
            Fault::Outage(Outage::Rack { rack }) => format!("rack-{rack}"),
            Fault::Outage(Outage::Link { a, b }) => format!("link-{a}-{b}"),
            Fault::Outage(Outage::OneWay { from, to }) => format!("one-way-{from}-{to}"),
        }
    }

    /// In words.
    pub fn describe(&self) -> String {
        match self {
            Fault::Brokers(rack) => format!("rack {rack}'s brokers cut off, its clients reachable"),
            Fault::Outage(outage) => outage.to_string(),
        }
    }

    /// Its shape.
    pub fn shape(&self) -> OutageShape {
        match self {
            Fault::Brokers(_) => OutageShape::Brokers,
            Fault::Outage(Outage::Rack { .. }) => OutageShape::Rack,
            Fault::Outage(Outage::Link { .. }) => OutageShape::Link,
            Fault::Outage(Outage::OneWay { .. }) => OutageShape::OneWay,
        }
    }

    /// Whether the model's search may take `action`: the scenario's outage, and no other, and
    /// never its heal (every claim is about the outage while it lasts).
    pub fn allows(&self, action: &Action) -> bool {
        match (self, action) {
            (_, Action::HealRack { .. } | Action::Heal { .. }) => false,
            (Fault::Brokers(rack), Action::CutRack { rack: cut }) => cut == rack,
            (Fault::Outage(outage), Action::Cut { outage: cut }) => cut == outage,
            (_, Action::CutRack { .. } | Action::Cut { .. }) => false,
            _ => true,
        }
    }
}

/// Every fault of the matrix: each shape, on the leader's rack and on a follower's, and each
/// direction of a one-way cut.
pub fn faults() -> Vec<Fault> {
    let rack = |r: &str| r.to_string();
    vec![
        Fault::Brokers("a"),
        Fault::Brokers("b"),
        Fault::Outage(Outage::Rack { rack: rack("a") }),
        Fault::Outage(Outage::Rack { rack: rack("b") }),
        Fault::Outage(Outage::Link { a: rack("a"), b: rack("b") }),
        Fault::Outage(Outage::OneWay { from: rack("a"), to: rack("b") }),
        Fault::Outage(Outage::OneWay { from: rack("b"), to: rack("a") }),
    ]
}

/// One row of the matrix.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Scenario {
    /// Where the consumer sits.
    pub placement: Placement,
    /// The outage.
    pub fault: Fault,
}

impl Scenario {
    /// `placement/fault`.
    pub fn name(&self) -> String {
        format!("{}/{}", self.placement.name, self.fault.name())
    }

    /// The model of this scenario under `selector` and `semantics`: one record, one lag tick (a
    /// follower that cannot fetch may leave the ISR), one rewind of the consumer to offset 0 (a
    /// consumer with records to catch up on, which the model's clients, answered within the
    /// step that lets them read, otherwise never are), no crash.
    pub fn model_config(&self, selector: Selector, semantics: Semantics) -> ModelConfig {
        let mut cfg = highwater_model::preset("smoke").expect("a preset").config();
        cfg.broker_racks = self.placement.broker_racks.iter().map(|r| r.to_string()).collect();
        cfg.consumer_racks = vec![Some(self.placement.consumer_rack.to_string())];
        cfg.records = 1;
        cfg.crashes = 0;
        cfg.rack_outages = 1;
        cfg.isr_expirations = 1;
        cfg.seeks = 1;
        cfg.seek_targets = vec![SeekTo::Offset(0)];
        cfg.selector = selector;
        cfg.semantics = semantics;
        cfg.outage_shapes = vec![self.fault.shape()];
        cfg
    }

    /// The simulated cluster of this scenario: its model configuration's, with Kafka's default
    /// timings (the caller applies any others) and outages that lose messages silently.
    pub fn cluster_config(&self, selector: Selector, semantics: Semantics) -> ClusterConfig {
        let mut cfg = crate::adapter::cluster_config(&self.model_config(selector, semantics), Bugs::NONE);
        cfg.black_hole_outages = true;
        cfg
    }
}

/// Every scenario, placements first.
pub fn matrix() -> Vec<Scenario> {
    PLACEMENTS
        .iter()
        .flat_map(|placement| faults().into_iter().map(move |fault| Scenario { placement: *placement, fault }))
        .collect()
}

/// A selector's name in the matrix.
pub fn selector_name(selector: Selector) -> &'static str {
    match selector {
        Selector::Leader => "leader-only",
        Selector::RackAware => "rack-aware",
    }
}
