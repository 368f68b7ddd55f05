//! A replica's log: records with their epochs, and the leader epoch cache beside it (KIP-101).
//!
//! Source: Kafka `UnifiedLog` and `LeaderEpochFileCache` (storage module). One record per batch;
//! no retention, so the log start offset stays where the log began.

use crate::types::{LeaderEpoch, Offset, OffsetRecord, Record, NO_EPOCH, UNDEFINED_OFFSET};

/// The leader epoch cache: `(epoch, start offset)` pairs, strictly increasing in both.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct LeaderEpochCache {
    entries: Vec<(LeaderEpoch, Offset)>,
}

impl LeaderEpochCache {
    /// The entries, oldest first.
    pub fn entries(&self) -> &[(LeaderEpoch, Offset)] {
        &self.entries
    }

    /// The latest epoch, if any.
    pub fn latest_epoch(&self) -> Option<LeaderEpoch> {
        self.entries.last().map(|(e, _)| *e)
    }

    /// The epoch whose range holds `offset`: the last entry starting at or before it
    /// (`LeaderEpochFileCache.epochForOffset`), or `NO_EPOCH` before every entry.
    pub fn epoch_for_offset(&self, offset: Offset) -> LeaderEpoch {
        self.entries.iter().take_while(|(_, s)| *s <= offset).last().map_or(NO_EPOCH, |(e, _)| *e)
    }

    /// Start offset of this exact epoch, if cached.
    pub fn start_offset_of(&self, epoch: LeaderEpoch) -> Option<Offset> {
        self.entries.iter().find(|(e, _)| *e == epoch).map(|(_, s)| *s)
    }

    /// Record that `epoch` starts at `start`. Entries that the new one contradicts (an epoch no
    /// older, or a start offset no earlier) are removed first, as `LeaderEpochFileCache.assign` does.
    pub fn assign(&mut self, epoch: LeaderEpoch, start: Offset) {
        if let Some(&(latest, latest_start)) = self.entries.last() {
            if latest == epoch && latest_start <= start {
                return;
            }
        }
        self.entries.retain(|&(e, s)| e < epoch && s < start);
        self.entries.push((epoch, start));
    }

    /// Forget epochs that start at or after `end` (the log was truncated to `end`).
    pub fn truncate_from_end(&mut self, end: Offset) {
        self.entries.retain(|&(_, s)| s < end);
    }

    /// `endOffsetFor`: the largest epoch ≤ `requested` and where it ends.
    ///
    /// The end of an epoch is the start of the next cached epoch, or `log_end_offset` when the
    /// latest epoch is asked for. `(NO_EPOCH, UNDEFINED_OFFSET)` when `requested` is undefined or
    /// newer than every cached epoch; `(requested, first start)` when it is older than all of them.
    pub fn end_offset_for(&self, requested: LeaderEpoch, log_end_offset: Offset) -> (LeaderEpoch, Offset) {
        if requested == NO_EPOCH {
            return (NO_EPOCH, UNDEFINED_OFFSET);
        }
        if self.latest_epoch() == Some(requested) {
            return (requested, log_end_offset);
        }
        let Some(&(_, higher_start)) = self.entries.iter().find(|(e, _)| *e > requested) else {
            return (NO_EPOCH, UNDEFINED_OFFSET);
        };
        match self.entries.iter().rev().find(|(e, _)| *e <= requested) {
            Some(&(floor, _)) => (floor, higher_start),
            None => (requested, higher_start),
        }
    }
}

/// A replica's log and its epoch cache, which always change together.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct ReplicaLog {
    records: Vec<Record>,
    log_start_offset: Offset,
    epochs: LeaderEpochCache,
}

impl ReplicaLog {
    /// An empty log.
    pub fn new() -> Self {
        Self::default()
    }

    /// The log end offset (LEO): the offset the next record gets.
    pub fn log_end_offset(&self) -> Offset {
        self.log_start_offset + self.records.len() as Offset
    }

    /// The log start offset.
    pub fn log_start_offset(&self) -> Offset {
        self.log_start_offset
    }

    /// The records, from the log start offset.
    pub fn records(&self) -> &[Record] {
        &self.records
    }

    /// The epoch cache.
    pub fn epochs(&self) -> &LeaderEpochCache {
        &self.epochs
    }

    /// The latest epoch in the cache (`UnifiedLog.latestEpoch`), or `NO_EPOCH`.
    pub fn latest_epoch(&self) -> LeaderEpoch {
        self.epochs.latest_epoch().unwrap_or(NO_EPOCH)
    }

    /// The record at `offset`, if the log holds it.
    pub fn record_at(&self, offset: Offset) -> Option<Record> {
        let index = usize::try_from(offset.checked_sub(self.log_start_offset)?).ok()?;
        self.records.get(index).copied()
    }

    /// Epoch of the record just before `offset`, or `NO_EPOCH` (ListOffsets' `leader_epoch`).
    pub fn epoch_before(&self, offset: Offset) -> LeaderEpoch {
        offset.checked_sub(1).and_then(|o| self.record_at(o)).map_or(NO_EPOCH, |r| r.epoch)
    }

