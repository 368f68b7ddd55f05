//! Seeded bugs: historical replication bugs that a node can be built with, all off by default.
//!
//! Each has a stable id (used by the model, traces and the CLI), the JIRA or KIP it comes from,
//! and what it changes in this crate. The model carries the same ids, so a counterexample found
//! against the model replays against a node with the same bug. Which property catches each is
//! the suite's business: its one bug catalogue (`highwater_traces::catalogue`) says so, and a test
//! holds this table's ids and sources to it.

use std::fmt;

macro_rules! bugs {
    ($( $(#[$doc:meta])* $variant:ident = $id:literal, $source:literal, $changes:literal; )*) => {
        /// A seeded historical bug.
        #[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub enum Bug {
            $( $(#[$doc])* $variant, )*
        }

        impl Bug {
            /// Every seeded bug, in table order.
            pub const ALL: &'static [Bug] = &[$(Bug::$variant,)*];

            /// The stable id, e.g. `truncate-to-hw`.
            pub fn id(self) -> &'static str {
                match self { $(Bug::$variant => $id,)* }
            }

            /// The JIRA or KIP the bug comes from.
            pub fn source(self) -> &'static str {
                match self { $(Bug::$variant => $source,)* }
            }

            /// What enabling it changes in this crate.
            pub fn changes(self) -> &'static str {
                match self { $(Bug::$variant => $changes,)* }
            }
        }
    };
}

bugs! {
    /// A follower serves consumers up to its log end offset instead of its high watermark.
    FollowerServesLeo = "follower-serves-leo", "KIP-392",
        "a follower bounds consumer reads by its LEO, not its HW";
    /// A follower applies the leader's HW before truncating on a diverging epoch.
    HwBeforeTruncation = "hw-before-truncation", "KAFKA-14704",
        "on a diverging-epoch response the follower sets HW = min(leader HW, LEO) and truncates only on its next fetch";
    /// Pre-KIP-101: a new follower truncates to its local HW and fetches without an epoch check.
    TruncateToHw = "truncate-to-hw", "KAFKA-1211 / KIP-101",
        "become-follower truncates to the local HW; fetches carry no last_fetched_epoch";
    /// Pre-KIP-279: truncation uses the leader's end offset without comparing epochs.
    SingleRoundEpochLookup = "single-round-epoch-lookup", "KAFKA-6361 / KIP-279",
        "on a diverging epoch the follower truncates to min(leader end offset, own LEO) in one round";
    /// ISR expansion without the follower having reached the leader-epoch start offset.
    IsrExpandBeforeEpochStart = "isr-expand-before-epoch-start", "KAFKA-7128",
        "the leader adds a follower to the ISR once it reaches the HW, even below the epoch start offset";
    /// A new leader keeps its followers' fetch state from an earlier epoch.
    FollowerStateKeptAcrossEpochs = "follower-state-kept-across-epochs", "Vanlightly/kafka-tlaplus ResetFollowerState",
        "become-leader keeps follower LEOs from the broker's previous leadership";
    /// HW computed over the committed ISR only while an AlterPartition is pending.
    HwOverCommittedIsrOnly = "hw-over-committed-isr-only", "KIP-497",
        "the leader advances the HW over the committed ISR, ignoring members a pending expansion adds";
    /// The leader records a follower's fetch offset even when it answers with a diverging epoch.
    DivergingFetchUpdatesFollowerState = "diverging-fetch-updates-follower-state", "KAFKA-13141",
        "a diverging fetch updates the follower's LEO at the leader (and so the HW)";
    /// Brokers ignore `current_leader_epoch`.
    NoLeaderEpochFencing = "no-leader-epoch-fencing", "KAFKA-6880 / KIP-320",
        "no FENCED_LEADER_EPOCH or UNKNOWN_LEADER_EPOCH: requests from any epoch are served";
    /// A new leader does not write (epoch, LEO) into its epoch cache.
    NoEpochCacheEntryOnElection = "no-epoch-cache-entry-on-election", "KAFKA-7415",
        "the epoch cache gains the new epoch only when its first record is appended, and a follower refused OFFSET_OUT_OF_RANGE truncates to the leader's HW, as the Kafka of the bug did";
    /// A follower forgets its last fetched epoch after an empty response.
    EmptyResponseClearsLastFetchedEpoch = "empty-response-clears-last-fetched-epoch", "KAFKA-15510",
        "after an empty fetch response the follower sends last_fetched_epoch = -1, skipping the divergence check";
    /// ListOffsets and consumer OffsetsForLeaderEpoch are served while the HW is below the epoch start offset.
    ListOffsetsDuringLesoWindow = "list-offsets-during-leso-window", "KAFKA-2334 / KIP-207",
        "no OFFSET_NOT_AVAILABLE while HW < leader-epoch start offset";
    /// Consumer OffsetsForLeaderEpoch answers are not bounded by the HW under KIP-392's text.
    ConsumerEpochQueryUncapped = "consumer-epoch-query-uncapped", "KIP-392",
        "under KipStrict, OffsetsForLeaderEpoch from a consumer returns end offsets above the HW, as Kafka does (under Apache it changes nothing)";
    /// The selector may pick a replica outside the ISR.
    PreferredReplicaOutsideIsr = "preferred-replica-outside-isr", "KAFKA-14372",
        "selection candidates are all replicas holding the offset, in the ISR or not";
    /// Followers run the replica selector too, on stale state.
    SelectionOnFollower = "selection-on-follower", "KAFKA-13778",
        "a follower redirects consumers using its own (stale) view of the replicas";
    /// The consumer leaves its preferred replica only when the lease expires.
    LeaseOnlyRevert = "lease-only-revert", "KAFKA-14379",
        "errors that refresh metadata (NOT_LEADER_OR_FOLLOWER, FENCED_LEADER_EPOCH, OFFSET_NOT_AVAILABLE, timeouts) keep the preferred replica";
    /// The consumer resets its position on OFFSET_OUT_OF_RANGE from a follower.
    FollowerOutOfRangeResets = "follower-out-of-range-resets", "KAFKA-14255",
        "OFFSET_OUT_OF_RANGE from a follower applies the reset policy instead of returning to the leader";
    /// The HW is not advanced when an ISR shrink commits.
    HwStuckAfterShrink = "hw-stuck-after-shrink", "KAFKA-13091",
        "the leader does not try to advance the HW when an AlterPartition shrink commits";
}

