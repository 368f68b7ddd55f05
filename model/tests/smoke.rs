//! Exhaustive checks with pinned state counts: any change to the model's state space shows here
//! and has to be explained.

use highwater_model::{preset, ClusterModel, ModelConfig};
use stateright::{Checker, Expectation, Model};

/// The CLI's default bound on fair continuations (`--liveness-bound`).
const LIVENESS_BOUND: usize = 400;

/// Check `cfg` exhaustively, bounded liveness in every state included; return the unique state
/// count and the names of discovered properties.
fn exhaust(cfg: ModelConfig, liveness_bound: usize) -> (usize, Vec<&'static str>) {
    let model = ClusterModel::new(cfg.clone()).with_liveness_bound(liveness_bound);
    let checker = model.checker().threads(2).spawn_dfs().join();
    assert!(checker.is_done());
    let model = ClusterModel::new(cfg).with_liveness_bound(liveness_bound);
    let found =
        model.properties().into_iter().filter(|p| checker.discovery(p.name).is_some()).map(|p| p.name).collect();
    (checker.unique_state_count(), found)
}

/// Safety properties and the liveness ones (checked in every state as `always`).
fn safety_names() -> Vec<&'static str> {
    let model = ClusterModel::new(preset("smoke").unwrap().config()).with_liveness_bound(LIVENESS_BOUND);
    let names: Vec<_> =
        model.properties().into_iter().filter(|p| p.expectation == Expectation::Always).map(|p| p.name).collect();
    assert!(names.contains(&"committed-eventually-visible") && names.contains(&"preferred-replica-released"));
    names
}

#[test]
fn smoke_is_exhausted_with_every_safety_and_liveness_property_holding_and_every_coverage_predicate_reached() {
    let (unique, found) = exhaust(preset("smoke").unwrap().config(), LIVENESS_BOUND);
    assert_eq!(unique, 37_366, "the smoke state space changed");
    let safety = safety_names();
    assert!(found.iter().all(|f| !safety.contains(f)), "violated: {found:?}");
    let reached: Vec<_> = found.iter().filter(|f| !safety.contains(f)).copied().collect();
    assert_eq!(
        reached,
        vec![
            "consumer-read-from-follower",
            "follower-answered-not-available-or-empty",
            "consumer-fell-back-to-leader",
            "follower-truncated",
            "leader-changed",
            "rack-cut-while-consuming",
        ]
    );
}

/// `smoke` with one crash and no rack outage (to keep `cargo test` quick), changed by `vary`:
/// exhausted with exactly `expected` unique states and no safety property violated.
fn assert_crash_variant_safe(vary: impl FnOnce(&mut ModelConfig), expected: usize, what: &str) {
    let mut cfg = preset("smoke").unwrap().config();
    cfg.rack_outages = 0;
    vary(&mut cfg);
    let (unique, found) = exhaust(cfg, LIVENESS_BOUND);
    assert_eq!(unique, expected, "the state space of smoke with {what} changed");
    let safety = safety_names();
    assert!(found.iter().all(|f| !safety.contains(f)), "violated with {what}: {found:?}");
}

/// ISR shrinks by lag ticks.
#[test]
fn smoke_with_a_crash_and_two_lag_ticks_stays_safe() {
    assert_crash_variant_safe(|cfg| cfg.isr_expirations = 2, 14_184, "a crash and two lag ticks");
}

/// ListOffsets after an election, where KIP-207's window lies.
#[test]
fn smoke_with_a_crash_and_a_seek_stays_safe() {
    assert_crash_variant_safe(|cfg| cfg.seeks = 1, 8_287, "a crash and a seek");
}

/// The liveness check can fail: with fair continuations of 2 steps, some reachable state (one
/// with a record committed but not yet delivered) cannot reach either goal in time.
#[test]
fn liveness_checked_in_every_state_fails_when_the_bound_is_too_short() {
    let mut cfg = preset("smoke").unwrap().config();
    cfg.rack_outages = 0;
    let (_, found) = exhaust(cfg, 2);
    assert!(found.contains(&"committed-eventually-visible"), "{found:?}");
    assert!(found.contains(&"preferred-replica-released"), "{found:?}");
}

