//! The follower's rules and the consumer read path on any replica, driving single brokers by hand.

use crate::common::*;
use highwater_protocol::*;

fn answer(epoch: LeaderEpoch, fetch_offset: Offset, hw: Offset, recs: Vec<OffsetRecord>) -> Message {
    Message::FetchResponse(FetchResponse {
        error_code: ErrorCode::NONE,
        high_watermark: hw,
        log_start_offset: 0,
        records: recs,
        diverging_epoch: None,
        preferred_read_replica: NO_PREFERRED_REPLICA,
        current_leader: LeaderIdAndEpoch { leader_id: 1, leader_epoch: epoch },
        fetch_offset,
        request_leader_epoch: epoch,
    })
}

fn diverging(epoch: LeaderEpoch, fetch_offset: Offset, hw: Offset, at: EpochEndOffset) -> Message {
    let Message::FetchResponse(mut r) = answer(epoch, fetch_offset, hw, Vec::new()) else { unreachable!() };
    r.diverging_epoch = Some(at);
    Message::FetchResponse(r)
}

#[test]
fn becoming_follower_fetches_with_the_last_fetched_epoch() {
    let mut follower = Broker::recover(broker_config(2), DurableState::default());
    let out = follower.handle(0, from_controller(notice(1, 4, 0, &[1, 2])));
    let (to, request) = &fetches(&out)[0];
    assert_eq!(*to, NodeId::Broker(1));
    assert_eq!((request.replica_id, request.current_leader_epoch, request.fetch_offset), (2, 4, 0));
    assert_eq!(request.last_fetched_epoch, NO_EPOCH, "empty log");
    let follower = follower_with(broker_config(2), 4, &[(1, 10), (3, 11)], 0);
    assert!(follower.follower_state().unwrap().fetch_in_flight);
}

#[test]
fn follower_appends_and_fetches_again_at_once() {
    let mut follower = follower_with(broker_config(2), 0, &[], 0);
    let out = follower.handle(0, from_broker(1, answer(0, 0, 1, records(0, 0, &[7, 8]))));
    assert_eq!(follower.log().records(), &[Record { epoch: 0, value: 7 }, Record { epoch: 0, value: 8 }]);
    assert_eq!(follower.high_watermark(), 1);
    let (_, next) = &fetches(&out)[0];
    assert_eq!((next.fetch_offset, next.last_fetched_epoch), (2, 0));
}

#[test]
fn an_answer_without_records_still_carries_news_so_the_follower_fetches_again_at_once() {
    // The leader long-polls: it answers a fetch only with records or a HW this follower has not
    // been sent, so there is no backoff after an empty answer.
    let mut follower = follower_with(broker_config(2), 0, &[(0, 1)], 0);
    let out = follower.handle(0, from_broker(1, answer(0, 1, 1, Vec::new())));
    assert_eq!(follower.high_watermark(), 1);
    assert_eq!(fetches(&out).len(), 1);
}

#[test]
fn follower_hw_is_min_of_leader_hw_and_own_leo_and_may_go_down() {
    let mut follower = follower_with(broker_config(2), 0, &[(0, 1), (0, 2), (0, 3)], 3);
    assert_eq!(follower.high_watermark(), 3);
    follower.handle(0, from_broker(1, answer(0, 3, 9, Vec::new())));
    assert_eq!(follower.high_watermark(), 3, "capped at its own LEO");
    follower.handle(500, Input::Timer(TimerKind::ReplicaFetch));
    follower.handle(500, from_broker(1, answer(0, 3, 1, Vec::new())));
    assert_eq!(follower.high_watermark(), 1, "follower HW is not monotonic (UnifiedLog.maybeUpdateHighWatermark)");
}

#[test]
fn stale_responses_are_ignored() {
    let mut follower = follower_with(broker_config(2), 2, &[(0, 1)], 0);
    let from_old_epoch = follower.handle(0, from_broker(1, answer(1, 1, 1, records(1, 1, &[5]))));
    assert_eq!(ignored(&from_old_epoch), vec![IgnoreReason::StaleResponse]);
    let other_offset = follower.handle(0, from_broker(1, answer(2, 0, 1, records(0, 2, &[5]))));
    assert_eq!(ignored(&other_offset), vec![IgnoreReason::StaleResponse]);
    let not_leader = follower.handle(0, from_broker(3, answer(2, 1, 1, records(1, 2, &[5]))));
    assert_eq!(ignored(&not_leader), vec![IgnoreReason::StaleResponse]);
    assert_eq!(follower.log_end_offset(), 1);
}

