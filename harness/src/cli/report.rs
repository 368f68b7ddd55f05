//! Turning an [`Outcome`] into a table for people or one JSON object for machines.

use std::fmt::Write;

use highwater_model::ModelConfig;
use serde_json::json;

use crate::run::{Liveness, Outcome, SearchOptions, Status};

/// The text report.
pub fn text(preset: &str, cfg: &ModelConfig, options: &SearchOptions, outcome: &Outcome, explorer: &str) -> String {
    let mut s = String::new();
    let _ = writeln!(
        s,
        "highwater check: preset {preset}, {} brokers in racks {}, consumers {:?}, {} records, {} crashes, {} rack outages, {} lag ticks{}{}, {:?} semantics, {:?} selector",
        cfg.broker_racks.len(),
        cfg.broker_racks.join(","),
        cfg.consumer_racks,
        cfg.records,
        cfg.crashes,
        cfg.rack_outages,
        cfg.isr_expirations,
        if cfg.lossy { ", lossy" } else { "" },
        match cfg.min_insync_replicas {
            1 => String::new(),
            n => format!(", min.insync.replicas {n} (effective {})", cfg.effective_min_isr()),
        },
        cfg.semantics,
        cfg.selector,
    );
    let _ = writeln!(
        s,
        "{:?} search: {} states, {} unique, depth {}, {:.1} s, {:.0} states/s; {}",
        options.search,
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
    let _ = writeln!(s, "\n{:<42} {:<9} verdict", "property", "kind");
    for p in &outcome.properties {
        let status =
            serde_json::to_value(p.status).ok().and_then(|v| v.as_str().map(str::to_string)).unwrap_or_default();
        let _ = writeln!(s, "{:<42} {:<9} {status}", p.name, p.kind);
    }
    for p in outcome.properties.iter().filter(|p| p.status == Status::Violated) {
        let path = p.path.as_deref().unwrap_or_default();
        let _ = writeln!(s, "\ncounterexample for {} ({} steps):", p.name, path.len());
        for (i, action) in path.iter().enumerate() {
            let _ = writeln!(s, "  {:>3}. {action}", i + 1);
        }
        if let Some(encoded) = &p.encoded {
            let _ = writeln!(
                s,
                "  explore it: highwater explore --preset {preset} ..., then http://{explorer}/#/steps/{encoded}"
            );
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
        let _ = writeln!(s, "wrote {}: {} steps, minimised from {}", t.file, t.steps, t.steps_found);
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
        "exit_code": exit_code,
    })
    .to_string()
}
