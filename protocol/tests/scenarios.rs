//! The questions of the KIP-392 discussion, answered on `sim::Cluster` with every safety
//! invariant checked after every step.

use crate::common::invariants::Invariants;
use highwater_protocol::sim::{Cluster, ClusterConfig, StepOutputs};
use highwater_protocol::*;

/// A cluster checked after every step.
struct Checked {
    cluster: Cluster,
    invariants: Invariants,
    /// Every output so far, with the time of the step that made it.
    log: Vec<(Millis, NodeId, Output)>,
}

impl Checked {
    fn new(config: ClusterConfig) -> Self {
        let mut checked = Checked { cluster: Cluster::new(config), invariants: Invariants::default(), log: Vec::new() };
        checked.run(1_000);
        checked
    }

    fn record(&mut self, outputs: StepOutputs) {
        let now = self.cluster.now();
        self.log.extend(outputs.into_iter().map(|(n, o)| (now, n, o)));
        if let Err(broken) = self.invariants.check(&self.cluster.state()) {
            panic!("at t={now}: {broken}");
        }
    }

    /// Run the fair schedule for `ms` of simulated time.
    fn run(&mut self, ms: Millis) {
        let end = self.cluster.now() + ms;
        for _ in 0..100_000 {
            match self.cluster.step(end) {
                Some(outputs) => self.record(outputs),
                None => {
                    self.cluster.run_for(end - self.cluster.now(), 0);
                    return;
                }
            }
        }
        panic!("did not settle within 100000 steps");
    }

    /// Run the fair schedule for `ms`, but leave messages on `held` undelivered (a slow link).
    fn run_holding(&mut self, held: (NodeId, NodeId), ms: Millis) {
        let end = self.cluster.now() + ms;
        for _ in 0..100_000 {
            let link = self.cluster.network().busy_links().find(|l| *l != held);
            let outputs = match link {
                Some((from, to)) => self.cluster.deliver(from, to).unwrap(),
                None => {
                    let due = self.cluster.timers().filter(|(_, _, d)| *d <= end).min_by_key(|(n, t, d)| (*d, *n, *t));
                    let session =
                        self.cluster.pending_sessions().filter(|(_, d)| *d <= end).min_by_key(|(b, d)| (*d, *b));
                    match (due, session) {
                        (_, Some((broker, expires))) if due.is_none_or(|(_, _, d)| expires <= d) => {
                            self.cluster.expire_session(broker).unwrap()
                        }
                        (Some((node, timer, _)), _) => self.cluster.fire_timer(node, timer).unwrap(),
                        (None, _) => {
                            self.cluster.run_until_quiet(0);
                            return;
                        }
                    }
                }
            };
            self.record(outputs);
        }
        panic!("did not settle within 100000 steps");
    }

    /// Deliver everything except what waits on the `held` connections; no timer fires.
    fn quiet_holding(&mut self, held: &[(NodeId, NodeId)]) {
        loop {
            let Some((from, to)) = self.cluster.network().busy_links().find(|l| !held.contains(l)) else { return };
            let outputs = self.cluster.deliver(from, to).unwrap();
            self.record(outputs);
        }
    }

    /// The leader's answers to the other followers of a 3-broker cluster led by broker 1.
    fn leader_to_followers_except(broker: BrokerId) -> Vec<(NodeId, NodeId)> {
        [2, 3].into_iter().filter(|b| *b != broker).map(|b| (NodeId::Broker(1), NodeId::Broker(b))).collect()
    }

    /// Follower `broker` takes what the leader (broker 1) has for it, fetching until it has no
    /// news, while the other follower's answers stay on the wire.
    fn follower_fetches(&mut self, broker: BrokerId) {
        self.quiet_holding(&Self::leader_to_followers_except(broker));
    }

    /// Produce, and let the record reach the leader without any follower getting it: the
    /// leader's answers to the followers' waiting fetches stay on the wire.
    fn produce_to_leader_only(&mut self, value: u64) {
        self.produce(value);
        self.quiet_holding(&Self::leader_to_followers_except(0));
    }

