//! A scenario on the clock: the protocol crate's `sim::Cluster` with Kafka's timings, a record
//! produced every `produce.interval.ms`, the outage from `outage.start.ms` for
//! `outage.duration.ms`, then `after.heal.ms` more; what the consumer read, and when. As the
//! outage starts the consumer rewinds to offset 0 (`seek`, no ListOffsets), so that it has
//! committed history to read as well as the records produced during the outage.

use highwater_protocol::sim::{Cluster, ClusterConfig, ConsumerMetrics};
use highwater_protocol::{Millis, NodeId, SeekTo};
use serde::Serialize;

use super::scenario::Fault;

/// The consumer every scenario measures.
const CONSUMER: NodeId = NodeId::Consumer(0);

/// The timings of a timed run: Kafka's settings (their defaults) and the run's own schedule.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Timings {
    /// `metadata.max.age.ms`: metadata refresh, and the preferred read replica's lease.
    pub metadata_max_age_ms: Millis,
    /// `replica.lag.time.max.ms`.
    pub replica_lag_time_max_ms: Millis,
    /// `request.timeout.ms` of the consumer and the producer.
    pub request_timeout_ms: Millis,
    /// `replica.socket.timeout.ms`: how long a follower waits for the leader's answer.
    pub replica_socket_timeout_ms: Millis,
    /// `fetch.max.wait.ms`: how long a replica holds a consumer's fetch with nothing to read.
    pub fetch_max_wait_ms: Millis,
    /// `retry.backoff.ms` of the consumer and the producer.
    pub retry_backoff_ms: Millis,
    /// `replica.fetch.wait.max.ms`: how long the leader holds a follower's fetch, the follower's
    /// fetch interval when there is nothing new.
    pub replica_fetch_wait_max_ms: Millis,
    /// `replica.fetch.backoff.ms`.
    pub replica_fetch_backoff_ms: Millis,
    /// `broker.session.timeout.ms`.
    pub broker_session_timeout_ms: Millis,
    /// How long a partition change takes to reach the brokers (`ClusterConfig::isr_propagation_ms`).
    pub isr_propagation_ms: Millis,
    /// The producer sends a record this often.
    pub produce_interval_ms: Millis,
    /// When the outage starts.
    pub outage_start_ms: Millis,
    /// How long it lasts.
    pub outage_duration_ms: Millis,
    /// How long the run goes on after the heal.
    pub after_heal_ms: Millis,
}

/// The longest any timing may be: a day.
pub const MAX_MS: Millis = 86_400_000;

/// Every key `--config` takes: Kafka's settings, then the simulation's own (`sim.`), each with
/// what it sets and its least value.
pub const KEYS: &[(&str, &str, Millis)] = &[
    ("metadata.max.age.ms", "metadata refresh, and the preferred read replica's lease", 1),
    ("replica.lag.time.max.ms", "how long a follower may lag before it leaves the ISR", 1),
    ("request.timeout.ms", "how long the consumer and the producer wait for an answer", 1),
    ("replica.socket.timeout.ms", "how long a follower waits for the leader's answer", 1),
    ("fetch.max.wait.ms", "how long a replica holds a consumer's fetch with nothing to read", 1),
    ("retry.backoff.ms", "the consumer's and the producer's wait after a failed request", 1),
    ("replica.fetch.wait.max.ms", "how long the leader holds a follower's fetch with nothing new", 1),
    ("replica.fetch.backoff.ms", "a follower's wait after a failed fetch", 1),
    ("broker.session.timeout.ms", "how long after a broker's heartbeats stop the controller fences it", 1),
    ("sim.isr.propagation.ms", "how long a partition change takes to reach the brokers", 0),
    ("sim.produce.interval.ms", "the producer sends a record this often", 1),
    ("sim.outage.start.ms", "when the outage starts", 0),
    ("sim.outage.duration.ms", "how long the outage lasts", 1),
    ("sim.after.heal.ms", "how long the run goes on after the heal", 0),
];

impl Default for Timings {
    fn default() -> Self {
        Timings {
            metadata_max_age_ms: 300_000,
            replica_lag_time_max_ms: 30_000,
            request_timeout_ms: 30_000,
            replica_socket_timeout_ms: 30_000,
            fetch_max_wait_ms: 500,
            retry_backoff_ms: 100,
            replica_fetch_wait_max_ms: 500,
            replica_fetch_backoff_ms: 1_000,
            broker_session_timeout_ms: 9_000,
            isr_propagation_ms: 0,
            produce_interval_ms: 1_000,
            outage_start_ms: 60_000,
            outage_duration_ms: 600_000,
            after_heal_ms: 120_000,
        }
    }
}

