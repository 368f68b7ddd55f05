//! The leader's rules, one test per rule or error path, driving a single broker by hand.

use crate::common::*;
use highwater_protocol::*;

// --- fencing: one decision site, every request kind ---

#[test]
fn older_request_epoch_is_fenced_and_newer_is_unknown() {
    // Source: Partition.checkCurrentLeaderEpoch (KIP-320).
    let mut leader = leader_with(&[], 3, &[1, 2, 3], 0);
    let older = fetch_response(&leader.handle(0, from_broker(2, replica_fetch(2, 2, 0, NO_EPOCH))));
    assert_eq!(older.error_code, ErrorCode::FENCED_LEADER_EPOCH);
    let newer = fetch_response(&leader.handle(0, from_broker(2, replica_fetch(2, 4, 0, NO_EPOCH))));
    assert_eq!(newer.error_code, ErrorCode::UNKNOWN_LEADER_EPOCH);
    assert_eq!(newer.current_leader, LeaderIdAndEpoch { leader_id: 1, leader_epoch: 3 });
    let consumer = fetch_response(&leader.handle(0, from_consumer(0, consumer_fetch("", 2, 0))));
    assert_eq!(consumer.error_code, ErrorCode::FENCED_LEADER_EPOCH);
}

#[test]
fn epoch_minus_one_skips_the_check() {
    let mut leader = leader_with(&[7], 3, &[1], 0);
    let response = fetch_response(&leader.handle(0, from_consumer(0, consumer_fetch("", NO_EPOCH, 0))));
    assert_eq!((response.error_code, response.records.len()), (ErrorCode::NONE, 1));
}

#[test]
fn follower_refuses_replication_fetches_and_leader_only_requests() {
    let mut follower = broker_in(broker_config(2), 1, 0, &[1, 2, 3]);
    let fetch = fetch_response(&follower.handle(0, from_broker(3, replica_fetch(3, 0, 0, NO_EPOCH))));
    assert_eq!(fetch.error_code, ErrorCode::NOT_LEADER_OR_FOLLOWER);
    let list =
        ListOffsetsRequest { replica_id: CONSUMER_REPLICA_ID, current_leader_epoch: 0, timestamp: LATEST_TIMESTAMP };
    let out = follower.handle(0, from_consumer(0, Message::ListOffsets(list)));
    let Message::ListOffsetsResponse(r) = &sent(&out)[0].1 else { panic!() };
    assert_eq!(r.error_code, ErrorCode::NOT_LEADER_OR_FOLLOWER);
    let epoch_query =
        OffsetsForLeaderEpochRequest { replica_id: CONSUMER_REPLICA_ID, current_leader_epoch: 0, leader_epoch: 0 };
    let out = follower.handle(0, from_consumer(0, Message::OffsetsForLeaderEpoch(epoch_query)));
    let Message::OffsetsForLeaderEpochResponse(r) = &sent(&out)[0].1 else { panic!() };
    assert_eq!(r.error_code, ErrorCode::NOT_LEADER_OR_FOLLOWER);
}

#[test]
fn broker_without_a_notice_is_not_leader_or_follower() {
    let mut broker = Broker::new(broker_config(1));
    let response = fetch_response(&broker.handle(0, from_consumer(0, consumer_fetch("", NO_EPOCH, 0))));
    assert_eq!(response.error_code, ErrorCode::NOT_LEADER_OR_FOLLOWER);
    let out = broker.handle(0, produce(1));
    let Message::ProduceResponse(r) = &sent(&out)[0].1 else { panic!() };
    assert_eq!(r.error_code, ErrorCode::NOT_LEADER_OR_FOLLOWER);
}

// --- replication fetches ---

#[test]
fn fetch_from_unknown_replica_is_ignored() {
    let mut leader = leader_with(&[], 0, &[1, 2, 3], 0);
    let out = leader.handle(0, from_broker(9, replica_fetch(9, 0, 0, NO_EPOCH)));
    assert_eq!(ignored(&out), vec![IgnoreReason::UnknownSender]);
    let out = leader.handle(0, from_consumer(0, replica_fetch(2, 0, 0, NO_EPOCH)));
    assert_eq!(ignored(&out), vec![IgnoreReason::UnknownSender], "a consumer posing as replica 2");
}

