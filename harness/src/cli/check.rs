//! `highwater check`: model-check a configuration and report every property.

use std::path::{Path, PathBuf};
use std::time::Duration;

use highwater_model::{ClusterModel, ModelConfig};

use super::config_opts::ConfigOpts;
use super::report;
use crate::exit_codes;
use crate::run::{self, Liveness, Search, SearchOptions, Status};
use crate::tracefile::{self, TraceInfo};
use highwater_traces::Trace;

/// Output format.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// A table for people.
    Text,
    /// One JSON object for machines.
    Json,
}

pub use crate::run::DEFAULT_LIVENESS_BOUND;

/// How bounded liveness is checked.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum LivenessMode {
    /// In every state the search reaches.
    EveryState,
    /// At the ends of seeded random walks.
    Sampled,
    /// Not at all.
    Off,
}

/// `highwater check` flags.
#[derive(Clone, Debug, clap::Args)]
pub struct CheckOpts {
    #[command(flatten)]
    pub config: ConfigOpts,
    /// Search: `dfs` (stateright's depth-first search: a fingerprint per state, the least
    /// memory), `bfs` (level by level: the same result to the byte on every run whatever the
    /// threads, shortest counterexamples, splits with `--shard`; holds two levels of states: on
    /// `default`, over 12 GB before a third of them), or `simulation` (random walks; never
    /// complete). `dfs` by default; `bfs` with `--shard`.
    #[arg(long, value_enum)]
    pub checker: Option<Search>,
    /// Worker threads; every core by default. Verdicts and state counts never depend on them;
    /// with `dfs` and more than one, which counterexample is found, and the depth reported, can
    /// vary from run to run (`bfs`, or one thread, gives the same output every run).
    #[arg(long, default_value_t = super::cores())]
    pub threads: usize,
    /// Stop after about this many states (the run is then inconclusive: exit 3).
    #[arg(long, value_parser = super::at_least_one)]
    pub max_states: Option<usize>,
    /// Explore paths of at most this many steps (inconclusive if any path was cut).
    #[arg(long, value_parser = super::at_least_one)]
    pub max_depth: Option<usize>,
    /// Stop after this many seconds (inconclusive if it fires).
    #[arg(long, value_parser = super::at_least_one_second)]
    pub timeout: Option<u64>,
    /// Seed of the simulation's random walks.
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
    /// Bounded liveness: `every-state` checks it in every state the search reaches (exhaustive
    /// when the search is); `sampled` only at the ends of seeded random walks (cheaper, never
    /// exhaustive); `off` skips it.
    #[arg(long, value_enum, default_value = "every-state")]
    pub liveness: LivenessMode,
    /// Remember each fair continuation's answer by the healed state it starts from, and answer
    /// a state that heals to one already run from memory. It changes no verdict; on the presets
    /// measured it answers a few percent of the checks and holds an entry for every other one.
    #[arg(long)]
    pub liveness_memo: bool,
    /// With `--liveness sampled`: random walks to sample.
    #[arg(long, default_value_t = 200, value_parser = super::at_least_one)]
    pub liveness_samples: usize,
    /// Bounded liveness: steps a fair continuation may take to reach the goal (the K of
    /// `committed-eventually-visible` and `preferred-replica-released`).
    #[arg(long, default_value_t = DEFAULT_LIVENESS_BOUND, value_parser = super::at_least_one)]
    pub liveness_bound: usize,
    /// With `--liveness sampled`: steps of each random walk before faults stop.
    #[arg(long, default_value_t = 80, value_parser = super::at_least_one)]
    pub liveness_walk: usize,
    /// Explore every numbering of consumers that share a rack instead of one representative.
    /// Without this flag, `bfs` and `dfs` treat them as interchangeable (sound: nothing depends
    /// on a consumer's number); simulation never does.
    #[arg(long)]
    pub no_symmetry: bool,
    /// `text` or `json`.
    #[arg(long, value_enum, default_value = "text")]
    pub format: Format,
    /// Write a minimised trace file (`<property>.json`, see `highwater trace show`) for each
    /// violated property into this directory, created if missing.
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
    /// With `--out`: also write a trace for each coverage predicate reached.
    #[arg(long, requires = "out")]
    pub keep_coverage: bool,
    /// Explore one part of a search split over processes or machines: `I/N`, from `0/N` to
    /// `N-1/N`. With `bfs`, every part explores the same first levels, then the states of one
    /// level whose fingerprint is I modulo N, and all they lead to; with `simulation`, part I
    /// walks from seed `--seed` + I. Needs `--out`, where the part's report
    /// (`shard-I-of-N.json`) and, with `bfs`, the fingerprints of its states
    /// (`shard-I-of-N.states`) are written for `highwater merge`.
    #[arg(long, value_parser = highwater_checker::Shard::parse, requires = "out")]
    pub shard: Option<highwater_checker::Shard>,
    /// Address the Explorer links in the report point at (see `highwater explore`).
    #[arg(long, default_value = "127.0.0.1:3000")]
    pub explorer: String,
}

