//! Step rules and observers, written once for the model and the protocol adapter.
//!
//! Each side shows its cluster through [`Observed`]: a few facts per broker and consumer, read
//! where they live (the model's actor states, the protocol crate's nodes). The observers in
//! [`ghost`] turn what each step does into the ghost history the properties judge, and [`step`]
//! holds the environment's rules for how a step unfolds. The protocol rules themselves are
//! written twice on purpose, once in the model and once in the protocol crate: conformance is
//! the check that they agree, so nothing here decides what a broker or client does.

pub mod ghost;
pub mod step;

pub use ghost::{
    fetch_without_last_epoch, served_across_epochs, BrokenRequestRule, Delivering, Ghost, Happened, KeptFailedReplica,
    OffsetAboveHw, OffsetAnswer, Redirect,
};
pub use step::{
    coalesce_partition_changes, first_eager, is_eager, outdated_at_broker, reset_order, MessageEpochs, SETTLE_BOUND,
};

use crate::ids::{BrokerId, LeaderEpoch, Offset, Record};
use crate::view::{Delivery, Role, Semantics};

/// A broker as the observers read it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BrokerFacts {
    /// Its id.
    pub id: BrokerId,
    /// Running (not crashed).
    pub alive: bool,
    /// Its role in its own view.
    pub role: Role,
    /// The leader epoch it holds.
    pub leader_epoch: LeaderEpoch,
    /// Its high watermark.
    pub high_watermark: Offset,
    /// Its log end offset.
    pub log_end_offset: Offset,
}

/// A consumer as the observers read it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ConsumerFacts {
    /// Its number.
    pub id: u32,
    /// Fetching, as opposed to resetting or validating its position.
    pub fetching: bool,
    /// The next offset it fetches.
    pub position: Offset,
    /// The leader epoch it believes current.
    pub current_leader_epoch: LeaderEpoch,
    /// Its preferred read replica, if any.
    pub preferred_read_replica: Option<BrokerId>,
    /// The leader its metadata names (`NO_BROKER` without metadata).
    pub metadata_leader: BrokerId,
}

/// What the observers read of a cluster. The model implements it over a state, the protocol
/// adapter over its running `sim::Cluster`.
pub trait Observed {
    /// The controller's leader and leader epoch.
    fn controller(&self) -> (BrokerId, LeaderEpoch);
    /// Every broker, crashed ones included, in id order.
    fn brokers(&self) -> impl Iterator<Item = BrokerFacts> + '_;
    /// Every consumer, in number order.
    fn consumers(&self) -> impl Iterator<Item = ConsumerFacts> + '_;
    /// The records of `broker`'s log from offset `from` up to `to` (or its end, if sooner).
    fn records(&self, broker: BrokerId, from: usize, to: usize) -> Vec<Record>;
    /// Whether `broker` holds `member` in the ISR, in its own view.
    fn in_isr(&self, broker: BrokerId, member: BrokerId) -> bool;
    /// The log end offset a leading `broker` last heard from `follower`.
    fn follower_log_end_offset(&self, broker: BrokerId, follower: BrokerId) -> Option<Offset>;
    /// Every record handed to `consumer`'s application, with the replica that served it.
    fn deliveries(&self, consumer: u32) -> &[Delivery];
    /// Values the producer was told are committed, with their offsets.
    fn acked(&self) -> &[(u64, Offset)];
    /// Whether any rack is cut now.
    fn any_rack_cut(&self) -> bool;
    /// The rules the run follows.
    fn semantics(&self) -> Semantics;
}

/// What [`Ghost::end_step`] compares a step's end with: the cluster as the step began.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct StepStart {
    controller_leader: BrokerId,
    brokers: Vec<BrokerFacts>,
    consumers: Vec<ConsumerStart>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct ConsumerStart {
    preferred_read_replica: Option<BrokerId>,
    delivered: usize,
}

impl StepStart {
    /// `cluster` as a step begins.
    pub fn of(cluster: &impl Observed) -> StepStart {
        StepStart {
            controller_leader: cluster.controller().0,
            brokers: cluster.brokers().collect(),
            consumers: cluster
                .consumers()
                .map(|c| ConsumerStart {
                    preferred_read_replica: c.preferred_read_replica,
                    delivered: cluster.deliveries(c.id).len(),
                })
                .collect(),
        }
    }
}
