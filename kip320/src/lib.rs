//! # highwater-kip320
//!
//! A port to stateright of `Kip320.tla` from Jason Gustafson's public TLA+ specification of Kafka
//! replication, <https://github.com/hachikuji/kafka-specification>, together with the modules it
//! builds on there (`Kip279.tla`, `KafkaReplication.tla`, `FiniteReplicatedLog.tla`,
//! `IdSequence.tla`, `Util.tla`). KIP-320 fences fetches and truncation by leader epoch; the spec
//! models one partition, a controller acting directly on the quorum state, lossy and duplicated
//! LeaderAndIsr requests, and replicas that lead, follow, fetch, truncate and move the high
//! watermark.
//!
//! This crate is a benchmark anchor, separate from highwater's own model: TLC's published
//! numbers for this spec (3 replicas, `LogSize = MaxRecords = MaxLeaderEpoch = 2`, invariants
//! `WeakIsr` and `StrongIsr`) are [`TLC_DISTINCT`] distinct states and [`TLC_GENERATED`] states
//! generated at depth [`TLC_DEPTH`], and [`count`] reproduces all three exactly. The repository
//! ships no `.cfg` file, and the counts are those of the plain state space: no symmetry set.
//! Matching both counts pins down that the port explores the same state graph with the same
//! branching, so timings of stateright on it compare like with like against
//! [`TLC_SECONDS_ONE_WORKER`].
//!
//! "Generated" counts repeats the way TLC does: see [`ShrinkReason`] for the one place where
//! the spec makes TLC produce the same successor twice from one state (38,406 times in the
//! published configuration).
//!
//! ## From TLA+ variables to fields of [`State`]
//!
//! | TLA+ | Rust |
//! |---|---|
//! | `replicaLog` | [`State::logs`]: per replica, [`state::ReplicaLog`] (`endOffset`, `records`) |
//! | `replicaState` | [`State::replicas`]: per replica, [`state::ReplicaState`] (`hw`, `leaderEpoch`, `leader`, `isr`) |
//! | `nextRecordId` | [`State::next_record_id`] |
//! | `nextLeaderEpoch` | [`State::next_leader_epoch`] |
//! | `leaderAndIsrRequests` | [`State::requests`], keyed by the request's leader epoch |
//! | `quorumState` | [`State::quorum`]: [`state::QuorumState`] (`leaderEpoch`, `leader`, `isr`) |
//!
//! Replicas are the ids `0..replicas`; `None` (the string "NONE") is `Option::None`; `Nil`
//! (-1) is `Option::None` as an epoch or as an unwritten log slot; `SUBSET Replicas` is a
//! bitset. Each `Next` disjunct is an [`Action`] variant carrying its bindings.
//!
//! ## Departures
//!
//! None in behaviour. The state space is bounded by the spec's own sequences (record ids,
//! leader epochs) and log size; no state constraint is added.

#![forbid(unsafe_code)]
#![warn(missing_docs)]

mod actions;
mod count;
mod invariants;
pub mod state;

use stateright::{Model, Property};

pub use actions::{Action, ShrinkReason};
pub use count::{count, Counts};
pub use state::State;

use state::{QuorumState, ReplicaSet, MAX_LEADER_EPOCH, MAX_LOG_SIZE, MAX_REPLICAS};

/// Distinct states TLC reports for [`Kip320::tlc`].
pub const TLC_DISTINCT: usize = 737_794;
/// States generated TLC reports for [`Kip320::tlc`].
pub const TLC_GENERATED: usize = 1_967_560;
/// The depth TLC reports for [`Kip320::tlc`].
pub const TLC_DEPTH: usize = 26;
/// TLC's published wall-clock time for [`Kip320::tlc`] with one worker.
pub const TLC_SECONDS_ONE_WORKER: f64 = 52.2;

/// The spec's constants. `Replicas` is `{0, .., replicas - 1}`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Kip320 {
    /// `Cardinality(Replicas)`.
    pub replicas: u8,
    /// `LogSize`: the capacity of every replica's log.
    pub log_size: u8,
    /// `MaxRecords`: how many records producers may write in total.
    pub max_records: u8,
    /// `MaxLeaderEpoch`: the highest epoch the controller may hand out.
    pub max_leader_epoch: u8,
}

impl Kip320 {
    /// A configuration.
    ///
    /// # Panics
    ///
    /// If a constant exceeds what the fixed-size [`State`] holds (see [`state::MAX_REPLICAS`],
    /// [`state::MAX_LOG_SIZE`], [`state::MAX_LEADER_EPOCH`]) or there are no replicas.
    pub fn new(replicas: u8, log_size: u8, max_records: u8, max_leader_epoch: u8) -> Kip320 {
        assert!((1..=MAX_REPLICAS).contains(&(replicas as usize)), "1..={MAX_REPLICAS} replicas");
        assert!(log_size as usize <= MAX_LOG_SIZE, "LogSize at most {MAX_LOG_SIZE}");
        assert!(max_leader_epoch as usize <= MAX_LEADER_EPOCH, "MaxLeaderEpoch at most {MAX_LEADER_EPOCH}");
        Kip320 { replicas, log_size, max_records, max_leader_epoch }
    }

    /// The configuration TLC's published counts are for: 3 replicas and
    /// `LogSize = MaxRecords = MaxLeaderEpoch = 2`.
    pub fn tlc() -> Kip320 {
        Kip320::new(3, 2, 2, 2)
    }

    /// `Init`: empty logs, replicas that know of no leader, and a quorum with every replica in
    /// the ISR but no leader and no epoch yet.
    pub fn initial_states(&self) -> Vec<State> {
        vec![State {
            logs: Default::default(),
            replicas: Default::default(),
            next_record_id: 0,
            next_leader_epoch: 0,
            requests: [None; MAX_LEADER_EPOCH + 1],
            quorum: QuorumState { leader_epoch: None, leader: None, isr: ReplicaSet::all(self.replicas) },
        }]
    }
}

impl Model for Kip320 {
    type State = State;
    type Action = Action;

    fn init_states(&self) -> Vec<State> {
        self.initial_states()
    }

    fn actions(&self, state: &State, actions: &mut Vec<Action>) {
        self.enabled_actions(state, actions);
    }

    fn next_state(&self, state: &State, action: Action) -> Option<State> {
        Some(self.successor(state, action))
    }

    fn properties(&self) -> Vec<Property<Self>> {
        vec![
            Property::always("WeakIsr", |model: &Kip320, state: &State| model.weak_isr(state)),
            Property::always("StrongIsr", |model: &Kip320, state: &State| model.strong_isr(state)),
        ]
    }
}
