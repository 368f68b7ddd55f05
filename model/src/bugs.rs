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
    /// KAFKA-1211 / KIP-101: a new follower truncates to its local HW and fetches without its
    /// last fetched epoch.
    TruncateToHw,
    /// KAFKA-13141: the leader records a follower's fetch offset even when it answers with a
    /// diverging epoch.
    DivergingFetchUpdatesFollowerState,
    /// KAFKA-6880 / KIP-320: brokers ignore `current_leader_epoch`.
    NoLeaderEpochFencing,
    /// KAFKA-14704: on a diverging epoch a follower takes the leader's HW first and truncates
    /// only before its next fetch.
    HwBeforeTruncation,
    /// KAFKA-7128: the leader adds a follower to the ISR below its epoch start offset.
    IsrExpandBeforeEpochStart,
    /// KAFKA-6361 / KIP-279: a follower truncates to the leader's end offset in one round.
    SingleRoundEpochLookup,
    /// KAFKA-7415: a new leader does not write its epoch into its epoch cache.
    NoEpochCacheEntryOnElection,
    /// KIP-392: OffsetsForLeaderEpoch from a consumer answers end offsets above the HW.
    ConsumerEpochQueryUncapped,
    /// KAFKA-13091: the leader does not try to advance the HW when an ISR shrink commits.
    HwStuckAfterShrink,
    /// KAFKA-14255: a consumer applies its reset policy on OFFSET_OUT_OF_RANGE from a follower.
    FollowerOutOfRangeResets,
    /// Vanlightly's `ResetFollowerState`: a new leader starts from the follower state of its
    /// previous leadership.
    FollowerStateKeptAcrossEpochs,
    /// KAFKA-15510: after an empty fetch answer a follower sends no last fetched epoch.
    EmptyResponseClearsLastFetchedEpoch,
    /// KAFKA-13778: a follower runs the replica selector on its stale view.
    SelectionOnFollower,
    /// KAFKA-14379: a failed request keeps the preferred replica until the lease runs out.
    LeaseOnlyRevert,
}

/// How a seeded bug is searched for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BugSearch {
    /// Breadth first, stopping at the first violation: exhaustive when the budget allows, so a
    /// miss on a small preset is a proof that the preset cannot show the bug. Measured against
    /// depth first on every bug it catches, it finds each as fast or faster (12.4 s to 0.9 s
    /// for `single-round-epoch-lookup`, 126 s to 10 s for `follower-state-kept-across-epochs`)
    /// and with counterexamples half as long, for more memory (0.43 GB at most over the 18).
    BreadthFirst,
    /// Depth first on one thread, stopping at the first violation: for a counterexample deeper
    /// than breadth first reaches within the budget, in a preset depth first finds it in
    /// without luck (the same search every run, whatever the seed).
    DepthFirst,
    /// Seeded random walks (stateright's simulation), stopping at the first violation.
    RandomWalks,
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

    /// The id shared with the protocol crate.
    pub fn id(self) -> &'static str {
        match self {
            ModelBug::FollowerServesLeo => "follower-serves-leo",
            ModelBug::PreferredReplicaOutsideIsr => "preferred-replica-outside-isr",
            ModelBug::ListOffsetsDuringLesoWindow => "list-offsets-during-leso-window",
            ModelBug::HwOverCommittedIsrOnly => "hw-over-committed-isr-only",
            ModelBug::TruncateToHw => "truncate-to-hw",
            ModelBug::DivergingFetchUpdatesFollowerState => "diverging-fetch-updates-follower-state",
            ModelBug::NoLeaderEpochFencing => "no-leader-epoch-fencing",
            ModelBug::HwBeforeTruncation => "hw-before-truncation",
            ModelBug::IsrExpandBeforeEpochStart => "isr-expand-before-epoch-start",
            ModelBug::SingleRoundEpochLookup => "single-round-epoch-lookup",
            ModelBug::NoEpochCacheEntryOnElection => "no-epoch-cache-entry-on-election",
            ModelBug::ConsumerEpochQueryUncapped => "consumer-epoch-query-uncapped",
            ModelBug::HwStuckAfterShrink => "hw-stuck-after-shrink",
            ModelBug::FollowerOutOfRangeResets => "follower-out-of-range-resets",
            ModelBug::FollowerStateKeptAcrossEpochs => "follower-state-kept-across-epochs",
            ModelBug::EmptyResponseClearsLastFetchedEpoch => "empty-response-clears-last-fetched-epoch",
            ModelBug::SelectionOnFollower => "selection-on-follower",
            ModelBug::LeaseOnlyRevert => "lease-only-revert",
        }
    }

    /// The bug with this id, if the model carries it.
    pub fn from_id(id: &str) -> Option<ModelBug> {
        ModelBug::ALL.into_iter().find(|b| b.id() == id)
    }

    /// How `highwater bugs --verify` looks for it on its preset: breadth first, or, where the
    /// counterexample lies deeper than breadth first reaches in a minute, depth first or by
    /// random walks (measured per bug: README, "`highwater bugs`").
    pub fn search(self) -> BugSearch {
        match self {
            ModelBug::IsrExpandBeforeEpochStart => BugSearch::RandomWalks,
            ModelBug::SelectionOnFollower => BugSearch::DepthFirst,
            _ => BugSearch::BreadthFirst,
        }
    }

    /// The properties it is expected to break, and the preset that exposes it.
    pub fn expected(self) -> (&'static [&'static str], &'static str) {
        match self {
            ModelBug::FollowerServesLeo => (&["no-read-above-hw", "consumed-is-committed"], "smoke"),
            ModelBug::PreferredReplicaOutsideIsr => (&["preferred-replica-valid"], "smoke"),
            ModelBug::ListOffsetsDuringLesoWindow => (&["list-offsets-monotonic"], "kip207"),
            ModelBug::HwOverCommittedIsrOnly => (&["isr-completeness"], "smoke"),
            ModelBug::TruncateToHw => (&["leader-completeness", "isr-completeness"], "failover"),
            ModelBug::DivergingFetchUpdatesFollowerState => {
                (&["consumed-is-committed", "log-matching", "isr-completeness"], "failover")
            }
            ModelBug::NoLeaderEpochFencing => (&["epoch-fencing", "isr-completeness"], "smoke"),
            ModelBug::HwBeforeTruncation => (&["consumed-is-committed", "log-matching"], "failover"),
            ModelBug::IsrExpandBeforeEpochStart => (&["isr-completeness"], "four-replicas"),
            ModelBug::SingleRoundEpochLookup => (&["log-matching", "isr-recovers"], "elections"),
            ModelBug::NoEpochCacheEntryOnElection => (&["log-matching", "isr-completeness"], "elections"),
            ModelBug::ConsumerEpochQueryUncapped => (&["no-offset-above-hw"], "kip207"),
            ModelBug::HwStuckAfterShrink => (&["committed-eventually-visible"], "smoke"),
            ModelBug::FollowerOutOfRangeResets => (&["consumer-prefix"], "lagging"),
            ModelBug::FollowerStateKeptAcrossEpochs => (&["isr-completeness"], "replication"),
            ModelBug::EmptyResponseClearsLastFetchedEpoch => (&["fetch-names-last-epoch", "log-matching"], "failover"),
            ModelBug::SelectionOnFollower => (&["preferred-replica-valid"], "rack-outage"),
            ModelBug::LeaseOnlyRevert => (&["preferred-replica-dropped-on-error"], "smoke"),
        }
    }
}