/// The minimised trace of each violated property, and with `--keep-coverage` of each coverage
/// predicate reached: what the report prints and `--out` writes.
fn counterexamples(
    opts: &CheckOpts,
    cfg: &ModelConfig,
    options: &SearchOptions,
    outcome: &run::Outcome,
) -> Result<Vec<(&'static str, Trace)>, String> {
    let model = ClusterModel::new(cfg.clone());
    let bound = match options.liveness {
        Liveness::EveryState { bound } => bound,
        Liveness::Sampled(l) => l.bound,
        Liveness::Off => opts.liveness_bound,
    };
    let mut traces = Vec::new();
    for p in &outcome.properties {
        let wanted =
            p.status == Status::Violated || (opts.keep_coverage && opts.out.is_some() && p.status == Status::Reached);
        let (Some(path), true) = (&p.path, wanted) else { continue };
        let property = highwater_properties::by_name(p.name).expect("outcomes name known properties");
        let info = TraceInfo {
            preset: &opts.config.preset,
            property: Some(property),
            checker: match options.search {
                Search::Dfs => "dfs",
                Search::Bfs => "bfs",
                Search::Simulation => "simulation",
            },
            seed: options.seed,
            steps_found: 0,
            liveness_bound: bound,
            continuation_from: None,
        };
        let trace =
            tracefile::minimised(&model, cfg, path, p.found_at, &info).map_err(|e| format!("{}: {e}", p.name))?;
        traces.push((p.name, trace));
    }
    Ok(traces)
}

/// Write the traces `--out` asks for.
fn write_traces(dir: &Path, traces: &[(&'static str, Trace)]) -> Result<Vec<run::WrittenTrace>, String> {
    let mut written = Vec::new();
    for (name, trace) in traces {
        let file = dir.join(format!("{name}.json"));
        tracefile::write_whole(&file, trace.to_json()).map_err(|e| format!("{}: cannot write: {e}", file.display()))?;
        written.push(run::WrittenTrace {
            property: name,
            file: file.display().to_string(),
            steps_found: trace.meta.steps_found.parse().unwrap_or_default(),
            steps: trace.path().len(),
        });
    }
    Ok(written)
}

/// Run `check`.
pub fn exec(opts: CheckOpts) -> u8 {
    let cfg = match opts.config.resolve_or_report() {
        Ok(cfg) => cfg,
        Err(code) => return code,
    };
    if opts.threads == 0 {
        eprintln!("error: --threads must be at least 1");
        return exit_codes::USAGE;
    }
    let checker = opts.checker.unwrap_or(if opts.shard.is_some() { Search::Bfs } else { Search::Dfs });
    // A part of a swarm of random walks walks from its own seed.
    let seed = match (opts.shard, checker) {
        (Some(shard), Search::Simulation) => opts.seed.wrapping_add(shard.index),
        _ => opts.seed,
    };
    let options = SearchOptions {
        search: checker,
        threads: opts.threads,
        max_states: opts.max_states,
        max_depth: opts.max_depth,
        timeout: opts.timeout.map(Duration::from_secs),
        seed,
        progress: opts.format == Format::Text,
        liveness: match opts.liveness {
            LivenessMode::EveryState => Liveness::EveryState { bound: opts.liveness_bound },
            LivenessMode::Sampled => Liveness::Sampled(crate::liveness::LivenessOptions {
                samples: opts.liveness_samples,
                walk_steps: opts.liveness_walk,
                bound: opts.liveness_bound,
                seed,
            }),
            LivenessMode::Off => Liveness::Off,
        },
        symmetry: !opts.no_symmetry,
        first_violation: false,
        shard: opts.shard,
        liveness_memo: opts.liveness_memo,
    };
    if opts.shard.is_some() && checker == Search::Dfs {
        eprintln!("error: --shard splits a `bfs` or `simulation` search; `dfs` cannot be split");
        return exit_codes::USAGE;
    }
    if checker == Search::Simulation && opts.timeout.is_none() && opts.max_states.is_none() {
        eprintln!("error: --checker simulation never finishes by itself; give --timeout or --max-states");
        return exit_codes::USAGE;
    }
    if let Some(dir) = &opts.out {
        if let Err(error) = std::fs::create_dir_all(dir) {
            eprintln!("error: --out {}: cannot create the directory: {error}", dir.display());
            return exit_codes::USAGE;
        }
    }
    crate::interrupt::install();
    let mut outcome = run::check(ClusterModel::new(cfg.clone()), &options);
    let code = outcome.exit_code();
    let traces = match counterexamples(&opts, &cfg, &options, &outcome) {
        Ok(traces) => traces,
        Err(error) => {
            eprintln!("error: {error}");
            return exit_codes::USAGE;
        }
    };
    // A file that cannot be written costs the file, never the report of the finished run.
    let mut unwritten = None;
    if let Some(dir) = &opts.out {
        match write_traces(dir, &traces) {
            Ok(written) => outcome.traces = written,
            Err(error) => unwritten = Some(error),
        }
    }
    let shown: Vec<&Trace> = traces.iter().filter(|(_, t)| t.meta.verdict == "VIOLATED").map(|(_, t)| t).collect();
    let json = report::json(&opts.config.preset, &cfg, &options, &outcome, code);
    match opts.format {
        Format::Text => {
            print!("{}", report::text(&report::Context { opts: &opts, cfg: &cfg, options: &options }, &outcome, &shown))
        }
        Format::Json => println!("{json}"),
    }
    if let (Some(shard), Some(dir), None) = (opts.shard, &opts.out, &unwritten) {
        if let Err(error) = super::merge::write_shard(dir, shard, &json, outcome.fingerprints.as_deref()) {
            unwritten = Some(error);
        }
    }
    match unwritten {
        Some(error) => {
            eprintln!("error: {error}");
            exit_codes::USAGE
        }
        None => code,
    }
}
