//! How long a produced record takes to become visible to a consumer fetching from a follower,
//! as Kafka's settings vary: Eno's first scenario (produce with acks=all, then consume from a
//! same-rack follower) at steady state, and Jun's fourth point (a follower that stops fetching
//! holds the high watermark until it leaves the ISR; a fenced one until the ISR change reaches
//! the leader).
//!
//! Each run is of `sim::Cluster`: three brokers in racks a, b and c, the consumer in rack b;
//! once the cluster has settled one record is produced, and the time until the consumer reads
//! it is the run's delay. A point is the mean of runs that produce the record at moments spread
//! over the cycle that governs the delay, so that no curve is the artefact of one phase. Each
//! curve has a second line for leader-only fetching, the baseline.

use highwater_protocol::sim::{Cluster, ClusterConfig, Outage};
use highwater_protocol::{Millis, SelectorKind};
use serde::Serialize;

use super::timed::Timings;

/// When the record is produced, after the first partition change has arrived: long after
/// start-up, so that the consumer has its preferred replica.
const SETTLE_MS: Millis = 30_000;
/// How long a point waits for the record before it reports none.
const GIVE_UP_MS: Millis = 600_000;
/// Steps a run may take before it reports none (timings so short the schedule never settles).
const STEP_BUDGET: usize = 10_000_000;

/// Which situation a curve measures.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Situation {
    /// Every replica fetching.
    SteadyState,
    /// Follower 3 (rack c) stops reaching the leader as the record is produced: the leader
    /// holds the HW until it shrinks the ISR.
    FollowerStopped,
    /// Rack c's brokers are cut off as the record is produced: the controller fences follower 3
    /// when its session expires, and the leader holds the HW until that ISR change reaches it.
    FollowerFenced,
}

/// One curve: a setting varied, the rest at the run's timings.
#[derive(Clone, Debug, Serialize)]
pub struct Curve {
    /// The setting varied (a `--config` key).
    pub key: &'static str,
    /// The situation.
    pub situation: Situation,
    /// What it answers, in one line.
    pub about: &'static str,
    /// Per value of the setting: the delay with the consumer on its same-rack follower, and
    /// with leader-only fetching (`None`: not read within `GIVE_UP_MS`, or `STEP_BUDGET` steps).
    pub points: Vec<Point>,
}

/// One point of a curve: the mean and the longest delay over `PHASES` runs, the record
/// produced at evenly spread moments of the cycle that governs the delay (the follower's fetch
/// cycle at steady state, the leader's ISR check with a follower stopped).
#[derive(Clone, Copy, Debug, Serialize)]
pub struct Point {
    /// The setting's value, ms.
    pub value: Millis,
    /// Produce to read, consumer on the follower: mean, ms (`None`: some run never read it).
    pub follower_ms: Option<Millis>,
    /// The longest of those runs, ms.
    pub follower_max_ms: Option<Millis>,
    /// Produce to read, leader-only: mean, ms.
    pub leader_ms: Option<Millis>,
    /// The longest of those runs, ms.
    pub leader_max_ms: Option<Millis>,
}

/// Runs per point.
pub const PHASES: u64 = 8;

struct Sweep {
    key: &'static str,
    situation: Situation,
    about: &'static str,
    values: &'static [Millis],
}

const SWEEPS: &[Sweep] = &[
    Sweep {
        key: "replica.fetch.wait.max.ms",
        situation: Situation::SteadyState,
        about: "the follower learns the new high watermark on its next fetch answer, which the leader holds up to replica.fetch.wait.max.ms",
        values: &[50, 100, 250, 500, 1_000, 2_000],
    },
    Sweep {
        key: "fetch.max.wait.ms",
        situation: Situation::SteadyState,
        about: "a consumer's parked fetch is answered as soon as the replica's high watermark passes the record, whatever fetch.max.wait.ms",
        values: &[50, 100, 250, 500, 1_000, 2_000],
    },
    Sweep {
        key: "replica.lag.time.max.ms",
        situation: Situation::FollowerStopped,
        about: "with a follower stopped, the record is committed only once the leader shrinks the ISR, replica.lag.time.max.ms after the follower last caught up",
        values: &[5_000, 10_000, 20_000, 30_000, 45_000, 60_000],
    },
    Sweep {
        key: "sim.isr.propagation.ms",
        situation: Situation::FollowerFenced,
        about: "a fenced follower leaves the ISR by the controller's partition change, so the record waits for the session to expire and the change to reach the leader",
        values: &[0, 1_000, 5_000, 10_000, 30_000, 60_000],
    },
];

/// Measure every curve around `timings`.
pub fn measure(timings: &Timings) -> Vec<Curve> {
    SWEEPS
        .iter()
        .map(|sweep| Curve {
            key: sweep.key,
            situation: sweep.situation,
            about: sweep.about,
            points: sweep
                .values
                .iter()
                .map(|&value| {
                    let mut t = timings.clone();
                    t.set(&format!("{}={value}", sweep.key)).expect("the sweeps name known keys");
                    let (follower_ms, follower_max_ms) = spread(&t, SelectorKind::RackAware, sweep.situation);
                    let (leader_ms, leader_max_ms) = spread(&t, SelectorKind::Leader, sweep.situation);
                    Point { value, follower_ms, follower_max_ms, leader_ms, leader_max_ms }
                })
                .collect(),
        })
        .collect()
}

/// The mean and the longest delay over `PHASES` runs spread over the governing cycle.
fn spread(timings: &Timings, selector: SelectorKind, situation: Situation) -> (Option<Millis>, Option<Millis>) {
    let cycle = match situation {
        Situation::SteadyState => timings.replica_fetch_wait_max_ms,
        Situation::FollowerStopped => timings.replica_lag_time_max_ms / 2,
        Situation::FollowerFenced => timings.replica_fetch_wait_max_ms,
    }
    .max(PHASES);
    let delays: Option<Vec<Millis>> =
        (0..PHASES).map(|k| delay(timings, selector, situation, k * cycle / PHASES)).collect();
    match delays {
        Some(d) => (Some(d.iter().sum::<Millis>() / PHASES), d.iter().max().copied()),
        None => (None, None),
    }
}

/// Produce one record `SETTLE_MS + phase_ms` after start and time it to the consumer.
pub fn delay(timings: &Timings, selector: SelectorKind, situation: Situation, phase_ms: Millis) -> Option<Millis> {
    let mut cfg = ClusterConfig::with_racks(&["a", "b", "c"]).consumer(Some("b")).selector(selector);
    cfg.black_hole_outages = true;
    let mut sim = Cluster::new(timings.apply(cfg));
    // The brokers learn their roles only once the first partition change arrives.
    let settle = SETTLE_MS + timings.isr_propagation_ms + phase_ms;
    if !sim.run_for(settle, STEP_BUDGET).settled {
        return None;
    }
    match situation {
        Situation::SteadyState => {}
        Situation::FollowerStopped => {
            sim.cut(Outage::OneWay("c".into(), "a".into())).ok()?;
        }
        Situation::FollowerFenced => {
            sim.cut_rack("c").ok()?;
        }
    }
    sim.produce(1);
    let produced = sim.now();
    let deadline = produced + GIVE_UP_MS;
    for _ in 0..STEP_BUDGET {
        sim.step(deadline)?;
        if sim.consumer(0).is_some_and(|c| c.delivered().iter().any(|r| r.value == 1)) {
            return Some(sim.now() - produced);
        }
    }
    None
}
