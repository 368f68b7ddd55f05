//! Every node's `handle` on any sequence of inputs: messages with any fields from any sender,
//! timers, commands and controller notices, delivered to every node of a cluster some way into a
//! run (a leader elected, records produced, a consumer fetching), with and without every seeded
//! bug. A node may ignore an input; it may not panic.

#![no_main]

use std::sync::OnceLock;

use arbitrary::Arbitrary;
use highwater_protocol::sim::{Cluster, ClusterConfig};
use highwater_protocol::{Bug, Bugs, Input, Millis, SelectorKind};
use libfuzzer_sys::fuzz_target;

#[derive(Debug, Arbitrary)]
struct Case {
    with_bugs: bool,
    inputs: Vec<(Target, u8, Input)>,
}

/// Which node takes the input.
#[derive(Debug, Arbitrary)]
enum Target {
    Controller,
    Broker(u8),
    Consumer,
    Producer,
}

fn running(bugs: Bugs) -> Cluster {
    let config =
        ClusterConfig::with_racks(&["a", "b", "b"]).selector(SelectorKind::RackAware).consumer(Some("b")).bugs(bugs);
    let mut cluster = Cluster::new(config);
    cluster.run_until_quiet(1_000);
    cluster.produce(1);
    cluster.produce(2);
    cluster.run_for(2_000, 10_000);
    cluster
}

fn cluster(with_bugs: bool) -> &'static Cluster {
    static CORRECT: OnceLock<Cluster> = OnceLock::new();
    static BUGGY: OnceLock<Cluster> = OnceLock::new();
    match with_bugs {
        false => CORRECT.get_or_init(|| running(Bugs::NONE)),
        true => BUGGY.get_or_init(|| running(Bug::ALL.iter().copied().collect())),
    }
}

fuzz_target!(|case: Case| {
    let cluster = cluster(case.with_bugs);
    let mut controller = cluster.controller().clone();
    let mut brokers: Vec<_> = cluster.broker_ids().iter().filter_map(|b| cluster.broker(*b).cloned()).collect();
    let mut consumer = cluster.consumer(0).expect("one consumer").clone();
    let mut producer = cluster.producer().clone();
    let mut now: Millis = cluster.now();
    for (target, elapsed, input) in case.inputs {
        now += Millis::from(elapsed);
        let _ = match target {
            Target::Controller => controller.handle(now, input),
            Target::Broker(i) => {
                let index = usize::from(i) % brokers.len();
                brokers[index].handle(now, input)
            }
            Target::Consumer => consumer.handle(now, input),
            Target::Producer => producer.handle(now, input),
        };
    }
});
