//! `highwater availability`: the scenario matrix of KIP-392's availability question, with the
//! model's verdicts, the timed figures and the answer.

use std::io::{IsTerminal, Write};
use std::path::PathBuf;
use std::time::Instant;

use highwater_model::Semantics;

use crate::exit_codes;
use crate::ops::availability::{self, timed::Timings, Failure, Options};
use crate::run::DEFAULT_LIVENESS_BOUND;

use super::availability_report as report;

/// Output format.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// A table for people, ending with the answer.
    Text,
    /// One JSON object for machines.
    Json,
    /// One self-contained HTML page: the table, the curves, the answer, links to the traces.
    Html,
    /// The matrix as a Markdown table, and the answer.
    Markdown,
}

/// Which fetch semantics to run.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum SemanticsChoice {
    /// Kafka as built.
    Apache,
    /// KIP-392's text.
    KipStrict,
    /// Both, one row each.
    Both,
}

/// `highwater availability` flags.
#[derive(Clone, Debug, clap::Args)]
pub struct AvailabilityOpts {
    /// `text`, `json`, `html` or `markdown`, printed (`--out` writes text, JSON and HTML).
    #[arg(long, value_enum, default_value = "text")]
    pub format: Format,
    /// Write `availability.txt`, `availability.json`, `availability.html`, and every witness and
    /// counterexample trace (`traces/`, with `traces/index.html` for the viewer) into this
    /// directory, created if missing.
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
    /// A timing for the timed runs, `key=value` in milliseconds (repeatable), for example
    /// `--config metadata.max.age.ms=60000`. `--config help` lists the keys.
    #[arg(long = "config", value_name = "KEY=VALUE")]
    pub config: Vec<String>,
    /// Fetch semantics: `apache`, `kip-strict` or `both`.
    #[arg(long, value_enum, default_value = "both")]
    pub semantics: SemanticsChoice,
    /// Only the scenarios whose name contains this (for example `link-a-b`).
    #[arg(long, value_name = "TEXT")]
    pub scenario: Option<String>,
    /// Steps a fair continuation may take (the K of the claims).
    #[arg(long, default_value_t = DEFAULT_LIVENESS_BOUND, value_parser = super::at_least_one)]
    pub bound: usize,
    /// Distinct states a scenario's search may explore before its verdicts are unknown.
    #[arg(long, default_value_t = 2_000_000, value_parser = super::at_least_one)]
    pub max_states: usize,
    /// Skip the visibility-delay curves.
    #[arg(long)]
    pub no_curves: bool,
    /// Scenario runs side by side (default: every core). The report is the same whatever the
    /// number.
    #[arg(long, default_value_t = super::cores(), value_parser = super::at_least_one)]
    pub threads: usize,
}

fn timings(assignments: &[String]) -> Result<Option<Timings>, String> {
    let mut timings = Timings::default();
    for assignment in assignments {
        if assignment == "help" {
            return Ok(None);
        }
        timings.set(assignment).map_err(|e| format!("--config {e}"))?;
    }
    Ok(Some(timings))
}

/// Run `highwater availability`.
pub fn exec(opts: AvailabilityOpts) -> u8 {
    let timings = match timings(&opts.config) {
        Ok(Some(t)) => t,
        Ok(None) => {
            println!("Timings `--config key=value` sets, in milliseconds (default in brackets; Kafka's for its settings, the simulation's own under `sim.`):");
            let defaults = Timings::default();
            for (key, about, _) in availability::timed::KEYS {
                println!("  {key:<28} {about} [{}]", defaults.get(key).unwrap_or_default());
            }
            return exit_codes::OK;
        }
        Err(e) => {
            eprintln!("error: {e}");
            return exit_codes::USAGE;
        }
    };
    let options = Options {
        timings,
        bound: opts.bound,
        max_states: opts.max_states,
        semantics: match opts.semantics {
            SemanticsChoice::Apache => vec![Semantics::Apache],
            SemanticsChoice::KipStrict => vec![Semantics::KipStrict],
            SemanticsChoice::Both => vec![Semantics::Apache, Semantics::KipStrict],
        },
        only: opts.scenario.clone(),
    };
    if let Some(dir) = &opts.out {
        if let Err(e) = std::fs::create_dir_all(dir.join("traces")) {
            eprintln!("error: {}: cannot create the directory: {e}", dir.display());
            return exit_codes::USAGE;
        }
    }
    crate::interrupt::install();
    let start = Instant::now();
    let mut done = 0;
    // Progress only where someone watches: in a CI log each update would be a line of its own.
    let watched = std::io::stderr().is_terminal();
    let rows = availability::run(&options, opts.threads, |row| {
        done += 1;
        if watched {
            eprint!("\r{done} scenario run(s), the last {} ({})   ", row.scenario, row.semantics);
            let _ = std::io::stderr().flush();
        }
    });
    if watched {
        eprintln!();
    }
    let rows = match rows {
        Ok(rows) => rows,
        Err(e) => {
            eprintln!("error: {e}");
            return match e {
                Failure::NoScenario(_) => exit_codes::USAGE,
                Failure::Inconclusive(_) => exit_codes::INCONCLUSIVE,
                Failure::Refused(_) => exit_codes::VIOLATED,
            };
        }
    };
    let planned = availability::planned(&options);
    let interrupted = rows.len() < planned;
    let curves = (!opts.no_curves && !interrupted).then(|| availability::curves::measure(&options.timings));
    let report = report::Report {
        rows: &rows,
        curves: curves.as_ref(),
        timings: &options.timings,
        options: &options,
        elapsed_s: start.elapsed().as_secs_f64(),
        stopped_by: interrupted
            .then(|| format!("{} after {} of {planned} scenario runs", crate::interrupt::STOPPED_BY, rows.len())),
    };
    let incomplete = rows.iter().any(|r| !r.rack_aware.model.complete || !r.leader_only.model.complete);
    match (&opts.out, opts.format) {
        (Some(_), _) | (None, Format::Text) => print!("{}", report::text(&report)),
        (None, Format::Json) => println!("{}", report::json(&report)),
        (None, Format::Html) => print!("{}", report::html(&report, None)),
        (None, Format::Markdown) => print!("{}", report::markdown(&report)),
    }
    // The report is out before any file is written: a file that cannot be written costs the
    // files, never the report.
    if let Some(dir) = &opts.out {
        match report::write(dir, &report) {
            Ok(files) => println!("\nwritten: {}", files.join(", ")),
            Err(e) => {
                eprintln!("error: {e}");
                return exit_codes::USAGE;
            }
        }
    }
    eprintln!("highwater availability: {} scenario run(s) in {:.1} s", rows.len(), start.elapsed().as_secs_f64());
    if interrupted {
        exit_codes::INCONCLUSIVE
    } else if incomplete {
        eprintln!("some scenario's search stopped at --max-states {}: its verdicts are unknown", opts.max_states);
        exit_codes::INCONCLUSIVE
    } else {
        exit_codes::OK
    }
}
