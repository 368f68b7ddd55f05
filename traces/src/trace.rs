//! Trace files: one run of a cluster as ITF-shaped JSON (Apalache ADR-015, the format Quint
//! emits), so that ITF tools can read them. `traces/README.md` documents the format.
//!
//! ITF constrains the shape: `#meta` values are strings (so the configuration is carried as
//! JSON text), there is no `null` (absent options are left out), and every state is a record
//! of the trace's `vars`.

use serde::{Deserialize, Serialize};

use crate::action::Action;
use crate::ids::NodeId;
use crate::message::Message;
use crate::view::ClusterView;

/// The format version this crate writes.
pub const FORMAT: &str = "highwater-trace/2";

/// Earlier versions it still reads: `highwater-trace/1` has no `messages` and no
/// `continuation-from`, and reads as if both were empty.
pub const FORMATS_READ: [&str; 2] = ["highwater-trace/1", FORMAT];

/// The variables every state carries.
pub const VARS: [&str; 4] = ["mbt::actionTaken", "action", "messages", "view"];

/// A trace file.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Trace {
    /// What the trace is.
    #[serde(rename = "#meta")]
    pub meta: TraceMeta,
    /// The variables of each state: [`VARS`].
    pub vars: Vec<String>,
    /// The initial state, then one state per step.
    pub states: Vec<TraceState>,
}

/// A trace's `#meta`. Every value is a string, as ITF's `#meta` requires.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TraceMeta {
    /// [`FORMAT`].
    pub format: String,
    /// One line on what the format is.
    #[serde(rename = "format-description")]
    pub format_description: String,
    /// The tool and its version, e.g. `highwater 0.1.0`.
    pub source: String,
    /// One line on what the trace shows.
    pub description: String,
    /// The preset the configuration started from.
    pub preset: String,
    /// The full model configuration, as JSON text.
    pub config: String,
    /// Seeded bugs enabled, comma-separated; empty for none.
    pub bugs: String,
    /// Fetch semantics (`apache` or `kip-strict`), also in `config`.
    pub semantics: String,
    /// The property the trace is about.
    pub property: String,
    /// Its verdict at the last state: `VIOLATED` (safety, liveness) or `reached` (coverage).
    pub verdict: String,
    /// The checker that found it (`dfs`, `bfs`, `simulation`, `conform`, `hand-written`).
    pub checker: String,
    /// The checker's seed.
    pub seed: String,
    /// Steps before minimisation.
    #[serde(rename = "steps-found")]
    pub steps_found: String,
    /// For a liveness trace, the bound on the fair continuation (its verdict depends on it);
    /// empty otherwise.
    #[serde(rename = "liveness-bound", default)]
    pub liveness_bound: String,
    /// Seeded bugs the protocol crate carried beyond the model's (`conform --protocol-bug`):
    /// replay enables them again. Comma-separated; empty for none.
    #[serde(rename = "protocol-bugs", default)]
    pub protocol_bugs: String,
    /// For a liveness trace, the index of the state where faults stop: the states after it are
    /// the fair continuation that never reaches the goal. Empty otherwise.
    #[serde(rename = "continuation-from", default)]
    pub continuation_from: String,
}

/// One state: the step that led to it and the view after it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TraceState {
    /// Its position.
    #[serde(rename = "#meta")]
    pub meta: StateMeta,
    /// The kind of step (`init` for the first state), as Quint's model-based testing names it.
    #[serde(rename = "mbt::actionTaken")]
    pub action_taken: String,
    /// The step, in full; absent in the initial state.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub action: Option<Action>,
    /// Every message that moved in the step, in order: the one the step delivers or loses, then
    /// those delivered within the same step (requests and answers to clients), and those taken
    /// off a queue because they could no longer change their receiver.
    #[serde(default)]
    pub messages: Vec<StepMessage>,
    /// The cluster after the step.
    pub view: ClusterView,
}

/// What became of a message that moved in a step.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Fate {
    /// Its receiver handled it.
    Delivered,
    /// The network lost it: a `drop` step, or a connection reset by a crash or a cut.
    Lost,
    /// Taken off its queue unread: an answer to a request of an older leader epoch, or a
    /// partition change no newer than the one its broker holds (it could change nothing).
    Outdated,
}

impl Fate {
    /// Its name in output.
    pub fn name(self) -> &'static str {
        match self {
            Fate::Delivered => "delivered",
            Fate::Lost => "lost",
            Fate::Outdated => "outdated",
        }
    }
}

