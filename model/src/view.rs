//! The model's states seen as `ClusterView`s, and the ghost history kept beside them.

use highwater_traces::{
    BrokenRequestRule, BrokerId, BrokerView, ClusterView, ConsumerView, ControllerView, ErrorCode, Ghost, Happened,
    KeptFailedReplica, LeaderEpoch, Message, NodeId, OffsetAboveHw, OffsetAnswer, Redirect, Role, NO_BROKER,
};

use crate::broker::BrokerState;
use crate::cluster::{ClusterModel, ClusterState};
use crate::consumer::ConsumerState;
use crate::controller::ControllerState;
use crate::node::NodeState;
use crate::producer::ProducerState;

/// The ghost history the model carries in its state.
pub type GhostState = Ghost;

struct Parts<'a> {
    controller: &'a ControllerState,
    brokers: Vec<&'a BrokerState>,
    consumers: Vec<&'a ConsumerState>,
    producer: &'a ProducerState,
}

fn parts(state: &ClusterState) -> Parts<'_> {
    let mut parts =
        Parts { controller: &DEFAULT_CONTROLLER, brokers: vec![], consumers: vec![], producer: &DEFAULT_PRODUCER };
    for node in &state.sys.actor_states {
        match &**node {
            NodeState::Controller(c) => parts.controller = c,
            NodeState::Broker(b) => parts.brokers.push(b),
            NodeState::Consumer(c) => parts.consumers.push(c),
            NodeState::Producer(p) => parts.producer = p,
        }
    }
    parts
}

static DEFAULT_CONTROLLER: ControllerState = ControllerState {
    leader: NO_BROKER,
    leader_epoch: -1,
    partition_epoch: -1,
    isr: std::collections::BTreeSet::new(),
    fenced: std::collections::BTreeSet::new(),
};

static DEFAULT_PRODUCER: ProducerState = ProducerState {
    leader: NO_BROKER,
    leader_epoch: -1,
    unsent: vec![],
    in_flight: None,
    backing_off: false,
    metadata_in_flight: false,
    acked: vec![],
};

/// The observable state of `state`.
pub fn view(model: &ClusterModel, state: &ClusterState) -> ClusterView {
    let p = parts(state);
    ClusterView {
        controller: ControllerView {
            leader: p.controller.leader,
            leader_epoch: p.controller.leader_epoch,
            partition_epoch: p.controller.partition_epoch,
            isr: p.controller.isr.iter().copied().collect(),
            fenced: p.controller.fenced.iter().copied().collect(),
        },
        brokers: p
            .brokers
            .iter()
            .map(|b| BrokerView {
                id: b.id,
                rack: model.cfg.rack_of(b.id).to_string(),
                alive: b.alive,
                role: b.role,
                leader_epoch: b.leader_epoch,
                leader: b.leader,
                log_start_offset: 0,
                log_end_offset: b.log.len() as i64,
                high_watermark: b.hw,
                log: b.log.clone(),
                isr: b.isr.clone(),
                maximal_isr: b.maximal_isr(),
                leader_epoch_start_offset: (b.role == Role::Leader).then_some(b.epoch_start),
            })
            .collect(),
        consumers: p
            .consumers
            .iter()
            .map(|c| ConsumerView {
                id: c.id,
                rack: model.cfg.consumer_racks[c.id as usize].clone(),
                position: c.position,
                position_epoch: c.position_epoch,
                current_leader_epoch: c.leader_epoch,
                preferred_read_replica: c.preferred,
                delivered: c.delivered.clone(),
                resets: c.resets.clone(),
                list_offsets_latest: c.list_offsets_latest.clone(),
                failed: false,
            })
            .collect(),
        cut_racks: state.cut.iter().cloned().collect(),
        faults_left: state.crashes_left + state.outages_left,
        ghost: state.ghost.clone(),
    }
}