    /// Append a record, caching its epoch if it starts a new one.
    pub fn append(&mut self, record: Record) -> Offset {
        let offset = self.log_end_offset();
        // Kafka 4.4.0 `UnifiedLog.assignEpochStartOffset` offers every batch to the cache;
        // `LeaderEpochFileCache.isUpdateNeeded` (in `assign`) keeps it only if it changes the
        // latest entry, removing entries it contradicts.
        self.epochs.assign(record.epoch, offset);
        self.records.push(record);
        offset
    }

    /// Record that `epoch` starts at the current LEO (a new leader's first act, KAFKA-7415).
    pub fn assign_epoch_at_end(&mut self, epoch: LeaderEpoch) {
        self.epochs.assign(epoch, self.log_end_offset());
    }

    /// Remove every record at or after `offset`. Returns whether anything was removed.
    pub fn truncate_to(&mut self, offset: Offset) -> bool {
        let keep = (offset.max(self.log_start_offset) - self.log_start_offset) as usize;
        if keep >= self.records.len() {
            // Empty epochs cached at the end still go (KAFKA-10706).
            self.epochs.truncate_from_end(offset);
            return false;
        }
        self.records.truncate(keep);
        self.epochs.truncate_from_end(self.log_end_offset());
        true
    }

    /// Up to `max` records in `[from, until)`.
    pub fn read(&self, from: Offset, until: Offset, max: usize) -> Vec<OffsetRecord> {
        (from.max(self.log_start_offset)..until.min(self.log_end_offset()))
            .take(max)
            .filter_map(|offset| {
                self.record_at(offset).map(|r| OffsetRecord { offset, epoch: r.epoch, value: r.value })
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cache(entries: &[(LeaderEpoch, Offset)]) -> LeaderEpochCache {
        let mut c = LeaderEpochCache::default();
        for &(e, s) in entries {
            c.assign(e, s);
        }
        c
    }

    #[test]
    fn end_offset_for_follows_leader_epoch_file_cache() {
        let c = cache(&[(1, 0), (3, 5), (4, 8)]);
        assert_eq!(c.end_offset_for(NO_EPOCH, 10), (NO_EPOCH, UNDEFINED_OFFSET));
        assert_eq!(c.end_offset_for(4, 10), (4, 10), "latest epoch ends at the LEO");
        assert_eq!(c.end_offset_for(3, 10), (3, 8));
        assert_eq!(c.end_offset_for(2, 10), (1, 5), "an epoch never led answers with the floor epoch");
        assert_eq!(c.end_offset_for(0, 10), (0, 0), "older than all: the first start offset");
        assert_eq!(c.end_offset_for(5, 10), (NO_EPOCH, UNDEFINED_OFFSET), "newer than all");
    }

    #[test]
    fn assign_drops_contradicted_entries() {
        let mut c = cache(&[(1, 0), (2, 3), (3, 6)]);
        c.assign(2, 4);
        assert_eq!(c.entries(), &[(1, 0), (2, 4)]);
        c.assign(2, 9);
        assert_eq!(c.entries(), &[(1, 0), (2, 4)], "a later start for the latest epoch is no news");
        c.assign(5, 2);
        assert_eq!(c.entries(), &[(1, 0), (5, 2)]);
    }

    /// Kafka 4.4.0 `UnifiedLog.assignEpochStartOffset` offers every batch to the cache, and
    /// `LeaderEpochFileCache.isUpdateNeeded` takes an older epoch too, dropping the newer entries
    /// it contradicts, so the cache always describes the records as they are.
    #[test]
    fn an_append_in_an_older_epoch_replaces_the_newer_entries() {
        let mut log = ReplicaLog::new();
        log.append(Record { epoch: 1, value: 1 });
        log.assign_epoch_at_end(3);
        log.append(Record { epoch: 2, value: 2 });
        assert_eq!(log.epochs().entries(), &[(1, 0), (2, 1)]);
        log.append(Record { epoch: 2, value: 3 });
        assert_eq!(log.epochs().entries(), &[(1, 0), (2, 1)], "the same epoch later is no news");
    }

    #[test]
    fn truncation_removes_records_and_epochs() {
        let mut log = ReplicaLog::new();
        for (epoch, value) in [(1, 10), (1, 11), (2, 12), (3, 13)] {
            log.append(Record { epoch, value });
        }
        assert_eq!(log.epochs().entries(), &[(1, 0), (2, 2), (3, 3)]);
        assert!(log.truncate_to(2));
        assert_eq!(log.log_end_offset(), 2);
        assert_eq!(log.epochs().entries(), &[(1, 0)]);
        assert!(!log.truncate_to(5), "truncating past the end removes nothing");
        assert_eq!(log.read(0, 5, 10).len(), 2);
        assert_eq!(log.read(1, 5, 10)[0], OffsetRecord { offset: 1, epoch: 1, value: 11 });
        assert_eq!(log.epoch_before(2), 1);
        assert_eq!(log.epoch_before(0), NO_EPOCH);
    }

    #[test]
    fn empty_epoch_at_end_is_dropped_by_truncation_at_end() {
        let mut log = ReplicaLog::new();
        log.append(Record { epoch: 1, value: 1 });
        log.assign_epoch_at_end(2);
        assert_eq!(log.latest_epoch(), 2);
        log.truncate_to(1);
        assert_eq!(log.latest_epoch(), 1, "KAFKA-10706: an empty epoch at the truncation point goes");
    }
}
