//! Outages between racks on `sim::Cluster`, with every safety invariant checked after every
//! step: a rack isolated with its clients, a link cut both ways, a link cut one way. Leader in
//! rack a, followers in b, a consumer in b.

use crate::common::invariants::Invariants;
use highwater_protocol::sim::{Cluster, ClusterConfig, Outage, StepOutputs};
use highwater_protocol::*;

struct Checked {
    cluster: Cluster,
    invariants: Invariants,
}

impl Checked {
    fn new() -> Self {
        let config = ClusterConfig::with_racks(&["a", "b", "b"]).selector(SelectorKind::RackAware).consumer(Some("b"));
        let mut checked = Checked { cluster: Cluster::new(config), invariants: Invariants::default() };
        checked.run(1_000);
        checked
    }

    fn check(&mut self) {
        if let Err(broken) = self.invariants.check(&self.cluster.state()) {
            panic!("at t={}: {broken}", self.cluster.now());
        }
    }

    fn record(&mut self, _outputs: StepOutputs) {
        self.check();
    }

    fn run(&mut self, ms: Millis) {
        let end = self.cluster.now() + ms;
        while let Some(outputs) = self.cluster.step(end) {
            self.record(outputs);
        }
        self.cluster.run_for(end.saturating_sub(self.cluster.now()), 1);
    }

    fn produce(&mut self, value: u64) {
        let outputs = self.cluster.produce(value);
        self.record(outputs);
    }

    fn values(&self) -> Vec<u64> {
        self.cluster.consumer(0).unwrap().delivered().iter().map(|r| r.value).collect()
    }
}

fn rack(name: &str) -> Rack {
    name.to_string()
}

/// The leader's rack goes dark, clients and all: the controller stops hearing the leader,
/// fences it when its session expires and elects a follower in rack b, where the consumer goes
/// on reading and the producer goes on writing.
#[test]
fn the_leaders_rack_isolated_moves_leadership_and_the_consumer_reads_on() {
    let mut sim = Checked::new();
    sim.produce(1);
    sim.run(10_000);
    assert_eq!(sim.values(), vec![1]);
    let outputs = sim.cluster.cut(Outage::Rack(rack("a"))).unwrap();
    sim.record(outputs);
    sim.run(20_000);
    let leader = sim.cluster.controller().leader();
    assert!(matches!(leader, Some(2 | 3)), "a follower in rack b leads: {leader:?}");
    assert_eq!(sim.cluster.controller().fenced(), vec![1]);
    sim.produce(2);
    sim.run(20_000);
    assert_eq!(sim.values(), vec![1, 2], "the consumer in rack b reads what is written during the outage");
    let outputs = sim.cluster.heal(&Outage::Rack(rack("a"))).unwrap();
    sim.record(outputs);
    sim.run(60_000);
    assert_eq!(sim.cluster.controller().isr(), vec![1, 2, 3], "broker 1 rejoins as a follower");
}

/// The link between racks a and b is cut both ways: the controller still hears every broker, so
/// nothing is fenced; the followers stop fetching and leave the ISR after
/// `replica.lag.time.max.ms`, and come back once the link heals.
#[test]
fn a_cut_link_shrinks_the_isr_without_an_election() {
    let mut sim = Checked::new();
    let epoch = sim.cluster.controller().leader_epoch();
    let outputs = sim.cluster.cut(Outage::Link(rack("a"), rack("b"))).unwrap();
    sim.record(outputs);
    sim.produce(1);
    sim.run(60_000);
    assert_eq!(sim.cluster.controller().leader_epoch(), epoch, "no election");
    assert!(sim.cluster.controller().fenced().is_empty());
    assert_eq!(sim.cluster.controller().isr(), vec![1], "the followers fell out of the ISR");
    assert_eq!(sim.cluster.producer().acknowledged().len(), 1, "writes go on with min.insync.replicas=1");
    let outputs = sim.cluster.heal(&Outage::Link(rack("a"), rack("b"))).unwrap();
    sim.record(outputs);
    sim.run(60_000);
    assert_eq!(sim.cluster.controller().isr(), vec![1, 2, 3]);
    // The produce waited for the ISR to shrink past `request.timeout.ms` and was sent again:
    // without idempotence the record is written twice, and read twice.
    let values = sim.values();
    assert!(
        !values.is_empty() && values.iter().all(|v| *v == 1),
        "the consumer reads it once the link is back: {values:?}"
    );
}

/// Messages from rack a to rack b are lost, the other way works: the followers' fetches reach
/// the leader but its answers never come back, so they cannot catch up and leave the ISR.
#[test]
fn a_one_way_cut_lets_requests_through_and_loses_their_answers() {
    let mut sim = Checked::new();
    let outputs = sim.cluster.cut(Outage::OneWay(rack("a"), rack("b"))).unwrap();
    sim.record(outputs);
    sim.produce(1);
    sim.run(60_000);
    assert!(sim.cluster.broker(1).unwrap().log_end_offset() >= 1);
    for follower in [2, 3] {
        assert_eq!(sim.cluster.broker(follower).unwrap().log_end_offset(), 0, "broker {follower} got nothing");
    }
    assert_eq!(sim.cluster.controller().isr(), vec![1]);
    assert!(sim.cluster.controller().fenced().is_empty(), "heartbeats go through the controller's own link");
    assert!(sim.cluster.cut(Outage::OneWay(rack("a"), rack("b"))).is_err(), "already on");
    let outputs = sim.cluster.heal(&Outage::OneWay(rack("a"), rack("b"))).unwrap();
    sim.record(outputs);
    assert!(sim.cluster.heal(&Outage::OneWay(rack("a"), rack("b"))).is_err(), "already healed");
    sim.run(60_000);
    assert_eq!(sim.cluster.controller().isr(), vec![1, 2, 3]);
}
