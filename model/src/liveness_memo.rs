//! Bounded liveness, remembered. The check of one state stops its faults (`fair::stop_faults`)
//! and runs a fair continuation from the healed state; both are deterministic, so the answer is
//! a function of the healed state alone. Many reachable states heal to one state (those that
//! differ only in what is cut or in the fault budget left), and each such healed state is run
//! once per goal: the answer is kept under the healed state's 64-bit fingerprint.
//!
//! Only the start of a continuation is remembered, never a state met along the way: the fair
//! choice at each step depends on the steps already taken (`fair::fair_choice`), so the
//! continuation through a state is not the continuation from it.
//!
//! A fingerprint collision would give one healed state another's answer, with the probability
//! the search's own visited set already accepts for every state.

use std::cell::RefCell;
use std::collections::hash_map::DefaultHasher;
use std::collections::HashMap;
use std::hash::{Hash, Hasher};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use highwater_properties::ALL;

use crate::cluster::{ClusterModel, ClusterState};
use crate::config::ModelConfig;
use crate::fair::{continue_fairly, stop_faults};

const SHARDS: usize = 64;

/// The answers of the continuations run so far, by healed state and goal.
#[derive(Debug)]
pub struct LivenessMemo {
    shards: Vec<Mutex<HashMap<(u64, u8), bool>>>,
    checks: AtomicU64,
}

/// How much the memo saved. Both counts are the same on every run: which thread runs a
/// continuation first is not, and is not counted.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize)]
pub struct MemoStats {
    /// Checks that needed a fair continuation (the others met the goal with nothing to heal).
    pub checks: u64,
    /// Distinct continuations among them: one per healed state and goal.
    pub continuations: u64,
}

impl LivenessMemo {
    /// An empty memo.
    pub fn new() -> LivenessMemo {
        LivenessMemo { shards: (0..SHARDS).map(|_| Mutex::new(HashMap::new())).collect(), checks: AtomicU64::new(0) }
    }

    /// The checks so far, and the distinct continuations they needed.
    pub fn stats(&self) -> MemoStats {
        let continuations =
            self.shards.iter().map(|s| s.lock().unwrap_or_else(|poisoned| poisoned.into_inner()).len() as u64).sum();
        MemoStats { checks: self.checks.load(Ordering::Relaxed), continuations }
    }

    fn shard(&self, key: (u64, u8)) -> std::sync::MutexGuard<'_, HashMap<(u64, u8), bool>> {
        let shard = &self.shards[(key.0 >> 40) as usize % SHARDS];
        shard.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

impl Default for LivenessMemo {
    fn default() -> Self {
        LivenessMemo::new()
    }
}

/// The last state healed on this thread: the liveness properties of one state are checked one
/// after the other, and share it.
struct Healed {
    cfg: Arc<ModelConfig>,
    state: ClusterState,
    healed: ClusterState,
    fingerprint: u64,
}

thread_local! {
    static LAST_HEALED: RefCell<Option<Healed>> = const { RefCell::new(None) };
}

/// Whether, from `state`, stopping all faults and continuing fairly reaches the goal of
/// `ALL[property]` within `bound` steps; the answer for a healed state already run is
/// remembered (`fair::reaches_fairly` without the memo).
pub(crate) fn reaches(
    model: &ClusterModel,
    memo: &LivenessMemo,
    state: &ClusterState,
    property: usize,
    bound: usize,
) -> bool {
    LAST_HEALED.with(|cell| {
        let mut last = cell.borrow_mut();
        let fresh = last.as_ref().is_some_and(|h| Arc::ptr_eq(&h.cfg, &model.cfg) && h.state == *state);
        if !fresh {
            let (healed, _) = stop_faults(model, state);
            let mut hasher = DefaultHasher::new();
            healed.hash(&mut hasher);
            *last = Some(Healed { cfg: model.cfg.clone(), state: state.clone(), healed, fingerprint: hasher.finish() });
        }
        let healed = last.as_ref().expect("just filled");
        let key = (healed.fingerprint, property as u8);
        memo.checks.fetch_add(1, Ordering::Relaxed);
        if let Some(&reached) = memo.shard(key).get(&key) {
            return reached;
        }
        let reached = continue_fairly(model, &healed.healed, ALL[property].check, bound).1;
        memo.shard(key).insert(key, reached);
        reached
    })
}
