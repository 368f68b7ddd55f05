//! The adapter between the protocol crate's `sim::Cluster` and the suite's vocabulary: a
//! trace's actions become `sim::Cluster` steps, and the cluster's state becomes a
//! `ClusterView` the properties and `replay` can judge. The protocol crate knows nothing of
//! traces; this is the only place the two meet.
//!
//! Each step follows the environment's step rules and feeds the ghost through the observers,
//! both from `highwater_traces::observe`, as the model does: after the action, requests and
//! answers to clients are delivered within the step, in the model's channel order.

mod convert;
mod fair;
mod ghost;
mod wire;

// The real-Kafka shell turns the messages of its histories into a trace's.
#[cfg(feature = "kafka")]
pub(crate) use convert::message as trace_message;
pub(crate) use convert::outage as sim_outage;
pub use wire::Wire;

use highwater_model::{ModelConfig, Selector, Semantics};
use highwater_protocol::sim::{Cluster, ClusterConfig};
use highwater_protocol::{Bug, Bugs, FetchSemantics, Millis, SelectorKind};
use highwater_traces::observe::{first_eager, StepStart, SETTLE_BOUND};
use highwater_traces::{Action, ClusterView, Outage, OutageShape};

use convert::{node, node_back, seek, timer, timer_back};
use ghost::{SimFacts, Watch};

/// The simulated cluster of a model configuration: the same brokers, racks, consumers,
/// producer rack, semantics, selector and `min.insync.replicas`, with these seeded bugs on every
/// node and Kafka's default timings.
pub fn cluster_config(cfg: &ModelConfig, bugs: Bugs) -> ClusterConfig {
    let racks: Vec<&str> = cfg.broker_racks.iter().map(String::as_str).collect();
    let mut config = ClusterConfig::with_racks(&racks);
    for rack in &cfg.consumer_racks {
        config = config.consumer(rack.as_deref());
    }
    config = config
        .semantics(match cfg.semantics {
            Semantics::Apache => FetchSemantics::Apache,
            Semantics::KipStrict => FetchSemantics::KipStrict,
        })
        .selector(match cfg.selector {
            Selector::Leader => SelectorKind::Leader,
            Selector::RackAware => SelectorKind::RackAware,
        })
        .bugs(bugs);
    config.producer_rack = cfg.producer_rack.clone();
    let min_insync_replicas = cfg.min_insync_replicas as usize;
    config.map_brokers(|b| b.min_insync_replicas = min_insync_replicas)
}

/// The cluster a trace steps: [`cluster_config`] with the clock cut to the model's two kinds of
/// long pause. Every step takes a millisecond, so the waits of the long polls and every backoff
/// are 1 ms: whatever the model lets fire after one step has fallen due, and a broker's session
/// expires within the step that crashes or cuts it off. (The model's
/// `fetch-wait` and `replica-fetch-wait` ticks answer every parked fetch at once, as if each had
/// reached its own deadline; a follower's parked fetch counts as renewed when it ends, as in
/// Kafka's cycle of empty answers and fetches at once.) A lease lasts 10.5 periods of
/// `replica.lag.time.max.ms`, so that it runs out at a pause, never between two
/// (`model/src/lease.rs`).
fn stepped_config(cfg: &ModelConfig, bugs: Bugs) -> ClusterConfig {
    let config = cluster_config(cfg, bugs).map_brokers(|b| {
        b.replica_fetch_wait_max_ms = 1;
        b.consumer_fetch_wait_ms = 1;
        b.replica_fetch_backoff_ms = 1;
        b.alter_partition_retry_ms = 1;
    });
    let lag = config.brokers.first().map_or(0, |b| b.replica_lag_time_max_ms);
    let mut config = config.map_consumers(|c| {
        c.metadata_max_age_ms = lag * 21 / 2;
        c.retry_backoff_ms = 1;
    });
    config.producer.retry_backoff_ms = 1;
    // The model fences a broker in the step that crashes or cuts it off; here its session
    // expires at once, within that step's millisecond.
    config.broker_session_timeout_ms = 1;
    config
}

/// Why the implementation cannot take a step the trace takes: a divergence, not an input error.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Refused(pub String);

/// How many records random schedules may produce (faults come from the configuration).
#[derive(Clone, Copy, Debug)]
pub struct Budget {
    /// Records the producer may send.
    pub records: u64,
}

