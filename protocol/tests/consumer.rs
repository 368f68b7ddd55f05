//! The consumer fetcher's rules, driving a single consumer by hand.

use crate::common::*;
use highwater_protocol::*;

fn metadata(leader: BrokerId, epoch: LeaderEpoch, offline: &[BrokerId]) -> Input {
    from_controller(Message::MetadataResponse(MetadataResponse {
        leader_id: leader,
        leader_epoch: epoch,
        replicas: replicas(),
        isr_nodes: vec![1, 2, 3],
        offline_replicas: offline.to_vec(),
    }))
}

fn fetch_answer(
    from: BrokerId,
    request: &FetchRequest,
    error: ErrorCode,
    recs: Vec<OffsetRecord>,
    preferred: BrokerId,
) -> Input {
    from_broker(
        from,
        Message::FetchResponse(FetchResponse {
            error_code: error,
            high_watermark: 10,
            log_start_offset: 0,
            records: recs,
            diverging_epoch: None,
            preferred_read_replica: preferred,
            current_leader: LeaderIdAndEpoch { leader_id: 1, leader_epoch: request.current_leader_epoch },
            fetch_offset: request.fetch_offset,
            request_leader_epoch: request.current_leader_epoch,
        }),
    )
}

/// A consumer in rack b that knows leader 1 in epoch 0 and has one fetch out.
fn started(config: ConsumerConfig) -> (Consumer, NodeId, FetchRequest) {
    let mut consumer = Consumer::new(config);
    let out = consumer.handle(0, Input::Start);
    assert!(matches!(&sent(&out)[0], (NodeId::Controller, Message::Metadata(_))));
    let out = consumer.handle(0, metadata(1, 0, &[]));
    let (to, request) = fetches(&out).remove(0);
    (consumer, to, request)
}

fn rack_b() -> ConsumerConfig {
    ConsumerConfig::new(0, Some("b".into()))
}

/// Follow a redirect to broker 2 and return its next fetch.
fn redirected_to_2(consumer: &mut Consumer, request: &FetchRequest) -> (NodeId, FetchRequest) {
    let out = consumer.handle(0, fetch_answer(1, request, ErrorCode::NONE, Vec::new(), 2));
    fetches(&out).remove(0)
}

/// A consumer at offset 3 (records of epoch 0 from leader 1) that metadata moved to leader 2,
/// epoch 1, with its OffsetsForLeaderEpoch out; the outputs of sending it.
fn validating() -> (Consumer, Vec<Output>) {
    let (mut consumer, _, request) = started(rack_b());
    consumer.handle(0, fetch_answer(1, &request, ErrorCode::NONE, records(0, 0, &[4, 5, 6]), -1));
    consumer.handle(0, metadata(2, 1, &[1]));
    let out = consumer.handle(30_000, Input::Timer(TimerKind::ConsumerFetch));
    (consumer, out)
}

/// Broker 2's answer to that validation, made under leader epoch 1.
fn validation_answer(error_code: ErrorCode, leader_epoch: LeaderEpoch, end_offset: Offset) -> Input {
    let answer = OffsetsForLeaderEpochResponse {
        error_code,
        leader_epoch,
        end_offset,
        requested_epoch: 0,
        request_leader_epoch: 1,
    };
    from_broker(2, Message::OffsetsForLeaderEpochResponse(answer))
}

#[test]
fn first_fetch_goes_to_the_leader_with_rack_and_epoch() {
    let (_, to, request) = started(rack_b());
    assert_eq!(to, NodeId::Broker(1));
    assert_eq!((request.replica_id, request.rack_id.as_str()), (CONSUMER_REPLICA_ID, "b"));
    assert_eq!((request.current_leader_epoch, request.fetch_offset), (0, 0));
}

#[test]
fn records_are_delivered_in_order_and_move_the_position() {
    let (mut consumer, _, request) = started(rack_b());
    let out = consumer.handle(0, fetch_answer(1, &request, ErrorCode::NONE, records(0, 0, &[4, 5]), -1));
    assert!(out.contains(&Output::DeliverRecords(records(0, 0, &[4, 5]))));
    assert_eq!(consumer.position(), FetchPosition { offset: 2, offset_epoch: 0 });
    assert_eq!(fetches(&out)[0].1.fetch_offset, 2, "fetches on at once");
    let stale = consumer.handle(0, fetch_answer(1, &request, ErrorCode::NONE, records(0, 0, &[4, 5]), -1));
    assert_eq!(ignored(&stale), vec![IgnoreReason::StaleResponse]);
    assert_eq!(consumer.delivered().len(), 2, "no duplicates from a stale answer");
}