#[test]
fn diverging_epoch_names_the_leaders_end_of_that_epoch() {
    // Leader log: [e0, e0, e2]; a follower that last fetched epoch 1 at offset 3 diverges at 2.
    let mut leader = broker_in(broker_config(1), 1, 0, &[1]);
    leader.handle(0, produce(10));
    leader.handle(0, produce(11));
    leader.handle(0, from_controller(notice(1, 2, 1, &[1])));
    leader.handle(0, produce(12));
    let response = fetch_response(&leader.handle(0, from_broker(2, replica_fetch(2, 2, 3, 1))));
    assert_eq!(response.error_code, ErrorCode::NONE);
    assert_eq!(response.diverging_epoch, Some(EpochEndOffset { epoch: 0, end_offset: 2 }));
    assert!(response.records.is_empty(), "no records with a diverging epoch");
    let state = leader.leader_state().unwrap();
    assert_eq!(state.followers[&2].log_end_offset, None, "a diverging fetch does not count (KAFKA-13141)");
}

#[test]
fn fetch_beyond_the_leaders_log_is_out_of_range() {
    let mut leader = leader_with(&[1], 0, &[1], 0);
    let response = fetch_response(&leader.handle(0, from_broker(2, replica_fetch(2, 0, 5, NO_EPOCH))));
    assert_eq!(response.error_code, ErrorCode::OFFSET_OUT_OF_RANGE);
    // A last fetched epoch the leader has never seen is out of range too.
    let response = fetch_response(&leader.handle(0, from_broker(2, replica_fetch(2, 0, 1, 7))));
    assert_eq!(response.error_code, ErrorCode::OFFSET_OUT_OF_RANGE);
}

#[test]
fn fetch_returns_records_and_the_hw() {
    let mut leader = leader_with(&[5, 6], 0, &[1, 2], 0);
    let response = fetch_response(&leader.handle(0, from_broker(3, replica_fetch(3, 0, 0, NO_EPOCH))));
    assert_eq!(response.records, records(0, 0, &[5, 6]));
    assert_eq!(response.high_watermark, 2);
    assert_eq!((response.fetch_offset, response.request_leader_epoch), (0, 0), "echoes the request");
}

// --- high watermark ---

#[test]
fn hw_is_the_smallest_leo_in_the_isr_and_waits_for_every_member() {
    let mut leader = broker_in(broker_config(1), 1, 0, &[1, 2, 3]);
    leader.handle(0, produce(1));
    leader.handle(0, produce(2));
    assert_eq!(leader.high_watermark(), 0);
    leader.handle(0, from_broker(2, replica_fetch(2, 0, 2, 0)));
    assert_eq!(leader.high_watermark(), 0, "broker 3 has not fetched in this epoch");
    leader.handle(0, from_broker(3, replica_fetch(3, 0, 1, 0)));
    assert_eq!(leader.high_watermark(), 1);
    leader.handle(0, from_broker(3, replica_fetch(3, 0, 2, 0)));
    assert_eq!(leader.high_watermark(), 2);
}

#[test]
fn hw_never_goes_backwards_on_the_leader() {
    let mut leader = leader_with(&[1, 2], 0, &[1, 2], 0);
    assert_eq!(leader.high_watermark(), 2);
    // A follower fetching from an earlier offset (after truncating, say) does not pull the HW back.
    leader.handle(0, from_broker(2, replica_fetch(2, 0, 1, 0)));
    assert_eq!(leader.high_watermark(), 2);
}

#[test]
fn hw_counts_members_a_pending_expansion_adds() {
    // Maximal ISR (KIP-497): while the AlterPartition adding 3 is pending, 3's LEO bounds the HW.
    let mut leader = leader_with(&[1], 0, &[1, 2], 0);
    let out = leader.handle(0, from_broker(3, replica_fetch(3, 0, 1, 0)));
    assert_eq!(alter_partitions(&out)[0].new_isr, vec![1, 2, 3]);
    assert_eq!(leader.maximal_isr(), vec![1, 2, 3]);
    leader.handle(0, produce(2));
    leader.handle(0, from_broker(2, replica_fetch(2, 0, 2, 0)));
    assert_eq!(leader.high_watermark(), 1, "3 is at 1");
    leader.handle(0, from_broker(3, replica_fetch(3, 0, 2, 0)));
    assert_eq!(leader.high_watermark(), 2);
}