    fn seek(&mut self, to: SeekTo) {
        let outputs = self.cluster.seek(0, to).unwrap();
        self.record(outputs);
    }

    fn crash(&mut self, broker: BrokerId) {
        let outputs = self.cluster.crash(broker).unwrap();
        self.record(outputs);
    }

    fn produce(&mut self, value: u64) {
        let outputs = self.cluster.produce(value);
        self.record(outputs);
    }

    fn consumer(&self) -> &Consumer {
        self.cluster.consumer(0).unwrap()
    }

    fn delivered_values(&self) -> Vec<u64> {
        self.consumer().delivered().iter().map(|r| r.value).collect()
    }

    /// Fetch responses sent to the consumer so far: (time, from, response).
    fn consumer_fetch_answers(&self) -> Vec<(Millis, NodeId, FetchResponse)> {
        self.log
            .iter()
            .filter_map(|(t, from, o)| match o {
                Output::Send { to: NodeId::Consumer(0), message: Message::FetchResponse(r) } => {
                    Some((*t, *from, r.clone()))
                }
                _ => None,
            })
            .collect()
    }

    fn first_time(&self, wanted: impl Fn(&NodeId, &Output) -> bool) -> Option<Millis> {
        self.log.iter().find(|(_, n, o)| wanted(n, o)).map(|(t, _, _)| *t)
    }
}

fn kip392_cluster(racks: &[&str]) -> ClusterConfig {
    ClusterConfig::with_racks(racks).selector(SelectorKind::RackAware).consumer(Some("b"))
}

/// The same, with a consumer that gives up on a silent broker after 2 s instead of 30 s.
fn impatient_consumer(racks: &[&str]) -> ClusterConfig {
    kip392_cluster(racks).map_consumers(|c| c.request_timeout_ms = 2_000)
}

#[test]
fn a_produce_then_consume_from_a_follower_that_has_not_fetched_it_yet() {
    let mut sim = Checked::new(kip392_cluster(&["a", "b", "b"]));
    // Followers 2 and 3 tie; Kafka's selector takes the highest id.
    assert_eq!(sim.consumer().preferred_read_replica().map(|p| p.broker_id), Some(3));
    sim.produce(42);
    sim.run(10_000);
    assert_eq!(sim.delivered_values(), vec![42]);
    let committed_at = sim
        .first_time(|_, o| matches!(o, Output::Acknowledged { value: 42, .. }))
        .expect("the producer's record is committed");
    let consumed_at = sim.first_time(|_, o| matches!(o, Output::DeliverRecords(_))).unwrap();
    assert!(consumed_at >= committed_at, "visible on the follower only after the leader committed it");
    // Every answer the consumer got was NONE, from the leader's redirect or from follower 3.
    let answers = sim.consumer_fetch_answers();
    assert!(answers.iter().all(|(_, _, r)| r.error_code == ErrorCode::NONE), "{answers:?}");
    let delivering: Vec<_> =
        answers.iter().filter(|(_, _, r)| !r.records.is_empty()).map(|(_, from, _)| *from).collect();
    assert_eq!(delivering, vec![NodeId::Broker(3)]);
    assert!(sim.consumer().resets().is_empty());
}

#[test]
fn b_seek_to_beginning_while_the_preferred_follower_lacks_committed_data() {
    let mut sim = Checked::new(kip392_cluster(&["a", "b", "b"]));
    for v in 1..=3 {
        sim.produce(v);
    }
    sim.run(10_000);
    assert_eq!(sim.delivered_values(), vec![1, 2, 3]);
    // Two more records: the preferred follower 3 fetches them before 2 does, so the leader
    // commits them only after 3's last fetch, and 3's HW stays at 3 until its next fetch.
    sim.produce(4);
    sim.produce(5);
    sim.quiet_holding(&Checked::leader_to_followers_except(0));
    sim.follower_fetches(3);
    sim.follower_fetches(2);
    // One request in flight: 5 was sent when 4 was acknowledged, and is not committed yet.
    let leader_hw = sim.cluster.broker(1).unwrap().high_watermark();
    let follower_hw = sim.cluster.broker(3).unwrap().high_watermark();
    assert_eq!((leader_hw, follower_hw), (4, 3), "follower 3 lacks committed record 3 (value 4)");

    sim.seek(SeekTo::Beginning);
    sim.run(10_000);
    let after_seek: Vec<u64> = sim.delivered_values().split_off(3);
    assert_eq!(after_seek, vec![1, 2, 3, 4, 5], "delayed, never lost");
    let causes: Vec<_> = sim.consumer().resets().iter().map(|r| r.cause).collect();
    assert_eq!(causes, vec![ResetCause::Seek], "no out-of-range reset");
    assert_eq!(sim.consumer().preferred_read_replica().map(|p| p.broker_id), Some(3), "stayed on the follower");
}

