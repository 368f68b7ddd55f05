//! Any schedule of steps on `sim::Cluster`: deliveries and losses on any link, timers fired,
//! time passing, crashes and restarts, every outage shape cut and healed, sessions expiring,
//! produces and seeks, over any rack layout, selector, semantics and seeded bugs. A step the
//! cluster cannot take is refused with an error; none panics, and each step ends.

#![no_main]

use arbitrary::Arbitrary;
use highwater_protocol::sim::{Cluster, ClusterConfig, Outage};
use highwater_protocol::{Bug, Bugs, FetchSemantics, NodeId, SeekTo, SelectorKind, TimerKind};
use libfuzzer_sys::fuzz_target;

const RACKS: [&str; 3] = ["a", "b", "c"];

#[derive(Debug, Arbitrary)]
struct Case {
    racks: Vec<u8>,
    consumers: Vec<Option<u8>>,
    rack_aware: bool,
    kip_strict: bool,
    bugs: u32,
    steps: Vec<Step>,
}

#[derive(Debug, Arbitrary)]
enum Step {
    Deliver(NodeId, NodeId),
    Drop(NodeId, NodeId),
    Fire(NodeId, TimerKind),
    PassTime(u16),
    Next,
    RunFor(u16),
    Crash(i32),
    Restart(i32),
    CutBrokers(u8),
    HealBrokers(u8),
    Cut(Shape, u8, u8),
    Heal(Shape, u8, u8),
    ExpireSession(i32),
    Produce(u64),
    Seek(u32, SeekTo),
}

#[derive(Debug, Arbitrary)]
enum Shape {
    Rack,
    Link,
    OneWay,
}

fn rack(i: u8) -> &'static str {
    RACKS[usize::from(i) % RACKS.len()]
}

fn outage(shape: &Shape, a: u8, b: u8) -> Outage {
    match shape {
        Shape::Rack => Outage::Rack(rack(a).into()),
        Shape::Link => Outage::Link(rack(a).into(), rack(b).into()),
        Shape::OneWay => Outage::OneWay(rack(a).into(), rack(b).into()),
    }
}

fuzz_target!(|case: Case| {
    // One to four brokers and up to three consumers keep every run small enough to end quickly.
    let racks: Vec<&str> = case.racks.iter().take(4).map(|r| rack(*r)).collect();
    if racks.is_empty() {
        return;
    }
    let bugs: Bugs = Bug::ALL.iter().enumerate().filter(|(i, _)| case.bugs & (1 << i) != 0).map(|(_, b)| *b).collect();
    let mut config = ClusterConfig::with_racks(&racks)
        .selector(if case.rack_aware { SelectorKind::RackAware } else { SelectorKind::Leader })
        .semantics(if case.kip_strict { FetchSemantics::KipStrict } else { FetchSemantics::Apache })
        .bugs(bugs);
    for client_rack in case.consumers.iter().take(3) {
        config = config.consumer(client_rack.map(rack));
    }
    let mut cluster = Cluster::new(config);
    for step in case.steps.iter().take(400) {
        let _ = match step {
            Step::Deliver(from, to) => cluster.deliver(*from, *to).map(drop),
            Step::Drop(from, to) => cluster.drop_message(*from, *to).map(drop),
            Step::Fire(node, timer) => cluster.fire_timer(*node, *timer).map(drop),
            Step::PassTime(ms) => {
                cluster.pass_time(u64::from(*ms));
                Ok(())
            }
            Step::Next => {
                let until = cluster.now() + 1_000;
                cluster.step(until);
                Ok(())
            }
            Step::RunFor(ms) => {
                cluster.run_for(u64::from(*ms), 2_000);
                Ok(())
            }
            Step::Crash(b) => cluster.crash(*b).map(drop),
            Step::Restart(b) => cluster.restart(*b).map(drop),
            Step::CutBrokers(r) => cluster.cut_rack(rack(*r)).map(drop),
            Step::HealBrokers(r) => cluster.heal_rack(rack(*r)).map(drop),
            Step::Cut(shape, a, b) => cluster.cut(outage(shape, *a, *b)).map(drop),
            Step::Heal(shape, a, b) => cluster.heal(&outage(shape, *a, *b)).map(drop),
            Step::ExpireSession(b) => cluster.expire_session(*b).map(drop),
            Step::Produce(value) => {
                cluster.produce(*value);
                Ok(())
            }
            Step::Seek(consumer, to) => cluster.seek(*consumer, *to).map(drop),
        };
    }
    let _ = cluster.state();
});