#[test]
fn produce_is_answered_when_the_hw_passes_it() {
    let mut leader = broker_in(broker_config(1), 1, 0, &[1, 2]);
    assert!(sent(&leader.handle(0, produce(9))).is_empty(), "acks=all waits for the ISR");
    let out = leader.handle(0, from_broker(2, replica_fetch(2, 0, 1, 0)));
    let acks: Vec<_> = sent(&out)
        .into_iter()
        .filter_map(|(to, m)| match m {
            Message::ProduceResponse(r) => Some((to, r)),
            _ => None,
        })
        .collect();
    assert_eq!(acks.len(), 1);
    assert_eq!((acks[0].0, acks[0].1.error_code, acks[0].1.base_offset), (NodeId::Producer, ErrorCode::NONE, 0));
}

#[test]
fn produce_below_min_insync_is_refused() {
    let mut config = broker_config(1);
    config.min_insync_replicas = 2;
    let mut leader = broker_in(config, 1, 0, &[1]);
    let out = leader.handle(0, produce(1));
    let Message::ProduceResponse(r) = &sent(&out)[0].1 else { panic!() };
    assert_eq!(r.error_code, ErrorCode::NOT_ENOUGH_REPLICAS);
    assert_eq!(leader.log_end_offset(), 0);
}

/// Kafka 4.4.0 `Partition.maybeIncrementLeaderHW` returns while `isUnderMinIsr`: the committed
/// ISR is below `min(min.insync.replicas, replicas)`, so records appended before the shrink are
/// not committed until the ISR grows back, even with every member of the ISR caught up.
#[test]
fn an_under_min_isr_partition_does_not_advance_its_hw() {
    let mut config = broker_config(1);
    config.min_insync_replicas = 3;
    let mut leader = broker_in(config, 1, 0, &[1, 2, 3]);
    leader.handle(0, produce(1));
    leader.handle(0, from_controller(notice(1, 0, 1, &[1, 2])));
    leader.handle(0, from_broker(2, replica_fetch(2, 0, 1, 0)));
    assert_eq!(leader.high_watermark(), 0, "ISR [1, 2] is below the minimum of 3");
    let out = leader.handle(0, produce(2));
    let Message::ProduceResponse(r) = &sent(&out)[0].1 else { panic!("{out:?}") };
    assert_eq!(r.error_code, ErrorCode::NOT_ENOUGH_REPLICAS, "appendRecordsToLeader refuses acks=all");
    assert_eq!(leader.log_end_offset(), 1);
    leader.handle(0, from_broker(3, replica_fetch(3, 0, 1, 0)));
    leader.handle(0, from_controller(notice(1, 0, 2, &[1, 2, 3])));
    assert_eq!(leader.high_watermark(), 1, "back at the minimum, the HW moves");
}

/// Kafka 4.4.0 `Partition.effectiveMinIsr`: a `min.insync.replicas` above the replicas assigned
/// counts as the replicas assigned, so the partition stays writable.
#[test]
fn min_insync_above_the_replicas_assigned_is_capped_at_them() {
    let mut config = broker_config(1);
    config.min_insync_replicas = 5;
    let mut leader = broker_in(config, 1, 0, &[1, 2, 3]);
    assert_eq!(leader.effective_min_isr(), 3);
    leader.handle(0, produce(1));
    leader.handle(0, from_broker(2, replica_fetch(2, 0, 1, 0)));
    leader.handle(0, from_broker(3, replica_fetch(3, 0, 1, 0)));
    assert_eq!(leader.high_watermark(), 1);
}

#[test]
fn losing_leadership_fails_waiting_produces() {
    let mut leader = broker_in(broker_config(1), 1, 0, &[1, 2]);
    leader.handle(0, produce(9));
    let out = leader.handle(0, from_controller(notice(2, 1, 1, &[1, 2])));
    let Some((NodeId::Producer, Message::ProduceResponse(r))) = sent(&out).into_iter().next() else {
        panic!("{out:?}")
    };
    assert_eq!(r.error_code, ErrorCode::NOT_LEADER_OR_FOLLOWER);
}

// --- ISR ---

#[test]
fn lagging_follower_is_proposed_out_after_the_lag_time() {
    let mut leader = leader_with(&[1], 0, &[1, 2, 3], 0);
    leader.handle(1_000, produce(2));
    leader.handle(1_000, from_broker(2, replica_fetch(2, 0, 2, 0)));
    let out = leader.handle(20_000, Input::Timer(TimerKind::IsrExpiration));
    assert!(alter_partitions(&out).is_empty(), "within replica.lag.time.max.ms");
    let out = leader.handle(40_000, Input::Timer(TimerKind::IsrExpiration));
    let proposals = alter_partitions(&out);
    assert_eq!(proposals.len(), 1);
    assert_eq!(proposals[0].new_isr, vec![1, 2], "3 stopped at offset 1 at t=0");
    let out = leader.handle(60_000, Input::Timer(TimerKind::IsrExpiration));
    assert!(alter_partitions(&out).is_empty(), "one AlterPartition in flight at a time");
}

