//! The ghost history of an implementation run, kept by watching it from outside, with the same
//! meaning as the model's (`model/src/view.rs`): what is committed, what each consumer was
//! handed and by whom, the last step's redirects, coverage events, refused replicas a consumer
//! kept and request rules broken, and the highest epoch each node has shown.

use highwater_protocol::sim::{Cluster, ClusterState};
use highwater_protocol::{ConsumerPhase, ErrorCode, FetchResponse, Message, RoleKind};
use highwater_traces::{
    BrokenRequestRule, BrokerId, Delivery, Ghost, Happened, KeptFailedReplica, LeaderEpoch, NodeId, OffsetAboveHw,
    OffsetAnswer, Record, Redirect, NO_BROKER,
};

use super::convert;

/// What a broker knew when it answered a consumer's fetch.
pub(super) struct Chooser {
    role: RoleKind,
    isr: Vec<BrokerId>,
    /// Whether the replica it named holds the fetch offset, as far as it knew.
    to_holds_offset: bool,
}

impl Chooser {
    /// Read from the cluster before the answer is delivered.
    pub(super) fn of(sim: &Cluster, broker: BrokerId, response: &FetchResponse) -> Option<Chooser> {
        let b = sim.broker(broker)?;
        let to = response.preferred_read_replica;
        let to_holds_offset = b
            .leader_state()
            .and_then(|l| l.followers.get(&to))
            .and_then(|f| f.log_end_offset)
            .is_some_and(|leo| response.fetch_offset <= leo);
        Some(Chooser { role: b.role_kind(), isr: b.isr(), to_holds_offset })
    }
}

/// Whether `consumer` will take this fetch answer as current: it is for the position and leader
/// epoch the consumer has now, while it fetches (the model's `observe_answer` asks the same).
pub(super) fn takes_as_current(sim: &Cluster, consumer: u32, response: &FetchResponse) -> bool {
    sim.consumer(consumer).is_some_and(|c| {
        c.phase() == ConsumerPhase::Fetching
            && c.position().offset == response.fetch_offset
            && c.current_leader_epoch() == response.request_leader_epoch
    })
}

/// A replica's leader epoch as a request is judged against it: -1 while it is down or has not
/// yet heard from the controller (as the model's `replica_epoch`).
pub(super) fn replica_epoch(sim: &Cluster, broker: BrokerId) -> LeaderEpoch {
    sim.broker(broker).filter(|b| b.role_kind() != RoleKind::Offline).map_or(-1, |b| b.leader_epoch())
}

/// A partition request's `current_leader_epoch`, the epoch KIP-320 fences it on.
pub(super) fn request_epoch(message: &Message) -> Option<LeaderEpoch> {
    match message {
        Message::Fetch(r) => Some(r.current_leader_epoch),
        Message::ListOffsets(r) => Some(r.current_leader_epoch),
        Message::OffsetsForLeaderEpoch(r) => Some(r.current_leader_epoch),
        _ => None,
    }
}

/// A response's error code, in the suite's vocabulary.
pub(super) fn response_error(message: &Message) -> Option<highwater_traces::ErrorCode> {
    let error = match message {
        Message::FetchResponse(r) => r.error_code,
        Message::ListOffsetsResponse(r) => r.error_code,
        Message::OffsetsForLeaderEpochResponse(r) => r.error_code,
        Message::ProduceResponse(r) => r.error_code,
        Message::AlterPartitionResponse(r) => r.error_code,
        _ => return None,
    };
    Some(convert::error_code(error))
}

/// Ghost state and the consumers' deliveries with the replica that served each.
pub(super) struct GhostTracker {
    ghost: Ghost,
    deliveries: Vec<Vec<Delivery>>,
    last: ClusterState,
    /// Deliveries as of the last step, to find the new ones.
    delivered_before: Vec<usize>,
}

impl GhostTracker {
    pub(super) fn new(initial: &ClusterState) -> Self {
        GhostTracker {
            ghost: Ghost::default(),
            deliveries: vec![Vec::new(); initial.consumers.len()],
            last: initial.clone(),
            delivered_before: vec![0; initial.consumers.len()],
        }
    }

