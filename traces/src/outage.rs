//! Network outages between racks, and where each node sits for them.
//!
//! Every node lives in a place: a broker in its rack, a consumer in its `client.rack` (or a
//! place of its own when it has none), the producer in its rack (or one of its own), the
//! controller in a place of its own, so that an outage of the brokers' racks can leave the
//! controller quorum reachable or not, as a deployment chooses. An outage blocks messages from
//! one place to another; the rack cut `cut_rack` names (a rack's brokers unreachable while its
//! clients are fine) is the one shape that separates a rack's brokers from its clients, and
//! keeps its own action.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::ids::{NodeId, Rack};

/// An outage between places, as the environment injects it.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(tag = "shape", rename_all = "kebab-case")]
pub enum Outage {
    /// A rack isolated from every other place, its brokers and its clients together.
    Rack {
        /// The rack.
        rack: Rack,
    },
    /// The link between two racks cut in both directions (`a` sorts before `b`).
    Link {
        /// One end.
        a: Rack,
        /// The other.
        b: Rack,
    },
    /// Messages from one rack to another are lost; the other way works.
    OneWay {
        /// Where messages are lost from.
        from: Rack,
        /// Where they were going.
        to: Rack,
    },
}

/// Which outages a configuration injects (the model offers every instance of each).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum OutageShape {
    /// A rack's brokers unreachable, its clients fine (`cut_rack`).
    Brokers,
    /// A rack isolated, brokers and clients together ([`Outage::Rack`]).
    Rack,
    /// A link between two racks, both ways ([`Outage::Link`]).
    Link,
    /// A link between two racks, one way ([`Outage::OneWay`]).
    OneWay,
}

impl OutageShape {
    /// Every shape.
    pub const ALL: [OutageShape; 4] = [OutageShape::Brokers, OutageShape::Rack, OutageShape::Link, OutageShape::OneWay];

    /// Its name in configurations and output.
    pub fn name(self) -> &'static str {
        match self {
            OutageShape::Brokers => "brokers",
            OutageShape::Rack => "rack",
            OutageShape::Link => "link",
            OutageShape::OneWay => "one-way",
        }
    }

    /// Every outage of this shape among `racks` (sorted, distinct); [`OutageShape::Brokers`]
    /// has none here, being `cut_rack`'s.
    pub fn instances(self, racks: &[Rack]) -> Vec<Outage> {
        let pairs = || racks.iter().enumerate().flat_map(move |(i, a)| racks[i + 1..].iter().map(move |b| (a, b)));
        match self {
            OutageShape::Brokers => Vec::new(),
            OutageShape::Rack => racks.iter().map(|rack| Outage::Rack { rack: rack.clone() }).collect(),
            OutageShape::Link => pairs().map(|(a, b)| Outage::Link { a: a.clone(), b: b.clone() }).collect(),
            OutageShape::OneWay => pairs()
                .flat_map(|(a, b)| {
                    [
                        Outage::OneWay { from: a.clone(), to: b.clone() },
                        Outage::OneWay { from: b.clone(), to: a.clone() },
                    ]
                })
                .collect(),
        }
    }
}

impl Outage {
    /// Whether it loses messages sent from place `from` to place `to`.
    pub fn blocks(&self, from: &str, to: &str) -> bool {
        match self {
            Outage::Rack { rack } => (from == rack) != (to == rack),
            Outage::Link { a, b } => (from == a && to == b) || (from == b && to == a),
            Outage::OneWay { from: f, to: t } => from == f && to == t,
        }
    }
}

impl fmt::Display for Outage {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Outage::Rack { rack } => write!(f, "rack {rack} isolated"),
            Outage::Link { a, b } => write!(f, "link {a} <-> {b}"),
            Outage::OneWay { from, to } => write!(f, "link {from} -> {to} (one way)"),
        }
    }
}

/// The place a node sits in, for outages: a broker's rack, a consumer's `client.rack`, the
/// producer's rack, or for a node with none (the controller always) its own name.
pub fn place(node: NodeId, rack: Option<&str>) -> String {
    match (node, rack) {
        (NodeId::Controller, _) | (_, None) => node.to_string(),
        (_, Some(rack)) => rack.to_string(),
    }
}

/// Whether a message from one node to another gets through: both are on the same side of every
/// `cut_rack` (`isolation` is the cut rack a broker is isolated in), and no outage blocks the
/// sender's place from the receiver's.
pub fn passes<'o>(
    outages: impl IntoIterator<Item = &'o Outage>,
    (from_place, from_isolation): (&str, Option<&str>),
    (to_place, to_isolation): (&str, Option<&str>),
) -> bool {
    from_isolation == to_isolation && !outages.into_iter().any(|o| o.blocks(from_place, to_place))
}
