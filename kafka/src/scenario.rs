//! The scenarios of KIP-392's discussion, run on the real cluster: each on a topic of its own
//! (one partition, replicas 1, 2, 3, broker 1 in rack `a` leading), with the protocol crate's
//! producer (in a place of its own) and one consumer in rack `b`, beside both followers, as
//! `highwater availability`'s `beside-two-followers` placement.

use std::time::Duration;

use highwater_protocol::{
    BrokerId, Consumer, ConsumerConfig, Input, Message, NodeId, OffsetRecord, Producer, ProducerConfig, ResetCause,
    SeekTo,
};
use highwater_traces::Outage;
use serde::Serialize;

use crate::cluster::{self, Cluster};
use crate::driver::{Client, Driver};
use crate::figures::{self, Figures};
use crate::history::{History, What};
use crate::judge::{self, FinalRead, Verdict};
use crate::translate::FetchSettings;
use crate::{wire, KafkaError};

/// The consumer's `client.rack`.
pub const CONSUMER_RACK: &str = "b";
/// The first leader of every scenario's partition.
pub const FIRST_LEADER: BrokerId = 1;

/// The clients' and brokers' timings, shortened from Kafka's defaults so that a fault plays out
/// in seconds; `highwater availability` is given the same ones for its predictions.
#[derive(Clone, Copy, Debug, Serialize)]
pub struct Timings {
    /// `metadata.max.age.ms` (default 300000): metadata refresh and the preferred replica's lease.
    pub metadata_max_age_ms: u64,
    /// `request.timeout.ms` (default 30000) of the clients.
    pub request_timeout_ms: u64,
    /// `fetch.max.wait.ms` (default 500).
    pub fetch_max_wait_ms: u64,
    /// `retry.backoff.ms` (default 100).
    pub retry_backoff_ms: u64,
    /// `replica.lag.time.max.ms` (default 30000).
    pub replica_lag_time_max_ms: u64,
    /// `replica.socket.timeout.ms` (default 30000).
    pub replica_socket_timeout_ms: u64,
    /// `broker.session.timeout.ms` (default 9000).
    pub broker_session_timeout_ms: u64,
    /// The producer sends a record this often.
    pub produce_interval_ms: u64,
    /// From the start of an outage scenario to the cut.
    pub outage_start_ms: u64,
    /// How long the outage lasts.
    pub outage_duration_ms: u64,
    /// How long the run goes on after the heal.
    pub after_heal_ms: u64,
}

impl Default for Timings {
    fn default() -> Self {
        Timings {
            metadata_max_age_ms: 5_000,
            request_timeout_ms: 5_000,
            fetch_max_wait_ms: 500,
            retry_backoff_ms: 100,
            replica_lag_time_max_ms: 5_000,
            replica_socket_timeout_ms: 5_000,
            broker_session_timeout_ms: 6_000,
            produce_interval_ms: 200,
            outage_start_ms: 3_000,
            outage_duration_ms: 15_000,
            after_heal_ms: 10_000,
        }
    }
}

impl Timings {
    /// The settings every node's properties get.
    pub fn broker_settings(&self) -> Vec<(String, String)> {
        vec![
            ("replica.lag.time.max.ms".into(), self.replica_lag_time_max_ms.to_string()),
            ("replica.socket.timeout.ms".into(), self.replica_socket_timeout_ms.to_string()),
            ("broker.session.timeout.ms".into(), self.broker_session_timeout_ms.to_string()),
            ("broker.heartbeat.interval.ms".into(), (self.broker_session_timeout_ms / 3).to_string()),
        ]
    }

    fn fetch_settings(&self) -> FetchSettings {
        FetchSettings { max_wait_ms: self.fetch_max_wait_ms as i32, request_timeout_ms: self.request_timeout_ms as i32 }
    }
}

/// What a scenario does.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Kind {
    /// Produce with acks=all, then consume from the same-rack follower the leader names.
    FollowerFetch,
    /// Consume, let a follower fall behind (killed while records are produced, then started
    /// again), and seek to the beginning while it catches up.
    SeekToBeginning,
    /// Kill the leader and ask ListOffsets(latest) again and again through the failover, in
    /// KIP-207's window where the new leader's HW may lag its epoch start.
    FailoverListOffsets,
    /// Kill the leader under a consumer whose position has an epoch: it validates the position
    /// with OffsetsForLeaderEpoch against the new leader (KIP-320).
    ValidateAfterFailover,
    /// An outage of the availability matrix, cut and healed while records flow.
    Outage(Outage),
}

