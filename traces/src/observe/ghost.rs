//! The ghost history and every observer that feeds it, in one place: what each delivery,
//! request, answer, refusal and step records, and the request rules the properties judge.
//!
//! Both the model and the protocol adapter call these observers, each over its own cluster seen
//! through [`Observed`], so a property's predicate (in `highwater-properties`) and what feeds it
//! are this file and that one. The records are kept small and per step where a correct run
//! makes none (redirects KIP-392 does not allow, offsets told above the HW, refused replicas
//! kept, broken request rules): then they add no states to the model.
//!
//! One file rather than one per record on purpose: a new ghost-fed property adds its record
//! type, its field in [`Ghost`] and its observer here, and nothing else outside `properties/`.

use std::collections::{BTreeMap, BTreeSet};
use std::hash::{Hash, Hasher};

use serde::{Deserialize, Serialize};

use super::{BrokerFacts, Observed, StepStart};
use crate::ids::{BrokerId, LeaderEpoch, NodeId, Offset, Record, NO_BROKER};
use crate::message::{ErrorCode, Message};
use crate::view::{Role, Semantics};

/// A preferred-read-replica choice some broker made (a set: repeats are kept once).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct Redirect {
    /// Who chose.
    pub by: BrokerId,
    /// Whether the chooser was a leader in its own view when it chose. A leader that has not yet
    /// heard of a newer epoch counts: Kafka lets it redirect, and the consumer's next fetch is
    /// fenced. A follower choosing is the bug (KAFKA-13778).
    pub by_leader: bool,
    /// Whom.
    pub to: BrokerId,
    /// Whether `to` was in the chooser's ISR.
    pub to_in_isr: bool,
    /// Whether `to` held the fetch offset in the chooser's view.
    pub to_holds_offset: bool,
}

impl Redirect {
    /// A choice KIP-392 allows: made by a leader in its own view, of another replica in its
    /// ISR that holds the fetch offset.
    pub fn is_allowed(&self) -> bool {
        self.by_leader && self.to_in_isr && self.to_holds_offset && self.to != self.by
    }
}

/// Which answer told a consumer an offset.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum OffsetAnswer {
    /// `ListOffsets`: the offset found.
    ListOffsets,
    /// `OffsetsForLeaderEpoch`: the end offset of the epoch asked about.
    OffsetsForLeaderEpoch,
}

/// An offset a replica told a consumer that lies above that replica's high watermark: it
/// reveals that records the replica has not committed exist (KIP-392 caps these answers).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct OffsetAboveHw {
    /// The replica that answered.
    pub by: BrokerId,
    /// The consumer it told.
    pub consumer: u32,
    /// The answer.
    pub answer: OffsetAnswer,
    /// The offset it told.
    pub offset: Offset,
    /// Its high watermark when it answered.
    pub high_watermark: Offset,
}

/// A consumer that still holds its preferred read replica after that replica refused its fetch
/// with an error that calls for new metadata ([`ErrorCode::calls_for_new_metadata`]). Since
/// KAFKA-14379 such an error sends the consumer back to the leader at once; before, it kept
/// fetching from the failing replica until its lease (`metadata.max.age.ms`) ran out.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct KeptFailedReplica {
    /// The consumer.
    pub consumer: u32,
    /// The preferred read replica that refused it.
    pub replica: BrokerId,
    /// The error it answered with.
    pub error: ErrorCode,
}

/// A request rule a replica or follower broke in a step, seen on the wire.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case", tag = "rule")]
pub enum BrokenRequestRule {
    /// A replica served a request that named another leader epoch (KIP-320 fencing).
    ServedAcrossEpochs {
        /// The replica.
        by: BrokerId,
        /// Who asked.
        requester: NodeId,
        /// The epoch the request named.
        request_epoch: LeaderEpoch,
        /// The replica's own.
        replica_epoch: LeaderEpoch,
    },
    /// A follower fetched past offset 0 without naming the epoch of its last record
    /// (`last_fetched_epoch`, KIP-595), so the leader could not check it for divergence.
    FetchWithoutLastEpoch {
        /// The follower.
        follower: BrokerId,
        /// The offset it fetched.
        fetch_offset: Offset,
    },
}

