//! One test per seeded bug, named after its id: the same steps run on a correct node and on one
//! carrying the bug, and the test asserts both outcomes. This shows where each bug changes
//! behaviour; the model checker shows which property each one breaks.

use crate::common::*;
use highwater_protocol::*;

/// Bugs with a test below. Kept beside the tests so that a new bug without one fails here.
const COVERED: &[Bug] = &[
    Bug::FollowerServesLeo,
    Bug::HwBeforeTruncation,
    Bug::TruncateToHw,
    Bug::SingleRoundEpochLookup,
    Bug::IsrExpandBeforeEpochStart,
    Bug::FollowerStateKeptAcrossEpochs,
    Bug::HwOverCommittedIsrOnly,
    Bug::DivergingFetchUpdatesFollowerState,
    Bug::NoLeaderEpochFencing,
    Bug::NoEpochCacheEntryOnElection,
    Bug::EmptyResponseClearsLastFetchedEpoch,
    Bug::ListOffsetsDuringLesoWindow,
    Bug::ConsumerEpochQueryUncapped,
    Bug::PreferredReplicaOutsideIsr,
    Bug::SelectionOnFollower,
    Bug::LeaseOnlyRevert,
    Bug::FollowerOutOfRangeResets,
    Bug::HwStuckAfterShrink,
];

#[test]
fn every_seeded_bug_has_a_test() {
    assert_eq!(COVERED, Bug::ALL);
}

fn with_bug(mut config: BrokerConfig, bug: Option<Bug>) -> BrokerConfig {
    config.bugs = bug.map(Bugs::only).unwrap_or_default();
    config
}

/// Run `scenario` on a correct node and on a buggy one.
fn both<T>(bug: Bug, scenario: impl Fn(Option<Bug>) -> T) -> (T, T) {
    (scenario(None), scenario(Some(bug)))
}

/// follower-serves-leo (KIP-392's core rule): reads on a follower stop at its LEO, not its HW.
#[test]
fn follower_serves_leo() {
    let (fixed, buggy) = both(Bug::FollowerServesLeo, |bug| {
        let mut follower = follower_with(with_bug(broker_config(2), bug), 0, &[(0, 1), (0, 2), (0, 3)], 1);
        fetch_response(&follower.handle(0, from_consumer(0, consumer_fetch("", 0, 0)))).records.len()
    });
    assert_eq!((fixed, buggy), (1, 3), "records above the HW of 1 are served");
}

/// hw-before-truncation (KAFKA-14704): the leader's HW is applied before the diverging suffix goes.
#[test]
fn hw_before_truncation() {
    let (fixed, buggy) = both(Bug::HwBeforeTruncation, |bug| {
        let mut follower = follower_with(with_bug(broker_config(2), bug), 2, &[(0, 1), (1, 2), (1, 3)], 1);
        let diverging = EpochEndOffset { epoch: 0, end_offset: 1 };
        follower.handle(0, leader_answer(2, 3, 5, Vec::new(), Some(diverging)));
        let read = fetch_response_unless_waiting(&follower.handle(0, from_consumer(0, consumer_fetch("", 2, 1))));
        (follower.high_watermark(), follower.log_end_offset(), read.map_or(0, |r| r.records.len()))
    });
    assert_eq!(fixed, (1, 1, 0));
    assert_eq!(buggy, (3, 3, 2), "the divergent records at 1 and 2 are readable below the new HW");
}

/// truncate-to-hw (KAFKA-1211, pre-KIP-101): a new follower cuts its log back to its HW.
#[test]
fn truncate_to_hw() {
    let (fixed, buggy) = both(Bug::TruncateToHw, |bug| {
        let mut replica_log = ReplicaLog::new();
        for value in [1, 2, 3] {
            replica_log.append(Record { epoch: 0, value });
        }
        let config = with_bug(broker_config(2), bug);
        let mut follower = Broker::recover(config, DurableState { log: replica_log, high_watermark: 1 });
        let out = follower.handle(0, from_controller(notice(1, 1, 0, &[1, 2])));
        (follower.log_end_offset(), fetches(&out)[0].1.last_fetched_epoch)
    });
    assert_eq!(fixed, (3, 0));
    assert_eq!(buggy, (1, NO_EPOCH), "committed-but-unknown-to-the-follower records are gone");
}

