//! `Next`: which (disjunct, binding) pairs are enabled in a state, and the successor of each.
//!
//! The enumeration mirrors how TLC produces successors, because "states generated" counts every
//! successor TLC produces, duplicates included:
//!
//! * an existential binding that cannot satisfy the action contributes nothing;
//! * bindings that the action pins to one value (the next id of a sequence, the end offset of a
//!   log, the record at that offset) are single successors, not one per candidate value;
//! * a disjunction of plain conditions is split by TLC into its disjuncts, each of which goes on
//!   to produce the successor when true. `FencedLeaderShrinkIsr` has the one such disjunction
//!   whose arms can hold together (a follower both off-epoch and lagging), and there TLC
//!   produces the same successor twice; [`ShrinkReason`] keeps the two arms apart.
//!
//! Every other disjunction in the spec (the three cases of `ControllerShrinkIsr`, the two
//! high-watermark tests of `FencedLeaderExpandIsr`, the `None`/non-`None` leader arms of
//! `FencedBecomeFollowerAndTruncate`) has mutually exclusive arms.

use crate::state::{QuorumState, Record, Replica, ReplicaSet, ReplicaState, State};
use crate::Kip320;

/// Which arm of `FencedLeaderShrinkIsr`'s disjunction let the leader drop the follower.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ShrinkReason {
    /// The follower is not following the leader's epoch.
    NotFollowingEpoch,
    /// The follower's end offset is behind the leader's.
    Lagging,
}

/// One enabled disjunct of `Next` with its existential bindings.
///
/// Requests in `leaderAndIsrRequests` are named by their leader epoch, which identifies them
/// (see [`State::requests`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Action {
    /// `ControllerElectLeader`: the controller elects an ISR member in a fresh epoch.
    ControllerElectLeader {
        /// The elected replica.
        new_leader: Replica,
    },
    /// `ControllerShrinkIsr`: the controller takes a replica out (a failure or shutdown); if it
    /// was the leader the partition is left leaderless.
    ControllerShrinkIsr {
        /// The replica removed.
        replica: Replica,
    },
    /// `BecomeLeader`: the designated leader of a request accepts it.
    BecomeLeader {
        /// The request's leader epoch.
        request_epoch: u8,
    },
    /// `FencedLeaderExpandIsr`.
    FencedLeaderExpandIsr {
        /// The replica presuming leadership.
        leader: Replica,
        /// The replica added to the ISR.
        follower: Replica,
    },
    /// `FencedLeaderShrinkIsr`.
    FencedLeaderShrinkIsr {
        /// The replica presuming leadership.
        leader: Replica,
        /// The replica removed from the ISR.
        follower: Replica,
        /// The disjunct that held.
        reason: ShrinkReason,
    },
    /// `LeaderWrite`: a replica presuming leadership appends a produced record.
    LeaderWrite {
        /// The writer.
        replica: Replica,
        /// The record id (`nextRecordId`).
        id: u8,
        /// The offset written (the writer's end offset).
        offset: u8,
    },
    /// `FencedLeaderIncHighWatermark`.
    FencedLeaderIncHighWatermark {
        /// The replica whose high watermark advances.
        leader: Replica,
    },
    /// `FencedBecomeFollowerAndTruncate`: a replica accepts a request naming another leader and
    /// truncates against that leader's log.
    FencedBecomeFollowerAndTruncate {
        /// The request's leader.
        leader: Replica,
        /// The replica becoming follower.
        replica: Replica,
        /// The request's leader epoch.
        request_epoch: u8,
    },
    /// `FencedFollowerFetch`: the follower copies the leader's record at its end offset.
    FencedFollowerFetch {
        /// The fetching replica.
        follower: Replica,
        /// The replica fetched from.
        leader: Replica,
    },
}

impl Kip320 {
    fn replica_ids(&self) -> impl Iterator<Item = Replica> {
        0..self.replicas
    }

    /// `ControllerUpdateIsr`'s guard: the leader-epoch sequence is not exhausted.
    fn can_bump_epoch(&self, state: &State) -> bool {
        state.next_leader_epoch <= self.max_leader_epoch
    }

