//! From the model to trace files and back: building a trace from a path, checking that a trace is
//! still a path of the model, minimising a counterexample, and writing files whole or not at all.

use std::path::Path;

use highwater_model::view::view;
use highwater_model::{ClusterModel, ClusterState, ModelConfig};
use highwater_properties::{Kind, Property};
use highwater_traces::{Action, StateMeta, StepMessage, Trace, TraceMeta, TraceState, FORMAT, VARS};
use stateright::Model;

use crate::rng::Rng;

/// Why an action list is not a path of the model.
#[derive(Debug, PartialEq)]
pub struct NotAPath {
    /// The step (1-based, as trace files number them).
    pub step: usize,
    /// The action the model cannot take there.
    pub action: Action,
}

impl std::fmt::Display for NotAPath {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "step {}: the model cannot take `{}` here", self.step, self.action)
    }
}

/// The states `actions` lead through from the initial state, the initial state first; each
/// action must be one the model offers in the state it is taken in.
pub fn walk(model: &ClusterModel, actions: &[Action]) -> Result<Vec<ClusterState>, NotAPath> {
    walk_collecting(model, actions, |_| ()).map(|(states, _)| states)
}

/// The states `actions` lead through, as [`walk`], with the messages each step moved (the
/// initial state's first: those its settling delivered).
pub fn walk_recorded(
    cfg: &ModelConfig,
    actions: &[Action],
) -> Result<(Vec<ClusterState>, Vec<Vec<StepMessage>>), NotAPath> {
    walk_collecting(&ClusterModel::new(cfg.clone()).recording(), actions, ClusterModel::take_messages)
}

/// The walk itself, with `collect` called on the model after the initial state and each step.
fn walk_collecting<T>(
    model: &ClusterModel,
    actions: &[Action],
    collect: impl Fn(&ClusterModel) -> T,
) -> Result<(Vec<ClusterState>, Vec<T>), NotAPath> {
    let mut states = vec![model.init_states().remove(0)];
    let mut collected = vec![collect(model)];
    let mut offered = Vec::new();
    for (i, action) in actions.iter().enumerate() {
        let last = states.last().expect("starts with the initial state");
        offered.clear();
        model.actions(last, &mut offered);
        let next = offered.contains(action).then(|| model.next_state(last, action.clone())).flatten();
        match next {
            Some(next) => states.push(next),
            None => return Err(NotAPath { step: i + 1, action: action.clone() }),
        }
        collected.push(collect(model));
    }
    Ok((states, collected))
}

/// Whether `state` shows what a trace about `property` records: a safety property violated, a
/// coverage predicate reached, a liveness goal missed by the fair continuation from it.
pub fn shows(model: &ClusterModel, property: &Property, state: &ClusterState, liveness_bound: usize) -> bool {
    match property.kind {
        Kind::Safety => !(property.check)(&view(model, state)),
        Kind::Coverage => (property.check)(&view(model, state)),
        Kind::Liveness => !highwater_model::fair::reaches_fairly(model, state, property.check, liveness_bound),
    }
}

/// The verdict a trace about `property` records.
pub fn verdict(property: &Property) -> &'static str {
    match property.kind {
        Kind::Coverage => "reached",
        _ => "VIOLATED",
    }
}

/// Delta debugging (Zeller's ddmin) over the steps, then single-step removal until nothing more
/// can go: the result is a path that still `keeps` (ends in the same violation) and is never
/// longer than `actions`. Deterministic: the same input gives the same output.
pub fn minimise(actions: &[Action], keeps: impl Fn(&[Action]) -> bool) -> Vec<Action> {
    let mut current = actions.to_vec();
    if !keeps(&current) {
        return current;
    }
    let mut chunks = 2usize;
    while current.len() >= 2 && chunks <= current.len() {
        let size = current.len().div_ceil(chunks);
        let mut reduced = false;
        for start in (0..current.len()).step_by(size) {
            let candidate: Vec<Action> =
                current[..start].iter().chain(current[(start + size).min(current.len())..].iter()).cloned().collect();
            if keeps(&candidate) {
                current = candidate;
                chunks = (chunks - 1).max(2);
                reduced = true;
                break;
            }
        }
        if !reduced {
            if chunks == current.len() {
                break;
            }
            chunks = (chunks * 2).min(current.len());
        }
    }
    let mut i = 0;
    while i < current.len() {
        let mut candidate = current.clone();
        candidate.remove(i);
        if keeps(&candidate) {
            current = candidate;
        } else {
            i += 1;
        }
    }
    current
}

/// What a trace file records beyond its steps.
pub struct TraceInfo<'a> {
    /// The preset the configuration started from.
    pub preset: &'a str,
    /// The property, or none for a conformance trace (a walk of the correct model).
    pub property: Option<&'a Property>,
    /// The checker and its seed.
    pub checker: &'a str,
    /// The seed.
    pub seed: u64,
    /// Steps as found, before minimisation.
    pub steps_found: usize,
    /// The fair-continuation bound (recorded for liveness traces).
    pub liveness_bound: usize,
    /// For a liveness trace: the step after which the actions are the fair continuation.
    pub continuation_from: Option<usize>,
}

