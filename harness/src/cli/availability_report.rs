//! The reports of `highwater availability`: text, JSON and one self-contained HTML page, and
//! the directory `--out` fills (the three reports, and the traces behind the model's verdicts
//! with a viewer per scenario).

use std::fmt::Write as _;
use std::path::Path;

use highwater_model::{ClusterModel, Selector};
use highwater_properties::availability::CLAIMS;
use serde_json::json;

use crate::ops::availability::curves::{Curve, Situation, PHASES};
use crate::ops::availability::judge::ClaimVerdict;
use crate::ops::availability::timed::{Timings, KEYS};
use crate::ops::availability::verdict::Answer;
use crate::ops::availability::{seconds, Options, Row, Side};
use crate::tracefile::{self, TraceInfo};
use crate::viewer;

/// Everything a report shows.
pub struct Report<'a> {
    /// One per scenario and semantics.
    pub rows: &'a [Row],
    /// The visibility-delay curves, unless skipped.
    pub curves: Option<&'a Vec<Curve>>,
    /// The timings of the timed runs.
    pub timings: &'a Timings,
    /// How the matrix ran.
    pub options: &'a Options,
    /// Wall time of the whole run (left out of the reports, which stay the same run to run).
    pub elapsed_s: f64,
    /// Why the matrix stopped before its last row, if it did (its answer is then partial).
    pub stopped_by: Option<String>,
}

fn ms(value: Option<u64>) -> String {
    value.map_or("never".to_string(), seconds)
}

fn changed_timings(timings: &Timings) -> Vec<String> {
    let default = Timings::default();
    KEYS.iter()
        .filter(|(key, _, _)| timings.get(key) != default.get(key))
        .map(|(key, _, _)| format!("{key}={}", timings.get(key).unwrap_or_default()))
        .collect()
}

/// A side's timed figures as every report shows them: records read in the outage (history +
/// new/produced), the first new record visible after, the longest stall, back to the leader
/// after, the cross-rack share of fetches.
pub fn timed_cells(t: &crate::ops::availability::timed::Figures) -> [String; 5] {
    [
        format!(
            "{} + {}/{}",
            t.history_read_during_outage,
            t.read_during_outage - t.history_read_during_outage,
            t.produced_during_outage
        ),
        ms(t.first_visible_after_ms),
        ms(Some(t.longest_stall_ms)),
        back(t),
        format!("{:.0}%", t.cross_rack_percent()),
    ]
}

fn side_line(side: &Side) -> String {
    let claims: Vec<String> = side.model.verdicts.iter().map(|v| format!("{:<9}", short(v))).collect();
    let [read, visible, stall, back, cross] = timed_cells(&side.timed);
    format!("  {:<11} {}  {read:>15} {visible:>8} {stall:>8} {back:>8} {cross:>6}", side.selector, claims.join(" "))
}

/// When the consumer went back to the leader: `-` when it was not on a follower.
pub fn back(t: &crate::ops::availability::timed::Figures) -> String {
    match (t.on_follower_at_cut, t.back_to_leader_after_ms) {
        (false, _) => "-".to_string(),
        (true, None) => "never".to_string(),
        (true, Some(v)) => seconds(v),
    }
}

fn short(verdict: &ClaimVerdict) -> &'static str {
    match verdict.status.word() {
        "not witnessed" => "-",
        word => word,
    }
}

/// The report for people.
pub fn text(report: &Report) -> String {
    let mut s = String::new();
    let t = report.timings;
    let _ = writeln!(
        s,
        "highwater availability: {} scenario run(s), each with rack-aware selection and leader-only fetching",
        report.rows.len()
    );
    let changed = changed_timings(t);
    let _ = writeln!(
        s,
        "timed runs: {}; the outage from {:.0} s for {:.0} s, a record every {} ms, {:.0} s after the heal",
        if changed.is_empty() {
            "Kafka's default timings".to_string()
        } else {
            format!("Kafka's defaults but {}", changed.join(", "))
        },
        t.outage_start_ms as f64 / 1000.0,
        t.outage_duration_ms as f64 / 1000.0,
        t.produce_interval_ms,
        t.after_heal_ms as f64 / 1000.0
    );
    let _ = writeln!(s, "model: 3 brokers (the leader in a, followers in b and c or both in b), 1 record, 1 lag tick, 1 rewind, the outage never healed; continuations of {} steps", report.options.bound);
    let _ = writeln!(s, "\nclaims (model, exhaustive per scenario):");
    for claim in CLAIMS {
        let _ = writeln!(s, "  {:<9} {}: {}", claim.short, claim.name, claim.statement);
    }
    let _ = writeln!(s, "timed (sim::Cluster): records read during the outage (the history rewound to + new/produced), the first new record visible after, the longest stall, back to the leader after the cut (- when not on a follower), fetches served across racks");
    for row in report.rows {
        let _ = writeln!(s, "\n{} ({}): {}; {}", row.scenario, row.semantics, row.placement, row.outage);
        let header: Vec<String> = CLAIMS.iter().map(|c| format!("{:<9}", c.short)).collect();
        let _ = writeln!(
            s,
            "  {:<11} {}  {:>15} {:>8} {:>8} {:>8} {:>6}",
            "",
            header.join(" "),
            "old + new/made",
            "visible",
            "stall",
            "back",
            "cross"
        );
        let _ = writeln!(s, "{}", side_line(&row.rack_aware));
        let _ = writeln!(s, "{}", side_line(&row.leader_only));
        let states = row.rack_aware.model.unique_states + row.leader_only.model.unique_states;
        let _ = writeln!(s, "  => {}: {} ({states} model states)", row.verdict.answer.word(), row.verdict.reason);
    }
    let _ = writeln!(s, "\n{}", answer(report.rows));
    if let Some(curves) = report.curves {
        let _ = writeln!(s, "\nvisibility delay of a record to a consumer in rack b, produce to read (mean of {PHASES} runs over the governing cycle):");
        for curve in curves {
            let _ = writeln!(s, "  {} ({}): {}", curve.key, situation(curve.situation), curve.about);
            for p in &curve.points {
                let _ = writeln!(
                    s,
                    "    {:>7} ms   follower {:>8} (at most {:>8})   leader-only {:>8} (at most {:>8})",
                    p.value,
                    ms(p.follower_ms),
                    ms(p.follower_max_ms),
                    ms(p.leader_ms),
                    ms(p.leader_max_ms)
                );
            }
        }
    }
    if let Some(why) = &report.stopped_by {
        let _ = writeln!(s, "\nstopped by {why}: inconclusive");
    }
    s
}

