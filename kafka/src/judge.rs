//! A real run judged by the properties a client can observe.
//!
//! Where a property is a function of what clients saw, it is judged by the same function the
//! model checker uses (`highwater_properties::safety`), over a `ClusterView` built from the
//! clients alone: the consumers as they ended, and a ghost whose committed log is the final
//! read (the leader's log below its high watermark, read once every fault has healed), as
//! Jepsen's checkers end with a final read. Two properties are stated here because only a real
//! cluster needs them in this form: acknowledged records survive, and a preferred read replica
//! is in the ISR the controller reports.

use highwater_properties::safety;
use highwater_protocol::{BrokerId, Consumer, Message, ResetCause as ProtocolResetCause};
use highwater_traces::{ClusterView, ConsumerView, Delivery, Ghost, Record, Reset, ResetCause};
use serde::Serialize;

use crate::history::{ConsumerState, History, RecordAt, What};

/// One property's verdict on a run.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Verdict {
    /// The property's name.
    pub property: &'static str,
    /// Whether it held.
    pub holds: bool,
    /// Why not, when it did not; what was judged, when it did.
    pub detail: String,
}

/// The leader's log below its high watermark after the run: what is committed.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct FinalRead {
    /// The broker that answered, the leader then.
    pub leader: BrokerId,
    /// Its high watermark.
    pub high_watermark: i64,
    /// Its records from offset 0 below the high watermark.
    pub records: Vec<RecordAt>,
}

/// How long after a redirect an ISR report may still show the ISR the leader chose from.
const PROPAGATION_MS: u64 = 3_000;

/// Judge a run: the consumers as they ended, the history, and the final read.
pub fn judge(consumers: &[&Consumer], history: &History, final_read: &FinalRead) -> Vec<Verdict> {
    let view = view(consumers, history, final_read);
    let mut verdicts = Vec::new();
    let mut same = |property: &'static str, check: fn(&ClusterView) -> bool, judged: String| {
        let holds = check(&view);
        let detail = if holds { judged } else { explain(property, &view) };
        verdicts.push(Verdict { property, holds, detail });
    };
    let delivered: usize = view.consumers.iter().map(|c| c.delivered.len()).sum();
    same(
        "no-read-above-hw",
        safety::no_read_above_hw,
        format!("{delivered} records delivered, each below the HW of the answer that carried it"),
    );
    same(
        "consumed-is-committed",
        safety::consumed_is_committed,
        format!("{delivered} records delivered, each in the final committed log at its offset"),
    );
    same(
        "consumer-position-committed",
        safety::consumer_position_committed,
        format!("every position at most the final HW {}", final_read.high_watermark),
    );
    same(
        "consumer-prefix",
        safety::consumer_prefix,
        "every consumer's records run from 0 without gaps but at recorded resets".into(),
    );
    let answers: usize = view.consumers.iter().map(|c| c.list_offsets_latest.len()).sum();
    same(
        "list-offsets-monotonic",
        safety::list_offsets_monotonic,
        format!("{answers} ListOffsets(latest) answers, none going back"),
    );
    verdicts.push(acknowledged_kept(history, final_read));
    verdicts.push(preferred_replica_in_isr(history));
    verdicts
}

/// The view the safety properties take, built from the clients.
pub fn view(consumers: &[&Consumer], history: &History, final_read: &FinalRead) -> ClusterView {
    let mut view = ClusterView::default();
    for consumer in consumers {
        let name = highwater_protocol::NodeId::Consumer(consumer.config().consumer_id).to_string();
        let served: Vec<(BrokerId, i64, &RecordAt)> = history
            .events
            .iter()
            .enumerate()
            .filter_map(|(i, e)| match &e.what {
                What::Delivered { client, served_by, records, .. } if *client == name => {
                    let bound = read_bound(history, i);
                    Some(records.iter().map(move |r| (*served_by, bound, r)))
                }
                _ => None,
            })
            .flatten()
            .collect();
        let delivered = served
            .iter()
            .map(|(by, hw, r)| Delivery {
                offset: r.offset,
                record: Record { epoch: r.epoch, value: r.value },
                served_by: *by,
                served_hw: *hw,
            })
            .collect();
        let config = consumer.config();
        let state = ConsumerState::of(consumer);
        view.consumers.push(consumer_view(config.consumer_id, config.client_rack.clone(), &state, delivered));
    }
    view.ghost = Ghost {
        true_hw: final_read.high_watermark,
        committed: final_read.records.iter().map(|r| Record { epoch: r.epoch, value: r.value }).collect(),
        ..Ghost::default()
    };
    view
}

/// The high watermark a replica read under when it served the records of the `Delivered`
/// event at `index`: the one its answer reported, or, where that is not above every record
/// served, the one its next answer to the same client reported.
///
/// Kafka 4.4.0's `Partition.readRecords` takes the high watermark it reports
/// (`initialHighWatermark`) before `UnifiedLog.read`, which reads up to the high watermark of
/// the moment it reads; when the HW moves between the two, an answer carries records at or
/// above the HW it reports, all of them below the HW they were read under. That bound lies
/// between this answer's report and the next one's, so the next answer's is taken. The
/// consequence: a replica that served above its HW is caught only if its HW has not passed the
/// record by its next answer; `consumed-is-committed` judges every record against the final
/// committed log whatever the reports said.
pub fn read_bound(history: &History, index: usize) -> i64 {
    let Some(What::Delivered { client, served_by, served_hw, records }) = history.events.get(index).map(|e| &e.what)
    else {
        return -1;
    };
    let highest = records.iter().map(|r| r.offset).max().unwrap_or(-1);
    if highest < *served_hw {
        return *served_hw;
    }
    let next = history.events[index + 1..].iter().find_map(|e| match &e.what {
        What::Received { client: c, broker, message: Message::FetchResponse(r), .. }
            if c == client && broker == served_by && r.error_code.is_none() =>
        {
            Some(r.high_watermark)
        }
        _ => None,
    });
    next.map_or(*served_hw, |hw| hw.max(*served_hw))
}

