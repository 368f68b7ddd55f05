//! The shared step rules and observers (`highwater_traces::observe`) on a cluster made up for
//! each case: what each rule decides, and what each observer records.

use std::collections::VecDeque;

use highwater_traces::observe::{
    coalesce_partition_changes, first_eager, is_eager, reset_order, BrokerFacts, ConsumerFacts, Observed, StepStart,
};
use highwater_traces::{
    BrokenRequestRule, BrokerId, Delivery, ErrorCode, Ghost, Happened, KeptFailedReplica, LeaderEpoch, Message, NodeId,
    Offset, OffsetAnswer, Record, Role, Semantics, NO_BROKER,
};

/// Broker 1 leads epoch 2 with ISR {1, 2} and HW 1; broker 2 follows; consumer 0 fetches at 1.
#[derive(Clone)]
struct Fake {
    brokers: Vec<BrokerFacts>,
    consumers: Vec<ConsumerFacts>,
    log: Vec<Record>,
    deliveries: Vec<Delivery>,
    acked: Vec<(u64, Offset)>,
    cut: bool,
    semantics: Semantics,
}

fn fake() -> Fake {
    let broker =
        |id, role| BrokerFacts { id, alive: true, role, leader_epoch: 2, high_watermark: 1, log_end_offset: 2 };
    Fake {
        brokers: vec![broker(1, Role::Leader), broker(2, Role::Follower)],
        consumers: vec![ConsumerFacts {
            id: 0,
            fetching: true,
            position: 1,
            current_leader_epoch: 2,
            preferred_read_replica: None,
            metadata_leader: 1,
        }],
        log: vec![Record { epoch: 2, value: 1 }, Record { epoch: 2, value: 2 }],
        deliveries: Vec::new(),
        acked: Vec::new(),
        cut: false,
        semantics: Semantics::Apache,
    }
}

impl Observed for Fake {
    fn controller(&self) -> (BrokerId, LeaderEpoch) {
        (1, 2)
    }
    fn brokers(&self) -> impl Iterator<Item = BrokerFacts> + '_ {
        self.brokers.iter().copied()
    }
    fn consumers(&self) -> impl Iterator<Item = ConsumerFacts> + '_ {
        self.consumers.iter().copied()
    }
    fn records(&self, _: BrokerId, from: usize, to: usize) -> Vec<Record> {
        self.log[from.min(self.log.len())..to.min(self.log.len())].to_vec()
    }
    fn in_isr(&self, broker: BrokerId, member: BrokerId) -> bool {
        broker == 1 && [1, 2].contains(&member)
    }
    fn follower_log_end_offset(&self, broker: BrokerId, follower: BrokerId) -> Option<Offset> {
        (broker == 1 && follower == 2).then_some(2)
    }
    fn deliveries(&self, _: u32) -> &[Delivery] {
        &self.deliveries
    }
    fn acked(&self) -> &[(u64, Offset)] {
        &self.acked
    }
    fn any_rack_cut(&self) -> bool {
        self.cut
    }
    fn semantics(&self) -> Semantics {
        self.semantics
    }
}

fn fetch_response(error_code: ErrorCode, preferred_read_replica: BrokerId, request_leader_epoch: i32) -> Message {
    Message::FetchResponse {
        error_code,
        high_watermark: 1,
        log_start_offset: 0,
        records: Vec::new(),
        diverging_epoch: None,
        preferred_read_replica,
        leader_id: 1,
        leader_epoch: 2,
        fetch_offset: 1,
        request_leader_epoch,
    }
}

#[test]
fn requests_and_answers_to_clients_are_eager_answers_between_brokers_are_not() {
    let fetch = Message::Fetch {
        replica_id: 2,
        rack_id: "b".into(),
        current_leader_epoch: 2,
        fetch_offset: 1,
        last_fetched_epoch: 2,
        log_start_offset: 0,
    };
    let answer = fetch_response(ErrorCode::NONE, NO_BROKER, 2);
    let (b1, b2, c0) = (NodeId::Broker(1), NodeId::Broker(2), NodeId::Consumer(0));
    assert!(is_eager(b2, b1, &fetch), "a follower's fetch");
    assert!(is_eager(b1, c0, &answer), "an answer to a consumer");
    assert!(is_eager(NodeId::Controller, NodeId::Producer, &Message::Metadata), "controller to a client");
    assert!(!is_eager(b1, b2, &answer), "an answer to a follower waits");
    let change = Message::PartitionChange { leader: 1, leader_epoch: 2, partition_epoch: 3, isr: vec![1] };
    assert!(!is_eager(NodeId::Controller, b2, &change), "a partition change waits");
    let heads = [(b1, b2, &answer), (NodeId::Controller, b2, &change), (b1, c0, &answer), (b2, b1, &fetch)];
    assert_eq!(first_eager(heads), Some((b1, c0)), "the first eager connection in the order given");
    assert_eq!(first_eager([(b1, b2, &answer)]), None);
}