#[test]
fn c_list_offsets_latest_is_not_available_after_an_election_and_never_goes_backwards() {
    let mut sim = Checked::new(impatient_consumer(&["a", "b", "b"]));
    for v in 1..=2 {
        sim.produce(v);
    }
    sim.run(10_000);
    // Record 3 is committed on the leader, but follower 2 has not heard the new HW.
    sim.produce_to_leader_only(3);
    sim.follower_fetches(2);
    sim.follower_fetches(3);
    sim.seek(SeekTo::End);
    sim.quiet_holding(&Checked::leader_to_followers_except(3));
    assert_eq!(sim.consumer().list_offsets_latest_seen(), &[3]);
    assert_eq!(sim.cluster.broker(2).unwrap().high_watermark(), 2);

    // Broker 1 fails. Broker 3's fetches to the new leader are slow, which keeps the new
    // leader's HW (2) below its epoch start offset (3) for a while.
    sim.crash(1);
    sim.seek(SeekTo::End);
    sim.run_holding((NodeId::Broker(3), NodeId::Broker(2)), 10_000);
    let new_leader = sim.cluster.broker(2).unwrap();
    assert_eq!(new_leader.role_kind(), RoleKind::Leader);
    assert_eq!(new_leader.leader_state().unwrap().epoch_start_offset, 3);
    assert_eq!(new_leader.high_watermark(), 2, "inside the KIP-207 window");
    assert_eq!(sim.consumer().list_offsets_latest_seen(), &[3], "nothing answered in the window");
    sim.run(60_000);
    let refused = sim.log.iter().any(|(_, from, o)| {
        matches!(o, Output::Send { message: Message::ListOffsetsResponse(r), .. }
            if *from == NodeId::Broker(2) && r.error_code == ErrorCode::OFFSET_NOT_AVAILABLE)
    });
    assert!(refused, "the new leader refused ListOffsets(latest) during the window");
    let seen = sim.consumer().list_offsets_latest_seen().to_vec();
    assert!(seen.len() >= 2 && seen.windows(2).all(|w| w[0] <= w[1]), "never backwards: {seen:?}");
}

#[test]
fn d_a_consumers_offsets_for_leader_epoch_never_reveals_an_offset_above_the_hw() {
    let mut sim = Checked::new(kip392_cluster(&["a", "b", "b"]));
    for v in 1..=3 {
        sim.produce(v);
    }
    sim.run(10_000);
    // Uncommitted data on broker 2 (it fetched record 4, broker 3 did not), then 1 fails:
    // 2 leads with LEO 4 and the consumer validates its position against it.
    sim.produce_to_leader_only(4);
    sim.follower_fetches(2);
    sim.crash(1);
    let end = sim.cluster.now() + 600_000;
    let mut answers = 0;
    while let Some(outputs) = sim.cluster.step(end) {
        for (from, output) in &outputs {
            if let (
                NodeId::Broker(b),
                Output::Send { to: NodeId::Consumer(_), message: Message::OffsetsForLeaderEpochResponse(r) },
            ) = (from, output)
            {
                answers += 1;
                let hw = sim.cluster.broker(*b).unwrap().high_watermark();
                if r.error_code == ErrorCode::NONE {
                    assert!(r.end_offset <= hw, "answered {} above HW {hw}", r.end_offset);
                }
            }
        }
        sim.record(outputs);
    }
    assert!(answers >= 1, "the consumer validated its position after the election");
    assert_eq!(sim.consumer().phase(), ConsumerPhase::Fetching);
    assert!(sim.consumer().resets().is_empty(), "no false truncation");
}