/// A consumer as the properties see it: its state as the protocol crate reports it, and the
/// records it was handed. ListOffsets(latest) answers are kept distinct in order, as the model
/// keeps them.
pub fn consumer_view(id: u32, rack: Option<String>, state: &ConsumerState, delivered: Vec<Delivery>) -> ConsumerView {
    let mut latest: Vec<i64> = Vec::new();
    for offset in &state.list_offsets_latest {
        if latest.last() != Some(offset) {
            latest.push(*offset);
        }
    }
    ConsumerView {
        id,
        rack,
        position: state.position,
        position_epoch: state.position_epoch,
        current_leader_epoch: state.current_leader_epoch,
        preferred_read_replica: state.preferred_read_replica,
        delivered,
        resets: state.resets.iter().map(|r| Reset { from: r.from, to: r.to, cause: reset_cause(r.cause) }).collect(),
        list_offsets_latest: latest,
        failed: state.failed,
    }
}

fn reset_cause(cause: ProtocolResetCause) -> ResetCause {
    match cause {
        ProtocolResetCause::Seek => ResetCause::Seek,
        ProtocolResetCause::OutOfRange => ResetCause::OutOfRange,
        ProtocolResetCause::LogTruncation => ResetCause::LogTruncation,
        ProtocolResetCause::FollowerOutOfRange => ResetCause::FollowerOutOfRange,
    }
}

fn explain(property: &str, view: &ClusterView) -> String {
    match highwater_properties::by_name(property) {
        Some(p) => highwater_properties::explain::sentence(p, view),
        None => format!("{property} does not hold"),
    }
}

/// Every record the producer was told is committed is in the final committed log, at the
/// offset it was acknowledged at: acks=all means it survives every fault the run made.
fn acknowledged_kept(history: &History, final_read: &FinalRead) -> Verdict {
    let acknowledged: Vec<(u64, i64)> = history
        .events
        .iter()
        .filter_map(|e| match e.what {
            What::Acknowledged { value, offset } => Some((value, offset)),
            _ => None,
        })
        .collect();
    let lost: Vec<String> = acknowledged
        .iter()
        .filter(|(value, offset)| !final_read.records.iter().any(|r| r.offset == *offset && r.value == *value))
        .map(|(value, offset)| format!("value {value} at offset {offset}"))
        .collect();
    Verdict {
        property: "acknowledged-kept",
        holds: lost.is_empty(),
        detail: if lost.is_empty() {
            format!("{} acknowledged records, all in the final committed log", acknowledged.len())
        } else {
            format!("acknowledged but not in the final committed log: {}", lost.join(", "))
        },
    }
}

/// Every preferred read replica a leader names is in the ISR the controller reported: the last
/// report before the answer or any in the few seconds after it (Metadata seen by a client or
/// by the run's watcher). KIP-392 lets the leader choose among in-sync replicas only
/// (KAFKA-14372 chose outside the ISR). The leader learns an ISR change when the controller
/// accepts it, before the brokers' metadata caches that answer Metadata do, so a replica just
/// added may be named before any report shows it; a replica no report near the answer shows
/// is a violation.
fn preferred_replica_in_isr(history: &History) -> Verdict {
    let isr_reports: Vec<(usize, u64, Vec<BrokerId>)> = history
        .events
        .iter()
        .enumerate()
        .filter_map(|(i, e)| match &e.what {
            What::Received { message: Message::MetadataResponse(m), .. } => Some((i, e.at_ms, m.isr_nodes.clone())),
            What::Partition { isr, .. } => Some((i, e.at_ms, isr.clone())),
            _ => None,
        })
        .collect();
    let mut redirects = 0;
    let mut outside = Vec::new();
    for (i, event) in history.events.iter().enumerate() {
        let What::Received { broker, message: Message::FetchResponse(r), .. } = &event.what else { continue };
        if r.preferred_read_replica < 0 {
            continue;
        }
        redirects += 1;
        let before = isr_reports.iter().rev().find(|(at, _, _)| *at < i);
        let after = isr_reports.iter().filter(|(at, ms, _)| *at > i && *ms <= event.at_ms + PROPAGATION_MS);
        let mut near = before.into_iter().chain(after);
        let replica = r.preferred_read_replica;
        if near.clone().next().is_none() {
            outside.push(format!("at {} ms a redirect with no ISR reported near it to judge it by", event.at_ms));
        } else if !near.any(|(_, _, isr)| isr.contains(&replica)) {
            let last = before.map_or_else(|| "none".to_string(), |(_, _, isr)| format!("{isr:?}"));
            outside.push(format!(
                "at {} ms broker {broker} named replica {replica}, in no ISR reported from the last before ({last}) to {PROPAGATION_MS} ms after",
                event.at_ms
            ));
        }
    }
    Verdict {
        property: "preferred-replica-in-isr",
        holds: outside.is_empty(),
        detail: if outside.is_empty() {
            format!("{redirects} redirects, each to a replica in the ISR the controller reported")
        } else {
            outside.join("; ")
        },
    }
}
