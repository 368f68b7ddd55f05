//! Consumer symmetry: same-rack consumers explored as one must change how many states are
//! explored, never a verdict.

use highwater_model::symmetry::{renumbered, representative, ConsumerSymmetry};
use highwater_model::{preset, ClusterModel, ModelBug, ModelConfig};
use stateright::{Checker, Model};

/// `smoke` without its crash, with two consumers in rack b.
fn two_consumers_in_one_rack() -> ModelConfig {
    ModelConfig {
        consumer_racks: vec![Some("b".into()), Some("b".into())],
        crashes: 0,
        ..preset("smoke").unwrap().config()
    }
}

/// Unique states and the properties discovered (violated safety, reached coverage).
fn exhaust(cfg: ModelConfig, symmetry: bool) -> (usize, Vec<&'static str>) {
    let builder = ClusterModel::new(cfg.clone()).checker().threads(2);
    let builder = if symmetry { builder.symmetry_fn(representative) } else { builder };
    let checker = builder.spawn_dfs().join();
    assert!(checker.is_done());
    let found = ClusterModel::new(cfg)
        .properties()
        .into_iter()
        .filter(|p| checker.discovery(p.name).is_some())
        .map(|p| p.name)
        .collect();
    (checker.unique_state_count(), found)
}

#[test]
fn same_rack_consumers_are_explored_once_with_the_same_verdicts() {
    let (with, found_with) = exhaust(two_consumers_in_one_rack(), true);
    let (without, found_without) = exhaust(two_consumers_in_one_rack(), false);
    assert_eq!((with, without), (8_405, 17_076), "the state spaces changed");
    // A representative stands for at most two numberings, times at most two orders of the
    // consumer fetches parked at a broker.
    assert!(with < without && 4 * with >= without, "a representative stands for more states than it can");
    assert_eq!(found_with, found_without, "symmetry changed a verdict");
}

#[test]
fn a_seeded_bug_is_still_found_with_symmetry() {
    let mut cfg = two_consumers_in_one_rack();
    cfg.bugs.insert(ModelBug::FollowerServesLeo);
    let (_, found) = exhaust(cfg, true);
    assert!(found.contains(&"no-read-above-hw"), "found only {found:?}");
}

#[test]
fn the_representative_is_a_fixed_point_and_the_same_for_every_numbering() {
    let model = ClusterModel::new(two_consumers_in_one_rack());
    // Walk a few hundred states breadth first; each representative must be its own
    // representative, and the two numberings of a state must share one.
    let mut frontier = model.init_states();
    let mut actions = Vec::new();
    let mut seen = 0;
    while seen < 500 {
        let mut next = Vec::new();
        for state in &frontier {
            let canonical = representative(state);
            assert_eq!(representative(&canonical), canonical);
            assert_eq!(representative(&renumbered(state, &[1, 0])), canonical, "the swapped numbering");
            actions.clear();
            model.actions(state, &mut actions);
            next.extend(actions.drain(..).filter_map(|a| model.next_state(state, a)));
            seen += 1;
        }
        frontier = next;
    }
    assert!(ConsumerSymmetry::of(&two_consumers_in_one_rack(), model.layout).is_some());
    assert!(ConsumerSymmetry::of(&preset("smoke").unwrap().config(), model.layout).is_none(), "one consumer");
}
