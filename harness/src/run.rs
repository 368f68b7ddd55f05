//! Running the model checker: stateright behind one small API, so that its quirks are handled in
//! one place:
//! - `target_max_depth(N)` evaluates states reached by at most N-2 actions, so `--max-depth D` asks
//!   for D+2;
//! - its BFS ignores symmetry, so breadth-first search is `highwater-checker`'s, which honours it
//!   (and gives the same result on any number of threads);
//! - a run cut short by a bound, or by a panic in the model (a worker thread that panics just
//!   stops), is reported as incomplete, never as a pass.

use std::io::Write;
use std::time::{Duration, Instant};

use highwater_model::symmetry::ConsumerSymmetry;
use highwater_model::{ClusterModel, ClusterState};
use highwater_properties::{Kind, ALL};
use highwater_traces::Action;
use serde::Serialize;
use stateright::{Checker, CheckerBuilder, HasDiscoveries, Model, UniformChooser};

/// Steps a fair continuation may take unless told otherwise (`--liveness-bound`).
pub const DEFAULT_LIVENESS_BOUND: usize = 400;

/// Which search.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Search {
    /// Depth first (stateright's checker): least memory (a fingerprint per state).
    Dfs,
    /// Breadth first, level by level, on every thread (`highwater-checker`): the same result on
    /// every run whatever the threads, and shortest counterexamples; holds two levels of states.
    Bfs,
    /// Random walks from a seed: for configurations too large to exhaust; never complete.
    Simulation,
}

/// How to search.
#[derive(Clone, Debug, Serialize)]
pub struct SearchOptions {
    /// The search.
    pub search: Search,
    /// Worker threads.
    pub threads: usize,
    /// Stop after about this many states.
    pub max_states: Option<usize>,
    /// Stop paths at this many steps.
    pub max_depth: Option<usize>,
    /// Stop after this long.
    pub timeout: Option<Duration>,
    /// Seed of the simulation's random walks.
    pub seed: u64,
    /// Print progress on stderr every second.
    pub progress: bool,
    /// How bounded liveness is checked.
    pub liveness: Liveness,
    /// Renumber same-rack consumers to one representative (not in simulation; see
    /// `highwater_model::symmetry`).
    pub symmetry: bool,
    /// Explore one part of a search split over processes (breadth first: one part of the
    /// states; simulation: the part is recorded, its seed chosen by the caller).
    #[serde(serialize_with = "shard_text")]
    pub shard: Option<highwater_checker::Shard>,
    /// Stop at the first violation (a seeded bug's search): the other verdicts are then unknown.
    pub first_violation: bool,
    /// Remember the answer of each fair continuation by the healed state it starts from
    /// (`highwater_model::liveness_memo`).
    pub liveness_memo: bool,
}

impl SearchOptions {
    /// A quiet depth-first search on one thread, cut short after `timeout`.
    pub fn dfs(timeout: Duration, liveness: Liveness) -> SearchOptions {
        SearchOptions {
            search: Search::Dfs,
            threads: 1,
            max_states: None,
            max_depth: None,
            timeout: Some(timeout),
            seed: 0,
            progress: false,
            liveness,
            symmetry: true,
            first_violation: false,
            shard: None,
            liveness_memo: false,
        }
    }
}

fn shard_text<S: serde::Serializer>(
    shard: &Option<highwater_checker::Shard>,
    serializer: S,
) -> Result<S::Ok, S::Error> {
    match shard {
        Some(shard) => serializer.serialize_str(&format!("{}/{}", shard.index, shard.count)),
        None => serializer.serialize_none(),
    }
}

/// How bounded liveness is checked.
#[derive(Clone, Copy, Debug, Serialize)]
#[serde(rename_all = "kebab-case", tag = "mode")]
pub enum Liveness {
    /// In every state the search reaches: faults stop, and a fair continuation of at most `bound`
    /// steps must reach each goal. Exhaustive when the search is.
    EveryState {
        /// Steps the fair continuation may take.
        bound: usize,
    },
    /// From the ends of seeded random walks only: never exhaustive.
    Sampled(crate::liveness::LivenessOptions),
    /// Not checked.
    Off,
}

