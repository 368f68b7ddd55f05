//! `highwater check`: model-check a configuration and report every property.

use std::time::Duration;

use highwater_model::ClusterModel;

use super::config_opts::ConfigOpts;
use super::report;
use crate::exit_codes;
use crate::run::{self, Liveness, Search, SearchOptions};

/// Output format.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// A table for people.
    Text,
    /// One JSON object for machines.
    Json,
}

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
    /// Search: `dfs` (least memory), `bfs`, or `simulation` (random walks; never complete).
    #[arg(long, value_enum, default_value = "dfs")]
    pub checker: Search,
    /// Worker threads. With 1 (the default) a run is reproducible to the letter; with more it is
    /// faster, and verdicts and state counts stay the same, but which counterexample is found and
    /// the depth reported can vary from run to run.
    #[arg(long, default_value_t = 1)]
    pub threads: usize,
    /// Stop after about this many states (the run is then inconclusive: exit 3).
    #[arg(long)]
    pub max_states: Option<usize>,
    /// Explore paths of at most this many steps (inconclusive if any path was cut).
    #[arg(long)]
    pub max_depth: Option<usize>,
    /// Stop after this many seconds (inconclusive if it fires).
    #[arg(long)]
    pub timeout: Option<u64>,
    /// Seed of the simulation's random walks.
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
    /// Bounded liveness: `every-state` checks it in every state the search reaches (exhaustive
    /// when the search is); `sampled` only at the ends of seeded random walks (cheaper, never
    /// exhaustive); `off` skips it.
    #[arg(long, value_enum, default_value = "every-state")]
    pub liveness: LivenessMode,
    /// With `--liveness sampled`: random walks to sample.
    #[arg(long, default_value_t = 200)]
    pub liveness_samples: usize,
    /// Bounded liveness: steps a fair continuation may take to reach the goal (the K of
    /// `committed-eventually-visible` and `preferred-replica-released`).
    #[arg(long, default_value_t = 400)]
    pub liveness_bound: usize,
    /// With `--liveness sampled`: steps of each random walk before faults stop.
    #[arg(long, default_value_t = 80)]
    pub liveness_walk: usize,
    /// `text` or `json`.
    #[arg(long, value_enum, default_value = "text")]
    pub format: Format,
    /// Address the Explorer links in the report point at (see `highwater explore`).
    #[arg(long, default_value = "127.0.0.1:3000")]
    pub explorer: String,
}

/// Run `check`.
pub fn exec(opts: CheckOpts) -> u8 {
    let cfg = match opts.config.resolve() {
        Ok(cfg) => cfg,
        Err(error) => {
            eprintln!("error: {error}");
            return exit_codes::USAGE;
        }
    };
    if opts.threads == 0 {
        eprintln!("error: --threads must be at least 1");
        return exit_codes::USAGE;
    }
    let options = SearchOptions {
        search: opts.checker,
        threads: opts.threads,
        max_states: opts.max_states,
        max_depth: opts.max_depth,
        timeout: opts.timeout.map(Duration::from_secs),
        seed: opts.seed,
        progress: opts.format == Format::Text,
        liveness: match opts.liveness {
            LivenessMode::EveryState => Liveness::EveryState { bound: opts.liveness_bound },
            LivenessMode::Sampled => Liveness::Sampled(crate::liveness::LivenessOptions {
                samples: opts.liveness_samples,
                walk_steps: opts.liveness_walk,
                bound: opts.liveness_bound,
                seed: opts.seed,
            }),
            LivenessMode::Off => Liveness::Off,
        },
    };
    if opts.checker == Search::Simulation && opts.timeout.is_none() && opts.max_states.is_none() {
        eprintln!("error: --checker simulation never finishes by itself; give --timeout or --max-states");
        return exit_codes::USAGE;
    }
    let outcome = run::check(ClusterModel::new(cfg.clone()), &options);
    let code = outcome.exit_code();
    match opts.format {
        Format::Text => print!("{}", report::text(&opts.config.preset, &cfg, &options, &outcome, &opts.explorer)),
        Format::Json => println!("{}", report::json(&opts.config.preset, &cfg, &options, &outcome, code)),
    }
    code
}
