//! The gate: a suite of checks (exhaustive model checks, seeded bugs caught and replayed, corpus
//! replay, conformance samples), each with its result, as `highwater ci` runs and reports it.

use std::ops::ControlFlow;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use highwater_model::{preset, ClusterModel, Semantics};
use highwater_protocol::{Bug, Bugs};
use serde::{Deserialize, Serialize};

use super::bugs::{verify, VerifyOptions};
use super::conform::sample;
use super::replay::{replay_model, ImplementationResult, ModelReplay};
use crate::adapter::protocol_bug;
use crate::exit_codes;
use crate::run::{self, Liveness, SearchOptions, DEFAULT_LIVENESS_BOUND};

/// A suite: what the gate runs.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Suite {
    /// Exhaustive model checks.
    #[serde(default)]
    pub check: Vec<CheckSpec>,
    /// Seeded bugs that must be caught.
    #[serde(default)]
    pub bugs: Option<BugsSpec>,
    /// Trace files or directories of them to replay (in a suite file, relative to the file).
    #[serde(default)]
    pub corpus: Vec<PathBuf>,
    /// Replay the corpus this binary was built with (the default suite's).
    #[serde(skip)]
    pub embedded_corpus: bool,
    /// Conformance samples.
    #[serde(default)]
    pub conform: Vec<ConformSpec>,
    /// Bugs the protocol crate under test carries (to see the gate fail); none normally.
    #[serde(default)]
    pub protocol_bugs: Vec<String>,
}

/// One exhaustive check.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CheckSpec {
    /// The preset.
    pub preset: String,
    /// Check bounded liveness in every state (default true).
    #[serde(default = "yes")]
    pub liveness: bool,
    /// Seconds before the run is cut short (and the check fails as inconclusive).
    #[serde(default = "default_timeout")]
    pub timeout: u64,
    /// Require every coverage predicate to be reached (default true). A preset made for one
    /// scenario (no consumer, no rack outage) cannot reach some; `false` lets the check pass on
    /// its safety and liveness verdicts alone, and names what was not reached.
    #[serde(default = "yes")]
    pub coverage: bool,
}

/// The bugs that must be caught.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BugsSpec {
    /// Bug ids; `["all"]` for every seeded bug.
    pub must_catch: Vec<String>,
    /// Seconds each bug's search may take.
    #[serde(default = "default_budget")]
    pub budget: u64,
    /// Seed of the random walks for the bugs searched by simulation.
    #[serde(default = "default_seed")]
    pub seed: u64,
}

/// One conformance sample.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConformSpec {
    /// The preset.
    pub preset: String,
    /// Walks.
    pub samples: usize,
    /// Seed.
    pub seed: u64,
    /// Steps per walk.
    #[serde(default = "default_depth")]
    pub depth: usize,
    /// The fetch semantics the model and the protocol crate follow: `apache` (the default) or
    /// `kip-strict`.
    #[serde(default)]
    pub semantics: Semantics,
}

fn yes() -> bool {
    true
}
fn default_timeout() -> u64 {
    600
}
/// Seconds for each seeded bug's search: the slowest, `selection-on-follower`, took about two
/// minutes on one 2-core machine and over four on another of the same kind on a slower day
/// (`docs/measurements.md`); a search that finds its bug ends when it does, so the budget is
/// sized for the slow machine.
fn default_budget() -> u64 {
    480
}
fn default_seed() -> u64 {
    1
}
/// Steps per conformance walk: twice as many add under 1% more distinct states at twice the
/// time (`docs/measurements.md`), on every preset but `large`.
fn default_depth() -> usize {
    40
}

/// `large`'s lossy network keeps walks finding new states past 40 steps: 80 reach half as many
/// again.
fn walk_depth(preset: &str) -> usize {
    if preset == "large" {
        2 * default_depth()
    } else {
        default_depth()
    }
}

/// Conformance walks per preset in the default suite: about 45 s for all of them on 2 cores.
pub const CONFORM_WALKS: usize = 2000;

/// The presets the default suite also samples under `kip-strict`, where a follower answers what
/// it cannot serve with OFFSET_NOT_AVAILABLE and epoch queries are capped at the HW: those with a
/// consumer that reads from a follower, lags behind one, or asks a new leader for its epochs.
const KIP_STRICT_CONFORM: [&str; 6] = ["smoke", "default", "rack-outage", "lagging", "kip207", "outage-brokers"];

