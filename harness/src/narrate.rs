//! A trace told for people: each step with the messages it moved, the violating step marked
//! with what breaks the property, and a liveness failure as its path, the point where faults
//! stop, and a summary of the fair continuation. The terminal and the viewer say the same.

use std::fmt::Write;

use highwater_properties::explain;
use highwater_properties::{Kind, Property};
use highwater_traces::{Action, Fate, StepMessage, Trace};

use crate::tracefile::plural;

/// Where a trace shows its verdict, and why.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct Verdict {
    /// The state (index into the trace's states) the verdict is about: the violating step, or
    /// for liveness the state where faults stop.
    pub step: usize,
    /// The property.
    pub property: &'static str,
    /// Its kind.
    pub kind: &'static str,
    /// The property's statement and the values that break it.
    pub sentence: String,
}

/// The verdict a trace records, if it is about a property.
pub fn verdict(trace: &Trace) -> Option<Verdict> {
    let property = highwater_properties::by_name(&trace.meta.property)?;
    let last = trace.states.len() - 1;
    let (step, judged) = match trace.continuation_from() {
        // What is still owed at the end of the continuation is what never happens.
        Some(from) => (from, &trace.states[last].view),
        None => (last, &trace.states[last].view),
    };
    let sentence = match property.kind {
        Kind::Liveness => liveness_sentence(property, judged, trace),
        _ => explain::sentence(property, judged),
    };
    Some(Verdict { step, property: property.name, kind: property.kind.name(), sentence })
}

fn liveness_sentence(property: &Property, end: &highwater_traces::ClusterView, trace: &Trace) -> String {
    let what = explain::witness(property.name, end).unwrap_or_else(|| "the goal is still not reached".to_string());
    let Some(from) = trace.continuation_from() else {
        // An older file records no continuation: what is owed is read where faults stop.
        return format!(
            "when faults stop, {what}, and no fair continuation of {} steps gets there (the file does not record it; `highwater replay` runs it); but {} ({})",
            trace.meta.liveness_bound, property.statement, property.name
        );
    };
    let steps = trace.states.len() - 1 - from;
    format!("{} after faults stop, {what}; but {} ({})", plural(steps, "fair step"), property.statement, property.name)
}

/// One message, as a step lists it.
pub fn message_line(m: &StepMessage) -> String {
    let fate = match m.fate {
        Fate::Delivered => String::new(),
        other => format!(" ({})", other.name()),
    };
    format!("{} -> {}: {}{fate}", m.from, m.to, m.message.label())
}

/// The steps of a trace, numbered, with their messages; the verdict's step marked. A liveness
/// trace's continuation is summed up, not listed.
pub fn steps(trace: &Trace) -> String {
    let mut s = String::new();
    let verdict = verdict(trace);
    let path_end = trace.continuation_from().unwrap_or(trace.states.len() - 1);
    for (i, state) in trace.states.iter().enumerate().take(path_end + 1).skip(1) {
        let marked = verdict.as_ref().is_some_and(|v| v.step == i && v.kind != "liveness");
        let action = state.action.as_ref().map(ToString::to_string).unwrap_or_default();
        let _ = writeln!(s, "{} {i:>3}. {action}", if marked { ">>" } else { "  " });
        for m in &state.messages {
            let _ = writeln!(s, "         {}", message_line(m));
        }
        if let (true, Some(v)) = (marked, &verdict) {
            let _ = writeln!(s, "       VIOLATED here: {}", v.sentence);
        }
    }
    if let (Some(from), Some(v)) = (trace.continuation_from(), &verdict) {
        let _ = writeln!(s, "  -- faults stop here, after step {from}");
        let continuation: Vec<Action> = trace.states[from + 1..].iter().filter_map(|s| s.action.clone()).collect();
        let _ = writeln!(s, "     fair continuation: {}", continuation_summary(&continuation, from));
        let _ = writeln!(s, "     VIOLATED: {}", v.sentence);
    }
    s
}

/// Where a trace's fair continuation starts, in words: faults stop there, except in a trace of
/// an availability claim, whose continuation keeps the outage on.
pub fn continuation_divider(trace: &Trace) -> &'static str {
    if highwater_properties::availability::claim(&trace.meta.property).is_some() {
        "the outage goes on here"
    } else {
        "faults stop here"
    }
}

/// A fair continuation in one line: its length, the steps before it settles into a cycle, and
/// the cycle it repeats to the end.
pub fn continuation_summary(actions: &[Action], from: usize) -> String {
    let head = plural(actions.len(), "step");
    let Some((start, period)) = cycle(actions) else {
        return format!("{head}: {}", listed(actions));
    };
    let lead = match start {
        0 => String::new(),
        _ => format!("first {}, then ", listed(&actions[..start])),
    };
    let cycle = match period {
        1 => format!("`{}` over and over", actions[start]),
        _ => format!("every {period} steps the same: {}", listed(&actions[start..start + period])),
    };
    format!("{head}: {lead}from step {} on, {cycle}", from + start + 1)
}

/// Up to six actions by name, then how many more.
fn listed(actions: &[Action]) -> String {
    let names: Vec<String> = actions.iter().take(6).map(ToString::to_string).collect();
    match actions.len() {
        n if n > 6 => format!("{}, and {} more", names.join("; "), n - 6),
        _ => names.join("; "),
    }
}

/// The cycle a sequence ends in: the earliest start and the shortest period such that from the
/// start on every action repeats the one a period earlier, the cycle seen at least twice.
fn cycle(actions: &[Action]) -> Option<(usize, usize)> {
    let n = actions.len();
    (1..=n / 2)
        .filter_map(|period| {
            let mut start = n - period;
            while start > 0 && actions[start - 1] == actions[start - 1 + period] {
                start -= 1;
            }
            (n - start >= 2 * period).then_some((start, period))
        })
        .min_by_key(|&(start, period)| (start, period))
}

#[cfg(test)]
mod tests {
    use super::*;
    use highwater_traces::{NodeId, TimerKind};

    fn timer(node: NodeId) -> Action {
        Action::Timer { node, timer: TimerKind::FetchWait }
    }

    #[test]
    fn a_continuation_is_summed_up_by_the_cycle_it_ends_in() {
        let (a, b, c) = (timer(NodeId::Broker(1)), timer(NodeId::Broker(2)), Action::HealRack { rack: "a".into() });
        let actions = [c.clone(), a.clone(), b.clone(), a.clone(), b.clone(), a.clone(), b.clone()];
        assert_eq!(cycle(&actions), Some((1, 2)));
        let summary = continuation_summary(&actions, 10);
        assert_eq!(
            summary,
            "7 steps: first heal rack a, then from step 12 on, every 2 steps the same: timer fetch-wait at broker-1; timer fetch-wait at broker-2"
        );
        assert_eq!(cycle(&[c.clone(), a.clone(), b]), None);
        assert_eq!(continuation_summary(&[c], 0), "1 step: heal rack a");
    }
}
