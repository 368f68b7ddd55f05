//! Replica selectors (KIP-392): the broker-side plugin that picks a consumer's preferred read replica.
//!
//! Source: Kafka `org.apache.kafka.common.replica.{ReplicaSelector, ClientMetadata, PartitionView,
//! ReplicaView, RackAwareReplicaSelector, LeaderSelector}`.

use std::cmp::Ordering;
use std::fmt::Debug;

use crate::types::{BrokerId, Millis, Offset, Rack};

/// What the leader knows about the client asking (`ClientMetadata`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ClientMetadata {
    /// `client.rack`; empty when unset.
    pub rack_id: Rack,
    /// The client's id.
    pub client_id: String,
    /// The client's address.
    pub client_address: String,
}

/// One replica as the leader sees it (`ReplicaView`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ReplicaView {
    /// The broker.
    pub broker_id: BrokerId,
    /// Its `broker.rack`.
    pub rack: Option<Rack>,
    /// Its log end offset as the leader last saw it.
    pub log_end_offset: Offset,
    /// How long since it was last caught up with the leader (0 for the leader itself).
    pub time_since_last_caught_up_ms: Millis,
}

impl ReplicaView {
    /// Kafka 4.4 `ReplicaView.comparator()`: more caught up, then more recently caught up, then
    /// the broker id; `RackAwareReplicaSelector.select` takes the maximum, so a full tie goes to
    /// the highest id.
    pub fn compare(a: &ReplicaView, b: &ReplicaView) -> Ordering {
        a.log_end_offset
            .cmp(&b.log_end_offset)
            .then(b.time_since_last_caught_up_ms.cmp(&a.time_since_last_caught_up_ms))
            .then(a.broker_id.cmp(&b.broker_id))
    }
}

/// The candidates for one partition (`PartitionView`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PartitionView {
    /// Every candidate, the leader included.
    pub replicas: Vec<ReplicaView>,
    /// The leader.
    pub leader: ReplicaView,
}

/// Picks the replica a consumer should read from. `None` means "no replica is available".
pub trait ReplicaSelector: Debug + Send + Sync {
    /// Choose among `partition.replicas` for this client.
    fn select(&self, client: &ClientMetadata, partition: &PartitionView) -> Option<ReplicaView>;
}

/// The default selector: always the leader.
#[derive(Clone, Copy, Debug, Default)]
pub struct LeaderSelector;

impl ReplicaSelector for LeaderSelector {
    fn select(&self, _client: &ClientMetadata, partition: &PartitionView) -> Option<ReplicaView> {
        Some(partition.leader.clone())
    }
}

/// `RackAwareReplicaSelector`: a replica in the client's rack, preferring the leader, else the most
/// caught up; the leader when the client has no rack or no replica shares it.
#[derive(Clone, Copy, Debug, Default)]
pub struct RackAwareReplicaSelector;

impl ReplicaSelector for RackAwareReplicaSelector {
    fn select(&self, client: &ClientMetadata, partition: &PartitionView) -> Option<ReplicaView> {
        if client.rack_id.is_empty() {
            return Some(partition.leader.clone());
        }
        let same_rack: Vec<&ReplicaView> =
            partition.replicas.iter().filter(|r| r.rack.as_deref() == Some(client.rack_id.as_str())).collect();
        if same_rack.is_empty() || same_rack.iter().any(|r| r.broker_id == partition.leader.broker_id) {
            return Some(partition.leader.clone());
        }
        same_rack.into_iter().max_by(|a, b| ReplicaView::compare(a, b)).cloned()
    }
}

/// Which selector a broker runs (`replica.selector.class`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum SelectorKind {
    /// [`LeaderSelector`], Kafka's default.
    #[default]
    Leader,
    /// [`RackAwareReplicaSelector`].
    RackAware,
}

impl SelectorKind {
    /// The selector itself.
    pub fn build(self) -> &'static dyn ReplicaSelector {
        match self {
            SelectorKind::Leader => &LeaderSelector,
            SelectorKind::RackAware => &RackAwareReplicaSelector,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn replica(id: BrokerId, rack: &str, leo: Offset, since: Millis) -> ReplicaView {
        ReplicaView { broker_id: id, rack: Some(rack.into()), log_end_offset: leo, time_since_last_caught_up_ms: since }
    }

    fn client(rack: &str) -> ClientMetadata {
        ClientMetadata { rack_id: rack.into(), client_id: "c".into(), client_address: "a".into() }
    }

    fn view(replicas: Vec<ReplicaView>) -> PartitionView {
        PartitionView { leader: replicas[0].clone(), replicas }
    }

    #[test]
    fn leader_selector_always_picks_the_leader() {
        let p = view(vec![replica(1, "a", 5, 0), replica(2, "b", 5, 0)]);
        assert_eq!(LeaderSelector.select(&client("b"), &p).unwrap().broker_id, 1);
    }

    #[test]
    fn rack_aware_prefers_same_rack_then_leader_then_most_caught_up() {
        let p =
            view(vec![replica(1, "a", 9, 0), replica(2, "b", 7, 10), replica(3, "b", 8, 50), replica(4, "c", 9, 0)]);
        assert_eq!(RackAwareReplicaSelector.select(&client(""), &p).unwrap().broker_id, 1, "no rack: leader");
        assert_eq!(RackAwareReplicaSelector.select(&client("z"), &p).unwrap().broker_id, 1, "no match: leader");
        assert_eq!(RackAwareReplicaSelector.select(&client("a"), &p).unwrap().broker_id, 1, "leader in rack");
        assert_eq!(RackAwareReplicaSelector.select(&client("b"), &p).unwrap().broker_id, 3, "most caught up");
        assert_eq!(RackAwareReplicaSelector.select(&client("c"), &p).unwrap().broker_id, 4);
    }

    /// Kafka 4.4 `RackAwareReplicaSelector.select`: the maximum of `ReplicaView.comparator()`.
    #[test]
    fn ties_break_on_recency_then_the_highest_id_as_kafka_s_comparator_does() {
        let p = view(vec![replica(1, "a", 9, 0), replica(3, "b", 8, 20), replica(2, "b", 8, 10)]);
        assert_eq!(RackAwareReplicaSelector.select(&client("b"), &p).unwrap().broker_id, 2, "more recent");
        let p = view(vec![replica(1, "a", 9, 0), replica(2, "b", 8, 10), replica(3, "b", 8, 10)]);
        assert_eq!(RackAwareReplicaSelector.select(&client("b"), &p).unwrap().broker_id, 3, "a full tie: highest id");
    }
}
