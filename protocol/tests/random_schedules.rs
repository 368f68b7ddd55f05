//! Random schedules on `sim::Cluster`: no step panics, and the safety facts in
//! `common::invariants` (leader HW never backwards within an epoch, consumed records committed
//! and kept by every ISR member, consumer prefix, epoch caches increasing...) hold after every
//! step. proptest shrinks a failure to a minimal schedule.

mod common;

use common::invariants::Invariants;
use highwater_protocol::sim::{Cluster, ClusterConfig, Outage};
use highwater_protocol::*;
use proptest::prelude::*;

/// One scheduling choice. Indices pick among what exists at that moment, modulo its count.
#[derive(Clone, Debug)]
enum Step {
    Deliver(usize),
    Drop(usize),
    FireTimer(usize),
    Produce(u64),
    Crash(usize),
    Restart(usize),
    CutRack(usize),
    HealRack(usize),
    Cut(usize),
    Heal(usize),
    ExpireSession(usize),
    Seek(SeekTo),
    RunUntilQuiet,
}

fn step_strategy() -> impl Strategy<Value = Step> {
    prop_oneof![
        20 => any::<usize>().prop_map(Step::Deliver),
        1 => any::<usize>().prop_map(Step::Drop),
        8 => any::<usize>().prop_map(Step::FireTimer),
        3 => (1u64..100).prop_map(Step::Produce),
        1 => any::<usize>().prop_map(Step::Crash),
        2 => any::<usize>().prop_map(Step::Restart),
        1 => any::<usize>().prop_map(Step::CutRack),
        2 => any::<usize>().prop_map(Step::HealRack),
        1 => any::<usize>().prop_map(Step::Cut),
        2 => any::<usize>().prop_map(Step::Heal),
        1 => any::<usize>().prop_map(Step::ExpireSession),
        1 => prop_oneof![Just(SeekTo::Beginning), Just(SeekTo::End), (0i64..4).prop_map(SeekTo::Offset)].prop_map(Step::Seek),
        3 => Just(Step::RunUntilQuiet),
    ]
}

fn config_strategy() -> impl Strategy<Value = ClusterConfig> {
    (any::<bool>(), any::<bool>(), any::<bool>()).prop_map(|(strict, rack_aware, three_racks)| {
        let racks: &[&str] = if three_racks { &["a", "b", "c"] } else { &["a", "b", "b"] };
        let semantics = if strict { FetchSemantics::KipStrict } else { FetchSemantics::Apache };
        let selector = if rack_aware { SelectorKind::RackAware } else { SelectorKind::Leader };
        ClusterConfig::with_racks(racks)
            .semantics(semantics)
            .selector(selector)
            .consumer(Some("b"))
            .consumer(None)
            // Short timeouts so that lag, leases and retries all happen within a short schedule.
            .map_brokers(|b| {
                b.replica_lag_time_max_ms = 2_000;
                b.request_timeout_ms = 1_000;
            })
            .map_consumers(|c| {
                c.metadata_max_age_ms = 3_000;
                c.request_timeout_ms = 1_000;
            })
    })
}

/// Every outage between the racks: each isolated, each link both ways, each link one way.
fn outages(racks: &[Rack]) -> Vec<Outage> {
    let mut all: Vec<Outage> = racks.iter().map(|r| Outage::Rack(r.clone())).collect();
    for (i, a) in racks.iter().enumerate() {
        for b in &racks[i + 1..] {
            all.push(Outage::Link(a.clone(), b.clone()));
            all.push(Outage::OneWay(a.clone(), b.clone()));
            all.push(Outage::OneWay(b.clone(), a.clone()));
        }
    }
    all
}

fn pick<T: Copy>(items: &[T], index: usize) -> Option<T> {
    (!items.is_empty()).then(|| items[index % items.len()])
}