/// A message that moved in a step.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct StepMessage {
    /// Sender.
    pub from: NodeId,
    /// Receiver.
    pub to: NodeId,
    /// What became of it.
    pub fate: Fate,
    /// The message.
    pub message: Message,
}

/// A state's `#meta`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct StateMeta {
    /// 0 for the initial state, then the step number.
    pub index: u64,
}

/// Why a text is not a trace. `Display` names the place; the caller adds the file.
#[derive(Debug, thiserror::Error, PartialEq)]
pub enum TraceError {
    /// Not JSON.
    #[error("not JSON: {0}")]
    Json(String),
    /// JSON, but not this format or version.
    #[error("format `{found}`: expected `{FORMAT}` (or the older `highwater-trace/1`)")]
    Format {
        /// What `#meta.format` says.
        found: String,
    },
    /// The trace as a whole is malformed.
    #[error("{0}")]
    Shape(String),
    /// One state is malformed.
    #[error("state {index}: {message}")]
    State {
        /// Which state (its position in `states`).
        index: usize,
        /// What is wrong.
        message: String,
    },
}

impl Trace {
    /// The actions, in order, a liveness trace's fair continuation included.
    pub fn actions(&self) -> Vec<Action> {
        self.states.iter().filter_map(|s| s.action.clone()).collect()
    }

    /// The index of the state where faults stop and the fair continuation begins, for a
    /// liveness trace that records it.
    pub fn continuation_from(&self) -> Option<usize> {
        self.meta.continuation_from.parse().ok()
    }

    /// The steps that lead to the state the trace's verdict is about: all of them, or for a
    /// liveness trace those before its fair continuation.
    pub fn path(&self) -> Vec<Action> {
        let end = self.continuation_from().unwrap_or(self.states.len() - 1);
        self.states[1..=end.min(self.states.len() - 1)].iter().filter_map(|s| s.action.clone()).collect()
    }

    /// Write as pretty JSON.
    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).expect("a trace is plain data")
    }

    /// Read a trace, checking its format version first and then each state on its own, so that
    /// an error names the state it is in.
    pub fn parse(text: &str) -> Result<Trace, TraceError> {
        let value: serde_json::Value = serde_json::from_str(text).map_err(|e| TraceError::Json(e.to_string()))?;
        let found = value.pointer("/#meta/format").and_then(|f| f.as_str()).unwrap_or("(none)");
        if !FORMATS_READ.contains(&found) {
            return Err(TraceError::Format { found: found.to_string() });
        }
        let meta =
            serde_json::from_value(value["#meta"].clone()).map_err(|e| TraceError::Shape(format!("#meta: {e}")))?;
        let meta: TraceMeta = meta;
        let vars =
            serde_json::from_value(value["vars"].clone()).map_err(|e| TraceError::Shape(format!("vars: {e}")))?;
        if !meta.continuation_from.is_empty() {
            let states = value["states"].as_array().map_or(0, Vec::len);
            match meta.continuation_from.parse::<usize>() {
                Ok(from) if from < states => {}
                _ => {
                    return Err(TraceError::Shape(format!(
                        "#meta.continuation-from `{}`: expected the index of a state (0 to {})",
                        meta.continuation_from,
                        states.saturating_sub(1)
                    )))
                }
            }
        }
        let raw = value["states"].as_array().ok_or_else(|| TraceError::Shape("`states` must be a list".into()))?;
        if raw.is_empty() {
            return Err(TraceError::Shape("`states` is empty: a trace starts with its initial state".into()));
        }
        let mut states = Vec::with_capacity(raw.len());
        for (index, state) in raw.iter().enumerate() {
            let fail = |message: String| TraceError::State { index, message };
            let mut state: TraceState = serde_json::from_value(state.clone()).map_err(|e| fail(e.to_string()))?;
            // A file may also list redirects KIP-392 allows; only the disallowed ones are kept,
            // as when a trace is written, so that it replays the same.
            state.view.ghost.redirects.retain(|r| !r.is_allowed());
            if state.meta.index != index as u64 {
                return Err(fail(format!("#meta.index is {}: expected {index}", state.meta.index)));
            }
            match (&state.action, index) {
                (Some(_), 0) => return Err(fail("the initial state has no action".into())),
                (None, i) if i > 0 => return Err(fail("`action` is missing".into())),
                _ => {}
            }
            states.push(state);
        }
        Ok(Trace { meta, vars, states })
    }
}
