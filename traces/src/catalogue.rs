//! The seeded-bug catalogue: every historical bug the suite seeds, defined once.
//!
//! The model and the protocol crate each carry the bugs under these ids (the protocol crate's
//! `Bug` says what each changes there, and a test holds its table to this one); `highwater bugs`
//! prints this table, and `docs/bugs.md` carries it as `highwater bugs --format markdown`
//! writes it.

use serde::Serialize;

use crate::view::Semantics;

/// How `highwater bugs --verify` searches the model for a seeded bug.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum BugSearch {
    /// Breadth first, stopping at the first violation: exhaustive when the budget allows, so a
    /// miss on a small preset is a proof that the preset cannot show the bug, and the
    /// counterexamples are short.
    BreadthFirst,
    /// Depth first on one thread, stopping at the first violation: for a counterexample deeper
    /// than breadth first reaches within the budget, in a preset where depth first finds it
    /// without luck (the same search every run, whatever the seed).
    DepthFirst,
    /// Seeded random walks (stateright's simulation), stopping at the first violation: for a
    /// counterexample in a preset too large to exhaust.
    RandomWalks,
}

impl BugSearch {
    /// Its name in output.
    pub fn name(self) -> &'static str {
        match self {
            BugSearch::BreadthFirst => "breadth-first",
            BugSearch::DepthFirst => "depth-first",
            BugSearch::RandomWalks => "random-walks",
        }
    }
}

/// One seeded historical bug.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct SeededBug {
    /// The stable id, e.g. `truncate-to-hw`.
    pub id: &'static str,
    /// The JIRA issue or KIP it comes from.
    pub source: &'static str,
    /// What goes wrong, in one line.
    pub description: &'static str,
    /// The property that catches it.
    pub property: &'static str,
    /// The smallest preset known to expose it.
    pub preset: &'static str,
    /// How `bugs --verify` searches for it there.
    pub search: BugSearch,
    /// The semantics it departs from: a bug is a departure from the rules it is checked under.
    pub semantics: Semantics,
}

macro_rules! semantics {
    () => {
        Semantics::Apache
    };
    ($semantics:ident) => {
        Semantics::$semantics
    };
}

macro_rules! catalogue {
    ($( $id:literal, $source:literal, $property:literal, $preset:literal, $search:ident $(under $semantics:ident)?, $description:literal; )*) => {
        /// Every seeded bug, in table order.
        pub const BUGS: &[SeededBug] = &[$(
            SeededBug {
                id: $id,
                source: $source,
                description: $description,
                property: $property,
                preset: $preset,
                search: BugSearch::$search,
                semantics: semantics!($($semantics)?),
            },
        )*];
    };
}

