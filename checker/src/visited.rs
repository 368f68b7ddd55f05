//! The fingerprints of the states already found, and the claims on the fingerprints first found
//! in the level being expanded.
//!
//! Both are split into shards, each behind its own lock, so that the workers of one level rarely
//! wait for each other. A shard is chosen by bits that neither the table's bucket index (low
//! bits) nor its control bytes (the top seven bits) use, so that every shard spreads its
//! fingerprints over the whole table. The claims live only while their level is expanded, so
//! the tables that grow with the search hold 8 bytes per state.

use std::collections::{HashMap, HashSet};
use std::sync::Mutex;

use nohash_hasher::BuildNoHashHasher;

const SHARDS: usize = 256;

fn shard(fingerprint: u64) -> usize {
    ((fingerprint >> 32) as usize) % SHARDS
}

/// The fingerprints of every state found at an earlier level.
pub(crate) struct Visited {
    shards: Vec<Mutex<HashSet<u64, BuildNoHashHasher<u64>>>>,
}

impl Visited {
    pub(crate) fn new() -> Visited {
        Visited { shards: (0..SHARDS).map(|_| Mutex::new(HashSet::default())).collect() }
    }

    pub(crate) fn contains(&self, fingerprint: u64) -> bool {
        lock(&self.shards[shard(fingerprint)]).contains(&fingerprint)
    }

    /// Whether the fingerprint is new.
    pub(crate) fn insert(&self, fingerprint: u64) -> bool {
        lock(&self.shards[shard(fingerprint)]).insert(fingerprint)
    }

    /// Every fingerprint, sorted.
    pub(crate) fn sorted(&self) -> Vec<u64> {
        let mut all: Vec<u64> = self.shards.iter().flat_map(|s| lock(s).iter().copied().collect::<Vec<_>>()).collect();
        all.sort_unstable();
        all
    }

    /// Bytes the tables hold (their capacity, not their load).
    pub(crate) fn bytes(&self) -> usize {
        self.shards.iter().map(|s| lock(s).capacity() * (std::mem::size_of::<u64>() + 1)).sum()
    }
}

/// For each fingerprint first found in the level being expanded, the least key that found it:
/// the position of the parent in the level and the index of the action. The least key wins, so
/// which parent a new state keeps does not depend on how the workers interleave.
pub(crate) struct Claims {
    shards: Vec<Mutex<HashMap<u64, u64, BuildNoHashHasher<u64>>>>,
}

impl Claims {
    pub(crate) fn new() -> Claims {
        Claims { shards: (0..SHARDS).map(|_| Mutex::new(HashMap::default())).collect() }
    }

    /// Claim `fingerprint` for `key`; whether the claim is (so far) the least.
    pub(crate) fn claim(&self, fingerprint: u64, key: u64) -> bool {
        let mut shard = lock(&self.shards[shard(fingerprint)]);
        let least = shard.entry(fingerprint).or_insert(key);
        if key <= *least {
            *least = key;
            true
        } else {
            false
        }
    }

    /// Whether `key` holds the least claim on `fingerprint`.
    pub(crate) fn won(&self, fingerprint: u64, key: u64) -> bool {
        lock(&self.shards[shard(fingerprint)]).get(&fingerprint) == Some(&key)
    }

    /// Forget every claim, keeping a little room.
    pub(crate) fn clear(&self) {
        for s in &self.shards {
            let mut s = lock(s);
            s.clear();
            s.shrink_to(1024);
        }
    }
}

/// A lock whose holder panicked still guards a consistent table: every update is one call.
fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}