impl Timings {
    fn field(&mut self, key: &str) -> Option<&mut Millis> {
        Some(match key {
            "metadata.max.age.ms" => &mut self.metadata_max_age_ms,
            "replica.lag.time.max.ms" => &mut self.replica_lag_time_max_ms,
            "request.timeout.ms" => &mut self.request_timeout_ms,
            "replica.socket.timeout.ms" => &mut self.replica_socket_timeout_ms,
            "fetch.max.wait.ms" => &mut self.fetch_max_wait_ms,
            "retry.backoff.ms" => &mut self.retry_backoff_ms,
            "replica.fetch.wait.max.ms" => &mut self.replica_fetch_wait_max_ms,
            "replica.fetch.backoff.ms" => &mut self.replica_fetch_backoff_ms,
            "broker.session.timeout.ms" => &mut self.broker_session_timeout_ms,
            "sim.isr.propagation.ms" => &mut self.isr_propagation_ms,
            "sim.produce.interval.ms" => &mut self.produce_interval_ms,
            "sim.outage.start.ms" => &mut self.outage_start_ms,
            "sim.outage.duration.ms" => &mut self.outage_duration_ms,
            "sim.after.heal.ms" => &mut self.after_heal_ms,
            _ => return None,
        })
    }

    /// The value of a key of [`KEYS`].
    pub fn get(&self, key: &str) -> Option<Millis> {
        self.clone().field(key).map(|v| *v)
    }

    /// Set one timing from `key=value` (milliseconds), within its bounds.
    pub fn set(&mut self, assignment: &str) -> Result<(), String> {
        let Some((key, value)) = assignment.split_once('=') else {
            return Err(format!("`{assignment}`: expected key=value, for example request.timeout.ms=10000"));
        };
        let (key, value) = (key.trim(), value.trim());
        let known = || KEYS.iter().map(|(k, _, _)| *k).collect::<Vec<_>>().join(", ");
        let Some(&(_, _, least)) = KEYS.iter().find(|(k, _, _)| *k == key) else {
            return Err(format!("`{key}` is not a timing; the timings are {}", known()));
        };
        let parsed: Millis =
            value.parse().ok().filter(|v| (least..=MAX_MS).contains(v)).ok_or_else(|| {
                format!("`{key}={value}`: expected a whole number of milliseconds, {least} to {MAX_MS}")
            })?;
        *self.field(key).expect("every key of KEYS has a field") = parsed;
        Ok(())
    }

    /// Apply Kafka's settings to a simulated cluster's configuration.
    pub fn apply(&self, cfg: ClusterConfig) -> ClusterConfig {
        let mut cfg = cfg
            .map_brokers(|b| {
                b.replica_lag_time_max_ms = self.replica_lag_time_max_ms;
                b.request_timeout_ms = self.replica_socket_timeout_ms;
                b.consumer_fetch_wait_ms = self.fetch_max_wait_ms;
                b.replica_fetch_wait_max_ms = self.replica_fetch_wait_max_ms;
                b.replica_fetch_backoff_ms = self.replica_fetch_backoff_ms;
            })
            .map_consumers(|c| {
                c.metadata_max_age_ms = self.metadata_max_age_ms;
                c.request_timeout_ms = self.request_timeout_ms;
                c.fetch_max_wait_ms = self.fetch_max_wait_ms;
                c.retry_backoff_ms = self.retry_backoff_ms;
            });
        cfg.broker_session_timeout_ms = self.broker_session_timeout_ms;
        cfg.isr_propagation_ms = self.isr_propagation_ms;
        cfg.producer.request_timeout_ms = self.request_timeout_ms;
        cfg.producer.retry_backoff_ms = self.retry_backoff_ms;
        cfg
    }

    fn heal_at(&self) -> Millis {
        self.outage_start_ms.saturating_add(self.outage_duration_ms)
    }

    fn end(&self) -> Millis {
        self.heal_at().saturating_add(self.after_heal_ms)
    }
}