/// A scenario.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Scenario {
    /// Its name on the command line.
    pub name: String,
    /// What it does, in words.
    pub about: String,
    /// What it does.
    pub kind: Kind,
}

impl Scenario {
    /// The scenario of `highwater availability` that predicts this one's figures, if any.
    pub fn availability_name(&self) -> Option<String> {
        match &self.kind {
            Kind::Outage(o) => Some(format!("beside-two-followers/{}", outage_name(o))),
            _ => None,
        }
    }
}

fn outage_name(outage: &Outage) -> String {
    match outage {
        Outage::Rack { rack } => format!("rack-{rack}"),
        Outage::Link { a, b } => format!("link-{a}-{b}"),
        Outage::OneWay { from, to } => format!("one-way-{from}-{to}"),
    }
}

/// Every scenario, in the order `--all` runs them.
pub fn all() -> Vec<Scenario> {
    let mut scenarios = vec![
        Scenario {
            name: "follower-fetch".into(),
            about: "produce with acks=all, consume from the same-rack follower the leader names".into(),
            kind: Kind::FollowerFetch,
        },
        Scenario {
            name: "seek-to-beginning".into(),
            about: "seek to the beginning while a follower in the consumer's rack catches up".into(),
            kind: Kind::SeekToBeginning,
        },
        Scenario {
            name: "failover-list-offsets".into(),
            about: "kill the leader; ListOffsets(latest) through the failover (KIP-207's window)".into(),
            kind: Kind::FailoverListOffsets,
        },
        Scenario {
            name: "validate-after-failover".into(),
            about: "kill the leader; the consumer validates its position with OffsetsForLeaderEpoch".into(),
            kind: Kind::ValidateAfterFailover,
        },
    ];
    let rack = |r: &str| r.to_string();
    for outage in [
        Outage::Rack { rack: rack("a") },
        Outage::Rack { rack: rack("b") },
        Outage::Link { a: rack("a"), b: rack("b") },
        Outage::OneWay { from: rack("a"), to: rack("b") },
        Outage::OneWay { from: rack("b"), to: rack("a") },
    ] {
        scenarios.push(Scenario {
            name: outage_name(&outage),
            about: format!("{outage}, cut and healed while records flow"),
            kind: Kind::Outage(outage),
        });
    }
    scenarios
}

/// Something a scenario must see to have tested what it is about.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Expectation {
    /// What.
    pub what: String,
    /// Whether it was seen.
    pub met: bool,
    /// What was seen.
    pub detail: String,
}

/// A scenario's result.
#[derive(Clone, Debug, Serialize)]
pub struct Outcome {
    /// The scenario's name.
    pub scenario: String,
    /// What it does.
    pub about: String,
    /// The properties' verdicts.
    pub verdicts: Vec<Verdict>,
    /// What it had to see.
    pub expectations: Vec<Expectation>,
    /// Availability figures (outage scenarios).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub figures: Option<Figures>,
    /// The committed log read after the run.
    pub final_read: FinalRead,
    /// Everything that happened.
    pub history: History,
}

impl Outcome {
    /// Whether every property held and every expectation was met.
    pub fn passed(&self) -> bool {
        self.verdicts.iter().all(|v| v.holds) && self.expectations.iter().all(|e| e.met)
    }
}

/// Run one scenario on a running cluster; the cluster is whole again afterwards.
pub async fn run(cluster: &mut Cluster, scenario: &Scenario, timings: &Timings) -> Result<Outcome, KafkaError> {
    let topic = format!("hw-{}", scenario.name);
    cluster.create_topic(&topic).await?;
    cluster.await_partition(&topic, FIRST_LEADER, Duration::from_secs(30)).await?;
    let mut consumer_config = ConsumerConfig::new(0, Some(CONSUMER_RACK.to_string()));
    consumer_config.metadata_max_age_ms = timings.metadata_max_age_ms;
    consumer_config.fetch_max_wait_ms = timings.fetch_max_wait_ms;
    consumer_config.retry_backoff_ms = timings.retry_backoff_ms;
    consumer_config.request_timeout_ms = timings.request_timeout_ms;
    let producer_config =
        ProducerConfig { request_timeout_ms: timings.request_timeout_ms, retry_backoff_ms: timings.retry_backoff_ms };
    let clients =
        vec![Client::Consumer(Consumer::new(consumer_config)), Client::Producer(Producer::new(producer_config))];
    let mut driver = Driver::new(&topic, timings.fetch_settings(), clients);
    driver.start().await;
    let mut steps = Steps { cluster, driver: &mut driver, timings, topic: &topic, next_value: 1, killed: Vec::new() };
    let expectations = match &scenario.kind {
        Kind::FollowerFetch => steps.follower_fetch().await?,
        Kind::SeekToBeginning => steps.seek_to_beginning().await?,
        Kind::FailoverListOffsets => steps.failover_list_offsets().await?,
        Kind::ValidateAfterFailover => steps.validate_after_failover().await?,
        Kind::Outage(outage) => steps.outage(outage.clone()).await?,
    };
    steps.restore().await?;
    let final_read = steps.cluster.final_read(&topic).await?;
    let consumer = driver.clients().find_map(|c| match c {
        Client::Consumer(c) => Some(c),
        Client::Producer(_) => None,
    });
    let consumers: Vec<&Consumer> = consumer.into_iter().collect();
    let verdicts = judge::judge(&consumers, &driver.history, &final_read);
    let figures = match &scenario.kind {
        Kind::Outage(_) => Some(figures::figures(&driver.history, CONSUMER_RACK)),
        _ => None,
    };
    Ok(Outcome {
        scenario: scenario.name.clone(),
        about: scenario.about.clone(),
        verdicts,
        expectations,
        figures,
        final_read,
        history: driver.history,
    })
}

