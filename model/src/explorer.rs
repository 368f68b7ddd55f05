//! What stateright's Explorer shows of the model: each step as the messages it moved and the
//! cluster after it, in words, and the path as a sequence diagram drawn in the trace viewer's
//! visual language (a lane per node, an arrow per message, red for errors and losses).

use std::fmt::Write;

use highwater_traces::{Action, ClusterView, Fate, NodeId, Role, StepMessage};
use stateright::{Model, Path};

use crate::cluster::{ClusterModel, ClusterState};
use crate::view::view;

const LANE: usize = 170;
const LEFT: usize = 24;
const ROW: usize = 18;
const TOP: usize = 40;

impl ClusterModel {
    /// A recording copy of this model: the same configuration, recording the messages it moves.
    fn recorder(&self) -> ClusterModel {
        ClusterModel::new((*self.cfg).clone()).recording()
    }

    /// The messages `action` moves from `last`, and the state it leads to.
    fn step_recorded(&self, last: &ClusterState, action: &Action) -> Option<(Vec<StepMessage>, ClusterState)> {
        let recorder = self.recorder();
        let next = recorder.next_state(last, action.clone())?;
        Some((recorder.take_messages(), next))
    }

    /// The Explorer's text for a step: what moved, then the cluster after it.
    pub(crate) fn describe_step(&self, last: &ClusterState, action: &Action) -> Option<String> {
        let (messages, next) = self.step_recorded(last, action)?;
        let mut s = format!("{action}\n");
        for m in &messages {
            let fate = if m.fate == Fate::Delivered { String::new() } else { format!(" ({})", m.fate.name()) };
            let _ = writeln!(s, "  {} -> {}: {}{fate}", m.from, m.to, m.message.label());
        }
        s.push('\n');
        s.push_str(&describe_view(&view(self, &next)));
        Some(s)
    }

