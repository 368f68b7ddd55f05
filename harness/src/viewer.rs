//! The trace viewer: one self-contained HTML file (`harness/assets/viewer/`) with the traces
//! embedded as JSON. Everything the page shows is computed here, so that the terminal and the
//! browser tell a trace the same way: message labels, what each step changed, every property's
//! status at each step, the verdict's sentence and the fair continuation's summary.
//! `docs/viewer.md` documents the page and the document embedded in it.

use std::path::Path;

use highwater_model::ModelConfig;
use highwater_properties::Kind;
use highwater_traces::{Action, ClusterView, Fate, NodeId, StepMessage, Trace, TraceState};
use serde_json::{json, Value};

use crate::narrate;
use crate::viewdiff::{self, FieldDiff};
use crate::{describe, tracefile};

const TEMPLATE: &str = include_str!("../assets/viewer/template.html");
const STYLE: &str = include_str!("../assets/viewer/viewer.css");
/// One scope, in this order: each file uses what the ones before it define.
const SCRIPT: &str = concat!(
    include_str!("../assets/viewer/viewer-data.js"),
    include_str!("../assets/viewer/viewer-diagram.js"),
    include_str!("../assets/viewer/viewer-state.js"),
    include_str!("../assets/viewer/viewer.js"),
);

/// One trace to show, with a label and where it came from.
pub struct Shown<'a> {
    /// A short label: a file name or a bug id.
    pub name: String,
    /// Where it came from (a path), or empty.
    pub source: String,
    /// The trace.
    pub trace: &'a Trace,
    /// Its configuration.
    pub cfg: &'a ModelConfig,
}

/// A model trace beside the implementation's views of the same steps (`replay --html`).
pub struct Pair<'a> {
    /// The trace, as recorded (the model's side).
    pub model: Shown<'a>,
    /// The implementation's trace: the same steps, its views.
    pub implementation: Trace,
    /// The first step where the views differ, with the fields.
    pub divergence: Option<(usize, Vec<FieldDiff>)>,
}

/// The page: `traces` (an index when there are several) and `pairs` side by side.
pub fn html(title: &str, traces: &[Shown], pairs: &[Pair]) -> String {
    let document = json!({
        "generator": format!("highwater {}", env!("CARGO_PKG_VERSION")),
        "title": title,
        "traces": traces.iter().map(trace_data).collect::<Vec<_>>(),
        "pairs": pairs.iter().map(pair_data).collect::<Vec<_>>(),
    });
    // `<` never appears raw inside the script element, so no text in a trace can close it. The
    // data goes in last, so nothing in it is taken for a placeholder.
    let data = serde_json::to_string(&document).expect("plain data").replace('<', "\\u003c");
    TEMPLATE
        .replace("/*{{style}}*/", STYLE)
        .replace("/*{{script}}*/", SCRIPT)
        .replace("{{title}}", &escape_html(title))
        .replace("{{data}}", &data)
}

/// Read trace files and write the viewer for them, whole or not at all. `Err` names the file
/// and what is wrong (exit 2).
pub fn write_for_files(files: &[impl AsRef<Path>], out: &Path, title: &str) -> Result<(), String> {
    let mut loaded = Vec::new();
    for file in files {
        let file = file.as_ref();
        let (trace, cfg) = tracefile::load(file)?;
        let name = file.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
        loaded.push((name, file.display().to_string(), trace, cfg));
    }
    let shown: Vec<Shown> = loaded
        .iter()
        .map(|(name, source, trace, cfg)| Shown { name: name.clone(), source: source.clone(), trace, cfg })
        .collect();
    tracefile::write_whole(out, html(title, &shown, &[])).map_err(|e| format!("{}: cannot write: {e}", out.display()))
}

/// The viewer for the traces a run wrote: the line to print, naming how many `what` it holds,
/// or the error naming the file (exit 2).
pub fn write_run_report(files: &[&str], html: &Path, title: &str, what: &str) -> Result<String, String> {
    write_for_files(files, html, title)?;
    Ok(format!("wrote {}: the trace viewer for {}", html.display(), tracefile::plural(files.len(), what)))
}

/// Escaped for HTML text, braces included, so that no title can spell a placeholder.
pub(crate) fn escape_html(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
        .replace('{', "&#123;")
        .replace('}', "&#125;")
}