#[test]
fn follows_the_preferred_replica_for_the_lease() {
    let (mut consumer, _, request) = started(rack_b());
    let (to, next) = redirected_to_2(&mut consumer, &request);
    assert_eq!(to, NodeId::Broker(2));
    let lease = consumer.preferred_read_replica().unwrap();
    assert_eq!((lease.broker_id, lease.expires_ms), (2, 300_000));
    // The replica already waited fetch.max.wait.ms (long poll): the consumer asks again at once,
    // of the same replica while the lease holds.
    let out = consumer.handle(1_000, fetch_answer(2, &next, ErrorCode::NONE, Vec::new(), -1));
    assert_eq!(fetches(&out)[0].0, NodeId::Broker(2));
}

#[test]
fn lease_expiry_returns_to_the_leader() {
    let (mut consumer, _, request) = started(rack_b());
    let (_, next) = redirected_to_2(&mut consumer, &request);
    consumer.handle(1_000, fetch_answer(2, &next, ErrorCode::NONE, Vec::new(), -1));
    let out = consumer.handle(300_000, Input::Timer(TimerKind::ConsumerFetch));
    assert_eq!(fetches(&out)[0].0, NodeId::Broker(1));
    assert_eq!(consumer.preferred_read_replica(), None);
}

/// `NetworkClient.handleTimedOutRequests`: a fetch that times out closes its connection before
/// the next request goes out, so the replica forgets the fetch it holds and never answers it
/// after the consumer has moved on (an answer it would drop as stale, keeping a preferred read
/// replica that refused it).
#[test]
fn a_timed_out_fetch_closes_its_connection_before_the_next_request() {
    let (mut consumer, _, request) = started(rack_b());
    let (to, _) = redirected_to_2(&mut consumer, &request);
    assert_eq!(to, NodeId::Broker(2));
    let out = consumer.handle(30_000, Input::Timer(TimerKind::ConsumerFetch));
    let closed = out.iter().position(|o| *o == Output::Disconnect(NodeId::Broker(2)));
    let next = out.iter().position(|o| matches!(o, Output::Send { message: Message::Fetch(_), .. }));
    assert!(closed.is_some_and(|c| next.is_some_and(|n| c < n)), "{out:?}");
    assert_eq!(fetches(&out)[0].0, NodeId::Broker(1));
    assert_eq!(consumer.preferred_read_replica(), None);
}

/// A backoff that ends closes nothing: no request was outstanding.
#[test]
fn the_end_of_a_backoff_closes_no_connection() {
    let (mut consumer, _, request) = started(rack_b());
    let (_, next) = redirected_to_2(&mut consumer, &request);
    consumer.handle(1_000, fetch_answer(2, &next, ErrorCode::NOT_LEADER_OR_FOLLOWER, Vec::new(), -1));
    let out = consumer.handle(1_100, Input::Timer(TimerKind::ConsumerFetch));
    assert!(!out.iter().any(|o| matches!(o, Output::Disconnect(_))), "{out:?}");
}

#[test]
fn replica_offline_in_metadata_returns_to_the_leader() {
    let (mut consumer, _, request) = started(rack_b());
    let (_, next) = redirected_to_2(&mut consumer, &request);
    consumer.handle(1_000, fetch_answer(2, &next, ErrorCode::NONE, Vec::new(), -1));
    consumer.handle(1_100, metadata(1, 0, &[2]));
    assert_eq!(consumer.preferred_read_replica(), None);
    let out = consumer.handle(1_500, Input::Timer(TimerKind::ConsumerFetch));
    assert_eq!(fetches(&out)[0].0, NodeId::Broker(1));
}

/// Kafka 4.4 `SubscriptionState.maybeValidatePosition`: metadata naming another leader epoch
/// (or leader) drops the preferred read replica, lease or not, so the next fetch goes to the
/// leader at once.
#[test]
fn a_leader_change_in_metadata_drops_the_preferred_replica_at_once() {
    let (mut consumer, _, request) = started(rack_b());
    let (_, next) = redirected_to_2(&mut consumer, &request);
    consumer.handle(1_000, fetch_answer(2, &next, ErrorCode::NONE, Vec::new(), -1));
    consumer.handle(1_100, metadata(1, 0, &[]));
    assert_eq!(consumer.preferred_read_replica().map(|p| p.broker_id), Some(2), "the same leader and epoch");
    consumer.handle(1_200, metadata(1, 1, &[]));
    assert_eq!(consumer.preferred_read_replica(), None, "a new leader epoch, with the lease still running");
    let out = consumer.handle(1_500, Input::Timer(TimerKind::ConsumerFetch));
    assert_eq!(fetches(&out)[0].0, NodeId::Broker(1));
}

