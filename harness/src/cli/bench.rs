//! `highwater bench`: the checker's speed and memory on fixed models, beside stateright's own
//! checker on the same models in the same run, and the Kip320 anchor beside TLC's published
//! figures.

use std::time::{Duration, Instant};

use highwater_kip320::{Kip320, TLC_DEPTH, TLC_DISTINCT, TLC_GENERATED, TLC_SECONDS_ONE_WORKER};
use highwater_model::{preset, ClusterModel};
use serde::Serialize;
use stateright::{Checker, Model};

use crate::exit_codes;
use crate::run::{self, Liveness, Search, SearchOptions, DEFAULT_LIVENESS_BOUND};

/// The presets measured unless `--preset` names others: small, medium and large enough to show
/// the rate once start-up no longer counts.
pub const BENCH_PRESETS: &[&str] = &["smoke", "elections", "rack-outage"];

/// Output format.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// A table for people.
    Text,
    /// One JSON object for machines.
    Json,
}

/// `highwater bench` flags.
#[derive(Clone, Debug, clap::Args)]
pub struct BenchOpts {
    /// Presets to measure (repeatable); `smoke`, `elections` and `rack-outage` by default.
    #[arg(long = "preset")]
    pub presets: Vec<String>,
    /// Worker threads for both checkers; every core by default.
    #[arg(long, default_value_t = super::cores())]
    pub threads: usize,
    /// Bounded liveness in every state (as `check` does), or `off` to time the search alone.
    #[arg(long, value_enum, default_value = "every-state")]
    pub liveness: super::check::LivenessMode,
    /// Leave out stateright's checker (no ratio is then printed).
    #[arg(long)]
    pub no_stateright: bool,
    /// Leave out the Kip320 anchor.
    #[arg(long)]
    pub no_kip320: bool,
    /// `text` or `json`.
    #[arg(long, value_enum, default_value = "text")]
    pub format: Format,
    /// Measure one model with one checker and print the measurement as JSON: what each
    /// measurement runs in a process of its own, so that memory one leaves behind is not
    /// counted against the next.
    #[arg(long, hide = true, value_name = "MODEL", requires = "engine")]
    pub measure_one: Option<String>,
    /// With `--measure-one`: `highwater` or `stateright`.
    #[arg(long, hide = true)]
    pub engine: Option<String>,
}

/// One checker's run on one model.
#[derive(Clone, Debug, Serialize, serde::Deserialize)]
pub struct Measurement {
    /// `highwater bfs` or `stateright dfs`.
    pub checker: String,
    /// Distinct states.
    pub unique_states: u64,
    /// States generated.
    pub generated: u64,
    /// Wall time.
    pub seconds: f64,
    /// Generated states per second.
    pub states_per_s: f64,
    /// The resident set's peak over what it was when the search began, per distinct state.
    pub bytes_per_state: f64,
    /// The resident set's peak (the measuring process's own).
    pub peak_rss_bytes: u64,
    /// Whether the search was complete.
    pub complete: bool,
}

/// One model's row.
#[derive(Clone, Debug, Serialize)]
pub struct Row {
    /// The preset, or `kip320`.
    pub model: String,
    /// `highwater-checker`'s breadth-first search.
    pub highwater: Measurement,
    /// stateright's depth-first search with the same threads, if run.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub stateright: Option<Measurement>,
    /// stateright's time over ours.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub speedup: Option<f64>,
}

/// The resident set now and its peak, in bytes (Linux; zero elsewhere).
fn rss() -> (u64, u64) {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let field = |name: &str| {
        status
            .lines()
            .find_map(|l| l.strip_prefix(name))
            .and_then(|v| v.split_whitespace().next()?.parse::<u64>().ok())
            .map_or(0, |kib| kib * 1024)
    };
    (field("VmRSS:"), field("VmHWM:"))
}

/// Run `f`, which returns (complete, unique, generated), and measure it.
fn measure(checker: &str, f: impl FnOnce() -> (bool, u64, u64)) -> Measurement {
    let (before, _) = rss();
    let start = Instant::now();
    let (complete, unique, generated) = f();
    let seconds = start.elapsed().as_secs_f64();
    let (_, peak) = rss();
    Measurement {
        checker: checker.to_string(),
        unique_states: unique,
        generated,
        seconds,
        states_per_s: generated as f64 / seconds.max(1e-9),
        bytes_per_state: peak.saturating_sub(before) as f64 / unique.max(1) as f64,
        peak_rss_bytes: peak,
        complete,
    }
}

