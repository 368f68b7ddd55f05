//! The `highwater` command line: one file per subcommand.

pub mod availability;
pub mod availability_html;
pub mod availability_report;
pub mod bench;
pub mod bugs;
pub mod check;
pub mod ci;
pub mod config_opts;
pub mod conform;
pub mod explore;
#[cfg(feature = "kafka")]
pub mod kafka;
pub mod merge;
pub mod presets;
pub mod replay;
pub mod report;
pub mod trace;
pub mod view;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

use crate::exit_codes;

/// Model checking and conformance for Kafka follower fetching (KIP-392).
///
/// Exit codes: 0 complete and every property holds; 1 a property was violated; 2 usage or input
/// error; 3 inconclusive (a bound or the timeout stopped the run); 4 a coverage predicate was
/// never reached.
#[derive(Debug, Parser)]
#[command(name = "highwater", version)]
pub struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Model-check a configuration: every safety property, every coverage predicate.
    Check(check::CheckOpts),
    /// Serve stateright's Explorer for a configuration, on loopback.
    Explore(explore::ExploreOpts),
    /// List the named configurations.
    Presets(presets::PresetsOpts),
    /// Read trace files (`check --out` writes them).
    Trace(trace::TraceOpts),
    /// Write the trace viewer for trace files: one self-contained HTML page with a sequence
    /// diagram, every state, every property's status at each step, and the violation explained.
    View(view::ViewOpts),
    /// Replay trace files: through the model (still a path, same verdict) and through the
    /// protocol crate's `sim::Cluster`, comparing every step's view.
    Replay(replay::ReplayOpts),
    /// Sample random walks of the correct model and replay each through the protocol crate;
    /// stop at the first divergence and write it as a trace file.
    Conform(conform::ConformOpts),
    /// List the seeded historical bugs; with --verify, show that each is caught and replayed.
    Bugs(bugs::BugsOpts),
    /// KIP-392's availability question: a matrix of placements and outages, each judged by the
    /// model and timed on `sim::Cluster`, rack-aware selection against leader-only fetching.
    Availability(availability::AvailabilityOpts),
    /// The gate: exhaustive checks, seeded bugs, corpus replay and conformance, with JUnit,
    /// JSON and Markdown reports.
    Ci(ci::CiOpts),
    /// Measure the checker: unique states, states/s, bytes per state and peak memory on fixed
    /// presets and on the Kip320 anchor, beside stateright's own checker and TLC's figures.
    Bench(bench::BenchOpts),
    /// Combine the reports of a search split with `check --shard I/N` into one verdict.
    Merge(merge::MergeOpts),
    /// Real Apache Kafka: start a KRaft cluster in network namespaces, run the model's
    /// scenarios on it with the protocol crate's clients, and judge the histories.
    #[cfg(feature = "kafka")]
    Kafka(kafka::KafkaOpts),
}

/// The cores this process may use: the default number of checker threads.
pub fn cores() -> usize {
    std::thread::available_parallelism().map_or(1, usize::from)
}

/// A count or bound of at least 1: a zero would run nothing and could not be told from a pass.
pub fn at_least_one(value: &str) -> Result<usize, String> {
    match value.parse::<usize>() {
        Ok(0) => Err("0 would run nothing, and a run that checked nothing is no pass; give at least 1".into()),
        Ok(n) => Ok(n),
        Err(_) => Err(format!("`{value}` is not a whole number")),
    }
}

/// Seconds, at least 1 (see [`at_least_one`]).
pub fn at_least_one_second(value: &str) -> Result<u64, String> {
    at_least_one(value).map(|n| n as u64)
}

/// Parse the arguments, run the subcommand, return its exit code.
pub fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(error) => {
            let usage_error = error.use_stderr();
            let _ = error.print();
            return ExitCode::from(if usage_error { exit_codes::USAGE } else { exit_codes::OK });
        }
    };
    ExitCode::from(match cli.command {
        Command::Check(opts) => check::exec(opts),
        Command::Explore(opts) => explore::exec(opts),
        Command::Presets(opts) => presets::exec(opts),
        Command::Trace(opts) => trace::exec(opts),
        Command::View(opts) => view::exec(opts),
        Command::Replay(opts) => replay::exec(opts),
        Command::Conform(opts) => conform::exec(opts),
        Command::Bugs(opts) => bugs::exec(opts),
        Command::Ci(opts) => ci::exec(opts),
        Command::Availability(opts) => availability::exec(opts),
        Command::Bench(opts) => bench::exec(opts),
        Command::Merge(opts) => merge::exec(opts),
        #[cfg(feature = "kafka")]
        Command::Kafka(opts) => kafka::exec(opts),
    })
}
