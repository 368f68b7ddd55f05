//! Safety: what must hold in every state of every run.

use std::collections::BTreeMap;

use highwater_traces::{
    BrokenRequestRule, ClusterView, LeaderEpoch, NodeId, Offset, OffsetAnswer, Redirect, ResetCause, Role,
};

/// A replica never hands a consumer a record at or above its own high watermark.
/// Source: KIP-392 ("only committed data is returned to the consumer"); `ReplicaManager.readFromLog`.
pub fn no_read_above_hw(view: &ClusterView) -> bool {
    view.consumers.iter().flat_map(|c| &c.delivered).all(|d| d.offset < d.served_hw)
}

/// A leader's ListOffsets answer never tells a consumer an offset above its high watermark: the
/// latest offset a consumer reading committed data may see is the HW, and in the window where
/// the HW is below the leader epoch start offset the leader refuses (KIP-207). An answer above it
/// would move a seeking consumer onto records that may yet be truncated. Source: Kafka 4.4
/// `Partition.fetchOffsetForTimestamp` (`IsolationLevel.READ_UNCOMMITTED` ends at the HW); KIP-207.
pub fn no_offset_above_hw(view: &ClusterView) -> bool {
    told_within_hw(view, OffsetAnswer::ListOffsets)
}

/// An OffsetsForLeaderEpoch answer to a consumer never exceeds the replica's high watermark:
/// KIP-392's text caps it, and answers OFFSET_NOT_AVAILABLE while the HW is below the leader
/// epoch start offset. Kafka as built does not: `Partition.lastOffsetForLeaderEpoch` answers
/// the epoch's end offset, the log end offset for the latest epoch (Kafka 4.4), so this is
/// judged under KIP-strict semantics only; `consumer-position-committed` judges what the
/// uncapped answer does to a consumer.
pub fn epoch_query_capped(view: &ClusterView) -> bool {
    told_within_hw(view, OffsetAnswer::OffsetsForLeaderEpoch)
}

fn told_within_hw(view: &ClusterView, answer: OffsetAnswer) -> bool {
    view.ghost
        .offsets_above_hw
        .iter()
        .filter(|told| told.answer == answer)
        .all(|told| told.offset <= told.high_watermark)
}

/// No consumer's position goes past the committed records (the highest HW any leader reached):
/// whatever a replica answers, a consumer fetches, seeks and validates only up to the HW. An
/// OffsetsForLeaderEpoch end offset above the HW (Kafka's answer) can only move a position down:
/// Kafka 4.4 `SubscriptionState.maybeCompleteValidation` truncates to the end offset when it is
/// below the position and otherwise keeps the position. Source: KIP-392 discussion (Jun, point 1).
pub fn consumer_position_committed(view: &ClusterView) -> bool {
    view.consumers.iter().all(|c| c.position <= view.ghost.true_hw)
}

/// Every record a consumer received is committed, at that offset, and stays so.
/// Source: Vanlightly `ConsistentReadProperty`; KIP-392.
pub fn consumed_is_committed(view: &ClusterView) -> bool {
    let committed = &view.ghost.committed;
    view.consumers
        .iter()
        .flat_map(|c| &c.delivered)
        .all(|d| usize::try_from(d.offset).ok().and_then(|o| committed.get(o)) == Some(&d.record))
}

/// Leader epochs never go backwards: at the controller, at any replica, at any consumer.
/// `ghost.epochs_seen` holds the highest epoch each node showed so far, this state included.
/// Source: KIP-101, KIP-320.
pub fn leader_epoch_monotonic(view: &ClusterView) -> bool {
    let current = node_epochs(view);
    view.ghost.epochs_seen.iter().all(|(node, before)| current.get(node).is_none_or(|now| now >= before))
}

/// The leader epoch each node shows now; replicas without a role (restarted, no notice yet) show none.
pub fn node_epochs(view: &ClusterView) -> BTreeMap<NodeId, LeaderEpoch> {
    let mut epochs = BTreeMap::from([(NodeId::Controller, view.controller.leader_epoch)]);
    for broker in view.brokers.iter().filter(|b| b.alive && b.role != Role::Offline) {
        epochs.insert(NodeId::Broker(broker.id), broker.leader_epoch);
    }
    for consumer in &view.consumers {
        epochs.insert(NodeId::Consumer(consumer.id), consumer.current_leader_epoch);
    }
    epochs
}

/// Record epochs never decrease along a log. Source: KIP-101.
pub fn log_epochs_monotonic(view: &ClusterView) -> bool {
    view.brokers.iter().all(|b| b.log.windows(2).all(|w| w[0].epoch <= w[1].epoch))
}

/// At most one live broker leads any one epoch: the controller names one leader per epoch.
/// Source: KIP-101; hachikuji's kafka-specification (`LeaderInIsr`).
pub fn one_leader_per_epoch(view: &ClusterView) -> bool {
    let mut leaders: Vec<i32> =
        view.brokers.iter().filter(|b| b.alive && b.role == Role::Leader).map(|b| b.leader_epoch).collect();
    let count = leaders.len();
    leaders.sort_unstable();
    leaders.dedup();
    leaders.len() == count
}

