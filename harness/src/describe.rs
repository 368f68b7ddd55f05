//! A configuration in words, for the headers of every command that reports on one: the
//! cluster, the semantics and the seeded bugs enabled, with plurals right.

use highwater_model::{ModelConfig, Selector};
use highwater_traces::OutageShape;

use crate::tracefile::plural;

/// One line: the cluster and its budgets.
pub fn cluster(cfg: &ModelConfig) -> String {
    let consumers: Vec<String> = cfg
        .consumer_racks
        .iter()
        .enumerate()
        .map(|(i, rack)| match rack {
            Some(rack) => format!("consumer-{i} in rack {rack}"),
            None => format!("consumer-{i} with no client.rack"),
        })
        .collect();
    let mut parts = vec![
        format!("{} in racks {}", plural(cfg.broker_racks.len(), "broker"), cfg.broker_racks.join(", ")),
        if consumers.is_empty() { "no consumer".to_string() } else { consumers.join(", ") },
        plural(cfg.records as usize, "record"),
        plural(cfg.crashes as usize, "crash").replace("crashs", "crashes"),
        plural(cfg.rack_outages as usize, "rack outage"),
        plural(cfg.isr_expirations as usize, "lag tick"),
    ];
    if cfg.outage_shapes != [OutageShape::Brokers] {
        let shapes: Vec<&str> = cfg.outage_shapes.iter().map(|s| s.name()).collect();
        parts.push(format!("outages: {}", shapes.join(", ")));
    }
    if let Some(rack) = &cfg.producer_rack {
        parts.push(format!("producer in rack {rack}"));
    }
    if cfg.seeks > 0 {
        parts.push(plural(cfg.seeks as usize, "seek"));
    }
    if cfg.lossy {
        parts.push("lossy network".to_string());
    }
    if cfg.min_insync_replicas != 1 {
        parts.push(format!("min.insync.replicas {} (effective {})", cfg.min_insync_replicas, cfg.effective_min_isr()));
    }
    parts.push(match cfg.selector {
        Selector::RackAware => "rack-aware replica selector".to_string(),
        Selector::Leader => "leader selector".to_string(),
    });
    parts.join(", ")
}

/// The semantics and the seeded bugs: `apache semantics, seeded bugs: a, b` or `..., no seeded bug`.
pub fn rules(cfg: &ModelConfig) -> String {
    let bugs: Vec<&str> = cfg.bugs.iter().map(|b| b.id()).collect();
    format!("{} semantics, {}", cfg.semantics.name(), bugs_phrase(&bugs))
}

/// `seeded bug: a`, `seeded bugs: a, b`, or `no seeded bug`.
pub fn bugs_phrase(bugs: &[&str]) -> String {
    match bugs.len() {
        0 => "no seeded bug".to_string(),
        1 => format!("seeded bug: {}", bugs[0]),
        _ => format!("seeded bugs: {}", bugs.join(", ")),
    }
}
