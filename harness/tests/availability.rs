//! `highwater availability`: each availability claim caught failing on a variant built for it,
//! the timed figures against hand-computed expectations, the report's determinism and its
//! errors.

use std::process::{Command, Output};
use std::sync::OnceLock;

use highwater::ops::availability::judge::{judge, ClaimStatus, Judgement};
use highwater::ops::availability::scenario::{matrix, Scenario};
use highwater::ops::availability::timed::{run, Timings};
use highwater::ops::availability::{self, Options, Row};
use highwater_model::{ClusterModel, ModelBug, ModelConfig, Selector, Semantics};
use highwater_protocol::sim::Cluster;
use highwater_protocol::Bug;
use highwater_traces::{Action, Outage, OutageShape};

const BOUND: usize = 400;

fn scenario(name: &str) -> Scenario {
    matrix().into_iter().find(|s| s.name() == name).unwrap_or_else(|| panic!("no scenario {name}"))
}

fn judged(scenario: &Scenario, cfg: ModelConfig) -> Judgement {
    let judgement = judge(&ClusterModel::new(cfg), |a| scenario.fault.allows(a), BOUND, 2_000_000);
    assert!(judgement.complete, "{}: the search was cut short", scenario.name());
    judgement
}

fn config(scenario: &Scenario, selector: Selector, bug: Option<ModelBug>) -> ModelConfig {
    let mut cfg = scenario.model_config(selector, Semantics::Apache);
    cfg.bugs.extend(bug);
    cfg
}

/// The whole `apache` matrix, run once on 2 threads for every test that reads it: a scenario's
/// judgement as Kafka builds it is one of its rows.
fn apache_matrix() -> &'static [Row] {
    static ROWS: OnceLock<Vec<Row>> = OnceLock::new();
    ROWS.get_or_init(|| availability::run(&options(None), 2, |_| {}).unwrap())
}

/// The model's judgement of `name` with `selector`, as the `apache` matrix reached it.
fn in_matrix(name: &str, selector: Selector) -> &'static Judgement {
    let row = apache_matrix().iter().find(|r| r.scenario == name).unwrap_or_else(|| panic!("no row {name}"));
    let judgement = match selector {
        Selector::RackAware => &row.rack_aware.model,
        Selector::Leader => &row.leader_only.model,
    };
    assert!(judgement.complete, "{name}: the search was cut short");
    judgement
}

#[test]
fn the_reads_claims_and_the_impaired_witness_catch_a_leader_that_redirects_outside_the_isr() {
    let s = scenario("beside-follower/brokers-b");
    let correct = in_matrix("beside-follower/brokers-b", Selector::RackAware);
    assert_eq!(correct.status("reads-from-reachable-leader"), ClaimStatus::Holds);
    assert_eq!(correct.status("consumer-stalled-beside-leader"), ClaimStatus::NotWitnessed);
    // The leader keeps sending the consumer to its fenced, cut-off follower: it never reads.
    let variant = judged(&s, config(&s, Selector::RackAware, Some(ModelBug::PreferredReplicaOutsideIsr)));
    assert_eq!(variant.status("reads-from-reachable-leader"), ClaimStatus::Fails);
    assert_eq!(variant.status("consumer-stalled-beside-leader"), ClaimStatus::Witnessed);
    // The same variant breaks reads-from-reachable-isr-replica, which Kafka keeps here: the
    // consumer reaches the leader, in the ISR, and reads nothing from it.
    assert_eq!(correct.status("reads-from-reachable-isr-replica"), ClaimStatus::Holds);
    assert_eq!(variant.status("reads-from-reachable-isr-replica"), ClaimStatus::Fails);
    let trace = variant.verdicts.iter().find(|v| v.claim == "reads-from-reachable-leader").unwrap();
    assert!(trace.continuation_from.is_some() && trace.path.as_ref().is_some_and(|p| p.len() > BOUND));
}

