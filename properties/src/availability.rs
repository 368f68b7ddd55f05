//! Availability under an outage: what follower fetching does for a consumer while part of the
//! network is down, and the outage is not healed.
//!
//! These are claims, not gates. Kafka as built keeps some and not others, depending on where the
//! leader, the followers and the consumer sit and on the outage's shape; which it keeps where is
//! the answer to KIP-392's availability question, so `highwater availability` judges each claim
//! per scenario and reports the verdicts side by side, rack-aware selection against
//! leader-only. `highwater check` does not judge them.
//!
//! A claim under the fault is bounded liveness with the fault kept: from every state with an
//! outage on, a fair continuation that neither heals it nor injects another must reach the goal
//! within K steps. The continuation also holds back the consumers' `metadata-refresh` tick: the
//! lease on a preferred read replica (`metadata.max.age.ms`, 300 s by default) outlasts the
//! request timeouts and fencing that an outage sets off (30 s and 9 s by default), so a claim
//! kept only by the lease running out is not kept during the outage.

use highwater_traces::{ClusterView, ConsumerView, NodeId, Role};

/// How a claim is judged.
#[derive(Clone, Copy, Debug)]
pub enum Judged {
    /// From every state with an outage on, a fair continuation that keeps the outage reaches
    /// the goal within K steps: holds or FAILS.
    UnderFault(fn(&ClusterView) -> bool),
    /// Some step of a run with an outage on does this, judged on the views before and after
    /// it: witnessed or not.
    Step(fn(&ClusterView, &ClusterView) -> bool),
    /// From some state with an outage on, a fair continuation that keeps the outage runs K
    /// steps without the goal, judged on the views where it starts and where it is: the goal
    /// missed is the witness.
    Stall(fn(&ClusterView, &ClusterView) -> bool),
}

/// Which side of KIP-392's question a witness answers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Answer {
    /// Follower fetching kept a consumer reading that leader-only fetching would not.
    Improved,
    /// Follower fetching stopped a consumer that leader-only fetching would have kept reading.
    Impaired,
}

/// One availability claim.
#[derive(Clone, Copy, Debug)]
pub struct Claim {
    /// Stable kebab-case name.
    pub name: &'static str,
    /// A short name for a report's column.
    pub short: &'static str,
    /// What it says, in one line.
    pub statement: &'static str,
    /// How it is judged.
    pub judged: Judged,
    /// For a witness: the side of the question it answers.
    pub answers: Option<Answer>,
}

impl Claim {
    /// Whether it is a witness (something some run does), as opposed to a claim every run keeps.
    pub fn is_witness(&self) -> bool {
        !matches!(self.judged, Judged::UnderFault(_))
    }
}

/// Every availability claim: those judged under the fault first, then the witnesses.
pub const CLAIMS: &[Claim] = &[
    Claim {
        name: "reads-from-reachable-leader",
        short: "leader",
        statement: "during an outage, a consumer that reaches the leader and the controller both ways reads up to the leader's high watermark within K fair steps, the outage kept",
        judged: Judged::UnderFault(reads_from_reachable_leader),
        answers: None,
    },
    Claim {
        name: "reads-from-reachable-isr-replica",
        short: "isr",
        statement: "during an outage, a consumer that reaches an in-sync replica both ways reads up to that replica's high watermark within K fair steps, the outage kept",
        judged: Judged::UnderFault(reads_from_reachable_isr_replica),
        answers: None,
    },
    Claim {
        name: "leaves-unreachable-replica",
        short: "leaves",
        statement: "during an outage, a consumer leaves a preferred read replica it cannot reach within K fair steps, without waiting for its lease to run out",
        judged: Judged::UnderFault(leaves_unreachable_replica),
        answers: None,
    },
    Claim {
        name: "follower-serves-cut-off-consumer",
        short: "improved",
        statement: "improved: a consumer received records from a follower while it could not reach the leader",
        judged: Judged::Step(follower_serves_cut_off_consumer),
        answers: Some(Answer::Improved),
    },
    Claim {
        name: "consumer-stalled-beside-leader",
        short: "impaired",
        statement: "impaired: a consumer that reached the leader, which had committed records it had not read, read nothing in K fair steps of the outage",
        judged: Judged::Stall(read_something_or_not_owed),
        answers: Some(Answer::Impaired),
    },
];

