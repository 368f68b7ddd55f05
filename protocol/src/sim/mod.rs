//! `sim::Cluster`: a deterministic in-memory cluster that drives the real nodes.
//!
//! Every step is explicit: deliver the head message of a connection, fire a pending timer,
//! crash or restart a broker, cut or heal a rack, produce a value, seek a consumer, drop a
//! message. [`Cluster::run_until_quiet`] and [`Cluster::run_for`] are fair round-robin schedules
//! built from those steps. The same configuration and the same steps give the same states.
//!
//! Time: the clock only moves when a timer fires (to that timer's deadline, if later than now),
//! when a delayed message arrives or a silently lost request times out (in the fair schedule),
//! or when [`Cluster::run_for`] ends. A timer may be fired at any time after it is set, as in a
//! model checker where any set timer can fire; the clock then jumps to its deadline, so a timer
//! never fires early on the simulated clock.
//!
//! Faults:
//! - A crash keeps the broker's log and HW checkpoint, drops every message to or from it (its TCP
//!   connections reset) and its timers. Its heartbeats stop, so the controller fences it
//!   (`BrokerFenced`) when its session expires, `broker.session.timeout.ms` later
//!   ([`Cluster::expire_session`]; the fair schedules expire sessions when their time comes). A
//!   restart recovers from the log and unfences the broker; it is refused while the old session
//!   runs, as Kafka refuses to register a broker again until its old session is gone.
//! - Any message may be lost ([`Cluster::drop_message`]) except the controller's notices, which
//!   stand for the KRaft metadata log that brokers replicate until they have all of it.
//! - Cutting a rack isolates the brokers in it from every node outside it (clients included: the
//!   consumer's `client.rack` names where it would like to read, not a failure domain it shares).
//!   Messages across the cut are dropped, and the isolated brokers' heartbeats stop: their sessions
//!   expire as after a crash. Healing resumes the heartbeats: a session not yet expired goes on,
//!   and a fenced broker is unfenced.

mod config;
mod metrics;
mod network;
mod outage;
mod timeouts;
mod view;

use std::collections::{BTreeMap, BTreeSet};

pub use config::ClusterConfig;
pub use metrics::ConsumerMetrics;
pub use network::{Link, Network};
pub use outage::Outage;
pub use view::{BrokerView, ClusterState, ConsumerView, ControllerView, ProducerView};

use crate::broker::{Broker, DurableState};
use crate::config::{BrokerConfig, ControllerConfig};
use crate::consumer::Consumer;
use crate::controller::Controller;
use crate::messages::{Message, ReplicaInfo};
use crate::node::{Input, Output, SeekTo, TimerKind};
use crate::producer::Producer;
use crate::types::{BrokerId, Millis, NodeId, Rack};

/// A caller's mistake in driving the cluster (never a protocol outcome).
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum SimError {
    /// The broker's previous session has not expired: Kafka refuses to register it again.
    #[error("broker {0} cannot register again before its session expires (`broker.session.timeout.ms`)")]
    SessionRunning(BrokerId),
    /// The broker's heartbeats have not stopped, or its session already expired.
    #[error("broker {0} has no session waiting to expire")]
    NoSession(BrokerId),
    /// No message waits on that connection.
    #[error("no message in flight from {from} to {to}")]
    NoMessage {
        /// Sender.
        from: NodeId,
        /// Receiver.
        to: NodeId,
    },
    /// That timer is not set.
    #[error("timer {} is not set at {node}", timer.name())]
    NoTimer {
        /// The node.
        node: NodeId,
        /// The timer.
        timer: TimerKind,
    },
    /// No such node in this cluster.
    #[error("{0} is not part of this cluster")]
    UnknownNode(NodeId),
    /// The broker is crashed.
    #[error("broker {0} is crashed")]
    BrokerDown(BrokerId),
    /// The broker is running.
    #[error("broker {0} is running")]
    BrokerUp(BrokerId),
    /// No broker is in that rack.
    #[error("no broker is in rack `{0}`")]
    UnknownRack(Rack),
    /// The rack is already cut.
    #[error("rack `{0}` is already cut")]
    RackAlreadyCut(Rack),
    /// The rack is not cut.
    #[error("rack `{0}` is not cut")]
    RackNotCut(Rack),
    /// That outage is already on.
    #[error("the outage {0} is already on")]
    OutageActive(String),
    /// That outage is not on.
    #[error("the outage {0} is not on")]
    OutageNotActive(String),
    /// Controller notices stand for the KRaft metadata log, which brokers replicate reliably.
    #[error("the notice from {from} to {to} cannot be lost: brokers replicate the metadata log reliably")]
    ReliableMessage {
        /// Sender.
        from: NodeId,
        /// Receiver.
        to: NodeId,
    },
}

