//! Seeded bugs the model can be built with, all off by default. Each carries the id the protocol
//! crate uses for the same historical bug, so a counterexample found here replays there with
//! the bug enabled (`highwater replay`, `highwater bugs --verify`).

use serde::{Deserialize, Serialize};

/// A historical bug the model can carry.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ModelBug {
    /// KIP-392: a follower bounds consumer reads by its LEO instead of its HW.
    FollowerServesLeo,
    /// KAFKA-14372: the leader's selector considers replicas outside the ISR.
    PreferredReplicaOutsideIsr,
    /// KAFKA-2334 / KIP-207: ListOffsets(latest) is answered while the new leader's HW is below
    /// its epoch start offset.
    ListOffsetsDuringLesoWindow,
    /// KIP-497: the HW is computed over the committed ISR only.
    HwOverCommittedIsrOnly,
}

impl ModelBug {
    /// Every bug the model carries.
    pub const ALL: [ModelBug; 4] = [
        ModelBug::FollowerServesLeo,
        ModelBug::PreferredReplicaOutsideIsr,
        ModelBug::ListOffsetsDuringLesoWindow,
        ModelBug::HwOverCommittedIsrOnly,
    ];

    /// The id shared with the protocol crate.
    pub fn id(self) -> &'static str {
        match self {
            ModelBug::FollowerServesLeo => "follower-serves-leo",
            ModelBug::PreferredReplicaOutsideIsr => "preferred-replica-outside-isr",
            ModelBug::ListOffsetsDuringLesoWindow => "list-offsets-during-leso-window",
            ModelBug::HwOverCommittedIsrOnly => "hw-over-committed-isr-only",
        }
    }

    /// The bug with this id, if the model carries it.
    pub fn from_id(id: &str) -> Option<ModelBug> {
        ModelBug::ALL.into_iter().find(|b| b.id() == id)
    }

    /// The properties it is expected to break, and the preset that exposes it.
    pub fn expected(self) -> (&'static [&'static str], &'static str) {
        match self {
            ModelBug::FollowerServesLeo => (&["no-read-above-hw", "consumed-is-committed"], "smoke"),
            ModelBug::PreferredReplicaOutsideIsr => (&["preferred-replica-valid"], "smoke"),
            ModelBug::ListOffsetsDuringLesoWindow => (&["list-offsets-monotonic"], "kip207"),
            ModelBug::HwOverCommittedIsrOnly => (&["isr-completeness"], "smoke"),
        }
    }
}