#[test]
fn a_reset_tells_the_requester_first() {
    let (b1, c0) = (NodeId::Broker(1), NodeId::Consumer(0));
    let request = Message::ListOffsets { replica_id: -1, current_leader_epoch: 2, timestamp: -1 };
    assert_eq!(reset_order(c0, b1, &request), [(c0, b1), (b1, c0)]);
    let answer = fetch_response(ErrorCode::NONE, NO_BROKER, 2);
    assert_eq!(reset_order(b1, c0, &answer), [(c0, b1), (b1, c0)]);
}

#[test]
fn only_the_newest_partition_change_stays_queued_and_other_messages_keep_their_place() {
    let change =
        |partition_epoch| Message::PartitionChange { leader: 1, leader_epoch: 2, partition_epoch, isr: vec![1] };
    let mut queue: VecDeque<Message> = [change(1), Message::Metadata, change(2), change(3)].into();
    coalesce_partition_changes(&mut queue);
    assert_eq!(queue, VecDeque::from([Message::Metadata, change(3)]));
    let mut one: VecDeque<Message> = [change(1), Message::Metadata].into();
    coalesce_partition_changes(&mut one);
    assert_eq!(one.len(), 2, "a lone change stays where it is");
}

#[test]
fn a_follower_s_redirect_is_kept_a_leader_s_allowed_one_is_not() {
    let cluster = fake();
    let mut ghost = Ghost::default();
    let allowed = fetch_response(ErrorCode::NONE, 2, 2);
    let d = ghost.before_delivery(&cluster, NodeId::Broker(1), NodeId::Consumer(0), &allowed);
    ghost.after_delivery(&cluster, d, None);
    assert!(ghost.redirects.is_empty(), "the leader chose an ISR member holding the offset");
    let d = ghost.before_delivery(&cluster, NodeId::Broker(2), NodeId::Consumer(0), &allowed);
    ghost.after_delivery(&cluster, d, None);
    let redirect = ghost.redirects.iter().next().expect("a follower's choice is kept");
    assert!(!redirect.by_leader && redirect.by == 2);
}

#[test]
fn a_follower_s_empty_answer_is_coverage_and_an_offset_above_the_hw_is_recorded() {
    let cluster = fake();
    let mut ghost = Ghost::default();
    let empty = fetch_response(ErrorCode::NONE, NO_BROKER, 2);
    let d = ghost.before_delivery(&cluster, NodeId::Broker(2), NodeId::Consumer(0), &empty);
    ghost.after_delivery(&cluster, d, None);
    assert!(ghost.happened.contains(&Happened::FollowerAnsweredNotAvailableOrEmpty));
    let told = Message::OffsetsForLeaderEpochResponse {
        error_code: ErrorCode::NONE,
        leader_epoch: 2,
        end_offset: 2,
        requested_epoch: 2,
        request_leader_epoch: 2,
    };
    let d = ghost.before_delivery(&cluster, NodeId::Broker(1), NodeId::Consumer(0), &told);
    ghost.after_delivery(&cluster, d, None);
    assert!(ghost.offsets_above_hw.is_empty(), "Kafka answers the epoch's end offset: no promise broken");
    let mut strict = fake();
    strict.semantics = Semantics::KipStrict;
    let d = ghost.before_delivery(&strict, NodeId::Broker(1), NodeId::Consumer(0), &told);
    ghost.after_delivery(&strict, d, None);
    let above = ghost.offsets_above_hw.iter().next().expect("2 is above the HW of 1, which KIP-392's text caps");
    assert_eq!((above.answer, above.offset, above.high_watermark), (OffsetAnswer::OffsetsForLeaderEpoch, 2, 1));
    ghost.start_step();
    assert!(ghost.happened.is_empty() && ghost.offsets_above_hw.is_empty(), "a new step forgets the last one's");
}