#[test]
fn out_of_range_from_a_follower_returns_to_the_leader_without_reset() {
    let (mut consumer, _, request) = started(rack_b());
    let (_, next) = redirected_to_2(&mut consumer, &request);
    let out = consumer.handle(0, fetch_answer(2, &next, ErrorCode::OFFSET_OUT_OF_RANGE, Vec::new(), -1));
    assert_eq!(fetches(&out)[0].0, NodeId::Broker(1));
    assert_eq!((consumer.position().offset, consumer.resets().len()), (0, 0));
    assert_eq!(consumer.phase(), ConsumerPhase::Fetching);
}

#[test]
fn out_of_range_from_the_leader_applies_the_reset_policy() {
    let (mut consumer, _, request) = started(rack_b());
    let out = consumer.handle(0, fetch_answer(1, &request, ErrorCode::OFFSET_OUT_OF_RANGE, Vec::new(), -1));
    assert_eq!(consumer.phase(), ConsumerPhase::Resetting(consumer::ResetTarget::Earliest));
    let Some((NodeId::Broker(1), Message::ListOffsets(list))) = sent(&out).into_iter().next() else {
        panic!("{out:?}")
    };
    assert_eq!(list.timestamp, EARLIEST_TIMESTAMP);
    let answer =
        ListOffsetsResponse { error_code: ErrorCode::NONE, offset: 0, leader_epoch: 0, timestamp: EARLIEST_TIMESTAMP };
    consumer.handle(0, from_broker(1, Message::ListOffsetsResponse(answer)));
    assert_eq!(consumer.resets(), &[PositionReset { from: 0, to: 0, cause: ResetCause::OutOfRange }]);
    assert_eq!(consumer.phase(), ConsumerPhase::Fetching);

    let mut none = rack_b();
    none.reset_policy = ResetPolicy::None;
    let (mut consumer, _, request) = started(none);
    consumer.handle(0, fetch_answer(1, &request, ErrorCode::OFFSET_OUT_OF_RANGE, Vec::new(), -1));
    assert_eq!(consumer.phase(), ConsumerPhase::Failed, "auto.offset.reset=none stops instead of resetting");
}

#[test]
fn metadata_refreshing_errors_release_the_preferred_replica() {
    for error in [
        ErrorCode::NOT_LEADER_OR_FOLLOWER,
        ErrorCode::FENCED_LEADER_EPOCH,
        ErrorCode::OFFSET_NOT_AVAILABLE,
        ErrorCode::REPLICA_NOT_AVAILABLE,
    ] {
        let (mut consumer, _, request) = started(rack_b());
        let (_, next) = redirected_to_2(&mut consumer, &request);
        let out = consumer.handle(0, fetch_answer(2, &next, error, Vec::new(), -1));
        assert_eq!(consumer.preferred_read_replica(), None, "{error}");
        assert!(sent(&out).iter().any(|(to, m)| *to == NodeId::Controller && matches!(m, Message::Metadata(_))));
        let out = consumer.handle(100, Input::Timer(TimerKind::ConsumerFetch));
        assert_eq!(fetches(&out)[0].0, NodeId::Broker(1), "{error}");
    }
}

#[test]
fn unknown_leader_epoch_is_retried_without_releasing_the_replica() {
    let (mut consumer, _, request) = started(rack_b());
    let (_, next) = redirected_to_2(&mut consumer, &request);
    let out = consumer.handle(0, fetch_answer(2, &next, ErrorCode::UNKNOWN_LEADER_EPOCH, Vec::new(), -1));
    assert!(sent(&out).is_empty(), "no metadata refresh");
    let out = consumer.handle(100, Input::Timer(TimerKind::ConsumerFetch));
    assert_eq!(fetches(&out)[0].0, NodeId::Broker(2));
}

