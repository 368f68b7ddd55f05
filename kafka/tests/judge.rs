//! The judge of real runs, shown catching what each property exists for, on histories made by
//! hand: the protocol crate's consumer is stepped with the answers a broker might give, as the
//! shell steps it.

use highwater_kafka::figures;
use highwater_kafka::history::{History, RecordAt, What};
use highwater_kafka::judge::{self, FinalRead, Verdict};
use highwater_protocol::{
    Consumer, ConsumerConfig, ErrorCode, FetchResponse, Input, LeaderIdAndEpoch, Message, MetadataResponse, NodeId,
    OffsetRecord, ReplicaInfo,
};

fn metadata(isr: Vec<i32>) -> MetadataResponse {
    MetadataResponse {
        leader_id: 1,
        leader_epoch: 0,
        replicas: (1..=3)
            .map(|b| ReplicaInfo { broker_id: b, rack: Some(if b == 1 { "a" } else { "b" }.into()) })
            .collect(),
        isr_nodes: isr,
        offline_replicas: Vec::new(),
    }
}

fn answer(records: &[(i64, u64)], hw: i64, preferred: i32) -> FetchResponse {
    FetchResponse {
        error_code: ErrorCode::NONE,
        high_watermark: hw,
        log_start_offset: 0,
        records: records
            .iter()
            .map(|(offset, value)| OffsetRecord { offset: *offset, epoch: 0, value: *value })
            .collect(),
        diverging_epoch: None,
        preferred_read_replica: preferred,
        current_leader: LeaderIdAndEpoch { leader_id: 1, leader_epoch: 0 },
        fetch_offset: records.first().map_or(0, |r| r.0),
        request_leader_epoch: 0,
    }
}

/// A consumer in rack b that read `records` from broker 1, answered with `hw`, and the history
/// the shell would have written of it.
fn consumer_that_read(records: &[(i64, u64)], hw: i64) -> (Consumer, History) {
    let mut consumer = Consumer::new(ConsumerConfig::new(0, Some("b".into())));
    let mut history = History::default();
    consumer.handle(0, Input::Start);
    let m = metadata(vec![1, 2, 3]);
    consumer.handle(1, Input::Message { from: NodeId::Controller, message: Message::MetadataResponse(m.clone()) });
    history.push(
        1,
        What::Received {
            client: "consumer-0".into(),
            broker: 2,
            correlation_id: 1,
            latency_ms: 1,
            response: String::new(),
            unmodelled_error: None,
            message: Message::MetadataResponse(m),
        },
    );
    let reply = answer(records, hw, -1);
    consumer.handle(2, Input::Message { from: NodeId::Broker(1), message: Message::FetchResponse(reply) });
    let delivered: Vec<RecordAt> = consumer.delivered().iter().copied().map(RecordAt::from).collect();
    assert_eq!(delivered.len(), records.len(), "the consumer takes every record it is given");
    history.push(2, What::Delivered { client: "consumer-0".into(), served_by: 1, served_hw: hw, records: delivered });
    (consumer, history)
}

fn committed(values: &[u64], hw: i64) -> FinalRead {
    FinalRead {
        leader: 1,
        high_watermark: hw,
        records: values.iter().enumerate().map(|(o, v)| RecordAt { offset: o as i64, epoch: 0, value: *v }).collect(),
    }
}

fn verdict<'a>(verdicts: &'a [Verdict], property: &str) -> &'a Verdict {
    verdicts.iter().find(|v| v.property == property).unwrap_or_else(|| panic!("no verdict on {property}"))
}

#[test]
fn a_correct_run_holds_on_every_property() {
    let (consumer, mut history) = consumer_that_read(&[(0, 10), (1, 11)], 2);
    history.push(3, What::Acknowledged { value: 10, offset: 0 });
    let verdicts = judge::judge(&[&consumer], &history, &committed(&[10, 11], 2));
    assert!(verdicts.iter().all(|v| v.holds), "{verdicts:#?}");
    assert_eq!(verdicts.len(), 7);
}

#[test]
fn a_record_served_at_the_high_watermark_is_caught() {
    // The replica's answer says HW 1 yet carries offset 1.
    let (consumer, history) = consumer_that_read(&[(0, 10), (1, 11)], 1);
    let verdicts = judge::judge(&[&consumer], &history, &committed(&[10, 11], 2));
    assert!(!verdict(&verdicts, "no-read-above-hw").holds);
}

#[test]
fn a_consumed_record_the_final_read_does_not_hold_is_caught() {
    let (consumer, history) = consumer_that_read(&[(0, 10), (1, 11)], 2);
    // The log was truncated under the consumer: offset 1 now holds another value.
    let verdicts = judge::judge(&[&consumer], &history, &committed(&[10, 99], 2));
    assert!(!verdict(&verdicts, "consumed-is-committed").holds);
    assert!(verdict(&verdicts, "no-read-above-hw").holds);
}