fn options(opts: &BenchOpts, search: Search) -> SearchOptions {
    SearchOptions {
        search,
        threads: opts.threads,
        progress: false,
        liveness: match opts.liveness {
            super::check::LivenessMode::Off => Liveness::Off,
            _ => Liveness::EveryState { bound: DEFAULT_LIVENESS_BOUND },
        },
        timeout: None,
        ..SearchOptions::dfs(Duration::ZERO, Liveness::Off)
    }
}

/// One measurement, in this process: `model` is a preset or `kip320`, `engine` `highwater` or
/// `stateright`.
fn measure_here(opts: &BenchOpts, model: &str, engine: &str) -> Result<Measurement, String> {
    let stateright = match engine {
        "highwater" => false,
        "stateright" => true,
        other => return Err(format!("--engine {other}: expected `highwater` or `stateright`")),
    };
    let name = if stateright { "stateright dfs" } else { "highwater bfs" };
    if model == "kip320" {
        let kip320 = Kip320::tlc();
        return Ok(measure(name, || {
            if stateright {
                let checker = kip320.checker().threads(opts.threads).spawn_dfs().join();
                (checker.is_done(), checker.unique_state_count() as u64, checker.state_count() as u64)
            } else {
                let search = highwater_checker::Options { threads: opts.threads, ..highwater_checker::Options::new() };
                let progress = highwater_checker::Progress::default();
                let o = highwater_checker::check(&kip320, &search, &progress).expect("Kip320 has no eventually");
                (o.complete() && o.depth == TLC_DEPTH, o.unique, o.generated)
            }
        }));
    }
    let cfg = preset(model)
        .map(|p| p.config())
        .ok_or_else(|| format!("--preset {model}: no such preset (see `highwater presets`)"))?;
    let search = if stateright { Search::Dfs } else { Search::Bfs };
    Ok(measure(name, || {
        let o = run::check(ClusterModel::new(cfg), &options(opts, search));
        (o.complete, o.unique_states as u64, o.states as u64)
    }))
}

/// One measurement, in a process of its own.
fn measure_apart(opts: &BenchOpts, model: &str, engine: &str) -> Result<Measurement, String> {
    let exe = std::env::current_exe().map_err(|e| format!("cannot find this program to run a measurement: {e}"))?;
    let threads = opts.threads.to_string();
    let liveness = match opts.liveness {
        super::check::LivenessMode::Off => "off",
        _ => "every-state",
    };
    let args = ["bench", "--measure-one", model, "--engine", engine, "--threads", &threads, "--liveness", liveness];
    let out = std::process::Command::new(exe)
        .args(args)
        .stderr(std::process::Stdio::inherit())
        .output()
        .map_err(|e| format!("cannot run a measurement: {e}"))?;
    if crate::interrupt::requested() {
        return Err(crate::interrupt::STOPPED_BY.to_string());
    }
    serde_json::from_slice(&out.stdout).map_err(|_| {
        format!(
            "the measurement of {model} with {engine} failed (exit {:?}): {}",
            out.status.code(),
            String::from_utf8_lossy(&out.stdout)
        )
    })
}

fn row(model: String, highwater: Measurement, stateright: Option<Measurement>) -> Row {
    let speedup = stateright.as_ref().map(|s| s.seconds / highwater.seconds.max(1e-9));
    Row { model, highwater, stateright, speedup }
}

fn bench_model(opts: &BenchOpts, model: &str) -> Result<Row, String> {
    let ours = measure_apart(opts, model, "highwater")?;
    let theirs = if opts.no_stateright { None } else { Some(measure_apart(opts, model, "stateright")?) };
    Ok(row(model.to_string(), ours, theirs))
}

