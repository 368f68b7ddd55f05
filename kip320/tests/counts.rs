//! The port explores the same state graph as TLC: its counts match TLC's published ones, agree
//! with stateright's own checker, and the invariants are live (they fail where they should).

use std::collections::HashSet;

use highwater_kip320::state::{Record, ReplicaSet};
use highwater_kip320::{count, Action, Counts, Kip320, ShrinkReason, State, TLC_DEPTH, TLC_DISTINCT, TLC_GENERATED};
use stateright::{Checker, Model, Property};

/// Pinned from this port, not from TLC: a two-replica cut of the published configuration, small
/// enough to check in well under a second.
fn reduced() -> Kip320 {
    Kip320::new(2, 2, 2, 2)
}

const REDUCED: Counts =
    Counts { distinct: 5_973, generated: 11_839, depth: 18, weak_isr_violated: false, strong_isr_violated: false };

#[test]
fn published_configuration_matches_tlc() {
    let counts = count(&Kip320::tlc());
    assert_eq!(
        counts,
        Counts {
            distinct: TLC_DISTINCT,
            generated: TLC_GENERATED,
            depth: TLC_DEPTH,
            weak_isr_violated: false,
            strong_isr_violated: false,
        }
    );
}

#[test]
fn reduced_configuration_is_pinned() {
    assert_eq!(count(&reduced()), REDUCED);
}

#[test]
fn stateright_bfs_agrees_on_distinct_states() {
    for model in [reduced(), Kip320::tlc()] {
        let expected = count(&model);
        let checker = model.checker().spawn_bfs().join();
        assert_eq!(checker.unique_state_count(), expected.distinct, "{:?}", checker.model());
        checker.assert_properties();
    }
}

/// Every listed action has a successor, and the only state that one state lists twice is the
/// one `FencedLeaderShrinkIsr` reaches through both arms of its disjunction: TLC counts it twice
/// in "generated", and without those repeats the published configuration would generate 38,406
/// fewer states.
#[test]
fn repeated_successors_come_only_from_both_shrink_arms() {
    let model = Kip320::tlc();
    let mut actions = Vec::new();
    let mut frontier = model.init_states();
    let mut seen: HashSet<State> = frontier.iter().cloned().collect();
    let mut repeats = 0;
    while let Some(state) = frontier.pop() {
        actions.clear();
        model.actions(&state, &mut actions);
        let mut successors = HashSet::new();
        for &action in &actions {
            let next = model.next_state(&state, action).expect("listed actions are enabled");
            if !successors.insert(next.clone()) {
                repeats += 1;
                let Action::FencedLeaderShrinkIsr { leader, follower, reason: ShrinkReason::Lagging } = action else {
                    panic!("{action:?} repeats a successor");
                };
                let other = Action::FencedLeaderShrinkIsr { leader, follower, reason: ShrinkReason::NotFollowingEpoch };
                assert!(actions.contains(&other));
            }
            if seen.insert(next.clone()) {
                frontier.push(next);
            }
        }
    }
    assert_eq!(seen.len(), TLC_DISTINCT);
    assert_eq!(repeats, 38_406);
}

/// A leader that has committed a record its ISR never received.
fn uncommitted_to_isr(model: &Kip320) -> State {
    let mut state = model.init_states().remove(0);
    state.replicas[0].leader = Some(0);
    state.replicas[0].leader_epoch = Some(0);
    state.replicas[0].isr = ReplicaSet::all(2);
    state.replicas[0].hw = 1;
    state.logs[0].append(Record { id: 0, epoch: Some(0) });
    state.quorum.isr = ReplicaSet::all(2);
    state
}

#[test]
fn invariants_reject_a_committed_record_missing_from_the_isr() {
    let model = reduced();
    let mut state = uncommitted_to_isr(&model);
    assert!(!model.weak_isr(&state));
    assert!(!model.strong_isr(&state));

    // Only the quorum's ISR still holds the laggard: the weak property passes, the strong fails.
    state.replicas[0].isr = ReplicaSet::singleton(0);
    assert!(model.weak_isr(&state));
    assert!(!model.strong_isr(&state));

    // Replicated to the follower: both hold.
    state.logs[1].append(Record { id: 0, epoch: Some(0) });
    state.replicas[0].isr = ReplicaSet::all(2);
    assert!(model.weak_isr(&state));
    assert!(model.strong_isr(&state));
}

/// Kip320 with its fenced truncation swapped for KIP-279's, as the spec's comment on
/// `FencedBecomeFollowerAndTruncate` suggests: a follower truncates against whatever the named
/// leader's log holds, without checking that the leader has taken up the request's epoch.
struct Kip279Truncation(Kip320);

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
enum MutantAction {
    Kip320(Action),
    BecomeFollowerTruncateKip279 { leader: u8, replica: u8, request_epoch: u8 },
}

impl Model for Kip279Truncation {
    type State = State;
    type Action = MutantAction;

    fn init_states(&self) -> Vec<State> {
        self.0.init_states()
    }

    fn actions(&self, state: &State, actions: &mut Vec<MutantAction>) {
        let mut fenced = Vec::new();
        self.0.actions(state, &mut fenced);
        actions.extend(
            fenced
                .into_iter()
                .filter(|a| !matches!(a, Action::FencedBecomeFollowerAndTruncate { .. }))
                .map(MutantAction::Kip320),
        );
        for leader in 0..self.0.replicas {
            for replica in (0..self.0.replicas).filter(|&r| r != leader) {
                for (epoch, request) in state.requests.iter().enumerate() {
                    let Some(request) = request else { continue };
                    if request.leader == Some(leader)
                        && request.leader_epoch > state.replicas[replica as usize].leader_epoch
                    {
                        let request_epoch = epoch as u8;
                        actions.push(MutantAction::BecomeFollowerTruncateKip279 { leader, replica, request_epoch });
                    }
                }
            }
        }
    }

    fn next_state(&self, state: &State, action: MutantAction) -> Option<State> {
        match action {
            MutantAction::Kip320(action) => self.0.next_state(state, action),
            MutantAction::BecomeFollowerTruncateKip279 { leader, replica, request_epoch } => {
                let request = state.requests[request_epoch as usize]?;
                let offset = state.first_non_matching_offset_from_tail(leader, replica);
                let mut next = state.clone();
                next.logs[replica as usize].truncate_to(offset);
                let follower = &mut next.replicas[replica as usize];
                follower.hw = follower.hw.min(offset);
                follower.leader_epoch = request.leader_epoch;
                follower.leader = request.leader;
                follower.isr = request.isr;
                Some(next)
            }
        }
    }

    fn properties(&self) -> Vec<Property<Self>> {
        vec![Property::always("StrongIsr", |model: &Kip279Truncation, state: &State| model.0.strong_isr(state))]
    }
}

#[test]
fn unfenced_truncation_violates_strong_isr() {
    let checker = Kip279Truncation(Kip320::tlc()).checker().spawn_bfs().join();
    let path = checker.discovery("StrongIsr").expect("KIP-279 truncation loses committed data");
    assert!(!Kip320::tlc().strong_isr(path.last_state()));
}
