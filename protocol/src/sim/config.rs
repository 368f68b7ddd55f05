//! What a simulated cluster is made of.

use crate::bugs::{Bug, Bugs};
use crate::config::{BrokerConfig, ConsumerConfig, FetchSemantics, ProducerConfig};
use crate::selector::SelectorKind;
use crate::types::{Millis, Rack};

/// The nodes of a simulated cluster and their configurations. Brokers are numbered from 1.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ClusterConfig {
    /// One per broker, in replica assignment order (the first is the initial leader).
    pub brokers: Vec<BrokerConfig>,
    /// One per consumer, numbered from 0.
    pub consumers: Vec<ConsumerConfig>,
    /// The producer.
    pub producer: ProducerConfig,
    /// `unclean.leader.election.enable` on the controller.
    pub unclean_leader_election: bool,
    /// `broker.session.timeout.ms`: how long after a broker's heartbeats stop the controller
    /// fences it. Kafka checks sessions every eighth of this and the last heartbeat came up to
    /// `broker.heartbeat.interval.ms` (2,000 ms) before the stop, so Kafka's fence lands up to
    /// 2,000 ms sooner or 1,125 ms later than this.
    pub broker_session_timeout_ms: Millis,
    /// The producer's `client.rack`: where the simulated network places it (a place of its own
    /// when absent).
    pub producer_rack: Option<Rack>,
    /// Whether outages lose messages silently, as a partitioned network drops packets: the
    /// requester then learns of the loss only when its `request.timeout.ms` runs out (Kafka's
    /// `NetworkClient.handleTimedOutRequests` closes the connection then), not at once as from
    /// a reset connection. Off by default, the model's rule: it has no clock to time out with.
    pub black_hole_outages: bool,
    /// How long a partition change takes to reach the brokers: the time an ISR change takes to
    /// propagate. The leader that asked for the change learns it from the controller's
    /// AlterPartition answer, which is not delayed. Kafka's KRaft brokers fetch the metadata log
    /// continuously, so it is small there (0 by default); ZooKeeper-era Kafka batched ISR
    /// changes for up to 60 s (`ReplicaManager.IsrChangePropagationInterval`). Only
    /// [`super::Cluster::step`] and [`super::Cluster::run_for`] wait for it; an explicit
    /// delivery, and [`super::Cluster::run_until_quiet`], take a message at once.
    pub isr_propagation_ms: Millis,
}

impl ClusterConfig {
    /// Brokers 1..=n placed in these racks, with Kafka's defaults, and no consumers.
    pub fn with_racks(racks: &[&str]) -> Self {
        let brokers =
            racks.iter().enumerate().map(|(i, rack)| BrokerConfig::new(i as i32 + 1, Some(rack.to_string()))).collect();
        ClusterConfig {
            brokers,
            consumers: Vec::new(),
            producer: ProducerConfig::default(),
            unclean_leader_election: false,
            broker_session_timeout_ms: 9_000,
            producer_rack: None,
            black_hole_outages: false,
            isr_propagation_ms: 0,
        }
    }

    /// Add a consumer with this `client.rack`.
    pub fn consumer(mut self, client_rack: Option<&str>) -> Self {
        let id = self.consumers.len() as u32;
        self.consumers.push(ConsumerConfig::new(id, client_rack.map(str::to_string)));
        self
    }

    /// Every broker runs this replica selector.
    pub fn selector(self, selector: SelectorKind) -> Self {
        self.map_brokers(|b| b.replica_selector = selector)
    }

    /// Every broker uses these fetch semantics.
    pub fn semantics(self, semantics: FetchSemantics) -> Self {
        self.map_brokers(|b| b.fetch_semantics = semantics)
    }

    /// Every node carries this seeded bug (each node consults only the bugs that concern it).
    pub fn bug(self, bug: Bug) -> Self {
        self.bugs(Bugs::only(bug))
    }

    /// Every node carries these seeded bugs.
    pub fn bugs(mut self, bugs: Bugs) -> Self {
        for broker in &mut self.brokers {
            broker.bugs = bugs;
        }
        for consumer in &mut self.consumers {
            consumer.bugs = bugs;
        }
        self
    }

    /// Change every broker's configuration.
    pub fn map_brokers(mut self, f: impl Fn(&mut BrokerConfig)) -> Self {
        self.brokers.iter_mut().for_each(f);
        self
    }

    /// Change every consumer's configuration.
    pub fn map_consumers(mut self, f: impl Fn(&mut ConsumerConfig)) -> Self {
        self.consumers.iter_mut().for_each(f);
        self
    }
}