#[test]
fn an_acknowledged_record_that_is_lost_is_caught() {
    let (consumer, mut history) = consumer_that_read(&[(0, 10)], 1);
    history.push(3, What::Acknowledged { value: 11, offset: 1 });
    let verdicts = judge::judge(&[&consumer], &history, &committed(&[10], 1));
    let lost = verdict(&verdicts, "acknowledged-kept");
    assert!(!lost.holds);
    assert!(lost.detail.contains("value 11 at offset 1"), "{}", lost.detail);
}

#[test]
fn a_position_past_the_committed_log_is_caught() {
    let (consumer, history) = consumer_that_read(&[(0, 10), (1, 11)], 2);
    let verdicts = judge::judge(&[&consumer], &history, &committed(&[10], 1));
    assert!(!verdict(&verdicts, "consumer-position-committed").holds);
}

fn redirect_at(history: &mut History, at: u64, to: i32) {
    history.push(
        at,
        What::Received {
            client: "consumer-0".into(),
            broker: 1,
            correlation_id: 7,
            latency_ms: 1,
            response: String::new(),
            unmodelled_error: None,
            message: Message::FetchResponse(answer(&[], 2, to)),
        },
    );
}

#[test]
fn a_redirect_outside_every_nearby_isr_is_caught_and_one_inside_is_not() {
    let (consumer, mut history) = consumer_that_read(&[(0, 10)], 1);
    history.push(10, What::Partition { broker: 1, leader: 1, leader_epoch: 0, isr: vec![1, 2] });
    redirect_at(&mut history, 20, 2);
    let verdicts = judge::judge(&[&consumer], &history, &committed(&[10], 1));
    assert!(verdict(&verdicts, "preferred-replica-in-isr").holds);
    redirect_at(&mut history, 30, 3);
    let verdicts = judge::judge(&[&consumer], &history, &committed(&[10], 1));
    let outside = verdict(&verdicts, "preferred-replica-in-isr");
    assert!(!outside.holds);
    assert!(outside.detail.contains("named replica 3"), "{}", outside.detail);
}

#[test]
fn a_replica_the_controller_adds_just_after_the_redirect_is_in_the_isr() {
    let (consumer, mut history) = consumer_that_read(&[(0, 10)], 1);
    history.push(10, What::Partition { broker: 1, leader: 1, leader_epoch: 0, isr: vec![1] });
    redirect_at(&mut history, 20, 3);
    history.push(1_000, What::Partition { broker: 1, leader: 1, leader_epoch: 0, isr: vec![1, 3] });
    let verdicts = judge::judge(&[&consumer], &history, &committed(&[10], 1));
    assert!(verdict(&verdicts, "preferred-replica-in-isr").holds);
}

#[test]
fn figures_count_the_stall_from_the_cut_and_the_reads_while_it_lasts() {
    let mut history = History::default();
    for (at, value) in [(0, 1), (200, 2), (1_000, 3), (1_200, 4)] {
        history.push(at, What::Produced { value });
    }
    history.push(
        100,
        What::Delivered {
            client: "consumer-0".into(),
            served_by: 3,
            served_hw: 1,
            records: vec![RecordAt { offset: 0, epoch: 0, value: 1 }],
        },
    );
    history.push(500, What::Step { what: "cut: rack a isolated".into() });
    history.push(
        2_500,
        What::Delivered {
            client: "consumer-0".into(),
            served_by: 3,
            served_hw: 4,
            records: (1..4).map(|o| RecordAt { offset: o, epoch: 0, value: o as u64 + 1 }).collect(),
        },
    );
    history.push(3_000, What::Step { what: "heal: rack a isolated".into() });
    history.push(4_000, What::Step { what: "end".into() });
    let f = figures::figures(&history, "b");
    assert_eq!(f.first_visible_after_ms, Some(1_500), "value 3, produced at 1.0 s, read at 2.5 s");
    assert_eq!(f.longest_stall_ms, 2_000, "from the cut at 0.5 s to the read at 2.5 s");
    assert_eq!(f.read_during_outage, 3);
    assert_eq!(f.produced_during_outage, 2);
}

/// Step a consumer as the shell does, recording what it delivers.
fn step(consumer: &mut Consumer, history: &mut History, at: u64, from: NodeId, message: Message) {
    let served = match (&from, &message) {
        (NodeId::Broker(b), Message::FetchResponse(r)) => (*b, r.high_watermark),
        _ => (-1, -1),
    };
    for output in consumer.handle(at, Input::Message { from, message }) {
        if let highwater_protocol::Output::DeliverRecords(records) = output {
            let records = records.into_iter().map(RecordAt::from).collect();
            history.push(
                at,
                What::Delivered { client: "consumer-0".into(), served_by: served.0, served_hw: served.1, records },
            );
        }
    }
}