/// A property's verdict.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, serde::Deserialize)]
pub enum Status {
    /// Safety, complete run: no state violates it.
    #[serde(rename = "holds")]
    Holds,
    /// A state violates it.
    #[serde(rename = "VIOLATED")]
    Violated,
    /// Coverage: some state reaches it.
    #[serde(rename = "reached")]
    Reached,
    /// Coverage, complete run: no state reaches it.
    #[serde(rename = "NOT REACHED")]
    NotReached,
    /// The run was cut short before a verdict (never a pass).
    #[serde(rename = "unknown")]
    Unknown,
    /// Liveness, complete run: from every reachable state a fair continuation reaches the goal.
    /// (Safety and liveness share `holds`; the kind column tells them apart.)
    /// Liveness: every sampled fair continuation reached the goal (not exhaustive).
    #[serde(rename = "holds (sampled)")]
    HoldsSampled,
    /// Liveness: not checked (`--liveness off`).
    #[serde(rename = "not checked")]
    NotChecked,
}

/// One property's outcome.
#[derive(Clone, Debug, Serialize)]
pub struct PropertyOutcome {
    /// Name.
    pub name: &'static str,
    /// Kind.
    pub kind: &'static str,
    /// Verdict.
    pub status: Status,
    /// The path to the violating (or reaching) state, for a discovery.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub path: Option<Vec<Action>>,
    /// stateright's encoding of that path, for an Explorer link (`#/steps/<encoded>`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub encoded: Option<String>,
    /// Steps to the state the search found (for liveness, `path` goes on past it).
    #[serde(skip)]
    pub found_at: usize,
}

/// What a run found.
#[derive(Clone, Debug, Serialize)]
pub struct Outcome {
    /// Whether every reachable state was explored.
    pub complete: bool,
    /// Why not, if not.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub stopped_by: Option<String>,
    /// States generated.
    pub states: usize,
    /// Distinct states.
    pub unique_states: usize,
    /// Longest path explored.
    pub max_depth: usize,
    /// Wall time.
    pub elapsed_s: f64,
    /// Generated states per second.
    pub states_per_s: f64,
    /// Every property.
    pub properties: Vec<PropertyOutcome>,
    /// Trace files written (`check --out`).
    pub traces: Vec<WrittenTrace>,
    /// The groups of same-rack consumers the search treated as interchangeable, if it did.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub symmetry: Option<Vec<Vec<u32>>>,
    /// The level at which a shard's search split, if it did.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub split_level: Option<usize>,
    /// Every state's fingerprint, sorted (a shard's, for merging).
    #[serde(skip)]
    pub fingerprints: Option<Vec<u64>>,
    /// The fingerprint of the first initial state under this build (breadth first): parts of a
    /// split search must agree on it, or they split the states differently.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fingerprint_probe: Option<u64>,
    /// Fair continuations run, and liveness checks answered from the memo.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub liveness_memo: Option<highwater_model::liveness_memo::MemoStats>,
}

/// A trace file `check --out` wrote.
#[derive(Clone, Debug, Serialize)]
pub struct WrittenTrace {
    /// The property it shows.
    pub property: &'static str,
    /// Where.
    pub file: String,
    /// Steps as found.
    pub steps_found: usize,
    /// Steps after minimisation.
    pub steps: usize,
}