/// Update `next`'s ghost history for the step `last --action--> next`.
/// `next.ghost` comes in with this step's events so far: the answers consumers got (see
/// [`observe_answer`]).
pub fn observe(last: &ClusterState, next: &mut ClusterState) {
    let before = parts(last);
    let mut ghost = std::mem::take(&mut next.ghost);

    let after = parts(next);
    // The highest epoch each node has shown, this state included, for leader-epoch-monotonic.
    let mut remember = |node: NodeId, epoch: i32| {
        let seen = ghost.epochs_seen.entry(node).or_insert(epoch);
        *seen = (*seen).max(epoch);
    };
    remember(NodeId::Controller, after.controller.leader_epoch);
    for b in after.brokers.iter().filter(|b| b.alive && b.role != Role::Offline) {
        remember(NodeId::Broker(b.id), b.leader_epoch);
    }
    for c in &after.consumers {
        remember(NodeId::Consumer(c.id), c.leader_epoch);
    }
    // Committed: what any live leader has under its HW, the newest epoch first. A leader that has
    // not yet heard of a newer epoch counts: its followers serve consumers what it committed
    // (KIP-392), so that data must survive. If it would not, leader-completeness and log-matching
    // say so. (Vanlightly's specs count only the controller's leader, as their consumers read
    // only from it.)
    let mut leaders: Vec<&&BrokerState> = after.brokers.iter().filter(|b| b.alive && b.role == Role::Leader).collect();
    leaders.sort_by_key(|b| std::cmp::Reverse(b.leader_epoch));
    for leader in leaders {
        if leader.hw > ghost.true_hw {
            let from = ghost.committed.len().min(leader.log.len());
            ghost.committed.extend_from_slice(&leader.log[from..leader.hw as usize]);
            ghost.true_hw = leader.hw;
        }
    }
    ghost.acked = after.producer.acked.clone();

    if after.controller.leader != before.controller.leader && after.controller.leader != NO_BROKER {
        ghost.happened.insert(Happened::LeaderChanged);
    }
    for (b0, b1) in before.brokers.iter().zip(&after.brokers) {
        if b0.alive && b1.alive && b1.log.len() < b0.log.len() {
            ghost.happened.insert(Happened::FollowerTruncated);
        }
    }
    // A refused replica still preferred when the step ends, unless the metadata the refusal sent
    // the consumer for names it leader: then it is where the consumer goes anyway.
    ghost.kept_failed_replicas.retain(|kept| {
        after
            .consumers
            .iter()
            .any(|c| c.id == kept.consumer && c.preferred == Some(kept.replica) && c.leader != kept.replica)
    });
    for (c0, c1) in before.consumers.iter().zip(&after.consumers) {
        if c0.preferred.is_some() && c1.preferred.is_none() {
            ghost.happened.insert(Happened::ConsumerFellBackToLeader);
        }
    }

    for (c0, c1) in before.consumers.iter().zip(&after.consumers) {
        for delivery in c1.delivered.iter().skip(c0.delivered.len()) {
            if delivery.served_by != after.controller.leader {
                ghost.happened.insert(Happened::ConsumerReadFromFollower);
            }
            if !next.cut.is_empty() {
                ghost.happened.insert(Happened::RackCutWhileConsuming);
            }
        }
    }
    next.ghost = ghost;
}

