//! Rack-aware selection against leader-only fetching, on one scenario: improved, impaired or
//! the same, with the reason in one line.
//!
//! The timed run decides first, since it is what a consumer lives through with Kafka's default
//! timings: more records read while the outage lasts is improved, fewer is impaired, and so is
//! a longer stall beyond what one fetch round explains. When the timed runs are alike, the
//! model's witnesses decide, since they hold for every ordering of the scenario's steps and
//! not only for the one the clock gave.

use serde::Serialize;

use super::judge::ClaimStatus;
use super::timed::Timings;
use super::Side;

/// The answer for one scenario.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Answer {
    /// Rack-aware selection keeps the consumer reading where leader-only would not.
    Improved,
    /// Rack-aware selection stops the consumer where leader-only would not.
    Impaired,
    /// No difference either side can show.
    Same,
}

impl Answer {
    /// As the report prints it.
    pub fn word(self) -> &'static str {
        match self {
            Answer::Improved => "improved",
            Answer::Impaired => "impaired",
            Answer::Same => "same",
        }
    }
}

/// The answer and its reason.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Verdict {
    /// Improved, impaired or the same.
    pub answer: Answer,
    /// Why, in one line.
    pub reason: String,
}

fn witnessed(side: &Side, claim: &str) -> bool {
    side.model.status(claim) == ClaimStatus::Witnessed
}

fn fails(side: &Side, claim: &str) -> bool {
    side.model.status(claim) == ClaimStatus::Fails
}

use super::seconds;

/// Decide the verdict of `rack_aware` against `leader_only`.
pub fn decide(rack_aware: &Side, leader_only: &Side, timings: &Timings) -> Verdict {
    let (r, l) = (&rack_aware.timed, &leader_only.timed);
    // A stall differing by less than a fetch round and a backoff is the same stall.
    let slack = timings.fetch_max_wait_ms + timings.retry_backoff_ms + timings.produce_interval_ms;
    let read = |side: &str, t: &super::timed::Figures| {
        format!(
            "{side} read {} records during the outage ({} of the history it rewound to, {} of the {} produced during it)",
            t.read_during_outage,
            t.history_read_during_outage,
            t.read_during_outage - t.history_read_during_outage,
            t.produced_during_outage
        )
    };
    if r.read_during_outage > l.read_during_outage {
        let how = if witnessed(rack_aware, "follower-serves-cut-off-consumer") {
            ": a follower served the consumer while it could not reach the leader"
        } else {
            ""
        };
        return Verdict {
            answer: Answer::Improved,
            reason: format!("{}, leader-only {}{how}", read("rack-aware", r), l.read_during_outage),
        };
    }
    if r.read_during_outage < l.read_during_outage {
        return Verdict {
            answer: Answer::Impaired,
            reason: format!("{}, leader-only {}", read("rack-aware", r), l.read_during_outage),
        };
    }
    let stall = match (r.longest_stall_ms, l.longest_stall_ms) {
        (rack, leader) if rack > leader + slack => Some(Answer::Impaired),
        (rack, leader) if leader > rack + slack => Some(Answer::Improved),
        _ => None,
    };
    if let Some(answer) = stall {
        let reason = format!(
            "the consumer stalled {} with rack-aware selection, {} leader-only",
            seconds(r.longest_stall_ms),
            seconds(l.longest_stall_ms)
        );
        return Verdict { answer, reason };
    }
    let stalled = "consumer-stalled-beside-leader";
    if (fails(rack_aware, "reads-from-reachable-leader") && !fails(leader_only, "reads-from-reachable-leader"))
        || (witnessed(rack_aware, stalled) && !witnessed(leader_only, stalled))
    {
        return Verdict {
            answer: Answer::Impaired,
            reason: "timed runs alike, but the model finds an ordering where the consumer reaches the leader yet reads nothing, as leader-only never does".into(),
        };
    }
    let served = "follower-serves-cut-off-consumer";
    if witnessed(rack_aware, served) && !witnessed(leader_only, served) {
        return Verdict {
            answer: Answer::Improved,
            reason: "timed runs alike, but the model finds an ordering where a follower serves the consumer cut off from the leader".into(),
        };
    }
    Verdict {
        answer: Answer::Same,
        reason: format!(
            "both read {} records during the outage ({} of them produced during it); longest stall {} rack-aware, {} leader-only",
            r.read_during_outage,
            r.read_during_outage - r.history_read_during_outage,
            seconds(r.longest_stall_ms),
            seconds(l.longest_stall_ms)
        ),
    }
}
