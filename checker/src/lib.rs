//! A breadth-first model checker over stateright's [`Model`](stateright::Model) trait, for
//! models whose states are costly to build: it uses every core and still gives the same result,
//! to the byte, on every run.
//!
//! The search goes level by level (every state `d` steps from an initial state, then every state
//! `d + 1` steps away). The workers share a level's states in chunks; a state first found in the
//! level is kept with the least (parent position, action index) that found it, and the next
//! level is put in that order. So the states, their order, every counterexample (the first in
//! that order, hence a shortest one) and every count are the same whatever the number of threads
//! and however they interleave.
//!
//! What it keeps: a 64-bit fingerprint of each state found (of its representative, under a
//! symmetry), the states of two levels, and for every state its parent's position and the index
//! of the action that led to it, from which a counterexample's path is rebuilt by replaying the
//! model. What stateright's own checkers do differently is in `docs/checker.md`; the default
//! search of `highwater check` is still stateright's depth-first one, which holds less memory.
//!
//! Properties are stateright's: `always` and `sometimes` are checked in every state found;
//! `eventually` is refused (a bounded-liveness check belongs in an `always` condition).
//!
//! A search can be split over processes ([`Shard`]): every shard explores the same prefix of
//! levels, then only the states of the prefix's last level whose fingerprint falls in its part,
//! and everything reachable from them. The union of the shards' fingerprints is then the set of
//! reachable states, which is how shard reports are merged.

#![forbid(unsafe_code)]
#![warn(missing_docs)]

mod search;
mod visited;

use std::hash::Hash;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::time::Instant;

pub use search::check;

/// The fingerprint of a state: a fixed-seed 64-bit hash, the same in every process running the
/// same build (shards of one search must run one build).
pub fn fingerprint<T: Hash>(value: &T) -> u64 {
    ahash::RandomState::with_seeds(0x6869_6768, 0x7761_7465, 0x725f_6670, 0x5f73_6565).hash_one(value)
}

/// The most parts a search may be split into.
pub const MAX_SHARDS: u64 = 1 << 16;

/// One part of a search split over several processes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Shard {
    /// Which part, from 0.
    pub index: u64,
    /// How many parts.
    pub count: u64,
}

impl Shard {
    /// Parse `I/N`, with `I < N`.
    pub fn parse(text: &str) -> Result<Shard, String> {
        let (index, count) = text.split_once('/').ok_or_else(|| format!("`{text}`: expected I/N, such as 0/4"))?;
        let number = |s: &str| s.trim().parse::<u64>().map_err(|_| format!("`{text}`: `{s}` is not a whole number"));
        let (index, count) = (number(index)?, number(count)?);
        if count == 0 || index >= count {
            return Err(format!("`{text}`: expected 0 <= I < N"));
        }
        if count > MAX_SHARDS {
            return Err(format!("`{text}`: at most {MAX_SHARDS} parts"));
        }
        Ok(Shard { index, count })
    }

    /// Whether a state of the split level belongs to this part.
    pub fn owns(&self, fingerprint: u64) -> bool {
        fingerprint % self.count == self.index
    }

    /// How wide a level must be before the search splits there: wide enough that every part gets
    /// a fair share. (Every shard computes the same prefix, so they agree on the level.)
    pub fn split_width(&self) -> usize {
        64 * self.count as usize
    }
}

/// How to search.
pub struct Options<'a, S> {
    /// Worker threads (at least one).
    pub threads: usize,
    /// Stop, incomplete, after the level at which this many states have been found.
    pub max_states: Option<usize>,
    /// Explore paths of at most this many steps; incomplete if a longer one was cut.
    pub max_depth: Option<usize>,
    /// Stop, incomplete, at this instant.
    pub deadline: Option<Instant>,
    /// A representative of each state's class: states with the same representative are one.
    pub symmetry: Option<fn(&S) -> S>,
    /// Stop after the level in which an `always` property is first violated.
    pub first_violation: bool,
    /// Explore only this part of the search.
    pub shard: Option<Shard>,
    /// Keep every fingerprint found, sorted, in the outcome (for merging shards).
    pub keep_fingerprints: bool,
    /// Polled between chunks of work: `true` stops the search, incomplete.
    pub interrupted: &'a (dyn Fn() -> bool + Sync),
}

