//! Helpers for driving single nodes with hand-made messages.
#![allow(dead_code)]

pub mod invariants;

use highwater_protocol::*;

/// Replicas 1, 2, 3 in racks a, b, b.
pub fn replicas() -> Vec<ReplicaInfo> {
    [(1, "a"), (2, "b"), (3, "b")]
        .into_iter()
        .map(|(broker_id, rack)| ReplicaInfo { broker_id, rack: Some(rack.to_string()) })
        .collect()
}

pub fn notice(leader: BrokerId, leader_epoch: LeaderEpoch, partition_epoch: i32, isr: &[BrokerId]) -> Message {
    Message::PartitionChange(PartitionChange {
        leader,
        leader_epoch,
        partition_epoch,
        isr: isr.to_vec(),
        replicas: replicas(),
    })
}

pub fn broker_config(id: BrokerId) -> BrokerConfig {
    let rack = replicas().into_iter().find(|r| r.broker_id == id).and_then(|r| r.rack);
    BrokerConfig::new(id, rack)
}

/// A broker that applied `notice(leader, epoch, 0, isr)` at time 0.
pub fn broker_in(config: BrokerConfig, leader: BrokerId, epoch: LeaderEpoch, isr: &[BrokerId]) -> Broker {
    let mut broker = Broker::new(config);
    broker.handle(0, from_controller(notice(leader, epoch, 0, isr)));
    broker
}

pub fn from_controller(message: Message) -> Input {
    Input::Message { from: NodeId::Controller, message }
}

pub fn from_broker(id: BrokerId, message: Message) -> Input {
    Input::Message { from: NodeId::Broker(id), message }
}

pub fn from_consumer(id: u32, message: Message) -> Input {
    Input::Message { from: NodeId::Consumer(id), message }
}

pub fn replica_fetch(
    replica_id: BrokerId,
    epoch: LeaderEpoch,
    fetch_offset: Offset,
    last_fetched_epoch: LeaderEpoch,
) -> Message {
    Message::Fetch(FetchRequest {
        replica_id,
        rack_id: String::new(),
        current_leader_epoch: epoch,
        fetch_offset,
        last_fetched_epoch,
        log_start_offset: 0,
    })
}

pub fn consumer_fetch(rack: &str, epoch: LeaderEpoch, fetch_offset: Offset) -> Message {
    Message::Fetch(FetchRequest {
        replica_id: CONSUMER_REPLICA_ID,
        rack_id: rack.to_string(),
        current_leader_epoch: epoch,
        fetch_offset,
        last_fetched_epoch: NO_EPOCH,
        log_start_offset: -1,
    })
}

pub fn produce(value: u64) -> Input {
    Input::Message { from: NodeId::Producer, message: Message::Produce(ProduceRequest { acks: -1, value }) }
}

/// Every message sent, in order.
pub fn sent(outputs: &[Output]) -> Vec<(NodeId, Message)> {
    outputs
        .iter()
        .filter_map(|o| match o {
            Output::Send { to, message } => Some((*to, message.clone())),
            _ => None,
        })
        .collect()
}

pub fn fetch_responses(outputs: &[Output]) -> Vec<FetchResponse> {
    sent(outputs)
        .into_iter()
        .filter_map(|(_, m)| match m {
            Message::FetchResponse(r) => Some(r),
            _ => None,
        })
        .collect()
}

/// The one fetch response among the outputs.
pub fn fetch_response(outputs: &[Output]) -> FetchResponse {
    let mut all = fetch_responses(outputs);
    assert_eq!(all.len(), 1, "expected one fetch response in {outputs:?}");
    all.remove(0)
}

/// The one fetch response among the outputs, or `None` when the fetch waits at the replica
/// (nothing to read yet: Kafka's `DelayedFetch`).
pub fn fetch_response_unless_waiting(outputs: &[Output]) -> Option<FetchResponse> {
    let mut all = fetch_responses(outputs);
    match all.len() {
        0 => {
            assert!(
                outputs.iter().any(|o| matches!(o, Output::SetTimer { timer: TimerKind::FetchWait, .. })),
                "neither answered nor waiting: {outputs:?}"
            );
            None
        }
        1 => Some(all.remove(0)),
        _ => panic!("expected at most one fetch response in {outputs:?}"),
    }
}

pub fn fetches(outputs: &[Output]) -> Vec<(NodeId, FetchRequest)> {
    sent(outputs)
        .into_iter()
        .filter_map(|(to, m)| match m {
            Message::Fetch(r) => Some((to, r)),
            _ => None,
        })
        .collect()
}

pub fn alter_partitions(outputs: &[Output]) -> Vec<AlterPartitionRequest> {
    sent(outputs)
        .into_iter()
        .filter_map(|(_, m)| match m {
            Message::AlterPartition(r) => Some(r),
            _ => None,
        })
        .collect()
}