#[test]
fn leaves_unreachable_replica_catches_a_consumer_that_waits_for_its_lease() {
    // The follower's brokers cut off, and the consumer's rack cut off from the controller, so
    // that no metadata tells the consumer the follower is offline: only its own failed fetch can.
    let s = scenario("beside-follower/brokers-b");
    let two_outages = |bug| {
        let mut cfg = config(&s, Selector::RackAware, bug);
        cfg.rack_outages = 2;
        cfg.outage_shapes = vec![OutageShape::Brokers, OutageShape::Rack];
        cfg
    };
    let allowed = |a: &Action| match a {
        Action::HealRack { .. } | Action::Heal { .. } => false,
        Action::CutRack { rack } => rack == "b",
        Action::Cut { outage } => *outage == Outage::Rack { rack: "b".into() },
        _ => true,
    };
    let verdict = |bug| judge(&ClusterModel::new(two_outages(bug)), allowed, BOUND, 2_000_000);
    assert_eq!(verdict(None).status("leaves-unreachable-replica"), ClaimStatus::Holds);
    assert_eq!(verdict(Some(ModelBug::LeaseOnlyRevert)).status("leaves-unreachable-replica"), ClaimStatus::Fails);
}

#[test]
fn reads_from_reachable_isr_replica_fails_where_kafka_learns_of_followers_only_from_the_leader() {
    assert_eq!(
        in_matrix("beside-follower/brokers-b", Selector::RackAware).status("reads-from-reachable-isr-replica"),
        ClaimStatus::Holds
    );
    // Cut off from the leader before its first redirect, the consumer never hears of the
    // in-sync follower in its own rack.
    for selector in [Selector::RackAware, Selector::Leader] {
        let judgement = in_matrix("beside-follower/link-a-b", selector);
        assert_eq!(judgement.status("reads-from-reachable-isr-replica"), ClaimStatus::Fails, "{selector:?}");
    }
}

/// The variant for the improved witness is leader-only fetching itself: the consumer cut off
/// from the leader with its follower is served by no one.
#[test]
fn the_improved_witness_comes_with_rack_aware_selection_only() {
    let rack_aware = in_matrix("beside-follower/link-a-b", Selector::RackAware);
    assert_eq!(rack_aware.status("follower-serves-cut-off-consumer"), ClaimStatus::Witnessed);
    let leader_only = in_matrix("beside-follower/link-a-b", Selector::Leader);
    assert_eq!(leader_only.status("follower-serves-cut-off-consumer"), ClaimStatus::NotWitnessed);
}

#[test]
fn a_fetch_to_a_cut_off_follower_stalls_the_consumer_for_the_request_timeout_and_the_backoff() {
    let s = scenario("beside-follower/brokers-b");
    let t = Timings::default();
    let rack_aware = run(s.cluster_config(Selector::RackAware, Semantics::Apache), &s.fault, &t).unwrap();
    // The fetch the consumer sends as it rewinds at the cut is lost silently: it times out after
    // request.timeout.ms, the consumer drops the follower and, after retry.backoff.ms, reads
    // from the leader, which has fenced the follower out of the ISR by then.
    assert_eq!(rack_aware.longest_on_unreachable_ms, t.request_timeout_ms, "{rack_aware:?}");
    let expected = t.request_timeout_ms + t.retry_backoff_ms;
    assert!(
        (expected..=expected + t.fetch_max_wait_ms).contains(&rack_aware.longest_stall_ms),
        "stall {} ms, expected {expected} ms within one fetch wait",
        rack_aware.longest_stall_ms
    );
    // Leader-only, the consumer waits only for the HW, which the cut-off follower holds until
    // its session expires and the controller fences it.
    let leader_only = run(s.cluster_config(Selector::Leader, Semantics::Apache), &s.fault, &t).unwrap();
    let expected = t.broker_session_timeout_ms;
    assert!(
        (expected..=expected + t.produce_interval_ms).contains(&leader_only.longest_stall_ms),
        "stall {} ms, expected {expected} ms within one produce interval",
        leader_only.longest_stall_ms
    );
}

