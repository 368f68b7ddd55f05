//! `highwater bugs [--verify]`: the seeded historical bugs, and proof that the suite catches each:
//! the model with the bug violates the property the bug breaks, the minimised counterexample
//! replays on the protocol crate with the same bug as the same violation, and on the fixed
//! protocol crate with no violation.

use std::path::PathBuf;
use std::time::{Duration, Instant};

use highwater_model::{preset, BugSearch, ClusterModel, ModelBug};
use highwater_protocol::{Bug, Bugs};
use serde::Serialize;
use serde_json::json;

use super::check::{Format, DEFAULT_LIVENESS_BOUND};
use super::replay::replay_implementation_with;
use crate::exit_codes;
use crate::run::{self, Liveness, Search, SearchOptions, Status};
use crate::tracefile::{self, TraceInfo};

/// `highwater bugs` flags.
#[derive(Clone, Debug, clap::Args)]
pub struct BugsOpts {
    /// Check that every bug is caught: model-check with the bug, minimise the counterexample,
    /// replay it on the protocol crate with and without the bug.
    #[arg(long)]
    pub verify: bool,
    /// With `--verify`: where the counterexamples go (`<bug id>.json`).
    #[arg(long, value_name = "DIR", default_value = "bug-traces")]
    pub out: PathBuf,
    /// Only these bugs (repeatable); all of them when not given.
    #[arg(long = "bug", value_name = "ID")]
    pub only: Vec<String>,
    /// With `--verify`: the time each bug's search may take. The breadth-first searches keep
    /// every state they reached (about 0.9 KB each), so this bounds memory too: 0.43 GB at most
    /// over the 18 bugs' own searches, 6.4 GB after 130 s on `rack-outage`.
    #[arg(long, default_value_t = 60)]
    pub budget: u64,
    /// With `--verify`: the seed of the random walks, for the bug searched by simulation
    /// (`isr-expand-before-epoch-start`, whose smallest exposing preset is too large to exhaust).
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// With `--verify`: search on this preset instead of each bug's own (the smallest known to
    /// expose it), e.g. to see whether a larger configuration exposes a bug not caught yet.
    #[arg(long, value_name = "NAME")]
    pub preset: Option<String>,
    /// `text` or `json`.
    #[arg(long, value_enum, default_value = "text")]
    pub format: Format,
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
    }
}

/// Verify one bug (see the module docs).
pub fn verify(bug: Bug, opts: &BugsOpts) -> Verified {
    let Some(model_bug) = ModelBug::from_id(bug.id()) else {
        return missed(bug.id(), "not seeded in the model yet".into(), 0.0);
    };
    let start = Instant::now();
    let (expected, own_preset) = model_bug.expected();
    let chosen = preset(opts.preset.as_deref().unwrap_or(own_preset)).expect("checked by `run`");
    let preset_name = chosen.name;
    let mut cfg = chosen.config();
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
    let options = SearchOptions {
        search,
        seed: opts.seed,
        first_violation: true,
        ..SearchOptions::dfs(Duration::from_secs(opts.budget), liveness)
    };
    let mut searched = ClusterModel::new(cfg.clone());
    searched.only_properties = Some(expected.to_vec());
    let outcome = run::check(searched, &options);
    let Some(found) = outcome.properties.iter().find(|p| p.status == Status::Violated && expected.contains(&p.name))
    else {
        let searched = match (outcome.complete, search) {
            (true, _) => format!("`{preset_name}` checked exhaustively ({} unique states)", outcome.unique_states),
            (false, Search::Simulation) => {
                format!("none within {} s of random walks (seed {}) on `{preset_name}`", opts.budget, opts.seed)
            }
            (false, _) => format!("none within {} s on `{preset_name}`", opts.budget),
        };
        let why = format!("no violation of {}: {searched}", expected.join(" or "));
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
    };
    let path = found.path.as_deref().unwrap_or_default();
    let trace = match tracefile::minimised(&model, &cfg, path, found.found_at, &info) {
        Ok(trace) => trace,
        Err(e) => {
            return missed(bug.id(), format!("the counterexample is not a path: {e}"), start.elapsed().as_secs_f64())
        }
    };
    let file = opts.out.join(format!("{}.json", bug.id()));
    if let Err(e) = tracefile::write_whole(&file, &trace.to_json()) {
        return missed(bug.id(), format!("{}: cannot write: {e}", file.display()), start.elapsed().as_secs_f64());
    }
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
        steps: trace.states.len() - 1,
        seconds: start.elapsed().as_secs_f64(),
        reproduced_with_bug,
        clean_without_bug,
        trace: Some(file.display().to_string()),
    }
}