/// The trace of `actions` (a path of `model`).
pub fn build(model: &ClusterModel, cfg: &ModelConfig, actions: &[Action], info: &TraceInfo) -> Result<Trace, NotAPath> {
    let (states, mut messages) = walk_recorded(&model.cfg, actions)?;
    let mut state = |index: usize, action: Option<&Action>, s: &ClusterState| TraceState {
        meta: StateMeta { index: index as u64 },
        action_taken: action.map_or("init", Action::kind).to_string(),
        action: action.cloned(),
        messages: std::mem::take(&mut messages[index]),
        view: view(model, s),
    };
    let mut trace_states = vec![state(0, None, &states[0])];
    for (i, (action, s)) in actions.iter().zip(&states[1..]).enumerate() {
        trace_states.push(state(i + 1, Some(action), s));
    }
    let path_steps = info.continuation_from.unwrap_or(actions.len());
    let (property, verdict) = match info.property {
        Some(p) => (p.name, verdict(p)),
        None => ("", ""),
    };
    Ok(Trace {
        meta: TraceMeta {
            format: FORMAT.to_string(),
            format_description: "ITF (Apalache ADR-015); highwater's layout in traces/README.md".to_string(),
            source: format!("highwater {}", env!("CARGO_PKG_VERSION")),
            description: match info.property {
                Some(_) => match info.continuation_from {
                    Some(from) => format!(
                        "{property}: {verdict} after {} then a fair continuation of {} that never reaches the goal",
                        plural(from, "step"),
                        plural(actions.len() - from, "step")
                    ),
                    None => format!("{property}: {verdict} after {}", plural(path_steps, "step")),
                },
                None => format!("a walk of the correct model, {}", plural(actions.len(), "step")),
            },
            preset: info.preset.to_string(),
            config: serde_json::to_string(cfg).expect("a config is plain data"),
            bugs: cfg.bugs.iter().map(|b| b.id()).collect::<Vec<_>>().join(","),
            semantics: serde_json::to_value(cfg.semantics)
                .ok()
                .and_then(|v| v.as_str().map(str::to_string))
                .unwrap_or_default(),
            property: property.to_string(),
            verdict: verdict.to_string(),
            checker: info.checker.to_string(),
            seed: info.seed.to_string(),
            steps_found: info.steps_found.to_string(),
            liveness_bound: match info.property.map(|p| p.kind) {
                Some(Kind::Liveness) => info.liveness_bound.to_string(),
                _ => String::new(),
            },
            protocol_bugs: String::new(),
            continuation_from: info.continuation_from.map(|from| from.to_string()).unwrap_or_default(),
        },
        vars: VARS.iter().map(|v| v.to_string()).collect(),
        states: trace_states,
    })
}

/// Write `text` to `path` whole or not at all: to a temporary file beside it, then renamed.
pub fn write_whole(path: &Path, text: impl AsRef<[u8]>) -> std::io::Result<()> {
    let file_name = path.file_name().and_then(|n| n.to_str()).unwrap_or("trace");
    let temporary = path.with_file_name(format!(".{file_name}.partial"));
    std::fs::write(&temporary, text).and_then(|()| std::fs::rename(&temporary, path)).inspect_err(|_| {
        let _ = std::fs::remove_file(&temporary);
    })
}

/// The minimised trace of a counterexample the search found: `path` (for liveness, its first
/// `found_at` steps, the state the continuation cannot recover from) shrunk while it still ends
/// in the same verdict.
pub fn minimised(
    model: &ClusterModel,
    cfg: &ModelConfig,
    path: &[Action],
    found_at: usize,
    info: &TraceInfo,
) -> Result<Trace, NotAPath> {
    let property = info.property.expect("a counterexample is about a property");
    let found = if property.kind == Kind::Liveness && found_at > 0 { &path[..found_at] } else { path };
    let keeps = |actions: &[Action]| {
        walk(model, actions)
            .is_ok_and(|states| shows(model, property, states.last().expect("never empty"), info.liveness_bound))
    };
    let minimal = minimise(found, keeps);
    if property.kind != Kind::Liveness {
        return build(model, cfg, &minimal, &TraceInfo { steps_found: found.len(), ..*info });
    }
    let mut actions = minimal.clone();
    actions.extend(continuation(model, &minimal, property, info.liveness_bound)?);
    build(
        model,
        cfg,
        &actions,
        &TraceInfo { steps_found: found.len(), continuation_from: Some(minimal.len()), ..*info },
    )
}

/// What follows a liveness trace's path, the part that shows the failure: faults stop, and the
/// fair continuation runs (its whole bound, when it never reaches the goal).
pub fn continuation(
    model: &ClusterModel,
    path: &[Action],
    property: &Property,
    bound: usize,
) -> Result<Vec<Action>, NotAPath> {
    let last = walk(model, path)?.pop().expect("never empty");
    let (stopped, mut actions) = highwater_model::fair::stop_faults(model, &last);
    actions.extend(highwater_model::fair::continue_fairly(model, &stopped, property.check, bound).0);
    Ok(actions)
}

