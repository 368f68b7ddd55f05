//! The availability figures of an outage scenario, from its history, measured as
//! `highwater availability` measures them on `sim::Cluster` (`harness/src/ops/availability/timed.rs`).

use highwater_protocol::Message;
use serde::Serialize;

use crate::cluster;
use crate::history::{History, What};

/// The availability figures of an outage scenario, measured as `highwater availability`
/// measures them on `sim::Cluster`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Figures {
    /// From the first record produced after the cut to the consumer reading it.
    pub first_visible_after_ms: Option<u64>,
    /// The longest time the consumer read nothing, from the cut to the end of the run.
    pub longest_stall_ms: u64,
    /// Distinct records read while the outage was on.
    pub read_during_outage: u64,
    /// Records produced while the outage was on.
    pub produced_during_outage: u64,
    /// Fetches answered without error over the run.
    pub fetches: u64,
    /// Of those, answered by a broker in another rack than the consumer's.
    pub fetches_across_racks: u64,
}

/// The figures `highwater availability` reports, from the history.
pub fn figures(history: &History, consumer_rack: &str) -> Figures {
    let cut = history.events.iter().find(|e| matches!(&e.what, What::Step { what } if what.starts_with("cut:")));
    let heal = history.events.iter().find(|e| matches!(&e.what, What::Step { what } if what.starts_with("heal:")));
    let (Some(cut), Some(heal)) = (cut.map(|e| e.at_ms), heal.map(|e| e.at_ms)) else {
        return Figures::default();
    };
    let end = history.events.last().map_or(heal, |e| e.at_ms);
    let produced: Vec<(u64, u64)> = history
        .events
        .iter()
        .filter_map(|e| match e.what {
            What::Produced { value } => Some((e.at_ms, value)),
            _ => None,
        })
        .collect();
    let deliveries: Vec<(u64, Vec<u64>)> = history
        .events
        .iter()
        .filter_map(|e| match &e.what {
            What::Delivered { records, .. } => Some((e.at_ms, records.iter().map(|r| r.value).collect())),
            _ => None,
        })
        .collect();
    let first_after = produced.iter().find(|(at, _)| *at >= cut);
    let first_visible_after_ms = first_after.and_then(|(at, value)| {
        deliveries.iter().find(|(_, values)| values.contains(value)).map(|(seen, _)| seen.saturating_sub(*at))
    });
    let mut last = cut;
    let mut longest = 0;
    for (at, _) in deliveries.iter().filter(|(at, _)| *at >= cut) {
        longest = longest.max(at - last);
        last = *at;
    }
    longest = longest.max(end.saturating_sub(last));
    let mut during: Vec<u64> =
        deliveries.iter().filter(|(at, _)| (cut..heal).contains(at)).flat_map(|(_, v)| v.iter().copied()).collect();
    during.sort_unstable();
    during.dedup();
    let mut fetches = 0;
    let mut across = 0;
    for event in &history.events {
        if let What::Received { client, broker, message: Message::FetchResponse(r), .. } = &event.what {
            if client.starts_with("consumer") && r.error_code.is_none() {
                fetches += 1;
                if cluster::broker(*broker).is_some_and(|b| b.rack != Some(consumer_rack)) {
                    across += 1;
                }
            }
        }
    }
    Figures {
        first_visible_after_ms,
        longest_stall_ms: longest,
        read_during_outage: during.len() as u64,
        produced_during_outage: produced.iter().filter(|(at, _)| (cut..heal).contains(at)).count() as u64,
        fetches,
        fetches_across_racks: across,
    }
}