impl BrokenRequestRule {
    /// KIP-320: `by`, in `replica_epoch`, answered a request from `requester` naming
    /// `request_epoch` with `answer` (`None`: it holds the request). A rule broken, if it served
    /// across epochs ([`served_across_epochs`]).
    pub fn fencing(
        by: BrokerId,
        requester: NodeId,
        request_epoch: LeaderEpoch,
        replica_epoch: LeaderEpoch,
        answer: Option<ErrorCode>,
    ) -> Option<Self> {
        served_across_epochs(request_epoch, replica_epoch, answer).then_some(BrokenRequestRule::ServedAcrossEpochs {
            by,
            requester,
            request_epoch,
            replica_epoch,
        })
    }

    /// KIP-595: a fetch from `requester` (`replica_id`, `fetch_offset`, `last_fetched_epoch`).
    /// A rule broken, if a follower fetched without its last epoch
    /// ([`fetch_without_last_epoch`]).
    pub fn last_fetched_epoch(
        requester: NodeId,
        replica_id: BrokerId,
        fetch_offset: Offset,
        last_fetched_epoch: LeaderEpoch,
    ) -> Option<Self> {
        let NodeId::Broker(follower) = requester else { return None };
        fetch_without_last_epoch(replica_id, fetch_offset, last_fetched_epoch)
            .then_some(BrokenRequestRule::FetchWithoutLastEpoch { follower, fetch_offset })
    }

    /// The same rule with consumer `c` renumbered `renumber[c]` (consumer symmetry).
    pub fn renumbered(self, renumber: &[u32]) -> Self {
        match self {
            BrokenRequestRule::ServedAcrossEpochs {
                by,
                requester: NodeId::Consumer(c),
                request_epoch,
                replica_epoch,
            } => {
                let requester = NodeId::Consumer(renumber[c as usize]);
                BrokenRequestRule::ServedAcrossEpochs { by, requester, request_epoch, replica_epoch }
            }
            other => other,
        }
    }
}

/// Coverage events: things a step can make happen.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Happened {
    /// A consumer received records from a follower.
    ConsumerReadFromFollower,
    /// A follower answered a consumer with OFFSET_NOT_AVAILABLE or an empty read.
    FollowerAnsweredNotAvailableOrEmpty,
    /// A consumer dropped its preferred replica and went back to the leader.
    ConsumerFellBackToLeader,
    /// A follower truncated its log.
    FollowerTruncated,
    /// The controller elected a different leader.
    LeaderChanged,
    /// A consumer received records while a rack was cut.
    RackCutWhileConsuming,
}

/// Ghost history: facts about the whole run, kept where the properties can see them.
#[derive(Clone, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct Ghost {
    /// The highest HW any leader reached, a leader not yet aware of a newer epoch included: its
    /// followers serve consumers what it committed (KIP-392), so that must survive too.
    pub true_hw: Offset,
    /// Records below `true_hw`: what is committed.
    pub committed: Vec<Record>,
    /// Values the producer was told are committed, with their offsets.
    pub acked: Vec<(u64, Offset)>,
    /// Preferred-replica choices KIP-392 does not allow, made by the step that led here (see
    /// [`Ghost::note_redirect`]). Only the last step's, and only those: a correct run makes
    /// none, so this adds no states, and every choice is judged in the state right after it.
    #[serde(default, skip_serializing_if = "BTreeSet::is_empty")]
    pub redirects: BTreeSet<Redirect>,
    /// Coverage events of the step that led here (the last step's only, for the same reason).
    pub happened: BTreeSet<Happened>,
    /// Offsets above its HW that a replica told a consumer in the step that led here. Only
    /// those are kept, not every offset told: a correct run keeps none, so this adds no states.
    #[serde(default, skip_serializing_if = "BTreeSet::is_empty")]
    pub offsets_above_hw: BTreeSet<OffsetAboveHw>,
    /// Preferred read replicas a consumer kept through a refused fetch, in the step that led
    /// here. A correct run keeps none, so this adds no states either.
    #[serde(default, skip_serializing_if = "BTreeSet::is_empty")]
    pub kept_failed_replicas: BTreeSet<KeptFailedReplica>,
    /// Request rules broken in the step that led here. A correct run breaks none, so this adds
    /// no states either.
    #[serde(default, skip_serializing_if = "BTreeSet::is_empty")]
    pub broken_request_rules: BTreeSet<BrokenRequestRule>,
    /// The highest leader epoch each node (`controller`, `broker-N`, `consumer-N`) showed in
    /// any state so far, this one included, for `leader-epoch-monotonic`: a node whose epoch
    /// now is below it went backwards. (Folding in the current state keeps this equal to the
    /// current epochs in a correct run, so it adds no states to the model.)
    pub epochs_seen: BTreeMap<NodeId, LeaderEpoch>,
}

