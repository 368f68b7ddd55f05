//! A breadth-first count of the reachable states, tallied the way TLC reports them.

use std::collections::HashSet;

use crate::state::State;
use crate::Kip320;

/// What a full breadth-first exploration found, in TLC's terms.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Counts {
    /// Distinct reachable states, initial states included.
    pub distinct: usize,
    /// Initial states plus every successor of every distinct state, repeats included.
    pub generated: usize,
    /// The number of BFS levels, counting the initial states as level 1 (TLC's "depth of the
    /// complete state graph search").
    pub depth: usize,
    /// Some reachable state violates `WeakIsr`.
    pub weak_isr_violated: bool,
    /// Some reachable state violates `StrongIsr`.
    pub strong_isr_violated: bool,
}

/// Explores every reachable state of `model` on one thread and counts as TLC does.
///
/// Unlike TLC it does not stop at a violation: the counts always cover the whole state space, and
/// the violation flags say whether TLC would have stopped early.
pub fn count(model: &Kip320) -> Counts {
    let mut seen: HashSet<State> = HashSet::new();
    let mut level: Vec<State> = Vec::new();
    let mut counts =
        Counts { distinct: 0, generated: 0, depth: 0, weak_isr_violated: false, strong_isr_violated: false };

    for state in model.initial_states() {
        counts.generated += 1;
        if seen.insert(state.clone()) {
            level.push(state);
        }
    }

    let mut actions = Vec::new();
    while !level.is_empty() {
        counts.depth += 1;
        let mut next_level = Vec::new();
        for state in &level {
            counts.weak_isr_violated |= !model.weak_isr(state);
            counts.strong_isr_violated |= !model.strong_isr(state);
            actions.clear();
            model.enabled_actions(state, &mut actions);
            counts.generated += actions.len();
            for &action in &actions {
                let successor = model.successor(state, action);
                if !seen.contains(&successor) {
                    seen.insert(successor.clone());
                    next_level.push(successor);
                }
            }
        }
        level = next_level;
    }
    counts.distinct = seen.len();
    counts
}