#[test]
fn request_timeout_on_the_preferred_replica_returns_to_the_leader() {
    let (mut consumer, _, request) = started(rack_b());
    redirected_to_2(&mut consumer, &request);
    let out = consumer.handle(30_000, Input::Timer(TimerKind::ConsumerFetch));
    assert_eq!(fetches(&out)[0].0, NodeId::Broker(1));
}

#[test]
fn leader_change_validates_the_position_through_the_leader() {
    let (mut consumer, _, request) = started(rack_b());
    consumer.handle(0, fetch_answer(1, &request, ErrorCode::NONE, records(0, 0, &[4, 5, 6]), -1));
    // The in-flight fetch is answered by a fencing error; the new metadata names leader 2, epoch 1.
    let out = consumer.handle(0, metadata(2, 1, &[1]));
    assert_eq!(consumer.phase(), ConsumerPhase::Validating);
    assert!(fetches(&out).is_empty(), "a fetch is still outstanding");
    let out = consumer.handle(30_000, Input::Timer(TimerKind::ConsumerFetch));
    let Some((NodeId::Broker(2), Message::OffsetsForLeaderEpoch(query))) =
        sent(&out).into_iter().find(|(_, m)| matches!(m, Message::OffsetsForLeaderEpoch(_)))
    else {
        panic!("{out:?}")
    };
    assert_eq!((query.replica_id, query.current_leader_epoch, query.leader_epoch), (CONSUMER_REPLICA_ID, 1, 0));
    let out = consumer.handle(30_000, validation_answer(ErrorCode::NONE, 0, 3));
    assert_eq!(consumer.phase(), ConsumerPhase::Fetching);
    assert!(consumer.resets().is_empty());
    assert_eq!(fetches(&out)[0].1.current_leader_epoch, 1);
}

#[test]
fn validation_below_the_position_is_a_truncation_and_resets_there() {
    let (mut consumer, out) = validating();
    assert!(sent(&out).iter().any(|(_, m)| matches!(m, Message::OffsetsForLeaderEpoch(_))));
    consumer.handle(30_000, validation_answer(ErrorCode::NONE, 0, 1));
    assert_eq!(consumer.resets(), &[PositionReset { from: 3, to: 1, cause: ResetCause::LogTruncation }]);
    assert_eq!(consumer.position(), FetchPosition { offset: 1, offset_epoch: 0 });
}

/// Kafka 4.4.0 `SubscriptionState.maybeCompleteValidation` drops an answer for a position that
/// moved since the request, its leader included: an answer to a validation sent under leader
/// epoch 1 is not used once metadata names epoch 2; the consumer validates again.
#[test]
fn a_validation_answer_for_an_older_leader_is_dropped() {
    let (mut consumer, _) = validating();
    consumer.handle(30_000, metadata(3, 2, &[1, 2]));
    let out = consumer.handle(30_000, validation_answer(ErrorCode::NONE, 0, 1));
    assert!(consumer.resets().is_empty(), "the answer of leader epoch 1 is not used");
    assert_eq!(consumer.phase(), ConsumerPhase::Validating);
    let again = sent(&out).into_iter().find_map(|(to, m)| match m {
        Message::OffsetsForLeaderEpoch(q) => Some((to, q.current_leader_epoch)),
        _ => None,
    });
    assert_eq!(again, Some((NodeId::Broker(3), 2)));
}

/// `maybeCompleteValidation`: an undefined end offset means the leader has nothing as new as the
/// consumed epoch, a truncation the reset policy answers.
#[test]
fn an_undefined_validation_answer_resets_by_the_policy() {
    let (mut consumer, _) = validating();
    let out = consumer.handle(30_000, validation_answer(ErrorCode::NONE, -1, -1));
    assert_eq!(consumer.phase(), ConsumerPhase::Resetting(consumer::ResetTarget::Earliest));
    assert!(sent(&out).iter().any(|(_, m)| matches!(m, Message::ListOffsets(_))));
}

/// `OffsetsForLeaderEpochUtils.handleResponse`: every error but NONE is retried with a metadata
/// update, UNKNOWN_LEADER_EPOCH included.
#[test]
fn a_validation_error_refreshes_metadata_whatever_it_is() {
    let (mut consumer, _) = validating();
    let out = consumer.handle(30_000, validation_answer(ErrorCode::UNKNOWN_LEADER_EPOCH, -1, -1));
    assert!(sent(&out).iter().any(|(to, m)| *to == NodeId::Controller && matches!(m, Message::Metadata(_))));
}

