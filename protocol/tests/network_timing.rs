//! `sim::Cluster`'s clock for what the network does: outages that lose messages silently, so
//! that a request times out after `request.timeout.ms`; an ISR change that takes time to reach
//! the brokers; and the follower's caught-up time, which a quiet partition's long polls renew.
//! Leader in rack a, followers in b and c, a consumer in b.

use highwater_protocol::sim::{Cluster, ClusterConfig, Outage};
use highwater_protocol::*;

fn cluster(configure: impl Fn(&mut ClusterConfig)) -> Cluster {
    let mut config = ClusterConfig::with_racks(&["a", "b", "c"]).selector(SelectorKind::RackAware).consumer(Some("b"));
    configure(&mut config);
    let mut cluster = Cluster::new(config);
    cluster.run_for(10_000, usize::MAX);
    cluster
}

fn preferred(cluster: &Cluster) -> Option<BrokerId> {
    cluster.consumer(0).and_then(|c| c.preferred_read_replica()).map(|p| p.broker_id)
}

/// Rack b's brokers cut off while the consumer reads from follower 2: with a reset connection
/// the consumer learns at once and goes back to the leader; with a black hole it learns only when
/// its request times out.
#[test]
fn a_black_holed_fetch_is_failed_only_when_its_request_times_out() {
    for black_hole in [false, true] {
        let mut cluster = cluster(|c| c.black_hole_outages = black_hole);
        assert_eq!(preferred(&cluster), Some(2));
        let cut_at = cluster.now();
        cluster.cut_rack("b").unwrap();
        let mut left_at = None;
        while cluster.step(cut_at + 60_000).is_some() {
            if left_at.is_none() && preferred(&cluster) != Some(2) {
                left_at = Some(cluster.now());
            }
        }
        let waited = left_at.expect("the consumer leaves its cut-off follower") - cut_at;
        let request_timeout = cluster.consumer(0).unwrap().config().request_timeout_ms;
        if black_hole {
            assert!(waited > request_timeout - 1_000 && waited <= request_timeout, "left after {waited} ms");
        } else {
            assert_eq!(waited, 0, "a reset connection is noticed at once");
        }
        let consumer_waits = cluster.pending_timeouts().filter(|(requester, _, _)| *requester == NodeId::Consumer(0));
        assert_eq!(consumer_waits.count(), 0, "the consumer's lost fetch timed out");
    }
}

/// With the controller's notices taking `isr_propagation_ms` to arrive, a fenced follower's
/// removal from the ISR reaches the leader that much later, and so does the HW it was holding.
#[test]
fn an_isr_change_reaches_the_leader_after_the_propagation_delay() {
    let hw_after_fence = |propagation: Millis| {
        let mut cluster = cluster(|c| c.isr_propagation_ms = propagation);
        cluster.cut_rack("c").unwrap();
        cluster.produce(1);
        let start = cluster.now();
        while cluster.step(start + 120_000).is_some() {
            if cluster.broker(1).unwrap().high_watermark() == 1 {
                return cluster.now() - start;
            }
        }
        panic!("the HW never passed the record");
    };
    let (prompt, delayed) = (hw_after_fence(0), hw_after_fence(5_000));
    assert_eq!(prompt, 9_000, "the follower's session runs out after broker.session.timeout.ms");
    assert_eq!(delayed, prompt + 5_000);
}

/// Follower 3 stops reaching the leader after a quiet minute: it was caught up at its last long
/// poll, just before it stopped, so it leaves the ISR `replica.lag.time.max.ms` later (at the
/// check after that), not at the first check after its last record.
#[test]
fn a_follower_stopped_after_a_quiet_spell_leaves_the_isr_a_lag_time_after_it_stopped() {
    let mut config = ClusterConfig::with_racks(&["a", "b", "c"]).consumer(Some("b"));
    config.black_hole_outages = true;
    let mut cluster = Cluster::new(config);
    cluster.produce(1);
    cluster.run_for(60_000, usize::MAX);
    let stopped = cluster.now();
    cluster.cut(Outage::OneWay("c".into(), "a".into())).unwrap();
    cluster.produce(2);
    while cluster.step(stopped + 120_000).is_some() {
        if !cluster.broker(1).unwrap().isr().contains(&3) {
            break;
        }
    }
    let shrunk_after = cluster.now() - stopped;
    assert!((30_000..=45_000).contains(&shrunk_after), "left the ISR {shrunk_after} ms after it stopped");
}