impl Ghost {
    /// A preferred-replica choice some broker made in this step: kept only if KIP-392 does not
    /// allow it.
    pub fn note_redirect(&mut self, redirect: Redirect) {
        if !redirect.is_allowed() {
            self.redirects.insert(redirect);
        }
    }

    /// A new step begins: the last step's events are forgotten.
    pub fn start_step(&mut self) {
        self.redirects.clear();
        self.happened.clear();
        self.offsets_above_hw.clear();
        self.kept_failed_replicas.clear();
        self.broken_request_rules.clear();
    }

    /// `message` is about to go from `from` to `to` in `cluster`: what must be read before it
    /// moves is read now (the delivery may set off a reset that changes the sender). Hand the
    /// result to [`Ghost::after_delivery`] once the message is delivered.
    pub fn before_delivery(
        &mut self,
        cluster: &impl Observed,
        from: NodeId,
        to: NodeId,
        message: &Message,
    ) -> Delivering {
        let mut delivering = Delivering { request: None, refusal: None };
        match (from, to) {
            (_, NodeId::Broker(broker)) => {
                if let Message::Fetch { replica_id, fetch_offset, last_fetched_epoch, .. } = *message {
                    let broken =
                        BrokenRequestRule::last_fetched_epoch(from, replica_id, fetch_offset, last_fetched_epoch);
                    self.broken_request_rules.extend(broken);
                }
                delivering.request =
                    message.current_leader_epoch().map(|epoch| (broker, from, epoch, replica_epoch(cluster, broker)));
            }
            (NodeId::Broker(broker), NodeId::Consumer(consumer)) => {
                let current = self.answer_to_consumer(cluster, broker, consumer, message);
                delivering.refusal = message.error_code().filter(|_| current).map(|error| (broker, consumer, error));
            }
            _ => {}
        }
        delivering
    }

    /// The delivery [`Ghost::before_delivery`] read is done; `answer` is what the receiver sent
    /// straight back to the sender, if anything (nothing also when it holds a request, as a long
    /// poll).
    pub fn after_delivery(&mut self, cluster: &impl Observed, delivering: Delivering, answer: Option<&Message>) {
        if let Some((replica, consumer, error)) = delivering.refusal {
            // A refusal that calls for new metadata from a replica the consumer still prefers
            // (KAFKA-14379); `end_step` keeps it only if it is still preferred then.
            let kept = cluster.consumers().any(|c| c.id == consumer && c.preferred_read_replica == Some(replica));
            if error.calls_for_new_metadata() && kept {
                self.kept_failed_replicas.insert(KeptFailedReplica { consumer, replica, error });
            }
        }
        if let Some((broker, requester, request_epoch, epoch_before)) = delivering.request {
            let answer = answer.and_then(Message::error_code);
            let broken = BrokenRequestRule::fencing(broker, requester, request_epoch, epoch_before, answer);
            self.broken_request_rules.extend(broken);
        }
    }