/// Run `bench`.
pub fn exec(opts: BenchOpts) -> u8 {
    if opts.threads == 0 {
        eprintln!("error: --threads must be at least 1");
        return exit_codes::USAGE;
    }
    let names: Vec<String> = if opts.presets.is_empty() {
        BENCH_PRESETS.iter().map(|s| s.to_string()).collect()
    } else {
        opts.presets.clone()
    };
    if let Some(bad) = names.iter().find(|n| preset(n).is_none()).filter(|_| opts.measure_one.is_none()) {
        eprintln!("error: --preset {bad}: no such preset (see `highwater presets`)");
        return exit_codes::USAGE;
    }
    crate::interrupt::install();
    if let (Some(model), Some(engine)) = (&opts.measure_one, &opts.engine) {
        return match measure_here(&opts, model, engine) {
            Ok(m) if crate::interrupt::requested() => {
                eprintln!("stopped by {}", crate::interrupt::STOPPED_BY);
                let _ = m;
                exit_codes::INCONCLUSIVE
            }
            Ok(m) => {
                println!("{}", serde_json::to_string(&m).expect("a measurement serialises"));
                exit_codes::OK
            }
            Err(error) => {
                eprintln!("error: {error}");
                exit_codes::USAGE
            }
        };
    }
    let mut models: Vec<&str> = names.iter().map(String::as_str).collect();
    if !opts.no_kip320 {
        models.push("kip320");
    }
    let mut rows = Vec::new();
    for model in models {
        match bench_model(&opts, model) {
            Ok(row) => rows.push(row),
            Err(error) if crate::interrupt::requested() => {
                let _ = error;
                break;
            }
            Err(error) => {
                eprintln!("error: {error}");
                return exit_codes::USAGE;
            }
        }
    }
    let kip320 = rows.iter().find(|r| r.model == "kip320");
    let tlc_match = kip320
        .map(|r| r.highwater.unique_states == TLC_DISTINCT as u64 && r.highwater.generated == TLC_GENERATED as u64);
    match opts.format {
        Format::Text => print!("{}", text(&opts, &rows)),
        Format::Json => println!(
            "{}",
            serde_json::json!({
                "threads": opts.threads,
                "liveness": matches!(opts.liveness, super::check::LivenessMode::EveryState),
                "rows": rows,
                "tlc": kip320.map(|r| serde_json::json!({
                    "distinct": TLC_DISTINCT,
                    "generated": TLC_GENERATED,
                    "depth": TLC_DEPTH,
                    "seconds_one_worker": TLC_SECONDS_ONE_WORKER,
                    "counts_match": tlc_match,
                    "speedup": TLC_SECONDS_ONE_WORKER / r.highwater.seconds.max(1e-9),
                })),
            })
        ),
    }
    let incomplete = rows.iter().any(|r| !r.highwater.complete || r.stateright.as_ref().is_some_and(|s| !s.complete));
    if tlc_match == Some(false) {
        eprintln!("error: the Kip320 port no longer matches TLC's counts");
        exit_codes::VIOLATED
    } else if crate::interrupt::requested() {
        eprintln!("stopped by {}", crate::interrupt::STOPPED_BY);
        exit_codes::INCONCLUSIVE
    } else if incomplete {
        exit_codes::INCONCLUSIVE
    } else {
        exit_codes::OK
    }
}

fn text(opts: &BenchOpts, rows: &[Row]) -> String {
    let mut out = format!(
        "{} thread(s), liveness {}\n{:<12} {:<15} {:>12} {:>12} {:>8} {:>12} {:>11} {:>10}\n",
        opts.threads,
        if matches!(opts.liveness, super::check::LivenessMode::Off) { "off" } else { "in every state" },
        "model",
        "checker",
        "unique",
        "generated",
        "seconds",
        "states/s",
        "bytes/state",
        "peak MiB"
    );
    for r in rows {
        for m in std::iter::once(&r.highwater).chain(&r.stateright) {
            out.push_str(&format!(
                "{:<12} {:<15} {:>12} {:>12} {:>8.2} {:>12.0} {:>11.0} {:>10.0}{}\n",
                r.model,
                m.checker,
                m.unique_states,
                m.generated,
                m.seconds,
                m.states_per_s,
                m.bytes_per_state,
                m.peak_rss_bytes as f64 / (1024.0 * 1024.0),
                if m.complete { "" } else { "  INCOMPLETE" }
            ));
        }
        if let Some(speedup) = r.speedup {
            out.push_str(&format!("{:<12} stateright's time / highwater's: {speedup:.2}\n", ""));
        }
        if r.model == "kip320" {
            let matches =
                r.highwater.unique_states == TLC_DISTINCT as u64 && r.highwater.generated == TLC_GENERATED as u64;
            out.push_str(&format!(
                "{:<12} TLC: {TLC_DISTINCT} distinct, {TLC_GENERATED} generated, depth {TLC_DEPTH}, {TLC_SECONDS_ONE_WORKER} s on one worker: counts {}; {:.1} times TLC's speed\n",
                "",
                if matches { "match" } else { "DIFFER" },
                TLC_SECONDS_ONE_WORKER / r.highwater.seconds.max(1e-9)
            ));
        }
    }
    out
}
