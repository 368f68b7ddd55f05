//! Each safety property accepts a consistent view and rejects a hand-made view that breaks it.

use highwater_properties::{by_name, liveness, safety, violated_safety, Kind, ALL};
use highwater_traces::*;

fn rec(epoch: LeaderEpoch, value: u64) -> Record {
    Record { epoch, value }
}

fn broker(id: BrokerId, rack: &str, role: Role, epoch: LeaderEpoch, log: Vec<Record>, hw: Offset) -> BrokerView {
    BrokerView {
        id,
        rack: rack.into(),
        alive: true,
        role,
        leader_epoch: epoch,
        leader: 1,
        log_start_offset: 0,
        log_end_offset: log.len() as Offset,
        high_watermark: hw,
        log,
        isr: vec![1, 2, 3],
        maximal_isr: vec![1, 2, 3],
        leader_epoch_start_offset: (role == Role::Leader).then_some(0),
    }
}

/// Leader 1 (epoch 1) and followers 2, 3 hold [a, b] committed; consumer 0 read both from 2.
fn good() -> ClusterView {
    let log = vec![rec(1, 10), rec(1, 11)];
    let delivered = vec![
        Delivery { offset: 0, record: rec(1, 10), served_by: 2, served_hw: 2 },
        Delivery { offset: 1, record: rec(1, 11), served_by: 2, served_hw: 2 },
    ];
    ClusterView {
        controller: ControllerView {
            leader: 1,
            leader_epoch: 1,
            partition_epoch: 3,
            isr: vec![1, 2, 3],
            fenced: vec![],
        },
        brokers: vec![
            broker(1, "a", Role::Leader, 1, log.clone(), 2),
            broker(2, "b", Role::Follower, 1, log.clone(), 2),
            broker(3, "b", Role::Follower, 1, log.clone(), 1),
        ],
        consumers: vec![ConsumerView {
            id: 0,
            rack: Some("b".into()),
            position: 2,
            position_epoch: 1,
            current_leader_epoch: 1,
            preferred_read_replica: Some(2),
            delivered,
            resets: vec![],
            list_offsets_latest: vec![1, 2],
            failed: false,
        }],
        cut_racks: vec![],
        outages: vec![],
        producer_rack: None,
        faults_left: 0,
        ghost: Ghost {
            true_hw: 2,
            committed: log,
            acked: vec![(10, 0), (11, 1)],
            redirects: [Redirect { by: 1, by_leader: true, to: 2, to_in_isr: true, to_holds_offset: true }].into(),
            happened: Default::default(),
            offsets_above_hw: Default::default(),
            kept_failed_replicas: Default::default(),
            broken_request_rules: Default::default(),
            epochs_seen: [(NodeId::Controller, 1), (NodeId::Broker(1), 1), (NodeId::Consumer(0), 0)].into(),
        },
        semantics: Semantics::Apache,
    }
}

fn rejects(name: &str, bad: ClusterView) {
    let property = by_name(name).unwrap();
    assert!((property.check)(&good()), "{name} must hold on the good view");
    assert!(!(property.check)(&bad), "{name} must reject the bad view");
    assert_eq!(violated_safety(&bad), vec![name], "the bad view breaks {name} alone");
}

#[test]
fn the_good_view_satisfies_every_safety_and_liveness_goal() {
    let view = good();
    assert_eq!(violated_safety(&view), Vec::<&str>::new());
    assert!(liveness::committed_visible(&view) && liveness::no_consumer_on_bad_replica(&view));
    assert!(liveness::every_live_replica_in_isr(&view));
}

#[test]
fn no_read_above_hw() {
    let mut bad = good();
    bad.consumers[0].delivered[1].served_hw = 1;
    rejects("no-read-above-hw", bad);
}

fn told(answer: OffsetAnswer, offset: Offset) -> OffsetAboveHw {
    OffsetAboveHw { by: 1, consumer: 0, answer, offset, high_watermark: 2 }
}

#[test]
fn no_offset_above_hw() {
    let mut at_hw = good();
    at_hw.ghost.offsets_above_hw.insert(told(OffsetAnswer::ListOffsets, 2));
    assert!(safety::no_offset_above_hw(&at_hw), "the latest offset equal to the HW reveals nothing uncommitted");
    let mut bad = good();
    bad.ghost.offsets_above_hw.insert(told(OffsetAnswer::ListOffsets, 3));
    rejects("no-offset-above-hw", bad);
}

