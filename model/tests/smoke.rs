//! The `smoke` preset, checked exhaustively: its exact state count is pinned, so any change to
//! the model's state space shows here and has to be explained.

use highwater_model::{preset, ClusterModel};
use stateright::{Checker, Expectation, Model};

#[test]
fn smoke_is_checked_exhaustively_with_every_safety_property_holding() {
    let model = ClusterModel::new(preset("smoke").unwrap().config());
    let checker = model.checker().threads(2).spawn_dfs().join();
    assert!(checker.is_done());
    assert_eq!(checker.unique_state_count(), 686_844, "the smoke state space changed");
    let model = ClusterModel::new(preset("smoke").unwrap().config());
    for property in model.properties() {
        let found = checker.discovery(property.name).is_some();
        match property.expectation {
            Expectation::Always => assert!(!found, "{} violated", property.name),
            Expectation::Sometimes => {
                // Smoke has no faults: truncation, leader change and rack cuts need them.
                let needs_faults = ["follower-truncated", "leader-changed", "rack-cut-while-consuming"];
                assert_eq!(found, !needs_faults.contains(&property.name), "{}", property.name);
            }
            Expectation::Eventually => unreachable!("liveness is not registered with stateright"),
        }
    }
}