/// What a search found, before any verdict.
struct Found {
    stopped_by: Option<String>,
    states: usize,
    unique: usize,
    max_depth: usize,
    /// Per property found: the steps to the state, the state, and the Explorer's encoding.
    discoveries: Vec<(&'static str, Vec<Action>, ClusterState, String)>,
    split_level: Option<usize>,
    fingerprints: Option<Vec<u64>>,
    fingerprint_probe: Option<u64>,
}

/// Check `model` as asked.
pub fn check(model: ClusterModel, options: &SearchOptions) -> Outcome {
    let start = Instant::now();
    let (model, sampled) = match options.liveness {
        Liveness::EveryState { bound } if options.liveness_memo => {
            (model.with_liveness_bound(bound).with_liveness_memo(), Vec::new())
        }
        Liveness::EveryState { bound } => (model.with_liveness_bound(bound), Vec::new()),
        Liveness::Sampled(l) => {
            let sampled = crate::liveness::check(&model, l);
            (model, sampled)
        }
        Liveness::Off => (model, Vec::new()),
    };
    // stateright's simulation renumbers consumers as it walks, which its paths do not show.
    let symmetry = match (options.symmetry, options.search) {
        (true, Search::Dfs | Search::Bfs) => ConsumerSymmetry::of(&model.cfg, model.layout),
        _ => None,
    };
    let found = match options.search {
        Search::Bfs => breadth_first(&model, options, symmetry.is_some(), start),
        Search::Dfs | Search::Simulation => with_stateright(&model, options, symmetry.is_some(), start),
    };
    let elapsed = start.elapsed();
    let complete = found.stopped_by.is_none();
    let properties = ALL
        .iter()
        .map(|p| {
            if !p.applies(model.cfg.semantics) {
                return PropertyOutcome {
                    name: p.name,
                    kind: p.kind.name(),
                    status: Status::NotChecked,
                    path: None,
                    encoded: None,
                    found_at: 0,
                };
            }
            if p.kind == Kind::Liveness && !matches!(options.liveness, Liveness::EveryState { .. }) {
                let sampled = sampled.iter().find(|l| l.name == p.name);
                let status = match sampled.map(|l| l.counterexample.is_some()) {
                    None => Status::NotChecked,
                    Some(true) => Status::Violated,
                    Some(false) => Status::HoldsSampled,
                };
                let path = sampled.and_then(|l| l.counterexample.clone());
                let found_at = path.as_ref().map_or(0, Vec::len);
                return PropertyOutcome { name: p.name, kind: p.kind.name(), status, path, encoded: None, found_at };
            }
            let discovery = found.discoveries.iter().find(|(name, ..)| *name == p.name);
            let status = match (p.kind, discovery.is_some(), complete) {
                (Kind::Safety | Kind::Liveness, true, _) => Status::Violated,
                (Kind::Safety | Kind::Liveness, false, true) => Status::Holds,
                (Kind::Coverage, true, _) => Status::Reached,
                (Kind::Coverage, false, true) => Status::NotReached,
                (_, false, false) => Status::Unknown,
            };
            let mut found_at = 0;
            let (path, encoded) = match discovery {
                Some((_, steps, state, encoded)) => {
                    let mut steps = steps.clone();
                    found_at = steps.len();
                    if p.kind == Kind::Liveness {
                        steps.extend(liveness_tail(&model, state, p.check, options.liveness));
                    }
                    (Some(steps), Some(encoded.clone()))
                }
                None => (None, None),
            };
            PropertyOutcome { name: p.name, kind: p.kind.name(), status, path, encoded, found_at }
        })
        .collect();
    let elapsed_s = elapsed.as_secs_f64();
    Outcome {
        complete,
        stopped_by: found.stopped_by,
        states: found.states,
        unique_states: found.unique,
        max_depth: found.max_depth,
        elapsed_s,
        states_per_s: found.states as f64 / elapsed_s.max(1e-9),
        properties,
        traces: Vec::new(),
        symmetry: symmetry.map(|s| s.groups().to_vec()),
        split_level: found.split_level,
        fingerprints: found.fingerprints,
        fingerprint_probe: found.fingerprint_probe,
        liveness_memo: model.liveness_memo.as_ref().map(|m| m.stats()),
    }
}

/// Print a progress line on stderr.
fn progress_line(start: Instant, states: u64, unique: u64, depth: usize) {
    let elapsed = start.elapsed().as_secs_f64();
    eprint!(
        "\r{:>6.0}s  states {:>12}  unique {:>11}  {:>9.0} states/s  depth {:>5}",
        elapsed,
        states,
        unique,
        states as f64 / elapsed,
        depth
    );
    let _ = std::io::stderr().flush();
}

/// The breadth-first search of `highwater-checker`: level by level on every thread asked for.
fn breadth_first(model: &ClusterModel, options: &SearchOptions, symmetry: bool, start: Instant) -> Found {
    let interrupted = || crate::interrupt::requested();
    let search = highwater_checker::Options {
        threads: options.threads.max(1),
        max_states: options.max_states,
        max_depth: options.max_depth,
        deadline: options.timeout.map(|t| start + t),
        symmetry: symmetry.then_some(highwater_model::symmetry::representative as fn(&ClusterState) -> ClusterState),
        first_violation: options.first_violation,
        shard: options.shard,
        // A part of a split search reports its states' fingerprints, for `merge` to count.
        keep_fingerprints: options.shard.is_some(),
        interrupted: &interrupted,
    };
    let progress = highwater_checker::Progress::default();
    let finished = std::sync::atomic::AtomicBool::new(false);
    let result = std::thread::scope(|scope| {
        if options.progress {
            scope.spawn(|| {
                let mut last = Instant::now();
                while !finished.load(std::sync::atomic::Ordering::Relaxed) {
                    std::thread::sleep(Duration::from_millis(50));
                    if last.elapsed() >= Duration::from_secs(1) {
                        last = Instant::now();
                        let (states, unique, depth) = progress.read();
                        progress_line(start, states, unique, depth);
                    }
                }
            });
        }
        // A model panic ends the search, which is then reported incomplete, never as a pass.
        let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            highwater_checker::check(model, &search, &progress)
        }));
        finished.store(true, std::sync::atomic::Ordering::Relaxed);
        result
    });
    if options.progress && start.elapsed() >= Duration::from_secs(1) {
        eprintln!();
    }
    let outcome = match result {
        Ok(Ok(outcome)) => outcome,
        Ok(Err(_)) | Err(_) => {
            let why = match result {
                Ok(Err(refusal)) => refusal.to_string(),
                _ => "a model panic, printed above".to_string(),
            };
            let (states, unique, depth) = progress.read();
            return Found {
                stopped_by: Some(why),
                states: states as usize,
                unique: unique as usize,
                max_depth: depth,
                discoveries: Vec::new(),
                split_level: None,
                fingerprints: None,
                fingerprint_probe: None,
            };
        }
    };
    use highwater_checker::Stop;
    let stopped_by = outcome.stopped.map(|stop| match stop {
        Stop::Interrupted => crate::interrupt::STOPPED_BY.to_string(),
        Stop::Deadline => format!("the {}s timeout", options.timeout.map_or(0, |t| t.as_secs())),
        Stop::StateBound => format!("the {}-state bound", options.max_states.unwrap_or_default()),
        Stop::DepthBound => format!("the {}-step depth bound", options.max_depth.unwrap_or_default()),
        Stop::FirstViolation => "the first violation".to_string(),
    });
    let discoveries = outcome
        .discoveries
        .into_iter()
        .map(|d| {
            let init = model.init_states().swap_remove(d.init);
            let encoded = stateright::Path::from_actions(model, init, &d.actions)
                .map(|path| path.encode(model))
                .unwrap_or_default();
            let last = d.states.into_iter().last().expect("a path holds its initial state");
            (d.property, d.actions, last, encoded)
        })
        .collect();
    Found {
        stopped_by,
        states: outcome.generated as usize,
        unique: outcome.unique as usize,
        max_depth: outcome.depth,
        discoveries,
        split_level: outcome.split_level,
        fingerprints: outcome.fingerprints,
        fingerprint_probe: model.init_states().first().map(highwater_checker::fingerprint),
    }
}