/// single-round-epoch-lookup (KAFKA-6361, pre-KIP-279): one truncation round ignoring epochs.
#[test]
fn single_round_epoch_lookup() {
    let (fixed, buggy) = both(Bug::SingleRoundEpochLookup, |bug| {
        let mut follower = follower_with(with_bug(broker_config(2), bug), 3, &[(0, 1), (2, 2), (2, 3)], 0);
        follower.handle(0, leader_answer(3, 3, 0, Vec::new(), Some(EpochEndOffset { epoch: 1, end_offset: 2 })));
        follower.log().records().to_vec()
    });
    assert_eq!(fixed, vec![Record { epoch: 0, value: 1 }]);
    assert_eq!(buggy[1], Record { epoch: 2, value: 2 }, "keeps an epoch-2 record where the leader has epoch 1");
}

fn leader_in_window_with(bug: Option<Bug>, isr: &[BrokerId]) -> Broker {
    leader_in_window(with_bug(broker_config(1), bug), isr)
}

/// isr-expand-before-epoch-start (KAFKA-7128): ISR expansion below the leader-epoch start offset.
#[test]
fn isr_expand_before_epoch_start() {
    let (fixed, buggy) = both(Bug::IsrExpandBeforeEpochStart, |bug| {
        // 2 is in the ISR and has not fetched in epoch 1, so the HW stays at 1.
        let mut leader = leader_in_window_with(bug, &[1, 2]);
        alter_partitions(&leader.handle(0, from_broker(3, replica_fetch(3, 1, 1, 0)))).len()
    });
    assert_eq!((fixed, buggy), (0, 1), "3 proposed at offset 1 < epoch start 2");
}

/// follower-state-kept-across-epochs (JV CHECK site): a re-elected leader trusts old follower LEOs.
#[test]
fn follower_state_kept_across_epochs() {
    let (fixed, buggy) = both(Bug::FollowerStateKeptAcrossEpochs, |bug| {
        let mut broker = broker_in(with_bug(broker_config(1), bug), 1, 0, &[1, 2]);
        broker.handle(0, produce(1));
        broker.handle(0, from_broker(2, replica_fetch(2, 0, 1, 0)));
        broker.handle(0, from_controller(notice(2, 1, 1, &[1, 2])));
        broker.handle(0, from_controller(notice(1, 2, 2, &[1, 2])));
        broker.leader_state().unwrap().followers[&2].log_end_offset
    });
    assert_eq!((fixed, buggy), (None, Some(1)), "2's LEO from epoch 0 counts in epoch 2");
}

/// hw-over-committed-isr-only (KIP-497 maximal ISR): a pending expansion's member is not counted.
#[test]
fn hw_over_committed_isr_only() {
    let (fixed, buggy) = both(Bug::HwOverCommittedIsrOnly, |bug| {
        let mut leader = broker_in(with_bug(broker_config(1), bug), 1, 0, &[1, 2]);
        leader.handle(0, produce(1));
        leader.handle(0, from_broker(2, replica_fetch(2, 0, 1, 0)));
        leader.handle(0, from_broker(3, replica_fetch(3, 0, 1, 0)));
        leader.handle(0, produce(2));
        leader.handle(0, from_broker(2, replica_fetch(2, 0, 2, 0)));
        leader.high_watermark()
    });
    assert_eq!((fixed, buggy), (1, 2), "3 (joining) holds only offset 0");
}