fn situation(situation: Situation) -> &'static str {
    match situation {
        Situation::SteadyState => "every replica fetching",
        Situation::FollowerStopped => "follower 3 stops reaching the leader",
        Situation::FollowerFenced => "rack c's brokers cut off, follower 3 fenced",
    }
}

/// The answer to KIP-392's question, in plain words, from the rows: how often each verdict
/// came, then each scenario that was improved or impaired with its reason (one line for the
/// semantics that agree), then those where nothing changed.
pub fn answer(rows: &[Row]) -> String {
    let count = |answer: Answer| rows.iter().filter(|r| r.verdict.answer == answer).count();
    let mut s = format!(
        "Answer: rack-aware selection improved availability in {} of {} scenario runs, impaired it in {}, and changed nothing in {}.",
        count(Answer::Improved),
        rows.len(),
        count(Answer::Impaired),
        count(Answer::Same)
    );
    // Rows of one scenario whose verdicts agree are one line, naming their semantics.
    let mut lines: Vec<(Answer, String, Vec<&str>, String)> = Vec::new();
    for row in rows {
        match lines
            .iter_mut()
            .find(|(a, sc, _, r)| *a == row.verdict.answer && *sc == row.scenario && *r == row.verdict.reason)
        {
            Some(line) => line.2.push(row.semantics),
            None => {
                lines.push((row.verdict.answer, row.scenario.clone(), vec![row.semantics], row.verdict.reason.clone()))
            }
        }
    }
    // Scenarios whose lines say the same under the same semantics share one line too.
    for (answer, heading) in [(Answer::Improved, "Improved"), (Answer::Impaired, "Impaired")] {
        let mut shared: Vec<(String, String, Vec<&str>)> = Vec::new();
        for (_, scenario, semantics, reason) in lines.iter().filter(|l| l.0 == answer) {
            let semantics = semantics.join(", ");
            match shared.iter_mut().find(|(r, sem, _)| r == reason && *sem == semantics) {
                Some(line) => line.2.push(scenario),
                None => shared.push((reason.clone(), semantics, vec![scenario])),
            }
        }
        for (reason, semantics, scenarios) in shared {
            let _ = write!(s, "\n  {heading} in {} ({semantics}): {reason}.", scenarios.join(", "));
        }
    }
    let same: Vec<String> = lines
        .iter()
        .filter(|l| l.0 == Answer::Same)
        .map(|(_, scenario, semantics, _)| format!("{scenario} ({})", semantics.join(", ")))
        .collect();
    if !same.is_empty() {
        let _ = write!(s, "\n  The same: {}.", same.join("; "));
    }
    s
}

/// The matrix as a Markdown table, with the answer after it, as README carries it.
pub fn markdown(report: &Report) -> String {
    let cell = |t: &crate::ops::availability::timed::Figures| {
        format!(
            "{} + {} read, stall {:.1} s",
            t.history_read_during_outage,
            t.read_during_outage - t.history_read_during_outage,
            t.longest_stall_ms as f64 / 1000.0
        )
    };
    let mut s =
        String::from("| consumer / outage | semantics | rack-aware | leader-only | verdict |\n|---|---|---|---|---|\n");
    for row in report.rows {
        let _ = writeln!(
            s,
            "| `{}` | {} | {} | {} | **{}**: {} |",
            row.scenario,
            row.semantics,
            cell(&row.rack_aware.timed),
            cell(&row.leader_only.timed),
            row.verdict.answer.word(),
            row.verdict.reason
        );
    }
    let _ = writeln!(s, "\n{}", answer(report.rows));
    s
}