struct Steps<'a> {
    cluster: &'a mut Cluster,
    driver: &'a mut Driver,
    timings: &'a Timings,
    topic: &'a str,
    next_value: u64,
    killed: Vec<BrokerId>,
}

impl Steps<'_> {
    fn interval(&self) -> Duration {
        Duration::from_millis(self.timings.produce_interval_ms)
    }

    /// Produce every interval for `duration`, and watch the partition once a second.
    async fn flow(&mut self, duration: Duration) {
        self.driver.produce_every(self.interval(), self.next_value);
        let end = tokio::time::Instant::now() + duration;
        loop {
            let left = end.saturating_duration_since(tokio::time::Instant::now());
            if left.is_zero() {
                break;
            }
            self.driver.run_for(left.min(Duration::from_secs(1))).await;
            self.watch().await;
        }
        if let Some(next) = self.driver.stop_producing() {
            self.next_value = next;
        }
    }

    /// Record the partition as the first broker to answer the run's own Metadata describes it,
    /// so that the judge has the ISR at a known time.
    async fn watch(&mut self) {
        for b in cluster::brokers() {
            if let Some(m) = self.cluster.partition_quick(self.topic, b.id).await {
                let now = self.driver.now();
                self.driver.history.push(
                    now,
                    What::Partition {
                        broker: b.id,
                        leader: m.leader_id,
                        leader_epoch: m.leader_epoch,
                        isr: m.isr_nodes,
                    },
                );
                return;
            }
        }
    }

    async fn produce(&mut self, count: u64) {
        let producer = self.driver.slot_of(NodeId::Producer).expect("every scenario has a producer");
        for _ in 0..count {
            let value = self.next_value;
            self.next_value += 1;
            self.driver.input(producer, Input::Produce(value)).await;
        }
    }

    async fn consume_until(&mut self, count: usize, timeout: Duration) -> bool {
        self.driver.run_until(timeout, |d| delivered(d).len() >= count).await
    }

    fn kill(&mut self, broker: BrokerId) -> Result<(), KafkaError> {
        self.cluster.kill(broker)?;
        self.killed.push(broker);
        self.driver.step(format!("kill broker {broker}"));
        Ok(())
    }

    fn restart(&mut self, broker: BrokerId) -> Result<(), KafkaError> {
        self.cluster.restart(broker)?;
        self.killed.retain(|b| *b != broker);
        self.driver.step(format!("restart broker {broker}"));
        Ok(())
    }

    async fn follower_fetch(&mut self) -> Result<Vec<Expectation>, KafkaError> {
        self.produce(20).await;
        let all = self.consume_until(20, Duration::from_secs(30)).await;
        Ok(vec![
            read_all(self.driver, 20, all),
            redirected(&self.driver.history),
            served_by_follower(&self.driver.history),
        ])
    }

    async fn seek_to_beginning(&mut self) -> Result<Vec<Expectation>, KafkaError> {
        self.produce(10).await;
        let first = self.consume_until(10, Duration::from_secs(30)).await;
        self.kill(3)?;
        self.produce(10).await;
        self.driver.run_for(Duration::from_millis(self.timings.replica_lag_time_max_ms + 2_000)).await;
        self.restart(3)?;
        let consumer = self.driver.slot_of(NodeId::Consumer(0)).expect("every scenario has consumer 0");
        self.driver.step("seek consumer-0 to the beginning");
        self.driver.input(consumer, Input::Seek(SeekTo::Beginning)).await;
        let again = self.consume_until(30, Duration::from_secs(45)).await;
        let sought = self.driver.clients().any(|c| match c {
            Client::Consumer(c) => c.resets().iter().any(|r| r.cause == ResetCause::Seek && r.to == 0),
            Client::Producer(_) => false,
        });
        Ok(vec![
            read_all(self.driver, 10, first),
            Expectation {
                what: "the seek reset the position to the log start offset, 0".into(),
                met: sought,
                detail: if sought { "reset to 0 recorded".into() } else { "no reset to 0 recorded".into() },
            },
            read_all(self.driver, 30, again),
            redirected(&self.driver.history),
        ])
    }

    async fn failover_list_offsets(&mut self) -> Result<Vec<Expectation>, KafkaError> {
        self.flow(Duration::from_secs(3)).await;
        self.kill(FIRST_LEADER)?;
        let consumer = self.driver.slot_of(NodeId::Consumer(0)).expect("every scenario has consumer 0");
        let end = tokio::time::Instant::now() + Duration::from_millis(self.timings.broker_session_timeout_ms + 6_000);
        while tokio::time::Instant::now() < end {
            self.driver.step("seek consumer-0 to the end");
            self.driver.input(consumer, Input::Seek(SeekTo::End)).await;
            self.flow(Duration::from_millis(300)).await;
        }
        self.restart(FIRST_LEADER)?;
        self.flow(Duration::from_secs(3)).await;
        let answers = list_offsets_answers(&self.driver.history);
        let after_failover = answers.iter().filter(|(epoch, error)| *epoch > 0 && error == "NONE").count();
        let not_available = answers.iter().filter(|(_, error)| error == "OFFSET_NOT_AVAILABLE").count();
        Ok(vec![Expectation {
            what: "ListOffsets(latest) answered by the new leader after the failover".into(),
            met: after_failover > 0,
            detail: format!(
                "{} answers, {after_failover} from a later epoch, {not_available} OFFSET_NOT_AVAILABLE (KIP-207's window)",
                answers.len()
            ),
        }])
    }

    async fn validate_after_failover(&mut self) -> Result<Vec<Expectation>, KafkaError> {
        self.flow(Duration::from_secs(4)).await;
        self.kill(FIRST_LEADER)?;
        self.flow(Duration::from_millis(self.timings.broker_session_timeout_ms + 8_000)).await;
        self.restart(FIRST_LEADER)?;
        self.flow(Duration::from_secs(3)).await;
        let validations: Vec<String> = self
            .driver
            .history
            .events
            .iter()
            .filter_map(|e| match &e.what {
                What::Received { message: Message::OffsetsForLeaderEpochResponse(r), broker, .. } => Some(format!(
                    "broker {broker}: {} epoch {} end offset {}",
                    r.error_code.name(),
                    r.leader_epoch,
                    r.end_offset
                )),
                _ => None,
            })
            .collect();
        Ok(vec![Expectation {
            what: "the consumer validated its position with OffsetsForLeaderEpoch (KIP-320)".into(),
            met: !validations.is_empty(),
            detail: if validations.is_empty() {
                "no OffsetsForLeaderEpoch answered".into()
            } else {
                validations.join("; ")
            },
        }])
    }

    async fn outage(&mut self, outage: Outage) -> Result<Vec<Expectation>, KafkaError> {
        self.flow(Duration::from_millis(self.timings.outage_start_ms)).await;
        self.cluster.network_mut().cut(outage.clone())?;
        self.driver.step(format!("cut: {outage}"));
        // As `highwater availability`'s timed run: the consumer has history to catch up on, so
        // it rewinds as the outage starts.
        let consumer = self.driver.slot_of(NodeId::Consumer(0)).expect("every scenario has consumer 0");
        self.driver.step("seek consumer-0 to offset 0");
        self.driver.input(consumer, Input::Seek(SeekTo::Offset(0))).await;
        let probe = probe(&outage);
        self.flow(Duration::from_millis(self.timings.outage_duration_ms)).await;
        let probe = probe.await.unwrap_or_else(|e| Expectation {
            what: "the probe of the cut ran".into(),
            met: false,
            detail: e.to_string(),
        });
        self.driver.step(format!("probe, started at the cut: {}", probe.detail));
        self.cluster.network_mut().heal(&outage)?;
        self.driver.step(format!("heal: {outage}"));
        self.flow(Duration::from_millis(self.timings.after_heal_ms)).await;
        let mut expectations = vec![probe];
        if matches!(outage, Outage::Rack { .. } | Outage::Link { .. }) || outage.blocks("a", "b") {
            expectations.push(redirected(&self.driver.history));
        }
        Ok(expectations)
    }

    /// Heal every outage and start every killed broker, then wait for the full ISR.
    async fn restore(&mut self) -> Result<(), KafkaError> {
        let outages: Vec<Outage> = self.cluster.network_mut().outages().cloned().collect();
        for outage in outages {
            self.cluster.network_mut().heal(&outage)?;
        }
        for broker in std::mem::take(&mut self.killed) {
            self.cluster.restart(broker)?;
        }
        self.cluster.await_registered(Duration::from_secs(60)).await?;
        let mut full = false;
        let deadline = tokio::time::Instant::now() + Duration::from_secs(60);
        while !full && tokio::time::Instant::now() < deadline {
            for b in cluster::brokers() {
                if let Some(m) = self.cluster.partition(self.topic, b.id).await {
                    full |= m.isr_nodes.len() == cluster::brokers().count() && m.leader_id >= 0;
                }
            }
            tokio::time::sleep(Duration::from_millis(250)).await;
        }
        if !full {
            return Err(KafkaError::Environment(format!("{}: the ISR did not become whole after the run", self.topic)));
        }
        Ok(())
    }
}

