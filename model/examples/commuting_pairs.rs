//! How much a sleep-set search could save on a preset: over every reachable state (breadth
//! first, one thread), the pairs of enabled actions that commute there. Two actions `a` and
//! `b` commute in a state when each stays enabled after the other and both orders reach the
//! same state. A sleep-set search that explores `a` before `b` need not explore `a` after `b`
//! when they commute, so the share of transitions with an earlier action they commute with
//! bounds what sleep sets, given an exact independence relation, would leave unexplored.
//!
//! `cargo run --release -p highwater-model --example commuting_pairs -- elections`

use std::collections::hash_map::DefaultHasher;
use std::collections::{BTreeMap, HashSet, VecDeque};
use std::hash::{Hash, Hasher};

use highwater_model::{preset, ClusterModel, ClusterState};
use highwater_traces::Action;
use stateright::Model;

/// The state as the checker tells states apart: its hash leaves out what the last step alone
/// saw (`ClusterState`'s `Hash`), which equality compares.
fn fingerprint(state: &ClusterState) -> u64 {
    let mut hasher = DefaultHasher::new();
    state.hash(&mut hasher);
    hasher.finish()
}

/// The action's kind: `Deliver`, `Timer`, `Crash` and so on.
fn kind(action: &Action) -> String {
    format!("{action:?}").split([' ', '{', '(']).next().unwrap_or_default().to_string()
}

fn enabled(model: &ClusterModel, state: &ClusterState) -> Vec<Action> {
    let mut actions = Vec::new();
    model.actions(state, &mut actions);
    actions
}

fn main() {
    let name = std::env::args().nth(1).unwrap_or_else(|| "smoke".to_string());
    let Some(preset) = preset(&name) else {
        eprintln!("commuting_pairs: `{name}` is not a preset (see `highwater presets`)");
        std::process::exit(2);
    };
    let model = ClusterModel::new(preset.config());
    let mut seen = HashSet::new();
    let mut queue: VecDeque<ClusterState> =
        model.init_states().into_iter().filter(|s| seen.insert(fingerprint(s))).collect();
    let (mut states, mut transitions, mut pairs, mut commuting, mut covered) = (0u64, 0u64, 0u64, 0u64, 0u64);
    // (earlier kind, later kind) -> (pairs, commuting pairs)
    let mut by_kind: BTreeMap<(String, String), (u64, u64)> = BTreeMap::new();
    while let Some(state) = queue.pop_front() {
        states += 1;
        let actions = enabled(&model, &state);
        let next: Vec<Option<ClusterState>> = actions.iter().map(|a| model.next_state(&state, a.clone())).collect();
        for (i, after_i) in next.iter().enumerate() {
            let Some(after_i) = after_i else { continue };
            transitions += 1;
            let mut has_earlier = false;
            for (j, after_j) in next.iter().enumerate().take(i) {
                let Some(after_j) = after_j else { continue };
                pairs += 1;
                let commute = enabled(&model, after_j).contains(&actions[i])
                    && enabled(&model, after_i).contains(&actions[j])
                    && model.next_state(after_j, actions[i].clone()).is_some_and(|x| {
                        model
                            .next_state(after_i, actions[j].clone())
                            .is_some_and(|y| fingerprint(&x) == fingerprint(&y))
                    });
                let counts = by_kind.entry((kind(&actions[j]), kind(&actions[i]))).or_default();
                counts.0 += 1;
                if commute {
                    counts.1 += 1;
                    commuting += 1;
                    has_earlier = true;
                }
            }
            covered += u64::from(has_earlier);
            if seen.insert(fingerprint(after_i)) {
                queue.push_back(after_i.clone());
            }
        }
    }
    let share = |part: u64, whole: u64| 100.0 * part as f64 / whole.max(1) as f64;
    println!("{name}: {states} states, {transitions} transitions");
    println!("pairs of enabled actions: {pairs}, of which {commuting} commute ({:.1}%)", share(commuting, pairs));
    println!("transitions with an earlier action they commute with: {covered} ({:.1}%)", share(covered, transitions));
    let mut kinds: Vec<_> = by_kind.into_iter().collect();
    kinds.sort_by_key(|(_, (n, _))| std::cmp::Reverse(*n));
    for ((earlier, later), (n, c)) in kinds.iter().take(10) {
        println!("  {earlier:>8} then {later:<8} {n:>10} pairs, {:5.1}% commute", share(*c, *n));
    }
}