/// What one timed run measured for the consumer.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Figures {
    /// From the production of the first record produced after the outage started to the
    /// consumer reading it; `None` if it never did in the run.
    pub first_visible_after_ms: Option<Millis>,
    /// Whether it read that record before the heal.
    pub first_visible_during_outage: bool,
    /// The longest time the consumer read nothing, from the outage's start to the end of the
    /// run (records are produced all along; a rewound record read again counts as reading).
    pub longest_stall_ms: Millis,
    /// Records read while the outage was on, each value once: the history the consumer rewound
    /// to as it started, and those produced during it.
    pub read_during_outage: u64,
    /// Of those, records produced before the outage (the rewound history).
    pub history_read_during_outage: u64,
    /// Records produced while the outage was on.
    pub produced_during_outage: u64,
    /// Whether the consumer held a preferred read replica as the outage started.
    pub on_follower_at_cut: bool,
    /// From the outage's start to the consumer holding no preferred read replica, that is
    /// fetching from the leader again; `None` if it was not on one, or held one to the end.
    pub back_to_leader_after_ms: Option<Millis>,
    /// The longest time the consumer held a preferred read replica it could not reach.
    pub longest_on_unreachable_ms: Millis,
    /// Fetches answered over the whole run, and how many across racks.
    pub fetches: u64,
    /// Of those, answered by a broker in another rack.
    pub fetches_across_racks: u64,
    /// The consumer's counters at the end of the run.
    pub metrics: Counters,
}

/// `sim::Cluster`'s counters of one consumer (`ConsumerMetrics`), for the reports.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Counters {
    /// Fetches the leader answered without an error.
    pub fetches_from_leader: u64,
    /// Fetches a follower answered without an error.
    pub fetches_from_followers: u64,
    /// Fetches answered by a broker in another rack.
    pub fetches_across_racks: u64,
    /// Records the leader served.
    pub records_from_leader: u64,
    /// Records followers served.
    pub records_from_followers: u64,
    /// Records served by a broker in another rack.
    pub records_across_racks: u64,
    /// Times the preferred read replica changed.
    pub preferred_replica_changes: u64,
    /// Times its lease ran out.
    pub lease_expiries: u64,
}

impl From<&ConsumerMetrics> for Counters {
    fn from(m: &ConsumerMetrics) -> Self {
        Counters {
            fetches_from_leader: m.fetches_from_leader,
            fetches_from_followers: m.fetches_from_followers,
            fetches_across_racks: m.fetches_across_racks,
            records_from_leader: m.records_from_leader,
            records_from_followers: m.records_from_followers,
            records_across_racks: m.records_across_racks,
            preferred_replica_changes: m.preferred_replica_changes,
            lease_expiries: m.lease_expiries,
        }
    }
}

impl Figures {
    /// The share of fetches answered across racks, in percent.
    pub fn cross_rack_percent(&self) -> f64 {
        if self.fetches == 0 {
            return 0.0;
        }
        100.0 * self.fetches_across_racks as f64 / self.fetches as f64
    }
}

/// Why a timed run has no figures.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum TimedError {
    /// It took more steps than its budget allows: timings so short that the schedule never
    /// gets through the run.
    Budget(String),
    /// The simulated cluster refused a step of the scenario, or did what it cannot.
    Refused(String),
}

impl std::fmt::Display for TimedError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            TimedError::Budget(m) | TimedError::Refused(m) => f.write_str(m),
        }
    }
}

/// Steps a timed run may take before it is cut short (a schedule that never settles).
const STEP_BUDGET: usize = 20_000_000;

