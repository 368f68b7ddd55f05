//! Node configurations, with Kafka's config names and defaults where Kafka has them.

use crate::bugs::Bugs;
use crate::messages::ReplicaInfo;
use crate::selector::SelectorKind;
use crate::types::{BrokerId, Millis, Rack};

/// The two documented readings of KIP-392's out-of-range rules: what Kafka's `LocalLog.read`
/// does, and what the KIP text says.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum FetchSemantics {
    /// What Apache Kafka does: an offset between HW and LEO reads empty; an offset above a
    /// lagging follower's LEO is OFFSET_OUT_OF_RANGE (`LocalLog.read`).
    #[default]
    Apache,
    /// What the KIP text says: both cases answer OFFSET_NOT_AVAILABLE.
    KipStrict,
}

/// A broker's configuration.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BrokerConfig {
    /// `broker.id`.
    pub broker_id: BrokerId,
    /// `broker.rack`.
    pub rack: Option<Rack>,
    /// `replica.lag.time.max.ms`: a follower not caught up for this long leaves the ISR.
    pub replica_lag_time_max_ms: Millis,
    /// `replica.fetch.backoff.ms`: how long a follower backs off before fetching again after
    /// its fetch failed, an error answer or its connection to the leader reset (Kafka 4.4
    /// `AbstractFetcherThread.handlePartitionsWithErrors`). An answer with data or a new HW is
    /// fetched after at once: the leader long-polls, so every answer carries news.
    pub replica_fetch_backoff_ms: Millis,
    /// `replica.fetch.wait.max.ms`: how long the leader holds a follower's fetch that has no
    /// records to return (`DelayedFetch`); at that deadline it answers with its current HW.
    pub replica_fetch_wait_max_ms: Millis,
    /// How long a follower waits for a fetch response before sending another.
    pub request_timeout_ms: Millis,
    /// `fetch.max.wait.ms` as the replica applies it: how long a consumer fetch with nothing to
    /// read waits (Kafka's `DelayedFetch`) before it is answered empty.
    pub consumer_fetch_wait_ms: Millis,
    /// The backoff before a pending AlterPartition is sent again after its connection reset.
    pub alter_partition_retry_ms: Millis,
    /// `min.insync.replicas`.
    pub min_insync_replicas: usize,
    /// Most records in one fetch response (Kafka bounds bytes; one partition, so records).
    pub max_records_per_fetch: usize,
    /// KIP-392 out-of-range semantics.
    pub fetch_semantics: FetchSemantics,
    /// `replica.selector.class`.
    pub replica_selector: SelectorKind,
    /// Seeded bugs this broker carries.
    pub bugs: Bugs,
}

impl BrokerConfig {
    /// Kafka's defaults for this broker.
    pub fn new(broker_id: BrokerId, rack: Option<Rack>) -> Self {
        BrokerConfig {
            broker_id,
            rack,
            replica_lag_time_max_ms: 30_000,
            replica_fetch_backoff_ms: 1_000,
            replica_fetch_wait_max_ms: 500,
            request_timeout_ms: 30_000,
            consumer_fetch_wait_ms: 500,
            alter_partition_retry_ms: 100,
            min_insync_replicas: 1,
            max_records_per_fetch: usize::MAX,
            fetch_semantics: FetchSemantics::Apache,
            replica_selector: SelectorKind::Leader,
            bugs: Bugs::NONE,
        }
    }
}

/// The controller's configuration.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ControllerConfig {
    /// The partition's replicas in assignment order; the first is the initial leader.
    pub replicas: Vec<ReplicaInfo>,
    /// `unclean.leader.election.enable`.
    pub unclean_leader_election: bool,
}

/// Where a consumer starts when it has no valid position (`auto.offset.reset`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum ResetPolicy {
    /// The leader's log start offset.
    #[default]
    Earliest,
    /// The leader's high watermark.
    Latest,
    /// No policy: the consumer stops with an error instead of resetting.
    None,
}

/// A consumer's configuration.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ConsumerConfig {
    /// The consumer's number (its [`crate::NodeId::Consumer`]).
    pub consumer_id: u32,
    /// `client.rack`.
    pub client_rack: Option<Rack>,
    /// `metadata.max.age.ms`: metadata refresh interval and the preferred-replica lease.
    pub metadata_max_age_ms: Millis,
    /// `fetch.max.wait.ms`, as a consumer configures it. The replica applies the wait
    /// ([`BrokerConfig::consumer_fetch_wait_ms`]) and the consumer fetches again at once after
    /// an empty answer, so the consumer itself does not read this.
    pub fetch_max_wait_ms: Millis,
    /// `retry.backoff.ms`: the wait after a retriable error.
    pub retry_backoff_ms: Millis,
    /// `request.timeout.ms`.
    pub request_timeout_ms: Millis,
    /// `auto.offset.reset`.
    pub reset_policy: ResetPolicy,
    /// Seeded bugs this consumer carries.
    pub bugs: Bugs,
}

impl ConsumerConfig {
    /// Kafka's defaults for this consumer.
    pub fn new(consumer_id: u32, client_rack: Option<Rack>) -> Self {
        ConsumerConfig {
            consumer_id,
            client_rack,
            metadata_max_age_ms: 300_000,
            fetch_max_wait_ms: 500,
            retry_backoff_ms: 100,
            request_timeout_ms: 30_000,
            reset_policy: ResetPolicy::Earliest,
            bugs: Bugs::NONE,
        }
    }
}

/// The producer's configuration.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ProducerConfig {
    /// `retry.backoff.ms`, also used as the wait for metadata.
    pub retry_backoff_ms: Millis,
    /// `request.timeout.ms`.
    pub request_timeout_ms: Millis,
}

impl Default for ProducerConfig {
    fn default() -> Self {
        ProducerConfig { retry_backoff_ms: 100, request_timeout_ms: 30_000 }
    }
}
