//! Replay: does a trace still hold?
//!
//! (a) Through the model: every step must be one the model offers, every view must equal the
//! recorded one, and the last state must show the recorded verdict. (b) Through the protocol
//! crate's `sim::Cluster` (by way of `adapter`): the same steps, the implementation's view
//! compared with the trace's after each, and every safety property evaluated on it.

use std::time::Instant;

use highwater_model::view::view;
use highwater_model::ClusterModel;
use highwater_properties::Kind;
use serde::Serialize;

use crate::adapter::{Implementation, Refused, Wire};
use crate::run::DEFAULT_LIVENESS_BOUND;
use crate::tracefile::{shows, walk};
use crate::viewdiff::{diff, FieldDiff};

/// What replaying one file through the model found.
#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "kebab-case", tag = "result")]
pub enum ModelReplay {
    /// Every view as recorded, and the verdict as recorded.
    Conforms,
    /// A view differs from the recorded one.
    Diverged {
        /// The step (0 is the initial state).
        step: usize,
        /// The first field that differs.
        first: FieldDiff,
        /// How many fields differ at that step.
        fields: usize,
    },
    /// The path is intact but its last state no longer shows the recorded verdict.
    VerdictLost,
}

impl ModelReplay {
    /// In words, for a report line.
    pub fn words(&self) -> String {
        match self {
            ModelReplay::Conforms => "conforms".to_string(),
            ModelReplay::Diverged { step, first, .. } => {
                format!("diverged at step {step} ({})", first.describe_change())
            }
            ModelReplay::VerdictLost => "no longer shows the recorded verdict".to_string(),
        }
    }
}

impl ImplementationResult {
    /// In words, for a report line.
    pub fn words(&self) -> String {
        match self {
            ImplementationResult::Conforms => "conforms".to_string(),
            ImplementationResult::Diverged { step, first, .. } => {
                format!("diverged at step {step} ({})", first.describe_change())
            }
            ImplementationResult::Refused { step, why } => format!("refused step {step}: {why}"),
        }
    }
}