impl Suite {
    /// The default suite: `smoke` exhaustively, every seeded bug, the corpus this binary was
    /// built with, and [`CONFORM_WALKS`] conformance walks of every preset. It reads no file, so
    /// it runs from any directory.
    pub fn default_suite() -> Suite {
        Suite {
            check: vec![CheckSpec {
                preset: "smoke".into(),
                liveness: true,
                timeout: default_timeout(),
                coverage: true,
            }],
            bugs: Some(BugsSpec { must_catch: vec!["all".into()], budget: default_budget(), seed: default_seed() }),
            corpus: Vec::new(),
            embedded_corpus: true,
            conform: highwater_model::PRESETS
                .iter()
                .map(|p| (p.name, Semantics::Apache))
                .chain(KIP_STRICT_CONFORM.iter().map(|name| (*name, Semantics::KipStrict)))
                .map(|(name, semantics)| ConformSpec {
                    preset: name.into(),
                    samples: CONFORM_WALKS,
                    seed: 1,
                    depth: walk_depth(name),
                    semantics,
                })
                .collect(),
            protocol_bugs: Vec::new(),
        }
    }

    /// Read a suite file; errors name the file and what is wrong. Its corpus paths are taken
    /// relative to the file, so that a suite runs from any directory.
    pub fn load(file: &Path) -> Result<Suite, String> {
        let text = std::fs::read_to_string(file).map_err(|e| format!("{}: cannot read: {e}", file.display()))?;
        let mut suite: Suite = toml::from_str(&text).map_err(|e| format!("{}: {e}", file.display()))?;
        let base = file.parent().unwrap_or(Path::new("."));
        for path in &mut suite.corpus {
            if path.is_relative() {
                *path = base.join(&*path);
            }
        }
        let no_bugs = suite.bugs.as_ref().is_none_or(|b| b.must_catch.is_empty());
        if suite.check.is_empty() && no_bugs && suite.corpus.is_empty() && suite.conform.is_empty() {
            return Err(format!(
                "{}: the suite names no check, bug, corpus or conformance sample; a gate that checks nothing is no pass",
                file.display()
            ));
        }
        if suite.check.iter().any(|c| c.timeout == 0) || suite.bugs.as_ref().is_some_and(|b| b.budget == 0) {
            return Err(format!(
                "{}: a check's timeout and the bugs' budget must be at least 1 second",
                file.display()
            ));
        }
        let mut dirs = std::collections::HashSet::new();
        for spec in &suite.conform {
            if !dirs.insert(conform_dir(spec)) {
                return Err(format!(
                    "{}: two conform entries on `{}` with seed {} under the same semantics: they would write one directory; give them different seeds",
                    file.display(),
                    spec.preset,
                    spec.seed
                ));
            }
            if spec.samples == 0 || spec.depth == 0 {
                return Err(format!(
                    "{}: conform on `{}`: samples and depth must be at least 1 (a sample of no walk checks nothing)",
                    file.display(),
                    spec.preset
                ));
            }
        }
        for name in suite.check.iter().map(|c| &c.preset).chain(suite.conform.iter().map(|c| &c.preset)) {
            if preset(name).is_none() {
                return Err(format!("{}: unknown preset `{name}`", file.display()));
            }
        }
        for id in suite.bugs.iter().flat_map(|b| &b.must_catch).filter(|id| id.as_str() != "all") {
            protocol_bug(id).map_err(|e| format!("{}: bugs.must_catch: {e}", file.display()))?;
        }
        for id in &suite.protocol_bugs {
            protocol_bug(id).map_err(|e| format!("{}: protocol_bugs: {e}", file.display()))?;
        }
        Ok(suite)
    }
}

/// One check's result: one JUnit test case.
#[derive(Clone, Debug, Serialize)]
pub struct CheckResult {
    /// The JUnit class: check, bug, replay or conform.
    pub kind: &'static str,
    /// The test case's name.
    pub name: String,
    /// Passed.
    pub passed: bool,
    /// Seconds.
    pub seconds: f64,
    /// What happened, in a line.
    pub detail: String,
    /// The trace that shows a failure.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub trace: Option<String>,
    /// An interrupt stopped the check, or came before it ran: not passed, but not failed either.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub interrupted: bool,
    /// Not run: `--fail-fast` stopped the gate at an earlier failure.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub skipped: bool,
    /// A file the check could not write, and why; its verdict stands without it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub unwritten: Option<String>,
}