/// diverging-fetch-updates-follower-state (KAFKA-13141).
#[test]
fn diverging_fetch_updates_follower_state() {
    let (fixed, buggy) = both(Bug::DivergingFetchUpdatesFollowerState, |bug| {
        let mut leader = broker_in(with_bug(broker_config(1), bug), 1, 0, &[1]);
        leader.handle(0, produce(1));
        leader.handle(0, from_controller(notice(1, 2, 1, &[1, 2])));
        leader.handle(0, produce(2));
        leader.handle(0, produce(3));
        // 2 claims offset 3 in epoch 1, which the leader never had: it diverges at offset 1.
        let response = fetch_response(&leader.handle(0, from_broker(2, replica_fetch(2, 2, 3, 1))));
        assert!(response.diverging_epoch.is_some());
        (leader.leader_state().unwrap().followers[&2].log_end_offset, leader.high_watermark())
    });
    assert_eq!(fixed, (None, 1));
    assert_eq!(buggy, (Some(3), 3), "the HW advances over records 2 never matched");
}

/// no-leader-epoch-fencing (KAFKA-6880 / KIP-320).
#[test]
fn no_leader_epoch_fencing() {
    let (fixed, buggy) = both(Bug::NoLeaderEpochFencing, |bug| {
        let mut leader = broker_in(with_bug(broker_config(1), bug), 1, 3, &[1, 2]);
        leader.handle(0, produce(1));
        fetch_response(&leader.handle(0, from_broker(2, replica_fetch(2, 1, 0, NO_EPOCH)))).error_code
    });
    assert_eq!((fixed, buggy), (ErrorCode::FENCED_LEADER_EPOCH, ErrorCode::NONE));
}

/// no-epoch-cache-entry-on-election (KAFKA-7415).
#[test]
fn no_epoch_cache_entry_on_election() {
    let (fixed, buggy) = both(Bug::NoEpochCacheEntryOnElection, |bug| {
        let mut broker = broker_in(with_bug(broker_config(1), bug), 1, 0, &[1]);
        broker.handle(0, produce(1));
        broker.handle(0, from_controller(notice(1, 4, 1, &[1])));
        broker.log().epochs().entries().to_vec()
    });
    assert_eq!(fixed, vec![(0, 0), (4, 1)]);
    assert_eq!(buggy, vec![(0, 0)]);
}

/// empty-response-clears-last-fetched-epoch (KAFKA-15510).
#[test]
fn empty_response_clears_last_fetched_epoch() {
    let (fixed, buggy) = both(Bug::EmptyResponseClearsLastFetchedEpoch, |bug| {
        let mut follower = follower_with(with_bug(broker_config(2), bug), 0, &[(0, 1)], 1);
        follower.handle(0, leader_answer(0, 1, 1, Vec::new(), None));
        let out = follower.handle(500, Input::Timer(TimerKind::ReplicaFetch));
        fetches(&out)[0].1.last_fetched_epoch
    });
    assert_eq!((fixed, buggy), (0, NO_EPOCH), "the next fetch skips the divergence check");
}

fn list_latest(leader: &mut Broker) -> (ErrorCode, Offset) {
    let request =
        ListOffsetsRequest { replica_id: CONSUMER_REPLICA_ID, current_leader_epoch: 1, timestamp: LATEST_TIMESTAMP };
    let out = leader.handle(0, from_consumer(0, Message::ListOffsets(request)));
    let Message::ListOffsetsResponse(r) = &sent(&out)[0].1 else { panic!() };
    (r.error_code, r.offset)
}

/// list-offsets-during-leso-window (KAFKA-2334 / KIP-207).
#[test]
fn list_offsets_during_leso_window() {
    let (fixed, buggy) =
        both(Bug::ListOffsetsDuringLesoWindow, |bug| list_latest(&mut leader_in_window_with(bug, &[1, 3])));
    assert_eq!(fixed, (ErrorCode::OFFSET_NOT_AVAILABLE, -1));
    assert_eq!(buggy, (ErrorCode::NONE, 1), "answers 1 where the previous leader had answered 2");
}