/// Show the cut is what it says: from the consumer's rack, the leader's address is reached
/// exactly when the outage lets the consumer's place reach the leader's both ways. The probe runs
/// beside the clients, so that the run's schedule does not wait on it.
fn probe(outage: &Outage) -> tokio::task::JoinHandle<Expectation> {
    let leader = cluster::broker(FIRST_LEADER).expect("broker 1 is in the layout");
    let should_reach = !outage.blocks(CONSUMER_RACK, leader.place) && !outage.blocks(leader.place, CONSUMER_RACK);
    tokio::spawn(async move {
        let reached = wire::connect_in(CONSUMER_RACK, leader.endpoint(), Duration::from_secs(2)).await.is_ok();
        let said = if reached { "connected" } else { "could not connect" };
        Expectation {
            what: format!(
                "from rack {CONSUMER_RACK}, the leader in rack {} is {}",
                leader.place,
                if should_reach { "reachable" } else { "unreachable" }
            ),
            met: reached == should_reach,
            detail: format!("a TCP connection from rack {CONSUMER_RACK} to {}: {said}", leader.endpoint()),
        }
    })
}

fn delivered(driver: &Driver) -> Vec<OffsetRecord> {
    driver
        .clients()
        .filter_map(|c| match c {
            Client::Consumer(c) => Some(c.delivered().to_vec()),
            Client::Producer(_) => None,
        })
        .flatten()
        .collect()
}

