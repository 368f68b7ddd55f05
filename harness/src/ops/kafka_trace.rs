//! A real Kafka run's history as a trace file, so that `highwater view` shows it as it shows the
//! model's: a sequence diagram of every request and answer between the clients and the brokers,
//! the faults, and at each step what the clients held.
//!
//! A step is one event of the history: a request sent (a delivery from the client to the
//! broker), an answer received (from the broker to the client), a connection lost (a drop), a
//! cut, heal, crash, restart, seek or produce. The view after each step holds what the run
//! observed: the consumer as the protocol crate's `Consumer` reported it, the records it was
//! handed with the replica and high watermark that served them, the partition as the last
//! Metadata answer described it, the outages on, and as the ghost's committed log the final
//! read, up to the highest offset delivered or acknowledged so far. The brokers' own state (their logs, their high watermarks) is not observed, so the
//! views hold no brokers: the properties about them hold vacuously here, and the ones a client
//! can judge are judged as the run's report judges them.

use highwater_kafka::history::{ConsumerState, What};
use highwater_kafka::scenario::{Outcome, CONSUMER_RACK};
use highwater_model::ModelConfig;
use highwater_protocol::Message as ProtocolMessage;
use highwater_traces::{
    Action, ClusterView, ConsumerView, Delivery, Fate, Ghost, NodeId, Outage, Record, SeekTo, StateMeta, StepMessage,
    Trace, TraceMeta, TraceState, FORMAT, VARS,
};

/// The preset a real run's trace names: `kafka` and the scenario.
pub fn preset_name(scenario: &str) -> String {
    format!("kafka {scenario}")
}

/// The model configuration that describes the real cluster: brokers 1, 2, 3 in racks a, b, b,
/// one consumer in rack b, Kafka's semantics and rack-aware selection.
pub fn config() -> ModelConfig {
    let mut cfg = highwater_model::preset("smoke").expect("the smoke preset").config();
    cfg.broker_racks = vec!["a".into(), "b".into(), "b".into()];
    cfg.consumer_racks = vec![Some(CONSUMER_RACK.to_string())];
    cfg
}

/// The trace of a scenario's outcome.
pub fn trace(outcome: &Outcome, kafka: &str) -> Trace {
    let cfg = config();
    let committed: Vec<Record> =
        outcome.final_read.records.iter().map(|r| Record { epoch: r.epoch, value: r.value }).collect();
    let mut view = ClusterView {
        ghost: Ghost { true_hw: outcome.final_read.high_watermark, ..Ghost::default() },
        consumers: vec![ConsumerView { id: 0, rack: Some(CONSUMER_RACK.into()), ..ConsumerView::default() }],
        ..ClusterView::default()
    };
    view.controller.leader = -1;
    let mut states = vec![TraceState {
        meta: StateMeta { index: 0 },
        action_taken: "init".into(),
        action: None,
        messages: Vec::new(),
        view: view.clone(),
    }];
    for (index, event) in outcome.history.events.iter().enumerate() {
        let (action, messages) = match &event.what {
            What::Sent { client, broker, message, .. } => {
                let from = node(client);
                let to = NodeId::Broker(*broker);
                (Some(Action::Deliver { from, to }), vec![moved(from, to, message)])
            }
            What::Received { client, broker, message, .. } => {
                if let ProtocolMessage::MetadataResponse(m) = message {
                    take_partition(&mut view, m.leader_id, m.leader_epoch, &m.isr_nodes);
                }
                let from = NodeId::Broker(*broker);
                let to = node(client);
                (Some(Action::Deliver { from, to }), vec![moved(from, to, message)])
            }
            What::ConnectionLost { client, broker, .. } => {
                (Some(Action::Drop { from: node(client), to: NodeId::Broker(*broker) }), Vec::new())
            }
            What::Delivered { served_by, records, .. } => {
                let served_hw = highwater_kafka::judge::read_bound(&outcome.history, index);
                let consumer = &mut view.consumers[0];
                consumer.delivered.extend(records.iter().map(|r| Delivery {
                    offset: r.offset,
                    record: Record { epoch: r.epoch, value: r.value },
                    served_by: *served_by,
                    served_hw,
                }));
                (None, Vec::new())
            }
            What::Acknowledged { value, offset } => {
                view.ghost.acked.push((*value, *offset));
                (None, Vec::new())
            }
            What::Consumer { state, .. } => {
                take_consumer(&mut view.consumers[0], state);
                (None, Vec::new())
            }
            What::Partition { leader, leader_epoch, isr, .. } => {
                take_partition(&mut view, *leader, *leader_epoch, isr);
                (None, Vec::new())
            }
            // The producer's sends show as its requests; a step for each value asked for would
            // only lengthen the trace.
            What::Produced { .. } => (None, Vec::new()),
            What::Step { what } => (step(what, &mut view), Vec::new()),
        };
        // The committed log is the final read, cut where the run has got to: the records
        // delivered or acknowledged so far, which is all a property compares with it.
        let reached =
            view.consumers[0].delivered.iter().map(|d| d.offset + 1).chain(view.ghost.acked.iter().map(|a| a.1 + 1));
        let upto = reached.max().unwrap_or(0).clamp(0, committed.len() as i64) as usize;
        if view.ghost.committed.len() != upto {
            view.ghost.committed = committed[..upto].to_vec();
        }
        match action {
            Some(action) => states.push(TraceState {
                meta: StateMeta { index: states.len() as u64 },
                action_taken: action.kind().to_string(),
                action: Some(action),
                messages,
                view: view.clone(),
            }),
            // What changes the view without a step of its own shows in the step before it.
            None => states.last_mut().expect("the initial state").view = view.clone(),
        }
    }
    let semantics = cfg.semantics;
    Trace {
        meta: TraceMeta {
            format: FORMAT.to_string(),
            format_description: "ITF (Apalache ADR-015); highwater's layout in traces/README.md".to_string(),
            source: format!("highwater {}", env!("CARGO_PKG_VERSION")),
            description: format!(
                "{kafka}, scenario {}: {}; what the clients saw, the brokers' own state unobserved",
                outcome.scenario, outcome.about
            ),
            preset: preset_name(&outcome.scenario),
            config: serde_json::to_string(&cfg).expect("a config is plain data"),
            bugs: String::new(),
            semantics: semantics.name().to_string(),
            property: String::new(),
            verdict: String::new(),
            checker: "apache-kafka".to_string(),
            seed: String::new(),
            steps_found: (states.len() - 1).to_string(),
            liveness_bound: String::new(),
            protocol_bugs: String::new(),
            continuation_from: String::new(),
        },
        vars: VARS.iter().map(|v| v.to_string()).collect(),
        states,
    }
}