/// What [`Cluster::run_until_quiet`] and [`Cluster::run_for`] did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Drive {
    /// Steps taken.
    pub steps: usize,
    /// Whether it stopped because there was nothing left to do (not because of the step bound).
    pub settled: bool,
}

/// Every output a step produced, by the node that produced it.
pub type StepOutputs = Vec<(NodeId, Output)>;

#[derive(Clone, Debug)]
enum BrokerSlot {
    Running(Box<Broker>),
    Crashed { config: BrokerConfig, durable: DurableState },
}

/// A deterministic cluster of one controller, brokers, consumers and a producer.
#[derive(Clone, Debug)]
pub struct Cluster {
    now: Millis,
    controller: Controller,
    brokers: BTreeMap<BrokerId, BrokerSlot>,
    consumers: Vec<Consumer>,
    producer: Producer,
    network: Network,
    timers: BTreeMap<(NodeId, TimerKind), Millis>,
    cut_racks: BTreeSet<Rack>,
    outages: BTreeSet<Outage>,
    producer_rack: Option<Rack>,
    /// Per consumer, what follower fetching did for it.
    metrics: Vec<ConsumerMetrics>,
    /// Brokers whose heartbeats stopped, and when their session expires.
    sessions: BTreeMap<BrokerId, Millis>,
    broker_session_timeout_ms: Millis,
    round_robin_cursor: Option<Link>,
    /// Outages lose messages silently (`ClusterConfig::black_hole_outages`).
    black_hole: bool,
    /// `ClusterConfig::isr_propagation_ms`.
    isr_propagation_ms: Millis,
    /// Requesters whose request an outage lost silently, with the peer and when their request
    /// times out.
    timeouts: BTreeMap<(NodeId, NodeId), Millis>,
}

impl Cluster {
    /// Build the cluster and start every node at time 0. Nothing is delivered yet.
    pub fn new(config: ClusterConfig) -> Self {
        let replicas =
            config.brokers.iter().map(|b| ReplicaInfo { broker_id: b.broker_id, rack: b.rack.clone() }).collect();
        let controller =
            Controller::new(ControllerConfig { replicas, unclean_leader_election: config.unclean_leader_election });
        let brokers =
            config.brokers.into_iter().map(|b| (b.broker_id, BrokerSlot::Running(Box::new(Broker::new(b))))).collect();
        let mut cluster = Cluster {
            now: 0,
            controller,
            brokers,
            consumers: config.consumers.into_iter().map(Consumer::new).collect(),
            producer: Producer::new(config.producer),
            network: Network::default(),
            timers: BTreeMap::new(),
            cut_racks: BTreeSet::new(),
            outages: BTreeSet::new(),
            producer_rack: config.producer_rack,
            metrics: Vec::new(),
            sessions: BTreeMap::new(),
            broker_session_timeout_ms: config.broker_session_timeout_ms,
            round_robin_cursor: None,
            black_hole: config.black_hole_outages,
            isr_propagation_ms: config.isr_propagation_ms,
            timeouts: BTreeMap::new(),
        };
        cluster.metrics = vec![ConsumerMetrics::default(); cluster.consumers.len()];
        let mut nodes = vec![NodeId::Controller];
        nodes.extend(cluster.brokers.keys().map(|b| NodeId::Broker(*b)));
        nodes.extend((0..cluster.consumers.len() as u32).map(NodeId::Consumer));
        nodes.push(NodeId::Producer);
        for node in nodes {
            cluster.step_node(node, Input::Start);
        }
        cluster
    }

    // --- explicit steps ---

