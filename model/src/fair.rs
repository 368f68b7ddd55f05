//! Bounded liveness: fair continuations. stateright's `eventually` misses cycles that never
//! satisfy the goal, so the suite checks liveness by running, from a given state, a fair
//! schedule with no further faults and asking that the goal hold within a bound.
//!
//! Faults stop, but not every fault is undone: cut racks heal, while a crashed broker stays down
//! unless the partition cannot make progress without it (no live leader). A broker can be lost
//! for good, and Kafka must still make committed records visible on the replicas left: that is
//! what shrinking the ISR is for (KAFKA-13091 is a HW stuck because nothing else moved it).

use std::cell::RefCell;

use highwater_traces::{Action, ClusterView, NodeId, TimerKind, NO_BROKER};
use stateright::Model;

use crate::cluster::{ClusterModel, ClusterState};
use crate::view::{view, view_into};

/// Whether an action is something the environment, not the protocol, decides: never part of a
/// fair continuation. The producer falls silent too: its retries append the value again (neither
/// side models idempotence), and a fresh append would advance the HW and hide one that is stuck.
pub fn is_fault_or_input(action: &Action) -> bool {
    matches!(
        action,
        Action::Timer { node: NodeId::Producer, .. }
            | Action::Crash { .. }
            | Action::Restart { .. }
            | Action::CutRack { .. }
            | Action::HealRack { .. }
            | Action::Cut { .. }
            | Action::Heal { .. }
            | Action::Produce { .. }
            | Action::Drop { .. }
            | Action::Seek { .. }
    )
}

/// Whether the partition needs its crashed brokers back: the controller has no leader, or a
/// leader that is down. Otherwise they stay down for the continuation.
pub fn needs_restart(view: &ClusterView) -> bool {
    view.controller.leader == NO_BROKER || view.broker(view.controller.leader).is_none_or(|b| !b.alive)
}

/// Whether stopping the faults would take no step: no rack is cut, and no crashed broker would
/// restart. (Liveness goals do not read the fault budget, the one thing stopping would change.)
pub fn nothing_to_heal(view: &ClusterView) -> bool {
    view.cut_racks.is_empty()
        && view.outages.is_empty()
        && (view.brokers.iter().all(|b| b.alive) || !needs_restart(view))
}

/// Which healing step comes next from a state offering `actions`: a cut rack or an outage heals first; a
/// crashed broker restarts only when `needs_restart` says the partition is stuck without it.
pub fn next_healing(actions: &[Action], view: &ClusterView) -> Option<Action> {
    let heal = actions.iter().find(|a| matches!(a, Action::HealRack { .. } | Action::Heal { .. }));
    let restart = || actions.iter().find(|a| matches!(a, Action::Restart { .. })).filter(|_| needs_restart(view));
    heal.or_else(restart).cloned()
}

/// The fair choice among `actions`: the first not taken recently, else the least recently taken
/// (round robin over deliveries and timers, whatever order they are offered in).
pub fn fair_choice(actions: &[Action], last_taken: &[Action]) -> Option<Action> {
    actions.iter().min_by_key(|a| last_taken.iter().rposition(|t| t == *a).map_or(-1, |i| i as i64)).cloned()
}