#[test]
fn diverging_epoch_truncates_before_anything_else() {
    // Follower [e0, e1, e1], leader says epoch 0 ends at 1: truncate to 1, HW untouched above it.
    let mut follower = follower_with(broker_config(2), 2, &[(0, 1), (1, 2), (1, 3)], 1);
    let out = follower.handle(0, from_broker(1, diverging(2, 3, 5, EpochEndOffset { epoch: 0, end_offset: 1 })));
    assert_eq!(follower.log_end_offset(), 1);
    assert_eq!(follower.high_watermark(), 1, "the leader's HW of 5 is not applied with a diverging epoch");
    assert_eq!(follower.log().epochs().entries(), &[(0, 0)]);
    let (_, next) = &fetches(&out)[0];
    assert_eq!((next.fetch_offset, next.last_fetched_epoch), (1, 0));
}

#[test]
fn truncation_takes_several_rounds_when_the_follower_lacks_the_leaders_epoch() {
    // KIP-279: follower [e0, e2, e2]; leader answers epoch 1 (which the follower never had), end 2.
    // Round one truncates to the end of the follower's epoch 0 (offset 1); the next fetch carries
    // last_fetched_epoch 0 and the leader decides again.
    let mut follower = follower_with(broker_config(2), 3, &[(0, 1), (2, 2), (2, 3)], 0);
    let out = follower.handle(0, from_broker(1, diverging(3, 3, 0, EpochEndOffset { epoch: 1, end_offset: 2 })));
    assert_eq!(follower.log_end_offset(), 1);
    assert_eq!(fetches(&out)[0].1.last_fetched_epoch, 0);
    // Same epoch on both sides: truncate to min(leader end, own end).
    let mut follower = follower_with(broker_config(2), 3, &[(0, 1), (1, 2), (1, 3)], 0);
    follower.handle(0, from_broker(1, diverging(3, 3, 0, EpochEndOffset { epoch: 1, end_offset: 2 })));
    assert_eq!(follower.log_end_offset(), 2);
}

/// Kafka 4.4.0 `AbstractFetcherThread.fetchOffsetAndTruncate`: on OFFSET_OUT_OF_RANGE a
/// follower asks the leader's log end offset (ListOffsets LATEST, as a replica) and truncates to
/// it only if it is below its own; otherwise it fetches on from its own end.
#[test]
fn out_of_range_asks_the_leader_s_log_end_offset_and_truncates_only_below_it() {
    let out_of_range = || {
        let Message::FetchResponse(mut r) = answer(0, 3, 2, Vec::new()) else { unreachable!() };
        r.error_code = ErrorCode::OFFSET_OUT_OF_RANGE;
        from_broker(1, Message::FetchResponse(r))
    };
    let leader_end = |offset| {
        let response = ListOffsetsResponse { error_code: ErrorCode::NONE, offset, leader_epoch: 0, timestamp: -1 };
        from_broker(1, Message::ListOffsetsResponse(response))
    };
    for (leader_leo, expected) in [(2, 2), (5, 3)] {
        let mut follower = follower_with(broker_config(2), 0, &[(0, 1), (0, 2), (0, 3)], 1);
        let out = follower.handle(0, out_of_range());
        let asked: Vec<_> = sent(&out).into_iter().filter(|(_, m)| matches!(m, Message::ListOffsets(_))).collect();
        let [(to, Message::ListOffsets(request))] = asked.as_slice() else { panic!("{out:?}") };
        assert_eq!((*to, request.replica_id, request.timestamp), (NodeId::Broker(1), 2, -1));
        assert_eq!(follower.log_end_offset(), 3, "nothing truncated before the answer");
        let out = follower.handle(0, leader_end(leader_leo));
        assert_eq!(follower.log_end_offset(), expected, "leader LEO {leader_leo}");
        assert_eq!(fetches(&out)[0].1.fetch_offset, expected);
    }
}

#[test]
fn fencing_errors_wait_for_the_controller() {
    let mut follower = follower_with(broker_config(2), 0, &[], 0);
    let Message::FetchResponse(mut r) = answer(0, 0, 0, Vec::new()) else { unreachable!() };
    r.error_code = ErrorCode::FENCED_LEADER_EPOCH;
    let out = follower.handle(0, from_broker(1, Message::FetchResponse(r)));
    assert!(fetches(&out).is_empty());
    // Kafka 4.4 `AbstractFetcherThread.handlePartitionsWithErrors`: `replica.fetch.backoff.ms`.
    assert!(out.contains(&Output::SetTimer { timer: TimerKind::ReplicaFetch, after_ms: 1_000 }));
}

#[test]
fn new_epoch_resets_the_fetch_state() {
    let mut follower = follower_with(broker_config(2), 0, &[(0, 1)], 0);
    let out = follower.handle(0, from_controller(notice(3, 1, 1, &[2, 3])));
    let (to, request) = &fetches(&out)[0];
    assert_eq!((*to, request.current_leader_epoch), (NodeId::Broker(3), 1));
    // A late answer from the old leader is stale now.
    let out = follower.handle(0, from_broker(1, answer(0, 1, 1, records(1, 0, &[2]))));
    assert_eq!(ignored(&out), vec![IgnoreReason::StaleResponse]);
    let out = follower.handle(0, from_controller(notice(-1, 2, 2, &[2])));
    assert!(fetches(&out).is_empty(), "no leader: nothing to fetch from");
    assert_eq!(follower.follower_state().unwrap().leader, None);
}