    pub(super) fn ghost(&self) -> &Ghost {
        &self.ghost
    }

    pub(super) fn deliveries(&self, consumer: u32) -> &[Delivery] {
        self.deliveries.get(consumer as usize).map(Vec::as_slice).unwrap_or_default()
    }

    /// A new step: the last step's events are forgotten.
    pub(super) fn start_step(&mut self) {
        self.ghost.redirects.clear();
        self.ghost.happened.clear();
        self.ghost.offsets_above_hw.clear();
        self.ghost.kept_failed_replicas.clear();
        self.ghost.broken_request_rules.clear();
        self.delivered_before = self.deliveries.iter().map(Vec::len).collect();
    }

    /// `broker` is about to hand `consumer` an answer that tells it an offset: one above the
    /// broker's HW goes into the ghost, as the model's `observe_answer` does.
    pub(super) fn told(&mut self, sim: &Cluster, broker: BrokerId, consumer: u32, message: &Message) {
        let told = match message {
            Message::ListOffsetsResponse(r) if r.error_code == ErrorCode::NONE => (OffsetAnswer::ListOffsets, r.offset),
            Message::OffsetsForLeaderEpochResponse(r) if r.error_code == ErrorCode::NONE => {
                (OffsetAnswer::OffsetsForLeaderEpoch, r.end_offset)
            }
            _ => return,
        };
        let Some(high_watermark) = sim.broker(broker).map(|b| b.high_watermark()) else { return };
        let (answer, offset) = told;
        if offset > high_watermark {
            self.ghost.offsets_above_hw.insert(OffsetAboveHw { by: broker, consumer, answer, offset, high_watermark });
        }
    }

    /// `broker`'s current fetch answer was just delivered to `consumer`: a refusal that calls for
    /// new metadata, from a replica the consumer still prefers, goes into `kept_failed_replicas`
    /// (as in the model's `observe_refusal`; `step_ended` keeps only those still preferred).
    pub(super) fn refused(&mut self, sim: &Cluster, broker: BrokerId, consumer: u32, response: &FetchResponse) {
        let error = convert::error_code(response.error_code);
        let kept =
            sim.consumer(consumer).is_some_and(|c| c.preferred_read_replica().is_some_and(|p| p.broker_id == broker));
        if error.calls_for_new_metadata() && kept {
            self.ghost.kept_failed_replicas.insert(KeptFailedReplica { consumer, replica: broker, error });
        }
    }

    /// `broker`'s fetch answer was just delivered to a consumer (`chooser` is what the broker
    /// knew when it answered, `after` the cluster once the consumer took the answer).
    pub(super) fn answered(
        &mut self,
        broker: BrokerId,
        response: &FetchResponse,
        chooser: Option<Chooser>,
        after: &ClusterState,
    ) {
        let Some(chooser) = chooser else { return };
        if response.preferred_read_replica != NO_BROKER {
            self.ghost.note_redirect(Redirect {
                by: broker,
                by_leader: chooser.role == RoleKind::Leader,
                to: response.preferred_read_replica,
                to_in_isr: chooser.isr.contains(&response.preferred_read_replica),
                to_holds_offset: chooser.to_holds_offset,
            });
        } else if chooser.role == RoleKind::Follower
            && (response.error_code == ErrorCode::OFFSET_NOT_AVAILABLE
                || (response.error_code == ErrorCode::NONE && response.records.is_empty()))
        {
            self.ghost.happened.insert(Happened::FollowerAnsweredNotAvailableOrEmpty);
        }
        for (consumer, now) in after.consumers.iter().enumerate() {
            let known = self.deliveries[consumer].len();
            for record in now.delivered.iter().skip(known) {
                self.deliveries[consumer].push(Delivery {
                    offset: record.offset,
                    record: Record { epoch: record.epoch, value: record.value },
                    served_by: broker,
                    served_hw: response.high_watermark,
                });
            }
        }
    }

