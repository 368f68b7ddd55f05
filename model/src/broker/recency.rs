//! When each follower last caught up and last fetched, as a leader's `Replica` state holds it
//! (`lastCaughtUpTimeMs`, `lastFetchTimeMs`), without a clock.
//!
//! Kafka compares these times twice: `Partition.getOutOfSyncReplicas` drops a follower last caught
//! up more than `replica.lag.time.max.ms` ago, and `ReplicaView.comparator()` prefers, among
//! equally caught-up replicas, the one caught up most recently. The model keeps only the order of
//! the moments involved, as stamps: 0 is "never" (Kafka's 0 ms), and larger is later. A broker's
//! stamps are renumbered after every change, so two states that order the same moments the same
//! way are one state.
//!
//! Where no consumer's rack holds two brokers, no tie-break ever compares two followers, and the
//! ISR check needs only "since the last tick or not": the stamps then collapse to 1 (after the
//! last `isr-expiration` tick) and 0 (at or before it).

use highwater_traces::BrokerId;

use super::{BrokerState, FollowerInfo};
use crate::config::ModelConfig;

/// A moment in a broker's order of catch-ups, fetches and ISR ticks; 0 is never.
pub type Stamp = u8;

impl BrokerState {
    /// A moment later than every one this broker holds.
    pub(super) fn new_stamp(&self) -> Stamp {
        self.stamps().max().unwrap_or(0).saturating_add(1)
    }

    fn stamps(&self) -> impl Iterator<Item = Stamp> + '_ {
        let of = |f: &FollowerInfo| [f.caught_up_at, f.fetched_at];
        let leader = [self.tick_at, self.alter_sent_at];
        self.followers.iter().chain(&self.previous_followers).flat_map(of).chain(leader)
    }

    /// Renumber the stamps densely from 1 in their order where the selector can compare them
    /// (followers in a consumer's rack that holds two of them and not this broker), with the
    /// last tick and the pending AlterPartition; other followers keep only whether each moment
    /// came after the last tick. Where no follower is compared at all
    /// ([`ModelConfig::orders_catch_ups`]), the tick itself is no longer needed either.
    pub(super) fn renumber_stamps(&mut self, cfg: &ModelConfig) {
        let tick = self.tick_at;
        let fine = cfg.orders_catch_ups();
        // A leader has a follower for each other broker, at most four (`ModelConfig::validate`).
        let contested: u64 = (self.followers.iter().enumerate())
            .filter(|(_, f)| fine && self.compared(f.id, cfg))
            .fold(0, |mask, (index, _)| mask | 1 << index);
        let compared = |index: usize| contested & 1 << index != 0;
        let mut in_use = StampSet::default();
        in_use.extend([tick, self.alter_sent_at]);
        in_use.extend(
            (self.followers.iter().enumerate())
                .filter(|(index, _)| compared(*index))
                .flat_map(|(_, f)| [f.caught_up_at, f.fetched_at]),
        );
        if fine {
            in_use.extend(self.previous_followers.iter().flat_map(|f| [f.caught_up_at, f.fetched_at]));
        }
        let rank = |s: Stamp| in_use.rank(s);
        let new_tick = if fine { rank(tick) } else { 0 };
        let after_tick = |s: Stamp| if s > tick { new_tick + 1 } else { 0 };
        for (index, f) in self.followers.iter_mut().enumerate() {
            let renumber = |s: Stamp| if compared(index) { rank(s) } else { after_tick(s) };
            (f.caught_up_at, f.fetched_at) = (renumber(f.caught_up_at), renumber(f.fetched_at));
        }
        for f in &mut self.previous_followers {
            let renumber = |s: Stamp| if fine { rank(s) } else { after_tick(s) };
            (f.caught_up_at, f.fetched_at) = (renumber(f.caught_up_at), renumber(f.fetched_at));
        }
        self.alter_sent_at = match self.pending_alter {
            Some(_) if fine => rank(self.alter_sent_at),
            Some(_) => after_tick(self.alter_sent_at),
            None => 0,
        };
        self.tick_at = new_tick;
    }

    /// Whether the selector, run here, can compare `follower` with another by when each caught
    /// up: a consumer sits in its rack, which holds another follower and not this broker.
    fn compared(&self, follower: highwater_traces::BrokerId, cfg: &ModelConfig) -> bool {
        let rack = cfg.rack_of(follower);
        let peers = cfg.broker_ids().filter(|b| *b != self.id && cfg.rack_of(*b) == rack).count();
        rack != cfg.rack_of(self.id) && peers >= 2 && cfg.consumer_racks.iter().flatten().any(|r| r == rack)
    }

    /// More than `replica.lag.time.max.ms` passes at once (a consumer's lease runs out): at the
    /// next tick, every moment before now is as old as one before a tick.
    pub(crate) fn after_long_pause(&mut self, cfg: &ModelConfig) {
        if self.role == highwater_traces::Role::Leader {
            self.tick_at = self.new_stamp();
            self.renumber_stamps(cfg);
        }
    }

    /// `Replica.updateFetchStateOrThrow`: a follower fetching at the leader's LEO is caught up
    /// now; one fetching at least at the LEO the leader had at its previous fetch was caught up
    /// when it made that fetch.
    pub(super) fn note_fetch_time(&mut self, follower: usize, fetch_offset: i64, leader_leo: i64, now: Stamp) {
        let f = &mut self.followers[follower];
        if fetch_offset >= leader_leo {
            f.caught_up_at = now;
        } else if fetch_offset >= f.leader_leo_at_last_fetch {
            f.caught_up_at = f.caught_up_at.max(f.fetched_at);
        }
        f.fetched_at = now;
        f.leader_leo_at_last_fetch = leader_leo;
    }

    /// Parked fetches end (answered, or their connection reset): each follower is recorded as
    /// having fetched again at its offset just now, as `replica.fetch.wait.max.ms` cycles of
    /// empty answers and fetches at once would have it in Kafka.
    pub(crate) fn renew_parked(&mut self, followers: &[BrokerId], cfg: &ModelConfig) {
        let now = self.new_stamp();
        for index in 0..self.followers.len() {
            let f = &self.followers[index];
            if let (true, Some((offset, _))) = (followers.contains(&f.id), f.parked) {
                self.note_fetch_time(index, offset, offset, now);
            }
        }
        self.renumber_stamps(cfg);
    }

    /// Whether [`BrokerState::forget_tick_times`] would change anything: checked first, so that
    /// the step that ends every state clones no broker for nothing.
    pub(crate) fn holds_tick_times(&self, cfg: &ModelConfig) -> bool {
        let fine = cfg.orders_catch_ups();
        let unread = |f: &FollowerInfo| f.remembers_times() && !(fine && self.compared(f.id, cfg));
        self.tick_at != 0 || self.alter_sent_at != 0 || self.followers.iter().any(unread)
    }

    /// No ISR tick is left: drop what only a tick reads (the last tick, when the pending
    /// AlterPartition went out, and every moment of a follower the selector never compares).
    /// Whether anything changes.
    pub(crate) fn forget_tick_times(&mut self, cfg: &ModelConfig) -> bool {
        let before = (self.tick_at, self.alter_sent_at, self.followers.clone());
        let fine = cfg.orders_catch_ups();
        let unread: Vec<bool> = self.followers.iter().map(|f| !(fine && self.compared(f.id, cfg))).collect();
        for (f, unread) in self.followers.iter_mut().zip(unread) {
            if unread {
                f.forget_times();
            }
        }
        self.tick_at = 0;
        self.alter_sent_at = 0;
        self.renumber_stamps(cfg);
        self.alter_sent_at = 0;
        before != (self.tick_at, self.alter_sent_at, self.followers.clone())
    }

    /// Whether the pending AlterPartition went out at or before the previous tick: its request
    /// has timed out by this one (`request.timeout.ms` and `replica.lag.time.max.ms` are both
    /// 30 s by default).
    pub(super) fn alter_timed_out(&self) -> bool {
        self.alter_sent_at <= self.tick_at
    }

    /// Whether a follower was last caught up at or before the previous `isr-expiration` tick.
    pub(super) fn missed_last_tick(&self, f: &FollowerInfo) -> bool {
        f.caught_up_at <= self.tick_at
    }
}