/// consumer-epoch-query-uncapped (KIP-392 OffsetsForLeaderEpoch `replica_id`): a departure from
/// KIP-392's text, which is Kafka's own behaviour, so under `Apache` semantics it changes nothing.
#[test]
fn consumer_epoch_query_uncapped() {
    let query = |semantics: FetchSemantics, bug: Option<Bug>| {
        let mut config = with_bug(broker_config(1), bug);
        config.fetch_semantics = semantics;
        let mut leader = broker_in(config, 1, 0, &[1, 2]);
        leader.handle(0, produce(1));
        leader.handle(0, from_broker(2, replica_fetch(2, 0, 1, 0)));
        leader.handle(0, produce(2));
        let request =
            OffsetsForLeaderEpochRequest { replica_id: CONSUMER_REPLICA_ID, current_leader_epoch: 0, leader_epoch: 0 };
        let out = leader.handle(0, from_consumer(0, Message::OffsetsForLeaderEpoch(request)));
        let Message::OffsetsForLeaderEpochResponse(r) = &sent(&out)[0].1 else { panic!() };
        r.end_offset
    };
    let (fixed, buggy) = both(Bug::ConsumerEpochQueryUncapped, |bug| query(FetchSemantics::KipStrict, bug));
    assert_eq!((fixed, buggy), (1, 2), "reveals the LEO (2) above the HW (1)");
    let (fixed, buggy) = both(Bug::ConsumerEpochQueryUncapped, |bug| query(FetchSemantics::Apache, bug));
    assert_eq!((fixed, buggy), (2, 2), "Kafka answers the LEO anyway");
}

/// preferred-replica-outside-isr (KAFKA-14372).
#[test]
fn preferred_replica_outside_isr() {
    let (fixed, buggy) = both(Bug::PreferredReplicaOutsideIsr, |bug| {
        let mut config = with_bug(broker_config(1), bug);
        config.replica_selector = SelectorKind::RackAware;
        let mut leader = broker_in(config, 1, 0, &[1, 2]);
        leader.handle(0, produce(1));
        leader.handle(0, from_broker(3, replica_fetch(3, 0, 0, NO_EPOCH)));
        // Without a redirect the fetch reads here: nothing is below the HW, so it waits.
        let out = leader.handle(0, from_consumer(0, consumer_fetch("b", 0, 0)));
        fetch_response_unless_waiting(&out).map_or(NO_PREFERRED_REPLICA, |r| r.preferred_read_replica)
    });
    assert_eq!((fixed, buggy), (NO_PREFERRED_REPLICA, 3), "3 is out of the ISR");
}

/// selection-on-follower (KAFKA-13778).
#[test]
fn selection_on_follower() {
    let (fixed, buggy) = both(Bug::SelectionOnFollower, |bug| {
        let mut config = with_bug(broker_config(2), bug);
        config.replica_selector = SelectorKind::RackAware;
        // 2 led epoch 0 and saw 3 reach offset 5; then 1 took over and 2 truncated to 2.
        let mut broker = broker_in(config, 2, 0, &[1, 2, 3]);
        for v in 0..5 {
            broker.handle(0, produce(v));
        }
        broker.handle(0, from_broker(3, replica_fetch(3, 0, 5, 0)));
        broker.handle(0, from_controller(notice(1, 1, 1, &[1, 2, 3])));
        broker.handle(0, leader_answer(1, 5, 0, Vec::new(), Some(EpochEndOffset { epoch: 0, end_offset: 2 })));
        assert_eq!(broker.log_end_offset(), 2);
        let out = broker.handle(0, from_consumer(0, consumer_fetch("b", 1, 0)));
        fetch_response_unless_waiting(&out).map_or(NO_PREFERRED_REPLICA, |r| r.preferred_read_replica)
    });
    assert_eq!((fixed, buggy), (NO_PREFERRED_REPLICA, 3), "a follower redirects on stale state");
}

