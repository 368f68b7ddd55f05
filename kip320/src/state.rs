//! The canonical state: one value per TLA+ variable, laid out so that derived `Eq`/`Hash` agree
//! with TLA+ value equality.
//!
//! Everything is a fixed-size array sized for the largest configuration this crate accepts;
//! slots beyond the configured replicas, offsets or epochs always hold their default value, so
//! they never make two TLA+-equal states differ.

/// The most replicas a configuration may have (replica sets are bits of a `u8`).
pub const MAX_REPLICAS: usize = 5;
/// The largest `LogSize` a configuration may have.
pub const MAX_LOG_SIZE: usize = 4;
/// The largest `MaxLeaderEpoch` a configuration may have.
pub const MAX_LEADER_EPOCH: usize = 3;

/// A replica's id: its index in `0..replicas`.
pub type Replica = u8;

/// A leader epoch or the spec's `Nil` (-1).
///
/// `None` stands for `Nil`. `Option`'s ordering puts `None` below every `Some`, which is exactly
/// how the spec's integer comparisons treat `Nil = -1` against real epochs.
pub type Epoch = Option<u8>;

/// A set of replicas (`SUBSET Replicas`), one bit per replica id.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ReplicaSet(pub u8);

impl ReplicaSet {
    /// The empty set.
    pub const EMPTY: ReplicaSet = ReplicaSet(0);

    /// `{0, .., n - 1}`: every replica of an `n`-replica configuration.
    pub fn all(n: u8) -> ReplicaSet {
        ReplicaSet(((1u16 << n) - 1) as u8)
    }

    /// `{replica}`.
    pub fn singleton(replica: Replica) -> ReplicaSet {
        ReplicaSet(1 << replica)
    }

    /// Set membership.
    pub fn contains(self, replica: Replica) -> bool {
        self.0 & (1 << replica) != 0
    }

    /// `self \union {replica}`.
    pub fn with(self, replica: Replica) -> ReplicaSet {
        ReplicaSet(self.0 | (1 << replica))
    }

    /// `self \ {replica}`.
    pub fn without(self, replica: Replica) -> ReplicaSet {
        ReplicaSet(self.0 & !(1 << replica))
    }

    /// The members in increasing id order.
    pub fn iter(self) -> impl Iterator<Item = Replica> {
        (0..8u8).filter(move |&r| self.contains(r))
    }
}

/// A log record: the producer-assigned id and the epoch of the leader that appended it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Record {
    /// Unique per write: taken from the `nextRecordId` sequence.
    pub id: u8,
    /// The writer's `leaderEpoch` at the time of the write.
    pub epoch: Epoch,
}

/// One replica's log (`FiniteReplicatedLog`'s `[endOffset, records]`).
///
/// The spec keeps `records` total over all offsets with `Nil` above the end offset; appends only
/// ever write at the end and truncation resets the tail to `Nil`, so `None` above `end_offset`
/// is an invariant and the pair is canonical.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct ReplicaLog {
    /// The offset the next append goes to.
    pub end_offset: u8,
    /// `records[offset]`, `None` for `Nil`.
    pub records: [Option<Record>; MAX_LOG_SIZE],
}

impl ReplicaLog {
    /// `HasOffset`: the offset is below the end offset.
    pub fn has_offset(&self, offset: u8) -> bool {
        offset < self.end_offset
    }

    /// The record at a written offset (`HasEntry` is `Some(record)` equality against this).
    pub fn entry(&self, offset: u8) -> Option<Record> {
        if self.has_offset(offset) {
            self.records[offset as usize]
        } else {
            None
        }
    }

    /// `Append` at the end offset; the caller has checked the log is not full.
    pub fn append(&mut self, record: Record) {
        self.records[self.end_offset as usize] = Some(record);
        self.end_offset += 1;
    }

    /// `TruncateTo`: drop every record at or above `new_end_offset`.
    pub fn truncate_to(&mut self, new_end_offset: u8) {
        debug_assert!(new_end_offset <= self.end_offset);
        for slot in &mut self.records[new_end_offset as usize..] {
            *slot = None;
        }
        self.end_offset = new_end_offset;
    }
}

