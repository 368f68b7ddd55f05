//! What conformance compares besides the views: the messages in flight on every link (sender,
//! receiver, API and every field), the messages each step delivered (the requests and answers to
//! clients that never wait in flight between steps), and the timers each node has set. A request
//! sent to the wrong broker, or with a wrong field, parts from the model in the step that sends
//! it, not only when its answer happens to differ.
//!
//! The model lets a timer lapse when its firing could change nothing (`docs/model.md`,
//! "What the model forgets"); the protocol crate keeps such timers armed. A timer set here and
//! not in the model is therefore accepted when firing it, on a copy, changes neither a node's
//! state nor what is in flight.

use highwater_traces::{Action, ClusterView, Fate, Message, NodeId, StepMessage, TimerKind};
use serde_json::Value;

use super::convert::{message, node_back, timer_back};
use super::Implementation;
use crate::viewdiff::FieldDiff;

/// The messages in flight and the timers set, in the suite's vocabulary.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Wire {
    /// Each busy link with its queue, oldest first, in link order.
    pub links: Vec<(NodeId, NodeId, Vec<Message>)>,
    /// Every timer set, sorted.
    pub timers: Vec<(NodeId, TimerKind)>,
}

impl Implementation {
    /// What is in flight and which timers are set now.
    pub fn wire(&self) -> Wire {
        let network = self.sim.network();
        let mut links: Vec<(NodeId, NodeId, Vec<Message>)> = network
            .busy_links()
            .map(|(from, to)| (node_back(from), node_back(to), network.queue(from, to).map(message).collect()))
            .collect();
        links.sort_by_key(|(from, to, _)| (*from, *to));
        let mut timers: Vec<(NodeId, TimerKind)> =
            self.sim.timers().map(|(at, kind, _)| (node_back(at), timer_back(kind))).collect();
        timers.sort();
        Wire { links, timers }
    }

    /// The first difference between `expected` (the model's) and what is in flight and set here.
    pub fn wire_differs(&self, expected: &Wire) -> Option<FieldDiff> {
        let actual = self.wire();
        let mut expected_links = expected.links.clone();
        expected_links.sort_by_key(|(from, to, _)| (*from, *to));
        let links = |all: &[(NodeId, NodeId, Vec<Message>)]| {
            all.iter().map(|(from, to, _)| (*from, *to)).collect::<std::collections::BTreeSet<_>>()
        };
        for (from, to) in links(&expected_links).union(&links(&actual.links)) {
            let queue = |all: &[(NodeId, NodeId, Vec<Message>)]| {
                all.iter().find(|(f, t, _)| (f, t) == (from, to)).map(|(_, _, q)| q.clone()).unwrap_or_default()
            };
            let (e, a) = (queue(&expected_links), queue(&actual.links));
            if e != a {
                return Some(FieldDiff {
                    node: "in-flight".to_string(),
                    field: format!("{from}->{to}"),
                    expected: json(&e),
                    actual: json(&a),
                });
            }
        }
        if let Some((node, kind)) = expected.timers.iter().find(|t| !actual.timers.contains(t)) {
            return Some(timer_diff(*node, *kind, true));
        }
        let extra = actual.timers.iter().filter(|t| !expected.timers.contains(t));
        extra
            .copied()
            .find(|(node, kind)| !self.abstracted_timer(*node, *kind) && !self.timer_is_idle(*node, *kind))
            .map(|(n, k)| timer_diff(n, k, false))
    }

    /// The first difference between the messages the model's step delivered (`recorded`, a
    /// trace step's messages) and those this step delivered: sender, receiver and every field.
    pub fn delivered_differs(&self, recorded: &[StepMessage]) -> Option<FieldDiff> {
        let expected: Vec<_> =
            recorded.iter().filter(|m| m.fate == Fate::Delivered).map(|m| (m.from, m.to, m.message.clone())).collect();
        (expected != self.delivered).then(|| {
            let json = |all: &[(NodeId, NodeId, Message)]| {
                let rows = all
                    .iter()
                    .map(|(from, to, message)| serde_json::json!({"from": from, "to": to, "message": message}));
                Value::Array(rows.collect())
            };
            FieldDiff {
                node: "delivered".to_string(),
                field: "this step's messages".to_string(),
                expected: json(&expected),
                actual: json(&self.delivered),
            }
        })
    }

    /// The timers the model leaves out on purpose (`docs/model.md`): every client's request
    /// timeout (the `consumer-fetch`, `replica-fetch` or `produce-retry` timer of a node with a
    /// request outstanding), a consumer's periodic metadata refresh while it holds no lease, and
    /// the ISR check once the configuration's `isr-expiration` ticks are spent.
    fn abstracted_timer(&self, node: NodeId, timer: TimerKind) -> bool {
        match (node, timer) {
            (NodeId::Consumer(c), TimerKind::ConsumerFetch) => {
                self.sim.consumer(c).is_some_and(|c| c.request_outstanding())
            }
            (NodeId::Consumer(c), TimerKind::MetadataRefresh) => {
                self.sim.consumer(c).is_some_and(|c| c.preferred_read_replica().is_none())
            }
            (NodeId::Broker(b), TimerKind::ReplicaFetch) => {
                self.sim.broker(b).and_then(|b| b.follower_state()).is_some_and(|f| f.fetch_in_flight)
            }
            (NodeId::Producer, TimerKind::ProduceRetry) => self.sim.producer().request_outstanding(),
            (NodeId::Broker(_), TimerKind::IsrExpiration) => self.isr_ticks_left == 0,
            _ => false,
        }
    }

    /// Whether firing this timer now would change no node's state and nothing in flight beyond
    /// what any step's settling would (the requests and answers delivered within a step).
    fn timer_is_idle(&self, node: NodeId, timer: TimerKind) -> bool {
        let mut settled = self.clone();
        settled.settle();
        settled.take_outdated();
        let mut fired = self.clone();
        fired.step(&Action::Timer { node, timer }).is_ok()
            && (nodes(&fired.view()), fired.wire().links) == (nodes(&settled.view()), settled.wire().links)
    }
}

/// A view's nodes, without the ghost history a step moves on.
fn nodes(view: &ClusterView) -> Value {
    let mut value = serde_json::to_value(view).expect("plain data");
    if let Some(fields) = value.as_object_mut() {
        fields.retain(|k, _| matches!(k.as_str(), "controller" | "brokers" | "consumers"));
    }
    value
}

/// Every field of each message, so that the first difference shows whatever field it is in.
fn json(messages: &[Message]) -> Value {
    serde_json::to_value(messages).expect("plain data")
}

fn timer_diff(node: NodeId, timer: TimerKind, in_model: bool) -> FieldDiff {
    let (set, unset) = (Value::String(format!("{} set", timer.name())), Value::String("not set".to_string()));
    let (expected, actual) = if in_model { (set, unset) } else { (unset, set) };
    FieldDiff { node: node.to_string(), field: format!("timers.{}", timer.name()), expected, actual }
}
