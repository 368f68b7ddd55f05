//! # highwater-properties
//!
//! Every property of the suite, written once as a named function over
//! [`highwater_traces::ClusterView`], with a one-line statement of what it guarantees. The model
//! checker, trace replay and the property-based tests all judge runs with these.
//!
//! | kind | meaning | verdicts |
//! |---|---|---|
//! | safety | holds in every state | holds / VIOLATED |
//! | liveness | bounded: after faults stop, a fair continuation reaches the goal within K steps | holds / VIOLATED |
//! | coverage | some state reaches it ("sometimes") | reached / NOT REACHED |
#![forbid(unsafe_code)]
#![deny(missing_docs)]

pub mod availability;
pub mod coverage;
pub mod explain;
pub mod liveness;
pub mod safety;

use highwater_traces::{ClusterView, Happened, Semantics};

/// What kind of property.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Kind {
    /// Must hold in every state.
    Safety,
    /// Must be reached by a fair continuation once faults stop.
    Liveness,
    /// Must be reached by some state.
    Coverage,
}

impl Kind {
    /// Lower-case name.
    pub fn name(self) -> &'static str {
        match self {
            Kind::Safety => "safety",
            Kind::Liveness => "liveness",
            Kind::Coverage => "coverage",
        }
    }
}

/// A named property.
#[derive(Clone, Copy, Debug)]
pub struct Property {
    /// Stable kebab-case name.
    pub name: &'static str,
    /// Its kind.
    pub kind: Kind,
    /// What it guarantees, in one line.
    pub statement: &'static str,
    /// Safety and coverage: the predicate. Liveness: the goal.
    pub check: fn(&ClusterView) -> bool,
    /// Liveness only: when the goal is owed.
    pub precondition: Option<fn(&ClusterView) -> bool>,
    /// The semantics it is judged under, when it is a promise of one alone (KIP-392's text
    /// promises what Kafka as built does not); `None`: both.
    pub under: Option<Semantics>,
}

impl Property {
    /// Whether it is judged under `semantics`.
    pub fn applies(&self, semantics: Semantics) -> bool {
        self.under.is_none_or(|under| under == semantics)
    }
}

macro_rules! safety {
    ($name:literal, $f:path, $statement:literal) => {
        Property { name: $name, kind: Kind::Safety, statement: $statement, check: $f, precondition: None, under: None }
    };
    ($name:literal, $f:path, $statement:literal, under $semantics:ident) => {
        Property {
            name: $name,
            kind: Kind::Safety,
            statement: $statement,
            check: $f,
            precondition: None,
            under: Some(Semantics::$semantics),
        }
    };
}

macro_rules! coverage {
    ($name:literal, $what:expr, $statement:literal) => {
        Property {
            name: $name,
            kind: Kind::Coverage,
            statement: $statement,
            check: |view| coverage::reached(view, $what),
            precondition: None,
            under: None,
        }
    };
}

macro_rules! liveness {
    ($name:literal, $goal:path, $statement:literal) => {
        Property {
            name: $name,
            kind: Kind::Liveness,
            statement: $statement,
            check: $goal,
            precondition: Some(liveness::faults_over),
            under: None,
        }
    };
}