#[test]
fn caught_up_follower_stays_in_the_isr_however_long_ago_it_fetched() {
    let mut leader = leader_with(&[1], 0, &[1, 2], 0);
    let out = leader.handle(100_000, Input::Timer(TimerKind::IsrExpiration));
    assert!(alter_partitions(&out).is_empty(), "2 is at the leader's LEO");
}

#[test]
fn expansion_waits_for_the_epoch_start_offset() {
    // KAFKA-7128: leader of epoch 1 whose log starts epoch 1 at offset 2, HW still 1.
    let mut leader = broker_in(broker_config(1), 1, 0, &[1]);
    leader.handle(0, produce(1));
    leader.handle(0, produce(2));
    let mut leader_e1 =
        Broker::recover(broker_config(1), DurableState { log: leader.log().clone(), high_watermark: 1 });
    leader_e1.handle(0, from_controller(notice(1, 1, 0, &[1, 2])));
    assert_eq!(leader_e1.leader_state().unwrap().epoch_start_offset, 2);
    let out = leader_e1.handle(0, from_broker(3, replica_fetch(3, 1, 1, 0)));
    assert!(alter_partitions(&out).is_empty(), "3 reached the HW but not the epoch start");
    let out = leader_e1.handle(0, from_broker(3, replica_fetch(3, 1, 2, 0)));
    assert_eq!(alter_partitions(&out)[0].new_isr, vec![1, 2, 3]);
}

#[test]
fn alter_partition_response_commits_and_each_error_is_handled_as_kafka_s_leader_does() {
    let mut leader = leader_with(&[1], 0, &[1, 2], 0);
    let request = alter_partitions(&leader.handle(0, from_broker(3, replica_fetch(3, 0, 1, 0)))).remove(0);
    let ok = answer_alter_partition(&request, ErrorCode::NONE, &[1, 2, 3], 1);
    leader.handle(0, ok.clone());
    assert_eq!((leader.isr(), leader.partition().unwrap().partition_epoch), (vec![1, 2, 3], 1));
    assert!(leader.leader_state().unwrap().pending_alter.is_none());
    let out = leader.handle(0, ok);
    assert_eq!(ignored(&out), vec![IgnoreReason::StaleResponse], "nothing pending");

    // Kafka 4.4.0 `Partition.handleAlterPartitionError`: INVALID_UPDATE_VERSION means a newer
    // partition change is on its way, so the change stays pending, unsent, until it comes.
    let mut leader = leader_with(&[1], 0, &[1, 2], 0);
    let request = alter_partitions(&leader.handle(0, from_broker(3, replica_fetch(3, 0, 1, 0)))).remove(0);
    leader.handle(0, answer_alter_partition(&request, ErrorCode::INVALID_UPDATE_VERSION, &[1, 2], 3));
    assert_eq!(leader.isr(), vec![1, 2]);
    assert!(leader.leader_state().unwrap().pending_alter.as_ref().is_some_and(|p| p.awaiting_metadata));
    assert_eq!(leader.maximal_isr(), vec![1, 2, 3], "still counted for the HW while pending");
    let out = leader.handle(60_000, Input::Timer(TimerKind::IsrExpiration));
    assert!(alter_partitions(&out).is_empty(), "not sent again after request.timeout.ms");
    leader.handle(60_000, from_controller(notice(1, 0, 3, &[1, 2, 3])));
    assert!(leader.leader_state().unwrap().pending_alter.is_none());
    assert_eq!(leader.isr(), vec![1, 2, 3]);

    // INELIGIBLE_REPLICA reverts to the committed state. (Kafka's leader would not propose a
    // fenced replica again; here its fetch is gone with its connection.)
    let mut leader = leader_with(&[1], 0, &[1, 2], 0);
    let request = alter_partitions(&leader.handle(0, from_broker(3, replica_fetch(3, 0, 1, 0)))).remove(0);
    leader.handle(0, Input::Disconnected(NodeId::Broker(3)));
    leader.handle(0, answer_alter_partition(&request, ErrorCode::INELIGIBLE_REPLICA, &[1, 2], 0));
    assert!(leader.leader_state().unwrap().pending_alter.is_none());
    assert_eq!(leader.maximal_isr(), vec![1, 2]);

    // Any other error sends the change again.
    let mut leader = leader_with(&[1], 0, &[1, 2], 0);
    let request = alter_partitions(&leader.handle(0, from_broker(3, replica_fetch(3, 0, 1, 0)))).remove(0);
    let out = leader.handle(0, answer_alter_partition(&request, ErrorCode::NOT_CONTROLLER, &[1, 2], 0));
    assert_eq!(alter_partitions(&out), vec![request]);
}

