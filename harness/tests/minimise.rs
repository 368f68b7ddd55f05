//! The minimiser: it never lengthens a path, the result still shows what the input showed, and
//! no single step can be taken out of it; on the model, a padded counterexample shrinks back.

use highwater::tracefile::{minimise, shows, walk};
use highwater_model::{preset, ClusterModel};
use highwater_traces::{Action, NodeId, TimerKind};
use quickcheck::quickcheck;

fn produce(values: &[u8]) -> Vec<Action> {
    values.iter().map(|v| Action::Produce { value: u64::from(*v % 8) }).collect()
}

/// "The path produces 3 and later 5": a stand-in verdict with a known minimum of 2 steps.
fn three_then_five(actions: &[Action]) -> bool {
    let values: Vec<u64> =
        actions.iter().filter_map(|a| if let Action::Produce { value } = a { Some(*value) } else { None }).collect();
    values.iter().position(|v| *v == 3).is_some_and(|i| values[i..].contains(&5))
}

quickcheck! {
    fn never_longer_and_keeps_the_verdict(values: Vec<u8>) -> bool {
        let actions = produce(&values);
        let minimal = minimise(&actions, three_then_five);
        minimal.len() <= actions.len() && three_then_five(&minimal) == three_then_five(&actions)
    }

    fn one_minimal_when_it_shows(values: Vec<u8>) -> bool {
        let actions = produce(&values);
        if !three_then_five(&actions) {
            return true;
        }
        let minimal = minimise(&actions, three_then_five);
        minimal.len() == 2 && (0..minimal.len()).all(|i| {
            let mut fewer = minimal.clone();
            fewer.remove(i);
            !three_then_five(&fewer)
        })
    }
}

#[test]
fn a_padded_counterexample_shrinks_back_on_the_model() {
    let model = ClusterModel::new(preset("smoke").unwrap().config());
    let property = highwater_properties::by_name("leader-changed").unwrap();
    let keeps = |actions: &[Action]| {
        walk(&model, actions).is_ok_and(|states| shows(&model, property, states.last().unwrap(), 0))
    };
    let original = vec![Action::Crash { broker: 1 }];
    assert!(keeps(&original));
    let mut padded = vec![
        Action::Produce { value: 1 },
        Action::Deliver { from: NodeId::Controller, to: NodeId::Broker(1) },
        Action::Timer { node: NodeId::Consumer(0), timer: TimerKind::ConsumerFetch },
    ];
    padded.extend(original.clone());
    assert!(walk(&model, &padded).is_ok(), "the padding is a valid path");
    assert!(keeps(&padded));
    let minimal = minimise(&padded, keeps);
    assert!(minimal.len() <= original.len(), "{minimal:?}");
    assert!(keeps(&minimal));
}