/// The seeded KAFKA-13091 is a liveness bug: the HW never rises over a record the whole ISR
/// holds. Exhausting smoke with it finds `committed-eventually-visible` violated, and nothing else.
#[test]
fn a_hw_stuck_after_an_isr_shrink_is_a_liveness_violation() {
    let mut cfg = preset("smoke").unwrap().config();
    cfg.rack_outages = 0;
    cfg.bugs.insert(highwater_model::ModelBug::HwStuckAfterShrink);
    let (_, found) = exhaust(cfg, LIVENESS_BOUND);
    let safety = safety_names();
    let violated: Vec<_> = found.iter().filter(|f| safety.contains(f)).copied().collect();
    assert_eq!(violated, vec!["committed-eventually-visible"]);
}

/// Faults stop, but a crashed broker stays down while the partition has a live leader (it may
/// be lost for good), and comes back when the partition cannot go on without it.
#[test]
fn a_crashed_broker_stays_down_unless_the_partition_needs_it() {
    use highwater_model::fair::stop_faults;
    use highwater_traces::{Action, NodeId};
    let model = ClusterModel::new(preset("smoke").unwrap().config());
    let after = |actions: &[Action]| {
        actions.iter().fold(model.init_states().remove(0), |s, a| model.next_state(&s, a.clone()).expect("enabled"))
    };
    let follower_down = after(&[Action::Crash { broker: 2 }]);
    let (_, steps) = stop_faults(&model, &follower_down);
    assert_eq!(steps, vec![], "broker 1 leads: broker 2 stays down");
    let leader_down =
        after(&[Action::Crash { broker: 1 }, Action::Deliver { from: NodeId::Controller, to: NodeId::Broker(2) }]);
    let (_, steps) = stop_faults(&model, &leader_down);
    assert_eq!(steps, vec![], "broker 2 was elected: broker 1 stays down");
    let cut = after(&[Action::CutRack { rack: "a".into() }]);
    let (_, steps) = stop_faults(&model, &cut);
    assert_eq!(steps, vec![Action::HealRack { rack: "a".into() }], "cut racks always heal");
    // Broker 2 is cut off and leaves the ISR; then broker 1, the last ISR member, crashes and
    // the partition goes offline: only broker 1 coming back brings it online.
    let offline = after(&[Action::CutRack { rack: "b".into() }, Action::Crash { broker: 1 }]);
    let (_, steps) = stop_faults(&model, &offline);
    assert_eq!(steps, vec![Action::HealRack { rack: "b".into() }, Action::Restart { broker: 1 }]);
}

/// `lagging`, where KAFKA-14255 is caught: a follower restarts behind the HW while a consumer
/// still prefers it. The correct model keeps every safety and liveness property.
#[test]
fn lagging_is_exhausted_with_every_safety_and_liveness_property_holding() {
    let (unique, found) = exhaust(preset("lagging").unwrap().config(), LIVENESS_BOUND);
    assert_eq!(unique, 25_075, "the lagging state space changed");
    let safety = safety_names();
    assert!(found.iter().all(|f| !safety.contains(f)), "violated: {found:?}");
}

/// Each outage shape, on a cluster with a consumer beside the leader and one beside the
/// follower: exhausted with its pinned count, every safety and liveness property holding, and
/// what each shape can reach reached (without a crash or a lost controller, a link outage
/// elects no new leader).
#[test]
fn every_outage_shape_is_exhausted_with_every_property_holding() {
    let safety = safety_names();
    for (name, expected, unreached) in [
        ("outage-brokers", 8_513, vec!["follower-truncated"]),
        ("outage-rack", 10_294, vec!["follower-truncated"]),
        ("outage-link", 386, vec!["follower-truncated", "leader-changed", "rack-cut-while-consuming"]),
        ("outage-one-way", 591, vec!["follower-truncated", "leader-changed"]),
    ] {
        let cfg = preset(name).unwrap().config();
        let (unique, found) = exhaust(cfg.clone(), LIVENESS_BOUND);
        assert_eq!(unique, expected, "the state space of {name} changed");
        assert!(found.iter().all(|f| !safety.contains(f)), "violated on {name}: {found:?}");
        let model = ClusterModel::new(cfg);
        let coverage = model.properties().into_iter().filter(|p| p.expectation == Expectation::Sometimes);
        let missed: Vec<_> = coverage.map(|p| p.name).filter(|n| !found.contains(n)).collect();
        assert_eq!(missed, unreached, "coverage on {name}");
    }
}