    /// A broker's answer to a consumer, about to be delivered: a redirect goes to
    /// [`Ghost::note_redirect`], a follower's empty or OFFSET_NOT_AVAILABLE answer into coverage,
    /// an offset told above the broker's HW into `offsets_above_hw`. Returns whether it is a
    /// fetch answer the consumer takes as current: fetching, at the offset fetched, whatever the
    /// request's leader epoch (Kafka's `FetchCollector`; otherwise it drops it as stale).
    fn answer_to_consumer(
        &mut self,
        cluster: &impl Observed,
        broker: BrokerId,
        consumer: u32,
        answer: &Message,
    ) -> bool {
        let current = match *answer {
            Message::FetchResponse { fetch_offset, .. } => {
                cluster.consumers().any(|c| c.id == consumer && c.fetching && c.position == fetch_offset)
            }
            _ => false,
        };
        let Some(replica) = cluster.brokers().find(|b| b.id == broker) else { return current };
        let told = match *answer {
            Message::ListOffsetsResponse { error_code: ErrorCode::NONE, offset, .. } => {
                Some((OffsetAnswer::ListOffsets, offset))
            }
            // Only KIP-392's text caps this answer at the HW; Kafka answers the epoch's end offset
            // (`Partition.lastOffsetForLeaderEpoch`), so under Apache semantics an answer above
            // the HW breaks no promise and is not recorded.
            Message::OffsetsForLeaderEpochResponse { error_code: ErrorCode::NONE, end_offset, .. }
                if cluster.semantics() == Semantics::KipStrict =>
            {
                Some((OffsetAnswer::OffsetsForLeaderEpoch, end_offset))
            }
            _ => None,
        };
        if let Some((answer, offset)) = told.filter(|(_, offset)| *offset > replica.high_watermark) {
            let high_watermark = replica.high_watermark;
            self.offsets_above_hw.insert(OffsetAboveHw { by: broker, consumer, answer, offset, high_watermark });
            return current;
        }
        let Message::FetchResponse { error_code, ref records, preferred_read_replica: to, fetch_offset, .. } = *answer
        else {
            return current;
        };
        if to != NO_BROKER {
            // A leader still unaware of a newer epoch may redirect too (its consumer's next fetch
            // is fenced); only a broker that is not a leader in its own view must never choose.
            let to_holds_offset = cluster.follower_log_end_offset(broker, to).is_some_and(|leo| fetch_offset <= leo);
            let to_in_isr = cluster.in_isr(broker, to);
            let by_leader = replica.role == Role::Leader;
            self.note_redirect(Redirect { by: broker, by_leader, to, to_in_isr, to_holds_offset });
        } else if replica.role == Role::Follower
            && (error_code == ErrorCode::OFFSET_NOT_AVAILABLE || (error_code == ErrorCode::NONE && records.is_empty()))
        {
            self.happened.insert(Happened::FollowerAnsweredNotAvailableOrEmpty);
        }
        current
    }