/// What one check found, before it is timed and named.
struct Found {
    passed: bool,
    detail: String,
    trace: Option<String>,
    interrupted: bool,
    unwritten: Option<String>,
}

impl Found {
    fn verdict(passed: bool, detail: String, trace: Option<String>) -> Found {
        Found { passed, detail, trace, interrupted: false, unwritten: None }
    }

    fn interrupted(detail: String) -> Found {
        Found { interrupted: true, ..Found::verdict(false, detail, None) }
    }
}

/// How a suite runs: with `fail_fast`, the first failure ends it.
struct Gate {
    fail_fast: bool,
    failed: AtomicBool,
}

impl Gate {
    /// Run one check, unless an interrupt came first or `--fail-fast` saw a failure: then it is
    /// reported as not run.
    fn timed(&self, kind: &'static str, name: String, f: impl FnOnce() -> Found) -> CheckResult {
        let start = Instant::now();
        let (found, skipped) =
            match (crate::interrupt::requested(), self.fail_fast && self.failed.load(Ordering::Relaxed)) {
                (true, _) => {
                    (Found::interrupted(format!("not run: {} stopped the gate", crate::interrupt::STOPPED_BY)), false)
                }
                (false, true) => (
                    Found::verdict(false, "not run: --fail-fast stopped the gate at the first failure".into(), None),
                    true,
                ),
                (false, false) => (f(), false),
            };
        if !found.passed && !found.interrupted {
            self.failed.store(true, Ordering::Relaxed);
        }
        let Found { passed, detail, trace, interrupted, unwritten } = found;
        let seconds = start.elapsed().as_secs_f64();
        CheckResult { kind, name, passed, seconds, detail, trace, interrupted, skipped, unwritten }
    }
}

fn run_check(gate: &Gate, spec: &CheckSpec) -> CheckResult {
    gate.timed("check", format!("check {}", spec.preset), || {
        let cfg = preset(&spec.preset).expect("validated").config();
        let liveness =
            if spec.liveness { Liveness::EveryState { bound: DEFAULT_LIVENESS_BOUND } } else { Liveness::Off };
        // The search `highwater check` runs: its verdicts and counts do not depend on the threads.
        let options = SearchOptions {
            search: run::Search::Bfs,
            threads: std::thread::available_parallelism().map_or(1, usize::from),
            ..SearchOptions::dfs(Duration::from_secs(spec.timeout), liveness)
        };
        let outcome = run::check(ClusterModel::new(cfg), &options);
        let tolerated = |status: run::Status| !spec.coverage && status == run::Status::NotReached;
        let failing: Vec<String> = outcome
            .properties
            .iter()
            .filter(|p| !matches!(p.status, run::Status::Holds | run::Status::Reached | run::Status::NotChecked))
            .filter(|p| !tolerated(p.status))
            .map(|p| format!("{} {}", p.name, serde_json::to_value(p.status).unwrap_or_default()))
            .collect();
        let not_reached: Vec<&str> =
            outcome.properties.iter().filter(|p| tolerated(p.status)).map(|p| p.name).collect();
        let code = outcome.exit_code();
        let passed = code == exit_codes::OK || (code == exit_codes::NOT_REACHED && !spec.coverage);
        if outcome.stopped_by.as_deref() == Some(crate::interrupt::STOPPED_BY) {
            return Found::interrupted(format!("INCOMPLETE: stopped by {}", crate::interrupt::STOPPED_BY));
        }
        let detail = match (&outcome.stopped_by, failing.is_empty(), not_reached.is_empty()) {
            (Some(why), _, _) => format!("INCOMPLETE: stopped by {why}"),
            (None, true, true) => format!("{} unique states, every property holds", outcome.unique_states),
            (None, true, false) => format!(
                "{} unique states, every safety and liveness property holds; not reached (coverage not required): {}",
                outcome.unique_states,
                not_reached.join(", ")
            ),
            (None, false, _) => failing.join(", "),
        };
        Found::verdict(passed, detail, None)
    })
}

mod embedded {
    include!(concat!(env!("OUT_DIR"), "/corpus.rs"));
}