    /// Deliver the head message of `from -> to`.
    pub fn deliver(&mut self, from: NodeId, to: NodeId) -> Result<StepOutputs, SimError> {
        let message = self.network.pop(from, to).ok_or(SimError::NoMessage { from, to })?;
        self.round_robin_cursor = Some((from, to));
        let mut outputs = self.step_node(to, Input::Message { from, message });
        // Across a one-way outage a request can arrive whose answer cannot go back: its
        // connection is as good as reset, as the requester finds out.
        if !self.outages.is_empty() {
            outputs.extend(self.reset_waiting_requests());
        }
        Ok(outputs)
    }

    /// Lose the head message of `from -> to` (a lossy network). Controller notices cannot be
    /// lost: they stand for the metadata log, which brokers fetch until they have it all.
    pub fn drop_message(&mut self, from: NodeId, to: NodeId) -> Result<Message, SimError> {
        match self.network.peek(from, to) {
            None => return Err(SimError::NoMessage { from, to }),
            Some(Message::PartitionChange(_)) => return Err(SimError::ReliableMessage { from, to }),
            Some(_) => {}
        }
        let message = self.network.pop(from, to).ok_or(SimError::NoMessage { from, to })?;
        self.signal_lost(vec![((from, to), message.clone())]);
        Ok(message)
    }

    /// Fire a pending timer; the clock moves to its deadline if that is later.
    pub fn fire_timer(&mut self, node: NodeId, timer: TimerKind) -> Result<StepOutputs, SimError> {
        let deadline = self.timers.remove(&(node, timer)).ok_or(SimError::NoTimer { node, timer })?;
        self.now = self.now.max(deadline);
        Ok(self.step_node(node, Input::Timer(timer)))
    }

    /// Let `ms` of time pass with nothing happening: no timer fires, no message arrives and no
    /// request times out, whatever falls due. A driver that schedules every event itself (the
    /// conformance adapter) moves the clock so; [`Cluster::run_for`] is the fair schedule.
    pub fn pass_time(&mut self, ms: Millis) {
        self.now = self.now.saturating_add(ms);
    }

    /// Crash a running broker: its log and HW checkpoint survive, its connections and timers do not.
    pub fn crash(&mut self, broker: BrokerId) -> Result<StepOutputs, SimError> {
        let slot = self.brokers.get_mut(&broker).ok_or(SimError::UnknownNode(NodeId::Broker(broker)))?;
        let BrokerSlot::Running(running) = slot else { return Err(SimError::BrokerDown(broker)) };
        let (config, durable) = (running.config().clone(), running.durable_state());
        let waiting = running.waiting_requesters();
        let node = NodeId::Broker(broker);
        // Requests waiting at the broker are open connections too: their clients learn first.
        let mut outputs = Vec::new();
        for requester in waiting {
            outputs.extend(self.step_node(requester, Input::Disconnected(node)));
        }
        let slot = self.brokers.get_mut(&broker).expect("checked above");
        *slot = BrokerSlot::Crashed { config, durable };
        self.forget_timeouts(node);
        self.timers.retain(|(n, _), _| *n != node);
        let lost = self.network.reset_links(|(from, to)| from != node && to != node);
        outputs.extend(self.signal_lost(lost));
        outputs.extend(self.reset_waiting_requests());
        // Cut off from the controller, its heartbeats had stopped already.
        if self.reachable(node, NodeId::Controller) {
            self.stop_heartbeats(broker);
        }
        Ok(outputs)
    }

    /// Restart a crashed broker from its durable state.
    pub fn restart(&mut self, broker: BrokerId) -> Result<StepOutputs, SimError> {
        // `ClusterControlManager.registerBroker` refuses a broker whose previous session is
        // still running (`DuplicateBrokerRegistrationException`): it registers once that session
        // has expired, fenced, and is unfenced when it has caught up with the metadata log.
        let running_session = self.sessions.contains_key(&broker);
        let slot = self.brokers.get_mut(&broker).ok_or(SimError::UnknownNode(NodeId::Broker(broker)))?;
        let BrokerSlot::Crashed { config, durable } = slot else { return Err(SimError::BrokerUp(broker)) };
        if running_session {
            return Err(SimError::SessionRunning(broker));
        }
        *slot = BrokerSlot::Running(Box::new(Broker::recover(config.clone(), durable.clone())));
        let mut outputs = self.step_node(NodeId::Broker(broker), Input::Start);
        if self.reachable(NodeId::Broker(broker), NodeId::Controller) {
            outputs.extend(self.step_node(NodeId::Controller, Input::BrokerUnfenced(broker)));
        }
        Ok(outputs)
    }

