//! No node panics on any message it can receive, however stale or odd: arbitrary field values
//! (negative offsets, epochs far ahead or behind, unknown brokers, records out of order) from
//! any sender, delivered to every kind of node in the middle of a real run.

use crate::common;

use highwater_protocol::sim::{Cluster, ClusterConfig};
use highwater_protocol::*;
use proptest::prelude::*;

fn offset() -> impl Strategy<Value = Offset> {
    prop_oneof![-3i64..8, Just(i64::MAX), Just(i64::MIN)]
}

fn epoch() -> impl Strategy<Value = LeaderEpoch> {
    prop_oneof![-2i32..6, Just(i32::MAX), Just(i32::MIN)]
}

fn broker_id() -> impl Strategy<Value = BrokerId> {
    prop_oneof![-2i32..6, Just(i32::MAX)]
}

fn error_code() -> impl Strategy<Value = ErrorCode> {
    prop::sample::select(ErrorCode::ALL.to_vec())
}

fn record() -> impl Strategy<Value = OffsetRecord> {
    (offset(), epoch(), 0u64..5).prop_map(|(offset, epoch, value)| OffsetRecord { offset, epoch, value })
}

fn ids() -> impl Strategy<Value = Vec<BrokerId>> {
    prop::collection::vec(broker_id(), 0..4)
}

fn replicas() -> impl Strategy<Value = Vec<ReplicaInfo>> {
    prop::collection::vec(
        (broker_id(), prop::option::of(prop::sample::select(vec!["a", "b", "z"])))
            .prop_map(|(broker_id, rack)| ReplicaInfo { broker_id, rack: rack.map(str::to_string) }),
        0..4,
    )
}

fn message() -> impl Strategy<Value = Message> {
    prop_oneof![
        (any::<i16>(), 0u64..5).prop_map(|(acks, value)| Message::Produce(ProduceRequest { acks, value })),
        (error_code(), offset(), 0u64..5, broker_id(), epoch()).prop_map(
            |(error_code, base_offset, value, leader_id, leader_epoch)| Message::ProduceResponse(ProduceResponse {
                error_code,
                base_offset,
                value,
                current_leader: LeaderIdAndEpoch { leader_id, leader_epoch },
            })
        ),
        (broker_id(), prop::sample::select(vec!["", "a", "b"]), epoch(), offset(), epoch(), offset()).prop_map(
            |(replica_id, rack, current_leader_epoch, fetch_offset, last_fetched_epoch, log_start_offset)| {
                Message::Fetch(FetchRequest {
                    replica_id,
                    rack_id: rack.to_string(),
                    current_leader_epoch,
                    fetch_offset,
                    last_fetched_epoch,
                    log_start_offset,
                })
            }
        ),
        (
            error_code(),
            offset(),
            prop::collection::vec(record(), 0..4),
            prop::option::of((epoch(), offset())),
            broker_id(),
            (broker_id(), epoch()),
            offset(),
            epoch()
        )
            .prop_map(
                |(
                    error_code,
                    hw,
                    records,
                    diverging,
                    preferred,
                    (leader_id, leader_epoch),
                    fetch_offset,
                    request_epoch,
                )| {
                    Message::FetchResponse(FetchResponse {
                        error_code,
                        high_watermark: hw,
                        log_start_offset: 0,
                        records,
                        diverging_epoch: diverging.map(|(epoch, end_offset)| EpochEndOffset { epoch, end_offset }),
                        preferred_read_replica: preferred,
                        current_leader: LeaderIdAndEpoch { leader_id, leader_epoch },
                        fetch_offset,
                        request_leader_epoch: request_epoch,
                    })
                }
            ),
        (broker_id(), epoch(), epoch()).prop_map(|(replica_id, current_leader_epoch, leader_epoch)| {
            Message::OffsetsForLeaderEpoch(OffsetsForLeaderEpochRequest {
                replica_id,
                current_leader_epoch,
                leader_epoch,
            })
        }),
        (error_code(), epoch(), offset(), epoch(), epoch()).prop_map(
            |(error_code, leader_epoch, end_offset, requested_epoch, request_leader_epoch)| {
                Message::OffsetsForLeaderEpochResponse(OffsetsForLeaderEpochResponse {
                    error_code,
                    leader_epoch,
                    end_offset,
                    requested_epoch,
                    request_leader_epoch,
                })
            }
        ),
        (broker_id(), epoch(), prop_oneof![Just(-1i64), Just(-2), any::<i64>()]).prop_map(
            |(replica_id, current_leader_epoch, timestamp)| {
                Message::ListOffsets(ListOffsetsRequest { replica_id, current_leader_epoch, timestamp })
            }
        ),
        (error_code(), offset(), epoch(), prop_oneof![Just(-1i64), Just(-2), any::<i64>()]).prop_map(
            |(error_code, offset, leader_epoch, timestamp)| {
                Message::ListOffsetsResponse(ListOffsetsResponse { error_code, offset, leader_epoch, timestamp })
            }
        ),
        Just(Message::Metadata(MetadataRequest {})),
        (broker_id(), epoch(), replicas(), ids(), ids()).prop_map(
            |(leader_id, leader_epoch, replicas, isr_nodes, offline_replicas)| {
                Message::MetadataResponse(MetadataResponse {
                    leader_id,
                    leader_epoch,
                    replicas,
                    isr_nodes,
                    offline_replicas,
                })
            }
        ),
        (broker_id(), epoch(), epoch(), ids()).prop_map(|(broker_id, leader_epoch, partition_epoch, new_isr)| {
            Message::AlterPartition(AlterPartitionRequest { broker_id, leader_epoch, partition_epoch, new_isr })
        }),
        (error_code(), broker_id(), epoch(), ids(), epoch(), epoch(), ids()).prop_map(
            |(error_code, leader_id, leader_epoch, isr, partition_epoch, request_partition_epoch, requested_isr)| {
                Message::AlterPartitionResponse(AlterPartitionResponse {
                    error_code,
                    leader_id,
                    leader_epoch,
                    isr,
                    partition_epoch,
                    request_partition_epoch,
                    requested_isr,
                })
            }
        ),
        (broker_id(), epoch(), epoch(), ids(), replicas()).prop_map(
            |(leader, leader_epoch, partition_epoch, isr, replicas)| {
                Message::PartitionChange(PartitionChange { leader, leader_epoch, partition_epoch, isr, replicas })
            }
        ),
    ]
}

