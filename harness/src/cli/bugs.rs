//! `highwater bugs [--verify]`: the seeded historical bugs (the catalogue), and proof that the
//! suite catches each (`ops::bugs` does the work).

use std::path::PathBuf;
use std::time::Duration;

use highwater_model::preset;
use highwater_protocol::Bug;
use highwater_traces::catalogue;
use serde_json::json;

use crate::exit_codes;
use crate::ops::bugs::{verify, Verified, VerifyOptions};

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
    /// every state they reached, so this bounds their memory too.
    #[arg(long, default_value_t = 480, value_parser = super::at_least_one_second)]
    pub budget: u64,
    /// With `--verify`: the seed of the random walks, for the bug searched by simulation
    /// (`isr-expand-before-epoch-start`, whose smallest exposing preset is too large to exhaust).
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// With `--verify`: search on this preset instead of each bug's own (the smallest known to
    /// expose it), e.g. to see whether a larger configuration exposes a bug not caught yet.
    #[arg(long, value_name = "NAME")]
    pub preset: Option<String>,
    /// With `--verify`: also write the trace viewer for every counterexample found, one HTML
    /// file with an index (see `highwater view`).
    #[arg(long, value_name = "FILE", requires = "verify")]
    pub html: Option<PathBuf>,
    /// `text`, `json`, or (the catalogue only, without `--verify`) `markdown`.
    #[arg(long, value_enum, default_value = "text")]
    pub format: BugsFormat,
}

/// How `highwater bugs` prints.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum BugsFormat {
    /// A readable listing.
    Text,
    /// One JSON object.
    Json,
    /// The catalogue as a Markdown table, as `docs/bugs.md` carries it.
    Markdown,
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
    if opts.format == BugsFormat::Markdown {
        eprintln!("error: --format markdown prints the catalogue; with --verify, use text or json");
        return exit_codes::USAGE;
    }
    if let Err(error) = std::fs::create_dir_all(&opts.out) {
        eprintln!("error: --out {}: cannot create the directory: {error}", opts.out.display());
        return exit_codes::USAGE;
    }
    let chosen: Vec<Bug> =
        Bug::ALL.iter().copied().filter(|b| opts.only.is_empty() || opts.only.iter().any(|id| id == b.id())).collect();
    let options = VerifyOptions {
        out: opts.out.clone(),
        budget: Duration::from_secs(opts.budget),
        seed: opts.seed,
        preset: opts.preset.clone(),
    };
    crate::interrupt::install();
    let mut results: Vec<Verified> = Vec::new();
    for bug in &chosen {
        if crate::interrupt::requested() {
            break;
        }
        results.push(verify(*bug, &options));
    }
    let not_run: Vec<&str> = chosen[results.len()..].iter().map(|b| b.id()).collect();
    let interrupted = !not_run.is_empty() || results.iter().any(|r| r.interrupted);
    let caught = results.iter().filter(|r| r.caught).count();
    let mut code = match (results.iter().any(|r| !r.caught && !r.interrupted), interrupted) {
        (true, _) => exit_codes::VIOLATED,
        (false, true) => exit_codes::INCONCLUSIVE,
        (false, false) => exit_codes::OK,
    };
    let stopped_by = interrupted.then_some(crate::interrupt::STOPPED_BY);
    match opts.format {
        BugsFormat::Json => println!(
            "{}",
            json!({
                "bugs": results,
                "caught": caught,
                "total": chosen.len(),
                "not_run": not_run,
                "stopped_by": stopped_by,
                "exit_code": code,
            })
        ),
        BugsFormat::Text | BugsFormat::Markdown => print!("{}", table(&results, &not_run, chosen.len())),
    }
    // The report is out before any file is written; a file that cannot be written costs the
    // file, never the report.
    for error in results.iter().filter_map(|r| r.unwritten.as_deref()) {
        eprintln!("error: {error}");
        code = exit_codes::USAGE;
    }
    if let Some(html) = &opts.html {
        let files: Vec<&str> = results.iter().filter_map(|r| r.trace.as_deref()).collect();
        let title = format!("highwater: counterexamples of {}", crate::tracefile::plural(files.len(), "seeded bug"));
        match crate::viewer::write_run_report(&files, html, &title, "counterexample") {
            Ok(line) => eprintln!("{line}"),
            Err(error) => {
                eprintln!("error: {error}");
                code = exit_codes::USAGE;
            }
        }
    }
    code
}

fn table(results: &[Verified], not_run: &[&str], total: usize) -> String {
    let mut out = format!(
        "{:<42} {:<7} {:<34} {:>11} {:>7}  replay (with bug / fixed)\n",
        "bug", "caught", "property", "steps", "seconds"
    );
    for r in results {
        let steps = if r.steps > 0 { format!("{} <- {}", r.steps, r.steps_found) } else { "-".into() };
        let replay = match r.property {
            Some(_) => format!(
                "{} / {}",
                if r.reproduced_with_bug { "violated" } else { "NOT REPRODUCED" },
                if r.clean_without_bug { "clean" } else { "VIOLATED" }
            ),
            None => r.missed_because.clone().unwrap_or_default(),
        };
        let caught = match (r.caught, r.interrupted) {
            (true, _) => "yes",
            (false, true) => "unknown",
            (false, false) => "NO",
        };
        out.push_str(&format!(
            "{:<42} {caught:<7} {:<34} {steps:>11} {:>7.2}  {replay}\n",
            r.id,
            r.property.unwrap_or("-"),
            r.seconds
        ));
    }
    for id in not_run {
        out.push_str(&format!("{id:<42} {:<7} not run\n", "-"));
    }
    let caught = results.iter().filter(|r| r.caught).count();
    out.push_str(&format!("caught {caught}/{total}\n"));
    if !not_run.is_empty() || results.iter().any(|r| r.interrupted) {
        out.push_str(&format!("stopped by {}: inconclusive\n", crate::interrupt::STOPPED_BY));
    }
    out
}

fn list(opts: &BugsOpts) -> u8 {
    let changes = |id: &str| Bug::from_id(id).map(Bug::changes).unwrap_or_default();
    match opts.format {
        BugsFormat::Json => {
            let rows: Vec<_> = catalogue::BUGS
                .iter()
                .map(|b| {
                    json!({
                        "id": b.id,
                        "source": b.source,
                        "description": b.description,
                        "property": b.property,
                        "preset": b.preset,
                        "search": b.search,
                        "semantics": b.semantics,
                        "protocol_changes": changes(b.id),
                    })
                })
                .collect();
            println!("{}", json!({ "bugs": rows }));
        }
        BugsFormat::Markdown => print!("{}", catalogue::markdown_table()),
        BugsFormat::Text => {
            for b in catalogue::BUGS {
                println!(
                    "{} ({})\n    {}\n    caught by {} on {} under {} semantics, searched {}",
                    b.id,
                    b.source,
                    b.description,
                    b.property,
                    b.preset,
                    b.semantics.name(),
                    b.search.name()
                );
            }
        }
    }
    exit_codes::OK
}