impl FollowerInfo {
    /// Whether it holds any moment or the LEO of its last fetch.
    pub(crate) fn remembers_times(&self) -> bool {
        self.caught_up_at != 0 || self.fetched_at != 0 || self.leader_leo_at_last_fetch != 0
    }

    /// Forget them: only ISR ticks and the selector read them.
    pub(crate) fn forget_times(&mut self) {
        self.caught_up_at = 0;
        self.fetched_at = 0;
        self.leader_leo_at_last_fetch = 0;
    }
}

/// The stamps in use, as the bits of a 256-bit set (a stamp is a `u8`): renumbering runs after
/// every change to a leader's followers, so it allocates nothing.
#[derive(Default)]
struct StampSet([u64; 4]);

impl StampSet {
    fn extend(&mut self, stamps: impl IntoIterator<Item = Stamp>) {
        for s in stamps.into_iter().filter(|s| *s != 0) {
            self.0[usize::from(s / 64)] |= 1 << (s % 64);
        }
    }

    /// Where `s` stands among the stamps in use, from 1; 0 for "never" and for a stamp not in use.
    fn rank(&self, s: Stamp) -> Stamp {
        let (word, bit) = (usize::from(s / 64), s % 64);
        if s == 0 || self.0[word] & 1 << bit == 0 {
            return 0;
        }
        let below: u32 =
            self.0[..word].iter().map(|w| w.count_ones()).sum::<u32>() + (self.0[word] & ((1 << bit) - 1)).count_ones();
        below as Stamp + 1
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A stamp's rank is its place among the distinct stamps in use, sorted, from 1, for stamps
    /// in every word of the set; 0 for "never" and for a stamp not in use.
    #[test]
    fn a_rank_is_the_place_among_the_sorted_stamps_in_use() {
        let mut seed: u64 = 0x5eed;
        let mut next = || {
            seed = seed.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1_442_695_040_888_963_407);
            (seed >> 56) as Stamp
        };
        for size in [0, 1, 2, 5, 12, 40, 200] {
            let in_use: Vec<Stamp> = (0..size).map(|_| next()).chain([63, 64, 65, 128, 255]).collect();
            let mut set = StampSet::default();
            set.extend(in_use.iter().copied());
            let mut sorted: Vec<Stamp> = in_use.iter().copied().filter(|s| *s != 0).collect();
            sorted.sort_unstable();
            sorted.dedup();
            for s in 0..=Stamp::MAX {
                let expected = match sorted.iter().position(|u| *u == s) {
                    Some(place) if s != 0 => place as Stamp + 1,
                    _ => 0,
                };
                assert_eq!(set.rank(s), expected, "stamp {s} among {sorted:?}");
            }
        }
    }
}
