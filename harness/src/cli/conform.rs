//! `highwater conform`: sample random walks of the correct model (seeded, reproducible), replay
//! each through the protocol crate, and stop at the first divergence, written as a minimised
//! trace file. This is the gate for a change to `protocol/`.

use std::collections::HashSet;
use std::hash::{Hash, Hasher};
use std::path::PathBuf;
use std::time::Instant;

use highwater_model::{ClusterModel, ClusterState};
use highwater_traces::{Action, Trace};
use serde_json::json;

use super::check::Format;
use super::config_opts::ConfigOpts;
use super::replay::{replay_implementation_with, ImplementationResult};
use crate::adapter::protocol_bugs;
use crate::exit_codes;
use crate::rng::Rng;
use crate::tracefile::{self, TraceInfo};
use crate::viewdiff::compact;
use highwater_model::ModelConfig;
use highwater_protocol::{Bug, Bugs};
use std::path::Path;

/// `highwater conform` flags.
#[derive(Clone, Debug, clap::Args)]
pub struct ConformOpts {
    #[command(flatten)]
    pub config: ConfigOpts,
    /// Random walks to sample.
    #[arg(long, default_value_t = 200)]
    pub samples: usize,
    /// Steps per walk (a walk ends early where the model has nothing left to do).
    #[arg(long, default_value_t = 40)]
    pub depth: usize,
    /// Seed: the same seed gives the same walks.
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
    /// Where to write the divergence's trace (`conform-divergence.json` in it).
    #[arg(long, value_name = "DIR", default_value = ".")]
    pub out: PathBuf,
    /// Build the protocol crate with this seeded bug too (repeatable), the model staying
    /// correct: what the gate does with an implementation that carries a bug.
    #[arg(long = "protocol-bug", value_name = "ID")]
    pub protocol_bugs: Vec<String>,
    /// `text` or `json`.
    #[arg(long, value_enum, default_value = "text")]
    pub format: Format,
}

/// The protocol crate's bug with this id.
pub fn protocol_bug(id: &str) -> Result<Bug, String> {
    Bug::ALL
        .iter()
        .copied()
        .find(|b| b.id() == id)
        .ok_or_else(|| format!("--protocol-bug {id}: no such seeded bug; `highwater bugs` lists them"))
}

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
    /// Wall time.
    pub elapsed_s: f64,
    /// The first divergence.
    pub divergence: Option<Divergence>,
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
    let (mut steps, mut seen) = (0usize, HashSet::new());
    let info = |found: usize| TraceInfo {
        preset,
        property: None,
        checker: "conform",
        seed,
        steps_found: found,
        liveness_bound: 0,
    };
    let extra_ids = extra_bugs.iter().map(Bug::id).collect::<Vec<_>>().join(",");
    let replay = |trace: &Trace| replay_implementation_with(cfg, trace, bugs);
    let diverges = |actions: &[Action]| -> bool {
        tracefile::build(&model, cfg, actions, &info(actions.len())).is_ok_and(|trace| {
            let replayed = replay(&trace);
            !matches!(replayed.result, ImplementationResult::Conforms) || !replayed.violated.is_empty()
        })
    };
    let mut divergence = None;
    let mut walks = 0;
    for n in 0..samples {
        let mut rng = Rng::for_sample(seed, n as u64);
        let (path, states) = tracefile::random_walk(&model, &mut rng, depth);
        walks += 1;
        steps += path.len();
        seen.extend(states.iter().map(fingerprint));
        if diverges(&path) {
            let minimal = tracefile::minimise(&path, diverges);
            let mut trace =
                tracefile::build(&model, cfg, &minimal, &info(path.len())).expect("a minimised walk is a path");
            trace.meta.protocol_bugs = extra_ids.clone();
            let file = out.join("conform-divergence.json");
            tracefile::write_whole(&file, &trace.to_json())
                .map_err(|e| format!("{}: cannot write: {e}", file.display()))?;
            let replayed = replay(&trace);
            divergence = Some(Divergence {
                walk: n,
                steps: minimal.len(),
                file,
                result: replayed.result,
                violated: replayed.violated,
            });
            break;
        }
    }
    Ok(Sampled { walks, steps, distinct_states: seen.len(), elapsed_s: start.elapsed().as_secs_f64(), divergence })
}

/// Run `conform`.
pub fn exec(opts: ConformOpts) -> u8 {
    let cfg = match opts.config.resolve_or_report() {
        Ok(cfg) => cfg,
        Err(code) => return code,
    };
    let extra: Result<Bugs, String> = opts.protocol_bugs.iter().map(|id| protocol_bug(id)).collect();
    let sampled = match extra
        .and_then(|extra| sample(&cfg, &opts.config.preset, (opts.samples, opts.depth, opts.seed), &opts.out, extra))
    {
        Ok(sampled) => sampled,
        Err(error) => {
            eprintln!("error: {error}");
            return exit_codes::USAGE;
        }
    };
    let Sampled { walks: sampled, steps, distinct_states, elapsed_s: elapsed, divergence } = sampled;
    let code = if divergence.is_some() { exit_codes::VIOLATED } else { exit_codes::OK };
    match opts.format {
        Format::Json => println!(
            "{}",
            json!({
                "preset": opts.config.preset,
                "config": cfg,
                "seed": opts.seed,
                "samples": sampled,
                "steps": steps,
                "distinct_states": distinct_states,
                "elapsed_s": elapsed,
                "samples_per_s": sampled as f64 / elapsed.max(1e-9),
                "divergence": divergence.as_ref().map(|d| json!({
                    "sample": d.walk,
                    "steps": d.steps,
                    "file": d.file.display().to_string(),
                    "result": d.result,
                    "violated": d.violated.iter().map(|(p, step)| json!({"property": p, "step": step})).collect::<Vec<_>>(),
                })),
                "exit_code": code,
            })
        ),
        Format::Text => {
            println!(
                "conform: preset {}, seed {}: {sampled} walks, {steps} steps, {} distinct model states, {elapsed:.2} s ({:.0} walks/s)",
                opts.config.preset,
                opts.seed,
                distinct_states,
                sampled as f64 / elapsed.max(1e-9)
            );
            match &divergence {
                None => println!("every walk conforms"),
                Some(d) => println!(
                    "walk {} {}; minimised to {} steps: {} (see `highwater trace show`)",
                    d.walk,
                    d.describe(),
                    d.steps,
                    d.file.display()
                ),
            }
        }
    }
    code
}