catalogue! {
    "follower-serves-leo", "KIP-392", "no-read-above-hw", "smoke", BreadthFirst,
        "a follower bounds consumer reads by its log end offset instead of its high watermark";
    "preferred-replica-outside-isr", "KAFKA-14372", "preferred-replica-valid", "smoke", BreadthFirst,
        "the leader's replica selector considers replicas outside the ISR";
    "list-offsets-during-leso-window", "KAFKA-2334 / KIP-207", "list-offsets-monotonic", "kip207", BreadthFirst,
        "ListOffsets(latest) is answered while a new leader's HW is below its epoch start offset";
    "hw-over-committed-isr-only", "KIP-497", "isr-completeness", "smoke", BreadthFirst,
        "the leader advances the HW over the committed ISR only, ignoring members a pending expansion adds";
    "truncate-to-hw", "KAFKA-1211 / KIP-101", "isr-completeness", "failover", BreadthFirst,
        "a new follower truncates to its local HW and fetches without its last fetched epoch";
    "diverging-fetch-updates-follower-state", "KAFKA-13141", "isr-completeness", "failover", BreadthFirst,
        "the leader records a follower's fetch offset even when it answers with a diverging epoch";
    "no-leader-epoch-fencing", "KAFKA-6880 / KIP-320", "epoch-fencing", "smoke", BreadthFirst,
        "brokers ignore current_leader_epoch and serve requests from any epoch";
    "hw-before-truncation", "KAFKA-14704", "log-matching", "failover", BreadthFirst,
        "on a diverging epoch a follower takes the leader's HW first and truncates only before its next fetch";
    "isr-expand-before-epoch-start", "KAFKA-7128", "isr-completeness", "four-replicas", RandomWalks,
        "the leader adds a follower to the ISR below its leader-epoch start offset";
    "single-round-epoch-lookup", "KAFKA-6361 / KIP-279", "isr-recovers", "elections", BreadthFirst,
        "a follower truncates to the leader's end offset in one round, without comparing epochs";
    "no-epoch-cache-entry-on-election", "KAFKA-7415", "isr-completeness", "elections", BreadthFirst,
        "a new leader does not write its epoch into its epoch cache until its first record; its followers still truncate to the HW when it cannot answer for their epoch, as the Kafka of the bug did";
    "consumer-epoch-query-uncapped", "KIP-392", "epoch-query-capped", "kip207", BreadthFirst under KipStrict,
        "OffsetsForLeaderEpoch from a consumer answers end offsets above the HW, as Kafka 4.4 does and KIP-392's text forbids";
    "hw-stuck-after-shrink", "KAFKA-13091", "committed-eventually-visible", "smoke", BreadthFirst,
        "the leader does not try to advance the HW when an ISR shrink commits";
    "follower-out-of-range-resets", "KAFKA-14255", "consumer-prefix", "lagging", BreadthFirst,
        "a consumer applies its reset policy on OFFSET_OUT_OF_RANGE from a follower";
    "follower-state-kept-across-epochs", "Vanlightly/kafka-tlaplus ResetFollowerState", "isr-completeness", "replication", BreadthFirst,
        "a new leader starts from the follower state of its previous leadership";
    "empty-response-clears-last-fetched-epoch", "KAFKA-15510", "fetch-names-last-epoch", "failover", BreadthFirst,
        "after an empty fetch answer a follower sends no last fetched epoch";
    "selection-on-follower", "KAFKA-13778", "preferred-replica-valid", "rack-outage", DepthFirst,
        "a follower runs the replica selector on its own stale view of the replicas";
    "lease-only-revert", "KAFKA-14379", "preferred-replica-dropped-on-error", "smoke", BreadthFirst,
        "a consumer keeps a preferred read replica that refused it until the lease runs out";
}

/// The seeded bug with this id.
pub fn bug(id: &str) -> Option<&'static SeededBug> {
    BUGS.iter().find(|b| b.id == id)
}

/// The catalogue as a Markdown table, as `docs/bugs.md` carries it.
pub fn markdown_table() -> String {
    let mut out = String::from("| id | source | what goes wrong | caught by | preset | semantics | search |\n");
    out.push_str("|---|---|---|---|---|---|---|\n");
    for b in BUGS {
        out.push_str(&format!(
            "| `{}` | {} | {} | `{}` | `{}` | {} | {} |\n",
            b.id,
            b.source,
            b.description,
            b.property,
            b.preset,
            b.semantics.name(),
            b.search.name()
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_unique_and_found() {
        let mut ids: Vec<&str> = BUGS.iter().map(|b| b.id).collect();
        ids.sort_unstable();
        ids.dedup();
        assert_eq!(ids.len(), BUGS.len());
        assert_eq!(bug("truncate-to-hw").map(|b| b.source), Some("KAFKA-1211 / KIP-101"));
        assert_eq!(bug("no-such-bug"), None);
    }

    #[test]
    fn the_markdown_table_has_a_row_per_bug() {
        let table = markdown_table();
        assert_eq!(table.lines().count(), BUGS.len() + 2);
        assert!(table.contains("| `selection-on-follower` | KAFKA-13778 |"), "{table}");
    }
}