/// A replica's cached view of the partition plus its local high watermark (`ReplicaState`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct ReplicaState {
    /// The local high watermark.
    pub hw: u8,
    /// The epoch of the last LeaderAndIsr request this replica accepted.
    pub leader_epoch: Epoch,
    /// The leader it believes in; `None` is the spec's `None` ("NONE").
    pub leader: Option<Replica>,
    /// The ISR it believes in.
    pub isr: ReplicaSet,
}

/// The partition state in the quorum (ZooKeeper), and the payload of a LeaderAndIsr request.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct QuorumState {
    /// The current leader epoch (`Nil` before the first election).
    pub leader_epoch: Epoch,
    /// The designated leader, if any.
    pub leader: Option<Replica>,
    /// The quorum ISR.
    pub isr: ReplicaSet,
}

/// One state of the spec: the six variables of `KafkaReplication`.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct State {
    /// `replicaLog`, indexed by replica.
    pub logs: [ReplicaLog; MAX_REPLICAS],
    /// `replicaState`, indexed by replica.
    pub replicas: [ReplicaState; MAX_REPLICAS],
    /// `nextRecordId`.
    pub next_record_id: u8,
    /// `nextLeaderEpoch`.
    pub next_leader_epoch: u8,
    /// `leaderAndIsrRequests`, keyed by leader epoch.
    ///
    /// Every request is the quorum state written by the controller step that consumed a fresh
    /// epoch from the sequence, so no two requests share an epoch and the epoch is a key. The
    /// set is then exactly the `Some` slots, in a fixed order, which makes the array canonical.
    pub requests: [Option<QuorumState>; MAX_LEADER_EPOCH + 1],
    /// `quorumState`.
    pub quorum: QuorumState,
}

impl State {
    /// `ReplicaPresumesLeadership`.
    pub fn presumes_leadership(&self, replica: Replica) -> bool {
        self.replicas[replica as usize].leader == Some(replica)
    }

    /// `IsTrueLeader`: designated by the quorum, believes it, and in the quorum's epoch.
    pub fn is_true_leader(&self, leader: Replica) -> bool {
        self.quorum.leader == Some(leader)
            && self.presumes_leadership(leader)
            && self.replicas[leader as usize].leader_epoch == self.quorum.leader_epoch
    }

    /// `IsFollowingLeaderEpoch`: the leader presumes leadership and the follower follows it in
    /// the same epoch.
    pub fn is_following_leader_epoch(&self, leader: Replica, follower: Replica) -> bool {
        let f = &self.replicas[follower as usize];
        self.presumes_leadership(leader)
            && f.leader == Some(leader)
            && f.leader_epoch == self.replicas[leader as usize].leader_epoch
    }

    /// The log of a replica.
    pub fn log(&self, replica: Replica) -> &ReplicaLog {
        &self.logs[replica as usize]
    }

    /// `\E record \in LogRecords : HasEntry(a, record, offset) /\ HasEntry(b, record, offset)`.
    pub fn entries_match(&self, a: Replica, b: Replica, offset: u8) -> bool {
        match self.log(a).entry(offset) {
            Some(record) => self.log(b).entry(offset) == Some(record),
            None => false,
        }
    }

    /// Kip279's `FirstNonMatchingOffsetFromTail`: one past the highest offset at which the
    /// follower holds the leader's record.
    ///
    /// It is the highest match, not the end of the longest common prefix, which is what the
    /// spec says; the two can differ once logs diverge below a match.
    pub fn first_non_matching_offset_from_tail(&self, leader: Replica, follower: Replica) -> u8 {
        if self.log(leader).end_offset == 0 {
            return 0;
        }
        (0..self.log(follower).end_offset)
            .rev()
            .find(|&offset| self.entries_match(follower, leader, offset))
            .map_or(0, |offset| offset + 1)
    }
}
