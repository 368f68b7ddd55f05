//! `sim::Cluster`'s per-consumer counters, on runs whose counts can be worked out by hand: a
//! consumer in rack b with the leader in rack a and two followers in b.

use highwater_protocol::sim::{Cluster, ClusterConfig, ConsumerMetrics};
use highwater_protocol::*;

/// Three records, produced 5 s apart, with the consumer reading all along.
fn three_records(selector: SelectorKind) -> Cluster {
    let config = ClusterConfig::with_racks(&["a", "b", "b"]).selector(selector).consumer(Some("b"));
    let mut cluster = Cluster::new(config);
    cluster.run_for(1_000, 100_000);
    for value in 1..=3 {
        cluster.produce(value);
        cluster.run_for(5_000, 100_000);
    }
    assert_eq!(cluster.consumer(0).unwrap().delivered().len(), 3);
    cluster
}

fn metrics(cluster: &Cluster) -> ConsumerMetrics {
    cluster.consumer_metrics(0).unwrap().clone()
}

/// The leader redirects the consumer once, to a follower in its rack, which serves every record:
/// nothing crosses racks.
#[test]
fn a_rack_aware_selector_serves_every_record_from_the_consumers_rack() {
    let m = metrics(&three_records(SelectorKind::RackAware));
    assert_eq!((m.records_from_leader, m.records_from_followers, m.records_across_racks), (0, 3, 0), "{m:?}");
    assert_eq!(m.fetches_from_leader, 1, "one answer from the leader, the redirect: {m:?}");
    assert_eq!(m.fetches_across_racks, 1, "the redirect crosses racks, nothing else: {m:?}");
    assert!(m.fetches_from_followers >= 3, "{m:?}");
    assert_eq!((m.preferred_replica_changes, m.lease_expiries), (1, 0), "{m:?}");
}

/// Without follower fetching every record comes from the leader, in another rack.
#[test]
fn the_leader_selector_serves_every_record_across_racks() {
    let m = metrics(&three_records(SelectorKind::Leader));
    assert_eq!((m.records_from_leader, m.records_from_followers, m.records_across_racks), (3, 0, 3), "{m:?}");
    assert_eq!(m.fetches_from_followers, 0);
    assert_eq!(m.fetches_across_racks, m.fetches_from_leader, "{m:?}");
    assert_eq!((m.preferred_replica_changes, m.lease_expiries), (0, 0), "{m:?}");
}

/// The preferred replica's lease is `metadata.max.age.ms` (300 s): when it runs out the consumer
/// goes back to the leader, which redirects it again.
#[test]
fn a_lease_that_runs_out_sends_the_consumer_back_to_the_leader_once() {
    let mut cluster = three_records(SelectorKind::RackAware);
    cluster.run_for(300_000, 10_000_000);
    let m = metrics(&cluster);
    assert_eq!(m.lease_expiries, 1, "{m:?}");
    assert_eq!(m.preferred_replica_changes, 3, "dropped, then chosen again: {m:?}");
    assert_eq!(m.fetches_from_leader, 2, "the first redirect and the second: {m:?}");
}