    /// Appends every enabled (disjunct, binding) pair, in `Next`'s disjunct order.
    pub(crate) fn enabled_actions(&self, state: &State, actions: &mut Vec<Action>) {
        let quorum = state.quorum;

        if self.can_bump_epoch(state) {
            for new_leader in quorum.isr.iter() {
                if quorum.leader != Some(new_leader) {
                    actions.push(Action::ControllerElectLeader { new_leader });
                }
            }
            for replica in self.replica_ids() {
                if quorum.leader == Some(replica) || quorum.isr.contains(replica) {
                    actions.push(Action::ControllerShrinkIsr { replica });
                }
            }
        }

        for (epoch, request) in state.requests.iter().enumerate() {
            let Some(request) = request else { continue };
            let Some(leader) = request.leader else { continue };
            if request.leader_epoch > state.replicas[leader as usize].leader_epoch {
                actions.push(Action::BecomeLeader { request_epoch: epoch as u8 });
            }
        }

        for leader in self.replica_ids() {
            if !state.is_true_leader(leader) {
                continue;
            }
            let leader_state = state.replicas[leader as usize];
            for follower in self.replica_ids().filter(|&f| !leader_state.isr.contains(f)) {
                if state.is_following_leader_epoch(leader, follower)
                    && self.follower_reached_hw(state, leader, follower)
                    && self.hw_reached_current_epoch(state, leader)
                {
                    actions.push(Action::FencedLeaderExpandIsr { leader, follower });
                }
            }
        }

        for leader in self.replica_ids() {
            // The true-leader test comes after the disjunction in the spec; hoisting it changes
            // nothing because it does not depend on the follower or the arm.
            if !state.is_true_leader(leader) {
                continue;
            }
            let isr = state.replicas[leader as usize].isr;
            let leader_end = state.log(leader).end_offset;
            for follower in isr.without(leader).iter() {
                if !state.is_following_leader_epoch(leader, follower) {
                    let reason = ShrinkReason::NotFollowingEpoch;
                    actions.push(Action::FencedLeaderShrinkIsr { leader, follower, reason });
                }
                if state.log(follower).end_offset < leader_end {
                    let reason = ShrinkReason::Lagging;
                    actions.push(Action::FencedLeaderShrinkIsr { leader, follower, reason });
                }
            }
        }

        if state.next_record_id < self.max_records {
            for replica in self.replica_ids() {
                let log = state.log(replica);
                if state.presumes_leadership(replica) && log.end_offset < self.log_size {
                    let (id, offset) = (state.next_record_id, log.end_offset);
                    actions.push(Action::LeaderWrite { replica, id, offset });
                }
            }
        }

        for leader in self.replica_ids() {
            let leader_state = &state.replicas[leader as usize];
            let hw = leader_state.hw;
            // No presumes-leadership test of its own: it only comes in through the followers,
            // so a replica with an empty ISR passes vacuously, as in the spec.
            if state.log(leader).has_offset(hw)
                && leader_state.isr.iter().all(|follower| {
                    state.is_following_leader_epoch(leader, follower) && state.log(follower).has_offset(hw)
                })
            {
                actions.push(Action::FencedLeaderIncHighWatermark { leader });
            }
        }

        for leader in self.replica_ids() {
            for replica in self.replica_ids().filter(|&r| r != leader) {
                for (epoch, request) in state.requests.iter().enumerate() {
                    let Some(request) = request else { continue };
                    // `leader` ranges over `Replicas`, so the spec's `leader = None` arm can
                    // never hold and requests without a leader are never followed.
                    if request.leader == Some(leader)
                        && request.leader_epoch > state.replicas[replica as usize].leader_epoch
                        && state.presumes_leadership(leader)
                        && state.replicas[leader as usize].leader_epoch == request.leader_epoch
                    {
                        let request_epoch = epoch as u8;
                        actions.push(Action::FencedBecomeFollowerAndTruncate { leader, replica, request_epoch });
                    }
                }
            }
        }

        for follower in self.replica_ids() {
            for leader in self.replica_ids() {
                let end = state.log(follower).end_offset;
                if state.is_following_leader_epoch(leader, follower)
                    && end < self.log_size
                    && state.log(leader).has_offset(end)
                {
                    actions.push(Action::FencedFollowerFetch { follower, leader });
                }
            }
        }
    }

    /// `HasFollowerReachedHighWatermark`.
    fn follower_reached_hw(&self, state: &State, leader: Replica, follower: Replica) -> bool {
        let hw = state.replicas[leader as usize].hw;
        hw == 0 || state.log(follower).has_offset(hw - 1)
    }

