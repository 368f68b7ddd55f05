//! Seeded bugs whose counterexample lies beyond `smoke` (in `replication`, `rack-outage`): on
//! the exhaustible `smoke` each must still be live, reaching states the model
//! does not reach without it, so the pinned counts show any change to what the bug does.

use highwater_model::{preset, ClusterModel, ModelBug};
use stateright::{Checker, Model};

fn unique_states(name: &str, bug: Option<ModelBug>) -> usize {
    let mut cfg = preset(name).unwrap().config();
    cfg.bugs.extend(bug);
    let checker = ClusterModel::new(cfg).checker().threads(2).spawn_dfs().join();
    assert!(checker.is_done());
    checker.unique_state_count()
}

fn assert_live(name: &str, bug: ModelBug, without: usize, with: usize) {
    assert_eq!(unique_states(name, None), without, "{name} without a bug changed");
    assert_eq!(unique_states(name, Some(bug)), with, "{name} with {} changed", bug.id());
}

#[test]
fn follower_state_kept_across_epochs_starts_leaders_from_stale_follower_states() {
    assert_live("smoke", ModelBug::FollowerStateKeptAcrossEpochs, 37_366, 80_268);
}

/// On `smoke` the follower's stale view never picks another replica (rack b has one broker),
/// so the states it adds are those of the remembered follower state alone.
#[test]
fn selection_on_follower_remembers_the_follower_states_it_selects_over() {
    assert_live("smoke", ModelBug::SelectionOnFollower, 37_366, 80_268);
}