/// A broker's answer to a consumer, seen as it is delivered (answers to clients are delivered
/// in the step that sends them): a redirect goes into the ghost's set, a follower's empty or
/// OFFSET_NOT_AVAILABLE answer into coverage, an offset told above the broker's HW into
/// `offsets_above_hw`. Returns whether the answer is a fetch answer the consumer takes as
/// current: for the position, leader epoch and phase it has now (else it drops it as stale).
pub fn observe_answer(state: &mut ClusterState, broker: BrokerId, consumer: u32, answer: &Message) -> bool {
    let current = match *answer {
        Message::FetchResponse { fetch_offset, request_leader_epoch, .. } => parts(state).consumers.iter().any(|c| {
            c.id == consumer
                && c.phase == crate::consumer::Phase::Fetching
                && c.position == fetch_offset
                && c.leader_epoch == request_leader_epoch
        }),
        _ => false,
    };
    let Some(replica) = parts(state).brokers.into_iter().find(|x| x.id == broker) else { return current };
    let told = match *answer {
        Message::ListOffsetsResponse { error_code: ErrorCode::NONE, offset, .. } => {
            Some((OffsetAnswer::ListOffsets, offset))
        }
        Message::OffsetsForLeaderEpochResponse { error_code: ErrorCode::NONE, end_offset, .. } => {
            Some((OffsetAnswer::OffsetsForLeaderEpoch, end_offset))
        }
        _ => None,
    };
    if let Some((kind, offset)) = told.filter(|(_, offset)| *offset > replica.hw) {
        let high_watermark = replica.hw;
        state.ghost.offsets_above_hw.insert(OffsetAboveHw {
            by: broker,
            consumer,
            answer: kind,
            offset,
            high_watermark,
        });
        return current;
    }
    let Message::FetchResponse { error_code, records, preferred_read_replica, fetch_offset, .. } = answer else {
        return current;
    };
    if *preferred_read_replica != NO_BROKER {
        let to = *preferred_read_replica;
        // A leader still unaware of a newer epoch may redirect too (its consumer's next fetch is
        // fenced); only a broker that is not a leader in its own view must never choose.
        let holds =
            replica.followers.iter().find(|f| f.id == to).and_then(|f| f.leo).is_some_and(|leo| *fetch_offset <= leo);
        let redirect = Redirect {
            by: broker,
            by_leader: replica.role == Role::Leader,
            to,
            to_in_isr: replica.isr.contains(&to),
            to_holds_offset: holds,
        };
        state.ghost.note_redirect(redirect);
    } else if replica.role == Role::Follower
        && (*error_code == ErrorCode::OFFSET_NOT_AVAILABLE || (*error_code == ErrorCode::NONE && records.is_empty()))
    {
        state.ghost.happened.insert(Happened::FollowerAnsweredNotAvailableOrEmpty);
    }
    current
}

/// A broker's current fetch answer to a consumer, with `error_code`, once the consumer has
/// taken it: a refusal that calls for new metadata, from a replica the consumer still prefers
/// afterwards, goes into `kept_failed_replicas` (the consumer should have gone back to the
/// leader; KAFKA-14379). [`observe`] keeps it only if the consumer still prefers the replica at
/// the end of the step.
pub fn observe_refusal(state: &mut ClusterState, broker: BrokerId, consumer: u32, error_code: ErrorCode) {
    if !error_code.calls_for_new_metadata() {
        return;
    }
    if parts(state).consumers.iter().any(|c| c.id == consumer && c.preferred == Some(broker)) {
        let refusal = KeptFailedReplica { consumer, replica: broker, error: error_code };
        state.ghost.kept_failed_replicas.insert(refusal);
    }
}

/// A replica's leader epoch as a request is judged against it: -1 while it is down or has not
/// yet heard from the controller (it then refuses everything with NOT_LEADER_OR_FOLLOWER).
pub fn replica_epoch(state: &ClusterState, broker: BrokerId) -> LeaderEpoch {
    // On the checker's step path: find the one actor, without building `parts`.
    state
        .sys
        .actor_states
        .iter()
        .find_map(|node| match &**node {
            NodeState::Broker(b) if b.id == broker && b.alive && b.role != Role::Offline => Some(b.leader_epoch),
            _ => None,
        })
        .unwrap_or(-1)
}

/// A request `broker` took from `requester`, naming `request_epoch`, with the replica's epoch
/// before it and the error of the answer it sent at once (`None` also when it holds the
/// request, as a long poll): fencing broken on the way goes into `broken_request_rules`. (The
/// fetch's own rule, `BrokenRequestRule::last_fetched_epoch`, needs no answer and is judged
/// before delivery.)
pub fn observe_request(
    state: &mut ClusterState,
    broker: BrokerId,
    requester: NodeId,
    request_epoch: Option<LeaderEpoch>,
    epoch_before: LeaderEpoch,
    answer: Option<ErrorCode>,
) {
    let broken =
        request_epoch.and_then(|epoch| BrokenRequestRule::fencing(broker, requester, epoch, epoch_before, answer));
    state.ghost.broken_request_rules.extend(broken);
}