    /// `request` is about to reach a broker: a follower's fetch without its last epoch breaks
    /// KIP-595's rule, answer or not (as the model's step does before delivery).
    pub(super) fn fetched(&mut self, requester: NodeId, request: &Message) {
        if let Message::Fetch(f) = request {
            let broken =
                BrokenRequestRule::last_fetched_epoch(requester, f.replica_id, f.fetch_offset, f.last_fetched_epoch);
            self.ghost.broken_request_rules.extend(broken);
        }
    }

    /// `broker` took a request naming `request_epoch` from `requester` in `epoch_before` and
    /// answered at once with `answer`'s error (`None` also when it holds the request): fencing
    /// broken on the way goes into `broken_request_rules` (as the model's `observe_request`).
    pub(super) fn requested(
        &mut self,
        broker: BrokerId,
        requester: NodeId,
        request_epoch: Option<LeaderEpoch>,
        epoch_before: LeaderEpoch,
        answer: Option<highwater_traces::ErrorCode>,
    ) {
        let broken =
            request_epoch.and_then(|epoch| BrokenRequestRule::fencing(broker, requester, epoch, epoch_before, answer));
        self.ghost.broken_request_rules.extend(broken);
    }

    /// The step is over: a refused replica counts only if the consumer still prefers it and its
    /// metadata does not name it leader (as the model's `observe` does).
    pub(super) fn step_ended(&mut self, sim: &Cluster) {
        self.ghost.kept_failed_replicas.retain(|kept| {
            sim.consumer(kept.consumer).is_some_and(|c| {
                c.preferred_read_replica().is_some_and(|p| p.broker_id == kept.replica)
                    && c.metadata().is_none_or(|m| m.leader_id != kept.replica)
            })
        });
    }

    /// The step is over: fold in what it changed.
    pub(super) fn observe(&mut self, after: &ClusterState) {
        let before = std::mem::replace(&mut self.last, after.clone());
        let mut remember = |node: NodeId, epoch: i32| {
            let seen = self.ghost.epochs_seen.entry(node).or_insert(epoch);
            *seen = (*seen).max(epoch);
        };
        remember(NodeId::Controller, after.controller.leader_epoch);
        for b in after.brokers.iter().filter(|b| b.alive && b.role != RoleKind::Offline) {
            remember(NodeId::Broker(b.broker_id), b.leader_epoch);
        }
        for c in &after.consumers {
            remember(NodeId::Consumer(c.consumer_id), c.current_leader_epoch);
        }
        let mut leaders: Vec<_> = after.brokers.iter().filter(|b| b.alive && b.role == RoleKind::Leader).collect();
        leaders.sort_by_key(|b| std::cmp::Reverse(b.leader_epoch));
        for leader in leaders {
            if leader.high_watermark > self.ghost.true_hw {
                let from = self.ghost.committed.len().min(leader.log.len());
                let to = (leader.high_watermark as usize).min(leader.log.len());
                self.ghost
                    .committed
                    .extend(leader.log[from..to].iter().map(|r| Record { epoch: r.epoch, value: r.value }));
                self.ghost.true_hw = leader.high_watermark;
            }
        }
        self.ghost.acked = after.producer.acknowledged.clone();
        if after.controller.leader != before.controller.leader && after.controller.leader != NO_BROKER {
            self.ghost.happened.insert(Happened::LeaderChanged);
        }
        for (b0, b1) in before.brokers.iter().zip(&after.brokers) {
            if b0.alive && b1.alive && b1.log.len() < b0.log.len() {
                self.ghost.happened.insert(Happened::FollowerTruncated);
            }
        }
        for (c0, c1) in before.consumers.iter().zip(&after.consumers) {
            if c0.preferred_read_replica.is_some() && c1.preferred_read_replica.is_none() {
                self.ghost.happened.insert(Happened::ConsumerFellBackToLeader);
            }
        }
        for (consumer, deliveries) in self.deliveries.iter().enumerate() {
            for delivery in deliveries.iter().skip(self.delivered_before[consumer]) {
                if delivery.served_by != after.controller.leader {
                    self.ghost.happened.insert(Happened::ConsumerReadFromFollower);
                }
                if !after.cut_racks.is_empty() {
                    self.ghost.happened.insert(Happened::RackCutWhileConsuming);
                }
            }
        }
    }
}