    /// Make every broker in `rack` unreachable from outside it.
    pub fn cut_rack(&mut self, rack: &str) -> Result<StepOutputs, SimError> {
        let members = self.brokers_in_rack(rack)?;
        if !self.cut_racks.insert(rack.to_string()) {
            return Err(SimError::RackAlreadyCut(rack.to_string()));
        }
        let outputs = self.reset_unreachable();
        let running: Vec<BrokerId> = members.into_iter().filter(|b| self.is_running(*b)).collect();
        for broker in running {
            self.stop_heartbeats(broker);
        }
        Ok(outputs)
    }

    /// Make a cut rack reachable again.
    pub fn heal_rack(&mut self, rack: &str) -> Result<StepOutputs, SimError> {
        let members = self.brokers_in_rack(rack)?;
        if !self.cut_racks.remove(rack) {
            return Err(SimError::RackNotCut(rack.to_string()));
        }
        let mut outputs = Vec::new();
        let mut running: Vec<BrokerId> = members.into_iter().filter(|b| self.is_running(*b)).collect();
        // Heartbeats resume where nothing else cuts the broker off from the controller: a session
        // that has not expired goes on, unnoticed.
        running.retain(|b| self.reachable(NodeId::Broker(*b), NodeId::Controller));
        for broker in running {
            let input = match self.sessions.remove(&broker) {
                None => Input::BrokerUnfenced(broker),
                // Never fenced, but the controller's notices were lost while it was cut off.
                Some(_) => Input::BrokerReconnected(broker),
            };
            outputs.extend(self.step_node(NodeId::Controller, input));
        }
        Ok(outputs)
    }

    /// The session of a broker whose heartbeats stopped expires: the clock moves to its end if
    /// that is later, and the controller fences the broker
    /// (`ReplicationControlManager.maybeFenceOneStaleBroker`).
    pub fn expire_session(&mut self, broker: BrokerId) -> Result<StepOutputs, SimError> {
        let deadline = self.sessions.remove(&broker).ok_or(SimError::NoSession(broker))?;
        self.now = self.now.max(deadline);
        Ok(self.step_node(NodeId::Controller, Input::BrokerFenced(broker)))
    }