#[test]
fn shrink_commit_advances_the_hw() {
    // KAFKA-13091's fix: 3 lags, the shrink commits, the HW moves at once.
    let mut leader = leader_with(&[], 0, &[1, 2, 3], 0);
    leader.handle(0, produce(1));
    leader.handle(0, from_broker(2, replica_fetch(2, 0, 1, 0)));
    assert_eq!(leader.high_watermark(), 0);
    leader.handle(40_000, Input::Timer(TimerKind::IsrExpiration));
    leader.handle(40_000, from_controller(notice(1, 0, 1, &[1, 2])));
    assert_eq!(leader.high_watermark(), 1);
}

#[test]
fn stale_notices_are_ignored() {
    let mut broker = broker_in(broker_config(2), 1, 3, &[1, 2, 3]);
    let out = broker.handle(0, from_controller(notice(3, 2, 9, &[1, 2, 3])));
    assert_eq!(ignored(&out), vec![IgnoreReason::StaleNotice]);
    let out = broker.handle(0, from_controller(notice(1, 3, 0, &[1, 2])));
    assert_eq!(ignored(&out), vec![IgnoreReason::StaleNotice], "same epochs: a duplicate");
    let out = broker.handle(0, from_broker(1, notice(3, 9, 9, &[3])));
    assert_eq!(ignored(&out), vec![IgnoreReason::UnknownSender], "only the controller sends notices");
    assert_eq!(broker.leader_epoch(), 3);
}

#[test]
fn new_leader_caches_its_epoch_and_starts_its_epoch_at_its_leo() {
    let mut broker = broker_in(broker_config(2), 1, 0, &[1, 2]);
    broker.handle(
        0,
        from_broker(
            1,
            Message::FetchResponse(FetchResponse {
                error_code: ErrorCode::NONE,
                high_watermark: 1,
                log_start_offset: 0,
                records: records(0, 0, &[4, 5]),
                diverging_epoch: None,
                preferred_read_replica: NO_PREFERRED_REPLICA,
                current_leader: LeaderIdAndEpoch { leader_id: 1, leader_epoch: 0 },
                fetch_offset: 0,
                request_leader_epoch: 0,
            }),
        ),
    );
    broker.handle(0, from_controller(notice(2, 1, 1, &[2])));
    assert_eq!(broker.role_kind(), RoleKind::Leader);
    assert_eq!(broker.log().epochs().entries(), &[(0, 0), (1, 2)], "KAFKA-7415: (epoch, LEO) at election");
    assert_eq!(broker.leader_state().unwrap().epoch_start_offset, 2);
    assert_eq!(broker.high_watermark(), 2, "sole ISR member: HW jumps to its LEO");
}

// --- KIP-207 and KIP-392 answers to clients ---

fn leader_in_leso_window(config: BrokerConfig) -> Broker {
    leader_in_window(config, &[1, 3])
}

fn list_latest(broker: &mut Broker, epoch: LeaderEpoch) -> ListOffsetsResponse {
    let request = ListOffsetsRequest {
        replica_id: CONSUMER_REPLICA_ID,
        current_leader_epoch: epoch,
        timestamp: LATEST_TIMESTAMP,
    };
    let out = broker.handle(0, from_consumer(0, Message::ListOffsets(request)));
    let Message::ListOffsetsResponse(r) = &sent(&out)[0].1 else { panic!("{out:?}") };
    r.clone()
}

fn epoch_query(broker: &mut Broker, current: LeaderEpoch, asked: LeaderEpoch) -> OffsetsForLeaderEpochResponse {
    let request = OffsetsForLeaderEpochRequest {
        replica_id: CONSUMER_REPLICA_ID,
        current_leader_epoch: current,
        leader_epoch: asked,
    };
    let out = broker.handle(0, from_consumer(0, Message::OffsetsForLeaderEpoch(request)));
    let Message::OffsetsForLeaderEpochResponse(r) = &sent(&out)[0].1 else { panic!("{out:?}") };
    r.clone()
}

