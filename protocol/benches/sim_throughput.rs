//! `cargo bench -p highwater-protocol`: how fast `sim::Cluster` drives the real nodes.
//!
//! Prints steps per second for a fair schedule with produces, a crash and a rack cut, and the
//! time to build a cluster and apply a fixed 30-step schedule (what replaying a 30-step trace
//! costs on the implementation side). Wall-clock figures: run on an idle machine.
#![allow(clippy::disallowed_methods)] // a benchmark reads the clock; the protocol never does

use std::hint::black_box;
use std::time::Instant;

use highwater_protocol::sim::{Cluster, ClusterConfig};
use highwater_protocol::SelectorKind;

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

/// One explicit step: the first message in flight delivered or, when none is, the earliest timer
/// fired.
fn next_step(cluster: &mut Cluster) {
    let link = cluster.network().busy_links().next();
    let timer = cluster.timers().min_by_key(|(n, t, d)| (*d, *n, *t)).map(|(n, t, _)| (n, t));
    match (link, timer) {
        (Some((from, to)), _) => drop(cluster.deliver(from, to).expect("a message is in flight")),
        (None, Some((node, timer))) => drop(cluster.fire_timer(node, timer).expect("the timer is set")),
        (None, None) => {}
    }
}

/// 30 explicit steps, as a replayed trace gives them: 27 deliveries or timers around a produce,
/// a crash and a restart.
fn thirty_steps() -> Cluster {
    let mut cluster = Cluster::new(config());
    for _ in 0..10 {
        next_step(&mut cluster);
    }
    cluster.produce(7);
    for _ in 0..10 {
        next_step(&mut cluster);
    }
    cluster.crash(1).expect("crash");
    for _ in 0..4 {
        next_step(&mut cluster);
    }
    cluster.expire_session(1).expect("its heartbeats stopped");
    cluster.restart(1).expect("restart");
    for _ in 0..3 {
        next_step(&mut cluster);
    }
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
