//! Bug verification: proof that the suite catches a seeded bug. The model with the bug violates
//! the property the catalogue says catches it, the minimised counterexample replays on the
//! protocol crate with the same bug as the same violation, and on the fixed protocol crate with
//! no violation.

use std::path::PathBuf;
use std::time::{Duration, Instant};

use highwater_model::{preset, BugSearch, ClusterModel, ModelBug};
use highwater_protocol::{Bug, Bugs};
use serde::Serialize;

use super::replay::replay_implementation_with;
use crate::run::{self, Liveness, Search, SearchOptions, Status, DEFAULT_LIVENESS_BOUND};
use crate::tracefile::{self, TraceInfo};

/// How to verify a bug.
#[derive(Clone, Debug)]
pub struct VerifyOptions {
    /// Where the counterexamples go (`<bug id>.json`).
    pub out: PathBuf,
    /// The time each bug's search may take.
    pub budget: Duration,
    /// The seed of the random walks, for a bug searched by simulation.
    pub seed: u64,
    /// Search on this preset instead of the bug's own.
    pub preset: Option<String>,
}

/// One bug's verification.
#[derive(Clone, Debug, Serialize)]
pub struct Verified {
    /// The bug id.
    pub id: &'static str,
    /// Caught: the expected property violated, reproduced with the bug, clean without.
    pub caught: bool,
    /// Why not, when not.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub missed_because: Option<String>,
    /// The property the counterexample shows.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub property: Option<&'static str>,
    /// The preset searched.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub preset: Option<&'static str>,
    /// Steps as found and after minimisation.
    pub steps_found: usize,
    /// Steps after minimisation.
    pub steps: usize,
    /// Search, minimisation and both replays, in seconds.
    pub seconds: f64,
    /// Replay on the protocol crate with the bug: the property violated there too.
    pub reproduced_with_bug: bool,
    /// Replay on the fixed protocol crate: no safety property violated.
    pub clean_without_bug: bool,
    /// The trace file.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub trace: Option<String>,
    /// An interrupt stopped the search: not caught, but not missed either.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub interrupted: bool,
    /// The trace file that could not be written, and why; the verdict stands without it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub unwritten: Option<String>,
}

fn missed(id: &'static str, why: String, seconds: f64) -> Verified {
    Verified {
        id,
        caught: false,
        missed_because: Some(why),
        property: None,
        preset: None,
        steps_found: 0,
        steps: 0,
        seconds,
        reproduced_with_bug: false,
        clean_without_bug: false,
        trace: None,
        interrupted: false,
        unwritten: None,
    }
}

/// Verify one bug (see the module docs).
pub fn verify(bug: Bug, opts: &VerifyOptions) -> Verified {
    let Some(model_bug) = ModelBug::from_id(bug.id()) else {
        return missed(bug.id(), "not seeded in the model yet".into(), 0.0);
    };
    let start = Instant::now();
    let entry = model_bug.entry();
    let expected = [entry.property];
    let chosen = preset(opts.preset.as_deref().unwrap_or(entry.preset)).expect("a known preset");
    let preset_name = chosen.name;
    let mut cfg = chosen.config();
    cfg.semantics = entry.semantics;
    cfg.bugs.insert(model_bug);
    // A bug that breaks a liveness property is searched with the fair continuation run in
    // every state; safety bugs are searched without it, which is much faster.
    let breaks_liveness = expected.iter().any(|name| {
        highwater_properties::by_name(name).is_some_and(|p| p.kind == highwater_properties::Kind::Liveness)
    });
    let (liveness, liveness_bound) = match breaks_liveness {
        true => (Liveness::EveryState { bound: DEFAULT_LIVENESS_BOUND }, DEFAULT_LIVENESS_BOUND),
        false => (Liveness::Off, 0),
    };
    let search = match model_bug.search() {
        BugSearch::BreadthFirst => Search::Bfs,
        BugSearch::DepthFirst => Search::Dfs,
        BugSearch::RandomWalks => Search::Simulation,
    };
    let options =
        SearchOptions { search, seed: opts.seed, first_violation: true, ..SearchOptions::dfs(opts.budget, liveness) };
    let mut searched = ClusterModel::new(cfg.clone());
    searched.only_properties = Some(expected.to_vec());
    let outcome = run::check(searched, &options);
    let Some(found) = outcome.properties.iter().find(|p| p.status == Status::Violated && expected.contains(&p.name))
    else {
        if outcome.stopped_by.as_deref() == Some(crate::interrupt::STOPPED_BY) {
            let why = format!("not known: {} stopped the search", crate::interrupt::STOPPED_BY);
            let seconds = start.elapsed().as_secs_f64();
            return Verified { preset: Some(preset_name), interrupted: true, ..missed(bug.id(), why, seconds) };
        }
        let searched = match (outcome.complete, search) {
            (true, _) => format!("`{preset_name}` checked exhaustively ({} unique states)", outcome.unique_states),
            (false, Search::Simulation) => {
                format!(
                    "none within {} s of random walks (seed {}) on `{preset_name}`",
                    opts.budget.as_secs(),
                    opts.seed
                )
            }
            (false, _) => format!("none within {} s on `{preset_name}`", opts.budget.as_secs()),
        };
        let why = format!("no violation of {}: {searched}", entry.property);
        return Verified { preset: Some(preset_name), ..missed(bug.id(), why, start.elapsed().as_secs_f64()) };
    };
    let property = highwater_properties::by_name(found.name).expect("a known property");
    let model = ClusterModel::new(cfg.clone());
    let info = TraceInfo {
        preset: preset_name,
        property: Some(property),
        checker: match search {
            Search::Dfs => "dfs",
            Search::Bfs => "bfs",
            Search::Simulation => "simulation",
        },
        seed: if search == Search::Simulation { opts.seed } else { 0 },
        steps_found: 0,
        liveness_bound,
        continuation_from: None,
    };
    let path = found.path.as_deref().unwrap_or_default();
    let trace = match tracefile::minimised(&model, &cfg, path, found.found_at, &info) {
        Ok(trace) => trace,
        Err(e) => {
            return missed(bug.id(), format!("the counterexample is not a path: {e}"), start.elapsed().as_secs_f64())
        }
    };
    let file = opts.out.join(format!("{}.json", bug.id()));
    let unwritten =
        tracefile::write_whole(&file, trace.to_json()).err().map(|e| format!("{}: cannot write: {e}", file.display()));
    let with_bug = replay_implementation_with(&cfg, &trace, Bugs::only(bug));
    let without = replay_implementation_with(&cfg, &trace, Bugs::NONE);
    let reproduced_with_bug = with_bug.violated.iter().any(|(name, _)| *name == property.name);
    let clean_without_bug = without.violated.is_empty();
    Verified {
        id: bug.id(),
        caught: reproduced_with_bug && clean_without_bug,
        missed_because: match (reproduced_with_bug, clean_without_bug) {
            (true, true) => None,
            (false, _) => Some("the protocol crate with the bug does not reproduce the violation".into()),
            (true, false) => Some("the fixed protocol crate violates a property on the same steps".into()),
        },
        property: Some(property.name),
        preset: Some(preset_name),
        steps_found: trace.meta.steps_found.parse().unwrap_or_default(),
        steps: trace.path().len(),
        seconds: start.elapsed().as_secs_f64(),
        reproduced_with_bug,
        clean_without_bug,
        trace: unwritten.is_none().then(|| file.display().to_string()),
        interrupted: false,
        unwritten,
    }
}