#[test]
fn a_consumer_that_keeps_its_replica_until_the_lease_ends_stalls_for_the_lease_left() {
    let s = scenario("beside-follower/brokers-b");
    let mut t = Timings::default();
    // The follower is never fenced within the run, so only the consumer can leave it.
    t.set("broker.session.timeout.ms=3600000").unwrap();
    let cfg = || s.cluster_config(Selector::RackAware, Semantics::Apache).bug(Bug::LeaseOnlyRevert);
    // The lease left at the cut, read off the same cluster run up to it.
    let mut sim = Cluster::new(t.apply(cfg()));
    for second in 0..t.outage_start_ms / 1000 {
        sim.run_for(second * 1000 - sim.now(), usize::MAX);
        sim.produce(second + 1);
    }
    sim.run_for(t.outage_start_ms - sim.now(), usize::MAX);
    let lease = sim.consumer(0).and_then(|c| c.preferred_read_replica()).expect("on its follower at the cut");
    let lease_left = lease.expires_ms - t.outage_start_ms;
    let figures = run(cfg(), &s.fault, &t).unwrap();
    assert_eq!(figures.longest_on_unreachable_ms, lease_left, "{figures:?}");
    let expected = lease_left + t.retry_backoff_ms;
    assert!(
        (lease_left..=expected + t.fetch_max_wait_ms + t.produce_interval_ms).contains(&figures.longest_stall_ms),
        "stall {} ms, expected the lease left ({lease_left} ms) plus the backoff within one fetch interval",
        figures.longest_stall_ms
    );
    let correct = run(s.cluster_config(Selector::RackAware, Semantics::Apache), &s.fault, &t).unwrap();
    assert_eq!(correct.longest_on_unreachable_ms, t.request_timeout_ms);
}

#[test]
fn visibility_delays_follow_the_follower_fetch_wait_and_the_isr_check() {
    use highwater::ops::availability::curves::{delay, Situation};
    use highwater_protocol::SelectorKind;
    let mut t = Timings::default();
    for wait in [250, 1000] {
        t.set(&format!("replica.fetch.wait.max.ms={wait}")).unwrap();
        // The follower learns the HW on its parked fetch's deadline; the consumer's parked fetch
        // is answered as soon as the follower's HW passes the record.
        let d = delay(&t, SelectorKind::RackAware, Situation::SteadyState, 0).unwrap();
        assert!((1..=wait).contains(&d), "{wait}: {d}");
        assert_eq!(delay(&t, SelectorKind::Leader, Situation::SteadyState, 0), Some(0));
    }
    let t = Timings::default();
    // A stopped follower leaves the ISR at the first check (every replica.lag.time.max.ms / 2)
    // once it has lagged more than replica.lag.time.max.ms: never sooner than the lag, never
    // later than the lag and one check interval, then one follower fetch wait to the consumer.
    let lag = t.replica_lag_time_max_ms;
    for phase in [0, 7_000] {
        let d = delay(&t, SelectorKind::RackAware, Situation::FollowerStopped, phase).unwrap();
        assert!((lag..=lag + lag / 2 + t.replica_fetch_wait_max_ms).contains(&d), "phase {phase}: {d}");
    }
    // A fenced follower leaves the ISR by the controller's partition change: the session, then
    // the propagation, then the follower's fetch wait.
    let mut t = Timings::default();
    for propagation in [0, 5_000] {
        t.set(&format!("sim.isr.propagation.ms={propagation}")).unwrap();
        let d = delay(&t, SelectorKind::RackAware, Situation::FollowerFenced, 0).unwrap();
        let least = t.broker_session_timeout_ms + propagation;
        assert!((least..=least + t.replica_fetch_wait_max_ms).contains(&d), "{propagation}: {d}");
    }
}

fn options(only: Option<&str>) -> Options {
    Options {
        timings: Timings::default(),
        bound: BOUND,
        max_states: 2_000_000,
        semantics: vec![Semantics::Apache],
        only: only.map(str::to_string),
    }
}

/// The rows of one part of the matrix, run alone on one thread, against the same rows of the
/// whole matrix run on two: the reports are the same bytes, whatever else shared the threads and
/// in whatever order the sides finished.
#[test]
fn the_report_is_the_same_bytes_run_to_run_with_any_number_of_threads() {
    use highwater::cli::availability_report::{html, json, text, Report};
    let part = options(Some("beside-leader/"));
    let render = |rows: &[Row]| {
        let report =
            Report { rows, curves: None, timings: &part.timings, options: &part, elapsed_s: 0.0, stopped_by: None };
        (text(&report), json(&report), html(&report, None))
    };
    let alone = availability::run(&part, 1, |_| {}).unwrap();
    assert!(alone.len() >= 2, "rows in an order to keep: {}", alone.len());
    let within: Vec<Row> = apache_matrix().iter().filter(|r| r.scenario.contains("beside-leader/")).cloned().collect();
    let (first, second) = (render(&alone), render(&within));
    assert_eq!(first, second);
    // The whole matrix's sides finish far out of order on two threads (a side takes from a few
    // thousand states to over half a million): its rows still come in the matrix's order.
    let names: Vec<String> = apache_matrix().iter().map(|r| r.scenario.clone()).collect();
    assert_eq!(names, matrix().iter().map(Scenario::name).collect::<Vec<_>>());
    assert!(first.0.contains("beside-leader/link-a-b (apache)") && first.0.contains("Answer: "), "{}", first.0);
}