    /// The step that began at `start` is over and left `after`: fold in what it changed.
    pub fn end_step(&mut self, start: &StepStart, after: &impl Observed) {
        let (leader, leader_epoch) = after.controller();
        // The highest epoch each node has shown, this state included, for leader-epoch-monotonic.
        let mut remember = |node: NodeId, epoch: LeaderEpoch| {
            let seen = self.epochs_seen.entry(node).or_insert(epoch);
            *seen = (*seen).max(epoch);
        };
        remember(NodeId::Controller, leader_epoch);
        for b in after.brokers().filter(|b| b.alive && b.role != Role::Offline) {
            remember(NodeId::Broker(b.id), b.leader_epoch);
        }
        for c in after.consumers() {
            remember(NodeId::Consumer(c.id), c.current_leader_epoch);
        }
        // Committed: what any live leader has under its HW, the newest epoch first. A leader that
        // has not yet heard of a newer epoch counts: its followers serve consumers what it
        // committed (KIP-392), so that data must survive. If it would not, leader-completeness
        // and log-matching say so. (Vanlightly's specs count only the controller's leader, as
        // their consumers read only from it.)
        let mut leaders: Vec<BrokerFacts> = after.brokers().filter(|b| b.alive && b.role == Role::Leader).collect();
        leaders.sort_by_key(|b| std::cmp::Reverse(b.leader_epoch));
        for l in leaders {
            if l.high_watermark > self.true_hw {
                let from = self.committed.len();
                self.committed.extend(after.records(l.id, from, l.high_watermark as usize));
                self.true_hw = l.high_watermark;
            }
        }
        if self.acked != after.acked() {
            self.acked = after.acked().to_vec();
        }
        if leader != start.controller_leader && leader != NO_BROKER {
            self.happened.insert(Happened::LeaderChanged);
        }
        for (b0, b1) in start.brokers.iter().zip(after.brokers()) {
            if b0.alive && b1.alive && b1.log_end_offset < b0.log_end_offset {
                self.happened.insert(Happened::FollowerTruncated);
            }
        }
        // A refused replica still preferred when the step ends, unless the metadata the refusal
        // sent the consumer for names it leader: then it is where the consumer goes anyway.
        self.kept_failed_replicas.retain(|kept| {
            after.consumers().any(|c| {
                c.id == kept.consumer
                    && c.preferred_read_replica == Some(kept.replica)
                    && c.metadata_leader != kept.replica
            })
        });
        for (c0, c1) in start.consumers.iter().zip(after.consumers()) {
            if c0.preferred_read_replica.is_some() && c1.preferred_read_replica.is_none() {
                self.happened.insert(Happened::ConsumerFellBackToLeader);
            }
            let new = after.deliveries(c1.id).get(c0.delivered..).unwrap_or_default();
            for delivery in new {
                if delivery.served_by != leader {
                    self.happened.insert(Happened::ConsumerReadFromFollower);
                }
                if after.any_rack_cut() {
                    self.happened.insert(Happened::RackCutWhileConsuming);
                }
            }
        }
    }

    /// Everything but the last step's coverage events, into `hasher`. Those say how a state was
    /// reached, not what can follow it, so two states that differ only there are one state. A
    /// `sometimes` property sees an event only if a step that makes it lands on a state not yet
    /// seen; each event comes from many steps, and a miss shows as NOT REACHED, never as a pass.
    pub fn hash_without_events<H: Hasher>(&self, hasher: &mut H) {
        // Destructured, so that a new field cannot be left out unnoticed.
        let Ghost {
            true_hw,
            committed,
            acked,
            redirects,
            happened: _,
            offsets_above_hw,
            kept_failed_replicas,
            broken_request_rules,
            epochs_seen,
        } = self;
        (
            true_hw,
            committed,
            acked,
            redirects,
            offsets_above_hw,
            kept_failed_replicas,
            broken_request_rules,
            epochs_seen,
        )
            .hash(hasher);
    }

    /// What the ghost says of consumer `c` alone, into `hasher` (for consumer symmetry: a digest
    /// of everything that concerns one consumer).
    pub fn hash_consumer<H: Hasher>(&self, c: u32, hasher: &mut H) {
        self.epochs_seen.get(&NodeId::Consumer(c)).hash(hasher);
        for told in self.offsets_above_hw.iter().filter(|t| t.consumer == c) {
            (told.by, told.answer, told.offset, told.high_watermark).hash(hasher);
        }
        for kept in self.kept_failed_replicas.iter().filter(|k| k.consumer == c) {
            (kept.replica, kept.error).hash(hasher);
        }
        for broken in &self.broken_request_rules {
            if let BrokenRequestRule::ServedAcrossEpochs { by, requester, request_epoch, replica_epoch } = broken {
                if *requester == NodeId::Consumer(c) {
                    (by, request_epoch, replica_epoch).hash(hasher);
                }
            }
        }
    }