fn node(client: &str) -> NodeId {
    match client.strip_prefix("consumer-").and_then(|n| n.parse().ok()) {
        Some(n) => NodeId::Consumer(n),
        None => NodeId::Producer,
    }
}

fn moved(from: NodeId, to: NodeId, message: &ProtocolMessage) -> StepMessage {
    StepMessage { from, to, fate: Fate::Delivered, message: crate::adapter::trace_message(message) }
}

fn take_partition(view: &mut ClusterView, leader: i32, leader_epoch: i32, isr: &[i32]) {
    view.controller.leader = leader;
    view.controller.leader_epoch = leader_epoch;
    view.controller.isr = isr.to_vec();
}

fn take_consumer(consumer: &mut ConsumerView, state: &ConsumerState) {
    let delivered = std::mem::take(&mut consumer.delivered);
    *consumer = highwater_kafka::judge::consumer_view(consumer.id, consumer.rack.take(), state, delivered);
}

/// A scenario step as an action, the outages it starts or ends applied to the view.
fn step(what: &str, view: &mut ClusterView) -> Option<Action> {
    let outage = |text: &str| view_outage(text);
    if let Some(o) = what.strip_prefix("cut: ").and_then(outage) {
        view.outages.push(o.clone());
        return Some(Action::Cut { outage: o });
    }
    if let Some(o) = what.strip_prefix("heal: ").and_then(outage) {
        view.outages.retain(|on| *on != o);
        return Some(Action::Heal { outage: o });
    }
    if let Some(b) = what.strip_prefix("kill broker ").and_then(|b| b.parse().ok()) {
        return Some(Action::Crash { broker: b });
    }
    if let Some(b) = what.strip_prefix("restart broker ").and_then(|b| b.parse().ok()) {
        return Some(Action::Restart { broker: b });
    }
    match what {
        "seek consumer-0 to the beginning" => return Some(Action::Seek { consumer: 0, to: SeekTo::Beginning }),
        "seek consumer-0 to the end" => return Some(Action::Seek { consumer: 0, to: SeekTo::End }),
        "seek consumer-0 to offset 0" => return Some(Action::Seek { consumer: 0, to: SeekTo::Offset(0) }),
        _ => {}
    }
    None
}

/// The outage a step's words name (`Outage`'s own `Display`).
fn view_outage(text: &str) -> Option<Outage> {
    let rack = |r: &str| r.to_string();
    if let Some(r) = text.strip_prefix("rack ").and_then(|t| t.strip_suffix(" isolated")) {
        return Some(Outage::Rack { rack: rack(r) });
    }
    if let Some((a, b)) = text.strip_prefix("link ").and_then(|t| t.split_once(" <-> ")) {
        return Some(Outage::Link { a: rack(a), b: rack(b) });
    }
    let (from, to) = text.strip_prefix("link ")?.strip_suffix(" (one way)")?.split_once(" -> ")?;
    Some(Outage::OneWay { from: rack(from), to: rack(to) })
}