#[test]
fn epoch_query_capped_is_kip_392_s_promise_alone() {
    let mut at_hw = good();
    at_hw.ghost.offsets_above_hw.insert(told(OffsetAnswer::OffsetsForLeaderEpoch, 2));
    assert!(safety::epoch_query_capped(&at_hw), "an end offset equal to the HW reveals nothing uncommitted");
    let mut bad = good();
    bad.ghost.offsets_above_hw.insert(told(OffsetAnswer::OffsetsForLeaderEpoch, 3));
    assert!(!safety::epoch_query_capped(&bad) && safety::no_offset_above_hw(&bad), "only the epoch query broke");
    assert!(violated_safety(&bad).is_empty(), "Kafka as built answers the end offset: not judged under Apache");
    bad.semantics = Semantics::KipStrict;
    rejects("epoch-query-capped", bad);
}

#[test]
fn consumer_position_committed() {
    let mut bad = good();
    bad.consumers[0].position = 3;
    rejects("consumer-position-committed", bad);
}

#[test]
fn consumed_is_committed() {
    let mut bad = good();
    bad.consumers[0].delivered[1].record = rec(1, 99);
    rejects("consumed-is-committed", bad);
}

#[test]
fn leader_epoch_monotonic() {
    let mut bad = good();
    bad.ghost.epochs_seen.insert(NodeId::Broker(2), 2);
    rejects("leader-epoch-monotonic", bad);
    let mut restarted = good();
    restarted.ghost.epochs_seen.insert(NodeId::Broker(2), 2);
    restarted.brokers[1].role = Role::Offline;
    restarted.brokers[1].leader_epoch = -1;
    assert!(safety::leader_epoch_monotonic(&restarted), "a restarted broker without a role shows no epoch");
}

#[test]
fn log_epochs_monotonic() {
    let mut bad = good();
    bad.brokers[2].log = vec![rec(1, 10), rec(0, 11)];
    bad.brokers[2].high_watermark = 0;
    bad.controller.isr = vec![1, 2];
    rejects("log-epochs-monotonic", bad);
}

#[test]
fn one_leader_per_epoch() {
    let mut bad = good();
    bad.brokers[2].role = Role::Leader;
    rejects("one-leader-per-epoch", bad);
}

#[test]
fn leader_completeness() {
    // An unclean election: leader 1 is outside the ISR, so only this property guards it.
    let mut bad = good();
    bad.controller.isr = vec![2, 3];
    bad.brokers[0].log.pop();
    bad.brokers[0].log_end_offset = 1;
    bad.brokers[0].high_watermark = 1;
    for b in &mut bad.brokers[1..] {
        b.high_watermark = 1;
    }
    rejects("leader-completeness", bad);
}

#[test]
fn isr_completeness() {
    let mut bad = good();
    bad.brokers[2].log.pop();
    bad.brokers[2].log_end_offset = 1;
    rejects("isr-completeness", bad);
    let mut fenced = good();
    fenced.brokers[2].log.pop();
    fenced.controller.fenced = vec![3];
    assert!(safety::isr_completeness(&fenced), "fenced members are exempt");
}

#[test]
fn log_matching() {
    let mut bad = good();
    bad.brokers[2].log[0] = rec(0, 77);
    bad.controller.isr = vec![1, 2];
    rejects("log-matching", bad);
}

#[test]
fn list_offsets_monotonic() {
    let mut bad = good();
    bad.consumers[0].list_offsets_latest = vec![2, 1];
    rejects("list-offsets-monotonic", bad);
}