fn apply(cluster: &mut Cluster, step: &Step) {
    let links: Vec<_> = cluster.network().busy_links().collect();
    let timers: Vec<_> = cluster.timers().map(|(n, t, _)| (n, t)).collect();
    let brokers = cluster.broker_ids();
    let racks = cluster.racks();
    let cut = cluster.cut_racks();
    let outages = outages(&racks);
    let on = cluster.outages();
    let sessions: Vec<BrokerId> = cluster.pending_sessions().map(|(broker, _)| broker).collect();
    // Steps that do not apply right now (no message, broker already up...) are skipped: the
    // schedule stays valid under shrinking.
    let _ = match step {
        Step::Deliver(i) => pick(&links, *i).map(|(f, t)| cluster.deliver(f, t).map(drop)),
        Step::Drop(i) => pick(&links, *i).map(|(f, t)| cluster.drop_message(f, t).map(drop)),
        Step::FireTimer(i) => pick(&timers, *i).map(|(n, t)| cluster.fire_timer(n, t).map(drop)),
        Step::Produce(v) => {
            cluster.produce(*v);
            None
        }
        Step::Crash(i) => pick(&brokers, *i).map(|b| cluster.crash(b).map(drop)),
        Step::Restart(i) => pick(&brokers, *i).map(|b| cluster.restart(b).map(drop)),
        Step::CutRack(i) => (!racks.is_empty()).then(|| cluster.cut_rack(&racks[i % racks.len()]).map(drop)),
        Step::HealRack(i) => (!cut.is_empty()).then(|| cluster.heal_rack(&cut[i % cut.len()]).map(drop)),
        Step::Cut(i) => (!outages.is_empty()).then(|| cluster.cut(outages[i % outages.len()].clone()).map(drop)),
        Step::Heal(i) => (!on.is_empty()).then(|| cluster.heal(&on[i % on.len()]).map(drop)),
        Step::ExpireSession(i) => pick(&sessions, *i).map(|b| cluster.expire_session(b).map(drop)),
        Step::Seek(to) => Some(cluster.seek(0, *to).map(drop)),
        Step::RunUntilQuiet => {
            cluster.run_until_quiet(200);
            None
        }
    };
}

proptest! {
    #![proptest_config(common::proptest_config(256))]

    #[test]
    fn random_schedules_keep_every_safety_invariant(
        config in config_strategy(),
        steps in prop::collection::vec(step_strategy(), 1..250),
    ) {
        let mut cluster = Cluster::new(config);
        let mut invariants = Invariants::default();
        for (i, step) in steps.iter().enumerate() {
            apply(&mut cluster, step);
            if let Err(broken) = invariants.check(&cluster.state()) {
                prop_assert!(false, "after step {i} ({step:?}): {broken}");
            }
        }
    }

    /// After any schedule, healing everything and running fairly makes every acknowledged record
    /// at or after a consumer's last explicit reset visible to it (bounded liveness on the
    /// implementation: a seek to the end legitimately skips what came before).
    #[test]
    fn acknowledged_records_become_visible_once_faults_stop(
        config in config_strategy(),
        steps in prop::collection::vec(step_strategy(), 1..150),
    ) {
        let mut cluster = Cluster::new(config);
        for step in &steps {
            apply(&mut cluster, step);
        }
        for rack in cluster.cut_racks() {
            cluster.heal_rack(&rack).unwrap();
        }
        for outage in cluster.outages() {
            cluster.heal(&outage).unwrap();
        }
        let sessions: Vec<BrokerId> = cluster.pending_sessions().map(|(broker, _)| broker).collect();
        for broker in sessions {
            cluster.expire_session(broker).unwrap();
        }
        for broker in cluster.broker_ids() {
            let _ = cluster.restart(broker);
        }
        let drive = cluster.run_for(600_000, 200_000);
        prop_assert!(drive.settled, "the fair schedule did not settle: {drive:?}");
        let acknowledged = cluster.producer().acknowledged().to_vec();
        for id in 0..2 {
            let consumer = cluster.consumer(id).unwrap();
            if consumer.phase() == ConsumerPhase::Failed {
                continue;
            }
            let from = consumer.resets().last().map_or(0, |r| r.to);
            let delivered: Vec<(u64, Offset)> = consumer.delivered().iter().map(|r| (r.value, r.offset)).collect();
            for record in acknowledged.iter().filter(|(_, offset)| *offset >= from) {
                prop_assert!(
                    delivered.contains(record),
                    "consumer {id} (reset to {from}) never received acknowledged {record:?}; got {delivered:?}"
                );
            }
        }
    }
}
