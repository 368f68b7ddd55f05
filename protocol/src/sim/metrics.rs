//! What follower fetching does for each consumer, counted as the simulated cluster runs: the
//! fetches the leader and the followers answered, the records they served and how many crossed
//! racks (the cost KIP-392 sets out to cut), how often the preferred read replica changed, and
//! how often its lease ran out.

use super::Cluster;
use crate::consumer::PreferredReplica;
use crate::errors::ErrorCode;
use crate::messages::Message;
use crate::types::NodeId;

/// One consumer's counters.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ConsumerMetrics {
    /// Fetches the leader answered without an error.
    pub fetches_from_leader: u64,
    /// Fetches a follower answered without an error.
    pub fetches_from_followers: u64,
    /// Records the leader served.
    pub records_from_leader: u64,
    /// Records followers served.
    pub records_from_followers: u64,
    /// Records served by a broker in another rack than the consumer's `client.rack` (all of
    /// them, for a consumer with none).
    pub records_across_racks: u64,
    /// Fetches answered without an error by a broker in another rack than the consumer's.
    pub fetches_across_racks: u64,
    /// Times the preferred read replica changed, to another broker or to none.
    pub preferred_replica_changes: u64,
    /// Times the preferred read replica was dropped because its lease (`metadata.max.age.ms`)
    /// ran out.
    pub lease_expiries: u64,
}

impl Cluster {
    /// A consumer's counters so far.
    pub fn consumer_metrics(&self, consumer: u32) -> Option<&ConsumerMetrics> {
        self.metrics.get(consumer as usize)
    }

    /// Count an answer a broker sends a consumer, when it sends it: its role then is the one that
    /// served it. An answer a crash or an outage then loses on the way is counted all the same.
    pub(super) fn count_answer(&mut self, from: NodeId, to: NodeId, message: &Message) {
        let (NodeId::Broker(broker), NodeId::Consumer(consumer), Message::FetchResponse(response)) =
            (from, to, message)
        else {
            return;
        };
        if response.error_code != ErrorCode::NONE {
            return;
        }
        let leads = self.broker(broker).is_some_and(|b| b.role_kind() == crate::broker::RoleKind::Leader);
        let across = self.place(from) != self.place(to);
        let Some(metrics) = self.metrics.get_mut(consumer as usize) else { return };
        let records = response.records.len() as u64;
        if leads {
            metrics.fetches_from_leader += 1;
            metrics.records_from_leader += records;
        } else {
            metrics.fetches_from_followers += 1;
            metrics.records_from_followers += records;
        }
        if across {
            metrics.records_across_racks += records;
            metrics.fetches_across_racks += 1;
        }
    }

    /// The preferred read replica of a consumer, before an input.
    pub(super) fn preferred_of(&self, node: NodeId) -> Option<Option<PreferredReplica>> {
        let NodeId::Consumer(c) = node else { return None };
        self.consumers.get(c as usize).map(|c| c.preferred_read_replica())
    }

    /// Count what an input changed about a consumer's preferred read replica: a change, and a
    /// lease expiry when the one it held was past its lease (whichever input noticed it first).
    pub(super) fn count_preferred(&mut self, node: NodeId, before: Option<PreferredReplica>) {
        let NodeId::Consumer(c) = node else { return };
        let now = self.now;
        let after = self.consumers.get(c as usize).and_then(|c| c.preferred_read_replica());
        let Some(metrics) = self.metrics.get_mut(c as usize) else { return };
        if after.map(|p| p.broker_id) != before.map(|p| p.broker_id) {
            metrics.preferred_replica_changes += 1;
            if before.is_some_and(|p| now >= p.expires_ms) {
                metrics.lease_expiries += 1;
            }
        }
    }
}
