//! The values that break a property in a view, in one clause: what a counterexample's reader
//! needs beside the property's statement. Each finder looks for the first witness of the
//! predicate it explains, in the same order the predicate reads the view.

use highwater_traces::{BrokenRequestRule, ClusterView, OffsetAnswer, Record, ResetCause, Role};

use crate::{safety, Kind, Property};

/// One sentence: the property's statement and what breaks it in `view` (for a liveness
/// property, what is still owed in the continuation's last state).
pub fn sentence(property: &Property, view: &ClusterView) -> String {
    match (property.kind, witness(property.name, view)) {
        (Kind::Coverage, _) => format!("{}: {}", property.name, property.statement),
        (_, Some(what)) => format!("{what}; but {} ({})", property.statement, property.name),
        (_, None) => format!("{} is violated: {}", property.name, property.statement),
    }
}

/// What breaks the property named `name` in `view`, if it is broken there and the suite knows
/// how to say it.
pub fn witness(name: &str, view: &ClusterView) -> Option<String> {
    let deliveries = || view.consumers.iter().flat_map(|c| c.delivered.iter().map(move |d| (c.id, d)));
    match name {
        "no-read-above-hw" => deliveries().find(|(_, d)| d.offset >= d.served_hw).map(|(c, d)| {
            format!(
                "consumer-{c} received offset {} from broker-{}, whose high watermark was {}",
                d.offset, d.served_by, d.served_hw
            )
        }),
        "no-offset-above-hw" => told_above_hw(view, OffsetAnswer::ListOffsets, "ListOffsets"),
        "epoch-query-capped" => told_above_hw(view, OffsetAnswer::OffsetsForLeaderEpoch, "OffsetsForLeaderEpoch"),
        "consumer-position-committed" => view.consumers.iter().find(|c| c.position > view.ghost.true_hw).map(|c| {
            format!("consumer-{} is at position {} while only {} records are committed", c.id, c.position, view.ghost.true_hw)
        }),
        "consumed-is-committed" => deliveries()
            .find(|(_, d)| usize::try_from(d.offset).ok().and_then(|o| view.ghost.committed.get(o)) != Some(&d.record))
            .map(|(c, d)| {
                format!(
                    "consumer-{c} received {} at offset {} from broker-{}, and the committed log has {} there",
                    record(&d.record),
                    d.offset,
                    d.served_by,
                    usize::try_from(d.offset)
                        .ok()
                        .and_then(|o| view.ghost.committed.get(o))
                        .map_or("nothing".to_string(), record)
                )
            }),
        "leader-epoch-monotonic" => {
            let now = safety::node_epochs(view);
            view.ghost.epochs_seen.iter().find_map(|(node, before)| {
                let current = now.get(node).filter(|c| *c < before)?;
                Some(format!("{node} is at leader epoch {current} after showing {before}"))
            })
        }
        "log-epochs-monotonic" => view.brokers.iter().find_map(|b| {
            let i = b.log.windows(2).position(|w| w[0].epoch > w[1].epoch)?;
            let offset = i;
            Some(format!(
                "broker-{}'s log has epoch {} at offset {offset} and epoch {} at offset {}",
                b.id,
                b.log[i].epoch,
                b.log[i + 1].epoch,
                offset + 1
            ))
        }),
        "one-leader-per-epoch" => {
            let leaders: Vec<_> = view.brokers.iter().filter(|b| b.alive && b.role == Role::Leader).collect();
            leaders.iter().enumerate().find_map(|(i, a)| {
                let b = leaders[i + 1..].iter().find(|b| b.leader_epoch == a.leader_epoch)?;
                Some(format!("broker-{} and broker-{} both lead epoch {}", a.id, b.id, a.leader_epoch))
            })
        }
        "leader-completeness" => view
            .leader()
            .filter(|l| !holds(&l.log, &view.ghost.committed))
            .map(|l| missing("the leader broker", l.id, &l.log, &view.ghost.committed)),
        "isr-completeness" => view
            .brokers
            .iter()
            .filter(|b| b.alive && view.controller.isr.contains(&b.id) && !view.controller.fenced.contains(&b.id))
            .find(|b| !holds(&b.log, &view.ghost.committed))
            .map(|b| missing("ISR member broker", b.id, &b.log, &view.ghost.committed)),
        "log-matching" => view.brokers.iter().enumerate().find_map(|(i, a)| {
            view.brokers[i + 1..].iter().find_map(|b| {
                let upto = a.high_watermark.min(b.high_watermark).max(0) as usize;
                let offset = a.log.iter().take(upto).zip(b.log.iter().take(upto)).position(|(x, y)| x != y)?;
                Some(format!(
                    "broker-{} has {} and broker-{} has {} at offset {offset}, below both high watermarks",
                    a.id,
                    record(&a.log[offset]),
                    b.id,
                    record(&b.log[offset])
                ))
            })
        }),
        "list-offsets-monotonic" => view.consumers.iter().find_map(|c| {
            let w = c.list_offsets_latest.windows(2).find(|w| w[0] > w[1])?;
            Some(format!("consumer-{} was told latest offset {} and then {}", c.id, w[0], w[1]))
        }),
        "preferred-replica-valid" => view.ghost.redirects.iter().find(|r| !r.is_allowed()).map(|r| {
            let why = if !r.by_leader {
                "which was not leader".to_string()
            } else if r.to == r.by {
                "itself".to_string()
            } else if !r.to_in_isr {
                format!("though broker-{} is outside its ISR", r.to)
            } else {
                format!("though broker-{} does not hold the fetch offset", r.to)
            };
            format!("broker-{} chose broker-{} as preferred read replica, {why}", r.by, r.to)
        }),
        "preferred-replica-dropped-on-error" => view.ghost.kept_failed_replicas.iter().next().map(|k| {
            format!(
                "consumer-{} kept broker-{} as its preferred read replica after it answered {}",
                k.consumer,
                k.replica,
                k.error.name()
            )
        }),
        "epoch-fencing" => view.ghost.broken_request_rules.iter().find_map(|r| match r {
            BrokenRequestRule::ServedAcrossEpochs { by, requester, request_epoch, replica_epoch } => Some(format!(
                "broker-{by}, in leader epoch {replica_epoch}, served {requester}'s request naming epoch {request_epoch}"
            )),
            _ => None,
        }),
        "fetch-names-last-epoch" => view.ghost.broken_request_rules.iter().find_map(|r| match r {
            BrokenRequestRule::FetchWithoutLastEpoch { follower, fetch_offset } => {
                Some(format!("broker-{follower} fetched from offset {fetch_offset} without its last fetched epoch"))
            }
            _ => None,
        }),
        "consumer-prefix" => view.consumers.iter().find_map(|c| {
            let mut next = 0;
            let mut resets = c.resets.iter().filter(|r| r.cause != ResetCause::FollowerOutOfRange).map(|r| r.to);
            c.delivered.iter().find_map(|d| {
                let ok = d.offset == next || resets.any(|to| to == d.offset);
                let expected = next;
                next = d.offset + 1;
                (!ok).then(|| format!("consumer-{} received offset {} where offset {expected} was next", c.id, d.offset))
            })
        }),
        "committed-eventually-visible" => {
            let must_see = crate::liveness::must_see(view);
            let under_hw = view.ghost.true_hw.max(0) as usize;
            view.consumers.iter().filter(|c| !c.failed).find_map(|c| {
                let from = c.resets.last().map_or(0, |r| r.to).max(0) as usize;
                let unseen = (from..must_see.len())
                    .find(|o| !c.delivered.iter().any(|d| d.offset == *o as i64 && d.record == must_see[*o]))?;
                let why = if unseen < under_hw { "under the high watermark" } else { "held by the whole ISR" };
                Some(format!(
                    "consumer-{} has still not received offset {unseen}, {why} (it is at position {})",
                    c.id, c.position
                ))
            })
        }
        "preferred-replica-released" => view.consumers.iter().find_map(|c| {
            let r = c.preferred_read_replica?;
            let usable = view.broker(r).is_some_and(|b| b.alive && b.role != Role::Offline)
                && view.controller.isr.contains(&r);
            (!usable).then(|| format!("consumer-{} still reads from broker-{r}, which it must leave", c.id))
        }),
        "isr-recovers" => {
            let out: Vec<String> = view
                .brokers
                .iter()
                .filter(|b| b.alive && !view.controller.isr.contains(&b.id))
                .map(|b| format!("broker-{}", b.id))
                .collect();
            (!out.is_empty()).then(|| format!("{} has still not rejoined the controller's ISR", out.join(" and ")))
        }
        _ => None,
    }
}

fn told_above_hw(view: &ClusterView, answer: OffsetAnswer, api: &str) -> Option<String> {
    view.ghost.offsets_above_hw.iter().find(|t| t.answer == answer && t.offset > t.high_watermark).map(|t| {
        format!(
            "broker-{} answered consumer-{}'s {api} with offset {} above its high watermark {}",
            t.by, t.consumer, t.offset, t.high_watermark
        )
    })
}

fn holds(log: &[Record], committed: &[Record]) -> bool {
    log.len() >= committed.len() && log[..committed.len()] == *committed
}

fn missing(who: &str, id: i32, log: &[Record], committed: &[Record]) -> String {
    let offset = log.iter().zip(committed).position(|(a, b)| a != b).unwrap_or(log.len());
    format!(
        "{who}-{id} lacks committed offset {offset} ({}): its log {}",
        record(&committed[offset]),
        match log.get(offset) {
            Some(r) => format!("has {} there", record(r)),
            None => format!("ends at {}", log.len()),
        }
    )
}

fn record(r: &Record) -> String {
    format!("value {} of epoch {}", r.value, r.epoch)
}