/// Run `bugs`.
pub fn exec(opts: BugsOpts) -> u8 {
    if let Some(name) = opts.preset.as_deref().filter(|name| preset(name).is_none()) {
        let known: Vec<&str> = highwater_model::PRESETS.iter().map(|p| p.name).collect();
        eprintln!("error: --preset {name}: unknown preset; expected one of: {}", known.join(", "));
        return exit_codes::USAGE;
    }
    if let Some(unknown) = opts.only.iter().find(|id| !Bug::ALL.iter().any(|b| b.id() == id.as_str())) {
        eprintln!("error: --bug {unknown}: no such seeded bug; `highwater bugs` lists them");
        return exit_codes::USAGE;
    }
    if !opts.verify {
        return list(&opts);
    }
    if let Err(error) = std::fs::create_dir_all(&opts.out) {
        eprintln!("error: --out {}: cannot create the directory: {error}", opts.out.display());
        return exit_codes::USAGE;
    }
    let chosen = Bug::ALL.iter().filter(|b| opts.only.is_empty() || opts.only.iter().any(|id| id == b.id()));
    let results: Vec<Verified> = chosen.map(|b| verify(*b, &opts)).collect();
    let caught = results.iter().filter(|r| r.caught).count();
    let code = if caught == results.len() { exit_codes::OK } else { exit_codes::VIOLATED };
    match opts.format {
        Format::Json => {
            println!("{}", json!({ "bugs": results, "caught": caught, "total": results.len(), "exit_code": code }))
        }
        Format::Text => {
            println!(
                "{:<42} {:<7} {:<34} {:>11} {:>7}  replay (with bug / fixed)",
                "bug", "caught", "property", "steps", "seconds"
            );
            for r in &results {
                let steps = if r.steps > 0 { format!("{} <- {}", r.steps, r.steps_found) } else { "-".into() };
                let replay = match r.property {
                    Some(_) => format!(
                        "{} / {}",
                        if r.reproduced_with_bug { "violated" } else { "NOT REPRODUCED" },
                        if r.clean_without_bug { "clean" } else { "VIOLATED" }
                    ),
                    None => r.missed_because.clone().unwrap_or_default(),
                };
                println!(
                    "{:<42} {:<7} {:<34} {:>11} {:>7.2}  {replay}",
                    r.id,
                    if r.caught { "yes" } else { "NO" },
                    r.property.unwrap_or("-"),
                    steps,
                    r.seconds
                );
            }
            println!("caught {caught}/{}", results.len());
        }
    }
    code
}

fn list(opts: &BugsOpts) -> u8 {
    let rows: Vec<_> = Bug::ALL
        .iter()
        .map(|b| {
            json!({
                "id": b.id(),
                "source": b.source(),
                "changes": b.changes(),
                "breaks": b.breaks(),
                "in_model": ModelBug::from_id(b.id()).is_some(),
            })
        })
        .collect();
    match opts.format {
        Format::Json => println!("{}", json!({ "bugs": rows })),
        Format::Text => {
            for b in Bug::ALL {
                let in_model = if ModelBug::from_id(b.id()).is_some() { "model + protocol" } else { "protocol only" };
                println!(
                    "{} ({}; {in_model})\n    changes: {}\n    breaks:  {}",
                    b.id(),
                    b.source(),
                    b.changes(),
                    b.breaks()
                );
            }
        }
    }
    exit_codes::OK
}