#[test]
fn preferred_replica_valid() {
    for broken in [
        Redirect { by: 2, by_leader: false, to: 3, to_in_isr: true, to_holds_offset: true },
        Redirect { by: 1, by_leader: true, to: 3, to_in_isr: false, to_holds_offset: true },
        Redirect { by: 1, by_leader: true, to: 3, to_in_isr: true, to_holds_offset: false },
        Redirect { by: 1, by_leader: true, to: 1, to_in_isr: true, to_holds_offset: true },
    ] {
        let mut bad = good();
        bad.ghost.redirects.insert(broken);
        rejects("preferred-replica-valid", bad.clone());
        // The observers keep exactly the choices the property rejects.
        let mut noted = good();
        noted.ghost.redirects.clear();
        noted.ghost.note_redirect(broken);
        assert_eq!(noted.ghost.redirects, [broken].into(), "{broken:?} is not kept");
    }
    let mut allowed = good();
    let choice = *allowed.ghost.redirects.first().expect("good() has an allowed redirect");
    allowed.ghost.redirects.clear();
    allowed.ghost.note_redirect(choice);
    assert!(allowed.ghost.redirects.is_empty(), "an allowed choice is kept: it would multiply the model's states");
}

#[test]
fn preferred_replica_dropped_on_error() {
    // KAFKA-14379: the replica refused the fetch and the consumer still prefers it.
    let mut bad = good();
    bad.consumers[0].preferred_read_replica = Some(2);
    let kept = KeptFailedReplica { consumer: 0, replica: 2, error: ErrorCode::NOT_LEADER_OR_FOLLOWER };
    bad.ghost.kept_failed_replicas.insert(kept);
    rejects("preferred-replica-dropped-on-error", bad);
    // Which refusals count: UNKNOWN_LEADER_EPOCH is retried as is, out-of-range has KIP-392's rules.
    for (error, counts) in [
        (ErrorCode::NOT_LEADER_OR_FOLLOWER, true),
        (ErrorCode::FENCED_LEADER_EPOCH, true),
        (ErrorCode::OFFSET_NOT_AVAILABLE, true),
        (ErrorCode::REPLICA_NOT_AVAILABLE, true),
        (ErrorCode::UNKNOWN_LEADER_EPOCH, false),
        (ErrorCode::OFFSET_OUT_OF_RANGE, false),
        (ErrorCode::NONE, false),
    ] {
        assert_eq!(error.calls_for_new_metadata(), counts, "{error:?}");
    }
}

#[test]
fn epoch_fencing() {
    // KAFKA-6880: broker 1, now in epoch 2, served a fetch from a follower still in epoch 0.
    let mut bad = good();
    let served = BrokenRequestRule::ServedAcrossEpochs {
        by: 1,
        requester: NodeId::Broker(3),
        request_epoch: 0,
        replica_epoch: 2,
    };
    bad.ghost.broken_request_rules.insert(served);
    rejects("epoch-fencing", bad);
    // Which answers serve: refusals by epoch or by role do not; data, a held request, or an
    // error the replica's log decided do.
    assert!(!served_across_epochs(0, 2, Some(ErrorCode::FENCED_LEADER_EPOCH)));
    assert!(!served_across_epochs(2, 0, Some(ErrorCode::UNKNOWN_LEADER_EPOCH)));
    assert!(!served_across_epochs(2, 0, Some(ErrorCode::NOT_LEADER_OR_FOLLOWER)));
    assert!(!served_across_epochs(-1, 2, Some(ErrorCode::NONE)), "-1 names no epoch");
    assert!(!served_across_epochs(2, 2, Some(ErrorCode::NONE)), "the same epoch");
    assert!(served_across_epochs(0, 2, Some(ErrorCode::NONE)));
    assert!(served_across_epochs(0, 2, None), "a held (long-polled) request is served");
    assert!(served_across_epochs(0, 2, Some(ErrorCode::OFFSET_OUT_OF_RANGE)));
}

#[test]
fn fetch_names_last_epoch() {
    // KAFKA-15510: after an empty answer the follower fetched offset 1 naming no epoch.
    let mut bad = good();
    bad.ghost.broken_request_rules.insert(BrokenRequestRule::FetchWithoutLastEpoch { follower: 2, fetch_offset: 1 });
    rejects("fetch-names-last-epoch", bad.clone());
    assert!(safety::epoch_fencing(&bad), "each rule has its own property");
    assert!(fetch_without_last_epoch(2, 1, -1));
    assert!(!fetch_without_last_epoch(2, 1, 0));
    assert!(!fetch_without_last_epoch(2, 0, -1), "an empty log has no last epoch");
    assert!(!fetch_without_last_epoch(-1, 5, -1), "consumers name none");
}