/// `n` and the noun, plural unless `n` is 1.
pub fn plural(n: usize, noun: &str) -> String {
    match n {
        1 => format!("1 {noun}"),
        _ => format!("{n} {noun}s"),
    }
}

/// One seeded random walk of the model: its steps and the states it passed through.
pub fn random_walk(model: &ClusterModel, rng: &mut Rng, depth: usize) -> (Vec<Action>, Vec<ClusterState>) {
    let mut state = model.init_states().remove(0);
    let mut states = vec![state.clone()];
    let mut path = Vec::new();
    let mut actions = Vec::new();
    while path.len() < depth {
        actions.clear();
        model.actions(&state, &mut actions);
        let mut next = None;
        while next.is_none() && !actions.is_empty() {
            let action = actions.swap_remove(rng.next(actions.len()));
            next = model.next_state(&state, action.clone()).map(|s| (action, s));
        }
        let Some((action, s)) = next else { break };
        path.push(action);
        states.push(s.clone());
        state = s;
    }
    (path, states)
}

/// A trace file read and checked, or the message saying why not (naming the file).
pub fn load(file: &Path) -> Result<(Trace, ModelConfig), String> {
    let text = std::fs::read_to_string(file).map_err(|e| format!("{}: cannot read: {e}", file.display()))?;
    parse(&file.display().to_string(), &text)
}

/// A trace's text parsed and checked, or the message saying why not, starting with `name`.
pub fn parse(name: &str, text: &str) -> Result<(Trace, ModelConfig), String> {
    let trace = Trace::parse(text).map_err(|e| format!("{name}: {e}"))?;
    let cfg: ModelConfig = serde_json::from_str(&trace.meta.config)
        .map_err(|e| format!("{name}: #meta.config is not a model configuration: {e}"))?;
    cfg.validate().map_err(|e| format!("{name}: #meta.config: {e}"))?;
    check_meta(&trace.meta, &cfg).map_err(|e| format!("{name}: {e}"))?;
    Ok((trace, cfg))
}

/// `#meta` names what this suite knows, and agrees with the configuration it carries.
fn check_meta(meta: &TraceMeta, cfg: &ModelConfig) -> Result<(), String> {
    let claim = highwater_properties::availability::claim(&meta.property);
    let expected: &[&str] = match (highwater_properties::by_name(&meta.property), claim) {
        _ if meta.property.is_empty() => &[""],
        (Some(property), _) => &[verdict(property)],
        (None, Some(claim)) if claim.is_witness() => &["witnessed"],
        (None, Some(_)) => &["FAILS"],
        (None, None) => {
            return Err(format!("#meta.property `{}` is not a property of this suite", meta.property));
        }
    };
    if !expected.contains(&meta.verdict.as_str()) {
        let wanted = match expected {
            [""] => "no verdict (the trace is about no property)".to_string(),
            [word] => format!("`{word}`"),
            _ => expected.join(" or "),
        };
        return Err(format!(
            "#meta.verdict `{}` is not a verdict of `{}`: expected {wanted}",
            meta.verdict, meta.property
        ));
    }
    let scenario = meta.preset.strip_prefix("availability ");
    let real = meta.preset.strip_prefix("kafka ");
    let known_preset = highwater_model::preset(&meta.preset).is_some()
        || scenario.is_some_and(|s| crate::ops::availability::scenario::matrix().iter().any(|m| m.name() == s))
        || real.is_some_and(is_kafka_scenario);
    if !known_preset {
        return Err(format!("#meta.preset `{}` is not a preset (see `highwater presets`)", meta.preset));
    }
    let mut bugs: Vec<&str> = meta.bugs.split(',').filter(|id| !id.is_empty()).collect();
    for id in &bugs {
        crate::adapter::protocol_bug(id).map_err(|e| format!("#meta.bugs: {e}"))?;
    }
    bugs.sort_unstable();
    let mut configured: Vec<&str> = cfg.bugs.iter().map(|b| b.id()).collect();
    configured.sort_unstable();
    if bugs != configured {
        return Err(format!(
            "#meta.bugs `{}` and #meta.config's bugs `{}` differ: the file says two things about what it runs with",
            meta.bugs,
            configured.join(",")
        ));
    }
    if !meta.semantics.is_empty() && meta.semantics != cfg.semantics.name() {
        return Err(format!(
            "#meta.semantics `{}` and #meta.config's semantics `{}` differ",
            meta.semantics,
            cfg.semantics.name()
        ));
    }
    Ok(())
}

/// Whether `name` is one of `highwater kafka`'s scenarios.
#[cfg(feature = "kafka")]
fn is_kafka_scenario(name: &str) -> bool {
    highwater_kafka::scenario::all().iter().any(|k| k.name == name)
}

/// Without the real-Kafka shell (the `kafka` feature) its scenarios are not known here: a trace
/// of one is taken at its word, and `replay` then refuses it as a real run, not a path of the
/// model.
#[cfg(not(feature = "kafka"))]
fn is_kafka_scenario(_name: &str) -> bool {
    true
}