fn node() -> impl Strategy<Value = NodeId> {
    prop_oneof![
        Just(NodeId::Controller),
        (-1i32..5).prop_map(NodeId::Broker),
        (0u32..3).prop_map(NodeId::Consumer),
        Just(NodeId::Producer),
    ]
}

/// A cluster some way into a run: leader elected, records produced, consumers fetching.
fn running_cluster(bugs: Bugs) -> Cluster {
    let config =
        ClusterConfig::with_racks(&["a", "b", "b"]).selector(SelectorKind::RackAware).consumer(Some("b")).bugs(bugs);
    let mut cluster = Cluster::new(config);
    cluster.run_until_quiet(1_000);
    cluster.produce(1);
    cluster.produce(2);
    cluster.run_for(2_000, 10_000);
    cluster
}

proptest! {
    #![proptest_config(common::proptest_config(512))]

    #[test]
    fn every_node_survives_any_message(
        messages in prop::collection::vec((node(), message()), 1..20),
        all_bugs in any::<bool>(),
    ) {
        let bugs = if all_bugs { Bug::ALL.iter().copied().collect() } else { Bugs::NONE };
        let cluster = running_cluster(bugs);
        let mut controller = cluster.controller().clone();
        let mut brokers: Vec<Broker> = cluster.broker_ids().iter().map(|b| cluster.broker(*b).unwrap().clone()).collect();
        let mut consumer = cluster.consumer(0).unwrap().clone();
        let mut producer = cluster.producer().clone();
        let mut now = cluster.now();
        for (from, message) in messages {
            now += 1;
            let input = Input::Message { from, message };
            controller.handle(now, input.clone());
            for broker in &mut brokers {
                broker.handle(now, input.clone());
            }
            consumer.handle(now, input.clone());
            producer.handle(now, input);
        }
        // And every timer and command, in whatever state the odd messages left them.
        for timer in TimerKind::ALL {
            for broker in &mut brokers {
                broker.handle(now, Input::Timer(timer));
            }
            consumer.handle(now, Input::Timer(timer));
            producer.handle(now, Input::Timer(timer));
        }
        consumer.handle(now, Input::Seek(SeekTo::Offset(-5)));
        controller.handle(now, Input::BrokerFenced(99));
        controller.handle(now, Input::BrokerUnfenced(-1));
    }
}
