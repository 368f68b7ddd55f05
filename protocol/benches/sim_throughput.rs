//! `cargo bench -p highwater-protocol`: how fast `sim::Cluster` drives the real nodes.
//!
//! Prints steps per second for a fair schedule with produces, a crash and a rack cut, and the
//! time to build a cluster and apply a fixed 30-step schedule (what replaying a 30-step trace
//! costs on the implementation side). Wall-clock figures: run on an idle machine.
#![allow(clippy::disallowed_methods)] // a benchmark reads the clock; the protocol never does

use std::hint::black_box;
use std::time::Instant;

use highwater_protocol::sim::{Cluster, ClusterConfig};
use highwater_protocol::{NodeId, SelectorKind, TimerKind};

fn config() -> ClusterConfig {
    ClusterConfig::with_racks(&["a", "b", "b"]).selector(SelectorKind::RackAware).consumer(Some("b")).consumer(None)
}

/// A fair run: 50 records, a leader crash and restart, a rack cut and heal.
fn fair_run() -> usize {
    let mut cluster = Cluster::new(config());
    let mut steps = cluster.run_for(1_000, 100_000).steps;
    for value in 0..50 {
        cluster.produce(value);
        steps += cluster.run_for(1_000, 100_000).steps;
        match value {
            10 => drop(cluster.crash(1)),
            20 => drop(cluster.restart(1)),
            30 => drop(cluster.cut_rack("b")),
            40 => drop(cluster.heal_rack("b")),
            _ => {}
        }
    }
    steps + cluster.run_for(60_000, 100_000).steps
}

/// 30 explicit steps (16 deliveries and a produce, two follower fetch rounds of a timer and
/// four deliveries, an ack, a crash, a restart and its notice), as a replayed trace gives them.
fn thirty_steps() -> Cluster {
    let mut cluster = Cluster::new(config());
    let b = NodeId::Broker;
    let schedule: [(NodeId, NodeId); 14] = [
        (NodeId::Producer, NodeId::Controller),
        (NodeId::Controller, NodeId::Producer),
        (NodeId::Controller, b(1)),
        (NodeId::Controller, b(2)),
        (NodeId::Controller, b(3)),
        (b(2), b(1)),
        (b(3), b(1)),
        (b(1), b(2)),
        (b(1), b(3)),
        (NodeId::Consumer(0), NodeId::Controller),
        (NodeId::Controller, NodeId::Consumer(0)),
        (NodeId::Consumer(0), b(1)),
        (b(1), NodeId::Consumer(0)),
        (NodeId::Consumer(0), b(2)),
    ];
    for (from, to) in schedule {
        cluster.deliver(from, to).expect("scripted delivery");
    }
    cluster.produce(7);
    cluster.deliver(NodeId::Producer, b(1)).expect("produce");
    for broker in [2, 3] {
        cluster.fire_timer(b(broker), TimerKind::ReplicaFetch).expect("timer");
        cluster.deliver(b(broker), b(1)).expect("fetch");
        cluster.deliver(b(1), b(broker)).expect("answer");
        cluster.deliver(b(broker), b(1)).expect("next fetch");
        cluster.deliver(b(1), b(broker)).expect("answer");
    }
    cluster.deliver(b(1), NodeId::Producer).expect("ack");
    cluster.crash(1).expect("crash");
    cluster.restart(1).expect("restart");
    cluster.deliver(NodeId::Controller, b(1)).expect("notice to the restarted broker");
    cluster
}

fn main() {
    let runs = 20;
    let start = Instant::now();
    let mut steps = 0;
    for _ in 0..runs {
        steps += black_box(fair_run());
    }
    let elapsed = start.elapsed().as_secs_f64();
    println!(
        "fair schedule: {steps} steps in {elapsed:.3} s = {:.0} steps/s ({:.2} us/step)",
        steps as f64 / elapsed,
        elapsed * 1e6 / steps as f64
    );

    let iterations = 2_000;
    let mut samples: Vec<f64> = (0..iterations)
        .map(|_| {
            let start = Instant::now();
            black_box(thirty_steps());
            start.elapsed().as_secs_f64() * 1e6
        })
        .collect();
    samples.sort_by(f64::total_cmp);
    println!(
        "30-step explicit schedule (cluster built from scratch): median {:.1} us, p99 {:.1} us over {iterations} runs",
        samples[iterations / 2],
        samples[iterations * 99 / 100]
    );
}