/// The live leader the controller elected holds every committed record.
/// Source: Vanlightly `LeaderCompletenessProperty`.
pub fn leader_completeness(view: &ClusterView) -> bool {
    view.leader().is_none_or(|leader| holds_prefix(&leader.log, &view.ghost.committed))
}

/// Every live, unfenced member of the controller's ISR holds every committed record (StrongIsr).
/// Source: hachikuji `StrongIsr`; Vanlightly `LeaderCandidateCompletenessProperty`.
pub fn isr_completeness(view: &ClusterView) -> bool {
    view.brokers
        .iter()
        .filter(|b| b.alive && view.controller.isr.contains(&b.id) && !view.controller.fenced.contains(&b.id))
        .all(|b| holds_prefix(&b.log, &view.ghost.committed))
}

/// Any two replicas agree on every offset below the smaller of their HWs.
/// Source: Vanlightly `LogMatchingProperty`.
pub fn log_matching(view: &ClusterView) -> bool {
    let brokers: Vec<_> = view.brokers.iter().collect();
    brokers.iter().enumerate().all(|(i, a)| {
        brokers[i + 1..].iter().all(|b| {
            let upto = a.high_watermark.min(b.high_watermark).max(0) as usize;
            a.log.iter().take(upto).eq(b.log.iter().take(upto))
        })
    })
}

/// ListOffsets(latest) answers a consumer sees never go backwards. Source: KIP-207 (KAFKA-2334).
pub fn list_offsets_monotonic(view: &ClusterView) -> bool {
    view.consumers.iter().all(|c| c.list_offsets_latest.windows(2).all(|w| w[0] <= w[1]))
}

/// Every preferred read replica was chosen by a broker that was leader in its own view, from
/// that leader's ISR, holding the fetch offset in that leader's view: the chooser's own view is
/// all a broker can know when it chooses, so that is what the rule is judged against.
/// A leader that has not yet heard of a newer epoch may still choose; the consumer's next fetch
/// is fenced. Source: KIP-392; KAFKA-13778 (a follower chose), KAFKA-14372 (outside the ISR).
pub fn preferred_replica_valid(view: &ClusterView) -> bool {
    view.ghost.redirects.iter().all(Redirect::is_allowed)
}

/// A consumer whose preferred read replica refuses a fetch with an error that calls for new
/// metadata (NOT_LEADER_OR_FOLLOWER, FENCED_LEADER_EPOCH, OFFSET_NOT_AVAILABLE, ...) drops that
/// replica: its next fetch goes to the leader, not back to the replica that refused it until the
/// lease runs out. Source: KAFKA-14379 (`FetchUtils.requestMetadataUpdate` clears the preferred
/// read replica).
pub fn preferred_replica_dropped_on_error(view: &ClusterView) -> bool {
    view.ghost.kept_failed_replicas.is_empty()
}

/// A replica never serves a request that names another leader epoch: an older one is refused
/// with FENCED_LEADER_EPOCH, a newer one with UNKNOWN_LEADER_EPOCH, so a zombie or a requester
/// on stale metadata cannot act on the wrong epoch. Source: KIP-320 (KAFKA-6880); hachikuji's
/// `Kip320.tla` fences every follower step by epoch.
pub fn epoch_fencing(view: &ClusterView) -> bool {
    !view.ghost.broken_request_rules.iter().any(|r| matches!(r, BrokenRequestRule::ServedAcrossEpochs { .. }))
}

/// A follower's fetch past offset 0 names the epoch of its last record (`last_fetched_epoch`),
/// so the leader can check the follower's log for divergence before serving it. Source: KIP-595
/// (the check moved into Fetch, KAFKA-10554); KAFKA-15510 lost the epoch after an empty answer.
pub fn fetch_names_last_epoch(view: &ClusterView) -> bool {
    !view.ghost.broken_request_rules.iter().any(|r| matches!(r, BrokenRequestRule::FetchWithoutLastEpoch { .. }))
}

/// A consumer's records run from offset 0 without gaps, duplicates or reorders, except where it
/// recorded an explicit reset (a seek, the leader's out-of-range, a detected truncation). A
/// follower's out-of-range is not one: it only sends the consumer back to the leader.
/// Source: KIP-392 case 4, KAFKA-14255.
pub fn consumer_prefix(view: &ClusterView) -> bool {
    view.consumers.iter().all(|c| {
        let mut next: Offset = 0;
        let mut resets = c.resets.iter().filter(|r| r.cause != ResetCause::FollowerOutOfRange).map(|r| r.to);
        c.delivered.iter().all(|d| {
            let ok = d.offset == next || resets.any(|to| to == d.offset);
            next = d.offset + 1;
            ok
        })
    })
}

fn holds_prefix(log: &[highwater_traces::Record], committed: &[highwater_traces::Record]) -> bool {
    log.len() >= committed.len() && log[..committed.len()] == *committed
}