fn consumer_after_error(bug: Option<Bug>, error: ErrorCode) -> Consumer {
    let mut config = ConsumerConfig::new(0, Some("b".into()));
    config.bugs = bug.map(Bugs::only).unwrap_or_default();
    let mut consumer = Consumer::new(config);
    consumer.handle(0, Input::Start);
    let metadata = MetadataResponse {
        leader_id: 1,
        leader_epoch: 0,
        replicas: replicas(),
        isr_nodes: vec![1, 2, 3],
        offline_replicas: vec![],
    };
    let out = consumer.handle(0, from_controller(Message::MetadataResponse(metadata)));
    let (_, request) = fetches(&out).remove(0);
    let answer = |from, error, preferred, request: &FetchRequest| {
        from_broker(
            from,
            Message::FetchResponse(FetchResponse {
                error_code: error,
                high_watermark: 0,
                log_start_offset: 0,
                records: vec![],
                diverging_epoch: None,
                preferred_read_replica: preferred,
                current_leader: LeaderIdAndEpoch { leader_id: 1, leader_epoch: 0 },
                fetch_offset: request.fetch_offset,
                request_leader_epoch: request.current_leader_epoch,
            }),
        )
    };
    let out = consumer.handle(0, answer(1, ErrorCode::NONE, 2, &request));
    let (_, request) = fetches(&out).remove(0);
    consumer.handle(0, answer(2, error, NO_PREFERRED_REPLICA, &request));
    consumer
}

/// lease-only-revert (KAFKA-14379).
#[test]
fn lease_only_revert() {
    let (fixed, buggy) = both(Bug::LeaseOnlyRevert, |bug| {
        consumer_after_error(bug, ErrorCode::NOT_LEADER_OR_FOLLOWER).preferred_read_replica().map(|p| p.broker_id)
    });
    assert_eq!((fixed, buggy), (None, Some(2)), "stays on a replica that is no longer a follower");
}

/// follower-out-of-range-resets (KAFKA-14255, KIP-392 case 4).
#[test]
fn follower_out_of_range_resets() {
    let (fixed, buggy) =
        both(Bug::FollowerOutOfRangeResets, |bug| consumer_after_error(bug, ErrorCode::OFFSET_OUT_OF_RANGE).phase());
    assert_eq!(fixed, ConsumerPhase::Fetching);
    assert_eq!(
        buggy,
        ConsumerPhase::Resetting(consumer::ResetTarget::Earliest),
        "a follower's word taken as definitive"
    );
}

/// hw-stuck-after-shrink (KAFKA-13091).
#[test]
fn hw_stuck_after_shrink() {
    let (fixed, buggy) = both(Bug::HwStuckAfterShrink, |bug| {
        let mut leader = broker_in(with_bug(broker_config(1), bug), 1, 0, &[1, 2, 3]);
        leader.handle(0, from_broker(2, replica_fetch(2, 0, 0, 0)));
        leader.handle(0, from_broker(3, replica_fetch(3, 0, 0, 0)));
        leader.handle(0, produce(1));
        leader.handle(0, from_broker(2, replica_fetch(2, 0, 1, 0)));
        let out = leader.handle(40_000, Input::Timer(TimerKind::IsrExpiration));
        let shrink = alter_partitions(&out).remove(0);
        assert_eq!(shrink.new_isr, vec![1, 2], "3 never fetched offset 1");
        leader.handle(40_000, answer_alter_partition(&shrink, ErrorCode::NONE, &[1, 2], 1));
        leader.high_watermark()
    });
    assert_eq!((fixed, buggy), (1, 0), "the committed record stays invisible");
}

#[test]
fn readme_table_lists_every_bug_with_its_source_and_what_it_changes() {
    let readme = include_str!("../README.md");
    let rows: Vec<&str> = readme.lines().filter(|l| l.starts_with("| `")).collect();
    let table: Vec<(&str, &str, &str)> = rows
        .iter()
        .filter_map(|row| {
            let cells: Vec<&str> = row.split('|').map(str::trim).collect();
            Some((cells.get(1)?.trim_matches('`'), *cells.get(2)?, *cells.get(3)?))
        })
        .filter(|(id, _, _)| Bug::from_id(id).is_some())
        .collect();
    let expected: Vec<(&str, &str, &str)> = Bug::ALL.iter().map(|b| (b.id(), b.source(), b.changes())).collect();
    assert_eq!(table, expected, "protocol/README.md's seeded-bug table is out of step with Bug::ALL");
}