    /// Brokers whose heartbeats stopped and whose session has not expired yet, with when it will.
    pub fn pending_sessions(&self) -> impl Iterator<Item = (BrokerId, Millis)> + '_ {
        self.sessions.iter().map(|(b, d)| (*b, *d))
    }

    /// A broker stops heartbeating (crashed, or cut off from the controller): its session runs
    /// out `broker.session.timeout.ms` from now, unless it already stopped.
    fn stop_heartbeats(&mut self, broker: BrokerId) {
        // A broker already fenced has no session left to run out.
        if self.controller.fenced().contains(&broker) {
            return;
        }
        let deadline = self.now.saturating_add(self.broker_session_timeout_ms);
        self.sessions.entry(broker).or_insert(deadline);
    }

    /// The producer's application sends a record with this value.
    pub fn produce(&mut self, value: u64) -> StepOutputs {
        self.step_node(NodeId::Producer, Input::Produce(value))
    }

    /// A consumer's application seeks.
    pub fn seek(&mut self, consumer: u32, to: SeekTo) -> Result<StepOutputs, SimError> {
        if consumer as usize >= self.consumers.len() {
            return Err(SimError::UnknownNode(NodeId::Consumer(consumer)));
        }
        Ok(self.step_node(NodeId::Consumer(consumer), Input::Seek(to)))
    }

    // --- schedules ---

    /// Deliver messages round robin over busy connections until none is in flight or `max_steps`
    /// deliveries were made. Timers do not fire.
    pub fn run_until_quiet(&mut self, max_steps: usize) -> Drive {
        for steps in 0..max_steps {
            if !self.deliver_next() {
                return Drive { steps, settled: true };
            }
        }
        Drive { steps: max_steps, settled: self.network.is_empty() }
    }

    /// Run for `duration_ms` of simulated time: deliver messages round robin while any is in
    /// flight, otherwise fire the earliest timer due within the duration. Ends with the clock at
    /// `now + duration_ms`, unless `max_steps` ran out first.
    pub fn run_for(&mut self, duration_ms: Millis, max_steps: usize) -> Drive {
        let end = self.now.saturating_add(duration_ms);
        for steps in 0..max_steps {
            if self.step(end).is_none() {
                self.now = end;
                return Drive { steps, settled: true };
            }
        }
        Drive { steps: max_steps, settled: false }
    }

    /// One step of the fair schedule: deliver the next message that has arrived, round robin;
    /// otherwise take the earliest event due by `until`: a message arriving, a silently lost
    /// request timing out, a session expiring, a timer (ties in that order; timers by node, then
    /// kind). `None` when there is nothing to do before `until`.
    pub fn step(&mut self, until: Millis) -> Option<StepOutputs> {
        if let Some((from, to)) = self.network.next_arrived_after(self.round_robin_cursor, self.now) {
            return self.deliver(from, to).ok();
        }
        let arrival = self.network.next_arrival().filter(|(_, at)| *at <= until);
        let timer = self.timers.iter().filter(|(_, d)| **d <= until).min_by_key(|(key, d)| (**d, **key));
        let session = self.sessions.iter().filter(|(_, d)| **d <= until).min_by_key(|(b, d)| (**d, **b));
        // A silently lost request times out no later than the next timer or session: it goes first.
        let due = |d: Millis| timer.is_none_or(|(_, t)| d <= *t) && session.is_none_or(|(_, s)| d <= *s);
        let timeout = self.next_timeout(until).filter(|(_, d)| due(*d));
        // A message arriving no later than anything else is delivered first.
        if let Some(((from, to), at)) = arrival.filter(|(_, at)| due(*at) && timeout.is_none_or(|(_, d)| *at <= d)) {
            self.now = self.now.max(at);
            return self.deliver(from, to).ok();
        }
        if let Some(((requester, peer), _)) = timeout {
            return Some(self.time_out(requester, peer));
        }
        match (timer, session) {
            // A session expiring no later than the next timer goes first.
            (_, Some((&broker, &expires))) if timer.is_none_or(|(_, due)| expires <= *due) => {
                self.expire_session(broker).ok()
            }
            (Some((&(node, timer), _)), _) => self.fire_timer(node, timer).ok(),
            (None, _) => None,
        }
    }

    fn deliver_next(&mut self) -> bool {
        let Some((from, to)) = self.network.next_link_after(self.round_robin_cursor) else { return false };
        self.deliver(from, to).is_ok()
    }

    // --- plumbing ---

    fn step_node(&mut self, node: NodeId, input: Input) -> StepOutputs {
        let now = self.now;
        let preferred = self.preferred_of(node);
        let outputs = match node {
            NodeId::Controller => self.controller.handle(now, input),
            NodeId::Broker(id) => match self.brokers.get_mut(&id) {
                Some(BrokerSlot::Running(broker)) => broker.handle(now, input),
                _ => Vec::new(),
            },
            NodeId::Consumer(id) => match self.consumers.get_mut(id as usize) {
                Some(consumer) => consumer.handle(now, input),
                None => Vec::new(),
            },
            NodeId::Producer => self.producer.handle(now, input),
        };
        if let Some(before) = preferred {
            self.count_preferred(node, before);
        }
        let mut lost = Vec::new();
        let mut closed = Vec::new();
        for output in &outputs {
            if let Output::Send { to, message } = output {
                self.count_answer(node, *to, message);
            }
            if let Output::Disconnect(peer) = output {
                // In order: what the node sends after closing goes on a new connection.
                closed.extend(self.close_connection(node, *peer));
            }
            if let Some(message) = self.apply(node, output) {
                lost.push(message);
            }
        }
        let mut all: StepOutputs = outputs.into_iter().map(|o| (node, o)).collect();
        all.extend(closed);
        all.extend(self.signal_lost(lost));
        all
    }

    /// Connections that can no longer carry their messages reset: what is in flight on them is
    /// lost, and the requests waiting at a broker for an answer that cannot reach its client.
    fn reset_unreachable(&mut self) -> StepOutputs {
        let reachable: Vec<Link> = self.network.busy_links().filter(|(a, b)| self.reachable(*a, *b)).collect();
        let lost = self.network.reset_links(|link| reachable.contains(&link));
        let mut outputs = self.signal_lost(lost);
        outputs.extend(self.reset_waiting_requests());
        outputs
    }

    /// Requests waiting at a broker whose client it can no longer reach: the broker forgets
    /// them, then each client learns its connection reset.
    fn reset_waiting_requests(&mut self) -> StepOutputs {
        let mut outputs = Vec::new();
        let brokers: Vec<BrokerId> = self.brokers.keys().copied().collect();
        for broker in brokers {
            let node = NodeId::Broker(broker);
            let Some(BrokerSlot::Running(running)) = self.brokers.get(&broker) else { continue };
            // With outages that black-hole messages, a request parked here is as good as gone
            // when its requester can no longer reach this broker either: Kafka would answer it at
            // its deadline, and the next request, lost, would time out.
            let cut_off: Vec<NodeId> = running
                .waiting_requesters()
                .into_iter()
                .filter(|r| {
                    !self.is_up(*r) || !self.reachable(node, *r) || (self.black_hole && !self.reachable(*r, node))
                })
                .collect();
            for requester in &cut_off {
                outputs.extend(self.step_node(node, Input::Disconnected(*requester)));
            }
            for requester in cut_off {
                if self.black_hole && self.is_up(requester) {
                    self.await_timeout(requester, node);
                } else {
                    outputs.extend(self.step_node(requester, Input::Disconnected(node)));
                }
            }
        }
        outputs
    }

    /// `node` closes its connection to `peer`: what is in flight on it either way is lost, and
    /// the peer, if up, learns that the connection reset (the node knows already).
    fn close_connection(&mut self, node: NodeId, peer: NodeId) -> StepOutputs {
        self.network.reset_links(|(a, b)| !((a == node && b == peer) || (a == peer && b == node)));
        self.forget_timeout(node, peer);
        if self.is_up(peer) {
            self.step_node(peer, Input::Disconnected(node))
        } else {
            Vec::new()
        }
    }

    /// Messages lost with their connection: both ends learn of the reset, the requester first
    /// (it retries), then the other (it forgets what it kept for the request). A crashed end
    /// learns nothing.
    fn signal_lost(&mut self, lost: Vec<(Link, Message)>) -> StepOutputs {
        let mut outputs = Vec::new();
        for ((from, to), message) in lost {
            let (requester, responder) = if message.is_request() { (from, to) } else { (to, from) };
            let silent = self.lost_silently(from, to);
            for (node, peer) in [(requester, responder), (responder, requester)] {
                if silent && node == requester {
                    self.await_timeout(requester, responder);
                } else if self.is_up(node) {
                    outputs.extend(self.step_node(node, Input::Disconnected(peer)));
                }
            }
        }
        outputs
    }

    /// Carry out one output; a message that cannot be sent is returned, lost.
    fn apply(&mut self, node: NodeId, output: &Output) -> Option<(Link, Message)> {
        match output {
            Output::Send { to, message } => {
                if self.is_up(*to) && self.reachable(node, *to) {
                    let delay = match (node, to, message) {
                        (NodeId::Controller, NodeId::Broker(_), Message::PartitionChange(_)) => self.isr_propagation_ms,
                        _ => 0,
                    };
                    self.network.push_arriving(node, *to, message.clone(), self.now.saturating_add(delay));
                } else {
                    return Some(((node, *to), message.clone()));
                }
            }
            Output::SetTimer { timer, after_ms } => {
                self.timers.insert((node, *timer), self.now.saturating_add(*after_ms));
            }
            Output::CancelTimer(timer) => {
                self.timers.remove(&(node, *timer));
            }
            Output::DeliverRecords(_) | Output::Acknowledged { .. } | Output::Ignored(_) | Output::Disconnect(_) => {}
        }
        None
    }

    fn rack_of(&self, broker: BrokerId) -> Option<Rack> {
        match self.brokers.get(&broker)? {
            BrokerSlot::Running(b) => b.config().rack.clone(),
            BrokerSlot::Crashed { config, .. } => config.rack.clone(),
        }
    }

    fn brokers_in_rack(&self, rack: &str) -> Result<Vec<BrokerId>, SimError> {
        let members: Vec<BrokerId> =
            self.brokers.keys().copied().filter(|b| self.rack_of(*b).as_deref() == Some(rack)).collect();
        if members.is_empty() {
            return Err(SimError::UnknownRack(rack.to_string()));
        }
        Ok(members)
    }

    /// The cut rack a node is isolated in, if any.
    fn isolation(&self, node: NodeId) -> Option<Rack> {
        let NodeId::Broker(b) = node else { return None };
        self.rack_of(b).filter(|r| self.cut_racks.contains(r))
    }

    /// Whether a message from `from` gets to `to`: both on the same side of every rack cut,
    /// and no outage losing it.
    pub fn reachable(&self, from: NodeId, to: NodeId) -> bool {
        self.isolation(from) == self.isolation(to) && !self.blocked(from, to)
    }

    fn is_running(&self, broker: BrokerId) -> bool {
        matches!(self.brokers.get(&broker), Some(BrokerSlot::Running(_)))
    }

    fn is_up(&self, node: NodeId) -> bool {
        match node {
            NodeId::Broker(b) => self.is_running(b),
            NodeId::Consumer(c) => (c as usize) < self.consumers.len(),
            NodeId::Controller | NodeId::Producer => true,
        }
    }

    // --- what tests and replay read ---

    /// The simulated clock.
    pub fn now(&self) -> Millis {
        self.now
    }

    /// The controller.
    pub fn controller(&self) -> &Controller {
        &self.controller
    }

    /// A running broker.
    pub fn broker(&self, id: BrokerId) -> Option<&Broker> {
        match self.brokers.get(&id)? {
            BrokerSlot::Running(b) => Some(b),
            BrokerSlot::Crashed { .. } => None,
        }
    }

    /// A consumer.
    pub fn consumer(&self, id: u32) -> Option<&Consumer> {
        self.consumers.get(id as usize)
    }

    /// The producer.
    pub fn producer(&self) -> &Producer {
        &self.producer
    }

    /// Messages in flight.
    pub fn network(&self) -> &Network {
        &self.network
    }

    /// Pending timers and their deadlines, in a fixed order.
    pub fn timers(&self) -> impl Iterator<Item = (NodeId, TimerKind, Millis)> + '_ {
        self.timers.iter().map(|(&(n, t), &d)| (n, t, d))
    }

    /// Every broker id, crashed or not.
    pub fn broker_ids(&self) -> Vec<BrokerId> {
        self.brokers.keys().copied().collect()
    }

    /// Every rack that has a broker, sorted.
    pub fn racks(&self) -> Vec<Rack> {
        let racks: BTreeSet<Rack> = self.brokers.keys().filter_map(|b| self.rack_of(*b)).collect();
        racks.into_iter().collect()
    }

    /// Racks currently cut.
    pub fn cut_racks(&self) -> Vec<Rack> {
        self.cut_racks.iter().cloned().collect()
    }

    /// The observable state of every node.
    pub fn state(&self) -> ClusterState {
        let brokers = self
            .brokers
            .iter()
            .map(|(id, slot)| match slot {
                BrokerSlot::Running(b) => BrokerView::of_running(b),
                BrokerSlot::Crashed { config, durable } => BrokerView::of_crashed(*id, config.rack.clone(), durable),
            })
            .collect();
        ClusterState {
            now: self.now,
            controller: ControllerView::of(&self.controller),
            brokers,
            consumers: self.consumers.iter().map(ConsumerView::of).collect(),
            producer: ProducerView::of(&self.producer),
            cut_racks: self.cut_racks(),
            messages_in_flight: self.network.len(),
        }
    }
}