#[test]
fn request_timeout_sends_the_fetch_again() {
    let mut follower = follower_with(broker_config(2), 0, &[], 0);
    let out = follower.handle(30_000, Input::Timer(TimerKind::ReplicaFetch));
    assert_eq!(fetches(&out).len(), 1);
    let mut leader = leader_with(&[], 0, &[1], 0);
    assert_eq!(ignored(&leader.handle(0, Input::Timer(TimerKind::ReplicaFetch))), vec![IgnoreReason::IdleTimer]);
}

// --- consumer reads, on any replica ---

fn consumer_read(broker: &mut Broker, epoch: LeaderEpoch, offset: Offset) -> FetchResponse {
    fetch_response(&broker.handle(0, from_consumer(0, consumer_fetch("", epoch, offset))))
}

/// A read with nothing to return waits at the replica (`DelayedFetch`) and is answered empty
/// when `fetch.max.wait.ms` is up.
fn consumer_read_after_wait(broker: &mut Broker, epoch: LeaderEpoch, offset: Offset) -> FetchResponse {
    let parked = broker.handle(0, from_consumer(0, consumer_fetch("", epoch, offset)));
    assert!(fetch_responses(&parked).is_empty(), "the fetch waits: {parked:?}");
    assert!(parked.contains(&Output::SetTimer { timer: TimerKind::FetchWait, after_ms: 500 }), "{parked:?}");
    fetch_response(&broker.handle(500, Input::Timer(TimerKind::FetchWait)))
}

#[test]
fn reads_stop_at_the_local_hw_on_leader_and_follower() {
    let mut follower = follower_with(broker_config(2), 0, &[(0, 1), (0, 2), (0, 3)], 1);
    let read = consumer_read(&mut follower, 0, 0);
    assert_eq!(read.records, records(0, 0, &[1]));
    let mut leader = broker_in(broker_config(1), 1, 0, &[1, 2]);
    leader.handle(0, produce(1));
    leader.handle(0, produce(2));
    leader.handle(0, from_broker(2, replica_fetch(2, 0, 1, 0)));
    assert_eq!(consumer_read(&mut leader, 0, 0).records, records(0, 0, &[1]));
}

#[test]
fn between_hw_and_leo_apache_reads_empty_and_kip_strict_is_not_available() {
    let mut apache = follower_with(broker_config(2), 0, &[(0, 1), (0, 2), (0, 3)], 1);
    let read = consumer_read_after_wait(&mut apache, 0, 1);
    assert_eq!((read.error_code, read.records.len()), (ErrorCode::NONE, 0));
    let mut strict_config = broker_config(2);
    strict_config.fetch_semantics = FetchSemantics::KipStrict;
    let mut strict = follower_with(strict_config, 0, &[(0, 1), (0, 2), (0, 3)], 1);
    assert_eq!(consumer_read(&mut strict, 0, 1).error_code, ErrorCode::OFFSET_NOT_AVAILABLE);
    assert_eq!(consumer_read_after_wait(&mut strict, 0, 3).error_code, ErrorCode::NONE, "at the LEO: caught up, empty");
}

#[test]
fn above_a_lagging_followers_leo_apache_is_out_of_range_and_kip_strict_is_not_available() {
    let mut strict_config = broker_config(2);
    strict_config.fetch_semantics = FetchSemantics::KipStrict;
    let mut strict = follower_with(strict_config, 0, &[(0, 1)], 1);
    // The leader told this follower HW 4: offsets 2..=4 exist but this replica lags (KIP case 2).
    strict.handle(0, from_broker(1, answer(0, 1, 4, Vec::new())));
    assert_eq!(consumer_read(&mut strict, 0, 3).error_code, ErrorCode::OFFSET_NOT_AVAILABLE);
    assert_eq!(consumer_read(&mut strict, 0, 9).error_code, ErrorCode::OFFSET_OUT_OF_RANGE, "case 4: too large");
    let mut apache = follower_with(broker_config(2), 0, &[(0, 1)], 1);
    apache.handle(0, from_broker(1, answer(0, 1, 4, Vec::new())));
    assert_eq!(consumer_read(&mut apache, 0, 3).error_code, ErrorCode::OFFSET_OUT_OF_RANGE);
}

#[test]
fn fetch_from_a_non_consumer_non_replica_sender_is_ignored() {
    let mut follower = follower_with(broker_config(2), 0, &[], 0);
    let out = follower.handle(0, Input::Message { from: NodeId::Producer, message: consumer_fetch("", 0, 0) });
    assert_eq!(ignored(&out), vec![IgnoreReason::UnknownSender]);
}