/// The same follower stops reaching the leader, one way, with outages that black-hole messages,
/// and the partition stays quiet for a minute after: its parked fetch is gone with the cut, as
/// Kafka's would be answered at its deadline and the next fetch lost, so it counts as caught up
/// only until the cut and leaves the ISR at the first check after the next record.
#[test]
fn a_follower_cut_off_one_way_is_not_renewed_past_the_cut() {
    let mut config = ClusterConfig::with_racks(&["a", "b", "c"]).consumer(Some("b"));
    config.black_hole_outages = true;
    let mut cluster = Cluster::new(config);
    cluster.produce(1);
    cluster.run_for(60_000, usize::MAX);
    cluster.cut(Outage::OneWay("c".into(), "a".into())).unwrap();
    cluster.run_for(60_000, usize::MAX);
    assert!(cluster.broker(1).unwrap().isr().contains(&3), "nothing to lag behind yet");
    let produced = cluster.now();
    cluster.produce(2);
    while cluster.step(produced + 120_000).is_some() {
        if !cluster.broker(1).unwrap().isr().contains(&3) {
            break;
        }
    }
    let check_interval = 15_000;
    assert!(
        cluster.now() - produced <= check_interval,
        "left the ISR {} ms after the record",
        cluster.now() - produced
    );
}

/// A follower's fetch times out while the leader's answer to it is on the way. Without a
/// closed connection that answer arrives after the fetch that replaced it and is taken for that
/// fetch's; the replacement, a step behind, is answered with the leader's new HW and dropped as
/// stale, and the leader, having recorded that HW as sent, parks the follower's next fetch for
/// good: the follower's HW stalls and a consumer reading from it never gets the record. The
/// timeout closes the connection instead, so the late answer is lost with it.
#[test]
fn an_answer_to_a_fetch_that_timed_out_never_arrives() {
    let config = ClusterConfig::with_racks(&["a", "b", "c"]).selector(SelectorKind::RackAware).consumer(Some("b"));
    let mut cluster = Cluster::new(config);
    cluster.produce(1);
    cluster.run_for(5_000, usize::MAX);
    let (leader, follower) = (NodeId::Broker(1), NodeId::Broker(2));
    assert_eq!(cluster.network().queue(follower, leader).count(), 0, "the follower's fetch is parked");
    // A record answers the parked fetch; the answer is on the way when the request times out.
    cluster.produce(2);
    cluster.deliver(NodeId::Producer, leader).unwrap();
    assert_eq!(cluster.network().queue(leader, follower).count(), 1, "the answer is on the way");
    cluster.fire_timer(follower, TimerKind::ReplicaFetch).unwrap();
    assert_eq!(cluster.network().queue(leader, follower).count(), 0, "the late answer was lost with its connection");
    let fetches: Vec<&Message> = cluster.network().queue(follower, leader).collect();
    assert!(matches!(fetches[..], [Message::Fetch(FetchRequest { fetch_offset: 1, .. })]), "{fetches:?}");
    cluster.run_for(30_000, usize::MAX);
    let leader_hw = cluster.broker(1).unwrap().high_watermark();
    assert_eq!((leader_hw, cluster.broker(2).unwrap().high_watermark()), (2, 2));
    let values: Vec<u64> = cluster.consumer(0).unwrap().delivered().iter().map(|r| r.value).collect();
    assert_eq!(values, vec![1, 2]);
}
