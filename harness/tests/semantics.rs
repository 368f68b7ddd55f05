//! Where KIP-392's text and Kafka as built differ, the same steps under both semantics, with
//! both outcomes, on the model and on the protocol crate: a promise of the KIP's text alone is
//! broken under `KipStrict` and judged by what it does to consumers under `Apache`.

use std::collections::{HashMap, VecDeque};
use std::path::Path;

use highwater::adapter::Implementation;
use highwater::tracefile::{load, walk};
use highwater_model::view::view;
use highwater_model::{preset, ClusterModel, ClusterState, ModelBug, ModelConfig, Semantics};
use highwater_properties::violated_safety;
use highwater_traces::Happened;
use highwater_traces::{Action, ClusterView};
use stateright::Model;

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

/// The first path, breadth first, to a step that `picks` (from the views before and after it).
fn first_path(cfg: &ModelConfig, picks: impl Fn(&ClusterView, &ClusterView) -> bool) -> Vec<Action> {
    let model = ClusterModel::new(cfg.clone());
    let mut parent: HashMap<ClusterState, (ClusterState, Action)> = HashMap::new();
    let mut queue: VecDeque<ClusterState> = model.init_states().into();
    let path_to = |mut state: ClusterState, parent: &HashMap<ClusterState, (ClusterState, Action)>| {
        let mut actions = Vec::new();
        while let Some((previous, action)) = parent.get(&state) {
            actions.push(action.clone());
            state = previous.clone();
        }
        actions.reverse();
        actions
    };
    while let Some(state) = queue.pop_front() {
        let before = view(&model, &state);
        let mut actions = Vec::new();
        model.actions(&state, &mut actions);
        for action in actions {
            let Some(next) = model.next_state(&state, action.clone()) else { continue };
            if parent.contains_key(&next) || model.init_states().contains(&next) {
                continue;
            }
            parent.insert(next.clone(), (state.clone(), action));
            if picks(&before, &view(&model, &next)) {
                return path_to(next, &parent);
            }
            queue.push_back(next);
        }
    }
    panic!("no step of {cfg:?} is picked");
}

/// The last view of `actions` under `semantics` on the model, with no safety property violated.
fn model_side(cfg: &ModelConfig, semantics: Semantics, actions: &[Action]) -> ClusterView {
    let mut cfg = cfg.clone();
    cfg.semantics = semantics;
    let model = ClusterModel::new(cfg);
    let states = walk(&model, actions).unwrap_or_else(|e| panic!("{semantics:?}: not a path: {e:?}"));
    let last = view(&model, states.last().unwrap());
    assert!(violated_safety(&last).is_empty(), "{semantics:?}: {:?}", violated_safety(&last));
    last
}

/// The same on the model and on the protocol crate, which must agree on the consumers and on
/// what happened.
fn both_sides(cfg: &ModelConfig, semantics: Semantics, actions: &[Action]) -> ClusterView {
    let last = model_side(cfg, semantics, actions);
    let mut cfg = cfg.clone();
    cfg.semantics = semantics;
    let mut implementation = Implementation::new(&cfg);
    for (step, action) in actions.iter().enumerate() {
        implementation.step(action).unwrap_or_else(|e| panic!("{semantics:?}, step {}: {e:?}", step + 1));
    }
    let sim = implementation.view();
    assert_eq!(sim.consumers, last.consumers, "{semantics:?}: the model and the protocol crate differ");
    assert_eq!(sim.ghost.happened, last.ghost.happened, "{semantics:?}: the model and the protocol crate differ");
    last
}

/// A consumer fetching from its preferred follower at an offset the follower holds but has not
/// seen committed (HW <= offset < LEO): Kafka's `LocalLog.read` bounds the read at the HW, so the
/// fetch waits at the follower, empty. KIP-392's text answers OFFSET_NOT_AVAILABLE, on which the
/// consumer requests a metadata update, which clears its preferred read replica
/// (`FetchUtils.requestMetadataUpdate`), so it goes back to the leader.
#[test]
fn a_fetch_between_the_follower_s_hw_and_leo_waits_in_kafka_and_is_not_available_in_the_kip_s_text() {
    let mut cfg = preset("lagging").unwrap().config();
    cfg.semantics = Semantics::KipStrict;
    // The step that puts the offset in the window and answers: records reaching a follower
    // where the consumer's fetch waits, or the fetch reaching the follower.
    let answered_in_window = |before: &ClusterView, after: &ClusterView| {
        before.consumers.iter().zip(&after.consumers).any(|(was, now)| {
            let Some(follower) = was.preferred_read_replica.and_then(|f| after.broker(f)) else { return false };
            follower.role == highwater_traces::Role::Follower
                && follower.high_watermark <= was.position
                && was.position < follower.log_end_offset
                && now.preferred_read_replica.is_none()
        }) && after.ghost.happened.contains(&Happened::FollowerAnsweredNotAvailableOrEmpty)
    };
    let actions = first_path(&cfg, answered_in_window);
    let strict = both_sides(&cfg, Semantics::KipStrict, &actions);
    assert!(strict.ghost.happened.contains(&Happened::FollowerAnsweredNotAvailableOrEmpty));
    assert!(strict.consumers.iter().all(|c| c.preferred_read_replica.is_none()), "back to the leader");
    let apache = both_sides(&cfg, Semantics::Apache, &actions);
    assert!(
        !apache.ghost.happened.contains(&Happened::FollowerAnsweredNotAvailableOrEmpty),
        "Kafka answers nothing yet: the fetch waits for the HW or fetch.max.wait.ms"
    );
    assert!(apache.consumers.iter().all(|c| c.preferred_read_replica.is_some()), "the consumer stays");
}