fn read_all(driver: &Driver, count: usize, done: bool) -> Expectation {
    let got = delivered(driver).len();
    Expectation {
        what: format!("the consumer read {count} records"),
        met: done,
        detail: format!("{got} records delivered"),
    }
}

/// The leader named a follower in the consumer's rack as its preferred read replica.
fn redirected(history: &History) -> Expectation {
    let redirects: Vec<(BrokerId, BrokerId)> = history
        .events
        .iter()
        .filter_map(|e| match &e.what {
            What::Received { broker, message: Message::FetchResponse(r), .. } if r.preferred_read_replica >= 0 => {
                Some((*broker, r.preferred_read_replica))
            }
            _ => None,
        })
        .collect();
    let same_rack =
        redirects.iter().filter(|(_, to)| cluster::broker(*to).is_some_and(|b| b.rack == Some(CONSUMER_RACK))).count();
    Expectation {
        what: format!("the leader named a follower in rack {CONSUMER_RACK} as preferred read replica (KIP-392)"),
        met: same_rack > 0,
        detail: format!("{} redirects, {same_rack} to rack {CONSUMER_RACK}: {redirects:?}", redirects.len()),
    }
}

fn served_by_follower(history: &History) -> Expectation {
    let followers: Vec<BrokerId> = history
        .events
        .iter()
        .filter_map(|e| match &e.what {
            What::Delivered { served_by, .. } if *served_by != FIRST_LEADER => Some(*served_by),
            _ => None,
        })
        .collect();
    Expectation {
        what: "records were served by a follower".into(),
        met: !followers.is_empty(),
        detail: format!("{} deliveries from followers", followers.len()),
    }
}

/// ListOffsets answers: the epoch they report and their error.
fn list_offsets_answers(history: &History) -> Vec<(i32, String)> {
    history
        .events
        .iter()
        .filter_map(|e| match &e.what {
            What::Received { message: Message::ListOffsetsResponse(r), .. } => {
                Some((r.leader_epoch, r.error_code.name().to_string()))
            }
            _ => None,
        })
        .collect()
}
