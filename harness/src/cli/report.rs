//! Turning an [`Outcome`] into a table for people or one JSON object for machines.

use std::fmt::Write;

use highwater_model::ModelConfig;
use serde_json::json;

use highwater_traces::Trace;

use super::check::CheckOpts;
use crate::describe;
use crate::narrate;
use crate::run::{Liveness, Outcome, Search, SearchOptions};
use crate::tracefile::plural;

/// What the text report describes besides the outcome.
pub struct Context<'a> {
    /// The command's flags.
    pub opts: &'a CheckOpts,
    /// The configuration they resolved to.
    pub cfg: &'a ModelConfig,
    /// The search.
    pub options: &'a SearchOptions,
}

/// The text report: the configuration, the search, every verdict, and each counterexample
/// minimised and told step by step.
pub fn text(ctx: &Context, outcome: &Outcome, counterexamples: &[&Trace]) -> String {
    let (cfg, options) = (ctx.cfg, ctx.options);
    let preset = &ctx.opts.config.preset;
    let mut s = String::new();
    let _ = writeln!(s, "highwater check: preset {preset}, {}", describe::rules(cfg));
    let _ = writeln!(s, "cluster: {}", describe::cluster(cfg));
    let _ = writeln!(
        s,
        "{} search: {} states, {} unique, depth {}, {:.1} s, {:.0} states/s; {}",
        match options.search {
            Search::Dfs => "depth-first",
            Search::Bfs => "breadth-first",
            Search::Simulation => "simulation",
        },
        outcome.states,
        outcome.unique_states,
        outcome.max_depth,
        outcome.elapsed_s,
        outcome.states_per_s,
        match &outcome.stopped_by {
            None => "complete".to_string(),
            Some(why) => format!("INCOMPLETE: stopped by {why}"),
        }
    );
    for group in outcome.symmetry.iter().flatten() {
        let numbers: Vec<String> = group.iter().map(|c| format!("consumer-{c}")).collect();
        let _ = writeln!(
            s,
            "symmetry: {} share a rack and are explored as one (--no-symmetry to explore each numbering)",
            numbers.join(", ")
        );
    }
    if let Some(memo) = outcome.liveness_memo {
        let _ = writeln!(
            s,
            "liveness: {} checks needed a fair continuation; {} distinct continuations (one per healed state and goal) answered them",
            memo.checks, memo.continuations
        );
    }
    let _ = writeln!(s, "\n{:<42} {:<9} verdict", "property", "kind");
    for p in &outcome.properties {
        let status =
            serde_json::to_value(p.status).ok().and_then(|v| v.as_str().map(str::to_string)).unwrap_or_default();
        let _ = writeln!(s, "{:<42} {:<9} {status}", p.name, p.kind);
    }
    for trace in counterexamples {
        let steps = trace.path().len();
        let _ = writeln!(
            s,
            "\ncounterexample for {} ({}, minimised from {}):",
            trace.meta.property,
            plural(steps, "step"),
            trace.meta.steps_found
        );
        s.push_str(&narrate::steps(trace));
        let written = outcome.traces.iter().find(|t| t.property == trace.meta.property);
        match written {
            Some(t) => {
                let _ = writeln!(s, "  see it in the browser: highwater view {} --out report.html", t.file);
                let _ = writeln!(s, "  explore it: highwater explore --trace {}", t.file);
            }
            None => {
                let _ = writeln!(
                    s,
                    "  explore it: highwater explore {}, then http://{}/#/steps/{}",
                    ctx.opts.config.to_args().join(" "),
                    ctx.opts.explorer,
                    super::explore::encode(ctx.cfg, &trace.path()).unwrap_or_default()
                );
                let _ = writeln!(
                    s,
                    "  (with --out DIR, check writes the trace for `highwater view` and `explore --trace`)"
                );
            }
        }
    }
    match &options.liveness {
        Liveness::EveryState { bound } => {
            let _ = writeln!(
                s,
                "\nliveness: in every state reached, faults stop and a fair continuation of at most {bound} steps must reach each goal{}",
                if outcome.complete { " (every reachable state)" } else { " (the states reached before the run stopped)" }
            );
        }
        Liveness::Sampled(l) => {
            let _ = writeln!(
                s,
                "\nliveness: {} random walks of {} steps, then faults stop and a fair continuation of at most {} steps must reach each goal (sampled, not exhaustive)",
                l.samples, l.walk_steps, l.bound
            );
        }
        Liveness::Off => {}
    }
    let other_semantics: Vec<&str> =
        highwater_properties::ALL.iter().filter(|p| !p.applies(cfg.semantics)).map(|p| p.name).collect();
    if !other_semantics.is_empty() {
        let _ = writeln!(
            s,
            "not checked under {} semantics: {} (a promise of the other semantics alone)",
            cfg.semantics.name(),
            other_semantics.join(", ")
        );
    }
    for t in &outcome.traces {
        let _ = writeln!(s, "wrote {}: {}, minimised from {}", t.file, plural(t.steps, "step"), t.steps_found);
    }
    s
}

/// The JSON report.
pub fn json(preset: &str, cfg: &ModelConfig, options: &SearchOptions, outcome: &Outcome, exit_code: u8) -> String {
    json!({
        "format_version": 1,
        "preset": preset,
        "config": cfg,
        "checker": options.search,
        "threads": options.threads,
        "complete": outcome.complete,
        "stopped_by": outcome.stopped_by,
        "states": outcome.states,
        "unique_states": outcome.unique_states,
        "max_depth": outcome.max_depth,
        "elapsed_s": outcome.elapsed_s,
        "states_per_s": outcome.states_per_s,
        "properties": outcome.properties,
        "traces": outcome.traces,
        "symmetry": outcome.symmetry,
        "search": options,
        "split_level": outcome.split_level,
        "fingerprint_probe": outcome.fingerprint_probe,
        "liveness_memo": outcome.liveness_memo,
        "exit_code": exit_code,
    })
    .to_string()
}