/// Run `fault` on `cfg` with these timings and measure consumer 0.
pub fn run(cfg: ClusterConfig, fault: &Fault, timings: &Timings) -> Result<Figures, TimedError> {
    let mut sim = Cluster::new(timings.apply(cfg));
    let (cut_at, heal_at, end) = (timings.outage_start_ms, timings.heal_at(), timings.end());
    let mut produced_at: Vec<Millis> = Vec::new();
    let (mut cut, mut healed) = (false, false);
    let mut read = 0usize;
    let mut read_values = std::collections::BTreeSet::new();
    let mut on_unreachable_since: Option<Millis> = None;
    let mut last_progress = cut_at;
    let mut figures = Figures {
        first_visible_after_ms: None,
        first_visible_during_outage: false,
        longest_stall_ms: 0,
        read_during_outage: 0,
        history_read_during_outage: 0,
        produced_during_outage: 0,
        on_follower_at_cut: false,
        longest_on_unreachable_ms: 0,
        back_to_leader_after_ms: None,
        fetches: 0,
        fetches_across_racks: 0,
        metrics: Counters::default(),
    };
    let mut steps = 0usize;
    loop {
        let next_produce = (produced_at.len() as Millis).saturating_mul(timings.produce_interval_ms);
        let next_fault = if !cut {
            cut_at
        } else if !healed {
            heal_at
        } else {
            Millis::MAX
        };
        let boundary = next_produce.min(next_fault).min(end);
        while sim.step(boundary).is_some() {
            steps += 1;
            if steps > STEP_BUDGET {
                return Err(TimedError::Budget(format!(
                    "the timed run took more than {STEP_BUDGET} steps before {} ms of simulated time",
                    sim.now()
                )));
            }
            let now = sim.now();
            let delivered = sim.consumer(0).map_or(&[][..], |c| c.delivered());
            for record in &delivered[read..] {
                // Values are 1, 2, ... in production order.
                let Some(produced) = (record.value as usize).checked_sub(1).and_then(|i| produced_at.get(i)).copied()
                else {
                    return Err(TimedError::Refused(format!(
                        "the consumer read value {}, which was never produced",
                        record.value
                    )));
                };
                if cut && produced >= cut_at && figures.first_visible_after_ms.is_none() {
                    figures.first_visible_after_ms = Some(now - produced);
                    figures.first_visible_during_outage = !healed;
                }
                // A value counts once: a producer retry that timed out appends it again.
                if cut && !healed && read_values.insert(record.value) {
                    figures.read_during_outage += 1;
                    figures.history_read_during_outage += u64::from(produced < cut_at);
                }
            }
            if delivered.len() > read && cut {
                figures.longest_stall_ms = figures.longest_stall_ms.max(now - last_progress);
                last_progress = now;
            }
            read = delivered.len();
            let preferred =
                sim.consumer(0).and_then(|c| c.preferred_read_replica()).map(|p| NodeId::Broker(p.broker_id));
            let unreachable = preferred.is_some_and(|p| !sim.reachable(CONSUMER, p) || !sim.reachable(p, CONSUMER));
            match (unreachable, on_unreachable_since) {
                (true, None) => on_unreachable_since = Some(now),
                (false, Some(since)) => {
                    figures.longest_on_unreachable_ms = figures.longest_on_unreachable_ms.max(now - since);
                    on_unreachable_since = None;
                }
                _ => {}
            }
            let on_follower = preferred.is_some();
            if cut && figures.on_follower_at_cut && figures.back_to_leader_after_ms.is_none() && !on_follower {
                figures.back_to_leader_after_ms = Some(now - cut_at);
            }
        }
        // Nothing left before the boundary: the clock moves to it.
        sim.run_for(boundary.saturating_sub(sim.now()), 1);
        let now = sim.now();
        if now >= end {
            break;
        }
        if now == next_fault && !cut {
            apply(&mut sim, fault, true)?;
            cut = true;
            // The consumer has history to catch up on: it rewinds as the outage starts.
            sim.seek(0, SeekTo::Offset(0)).map_err(|e| TimedError::Refused(e.to_string()))?;
            figures.on_follower_at_cut = sim.consumer(0).is_some_and(|c| c.preferred_read_replica().is_some());
        } else if now == next_fault && cut && !healed {
            apply(&mut sim, fault, false)?;
            healed = true;
        }
        if now == next_produce {
            produced_at.push(now);
            if cut && !healed {
                figures.produced_during_outage += 1;
            }
            sim.produce(produced_at.len() as u64);
        }
    }
    figures.longest_stall_ms = figures.longest_stall_ms.max(end - last_progress);
    if let Some(since) = on_unreachable_since {
        figures.longest_on_unreachable_ms = figures.longest_on_unreachable_ms.max(end - since);
    }
    let metrics = sim.consumer_metrics(0).cloned().unwrap_or_default();
    figures.fetches = metrics.fetches_from_leader + metrics.fetches_from_followers;
    figures.fetches_across_racks = metrics.fetches_across_racks;
    figures.metrics = Counters::from(&metrics);
    Ok(figures)
}

fn apply(sim: &mut Cluster, fault: &Fault, cut: bool) -> Result<(), TimedError> {
    let result = match (fault, cut) {
        (Fault::Brokers(rack), true) => sim.cut_rack(rack),
        (Fault::Brokers(rack), false) => sim.heal_rack(rack),
        (Fault::Outage(outage), true) => sim.cut(crate::adapter::sim_outage(outage)),
        (Fault::Outage(outage), false) => sim.heal(&crate::adapter::sim_outage(outage)),
    };
    result.map(|_| ()).map_err(|e| TimedError::Refused(format!("{}: {e}", fault.describe())))
}