#[test]
fn validation_not_available_retries_later() {
    let (mut consumer, _) = validating();
    consumer.handle(30_000, validation_answer(ErrorCode::OFFSET_NOT_AVAILABLE, -1, -1));
    assert_eq!(consumer.phase(), ConsumerPhase::Validating);
    let out = consumer.handle(30_100, Input::Timer(TimerKind::ConsumerFetch));
    assert!(sent(&out).iter().any(|(_, m)| matches!(m, Message::OffsetsForLeaderEpoch(_))));
}

#[test]
fn older_metadata_is_ignored() {
    let (mut consumer, _, _) = started(rack_b());
    consumer.handle(0, metadata(2, 3, &[]));
    let out = consumer.handle(0, metadata(1, 2, &[]));
    assert_eq!(ignored(&out), vec![IgnoreReason::StaleResponse]);
    assert_eq!(consumer.current_leader_epoch(), 3);
}

#[test]
fn seek_is_an_explicit_reset() {
    let (mut consumer, _, request) = started(rack_b());
    consumer.handle(0, fetch_answer(1, &request, ErrorCode::NONE, records(0, 0, &[4, 5]), -1));
    let out = consumer.handle(0, Input::Seek(SeekTo::Offset(0)));
    assert_eq!(consumer.resets(), &[PositionReset { from: 2, to: 0, cause: ResetCause::Seek }]);
    assert_eq!(fetches(&out)[0].1.fetch_offset, 0);
    let out = consumer.handle(0, Input::Seek(SeekTo::End));
    let Some((_, Message::ListOffsets(list))) = sent(&out).into_iter().next() else { panic!() };
    assert_eq!(list.timestamp, LATEST_TIMESTAMP);
    let answer =
        ListOffsetsResponse { error_code: ErrorCode::NONE, offset: 7, leader_epoch: 0, timestamp: LATEST_TIMESTAMP };
    consumer.handle(0, from_broker(1, Message::ListOffsetsResponse(answer)));
    assert_eq!(consumer.position().offset, 7);
    assert_eq!(consumer.list_offsets_latest_seen(), &[7]);
    assert_eq!(consumer.resets().last().unwrap().cause, ResetCause::Seek);
}

#[test]
fn metadata_arriving_during_a_backoff_does_not_cut_it_short() {
    // A retriable error asks for metadata; its answer must not trigger an immediate
    // retry, or ListOffsets/OFFSET_NOT_AVAILABLE/Metadata loops without time passing.
    let (mut consumer, _, request) = started(rack_b());
    consumer.handle(0, fetch_answer(1, &request, ErrorCode::NOT_LEADER_OR_FOLLOWER, Vec::new(), -1));
    let out = consumer.handle(10, metadata(1, 0, &[]));
    assert!(fetches(&out).is_empty(), "still backing off: {out:?}");
    let out = consumer.handle(100, Input::Timer(TimerKind::ConsumerFetch));
    assert_eq!(fetches(&out).len(), 1);
}

#[test]
fn extreme_offsets_from_brokers_do_not_overflow_the_position() {
    let (mut consumer, _, _) = started(rack_b());
    consumer.handle(0, Input::Seek(SeekTo::End));
    let answer = ListOffsetsResponse {
        error_code: ErrorCode::NONE,
        offset: i64::MAX,
        leader_epoch: 0,
        timestamp: LATEST_TIMESTAMP,
    };
    let out = consumer.handle(0, from_broker(1, Message::ListOffsetsResponse(answer)));
    let (_, request) = fetches(&out).remove(0);
    assert_eq!(request.fetch_offset, i64::MAX);
    let record = OffsetRecord { offset: i64::MAX, epoch: 0, value: 1 };
    consumer.handle(0, fetch_answer(1, &request, ErrorCode::NONE, vec![record], -1));
    assert_eq!(consumer.position().offset, i64::MAX);
    assert!(consumer.delivered().is_empty(), "no position follows it, so it is refused");
}