#[test]
fn list_offsets_latest_is_not_available_until_the_hw_reaches_the_epoch_start() {
    let mut leader = leader_in_leso_window(broker_config(1));
    assert_eq!(list_latest(&mut leader, 1).error_code, ErrorCode::OFFSET_NOT_AVAILABLE);
    leader.handle(0, from_broker(3, replica_fetch(3, 1, 2, 0)));
    assert_eq!(leader.high_watermark(), 2);
    let answer = list_latest(&mut leader, 1);
    // `Partition.fetchOffsetForTimestamp` answers LATEST with the current leader epoch.
    assert_eq!((answer.error_code, answer.offset, answer.leader_epoch), (ErrorCode::NONE, 2, 1));
}

#[test]
fn list_offsets_earliest_is_unaffected_by_the_window() {
    let mut leader = leader_in_leso_window(broker_config(1));
    let request =
        ListOffsetsRequest { replica_id: CONSUMER_REPLICA_ID, current_leader_epoch: 1, timestamp: EARLIEST_TIMESTAMP };
    let out = leader.handle(0, from_consumer(0, Message::ListOffsets(request)));
    let Message::ListOffsetsResponse(r) = &sent(&out)[0].1 else { panic!() };
    assert_eq!((r.error_code, r.offset), (ErrorCode::NONE, 0));
    let bad = ListOffsetsRequest { replica_id: CONSUMER_REPLICA_ID, current_leader_epoch: 1, timestamp: 12345 };
    let out = leader.handle(0, from_consumer(0, Message::ListOffsets(bad)));
    let Message::ListOffsetsResponse(r) = &sent(&out)[0].1 else { panic!() };
    assert_eq!(r.error_code, ErrorCode::INVALID_REQUEST);
}

fn kip_strict(id: BrokerId) -> BrokerConfig {
    let mut config = broker_config(id);
    config.fetch_semantics = FetchSemantics::KipStrict;
    config
}

/// Kafka 4.4 `Partition.lastOffsetForLeaderEpoch` answers `LeaderEpochFileCache.endOffsetFor`
/// for every requester: the epoch's end offset, the log end offset for the latest epoch, even
/// above the HW and inside KIP-207's window.
#[test]
fn consumer_epoch_query_answers_the_epoch_end_offset_as_kafka_does() {
    let mut leader = leader_in_leso_window(broker_config(1));
    let latest = epoch_query(&mut leader, 1, 1);
    assert_eq!((latest.error_code, latest.leader_epoch, latest.end_offset), (ErrorCode::NONE, 1, 2), "the LEO, HW 1");
    let e0 = epoch_query(&mut leader, 1, 0);
    assert_eq!((e0.error_code, e0.leader_epoch, e0.end_offset), (ErrorCode::NONE, 0, 2), "epoch 0 ends at 2 > HW 1");
    leader.handle(0, from_broker(3, replica_fetch(3, 1, 2, 0)));
    leader.handle(0, produce(3));
    let e1 = epoch_query(&mut leader, 1, 1);
    assert_eq!((e1.error_code, e1.end_offset), (ErrorCode::NONE, 3), "the LEO 3, above HW 2");
}

/// KIP-392's text: a consumer's answer is capped at the HW, and refused while the HW is below the
/// leader epoch start offset.
#[test]
fn consumer_epoch_query_is_capped_at_the_hw_under_the_kip_s_text() {
    let mut leader = leader_in_leso_window(kip_strict(1));
    assert_eq!(epoch_query(&mut leader, 1, 1).error_code, ErrorCode::OFFSET_NOT_AVAILABLE, "latest epoch, in window");
    assert_eq!(epoch_query(&mut leader, 1, 0).error_code, ErrorCode::OFFSET_NOT_AVAILABLE, "epoch 0 ends at 2 > HW 1");
    leader.handle(0, from_broker(3, replica_fetch(3, 1, 2, 0)));
    leader.handle(0, produce(3));
    // Out of the window: epoch 0 ends at 2 = HW; epoch 1 ends at LEO 3, capped to HW 2.
    let e0 = epoch_query(&mut leader, 1, 0);
    assert_eq!((e0.error_code, e0.leader_epoch, e0.end_offset), (ErrorCode::NONE, 0, 2));
    let e1 = epoch_query(&mut leader, 1, 1);
    assert_eq!((e1.error_code, e1.leader_epoch, e1.end_offset), (ErrorCode::NONE, 1, 2));
    // A follower's query is not capped.
    let request = OffsetsForLeaderEpochRequest { replica_id: 3, current_leader_epoch: 1, leader_epoch: 1 };
    let out = leader.handle(0, from_broker(3, Message::OffsetsForLeaderEpoch(request)));
    let Message::OffsetsForLeaderEpochResponse(r) = &sent(&out)[0].1 else { panic!() };
    assert_eq!(r.end_offset, 3);
}

