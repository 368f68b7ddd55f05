//! `highwater replay FILE...`: does each trace still hold? (`ops::replay` does the work.)

use std::path::PathBuf;

use serde_json::json;

use super::check::Format;
use crate::exit_codes;
use crate::ops::replay::{replay_model, ImplementationResult, ModelReplay};
use crate::viewdiff::FieldDiff;

/// `highwater replay` flags.
#[derive(Clone, Debug, clap::Args)]
pub struct ReplayOpts {
    /// Trace files (`check --out` writes them; `traces/corpus/` holds the regression set).
    #[arg(required = true)]
    pub files: Vec<PathBuf>,
    /// `text` or `json` (one object per file, in a list).
    #[arg(long, value_enum, default_value = "text")]
    pub format: Format,
    /// Also write the trace viewer with the model's view and the protocol crate's side by
    /// side at every step, the first divergence highlighted.
    #[arg(long, value_name = "FILE")]
    pub html: Option<PathBuf>,
}

/// `DIVERGED at step S: node.field expected X actual Y (N fields differ)`.
fn diverged(step: usize, first: &FieldDiff, fields: usize) -> String {
    format!(
        "DIVERGED at step {step}: {}.{} expected {} actual {} ({fields} fields differ)",
        first.node,
        first.field,
        crate::viewdiff::compact(&first.expected),
        crate::viewdiff::compact(&first.actual)
    )
}

/// Run `replay`.
pub fn exec(opts: ReplayOpts) -> u8 {
    let mut replayed = Vec::new();
    for file in &opts.files {
        match replay_model(file) {
            Ok(r) => replayed.push(r),
            Err(error) => {
                eprintln!("error: {error}");
                return exit_codes::USAGE;
            }
        }
    }
    let failed = replayed.iter().any(|r| {
        !matches!(r.model, ModelReplay::Conforms) || !matches!(r.implementation.result, ImplementationResult::Conforms)
    });
    let mut code = if failed { exit_codes::VIOLATED } else { exit_codes::OK };
    if let Some(html) = &opts.html {
        if let Err(error) = write_pairs(&opts.files, &replayed, html) {
            eprintln!("error: {error}");
            code = exit_codes::USAGE;
        }
    }
    match opts.format {
        Format::Json => println!("{}", json!({ "replayed": replayed, "exit_code": code })),
        Format::Text => {
            for r in &replayed {
                let model = match &r.model {
                    ModelReplay::Conforms if r.property.is_empty() => "model: conforms".to_string(),
                    ModelReplay::Conforms => format!("model: conforms, {} as recorded", r.verdict),
                    ModelReplay::Diverged { step, first, fields } => {
                        format!("model: {}", diverged(*step, first, *fields))
                    }
                    ModelReplay::VerdictLost => {
                        format!("model: VERDICT LOST: the last state no longer shows {} {}", r.property, r.verdict)
                    }
                };
                let implementation = match &r.implementation.result {
                    ImplementationResult::Conforms => "conforms".to_string(),
                    ImplementationResult::Diverged { step, first, fields } => diverged(*step, first, *fields),
                    ImplementationResult::Refused { step, why } => format!("REFUSED step {step}: {why}"),
                };
                let violated: Vec<String> =
                    r.implementation.violated.iter().map(|(name, step)| format!("{name} (step {step})")).collect();
                println!(
                    "{}: {}, {} ({})\n  {model} ({} µs)\n  implementation: {implementation} ({} µs)\n  violated on the implementation: {}",
                    r.file,
                    if r.property.is_empty() {
                        "a walk of the correct model".to_string()
                    } else {
                        format!("{} {}", r.property, r.verdict)
                    },
                    crate::tracefile::plural(r.steps, "step"),
                    r.rules,
                    r.model_us,
                    r.implementation.elapsed_us,
                    if violated.is_empty() { "none".to_string() } else { violated.join(", ") }
                );
            }
        }
    }
    code
}

/// The viewer with each trace beside the protocol crate's views of the same steps.
fn write_pairs(
    files: &[PathBuf],
    replayed: &[crate::ops::replay::Replayed],
    html: &std::path::Path,
) -> Result<(), String> {
    let mut loaded = Vec::new();
    for (file, r) in files.iter().zip(replayed) {
        let (trace, cfg) = crate::tracefile::load(file)?;
        let mut implementation = trace.clone();
        implementation.states.truncate(r.implementation.views.len());
        for (state, view) in implementation.states.iter_mut().zip(&r.implementation.views) {
            state.view = view.clone();
            // The protocol crate's side records no messages: the arrows are the model's.
            state.messages.clear();
        }
        let divergence = match &r.implementation.result {
            ImplementationResult::Diverged { step, .. } => {
                Some((*step, crate::viewdiff::diff(&trace.states[*step].view, &r.implementation.views[*step])))
            }
            _ => None,
        };
        loaded.push((file.display().to_string(), trace, cfg, implementation, divergence));
    }
    let pairs: Vec<crate::viewer::Pair> = loaded
        .iter()
        .map(|(name, trace, cfg, implementation, divergence)| crate::viewer::Pair {
            model: crate::viewer::Shown { name: name.clone(), source: name.clone(), trace, cfg },
            implementation: implementation.clone(),
            divergence: divergence.clone(),
        })
        .collect();
    let title = format!("highwater replay: {}", crate::tracefile::plural(pairs.len(), "trace"));
    crate::tracefile::write_whole(html, crate::viewer::html(&title, &[], &pairs))
        .map_err(|e| format!("{}: cannot write: {e}", html.display()))?;
    println!("wrote {}: the model and the protocol crate side by side", html.display());
    Ok(())
}