#[test]
fn e_redirect_to_the_same_rack_follower_and_back_to_the_leader_when_it_leaves_the_isr() {
    let mut sim = Checked::new(kip392_cluster(&["a", "b", "a"]));
    sim.produce(1);
    sim.run(10_000);
    assert_eq!(sim.consumer().preferred_read_replica().map(|p| p.broker_id), Some(2));
    assert_eq!(sim.delivered_values(), vec![1]);

    sim.crash(2);
    sim.run(1_000);
    assert_eq!(sim.cluster.broker(1).unwrap().isr(), vec![1, 2, 3], "2's session runs for 9 s");
    sim.run(9_000);
    assert_eq!(sim.cluster.broker(1).unwrap().isr(), vec![1, 3], "2 was fenced and left the ISR");
    sim.produce(2);
    sim.run(60_000);
    assert_eq!(sim.delivered_values(), vec![1, 2]);
    assert_eq!(sim.consumer().preferred_read_replica(), None, "reads from the leader now");
    let last_delivery =
        sim.consumer_fetch_answers().into_iter().rfind(|(_, _, r)| !r.records.is_empty()).map(|(_, from, _)| from);
    assert_eq!(last_delivery, Some(NodeId::Broker(1)));

    // 2 returns, catches up, rejoins the ISR; the lease ran out, so the consumer asks the leader,
    // which redirects it to 2 again.
    let outputs = sim.cluster.restart(2).unwrap();
    sim.record(outputs);
    sim.run(400_000);
    assert_eq!(sim.cluster.broker(1).unwrap().isr(), vec![1, 2, 3]);
    sim.produce(3);
    sim.run(10_000);
    assert_eq!(sim.delivered_values(), vec![1, 2, 3]);
    assert_eq!(sim.consumer().preferred_read_replica().map(|p| p.broker_id), Some(2));
}

#[test]
fn f_the_consumers_rack_becomes_unreachable_and_it_keeps_progressing_on_the_leader() {
    let mut sim = Checked::new(kip392_cluster(&["a", "b", "b"]));
    sim.produce(1);
    sim.run(10_000);
    assert_eq!(sim.consumer().preferred_read_replica().map(|p| p.broker_id), Some(3));

    let outputs = sim.cluster.cut_rack("b").unwrap();
    sim.record(outputs);
    for v in 2..=4 {
        sim.produce(v);
    }
    sim.run(60_000);
    assert_eq!(sim.delivered_values(), vec![1, 2, 3, 4], "progress through the rack outage");
    assert_eq!(sim.consumer().preferred_read_replica(), None);
    assert_eq!(sim.cluster.controller().isr(), vec![1]);
    assert_eq!(sim.cluster.producer().acknowledged().len(), 4, "writes stay available with min.insync.replicas=1");

    let outputs = sim.cluster.heal_rack("b").unwrap();
    sim.record(outputs);
    sim.run(60_000);
    assert_eq!(sim.cluster.controller().isr(), vec![1, 2, 3], "the healed rack rejoins");
    let followers: Vec<Offset> = [2, 3].iter().map(|b| sim.cluster.broker(*b).unwrap().log_end_offset()).collect();
    assert_eq!(followers, vec![4, 4]);
}

#[test]
fn same_steps_give_the_same_states() {
    let run = || {
        let mut sim = Checked::new(kip392_cluster(&["a", "b", "b"]));
        sim.produce(1);
        sim.run(5_000);
        sim.crash(1);
        sim.produce(2);
        sim.run(60_000);
        (sim.cluster.state(), sim.log)
    };
    assert_eq!(run(), run());
}