    /// The same history with consumer `c` renumbered `renumber[c]` wherever a consumer is named.
    pub fn renumber_consumers(&mut self, renumber: &[u32]) {
        // Destructured, so that a new field naming consumers cannot be left out unnoticed.
        let Ghost {
            true_hw: _,
            committed: _,
            acked: _,
            redirects: _,
            happened: _,
            offsets_above_hw,
            kept_failed_replicas,
            broken_request_rules,
            epochs_seen,
        } = self;
        let consumer = |c: u32| renumber[c as usize];
        let node = |node: NodeId| match node {
            NodeId::Consumer(c) => NodeId::Consumer(consumer(c)),
            other => other,
        };
        *epochs_seen = epochs_seen.iter().map(|(n, epoch)| (node(*n), *epoch)).collect();
        *offsets_above_hw =
            offsets_above_hw.iter().map(|&told| OffsetAboveHw { consumer: consumer(told.consumer), ..told }).collect();
        *kept_failed_replicas = kept_failed_replicas
            .iter()
            .map(|&kept| KeptFailedReplica { consumer: consumer(kept.consumer), ..kept })
            .collect();
        *broken_request_rules = broken_request_rules.iter().map(|broken| broken.renumbered(renumber)).collect();
    }
}

/// What [`Ghost::before_delivery`] read of a delivery, to be judged once it is done.
#[derive(Debug)]
#[must_use = "hand it to `Ghost::after_delivery` once the message is delivered"]
pub struct Delivering {
    /// A partition request to a broker: the broker, who asked, the leader epoch the request
    /// names and the broker's own before it.
    request: Option<(BrokerId, NodeId, LeaderEpoch, LeaderEpoch)>,
    /// A current fetch answer to a consumer that carries an error: replica, consumer, error.
    refusal: Option<(BrokerId, u32, ErrorCode)>,
}

/// A replica's leader epoch as a request is judged against it: -1 while it is down or has not
/// yet heard from the controller (it then refuses everything with NOT_LEADER_OR_FOLLOWER).
fn replica_epoch(cluster: &impl Observed, broker: BrokerId) -> LeaderEpoch {
    cluster.brokers().find(|b| b.id == broker && b.alive && b.role != Role::Offline).map_or(-1, |b| b.leader_epoch)
}

/// Whether a fetch broke KIP-595's rule that a follower names the epoch of its last record
/// (`last_fetched_epoch`) whenever it has one, i.e. fetches past offset 0. Consumers (replica id
/// -1) name none.
pub fn fetch_without_last_epoch(replica_id: BrokerId, fetch_offset: Offset, last_fetched_epoch: LeaderEpoch) -> bool {
    replica_id >= 0 && fetch_offset > 0 && last_fetched_epoch == -1
}

/// Whether a replica in `replica_epoch` that answered a request naming `request_epoch` with
/// `answer` (`None`: not yet, the request waits) broke KIP-320's fencing: a request from another
/// epoch must be refused (older with FENCED_LEADER_EPOCH, newer with UNKNOWN_LEADER_EPOCH), not
/// served: not held, not answered with data or offsets, nor with an error its log decided
/// (OFFSET_OUT_OF_RANGE, OFFSET_NOT_AVAILABLE). A refusal for its role (NOT_LEADER_OR_FOLLOWER)
/// acts on nothing of the wrong epoch, so it counts as refused too.
pub fn served_across_epochs(request_epoch: LeaderEpoch, replica_epoch: LeaderEpoch, answer: Option<ErrorCode>) -> bool {
    let refused = matches!(
        answer,
        Some(
            ErrorCode::FENCED_LEADER_EPOCH
                | ErrorCode::UNKNOWN_LEADER_EPOCH
                | ErrorCode::NOT_LEADER_OR_FOLLOWER
                | ErrorCode::REPLICA_NOT_AVAILABLE
        )
    );
    request_epoch != -1 && replica_epoch != -1 && request_epoch != replica_epoch && !refused
}