/// Write the corpus this binary was built with under `dir`, as `traces/corpus/` lays it out,
/// and return the directories to replay.
fn write_embedded_corpus(dir: &Path) -> Result<Vec<PathBuf>, String> {
    for (name, text) in embedded::CORPUS {
        let file = dir.join(name);
        if let Some(parent) = file.parent() {
            std::fs::create_dir_all(parent).map_err(|e| format!("{}: cannot create: {e}", parent.display()))?;
        }
        crate::tracefile::write_whole(&file, text).map_err(|e| format!("{}: cannot write: {e}", file.display()))?;
    }
    Ok(vec![dir.to_path_buf(), dir.join("bugs")])
}

fn run_corpus(gate: &Gate, paths: &[PathBuf], extra: Bugs, results: &mut Vec<CheckResult>) {
    let mut files: Vec<PathBuf> = Vec::new();
    for path in paths {
        match std::fs::read_dir(path) {
            Ok(entries) => files.extend(
                entries.filter_map(|e| e.ok().map(|e| e.path())).filter(|p| p.extension().is_some_and(|e| e == "json")),
            ),
            Err(_) => files.push(path.clone()),
        }
    }
    files.sort();
    for file in files {
        results.push(gate.timed("replay", format!("replay {}", file.display()), || match replay_model(&file) {
            Err(error) => Found::verdict(false, error, Some(file.display().to_string())),
            Ok(replayed) => {
                let trace_and_cfg = crate::tracefile::load(&file).expect("replay_model read it");
                let mut bugs = crate::adapter::protocol_bugs(&trace_and_cfg.1);
                bugs = extra.iter().fold(bugs, Bugs::with);
                let implementation =
                    super::replay::replay_implementation_with(&trace_and_cfg.1, &trace_and_cfg.0, bugs);
                let model_ok = matches!(replayed.model, ModelReplay::Conforms);
                let implementation_ok = matches!(implementation.result, ImplementationResult::Conforms);
                // A bug's counterexample must break its property on the implementation; any
                // other trace must break nothing there.
                let expected_violation = (replayed.verdict == "VIOLATED").then_some(replayed.property.as_str());
                let violated: Vec<&str> = implementation.violated.iter().map(|(n, _)| *n).collect();
                let violations_ok = match expected_violation {
                    Some(property) => violated.contains(&property),
                    None => violated.is_empty(),
                };
                let passed = model_ok && implementation_ok && violations_ok;
                let detail = format!(
                    "model {}; implementation {}; violated on the implementation: {}",
                    replayed.model.words(),
                    implementation.result.words(),
                    if violated.is_empty() { "none".to_string() } else { violated.join(", ") }
                );
                Found::verdict(passed, detail, (!passed).then(|| file.display().to_string()))
            }
        }));
    }
}

/// Where a conformance entry's divergences go, under the gate's `--out`.
fn conform_dir(spec: &ConformSpec) -> String {
    let strict = if spec.semantics == Semantics::KipStrict { "-kip-strict" } else { "" };
    format!("conform-{}{strict}-{}", spec.preset, spec.seed)
}

fn run_conform(gate: &Gate, spec: &ConformSpec, out: &Path, extra: Bugs) -> CheckResult {
    let strict = if spec.semantics == Semantics::KipStrict { " kip-strict" } else { "" };
    let name = format!("conform {}{strict} seed {} x{}", spec.preset, spec.seed, spec.samples);
    gate.timed("conform", name, || {
        let mut cfg = preset(&spec.preset).expect("validated").config();
        cfg.semantics = spec.semantics;
        let dir = out.join(conform_dir(spec));
        match sample(&cfg, &spec.preset, (spec.samples, spec.depth, spec.seed), &dir, extra) {
            Err(error) => Found::verdict(false, error, None),
            Ok(s) => match s.divergence {
                None if s.interrupted => Found::interrupted(format!(
                    "INCOMPLETE: {} of {} walks conform; stopped by {}",
                    s.walks,
                    spec.samples,
                    crate::interrupt::STOPPED_BY
                )),
                None => Found::verdict(true, format!("{} walks, {} steps, no divergence", s.walks, s.steps), None),
                Some(d) => Found {
                    unwritten: d.unwritten.clone(),
                    ..Found::verdict(
                        false,
                        format!("walk {} {} ({} steps after minimisation)", d.walk, d.describe(), d.steps),
                        d.unwritten.is_none().then(|| d.file.display().to_string()),
                    )
                },
            },
        }
    })
}

/// A check waiting for a worker.
type Job<'a> = Box<dyn FnOnce() -> Vec<CheckResult> + Send + 'a>;