/// Every property, safety first, then liveness, then coverage.
pub const ALL: &[Property] = &[
    safety!(
        "no-read-above-hw",
        safety::no_read_above_hw,
        "a replica never hands a consumer a record at or above its own high watermark"
    ),
    safety!(
        "no-offset-above-hw",
        safety::no_offset_above_hw,
        "a leader's ListOffsets answer never tells a consumer an offset above its high watermark"
    ),
    safety!(
        "epoch-query-capped",
        safety::epoch_query_capped,
        "an OffsetsForLeaderEpoch answer never tells a consumer an end offset above the high watermark (KIP-392's text; Kafka answers the epoch's end offset)",
        under KipStrict
    ),
    safety!(
        "consumer-position-committed",
        safety::consumer_position_committed,
        "no consumer's position ever goes past the committed records: no answer, uncapped or not, moves it above the high watermark"
    ),
    safety!(
        "consumed-is-committed",
        safety::consumed_is_committed,
        "every record a consumer received is committed at that offset, and stays so"
    ),
    safety!(
        "leader-epoch-monotonic",
        safety::leader_epoch_monotonic,
        "leader epochs never go backwards at the controller, any replica or any consumer"
    ),
    safety!("log-epochs-monotonic", safety::log_epochs_monotonic, "record epochs never decrease along any log"),
    safety!("one-leader-per-epoch", safety::one_leader_per_epoch, "at most one live broker leads any one epoch"),
    safety!("leader-completeness", safety::leader_completeness, "the live elected leader holds every committed record"),
    safety!(
        "isr-completeness",
        safety::isr_completeness,
        "every live, unfenced controller-ISR member holds every committed record"
    ),
    safety!("log-matching", safety::log_matching, "any two replicas agree below the smaller of their high watermarks"),
    safety!(
        "list-offsets-monotonic",
        safety::list_offsets_monotonic,
        "ListOffsets(latest) answers a consumer sees never go backwards (KIP-207)"
    ),
    safety!(
        "preferred-replica-valid",
        safety::preferred_replica_valid,
        "preferred read replicas are chosen only by the leader, from its ISR, holding the fetch offset"
    ),
    safety!(
        "preferred-replica-dropped-on-error",
        safety::preferred_replica_dropped_on_error,
        "a consumer drops a preferred read replica that refuses its fetch with an error calling for new metadata (KAFKA-14379)"
    ),
    safety!(
        "epoch-fencing",
        safety::epoch_fencing,
        "a replica never serves a request naming another leader epoch: FENCED_LEADER_EPOCH if older, UNKNOWN_LEADER_EPOCH if newer (KIP-320)"
    ),
    safety!(
        "fetch-names-last-epoch",
        safety::fetch_names_last_epoch,
        "a follower's fetch past offset 0 names the epoch of its last record, so the leader can check it for divergence (KIP-595)"
    ),
    safety!(
        "consumer-prefix",
        safety::consumer_prefix,
        "a consumer's records have no gaps, duplicates or reorders except at an explicit reset"
    ),
    liveness!(
        "committed-eventually-visible",
        liveness::committed_visible,
        "once faults stop, every committed record (under a leader's HW, or held by all the ISR) reaches every consumer within K fair steps"
    ),
    liveness!(
        "preferred-replica-released",
        liveness::no_consumer_on_bad_replica,
        "once faults stop, no consumer stays on a crashed, cut-off or out-of-sync replica beyond K fair steps"
    ),
    liveness!(
        "isr-recovers",
        liveness::every_live_replica_in_isr,
        "once faults stop, every live replica is back in the controller's ISR within K fair steps (under-replication heals)"
    ),
    coverage!(
        "consumer-read-from-follower",
        Happened::ConsumerReadFromFollower,
        "a consumer received records from a follower"
    ),
    coverage!(
        "follower-answered-not-available-or-empty",
        Happened::FollowerAnsweredNotAvailableOrEmpty,
        "a follower answered a consumer with OFFSET_NOT_AVAILABLE or an empty read"
    ),
    coverage!(
        "consumer-fell-back-to-leader",
        Happened::ConsumerFellBackToLeader,
        "a consumer left its preferred replica for the leader"
    ),
    coverage!("follower-truncated", Happened::FollowerTruncated, "a follower truncated its log"),
    coverage!("leader-changed", Happened::LeaderChanged, "the controller elected a different leader"),
    coverage!(
        "rack-cut-while-consuming",
        Happened::RackCutWhileConsuming,
        "a consumer received records while a rack was cut"
    ),
];

/// The property with this name.
pub fn by_name(name: &str) -> Option<&'static Property> {
    ALL.iter().find(|p| p.name == name)
}

/// Names of the safety properties `view` violates, of those judged under its semantics.
pub fn violated_safety(view: &ClusterView) -> Vec<&'static str> {
    ALL.iter()
        .filter(|p| p.kind == Kind::Safety && p.applies(view.semantics) && !(p.check)(view))
        .map(|p| p.name)
        .collect()
}