impl Bug {
    /// The bug with this id.
    pub fn from_id(id: &str) -> Option<Bug> {
        Bug::ALL.iter().copied().find(|b| b.id() == id)
    }

    fn bit(self) -> u32 {
        1 << (self as u32)
    }
}

impl fmt::Display for Bug {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.id())
    }
}

/// A set of seeded bugs. Empty by default: the correct protocol.
#[derive(Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Bugs(u32);

impl Bugs {
    /// No bugs.
    pub const NONE: Bugs = Bugs(0);

    /// A set holding just this bug.
    pub fn only(bug: Bug) -> Bugs {
        Bugs(bug.bit())
    }

    /// Whether the set holds this bug.
    pub fn has(self, bug: Bug) -> bool {
        self.0 & bug.bit() != 0
    }

    /// The set with this bug added.
    pub fn with(self, bug: Bug) -> Bugs {
        Bugs(self.0 | bug.bit())
    }

    /// The bugs in the set, in table order.
    pub fn iter(self) -> impl Iterator<Item = Bug> {
        Bug::ALL.iter().copied().filter(move |b| self.has(*b))
    }

    /// Whether the set is empty.
    pub fn is_empty(self) -> bool {
        self.0 == 0
    }
}

impl FromIterator<Bug> for Bugs {
    fn from_iter<I: IntoIterator<Item = Bug>>(iter: I) -> Self {
        iter.into_iter().fold(Bugs::NONE, Bugs::with)
    }
}

impl fmt::Debug for Bugs {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_set().entries(self.iter().map(Bug::id)).finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_unique_and_round_trip() {
        assert_eq!(Bug::ALL.len(), 18);
        for bug in Bug::ALL {
            assert_eq!(Bug::from_id(bug.id()), Some(*bug));
            assert!(!bug.source().is_empty() && !bug.changes().is_empty());
        }
        let mut ids: Vec<_> = Bug::ALL.iter().map(|b| b.id()).collect();
        ids.sort();
        ids.dedup();
        assert_eq!(ids.len(), Bug::ALL.len());
        assert_eq!(Bug::from_id("no-such-bug"), None);
    }

    #[test]
    fn set_holds_what_was_added() {
        let set: Bugs = [Bug::TruncateToHw, Bug::LeaseOnlyRevert].into_iter().collect();
        assert!(set.has(Bug::TruncateToHw) && set.has(Bug::LeaseOnlyRevert));
        assert!(!set.has(Bug::FollowerServesLeo));
        assert_eq!(set.iter().count(), 2);
        assert!(Bugs::default().is_empty());
        assert_eq!(format!("{set:?}"), r#"{"truncate-to-hw", "lease-only-revert"}"#);
    }
}