#[test]
fn a_stale_answer_still_completes_its_request() {
    // Metadata moves to a new epoch while a fetch is out, and the position (which has an epoch)
    // goes to validation: the fetch's answer no longer applies, but it is still the answer to
    // the one outstanding request. Dropping it without freeing the slot would leave the
    // consumer waiting for a timeout.
    let (mut consumer, _, request) = started(rack_b());
    let out = consumer.handle(0, fetch_answer(1, &request, ErrorCode::NONE, records(0, 0, &[4]), -1));
    let (_, second) = fetches(&out).remove(0);
    consumer.handle(0, metadata(1, 1, &[]));
    let out = consumer.handle(0, fetch_answer(1, &second, ErrorCode::NONE, records(1, 0, &[5]), -1));
    assert_eq!(ignored(&out), vec![IgnoreReason::StaleResponse]);
    assert_eq!(consumer.delivered().len(), 1, "its data answers a position now being validated");
    assert!(sent(&out).iter().any(|(_, m)| matches!(m, Message::OffsetsForLeaderEpoch(_))), "{out:?}");
}

/// Kafka 4.4.0 `FetchCollector` uses an answer while the partition is fetchable and the position
/// is the offset fetched, whatever leader epoch the request named: a reset position has no
/// epoch, so a new leader epoch in metadata does not make the answer stale.
#[test]
fn an_answer_for_a_position_without_an_epoch_is_used_after_the_epoch_moved() {
    let (mut consumer, _, request) = started(rack_b());
    consumer.handle(0, metadata(1, 1, &[]));
    consumer.handle(0, fetch_answer(1, &request, ErrorCode::NONE, records(0, 0, &[4]), -1));
    assert_eq!(consumer.delivered().len(), 1);
}

#[test]
fn metadata_without_a_leader_is_asked_again() {
    // Metadata naming no leader (an offline partition) must not leave the consumer backing off
    // forever without asking again.
    let mut consumer = Consumer::new(rack_b());
    consumer.handle(0, Input::Start);
    consumer.handle(0, metadata(-1, 3, &[1, 2, 3]));
    let out = consumer.handle(100, Input::Timer(TimerKind::ConsumerFetch));
    assert!(
        sent(&out).iter().any(|(to, m)| *to == NodeId::Controller && matches!(m, Message::Metadata(_))),
        "asks for metadata again: {out:?}"
    );
}

/// Kafka 4.4.0 `OffsetFetcherUtils.onFailedResponseForResettingPositions` asks for new metadata
/// and keeps the preferred read replica: a failed ListOffsets went to the leader, not to it. A
/// failed fetch from the preferred replica drops it.
#[test]
fn a_failed_list_offsets_keeps_the_preferred_replica_and_a_failed_fetch_drops_it() {
    let (mut consumer, _, request) = started(rack_b());
    redirected_to_2(&mut consumer, &request);
    let out = consumer.handle(0, Input::Seek(SeekTo::End));
    assert!(sent(&out).iter().any(|(to, m)| *to == NodeId::Broker(1) && matches!(m, Message::ListOffsets(_))));
    let out = consumer.handle(0, Input::Disconnected(NodeId::Broker(1)));
    assert_eq!(consumer.preferred_read_replica().map(|p| p.broker_id), Some(2));
    assert!(sent(&out).iter().any(|(to, m)| *to == NodeId::Controller && matches!(m, Message::Metadata(_))));

    let (mut consumer, _, request) = started(rack_b());
    redirected_to_2(&mut consumer, &request);
    consumer.handle(0, Input::Disconnected(NodeId::Broker(2)));
    assert_eq!(consumer.preferred_read_replica(), None);
}

/// KIP-951: a fetch refused for leadership names the leader the replica knows; Kafka 4.4.0's
/// `AbstractFetch.handleFetchSuccess` takes a newer one into its metadata at once, so the next
/// fetch goes there even before new metadata arrives.
#[test]
fn a_fetch_refusal_naming_a_newer_leader_moves_the_consumer_there() {
    let (mut consumer, _, request) = started(ConsumerConfig::new(0, None));
    let refused = FetchResponse {
        error_code: ErrorCode::NOT_LEADER_OR_FOLLOWER,
        high_watermark: 0,
        log_start_offset: 0,
        records: Vec::new(),
        diverging_epoch: None,
        preferred_read_replica: -1,
        current_leader: LeaderIdAndEpoch { leader_id: 3, leader_epoch: 2 },
        fetch_offset: request.fetch_offset,
        request_leader_epoch: request.current_leader_epoch,
    };
    consumer.handle(0, from_broker(1, Message::FetchResponse(refused)));
    assert_eq!(consumer.current_leader_epoch(), 2);
    let out = consumer.handle(100, Input::Timer(TimerKind::ConsumerFetch));
    assert_eq!(fetches(&out).first().map(|(to, f)| (*to, f.current_leader_epoch)), Some((NodeId::Broker(3), 2)));
}