#[test]
fn a_follower_out_of_range_taken_as_a_reset_is_caught_by_the_consumer_prefix() {
    use highwater_protocol::{Bug, Bugs, ListOffsetsResponse, EARLIEST_TIMESTAMP};
    let mut config = ConsumerConfig::new(0, Some("b".into()));
    config.bugs = Bugs::only(Bug::FollowerOutOfRangeResets);
    let mut consumer = Consumer::new(config);
    let mut history = History::default();
    consumer.handle(0, Input::Start);
    step(&mut consumer, &mut history, 1, NodeId::Controller, Message::MetadataResponse(metadata(vec![1, 2, 3])));
    step(&mut consumer, &mut history, 2, NodeId::Broker(1), Message::FetchResponse(answer(&[], 2, 3)));
    step(&mut consumer, &mut history, 3, NodeId::Broker(3), Message::FetchResponse(answer(&[(0, 10), (1, 11)], 2, -1)));
    let out_of_range =
        FetchResponse { error_code: ErrorCode::OFFSET_OUT_OF_RANGE, fetch_offset: 2, ..answer(&[], 2, -1) };
    step(&mut consumer, &mut history, 4, NodeId::Broker(3), Message::FetchResponse(out_of_range));
    let earliest =
        ListOffsetsResponse { error_code: ErrorCode::NONE, offset: 0, leader_epoch: 0, timestamp: EARLIEST_TIMESTAMP };
    step(&mut consumer, &mut history, 5, NodeId::Broker(1), Message::ListOffsetsResponse(earliest));
    step(&mut consumer, &mut history, 6, NodeId::Broker(3), Message::FetchResponse(answer(&[(0, 10), (1, 11)], 2, -1)));
    assert_eq!(consumer.delivered().len(), 4, "the consumer read offsets 0 and 1 twice");
    let verdicts = judge::judge(&[&consumer], &history, &committed(&[10, 11], 2));
    assert!(!verdict(&verdicts, "consumer-prefix").holds, "{verdicts:#?}");
    assert!(verdict(&verdicts, "consumed-is-committed").holds);
}

#[test]
fn a_list_offsets_answer_that_goes_back_is_caught() {
    use highwater_protocol::{ListOffsetsResponse, SeekTo, LATEST_TIMESTAMP};
    let mut consumer = Consumer::new(ConsumerConfig::new(0, Some("b".into())));
    let mut history = History::default();
    consumer.handle(0, Input::Start);
    step(&mut consumer, &mut history, 1, NodeId::Controller, Message::MetadataResponse(metadata(vec![1, 2, 3])));
    for (at, offset) in [(2, 5), (4, 3)] {
        consumer.handle(at, Input::Seek(SeekTo::End));
        let latest =
            ListOffsetsResponse { error_code: ErrorCode::NONE, offset, leader_epoch: 0, timestamp: LATEST_TIMESTAMP };
        step(&mut consumer, &mut history, at + 1, NodeId::Broker(1), Message::ListOffsetsResponse(latest));
    }
    assert_eq!(consumer.list_offsets_latest_seen(), &[5, 3]);
    let verdicts = judge::judge(&[&consumer], &history, &committed(&[1, 2, 3, 4, 5], 5));
    assert!(!verdict(&verdicts, "list-offsets-monotonic").holds);
}

fn fetch_answer_at(history: &mut History, at: u64, broker: i32, hw: i64) {
    let mut reply = answer(&[], hw, -1);
    reply.high_watermark = hw;
    history.push(
        at,
        What::Received {
            client: "consumer-0".into(),
            broker,
            correlation_id: 9,
            latency_ms: 1,
            response: String::new(),
            unmodelled_error: None,
            message: Message::FetchResponse(reply),
        },
    );
}

#[test]
fn a_record_read_as_the_high_watermark_moved_is_judged_by_the_next_answer() {
    // Kafka reports the HW it saw before reading (`Partition.readRecords`): the answer says HW 0
    // and carries offset 0, read once the HW had reached 1; the replica's next answer says 2.
    let (consumer, mut history) = consumer_that_read(&[(0, 10)], 0);
    fetch_answer_at(&mut history, 3, 1, 2);
    let verdicts = judge::judge(&[&consumer], &history, &committed(&[10, 11], 2));
    assert!(verdict(&verdicts, "no-read-above-hw").holds, "{verdicts:#?}");
}

#[test]
fn a_record_above_every_high_watermark_the_replica_reports_is_caught() {
    // Offset 1 served with HW 1, and the replica's next answer still says 1.
    let (consumer, mut history) = consumer_that_read(&[(0, 10), (1, 11)], 1);
    fetch_answer_at(&mut history, 3, 1, 1);
    let verdicts = judge::judge(&[&consumer], &history, &committed(&[10, 11], 2));
    assert!(!verdict(&verdicts, "no-read-above-hw").holds);
}