/// The protocol crate's cluster, driven by trace actions.
#[derive(Clone)]
pub struct Implementation {
    sim: Cluster,
    watch: Watch,
    semantics: Semantics,
    crashes_left: u32,
    outages_left: u32,
    produced: u64,
    /// The outages the configuration offers, other than `cut_rack`'s.
    outages_offered: Vec<Outage>,
    /// Whether `cut_rack` is offered.
    rack_cuts_offered: bool,
    producer_rack: Option<String>,
    /// When the last long pause ended (an `isr-expiration` tick or the end of a lease), 1 ms
    /// before any: pauses fall on whole periods of `replica.lag.time.max.ms` from there.
    last_pause_ms: Millis,
    /// `replica.lag.time.max.ms`.
    replica_lag_ms: Millis,
    /// `isr-expiration` ticks the configuration still offers.
    isr_ticks_left: u32,
    /// The messages delivered since the last step began (the initial settling, before the first),
    /// in order, as the model records them: the requests and answers to clients delivered within
    /// a step never sit in flight between steps, so only this shows their fields.
    delivered: Vec<(highwater_traces::NodeId, highwater_traces::NodeId, highwater_traces::Message)>,
}

/// The protocol crate's bugs with the ids of the model's.
pub fn protocol_bugs(cfg: &ModelConfig) -> Bugs {
    cfg.bugs.iter().filter_map(|b| Bug::ALL.iter().copied().find(|p| p.id() == b.id())).collect()
}

/// The protocol crate's bug with this id.
pub fn protocol_bug(id: &str) -> Result<Bug, String> {
    Bug::ALL
        .iter()
        .copied()
        .find(|b| b.id() == id)
        .ok_or_else(|| format!("--protocol-bug {id}: no such seeded bug; `highwater bugs` lists them"))
}

impl Implementation {
    /// The implementation of `cfg`, started and settled as the model's initial state is.
    /// Seeded bugs come from the configuration: each of the model's bugs is enabled in the
    /// protocol crate under the same id.
    pub fn new(cfg: &ModelConfig) -> Implementation {
        Implementation::with_bugs(cfg, protocol_bugs(cfg))
    }

    /// The same, with seeded bugs enabled on every node.
    pub fn with_bugs(cfg: &ModelConfig, bugs: Bugs) -> Implementation {
        let config = stepped_config(cfg, bugs);
        let replica_lag_ms = config.brokers.first().map_or(0, |b| b.replica_lag_time_max_ms);
        let sim = Cluster::new(config);
        let mut implementation = Implementation {
            watch: Watch::new(&sim),
            sim,
            semantics: cfg.semantics,
            crashes_left: cfg.crashes,
            outages_left: cfg.rack_outages,
            produced: 0,
            outages_offered: cfg.outage_shapes.iter().flat_map(|s| s.instances(&cfg.all_racks())).collect(),
            rack_cuts_offered: cfg.outage_shapes.contains(&OutageShape::Brokers),
            producer_rack: cfg.producer_rack.clone(),
            last_pause_ms: 1,
            replica_lag_ms,
            isr_ticks_left: cfg.isr_expirations,
            delivered: Vec::new(),
        };
        implementation.settle();
        implementation.take_outdated();
        // The initial state is its own predecessor, as in the model.
        implementation.watch.start = StepStart::of(&implementation.facts());
        implementation.end_step();
        implementation
    }

    /// Take one step of a trace.
    pub fn step(&mut self, action: &Action) -> Result<(), Refused> {
        let refused = |e: highwater_protocol::sim::SimError| Refused(e.to_string());
        // Every step takes a moment, so that no two steps happen at the same millisecond: the
        // model orders catch-ups by step, as the selector orders them by time.
        self.sim.pass_time(1);
        self.delivered.clear();
        self.watch.ghost.start_step();
        match action {
            Action::Deliver { from, to } => {
                self.deliver(node(*from), node(*to)).map_err(refused)?;
            }
            Action::Drop { from, to } => {
                self.sim.drop_message(node(*from), node(*to)).map_err(refused)?;
            }
            Action::Timer { node: at, timer: kind } => {
                let Some(kind) = timer(*kind) else {
                    return Err(Refused(format!("the implementation has no `{}` timer", kind.name())));
                };
                match kind {
                    highwater_protocol::TimerKind::IsrExpiration => {
                        self.isr_ticks_left = self.isr_ticks_left.saturating_sub(1);
                        self.pass_to_next_isr_tick();
                    }
                    highwater_protocol::TimerKind::MetadataRefresh => self.pass_to_lease_end(node(*at)),
                    _ => {}
                }
                self.sim.fire_timer(node(*at), kind).map_err(refused)?;
            }
            // The model has no clock: the fence that follows a crash or a cut is part of its step.
            // Here the brokers' sessions expire at once, the clock moving to their end.
            Action::Crash { broker } => {
                self.sim.crash(*broker).map_err(refused)?;
                self.expire_sessions().map_err(refused)?;
                self.crashes_left = self.crashes_left.saturating_sub(1);
            }
            Action::Restart { broker } => {
                self.sim.restart(*broker).map_err(refused)?;
            }
            Action::CutRack { rack } => {
                self.sim.cut_rack(rack).map_err(refused)?;
                self.expire_sessions().map_err(refused)?;
                self.outages_left = self.outages_left.saturating_sub(1);
            }
            Action::HealRack { rack } => {
                self.sim.heal_rack(rack).map_err(refused)?;
            }
            Action::Cut { outage } => {
                self.sim.cut(convert::outage(outage)).map_err(refused)?;
                self.expire_sessions().map_err(refused)?;
                self.outages_left = self.outages_left.saturating_sub(1);
            }
            Action::Heal { outage } => {
                self.sim.heal(&convert::outage(outage)).map_err(refused)?;
            }
            Action::Produce { value } => {
                self.sim.produce(*value);
                self.produced = self.produced.max(*value);
            }
            Action::Seek { consumer, to } => {
                self.sim.seek(*consumer, seek(*to)).map_err(refused)?;
            }
        }
        self.settle();
        self.take_outdated();
        self.end_step();
        Ok(())
    }

