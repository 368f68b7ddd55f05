//! The adapter between the protocol crate's `sim::Cluster` and the suite's vocabulary: a
//! trace's actions become `sim::Cluster` steps, and the cluster's state becomes a
//! `ClusterView` the properties and `replay` can judge. The protocol crate knows nothing of
//! traces; this is the only place the two meet.
//!
//! Each step follows the model's step rules (README, "The model"): after the action, requests
//! and answers to clients are delivered within the step, in the model's channel order.

mod convert;
mod fair;
mod ghost;

use highwater_model::{ModelConfig, Selector, Semantics};
use highwater_protocol::sim::{Cluster, ClusterConfig};
use highwater_protocol::{Bugs, FetchSemantics, Message, SelectorKind};
use highwater_traces::{outdated_at_broker, Action, ClusterView};

use convert::{epochs_for_broker, node, node_back, seek, timer, timer_back};
use ghost::GhostTracker;

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
pub struct Implementation {
    sim: Cluster,
    ghost: GhostTracker,
    crashes_left: u32,
    outages_left: u32,
    produced: u64,
}

/// The protocol crate's bugs with the ids of the model's.
pub fn protocol_bugs(cfg: &ModelConfig) -> Bugs {
    cfg.bugs.iter().filter_map(|b| highwater_protocol::Bug::ALL.iter().copied().find(|p| p.id() == b.id())).collect()
}

/// Requests and answers to clients are delivered within the step that sends them.
fn is_eager(from: highwater_protocol::NodeId, to: highwater_protocol::NodeId, message: &Message) -> bool {
    use highwater_protocol::NodeId as N;
    let to_client = matches!(to, N::Consumer(_) | N::Producer) && matches!(from, N::Controller | N::Broker(_));
    message.is_request() || to_client
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
        let sim = Cluster::new(config);
        let mut implementation = Implementation {
            ghost: GhostTracker::new(&sim.state()),
            sim,
            crashes_left: cfg.crashes,
            outages_left: cfg.rack_outages,
            produced: 0,
        };
        implementation.settle();
        implementation.take_outdated();
        implementation.ghost.observe(&implementation.sim.state());
        implementation
    }

    /// Take one step of a trace.
    pub fn step(&mut self, action: &Action) -> Result<(), Refused> {
        let refused = |e: highwater_protocol::sim::SimError| Refused(e.to_string());
        self.ghost.start_step();
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
                self.sim.fire_timer(node(*at), kind).map_err(refused)?;
            }
            Action::Crash { broker } => {
                self.sim.crash(*broker).map_err(refused)?;
                self.crashes_left = self.crashes_left.saturating_sub(1);
            }
            Action::Restart { broker } => {
                self.sim.restart(*broker).map_err(refused)?;
            }
            Action::CutRack { rack } => {
                self.sim.cut_rack(rack).map_err(refused)?;
                self.outages_left = self.outages_left.saturating_sub(1);
            }
            Action::HealRack { rack } => {
                self.sim.heal_rack(rack).map_err(refused)?;
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
        self.ghost.step_ended(&self.sim);
        self.ghost.observe(&self.sim.state());
        Ok(())
    }

    /// Deliver the head of `from -> to`, noting what a broker's answer hands a consumer.
    fn deliver(
        &mut self,
        from: highwater_protocol::NodeId,
        to: highwater_protocol::NodeId,
    ) -> Result<(), highwater_protocol::sim::SimError> {
        // A broker's fetch answer to a consumer: what the broker knew when it chose, read before
        // the delivery (which may set off a reset that changes the broker).
        let answer = match (from, to, self.sim.network().peek(from, to)) {
            (
                highwater_protocol::NodeId::Broker(broker),
                highwater_protocol::NodeId::Consumer(consumer),
                Some(Message::FetchResponse(response)),
            ) => {
                let chooser = ghost::Chooser::of(&self.sim, broker, response);
                let current = ghost::takes_as_current(&self.sim, consumer, response);
                Some((broker, consumer, current, response.clone(), chooser))
            }
            (
                highwater_protocol::NodeId::Broker(broker),
                highwater_protocol::NodeId::Consumer(consumer),
                Some(message),
            ) => {
                self.ghost.told(&self.sim, broker, consumer, message);
                None
            }
            _ => None,
        };
        // A request to a broker: judged with the broker's epoch before it and the answer it sends
        // at once, if any (as the model's `observe_request`).
        let requester = convert::node_back(from);
        let request = match (to, self.sim.network().peek(from, to)) {
            (highwater_protocol::NodeId::Broker(broker), Some(message)) => {
                self.ghost.fetched(requester, message);
                let queued = self.sim.network().queue(to, from).count();
                Some((broker, ghost::request_epoch(message), ghost::replica_epoch(&self.sim, broker), queued))
            }
            _ => None,
        };
        self.sim.deliver(from, to)?;
        if let Some((broker, request_epoch, epoch_before, queued)) = request {
            let sent = self.sim.network().queue(to, from);
            let answer = sent.skip(queued).last().and_then(ghost::response_error);
            self.ghost.requested(broker, requester, request_epoch, epoch_before, answer);
        }
        if let Some((broker, consumer, current, response, chooser)) = answer {
            if current {
                self.ghost.refused(&self.sim, broker, consumer, &response);
            }
            self.ghost.answered(broker, &response, chooser, &self.sim.state());
        }
        Ok(())
    }

    /// Deliver every eager message, first channel first, as the model does; bounded like the model.
    fn settle(&mut self) {
        for _ in 0..64 {
            let next = self
                .sim
                .network()
                .busy_links()
                .find(|(from, to)| self.sim.network().peek(*from, *to).is_some_and(|m| is_eager(*from, *to, m)));
            let Some((from, to)) = next else { return };
            if self.deliver(from, to).is_err() {
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
                network.peek(from, to).and_then(epochs_for_broker).is_some_and(|e| outdated_at_broker(e, held))
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
            } else if self.outages_left > 0 {
                actions.push(Action::CutRack { rack });
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
        let mut view = convert::view(&self.sim.state(), &self.ghost);
        view.faults_left = self.crashes_left + self.outages_left;
        view
    }
}
