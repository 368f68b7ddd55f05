//! Seeded bugs the model can be built with, all off by default. Each is an entry of the one bug
//! catalogue (`highwater_traces::catalogue`), whose id the protocol crate uses for the same
//! historical bug, so a counterexample found here replays there with the bug enabled
//! (`highwater replay`, `highwater bugs --verify`).

use highwater_traces::catalogue::{SeededBug, BUGS};
use serde::{Deserialize, Serialize};

pub use highwater_traces::catalogue::BugSearch;

/// A historical bug the model can carry: one variant per entry of
/// [`highwater_traces::catalogue::BUGS`], in the same order, where its id, source, description,
/// property, preset and search are defined.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
#[allow(missing_docs)]
pub enum ModelBug {
    FollowerServesLeo,
    PreferredReplicaOutsideIsr,
    ListOffsetsDuringLesoWindow,
    HwOverCommittedIsrOnly,
    TruncateToHw,
    DivergingFetchUpdatesFollowerState,
    NoLeaderEpochFencing,
    HwBeforeTruncation,
    IsrExpandBeforeEpochStart,
    SingleRoundEpochLookup,
    NoEpochCacheEntryOnElection,
    ConsumerEpochQueryUncapped,
    HwStuckAfterShrink,
    FollowerOutOfRangeResets,
    FollowerStateKeptAcrossEpochs,
    EmptyResponseClearsLastFetchedEpoch,
    SelectionOnFollower,
    LeaseOnlyRevert,
}

impl ModelBug {
    /// Every bug the model carries.
    pub const ALL: [ModelBug; 18] = [
        ModelBug::FollowerServesLeo,
        ModelBug::PreferredReplicaOutsideIsr,
        ModelBug::ListOffsetsDuringLesoWindow,
        ModelBug::HwOverCommittedIsrOnly,
        ModelBug::TruncateToHw,
        ModelBug::DivergingFetchUpdatesFollowerState,
        ModelBug::NoLeaderEpochFencing,
        ModelBug::HwBeforeTruncation,
        ModelBug::IsrExpandBeforeEpochStart,
        ModelBug::SingleRoundEpochLookup,
        ModelBug::NoEpochCacheEntryOnElection,
        ModelBug::ConsumerEpochQueryUncapped,
        ModelBug::HwStuckAfterShrink,
        ModelBug::FollowerOutOfRangeResets,
        ModelBug::FollowerStateKeptAcrossEpochs,
        ModelBug::EmptyResponseClearsLastFetchedEpoch,
        ModelBug::SelectionOnFollower,
        ModelBug::LeaseOnlyRevert,
    ];

    /// Its catalogue entry.
    pub fn entry(self) -> &'static SeededBug {
        &BUGS[self as usize]
    }

    /// The id shared with the protocol crate.
    pub fn id(self) -> &'static str {
        self.entry().id
    }

    /// The bug with this id, if the model carries it.
    pub fn from_id(id: &str) -> Option<ModelBug> {
        ModelBug::ALL.into_iter().find(|b| b.id() == id)
    }

    /// How `highwater bugs --verify` looks for it on its preset.
    pub fn search(self) -> BugSearch {
        self.entry().search
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_catalogue_entry_is_a_model_bug_in_the_same_order_under_the_same_name() {
        assert_eq!(ModelBug::ALL.len(), BUGS.len());
        for (bug, entry) in ModelBug::ALL.iter().zip(BUGS) {
            assert_eq!(serde_json::to_value(bug).unwrap(), entry.id, "{bug:?}");
            assert_eq!(ModelBug::from_id(entry.id), Some(*bug));
        }
    }
}