// --- KIP-392 selection ---

fn rack_aware(id: BrokerId) -> BrokerConfig {
    let mut config = broker_config(id);
    config.replica_selector = SelectorKind::RackAware;
    config
}

#[test]
fn leader_redirects_a_racked_consumer_to_an_in_sync_same_rack_follower() {
    let mut leader = broker_in(rack_aware(1), 1, 0, &[1, 2, 3]);
    leader.handle(0, produce(1));
    leader.handle(0, from_broker(2, replica_fetch(2, 0, 1, 0)));
    leader.handle(0, from_broker(3, replica_fetch(3, 0, 0, NO_EPOCH)));
    let redirect = fetch_response(&leader.handle(0, from_consumer(0, consumer_fetch("b", 0, 0))));
    assert_eq!(redirect.preferred_read_replica, 2, "2 is the most caught up in rack b");
    assert!(redirect.records.is_empty(), "redirects carry no records");
    assert_eq!(redirect.high_watermark, 0);
    // Not redirected: they read here, and with nothing below the HW yet, they wait.
    assert!(waits(&leader.handle(0, from_consumer(0, consumer_fetch("", 0, 0)))), "no rack");
    assert!(waits(&leader.handle(0, from_consumer(1, consumer_fetch("a", 0, 0)))), "the leader's own rack");
}

/// The fetch was neither answered nor redirected: it waits at the replica (`DelayedFetch`).
fn waits(outputs: &[Output]) -> bool {
    fetch_responses(outputs).is_empty()
        && outputs.contains(&Output::SetTimer { timer: TimerKind::FetchWait, after_ms: 500 })
}

#[test]
fn selection_skips_replicas_outside_the_isr_or_without_the_offset() {
    let mut leader = broker_in(rack_aware(1), 1, 0, &[1, 2]);
    leader.handle(0, produce(1));
    leader.handle(0, produce(2));
    leader.handle(0, from_broker(3, replica_fetch(3, 0, 2, 0)));
    leader.handle(0, from_broker(2, replica_fetch(2, 0, 1, 0)));
    // 3 holds offset 2 but is out of the ISR (KAFKA-14372); 2 is in it but holds only up to 1.
    assert!(waits(&leader.handle(0, from_consumer(0, consumer_fetch("b", 0, 2)))), "not redirected");
    let response = fetch_response(&leader.handle(0, from_consumer(1, consumer_fetch("b", 0, 1))));
    assert_eq!(response.preferred_read_replica, 2);
}

#[test]
fn default_selector_never_redirects() {
    let mut leader = leader_with(&[1], 0, &[1, 2, 3], 0);
    let response = fetch_response(&leader.handle(0, from_consumer(0, consumer_fetch("b", 0, 0))));
    assert_eq!((response.preferred_read_replica, response.records.len()), (NO_PREFERRED_REPLICA, 1));
}

#[test]
fn followers_never_run_the_selector() {
    let mut follower = broker_in(rack_aware(2), 1, 0, &[1, 2, 3]);
    assert!(waits(&follower.handle(0, from_consumer(0, consumer_fetch("b", 0, 0)))), "not redirected");
}

#[test]
fn a_late_answer_to_an_earlier_alter_partition_does_not_settle_the_pending_one() {
    // Proposal A (partition epoch 0) is refused, but the refusal is
    // still in flight when a notice moves the partition epoch to 1 and proposal B goes out. The
    // refusal of A must not clear B, or the HW advances without B's new member.
    let mut leader = broker_in(broker_config(1), 1, 0, &[1]);
    leader.handle(0, from_broker(2, replica_fetch(2, 0, 0, NO_EPOCH)));
    assert_eq!(
        alter_partitions(&leader.handle(0, from_broker(2, replica_fetch(2, 0, 0, NO_EPOCH)))).len(),
        0,
        "A pending"
    );
    // The notice settles the partition epoch; 2's fetch waits here, so the leader judges it
    // again at once, as its next fetch would be judged, and proposes B.
    let out = leader.handle(0, from_controller(notice(1, 0, 1, &[1])));
    let b = alter_partitions(&out).remove(0);
    assert_eq!((b.partition_epoch, b.new_isr.clone()), (1, vec![1, 2]));
    let a = AlterPartitionRequest { partition_epoch: 0, ..b.clone() };
    let out = leader.handle(0, answer_alter_partition(&a, ErrorCode::INVALID_UPDATE_VERSION, &[1], 1));
    assert_eq!(ignored(&out), vec![IgnoreReason::StaleResponse]);
    assert_eq!(leader.maximal_isr(), vec![1, 2], "B is still pending");
    leader.handle(0, produce(7));
    assert_eq!(leader.high_watermark(), 0, "2 has not fetched offset 0 yet");
}