#[test]
fn consumer_prefix() {
    let mut gap = good();
    gap.consumers[0].delivered.remove(0);
    gap.ghost.committed.truncate(2);
    rejects("consumer-prefix", gap);
    let mut duplicate = good();
    let again = duplicate.consumers[0].delivered[0];
    duplicate.consumers[0].delivered.push(again);
    rejects("consumer-prefix", duplicate.clone());
    let mut follower_said = duplicate.clone();
    duplicate.consumers[0].resets.push(Reset { from: 2, to: 0, cause: ResetCause::Seek });
    assert!(safety::consumer_prefix(&duplicate), "an explicit reset explains the repeat");
    // KAFKA-14255: a follower's out-of-range is not definitive, so a reset it set off explains
    // nothing.
    follower_said.consumers[0].resets.push(Reset { from: 2, to: 0, cause: ResetCause::FollowerOutOfRange });
    rejects("consumer-prefix", follower_said);
}

#[test]
fn liveness_goals_reject_what_they_exist_for() {
    let mut behind = good();
    behind.consumers[0].delivered.pop();
    assert!(!liveness::committed_visible(&behind));
    behind.consumers[0].resets.push(Reset { from: 1, to: 2, cause: ResetCause::Seek });
    assert!(liveness::committed_visible(&behind), "records before a seek's target are not owed");

    // The leader's HW stuck at 0 while the whole ISR holds both records (KAFKA-13091): the
    // ghost counts nothing committed, but Kafka's acks=all does, and the consumer is owed them.
    let mut stuck = good();
    stuck.brokers.iter_mut().for_each(|b| b.high_watermark = 0);
    stuck.ghost.committed.clear();
    stuck.consumers[0].delivered.clear();
    assert!(!liveness::committed_visible(&stuck), "replicated to the whole ISR, never visible");
    let mut diverged = stuck.clone();
    diverged.brokers[2].log[1] = rec(0, 99);
    diverged.consumers[0].delivered = good().consumers[0].delivered[..1].to_vec();
    assert!(liveness::committed_visible(&diverged), "only the prefix the ISR holds alike is owed");
    let mut offline = stuck.clone();
    offline.brokers[0].alive = false;
    assert!(liveness::committed_visible(&offline), "no live leader: nothing is owed beyond the ghost's");

    // A live follower outside the ISR: under-replicated; a crashed one is not owed a place.
    let mut out_of_isr = good();
    out_of_isr.controller.isr = vec![1, 2];
    assert!(!liveness::every_live_replica_in_isr(&out_of_isr), "broker 3 is live and out of the ISR");
    out_of_isr.brokers[2].alive = false;
    assert!(liveness::every_live_replica_in_isr(&out_of_isr), "broker 3 is down");

    let mut pinned = good();
    pinned.controller.isr = vec![1, 3];
    assert!(!liveness::no_consumer_on_bad_replica(&pinned), "2 left the ISR");
    let mut cut = good();
    cut.cut_racks = vec!["b".into()];
    assert!(!liveness::no_consumer_on_bad_replica(&cut));
    assert!(!liveness::faults_over(&cut));
}

#[test]
fn every_property_has_a_unique_name_a_statement_and_the_right_shape() {
    let mut names: Vec<_> = ALL.iter().map(|p| p.name).collect();
    names.sort_unstable();
    names.dedup();
    assert_eq!(names.len(), ALL.len());
    assert_eq!(ALL.iter().filter(|p| p.kind == Kind::Safety).count(), 17);
    let kip_only: Vec<&str> = ALL.iter().filter(|p| p.under.is_some()).map(|p| p.name).collect();
    assert_eq!(kip_only, ["epoch-query-capped"], "only KIP-392's text promises this");
    assert_eq!(ALL.iter().filter(|p| p.kind == Kind::Coverage).count(), 6);
    for p in ALL {
        assert!(!p.statement.is_empty());
        assert_eq!(p.precondition.is_some(), p.kind == Kind::Liveness, "{}", p.name);
    }
    let mut reached = good();
    assert!(!(by_name("follower-truncated").unwrap().check)(&reached));
    reached.ghost.happened.insert(Happened::FollowerTruncated);
    assert!((by_name("follower-truncated").unwrap().check)(&reached));
}