#[test]
fn a_refused_preferred_replica_the_consumer_keeps_is_recorded_until_the_step_ends_without_it() {
    let mut cluster = fake();
    cluster.consumers[0].preferred_read_replica = Some(2);
    let mut ghost = Ghost::default();
    let refusal = fetch_response(ErrorCode::NOT_LEADER_OR_FOLLOWER, NO_BROKER, 2);
    let d = ghost.before_delivery(&cluster, NodeId::Broker(2), NodeId::Consumer(0), &refusal);
    ghost.after_delivery(&cluster, d, None);
    let kept = KeptFailedReplica { consumer: 0, replica: 2, error: ErrorCode::NOT_LEADER_OR_FOLLOWER };
    assert!(ghost.kept_failed_replicas.contains(&kept));
    let start = StepStart::of(&cluster);
    ghost.end_step(&start, &cluster);
    assert!(ghost.kept_failed_replicas.contains(&kept), "still preferred at the step's end");
    cluster.consumers[0].preferred_read_replica = None;
    ghost.end_step(&start, &cluster);
    assert!(ghost.kept_failed_replicas.is_empty(), "dropped by the step's end: no longer kept");
    assert!(ghost.happened.contains(&Happened::ConsumerFellBackToLeader));
    // An answer for another offset is stale to the consumer: not a refusal it took.
    let mut ghost = Ghost::default();
    cluster.consumers[0].preferred_read_replica = Some(2);
    let Message::FetchResponse { error_code, high_watermark, log_start_offset, leader_id, leader_epoch, .. } =
        fetch_response(ErrorCode::NOT_LEADER_OR_FOLLOWER, NO_BROKER, 2)
    else {
        unreachable!()
    };
    let stale = Message::FetchResponse {
        error_code,
        high_watermark,
        log_start_offset,
        records: Vec::new(),
        diverging_epoch: None,
        preferred_read_replica: NO_BROKER,
        leader_id,
        leader_epoch,
        fetch_offset: 0,
        request_leader_epoch: 2,
    };
    let d = ghost.before_delivery(&cluster, NodeId::Broker(2), NodeId::Consumer(0), &stale);
    ghost.after_delivery(&cluster, d, None);
    assert!(ghost.kept_failed_replicas.is_empty());
    // One for an older leader epoch at the same offset is taken, as Kafka's `FetchCollector`
    // takes it: a refusal the consumer acts on.
    let older = fetch_response(ErrorCode::NOT_LEADER_OR_FOLLOWER, NO_BROKER, 1);
    let d = ghost.before_delivery(&cluster, NodeId::Broker(2), NodeId::Consumer(0), &older);
    ghost.after_delivery(&cluster, d, None);
    assert!(ghost.kept_failed_replicas.contains(&kept));
}

#[test]
fn request_rules_are_judged_on_the_request_and_its_answer() {
    let cluster = fake();
    let mut ghost = Ghost::default();
    let no_last_epoch = Message::Fetch {
        replica_id: 2,
        rack_id: "b".into(),
        current_leader_epoch: 2,
        fetch_offset: 1,
        last_fetched_epoch: -1,
        log_start_offset: 0,
    };
    let d = ghost.before_delivery(&cluster, NodeId::Broker(2), NodeId::Broker(1), &no_last_epoch);
    ghost.after_delivery(&cluster, d, None);
    assert!(ghost
        .broken_request_rules
        .contains(&BrokenRequestRule::FetchWithoutLastEpoch { follower: 2, fetch_offset: 1 }));
    let mut ghost = Ghost::default();
    let old_epoch = Message::ListOffsets { replica_id: -1, current_leader_epoch: 1, timestamp: -1 };
    let served =
        Message::ListOffsetsResponse { error_code: ErrorCode::NONE, offset: 1, leader_epoch: 2, timestamp: -1 };
    let d = ghost.before_delivery(&cluster, NodeId::Consumer(0), NodeId::Broker(1), &old_epoch);
    ghost.after_delivery(&cluster, d, Some(&served));
    assert_eq!(ghost.broken_request_rules.len(), 1, "served a request naming an older epoch");
    let mut ghost = Ghost::default();
    let fenced = Message::ListOffsetsResponse {
        error_code: ErrorCode::FENCED_LEADER_EPOCH,
        offset: -1,
        leader_epoch: 2,
        timestamp: -1,
    };
    let d = ghost.before_delivery(&cluster, NodeId::Consumer(0), NodeId::Broker(1), &old_epoch);
    ghost.after_delivery(&cluster, d, Some(&fenced));
    assert!(ghost.broken_request_rules.is_empty(), "refused as KIP-320 says");
}

#[test]
fn the_end_of_a_step_commits_what_a_leader_holds_under_its_hw_and_notes_what_changed() {
    let mut cluster = fake();
    let mut ghost = Ghost::default();
    let start = StepStart::of(&cluster);
    cluster.brokers[0].high_watermark = 2;
    cluster.brokers[1].log_end_offset = 1;
    cluster.acked = vec![(1, 0)];
    cluster.cut = true;
    cluster.deliveries =
        vec![Delivery { offset: 0, record: Record { epoch: 2, value: 1 }, served_by: 2, served_hw: 1 }];
    ghost.end_step(&start, &cluster);
    assert_eq!((ghost.true_hw, ghost.committed.len()), (2, 2));
    assert_eq!(ghost.acked, vec![(1, 0)]);
    assert_eq!(ghost.epochs_seen.get(&NodeId::Broker(2)), Some(&2));
    for event in [Happened::FollowerTruncated, Happened::ConsumerReadFromFollower, Happened::RackCutWhileConsuming] {
        assert!(ghost.happened.contains(&event), "{event:?} in {:?}", ghost.happened);
    }
    assert!(!ghost.happened.contains(&Happened::LeaderChanged), "the controller's leader stayed");
}