fn trace_data(shown: &Shown) -> Value {
    let trace = shown.trace;
    let cfg = shown.cfg;
    let properties: Vec<_> = highwater_properties::ALL.iter().filter(|p| p.applies(cfg.semantics)).collect();
    let mut nodes = vec![json!({"id": "controller", "kind": "controller", "rack": null})];
    for (i, rack) in cfg.broker_racks.iter().enumerate() {
        nodes.push(json!({"id": NodeId::Broker(i as i32 + 1).to_string(), "kind": "broker", "rack": rack}));
    }
    for (i, rack) in cfg.consumer_racks.iter().enumerate() {
        nodes.push(json!({"id": NodeId::Consumer(i as u32).to_string(), "kind": "consumer", "rack": rack}));
    }
    nodes.push(json!({"id": "producer", "kind": "producer", "rack": null}));
    let mut reached = vec![false; properties.len()];
    let states: Vec<Value> = trace
        .states
        .iter()
        .enumerate()
        .map(|(i, state)| {
            let before = i.checked_sub(1).map(|b| &trace.states[b].view);
            let status: serde_json::Map<String, Value> = properties
                .iter()
                .zip(reached.iter_mut())
                .map(|(p, reached)| {
                    let holds = (p.check)(&state.view);
                    let status = match p.kind {
                        Kind::Safety if holds => "holds",
                        Kind::Safety => "violated",
                        Kind::Coverage => {
                            *reached |= holds;
                            if *reached {
                                "reached"
                            } else {
                                "unreached"
                            }
                        }
                        Kind::Liveness if holds => "met",
                        Kind::Liveness => "owed",
                    };
                    (p.name.to_string(), json!(status))
                })
                .collect();
            state_data(state, before, status)
        })
        .collect();
    // A coverage trace shows a predicate reached, not a violation: nothing is pinned.
    let verdict = narrate::verdict(trace).filter(|v| v.kind != "coverage");
    let continuation = trace.continuation_from().map(|from| {
        let actions: Vec<Action> = trace.states[from + 1..].iter().filter_map(|s| s.action.clone()).collect();
        json!({
            "from": from,
            "summary": narrate::continuation_summary(&actions, from),
            "divider": narrate::continuation_divider(trace),
        })
    });
    let meta = &trace.meta;
    json!({
        "name": shown.name,
        "source": shown.source,
        "meta": {
            "preset": meta.preset, "bugs": meta.bugs, "semantics": meta.semantics, "property": meta.property,
            "verdict": meta.verdict, "checker": meta.checker, "seed": meta.seed, "steps-found": meta.steps_found,
            "liveness-bound": meta.liveness_bound, "description": meta.description,
        },
        "rules": describe::rules(cfg),
        "config_summary": describe::cluster(cfg),
        "nodes": nodes,
        "properties": properties
            .iter()
            .map(|p| json!({"name": p.name, "kind": p.kind.name(), "statement": p.statement}))
            .collect::<Vec<_>>(),
        "states": states,
        "violation": verdict,
        "continuation": continuation,
    })
}

fn state_data(state: &TraceState, before: Option<&ClusterView>, status: serde_json::Map<String, Value>) -> Value {
    let action = state.action.as_ref();
    let changed: Vec<String> =
        before.map(|b| viewdiff::diff(b, &state.view).iter().map(path).collect()).unwrap_or_default();
    let (node, rack) = match action {
        Some(Action::Deliver { to, .. } | Action::Drop { to, .. }) => (Some(to.to_string()), None),
        Some(Action::Timer { node, .. }) => (Some(node.to_string()), None),
        Some(Action::Crash { broker } | Action::Restart { broker }) => {
            (Some(NodeId::Broker(*broker).to_string()), None)
        }
        Some(Action::CutRack { rack } | Action::HealRack { rack }) => (None, Some(rack.clone())),
        Some(Action::Cut { outage } | Action::Heal { outage }) => (None, Some(outage_rack(outage))),
        Some(Action::Produce { .. }) => (Some(NodeId::Producer.to_string()), None),
        Some(Action::Seek { consumer, .. }) => (Some(NodeId::Consumer(*consumer).to_string()), None),
        None => (None, None),
    };
    // What the environment decides, the producer's retries aside (those are the protocol's).
    let environment =
        action.is_some_and(|a| highwater_model::fair::is_fault_or_input(a) && !matches!(a, Action::Timer { .. }));
    json!({
        "index": state.meta.index,
        "action": action.map(ToString::to_string),
        "kind": state.action_taken,
        "node": node,
        "environment": environment,
        "rack": rack,
        "messages": state.messages.iter().map(message_data).collect::<Vec<_>>(),
        "view": state.view,
        "relevant": before.is_none_or(|b| *b != state.view),
        "changed": changed,
        "status": status,
    })
}

/// The rack an outage's event is drawn across: the isolated rack, or a link's first end.
fn outage_rack(outage: &highwater_traces::Outage) -> String {
    match outage {
        highwater_traces::Outage::Rack { rack } => rack.clone(),
        highwater_traces::Outage::Link { a, .. } => a.clone(),
        highwater_traces::Outage::OneWay { from, .. } => from.clone(),
    }
}

fn message_data(m: &StepMessage) -> Value {
    let fields = serde_json::to_value(&m.message).expect("plain data");
    json!({
        "from": m.from,
        "to": m.to,
        "fate": m.fate,
        "api": m.message.api_name(),
        "label": m.message.label(),
        "error": m.message.error_code().filter(|e| e.name() != "NONE").map(|e| e.name()),
        "fields": fields,
        "line": narrate::message_line(m),
        "lost": m.fate == Fate::Lost,
    })
}

/// A changed field as the page names it: `brokers.broker-2.high_watermark`,
/// `consumers.consumer-0.position`, `controller.isr`, `cut_racks`, `ghost.true_hw`.
fn path(change: &FieldDiff) -> String {
    let node = &change.node;
    if node.starts_with("broker-") {
        format!("brokers.{node}.{}", change.field)
    } else if node.starts_with("consumer-") {
        format!("consumers.{node}.{}", change.field)
    } else if node == "cluster" {
        change.field.clone()
    } else {
        format!("{node}.{}", change.field)
    }
}

fn pair_data(pair: &Pair) -> Value {
    let implementation = Shown {
        name: format!("{} (protocol crate)", pair.model.name),
        source: pair.model.source.clone(),
        trace: &pair.implementation,
        cfg: pair.model.cfg,
    };
    json!({
        "name": pair.model.name,
        "model": trace_data(&pair.model),
        "implementation": trace_data(&implementation),
        "divergence": pair.divergence.as_ref().map(|(step, fields)| json!({
            "step": step,
            "fields": fields.iter().map(path).collect::<Vec<_>>(),
            "sentence": format!(
                "at step {step} the protocol crate differs from the model: {}",
                fields.iter().take(4).map(FieldDiff::describe_change).collect::<Vec<_>>().join("; ")
            ),
        })),
    })
}