pub fn ignored(outputs: &[Output]) -> Vec<IgnoreReason> {
    outputs
        .iter()
        .filter_map(|o| match o {
            Output::Ignored(r) => Some(*r),
            _ => None,
        })
        .collect()
}

/// Records at offsets `from..from+values.len()` in `epoch`.
pub fn records(from: Offset, epoch: LeaderEpoch, values: &[u64]) -> Vec<OffsetRecord> {
    values.iter().enumerate().map(|(i, &value)| OffsetRecord { offset: from + i as Offset, epoch, value }).collect()
}

/// A leader (broker 1, epoch `epoch`, ISR `isr`) with these values produced and every other ISR
/// member having fetched up to the end, so the HW is at the LEO.
pub fn leader_with(values: &[u64], epoch: LeaderEpoch, isr: &[BrokerId], now: Millis) -> Broker {
    let mut leader = broker_in(broker_config(1), 1, epoch, isr);
    for &v in values {
        leader.handle(now, produce(v));
    }
    let leo = leader.log_end_offset();
    for &f in isr.iter().filter(|f| **f != 1) {
        leader.handle(now, from_broker(f, replica_fetch(f, epoch, leo, epoch)));
    }
    leader
}

/// Broker 2 following broker 1 in `epoch`, recovered from a log of (epoch, value) and this HW.
pub fn follower_with(config: BrokerConfig, epoch: LeaderEpoch, log: &[(LeaderEpoch, u64)], hw: Offset) -> Broker {
    let mut replica_log = ReplicaLog::new();
    for &(e, value) in log {
        replica_log.append(Record { epoch: e, value });
    }
    let mut follower = Broker::recover(config, DurableState { log: replica_log, high_watermark: hw });
    follower.handle(0, from_controller(notice(1, epoch, 0, &[1, 2, 3])));
    follower
}

/// Broker 1's answer, in `epoch`, to a follower's fetch at `fetch_offset`.
pub fn leader_answer(
    epoch: LeaderEpoch,
    fetch_offset: Offset,
    hw: Offset,
    records: Vec<OffsetRecord>,
    diverging_epoch: Option<EpochEndOffset>,
) -> Input {
    from_broker(
        1,
        Message::FetchResponse(FetchResponse {
            error_code: ErrorCode::NONE,
            high_watermark: hw,
            log_start_offset: 0,
            records,
            diverging_epoch,
            preferred_read_replica: NO_PREFERRED_REPLICA,
            current_leader: LeaderIdAndEpoch { leader_id: 1, leader_epoch: epoch },
            fetch_offset,
            request_leader_epoch: epoch,
        }),
    )
}

/// Broker 1 leading epoch 1 with ISR `isr`: its log holds two epoch-0 records, so its epoch starts
/// at offset 2, while its HW is 1 (KIP-207's window) until every other ISR member has fetched.
pub fn leader_in_window(config: BrokerConfig, isr: &[BrokerId]) -> Broker {
    let mut old = broker_in(broker_config(1), 1, 0, &[1]);
    old.handle(0, produce(1));
    old.handle(0, produce(2));
    let mut leader = Broker::recover(config, DurableState { log: old.log().clone(), high_watermark: 1 });
    leader.handle(0, from_controller(notice(1, 1, 0, isr)));
    leader
}

/// The controller's answer to `request`: the ISR and partition epoch after it, or a refusal.
pub fn answer_alter_partition(
    request: &AlterPartitionRequest,
    error_code: ErrorCode,
    isr: &[BrokerId],
    partition_epoch: i32,
) -> Input {
    from_controller(Message::AlterPartitionResponse(AlterPartitionResponse {
        error_code,
        leader_id: request.broker_id,
        leader_epoch: request.leader_epoch,
        isr: isr.to_vec(),
        partition_epoch,
        request_partition_epoch: request.partition_epoch,
        requested_isr: request.new_isr.clone(),
    }))
}

/// proptest settings: `default_cases` cases from a fixed seed, so that CI runs are reproducible;
/// `PROPTEST_CASES` and `PROPTEST_RNG_SEED` override either (e.g. `PROPTEST_RNG_SEED=random`).
pub fn proptest_config(default_cases: u32) -> proptest::test_runner::Config {
    use proptest::test_runner::{Config, RngSeed};
    let from_env = Config::default();
    let cases = if std::env::var_os("PROPTEST_CASES").is_some() { from_env.cases } else { default_cases };
    let rng_seed = match std::env::var("PROPTEST_RNG_SEED").as_deref() {
        Ok("random") => RngSeed::Random,
        Ok(_) => from_env.rng_seed,
        Err(_) => RngSeed::Fixed(0x4849_4748_5741_5445),
    };
    Config { cases, rng_seed, ..from_env }
}
