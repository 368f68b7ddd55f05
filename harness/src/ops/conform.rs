//! Conformance sampling: sample random walks of the correct model (seeded, reproducible), replay
//! each through the protocol crate, and stop at the first divergence, written as a minimised
//! trace file. From the end of each walk the implementation's own fair continuation must reach
//! every liveness goal, as the model's must from every state. This is the gate for a change to
//! `protocol/`.

use std::collections::HashSet;
use std::hash::{Hash, Hasher};
use std::path::{Path, PathBuf};
use std::time::Instant;

use highwater_model::{ClusterModel, ClusterState, ModelConfig};
use highwater_protocol::{Bug, Bugs};
use highwater_traces::{Action, Trace};

use super::replay::{replay_implementation_with, ImplementationResult};
use crate::adapter::{protocol_bugs, Implementation};
use crate::rng::Rng;
use crate::run::DEFAULT_LIVENESS_BOUND;
use crate::tracefile::{self, TraceInfo};
use crate::viewdiff::compact;

fn fingerprint(state: &ClusterState) -> u64 {
    let mut hasher = std::hash::DefaultHasher::new();
    state.hash(&mut hasher);
    hasher.finish()
}

/// What a conformance sample found.
pub struct Sampled {
    /// Walks replayed.
    pub walks: usize,
    /// Steps in all.
    pub steps: usize,
    /// Distinct model states the walks passed through.
    pub distinct_states: usize,
    /// Distinct steps between them (pairs of states).
    pub distinct_transitions: usize,
    /// Wall time.
    pub elapsed_s: f64,
    /// The first divergence.
    pub divergence: Option<Divergence>,
    /// An interrupt stopped the sample before its last walk.
    pub interrupted: bool,
}

/// A walk the protocol crate did not follow, or followed into a violated property.
pub struct Divergence {
    /// Which walk.
    pub walk: usize,
    /// Its length after minimisation.
    pub steps: usize,
    /// The minimised trace.
    pub file: PathBuf,
    /// How the implementation parted from the model.
    pub result: ImplementationResult,
    /// Safety properties the implementation violated on the way, with the step.
    pub violated: Vec<(&'static str, usize)>,
    /// The trace file could not be written, and why; the divergence stands without it.
    pub unwritten: Option<String>,
}

impl Divergence {
    /// One line: where the implementation parted, or which property it broke while following.
    pub fn describe(&self) -> String {
        match &self.result {
            ImplementationResult::Diverged { step, first, .. } => format!(
                "diverged at step {step}: {}.{} expected {} actual {}",
                first.node,
                first.field,
                compact(&first.expected),
                compact(&first.actual)
            ),
            ImplementationResult::Refused { step, why } => format!("refused step {step}: {why}"),
            ImplementationResult::Conforms => {
                let broken: Vec<String> = self.violated.iter().map(|(p, step)| format!("{p} at step {step}")).collect();
                format!("conforms step by step, but the protocol crate violates {}", broken.join(", "))
            }
        }
    }
}

/// Replay `samples` seeded walks of the model of `cfg` through the protocol crate built with the
/// model's bugs plus `extra_bugs` (an implementation under test that carries bugs the model does
/// not). The first divergence is minimised and written to `out/conform-divergence.json`.
pub fn sample(
    cfg: &ModelConfig,
    preset: &str,
    (samples, depth, seed): (usize, usize, u64),
    out: &Path,
    extra_bugs: Bugs,
) -> Result<Sampled, String> {
    std::fs::create_dir_all(out).map_err(|e| format!("{}: cannot create the directory: {e}", out.display()))?;
    let model = ClusterModel::new(cfg.clone());
    let bugs = extra_bugs.iter().fold(protocol_bugs(cfg), Bugs::with);
    let start = Instant::now();
    let (mut steps, mut seen, mut moves) = (0usize, HashSet::new(), HashSet::new());
    let info = |found: usize| TraceInfo {
        preset,
        property: None,
        checker: "conform",
        seed,
        steps_found: found,
        liveness_bound: 0,
        continuation_from: None,
    };
    let extra_ids = extra_bugs.iter().map(Bug::id).collect::<Vec<_>>().join(",");
    let replay = |trace: &Trace| {
        let mut replayed = replay_implementation_with(cfg, trace, bugs);
        if matches!(replayed.result, ImplementationResult::Conforms) && replayed.violated.is_empty() {
            let end = trace.states.len() - 1;
            replayed.violated.extend(unreached_liveness(cfg, bugs, &trace.actions()).into_iter().map(|p| (p, end)));
        }
        replayed
    };
    let diverges = |actions: &[Action]| -> bool {
        tracefile::build(&model, cfg, actions, &info(actions.len())).is_ok_and(|trace| {
            let replayed = replay(&trace);
            !matches!(replayed.result, ImplementationResult::Conforms) || !replayed.violated.is_empty()
        })
    };
    let mut divergence = None;
    let mut walks = 0;
    for n in 0..samples {
        if crate::interrupt::requested() {
            break;
        }
        let mut rng = Rng::for_sample(seed, n as u64);
        let (path, states) = tracefile::random_walk(&model, &mut rng, depth);
        walks += 1;
        steps += path.len();
        let prints: Vec<u64> = states.iter().map(fingerprint).collect();
        moves.extend(prints.windows(2).map(|pair| (pair[0], pair[1])));
        seen.extend(prints);
        if diverges(&path) {
            let minimal = tracefile::minimise(&path, diverges);
            let mut trace =
                tracefile::build(&model, cfg, &minimal, &info(path.len())).expect("a minimised walk is a path");
            trace.meta.protocol_bugs = extra_ids.clone();
            let file = out.join("conform-divergence.json");
            let unwritten = tracefile::write_whole(&file, trace.to_json())
                .err()
                .map(|e| format!("{}: cannot write: {e}", file.display()));
            let replayed = replay(&trace);
            divergence = Some(Divergence {
                walk: n,
                steps: minimal.len(),
                file,
                result: replayed.result,
                violated: replayed.violated,
                unwritten,
            });
            break;
        }
    }
    Ok(Sampled {
        walks,
        steps,
        distinct_states: seen.len(),
        distinct_transitions: moves.len(),
        elapsed_s: start.elapsed().as_secs_f64(),
        interrupted: divergence.is_none() && walks < samples,
        divergence,
    })
}

/// The liveness properties whose goal the implementation, stepped through `actions` and then
/// continued fairly with faults stopped, does not reach within the default bound.
fn unreached_liveness(cfg: &ModelConfig, bugs: Bugs, actions: &[Action]) -> Vec<&'static str> {
    let mut implementation = Implementation::with_bugs(cfg, bugs);
    if actions.iter().any(|a| implementation.step(a).is_err()) {
        return Vec::new();
    }
    let liveness = highwater_properties::ALL.iter().filter(|p| p.kind == highwater_properties::Kind::Liveness);
    liveness
        .filter(|p| !implementation.clone().reaches_fairly(p.check, DEFAULT_LIVENESS_BOUND))
        .map(|p| p.name)
        .collect()
}
