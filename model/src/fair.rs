//! Bounded liveness: fair continuations. stateright's `eventually` misses cycles that never
//! satisfy the goal, so the suite checks liveness by running, from a given state, a fair
//! schedule with no further faults and asking that the goal hold within a bound.

use highwater_traces::{Action, ClusterView};
use stateright::Model;

use crate::cluster::{ClusterModel, ClusterState};
use crate::view::view;

/// Whether an action is something the environment, not the protocol, decides.
fn is_fault_or_input(action: &Action) -> bool {
    matches!(
        action,
        Action::Crash { .. }
            | Action::CutRack { .. }
            | Action::Produce { .. }
            | Action::Drop { .. }
            | Action::Seek { .. }
    )
}

/// Stop all faults: heal every cut rack and restart every crashed broker, then spend the budget.
pub fn stop_faults(model: &ClusterModel, state: &ClusterState) -> (ClusterState, Vec<Action>) {
    let mut state = state.clone();
    let mut path = Vec::new();
    loop {
        let mut actions = Vec::new();
        model.actions(&state, &mut actions);
        let Some(heal) = actions.into_iter().find(|a| matches!(a, Action::HealRack { .. } | Action::Restart { .. }))
        else {
            break;
        };
        state = model.next_state(&state, heal.clone()).expect("healing is always possible");
        path.push(heal);
    }
    state.crashes_left = 0;
    state.outages_left = 0;
    state.isr_ticks_left = 0;
    state.seeks_left = 0;
    (state, path)
}

/// Run a fair schedule from `state` for at most `bound` steps: at each step the protocol action
/// that has waited longest (in round-robin order over deliveries and timers) goes next. Returns
/// the steps taken and whether `goal` held by the end.
pub fn continue_fairly(
    model: &ClusterModel,
    state: &ClusterState,
    goal: fn(&ClusterView) -> bool,
    bound: usize,
) -> (Vec<Action>, bool) {
    let mut state = state.clone();
    let mut path = Vec::new();
    let mut last_taken: Vec<Action> = Vec::new();
    for _ in 0..=bound {
        if goal(&view(model, &state)) {
            return (path, true);
        }
        if path.len() == bound {
            break;
        }
        let mut actions = Vec::new();
        model.actions(&state, &mut actions);
        actions.retain(|a| !is_fault_or_input(a));
        // Round robin: the first action not taken recently, else the least recently taken.
        let next =
            actions.iter().min_by_key(|a| last_taken.iter().rposition(|t| t == *a).map_or(-1, |i| i as i64)).cloned();
        let Some(next) = next else { break };
        match model.next_state(&state, next.clone()) {
            Some(s) => state = s,
            None => break,
        }
        last_taken.push(next.clone());
        path.push(next);
    }
    (path, false)
}

/// Whether, from `state`, stopping all faults and continuing fairly reaches `goal` within
/// `bound` steps: the bounded-liveness check of one state. Checked on every reachable state, it
/// makes bounded liveness exhaustive (see `ClusterModel::with_liveness_bound`).
pub fn reaches_fairly(
    model: &ClusterModel,
    state: &ClusterState,
    goal: fn(&ClusterView) -> bool,
    bound: usize,
) -> bool {
    let (healed, _) = stop_faults(model, state);
    continue_fairly(model, &healed, goal, bound).1
}