impl<S> Options<'_, S> {
    /// One thread, no bound.
    pub fn new() -> Options<'static, S> {
        Options {
            threads: 1,
            max_states: None,
            max_depth: None,
            deadline: None,
            symmetry: None,
            first_violation: false,
            shard: None,
            keep_fingerprints: false,
            interrupted: &|| false,
        }
    }
}

impl<S> Default for Options<'_, S> {
    fn default() -> Self {
        Options::new()
    }
}

/// Counts a search updates as it goes, for progress reports from another thread.
#[derive(Debug, Default)]
pub struct Progress {
    /// States generated: the initial states and every successor computed.
    pub generated: AtomicU64,
    /// Distinct states found.
    pub unique: AtomicU64,
    /// Levels begun.
    pub depth: AtomicUsize,
}

impl Progress {
    /// (generated, unique, depth) now.
    pub fn read(&self) -> (u64, u64, usize) {
        (
            self.generated.load(Ordering::Relaxed),
            self.unique.load(Ordering::Relaxed),
            self.depth.load(Ordering::Relaxed),
        )
    }
}

/// Why a search stopped before it was complete.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Stop {
    /// `interrupted` said so.
    Interrupted,
    /// The deadline passed.
    Deadline,
    /// `max_states` was reached.
    StateBound,
    /// A path was cut at `max_depth`.
    DepthBound,
    /// An `always` property was violated and `first_violation` was asked for.
    FirstViolation,
}

/// A state found for a property: a counterexample to an `always`, an example of a `sometimes`.
pub struct Discovery<M: stateright::Model> {
    /// The property's name.
    pub property: &'static str,
    /// Which initial state the path starts from (its index in `init_states`).
    pub init: usize,
    /// The actions from it.
    pub actions: Vec<M::Action>,
    /// The states after each action, the initial state first.
    pub states: Vec<M::State>,
}

/// What a search found.
pub struct Outcome<M: stateright::Model> {
    /// Why it stopped early, if it did; `None` means every reachable state was explored.
    pub stopped: Option<Stop>,
    /// States generated: the initial states and every successor computed (TLC's "generated").
    pub generated: u64,
    /// Distinct states (distinct representatives under a symmetry).
    pub unique: u64,
    /// Levels: the number of states on the longest of the shortest paths (TLC's "depth").
    pub depth: usize,
    /// The first discovery of each property that has one, in the order of `properties()`.
    pub discoveries: Vec<Discovery<M>>,
    /// Every fingerprint found, sorted, when asked for.
    pub fingerprints: Option<Vec<u64>>,
    /// The level at which a shard split its search, if it did.
    pub split_level: Option<usize>,
    /// Bytes of the visited set's tables at the end.
    pub visited_bytes: usize,
}

impl<M: stateright::Model> Outcome<M> {
    /// Whether every reachable state was explored.
    pub fn complete(&self) -> bool {
        self.stopped.is_none()
    }

    /// The discovery of a property, if it has one.
    pub fn discovery(&self, name: &str) -> Option<&Discovery<M>> {
        self.discoveries.iter().find(|d| d.property == name)
    }
}

/// A search that cannot be run as asked.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Refusal {
    /// An `eventually` property: this checker checks states, not paths.
    Eventually(&'static str),
    /// A state with more actions than a key can number.
    TooManyActions(usize),
    /// A level with more states than a parent's position can number.
    LevelTooWide(usize),
}

impl std::fmt::Display for Refusal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Refusal::Eventually(name) => {
                write!(f, "property `{name}` is an `eventually`, which this checker does not check")
            }
            Refusal::TooManyActions(n) => write!(f, "a state offers {n} actions, more than {}", search::MAX_ACTIONS),
            Refusal::LevelTooWide(n) => write!(f, "a level holds {n} states, more than {}", u32::MAX),
        }
    }
}
