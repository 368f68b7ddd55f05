//! Random schedules over the protocol crate's `sim::Cluster`, driven through the adapter the
//! replay uses: after every step, every safety property of `highwater-properties` (the same
//! functions that judge the model) is evaluated on the implementation's view. proptest shrinks a
//! failure to a minimal schedule.

use highwater::adapter::{Budget, Implementation};
use highwater_model::preset;
use proptest::prelude::*;

/// 128 cases from a fixed seed, so that a run's verdict on a tree is the same every time;
/// `PROPTEST_CASES` and `PROPTEST_RNG_SEED` override either (`PROPTEST_RNG_SEED=random` explores
/// other schedules).
fn config() -> proptest::test_runner::Config {
    use proptest::test_runner::{Config, RngSeed};
    let from_env = Config::default();
    let cases = if std::env::var_os("PROPTEST_CASES").is_some() { from_env.cases } else { 128 };
    let rng_seed = match std::env::var("PROPTEST_RNG_SEED").as_deref() {
        Ok("random") => RngSeed::Random,
        Ok(_) => from_env.rng_seed,
        Err(_) => RngSeed::Fixed(0x4849_4748_5741_5445),
    };
    Config { cases, rng_seed, failure_persistence: None, ..from_env }
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn every_safety_property_holds_after_every_step(choices in prop::collection::vec(any::<u16>(), 1..80)) {
        for name in ["smoke", "default"] {
            let cfg = preset(name).unwrap().config();
            let budget = Budget { records: cfg.records };
            let mut implementation = Implementation::new(&cfg);
            let mut taken = Vec::new();
            for choice in &choices {
                let enabled = implementation.enabled_actions(&budget);
                if enabled.is_empty() {
                    break;
                }
                let action = enabled[*choice as usize % enabled.len()].clone();
                taken.push(action.to_string());
                prop_assert!(implementation.step(&action).is_ok(), "{name}: refused {action} after {taken:?}");
                let violated = highwater_properties::violated_safety(&implementation.view());
                prop_assert!(violated.is_empty(), "{name}: {violated:?} after {taken:?}");
            }
        }
    }
}

/// The same schedules catch a real bug: with `follower-serves-leo` (a follower hands consumers
/// records above its HW) some schedule breaks `no-read-above-hw`.
#[test]
fn random_schedules_catch_a_follower_serving_above_its_hw() {
    use highwater_protocol::{Bug, Bugs};
    let cfg = preset("default").unwrap().config();
    let budget = Budget { records: cfg.records };
    let mut rng = 0x2545_f491_4f6c_dd1d_u64;
    let found = (0..2_000).any(|_| {
        let mut implementation = Implementation::with_bugs(&cfg, Bugs::only(Bug::FollowerServesLeo));
        (0..80).any(|_| {
            let enabled = implementation.enabled_actions(&budget);
            if enabled.is_empty() {
                return false;
            }
            rng ^= rng << 13;
            rng ^= rng >> 7;
            rng ^= rng << 17;
            let action = enabled[(rng % enabled.len() as u64) as usize].clone();
            implementation.step(&action).is_ok()
                && highwater_properties::violated_safety(&implementation.view()).contains(&"no-read-above-hw")
        })
    });
    assert!(found, "no schedule exposed the seeded bug");
}

/// A schedule these random schedules once found: broker 3 holds a consumer fetch whose request
/// timed out, and answers it FENCED_LEADER_EPOCH once it learns the new leader epoch, after the
/// consumer has chosen broker 3 again. The timeout closes the connection, as Kafka's
/// `NetworkClient` does, so that answer is never sent and the consumer never keeps a preferred
/// read replica that refused it (`preferred-replica-dropped-on-error`).
#[test]
fn a_fetch_that_timed_out_is_never_answered() {
    let schedule = [
        "crash broker-3",
        "produce 1",
        "restart broker-3",
        "deliver controller -> broker-2",
        "deliver controller -> broker-1",
        "deliver controller -> broker-3",
        "deliver controller -> broker-1",
        "deliver controller -> broker-2",
        "cut rack a",
        "heal rack a",
        "timer consumer-fetch at consumer-0",
        "timer consumer-fetch at consumer-0",
        "deliver controller -> broker-3",
    ];
    let cfg = preset("default").unwrap().config();
    let budget = Budget { records: cfg.records };
    let mut implementation = Implementation::new(&cfg);
    for step in schedule {
        let enabled = implementation.enabled_actions(&budget);
        let action = enabled.iter().find(|a| a.to_string() == step);
        let action = action.unwrap_or_else(|| panic!("`{step}` is not enabled; enabled: {enabled:?}")).clone();
        assert!(implementation.step(&action).is_ok(), "refused {action}");
        let violated = highwater_properties::violated_safety(&implementation.view());
        assert!(violated.is_empty(), "{violated:?} after {step}");
    }
}