/// The claim with this name.
pub fn claim(name: &str) -> Option<&'static Claim> {
    CLAIMS.iter().find(|c| c.name == name)
}

/// Whether `consumer` has read up to `end`: its position, the next offset it reads, is there.
/// A rewind moves the position back, so what it read before is owed again.
fn read_up_to(consumer: &ConsumerView, end: i64) -> bool {
    consumer.position >= end
}

/// The consumers, not failed, that reach the live leader and the controller both ways, with
/// the leader.
fn beside_leader(view: &ClusterView) -> impl Iterator<Item = &ConsumerView> {
    let leader = view.leader().map(|l| l.id);
    view.consumers.iter().filter(move |c| {
        let node = NodeId::Consumer(c.id);
        !c.failed
            && leader.is_some_and(|l| view.connected(node, NodeId::Broker(l)))
            && view.connected(node, NodeId::Controller)
    })
}

/// Every consumer the leader and the controller reach both ways has read up to the leader's HW.
pub fn reads_from_reachable_leader(view: &ClusterView) -> bool {
    let Some(leader) = view.leader() else { return true };
    beside_leader(view).all(|c| read_up_to(c, leader.high_watermark))
}

/// Every consumer has read up to the HW of each in-sync replica it reaches both ways.
pub fn reads_from_reachable_isr_replica(view: &ClusterView) -> bool {
    let in_sync = view.brokers.iter().filter(|b| b.alive && view.controller.isr.contains(&b.id));
    let in_sync: Vec<_> = in_sync.collect();
    view.consumers.iter().filter(|c| !c.failed).all(|c| {
        in_sync
            .iter()
            .filter(|b| view.connected(NodeId::Consumer(c.id), NodeId::Broker(b.id)))
            .all(|b| read_up_to(c, b.high_watermark))
    })
}

/// No consumer holds a preferred read replica it cannot reach both ways.
pub fn leaves_unreachable_replica(view: &ClusterView) -> bool {
    view.consumers
        .iter()
        .all(|c| c.preferred_read_replica.is_none_or(|r| view.connected(NodeId::Consumer(c.id), NodeId::Broker(r))))
}

/// The step handed a consumer records from a follower (a follower in its own view: a deposed
/// leader still serving its old epoch is not one) while the consumer could not reach the
/// leader.
pub fn follower_serves_cut_off_consumer(before: &ClusterView, after: &ClusterView) -> bool {
    let leader = after.controller.leader;
    let follower = |id| after.broker(id).is_some_and(|b| b.role == Role::Follower);
    after.consumers.iter().zip(&before.consumers).any(|(c, c0)| {
        let new = c.delivered.get(c0.delivered.len()..).unwrap_or_default();
        new.iter().any(|d| d.served_by != leader && follower(d.served_by))
            && !after.connected(NodeId::Consumer(c.id), NodeId::Broker(leader))
    })
}

/// Every consumer that, where the continuation started, reached the leader and was owed
/// committed records, has read something since, or is owed nothing any more.
pub fn read_something_or_not_owed(start: &ClusterView, now: &ClusterView) -> bool {
    let Some(leader) = start.leader() else { return true };
    let owed: Vec<&ConsumerView> = beside_leader(start).filter(|c| !read_up_to(c, leader.high_watermark)).collect();
    owed.iter().all(|c0| {
        now.consumers
            .iter()
            .find(|c| c.id == c0.id)
            .is_none_or(|c| c.position > c0.position || now.leader().is_none_or(|l| read_up_to(c, l.high_watermark)))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_unique_and_found() {
        let mut names: Vec<&str> = CLAIMS.iter().map(|c| c.name).collect();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), CLAIMS.len());
        assert!(claim("reads-from-reachable-leader").is_some_and(|c| !c.is_witness()));
        assert!(claim("follower-serves-cut-off-consumer").is_some_and(Claim::is_witness));
        assert!(claim("no-such-claim").is_none());
        assert!(CLAIMS.iter().all(|c| crate::by_name(c.name).is_none()), "a claim shares a property's name");
    }
}