    /// The model's tick drops a follower last caught up before the previous tick and keeps one
    /// caught up since; Kafka's check drops one last caught up more than
    /// `replica.lag.time.max.ms` ago. Ticks `replica.lag.time.max.ms` apart make the two the
    /// same, as every step takes a millisecond and none is the same moment as a tick.
    fn pass_to_next_isr_tick(&mut self) {
        self.pause_at(self.last_pause_ms + self.replica_lag_ms);
    }

    /// A lease ends at the first pause after its deadline, and at least two periods after the
    /// last pause: the model takes its end for a long pause, after which every earlier catch-up
    /// is too old (`model/src/lease.rs` counts the periods).
    fn pass_to_lease_end(&mut self, consumer: highwater_protocol::NodeId) {
        let metadata_refresh = highwater_protocol::TimerKind::MetadataRefresh;
        let due = self.sim.timers().find(|(n, t, _)| *n == consumer && *t == metadata_refresh).map(|(_, _, d)| d);
        let lag = self.replica_lag_ms.max(1);
        let periods = due.map_or(0, |d| d.saturating_sub(self.last_pause_ms).div_ceil(lag)).max(2);
        self.pause_at(self.last_pause_ms + periods * lag);
    }

    fn pause_at(&mut self, at: Millis) {
        self.sim.pass_time(at.saturating_sub(self.sim.now()));
        self.last_pause_ms = at;
    }

    fn expire_sessions(&mut self) -> Result<(), highwater_protocol::sim::SimError> {
        let pending: Vec<_> = self.sim.pending_sessions().map(|(broker, _)| broker).collect();
        for broker in pending {
            self.sim.expire_session(broker)?;
        }
        Ok(())
    }