    /// `HasHighWatermarkReachedCurrentEpoch`: everything below the high watermark is from
    /// earlier epochs only if the leader has nothing above it, or its first uncommitted record
    /// is already from its own epoch.
    fn hw_reached_current_epoch(&self, state: &State, leader: Replica) -> bool {
        let leader_state = &state.replicas[leader as usize];
        let log = state.log(leader);
        leader_state.hw == log.end_offset
            || log.entry(leader_state.hw).is_some_and(|record| record.epoch == leader_state.leader_epoch)
    }

    /// The successor of an action returned by [`Kip320::enabled_actions`] for this state.
    pub(crate) fn successor(&self, state: &State, action: Action) -> State {
        let mut next = state.clone();
        match action {
            Action::ControllerElectLeader { new_leader } => {
                self.controller_update_isr(&mut next, Some(new_leader), state.quorum.isr);
            }
            Action::ControllerShrinkIsr { replica } => {
                let quorum = state.quorum;
                if quorum.leader == Some(replica) {
                    // A sole leader stays in the ISR: there is nobody else to hold the data.
                    let isr = if quorum.isr.0 == 1 << replica { quorum.isr } else { quorum.isr.without(replica) };
                    self.controller_update_isr(&mut next, None, isr);
                } else {
                    self.controller_update_isr(&mut next, quorum.leader, quorum.isr.without(replica));
                }
            }
            Action::BecomeLeader { request_epoch } => {
                let request = state.requests[request_epoch as usize].expect("enabled request");
                let leader = request.leader.expect("enabled request has a leader");
                let replica = &mut next.replicas[leader as usize];
                *replica = ReplicaState {
                    hw: replica.hw,
                    leader_epoch: request.leader_epoch,
                    leader: Some(leader),
                    isr: request.isr,
                };
            }
            Action::FencedLeaderExpandIsr { leader, follower } => {
                let isr = state.replicas[leader as usize].isr.with(follower);
                quorum_update_isr(&mut next, leader, isr);
            }
            Action::FencedLeaderShrinkIsr { leader, follower, reason: _ } => {
                let isr = state.replicas[leader as usize].isr.without(follower);
                quorum_update_isr(&mut next, leader, isr);
            }
            Action::LeaderWrite { replica, id, offset } => {
                debug_assert_eq!(offset, state.log(replica).end_offset);
                let epoch = state.replicas[replica as usize].leader_epoch;
                next.logs[replica as usize].append(Record { id, epoch });
                next.next_record_id += 1;
            }
            Action::FencedLeaderIncHighWatermark { leader } => {
                next.replicas[leader as usize].hw += 1;
            }
            Action::FencedBecomeFollowerAndTruncate { leader, replica, request_epoch } => {
                let request = state.requests[request_epoch as usize].expect("enabled request");
                let truncation_offset = state.first_non_matching_offset_from_tail(leader, replica);
                next.logs[replica as usize].truncate_to(truncation_offset);
                next.replicas[replica as usize] = ReplicaState {
                    leader_epoch: request.leader_epoch,
                    leader: request.leader,
                    isr: request.isr,
                    hw: truncation_offset.min(state.replicas[replica as usize].hw),
                };
            }
            Action::FencedFollowerFetch { follower, leader } => {
                let end = state.log(follower).end_offset;
                let record = state.log(leader).entry(end).expect("enabled fetch has a record");
                next.logs[follower as usize].append(record);
                let leader_hw = state.replicas[leader as usize].hw;
                next.replicas[follower as usize].hw = leader_hw.min(end + 1);
            }
        }
        next
    }

    /// `ControllerUpdateIsr`: take the next epoch, write the quorum and send the request.
    fn controller_update_isr(&self, next: &mut State, leader: Option<Replica>, isr: ReplicaSet) {
        let epoch = next.next_leader_epoch;
        let quorum = QuorumState { leader_epoch: Some(epoch), leader, isr };
        next.quorum = quorum;
        next.requests[epoch as usize] = Some(quorum);
        next.next_leader_epoch += 1;
    }
}

/// `QuorumUpdateLeaderAndIsr`: the true leader writes a new ISR to the quorum and its own cache,
/// without a new epoch and without a request.
fn quorum_update_isr(next: &mut State, leader: Replica, isr: ReplicaSet) {
    next.quorum.isr = isr;
    next.replicas[leader as usize].isr = isr;
}