/// Run `jobs` on `threads` workers and give their results in the jobs' order, whatever order
/// the workers finish in. With more than one worker, the jobs marked long start first, so that
/// the others fill the other workers meanwhile rather than leaving a long one to run alone at the
/// end; one worker runs them in order.
fn side_by_side(threads: usize, jobs: Vec<(bool, Job<'_>)>) -> Vec<CheckResult> {
    let mut start_order: Vec<usize> = (0..jobs.len()).collect();
    if threads > 1 {
        start_order.sort_by_key(|&i| !jobs[i].0);
    }
    let jobs: Vec<Mutex<Option<Job<'_>>>> = jobs.into_iter().map(|(_, j)| Mutex::new(Some(j))).collect();
    let mut results = Vec::new();
    crate::pool::in_order(
        threads,
        &start_order,
        |index| {
            let job = jobs[index].lock().expect("a job is taken once").take().expect("a job is taken once");
            Some(job())
        },
        |_, found| {
            results.extend(found);
            ControlFlow::Continue(())
        },
    );
    results
}

/// Run every check of `suite`, writing counterexamples and divergences under `out`, reported in
/// suite order: model checks, seeded bugs, the corpus, conformance. The model checks use every
/// core each; the rest, one core each, run `threads` at a time. With `fail_fast`, they run one
/// at a time, in order, so that the checks after the first failure are reported as not run.
pub fn run_suite(suite: &Suite, out: &Path, fail_fast: bool, threads: usize) -> Vec<CheckResult> {
    let gate = Gate { fail_fast, failed: AtomicBool::new(false) };
    let gate = &gate;
    let extra = suite.protocol_bugs.iter().map(|id| protocol_bug(id).expect("validated")).fold(Bugs::NONE, Bugs::with);
    let mut results: Vec<CheckResult> = suite.check.iter().map(|spec| run_check(gate, spec)).collect();
    let mut jobs: Vec<(bool, Job<'_>)> = Vec::new();
    if let Some(bugs) = &suite.bugs {
        let all = bugs.must_catch.iter().any(|id| id == "all");
        let chosen: Vec<Bug> =
            Bug::ALL.iter().copied().filter(|b| all || bugs.must_catch.iter().any(|id| id == b.id())).collect();
        let options = VerifyOptions {
            out: out.join("bugs"),
            budget: Duration::from_secs(bugs.budget),
            seed: bugs.seed,
            preset: None,
        };
        let _ = std::fs::create_dir_all(&options.out);
        for bug in chosen {
            let options = options.clone();
            // A depth-first search or random walks may run until the budget: the longest jobs.
            let long = !matches!(
                highwater_model::ModelBug::from_id(bug.id()).map(|b| b.search()),
                Some(highwater_model::BugSearch::BreadthFirst)
            );
            jobs.push((
                long,
                Box::new(move || {
                    vec![gate.timed("bug", format!("bug {}", bug.id()), || {
                        let v = verify(bug, &options);
                        let detail = match (&v.property, &v.missed_because) {
                            (_, Some(why)) => why.clone(),
                            (Some(p), None) => {
                                format!("{p} violated in {} steps; reproduced with the bug, clean without", v.steps)
                            }
                            (None, None) => String::new(),
                        };
                        Found {
                            interrupted: v.interrupted,
                            unwritten: v.unwritten.clone(),
                            ..Found::verdict(v.caught, detail, v.trace.clone())
                        }
                    })]
                }),
            ));
        }
    }
    let mut corpus = suite.corpus.clone();
    if suite.embedded_corpus {
        match write_embedded_corpus(&out.join("corpus")) {
            Ok(dirs) => corpus.extend(dirs),
            Err(error) => {
                let found = || Found { unwritten: Some(error.clone()), ..Found::verdict(false, error.clone(), None) };
                let failed = gate.timed("replay", "replay the built-in corpus".into(), found);
                jobs.push((false, Box::new(move || vec![failed])));
            }
        }
    }
    jobs.push((
        false,
        Box::new(move || {
            let mut replays = Vec::new();
            run_corpus(gate, &corpus, extra, &mut replays);
            replays
        }),
    ));
    for spec in &suite.conform {
        jobs.push((false, Box::new(move || vec![run_conform(gate, spec, out, extra)])));
    }
    results.extend(side_by_side(if fail_fast { 1 } else { threads }, jobs));
    results
}