/// Stop all faults: heal every cut rack, restart crashed brokers if the partition needs them
/// (`next_healing`), then spend the budget.
pub fn stop_faults(model: &ClusterModel, state: &ClusterState) -> (ClusterState, Vec<Action>) {
    let mut state = state.clone();
    let mut path = Vec::new();
    // With nothing cut and every broker up, no healing step is offered: the common case skips
    // enumerating every action and building a view only to find none.
    let all_up = |s: &ClusterState| model.cfg.broker_ids().all(|b| model.alive(s, NodeId::Broker(b)));
    while !(state.cut.is_empty() && all_up(&state)) {
        let mut actions = Vec::new();
        model.actions(&state, &mut actions);
        let Some(heal) = next_healing(&actions, &view(model, &state)) else { break };
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
    fair_continuation(model, &mut state.clone(), bound, |s| goal(&view(model, s)))
}

/// The model's fair schedule from `state`, in place, every protocol action offered.
fn fair_continuation(
    model: &ClusterModel,
    state: &mut ClusterState,
    bound: usize,
    reached: impl Fn(&ClusterState) -> bool,
) -> (Vec<Action>, bool) {
    let enabled = |s: &ClusterState| {
        let mut actions = Vec::new();
        model.actions(s, &mut actions);
        actions
    };
    let step = |s: &mut ClusterState, action: &Action| model.take_step(s, action);
    fair_schedule(state, bound, enabled, step, reached)
}

/// Run a fair schedule from `state` that keeps its faults, for at most `bound` steps: nothing
/// heals, nothing new fails, and the consumers' `metadata-refresh` tick is held back, the lease
/// on a preferred read replica (`metadata.max.age.ms`) outlasting what an outage sets off
/// (`highwater_properties::availability`). Returns the steps taken and whether `reached` held by
/// the end.
pub fn continue_with_faults_kept(
    model: &ClusterModel,
    state: &ClusterState,
    reached: impl Fn(&ClusterView) -> bool,
    bound: usize,
) -> (Vec<Action>, bool) {
    let enabled = |s: &ClusterState| {
        let mut actions = Vec::new();
        model.actions(s, &mut actions);
        actions.retain(|a| !matches!(a, Action::Timer { timer: TimerKind::MetadataRefresh, .. }));
        actions
    };
    let step = |s: &mut ClusterState, action: &Action| model.take_step(s, action);
    fair_schedule(&mut state.clone(), bound, enabled, step, |s| reached(&view(model, s)))
}

/// The fair schedule itself, over any system that offers actions and takes steps (the model, or
/// the protocol crate through the harness): at most `bound` steps, each the fair choice among
/// the protocol's own actions, until `reached` holds. Returns the steps and whether it held.
pub fn fair_schedule<S>(
    state: &mut S,
    bound: usize,
    enabled: impl Fn(&S) -> Vec<Action>,
    mut step: impl FnMut(&mut S, &Action) -> bool,
    reached: impl Fn(&S) -> bool,
) -> (Vec<Action>, bool) {
    let mut path: Vec<Action> = Vec::new();
    loop {
        if reached(state) {
            return (path, true);
        }
        if path.len() == bound {
            return (path, false);
        }
        let mut actions = enabled(state);
        actions.retain(|a| !is_fault_or_input(a));
        let Some(next) = fair_choice(&actions, &path) else { return (path, false) };
        if !step(state, &next) {
            return (path, false);
        }
        path.push(next);
    }
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
    reaches_each_fairly(model, state, &[goal], bound)[0]
}

/// [`reaches_fairly`] for several goals at once, in their order. No goal steers the fair
/// schedule, so the continuation towards one is the continuation towards any other, cut off
/// sooner or later: one continuation, run until every goal has held or the bound is spent,
/// answers them all as a continuation for each would.
pub fn reaches_each_fairly(
    model: &ClusterModel,
    state: &ClusterState,
    goals: &[fn(&ClusterView) -> bool],
    bound: usize,
) -> Vec<bool> {
    let (mut healed, _) = stop_faults(model, state);
    let held = RefCell::new(vec![false; goals.len()]);
    STEP_VIEW.with(|view| {
        fair_continuation(model, &mut healed, bound, |s| {
            let mut view = view.borrow_mut();
            view_into(model, s, &mut view);
            let mut held = held.borrow_mut();
            for (held, goal) in held.iter_mut().zip(goals) {
                *held = *held || goal(&view);
            }
            held.iter().all(|h| *h)
        })
    });
    held.into_inner()
}

thread_local! {
    /// The view of each step of a continuation, written over the last one's.
    static STEP_VIEW: RefCell<ClusterView> = RefCell::new(ClusterView::default());
}