/// The report for machines.
pub fn json(report: &Report) -> String {
    let value = json!({
        "timings": report.timings,
        "bound": report.options.bound,
        "claims": CLAIMS.iter().map(|c| json!({"name": c.name, "statement": c.statement})).collect::<Vec<_>>(),
        "rows": report.rows,
        "answer": answer(report.rows),
        "curves": report.curves,
        "stopped_by": report.stopped_by,
    });
    serde_json::to_string_pretty(&value).expect("plain data")
}

/// Write the reports and the traces into `dir`; the files written, or the error naming the
/// file (the directory exists already).
pub fn write(dir: &Path, report: &Report) -> Result<Vec<String>, String> {
    let mut viewers = Vec::new();
    for row in report.rows {
        let mut files = Vec::new();
        for (side, selector) in [(&row.rack_aware, Selector::RackAware), (&row.leader_only, Selector::Leader)] {
            for verdict in &side.model.verdicts {
                let Some(path) = &verdict.path else { continue };
                let name = format!(
                    "{}-{}-{}-{}.json",
                    row.scenario.replace('/', "-"),
                    row.semantics,
                    side.selector,
                    verdict.claim
                );
                let file = dir.join("traces").join(&name);
                let text = trace_text(row, selector, verdict, path, report.options.bound)?;
                tracefile::write_whole(&file, &text).map_err(|e| format!("{}: cannot write: {e}", file.display()))?;
                files.push(file);
            }
        }
        if files.is_empty() {
            continue;
        }
        let html_name = format!("{}-{}.html", row.scenario.replace('/', "-"), row.semantics);
        let html = dir.join("traces").join(&html_name);
        viewer::write_for_files(
            &files,
            &html,
            &format!("highwater availability: {} ({})", row.scenario, row.semantics),
        )?;
        viewers.push((row.scenario.clone(), row.semantics, format!("traces/{html_name}")));
    }
    let mut written = Vec::new();
    if let Some(curves) = report.curves {
        let file = dir.join("visibility-delay.svg");
        tracefile::write_whole(&file, super::availability_html::curves_svg(curves))
            .map_err(|e| format!("{}: cannot write: {e}", file.display()))?;
        written.push(file.display().to_string());
    }
    for (name, text) in [
        ("availability.txt", text(report)),
        ("availability.json", json(report)),
        ("availability.html", html(report, Some(&viewers))),
    ] {
        let file = dir.join(name);
        tracefile::write_whole(&file, &text).map_err(|e| format!("{}: cannot write: {e}", file.display()))?;
        written.push(file.display().to_string());
    }
    written.push(format!("{} trace viewer(s) under {}", viewers.len(), dir.join("traces").display()));
    Ok(written)
}

/// Steps of a failed continuation a trace file keeps: enough to show the cycle it settles into
/// (`trace show` and the viewer summarise it), where the whole bound would make each file
/// megabytes of the same few steps.
const CONTINUATION_KEPT: usize = 60;

fn trace_text(
    row: &Row,
    selector: Selector,
    verdict: &ClaimVerdict,
    path: &[highwater_traces::Action],
    bound: usize,
) -> Result<String, String> {
    let whole = path.len();
    let path = match verdict.continuation_from {
        Some(from) => &path[..whole.min(from + CONTINUATION_KEPT)],
        None => path,
    };
    let cfg = row.model_config(selector);
    let model = ClusterModel::new(cfg.clone());
    let info = TraceInfo {
        preset: "",
        property: None,
        checker: "availability",
        seed: 0,
        steps_found: path.len(),
        liveness_bound: bound,
        continuation_from: verdict.continuation_from,
    };
    let mut trace = tracefile::build(&model, &cfg, path, &info).map_err(|e| format!("{}: {e}", row.scenario))?;
    let claim = highwater_properties::availability::claim(verdict.claim).expect("verdicts name claims");
    trace.meta.property = claim.name.to_string();
    trace.meta.verdict = verdict.status.word().to_string();
    trace.meta.preset = format!("availability {}", row.scenario);
    trace.meta.liveness_bound = verdict.continuation_from.map(|_| bound.to_string()).unwrap_or_default();
    trace.meta.continuation_from = verdict.continuation_from.map(|c| c.to_string()).unwrap_or_default();
    trace.meta.description = match verdict.continuation_from {
        Some(from) => format!(
            "{} {} ({}): {}; after {} the outage goes on, and a fair continuation of {} steps {} (the first {} kept here)",
            claim.name,
            verdict.status.word(),
            row.scenario,
            claim.statement,
            tracefile::plural(from, "step"),
            whole - from,
            if claim.is_witness() { "in which the consumer reads nothing" } else { "never meets it" },
            path.len() - from
        ),
        None => format!("{} {} ({}): {}", claim.name, verdict.status.word(), row.scenario, claim.statement),
    };
    Ok(trace.to_json())
}

/// The HTML page; `viewers` links each scenario's traces when they were written.
pub fn html(report: &Report, viewers: Option<&[(String, &'static str, String)]>) -> String {
    super::availability_html::page(report, viewers)
}
