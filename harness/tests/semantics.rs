//! Where KIP-392's text and Kafka as built differ, the same steps under both semantics, with
//! both outcomes: a promise of the KIP's text alone is broken under `KipStrict` and judged by
//! what it does to consumers under `Apache`.

use std::path::Path;

use highwater::adapter::Implementation;
use highwater::tracefile::{load, walk};
use highwater_model::view::view;
use highwater_model::{ClusterModel, ModelBug, Semantics};
use highwater_properties::violated_safety;
use highwater_traces::Action;

fn corpus(name: &str) -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../traces/corpus").join(name)
}

/// An OffsetsForLeaderEpoch answer above the HW: KIP-392's text caps it (`epoch-query-capped`);
/// Kafka 4.4 answers the epoch's end offset, which no consumer acts on to read past the HW.
#[test]
fn an_epoch_query_answered_above_the_hw_breaks_the_kip_s_text_and_harms_no_consumer_in_kafka() {
    let (trace, strict) = load(&corpus("bugs/consumer-epoch-query-uncapped.json")).unwrap();
    assert_eq!(strict.semantics, Semantics::KipStrict);
    assert!(strict.bugs.contains(&ModelBug::ConsumerEpochQueryUncapped));
    let actions: Vec<Action> = trace.states.iter().filter_map(|s| s.action.clone()).collect();

    // Under the KIP's text, with the answer uncapped: the promise is broken.
    let model = ClusterModel::new(strict.clone());
    let states = walk(&model, &actions).expect("the counterexample is a path");
    let last = view(&model, states.last().unwrap());
    assert_eq!(violated_safety(&last), vec!["epoch-query-capped"]);

    // Kafka as built answers the same, bug or not: the same steps are a path of the correct
    // model under Apache semantics, and no property holds Kafka to the cap.
    let mut apache = strict.clone();
    apache.semantics = Semantics::Apache;
    apache.bugs.clear();
    let model = ClusterModel::new(apache.clone());
    let states = walk(&model, &actions).expect("Kafka's answer is the same as the uncapped one");
    for (step, state) in states.iter().enumerate() {
        let view = view(&model, state);
        assert!(violated_safety(&view).is_empty(), "step {step}: {:?}", violated_safety(&view));
        assert!(view.consumers.iter().all(|c| c.position <= view.ghost.true_hw), "step {step}");
    }
    let mut implementation = Implementation::new(&apache);
    for (step, action) in actions.iter().enumerate() {
        implementation.step(action).unwrap_or_else(|e| panic!("step {}: {e:?}", step + 1));
        assert!(violated_safety(&implementation.view()).is_empty(), "step {}", step + 1);
    }

    // And the correct model under the KIP's text refuses the answer: the same steps no longer
    // lead to the violation.
    let mut kip = strict;
    kip.bugs.clear();
    let model = ClusterModel::new(kip);
    let violated =
        walk(&model, &actions).map(|states| violated_safety(&view(&model, states.last().unwrap()))).unwrap_or_default();
    assert!(violated.is_empty(), "{violated:?}");
}