    /// The path as a sequence diagram: a lane per node, a row per message.
    pub(crate) fn sequence_svg(&self, path: &Path<ClusterState, Action>) -> String {
        let lanes = self.lanes();
        let x = |node: NodeId| LEFT + lanes.iter().position(|(n, _)| *n == node).unwrap_or(0) * LANE + LANE / 2;
        let mut rows: Vec<(usize, Option<StepMessage>, String)> = Vec::new();
        let states = path.clone().into_vec();
        for (step, window) in states.windows(2).enumerate() {
            let ((last, Some(action)), _) = (&window[0], &window[1]) else { continue };
            let messages = self.step_recorded(last, action).map(|(m, _)| m).unwrap_or_default();
            if messages.is_empty() {
                rows.push((step + 1, None, action.to_string()));
            }
            rows.extend(messages.into_iter().map(|m| (step + 1, Some(m), action.to_string())));
        }
        let width = LEFT + lanes.len() * LANE;
        let height = TOP + rows.len() * ROW + 10;
        let mut svg = format!(
            r##"<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" font-family="system-ui, sans-serif" font-size="10"><rect width="{width}" height="{height}" fill="#ffffff"/>"##
        );
        for (i, (node, label)) in lanes.iter().enumerate() {
            let cx = LEFT + i * LANE + LANE / 2;
            let label = escape(label);
            let _ = write!(
                svg,
                r##"<text x="{cx}" y="14" text-anchor="middle" font-weight="600" fill="#1d2330">{node}</text><text x="{cx}" y="27" text-anchor="middle" fill="#6b7280">{label}</text><line x1="{cx}" y1="{TOP}" x2="{cx}" y2="{height}" stroke="#d9dde3"/>"##
            );
        }
        for (row, (step, message, action)) in rows.iter().enumerate() {
            let y = TOP + row * ROW + ROW / 2;
            let _ = write!(svg, r##"<text x="2" y="{}" fill="#6b7280">{step}</text>"##, y + 3);
            match message {
                Some(m) => {
                    let (x1, x2) = (x(m.from), x(m.to));
                    let error = m.message.error_code().is_some_and(|e| e.name() != "NONE");
                    let colour = if error || m.fate == Fate::Lost { "#c62828" } else { "#2f5fb3" };
                    let dash = if m.fate == Fate::Delivered { "" } else { r#" stroke-dasharray="4 3""# };
                    // The label starts at the sender and runs along the arrow, so that it is never
                    // cut off at the diagram's edge.
                    let (head, label_x, anchor) =
                        if x2 >= x1 { (x2 - 5, x1 + 4, "start") } else { (x2 + 5, x1 - 4, "end") };
                    let _ = write!(
                        svg,
                        r#"<line x1="{x1}" y1="{y}" x2="{x2}" y2="{y}" stroke="{colour}"{dash}/><circle cx="{head}" cy="{y}" r="3" fill="{colour}"/><text x="{label_x}" y="{}" text-anchor="{anchor}" fill="{colour}">{}</text>"#,
                        y - 3,
                        escape(&short_label(m))
                    );
                }
                None => {
                    let _ = write!(svg, r##"<text x="{LEFT}" y="{}" fill="#b36b00">{}</text>"##, y + 3, escape(action));
                }
            }
        }
        svg.push_str("</svg>");
        svg
    }

    fn lanes(&self) -> Vec<(NodeId, String)> {
        let mut lanes = vec![(NodeId::Controller, String::new())];
        for broker in self.cfg.broker_ids() {
            lanes.push((NodeId::Broker(broker), format!("rack {}", self.cfg.rack_of(broker))));
        }
        for (i, rack) in self.cfg.consumer_racks.iter().enumerate() {
            let label = rack.as_ref().map_or("no client.rack".to_string(), |r| format!("client.rack {r}"));
            lanes.push((NodeId::Consumer(i as u32), label));
        }
        lanes.push((NodeId::Producer, String::new()));
        lanes
    }
}

/// The API and the first fields, short enough to sit on an arrow.
fn short_label(m: &StepMessage) -> String {
    let label = m.message.label();
    let mut words = label.split(' ').take(4).collect::<Vec<_>>().join(" ");
    if m.fate != Fate::Delivered {
        words.push_str(&format!(" ({})", m.fate.name()));
    }
    words
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;")
}

/// The cluster in words: the controller, each broker with its log, each consumer.
pub fn describe_view(v: &ClusterView) -> String {
    let mut s = String::new();
    let c = &v.controller;
    let _ = writeln!(
        s,
        "controller: leader broker-{} in leader epoch {}, partition epoch {}, ISR {}{}",
        c.leader,
        c.leader_epoch,
        c.partition_epoch,
        ids(&c.isr),
        if c.fenced.is_empty() { String::new() } else { format!(", fenced {}", ids(&c.fenced)) }
    );
    for b in &v.brokers {
        let role = role_words(b.alive, b.role);
        let log: Vec<String> = b.log.iter().map(|r| format!("e{}", r.epoch)).collect();
        let _ = writeln!(
            s,
            "broker-{} (rack {}): {role}, leader epoch {}, log [{}], high watermark {}, log end offset {}, ISR {}",
            b.id,
            b.rack,
            b.leader_epoch,
            log.join(" "),
            b.high_watermark,
            b.log_end_offset,
            ids(&b.isr)
        );
    }
    for consumer in &v.consumers {
        let read: Vec<String> =
            consumer.delivered.iter().map(|d| format!("{}@broker-{}", d.offset, d.served_by)).collect();
        let _ = writeln!(
            s,
            "consumer-{}: position {}, leader epoch {}, preferred read replica {}, received [{}]{}",
            consumer.id,
            consumer.position,
            consumer.current_leader_epoch,
            consumer.preferred_read_replica.map_or("none".to_string(), |r| format!("broker-{r}")),
            read.join(" "),
            if consumer.failed { ", failed" } else { "" }
        );
    }
    if !v.cut_racks.is_empty() {
        let _ = writeln!(s, "racks whose brokers are cut off: {}", v.cut_racks.join(", "));
    }
    for outage in &v.outages {
        let _ = writeln!(s, "outage: {outage}");
    }
    let committed = match v.ghost.committed.len() {
        1 => "1 record".to_string(),
        n => format!("{n} records"),
    };
    let _ = writeln!(s, "committed: {committed} (true high watermark {})", v.ghost.true_hw);
    s
}

/// A broker's role in words.
pub(crate) fn role_words(alive: bool, role: Role) -> &'static str {
    match (alive, role) {
        (false, _) => "crashed",
        (true, Role::Leader) => "leader",
        (true, Role::Follower) => "follower",
        (true, Role::Offline) => "no role yet",
    }
}

/// Broker ids as a list: `[1, 2]`.
pub(crate) fn ids<'a>(ids: impl IntoIterator<Item = &'a i32>) -> String {
    let ids: Vec<String> = ids.into_iter().map(ToString::to_string).collect();
    format!("[{}]", ids.join(", "))
}