/// stateright's own depth-first or simulation checker.
fn with_stateright(model: &ClusterModel, options: &SearchOptions, symmetry: bool, start: Instant) -> Found {
    // stateright's checker owns its model; the report needs one after it, so it gets a twin.
    let mut twin = ClusterModel::new((*model.cfg).clone());
    twin.liveness_bound = model.liveness_bound;
    twin.liveness_memo.clone_from(&model.liveness_memo);
    twin.only_properties.clone_from(&model.only_properties);
    let mut builder: CheckerBuilder<ClusterModel> = twin.checker().threads(options.threads.max(1));
    if let Some(n) = options.max_states {
        builder = builder.target_state_count(n);
    }
    if let Some(d) = options.max_depth {
        builder = builder.target_max_depth(d + 2);
    }
    if let Some(t) = options.timeout {
        builder = builder.timeout(t);
    }
    if symmetry {
        builder = builder.symmetry_fn(highwater_model::symmetry::representative);
    }
    if options.first_violation {
        builder = builder.finish_when(HasDiscoveries::AnyFailures);
    }
    let mut checker: Box<dyn Checker<ClusterModel>> = match options.search {
        Search::Simulation => Box::new(builder.spawn_simulation(options.seed, UniformChooser)),
        _ => Box::new(builder.spawn_dfs()),
    };
    let mut last_report = Instant::now();
    let mut interrupted = false;
    while !checker.is_done() {
        if crate::interrupt::requested() {
            interrupted = true;
            break;
        }
        std::thread::sleep(Duration::from_millis(50));
        if options.progress && last_report.elapsed() >= Duration::from_secs(1) {
            last_report = Instant::now();
            progress_line(
                start,
                checker.state_count() as u64,
                checker.unique_state_count() as u64,
                checker.max_depth(),
            );
        }
    }
    if options.progress && start.elapsed() >= Duration::from_secs(1) {
        eprintln!();
    }
    // A worker that panicked (a model bug) stops exploring; the run is then not complete. A worker
    // still running (a timeout or state bound closed the run) is left to end with the process:
    // a DFS worker drains its own stack before it looks at the run's state again.
    let panicked =
        checker.handles().into_iter().filter(|h| h.is_finished()).map(|h| h.join()).filter(Result::is_err).count();
    let elapsed = start.elapsed();
    let states = checker.state_count();
    let stopped_by = match options.search {
        _ if panicked > 0 => Some(format!("a model panic in {panicked} checker thread(s), printed above")),
        _ if interrupted => Some(crate::interrupt::STOPPED_BY.to_string()),
        _ if options.first_violation
            && ALL.iter().any(|p| p.kind != Kind::Coverage && checker.discovery(p.name).is_some()) =>
        {
            Some("the first violation".to_string())
        }
        Search::Simulation => Some("simulation never exhausts the state space".to_string()),
        _ if options.timeout.is_some_and(|t| elapsed >= t) => {
            Some(format!("the {}s timeout", options.timeout.unwrap().as_secs()))
        }
        _ if options.max_states.is_some_and(|n| states >= n) => {
            Some(format!("the {}-state bound", options.max_states.unwrap()))
        }
        _ if options.max_depth.is_some_and(|d| checker.max_depth() > d) => {
            Some(format!("the {}-step depth bound", options.max_depth.unwrap()))
        }
        _ => None,
    };
    let discoveries = ALL
        .iter()
        .filter_map(|p| {
            let path = checker.discovery(p.name)?;
            let encoded = path.encode(model);
            let state = path.last_state().clone();
            Some((p.name, path.into_actions(), state, encoded))
        })
        .collect();
    Found {
        stopped_by,
        states,
        unique: checker.unique_state_count(),
        max_depth: checker.max_depth(),
        discoveries,
        split_level: None,
        fingerprints: None,
        fingerprint_probe: None,
    }
}

/// The steps that show a liveness violation after the state the search found: faults stop, then
/// the fair continuation that misses the goal.
fn liveness_tail(
    model: &ClusterModel,
    state: &ClusterState,
    goal: fn(&highwater_traces::ClusterView) -> bool,
    liveness: Liveness,
) -> Vec<Action> {
    let Liveness::EveryState { bound } = liveness else { return Vec::new() };
    let (healed, mut steps) = highwater_model::fair::stop_faults(model, state);
    steps.extend(highwater_model::fair::continue_fairly(model, &healed, goal, bound).0);
    steps
}

impl Outcome {
    /// The exit code this outcome calls for.
    pub fn exit_code(&self) -> u8 {
        use crate::exit_codes::*;
        if self.properties.iter().any(|p| p.status == Status::Violated) {
            VIOLATED
        } else if !self.complete {
            INCONCLUSIVE
        } else if self.properties.iter().any(|p| p.status == Status::NotReached) {
            NOT_REACHED
        } else {
            OK
        }
    }
}