/// Long poll, as Kafka 4.4.0's `DelayedFetch` does it: a follower fetch with no records for it
/// waits at the leader. It is answered by the next append, or at `replica.fetch.wait.max.ms`
/// when it has only a new HW to learn (`tryComplete` compares a follower's fetch with the LEO).
/// Leadership moving on answers it FENCED_LEADER_EPOCH (`Partition.localLogWithEpochOrThrow`
/// checks the epoch first).
#[test]
fn a_follower_fetch_waits_for_records_or_its_deadline_and_is_fenced_when_leadership_moves() {
    let mut leader = broker_in(broker_config(1), 1, 0, &[1, 2]);
    let waits = leader.handle(0, from_broker(2, replica_fetch(2, 0, 0, NO_EPOCH)));
    assert!(fetch_responses(&waits).is_empty());
    assert!(waits.contains(&Output::SetTimer { timer: TimerKind::ReplicaFetchWait, after_ms: 500 }), "{waits:?}");
    let answered = leader.handle(500, Input::Timer(TimerKind::ReplicaFetchWait));
    assert_eq!((fetch_response(&answered).high_watermark, fetch_response(&answered).records.len()), (0, 0));
    let waits = leader.handle(500, from_broker(2, replica_fetch(2, 0, 0, NO_EPOCH)));
    assert!(waits.contains(&Output::CancelTimer(TimerKind::ReplicaFetchWait)), "nothing to learn: {waits:?}");
    let appended = leader.handle(600, produce(7));
    assert_eq!(fetch_response(&appended).records, records(0, 0, &[7]));
    // The follower now holds offset 0, so the HW moves to 1; a new HW alone does not answer.
    let hw_moved = leader.handle(700, from_broker(2, replica_fetch(2, 0, 1, 0)));
    assert_eq!(leader.high_watermark(), 1);
    assert!(fetch_responses(&hw_moved).is_empty(), "{hw_moved:?}");
    assert!(hw_moved.contains(&Output::SetTimer { timer: TimerKind::ReplicaFetchWait, after_ms: 500 }));
    let deadline = fetch_response(&leader.handle(1_200, Input::Timer(TimerKind::ReplicaFetchWait)));
    assert_eq!((deadline.high_watermark, deadline.records.len()), (1, 0));
    assert!(
        fetch_responses(&leader.handle(1_200, from_broker(2, replica_fetch(2, 0, 1, 0)))).is_empty(),
        "waits again"
    );
    let moved = leader.handle(1_200, from_controller(notice(2, 1, 1, &[1, 2])));
    let refused: Vec<FetchResponse> =
        fetch_responses(&moved).into_iter().filter(|r| r.error_code == ErrorCode::FENCED_LEADER_EPOCH).collect();
    assert_eq!(refused.len(), 1, "{moved:?}");
}

/// A follower that caught up while the ISR shrank past it is not left out until the next
/// append: when the shrink commits, the leader judges the fetch waiting here as Kafka judges
/// the fetch that follows an expired `DelayedFetch`.
#[test]
fn a_waiting_follower_is_judged_for_the_isr_when_a_change_commits() {
    let mut leader = broker_in(broker_config(1), 1, 0, &[1, 2]);
    leader.handle(0, from_broker(2, replica_fetch(2, 0, 0, NO_EPOCH)));
    leader.handle(500, Input::Timer(TimerKind::ReplicaFetchWait));
    let waits = leader.handle(500, from_broker(2, replica_fetch(2, 0, 0, NO_EPOCH)));
    assert!(fetch_responses(&waits).is_empty(), "2 waits");
    // The controller drops 2 (its session expired meanwhile): the leader proposes it back.
    let out = leader.handle(0, from_controller(notice(1, 0, 1, &[1])));
    let proposal = alter_partitions(&out).remove(0);
    assert_eq!(proposal.new_isr, vec![1, 2]);
}
