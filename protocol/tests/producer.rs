//! The producer's retries.

use crate::common::*;
use highwater_protocol::*;

fn metadata(leader: BrokerId, epoch: LeaderEpoch) -> Input {
    from_controller(Message::MetadataResponse(MetadataResponse {
        leader_id: leader,
        leader_epoch: epoch,
        replicas: replicas(),
        isr_nodes: vec![1, 2, 3],
        offline_replicas: Vec::new(),
    }))
}

fn refused(from: BrokerId, value: u64, hint: LeaderIdAndEpoch) -> Input {
    let response =
        ProduceResponse { error_code: ErrorCode::NOT_LEADER_OR_FOLLOWER, base_offset: -1, value, current_leader: hint };
    from_broker(from, Message::ProduceResponse(response))
}

fn produce_to(outputs: &[Output]) -> Option<NodeId> {
    sent(outputs).into_iter().find_map(|(to, m)| matches!(m, Message::Produce(_)).then_some(to))
}

fn producer_at_leader_1() -> Producer {
    let mut producer = Producer::new(ProducerConfig::default());
    producer.handle(0, Input::Start);
    producer.handle(0, metadata(1, 0));
    assert_eq!(produce_to(&producer.handle(0, Input::Produce(7))), Some(NodeId::Broker(1)));
    producer
}

/// KIP-951, as Kafka 4.4.0's `Sender` and `RecordAccumulator.shouldBackoff` do it: a refusal for
/// leadership that names a newer leader is retried there at once, metadata asked for as well.
#[test]
fn a_refusal_naming_a_newer_leader_is_retried_there_at_once() {
    let mut producer = producer_at_leader_1();
    let out = producer.handle(10, refused(1, 7, LeaderIdAndEpoch { leader_id: 2, leader_epoch: 1 }));
    assert_eq!(produce_to(&out), Some(NodeId::Broker(2)));
    assert!(sent(&out).iter().any(|(to, m)| *to == NodeId::Controller && matches!(m, Message::Metadata(_))));
    assert_eq!(producer.leader(), Some(2));
}

/// Without a newer leader in the refusal, the producer waits `retry.backoff.ms` and retries
/// where metadata then points.
#[test]
fn a_refusal_without_a_newer_leader_backs_off() {
    let mut producer = producer_at_leader_1();
    let out = producer.handle(10, refused(1, 7, LeaderIdAndEpoch { leader_id: 1, leader_epoch: 0 }));
    assert_eq!(produce_to(&out), None);
    assert!(out.contains(&Output::SetTimer { timer: TimerKind::ProduceRetry, after_ms: 100 }), "{out:?}");
    let out = producer.handle(110, Input::Timer(TimerKind::ProduceRetry));
    assert!(sent(&out).iter().any(|(to, m)| *to == NodeId::Controller && matches!(m, Message::Metadata(_))));
    assert_eq!(produce_to(&producer.handle(110, metadata(2, 1))), Some(NodeId::Broker(2)));
}

/// `NetworkClient.handleTimedOutRequests`: a produce that times out closes its connection, so
/// its answer cannot come back and be taken for the retry's (the same value, to the same broker).
#[test]
fn a_timed_out_produce_closes_its_connection() {
    let mut producer = producer_at_leader_1();
    let out = producer.handle(30_000, Input::Timer(TimerKind::ProduceRetry));
    assert!(out.contains(&Output::Disconnect(NodeId::Broker(1))), "{out:?}");
    assert!(sent(&out).iter().any(|(to, m)| *to == NodeId::Controller && matches!(m, Message::Metadata(_))));
    assert_eq!(produce_to(&producer.handle(30_000, metadata(1, 0))), Some(NodeId::Broker(1)));
}