/// What replaying one file through the protocol crate found.
#[derive(Clone, Debug, Serialize)]
pub struct ImplementationReplay {
    /// Conforms, or where it first differs.
    #[serde(flatten)]
    pub result: ImplementationResult,
    /// Safety properties violated on the implementation's views, with the first step each fails.
    pub violated: Vec<(&'static str, usize)>,
    /// Wall time, in microseconds.
    pub elapsed_us: u128,
    /// The implementation's view after each step it took, the initial state first.
    #[serde(skip)]
    pub views: Vec<highwater_traces::ClusterView>,
}

/// Whether the implementation followed the trace.
#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "kebab-case", tag = "result")]
pub enum ImplementationResult {
    /// Every view as recorded.
    Conforms,
    /// A view differs.
    Diverged {
        /// The step (0 is the initial state).
        step: usize,
        /// The first field that differs.
        first: FieldDiff,
        /// How many fields differ at that step.
        fields: usize,
    },
    /// The implementation cannot take the step at all.
    Refused {
        /// The step.
        step: usize,
        /// Why.
        why: String,
    },
}

/// Replay `actions` through the protocol crate, comparing with `recorded` views.
pub fn replay_implementation(
    cfg: &highwater_model::ModelConfig,
    trace: &highwater_traces::Trace,
) -> ImplementationReplay {
    replay_implementation_with(cfg, trace, crate::adapter::protocol_bugs(cfg))
}

/// The same, with the protocol crate built with `bugs` (whatever the configuration says).
pub fn replay_implementation_with(
    cfg: &highwater_model::ModelConfig,
    trace: &highwater_traces::Trace,
    bugs: highwater_protocol::Bugs,
) -> ImplementationReplay {
    let start = Instant::now();
    let mut implementation = Implementation::with_bugs(cfg, bugs);
    let mut result = ImplementationResult::Conforms;
    let mut violated: Vec<(&'static str, usize)> = Vec::new();
    let mut views = Vec::new();
    // A liveness trace's recorded fair continuation is the model's; the implementation, from
    // where faults stop, runs its own (below).
    let path_end = trace.continuation_from().unwrap_or(trace.states.len() - 1);
    // The model's own states, for what the views leave out: messages in flight and timers set.
    // The messages each step delivered are in the trace.
    let model = ClusterModel::new(cfg.clone());
    let actions: Vec<_> = trace.states.iter().take(path_end + 1).filter_map(|s| s.action.clone()).collect();
    let model_states = walk(&model, &actions).unwrap_or_default();
    for (step, recorded) in trace.states.iter().enumerate().take(path_end + 1) {
        if let Some(action) = &recorded.action {
            if let Err(Refused(why)) = implementation.step(action) {
                result = ImplementationResult::Refused { step, why };
                break;
            }
        }
        let actual = implementation.view();
        views.push(actual.clone());
        for name in highwater_properties::violated_safety(&actual) {
            if !violated.iter().any(|(n, _)| *n == name) {
                violated.push((name, step));
            }
        }
        let mut differences = diff(&recorded.view, &actual);
        if let (true, Some(state)) = (differences.is_empty(), model_states.get(step)) {
            let expected = Wire { links: model.in_flight(state), timers: model.timers_set(state) };
            differences.extend(implementation.wire_differs(&expected));
        }
        // Traces of the first format carry no messages.
        if differences.is_empty() && trace.meta.format == highwater_traces::FORMAT {
            differences.extend(implementation.delivered_differs(&recorded.messages));
        }
        if let (Some(first), ImplementationResult::Conforms) = (differences.first(), &result) {
            result = ImplementationResult::Diverged { step, first: first.clone(), fields: differences.len() };
            break;
        }
    }
    // A liveness trace ends where the model's fair continuation cannot reach the goal; the
    // implementation, from where the trace left it (at a divergence, from there), runs its own.
    let liveness = highwater_properties::by_name(&trace.meta.property).filter(|p| p.kind == Kind::Liveness);
    if let (Some(property), false) = (liveness, matches!(result, ImplementationResult::Refused { .. })) {
        let bound = trace.meta.liveness_bound.parse().unwrap_or(DEFAULT_LIVENESS_BOUND);
        if !implementation.reaches_fairly(property.check, bound) {
            violated.push((property.name, path_end));
        }
    }
    ImplementationReplay { result, violated, elapsed_us: start.elapsed().as_micros(), views }
}

/// One file's outcome.
#[derive(Clone, Debug, Serialize)]
pub struct Replayed {
    /// The file.
    pub file: String,
    /// Its property and recorded verdict.
    pub property: String,
    /// The recorded verdict.
    pub verdict: String,
    /// The semantics and seeded bugs it runs with, in words.
    pub rules: String,
    /// Steps.
    pub steps: usize,
    /// The model side.
    pub model: ModelReplay,
    /// The implementation side.
    pub implementation: ImplementationReplay,
    /// Wall time of the model side, in microseconds.
    pub model_us: u128,
}

/// Replay one file through the model. `Err` is an input error (exit 2).
pub fn replay_model(file: &std::path::Path) -> Result<Replayed, String> {
    let text = std::fs::read_to_string(file).map_err(|e| format!("{}: cannot read: {e}", file.display()))?;
    replay_text(&file.display().to_string(), &text)
}

/// Replay a trace's text, called `name` in its errors, as [`replay_model`] replays a file.
pub fn replay_text(name: &str, text: &str) -> Result<Replayed, String> {
    let (trace, cfg) = crate::tracefile::parse(name, text)?;
    if trace.meta.preset.starts_with("kafka ") {
        return Err(format!(
            "{name}: a real Apache Kafka run (`highwater kafka run --out`), not a path of the model: \
             it has nothing to replay; `highwater view` shows it"
        ));
    }
    let liveness_bound = match (property_kind(&trace.meta.property), trace.meta.liveness_bound.parse()) {
        (Some(Kind::Liveness), Ok(bound)) => bound,
        (Some(Kind::Liveness), Err(_)) => {
            return Err(format!("{name}: #meta.liveness-bound must be a number for a liveness trace"))
        }
        _ => 0,
    };
    let property = highwater_properties::by_name(&trace.meta.property);
    let model = ClusterModel::new(cfg);
    let actions = trace.actions();
    let start = Instant::now();
    let states = walk(&model, &actions).map_err(|e| format!("{name}: {e}"))?;
    let verdict_state = &states[trace.continuation_from().unwrap_or(states.len() - 1)];
    let mut result = ModelReplay::Conforms;
    for (step, (recorded, state)) in trace.states.iter().zip(&states).enumerate() {
        let differences = diff(&recorded.view, &view(&model, state));
        if let Some(first) = differences.first() {
            result = ModelReplay::Diverged { step, first: first.clone(), fields: differences.len() };
            break;
        }
    }
    if matches!(result, ModelReplay::Conforms)
        && property.is_some_and(|p| !shows(&model, p, verdict_state, liveness_bound))
    {
        result = ModelReplay::VerdictLost;
    }
    Ok(Replayed {
        file: name.to_string(),
        property: trace.meta.property.clone(),
        verdict: trace.meta.verdict.clone(),
        rules: crate::describe::rules(&model.cfg),
        steps: trace.path().len(),
        model: result,
        model_us: start.elapsed().as_micros(),
        implementation: replay_implementation_with(
            &model.cfg,
            &trace,
            implementation_bugs(&model.cfg, &trace).map_err(|e| format!("{name}: {e}"))?,
        ),
    })
}

/// The bugs the protocol crate is built with for a trace: the model's, and any the trace says
/// the implementation under test carried beyond them.
fn implementation_bugs(
    cfg: &highwater_model::ModelConfig,
    trace: &highwater_traces::Trace,
) -> Result<highwater_protocol::Bugs, String> {
    let mut bugs = crate::adapter::protocol_bugs(cfg);
    for id in trace.meta.protocol_bugs.split(',').filter(|id| !id.is_empty()) {
        bugs = bugs.with(crate::adapter::protocol_bug(id).map_err(|e| format!("#meta.protocol-bugs: {e}"))?);
    }
    Ok(bugs)
}

fn property_kind(name: &str) -> Option<Kind> {
    highwater_properties::by_name(name).map(|p| p.kind)
}
