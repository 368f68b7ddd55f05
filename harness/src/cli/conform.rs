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
use stateright::Model;

use super::check::Format;
use super::config_opts::ConfigOpts;
use super::replay::{replay_implementation, ImplementationResult};
use crate::exit_codes;
use crate::rng::Rng;
use crate::tracefile::{self, TraceInfo};
use crate::viewdiff::compact;

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
    /// `text` or `json`.
    #[arg(long, value_enum, default_value = "text")]
    pub format: Format,
}

/// One seeded random walk of the model: its steps and the states it passed through.
pub fn walk(model: &ClusterModel, rng: &mut Rng, depth: usize) -> (Vec<Action>, Vec<ClusterState>) {
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

fn fingerprint(state: &ClusterState) -> u64 {
    let mut hasher = std::hash::DefaultHasher::new();
    state.hash(&mut hasher);
    hasher.finish()
}

/// Run `conform`.
pub fn exec(opts: ConformOpts) -> u8 {
    let cfg = match opts.config.resolve() {
        Ok(cfg) => cfg,
        Err(error) => {
            eprintln!("error: {error}");
            return exit_codes::USAGE;
        }
    };
    if let Err(error) = std::fs::create_dir_all(&opts.out) {
        eprintln!("error: --out {}: cannot create the directory: {error}", opts.out.display());
        return exit_codes::USAGE;
    }
    let model = ClusterModel::new(cfg.clone());
    let start = Instant::now();
    let (mut steps, mut seen) = (0usize, HashSet::new());
    let info = |found: usize| TraceInfo {
        preset: &opts.config.preset,
        property: None,
        checker: "conform",
        seed: opts.seed,
        steps_found: found,
        liveness_bound: 0,
    };
    let diverges = |actions: &[Action]| -> bool {
        tracefile::build(&model, &cfg, actions, &info(actions.len()))
            .is_ok_and(|trace| !matches!(replay_implementation(&cfg, &trace).result, ImplementationResult::Conforms))
    };
    let mut divergence: Option<(usize, Trace, PathBuf)> = None;
    let mut sampled = 0;
    for sample in 0..opts.samples {
        let mut rng = Rng::for_sample(opts.seed, sample as u64);
        let (path, states) = walk(&model, &mut rng, opts.depth);
        sampled += 1;
        steps += path.len();
        seen.extend(states.iter().map(fingerprint));
        if diverges(&path) {
            let minimal = tracefile::minimise(&path, diverges);
            let trace =
                tracefile::build(&model, &cfg, &minimal, &info(path.len())).expect("a minimised walk is a path");
            let file = opts.out.join("conform-divergence.json");
            if let Err(error) = tracefile::write_whole(&file, &trace.to_json()) {
                eprintln!("error: {}: cannot write: {error}", file.display());
                return exit_codes::USAGE;
            }
            divergence = Some((sample, trace, file));
            break;
        }
    }
    let elapsed = start.elapsed().as_secs_f64();
    let code = if divergence.is_some() { exit_codes::VIOLATED } else { exit_codes::OK };
    let found = divergence.as_ref().map(|(sample, trace, file)| {
        let replay = replay_implementation(&cfg, trace);
        (sample, trace.states.len() - 1, file.display().to_string(), replay.result)
    });
    match opts.format {
        Format::Json => println!(
            "{}",
            json!({
                "preset": opts.config.preset,
                "config": cfg,
                "seed": opts.seed,
                "samples": sampled,
                "steps": steps,
                "distinct_states": seen.len(),
                "elapsed_s": elapsed,
                "samples_per_s": sampled as f64 / elapsed.max(1e-9),
                "divergence": found.as_ref().map(|(sample, len, file, result)| json!({
                    "sample": sample, "steps": len, "file": file, "result": result,
                })),
                "exit_code": code,
            })
        ),
        Format::Text => {
            println!(
                "conform: preset {}, seed {}: {sampled} walks, {steps} steps, {} distinct model states, {elapsed:.2} s ({:.0} walks/s)",
                opts.config.preset,
                opts.seed,
                seen.len(),
                sampled as f64 / elapsed.max(1e-9)
            );
            match &found {
                None => println!("every walk conforms"),
                Some((sample, len, file, result)) => {
                    let what = match result {
                        ImplementationResult::Diverged { step, first, .. } => format!(
                            "diverged at step {step}: {}.{} expected {} actual {}",
                            first.node,
                            first.field,
                            compact(&first.expected),
                            compact(&first.actual)
                        ),
                        ImplementationResult::Refused { step, why } => format!("refused step {step}: {why}"),
                        ImplementationResult::Conforms => "conforms".into(),
                    };
                    println!("walk {sample} {what}; minimised to {len} steps: {file} (see `highwater trace show`)");
                }
            }
        }
    }
    code
}