    fn facts(&self) -> SimFacts<'_> {
        SimFacts { sim: &self.sim, deliveries: &self.watch.deliveries, semantics: self.semantics }
    }

    /// The step is over: the ghost folds in what it changed, and the next step starts here.
    fn end_step(&mut self) {
        let facts = SimFacts { sim: &self.sim, deliveries: &self.watch.deliveries, semantics: self.semantics };
        self.watch.ghost.end_step(&self.watch.start, &facts);
        self.watch.start = StepStart::of(&facts);
    }

    /// Deliver the head of `from -> to`, with the shared observers before and after.
    fn deliver(
        &mut self,
        from: highwater_protocol::NodeId,
        to: highwater_protocol::NodeId,
    ) -> Result<(), highwater_protocol::sim::SimError> {
        let (from_node, to_node) = (node_back(from), node_back(to));
        let sent = self.sim.network().peek(from, to).cloned();
        let message = sent.as_ref().map(convert::message);
        let facts = SimFacts { sim: &self.sim, deliveries: &self.watch.deliveries, semantics: self.semantics };
        let delivering = message.as_ref().map(|m| self.watch.ghost.before_delivery(&facts, from_node, to_node, m));
        let outputs = self.sim.deliver(from, to)?;
        self.delivered.extend(message.clone().map(|m| (from_node, to_node, m)));
        if let (highwater_traces::NodeId::Broker(broker), highwater_traces::NodeId::Consumer(consumer), Some(sent)) =
            (from_node, to_node, &sent)
        {
            self.watch.served(&self.sim, broker, consumer, sent);
        }
        // The answer as the responder sent it, even one an outage lost on the way, as the model
        // sees it in its channel before the step ends.
        let answer = outputs
            .iter()
            .rev()
            .find_map(|(node, output)| match output {
                highwater_protocol::Output::Send { to: peer, message } if *node == to && *peer == from => Some(message),
                _ => None,
            })
            .map(convert::message);
        if let Some(delivering) = delivering {
            let facts = SimFacts { sim: &self.sim, deliveries: &self.watch.deliveries, semantics: self.semantics };
            self.watch.ghost.after_delivery(&facts, delivering, answer.as_ref());
        }
        Ok(())
    }

    /// Deliver every eager message, first channel first, as the model does; bounded like the model.
    fn settle(&mut self) {
        for _ in 0..SETTLE_BOUND {
            let network = self.sim.network();
            let heads: Vec<_> = network
                .busy_links()
                .filter_map(|(from, to)| Some((from, to, convert::message(network.peek(from, to)?))))
                .collect();
            let next = first_eager(heads.iter().map(|(from, to, m)| (node_back(*from), node_back(*to), m)));
            let Some((from, to)) = next else { return };
            if self.deliver(node(from), node(to)).is_err() {
                return;
            }
        }
    }

    /// Answers and partition changes at the head of a queue that their broker can never act on
    /// are taken at once, as the model takes them off their queues (`outdated_at_broker`). Here
    /// they are delivered: a broker that would act on one shows as a divergence, not as a
    /// message that went missing.
    fn take_outdated(&mut self) {
        for _ in 0..64 {
            let network = self.sim.network();
            let next = network.busy_links().find(|&(from, to)| {
                // Only a running broker: what is in flight to a crashed one is dropped anyway.
                let highwater_protocol::NodeId::Broker(b) = to else { return false };
                let Some(broker) = self.sim.broker(b) else { return false };
                let held = (broker.leader_epoch(), broker.partition().map_or(-1, |p| p.partition_epoch));
                network.peek(from, to).is_some_and(|m| {
                    convert::message(m)
                        .epochs_for_broker()
                        .is_some_and(|e| highwater_traces::outdated_at_broker(e, held))
                })
            });
            let Some((from, to)) = next else { return };
            if self.sim.deliver(from, to).is_err() {
                return;
            }
        }
    }

    /// Every step the implementation can take now, in a fixed order: deliveries, timers, then
    /// the environment's steps within `budget` (what random schedules choose from).
    pub fn enabled_actions(&self, budget: &Budget) -> Vec<Action> {
        let mut actions: Vec<Action> = self
            .sim
            .network()
            .busy_links()
            .map(|(from, to)| Action::Deliver { from: node_back(from), to: node_back(to) })
            .collect();
        actions.extend(
            self.sim.timers().map(|(at, kind, _)| Action::Timer { node: node_back(at), timer: timer_back(kind) }),
        );
        if self.produced < budget.records {
            actions.push(Action::Produce { value: self.produced + 1 });
        }
        let state = self.sim.state();
        for b in &state.brokers {
            match b.alive {
                true if self.crashes_left > 0 => actions.push(Action::Crash { broker: b.broker_id }),
                false => actions.push(Action::Restart { broker: b.broker_id }),
                _ => {}
            }
        }
        for rack in self.sim.racks() {
            if state.cut_racks.contains(&rack) {
                actions.push(Action::HealRack { rack });
            } else if self.outages_left > 0 && self.rack_cuts_offered {
                actions.push(Action::CutRack { rack });
            }
        }
        let on = self.sim.outages();
        for outage in &self.outages_offered {
            if on.contains(&convert::outage(outage)) {
                actions.push(Action::Heal { outage: outage.clone() });
            } else if self.outages_left > 0 {
                actions.push(Action::Cut { outage: outage.clone() });
            }
        }
        actions
    }

    /// Messages in flight and timers set, for diagnosing a divergence.
    pub fn debug_network(&self) -> String {
        let links: Vec<String> = self
            .sim
            .network()
            .busy_links()
            .map(|(f, t)| format!("{f}->{t}: {:?}", self.sim.network().queue(f, t).collect::<Vec<_>>()))
            .collect();
        let timers: Vec<String> = self.sim.timers().map(|(n, t, d)| format!("{n}:{}@{d}", t.name())).collect();
        format!("{}\n  impl timers: {}", links.join("\n    "), timers.join(", "))
    }

    /// The cluster now, in the suite's vocabulary.
    pub fn view(&self) -> ClusterView {
        let mut view = convert::view(&self.sim.state(), &self.watch.deliveries, &self.watch.ghost, self.semantics);
        view.outages = self.sim.outages().iter().map(convert::outage_back).collect();
        view.producer_rack = self.producer_rack.clone();
        view.faults_left = self.crashes_left + self.outages_left;
        view
    }
}