/// README's answer, pinned: the three kinds of verdict on the scenarios it names.
#[test]
fn the_verdicts_readme_gives_are_the_ones_the_matrix_reaches() {
    use highwater::ops::availability::verdict::Answer;
    let rows = apache_matrix();
    let answer = |name: &str| rows.iter().find(|r| r.scenario == name).map(|r| r.verdict.answer);
    assert_eq!(answer("beside-follower/brokers-b"), Some(Answer::Impaired));
    assert_eq!(answer("beside-two-followers/brokers-b"), Some(Answer::Impaired));
    for improved in ["rack-b", "link-a-b", "one-way-a-b", "one-way-b-a"] {
        assert_eq!(answer(&format!("beside-follower/{improved}")), Some(Answer::Improved), "{improved}");
    }
    // Improved by the model alone: an ISR shrunk to the leader before its rack is cut off leaves
    // the follower serving the consumer; the timed runs read the same with both selectors.
    for by_the_model in ["brokers-a", "rack-a"] {
        let row = rows.iter().find(|r| r.scenario == format!("beside-follower/{by_the_model}")).unwrap();
        assert_eq!(row.verdict.answer, Answer::Improved, "{by_the_model}");
        assert_eq!(row.rack_aware.timed.read_during_outage, row.leader_only.timed.read_during_outage);
    }
    assert!(rows.iter().filter(|r| r.scenario.starts_with("beside-leader/")).all(|r| r.verdict.answer == Answer::Same));
    // No run reads more records produced during the outage with rack-aware selection.
    for r in rows {
        let new =
            |t: &highwater::ops::availability::timed::Figures| t.read_during_outage - t.history_read_during_outage;
        assert!(new(&r.rack_aware.timed) <= new(&r.leader_only.timed), "{}", r.scenario);
    }
}

fn highwater(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_highwater")).args(args).output().expect("the binary runs")
}

#[test]
fn bad_flags_are_usage_errors_that_name_what_was_expected() {
    for (args, expected) in [
        (vec!["--config", "linger.ms=5"], "`linger.ms` is not a timing"),
        (vec!["--config", "request.timeout.ms=soon"], "expected a whole number of milliseconds"),
        (vec!["--config", "request.timeout.ms"], "expected key=value"),
        (vec!["--scenario", "no-such-scenario"], "no scenario's name contains `no-such-scenario`"),
        (vec!["--bound", "0"], "0 would run nothing"),
        (vec!["--max-states", "0"], "0 would run nothing"),
        (vec!["--config", "sim.produce.interval.ms=0"], "1 to 86400000"),
        (vec!["--config", "metadata.max.age.ms=99999999999"], "1 to 86400000"),
    ] {
        let mut all = vec!["availability", "--no-curves"];
        all.extend(args.iter().copied());
        let out = highwater(&all);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{all:?}: {stderr}");
        assert!(stderr.contains(expected), "{all:?}: {stderr}");
        assert!(!stderr.contains("panicked"), "{stderr}");
    }
}

#[test]
fn out_writes_the_reports_and_a_viewer_per_scenario_with_traces() {
    let dir = std::env::temp_dir().join(format!("highwater-availability-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let out = highwater(&[
        "availability",
        "--no-curves",
        "--semantics",
        "apache",
        "--scenario",
        "beside-follower/link-a-b",
        "--out",
        dir.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    for file in
        ["availability.txt", "availability.json", "availability.html", "traces/beside-follower-link-a-b-apache.html"]
    {
        assert!(dir.join(file).is_file(), "{file} missing");
    }
    let trace = dir.join("traces/beside-follower-link-a-b-apache-rack-aware-follower-serves-cut-off-consumer.json");
    let shown = highwater(&["trace", "show", trace.to_str().unwrap()]);
    assert_eq!(shown.status.code(), Some(0), "{}", String::from_utf8_lossy(&shown.stderr));
    let html = std::fs::read_to_string(dir.join("availability.html")).unwrap();
    assert!(html.contains("href=\"traces/beside-follower-link-a-b-apache.html\""), "the page links the viewer");
    let _ = std::fs::remove_dir_all(&dir);
}
