//! `highwater conform`: sample random walks of the correct model and replay each on the
//! protocol crate (`ops::conform` does the work).

use std::path::PathBuf;

use highwater_protocol::Bugs;
use serde_json::json;

use super::check::Format;
use super::config_opts::ConfigOpts;
use crate::adapter::protocol_bug;
use crate::exit_codes;
use crate::ops::conform::{sample, Sampled};

/// `highwater conform` flags.
#[derive(Clone, Debug, clap::Args)]
pub struct ConformOpts {
    #[command(flatten)]
    pub config: ConfigOpts,
    /// Random walks to sample.
    #[arg(long, default_value_t = 200, value_parser = super::at_least_one)]
    pub samples: usize,
    /// Steps per walk (a walk ends early where the model has nothing left to do).
    #[arg(long, default_value_t = 40, value_parser = super::at_least_one)]
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

/// Run `conform`.
pub fn exec(opts: ConformOpts) -> u8 {
    let cfg = match opts.config.resolve_or_report() {
        Ok(cfg) => cfg,
        Err(code) => return code,
    };
    let extra: Result<Bugs, String> = opts.protocol_bugs.iter().map(|id| protocol_bug(id)).collect();
    crate::interrupt::install();
    let sampled = match extra
        .and_then(|extra| sample(&cfg, &opts.config.preset, (opts.samples, opts.depth, opts.seed), &opts.out, extra))
    {
        Ok(sampled) => sampled,
        Err(error) => {
            eprintln!("error: {error}");
            return exit_codes::USAGE;
        }
    };
    let Sampled {
        walks: sampled,
        steps,
        distinct_states,
        distinct_transitions,
        elapsed_s: elapsed,
        divergence,
        interrupted,
    } = sampled;
    let code = match (&divergence, interrupted) {
        (Some(_), _) => exit_codes::VIOLATED,
        (None, true) => exit_codes::INCONCLUSIVE,
        (None, false) => exit_codes::OK,
    };
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
                "distinct_transitions": distinct_transitions,
                "elapsed_s": elapsed,
                "samples_per_s": sampled as f64 / elapsed.max(1e-9),
                "stopped_by": interrupted.then_some(crate::interrupt::STOPPED_BY),
                "divergence": divergence.as_ref().map(|d| json!({
                    "sample": d.walk,
                    "steps": d.steps,
                    "file": d.unwritten.is_none().then(|| d.file.display().to_string()),
                    "result": d.result,
                    "violated": d.violated.iter().map(|(p, step)| json!({"property": p, "step": step})).collect::<Vec<_>>(),
                })),
                "exit_code": code,
            })
        ),
        Format::Text => {
            println!(
                "conform: preset {}, seed {}: {sampled} walks, {steps} steps, {} distinct model states and {} transitions, {elapsed:.2} s ({:.0} walks/s)",
                opts.config.preset,
                opts.seed,
                distinct_states,
                distinct_transitions,
                sampled as f64 / elapsed.max(1e-9)
            );
            match &divergence {
                None if interrupted => println!(
                    "every walk so far conforms; stopped by {} after {sampled} of {} walks: inconclusive",
                    crate::interrupt::STOPPED_BY,
                    opts.samples
                ),
                None => println!("every walk conforms"),
                Some(d) if d.unwritten.is_some() => {
                    println!("walk {} {}; minimised to {} steps (not written)", d.walk, d.describe(), d.steps)
                }
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
    // The report is out before the error: a trace that cannot be written costs the file only.
    match divergence.and_then(|d| d.unwritten) {
        Some(error) => {
            eprintln!("error: {error}");
            exit_codes::USAGE
        }
        None => code,
    }
}