/// A request to a broker that has crashed fails at once, as a TCP reset tells the client: the
/// consumer does not wait out a request timeout, it asks the controller who leads now and backs
/// off. (Without the reset, the request would be lost silently until the timeout.)
#[test]
fn a_fetch_to_a_crashed_broker_fails_at_once_and_the_consumer_asks_for_metadata() {
    let mut cluster = Cluster::new(ClusterConfig::with_racks(&["a", "b"]).consumer(Some("b")));
    cluster.run_until_quiet(1_000);
    let before = cluster.now();
    cluster.crash(1).unwrap();
    // The consumer's next fetch goes to broker 1, which is down.
    let outputs = cluster.fire_timer(NodeId::Consumer(0), TimerKind::ConsumerFetch).unwrap();
    let asked_controller = outputs.iter().any(|(node, output)| {
        *node == NodeId::Consumer(0)
            && matches!(output, Output::Send { to: NodeId::Controller, message: Message::Metadata(_) })
    });
    assert!(asked_controller, "{outputs:?}");
    let request_timeout = ConsumerConfig::new(0, None).request_timeout_ms;
    let (_, _, due) =
        cluster.timers().find(|(n, t, _)| *n == NodeId::Consumer(0) && *t == TimerKind::ConsumerFetch).unwrap();
    assert!(due < before + request_timeout, "backing off, not waiting out the request timeout");
}

/// A produce waiting at the leader for its acknowledgement is an open request: when the leader
/// crashes, the producer learns it at once and sends the record again to the new leader, where
/// it is committed and acknowledged. (Were it not an open request, the producer would wait on
/// the dead leader forever.)
#[test]
fn a_produce_waiting_at_a_crashed_leader_is_sent_again_to_the_new_leader() {
    let mut checked = Checked::new(ClusterConfig::with_racks(&["a", "b", "b"]));
    checked.produce_to_leader_only(7);
    assert_eq!(checked.cluster.producer().unacknowledged(), vec![7], "the followers have not fetched it");
    checked.crash(1);
    checked.run(10_000);
    let producer = checked.cluster.producer();
    assert_eq!(producer.leader(), Some(2));
    assert_eq!(producer.acknowledged(), &[(7, 0)], "committed at offset 0 under the new leader");
    assert!(producer.unacknowledged().is_empty());
}

/// Kafka 4.4.0: a broker whose heartbeats stop is fenced when its session expires,
/// `broker.session.timeout.ms` later (`ReplicationControlManager.maybeFenceOneStaleBroker`), and
/// a restart before then waits for that session to end (`ClusterControlManager.registerBroker`).
#[test]
fn a_crashed_broker_is_fenced_when_its_session_expires_and_leadership_moves_then() {
    let mut sim = Checked::new(kip392_cluster(&["a", "b", "b"]));
    sim.produce(1);
    sim.run(5_000);
    let crashed_at = sim.cluster.now();
    sim.crash(1);
    sim.run(8_000);
    assert_eq!(sim.cluster.controller().leader(), Some(1), "the session still runs");
    assert!(sim.cluster.controller().fenced().is_empty());
    sim.run(2_000);
    assert_eq!(sim.cluster.controller().fenced(), vec![1]);
    assert_eq!(sim.cluster.controller().leader(), Some(2));
    let election = sim.log.iter().find(|(_, node, output)| {
        *node == NodeId::Controller
            && matches!(output, Output::Send { message: Message::PartitionChange(c), .. } if c.leader == 2)
    });
    assert_eq!(election.map(|(at, _, _)| *at), Some(crashed_at + 9_000), "elected when the session expired");
}

/// A rack cut shorter than `broker.session.timeout.ms` fences nothing: the heartbeats resume
/// before the session expires.
#[test]
fn a_cut_healed_within_the_session_fences_nothing() {
    let mut sim = Checked::new(kip392_cluster(&["a", "b", "b"]));
    let epoch = sim.cluster.controller().leader_epoch();
    let outputs = sim.cluster.cut_rack("b").unwrap();
    sim.record(outputs);
    sim.run(5_000);
    let outputs = sim.cluster.heal_rack("b").unwrap();
    sim.record(outputs);
    sim.run(10_000);
    assert!(sim.cluster.controller().fenced().is_empty());
    assert_eq!(sim.cluster.controller().leader_epoch(), epoch, "no election");
    assert_eq!(sim.cluster.pending_sessions().count(), 0);
}
